//! Replays the inputs the fuzzers found (`fuzz/regressions/decode/`, `fuzz/regressions/text/`)
//! and the local corpus where there is one (`fuzz/corpus/decode/`, `fuzz/corpus/text/`) through
//! exactly what the cargo-fuzz targets `decode` and `text` do, on stable and without libFuzzer,
//! so a fixed crash stays fixed. A few seed inputs go the same way, with stricter checks, so the
//! replay can fail even while no regression is recorded. And no fuzz input directory is one that
//! no test replays.

mod common;

use std::path::PathBuf;
use trace_format::{TextReader, Trace};

#[path = "../../../fuzz/targets/decode.rs"]
mod decode_target;
#[path = "../../../fuzz/targets/text.rs"]
mod text_target;

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
    common::replay_fuzz_regressions("decode", |input| {
        decode_target::run(input);
    });
}

#[test]
fn text_regressions_replay() {
    common::replay_fuzz_regressions("text", |input| {
        text_target::run(input);
    });
}

#[test]
fn decode_target_on_seeds() {
    for path in seed_traces() {
        let bytes = std::fs::read(&path).unwrap();
        decode_target::run(&bytes);
        // A real trace decodes to its end without an error.
        let trace = Trace::parse(&bytes).unwrap();
        let mut events = trace.raw_events().unwrap();
        let mut n = 0;
        while let Some(ev) = events
            .next_event()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        {
            assert!(!ev.to_string().is_empty());
            n += 1;
        }
        assert!(n > 0, "{}: no events", path.display());
        // And every cut of it, and every flipped byte at a few places, is handled.
        for cut in (0..bytes.len()).step_by(bytes.len() / 50 + 1) {
            decode_target::run(&bytes[..cut]);
        }
        let mut damaged = bytes.clone();
        for at in (0..bytes.len()).step_by(bytes.len() / 50 + 1) {
            damaged[at] ^= 0xff;
            decode_target::run(&damaged);
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
        decode_target::run(hostile);
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
        assert_eq!(text_target::run(&text), all.len(), "{}", path.display());
        // Cut anywhere, including inside a line or a UTF-8 sequence.
        for cut in (0..text.len()).step_by(text.len() / 40 + 1) {
            text_target::run(&text[..cut]);
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
        text_target::run(hostile);
    }
}

/// Every target has a replay test, and every directory of fuzz inputs belongs to a target, so
/// that no input dropped into `fuzz/regressions/` or `fuzz/corpus/` goes unreplayed.
#[test]
fn every_fuzz_input_directory_is_replayed() {
    let fuzz = common::fuzz_dir();
    let mut targets: Vec<String> = common::files_with_ext(&fuzz.join("fuzz_targets"), "rs")
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let mut replayed = common::FUZZ_TARGETS.map(String::from).to_vec();
    targets.sort();
    replayed.sort();
    assert_eq!(
        targets, replayed,
        "fuzz/fuzz_targets/ against common::FUZZ_TARGETS"
    );
    for kind in common::FUZZ_INPUT_DIRS {
        for entry in std::fs::read_dir(fuzz.join(kind)).into_iter().flatten() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy();
            assert!(
                path.is_dir() && common::FUZZ_TARGETS.contains(&&*name),
                "{}: not a directory named after a fuzz target, so never replayed",
                path.display()
            );
        }
    }
}
