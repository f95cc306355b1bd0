//! The push parser against the slice reader: the same events and the same error, at the same
//! offsets, whatever the chunking, on every committed trace and on truncated copies of them.

mod common;

use trace_format::{Chunk, Limit, Limits, Parser, Payload, Trace};

/// Every raw event `Trace::raw_events` reads (with its offset), then its error if any.
fn slice_events(bytes: &[u8]) -> Vec<String> {
    let trace = match Trace::parse(bytes) {
        Ok(t) => t,
        Err(e) => return vec![format!("error: {e}")],
    };
    let mut out = vec![format!("version {}", trace.version())];
    let mut events = trace.raw_events().unwrap();
    loop {
        match events.next_event() {
            Ok(Some(ev)) => out.push(format!("{ev} @{}", ev.offset())),
            Ok(None) => break,
            Err(e) => {
                out.push(format!("error: {e}"));
                break;
            }
        }
    }
    out
}

/// The same from the push parser, fed `chunk` bytes at a time (the last call with `eof`).
fn pushed_events(bytes: &[u8], chunk: usize, limits: Limits) -> Vec<String> {
    let mut parser = Parser::with_limits(limits);
    let mut arriving = bytes.chunks(chunk);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut asked = 0;
    loop {
        let eof = arriving.len() == 0;
        let chunk = match parser.parse(&buf, eof) {
            Ok(c) => c,
            Err(e) => {
                out.push(format!("error: {e}"));
                // Fused: the same error again.
                assert_eq!(parser.parse(&buf, eof).unwrap_err(), e);
                return out;
            }
        };
        match chunk {
            Chunk::NeedMoreData(n) => {
                assert!(n > 0 && !eof, "asked for {n} more at the end");
                buf.extend_from_slice(arriving.next().unwrap());
                asked += 1;
                assert!(asked <= bytes.len() + 1, "no progress");
            }
            Chunk::Parsed { consumed, payload } => {
                assert!(consumed <= buf.len());
                match payload {
                    Payload::Version(v) => {
                        assert_eq!(parser.version(), Some(v));
                        out.push(format!("version {v}"));
                    }
                    Payload::Batch(b) => {
                        let h = b.header_event();
                        out.push(format!("{h} @{}", h.offset()));
                        let mut events = b.events();
                        loop {
                            match events.next_event() {
                                Ok(Some(ev)) => out.push(format!("{ev} @{}", ev.offset())),
                                Ok(None) => break,
                                Err(e) => {
                                    out.push(format!("error: {e}"));
                                    return out;
                                }
                            }
                        }
                    }
                    Payload::Event(ev) => out.push(format!("{ev} @{}", ev.offset())),
                    Payload::End => {
                        assert_eq!(consumed, 0);
                        assert!(buf.is_empty() && eof);
                        assert!(matches!(
                            parser.parse(&buf, true),
                            Ok(Chunk::Parsed {
                                payload: Payload::End,
                                ..
                            })
                        ));
                        return out;
                    }
                    _ => unreachable!("no other payload"),
                }
                buf.drain(..consumed);
                assert!(buf.len() <= 64 << 10, "held {} bytes", buf.len());
            }
        }
    }
}

fn check(name: &str, bytes: &[u8], chunks: &[usize]) {
    let want = slice_events(bytes);
    for &chunk in chunks {
        let got = pushed_events(bytes, chunk, Limits::default());
        if got != want {
            let i = got.iter().zip(&want).take_while(|(a, b)| a == b).count();
            panic!(
                "{name} in chunks of {chunk}: event {i} is\n  {:?}\nnot\n  {:?}",
                got.get(i),
                want.get(i)
            );
        }
    }
}

#[test]
fn every_trace_in_chunks_of_1_7_and_4096() {
    let traces = common::traces();
    assert!(traces.len() > 50);
    for path in traces {
        let bytes = std::fs::read(&path).unwrap();
        check(&path.display().to_string(), &bytes, &[1, 7, 4096]);
    }
}

#[test]
fn truncated_traces_fail_as_the_slice_reader() {
    for path in common::traces().iter().step_by(3) {
        let bytes = std::fs::read(path).unwrap();
        // Cuts inside the header, at the first batches or records, and all through the trace.
        let mut cuts: Vec<usize> = (0..40).collect();
        cuts.extend((1..24).map(|i| bytes.len() * i / 24));
        cuts.extend((1..8).map(|i| bytes.len() - i));
        for cut in cuts {
            let name = format!("{} cut at {cut}", path.display());
            // A byte at a time only near the start, which keeps the test quick.
            let chunks: &[usize] = if cut < 2000 {
                &[1, 7, 4096]
            } else {
                &[7, 4096]
            };
            check(&name, &bytes[..cut.min(bytes.len())], chunks);
        }
    }
}

#[test]
fn the_push_parser_holds_to_the_limits() {
    let path = common::testdata().join("traces/go1.23.9/chan.trace");
    let bytes = std::fs::read(path).unwrap();
    // Stack depth: checked as the batch's events are read, as the slice reader does.
    let limits = Limits::default().with(Limit::StackDepth, 2);
    let trace = Trace::parse_with_limits(&bytes, limits).unwrap();
    let want = trace.raw_events().unwrap().find_map(Result::err).unwrap();
    let got = pushed_events(&bytes, 100, limits);
    assert_eq!(got.last().unwrap(), &format!("error: {want}"));
    // Batch size: refused at the header, before its data is asked for.
    let limits = Limits::default().with(Limit::BatchSize, 100);
    let trace = Trace::parse_with_limits(&bytes, limits).unwrap();
    let want = trace.raw_events().unwrap().find_map(Result::err).unwrap();
    let mut parser = Parser::with_limits(limits);
    let mut err = None;
    for end in 16..bytes.len() {
        match parser.parse(&bytes[parser.offset() as usize..end], false) {
            Ok(_) => {}
            Err(e) => {
                err = Some((e, end));
                break;
            }
        }
    }
    let (err, end) = err.unwrap();
    assert_eq!(err, want);
    assert!(
        end <= want.offset() as usize + 51,
        "waited for the batch's data"
    );
    // Total bytes: nothing past the limit is asked for.
    let limits = Limits::default().with(Limit::TotalBytes, 1000);
    let got = pushed_events(&bytes, 7, limits);
    let last = got.last().unwrap();
    assert!(
        last.contains("bytes in the trace is over the limit of 1000 (at byte 1000)"),
        "{last}"
    );
}
