//! Binary decoding of any bytes: raw events, generations and the streaming reader must give
//! events or a typed error, never a panic, a hang or a huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trace_format::{StreamReader, Trace};

fuzz_target!(|data: &[u8]| {
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
});
