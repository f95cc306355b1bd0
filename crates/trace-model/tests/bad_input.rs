//! Hostile input through the model: real traces cut at many points and with bytes flipped give
//! events and then at most one typed error — never a panic or a hang.

#[path = "../../trace-format/tests/common/mod.rs"]
mod common;

use std::fmt::Write as _;
use trace_model::Reader;

/// Reads every event (printing each, to exercise Display) and returns how many there were and
/// whether it ended in an error.
fn drain(bytes: &[u8]) -> (usize, bool) {
    let mut reader = match Reader::new(bytes) {
        Ok(r) => r,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return (0, true);
        }
    };
    let mut n = 0;
    let mut out = String::new();
    loop {
        match reader.next_event() {
            Ok(Some(ev)) => {
                out.clear();
                write!(out, "{ev}").unwrap();
                n += 1;
            }
            Ok(None) => return (n, false),
            Err(e) => {
                assert!(!e.to_string().is_empty());
                // After an error the reader stays ended.
                assert!(matches!(reader.next_event(), Ok(None)));
                return (n, true);
            }
        }
    }
}

fn sample_traces() -> Vec<Vec<u8>> {
    [
        "go1.22.10/chan.trace",
        "go1.23.9/syscall.trace",
        "go1.25.5/flightrecorder.trace",
        "go1.27.3/cpuprof.trace",
        "go1.19/chan.trace",
        "go1.21.13/annotations.trace",
    ]
    .iter()
    .map(|p| std::fs::read(common::testdata().join("traces").join(p)).unwrap())
    .collect()
}

#[test]
fn truncated_traces_end_in_an_error_not_a_panic() {
    for bytes in sample_traces() {
        let (full, failed) = drain(&bytes);
        assert!(!failed && full > 0);
        // Every few bytes. A cut between batches can leave a valid shorter trace (before Go
        // 1.26 nothing marks a generation's end), but a cut inside one must be noticed.
        let (mut cuts, mut errors) = (0, 0);
        for cut in (0..bytes.len()).step_by(7) {
            let (n, failed) = drain(&bytes[..cut]);
            assert!(
                failed || n <= full,
                "cut at {cut}: more events than the whole trace"
            );
            cuts += 1;
            errors += usize::from(failed);
        }
        // A v1 trace has no batch lengths: a cut between two records is a shorter trace.
        let v1 = trace_model::format::Version::from_header(&bytes)
            .is_ok_and(|v| v.family() == trace_model::format::Family::V1);
        assert!(
            v1 || errors * 10 >= cuts * 9,
            "only {errors} of {cuts} cuts failed"
        );
    }
}

#[test]
fn flipped_bytes_give_events_or_an_error() {
    for bytes in sample_traces() {
        let mut damaged = bytes.clone();
        for at in (16..bytes.len()).step_by(5) {
            for mask in [0x01u8, 0x80, 0xff] {
                damaged[at] ^= mask;
                drain(&damaged);
                damaged[at] ^= mask;
            }
        }
    }
}

/// The limit error a reader ends in, from a slice and from a stream (which must agree), or
/// `None` if both read to the end.
fn limit_error(bytes: &[u8], limits: trace_model::Limits) -> Option<(trace_model::Limit, u64)> {
    fn run(r: trace_model::Result<Reader<'_>>) -> Option<trace_format::Error> {
        let mut r = match r {
            Ok(r) => r,
            Err(e) => return Some(format_error(e)),
        };
        loop {
            match r.next_event() {
                Ok(Some(_)) => {}
                Ok(None) => return None,
                Err(e) => return Some(format_error(e)),
            }
        }
    }
    fn format_error(e: trace_model::Error) -> trace_format::Error {
        match e.kind() {
            trace_model::ErrorKind::Format(f) => f.clone(),
            _ => panic!("not a format error: {e}"),
        }
    }
    let limit = |e: trace_format::Error| match e.kind() {
        // What the trace has is known only as far as it was read: a stream stops sooner.
        trace_format::ErrorKind::LimitExceeded { limit, max, .. } => (*limit, *max, e.offset()),
        _ => panic!("not a limit error: {e}"),
    };
    let slice = run(Reader::with_limits(bytes, limits)).map(limit);
    let stream = run(Reader::from_read_with_limits(bytes, limits)).map(limit);
    assert_eq!(slice, stream, "slice and stream disagree");
    slice.map(|(limit, max, _)| (limit, max))
}

#[test]
fn the_model_holds_traces_of_every_format_to_the_limits() {
    use trace_model::{Limit, Limits};
    let dir = common::testdata().join("traces");
    let cases = [
        "go1.19/chan.trace",
        "go1.21.13/annotations.trace",
        "go1.22.10/annotations.trace",
        "go1.26.6/annotations.trace",
        // Go's raw text format, read whole and encoded back to binary.
        "go1.23.9/chan.raw.golden",
    ];
    for case in cases {
        let bytes = std::fs::read(dir.join(case)).unwrap();
        assert_eq!(limit_error(&bytes, Limits::default()), None, "{case}");
        // A v1 trace is one generation, so it must fit whole.
        for (limit, max) in [
            (Limit::StacksPerGeneration, 3),
            (Limit::StackDepth, 2),
            (Limit::GenerationBytes, 1000),
            (Limit::TotalBytes, 100),
        ] {
            let limits = Limits::default().with(limit, max);
            assert_eq!(limit_error(&bytes, limits), Some((limit, max)), "{case}");
        }
    }
}

/// What reading `bytes` gives, from a slice and from a stream, which must agree (but for the
/// error's words): every event as Go prints it (`write_go`), and the error that stopped it.
fn outcome(bytes: &[u8]) -> (Vec<u8>, Option<String>) {
    fn run(r: trace_model::Result<Reader<'_>>) -> (Vec<u8>, Option<String>) {
        let mut out = Vec::new();
        let mut r = match r {
            Ok(r) => r,
            Err(e) => return (out, Some(e.to_string())),
        };
        loop {
            match r.next_event() {
                Ok(Some(ev)) => {
                    ev.write_go(&mut out).unwrap();
                    out.push(b'\n');
                }
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e.to_string())),
            }
        }
    }
    let slice = run(Reader::new(bytes));
    let stream = run(Reader::from_read(bytes));
    if (&slice.0, slice.1.is_some()) != (&stream.0, stream.1.is_some()) {
        let text = |o: &(Vec<u8>, Option<String>)| {
            (String::from_utf8_lossy(&o.0).into_owned(), o.1.clone())
        };
        let (a, b) = (text(&slice), text(&stream));
        let same =
            a.0.lines()
                .zip(b.0.lines())
                .take_while(|(x, y)| x == y)
                .count();
        panic!(
            "slice and stream disagree after {same} lines: slice {:?} ({} lines), stream {:?} ({} lines)",
            a.1, a.0.lines().count(), b.1, b.0.lines().count()
        );
    }
    slice
}

fn trace(rel: &str) -> Vec<u8> {
    std::fs::read(common::testdata().join("traces").join(rel)).unwrap()
}

/// A header and nothing else: before Go 1.26, Go reads a first generation from nothing and
/// finds no frequency in it (one Sync, then the error); from Go 1.26 on, an empty trace (one
/// Sync, the last).
#[test]
fn a_header_alone_is_gos_error_before_go_1_26() {
    for (rel, fails) in [
        ("go1.22.10/chan.trace", true),
        ("go1.23.9/chan.trace", true),
        ("go1.25.5/chan.trace", true),
        ("go1.26.6/chan.trace", false),
        ("go1.27.3/chan.trace", false),
    ] {
        let bytes = trace(rel);
        let (events, err) = outcome(&bytes[..16]);
        let events = String::from_utf8(events).unwrap();
        assert_eq!(events.lines().count(), 1, "{rel}");
        assert!(
            events.starts_with("M=-1 P=-1 G=-1 Sync Time=1 N=1"),
            "{rel}"
        );
        match err {
            Some(e) => assert!(
                fails && e.contains("no frequency event found"),
                "{rel}: {e}"
            ),
            None => assert!(!fails, "{rel}: no error"),
        }
    }
}

/// Bytes after the last batch that are no batch (a lone 0x00, 0xff or 0x02) are Go's error,
/// after every event of the trace; read from a stream too, where it was lost. So is a lone
/// EndOfGeneration byte (0x34) before Go 1.26, which Go reads as a batch of generation 0.
#[test]
fn a_stray_byte_after_the_last_batch_is_an_error() {
    for rel in [
        "go1.22.10/chan.trace",
        "go1.25.5/generations.trace",
        "go1.26.6/chan.trace",
    ] {
        let bytes = trace(rel);
        let (whole, err) = outcome(&bytes);
        assert_eq!(err, None);
        for stray in [0x00u8, 0xff, 0x02, 0x34] {
            let mut b = bytes.clone();
            b.push(stray);
            let (events, err) = outcome(&b);
            let err = err.unwrap_or_else(|| panic!("{rel} + {stray:#x}: no error"));
            if stray == 0x34 && !rel.starts_with("go1.26") {
                assert!(err.contains("invalid generation number 0"), "{rel}: {err}");
            }
            // Before Go 1.26 the last generation is complete without an end marker: all its
            // events come out, and the final Sync; from Go 1.26 on the error comes with the
            // closing Sync (generations end in-band).
            assert!(
                whole.starts_with(&events[..events.len().saturating_sub(40)]),
                "{rel}"
            );
        }
    }
}

/// A Go 1.26+ trace cut after batches that hold no M's events (the next generation's sync and
/// tables): Go ends the trace there, as if it ended before them.
#[test]
fn a_cut_generation_of_tables_only_ends_a_go_1_26_trace() {
    let bytes = trace("go1.27.3/generations.trace");
    let t = trace_model::format::Trace::parse(&bytes).unwrap();
    let batches: Vec<_> = t.batches().unwrap().map(|b| b.unwrap()).collect();
    // The first batch of generation 2: its sync batch, written by no M.
    let second = batches.iter().position(|b| b.generation() == 2).unwrap();
    let b = &batches[second];
    assert_eq!(b.m(), trace_model::format::v2::NO_M);
    let end = (b.data_offset() as usize) + b.data().len();
    let (events, err) = outcome(&bytes[..end]);
    assert_eq!(err, None);
    // Generation 1's events, then the final Sync.
    let (before, err) = outcome(&bytes[..b.offset() as usize]);
    assert_eq!(err, None);
    assert_eq!(events, before);
    // One byte more starts a batch: cut, so an error.
    assert!(outcome(&bytes[..end + 1]).1.is_some());
}

/// A name that isn't UTF-8 (a flipped byte in the string table): `write_go` writes its bytes
/// as Go's `%s` does, `Display` shows U+FFFD.
#[test]
fn names_that_are_not_utf8_print_as_go_prints_them() {
    let mut bytes = trace("go1.23.9/chan.trace");
    let at = bytes
        .windows(9)
        .position(|w| w == b"main.main")
        .expect("a function name");
    bytes[at + 1] = 0xff;
    let mut reader = Reader::new(&bytes).unwrap();
    let (mut raw, mut shown) = (0, 0);
    while let Some(ev) = reader.next_event().unwrap() {
        let mut out = Vec::new();
        ev.write_go(&mut out).unwrap();
        if out.windows(9).any(|w| w == b"m\xffin.main") {
            raw += 1;
            let text = ev.to_string();
            assert!(text.contains("m\u{fffd}in.main"), "{text}");
            // Otherwise the same.
            assert_eq!(String::from_utf8_lossy(&out), text);
        }
        shown += 1;
    }
    assert!(raw > 0 && shown > raw, "{raw} of {shown}");
}

/// A CPU sample whose stack the generation lacks (spliced from another trace): Go's reader
/// hands it out, and its `Event.String()` panics on it; `unresolved_id` says so.
#[test]
fn a_cpu_sample_with_no_stack_in_the_tables_is_unresolved() {
    let a = trace("go1.26.6/cpuprof.trace");
    let b = trace("go1.26.6/flightrecorder.trace");
    // As trace-damage splices them: cpuprof up to its batch at 1564, then flightrecorder from
    // its batch at 2056 (both batch boundaries).
    let mut spliced = a[..1564].to_vec();
    spliced.extend_from_slice(&b[2056..]);
    let mut reader = Reader::new(&spliced).unwrap();
    let mut found = None;
    let mut before = 0;
    while let Ok(Some(ev)) = reader.next_event() {
        if let Some(id) = ev.unresolved_id() {
            found = Some(id);
            break;
        }
        before += 1;
    }
    assert_eq!(found, Some(("stack", 55)));
    // Go prints 168 events (1296 lines) before it panics on that one.
    assert_eq!(before, 168);
    // Whole traces have none.
    for rel in ["go1.26.6/cpuprof.trace", "go1.27.3/cpuprof.trace"] {
        let bytes = trace(rel);
        let mut r = Reader::new(&bytes).unwrap();
        while let Some(ev) = r.next_event().unwrap() {
            assert_eq!(ev.unresolved_id(), None, "{rel}");
        }
    }
}

/// On two threads the sink gets exactly the events `feed` gives it, also when reading fails
/// (an event that fails its last checks must not reach the batch).
#[test]
fn a_pipelined_feed_stops_where_feed_stops() {
    use trace_model::sink::from_fn;
    for rel in ["go1.22.10/generations.trace", "go1.27.3/generations.trace"] {
        let bytes = trace(rel);
        for cut in (16..bytes.len()).step_by(97) {
            let b = &bytes[..cut];
            let run = |two: bool| {
                let mut lines = Vec::new();
                let Ok(mut r) = Reader::new(b) else {
                    return (lines, true);
                };
                let mut sink = from_fn(|ev: &trace_model::Event| lines.push(ev.to_string()));
                let failed = if two {
                    r.feed_pipelined(&mut sink).is_err()
                } else {
                    r.feed(&mut sink).is_err()
                };
                (lines, failed)
            };
            assert_eq!(run(false), run(true), "{rel} cut at {cut}");
        }
    }
}
