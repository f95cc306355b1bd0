//! A v2 trace as Go's raw reader (`internal/trace/raw`, behind `go tool trace -d=wire` and
//! `-d=footprint`) reads it: one stream of events, batch headers among them, each read by its
//! type's spec alone. Batch sizes are not looked at, so an event may run past its batch; and
//! the end of the input where an argument, a frame or a data byte would begin is the end of
//! the trace, not an error (Go's reader then returns `io.EOF`, which its tools take for the
//! end). The end of the input inside a varint, a varint of more than 64 bits, or a type byte
//! outside the version's table are errors.
//!
//! The [`crate::v2`] readers, which follow batch sizes and find a cut batch, agree with this on
//! every trace Go writes; on a damaged one, this gives what Go's tools give.

use crate::error::{Error, ErrorKind, Result};
use crate::limits::{Limit, Limits};
use crate::spec::{self, EventSpec, EventType};
use crate::varint;
use crate::version::{Version, HEADER_LEN};
use std::io::{self, BufRead, BufReader, Read};

/// Reads events one after another from a stream positioned just past the header.
pub(crate) struct Flat<R> {
    r: BufReader<R>,
    version: Version,
    specs: &'static [EventSpec],
    /// Byte offset of the next byte.
    offset: u64,
    limits: Limits,
}

/// What reading one varint gave.
enum Varint {
    Value(u64),
    /// The input ended before its first byte: the end of the trace, for Go's tools.
    End,
}

impl<R: Read> Flat<R> {
    pub(crate) fn new(r: R, version: Version, limits: Limits) -> Flat<R> {
        Flat {
            r: BufReader::with_capacity(64 << 10, r),
            version,
            specs: spec::specs(version),
            offset: HEADER_LEN as u64,
            limits,
        }
    }

    fn byte(&mut self) -> Result<Option<u8>> {
        let b = loop {
            match self.r.fill_buf() {
                Ok([]) => return Ok(None),
                Ok(b) => break b[0],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(e, self.offset)),
            }
        };
        self.r.consume(1);
        self.offset += 1;
        let max = self.limits.max_total_bytes;
        self.limits.check(Limit::TotalBytes, self.offset, max)?;
        Ok(Some(b))
    }

    /// Go's `binary.ReadUvarint`.
    fn varint(&mut self, what: &'static str) -> Result<Varint> {
        let mut x = 0u64;
        for i in 0..10u32 {
            let at = self.offset;
            let Some(b) = self.byte()? else {
                if i == 0 {
                    return Ok(Varint::End);
                }
                return Err(Error::new(ErrorKind::Truncated(what), at));
            };
            if b < 0x80 {
                if i == 9 && b > 1 {
                    break;
                }
                return Ok(Varint::Value(x | u64::from(b) << (7 * i)));
            }
            x |= u64::from(b & 0x7f) << (7 * i);
        }
        Err(Error::new(ErrorKind::BadVarint(what), self.offset))
    }

    /// The next event's type and the bytes of its canonical encoding (Go's
    /// `Event.EncodedSize`: minimal varints); `None` at the end of the trace.
    pub(crate) fn next(&mut self) -> Result<Option<(EventType, u64)>> {
        let at = self.offset;
        let Some(ty) = self.byte()? else {
            return Ok(None);
        };
        let spec = match self.specs.get(usize::from(ty)) {
            Some(s) if ty != 0 => s,
            _ => {
                let version = self.version.minor();
                let kind = ErrorKind::UnknownEvent { ty, version };
                return Err(Error::new(kind, at));
            }
        };
        let mut size = 1u64;
        let mut args = [0u64; 4];
        for i in 0..spec.args.len() {
            let Varint::Value(v) = self.varint("event argument")? else {
                return Ok(None);
            };
            if let Some(a) = args.get_mut(i) {
                *a = v;
            }
            size = size.saturating_add(varint::encoded_len(v) as u64);
        }
        let ty = EventType(ty);
        // Go checks neither; a caller's tighter limits are kept.
        let defaults = Limits::default();
        if ty == EventType::EVENT_BATCH && self.limits.max_batch_size < defaults.max_batch_size {
            self.limits.check(Limit::BatchSize, args[3], at)?;
        }
        if spec.is_stack {
            let frames = args[1];
            if self.limits.max_stack_depth < defaults.max_stack_depth {
                self.limits.check(Limit::StackDepth, frames, at)?;
            }
            // Bounded by the input: every frame takes at least four bytes.
            for _ in 0..frames.saturating_mul(4) {
                let Varint::Value(v) = self.varint("stack frame")? else {
                    return Ok(None);
                };
                size = size.saturating_add(varint::encoded_len(v) as u64);
            }
        }
        if spec.has_data {
            let Varint::Value(len) = self.varint("data length")? else {
                return Ok(None);
            };
            // Go reads `int(len)` bytes: none when that is negative.
            let len = if len > i64::MAX as u64 { 0 } else { len };
            if !self.skip(len)? {
                return Ok(None);
            }
            size = size
                .saturating_add(varint::encoded_len(len) as u64)
                .saturating_add(len);
        }
        Ok(Some((ty, size)))
    }

    /// Skips `n` bytes; `false` if the input ends first.
    fn skip(&mut self, mut n: u64) -> Result<bool> {
        while n > 0 {
            let avail = loop {
                match self.r.fill_buf() {
                    Ok(b) => break b.len(),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(Error::io(e, self.offset)),
                }
            };
            if avail == 0 {
                return Ok(false);
            }
            let take = avail.min(usize::try_from(n).unwrap_or(usize::MAX));
            self.r.consume(take);
            self.offset += take as u64;
            n -= take as u64;
            let max = self.limits.max_total_bytes;
            self.limits.check(Limit::TotalBytes, self.offset, max)?;
        }
        Ok(true)
    }

    /// Bytes read so far, header included.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }
}
