#!/usr/bin/env bash
# Writes testdata/v1-counts.golden: for every v1 trace (Go 1.21.13's own testdata, and our
# testdata/traces/go1.19 and go1.21.13), what Go 1.21's readTrace reads from the wire: number of
# events, of strings, and the count of each event type. For the 1.11+ traces it also checks that
# Go 1.27.3's internal v1 parser reads exactly the same. Needs Go 1.21.13 and 1.27.3
# (scripts/install-go.sh). With --check, compares against the committed file instead.
# With --traces FILE... (absolute, or relative to the repository), reads only those traces and
# prints their lines to stdout after a V1NAMES line giving Go 1.21's name of each event type; the
# committed file is left alone (scripts/conformance.sh compares our counts of fresh traces).
set -euo pipefail
cd "$(dirname "$0")/.."
go=~/.cache/go-1.21.13/bin/go
[ -x "$go" ] || scripts/install-go.sh 1.21.13
goroot=$("$go" env GOROOT)
export GOCACHE=${GOCACHE:-/tmp/gotrace-gocache} GOTOOLCHAIN=local GOFLAGS=
dump="$goroot/src/internal/trace/gotrace_v1counts_test.go"
cp scripts/go/v1counts_test.go "$dump"
trap 'rm -f "$dump"' EXIT

mode=${1:-}
paths=()
if [ "$mode" = --traces ]; then
  shift
  for f in "$@"; do
    paths+=("$(realpath "$f")") # the test runs in GOROOT/src/internal/trace
  done
  export V1NAMES=1
else
  for f in "$goroot"/src/internal/trace/testdata/*_good "$goroot"/src/internal/trace/testdata/*_unordered; do
    paths+=("$f")
  done
  for f in testdata/traces/go1.19/*.trace testdata/traces/go1.21.13/*.trace; do
    [ -f "$f" ] && paths+=("$PWD/$f")
  done
fi
list=$(IFS=:; echo "${paths[*]}")
if ! raw=$(TRACE="$list" "$go" test -v -count=1 -run TestV1Counts internal/trace); then
  echo "$raw" >&2
  exit 1
fi
out=$(echo "$raw" | grep '^V1COUNTS ' |
  sed -e "s|$goroot/src/internal/trace/testdata/|go1.21.13:|" -e "s|$PWD/testdata/|testdata:|")

# Go 1.27's v1 parser on the same files (it reads 1.11+ only) must agree line for line.
go127=~/.cache/go-1.27.3/bin/go
[ -x "$go127" ] || scripts/install-go.sh 1.27.3
goroot127=$("$go127" env GOROOT)
dump127="$goroot127/src/internal/trace/internal/tracev1/gotrace_v1counts_test.go"
cp scripts/go/tracev1counts_test.go "$dump127"
trap 'rm -f "$dump" "$dump127"' EXIT
out127=$(TRACE="$list" "$go127" test -v -count=1 -run TestV1Counts127 internal/trace/internal/tracev1 |
  grep '^V1COUNTS ' |
  sed -e "s|$goroot/src/internal/trace/testdata/|go1.21.13:|" -e "s|$PWD/testdata/|testdata:|")
while read -r line; do
  key=$(echo "$line" | cut -d' ' -f2)
  want=$(echo "$out" | grep -F "V1COUNTS $key " || true)
  if [ "$line" != "$want" ]; then
    echo "Go 1.27 and Go 1.21 disagree on $key:" >&2
    echo "  1.27: $line" >&2
    echo "  1.21: $want" >&2
    exit 1
  fi
done <<< "$out127"
echo "Go 1.27.3's v1 parser agrees with Go 1.21.13 on $(echo "$out127" | wc -l) traces" >&2

if [ "$mode" = --traces ]; then
  echo "$raw" | grep '^V1NAMES '
  echo "$out"
elif [ "$mode" = --check ]; then
  diff <(echo "$out") testdata/v1-counts.golden && echo "v1 counts agree with Go 1.21.13's readTrace"
else
  echo "$out" > testdata/v1-counts.golden
  wc -l testdata/v1-counts.golden
fi
