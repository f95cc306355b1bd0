//! The state machines of goroutines, Ps, Ms and the GC, and the rule for whether an M's next
//! event can happen now.
//!
//! Each M's events are in order, but the Ms are not ordered against each other. An event can
//! happen when the state it needs holds: a `GoStart` of goroutine G with sequence number N needs
//! G runnable after its event N-1. [`Ordering::advance`] checks that for one event, and if it
//! holds, applies the event and queues the model events it stands for. This is the semantics of
//! Go's `internal/trace` ordering; the reader decides which M to try next.

use crate::error::OrderError;
use crate::event::{
    is_experimental, status, wire_name, BaseEvent, GoId, ProcId, SchedCtx, ThreadId, NO_GOROUTINE,
    NO_PROC, NO_TASK, NO_THREAD,
};
use crate::event::{GoState, ProcState};
use crate::queue::Queue;
use crate::table::TableRef;
use std::sync::Arc;
use trace_format::hash::{DenseIdMap, IdMap};
use trace_format::EventType as Ty;

/// A sequence number within a generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Seq {
    gen: u64,
    seq: u64,
}

impl Seq {
    fn new(gen: u64, seq: u64) -> Seq {
        Seq { gen, seq }
    }
    fn succeeds(self, prev: Seq) -> bool {
        self.gen == prev.gen && self.seq == prev.seq.wrapping_add(1)
    }
}

/// A range in flight on a goroutine or P: the type of its begin event and, for stop-the-world,
/// its reason's string ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RangeType {
    ty: u8,
    desc: u64,
}

fn range_start(ty: u8) -> u8 {
    match Ty(ty) {
        Ty::STW_END => Ty::STW_BEGIN.0,
        Ty::GC_ACTIVE | Ty::GC_END => Ty::GC_BEGIN.0,
        Ty::GC_SWEEP_ACTIVE | Ty::GC_SWEEP_END => Ty::GC_SWEEP_BEGIN.0,
        Ty::GC_MARK_ASSIST_ACTIVE | Ty::GC_MARK_ASSIST_END => Ty::GC_MARK_ASSIST_BEGIN.0,
        _ => ty,
    }
}

#[derive(Debug, Default)]
struct Ranges {
    in_flight: Vec<RangeType>,
}

impl Ranges {
    fn has(&self, r: RangeType) -> bool {
        self.in_flight.contains(&r)
    }

    fn begin(&mut self, r: RangeType) -> Result<(), Box<OrderError>> {
        if self.has(r) {
            return Err(Box::new(OrderError::State(format!(
                "discovered event already in-flight for when starting event {}",
                wire_name(r.ty)
            ))));
        }
        self.in_flight.push(r);
        Ok(())
    }

    fn active(&mut self, r: RangeType, initial_gen: bool) -> Result<(), Box<OrderError>> {
        if initial_gen {
            if self.has(r) {
                return Err(Box::new(OrderError::State(format!(
                    "found named active range already in first gen: {}",
                    wire_name(r.ty)
                ))));
            }
            self.in_flight.push(r);
        } else if !self.has(r) {
            return Err(Box::new(OrderError::State(format!(
                "resource is missing active range: {}",
                wire_name(r.ty)
            ))));
        }
        Ok(())
    }

    /// Ends the range an end event closes, returning its description.
    fn end(&mut self, ty: u8) -> Result<u64, Box<OrderError>> {
        let start = range_start(ty);
        let Some(i) = self.in_flight.iter().position(|r| r.ty == start) else {
            return Err(Box::new(OrderError::State(format!(
                "tried to end event {}, but not in-flight",
                wire_name(start)
            ))));
        };
        Ok(self.in_flight.swap_remove(i).desc)
    }
}

#[derive(Debug)]
struct GState {
    status: u64,
    seq: Seq,
    /// Open user regions, innermost last: task and type.
    regions: Vec<(u64, Box<[u8]>)>,
    ranges: Ranges,
}

impl GState {
    fn new(status: u64, seq: Seq) -> GState {
        GState {
            status,
            seq,
            regions: Vec::new(),
            ranges: Ranges::default(),
        }
    }

    /// Whether an event with sequence number `seq` that needs the goroutine in state `want`
    /// can happen now: it is, and its last sequenced event was the one before.
    #[inline(always)]
    fn ready(&self, want: u64, seq: Seq) -> bool {
        self.status == want && seq.succeeds(self.seq)
    }

    /// Moves to state `status` by the sequenced event `seq`.
    #[inline(always)]
    fn step(&mut self, status: u64, seq: Seq) {
        self.status = status;
        self.seq = seq;
    }
}

#[derive(Debug)]
struct PState {
    status: u64,
    seq: Seq,
    ranges: Ranges,
}

#[derive(Debug, Clone, Copy)]
struct MState {
    g: GoId,
    p: ProcId,
}

/// The Ms, in slots that never move, so that a reader can keep each M's slot rather than
/// look it up for every event.
#[derive(Debug, Default)]
struct Threads {
    slots: Vec<(ThreadId, MState)>,
    index: IdMap<ThreadId, usize>,
}

impl Threads {
    /// The slot of `m`, made (holding nothing) if it has none.
    fn slot(&mut self, m: ThreadId) -> usize {
        *self.index.entry(m).or_insert_with(|| {
            self.slots.push((
                m,
                MState {
                    g: NO_GOROUTINE,
                    p: NO_PROC,
                },
            ));
            self.slots.len() - 1
        })
    }

    fn at(&mut self, slot: usize) -> Option<&mut MState> {
        self.slots.get_mut(slot).map(|(_, s)| s)
    }

    fn get(&self, m: &ThreadId) -> Option<&MState> {
        let &i = self.index.get(m)?;
        self.slots.get(i).map(|(_, s)| s)
    }

    fn get_mut(&mut self, m: &ThreadId) -> Option<&mut MState> {
        let &i = self.index.get(m)?;
        self.at(i)
    }

    fn insert(&mut self, m: ThreadId, state: MState) {
        let i = self.slot(m);
        if let Some(s) = self.at(i) {
            *s = state;
        }
    }

    fn iter(&self) -> impl Iterator<Item = (ThreadId, &MState)> + '_ {
        self.slots.iter().map(|(m, s)| (*m, s))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GcState {
    Undetermined,
    NotRunning,
    Running,
}

#[derive(Debug, Clone)]
struct TaskState {
    name: Arc<[u8]>,
    parent: u64,
}

/// The goroutine a `GoStart` or `GoUnblock` names (its first argument, its sequence number the
/// second) moves from state `from` to `to`, if it is in `from` and the event is next in its
/// sequence: its ID; `None` changes nothing.
#[inline(always)]
fn step_named(
    gs: &mut DenseIdMap<GState>,
    ev: &BaseEvent,
    gen: u64,
    from: u64,
    to: u64,
) -> Option<GoId> {
    let gid = ev.args[0] as GoId;
    let seq = Seq::new(gen, ev.args[1]);
    let s = gs.get_mut(&gid)?;
    if !s.ready(from, seq) {
        return None;
    }
    s.step(to, seq);
    Some(gid)
}

/// `GoStart`'s step: the goroutine it names starts running on an M with a P and no goroutine,
/// if it is runnable and the event is next in its sequence. `Ok(None)` when it can't happen
/// yet, and then nothing has changed; an error for the wrong context.
#[inline(always)]
fn go_start_step(
    gs: &mut DenseIdMap<GState>,
    ev: &BaseEvent,
    gen: u64,
    cur: SchedCtx,
) -> Result<Option<GoId>, Box<OrderError>> {
    let gid = ev.args[0] as GoId;
    let seq = Seq::new(gen, ev.args[1]);
    match gs.get_mut(&gid) {
        Some(s) if s.ready(status::GO_RUNNABLE, seq) => {
            check_ctx(cur, Need::Must, Need::Must, Need::Not)?;
            s.step(status::GO_RUNNING, seq);
            Ok(Some(gid))
        }
        _ => Ok(None),
    }
}

/// The step of an event that ends the running goroutine's execution (`GoBlock`, `GoStop`,
/// `GoDestroy`, type `ty`): it must run user code on an M with a P.
#[inline(always)]
fn stop_exec_step(
    gs: &mut DenseIdMap<GState>,
    ty: u8,
    cur: SchedCtx,
) -> Result<(), Box<OrderError>> {
    user_go(cur)?;
    let s = current_g(gs, ty, cur.g, status::GO_RUNNING)?;
    match Ty(ty) {
        Ty::GO_STOP => s.status = status::GO_RUNNABLE,
        Ty::GO_BLOCK => s.status = status::GO_WAITING,
        _ => {
            gs.remove(&cur.g);
        }
    }
    Ok(())
}

/// `GoSyscallBegin`'s step: the running goroutine enters a syscall and its P with it, the
/// event next in the P's sequence. Everything is checked before anything changes, so an error
/// changes nothing (and the short path can leave it to the general one).
#[inline(always)]
fn syscall_begin_step(
    gs: &mut DenseIdMap<GState>,
    ps: &mut DenseIdMap<PState>,
    ev: &BaseEvent,
    gen: u64,
    cur: SchedCtx,
) -> Result<(), Box<OrderError>> {
    user_go(cur)?;
    let g = current_g(gs, ev.ty, cur.g, status::GO_RUNNING)?;
    let p = known_proc(ps, cur.p, ev.ty)?;
    let pseq = Seq::new(gen, ev.args[0]);
    if !pseq.succeeds(p.seq) {
        return Err(seq_error(ev.ty, p.seq, pseq));
    }
    g.status = status::GO_SYSCALL;
    p.status = status::PROC_SYSCALL;
    p.seq = pseq;
    Ok(())
}

#[cold]
fn seq_error(ty: u8, have: Seq, next: Seq) -> Box<OrderError> {
    state_err(format!(
        "failed to advance {}: can't make sequence: {} (gen={}) -> {} (gen={})",
        wire_name(ty),
        have.seq,
        have.gen,
        next.seq,
        next.gen
    ))
}

/// `GoSyscallEnd`'s step: the goroutine in a syscall runs again, on its P, which must still be
/// in the syscall (not stolen). Everything is checked before anything changes.
#[inline(always)]
fn syscall_end_step(
    gs: &mut DenseIdMap<GState>,
    ps: &mut DenseIdMap<PState>,
    ty: u8,
    cur: SchedCtx,
) -> Result<(), Box<OrderError>> {
    user_go(cur)?;
    let g = current_g(gs, ty, cur.g, status::GO_SYSCALL)?;
    let p = known_proc(ps, cur.p, ty)?;
    if p.status != status::PROC_SYSCALL {
        return Err(state_err(format!(
            "expected proc {} in state Syscall, but got {} instead",
            cur.p,
            status::proc_status_name(p.status)
        )));
    }
    g.status = status::GO_RUNNING;
    p.status = status::PROC_RUNNING;
    Ok(())
}

/// The state of P `p`, which event type `ty` needs the trace to have told of.
#[inline(always)]
fn known_proc(
    ps: &mut DenseIdMap<PState>,
    p: ProcId,
    ty: u8,
) -> Result<&mut PState, Box<OrderError>> {
    match ps.get_mut(&p) {
        Some(p) => Ok(p),
        None => Err(unknown_proc_error(p, ty)),
    }
}

#[cold]
fn unknown_proc_error(p: ProcId, ty: u8) -> Box<OrderError> {
    state_err(format!(
        "uninitialized proc {p} found during {}",
        wire_name(ty)
    ))
}

/// The current goroutine's state, which must be `want`.
#[inline(always)]
fn current_g(
    gs: &mut DenseIdMap<GState>,
    ty: u8,
    g: GoId,
    want: u64,
) -> Result<&mut GState, Box<OrderError>> {
    match gs.get_mut(&g) {
        Some(s) if s.status == want => Ok(s),
        s => Err(current_g_error(ty, g, s.is_some())),
    }
}

#[cold]
fn current_g_error(ty: u8, g: GoId, exists: bool) -> Box<OrderError> {
    let name = wire_name(ty);
    if !exists {
        return state_err(format!(
            "event {name} for goroutine ({g}) that doesn't exist"
        ));
    }
    // Go names Running here even when it wanted Syscall, except for GoDestroySyscall.
    let want_name = if ty == Ty::GO_DESTROY_SYSCALL.0 {
        "Syscall"
    } else {
        "Running"
    };
    state_err(format!("{name} event for goroutine that's not {want_name}"))
}

/// What an event needs of its M's context.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Not,
    May,
    Must,
}

#[inline(always)]
fn check_ctx(ctx: SchedCtx, m: Need, p: Need, g: Need) -> Result<(), Box<OrderError>> {
    let c = |what: &'static str| Err(Box::new(OrderError::Context(what)));
    match (m, ctx.m == NO_THREAD) {
        (Need::Must, true) => return c("expected a thread but didn't have one"),
        (Need::Not, false) => return c("expected no thread but had one"),
        _ => {}
    }
    match (p, ctx.p == NO_PROC) {
        (Need::Must, true) => return c("expected a proc but didn't have one"),
        (Need::Not, false) => return c("expected no proc but had one"),
        _ => {}
    }
    match (g, ctx.g == NO_GOROUTINE) {
        (Need::Must, true) => c("expected a goroutine but didn't have one"),
        (Need::Not, false) => c("expected no goroutine but had one"),
        _ => Ok(()),
    }
}

/// What running user code needs: an M, a P and a goroutine.
#[inline(always)]
fn user_go(ctx: SchedCtx) -> Result<(), Box<OrderError>> {
    check_ctx(ctx, Need::Must, Need::Must, Need::Must)
}

#[cold]
fn state_err(msg: String) -> Box<OrderError> {
    Box::new(OrderError::State(msg))
}

/// The state of every goroutine, P and M and of the GC, and the events ready to be read.
#[derive(Debug)]
pub(crate) struct Ordering {
    gs: DenseIdMap<GState>,
    ps: DenseIdMap<PState>,
    ms: Threads,
    tasks: IdMap<u64, TaskState>,
    gc_seq: u64,
    gc: GcState,
    initial_gen: u64,
    /// The tables of the generation being ordered, which the events it queues carry.
    pub(crate) table: Option<TableRef>,
    /// The events ordered and not yet read, which the reader lends in place.
    pub(crate) queue: Queue,
}

type Step = Result<(SchedCtx, bool), Box<OrderError>>;

impl Ordering {
    pub(crate) fn new() -> Ordering {
        Ordering {
            gs: DenseIdMap::default(),
            ps: DenseIdMap::default(),
            ms: Threads::default(),
            tasks: IdMap::default(),
            gc_seq: 0,
            gc: GcState::Undetermined,
            initial_gen: 0,
            table: None,
            queue: Queue::default(),
        }
    }

    /// Tries to apply `ev`, the next event of M `m` in generation `gen`. `Ok(false)` when it can't
    /// happen yet; then nothing has changed. `slot` is where the caller keeps the M's slot
    /// between calls (`None` the first time), to spare a lookup per event.
    #[inline(always)]
    pub(crate) fn advance(
        &mut self,
        ev: &mut BaseEvent,
        table: &TableRef,
        m: ThreadId,
        slot: &mut Option<usize>,
        gen: u64,
    ) -> Result<bool, Box<OrderError>> {
        if self.initial_gen == 0 {
            self.initial_gen = gen;
        }
        let mslot = if m == NO_THREAD {
            None
        } else {
            Some(*slot.get_or_insert_with(|| self.ms.slot(m)))
        };
        let cur = match mslot.and_then(|i| self.ms.at(i)) {
            Some(ms) => SchedCtx {
                g: ms.g,
                p: ms.p,
                m,
            },
            None => SchedCtx::NONE,
        };
        // Goroutines starting, blocking and being unblocked are most events of any trace, and
        // most of those tried here are ones that can't happen yet: they are tried before the
        // jump through the table of all types, whose target the CPU predicts worse than these
        // three compares.
        let ty = Ty(ev.ty);
        let (new, ok) = if ty == Ty::GO_START {
            self.go_start(ev, gen, cur)
        } else if ty == Ty::GO_BLOCK {
            self.go_stop_exec(ev, cur)
        } else if ty == Ty::GO_UNBLOCK {
            self.go_unblock(ev, gen, cur)
        } else {
            self.dispatch(ev, table, gen, cur)
        }?;
        if ok {
            if let Some(ms) = mslot.and_then(|i| self.ms.at(i)) {
                ms.p = new.p;
                ms.g = new.g;
            }
        }
        Ok(ok)
    }

    /// [`advance`](Self::advance) for the commonest events when they can happen — a goroutine
    /// starting, blocking or being unblocked — on the M whose slot `advance` gave: applies the
    /// event and returns the context it happened in, for the caller to make the event. `None`
    /// changes nothing and leaves the event to `advance`, which decides everything else,
    /// errors included. Most of a trace's events take this path, spared the general one's
    /// lookups, checks and returns through memory.
    #[inline(always)]
    pub(crate) fn apply_common(
        &mut self,
        ev: &BaseEvent,
        slot: usize,
        gen: u64,
    ) -> Option<SchedCtx> {
        // `advance` made the slot, so it has also noted the first generation.
        debug_assert!(self.initial_gen != 0);
        let (m, ms) = self.ms.slots.get_mut(slot)?;
        let cur = SchedCtx {
            g: ms.g,
            p: ms.p,
            m: *m,
        };
        // The same steps as the general path's; what they refuse, errors included, is left to
        // `advance`.
        let ty = Ty(ev.ty);
        if ty == Ty::GO_START {
            ms.g = go_start_step(&mut self.gs, ev, gen, cur).ok()??;
        } else if ty == Ty::GO_BLOCK {
            stop_exec_step(&mut self.gs, ev.ty, cur).ok()?;
            ms.g = NO_GOROUTINE;
        } else if ty == Ty::GO_UNBLOCK {
            let (from, to) = (status::GO_WAITING, status::GO_RUNNABLE);
            step_named(&mut self.gs, ev, gen, from, to)?;
        } else if ty == Ty::GO_SYSCALL_BEGIN {
            // Syscalls are half the events of a busy network service.
            syscall_begin_step(&mut self.gs, &mut self.ps, ev, gen, cur).ok()?;
        } else if ty == Ty::GO_SYSCALL_END {
            syscall_end_step(&mut self.gs, &mut self.ps, ev.ty, cur).ok()?;
        } else {
            return None;
        }
        Some(cur)
    }

    /// The handler of each event type: the whole table, though `advance` tries the three
    /// commonest types before coming here.
    #[inline(never)]
    fn dispatch(&mut self, ev: &mut BaseEvent, table: &TableRef, gen: u64, cur: SchedCtx) -> Step {
        match Ty(ev.ty) {
            Ty::PROCS_CHANGE | Ty::GO_LABEL | Ty::USER_LOG => self.annotation(ev, cur),
            Ty::PROC_START => self.proc_start(ev, gen, cur),
            Ty::PROC_STOP => self.proc_stop(ev, cur),
            Ty::PROC_STEAL => self.proc_steal(ev, gen, cur),
            Ty::PROC_STATUS => self.proc_status(ev, gen, cur),
            Ty::GO_CREATE | Ty::GO_CREATE_BLOCKED => self.go_create(ev, gen, cur),
            Ty::GO_CREATE_SYSCALL => self.go_create_syscall(ev, gen, cur),
            Ty::GO_START => self.go_start(ev, gen, cur),
            Ty::GO_DESTROY | Ty::GO_STOP | Ty::GO_BLOCK => self.go_stop_exec(ev, cur),
            Ty::GO_DESTROY_SYSCALL => self.go_destroy_syscall(ev, cur),
            Ty::GO_UNBLOCK => self.go_unblock(ev, gen, cur),
            Ty::GO_SYSCALL_BEGIN => self.go_syscall_begin(ev, gen, cur),
            Ty::GO_SYSCALL_END => self.go_syscall_end(ev, cur),
            Ty::GO_SYSCALL_END_BLOCKED => self.go_syscall_end_blocked(ev, cur),
            Ty::GO_STATUS | Ty::GO_STATUS_STACK => self.go_status(ev, gen, cur),
            Ty::STW_BEGIN | Ty::GC_MARK_ASSIST_BEGIN => self.go_range_begin(ev, cur),
            Ty::STW_END | Ty::GC_MARK_ASSIST_END => self.go_range_end(ev, cur),
            Ty::GC_MARK_ASSIST_ACTIVE => self.go_range_active(ev, gen, cur),
            Ty::GC_ACTIVE => self.gc_active(ev, gen, cur),
            Ty::GC_BEGIN => self.gc_begin(ev, cur),
            Ty::GC_END => self.gc_end(ev, cur),
            Ty::GC_SWEEP_BEGIN => self.sweep_begin(ev, cur),
            Ty::GC_SWEEP_ACTIVE => self.sweep_active(ev, gen, cur),
            Ty::GC_SWEEP_END => self.sweep_end(ev, cur),
            Ty::HEAP_ALLOC | Ty::HEAP_GOAL => self.heap_metric(ev, cur),
            Ty::USER_TASK_BEGIN => self.task_begin(ev, table, cur),
            Ty::USER_TASK_END => self.task_end(ev, cur),
            Ty::USER_REGION_BEGIN => self.region_begin(ev, table, cur),
            Ty::USER_REGION_END => self.region_end(ev, table, cur),
            Ty::GO_SWITCH | Ty::GO_SWITCH_DESTROY => self.go_switch(ev, gen, cur),
            _ if is_experimental(ev.ty) => self.alloc_free(ev, cur),
            _ => Err(Box::new(OrderError::BadEventType(ev.ty))),
        }
    }

    #[inline(always)]
    fn push(&mut self, ctx: SchedCtx, base: BaseEvent) -> &mut crate::event::Event {
        self.queue.push(self.table.as_ref(), ctx, base)
    }

    fn synth(&mut self, ctx: SchedCtx, ty: Ty, time: i64, args: [u64; 4]) {
        self.push(
            ctx,
            BaseEvent {
                ty: ty.0,
                time,
                args,
            },
        );
    }

    fn proc_status(&mut self, ev: &mut BaseEvent, gen: u64, mut cur: SchedCtx) -> Step {
        let pid = ev.args[0] as ProcId;
        let st = ev.args[1];
        let Some(mut old) = status::proc_state(st) else {
            return Err(Box::new(OrderError::InvalidStatus {
                resource: "proc",
                id: pid,
                status: st,
            }));
        };
        if let Some(s) = self.ps.get_mut(&pid) {
            if st == status::PROC_SYSCALL_ABANDONED && s.status == status::PROC_SYSCALL {
                // The P was stolen in a syscall in the previous generation and its M didn't
                // notice: it was running.
                old = ProcState::Running;
                ev.args[1] = status::PROC_SYSCALL;
            } else if st == status::PROC_SYSCALL_ABANDONED
                && s.status == status::PROC_SYSCALL_ABANDONED
            {
                old = ProcState::Idle;
                ev.args[1] = status::PROC_SYSCALL_ABANDONED;
            } else if s.status != st {
                return Err(Box::new(OrderError::InconsistentStatus {
                    resource: "proc",
                    id: pid,
                    old: status::proc_status_name(s.status),
                    new: status::proc_status_name(st),
                }));
            }
            s.seq = Seq::new(gen, 0);
        } else {
            self.ps.insert(
                pid,
                PState {
                    status: st,
                    seq: Seq::new(gen, 0),
                    ranges: Ranges::default(),
                },
            );
            old = if gen == self.initial_gen {
                ProcState::Undetermined
            } else {
                ProcState::NotExist
            };
        }
        ev.args[2] = u64::from(old.to_u8());
        let mut new = cur;
        if st == status::PROC_RUNNING || st == status::PROC_SYSCALL {
            new.p = pid;
        }
        if st == status::PROC_SYSCALL_ABANDONED && old == ProcState::Running {
            // The event stands for the M that lost the P: find it.
            let mut found = false;
            for (mid, ms) in self.ms.iter() {
                if ms.p == pid {
                    cur = SchedCtx {
                        m: mid,
                        p: pid,
                        g: ms.g,
                    };
                    found = true;
                }
            }
            if !found {
                return Err(state_err(format!(
                    "failed to find sched context for proc {pid} that's about to be stolen"
                )));
            }
        }
        self.push(cur, *ev);
        Ok((new, true))
    }

    fn proc_start(&mut self, ev: &mut BaseEvent, gen: u64, cur: SchedCtx) -> Step {
        let pid = ev.args[0] as ProcId;
        let seq = Seq::new(gen, ev.args[1]);
        match self.ps.get(&pid) {
            Some(s) if s.status == status::PROC_IDLE && seq.succeeds(s.seq) && cur.p == NO_PROC => {
            }
            _ => return Ok((cur, false)),
        }
        check_ctx(cur, Need::Must, Need::Not, Need::May)?;
        if let Some(s) = self.ps.get_mut(&pid) {
            s.status = status::PROC_RUNNING;
            s.seq = seq;
        }
        self.push(cur, *ev);
        Ok((SchedCtx { p: pid, ..cur }, true))
    }

    fn proc_stop(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Step {
        let name = wire_name(ev.ty);
        let Some(s) = self.ps.get_mut(&cur.p) else {
            return Err(state_err(format!(
                "event {name} for proc ({}) that doesn't exist",
                cur.p
            )));
        };
        if s.status != status::PROC_RUNNING && s.status != status::PROC_SYSCALL {
            return Err(state_err(format!(
                "{name} event for proc that's not Running or Syscall"
            )));
        }
        check_ctx(cur, Need::Must, Need::Must, Need::May)?;
        s.status = status::PROC_IDLE;
        self.push(cur, *ev);
        Ok((SchedCtx { p: NO_PROC, ..cur }, true))
    }

    fn proc_steal(&mut self, ev: &mut BaseEvent, gen: u64, cur: SchedCtx) -> Step {
        let pid = ev.args[0] as ProcId;
        let seq = Seq::new(gen, ev.args[1]);
        let old = match self.ps.get(&pid) {
            Some(s)
                if (s.status == status::PROC_SYSCALL
                    || s.status == status::PROC_SYSCALL_ABANDONED)
                    && seq.succeeds(s.seq) =>
            {
                s.status
            }
            _ => return Ok((cur, false)),
        };
        check_ctx(cur, Need::Must, Need::May, Need::May)?;
        ev.args[3] = old;
        if let Some(s) = self.ps.get_mut(&pid) {
            s.status = status::PROC_IDLE;
            s.seq = seq;
        }
        if old == status::PROC_SYSCALL_ABANDONED {
            self.push(cur, *ev);
            return Ok((cur, true));
        }
        let mid = ev.args[2] as ThreadId;
        let mut new = cur;
        if mid == cur.m {
            if cur.p != pid {
                return Err(state_err(format!(
                    "tried to self-steal proc {pid} (thread {mid}), but got proc {} instead",
                    cur.p
                )));
            }
            new.p = NO_PROC;
            self.push(cur, *ev);
            return Ok((new, true));
        }
        let Some(ms) = self.ms.get_mut(&mid) else {
            return Err(state_err(format!(
                "stole proc from non-existent thread {mid}"
            )));
        };
        if ms.p != pid {
            return Err(state_err(format!(
                "tried to steal proc {pid} from thread {mid}, but got proc {} instead",
                ms.p
            )));
        }
        ms.p = NO_PROC;
        self.push(cur, *ev);
        Ok((new, true))
    }

    fn go_status(&mut self, ev: &mut BaseEvent, gen: u64, mut cur: SchedCtx) -> Step {
        let gid = ev.args[0] as GoId;
        let mid = ev.args[1] as ThreadId;
        let st = ev.args[2];
        let Some(mut old) = status::go_state(st) else {
            return Err(Box::new(OrderError::InvalidStatus {
                resource: "goroutine",
                id: gid,
                status: st,
            }));
        };
        if let Some(s) = self.gs.get_mut(&gid) {
            if s.status != st {
                return Err(Box::new(OrderError::InconsistentStatus {
                    resource: "goroutine",
                    id: gid,
                    old: status::go_status_name(s.status),
                    new: status::go_status_name(st),
                }));
            }
            s.seq = Seq::new(gen, 0);
        } else if gen == self.initial_gen {
            self.gs.insert(gid, GState::new(st, Seq::new(gen, 0)));
            old = GoState::Undetermined;
        } else {
            return Err(state_err(format!(
                "found goroutine status for new goroutine after the first generation: id={gid} status={}",
                status::go_status_name(st)
            )));
        }
        // The old state travels with the event for its state transition.
        ev.args[2] = u64::from(old.to_u8()) << 32 | st;
        let mut new = cur;
        match st {
            status::GO_RUNNING => new.g = gid,
            status::GO_SYSCALL => {
                if mid == NO_THREAD {
                    return Err(state_err(format!(
                        "found goroutine {gid} in syscall without a thread"
                    )));
                }
                if mid == cur.m {
                    if gen != self.initial_gen && cur.g != gid {
                        return Err(state_err(format!(
                            "inconsistent thread for syscalling goroutine {gid}: thread has goroutine {}",
                            cur.g
                        )));
                    }
                    new.g = gid;
                } else {
                    // A goroutine in a syscall on another M, which lost its P: the event is that
                    // M's.
                    match self.ms.get(&mid) {
                        Some(ms) => {
                            if ms.g != gid {
                                return Err(state_err(format!(
                                    "inconsistent thread for syscalling goroutine {gid}: thread has goroutine {}",
                                    ms.g
                                )));
                            }
                            cur.g = ms.g;
                        }
                        None => {
                            self.ms.insert(mid, MState { g: gid, p: NO_PROC });
                        }
                    }
                    cur.m = mid;
                }
            }
            _ => {}
        }
        self.push(cur, *ev);
        Ok((new, true))
    }

    fn go_create(&mut self, ev: &mut BaseEvent, gen: u64, cur: SchedCtx) -> Step {
        check_ctx(cur, Need::Must, Need::Must, Need::May)?;
        if let Some(s) = self.gs.get(&cur.g) {
            if s.status != status::GO_RUNNING {
                return Err(state_err(format!(
                    "{} event for goroutine that's not Running",
                    wire_name(ev.ty)
                )));
            }
        }
        let newg = ev.args[0] as GoId;
        if self.gs.contains_key(&newg) {
            return Err(state_err(format!(
                "tried to create goroutine ({newg}) that already exists"
            )));
        }
        let st = if ev.ty == Ty::GO_CREATE_BLOCKED.0 {
            status::GO_WAITING
        } else {
            status::GO_RUNNABLE
        };
        self.gs.insert(newg, GState::new(st, Seq::new(gen, 0)));
        self.push(cur, *ev);
        Ok((cur, true))
    }

    /// The current goroutine's state, which must be `want`.
    fn current_g(&mut self, ty: u8, g: GoId, want: u64) -> Result<&mut GState, Box<OrderError>> {
        current_g(&mut self.gs, ty, g, want)
    }

    /// The state of P `p`, which event type `ty` needs the trace to have told of.
    fn known_proc(&mut self, p: ProcId, ty: u8) -> Result<&mut PState, Box<OrderError>> {
        known_proc(&mut self.ps, p, ty)
    }

    fn go_stop_exec(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Step {
        stop_exec_step(&mut self.gs, ev.ty, cur)?;
        self.push(cur, *ev);
        Ok((
            SchedCtx {
                g: NO_GOROUTINE,
                ..cur
            },
            true,
        ))
    }

    fn go_start(&mut self, ev: &mut BaseEvent, gen: u64, cur: SchedCtx) -> Step {
        let Some(gid) = go_start_step(&mut self.gs, ev, gen, cur)? else {
            return Ok((cur, false));
        };
        self.push(cur, *ev);
        Ok((SchedCtx { g: gid, ..cur }, true))
    }

    fn go_unblock(&mut self, ev: &mut BaseEvent, gen: u64, cur: SchedCtx) -> Step {
        let (from, to) = (status::GO_WAITING, status::GO_RUNNABLE);
        if step_named(&mut self.gs, ev, gen, from, to).is_none() {
            return Ok((cur, false));
        }
        self.push(cur, *ev);
        Ok((cur, true))
    }

    fn go_switch(&mut self, ev: &mut BaseEvent, gen: u64, cur: SchedCtx) -> Step {
        user_go(cur)?;
        self.current_g(ev.ty, cur.g, status::GO_RUNNING)?;
        let next = ev.args[0] as GoId;
        let seq = Seq::new(gen, ev.args[1]);
        match self.gs.get(&next) {
            Some(s) if s.ready(status::GO_WAITING, seq) => {}
            _ => return Ok((cur, false)),
        }
        self.push(cur, *ev);
        // A switch is the current goroutine blocking or ending and the next one starting.
        if ev.ty == Ty::GO_SWITCH.0 {
            if let Some(s) = self.gs.get_mut(&cur.g) {
                s.status = status::GO_WAITING;
            }
            self.synth(cur, Ty::GO_BLOCK, ev.time, [0; 4]);
        } else {
            self.gs.remove(&cur.g);
            self.synth(cur, Ty::GO_DESTROY, ev.time, [0; 4]);
        }
        if let Some(s) = self.gs.get_mut(&next) {
            s.status = status::GO_RUNNING;
            s.seq = seq;
        }
        let start = SchedCtx {
            g: NO_GOROUTINE,
            ..cur
        };
        self.synth(
            start,
            Ty::GO_START,
            ev.time,
            [next as u64, ev.args[1], 0, 0],
        );
        Ok((SchedCtx { g: next, ..cur }, true))
    }

    fn go_syscall_begin(&mut self, ev: &mut BaseEvent, gen: u64, cur: SchedCtx) -> Step {
        syscall_begin_step(&mut self.gs, &mut self.ps, ev, gen, cur)?;
        self.push(cur, *ev);
        Ok((cur, true))
    }

    fn go_syscall_end(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Step {
        syscall_end_step(&mut self.gs, &mut self.ps, ev.ty, cur)?;
        self.push(cur, *ev);
        Ok((cur, true))
    }

    fn go_syscall_end_blocked(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Step {
        if cur.p != NO_PROC {
            let p = self.known_proc(cur.p, ev.ty)?;
            // Not before the P has been stolen from this M.
            if p.status == status::PROC_SYSCALL {
                return Ok((cur, false));
            }
        }
        check_ctx(cur, Need::Must, Need::May, Need::Must)?;
        self.current_g(ev.ty, cur.g, status::GO_SYSCALL)?.status = status::GO_RUNNABLE;
        self.push(cur, *ev);
        Ok((
            SchedCtx {
                g: NO_GOROUTINE,
                ..cur
            },
            true,
        ))
    }

    fn go_create_syscall(&mut self, ev: &mut BaseEvent, gen: u64, cur: SchedCtx) -> Step {
        check_ctx(cur, Need::Must, Need::May, Need::Not)?;
        let newg = ev.args[0] as GoId;
        if self.gs.contains_key(&newg) {
            return Err(state_err(format!(
                "tried to create goroutine ({newg}) in syscall that already exists"
            )));
        }
        self.gs
            .insert(newg, GState::new(status::GO_SYSCALL, Seq::new(gen, 0)));
        self.push(cur, *ev);
        Ok((SchedCtx { g: newg, ..cur }, true))
    }

    fn go_destroy_syscall(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Step {
        check_ctx(cur, Need::Must, Need::May, Need::Must)?;
        self.current_g(ev.ty, cur.g, status::GO_SYSCALL)?;
        self.gs.remove(&cur.g);
        let mut new = SchedCtx {
            g: NO_GOROUTINE,
            ..cur
        };
        if cur.p != NO_PROC {
            let name = wire_name(ev.ty);
            let Some(p) = self.ps.get_mut(&cur.p) else {
                return Err(state_err(format!(
                    "found invalid proc {} during {name}",
                    cur.p
                )));
            };
            if p.status != status::PROC_SYSCALL {
                return Err(state_err(format!(
                    "proc {} in unexpected state {} during {name}",
                    cur.p,
                    status::proc_status_name(p.status)
                )));
            }
            // The goroutine leaves its P behind: the P is stolen.
            p.status = status::PROC_SYSCALL_ABANDONED;
            new.p = NO_PROC;
            let args = [cur.p as u64, 0, 0, status::PROC_SYSCALL];
            self.synth(cur, Ty::PROC_STEAL, ev.time, args);
        }
        self.push(cur, *ev);
        Ok((new, true))
    }

    fn task_begin(&mut self, ev: &mut BaseEvent, t: &TableRef, cur: SchedCtx) -> Step {
        let id = ev.args[0];
        if self.tasks.contains_key(&id) {
            return Err(state_err(format!("task ID conflict: {id}")));
        }
        let mut parent = ev.args[1];
        if parent == crate::event::BACKGROUND_TASK {
            parent = NO_TASK;
            ev.args[1] = NO_TASK;
        }
        let name_id = ev.args[2];
        let Some(name) = t.string(name_id) else {
            return Err(state_err(format!(
                "invalid string ID {name_id} for {} event",
                ev.ty
            )));
        };
        self.tasks.insert(
            id,
            TaskState {
                name: name.into(),
                parent,
            },
        );
        user_go(cur)?;
        self.push(cur, *ev);
        Ok((cur, true))
    }

    fn task_end(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Step {
        let id = ev.args[0];
        let task_type = match self.tasks.remove(&id) {
            Some(ts) => {
                ev.args[2] = ts.parent;
                Some(ts.name).filter(|n| !n.is_empty())
            }
            None => {
                ev.args[2] = NO_TASK;
                None
            }
        };
        user_go(cur)?;
        self.push(cur, *ev).task_type = task_type;
        Ok((cur, true))
    }

    fn region_change(
        &mut self,
        ev: &mut BaseEvent,
        t: &TableRef,
        cur: SchedCtx,
        begin: bool,
    ) -> Step {
        user_go(cur)?;
        let task = ev.args[0];
        let name_id = ev.args[1];
        let Some(name) = t.string(name_id) else {
            return Err(state_err(format!(
                "invalid string ID {name_id} for {} event",
                ev.ty
            )));
        };
        let which = if begin { "Begin" } else { "End" };
        let Some(g) = self.gs.get_mut(&cur.g) else {
            return Err(state_err(format!(
                "encountered EvUserRegion{which} without known state for current goroutine {}",
                cur.g
            )));
        };
        if begin {
            g.regions.push((task, name.into()));
        } else if let Some((last_task, last_name)) = g.regions.last() {
            if *last_task != task || **last_name != *name {
                return Err(state_err(format!(
                    "misuse of region in goroutine {}: region end {{{task} {}}} when the inner-most active region start event is {{{last_task} {}}}",
                    cur.g,
                    String::from_utf8_lossy(name),
                    String::from_utf8_lossy(last_name)
                )));
            }
            g.regions.pop();
        }
        self.push(cur, *ev);
        Ok((cur, true))
    }

    fn region_begin(&mut self, ev: &mut BaseEvent, t: &TableRef, cur: SchedCtx) -> Step {
        self.region_change(ev, t, cur, true)
    }

    fn region_end(&mut self, ev: &mut BaseEvent, t: &TableRef, cur: SchedCtx) -> Step {
        self.region_change(ev, t, cur, false)
    }

    fn gc_active(&mut self, ev: &mut BaseEvent, gen: u64, cur: SchedCtx) -> Step {
        let seq = ev.args[0];
        if gen == self.initial_gen {
            if self.gc != GcState::Undetermined {
                return Err(state_err(
                    "GCActive in the first generation isn't first GC event".into(),
                ));
            }
            self.gc_seq = seq;
            self.gc = GcState::Running;
            self.push(cur, *ev);
            return Ok((cur, true));
        }
        if seq != self.gc_seq.wrapping_add(1) {
            return Ok((cur, false));
        }
        if self.gc != GcState::Running {
            return Err(state_err(
                "encountered GCActive while GC was not in progress".into(),
            ));
        }
        self.gc_seq = seq;
        user_go(cur)?;
        self.push(cur, *ev);
        Ok((cur, true))
    }

    fn gc_begin(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Step {
        let seq = ev.args[0];
        if self.gc == GcState::Undetermined {
            self.gc_seq = seq;
            self.gc = GcState::Running;
            self.push(cur, *ev);
            return Ok((cur, true));
        }
        if seq != self.gc_seq.wrapping_add(1) {
            return Ok((cur, false));
        }
        if self.gc == GcState::Running {
            return Err(state_err(
                "encountered GCBegin while GC was already in progress".into(),
            ));
        }
        self.gc_seq = seq;
        self.gc = GcState::Running;
        user_go(cur)?;
        self.push(cur, *ev);
        Ok((cur, true))
    }

    fn gc_end(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Step {
        let seq = ev.args[0];
        if seq != self.gc_seq.wrapping_add(1) {
            return Ok((cur, false));
        }
        match self.gc {
            GcState::NotRunning => {
                return Err(state_err(
                    "encountered GCEnd when GC was not in progress".into(),
                ))
            }
            GcState::Undetermined => {
                return Err(state_err(
                    "encountered GCEnd when GC was in an undetermined state".into(),
                ))
            }
            GcState::Running => {}
        }
        self.gc_seq = seq;
        self.gc = GcState::NotRunning;
        user_go(cur)?;
        self.push(cur, *ev);
        Ok((cur, true))
    }

    fn annotation(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Step {
        user_go(cur)?;
        self.push(cur, *ev);
        Ok((cur, true))
    }

    fn heap_metric(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Step {
        check_ctx(cur, Need::Must, Need::Must, Need::May)?;
        self.push(cur, *ev);
        Ok((cur, true))
    }

    fn proc_ranges(&mut self, p: ProcId) -> Result<&mut Ranges, Box<OrderError>> {
        match self.ps.get_mut(&p) {
            Some(s) => Ok(&mut s.ranges),
            // Go dereferences a missing P here and crashes; we report it.
            None => Err(state_err(format!("sweep event for unknown proc {p}"))),
        }
    }

    fn sweep_begin(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Step {
        check_ctx(cur, Need::Must, Need::Must, Need::May)?;
        let r = RangeType {
            ty: range_start(ev.ty),
            desc: 0,
        };
        self.proc_ranges(cur.p)?.begin(r)?;
        self.push(cur, *ev);
        Ok((cur, true))
    }

    fn sweep_active(&mut self, ev: &mut BaseEvent, gen: u64, cur: SchedCtx) -> Step {
        let pid = ev.args[0] as ProcId;
        let initial = gen == self.initial_gen;
        let Some(p) = self.ps.get_mut(&pid) else {
            return Err(state_err(format!(
                "encountered GCSweepActive for unknown proc {pid}"
            )));
        };
        let r = RangeType {
            ty: range_start(ev.ty),
            desc: 0,
        };
        p.ranges.active(r, initial)?;
        self.push(cur, *ev);
        Ok((cur, true))
    }

    fn sweep_end(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Step {
        check_ctx(cur, Need::Must, Need::Must, Need::May)?;
        self.proc_ranges(cur.p)?.end(ev.ty)?;
        self.push(cur, *ev);
        Ok((cur, true))
    }

    fn go_range_begin(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Step {
        user_go(cur)?;
        let desc = if ev.ty == Ty::STW_BEGIN.0 {
            ev.args[0]
        } else {
            0
        };
        let Some(g) = self.gs.get_mut(&cur.g) else {
            return Err(state_err(format!(
                "encountered event of type {} without known state for current goroutine {}",
                ev.ty, cur.g
            )));
        };
        g.ranges.begin(RangeType {
            ty: range_start(ev.ty),
            desc,
        })?;
        self.push(cur, *ev);
        Ok((cur, true))
    }

    fn go_range_active(&mut self, ev: &mut BaseEvent, gen: u64, cur: SchedCtx) -> Step {
        let gid = ev.args[0] as GoId;
        let initial = gen == self.initial_gen;
        let Some(g) = self.gs.get_mut(&gid) else {
            return Err(state_err(format!(
                "uninitialized goroutine {gid} found during {}",
                wire_name(ev.ty)
            )));
        };
        let r = RangeType {
            ty: range_start(ev.ty),
            desc: 0,
        };
        g.ranges.active(r, initial)?;
        self.push(cur, *ev);
        Ok((cur, true))
    }

    fn go_range_end(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Step {
        user_go(cur)?;
        let Some(g) = self.gs.get_mut(&cur.g) else {
            return Err(state_err(format!(
                "encountered event of type {} without known state for current goroutine {}",
                ev.ty, cur.g
            )));
        };
        let desc = g.ranges.end(ev.ty)?;
        if ev.ty == Ty::STW_END.0 {
            ev.args[0] = desc;
        }
        self.push(cur, *ev);
        Ok((cur, true))
    }

    fn alloc_free(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Step {
        check_ctx(cur, Need::Must, Need::May, Need::May)?;
        self.push(cur, *ev);
        Ok((cur, true))
    }

    /// What is known of goroutine `g` now.
    pub(crate) fn goroutine_state(&self, g: GoId) -> Option<GoState> {
        self.gs
            .get(&g)
            .map(|s| status::go_state(s.status).unwrap_or(GoState::Undetermined))
    }

    /// Follows the state transitions of an event that was ordered elsewhere (a v1 trace's,
    /// which Go checks before converting), so the state queries answer for every version.
    pub(crate) fn observe(&mut self, ev: &crate::event::Event) {
        let mut holds = (ev.goroutine(), ev.proc());
        if let Some(t) = ev.state_transition() {
            let id = t.resource.id;
            if let Some((_, to)) = t.goroutine() {
                let status = match to {
                    GoState::Runnable => status::GO_RUNNABLE,
                    GoState::Running => status::GO_RUNNING,
                    GoState::Syscall => status::GO_SYSCALL,
                    GoState::Waiting => status::GO_WAITING,
                    GoState::NotExist | GoState::Undetermined => 0,
                };
                if to == GoState::NotExist {
                    self.gs.remove(&id);
                } else {
                    self.gs
                        .get_or_insert_with(id, || GState::new(status, Seq::new(0, 0)))
                        .status = status;
                }
                if to.executing() && ev.base.ty == Ty::GO_START.0 {
                    holds.0 = id;
                } else if id == ev.goroutine() && !to.executing() {
                    holds.0 = NO_GOROUTINE;
                }
            }
            if let Some((_, to)) = t.proc() {
                let status = match to {
                    ProcState::Running => status::PROC_RUNNING,
                    _ => status::PROC_IDLE,
                };
                self.ps
                    .get_or_insert_with(id, || PState {
                        status,
                        seq: Seq::new(0, 0),
                        ranges: Ranges::default(),
                    })
                    .status = status;
                if to == ProcState::Idle && id == ev.proc() {
                    holds.1 = NO_PROC;
                }
            }
        }
        if ev.thread() != NO_THREAD {
            self.ms.insert(
                ev.thread(),
                MState {
                    g: holds.0,
                    p: holds.1,
                },
            );
        }
    }

    /// What is known of P `p` now.
    pub(crate) fn proc_state(&self, p: ProcId) -> Option<ProcState> {
        self.ps
            .get(&p)
            .map(|s| status::proc_state(s.status).unwrap_or(ProcState::Undetermined))
    }

    /// The goroutine and P M `m` holds now.
    pub(crate) fn thread_state(&self, m: ThreadId) -> Option<(GoId, ProcId)> {
        self.ms.get(&m).map(|s| (s.g, s.p))
    }

    /// Every goroutine known now.
    pub(crate) fn goroutines(&self) -> impl Iterator<Item = (GoId, GoState)> + '_ {
        self.gs.iter().map(|(g, s)| {
            (
                g,
                status::go_state(s.status).unwrap_or(GoState::Undetermined),
            )
        })
    }

    /// Every M known now, with the goroutine and P it holds.
    pub(crate) fn threads(&self) -> impl Iterator<Item = (ThreadId, GoId, ProcId)> + '_ {
        self.ms.iter().map(|(m, s)| (m, s.g, s.p))
    }
}
