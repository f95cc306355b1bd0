//! trace-doctor's stacks agree with trace2pprof's profiles of the same trace: the top stack
//! of a `lock-contention` finding is a record of the sync profile with the same frames and the
//! same blocked time, and so is the top stack of `slow-network` in the net profile.

use gotrace::model::doctor::{Doctor, Finding, Thresholds};
use gotrace::model::Reader;
use gotrace::pprof::{Filter, ProfileKind, Profiler, Record};

fn trace(rel: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/testdata/doctor/traces/{rel}.trace",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn frames(r: &Record) -> Vec<String> {
    r.stack
        .iter()
        .map(|f| {
            format!(
                "{} {}:{}",
                String::from_utf8_lossy(&f.func),
                String::from_utf8_lossy(&f.file),
                f.line
            )
        })
        .collect()
}

fn check(rel: &str, id: &str, kind: ProfileKind) {
    let bytes = trace(rel);
    let mut both = (
        Doctor::new(Thresholds::default()),
        Profiler::new(kind, Filter::default()),
    );
    Reader::new(&bytes).unwrap().feed(&mut both).unwrap();
    let findings: Vec<Finding> = both.0.finish();
    let records = both.1.finish().unwrap();
    let f = findings.iter().find(|f| f.id == id).unwrap();
    let top = f
        .evidence
        .get("top_stacks")
        .and_then(|v| v.as_list())
        .unwrap();
    assert!(!top.is_empty(), "{rel}: no stacks");
    for s in top {
        let lines: Vec<String> = s
            .get("stack")
            .and_then(|v| v.as_list())
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect();
        let time = s.get("time_ns").and_then(|v| v.as_int()).unwrap();
        let count = s.get("count").and_then(|v| v.as_int()).unwrap();
        let rec = records
            .iter()
            .find(|r| frames(r) == lines)
            .unwrap_or_else(|| panic!("{rel}: {id} stack not in the {kind:?} profile: {lines:?}"));
        assert_eq!(rec.time, time, "{rel}: {id} time of {lines:?}");
        assert_eq!(rec.count as i64, count, "{rel}: {id} count of {lines:?}");
    }
}

#[test]
fn lock_contention_stacks_are_sync_profile_records() {
    for v in ["go1.21.13", "go1.22.10", "go1.25.5", "go1.27.3"] {
        check(
            &format!("{v}/lock-contention"),
            "lock-contention",
            ProfileKind::Sync,
        );
    }
}

#[test]
fn slow_network_stacks_are_net_profile_records() {
    for v in ["go1.21.13", "go1.22.10", "go1.25.5", "go1.27.3"] {
        check(
            &format!("{v}/slow-network"),
            "slow-network",
            ProfileKind::Net,
        );
    }
}
