//! The `model` fuzz target's body, shared by the target and the replay test in
//! `crates/trace-model/tests/fuzz_regressions.rs`: any bytes (binary or Go's raw text format)
//! through `Reader::new` and `Reader::from_read`, every event printed, to the end or the first
//! error. Never a panic, a hang or a huge allocation.

use std::fmt::Write as _;
use trace_model::Reader;

/// Every event read and printed one per line, and the error that stopped it, if any.
fn drain(mut r: Reader<'_>) -> (String, Option<String>) {
    let mut out = String::new();
    loop {
        match r.next_event() {
            Ok(Some(ev)) => {
                writeln!(out, "{ev}").unwrap();
                let _ = ev.state_transition();
                let _ = ev.range();
            }
            Ok(None) => return (out, None),
            Err(e) => {
                let msg = e.to_string();
                assert!(!msg.is_empty());
                return (out, Some(msg));
            }
        }
    }
}

/// How reading one way ended: the events printed and the error, or `None` if the reader
/// could not start.
pub type Outcome = Option<(String, Option<String>)>;

/// What the target does with one input: read it from a slice and from a stream.
pub fn run(data: &[u8]) -> (Outcome, Outcome) {
    let slice = Reader::new(data).ok().map(drain);
    let stream = Reader::from_read(data).ok().map(drain);
    (slice, stream)
}
