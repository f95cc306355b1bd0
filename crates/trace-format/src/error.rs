//! The one error type of this crate.
//!
//! Every error says *where* (the byte offset in the trace file, and the batch it was found in when
//! there is one) and *what* was expected. Errors are small and `Clone`, so an iterator can keep the
//! first one and hand it out again.

use std::fmt;
use std::sync::Arc;

/// The batch an error was found in: its generation, M and the byte offset of its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchContext {
    /// The batch's generation number.
    pub generation: u64,
    /// The thread (M) that wrote the batch; `u64::MAX` for batches written by no M.
    pub m: u64,
    /// Byte offset of the batch header in the trace.
    pub offset: u64,
}

/// What went wrong. See [`Error`] for where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The first bytes are not a Go execution trace header.
    #[error("not a Go execution trace: bad header")]
    BadHeader,
    /// The header is well formed but names a version no Go has written.
    #[error("unknown or unsupported trace version go 1.{0}")]
    UnsupportedVersion(u32),
    /// The input ended in the middle of something.
    #[error("unexpected end of trace: expected {0}")]
    Truncated(&'static str),
    /// A varint that is longer than 10 bytes or overflows 64 bits.
    #[error("malformed varint in {0}")]
    BadVarint(&'static str),
    /// An event type byte that the trace's version doesn't define.
    #[error("invalid event type {ty} for go 1.{version}")]
    UnknownEvent {
        /// The type byte.
        ty: u8,
        /// The minor Go version of the trace.
        version: u32,
    },
    /// A top-level byte that should start a batch but doesn't.
    #[error("expected a batch header, got event type {0}")]
    ExpectedBatch(u8),
    /// A batch larger than the runtime ever writes.
    #[error("invalid batch size {size}, maximum is {max}")]
    BatchTooLarge {
        /// The declared size.
        size: u64,
        /// The largest size allowed.
        max: u64,
    },
    /// A batch whose declared size is more than the bytes left in the trace.
    #[error("batch declares {size} bytes of data but only {remaining} remain")]
    BatchPastEnd {
        /// The declared size.
        size: u64,
        /// The bytes left after the batch header.
        remaining: u64,
    },
    /// An event whose encoding runs past the end of the batch it is in.
    #[error(
        "{event} event runs past the end of its batch (batch size lies or event is malformed)"
    )]
    EventCrossesBatch {
        /// The event's name.
        event: &'static str,
    },
    /// A v1 event whose number of arguments differs from what its version writes.
    #[error("{event} has wrong number of arguments: want {want}, got {got}")]
    ArgCount {
        /// The event's name.
        event: &'static str,
        /// The number the version writes.
        want: usize,
        /// The number found.
        got: usize,
    },
    /// A length-prefixed v1 event whose arguments don't fill exactly the declared length.
    #[error("event has wrong length: want {want}, got {got}")]
    WrongLength {
        /// The declared length in bytes.
        want: u64,
        /// The bytes the arguments take.
        got: u64,
    },
    /// A v1 string table entry Go refuses.
    #[error("string has {0}")]
    InvalidString(&'static str),
    /// A data trailer (string bytes or experimental data) longer than allowed.
    #[error("data of {len} bytes is too long, maximum is {max}")]
    DataTooLong {
        /// The declared length.
        len: u64,
        /// The largest length allowed.
        max: u64,
    },
    /// A stack with more frames than allowed.
    #[error("invalid stack size {frames}, maximum is {max}")]
    StackTooDeep {
        /// The declared number of frames.
        frames: u64,
        /// The largest number allowed.
        max: u64,
    },
    /// Two strings in one generation with the same ID.
    #[error("multiple strings with the same ID {0}")]
    DuplicateString(u64),
    /// Two stacks in one generation with the same ID.
    #[error("multiple stacks with the same ID {0}")]
    DuplicateStack(u64),
    /// A string batch, stack batch, CPU sample batch or sync batch holding an event that doesn't belong.
    #[error("expected {expected} event in {batch} batch, got event type {got}")]
    UnexpectedEvent {
        /// What the batch may hold.
        expected: &'static str,
        /// The kind of batch.
        batch: &'static str,
        /// The type byte found.
        got: u8,
    },
    /// A generation's structure is broken (missing frequency, interleaved generations, ...).
    #[error("broken generation: {0}")]
    Generation(&'static str),
    /// A stack refers to something the generation doesn't define.
    #[error("stack {stack} refers to undefined {what} {id}")]
    DanglingReference {
        /// The stack ID.
        stack: u64,
        /// What is missing: "func string", "file string".
        what: &'static str,
        /// The missing ID.
        id: u64,
    },
    /// The trace breaks one of the caller's [`Limits`](crate::Limits): it may be well formed, but
    /// is more than the caller allowed.
    #[error("{value} {limit} is over the limit of {max}")]
    LimitExceeded {
        /// Which limit.
        limit: crate::Limit,
        /// What the trace has (or declares), as far as it was read.
        value: u64,
        /// The limit.
        max: u64,
    },
    /// A line of Go's raw text format that can't be read.
    #[error("line {line}: {message}")]
    Text {
        /// 1-based line number.
        line: u64,
        /// What was wrong.
        message: String,
    },
    /// The underlying reader failed. The [`std::io::Error`] is kept: it is the error's
    /// [`source`](std::error::Error::source), and [`IoError::kind`] gives its kind.
    #[error("I/O error: {0}")]
    Io(IoError),
}

/// An [`std::io::Error`] from the reader a trace was read from, shared so that [`Error`] stays
/// `Clone`. Two are equal when their kind and message are.
#[derive(Debug, Clone)]
pub struct IoError(Arc<std::io::Error>);

impl IoError {
    /// The kind of the I/O error, e.g. [`std::io::ErrorKind::ConnectionReset`].
    pub fn kind(&self) -> std::io::ErrorKind {
        self.0.kind()
    }

    /// The I/O error itself.
    pub fn get_ref(&self) -> &std::io::Error {
        &self.0
    }
}

impl From<std::io::Error> for IoError {
    fn from(e: std::io::Error) -> IoError {
        IoError(Arc::new(e))
    }
}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl PartialEq for IoError {
    fn eq(&self, other: &IoError) -> bool {
        self.kind() == other.kind() && self.0.to_string() == other.0.to_string()
    }
}

impl Eq for IoError {}

/// An error decoding a trace: [`ErrorKind`] says what, `offset` and `batch` say where.
///
/// Boxed, so that a `Result` of a decoded event stays small on the hot path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(Box<Inner>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    offset: u64,
    batch: Option<BatchContext>,
}

impl Error {
    /// An error of `kind` at byte `offset` of the trace.
    #[cold]
    pub fn new(kind: ErrorKind, offset: u64) -> Error {
        Error(Box::new(Inner {
            kind,
            offset,
            batch: None,
        }))
    }

    #[cold]
    pub(crate) fn in_batch(mut self, batch: BatchContext) -> Error {
        self.0.batch.get_or_insert(batch);
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// Byte offset in the trace where the problem was found (for text input: 0, see the line number).
    pub fn offset(&self) -> u64 {
        self.0.offset
    }

    /// Whether the trace broke one of the caller's [`Limits`](crate::Limits) rather than being
    /// malformed. Such an error is reported as soon as it is found: what follows was not read.
    pub fn is_limit(&self) -> bool {
        matches!(self.0.kind, ErrorKind::LimitExceeded { .. })
    }

    /// The batch the problem was found in, if any.
    pub fn batch(&self) -> Option<BatchContext> {
        self.0.batch
    }

    /// The I/O error, when the reader the trace came from failed.
    ///
    /// ```
    /// # use std::io::{self, Read};
    /// struct Broken;
    /// impl Read for Broken {
    ///     fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
    ///         Err(io::Error::new(io::ErrorKind::ConnectionReset, "peer went away"))
    ///     }
    /// }
    /// let err = trace_format::StreamReader::new(Broken).unwrap_err();
    /// assert_eq!(err.io_error().unwrap().kind(), io::ErrorKind::ConnectionReset);
    /// ```
    pub fn io_error(&self) -> Option<&std::io::Error> {
        match &self.0.kind {
            ErrorKind::Io(e) => Some(e.get_ref()),
            _ => None,
        }
    }

    /// An I/O error of the reader, met at byte `offset` of the trace.
    #[cold]
    pub fn io(e: std::io::Error, offset: u64) -> Error {
        Error::new(ErrorKind::Io(e.into()), offset)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.kind)?;
        if !matches!(self.0.kind, ErrorKind::Text { .. } | ErrorKind::Io(_)) {
            write!(f, " (at byte {}", self.0.offset)?;
            if let Some(b) = self.0.batch {
                let m = if b.m == u64::MAX {
                    "none".to_string()
                } else {
                    b.m.to_string()
                };
                write!(
                    f,
                    ", in batch gen={} m={} at byte {}",
                    b.generation, m, b.offset
                )?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.io_error().map(|e| e as _)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::io(e, 0)
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
