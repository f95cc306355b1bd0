//! Ordering and state for Go execution traces: the single ordered stream of events Go's
//! `internal/trace` reader produces, with the state of every goroutine, P and M and of the GC.
//!
//! `trace-format` decodes the bytes: per-M batches of raw events, grouped in generations with
//! their string and stack tables. This crate orders them. Each M's events are in order, but Ms
//! are not ordered against each other, so the [`Reader`] keeps a cursor on every M's next event
//! and applies the one that can happen next given the state machines of goroutines, Ps, Ms and
//! the GC (sequence numbers, status events, syscalls and stolen Ps). The result is a stream of
//! [`Event`]s — state transitions, ranges, tasks, regions, logs, metrics, CPU samples and sync
//! points — whose `Display` is exactly Go's `Event.String()`. `trace-pprof` builds profiles on
//! top of it.
//!
//! Memory holds the generation being read (and the state of live goroutines), never the whole
//! trace: [`Reader::new`] reads batches in place from a slice, [`Reader::from_read`] copies one
//! generation at a time out of a stream.
//!
//! ```
//! # fn main() -> Result<(), trace_model::Error> {
//! let bytes = std::fs::read("../../testdata/traces/go1.25.5/mutex.trace").unwrap();
//! let mut running = 0;
//! for event in trace_model::Reader::new(&bytes)? {
//!     let event = event?;
//!     if event.kind() == trace_model::EventKind::StateTransition {
//!         let t = event.state_transition().unwrap();
//!         if let Some((_, trace_model::GoState::Running)) = t.goroutine() {
//!             running += 1;
//!         }
//!     }
//! }
//! assert!(running > 0);
//!
//! // A Go 1.19 trace reads the same way, into the same kinds of events.
//! let old = std::fs::read("../../testdata/traces/go1.19/chan.trace").unwrap();
//! let mut blocked = 0;
//! for event in trace_model::Reader::new(&old)? {
//!     let event = event?;
//!     let to = event.state_transition().and_then(|t| t.goroutine()).map(|(_, to)| to);
//!     blocked += usize::from(to == Some(trace_model::GoState::Waiting));
//! }
//! assert!(blocked > 0);
//! # Ok(()) }
//! ```
//!
//! Traces of every version come out as the same events. Go 1.22+ traces are ordered one
//! generation at a time; a Go 1.5–1.21 trace has no generations, so it is read, ordered and
//! checked whole when the reader opens it, then converted event by event into the new format's
//! events, as Go 1.27 does (see the `v1` module for what the old formats can't tell).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod event;
mod gosort;
mod order;
mod reader;
mod table;
mod v1;
mod wall;

pub use error::{Error, ErrorKind, OrderError, Result};
pub use event::{
    ClockSnapshot, Event, EventKind, ExperimentalEvent, GoId, GoState, Label, Log, Metric, ProcId,
    ProcState, Range, RangeAttribute, Region, ResourceId, ResourceKind, Stack, StackFrame,
    StateTransition, Sync, Task, TaskId, ThreadId, Time, Value, BACKGROUND_TASK, NO_GOROUTINE,
    NO_PROC, NO_TASK, NO_THREAD,
};
pub use reader::Reader;
pub use table::Table;
pub use trace_format as format;
