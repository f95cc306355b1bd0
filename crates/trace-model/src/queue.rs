//! The ordering's queue: events ordered but not yet handed out, built in place so that each is
//! written once. Internal; the public model is in `event.rs`.

use crate::event::{BaseEvent, Event, SchedCtx, Time, EV_SYNC};
use crate::table::TableRef;
use std::fmt;
use std::sync::Arc;

/// An event ordered but not yet read: everything but the table, which is the current
/// generation's (or none, for the syncs that end a trace).
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) ctx: SchedCtx,
    pub(crate) base: BaseEvent,
    pub(crate) task_type: Option<Arc<[u8]>>,
    pub(crate) has_table: bool,
}

impl Pending {
    pub(crate) fn new(ctx: SchedCtx, base: BaseEvent) -> Pending {
        Pending {
            ctx,
            base,
            task_type: None,
            has_table: true,
        }
    }

    pub(crate) fn sync(with_table: bool, time: Time, n: u64) -> Pending {
        Pending {
            ctx: SchedCtx::NONE,
            base: BaseEvent {
                ty: EV_SYNC,
                time,
                args: [n, 0, 0, 0],
            },
            task_type: None,
            has_table: with_table,
        }
    }
}

/// The events ordered but not yet read. They are built here in place and lent from here, so
/// each is written once. The ordering adds to it only when it is empty, a few events at a time.
/// While a batch is read, the queue orders into the batch's storage and keeps what was read.
#[derive(Default)]
pub(crate) struct Queue {
    events: Vec<Event>,
    /// `events[head..len]` are still to read; the one lent last is `events[head - 1]`.
    head: usize,
    len: usize,
    /// Events read are kept (in `events[..head]`): the storage is a batch's.
    keep: bool,
}

impl Queue {
    /// Orders into `storage` (a batch's) from now on, keeping what is read, until
    /// [`give_back`](Self::give_back). Events still to read move along.
    pub(crate) fn lend(&mut self, storage: &mut Vec<Event>) {
        self.switch(storage, true);
    }

    /// Ends [`lend`](Self::lend): the storage, holding the events read, goes back to `storage`
    /// (the queue's own storage until now), and events ordered but not read stay queued.
    /// Returns how many events were read.
    pub(crate) fn give_back(&mut self, storage: &mut Vec<Event>) -> usize {
        self.switch(storage, false)
    }

    /// Swaps the queue's storage with `storage`, moving the events still to read into the new
    /// one; returns how many had been read.
    fn switch(&mut self, storage: &mut Vec<Event>, keep: bool) -> usize {
        std::mem::swap(&mut self.events, storage);
        let (head, len) = (self.head, self.len);
        (self.head, self.len, self.keep) = (0, 0, keep);
        for e in storage.get_mut(head..len).unwrap_or_default() {
            let e = std::mem::replace(e, Event::empty());
            match self.events.get_mut(self.len) {
                Some(slot) => *slot = e,
                None => self.events.push(e),
            }
            self.len += 1;
        }
        head
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.head == self.len
    }

    /// Adds an event of the generation whose tables are `table` (none for the syncs that end
    /// a trace), returning it for what else it carries.
    #[inline(always)]
    pub(crate) fn push(
        &mut self,
        table: Option<&TableRef>,
        ctx: SchedCtx,
        base: BaseEvent,
    ) -> &mut Event {
        if self.head == self.len && !self.keep {
            self.head = 0;
            self.len = 0;
        }
        let i = self.len;
        self.len += 1;
        if i == self.events.len() {
            self.events.push(Event::empty());
        }
        let e = &mut self.events[i];
        e.overwrite(table, ctx, base);
        e
    }

    /// [`push`](Self::push) and [`pop`](Self::pop) at once, on an empty queue: the event is
    /// read as it is made.
    #[inline(always)]
    pub(crate) fn push_read(&mut self, table: Option<&TableRef>, ctx: SchedCtx, base: BaseEvent) {
        self.push(table, ctx, base);
        self.head = self.len;
    }

    /// The event popped last, mutably.
    #[inline(always)]
    pub(crate) fn last_mut(&mut self) -> Option<&mut Event> {
        self.events.get_mut(self.head.checked_sub(1)?)
    }

    /// How many events have been read since the queue was last empty (or lent).
    pub(crate) fn read(&self) -> usize {
        self.head
    }

    /// The next event to read, which is lent until the next push.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<&mut Event> {
        if self.is_empty() {
            return None;
        }
        self.head += 1;
        self.events.get_mut(self.head - 1)
    }

    /// Takes back the event popped last, as never read: it failed the checks it gets as it is
    /// handed out, and must not reach a batch.
    pub(crate) fn unpop(&mut self) {
        self.head = self.head.saturating_sub(1);
    }

    /// Drops the events ordered but not yet read.
    pub(crate) fn drop_pending(&mut self) {
        self.len = self.head;
    }

    /// The event popped last.
    pub(crate) fn last(&self) -> Option<&Event> {
        self.events.get(self.head.checked_sub(1)?)
    }
}

impl fmt::Debug for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let events = self.events.get(self.head..self.len).unwrap_or_default();
        f.debug_list().entries(events).finish()
    }
}
