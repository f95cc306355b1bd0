#!/usr/bin/env bash
# Writes Go 1.27.3's /jsontrace answers (cmd/trace's own handler, run without a server by
# scripts/viewer/jsontrace-oracle.sh) beside every
# Go 1.11+ testdata trace, gzipped: <name>.jsontrace.json.gz (the proc view) and
# <name>.jsontrace-thread.json.gz (view=thread), <name>.jsontrace-goid1.json.gz (goid=1, the goroutine
# view of main), and for the annotations traces <name>.jsontrace-focustask1.json.gz (focustask=1)
# and <name>.jsontrace-taskid1.json.gz (taskid=1). crates/trace-viewer/tests/goldens.rs compares ours
# to them after putting in a fixed order what Go writes in map order. Where Go's handler panics, the
# panic is written instead, as <name>.<view suffix>.panic.golden.
#
# Usage: scripts/gen-viewer-goldens.sh [TRACE...]   (default: every testdata trace and every
# regression trace in testdata/regressions)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/go127-env.sh
tools=scripts/viewer
traces=("$@")
if [ ${#traces[@]} -eq 0 ]; then
  traces=(testdata/traces/go*/*.trace testdata/regressions/*.trace)
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for f in "${traces[@]}"; do
  views=(proc thread goid1)
  [ "$(basename "$f")" = annotations.trace ] && views+=(focustask1 taskid1)
  for view in "${views[@]}"; do
    case $view in
      proc) q=""; suffix=jsontrace ;;
      thread) q="view=thread"; suffix=jsontrace-thread ;;
      goid1) q="goid=1"; suffix=jsontrace-goid1 ;;
      focustask1) q="focustask=1"; suffix=jsontrace-focustask1 ;;
      taskid1) q="taskid=1"; suffix=jsontrace-taskid1 ;;
    esac
    status=0
    GO="$go" "$tools/jsontrace-oracle.sh" "$f" "$q" "$tmp/out.json" > /dev/null 2> "$tmp/err" || status=$?
    if [ "$status" -eq 3 ]; then
      # Go panics: its answer is the panic, kept instead of a timeline.
      cp "$tmp/err" "${f%.trace}.$suffix.panic.golden"
      rm -f "${f%.trace}.$suffix.json.gz"
      echo "${f%.trace}.$suffix.panic.golden"
      continue
    elif [ "$status" -ne 0 ]; then
      cat "$tmp/err" >&2
      exit 1
    fi
    rm -f "${f%.trace}.$suffix.panic.golden"
    gzip -9n < "$tmp/out.json" > "${f%.trace}.$suffix.json.gz"
    echo "${f%.trace}.$suffix.json.gz"
  done
done
