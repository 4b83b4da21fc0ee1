# nutripipe — the commands a user and a developer need.
#   make pipeline   regenerate processed/ from raw/
#   make test       run the whole test suite (installs pandoc when missing)
#   make check      fmt, clippy, tests and the dev-gold score (needs ../shared)
#   make fuzz       run every cargo-fuzz target FUZZ_SECONDS each (default 600)
#   make bench      corpus benchmark (50 and 200 MB, 3 runs each; BENCH_SIZES="50 200 1000",
#                   BENCH_REPEAT=5)
#                   and the criterion micro-benchmarks; results in bench/results/

# Builds are shared across clones and sessions (polars is slow to compile).
export CARGO_TARGET_DIR ?= $(HOME)/.cache/nutripipe-target
CARGO ?= cargo
BIN := $(CARGO_TARGET_DIR)/release/nutripipe
SHARED ?= ../shared

.PHONY: pipeline build test tools check fmt clippy score clean fuzz bench

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

# Not part of `check` or CI: it takes minutes and needs an idle machine.
bench: build
	@test -x /usr/bin/time || { SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get install -y -qq time >/dev/null; }
	./bench/run.sh
	$(CARGO) bench --locked --bench hot

clean:
	$(CARGO) clean
	rm -rf processed/.cache

# Fuzzing (docs/reliability.md). cargo-fuzz needs nightly features; on the
# stable toolchain RUSTC_BOOTSTRAP=1 unlocks them, and without nightly's
# sanitizer runtimes the targets run with --sanitizer none (panics, hangs and
# runaway memory are still caught). Crashes land in fuzz/artifacts/TARGET/;
# copy them to tests/fuzz_regressions/TARGET/ once fixed.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= values references document
FUZZ_TARGET_DIR ?= $(HOME)/.cache/nutripipe-fuzz-target
FUZZ_SANITIZER ?= none

fuzz:
	@command -v cargo-fuzz >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/corpus/$$t; \
	  seeds=fuzz/seeds/$$t; [ $$t = document ] && seeds=raw; \
	  echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
	  (cd fuzz && env -u CARGO_TARGET_DIR RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run \
	    --sanitizer $(FUZZ_SANITIZER) --target-dir $(FUZZ_TARGET_DIR) $$t \
	    corpus/$$t ../$$seeds -- -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -rss_limit_mb=4096 -max_len=65536); \
	done
