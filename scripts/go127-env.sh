# Sourced by the scripts that ask Go 1.27.3 for its answers, from the repository's root: sets
# $go (installing the toolchain if missing) with a build cache of our own and no toolchain
# switching, and $goroot.
go=${GO:-$HOME/.cache/go-1.27.3/bin/go}
[ -x "$go" ] || scripts/install-go.sh 1.27.3
export GOCACHE=${GOCACHE:-/tmp/gotrace-gocache} GOTOOLCHAIN=local GOFLAGS=
goroot=$("$go" env GOROOT)

# internal_trace_test OUT FILE...: compiles internal/trace's tests into OUT with our FILEs
# (scripts/go/*_test.go) copied in as gotrace_NAME, since internal/trace can't be imported
# from outside GOROOT, then takes the copies out again: other scripts run `go test
# internal/trace` in the same GOROOT and should not build our files.
internal_trace_test() {
  local out=$1 f status=0
  shift
  local copies=()
  for f in "$@"; do
    copies+=("$goroot/src/internal/trace/gotrace_$(basename "$f")")
    cp "$f" "${copies[-1]}"
  done
  "$go" test -c -o "$out" internal/trace || status=$?
  rm -f "${copies[@]}"
  return $status
}
