//! Mutator utilization and minimum mutator utilization (MMU) curves, as Go 1.27's
//! `internal/trace` computes them for `go tool trace`'s `/mmu` page.
//!
//! A [`Utilization`] takes the events of a trace one at a time and gives the mutator
//! utilization function: the fraction of the Ps left to the program (not the GC) over time,
//! as a step function, one series for the whole process or one per P. An [`MmuCurve`] then
//! answers, for a window size, the worst mean utilization of any window of that size
//! ([`MmuCurve::mmu`]) and the windows where it happens ([`MmuCurve::examples`]).
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use trace_model::mmu::{MmuCurve, UtilFlags, Utilization};
//! let bytes = std::fs::read("../../testdata/traces/go1.27.3/gc.trace")?;
//! let mut util = Utilization::new(UtilFlags::STW | UtilFlags::BACKGROUND | UtilFlags::ASSIST);
//! for ev in trace_model::Reader::new(&bytes)? {
//!     util.event(&ev?);
//! }
//! let curve = MmuCurve::new(util.finish()?);
//! let mmu_1ms = curve.mmu(1_000_000);
//! assert!((0.0..=1.0).contains(&mmu_1ms));
//! # Ok(()) }
//! ```

use std::fmt;
use std::ops::BitOr;

use trace_format::hash::{IdMap, IdSet};

use crate::event::{Event, EventKind, GoId, GoState, Metric, RangeKind, ResourceKind, Time};

/// What counts against the mutator. Go's `UtilFlags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct UtilFlags(u8);

impl UtilFlags {
    /// Nothing: utilization stays 1.
    pub const NONE: UtilFlags = UtilFlags(0);
    /// Stop-the-world pauses of the GC (names starting `stop-the-world` and containing `GC`).
    pub const STW: UtilFlags = UtilFlags(1);
    /// Background mark workers.
    pub const BACKGROUND: UtilFlags = UtilFlags(2);
    /// Mark assists.
    pub const ASSIST: UtilFlags = UtilFlags(4);
    /// Incremental sweeping.
    pub const SWEEP: UtilFlags = UtilFlags(8);
    /// One series per P instead of one for the process (the page's "Per-goroutine" view).
    pub const PER_PROC: UtilFlags = UtilFlags(16);

    /// Whether every flag of `other` is set.
    pub fn contains(self, other: UtilFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The flags as the `/mmu` page's `flags` query names them, e.g.
    /// `perProc|stw|background|assist`, or `none`.
    pub fn name(self) -> String {
        let names = [
            (UtilFlags::PER_PROC, "perProc"),
            (UtilFlags::STW, "stw"),
            (UtilFlags::BACKGROUND, "background"),
            (UtilFlags::ASSIST, "assist"),
            (UtilFlags::SWEEP, "sweep"),
        ];
        let set: Vec<_> = names
            .iter()
            .filter(|(f, _)| self.contains(*f))
            .map(|(_, n)| *n)
            .collect();
        if set.is_empty() {
            "none".to_string()
        } else {
            set.join("|")
        }
    }

    /// Parses [`UtilFlags::name`]'s spelling (names joined by `|`, any order).
    pub fn from_name(s: &str) -> Option<UtilFlags> {
        let mut f = UtilFlags::NONE;
        for part in s.split('|') {
            f = f | match part {
                "perProc" => UtilFlags::PER_PROC,
                "stw" => UtilFlags::STW,
                "background" => UtilFlags::BACKGROUND,
                "assist" => UtilFlags::ASSIST,
                "sweep" => UtilFlags::SWEEP,
                "none" => UtilFlags::NONE,
                _ => return None,
            };
        }
        Some(f)
    }
}

impl BitOr for UtilFlags {
    type Output = UtilFlags;
    fn bitor(self, rhs: UtilFlags) -> UtilFlags {
        UtilFlags(self.0 | rhs.0)
    }
}

/// A change of mutator utilization: from `time` on, the mean utilization is `util`, in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MutatorUtil {
    /// When, in trace nanoseconds.
    pub time: Time,
    /// The utilization from then on.
    pub util: f64,
}

/// The mutator utilization of a window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UtilWindow {
    /// Where the window begins.
    pub time: Time,
    /// Its mean mutator utilization.
    pub util: f64,
}

/// The utilization function would take more work than the limit allows: a hostile trace
/// (GOMAXPROCS jumping by millions, for one), which Go itself would take hours or all memory
/// on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkLimitExceeded {
    /// The time of the event at which the limit was reached.
    pub at: Time,
    /// The limit, in units of P slots resized, points written or rewritten (a new series
    /// counts as 256).
    pub limit: u64,
}

impl fmt::Display for WorkLimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "mutator utilization needs more than {} steps of work (at time {})",
            self.limit, self.at
        )
    }
}

impl std::error::Error for WorkLimitExceeded {}

#[derive(Debug, Clone, Copy, Default)]
struct PerP {
    /// > 0 while the GC runs on this P.
    gc: i64,
    /// The series this P writes to.
    series: usize,
}

/// Builds mutator utilization functions from a trace's events. Go's `MutatorUtilizationV2`,
/// one event at a time.
///
/// Memory holds the functions (one point per change of utilization) and the goroutines seen.
#[derive(Debug)]
pub struct Utilization {
    flags: UtilFlags,
    out: Vec<Vec<MutatorUtil>>,
    stw: i64,
    ps: Vec<PerP>,
    /// How many Ps have `gc > 0`, kept up to date rather than counted at each event.
    gc_ps: usize,
    /// Ps whose utilization may have changed since their series was last written (per-P mode).
    dirty: Vec<usize>,
    all_dirty: bool,
    in_gc: IdSet<GoId>,
    states: IdMap<GoId, GoState>,
    bg_mark: IdSet<GoId>,
    /// (time, GOMAXPROCS) at each change.
    procs: Vec<(Time, usize)>,
    n_sync: u64,
    last_time: Option<Time>,
    work: u64,
    limit: u64,
    exceeded: Option<WorkLimitExceeded>,
}

impl Utilization {
    /// The default [`Utilization::with_limit`]: far beyond any real trace's needs (those
    /// spend work only when GOMAXPROCS changes, the world stops or a range was active at the
    /// start), and about a second of work at most.
    pub const DEFAULT_WORK_LIMIT: u64 = 1 << 26;

    /// What a new series costs in units of work: its memory and its share of every
    /// [`MmuCurve`] query.
    const SERIES_COST: u64 = 256;

    /// A builder for the utilization that `flags` describe.
    pub fn new(flags: UtilFlags) -> Utilization {
        Utilization {
            flags,
            out: Vec::new(),
            stw: 0,
            ps: Vec::new(),
            gc_ps: 0,
            dirty: Vec::new(),
            all_dirty: false,
            in_gc: IdSet::default(),
            states: IdMap::default(),
            bg_mark: IdSet::default(),
            procs: Vec::new(),
            n_sync: 0,
            last_time: None,
            work: 0,
            limit: Self::DEFAULT_WORK_LIMIT,
            exceeded: None,
        }
    }

    /// Sets the most work (P slots resized, points written or rewritten) the builder may do
    /// before it gives up with [`WorkLimitExceeded`].
    pub fn with_limit(mut self, limit: u64) -> Utilization {
        self.limit = limit;
        self
    }

    fn per_proc(&self) -> bool {
        self.flags.contains(UtilFlags::PER_PROC)
    }

    /// Counts `n` steps of work; false once over the limit.
    fn spend(&mut self, n: u64, at: Time) -> bool {
        self.work = self.work.saturating_add(n);
        if self.work > self.limit {
            self.exceeded = Some(WorkLimitExceeded {
                at,
                limit: self.limit,
            });
            return false;
        }
        true
    }

    /// Changes P `i`'s GC counter by `d`.
    fn gc_add(&mut self, i: i64, d: i64) {
        let Some(p) = usize::try_from(i).ok().and_then(|i| self.ps.get_mut(i)) else {
            return;
        };
        let was = p.gc > 0;
        p.gc = p.gc.wrapping_add(d);
        match (was, p.gc > 0) {
            (false, true) => self.gc_ps += 1,
            (true, false) => self.gc_ps -= 1,
            _ => {}
        }
        if let Ok(i) = usize::try_from(i) {
            self.dirty.push(i);
        }
    }

    fn set_stw(&mut self, d: i64) {
        let was = self.stw > 0;
        self.stw = self.stw.wrapping_add(d);
        if was != (self.stw > 0) {
            self.all_dirty = true;
        }
    }

    /// Takes the next event of the trace.
    pub fn event(&mut self, ev: &Event) {
        if self.exceeded.is_some() {
            return;
        }
        let t = ev.time();
        self.last_time = Some(t);
        match ev.kind() {
            EventKind::Sync => self.n_sync = ev.sync().map_or(0, |s| s.n),
            EventKind::Metric => {
                if let Some(m) = ev.metric().filter(|m| m.name == Metric::GOMAXPROCS) {
                    if !self.resize(m.value, t) {
                        return;
                    }
                }
            }
            _ => {}
        }
        // Nothing to measure before GOMAXPROCS is known.
        if self.ps.is_empty() {
            return;
        }
        match ev.kind() {
            EventKind::RangeActive | EventKind::RangeBegin | EventKind::RangeEnd
                if !self.range(ev) =>
            {
                return;
            }
            EventKind::StateTransition => {
                if let Some(st) = ev.state_transition() {
                    if let Some((old, new)) = st.goroutine() {
                        let g = st.resource.id;
                        if self.in_gc.contains(&g) || self.bg_mark.contains(&g) {
                            if !old.executing() && new.executing() {
                                self.gc_add(ev.proc(), 1);
                            } else if old.executing() && !new.executing() {
                                self.gc_add(ev.proc(), -1);
                            }
                        }
                        self.states.insert(g, new);
                    }
                }
            }
            EventKind::Label => {
                if let Some(l) = ev.label() {
                    if self.flags.contains(UtilFlags::BACKGROUND)
                        && l.label.starts_with(b"GC ")
                        && l.label != b"GC (idle)"
                        // Dedicated workers push the program off their P; per P, they don't
                        // add to its latency.
                        && !(self.per_proc() && l.label == b"GC (dedicated)")
                    {
                        // Never cleared, as in Go.
                        self.bg_mark.insert(ev.goroutine());
                        self.gc_add(ev.proc(), 1);
                    }
                }
            }
            _ => {}
        }
        self.record(t);
    }

    /// GOMAXPROCS becomes `n` at `t`.
    fn resize(&mut self, n: u64, t: Time) -> bool {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        let delta = n.abs_diff(self.ps.len()) as u64;
        let new_series = if self.per_proc() || self.out.is_empty() {
            n.saturating_sub(self.ps.len()) as u64
        } else {
            0
        };
        let cost = delta.saturating_add(new_series.saturating_mul(Self::SERIES_COST));
        if !self.spend(cost, t) {
            return false;
        }
        if self.ps.len() > n {
            for p in self.ps.drain(n..) {
                if p.gc > 0 {
                    self.gc_ps -= 1;
                }
                if self.flags.contains(UtilFlags::PER_PROC) {
                    if let Some(s) = self.out.get_mut(p.series) {
                        add_util(s, MutatorUtil { time: t, util: 0.0 });
                    }
                }
            }
        }
        while self.ps.len() < n {
            let mut series = 0;
            if self.per_proc() || self.out.is_empty() {
                series = self.out.len();
                self.out.push(vec![MutatorUtil { time: t, util: 1.0 }]);
            }
            self.dirty.push(self.ps.len());
            self.ps.push(PerP { gc: 0, series });
        }
        if self.procs.last().is_none_or(|&(_, last)| last != n) {
            self.procs.push((t, n));
        }
        true
    }

    fn range(&mut self, ev: &Event) -> bool {
        let Some(r) = ev.range() else {
            return true;
        };
        let f = self.flags;
        let stw = f.contains(UtilFlags::STW) && r.is_gc_stop_the_world();
        let assist = f.contains(UtilFlags::ASSIST) && r.kind == RangeKind::MarkAssist;
        let sweep = f.contains(UtilFlags::SWEEP) && r.kind == RangeKind::Sweep;
        let kind = ev.kind();
        // A range found already active in the first generation has been active since the
        // trace began: take its share off every point written so far.
        if kind == EventKind::RangeActive && self.n_sync <= 1 && !self.per_proc() {
            let executing = self
                .states
                .get(&ev.goroutine())
                .is_some_and(|s| s.executing());
            if (assist && executing) || sweep {
                let len = self.out.first().map_or(0, Vec::len);
                if !self.spend(len as u64, ev.time()) {
                    return false;
                }
                self.take_share_since_start();
            }
        }
        if kind == EventKind::RangeActive && self.n_sync > 1 {
            return true;
        }
        let d = if kind == EventKind::RangeEnd { -1 } else { 1 };
        if stw {
            self.set_stw(d);
        } else if sweep {
            self.gc_add(ev.proc(), d);
        } else if assist {
            self.gc_add(ev.proc(), d);
            if r.scope.kind == ResourceKind::Goroutine && r.scope.id != crate::NO_GOROUTINE {
                if d > 0 {
                    self.in_gc.insert(r.scope.id);
                } else {
                    self.in_gc.remove(&r.scope.id);
                }
            }
        }
        true
    }

    /// Subtracts 1/GOMAXPROCS (as it was at each point) from every point of series 0.
    fn take_share_since_start(&mut self) {
        let Some(series) = self.out.first_mut() else {
            return;
        };
        let mut pi = 0;
        let mut mi = 0;
        while let Some(point) = series.get_mut(mi) {
            if let Some(&(next, _)) = self.procs.get(pi + 1) {
                if next < point.time {
                    pi += 1;
                    continue;
                }
            }
            let n = self.procs.get(pi).map_or(1, |&(_, n)| n);
            point.util -= 1.0 / n as f64;
            if point.util < 0.0 {
                point.util = 0.0;
            }
            mi += 1;
        }
    }

    /// Writes the utilization after an event at `t`.
    fn record(&mut self, t: Time) {
        if !self.per_proc() {
            let gc_ps = if self.stw > 0 {
                self.ps.len()
            } else {
                self.gc_ps
            };
            let util = 1.0 - gc_ps as f64 / self.ps.len() as f64;
            if let Some(s) = self.out.first_mut() {
                add_util(s, MutatorUtil { time: t, util });
            }
            self.dirty.clear();
            return;
        }
        // Only Ps whose utilization may differ from their series' last point can add one;
        // for the others Go's write is a no-op. A P stays pending while its last point holds
        // a lower utilization written earlier at the same time.
        let stw = self.stw > 0;
        let mut pending = Vec::new();
        let mut write = |i: usize, ps: &[PerP], out: &mut Vec<Vec<MutatorUtil>>| {
            let Some(p) = ps.get(i) else { return };
            let util = if stw || p.gc > 0 { 0.0 } else { 1.0 };
            if let Some(s) = out.get_mut(p.series) {
                add_util(s, MutatorUtil { time: t, util });
                if s.last().is_some_and(|l| l.util != util) {
                    pending.push(i);
                }
            }
        };
        if self.all_dirty {
            let n = self.ps.len();
            if !self.spend(n as u64, t) {
                return;
            }
            for i in 0..n {
                write(i, &self.ps, &mut self.out);
            }
        } else {
            for &i in &self.dirty {
                write(i, &self.ps, &mut self.out);
            }
        }
        self.all_dirty = false;
        self.dirty = pending;
    }

    /// Ends the trace: every series ends with utilization 0 at the last event. Gives one
    /// series, or one per P (each P that came and went has its own), empty when the trace
    /// never said its GOMAXPROCS.
    pub fn finish(mut self) -> Result<Vec<Vec<MutatorUtil>>, WorkLimitExceeded> {
        if let Some(e) = self.exceeded {
            return Err(e);
        }
        let Some(t) = self.last_time else {
            return Ok(Vec::new());
        };
        for p in &self.ps {
            if let Some(s) = self.out.get_mut(p.series) {
                add_util(s, MutatorUtil { time: t, util: 0.0 });
            }
        }
        Ok(self.out)
    }
}

/// Appends a point unless it changes nothing; at an equal time the lower utilization wins.
fn add_util(util: &mut Vec<MutatorUtil>, mu: MutatorUtil) {
    if let Some(last) = util.last_mut() {
        if mu.util == last.util {
            return;
        }
        if mu.time == last.time {
            if mu.util < last.util {
                *last = mu;
            }
            return;
        }
    }
    util.push(mu);
}

/// Window sizes from 1µs to 1s by factors of ten, in nanoseconds: the rows of an MMU table.
pub const DECADE_WINDOWS: [i64; 7] = [
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];

/// The number of bands each series is cut into.
const BANDS_PER_SERIES: usize = 1000;

/// Minimum mutator utilization over windows of any size, for one or more utilization
/// functions. Go's `MMUCurve`.
#[derive(Debug, Clone)]
pub struct MmuCurve {
    series: Vec<Series>,
}

#[derive(Debug, Clone)]
struct Series {
    util: Vec<MutatorUtil>,
    /// `sums[j]`: the integral of the function up to `util[j].time`.
    sums: Vec<f64>,
    bands: Vec<Band>,
    band_dur: i64,
}

/// A summary of one band of a series, to bound the utilization of windows starting in it.
#[derive(Debug, Clone, Copy)]
struct Band {
    min_util: f64,
    /// The integral up to the band's left edge.
    cum_util: f64,
    /// Where an integrator stands at the band's left edge.
    pos: usize,
}

/// A lower bound of the utilization of windows starting in a band.
#[derive(Debug, Clone, Copy)]
struct BandUtil {
    series: usize,
    band: usize,
    bound: f64,
}

impl MmuCurve {
    /// The curve of utilization functions (from [`Utilization::finish`]), which it keeps.
    /// Empty functions are left out.
    pub fn new(utils: Vec<Vec<MutatorUtil>>) -> MmuCurve {
        MmuCurve {
            series: utils
                .into_iter()
                .filter(|u| !u.is_empty())
                .map(Series::new)
                .collect(),
        }
    }

    /// The minimum mean utilization of any window of `window` nanoseconds, in [0, 1]. A
    /// window longer than a series counts as the whole series. 1 if there is nothing to
    /// measure, 0 for windows ≤ 0.
    pub fn mmu(&self, window: i64) -> f64 {
        let mut acc = Accumulator::new(0);
        self.run(window, &mut acc);
        acc.mmu
    }

    /// Up to `n` disjoint windows of `window` nanoseconds with the lowest mean utilization,
    /// worst first (ties by time). Go's `Examples`: which windows are picked among equals
    /// follows Go's order of work, so the answer is Go's.
    pub fn examples(&self, window: i64, n: usize) -> Vec<UtilWindow> {
        let mut acc = Accumulator::new(n);
        self.run(window, &mut acc);
        let mut out = acc.worst;
        out.sort_by(|a, b| {
            a.util
                .partial_cmp(&b.util)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.time.cmp(&b.time))
        });
        out
    }

    fn run(&self, window: i64, acc: &mut Accumulator) {
        if window <= 0 {
            acc.mmu = 0.0;
            return;
        }
        let mut windows = Vec::with_capacity(self.series.len());
        let mut bands = Vec::new();
        for (i, s) in self.series.iter().enumerate() {
            let w = window.min(s.duration());
            windows.push(w);
            s.band_utils(i, w, &mut bands);
        }
        // Lowest bound first; refine until no band can go below what is known.
        let less = |a: &BandUtil, b: &BandUtil| a.bound < b.bound;
        heap::init(&mut bands, less);
        while let Some(top) = bands.first().copied() {
            if top.bound >= acc.bound {
                break;
            }
            if let (Some(s), Some(&w)) = (self.series.get(top.series), windows.get(top.series)) {
                s.band_mmu(top.band, w, acc);
            }
            heap::pop(&mut bands, less);
        }
    }
}

/// The integral of a series up to `time`, moving the position `pos` forward.
fn advance(s: &Series, pos: &mut usize, time: i64) -> f64 {
    let util = &s.util;
    let mut p = *pos;
    const NEAR: usize = 8;
    if util.get(p + NEAR).is_some_and(|u| u.time > time) {
        while util.get(p + 1).is_some_and(|u| u.time <= time) {
            p += 1;
        }
    } else {
        // Far: binary search for the first point after `time`.
        let (mut l, mut r) = (p, util.len());
        while l < r {
            let h = l + (r - l) / 2;
            if util.get(h).is_some_and(|u| u.time <= time) {
                l = h + 1;
            } else {
                r = h;
            }
        }
        p = l.saturating_sub(1);
    }
    *pos = p;
    let (Some(u), Some(&sum)) = (util.get(p), s.sums.get(p)) else {
        return 0.0;
    };
    let partial = if time != u.time {
        u.util * time.wrapping_sub(u.time) as f64
    } else {
        0.0
    };
    sum + partial
}

/// The time of the first change after `time`, from `pos` on.
fn next_change(s: &Series, pos: usize, time: i64) -> i64 {
    s.util
        .get(pos..)
        .unwrap_or_default()
        .iter()
        .find(|u| u.time > time)
        .map_or(i64::MAX, |u| u.time)
}

impl Series {
    fn new(util: Vec<MutatorUtil>) -> Series {
        let mut sums = Vec::with_capacity(util.len());
        let mut prev = MutatorUtil { time: 0, util: 0.0 };
        let mut sum = 0.0;
        for u in &util {
            sum += prev.util * u.time.wrapping_sub(prev.time) as f64;
            sums.push(sum);
            prev = *u;
        }
        let n_bands = BANDS_PER_SERIES.min(util.len());
        let mut s = Series {
            util,
            sums,
            bands: Vec::with_capacity(n_bands + 1),
            band_dur: 1,
        };
        let dur = s.duration();
        s.band_dur = (dur.saturating_add(n_bands as i64 - 1) / n_bands.max(1) as i64).max(1);
        // One more band than needed, to hold the final integral.
        let mut pos = 0;
        for i in 0..=n_bands {
            let (start, end) = s.band_time(i);
            let cum_util = advance(&s, &mut pos, start);
            let min_util = s
                .util
                .get(pos..)
                .unwrap_or_default()
                .iter()
                .take_while(|u| u.time < end)
                .fold(1.0, |m: f64, u| m.min(u.util));
            s.bands.push(Band {
                min_util,
                cum_util,
                pos,
            });
        }
        s
    }

    fn duration(&self) -> i64 {
        match (self.util.first(), self.util.last()) {
            (Some(a), Some(b)) => b.time.saturating_sub(a.time),
            _ => 0,
        }
    }

    fn band_time(&self, i: usize) -> (i64, i64) {
        let t0 = self.util.first().map_or(0, |u| u.time);
        let start = (i as i64).saturating_mul(self.band_dur).saturating_add(t0);
        (start, start.saturating_add(self.band_dur))
    }

    /// For each band, a lower bound of the mean utilization of windows of `w` starting in it.
    fn band_utils(&self, series: usize, w: i64, out: &mut Vec<BandUtil>) {
        // A series of no duration has no windows (Go would index out of range).
        if w <= 0 {
            return;
        }
        let bd = self.band_dur;
        let min_bands = usize::try_from(w.saturating_add(bd - 1) / bd).unwrap_or(usize::MAX);
        let max_bands = usize::try_from(w.saturating_add(2 * (bd - 1)) / bd).unwrap_or(usize::MAX);
        let tail = w % bd;
        let n = (self.bands.len() + 1).saturating_sub(max_bands);
        let min_of = |i: usize| self.bands.get(i).map_or(1.0, |b| b.min_util);
        for i in 0..n {
            // The worst case: the window overlaps the worst band edge fully, then the second
            // worst, and the fully covered bands in between at their mean.
            let l = min_of(i);
            let r1 = min_of(i + min_bands - 1);
            let r2 = min_of(i + max_bands - 1);
            let worst = l.min(r1.min(r2));
            let mut total = 0.0;
            if min_bands == 1 {
                total += worst * w as f64;
            } else {
                total += worst * bd as f64;
                let second = if worst == l {
                    r1.min(r2)
                } else if worst == r1 {
                    l.min(r2)
                } else {
                    l.min(r1)
                };
                total += second * tail as f64;
            }
            if min_bands > 2 {
                let cum = |i: usize| self.bands.get(i).map_or(0.0, |b| b.cum_util);
                total += cum(i + min_bands - 1) - cum(i + 1);
            }
            out.push(BandUtil {
                series,
                band: i,
                bound: total / w as f64,
            });
        }
    }

    /// The exact utilization of windows of `w` whose left edge is in band `band`.
    fn band_mmu(&self, band: usize, w: i64, acc: &mut Accumulator) {
        let Some(b) = self.bands.get(band) else {
            return;
        };
        let (mut left, mut right) = (b.pos, b.pos);
        let (mut time, mut end) = self.band_time(band);
        let last = self.util.last().map_or(0, |u| u.time);
        end = end.min(last.saturating_sub(w));
        loop {
            let mu = (advance(self, &mut right, time.saturating_add(w))
                - advance(self, &mut left, time))
                / w as f64;
            if acc.add(time, mu, w) || time == end {
                break;
            }
            // The windowed function's slope is at most 1/w: it can't reach the bound sooner.
            let min_time = time.saturating_add(((mu - acc.bound) * w as f64) as i64);
            let t1 = next_change(self, left, time);
            let t2 = next_change(self, right, time.saturating_add(w)).saturating_sub(w);
            time = t1.min(t2).max(min_time);
            if time >= end {
                time = end;
            }
        }
    }
}

/// What [`MmuCurve`] gathers while refining bands: the minimum, and the worst windows.
struct Accumulator {
    mmu: f64,
    /// Windows above this can't change the answer.
    bound: f64,
    n_worst: usize,
    /// A heap with the best of the kept windows on top.
    worst: Vec<UtilWindow>,
}

impl Accumulator {
    fn new(n_worst: usize) -> Accumulator {
        Accumulator {
            mmu: 1.0,
            bound: 1.0,
            n_worst,
            worst: Vec::new(),
        }
    }

    /// Takes the window at `time` with utilization `mu`; true when nothing more can matter.
    fn add(&mut self, time: i64, mu: f64, w: i64) -> bool {
        if mu < self.mmu {
            self.mmu = mu;
        }
        self.bound = self.mmu;
        if self.n_worst == 0 {
            return mu == 0.0;
        }
        let less = |a: &UtilWindow, b: &UtilWindow| {
            if a.util != b.util {
                a.util > b.util
            } else {
                a.time > b.time
            }
        };
        if self.worst.len() < self.n_worst || self.worst.first().is_some_and(|top| mu < top.util) {
            // An overlapping window already kept stays if it is no better.
            let overlap = self
                .worst
                .iter()
                .position(|u| time.saturating_add(w) > u.time && u.time.saturating_add(w) > time);
            let keep = match overlap {
                Some(i) if self.worst.get(i).is_some_and(|u| u.util <= mu) => true,
                Some(i) => {
                    heap::remove(&mut self.worst, i, less);
                    false
                }
                None => false,
            };
            if !keep {
                heap::push(&mut self.worst, UtilWindow { time, util: mu }, less);
                if self.worst.len() > self.n_worst {
                    heap::pop(&mut self.worst, less);
                }
            }
        }
        match self.worst.first() {
            Some(top) if self.worst.len() >= self.n_worst => {
                self.bound = self.bound.max(top.util);
                self.worst.len() == self.n_worst && top.util == 0.0
            }
            _ => {
                self.bound = 1.0;
                false
            }
        }
    }
}

/// Go's `container/heap` on a vector, step for step: which of equal elements comes out first
/// decides which windows [`MmuCurve::examples`] reports.
mod heap {
    pub(super) fn init<T>(h: &mut [T], less: impl Fn(&T, &T) -> bool + Copy) {
        let n = h.len();
        for i in (0..n / 2).rev() {
            down(h, i, n, less);
        }
    }

    pub(super) fn push<T>(h: &mut Vec<T>, x: T, less: impl Fn(&T, &T) -> bool + Copy) {
        h.push(x);
        let n = h.len();
        up(h, n - 1, less);
    }

    pub(super) fn pop<T>(h: &mut Vec<T>, less: impl Fn(&T, &T) -> bool + Copy) -> Option<T> {
        let n = h.len().checked_sub(1)?;
        h.swap(0, n);
        down(h, 0, n, less);
        h.pop()
    }

    pub(super) fn remove<T>(
        h: &mut Vec<T>,
        i: usize,
        less: impl Fn(&T, &T) -> bool + Copy,
    ) -> Option<T> {
        let n = h.len().checked_sub(1)?;
        if i > n {
            return None;
        }
        if n != i {
            h.swap(i, n);
            if !down(h, i, n, less) {
                up(h, i, less);
            }
        }
        h.pop()
    }

    fn up<T>(h: &mut [T], mut j: usize, less: impl Fn(&T, &T) -> bool) {
        while j > 0 {
            let i = (j - 1) / 2;
            if !less(&h[j], &h[i]) {
                break;
            }
            h.swap(i, j);
            j = i;
        }
    }

    fn down<T>(h: &mut [T], i0: usize, n: usize, less: impl Fn(&T, &T) -> bool) -> bool {
        let mut i = i0;
        loop {
            let j1 = 2 * i + 1;
            if j1 >= n {
                break;
            }
            let mut j = j1;
            if j1 + 1 < n && less(&h[j1 + 1], &h[j1]) {
                j = j1 + 1;
            }
            if !less(&h[j], &h[i]) {
                break;
            }
            h.swap(i, j);
            i = j;
        }
        i > i0
    }
}
