#!/usr/bin/env bash
# Traces whose events name a stack or string their generation lacks, with Go 1.27's answers:
# testdata/invalid-ids/<name>.{txt,trace,events.golden,error.golden}. Each is the go1.26.6
# annotations trace (its raw text golden) with one ID changed to one byte of the same width,
# so batch sizes stay right: just past the dense run of IDs, far past it, or (for a control)
# the last ID of the run. Go's raw reader and writer turn the text into the binary trace; Go's
# `go tool trace -d=parsed` gives the events before the error and the error.
# Usage: scripts/gen-invalid-id-traces.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/go127-env.sh
src=testdata/traces/go1.26.6/annotations.raw.golden
out=testdata/invalid-ids
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
internal_trace_test "$tmp/text2bin.test" scripts/go/text2bin_test.go
mkdir -p "$out"
rm -f "$out"/*
# name, line of the raw text, sed substitution on it.
while read -r name line subst; do
  sed "${line}s/${subst}/" "$src" > "$out/$name.txt"
  if cmp -s "$src" "$out/$name.txt"; then
    echo "$name: line $line does not match $subst" >&2
    exit 1
  fi
  GOTRACE_TEXT=$PWD/$out/$name.txt GOTRACE_OUT=$PWD/$out/$name.trace "$tmp/text2bin.test" \
    -test.run TestGotraceTextToBinary -test.count 1 > /dev/null
  "$go" tool trace -d=parsed "$out/$name.trace" > "$out/$name.events.golden" 2> "$tmp/err" || true
  cp "$tmp/err" "$out/$name.error.golden"
  echo "$name: $(wc -l < "$out/$name.events.golden") lines of events; $(cat "$tmp/err")"
done <<'LIST'
stack-past-run 41 stack=21/stack=36
stack-far 41 stack=21/stack=127
new-stack-past-run 25 new_stack=4/new_stack=40
string-past-run 41 value_string=36/value_string=92
string-far 41 key_string=35/key_string=120
stack-last-of-run 41 stack=21/stack=35
LIST
