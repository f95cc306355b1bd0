//! v1 traces (Go 1.5 to 1.21) against Go: for every trace in `testdata/v1-counts.golden` the
//! number of events, of strings and of each event type must equal what Go 1.21's `readTrace`
//! reads from the wire (`scripts/gen-v1-counts.sh` writes the file with Go and checks that Go
//! 1.27's v1 parser agrees). Go's own test traces are read from an installed Go 1.21.13; our
//! Go 1.19 and 1.21 traces from testdata/.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use trace_format::{Family, StreamReader, TextReader, TextWriter, Trace, Version};

struct Expected {
    key: String,
    events: usize,
    strings: usize,
    by_type: BTreeMap<u8, usize>,
}

fn expected() -> Vec<Expected> {
    let text = std::fs::read_to_string(common::testdata().join("v1-counts.golden")).unwrap();
    text.lines()
        .map(|line| {
            let mut f = line.split(' ');
            assert_eq!(f.next(), Some("V1COUNTS"));
            let key = f.next().unwrap().to_string();
            let mut num = |prefix: &str| -> usize {
                f.next()
                    .unwrap()
                    .strip_prefix(prefix)
                    .unwrap()
                    .parse()
                    .unwrap()
            };
            let events = num("events=");
            let strings = num("strings=");
            let by_type = f
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap();
                    (k.parse().unwrap(), v.parse().unwrap())
                })
                .collect();
            Expected {
                key,
                events,
                strings,
                by_type,
            }
        })
        .collect()
}

fn resolve(key: &str, goroot: Option<&PathBuf>) -> Option<PathBuf> {
    if let Some(rel) = key.strip_prefix("testdata:") {
        return Some(common::testdata().join(rel));
    }
    let name = key.strip_prefix("go1.21.13:")?;
    Some(goroot?.join("src/internal/trace/testdata").join(name))
}

/// Counts of our decoder: events (string records apart, as Go keeps them), strings, and by type.
fn our_counts(bytes: &[u8]) -> (usize, usize, BTreeMap<u8, usize>) {
    let trace = Trace::parse(bytes).unwrap();
    assert_eq!(trace.version().family(), Family::V1);
    let mut events = 0;
    let mut strings = 0;
    let mut by_type = BTreeMap::new();
    let mut it = trace.raw_events().unwrap();
    while let Some(ev) = it.next_event().unwrap_or_else(|e| panic!("{e}")) {
        if ev.name() == "String" {
            strings += 1;
        } else {
            events += 1;
            *by_type.entry(ev.ty().0).or_default() += 1;
        }
    }
    (events, strings, by_type)
}

#[test]
fn v1_counts_equal_go_readtrace() {
    let goroot = common::goroot_or_skip("1.21.13", "v1_counts_equal_go_readtrace (Go's traces)");
    let mut checked = 0;
    let mut versions = std::collections::BTreeSet::new();
    for exp in expected() {
        let Some(path) = resolve(&exp.key, goroot.as_ref()) else {
            continue;
        };
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        versions.insert(Version::from_header(&bytes).unwrap());
        let (events, strings, by_type) = our_counts(&bytes);
        assert_eq!(events, exp.events, "{}", exp.key);
        assert_eq!(strings, exp.strings, "{}", exp.key);
        assert_eq!(by_type, exp.by_type, "{}", exp.key);
        checked += 1;
    }
    if goroot.is_some() {
        // Go's testdata covers every v1 header but 1.8.
        assert!(versions.len() >= 7, "{versions:?}");
        assert!(checked >= 25);
    }
}

#[test]
fn v1_streaming_and_text_agree_with_memory() {
    let goroot = common::goroot_or_skip(
        "1.21.13",
        "v1_streaming_and_text_agree_with_memory (Go's traces)",
    );
    for exp in expected() {
        let Some(path) = resolve(&exp.key, goroot.as_ref()) else {
            continue;
        };
        let bytes = std::fs::read(&path).unwrap();
        let trace = Trace::parse(&bytes).unwrap();
        let from_memory: Vec<_> = trace.raw_events().unwrap().map(Result::unwrap).collect();

        // Streaming yields the same events.
        let mut s = StreamReader::new(&bytes[..]).unwrap();
        let mut i = 0;
        while let Some(ev) = s.next_raw_event().unwrap() {
            assert_eq!(ev, from_memory[i], "{} event {i}", exp.key);
            i += 1;
        }
        assert_eq!(i, from_memory.len(), "{}", exp.key);

        // Text round trip, and binary re-encoding reads back the same.
        let mut text = Vec::new();
        trace_format::text::write_text(&bytes[..], &mut text).unwrap();
        let reader = TextReader::new(&text).unwrap();
        assert_eq!(reader.version(), trace.version());
        let mut again = Vec::new();
        let mut w = TextWriter::new(&mut again, trace.version()).unwrap();
        let mut encoded = trace.version().header().to_vec();
        for ev in reader {
            let ev = ev.unwrap_or_else(|e| panic!("{}: {e}", exp.key));
            w.write_event(&ev).unwrap();
            ev.encode(&mut encoded);
        }
        assert!(again == text, "{}: text round trip", exp.key);
        let re: Vec<_> = Trace::parse(&encoded)
            .unwrap()
            .raw_events()
            .unwrap()
            .map(|e| e.unwrap_or_else(|e| panic!("{}: {e}", exp.key)).to_string())
            .collect();
        let orig: Vec<_> = from_memory.iter().map(|e| e.to_string()).collect();
        assert_eq!(re, orig, "{}: re-encoded", exp.key);
    }
}

#[test]
fn go15_stacks_are_pcs_only() {
    let Some(goroot) = common::goroot_or_skip("1.21.13", "go15_stacks_are_pcs_only") else {
        return;
    };
    let bytes = std::fs::read(goroot.join("src/internal/trace/testdata/http_1_5_good")).unwrap();
    let trace = Trace::parse(&bytes).unwrap();
    assert_eq!(trace.version(), Version::Go1_5);
    let mut stacks = 0;
    for ev in trace.raw_events().unwrap() {
        let ev = ev.unwrap();
        if ev.name() == "Stack" {
            stacks += 1;
            assert_eq!(ev.frames().len() as u64, ev.args()[1]);
            for f in ev.frames().iter() {
                assert!(f.pc != 0 && f.func == 0 && f.file == 0 && f.line == 0);
            }
            let text = ev.to_string();
            assert!(
                text.contains("\n\tpc=") && !text.contains("func="),
                "{text}"
            );
        }
    }
    assert_eq!(stacks, 83);
}

#[test]
fn v1_hostile_records_are_typed_errors() {
    use trace_format::ErrorKind;
    let run = |v: Version, body: &[u8]| {
        let mut b = v.header().to_vec();
        b.extend_from_slice(body);
        let trace = Trace::parse(&b).unwrap();
        trace
            .raw_events()
            .unwrap()
            .find_map(Result::err)
            .map(|e| e.kind().clone())
    };
    // A length-prefixed record claiming more bytes than remain.
    let e = run(Version::Go1_21, &[0xc4, 0x7f, 1]);
    assert!(matches!(e, Some(ErrorKind::Truncated(_))), "{e:?}");
    // Arguments that don't fill the declared length exactly.
    let e = run(Version::Go1_21, &[0xc4, 0x02, 0x01, 0x80]);
    assert!(matches!(e, Some(ErrorKind::WrongLength { .. })), "{e:?}");
    // The wrong number of arguments for the version (GCSweepDone has 3 from 1.9, 1 before).
    let e = run(Version::Go1_7, &[0x8c, 1, 2, 3]);
    assert!(
        matches!(
            e,
            Some(ErrorKind::ArgCount {
                want: 1,
                got: 3,
                ..
            })
        ),
        "{e:?}"
    );
    // Strings: ID 0, length 0, a repeated ID; none in 1.5.
    let e = run(Version::Go1_11, &[37, 0, 1, b'a']);
    assert_eq!(e, Some(ErrorKind::InvalidString("invalid id 0")));
    let e = run(Version::Go1_11, &[37, 1, 0]);
    assert_eq!(e, Some(ErrorKind::InvalidString("invalid length 0")));
    let e = run(Version::Go1_11, &[37, 1, 1, b'a', 37, 1, 1, b'b']);
    assert_eq!(e, Some(ErrorKind::DuplicateString(1)));
    let e = run(Version::Go1_5, &[37, 1, 1, b'a']);
    assert!(
        matches!(e, Some(ErrorKind::UnknownEvent { ty: 37, version: 5 })),
        "{e:?}"
    );
    // Event types from later versions, and type 0.
    let e = run(Version::Go1_11, &[0x31, 1]);
    assert!(
        matches!(e, Some(ErrorKind::UnknownEvent { ty: 49, .. })),
        "{e:?}"
    );
    let e = run(Version::Go1_21, &[0]);
    assert!(
        matches!(e, Some(ErrorKind::UnknownEvent { ty: 0, .. })),
        "{e:?}"
    );
    // A stack with more frames than Go accepts.
    let e = run(Version::Go1_21, &[0xc3, 4, 1, 0xe9, 0x07, 0]);
    assert!(matches!(e, Some(ErrorKind::StackTooDeep { .. })), "{e:?}");
    // A log message running past the end.
    let e = run(Version::Go1_21, &[0xf0, 4, 1, 1, 1, 0, 10, b'x']);
    assert!(matches!(e, Some(ErrorKind::Truncated(_))), "{e:?}");
}
