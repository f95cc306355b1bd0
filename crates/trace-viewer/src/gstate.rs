//! A goroutine as the timeline draws it: where it runs, its name, the slices it has open and
//! the cause of its next start (an arrow). Shared by every view; the resource a goroutine runs
//! on is a P, an M or the goroutine itself.

use crate::emitter::{Arrow, Emitter, Instant, Keeper, OwnedStack, Slice, NETPOLL_P, SYSCALL_P};
use crate::json::Args;
use std::io::Write;
use trace_model::{GoId, Time};

/// No resource.
pub(crate) const NO_RES: i64 = -1;

/// A range (mark assist) open on a goroutine.
#[derive(Debug, Clone)]
pub(crate) struct ActiveRange {
    pub name: Box<[u8]>,
    pub time: Time,
    pub stack: OwnedStack,
}

#[derive(Debug, Clone)]
struct CompletedRange {
    name: Box<[u8]>,
    start: Time,
    end: Time,
    start_stack: OwnedStack,
    end_stack: OwnedStack,
    blocked: Option<bool>,
}

#[derive(Debug, Clone, Default)]
struct StartCause {
    time: Time,
    name: Vec<u8>,
    resource: u64,
    stack: OwnedStack,
}

/// One goroutine's drawing state.
#[derive(Debug, Clone)]
pub(crate) struct GState {
    base_name: Vec<u8>,
    named: bool,
    label: Vec<u8>,
    pub executing: i64,
    /// Frame ID of the last stop's stack (resolved when it was written).
    last_stop_stack: u64,
    pub active: Vec<ActiveRange>,
    completed: Vec<CompletedRange>,
    start_running: Time,
    syscall_time: Time,
    syscall_stack: OwnedStack,
    syscall_active: bool,
    start_block_reason: Vec<u8>,
    cause: StartCause,
    /// Scratch for the full name.
    name_buf: Vec<u8>,
}

/// What a view decides about elapsed times and stacks, handed to the goroutine state.
pub(crate) struct Ctx<'a, W> {
    pub e: &'a mut Emitter<W>,
    pub start: Time,
    /// Keeps stacks past their generation (resolved into frames later, as Go does).
    pub keep: &'a mut Keeper,
    /// Whether resources are threads (network unblocks then stay on their thread).
    pub thread_resources: bool,
}

impl<W: Write> Ctx<'_, W> {
    pub(crate) fn elapsed(&self, t: Time) -> i64 {
        t.wrapping_sub(self.start)
    }
}

impl GState {
    pub(crate) fn new(id: GoId) -> GState {
        let mut base_name = b"G".to_vec();
        crate::json::int(&mut base_name, id);
        GState {
            base_name,
            named: false,
            label: Vec::new(),
            executing: NO_RES,
            last_stop_stack: 0,
            active: Vec::new(),
            completed: Vec::new(),
            start_running: 0,
            syscall_time: 0,
            syscall_stack: None,
            syscall_active: false,
            start_block_reason: Vec::new(),
            cause: StartCause::default(),
            name_buf: Vec::new(),
        }
    }

    /// Names the goroutine after the outermost function of its first stack.
    pub(crate) fn augment_name(&mut self, stk: trace_model::Stack<'_>) {
        if self.named || stk.is_none() {
            return;
        }
        let last = stk.frames().last().map(|f| f.func).unwrap_or_default();
        self.base_name.push(b' ');
        self.base_name.extend_from_slice(last);
        self.named = true;
    }

    pub(crate) fn set_label(&mut self, l: &[u8]) {
        self.label.clear();
        self.label.extend_from_slice(l);
    }

    /// The name as a lane or slice shows it.
    pub(crate) fn name(&self) -> Vec<u8> {
        let mut n = self.base_name.clone();
        if !self.label.is_empty() {
            n.extend_from_slice(b" (");
            n.extend_from_slice(&self.label);
            n.push(b')');
        }
        n
    }

    pub(crate) fn in_mark_assist(&self) -> bool {
        self.active.iter().any(|r| &*r.name == b"GC mark assist")
    }

    fn set_cause(&mut self, ts: Time, name: &[u8], resource: u64, stack: OwnedStack) {
        self.cause.time = ts;
        self.cause.name.clear();
        self.cause.name.extend_from_slice(name);
        self.cause.resource = resource;
        self.cause.stack = stack;
    }

    pub(crate) fn created(&mut self, ts: Time, creator: i64, stack: OwnedStack) {
        if creator == NO_RES {
            return;
        }
        self.set_cause(ts, b"go", creator as u64, stack);
    }

    pub(crate) fn start<W: Write>(&mut self, ts: Time, resource: i64, ctx: &mut Ctx<'_, W>) {
        for r in &mut self.active {
            r.time = ts;
            r.stack = None;
        }
        if !self.cause.name.is_empty() {
            let from_stack = ctx.e.owned_stack(&self.cause.stack);
            let a = Arrow {
                name: &self.cause.name,
                start: ctx.elapsed(self.cause.time),
                end: ctx.elapsed(ts),
                from: self.cause.resource,
                to: resource as u64,
                from_stack,
            };
            ctx.e.arrow(a);
            self.cause.time = 0;
            self.cause.name.clear();
            self.cause.resource = 0;
            self.cause.stack = None;
        }
        self.executing = resource;
        self.start_running = ts;
    }

    pub(crate) fn syscall_begin(&mut self, ts: Time, resource: i64, stack: OwnedStack) {
        self.syscall_time = ts;
        self.syscall_stack = stack;
        self.syscall_active = true;
        if self.executing == NO_RES {
            self.executing = resource;
            self.start_running = ts;
        }
    }

    pub(crate) fn syscall_end(&mut self, ts: Time, blocked: bool) {
        if !self.syscall_active {
            return;
        }
        self.completed.push(CompletedRange {
            name: Box::from(&b"syscall"[..]),
            start: self.syscall_time,
            end: ts,
            start_stack: self.syscall_stack.take(),
            end_stack: None,
            blocked: Some(blocked),
        });
        self.syscall_active = false;
        self.syscall_time = 0;
    }

    pub(crate) fn blocked_syscall_end<W: Write>(
        &mut self,
        ts: Time,
        stack: trace_model::Stack<'_>,
        ctx: &mut Ctx<'_, W>,
    ) {
        let kept = ctx.keep.keep(stack);
        self.set_cause(ts, b"exit blocked syscall", SYSCALL_P, kept);
        let sf = ctx.e.stack(stack);
        let ts = ctx.elapsed(ts);
        ctx.e.instant(Instant {
            name: b"exit blocked syscall",
            cat: b"",
            ts,
            resource: SYSCALL_P,
            stack: sf,
            args: Args::None,
        });
    }

    pub(crate) fn unblock<W: Write>(
        &mut self,
        ts: Time,
        stack: trace_model::Stack<'_>,
        resource: i64,
        ctx: &mut Ctx<'_, W>,
    ) {
        let mut name = b"unblock".to_vec();
        let mut viewer_resource = resource as u64;
        if !self.start_block_reason.is_empty() {
            name.extend_from_slice(b" (");
            name.extend_from_slice(&self.start_block_reason);
            name.push(b')');
        }
        if self.start_block_reason.windows(7).any(|w| w == b"network") {
            if !ctx.thread_resources {
                viewer_resource = NETPOLL_P;
            }
            let sf = ctx.e.stack(stack);
            let ts = ctx.elapsed(ts);
            ctx.e.instant(Instant {
                name: &name,
                cat: b"",
                ts,
                resource: viewer_resource,
                stack: sf,
                args: Args::None,
            });
        }
        self.start_block_reason.clear();
        if viewer_resource != 0 {
            let kept = ctx.keep.keep(stack);
            self.set_cause(ts, &name, viewer_resource, kept);
        }
    }

    pub(crate) fn block<W: Write>(
        &mut self,
        ts: Time,
        stack: trace_model::Stack<'_>,
        reason: &[u8],
        ctx: &mut Ctx<'_, W>,
    ) {
        self.start_block_reason.clear();
        self.start_block_reason.extend_from_slice(reason);
        self.stop(ts, Some(stack), ctx);
    }

    /// The goroutine stops running: its slice and those of the ranges it had open.
    pub(crate) fn stop<W: Write>(
        &mut self,
        ts: Time,
        stack: Option<trace_model::Stack<'_>>,
        ctx: &mut Ctx<'_, W>,
    ) {
        let stk = self.last_stop_stack;
        let stack = stack.filter(|s| !s.is_none());
        let end_stk = match stack {
            Some(s) => ctx.e.stack(s),
            None => 0,
        };
        // Go panics on these: a broken trace, or a Go 1.11-1.21 goroutine in a syscall at the
        // start, which the conversion gives no thread. Nothing of the stint can be placed on a
        // lane, not even its ranges or the syscall it leaves, so draw nothing.
        if self.start_running == 0 || self.executing == NO_RES {
            self.completed.clear();
            self.syscall_active = false;
            self.last_stop_stack = end_stk;
            self.start_running = 0;
            self.executing = NO_RES;
            return;
        }
        let resource = self.executing as u64;
        self.name_buf = self.name();
        let start = ctx.elapsed(self.start_running);
        ctx.e.slice(Slice {
            name: &self.name_buf,
            ts: start,
            dur: ts.wrapping_sub(self.start_running),
            resource,
            stack: stk,
            end_stack: end_stk,
            args: Args::None,
            sub_lane: b"",
        });
        for cr in std::mem::take(&mut self.completed) {
            let sf = ctx.e.owned_stack(&cr.start_stack);
            let esf = ctx.e.owned_stack(&cr.end_stack);
            let ts0 = ctx.elapsed(cr.start);
            ctx.e.slice(Slice {
                name: &cr.name,
                ts: ts0,
                dur: cr.end.wrapping_sub(cr.start),
                resource,
                stack: sf,
                end_stack: esf,
                args: cr.blocked.map_or(Args::None, Args::Blocked),
                sub_lane: &cr.name,
            });
        }
        for r in &mut self.active {
            let sf = ctx.e.owned_stack(&r.stack);
            let ts0 = ctx.elapsed(r.time);
            ctx.e.slice(Slice {
                name: &r.name,
                ts: ts0,
                dur: ts.wrapping_sub(r.time),
                resource,
                stack: sf,
                end_stack: 0,
                args: Args::None,
                sub_lane: &r.name,
            });
            r.time = 0;
            r.stack = None;
        }
        self.start_running = 0;
        self.last_stop_stack = end_stk;
        self.executing = NO_RES;
    }

    /// At the end of the trace, a goroutine still running stops there.
    pub(crate) fn finish<W: Write>(&mut self, end: Time, ctx: &mut Ctx<'_, W>) {
        if self.executing != NO_RES {
            self.syscall_end(end, false);
            self.stop(end, None, ctx);
        }
    }

    pub(crate) fn range_begin(&mut self, ts: Time, name: &[u8], stack: OwnedStack) {
        let time = if self.executing != NO_RES { ts } else { 0 };
        self.set_active(name, time, stack);
    }

    pub(crate) fn range_active(&mut self, name: &[u8]) {
        let time = if self.executing != NO_RES {
            self.start_running
        } else {
            0
        };
        self.set_active(name, time, None);
    }

    fn set_active(&mut self, name: &[u8], time: Time, stack: OwnedStack) {
        match self.active.iter_mut().find(|r| &*r.name == name) {
            Some(r) => {
                r.time = time;
                r.stack = stack;
            }
            None => self.active.push(ActiveRange {
                name: name.into(),
                time,
                stack,
            }),
        }
    }

    pub(crate) fn range_end(&mut self, ts: Time, name: &[u8], stack: OwnedStack) {
        let pos = self.active.iter().position(|r| &*r.name == name);
        if self.executing != NO_RES {
            let (start, start_stack) = match pos.and_then(|i| self.active.get(i)) {
                Some(r) => (r.time, r.stack.clone()),
                None => (0, None),
            };
            self.completed.push(CompletedRange {
                name: name.into(),
                start,
                end: ts,
                start_stack,
                end_stack: stack,
                blocked: None,
            });
        }
        if let Some(i) = pos {
            self.active.remove(i);
        }
    }
}
