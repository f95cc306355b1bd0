//! Reading a v2 trace from any [`std::io::Read`], holding one batch or one generation at a time.

use super::batch::{Batch, Batches};
use super::generation::{Generation, Generations};
use crate::error::{Error, ErrorKind, Result};
use crate::spec::{EventType, MAX_BATCH_SIZE};
use crate::version::{Version, HEADER_LEN};
use std::io::{self, BufRead, BufReader, Read};

/// A v2 trace read from a stream. Memory is bounded by the largest generation (with
/// [`next_generation`](Self::next_generation)) or one batch (with [`next_batch`](Self::next_batch)),
/// never the whole trace. Errors carry absolute byte offsets in the stream.
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
}

impl<R: Read> StreamReader<R> {
    /// Reads the header. Only v2 traces (Go 1.22+) can be streamed this way.
    pub fn new(r: R) -> Result<StreamReader<R>> {
        let mut r = BufReader::with_capacity(64 << 10, r);
        let mut header = Vec::with_capacity(HEADER_LEN);
        (&mut r).take(HEADER_LEN as u64).read_to_end(&mut header)?;
        let version = Version::from_header(&header)?;
        if version < Version::Go1_22 {
            return Err(Error::new(
                ErrorKind::Generation("streaming reads only Go 1.22+ traces"),
                0,
            ));
        }
        Ok(StreamReader {
            r,
            version,
            offset: HEADER_LEN as u64,
            buf: Vec::new(),
            buf_offset: HEADER_LEN as u64,
            consumed: 0,
            pending_err: None,
            done: false,
        })
    }

    /// The trace's version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The next batch, or `None` at the end of the trace.
    pub fn next_batch(&mut self) -> Result<Option<Batch<'_>>> {
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
        let mut batches = Batches::new(self.version, &self.buf[start..], base);
        match batches.next() {
            Some(Ok(b)) => Ok(Some(b)),
            Some(Err(e)) => {
                self.done = true;
                Err(e)
            }
            None => Ok(None),
        }
    }

    /// The next complete generation, or `None` at the end of the trace.
    pub fn next_generation(&mut self) -> Result<Option<Generation<'_>>> {
        self.drop_consumed();
        if let Some(e) = self.pending_err.take() {
            self.done = true;
            return Err(e);
        }
        if self.done && self.buf.is_empty() {
            return Ok(None);
        }
        let in_band_end = self.version >= Version::Go1_26;
        // The generation number of the first batch, once known.
        let mut number = None;
        // Scan the header of a batch already in the buffer (a spill) as if just read.
        let mut scan = 0;
        loop {
            let start = scan;
            if start == self.buf.len() {
                match self.read_batch_bytes() {
                    Ok(true) => {}
                    Ok(false) => {
                        self.done = true;
                        break;
                    }
                    Err(e) if number.is_some() && !in_band_end => {
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
            if ty == EventType::END_OF_GENERATION {
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
        }
        self.consumed = scan;
        if scan == 0 {
            return Ok(None);
        }
        let batches = Batches::new(self.version, &self.buf[..scan], self.buf_offset);
        let mut gens = Generations::new(self.version, batches);
        match gens.next() {
            Some(Ok(g)) => Ok(Some(g)),
            Some(Err(e)) => {
                self.done = true;
                self.pending_err = None;
                Err(e)
            }
            None => Ok(None),
        }
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
        // Bounded by MAX_BATCH_SIZE above.
        let size = size as usize;
        let have = self.buf.len();
        self.buf.resize(have + size, 0);
        let mut filled = 0;
        while filled < size {
            match self.r.read(&mut self.buf[have + filled..]) {
                Ok(0) => {
                    self.buf.truncate(have + filled);
                    let kind = ErrorKind::BatchPastEnd {
                        size: size as u64,
                        remaining: filled as u64,
                    };
                    return Err(Error::new(kind, start_offset));
                }
                Ok(n) => {
                    filled += n;
                    self.offset += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::new(ErrorKind::Io(e.to_string()), self.offset)),
            }
        }
        Ok(true)
    }

    fn read_byte(&mut self) -> Result<Option<u8>> {
        let b = loop {
            match self.r.fill_buf() {
                Ok([]) => return Ok(None),
                Ok(b) => break b[0],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::new(ErrorKind::Io(e.to_string()), self.offset)),
            }
        };
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
