#!/usr/bin/env bash
# The Perfetto export checked with Perfetto's own protos: writes `trace-timeline --perfetto` for
# every testdata trace (every version) in the views Go's answers are committed for (proc,
# thread, goroutine 1, and task 1's focustask and taskid views of the annotations traces), then
# scripts/perfetto_check.py decodes each file with the trace protos of the PyPI `perfetto`
# package (perfetto_trace_pb2) and compares what it draws with Go's /jsontrace JSON beside the
# trace (testdata/traces/goX/NAME.jsontrace*.json.gz): the same slices, regions, instants,
# arrows, counter samples and lanes, as multisets.
#
# No trace processor runs (the package downloads it at run time; this is offline): the check is
# structural. The package comes from PyPI into a virtual environment (target/perfetto-venv, or
# $PERFETTO_VENV). If it can't be installed the check is skipped with a loud message, except in
# CI (CI set), where that fails.
#
# Usage: scripts/perfetto-check.sh [--pairs LIST] [TIMELINE_BINARY]
#   --pairs LIST: check the pairs of LIST instead ("OURS.pftrace GO.json[.gz] LABEL" lines, as
#   scripts/conformance.sh's perfetto stage writes for fresh traces).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${PERFETTO_VENV:-target/perfetto-venv}
perfetto_version=${PERFETTO_VERSION:-0.59.1}

source scripts/pypi-venv.sh
need_pypi perfetto-check "$venv" "
import sys
from importlib.metadata import version
from perfetto.protos.perfetto.trace import perfetto_trace_pb2
sys.exit(version('perfetto') != '$perfetto_version')" "perfetto==$perfetto_version" protobuf

if [ "${1:-}" = --pairs ]; then
  exec "$venv/bin/python" scripts/perfetto_check.py "$2"
fi

timeline=${1:-}
if [ -z "$timeline" ]; then
  cargo build --quiet --release --example trace-timeline
  timeline=target/release/examples/trace-timeline
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
for trace in testdata/traces/*/*.trace; do
  base=${trace%.trace}
  for suffix in "" -thread -goid1 -focustask1 -taskid1; do
    golden=$base.jsontrace$suffix.json.gz
    [ -f "$golden" ] || continue
    case $suffix in
      "") args=() ;;
      -thread) args=(--view thread) ;;
      -goid1) args=(--goid 1) ;;
      -focustask1) args=(--focustask 1) ;;
      -taskid1) args=(--taskid 1) ;;
    esac
    n=$((n + 1))
    "$timeline" --perfetto "${args[@]}" -o "$tmp/$n.pftrace" "$trace"
    echo "$tmp/$n.pftrace $golden ${trace#testdata/traces/}${suffix:-}" >> "$tmp/list"
  done
done
"$venv/bin/python" scripts/perfetto_check.py "$tmp/list"
