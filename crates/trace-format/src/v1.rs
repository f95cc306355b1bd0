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
use crate::spec::{self, DecodeTable, EventType, MAX_ARGS, MAX_V1_FRAMES, MAX_V1_STRING_LEN};
use crate::varint::{self, VarintError};
use crate::version::{Version, HEADER_LEN};
use std::borrow::Cow;

/// The type of v1 string records.
pub(crate) const STRING: u8 = 37;
/// The type of v1 `UserLog`, whose message follows its arguments.
const USER_LOG: u8 = 48;
/// The type of v1 `Batch`.
pub const BATCH: EventType = EventType(1);

fn varint_kind(e: VarintError) -> ErrorKind {
    match e {
        VarintError::Truncated => ErrorKind::Truncated("event argument"),
        VarintError::Overflow => ErrorKind::BadVarint("event argument"),
    }
}

/// Reads a varint at `pos` of `buf`, whose first byte is at trace offset `base`.
fn read(buf: &[u8], pos: usize, base: u64) -> Result<(u64, usize)> {
    varint::read(buf, pos).map_err(|e| Error::new(varint_kind(e), base + pos as u64))
}

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
    let at = |pos: usize| base + pos as u64;
    let Some(&b) = buf.get(start) else {
        return Err(Error::new(ErrorKind::Truncated("event"), at(start)));
    };
    let (ty, c) = (b & 0x3f, b >> 6);
    let Some(spec) = table.specs[ty as usize] else {
        let kind = ErrorKind::UnknownEvent {
            ty,
            version: version.minor(),
        };
        return Err(Error::new(kind, at(start)));
    };
    ev.spec = spec;
    ev.ty = EventType(ty);
    ev.offset = at(start);
    ev.trailer = Trailer::None;
    let mut pos = start + 1;

    if ty == STRING {
        let (id, p) = read(buf, pos, base)?;
        let (len, p) = read(buf, p, base)?;
        let bad = |what| Err(Error::new(ErrorKind::InvalidString(what), at(start)));
        if id == 0 {
            return bad("invalid id 0");
        }
        if len == 0 {
            return bad("invalid length 0");
        }
        if len > MAX_V1_STRING_LEN {
            let kind = ErrorKind::DataTooLong {
                len,
                max: MAX_V1_STRING_LEN,
            };
            return Err(Error::new(kind, at(start)));
        }
        if len > (buf.len() - p) as u64 {
            return Err(Error::new(ErrorKind::Truncated("string data"), at(p)));
        }
        let end = p + len as usize;
        ev.args[0] = id;
        ev.trailer = Trailer::Data(Cow::Borrowed(&buf[p..end]));
        return Ok(end);
    }

    // The argument bytes: a fixed count inline, or exactly `len` bytes after a length.
    let (region_start, region_end, count) = if c < 3 {
        let n = c as usize + if version == Version::Go1_5 { 2 } else { 1 };
        let s = pos;
        for _ in 0..n {
            pos = read(buf, pos, base)?.1;
        }
        (s, pos, n)
    } else {
        let (len, p) = read(buf, pos, base)?;
        if len > (buf.len() - p) as u64 {
            return Err(Error::new(ErrorKind::Truncated("event arguments"), at(p)));
        }
        let end = p + len as usize;
        let region = &buf[..end];
        let (mut q, mut n) = (p, 0usize);
        while q < end {
            q = match varint::read(region, q) {
                Ok((_, next)) => next,
                Err(VarintError::Truncated) => {
                    // The last argument runs past the declared length.
                    let got = (q - p) as u64 + 1;
                    let kind = ErrorKind::WrongLength { want: len, got };
                    return Err(Error::new(kind, at(start)));
                }
                Err(e) => return Err(Error::new(varint_kind(e), at(q))),
            };
            n += 1;
        }
        (p, end, n)
    };

    let nargs = spec.args.len();
    let mut p = region_start;
    if spec.is_stack {
        if count < 2 {
            let kind = ErrorKind::ArgCount {
                event: spec.name,
                want: 2,
                got: count,
            };
            return Err(Error::new(kind, at(start)));
        }
        for slot in ev.args.iter_mut().take(2) {
            (*slot, p) = read(buf, p, base)?;
        }
        let frames = ev.args[1];
        let width: u8 = if version == Version::Go1_5 { 1 } else { 4 };
        if frames > MAX_V1_FRAMES {
            let kind = ErrorKind::StackTooDeep {
                frames,
                max: MAX_V1_FRAMES,
            };
            return Err(Error::new(kind, at(start)));
        }
        let want = 2 + frames as usize * width as usize;
        if count != want {
            let kind = ErrorKind::ArgCount {
                event: spec.name,
                want,
                got: count,
            };
            return Err(Error::new(kind, at(start)));
        }
        if frames > 0 {
            let f = RawFrames::encoded(&buf[p..region_end], frames as u32, width);
            ev.trailer = Trailer::Frames(f);
        }
        return Ok(region_end);
    }
    if count != nargs {
        let kind = ErrorKind::ArgCount {
            event: spec.name,
            want: nargs,
            got: count,
        };
        return Err(Error::new(kind, at(start)));
    }
    for slot in ev.args.iter_mut().take(nargs.min(MAX_ARGS)) {
        (*slot, p) = read(buf, p, base)?;
    }
    pos = region_end;

    if ty == USER_LOG {
        let (len, p) = read(buf, pos, base)?;
        if len > MAX_V1_STRING_LEN {
            let kind = ErrorKind::DataTooLong {
                len,
                max: MAX_V1_STRING_LEN,
            };
            return Err(Error::new(kind, at(pos)));
        }
        if len > (buf.len() - p) as u64 {
            return Err(Error::new(ErrorKind::Truncated("log message"), at(p)));
        }
        let end = p + len as usize;
        if len > 0 {
            ev.trailer = Trailer::Data(Cow::Borrowed(&buf[p..end]));
        }
        pos = end;
    }
    Ok(pos)
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
    let Some(&b) = buf.first() else {
        return Ok(None);
    };
    let (ty, c) = (b & 0x3f, b >> 6);
    let need = |r: std::result::Result<(u64, usize), VarintError>| match r {
        Ok(x) => Ok(Some(x)),
        Err(VarintError::Truncated) => Ok(None),
        Err(VarintError::Overflow) => Err(()),
    };
    let mut pos = 1;
    if ty == STRING {
        let Some((_, p)) = need(varint::read(buf, pos))? else {
            return Ok(None);
        };
        let Some((len, p)) = need(varint::read(buf, p))? else {
            return Ok(None);
        };
        if len > MAX_V1_STRING_LEN {
            return Err(());
        }
        let end = p + len as usize;
        return Ok((end <= buf.len()).then_some(end));
    }
    if c < 3 {
        let n = c as usize + if version == Version::Go1_5 { 2 } else { 1 };
        for _ in 0..n {
            let Some((_, p)) = need(varint::read(buf, pos))? else {
                return Ok(None);
            };
            pos = p;
        }
    } else {
        let Some((len, p)) = need(varint::read(buf, pos))? else {
            return Ok(None);
        };
        // No record the runtime writes is this long; refuse before buffering it.
        if len > MAX_V1_STRING_LEN * 8 {
            return Err(());
        }
        pos = p + len as usize;
    }
    if ty == USER_LOG {
        if pos > buf.len() {
            return Ok(None);
        }
        let Some((len, p)) = need(varint::read(buf, pos))? else {
            return Ok(None);
        };
        if len > MAX_V1_STRING_LEN {
            return Err(());
        }
        pos = p + len as usize;
    }
    Ok((pos <= buf.len()).then_some(pos))
}
