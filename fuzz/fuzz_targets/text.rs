//! Go's raw text format: reading any text never panics, and whatever reads writes back to text
//! that reads to the same events.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trace_format::{TextReader, TextWriter};

fuzz_target!(|data: &[u8]| {
    let Ok(reader) = TextReader::new(data) else {
        return;
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
});
