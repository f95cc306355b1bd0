//! The doctor on its labelled corpus (testdata/doctor): every trace gets exactly the findings
//! testdata/doctor/labels.txt gives it, and the figures in the evidence agree with the GC
//! analysis and the goroutine summary of the same trace.

use std::path::{Path, PathBuf};
use trace_model::doctor::{Doctor, Finding, Thresholds, Value};
use trace_model::gc::GcAnalyzer;
use trace_model::{Reader, Summarizer};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn labels() -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(root().join("doctor/labels.txt")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut w = l.split_whitespace();
            let name = w.next().unwrap().to_string();
            (name, w.map(String::from).collect())
        })
        .collect()
}

fn diagnose(path: &Path) -> Vec<Finding> {
    let bytes = std::fs::read(path).unwrap();
    let mut d = Doctor::new(Thresholds::default());
    Reader::new(&bytes).unwrap().feed(&mut d).unwrap();
    d.finish()
}

#[test]
fn labels_hold() {
    let labels = labels();
    assert_eq!(labels.len(), 36, "9 programs x 4 versions");
    let mut bad = Vec::new();
    for (name, want) in &labels {
        let path = root().join(format!("doctor/traces/{name}.trace"));
        let mut got: Vec<String> = diagnose(&path).iter().map(|f| f.id.to_string()).collect();
        got.sort();
        let mut want = want.clone();
        want.sort();
        if got != want {
            bad.push(format!("{name}: want {want:?}, got {got:?}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn every_program_shows_its_finding_on_every_version() {
    for (name, want) in labels() {
        let program = name.split('/').nth(1).unwrap();
        if !program.starts_with("healthy") {
            assert!(want.iter().any(|w| w == program), "{name}: {want:?}");
        } else {
            assert!(want.is_empty(), "{name}: {want:?}");
        }
    }
}

fn field<'a>(f: &'a Finding, name: &str) -> &'a Value {
    f.evidence
        .get(name)
        .unwrap_or_else(|| panic!("{}: no {name}", f.id))
}

/// Thresholds at which every measure shows as a finding.
fn everything() -> Thresholds {
    let mut t = Thresholds::default();
    for n in [
        "stw",
        "sched-ratio",
        "sched-min",
        "assist",
        "mutex-share",
        "net",
        "serial",
    ] {
        t.set(n, "0").unwrap();
    }
    t.set("leaked", "0").unwrap();
    t
}

#[test]
fn stw_and_assists_agree_with_the_gc_analysis() {
    for v in ["go1.21.13", "go1.22.10", "go1.25.5", "go1.27.3"] {
        for p in ["long-stw", "gc-assist"] {
            let bytes = std::fs::read(root().join(format!("doctor/traces/{v}/{p}.trace"))).unwrap();
            let mut both = (Doctor::new(everything()), GcAnalyzer::new());
            Reader::new(&bytes).unwrap().feed(&mut both).unwrap();
            let (findings, gc) = (both.0.finish(), both.1.finish());
            let stw = findings.iter().find(|f| f.id == "long-stw").unwrap();
            let pauses: Vec<_> = gc
                .cycles
                .iter()
                .flat_map(|c| c.pauses.iter())
                .chain(gc.other_pauses.iter())
                .collect();
            let worst = pauses.iter().filter_map(|p| p.duration()).max().unwrap();
            assert_eq!(field(stw, "measured").as_int(), Some(worst), "{v}/{p}");
            assert_eq!(
                field(stw, "stw_total_ns").as_int(),
                Some(gc.stw_time()),
                "{v}/{p}"
            );
            let worst_pause = pauses.iter().find(|p| p.duration() == Some(worst)).unwrap();
            assert_eq!(
                field(stw, "worst_start_ns").as_int(),
                Some(worst_pause.start)
            );
            assert_eq!(
                field(stw, "worst_reason").as_str(),
                Some(&*String::from_utf8_lossy(&worst_pause.reason))
            );
            if p == "gc-assist" {
                let a = findings.iter().find(|f| f.id == "gc-assist").unwrap();
                let in_cycles: i64 = gc.cycles.iter().map(|c| c.assist_time).sum();
                let n: u64 = gc.cycles.iter().map(|c| c.assists).sum();
                // The GC analysis counts assists inside cycles; every assist here is in one.
                assert_eq!(field(a, "assist_total_ns").as_int(), Some(in_cycles), "{v}");
                assert_eq!(field(a, "assists").as_int(), Some(n as i64), "{v}");
            }
        }
    }
}

#[test]
fn waits_agree_with_the_goroutine_summary() {
    for v in ["go1.21.13", "go1.22.10", "go1.25.5", "go1.27.3"] {
        for p in ["oversubscription", "healthy-pool", "lock-contention"] {
            let bytes = std::fs::read(root().join(format!("doctor/traces/{v}/{p}.trace"))).unwrap();
            let mut both = (Doctor::new(everything()), Summarizer::new());
            Reader::new(&bytes).unwrap().feed(&mut both).unwrap();
            let (findings, summary) = (both.0.finish(), both.1.finish());
            let o = findings
                .iter()
                .find(|f| f.id == "oversubscription")
                .unwrap();
            let wait: i64 = summary
                .goroutines
                .values()
                .map(|g| g.stats.sched_wait)
                .sum();
            let exec: i64 = summary.goroutines.values().map(|g| g.stats.exec).sum();
            assert_eq!(field(o, "sched_wait_ns").as_int(), Some(wait), "{v}/{p}");
            assert_eq!(field(o, "exec_ns").as_int(), Some(exec), "{v}/{p}");
        }
    }
}

#[test]
fn windowed_and_old_traces() {
    // A flight-recorder snapshot and every older format read without findings or panics.
    for path in [
        "traces/go1.25.5/flightrecorder.trace",
        "traces/go1.27.3/flightrecorder.trace",
        "traces/go1.19/chan.trace",
    ] {
        assert!(diagnose(&root().join(path)).is_empty(), "{path}");
    }
}

#[test]
fn json_is_well_formed() {
    let path = root().join("doctor/traces/go1.27.3/lock-contention.trace");
    let f = diagnose(&path);
    let json = trace_model::doctor::findings_json(&f, "a b.trace");
    assert!(json.starts_with("{\"findings\":[{\"id\":\"lock-contention\",\"severity\":"));
    assert!(json.contains("\"next\":[\"trace-timeline 'a b.trace'\""));
    assert!(json.contains("trace2pprof -pprof=sync --from "));
    assert!(json.contains(" 'a b.trace'\""));
    assert_eq!(json.matches('{').count(), json.matches('}').count());
    assert_eq!(
        trace_model::doctor::findings_json(&[], "x"),
        "{\"findings\":[]}"
    );
}

#[test]
fn thresholds_parse() {
    let mut t = Thresholds::default();
    t.set("stw", "2.5ms").unwrap();
    assert_eq!(t.stw, 2_500_000);
    t.set("net", "300us").unwrap();
    assert_eq!(t.net, 300_000);
    t.set("sched-ratio", "3").unwrap();
    assert_eq!(t.sched_ratio, 3.0);
    assert!(t.set("stw", "-1ms").is_err());
    assert!(t.set("bucket", "0").is_err());
    assert!(t.set("nope", "1").is_err());
    assert!(t.set("leaked", "x").is_err());
}

#[test]
fn no_panic_on_cut_traces_or_extreme_thresholds() {
    let bytes = std::fs::read(root().join("doctor/traces/go1.27.3/slow-network.trace")).unwrap();
    let v1 = std::fs::read(root().join("doctor/traces/go1.21.13/lock-contention.trace")).unwrap();
    for b in [&bytes, &v1] {
        for cut in (0..b.len()).step_by(b.len() / 40 + 1) {
            let mut d = Doctor::new(everything());
            if let Ok(mut r) = Reader::new(&b[..cut]) {
                let _ = r.feed(&mut d);
            }
            let _ = d.finish();
        }
    }
    let mut t = everything();
    t.set("bucket", "1ns").unwrap();
    let mut d = Doctor::new(t);
    Reader::new(&bytes).unwrap().feed(&mut d).unwrap();
    assert!(!d.finish().is_empty());
    let mut t = Thresholds::default();
    t.set("bucket", "1000000s").unwrap();
    let mut d = Doctor::new(t);
    Reader::new(&bytes).unwrap().feed(&mut d).unwrap();
    let _ = d.finish();
}
