"""Runs the README's queries over an exported directory in Spark's local mode and in DuckDB,
and compares the rows. Usage: columnar_spark.py OUT_DIR. Exit 1 if any query differs.
"""

import datetime
import decimal
import os
import sys
import time

import duckdb
from pyspark.sql import SparkSession

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import columnar_queries  # noqa: E402


def norm(v):
    """A value as both engines' Python types compare: integers, UTC microseconds."""
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        return round(v.timestamp() * 1_000_000)
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def main():
    out_dir = sys.argv[1]
    con = duckdb.connect()
    columnar_queries.duckdb_views(con, out_dir)
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("gotrace-columnar")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # This machine only: the driver on loopback.
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    columnar_queries.spark_views(spark, out_dir)
    print(f"Spark {spark.version}, DuckDB {duckdb.__version__}")

    failed = 0
    for name, sql in columnar_queries.QUERIES.items():
        t0 = time.time()
        want = [tuple(norm(v) for v in r) for r in con.execute(sql).fetchall()]
        t1 = time.time()
        got = [tuple(norm(v) for v in r) for r in spark.sql(sql).collect()]
        t2 = time.time()
        same = got == want
        failed += not same
        print(
            f"{name}: {len(want)} rows, {'same' if same else 'DIFFERENT'} "
            f"(DuckDB {t1 - t0:.2f} s, Spark {t2 - t1:.2f} s)"
        )
        for row in got[:3]:
            print("   ", row)
        if not same:
            print("  DuckDB:", want, "\n  Spark: ", got)

    # The whole dataset, table by table: the same row counts.
    for t in columnar_queries.TABLES:
        a = con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        b = spark.sql(f"SELECT count(*) FROM {t}").collect()[0][0]
        failed += a != b
        print(f"{t}: {a} rows in DuckDB, {b} in Spark")
    spark.stop()
    print(f"{len(columnar_queries.QUERIES) + len(columnar_queries.TABLES) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
