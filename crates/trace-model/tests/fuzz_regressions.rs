//! Replays the inputs the fuzzer found (`fuzz/regressions/model/*`) through exactly what the
//! cargo-fuzz target `model` does, on stable and without libFuzzer, so a fixed crash stays
//! fixed. Seed inputs of the `model` corpus go the same way with stricter checks (so the replay
//! can fail even while no regression is recorded), and so does Go's own `FuzzReader` corpus when
//! a Go 1.27.3 source tree is installed.

#[path = "../../trace-format/tests/common/mod.rs"]
mod common;

use std::path::PathBuf;

#[path = "../../../fuzz/targets/model.rs"]
mod model_target;

#[test]
fn model_regressions_replay() {
    common::replay_fuzz_regressions("model", |input| {
        model_target::run(input);
    });
}

#[test]
fn model_target_on_seeds() {
    let traces = common::testdata().join("traces");
    for name in [
        "go1.22.10/chan.trace",
        "go1.23.9/syscall.trace",
        "go1.25.5/flightrecorder.trace",
        "go1.27.3/cpuprof.trace",
        "go1.27.3/net.raw.golden",
        "go1.19/chan.trace",
        "go1.21.13/annotations.trace",
    ] {
        let path = traces.join(name);
        let bytes = std::fs::read(&path).unwrap();
        let (slice, stream) = model_target::run(&bytes);
        // A real trace (binary or text) reads to its end, the same from a slice and a stream.
        let (events, err) = slice.unwrap_or_else(|| panic!("{name}: slice reader didn't start"));
        assert_eq!(err, None, "{name}");
        assert!(!events.is_empty(), "{name}: no events");
        assert_eq!(stream, Some((events, None)), "{name}: stream differs");
        // Cuts and flipped bytes are handled: events, then at most one error.
        let step = bytes.len() / 40 + 1;
        for cut in (0..bytes.len()).step_by(step) {
            model_target::run(&bytes[..cut]);
        }
        let mut damaged = bytes.clone();
        for at in (0..bytes.len()).step_by(step) {
            damaged[at] ^= 0xff;
            model_target::run(&damaged);
            damaged[at] ^= 0xff;
        }
    }
    // Hostile headers and sizes: whatever they give, not a panic.
    for hostile in [
        &b""[..],
        b"go 1.22 trace\x00\x00\x00",
        b"go 1.26 trace\x00\x00\x00\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
        b"go 1.99 trace\x00\x00\x00",
        b"Trace Go1.22\n",
        b"Trace Go1.22\nEventBatch gen=1 m=0 time=1 size=99999999999999999999\n",
        b"Trace Go1.26\nNoSuchEvent x=1\n",
    ] {
        model_target::run(hostile);
    }
}

#[test]
fn model_target_on_go_fuzz_corpus() {
    let Some(goroot) = common::goroot_or_skip("1.27.3", "model_target_on_go_fuzz_corpus") else {
        return;
    };
    let dir = goroot.join("src/internal/trace/testdata/fuzz/FuzzReader");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: empty", dir.display());
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let data = go_fuzz_bytes(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            data.starts_with(b"go 1."),
            "{}: decoded to {:?}",
            path.display(),
            &data[..data.len().min(16)]
        );
        model_target::run(&data);
    }
}

#[test]
fn go_fuzz_bytes_decodes_every_escape() {
    let file = "go test fuzz v1\n[]byte(\"a\\x00\\xff\\n\\t\\\\\\\"\\a\\b\\f\\r\\v\\101\\u00e9\\U0001F600\")\n";
    let mut want = b"a\x00\xff\n\t\\\"\x07\x08\x0c\r\x0bA".to_vec();
    want.extend_from_slice("\u{e9}\u{1F600}".as_bytes());
    assert_eq!(go_fuzz_bytes(file).unwrap(), want);
    assert!(go_fuzz_bytes("go test fuzz v1\nstring(\"x\")\n").is_err());
    assert!(go_fuzz_bytes("[]byte(\"x\")\n").is_err());
}

/// The one `[]byte("...")` value of a file in Go's `go test fuzz v1` corpus format.
fn go_fuzz_bytes(file: &str) -> Result<Vec<u8>, String> {
    let mut lines = file.lines().map(str::trim).filter(|l| !l.is_empty());
    if lines.next() != Some("go test fuzz v1") {
        return Err("not a `go test fuzz v1` file".into());
    }
    let value = lines.next().ok_or("no value")?;
    if lines.next().is_some() {
        return Err("more than one value".into());
    }
    let lit = value
        .strip_prefix("[]byte(")
        .and_then(|v| v.strip_suffix(')'))
        .filter(|v| v.starts_with('"'))
        .ok_or_else(|| format!("not a []byte(\"...\") value: {value}"))?;
    // Go writes the literal with strconv.Quote; our Unquote is Go's.
    trace_model::format::text::quote::unquote(lit.as_bytes())
        .ok_or_else(|| format!("not a Go string literal: {lit}"))
}

#[path = "../../../fuzz/targets/synth.rs"]
mod synth_target;

#[test]
fn synth_regressions_replay() {
    common::replay_fuzz_regressions("synth", synth_target::run);
}

#[test]
fn synth_target_on_inputs() {
    // Short and odd inputs, every step kind alone after a start, and pseudo-random schedules
    // of every version: the target's own checks (a valid trace, read back as written) hold.
    synth_target::run(b"");
    synth_target::run(b"\x03");
    for kind in 0..=255u8 {
        synth_target::run(&[kind, kind, kind, 1, 0, 0, kind, kind, kind.wrapping_mul(7)]);
    }
    let mut x: u64 = 7;
    for len in [30, 300, 3000] {
        for _ in 0..8 {
            let input: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                    (x >> 56) as u8
                })
                .collect();
            synth_target::run(&input);
        }
    }
}
