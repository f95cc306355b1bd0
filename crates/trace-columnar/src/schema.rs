//! The tables and their columns: one place says what each column is, and the Parquet schema,
//! the buffers and the crate's documentation follow from it (a test checks the docs).

/// A column's type in Parquet terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    /// `INT64`.
    I64,
    /// `BOOLEAN`.
    Bool,
    /// `BYTE_ARRAY` annotated `STRING` (the trace's bytes; Go writes UTF-8).
    Str,
    /// `INT64` annotated `TIMESTAMP(MICROS, UTC)`.
    Timestamp,
    /// `MAP<STRING, INT64>`.
    MapStrI64,
}

impl ColType {
    /// The type as the docs name it: DuckDB's names.
    pub fn sql(self) -> &'static str {
        match self {
            ColType::I64 => "BIGINT",
            ColType::Bool => "BOOLEAN",
            ColType::Str => "VARCHAR",
            ColType::Timestamp => "TIMESTAMPTZ",
            ColType::MapStrI64 => "MAP(VARCHAR, BIGINT)",
        }
    }
}

/// One column of a table.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    /// Its name.
    pub name: &'static str,
    /// Its type.
    pub ty: ColType,
    /// Whether it may be null.
    pub optional: bool,
    /// What it holds.
    pub doc: &'static str,
    /// Values rarely repeat (times): written without a dictionary, as bit-packed differences.
    pub(crate) unique: bool,
}

/// One table: its directory name under the output directory, and its columns in order.
#[derive(Debug)]
pub struct TableSpec {
    /// The directory under the output directory, and the table's name in queries.
    pub name: &'static str,
    /// What a row is.
    pub doc: &'static str,
    /// The columns, in file order.
    pub columns: &'static [ColumnSpec],
}

impl TableSpec {
    /// The schema in Parquet's message-type syntax.
    pub fn message_type(&self) -> String {
        let mut s = format!("message {} {{\n", self.name);
        for c in self.columns {
            let rep = if c.optional { "optional" } else { "required" };
            let line = match c.ty {
                ColType::I64 => format!("  {rep} int64 {};\n", c.name),
                ColType::Bool => format!("  {rep} boolean {};\n", c.name),
                ColType::Str => format!("  {rep} binary {} (STRING);\n", c.name),
                ColType::Timestamp => {
                    format!("  {rep} int64 {} (TIMESTAMP(MICROS,true));\n", c.name)
                }
                ColType::MapStrI64 => format!(
                    "  {rep} group {} (MAP) {{\n    repeated group key_value {{\n      \
                     required binary key (STRING);\n      required int64 value;\n    }}\n  }}\n",
                    c.name
                ),
            };
            s.push_str(&line);
        }
        s.push_str("}\n");
        s
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The docs' table of the columns, in Markdown: column, type, meaning.
    pub fn markdown(&self) -> String {
        let mut s = String::from("| column | type | meaning |\n| --- | --- | --- |\n");
        for c in self.columns {
            let null = if c.optional { ", null" } else { "" };
            s.push_str(&format!(
                "| `{}` | {}{null} | {} |\n",
                c.name,
                c.ty.sql(),
                c.doc
            ));
        }
        s
    }
}

const fn col(name: &'static str, ty: ColType, doc: &'static str) -> ColumnSpec {
    ColumnSpec {
        name,
        ty,
        optional: false,
        doc,
        unique: false,
    }
}

const fn opt(name: &'static str, ty: ColType, doc: &'static str) -> ColumnSpec {
    ColumnSpec {
        name,
        ty,
        optional: true,
        doc,
        unique: false,
    }
}

use ColType::{Bool, MapStrI64, Str, Timestamp, I64};

/// `traces`: one row per trace.
pub static TRACES: TableSpec = TableSpec {
    name: "traces",
    doc: "one row per trace",
    columns: &[
        col("file", Str, "the trace's path as given to the exporter"),
        col(
            "go_version",
            Str,
            "the version in the trace's header, `go1.5` to `go1.26` (Go 1.24 writes 1.23's, Go 1.27 1.26's)",
        ),
        col("size_bytes", I64, "the file's size"),
        col("events", I64, "events in the ordered stream: rows of `events`, as many as Go's reader gives"),
        col("generations", I64, "generations (`Sync` events less one), as `trace-check` counts them"),
        col("goroutines", I64, "goroutines the summary found: rows of `goroutines`"),
        opt("first_time_ns", I64, "trace time of the first event"),
        opt("last_time_ns", I64, "trace time of the last event"),
        col("duration_ns", I64, "last event's time less the first's"),
        opt(
            "wall_start",
            Timestamp,
            "wall-clock time of the first event, from the trace's first clock snapshot (Go 1.25+; null before)",
        ),
        opt("wall_start_unix_ns", I64, "the same in nanoseconds since the Unix epoch"),
        col("gc_cycles", I64, "GC cycles: rows of `gc_cycles`"),
        col("stw_ns", I64, "stop-the-world time of every ended pause: the sum of `stw_pauses.duration_ns`"),
    ],
};

/// `events`: one row per event of the ordered stream.
pub static EVENTS: TableSpec = TableSpec {
    name: "events",
    doc: "one row per event, in Go's order",
    columns: &[
        ColumnSpec {
            unique: true,
            ..col("time", I64, "trace time, nanoseconds")
        },
        col("kind", Str, "Go's `EventKind`: `StateTransition`, `RangeBegin`, `Log`, `Sync`..."),
        col("event", Str, "the wire event it came from: `GoBlock`, `ProcStart`, `GCBegin`, `Sync`..."),
        opt("m", I64, "the M (thread) it happened on, null for none"),
        opt("p", I64, "the P, null for none"),
        opt("g", I64, "the goroutine, null for none"),
        opt("stack_id", I64, "where it happened: `stacks.stack_id`, null for no stack"),
        opt(
            "resource",
            Str,
            "`Goroutine` or `Proc`: what a state transition is of, a range's scope, a label's resource",
        ),
        opt("resource_id", I64, "its ID"),
        opt("from_state", Str, "state transitions: the state before (`Running`, `Waiting`, `Idle`...)"),
        opt("to_state", Str, "state transitions: the state after"),
        opt("reason", Str, "state transitions: Go's reason (`chan receive`, `network`, `preempted`...), null for none"),
        opt(
            "transition_stack_id",
            I64,
            "state transitions: the transition's stack (a new goroutine's start), null for none",
        ),
        opt(
            "range_name",
            Str,
            "ranges: `GC concurrent mark phase`, `GC incremental sweep`, `GC mark assist`, `stop-the-world (REASON)`",
        ),
        opt("swept_bytes", I64, "`RangeEnd` of a sweep: bytes swept"),
        opt("reclaimed_bytes", I64, "`RangeEnd` of a sweep: bytes reclaimed"),
        opt("task_id", I64, "tasks: the task; regions and logs: their task (0 the background task)"),
        opt("parent_task_id", I64, "tasks: the parent, null for none or unknown"),
        opt("task_type", Str, "tasks: the task's type"),
        opt("region_type", Str, "regions: the region's type"),
        opt("log_category", Str, "logs: the category"),
        opt("log_message", Str, "logs: the message"),
        opt("label", Str, "labels: the label"),
        opt(
            "metric_name",
            Str,
            "metrics: `/sched/gomaxprocs:threads`, `/memory/classes/heap/objects:bytes` or `/gc/heap/goal:bytes`",
        ),
        opt("metric_value", I64, "metrics: the value"),
        opt("sync_n", I64, "`Sync` events: Go's N, 1 for the first"),
    ],
};

/// `stacks`: one row per frame of each distinct stack.
pub static STACKS: TableSpec = TableSpec {
    name: "stacks",
    doc: "one row per frame of each distinct stack of the trace",
    columns: &[
        col(
            "stack_id",
            I64,
            "the stack: a hash of its frames, the same in every trace for the same frames",
        ),
        col(
            "depth",
            I64,
            "the frame's place, 0 for the innermost (the leaf)",
        ),
        col(
            "function",
            Str,
            "function name, empty if the trace has none (Go 1.5, 1.6)",
        ),
        col("file", Str, "file name"),
        col("line", I64, "line number"),
        col("pc", I64, "program counter"),
    ],
};

/// `goroutines`: one row per goroutine of the summary.
pub static GOROUTINES: TableSpec = TableSpec {
    name: "goroutines",
    doc: "one row per goroutine: Go's goroutine summary (`go tool trace`'s /goroutines page)",
    columns: &[
        col("goroutine_id", I64, "the goroutine"),
        col("name", Str, "its start function, by which `go tool trace` groups goroutines; empty if unknown"),
        col("is_system", Bool, "a runtime goroutine (Go's `IsSystemGoroutine`)"),
        col("pc", I64, "the start function's PC, 0 if unknown"),
        opt("creation_ns", I64, "when it was created or first seen"),
        opt("start_ns", I64, "when it first ran, null if never"),
        opt("end_ns", I64, "when it exited or blocked forever, null if alive at the end"),
        col("total_ns", I64, "its lifetime in the trace: what the times below divide"),
        col("exec_ns", I64, "running"),
        col("sched_wait_ns", I64, "runnable, waiting for a P"),
        col("syscall_ns", I64, "in system calls"),
        col("syscall_block_ns", I64, "in system calls that lost their P"),
        col("block_ns", I64, "blocked, all reasons"),
        col("unknown_ns", I64, "what the others leave of `total_ns`"),
        col("block_by_reason", MapStrI64, "blocked time by Go's reason (`chan receive`, `network`, ...)"),
        col("range_ns", MapStrI64, "time inside ranges (`GC mark assist`, `stop-the-world (...)`) by name; overlaps the rest"),
        col("regions", I64, "its user regions: rows of `regions`"),
    ],
};

/// `regions`: one row per user region.
pub static REGIONS: TableSpec = TableSpec {
    name: "regions",
    doc: "one row per user region (`trace.WithRegion`), with its goroutine's time inside it",
    columns: &[
        col("goroutine_id", I64, "the goroutine it ran on"),
        col("task_id", I64, "its task, 0 for none"),
        col(
            "region_type",
            Str,
            "its type; empty for a region inherited from the goroutine's creator",
        ),
        opt(
            "start_ns",
            I64,
            "its beginning, null if the trace began inside it",
        ),
        opt("end_ns", I64, "its end, null if the trace ended inside it"),
        col("total_ns", I64, "its length"),
        col("exec_ns", I64, "running"),
        col("sched_wait_ns", I64, "runnable, waiting for a P"),
        col("syscall_ns", I64, "in system calls"),
        col("syscall_block_ns", I64, "in system calls that lost their P"),
        col("block_ns", I64, "blocked, all reasons"),
        col("unknown_ns", I64, "what the others leave of `total_ns`"),
        col("block_by_reason", MapStrI64, "blocked time by Go's reason"),
        col("range_ns", MapStrI64, "time inside ranges by name"),
    ],
};

/// `tasks`: one row per user task.
pub static TASKS: TableSpec = TableSpec {
    name: "tasks",
    doc: "one row per user task (`trace.NewTask`); task 0 is the background task",
    columns: &[
        col("task_id", I64, "the task"),
        col("task_type", Str, "its type, empty if the trace never says"),
        opt(
            "parent_task_id",
            I64,
            "its parent, null for none or unknown",
        ),
        opt("start_ns", I64, "its beginning, null if the trace lacks it"),
        opt("end_ns", I64, "its end, null if the trace lacks it"),
        opt(
            "duration_ns",
            I64,
            "end less beginning, null if either is missing",
        ),
        col("children", I64, "its subtasks"),
        col(
            "goroutines",
            I64,
            "goroutines that began, ended or logged in it or ran its regions",
        ),
        col("regions", I64, "its regions"),
        col("logs", I64, "its log messages"),
    ],
};

/// `gc_cycles`: one row per GC cycle.
pub static GC_CYCLES: TableSpec = TableSpec {
    name: "gc_cycles",
    doc: "one row per GC cycle",
    columns: &[
        col("n", I64, "its number in the trace, from 1"),
        opt(
            "start_ns",
            I64,
            "start of the mark phase, null if it began before the trace",
        ),
        opt("mark_end_ns", I64, "end of the mark phase"),
        opt(
            "end_ns",
            I64,
            "end of the cycle (of its mark termination pause), null if the trace ended first",
        ),
        col("pauses", I64, "its stop-the-world pauses"),
        col("stw_ns", I64, "their total time (ended pauses)"),
        col("assists", I64, "mark assists that began during it"),
        col("assist_ns", I64, "their total time"),
        opt("heap_before_bytes", I64, "heap in use last seen before it"),
        opt("heap_peak_bytes", I64, "peak heap in use during it"),
        opt("heap_after_bytes", I64, "heap in use last seen by its end"),
        opt("heap_goal_bytes", I64, "the heap goal when it ended"),
    ],
};

/// `stw_pauses`: one row per stop-the-world pause.
pub static STW_PAUSES: TableSpec = TableSpec {
    name: "stw_pauses",
    doc: "one row per stop-the-world pause, in or out of GC cycles",
    columns: &[
        col(
            "reason",
            Str,
            "why: `GC mark termination`, `GC sweep termination`, `GOMAXPROCS`...",
        ),
        col("start_ns", I64, "when it began"),
        opt(
            "end_ns",
            I64,
            "when it ended, null if the trace ended first",
        ),
        opt(
            "duration_ns",
            I64,
            "how long it lasted, null if it didn't end",
        ),
        opt(
            "gc_cycle",
            I64,
            "the GC cycle it belongs to (`gc_cycles.n`), null for none",
        ),
    ],
};

/// `profile_samples`: one row per stack of each blocking profile.
pub static PROFILE_SAMPLES: TableSpec = TableSpec {
    name: "profile_samples",
    doc: "one row per sample of the four profiles of `go tool trace -pprof` (what `trace2pprof` writes)",
    columns: &[
        col("kind", Str, "`net`, `sync`, `syscall` or `sched`"),
        col("stack_id", I64, "where the intervals began: `stacks.stack_id` (at most 128 frames)"),
        col("count", I64, "how many intervals"),
        col("delay_ns", I64, "their total time"),
    ],
};

/// Every table, in the order the docs give them.
pub static TABLES: [&TableSpec; 9] = [
    &TRACES,
    &EVENTS,
    &STACKS,
    &GOROUTINES,
    &REGIONS,
    &TASKS,
    &GC_CYCLES,
    &STW_PAUSES,
    &PROFILE_SAMPLES,
];
