//! The on-call runbook as an analysis: "what's wrong with this trace?"
//!
//! A [`Doctor`] is an [`EventSink`](crate::EventSink) fed the ordered events of a trace once.
//! It keeps no events: the state of live goroutines, a bounded table of stacks per finding,
//! and counters integrated over fixed-size time buckets. [`Doctor::finish`] gives the
//! [`Finding`]s, each with its id, a severity, a one-line summary with figures, the evidence
//! (time ranges, goroutines and their start functions, top stacks with their share, the
//! measured quantity against its threshold), the runbook's advice and the commands to run
//! next.
//!
//! | id | the sign | measured as |
//! | --- | --- | --- |
//! | `long-stw` | stop-the-world > 1 ms | the longest ended stop-the-world range |
//! | `oversubscription` | sched wait huge while running is small | total time goroutines waited for a P, over total time they ran |
//! | `gc-assist` | long GC mark assist slices | the longest `GC mark assist` range of one goroutine |
//! | `lock-contention` | others blocked on a Mutex | goroutine-time blocked in `sync.(*Mutex)` / `sync.(*RWMutex)`, over the trace's span |
//! | `slow-network` | long network-blocking slices | the longest ended block on the network, a server's waits for its clients (`Accept`, `net/http.(*connReader)`) aside |
//! | `goroutine-leak` | goroutine count surges, no work done | goroutines created in the trace and still blocked at its end (the runtime's own aside) |
//! | `serial-bottleneck` | all P lanes silent but one | the longest run of time buckets with one P's worth of running, GOMAXPROCS ≥ 2 |
//!
//! The thresholds are [`Thresholds`]; their defaults and the measurements behind them are
//! documented there.
//!
//! ```
//! # fn main() -> Result<(), trace_model::Error> {
//! use trace_model::doctor::Doctor;
//! let bytes = std::fs::read("../../testdata/doctor/traces/go1.27.3/lock-contention.trace").unwrap();
//! let mut doctor = Doctor::new(Default::default());
//! trace_model::Reader::new(&bytes)?.feed(&mut doctor)?;
//! let findings = doctor.finish();
//! assert_eq!(findings.iter().map(|f| f.id).collect::<Vec<_>>(), ["lock-contention"]);
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use trace_format::hash::IdMap;

use crate::event::{Event, EventKind, GoId, GoState, Metric, RangeKind, Time};
use crate::summary::GoDuration;

/// The finding ids, in the runbook's order.
pub const FINDING_IDS: [&str; 7] = [
    "long-stw",
    "oversubscription",
    "gc-assist",
    "lock-contention",
    "slow-network",
    "goroutine-leak",
    "serial-bottleneck",
];

/// The thresholds of the findings. Every one has a name for [`Thresholds::set`]
/// (`trace-doctor --threshold NAME=VALUE`).
///
/// The runbook gives a number for stop-the-world only (1 ms). The others were chosen on the
/// labelled corpus of `testdata/doctor` (one program per finding and two healthy ones, each
/// traced with Go 1.21, 1.22, 1.25 and 1.27), between the highest value a trace without the
/// problem shows and the lowest a trace with it shows; the README's "what's wrong with this
/// trace?" section lists those margins.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// `stw`: a stop-the-world pause longer than this is `long-stw`. Default 1 ms (the
    /// runbook's).
    pub stw: Time,
    /// `sched-ratio`: `oversubscription` when the goroutines' total wait for a P is more than
    /// this many times their total running time. Default 10.
    pub sched_ratio: f64,
    /// `sched-min`: ... and that wait is at least this long in all. Default 10 ms: a short
    /// trace of a few goroutines can have any ratio.
    pub sched_min: Time,
    /// `assist`: a mark assist slice longer than this is `gc-assist`. Default 10 ms.
    pub assist: Time,
    /// `mutex-share`: `lock-contention` when goroutines blocked on a Mutex, on average over
    /// the trace, number more than this. Default 2.
    pub mutex_share: f64,
    /// `net`: a block on the network longer than this is `slow-network`. Default 20 ms.
    pub net: Time,
    /// `leaked`: `goroutine-leak` when more goroutines than this were created during the trace
    /// and are still blocked at its end. Default 100.
    pub leaked: u64,
    /// `serial`: `serial-bottleneck` when one P's worth of goroutines ran alone for longer
    /// than this. Default 100 ms.
    pub serial: Time,
    /// `bucket`: the width of the time buckets the doctor integrates over (serial stretches,
    /// the worst moment of contention and oversubscription). Default 5 ms.
    pub bucket: Time,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            stw: 1_000_000,
            sched_ratio: 10.0,
            sched_min: 10_000_000,
            assist: 10_000_000,
            mutex_share: 2.0,
            net: 20_000_000,
            leaked: 100,
            serial: 100_000_000,
            bucket: 5_000_000,
        }
    }
}

impl Thresholds {
    /// The names [`set`](Self::set) takes.
    pub const NAMES: [&'static str; 9] = [
        "stw",
        "sched-ratio",
        "sched-min",
        "assist",
        "mutex-share",
        "net",
        "leaked",
        "serial",
        "bucket",
    ];

    /// Sets the threshold `name` from text: a duration (`1ms`, `500us`, `2s`, `100ns`, or
    /// nanoseconds) for times, a number for ratios and counts.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let dur = || parse_duration(value).ok_or_else(|| format!("bad duration {value:?}"));
        let num = || {
            value
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| format!("bad number {value:?}"))
        };
        match name {
            "stw" => self.stw = dur()?,
            "sched-ratio" => self.sched_ratio = num()?,
            "sched-min" => self.sched_min = dur()?,
            "assist" => self.assist = dur()?,
            "mutex-share" => self.mutex_share = num()?,
            "net" => self.net = dur()?,
            "leaked" => self.leaked = value.parse().map_err(|_| format!("bad count {value:?}"))?,
            "serial" => self.serial = dur()?,
            "bucket" => {
                let b = dur()?;
                if b <= 0 {
                    return Err("bucket must be positive".into());
                }
                self.bucket = b;
            }
            _ => {
                return Err(format!(
                    "unknown threshold {name:?} (known: {})",
                    Thresholds::NAMES.join(", ")
                ))
            }
        }
        Ok(())
    }
}

/// A non-negative duration: nanoseconds, or a number with a unit `ns`, `us`, `µs`, `ms`, `s`.
pub fn parse_duration(s: &str) -> Option<Time> {
    let s = s.trim();
    let (num, scale) = [
        ("ns", 1.0),
        ("us", 1e3),
        ("µs", 1e3),
        ("ms", 1e6),
        ("s", 1e9),
    ]
    .iter()
    .find_map(|(u, k)| s.strip_suffix(u).map(|n| (n, *k)))
    .unwrap_or((s, 1.0));
    let v: f64 = num.parse().ok()?;
    let ns = v * scale;
    (ns.is_finite() && (0.0..9.2e18).contains(&ns)).then_some(ns as Time)
}

/// How bad a finding is: how far its measure is past its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Past the threshold, less than 3 times it.
    Low,
    /// 3 to 10 times the threshold.
    Medium,
    /// 10 times the threshold or more.
    High,
}

impl Severity {
    fn of(measured: f64, threshold: f64) -> Severity {
        let r = if threshold > 0.0 {
            measured / threshold
        } else {
            f64::INFINITY
        };
        if r >= 10.0 {
            Severity::High
        } else if r >= 3.0 {
            Severity::Medium
        } else {
            Severity::Low
        }
    }
    /// `low`, `medium` or `high`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// A value in a finding's evidence.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A count, or a time in trace nanoseconds (names ending `_ns`).
    Int(i64),
    /// A ratio or share.
    Float(f64),
    /// Text: a reason, a function name.
    Str(String),
    /// A list.
    List(Vec<Value>),
    /// An object: named values, in order.
    Obj(Vec<(&'static str, Value)>),
}

impl Value {
    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(v) => Some(*v),
            _ => None,
        }
    }
    /// The number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(v) => Some(*v as f64),
            Value::Float(v) => Some(*v),
            _ => None,
        }
    }
    /// The text, if this is text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    /// The list, if this is one.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }
    /// The field `name` of an object.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Obj(o) => o.iter().find(|(k, _)| *k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value as JSON.
    pub fn write_json(&self, out: &mut String) {
        match self {
            Value::Int(v) => {
                let _ = write!(out, "{v}");
            }
            Value::Float(v) if v.is_finite() => {
                let _ = write!(out, "{v}");
            }
            Value::Float(_) => out.push_str("null"),
            Value::Str(s) => json_string(out, s),
            Value::List(l) => {
                out.push('[');
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write_json(out);
                }
                out.push(']');
            }
            Value::Obj(o) => {
                out.push('{');
                for (i, (k, v)) in o.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json_string(out, k);
                    out.push(':');
                    v.write_json(out);
                }
                out.push('}');
            }
        }
    }
}

/// `s` as a JSON string.
pub fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// One problem the runbook names, found in the trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Its id, one of [`FINDING_IDS`].
    pub id: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// One line, with figures.
    pub summary: String,
    /// The evidence: an object ([`Value::Obj`]) whose fields always include `measured` and
    /// `threshold` (with `unit`), and the time range of the worst moment (`worst_start_ns`,
    /// `worst_end_ns`).
    pub evidence: Value,
    /// The runbook's advice.
    pub advice: &'static str,
    /// Where to look next: commands without the trace's path, which goes last
    /// ([`Finding::next_commands`]).
    pub next: Vec<String>,
}

impl Finding {
    /// The commands to run next, on the trace at `path`.
    pub fn next_commands(&self, path: &str) -> Vec<String> {
        let quoted = shell_quote(path);
        self.next.iter().map(|c| format!("{c} {quoted}")).collect()
    }

    /// The finding as a JSON object, `next` holding the commands on `path`.
    pub fn write_json(&self, out: &mut String, path: &str) {
        out.push_str("{\"id\":");
        json_string(out, self.id);
        out.push_str(",\"severity\":");
        json_string(out, self.severity.name());
        out.push_str(",\"summary\":");
        json_string(out, &self.summary);
        out.push_str(",\"evidence\":");
        self.evidence.write_json(out);
        out.push_str(",\"advice\":");
        json_string(out, self.advice);
        out.push_str(",\"next\":[");
        for (i, c) in self.next_commands(path).iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json_string(out, c);
        }
        out.push_str("]}");
    }
}

/// The findings as `{"findings":[...]}`.
pub fn findings_json(findings: &[Finding], path: &str) -> String {
    let mut out = String::from("{\"findings\":[");
    for (i, f) in findings.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        f.write_json(&mut out, path);
    }
    out.push_str("]}");
    out
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The runbook's advice, by finding.
pub fn advice(id: &str) -> &'static str {
    match id {
        "long-stw" => {
            "GC regression: check GC pauses, correlate with allocation rate, bisect new allocations"
        }
        "oversubscription" => {
            "unbounded `go func()` loops: bound concurrency, tune the worker pool"
        }
        "gc-assist" => "allocator outrunning the pacer: set or raise GOMEMLIMIT, allocate less",
        "lock-contention" => {
            "capture the mutex profile, shorten the critical section or split the lock"
        }
        "slow-network" => "the backend is slow: trace the downstream service",
        "goroutine-leak" => "goroutine profile, find the stuck stacks",
        "serial-bottleneck" => "find the long single-goroutine stretch, fan out",
        _ => "",
    }
}

/// Distinct stacks kept per table; the rest are counted as `(other stacks)`.
const MAX_STACKS: usize = 1024;
/// Stacks and start functions listed in the evidence.
const TOP: usize = 5;
/// Frames of a stack kept in its key (as profiles keep).
const MAX_FRAMES: usize = 128;

/// Time and count by key (a rendered stack, a start function), at most `MAX_STACKS` keys.
#[derive(Debug, Default)]
struct Tally {
    by: HashMap<Arc<str>, (u64, i64)>,
    other: (u64, i64),
}

impl Tally {
    fn add(&mut self, key: &Arc<str>, d: i64) {
        if let Some(e) = self.by.get_mut(key) {
            e.0 += 1;
            e.1 = e.1.saturating_add(d);
        } else if self.by.len() < MAX_STACKS {
            self.by.insert(key.clone(), (1, d));
        } else {
            self.other.0 += 1;
            self.other.1 = self.other.1.saturating_add(d);
        }
    }
    fn total(&self) -> i64 {
        self.by
            .values()
            .fold(self.other.1, |a, e| a.saturating_add(e.1))
    }
    /// The top entries by time as evidence: key, count, time, share of the total.
    fn top(&self, field: &'static str) -> Value {
        let total = self.total();
        let mut v: Vec<_> = self.by.iter().collect();
        v.sort_by(|a, b| b.1 .1.cmp(&a.1 .1).then_with(|| a.0.cmp(b.0)));
        Value::List(
            v.into_iter()
                .take(TOP)
                .map(|(k, &(n, t))| {
                    let value = if field == "stack" {
                        Value::List(k.split('\n').map(|s| Value::Str(s.into())).collect())
                    } else {
                        Value::Str(k.to_string())
                    };
                    Value::Obj(vec![
                        (field, value),
                        ("count", Value::Int(n as i64)),
                        ("time_ns", Value::Int(t)),
                        ("share", Value::Float(share(t, total))),
                    ])
                })
                .collect(),
        )
    }
}

fn share(part: i64, whole: i64) -> f64 {
    if whole > 0 {
        (part as f64 / whole as f64 * 1e4).round() / 1e4
    } else {
        0.0
    }
}

/// What a blocked goroutine is blocked on, for the doctor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Other,
    Mutex,
    Network,
}

#[derive(Debug)]
struct G {
    state: GoState,
    since: Time,
    name: Option<Arc<str>>,
    created: Option<Time>,
    block: Block,
    stack: Option<Arc<str>>,
    ran: i64,
    waited: i64,
}

/// The worst single slice of something: its length, goroutine and span.
#[derive(Debug, Clone, Default)]
struct Worst {
    d: i64,
    g: GoId,
    start: Time,
    name: Option<Arc<str>>,
    n: u64,
    total: i64,
    over: u64,
}

impl Worst {
    fn add(&mut self, d: i64, g: GoId, start: Time, name: &Option<Arc<str>>, threshold: i64) {
        self.n += 1;
        self.total = self.total.saturating_add(d);
        if d > threshold {
            self.over += 1;
        }
        if d > self.d {
            *self = Worst {
                d,
                g,
                start,
                name: name.clone(),
                ..*self
            };
        }
    }
}

/// Goroutine-time integrated over one bucket.
#[derive(Debug, Clone, Copy, Default)]
struct Acc {
    running: i64,
    runnable: i64,
    mutex: i64,
}

/// The doctor: feed it every event of a trace, in order, then [`finish`](Doctor::finish).
#[derive(Debug)]
pub struct Doctor {
    th: Thresholds,
    gs: IdMap<GoId, G>,
    names: HashMap<Box<[u8]>, Arc<str>>,
    first: Option<Time>,
    last: Time,
    /// The latest sync: goroutines first seen in its generation were in their state since.
    last_sync: Option<Time>,
    gomaxprocs: u64,
    procs_seen: IdMap<i64, ()>,
    // Live counts, and their integrals over the current bucket.
    running: i64,
    runnable: i64,
    mutex_blocked: i64,
    bucket_start: Time,
    integrated_to: Time,
    acc: Acc,
    // Totals.
    exec: i64,
    sched_wait: i64,
    mutex_wait: i64,
    sched_by_name: Tally,
    worst_runnable: (i64, Time),
    worst_mutex: (i64, Time),
    mutex_stacks: Tally,
    mutex_by_name: Tally,
    // Serial stretches: the current one's start and the longest.
    serial_from: Option<Time>,
    serial_best: (Time, Time),
    serial_slice: Worst,
    serial_cur_slice: Worst,
    // Slices.
    stw: Worst,
    stw_open: Option<(Time, Arc<str>)>,
    stw_reason: Option<Arc<str>>,
    assists: IdMap<GoId, (Time, Option<Arc<str>>)>,
    assist: Worst,
    assist_stacks: Tally,
    net: Worst,
    net_stacks: Tally,
}

impl Default for Doctor {
    fn default() -> Doctor {
        Doctor::new(Thresholds::default())
    }
}

impl crate::EventSink for Doctor {
    fn event(&mut self, ev: &Event) {
        Doctor::event(self, ev)
    }
}

/// A stack as text, one `function file:line` frame a line, leaf first.
fn stack_key(ev: &Event) -> Option<Arc<str>> {
    let stack = ev.stack();
    if stack.is_none() {
        return None;
    }
    let mut s = String::new();
    for f in stack.frames().take(MAX_FRAMES) {
        if !s.is_empty() {
            s.push('\n');
        }
        let _ = write!(
            s,
            "{} {}:{}",
            String::from_utf8_lossy(f.func),
            String::from_utf8_lossy(f.file),
            f.line
        );
    }
    Some(s.into())
}

fn is_mutex_stack(ev: &Event) -> bool {
    ev.stack().frames().take(MAX_FRAMES).any(|f| {
        let has = |n: &[u8]| f.func.windows(n.len()).any(|w| w == n);
        has(b"sync.(*Mutex)") || has(b"sync.(*RWMutex)")
    })
}

/// A network wait that is not a call: a listener waiting for connections (`Accept`), or an
/// HTTP server waiting for its clients' next request (`net/http.(*connReader)`).
fn is_serving_stack(ev: &Event) -> bool {
    ev.stack().frames().take(MAX_FRAMES).any(|f| {
        let has = |n: &[u8]| f.func.windows(n.len()).any(|w| w == n);
        has(b"Accept") || has(b"accept") || has(b"net/http.(*connReader)")
    })
}

impl Doctor {
    /// A doctor with these thresholds that has seen nothing.
    pub fn new(th: Thresholds) -> Doctor {
        Doctor {
            th,
            gs: IdMap::default(),
            names: HashMap::new(),
            first: None,
            last: 0,
            last_sync: None,
            gomaxprocs: 0,
            procs_seen: IdMap::default(),
            running: 0,
            runnable: 0,
            mutex_blocked: 0,
            bucket_start: 0,
            integrated_to: 0,
            acc: Acc::default(),
            exec: 0,
            sched_wait: 0,
            mutex_wait: 0,
            sched_by_name: Tally::default(),
            worst_runnable: (0, 0),
            worst_mutex: (0, 0),
            mutex_stacks: Tally::default(),
            mutex_by_name: Tally::default(),
            serial_from: None,
            serial_best: (0, 0),
            serial_slice: Worst::default(),
            serial_cur_slice: Worst::default(),
            stw: Worst::default(),
            stw_open: None,
            stw_reason: None,
            assists: IdMap::default(),
            assist: Worst::default(),
            assist_stacks: Tally::default(),
            net: Worst::default(),
            net_stacks: Tally::default(),
        }
    }

    /// The thresholds in use.
    pub fn thresholds(&self) -> &Thresholds {
        &self.th
    }

    fn name(&mut self, func: &[u8]) -> Arc<str> {
        if let Some(n) = self.names.get(func) {
            return n.clone();
        }
        let n: Arc<str> = String::from_utf8_lossy(func).into();
        if self.names.len() < MAX_STACKS {
            self.names.insert(func.into(), n.clone());
        }
        n
    }

    /// GOMAXPROCS as the metric last gave it, or the Ps seen if more (v1 traces have no
    /// such metric).
    fn procs(&self) -> u64 {
        self.gomaxprocs.max(self.procs_seen.len() as u64)
    }

    /// Adds the live counts over `[integrated_to, t)` to the buckets, closing the buckets `t`
    /// is past.
    fn advance(&mut self, t: Time) {
        let w = self.th.bucket.max(1);
        let t = t.max(self.integrated_to);
        loop {
            let end = self.bucket_start.saturating_add(w);
            if t < end {
                break;
            }
            self.integrate(end);
            self.close_bucket(end);
            // Buckets that the counts fill unchanged: one of them stands for all.
            let full = t.saturating_sub(end) / w;
            if full > 1 {
                let skip = (full - 1).saturating_mul(w);
                let from = end;
                self.bucket_start = end.saturating_add(skip);
                self.integrated_to = self.bucket_start;
                // The skipped buckets are like the next one; classify one for all of them.
                let serial = self.bucket_is_serial(Acc {
                    running: self.running.saturating_mul(w),
                    runnable: self.runnable.saturating_mul(w),
                    mutex: self.mutex_blocked.saturating_mul(w),
                });
                self.serial_step(serial, from, self.bucket_start);
            }
        }
        self.integrate(t);
    }

    fn integrate(&mut self, t: Time) {
        let d = t.saturating_sub(self.integrated_to).max(0);
        self.acc.running = self
            .acc
            .running
            .saturating_add(self.running.saturating_mul(d));
        self.acc.runnable = self
            .acc
            .runnable
            .saturating_add(self.runnable.saturating_mul(d));
        self.acc.mutex = self
            .acc
            .mutex
            .saturating_add(self.mutex_blocked.saturating_mul(d));
        self.integrated_to = t.max(self.integrated_to);
    }

    fn bucket_is_serial(&self, a: Acc) -> bool {
        let w = self.th.bucket.max(1) as f64;
        self.procs() >= 2
            && (a.running as f64) >= 0.9 * w
            && (a.running as f64) <= 1.1 * w
            && (a.mutex as f64) < 0.1 * w
            && (a.runnable as f64) < 0.1 * w
    }

    fn close_bucket(&mut self, end: Time) {
        let a = std::mem::take(&mut self.acc);
        let start = self.bucket_start;
        if a.runnable > self.worst_runnable.0 {
            self.worst_runnable = (a.runnable, start);
        }
        if a.mutex > self.worst_mutex.0 {
            self.worst_mutex = (a.mutex, start);
        }
        let serial = self.bucket_is_serial(a);
        self.serial_step(serial, start, end);
        self.bucket_start = end;
    }

    fn serial_step(&mut self, serial: bool, start: Time, end: Time) {
        if serial {
            let from = *self.serial_from.get_or_insert(start);
            if end.saturating_sub(from) > self.serial_best.1.saturating_sub(self.serial_best.0) {
                self.serial_best = (from, end);
                self.serial_slice = self.serial_cur_slice.clone();
            }
        } else {
            self.serial_from = None;
            self.serial_cur_slice = Worst::default();
        }
    }

    /// Takes the next event of the trace.
    pub fn event(&mut self, ev: &Event) {
        let t = ev.time();
        if self.first.is_none() {
            self.first = Some(t);
            self.bucket_start = t;
            self.integrated_to = t;
        }
        self.last = self.last.max(t);
        self.advance(t);
        match ev.kind() {
            EventKind::Sync => self.last_sync = Some(t),
            EventKind::Metric => {
                if let Some(m) = ev.metric() {
                    if m.name == Metric::GOMAXPROCS {
                        self.gomaxprocs = m.value;
                    }
                }
            }
            EventKind::StateTransition => self.transition(ev, t),
            EventKind::RangeBegin | EventKind::RangeActive | EventKind::RangeEnd => {
                self.range(ev, t)
            }
            _ => {}
        }
    }

    fn range(&mut self, ev: &Event, t: Time) {
        let Some(r) = ev.range() else { return };
        let begin = ev.kind() != EventKind::RangeEnd;
        match r.kind {
            RangeKind::StopTheWorld => {
                if begin {
                    if ev.kind() == EventKind::RangeBegin {
                        let reason = String::from_utf8_lossy(r.stw_reason().unwrap_or(b""));
                        self.stw_open = Some((t, reason.into()));
                    }
                } else if let Some((start, reason)) = self.stw_open.take() {
                    let d = t.saturating_sub(start);
                    let before = self.stw.d;
                    self.stw
                        .add(d, ev.goroutine(), start, &Some(reason.clone()), self.th.stw);
                    if self.stw.d > before {
                        self.stw_reason = Some(reason);
                    }
                }
            }
            RangeKind::MarkAssist => {
                let g = r.scope.id;
                if begin {
                    if self.assists.contains_key(&g) {
                        return;
                    }
                    // One in progress when the generation began counts from the trace's start.
                    let start = if ev.kind() == EventKind::RangeActive {
                        self.first.unwrap_or(t)
                    } else {
                        t
                    };
                    self.assists.insert(g, (start, stack_key(ev)));
                } else if let Some((start, stack)) = self.assists.remove(&g) {
                    let d = t.saturating_sub(start);
                    let name = self.gs.get(&g).and_then(|x| x.name.clone());
                    self.assist.add(d, g, start, &name, self.th.assist);
                    if let Some(s) = stack {
                        self.assist_stacks.add(&s, d);
                    }
                }
            }
            _ => {}
        }
    }

    fn transition(&mut self, ev: &Event, t: Time) {
        let Some(st) = ev.state_transition() else {
            return;
        };
        if st.proc().is_some() {
            self.procs_seen.insert(st.resource.id, ());
            return;
        }
        let Some((old, new)) = st.goroutine() else {
            return;
        };
        if old == new {
            return;
        }
        let id = st.resource.id;
        let name = st.stack.frames().last().map(|f| self.name(f.func));
        let since = match old {
            // In that state since the generation began, as Go's summary counts.
            GoState::Undetermined => self.last_sync.or(self.first).unwrap_or(t),
            _ => t,
        };
        // First seen already running or runnable (no status event before): it counts as such
        // from now on, so that leaving the state balances the live counts.
        if !self.gs.contains_key(&id) {
            match old {
                GoState::Running => self.running += 1,
                GoState::Runnable => self.runnable += 1,
                _ => {}
            }
        }
        let g = self.gs.entry(id).or_insert_with(|| G {
            state: old,
            since,
            name: None,
            created: (old == GoState::NotExist).then_some(t),
            block: Block::Other,
            stack: None,
            ran: 0,
            waited: 0,
        });
        if g.name.is_none() {
            g.name = name;
        }
        let d = t.saturating_sub(g.since).max(0);
        let gname = g.name.clone();
        // Leave the old state.
        match g.state {
            GoState::Running => {
                self.running -= 1;
                self.exec = self.exec.saturating_add(d);
                g.ran = g.ran.saturating_add(d);
                let start = g.since;
                self.serial_cur_slice
                    .add(d, id, start, &gname, self.th.serial);
            }
            GoState::Runnable => {
                self.runnable -= 1;
                self.sched_wait = self.sched_wait.saturating_add(d);
                g.waited = g.waited.saturating_add(d);
                if let Some(n) = &gname {
                    self.sched_by_name.add(n, d);
                }
            }
            GoState::Waiting => match g.block {
                Block::Mutex => {
                    self.mutex_blocked -= 1;
                    self.mutex_wait = self.mutex_wait.saturating_add(d);
                    if let Some(s) = &g.stack {
                        self.mutex_stacks.add(s, d);
                    }
                    if let Some(n) = &gname {
                        self.mutex_by_name.add(n, d);
                    }
                }
                Block::Network => {
                    let start = g.since;
                    self.net.add(d, id, start, &gname, self.th.net);
                    if let Some(s) = &g.stack {
                        self.net_stacks.add(s, d);
                    }
                }
                Block::Other => {}
            },
            _ => {}
        }
        g.state = new;
        // A goroutine first seen in this generation was in `new` since the generation began.
        if old != GoState::Undetermined {
            g.since = t;
        }
        g.block = Block::Other;
        g.stack = None;
        match new {
            GoState::Running => self.running += 1,
            GoState::Runnable => self.runnable += 1,
            GoState::Waiting if st.reason == b"network" && !is_serving_stack(ev) => {
                g.block = Block::Network;
                g.stack = stack_key(ev);
            }
            GoState::Waiting if is_mutex_stack(ev) => {
                g.block = Block::Mutex;
                g.stack = stack_key(ev);
                self.mutex_blocked += 1;
            }
            GoState::Waiting if g.created.is_some() => g.stack = stack_key(ev),
            GoState::NotExist => {
                self.gs.remove(&id);
            }
            _ => {}
        }
    }

    /// Ends the trace and gives the findings, most severe first (then in the runbook's
    /// order). A healthy trace gives none.
    pub fn finish(mut self) -> Vec<Finding> {
        let last = self.last;
        let first = self.first.unwrap_or(last);
        // States still open at the end count up to the last event, as in Go's summary.
        let open: Vec<(GoState, Time, Block, Option<Arc<str>>)> = self
            .gs
            .values()
            .map(|g| (g.state, g.since, g.block, g.name.clone()))
            .collect();
        for (state, since, block, name) in &open {
            let d = last.saturating_sub(*since).max(0);
            match state {
                GoState::Running => self.exec = self.exec.saturating_add(d),
                GoState::Runnable => {
                    self.sched_wait = self.sched_wait.saturating_add(d);
                    if let Some(n) = name {
                        self.sched_by_name.add(n, d);
                    }
                }
                GoState::Waiting if *block == Block::Mutex => {
                    self.mutex_wait = self.mutex_wait.saturating_add(d);
                }
                _ => {}
            }
        }
        // The last, partial bucket counts if the counts filled it.
        self.advance(last);
        let end = last;
        let partial = std::mem::take(&mut self.acc);
        if partial.runnable > self.worst_runnable.0 {
            self.worst_runnable = (partial.runnable, self.bucket_start);
        }
        if partial.mutex > self.worst_mutex.0 {
            self.worst_mutex = (partial.mutex, self.bucket_start);
        }
        let span = last.saturating_sub(first);
        let bucket = self.th.bucket;
        let mut out = Vec::new();

        // long-stw
        if self.stw.d > self.th.stw {
            let w = &self.stw;
            let reason = self.stw_reason.as_deref().unwrap_or("").to_string();
            out.push(Finding {
                id: "long-stw",
                severity: Severity::of(w.d as f64, self.th.stw as f64),
                summary: format!(
                    "{} stop-the-world pauses over {}; the longest {} ({}) at +{}; {} stopped in all",
                    w.over,
                    GoDuration(self.th.stw),
                    GoDuration(w.d),
                    reason,
                    GoDuration(w.start.saturating_sub(first)),
                    GoDuration(w.total)
                ),
                evidence: Value::Obj(vec![
                    ("measured", Value::Int(w.d)),
                    ("threshold", Value::Int(self.th.stw)),
                    ("unit", Value::Str("ns".into())),
                    ("pauses", Value::Int(w.n as i64)),
                    ("pauses_over_threshold", Value::Int(w.over as i64)),
                    ("stw_total_ns", Value::Int(w.total)),
                    ("worst_reason", Value::Str(reason)),
                    ("worst_start_ns", Value::Int(w.start)),
                    ("worst_end_ns", Value::Int(w.start.saturating_add(w.d))),
                ]),
                advice: advice("long-stw"),
                next: vec![
                    timeline_range(w.start, w.start.saturating_add(w.d)),
                    "trace-gc".into(),
                ],
            });
        }

        // oversubscription. Goroutines that leaked (see below) waited for a P to do nothing:
        // their waits are the leak's.
        let (leak_waited, leak_ran) = self
            .gs
            .values()
            .filter(|g| g.created.is_some() && leak_candidate(g))
            .fold((0i64, 0i64), |(w, r), g| {
                (w.saturating_add(g.waited), r.saturating_add(g.ran))
            });
        let sched_wait = self.sched_wait.saturating_sub(leak_waited).max(0);
        let exec = self.exec.saturating_sub(leak_ran).max(0);
        let ratio = if exec > 0 {
            sched_wait as f64 / exec as f64
        } else if sched_wait > 0 {
            f64::INFINITY
        } else {
            0.0
        };
        if sched_wait >= self.th.sched_min && ratio > self.th.sched_ratio {
            let (wr, ws) = self.worst_runnable;
            let we = ws.saturating_add(bucket).min(end.max(ws));
            out.push(Finding {
                id: "oversubscription",
                severity: Severity::of(ratio, self.th.sched_ratio),
                summary: format!(
                    "goroutines waited {} for a P and ran {}: {:.1}x (threshold {}x); up to {:.0} runnable at once on {} Ps",
                    GoDuration(sched_wait),
                    GoDuration(exec),
                    ratio,
                    self.th.sched_ratio,
                    wr as f64 / bucket.max(1) as f64,
                    self.procs()
                ),
                evidence: Value::Obj(vec![
                    ("measured", Value::Float(round4(ratio))),
                    ("threshold", Value::Float(self.th.sched_ratio)),
                    ("unit", Value::Str("sched wait / running".into())),
                    ("sched_wait_ns", Value::Int(self.sched_wait)),
                    ("exec_ns", Value::Int(self.exec)),
                    ("leaked_sched_wait_ns", Value::Int(leak_waited)),
                    ("leaked_exec_ns", Value::Int(leak_ran)),
                    ("gomaxprocs", Value::Int(self.procs() as i64)),
                    (
                        "worst_runnable_avg",
                        Value::Float(round4(wr as f64 / bucket.max(1) as f64)),
                    ),
                    ("worst_start_ns", Value::Int(ws)),
                    ("worst_end_ns", Value::Int(we)),
                    ("top_start_functions", self.sched_by_name.top("function")),
                ]),
                advice: advice("oversubscription"),
                next: vec![
                    timeline_range(ws, we),
                    format!("trace2pprof -pprof=sched --from {ws} --to {we}"),
                ],
            });
        }

        // gc-assist
        if self.assist.d > self.th.assist {
            let w = &self.assist;
            let name = w.name.as_deref().unwrap_or("").to_string();
            let we = w.start.saturating_add(w.d);
            out.push(Finding {
                id: "gc-assist",
                severity: Severity::of(w.d as f64, self.th.assist as f64),
                summary: format!(
                    "{} mark assists over {}; the longest {} on goroutine {} ({}); {} assisting in all",
                    w.over,
                    GoDuration(self.th.assist),
                    GoDuration(w.d),
                    w.g,
                    name,
                    GoDuration(w.total)
                ),
                evidence: Value::Obj(vec![
                    ("measured", Value::Int(w.d)),
                    ("threshold", Value::Int(self.th.assist)),
                    ("unit", Value::Str("ns".into())),
                    ("assists", Value::Int(w.n as i64)),
                    ("assists_over_threshold", Value::Int(w.over as i64)),
                    ("assist_total_ns", Value::Int(w.total)),
                    ("worst_goroutine", Value::Int(w.g)),
                    ("worst_start_function", Value::Str(name)),
                    ("worst_start_ns", Value::Int(w.start)),
                    ("worst_end_ns", Value::Int(we)),
                    ("top_stacks", self.assist_stacks.top("stack")),
                ]),
                advice: advice("gc-assist"),
                next: vec![timeline_goroutine(w.g, w.start, we), "trace-gc".into()],
            });
        }

        // lock-contention
        let mshare = if span > 0 {
            self.mutex_wait as f64 / span as f64
        } else {
            0.0
        };
        if mshare > self.th.mutex_share {
            let (wm, ws) = self.worst_mutex;
            let we = ws.saturating_add(bucket).min(end.max(ws));
            out.push(Finding {
                id: "lock-contention",
                severity: Severity::of(mshare, self.th.mutex_share),
                summary: format!(
                    "on average {:.1} goroutines blocked on a Mutex ({} in all over {}; threshold {}); up to {:.1} at once",
                    mshare,
                    GoDuration(self.mutex_wait),
                    GoDuration(span),
                    self.th.mutex_share,
                    wm as f64 / bucket.max(1) as f64
                ),
                evidence: Value::Obj(vec![
                    ("measured", Value::Float(round4(mshare))),
                    ("threshold", Value::Float(self.th.mutex_share)),
                    ("unit", Value::Str("goroutines blocked on a Mutex, on average".into())),
                    ("mutex_wait_ns", Value::Int(self.mutex_wait)),
                    ("span_ns", Value::Int(span)),
                    (
                        "worst_blocked_avg",
                        Value::Float(round4(wm as f64 / bucket.max(1) as f64)),
                    ),
                    ("worst_start_ns", Value::Int(ws)),
                    ("worst_end_ns", Value::Int(we)),
                    ("top_start_functions", self.mutex_by_name.top("function")),
                    ("top_stacks", self.mutex_stacks.top("stack")),
                ]),
                advice: advice("lock-contention"),
                next: vec![
                    timeline_range(ws, we),
                    format!("trace2pprof -pprof=sync --from {ws} --to {we}"),
                ],
            });
        }

        // slow-network
        if self.net.d > self.th.net {
            let w = &self.net;
            let name = w.name.as_deref().unwrap_or("").to_string();
            let we = w.start.saturating_add(w.d);
            out.push(Finding {
                id: "slow-network",
                severity: Severity::of(w.d as f64, self.th.net as f64),
                summary: format!(
                    "{} network waits over {}; the longest {} on goroutine {} ({}); {} waiting in all",
                    w.over,
                    GoDuration(self.th.net),
                    GoDuration(w.d),
                    w.g,
                    name,
                    GoDuration(w.total)
                ),
                evidence: Value::Obj(vec![
                    ("measured", Value::Int(w.d)),
                    ("threshold", Value::Int(self.th.net)),
                    ("unit", Value::Str("ns".into())),
                    ("waits", Value::Int(w.n as i64)),
                    ("waits_over_threshold", Value::Int(w.over as i64)),
                    ("net_wait_total_ns", Value::Int(w.total)),
                    ("worst_goroutine", Value::Int(w.g)),
                    ("worst_start_function", Value::Str(name)),
                    ("worst_start_ns", Value::Int(w.start)),
                    ("worst_end_ns", Value::Int(we)),
                    ("top_stacks", self.net_stacks.top("stack")),
                ]),
                advice: advice("slow-network"),
                next: vec![
                    timeline_goroutine(w.g, w.start, we),
                    format!("trace2pprof -pprof=net --from {} --to {we}", w.start),
                ],
            });
        }

        // goroutine-leak
        let mut leaked = 0u64;
        let (mut lo, mut hi) = (Time::MAX, Time::MIN);
        let mut stuck = Tally::default();
        let mut leaked_names = Tally::default();
        let mut ran: i64 = 0;
        for g in self.gs.values() {
            let Some(c) = g.created else { continue };
            if !leak_candidate(g) {
                continue;
            }
            leaked += 1;
            ran = ran.saturating_add(g.ran);
            lo = lo.min(c);
            hi = hi.max(c);
            let d = last.saturating_sub(g.since);
            if let Some(n) = &g.name {
                leaked_names.add(n, d);
            }
            if let Some(s) = &g.stack {
                stuck.add(s, d);
            }
        }
        if leaked > self.th.leaked {
            out.push(Finding {
                id: "goroutine-leak",
                severity: Severity::of(leaked as f64, self.th.leaked as f64),
                summary: format!(
                    "{} goroutines created between +{} and +{} are still blocked at the end, having run {} in all (threshold {})",
                    leaked,
                    GoDuration(lo.saturating_sub(first)),
                    GoDuration(hi.saturating_sub(first)),
                    GoDuration(ran),
                    self.th.leaked
                ),
                evidence: Value::Obj(vec![
                    ("measured", Value::Int(leaked as i64)),
                    ("threshold", Value::Int(self.th.leaked as i64)),
                    ("unit", Value::Str("goroutines".into())),
                    ("worst_start_ns", Value::Int(lo)),
                    ("worst_end_ns", Value::Int(hi)),
                    ("ran_ns", Value::Int(ran)),
                    ("top_start_functions", leaked_names.top("function")),
                    ("top_stacks", stuck.top("stack")),
                ]),
                advice: advice("goroutine-leak"),
                next: vec![
                    timeline_range(lo, hi.max(lo.saturating_add(1))),
                    "trace-goroutines".into(),
                ],
            });
        }

        // serial-bottleneck
        let (ss, se) = self.serial_best;
        if se.saturating_sub(ss) > self.th.serial {
            let w = &self.serial_slice;
            let name = w.name.as_deref().unwrap_or("").to_string();
            out.push(Finding {
                id: "serial-bottleneck",
                severity: Severity::of((se.saturating_sub(ss)) as f64, self.th.serial as f64),
                summary: format!(
                    "for {} from +{} one P's worth of goroutines ran while {} Ps were available; the longest slice {} on goroutine {} ({})",
                    GoDuration(se.saturating_sub(ss)),
                    GoDuration(ss.saturating_sub(first)),
                    self.procs(),
                    GoDuration(w.d),
                    w.g,
                    name
                ),
                evidence: Value::Obj(vec![
                    ("measured", Value::Int(se.saturating_sub(ss))),
                    ("threshold", Value::Int(self.th.serial)),
                    ("unit", Value::Str("ns".into())),
                    ("gomaxprocs", Value::Int(self.procs() as i64)),
                    ("worst_start_ns", Value::Int(ss)),
                    ("worst_end_ns", Value::Int(se)),
                    ("longest_slice_ns", Value::Int(w.d)),
                    ("goroutine", Value::Int(w.g)),
                    ("start_function", Value::Str(name)),
                ]),
                advice: advice("serial-bottleneck"),
                next: vec![timeline_goroutine(w.g, ss, se)],
            });
        }

        out.sort_by(|a, b| {
            let rank = |id: &str| FINDING_IDS.iter().position(|x| *x == id).unwrap_or(99);
            b.severity
                .cmp(&a.severity)
                .then_with(|| rank(a.id).cmp(&rank(b.id)))
        });
        out
    }
}

/// A goroutine created in the trace and blocked at its end, not the runtime's own (GC
/// workers park between cycles).
fn leak_candidate(g: &G) -> bool {
    let system = g
        .name
        .as_deref()
        .is_none_or(|n| crate::summary::is_system_goroutine(n.as_bytes()));
    g.state == GoState::Waiting && !system
}

fn round4(v: f64) -> f64 {
    if v.is_finite() {
        (v * 1e4).round() / 1e4
    } else {
        v
    }
}

/// The timeline (the proc view) for a moment known by its time: `trace-timeline`'s `--start`
/// and `--end` count the viewer's events, not time, so the window is in the evidence
/// (`worst_start_ns`, `worst_end_ns`) rather than in the command.
fn timeline_range(_start: Time, _end: Time) -> String {
    "trace-timeline".to_string()
}

/// The goroutine view of goroutine `g` over its life.
fn timeline_goroutine(g: GoId, _start: Time, _end: Time) -> String {
    format!("trace-timeline --goid {g}")
}
