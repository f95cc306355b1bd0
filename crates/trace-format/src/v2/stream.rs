//! Reading a trace from any [`std::io::Read`], holding one batch, one generation or one event at
//! a time.

use super::batch::{Batch, Batches};
use super::generation::{Generation, Generations};
use crate::error::{Error, ErrorKind, Result};
use crate::event::RawEvent;
use crate::limits::{Limit, Limits};
use crate::spec::{self, EventType, MAX_BATCH_SIZE};
use crate::v1;
use crate::version::{Family, Version, HEADER_LEN};
use std::io::{self, BufRead, BufReader, Read};

/// A trace read from a stream. Memory is bounded by the largest generation (with
/// [`next_generation`](Self::next_generation)), one batch (with [`next_batch`](Self::next_batch))
/// or one event (with [`next_raw_event`](Self::next_raw_event)), never the whole trace. Errors
/// carry absolute byte offsets in the stream.
///
/// Batches and generations exist in v2 traces (Go 1.22+) only; raw events in every version.
///
/// ```no_run
/// # fn main() -> Result<(), trace_format::Error> {
/// let file = std::fs::File::open("trace.out")?;
/// let mut reader = trace_format::StreamReader::new(file)?;
/// while let Some(generation) = reader.next_generation()? {
///     println!("generation {}: {} M batches", generation.number(), generation.batches().len());
/// }
/// # Ok(()) }
/// ```
pub struct StreamReader<R> {
    r: BufReader<R>,
    version: Version,
    /// Absolute offset of the next byte `r` yields.
    offset: u64,
    /// Bytes read but not yet handed out or dropped: a batch, or a generation and a spilled batch.
    buf: Vec<u8>,
    /// Absolute offset of `buf[0]`.
    buf_offset: u64,
    /// Bytes at the start of `buf` handed out last time, dropped on the next call.
    consumed: usize,
    pending_err: Option<Error>,
    done: bool,
    /// v2 raw events: position in the current batch's data of the next event and the data's
    /// length, once the batch header has been handed out.
    batch_pos: Option<(usize, usize)>,
    /// v1 raw events: string IDs and stack counts, checked as Go and the limits require.
    seen: v1::Seen,
    limits: Limits,
    /// Generations are read as [`Generations::salvage`] reads them.
    salvage: bool,
    /// Salvage: a broken generation has been handed out, the last.
    salvaged: bool,
}

impl<R> std::fmt::Debug for StreamReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamReader")
            .field("version", &self.version)
            .field("offset", &self.offset)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<R: Read> StreamReader<R> {
    /// Reads the header.
    pub fn new(r: R) -> Result<StreamReader<R>> {
        Self::with_limits(r, Limits::default())
    }

    /// Reads the header; everything after is held to `limits`. Past
    /// [`Limits::max_total_bytes`] nothing more is read, and no generation grows past
    /// [`Limits::max_generation_bytes`] in memory.
    pub fn with_limits(r: R, limits: Limits) -> Result<StreamReader<R>> {
        let mut r = BufReader::with_capacity(64 << 10, r);
        let mut header = Vec::with_capacity(HEADER_LEN);
        (&mut r).take(HEADER_LEN as u64).read_to_end(&mut header)?;
        let version = Version::from_header(&header)?;
        Ok(StreamReader {
            r,
            version,
            offset: HEADER_LEN as u64,
            buf: Vec::new(),
            buf_offset: HEADER_LEN as u64,
            consumed: 0,
            pending_err: None,
            done: false,
            batch_pos: None,
            seen: v1::Seen::new(limits),
            limits,
            salvage: false,
            salvaged: false,
        })
    }

    fn require_v2(&self) -> Result<()> {
        match self.version.family() {
            Family::V2 => Ok(()),
            Family::V1 => Err(Error::new(
                ErrorKind::Generation("v1 traces (before Go 1.22) have no batches or generations"),
                0,
            )),
        }
    }

    /// The next raw event of any version, batch headers included, as Go's raw reader yields them.
    /// It borrows the reader's buffer until the next call.
    pub fn next_raw_event(&mut self) -> Result<Option<RawEvent<'_>>> {
        match self.version.family() {
            Family::V1 => self.next_v1_event(),
            Family::V2 => self.next_v2_event(),
        }
    }

    fn next_v2_event(&mut self) -> Result<Option<RawEvent<'_>>> {
        if let Some((pos, len)) = self.batch_pos {
            if pos < len {
                // The current batch is what next_batch() left at the start of the buffer. Every
                // path here returns, so the event may borrow the buffer.
                let mut batches =
                    Batches::new(self.version, &self.buf[..self.consumed], self.buf_offset)
                        .with_limits(self.limits);
                let Some(Ok(batch)) = batches.next() else {
                    return Ok(None);
                };
                let mut events = batch.events().skip_to(pos);
                return match events.next_in_place() {
                    Some(Ok(ev)) => {
                        // A cheap clone: its data still borrows the buffer, not `events`.
                        let ev = ev.clone();
                        self.batch_pos = Some((events.position(), len));
                        Ok(Some(ev))
                    }
                    Some(Err(e)) => {
                        self.done = true;
                        self.batch_pos = None;
                        Err(e)
                    }
                    None => Ok(None),
                };
            }
            self.batch_pos = None;
        }
        let Some(len) = self.next_batch()?.map(|b| b.events().remaining()) else {
            return Ok(None);
        };
        self.batch_pos = Some((0, len));
        let mut batches = Batches::new(self.version, &self.buf[..self.consumed], self.buf_offset)
            .with_limits(self.limits);
        Ok(batches
            .next()
            .and_then(Result::ok)
            .map(|b| b.header_event()))
    }

    fn next_v1_event(&mut self) -> Result<Option<RawEvent<'_>>> {
        self.drop_consumed();
        if self.done {
            return Ok(None);
        }
        let len = loop {
            match v1::record_len(self.version, &self.buf) {
                Ok(Some(n)) => break n,
                Ok(None) => {
                    if self.fill_more()? == 0 {
                        self.done = true;
                        if self.buf.is_empty() {
                            return Ok(None);
                        }
                        let kind = ErrorKind::Truncated("event");
                        return Err(Error::new(kind, self.buf_offset));
                    }
                }
                Err(()) => {
                    self.done = true;
                    let kind = ErrorKind::BadVarint("event length");
                    return Err(Error::new(kind, self.buf_offset));
                }
            }
        };
        self.consumed = len;
        let table = spec::decode_table(self.version);
        let mut ev = RawEvent::empty(self.version);
        let buf = &self.buf[..len];
        if let Err(e) = v1::decode_record(self.version, table, buf, 0, self.buf_offset, &mut ev) {
            self.done = true;
            return Err(e);
        }
        if let Err(e) = self.seen.record(&ev) {
            self.done = true;
            return Err(e);
        }
        Ok(Some(ev))
    }

    /// Appends whatever the reader has ready to the buffer; 0 at the end of the stream.
    fn fill_more(&mut self) -> Result<usize> {
        let n = loop {
            match self.r.fill_buf() {
                Ok(b) => break b.len(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(e, self.offset)),
            }
        };
        self.check_total(n as u64)?;
        self.buf.extend_from_slice(self.r.buffer());
        self.r.consume(n);
        self.offset += n as u64;
        Ok(n)
    }

    /// The trace's version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The limits the trace is read with.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Refuses to read `more` bytes past the total the limits allow.
    fn check_total(&mut self, more: u64) -> Result<()> {
        let total = self.offset.saturating_add(more);
        // The first byte too many is at the limit.
        let at = self.limits.max_total_bytes;
        let checked = self.limits.check(Limit::TotalBytes, total, at);
        self.done |= checked.is_err();
        checked
    }

    /// The error the slice reader gives for the batch whose bytes, read in part before `e`,
    /// start at `start` in the buffer: it says what was expected where, which `e` (the end of
    /// the stream, met while reading) may not. `e` itself for an I/O error, or if the bytes
    /// read parse.
    fn framing_error(&self, start: usize, e: Error) -> Error {
        if matches!(e.kind(), ErrorKind::Io(_)) {
            return e;
        }
        let base = self.buf_offset + start as u64;
        let part = self.buf.get(start..).unwrap_or_default();
        match Batches::new(self.version, part, base)
            .with_limits(self.limits)
            .next()
        {
            Some(Err(precise)) if !precise.is_limit() => precise,
            _ => e,
        }
    }

    /// The next batch, or `None` at the end of the trace.
    pub fn next_batch(&mut self) -> Result<Option<Batch<'_>>> {
        self.require_v2()?;
        self.batch_pos = None;
        self.drop_consumed();
        if self.done {
            return Ok(None);
        }
        let start = self.buf.len();
        match self.read_batch_bytes() {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(e) => {
                self.done = true;
                return Err(e);
            }
        }
        self.consumed = self.buf.len();
        let base = self.buf_offset + start as u64;
        let mut batches =
            Batches::new(self.version, &self.buf[start..], base).with_limits(self.limits);
        match batches.next() {
            Some(Ok(b)) => Ok(Some(b)),
            Some(Err(e)) => {
                self.done = true;
                Err(e)
            }
            None => Ok(None),
        }
    }

    /// Reads generations as [`Generations::salvage`] does: the generation the trace breaks in
    /// comes with the batches before the damage, and is the last.
    pub fn salvage(mut self) -> StreamReader<R> {
        self.salvage = true;
        self
    }

    /// The next complete generation, or `None` at the end of the trace.
    pub fn next_generation(&mut self) -> Result<Option<Generation<'_>>> {
        self.require_v2()?;
        self.batch_pos = None;
        self.drop_consumed();
        if let Some(e) = self.pending_err.take() {
            self.done = true;
            return Err(e);
        }
        if (self.done && self.buf.is_empty()) || self.salvaged {
            return Ok(None);
        }
        let in_band_end = self.version >= Version::Go1_26;
        // The generation number of the first batch, once known.
        let mut number = None;
        // Scan the header of a batch already in the buffer (a spill) as if just read.
        let mut scan = 0;
        // Salvage: the damage that ended the generation.
        let mut broken = None;
        loop {
            let start = scan;
            if start == self.buf.len() {
                match self.read_batch_bytes() {
                    Ok(true) => {}
                    Ok(false) => {
                        self.done = true;
                        break;
                    }
                    Err(e) if self.salvage && !e.is_limit() => {
                        let e = self.framing_error(start, e);
                        self.done = true;
                        if number.is_none() {
                            return Err(e);
                        }
                        // What was read of the broken batch goes: nothing follows.
                        self.buf.truncate(start);
                        broken = Some(e);
                        break;
                    }
                    Err(e) if number.is_some() && !in_band_end && !e.is_limit() => {
                        self.done = true;
                        self.pending_err = Some(e);
                        break;
                    }
                    Err(e) => {
                        self.done = true;
                        return Err(e);
                    }
                }
            }
            scan = self.buf.len().min(start + batch_len(&self.buf[start..]));
            let (ty, gen) = peek_header(&self.buf[start..]);
            // Before Go 1.26 the byte is no end but an error the generation parser reports.
            if ty == EventType::END_OF_GENERATION && in_band_end {
                self.check_generation_size(start, scan)?;
                break;
            }
            match number {
                None => number = Some(gen),
                Some(n) if gen == n => {}
                Some(n) if !in_band_end && gen == n.wrapping_add(1) => {
                    // The first batch of the next generation stays in the buffer.
                    scan = start;
                    break;
                }
                // Anything else is an error the generation parser reports.
                Some(_) => break,
            }
            self.check_generation_size(start, scan)?;
        }
        self.consumed = scan;
        if scan == 0 {
            return Ok(None);
        }
        let batches =
            Batches::new(self.version, &self.buf[..scan], self.buf_offset).with_limits(self.limits);
        let mut gens = Generations::new(self.version, batches);
        if self.salvage {
            // The cut batch is met where the slice reader meets it: after the batches before
            // it, before the generation's tables are checked.
            gens = gens.salvage().cut_at(broken.take());
        }
        match gens.next() {
            Some(Ok(g)) if g.broken().is_some() => {
                // As `Generations::salvage`: nothing past the damage is read.
                self.salvaged = true;
                self.done = true;
                Ok(Some(g))
            }
            Some(Ok(g)) => {
                // A batch the parser found broken after the generation (a stray byte past the
                // last batch, say) is reported on the next call, as Go does.
                if let Some(Err(e)) = gens.next() {
                    self.pending_err = Some(e);
                }
                Ok(Some(g))
            }
            Some(Err(e)) => {
                self.done = true;
                self.pending_err = None;
                Err(e)
            }
            // No batch (a cut batch is an error above).
            None => Ok(None),
        }
    }

    /// Hands over the memory holding what the last call handed out (a generation or a batch,
    /// its bytes from the start), with the byte offset in the trace of its first byte (after
    /// [`next_generation`](Self::next_generation), the generation's
    /// [`offset`](Generation::offset)). A caller that keeps those bytes past the next call need not copy them. Bytes already read
    /// past them stay with the reader, which reads on from the next batch or generation (a
    /// batch whose raw events were being read is left behind). Nothing, if the last call
    /// handed out nothing.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), trace_format::Error> {
    /// let mut reader = trace_format::StreamReader::new(std::fs::File::open("trace.out")?)?;
    /// let mut spare = Vec::new();
    /// loop {
    ///     reader.give_buffer(std::mem::take(&mut spare));
    ///     let Some(generation) = reader.next_generation()? else { break };
    ///     let first = generation.offset();
    ///     let (at, bytes) = reader.take_buffer();
    ///     assert_eq!(at, first);
    ///     // ... use `bytes` for as long as the generation is needed; then its memory serves
    ///     // the next one.
    ///     spare = bytes;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn take_buffer(&mut self) -> (u64, Vec<u8>) {
        let at = self.buf_offset;
        let rest = self.buf.get(self.consumed..).unwrap_or_default().to_vec();
        let mut taken = std::mem::replace(&mut self.buf, rest);
        taken.truncate(self.consumed);
        self.buf_offset += self.consumed as u64;
        self.consumed = 0;
        self.batch_pos = None;
        (at, taken)
    }

    /// Lends the reader memory to read into, such as what [`take_buffer`](Self::take_buffer)
    /// handed out once its bytes are no longer needed: one allocation then serves every
    /// generation in turn. Kept only if larger than the reader's own.
    pub fn give_buffer(&mut self, mut spare: Vec<u8>) {
        if spare.capacity() > self.buf.capacity() {
            spare.clear();
            spare.extend_from_slice(&self.buf);
            self.buf = spare;
        }
    }

    /// The generation so far is `buf[..scan]`, its last batch at `start`: refuses to hold more
    /// than the limit allows.
    fn check_generation_size(&mut self, start: usize, scan: usize) -> Result<()> {
        let at = self.buf_offset + start as u64;
        let checked = self.limits.check(Limit::GenerationBytes, scan as u64, at);
        self.done |= checked.is_err();
        checked
    }

    fn drop_consumed(&mut self) {
        if self.consumed > 0 {
            self.buf.drain(..self.consumed);
            self.buf_offset += self.consumed as u64;
            self.consumed = 0;
        }
    }

    /// Appends the bytes of the next batch to the buffer. `Ok(false)` at a clean end of stream.
    fn read_batch_bytes(&mut self) -> Result<bool> {
        let Some(ty) = self.read_byte()? else {
            return Ok(false);
        };
        let start_offset = self.offset - 1;
        let ty = EventType(ty);
        let fields = match ty {
            EventType::EVENT_BATCH => 4,
            EventType::EXPERIMENTAL_BATCH => 5,
            // A lone byte: EndOfGeneration, or something the batch parser will reject.
            _ => return Ok(true),
        };
        let mut size = 0;
        for _ in 0..fields {
            size = self.read_varint()?;
        }
        if size > MAX_BATCH_SIZE {
            let kind = ErrorKind::BatchTooLarge {
                size,
                max: MAX_BATCH_SIZE,
            };
            return Err(Error::new(kind, start_offset));
        }
        self.limits.check(Limit::BatchSize, size, start_offset)?;
        self.check_total(size)?;
        // Bounded by MAX_BATCH_SIZE above.
        let size = size as usize;
        let have = self.buf.len();
        // Appended as read, not into zeroed memory first: zeroing the batch was a tenth of
        // reading it.
        let read = (&mut self.r).take(size as u64).read_to_end(&mut self.buf);
        let filled = self.buf.len() - have;
        self.offset += filled as u64;
        if let Err(e) = read {
            return Err(Error::io(e, self.offset));
        }
        if filled < size {
            let kind = ErrorKind::BatchPastEnd {
                size: size as u64,
                remaining: filled as u64,
            };
            return Err(Error::new(kind, start_offset));
        }
        Ok(true)
    }

    fn read_byte(&mut self) -> Result<Option<u8>> {
        let b = loop {
            match self.r.fill_buf() {
                Ok([]) => return Ok(None),
                Ok(b) => break b[0],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(e, self.offset)),
            }
        };
        self.check_total(1)?;
        self.r.consume(1);
        self.offset += 1;
        self.buf.push(b);
        Ok(Some(b))
    }

    fn read_varint(&mut self) -> Result<u64> {
        let mut x = 0u64;
        for i in 0..10 {
            let at = self.offset;
            let Some(b) = self.read_byte()? else {
                return Err(Error::new(ErrorKind::Truncated("batch header"), at));
            };
            if b < 0x80 {
                if i == 9 && b > 1 {
                    break;
                }
                return Ok(x | u64::from(b) << (7 * i));
            }
            x |= u64::from(b & 0x7f) << (7 * i);
        }
        Err(Error::new(
            ErrorKind::BadVarint("batch header"),
            self.offset,
        ))
    }
}

/// The type and generation of the batch whose bytes start `b` (already read in full).
fn peek_header(b: &[u8]) -> (EventType, u64) {
    let ty = EventType(b.first().copied().unwrap_or(0));
    let mut pos = 1;
    if ty == EventType::EXPERIMENTAL_BATCH {
        // The experiment ID comes before the generation.
        pos = crate::varint::read(b, pos).map_or(b.len(), |(_, p)| p);
    }
    let gen = crate::varint::read(b, pos).map(|(g, _)| g).unwrap_or(0);
    (ty, gen)
}

/// Length of the batch whose bytes start `b` (already read in full by `read_batch_bytes`).
fn batch_len(b: &[u8]) -> usize {
    let ty = EventType(b.first().copied().unwrap_or(0));
    let fields = match ty {
        EventType::EVENT_BATCH => 4,
        EventType::EXPERIMENTAL_BATCH => 5,
        _ => return 1,
    };
    let mut pos = 1;
    let mut size = 0;
    for _ in 0..fields {
        match crate::varint::read(b, pos) {
            Ok((v, p)) => {
                size = v;
                pos = p;
            }
            Err(_) => return b.len(),
        }
    }
    pos.saturating_add(size as usize).min(b.len())
}
