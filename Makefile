# nutripipe — the commands a user and a developer need.
#   make pipeline   regenerate processed/ from raw/
#   make test       run the whole test suite (installs pandoc when missing)
#   make check      fmt, clippy, tests and the dev-gold score (needs ../shared)

# Builds are shared across clones and sessions (polars is slow to compile).
export CARGO_TARGET_DIR ?= $(HOME)/.cache/nutripipe-target
CARGO ?= cargo
BIN := $(CARGO_TARGET_DIR)/release/nutripipe
SHARED ?= ../shared

.PHONY: pipeline build test tools check fmt clippy score clean

# One release build serves the pipeline, the tests and the benchmarks: building
# through `cargo test --no-run` resolves features with the dev-dependencies, so
# the binary and the tests share every compiled crate (polars is slow to build).
build:
	$(CARGO) test --release --locked --no-run

pipeline: build
	$(BIN) run --raw raw --out processed

tools:
	./scripts/ensure-tools.sh

test: tools
	$(CARGO) test --release --locked

fmt:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --locked --all-targets -- -D warnings

score: pipeline
	python3 $(SHARED)/tools/score.py --gold $(SHARED)/gold --out processed

check: fmt clippy test score

clean:
	$(CARGO) clean
	rm -rf processed/.cache
