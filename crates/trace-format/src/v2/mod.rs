//! The v2 wire formats: Go 1.22, 1.23 (also written by 1.24), 1.25 and 1.26 (also 1.27).

mod batch;
mod generation;
pub mod parse;
mod stream;

#[cfg(any(test, feature = "synth"))]
pub(crate) use batch::write_event_batch;
pub use batch::{Batch, BatchEvents, BatchKind, Batches, WireEvents, NO_M};
pub use generation::{CpuSample, Generation, Generations, RawClockSnapshot};
pub use stream::StreamReader;
