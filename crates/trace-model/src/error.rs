//! Errors of the model: a decoding error from `trace-format`, or a trace whose events can't be
//! put in an order that respects every goroutine's, P's and M's state machine.

use std::fmt;

/// Why ordering failed. The messages are Go's where Go has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrderError {
    /// An event whose type can't appear in an M's batch.
    #[error("bad event type found while ordering: {0}")]
    BadEventType(u8),
    /// An event that needs a timestamp has none.
    #[error("found event without a timestamp: type={0}")]
    Untimed(u8),
    /// An event refers to a string or stack missing from its generation's tables.
    #[error("found invalid {what} ID {id} for event {event}")]
    InvalidId {
        /// `string` or `stack`.
        what: &'static str,
        /// The ID.
        id: u64,
        /// The event's name.
        event: &'static str,
    },
    /// The event needs the M to hold (or not hold) a P or goroutine.
    #[error("{0}")]
    Context(&'static str),
    /// A status event disagrees with what is known.
    #[error("inconsistent status for {resource} {id}: old {old} vs. new {new}")]
    InconsistentStatus {
        /// `proc` or `goroutine`.
        resource: &'static str,
        /// Its ID.
        id: i64,
        /// The status known.
        old: &'static str,
        /// The status the event claims.
        new: &'static str,
    },
    /// A status value out of range.
    #[error("invalid status for {resource} {id}: {status}")]
    InvalidStatus {
        /// `proc` or `goroutine`.
        resource: &'static str,
        /// Its ID.
        id: i64,
        /// The status.
        status: u64,
    },
    /// Any other violation of a state machine, as Go words it.
    #[error("{0}")]
    State(String),
    /// A v1 trace whose timestamps contradict the order its sequence numbers give (Go's
    /// `ErrTimeOrder`; seen on machines whose CPUs' clocks disagree).
    #[error("time stamps out of order")]
    TimeOrder,
    /// No event of any M can come next: the trace contradicts itself.
    #[error(
        "broken trace: failed to advance: no M's next event is possible in generation {generation}"
    )]
    Stuck {
        /// The generation.
        generation: u64,
    },
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The bytes could not be decoded.
    #[error(transparent)]
    Format(#[from] trace_format::Error),
    /// The events contradict each other.
    #[error(transparent)]
    Order(#[from] OrderError),
    /// The trace's version is one this reader can't order yet.
    #[error("unsupported trace version go 1.{0}")]
    Unsupported(u32),
}

/// An error with where it happened: the generation, the M whose batch held the event, the
/// event's name and byte offset.
///
/// One pointer wide, so that results on the reader's path stay in registers.
#[derive(Debug)]
pub struct Error(Box<Inner>);

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    generation: Option<u64>,
    m: Option<i64>,
    event: Option<&'static str>,
    offset: Option<u64>,
}

impl Error {
    #[cold]
    pub(crate) fn new(kind: impl Into<ErrorKind>) -> Error {
        Error(Box::new(Inner {
            kind: kind.into(),
            generation: None,
            m: None,
            event: None,
            offset: None,
        }))
    }

    pub(crate) fn at(mut self, generation: u64, m: i64, event: &'static str, offset: u64) -> Self {
        self.0.generation = Some(generation);
        self.0.m = Some(m);
        self.0.event = Some(event);
        self.0.offset = Some(offset);
        self
    }

    /// Says which event the error is about when there is no batch of an M to name (v1 traces):
    /// its name and the byte offset of its record.
    pub(crate) fn at_event(mut self, event: &'static str, offset: u64) -> Self {
        self.0.event = Some(event);
        self.0.offset = Some(offset);
        self
    }

    pub(crate) fn in_generation(mut self, generation: u64) -> Self {
        self.0.generation.get_or_insert(generation);
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }
    /// The generation, when known.
    pub fn generation(&self) -> Option<u64> {
        self.0.generation
    }
    /// The M whose batch held the event, when known.
    pub fn thread(&self) -> Option<i64> {
        self.0.m
    }
    /// The name of the event, when known.
    pub fn event(&self) -> Option<&'static str> {
        self.0.event
    }
    /// The I/O error, when the reader the trace came from failed: its
    /// [`kind`](std::io::Error::kind) is the source's own.
    pub fn io_error(&self) -> Option<&std::io::Error> {
        match &self.0.kind {
            ErrorKind::Format(e) => e.io_error(),
            _ => None,
        }
    }

    /// Byte offset of the event or of the decoding error in the trace, when known.
    pub fn offset(&self) -> Option<u64> {
        match &self.0.kind {
            ErrorKind::Format(e) => Some(e.offset()),
            _ => self.0.offset,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.kind)?;
        if let ErrorKind::Format(_) = &self.0.kind {
            return Ok(());
        }
        let mut sep = " (";
        if let Some(e) = self.0.event {
            write!(f, "{sep}event {e}")?;
            sep = ", ";
        }
        if let Some(o) = self.0.offset {
            write!(f, "{sep}at byte {o}")?;
            sep = ", ";
        }
        if let Some(m) = self.0.m {
            write!(f, "{sep}M {m}")?;
            sep = ", ";
        }
        if let Some(g) = self.0.generation {
            write!(f, "{sep}generation {g}")?;
            sep = ", ";
        }
        if sep == ", " {
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.kind {
            ErrorKind::Format(e) => Some(e),
            _ => None,
        }
    }
}

impl From<trace_format::Error> for Error {
    fn from(e: trace_format::Error) -> Error {
        Error::new(ErrorKind::Format(e))
    }
}

impl From<OrderError> for Error {
    fn from(e: OrderError) -> Error {
        Error::new(ErrorKind::Order(e))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::new(ErrorKind::Format(e.into()))
    }
}

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
