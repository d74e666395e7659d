#!/usr/bin/env bash
# Checks that the library and the web playground (`web/main.rs`) compile for the browser
# (wasm32-unknown-unknown) with each web feature: `web-webgl2` and `web-webgpu` (Bevy's `webgpu`
# overrides `webgl2` in one build, so they are two builds), without warnings, and that they call
# nothing that compiles for wasm32 but fails in the browser at run time (std::fs, threads, std::time::Instant: clippy's disallowed_methods and
# disallowed_types, configured in scripts/web-clippy/clippy.toml).
# Uses Debian's rustc-web and the std sources of rust-web-src (-Zbuild-std), so no rustup
# target is needed: `scripts/setup.sh --web` installs them. Elsewhere, with rustup:
#   rustup target add wasm32-unknown-unknown
#   cargo check --lib --target wasm32-unknown-unknown --no-default-features --features web-webgl2
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in /usr/bin/rustc /usr/bin/cargo /usr/bin/cargo-clippy /usr/bin/wasm-ld-22; do
  if [ ! -x "$tool" ]; then
    echo "wasm_check: $tool is missing: run scripts/setup.sh --web" >&2
    exit 1
  fi
done

# Debian's toolchain, not rustup's (which has no wasm32 std here); build-std needs the nightly
# switch that Debian's stable compiler accepts with RUSTC_BOOTSTRAP.
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
# `cargo clippy` runs the first cargo-clippy on PATH: Debian's (rust-web-clippy), not rustup's.
export PATH="/usr/bin:$PATH"
export CLIPPY_CONF_DIR="$PWD/scripts/web-clippy"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-22
# Its own build folder: another compiler's artifacts never mix with the native ones.
export CARGO_TARGET_DIR="${BACKDROP_WASM_TARGET_DIR:-$HOME/.cache/bevy_backdrop-wasm-target}"

for feature in web-webgl2 web-webgpu; do
  scripts/phase.sh "wasm32 check + web lints ($feature)" /usr/bin/cargo clippy --lib --bin backdrop-web --locked \
    --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort \
    --no-default-features --features "$feature" -- \
    -A clippy::all -D warnings -D clippy::disallowed_methods -D clippy::disallowed_types
done
