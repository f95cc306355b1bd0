//! The event tables of every format, as data: the v2 formats (Go 1.22 and later) and the v1
//! formats (Go 1.5 to 1.21).
//!
//! Each event type is a byte; its [`EventSpec`] says how many varint arguments follow, which of them
//! are string or stack IDs, whether a data trailer or a stack's frames follow, and whether the event
//! is a timed event of the main stream or structural framing. Versions differ only in which types
//! exist: Go 1.23 appended coroutine and experimental-batch events, Go 1.25 sync batches and clock
//! snapshots, Go 1.26 the in-band end of generation.

use crate::version::Version;

/// An event type: the byte that starts every event on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventType(pub u8);

/// An experiment that experimental batches and events belong to (0 is none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Experiment(pub u8);

impl Experiment {
    /// Not an experiment.
    pub const NONE: Experiment = Experiment(0);
    /// The heap span, heap object and goroutine stack alloc/free events (Go 1.23+).
    pub const ALLOC_FREE: Experiment = Experiment(1);

    /// Go's name for the experiment, if it is one Go knows.
    pub fn name(self) -> Option<&'static str> {
        match self.0 {
            0 => Some("None"),
            1 => Some("AllocFree"),
            _ => None,
        }
    }
}

macro_rules! event_types {
    ($($(#[$doc:meta])* $name:ident = $v:expr;)*) => {
        impl EventType {
            $($(#[$doc])* pub const $name: EventType = EventType($v);)*
        }
    };
}

event_types! {
    /// Start of a per-M batch `[gen, m, time, size]`.
    EVENT_BATCH = 1;
    /// Start of a stack table section.
    STACKS = 2;
    /// A stack table entry `[id, nframes]` followed by frames.
    STACK = 3;
    /// Start of a string table section.
    STRINGS = 4;
    /// A string table entry `[id]` with data.
    STRING = 5;
    /// Start of a CPU samples section.
    CPU_SAMPLES = 6;
    /// A CPU profile sample `[time, m, p, g, stack]`.
    CPU_SAMPLE = 7;
    /// Timestamp units per second `[freq]`.
    FREQUENCY = 8;
    /// GOMAXPROCS changed.
    PROCS_CHANGE = 9;
    /// A P starts.
    PROC_START = 10;
    /// A P stops.
    PROC_STOP = 11;
    /// A P was stolen from an M in a syscall.
    PROC_STEAL = 12;
    /// A P's status at the start of a generation.
    PROC_STATUS = 13;
    /// Goroutine creation.
    GO_CREATE = 14;
    /// A goroutine appears in a syscall (cgo callback).
    GO_CREATE_SYSCALL = 15;
    /// A goroutine starts running.
    GO_START = 16;
    /// A goroutine ends.
    GO_DESTROY = 17;
    /// A goroutine ends in a syscall (cgo callback).
    GO_DESTROY_SYSCALL = 18;
    /// A goroutine yields but stays runnable.
    GO_STOP = 19;
    /// A goroutine blocks.
    GO_BLOCK = 20;
    /// A goroutine is unblocked.
    GO_UNBLOCK = 21;
    /// Syscall entry.
    GO_SYSCALL_BEGIN = 22;
    /// Syscall exit.
    GO_SYSCALL_END = 23;
    /// Syscall exit after the P was lost.
    GO_SYSCALL_END_BLOCKED = 24;
    /// A goroutine's status at the start of a generation.
    GO_STATUS = 25;
    /// Stop-the-world begins.
    STW_BEGIN = 26;
    /// Stop-the-world ends.
    STW_END = 27;
    /// GC is active at the start of a generation.
    GC_ACTIVE = 28;
    /// GC begins.
    GC_BEGIN = 29;
    /// GC ends.
    GC_END = 30;
    /// Sweep is active at the start of a generation.
    GC_SWEEP_ACTIVE = 31;
    /// Sweep begins.
    GC_SWEEP_BEGIN = 32;
    /// Sweep ends.
    GC_SWEEP_END = 33;
    /// Mark assist is active at the start of a generation.
    GC_MARK_ASSIST_ACTIVE = 34;
    /// Mark assist begins.
    GC_MARK_ASSIST_BEGIN = 35;
    /// Mark assist ends.
    GC_MARK_ASSIST_END = 36;
    /// Live heap changed.
    HEAP_ALLOC = 37;
    /// Heap goal changed.
    HEAP_GOAL = 38;
    /// A label applied to the running goroutine.
    GO_LABEL = 39;
    /// `trace.NewTask`.
    USER_TASK_BEGIN = 40;
    /// End of a task.
    USER_TASK_END = 41;
    /// A region begins.
    USER_REGION_BEGIN = 42;
    /// A region ends.
    USER_REGION_END = 43;
    /// `trace.Log`.
    USER_LOG = 44;
    /// Coroutine switch (Go 1.23+).
    GO_SWITCH = 45;
    /// Coroutine switch and destroy (Go 1.23+).
    GO_SWITCH_DESTROY = 46;
    /// Goroutine creation, starting blocked (Go 1.23+).
    GO_CREATE_BLOCKED = 47;
    /// Goroutine status with a stack (Go 1.23+).
    GO_STATUS_STACK = 48;
    /// Start of an experimental batch (Go 1.23+).
    EXPERIMENTAL_BATCH = 49;
    /// Start of a sync batch (Go 1.25+).
    SYNC = 50;
    /// Snapshot of the trace, monotonic and wall clocks (Go 1.25+).
    CLOCK_SNAPSHOT = 51;
    /// In-band end of a generation (Go 1.26+).
    END_OF_GENERATION = 52;
    /// Experimental: a heap span exists.
    SPAN = 128;
    /// Experimental: a heap span is allocated.
    SPAN_ALLOC = 129;
    /// Experimental: a heap span is freed.
    SPAN_FREE = 130;
    /// Experimental: a heap object exists.
    HEAP_OBJECT = 131;
    /// Experimental: a heap object is allocated.
    HEAP_OBJECT_ALLOC = 132;
    /// Experimental: a heap object is freed.
    HEAP_OBJECT_FREE = 133;
    /// Experimental: a goroutine stack exists.
    GOROUTINE_STACK = 134;
    /// Experimental: a goroutine stack is allocated.
    GOROUTINE_STACK_ALLOC = 135;
    /// Experimental: a goroutine stack is freed.
    GOROUTINE_STACK_FREE = 136;
}

/// How to read one event type and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventSpec {
    /// Go's name for the event, as the raw text format prints it.
    pub name: &'static str,
    /// Argument names in order, as the raw text format prints them (`dt`, `g`, `reason_string`, ...).
    pub args: &'static [&'static str],
    /// Indices of arguments that are string IDs.
    pub string_ids: &'static [usize],
    /// Indices of arguments that are stack IDs; the first is the event's own stack.
    pub stack_ids: &'static [usize],
    /// For the end of a range, the event type that begins it.
    pub start: Option<EventType>,
    /// A timed event of the main stream (its first argument is a timestamp delta).
    pub timed: bool,
    /// A varint length and that many bytes follow the arguments.
    pub has_data: bool,
    /// A stack: `nframes` groups of four varints (pc, func, file, line) follow the arguments.
    pub is_stack: bool,
    /// The experiment the event belongs to, [`Experiment::NONE`] for most.
    pub experiment: Experiment,
}

impl EventSpec {
    pub(crate) const EMPTY: EventSpec = EventSpec::structural("", &[]);

    const fn structural(name: &'static str, args: &'static [&'static str]) -> EventSpec {
        EventSpec {
            name,
            args,
            string_ids: &[],
            stack_ids: &[],
            start: None,
            timed: false,
            has_data: false,
            is_stack: false,
            experiment: Experiment::NONE,
        }
    }
    const fn timed(name: &'static str, args: &'static [&'static str]) -> EventSpec {
        let mut s = EventSpec::structural(name, args);
        s.timed = true;
        s
    }
    const fn strings(mut self, ids: &'static [usize]) -> EventSpec {
        self.string_ids = ids;
        self
    }
    const fn stacks(mut self, ids: &'static [usize]) -> EventSpec {
        self.stack_ids = ids;
        self
    }
    const fn start(mut self, ty: EventType) -> EventSpec {
        self.start = Some(ty);
        self
    }
    const fn data(mut self) -> EventSpec {
        self.has_data = true;
        self
    }
    const fn stack(mut self) -> EventSpec {
        self.is_stack = true;
        self
    }
    const fn exp(mut self, e: Experiment) -> EventSpec {
        self.experiment = e;
        self
    }
}

/// Number of slots in the v2 table: the last experimental event plus one.
const V2_TABLE_LEN: usize = 137;

const fn build_v2() -> [EventSpec; V2_TABLE_LEN] {
    use EventSpec as S;
    use EventType as E;
    const AF: Experiment = Experiment::ALLOC_FREE;
    let mut t = [EventSpec::EMPTY; V2_TABLE_LEN];
    t[E::EVENT_BATCH.0 as usize] = S::structural("EventBatch", &["gen", "m", "time", "size"]);
    t[E::STACKS.0 as usize] = S::structural("Stacks", &[]);
    t[E::STACK.0 as usize] = S::structural("Stack", &["id", "nframes"]).stack();
    t[E::STRINGS.0 as usize] = S::structural("Strings", &[]);
    t[E::STRING.0 as usize] = S::structural("String", &["id"]).data();
    t[E::CPU_SAMPLES.0 as usize] = S::structural("CPUSamples", &[]);
    t[E::CPU_SAMPLE.0 as usize] =
        S::structural("CPUSample", &["time", "m", "p", "g", "stack"]).stacks(&[4]);
    t[E::FREQUENCY.0 as usize] = S::structural("Frequency", &["freq"]);
    t[E::EXPERIMENTAL_BATCH.0 as usize] =
        S::structural("ExperimentalBatch", &["exp", "gen", "m", "time"]).data();
    t[E::SYNC.0 as usize] = S::structural("Sync", &[]);
    t[E::END_OF_GENERATION.0 as usize] = S::structural("EndOfGeneration", &[]);

    t[E::PROCS_CHANGE.0 as usize] =
        S::timed("ProcsChange", &["dt", "procs_value", "stack"]).stacks(&[2]);
    t[E::PROC_START.0 as usize] = S::timed("ProcStart", &["dt", "p", "p_seq"]);
    t[E::PROC_STOP.0 as usize] = S::timed("ProcStop", &["dt"]);
    t[E::PROC_STEAL.0 as usize] = S::timed("ProcSteal", &["dt", "p", "p_seq", "m"]);
    t[E::PROC_STATUS.0 as usize] = S::timed("ProcStatus", &["dt", "p", "pstatus"]);
    t[E::GO_CREATE.0 as usize] =
        S::timed("GoCreate", &["dt", "new_g", "new_stack", "stack"]).stacks(&[3, 2]);
    t[E::GO_CREATE_SYSCALL.0 as usize] = S::timed("GoCreateSyscall", &["dt", "new_g"]);
    t[E::GO_START.0 as usize] = S::timed("GoStart", &["dt", "g", "g_seq"]);
    t[E::GO_DESTROY.0 as usize] = S::timed("GoDestroy", &["dt"]);
    t[E::GO_DESTROY_SYSCALL.0 as usize] = S::timed("GoDestroySyscall", &["dt"]);
    t[E::GO_STOP.0 as usize] = S::timed("GoStop", &["dt", "reason_string", "stack"])
        .stacks(&[2])
        .strings(&[1]);
    t[E::GO_BLOCK.0 as usize] = S::timed("GoBlock", &["dt", "reason_string", "stack"])
        .stacks(&[2])
        .strings(&[1]);
    t[E::GO_UNBLOCK.0 as usize] =
        S::timed("GoUnblock", &["dt", "g", "g_seq", "stack"]).stacks(&[3]);
    t[E::GO_SYSCALL_BEGIN.0 as usize] =
        S::timed("GoSyscallBegin", &["dt", "p_seq", "stack"]).stacks(&[2]);
    t[E::GO_SYSCALL_END.0 as usize] = S::timed("GoSyscallEnd", &["dt"]).start(E::GO_SYSCALL_BEGIN);
    t[E::GO_SYSCALL_END_BLOCKED.0 as usize] =
        S::timed("GoSyscallEndBlocked", &["dt"]).start(E::GO_SYSCALL_BEGIN);
    t[E::GO_STATUS.0 as usize] = S::timed("GoStatus", &["dt", "g", "m", "gstatus"]);
    t[E::STW_BEGIN.0 as usize] = S::timed("STWBegin", &["dt", "kind_string", "stack"])
        .stacks(&[2])
        .strings(&[1]);
    t[E::STW_END.0 as usize] = S::timed("STWEnd", &["dt"]).start(E::STW_BEGIN);
    t[E::GC_ACTIVE.0 as usize] = S::timed("GCActive", &["dt", "gc_seq"]).start(E::GC_BEGIN);
    t[E::GC_BEGIN.0 as usize] = S::timed("GCBegin", &["dt", "gc_seq", "stack"]).stacks(&[2]);
    t[E::GC_END.0 as usize] = S::timed("GCEnd", &["dt", "gc_seq"]).start(E::GC_BEGIN);
    t[E::GC_SWEEP_ACTIVE.0 as usize] =
        S::timed("GCSweepActive", &["dt", "p"]).start(E::GC_SWEEP_BEGIN);
    t[E::GC_SWEEP_BEGIN.0 as usize] = S::timed("GCSweepBegin", &["dt", "stack"]).stacks(&[1]);
    t[E::GC_SWEEP_END.0 as usize] =
        S::timed("GCSweepEnd", &["dt", "swept_value", "reclaimed_value"]).start(E::GC_SWEEP_BEGIN);
    t[E::GC_MARK_ASSIST_ACTIVE.0 as usize] =
        S::timed("GCMarkAssistActive", &["dt", "g"]).start(E::GC_MARK_ASSIST_BEGIN);
    t[E::GC_MARK_ASSIST_BEGIN.0 as usize] =
        S::timed("GCMarkAssistBegin", &["dt", "stack"]).stacks(&[1]);
    t[E::GC_MARK_ASSIST_END.0 as usize] =
        S::timed("GCMarkAssistEnd", &["dt"]).start(E::GC_MARK_ASSIST_BEGIN);
    t[E::HEAP_ALLOC.0 as usize] = S::timed("HeapAlloc", &["dt", "heapalloc_value"]);
    t[E::HEAP_GOAL.0 as usize] = S::timed("HeapGoal", &["dt", "heapgoal_value"]);
    t[E::GO_LABEL.0 as usize] = S::timed("GoLabel", &["dt", "label_string"]).strings(&[1]);
    t[E::USER_TASK_BEGIN.0 as usize] = S::timed(
        "UserTaskBegin",
        &["dt", "task", "parent_task", "name_string", "stack"],
    )
    .stacks(&[4])
    .strings(&[3]);
    t[E::USER_TASK_END.0 as usize] = S::timed("UserTaskEnd", &["dt", "task", "stack"]).stacks(&[2]);
    t[E::USER_REGION_BEGIN.0 as usize] =
        S::timed("UserRegionBegin", &["dt", "task", "name_string", "stack"])
            .stacks(&[3])
            .strings(&[2]);
    t[E::USER_REGION_END.0 as usize] =
        S::timed("UserRegionEnd", &["dt", "task", "name_string", "stack"])
            .start(E::USER_REGION_BEGIN)
            .stacks(&[3])
            .strings(&[2]);
    t[E::USER_LOG.0 as usize] = S::timed(
        "UserLog",
        &["dt", "task", "key_string", "value_string", "stack"],
    )
    .stacks(&[4])
    .strings(&[2, 3]);
    t[E::GO_SWITCH.0 as usize] = S::timed("GoSwitch", &["dt", "g", "g_seq"]);
    t[E::GO_SWITCH_DESTROY.0 as usize] = S::timed("GoSwitchDestroy", &["dt", "g", "g_seq"]);
    t[E::GO_CREATE_BLOCKED.0 as usize] =
        S::timed("GoCreateBlocked", &["dt", "new_g", "new_stack", "stack"]).stacks(&[3, 2]);
    t[E::GO_STATUS_STACK.0 as usize] =
        S::timed("GoStatusStack", &["dt", "g", "m", "gstatus", "stack"]).stacks(&[4]);
    t[E::CLOCK_SNAPSHOT.0 as usize] = S::timed("ClockSnapshot", &["dt", "mono", "sec", "nsec"]);

    t[E::SPAN.0 as usize] = S::timed("Span", &["dt", "id", "npages_value", "kindclass"]).exp(AF);
    t[E::SPAN_ALLOC.0 as usize] =
        S::timed("SpanAlloc", &["dt", "id", "npages_value", "kindclass"]).exp(AF);
    t[E::SPAN_FREE.0 as usize] = S::timed("SpanFree", &["dt", "id"]).exp(AF);
    t[E::HEAP_OBJECT.0 as usize] = S::timed("HeapObject", &["dt", "id", "type"]).exp(AF);
    t[E::HEAP_OBJECT_ALLOC.0 as usize] = S::timed("HeapObjectAlloc", &["dt", "id", "type"]).exp(AF);
    t[E::HEAP_OBJECT_FREE.0 as usize] = S::timed("HeapObjectFree", &["dt", "id"]).exp(AF);
    t[E::GOROUTINE_STACK.0 as usize] = S::timed("GoroutineStack", &["dt", "id", "order"]).exp(AF);
    t[E::GOROUTINE_STACK_ALLOC.0 as usize] =
        S::timed("GoroutineStackAlloc", &["dt", "id", "order"]).exp(AF);
    t[E::GOROUTINE_STACK_FREE.0 as usize] = S::timed("GoroutineStackFree", &["dt", "id"]).exp(AF);
    t
}

static V2_SPECS: [EventSpec; V2_TABLE_LEN] = build_v2();

/// The largest number of arguments any v2 event has.
pub const MAX_ARGS: usize = 5;
/// The largest batch the runtime writes (Go's `MaxBatchSize`).
pub const MAX_BATCH_SIZE: u64 = 64 << 10;
/// The most frames a stack may have (Go's `MaxFramesPerStack`).
pub const MAX_FRAMES_PER_STACK: u64 = 128;
/// The longest string or other event data trailer (Go's `MaxEventTrailerDataSize`).
pub const MAX_STRING_LEN: u64 = 1 << 10;

/// The specs of a version, indexed by event type byte. Unused slots have an empty name.
///
/// For v2, experimental event types (128 and up) appear in the Go 1.26 table only, as in Go's own
/// tables; in older traces they occur only inside experimental batches (see
/// [`experimental_spec`]). For v1, the table has types 0 to 49 with the arguments that version
/// writes.
pub fn specs(version: Version) -> &'static [EventSpec] {
    match version {
        Version::Go1_5 => &V1_1_5,
        Version::Go1_7 => &V1_1_7,
        Version::Go1_8 => &V1_1_8,
        Version::Go1_9 => &V1_1_9,
        Version::Go1_10 => &V1_1_10,
        Version::Go1_11 => &V1_1_11,
        Version::Go1_19 => &V1_1_19,
        Version::Go1_21 => &V1_1_21,
        Version::Go1_22 => &V2_SPECS[..EventType::USER_LOG.0 as usize + 1],
        Version::Go1_23 => &V2_SPECS[..EventType::EXPERIMENTAL_BATCH.0 as usize + 1],
        Version::Go1_25 => &V2_SPECS[..EventType::CLOCK_SNAPSHOT.0 as usize + 1],
        Version::Go1_26 => &V2_SPECS,
    }
}

/// The lookup tables of one version. The decoder's position in a batch depends on each event's
/// layout, so the layout is one byte per type ([`DecodeTable::layout`]) rather than a pointer chase
/// through the spec.
#[derive(Debug)]
pub(crate) struct DecodeTable {
    /// The spec of each type, `None` where the version has no such type.
    pub(crate) specs: [Option<&'static EventSpec>; 256],
    /// `LAYOUT_VALID | LAYOUT_STACK | LAYOUT_DATA | number of args`, 0 for no such type.
    pub(crate) layout: [u8; 256],
}

/// Set in [`DecodeTable::layout`] for every type the version has.
pub(crate) const LAYOUT_VALID: u8 = 0x80;
/// Set for stack table entries: frames follow the arguments.
pub(crate) const LAYOUT_STACK: u8 = 0x40;
/// Set for events with a data trailer.
pub(crate) const LAYOUT_DATA: u8 = 0x20;
/// Mask of the argument count.
pub(crate) const LAYOUT_ARGS: u8 = 0x0f;

const fn layout_of(s: &EventSpec) -> u8 {
    let mut l = LAYOUT_VALID | s.args.len() as u8;
    if s.is_stack {
        l |= LAYOUT_STACK;
    }
    if s.has_data {
        l |= LAYOUT_DATA;
    }
    l
}

const fn build_table(len: usize) -> DecodeTable {
    let mut t = DecodeTable {
        specs: [None; 256],
        layout: [0; 256],
    };
    let mut i = 1;
    while i < len {
        let s = &V2_SPECS[i];
        if !s.name.is_empty() {
            t.specs[i] = Some(s);
            t.layout[i] = layout_of(s);
        }
        i += 1;
    }
    t
}

static TABLE_1_22: DecodeTable = build_table(EventType::USER_LOG.0 as usize + 1);
static TABLE_1_23: DecodeTable = build_table(EventType::EXPERIMENTAL_BATCH.0 as usize + 1);
static TABLE_1_25: DecodeTable = build_table(EventType::CLOCK_SNAPSHOT.0 as usize + 1);
static TABLE_1_26: DecodeTable = build_table(V2_TABLE_LEN);

/// The decode table of a version.
pub(crate) fn decode_table(version: Version) -> &'static DecodeTable {
    match version {
        Version::Go1_5 => &DECODE_1_5,
        Version::Go1_7 => &DECODE_1_7,
        Version::Go1_8 => &DECODE_1_8,
        Version::Go1_9 => &DECODE_1_9,
        Version::Go1_10 => &DECODE_1_10,
        Version::Go1_11 => &DECODE_1_11,
        Version::Go1_19 => &DECODE_1_19,
        Version::Go1_21 => &DECODE_1_21,
        Version::Go1_22 => &TABLE_1_22,
        Version::Go1_23 => &TABLE_1_23,
        Version::Go1_25 => &TABLE_1_25,
        Version::Go1_26 => &TABLE_1_26,
    }
}

/// The spec of event type `ty` in `version`, or `None` if that version has no such event.
///
/// ```
/// use trace_format::{spec, EventType, Version};
/// assert_eq!(spec::lookup(Version::Go1_22, EventType::GO_BLOCK).unwrap().name, "GoBlock");
/// assert!(spec::lookup(Version::Go1_22, EventType::GO_SWITCH).is_none()); // added in Go 1.23
/// ```
#[inline]
pub fn lookup(version: Version, ty: EventType) -> Option<&'static EventSpec> {
    decode_table(version).specs[ty.0 as usize]
}

/// The spec of an experimental event type, as found inside experimental batches (Go 1.23+).
pub fn experimental_spec(ty: EventType) -> Option<&'static EventSpec> {
    match V2_SPECS.get(ty.0 as usize) {
        Some(s) if s.experiment != Experiment::NONE => Some(s),
        _ => None,
    }
}

/// Looks an event type up by Go's name, as the raw text format names it.
pub fn by_name(version: Version, name: &str) -> Option<EventType> {
    specs(version)
        .iter()
        .position(|s| !s.name.is_empty() && s.name == name)
        .map(|i| EventType(i as u8))
}

/// Number of event types of the v1 formats (Go 1.5 to 1.21): 0 to 49.
const V1_TABLE_LEN: usize = 50;

/// The v1 event of type `ty` as Go `1.<minor>` writes it. Names are those of Go 1.21's parser;
/// argument names mirror the v2 tables' style. Go 1.5 has a sequence-number delta before the
/// timestamp delta, and a few events lack arguments later versions added.
const fn v1_spec(ty: usize, minor: u32) -> EventSpec {
    use EventSpec as S;
    let go15 = minor == 5;
    let s = match ty {
        1 if go15 => S::structural("Batch", &["p", "seq", "ticks"]),
        1 => S::structural("Batch", &["p", "ticks"]),
        2 if go15 => S::structural("Frequency", &["freq", "unused"]),
        2 => S::structural("Frequency", &["freq"]),
        3 => S::structural("Stack", &["id", "nframes"]).stack(),
        4 => S::timed("Gomaxprocs", &["dt", "procs", "stack"]).stacks(&[2]),
        5 => S::timed("ProcStart", &["dt", "thread"]),
        6 => S::timed("ProcStop", &["dt"]),
        7 => S::timed("GCStart", &["dt", "gc_seq", "stack"]).stacks(&[2]),
        8 => S::timed("GCDone", &["dt"]),
        9 if minor >= 10 => S::timed("STWStart", &["dt", "kind"]),
        9 => S::timed("STWStart", &["dt"]),
        10 => S::timed("STWDone", &["dt"]),
        11 => S::timed("GCSweepStart", &["dt", "stack"]).stacks(&[1]),
        12 if minor >= 9 => S::timed("GCSweepDone", &["dt", "swept", "reclaimed"]),
        12 => S::timed("GCSweepDone", &["dt"]),
        13 => S::timed("GoCreate", &["dt", "g", "new_stack", "stack"]).stacks(&[3, 2]),
        14 => S::timed("GoStart", &["dt", "g", "g_seq"]),
        15 => S::timed("GoEnd", &["dt"]),
        16 => S::timed("GoStop", &["dt", "stack"]).stacks(&[1]),
        17 => S::timed("GoSched", &["dt", "stack"]).stacks(&[1]),
        18 => S::timed("GoPreempt", &["dt", "stack"]).stacks(&[1]),
        19 => S::timed("GoSleep", &["dt", "stack"]).stacks(&[1]),
        20 => S::timed("GoBlock", &["dt", "stack"]).stacks(&[1]),
        21 => S::timed("GoUnblock", &["dt", "g", "g_seq", "stack"]).stacks(&[3]),
        22 => S::timed("GoBlockSend", &["dt", "stack"]).stacks(&[1]),
        23 => S::timed("GoBlockRecv", &["dt", "stack"]).stacks(&[1]),
        24 => S::timed("GoBlockSelect", &["dt", "stack"]).stacks(&[1]),
        25 => S::timed("GoBlockSync", &["dt", "stack"]).stacks(&[1]),
        26 => S::timed("GoBlockCond", &["dt", "stack"]).stacks(&[1]),
        27 => S::timed("GoBlockNet", &["dt", "stack"]).stacks(&[1]),
        28 => S::timed("GoSysCall", &["dt", "stack"]).stacks(&[1]),
        29 => S::timed("GoSysExit", &["dt", "g", "g_seq", "ticks"]),
        30 => S::timed("GoSysBlock", &["dt"]),
        31 => S::timed("GoWaiting", &["dt", "g"]),
        32 => S::timed("GoInSyscall", &["dt", "g"]),
        33 => S::timed("HeapAlloc", &["dt", "heap_alloc"]),
        34 => S::timed("HeapGoal", &["dt", "heap_goal"]),
        35 if go15 => S::structural("TimerGoroutine", &["g", "unused"]),
        35 => S::structural("TimerGoroutine", &["g"]),
        36 => S::timed("FutileWakeup", &["dt"]),
        37 if minor >= 7 => S::structural("String", &["id"]).data(),
        38 if minor >= 7 => S::timed("GoStartLocal", &["dt", "g"]),
        39 if minor >= 7 => S::timed("GoUnblockLocal", &["dt", "g", "stack"]).stacks(&[2]),
        40 if minor >= 7 => S::timed("GoSysExitLocal", &["dt", "g", "ticks"]),
        41 if minor >= 8 => {
            S::timed("GoStartLabel", &["dt", "g", "g_seq", "label_string"]).strings(&[3])
        }
        42 if minor >= 8 => S::timed("GoBlockGC", &["dt", "stack"]).stacks(&[1]),
        43 if minor >= 9 => S::timed("GCMarkAssistStart", &["dt", "stack"]).stacks(&[1]),
        44 if minor >= 9 => S::timed("GCMarkAssistDone", &["dt"]),
        45 if minor >= 11 => S::timed(
            "UserTaskCreate",
            &["dt", "task", "parent_task", "name_string", "stack"],
        )
        .stacks(&[4])
        .strings(&[3]),
        46 if minor >= 11 => S::timed("UserTaskEnd", &["dt", "task", "stack"]).stacks(&[2]),
        47 if minor >= 11 => S::timed(
            "UserRegion",
            &["dt", "task", "mode", "name_string", "stack"],
        )
        .stacks(&[4])
        .strings(&[3]),
        48 if minor >= 11 => S::timed("UserLog", &["dt", "task", "key_string", "stack"])
            .stacks(&[3])
            .strings(&[2])
            .data(),
        49 if minor >= 19 => S::timed("CPUSample", &["dt", "time", "p", "g", "stack"]).stacks(&[4]),
        _ => EventSpec::EMPTY,
    };
    if go15 && s.timed {
        with_go15_args(ty, s)
    } else {
        s
    }
}

/// Go 1.5's timed events: a sequence-number delta before the timestamp delta, and the arguments
/// of 1.5 where later versions added some (GCStart, GoStart, GoUnblock, GoSysExit) or changed them
/// (GoCreate's start PC became a stack).
const fn with_go15_args(ty: usize, mut s: EventSpec) -> EventSpec {
    let (args, stacks): (&'static [&'static str], &'static [usize]) = match ty {
        4 => (&["seq_dt", "dt", "procs", "stack"], &[3]),
        5 => (&["seq_dt", "dt", "thread"], &[]),
        21 => (&["seq_dt", "dt", "g", "stack"], &[3]),
        7 | 11 | 16..=20 | 22..=28 => (&["seq_dt", "dt", "stack"], &[2]),
        13 => (&["seq_dt", "dt", "g", "start_pc", "stack"], &[4]),
        14 | 31 | 32 => (&["seq_dt", "dt", "g"], &[]),
        29 => (&["seq_dt", "dt", "g", "seq", "ticks"], &[]),
        33 => (&["seq_dt", "dt", "heap_alloc"], &[]),
        34 => (&["seq_dt", "dt", "heap_goal"], &[]),
        _ => (&["seq_dt", "dt"], &[]),
    };
    s.args = args;
    s.stack_ids = stacks;
    s
}

const fn build_v1(minor: u32) -> [EventSpec; V1_TABLE_LEN] {
    let mut t = [EventSpec::EMPTY; V1_TABLE_LEN];
    let mut i = 1;
    while i < V1_TABLE_LEN {
        t[i] = v1_spec(i, minor);
        i += 1;
    }
    t
}

static V1_1_5: [EventSpec; V1_TABLE_LEN] = build_v1(5);
static V1_1_7: [EventSpec; V1_TABLE_LEN] = build_v1(7);
static V1_1_8: [EventSpec; V1_TABLE_LEN] = build_v1(8);
static V1_1_9: [EventSpec; V1_TABLE_LEN] = build_v1(9);
static V1_1_10: [EventSpec; V1_TABLE_LEN] = build_v1(10);
static V1_1_11: [EventSpec; V1_TABLE_LEN] = build_v1(11);
static V1_1_19: [EventSpec; V1_TABLE_LEN] = build_v1(19);
static V1_1_21: [EventSpec; V1_TABLE_LEN] = build_v1(21);

const fn build_v1_decode(table: &'static [EventSpec; V1_TABLE_LEN]) -> DecodeTable {
    let mut t = DecodeTable {
        specs: [None; 256],
        layout: [0; 256],
    };
    let mut i = 1;
    while i < V1_TABLE_LEN {
        let s = &table[i];
        if !s.name.is_empty() {
            t.specs[i] = Some(s);
            t.layout[i] = layout_of(s);
        }
        i += 1;
    }
    t
}

static DECODE_1_5: DecodeTable = build_v1_decode(&V1_1_5);
static DECODE_1_7: DecodeTable = build_v1_decode(&V1_1_7);
static DECODE_1_8: DecodeTable = build_v1_decode(&V1_1_8);
static DECODE_1_9: DecodeTable = build_v1_decode(&V1_1_9);
static DECODE_1_10: DecodeTable = build_v1_decode(&V1_1_10);
static DECODE_1_11: DecodeTable = build_v1_decode(&V1_1_11);
static DECODE_1_19: DecodeTable = build_v1_decode(&V1_1_19);
static DECODE_1_21: DecodeTable = build_v1_decode(&V1_1_21);

/// The largest number of frames Go's v1 parser accepts in a stack.
pub const MAX_V1_FRAMES: u64 = 1000;
/// The longest string Go's v1 parser accepts.
pub const MAX_V1_STRING_LEN: u64 = 1_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_tables() {
        assert_eq!(specs(Version::Go1_22).len(), 45);
        assert!(lookup(Version::Go1_22, EventType(0)).is_none());
        assert!(lookup(Version::Go1_22, EventType::EXPERIMENTAL_BATCH).is_none());
        assert!(lookup(Version::Go1_23, EventType::EXPERIMENTAL_BATCH).is_some());
        assert!(lookup(Version::Go1_23, EventType::SYNC).is_none());
        assert!(lookup(Version::Go1_25, EventType::CLOCK_SNAPSHOT).is_some());
        assert!(lookup(Version::Go1_25, EventType::END_OF_GENERATION).is_none());
        assert!(lookup(Version::Go1_26, EventType::END_OF_GENERATION).is_some());
        assert!(lookup(Version::Go1_26, EventType(60)).is_none());
        assert!(lookup(Version::Go1_26, EventType::SPAN).is_some());
        assert!(lookup(Version::Go1_23, EventType::SPAN).is_none());
        assert!(experimental_spec(EventType::GOROUTINE_STACK_FREE).is_some());
        assert!(experimental_spec(EventType::GO_START).is_none());
        assert_eq!(
            lookup(Version::Go1_19, EventType(14)).unwrap().name,
            "GoStart"
        );
        for v in Version::ALL {
            for ty in 0..=255u8 {
                let slow = specs(v).get(ty as usize).filter(|s| !s.name.is_empty());
                assert_eq!(lookup(v, EventType(ty)), slow, "{v} {ty}");
            }
        }
    }

    /// Number of values each v1 event has in Go 1.21's parser, per version (1.5 .. 1.21).
    #[test]
    fn v1_arg_counts_match_go() {
        use Version::*;
        let versions = [Go1_5, Go1_7, Go1_8, Go1_9, Go1_10, Go1_11, Go1_19, Go1_21];
        // (type, counts per version; 0 = no such event)
        let want: &[(u8, [usize; 8])] = &[
            (1, [3, 2, 2, 2, 2, 2, 2, 2]),
            (2, [2, 1, 1, 1, 1, 1, 1, 1]),
            (4, [4, 3, 3, 3, 3, 3, 3, 3]),
            (5, [3, 2, 2, 2, 2, 2, 2, 2]),
            (6, [2, 1, 1, 1, 1, 1, 1, 1]),
            (7, [3, 3, 3, 3, 3, 3, 3, 3]),
            (9, [2, 1, 1, 1, 2, 2, 2, 2]),
            (12, [2, 1, 1, 3, 3, 3, 3, 3]),
            (13, [5, 4, 4, 4, 4, 4, 4, 4]),
            (14, [3, 3, 3, 3, 3, 3, 3, 3]),
            (21, [4, 4, 4, 4, 4, 4, 4, 4]),
            (25, [3, 2, 2, 2, 2, 2, 2, 2]),
            (29, [5, 4, 4, 4, 4, 4, 4, 4]),
            (33, [3, 2, 2, 2, 2, 2, 2, 2]),
            (35, [2, 1, 1, 1, 1, 1, 1, 1]),
            (38, [0, 2, 2, 2, 2, 2, 2, 2]),
            (39, [0, 3, 3, 3, 3, 3, 3, 3]),
            (40, [0, 3, 3, 3, 3, 3, 3, 3]),
            (41, [0, 0, 4, 4, 4, 4, 4, 4]),
            (42, [0, 0, 2, 2, 2, 2, 2, 2]),
            (43, [0, 0, 0, 2, 2, 2, 2, 2]),
            (44, [0, 0, 0, 1, 1, 1, 1, 1]),
            (45, [0, 0, 0, 0, 0, 5, 5, 5]),
            (46, [0, 0, 0, 0, 0, 3, 3, 3]),
            (47, [0, 0, 0, 0, 0, 5, 5, 5]),
            (48, [0, 0, 0, 0, 0, 4, 4, 4]),
            (49, [0, 0, 0, 0, 0, 0, 5, 5]),
        ];
        for &(ty, counts) in want {
            for (v, n) in versions.iter().zip(counts) {
                let got = lookup(*v, EventType(ty)).map_or(0, |s| s.args.len());
                assert_eq!(got, n, "type {ty} in {v}");
            }
        }
        assert!(lookup(Go1_5, EventType(37)).is_none(), "no strings in 1.5");
        assert!(lookup(Go1_21, EventType(50)).is_none());
        for v in versions {
            for s in specs(v).iter().filter(|s| !s.name.is_empty()) {
                for &i in s.stack_ids {
                    assert!(s.args[i].ends_with("stack"), "{v} {}", s.name);
                }
            }
        }
    }

    #[test]
    fn specs_are_consistent() {
        for (i, s) in V2_SPECS.iter().enumerate() {
            if s.name.is_empty() {
                continue;
            }
            assert!(s.args.len() <= MAX_ARGS, "{}", s.name);
            for &a in s.string_ids.iter().chain(s.stack_ids) {
                assert!(a < s.args.len(), "{}", s.name);
            }
            assert!(!(s.timed && s.has_data), "{}", s.name);
            if s.timed {
                assert_eq!(s.args.first(), Some(&"dt"), "{}", s.name);
            }
            assert_eq!(by_name(Version::Go1_26, s.name), Some(EventType(i as u8)));
        }
    }
}
