//! The caller's limits, on the committed traces of every version: each limit set to what a
//! trace actually has reads it whole, and set one lower refuses it with a `LimitExceeded` error
//! naming that limit, from a slice and from a stream alike.

mod common;

use trace_format::{Error, ErrorKind, Family, Limit, Limits, StreamReader, Trace};

/// What a trace actually has, for each limit (`None` where a limit doesn't apply).
#[derive(Debug, Default)]
struct Actual {
    batch_size: Option<u64>,
    stack_depth: u64,
    strings: u64,
    stacks: u64,
    generation_bytes: Option<u64>,
    total: u64,
}

fn measure(bytes: &[u8]) -> Actual {
    let trace = Trace::parse_with_limits(bytes, Limits::NONE).expect("header");
    let mut a = Actual {
        total: bytes.len() as u64,
        ..Actual::default()
    };
    match trace.version().family() {
        Family::V2 => {
            for b in trace.batches().unwrap() {
                let n = b.unwrap().data().len() as u64;
                a.batch_size = a.batch_size.max(Some(n));
            }
            for g in trace.generations().unwrap() {
                let g = g.unwrap();
                a.strings = a.strings.max(g.string_count() as u64);
                a.stacks = a.stacks.max(g.stack_count() as u64);
                for (_, frames) in g.stacks() {
                    a.stack_depth = a.stack_depth.max(frames.len() as u64);
                }
                let size = g.end_offset() - g.offset();
                a.generation_bytes = a.generation_bytes.max(Some(size));
            }
        }
        Family::V1 => {
            for ev in trace.raw_events().unwrap() {
                let ev = ev.unwrap();
                if ev.name() == "String" {
                    a.strings += 1;
                } else if ev.spec().is_stack {
                    a.stacks += 1;
                    a.stack_depth = a.stack_depth.max(ev.args()[1]);
                }
            }
        }
    }
    a
}

/// Reads everything the way each reader holds it: generations (v2) or raw events (v1), from
/// the slice and from a stream. Both must agree; the first error is returned.
fn read(bytes: &[u8], limits: Limits) -> Result<(), Error> {
    let from_slice = read_slice(bytes, limits);
    let from_stream = read_stream(bytes, limits);
    assert_eq!(
        from_slice.as_ref().map_err(|e| (e.kind(), e.offset())),
        from_stream.as_ref().map_err(|e| (e.kind(), e.offset())),
        "slice and stream disagree"
    );
    from_slice
}

fn read_slice(bytes: &[u8], limits: Limits) -> Result<(), Error> {
    let trace = Trace::parse_with_limits(bytes, limits)?;
    match trace.version().family() {
        Family::V2 => {
            for g in trace.generations()? {
                g?;
            }
            // Raw events hold nothing across batches: only the batch and stack limits apply.
            for ev in trace.raw_events()? {
                ev?;
            }
        }
        Family::V1 => {
            for ev in trace.raw_events()? {
                ev?;
            }
        }
    }
    Ok(())
}

fn read_stream(bytes: &[u8], limits: Limits) -> Result<(), Error> {
    let mut r = StreamReader::with_limits(bytes, limits)?;
    match r.version().family() {
        Family::V2 => {
            while r.next_generation()?.is_some() {}
            let mut r = StreamReader::with_limits(bytes, limits)?;
            while r.next_raw_event()?.is_some() {}
        }
        Family::V1 => while r.next_raw_event()?.is_some() {},
    }
    Ok(())
}

fn with(limit: Limit, max: u64) -> Limits {
    Limits::NONE.with(limit, max)
}

#[test]
fn each_limit_holds_at_the_trace_and_refuses_one_below() {
    let traces = common::traces();
    assert!(traces.len() > 80, "testdata/traces is missing");
    let mut checked = [0usize; 2];
    for path in &traces {
        let bytes = std::fs::read(path).unwrap();
        let family = Trace::parse(&bytes).unwrap().version().family();
        let a = measure(&bytes);
        // Defaults accept every trace Go wrote.
        read(&bytes, Limits::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let cases = [
            (Limit::BatchSize, a.batch_size),
            (Limit::StackDepth, Some(a.stack_depth)),
            (Limit::StringsPerGeneration, Some(a.strings)),
            (Limit::StacksPerGeneration, Some(a.stacks)),
            (Limit::GenerationBytes, a.generation_bytes),
            (Limit::TotalBytes, Some(a.total)),
        ];
        for (limit, actual) in cases {
            let Some(actual) = actual.filter(|&n| n > 0) else {
                continue;
            };
            let ctx = format!("{} {limit:?} {actual}", path.display());
            read(&bytes, with(limit, actual)).unwrap_or_else(|e| panic!("{ctx}: {e}"));
            let err = read(&bytes, with(limit, actual - 1))
                .err()
                .unwrap_or_else(|| panic!("{ctx}: read under a limit below the trace"));
            match err.kind() {
                ErrorKind::LimitExceeded {
                    limit: l,
                    value,
                    max,
                } => {
                    assert_eq!((*l, *max), (limit, actual - 1), "{ctx}: {err}");
                    assert!(*value > *max, "{ctx}: {err}");
                }
                _ => panic!("{ctx}: not a limit error: {err}"),
            }
            assert!(err.offset() <= a.total, "{ctx}: {err}");
            checked[matches!(family, Family::V2) as usize] += 1;
        }
    }
    // Every limit but batch and generation size applies to v1 too.
    assert!(checked[0] >= 20 * 4 && checked[1] >= 60 * 6, "{checked:?}");
}

/// The bytes of `first`, then `again` over and over: a stream that never ends.
struct Endless {
    first: Vec<u8>,
    again: Vec<u8>,
    pos: usize,
}

impl std::io::Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        for slot in buf.iter_mut() {
            *slot = match self.first.get(self.pos) {
                Some(&b) => b,
                None => self.again[(self.pos - self.first.len()) % self.again.len()],
            };
            self.pos += 1;
            n += 1;
        }
        Ok(n)
    }
}

#[test]
fn an_endless_stream_stops_at_the_total_limit() {
    // Raw events check nothing across batches (v2) and records (v1 strings aside): the trace's
    // body repeated forever reads until the limit says stop.
    for (trace, skip_strings) in [
        ("go1.23.9/chan.trace", false),
        ("go1.21.13/chan.trace", true),
    ] {
        let bytes = std::fs::read(common::testdata().join("traces").join(trace)).unwrap();
        // A v1 body repeated would repeat its string IDs: repeat only the records after them.
        let again = if skip_strings {
            vec![0x01 | 1 << 6, 0, 0] // Batch p=0 ts=0, again and again
        } else {
            bytes[16..].to_vec()
        };
        let endless = Endless {
            first: bytes.clone(),
            again,
            pos: 0,
        };
        let mut limits = Limits::default();
        limits.max_total_bytes = 1 << 20;
        let mut r = StreamReader::with_limits(endless, limits).unwrap();
        let err = loop {
            match r.next_raw_event() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("{trace}: an endless stream ended"),
                Err(e) => break e,
            }
        };
        assert!(
            matches!(
                err.kind(),
                ErrorKind::LimitExceeded {
                    limit: Limit::TotalBytes,
                    max: 1048576,
                    ..
                }
            ),
            "{trace}: {err}"
        );
        assert!(err.offset() <= 1 << 20, "{trace}: {err}");
        assert!(
            r.next_raw_event().unwrap().is_none(),
            "{trace}: read on after the limit"
        );
    }
}

#[test]
fn the_error_names_the_limit_and_where() {
    let path = common::testdata().join("traces/go1.22.10/chan.trace");
    let bytes = std::fs::read(path).unwrap();
    let err = read_slice(&bytes, with(Limit::StacksPerGeneration, 2)).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("3 stacks in a generation is over the limit of 2 (at byte "),
        "{text}"
    );
    assert!(text.contains(", in batch gen=1 m=none at byte "), "{text}");
}
