//! The ordered model on any bytes (binary, or Go's raw text format): every event read and
//! printed, to the end or the first error, from a slice and from a stream. Never a panic, a hang
//! or a huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Write;
use trace_model::Reader;

fn drain(mut r: Reader<'_>) {
    let mut sink = std::io::sink();
    while let Ok(Some(ev)) = r.next_event() {
        let _ = write!(sink, "{ev}");
        let _ = ev.state_transition();
        let _ = ev.range();
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = Reader::new(data) {
        drain(r);
    }
    if let Ok(r) = Reader::from_read(data) {
        drain(r);
    }
});
