//! Read Go execution traces of every version, in Rust.
//!
//! This crate re-exports the workspace's layers:
//!
//! - [`format`](mod@format) (`trace-format`): zero-copy decoding of the wire formats and Go's raw text format.
//! - [`model`] (`trace-model`): ordering, goroutine/P/M/GC state, one event model for every version.
//! - [`pprof`] (`trace-pprof`): the net, sync, syscall and sched profiles of `go tool trace -pprof`.
//! - [`viewer`] (`trace-viewer`): the timeline of `go tool trace`, Go's JSON byte for byte.
//! - `columnar` (`trace-columnar`, with the cargo feature `columnar`): traces as Parquet tables.
//!
//! ```
//! # fn main() -> Result<(), gotrace::format::Error> {
//! let bytes = std::fs::read("testdata/traces/go1.23.9/chan.trace").unwrap();
//! let trace = gotrace::format::Trace::parse(&bytes)?;
//! let events = trace.raw_events()?.count();
//! assert!(events > 0);
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

pub use trace_format as format;
pub use trace_model as model;
pub use trace_pprof as pprof;
pub use trace_viewer as viewer;

/// Traces as Parquet tables (the cargo feature `columnar`).
#[cfg(feature = "columnar")]
pub use trace_columnar as columnar;

/// The README's Rust examples, compiled and run as doctests so they can't go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
