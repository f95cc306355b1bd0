//! One streaming pass over a Go trace that prints what it holds: events by kind, goroutines,
//! Ps, Ms, generations, duration, GC cycles and total stop-the-world time.
//!
//! Usage: `trace-stats [--salvage] TRACE`. A progress bar goes to stderr when stderr is a terminal and the
//! trace is large.
//!
//! A broken trace (cut short, say) gets the figures of every event read before the error, as
//! `go tool trace` summarizes such a trace, with a warning on stderr of what was left out; the
//! exit status is 0.
//!
//! With `--salvage`, a broken trace is read as far as it can be trusted
//! (`gotrace::model::Reader::salvage`): every complete generation, then what of the broken one
//! can be ordered. What was dropped goes to stderr, and the exit status is 0.

#[path = "common/mod.rs"]
mod common;

use gotrace::format::hash::IdSet as Ids;
use gotrace::model::{EventKind, GoState, ProcState, RangeKind, ResourceKind};
use std::collections::BTreeMap;

/// IDs seen: goroutines, Ps or Ms.
type IdSet = Ids<i64>;

/// Every kind, in declaration order: a kind's index here is `kind as usize`.
const KINDS: [EventKind; 15] = [
    EventKind::Bad,
    EventKind::Sync,
    EventKind::Metric,
    EventKind::Label,
    EventKind::StackSample,
    EventKind::RangeBegin,
    EventKind::RangeActive,
    EventKind::RangeEnd,
    EventKind::TaskBegin,
    EventKind::TaskEnd,
    EventKind::RegionBegin,
    EventKind::RegionEnd,
    EventKind::Log,
    EventKind::StateTransition,
    EventKind::Experimental,
];
use std::io::Write;
use std::process::ExitCode;

struct Stats {
    events: u64,
    by_kind: [u64; KINDS.len()],
    goroutines: IdSet,
    procs: IdSet,
    threads: IdSet,
    generations: u64,
    first: Option<i64>,
    last: i64,
    gc_cycles: u64,
    stw_total: i64,
    stw_open: BTreeMap<i64, i64>,
    /// The goroutine, P and M of the last event: runs of events share some of them, and the
    /// sets need not be asked again.
    last_ctx: [i64; 3],
}

impl Default for Stats {
    fn default() -> Stats {
        Stats {
            events: 0,
            by_kind: [0; KINDS.len()],
            goroutines: IdSet::default(),
            procs: IdSet::default(),
            threads: IdSet::default(),
            generations: 0,
            first: None,
            last: 0,
            gc_cycles: 0,
            stw_total: 0,
            stw_open: BTreeMap::new(),
            // No ID is -2: the first event's are all new.
            last_ctx: [-2; 3],
        }
    }
}

impl Stats {
    fn add(&mut self, ev: &gotrace::model::Event) {
        self.events += 1;
        let kind = ev.kind();
        if let Some(n) = self.by_kind.get_mut(kind as usize) {
            *n += 1;
        }
        let t = ev.time();
        self.first.get_or_insert(t);
        self.last = t;
        let ctx = [ev.goroutine(), ev.proc(), ev.thread()];
        let sets = [&mut self.goroutines, &mut self.procs, &mut self.threads];
        for ((set, id), last) in sets.into_iter().zip(ctx).zip(&mut self.last_ctx) {
            if id != *last {
                *last = id;
                if id >= 0 {
                    set.insert(id);
                }
            }
        }
        match kind {
            EventKind::Sync => self.generations += 1,
            EventKind::StateTransition => {
                // A goroutine or P is new to the trace when its first transition is from
                // Undetermined (it was there at the start) or NotExist (it was created).
                let new = |st: &gotrace::model::StateTransition<'_>| {
                    let g = st.goroutine().map(|(from, _)| from);
                    let p = st.proc().map(|(from, _)| from);
                    matches!(g, Some(GoState::Undetermined | GoState::NotExist))
                        || matches!(p, Some(ProcState::Undetermined | ProcState::NotExist))
                };
                if let Some(st) = ev.state_transition().filter(|st| new(st)) {
                    match st.resource.kind {
                        ResourceKind::Goroutine => self.goroutines.insert(st.resource.id),
                        ResourceKind::Proc => self.procs.insert(st.resource.id),
                        _ => false,
                    };
                }
            }
            EventKind::RangeBegin | EventKind::RangeEnd => {
                let Some(r) = ev.range() else { return };
                if r.kind == RangeKind::GcMark && kind == EventKind::RangeBegin {
                    self.gc_cycles += 1;
                } else if r.kind == RangeKind::StopTheWorld {
                    if kind == EventKind::RangeBegin {
                        self.stw_open.insert(r.scope.id, t);
                    } else if let Some(start) = self.stw_open.remove(&r.scope.id) {
                        self.stw_total += t - start;
                    }
                }
            }
            _ => {}
        }
    }

    fn print(&self, out: &mut impl Write) -> std::io::Result<()> {
        let duration = self.first.map_or(0, |f| self.last - f);
        writeln!(out, "events       {}", self.events)?;
        for (kind, &n) in KINDS.iter().zip(&self.by_kind) {
            if n > 0 {
                writeln!(out, "  {:<16} {n}", kind.name())?;
            }
        }
        writeln!(out, "generations  {}", self.generations.saturating_sub(1))?;
        writeln!(out, "goroutines   {}", self.goroutines.len())?;
        writeln!(out, "Ps           {}", self.procs.len())?;
        writeln!(out, "Ms           {}", self.threads.len())?;
        writeln!(out, "duration     {}", ns(duration))?;
        writeln!(out, "GC cycles    {}", self.gc_cycles)?;
        writeln!(out, "STW total    {}", ns(self.stw_total))
    }
}

fn ns(v: i64) -> String {
    format!("{:.3} ms ({v} ns)", v as f64 / 1e6)
}

fn main() -> ExitCode {
    let mut args = common::args_os().into_iter();
    let (Some(path), None) = (args.next(), args.next()) else {
        eprintln!("usage: trace-stats [--salvage] TRACE");
        return ExitCode::from(2);
    };
    let (file, total) = match std::fs::File::open(&path).and_then(|f| {
        let len = f.metadata()?.len();
        Ok((f, len))
    }) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("trace-stats: {}: {e}", path.to_string_lossy());
            return ExitCode::FAILURE;
        }
    };
    let mut stats = Stats::default();
    // Streaming: one generation in memory at a time, with a progress bar on a terminal.
    let mut reader = match common::reader(common::Progress::new("trace-stats", file, total)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("trace-stats: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Events up to the last Sync, and its time: the complete generations.
    let (mut complete, mut complete_until) = (0, 0);
    let error = loop {
        match reader.next_event() {
            Ok(Some(ev)) => {
                stats.add(ev);
                if ev.kind() == EventKind::Sync {
                    (complete, complete_until) = (stats.events, ev.time());
                }
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    common::report_salvage("trace-stats", &path, &reader);
    let mut out = common::Stdout::lock();
    if let Err(e) = stats.print(&mut out) {
        eprintln!("trace-stats: {e}");
        return ExitCode::FAILURE;
    }
    if let Some(error) = error {
        let broken = common::Broken {
            error,
            read: stats.events,
            complete,
            complete_until,
            complete_bytes: reader.bytes_complete(),
            file_bytes: total,
        };
        broken.warn("trace-stats", "counted", true);
    }
    ExitCode::SUCCESS
}
