#!/usr/bin/env bash
# Writes a large realistic trace for benchmarks (not committed): Go 1.27.3 (or $GO) runs
# benches/large until the trace reaches the size asked for.
# Usage: scripts/gen-large-trace.sh [OUTPUT [MEGABYTES]]   (default target/bench/large.trace 120)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/bench/large.trace}
mb=${2:-120}
go=${GO:-$HOME/.cache/go-1.27.3/bin/go}
[ -x "$go" ] || scripts/install-go.sh 1.27.3
export GOCACHE=${GOCACHE:-/tmp/gotrace-gocache} GOTOOLCHAIN=local GO111MODULE=off
mkdir -p "$(dirname "$out")"
bin=$(mktemp -d)/large
(cd benches/large && "$go" build -trimpath -o "$bin" main.go)
"$bin" "$out" "$mb"
rm -rf "$(dirname "$bin")"
ls -l "$out"
