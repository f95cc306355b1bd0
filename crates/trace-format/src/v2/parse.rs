//! The nom parsers of the v2 wire formats (Go 1.22+): batches, the events inside them, and the
//! timed events the ordering of `trace-model` reads on its hot path.
//!
//! A batch is framed by its header: `EventBatch gen m time size` (or `ExperimentalBatch exp gen
//! m time size`, Go 1.23+) and then `size` bytes, or a lone `EndOfGeneration` byte (Go 1.26+).
//! `batch` reads one in either of nom's modes; the events of its data are read from complete
//! input, the batch being framed.

use super::batch::{BatchKind, NO_M};
use super::generation::CpuSample;
use crate::event::{RawEvent, RawFrames, Trailer};
use crate::limits::Limit;
use crate::parse::{fail, field, incomplete, varint, CheckErrors, Kind, PResult, ParseError};
use crate::parse::{Span, Varint};
use crate::spec::{self, DecodeTable, EventSpec, EventType, Experiment};
use crate::spec::{MAX_BATCH_SIZE, MAX_FRAMES_PER_STACK};
use crate::version::Version;
use nom::{Err, IsStreaming, Parser};
use std::borrow::Cow;

/// A varint, in nom's mode that builds no error: the caller knows what failed and says so.
#[inline(always)]
fn checked_varint(input: Span<'_>) -> nom::PResult<CheckErrors, Span<'_>, u64, ParseError<'_>> {
    Varint.process::<CheckErrors>(input)
}

/// A batch header's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchHeader {
    pub(crate) kind: BatchKind,
    pub(crate) generation: u64,
    pub(crate) m: u64,
    pub(crate) time: u64,
}

/// The batch at the start of `input`: its header, then its data (borrowed: a span ending where
/// the data ends, at the data's first byte), refused if larger
/// than the format allows or than `max_size`, the caller's
/// [`Limits::max_batch_size`](crate::Limits::max_batch_size).
///
/// Errors are at the batch's first byte, but for a bad varint field, which is at the field. In
/// complete mode, input that ends in the header is [`Truncated`](crate::ErrorKind::Truncated) naming
/// the field, in the data [`BatchPastEnd`](crate::ErrorKind::BatchPastEnd); in streaming mode both are
/// `Incomplete`, with the bytes still missing once the header is whole.
pub(crate) fn batch<'a, S: IsStreaming>(
    version: Version,
    max_size: u64,
    input: Span<'a>,
) -> PResult<'a, (BatchHeader, Span<'a>)> {
    let Some((ty, fields)) = input.split_first() else {
        return Err(incomplete::<S>(1, input, || Kind::Truncated("batch")));
    };
    let ty = EventType(ty);
    let exists = spec::lookup(version, ty).is_some();
    let kind = match ty {
        EventType::EVENT_BATCH => BatchKind::Events,
        EventType::EXPERIMENTAL_BATCH if exists => BatchKind::Experimental(Experiment::NONE),
        EventType::END_OF_GENERATION if exists => {
            let header = BatchHeader {
                kind: BatchKind::EndOfGeneration,
                generation: 0,
                m: NO_M,
                time: 0,
            };
            return Ok((fields, (header, fields.limit(fields.position()))));
        }
        _ if exists => return Err(fail(input, Kind::ExpectedBatch(ty.0))),
        _ => {
            let version = version.minor();
            return Err(fail(input, Kind::UnknownEvent { ty: ty.0, version }));
        }
    };
    let (fields, kind) = match kind {
        BatchKind::Experimental(_) => {
            let (rest, exp) = field::<S>("experiment ID").parse(fields)?;
            let Ok(exp) = u8::try_from(exp) else {
                return Err(fail(fields, Kind::BadVarint("experiment ID")));
            };
            (rest, BatchKind::Experimental(Experiment(exp)))
        }
        kind => (fields, kind),
    };
    let (data, (generation, m, time, size)) = (
        field::<S>("batch generation"),
        field::<S>("batch M ID"),
        field::<S>("batch timestamp"),
        field::<S>("batch size"),
    )
        .parse(fields)?;
    if size > MAX_BATCH_SIZE {
        let max = MAX_BATCH_SIZE;
        return Err(fail(input, Kind::BatchTooLarge { size, max }));
    }
    if size > max_size {
        let limit = Limit::BatchSize;
        let kind = Kind::LimitExceeded {
            limit,
            value: size,
            max: max_size,
        };
        return Err(fail(input, kind));
    }
    let remaining = data.len() as u64;
    let Some((_, rest)) = data.take_split(size) else {
        return Err(incomplete::<S>(size - remaining, input, || {
            Kind::BatchPastEnd { size, remaining }
        }));
    };
    // The data, as a span of its own bytes (the batch's events are at their offsets in it).
    let data = data.limit(rest.position());
    let header = BatchHeader {
        kind,
        generation,
        m,
        time,
    };
    Ok((rest, (header, data)))
}

/// The event at the start of `input` (a batch's data, complete) decoded into `ev`: its type,
/// spec, arguments and frames or data. Its offset is the caller's.
///
/// Errors: a type `table` doesn't have is [`UnknownEvent`](crate::ErrorKind::UnknownEvent) at the
/// event; an argument, frame or data length running past the end of the input is
/// [`EventCrossesBatch`](crate::ErrorKind::EventCrossesBatch) and a malformed one
/// [`BadVarint`](crate::ErrorKind::BadVarint), at that varint; a stack deeper than the format or
/// `max_stack_depth` allows is [`StackTooDeep`](crate::ErrorKind::StackTooDeep) or
/// [`LimitExceeded`](crate::ErrorKind::LimitExceeded) at the event.
#[inline(always)]
pub(crate) fn event_into<'a>(
    version: Version,
    table: &'static DecodeTable,
    max_stack_depth: u64,
    ev: &mut RawEvent<'a>,
    input: Span<'a>,
) -> PResult<'a, ()> {
    let Some((ty, mut rest)) = input.split_first() else {
        return Err(fail(input, Kind::Truncated("event")));
    };
    let layout = table.layout[ty as usize];
    let (Some(spec), true) = (table.specs[ty as usize], layout != 0) else {
        let version = version.minor();
        return Err(fail(input, Kind::UnknownEvent { ty, version }));
    };
    let nargs = (layout & spec::LAYOUT_ARGS) as usize;
    for slot in ev.args.iter_mut().take(nargs) {
        match varint(rest) {
            Ok((r, v)) => {
                *slot = v;
                rest = r;
            }
            Err(e) => return Err(in_batch(e, rest, spec)),
        }
    }
    ev.trailer = Trailer::None;
    if layout & (spec::LAYOUT_STACK | spec::LAYOUT_DATA) != 0 {
        let (r, t) = trailer(layout, spec, ev.args[1], max_stack_depth, input, rest)?;
        ev.trailer = t;
        rest = r;
    }
    ev.spec = spec;
    ev.ty = EventType(ty);
    Ok((rest, ()))
}

/// Inside a batch, a varint cut short means the event runs past the batch's declared end.
#[cold]
#[inline(never)]
fn in_batch<'a, E>(e: Err<E, impl Sized>, at: Span<'a>, spec: &EventSpec) -> Err<ParseError<'a>> {
    let kind = match e {
        Err::Incomplete(_) => Kind::EventCrossesBatch { event: spec.name },
        _ => Kind::BadVarint("event argument"),
    };
    fail(at, kind)
}

/// The frames or data of the event at `event` (its type byte), whose arguments end at `input`.
/// `nframes` is its second argument, a stack's number of frames.
#[inline(never)]
fn trailer<'a>(
    layout: u8,
    spec: &'static EventSpec,
    nframes: u64,
    max_stack_depth: u64,
    event: Span<'a>,
    input: Span<'a>,
) -> PResult<'a, Trailer<'a>> {
    if layout & spec::LAYOUT_STACK != 0 {
        let n = nframes;
        if n > MAX_FRAMES_PER_STACK {
            let max = MAX_FRAMES_PER_STACK;
            return Err(fail(event, Kind::StackTooDeep { frames: n, max }));
        }
        if n > max_stack_depth {
            let kind = Kind::LimitExceeded {
                limit: Limit::StackDepth,
                value: n,
                max: max_stack_depth,
            };
            return Err(fail(event, kind));
        }
        let mut rest = input;
        for _ in 0..n * 4 {
            rest = match checked_varint(rest) {
                Ok((r, _)) => r,
                Err(e) => return Err(in_batch(e, rest, spec)),
            };
        }
        let t = match n {
            0 => Trailer::None,
            n => Trailer::Frames(RawFrames::encoded(input.up_to(rest), n as u32, 4)),
        };
        return Ok((rest, t));
    }
    let (data, len) = checked_varint(input).map_err(|e| in_batch(e, input, spec))?;
    let Some((data, rest)) = data.take_split(len) else {
        let kind = Kind::EventCrossesBatch { event: spec.name };
        return Err(fail(input, kind));
    };
    let t = match len {
        0 => Trailer::None,
        _ => Trailer::Data(Cow::Borrowed(data)),
    };
    Ok((rest, t))
}

/// A timed event of an M's batch after its type byte, which says how many arguments follow
/// the timestamp delta (`n_args`, at most 4 in every v2 format): the delta, returned, then the
/// arguments, in `args` (the slots past `n_args` zeroed). What the ordering of `trace-model`
/// reads for every event.
///
/// A varint that is malformed or cut short by the end of the input (the batch's end) is
/// [`BadVarint`](crate::ErrorKind::BadVarint)`("timestamp")` or `("event argument")`, at that varint.
///
/// ```
/// use trace_format::{parse::Span, v2::parse::timed_event};
/// // GoStart (type 16): dt=300, g=5, g_seq=1, then the next event.
/// let batch = [16u8, 0xac, 0x02, 5, 1, 16];
/// let mut args = [9; 4];
/// let (rest, dt) = timed_event(Span::at(&batch, 1), 2, &mut args).unwrap();
/// assert_eq!((dt, args, rest.position()), (300, [5, 1, 0, 0], 5));
/// let err = timed_event(Span::at(&batch[..4], 1), 2, &mut args).unwrap_err();
/// let nom::Err::Error(err) = err else { unreachable!() };
/// assert_eq!(err.offset(), 4);
/// ```
#[inline(always)]
pub fn timed_event<'a>(input: Span<'a>, n_args: usize, args: &mut [u64; 4]) -> PResult<'a, u64> {
    let (mut rest, dt) = match checked_varint(input) {
        Ok(x) => x,
        Err(_) => return Err(bad_timed_varint(input, input)),
    };
    *args = [0; 4];
    for i in 0..n_args {
        match checked_varint(rest) {
            Ok((r, v)) => {
                if let Some(slot) = args.get_mut(i) {
                    *slot = v;
                }
                rest = r;
            }
            Err(_) => return Err(bad_timed_varint(input, rest)),
        }
    }
    Ok((rest, dt))
}

/// The error of the varint at `at` of the timed event whose timestamp is at `input`.
#[inline(always)]
fn bad_timed_varint<'a>(input: Span<'a>, at: Span<'a>) -> Err<ParseError<'a>> {
    let what = match at.position() == input.position() {
        true => "timestamp",
        false => "event argument",
    };
    fail(at, Kind::BadVarint(what))
}

/// What the parsers of a generation's tables need to know: the trace's version (its table of
/// events) and the caller's [`Limits::max_stack_depth`](crate::Limits::max_stack_depth).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tables {
    pub(crate) version: Version,
    pub(crate) table: &'static DecodeTable,
    pub(crate) max_stack_depth: u64,
}

impl Tables {
    /// The table parsers of `version`'s format, stacks held to `max_stack_depth` frames.
    pub(crate) fn new(version: Version, max_stack_depth: u64) -> Tables {
        Tables {
            version,
            table: spec::decode_table(version),
            max_stack_depth,
        }
    }
}

/// A sync batch's entry: the `Frequency` (ticks per second) or, from Go 1.25 on, the
/// `ClockSnapshot` (its timestamp delta and the monotonic and wall clock readings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyncEntry {
    Frequency(u64),
    ClockSnapshot {
        dt: u64,
        mono: u64,
        sec: u64,
        nsec: u64,
    },
}

/// A string table entry, `String id len data`: the ID and the bytes (borrowed from the input).
///
/// Errors, all at the entry's first byte but for a varint's, which are at the varint: another
/// event is [`UnexpectedEvent`](crate::ErrorKind::UnexpectedEvent) (once it decodes: an event
/// that doesn't is that error); data past the end of the batch is
/// [`EventCrossesBatch`](crate::ErrorKind::EventCrossesBatch), data longer than Go's
/// `maxStringSize` [`DataTooLong`](crate::ErrorKind::DataTooLong).
pub(crate) fn string_entry<'a>(t: &Tables, input: Span<'a>) -> PResult<'a, (u64, &'a [u8])> {
    let (rest, ([id], trailer)) = entry(t, EventType::STRING, "String", "strings", input)?;
    let data = match trailer {
        Trailer::Data(Cow::Borrowed(d)) => d,
        _ => &[],
    };
    let len = data.len() as u64;
    if len > spec::MAX_STRING_LEN {
        let max = spec::MAX_STRING_LEN;
        return Err(fail(input, Kind::DataTooLong { len, max }));
    }
    Ok((rest, (id, data)))
}

/// A stack table entry, `Stack id nframes` and `nframes` frames of `pc func file line`: the ID
/// and the frames (borrowed, decoded as they are walked).
///
/// Errors as [`string_entry`]'s; a stack deeper than the format or
/// [`Tables::max_stack_depth`] allows is [`StackTooDeep`](crate::ErrorKind::StackTooDeep) or
/// [`LimitExceeded`](crate::ErrorKind::LimitExceeded) at the entry.
pub(crate) fn stack_entry<'a>(t: &Tables, input: Span<'a>) -> PResult<'a, (u64, RawFrames<'a>)> {
    let (rest, ([id, _], trailer)) = entry(t, EventType::STACK, "Stack", "stacks", input)?;
    let frames = match trailer {
        Trailer::Frames(f) => f,
        _ => RawFrames::NONE,
    };
    Ok((rest, (id, frames)))
}

/// A CPU sample table entry, `CPUSample time m p g stack`. Errors as [`string_entry`]'s.
pub(crate) fn cpu_sample<'a>(t: &Tables, input: Span<'a>) -> PResult<'a, CpuSample> {
    let want = EventType::CPU_SAMPLE;
    let (rest, ([time, m, p, g, stack], _)) = entry(t, want, "CPUSample", "CPU samples", input)?;
    Ok((
        rest,
        CpuSample {
            time,
            m,
            p,
            g,
            stack,
        },
    ))
}

/// A sync batch's entry: `Frequency freq`, or from Go 1.25 on `ClockSnapshot dt mono sec
/// nsec`. Errors as [`string_entry`]'s.
pub(crate) fn sync_entry<'a>(t: &Tables, input: Span<'a>) -> PResult<'a, SyncEntry> {
    let (expected, batch) = ("Frequency or ClockSnapshot", "sync");
    match input.split_first() {
        Some((ty, _)) if ty == EventType::CLOCK_SNAPSHOT.0 && t.version >= Version::Go1_25 => {
            let ty = EventType::CLOCK_SNAPSHOT;
            let (rest, ([dt, mono, sec, nsec], _)) = entry(t, ty, expected, batch, input)?;
            Ok((
                rest,
                SyncEntry::ClockSnapshot {
                    dt,
                    mono,
                    sec,
                    nsec,
                },
            ))
        }
        _ => {
            let ty = EventType::FREQUENCY;
            let (rest, ([freq], _)) = entry(t, ty, expected, batch, input)?;
            Ok((rest, SyncEntry::Frequency(freq)))
        }
    }
}

/// A table entry of type `want`, whose `N` arguments (all its spec has) and trailer are
/// returned; what else the input starts with is refused as `expected` in a `batch` batch.
#[inline]
fn entry<'a, const N: usize>(
    t: &Tables,
    want: EventType,
    expected: &'static str,
    batch: &'static str,
    input: Span<'a>,
) -> PResult<'a, ([u64; N], Trailer<'a>)> {
    let i = want.0 as usize;
    let (layout, spec) = match (
        input.split_first(),
        t.table.layout.get(i),
        t.table.specs.get(i),
    ) {
        (Some((ty, _)), Some(&layout), Some(&Some(spec))) if ty == want.0 && layout != 0 => {
            (layout, spec)
        }
        _ => return Err(not_entry(t, expected, batch, input)),
    };
    let mut rest = Span::at(input.bytes(), input.position() + 1);
    let mut args = [0; N];
    for slot in &mut args {
        let (r, v) = checked_varint(rest).map_err(|e| in_batch(e, rest, spec))?;
        *slot = v;
        rest = r;
    }
    let mut t_out = Trailer::None;
    if layout & (spec::LAYOUT_STACK | spec::LAYOUT_DATA) != 0 {
        let nframes = args.get(1).copied().unwrap_or(0);
        let (r, tr) = trailer(layout, spec, nframes, t.max_stack_depth, input, rest)?;
        t_out = tr;
        rest = r;
    }
    Ok((rest, (args, t_out)))
}

/// The error of an entry that isn't one of the table's: the event's own, if it doesn't decode
/// (as Go's reader, which decodes it first), or that it doesn't belong.
#[cold]
#[inline(never)]
fn not_entry<'a>(
    t: &Tables,
    expected: &'static str,
    batch: &'static str,
    input: Span<'a>,
) -> Err<ParseError<'a>> {
    let mut ev = RawEvent::empty(t.version);
    if let Err(e) = event_into(t.version, t.table, t.max_stack_depth, &mut ev, input) {
        return e;
    }
    let got = ev.ty.0;
    fail(
        input,
        Kind::UnexpectedEvent {
            expected,
            batch,
            got,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::to_error;
    use crate::Trace;

    /// The entries of a real trace's table batches, read with the table parsers, are the
    /// events the batch reader decodes; an event of another table is refused at its offset.
    #[test]
    fn table_entries_of_a_real_trace() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/traces/go1.25.5/chan.trace"
        );
        let bytes = std::fs::read(path).unwrap();
        let trace = Trace::parse(&bytes).unwrap();
        let t = Tables::new(trace.version(), 128);
        let (mut strings, mut stacks, mut syncs) = (0, 0, 0);
        for b in trace.batches().unwrap() {
            let b = b.unwrap();
            let first = b.first_event_type();
            let events: Vec<_> = b.events().map(Result::unwrap).collect();
            let tables = [EventType::STRINGS, EventType::STACKS, EventType::SYNC];
            if !first.is_some_and(|f| tables.contains(&f)) {
                continue;
            }
            let mut input = Span::at(b.data(), 1);
            for ev in events.iter().skip(1) {
                assert_eq!(input.position() as u64 + b.data_offset(), ev.offset());
                input = match first {
                    Some(EventType::STRINGS) => {
                        let (rest, (id, data)) = string_entry(&t, input).unwrap();
                        assert_eq!((id, Some(data)), (ev.args()[0], ev.borrowed_data()));
                        strings += 1;
                        rest
                    }
                    Some(EventType::STACKS) => {
                        let (rest, (id, frames)) = stack_entry(&t, input).unwrap();
                        assert_eq!(id, ev.args()[0]);
                        assert!(frames.iter().eq(ev.frames().iter()));
                        stacks += 1;
                        rest
                    }
                    Some(EventType::SYNC) => {
                        let (rest, e) = sync_entry(&t, input).unwrap();
                        let a = ev.args();
                        let want = match ev.ty() {
                            EventType::FREQUENCY => SyncEntry::Frequency(a[0]),
                            _ => SyncEntry::ClockSnapshot {
                                dt: a[0],
                                mono: a[1],
                                sec: a[2],
                                nsec: a[3],
                            },
                        };
                        assert_eq!(e, want);
                        syncs += 1;
                        rest
                    }
                    _ => unreachable!(),
                };
            }
            if matches!(first, Some(EventType::STRINGS | EventType::STACKS)) {
                assert!(input.is_empty());
                // A string or stack is not a CPU sample.
                let at = Span::at(b.data(), 1);
                let e = cpu_sample(&t, at).unwrap_err();
                let e = to_error(e, at, b.data_offset());
                assert_eq!(e.offset(), b.data_offset() + 1);
                assert!(
                    e.to_string()
                        .contains("expected CPUSample event in CPU samples batch"),
                    "{e}"
                );
            }
        }
        assert!(
            strings > 10 && stacks > 10 && syncs >= 2,
            "{strings} {stacks} {syncs}"
        );
    }
}
