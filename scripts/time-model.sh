#!/usr/bin/env bash
# Times the ordered pass and a profile over a large trace against Go 1.27: its internal/trace
# reader against the same pass of ours (criterion's ordered/slice and ordered/stream: every
# event read, nothing else) and against trace-stats (one streaming pass that also counts), and
# go tool trace -pprof=TYPE against trace2pprof (PPROF_TYPES, default sched), checking the
# samples are the same.
# Usage: scripts/time-model.sh [TRACE]   (default: target/bench/large.trace, made if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
trace=${1:-target/bench/large.trace}
[ -f "$trace" ] || scripts/gen-large-trace.sh "$trace"
source scripts/go127-env.sh
size=$(stat -c %s "$trace")
echo "trace: $trace ($size bytes)"

internal_trace_test /tmp/gotrace-readall.test scripts/go/readall_test.go
echo "== Go 1.27 internal/trace (wall s, max RSS KB)"
GOTRACE_TRACE=$PWD/$trace /usr/bin/time -f "%e s %M KB" /tmp/gotrace-readall.test \
  -test.run TestGotraceReadAll -test.count 1

echo "== trace-model's ordered pass, from memory and streamed (criterion: low, mean, high)"
cargo bench --quiet --bench ordered -- 'ordered/(slice|stream)$' 2>&1 | grep -A1 '^ordered/' |
  grep -E 'time:|thrpt:' || true

cargo build --release --quiet --example trace-stats
echo "== trace-stats, streaming and counting (wall s, max RSS KB)"
/usr/bin/time -f "%e s %M KB" target/release/examples/trace-stats "$trace" | head -1

# The profiles: go tool trace -pprof against trace2pprof, and the samples compared.
cargo build --release --quiet --example trace2pprof
source <(sed -n '/^canonical_profile()/,/^}/p' scripts/conformance.sh)
go127=$go
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
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
