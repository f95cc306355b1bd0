//! Property tests: any event of any version, of any type that can stand in a trace's body, with
//! any arguments, frames and data, survives the binary encoding and Go's raw text format.

use crate::event::{RawEvent, RawFrame, RawFrames};
use crate::spec::{self, EventType};
use crate::{Family, TextReader, TextWriter, Trace, Version};
use proptest::prelude::*;
use std::borrow::Cow;

/// The types of `version` that may stand in a batch (v2) or the record stream (v1).
fn body_types(version: Version) -> Vec<EventType> {
    spec::specs(version)
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.name.is_empty())
        .map(|(i, _)| EventType(i as u8))
        .filter(|&t| {
            version.family() == Family::V1
                || !matches!(
                    t,
                    EventType::EVENT_BATCH
                        | EventType::EXPERIMENTAL_BATCH
                        | EventType::END_OF_GENERATION
                )
        })
        .collect()
}

/// An event of `version`: a type, then arguments, frames and data that fit it.
fn event(version: Version) -> impl Strategy<Value = RawEvent<'static>> {
    let types = body_types(version);
    (
        prop::sample::select(types),
        prop::array::uniform5(any::<u64>()),
        prop::collection::vec(prop::array::uniform4(any::<u64>()), 0..6),
        prop::collection::vec(any::<u8>(), 1..80),
    )
        .prop_map(move |(ty, mut args, frames, data)| {
            let spec = spec::lookup(version, ty).unwrap_or(&spec::EventSpec::EMPTY);
            let go15 = version == Version::Go1_5;
            let frames: Vec<RawFrame> = if spec.is_stack {
                frames
                    .iter()
                    .map(|f| RawFrame {
                        pc: f[0],
                        // Go 1.5 stacks hold PCs only.
                        func: if go15 { 0 } else { f[1] },
                        file: if go15 { 0 } else { f[2] },
                        line: if go15 { 0 } else { f[3] },
                    })
                    .collect()
            } else {
                Vec::new()
            };
            if spec.is_stack {
                args[1] = frames.len() as u64;
            }
            if version.family() == Family::V1 && ty.0 == 37 {
                // A v1 string's ID is never 0.
                args[0] = args[0].max(1);
            }
            for a in args.iter_mut().skip(spec.args.len()) {
                *a = 0;
            }
            let data = spec.has_data.then_some(Cow::Owned(data));
            RawEvent::new(version, ty, spec, args, RawFrames::owned(frames), data, 0)
        })
}

fn any_event() -> impl Strategy<Value = RawEvent<'static>> {
    prop::sample::select(Version::ALL.to_vec()).prop_flat_map(event)
}

/// The same event, wherever it was read from.
fn same(a: &RawEvent<'_>, b: &RawEvent<'_>) -> bool {
    a.version() == b.version()
        && a.ty() == b.ty()
        && a.args() == b.args()
        && a.data() == b.data()
        && a.frames().iter().eq(b.frames().iter())
}

/// A trace holding `ev` alone (in a batch of its own for v2).
fn trace_of(ev: &RawEvent<'_>) -> Vec<u8> {
    let mut body = Vec::new();
    ev.encode(&mut body);
    let mut out = ev.version().header().to_vec();
    match ev.version().family() {
        Family::V2 => crate::v2::write_event_batch(&mut out, 1, 0, 0, &body),
        Family::V1 => out.extend_from_slice(&body),
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn binary_round_trip(ev in any_event()) {
        let bytes = trace_of(&ev);
        let trace = Trace::parse(&bytes).unwrap();
        let events: Vec<RawEvent<'_>> = trace.raw_events().unwrap().map(Result::unwrap).collect();
        // v2: the batch header, then the event.
        let skip = usize::from(ev.version().family() == Family::V2);
        prop_assert_eq!(events.len(), skip + 1);
        prop_assert!(same(&events[skip], &ev), "{} read back as {}", ev, events[skip]);
        // And from a stream.
        let mut r = crate::StreamReader::new(&bytes[..]).unwrap();
        let mut n = 0;
        while let Some(got) = r.next_raw_event().unwrap() {
            if n == skip {
                prop_assert!(same(&got, &ev), "{} streamed back as {}", ev, got);
            }
            n += 1;
        }
        prop_assert_eq!(n, skip + 1);
    }

    #[test]
    fn text_round_trip(ev in any_event()) {
        let mut text = Vec::new();
        let mut w = TextWriter::new(&mut text, ev.version()).unwrap();
        w.write_event(&ev).unwrap();
        w.into_inner();
        let back: Vec<RawEvent<'_>> = TextReader::new(&text).unwrap().map(Result::unwrap).collect();
        prop_assert_eq!(back.len(), 1);
        prop_assert!(same(&back[0], &ev), "{} read back as {}", ev, back[0]);
    }
}
