#!/usr/bin/env bash
# Go 1.27.3's goroutine summaries and minimum mutator utilization of every testdata trace, for
# the summary and MMU tests: for each testdata/traces/go*/NAME.trace (v1 traces of Go 1.19 and
# 1.21 included, Go 1.27 converts 1.11+ traces), writes next to it
#   NAME.goroutines.golden  trace.Summarizer's goroutines, one JSON object a line, by id
#   NAME.tasks.golden       its user tasks, one JSON object a line, by id
#   NAME.mmu.golden         MutatorUtilizationV2 + MMUCurve for the /mmu page's flag choices
# The formats are described at the top of scripts/go/summary_test.go and scripts/go/mmu_test.go
# (the dumpers, compiled inside GOROOT since internal/trace can't be imported from outside).
# With --jobs FILE, dumps the traces FILE lists instead, one "TRACE<TAB>PREFIX" a line (absolute
# paths), writing PREFIX.goroutines.golden and so on (scripts/conformance.sh, on fresh traces).
# With --check, regenerates into a temporary directory and compares with the files in place,
# which shows whether Go gives the same answer twice: on v1 traces Go's reader may order events
# sharing a tick differently from run to run, so a difference there is reported as such.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/go127-env.sh
mode=${1:-}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
internal_trace_test "$tmp/dump.test" scripts/go/summary_test.go scripts/go/mmu_test.go \
  scripts/go/analyses_common_test.go

# dump JOBS: runs both dumpers on the "TRACE<TAB>PREFIX" lines of JOBS.
dump() {
  GOTRACE_SUMMARY_JOBS=$1 GOTRACE_MMU_JOBS=$1 "$tmp/dump.test" -test.count=1 \
    -test.run '^(TestGotraceSummaryGolden|TestGotraceMMUGolden)$' > "$tmp/log" ||
    { cat "$tmp/log" >&2; exit 1; }
}

if [ "$mode" = --jobs ]; then
  dump "$(cat "$2")"
  exit 0
fi

outroot=testdata/traces
[ "$mode" = --check ] && outroot=$tmp/out
jobs=""
n=0
for f in testdata/traces/go*/*.trace; do
  dir=$(basename "$(dirname "$f")")
  mkdir -p "$outroot/$dir"
  # Absolute paths: the test binary runs in GOROOT/src/internal/trace.
  jobs+="$PWD/$f	$(realpath "$outroot/$dir")/$(basename "$f" .trace)"$'\n'
  n=$((n + 1))
done
dump "$jobs"

if [ "$mode" != --check ]; then
  echo "wrote goroutines, tasks and mmu goldens of $n traces under $outroot" >&2
  exit 0
fi
bad=0
for f in testdata/traces/go*/*.trace; do
  dir=$(basename "$(dirname "$f")")
  name=$(basename "$f" .trace)
  for kind in goroutines tasks mmu; do
    want=testdata/traces/$dir/$name.$kind.golden
    got=$tmp/out/$dir/$name.$kind.golden
    if [ ! -f "$want" ]; then
      echo "missing $want (run scripts/gen-summary-goldens.sh)" >&2
      bad=1
    elif ! cmp -s "$want" "$got"; then
      family=v2
      case $dir in go1.19 | go1.21.*) family="v1, equal-tick order may vary" ;; esac
      echo "DIFFERS ($family): $want, $(diff "$want" "$got" | grep -c '^[<>]') lines" >&2
      diff "$want" "$got" | head -6 >&2
      bad=1
    fi
  done
done
[ $bad = 0 ] && echo "Go 1.27.3 gives the same summaries and MMU for all $n traces" >&2
exit $bad
