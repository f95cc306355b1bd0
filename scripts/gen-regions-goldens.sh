#!/usr/bin/env bash
# Go 1.27.3's /userregions, /userregion, /usertasks and /usertask pages of every testdata trace,
# for the regions tests: for each testdata/traces/go*/NAME.trace (v1 traces of Go 1.19 and 1.21
# included: Go 1.27 converts 1.11+ traces), writes next to it
#   NAME.regions.golden    region groups (type, start frame) with durations, histogram, breakdown
#   NAME.usertasks.golden  task types with durations and histogram, and each task's events
# and the same for Go's own 1.11-1.21 test traces (GOROOT/src/internal/trace/internal/tracev1/
# testdata of Go 1.27.3) into testdata/go-testdata/NAME.*.golden. The formats are described at the
# top of scripts/go/userpages_test.go (the dumper, compiled inside GOROOT since internal/trace
# can't be imported from outside).
# With --jobs FILE, dumps the traces FILE lists instead, one "TRACE<TAB>PREFIX" a line (absolute
# paths), writing PREFIX.regions.golden and PREFIX.usertasks.golden (scripts/conformance.sh).
# With --check, regenerates into a temporary directory and compares with the files in place.
# With --table, rewrites crates/trace-model/src/regions/histogram_table.rs, the histogram's
# bucket boundaries as Go computes them (scripts/go/histogram_test.go).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/go127-env.sh
mode=${1:-}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
internal_trace_test "$tmp/dump.test" scripts/go/userpages_test.go scripts/go/histogram_test.go \
  scripts/go/summary_test.go scripts/go/analyses_common_test.go

if [ "$mode" = --table ]; then
  out=$PWD/crates/trace-model/src/regions/histogram_table.rs
  GOTRACE_HISTOGRAM_OUT=$out "$tmp/dump.test" -test.count=1 \
    -test.run '^TestGotraceHistogramTable$' > "$tmp/log" || { cat "$tmp/log" >&2; exit 1; }
  echo "wrote $out" >&2
  exit 0
fi

# dump JOBS: runs the dumper on the "TRACE<TAB>PREFIX" lines of JOBS.
dump() {
  GOTRACE_USERPAGES_JOBS=$1 "$tmp/dump.test" -test.count=1 \
    -test.run '^TestGotraceUserPagesGolden$' > "$tmp/log" || { cat "$tmp/log" >&2; exit 1; }
}

if [ "$mode" = --jobs ]; then
  dump "$(cat "$2")"
  exit 0
fi

gotraces=$goroot/src/internal/trace/internal/tracev1/testdata
outroot=testdata
[ "$mode" = --check ] && outroot=$tmp/out
jobs=""
n=0
pairs=()
for f in testdata/traces/go*/*.trace "$gotraces"/*_good; do
  case $f in
    testdata/*) rel=traces/$(basename "$(dirname "$f")")/$(basename "$f" .trace) ;;
    *) rel=go-testdata/$(basename "$f") ;;
  esac
  mkdir -p "$outroot/$(dirname "$rel")"
  # Absolute paths: the test binary runs in GOROOT/src/internal/trace.
  jobs+="$(realpath "$f")	$(realpath "$outroot/$(dirname "$rel")")/$(basename "$rel")"$'\n'
  pairs+=("$rel")
  n=$((n + 1))
done
dump "$jobs"

if [ "$mode" != --check ]; then
  echo "wrote regions and usertasks goldens of $n traces under $outroot" >&2
  exit 0
fi
bad=0
for rel in "${pairs[@]}"; do
  for kind in regions usertasks; do
    want=testdata/$rel.$kind.golden
    got=$tmp/out/$rel.$kind.golden
    if [ ! -f "$want" ]; then
      echo "missing $want (run scripts/gen-regions-goldens.sh)" >&2
      bad=1
    elif ! cmp -s "$want" "$got"; then
      echo "DIFFERS: $want, $(diff "$want" "$got" | grep -c '^[<>]') lines" >&2
      diff "$want" "$got" | head -6 >&2
      bad=1
    fi
  done
done
[ $bad = 0 ] && echo "Go 1.27.3 gives the same pages for all $n traces" >&2
exit $bad
