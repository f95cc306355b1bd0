//! Property tests of the ordering on synthetic traces (`trace_format::synth`): whatever schedule
//! is written, the model reads it without error and gives back its state changes and ranges in
//! the order they happened, and its invariants hold — each goroutine's and P's states follow one
//! another, time never runs backwards, every range that begins ends or is open at the end.

#[path = "../../trace-format/tests/synth_strategy/mod.rs"]
mod synth_strategy;

// For `transition_of`; the target's `run` is replayed by tests/fuzz_regressions.rs.
#[allow(dead_code)]
#[path = "../../../fuzz/targets/synth.rs"]
mod synth_target;

use proptest::prelude::*;
use std::collections::HashMap;
use trace_format::synth::{RangeMark, Synthesized, Transition};
use trace_model::{EventKind, Reader, ResourceKind};

/// What the model says happened: state changes and range events, in its order, and every
/// event printed.
struct Read {
    transitions: Vec<Transition>,
    ranges: Vec<RangeMark>,
    printed: Vec<String>,
}

fn read(reader: &mut Reader<'_>) -> Result<Read, TestCaseError> {
    let mut out = Read {
        transitions: Vec::new(),
        ranges: Vec::new(),
        printed: Vec::new(),
    };
    let mut last = i64::MIN;
    // Each goroutine's and P's state as the transitions tell it.
    let mut state: HashMap<(ResourceKind, i64), &'static str> = HashMap::new();
    // Whether each range (by name and what it applies to) is open.
    let mut open: HashMap<(Vec<u8>, ResourceKind, i64), bool> = HashMap::new();
    loop {
        let ev = match reader.next_event() {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(e) => return Err(TestCaseError::fail(format!("model error: {e}"))),
        };
        out.printed.push(ev.to_string());
        prop_assert!(ev.time() >= last, "time ran backwards: {}", ev);
        last = ev.time();
        let time = ev.time() as u64;
        if let Some(t) = ev.state_transition() {
            let (from, to) = match (t.goroutine(), t.proc()) {
                (Some((from, to)), _) => (from.name(), to.name()),
                (_, Some((from, to))) => (from.name(), to.name()),
                _ => return Err(TestCaseError::fail(format!("odd transition: {ev}"))),
            };
            // States follow one another: each change starts where the last one ended.
            let key = (t.resource.kind, t.resource.id);
            if let Some(prev) = state.insert(key, to) {
                prop_assert_eq!(prev, from, "{}", ev);
            } else {
                prop_assert!(
                    matches!(from, "Undetermined" | "NotExist"),
                    "first transition of {} is from {}",
                    t.resource,
                    from
                );
            }
        }
        out.transitions.extend(synth_target::transition_of(ev));
        if let Some(r) = ev.range() {
            let what = match ev.kind() {
                EventKind::RangeBegin => "begin",
                EventKind::RangeActive => "active",
                _ => "end",
            };
            let name = r.name.to_vec();
            let key = (name.clone(), r.scope.kind, r.scope.id);
            let was_open = open.insert(key, what != "end").unwrap_or(false);
            match what {
                "begin" => prop_assert!(!was_open, "begun twice: {}", ev),
                "end" => prop_assert!(was_open || out.ranges.is_empty(), "ended unbegun: {}", ev),
                _ => {}
            }
            let name = match &name[..] {
                b"GC concurrent mark phase" => "GC concurrent mark phase",
                b"stop-the-world (read mem stats)" => "stop-the-world (read mem stats)",
                b"GC mark assist" => "GC mark assist",
                b"GC incremental sweep" => "GC incremental sweep",
                other => {
                    let other = String::from_utf8_lossy(other);
                    return Err(TestCaseError::fail(format!("unexpected range {other}")));
                }
            };
            out.ranges.push(RangeMark { time, name, what });
        }
    }
    Ok(out)
}

fn check(out: &Synthesized) -> Result<(), TestCaseError> {
    let mut reader = Reader::new(&out.bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let got = read(&mut reader)?;
    let want: Vec<Transition> = out
        .transitions
        .iter()
        .filter(|t| t.from != t.to)
        .copied()
        .collect();
    prop_assert_eq!(&got.transitions, &want);
    prop_assert_eq!(&got.ranges, &out.ranges);
    // The same from a stream.
    let mut stream =
        Reader::from_read(&out.bytes[..]).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let streamed = read(&mut stream)?;
    prop_assert_eq!(streamed.printed, got.printed);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_model_reads_back_the_schedule(s in synth_strategy::schedule()) {
        check(&s.write())?;
    }
}
