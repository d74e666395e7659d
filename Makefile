# The two commands of the README. Each installs what is missing, then calls cargo.
#   make run ARGS="--source synthetic"     the playground
#   make test                              every test
#   make wasm-check                         the library compiles for the browser (both web features)
#   make web                                builds the web playground (both builds) and serves it
#   make web-test                           the browser tests (headless Chromium, both builds)
#   make web-bench                          speed in the browser: engines, and against the reference demo
# Both build with --release, so one build of Bevy serves both. ORT_DYLIB_PATH points at the ONNX
# Runtime library setup installed, unless it is set already.

CARGO ?= cargo
ARGS ?=
WITH_ORT = export ORT_DYLIB_PATH="$${ORT_DYLIB_PATH:-$$(scripts/ort_dylib.sh)}";

.PHONY: run test bench setup wasm-check web web-build web-serve web-test web-bench

setup:
	@scripts/phase.sh "set-up (Debian packages, onnxruntime)" scripts/setup.sh

run: setup
	@$(WITH_ORT) scripts/phase.sh "build + run" $(CARGO) run --release -- $(ARGS)

test: setup
	@$(WITH_ORT) scripts/phase.sh "build tests" $(CARGO) test --release --no-run
	@$(WITH_ORT) scripts/phase.sh "run tests" $(CARGO) test --release

# The library for the browser: cargo check for wasm32 with each web feature (Debian's rustc-web).
wasm-check:
	@scripts/phase.sh "set-up (web toolchain)" scripts/setup.sh --web
	@scripts/wasm_check.sh

# The web playground: both wasm builds (WebGL2, WebGPU) into web/dist/, then served on 127.0.0.1.
web: web-build web-serve

web-build:
	@scripts/phase.sh "set-up (web toolchain, Node.js)" scripts/setup.sh --web --node
	@scripts/phase.sh "web build" web/build.sh

web-serve:
	@web/serve.py --port $${PORT:-8080}

# The browser tests: builds web/dist when it is missing, the native binary for the reference mask
# (the test build's, shared with `make test`), then both builds in headless Chromium.
web-test: setup
	@scripts/phase.sh "set-up (web toolchain, Chromium, Node.js)" scripts/setup.sh --web --browser
	@if [ ! -f web/dist/index.html ]; then scripts/phase.sh "web build" web/build.sh; fi
	@$(WITH_ORT) scripts/phase.sh "build tests" $(CARGO) test --release --no-run
	@cd web/test && ../../scripts/phase.sh "npm ci (playwright-core)" npm ci --no-audit --no-fund --silent
	@scripts/phase.sh "browser tests" node web/test/run.mjs

# Speed in the browser: the inference engines side by side (onnxruntime-web, tract and rten with
# and without SIMD), then this page against the reference demo (see web/test/vs_volcomix.mjs for
# the demo's preparation), then where the page's frame time goes (web/test/frame_times.mjs).
web-bench:
	@scripts/phase.sh "engines" web/engine-bench/run.sh
	@scripts/phase.sh "against the reference demo" node web/test/vs_volcomix.mjs
	@scripts/phase.sh "frame times" node web/test/frame_times.mjs --backends webgl2,webgpu

bench: setup
	@$(WITH_ORT) $(CARGO) bench
