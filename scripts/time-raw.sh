#!/usr/bin/env bash
# Times our trace-raw against Go 1.27.3's `go tool trace -d=wire` on a large trace, both printing
# the raw text format to /dev/null: wall time, throughput (MB/s of trace read, 1 MB = 10^6 bytes)
# and maximum RSS, as /usr/bin/time -v measures them. Go's run is stopped after 10 minutes.
# The trace is made by scripts/gen-large-trace.sh when missing.
#
# Usage: scripts/time-raw.sh [TRACE] [--cmp]
#   --cmp  also checks that the two outputs are byte-identical (after our `Trace Go1.N` line)
set -euo pipefail
cd "$(dirname "$0")/.."
trace=target/bench/large.trace
cmp=
for arg in "$@"; do
  case "$arg" in
    --cmp) cmp=1 ;;
    *) trace=$arg ;;
  esac
done
export GOCACHE=${GOCACHE:-/tmp/gotrace-gocache} GOTOOLCHAIN=local
go127=~/.cache/go-1.27.3/bin/go
[ -x "$go127" ] || scripts/install-go.sh 1.27.3
[ -x /usr/bin/time ] || { echo "time-raw: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
[ -f "$trace" ] || scripts/gen-large-trace.sh "$trace"
cargo build --quiet --release --example trace-raw
ours=target/release/examples/trace-raw
# `go tool trace` builds the tool on first use: do that before timing.
"$go127" tool trace -d=wire testdata/traces/go1.27.3/net.trace > /dev/null

bytes=$(stat -c %s "$trace")
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

# run NAME COMMAND...: one timed run, one table row.
run() {
  local name=$1 status=0
  shift
  /usr/bin/time -v -o "$tmp" timeout 600 "$@" > /dev/null || status=$?
  if [ "$status" = 124 ]; then
    printf '%-31s %s\n' "$name" "stopped after 10 minutes"
    return
  fi
  awk -v name="$name" -v bytes="$bytes" -v status="$status" '
    /Elapsed \(wall clock\)/ {
      n = split($NF, p, ":"); s = 0
      for (i = 1; i <= n; i++) s = s * 60 + p[i]
    }
    /Maximum resident set size/ { rss = $NF }
    END {
      printf "%-31s %8.2f s %8.1f MB/s %8.1f MB max RSS%s\n", name, s, bytes / 1e6 / s,
        rss / 1024, status == 0 ? "" : "  (exit status " status ")"
    }' "$tmp"
}

printf '%s: %.1f MB, %s\n' "$trace" "$(echo "$bytes / 1000000" | bc -l)" "$(head -c 16 "$trace" | tr -d '\0')"
printf '%s, %s cores\n' "$(date +%Y-%m-%d)" "$(nproc)"
run "trace-raw (ours)" "$ours" "$trace"
run "go tool trace -d=wire (1.27.3)" "$go127" tool trace -d=wire "$trace"

if [ -n "$cmp" ]; then
  if cmp <("$ours" "$trace" | tail -n +2) <("$go127" tool trace -d=wire "$trace"); then
    echo "outputs are byte-identical"
  else
    echo "outputs differ" >&2
    exit 1
  fi
fi
