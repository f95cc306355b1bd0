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
use crate::event::{own_stack_arg, BaseEvent, SchedCtx, Time, NO_GOROUTINE, NO_THREAD};
use crate::gosort::sort_func;
use crate::queue::Pending;
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

/// Whether a v1 event type's last argument is its own stack (what Go's v1 tables call `Stack`),
/// from the format tables of `version`.
fn v1_has_stack(version: Version, ty: u8) -> bool {
    trace_format::spec::lookup(version, Ty(ty))
        .is_some_and(|s| s.stack_ids.first().is_some_and(|&i| i + 1 == s.args.len()))
}

mod check;
mod convert;
mod order;
mod parse;

use check::*;
use order::*;
use parse::*;

pub(crate) use convert::V1Events;
