#!/usr/bin/env bash
# Times the ordered pass and a profile over a large trace against Go 1.27: its internal/trace
# reader (every event read from the file, nothing else) against trace-check (the same pass,
# streamed from the file) on one thread and on two (THREADS, default "1 2": with two, a worker
# reads the next generation while the current one is ordered), in PAIRS alternating pairs
# (default 5; ours best of 3 next to each run of Go's, since this machine's speed swings
# from one minute to the next), then criterion's ordered/slice, ordered/file,
# ordered/file-2threads and ordered/stream over the same trace, trace-stats (one streaming pass
# that also counts), and go tool trace -pprof=TYPE against trace2pprof (PPROF_TYPES, default
# sched), checking the samples are the same (PAIRS_ONLY=1: the pairs alone).
# Usage: scripts/time-model.sh [TRACE]   (default: target/bench/large.trace, made if missing;
#   DENSE=1: target/bench/dense.trace, the dense trace)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${DENSE:-}" = 1 ]; then
  trace=${1:-target/bench/dense.trace}
else
  trace=${1:-target/bench/large.trace}
fi
[ -f "$trace" ] || DENSE=${DENSE:-} scripts/gen-large-trace.sh "$trace"
source scripts/go127-env.sh
size=$(stat -L -c %s "$trace")
echo "trace: $trace ($size bytes)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
internal_trace_test /tmp/gotrace-readall.test scripts/go/readall_test.go
cargo build --release --quiet --example trace-check
# wall_rss CMD...: "SECONDS KB CPU-SECONDS" of one run (CPU: user and system, all threads);
# its output goes to $tmp/out.
wall_rss() {
  /usr/bin/time -f "%e %M %U %S" -o "$tmp/time" "$@" > "$tmp/out"
  awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' "$tmp/time"
}
echo "== Go 1.27 internal/trace reader against trace-check, in pairs (wall s, events/s, max RSS"
echo "   KB, CPU s of all threads; the ratio is of wall times)"
for _ in $(seq "${PAIRS:-5}"); do
  read -r go_s go_kb go_cpu < <(GOTRACE_TRACE=$PWD/$trace wall_rss /tmp/gotrace-readall.test \
    -test.run TestGotraceReadAll -test.count 1)
  go_events=$(grep -o '^go: [0-9]* events' "$tmp/out" | cut -d' ' -f2)
  line=$(awk -v g="$go_s" -v gk="$go_kb" -v gc="$go_cpu" -v e="$go_events" 'BEGIN {
    printf "go %.2f s %.1f M/s %d KB cpu %.2f s", g, e / 1e6 / g, gk, gc }')
  for t in ${THREADS:-1 2}; do
    best=
    for _ in 1 2 3; do
      read -r s kb cpu < <(wall_rss target/release/examples/trace-check --threads "$t" "$trace")
      if [ -z "$best" ] || awk "BEGIN { exit !($s < $best) }"; then best=$s best_kb=$kb best_cpu=$cpu; fi
    done
    grep -q ": ok: .*, $go_events events," "$tmp/out" || {
      echo "event counts DIFFER: Go's $go_events, ours: $(cat "$tmp/out")"; exit 1; }
    line+=$(awk -v g="$go_s" -v o="$best" -v ok="$best_kb" -v oc="$best_cpu" -v e="$go_events" \
      -v t="$t" 'BEGIN {
      printf " | ours %d thr %.2f s %.1f M/s %d KB cpu %.2f s %.1fx", t, o, e / 1e6 / o, ok, oc, g / o }')
  done
  echo "$line"
done
if [ "${PAIRS_ONLY:-}" = 1 ]; then exit 0; fi

echo "== trace-model's ordered pass, from memory, from the file and streamed from memory"
echo "   (criterion: low, mean, high)"
GOTRACE_BENCH_TRACE=$PWD/$trace cargo bench --quiet --bench ordered -- \
  'ordered/(slice|file|file-2threads|stream)$' 2>&1 | grep -A1 '^ordered/' |
  grep -E 'time:|thrpt:' || true

cargo build --release --quiet --example trace-stats
echo "== trace-stats, streaming and counting (wall s, max RSS KB)"
/usr/bin/time -f "%e s %M KB" target/release/examples/trace-stats "$trace" | head -1

# The profiles: go tool trace -pprof against trace2pprof, and the samples compared.
cargo build --release --quiet --example trace2pprof
gopprof=${gopprof:-}
source <(sed -n '/^canonical_profile()/,/^}/p' scripts/conformance.sh)
go127=$go
for t in ${PPROF_TYPES:-sched}; do
  # Ours first, twice: right after Go's run the kernel is still taking back its ~10 GB, which
  # slows whatever runs next by a quarter or more.
  echo "== trace2pprof -pprof=$t, two runs (wall s, max RSS KB)"
  for _ in 1 2; do
    /usr/bin/time -f "%e s %M KB" target/release/examples/trace2pprof -pprof=$t -o "$tmp/ours.pb.gz" "$trace"
  done
  echo "== go tool trace -pprof=$t (wall s, max RSS KB)"
  /usr/bin/time -f "%e s %M KB" "$go" tool trace -pprof=$t "$trace" > "$tmp/go.pb.gz"
  canonical_profile "$tmp/go.pb.gz" > "$tmp/go.txt"
  canonical_profile "$tmp/ours.pb.gz" > "$tmp/ours.txt"
  if cmp -s "$tmp/go.txt" "$tmp/ours.txt"; then
    echo "samples identical ($(wc -l < "$tmp/go.txt"))"
  else
    echo "samples DIFFER"; diff "$tmp/ours.txt" "$tmp/go.txt" | head -20; exit 1
  fi
done
