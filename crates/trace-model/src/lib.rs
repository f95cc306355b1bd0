//! Ordering and state for Go execution traces (not yet implemented).
//!
//! This layer will turn the per-M batches that `trace-format` decodes into the single ordered
//! stream of events Go's `internal/trace` reader produces, with the state of every goroutine, P, M
//! and of the GC, and one event model for every trace version. It is a documented skeleton until
//! that work lands.

#![forbid(unsafe_code)]

pub use trace_format as format;
