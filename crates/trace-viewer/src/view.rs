//! The proc and thread views (Go's `procGenerator` and `threadGenerator`): lanes per P or per
//! M, goroutine slices on the lane they ran on, syscalls, GC and stop-the-world ranges,
//! counters and arrows, as an [`EventSink`](trace_model::EventSink) writing as it goes.

use crate::emitter::{Emitter, GState as VState, Instant, Keeper, OwnedStack, Slice, GC_P};
use crate::gstate::{Ctx, GState, NO_RES};
use crate::json::Args;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use trace_model::{Event, EventKind, GoId, GoState, Metric, ProcId, ProcState, ResourceKind, Time};

/// Which lanes the timeline has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum View {
    /// One lane per P (`PROCS`): Go's default view.
    #[default]
    Proc,
    /// One lane per M (`OS THREADS`): `view=thread`.
    Thread,
    /// One lane per goroutine (`G`), as Go's goroutine view (`goid=N`); with a
    /// [`Focus`](crate::Focus), only the goroutines related to one.
    Goroutine,
}

/// A range open on a P or globally.
#[derive(Debug, Clone)]
struct OpenRange {
    time: Time,
    stack: OwnedStack,
}

/// A P's range, by name and P.
type ProcRangeKey = (Box<[u8]>, ProcId);

/// The state of the proc or thread view between events.
pub(crate) struct Generator {
    view: View,
    gstates: BTreeMap<GoId, GState>,
    /// The goroutine in a syscall on each P (proc view).
    in_syscall: HashMap<ProcId, GoId>,
    max_proc: ProcId,
    threads: BTreeSet<i64>,
    global_ranges: Vec<(Box<[u8]>, OpenRange)>,
    proc_ranges: Vec<(ProcRangeKey, OpenRange)>,
    seen_sync: u64,
    keeper: Keeper,
    name_buf: Vec<u8>,
}

fn viewer_state(s: GoState, in_mark_assist: bool) -> VState {
    match s {
        GoState::Runnable => VState::Runnable,
        GoState::Running | GoState::Syscall => VState::Running,
        GoState::Waiting if in_mark_assist => VState::WaitingGc,
        GoState::Waiting => VState::Waiting,
        _ => VState::Dead,
    }
}

impl Generator {
    pub(crate) fn new(view: View) -> Generator {
        Generator {
            view,
            gstates: BTreeMap::new(),
            in_syscall: HashMap::new(),
            max_proc: 0,
            threads: BTreeSet::new(),
            global_ranges: Vec::new(),
            proc_ranges: Vec::new(),
            seen_sync: 0,
            keeper: Keeper::default(),
            name_buf: Vec::new(),
        }
    }

    fn resource_of(&self, ev: &Event) -> i64 {
        match self.view {
            View::Proc => ev.proc(),
            View::Thread => ev.thread(),
            View::Goroutine => ev.goroutine(),
        }
    }

    /// Takes one event of the trace.
    pub(crate) fn event<W: Write>(&mut self, e: &mut Emitter<W>, start: Time, ev: &Event) {
        match ev.kind() {
            EventKind::Sync => {
                self.seen_sync += 1;
                self.keeper.clear();
                e.new_generation();
            }
            EventKind::StackSample => {
                let r = self.resource_of(ev);
                if r == NO_RES {
                    return;
                }
                let sf = e.stack(ev.stack());
                e.instant(Instant {
                    name: b"CPU profile sample",
                    cat: b"",
                    ts: ev.time().wrapping_sub(start),
                    resource: r as u64,
                    stack: sf,
                    args: Args::None,
                });
            }
            EventKind::RangeBegin | EventKind::RangeActive | EventKind::RangeEnd => {
                self.range(e, start, ev)
            }
            EventKind::Metric => {
                let Some(m) = ev.metric() else { return };
                let ts = ev.time().wrapping_sub(start);
                match m.name {
                    Metric::HEAP_ALLOC => e.heap_alloc(ts, m.value),
                    Metric::HEAP_GOAL => e.heap_goal(ts, m.value),
                    _ => {}
                }
            }
            EventKind::Label => {
                let Some(l) = ev.label() else { return };
                if l.resource.kind == ResourceKind::Goroutine {
                    if let Some(gs) = self.gstates.get_mut(&l.resource.id) {
                        gs.set_label(l.label);
                    }
                }
            }
            EventKind::StateTransition => {
                let Some(st) = ev.state_transition() else {
                    return;
                };
                match st.resource.kind {
                    ResourceKind::Proc => self.proc_transition(e, start, ev),
                    ResourceKind::Goroutine => self.goroutine_transition(e, start, ev),
                    _ => {}
                }
            }
            EventKind::Log => {
                let r = self.resource_of(ev);
                if r == NO_RES {
                    return;
                }
                let Some(log) = ev.log() else { return };
                self.name_buf.clear();
                if !log.category.is_empty() {
                    self.name_buf.push(b'[');
                    self.name_buf.extend_from_slice(log.category);
                    self.name_buf.extend_from_slice(b"] ");
                }
                self.name_buf.extend_from_slice(log.message);
                let sf = e.stack(ev.stack());
                e.instant(Instant {
                    name: &self.name_buf,
                    cat: b"user event",
                    ts: ev.time().wrapping_sub(start),
                    resource: r as u64,
                    stack: sf,
                    args: Args::None,
                });
            }
            _ => {}
        }
    }

    fn range<W: Write>(&mut self, e: &mut Emitter<W>, start: Time, ev: &Event) {
        let Some(r) = ev.range() else { return };
        let kind = ev.kind();
        match r.scope.kind {
            ResourceKind::Goroutine => {
                let kept = if kind == EventKind::RangeActive {
                    None
                } else {
                    self.keeper.keep(ev.stack())
                };
                let Some(gs) = self.gstates.get_mut(&r.scope.id) else {
                    return;
                };
                match kind {
                    EventKind::RangeBegin => gs.range_begin(ev.time(), &r.name, kept),
                    EventKind::RangeActive => gs.range_active(&r.name),
                    _ => gs.range_end(ev.time(), &r.name, kept),
                }
            }
            ResourceKind::Proc if self.view == View::Proc => {
                let key = (Box::<[u8]>::from(&*r.name), r.scope.id);
                let pos = self.proc_ranges.iter().position(|(k, _)| *k == key);
                match kind {
                    EventKind::RangeBegin => {
                        let open = OpenRange {
                            time: ev.time(),
                            stack: self.keeper.keep(ev.stack()),
                        };
                        set(&mut self.proc_ranges, pos, key, open);
                    }
                    EventKind::RangeActive => {
                        if self.seen_sync < 2 {
                            let open = OpenRange {
                                time: start,
                                stack: self.keeper.keep(ev.stack()),
                            };
                            set(&mut self.proc_ranges, pos, key, open);
                        }
                    }
                    _ => {
                        let open = pos
                            .map(|i| self.proc_ranges.remove(i).1)
                            .unwrap_or(OpenRange {
                                time: 0,
                                stack: None,
                            });
                        let sf = e.owned_stack(&open.stack);
                        let esf = e.stack(ev.stack());
                        e.slice(Slice {
                            name: &r.name,
                            ts: open.time.wrapping_sub(start),
                            dur: ev.time().wrapping_sub(open.time),
                            resource: r.scope.id as u64,
                            stack: sf,
                            end_stack: esf,
                            args: Args::None,
                            sub_lane: &r.name,
                        });
                    }
                }
            }
            ResourceKind::None => {
                let key: Box<[u8]> = Box::from(&*r.name);
                let pos = self.global_ranges.iter().position(|(k, _)| *k == key);
                match kind {
                    EventKind::RangeBegin => {
                        let open = OpenRange {
                            time: ev.time(),
                            stack: self.keeper.keep(ev.stack()),
                        };
                        set(&mut self.global_ranges, pos, key, open);
                    }
                    EventKind::RangeActive => {
                        if self.seen_sync < 2 {
                            let open = OpenRange {
                                time: start,
                                stack: self.keeper.keep(ev.stack()),
                            };
                            set(&mut self.global_ranges, pos, key, open);
                        }
                    }
                    _ => {
                        let open =
                            pos.map(|i| self.global_ranges.remove(i).1)
                                .unwrap_or(OpenRange {
                                    time: 0,
                                    stack: None,
                                });
                        if mentions_gc(&r.name) {
                            let sf = e.owned_stack(&open.stack);
                            let esf = e.stack(ev.stack());
                            e.slice(Slice {
                                name: &r.name,
                                ts: open.time.wrapping_sub(start),
                                dur: ev.time().wrapping_sub(open.time),
                                resource: GC_P,
                                stack: sf,
                                end_stack: esf,
                                args: Args::None,
                                sub_lane: &r.name,
                            });
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn goroutine_transition<W: Write>(&mut self, e: &mut Emitter<W>, start: Time, ev: &Event) {
        let Some(st) = ev.state_transition() else {
            return;
        };
        let Some((from, to)) = st.goroutine() else {
            return;
        };
        let thread_view = self.view == View::Thread;
        let g_view = self.view == View::Goroutine;
        if thread_view && ev.thread() != trace_model::NO_THREAD {
            self.threads.insert(ev.thread());
        }
        let id = st.resource.id;
        let res = self.resource_of(ev);
        let gs = self.gstates.entry(id).or_insert_with(|| GState::new(id));
        gs.augment_name(st.stack);
        if from == to {
            return;
        }
        let t = ev.time();
        let stack = ev.stack();
        let mut ctx = Ctx {
            e,
            start,
            keep: &mut self.keeper,
            thread_resources: thread_view,
        };
        let stops = if thread_view || g_view {
            from.executing() && !to.executing()
        } else {
            from == GoState::Running && !to.executing()
        };
        if stops {
            if to == GoState::Waiting {
                gs.block(t, stack, st.reason, &mut ctx);
            } else {
                gs.stop(t, Some(stack), &mut ctx);
            }
        }
        let starts = if thread_view || g_view {
            !from.executing() && to.executing()
        } else {
            !from.executing() && to == GoState::Running
        };
        if starts {
            let s = if from == GoState::Undetermined {
                start
            } else {
                t
            };
            gs.start(s, if g_view { id } else { res }, &mut ctx);
        }
        if from == GoState::Waiting {
            gs.unblock(t, stack, res, &mut ctx);
        }
        if from == GoState::NotExist && to == GoState::Runnable {
            let kept = ctx.keep.keep(stack);
            gs.created(t, res, kept);
        }
        if g_view {
            if from == GoState::Syscall && to != GoState::Running {
                gs.syscall_end(t, true);
                gs.blocked_syscall_end(t, stack, &mut ctx);
            } else if from == GoState::Syscall {
                gs.syscall_end(t, false);
            }
            if to == GoState::Syscall {
                let s = if from == GoState::Undetermined {
                    start
                } else {
                    t
                };
                let kept = ctx.keep.keep(stack);
                gs.syscall_begin(s, id, kept);
            }
        } else if thread_view {
            if from == GoState::Syscall {
                gs.syscall_end(t, to != GoState::Running);
            }
            if to == GoState::Syscall {
                let s = if from == GoState::Undetermined {
                    start
                } else {
                    t
                };
                let kept = ctx.keep.keep(stack);
                gs.syscall_begin(s, res, kept);
            }
        } else {
            if from == GoState::Syscall && to != GoState::Running {
                gs.blocked_syscall_end(t, stack, &mut ctx);
            }
            if to == GoState::Syscall && ev.proc() != trace_model::NO_PROC {
                let s = if from == GoState::Undetermined {
                    start
                } else {
                    t
                };
                let kept = ctx.keep.keep(stack);
                gs.syscall_begin(s, ev.proc(), kept);
                self.in_syscall.insert(ev.proc(), id);
            }
            if from == GoState::Syscall && self.in_syscall.contains_key(&ev.proc()) {
                gs.syscall_end(t, false);
                self.in_syscall.remove(&ev.proc());
            }
        }
        let assist = gs.in_mark_assist();
        e.goroutine_transition(
            t.wrapping_sub(start),
            viewer_state(from, assist),
            viewer_state(to, assist),
        );
    }

    fn proc_transition<W: Write>(&mut self, e: &mut Emitter<W>, start: Time, ev: &Event) {
        let Some(st) = ev.state_transition() else {
            return;
        };
        let Some((from, to)) = st.proc() else { return };
        if self.view == View::Goroutine {
            return;
        }
        let thread_view = self.view == View::Thread;
        if thread_view && ev.thread() != trace_model::NO_THREAD {
            self.threads.insert(ev.thread());
        }
        let proc = st.resource.id;
        if !thread_view {
            self.max_proc = self.max_proc.max(proc);
        }
        let resource = if thread_view {
            ev.thread() as u64
        } else {
            proc as u64
        };
        let sf = e.stack(ev.stack());
        if from == to {
            return;
        }
        let mut name: &[u8] = b"";
        let mut ts = 0;
        if to.executing() {
            let s = if from == ProcState::Undetermined {
                start
            } else {
                ev.time()
            };
            name = b"proc start";
            ts = s.wrapping_sub(start);
            e.threads_running(ts, 1);
        }
        if from.executing() {
            name = b"proc stop";
            ts = ev.time().wrapping_sub(start);
            e.threads_running(ts, -1);
            if !thread_view {
                if let Some(g) = self.in_syscall.remove(&proc) {
                    if let Some(gs) = self.gstates.get_mut(&g) {
                        let mut ctx = Ctx {
                            e,
                            start,
                            keep: &mut self.keeper,
                            thread_resources: false,
                        };
                        gs.syscall_end(ev.time(), true);
                        gs.stop(ev.time(), Some(ev.stack()), &mut ctx);
                    }
                }
            }
        }
        if !name.is_empty() {
            e.instant(Instant {
                name,
                cat: b"",
                ts,
                resource,
                stack: sf,
                args: Args::Sched {
                    thread: ev.thread() as u64,
                    proc: proc as u64,
                },
            });
        }
    }

    /// The end of the trace at `end`: what is still open, then the lanes' names.
    pub(crate) fn finish<W: Write>(&mut self, e: &mut Emitter<W>, start: Time, end: Time) {
        let thread_view = self.view == View::Thread;
        e.set_resource_type(match self.view {
            View::Proc => "PROCS",
            View::Thread => "OS THREADS",
            View::Goroutine => "G",
        });
        if self.view == View::Proc {
            for ((name, proc), open) in std::mem::take(&mut self.proc_ranges) {
                let sf = e.owned_stack(&open.stack);
                e.slice(Slice {
                    name: &name,
                    ts: open.time.wrapping_sub(start),
                    dur: end.wrapping_sub(open.time),
                    resource: proc as u64,
                    stack: sf,
                    end_stack: 0,
                    args: Args::None,
                    sub_lane: &name,
                });
            }
        }
        for (name, open) in std::mem::take(&mut self.global_ranges) {
            if !mentions_gc(&name) {
                continue;
            }
            let sf = e.owned_stack(&open.stack);
            e.slice(Slice {
                name: &name,
                ts: open.time.wrapping_sub(start),
                dur: end.wrapping_sub(open.time),
                resource: GC_P,
                stack: sf,
                end_stack: 0,
                args: Args::None,
                sub_lane: &name,
            });
        }
        let mut ctx = Ctx {
            e,
            start,
            keep: &mut self.keeper,
            thread_resources: thread_view,
        };
        for (&id, gs) in self.gstates.iter_mut() {
            gs.finish(end, &mut ctx);
            if self.view == View::Goroutine {
                ctx.e.resource(id as u64, gs.name());
            }
        }
        if self.view == View::Goroutine {
            return;
        }
        if thread_view {
            for &t in &self.threads {
                let mut n = b"Thread ".to_vec();
                crate::json::int(&mut n, t);
                e.resource(t as u64, n);
            }
        } else {
            for p in 0..=self.max_proc.max(0) {
                let mut n = b"Proc ".to_vec();
                crate::json::int(&mut n, p);
                e.resource(p as u64, n);
            }
        }
    }
}

fn set<K, V>(v: &mut Vec<(K, V)>, pos: Option<usize>, k: K, val: V) {
    match pos.and_then(|i| v.get_mut(i)) {
        Some(slot) => slot.1 = val,
        None => v.push((k, val)),
    }
}

fn mentions_gc(name: &[u8]) -> bool {
    name.windows(2).any(|w| w == b"GC")
}
