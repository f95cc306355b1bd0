//! Damaged traces: truncation, flipped bytes, lying sizes, hostile varints. Every one must give
//! `Ok` or a typed error with an offset inside the input, never a panic.

mod common;

use trace_format::{ErrorKind, StreamReader, Trace};

/// Runs every reader over `bytes` to the end or the first error; returns that error, if any.
fn read_all(bytes: &[u8]) -> Option<trace_format::Error> {
    let trace = match Trace::parse(bytes) {
        Ok(t) => t,
        Err(e) => return Some(e),
    };
    let mut first = None;
    for ev in trace.raw_events().ok()? {
        if let Err(e) = ev {
            first.get_or_insert(e);
        }
    }
    for g in trace.generations().ok()? {
        match g {
            Ok(g) => {
                for b in g.batches() {
                    for ev in b.events() {
                        if let Err(e) = ev {
                            first.get_or_insert(e);
                        }
                    }
                }
            }
            Err(e) => {
                first.get_or_insert(e);
            }
        }
    }
    if let Ok(mut s) = StreamReader::new(bytes) {
        loop {
            match s.next_raw_event() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    first.get_or_insert(e);
                    break;
                }
            }
        }
    }
    if let Some(mut s) = StreamReader::new(bytes)
        .ok()
        .filter(|s| s.version() >= trace_format::Version::Go1_22)
    {
        loop {
            match s.next_generation() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    first.get_or_insert(e);
                    break;
                }
            }
        }
    }
    if let Some(e) = &first {
        assert!(e.offset() <= bytes.len() as u64, "{e}");
        assert!(!e.to_string().is_empty());
    }
    first
}

fn samples() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = common::traces()
        .iter()
        .filter(|p| {
            let dir = p.parent().unwrap().file_name().unwrap().to_string_lossy();
            // One trace of each family and v2 format keeps the sweep quick.
            [
                "go1.19",
                "go1.21.13",
                "go1.22.10",
                "go1.23.9",
                "go1.25.5",
                "go1.27.3",
            ]
            .contains(&dir.as_ref())
                && p.file_stem().is_some_and(|s| s == "chan")
        })
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert!(
        out.len() >= 5,
        "expected chan.trace for the v1 and v2 toolchains"
    );
    out.sort_by_key(Vec::len);
    out
}

#[test]
fn every_truncation_is_an_error_or_a_prefix() {
    for bytes in samples() {
        // Every cut in the first 4 KiB, then a spread over the rest.
        let step = (bytes.len() / 1500).max(1);
        let cuts = (0..bytes.len().min(4096)).chain((4096..bytes.len()).step_by(step));
        for cut in cuts {
            let e = read_all(&bytes[..cut]);
            // A cut between generations of an older trace is a valid shorter trace; a cut inside
            // a batch never is.
            if let Some(e) = e {
                assert!(e.offset() <= cut as u64);
            }
        }
        assert!(read_all(&bytes).is_none(), "the whole trace reads");
    }
}

#[test]
fn flipped_bytes_never_panic() {
    for bytes in samples() {
        let mut b = bytes.clone();
        let step = (b.len() / 3000).max(1);
        for i in (16..b.len()).step_by(step) {
            for flip in [0x01u8, 0x80, 0xff] {
                b[i] ^= flip;
                read_all(&b);
                b[i] ^= flip;
            }
        }
    }
}

fn trace_of(version: trace_format::Version, body: &[u8]) -> Vec<u8> {
    let mut b = version.header().to_vec();
    b.extend_from_slice(body);
    b
}

#[test]
fn hostile_batches_are_typed_errors() {
    use trace_format::Version::*;
    let kind = |b: &[u8]| read_all(b).map(|e| e.kind().clone());
    // A batch size beyond the runtime's maximum.
    let e = kind(&trace_of(Go1_22, &[1, 1, 0, 0, 0xff, 0xff, 0xff, 0x0f]));
    assert!(matches!(e, Some(ErrorKind::BatchTooLarge { .. })), "{e:?}");
    // A batch size that lies about the bytes left.
    let e = kind(&trace_of(Go1_22, &[1, 1, 0, 0, 10, 16, 0]));
    assert!(
        matches!(
            e,
            Some(ErrorKind::BatchPastEnd {
                size: 10,
                remaining: 2
            })
        ),
        "{e:?}"
    );
    // An event that runs past the end of its batch: GoStart needs three varints.
    let e = kind(&trace_of(Go1_22, &[1, 1, 0, 0, 2, 16, 0]));
    assert!(
        matches!(e, Some(ErrorKind::EventCrossesBatch { event: "GoStart" })),
        "{e:?}"
    );
    // An eleven-byte varint.
    let mut body = vec![1, 1, 0, 0, 12, 16];
    body.extend([0x80; 11]);
    let e = kind(&trace_of(Go1_22, &body));
    assert!(matches!(e, Some(ErrorKind::BadVarint(_))), "{e:?}");
    // An event type Go 1.22 doesn't have (GoSwitch is 1.23+), and one no version has.
    let e = kind(&trace_of(Go1_22, &[1, 1, 0, 0, 4, 45, 0, 0, 0]));
    assert!(
        matches!(
            e,
            Some(ErrorKind::UnknownEvent {
                ty: 45,
                version: 22
            })
        ),
        "{e:?}"
    );
    let e = kind(&trace_of(Go1_26, &[1, 1, 0, 0, 1, 100]));
    assert!(
        matches!(e, Some(ErrorKind::UnknownEvent { ty: 100, .. })),
        "{e:?}"
    );
    // A stack claiming more frames than the runtime writes, without the bytes for them.
    let e = kind(&trace_of(Go1_22, &[1, 1, 0, 0, 5, 2, 3, 1, 0xff, 0x7f]));
    assert!(matches!(e, Some(ErrorKind::StackTooDeep { .. })), "{e:?}");
    // A string whose length runs past the batch.
    let e = kind(&trace_of(Go1_22, &[1, 1, 0, 0, 5, 4, 5, 1, 0x7f, b'a']));
    assert!(
        matches!(e, Some(ErrorKind::EventCrossesBatch { event: "String" })),
        "{e:?}"
    );
    // A top-level byte that is an event, not a batch.
    let e = kind(&trace_of(Go1_22, &[16, 0, 0, 0]));
    assert!(matches!(e, Some(ErrorKind::ExpectedBatch(16))), "{e:?}");
}

#[test]
fn repeated_string_and_stack_ids_are_errors() {
    use trace_format::Version::Go1_22;
    // Frequency batch, then a strings batch holding ID 1 twice.
    let mut body = vec![
        1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 2, 8, 1,
    ];
    body.extend([1, 1, 7, 0, 9, 4, 5, 1, 1, b'a', 5, 1, 1, b'b']);
    let e = read_all(&trace_of(Go1_22, &body)).unwrap();
    assert_eq!(e.kind(), &ErrorKind::DuplicateString(1), "{e}");
    assert!(e.batch().is_some(), "{e}");
    let mut body = vec![
        1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 2, 8, 1,
    ];
    body.extend([1, 1, 7, 0, 7, 2, 3, 4, 0, 3, 4, 0]);
    let e = read_all(&trace_of(Go1_22, &body)).unwrap();
    assert_eq!(e.kind(), &ErrorKind::DuplicateStack(4), "{e}");
}

#[test]
fn generation_without_frequency_is_an_error() {
    let body = [1, 1, 7, 0, 4, 10, 1, 1, 1];
    let e = read_all(&trace_of(trace_format::Version::Go1_22, &body)).unwrap();
    assert_eq!(
        e.kind(),
        &ErrorKind::Generation("no frequency event found"),
        "{e}"
    );
}

/// A generation whose stacks refer to strings it lacks (a Go 1.22 trace cut after its stack
/// table, before its strings) fails on the stack with the lowest ID, as Go's reader does: Go
/// 1.27.3 says `found invalid func string ID 54 for stack 1` (`go tool trace -d=parsed`). Many
/// stacks dangle; ours named one at random, in the order of a seeded hash map.
#[test]
fn dangling_strings_are_reported_at_the_lowest_stack_id_as_go_does() {
    let path = common::testdata().join("traces/go1.22.10/annotations.trace");
    let bytes = std::fs::read(path).unwrap();
    let cut = &bytes[..1072];
    let trace = Trace::parse(cut).unwrap();
    let e = trace.generations().unwrap().find_map(Result::err).unwrap();
    let want = ErrorKind::DanglingReference {
        stack: 1,
        what: "func string",
        id: 54,
    };
    assert_eq!(e.kind(), &want, "{e}");
    assert_eq!(e.offset(), 16, "{e}");
}
