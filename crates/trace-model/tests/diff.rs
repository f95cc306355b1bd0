//! trace-diff's before/after experiment (testdata/diff, scripts/gen-diff-testdata.sh): the same
//! request loop before and after a change that makes region "compute" 2.5 times the work and
//! "encode" a third of it, five runs a side with Go 1.21 (v1 traces), 1.22, 1.25 and 1.27.
//! The comparison must rank "compute" first as a significant slowdown, find "encode" faster,
//! and mark the unchanged "parse" and "wait" `~`; and the comparison's edges must hold.

#[path = "../../trace-format/tests/common/mod.rs"]
mod common;

use std::path::PathBuf;

use trace_model::diff::{compare, DiffError, Entry, Options, Profile, Stat, TestOn};
use trace_model::Reader;

const VERSIONS: [&str; 4] = ["1.21.13", "1.22.10", "1.25.5", "1.27.3"];
const RUNS: usize = 5;

fn trace(version: &str, name: &str) -> PathBuf {
    common::testdata()
        .join("diff")
        .join(format!("go{version}"))
        .join(format!("{name}.trace"))
}

fn profile(path: &std::path::Path) -> Profile {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let label = path.display().to_string();
    Profile::read(label, Reader::new(&bytes).unwrap()).unwrap()
}

fn side(version: &str, name: &str) -> Vec<Profile> {
    (1..=RUNS)
        .map(|i| profile(&trace(version, &format!("{name}-{i}"))))
        .collect()
}

fn find<'a>(entries: &'a [Entry], name: &str) -> &'a Entry {
    entries
        .iter()
        .find(|e| e.name == name.as_bytes())
        .unwrap_or_else(|| panic!("no entry {name}"))
}

/// The region entries as "name p=... ~|significant", for messages.
fn show(entries: &[Entry]) -> String {
    entries
        .iter()
        .map(|e| {
            format!(
                "{} delta={:?} p={:?} sig={:?}",
                String::from_utf8_lossy(&e.name),
                e.delta,
                e.test.map(|t| t.result.p),
                e.significant
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[test]
fn the_slowed_region_ranks_first_and_unchanged_ones_are_not_significant() {
    for v in VERSIONS {
        let (a, b) = (side(v, "before"), side(v, "after"));
        let diff = compare(&a, &b, &Options::default()).unwrap();
        let all = show(&diff.regions);
        assert_eq!(diff.regions.len(), 4, "go{v}: {all}");
        let first = &diff.regions[0];
        assert_eq!(first.name, b"compute", "go{v}: {all}");
        assert_eq!(first.metric, "total");
        assert_eq!(first.significant, Some(true), "go{v}: {all}");
        assert!(
            first.delta.unwrap() > 0.0 && first.ratio.unwrap() > 1.5,
            "go{v}: {all}"
        );
        // Every B run slower than every A run: the smallest p five a side allow.
        let t = first.test.unwrap();
        assert_eq!((t.on, t.n, t.result.exact), (TestOn::Runs, (5, 5), true));
        assert!((t.result.p - 2.0 / 252.0).abs() < 1e-12, "go{v}: {all}");

        let encode = find(&diff.regions, "encode");
        assert_eq!(encode.significant, Some(true), "go{v}: {all}");
        assert!(
            encode.delta.unwrap() < 0.0 && encode.ratio.unwrap() < 0.6,
            "go{v}: {all}"
        );
        for name in ["parse", "wait"] {
            let e = find(&diff.regions, name);
            assert_eq!(e.significant, Some(false), "go{v}: {name} changed? {all}");
        }

        // Each side: 40 regions a run, their distribution pooled over the runs.
        for e in &diff.regions {
            for s in [&e.a, &e.b] {
                let s = s.as_ref().unwrap();
                assert_eq!(s.runs.len(), RUNS);
                assert_eq!(s.count, Some(40.0));
                let d = s.durations.unwrap();
                assert_eq!(d.count, 40 * RUNS as u64);
                assert!(d.min <= d.p50 && d.p50 <= d.p90 && d.p90 <= d.p99 && d.p99 <= d.max);
                assert!(s.ci.0 <= s.median && s.median <= s.ci.1);
                assert_eq!(s.ci_level, 0.9375);
            }
        }

        // A CI gate sees the slowdown, and not the speedup.
        let gate: Vec<_> = diff.regressions().map(|e| (&e.name, &e.metric)).collect();
        assert!(
            gate.contains(&(&b"compute".to_vec(), &"total".to_string())),
            "{gate:?}"
        );
        assert!(!gate.iter().any(|(n, _)| *n == b"encode"), "{gate:?}");

        // The request task: 40 a run on each side (whether the sum of a slower and a faster
        // region stands out from the noise isn't what the experiment is about).
        let request = find(&diff.tasks, "request");
        for s in [&request.a, &request.b] {
            assert_eq!(s.as_ref().unwrap().count, Some(40.0));
        }
        // main.main runs the requests.
        assert!(diff
            .goroutines
            .iter()
            .any(|e| e.name == b"main.main" && e.metric == "exec"));
        assert_eq!(
            diff.gc
                .iter()
                .map(|e| e.metric.as_str())
                .collect::<Vec<_>>()
                .len(),
            4
        );
        assert!(diff.notes.is_empty(), "go{v}: {:?}", diff.notes);
    }
}

#[test]
fn medians_and_per_op_values_tell_the_same() {
    for v in VERSIONS {
        let (a, b) = (side(v, "before"), side(v, "after"));
        // The median region of each run: both changes stand out.
        let opts = Options {
            stat: Stat::P50,
            ..Options::default()
        };
        let diff = compare(&a, &b, &opts).unwrap();
        let all = show(&diff.regions);
        assert_eq!(diff.regions[0].name, b"compute", "go{v}: {all}");
        assert_eq!(diff.regions[0].metric, "p50");
        for name in ["compute", "encode"] {
            assert_eq!(
                find(&diff.regions, name).significant,
                Some(true),
                "go{v}: {all}"
            );
        }

        // Per request: every run did 40, so the same verdicts at a 40th of the values.
        let per = Options {
            per_op: Some(b"request".to_vec()),
            ..Options::default()
        };
        let by_op = compare(&a, &b, &per).unwrap();
        let by_run = compare(&a, &b, &Options::default()).unwrap();
        assert_eq!(by_op.a_ops, Some(vec![40; RUNS]));
        assert_eq!(by_op.b_ops, Some(vec![40; RUNS]));
        for (x, y) in by_op.regions.iter().zip(&by_run.regions) {
            assert_eq!((&x.name, x.significant), (&y.name, y.significant));
            let (mx, my) = (x.a.as_ref().unwrap().median, y.a.as_ref().unwrap().median);
            assert!((mx * 40.0 - my).abs() < 1e-6 * my, "{mx} {my}");
        }
        // The longest pause is never divided.
        let max = |d: &trace_model::diff::Diff| {
            d.gc.iter()
                .find(|e| e.metric == "stw_max")
                .and_then(|e| e.a.as_ref())
                .map(|s| s.median)
        };
        assert_eq!(max(&by_op), max(&by_run));
    }
}

#[test]
fn one_trace_a_side_tests_individual_durations() {
    for v in VERSIONS {
        let a = profile(&trace(v, "before-1"));
        let b = profile(&trace(v, "after-1"));
        let diff = compare(&[a], &[b], &Options::default()).unwrap();
        let compute = find(&diff.regions, "compute");
        let t = compute.test.unwrap();
        assert_eq!(
            (t.on, t.n, t.result.exact),
            (TestOn::Durations, (40, 40), false)
        );
        assert_eq!(compute.significant, Some(true), "go{v}");
        assert!(diff.goroutines.iter().all(|e| e.significant.is_none()));
        assert!(diff
            .notes
            .iter()
            .any(|n| n.starts_with("one run on a side")));
    }
}

#[test]
fn edges_of_a_comparison() {
    let diff_trace = profile(&trace("1.27.3", "before-1"));
    let annotations = profile(&common::testdata().join("traces/go1.27.3/annotations.trace"));
    // No region type in common: said so, and nothing to pair.
    let d = compare(
        std::slice::from_ref(&annotations),
        std::slice::from_ref(&diff_trace),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(d.regions_in_common(), 0);
    assert!(
        d.notes
            .iter()
            .any(|n| n.starts_with("no region type in common: A has \"in-child\"")),
        "{:?}",
        d.notes
    );
    // Entries of one side only: no delta, no test, sorted by their size.
    for e in &d.regions {
        assert!(e.delta.is_none() && e.test.is_none() && e.significant.is_none());
        assert!(e.a.is_some() != e.b.is_some());
    }
    assert_eq!(d.regions[0].name, b"compute");

    // Bad requests.
    assert_eq!(
        compare(&[], std::slice::from_ref(&diff_trace), &Options::default()),
        Err(DiffError::NoTraces('A'))
    );
    let per = |n: &str| Options {
        per_op: Some(n.as_bytes().to_vec()),
        ..Options::default()
    };
    assert_eq!(
        compare(
            std::slice::from_ref(&diff_trace),
            std::slice::from_ref(&diff_trace),
            &per("nope")
        ),
        Err(DiffError::UnknownOp("nope".into()))
    );
    let err = compare(
        std::slice::from_ref(&annotations),
        std::slice::from_ref(&diff_trace),
        &per("request"),
    )
    .unwrap_err();
    assert!(
        matches!(err, DiffError::NoOps { kind: "task", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("annotations.trace"), "{err}");
    // A region name divides when no task has it.
    let d = compare(
        std::slice::from_ref(&diff_trace),
        std::slice::from_ref(&diff_trace),
        &per("wait"),
    )
    .unwrap();
    assert_eq!(d.a_ops, Some(vec![40]));

    // Three runs a side can't be significant at 0.05: said so.
    let three: Vec<Profile> = (1..=3)
        .map(|i| profile(&trace("1.27.3", &format!("before-{i}"))))
        .collect();
    let d = compare(&three, &three, &Options::default()).unwrap();
    assert!(
        d.notes
            .iter()
            .any(|n| n.contains("smallest possible p is 0.100")),
        "{:?}",
        d.notes
    );
    assert!(d.regions.iter().all(|e| e.significant == Some(false)));
}

/// Checks that `s` is one JSON value (objects, arrays, strings, numbers, literals) and
/// nothing else.
fn valid_json(s: &str) -> bool {
    fn value(b: &[u8], i: &mut usize) -> bool {
        skip(b, i);
        match b.get(*i) {
            Some(b'{') => {
                *i += 1;
                skip(b, i);
                if b.get(*i) == Some(&b'}') {
                    *i += 1;
                    return true;
                }
                loop {
                    skip(b, i);
                    if !string(b, i) {
                        return false;
                    }
                    skip(b, i);
                    if b.get(*i) != Some(&b':') {
                        return false;
                    }
                    *i += 1;
                    if !value(b, i) {
                        return false;
                    }
                    skip(b, i);
                    match b.get(*i) {
                        Some(b',') => *i += 1,
                        Some(b'}') => {
                            *i += 1;
                            return true;
                        }
                        _ => return false,
                    }
                }
            }
            Some(b'[') => {
                *i += 1;
                skip(b, i);
                if b.get(*i) == Some(&b']') {
                    *i += 1;
                    return true;
                }
                loop {
                    if !value(b, i) {
                        return false;
                    }
                    skip(b, i);
                    match b.get(*i) {
                        Some(b',') => *i += 1,
                        Some(b']') => {
                            *i += 1;
                            return true;
                        }
                        _ => return false,
                    }
                }
            }
            Some(b'"') => string(b, i),
            Some(c) if c.is_ascii_digit() || *c == b'-' => {
                let start = *i;
                while b
                    .get(*i)
                    .is_some_and(|c| c.is_ascii_digit() || b"-+.eE".contains(c))
                {
                    *i += 1;
                }
                std::str::from_utf8(&b[start..*i])
                    .ok()
                    .and_then(|t| t.parse::<f64>().ok())
                    .is_some()
            }
            _ => ["true", "false", "null"].iter().any(|w| {
                let ok = b[*i..].starts_with(w.as_bytes());
                if ok {
                    *i += w.len();
                }
                ok
            }),
        }
    }
    fn string(b: &[u8], i: &mut usize) -> bool {
        if b.get(*i) != Some(&b'"') {
            return false;
        }
        *i += 1;
        while let Some(&c) = b.get(*i) {
            *i += 1;
            match c {
                b'"' => return true,
                b'\\' => *i += 1,
                c if c < 0x20 => return false,
                _ => {}
            }
        }
        false
    }
    fn skip(b: &[u8], i: &mut usize) {
        while b.get(*i).is_some_and(u8::is_ascii_whitespace) {
            *i += 1;
        }
    }
    let b = s.as_bytes();
    let mut i = 0;
    value(b, &mut i) && {
        skip(b, &mut i);
        i == b.len()
    }
}

#[test]
fn json_is_one_valid_object_with_every_field() {
    let (a, b) = (side("1.22.10", "before"), side("1.22.10", "after"));
    let diff = compare(&a, &b, &Options::default()).unwrap();
    let mut s = String::new();
    diff.write_json(&mut s);
    assert!(s.ends_with("}\n"));
    assert!(valid_json(s.trim_end()), "{s}");
    for key in [
        "\"alpha\":0.05",
        "\"regions\":[{\"name\":\"compute\",\"metric\":\"total\",\"unit\":\"ns\",\"a\":{\"runs\":[",
        "\"delta_ns\":",
        "\"ratio\":",
        "\"test\":{\"on\":\"runs\",\"u\":",
        "\"significant\":true",
        "\"significant\":false",
        "\"goroutines\":[",
        "\"tasks\":[{\"name\":\"request\"",
        "\"gc\":[",
        "\"metric\":\"cycles\",\"unit\":\"count\"",
        "\"ci_level\":0.9375",
    ] {
        assert!(s.contains(key), "{key} missing: {s}");
    }
    assert!(!valid_json("{\"a\":}") && !valid_json("[1,]") && valid_json("[1e-7,{\"x\":null}]"));
}
