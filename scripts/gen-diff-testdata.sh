#!/usr/bin/env bash
# Regenerates testdata/diff: trace-diff's before/after experiment. Builds
# testdata/diff/before/main.go and testdata/diff/after/main.go (the same request loop, with
# the "compute" region made slower, by more than "encode" is made faster, in after) with each toolchain and runs
# them RUNS times each (default 5), alternating before and after so that the machine's load
# drifts over both alike, into
#   testdata/diff/go<VERSION>/before-<N>.trace, after-<N>.trace
# and writes Go 1.27.3's region and task pages of the first run of each side beside them
# (before-1.regions.golden, .usertasks.golden; scripts/gen-regions-goldens.sh --jobs).
#
# Usage: scripts/gen-diff-testdata.sh [VERSION...]   (default: 1.21.13 1.22.10 1.25.5 1.27.3;
# 1.21.13 writes v1 traces). Traces differ from run to run: regenerating changes every file,
# and the tests (crates/trace-model/tests/diff.rs) check what the experiment must show.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
versions=("$@")
[ ${#versions[@]} -eq 0 ] && versions=(1.21.13 1.22.10 1.25.5 1.27.3)
runs=${RUNS:-5}
export GOCACHE=${GOCACHE:-/tmp/gotrace-gocache} GOTOOLCHAIN=local GO111MODULE=off GOFLAGS=-trimpath
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

jobs=""
for v in "${versions[@]}"; do
  go=~/.cache/go-$v/bin/go
  [ -x "$go" ] || scripts/install-go.sh "$v"
  out=testdata/diff/go$v
  rm -rf "$out"
  mkdir -p "$out"
  for side in before after; do
    (cd "testdata/diff/$side" && "$go" build -trimpath -o "$tmp/$side-$v" main.go)
  done
  for i in $(seq 1 "$runs"); do
    for side in before after; do
      "$tmp/$side-$v" "$root/$out/$side-$i.trace"
    done
  done
  for side in before after; do
    jobs+="$root/$out/$side-1.trace	$root/$out/$side-1"$'\n'
  done
  echo "go$v: $runs runs a side, $(du -ch "$out"/*.trace | tail -n 1 | cut -f1) of traces" >&2
done
printf '%s' "$jobs" > "$tmp/jobs"
scripts/gen-regions-goldens.sh --jobs "$tmp/jobs"
echo "wrote Go's region and task pages of the first run of each side" >&2
