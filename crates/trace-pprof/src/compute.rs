//! The four blocking profiles, computed in one streaming pass over the ordered events.
//!
//! A goroutine's time in the profiled state runs from the transition into that state (with a
//! matching reason) to the transition out of it, and is charged to the stack of the event that
//! began it. As `go tool trace` does, only the part of that time inside the goroutine's
//! lifetime counts, where the lifetime begins when the goroutine first runs (or at time 0 if it
//! never does): Go's goroutine summary decides that, and so its rules are followed here.

use crate::{Error, Frame, Record};
use smallvec::SmallVec;
use std::sync::Arc;
use trace_format::hash::{DenseIdMap, IdMap};
use trace_model::{Event, EventKind, EventSink, GoId, GoState, Reader, Stack, Time};

/// Which profile: the same names as `go tool trace -pprof=TYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProfileKind {
    /// Waiting on the network.
    Net,
    /// Blocked on channels, select, and sync primitives.
    Sync,
    /// In system calls.
    Syscall,
    /// Runnable, waiting to be scheduled.
    Sched,
}

impl ProfileKind {
    /// All four, in Go's order.
    pub const ALL: [ProfileKind; 4] = [
        ProfileKind::Net,
        ProfileKind::Sync,
        ProfileKind::Syscall,
        ProfileKind::Sched,
    ];

    /// Go's name: `net`, `sync`, `syscall` or `sched`.
    pub fn name(self) -> &'static str {
        match self {
            ProfileKind::Net => "net",
            ProfileKind::Sync => "sync",
            ProfileKind::Syscall => "syscall",
            ProfileKind::Sched => "sched",
        }
    }

    /// The kind named `name` (`net`, `sync`, `syscall`, `sched`).
    pub fn from_name(name: &str) -> Option<ProfileKind> {
        ProfileKind::ALL.into_iter().find(|k| k.name() == name)
    }

    fn state(self) -> GoState {
        match self {
            ProfileKind::Net | ProfileKind::Sync => GoState::Waiting,
            ProfileKind::Syscall => GoState::Syscall,
            ProfileKind::Sched => GoState::Runnable,
        }
    }

    fn tracks(self, reason: &[u8]) -> bool {
        let has = |s: &[u8]| reason.windows(s.len()).any(|w| w == s);
        match self {
            ProfileKind::Net => reason == b"network",
            ProfileKind::Sync => has(b"chan") || has(b"sync") || has(b"select"),
            ProfileKind::Syscall | ProfileKind::Sched => true,
        }
    }
}

/// What part of the trace to profile. The default is all of it, as `go tool trace -pprof`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only goroutines with this name (their start function), as `go tool trace`'s goroutine
    /// pages offer.
    pub goroutine: Option<String>,
    /// Only time inside the outermost user regions of this type.
    pub region: Option<String>,
    /// Only time at or after this trace time (nanoseconds).
    pub from: Option<Time>,
    /// Only time at or before this trace time (nanoseconds).
    pub to: Option<Time>,
}

impl Filter {
    /// The time of `[t0, t1]` that counts for goroutine `g`, or `None` if that depends on
    /// whether it ever runs.
    fn overlap(&self, g: &Goroutine, t0: Time, t1: Time) -> Option<i64> {
        let (mut lo, mut hi) = (t0, t1);
        if let Some(from) = self.from {
            lo = lo.max(from);
        }
        if let Some(to) = self.to {
            hi = hi.min(to);
        }
        if self.region.is_some() {
            return Some(region_overlap(g, lo, hi));
        }
        match g.start {
            Some(s) if s > hi => Some(0),
            Some(s) => Some(hi - lo.max(s)),
            None => None,
        }
    }
}

/// What Go's goroutine summary knows of a goroutine that the profiles need.
#[derive(Debug, Default)]
struct Goroutine {
    /// When it first ran.
    start: Option<Time>,
    /// Its name: the outermost function of the first transition stack seen.
    name: Option<Box<[u8]>>,
    /// Time in the profiled state that ended before it first ran: it counts only if the
    /// goroutine never runs. The interval, its duration, and when it ended (claim order).
    before_start: Vec<(Tracked, i64, u64)>,
    /// The profiled interval in progress.
    tracking: Option<Tracked>,
    /// Open regions of the filter's type (start times), innermost last.
    open_regions: Vec<Time>,
    /// Closed regions of the filter's type: start and end.
    regions: Vec<(Time, Time)>,
    in_summary: bool,
}

/// An interval in the profiled state: its start, the entry and identity of the stack of the
/// event that began it, and where to find that stack's frames, should it claim the entry.
#[derive(Debug)]
struct Tracked {
    t0: Time,
    entry: u32,
    ident: (u64, u64),
    /// `None` while the interval's generation is the current one (whose `Sync` the profiler
    /// holds): most intervals end in the generation they began in, and then keeping one
    /// costs no reference counting. When a generation ends, its intervals still kept are
    /// given its `Sync`.
    gen: Option<Arc<Event>>,
}

impl Tracked {
    /// The stack of the event that began the interval; `current` is the `Sync` of the
    /// current generation.
    fn stack<'e>(&'e self, current: Option<&'e Arc<Event>>) -> Stack<'e> {
        let Some(src) = self.gen.as_ref().or(current) else {
            return Stack::NONE;
        };
        match src.sync() {
            Some(sync) => sync.stack(self.ident.1),
            // Events before any `Sync`: the interval keeps the event that began it.
            None => src.stack(),
        }
    }
}

/// A stack as the profile keys it: its first 128 PCs, and the frames of the stack that last
/// claimed them.
#[derive(Debug)]
struct StackEntry {
    frames: Vec<Frame>,
    /// Which stack (generation, ID) the frames are from; `None` until one claims the entry.
    ident: Option<(u64, u64)>,
    /// The claim that set them: claims are numbered in the order Go makes them.
    claim: u64,
    /// Count and time of the intervals counted against it, unless they are kept per
    /// goroutine ([`Profiler`]'s `totals`).
    total: Option<(u64, i64)>,
}

/// Count and time per goroutine and stack entry.
type PerGoroutine = IdMap<(GoId, u32), (u64, i64)>;

/// Counts an interval of `d` of goroutine `g` against stack entry `entry`: in `totals` per
/// goroutine when there is such a map (a profile of some goroutines, whose names are known
/// only at the end), else in the entry.
fn add(totals: &mut Option<PerGoroutine>, stacks: &mut [StackEntry], g: GoId, entry: u32, d: i64) {
    let e = match totals {
        Some(map) => map.entry((g, entry)).or_default(),
        None => match stacks.get_mut(entry as usize) {
            Some(s) => s.total.get_or_insert((0, 0)),
            None => return,
        },
    };
    e.0 += 1;
    e.1 += d;
}

/// Makes the stack of interval `tr` the one its entry shows, as claim number `n`; `current` is
/// the `Sync` of the current generation.
fn claim(stacks: &mut [StackEntry], tr: &Tracked, current: Option<&Arc<Event>>, n: u64) {
    let Some(e) = stacks.get_mut(tr.entry as usize) else {
        return;
    };
    let ident = tr.ident;
    if e.ident != Some(ident) {
        e.frames = tr
            .stack(current)
            .frames()
            .take(MAX_STACK)
            .map(|f| Frame {
                pc: f.pc,
                func: f.func.to_vec(),
                file: f.file.to_vec(),
                line: f.line,
            })
            .collect();
        e.ident = Some(ident);
    }
    e.claim = n;
}

/// Go keeps at most this many frames of a stack, and merges stacks with the same first PCs.
const MAX_STACK: usize = 128;

/// One profile computed push-style: feed it every event of a trace in order
/// ([`EventSink::event`]), then [`finish`](Profiler::finish). One pass of a [`Reader`] can feed
/// several profilers, or a profiler and other analyses, together.
///
/// ```
/// # fn main() -> Result<(), trace_pprof::Error> {
/// use trace_model::{Reader, Summarizer};
/// use trace_pprof::{Filter, Profiler, ProfileKind};
/// let bytes = std::fs::read("../../testdata/traces/go1.27.3/net.trace").unwrap();
/// let mut all = (
///     Profiler::new(ProfileKind::Net, Filter::default()),
///     Profiler::new(ProfileKind::Sched, Filter::default()),
///     Summarizer::new(),
/// );
/// Reader::new(&bytes)?.feed(&mut all)?;
/// let (net, sched) = (all.0.finish()?, all.1.finish()?);
/// assert!(!net.is_empty() && !sched.is_empty());
/// assert!(!all.2.finish().goroutines.is_empty());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Profiler {
    kind: ProfileKind,
    filter: Filter,
    gs: DenseIdMap<Goroutine>,
    stack_ids: IdMap<Vec<u64>, u32>,
    /// The entry of each stack (generation, ID) of the current generation.
    by_ident: IdMap<(u64, u64), u32>,
    /// Claims made so far.
    claims: u64,
    stacks: Vec<StackEntry>,
    /// Sync events seen: the generation's number, for stack identity.
    syncs: u64,
    /// The last `Sync`, which opened the current generation: its tables give the stacks of
    /// the intervals begun in it.
    gen: Option<Arc<Event>>,
    /// Count and time per goroutine and stack, when the filter names a goroutine; else the
    /// stack entries hold them.
    totals: Option<PerGoroutine>,
    /// Whether events count time, or only tell of goroutines ([`stop_counting`]).
    ///
    /// [`stop_counting`]: Profiler::stop_counting
    counting: bool,
}

impl Profiler {
    /// A profile of `kind` over the part of the trace `filter` keeps.
    pub fn new(kind: ProfileKind, filter: Filter) -> Profiler {
        Profiler {
            kind,
            totals: filter.goroutine.as_ref().map(|_| IdMap::default()),
            filter,
            gs: DenseIdMap::default(),
            stack_ids: IdMap::default(),
            by_ident: IdMap::default(),
            claims: 0,
            stacks: Vec::new(),
            syncs: 0,
            gen: None,
            counting: true,
        }
    }

    /// From now on, events only tell the profiler of goroutines (their names, when they first
    /// ran, their regions), and count no time: what `go tool trace -pprof` does with a broken
    /// trace, whose events past its last complete generation its goroutine summary reads but
    /// its profiles leave out.
    ///
    /// ```
    /// # fn main() -> Result<(), trace_pprof::Error> {
    /// use trace_pprof::{Filter, ProfileKind, Profiler};
    /// let bytes = std::fs::read("../../testdata/traces/go1.26.6/mutex.trace").unwrap();
    /// let mut p = Profiler::new(ProfileKind::Sync, Filter::default());
    /// let mut reader = trace_model::Reader::new(&bytes)?;
    /// // Count the first generation only: the next Sync ends it.
    /// let mut syncs = 0;
    /// while let Some(ev) = reader.next_event()? {
    ///     if ev.kind() == trace_model::EventKind::Sync {
    ///         syncs += 1;
    ///         if syncs == 2 {
    ///             p.stop_counting();
    ///         }
    ///     }
    ///     p.event(ev);
    /// }
    /// let first = p.finish()?;
    /// let all = trace_pprof::compute(&mut trace_model::Reader::new(&bytes)?, ProfileKind::Sync,
    ///     &Filter::default())?;
    /// assert!(first.iter().map(|r| r.count).sum::<u64>() <= all.iter().map(|r| r.count).sum());
    /// # Ok(()) }
    /// ```
    pub fn stop_counting(&mut self) {
        self.counting = false;
    }

    /// Which profile this is.
    pub fn kind(&self) -> ProfileKind {
        self.kind
    }

    /// The entry of the event's stack, and the stack's identity. As in Go, stacks are told
    /// apart by identity (generation and ID) and merged by their first 128 PCs, and an entry
    /// shows the frames of the stack that claimed it last — Go claims when an interval is
    /// counted, at its end (which matters when frames differ for the same PCs, or for the
    /// empty stack and a stack of one zero PC).
    fn stack_index(&mut self, ev: &Event) -> (u32, (u64, u64)) {
        let stack = ev.stack();
        let ident = if stack.id() == 0 {
            (0, 0)
        } else {
            (self.syncs, stack.id())
        };
        if let Some(&i) = self.by_ident.get(&ident) {
            return (i, ident);
        }
        self.new_ident(stack, ident)
    }

    /// [`stack_index`](Self::stack_index) of a stack not seen yet in this generation.
    #[inline(never)]
    fn new_ident(&mut self, stack: Stack<'_>, ident: (u64, u64)) -> (u32, (u64, u64)) {
        // Most stacks are short: the key is built on the stack, and copied only when new.
        let mut pcs: SmallVec<[u64; 32]> = stack.frames().take(MAX_STACK).map(|f| f.pc).collect();
        // Go keys stacks by a zero-padded array of PCs.
        while pcs.last() == Some(&0) {
            pcs.pop();
        }
        let i = match self.stack_ids.get(&pcs[..]) {
            Some(&i) => i,
            None => {
                let i = self.stacks.len() as u32;
                self.stacks.push(StackEntry {
                    frames: Vec::new(),
                    ident: None,
                    claim: 0,
                    total: None,
                });
                self.stack_ids.insert(pcs.to_vec(), i);
                i
            }
        };
        self.by_ident.insert(ident, i);
        (i, ident)
    }

    /// Takes the next event in trace order.
    #[inline]
    pub fn event(&mut self, ev: &Event) {
        match ev.kind() {
            EventKind::StateTransition => self.transition(ev),
            EventKind::Sync => self.sync(ev),
            EventKind::RegionBegin | EventKind::RegionEnd => self.region(ev),
            _ => {}
        }
    }

    /// A new generation (or the end of the trace): the intervals begun in the one that ends
    /// keep its `Sync`, for their stacks.
    #[cold]
    #[inline(never)]
    fn sync(&mut self, ev: &Event) {
        self.syncs += 1;
        // Stacks of earlier generations never come back.
        self.by_ident.clear();
        let next = Arc::new(ev.clone());
        if let Some(ended) = self.gen.replace(next) {
            for (_, g) in self.gs.iter_mut() {
                let kept = g.tracking.iter_mut();
                // Those kept before the generation began have theirs already.
                let before = g.before_start.iter_mut().rev().map(|(tr, _, _)| tr);
                for tr in kept.chain(before.take_while(|tr| tr.gen.is_none())) {
                    tr.gen.get_or_insert_with(|| ended.clone());
                }
            }
        }
    }

    fn region(&mut self, ev: &Event) {
        let Some(want) = self.filter.region.as_deref() else {
            return;
        };
        let Some(r) = ev.region() else { return };
        if r.ty != want.as_bytes() {
            return;
        }
        let g = self
            .gs
            .get_or_insert_with(ev.goroutine(), Goroutine::default);
        if ev.kind() == EventKind::RegionBegin {
            g.open_regions.push(ev.time());
        } else {
            // A region whose beginning the trace lacks began at the start of the trace.
            let start = g.open_regions.pop().unwrap_or(0);
            g.regions.push((start, ev.time()));
        }
    }

    #[inline]
    fn transition(&mut self, ev: &Event) {
        let Some((id, old, new)) = ev.goroutine_transition() else {
            return;
        };
        let t = ev.time();

        // What Go's summary learns from this transition: first, as the summary is complete
        // before Go computes profiles.
        let g = self.gs.get_or_insert_with(id, Goroutine::default);
        if old != new {
            if matches!(old, GoState::Undetermined | GoState::NotExist) {
                g.in_summary = true;
            }
            if g.in_summary {
                if g.name.is_none() {
                    g.name = name_of(ev);
                }
                if new == GoState::Running && g.start.is_none() {
                    g.start = Some(t);
                    // Intervals that ended before it ran don't overlap its lifetime.
                    g.before_start.clear();
                }
            }
        }

        if !self.counting {
            return;
        }
        let state = self.kind.state();
        if g.tracking.is_none() {
            if new == state && self.tracks(ev) {
                // Before any `Sync` the interval keeps its event, for its stack.
                let gen = match self.gen {
                    Some(_) => None,
                    None => Some(Arc::new(ev.clone())),
                };
                let (entry, ident) = self.stack_index(ev);
                self.gs.get_or_insert_with(id, Goroutine::default).tracking = Some(Tracked {
                    t0: t,
                    entry,
                    ident,
                    gen,
                });
            }
            return;
        }
        if new == state {
            return;
        }
        let Some(tr) = g.tracking.take() else {
            return;
        };
        let counted = if g.in_summary {
            self.filter.overlap(g, tr.t0, t)
        } else {
            Some(0)
        };
        match counted {
            Some(d) if d > 0 => {
                self.claims += 1;
                claim(&mut self.stacks, &tr, self.gen.as_ref(), self.claims);
                add(&mut self.totals, &mut self.stacks, id, tr.entry, d);
            }
            Some(_) => {}
            None => {
                // Whether it counts (and claims its stack) is known only at the end.
                self.claims += 1;
                let d = t - tr.t0;
                g.before_start.push((tr, d, self.claims));
            }
        }
    }

    /// Whether the interval `ev` begins (it enters the profiled state) is one this profile
    /// tracks: by the transition's reason for the network and sync profiles.
    fn tracks(&self, ev: &Event) -> bool {
        match self.kind {
            ProfileKind::Syscall | ProfileKind::Sched => true,
            kind => ev
                .state_transition()
                .is_some_and(|st| kind.tracks(st.reason)),
        }
    }

    /// The profile's records, one per stack, once every event has been fed. Fails as Go does
    /// when the filter names a goroutine the trace doesn't have, or, with no filter of
    /// goroutines or regions, when the trace has no goroutine at all (Go's message then names
    /// the empty name).
    pub fn finish(self) -> Result<Vec<Record>, Error> {
        let unfiltered = self.filter.goroutine.is_none() && self.filter.region.is_none();
        if unfiltered && !self.gs.values().any(|g| g.in_summary) {
            return Err(Error::NoGoroutine(String::new()));
        }
        if let Some(want) = &self.filter.goroutine {
            if !self
                .gs
                .values()
                .any(|g| g.in_summary && g.name.as_deref() == Some(want.as_bytes()))
            {
                return Err(Error::NoGoroutine(want.clone()));
            }
        }
        Ok(self.records())
    }

    fn records(mut self) -> Vec<Record> {
        // Goroutines that never ran: their lifetime is the whole trace, so these intervals
        // count, and claim their stacks in the order they ended.
        let mut late: Vec<(u64, GoId, Tracked, i64)> = Vec::new();
        for (id, g) in self.gs.iter_mut() {
            for (tr, d, n) in g.before_start.drain(..) {
                if d > 0 {
                    late.push((n, id, tr, d));
                }
            }
        }
        late.sort_unstable_by_key(|l| l.0);
        for (n, id, tr, d) in late {
            let later = self
                .stacks
                .get(tr.entry as usize)
                .is_some_and(|e| n > e.claim);
            if later {
                claim(&mut self.stacks, &tr, self.gen.as_ref(), n);
            }
            add(&mut self.totals, &mut self.stacks, id, tr.entry, d);
        }
        let mut by_stack: Vec<Option<(u64, i64)>> = self.stacks.iter().map(|e| e.total).collect();
        let name = self.filter.goroutine.as_deref().map(str::as_bytes);
        for ((g, stack), (count, time)) in self.totals.into_iter().flatten() {
            let has = self.gs.get(&g).and_then(|g| g.name.as_deref());
            if has != name {
                continue;
            }
            if let Some(slot) = by_stack.get_mut(stack as usize) {
                let e = slot.get_or_insert((0, 0));
                e.0 += count;
                e.1 += time;
            }
        }
        let mut records = Vec::new();
        for (entry, totals) in self.stacks.into_iter().zip(by_stack) {
            if let Some((count, time)) = totals {
                records.push(Record {
                    stack: entry.frames,
                    count,
                    time,
                });
            }
        }
        records
    }
}

/// A goroutine's name from the stack of its transition `ev`: the outermost function, if the
/// stack has frames.
#[cold]
#[inline(never)]
fn name_of(ev: &Event) -> Option<Box<[u8]>> {
    let st = ev.state_transition()?;
    st.stack.frames().last().map(|f| f.func.into())
}

/// Time of `[lo, hi]` inside the goroutine's outermost matching regions (open ones extend to
/// `hi`), as Go counts it: regions sorted by start, each skipped if it begins before the
/// previous kept one ends.
fn region_overlap(g: &Goroutine, lo: Time, hi: Time) -> i64 {
    let mut regions: Vec<(Time, Time)> = g.regions.clone();
    regions.extend(g.open_regions.iter().map(|&s| (s, Time::MAX)));
    regions.sort_unstable();
    let mut last_end = Time::MIN;
    let mut total = 0;
    for (s, e) in regions {
        if s < last_end {
            continue;
        }
        last_end = e;
        if e < lo || hi < s {
            continue;
        }
        total += e.min(hi) - s.max(lo);
    }
    total
}

/// Computes a profile from every event of `reader`, as `go tool trace -pprof=KIND` does, on
/// the calling thread: a [`Profiler`] fed by the reader. To order on one thread and profile on
/// another, feed a [`Profiler`] with [`Reader::feed_pipelined`].
///
/// ```
/// # fn main() -> Result<(), trace_pprof::Error> {
/// use trace_pprof::{compute, Filter, ProfileKind};
/// let bytes = std::fs::read("../../testdata/traces/go1.26.6/mutex.trace").unwrap();
/// let mut reader = trace_model::Reader::new(&bytes)?;
/// let records = compute(&mut reader, ProfileKind::Sync, &Filter::default())?;
/// assert!(records.iter().any(|r| r.count > 0 && r.time > 0));
/// # Ok(()) }
/// ```
pub fn compute(
    reader: &mut Reader<'_>,
    kind: ProfileKind,
    filter: &Filter,
) -> Result<Vec<Record>, Error> {
    let mut p = Profiler::new(kind, filter.clone());
    reader.feed(&mut p)?;
    p.finish()
}

impl EventSink for Profiler {
    #[inline]
    fn event(&mut self, ev: &Event) {
        Profiler::event(self, ev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every trace of one Go version of each format, every kind: the same records on two
    /// threads as on one, and the same error where reading fails part way.
    #[test]
    fn two_threads_give_what_one_gives() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/traces");
        let (mut checked, mut profiles, mut errors) = (0, 0, 0);
        for version in ["go1.21.13", "go1.26.6"] {
            for entry in std::fs::read_dir(root.join(version)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_none_or(|e| e != "trace") {
                    continue;
                }
                let bytes = std::fs::read(&path).unwrap();
                for cut in [bytes.len(), bytes.len() * 2 / 3] {
                    let bytes = &bytes[..cut];
                    for kind in ProfileKind::ALL {
                        let run = |two| {
                            let mut r = Reader::new(bytes).map_err(Error::from)?;
                            let mut p = Profiler::new(kind, Filter::default());
                            if two {
                                r.feed_pipelined(&mut p)?;
                            } else {
                                r.feed(&mut p)?;
                            }
                            p.finish()
                        };
                        let (one, two) = (run(false), run(true));
                        match (&one, &two) {
                            // The same events in the same order: the same records in the
                            // same order.
                            (Ok(a), Ok(b)) => {
                                assert_eq!(a, b, "{} {kind:?} cut {cut}", path.display());
                                profiles += usize::from(!a.is_empty());
                            }
                            (Err(a), Err(b)) => {
                                assert_eq!(a.to_string(), b.to_string());
                                errors += 1;
                            }
                            _ => panic!("{} {kind:?}: {one:?} vs {two:?}", path.display()),
                        }
                        checked += 1;
                    }
                }
            }
        }
        assert!(
            checked >= 40 && profiles >= 20 && errors >= 10,
            "{checked} {profiles} {errors}"
        );
    }
}
