# The two commands of the README. Each installs what is missing, then calls cargo.
#   make run ARGS="--source synthetic"     the playground
#   make test                              every test
# Both build with --release, so one build of Bevy serves both.

CARGO ?= cargo
ARGS ?=

.PHONY: run test setup

setup:
	@scripts/setup.sh

run: setup
	@scripts/phase.sh "build + run" $(CARGO) run --release -- $(ARGS)

test: setup
	@scripts/phase.sh "build tests" $(CARGO) test --release --no-run
	@scripts/phase.sh "run tests" $(CARGO) test --release
