//! Go 1.5 to 1.21 traces (the v1 family) as the events of the one model.
//!
//! A v1 trace has no generations: Ps write batches, and goroutine sequence numbers (or, in Go
//! 1.5, one global sequence number) say how they interleave. Go 1.27 reads Go 1.11 to 1.21
//! traces by loading the whole trace, merging the Ps' events, checking the result against the
//! goroutine and P state machines, and converting each old event into the events of the new
//! format. This module does the same, in three steps:
//!
//! 1. [`parse`]: every record in file order; per-P event lists, strings, stacks and frames;
//! 2. ordering: the frontier merge Go uses for 1.7+ (by sequence number for Go 1.5), the
//!    syscall-exit time fix, ticks to nanoseconds, then the state-machine check (which also moves
//!    some events to Go's pseudo-Ps for timers, syscalls, the network poller and the GC);
//! 3. [`V1Events`]: the conversion, one old event into zero, one or two model events.
//!
//! Where Go's own order is random (Go visits Ps, and goroutines that existed before the trace,
//! in map order, so events sharing a tick come out in a different order from run to run), we
//! pick one: Ps in order of first appearance, goroutines in order of creation.
//!
//! Go 1.5 to 1.10 traces, which no current Go reads, go through the same steps with what Go
//! 1.21's reader knew of their formats: Go 1.5 orders by its global sequence numbers; before
//! Go 1.10 stop-the-world is per P; futile wakeups (Go 1.5 to 1.9 mark a wakeup that found
//! nothing to do) are removed with the block, unblock and start around them, as Go 1.21 did.
//! What these formats can't tell the model shows as absent: Go 1.5 and 1.6 stacks hold PCs
//! only, so their frames have empty function and file names and line 0; those versions record
//! a new goroutine's start PC instead of its creation stack, which becomes a one-frame stack of
//! that PC.

use crate::error::{Error, OrderError, Result};
use crate::event::status::{
    GO_RUNNABLE, GO_RUNNING, GO_SYSCALL, GO_WAITING, PROC_IDLE, PROC_RUNNING,
};
use crate::event::{own_stack_arg, BaseEvent, Pending, SchedCtx, Time, NO_GOROUTINE, NO_THREAD};
use crate::gosort::sort_func;
use crate::table::{go_f64_to_i64, FrameRecord, Table, TableRef};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use trace_format::hash::IdMap;
use trace_format::{EventType as Ty, Limits, Trace, Version};

/// v1 event types (Go's `runtime/trace.go` of those versions).
mod ev {
    pub(super) const BATCH: u8 = 1;
    pub(super) const FREQUENCY: u8 = 2;
    pub(super) const STACK: u8 = 3;
    pub(super) const GOMAXPROCS: u8 = 4;
    pub(super) const PROC_START: u8 = 5;
    pub(super) const PROC_STOP: u8 = 6;
    pub(super) const GC_START: u8 = 7;
    pub(super) const GC_DONE: u8 = 8;
    pub(super) const STW_START: u8 = 9;
    pub(super) const STW_DONE: u8 = 10;
    pub(super) const GC_SWEEP_START: u8 = 11;
    pub(super) const GC_SWEEP_DONE: u8 = 12;
    pub(super) const GO_CREATE: u8 = 13;
    pub(super) const GO_START: u8 = 14;
    pub(super) const GO_END: u8 = 15;
    pub(super) const GO_STOP: u8 = 16;
    pub(super) const GO_SCHED: u8 = 17;
    pub(super) const GO_PREEMPT: u8 = 18;
    pub(super) const GO_SLEEP: u8 = 19;
    pub(super) const GO_BLOCK: u8 = 20;
    pub(super) const GO_UNBLOCK: u8 = 21;
    pub(super) const GO_BLOCK_SEND: u8 = 22;
    pub(super) const GO_BLOCK_RECV: u8 = 23;
    pub(super) const GO_BLOCK_SELECT: u8 = 24;
    pub(super) const GO_BLOCK_SYNC: u8 = 25;
    pub(super) const GO_BLOCK_COND: u8 = 26;
    pub(super) const GO_BLOCK_NET: u8 = 27;
    pub(super) const GO_SYS_CALL: u8 = 28;
    pub(super) const GO_SYS_EXIT: u8 = 29;
    pub(super) const GO_SYS_BLOCK: u8 = 30;
    pub(super) const GO_WAITING: u8 = 31;
    pub(super) const GO_IN_SYSCALL: u8 = 32;
    pub(super) const HEAP_ALLOC: u8 = 33;
    pub(super) const HEAP_GOAL: u8 = 34;
    pub(super) const TIMER_GOROUTINE: u8 = 35;
    pub(super) const FUTILE_WAKEUP: u8 = 36;
    pub(super) const STRING: u8 = 37;
    pub(super) const GO_START_LOCAL: u8 = 38;
    pub(super) const GO_UNBLOCK_LOCAL: u8 = 39;
    pub(super) const GO_SYS_EXIT_LOCAL: u8 = 40;
    pub(super) const GO_START_LABEL: u8 = 41;
    pub(super) const GO_BLOCK_GC: u8 = 42;
    pub(super) const GC_MARK_ASSIST_START: u8 = 43;
    pub(super) const GC_MARK_ASSIST_DONE: u8 = 44;
    pub(super) const USER_TASK_CREATE: u8 = 45;
    pub(super) const USER_TASK_END: u8 = 46;
    pub(super) const USER_REGION: u8 = 47;
    pub(super) const USER_LOG: u8 = 48;
    pub(super) const CPU_SAMPLE: u8 = 49;

    /// Events after which the goroutine no longer runs on the P.
    pub(super) fn stops_g(ty: u8) -> bool {
        blocks(ty) || matches!(ty, GO_END | GO_STOP | GO_SCHED | GO_PREEMPT | GO_SYS_BLOCK)
    }

    /// Events by which a running goroutine blocks.
    pub(super) fn blocks(ty: u8) -> bool {
        matches!(
            ty,
            GO_SLEEP
                | GO_BLOCK
                | GO_BLOCK_SEND
                | GO_BLOCK_RECV
                | GO_BLOCK_SELECT
                | GO_BLOCK_SYNC
                | GO_BLOCK_COND
                | GO_BLOCK_NET
                | GO_BLOCK_GC
        )
    }
}

/// Go's pseudo-Ps: events that belong to no real P are moved to these.
const TIMER_P: i32 = 1_000_001;
const NETPOLL_P: i32 = 1_000_002;
const SYSCALL_P: i32 = 1_000_003;
const GC_P: i32 = 1_000_004;

/// One v1 event after parsing: absolute time, the goroutine and P it happened on, its
/// arguments (timestamp and stack excluded), and its stack.
#[derive(Debug, Clone, Copy)]
struct V1Event {
    ts: i64,
    /// Go 1.5's global sequence number.
    seq: i64,
    g: u64,
    args: [u64; 4],
    stack: u32,
    p: i32,
    ty: u8,
    /// For `GoSysCall`: the goroutine's next event is `GoSysBlock`.
    blocked: bool,
    /// Byte offset of the event's record in the trace, for errors.
    offset: u64,
}

fn state_error(msg: String) -> Error {
    Error::new(OrderError::State(msg))
}

fn time_order() -> Error {
    Error::new(OrderError::TimeOrder)
}

/// Says which event `err` is about: its name and where its record is.
fn about(err: Error, version: Version, e: &V1Event) -> Error {
    let name = trace_format::spec::lookup(version, Ty(e.ty)).map_or("?", |s| s.name);
    err.at_event(name, e.offset)
}

/// Everything read from the records of a v1 trace.
struct Parsed {
    version: Version,
    strings: IdMap<u64, Box<[u8]>>,
    /// `UserLog` messages, which v1 writes inline; an event refers to one by index.
    inline: Vec<Box<[u8]>>,
    stacks: IdMap<u32, Box<[u64]>>,
    frames: IdMap<u64, FrameRecord>,
    /// Each P's events in file order, Ps in order of first appearance.
    procs: Vec<(i32, Vec<V1Event>)>,
    cpu_samples: Vec<V1Event>,
    ticks_per_sec: i64,
    timer_goroutines: IdMap<u64, ()>,
}

/// Reads every record of a v1 trace (step 1).
fn parse(bytes: &[u8], limits: Limits) -> Result<Parsed> {
    let trace = Trace::parse_with_limits(bytes, limits)?;
    let version = trace.version();
    let go15 = version == Version::Go1_5;
    let mut out = Parsed {
        version,
        strings: IdMap::default(),
        inline: Vec::new(),
        stacks: IdMap::default(),
        frames: IdMap::default(),
        procs: Vec::new(),
        cpu_samples: Vec::new(),
        ticks_per_sec: 0,
        timer_goroutines: IdMap::default(),
    };
    let mut inline_ids: HashMap<Box<[u8]>, usize> = HashMap::new();
    let mut proc_index: IdMap<i32, usize> = IdMap::default();
    let mut cur: Option<usize> = None;
    let (mut last_p, mut last_g, mut last_ts, mut last_seq) = (0i32, 0u64, 0i64, 0i64);
    let mut last_gs: IdMap<i32, u64> = IdMap::default();

    let trace_format::RawEvents::V1(mut records) = trace.raw_events()? else {
        return Err(Error::new(crate::error::ErrorKind::Unsupported(
            version.minor(),
        )));
    };
    while let Some(raw) = records.next_event()? {
        let ty = raw.ty().0;
        let a = raw.args();
        let at = raw.offset();
        if ty == ev::STRING {
            out.strings
                .insert(a[0], raw.data().unwrap_or_default().into());
            continue;
        }
        if ty == ev::BATCH {
            let pid = a[0];
            if pid != u64::MAX && pid > i32::MAX as u64 {
                return Err(state_error(format!(
                    "processor ID {pid} is larger than maximum of {}",
                    i32::MAX
                ))
                .at_event(raw.name(), at));
            }
            last_gs.insert(last_p, last_g);
            last_p = if pid == u64::MAX { -1 } else { pid as i32 };
            last_g = last_gs.get(&last_p).copied().unwrap_or(0);
            if go15 {
                last_seq = a[1] as i64;
                last_ts = a[2] as i64;
            } else {
                last_ts = a[1] as i64;
            }
            let i = *proc_index.entry(last_p).or_insert_with(|| {
                out.procs.push((last_p, Vec::new()));
                out.procs.len() - 1
            });
            cur = Some(i);
            continue;
        }
        let Some(cur) = cur else {
            return Err(
                state_error("an event before the first batch".into()).at_event(raw.name(), at)
            );
        };
        match ty {
            ev::FREQUENCY => {
                out.ticks_per_sec = a[0] as i64;
                if out.ticks_per_sec <= 0 {
                    return Err(time_order().at_event(raw.name(), at));
                }
            }
            ev::TIMER_GOROUTINE => {
                out.timer_goroutines.insert(a[0], ());
            }
            ev::STACK => {
                let id = a[0] as u32;
                let frames = raw.frames();
                if id != 0 && !frames.is_empty() {
                    let mut pcs = Vec::with_capacity(frames.len());
                    for f in frames.iter() {
                        pcs.push(f.pc);
                        // Go 1.5 and 1.6 stacks have PCs only: leave their frames unknown.
                        if !go15 {
                            out.frames.entry(f.pc).or_insert(FrameRecord {
                                func: f.func,
                                file: f.file,
                                line: f.line,
                            });
                        }
                    }
                    out.stacks.insert(id, pcs.into());
                }
            }
            ev::CPU_SAMPLE => {
                // Written late by the profiler: their own time, P and goroutine, and no part in
                // the batch's time deltas.
                out.cpu_samples.push(V1Event {
                    ts: a[1] as i64,
                    seq: 0,
                    g: a[3],
                    args: [0; 4],
                    stack: a[4] as u32,
                    p: a[2] as i32,
                    ty,
                    blocked: false,
                    offset: at,
                });
            }
            _ => {
                let (dt, rest) = if go15 {
                    last_seq = last_seq.wrapping_add(a[0] as i64);
                    (a[1], &a[2..])
                } else {
                    (a[0], &a[1..])
                };
                last_ts = last_ts.wrapping_add(dt as i64);
                let mut e = V1Event {
                    ts: last_ts,
                    seq: last_seq,
                    g: last_g,
                    args: [0; 4],
                    stack: 0,
                    p: last_p,
                    ty,
                    blocked: false,
                    offset: at,
                };
                // The last argument of an event with a stack is the stack.
                let own_stack = v1_has_stack(version, ty);
                let (plain, stack) = if own_stack {
                    let (s, p) = rest.split_last().map_or((0, rest), |(s, p)| (*s, p));
                    (p, s)
                } else {
                    (rest, 0)
                };
                e.stack = stack as u32;
                for (slot, v) in e.args.iter_mut().zip(plain) {
                    *slot = *v;
                }
                match ty {
                    ev::GO_START | ev::GO_START_LOCAL | ev::GO_START_LABEL => {
                        last_g = e.args[0];
                        e.g = last_g;
                    }
                    ev::GO_SYS_EXIT | ev::GO_WAITING | ev::GO_IN_SYSCALL => e.g = e.args[0],
                    ev::USER_LOG => {
                        let msg = raw.data().unwrap_or_default();
                        e.args[3] = inline_id(&mut out.inline, &mut inline_ids, msg) as u64;
                    }
                    t if ev::stops_g(t) => last_g = 0,
                    _ => {}
                }
                if let Some((_, list)) = out.procs.get_mut(cur) {
                    list.push(e);
                }
            }
        }
    }
    if out.ticks_per_sec == 0 {
        return Err(state_error("no EvFrequency event".into()));
    }
    Ok(out)
}

/// The index of an inline `UserLog` message, the same for equal messages.
fn inline_id(
    inline: &mut Vec<Box<[u8]>>,
    ids: &mut HashMap<Box<[u8]>, usize>,
    msg: &[u8],
) -> usize {
    if let Some(&i) = ids.get(msg) {
        return i;
    }
    inline.push(msg.into());
    ids.insert(msg.into(), inline.len() - 1);
    inline.len() - 1
}

/// Goroutine states of the ordering and checking steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum GStatus {
    #[default]
    Dead,
    Runnable,
    Running,
    Waiting,
}

/// A goroutine's sequence number and state while merging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct GSeq {
    seq: u64,
    status: GStatus,
}

/// Events that order nothing.
const UNORDERED: u64 = u64::MAX;
/// The pseudo-goroutine whose sequence numbers are GC cycles.
const GARBAGE: u64 = u64::MAX - 1;
/// Any sequence number will do.
const NOSEQ: u64 = u64::MAX;
/// The next sequence number, whatever it is.
const SEQINC: u64 = u64::MAX - 1;

/// The goroutine an event orders, the state it needs, and the state it leaves.
fn seq_transition(e: &V1Event) -> (u64, GSeq, GSeq) {
    use GStatus::*;
    let s = |seq, status| GSeq { seq, status };
    match e.ty {
        ev::GO_CREATE => (e.args[0], s(0, Dead), s(1, Runnable)),
        ev::GO_WAITING | ev::GO_IN_SYSCALL => (e.g, s(1, Runnable), s(2, Waiting)),
        ev::GO_START | ev::GO_START_LABEL => (
            e.g,
            s(e.args[1], Runnable),
            s(e.args[1].wrapping_add(1), Running),
        ),
        ev::GO_START_LOCAL => (e.g, s(NOSEQ, Runnable), s(SEQINC, Running)),
        t if ev::blocks(t) || t == ev::GO_SYS_BLOCK => (e.g, s(NOSEQ, Running), s(NOSEQ, Waiting)),
        ev::GO_SCHED | ev::GO_PREEMPT => (e.g, s(NOSEQ, Running), s(NOSEQ, Runnable)),
        ev::GO_UNBLOCK | ev::GO_SYS_EXIT => (
            e.args[0],
            s(e.args[1], Waiting),
            s(e.args[1].wrapping_add(1), Runnable),
        ),
        ev::GO_UNBLOCK_LOCAL | ev::GO_SYS_EXIT_LOCAL => {
            (e.args[0], s(NOSEQ, Waiting), s(SEQINC, Runnable))
        }
        ev::GC_START => (
            GARBAGE,
            s(e.args[0], Dead),
            s(e.args[0].wrapping_add(1), Dead),
        ),
        _ => (UNORDERED, GSeq::default(), GSeq::default()),
    }
}

fn seq_ready(g: u64, cur: GSeq, init: GSeq) -> bool {
    g == UNORDERED || (init.seq == NOSEQ || init.seq == cur.seq) && init.status == cur.status
}

/// The merge's frontier: a binary min-heap by time with exactly the operations Go's uses, so
/// that ties come out the same way for the same insertion order.
struct Frontier(Vec<(V1Event, usize)>);

impl Frontier {
    fn less(&self, i: usize, j: usize) -> bool {
        match (self.0.get(i), self.0.get(j)) {
            (Some(a), Some(b)) => a.0.ts < b.0.ts,
            _ => false,
        }
    }

    fn push(&mut self, e: (V1Event, usize)) {
        self.0.push(e);
        let mut j = self.0.len() - 1;
        while j > 0 {
            let i = (j - 1) / 2;
            if !self.less(j, i) {
                break;
            }
            self.0.swap(i, j);
            j = i;
        }
    }

    fn pop(&mut self) -> Option<(V1Event, usize)> {
        let n = self.0.len().checked_sub(1)?;
        self.0.swap(0, n);
        let mut i = 0;
        loop {
            let j1 = 2 * i + 1;
            if j1 >= n {
                break;
            }
            let mut j = j1;
            if j1 + 1 < n && self.less(j1 + 1, j1) {
                j = j1 + 1;
            }
            if !self.less(j, i) {
                break;
            }
            self.0.swap(i, j);
            i = j;
        }
        self.0.pop()
    }
}

/// Merges the Ps' events of a Go 1.7+ trace into one stream: repeatedly the earliest of the
/// Ps' next events whose goroutine is in the state the event needs.
fn merge(
    version: Version,
    procs: Vec<(i32, Vec<V1Event>)>,
    mut cpu: Vec<V1Event>,
) -> Result<Vec<V1Event>> {
    sort_func(&mut cpu, |a, b| a.ts.cmp(&b.ts));
    let total = procs.iter().map(|p| p.1.len()).sum::<usize>() + cpu.len();
    let mut queues: Vec<(Vec<V1Event>, usize, bool)> =
        procs.into_iter().map(|(_, e)| (e, 0, false)).collect();
    queues.push((cpu, 0, false));
    let mut available: Vec<usize> = (0..queues.len()).collect();
    let mut gs: IdMap<u64, GSeq> = IdMap::default();
    let mut frontier = Frontier(Vec::new());
    let mut out = Vec::with_capacity(total);
    loop {
        let mut i = 0;
        while let Some(&qi) = available.get(i) {
            let Some((events, pos, done)) = queues.get_mut(qi) else {
                break;
            };
            let Some(&e) = events.get(*pos) else {
                *done = true;
                available.swap_remove(i);
                continue;
            };
            let (g, init, _) = seq_transition(&e);
            if !seq_ready(g, gs.get(&g).copied().unwrap_or_default(), init) {
                i += 1;
                continue;
            }
            *pos += 1;
            available.swap_remove(i);
            frontier.push((e, qi));
        }
        let Some((mut e, qi)) = frontier.pop() else {
            // Name the first event that could not go next.
            if let Some(stuck) = queues.iter().find(|q| !q.2).and_then(|q| q.0.get(q.1)) {
                let err = state_error("no consistent ordering of events possible".into());
                return Err(about(err, version, stuck));
            }
            break;
        };
        let (g, init, mut next) = seq_transition(&e);
        e.ty = match e.ty {
            ev::GO_START_LOCAL => ev::GO_START,
            ev::GO_UNBLOCK_LOCAL => ev::GO_UNBLOCK,
            ev::GO_SYS_EXIT_LOCAL => ev::GO_SYS_EXIT,
            t => t,
        };
        if g != UNORDERED {
            let cur = gs.get(&g).copied().unwrap_or_default();
            if !seq_ready(g, cur, init) {
                let err = state_error("encountered impossible goroutine state transition".into());
                return Err(about(err, version, &e));
            }
            match next.seq {
                NOSEQ => next.seq = cur.seq,
                SEQINC => next.seq = cur.seq.wrapping_add(1),
                _ => {}
            }
            gs.insert(g, next);
        }
        out.push(e);
        available.push(qi);
    }

    check_time_order(version, &out)?;
    // A syscall exit is written when the goroutine next runs; the time it really left the
    // syscall rides along. Move exits there now that the order is settled.
    let mut last_block: IdMap<u64, i64> = IdMap::default();
    for e in out.iter_mut() {
        match e.ty {
            ev::GO_SYS_BLOCK | ev::GO_IN_SYSCALL => {
                last_block.insert(e.g, e.ts);
            }
            ev::GO_SYS_EXIT => {
                let ts = e.args[2] as i64;
                if ts == 0 {
                    continue;
                }
                let block = last_block.get(&e.g).copied().unwrap_or(0);
                if block == 0 {
                    return Err(about(state_error("stray syscall exit".into()), version, e));
                }
                if ts < block {
                    return Err(about(time_order(), version, e));
                }
                e.ts = ts;
            }
            _ => {}
        }
    }
    out.sort_by_key(|e| e.ts);
    Ok(out)
}

/// Go 1.5's order: every event carries a global sequence number.
fn order_by_seq(version: Version, procs: Vec<(i32, Vec<V1Event>)>) -> Result<Vec<V1Event>> {
    let mut out: Vec<V1Event> = procs.into_iter().flat_map(|p| p.1).collect();
    for e in out.iter_mut() {
        if e.ty == ev::GO_SYS_EXIT {
            e.seq = e.args[1] as i64;
            if e.args[2] != 0 {
                e.ts = e.args[2] as i64;
            }
        }
    }
    out.sort_by_key(|e| e.seq);
    check_time_order(version, &out)?;
    Ok(out)
}

/// Refuses an order whose times go backwards, naming the first event that goes back.
fn check_time_order(version: Version, events: &[V1Event]) -> Result<()> {
    match events.windows(2).find(|w| w[1].ts < w[0].ts) {
        Some([_, back]) => Err(about(time_order(), version, back)),
        _ => Ok(()),
    }
}

/// Drops futile wakeups (Go 1.5 to 1.9): a goroutine woken, started and blocked again with a
/// `FutileWakeup` between; all of it goes, as Go 1.21's reader did.
fn remove_futile(events: Vec<V1Event>) -> Vec<V1Event> {
    #[derive(Default)]
    struct Wakeup {
        futile: bool,
        events: Vec<usize>,
    }
    let mut gs: IdMap<u64, Wakeup> = IdMap::default();
    let mut drop = vec![false; events.len()];
    for (i, e) in events.iter().enumerate() {
        match e.ty {
            ev::GO_UNBLOCK => {
                let w = gs.entry(e.args[0]).or_default();
                w.events.clear();
                w.events.push(i);
            }
            ev::GO_START | ev::GO_PREEMPT | ev::FUTILE_WAKEUP => {
                let w = gs.entry(e.g).or_default();
                w.events.push(i);
                w.futile |= e.ty == ev::FUTILE_WAKEUP;
            }
            ev::GO_BLOCK
            | ev::GO_BLOCK_SEND
            | ev::GO_BLOCK_RECV
            | ev::GO_BLOCK_SELECT
            | ev::GO_BLOCK_SYNC
            | ev::GO_BLOCK_COND => {
                if let Some(w) = gs.remove(&e.g) {
                    if w.futile {
                        for j in w.events.into_iter().chain([i]) {
                            if let Some(d) = drop.get_mut(j) {
                                *d = true;
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    events
        .into_iter()
        .zip(drop)
        .filter(|(e, d)| !d && e.ty != ev::FUTILE_WAKEUP)
        .map(|(e, _)| e)
        .collect()
}

/// Checks the ordered events against the goroutine and P state machines, as Go does before it
/// hands out any event, and makes Go's adjustments: GC starts go to the GC pseudo-P, unblocks
/// of goroutines blocked on the network to the poller's, and stacks that don't exist to none.
fn check(version: Version, events: &mut [V1Event], stacks: &IdMap<u32, Box<[u64]>>) -> Result<()> {
    #[derive(Default, Clone, Copy)]
    struct G {
        status: GStatus,
        /// The type of the event that last changed how the goroutine waits.
        last: Option<u8>,
        mark_assist: bool,
    }
    #[derive(Default, Clone, Copy)]
    struct P {
        running: bool,
        g: u64,
        sweep: bool,
        stw: bool,
    }
    let mut gs: IdMap<u64, G> = IdMap::default();
    let mut ps: IdMap<i32, P> = IdMap::default();
    let mut tasks: IdMap<u64, ()> = IdMap::default();
    let mut regions: IdMap<u64, Vec<(u64, u64)>> = IdMap::default();
    gs.insert(
        0,
        G {
            status: GStatus::Running,
            ..G::default()
        },
    );
    let (mut gc, mut stw) = (false, false);
    let per_p_stw = version < Version::Go1_10;
    let name = |ty: u8| trace_format::spec::lookup(version, Ty(ty)).map_or("?", |s| s.name);
    let running = |p: &P, g: &G, e: &V1Event, allow_g0: bool| -> Result<()> {
        let n = name(e.ty);
        let msg = if g.status != GStatus::Running {
            format!("g {} is not running while {n} (time {})", e.g, e.ts)
        } else if p.g != e.g {
            format!(
                "p {} is not running g {} while {n} (time {})",
                e.p, e.g, e.ts
            )
        } else if !allow_g0 && e.g == 0 {
            format!("g 0 did {n} (time {})", e.ts)
        } else {
            return Ok(());
        };
        Err(about(state_error(msg), version, e))
    };

    for e in events.iter_mut() {
        let mut g = gs.get(&e.g).copied().unwrap_or_default();
        let mut p = ps.get(&e.p).copied().unwrap_or_default();
        let t = e.ts;
        let this = *e;
        let err = |msg: String| Err(about(state_error(msg), version, &this));
        // Whether the event changed its goroutine's entry (Go writes it back only then).
        let mut write_g = false;
        match e.ty {
            ev::PROC_START => {
                if p.running {
                    return err(format!("p {} is running before start (time {t})", e.p));
                }
                p.running = true;
            }
            ev::PROC_STOP => {
                if !p.running {
                    return err(format!("p {} is not running before stop (time {t})", e.p));
                }
                if p.g != 0 {
                    return err(format!(
                        "p {} is running a goroutine {} during stop (time {t})",
                        e.p, p.g
                    ));
                }
                p.running = false;
            }
            ev::GC_START => {
                if gc {
                    return err(format!(
                        "previous GC is not ended before a new one (time {t})"
                    ));
                }
                gc = true;
                e.p = GC_P;
            }
            ev::GC_DONE => {
                if !gc {
                    return err(format!("bogus GC end (time {t})"));
                }
                gc = false;
            }
            ev::STW_START => {
                let open = if per_p_stw { &mut p.stw } else { &mut stw };
                if *open {
                    return err(format!(
                        "previous STW is not ended before a new one (time {t})"
                    ));
                }
                *open = true;
            }
            ev::STW_DONE => {
                let open = if per_p_stw { &mut p.stw } else { &mut stw };
                if !*open {
                    return err(format!("bogus STW end (time {t})"));
                }
                *open = false;
            }
            ev::GC_SWEEP_START => {
                if p.sweep {
                    return err(format!(
                        "previous sweeping is not ended before a new one (time {t})"
                    ));
                }
                p.sweep = true;
            }
            ev::GC_SWEEP_DONE => {
                if !p.sweep {
                    return err(format!("bogus sweeping end (time {t})"));
                }
                p.sweep = false;
            }
            ev::GC_MARK_ASSIST_START => {
                write_g = true;
                if g.mark_assist {
                    return err(format!(
                        "previous mark assist is not ended before a new one (time {t})"
                    ));
                }
                g.mark_assist = true;
            }
            // A mark assist may have begun before the trace did.
            ev::GC_MARK_ASSIST_DONE => {
                write_g = true;
                g.mark_assist = false;
            }
            ev::GO_WAITING | ev::GO_IN_SYSCALL => {
                write_g = true;
                if g.status != GStatus::Runnable {
                    return err(format!(
                        "g {} is not runnable before {} (time {t})",
                        e.g,
                        if e.ty == ev::GO_WAITING {
                            "EvGoWaiting"
                        } else {
                            "EvGoInSyscall"
                        }
                    ));
                }
                g.status = GStatus::Waiting;
                g.last = Some(e.ty);
            }
            ev::GO_CREATE => {
                running(&p, &g, e, true)?;
                let child = e.args[0];
                if gs.contains_key(&child) {
                    return err(format!("g {child} already exists (time {t})"));
                }
                gs.insert(
                    child,
                    G {
                        status: GStatus::Runnable,
                        last: Some(e.ty),
                        mark_assist: false,
                    },
                );
            }
            ev::GO_START | ev::GO_START_LABEL => {
                write_g = true;
                if g.status != GStatus::Runnable {
                    return err(format!("g {} is not runnable before start (time {t})", e.g));
                }
                if p.g != 0 {
                    return err(format!(
                        "p {} is already running g {} while start g {} (time {t})",
                        e.p, p.g, e.g
                    ));
                }
                g.status = GStatus::Running;
                g.last = None;
                p.g = e.g;
            }
            ev::GO_END | ev::GO_STOP => {
                write_g = true;
                running(&p, &g, e, false)?;
                g.status = GStatus::Dead;
                p.g = 0;
                if e.ty == ev::GO_END {
                    regions.remove(&e.g);
                }
            }
            ev::GO_SCHED | ev::GO_PREEMPT => {
                write_g = true;
                running(&p, &g, e, false)?;
                g.status = GStatus::Runnable;
                g.last = Some(e.ty);
                p.g = 0;
            }
            ev::GO_UNBLOCK => {
                if g.status != GStatus::Running {
                    return err(format!("g {} is not running while unpark (time {t})", e.g));
                }
                if e.p != TIMER_P && p.g != e.g {
                    return err(format!(
                        "p {} is not running g {} while unpark (time {t})",
                        e.p, e.g
                    ));
                }
                let target = e.args[0];
                let mut g1 = gs.get(&target).copied().unwrap_or_default();
                if g1.status != GStatus::Waiting {
                    return err(format!(
                        "g {target} is not waiting before unpark (time {t})"
                    ));
                }
                if g1.last == Some(ev::GO_BLOCK_NET) {
                    e.p = NETPOLL_P;
                }
                g1.status = GStatus::Runnable;
                g1.last = Some(e.ty);
                gs.insert(target, g1);
            }
            ev::GO_SYS_CALL => {
                write_g = true;
                running(&p, &g, e, false)?;
                g.last = Some(e.ty);
            }
            ev::GO_SYS_BLOCK => {
                write_g = true;
                running(&p, &g, e, false)?;
                g.status = GStatus::Waiting;
                p.g = 0;
            }
            ev::GO_SYS_EXIT => {
                write_g = true;
                if g.status != GStatus::Waiting {
                    return err(format!(
                        "g {} is not waiting during syscall exit (time {t})",
                        e.g
                    ));
                }
                g.status = GStatus::Runnable;
                g.last = Some(e.ty);
            }
            ty if ev::blocks(ty) => {
                write_g = true;
                running(&p, &g, e, false)?;
                g.status = GStatus::Waiting;
                g.last = Some(ty);
                p.g = 0;
            }
            ev::USER_TASK_CREATE => {
                let id = e.args[0];
                if tasks.insert(id, ()).is_some() {
                    return err(format!("task id conflicts (id:{id})"));
                }
            }
            ev::USER_TASK_END => {
                tasks.remove(&e.args[0]);
            }
            ev::USER_REGION => {
                let stack = regions.entry(e.g).or_default();
                match e.args[1] {
                    0 => stack.push((e.args[0], e.args[2])),
                    1 => {
                        if let Some(&(task, name)) = stack.last() {
                            if task != e.args[0] || name != e.args[2] {
                                return err(format!(
                                    "misuse of region in goroutine {}: region end does not match the innermost active region",
                                    e.g
                                ));
                            }
                            stack.pop();
                        }
                    }
                    _ => return err(format!("invalid user region mode: {}", e.args[1])),
                }
                if stack.is_empty() {
                    regions.remove(&e.g);
                }
            }
            _ => {}
        }
        if write_g {
            gs.insert(e.g, g);
        }
        ps.insert(e.p, p);
        if e.stack != 0 && stacks.get(&e.stack).is_none_or(|s| s.is_empty()) {
            e.stack = 0;
        }
    }
    Ok(())
}

/// Strings the conversion adds: block reasons and stop-the-world reasons, in Go's order.
const BUILTIN_STRINGS: [&str; 29] = [
    "forever",
    "preempted",
    "runtime.Gosched",
    "sleep",
    "chan send",
    "chan receive",
    "network",
    "sync",
    "sync.(*Cond).Wait",
    "select",
    "",
    "GC mark assist wait for work",
    "",
    "GC mark termination",
    "GC sweep termination",
    "write heap dump",
    "goroutine profile",
    "goroutine profile cleanup",
    "all goroutine stack trace",
    "read mem stats",
    "AllThreadsSyscall",
    "GOMAXPROCS",
    "start trace",
    "stop trace",
    "CountPagesInUse (test)",
    "ReadMetricsSlow (test)",
    "ReadMemStatsSlow (test)",
    "PageCachePagesLeaked (test)",
    "ResetDebugLog (test)",
];

/// Indices into [`BUILTIN_STRINGS`].
mod reason {
    pub(super) const FOREVER: u64 = 0;
    pub(super) const PREEMPTED: u64 = 1;
    pub(super) const GOSCHED: u64 = 2;
    pub(super) const SLEEP: u64 = 3;
    pub(super) const CHAN_SEND: u64 = 4;
    pub(super) const CHAN_RECV: u64 = 5;
    pub(super) const NETWORK: u64 = 6;
    pub(super) const SYNC: u64 = 7;
    pub(super) const SYNC_COND: u64 = 8;
    pub(super) const SELECT: u64 = 9;
    pub(super) const EMPTY: u64 = 10;
    pub(super) const MARK_ASSIST_WAIT: u64 = 11;
    pub(super) const STW_UNKNOWN: u64 = 12;
    /// Number of stop-the-world reasons Go 1.21 writes.
    pub(super) const STW_REASONS: u64 = 17;
}

/// The events of a v1 trace, converted one by one into the model's (step 3). Holds the whole
/// ordered trace: a v1 trace is one generation.
pub(crate) struct V1Events {
    version: Version,
    pub(crate) table: TableRef,
    events: std::vec::IntoIter<V1Event>,
    extra: VecDeque<Pending>,
    /// Until the first `Gomaxprocs`, the runtime is describing goroutines that already exist.
    pre_init: bool,
    /// Goroutines created during that description whose state no event has told yet, with
    /// the order of their creation.
    created_pre_init: IdMap<u64, usize>,
    tasks: IdMap<u64, (Arc<[u8]>, u64)>,
    seen_procs: IdMap<i32, ()>,
    proc_ms: IdMap<i32, u64>,
    last_stw_reason: u64,
    last_ts: Time,
    syncs: u64,
    first_sync: Option<Time>,
    finished: bool,
    inline_base: u64,
    builtin_base: u64,
}

impl V1Events {
    /// Reads, orders and checks a whole v1 trace.
    pub(crate) fn open(bytes: &[u8], limits: Limits) -> Result<V1Events> {
        let parsed = parse(bytes, limits)?;
        let Parsed {
            version,
            strings,
            inline,
            stacks,
            frames,
            procs,
            cpu_samples,
            ticks_per_sec,
            timer_goroutines,
        } = parsed;
        let mut events = if version == Version::Go1_5 {
            order_by_seq(version, procs)?
        } else {
            merge(version, procs, cpu_samples)?
        };
        if let Some(first) = events.first() {
            let min = first.ts;
            let ns_per_tick = 1e9 / ticks_per_sec as f64;
            for e in events.iter_mut() {
                e.ts = go_f64_to_i64(e.ts.wrapping_sub(min) as f64 * ns_per_tick);
                if e.ty == ev::GO_UNBLOCK && timer_goroutines.contains_key(&e.g) {
                    e.p = TIMER_P;
                }
                if e.ty == ev::GO_SYS_EXIT {
                    e.p = SYSCALL_P;
                }
            }
        }
        if version < Version::Go1_11 {
            events = remove_futile(events);
        }
        check(version, &mut events, &stacks)?;
        mark_blocking_syscalls(&mut events);

        // String IDs: the trace's, then the inline log messages, then the conversion's own.
        let too_many = || state_error("trace contains too many strings".into());
        let max = strings.keys().copied().max().unwrap_or(0);
        let inline_base = max.checked_add(1).ok_or_else(too_many)?;
        let builtin_base = inline_base
            .checked_add(inline.len() as u64)
            .ok_or_else(too_many)?;
        builtin_base
            .checked_add(BUILTIN_STRINGS.len() as u64)
            .ok_or_else(too_many)?;
        let mut all_strings: Vec<(u64, Box<[u8]>)> = strings.into_iter().collect();
        all_strings.extend((inline_base..).zip(inline));
        all_strings
            .extend((builtin_base..).zip(BUILTIN_STRINGS.iter().map(|s| s.as_bytes().into())));

        let mut all_stacks: Vec<(u64, Box<[u64]>)> =
            stacks.into_iter().map(|(id, s)| (id as u64, s)).collect();
        let mut start_pc_stacks: IdMap<u64, u64> = IdMap::default();
        if version == Version::Go1_5 {
            let mut next = all_stacks.iter().map(|s| s.0).max().unwrap_or(0) + 1;
            for e in events.iter_mut().filter(|e| e.ty == ev::GO_CREATE) {
                let pc = e.args[1];
                let id = *start_pc_stacks.entry(pc).or_insert_with(|| {
                    all_stacks.push((next, vec![pc].into()));
                    next += 1;
                    next - 1
                });
                e.args[1] = id;
            }
        }
        let table = Arc::new(Table::from_v1(all_strings, all_stacks, frames));
        Ok(V1Events {
            version,
            table,
            first_sync: events.first().map(|e| e.ts.wrapping_sub(1)),
            events: events.into_iter(),
            extra: VecDeque::new(),
            pre_init: true,
            created_pre_init: IdMap::default(),
            tasks: IdMap::default(),
            seen_procs: IdMap::default(),
            proc_ms: IdMap::default(),
            last_stw_reason: 0,
            last_ts: -1,
            syncs: 0,
            finished: false,
            inline_base,
            builtin_base,
        })
    }

    /// The next event: a `Sync` first (if there are events) and last, as Go's reader gives.
    pub(crate) fn next(&mut self) -> Result<Option<Pending>> {
        if let Some(t) = self.first_sync.take() {
            self.syncs += 1;
            return Ok(Some(Pending::sync(true, t, self.syncs)));
        }
        loop {
            let mut p = match self.extra.pop_front() {
                Some(p) => p,
                None => match self.events.next() {
                    Some(e) => match self.convert(&e)? {
                        Some(p) => p,
                        None => continue,
                    },
                    None => {
                        if self.finished {
                            return Ok(None);
                        }
                        self.finished = true;
                        self.syncs += 1;
                        let t = self.last_ts.wrapping_add(1);
                        return Ok(Some(Pending::sync(false, t, self.syncs)));
                    }
                },
            };
            // The new format has no two events at one time; statuses made up here may collide.
            if p.base.time <= self.last_ts {
                p.base.time = self.last_ts.wrapping_add(1);
            }
            self.last_ts = p.base.time;
            return Ok(Some(p));
        }
    }

    fn builtin(&self, i: u64) -> u64 {
        self.builtin_base + i
    }

    /// Where Go puts the events it makes up beside `e` (a label, a syscall's end): `e`'s
    /// goroutine as it is and its P, on the thread the P runs on (0 if the trace hasn't said).
    fn made_up_ctx(&self, e: &V1Event) -> SchedCtx {
        SchedCtx {
            g: e.g as i64,
            p: e.p as i64,
            m: self.proc_ms.get(&e.p).copied().unwrap_or(0) as i64,
        }
    }

    /// One old event as zero or more new ones: the first is returned, the rest queued.
    fn convert(&mut self, e: &V1Event) -> Result<Option<Pending>> {
        let mut args = e.args;
        let at = |ctx: SchedCtx, ty: Ty, time: Time, args: [u64; 4]| {
            Pending::new(
                ctx,
                BaseEvent {
                    ty: ty.0,
                    time,
                    args,
                },
            )
        };
        let ty = match e.ty {
            ev::GOMAXPROCS => {
                if self.pre_init {
                    // The first GOMAXPROCS ends the description of existing goroutines; those
                    // still unexplained were runnable (or idle).
                    self.pre_init = false;
                    let mut created: Vec<(u64, usize)> = self.created_pre_init.drain().collect();
                    created.sort_by_key(|c| c.1);
                    for (g, _) in created {
                        self.extra.push_back(at(
                            SchedCtx::NONE,
                            Ty::GO_STATUS,
                            e.ts,
                            [g, u64::MAX, GO_RUNNABLE, 0],
                        ));
                    }
                    return Ok(None);
                }
                Ty::PROCS_CHANGE
            }
            ev::PROC_START => {
                self.proc_ms.insert(e.p, e.args[0]);
                if self.seen_procs.insert(e.p, ()).is_some() {
                    args = [e.p as i64 as u64, 0, 0, 0];
                    Ty::PROC_START
                } else {
                    args = [e.p as i64 as u64, PROC_RUNNING, 0, 0];
                    Ty::PROC_STATUS
                }
            }
            ev::PROC_STOP => {
                if self.seen_procs.insert(e.p, ()).is_some() {
                    args = [e.p as i64 as u64, 0, 0, 0];
                    Ty::PROC_STOP
                } else {
                    args = [e.p as i64 as u64, PROC_IDLE, 0, 0];
                    Ty::PROC_STATUS
                }
            }
            ev::GC_START => Ty::GC_BEGIN,
            ev::GC_DONE => Ty::GC_END,
            ev::STW_START => {
                let kind = e.args[0];
                let reason = if self.version < Version::Go1_21 {
                    if kind <= 1 {
                        kind + 1
                    } else {
                        0
                    }
                } else if kind < reason::STW_REASONS {
                    kind
                } else {
                    0
                };
                self.last_stw_reason = self.builtin(reason::STW_UNKNOWN + reason);
                args = [self.last_stw_reason, 0, 0, 0];
                Ty::STW_BEGIN
            }
            ev::STW_DONE => {
                args = [self.last_stw_reason, 0, 0, 0];
                Ty::STW_END
            }
            ev::GC_SWEEP_START => Ty::GC_SWEEP_BEGIN,
            ev::GC_SWEEP_DONE => Ty::GC_SWEEP_END,
            ev::GO_CREATE => {
                if self.pre_init {
                    let n = self.created_pre_init.len();
                    self.created_pre_init.entry(e.args[0]).or_insert(n);
                    return Ok(None);
                }
                Ty::GO_CREATE
            }
            ev::GO_START => {
                if self.pre_init {
                    self.created_pre_init.remove(&e.args[0]);
                    args = [e.args[0], u64::MAX, GO_RUNNING, 0];
                    Ty::GO_STATUS
                } else {
                    Ty::GO_START
                }
            }
            ev::GO_START_LABEL => {
                let ctx = self.made_up_ctx(e);
                let label = [e.args[2], 0, 0, 0];
                self.extra.push_back(at(ctx, Ty::GO_LABEL, e.ts, label));
                return Ok(Some(at(ctx, Ty::GO_START, e.ts, args)));
            }
            ev::GO_END => Ty::GO_DESTROY,
            ev::GO_STOP => self.block(&mut args, e, Ty::GO_BLOCK, reason::FOREVER),
            ev::GO_SCHED => self.block(&mut args, e, Ty::GO_STOP, reason::GOSCHED),
            ev::GO_PREEMPT => self.block(&mut args, e, Ty::GO_STOP, reason::PREEMPTED),
            ev::GO_SLEEP => self.block(&mut args, e, Ty::GO_BLOCK, reason::SLEEP),
            ev::GO_BLOCK => self.block(&mut args, e, Ty::GO_BLOCK, reason::EMPTY),
            ev::GO_BLOCK_SEND => self.block(&mut args, e, Ty::GO_BLOCK, reason::CHAN_SEND),
            ev::GO_BLOCK_RECV => self.block(&mut args, e, Ty::GO_BLOCK, reason::CHAN_RECV),
            ev::GO_BLOCK_SELECT => self.block(&mut args, e, Ty::GO_BLOCK, reason::SELECT),
            ev::GO_BLOCK_SYNC => self.block(&mut args, e, Ty::GO_BLOCK, reason::SYNC),
            ev::GO_BLOCK_COND => self.block(&mut args, e, Ty::GO_BLOCK, reason::SYNC_COND),
            ev::GO_BLOCK_NET => self.block(&mut args, e, Ty::GO_BLOCK, reason::NETWORK),
            ev::GO_BLOCK_GC => self.block(&mut args, e, Ty::GO_BLOCK, reason::MARK_ASSIST_WAIT),
            ev::GO_UNBLOCK => Ty::GO_UNBLOCK,
            ev::GO_SYS_CALL => {
                if e.blocked {
                    args = [0, e.stack as u64, 0, 0];
                    Ty::GO_SYSCALL_BEGIN
                } else {
                    // An old syscall is an instant; one that didn't block becomes a
                    // nanosecond-long syscall.
                    let ctx = self.made_up_ctx(e);
                    let end = at(ctx, Ty::GO_SYSCALL_END, e.ts.wrapping_add(1), [0; 4]);
                    self.extra.push_back(end);
                    let begin = [0, e.stack as u64, 0, 0];
                    return Ok(Some(at(ctx, Ty::GO_SYSCALL_BEGIN, e.ts, begin)));
                }
            }
            ev::GO_SYS_EXIT => Ty::GO_SYSCALL_END_BLOCKED,
            ev::GO_SYS_BLOCK => return Ok(None),
            ev::GO_WAITING | ev::GO_IN_SYSCALL => {
                self.created_pre_init.remove(&e.args[0]);
                let status = if e.ty == ev::GO_WAITING {
                    GO_WAITING
                } else {
                    // The old format doesn't say which thread the syscall is on.
                    GO_SYSCALL
                };
                args = [e.args[0], u64::MAX, status, 0];
                Ty::GO_STATUS
            }
            ev::HEAP_ALLOC => Ty::HEAP_ALLOC,
            ev::HEAP_GOAL => Ty::HEAP_GOAL,
            ev::GC_MARK_ASSIST_START => Ty::GC_MARK_ASSIST_BEGIN,
            ev::GC_MARK_ASSIST_DONE => Ty::GC_MARK_ASSIST_END,
            ev::USER_TASK_CREATE => {
                let parent = if e.args[1] == 0 {
                    crate::event::NO_TASK
                } else {
                    e.args[1]
                };
                args = [e.args[0], parent, e.args[2], e.stack as u64];
                let name: Arc<[u8]> = self.table.string(e.args[2]).unwrap_or_default().into();
                self.tasks.insert(e.args[0], (name, e.args[1]));
                Ty::USER_TASK_BEGIN
            }
            ev::USER_TASK_END => {
                // The task's type and parent, known from its beginning, travel with its end.
                let (name, parent) = self
                    .tasks
                    .remove(&e.args[0])
                    .unwrap_or_else(|| (Arc::from(&[][..]), crate::event::NO_TASK));
                args = [e.args[0], e.args[1], parent, 0];
                let mut p = self.finish(e, Ty::USER_TASK_END, args);
                p.task_type = Some(name);
                return Ok(Some(p));
            }
            ev::USER_REGION => {
                args = [e.args[0], e.args[2], e.stack as u64, 0];
                match e.args[1] {
                    0 => Ty::USER_REGION_BEGIN,
                    1 => Ty::USER_REGION_END,
                    // Refused when checking; Go would convert it to an event of type 0.
                    _ => return Ok(None),
                }
            }
            ev::USER_LOG => {
                let msg = self.inline_base.wrapping_add(e.args[3]);
                args = [e.args[0], e.args[1], msg, e.stack as u64];
                Ty::USER_LOG
            }
            ev::CPU_SAMPLE => {
                let ctx = SchedCtx {
                    g: if e.g == 0 { NO_GOROUTINE } else { e.g as i64 },
                    p: e.p as i64,
                    m: NO_THREAD,
                };
                let sample = [e.stack as u64, u64::MAX, e.p as i64 as u64, e.g];
                return Ok(Some(at(ctx, Ty::CPU_SAMPLE, e.ts, sample)));
            }
            other => {
                let err = state_error(format!("unexpected event type {other}"));
                return Err(about(err, self.version, e));
            }
        };
        Ok(Some(self.finish(e, ty, args)))
    }

    /// A block or stop: the reason string and the stack.
    fn block(&self, args: &mut [u64; 4], e: &V1Event, ty: Ty, reason: u64) -> Ty {
        *args = [self.builtin(reason), e.stack as u64, 0, 0];
        ty
    }

    /// The new event for `e` with type `ty`: its stack in the new type's stack argument, on
    /// the thread its P is on.
    fn finish(&mut self, e: &V1Event, ty: Ty, mut args: [u64; 4]) -> Pending {
        if v1_has_stack(self.version, e.ty) {
            if let Some(slot) = own_stack_arg(ty.0).and_then(|i| args.get_mut(i)) {
                *slot = e.stack as u64;
            }
        }
        let mut m = NO_THREAD;
        if e.p != -1 {
            if let Some(&t) = self.proc_ms.get(&e.p) {
                m = t as i64;
            }
        }
        if e.ty == ev::PROC_STOP {
            self.proc_ms.remove(&e.p);
        }
        let g = if e.g == 0 { NO_GOROUTINE } else { e.g as i64 };
        Pending::new(
            SchedCtx {
                g,
                p: e.p as i64,
                m,
            },
            BaseEvent {
                ty: ty.0,
                time: e.ts,
                args,
            },
        )
    }
}

/// Whether a v1 event type's last argument is its own stack (what Go's v1 tables call `Stack`),
/// from the format tables of `version`.
fn v1_has_stack(version: Version, ty: u8) -> bool {
    trace_format::spec::lookup(version, Ty(ty))
        .is_some_and(|s| s.stack_ids.first().is_some_and(|&i| i + 1 == s.args.len()))
}

/// Marks each `GoSysCall` whose goroutine's next event is `GoSysBlock`: only those syscalls
/// took time. (Go looks ahead from each syscall; one backward pass finds the same.)
fn mark_blocking_syscalls(events: &mut [V1Event]) {
    let mut next_ty: IdMap<u64, u8> = IdMap::default();
    for e in events.iter_mut().rev() {
        if e.ty == ev::GO_SYS_CALL {
            e.blocked = next_ty.get(&e.g) == Some(&ev::GO_SYS_BLOCK);
        }
        next_ty.insert(e.g, e.ty);
    }
}
