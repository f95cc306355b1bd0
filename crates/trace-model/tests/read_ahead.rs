//! Reading ahead on a worker thread changes where the work is done, not what is read: every
//! testdata trace, whole, cut short or held to tight limits, gives the same events, the same
//! error at the same offset and the same progress with one thread and with two.

#[path = "../../trace-format/tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use trace_model::{Limits, Reader, ReaderOptions};

/// Everything reading `bytes` tells: every event as Go prints it, the error that stopped it
/// (with its offset, generation and event), and the reader's progress and generation after.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    events: Vec<u8>,
    count: usize,
    error: Option<String>,
    bytes_read: u64,
    bytes_complete: u64,
    generation: u64,
}

/// Reads `bytes` as a stream of its own with `threads` threads and `limits`; also returns
/// how many threads the reader said it read on.
fn outcome(bytes: &[u8], threads: usize, limits: Limits) -> (Outcome, usize) {
    let options = ReaderOptions { limits, threads };
    let mut o = Outcome {
        events: Vec::new(),
        count: 0,
        error: None,
        bytes_read: 0,
        bytes_complete: 0,
        generation: 0,
    };
    let source = std::io::Cursor::new(bytes.to_vec());
    let mut r = match Reader::from_read_with_options(source, options) {
        Ok(r) => r,
        Err(e) => {
            o.error = Some(format!("{e} / {e:?}"));
            return (o, 0);
        }
    };
    loop {
        match r.next_event() {
            Ok(Some(ev)) => {
                ev.write_go(&mut o.events).unwrap();
                o.events.push(b'\n');
                o.count += 1;
            }
            Ok(None) => break,
            Err(e) => {
                o.error = Some(format!("{e} / {e:?}"));
                // After an error the reader stays ended.
                assert!(matches!(r.next_event(), Ok(None)));
                break;
            }
        }
    }
    o.bytes_read = r.bytes_read();
    o.bytes_complete = r.bytes_complete();
    o.generation = r.generation();
    (o, if r.reads_ahead() { 2 } else { 1 })
}

/// Compares one thread with two on `bytes`; returns the outcome and whether two threads read
/// ahead (a Go 1.22+ binary trace, which has generations to read ahead).
fn same_on_one_and_two(name: &str, bytes: &[u8], limits: Limits) -> (Outcome, bool) {
    let (one, t1) = outcome(bytes, 1, limits);
    let (two, t2) = outcome(bytes, 2, limits);
    assert!(t1 <= 1, "{name}: one thread asked for, {t1} used");
    if one != two {
        let (a, b) = (
            String::from_utf8_lossy(&one.events),
            String::from_utf8_lossy(&two.events),
        );
        let same = a.lines().zip(b.lines()).take_while(|(x, y)| x == y).count();
        panic!(
            "{name}: one and two threads disagree after {same} events:\n one: {:?} {} {} {}\n two: {:?} {} {} {}",
            one.error, one.bytes_read, one.bytes_complete, one.generation,
            two.error, two.bytes_read, two.bytes_complete, two.generation,
        );
    }
    (one, t2 == 2)
}

/// Every `.trace` file under `dir`, recursively, sorted.
fn trace_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            trace_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "trace") {
            out.push(p);
        }
    }
    out.sort();
}

#[test]
fn every_testdata_trace_reads_the_same_on_one_and_two_threads() {
    let mut files = Vec::new();
    trace_files(&common::testdata(), &mut files);
    assert!(files.len() > 150, "only {} traces", files.len());
    let (mut ahead, mut events, mut errors) = (0, 0, 0);
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let (o, read_ahead) =
            same_on_one_and_two(&f.display().to_string(), &bytes, Limits::default());
        ahead += usize::from(read_ahead);
        events += o.count;
        errors += usize::from(o.error.is_some());
    }
    // Most are Go 1.22+ traces, which the worker reads; some of them (testdata/invalid-*)
    // end in Go's errors.
    assert!(
        ahead * 2 > files.len(),
        "{ahead} of {} read ahead",
        files.len()
    );
    assert!(
        events > 200_000 && errors > 5,
        "{events} events, {errors} errors"
    );
}

#[test]
fn cut_traces_fail_the_same_on_one_and_two_threads() {
    let traces = common::testdata().join("traces");
    // Go 1.22 has no end-of-generation marker, Go 1.26+ has: cut at every third byte there.
    for (rel, step) in [
        ("go1.22.10/generations.trace", 3),
        ("go1.27.3/generations.trace", 3),
        ("go1.23.9/generations.trace", 13),
        ("go1.25.5/flightrecorder.trace", 13),
        ("go1.26.6/generations.trace", 13),
        ("go1.27.3/cpuprof.trace", 97),
    ] {
        let bytes = std::fs::read(traces.join(rel)).unwrap();
        let (whole, ahead) = same_on_one_and_two(rel, &bytes, Limits::default());
        assert!(
            ahead && whole.error.is_none() && whole.count > 100,
            "{rel}: {ahead} {whole:?}"
        );
        let mut failed = 0;
        let mut cuts = 0;
        for cut in (16..bytes.len()).step_by(step) {
            let (o, _) = same_on_one_and_two(
                &format!("{rel} cut at {cut}"),
                &bytes[..cut],
                Limits::default(),
            );
            failed += usize::from(o.error.is_some());
            cuts += 1;
        }
        assert!(failed * 2 > cuts, "{rel}: {failed} of {cuts} cuts failed");
    }
}

#[test]
fn limits_fail_the_same_on_one_and_two_threads() {
    let bytes =
        std::fs::read(common::testdata().join("traces/go1.27.3/generations.trace")).unwrap();
    let mut failed = 0;
    for max in [64, 512, 2048, 4096] {
        for limits in [
            Limits::default().with(trace_model::Limit::GenerationBytes, max),
            Limits::default().with(trace_model::Limit::TotalBytes, max),
            Limits::default().with(trace_model::Limit::BatchSize, max / 4),
        ] {
            let (o, _) = same_on_one_and_two(&format!("{limits:?}"), &bytes, limits);
            failed += usize::from(o.error.is_some_and(|e| e.contains("limit")));
        }
    }
    assert!(failed >= 8, "{failed} limits broken");
}

/// A reader dropped part way through stops its worker (which would otherwise hold the next
/// generation forever) without waiting for it: the next reader starts afresh.
#[test]
fn a_reader_dropped_early_reads_nothing_more() {
    let bytes =
        std::fs::read(common::testdata().join("traces/go1.27.3/generations.trace")).unwrap();
    for stop_after in [0, 1, 10, 100] {
        let source = std::io::Cursor::new(bytes.clone());
        let options = ReaderOptions {
            threads: 2,
            ..ReaderOptions::default()
        };
        let mut r = Reader::from_read_with_options(source, options).unwrap();
        assert!(r.reads_ahead());
        for _ in 0..stop_after {
            assert!(r.next_event().unwrap().is_some());
        }
        drop(r);
    }
}
