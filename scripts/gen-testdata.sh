#!/usr/bin/env bash
# Regenerates testdata/traces: runs every program in testdata/programs with every toolchain and
# writes Go's answers beside each trace:
#   <name>.raw.golden     Go 1.27.3's raw reader and TextWriter (Trace Go1.N + go tool trace -d=wire)
#   <name>.events.golden  Go 1.27.3's Event.String() of each event (go tool trace -d=parsed)
#   <name>.TYPE.pprof.golden  Go 1.27.3's go tool trace -pprof=TYPE, TYPE net, sync, syscall, sched
#   <name>.footprint.golden   Go 1.27.3's go tool trace -d=footprint (Go 1.22+ traces; also
#                             scripts/gen-footprint-goldens.sh, which leaves the traces alone)
# v1 traces (Go 1.19, 1.21) also get events goldens (Go 1.27 converts 1.11+ traces); their wire
# counts go to testdata/v1-counts.golden via scripts/gen-v1-counts.sh.
#
# Usage: scripts/gen-testdata.sh [VERSION...]   e.g. 1.22.10 1.27.3 (default: all)
# PROGRAMS="a b" limits the run to those programs (to add one without rewriting the others).
# Toolchains: scripts/install-go.sh; Go 1.19 from Debian (apt-get install golang-1.19-go).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
versions=("$@")
if [ ${#versions[@]} -eq 0 ]; then
  versions=(1.19 1.21.13 1.22.10 1.23.9 1.24.11 1.25.5 1.26.6 1.27.3)
fi
export GOCACHE=${GOCACHE:-/tmp/gotrace-gocache} GOTOOLCHAIN=local GO111MODULE=off GOFLAGS=-trimpath
go127=~/.cache/go-1.27.3/bin/go
[ -x "$go127" ] || scripts/install-go.sh 1.27.3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

gobin() {
  if [ "$1" = 1.19 ]; then echo /usr/lib/go-1.19/bin/go; else echo ~/.cache/go-"$1"/bin/go; fi
}

for v in "${versions[@]}"; do
  go=$(gobin "$v")
  if [ ! -x "$go" ]; then
    if [ "$v" = 1.19 ]; then
      echo "skipping Go 1.19: /usr/lib/go-1.19 not installed (apt-get install golang-1.19-go)" >&2
      continue
    fi
    scripts/install-go.sh "$v"
  fi
  out="testdata/traces/go$v"
  mkdir -p "$out"
  for dir in testdata/programs/*/; do
    name=$(basename "$dir")
    if [ -n "${PROGRAMS:-}" ] && [[ " $PROGRAMS " != *" $name "* ]]; then
      continue
    fi
    # The flight recorder exists from Go 1.25 on; its program is built for those only.
    if [ "$name" = flightrecorder ] && [[ "$v" =~ ^1\.(19|21|22|23|24)(\.|$) ]]; then
      continue
    fi
    (cd "$dir" && "$go" build -trimpath -o "$tmp/$name-$v" main.go)
    "$tmp/$name-$v" "$root/$out/$name.trace"
    minor=$(head -c 16 "$out/$name.trace" | sed -E 's/^go 1\.([0-9]+) trace.*/\1/')
    if [ "$minor" -ge 22 ]; then
      { printf 'Trace Go1.%s\n' "$minor"; "$go127" tool trace -d=wire "$out/$name.trace"; } \
        > "$out/$name.raw.golden"
      "$go127" tool trace -d=footprint "$out/$name.trace" > "$out/$name.footprint.golden"
    fi
    if ! "$go127" tool trace -d=parsed "$out/$name.trace" > "$out/$name.events.golden" 2> "$tmp/err"; then
      echo "Go 1.27 cannot parse $out/$name.trace: $(cat "$tmp/err")" >&2
      rm -f "$out/$name.events.golden"
      [ "$minor" -lt 22 ] || exit 1
    fi
    if [ -f "$out/$name.events.golden" ]; then
      for t in net sync syscall sched; do
        "$go127" tool trace -pprof=$t "$out/$name.trace" > "$out/$name.$t.pprof.golden"
      done
    fi
    printf '%-45s %7d bytes, go 1.%s\n' "$out/$name.trace" "$(stat -c %s "$out/$name.trace")" "$minor"
  done
done
