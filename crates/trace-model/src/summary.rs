//! Goroutine and user-task summaries: what `go tool trace` shows on its `/goroutines`,
//! `/goroutine` and `/usertasks` pages, computed as Go 1.27's `internal/trace` summarizer does.
//!
//! Feed every event of a trace, in order, to a [`Summarizer`], then call
//! [`Summarizer::finish`]. Memory holds the goroutines, tasks, regions and logs seen, never the
//! events. Times follow Go's convention of "0 means unknown" inside; the public fields say it
//! with `Option`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::event::{
    Event, EventKind, GoId, GoState, ProcId, ProcState, ResourceKind, TaskId, Time,
};
use crate::{gosort, NO_PROC, NO_TASK};
use trace_format::hash::{IdMap, IdSet};

/// How a goroutine (or a region of it) spent its time, in nanoseconds. Go's
/// `GoroutineExecStats`.
///
/// The times overlap only where Go's do: `range_time` (time inside GC and STW ranges) overlaps
/// the rest. [`ExecStats::unknown`] is what the others leave of `total`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecStats {
    /// Time running on a P.
    pub exec: i64,
    /// Time runnable, waiting for a P.
    pub sched_wait: i64,
    /// Time blocked, by Go's reason string (`chan receive`, `sync`, `network`, ...). A
    /// goroutine that was already blocked when the trace began blocks for reason `""`.
    pub block: Durations,
    /// Time in system calls that kept their P.
    pub syscall: i64,
    /// Time in system calls after they lost their P (blocked in the kernel).
    pub syscall_block: i64,
    /// The whole lifetime (or region) the others divide.
    pub total: i64,
    /// Time inside ranges (`GC mark assist`, `stop-the-world (...)`, ...), by range name.
    pub range_time: Durations,
}

/// Durations by name (a block reason, a range), sorted by name. A small map: each goroutine
/// and region has two, and their names are shared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Durations(Vec<(Arc<[u8]>, i64)>);

impl Durations {
    /// The duration of `name`, if it has an entry (entries may be 0, as in Go's maps).
    pub fn get(&self, name: &[u8]) -> Option<i64> {
        self.find(name)
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|e| e.1)
    }
    /// The entries, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], i64)> + '_ {
        self.0.iter().map(|(k, v)| (&k[..], *v))
    }
    /// The names, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.0.iter().map(|(k, _)| &k[..])
    }
    /// The sum of the durations.
    pub fn total(&self) -> i64 {
        self.0.iter().fold(0, |a, e| a.wrapping_add(e.1))
    }
    /// How many entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    fn find(&self, name: &[u8]) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| (**k).cmp(name))
    }
    /// Adds `d` to `name`, making the entry if needed.
    fn add(&mut self, name: &Arc<[u8]>, d: i64) {
        // Names are interned, so a short map finds its entry by pointer without comparing
        // bytes; a long one (a hostile trace's many names) keeps the binary search.
        let short = self.0.len() <= 16;
        if let Some(e) = short
            .then(|| self.0.iter_mut().find(|e| Arc::ptr_eq(&e.0, name)))
            .flatten()
        {
            e.1 = e.1.wrapping_add(d);
            return;
        }
        match self.find(name) {
            Ok(i) => {
                if let Some(e) = self.0.get_mut(i) {
                    e.1 = e.1.wrapping_add(d);
                }
            }
            Err(i) => self.0.insert(i, (name.clone(), d)),
        }
    }
}

/// The set of names (reasons, range names, functions) the summary shares, hashed with the
/// crate's fast hasher: every blocking event looks its reason up, and SipHash cost more than the
/// rest of the lookup.
type Names = IdSet<Arc<[u8]>>;

/// One shared copy of each name.
fn intern(names: &mut Names, name: &[u8]) -> Arc<[u8]> {
    if let Some(a) = names.get(name) {
        return a.clone();
    }
    let a: Arc<[u8]> = Arc::from(name);
    names.insert(a.clone());
    a
}

impl ExecStats {
    /// The part of `total` that no other time accounts for, or 0. Go's `UnknownTime`.
    pub fn unknown(&self) -> i64 {
        let sum = self
            .block
            .total()
            .wrapping_add(self.exec)
            .wrapping_add(self.sched_wait)
            .wrapping_add(self.syscall)
            .wrapping_add(self.syscall_block);
        if sum < self.total {
            self.total.wrapping_sub(sum)
        } else {
            0
        }
    }

    /// The times that don't overlap, with the names the `/goroutine` page gives them
    /// ("Execution time", "Block time (chan receive)", ...), sorted by name. Go's
    /// `NonOverlappingStats`.
    pub fn non_overlapping(&self) -> BTreeMap<Vec<u8>, i64> {
        let mut out = BTreeMap::new();
        out.insert(b"Execution time".to_vec(), self.exec);
        out.insert(b"Sched wait time".to_vec(), self.sched_wait);
        out.insert(b"Syscall execution time".to_vec(), self.syscall);
        out.insert(b"Block time (syscall)".to_vec(), self.syscall_block);
        out.insert(b"Unknown time".to_vec(), self.unknown());
        for (reason, d) in self.block.iter() {
            let mut name = b"Block time (".to_vec();
            name.extend_from_slice(reason);
            name.push(b')');
            let e = out.entry(name).or_insert(0);
            *e = i64::wrapping_add(*e, d);
        }
        out
    }

    /// `self - v`, over the keys of `self` (Go's `sub`: a region's stats are its end snapshot
    /// minus its start snapshot).
    fn sub(&self, v: &ExecStats) -> ExecStats {
        let minus = |m: &Durations, o: &Durations| {
            Durations(
                m.0.iter()
                    .map(|(k, d)| (k.clone(), d.wrapping_sub(o.get(k).unwrap_or(0))))
                    .collect(),
            )
        };
        ExecStats {
            exec: self.exec.wrapping_sub(v.exec),
            sched_wait: self.sched_wait.wrapping_sub(v.sched_wait),
            block: minus(&self.block, &v.block),
            syscall: self.syscall.wrapping_sub(v.syscall),
            syscall_block: self.syscall_block.wrapping_sub(v.syscall_block),
            total: self.total.wrapping_sub(v.total),
            range_time: minus(&self.range_time, &v.range_time),
        }
    }
}

/// Which event began or ended a region or task, with what `go tool trace`'s task page says of
/// it. A region inherited from the goroutine's creator begins with the creating
/// `StateTransition`; one cut short by its goroutine's exit ends with the exiting one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRef {
    /// When.
    pub time: Time,
    /// What kind of event.
    pub kind: EventKind,
    /// The goroutine the event is about: for a goroutine's state transition that goroutine,
    /// otherwise the one the event happened on ([`crate::NO_GOROUTINE`] for none).
    pub goroutine: GoId,
    /// The event's own arguments that the task page describes it by.
    pub detail: EventDetail,
}

/// What an [`EventRef`] keeps of its event beyond time, kind and goroutine.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventDetail {
    /// A goroutine's change of state, from and to.
    Transition {
        /// Its state before.
        from: GoState,
        /// Its state after.
        to: GoState,
    },
    /// A region's beginning or end, with the type the event names (a region may end with an
    /// event of another type: the innermost open region ends, whatever the end says).
    Region {
        /// The region type the event carries.
        ty: Arc<[u8]>,
    },
    /// A task's beginning or end, as the event gives it.
    Task {
        /// The task's ID.
        id: TaskId,
        /// Its parent, [`crate::NO_TASK`] if none or unknown.
        parent: TaskId,
        /// Its type.
        ty: Arc<[u8]>,
    },
    /// Nothing more (a processor's state change, an event of another kind).
    Other,
}

impl EventRef {
    fn of(names: &mut Names, ev: &Event) -> EventRef {
        let (goroutine, detail) = match ev.kind() {
            EventKind::StateTransition => {
                match ev
                    .state_transition()
                    .and_then(|st| Some((st.resource.id, st.goroutine()?)))
                {
                    Some((g, (from, to))) => (g, EventDetail::Transition { from, to }),
                    None => (crate::NO_GOROUTINE, EventDetail::Other),
                }
            }
            EventKind::RegionBegin | EventKind::RegionEnd => (
                ev.goroutine(),
                ev.region()
                    .map_or(EventDetail::Other, |r| EventDetail::Region {
                        ty: intern(names, r.ty),
                    }),
            ),
            EventKind::TaskBegin | EventKind::TaskEnd => (
                ev.goroutine(),
                ev.task().map_or(EventDetail::Other, |t| EventDetail::Task {
                    id: t.id,
                    parent: t.parent,
                    ty: intern(names, t.ty),
                }),
            ),
            _ => (ev.goroutine(), EventDetail::Other),
        };
        EventRef {
            time: ev.time(),
            kind: ev.kind(),
            goroutine,
            detail,
        }
    }
}

/// A stack frame with its names shared: where a region began. Go's `StackFrame`; all zero
/// (the default) for none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Frame {
    /// Program counter.
    pub pc: u64,
    /// Function name.
    pub func: Arc<[u8]>,
    /// File name.
    pub file: Arc<[u8]>,
    /// Line number.
    pub line: u64,
}

impl Frame {
    /// The outermost frame of the stack `ev` carries (Go's region fingerprint takes it),
    /// or the zero frame.
    fn outermost(names: &mut Names, ev: &Event) -> Frame {
        match ev.stack().frames().last() {
            Some(f) => Frame {
                pc: f.pc,
                func: intern(names, f.func),
                file: intern(names, f.file),
                line: f.line,
            },
            None => Frame::default(),
        }
    }
}

/// A user region of one goroutine (`trace.WithRegion`), with how its goroutine spent the
/// region's time. Go's `UserRegionSummary`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionSummary {
    /// The goroutine the region ran on.
    pub goroutine: GoId,
    /// The task it belongs to (0, the background task, for none).
    pub task: TaskId,
    /// Its type. Empty for a region inherited from the goroutine's creator. Shared between
    /// the regions of one type.
    pub name: Arc<[u8]>,
    /// Its beginning, `None` if the trace began inside it.
    pub start: Option<EventRef>,
    /// Its end, `None` if the trace ended inside it.
    pub end: Option<EventRef>,
    /// The outermost frame of its start event's stack (zero without one): with the type, what
    /// `go tool trace`'s `/userregions` page groups regions by.
    pub frame: Frame,
    /// The goroutine's time in the region.
    pub stats: ExecStats,
}

/// A user log message (`trace.Log`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSummary {
    /// When.
    pub time: Time,
    /// Which goroutine logged it.
    pub goroutine: GoId,
    /// Its category.
    pub category: Vec<u8>,
    /// The message.
    pub message: Vec<u8>,
}

/// One goroutine's life. Go's `GoroutineSummary`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoroutineSummary {
    /// Its ID.
    pub id: GoId,
    /// Its start function: the outermost frame of the first stack seen for it. Empty if none
    /// was seen. Goroutines group by it.
    pub name: Vec<u8>,
    /// The PC of that frame, 0 if none.
    pub pc: u64,
    /// When it was created, or when the trace (generation) first saw it.
    pub creation: Option<Time>,
    /// When it first ran, `None` if never.
    pub start: Option<Time>,
    /// When it exited (or blocked forever), `None` if it lived to the end of the trace.
    pub end: Option<Time>,
    /// Its time, from creation to its end or the end of the trace.
    pub stats: ExecStats,
    /// Its regions, as indices into [`Summary::regions`], by start time (unknown starts first).
    pub regions: Vec<usize>,
}

impl GoroutineSummary {
    /// Whether this is a runtime goroutine: unnamed, or a `runtime.` function other than
    /// `runtime.main`. Go's `IsSystemGoroutine`.
    pub fn is_system(&self) -> bool {
        is_system_goroutine(&self.name)
    }
}

/// Whether a goroutine with start function `name` belongs to the runtime. Go's
/// `IsSystemGoroutine`.
pub fn is_system_goroutine(name: &[u8]) -> bool {
    name.is_empty() || (name != b"runtime.main" && name.starts_with(b"runtime."))
}

/// A user task (`trace.NewTask`). Go's `UserTaskSummary`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSummary {
    /// Its ID.
    pub id: TaskId,
    /// Its type, empty if the trace never said.
    pub name: Vec<u8>,
    /// Its parent, `None` for a top-level task or an unknown parent.
    pub parent: Option<TaskId>,
    /// Its subtasks, in the order the trace introduced them.
    pub children: Vec<TaskId>,
    /// Its beginning, `None` if the trace lacks it.
    pub start: Option<EventRef>,
    /// Its end, `None` if the trace lacks it.
    pub end: Option<EventRef>,
    /// The goroutines that began, ended or logged in it or ran its regions
    /// ([`crate::NO_GOROUTINE`] for events outside any goroutine).
    pub goroutines: BTreeSet<GoId>,
    /// Its regions, as indices into [`Summary::regions`].
    pub regions: Vec<usize>,
    /// Its log messages, in order.
    pub logs: Vec<LogSummary>,
}

impl TaskSummary {
    /// Whether the trace holds both its beginning and its end.
    pub fn complete(&self) -> bool {
        self.start.is_some() && self.end.is_some()
    }
}

/// The goroutines and tasks of a trace. Go's `Summary`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Every goroutine seen, by ID.
    pub goroutines: BTreeMap<GoId, GoroutineSummary>,
    /// Every task seen, by ID. Task 0 is the background task: it appears when a log or region
    /// outside any task does.
    pub tasks: BTreeMap<TaskId, TaskSummary>,
    /// Every region, referred to by index from goroutines and tasks.
    pub regions: Vec<RegionSummary>,
    /// The times of the first and the last event, `None` for no events: the span
    /// `go tool trace` gives regions and tasks that lack a beginning or an end.
    pub span: Option<(Time, Time)>,
}

/// Goroutines grouped by name, as the `/goroutines` page lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoroutineGroup<'a> {
    /// The start function they share.
    pub name: &'a [u8],
    /// Their IDs, ascending.
    pub goroutines: Vec<GoId>,
    /// The sum of their stats (`block` and `range_time` merged by key).
    pub stats: ExecStats,
}

impl Summary {
    /// Summarizes every event of `events`, stopping at the first error.
    ///
    /// ```
    /// # fn main() -> Result<(), trace_model::Error> {
    /// let bytes = std::fs::read("../../testdata/traces/go1.25.5/chan.trace").unwrap();
    /// let summary = trace_model::Summary::of(trace_model::Reader::new(&bytes)?)?;
    /// let main = &summary.goroutines[&1];
    /// assert_eq!(main.name, b"main.main");
    /// assert!(main.stats.exec > 0);
    /// # Ok(()) }
    /// ```
    pub fn of<E: std::borrow::Borrow<Event>, Err>(
        events: impl IntoIterator<Item = Result<E, Err>>,
    ) -> Result<Summary, Err> {
        let mut s = Summarizer::new();
        for ev in events {
            s.event(ev?.borrow());
        }
        Ok(s.finish())
    }

    /// The regions of goroutine `g`, in its order.
    pub fn regions_of<'a>(
        &'a self,
        g: &'a GoroutineSummary,
    ) -> impl Iterator<Item = &'a RegionSummary> + 'a {
        g.regions.iter().filter_map(|&i| self.regions.get(i))
    }

    /// Goroutines grouped by name, sorted by name.
    pub fn groups(&self) -> Vec<GoroutineGroup<'_>> {
        let mut by_name: BTreeMap<&[u8], GoroutineGroup<'_>> = BTreeMap::new();
        for g in self.goroutines.values() {
            let group = by_name.entry(&g.name).or_insert_with(|| GoroutineGroup {
                name: &g.name,
                goroutines: Vec::new(),
                stats: ExecStats::default(),
            });
            group.goroutines.push(g.id);
            let s = &mut group.stats;
            s.exec = s.exec.wrapping_add(g.stats.exec);
            s.sched_wait = s.sched_wait.wrapping_add(g.stats.sched_wait);
            s.syscall = s.syscall.wrapping_add(g.stats.syscall);
            s.syscall_block = s.syscall_block.wrapping_add(g.stats.syscall_block);
            s.total = s.total.wrapping_add(g.stats.total);
            for (k, d) in &g.stats.block.0 {
                s.block.add(k, *d);
            }
            for (k, d) in &g.stats.range_time.0 {
                s.range_time.add(k, *d);
            }
        }
        by_name.into_values().collect()
    }
}

/// What the summarizer tracks of a live goroutine (Go's private `goroutineSummary`). A time of
/// 0 means "not in that state", as in Go.
#[derive(Debug, Default)]
struct Live {
    last_start: Time,
    last_runnable: Time,
    last_block: Time,
    last_block_reason: Arc<[u8]>,
    last_syscall: Time,
    last_syscall_block: Time,
    last_range: BTreeMap<Arc<[u8]>, Time>,
    /// Indices into the region arena, innermost last.
    active_regions: Vec<usize>,
}

#[derive(Debug)]
struct Goroutine {
    id: GoId,
    name: Vec<u8>,
    pc: u64,
    creation: Time,
    start: Time,
    end: Time,
    stats: ExecStats,
    regions: Vec<usize>,
    live: Live,
}

impl Goroutine {
    fn new(id: GoId, creation: Time) -> Goroutine {
        Goroutine {
            id,
            name: Vec::new(),
            pc: 0,
            creation,
            start: 0,
            end: 0,
            stats: ExecStats::default(),
            regions: Vec::new(),
            live: Live::default(),
        }
    }

    /// The stats as they would be if the goroutine stopped at `t`: open spans counted to `t`.
    fn snapshot(&self, t: Time) -> ExecStats {
        let mut r = self.stats.clone();
        let l = &self.live;
        if self.stats.total == 0 {
            r.total = t.wrapping_sub(self.creation);
        }
        if l.last_start != 0 {
            r.exec = r.exec.wrapping_add(t.wrapping_sub(l.last_start));
        }
        if l.last_runnable != 0 {
            r.sched_wait = r.sched_wait.wrapping_add(t.wrapping_sub(l.last_runnable));
        }
        if l.last_block != 0 {
            r.block
                .add(&l.last_block_reason, t.wrapping_sub(l.last_block));
        }
        if l.last_syscall != 0 {
            r.syscall = r.syscall.wrapping_add(t.wrapping_sub(l.last_syscall));
        }
        // Go counts an open blocked syscall as scheduler wait here (and the whole syscall as
        // syscall time); only regions and goroutines ending inside one see it.
        if l.last_syscall_block != 0 {
            r.sched_wait = r
                .sched_wait
                .wrapping_add(t.wrapping_sub(l.last_syscall_block));
        }
        for (name, &ts) in &l.last_range {
            r.range_time.add(name, t.wrapping_sub(ts));
        }
        r
    }

    /// The goroutine ends at `t` (exit, blocking forever, or the end of the trace when
    /// `trigger` is `None`): its stats are fixed, its open regions closed.
    fn finalize(&mut self, regions: &mut [RegionSummary], t: Time, trigger: Option<EventRef>) {
        if let Some(ev) = &trigger {
            self.end = ev.time;
        }
        let fin = self.snapshot(t);
        // Go drops the open regions of runtime goroutines.
        if !is_system_goroutine(&self.name) {
            for &i in &self.live.active_regions {
                if let Some(r) = regions.get_mut(i) {
                    r.end = trigger.clone();
                    r.stats = fin.sub(&r.stats);
                    self.regions.push(i);
                }
            }
        }
        self.stats = fin;
        // Zeroed, not removed: later events of the same ID accumulate from nothing.
        self.live = Live::default();
    }
}

/// Builds a [`Summary`] from a trace's events, one at a time. Go's `Summarizer`.
///
/// ```
/// # fn main() -> Result<(), trace_model::Error> {
/// let bytes = std::fs::read("../../testdata/traces/go1.27.3/annotations.trace").unwrap();
/// let mut s = trace_model::Summarizer::new();
/// for ev in trace_model::Reader::new(&bytes)? {
///     s.event(&ev?);
/// }
/// let summary = s.finish();
/// let outer = summary.tasks.values().find(|t| t.name == b"outer").unwrap();
/// assert!(outer.complete());
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct Summarizer {
    gs: IdMap<GoId, Goroutine>,
    tasks: BTreeMap<TaskId, TaskSummary>,
    regions: Vec<RegionSummary>,
    /// The goroutine in a syscall on each P, and the reverse, to see syscalls lose their P.
    syscalling_p: IdMap<ProcId, GoId>,
    syscalling_g: IdMap<GoId, ProcId>,
    /// The goroutine a P-scoped range began on, by P and range name.
    ranges_p: HashMap<(ProcId, Arc<[u8]>), GoId>,
    /// One copy of each reason and range name.
    names: Names,
    last_ts: Time,
    /// The first and last events' times.
    span: Option<(Time, Time)>,
    /// The last sync's time (or the first event's).
    sync_ts: Time,
}

impl Summarizer {
    /// A summarizer that has seen nothing.
    pub fn new() -> Summarizer {
        Summarizer::default()
    }

    /// Takes the next event of the trace.
    pub fn event(&mut self, ev: &Event) {
        let t = ev.time();
        if self.sync_ts == 0 {
            self.sync_ts = t;
        }
        self.last_ts = t;
        self.span = Some((self.span.map_or(t, |s| s.0), t));
        match ev.kind() {
            EventKind::Sync => self.sync_ts = t,
            EventKind::StateTransition => self.transition(ev),
            EventKind::RangeBegin | EventKind::RangeActive | EventKind::RangeEnd => self.range(ev),
            EventKind::RegionBegin => self.region_begin(ev),
            EventKind::RegionEnd => self.region_end(ev),
            EventKind::TaskBegin | EventKind::TaskEnd => self.task(ev),
            EventKind::Log => {
                if let Some(log) = ev.log() {
                    let task = self.task_mut(log.task);
                    task.goroutines.insert(ev.goroutine());
                    task.logs.push(LogSummary {
                        time: t,
                        goroutine: ev.goroutine(),
                        category: log.category.to_vec(),
                        message: log.message.to_vec(),
                    });
                }
            }
            _ => {}
        }
    }

    fn transition(&mut self, ev: &Event) {
        let Some(st) = ev.state_transition() else {
            return;
        };
        let t = ev.time();
        match st.resource.kind {
            ResourceKind::Goroutine => {}
            ResourceKind::Proc => {
                if let Some((old, new)) = st.proc() {
                    if old != new && new == ProcState::Idle {
                        if let Some(id) = self.syscalling_p.remove(&st.resource.id) {
                            if let Some(g) = self.gs.get_mut(&id) {
                                g.live.last_syscall_block = t;
                            }
                        }
                    }
                }
                return;
            }
            _ => return,
        }
        let Some((old, new)) = st.goroutine() else {
            return;
        };
        if old == new {
            return;
        }
        let id = st.resource.id;
        match old {
            GoState::Undetermined => {
                // First seen in the first generation: it was in `new` since the sync.
                let mut g = Goroutine::new(id, self.sync_ts);
                let d = t.wrapping_sub(self.sync_ts);
                match new {
                    GoState::Running => g.stats.exec = d,
                    GoState::Waiting => g.stats.block.add(&intern(&mut self.names, st.reason), d),
                    GoState::Runnable => g.stats.sched_wait = d,
                    GoState::Syscall if ev.proc() == NO_PROC => g.stats.syscall_block = d,
                    GoState::Syscall => g.stats.syscall = d,
                    _ => {}
                }
                self.gs.insert(id, g);
            }
            GoState::NotExist => {
                let mut g = Goroutine::new(id, t);
                // A goroutine created inside a region carries the innermost one's task.
                let inherited = self
                    .gs
                    .get(&ev.goroutine())
                    .and_then(|c| c.live.active_regions.last())
                    .and_then(|&i| self.regions.get(i))
                    .map(|r| r.task);
                if let Some(task) = inherited {
                    g.live.active_regions.push(self.regions.len());
                    self.regions.push(RegionSummary {
                        goroutine: id,
                        task,
                        name: Arc::default(),
                        start: Some(EventRef::of(&mut self.names, ev)),
                        end: None,
                        frame: Frame::outermost(&mut self.names, ev),
                        stats: ExecStats::default(),
                    });
                }
                self.gs.insert(id, g);
            }
            _ => {}
        }
        // Go would dereference nil here; an unknown goroutine is skipped instead.
        let Some(g) = self.gs.get_mut(&id) else {
            return;
        };
        let l = &mut g.live;
        match old {
            GoState::Running => {
                g.stats.exec = g.stats.exec.wrapping_add(t.wrapping_sub(l.last_start));
                l.last_start = 0;
            }
            GoState::Waiting if l.last_block != 0 => {
                g.stats
                    .block
                    .add(&l.last_block_reason, t.wrapping_sub(l.last_block));
                l.last_block = 0;
            }
            GoState::Runnable if l.last_runnable != 0 => {
                g.stats.sched_wait = g
                    .stats
                    .sched_wait
                    .wrapping_add(t.wrapping_sub(l.last_runnable));
                l.last_runnable = 0;
            }
            GoState::Syscall if l.last_syscall != 0 => {
                let s = &mut g.stats;
                if l.last_syscall_block != 0 {
                    s.syscall_block = s
                        .syscall_block
                        .wrapping_add(t.wrapping_sub(l.last_syscall_block));
                    s.syscall = s
                        .syscall
                        .wrapping_add(l.last_syscall_block.wrapping_sub(l.last_syscall));
                } else {
                    s.syscall = s.syscall.wrapping_add(t.wrapping_sub(l.last_syscall));
                }
                l.last_syscall = 0;
                l.last_syscall_block = 0;
                // Go reads a missing entry as P 0, and so forgets P 0's syscalling goroutine.
                let p = self.syscalling_g.remove(&id).unwrap_or(0);
                self.syscalling_p.remove(&p);
            }
            _ => {}
        }
        if g.name.is_empty() {
            // The outermost frame is the goroutine's start function.
            if let Some(f) = st.stack.frames().last() {
                g.pc = f.pc;
                g.name = f.func.to_vec();
            }
        }
        match new {
            GoState::Running => {
                g.live.last_start = t;
                if g.start == 0 {
                    g.start = t;
                }
            }
            GoState::Runnable => g.live.last_runnable = t,
            GoState::Waiting if st.reason != b"forever" => {
                g.live.last_block = t;
                g.live.last_block_reason = intern(&mut self.names, st.reason);
            }
            GoState::Waiting | GoState::NotExist => {
                let trigger = EventRef::of(&mut self.names, ev);
                g.finalize(&mut self.regions, t, Some(trigger));
            }
            GoState::Syscall => {
                self.syscalling_p.insert(ev.proc(), id);
                self.syscalling_g.insert(id, ev.proc());
                g.live.last_syscall = t;
            }
            GoState::Undetermined => {}
        }
    }

    fn range(&mut self, ev: &Event) {
        let Some(r) = ev.range() else {
            return;
        };
        let name = intern(&mut self.names, &r.name);
        let gid = match (r.scope.kind, ev.kind()) {
            (ResourceKind::Goroutine, _) => Some(r.scope.id),
            (ResourceKind::Proc, EventKind::RangeEnd) => {
                // Counted only if it ends on the goroutine it began on.
                let began = self.ranges_p.remove(&(r.scope.id, name.clone()));
                began.filter(|&g| g == ev.goroutine())
            }
            (ResourceKind::Proc, _) => {
                let g = ev.goroutine();
                self.gs.contains_key(&g).then(|| {
                    self.ranges_p.insert((r.scope.id, name.clone()), g);
                    g
                })
            }
            _ => None,
        };
        let Some(g) = gid.and_then(|id| self.gs.get_mut(&id)) else {
            return;
        };
        let last = g.live.last_range.get(&name).copied().unwrap_or(0);
        match ev.kind() {
            EventKind::RangeActive => {
                // In progress since before the sync: count it from there.
                if last != 0 {
                    g.stats
                        .range_time
                        .add(&name, self.sync_ts.wrapping_sub(last));
                }
                g.live.last_range.insert(name, self.sync_ts);
            }
            EventKind::RangeBegin => {
                g.live.last_range.insert(name, ev.time());
            }
            _ if last != 0 => {
                g.stats.range_time.add(&name, ev.time().wrapping_sub(last));
                g.live.last_range.remove(&name);
            }
            _ => {}
        }
    }

    fn region_begin(&mut self, ev: &Event) {
        let (Some(r), Some(g)) = (ev.region(), self.gs.get_mut(&ev.goroutine())) else {
            return;
        };
        let i = self.regions.len();
        self.regions.push(RegionSummary {
            goroutine: g.id,
            task: r.task,
            name: intern(&mut self.names, r.ty),
            start: Some(EventRef::of(&mut self.names, ev)),
            end: None,
            frame: Frame::outermost(&mut self.names, ev),
            stats: g.snapshot(ev.time()),
        });
        g.live.active_regions.push(i);
        let gid = g.id;
        let task = self.task_mut(r.task);
        task.regions.push(i);
        task.goroutines.insert(gid);
    }

    fn region_end(&mut self, ev: &Event) {
        let (Some(r), Some(g)) = (ev.region(), self.gs.get_mut(&ev.goroutine())) else {
            return;
        };
        // The innermost open region ends, whatever its name; with none open, the trace began
        // inside this one.
        let i = match g.live.active_regions.pop() {
            Some(i) => i,
            None => {
                let i = self.regions.len();
                self.regions.push(RegionSummary {
                    goroutine: g.id,
                    task: r.task,
                    name: intern(&mut self.names, r.ty),
                    start: None,
                    end: None,
                    frame: Frame::default(),
                    stats: ExecStats::default(),
                });
                let task = self.tasks.entry(r.task).or_insert_with(|| new_task(r.task));
                task.goroutines.insert(g.id);
                task.regions.push(i);
                i
            }
        };
        let now = g.snapshot(ev.time());
        if let Some(region) = self.regions.get_mut(i) {
            region.stats = now.sub(&region.stats);
            region.end = Some(EventRef::of(&mut self.names, ev));
        }
        g.regions.push(i);
    }

    fn task(&mut self, ev: &Event) {
        let Some(t) = ev.task() else {
            return;
        };
        let at = EventRef::of(&mut self.names, ev);
        let task = self.task_mut(t.id);
        task.name = t.ty.to_vec();
        task.goroutines.insert(ev.goroutine());
        if ev.kind() == EventKind::TaskBegin {
            task.start = Some(at);
        } else {
            task.end = Some(at);
        }
        if t.parent != NO_TASK && task.parent.is_none() {
            task.parent = Some(t.parent);
            self.task_mut(t.parent).children.push(t.id);
        }
    }

    fn task_mut(&mut self, id: TaskId) -> &mut TaskSummary {
        self.tasks.entry(id).or_insert_with(|| new_task(id))
    }

    /// Ends the trace: goroutines still alive are summarized up to the last event, their open
    /// regions closed there.
    pub fn finish(mut self) -> Summary {
        let mut goroutines = BTreeMap::new();
        for (id, mut g) in self.gs.drain() {
            g.finalize(&mut self.regions, self.last_ts, None);
            let regions = &self.regions;
            // Go sorts with its unstable sort; equal starts keep Go's permutation.
            gosort::sort_func(&mut g.regions, |&a, &b| {
                let start = |i: usize| {
                    regions
                        .get(i)
                        .and_then(|r| r.start.as_ref())
                        .map(|e| e.time)
                };
                start(a).cmp(&start(b))
            });
            let known = |t: Time| (t != 0).then_some(t);
            goroutines.insert(
                id,
                GoroutineSummary {
                    id,
                    name: g.name,
                    pc: g.pc,
                    creation: known(g.creation),
                    start: known(g.start),
                    end: known(g.end),
                    stats: g.stats,
                    regions: g.regions,
                },
            );
        }
        Summary {
            goroutines,
            tasks: self.tasks,
            regions: self.regions,
            span: self.span,
        }
    }
}

fn new_task(id: TaskId) -> TaskSummary {
    TaskSummary {
        id,
        name: Vec::new(),
        parent: None,
        children: Vec::new(),
        start: None,
        end: None,
        goroutines: BTreeSet::new(),
        regions: Vec::new(),
        logs: Vec::new(),
    }
}

/// JSON lines in the format of our Go-made goldens (`scripts/go/summary_test.go`): Go's
/// `encoding/json` spelling, so the output can be compared byte for byte.
pub mod json {
    use std::fmt::Write;

    use super::{EventRef, ExecStats, GoroutineSummary, Summary, TaskSummary};

    /// Appends `s` as a JSON string the way Go's `encoding/json` writes it without HTML
    /// escaping: each invalid UTF-8 byte becomes `\ufffd`, U+2028 and U+2029 are escaped.
    pub fn write_str(out: &mut String, s: &[u8]) {
        out.push('"');
        for chunk in s.utf8_chunks() {
            for c in chunk.valid().chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\u{8}' => out.push_str("\\b"),
                    '\u{c}' => out.push_str("\\f"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    '\u{2028}' => out.push_str("\\u2028"),
                    '\u{2029}' => out.push_str("\\u2029"),
                    c if (c as u32) < 0x20 => {
                        let _ = write!(out, "\\u{:04x}", c as u32);
                    }
                    c => out.push(c),
                }
            }
            for _ in chunk.invalid() {
                out.push_str("\\ufffd");
            }
        }
        out.push('"');
    }

    fn opt(out: &mut String, v: Option<i64>) {
        match v {
            Some(v) => {
                let _ = write!(out, "{v}");
            }
            None => out.push_str("null"),
        }
    }

    fn list<T: std::fmt::Display>(out: &mut String, items: impl IntoIterator<Item = T>) {
        out.push('[');
        for (i, v) in items.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{v}");
        }
        out.push(']');
    }

    fn map(out: &mut String, m: &super::Durations) {
        out.push('{');
        for (i, (k, v)) in m.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_str(out, k);
            let _ = write!(out, ":{v}");
        }
        out.push('}');
    }

    fn stats(out: &mut String, s: &ExecStats) {
        let _ = write!(
            out,
            "\"total\":{},\"exec\":{},\"sched_wait\":{},\"syscall\":{},\"syscall_block\":{},\"block\":",
            s.total, s.exec, s.sched_wait, s.syscall, s.syscall_block
        );
        map(out, &s.block);
        out.push_str(",\"range_time\":");
        map(out, &s.range_time);
    }

    fn event_ref(out: &mut String, key: &str, e: Option<&EventRef>) {
        let _ = write!(out, "\"{key}\":");
        opt(out, e.map(|e| e.time));
    }

    fn kind(out: &mut String, key: &str, e: Option<&EventRef>) {
        let _ = write!(out, "\"{key}\":");
        match e {
            Some(e) => {
                let _ = write!(out, "\"{}\"", e.kind.name());
            }
            None => out.push_str("null"),
        }
    }

    /// Appends one goroutine as a line: `{"id","name","pc","creation","start","end","total",
    /// "exec","sched_wait","syscall","syscall_block","block","range_time","regions"}`, times in
    /// nanoseconds or `null`, `block` keyed by Go's reason strings.
    ///
    /// ```
    /// # fn main() -> Result<(), trace_model::Error> {
    /// let bytes = std::fs::read("../../testdata/traces/go1.25.5/chan.trace").unwrap();
    /// let summary = trace_model::Summary::of(trace_model::Reader::new(&bytes)?)?;
    /// let mut line = String::new();
    /// trace_model::summary::json::write_goroutine(&mut line, &summary, &summary.goroutines[&1]);
    /// assert!(line.starts_with(r#"{"id":1,"name":"main.main","#));
    /// # Ok(()) }
    /// ```
    pub fn write_goroutine(out: &mut String, summary: &Summary, g: &GoroutineSummary) {
        let _ = write!(out, "{{\"id\":{},\"name\":", g.id);
        write_str(out, &g.name);
        let _ = write!(out, ",\"pc\":{},\"creation\":", g.pc);
        opt(out, g.creation);
        out.push_str(",\"start\":");
        opt(out, g.start);
        out.push_str(",\"end\":");
        opt(out, g.end);
        out.push(',');
        stats(out, &g.stats);
        out.push_str(",\"regions\":[");
        for (i, r) in summary.regions_of(g).enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{{\"task\":{},\"name\":", r.task);
            write_str(out, &r.name);
            out.push(',');
            event_ref(out, "start", r.start.as_ref());
            out.push(',');
            event_ref(out, "end", r.end.as_ref());
            out.push(',');
            kind(out, "start_kind", r.start.as_ref());
            out.push(',');
            kind(out, "end_kind", r.end.as_ref());
            out.push(',');
            stats(out, &r.stats);
            out.push('}');
        }
        out.push_str("]}\n");
    }

    /// Appends one task as a line: `{"id","name","parent","children","start","end",
    /// "goroutines","regions","logs"}`, with children and goroutines sorted and regions and
    /// logs counted.
    pub fn write_task(out: &mut String, t: &TaskSummary) {
        let _ = write!(out, "{{\"id\":{},\"name\":", t.id);
        write_str(out, &t.name);
        out.push_str(",\"parent\":");
        match t.parent {
            Some(p) => {
                let _ = write!(out, "{p}");
            }
            None => out.push_str("null"),
        }
        let mut children = t.children.clone();
        children.sort_unstable();
        out.push_str(",\"children\":");
        list(out, children);
        out.push(',');
        event_ref(out, "start", t.start.as_ref());
        out.push(',');
        event_ref(out, "end", t.end.as_ref());
        out.push_str(",\"goroutines\":");
        list(out, t.goroutines.iter());
        let _ = writeln!(
            out,
            ",\"regions\":{},\"logs\":{}}}",
            t.regions.len(),
            t.logs.len()
        );
    }
}

/// Nanoseconds printed as Go's `time.Duration.String()` prints them: `0s`, `850ns`,
/// `12.5µs`, `3.000251ms`, `1m2.5s`.
///
/// ```
/// use trace_model::summary::GoDuration;
/// assert_eq!(GoDuration(1_500).to_string(), "1.5µs");
/// assert_eq!(GoDuration(62_500_000_000).to_string(), "1m2.5s");
/// assert_eq!(GoDuration(-3_000_000).to_string(), "-3ms");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct GoDuration(pub i64);

impl std::fmt::Display for GoDuration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.0;
        if d == 0 {
            return f.write_str("0s");
        }
        let mut s = String::new();
        if d < 0 {
            s.push('-');
        }
        let u = d.unsigned_abs();
        // The fraction of `v / 10^prec`, without trailing zeros.
        let frac = |v: u64, prec: u32| -> String {
            let p = 10u64.pow(prec);
            let digits = format!("{:0w$}", v % p, w = prec as usize);
            let digits = digits.trim_end_matches('0');
            if digits.is_empty() {
                format!("{}", v / p)
            } else {
                format!("{}.{digits}", v / p)
            }
        };
        if u < 1_000 {
            s.push_str(&format!("{u}ns"));
        } else if u < 1_000_000 {
            s.push_str(&frac(u, 3));
            s.push_str("µs");
        } else if u < 1_000_000_000 {
            s.push_str(&frac(u, 6));
            s.push_str("ms");
        } else {
            let secs = u / 1_000_000_000;
            let (h, m) = (secs / 3600, secs / 60 % 60);
            if h > 0 {
                s.push_str(&format!("{h}h"));
            }
            if secs >= 60 {
                s.push_str(&format!("{m}m"));
            }
            s.push_str(&frac(u % 60_000_000_000, 9));
            s.push('s');
        }
        f.pad(&s)
    }
}
