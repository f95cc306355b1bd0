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
