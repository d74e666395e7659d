#!/usr/bin/env bash
# Installs what building, running and testing bevy_backdrop needs on a Debian/Ubuntu machine,
# and only what is missing. Safe to run again: it does nothing when everything is there.
# `--web` adds what the browser build needs, `--browser` what the browser tests need (below).
set -euo pipefail

# Build: Bevy's audio/input crates link ALSA and udev; winit needs xkbcommon/wayland headers;
# nokhwa's V4L2 bindings run bindgen (libclang). Linking uses clang + mold (.cargo/config.toml).
# Run: Vulkan loader + Mesa (lavapipe renders on the CPU when there is no GPU), Xvfb for a window
# without a display, ffmpeg for video files.
PACKAGES=(
  pkg-config libasound2-dev libudev-dev libxkbcommon-dev libwayland-dev libclang-dev clang mold
  libvulkan1 mesa-vulkan-drivers xvfb xauth ffmpeg
)
# The browser build: Debian's Rust for the web (1.96) with its std sources, compiled for wasm32
# with -Zbuild-std (rustup's wasm32 std is not needed), its clippy (the web lints), and the wasm
# linker.
# `--web`: the browser build (scripts/wasm_check.sh, web/build.sh): Debian's Rust for the web with
# its std sources, its clippy, the wasm linker, wasm-opt (binaryen) and bc (the size report).
# `--node`: Node.js with npm (Debian's, unless the machine has its own: a Node.js from elsewhere
# bundles npm, and Debian's npm conflicts): web/build.sh fetches onnxruntime-web with it.
# `--browser`: the browser tests (make web-test): Chromium, and Node.js with npm.
for flag in "$@"; do
  case "$flag" in
    --web) PACKAGES+=(rustc-web cargo-web rust-web-src rust-web-clippy lld-22 binaryen bc) ;;
    --browser | --node)
      [ "$flag" = --browser ] && PACKAGES+=(chromium)
      if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        PACKAGES+=(nodejs npm)
      fi
      ;;
    *) echo "setup: unknown option $flag (--web, --node, --browser)" >&2; exit 2 ;;
  esac
done

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all Debian packages present"
fi

if ! command -v cargo >/dev/null; then
  echo "setup: cargo not found: install Rust 1.95 (https://rustup.rs), then run this again" >&2
  exit 1
fi

# ONNX Runtime, the fast inference backend, from its PyPI wheel (the library is loaded at run time;
# without it the app runs on tract). Kept in a venv of its own; scripts/ort_dylib.sh finds it.
ORT_VERSION=1.31.1
ORT_VENV="${BACKDROP_ORT_VENV:-$HOME/.cache/bevy_backdrop-onnxruntime}"
if [ -z "${ORT_DYLIB_PATH:-}" ] && ! "$(dirname "$0")/ort_dylib.sh" >/dev/null 2>&1; then
  echo "setup: installing onnxruntime==$ORT_VERSION into $ORT_VENV"
  python3 -m venv "$ORT_VENV"
  "$ORT_VENV/bin/pip" install -q "onnxruntime==$ORT_VERSION"
fi
