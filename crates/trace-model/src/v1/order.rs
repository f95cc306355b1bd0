//! Step 2 of reading a v1 trace: the frontier merge of the Ps' events by goroutine sequence
//! numbers (Go 1.7+) or the global sequence (Go 1.5), the time-order check, and futile
//! wakeups dropped.

use super::*;

/// Goroutine states of the ordering and checking steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum GStatus {
    #[default]
    Dead,
    Runnable,
    Running,
    Waiting,
}

/// A goroutine's sequence number and state while merging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct GSeq {
    pub(super) seq: u64,
    pub(super) status: GStatus,
}

/// Events that order nothing.
pub(super) const UNORDERED: u64 = u64::MAX;
/// The pseudo-goroutine whose sequence numbers are GC cycles.
pub(super) const GARBAGE: u64 = u64::MAX - 1;
/// Any sequence number will do.
pub(super) const NOSEQ: u64 = u64::MAX;
/// The next sequence number, whatever it is.
pub(super) const SEQINC: u64 = u64::MAX - 1;

/// The goroutine an event orders, the state it needs, and the state it leaves.
pub(super) fn seq_transition(e: &V1Event) -> (u64, GSeq, GSeq) {
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

pub(super) fn seq_ready(g: u64, cur: GSeq, init: GSeq) -> bool {
    g == UNORDERED || (init.seq == NOSEQ || init.seq == cur.seq) && init.status == cur.status
}

/// The merge's frontier: a binary min-heap by time with exactly the operations Go's uses, so
/// that ties come out the same way for the same insertion order.
pub(super) struct Frontier(Vec<(V1Event, usize)>);

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
pub(super) fn merge(
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
pub(super) fn order_by_seq(
    version: Version,
    procs: Vec<(i32, Vec<V1Event>)>,
) -> Result<Vec<V1Event>> {
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
pub(super) fn check_time_order(version: Version, events: &[V1Event]) -> Result<()> {
    match events.windows(2).find(|w| w[1].ts < w[0].ts) {
        Some([_, back]) => Err(about(time_order(), version, back)),
        _ => Ok(()),
    }
}

/// Drops futile wakeups (Go 1.5 to 1.9): a goroutine woken, started and blocked again with a
/// `FutileWakeup` between; all of it goes, as Go 1.21's reader did.
pub(super) fn remove_futile(events: Vec<V1Event>) -> Vec<V1Event> {
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
