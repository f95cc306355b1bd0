//! The event model: one kind of event for every trace version, with the meaning Go's
//! `internal/trace` gives it, and `Display` that prints what Go's `Event.String()` prints.

use crate::queue::Pending;
use crate::table::{Table, TableRef};
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use trace_format::text::quote::write_quoted;
use trace_format::EventType as Ty;

/// Trace time in nanoseconds, as Go's `trace.Time`.
pub type Time = i64;
/// A goroutine ID; [`NO_GOROUTINE`] for none.
pub type GoId = i64;
/// A P ID; [`NO_PROC`] for none.
pub type ProcId = i64;
/// An M (OS thread) ID; [`NO_THREAD`] for none.
pub type ThreadId = i64;
/// A user task ID.
pub type TaskId = u64;

/// No goroutine.
pub const NO_GOROUTINE: GoId = -1;
/// No P.
pub const NO_PROC: ProcId = -1;
/// No M.
pub const NO_THREAD: ThreadId = -1;
/// The task of events outside any task.
pub const BACKGROUND_TASK: TaskId = 0;
/// No task: the parent of a top-level task, or of a task whose beginning the trace lacks.
pub const NO_TASK: TaskId = u64::MAX;

/// What an event is about. Go's `trace.EventKind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// An event Go's reader doesn't know.
    Bad,
    /// A synchronization point: the start of a generation, and the end of the trace.
    Sync,
    /// A metric sample: GOMAXPROCS, heap size, heap goal.
    Metric,
    /// A label on a resource.
    Label,
    /// A CPU profile sample.
    StackSample,
    /// The beginning of a range (GC, sweep, mark assist, stop-the-world).
    RangeBegin,
    /// A range already in progress when the generation began.
    RangeActive,
    /// The end of a range.
    RangeEnd,
    /// A user task begins.
    TaskBegin,
    /// A user task ends.
    TaskEnd,
    /// A user region begins.
    RegionBegin,
    /// A user region ends.
    RegionEnd,
    /// A user log message.
    Log,
    /// A goroutine or P changes state.
    StateTransition,
    /// An event of an experiment.
    Experimental,
}

impl EventKind {
    /// Go's name for the kind.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Bad => "Bad",
            EventKind::Sync => "Sync",
            EventKind::Metric => "Metric",
            EventKind::Label => "Label",
            EventKind::StackSample => "StackSample",
            EventKind::RangeBegin => "RangeBegin",
            EventKind::RangeActive => "RangeActive",
            EventKind::RangeEnd => "RangeEnd",
            EventKind::TaskBegin => "TaskBegin",
            EventKind::TaskEnd => "TaskEnd",
            EventKind::RegionBegin => "RegionBegin",
            EventKind::RegionEnd => "RegionEnd",
            EventKind::Log => "Log",
            EventKind::StateTransition => "StateTransition",
            EventKind::Experimental => "Experimental",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The state of a goroutine. Go's `trace.GoState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GoState {
    /// Nothing is known yet (the goroutine existed before the trace began).
    Undetermined,
    /// The goroutine does not exist.
    NotExist,
    /// Ready to run.
    Runnable,
    /// Running on a P.
    Running,
    /// Blocked.
    Waiting,
    /// In a system call.
    Syscall,
}

impl GoState {
    /// Running or in a system call: the goroutine holds an M.
    pub fn executing(self) -> bool {
        matches!(self, GoState::Running | GoState::Syscall)
    }
    /// Go's name for the state.
    pub fn name(self) -> &'static str {
        match self {
            GoState::Undetermined => "Undetermined",
            GoState::NotExist => "NotExist",
            GoState::Runnable => "Runnable",
            GoState::Running => "Running",
            GoState::Waiting => "Waiting",
            GoState::Syscall => "Syscall",
        }
    }
    pub(crate) fn from_u8(v: u8) -> GoState {
        match v {
            1 => GoState::NotExist,
            2 => GoState::Runnable,
            3 => GoState::Running,
            4 => GoState::Waiting,
            5 => GoState::Syscall,
            _ => GoState::Undetermined,
        }
    }
    pub(crate) fn to_u8(self) -> u8 {
        match self {
            GoState::Undetermined => 0,
            GoState::NotExist => 1,
            GoState::Runnable => 2,
            GoState::Running => 3,
            GoState::Waiting => 4,
            GoState::Syscall => 5,
        }
    }
}

impl fmt::Display for GoState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The state of a P. Go's `trace.ProcState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProcState {
    /// Nothing is known yet.
    Undetermined,
    /// The P does not exist.
    NotExist,
    /// Held by an M.
    Running,
    /// Idle.
    Idle,
}

impl ProcState {
    /// Held by an M.
    pub fn executing(self) -> bool {
        self == ProcState::Running
    }
    /// Go's name for the state.
    pub fn name(self) -> &'static str {
        match self {
            ProcState::Undetermined => "Undetermined",
            ProcState::NotExist => "NotExist",
            ProcState::Running => "Running",
            ProcState::Idle => "Idle",
        }
    }
    pub(crate) fn from_u8(v: u8) -> ProcState {
        match v {
            1 => ProcState::NotExist,
            2 => ProcState::Running,
            3 => ProcState::Idle,
            _ => ProcState::Undetermined,
        }
    }
    pub(crate) fn to_u8(self) -> u8 {
        match self {
            ProcState::Undetermined => 0,
            ProcState::NotExist => 1,
            ProcState::Running => 2,
            ProcState::Idle => 3,
        }
    }
}

impl fmt::Display for ProcState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Kinds of resources events are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResourceKind {
    /// No resource (the GC, for instance).
    None,
    /// A goroutine.
    Goroutine,
    /// A P.
    Proc,
    /// An M.
    Thread,
}

/// A goroutine, P or M, or none. Prints as Go's `ResourceID.String()`: `Goroutine(7)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResourceId {
    /// What kind of resource.
    pub kind: ResourceKind,
    /// Its ID (meaningless for [`ResourceKind::None`]).
    pub id: i64,
}

impl ResourceId {
    /// No resource.
    pub const NONE: ResourceId = ResourceId {
        kind: ResourceKind::None,
        id: 0,
    };
    /// A goroutine.
    pub fn goroutine(id: GoId) -> ResourceId {
        ResourceId {
            kind: ResourceKind::Goroutine,
            id,
        }
    }
    /// A P.
    pub fn proc(id: ProcId) -> ResourceId {
        ResourceId {
            kind: ResourceKind::Proc,
            id,
        }
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ResourceKind::None => f.write_str("None"),
            ResourceKind::Goroutine => write!(f, "Goroutine({})", self.id),
            ResourceKind::Proc => write!(f, "Proc({})", self.id),
            ResourceKind::Thread => write!(f, "Thread({})", self.id),
        }
    }
}

/// A value of a metric, range attribute or experimental argument. Prints as Go's
/// `Value.String()`: `Value{Uint64(42)}`, or the string itself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Value<'a> {
    /// A number.
    Uint64(u64),
    /// A string from the trace's string table.
    String(&'a [u8]),
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Uint64(v) => write!(f, "Value{{Uint64({v})}}"),
            Value::String(s) => f.write_str(&String::from_utf8_lossy(s)),
        }
    }
}

/// A metric sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metric {
    /// The metric's name in `runtime/metrics` terms, e.g. `/sched/gomaxprocs:threads`.
    pub name: &'static str,
    /// The value.
    pub value: u64,
}

impl Metric {
    /// GOMAXPROCS.
    pub const GOMAXPROCS: &'static str = "/sched/gomaxprocs:threads";
    /// Bytes of heap in use by objects.
    pub const HEAP_ALLOC: &'static str = "/memory/classes/heap/objects:bytes";
    /// The heap goal of the GC cycle.
    pub const HEAP_GOAL: &'static str = "/gc/heap/goal:bytes";
}

/// A label on a resource (a goroutine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label<'a> {
    /// The label.
    pub label: &'a [u8],
    /// What it labels.
    pub resource: ResourceId,
}

/// A range of time: GC, sweep, mark assist or stop-the-world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range<'a> {
    /// Go's name for it: `GC concurrent mark phase`, `GC incremental sweep`, `GC mark assist`,
    /// `stop-the-world (reason)`.
    pub name: Cow<'a, [u8]>,
    /// The resource it applies to.
    pub scope: ResourceId,
    /// Which of the four it is, so that analyses need not compare names.
    pub kind: RangeKind,
}

/// What a [`Range`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RangeKind {
    /// `GC concurrent mark phase`: a GC cycle's mark phase.
    GcMark,
    /// `GC incremental sweep`, on a P.
    Sweep,
    /// `GC mark assist`, on a goroutine.
    MarkAssist,
    /// `stop-the-world (reason)`.
    StopTheWorld,
}

impl Range<'_> {
    /// For a stop-the-world range, its reason: the text inside `stop-the-world (...)`.
    pub fn stw_reason(&self) -> Option<&[u8]> {
        if self.kind != RangeKind::StopTheWorld {
            return None;
        }
        self.name
            .strip_prefix(b"stop-the-world (")?
            .strip_suffix(b")")
    }

    /// Whether the GC stopped the world: a stop-the-world range whose name mentions `GC`
    /// (Go's test in its MMU).
    pub fn is_gc_stop_the_world(&self) -> bool {
        self.stw_reason().is_some_and(mentions_gc)
    }
}

/// Whether a stop-the-world reason is the GC's: it mentions `GC`.
pub(crate) fn mentions_gc(reason: &[u8]) -> bool {
    reason.windows(2).any(|w| w == b"GC")
}

/// An attribute a range reports at its end (bytes swept and reclaimed by a sweep).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeAttribute {
    /// Its name.
    pub name: &'static str,
    /// Its value.
    pub value: u64,
}

/// A user task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task<'a> {
    /// Its ID.
    pub id: TaskId,
    /// Its parent's ID, [`NO_TASK`] if none or unknown.
    pub parent: TaskId,
    /// Its type, empty if unknown.
    pub ty: &'a [u8],
}

/// A user region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region<'a> {
    /// The task it belongs to.
    pub task: TaskId,
    /// Its type.
    pub ty: &'a [u8],
}

/// A user log message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log<'a> {
    /// The task it belongs to.
    pub task: TaskId,
    /// Its category.
    pub category: &'a [u8],
    /// The message.
    pub message: &'a [u8],
}

/// A change of state of a goroutine or P.
#[derive(Debug, Clone)]
pub struct StateTransition<'a> {
    /// The goroutine or P.
    pub resource: ResourceId,
    /// Why, when the runtime says (goroutines stopping or blocking).
    pub reason: &'a [u8],
    /// The stack of the transition: where a goroutine was created, or where it stopped.
    pub stack: Stack<'a>,
    old: u8,
    new: u8,
}

impl StateTransition<'_> {
    /// For a goroutine: its old and new state.
    pub fn goroutine(&self) -> Option<(GoState, GoState)> {
        (self.resource.kind == ResourceKind::Goroutine)
            .then(|| (GoState::from_u8(self.old), GoState::from_u8(self.new)))
    }
    /// For a P: its old and new state.
    pub fn proc(&self) -> Option<(ProcState, ProcState)> {
        (self.resource.kind == ResourceKind::Proc)
            .then(|| (ProcState::from_u8(self.old), ProcState::from_u8(self.new)))
    }
}

/// A synchronization point: the start of each generation, and the end of the trace.
#[derive(Debug, Clone)]
pub struct Sync<'a> {
    /// 1 for the first, counting up.
    pub n: u64,
    /// The trace clock against the monotonic and wall clocks (Go 1.25+), at generation starts.
    pub clock_snapshot: Option<ClockSnapshot>,
    table: Option<&'a Table>,
}

impl<'a> Sync<'a> {
    /// Stack `id` of the generation this `Sync` opens: what an event of the generation
    /// naming it gives from [`Event::stack`] (no stack for ID 0). Keeping the `Sync` keeps
    /// the stacks of its generation, for an analysis that needs a stack's frames later.
    ///
    /// ```
    /// # fn main() -> Result<(), trace_model::Error> {
    /// let bytes = std::fs::read("../../testdata/traces/go1.27.3/generations.trace").unwrap();
    /// let mut reader = trace_model::Reader::new(&bytes)?;
    /// let (mut sync, mut checked) = (None, 0);
    /// while let Some(ev) = reader.next_event()? {
    ///     if ev.sync().is_some() {
    ///         sync = Some(ev.clone());
    ///     }
    ///     let stack = ev.stack();
    ///     let Some(gen) = sync.as_ref().and_then(|s| s.sync()) else { continue };
    ///     if stack.id() != 0 {
    ///         let by_id = gen.stack(stack.id());
    ///         assert!(by_id.frames().map(|f| (f.pc, f.line)).eq(stack.frames().map(|f| (f.pc, f.line))));
    ///         checked += 1;
    ///     }
    /// }
    /// assert!(checked > 100);
    /// # Ok(()) }
    /// ```
    pub fn stack(&self, id: u64) -> Stack<'a> {
        if id == 0 {
            return Stack::NONE;
        }
        Stack {
            table: self.table,
            id,
        }
    }
    /// The generation's experimental batches: experiment name, the M that wrote each, its bytes.
    pub fn experimental_batches(&self) -> impl Iterator<Item = (&'static str, ThreadId, &'a [u8])> {
        self.table.into_iter().flat_map(|t| {
            t.exp_batches.iter().map(|b| {
                let name = trace_format::Experiment(b.experiment).name().unwrap_or("");
                (name, b.m as ThreadId, &b.data[..])
            })
        })
    }
}

/// The trace clock against the monotonic and wall clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockSnapshot {
    /// Trace time.
    pub trace: Time,
    /// Monotonic clock, nanoseconds.
    pub mono: u64,
    /// Wall clock: seconds since the Unix epoch (Go's `int64(sec)`).
    pub wall_sec: i64,
    /// Wall clock: nanoseconds (Go's `int64(nsec)`).
    pub wall_nsec: i64,
}

/// An experimental event.
#[derive(Debug, Clone)]
pub struct ExperimentalEvent<'a> {
    /// The event's name.
    pub name: &'static str,
    /// The experiment's name.
    pub experiment: &'static str,
    /// Argument names (the timestamp excluded).
    pub args: &'static [&'static str],
    values: [u64; 4],
    table: &'a Table,
}

impl<'a> ExperimentalEvent<'a> {
    /// Argument `i`: a string if its name ends in `string`, else a number.
    pub fn arg_value(&self, i: usize) -> Option<Value<'a>> {
        let name = self.args.get(i)?;
        let v = self.values.get(i).copied().unwrap_or(0);
        Some(if name.ends_with("string") {
            Value::String(self.table.string(v).unwrap_or_default())
        } else {
            Value::Uint64(v)
        })
    }
}

/// A stack: the frames of a goroutine's stack when something happened. Empty for none.
#[derive(Debug, Clone, Copy)]
pub struct Stack<'a> {
    table: Option<&'a Table>,
    id: u64,
}

impl<'a> Stack<'a> {
    /// No stack.
    pub const NONE: Stack<'static> = Stack { table: None, id: 0 };

    /// Whether this is no stack at all (Go's `NoStack`). A stack can be present and have no
    /// frames: Go prints the heading of such a stack.
    pub fn is_none(&self) -> bool {
        self.table.is_none() && self.id == 0
    }

    /// The stack's ID in its generation's stack table (0 for none). Stacks of different
    /// generations may share IDs.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The frames, innermost first.
    pub fn frames(&self) -> impl Iterator<Item = StackFrame<'a>> + 'a {
        let table = self.table;
        let pcs: &'a [u64] = match (table, self.id) {
            (Some(t), id) if id != 0 => t.stack_pcs(id),
            _ => &[],
        };
        pcs.iter().filter_map(move |&pc| {
            let t = table?;
            let f = t.frame(pc);
            Some(StackFrame {
                pc,
                func: t.string(f.func).unwrap_or_default(),
                file: t.string(f.file).unwrap_or_default(),
                line: f.line,
            })
        })
    }

    /// Writes the frames as Go's `Event.String()` does: names and files with `%s`, their
    /// bytes as they are.
    fn write<O: GoOut>(&self, out: &mut O, prefix: &str) -> fmt::Result {
        for f in self.frames() {
            out.write_str(prefix)?;
            out.raw(f.func)?;
            write!(out, " @ {:#x}\n{prefix}\t", f.pc)?;
            out.raw(f.file)?;
            writeln!(out, ":{}", f.line)?;
        }
        Ok(())
    }
}

impl PartialEq for Stack<'_> {
    fn eq(&self, other: &Self) -> bool {
        let same_table = match (self.table, other.table) {
            (Some(a), Some(b)) => std::ptr::eq(a, b),
            (None, None) => true,
            _ => false,
        };
        same_table && self.id == other.id
    }
}

/// One frame of a stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackFrame<'a> {
    /// Program counter.
    pub pc: u64,
    /// Function name.
    pub func: &'a [u8],
    /// File name.
    pub file: &'a [u8],
    /// Line number.
    pub line: u64,
}

/// Where an event's text goes: text, and bytes from the trace that Go prints with `%s`, as
/// they are, valid UTF-8 or not. A `Formatter` can only take text, so it gets such bytes with
/// U+FFFD for what isn't UTF-8 ([`Event`]'s `Display`); an `io::Write` gets them as they are
/// ([`Event::write_go`]).
trait GoOut: fmt::Write {
    /// Writes bytes of the trace as Go's `%s` does.
    fn raw(&mut self, bytes: &[u8]) -> fmt::Result;
}

impl GoOut for fmt::Formatter<'_> {
    fn raw(&mut self, bytes: &[u8]) -> fmt::Result {
        self.write_str(&String::from_utf8_lossy(bytes))
    }
}

/// An `io::Write` as a [`GoOut`], keeping the I/O error `fmt::Error` can't carry.
struct IoOut<'w, W: ?Sized> {
    w: &'w mut W,
    err: Option<std::io::Error>,
}

impl<W: std::io::Write + ?Sized> fmt::Write for IoOut<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.raw(s.as_bytes())
    }
}

impl<W: std::io::Write + ?Sized> GoOut for IoOut<'_, W> {
    fn raw(&mut self, bytes: &[u8]) -> fmt::Result {
        self.w.write_all(bytes).map_err(|e| {
            self.err = Some(e);
            fmt::Error
        })
    }
}

/// Bytes printed as Go's `%q`.
struct Quoted<'a>(&'a [u8]);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_quoted(f, self.0)
    }
}

/// The M, P and goroutine an event happened on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SchedCtx {
    pub(crate) g: GoId,
    pub(crate) p: ProcId,
    pub(crate) m: ThreadId,
}

impl SchedCtx {
    pub(crate) const NONE: SchedCtx = SchedCtx {
        g: NO_GOROUTINE,
        p: NO_PROC,
        m: NO_THREAD,
    };
}

/// The event type used for sync events, which have no wire type.
pub(crate) const EV_SYNC: u8 = 0xff;

/// The wire event an [`Event`] stands for: its type, time and arguments (timestamp excluded).
/// Some argument slots past the wire arguments carry what ordering learned, as in Go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BaseEvent {
    pub(crate) ty: u8,
    pub(crate) time: Time,
    pub(crate) args: [u64; 4],
}

/// One event of the ordered stream: what happened, when, on which M, P and goroutine.
///
/// Cheap to clone: the generation's tables are shared. `Display` prints exactly what Go's
/// `Event.String()` prints.
#[derive(Clone)]
pub struct Event {
    pub(crate) table: Option<TableRef>,
    pub(crate) ctx: SchedCtx,
    pub(crate) base: BaseEvent,
    /// The type of the task a `UserTaskEnd` ends, learned from its beginning.
    pub(crate) task_type: Option<Arc<[u8]>>,
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[inline]
fn kind_of(ty: u8) -> EventKind {
    use EventKind as K;
    match Ty(ty) {
        Ty::CPU_SAMPLE => K::StackSample,
        Ty::PROCS_CHANGE | Ty::HEAP_ALLOC | Ty::HEAP_GOAL => K::Metric,
        Ty::PROC_START
        | Ty::PROC_STOP
        | Ty::PROC_STEAL
        | Ty::PROC_STATUS
        | Ty::GO_CREATE
        | Ty::GO_CREATE_SYSCALL
        | Ty::GO_START
        | Ty::GO_DESTROY
        | Ty::GO_DESTROY_SYSCALL
        | Ty::GO_STOP
        | Ty::GO_BLOCK
        | Ty::GO_UNBLOCK
        | Ty::GO_SYSCALL_BEGIN
        | Ty::GO_SYSCALL_END
        | Ty::GO_SYSCALL_END_BLOCKED
        | Ty::GO_STATUS
        | Ty::GO_SWITCH
        | Ty::GO_SWITCH_DESTROY
        | Ty::GO_CREATE_BLOCKED
        | Ty::GO_STATUS_STACK => K::StateTransition,
        Ty::STW_BEGIN | Ty::GC_BEGIN | Ty::GC_SWEEP_BEGIN | Ty::GC_MARK_ASSIST_BEGIN => {
            K::RangeBegin
        }
        Ty::GC_ACTIVE | Ty::GC_SWEEP_ACTIVE | Ty::GC_MARK_ASSIST_ACTIVE => K::RangeActive,
        Ty::STW_END | Ty::GC_END | Ty::GC_SWEEP_END | Ty::GC_MARK_ASSIST_END => K::RangeEnd,
        Ty::GO_LABEL => K::Label,
        Ty::USER_TASK_BEGIN => K::TaskBegin,
        Ty::USER_TASK_END => K::TaskEnd,
        Ty::USER_REGION_BEGIN => K::RegionBegin,
        Ty::USER_REGION_END => K::RegionEnd,
        Ty::USER_LOG => K::Log,
        Ty(EV_SYNC) => K::Sync,
        _ => kind_of_other(ty),
    }
}

/// The kind of an event type none of Go's named ones is: out of line, so that [`kind_of`]
/// stays a table lookup where it is inlined (tools ask it of nearly every event).
#[cold]
fn kind_of_other(ty: u8) -> EventKind {
    if is_experimental(ty) {
        EventKind::Experimental
    } else {
        EventKind::Bad
    }
}

/// Go's wire statuses of goroutines and Ps, and the states they stand for.
pub(crate) mod status {
    use super::{GoState, ProcState};

    pub(crate) const GO_RUNNABLE: u64 = 1;
    pub(crate) const GO_RUNNING: u64 = 2;
    pub(crate) const GO_SYSCALL: u64 = 3;
    pub(crate) const GO_WAITING: u64 = 4;

    pub(crate) const PROC_RUNNING: u64 = 1;
    pub(crate) const PROC_IDLE: u64 = 2;
    pub(crate) const PROC_SYSCALL: u64 = 3;
    pub(crate) const PROC_SYSCALL_ABANDONED: u64 = 4;

    /// The goroutine state of a wire status; `None` past the table, as Go checks.
    pub(crate) fn go_state(s: u64) -> Option<GoState> {
        Some(match s {
            0 => GoState::Undetermined,
            GO_RUNNABLE => GoState::Runnable,
            GO_RUNNING => GoState::Running,
            GO_SYSCALL => GoState::Syscall,
            GO_WAITING => GoState::Waiting,
            _ => return None,
        })
    }

    pub(crate) fn proc_state(s: u64) -> Option<ProcState> {
        Some(match s {
            0 => ProcState::Undetermined,
            PROC_RUNNING | PROC_SYSCALL => ProcState::Running,
            PROC_IDLE | PROC_SYSCALL_ABANDONED => ProcState::Idle,
            _ => return None,
        })
    }

    pub(crate) fn go_status_name(s: u64) -> &'static str {
        match s {
            GO_RUNNABLE => "Runnable",
            GO_RUNNING => "Running",
            GO_SYSCALL => "Syscall",
            GO_WAITING => "Waiting",
            _ => "Bad",
        }
    }

    pub(crate) fn proc_status_name(s: u64) -> &'static str {
        match s {
            PROC_RUNNING => "Running",
            PROC_IDLE => "Idle",
            PROC_SYSCALL => "Syscall",
            PROC_SYSCALL_ABANDONED => "SyscallAbandoned",
            _ => "Bad",
        }
    }
}

impl Event {
    pub(crate) fn empty() -> Event {
        Event {
            table: None,
            ctx: SchedCtx::NONE,
            base: BaseEvent {
                ty: EV_SYNC,
                time: 0,
                args: [0; 4],
            },
            task_type: None,
        }
    }

    /// Makes this event the one with `table`, `ctx` and `base`, and no task type. Events are
    /// reused, and only a new generation changes the table: it is cloned only then, so
    /// reusing an event costs no reference counting.
    // Always inlined: in a larger caller the compiler made it a call per event. What touches
    // reference counts is out of line.
    #[inline(always)]
    pub(crate) fn overwrite(&mut self, table: Option<&TableRef>, ctx: SchedCtx, base: BaseEvent) {
        match (table, &self.table) {
            (Some(t), Some(mine)) if Arc::ptr_eq(t, mine) => {}
            (t, _) => self.set_table(t),
        }
        self.ctx = ctx;
        self.base = base;
        if self.task_type.is_some() {
            self.clear_task_type();
        }
    }

    #[cold]
    #[inline(never)]
    fn set_table(&mut self, table: Option<&TableRef>) {
        self.table = table.cloned();
    }

    #[cold]
    #[inline(never)]
    fn clear_task_type(&mut self) {
        self.task_type = None;
    }

    /// Makes this event a copy of `src` (see [`overwrite`](Self::overwrite)).
    pub(crate) fn assign(&mut self, src: &Event) {
        self.overwrite(src.table.as_ref(), src.ctx, src.base);
        if src.task_type.is_some() {
            self.task_type = src.task_type.clone();
        }
    }

    /// Makes this event `p`, with `table` the current generation's.
    pub(crate) fn set(&mut self, p: Pending, table: Option<&TableRef>) {
        self.overwrite(table.filter(|_| p.has_table), p.ctx, p.base);
        self.task_type = p.task_type;
    }

    fn table(&self) -> Option<&Table> {
        self.table.as_deref()
    }

    fn string(&self, id: u64) -> &[u8] {
        self.table().and_then(|t| t.string(id)).unwrap_or_default()
    }

    /// What the event is about.
    #[inline]
    pub fn kind(&self) -> EventKind {
        kind_of(self.base.ty)
    }
    /// When it happened, in nanoseconds.
    pub fn time(&self) -> Time {
        self.base.time
    }
    /// The goroutine it happened on, [`NO_GOROUTINE`] for none.
    pub fn goroutine(&self) -> GoId {
        self.ctx.g
    }
    /// The P it happened on, [`NO_PROC`] for none.
    pub fn proc(&self) -> ProcId {
        self.ctx.p
    }
    /// The M it happened on, [`NO_THREAD`] for none.
    pub fn thread(&self) -> ThreadId {
        self.ctx.m
    }

    /// The name of the wire event this event came from (`GoBlock`, `ProcStart`...), or `Sync`.
    pub fn wire_name(&self) -> &'static str {
        if self.base.ty == EV_SYNC {
            return "Sync";
        }
        wire_name(self.base.ty)
    }

    /// A stack or string ID the event refers to that its generation's tables lack, where Go's
    /// reader doesn't check it: a CPU sample's stack, an experimental event's string argument.
    /// Such an event comes only from a broken trace; Go's reader hands it out, and Go's
    /// `Event.String()` then panics (`expected id 55 in trace.stack table`), so
    /// `go tool trace -d=parsed` stops there. Gives `("stack", id)` or `("string", id)`.
    pub fn unresolved_id(&self) -> Option<(&'static str, u64)> {
        let table = self.table()?;
        let ty = self.base.ty;
        if ty == Ty::CPU_SAMPLE.0 {
            let id = self.base.args[0];
            return (!table.has_stack(id)).then_some(("stack", id));
        }
        let e = self.experimental()?;
        (0..e.args.len()).find_map(|i| {
            let id = e.values.get(i).copied().unwrap_or(0);
            let string = e.args.get(i).is_some_and(|a| a.ends_with("string"));
            (string && table.string(id).is_none()).then_some(("string", id))
        })
    }

    /// Whether the event comes from a generation salvaged without its string or stack table
    /// ([`Reader::salvage`](crate::Reader::salvage)): the strings it names read as empty, and
    /// its stacks as empty, for want of the tables. Always `false` otherwise.
    pub fn tables_lost(&self) -> bool {
        self.table().is_some_and(|t| t.tables_lost)
    }

    /// The stack of the event itself: where it happened.
    pub fn stack(&self) -> Stack<'_> {
        let ty = self.base.ty;
        if ty == EV_SYNC {
            return Stack::NONE;
        }
        let id = if ty == Ty::CPU_SAMPLE.0 {
            self.base.args[0]
        } else {
            match own_stack_arg(ty) {
                Some(i) => self.base.args[i],
                None => return Stack::NONE,
            }
        };
        if id == 0 {
            return Stack::NONE;
        }
        Stack {
            table: self.table(),
            id,
        }
    }

    /// A metric sample.
    pub fn metric(&self) -> Option<Metric> {
        let name = match Ty(self.base.ty) {
            Ty::PROCS_CHANGE => Metric::GOMAXPROCS,
            Ty::HEAP_ALLOC => Metric::HEAP_ALLOC,
            Ty::HEAP_GOAL => Metric::HEAP_GOAL,
            _ => return None,
        };
        Some(Metric {
            name,
            value: self.base.args[0],
        })
    }

    /// A label.
    pub fn label(&self) -> Option<Label<'_>> {
        (Ty(self.base.ty) == Ty::GO_LABEL).then(|| Label {
            label: self.string(self.base.args[0]),
            resource: ResourceId::goroutine(self.ctx.g),
        })
    }

    /// The range a range event begins, continues or ends.
    pub fn range(&self) -> Option<Range<'_>> {
        let a = &self.base.args;
        Some(match Ty(self.base.ty) {
            Ty::STW_BEGIN | Ty::STW_END => {
                let mut name = b"stop-the-world (".to_vec();
                name.extend_from_slice(self.string(a[0]));
                name.push(b')');
                Range {
                    name: Cow::Owned(name),
                    scope: ResourceId::goroutine(self.ctx.g),
                    kind: RangeKind::StopTheWorld,
                }
            }
            Ty::GC_BEGIN | Ty::GC_ACTIVE | Ty::GC_END => Range {
                name: Cow::Borrowed(b"GC concurrent mark phase"),
                scope: ResourceId::NONE,
                kind: RangeKind::GcMark,
            },
            ty @ (Ty::GC_SWEEP_BEGIN | Ty::GC_SWEEP_ACTIVE | Ty::GC_SWEEP_END) => Range {
                name: Cow::Borrowed(b"GC incremental sweep"),
                scope: ResourceId::proc(if ty == Ty::GC_SWEEP_ACTIVE {
                    a[0] as i64
                } else {
                    self.ctx.p
                }),
                kind: RangeKind::Sweep,
            },
            ty
            @ (Ty::GC_MARK_ASSIST_BEGIN | Ty::GC_MARK_ASSIST_ACTIVE | Ty::GC_MARK_ASSIST_END) => {
                Range {
                    name: Cow::Borrowed(b"GC mark assist"),
                    scope: ResourceId::goroutine(if ty == Ty::GC_MARK_ASSIST_ACTIVE {
                        a[0] as i64
                    } else {
                        self.ctx.g
                    }),
                    kind: RangeKind::MarkAssist,
                }
            }
            _ => return None,
        })
    }

    /// What a range reports at its end: bytes swept and reclaimed, for a sweep.
    pub fn range_attributes(&self) -> Vec<RangeAttribute> {
        if Ty(self.base.ty) != Ty::GC_SWEEP_END {
            return Vec::new();
        }
        vec![
            RangeAttribute {
                name: "bytes swept",
                value: self.base.args[0],
            },
            RangeAttribute {
                name: "bytes reclaimed",
                value: self.base.args[1],
            },
        ]
    }

    /// The task a task event begins or ends.
    pub fn task(&self) -> Option<Task<'_>> {
        let a = &self.base.args;
        match Ty(self.base.ty) {
            Ty::USER_TASK_BEGIN => Some(Task {
                id: a[0],
                parent: a[1],
                ty: self.string(a[2]),
            }),
            Ty::USER_TASK_END => Some(Task {
                id: a[0],
                parent: a[2],
                ty: self.task_type.as_deref().unwrap_or_default(),
            }),
            _ => None,
        }
    }

    /// The region a region event begins or ends.
    pub fn region(&self) -> Option<Region<'_>> {
        matches!(
            Ty(self.base.ty),
            Ty::USER_REGION_BEGIN | Ty::USER_REGION_END
        )
        .then(|| Region {
            task: self.base.args[0],
            ty: self.string(self.base.args[1]),
        })
    }

    /// A log message.
    pub fn log(&self) -> Option<Log<'_>> {
        (Ty(self.base.ty) == Ty::USER_LOG).then(|| Log {
            task: self.base.args[0],
            category: self.string(self.base.args[1]),
            message: self.string(self.base.args[2]),
        })
    }

    /// The state transition of a goroutine or P.
    pub fn state_transition(&self) -> Option<StateTransition<'_>> {
        use ProcState as P;
        let a = &self.base.args;
        let proc = |id: i64, from: P, to: P| StateTransition {
            resource: ResourceId::proc(id),
            reason: &[],
            stack: Stack::NONE,
            old: from.to_u8(),
            new: to.to_u8(),
        };
        let ty = Ty(self.base.ty);
        Some(match ty {
            Ty::PROC_START => proc(a[0] as i64, P::Idle, P::Running),
            Ty::PROC_STOP => proc(self.ctx.p, P::Running, P::Idle),
            Ty::PROC_STEAL => {
                let before = if a[3] == status::PROC_SYSCALL_ABANDONED {
                    P::Idle
                } else {
                    P::Running
                };
                proc(a[0] as i64, before, P::Idle)
            }
            Ty::PROC_STATUS => {
                let to = status::proc_state(a[1]).unwrap_or(P::Undetermined);
                proc(a[0] as i64, P::from_u8(a[2] as u8), to)
            }
            _ => {
                let (id, from, to) = self.goroutine_transition()?;
                let mut s = StateTransition {
                    resource: ResourceId::goroutine(id),
                    reason: &[],
                    stack: Stack::NONE,
                    old: from.to_u8(),
                    new: to.to_u8(),
                };
                match ty {
                    // Go keeps the creation stack even when its ID is 0, and prints its
                    // heading.
                    Ty::GO_CREATE | Ty::GO_CREATE_BLOCKED => {
                        s.stack = Stack {
                            table: self.table(),
                            id: a[1],
                        };
                    }
                    Ty::GO_STOP | Ty::GO_BLOCK => {
                        s.reason = self.string(a[0]);
                        s.stack = self.stack();
                    }
                    Ty::GO_SYSCALL_BEGIN | Ty::GO_STATUS | Ty::GO_STATUS_STACK => {
                        s.stack = self.stack();
                    }
                    _ => {}
                }
                s
            }
        })
    }

    /// For a goroutine's state transition, the goroutine and its old and new states: what
    /// [`state_transition`](Self::state_transition) says, without the reason and stack (no
    /// table is looked up), for a pass that needs those only now and then.
    ///
    /// ```
    /// # fn main() -> Result<(), trace_model::Error> {
    /// let bytes = std::fs::read("../../testdata/traces/go1.23.9/chan.trace").unwrap();
    /// let mut reader = trace_model::Reader::new(&bytes)?;
    /// let mut n = 0;
    /// while let Some(ev) = reader.next_event()? {
    ///     let st = ev.state_transition();
    ///     let from_st = st.as_ref().and_then(|s| Some((s.resource.id, s.goroutine()?)));
    ///     let fast = ev.goroutine_transition().map(|(g, from, to)| (g, (from, to)));
    ///     assert_eq!(fast, from_st);
    ///     n += usize::from(fast.is_some());
    /// }
    /// assert!(n > 0);
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn goroutine_transition(&self) -> Option<(GoId, GoState, GoState)> {
        use GoState as G;
        let a = &self.base.args;
        let g = self.ctx.g;
        Some(match Ty(self.base.ty) {
            Ty::GO_CREATE => (a[0] as i64, G::NotExist, G::Runnable),
            Ty::GO_CREATE_BLOCKED => (a[0] as i64, G::NotExist, G::Waiting),
            Ty::GO_CREATE_SYSCALL => (a[0] as i64, G::NotExist, G::Syscall),
            Ty::GO_START => (a[0] as i64, G::Runnable, G::Running),
            Ty::GO_DESTROY => (g, G::Running, G::NotExist),
            Ty::GO_DESTROY_SYSCALL => (g, G::Syscall, G::NotExist),
            Ty::GO_STOP => (g, G::Running, G::Runnable),
            Ty::GO_BLOCK => (g, G::Running, G::Waiting),
            Ty::GO_UNBLOCK | Ty::GO_SWITCH | Ty::GO_SWITCH_DESTROY => {
                (a[0] as i64, G::Waiting, G::Runnable)
            }
            Ty::GO_SYSCALL_BEGIN => (g, G::Running, G::Syscall),
            Ty::GO_SYSCALL_END => (g, G::Syscall, G::Running),
            Ty::GO_SYSCALL_END_BLOCKED => (g, G::Syscall, G::Runnable),
            Ty::GO_STATUS | Ty::GO_STATUS_STACK => {
                let from = G::from_u8((a[2] >> 32) as u8);
                let to = status::go_state(a[2] & 0xffff_ffff).unwrap_or(G::Undetermined);
                (a[0] as i64, from, to)
            }
            _ => return None,
        })
    }

    /// A sync event's details.
    pub fn sync(&self) -> Option<Sync<'_>> {
        if self.base.ty != EV_SYNC {
            return None;
        }
        let table = self.table();
        Some(Sync {
            n: self.base.args[0],
            clock_snapshot: table.and_then(|t| {
                t.snapshot.map(|s| ClockSnapshot {
                    trace: t.freq.mul(s.ticks),
                    mono: s.mono,
                    wall_sec: s.sec as i64,
                    wall_nsec: s.nsec as i64,
                })
            }),
            table,
        })
    }

    /// An experimental event's details.
    pub fn experimental(&self) -> Option<ExperimentalEvent<'_>> {
        if self.kind() != EventKind::Experimental {
            return None;
        }
        let spec = spec_of(self.base.ty)?;
        Some(ExperimentalEvent {
            name: spec.name,
            experiment: spec.experiment.name().unwrap_or(""),
            args: spec.args.get(1..).unwrap_or_default(),
            values: self.base.args,
            table: self.table()?,
        })
    }
}

/// The spec of a wire event type. Go's reader orders and interprets events with its newest
/// table whatever the trace's version (a type a version lacks was refused when decoding).
pub(crate) fn spec_of(ty: u8) -> Option<&'static trace_format::EventSpec> {
    trace_format::spec::lookup(trace_format::Version::Go1_26, Ty(ty))
}

/// Go's name of a wire event type, empty for none.
pub(crate) fn wire_name(ty: u8) -> &'static str {
    spec_of(ty).map_or("", |s| s.name)
}

/// Whether a wire event type belongs to an experiment.
pub(crate) fn is_experimental(ty: u8) -> bool {
    spec_of(ty).is_some_and(|s| s.experiment != trace_format::Experiment::NONE)
}

/// Index in [`BaseEvent::args`] of an event's own stack ID (Go's first `StackIDs` entry, minus
/// the timestamp).
pub(crate) fn own_stack_arg(ty: u8) -> Option<usize> {
    spec_of(ty)?
        .stack_ids
        .first()
        .and_then(|&i| i.checked_sub(1))
}

impl fmt::Display for Event {
    /// Go's `Event.String()`, except that bytes of the trace that aren't UTF-8 (in a function
    /// or file name, say) come out as U+FFFD: [`Event::write_go`] writes Go's exact bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

impl Event {
    /// Writes exactly the bytes Go's `Event.String()` gives: what `Display` writes, except
    /// that names and files from the trace are written as they are, valid UTF-8 or not, as
    /// Go's `%s` writes them (`Display` can only write text, so it shows U+FFFD instead).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let bytes = std::fs::read("../../testdata/traces/go1.23.9/chan.trace")?;
    /// let mut reader = trace_model::Reader::new(&bytes)?;
    /// let mut out = Vec::new();
    /// while let Some(event) = reader.next_event()? {
    ///     event.write_go(&mut out)?;
    ///     out.push(b'\n');
    /// }
    /// // For a trace whose strings are UTF-8, the same as `Display`.
    /// assert!(std::str::from_utf8(&out).is_ok());
    /// # Ok(()) }
    /// ```
    pub fn write_go<W: std::io::Write + ?Sized>(&self, w: &mut W) -> std::io::Result<()> {
        let mut out = IoOut { w, err: None };
        match self.write_to(&mut out) {
            Ok(()) => Ok(()),
            Err(fmt::Error) => Err(out
                .err
                .unwrap_or_else(|| std::io::Error::other("formatting failed"))),
        }
    }

    /// The one body of `Display` and [`write_go`](Self::write_go).
    fn write_to<O: GoOut>(&self, f: &mut O) -> fmt::Result {
        let kind = self.kind();
        write!(
            f,
            "M={} P={} G={} {} Time={}",
            self.ctx.m, self.ctx.p, self.ctx.g, kind, self.base.time
        )?;
        match kind {
            EventKind::Metric => {
                if let Some(m) = self.metric() {
                    write!(
                        f,
                        " Name={} Value={}",
                        Quoted(m.name.as_bytes()),
                        Value::Uint64(m.value)
                    )?;
                }
            }
            EventKind::Label => {
                if let Some(l) = self.label() {
                    write!(f, " Label={} Resource={}", Quoted(l.label), l.resource)?;
                }
            }
            EventKind::RangeBegin | EventKind::RangeActive | EventKind::RangeEnd => {
                if let Some(r) = self.range() {
                    write!(f, " Name={} Scope={}", Quoted(&r.name), r.scope)?;
                }
                if kind == EventKind::RangeEnd {
                    f.write_str(" Attributes=[")?;
                    for (i, a) in self.range_attributes().iter().enumerate() {
                        if i != 0 {
                            f.write_char(' ')?;
                        }
                        write!(
                            f,
                            "{}={}",
                            Quoted(a.name.as_bytes()),
                            Value::Uint64(a.value)
                        )?;
                    }
                    f.write_char(']')?;
                }
            }
            EventKind::TaskBegin | EventKind::TaskEnd => {
                if let Some(t) = self.task() {
                    write!(f, " ID={} Parent={} Type={}", t.id, t.parent, Quoted(t.ty))?;
                }
            }
            EventKind::RegionBegin | EventKind::RegionEnd => {
                if let Some(r) = self.region() {
                    write!(f, " Task={} Type={}", r.task, Quoted(r.ty))?;
                }
            }
            EventKind::Log => {
                if let Some(l) = self.log() {
                    write!(
                        f,
                        " Task={} Category={} Message={}",
                        l.task,
                        Quoted(l.category),
                        Quoted(l.message)
                    )?;
                }
            }
            EventKind::StateTransition => {
                if let Some(s) = self.state_transition() {
                    if let Some((old, new)) = s.goroutine() {
                        write!(f, " GoID={} {}->{}", s.resource.id, old, new)?;
                    } else if let Some((old, new)) = s.proc() {
                        write!(f, " ProcID={} {}->{}", s.resource.id, old, new)?;
                    }
                    write!(f, " Reason={}", Quoted(s.reason))?;
                    if !s.stack.is_none() {
                        f.write_str("\nTransitionStack=\n")?;
                        s.stack.write(f, "\t")?;
                    }
                }
            }
            EventKind::Experimental => {
                if let Some(e) = self.experimental() {
                    write!(f, " Name={} Args=[", e.name)?;
                    for (i, name) in e.args.iter().enumerate() {
                        if i != 0 {
                            f.write_str(", ")?;
                        }
                        write!(f, "{name}=")?;
                        match e.arg_value(i).unwrap_or(Value::Uint64(0)) {
                            Value::String(s) => f.raw(s)?,
                            v => write!(f, "{v}")?,
                        }
                    }
                    f.write_char(']')?;
                }
            }
            EventKind::Sync => {
                if let Some(s) = self.sync() {
                    write!(f, " N={}", s.n)?;
                    if let Some(c) = s.clock_snapshot {
                        write!(f, " Trace={} Mono={} Wall=", c.trace, c.mono)?;
                        crate::wall::write_rfc3339_nano(f, c.wall_sec, c.wall_nsec)?;
                    }
                }
            }
            EventKind::Bad | EventKind::StackSample => {}
        }
        let stack = self.stack();
        if !stack.is_none() {
            f.write_str("\nStack=\n")?;
            stack.write(f, "\t")?;
        }
        Ok(())
    }
}
