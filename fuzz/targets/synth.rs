//! The `synth` fuzz target's body, shared by the target and the replay test in
//! `crates/trace-model/tests/fuzz_regressions.rs`: any bytes as a schedule
//! (`trace_format::synth::Schedule::from_bytes`), written as a trace, which must be valid — the
//! model reads it to the end without an error — and read back as written: the same state
//! changes, in the same order, by the same Ms.

use trace_format::synth::{Resource, Schedule, Transition};
use trace_model::{Event, Reader};

/// The state change an event makes, in the schedule's terms; `None` for events that change
/// no state (status events repeating what is known included).
pub fn transition_of(ev: &Event) -> Option<Transition> {
    let t = ev.state_transition()?;
    let (resource, from, to) = match (t.goroutine(), t.proc()) {
        (Some((from, to)), _) => (
            Resource::Goroutine(t.resource.id as u64),
            from.name(),
            to.name(),
        ),
        (_, Some((from, to))) => (Resource::Proc(t.resource.id as u64), from.name(), to.name()),
        _ => panic!("a transition of neither a goroutine nor a P: {ev}"),
    };
    (from != to).then_some(Transition {
        time: ev.time() as u64,
        m: ev.thread() as u64,
        resource,
        from,
        to,
    })
}

pub fn run(data: &[u8]) {
    let out = Schedule::from_bytes(data).write();
    let mut reader = Reader::new(&out.bytes).expect("a synthetic trace opens");
    let mut got = Vec::new();
    loop {
        match reader.next_event() {
            Ok(Some(ev)) => got.extend(transition_of(ev)),
            Ok(None) => break,
            Err(e) => panic!("a synthetic trace fails: {e}"),
        }
    }
    let want: Vec<Transition> = out
        .transitions
        .into_iter()
        .filter(|t| t.from != t.to)
        .collect();
    assert_eq!(
        got, want,
        "the model's state changes differ from the schedule's"
    );
}
