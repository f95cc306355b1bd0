//! The decoder against Go's answers on real traces: every committed Go 1.22+ trace in testdata/
//! must print byte-identically to Go 1.27's raw reader (`<name>.raw.golden` beside it), whether
//! read from memory or streamed, and its generations must parse as Go's reader parses them.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use trace_format::{Family, StreamReader, TextReader, TextWriter, Trace, Version};

fn v2_traces() -> Vec<PathBuf> {
    let all = common::traces();
    assert!(!all.is_empty(), "no traces under testdata/traces");
    all.into_iter()
        .filter(|p| {
            let b = std::fs::read(p).unwrap();
            Version::from_header(&b).is_ok_and(|v| v.family() == Family::V2)
        })
        .collect()
}

fn golden(trace: &Path) -> String {
    let g = trace.with_extension("raw.golden");
    std::fs::read_to_string(&g).unwrap_or_else(|e| panic!("{}: {e}", g.display()))
}

fn text_from_slice(bytes: &[u8]) -> String {
    let trace = Trace::parse(bytes).unwrap();
    let mut out = Vec::new();
    let mut w = TextWriter::new(&mut out, trace.version()).unwrap();
    for ev in trace.raw_events().unwrap() {
        w.write_event(&ev.unwrap()).unwrap();
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn raw_text_equals_go() {
    let traces = v2_traces();
    // One trace per Go toolchain 1.22 to 1.27 at least.
    let versions: BTreeSet<_> = traces
        .iter()
        .map(|p| p.parent().unwrap().file_name().unwrap().to_owned())
        .collect();
    assert!(versions.len() >= 6, "traces of only {versions:?}");
    for path in &traces {
        let bytes = std::fs::read(path).unwrap();
        let want = golden(path);
        // Streamed, as the trace-raw example does.
        let mut streamed = Vec::new();
        trace_format::text::write_text(&bytes[..], &mut streamed)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            String::from_utf8(streamed).unwrap() == want,
            "{}: streamed output differs from Go's",
            path.display()
        );
        // From memory.
        assert!(
            text_from_slice(&bytes) == want,
            "{}: output differs from Go's",
            path.display()
        );
    }
}

#[test]
fn golden_text_reads_back_to_the_same_bytes() {
    for path in v2_traces() {
        let bytes = std::fs::read(&path).unwrap();
        let text = golden(&path);
        let reader = TextReader::new(text.as_bytes()).unwrap();
        let trace = Trace::parse(&bytes).unwrap();
        assert_eq!(reader.version(), trace.version());
        let from_text: Vec<_> = reader.map(Result::unwrap).collect();
        let from_bin: Vec<_> = trace.raw_events().unwrap().map(Result::unwrap).collect();
        assert_eq!(from_text.len(), from_bin.len(), "{}", path.display());
        for (t, b) in from_text.iter().zip(&from_bin) {
            assert_eq!(t.ty(), b.ty());
            assert_eq!(t.args(), b.args(), "{}", path.display());
            assert!(t.frames().iter().eq(b.frames().iter()));
            assert_eq!(t.data(), b.data());
        }
    }
}

#[test]
fn generations_parse_like_go() {
    for path in v2_traces() {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.display();
        let trace = Trace::parse(&bytes).unwrap();
        let gens: Vec<_> = trace
            .generations()
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // The generation numbers Go's raw dump shows, in order.
        let mut want = Vec::new();
        for line in golden(&path).lines() {
            if let Some(rest) = line.strip_prefix("EventBatch gen=") {
                let g: u64 = rest.split(' ').next().unwrap().parse().unwrap();
                if want.last() != Some(&g) {
                    want.push(g);
                }
            }
        }
        let got: Vec<_> = gens.iter().map(|g| g.number()).collect();
        assert_eq!(got, want, "{name}");
        for g in &gens {
            assert!(g.frequency() > 0, "{name}");
            assert!(g.string_count() > 0 && g.stack_count() > 0, "{name}");
            assert!(!g.batches().is_empty(), "{name}");
            if trace.version() >= Version::Go1_25 {
                assert!(g.clock_snapshot().is_some(), "{name}");
            }
            // Every stack resolves its frames' strings.
            for b in g.batches() {
                for ev in b.events() {
                    let ev = ev.unwrap();
                    for &i in ev.spec().stack_ids {
                        assert!(g.stack(ev.args()[i]).is_some(), "{name}: {ev}");
                    }
                    for &i in ev.spec().string_ids {
                        assert!(g.string(ev.args()[i]).is_some(), "{name}: {ev}");
                    }
                }
            }
        }

        // Streaming yields the same generations.
        let mut stream = StreamReader::new(&bytes[..]).unwrap();
        let mut i = 0;
        while let Some(g) = stream.next_generation().unwrap() {
            let want = &gens[i];
            assert_eq!(g.number(), want.number(), "{name}");
            assert_eq!(g.offset(), want.offset(), "{name}");
            assert_eq!(g.batches(), want.batches(), "{name}");
            assert_eq!(g.string_count(), want.string_count(), "{name}");
            assert_eq!(g.stack_count(), want.stack_count(), "{name}");
            assert_eq!(g.cpu_samples(), want.cpu_samples(), "{name}");
            i += 1;
        }
        assert_eq!(i, gens.len(), "{name}");

        // Taking each generation's buffer hands over exactly its bytes, and lending the memory
        // back leaves the generations that follow as they were.
        let mut stream = StreamReader::new(&bytes[..]).unwrap();
        let (mut i, mut spare) = (0, Vec::new());
        loop {
            stream.give_buffer(std::mem::take(&mut spare));
            let Some(g) = stream.next_generation().unwrap() else {
                break;
            };
            let (number, start, end) = (g.number(), g.offset(), g.end_offset());
            let (at, taken) = stream.take_buffer();
            assert_eq!((number, at), (gens[i].number(), start), "{name}");
            assert!(
                taken[..] == bytes[start as usize..end as usize],
                "{name}: {number}"
            );
            spare = taken;
            i += 1;
        }
        assert_eq!(i, gens.len(), "{name}");
    }
}

#[test]
fn cpu_samples_and_logs_are_decoded() {
    let dir = common::testdata().join("traces/go1.27.3");
    let cpu = std::fs::read(dir.join("cpuprof.trace")).unwrap();
    let samples: usize = Trace::parse(&cpu)
        .unwrap()
        .generations()
        .unwrap()
        .map(|g| g.unwrap().cpu_samples().len())
        .sum();
    assert!(samples > 0);
    let ann = std::fs::read(dir.join("annotations.trace")).unwrap();
    let trace = Trace::parse(&ann).unwrap();
    let mut found = false;
    for g in trace.generations().unwrap() {
        let g = g.unwrap();
        for b in g.batches() {
            for ev in b.events() {
                let ev = ev.unwrap();
                if ev.name() == "UserLog" {
                    let v = g.string(ev.arg("value_string").unwrap()).unwrap();
                    found |= v == "héllo 世界".as_bytes() || v.contains(&0xff);
                }
            }
        }
    }
    assert!(
        found,
        "the annotations program logs non-ASCII and invalid UTF-8"
    );
}
