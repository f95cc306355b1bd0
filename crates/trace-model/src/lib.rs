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
//! trace: [`Reader::new`] reads batches in place from a slice, [`Reader::from_read`] reads one
//! generation at a time from a stream into one buffer, and orders it in place there.
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
//! On top of the stream sit the analyses `go tool trace` shows, each fed one event at a time
//! so that memory holds their results, not the events: [`summary`] (goroutines with where
//! their time went, user tasks and regions: the `/goroutines` and `/usertasks` pages), [`mmu`]
//! (mutator utilization and minimum mutator utilization curves: the `/mmu` page) and [`gc`]
//! (GC cycles, stop-the-world pauses, assists and heap). The first two compute exactly what Go
//! 1.27's `internal/trace` computes.
//!
//! Traces of every version come out as the same events. Go 1.22+ traces are ordered one
//! generation at a time; a Go 1.5–1.21 trace has no generations, so it is read, ordered and
//! checked whole when the reader opens it, then converted event by event into the new format's
//! events, as Go 1.27 does.
//!
//! # Old formats
//!
//! What a v1 trace can't tell shows as it does in Go 1.27's reader: goroutines that existed
//! before the trace begin with a status event (`Undetermined->Waiting`, `->Runnable`,
//! `->Running`, `->Syscall`); a goroutine in a syscall at the start has no known M; a syscall
//! that didn't block lasts 1 ns; events that belong to no P sit on Go's pseudo-Ps (1000001
//! timers, 1000002 the network poller, 1000003 syscall exits, 1000004 the GC). Where Go's own
//! order is random (events sharing a tick), ours is fixed: Ps in order of first appearance,
//! goroutines in order of creation.
//!
//! Go 1.5 to 1.10 traces, which no current Go reads, are read as Go 1.21 read them: Go 1.5
//! orders by its global sequence numbers, stop-the-world is per P before Go 1.10, and futile
//! wakeups (Go 1.5–1.9) are dropped with the wakeup around them. Go 1.5 and 1.6 stacks hold
//! PCs only: their frames have empty function and file names and line 0, and a goroutine's
//! creation stack is one frame, its start PC. A trace whose clock contradicts its order (Go's
//! `ErrTimeOrder`) is refused with [`OrderError::TimeOrder`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod diff;
pub mod doctor;
mod error;
mod event;
pub mod gc;
pub mod mmu;
mod order;
mod queue;
mod reader;
pub mod regions;
pub mod sink;
pub mod summary;
mod table;
mod v1;
mod wall;

// Go's slices.SortFunc, whose order of equal elements Go's output depends on.
use trace_format::gosort;

pub use error::{Error, ErrorKind, OrderError, Result};
pub use event::{
    ClockSnapshot, Event, EventKind, ExperimentalEvent, GoId, GoState, Label, Log, Metric, ProcId,
    ProcState, Range, RangeAttribute, RangeKind, Region, ResourceId, ResourceKind, Stack,
    StackFrame, StateTransition, Sync, Task, TaskId, ThreadId, Time, Value, BACKGROUND_TASK,
    NO_GOROUTINE, NO_PROC, NO_TASK, NO_THREAD,
};
pub use reader::{EventBatch, Reader, ReaderOptions, SalvageReport};
pub use sink::EventSink;
pub use summary::{Summarizer, Summary};

pub use trace_format as format;
pub use trace_format::{Limit, Limits};
