//! Go's own trace test suite (`internal/trace/testdata/tests/*.test` of Go 1.27): each case holds a
//! trace in the raw text format. Every one must read through our text reader, write back
//! byte-identically, and survive text -> binary -> raw events -> text unchanged.

mod common;

use trace_format::{TextReader, TextWriter, Trace};

#[test]
fn go_suite_round_trips() {
    let Some(cases) = common::go_suite("go_suite_round_trips") else {
        return;
    };
    for case in &cases {
        let name = &case.name;
        let text = &case.trace;

        // text -> events -> text
        let reader = TextReader::new(text.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let version = reader.version();
        let events: Vec<_> = reader
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut out = Vec::new();
        let mut w = TextWriter::new(&mut out, version).unwrap();
        for ev in &events {
            w.write_event(ev).unwrap();
        }
        assert_eq!(
            &String::from_utf8(out).unwrap(),
            text,
            "{name}: text round trip"
        );

        // events -> binary -> events: the binary decoder must see the same events.
        let mut bin = version.header().to_vec();
        for ev in &events {
            ev.encode(&mut bin);
        }
        let trace = Trace::parse(&bin).unwrap();
        let mut decoded = Vec::new();
        let mut error = None;
        for ev in trace.raw_events().unwrap() {
            match ev {
                Ok(ev) => decoded.push(ev.into_owned()),
                Err(e) => error = Some(e),
            }
        }
        let expect_failure = case.expect.contains("-- expect --\nFAILURE");
        if let Some(e) = &error {
            // Only cases Go expects to fail may hold wire-level damage (a batch size that lies).
            assert!(expect_failure, "{name}: binary decode: {e}");
            assert!(decoded.len() < events.len(), "{name}");
        } else {
            assert_eq!(decoded.len(), events.len(), "{name}");
        }
        for (a, b) in decoded.iter().zip(&events) {
            assert_eq!(a.to_string(), b.to_string(), "{name}");
        }
    }
}
