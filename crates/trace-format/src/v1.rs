//! The v1 wire formats: Go 1.5 to 1.21 (headers `go 1.5`, `1.7`, `1.8`, `1.9`, `1.10`, `1.11`,
//! `1.19`, `1.21`).
//!
//! A v1 trace is a flat sequence of records after the header. Each starts with a byte holding the
//! event type in its low 6 bits and, in its top 2, either how many varint arguments follow beyond
//! the first (beyond the first two in Go 1.5, whose events also carry a sequence-number delta), or
//! 3, meaning a varint byte length precedes the arguments. `Batch` records switch the P the
//! following events belong to; there are no batch sizes. String records (Go 1.7+) are
//! `id, len, bytes`; `UserLog` (Go 1.11+) has its message inline after its arguments; stacks are
//! `id, n` and then `n` frames of four varints (pc, func, file, line), or of one (the PC) in Go 1.5.
//!
//! [`Records`] yields every record, string records included, as a [`RawEvent`]; Go 1.21's own
//! `readTrace` reads the same records (it keeps strings apart from its event list).

use crate::error::{Error, ErrorKind, Result};
use crate::event::{RawEvent, RawFrames, Trailer};
use crate::hash::IdSet;
use crate::limits::{Limit, Limits};
use crate::parse::{
    fail, field, incomplete, to_error, varint, CheckErrors, Kind, PResult, Span, Varint,
};
use crate::spec::{self, DecodeTable, EventType, MAX_ARGS, MAX_V1_FRAMES, MAX_V1_STRING_LEN};
use crate::version::{Version, HEADER_LEN};
use nom::{Complete, Err, IsStreaming, Needed, Parser};
use std::borrow::Cow;

/// The type of v1 string records.
pub(crate) const STRING: u8 = 37;
/// The type of v1 `UserLog`, whose message follows its arguments.
const USER_LOG: u8 = 48;
/// The type of v1 `Batch`.
pub const BATCH: EventType = EventType(1);

/// The longest record a stream is made to hold: no record the runtime writes comes near it
/// (a stack of 1000 frames takes at most 40 kB), so a longer length is refused before its bytes
/// are waited for.
pub(crate) const MAX_STREAMED_RECORD: u64 = MAX_V1_STRING_LEN * 8;

/// Decodes the record at `buf[start..]` into `ev`; returns the position after it.
///
/// `base` is the trace offset of `buf[0]`. Shared by the in-memory and the streaming readers.
pub(crate) fn decode_record<'a>(
    version: Version,
    table: &'static DecodeTable,
    buf: &'a [u8],
    start: usize,
    base: u64,
    ev: &mut RawEvent<'a>,
) -> Result<usize> {
    ev.offset = base + start as u64;
    let input = Span::at(buf, start);
    match record::<Complete>(version, table, u64::MAX, ev, input) {
        Ok((rest, ())) => Ok(rest.position()),
        Err(e) => Err(to_error(e, input, base)),
    }
}

/// The record at `input` decoded into `ev` (all but its offset), in either of nom's modes.
///
/// Over complete input, every error is what Go 1.21's parser says of the record, at the
/// record's first byte but for a varint that is cut short or malformed (at the varint) and
/// string or log data cut short (at the data). In streaming mode input that ends too soon is
/// `Incomplete`, with the bytes missing. Arguments longer than `max_len` bytes are refused
/// ([`BadVarint`](crate::ErrorKind::BadVarint)`("event length")` at the record) before they are
/// read: a stream passes [`MAX_STREAMED_RECORD`], so as not to wait for them.
pub(crate) fn record<'a, S: IsStreaming>(
    version: Version,
    table: &'static DecodeTable,
    max_len: u64,
    ev: &mut RawEvent<'a>,
    input: Span<'a>,
) -> PResult<'a, ()> {
    let mut arg = field::<S>("event argument");
    let Some((b, mut pos)) = input.split_first() else {
        return Err(incomplete::<S>(1, input, || Kind::Truncated("event")));
    };
    let (ty, c) = (b & 0x3f, b >> 6);
    let Some(spec) = table.specs[ty as usize] else {
        let version = version.minor();
        return Err(fail(input, Kind::UnknownEvent { ty, version }));
    };
    ev.spec = spec;
    ev.ty = EventType(ty);
    ev.trailer = Trailer::None;

    if ty == STRING {
        let (p, (id, len)) = (arg, arg).parse(pos)?;
        if id == 0 {
            return Err(fail(input, Kind::InvalidString("invalid id 0")));
        }
        if len == 0 {
            return Err(fail(input, Kind::InvalidString("invalid length 0")));
        }
        if len > MAX_V1_STRING_LEN {
            let max = MAX_V1_STRING_LEN;
            return Err(fail(input, Kind::DataTooLong { len, max }));
        }
        let Some((data, rest)) = p.take_split(len) else {
            let missing = len - p.len() as u64;
            return Err(incomplete::<S>(missing, p, || {
                Kind::Truncated("string data")
            }));
        };
        ev.args[0] = id;
        ev.trailer = Trailer::Data(Cow::Borrowed(data));
        return Ok((rest, ()));
    }

    // The argument bytes: a fixed count inline, or exactly `len` bytes after a length. Each is
    // read once: the first values kept, and where the two a stack begins with end.
    let mut vals = [0u64; MAX_ARGS];
    let mut keep = |i: usize, v: u64| {
        if let Some(slot) = vals.get_mut(i) {
            *slot = v;
        }
    };
    let mut frames_at = pos;
    let (region_end, count) = if c < 3 {
        let n = c as usize + if version == Version::Go1_5 { 2 } else { 1 };
        for i in 0..n {
            let (next, v) = arg.parse(pos)?;
            keep(i, v);
            pos = next;
            if i == 1 {
                frames_at = pos;
            }
        }
        (pos, n)
    } else {
        let (p, len) = arg.parse(pos)?;
        if len > max_len {
            return Err(fail(input, Kind::BadVarint("event length")));
        }
        let Some((_, end)) = p.take_split(len) else {
            let missing = len - p.len() as u64;
            return Err(incomplete::<S>(missing, p, || {
                Kind::Truncated("event arguments")
            }));
        };
        let (mut q, mut n) = (p.limit(end.position()), 0usize);
        while !q.is_empty() {
            q = match Varint.process::<CheckErrors>(q) {
                Ok((next, v)) => {
                    keep(n, v);
                    next
                }
                Err(Err::Incomplete(_)) => {
                    // The last argument runs past the declared length.
                    let got = (q.position() - p.position()) as u64 + 1;
                    return Err(fail(input, Kind::WrongLength { want: len, got }));
                }
                Err(_) => return Err(fail(q, Kind::BadVarint("event argument"))),
            };
            n += 1;
            if n == 2 {
                frames_at = q;
            }
        }
        (end, n)
    };

    if spec.is_stack {
        if count < 2 {
            let kind = Kind::ArgCount {
                event: spec.name,
                want: 2,
                got: count,
            };
            return Err(fail(input, kind));
        }
        ev.args = vals;
        let frames = ev.args[1];
        let width: u8 = if version == Version::Go1_5 { 1 } else { 4 };
        if frames > MAX_V1_FRAMES {
            let max = MAX_V1_FRAMES;
            return Err(fail(input, Kind::StackTooDeep { frames, max }));
        }
        let want = 2 + frames as usize * width as usize;
        if count != want {
            let kind = Kind::ArgCount {
                event: spec.name,
                want,
                got: count,
            };
            return Err(fail(input, kind));
        }
        if frames > 0 {
            let f = RawFrames::encoded(frames_at.up_to(region_end), frames as u32, width);
            ev.trailer = Trailer::Frames(f);
        }
        return Ok((region_end, ()));
    }
    let nargs = spec.args.len();
    if count != nargs {
        let kind = Kind::ArgCount {
            event: spec.name,
            want: nargs,
            got: count,
        };
        return Err(fail(input, kind));
    }
    ev.args = vals;
    let mut pos = region_end;

    if ty == USER_LOG {
        let (p, len) = arg.parse(pos)?;
        if len > MAX_V1_STRING_LEN {
            let max = MAX_V1_STRING_LEN;
            return Err(fail(pos, Kind::DataTooLong { len, max }));
        }
        let Some((data, rest)) = p.take_split(len) else {
            let missing = len - p.len() as u64;
            return Err(incomplete::<S>(missing, p, || {
                Kind::Truncated("log message")
            }));
        };
        if len > 0 {
            ev.trailer = Trailer::Data(Cow::Borrowed(data));
        }
        pos = rest;
    }
    Ok((pos, ()))
}

/// Every record of a v1 trace in file order, string records included. It ends after the first
/// error. A repeated string ID is an error, as in Go.
#[derive(Debug, Clone)]
pub struct Records<'a> {
    version: Version,
    table: &'static DecodeTable,
    input: &'a [u8],
    pos: usize,
    event: RawEvent<'a>,
    seen: Seen,
}

impl<'a> Records<'a> {
    /// Records of `input`, a whole trace (header included) of a v1 `version`.
    pub(crate) fn new(version: Version, input: &'a [u8], limits: Limits) -> Records<'a> {
        Records {
            version,
            table: spec::decode_table(version),
            input,
            pos: HEADER_LEN.min(input.len()),
            event: RawEvent::empty(version),
            seen: Seen::new(limits),
        }
    }

    /// Byte offset of the next record.
    pub fn offset(&self) -> u64 {
        self.pos as u64
    }

    /// The next record by reference, decoded in place.
    pub fn next_event(&mut self) -> Result<Option<&RawEvent<'a>>> {
        self.next_in_place().transpose()
    }

    #[inline]
    pub(crate) fn next_in_place(&mut self) -> Option<Result<&RawEvent<'a>>> {
        if self.pos >= self.input.len() {
            return None;
        }
        let start = self.pos;
        match decode_record(
            self.version,
            self.table,
            self.input,
            start,
            0,
            &mut self.event,
        ) {
            Ok(end) => {
                self.pos = end;
                if let Err(e) = self.seen.record(&self.event) {
                    self.pos = self.input.len();
                    return Some(Err(e));
                }
                Some(Ok(&self.event))
            }
            Err(e) => {
                self.pos = self.input.len();
                Some(Err(e))
            }
        }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<RawEvent<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_in_place().map(|r| r.cloned())
    }
}

/// What the v1 readers track across records: the string IDs, since Go refuses a repeat, and how
/// many strings and stacks the trace has held so far, against the caller's limits. A v1 trace
/// is one generation.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    limits: Limits,
    strings: IdSet<u64>,
    stacks: u64,
}

impl Seen {
    pub(crate) fn new(limits: Limits) -> Seen {
        Seen {
            limits,
            strings: IdSet::default(),
            stacks: 0,
        }
    }

    /// Checks a record just decoded.
    pub(crate) fn record(&mut self, ev: &RawEvent<'_>) -> Result<()> {
        let at = ev.offset;
        if ev.ty.0 == STRING {
            let id = ev.args[0];
            let n = self.strings.len() as u64 + 1;
            self.limits.check(Limit::StringsPerGeneration, n, at)?;
            if !self.strings.insert(id) {
                return Err(Error::new(ErrorKind::DuplicateString(id), at));
            }
        } else if ev.spec.is_stack {
            let depth = ev.args[1];
            self.limits.check(Limit::StackDepth, depth, at)?;
            let n = self.stacks + 1;
            self.limits.check(Limit::StacksPerGeneration, n, at)?;
            self.stacks += 1;
        }
        Ok(())
    }
}

/// Length of the v1 record at the start of `buf`, if `buf` holds all of it; `Ok(None)` if more
/// bytes are needed. Used by the streaming reader to frame records without decoding them.
pub(crate) fn record_len(version: Version, buf: &[u8]) -> std::result::Result<Option<usize>, ()> {
    match frame(version, Span::new(buf)) {
        Ok((rest, ())) => Ok(Some(rest.position())),
        Err(Err::Incomplete(_)) => Ok(None),
        Err(_) => Err(()),
    }
}

/// The v1 record at `input`, skipped, not decoded (a streaming parser): `Incomplete` until all
/// of it is there; an error for a varint that overflows, or a length no record the runtime
/// writes has, refused before its bytes are waited for.
fn frame<'a>(version: Version, input: Span<'a>) -> PResult<'a, ()> {
    let too_long = |at| Err(fail(at, Kind::BadVarint("event length")));
    let Some((b, mut pos)) = input.split_first() else {
        return Err(Err::Incomplete(Needed::new(1)));
    };
    let (ty, c) = (b & 0x3f, b >> 6);
    let skip = |at: Span<'a>, len: u64| match at.take_split(len) {
        Some((_, rest)) => Ok(rest),
        None => Err(Err::Incomplete(Needed::new(
            (len - at.len() as u64) as usize,
        ))),
    };
    if ty == STRING {
        let (p, (_, len)) = (varint, varint).parse(pos)?;
        if len > MAX_V1_STRING_LEN {
            return too_long(input);
        }
        return Ok((skip(p, len)?, ()));
    }
    if c < 3 {
        let n = c as usize + if version == Version::Go1_5 { 2 } else { 1 };
        for _ in 0..n {
            pos = varint(pos)?.0;
        }
    } else {
        let (p, len) = varint(pos)?;
        if len > MAX_STREAMED_RECORD {
            return too_long(input);
        }
        pos = skip(p, len)?;
    }
    if ty == USER_LOG {
        let (p, len) = varint(pos)?;
        if len > MAX_V1_STRING_LEN {
            return too_long(input);
        }
        pos = skip(p, len)?;
    }
    Ok((pos, ()))
}
