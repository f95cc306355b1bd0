#!/usr/bin/env bash
# The README's queries in Spark's local mode (PyPI's pyspark, the machine's Java 17) and in
# DuckDB over the same export, compared row for row. Not in CI: pyspark is a large install and
# Spark takes a while to start.
# Usage: scripts/columnar-spark.sh [OUT_DIR]   (default: exports every testdata trace)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${SPARK_VENV:-target/spark-venv}
command -v java > /dev/null || { echo "columnar-spark: needs Java (17) for Spark" >&2; exit 1; }
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import pyspark, duckdb' 2> /dev/null ||
  "$venv/bin/python" -m pip install -q pyspark "duckdb==${DUCKDB_VERSION:-2.0.1}"

out=${1:-}
if [ -z "$out" ]; then
  cargo build --release --features columnar --example trace-export
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  target/release/examples/trace-export --parquet "$out" testdata/traces/*/*.trace > /dev/null
fi
# Spark's local mode stays on loopback.
SPARK_LOCAL_IP=${SPARK_LOCAL_IP:-127.0.0.1} "$venv/bin/python" scripts/columnar_spark.py "$out"
