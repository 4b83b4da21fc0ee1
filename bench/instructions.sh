#!/usr/bin/env bash
# Instructions per pass of ingest + extract (callgrind), a figure that does
# not move with the load of a shared machine the way wall time does (±15-30 %
# here between identical runs): callgrind counts the instructions of
# `examples/stage_timer` over a corpus with one pass and with two, and the
# difference is one steady-state pass (regex compilation and other one-time
# costs cancel out).
#
#   bench/instructions.sh [MB]          # default 2 MB; needs valgrind
#
# Compare two commits by running it on each; the figure is deterministic for
# a given binary and corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/nutripipe-target}"
MB="${1:-2}"
DIR="${BENCH_DIR:-/tmp/nutripipe-bench}/corpus-$MB"
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
cargo build --release --locked --example stage_timer --bin nutripipe >&2
BIN="$CARGO_TARGET_DIR/release"
[ -d "$DIR" ] || "$BIN/nutripipe" bench-corpus --mb "$MB" "$DIR" >&2
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN/examples/stage_timer" "$DIR" "$1" 2>&1 |
    sed -n 's/.*Collected : //p'
}
one=$(count 1)
two=$(count 2)
echo "commit $(git rev-parse --short HEAD), corpus $MB MB: $(( (two - one) / 1000000 )) M instructions per pass of ingest + extract (one-time $(( (2 * one - two) / 1000000 )) M)"
