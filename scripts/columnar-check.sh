#!/usr/bin/env bash
# The Parquet export checked with DuckDB: exports every trace in testdata/ (every version) with
# trace-export, then scripts/columnar_check.py compares DuckDB's sums over the tables with
# trace-goroutines --json, Go's profiles and Go's event counts, and runs the README's queries.
#
# DuckDB comes from PyPI into a virtual environment (target/columnar-venv, or $COLUMNAR_VENV).
# If it can't be installed the check is skipped with a loud message, except in CI (CI set),
# where that fails.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${COLUMNAR_VENV:-target/columnar-venv}
duckdb_version=${DUCKDB_VERSION:-2.0.1}

source scripts/pypi-venv.sh
need_pypi columnar-check "$venv" \
  "import duckdb, sys; sys.exit(duckdb.__version__ != '$duckdb_version')" "duckdb==$duckdb_version"

cargo build --release --features columnar --example trace-export --example trace-goroutines

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export=target/release/examples/trace-export

# A trace that can't be read among good ones: named on stderr, nothing of it written, the
# others exported, exit status 1.
echo "not a trace" > "$tmp/junk.trace"
if "$export" --parquet "$tmp/bad" testdata/traces/go1.27.3/chan.trace "$tmp/junk.trace" \
  > /dev/null 2> "$tmp/stderr"; then
  echo "columnar-check: trace-export succeeded with an unreadable trace" >&2
  exit 1
fi
grep -q "junk.trace" "$tmp/stderr" || {
  echo "columnar-check: the unreadable trace is not named on stderr:" >&2
  cat "$tmp/stderr" >&2
  exit 1
}
exported=$(ls "$tmp/bad/events" | wc -l)
[ "$exported" -eq 1 ] || {
  echo "columnar-check: $exported traces exported, want the 1 readable" >&2
  exit 1
}

traces=(testdata/traces/*/*.trace)
"$export" --parquet "$tmp/out" "${traces[@]}" > /dev/null
"$venv/bin/python" scripts/columnar_check.py "$tmp/out" target/release/examples "${traces[@]}"
