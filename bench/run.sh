#!/usr/bin/env bash
# The corpus benchmark behind `make bench` (issue #8).
#
# Builds deterministic corpora from raw/ with `nutripipe bench-corpus`, times
# `nutripipe run` on each under /usr/bin/time -v (wall time, peak RSS) with
# --timings (wall time per stage), then the incremental re-run: cold cache,
# warm cache, one document changed. Prints a Markdown table and keeps the raw
# output in bench/results/ (committed, so figures can be compared over time).
#
#   BENCH_SIZES="50 200 1000"  corpus sizes in MB (default "50 200")
#   BENCH_DIR=/tmp/...          where corpora and outputs go (default /tmp/nutripipe-bench)
#   BENCH_JOBS=2                worker threads (default: all cores)
#   BENCH_REPEAT=3              runs per corpus; the table shows the median
#                               (peak RSS of identical runs varies by ~10 % here)
#   BIN=...                     the nutripipe binary (default: release build)
set -euo pipefail
cd "$(dirname "$0")/.."

: "${CARGO_TARGET_DIR:=$HOME/.cache/nutripipe-target}"
BIN=${BIN:-$CARGO_TARGET_DIR/release/nutripipe}
WORK=${BENCH_DIR:-/tmp/nutripipe-bench}
SIZES=${BENCH_SIZES:-"50 200"}
JOBS=${BENCH_JOBS:-$(nproc)}
REPEAT=${BENCH_REPEAT:-3}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=bench/results
mkdir -p "$WORK" "$RESULTS"
LOG="$RESULTS/bench-$STAMP.txt"

[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (Debian package 'time')" >&2; exit 1; }
[ -x "$BIN" ] || { echo "bench: $BIN missing; run cargo build --release" >&2; exit 1; }

exec > >(tee "$LOG") 2>&1

echo "# nutripipe corpus benchmark, $STAMP"
echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (dirty)')"
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | sed -n 1p), $(free -g | awk '/^Mem:/{print $2}') GiB RAM"
echo "rustc:   $(rustc --version 2>/dev/null || echo '?')"
echo "jobs:    $JOBS"
echo "repeat:  $REPEAT runs per corpus (median shown)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min; figures are only comparable on an idle machine)"

# The machine is a shared VM whose speed moves between runs: each run also
# reports the share of CPU time the hypervisor gave to others ("steal", from
# /proc/stat), and the set starts and ends with a fixed reference workload
# (`calibrate`), so that a slow set can be told from slow code.
cpu_jiffies() { head -1 /proc/stat; }
steal_pct() { # steal_pct "BEFORE" "AFTER": steal share of all CPU jiffies between them
  awk -v a="$1" -v b="$2" 'BEGIN {
    n = split(a, x, " "); split(b, y, " "); t = 0
    for (i = 2; i <= 9 && i <= n; i++) t += y[i] - x[i]
    printf "%.1f", (t > 0 ? 100 * (y[9] - x[9]) / t : 0) }'
}
# CPU seconds of a fixed single-threaded workload (a pure-Python loop: no
# I/O, branchy like the pipeline's own code), best of three.
calibrate() {
  local best
  best=$(for _ in 1 2 3; do
    { /usr/bin/time -f '%U %S' python3 -c 'sum(i * i % 7 for i in range(15_000_000))'; } 2>&1 | tail -1
  done | awk '{ t = $1 + $2; if (NR == 1 || t < b) b = t } END { printf "%.2f", b }')
  echo "calibration ($1): $best CPU-s for a fixed workload (lower = the machine is faster right now)"
}

# time_run NAME ARGS... : run nutripipe under time -v, keep its stderr, print one result line
time_run() {
  local name=$1; shift
  local err="$WORK/$name.stderr"
  local before after
  before=$(cpu_jiffies)
  /usr/bin/time -v "$BIN" "$@" 2>"$err" >/dev/null || { cat "$err"; exit 1; }
  after=$(cpu_jiffies)
  local wall rss cpu
  cpu=$(awk '/User time/{u=$NF} /System time/{s=$NF} END{print u+s}' "$err")
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$err" |
    awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$err")
  grep '^timing:' "$err" | sed "s/^/  [$name] /"
  echo "RESULT $name wall=$wall rss_kb=$rss cpu=$cpu steal_pct=$(steal_pct "$before" "$after")"
}

# median of the arguments
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

calibrate start
echo

declare -A WALL RSS RSS_RANGE BYTES ROWS CPU STEAL
for mb in $SIZES; do
  corpus="$WORK/corpus-$mb"
  echo "## corpus $mb MB"
  "$BIN" bench-corpus --raw raw --mb "$mb" "$corpus"
  BYTES[$mb]=$(du -sb "$corpus" | cut -f1)
  out="$WORK/out-$mb"
  walls=() rsss=() cpus=() steals=()
  for r in $(seq 1 "$REPEAT"); do
    line=$(time_run "run-$mb" run --raw "$corpus" --out "$out" --quiet --no-cache --timings --jobs "$JOBS" | tee /dev/stderr | grep '^RESULT')
    walls+=("$(echo "$line" | sed 's/.*wall=\([^ ]*\).*/\1/')")
    rsss+=("$(echo "$line" | sed 's/.*rss_kb=\([^ ]*\).*/\1/')")
    cpus+=("$(echo "$line" | sed 's/.*cpu=\([^ ]*\).*/\1/')")
    steals+=("$(echo "$line" | sed 's/.*steal_pct=\([^ ]*\).*/\1/')")
  done
  WALL[$mb]=$(median "${walls[@]}")
  RSS[$mb]=$(median "${rsss[@]}")
  CPU[$mb]=$(median "${cpus[@]}")
  STEAL[$mb]=$(median "${steals[@]}")
  RSS_RANGE[$mb]=$(printf '%s\n' "${rsss[@]}" | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f-%.0f", lo / 1024, hi / 1024 }')
  ROWS[$mb]=$(grep -o '[0-9]* rows' "$WORK/run-$mb.stderr" | cut -d' ' -f1)
  echo
done

# Incremental re-run on the largest corpus: populate the cache, re-run with
# every entry warm, then change one document and re-run.
big=$(echo "$SIZES" | tr ' ' '\n' | sort -n | tail -1)
corpus="$WORK/corpus-$big"
cache="$WORK/cache-$big"
rm -rf "$cache"
echo "## incremental, $big MB"
time_run "cold-$big" run --raw "$corpus" --out "$WORK/inc-$big" --quiet --cache "$cache" --timings --jobs "$JOBS"
time_run "warm-$big" run --raw "$corpus" --out "$WORK/inc-$big" --quiet --cache "$cache" --timings --jobs "$JOBS"
docs=("$corpus"/*.txt) # (not `ls | head`: SIGPIPE under pipefail)
echo "Natto bevat 1100 mcg vitamine K2 per 100 g." >>"${docs[0]}"
time_run "one-changed-$big" run --raw "$corpus" --out "$WORK/inc-$big" --quiet --cache "$cache" --timings --jobs "$JOBS"
"$BIN" bench-corpus --raw raw --mb "$big" "$corpus" >/dev/null 2>&1 # restore
echo

echo "## summary"
echo
echo "Medians of $REPEAT runs (peak RSS: median, and the range over the runs)."
echo
echo "| corpus | files | bytes | wall (s) | MB/s | rows | rows/s | peak RSS (MiB) | RSS range | CPU (s) | MB per CPU-s | steal % |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for mb in $SIZES; do
  files=$(ls "$WORK/corpus-$mb" | wc -l)
  awk -v mb="$mb" -v f="$files" -v b="${BYTES[$mb]}" -v w="${WALL[$mb]}" -v r="${ROWS[$mb]}" -v k="${RSS[$mb]}" -v c="${CPU[$mb]}" -v rr="${RSS_RANGE[$mb]}" -v st="${STEAL[$mb]}" \
    'BEGIN { printf "| %s MB | %d | %d | %.2f | %.2f | %d | %.0f | %.0f | %s | %.1f | %.2f | %s |\n", mb, f, b, w, b/1e6/w, r, r/w, k/1024, rr, c, b/1e6/c, st }'
done
small=$(echo "$SIZES" | tr ' ' '\n' | sort -n | sed -n 1p)
if [ "$small" != "$big" ]; then
  awk -v s="$small" -v b="$big" -v ws="${WALL[$small]}" -v wb="${WALL[$big]}" -v bs="${BYTES[$small]}" -v bb="${BYTES[$big]}" \
    -v rs="${RSS[$small]}" -v rb="${RSS[$big]}" 'BEGIN {
      scaled = ws * bb / bs
      printf "\nlinearity: %s MB scaled to %s MB = %.2f s, measured %.2f s (%+.1f%%)\n", s, b, scaled, wb, (wb/scaled-1)*100
      printf "peak RSS: %s MB %.0f MiB, %s MB %.0f MiB (%+.1f%%)\n", s, rs/1024, b, rb/1024, (rb/rs-1)*100 }'
fi
calibrate end
echo
echo "raw output: $LOG"
