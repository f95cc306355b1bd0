#!/usr/bin/env bash
# The timeline in the real viewer: for each TRACE (default: a few testdata traces), imports our
# JSON (trace-timeline) and Go's (the committed /jsontrace golden beside the trace) into the
# Catapult viewer `go tool trace` embeds, in headless Chromium (catapult-import.sh; Debian:
# apt-get install chromium), and compares the viewer's counts: processes, threads, slices,
# async slices, counters and their samples, flows, import warnings, slices by name. Needs Go
# (GO=, default Go 1.27.3 of scripts/install-go.sh, for the viewer's files in GOROOT) and chromium; not run by CI.
#
# Usage: scripts/viewer/catapult-check.sh [TRACE...]
set -euo pipefail
cd "$(dirname "$0")/../.."
export GO=${GO:-$HOME/.cache/go-1.27.3/bin/go}
traces=("$@")
[ ${#traces[@]} -gt 0 ] || traces=(testdata/traces/go1.27.3/gc.trace testdata/traces/go1.27.3/annotations.trace
  testdata/traces/go1.22.10/net.trace testdata/traces/go1.19/cpuprof.trace)
cargo build --quiet --release --example trace-timeline
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
counts() {
  scripts/viewer/catapult-import.sh "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
if "error" in d:
    sys.exit("viewer error: " + d["error"])
for k in ("file", "importMs", "warnings"):
    d.pop(k, None)
print(json.dumps(d, sort_keys=True))'
}
status=0
for t in "${traces[@]}"; do
  golden=${t%.trace}.jsontrace.json.gz
  target/release/examples/trace-timeline "$t" > "$tmp/ours.json"
  gunzip -c "$golden" > "$tmp/go.json"
  counts "$tmp/ours.json" > "$tmp/ours.counts"
  counts "$tmp/go.json" > "$tmp/go.counts"
  summary=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(f"{k}={d[k]}" for k in ("threads", "slices", "asyncSlices", "counterSamples", "flowEvents", "warningCount")))' "$tmp/go.counts")
  if cmp -s "$tmp/ours.counts" "$tmp/go.counts"; then
    echo "ok    $t: $summary"
  else
    echo "FAIL  $t: the viewer's counts differ (ours, then Go's):"
    cat "$tmp/ours.counts" "$tmp/go.counts"
    status=1
  fi
done
exit $status
