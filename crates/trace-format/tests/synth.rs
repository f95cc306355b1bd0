//! Property tests on synthetic traces (`trace_format::synth`): whatever schedule of goroutines,
//! Ps, Ms, syscalls, GC and generations is written, decoding gives back exactly what was
//! written — from a slice, from a stream, and through Go's raw text format.

mod synth_strategy;

use proptest::prelude::*;
use synth_strategy::schedule;
use trace_format::synth::{Schedule, SynthBatch, SynthEvent, Synthesized};
use trace_format::v2::{BatchKind, NO_M};
use trace_format::{RawEvent, StreamReader, TextReader, TextWriter, Trace, Version};

/// An event as decoded, in the terms it was written in.
fn as_written(ev: &RawEvent<'_>) -> SynthEvent {
    SynthEvent {
        ty: ev.ty(),
        args: ev.args().to_vec(),
        frames: ev.frames().iter().collect(),
        data: ev.data().unwrap_or_default().to_vec(),
    }
}

/// The batches of a trace as decoded from a slice.
fn batches_of(bytes: &[u8]) -> Vec<SynthBatch> {
    let trace = Trace::parse(bytes).unwrap();
    trace
        .batches()
        .unwrap()
        .map(|b| {
            let b = b.unwrap();
            let eog = b.kind() == BatchKind::EndOfGeneration;
            SynthBatch {
                generation: b.generation(),
                m: b.m(),
                time: b.time(),
                events: b.events().map(|e| as_written(&e.unwrap())).collect(),
                end_of_generation: eog,
            }
        })
        .collect()
}

/// What the decoder shows of the end-of-generation marker: no generation, no M, no time.
fn normalize(mut batches: Vec<SynthBatch>) -> Vec<SynthBatch> {
    for b in &mut batches {
        if b.end_of_generation {
            (b.generation, b.m, b.time) = (0, NO_M, 0);
        }
    }
    batches
}

fn check(out: &Synthesized) -> Result<(), TestCaseError> {
    let written = normalize(out.batches.clone());
    prop_assert_eq!(&batches_of(&out.bytes), &written);

    // A stream gives the same batches.
    let mut stream = StreamReader::new(&out.bytes[..]).unwrap();
    let mut streamed = Vec::new();
    while let Some(b) = stream.next_batch().unwrap() {
        streamed.push(SynthBatch {
            generation: b.generation(),
            m: b.m(),
            time: b.time(),
            events: b.events().map(|e| as_written(&e.unwrap())).collect(),
            end_of_generation: b.kind() == BatchKind::EndOfGeneration,
        });
    }
    prop_assert_eq!(&streamed, &written);

    // One generation per generation number written, checked whole (tables, frequency, sync).
    let trace = Trace::parse(&out.bytes).unwrap();
    let gens: Vec<u64> = trace
        .generations()
        .unwrap()
        .map(|g| g.unwrap().number())
        .collect();
    let mut want: Vec<u64> = out.batches.iter().map(|b| b.generation).collect();
    want.dedup();
    prop_assert_eq!(gens, want);

    // Go's raw text format: written and read back, the same events.
    let mut text = Vec::new();
    let mut w = TextWriter::new(&mut text, trace.version()).unwrap();
    let raw: Vec<RawEvent<'_>> = trace.raw_events().unwrap().map(Result::unwrap).collect();
    for ev in &raw {
        w.write_event(ev).unwrap();
    }
    w.into_inner();
    let back: Vec<RawEvent<'static>> = TextReader::new(&text)
        .unwrap()
        .map(|e| e.unwrap().into_owned())
        .collect();
    prop_assert_eq!(back.len(), raw.len());
    for (a, b) in raw.iter().zip(&back) {
        prop_assert_eq!(as_written(a), as_written(b));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn decoding_gives_back_what_was_written(s in schedule()) {
        check(&s.write())?;
    }
}

#[test]
fn every_step_plays_somewhere() {
    // A long fixed schedule: each kind of step is possible at some point, so the property
    // test's schedules reach every event the writer knows.
    for version in [
        Version::Go1_22,
        Version::Go1_23,
        Version::Go1_25,
        Version::Go1_26,
    ] {
        let out = Schedule::random(version, 3, 2, 2000, 12345).write();
        check(&out).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for b in &out.batches {
            for e in &b.events {
                seen.insert(e.ty);
            }
        }
        let names: Vec<&str> = seen
            .iter()
            .filter_map(|&t| trace_format::spec::lookup(version, t))
            .map(|s| s.name)
            .collect();
        for want in [
            "GoCreate",
            "GoStart",
            "GoBlock",
            "GoStop",
            "GoUnblock",
            "GoDestroy",
            "GoSyscallBegin",
            "GoSyscallEnd",
            "ProcSteal",
            "GoSyscallEndBlocked",
            "ProcStart",
            "ProcStop",
            "GCBegin",
            "GCEnd",
            "GCActive",
            "STWBegin",
            "STWEnd",
            "GoStatus",
            "ProcStatus",
            "Stack",
            "String",
            "Frequency",
            "UserTaskBegin",
            "UserTaskEnd",
            "UserRegionBegin",
            "UserRegionEnd",
            "GCMarkAssistBegin",
            "GCMarkAssistEnd",
            "GCMarkAssistActive",
            "GCSweepBegin",
            "GCSweepEnd",
            "GCSweepActive",
            "UserLog",
            "GoLabel",
            "CPUSample",
        ] {
            assert!(names.contains(&want), "{version:?}: no {want} in {names:?}");
        }
        assert!(
            out.played > 500,
            "{version:?}: only {} steps played",
            out.played
        );
    }
}
