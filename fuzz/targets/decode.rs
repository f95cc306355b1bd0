//! The `decode` fuzz target's body, shared by the target and the replay test in
//! `crates/trace-format/tests/fuzz_regressions.rs`: binary decoding of any bytes (raw events,
//! generations and the streaming reader) gives events or a typed error, never a panic, a hang or
//! a huge allocation.

use trace_format::{StreamReader, Trace};

pub fn run(data: &[u8]) {
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
