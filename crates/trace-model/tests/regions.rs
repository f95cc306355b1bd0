//! The `/userregions`, `/userregion`, `/usertasks` and `/usertask` pages against Go 1.27.3:
//! for every committed trace (Go 1.19 to 1.27) and Go's own 1.11–1.21 test traces, the goldens
//! `scripts/gen-regions-goldens.sh` made with Go's `trace.Summarizer` and
//! `traceviewer.TimeHistogram`, byte for byte (floats included).

#[path = "../../trace-format/tests/common/mod.rs"]
mod common;

use std::path::Path;

use trace_model::regions::{json, region_groups, task_types, Histogram};
use trace_model::{Reader, Summary};

/// Our two pages of a trace as JSON lines: (regions, usertasks, regions seen, tasks seen).
fn pages(bytes: &[u8]) -> Result<(String, String, usize, usize), String> {
    let reader = Reader::new(bytes).map_err(|e| e.to_string())?;
    let summary = Summary::of(reader).map_err(|e| e.to_string())?;
    let (mut regions, mut tasks) = (String::new(), String::new());
    let (mut nr, mut nt) = (0, 0);
    for g in region_groups(&summary) {
        json::write_region_group(&mut regions, &g);
        nr += g.regions.len();
    }
    for t in task_types(&summary) {
        json::write_task_type(&mut tasks, &t);
        nt += t.count;
    }
    Ok((regions, tasks, nr, nt))
}

fn first_difference(trace: &Path, kind: &str, got: &str, want: &str) -> String {
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        if g != w {
            let at = g
                .bytes()
                .zip(w.bytes())
                .position(|(a, b)| a != b)
                .unwrap_or(g.len().min(w.len()));
            let from = at.saturating_sub(80);
            let cut = |s: &str| s.get(from..(at + 80).min(s.len())).unwrap_or(s).to_string();
            return format!(
                "{} {kind}: line {}, byte {at}:\n  got:  …{}\n  want: …{}",
                trace.display(),
                i + 1,
                cut(g),
                cut(w)
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

/// Our pages of `bytes` against Go's dumps at `prefix` (`PREFIX.regions.golden`,
/// `PREFIX.usertasks.golden`). Gives (regions, tasks) seen, or the first difference.
fn agree_with_go(trace: &Path, bytes: &[u8], prefix: &Path) -> Result<(usize, usize), String> {
    let want = |kind: &str| {
        let mut p = prefix.as_os_str().to_owned();
        p.push(format!(".{kind}.golden"));
        std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", Path::new(&p).display()))
    };
    let (regions, tasks, nr, nt) = pages(bytes)?;
    let want_regions = want("regions")?;
    if regions != want_regions {
        return Err(first_difference(trace, "regions", &regions, &want_regions));
    }
    let want_tasks = want("usertasks")?;
    if tasks != want_tasks {
        return Err(first_difference(trace, "usertasks", &tasks, &want_tasks));
    }
    Ok((nr, nt))
}

#[test]
fn region_and_task_pages_equal_go_on_every_trace() {
    let traces = common::traces();
    assert!(traces.len() >= 90, "found {} traces", traces.len());
    let (mut regions, mut tasks) = (0, 0);
    for trace in &traces {
        let bytes = std::fs::read(trace).unwrap();
        let (r, t) = agree_with_go(trace, &bytes, &trace.with_extension(""))
            .unwrap_or_else(|e| panic!("{e}"));
        regions += r;
        tasks += t;
    }
    assert!(
        regions > 50,
        "only {regions} regions: the test can't see them"
    );
    assert!(tasks > 30, "only {tasks} tasks");
}

/// Go's own 1.11–1.21 test traces (GOROOT/src/internal/trace/internal/tracev1/testdata of Go
/// 1.27.3), whose pages are committed in testdata/go-testdata.
#[test]
fn region_and_task_pages_equal_go_on_gos_v1_traces() {
    let Some(root) =
        common::goroot_or_skip("1.27.3", "region_and_task_pages_equal_go_on_gos_v1_traces")
    else {
        return;
    };
    let dir = root.join("src/internal/trace/internal/tracev1/testdata");
    let goldens = common::testdata().join("go-testdata");
    let mut n = 0;
    let mut regions = 0;
    for f in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = f.file_name().into_string().unwrap();
        if !name.ends_with("_good") {
            continue;
        }
        let bytes = std::fs::read(f.path()).unwrap();
        let (r, _) = agree_with_go(&f.path(), &bytes, &goldens.join(&name))
            .unwrap_or_else(|e| panic!("{e}"));
        regions += r;
        n += 1;
    }
    assert!(n >= 12 && regions >= 10, "{n} traces, {regions} regions");
}

/// The region-rich traces of trace-diff's experiment (testdata/diff: 160 regions and 40 tasks
/// each, Go 1.21 to 1.27): the first run of each side has Go's pages beside it.
#[test]
fn region_and_task_pages_equal_go_on_the_diff_experiment() {
    let mut n = 0;
    let mut regions = 0;
    for dir in std::fs::read_dir(common::testdata().join("diff"))
        .unwrap()
        .flatten()
    {
        for golden in common::files_with_ext(&dir.path(), "golden") {
            let name = golden.file_name().unwrap().to_str().unwrap();
            let Some(stem) = name.strip_suffix(".regions.golden") else {
                continue;
            };
            let trace = dir.path().join(format!("{stem}.trace"));
            let bytes = std::fs::read(&trace).unwrap();
            let (r, t) = agree_with_go(&trace, &bytes, &dir.path().join(stem))
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(
                r == 160 && t >= 40,
                "{}: {r} regions, {t} tasks",
                trace.display()
            );
            regions += r;
            n += 1;
        }
    }
    assert_eq!(n, 8, "{n} traces with goldens");
    assert_eq!(regions, 8 * 160);
}

/// Go's dumps of fresh traces, made by scripts/conformance.sh: `CONFORMANCE_USERPAGES` names a
/// file of "LABEL TRACE PREFIX" lines.
#[test]
#[ignore]
fn live_user_pages() {
    let list = std::env::var("CONFORMANCE_USERPAGES").expect("CONFORMANCE_USERPAGES");
    let list = std::fs::read_to_string(list).unwrap();
    for line in list.lines() {
        let mut f = line.split(' ');
        let (Some(label), Some(trace), Some(prefix)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let bytes = std::fs::read(trace).unwrap();
        match agree_with_go(Path::new(trace), &bytes, Path::new(prefix)) {
            Ok((r, t)) => println!(
                "CONFORMANCE ok {label} {r} regions, {t} tasks: region and task pages identical"
            ),
            Err(e) => println!("CONFORMANCE differ {label} {}", e.replace('\n', " | ")),
        }
    }
}

#[test]
fn histogram_buckets_are_gos_at_every_boundary() {
    // Buckets step up one at a time, each beginning next to the edge Go labels it with.
    for k in 1..=94usize {
        let (mut lo, mut hi) = (0i64, i64::MAX);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if Histogram::bucket_of(mid) >= k {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        assert_eq!(Histogram::bucket_of(hi), k);
        assert_eq!(Histogram::bucket_of(hi - 1), k - 1);
        let edge = Histogram::bucket_min(k);
        assert!(
            (hi - edge).abs() <= (edge >> 40).max(2),
            "bucket {k}: {hi} vs {edge}"
        );
    }
    assert_eq!(Histogram::bucket_of(0), 0);
    assert_eq!(Histogram::bucket_of(-5), 0);
    assert_eq!(Histogram::bucket_of(1), 0);
    assert_eq!(Histogram::bucket_of(1000), 14);
    assert_eq!(Histogram::bucket_of(1001), 15);
    assert_eq!(Histogram::bucket_of(i64::MAX), 94);
    assert_eq!(Histogram::bucket_min(95), i64::MIN);
    assert_eq!(Histogram::bucket_min(1000), i64::MIN);

    // Go's bookkeeping: a first duration in bucket 0 is forgotten by MinBucket.
    let mut h = Histogram::new();
    h.add(0);
    h.add(5000);
    assert_eq!((h.count(), h.min_bucket(), h.max_bucket()), (2, 18, 18));
    assert_eq!(h.rows().map(|r| r.2).sum::<u64>(), 1);
}

/// Damaged region-rich traces (cut short, bytes changed) through the summary, both pages and a
/// comparison: whatever reads before the error, never a panic.
#[test]
fn damaged_traces_never_panic() {
    let mut cases = 0;
    for rel in [
        "traces/go1.27.3/annotations.trace",
        "traces/go1.21.13/unfinished.trace",
        "diff/go1.27.3/after-1.trace",
        "diff/go1.21.13/before-1.trace",
    ] {
        let bytes = std::fs::read(common::testdata().join(rel)).unwrap();
        let mut inputs = Vec::new();
        for k in 1..40 {
            inputs.push(bytes[..bytes.len() * k / 40].to_vec());
        }
        for k in 0..120usize {
            let mut b = bytes.clone();
            let at = 16 + k * 7919 % (b.len() - 16);
            b[at] ^= 1 << (k % 8);
            let other = (at * 31) % b.len();
            b[other] = b[other].wrapping_add(k as u8);
            inputs.push(b);
        }
        for input in inputs {
            let Ok(mut reader) = Reader::new(&input) else {
                continue;
            };
            let mut sinks = (
                trace_model::Summarizer::new(),
                trace_model::gc::GcAnalyzer::new(),
            );
            let _ = reader.feed(&mut sinks);
            let (summary, gc) = (sinks.0.finish(), sinks.1.finish());
            let mut out = String::new();
            for g in region_groups(&summary) {
                json::write_region_group(&mut out, &g);
            }
            for t in task_types(&summary) {
                json::write_task_type(&mut out, &t);
            }
            let p = trace_model::diff::Profile::new("x", &summary, &gc);
            let sides = [p.clone(), p];
            for per_op in [None, Some(b"request".to_vec())] {
                let opts = trace_model::diff::Options {
                    per_op,
                    ..Default::default()
                };
                if let Ok(d) = trace_model::diff::compare(&sides, &sides[..1], &opts) {
                    d.write_json(&mut out);
                }
            }
            cases += 1;
        }
    }
    assert!(cases > 300, "{cases} damaged traces read");
}
