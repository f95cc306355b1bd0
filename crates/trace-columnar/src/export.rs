//! One trace, one pass: the events, the stacks, the summaries and the four profiles are fed
//! together, then every table is moved into place under the trace's ID.

use crate::columns::{rows, TableFile, WriteOptions};
use crate::events::{self, EventRows};
use crate::schema::{self, TableSpec};
use crate::stacks::{StackRows, Stacks};
use crate::{Error, Options, TraceId};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use trace_model::gc::{GcAnalyzer, GcSummary};
use trace_model::summary::ExecStats;
use trace_model::{Event, EventKind, EventSink, Reader, Summarizer, Summary, Time};
use trace_pprof::{Filter, ProfileKind, Profiler};
use twox_hash::XxHash3_128;

rows!(
    /// The `traces` table's buffers.
    TraceRows {
        file: Str::required,
        go_version: Str::required,
        size_bytes: I64::required,
        events: I64::required,
        generations: I64::required,
        goroutines: I64::required,
        first_time_ns: I64::optional,
        last_time_ns: I64::optional,
        duration_ns: I64::required,
        wall_start: I64::optional,
        wall_start_unix_ns: I64::optional,
        gc_cycles: I64::required,
        stw_ns: I64::required,
    }
);

rows!(
    /// The `goroutines` table's buffers.
    GoroutineRows {
        goroutine_id: I64::required,
        name: Str::required,
        is_system: Bool::required,
        pc: I64::required,
        creation_ns: I64::optional,
        start_ns: I64::optional,
        end_ns: I64::optional,
        total_ns: I64::required,
        exec_ns: I64::required,
        sched_wait_ns: I64::required,
        syscall_ns: I64::required,
        syscall_block_ns: I64::required,
        block_ns: I64::required,
        unknown_ns: I64::required,
        block_by_reason: MapStrI64::required,
        range_ns: MapStrI64::required,
        regions: I64::required,
    }
);

rows!(
    /// The `regions` table's buffers.
    RegionRows {
        goroutine_id: I64::required,
        task_id: I64::required,
        region_type: Str::required,
        start_ns: I64::optional,
        end_ns: I64::optional,
        total_ns: I64::required,
        exec_ns: I64::required,
        sched_wait_ns: I64::required,
        syscall_ns: I64::required,
        syscall_block_ns: I64::required,
        block_ns: I64::required,
        unknown_ns: I64::required,
        block_by_reason: MapStrI64::required,
        range_ns: MapStrI64::required,
    }
);

rows!(
    /// The `tasks` table's buffers.
    TaskRows {
        task_id: I64::required,
        task_type: Str::required,
        parent_task_id: I64::optional,
        start_ns: I64::optional,
        end_ns: I64::optional,
        duration_ns: I64::optional,
        children: I64::required,
        goroutines: I64::required,
        regions: I64::required,
        logs: I64::required,
    }
);

rows!(
    /// The `gc_cycles` table's buffers.
    GcRows {
        n: I64::required,
        start_ns: I64::optional,
        mark_end_ns: I64::optional,
        end_ns: I64::optional,
        pauses: I64::required,
        stw_ns: I64::required,
        assists: I64::required,
        assist_ns: I64::required,
        heap_before_bytes: I64::optional,
        heap_peak_bytes: I64::optional,
        heap_after_bytes: I64::optional,
        heap_goal_bytes: I64::optional,
    }
);

rows!(
    /// The `stw_pauses` table's buffers.
    PauseRows {
        reason: Str::required,
        start_ns: I64::required,
        end_ns: I64::optional,
        duration_ns: I64::optional,
        gc_cycle: I64::optional,
    }
);

rows!(
    /// The `profile_samples` table's buffers.
    ProfileRows {
        kind: StaticStr::required,
        stack_id: I64::required,
        count: I64::required,
        delay_ns: I64::required,
    }
);

/// What was exported of one trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// The trace's ID: the XXH3-128 hash of its bytes, its directory `trace=ID`.
    pub id: TraceId,
    /// Its size in bytes.
    pub size: u64,
    /// Rows of `events`.
    pub events: u64,
    /// Goroutines of its summary: rows of `goroutines`.
    pub goroutines: u64,
    /// With [`Options::salvage`], of a broken trace: what salvage dropped (its
    /// [`SalvageReport`](trace_model::SalvageReport), as text).
    pub salvage: Option<String>,
}

/// Counts, times and the wall clock of the trace, for the `traces` row.
#[derive(Debug, Default)]
struct Totals {
    events: u64,
    syncs: u64,
    first: Option<Time>,
    last: Time,
    /// The first clock snapshot: trace time, wall clock in nanoseconds since the epoch.
    clock: Option<(Time, i128)>,
}

impl Totals {
    #[inline]
    fn add(&mut self, ev: &Event) {
        self.events += 1;
        let t = ev.time();
        self.first.get_or_insert(t);
        self.last = t;
        if ev.kind() == EventKind::Sync {
            self.syncs += 1;
            if self.clock.is_none() {
                if let Some(c) = ev.sync().and_then(|s| s.clock_snapshot) {
                    let wall = i128::from(c.wall_sec) * 1_000_000_000 + i128::from(c.wall_nsec);
                    self.clock = Some((c.trace, wall));
                }
            }
        }
    }

    /// Wall-clock nanoseconds since the epoch of the first event.
    fn wall_start(&self) -> Option<i64> {
        let (trace, wall) = self.clock?;
        let first = self.first?;
        let start = wall - (i128::from(trace) - i128::from(first));
        i64::try_from(start).ok()
    }
}

/// The sinks of the pass: the events and stacks tables, the analyses and the totals. Writing
/// fails only on I/O; the first error stops the rows and is reported at the end.
struct Pass {
    events: TableFile<EventRows>,
    stacks: Stacks,
    summary: Summarizer,
    gc: GcAnalyzer,
    profiles: [Profiler; 4],
    totals: Totals,
    error: Option<Error>,
}

impl EventSink for Pass {
    #[inline]
    fn event(&mut self, ev: &Event) {
        self.totals.add(ev);
        self.summary.event(ev);
        self.gc.event(ev);
        for p in &mut self.profiles {
            p.event(ev);
        }
        if self.error.is_none() {
            if let Err(e) = events::push(&mut self.events, &mut self.stacks, ev) {
                self.error = Some(e);
            }
        }
    }
}

/// A reader that hashes what passes through it and counts it.
struct HashRead<R> {
    inner: R,
    hasher: XxHash3_128,
    len: u64,
}

impl<R: Read> Read for HashRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let read = buf.get(..n).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "reader overran its buffer")
        })?;
        self.hasher.write(read);
        self.len += n as u64;
        Ok(n)
    }
}

/// A directory under the output directory, private to this export until its tables move into
/// place; removed when dropped.
struct Staging {
    dir: PathBuf,
}

impl Staging {
    fn new(out_dir: &Path) -> Result<Staging, Error> {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        // A dot: DuckDB's globs and Spark skip it.
        let dir = out_dir.join(format!(".staging-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Staging { dir })
    }

    /// The file of `table`, its directory made.
    fn file(&self, table: &TableSpec) -> Result<PathBuf, Error> {
        let dir = self.dir.join(table.name);
        std::fs::create_dir_all(&dir)?;
        Ok(dir.join("part-0.parquet"))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Nothing to do about a failure to clean up: the directory's name says what it was.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn write_opts(opts: &Options) -> WriteOptions {
    WriteOptions {
        row_group_rows: opts.row_group_rows,
        compression: opts.compression.parquet(),
        threaded: false,
    }
}

/// Exports the trace at `path` into `out_dir`: see the crate's docs.
pub fn export_file(path: &Path, out_dir: &Path, opts: &Options) -> Result<Exported, Error> {
    let file = std::fs::File::open(path)?;
    export_read(&path.to_string_lossy(), file, out_dir, opts)
}

/// Exports a trace read from `r` into `out_dir`, recording `name` as its file name. Nothing
/// appears under `out_dir` unless every table was written; then the tables of an earlier
/// export of the same trace (same ID) are replaced.
pub fn export_read<R: Read + Send>(
    name: &str,
    r: R,
    out_dir: &Path,
    opts: &Options,
) -> Result<Exported, Error> {
    let staging = Staging::new(out_dir)?;
    let w = write_opts(opts);
    let mut pass = Pass {
        // The one large table: its row groups are encoded on a thread of their own.
        events: TableFile::<EventRows>::create(
            &staging.file(&schema::EVENTS)?,
            &schema::EVENTS,
            &WriteOptions {
                threaded: opts.threads > 1,
                ..w.clone()
            },
        )?,
        stacks: Stacks::new(TableFile::<StackRows>::create(
            &staging.file(&schema::STACKS)?,
            &schema::STACKS,
            &w,
        )?),
        summary: Summarizer::new(),
        gc: GcAnalyzer::new(),
        profiles: ProfileKind::ALL.map(|k| Profiler::new(k, Filter::default())),
        totals: Totals::default(),
        error: None,
    };
    let mut input = HashRead {
        inner: r,
        hasher: XxHash3_128::new(),
        len: 0,
    };
    let (version, salvage) = {
        let mut reader = if opts.salvage {
            Reader::from_read_salvage(&mut input)?
        } else {
            Reader::from_read(&mut input)?
        };
        if opts.threads > 1 {
            reader.feed_pipelined(&mut pass)?;
        } else {
            reader.feed(&mut pass)?;
        }
        let salvage = reader.salvage_report().filter(|r| !r.is_whole());
        (reader.version(), salvage.map(|r| r.to_string()))
    };
    // The ID is the hash of every byte, read or not.
    std::io::copy(&mut input, &mut std::io::sink())?;
    let id = TraceId(input.hasher.finish_128());
    let size = input.len;
    if let Some(e) = pass.error.take() {
        return Err(e);
    }
    let Pass {
        events,
        mut stacks,
        summary,
        gc,
        profiles,
        totals,
        ..
    } = pass;
    events.finish()?;
    let summary = summary.finish();
    let gc = gc.finish();
    write_profiles(&staging, &w, profiles, &mut stacks)?;
    stacks.file.finish()?;
    write_goroutines(&staging, &w, &summary)?;
    write_regions(&staging, &w, &summary)?;
    write_tasks(&staging, &w, &summary)?;
    write_gc(&staging, &w, &gc)?;

    let mut t =
        TableFile::<TraceRows>::create(&staging.file(&schema::TRACES)?, &schema::TRACES, &w)?;
    let r = t.cols();
    r.file.push(name.as_bytes());
    r.go_version
        .push(format!("go1.{}", version.minor()).as_bytes());
    r.size_bytes.push(i64::try_from(size).unwrap_or(i64::MAX));
    r.events.push(count(totals.events));
    r.generations.push(count(totals.syncs.saturating_sub(1)));
    r.goroutines.push(count(summary.goroutines.len() as u64));
    r.first_time_ns.push_opt(totals.first);
    r.last_time_ns.push_opt(totals.first.map(|_| totals.last));
    r.duration_ns
        .push(totals.first.map_or(0, |f| totals.last.wrapping_sub(f)));
    let wall = totals.wall_start();
    r.wall_start.push_opt(wall.map(|ns| ns.div_euclid(1000)));
    r.wall_start_unix_ns.push_opt(wall);
    r.gc_cycles.push(count(gc.cycles.len() as u64));
    r.stw_ns.push(gc.stw_time());
    t.end_row()?;
    t.finish()?;

    publish(&staging, out_dir, id)?;
    Ok(Exported {
        id,
        size,
        events: totals.events,
        goroutines: summary.goroutines.len() as u64,
        salvage,
    })
}

/// A count as a BIGINT.
fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Moves each table's file to `OUT_DIR/TABLE/trace=ID/`, replacing an earlier export of the
/// same trace; `traces` last, so a trace listed there has all its tables.
fn publish(staging: &Staging, out_dir: &Path, id: TraceId) -> Result<(), Error> {
    let mut tables: Vec<&TableSpec> = schema::TABLES.to_vec();
    tables.sort_by_key(|t| t.name == schema::TRACES.name);
    for table in tables {
        let parent = out_dir.join(table.name);
        std::fs::create_dir_all(&parent)?;
        let dest = parent.join(format!("trace={id}"));
        if dest.exists() {
            std::fs::remove_dir_all(&dest)?;
        }
        std::fs::rename(staging.dir.join(table.name), &dest)?;
    }
    Ok(())
}

fn write_profiles(
    staging: &Staging,
    w: &WriteOptions,
    profiles: [Profiler; 4],
    stacks: &mut Stacks,
) -> Result<(), Error> {
    let spec = &schema::PROFILE_SAMPLES;
    let mut t = TableFile::<ProfileRows>::create(&staging.file(spec)?, spec, w)?;
    for p in profiles {
        let kind = p.kind().name();
        for rec in p.finish()? {
            let id = stacks.intern(|| {
                rec.stack
                    .iter()
                    .map(|f| (f.pc, &f.func[..], &f.file[..], f.line))
            })?;
            let r = t.cols();
            r.kind.push(kind);
            r.stack_id.push(id);
            r.count.push(count(rec.count));
            r.delay_ns.push(rec.time);
            t.end_row()?;
        }
    }
    t.finish()
}

/// The times of a goroutine or region, in the columns the two tables share.
macro_rules! push_stats {
    ($r:expr, $s:expr) => {{
        let s: &ExecStats = $s;
        $r.total_ns.push(s.total);
        $r.exec_ns.push(s.exec);
        $r.sched_wait_ns.push(s.sched_wait);
        $r.syscall_ns.push(s.syscall);
        $r.syscall_block_ns.push(s.syscall_block);
        $r.block_ns.push(s.block.total());
        $r.unknown_ns.push(s.unknown());
        $r.block_by_reason.push(s.block.iter());
        $r.range_ns.push(s.range_time.iter());
    }};
}

fn write_goroutines(staging: &Staging, w: &WriteOptions, s: &Summary) -> Result<(), Error> {
    let spec = &schema::GOROUTINES;
    let mut t = TableFile::<GoroutineRows>::create(&staging.file(spec)?, spec, w)?;
    for g in s.goroutines.values() {
        let r = t.cols();
        r.goroutine_id.push(g.id);
        r.name.push(&g.name);
        r.is_system.push(g.is_system());
        r.pc.push(g.pc as i64);
        r.creation_ns.push_opt(g.creation);
        r.start_ns.push_opt(g.start);
        r.end_ns.push_opt(g.end);
        push_stats!(r, &g.stats);
        r.regions.push(count(g.regions.len() as u64));
        t.end_row()?;
    }
    t.finish()
}

fn write_regions(staging: &Staging, w: &WriteOptions, s: &Summary) -> Result<(), Error> {
    let spec = &schema::REGIONS;
    let mut t = TableFile::<RegionRows>::create(&staging.file(spec)?, spec, w)?;
    for reg in &s.regions {
        let r = t.cols();
        r.goroutine_id.push(reg.goroutine);
        r.task_id.push(reg.task as i64);
        r.region_type.push(&reg.name);
        r.start_ns.push_opt(reg.start.as_ref().map(|e| e.time));
        r.end_ns.push_opt(reg.end.as_ref().map(|e| e.time));
        push_stats!(r, &reg.stats);
        t.end_row()?;
    }
    t.finish()
}

fn write_tasks(staging: &Staging, w: &WriteOptions, s: &Summary) -> Result<(), Error> {
    let spec = &schema::TASKS;
    let mut t = TableFile::<TaskRows>::create(&staging.file(spec)?, spec, w)?;
    for task in s.tasks.values() {
        let r = t.cols();
        let (start, end) = (
            task.start.as_ref().map(|e| e.time),
            task.end.as_ref().map(|e| e.time),
        );
        r.task_id.push(task.id as i64);
        r.task_type.push(&task.name);
        r.parent_task_id.push_opt(task.parent.map(|p| p as i64));
        r.start_ns.push_opt(start);
        r.end_ns.push_opt(end);
        r.duration_ns
            .push_opt(start.zip(end).map(|(s, e)| e.wrapping_sub(s)));
        r.children.push(count(task.children.len() as u64));
        r.goroutines.push(count(task.goroutines.len() as u64));
        r.regions.push(count(task.regions.len() as u64));
        r.logs.push(count(task.logs.len() as u64));
        t.end_row()?;
    }
    t.finish()
}

fn write_gc(staging: &Staging, w: &WriteOptions, gc: &GcSummary) -> Result<(), Error> {
    let bytes = |b: Option<u64>| b.map(|b| i64::try_from(b).unwrap_or(i64::MAX));
    let spec = &schema::GC_CYCLES;
    let mut t = TableFile::<GcRows>::create(&staging.file(spec)?, spec, w)?;
    for c in &gc.cycles {
        let r = t.cols();
        r.n.push(count(c.n as u64));
        r.start_ns.push_opt(c.start);
        r.mark_end_ns.push_opt(c.mark_end);
        r.end_ns.push_opt(c.end);
        r.pauses.push(count(c.pauses.len() as u64));
        r.stw_ns.push(c.stw_time());
        r.assists.push(count(c.assists));
        r.assist_ns.push(c.assist_time);
        r.heap_before_bytes.push_opt(bytes(c.heap_before));
        r.heap_peak_bytes.push_opt(bytes(c.heap_peak));
        r.heap_after_bytes.push_opt(bytes(c.heap_after));
        r.heap_goal_bytes.push_opt(bytes(c.heap_goal));
        t.end_row()?;
    }
    t.finish()?;

    let spec = &schema::STW_PAUSES;
    let mut t = TableFile::<PauseRows>::create(&staging.file(spec)?, spec, w)?;
    let mut pauses: Vec<(Option<usize>, &trace_model::gc::Pause)> = gc
        .cycles
        .iter()
        .flat_map(|c| c.pauses.iter().map(move |p| (Some(c.n), p)))
        .chain(gc.other_pauses.iter().map(|p| (None, p)))
        .collect();
    pauses.sort_by_key(|(_, p)| p.start);
    for (cycle, p) in pauses {
        let r = t.cols();
        r.reason.push(&p.reason);
        r.start_ns.push(p.start);
        r.end_ns.push_opt(p.end);
        r.duration_ns.push_opt(p.duration());
        r.gc_cycle.push_opt(cycle.map(|n| count(n as u64)));
        t.end_row()?;
    }
    t.finish()
}
