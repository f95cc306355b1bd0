//! User regions and tasks as `go tool trace` shows them on its `/userregions`, `/userregion`,
//! `/usertasks` and `/usertask` pages, computed from a [`Summary`] as Go 1.27's `cmd/trace`
//! computes them.
//!
//! - [`region_groups`]: regions grouped by type and by the outermost frame of the stack their
//!   start event carries, each group with its count, the distribution of its durations (Go's
//!   [`Histogram`] and exact [`DurationStats`]) and where its goroutines spent the regions'
//!   time (Go's non-overlapping breakdown: execution, scheduler wait, blocked by reason,
//!   syscalls, unknown).
//! - [`task_types`]: tasks grouped by type, complete and incomplete counts, the durations of
//!   the complete ones, and for each task the page Go shows: its begin and end, logs and
//!   regions' begins and ends, in time order, with what the page says of each.
//!
//! A region or task that the trace holds only one end of is given the trace's first or last
//! event as the other, as Go does: its duration counts in the histogram (of regions; only
//! complete tasks count in the tasks'), and on the task page.
//!
//! ```
//! # fn main() -> Result<(), trace_model::Error> {
//! let bytes = std::fs::read("../../testdata/traces/go1.27.3/annotations.trace").unwrap();
//! let summary = trace_model::Summary::of(trace_model::Reader::new(&bytes)?)?;
//! let groups = trace_model::regions::region_groups(&summary);
//! let nested = groups.iter().find(|g| g.ty == b"nested").unwrap();
//! assert_eq!(nested.stats.count, 1);
//! assert!(nested.breakdown[&b"Execution time"[..]] > 0);
//! let tasks = trace_model::regions::task_types(&summary);
//! let outer = tasks.iter().find(|t| t.ty == b"outer").unwrap();
//! assert_eq!((outer.complete, outer.incomplete), (1, 0));
//! # Ok(()) }
//! ```

mod histogram_table;
pub mod json;

use std::collections::BTreeMap;

use crate::event::{EventKind, GoId, Time};
use crate::summary::{
    EventDetail, EventRef, Frame, LogSummary, RegionSummary, Summary, TaskSummary,
};
use trace_format::text::quote::quote;

/// Go's duration histogram (`traceviewer.TimeHistogram`): five buckets a decade, bucket `k`
/// holding durations from about 10^(k/5) ns, as the pages draw it.
///
/// Go finds a duration's bucket with floating-point logarithms; the bucket boundaries here
/// are Go's own, taken from Go (`scripts/gen-regions-goldens.sh --table`), so every duration
/// lands where Go puts it, `1000` ns included (bucket 14, not 15). The histogram keeps Go's
/// bookkeeping as it is: [`min_bucket`](Histogram::min_bucket) is where the page's drawing
/// starts, which after a first duration in bucket 0 is not always the lowest bucket used.
///
/// ```
/// use trace_model::regions::Histogram;
/// let mut h = Histogram::new();
/// for d in [700, 1000, 1001, 250_000] {
///     h.add(d);
/// }
/// assert_eq!((h.count(), h.min_bucket(), h.max_bucket()), (4, 14, 26));
/// assert_eq!(h.bucket(14), 2);
/// assert_eq!(Histogram::bucket_of(1000), 14);
/// assert_eq!(Histogram::bucket_min(15), 1000);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram {
    count: u64,
    buckets: Vec<u64>,
    min_bucket: usize,
    max_bucket: usize,
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Histogram {
        Histogram::default()
    }

    /// The bucket Go puts a duration of `d` ns in (0 for `d <= 0`).
    pub fn bucket_of(d: i64) -> usize {
        if d <= 0 {
            return 0;
        }
        histogram_table::FIRST.partition_point(|&f| f <= d)
    }

    /// The lower edge of bucket `i` in ns, as the page labels it (Go's `BucketMin`): about
    /// 10^(i/5), rounded down. Past the last bucket a duration can reach, Go's conversion of
    /// a float beyond `i64` gives `i64::MIN` on amd64, and so does this.
    pub fn bucket_min(i: usize) -> i64 {
        histogram_table::LOWER.get(i).copied().unwrap_or(i64::MIN)
    }

    /// Adds one duration, in ns.
    pub fn add(&mut self, d: i64) {
        let b = Histogram::bucket_of(d);
        if self.buckets.len() <= b {
            self.buckets.resize(b + 1, 0);
        }
        if let Some(n) = self.buckets.get_mut(b) {
            *n += 1;
        }
        // Go's rule, quirk included: an empty top means "nothing yet".
        if b < self.min_bucket || self.max_bucket == 0 {
            self.min_bucket = b;
        }
        if b > self.max_bucket {
            self.max_bucket = b;
        }
        self.count += 1;
    }

    /// How many durations were added.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The first bucket the page draws (Go's `MinBucket`).
    pub fn min_bucket(&self) -> usize {
        self.min_bucket
    }

    /// The last bucket the page draws (Go's `MaxBucket`).
    pub fn max_bucket(&self) -> usize {
        self.max_bucket
    }

    /// How many durations bucket `i` holds.
    pub fn bucket(&self, i: usize) -> u64 {
        self.buckets.get(i).copied().unwrap_or(0)
    }

    /// The rows the page draws: each bucket from [`min_bucket`](Self::min_bucket) to
    /// [`max_bucket`](Self::max_bucket) as (lower edge, next lower edge, count); none when
    /// the histogram is empty.
    pub fn rows(&self) -> impl Iterator<Item = (i64, i64, u64)> + '_ {
        // Nothing drawn for an empty histogram.
        let (first, last) = if self.count == 0 {
            (1, 0)
        } else {
            (self.min_bucket, self.max_bucket)
        };
        (first..=last).map(|i| {
            (
                Histogram::bucket_min(i),
                Histogram::bucket_min(i + 1),
                self.bucket(i),
            )
        })
    }
}

/// Exact statistics of a set of durations (ns). Go's pages draw only a [`Histogram`]; these
/// are of the same durations. All 0 for none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DurationStats {
    /// How many.
    pub count: u64,
    /// Their sum.
    pub total: i64,
    /// `total / count`, truncated.
    pub mean: i64,
    /// The shortest.
    pub min: i64,
    /// The longest.
    pub max: i64,
    /// The median: the nearest-rank 50th percentile.
    pub p50: i64,
    /// The nearest-rank 90th percentile.
    pub p90: i64,
    /// The nearest-rank 99th percentile.
    pub p99: i64,
}

impl DurationStats {
    /// The statistics of `durations`, in any order.
    ///
    /// ```
    /// use trace_model::regions::DurationStats;
    /// let s = DurationStats::of(&[30, 10, 20, 40]);
    /// assert_eq!((s.total, s.mean, s.min, s.max, s.p50, s.p90), (100, 25, 10, 40, 20, 40));
    /// ```
    pub fn of(durations: &[i64]) -> DurationStats {
        let mut sorted = durations.to_vec();
        sorted.sort_unstable();
        let (Some(&min), Some(&max)) = (sorted.first(), sorted.last()) else {
            return DurationStats::default();
        };
        let total = sorted.iter().fold(0i64, |a, &d| a.wrapping_add(d));
        let n = sorted.len();
        DurationStats {
            count: n as u64,
            total,
            mean: total.wrapping_div(n as i64),
            min,
            max,
            p50: percentile(&sorted, 50),
            p90: percentile(&sorted, 90),
            p99: percentile(&sorted, 99),
        }
    }
}

/// The nearest-rank `p`th percentile of `sorted`: the smallest value with at least `p`% of
/// the values at or below it (element `ceil(p*n/100) - 1`). 0 for none.
pub fn percentile(sorted: &[i64], p: u32) -> i64 {
    let n = sorted.len();
    let rank = (u128::from(p) * n as u128).div_ceil(100).max(1);
    let i = usize::try_from(rank - 1)
        .unwrap_or(usize::MAX)
        .min(n.saturating_sub(1));
    sorted.get(i).copied().unwrap_or(0)
}

/// One row of the `/userregions` page: the regions of one type that began at one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionGroup<'a> {
    /// The region type (empty for regions a goroutine inherited from its creator).
    pub ty: &'a [u8],
    /// The outermost frame of the stack their start events carry (zero for none).
    pub frame: &'a Frame,
    /// Its regions with their durations, largest total time first (the `/userregion`
    /// page's order; among equals, by goroutine and then the goroutine's order).
    pub regions: Vec<(&'a RegionSummary, i64)>,
    /// Their durations.
    pub stats: DurationStats,
    /// Their durations as the page draws them.
    pub histogram: Histogram,
    /// The sums of the regions' non-overlapping times (`Execution time`, `Sched wait time`,
    /// `Block time (chan receive)`, ..., `Unknown time`: the `/userregion` columns).
    pub breakdown: BTreeMap<Vec<u8>, i64>,
    /// The sums of the regions' time inside special ranges (GC, stop-the-world, ...), which
    /// overlaps the rest.
    pub range_time: BTreeMap<Vec<u8>, i64>,
}

/// The span Go gives a region or task: its start and end times, the trace's first or last
/// event standing in for a missing one.
pub fn span(summary: &Summary, start: Option<&EventRef>, end: Option<&EventRef>) -> (Time, Time) {
    let (t0, t1) = summary.span.unwrap_or((0, 0));
    (start.map_or(t0, |e| e.time), end.map_or(t1, |e| e.time))
}

fn duration_of(summary: &Summary, start: Option<&EventRef>, end: Option<&EventRef>) -> i64 {
    let (a, b) = span(summary, start, end);
    b.wrapping_sub(a)
}

/// The regions of every goroutine grouped as the `/userregions` page groups them, sorted by
/// type and then frame (PC, function, file, line).
pub fn region_groups(summary: &Summary) -> Vec<RegionGroup<'_>> {
    let mut groups: BTreeMap<(&[u8], &Frame), RegionGroup<'_>> = BTreeMap::new();
    for g in summary.goroutines.values() {
        for r in summary.regions_of(g) {
            let group = groups
                .entry((&r.name, &r.frame))
                .or_insert_with(|| RegionGroup {
                    ty: &r.name,
                    frame: &r.frame,
                    regions: Vec::new(),
                    stats: DurationStats::default(),
                    histogram: Histogram::new(),
                    breakdown: BTreeMap::new(),
                    range_time: BTreeMap::new(),
                });
            let d = duration_of(summary, r.start.as_ref(), r.end.as_ref());
            group.histogram.add(d);
            group.regions.push((r, d));
            for (k, v) in r.stats.non_overlapping() {
                let e = group.breakdown.entry(k).or_insert(0);
                *e = e.wrapping_add(v);
            }
            for (k, v) in r.stats.range_time.iter() {
                let e = group.range_time.entry(k.to_vec()).or_insert(0);
                *e = e.wrapping_add(v);
            }
        }
    }
    let mut out: Vec<RegionGroup<'_>> = groups.into_values().collect();
    for g in &mut out {
        let durations: Vec<i64> = g.regions.iter().map(|r| r.1).collect();
        g.stats = DurationStats::of(&durations);
        // Stable: equal totals keep the goroutines' order.
        g.regions
            .sort_by_key(|r| std::cmp::Reverse(r.0.stats.total));
    }
    out
}

/// One event of a task's page: its time, how long after the event before it (the trace's
/// start for the first), the goroutine it concerns and what the page says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskEvent {
    /// When.
    pub time: Time,
    /// Its time since the trace's first event.
    pub since_start: i64,
    /// Its time since the page's previous event (for the first, since the trace's start).
    pub elapsed: i64,
    /// The goroutine the page shows beside it.
    pub goroutine: GoId,
    /// What it was: `task "a" (ID 1, parent 0) begin`, `region "b" end`, `log (category: c):
    /// "msg"`, `Running -> NotExist`, ... (Go's `%q` quoting; a log category as it is).
    pub what: Vec<u8>,
}

/// One task as the `/usertask` page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskPage<'a> {
    /// The task.
    pub task: &'a TaskSummary,
    /// Its start since the trace's first event (the trace's start if it has none).
    pub start: i64,
    /// How long it lasted (to the trace's end if it has no end).
    pub duration: i64,
    /// Its begin, end, logs and regions' begins and ends, by time (stable: begin, end, logs,
    /// then regions in the task's order, among equal times).
    pub events: Vec<TaskEvent>,
}

/// One row of the `/usertasks` page: the tasks of one type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskType<'a> {
    /// The task type (empty for tasks whose type the trace never gave, such as the
    /// background task).
    pub ty: &'a [u8],
    /// How many tasks, complete or not (the page's Count).
    pub count: usize,
    /// How many the trace holds both the beginning and the end of.
    pub complete: usize,
    /// How many lack one.
    pub incomplete: usize,
    /// The durations of the complete ones.
    pub stats: DurationStats,
    /// The same as the page draws them.
    pub histogram: Histogram,
    /// Each task's page, shortest first (among equals, by ID).
    pub tasks: Vec<TaskPage<'a>>,
}

/// What the task page says of an event it lists, or `None` for events it leaves out.
pub fn describe(ev: &EventRef) -> Option<Vec<u8>> {
    let mut s = Vec::new();
    match (ev.kind, &ev.detail) {
        (EventKind::StateTransition, EventDetail::Transition { from, to }) => {
            s.extend_from_slice(format!("{} -> {}", from.name(), to.name()).as_bytes());
        }
        (EventKind::RegionBegin, EventDetail::Region { ty }) => {
            s.extend_from_slice(format!("region {} begin", quote(ty)).as_bytes());
        }
        (EventKind::RegionEnd, EventDetail::Region { ty }) => {
            s.extend_from_slice(format!("region {} end", quote(ty)).as_bytes());
        }
        (EventKind::TaskBegin, EventDetail::Task { id, parent, ty }) => {
            let text = format!("task {} (ID {id}, parent {parent}) begin", quote(ty));
            s.extend_from_slice(text.as_bytes());
        }
        (EventKind::TaskEnd, _) => s.extend_from_slice(b"task end"),
        _ => return None,
    }
    Some(s)
}

/// What the task page says of a log message.
pub fn describe_log(log: &LogSummary) -> Vec<u8> {
    let mut s = Vec::new();
    if log.category.is_empty() {
        s.extend_from_slice(b"log ");
    } else {
        s.extend_from_slice(b"log (category: ");
        s.extend_from_slice(&log.category);
        s.extend_from_slice(b"): ");
    }
    s.extend_from_slice(quote(&log.message).as_bytes());
    s
}

/// The events of a task's page.
fn task_events(summary: &Summary, task: &TaskSummary) -> Vec<TaskEvent> {
    let entry = |e: &EventRef| (e.time, e.goroutine, describe(e));
    // (time, goroutine, what), in the order Go gathers them, then stably by time.
    let mut raw: Vec<(Time, GoId, Option<Vec<u8>>)> = Vec::new();
    raw.extend(task.start.iter().map(entry));
    raw.extend(task.end.iter().map(entry));
    for log in &task.logs {
        raw.push((log.time, log.goroutine, Some(describe_log(log))));
    }
    for r in task.regions.iter().filter_map(|&i| summary.regions.get(i)) {
        raw.extend(r.start.iter().map(entry));
        raw.extend(r.end.iter().map(entry));
    }
    raw.sort_by_key(|e| e.0);
    let t0 = summary.span.map_or(0, |s| s.0);
    let mut last = t0;
    let mut out = Vec::new();
    for (time, goroutine, what) in raw {
        let Some(what) = what else { continue };
        out.push(TaskEvent {
            time,
            since_start: time.wrapping_sub(t0),
            elapsed: time.wrapping_sub(last),
            goroutine,
            what,
        });
        last = time;
    }
    out
}

/// The tasks grouped by type as the `/usertasks` page groups them, sorted by type, each with
/// its tasks' pages.
pub fn task_types(summary: &Summary) -> Vec<TaskType<'_>> {
    let mut types: BTreeMap<&[u8], (TaskType<'_>, Vec<i64>)> = BTreeMap::new();
    let t0 = summary.span.map_or(0, |s| s.0);
    for task in summary.tasks.values() {
        let (tt, durations) = types.entry(&task.name).or_insert_with(|| {
            (
                TaskType {
                    ty: &task.name,
                    count: 0,
                    complete: 0,
                    incomplete: 0,
                    stats: DurationStats::default(),
                    histogram: Histogram::new(),
                    tasks: Vec::new(),
                },
                Vec::new(),
            )
        });
        tt.count += 1;
        if let (Some(s), Some(e)) = (&task.start, &task.end) {
            let d = e.time.wrapping_sub(s.time);
            tt.histogram.add(d);
            durations.push(d);
            tt.complete += 1;
        } else {
            tt.incomplete += 1;
        }
        let (a, b) = span(summary, task.start.as_ref(), task.end.as_ref());
        tt.tasks.push(TaskPage {
            task,
            start: a.wrapping_sub(t0),
            duration: b.wrapping_sub(a),
            events: task_events(summary, task),
        });
    }
    types
        .into_values()
        .map(|(mut tt, durations)| {
            tt.stats = DurationStats::of(&durations);
            // Stable: equal durations keep the IDs' order.
            tt.tasks.sort_by_key(|t| t.duration);
            tt
        })
        .collect()
}
