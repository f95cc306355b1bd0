"""The README's queries over an exported directory, in the SQL that DuckDB and Spark both run
unchanged, and how each engine opens the tables as views of those names.

scripts/columnar_check.py runs them in DuckDB; scripts/columnar-spark.sh in Spark, and compares.
The README quotes each query verbatim (columnar_check.py checks that it still does).
"""

TABLES = [
    "traces",
    "events",
    "stacks",
    "goroutines",
    "regions",
    "tasks",
    "gc_cycles",
    "stw_pauses",
    "profile_samples",
]

QUERIES = {
    # Where goroutines waited longest for a P, over every trace: the sched profile's stacks,
    # by stack (a stack has the same ID in every trace), with the innermost function.
    "top_sched_stacks": """\
SELECT p.stack_id, s.function, s.file, s.line,
       sum(p.delay_ns) AS sched_ns, sum(p.count) AS waits, count(DISTINCT p.trace) AS traces
FROM profile_samples p
JOIN stacks s ON s.trace = p.trace AND s.stack_id = p.stack_id AND s.depth = 0
WHERE p.kind = 'sched'
GROUP BY p.stack_id, s.function, s.file, s.line
ORDER BY sched_ns DESC, p.stack_id
LIMIT 10""",
    # Stop-the-world time of each trace, in wall-clock order where the trace has a clock.
    "stw_per_trace": """\
SELECT t.file, t.go_version, t.wall_start, count(w.start_ns) AS pauses,
       coalesce(sum(w.duration_ns), 0) AS stw_ns, max(w.duration_ns) AS worst_ns
FROM traces t
LEFT JOIN stw_pauses w ON w.trace = t.trace
GROUP BY t.file, t.go_version, t.wall_start
ORDER BY t.wall_start NULLS LAST, t.file""",
    # Which goroutine groups (start functions) spent time blocked on the network.
    "network_blocked_groups": """\
SELECT g.name, count(*) AS goroutines, count(DISTINCT g.trace) AS traces,
       sum(g.block_by_reason['network']) AS network_ns
FROM goroutines g
WHERE g.block_by_reason['network'] > 0
GROUP BY g.name
ORDER BY network_ns DESC, g.name
LIMIT 10""",
}


def duckdb_views(con, out_dir):
    """Opens each table of OUT_DIR as a DuckDB view, with the `trace` column of the layout
    (a string: a hex ID of digits alone must not become a number)."""
    for t in TABLES:
        con.execute(
            f"CREATE OR REPLACE VIEW {t} AS SELECT * FROM read_parquet("
            f"'{out_dir}/{t}/*/*.parquet', hive_partitioning = true, hive_types_autocast = false)"
        )


def spark_views(spark, out_dir):
    """Opens each table of OUT_DIR as a Spark view; Spark finds the `trace` partitions (as
    strings: a hex ID of digits alone must not become a number)."""
    spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
    for t in TABLES:
        spark.read.parquet(f"{out_dir}/{t}").createOrReplaceTempView(t)
