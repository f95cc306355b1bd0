//! Go execution traces as Parquet tables, for DuckDB on one machine and Spark across many.
//!
//! One streaming pass over a trace feeds its events, its stacks, Go's goroutine and task
//! summaries, the GC analysis and the four blocking profiles of `go tool trace -pprof` together,
//! and writes each as a Parquet table in a Hive-style layout:
//!
//! ```text
//! OUT_DIR/TABLE/trace=ID/part-0.parquet
//! ```
//!
//! `TABLE` is one of the nine tables below and `ID` the trace's [`TraceId`]: the XXH3 128-bit
//! hash of its bytes in hex, the same for the same file on every machine and in every run (what
//! `xxhsum -H2 FILE` prints). A directory of many traces, exported on one machine or many, is
//! one dataset: DuckDB reads a table with `read_parquet('OUT_DIR/events/*/*.parquet',
//! hive_partitioning = true)` and Spark with `spark.read.parquet("OUT_DIR/events")`, both with a
//! `trace` column from the directory name to join the tables on.
//!
//! ```
//! # fn main() -> Result<(), trace_columnar::Error> {
//! let out = std::env::temp_dir().join(format!("trace-columnar-doc-{}", std::process::id()));
//! let trace = "../../testdata/traces/go1.25.5/net.trace";
//! let done = trace_columnar::export_file(trace.as_ref(), &out, &Default::default())?;
//! let events = out.join("events").join(format!("trace={}", done.id)).join("part-0.parquet");
//! assert!(events.exists() && done.events > 0);
//! # std::fs::remove_dir_all(&out)?;
//! # Ok(()) }
//! ```
//!
//! # How it is written
//!
//! - Streaming: the trace is read one generation at a time ([`trace_model::Reader::from_read`]),
//!   and each table holds at most one row group of rows ([`Options::row_group_rows`], 131,072 by
//!   default) before writing it out. The `events` table's row groups are encoded and compressed
//!   on a thread of their own while the next fills (so two may be in memory), and the analyses
//!   take the events on a second thread while the reader orders the next ones
//!   ([`trace_model::Reader::feed_pipelined`]). What the analyses themselves hold — Go's summary
//!   of every goroutine, region and task, the GC cycles, the profiles' stacks — stays in memory
//!   until the end, as in `trace-goroutines`, `trace-gc` and `trace2pprof`.
//! - Compressed with Snappy ([`Compression`]); strings and small integers dictionary-encoded,
//!   times as bit-packed differences; minimum and maximum of every integer column chunk, so
//!   readers skip row groups by time or ID.
//! - Atomic per trace: the tables are written under a hidden `OUT_DIR/.staging-*` directory and
//!   moved into place only when all of them are complete, the `traces` row last. A trace that
//!   can't be read leaves nothing behind; exporting a trace again replaces its tables.
//! - Written with the `parquet` crate's low-level column writers: no Arrow, no async, Snappy
//!   only, which keeps the build small.
//!
//! Strings are UTF-8, as Parquet's `STRING` must be: the trace's bytes as they are (Go writes
//! UTF-8), an invalid sequence replaced by U+FFFD, as Go's `encoding/json` writes it.
//! Times are the trace's nanoseconds (`events.time`, every `*_ns` instant): Go's monotonic clock,
//! comparable within a trace. `traces.wall_start` places a Go 1.25+ trace on the wall clock.
//! IDs Go writes as unsigned 64-bit numbers (tasks, PCs, metric values) are BIGINTs: the rare
//! value past 2^63 reads as negative.
//!
//! # The tables
//!
//! ### `traces`: one row per trace
//!
//! | column | type | meaning |
//! | --- | --- | --- |
//! | `file` | VARCHAR | the trace's path as given to the exporter |
//! | `go_version` | VARCHAR | the version in the trace's header, `go1.5` to `go1.26` (Go 1.24 writes 1.23's, Go 1.27 1.26's) |
//! | `size_bytes` | BIGINT | the file's size |
//! | `events` | BIGINT | events in the ordered stream: rows of `events`, as many as Go's reader gives |
//! | `generations` | BIGINT | generations (`Sync` events less one), as `trace-check` counts them |
//! | `goroutines` | BIGINT | goroutines the summary found: rows of `goroutines` |
//! | `first_time_ns` | BIGINT, null | trace time of the first event |
//! | `last_time_ns` | BIGINT, null | trace time of the last event |
//! | `duration_ns` | BIGINT | last event's time less the first's |
//! | `wall_start` | TIMESTAMPTZ, null | wall-clock time of the first event, from the trace's first clock snapshot (Go 1.25+; null before) |
//! | `wall_start_unix_ns` | BIGINT, null | the same in nanoseconds since the Unix epoch |
//! | `gc_cycles` | BIGINT | GC cycles: rows of `gc_cycles` |
//! | `stw_ns` | BIGINT | stop-the-world time of every ended pause: the sum of `stw_pauses.duration_ns` |
//!
//! ### `events`: one row per event, in Go's order
//!
//! | column | type | meaning |
//! | --- | --- | --- |
//! | `time` | BIGINT | trace time, nanoseconds |
//! | `kind` | VARCHAR | Go's `EventKind`: `StateTransition`, `RangeBegin`, `Log`, `Sync`... |
//! | `event` | VARCHAR | the wire event it came from: `GoBlock`, `ProcStart`, `GCBegin`, `Sync`... |
//! | `m` | BIGINT, null | the M (thread) it happened on, null for none |
//! | `p` | BIGINT, null | the P, null for none |
//! | `g` | BIGINT, null | the goroutine, null for none |
//! | `stack_id` | BIGINT, null | where it happened: `stacks.stack_id`, null for no stack |
//! | `resource` | VARCHAR, null | `Goroutine` or `Proc`: what a state transition is of, a range's scope, a label's resource |
//! | `resource_id` | BIGINT, null | its ID |
//! | `from_state` | VARCHAR, null | state transitions: the state before (`Running`, `Waiting`, `Idle`...) |
//! | `to_state` | VARCHAR, null | state transitions: the state after |
//! | `reason` | VARCHAR, null | state transitions: Go's reason (`chan receive`, `network`, `preempted`...), null for none |
//! | `transition_stack_id` | BIGINT, null | state transitions: the transition's stack (a new goroutine's start), null for none |
//! | `range_name` | VARCHAR, null | ranges: `GC concurrent mark phase`, `GC incremental sweep`, `GC mark assist`, `stop-the-world (REASON)` |
//! | `swept_bytes` | BIGINT, null | `RangeEnd` of a sweep: bytes swept |
//! | `reclaimed_bytes` | BIGINT, null | `RangeEnd` of a sweep: bytes reclaimed |
//! | `task_id` | BIGINT, null | tasks: the task; regions and logs: their task (0 the background task) |
//! | `parent_task_id` | BIGINT, null | tasks: the parent, null for none or unknown |
//! | `task_type` | VARCHAR, null | tasks: the task's type |
//! | `region_type` | VARCHAR, null | regions: the region's type |
//! | `log_category` | VARCHAR, null | logs: the category |
//! | `log_message` | VARCHAR, null | logs: the message |
//! | `label` | VARCHAR, null | labels: the label |
//! | `metric_name` | VARCHAR, null | metrics: `/sched/gomaxprocs:threads`, `/memory/classes/heap/objects:bytes` or `/gc/heap/goal:bytes` |
//! | `metric_value` | BIGINT, null | metrics: the value |
//! | `sync_n` | BIGINT, null | `Sync` events: Go's N, 1 for the first |
//!
//! ### `stacks`: one row per frame of each distinct stack of the trace
//!
//! | column | type | meaning |
//! | --- | --- | --- |
//! | `stack_id` | BIGINT | the stack: a hash of its frames, the same in every trace for the same frames |
//! | `depth` | BIGINT | the frame's place, 0 for the innermost (the leaf) |
//! | `function` | VARCHAR | function name, empty if the trace has none (Go 1.5, 1.6) |
//! | `file` | VARCHAR | file name |
//! | `line` | BIGINT | line number |
//! | `pc` | BIGINT | program counter |
//!
//! ### `goroutines`: one row per goroutine: Go's goroutine summary (`go tool trace`'s /goroutines page)
//!
//! | column | type | meaning |
//! | --- | --- | --- |
//! | `goroutine_id` | BIGINT | the goroutine |
//! | `name` | VARCHAR | its start function, by which `go tool trace` groups goroutines; empty if unknown |
//! | `is_system` | BOOLEAN | a runtime goroutine (Go's `IsSystemGoroutine`) |
//! | `pc` | BIGINT | the start function's PC, 0 if unknown |
//! | `creation_ns` | BIGINT, null | when it was created or first seen |
//! | `start_ns` | BIGINT, null | when it first ran, null if never |
//! | `end_ns` | BIGINT, null | when it exited or blocked forever, null if alive at the end |
//! | `total_ns` | BIGINT | its lifetime in the trace: what the times below divide |
//! | `exec_ns` | BIGINT | running |
//! | `sched_wait_ns` | BIGINT | runnable, waiting for a P |
//! | `syscall_ns` | BIGINT | in system calls |
//! | `syscall_block_ns` | BIGINT | in system calls that lost their P |
//! | `block_ns` | BIGINT | blocked, all reasons |
//! | `unknown_ns` | BIGINT | what the others leave of `total_ns` |
//! | `block_by_reason` | MAP(VARCHAR, BIGINT) | blocked time by Go's reason (`chan receive`, `network`, ...) |
//! | `range_ns` | MAP(VARCHAR, BIGINT) | time inside ranges (`GC mark assist`, `stop-the-world (...)`) by name; overlaps the rest |
//! | `regions` | BIGINT | its user regions: rows of `regions` |
//!
//! ### `regions`: one row per user region (`trace.WithRegion`), with its goroutine's time inside it
//!
//! | column | type | meaning |
//! | --- | --- | --- |
//! | `goroutine_id` | BIGINT | the goroutine it ran on |
//! | `task_id` | BIGINT | its task, 0 for none |
//! | `region_type` | VARCHAR | its type; empty for a region inherited from the goroutine's creator |
//! | `start_ns` | BIGINT, null | its beginning, null if the trace began inside it |
//! | `end_ns` | BIGINT, null | its end, null if the trace ended inside it |
//! | `total_ns` | BIGINT | its length |
//! | `exec_ns` | BIGINT | running |
//! | `sched_wait_ns` | BIGINT | runnable, waiting for a P |
//! | `syscall_ns` | BIGINT | in system calls |
//! | `syscall_block_ns` | BIGINT | in system calls that lost their P |
//! | `block_ns` | BIGINT | blocked, all reasons |
//! | `unknown_ns` | BIGINT | what the others leave of `total_ns` |
//! | `block_by_reason` | MAP(VARCHAR, BIGINT) | blocked time by Go's reason |
//! | `range_ns` | MAP(VARCHAR, BIGINT) | time inside ranges by name |
//!
//! ### `tasks`: one row per user task (`trace.NewTask`); task 0 is the background task
//!
//! | column | type | meaning |
//! | --- | --- | --- |
//! | `task_id` | BIGINT | the task |
//! | `task_type` | VARCHAR | its type, empty if the trace never says |
//! | `parent_task_id` | BIGINT, null | its parent, null for none or unknown |
//! | `start_ns` | BIGINT, null | its beginning, null if the trace lacks it |
//! | `end_ns` | BIGINT, null | its end, null if the trace lacks it |
//! | `duration_ns` | BIGINT, null | end less beginning, null if either is missing |
//! | `children` | BIGINT | its subtasks |
//! | `goroutines` | BIGINT | goroutines that began, ended or logged in it or ran its regions |
//! | `regions` | BIGINT | its regions |
//! | `logs` | BIGINT | its log messages |
//!
//! ### `gc_cycles`: one row per GC cycle
//!
//! | column | type | meaning |
//! | --- | --- | --- |
//! | `n` | BIGINT | its number in the trace, from 1 |
//! | `start_ns` | BIGINT, null | start of the mark phase, null if it began before the trace |
//! | `mark_end_ns` | BIGINT, null | end of the mark phase |
//! | `end_ns` | BIGINT, null | end of the cycle (of its mark termination pause), null if the trace ended first |
//! | `pauses` | BIGINT | its stop-the-world pauses |
//! | `stw_ns` | BIGINT | their total time (ended pauses) |
//! | `assists` | BIGINT | mark assists that began during it |
//! | `assist_ns` | BIGINT | their total time |
//! | `heap_before_bytes` | BIGINT, null | heap in use last seen before it |
//! | `heap_peak_bytes` | BIGINT, null | peak heap in use during it |
//! | `heap_after_bytes` | BIGINT, null | heap in use last seen by its end |
//! | `heap_goal_bytes` | BIGINT, null | the heap goal when it ended |
//!
//! ### `stw_pauses`: one row per stop-the-world pause, in or out of GC cycles
//!
//! | column | type | meaning |
//! | --- | --- | --- |
//! | `reason` | VARCHAR | why: `GC mark termination`, `GC sweep termination`, `GOMAXPROCS`... |
//! | `start_ns` | BIGINT | when it began |
//! | `end_ns` | BIGINT, null | when it ended, null if the trace ended first |
//! | `duration_ns` | BIGINT, null | how long it lasted, null if it didn't end |
//! | `gc_cycle` | BIGINT, null | the GC cycle it belongs to (`gc_cycles.n`), null for none |
//!
//! ### `profile_samples`: one row per sample of the four profiles of `go tool trace -pprof` (what `trace2pprof` writes)
//!
//! | column | type | meaning |
//! | --- | --- | --- |
//! | `kind` | VARCHAR | `net`, `sync`, `syscall` or `sched` |
//! | `stack_id` | BIGINT | where the intervals began: `stacks.stack_id` (at most 128 frames) |
//! | `count` | BIGINT | how many intervals |
//! | `delay_ns` | BIGINT | their total time |
//!
//! A stack's ID is a hash of its frames (63 bits of XXH3-128 of each frame's PC, line, function
//! and file), so the same stack has the same ID in every generation and in every trace of the
//! same program, and `GROUP BY stack_id` works across traces. Within a trace IDs are unique (two
//! stacks whose hashes share 63 bits get distinct IDs), and each stack's frames are written once.
//! A stack present with no frames has an ID and no rows. A profile's stack is cut to 128 frames,
//! as Go's is, so it may differ from the event's stack it came from.
//!

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod columns;
mod events;
mod export;
pub mod schema;
mod stacks;

pub use export::{export_file, export_read, Exported};
pub use schema::{ColType, ColumnSpec, TableSpec, TABLES};

/// Why a trace could not be exported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The trace could not be read.
    #[error(transparent)]
    Trace(#[from] trace_model::Error),
    /// A profile could not be made.
    #[error(transparent)]
    Profile(#[from] trace_pprof::Error),
    /// Writing Parquet failed (the source says why).
    #[error("writing Parquet: {0}")]
    Parquet(Box<dyn std::error::Error + Send + Sync>),
    /// Reading the trace or writing the tables failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A table's buffers don't match its schema: a bug of this crate.
    #[error("schema: {0}")]
    Schema(String),
}

impl From<parquet::errors::ParquetError> for Error {
    fn from(e: parquet::errors::ParquetError) -> Error {
        match e {
            parquet::errors::ParquetError::External(e) => Error::Parquet(e),
            e => Error::Parquet(Box::new(e)),
        }
    }
}

/// A trace's ID: the XXH3 128-bit hash of its bytes (what `xxhsum -H2` prints), as 32 hex
/// digits. The same file has the same ID on every machine and in every run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceId(pub u128);

impl std::fmt::Display for TraceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl TraceId {
    /// The ID of a trace's bytes.
    pub fn of(bytes: &[u8]) -> TraceId {
        TraceId(twox_hash::XxHash3_128::oneshot(bytes))
    }
}

/// How the tables are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Compression {
    /// Snappy: fast, and what Spark writes by default.
    #[default]
    Snappy,
    /// None.
    Uncompressed,
}

impl Compression {
    fn parquet(self) -> parquet::basic::Compression {
        match self {
            Compression::Snappy => parquet::basic::Compression::SNAPPY,
            Compression::Uncompressed => parquet::basic::Compression::UNCOMPRESSED,
        }
    }
}

/// How to export.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Rows per row group: each table holds at most this many rows in memory.
    pub row_group_rows: usize,
    /// Compression of the column chunks.
    pub compression: Compression,
    /// Threads: 1 reads and writes on the calling thread; more also writes on a second one
    /// while the reader orders events on this one.
    pub threads: usize,
    /// Read a broken trace as far as it can be trusted
    /// ([`Reader::salvage`](trace_model::Reader::salvage)) rather than refuse it as Go does:
    /// its tables hold what salvage kept, and [`Exported::salvage`] says what was dropped.
    pub salvage: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            row_group_rows: 128 * 1024,
            compression: Compression::Snappy,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            salvage: false,
        }
    }
}
