#!/usr/bin/env bash
# Times the Parquet export against the ordered pass on a large trace: trace-check (every event
# read, nothing else) and trace-export --parquet (the same pass feeding the events table, the
# stacks, Go's summaries, the GC analysis and the four profiles) in PAIRS alternating pairs
# (default 3), with wall time, CPU time (user + system, all threads), throughput in MB of trace
# per second and max RSS; then, once each, the examples that compute the export's analyses
# alone, to show where the export's time goes.
# Usage: scripts/time-export.sh [TRACE]   (default: target/bench/large.trace, made if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
trace=${1:-target/bench/large.trace}
[ -f "$trace" ] || scripts/gen-large-trace.sh "$trace"
size=$(stat -L -c %s "$trace")
echo "trace: $trace ($size bytes)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cargo build --release --quiet --features columnar --example trace-export --example trace-check \
  --example trace-goroutines --example trace-gc --example trace2pprof

# run NAME CMD...: one run, printed as wall, CPU, MB/s and max RSS.
run() {
  local name=$1
  shift
  /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$@" > /dev/null
  read -r wall user sys kb < "$tmp/time"
  awk -v name="$name" -v w="$wall" -v u="$user" -v s="$sys" -v kb="$kb" -v n="$size" 'BEGIN {
    printf "%-28s %6.2f s wall %6.2f s CPU %6.0f MB/s %5.0f MB RSS\n",
      name, w, u + s, n / 1e6 / w, kb / 1024 }'
}
echo "== trace-check against trace-export --parquet, in pairs"
for _ in $(seq "${PAIRS:-3}"); do
  run trace-check target/release/examples/trace-check "$trace"
  rm -rf "$tmp/out"
  run "trace-export --parquet" target/release/examples/trace-export --parquet "$tmp/out" "$trace"
done
echo "== the export's parts alone"
run trace-goroutines target/release/examples/trace-goroutines "$trace"
run trace-gc target/release/examples/trace-gc "$trace"
for t in net sync syscall sched; do
  run "trace2pprof -pprof=$t" target/release/examples/trace2pprof -pprof=$t -o "$tmp/p.pb.gz" "$trace"
done
echo "== output: $(du -sm "$tmp/out" | cut -f1) MB of Parquet"
