//! Replays the inputs the fuzzers found (`fuzz/regressions/decode/*`, `fuzz/regressions/text/*`)
//! through exactly what the cargo-fuzz targets `decode` and `text` do, on stable and without
//! libFuzzer, so a fixed crash stays fixed. A few seed inputs go the same way, with stricter
//! checks, so the replay can fail even while no regression is recorded.

mod common;

use std::path::{Path, PathBuf};
use trace_format::{StreamReader, TextReader, TextWriter, Trace};

/// The body of `fuzz/fuzz_targets/decode.rs`.
fn decode_target(data: &[u8]) {
    let Ok(trace) = Trace::parse(data) else {
        return;
    };
    if let Ok(mut events) = trace.raw_events() {
        while let Some(Ok(ev)) = events.next_event() {
            let _ = ev.to_string();
        }
    }
    if let Ok(gens) = trace.generations() {
        for g in gens.flatten() {
            for b in g.batches() {
                for ev in b.events() {
                    if ev.is_err() {
                        break;
                    }
                }
            }
        }
    }
    if let Ok(mut s) = StreamReader::new(data) {
        while let Ok(Some(_)) = s.next_generation() {}
    }
}

/// The body of `fuzz/fuzz_targets/text.rs`: whatever reads writes back to text that reads to
/// the same events. Returns how many events read.
fn text_target(data: &[u8]) -> usize {
    let Ok(reader) = TextReader::new(data) else {
        return 0;
    };
    let version = reader.version();
    let events: Vec<_> = reader.map_while(Result::ok).collect();
    let mut out = Vec::new();
    let mut w = TextWriter::new(&mut out, version).unwrap();
    for ev in &events {
        w.write_event(ev).unwrap();
    }
    let again: Vec<_> = TextReader::new(&out)
        .unwrap()
        .collect::<Result<_, _>>()
        .expect("written text reads back");
    assert_eq!(again.len(), events.len());
    for (a, b) in again.iter().zip(&events) {
        assert_eq!(a.to_string(), b.to_string());
    }
    events.len()
}

/// Every file in `fuzz/regressions/<target>/`, sorted; none if the directory doesn't exist.
fn regressions(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions")
        .join(target);
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

/// A few committed traces of both families: the seeds of the `decode` corpus.
fn seed_traces() -> Vec<PathBuf> {
    [
        "go1.19/chan.trace",
        "go1.21.13/gc.trace",
        "go1.22.10/net.trace",
        "go1.25.5/flightrecorder.trace",
        "go1.27.3/cpuprof.trace",
    ]
    .iter()
    .map(|p| common::testdata().join("traces").join(p))
    .collect()
}

#[test]
fn decode_regressions_replay() {
    for path in regressions("decode") {
        eprintln!("replaying {}", path.display());
        decode_target(&std::fs::read(&path).unwrap());
    }
}

#[test]
fn text_regressions_replay() {
    for path in regressions("text") {
        eprintln!("replaying {}", path.display());
        text_target(&std::fs::read(&path).unwrap());
    }
}

#[test]
fn decode_target_on_seeds() {
    for path in seed_traces() {
        let bytes = std::fs::read(&path).unwrap();
        decode_target(&bytes);
        // A real trace decodes to its end without an error.
        let trace = Trace::parse(&bytes).unwrap();
        let mut events = trace.raw_events().unwrap();
        let mut n = 0;
        while let Some(ev) = events.next_event() {
            let ev = ev.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(!ev.to_string().is_empty());
            n += 1;
        }
        assert!(n > 0, "{}: no events", path.display());
        // And every cut of it, and every flipped byte at a few places, is handled.
        for cut in (0..bytes.len()).step_by(bytes.len() / 50 + 1) {
            decode_target(&bytes[..cut]);
        }
        let mut damaged = bytes.clone();
        for at in (0..bytes.len()).step_by(bytes.len() / 50 + 1) {
            damaged[at] ^= 0xff;
            decode_target(&damaged);
            damaged[at] ^= 0xff;
        }
    }
    for hostile in [
        &b""[..],
        b"go 1.22 trace\x00\x00\x00",
        b"go 1.26 trace\x00\x00\x00\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
        b"go 1.5 trace\x00\x00\x00\x00",
        b"go 1.99 trace\x00\x00\x00",
    ] {
        decode_target(hostile);
    }
}

#[test]
fn text_target_on_seeds() {
    for name in [
        "go1.22.10/chan.raw.golden",
        "go1.23.9/annotations.raw.golden",
        "go1.27.3/net.raw.golden",
    ] {
        let path = common::testdata().join("traces").join(name);
        let text = std::fs::read(&path).unwrap();
        // Every line of a golden reads, and round-trips.
        let all = TextReader::new(&text)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!all.is_empty(), "{}: no events", path.display());
        assert_eq!(text_target(&text), all.len(), "{}", path.display());
        // Cut anywhere, including inside a line or a UTF-8 sequence.
        for cut in (0..text.len()).step_by(text.len() / 40 + 1) {
            text_target(&text[..cut]);
        }
    }
    for hostile in [
        &b""[..],
        b"Trace Go1.22\n",
        b"Trace Go1.22\nEventBatch gen=1 m=0 time=1 size=99999999999999999999\n",
        b"Trace Go1.99\n",
        b"Trace Go1.26\nNoSuchEvent x=1\n",
        b"Trace Go1.22\n\xff\xfe\n",
    ] {
        text_target(hostile);
    }
}
