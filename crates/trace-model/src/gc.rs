//! Garbage collection cycles and stop-the-world pauses, from the ranges and metrics of a
//! trace.
//!
//! A cycle is what the runtime traces of one GC: the `GC concurrent mark phase` range, the
//! `stop-the-world (GC sweep termination)` pause at its start and the
//! `stop-the-world (GC mark termination)` pause at its end, mark assists in between, and the
//! heap metrics around it. Every version reads the same way: Go's v1 conversion names these
//! ranges as the current tracer does.
//!
//! ```
//! # fn main() -> Result<(), trace_model::Error> {
//! let bytes = std::fs::read("../../testdata/traces/go1.27.3/gc.trace").unwrap();
//! let mut gc = trace_model::gc::GcAnalyzer::new();
//! for ev in trace_model::Reader::new(&bytes)? {
//!     gc.event(&ev?);
//! }
//! let summary = gc.finish();
//! let first = &summary.cycles[0];
//! assert!(first.pauses.iter().any(|p| p.reason == b"GC sweep termination"));
//! # Ok(()) }
//! ```

use trace_format::hash::IdMap;

use crate::event::{Event, EventKind, GoId, Metric, RangeKind, Time};

/// A stop-the-world pause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pause {
    /// Why the world stopped: the text inside `stop-the-world (...)`, e.g.
    /// `GC mark termination`.
    pub reason: Vec<u8>,
    /// When it began.
    pub start: Time,
    /// When it ended, `None` if the trace ended first.
    pub end: Option<Time>,
}

impl Pause {
    /// How long it lasted, if it ended.
    pub fn duration(&self) -> Option<i64> {
        self.end.map(|e| e.wrapping_sub(self.start))
    }
    /// Whether the GC stopped the world (Go's test: the reason mentions `GC`).
    pub fn is_gc(&self) -> bool {
        crate::event::mentions_gc(&self.reason)
    }
}

/// One GC cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcCycle {
    /// Its number in the trace, from 1.
    pub n: usize,
    /// When the mark phase began, `None` if it was already running when the trace began.
    pub start: Option<Time>,
    /// When the mark phase ended, `None` if the trace ended first.
    pub mark_end: Option<Time>,
    /// When the cycle ended: the end of its mark termination pause (or of the mark phase if
    /// the trace holds no such pause). `None` if the trace ended first.
    pub end: Option<Time>,
    /// Its stop-the-world pauses (sweep termination, mark termination).
    pub pauses: Vec<Pause>,
    /// How many mark assists began during it.
    pub assists: u64,
    /// Their total time (assists still running at the end of the trace count up to there).
    pub assist_time: i64,
    /// The heap in use (`/memory/classes/heap/objects:bytes`) last seen before the cycle,
    /// its peak during the cycle, and the last seen by its end.
    pub heap_before: Option<u64>,
    /// The peak heap in use during the cycle.
    pub heap_peak: Option<u64>,
    /// The heap in use last seen by the cycle's end.
    pub heap_after: Option<u64>,
    /// The heap goal (`/gc/heap/goal:bytes`) in effect when the cycle ended: the goal of the
    /// next cycle.
    pub heap_goal: Option<u64>,
}

impl GcCycle {
    /// Total stop-the-world time of the cycle's ended pauses.
    pub fn stw_time(&self) -> i64 {
        self.pauses
            .iter()
            .filter_map(Pause::duration)
            .fold(0, i64::wrapping_add)
    }
}

/// The GC of a whole trace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcSummary {
    /// Every cycle, in order.
    pub cycles: Vec<GcCycle>,
    /// Stop-the-world pauses outside GC cycles (starting the trace, changing GOMAXPROCS,
    /// reading memory statistics...).
    pub other_pauses: Vec<Pause>,
    /// The highest heap in use seen.
    pub heap_peak: Option<u64>,
    /// The first and last event times: the span the summary covers.
    pub span: Option<(Time, Time)>,
}

impl GcSummary {
    /// Total stop-the-world time, of every ended pause.
    pub fn stw_time(&self) -> i64 {
        self.cycles
            .iter()
            .map(GcCycle::stw_time)
            .chain(self.other_pauses.iter().filter_map(Pause::duration))
            .fold(0, i64::wrapping_add)
    }
}

/// Gathers a [`GcSummary`] from a trace's events, one at a time.
#[derive(Debug, Default)]
pub struct GcAnalyzer {
    out: GcSummary,
    /// The cycle still open, an index into `out.cycles`.
    open: Option<usize>,
    /// The pause in progress: (in a cycle?, index).
    pause: Option<(bool, usize)>,
    /// Mark assists in progress, by goroutine: (start, cycle).
    assists: IdMap<GoId, (Time, Option<usize>)>,
    heap: Option<u64>,
    goal: Option<u64>,
}

impl GcAnalyzer {
    /// An analyzer that has seen nothing.
    pub fn new() -> GcAnalyzer {
        GcAnalyzer::default()
    }

    /// Takes the next event of the trace.
    pub fn event(&mut self, ev: &Event) {
        let t = ev.time();
        self.out.span = Some(match self.out.span {
            Some((a, _)) => (a, t),
            None => (t, t),
        });
        match ev.kind() {
            EventKind::Metric => {
                let Some(m) = ev.metric() else { return };
                match m.name {
                    Metric::HEAP_ALLOC => {
                        self.heap = Some(m.value);
                        self.out.heap_peak = self.out.heap_peak.max(Some(m.value));
                        if let Some(c) = self.open.and_then(|i| self.out.cycles.get_mut(i)) {
                            c.heap_peak = c.heap_peak.max(Some(m.value));
                        }
                    }
                    Metric::HEAP_GOAL => self.goal = Some(m.value),
                    _ => {}
                }
            }
            EventKind::RangeBegin | EventKind::RangeActive => {
                let Some(r) = ev.range() else { return };
                let active = ev.kind() == EventKind::RangeActive;
                if r.kind == RangeKind::GcMark {
                    // A cycle in progress across a generation boundary is the same cycle.
                    if active && self.open.is_some() {
                        return;
                    }
                    let n = self.out.cycles.len() + 1;
                    self.open = Some(self.out.cycles.len());
                    self.out.cycles.push(GcCycle {
                        n,
                        start: (!active).then_some(t),
                        mark_end: None,
                        end: None,
                        pauses: Vec::new(),
                        assists: 0,
                        assist_time: 0,
                        heap_before: self.heap,
                        heap_peak: self.heap,
                        heap_after: None,
                        heap_goal: None,
                    });
                } else if r.kind == RangeKind::MarkAssist {
                    let g = r.scope.id;
                    if self.assists.contains_key(&g) {
                        return;
                    }
                    let start = if active {
                        self.out.span.map_or(t, |s| s.0)
                    } else {
                        t
                    };
                    self.assists.insert(g, (start, self.open));
                    if !active {
                        if let Some(c) = self.open.and_then(|i| self.out.cycles.get_mut(i)) {
                            c.assists += 1;
                        }
                    }
                } else if let Some(reason) = r.stw_reason() {
                    if active {
                        return;
                    }
                    let pause = Pause {
                        reason: reason.to_vec(),
                        start: t,
                        end: None,
                    };
                    match self.open.and_then(|i| self.out.cycles.get_mut(i)) {
                        Some(c) if pause.is_gc() => {
                            self.pause = Some((true, c.pauses.len()));
                            c.pauses.push(pause);
                        }
                        _ => {
                            self.pause = Some((false, self.out.other_pauses.len()));
                            self.out.other_pauses.push(pause);
                        }
                    }
                }
            }
            EventKind::RangeEnd => {
                let Some(r) = ev.range() else { return };
                if r.kind == RangeKind::GcMark {
                    let in_pause = matches!(self.pause, Some((true, _)));
                    if let Some(c) = self.open.and_then(|i| self.out.cycles.get_mut(i)) {
                        c.mark_end = Some(t);
                        if !in_pause {
                            self.close(t);
                        }
                    }
                } else if r.kind == RangeKind::MarkAssist {
                    let g = r.scope.id;
                    if let Some((start, cycle)) = self.assists.remove(&g) {
                        if let Some(c) = cycle.and_then(|i| self.out.cycles.get_mut(i)) {
                            c.assist_time = c.assist_time.wrapping_add(t.wrapping_sub(start));
                        }
                    }
                } else if r.kind == RangeKind::StopTheWorld {
                    match self.pause.take() {
                        Some((true, i)) => {
                            let c = self.open.and_then(|c| self.out.cycles.get_mut(c));
                            if let Some(c) = c {
                                if let Some(p) = c.pauses.get_mut(i) {
                                    p.end = Some(t);
                                }
                                if c.mark_end.is_some() {
                                    self.close(t);
                                }
                            }
                        }
                        Some((false, i)) => {
                            if let Some(p) = self.out.other_pauses.get_mut(i) {
                                p.end = Some(t);
                            }
                        }
                        None => {}
                    }
                }
            }
            _ => {}
        }
    }

    fn close(&mut self, t: Time) {
        if let Some(c) = self.open.take().and_then(|i| self.out.cycles.get_mut(i)) {
            c.end = Some(t);
            c.heap_after = self.heap;
            c.heap_goal = self.goal;
        }
    }

    /// Ends the trace: assists still running count up to the last event.
    pub fn finish(mut self) -> GcSummary {
        let last = self.out.span.map_or(0, |s| s.1);
        for (start, cycle) in std::mem::take(&mut self.assists).into_values() {
            if let Some(c) = cycle.and_then(|i| self.out.cycles.get_mut(i)) {
                c.assist_time = c.assist_time.wrapping_add(last.wrapping_sub(start));
            }
        }
        if let Some(c) = self.open.and_then(|i| self.out.cycles.get_mut(i)) {
            c.heap_after = self.heap;
        }
        self.out
    }
}
