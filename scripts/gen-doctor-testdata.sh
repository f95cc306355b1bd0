#!/usr/bin/env bash
# Regenerates testdata/doctor/traces: runs every program in testdata/doctor/programs (one per
# trace-doctor finding, and healthy ones) with Go 1.21, 1.22, 1.25 and 1.27, writing
# testdata/doctor/traces/go<VERSION>/<name>.trace. The findings each trace must get are in
# testdata/doctor/labels.txt (tests/doctor.rs checks them).
#
# Usage: scripts/gen-doctor-testdata.sh [VERSION...]   (default: 1.21.13 1.22.10 1.25.5 1.27.3)
# PROGRAMS="a b" limits the run to those programs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
versions=("$@")
if [ ${#versions[@]} -eq 0 ]; then
  versions=(1.21.13 1.22.10 1.25.5 1.27.3)
fi
export GOCACHE=${GOCACHE:-/tmp/gotrace-gocache} GOTOOLCHAIN=local GO111MODULE=off GOFLAGS=-trimpath
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for v in "${versions[@]}"; do
  go=~/.cache/go-"$v"/bin/go
  [ -x "$go" ] || scripts/install-go.sh "$v"
  out="testdata/doctor/traces/go$v"
  mkdir -p "$out"
  for dir in testdata/doctor/programs/*/; do
    name=$(basename "$dir")
    if [ -n "${PROGRAMS:-}" ] && [[ " $PROGRAMS " != *" $name "* ]]; then
      continue
    fi
    (cd "$dir" && "$go" build -trimpath -o "$tmp/$name-$v" main.go)
    "$tmp/$name-$v" "$root/$out/$name.trace"
    printf '%-55s %8d bytes\n' "$out/$name.trace" "$(stat -c %s "$out/$name.trace")"
  done
done
