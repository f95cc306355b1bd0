//! Salvage (`Reader::salvage`, issue 24): a trace cut at any point is read as far as it can be
//! trusted, and every event salvaged is an event of the whole trace.
//!
//! Every testdata trace of every version is cut at many points. For each cut:
//!
//! - salvage never fails, and its first events are exactly those Go's reader gives for the cut
//!   trace before its error (Go's prefix: our `Reader::new`, which the conformance tests hold
//!   byte-identical to Go's reader);
//! - every event salvaged (the `Sync`s aside, whose times are the reader's own) is an event of
//!   the whole trace, with the same wire type, M, P, goroutine and time (but for Go's tie
//!   breaking, see [`same`]), in the same order: the
//!   salvaged events are a subsequence of the whole trace's. The reference is our own reading
//!   of the uncut trace, which the conformance tests hold identical to Go's;
//! - the figure the issue aims at: of the whole trace's events up to the salvage's last
//!   trusted time, how many were recovered, summed over every cut (aim: at least 90%).
//!
//! Go 1.5–1.21 traces (testdata/traces/go1.19, and Go 1.21.13's own test traces when that Go is
//! installed) are one generation whose clock frequency and stacks come at the end: a cut one
//! salvages nothing, and the report says so.

#[path = "../../trace-format/tests/common/mod.rs"]
mod common;

use trace_model::format::Family;
use trace_model::{Event, Reader, SalvageReport};

/// What an event of the salvage must share with the whole trace's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    wire: &'static str,
    time: i64,
    m: i64,
    p: i64,
    g: i64,
}

fn key(ev: &Event) -> Key {
    Key {
        wire: ev.wire_name(),
        time: ev.time(),
        m: ev.thread(),
        p: ev.proc(),
        g: ev.goroutine(),
    }
}

/// Go's events of `bytes` (our reader's): the events before the error, and whether there was one.
fn go_prefix(bytes: &[u8]) -> (Vec<Key>, bool) {
    let mut out = Vec::new();
    let Ok(mut r) = Reader::new(bytes) else {
        return (out, true);
    };
    loop {
        match r.next_event() {
            Ok(Some(ev)) => out.push(key(ev)),
            Ok(None) => return (out, false),
            Err(_) => return (out, true),
        }
    }
}

/// The salvage of `bytes`: its events and report. It never fails past the header.
fn salvage(bytes: &[u8], what: &str) -> (Vec<Key>, SalvageReport, bool, bool) {
    let mut r = Reader::salvage(bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut out = Vec::new();
    let mut lost = false;
    while let Some(ev) = r.next_event().unwrap_or_else(|e| panic!("{what}: {e}")) {
        lost |= ev.tables_lost();
        out.push(key(ev));
    }
    // Salvage from a stream gives the same.
    let mut s = Reader::from_read_salvage(bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut n = 0;
    while let Some(ev) = s
        .next_event()
        .unwrap_or_else(|e| panic!("{what}: stream: {e}"))
    {
        assert_eq!(Some(&key(ev)), out.get(n), "{what}: stream event {n}");
        n += 1;
    }
    assert_eq!(n, out.len(), "{what}: stream");
    let report = r.salvage_report().expect("a salvage report");
    let s_report = s.salvage_report().expect("a salvage report");
    let counts = |r: &SalvageReport| {
        (
            r.is_whole(),
            r.complete_generations,
            r.broken_generation,
            r.generations_dropped,
            (r.batches_kept, r.batches_dropped, r.events_dropped),
            r.bytes_read,
            r.last_trusted_time,
            (r.strings_lost, r.stacks_lost),
        )
    };
    assert_eq!(counts(report), counts(s_report), "{what}: stream");
    // And says the same of the damage: what was expected, at which byte.
    let text = |r: &SalvageReport| {
        let e = |e: &Option<trace_model::Error>| e.as_ref().map(|e| e.to_string());
        (e(&r.damage), e(&r.stopped))
    };
    assert_eq!(text(report), text(s_report), "{what}: stream");
    // `SalvageReport` holds an error, which isn't `Clone`: rebuild the counts.
    let copy = SalvageReport {
        damage: None,
        stopped: None,
        complete_generations: report.complete_generations,
        broken_generation: report.broken_generation,
        generations_dropped: report.generations_dropped,
        batches_kept: report.batches_kept,
        batches_dropped: report.batches_dropped,
        events_dropped: report.events_dropped,
        bytes_read: report.bytes_read,
        total_bytes: report.total_bytes,
        last_trusted_time: report.last_trusted_time,
        strings_lost: report.strings_lost,
        stacks_lost: report.stacks_lost,
    };
    (out, copy, lost, report.is_whole())
}

/// Whether salvaged event `k` is the whole trace's event `w`. The time may be a few
/// nanoseconds later in the whole trace: Go makes each event's time later than the last's (by
/// 1 ns on a tie), and a tie with an event that salvage lost is not there.
fn same(w: &Key, k: &Key) -> bool {
    let tie = (0..=TIES).contains(&w.time.wrapping_sub(k.time));
    tie && Key { time: k.time, ..*w } == *k
}

/// How many events may share a timestamp before one salvaged.
const TIES: i64 = 8;

fn is_sync(k: &Key) -> bool {
    k.wire == "Sync"
}

/// Totals over the cuts of a set of traces.
#[derive(Default, Debug)]
struct Tally {
    cuts: u64,
    /// Events of the whole traces up to each cut's last trusted time.
    reference: u64,
    /// Of those, recovered by salvage; and by Go's prefix.
    recovered: u64,
    go: u64,
    /// Cuts whose salvage kept events of the broken generation, and where its tables were lost.
    beyond_go: u64,
    tables_lost: u64,
    /// Cuts that are valid traces to Go (not counted in the figures).
    valid: u64,
    /// Events salvaged past Go's prefix, and events of kept batches left out where ordering
    /// stopped (`SalvageReport::events_dropped`).
    past_go: u64,
    dropped: u64,
    /// Cuts where salvage kept any event.
    kept_any: u64,
}

/// Cuts `bytes` (the trace `name`) at `n` points, and `tail` more in its last tenth, checks
/// each salvage, and adds to `tally`.
fn check_cuts(name: &str, bytes: &[u8], n: usize, tail: usize, tally: &mut Tally) {
    let (whole, failed) = go_prefix(bytes);
    assert!(!failed, "{name}: the whole trace reads");
    let whole: Vec<Key> = whole.into_iter().filter(|k| !is_sync(k)).collect();
    // The salvage of the whole trace is the trace.
    let (all, report, _, whole_read) = salvage(bytes, name);
    assert!(whole_read, "{name}: {report:?}");
    assert!(report.broken_generation.is_none(), "{name}: {report:?}");
    let all: Vec<Key> = all.into_iter().filter(|k| !is_sync(k)).collect();
    assert_eq!(all, whole, "{name}: salvage of the whole trace");

    let header = 16;
    let step = (bytes.len() / n).max(1);
    // And a few in the last tenth, where a v1 trace keeps its stacks.
    let tail_step = (bytes.len() / 10 / tail).max(1);
    let cuts = (header..bytes.len())
        .step_by(step)
        .chain((bytes.len() - bytes.len() / 10..bytes.len()).step_by(tail_step))
        .chain([bytes.len() - 1]);
    for cut in cuts {
        let what = format!("{name} cut at {cut} of {}", bytes.len());
        let part = &bytes[..cut];
        let (go, go_failed) = go_prefix(part);
        let (got, report, lost, whole_read) = salvage(part, &what);
        // A cut between generations of a trace before Go 1.26 is a whole trace, to Go too.
        assert_eq!(whole_read, !go_failed, "{what}: {report:?}");
        // Go's prefix first, exactly. (Go gives a `Sync` just before its error, which salvage
        // doesn't: it opens the broken generation with that generation's `Sync`, in its place.)
        let go: Vec<Key> = go.into_iter().filter(|k| !is_sync(k)).collect();
        let got_events: Vec<Key> = got.iter().copied().filter(|k| !is_sync(k)).collect();
        assert!(
            got_events.len() >= go.len() && got_events[..go.len()] == go[..],
            "{what}: Go's prefix ({} events) is not the salvage's start",
            go.len()
        );
        // Closed by a Sync.
        if let Some(last) = got.last() {
            assert!(is_sync(last), "{what}: ends with {last:?}");
        }
        if !go_failed {
            // A cut Go reads as a whole trace (between generations, or between the records of
            // a v1 trace's footer) is one: salvage gives Go's events, and no more.
            assert_eq!(got_events.len(), go.len(), "{what}");
            tally.valid += 1;
            continue;
        }
        // A subsequence of the whole trace, in order.
        let mut at = 0;
        let mut recovered = 0u64;
        for (i, k) in got.iter().enumerate().filter(|(_, k)| !is_sync(k)) {
            match whole
                .get(at..)
                .and_then(|w| w.iter().position(|w| same(w, k)))
            {
                Some(j) => at += j + 1,
                None => panic!(
                    "{what}: salvaged event {i} {k:?} is not next in the whole trace (after {:?})",
                    at.checked_sub(1).and_then(|a| whole.get(a))
                ),
            }
            recovered += 1;
        }
        let trusted = report.last_trusted_time;
        let reference = whole.iter().filter(|k| k.time <= trusted).count() as u64;
        assert!(recovered <= reference, "{what}: {recovered} > {reference}");
        let go_events = go.len() as u64;
        tally.cuts += 1;
        tally.reference += reference;
        tally.recovered += recovered;
        tally.go += go_events.min(reference);
        tally.beyond_go += u64::from(recovered > go_events);
        tally.past_go += recovered.saturating_sub(go_events);
        tally.dropped += report.events_dropped;
        tally.tables_lost += u64::from(lost);
        tally.kept_any += u64::from(recovered > 0);
        // (A v1 trace's batches are not counted: it is ordered whole.)
        let v2 = trace_model::format::Version::from_header(bytes)
            .is_ok_and(|v| v.family() == Family::V2);
        if v2 && report.broken_generation.is_some() {
            assert!(
                report.batches_kept > 0 || report.batches_dropped > 0,
                "{what}"
            );
        }
        assert!(report.bytes_read <= cut as u64, "{what}: {report:?}");
    }
}

fn pct(a: u64, b: u64) -> f64 {
    a as f64 * 100.0 / b.max(1) as f64
}

#[test]
fn cut_traces_salvage_events_of_the_whole_trace() {
    let mut tally = Tally::default();
    let mut traces = 0;
    let mut generations = 0;
    for trace in common::traces_of(Family::V2) {
        let bytes = std::fs::read(&trace).unwrap();
        let name = trace.display().to_string();
        let mut r = Reader::new(&bytes).unwrap();
        while r.next_event().unwrap().is_some() {
            generations = generations.max(r.generation());
        }
        check_cuts(&name, &bytes, 97, 8, &mut tally);
        traces += 1;
    }
    eprintln!(
        "salvage: {traces} Go 1.22+ traces, {} cuts: recovered {} of {} events up to the last \
         trusted time ({:.1}%; Go's prefix {:.1}%); {} cuts kept events past Go's, {} with \
         tables lost; {} events past Go's prefix, {} left in kept batches where ordering \
         stopped ({:.1}% of those batches' events ordered)",
        tally.cuts,
        tally.recovered,
        tally.reference,
        pct(tally.recovered, tally.reference),
        pct(tally.go, tally.reference),
        tally.beyond_go,
        tally.tables_lost,
        tally.past_go,
        tally.dropped,
        pct(tally.past_go, tally.past_go + tally.dropped),
    );
    assert!(traces >= 50, "{traces} traces");
    assert!(generations >= 3, "multi-generation traces among them");
    assert!(tally.beyond_go * 2 > tally.cuts, "{tally:?}");
    assert!(tally.tables_lost > 0, "{tally:?}");
    assert!(
        pct(tally.recovered, tally.reference) >= 90.0,
        "recovered {:.1}%: {tally:?}",
        pct(tally.recovered, tally.reference)
    );
}

/// Go 1.5–1.21: a trace cut past its last batch (in the stacks and strings that close it) keeps
/// all its events, some stacks lost; cut before, it has lost its clock frequency (written after
/// the batches; in Go 1.5, after the stacks too) and nothing is kept, and the report says so.
#[test]
fn cut_v1_traces_salvage_what_can_be_timed() {
    let mut files = common::traces_of(Family::V1);
    assert!(!files.is_empty(), "testdata/traces/go1.19");
    let go121 = common::goroot_or_skip("1.21.13", "Go 1.21.13's v1 test traces in salvage");
    if let Some(root) = go121 {
        let dir = root.join("src/internal/trace/testdata");
        let mut more: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_str().is_some_and(|p| p.ends_with("_good")))
            .collect();
        more.sort();
        files.extend(more);
    }
    let mut tally = Tally::default();
    let (mut kept, mut nothing) = (0, 0);
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let name = f.display().to_string();
        let before = tally.recovered;
        // The large stress traces are ordered whole at every cut: fewer cuts.
        let (n, tail) = if bytes.len() > 100_000 {
            (5, 2)
        } else {
            (41, 8)
        };
        check_cuts(&name, &bytes, n, tail, &mut tally);
        // Go 1.5 writes the frequency last of all: no cut of its traces keeps anything.
        let version = trace_model::format::Version::from_header(&bytes).unwrap();
        if version != trace_model::format::Version::Go1_5 {
            assert!(tally.recovered > before, "{name}: no cut kept anything");
        }
        // A cut in the middle of the batches keeps nothing, and says why.
        let mid = &bytes[..bytes.len() / 3];
        let mut r = Reader::salvage(mid).unwrap();
        match r.next_event().unwrap() {
            Some(_) => kept += 1,
            None => {
                let report = r.salvage_report().unwrap();
                assert_eq!(report.generations_dropped, 1, "{name}");
                assert!(report.damage.is_some(), "{name}");
                nothing += 1;
            }
        }
    }
    eprintln!(
        "salvage: {} Go 1.5-1.21 traces, {} cuts, {} of which kept events: recovered {} of {} \
         events up to the last trusted time ({:.1}%); cut at a third, {nothing} kept nothing and \
         {kept} kept events",
        files.len(),
        tally.cuts,
        tally.kept_any,
        tally.recovered,
        tally.reference,
        pct(tally.recovered, tally.reference),
    );
}

/// What the report says of a Go 1.23 trace of three generations cut in its third: the two
/// complete generations are Go's, the third's batches before the cut are kept, its tables lost,
/// and its events say so.
#[test]
fn report_of_a_cut_in_the_last_generation() {
    let path = common::testdata().join("traces/go1.23.9/generations.trace");
    let bytes = std::fs::read(path).unwrap();
    let whole_end = {
        let mut r = Reader::new(&bytes).unwrap();
        let mut last = 0;
        while let Some(ev) = r.next_event().unwrap() {
            last = ev.time();
        }
        last
    };
    // The third generation ends with its CPU samples, its stack table, then its string table.
    // Cut in the string table: the stacks are there, their functions' names are not.
    let cut = bytes.len() - 200;
    let (n, lost, frames, named) = salvage_counts(&bytes[..cut]);
    let mut r = Reader::salvage(&bytes[..cut]).unwrap();
    while r.next_event().unwrap().is_some() {}
    let report = r.salvage_report().unwrap();
    assert!(report.strings_lost && !report.stacks_lost, "{report:?}");
    assert!(n > 0 && lost > 0 && frames > 0, "{n} {lost} {frames}");
    assert_eq!(named, 0, "no function name without the string table");
    assert!(
        report.to_string().contains("its string table lost"),
        "{report}"
    );

    // Cut in the stack table (bytes 6716 to 7055): both lost.
    let cut = 6900;
    let (n, lost, frames, _) = salvage_counts(&bytes[..cut]);
    let mut r = Reader::salvage(&bytes[..cut]).unwrap();
    while r.next_event().unwrap().is_some() {}
    let report = r.salvage_report().unwrap();
    assert!(!report.is_whole());
    assert_eq!(report.complete_generations, 2, "{report:?}");
    assert_eq!(report.broken_generation, Some(3), "{report:?}");
    assert_eq!(report.generations_dropped, 0, "{report:?}");
    assert!(report.batches_kept >= 1, "{report:?}");
    assert!(report.strings_lost && report.stacks_lost, "{report:?}");
    assert!(report.bytes_read < cut as u64, "{report:?}");
    assert_eq!(
        report.bytes_dropped(None),
        Some(cut as u64 - report.bytes_read)
    );
    assert!(report.last_trusted_time <= whole_end, "{report:?}");
    assert!(report.damage.is_some(), "{report:?}");
    assert!(n > 0 && lost > 0, "{n} events, {lost} with tables lost");
    assert_eq!(frames, 0, "no stack without the stack table");
    let text = report.to_string();
    assert!(text.contains("kept 2 complete generation(s)"), "{text}");
    assert!(text.contains("batch(es) of broken generation 3"), "{text}");
    assert!(text.contains("string and stack tables lost"), "{text}");
    assert!(
        text.contains(&format!("past byte {}", report.bytes_read)),
        "{text}"
    );
    // The whole trace: nothing dropped, and no event says tables were lost.
    let mut r = Reader::salvage(&bytes).unwrap();
    while let Some(ev) = r.next_event().unwrap() {
        assert!(!ev.tables_lost());
    }
    let report = r.salvage_report().unwrap();
    assert!(report.is_whole(), "{report:?}");
    assert_eq!(report.complete_generations, 3);
    assert_eq!(
        report.last_trusted_time,
        whole_end - 1,
        "the final Sync is 1 ns after"
    );
    assert!(Reader::new(&bytes).unwrap().salvage_report().is_none());
}

/// Salvaged events; those whose tables were lost; their stack frames; and of those, frames
/// with a function name.
fn salvage_counts(bytes: &[u8]) -> (usize, usize, usize, usize) {
    let mut r = Reader::salvage(bytes).unwrap();
    let (mut n, mut lost, mut frames, mut named) = (0, 0, 0, 0);
    while let Some(ev) = r.next_event().unwrap() {
        n += 1;
        if ev.tables_lost() {
            lost += 1;
            for f in ev.stack().frames() {
                frames += 1;
                named += usize::from(!f.func.is_empty());
            }
        }
    }
    (n, lost, frames, named)
}

/// Salvage doesn't make a trace of what isn't one.
#[test]
fn salvage_refuses_what_is_no_trace() {
    assert!(Reader::salvage(b"not a trace at all, not even a header").is_err());
    assert!(Reader::from_read_salvage(&b"go 1.99 trace\0\0\0"[..]).is_err());
}

/// Bytes gone bad rather than cut: salvage never fails past the header, gives Go's prefix
/// first, and reports damage wherever Go fails. (What follows the damage can't be checked
/// against the whole trace: the damage may change what an event says.)
#[test]
fn damaged_traces_salvage_gos_prefix_and_say_where() {
    let mut cuts = 0;
    let mut beyond = 0;
    for trace in common::traces() {
        let bytes = std::fs::read(&trace).unwrap();
        let name = trace.display().to_string();
        let step = (bytes.len() / 17).max(1);
        for at in (16..bytes.len()).step_by(step) {
            for mask in [0x01u8, 0xff] {
                let mut bad = bytes.clone();
                bad[at] ^= mask;
                let what = format!("{name} with byte {at} ^ {mask:#x}");
                let (go, go_failed) = go_prefix(&bad);
                let (got, report, _, whole_read) = salvage(&bad, &what);
                let go: Vec<Key> = go.into_iter().filter(|k| !is_sync(k)).collect();
                let got: Vec<Key> = got.into_iter().filter(|k| !is_sync(k)).collect();
                assert!(
                    got.len() >= go.len() && got[..go.len()] == go[..],
                    "{what}: Go's prefix ({} events) is not the salvage's start",
                    go.len()
                );
                assert!(!go_failed || !whole_read, "{what}: {report:?}");
                beyond += u64::from(got.len() > go.len());
                cuts += 1;
            }
        }
    }
    eprintln!("salvage: {cuts} damaged traces, {beyond} salvaged past Go's prefix");
    assert!(beyond > 0);
}
