#!/usr/bin/env bash
# Writes Go 1.27.3's `go tool trace -d=footprint TRACE` beside every Go 1.22+ trace in
# testdata/traces as <name>.footprint.golden, without rewriting the traces (scripts/gen-testdata.sh
# writes them too when it makes new traces). Go 1.27 can't read v1 traces (Go 1.5-1.21): it fails
# with "invalid event type", so those get no golden.
#
# Usage: scripts/gen-footprint-goldens.sh [TRACE...]   (default: every Go 1.22+ testdata trace)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/go127-env.sh
traces=("$@")
if [ ${#traces[@]} -eq 0 ]; then
  traces=(testdata/traces/go*/*.trace)
fi
for f in "${traces[@]}"; do
  minor=$(head -c 16 "$f" | sed -E 's/^go 1\.([0-9]+) trace.*/\1/')
  [ "$minor" -ge 22 ] || continue
  "$go" tool trace -d=footprint "$f" > "${f%.trace}.footprint.golden"
  echo "${f%.trace}.footprint.golden"
done
