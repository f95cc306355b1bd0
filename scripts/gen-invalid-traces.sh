#!/usr/bin/env bash
# Traces Go's reader rejects part way, with Go 1.27's answers: testdata/invalid-*/<name>.{txt,
# trace,events.golden,error.golden}. Each is a committed trace's raw text golden with events or
# arguments changed to ones of the same width in all, so batch sizes stay right. Go's raw reader and
# writer turn the text into the binary trace; Go's `go tool trace -d=parsed` gives the events
# before the error and the error.
#
# invalid-ids: the go1.26.6 annotations trace with a stack or string ID just past the dense run
# of IDs, far past it, or (for a control) the last ID of the run; in user events and in the
# goroutine blocks and unblocks that take the ordering's short path.
# invalid-context: the go1.27.3 chan trace with an event whose M lacks, or already has, the
# goroutine or P it needs — the checks the ordering's path for the commonest events leaves to
# the general one.
# Usage: scripts/gen-invalid-traces.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/go127-env.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
internal_trace_test "$tmp/text2bin.test" scripts/go/text2bin_test.go

# make SRC OUT: one case per line of stdin: its name, and the sed script that edits SRC.
make() {
  local src=$1 out=$2 name edit
  mkdir -p "$out"
  rm -f "$out"/*
  while read -r name edit; do
    sed "$edit" "$src" > "$out/$name.txt"
    if cmp -s "$src" "$out/$name.txt"; then
      echo "$name: $edit changes nothing" >&2
      exit 1
    fi
    GOTRACE_TEXT=$PWD/$out/$name.txt GOTRACE_OUT=$PWD/$out/$name.trace "$tmp/text2bin.test" \
      -test.run TestGotraceTextToBinary -test.count 1 > /dev/null
    "$go" tool trace -d=parsed "$out/$name.trace" > "$out/$name.events.golden" 2> "$tmp/err" || true
    cp "$tmp/err" "$out/$name.error.golden"
    echo "$name: $(wc -l < "$out/$name.events.golden") lines of events; $(cat "$tmp/err")"
  done
}

make testdata/traces/go1.26.6/annotations.raw.golden testdata/invalid-ids <<'LIST'
stack-past-run 41s/stack=21/stack=36/
stack-far 41s/stack=21/stack=127/
new-stack-past-run 25s/new_stack=4/new_stack=40/
string-past-run 41s/value_string=36/value_string=92/
string-far 41s/key_string=35/key_string=120/
stack-last-of-run 41s/stack=21/stack=35/
goblock-stack-past-run 38s/stack=19/stack=36/
goblock-reason-past-run 38s/reason_string=10/reason_string=92/
gounblock-stack-far 43s/stack=23/stack=127/
LIST

make testdata/traces/go1.27.3/chan.raw.golden testdata/invalid-context <<'LIST'
start-while-running 12s/GoBlock dt=360 reason_string=12 stack=20/HeapAlloc dt=360 heapalloc_value=200/
block-without-goroutine 9s/GoStart dt=18 g=6 g_seq=1/HeapAlloc dt=18 heapalloc_value=200/
start-without-proc 8s/ProcStart dt=4 p=1 p_seq=1/ProcStatus dt=4 p=1 pstatus=2/
block-without-proc 10s/HeapAlloc dt=285 heapalloc_value=2646016/ProcStop dt=285/;11s/HeapAlloc dt=100 heapalloc_value=2654208/ProcStatus dt=100 p=4398046511104 pstatus=2/
LIST
