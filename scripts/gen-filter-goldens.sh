#!/usr/bin/env bash
# Go's profiles with the filters of go tool trace's web pages, for the filter tests: for a few
# testdata traces, every goroutine name of the program's own goroutines (main.*) and every user
# region type, Go 1.27.3's /block and /sched profiles (?name=NAME or /regionblock, /regionsched
# with ?type=TYPE), fetched from `go tool trace -http` with raw=1.
# Writes testdata/filters/*.pprof.golden and testdata/filters/MANIFEST (one case per line:
# golden, trace, profile type, filter kind, value).
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-$HOME/.cache/go-1.27.3/bin/go}
[ -x "$go" ] || scripts/install-go.sh 1.27.3
export GOCACHE=${GOCACHE:-/tmp/gotrace-gocache} GOTOOLCHAIN=local
out=testdata/filters
rm -rf "$out" && mkdir -p "$out"
port=47311
urlencode() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
for v in 1.22.10 1.25.5 1.27.3; do
  for prog in annotations mutex chan blocked; do
    trace=testdata/traces/go$v/$prog.trace
    "$go" tool trace -http=127.0.0.1:$port "$trace" > /dev/null 2>&1 &
    pid=$!
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/" > /dev/null && break; sleep 0.2; done
    names=$(curl -sf "http://127.0.0.1:$port/goroutines" | grep -o 'name=main[^"&]*' | sed 's/^name=//' | sort -u)
    types=$(curl -sf "http://127.0.0.1:$port/userregions" | grep -o 'type=[^"&]*' | sed 's/^type=//' | grep -v '^$' | sort -u || true)
    for kind in sync sched; do
      path=block; [ $kind = sched ] && path=sched
      for enc in $names; do
        name=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.argv[1]))' "$enc")
        golden=go$v-$prog.$kind.name-$(echo "$name" | tr -c 'A-Za-z0-9.\n' '_').pprof.golden
        curl -sf "http://127.0.0.1:$port/$path?name=$enc&raw=1" > "$out/$golden"
        printf '%s\t%s\t%s\tgoroutine\t%s\n' "$golden" "$trace" $kind "$name" >> "$out/MANIFEST"
      done
      for enc in $types; do
        typ=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.argv[1]))' "$enc")
        golden=go$v-$prog.$kind.region-$(echo "$typ" | tr -c 'A-Za-z0-9.\n' '_').pprof.golden
        curl -sf "http://127.0.0.1:$port/region$path?type=$(urlencode "$typ")&raw=1" > "$out/$golden"
        printf '%s\t%s\t%s\tregion\t%s\n' "$golden" "$trace" $kind "$typ" >> "$out/MANIFEST"
      done
    done
    kill $pid; wait $pid 2> /dev/null || true
  done
done
wc -l "$out/MANIFEST"
