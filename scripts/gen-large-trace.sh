#!/usr/bin/env bash
# Writes a large realistic trace for benchmarks (not committed): Go 1.27.3 (or $GO) runs
# benches/large until the trace reaches the size asked for. The dense mode (third argument
# `dense`, or DENSE=1) traces a busier service with fewer bytes per event: 64 goroutines doing
# loopback TCP echo, mutex, channel, allocation and os.Stat at GOMAXPROCS=2.
# Usage: scripts/gen-large-trace.sh [OUTPUT [MEGABYTES [dense]]]
#   (default target/bench/large.trace 120; dense: target/bench/dense.trace 160)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${3:-}
if [ "${DENSE:-}" = 1 ]; then mode=dense; fi
if [ "$mode" = dense ]; then
  out=${1:-target/bench/dense.trace}
  mb=${2:-160}
else
  out=${1:-target/bench/large.trace}
  mb=${2:-120}
fi
go=${GO:-$HOME/.cache/go-1.27.3/bin/go}
[ -x "$go" ] || scripts/install-go.sh 1.27.3
export GOCACHE=${GOCACHE:-/tmp/gotrace-gocache} GOTOOLCHAIN=local GO111MODULE=off
mkdir -p "$(dirname "$out")"
bin=$(mktemp -d)/large
(cd benches/large && "$go" build -trimpath -o "$bin" main.go)
"$bin" "$out" "$mb" $mode
rm -rf "$(dirname "$bin")"
ls -l "$out"
