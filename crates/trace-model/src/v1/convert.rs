//! Step 3 of reading a v1 trace: each old event converted into the model's events.

use super::*;

/// Strings the conversion adds: block reasons and stop-the-world reasons, in Go's order.
pub(super) const BUILTIN_STRINGS: [&str; 29] = [
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
pub(super) mod reason {
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
    pub(super) version: Version,
    pub(crate) table: TableRef,
    pub(super) events: std::vec::IntoIter<V1Event>,
    pub(super) extra: VecDeque<Pending>,
    /// Until the first `Gomaxprocs`, the runtime is describing goroutines that already exist.
    pub(super) pre_init: bool,
    /// Goroutines created during that description whose state no event has told yet, with
    /// the order of their creation.
    pub(super) created_pre_init: IdMap<u64, usize>,
    pub(super) tasks: IdMap<u64, (Arc<[u8]>, u64)>,
    pub(super) seen_procs: IdMap<i32, ()>,
    pub(super) proc_ms: IdMap<i32, u64>,
    pub(super) last_stw_reason: u64,
    pub(super) last_ts: Time,
    pub(super) syncs: u64,
    pub(super) first_sync: Option<Time>,
    pub(super) finished: bool,
    pub(super) inline_base: u64,
    pub(super) builtin_base: u64,
}

impl V1Events {
    /// Reads, orders and checks a whole v1 trace.
    pub(crate) fn open(bytes: &[u8], limits: Limits) -> Result<V1Events> {
        Self::open_salvage(bytes, limits, None)
    }

    /// [`open`](Self::open); with `salvage`, a trace cut short or damaged is read up to the
    /// damage, which is put there. Its events are all there when the cut is past the last
    /// batch (in the stacks and strings that close a v1 trace); before it, the clock
    /// frequency, written after the batches, is lost too, and nothing can be kept.
    pub(crate) fn open_salvage(
        bytes: &[u8],
        limits: Limits,
        salvage: Option<&mut Option<Error>>,
    ) -> Result<V1Events> {
        let parsed = parse(bytes, limits, salvage)?;
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

    /// The `Sync` events handed out, and the time of the last event: where salvage, stopping
    /// after an error, takes over.
    pub(crate) fn progress(&self) -> (u64, Time) {
        (self.syncs, self.last_ts)
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

/// Marks each `GoSysCall` whose goroutine's next event is `GoSysBlock`: only those syscalls
/// took time. (Go looks ahead from each syscall; one backward pass finds the same.)
pub(super) fn mark_blocking_syscalls(events: &mut [V1Event]) {
    let mut next_ty: IdMap<u64, u8> = IdMap::default();
    for e in events.iter_mut().rev() {
        if e.ty == ev::GO_SYS_CALL {
            e.blocked = next_ty.get(&e.g) == Some(&ev::GO_SYS_BLOCK);
        }
        next_ty.insert(e.g, e.ty);
    }
}
