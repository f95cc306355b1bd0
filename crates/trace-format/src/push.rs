//! A push parser: the caller hands over bytes as they arrive, the parser says what they hold.

use crate::error::{Error, Result};
use crate::event::RawEvent;
use crate::limits::{exceeded, Limit, Limits};
use crate::parse::{PResult, Span};
use crate::spec::{self, DecodeTable};
use crate::v1;
use crate::v2::{parse::batch, Batch};
use crate::version::{header, Family, Version};
use nom::{Complete, Needed, Streaming};

/// A push parser of a trace of any version, in the manner of `wasmparser::Parser`: it does no
/// I/O and holds no bytes. The caller keeps the bytes not yet consumed, appends what arrives,
/// and calls [`parse`](Parser::parse) with them; each call says either that more bytes are
/// needed, or what the first of them hold and how many that took, to be dropped before the
/// next call. So async code can stream a trace from anywhere.
///
/// What comes out is what [`Trace::raw_events`](crate::Trace::raw_events) reads, whatever the
/// chunking: first the header's [`Version`]; then for Go 1.22+ each batch (its header event is
/// [`Batch::header_event`], its events [`Batch::events`]); for Go 1.5–1.21 each record as a raw
/// event; then [`Payload::End`]. Errors are the same, at the same byte offsets. After an error
/// every call returns it again.
///
/// The caller never has to hold more than one batch (at most 64 KiB and its header) or one
/// record: sizes are checked against the format and the [`Limits`] before their bytes are
/// asked for. [`Limits`] apply as to raw events: the batch size and stack depth (checked as a
/// batch's events are read), [`Limits::max_total_bytes`] (a batch or record that would end past
/// it is refused, the error at that many bytes, as the other readers put it), and for v1
/// traces the strings and stacks held. A v1 record whose arguments claim more than 8 MB (none
/// the runtime writes comes near) is refused as the streaming reader refuses it, without
/// waiting for them.
///
/// ```
/// use trace_format::{Chunk, Parser, Payload};
/// # fn main() -> Result<(), trace_format::Error> {
/// let trace = std::fs::read("../../testdata/traces/go1.23.9/chan.trace").unwrap();
/// let mut parser = Parser::new();
/// let (mut buf, mut arriving) = (Vec::new(), trace.chunks(1000));
/// let mut events = 0;
/// loop {
///     let eof = arriving.len() == 0;
///     match parser.parse(&buf, eof)? {
///         Chunk::NeedMoreData(_) => buf.extend_from_slice(arriving.next().unwrap()),
///         Chunk::Parsed { consumed, payload } => {
///             match payload {
///                 Payload::Batch(batch) => {
///                     for event in batch.events() {
///                         assert!(!event?.name().is_empty());
///                         events += 1;
///                     }
///                 }
///                 Payload::End => break,
///                 _ => {}
///             }
///             buf.drain(..consumed);
///         }
///     }
/// }
/// assert!(events > 0);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Parser {
    limits: Limits,
    /// Trace offset of the first byte of the next call's `data`.
    offset: u64,
    state: State,
}

#[derive(Debug, Clone)]
enum State {
    Header,
    V1 {
        version: Version,
        table: &'static DecodeTable,
        seen: Box<v1::Seen>,
    },
    V2(Version),
    End,
    Failed(Error),
}

/// What [`Parser::parse`] found.
#[derive(Debug)]
pub enum Chunk<'a> {
    /// The bytes given end inside what comes next: at least this many more are needed (or,
    /// with `eof`, the error it is).
    NeedMoreData(u64),
    /// The first `consumed` bytes given hold `payload`.
    Parsed {
        /// How many of the bytes given the payload took: the next call starts after them.
        consumed: usize,
        /// What they hold.
        payload: Payload<'a>,
    },
}

/// What a run of bytes of a trace holds; see [`Parser`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Payload<'a> {
    /// The 16-byte header, with the trace's version.
    Version(Version),
    /// A batch of a Go 1.22+ trace, borrowed from the bytes given.
    Batch(Batch<'a>),
    /// A record of a Go 1.5–1.21 trace, borrowing its data from the bytes given.
    Event(RawEvent<'a>),
    /// The end of the trace (with nothing consumed): every later call says so again.
    End,
}

impl Default for Parser {
    fn default() -> Parser {
        Parser::new()
    }
}

impl Parser {
    /// A parser at the start of a trace.
    pub fn new() -> Parser {
        Parser::with_limits(Limits::default())
    }

    /// A parser at the start of a trace that holds it to `limits`.
    pub fn with_limits(limits: Limits) -> Parser {
        Parser {
            limits,
            offset: 0,
            state: State::Header,
        }
    }

    /// The trace's version, once the header has been parsed.
    pub fn version(&self) -> Option<Version> {
        match &self.state {
            State::V1 { version, .. } | State::V2(version) => Some(*version),
            _ => None,
        }
    }

    /// Byte offset in the trace of the first byte the next call is to be given.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Parses the start of `data`, the trace's bytes from [`offset`](Parser::offset) on;
    /// `eof` says that no more will come.
    pub fn parse<'a>(&mut self, data: &'a [u8], eof: bool) -> Result<Chunk<'a>> {
        match &self.state {
            State::Failed(e) => return Err(e.clone()),
            State::End => {
                let payload = Payload::End;
                return Ok(Chunk::Parsed {
                    consumed: 0,
                    payload,
                });
            }
            _ => {}
        }
        let base = self.offset;
        let (rest, payload) = match self.step(Span::new(data), eof) {
            Ok(parsed) => parsed,
            Err(nom::Err::Incomplete(needed)) => {
                let more = match needed {
                    Needed::Size(n) => n.get() as u64,
                    Needed::Unknown => 1,
                };
                // Nothing past the limit is asked for.
                let end = base.saturating_add(data.len() as u64).saturating_add(more);
                self.check_total(end)?;
                return Ok(Chunk::NeedMoreData(more));
            }
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => {
                return Err(self.fail(e.into_error(base)));
            }
        };
        if let (State::V1 { seen, .. }, Payload::Event(ev)) = (&mut self.state, &payload) {
            if let Err(e) = seen.record(ev) {
                return Err(self.fail(e));
            }
        }
        let consumed = rest.position();
        let end = base.saturating_add(consumed as u64);
        self.check_total(end)?;
        self.offset = end;
        Ok(Chunk::Parsed { consumed, payload })
    }

    /// What `input` starts with, and what it leaves.
    fn step<'a>(&mut self, input: Span<'a>, eof: bool) -> PResult<'a, Payload<'a>> {
        match self.state {
            State::Header => {
                let (rest, version) = match eof {
                    true => header::<Complete>(input)?,
                    false => header::<Streaming>(input)?,
                };
                self.state = match version.family() {
                    Family::V2 => State::V2(version),
                    Family::V1 => State::V1 {
                        version,
                        table: spec::decode_table(version),
                        seen: Box::new(v1::Seen::new(self.limits)),
                    },
                };
                Ok((rest, Payload::Version(version)))
            }
            _ if input.is_empty() && eof => {
                self.state = State::End;
                Ok((input, Payload::End))
            }
            _ if input.is_empty() => Err(nom::Err::Incomplete(Needed::new(1))),
            State::V2(version) => {
                let max = self.limits.max_batch_size;
                let (rest, (header, data)) = match eof {
                    true => batch::<Complete>(version, max, input)?,
                    false => batch::<Streaming>(version, max, input)?,
                };
                let (offset, data_offset) = (self.offset, self.offset + data.position() as u64);
                let depth = self.limits.max_stack_depth;
                let batch = Batch::new(version, header, data.rest(), offset, data_offset, depth);
                Ok((rest, Payload::Batch(batch)))
            }
            State::V1 { version, table, .. } => {
                let mut ev = RawEvent::empty(version);
                ev.offset = self.offset;
                // Whether or not more is to come, so that the error is the same.
                let max = v1::MAX_STREAMED_RECORD;
                let (rest, ()) = match eof {
                    true => v1::record::<Complete>(version, table, max, &mut ev, input)?,
                    false => v1::record::<Streaming>(version, table, max, &mut ev, input)?,
                };
                Ok((rest, Payload::Event(ev)))
            }
            State::End | State::Failed(_) => Ok((input, Payload::End)),
        }
    }

    /// Refuses to go past [`Limits::max_total_bytes`]: `end` is how far the trace would then
    /// reach.
    fn check_total(&mut self, end: u64) -> Result<()> {
        let max = self.limits.max_total_bytes;
        if end > max {
            // The first byte too many is at the limit.
            return Err(self.fail(exceeded(Limit::TotalBytes, end, max, max)));
        }
        Ok(())
    }

    #[cold]
    fn fail(&mut self, e: Error) -> Error {
        self.state = State::Failed(e.clone());
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_input_waits_then_fails_as_the_slice_reader() {
        let mut p = Parser::new();
        assert!(matches!(
            p.parse(b"go 1.2", false),
            Ok(Chunk::NeedMoreData(10))
        ));
        let e = p.parse(b"go 1.2", true).unwrap_err();
        assert_eq!(e, Version::from_header(b"go 1.2").unwrap_err());
        // Fused.
        assert_eq!(p.parse(b"anything", false).unwrap_err(), e);
    }
}
