//! Limits the caller sets on what a trace may make the reader hold: see [`Limits`].

use crate::spec::{MAX_BATCH_SIZE, MAX_V1_FRAMES};
use std::fmt;

/// Which of the [`Limits`] a trace broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::max_batch_size`].
    BatchSize,
    /// [`Limits::max_stack_depth`].
    StackDepth,
    /// [`Limits::max_strings_per_generation`].
    StringsPerGeneration,
    /// [`Limits::max_stacks_per_generation`].
    StacksPerGeneration,
    /// [`Limits::max_generation_bytes`].
    GenerationBytes,
    /// [`Limits::max_total_bytes`].
    TotalBytes,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::BatchSize => "bytes in a batch",
            Limit::StackDepth => "frames in a stack",
            Limit::StringsPerGeneration => "strings in a generation",
            Limit::StacksPerGeneration => "stacks in a generation",
            Limit::GenerationBytes => "bytes in a generation",
            Limit::TotalBytes => "bytes in the trace",
        })
    }
}

/// What a trace may make the reader hold, beyond the formats' own limits.
///
/// The formats have limits of their own, which Go's reader checks and so do we: a v2 batch holds
/// at most 64 KiB ([`MAX_BATCH_SIZE`](crate::spec::MAX_BATCH_SIZE)), a v2 stack at most 128
/// frames ([`MAX_FRAMES_PER_STACK`](crate::spec::MAX_FRAMES_PER_STACK)), a v1 stack at most 1000
/// ([`MAX_V1_FRAMES`](crate::spec::MAX_V1_FRAMES)). Breaking one of those makes a trace
/// malformed. `Limits` can only tighten them, and add limits of its own; breaking one is
/// [`ErrorKind::LimitExceeded`](crate::ErrorKind::LimitExceeded), which names the [`Limit`], so
/// a service can tell "more than we accept" from "broken".
///
/// Without limits, memory is already proportional to the input: the in-memory readers hold one
/// generation's tables and batch list, the streaming reader one generation's bytes. Limits make
/// that bound one the caller chooses.
///
/// Where each applies:
///
/// - [`Trace::generations`](crate::Trace::generations) and
///   [`StreamReader::next_generation`](crate::StreamReader::next_generation) check them all.
///   The streaming reader stops reading at the byte that breaks a byte limit, so it never holds
///   more than the limits allow.
/// - Raw events of a v2 trace hold nothing across batches: the batch size, stack depth and total
///   bytes apply to them. Raw events of a v1 trace also count strings and stacks, since Go's v1
///   reader keeps them for the whole trace.
/// - A Go 1.5–1.21 trace has no generations: "per generation" means the whole trace, which the
///   model (`trace_model::Reader`) reads whole.
///
/// Byte limits count the file (headers included) from its start, or from the generation's first
/// batch. A limit error is reported as soon as it is found, even where a malformed batch would
/// wait for the end of the generation before it (Go before 1.26).
///
/// ```
/// use trace_format::{ErrorKind, Limit, Limits, Trace};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let bytes = std::fs::read("../../testdata/traces/go1.23.9/chan.trace")?;
/// let mut limits = Limits::default();
/// limits.max_stacks_per_generation = 4;
/// let trace = Trace::parse_with_limits(&bytes, limits)?;
/// let err = trace.generations()?.find_map(Result::err).expect("more than 4 stacks");
/// assert!(matches!(
///     err.kind(),
///     ErrorKind::LimitExceeded { limit: Limit::StacksPerGeneration, max: 4, .. }
/// ));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest batch, in bytes of data after its header (v2). Default: the format's 64 KiB.
    pub max_batch_size: u64,
    /// Most frames in one stack. Default: 1000, what Go's v1 reader allows; v2 stacks are held to
    /// the format's 128 frames whatever this says.
    pub max_stack_depth: u64,
    /// Most entries in one generation's string table. Default: 4,194,304.
    pub max_strings_per_generation: u64,
    /// Most entries in one generation's stack table. Default: 4,194,304.
    pub max_stacks_per_generation: u64,
    /// Largest generation, in bytes of the file. Default: no limit.
    pub max_generation_bytes: u64,
    /// Largest trace, in bytes. Default: no limit.
    pub max_total_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_batch_size: MAX_BATCH_SIZE,
            max_stack_depth: MAX_V1_FRAMES,
            max_strings_per_generation: 1 << 22,
            max_stacks_per_generation: 1 << 22,
            max_generation_bytes: u64::MAX,
            max_total_bytes: u64::MAX,
        }
    }
}

impl Limits {
    /// The same limits with `limit` set to `max`.
    ///
    /// ```
    /// use trace_format::{Limit, Limits};
    /// let limits = Limits::default().with(Limit::StackDepth, 64).with(Limit::TotalBytes, 1 << 30);
    /// assert_eq!(limits.get(Limit::StackDepth), 64);
    /// assert_eq!(limits.max_total_bytes, 1 << 30);
    /// ```
    pub fn with(mut self, limit: Limit, max: u64) -> Limits {
        *self.slot(limit) = max;
        self
    }

    /// The maximum `limit` allows.
    pub fn get(mut self, limit: Limit) -> u64 {
        *self.slot(limit)
    }

    /// `Ok` if `value` is within `limit`, else the [`LimitExceeded`](crate::ErrorKind::LimitExceeded)
    /// error, at byte `offset`.
    ///
    /// ```
    /// use trace_format::{Limit, Limits};
    /// let limits = Limits::default().with(Limit::TotalBytes, 100);
    /// assert!(limits.check(Limit::TotalBytes, 100, 0).is_ok());
    /// let err = limits.check(Limit::TotalBytes, 101, 100).unwrap_err();
    /// assert_eq!(err.offset(), 100);
    /// ```
    #[inline]
    pub fn check(self, limit: Limit, value: u64, offset: u64) -> crate::Result<()> {
        let max = self.get(limit);
        if value > max {
            return Err(exceeded(limit, value, max, offset));
        }
        Ok(())
    }

    fn slot(&mut self, limit: Limit) -> &mut u64 {
        match limit {
            Limit::BatchSize => &mut self.max_batch_size,
            Limit::StackDepth => &mut self.max_stack_depth,
            Limit::StringsPerGeneration => &mut self.max_strings_per_generation,
            Limit::StacksPerGeneration => &mut self.max_stacks_per_generation,
            Limit::GenerationBytes => &mut self.max_generation_bytes,
            Limit::TotalBytes => &mut self.max_total_bytes,
        }
    }

    /// No limits but the formats' own.
    pub const NONE: Limits = Limits {
        max_batch_size: u64::MAX,
        max_stack_depth: u64::MAX,
        max_strings_per_generation: u64::MAX,
        max_stacks_per_generation: u64::MAX,
        max_generation_bytes: u64::MAX,
        max_total_bytes: u64::MAX,
    };
}

/// An error for `value` breaking `limit`, whose maximum is `max`.
#[cold]
pub(crate) fn exceeded(limit: Limit, value: u64, max: u64, offset: u64) -> crate::Error {
    let kind = crate::ErrorKind::LimitExceeded { limit, value, max };
    crate::Error::new(kind, offset)
}
