# The two commands of the README. Each installs what is missing, then calls cargo.
#   make run ARGS="--source synthetic"     the playground
#   make test                              every test
#   make wasm-check                         the library compiles for the browser (both web features)
# Both build with --release, so one build of Bevy serves both. ORT_DYLIB_PATH points at the ONNX
# Runtime library setup installed, unless it is set already.

CARGO ?= cargo
ARGS ?=
WITH_ORT = export ORT_DYLIB_PATH="$${ORT_DYLIB_PATH:-$$(scripts/ort_dylib.sh)}";

.PHONY: run test bench setup wasm-check

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

bench: setup
	@$(WITH_ORT) $(CARGO) bench
