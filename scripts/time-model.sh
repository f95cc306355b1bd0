#!/usr/bin/env bash
# Times the full ordered pass over a large trace: Go 1.27's internal/trace reader against
# trace-model (the trace-stats example reads every event in one streaming pass).
# Usage: scripts/time-model.sh [TRACE]   (default: target/bench/large.trace, made if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
trace=${1:-target/bench/large.trace}
[ -f "$trace" ] || scripts/gen-large-trace.sh "$trace"
go=${GO:-$HOME/.cache/go-1.27.3/bin/go}
[ -x "$go" ] || scripts/install-go.sh 1.27.3
export GOCACHE=${GOCACHE:-/tmp/gotrace-gocache} GOTOOLCHAIN=local GOFLAGS=
goroot=$("$go" env GOROOT)
size=$(stat -c %s "$trace")
echo "trace: $trace ($size bytes)"

cp scripts/go/readall_test.go "$goroot/src/internal/trace/gotrace_readall_test.go"
trap 'rm -f "$goroot/src/internal/trace/gotrace_readall_test.go"' EXIT
"$go" test -c -o /tmp/gotrace-readall.test internal/trace
echo "== Go 1.27 internal/trace (wall s, max RSS KB)"
GOTRACE_TRACE=$PWD/$trace /usr/bin/time -f "%e s %M KB" /tmp/gotrace-readall.test \
  -test.run TestGotraceReadAll -test.count 1

cargo build --release --quiet --example trace-stats
echo "== trace-model, streaming (wall s, max RSS KB)"
/usr/bin/time -f "%e s %M KB" target/release/examples/trace-stats "$trace" | head -1
