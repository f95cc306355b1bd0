//! The layer under every view, as Go's `traceviewer.Emitter` and its JSON consumer: counters,
//! the stack-frame tree, the time window, the index window (`start`/`end`), lane names, and the
//! bytes, written to an [`io::Write`](std::io::Write) as they come.

use crate::json::{self, Args, Event};
use std::collections::HashMap;
use std::io::Write;

/// Lane of the GC.
pub(crate) const GC_P: u64 = 1_000_004;
/// Lane of network unblocks.
pub(crate) const NETPOLL_P: u64 = 1_000_002;
/// Lane of timer unblocks (unused by Go 1.22+ traces).
pub(crate) const TIMER_P: u64 = 1_000_001;
/// Lane of returns from blocked syscalls.
pub(crate) const SYSCALL_P: u64 = 1_000_003;

/// Where lanes live.
pub(crate) const PROCS_SECTION: u64 = 0;
/// Where counters live.
pub(crate) const STATS_SECTION: u64 = 1;
/// Where tasks live.
pub(crate) const TASKS_SECTION: u64 = 2;

/// The lanes of the lane section that are not resources: lane, name, Go's sort index.
const SPECIAL_LANES: [(u64, &[u8], i64); 4] = [
    (GC_P, b"GC", -6),
    (NETPOLL_P, b"Network", -5),
    (TIMER_P, b"Timers", -4),
    (SYSCALL_P, b"Syscalls", -3),
];

/// A section's sort index, as Go gives it.
pub(crate) fn section_rank(pid: u64) -> i64 {
    match pid {
        STATS_SECTION => 0,
        TASKS_SECTION => 1,
        _ => 2,
    }
}

/// A goroutine's state as the `Goroutines` counter sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GState {
    Dead = 0,
    Runnable = 1,
    Running = 2,
    Waiting = 3,
    WaitingGc = 4,
}

/// A frame of a stack kept past its generation (innermost first in [`OwnedStack`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OwnedFrame {
    pub pc: u64,
    pub func: Box<[u8]>,
    pub line: u64,
}

/// A stack kept past its generation; `None` is Go's `NoStack`.
pub(crate) type OwnedStack = Option<std::sync::Arc<[OwnedFrame]>>;

/// Copies of the stacks a view keeps past the event that gave them, one per stack of the
/// current generation (cleared at each sync, when stack IDs start over).
#[derive(Default)]
pub(crate) struct Keeper {
    cache: FastMap<u64, std::sync::Arc<[OwnedFrame]>>,
}

impl Keeper {
    /// Forgets the generation's stacks.
    pub(crate) fn clear(&mut self) {
        self.cache.clear();
    }

    /// A copy of `stk` that outlives its generation.
    pub(crate) fn keep(&mut self, stk: trace_model::Stack<'_>) -> OwnedStack {
        if stk.is_none() {
            return None;
        }
        let frames = self.cache.entry(stk.id()).or_insert_with(|| {
            stk.frames()
                .map(|f| OwnedFrame {
                    pc: f.pc,
                    func: f.func.into(),
                    line: f.line,
                })
                .collect()
        });
        Some(frames.clone())
    }
}

/// Task colours, indexed by task ID modulo their number.
const TASK_COLORS: [&str; 23] = [
    "thread_state_uninterruptible",
    "thread_state_iowait",
    "thread_state_running",
    "thread_state_runnable",
    "thread_state_unknown",
    "light_memory_dump",
    "background_memory_dump",
    "detailed_memory_dump",
    "good",
    "bad",
    "terrible",
    "olive",
    "rail_response",
    "rail_animation",
    "rail_idle",
    "rail_load",
    "heap_dump_child_node_arrow",
    "cq_build_running",
    "cq_build_passed",
    "cq_build_failed",
    "cq_build_abandoned",
    "cq_build_attempt_runnig",
    "cq_build_attempt_passed",
];

pub(crate) fn task_color(id: u64) -> &'static str {
    TASK_COLORS
        .get((id % TASK_COLORS.len() as u64) as usize)
        .copied()
        .unwrap_or("")
}

/// A slice (`X`) in nanoseconds from the trace's start.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slice<'a> {
    pub name: &'a [u8],
    pub ts: i64,
    pub dur: i64,
    pub resource: u64,
    pub stack: u64,
    pub end_stack: u64,
    pub args: Args<'a>,
    /// For ranges that need not nest in the lane's other slices: the child track of the lane
    /// a Perfetto export draws them on.
    pub sub_lane: &'a [u8],
}

/// An instant (`I`, thread scope).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Instant<'a> {
    pub name: &'a [u8],
    pub cat: &'a [u8],
    pub ts: i64,
    pub resource: u64,
    pub stack: u64,
    pub args: Args<'a>,
}

/// A flow arrow (`s` then `t`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arrow<'a> {
    pub name: &'a [u8],
    pub start: i64,
    pub end: i64,
    pub from: u64,
    pub to: u64,
    pub from_stack: u64,
}

/// Which events a consumer writes, and how it counts them for Go's splitter.
pub(crate) struct Consumer<W> {
    out: W,
    buf: Vec<u8>,
    /// Index of the last optional event seen, -1 before the first.
    index: i64,
    start_idx: i64,
    end_idx: i64,
    written: u64,
    /// Frames referenced by written events.
    required: Vec<bool>,
    pub(crate) err: Option<std::io::Error>,
    /// Go's splitter, when ranges are wanted.
    pub(crate) split: Option<crate::split::Splitter>,
    /// The bytes of the metadata (counted when not writing).
    pub(crate) required_size: usize,
    /// Whether to write at all (off when only sizes are wanted).
    pub(crate) write: bool,
    /// Writes Perfetto packets instead of the JSON.
    perfetto: Option<Box<crate::perfetto::Writer>>,
}

/// A multiply-rotate hasher for the small integer keys of the frame tree and the caches
/// (SipHash took a tenth of the time; these keys come from the trace, not an adversary that
/// could pick colliding PCs to any effect beyond slowness).
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHash(u64);

impl std::hash::Hasher for FastHash {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }
}

/// Maps keyed by integers.
pub(crate) type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FastHash>>;

/// The frame tree: a node per distinct path of PCs from the root, numbered in order of creation.
#[derive(Default)]
pub(crate) struct Frames {
    children: FastMap<(u32, u64), u32>,
    /// Node `i + 1`: its `func:line` name and parent.
    nodes: Vec<(Box<[u8]>, u32)>,
}

impl Frames {
    fn parent(&self, id: u64) -> Option<u32> {
        self.node(id).map(|n| n.1)
    }

    /// A node's `func:line` name and parent (0: the root).
    pub(crate) fn node(&self, id: u64) -> Option<(&[u8], u32)> {
        let i = usize::try_from(id).ok()?.checked_sub(1)?;
        self.nodes.get(i).map(|n| (&n.0[..], n.1))
    }
}

pub(crate) struct Emitter<W> {
    pub(crate) c: Consumer<W>,
    range_start: i64,
    range_end: i64,
    heap: (u64, u64),
    prev_heap: (u64, u64),
    gstates: [i64; 5],
    prev_gstates: [i64; 5],
    /// In syscall, in syscall (runtime), running.
    threads: [i64; 3],
    prev_threads: [i64; 3],
    pub(crate) frames: Frames,
    stack_cache: FastMap<u64, u64>,
    arrow_seq: u64,
    async_seq: u64,
    pub(crate) filter: Option<std::collections::HashSet<u64>>,
    resource_type: &'static str,
    resources: Vec<(u64, Vec<u8>)>,
    pub(crate) focus: u64,
    tasks: Vec<(u64, Vec<u8>, i64)>,
}

impl<W: Write> Emitter<W> {
    /// An emitter writing Go's JSON, or with `perfetto` a Perfetto trace of the same events.
    pub(crate) fn new(out: W, range: (i64, i64), index: (i64, i64), perfetto: bool) -> Self {
        let mut c = Consumer {
            out,
            buf: Vec::with_capacity(1 << 16),
            index: -1,
            start_idx: index.0,
            end_idx: index.1,
            written: 0,
            required: Vec::new(),
            err: None,
            split: None,
            required_size: 0,
            write: true,
            perfetto: perfetto.then(Default::default),
        };
        if !perfetto {
            c.buf.extend_from_slice(b"{\"displayTimeUnit\":\"ns\"\n,");
        }
        Emitter {
            c,
            range_start: range.0,
            range_end: range.1,
            heap: (0, 0),
            prev_heap: (0, 0),
            gstates: [0; 5],
            prev_gstates: [0; 5],
            threads: [0; 3],
            prev_threads: [0; 3],
            frames: Frames::default(),
            stack_cache: FastMap::default(),
            arrow_seq: 0,
            async_seq: 0,
            filter: None,
            resource_type: "",
            resources: Vec::new(),
            focus: 0,
            tasks: Vec::new(),
        }
    }

    fn in_range(&self, ts: i64) -> bool {
        self.range_start <= ts && ts <= self.range_end
    }

    fn passes(&self, r: u64) -> bool {
        self.filter.as_ref().is_none_or(|f| f.contains(&r))
    }

    /// The frame-tree ID of a stack given innermost first.
    pub(crate) fn stack_of<'f>(
        &mut self,
        frames: impl DoubleEndedIterator<Item = (u64, &'f [u8], u64)>,
    ) -> u64 {
        let mut parent = 0u32;
        for (pc, func, line) in frames.rev() {
            parent = match self.frames.children.get(&(parent, pc)) {
                Some(&id) => id,
                None => {
                    let id = u32::try_from(self.frames.nodes.len() + 1).unwrap_or(u32::MAX);
                    let mut name = Vec::with_capacity(func.len() + 8);
                    name.extend_from_slice(func);
                    name.push(b':');
                    json::uint(&mut name, line);
                    self.frames.nodes.push((name.into_boxed_slice(), parent));
                    self.frames.children.insert((parent, pc), id);
                    id
                }
            };
        }
        u64::from(parent)
    }

    /// The frame-tree ID of a stack from the trace. Stack IDs are fixed within a generation,
    /// and so is the branch a stack resolves to once it has been built: cached until
    /// [`Emitter::new_generation`].
    pub(crate) fn stack(&mut self, stk: trace_model::Stack<'_>) -> u64 {
        if stk.is_none() {
            return 0;
        }
        if let Some(&id) = self.stack_cache.get(&stk.id()) {
            return id;
        }
        let mut v: Vec<(u64, &[u8], u64)> = Vec::new();
        for f in stk.frames() {
            v.push((f.pc, f.func, f.line));
        }
        let id = self.stack_of(v.into_iter());
        self.stack_cache.insert(stk.id(), id);
        id
    }

    /// Forgets the stacks of the generation that ended.
    pub(crate) fn new_generation(&mut self) {
        self.stack_cache.clear();
    }

    /// The frame-tree ID of a kept stack.
    pub(crate) fn owned_stack(&mut self, stk: &OwnedStack) -> u64 {
        match stk {
            None => 0,
            Some(fr) => self.stack_of(fr.iter().map(|f| (f.pc, &f.func[..], f.line))),
        }
    }

    pub(crate) fn slice(&mut self, s: Slice<'_>) {
        if !self.passes(s.resource) {
            return;
        }
        self.slice_in(s, PROCS_SECTION, "");
    }

    pub(crate) fn task_slice(&mut self, s: Slice<'_>) {
        self.slice_in(s, TASKS_SECTION, task_color(s.resource));
    }

    fn slice_in(&mut self, s: Slice<'_>, pid: u64, cname: &'static str) {
        if !self.in_range(s.ts) && !self.in_range(s.ts.wrapping_add(s.dur)) {
            return;
        }
        self.optional(&Event {
            name: s.name,
            ph: "X",
            ts: s.ts,
            dur: s.dur,
            pid,
            tid: s.resource,
            sf: s.stack,
            esf: s.end_stack,
            args: s.args,
            cname,
            sub_lane: s.sub_lane,
            ..Event::default()
        });
    }

    /// A region: `b` and `e` events of category `Region`.
    pub(crate) fn async_slice(&mut self, s: Slice<'_>, scope: &[u8], color_task: u64) {
        if !self.in_range(s.ts) && !self.in_range(s.ts.wrapping_add(s.dur)) {
            return;
        }
        if !self.passes(s.resource) {
            return;
        }
        let cname = if color_task != 0 {
            task_color(color_task)
        } else {
            ""
        };
        self.async_seq += 1;
        let id = self.async_seq;
        self.optional(&Event {
            cat: b"Region",
            name: s.name,
            ph: "b",
            ts: s.ts,
            tid: s.resource,
            id,
            scope,
            sf: s.stack,
            cname,
            ..Event::default()
        });
        self.optional(&Event {
            cat: b"Region",
            name: s.name,
            ph: "e",
            ts: s.ts.wrapping_add(s.dur),
            tid: s.resource,
            id,
            scope,
            sf: s.end_stack,
            args: s.args,
            cname,
            ..Event::default()
        });
    }

    pub(crate) fn instant(&mut self, i: Instant<'_>) {
        if !self.in_range(i.ts) || !self.passes(i.resource) {
            return;
        }
        self.optional(&Event {
            name: i.name,
            cat: i.cat,
            ph: "I",
            scope: b"t",
            ts: i.ts,
            pid: PROCS_SECTION,
            tid: i.resource,
            sf: i.stack,
            args: i.args,
            ..Event::default()
        });
    }

    pub(crate) fn arrow(&mut self, a: Arrow<'_>) {
        if !self.passes(a.from) || !self.passes(a.to) {
            return;
        }
        self.arrow_in(a, PROCS_SECTION);
    }

    pub(crate) fn task_arrow(&mut self, a: Arrow<'_>) {
        self.arrow_in(a, TASKS_SECTION);
    }

    fn arrow_in(&mut self, a: Arrow<'_>, pid: u64) {
        if !self.in_range(a.start) || !self.in_range(a.end) {
            return;
        }
        self.arrow_seq += 1;
        let id = self.arrow_seq;
        self.optional(&Event {
            name: a.name,
            ph: "s",
            tid: a.from,
            pid,
            id,
            ts: a.start,
            sf: a.from_stack,
            ..Event::default()
        });
        self.optional(&Event {
            name: a.name,
            ph: "t",
            tid: a.to,
            pid,
            id,
            ts: a.end,
            ..Event::default()
        });
    }

    pub(crate) fn heap_alloc(&mut self, ts: i64, v: u64) {
        self.heap.0 = v;
        self.heap_counters(ts);
    }

    pub(crate) fn heap_goal(&mut self, ts: i64, v: u64) {
        self.heap.1 = if v > 1 << 50 { 0 } else { v };
        self.heap_counters(ts);
    }

    fn heap_counters(&mut self, ts: i64) {
        if self.prev_heap == self.heap {
            return;
        }
        let (allocated, goal) = self.heap;
        if self.in_range(ts) {
            self.optional(&Event {
                name: b"Heap",
                ph: "C",
                ts,
                pid: STATS_SECTION,
                args: Args::Heap {
                    allocated,
                    next_gc: goal.saturating_sub(allocated),
                },
                ..Event::default()
            });
        }
        self.prev_heap = self.heap;
    }

    pub(crate) fn goroutine_transition(&mut self, ts: i64, from: GState, to: GState) {
        self.gstates[from as usize] -= 1;
        self.gstates[to as usize] += 1;
        if self.prev_gstates == self.gstates {
            return;
        }
        if self.in_range(ts) {
            let g = self.gstates;
            self.optional(&Event {
                name: b"Goroutines",
                ph: "C",
                ts,
                pid: STATS_SECTION,
                args: Args::Goroutines {
                    running: g[GState::Running as usize] as u64,
                    runnable: g[GState::Runnable as usize] as u64,
                    gc_waiting: g[GState::WaitingGc as usize] as u64,
                },
                ..Event::default()
            });
        }
        self.prev_gstates = self.gstates;
    }

    /// Changes the count of running threads (the only thread state Go counts now).
    pub(crate) fn threads_running(&mut self, ts: i64, delta: i64) {
        self.threads[2] += delta;
        if self.prev_threads == self.threads {
            return;
        }
        if self.in_range(ts) {
            let t = self.threads;
            self.optional(&Event {
                name: b"Threads",
                ph: "C",
                ts,
                pid: STATS_SECTION,
                args: Args::Threads {
                    running: t[2],
                    in_syscall: t[0],
                },
                ..Event::default()
            });
        }
        self.prev_threads = self.threads;
    }

    pub(crate) fn set_resource_type(&mut self, name: &'static str) {
        self.resource_type = name;
    }

    pub(crate) fn resource(&mut self, id: u64, name: Vec<u8>) {
        if self.passes(id) {
            self.resources.push((id, name));
        }
    }

    pub(crate) fn task(&mut self, id: u64, name: Vec<u8>, sort_index: i64) {
        self.tasks.push((id, name, sort_index));
    }

    /// An event subject to the index window.
    fn optional(&mut self, ev: &Event<'_>) {
        self.c.index += 1;
        let i = self.c.index;
        if let Some(mut split) = self.c.split.take() {
            split.event(self, ev);
            self.c.split = Some(split);
        }
        if !self.c.write || i < self.c.start_idx || i > self.c.end_idx {
            return;
        }
        self.write(ev);
    }

    /// An event always written (metadata).
    fn required(&mut self, ev: &Event<'_>) {
        self.c.index += 1;
        if self.c.write {
            self.write(ev);
        } else {
            // Go's splitter counts these as one JSON array's elements: no newline, a comma
            // between.
            let start = self.c.buf.len();
            ev.encode(&mut self.c.buf);
            self.c.required_size += self.c.buf.len() - start - 1 + usize::from(start > 0);
            self.c.buf.truncate(0);
            self.c.buf.push(b',');
        }
    }

    /// The encoded size of an optional event (with its newline) and the frames it needs.
    pub(crate) fn measure(&mut self, ev: &Event<'_>, frames: &mut Vec<u32>) -> usize {
        let mut buf = std::mem::take(&mut self.c.buf);
        let start = buf.len();
        ev.encode(&mut buf);
        let n = buf.len() - start;
        buf.truncate(start);
        self.c.buf = buf;
        frames.clear();
        for id in [ev.sf, ev.esf] {
            walk(&self.frames, id, |f| frames.push(f));
        }
        n
    }

    /// A frame's name and parent.
    pub(crate) fn frame(&self, id: u32) -> Option<(&[u8], u32)> {
        self.frames.node(u64::from(id))
    }

    /// Ends a pass that only counts: the metadata's size in Go's splitter's terms.
    pub(crate) fn finish_counting(mut self) -> (usize, Option<crate::split::Splitter>) {
        self.c.buf.clear();
        self.flush_meta();
        // `{"traceEvents":[` ... `],"stackFrames":{},"displayTimeUnit":"ns"}` and a newline.
        let size = self.c.required_size + 16 + 42 + 1;
        (size, self.c.split.take())
    }

    fn write(&mut self, ev: &Event<'_>) {
        if let Some(p) = &self.c.perfetto {
            // The rank matters only when the event's lane is new (a search of the tasks in
            // the tasks section), not for every event.
            let rank = if p.has_lane(ev.pid, ev.tid) {
                None
            } else {
                self.lane_rank(ev.pid, ev.tid)
            };
            if let Some(p) = self.c.perfetto.as_mut() {
                p.event(ev, rank, &self.frames, &mut self.c.buf);
            }
            self.c.written += 1;
            if self.c.buf.len() >= 1 << 16 {
                self.flush_buf();
            }
            return;
        }
        for id in [ev.sf, ev.esf] {
            let req = &mut self.c.required;
            walk(&self.frames, id, |f| {
                let i = f as usize;
                if req.len() <= i {
                    req.resize(i + 1, false);
                }
                if let Some(r) = req.get_mut(i) {
                    *r = true;
                }
            });
        }
        let buf = &mut self.c.buf;
        if self.c.written == 0 {
            buf.extend_from_slice(b"\"traceEvents\": [");
        } else {
            buf.push(b',');
        }
        ev.encode(buf);
        self.c.written += 1;
        if buf.len() >= 1 << 16 {
            self.flush_buf();
        }
    }

    fn flush_buf(&mut self) {
        if self.c.err.is_none() {
            if let Err(e) = self.c.out.write_all(&self.c.buf) {
                self.c.err = Some(e);
            }
        }
        self.c.buf.clear();
    }

    fn thread_meta(&mut self, pid: u64, tid: u64, name: &[u8], priority: i64) {
        self.required(&Event {
            name: b"thread_name",
            ph: "M",
            pid,
            tid,
            args: Args::Name(name),
            ..Event::default()
        });
        self.required(&Event {
            name: b"thread_sort_index",
            ph: "M",
            pid,
            tid,
            args: Args::SortIndex(priority),
            ..Event::default()
        });
    }

    fn process_meta(&mut self, pid: u64, name: &[u8], priority: i64) {
        self.required(&Event {
            name: b"process_name",
            ph: "M",
            pid,
            args: Args::Name(name),
            ..Event::default()
        });
        self.required(&Event {
            name: b"process_sort_index",
            ph: "M",
            pid,
            args: Args::SortIndex(priority),
            ..Event::default()
        });
    }

    /// Writes the metadata and the frames, and ends the document.
    pub(crate) fn flush(mut self) -> std::io::Result<W> {
        self.flush_meta();
        self.flush_end()
    }

    /// A resource lane's sort index: its ID, the focus first.
    fn priority(&self, id: u64) -> i64 {
        if self.focus != 0 && id == self.focus {
            -2
        } else {
            id as i64
        }
    }

    /// The sort index Go will give lane `tid` of section `pid` (known before the metadata is
    /// written, for the Perfetto export's first description of the lane).
    pub(crate) fn lane_rank(&self, pid: u64, tid: u64) -> Option<i64> {
        match pid {
            PROCS_SECTION => Some(
                SPECIAL_LANES
                    .iter()
                    .find(|l| l.0 == tid)
                    .map_or_else(|| self.priority(tid), |l| l.2),
            ),
            TASKS_SECTION => self.tasks.iter().find(|t| t.0 == tid).map(|t| t.2),
            _ => None,
        }
    }

    fn flush_meta(&mut self) {
        self.process_meta(STATS_SECTION, b"STATS", section_rank(STATS_SECTION));
        let mut tasks = std::mem::take(&mut self.tasks);
        if !tasks.is_empty() {
            self.process_meta(TASKS_SECTION, b"TASKS", section_rank(TASKS_SECTION));
        }
        tasks.sort_by_key(|t| t.0);
        for (id, name, idx) in &tasks {
            self.thread_meta(TASKS_SECTION, *id, name, *idx);
        }
        let rt = self.resource_type;
        self.process_meta(PROCS_SECTION, rt.as_bytes(), section_rank(PROCS_SECTION));
        for (tid, name, priority) in SPECIAL_LANES {
            self.thread_meta(PROCS_SECTION, tid, name, priority);
        }
        let mut resources = std::mem::take(&mut self.resources);
        resources.sort_by_key(|r| r.0);
        resources.dedup_by_key(|r| r.0);
        for (id, name) in &resources {
            let priority = self.priority(*id);
            self.thread_meta(PROCS_SECTION, *id, name, priority);
        }
    }

    fn flush_end(mut self) -> std::io::Result<W> {
        if let Some(mut p) = self.c.perfetto.take().filter(|_| self.c.write) {
            p.finish(&mut self.c.buf);
            self.flush_buf();
        } else if self.c.write {
            let buf = &mut self.c.buf;
            buf.extend_from_slice(b"], \"stackFrames\":{");
            let mut ids: Vec<usize> = (1..self.c.required.len())
                .filter(|&i| self.c.required.get(i).copied().unwrap_or(false))
                .collect();
            let mut keys: Vec<(Vec<u8>, usize)> = ids
                .drain(..)
                .map(|i| {
                    let mut k = Vec::new();
                    json::uint(&mut k, i as u64);
                    (k, i)
                })
                .collect();
            keys.sort();
            for (n, (k, i)) in keys.iter().enumerate() {
                if n > 0 {
                    buf.push(b',');
                }
                buf.push(b'"');
                buf.extend_from_slice(k);
                buf.extend_from_slice(b"\":{\"name\":");
                if let Some((name, parent)) = self.frames.nodes.get(i - 1) {
                    json::string(buf, name);
                    if *parent != 0 {
                        buf.extend_from_slice(b",\"parent\":");
                        json::uint(buf, u64::from(*parent));
                    }
                }
                buf.push(b'}');
            }
            buf.extend_from_slice(b"}\n}");
            self.flush_buf();
        }
        if let Some(e) = self.c.err.take() {
            return Err(e);
        }
        self.c.out.flush()?;
        Ok(self.c.out)
    }
}

/// Calls `f` on `id` and each of its ancestors.
pub(crate) fn walk(frames: &Frames, mut id: u64, mut f: impl FnMut(u32)) {
    while id != 0 {
        let Some(parent) = frames.parent(id) else {
            break;
        };
        f(id as u32);
        id = u64::from(parent);
    }
}
