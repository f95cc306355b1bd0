"""Checks an exported directory with DuckDB against our own numbers and Go's.

Usage: columnar_check.py OUT_DIR EXAMPLES_DIR TRACE...

OUT_DIR holds what `trace-export --parquet OUT_DIR TRACE...` wrote. For each trace, DuckDB's
sums over the Parquet tables must equal:

- events: the count and the count of each kind that Go's reader gives (`.events.golden`,
  Go's Event.String() of each event), and the generations (Sync events less one);
- goroutines: per group (start function), the goroutines, and the sums of their total,
  exec, sched_wait, syscall and syscall_block times, of their blocked time by reason and of
  their time in ranges by name, as `trace-goroutines --json` gives them (and the same of
  Go's summary, `.goroutines.golden`);
- profiles: per kind, each sample's stack (its PCs) with its count and delay, and the totals,
  as in Go's `go tool trace -pprof` profiles (`.KIND.pprof.golden`), which `trace2pprof`
  reproduces sample for sample;
- the `traces` row: file, size, events, goroutines, and ID (XXH3-128 of the bytes, checked
  by the Rust tests) appearing in every table.

Then it runs the README's queries and checks the README still quotes them. Exit 1 on any
difference, naming it.
"""

import collections
import gzip
import json
import os
import subprocess
import sys

import duckdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import columnar_queries  # noqa: E402

PROFILE_KINDS = ["net", "sync", "syscall", "sched"]


def varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def fields(buf):
    """The fields of a protocol buffer message: (number, wire type, value)."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(buf, i)
        elif wt == 2:
            n, i = varint(buf, i)
            v = buf[i : i + n]
            i += n
        elif wt == 1:
            v = int.from_bytes(buf[i : i + 8], "little")
            i += 8
        elif wt == 5:
            v = int.from_bytes(buf[i : i + 4], "little")
            i += 4
        else:
            raise ValueError(f"wire type {wt}")
        yield num, wt, v


def repeated_ints(wt, v):
    """A repeated integer field's values: packed (wire type 2) or one."""
    if wt != 2:
        return [v]
    out, i = [], 0
    while i < len(v):
        x, i = varint(v, i)
        out.append(x)
    return out


def signed(x):
    return x - (1 << 64) if x >= 1 << 63 else x


def pprof_samples(path):
    """A profile.proto's samples: (PCs of the stack as signed 64-bit, count, delay)."""
    data = open(path, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    addresses, samples = {}, []
    for num, wt, v in fields(data):
        if num == 2:  # Sample
            locs, values = [], []
            for n, w, x in fields(v):
                if n == 1:
                    locs += repeated_ints(w, x)
                elif n == 2:
                    values += [signed(y) for y in repeated_ints(w, x)]
            samples.append((locs, values))
        elif num == 4:  # Location
            loc = dict((n, x) for n, _, x in fields(v) if n in (1, 3))
            addresses[loc.get(1, 0)] = signed(loc.get(3, 0))
    return sorted(
        (tuple(addresses[l] for l in locs), values[0], values[1]) for locs, values in samples
    )


def go_events(golden):
    """Go's events of a trace: count by kind."""
    kinds = collections.Counter()
    for line in open(golden, encoding="utf-8", errors="replace"):
        if line.startswith("M="):
            kinds[line.split(" ")[3]] += 1
    return kinds


def groups_of_json_lines(lines):
    """Goroutine summaries (trace-goroutines --json lines) summed per group."""
    groups = {}
    for line in lines:
        g = json.loads(line)
        s = groups.setdefault(
            g["name"],
            {
                "count": 0,
                "total": 0,
                "exec": 0,
                "sched_wait": 0,
                "syscall": 0,
                "syscall_block": 0,
                "block": collections.Counter(),
                "range_time": collections.Counter(),
            },
        )
        s["count"] += 1
        for k in ("total", "exec", "sched_wait", "syscall", "syscall_block"):
            s[k] += g[k]
        for k, v in g["block"].items():
            s["block"][k] += v
        for k, v in g["range_time"].items():
            s["range_time"][k] += v
    return groups


class Checker:
    def __init__(self):
        self.failures = []
        self.checks = 0

    def eq(self, what, got, want):
        self.checks += 1
        if got != want:
            self.failures.append(f"{what}:\n    DuckDB: {got!r}\n    want:   {want!r}")


def main():
    out_dir, examples, traces = sys.argv[1], sys.argv[2], sys.argv[3:]
    con = duckdb.connect()
    columnar_queries.duckdb_views(con, out_dir)
    c = Checker()

    by_file = {
        f: (t, events, gens, gs, size)
        for f, t, events, gens, gs, size in con.execute(
            "SELECT file, trace, events, generations, goroutines, size_bytes FROM traces"
        ).fetchall()
    }
    c.eq("traces exported", sorted(by_file), sorted(traces))

    # Every table has a file for every trace (if empty), so the layout is complete.
    for table in columnar_queries.TABLES:
        ids = {r[0] for r in con.execute(f"SELECT DISTINCT trace FROM {table}").fetchall()}
        files = {
            d.removeprefix("trace=") for d in os.listdir(os.path.join(out_dir, table))
        }
        c.eq(f"{table}: trace directories", files, {t for t, *_ in by_file.values()})
        c.eq(f"{table}: traces with rows are exported traces", ids - files, set())

    kinds = collections.defaultdict(collections.Counter)
    for t, kind, n in con.execute("SELECT trace, kind, count(*) FROM events GROUP BY ALL").fetchall():
        kinds[t][kind] = n
    goroutine_count = dict(
        con.execute("SELECT trace, count(*) FROM goroutines GROUP BY ALL").fetchall()
    )

    groups = collections.defaultdict(dict)
    for t, name, n, total, exec_, sched, sys_, sys_block in con.execute(
        """SELECT trace, name, count(*), sum(total_ns), sum(exec_ns), sum(sched_wait_ns),
                  sum(syscall_ns), sum(syscall_block_ns)
           FROM goroutines GROUP BY ALL"""
    ).fetchall():
        groups[t][name] = {
            "count": n,
            "total": int(total),
            "exec": int(exec_),
            "sched_wait": int(sched),
            "syscall": int(sys_),
            "syscall_block": int(sys_block),
            "block": collections.Counter(),
            "range_time": collections.Counter(),
        }
    for col, key in (("block_by_reason", "block"), ("range_ns", "range_time")):
        for t, name, k, v in con.execute(
            f"""SELECT trace, name, e.key, sum(e.value) FROM (
                  SELECT trace, name, unnest(map_entries({col})) AS e FROM goroutines)
                GROUP BY ALL"""
        ).fetchall():
            groups[t][name][key][k] = int(v)

    profiles = collections.defaultdict(list)
    for t, kind, pcs, count, delay in con.execute(
        """SELECT p.trace, p.kind,
                  list(s.pc ORDER BY s.depth) FILTER (WHERE s.pc IS NOT NULL),
                  p.count, p.delay_ns
           FROM profile_samples p
           LEFT JOIN stacks s ON s.trace = p.trace AND s.stack_id = p.stack_id
           GROUP BY p.trace, p.kind, p.stack_id, p.count, p.delay_ns"""
    ).fetchall():
        profiles[(t, kind)].append((tuple(pcs or ()), count, delay))

    golden_groups_equal = 0
    samples_checked = 0
    for path in traces:
        if path not in by_file:
            continue
        t, events, gens, gs, size = by_file[path]
        base = path.removesuffix(".trace")
        c.eq(f"{path}: size", size, os.path.getsize(path))

        want = go_events(base + ".events.golden")
        c.eq(f"{path}: events by kind", dict(kinds[t]), dict(want))
        c.eq(f"{path}: traces.events", events, sum(want.values()))
        c.eq(f"{path}: traces.generations", gens, want["Sync"] - 1)

        ours = subprocess.run(
            [os.path.join(examples, "trace-goroutines"), "--json", path],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.splitlines()
        c.eq(f"{path}: goroutine groups", groups[t], groups_of_json_lines(ours))
        c.eq(f"{path}: traces.goroutines", gs, len(ours))
        c.eq(f"{path}: goroutine rows", goroutine_count.get(t, 0), len(ours))
        golden = open(base + ".goroutines.golden", encoding="utf-8").read().splitlines()
        if groups_of_json_lines(golden) == groups[t]:
            golden_groups_equal += 1

        for kind in PROFILE_KINDS:
            want = pprof_samples(f"{base}.{kind}.pprof.golden")
            got = sorted(profiles.get((t, kind), []))
            c.eq(f"{path}: {kind} profile samples", got, want)
            c.eq(
                f"{path}: {kind} totals",
                (sum(s[1] for s in got), sum(s[2] for s in got)),
                (sum(s[1] for s in want), sum(s[2] for s in want)),
            )
            samples_checked += len(want)

    # The README's queries run, and the README quotes them as they are.
    readme = open(os.path.join(os.path.dirname(__file__), "..", "README.md")).read()
    for name, sql in columnar_queries.QUERIES.items():
        rows = con.execute(sql).fetchall()
        c.eq(f"README query {name} has rows", len(rows) > 0, True)
        c.eq(f"README quotes query {name}", sql in readme, True)

    print(
        f"columnar check: {len(traces)} traces, {samples_checked} profile samples, "
        f"{c.checks} comparisons; Go's own goroutine summary agrees for "
        f"{golden_groups_equal} of {len(traces)} traces"
    )
    if c.failures:
        for f in c.failures:
            print("FAIL", f, file=sys.stderr)
        print(f"{len(c.failures)} failed, {c.checks - len(c.failures)} passed")
        sys.exit(1)
    print(f"{c.checks} passed, 0 failed")


if __name__ == "__main__":
    main()
