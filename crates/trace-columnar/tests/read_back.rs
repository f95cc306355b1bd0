//! What the exporter writes, read back with the `parquet` crate's reader, against what the
//! workspace computes of the same traces: every event in order with its stack's frames, the
//! goroutine summary, the four profiles with their stacks, the trace's row; on traces of v1
//! and v2 formats, in row groups small enough that there are many, on one thread and on more.

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use trace_columnar::{export_file, Options, TraceId};
use trace_model::{Reader, Summary};
use trace_pprof::{compute, Filter, ProfileKind};

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/traces")
        .join(rel)
}

/// A fresh directory under the system's temporary one, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "trace-columnar-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A table's rows, each as its columns by name; and how many row groups held them.
fn read_table(out: &Path, table: &str, id: TraceId) -> (Vec<HashMap<String, Field>>, usize) {
    let path = out
        .join(table)
        .join(format!("trace={id}"))
        .join("part-0.parquet");
    let reader = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
    let groups = reader.metadata().num_row_groups();
    let rows = reader
        .get_row_iter(None)
        .unwrap()
        .map(|r| {
            r.unwrap()
                .get_column_iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .collect();
    (rows, groups)
}

fn long(row: &HashMap<String, Field>, col: &str) -> Option<i64> {
    match row.get(col) {
        Some(Field::Long(v)) => Some(*v),
        Some(Field::TimestampMicros(v)) => Some(*v),
        Some(Field::Null) => None,
        other => panic!("{col}: {other:?}"),
    }
}

fn string(row: &HashMap<String, Field>, col: &str) -> Option<String> {
    match row.get(col) {
        Some(Field::Str(v)) => Some(v.clone()),
        Some(Field::Null) => None,
        other => panic!("{col}: {other:?}"),
    }
}

fn map(row: &HashMap<String, Field>, col: &str) -> BTreeMap<String, i64> {
    match row.get(col) {
        Some(Field::MapInternal(m)) => m
            .entries()
            .iter()
            .map(|(k, v)| match (k, v) {
                (Field::Str(k), Field::Long(v)) => (k.clone(), *v),
                other => panic!("{col}: {other:?}"),
            })
            .collect(),
        other => panic!("{col}: {other:?}"),
    }
}

/// A frame as compared: PC, function, file, line.
type Frame = (i64, String, String, i64);

/// The frames of every stack of the `stacks` table, innermost first.
fn stacks(out: &Path, id: TraceId) -> HashMap<i64, Vec<Frame>> {
    let (rows, _) = read_table(out, "stacks", id);
    let mut by_id: HashMap<i64, BTreeMap<i64, Frame>> = HashMap::new();
    for r in &rows {
        let frame = (
            long(r, "pc").unwrap(),
            string(r, "function").unwrap(),
            string(r, "file").unwrap(),
            long(r, "line").unwrap(),
        );
        let depth = long(r, "depth").unwrap();
        let prev = by_id
            .entry(long(r, "stack_id").unwrap())
            .or_default()
            .insert(depth, frame);
        assert!(prev.is_none(), "a stack's frame written twice");
    }
    by_id
        .into_iter()
        .map(|(id, frames)| {
            // Depths run from 0 without a gap.
            assert!(frames.keys().copied().eq(0..frames.len() as i64));
            (id, frames.into_values().collect())
        })
        .collect()
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn frames_of(stack: &trace_model::Stack<'_>) -> Vec<Frame> {
    stack
        .frames()
        .map(|f| (f.pc as i64, lossy(f.func), lossy(f.file), f.line as i64))
        .collect()
}

/// The frames of a stack ID: none for a stack without frames.
fn frames(stacks: &HashMap<i64, Vec<Frame>>, id: i64) -> Vec<Frame> {
    stacks.get(&id).cloned().unwrap_or_default()
}

fn check_trace(rel: &str, opts: &Options) {
    let path = testdata(rel);
    let bytes = std::fs::read(&path).unwrap();
    let dir = TempDir::new("read-back");
    let out = &dir.0;
    let done = export_file(&path, out, opts).unwrap();
    assert_eq!(done.id, TraceId::of(&bytes));
    assert_eq!(done.size, bytes.len() as u64);
    let stacks = stacks(out, done.id);

    // Every event, in order, with its stack.
    let (rows, groups) = read_table(out, "events", done.id);
    let mut reader = Reader::new(&bytes).unwrap();
    let mut n = 0;
    let mut syncs = 0;
    while let Some(ev) = reader.next_event().unwrap() {
        let r = rows
            .get(n)
            .unwrap_or_else(|| panic!("{rel}: fewer rows than events"));
        let at = format!("{rel}: event {n} ({ev})");
        assert_eq!(long(r, "time"), Some(ev.time()), "{at}");
        assert_eq!(string(r, "kind").as_deref(), Some(ev.kind().name()), "{at}");
        assert_eq!(string(r, "event").as_deref(), Some(ev.wire_name()), "{at}");
        let id = |v: i64| (v != -1).then_some(v);
        assert_eq!(long(r, "m"), id(ev.thread()), "{at}");
        assert_eq!(long(r, "p"), id(ev.proc()), "{at}");
        assert_eq!(long(r, "g"), id(ev.goroutine()), "{at}");
        let stack = ev.stack();
        match long(r, "stack_id") {
            None => assert!(stack.is_none(), "{at}"),
            Some(s) => assert_eq!(frames(&stacks, s), frames_of(&stack), "{at}"),
        }
        if let Some(st) = ev.state_transition() {
            let (from, to) = st
                .goroutine()
                .map(|(a, b)| (a.name(), b.name()))
                .or_else(|| st.proc().map(|(a, b)| (a.name(), b.name())))
                .unwrap();
            assert_eq!(string(r, "from_state").as_deref(), Some(from), "{at}");
            assert_eq!(string(r, "to_state").as_deref(), Some(to), "{at}");
            assert_eq!(long(r, "resource_id"), Some(st.resource.id), "{at}");
            let reason = (!st.reason.is_empty()).then(|| lossy(st.reason));
            assert_eq!(string(r, "reason"), reason, "{at}");
            match long(r, "transition_stack_id") {
                None => assert!(st.stack.is_none(), "{at}"),
                Some(s) => assert_eq!(frames(&stacks, s), frames_of(&st.stack), "{at}"),
            }
        } else {
            assert_eq!(string(r, "from_state"), None, "{at}");
        }
        if let Some(range) = ev.range() {
            assert_eq!(string(r, "range_name"), Some(lossy(&range.name)), "{at}");
        }
        if let Some(l) = ev.log() {
            assert_eq!(string(r, "log_message"), Some(lossy(l.message)), "{at}");
            assert_eq!(long(r, "task_id"), Some(l.task as i64), "{at}");
        }
        if let Some(m) = ev.metric() {
            assert_eq!(string(r, "metric_name").as_deref(), Some(m.name), "{at}");
            assert_eq!(long(r, "metric_value"), Some(m.value as i64), "{at}");
        }
        if let Some(s) = ev.sync() {
            assert_eq!(long(r, "sync_n"), Some(s.n as i64), "{at}");
            syncs += 1;
        }
        n += 1;
    }
    assert_eq!(rows.len(), n, "{rel}: more rows than events");
    assert_eq!(done.events, n as u64);
    let want_groups = n.div_ceil(opts.row_group_rows);
    assert_eq!(groups, want_groups, "{rel}: row groups");

    // The goroutine summary.
    let summary = Summary::of(Reader::new(&bytes).unwrap()).unwrap();
    let (rows, _) = read_table(out, "goroutines", done.id);
    assert_eq!(rows.len(), summary.goroutines.len(), "{rel}");
    for (r, g) in rows.iter().zip(summary.goroutines.values()) {
        assert_eq!(long(r, "goroutine_id"), Some(g.id), "{rel}");
        assert_eq!(string(r, "name"), Some(lossy(&g.name)), "{rel}");
        assert_eq!(long(r, "exec_ns"), Some(g.stats.exec), "{rel}");
        assert_eq!(long(r, "sched_wait_ns"), Some(g.stats.sched_wait), "{rel}");
        assert_eq!(long(r, "total_ns"), Some(g.stats.total), "{rel}");
        assert_eq!(long(r, "start_ns"), g.start, "{rel}");
        let block: BTreeMap<String, i64> =
            g.stats.block.iter().map(|(k, v)| (lossy(k), v)).collect();
        assert_eq!(map(r, "block_by_reason"), block, "{rel}");
        let ranges: BTreeMap<String, i64> = g
            .stats
            .range_time
            .iter()
            .map(|(k, v)| (lossy(k), v))
            .collect();
        assert_eq!(map(r, "range_ns"), ranges, "{rel}");
    }
    let (regions, _) = read_table(out, "regions", done.id);
    assert_eq!(regions.len(), summary.regions.len(), "{rel}");
    let (tasks, _) = read_table(out, "tasks", done.id);
    assert_eq!(tasks.len(), summary.tasks.len(), "{rel}");

    // The four profiles, stack by stack.
    let (rows, _) = read_table(out, "profile_samples", done.id);
    for kind in ProfileKind::ALL {
        let records = compute(&mut Reader::new(&bytes).unwrap(), kind, &Filter::default()).unwrap();
        let mut want: Vec<(Vec<Frame>, i64, i64)> = records
            .iter()
            .map(|rec| {
                let frames = rec
                    .stack
                    .iter()
                    .map(|f| (f.pc as i64, lossy(&f.func), lossy(&f.file), f.line as i64))
                    .collect();
                (frames, rec.count as i64, rec.time)
            })
            .collect();
        let mut got: Vec<(Vec<Frame>, i64, i64)> = rows
            .iter()
            .filter(|r| string(r, "kind").as_deref() == Some(kind.name()))
            .map(|r| {
                let id = long(r, "stack_id").unwrap();
                (
                    frames(&stacks, id),
                    long(r, "count").unwrap(),
                    long(r, "delay_ns").unwrap(),
                )
            })
            .collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{rel}: {kind:?} profile");
    }

    // The trace's row.
    let (rows, _) = read_table(out, "traces", done.id);
    assert_eq!(rows.len(), 1);
    let t = &rows[0];
    assert_eq!(string(t, "file"), Some(path.to_string_lossy().into_owned()));
    assert_eq!(long(t, "events"), Some(n as i64));
    assert_eq!(long(t, "generations"), Some(syncs - 1));
    assert_eq!(long(t, "size_bytes"), Some(bytes.len() as i64));
    assert_eq!(long(t, "goroutines"), Some(summary.goroutines.len() as i64));
    let version = std::str::from_utf8(&bytes[..7]).unwrap().replace(' ', "");
    assert_eq!(string(t, "go_version"), Some(version), "{rel}");
    let (pauses, _) = read_table(out, "stw_pauses", done.id);
    let stw: i64 = pauses.iter().filter_map(|p| long(p, "duration_ns")).sum();
    assert_eq!(long(t, "stw_ns"), Some(stw), "{rel}");

    // Nothing else under the output directory: the staging directory is gone.
    let mut entries: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    let mut tables: Vec<&str> = trace_columnar::TABLES.iter().map(|t| t.name).collect();
    tables.sort();
    assert_eq!(entries, tables);
}

fn small_groups(threads: usize) -> Options {
    let mut o = Options::default();
    o.row_group_rows = 97;
    o.threads = threads;
    o
}

#[test]
fn v1_traces_read_back() {
    for rel in ["go1.19/annotations.trace", "go1.21.13/gc.trace"] {
        check_trace(rel, &small_groups(2));
    }
}

#[test]
fn v2_traces_read_back_on_two_threads() {
    for rel in [
        "go1.22.10/net.trace",
        "go1.25.5/flightrecorder.trace",
        "go1.27.3/annotations.trace",
        "go1.27.3/cpuprof.trace",
    ] {
        check_trace(rel, &small_groups(2));
    }
}

#[test]
fn v2_traces_read_back_on_one_thread() {
    for rel in ["go1.26.6/mutex.trace", "go1.27.3/generations.trace"] {
        check_trace(rel, &small_groups(1));
    }
}

/// A Go 1.25+ trace's wall clock: its first clock snapshot, moved back to the first event.
#[test]
fn wall_clock_start() {
    let path = testdata("go1.25.5/flightrecorder.trace");
    let dir = TempDir::new("wall");
    let done = export_file(&path, &dir.0, &Options::default()).unwrap();
    let (rows, _) = read_table(&dir.0, "traces", done.id);
    let ns = long(&rows[0], "wall_start_unix_ns").unwrap();
    let micros = long(&rows[0], "wall_start").unwrap();
    assert_eq!(micros, ns.div_euclid(1000));
    // The trace was written in 2026.
    assert!(
        (1_767_225_600_000_000_000..1_798_761_600_000_000_000).contains(&ns),
        "{ns}"
    );
    // No clock before Go 1.25.
    let done = export_file(
        &testdata("go1.23.9/chan.trace"),
        &dir.0,
        &Options::default(),
    )
    .unwrap();
    let (rows, _) = read_table(&dir.0, "traces", done.id);
    assert_eq!(long(&rows[0], "wall_start"), None);
}

/// The trace ID is XXH3-128, as `xxhsum -H2` prints it.
#[test]
fn trace_id_is_xxh3_128() {
    assert_eq!(
        TraceId::of(b"").to_string(),
        "99aa06d3014798d86001c324468d497f"
    );
    let bytes = std::fs::read(testdata("go1.19/annotations.trace")).unwrap();
    assert_eq!(
        TraceId::of(&bytes).to_string(),
        "5984c389129794a6e7d8ffd4d0a25743"
    );
}

/// A trace cut short or not a trace at all: an error, and nothing written; one exported
/// twice: the same tables, replaced.
#[test]
fn failures_leave_nothing_and_exports_replace() {
    let dir = TempDir::new("fail");
    let bytes = std::fs::read(testdata("go1.27.3/chan.trace")).unwrap();
    let cut = dir.0.join("cut.trace");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let junk = dir.0.join("junk.trace");
    std::fs::write(&junk, b"not a trace at all").unwrap();
    let out = dir.0.join("out");
    for bad in [&cut, &junk, &dir.0.join("missing.trace")] {
        assert!(export_file(bad, &out, &Options::default()).is_err());
    }
    // Only the (empty) output directory.
    let left: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");

    let good = testdata("go1.27.3/chan.trace");
    let a = export_file(&good, &out, &Options::default()).unwrap();
    let b = export_file(&good, &out, &Options::default()).unwrap();
    assert_eq!(a, b);
    let traces: Vec<_> = std::fs::read_dir(out.join("events")).unwrap().collect();
    assert_eq!(traces.len(), 1);
}

/// Traces cut anywhere or with bytes changed: exported or refused, never a panic, and a
/// refused one leaves nothing behind.
#[test]
fn damaged_traces_are_exported_or_refused() {
    let dir = TempDir::new("damaged");
    let out = dir.0.join("out");
    let (mut ok, mut refused) = (0, 0);
    for rel in ["go1.21.13/chan.trace", "go1.27.3/annotations.trace"] {
        let bytes = std::fs::read(testdata(rel)).unwrap();
        for i in 1..24 {
            let mut damaged = bytes.clone();
            let at = bytes.len() * i / 24;
            if i % 2 == 0 {
                damaged.truncate(at);
            } else {
                damaged[at] ^= 0x5a;
            }
            let path = dir.0.join("damaged.trace");
            std::fs::write(&path, &damaged).unwrap();
            let mut opts = Options::default();
            opts.row_group_rows = 50;
            match export_file(&path, &out, &opts) {
                Ok(done) => {
                    assert_eq!(done.id, TraceId::of(&damaged));
                    ok += 1;
                }
                Err(_) => refused += 1,
            }
            let staging = std::fs::read_dir(&out)
                .unwrap()
                .filter(|e| {
                    let name = e.as_ref().unwrap().file_name();
                    name.to_string_lossy().starts_with('.')
                })
                .count();
            assert_eq!(staging, 0, "{rel} damaged at {at}");
        }
    }
    assert!(ok > 0 && refused > 0, "{ok} exported, {refused} refused");
}
