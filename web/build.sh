#!/usr/bin/env bash
# Builds the web playground into web/dist/ (`make web`; `make web-serve` serves it):
#   web/dist/index.html, loader.js      the page and the loader that picks a build
#   web/dist/present.js                 the WebGL2 window's present without a second sRGB conversion
#   web/dist/webgl2/, web/dist/webgpu/  each build: backdrop.js + backdrop_bg.wasm (wasm-bindgen)
#   web/dist/assets/, web/dist/models/  presets, backgrounds, the sample, the models (over HTTP)
#   web/dist/worker.js, web/dist/ort/   the inference worker and its engine (onnxruntime-web, npm)
#   web/dist/frames.js, web/dist/mp4box/ the frame reader (WebCodecs) and its MP4 demuxer (npm)
# and prints each .wasm's size, raw and gzipped.
#
# Here (Debian, no rustup wasm32 std): Debian's rustc-web with -Zbuild-std, as scripts/wasm_check.sh
# (`scripts/setup.sh --web` installs it); wasm-bindgen-cli at the exact version of the resolved
# wasm-bindgen crate is installed into ~/.cache/bevy_backdrop-tools when missing; wasm-opt (Debian's
# binaryen) shrinks the result when it is there. Elsewhere, with rustup:
#   rustup target add wasm32-unknown-unknown
#   cargo install wasm-bindgen-cli --version <the wasm-bindgen version in Cargo.lock>
#   BACKDROP_WEB_TOOLCHAIN=rustup web/build.sh
# Builds: WEB_BUILDS="webgl2 webgpu" (default both); into BACKDROP_WEB_DIST (default web/dist),
# from BACKDROP_WASM_TARGET_DIR (two builds side by side need one each).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dist="${BACKDROP_WEB_DIST:-$root/web/dist}"
builds=${WEB_BUILDS:-webgl2 webgpu}

# wasm-bindgen-cli must match the wasm-bindgen crate exactly.
version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
tools="${BACKDROP_TOOLS_DIR:-$HOME/.cache/bevy_backdrop-tools}"
bindgen="$tools/bin/wasm-bindgen"
if ! command -v wasm-bindgen >/dev/null || [ "$(wasm-bindgen --version | awk '{print $2}')" != "$version" ]; then
  if [ ! -x "$bindgen" ] || [ "$("$bindgen" --version | awk '{print $2}')" != "$version" ]; then
    scripts/phase.sh "install wasm-bindgen-cli $version" \
      env -u RUSTC -u RUSTDOC cargo install --quiet wasm-bindgen-cli --version "=$version" --root "$tools"
  fi
else
  bindgen=$(command -v wasm-bindgen)
fi

target_dir="${BACKDROP_WASM_TARGET_DIR:-$HOME/.cache/bevy_backdrop-wasm-target}"
if [ "${BACKDROP_WEB_TOOLCHAIN:-debian}" = "debian" ]; then
  for tool in /usr/bin/rustc /usr/bin/cargo /usr/bin/wasm-ld-22; do
    [ -x "$tool" ] || { echo "web/build.sh: $tool is missing: run scripts/setup.sh --web" >&2; exit 1; }
  done
  cargo_web=(env RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 PATH="/usr/bin:$PATH"
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-22 CARGO_TARGET_DIR="$target_dir"
    /usr/bin/cargo build -Zbuild-std=std,panic_abort)
else
  cargo_web=(env CARGO_TARGET_DIR="$target_dir" cargo build)
fi

rm -rf "$dist"
mkdir -p "$dist"
for build in $builds; do
  scripts/phase.sh "wasm32 release build ($build)" "${cargo_web[@]}" --locked --bin backdrop-web \
    --profile web-release --target wasm32-unknown-unknown --no-default-features --features "web-$build"
  wasm="$target_dir/wasm32-unknown-unknown/web-release/backdrop-web.wasm"
  if command -v wasm-opt >/dev/null; then
    # Before wasm-bindgen: Debian's binaryen (108) breaks the externref table wasm-bindgen makes
    # ("WebAssembly.Table.set(): Argument 1 is invalid" at start) when it runs after it.
    scripts/phase.sh "wasm-opt ($build)" wasm-opt -Os --enable-bulk-memory \
      --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
      --enable-reference-types --enable-multivalue --strip-debug --strip-producers \
      "$wasm" -o "$dist/$build.opt.wasm"
    wasm="$dist/$build.opt.wasm"
  fi
  scripts/phase.sh "wasm-bindgen ($build)" "$bindgen" --target web --no-typescript \
    --out-dir "$dist/$build" --out-name backdrop "$wasm"
  rm -f "$dist/$build.opt.wasm"
done

cp web/index.html web/loader.js web/present.js web/worker.js web/frames.js "$dist/"
# The inference worker's engine: onnxruntime-web's WebAssembly build (SIMD, one thread, XNNPACK;
# no JSEP/WebGPU), at the version web/package-lock.json pins, with its licence.
if [ ! -f web/node_modules/onnxruntime-web/package.json ] || [ ! -f web/node_modules/mp4box/package.json ]; then
  scripts/phase.sh "npm ci (web: onnxruntime-web, mp4box)" npm ci --prefix web --no-audit --no-fund --ignore-scripts
fi
mkdir -p "$dist/ort"
ort=web/node_modules/onnxruntime-web
cp "$ort/dist/ort.wasm.min.js" "$ort/dist/ort-wasm-simd.wasm" "$dist/ort/"
# The npm package carries no licence file: say what it is and where it came from.
node -e 'const p = require(process.argv[1]);
  console.log(`${p.name} ${p.version} from npm (${p.homepage || p.repository?.url}), licence ${p.license}, by ${p.author || "Microsoft"}.`)' \
  "$root/$ort/package.json" > "$dist/ort/PROVENANCE.txt"
# The frame reader's MP4 demuxer (web/frames.js loads it when a file is opened), with its licence.
mkdir -p "$dist/mp4box"
cp web/node_modules/mp4box/dist/*.mjs web/node_modules/mp4box/LICENSE "$dist/mp4box/"
# The assets the app fetches: presets, background pictures, the sample; and the models folder.
mkdir -p "$dist/assets"
cp -r assets/presets assets/backgrounds assets/samples "$dist/assets/"
cp -r models "$dist/models"

for build in $builds; do
  wasm="$dist/$build/backdrop_bg.wasm"
  raw=$(stat -c %s "$wasm")
  gz=$(gzip -9 -c "$wasm" | wc -c)
  printf 'web/build.sh: %-7s %s: %.1f MB, %.1f MB gzipped\n' "$build" "${wasm#"$root"/}" \
    "$(echo "$raw / 1000000" | bc -l)" "$(echo "$gz / 1000000" | bc -l)"
done
