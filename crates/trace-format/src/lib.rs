//! Zero-copy decoding of Go execution traces of every version (Go 1.5 to 1.27), the files `runtime/trace`, `go test -trace`,
//! `/debug/pprof/trace` and the flight recorder write.
//!
//! This is the bottom layer of the workspace: it turns bytes into *raw* events exactly as they are
//! on the wire, with no ordering and no interpretation, the way Go's `internal/trace/raw` reader
//! does. `trace-model` orders them into goroutine, P and GC state; `trace-pprof` builds profiles on
//! top of that.
//!
//! - [`Version`] reads the 16-byte header of any trace Go has written (Go 1.5 to 1.27).
//! - [`spec`] holds the event tables of every format as data: v1 (Go 1.5–1.21) and v2 (1.22+).
//! - [`Trace`] opens a trace held in memory; its [`batches`](Trace::batches),
//!   [`generations`](Trace::generations) and [`raw_events`](Trace::raw_events) borrow from the
//!   input; [`v1`] and [`v2`] hold the per-family readers. [`StreamReader`] reads from any
//!   `io::Read`, one event, batch or generation at a time.
//! - [`Parser`] is a push parser: the caller hands it bytes as they arrive (async code, say), it
//!   says what they hold; no I/O, and nothing held but the caller's one batch or record.
//! - [`parse`] holds the nom parsers every reader is built from, and their error type.
//! - [`TextWriter`] and [`TextReader`] write and read Go's raw text format.
//! - [`footprint`] counts the events and bytes of each event type, the table of
//!   `go tool trace -d=footprint`.
//!
//! Nothing panics on bad input: every error is an [`Error`] that says what was expected and at which
//! byte offset (and in which batch).
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let bytes = std::fs::read("../../testdata/traces/go1.22.10/chan.trace")?;
//! let trace = trace_format::Trace::parse(&bytes)?;
//! let mut text = Vec::new();
//! let mut writer = trace_format::TextWriter::new(&mut text, trace.version())?;
//! for event in trace.raw_events()? {
//!     writer.write_event(&event?)?;
//! }
//! assert!(text.starts_with(b"Trace Go1.22\nEventBatch gen=1 "));
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod event;
mod flat;
pub mod footprint;
pub mod gosort;
pub mod hash;
mod limits;
pub mod parse;
mod push;
#[cfg(test)]
mod roundtrip;
pub mod spec;
#[cfg(feature = "synth")]
pub mod synth;
pub mod text;
pub mod v1;
pub mod v2;
pub mod varint;
mod version;

pub use error::{BatchContext, Error, ErrorKind, IoError, Result};
pub use event::{RawEvent, RawFrame, RawFrames};
pub use limits::{Limit, Limits};
pub use push::{Chunk, Parser, Payload};
pub use spec::{EventSpec, EventType, Experiment};
pub use text::{TextReader, TextWriter};
pub use v2::StreamReader;
pub use version::{Family, Version, HEADER_LEN};

/// A trace held in memory. Everything read from it borrows from the bytes.
#[derive(Debug, Clone, Copy)]
pub struct Trace<'a> {
    version: Version,
    bytes: &'a [u8],
    limits: Limits,
}

impl<'a> Trace<'a> {
    /// Reads the header of `bytes`, a whole trace file.
    pub fn parse(bytes: &'a [u8]) -> Result<Trace<'a>> {
        Self::parse_with_limits(bytes, Limits::default())
    }

    /// Reads the header of `bytes`, whose batches, generations and events will be held to
    /// `limits`. A trace over [`Limits::max_total_bytes`] is refused here.
    pub fn parse_with_limits(bytes: &'a [u8], limits: Limits) -> Result<Trace<'a>> {
        let version = Version::from_header(bytes)?;
        // The first byte too many is at the limit.
        let (len, max) = (bytes.len() as u64, limits.max_total_bytes);
        limits.check(Limit::TotalBytes, len, max)?;
        Ok(Trace {
            version,
            bytes,
            limits,
        })
    }

    /// The limits the trace is read with.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The trace's version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The whole input, header included.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    fn require_v2(&self) -> Result<()> {
        match self.version.family() {
            Family::V2 => Ok(()),
            Family::V1 => Err(Error::new(
                ErrorKind::UnsupportedVersion(self.version.minor()),
                0,
            )),
        }
    }

    /// The batches of a v2 trace in file order.
    pub fn batches(&self) -> Result<v2::Batches<'a>> {
        self.require_v2()?;
        let body = self.bytes.get(HEADER_LEN..).unwrap_or_default();
        Ok(v2::Batches::new(self.version, body, HEADER_LEN as u64).with_limits(self.limits))
    }

    /// The generations of a v2 trace in file order.
    pub fn generations(&self) -> Result<v2::Generations<'a>> {
        Ok(v2::Generations::new(self.version, self.batches()?))
    }

    /// Every raw event in file order, of any version: for v2, batch headers included, what Go's
    /// raw reader yields; for v1, every record, string records included.
    pub fn raw_events(&self) -> Result<RawEvents<'a>> {
        Ok(match self.version.family() {
            Family::V2 => RawEvents::V2(v2::WireEvents::new(self.batches()?)),
            Family::V1 => RawEvents::V1(v1::Records::new(self.version, self.bytes, self.limits)),
        })
    }
}

/// The raw events of a trace of either family; see [`Trace::raw_events`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RawEvents<'a> {
    /// Records of a Go 1.5–1.21 trace.
    V1(v1::Records<'a>),
    /// Batches and events of a Go 1.22+ trace.
    V2(v2::WireEvents<'a>),
}

impl<'a> RawEvents<'a> {
    /// The next event by reference, decoded in place: faster than the `Iterator`, which clones.
    #[inline]
    pub fn next_event(&mut self) -> Result<Option<&RawEvent<'a>>> {
        self.next_in_place().transpose()
    }

    #[inline]
    fn next_in_place(&mut self) -> Option<Result<&RawEvent<'a>>> {
        match self {
            RawEvents::V1(r) => r.next_in_place(),
            RawEvents::V2(r) => r.next_in_place(),
        }
    }
}

impl<'a> Iterator for RawEvents<'a> {
    type Item = Result<RawEvent<'a>>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.next_in_place().map(|r| r.cloned())
    }
}
