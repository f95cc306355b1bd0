//! Goroutine summaries, tasks and MMU curves against Go 1.27: for every committed trace (Go
//! 1.19 to 1.27), the goldens `scripts/gen-summary-goldens.sh` made with Go's own
//! `trace.Summarizer`, `MutatorUtilizationV2` and `MMUCurve`.

#[path = "../../trace-format/tests/common/mod.rs"]
mod common;

use std::path::Path;

use trace_model::mmu::{MmuCurve, UtilFlags, Utilization};
use trace_model::summary::json;
use trace_model::{Event, Reader, Summary};

fn golden(trace: &Path, kind: &str) -> String {
    let name = trace.file_stem().unwrap().to_str().unwrap();
    std::fs::read_to_string(trace.with_file_name(format!("{name}.{kind}.golden")))
        .unwrap_or_else(|e| panic!("{}: {kind} golden: {e}", trace.display()))
}

fn events(bytes: &[u8]) -> Vec<Event> {
    Reader::new(bytes)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

fn first_difference(trace: &Path, kind: &str, got: &str, want: &str) -> String {
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        if g != w {
            return format!(
                "{} {kind}: line {}:\n  got:  {g}\n  want: {w}",
                trace.display(),
                i + 1
            );
        }
    }
    format!(
        "{} {kind}: got {} lines, want {}",
        trace.display(),
        got.lines().count(),
        want.lines().count()
    )
}

#[test]
fn summaries_equal_go_on_every_trace() {
    let traces = common::traces();
    assert!(traces.len() >= 80, "found {} traces", traces.len());
    let mut regions = 0;
    for trace in traces {
        let bytes = std::fs::read(&trace).unwrap();
        let summary = Summary::of(Reader::new(&bytes).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", trace.display()));
        let mut got = String::new();
        for g in summary.goroutines.values() {
            json::write_goroutine(&mut got, &summary, g);
            regions += g.regions.len();
        }
        let want = golden(&trace, "goroutines");
        assert!(
            got == want,
            "{}",
            first_difference(&trace, "goroutines", &got, &want)
        );
        let mut got = String::new();
        for t in summary.tasks.values() {
            json::write_task(&mut got, t);
        }
        let want = golden(&trace, "tasks");
        assert!(
            got == want,
            "{}",
            first_difference(&trace, "tasks", &got, &want)
        );
    }
    assert!(
        regions > 0,
        "no trace had a region: the test can't see them"
    );
}

/// The flag sets of the goldens, in their order.
const FLAG_SETS: [&str; 10] = [
    "stw|background|assist",
    "stw|background|assist|sweep",
    "stw",
    "background",
    "assist",
    "sweep",
    "none",
    "perProc|stw|background|assist",
    "perProc|stw|background|assist|sweep",
    "perProc|background",
];

const WINDOWS: [i64; 7] = [
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];

/// A float Go printed with `%.17g`, as its bits.
fn bits(s: &str) -> u64 {
    s.parse::<f64>()
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .to_bits()
}

/// Our MMU answers in the golden's line format, with floats as exact bits.
fn mmu_lines(events: &[Event]) -> Vec<String> {
    let mut out = Vec::new();
    for name in FLAG_SETS {
        let flags = UtilFlags::from_name(name).unwrap();
        assert_eq!(flags.name(), name);
        let mut util = Utilization::new(flags);
        for ev in events {
            util.event(ev);
        }
        let util = util.finish().unwrap();
        let points: Vec<String> = util.iter().map(|s| s.len().to_string()).collect();
        out.push(format!(
            "FLAGS {name} series={} points={}",
            util.len(),
            points.join(",")
        ));
        for (i, s) in util.iter().enumerate() {
            for p in s {
                out.push(format!("UTIL {name} {i} {} {:x}", p.time, p.util.to_bits()));
            }
        }
        let curve = MmuCurve::new(&util);
        for w in WINDOWS {
            out.push(format!("MMU {name} {w} {:x}", curve.mmu(w).to_bits()));
        }
        for w in WINDOWS {
            for (rank, ex) in curve.examples(w, 5).iter().enumerate() {
                out.push(format!(
                    "WORST {name} {w} {rank} {} {w} {:x}",
                    ex.time,
                    ex.util.to_bits()
                ));
            }
        }
    }
    out
}

/// The golden with its `%.17g` floats turned into bits.
fn golden_mmu_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| {
            let f: Vec<&str> = line.split(' ').collect();
            match f[0] {
                "UTIL" | "MMU" | "WORST" => {
                    let (last, rest) = f.split_last().unwrap();
                    format!("{} {:x}", rest.join(" "), bits(last))
                }
                _ => line.to_string(),
            }
        })
        .collect()
}

#[test]
fn mmu_equals_go_on_every_trace() {
    let mut points = 0;
    for trace in common::traces() {
        let bytes = std::fs::read(&trace).unwrap();
        let events = events(&bytes);
        let got = mmu_lines(&events);
        let want = golden_mmu_lines(&golden(&trace, "mmu"));
        points += got.iter().filter(|l| l.starts_with("UTIL")).count();
        assert!(
            got == want,
            "{}",
            first_difference(&trace, "mmu", &got.join("\n"), &want.join("\n"))
        );
    }
    assert!(points > 1000, "only {points} utilization points in all");
}

/// The value of `key="..."` or `key=...` in a line of Go's event dump.
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let at = line.find(&format!(" {key}="))? + key.len() + 2;
    let rest = &line[at..];
    Some(match rest.strip_prefix('"') {
        Some(q) => &q[..q.find('"')?],
        None => rest.split(' ').next()?,
    })
}

/// GC cycles and pauses against Go's own events (`go tool trace -d=parsed`): every
/// stop-the-world range of the dump is one pause with its reason and times, each `GC concurrent
/// mark phase` range one cycle with its times.
#[test]
fn gc_cycles_and_pauses_match_gos_ranges() {
    let (mut cycles_seen, mut pauses_seen) = (0, 0);
    for trace in common::traces() {
        let bytes = std::fs::read(&trace).unwrap();
        let mut gc = trace_model::gc::GcAnalyzer::new();
        for ev in Reader::new(&bytes).unwrap() {
            gc.event(&ev.unwrap());
        }
        let gc = gc.finish();
        let mut want_pauses = Vec::new();
        let mut want_cycles: Vec<(Option<i64>, Option<i64>)> = Vec::new();
        for line in golden(&trace, "events").lines() {
            let kind = line.split(' ').find(|w| w.starts_with("Range"));
            let (Some(kind), Some(name)) = (kind, field(line, "Name")) else {
                continue;
            };
            let t: i64 = field(line, "Time").unwrap().parse().unwrap();
            if let Some(reason) = name.strip_prefix("stop-the-world (") {
                let reason = reason.strip_suffix(')').unwrap().to_string();
                match kind {
                    "RangeBegin" => want_pauses.push((reason, t, None)),
                    "RangeEnd" => want_pauses.last_mut().unwrap().2 = Some(t),
                    _ => {}
                }
            } else if name == "GC concurrent mark phase" {
                match kind {
                    "RangeBegin" => want_cycles.push((Some(t), None)),
                    "RangeActive" if want_cycles.last().is_none_or(|c| c.1.is_some()) => {
                        want_cycles.push((None, None))
                    }
                    "RangeEnd" => want_cycles.last_mut().unwrap().1 = Some(t),
                    _ => {}
                }
            }
        }
        let mut got_pauses: Vec<_> = gc
            .cycles
            .iter()
            .flat_map(|c| &c.pauses)
            .chain(&gc.other_pauses)
            .map(|p| (String::from_utf8(p.reason.clone()).unwrap(), p.start, p.end))
            .collect();
        got_pauses.sort_by_key(|p| p.1);
        assert_eq!(got_pauses, want_pauses, "{}", trace.display());
        let got_cycles: Vec<_> = gc.cycles.iter().map(|c| (c.start, c.mark_end)).collect();
        assert_eq!(got_cycles, want_cycles, "{}", trace.display());
        for c in &gc.cycles {
            // A cycle ends with its mark termination pause when the trace holds it.
            let term = c.pauses.iter().find(|p| p.reason == b"GC mark termination");
            if let (Some(p), Some(_)) = (term, c.mark_end) {
                assert_eq!(c.end, p.end, "{} cycle {}", trace.display(), c.n);
            }
            assert!(c.assist_time >= 0 && c.heap_peak >= c.heap_before);
        }
        cycles_seen += gc.cycles.len();
        pauses_seen += want_pauses.len();
    }
    assert!(
        cycles_seen > 50 && pauses_seen > 200,
        "{cycles_seen} cycles, {pauses_seen} pauses"
    );
}
