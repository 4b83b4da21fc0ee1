# nutripipe — the commands a user and a developer need.
#   make pipeline   regenerate processed/ from raw/
#   make test       run the whole test suite (installs pandoc when missing)
#   make check      fmt, clippy, tests and the dev-gold score (needs ../shared)
#   make bench      corpus benchmark (50 and 200 MB; BENCH_SIZES="50 200 1000")
#                   and the criterion micro-benchmarks; results in bench/results/

# Builds are shared across clones and sessions (polars is slow to compile).
export CARGO_TARGET_DIR ?= $(HOME)/.cache/nutripipe-target
CARGO ?= cargo
BIN := $(CARGO_TARGET_DIR)/release/nutripipe
SHARED ?= ../shared

.PHONY: pipeline build test tools check fmt clippy score clean bench

build:
	$(CARGO) build --release --locked

pipeline: build
	$(BIN) run --raw raw --out processed

tools:
	./scripts/ensure-tools.sh

test: tools
	$(CARGO) test --release --locked

fmt:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --release --locked --all-targets -- -D warnings

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
