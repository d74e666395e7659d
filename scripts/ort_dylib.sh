#!/usr/bin/env bash
# Prints the path of the ONNX Runtime library that scripts/setup.sh installed (exit 1 if none).
set -euo pipefail
venv="${BACKDROP_ORT_VENV:-$HOME/.cache/bevy_backdrop-onnxruntime}"
for lib in "$venv"/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so.*; do
  if [ -e "$lib" ]; then
    echo "$lib"
    exit 0
  fi
done
exit 1
