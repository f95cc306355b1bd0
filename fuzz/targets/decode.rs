//! The `decode` fuzz target's body, shared by the target and the replay test in
//! `crates/trace-format/tests/fuzz_regressions.rs`: binary decoding of any bytes (raw events,
//! generations and the streaming reader) gives events or a typed error, never a panic, a hang or
//! a huge allocation. The same again under tight caller limits, chosen by the last byte.

use trace_format::{Limits, StreamReader, Trace};

/// Limits small enough to break, different for different inputs.
fn tight_limits(data: &[u8]) -> Limits {
    let k = u64::from(data.last().copied().unwrap_or(0));
    let mut l = Limits::default();
    l.max_batch_size = 64 + k * 16;
    l.max_stack_depth = k % 8;
    l.max_strings_per_generation = k % 16;
    l.max_stacks_per_generation = k % 16;
    l.max_generation_bytes = 256 + k * 64;
    l.max_total_bytes = 1024 + k * 256;
    l
}

fn limited(data: &[u8]) {
    let limits = tight_limits(data);
    if let Ok(trace) = Trace::parse_with_limits(data, limits) {
        if let Ok(mut events) = trace.raw_events() {
            while let Ok(Some(_)) = events.next_event() {}
        }
        if let Ok(gens) = trace.generations() {
            for _ in gens.flatten() {}
        }
    }
    if let Ok(mut s) = StreamReader::with_limits(data, limits) {
        while let Ok(Some(_)) = s.next_generation() {}
    }
    if let Ok(mut s) = StreamReader::with_limits(data, limits) {
        while let Ok(Some(_)) = s.next_raw_event() {}
    }
}

pub fn run(data: &[u8]) {
    let Ok(trace) = Trace::parse(data) else {
        return;
    };
    if let Ok(mut events) = trace.raw_events() {
        while let Ok(Some(ev)) = events.next_event() {
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
    limited(data);
}
