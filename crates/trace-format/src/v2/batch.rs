//! Batches of the v2 formats and the events inside them.
//!
//! After the header, a v2 trace is a sequence of batches. An event batch is
//! `EventBatch gen m time size` followed by `size` bytes of events; an experimental batch (Go 1.23+)
//! is `ExperimentalBatch exp gen m time size` followed by `size` bytes in the experiment's own
//! format; Go 1.26 adds a lone `EndOfGeneration` byte between generations.

use super::parse;
use crate::error::{BatchContext, Error, Result};
use crate::event::{RawEvent, RawFrames};
use crate::limits::Limits;
use crate::parse::{to_error, Span};
use crate::spec::{self, EventType, Experiment, MAX_ARGS};
use crate::version::Version;
use std::borrow::Cow;

/// The M of batches written by no M (frequency, strings, stacks...).
pub const NO_M: u64 = u64::MAX;

/// What a batch holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BatchKind {
    /// Ordinary events: an M's events, or the string, stack, CPU sample or sync tables.
    Events,
    /// Data in an experiment's own format.
    Experimental(Experiment),
    /// The in-band end of a generation (Go 1.26+): no header fields, no data.
    EndOfGeneration,
}

/// One batch: its header and its undecoded data, borrowed from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch<'a> {
    version: Version,
    kind: BatchKind,
    generation: u64,
    m: u64,
    time: u64,
    data: &'a [u8],
    offset: u64,
    data_offset: u64,
    /// The caller's [`Limits::max_stack_depth`], checked as events are decoded.
    max_stack_depth: u64,
}

impl<'a> Batch<'a> {
    /// The batch of `header` and `data`, whose header is at byte `offset` of the trace and
    /// data at `data_offset`; its events are held to `max_stack_depth`.
    pub(crate) fn new(
        version: Version,
        header: parse::BatchHeader,
        data: &'a [u8],
        offset: u64,
        data_offset: u64,
        max_stack_depth: u64,
    ) -> Batch<'a> {
        Batch {
            version,
            kind: header.kind,
            generation: header.generation,
            m: header.m,
            time: header.time,
            data,
            offset,
            data_offset,
            max_stack_depth,
        }
    }

    /// What the batch holds.
    pub fn kind(&self) -> BatchKind {
        self.kind
    }
    /// The trace version.
    pub fn version(&self) -> Version {
        self.version
    }
    /// The generation the batch belongs to (0 for `EndOfGeneration`).
    pub fn generation(&self) -> u64 {
        self.generation
    }
    /// The M (thread) that wrote the batch, [`NO_M`] for none.
    pub fn m(&self) -> u64 {
        self.m
    }
    /// The batch's base timestamp, in ticks; the first event's delta is relative to it.
    pub fn time(&self) -> u64 {
        self.time
    }
    /// The batch's data, after its header.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }
    /// Byte offset of the batch header in the trace.
    pub fn offset(&self) -> u64 {
        self.offset
    }
    /// Byte offset of the batch's data in the trace.
    pub fn data_offset(&self) -> u64 {
        self.data_offset
    }
    /// Where the batch is, for errors.
    pub fn context(&self) -> BatchContext {
        BatchContext {
            generation: self.generation,
            m: self.m,
            offset: self.offset,
        }
    }
    /// The type of the first event in an event batch: it tells string, stack, CPU sample and
    /// sync batches apart from an M's batch.
    pub fn first_event_type(&self) -> Option<EventType> {
        match self.kind {
            BatchKind::Events => self.data.first().map(|&b| EventType(b)),
            _ => None,
        }
    }

    /// The batch header as a raw event (`EventBatch`, `ExperimentalBatch` with its data, or
    /// `EndOfGeneration`), as Go's raw reader shows it.
    pub fn header_event(&self) -> RawEvent<'a> {
        let (ty, args, data) = match self.kind {
            BatchKind::Events => (
                EventType::EVENT_BATCH,
                [
                    self.generation,
                    self.m,
                    self.time,
                    self.data.len() as u64,
                    0,
                ],
                None,
            ),
            BatchKind::Experimental(e) => (
                EventType::EXPERIMENTAL_BATCH,
                [u64::from(e.0), self.generation, self.m, self.time, 0],
                (!self.data.is_empty()).then_some(Cow::Borrowed(self.data)),
            ),
            BatchKind::EndOfGeneration => (EventType::END_OF_GENERATION, [0; MAX_ARGS], None),
        };
        // The header's type was looked up in this version's table when the batch was read.
        let spec = spec::lookup(self.version, ty).unwrap_or(&spec::EventSpec::EMPTY);
        RawEvent::new(
            self.version,
            ty,
            spec,
            args,
            RawFrames::NONE,
            data,
            self.offset,
        )
    }

    /// The events of an event batch, decoded one by one; nothing for other batches.
    ///
    /// ```
    /// # fn main() -> Result<(), trace_format::Error> {
    /// let bytes = std::fs::read("../../testdata/traces/go1.23.9/chan.trace").unwrap();
    /// let trace = trace_format::Trace::parse(&bytes)?;
    /// for batch in trace.batches()? {
    ///     for event in batch?.events() {
    ///         let event = event?;
    ///         assert!(!event.name().is_empty());
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn events(&self) -> BatchEvents<'a> {
        let data = match self.kind {
            BatchKind::Events => self.data,
            _ => &[],
        };
        BatchEvents {
            event: RawEvent::empty(self.version),
            version: self.version,
            table: spec::decode_table(self.version),
            data,
            pos: 0,
            base: self.data_offset,
            ctx: self.context(),
            max_stack_depth: self.max_stack_depth,
        }
    }
}

/// Iterator over the events of one batch. It ends after the first error.
#[derive(Debug, Clone)]
pub struct BatchEvents<'a> {
    /// The slot events are decoded into: written in place, read by reference.
    event: RawEvent<'a>,
    version: Version,
    table: &'static spec::DecodeTable,
    data: &'a [u8],
    /// Position in `data` of the next event.
    pos: usize,
    base: u64,
    ctx: BatchContext,
    max_stack_depth: u64,
}

impl<'a> BatchEvents<'a> {
    /// Continues from `pos` bytes into the batch data (for the streaming reader).
    pub(crate) fn skip_to(mut self, pos: usize) -> BatchEvents<'a> {
        self.pos = pos.min(self.data.len());
        self
    }

    /// Position in the batch data of the next event.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// Bytes of event data not yet decoded.
    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Byte offset in the trace of the next event.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    #[cold]
    fn fail(&mut self, e: nom::Err<crate::parse::ParseError<'a>>) -> Error {
        self.pos = self.data.len();
        to_error(e, Span::new(self.data), self.base).in_batch(self.ctx)
    }

    /// Decodes the next event in place and returns a reference to it: the fastest way through a
    /// batch, with nothing copied. `None` at the end of the batch; after an error, `None` too.
    #[inline]
    pub fn next_event(&mut self) -> Result<Option<&RawEvent<'a>>> {
        self.next_in_place().transpose()
    }

    #[inline]
    pub(crate) fn next_in_place(&mut self) -> Option<Result<&RawEvent<'a>>> {
        let start = self.pos;
        if start >= self.data.len() {
            return None;
        }
        let input = Span::at(self.data, start);
        let (version, table, depth) = (self.version, self.table, self.max_stack_depth);
        match parse::event_into(version, table, depth, &mut self.event, input) {
            Ok((rest, ())) => {
                self.pos = rest.position();
                self.event.offset = self.base + start as u64;
                Some(Ok(&self.event))
            }
            Err(e) => Some(Err(self.fail(e))),
        }
    }
}

impl<'a> Iterator for BatchEvents<'a> {
    type Item = Result<RawEvent<'a>>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.next_in_place().map(|r| r.cloned())
    }
}

/// Appends an event batch to `out`: its header (`EventBatch gen m time size`), then `data`.
/// For writers of traces (tests, `synth`).
#[cfg(any(test, feature = "synth"))]
pub(crate) fn write_event_batch(
    out: &mut Vec<u8>,
    generation: u64,
    m: u64,
    time: u64,
    data: &[u8],
) {
    out.push(EventType::EVENT_BATCH.0);
    for v in [generation, m, time, data.len() as u64] {
        crate::varint::write(out, v);
    }
    out.extend_from_slice(data);
}

/// Iterator over the batches of a v2 trace, in file order. It ends after the first error.
#[derive(Debug, Clone)]
pub struct Batches<'a> {
    version: Version,
    input: &'a [u8],
    pos: usize,
    base: u64,
    limits: Limits,
}

impl<'a> Batches<'a> {
    /// Batches in `input`, whose first byte is at byte `base` of the trace.
    pub(crate) fn new(version: Version, input: &'a [u8], base: u64) -> Batches<'a> {
        Batches {
            version,
            input,
            pos: 0,
            base,
            limits: Limits::default(),
        }
    }

    /// The same batches, held to `limits`.
    pub(crate) fn with_limits(mut self, limits: Limits) -> Batches<'a> {
        self.limits = limits;
        self
    }

    /// The limits the batches are held to.
    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }

    /// Byte offset in the trace of the next batch.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn read(&mut self) -> Result<Batch<'a>> {
        let offset = self.base + self.pos as u64;
        let input = Span::at(self.input, self.pos);
        let max_size = self.limits.max_batch_size;
        let (rest, (header, data)) = parse::batch::<nom::Complete>(self.version, max_size, input)
            .map_err(|e| to_error(e, input, self.base))?;
        self.pos = rest.position();
        let data_offset = self.base + data.position() as u64;
        let depth = self.limits.max_stack_depth;
        Ok(Batch::new(
            self.version,
            header,
            data.rest(),
            offset,
            data_offset,
            depth,
        ))
    }
}

impl<'a> Iterator for Batches<'a> {
    type Item = Result<Batch<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.input.len() {
            return None;
        }
        let r = self.read();
        if r.is_err() {
            self.pos = self.input.len();
        }
        Some(r)
    }
}

/// Every raw event of a v2 trace in file order, batch headers included: what Go's raw reader
/// (`internal/trace/raw.Reader`) reads. It ends after the first error.
///
/// Unlike Go's raw reader it checks that events stay inside their batch's declared size.
#[derive(Debug, Clone)]
pub struct WireEvents<'a> {
    batches: Batches<'a>,
    current: Option<BatchEvents<'a>>,
    header: Option<RawEvent<'a>>,
}

impl<'a> WireEvents<'a> {
    pub(crate) fn new(batches: Batches<'a>) -> WireEvents<'a> {
        WireEvents {
            batches,
            current: None,
            header: None,
        }
    }

    /// The next event by reference, decoded in place: faster than the `Iterator`, which clones.
    #[inline]
    pub fn next_event(&mut self) -> Result<Option<&RawEvent<'a>>> {
        self.next_in_place().transpose()
    }

    #[inline]
    pub(crate) fn next_in_place(&mut self) -> Option<Result<&RawEvent<'a>>> {
        // Finish the current batch first; borrowck needs the check split from the return.
        let more = match &mut self.current {
            Some(cur) => cur.pos < cur.data.len(),
            None => false,
        };
        if more {
            let cur = self.current.as_mut()?;
            let r = cur.next_in_place();
            if let Some(Err(_)) = &r {
                self.batches.pos = self.batches.input.len();
            }
            return r;
        }
        self.current = None;
        match self.batches.next()? {
            Ok(b) => {
                self.current = Some(b.events());
                Some(Ok(self.header.insert(b.header_event())))
            }
            Err(e) => Some(Err(e)),
        }
    }
}

impl<'a> Iterator for WireEvents<'a> {
    type Item = Result<RawEvent<'a>>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.next_in_place().map(|r| r.cloned())
    }
}
