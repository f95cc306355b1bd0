//! The `model` fuzz target's body, shared by the target and the replay test in
//! `crates/trace-model/tests/fuzz_regressions.rs`: any bytes (binary or Go's raw text format)
//! through `Reader::new` and `Reader::from_read`, every event printed, to the end or the first
//! error, and every event through the analyses (goroutine summaries, GC cycles, mutator
//! utilization and MMU, the region and task pages, a trace-diff comparison); and through
//! `Reader::salvage` and `Reader::from_read_salvage`, which read past the damage and fail only
//! for a broken limit. Never a panic, a hang or a huge allocation.

use std::fmt::Write as _;
use trace_model::mmu::{MmuCurve, UtilFlags, Utilization};
use trace_model::{Event, Reader};

/// The analyses a tool runs over the events, fed one event at a time.
struct Analyses {
    summary: trace_model::Summarizer,
    gc: trace_model::gc::GcAnalyzer,
    util: [Utilization; 2],
}

impl Analyses {
    fn new() -> Analyses {
        let all = UtilFlags::STW | UtilFlags::BACKGROUND | UtilFlags::ASSIST | UtilFlags::SWEEP;
        Analyses {
            summary: trace_model::Summarizer::new(),
            gc: trace_model::gc::GcAnalyzer::new(),
            // A small work limit: hostile GOMAXPROCS jumps must be refused, not computed.
            util: [all, UtilFlags::PER_PROC | all].map(|f| Utilization::new(f).with_limit(1 << 22)),
        }
    }

    fn event(&mut self, ev: &Event) {
        self.summary.event(ev);
        self.gc.event(ev);
        for u in &mut self.util {
            u.event(ev);
        }
    }

    fn finish(self) {
        let summary = self.summary.finish();
        let mut line = String::new();
        for g in summary.goroutines.values() {
            trace_model::summary::json::write_goroutine(&mut line, &summary, g);
        }
        for t in summary.tasks.values() {
            trace_model::summary::json::write_task(&mut line, t);
        }
        let _ = summary.groups();
        // The region and task pages, and a comparison of the trace with itself.
        for g in trace_model::regions::region_groups(&summary) {
            trace_model::regions::json::write_region_group(&mut line, &g);
        }
        for t in trace_model::regions::task_types(&summary) {
            trace_model::regions::json::write_task_type(&mut line, &t);
        }
        let gc = self.gc.finish();
        let _ = gc.stw_time();
        let profile = trace_model::diff::Profile::new("fuzz", &summary, &gc);
        let twice = [profile.clone(), profile];
        let opts = trace_model::diff::Options::default();
        if let Ok(diff) = trace_model::diff::compare(&twice, &twice, &opts) {
            diff.write_json(&mut line);
        }
        for u in self.util {
            if let Ok(u) = u.finish() {
                let curve = MmuCurve::new(u);
                for w in [1_000, 1_000_000, i64::MAX] {
                    let mmu = curve.mmu(w);
                    assert!((0.0..=1.0).contains(&mmu) || mmu.is_nan(), "mmu {mmu}");
                    let _ = curve.examples(w, 5);
                }
            }
        }
    }
}

/// Every event read and printed one per line, and the error that stopped it, if any.
fn drain(mut r: Reader<'_>, mut analyses: Option<Analyses>) -> (String, Option<String>) {
    let mut out = String::new();
    let end = loop {
        match r.next_event() {
            Ok(Some(ev)) => {
                writeln!(out, "{ev}").unwrap();
                let _ = ev.state_transition();
                let _ = ev.range();
                if let Some(a) = &mut analyses {
                    a.event(ev);
                }
            }
            Ok(None) => break None,
            Err(e) => {
                let msg = e.to_string();
                assert!(!msg.is_empty());
                break Some(msg);
            }
        }
    };
    if let Some(a) = analyses {
        a.finish();
    }
    (out, end)
}

/// Salvage of `r` to its end, through the analyses: no error but a broken limit, and a
/// report at the end.
fn salvage(mut r: Reader<'_>) -> usize {
    let mut analyses = Analyses::new();
    let mut n = 0;
    loop {
        match r.next_event() {
            Ok(Some(ev)) => {
                analyses.event(ev);
                n += 1;
            }
            Ok(None) => break,
            Err(e) => {
                let limit = matches!(e.kind(), trace_model::ErrorKind::Format(f) if f.is_limit());
                assert!(limit, "salvage failed: {e}");
                break;
            }
        }
    }
    analyses.finish();
    let report = r.salvage_report().expect("a salvage report");
    let _ = report.to_string();
    n
}

/// How reading one way ended: the events printed and the error, or `None` if the reader
/// could not start.
pub type Outcome = Option<(String, Option<String>)>;

/// What the target does with one input: read it from a slice, through the analyses, and from
/// a stream.
pub fn run(data: &[u8]) -> (Outcome, Outcome) {
    let slice = Reader::new(data)
        .ok()
        .map(|r| drain(r, Some(Analyses::new())));
    let stream = Reader::from_read(data).ok().map(|r| drain(r, None));
    let salvaged = Reader::salvage(data).ok().map(salvage);
    let streamed = Reader::from_read_salvage(data).ok().map(salvage);
    assert_eq!(salvaged, streamed, "salvage from a slice and a stream");
    (slice, stream)
}
