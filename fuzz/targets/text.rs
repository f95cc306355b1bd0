//! The `text` fuzz target's body, shared by the target and the replay test in
//! `crates/trace-format/tests/fuzz_regressions.rs`: reading any text never panics, and whatever
//! reads writes back to text that reads to the same events.

use trace_format::{TextReader, TextWriter};

/// Returns how many events read.
pub fn run(data: &[u8]) -> usize {
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
