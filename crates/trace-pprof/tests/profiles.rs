//! Profiles against Go: for every committed trace (Go 1.19 to 1.27) and each type, exactly the samples of
//! Go 1.27's `go tool trace -pprof=TYPE` (committed beside the trace as `NAME.TYPE.pprof.golden`),
//! compared as values and stacks of function, file, line and address.

#[path = "../../trace-format/tests/common/mod.rs"]
mod common;

use trace_model::format::Family;
use trace_pprof::{
    build, canonical_samples, compute, read_profile, write_gzip, Filter, ProfileKind,
};

/// The committed traces of every version (Go 1.19 and 1.21 are read through the v1
/// conversion, as Go 1.27 does), and the regression traces in testdata/regressions (fresh
/// traces on which a live conformance run once found a difference).
fn all_traces() -> Vec<std::path::PathBuf> {
    let regressions = common::files_with_ext(&common::testdata().join("regressions"), "trace");
    let mut traces = common::traces_of(Family::V2);
    traces.extend(common::traces_of(Family::V1));
    traces.extend(regressions);
    traces
}

fn ours(bytes: &[u8], kind: ProfileKind, filter: &Filter) -> trace_pprof::Profile {
    let mut reader = trace_model::Reader::new(bytes).unwrap();
    let records = compute(&mut reader, kind, filter).unwrap();
    // Through the encoder and back, as go tool pprof would read it.
    let mut gz = Vec::new();
    write_gzip(&build(&records), &mut gz).unwrap();
    read_profile(&gz).unwrap()
}

#[test]
fn profiles_equal_go_on_every_trace() {
    let traces = all_traces();
    assert!(traces.len() >= 80, "found {} traces", traces.len());
    let mut nonempty = 0;
    for trace in traces {
        let bytes = std::fs::read(&trace).unwrap();
        for kind in ProfileKind::ALL {
            let name = trace.file_stem().unwrap().to_str().unwrap();
            let golden = trace.with_file_name(format!("{name}.{}.pprof.golden", kind.name()));
            let want = canonical_samples(&read_profile(&std::fs::read(&golden).unwrap()).unwrap());
            let got = canonical_samples(&ours(&bytes, kind, &Filter::default()));
            if got != want {
                let missing: Vec<_> = want.iter().filter(|s| !got.contains(s)).take(3).collect();
                let extra: Vec<_> = got.iter().filter(|s| !want.contains(s)).take(3).collect();
                panic!(
                    "{} -pprof={}: {} samples, Go has {}\nonly Go: {missing:#?}\nonly ours: {extra:#?}",
                    trace.display(),
                    kind.name(),
                    got.len(),
                    want.len()
                );
            }
            nonempty += usize::from(!got.is_empty());
        }
    }
    assert!(nonempty > 160, "too few non-empty profiles: {nonempty}");
}

/// Go's web pages filter profiles by goroutine name and by region type: the same filters give
/// the same samples (cases in testdata/filters/MANIFEST, made by scripts/gen-filter-goldens.sh).
#[test]
fn filters_equal_go() {
    let dir = common::testdata().join("filters");
    let manifest = std::fs::read_to_string(dir.join("MANIFEST")).unwrap();
    let mut cases = 0;
    let mut nonempty = 0;
    for line in manifest.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let [golden, trace, kind, filter_kind, value] = f[..] else {
            panic!("bad manifest line {line:?}");
        };
        let kind = ProfileKind::from_name(kind).unwrap();
        let mut filter = Filter::default();
        match filter_kind {
            "goroutine" => filter.goroutine = Some(value.to_string()),
            "region" => filter.region = Some(value.to_string()),
            other => panic!("unknown filter {other}"),
        }
        let bytes = std::fs::read(common::testdata().join("..").join(trace)).unwrap();
        let want =
            canonical_samples(&read_profile(&std::fs::read(dir.join(golden)).unwrap()).unwrap());
        let got = canonical_samples(&ours(&bytes, kind, &filter));
        assert_eq!(got, want, "{trace} -pprof={} {filter:?}", kind.name());
        cases += 1;
        nonempty += usize::from(!want.is_empty());
    }
    assert!(
        cases >= 50 && nonempty >= 20,
        "{cases} cases, {nonempty} non-empty"
    );
}

#[test]
fn time_window_counts_only_its_part() {
    let bytes = std::fs::read(common::testdata().join("traces/go1.27.3/mutex.trace")).unwrap();
    let total = |filter: &Filter| -> i64 {
        let mut reader = trace_model::Reader::new(&bytes).unwrap();
        compute(&mut reader, ProfileKind::Sync, filter)
            .unwrap()
            .iter()
            .map(|r| r.time)
            .sum()
    };
    let all = total(&Filter::default());
    let first = trace_model::Reader::new(&bytes)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .time();
    let last = trace_model::Reader::new(&bytes)
        .unwrap()
        .last()
        .unwrap()
        .unwrap()
        .time();
    let mid = first + (last - first) / 2;
    let a = total(&Filter {
        to: Some(mid),
        ..Filter::default()
    });
    let b = total(&Filter {
        from: Some(mid),
        ..Filter::default()
    });
    assert!(all > 0 && a > 0 && b > 0, "all={all} a={a} b={b}");
    // Intervals that span the midpoint split between the halves; none is lost or counted twice.
    assert_eq!(a + b, all);
    assert_eq!(
        total(&Filter {
            from: Some(last + 1),
            ..Filter::default()
        }),
        0
    );
}

/// A trace cut short still gives its profile with salvage (`Reader::salvage`, issue 24): of
/// each Go 1.22+ trace cut at a half, three quarters and nine tenths, the sched and sync
/// profiles of what salvage keeps. Reading as Go does fails on every cut (Go's tools then
/// profile the complete generations only, and most of these traces have one); salvage profiles
/// the broken generation's batches too.
#[test]
fn cut_traces_give_profiles_with_salvage() {
    let (mut cuts, mut go_profiles, mut salvaged_profiles) = (0, 0, 0);
    for trace in common::traces_of(Family::V2) {
        let bytes = std::fs::read(&trace).unwrap();
        for cut in [bytes.len() / 2, bytes.len() * 3 / 4, bytes.len() * 9 / 10] {
            let part = &bytes[..cut];
            for kind in [ProfileKind::Sched, ProfileKind::Sync] {
                let filter = Filter::default();
                let non_empty = |r: Result<Vec<trace_pprof::Record>, trace_pprof::Error>| {
                    r.is_ok_and(|r| r.iter().any(|r| r.count > 0))
                };
                let go = trace_model::Reader::new(part)
                    .map_err(trace_pprof::Error::from)
                    .and_then(|mut r| compute(&mut r, kind, &filter));
                let mut r = trace_model::Reader::salvage(part).unwrap();
                let salvaged = compute(&mut r, kind, &filter);
                // Too little kept may leave no goroutine: Go's error then ("failed to find
                // matching goroutines").
                go_profiles += u64::from(non_empty(go));
                salvaged_profiles += u64::from(non_empty(salvaged));
                cuts += 1;
            }
        }
    }
    eprintln!(
        "salvage: {cuts} cut traces and profile kinds: {salvaged_profiles} profiles with \
         samples ({go_profiles} reading as Go does)"
    );
    assert_eq!(
        go_profiles, 0,
        "reading as Go does, a cut trace is an error"
    );
    assert!(
        salvaged_profiles * 3 > cuts,
        "{salvaged_profiles} of {cuts}"
    );
}
