//! Two sets of traces compared: what changed between a base (A) and a candidate (B), region
//! type by region type, goroutine group by goroutine group, task type by task type, and in
//! the GC, with benchstat's statistics when each side holds repeated runs.
//!
//! Each trace becomes a [`Profile`] (one pass over its events: the [`Summary`] and the
//! [`GcSummary`]); [`compare`] takes the profiles of each side and gives a [`Diff`]: for
//! every region type, goroutine group and metric, task type and GC metric an [`Entry`]
//! with each side's per-run values, their median and a confidence interval for it, the
//! difference and ratio of the medians, a Mann-Whitney U test and whether the change is
//! significant at [`Options::alpha`]. A CI job can gate on [`Diff::regressions`].
//!
//! # What is compared
//!
//! Every value is a time (or, for GC cycles, a count) per run: the run's total, or with
//! [`Options::per_op`] the run's total over how many tasks (or, if there is no task type of
//! that name, regions) of that name the run holds, so runs doing different amounts of work
//! compare fairly. For regions and tasks, [`Options::stat`] may compare another figure of
//! each run's durations instead of their total: their mean, median or 90th or 99th
//! percentile.
//!
//! - Regions: by type, the total duration (or [`Options::stat`]) of the type's regions (those the trace holds both
//!   ends of; the unnamed regions a goroutine inherits from its creator are left out). Each
//!   side also gives the individual durations' count, mean and percentiles, pooled over its
//!   runs.
//! - Goroutines: by start function (the `/goroutines` page's groups, less the runtime's own
//!   goroutines and the tracer's), one entry per metric that isn't 0 throughout: `exec`,
//!   `sched_wait`, `syscall` (in syscalls that kept their P), `block (syscall)` (in syscalls
//!   that lost it) and `block (REASON)` for each of Go's block reasons (`network`, `sync`,
//!   `chan receive`, `GC mark assist wait`, ...; `unknown reason` for goroutines blocked since
//!   before the trace began).
//! - Tasks: by type, the total duration of complete tasks, with their distribution as for
//!   regions (tasks without a type, and types no run completed, left out).
//! - GC: `cycles` (a count), `stw_total` and `stw_max` (stop-the-world time, all pauses;
//!   the longest is never divided per op) and `assist` (mark assist time).
//!
//! # Significance
//!
//! With at least two runs a side, the runs' values are compared as benchstat compares
//! benchmark runs: the Mann-Whitney U test ([`stats::mann_whitney`], exact for up to 50
//! values) says whether B's values are drawn from A's distribution; a change is significant
//! when `p < alpha`, and otherwise shown as `~`. Five runs a side reach p = 0.008 at best;
//! three a side can't go below 0.1, so nothing is significant at 0.05 (the diff's notes say
//! so). With one run on a side, region and task entries are tested on their individual
//! durations instead, and the other entries can't be tested (`significant` is `None`).
//!
//! Entries are sorted by the size of the change, the difference of the medians either way,
//! largest first (an entry found on one side only counts as 0 on the other).
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use trace_model::diff::{compare, Options, Profile};
//! let read = |p: &str| -> Result<Profile, trace_model::Error> {
//!     Profile::read(p, trace_model::Reader::new(&std::fs::read(p).unwrap())?)
//! };
//! let a = read("../../testdata/traces/go1.26.6/annotations.trace")?;
//! let b = read("../../testdata/traces/go1.27.3/annotations.trace")?;
//! let diff = compare(&[a], &[b], &Options::default())?;
//! let nested = diff.regions.iter().find(|e| e.name == b"nested").unwrap();
//! assert!(nested.a.is_some() && nested.b.is_some() && nested.delta.is_some());
//! let mut json = String::new();
//! diff.write_json(&mut json);
//! assert!(json.starts_with("{\"alpha\":0.05,"));
//! # Ok(()) }
//! ```

pub mod stats;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::error::Result;
use crate::gc::{GcAnalyzer, GcSummary};
use crate::reader::Reader;
use crate::regions::{region_groups, DurationStats};
use crate::summary::json::write_str;
use crate::summary::{ExecStats, Summarizer, Summary};

/// What one trace brings to a comparison: durations of regions and tasks by type, the time
/// of each goroutine group, GC totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// A name for the trace (its path, in `trace-diff`).
    pub label: String,
    /// From its first event to its last, in ns.
    pub span: i64,
    /// The durations of its complete regions, by type (the unnamed type left out).
    pub regions: BTreeMap<Vec<u8>, Vec<i64>>,
    /// The durations of its complete tasks, by type (tasks without a type, such as the
    /// background task, left out).
    pub tasks: BTreeMap<Vec<u8>, Vec<i64>>,
    /// How many tasks of each type it holds, complete or not.
    pub task_counts: BTreeMap<Vec<u8>, u64>,
    /// Its goroutines grouped by start function: how many, and the sum of their stats. The
    /// runtime's own goroutines (Go's `IsSystemGoroutine`) and the tracer's
    /// (`runtime/trace.*`) are left out.
    pub goroutines: BTreeMap<Vec<u8>, (usize, ExecStats)>,
    /// Its GC.
    pub gc: GcTotals,
}

/// The GC of one trace, in sums.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GcTotals {
    /// How many cycles it holds (begun or ended in the trace).
    pub cycles: u64,
    /// Its stop-the-world time, every ended pause.
    pub stw_total: i64,
    /// Its longest pause.
    pub stw_max: i64,
    /// Its mark assist time.
    pub assist: i64,
}

impl Profile {
    /// The profile of a trace from its summary and GC analysis.
    pub fn new(label: impl Into<String>, summary: &Summary, gc: &GcSummary) -> Profile {
        let mut p = Profile {
            label: label.into(),
            span: summary.span.map_or(0, |(a, b)| b.wrapping_sub(a)),
            ..Profile::default()
        };
        for g in region_groups(summary) {
            if g.ty.is_empty() {
                continue;
            }
            let durations = p.regions.entry(g.ty.to_vec()).or_default();
            for (r, d) in &g.regions {
                if r.start.is_some() && r.end.is_some() {
                    durations.push(*d);
                }
            }
        }
        for t in summary.tasks.values() {
            if t.name.is_empty() {
                continue;
            }
            *p.task_counts.entry(t.name.clone()).or_default() += 1;
            let durations = p.tasks.entry(t.name.clone()).or_default();
            if let (Some(s), Some(e)) = (&t.start, &t.end) {
                durations.push(e.time.wrapping_sub(s.time));
            }
        }
        for g in summary.groups() {
            if is_runtime(g.name) {
                continue;
            }
            p.goroutines
                .insert(g.name.to_vec(), (g.goroutines.len(), g.stats));
        }
        let pauses = gc
            .cycles
            .iter()
            .flat_map(|c| &c.pauses)
            .chain(&gc.other_pauses);
        p.gc = GcTotals {
            cycles: gc.cycles.len() as u64,
            stw_total: gc.stw_time(),
            stw_max: pauses.filter_map(|p| p.duration()).max().unwrap_or(0),
            assist: gc
                .cycles
                .iter()
                .fold(0, |a, c| a.wrapping_add(c.assist_time)),
        };
        p
    }

    /// Reads every event of `reader` into a profile (one pass, feeding a [`Summarizer`] and
    /// a [`GcAnalyzer`] together).
    pub fn read(label: impl Into<String>, mut reader: Reader<'_>) -> Result<Profile> {
        Self::read_from(label, &mut reader)
    }

    /// [`read`](Self::read), the reader left to the caller (for its
    /// [`salvage_report`](Reader::salvage_report), say).
    pub fn read_from(label: impl Into<String>, reader: &mut Reader<'_>) -> Result<Profile> {
        let mut sinks = (Summarizer::new(), GcAnalyzer::new());
        reader.feed(&mut sinks)?;
        let (s, gc) = sinks;
        Ok(Profile::new(label, &s.finish(), &gc.finish()))
    }

    /// How many tasks of type `name` the trace holds, or, if none, how many complete regions.
    fn ops(&self, name: &[u8], tasks: bool) -> u64 {
        if tasks {
            self.task_counts.get(name).copied().unwrap_or(0)
        } else {
            self.regions.get(name).map_or(0, |d| d.len() as u64)
        }
    }
}

/// Whether goroutines starting in `name` belong to the runtime or to the tracer itself.
fn is_runtime(name: &[u8]) -> bool {
    crate::summary::is_system_goroutine(name) || name.starts_with(b"runtime/trace.")
}

/// Which figure of a run's regions (or tasks) of one type is compared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stat {
    /// Their total duration, per run (or per op with [`Options::per_op`]): the time the
    /// type costs.
    #[default]
    Total,
    /// Their mean duration.
    Mean,
    /// Their median duration: a run's latency, the least moved by the odd region that a busy
    /// machine stalled.
    P50,
    /// Their 90th percentile duration.
    P90,
    /// Their 99th percentile duration.
    P99,
}

impl Stat {
    /// `total`, `mean`, `p50`, `p90` or `p99`.
    pub fn name(self) -> &'static str {
        match self {
            Stat::Total => "total",
            Stat::Mean => "mean",
            Stat::P50 => "p50",
            Stat::P90 => "p90",
            Stat::P99 => "p99",
        }
    }

    /// The stat named `name` (as [`Stat::name`] gives).
    pub fn from_name(name: &str) -> Option<Stat> {
        [Stat::Total, Stat::Mean, Stat::P50, Stat::P90, Stat::P99]
            .into_iter()
            .find(|s| s.name() == name)
    }

    fn of(self, durations: &[i64]) -> f64 {
        let d = DurationStats::of(durations);
        let v = match self {
            Stat::Total => d.total,
            Stat::Mean => d.mean,
            Stat::P50 => d.p50,
            Stat::P90 => d.p90,
            Stat::P99 => d.p99,
        };
        v as f64
    }
}

/// How to compare.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// A change is significant when the test's p-value is below this (benchstat's default,
    /// 0.05).
    pub alpha: f64,
    /// The confidence of the intervals given for the medians (0.95).
    pub confidence: f64,
    /// Divide each run's values by how many tasks of this type it holds (or, with no task type
    /// of that name on either side, regions of this type): time per operation instead of per
    /// run.
    pub per_op: Option<Vec<u8>>,
    /// The figure of each run's regions and tasks of a type that is compared; only the total
    /// is divided per op.
    pub stat: Stat,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            alpha: 0.05,
            confidence: 0.95,
            per_op: None,
            stat: Stat::Total,
        }
    }
}

/// Why two sets of traces can't be compared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiffError {
    /// A side has no trace.
    #[error("side {0} has no traces")]
    NoTraces(char),
    /// No trace holds a task or region of the `per_op` name.
    #[error("no task or region named {0:?} in any trace")]
    UnknownOp(String),
    /// A trace holds none of the `per_op` operations, so it can't be divided by them.
    #[error("{label}: no {kind} named {name:?} to divide by")]
    NoOps {
        /// The trace.
        label: String,
        /// `task` or `region`.
        kind: &'static str,
        /// The name.
        name: String,
    },
}

/// What an entry's values count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Nanoseconds.
    Nanoseconds,
    /// A count (GC cycles).
    Count,
}

impl Unit {
    /// `ns` or `count`.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Nanoseconds => "ns",
            Unit::Count => "count",
        }
    }
}

/// One side of an entry: the values of its runs and what they say.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    /// One value per run (0 for a run without the region, group or task), per op with
    /// [`Options::per_op`].
    pub runs: Vec<f64>,
    /// Their median.
    pub median: f64,
    /// A confidence interval for the median: (low, high).
    pub ci: (f64, f64),
    /// The confidence the interval has (see [`stats::median_ci`]).
    pub ci_level: f64,
    /// For regions and tasks: the median number of them per run (per op with
    /// [`Options::per_op`]).
    pub count: Option<f64>,
    /// For regions and tasks: their individual durations, pooled over the runs.
    pub durations: Option<DurationStats>,
}

/// What a test was run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestOn {
    /// The runs' values: each side had at least two runs.
    Runs,
    /// The individual durations of the regions or tasks: a side had one run.
    Durations,
}

/// The Mann-Whitney U test of an entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Test {
    /// What the samples were.
    pub on: TestOn,
    /// The test's U (of A) and p-value.
    pub result: stats::MannWhitney,
    /// The samples' sizes: A's and B's.
    pub n: (usize, usize),
}

/// One row of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The region type, goroutine group (start function), task type, or `GC`.
    pub name: Vec<u8>,
    /// What is measured: `total` (or the [`Options::stat`]) for regions and tasks, `exec`, `sched_wait`, `syscall`,
    /// `block (REASON)` for goroutines, `cycles`, `stw_total`, `stw_max`, `assist` for GC.
    pub metric: String,
    /// What the values count.
    pub unit: Unit,
    /// Side A, `None` if no trace of A has it.
    pub a: Option<Side>,
    /// Side B, `None` if no trace of B has it.
    pub b: Option<Side>,
    /// B's median less A's (`None` unless both sides have it).
    pub delta: Option<f64>,
    /// B's median over A's (`None` unless both sides have it and A's is not 0).
    pub ratio: Option<f64>,
    /// The test, when one could be run.
    pub test: Option<Test>,
    /// Whether the change is significant at [`Options::alpha`]; `None` when untested.
    pub significant: Option<bool>,
}

/// The comparison of side A (the base) with side B.
#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    /// The options it was made with.
    pub options: Options,
    /// A's traces, in order.
    pub a_traces: Vec<String>,
    /// B's traces, in order.
    pub b_traces: Vec<String>,
    /// With [`Options::per_op`]: A's operations per run.
    pub a_ops: Option<Vec<u64>>,
    /// With [`Options::per_op`]: B's operations per run.
    pub b_ops: Option<Vec<u64>>,
    /// Region types.
    pub regions: Vec<Entry>,
    /// Goroutine groups, one entry per metric.
    pub goroutines: Vec<Entry>,
    /// Task types.
    pub tasks: Vec<Entry>,
    /// GC metrics.
    pub gc: Vec<Entry>,
    /// What a reader should know: no region type in common, too few runs to find anything
    /// significant, one run a side.
    pub notes: Vec<String>,
}

impl Diff {
    /// The entries that got significantly larger in B, every section: what a CI gate fails
    /// on.
    pub fn regressions(&self) -> impl Iterator<Item = &Entry> + '_ {
        self.regions
            .iter()
            .chain(&self.goroutines)
            .chain(&self.tasks)
            .chain(&self.gc)
            .filter(|e| e.significant == Some(true) && e.delta.is_some_and(|d| d > 0.0))
    }

    /// How many region types both sides have.
    pub fn regions_in_common(&self) -> usize {
        self.regions
            .iter()
            .filter(|e| e.a.is_some() && e.b.is_some())
            .count()
    }
}

/// The values one profile gives an entry: its total (or count) and, for regions and tasks,
/// the individual durations.
struct Sample<'a> {
    value: f64,
    durations: Option<&'a [i64]>,
}

/// Picks a profile's durations by type (its regions' or its tasks').
type ByType = dyn Fn(&Profile) -> &BTreeMap<Vec<u8>, Vec<i64>>;

/// Picks a goroutine metric out of a group's stats.
type Metric = Box<dyn Fn(&ExecStats) -> i64>;

/// Each run's figure `stat` of the durations of `name` in the map `get` picks, with the
/// durations.
fn duration_samples<'p>(
    side: &'p [Profile],
    get: &ByType,
    name: &[u8],
    stat: Stat,
) -> Vec<Option<Sample<'p>>> {
    side.iter()
        .map(|p| {
            get(p).get(name).map(|d| Sample {
                value: stat.of(d),
                durations: Some(d.as_slice()),
            })
        })
        .collect()
}

/// Builds one side of an entry from each run's sample (`None` where the run lacks it).
fn side(samples: &[Option<Sample<'_>>], ops: &[f64], confidence: f64) -> Option<Side> {
    if samples.iter().all(Option::is_none) {
        return None;
    }
    let per = |i: usize| ops.get(i).copied().unwrap_or(1.0);
    let runs: Vec<f64> = samples
        .iter()
        .enumerate()
        .map(|(i, s)| s.as_ref().map_or(0.0, |s| s.value) / per(i))
        .collect();
    let has_durations = samples.iter().flatten().any(|s| s.durations.is_some());
    let (count, durations) = if has_durations {
        let counts: Vec<f64> = samples
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.as_ref()
                    .and_then(|s| s.durations)
                    .map_or(0.0, |d| d.len() as f64)
                    / per(i)
            })
            .collect();
        let pooled: Vec<i64> = samples
            .iter()
            .flatten()
            .filter_map(|s| s.durations)
            .flatten()
            .copied()
            .collect();
        (
            Some(stats::median(&counts)),
            Some(DurationStats::of(&pooled)),
        )
    } else {
        (None, None)
    };
    let (lo, hi, level) = stats::median_ci(&runs, confidence);
    Some(Side {
        median: stats::median(&runs),
        ci: (lo, hi),
        ci_level: level,
        runs,
        count,
        durations,
    })
}

/// Makes the entry `name`/`metric` from each side's samples.
fn entry(
    name: &[u8],
    metric: &str,
    unit: Unit,
    a: &[Option<Sample<'_>>],
    b: &[Option<Sample<'_>>],
    ops: (&[f64], &[f64]),
    options: &Options,
) -> Entry {
    let sa = side(a, ops.0, options.confidence);
    let sb = side(b, ops.1, options.confidence);
    let (mut delta, mut ratio, mut test) = (None, None, None);
    if let (Some(x), Some(y)) = (&sa, &sb) {
        delta = Some(y.median - x.median);
        ratio = (x.median != 0.0).then(|| y.median / x.median);
        if a.len() >= 2 && b.len() >= 2 {
            test = stats::mann_whitney(&x.runs, &y.runs).map(|result| Test {
                on: TestOn::Runs,
                result,
                n: (x.runs.len(), y.runs.len()),
            });
        } else {
            let pooled = |s: &[Option<Sample<'_>>]| -> Vec<f64> {
                s.iter()
                    .flatten()
                    .filter_map(|s| s.durations)
                    .flatten()
                    .map(|&d| d as f64)
                    .collect()
            };
            let (da, db) = (pooled(a), pooled(b));
            test = stats::mann_whitney(&da, &db).map(|result| Test {
                on: TestOn::Durations,
                result,
                n: (da.len(), db.len()),
            });
        }
    }
    Entry {
        name: name.to_vec(),
        metric: metric.to_string(),
        unit,
        significant: test.map(|t| t.result.p < options.alpha),
        a: sa,
        b: sb,
        delta,
        ratio,
        test,
    }
}

/// The largest change first, either way (a side without the entry counting as 0); then by
/// name and metric.
fn sort_entries(entries: &mut [Entry]) {
    let size = |e: &Entry| {
        let m = |s: &Option<Side>| s.as_ref().map_or(0.0, |s| s.median);
        (m(&e.b) - m(&e.a)).abs()
    };
    entries.sort_by(|x, y| {
        size(y)
            .total_cmp(&size(x))
            .then_with(|| x.name.cmp(&y.name))
            .then_with(|| x.metric.cmp(&y.metric))
    });
}

/// Each run's operations for `per_op`, as divisors; all 1 without.
fn op_counts(
    profiles: &[Profile],
    name: Option<&[u8]>,
    tasks: bool,
) -> std::result::Result<Option<Vec<u64>>, DiffError> {
    let Some(name) = name else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for p in profiles {
        let n = p.ops(name, tasks);
        if n == 0 {
            return Err(DiffError::NoOps {
                label: p.label.clone(),
                kind: if tasks { "task" } else { "region" },
                name: String::from_utf8_lossy(name).into_owned(),
            });
        }
        out.push(n);
    }
    Ok(Some(out))
}

/// Compares side A (the base: `a`, one profile per run) with side B.
pub fn compare(
    a: &[Profile],
    b: &[Profile],
    options: &Options,
) -> std::result::Result<Diff, DiffError> {
    if a.is_empty() {
        return Err(DiffError::NoTraces('A'));
    }
    if b.is_empty() {
        return Err(DiffError::NoTraces('B'));
    }
    let all = || a.iter().chain(b);
    let per_op = options.per_op.as_deref();
    let tasks_op = per_op.is_some_and(|n| all().any(|p| p.task_counts.contains_key(n)));
    if let Some(n) = per_op {
        if !tasks_op && !all().any(|p| p.regions.get(n).is_some_and(|d| !d.is_empty())) {
            return Err(DiffError::UnknownOp(
                String::from_utf8_lossy(n).into_owned(),
            ));
        }
    }
    let a_ops = op_counts(a, per_op, tasks_op)?;
    let b_ops = op_counts(b, per_op, tasks_op)?;
    let divisors = |ops: &Option<Vec<u64>>, n: usize| -> Vec<f64> {
        match ops {
            Some(o) => o.iter().map(|&x| x as f64).collect(),
            None => vec![1.0; n],
        }
    };
    let (da, db) = (divisors(&a_ops, a.len()), divisors(&b_ops, b.len()));
    let ops = (da.as_slice(), db.as_slice());
    let ones = (vec![1.0; a.len()], vec![1.0; b.len()]);
    let ones = (ones.0.as_slice(), ones.1.as_slice());

    // Region and task types: total duration per run.
    let durations_entries = |get: &ByType| {
        let names: BTreeSet<&Vec<u8>> = all().flat_map(|p| get(p).keys()).collect();
        names
            .into_iter()
            .map(|name| {
                let stat = options.stat;
                entry(
                    name,
                    stat.name(),
                    Unit::Nanoseconds,
                    &duration_samples(a, get, name, stat),
                    &duration_samples(b, get, name, stat),
                    if stat == Stat::Total { ops } else { ones },
                    options,
                )
            })
            .collect::<Vec<Entry>>()
    };
    let mut regions = durations_entries(&|p| &p.regions);
    let mut tasks = durations_entries(&|p| &p.tasks);
    // A task type no run completed has nothing to compare.
    tasks.retain(|e| {
        let done = |s: &Option<Side>| {
            s.as_ref()
                .and_then(|s| s.durations)
                .is_some_and(|d| d.count > 0)
        };
        done(&e.a) || done(&e.b)
    });

    // Goroutine groups: one entry per metric.
    let mut goroutines = Vec::new();
    let names: BTreeSet<&Vec<u8>> = all().flat_map(|p| p.goroutines.keys()).collect();
    for name in names {
        let mut reasons: BTreeSet<Vec<u8>> = BTreeSet::new();
        for p in all() {
            if let Some((_, s)) = p.goroutines.get(name) {
                reasons.extend(s.block.keys().map(<[u8]>::to_vec));
            }
        }
        let mut metrics: Vec<(String, Metric)> = vec![
            ("exec".into(), Box::new(|s: &ExecStats| s.exec)),
            ("sched_wait".into(), Box::new(|s: &ExecStats| s.sched_wait)),
            ("syscall".into(), Box::new(|s: &ExecStats| s.syscall)),
            (
                "block (syscall)".into(),
                Box::new(|s: &ExecStats| s.syscall_block),
            ),
        ];
        for r in reasons {
            // Go's reason for a goroutine blocked since before the trace began is "".
            let label = if r.is_empty() {
                "block (unknown reason)".to_string()
            } else {
                format!("block ({})", String::from_utf8_lossy(&r))
            };
            metrics.push((
                label,
                Box::new(move |s: &ExecStats| s.block.get(&r).unwrap_or(0)),
            ));
        }
        for (metric, get) in &metrics {
            let samples = |side: &[Profile]| -> Vec<Option<Sample<'_>>> {
                side.iter()
                    .map(|p| {
                        p.goroutines.get(name).map(|(_, s)| Sample {
                            value: get(s) as f64,
                            durations: None,
                        })
                    })
                    .collect()
            };
            let shown: &[u8] = if name.is_empty() { b"(unnamed)" } else { name };
            let e = entry(
                shown,
                metric,
                Unit::Nanoseconds,
                &samples(a),
                &samples(b),
                ops,
                options,
            );
            // A metric that is 0 in every run of both sides says nothing.
            let zero =
                |s: &Option<Side>| s.as_ref().is_none_or(|s| s.runs.iter().all(|&v| v == 0.0));
            if !(zero(&e.a) && zero(&e.b)) {
                goroutines.push(e);
            }
        }
    }

    // GC.
    let gc_metric = |metric: &str, unit: Unit, per: bool, get: &dyn Fn(&GcTotals) -> f64| {
        let samples = |side: &[Profile]| -> Vec<Option<Sample<'_>>> {
            side.iter()
                .map(|p| {
                    Some(Sample {
                        value: get(&p.gc),
                        durations: None,
                    })
                })
                .collect()
        };
        let ops = if per { ops } else { ones };
        entry(b"GC", metric, unit, &samples(a), &samples(b), ops, options)
    };
    let mut gc = vec![
        gc_metric("cycles", Unit::Count, true, &|g| g.cycles as f64),
        gc_metric("stw_total", Unit::Nanoseconds, true, &|g| {
            g.stw_total as f64
        }),
        gc_metric("stw_max", Unit::Nanoseconds, false, &|g| g.stw_max as f64),
        gc_metric("assist", Unit::Nanoseconds, true, &|g| g.assist as f64),
    ];

    let mut notes = Vec::new();
    let types = |side: &[Profile]| -> BTreeSet<Vec<u8>> {
        side.iter()
            .flat_map(|p| p.regions.iter())
            .filter(|(_, d)| !d.is_empty())
            .map(|(k, _)| k.clone())
            .collect()
    };
    let (ta, tb) = (types(a), types(b));
    if ta.is_empty() && tb.is_empty() {
        notes.push("no regions on either side".to_string());
    } else if ta.intersection(&tb).next().is_none() {
        notes.push(format!(
            "no region type in common: A has {}, B has {}",
            list(&ta),
            list(&tb)
        ));
    }
    if a.len() >= 2 && b.len() >= 2 {
        let least = 2.0 / choose(a.len() + b.len(), a.len());
        if least >= options.alpha {
            notes.push(format!(
                "with {} and {} runs the smallest possible p is {least:.3}: nothing can be significant at alpha {}",
                a.len(),
                b.len(),
                options.alpha
            ));
        }
    } else {
        notes.push(
            "one run on a side: region and task types are tested on their individual durations; goroutines and GC can't be tested (run each side several times)"
                .to_string(),
        );
    }
    for section in [&mut regions, &mut goroutines, &mut tasks, &mut gc] {
        sort_entries(section);
    }
    Ok(Diff {
        options: options.clone(),
        a_traces: a.iter().map(|p| p.label.clone()).collect(),
        b_traces: b.iter().map(|p| p.label.clone()).collect(),
        a_ops,
        b_ops,
        regions,
        goroutines,
        tasks,
        gc,
        notes,
    })
}

fn choose(n: usize, k: usize) -> f64 {
    (0..k.min(n)).fold(1.0, |c, i| c * (n - i) as f64 / (i + 1) as f64)
}

fn list(names: &BTreeSet<Vec<u8>>) -> String {
    if names.is_empty() {
        return "none".into();
    }
    names
        .iter()
        .map(|n| trace_format::text::quote::quote(n))
        .collect::<Vec<_>>()
        .join(", ")
}

fn float(out: &mut String, f: f64) {
    if f.is_finite() {
        crate::regions::json::write_float(out, f);
    } else {
        out.push_str("null");
    }
}

fn opt_float(out: &mut String, f: Option<f64>) {
    match f {
        Some(f) => float(out, f),
        None => out.push_str("null"),
    }
}

fn write_side(out: &mut String, s: &Option<Side>) {
    let Some(s) = s else {
        out.push_str("null");
        return;
    };
    out.push_str("{\"runs\":[");
    for (i, v) in s.runs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        float(out, *v);
    }
    out.push_str("],\"median\":");
    float(out, s.median);
    out.push_str(",\"ci\":[");
    float(out, s.ci.0);
    out.push(',');
    float(out, s.ci.1);
    out.push_str("],\"ci_level\":");
    float(out, s.ci_level);
    out.push_str(",\"count\":");
    opt_float(out, s.count);
    out.push_str(",\"durations\":");
    match &s.durations {
        Some(d) => {
            let _ = write!(
                out,
                "{{\"count\":{},\"total\":{},\"mean\":{},\"min\":{},\"max\":{},\"p50\":{},\"p90\":{},\"p99\":{}}}",
                d.count, d.total, d.mean, d.min, d.max, d.p50, d.p90, d.p99
            );
        }
        None => out.push_str("null"),
    }
    out.push('}');
}

fn write_entry(out: &mut String, e: &Entry) {
    out.push_str("{\"name\":");
    write_str(out, &e.name);
    out.push_str(",\"metric\":");
    write_str(out, e.metric.as_bytes());
    let _ = write!(out, ",\"unit\":\"{}\",\"a\":", e.unit.name());
    write_side(out, &e.a);
    out.push_str(",\"b\":");
    write_side(out, &e.b);
    out.push_str(",\"delta_ns\":");
    opt_float(out, e.delta);
    out.push_str(",\"ratio\":");
    opt_float(out, e.ratio);
    out.push_str(",\"test\":");
    match &e.test {
        Some(t) => {
            let on = match t.on {
                TestOn::Runs => "runs",
                TestOn::Durations => "durations",
            };
            let _ = write!(out, "{{\"on\":\"{on}\",\"u\":");
            float(out, t.result.u);
            out.push_str(",\"p\":");
            float(out, t.result.p);
            let _ = write!(
                out,
                ",\"exact\":{},\"n_a\":{},\"n_b\":{}}}",
                t.result.exact, t.n.0, t.n.1
            );
        }
        None => out.push_str("null"),
    }
    out.push_str(",\"significant\":");
    match e.significant {
        Some(s) => {
            let _ = write!(out, "{s}");
        }
        None => out.push_str("null"),
    }
    out.push('}');
}

impl Diff {
    /// Appends the comparison as one JSON object (and a newline):
    ///
    /// ```text
    /// {"alpha":0.05,"confidence":0.95,"per_op":null|"NAME",
    ///  "a":{"traces":["a.trace",...],"ops":null|[N,...]},"b":{...},
    ///  "notes":["...",...],
    ///  "regions":[ENTRY,...],"goroutines":[ENTRY,...],"tasks":[ENTRY,...],"gc":[ENTRY,...]}
    /// ENTRY = {"name","metric","unit":"ns"|"count","a":SIDE|null,"b":SIDE|null,
    ///          "delta_ns":x|null,"ratio":x|null,
    ///          "test":null|{"on":"runs"|"durations","u","p","exact","n_a","n_b"},
    ///          "significant":true|false|null}
    /// SIDE  = {"runs":[x,...],"median","ci":[lo,hi],"ci_level","count":x|null,
    ///          "durations":null|{"count","total","mean","min","max","p50","p90","p99"}}
    /// ```
    ///
    /// Each section's entries are in the diff's order (by the size of the change, largest
    /// first). `delta_ns` is in the entry's unit (a count of GC cycles for `count`).
    /// Values per run, or per op when `per_op` is set; `ops` lists each run's operations.
    /// Numbers as Go's `encoding/json` writes float64s; names as JSON strings (invalid UTF-8
    /// as U+FFFD).
    pub fn write_json(&self, out: &mut String) {
        out.push_str("{\"alpha\":");
        float(out, self.options.alpha);
        out.push_str(",\"confidence\":");
        float(out, self.options.confidence);
        out.push_str(",\"per_op\":");
        match &self.options.per_op {
            Some(n) => write_str(out, n),
            None => out.push_str("null"),
        }
        for (key, traces, ops) in [
            ("a", &self.a_traces, &self.a_ops),
            ("b", &self.b_traces, &self.b_ops),
        ] {
            let _ = write!(out, ",\"{key}\":{{\"traces\":[");
            for (i, t) in traces.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, t.as_bytes());
            }
            out.push_str("],\"ops\":");
            match ops {
                Some(o) => {
                    let list: Vec<String> = o.iter().map(u64::to_string).collect();
                    let _ = write!(out, "[{}]", list.join(","));
                }
                None => out.push_str("null"),
            }
            out.push('}');
        }
        out.push_str(",\"notes\":[");
        for (i, n) in self.notes.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_str(out, n.as_bytes());
        }
        out.push(']');
        for (key, entries) in [
            ("regions", &self.regions),
            ("goroutines", &self.goroutines),
            ("tasks", &self.tasks),
            ("gc", &self.gc),
        ] {
            let _ = write!(out, ",\"{key}\":[");
            for (i, e) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_entry(out, e);
            }
            out.push(']');
        }
        out.push_str("}\n");
    }
}
