//! Goroutine summaries, tasks and MMU curves against Go 1.27: for every committed trace (Go
//! 1.19 to 1.27), the goldens `scripts/gen-summary-goldens.sh` made with Go's own
//! `trace.Summarizer`, `MutatorUtilizationV2` and `MMUCurve`.

#[path = "../../trace-format/tests/common/mod.rs"]
mod common;

use std::path::Path;

use trace_model::mmu::{MmuCurve, UtilFlags, Utilization, DECADE_WINDOWS};
use trace_model::summary::json;
use trace_model::{Event, Reader, Summary};

fn golden(trace: &Path, kind: &str) -> String {
    let name = trace.file_stem().unwrap().to_str().unwrap();
    std::fs::read_to_string(trace.with_file_name(format!("{name}.{kind}.golden")))
        .unwrap_or_else(|e| panic!("{}: {kind} golden: {e}", trace.display()))
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

/// Our goroutine and task JSON lines for a trace.
fn summary_lines(bytes: &[u8]) -> Result<(String, String, usize), String> {
    let reader = Reader::new(bytes).map_err(|e| e.to_string())?;
    let summary = Summary::of(reader).map_err(|e| e.to_string())?;
    let (mut goroutines, mut tasks, mut regions) = (String::new(), String::new(), 0);
    for g in summary.goroutines.values() {
        json::write_goroutine(&mut goroutines, &summary, g);
        regions += g.regions.len();
    }
    for t in summary.tasks.values() {
        json::write_task(&mut tasks, t);
    }
    Ok((goroutines, tasks, regions))
}

/// Summaries and MMU of `bytes` against Go's dumps at `prefix` (`PREFIX.goroutines.golden`...).
/// Gives the number of goroutines, or the first difference.
fn agree_with_go(trace: &Path, bytes: &[u8], prefix: &Path) -> Result<usize, String> {
    let want = |kind: &str| {
        let mut p = prefix.as_os_str().to_owned();
        p.push(format!(".{kind}.golden"));
        std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", Path::new(&p).display()))
    };
    let (goroutines, tasks, _) = summary_lines(bytes)?;
    let want_goroutines = want("goroutines")?;
    if goroutines != want_goroutines {
        return Err(first_difference(
            trace,
            "goroutines",
            &goroutines,
            &want_goroutines,
        ));
    }
    let want_tasks = want("tasks")?;
    if tasks != want_tasks {
        return Err(first_difference(trace, "tasks", &tasks, &want_tasks));
    }
    let events = Reader::new(bytes)
        .and_then(|r| r.collect::<Result<Vec<_>, _>>())
        .map_err(|e| e.to_string())?;
    let got = mmu_lines(&events);
    let want = golden_mmu_lines(&want("mmu")?);
    if got != want {
        return Err(first_difference(
            trace,
            "mmu",
            &got.join("\n"),
            &want.join("\n"),
        ));
    }
    Ok(goroutines.lines().count())
}

#[test]
fn summaries_and_mmu_equal_go_on_every_trace() {
    let traces = common::traces();
    assert!(traces.len() >= 90, "found {} traces", traces.len());
    let (mut regions, mut goroutines) = (0, 0);
    for trace in traces {
        let bytes = std::fs::read(&trace).unwrap();
        goroutines += agree_with_go(&trace, &bytes, &trace.with_extension(""))
            .unwrap_or_else(|e| panic!("{e}"));
        regions += summary_lines(&bytes).unwrap().2;
        // Streaming gives the same.
        let streamed = Summary::of(Reader::from_read(&bytes[..]).unwrap()).unwrap();
        let sliced = Summary::of(Reader::new(&bytes).unwrap()).unwrap();
        assert!(streamed == sliced, "{}: stream differs", trace.display());
    }
    assert!(
        regions > 20,
        "only {regions} regions: the test can't see them"
    );
    assert!(goroutines > 1000, "only {goroutines} goroutines");
}

/// Go's dumps of fresh traces, made by scripts/conformance.sh: `CONFORMANCE_ANALYSES` names a
/// file of "LABEL TRACE PREFIX" lines.
#[test]
#[ignore]
fn live_analyses() {
    let list = std::env::var("CONFORMANCE_ANALYSES").expect("CONFORMANCE_ANALYSES");
    let list = std::fs::read_to_string(list).unwrap();
    for line in list.lines() {
        let mut f = line.split(' ');
        let (Some(label), Some(trace), Some(prefix)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let bytes = std::fs::read(trace).unwrap();
        match agree_with_go(Path::new(trace), &bytes, Path::new(prefix)) {
            Ok(n) => println!("CONFORMANCE ok {label} {n} goroutines, tasks and MMU identical"),
            Err(e) => println!("CONFORMANCE differ {label} {}", e.replace('\n', " | ")),
        }
    }
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
        let curve = MmuCurve::new(util);
        for w in DECADE_WINDOWS {
            out.push(format!("MMU {name} {w} {:x}", curve.mmu(w).to_bits()));
        }
        for w in DECADE_WINDOWS {
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
