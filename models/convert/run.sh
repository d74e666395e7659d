#!/usr/bin/env bash
# Regenerates the ONNX models (default) or the reference masks (`run.sh reference`) in a venv of
# their own. Needs python3 (with venv) and npm; everything else comes from PyPI and npm.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${BACKDROP_CONVERT_VENV:-$HOME/.cache/bevy_backdrop-convert-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q -r "$here/requirements.txt"
case "${1:-convert}" in
  convert) exec "$venv/bin/python" "$here/convert.py" "${@:2}" ;;
  reference) exec "$venv/bin/python" "$here/reference_masks.py" "${@:2}" ;;
  *) echo "usage: run.sh [convert|reference]" >&2; exit 2 ;;
esac
