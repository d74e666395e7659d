#!/usr/bin/env bash
# Builds the engine benchmark (tract and rten for wasm32 with and without +simd128, Debian's
# rustc-web with -Zbuild-std as web/build.sh) into web/engine-bench/dist/ with onnxruntime-web (the
# app's, and the newest from npm) and the models, and prints each engine's median inference ms per
# model in headless Chromium (run.mjs).
# Where the reference demo is built ($VOLPEER/www/virtual-background, see web/test/vs_volcomix.mjs),
# its TFLite engine runs too, on MediaPipe's TFLite files of the same networks (npm package
# @mediapipe/selfie_segmentation, the version models/convert converts): measured only, not shipped.
set -euo pipefail
cd "$(dirname "$0")"
here=$PWD
root=$(cd ../.. && pwd)
dist=$here/dist
version=0.2.130
bindgen="${BACKDROP_TOOLS_DIR:-$HOME/.cache/bevy_backdrop-tools}/bin/wasm-bindgen"
[ -x "$bindgen" ] || { echo "run.sh: $bindgen is missing: run web/build.sh once (it installs wasm-bindgen-cli $version)" >&2; exit 1; }
build() { # name, extra rustflags
  env RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 PATH="/usr/bin:$PATH" \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-22 \
    CARGO_TARGET_DIR="$HOME/.cache/bevy_backdrop-engine-bench-$1" RUSTFLAGS="$2" \
    /usr/bin/cargo build -Zbuild-std=std,panic_abort --release --target wasm32-unknown-unknown
  "$bindgen" --target web --no-typescript --out-dir "$dist/$1" \
    "$HOME/.cache/bevy_backdrop-engine-bench-$1/wasm32-unknown-unknown/release/engine_bench.wasm"
}
rm -rf "$dist/ort"
mkdir -p "$dist/ort" "$dist/models"
build simd "-C target-feature=+simd128" &
build scalar "" &
wait
ort=$root/web/node_modules/onnxruntime-web/dist
cp "$ort/ort.wasm.min.js" "$ort/ort-wasm-simd.wasm" "$dist/ort/"
# The newest onnxruntime-web beside the app's (measured only, not shipped).
newest=1.30.0
package=$(mktemp -d)
(cd "$package" && npm pack --silent "onnxruntime-web@$newest" >/dev/null && tar xzf ./*.tgz)
rm -rf "$dist/ort-newest"
mkdir -p "$dist/ort-newest"
cp "$package"/package/dist/{ort.wasm.min.mjs,ort-wasm-simd-threaded.mjs,ort-wasm-simd-threaded.wasm} "$dist/ort-newest/"
rm -rf "$package"
cp "$root"/models/*.onnx "$dist/models/"
demo="${VOLPEER:-$HOME/volpeer}/www/virtual-background/tflite"
rm -rf "$dist/demo"
if [ -f "$demo/tflite-simd.js" ]; then
  mkdir -p "$dist/demo"
  cp "$demo/tflite-simd.js" "$demo/tflite-simd.wasm" "$dist/demo/"
  package=$(mktemp -d)
  (cd "$package" && npm pack --silent @mediapipe/selfie_segmentation@0.1.1675465747 >/dev/null && tar xzf ./*.tgz)
  cp "$package"/package/selfie_segmentation.tflite "$package"/package/selfie_segmentation_landscape.tflite "$dist/models/"
  rm -rf "$package"
fi
cp bench.html "$dist/index.html"
node "$here/run.mjs" "$dist"
