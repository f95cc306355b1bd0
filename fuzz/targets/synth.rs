//! The `synth` fuzz target's body, shared by the target and the replay test in
//! `crates/trace-model/tests/fuzz_regressions.rs`: any bytes as a schedule
//! (`trace_format::synth::Schedule::from_bytes`), written as a trace, which must be valid — the
//! model reads it to the end without an error — and read back as written: the same state
//! changes, in the same order, by the same Ms.

use trace_format::synth::{Resource, Schedule, Transition};
use trace_model::Reader;

pub fn run(data: &[u8]) {
    let out = Schedule::from_bytes(data).write();
    let mut reader = Reader::new(&out.bytes).expect("a synthetic trace opens");
    let mut got = Vec::new();
    loop {
        let ev = match reader.next_event() {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(e) => panic!("a synthetic trace fails: {e}"),
        };
        let Some(t) = ev.state_transition() else {
            continue;
        };
        let (resource, from, to) = match (t.goroutine(), t.proc()) {
            (Some((from, to)), _) => (
                Resource::Goroutine(t.resource.id as u64),
                from.name(),
                to.name(),
            ),
            (_, Some((from, to))) => (Resource::Proc(t.resource.id as u64), from.name(), to.name()),
            _ => panic!("a transition of neither a goroutine nor a P: {ev}"),
        };
        if from != to {
            got.push(Transition {
                time: ev.time() as u64,
                m: ev.thread() as u64,
                resource,
                from,
                to,
            });
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
