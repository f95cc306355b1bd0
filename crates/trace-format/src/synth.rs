//! Synthetic v2 traces: valid traces written from a schedule, for property tests and fuzzing.
//!
//! A [`Schedule`] is a list of [`Step`]s over a few Ms and Ps: goroutines created, started,
//! blocked, unblocked, stopped and destroyed; syscalls with the P kept or stolen; Ps started and
//! stopped; GC cycles, stop-the-world pauses, mark assists and sweeps; user tasks, regions, logs
//! and labels; CPU samples; new generations. [`Schedule::write`] plays it on a small model of the
//! runtime and writes the trace the runtime would: per-M batches with sequence numbers, status
//! events and ranges still open at each generation's start, string, stack, CPU sample and sync
//! tables, `EndOfGeneration` from Go 1.26. Every step's operands pick among what is possible at
//! that point (the Ms that hold a P, the runnable goroutines...), so every schedule gives a valid
//! trace; a step with nothing to pick from is skipped. Go's own reader accepts what it writes
//! (`scripts/conformance.sh`, stage `synth`).
//!
//! What was written comes back too: every batch's events ([`Synthesized::batches`]), to check a
//! decoder against, and every state change and range event in time order
//! ([`Synthesized::transitions`], [`Synthesized::ranges`]), to check an ordering against.
//!
//! ```
//! use trace_format::synth::{Schedule, Step};
//! use trace_format::{Trace, Version};
//! # fn main() -> Result<(), trace_format::Error> {
//! let schedule = Schedule {
//!     version: Version::Go1_23,
//!     ms: 2,
//!     ps: 2,
//!     steps: vec![Step::Create(0), Step::Block(0, 0), Step::Start(0, 0), Step::NextGeneration],
//! };
//! let out = schedule.write();
//! let trace = Trace::parse(&out.bytes)?;
//! assert_eq!(trace.generations()?.count(), 2);
//! # Ok(()) }
//! ```

use crate::event::{RawEvent, RawFrame, RawFrames};
use crate::spec::{EventSpec, EventType as Ty, MAX_ARGS};
use crate::v2::write_event_batch;
use crate::version::Version;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// One thing that happens, if it can. Operands choose, modulo their number, among the Ms,
/// goroutines or Ps for which the step is possible at that point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// A running goroutine, or the scheduler on an M with a P, creates a goroutine
    /// (`GoCreate`).
    Create(u8),
    /// An M with a P and no goroutine starts a runnable goroutine: (M, goroutine).
    Start(u8, u8),
    /// A running goroutine blocks (`GoBlock`): (M, which of two reasons and stacks).
    Block(u8, u8),
    /// A running goroutine is preempted or yields (`GoStop`).
    Stop(u8),
    /// An M with a P unblocks a waiting goroutine: (M, goroutine).
    Unblock(u8, u8),
    /// A running goroutine exits (`GoDestroy`).
    Destroy(u8),
    /// A running goroutine enters a syscall (`GoSyscallBegin`); its M keeps the P meanwhile.
    SyscallBegin(u8),
    /// A goroutine returns from a syscall on its M, which still has its P (`GoSyscallEnd`).
    SyscallEnd(u8),
    /// An idle M steals the P of an M in a syscall (`ProcSteal`): (thief, victim).
    Steal(u8, u8),
    /// A goroutine returns from a syscall whose P was stolen (`GoSyscallEndBlocked`).
    SyscallEndBlocked(u8),
    /// An idle M starts an idle P (`ProcStart`): (M, P).
    ProcStart(u8, u8),
    /// An M with a P and no goroutine stops the P (`ProcStop`).
    ProcStop(u8),
    /// A running goroutine starts a GC cycle's mark phase (`GCBegin`), if none is under way.
    GcBegin(u8),
    /// A running goroutine ends the GC cycle's mark phase (`GCEnd`).
    GcEnd(u8),
    /// A running goroutine stops the world and starts it again (`STWBegin`, `STWEnd`).
    StopTheWorld(u8),
    /// A running goroutine begins a user task, a child of an open task or of none:
    /// (M, parent).
    TaskBegin(u8, u8),
    /// A running goroutine ends an open task: (M, task).
    TaskEnd(u8, u8),
    /// A running goroutine begins a user region in an open task or in none: (M, task).
    RegionBegin(u8, u8),
    /// A running goroutine ends its innermost region.
    RegionEnd(u8),
    /// A running goroutine begins assisting the GC (`GCMarkAssistBegin`). Regions, tasks and
    /// assists stay open while their goroutine blocks, and across generations.
    AssistBegin(u8),
    /// A running goroutine that assists stops (`GCMarkAssistEnd`).
    AssistEnd(u8),
    /// An M with a P begins sweeping on it (`GCSweepBegin`); the P is not stopped or taken
    /// into a syscall until the sweep ends.
    SweepBegin(u8),
    /// An M whose P sweeps stops sweeping (`GCSweepEnd`).
    SweepEnd(u8),
    /// A running goroutine logs a message in an open task or in none (`UserLog`): (M, task).
    Log(u8, u8),
    /// A running goroutine is labelled (`GoLabel`).
    Label(u8),
    /// The CPU profiler samples an M, with its P and goroutine if it has them (`CPUSample`, in
    /// the generation's CPU sample batch).
    CpuSample(u8),
    /// The current generation ends and the next begins. Skipped while a GC cycle is under way
    /// and no goroutine runs to say so in the next generation (`GCActive`).
    NextGeneration,
}

/// What to write: a trace of `version` (Go 1.22 or later) with `ms` threads and `ps` Ps (each at
/// least 1, at most 16), playing `steps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The format to write.
    pub version: Version,
    /// Number of Ms.
    pub ms: u8,
    /// Number of Ps.
    pub ps: u8,
    /// What happens, in order.
    pub steps: Vec<Step>,
}

/// One event as written: what a decoder must give back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthEvent {
    /// The event type.
    pub ty: Ty,
    /// The arguments, timestamp delta first for timed events.
    pub args: Vec<u64>,
    /// Frames of a stack table entry.
    pub frames: Vec<RawFrame>,
    /// Data of a string table entry.
    pub data: Vec<u8>,
}

impl SynthEvent {
    /// Appends the event's wire encoding, as the decoder's own encoder writes it.
    fn encode(&self, version: Version, out: &mut Vec<u8>) {
        let spec = crate::spec::lookup(version, self.ty).unwrap_or(&EventSpec::EMPTY);
        let mut args = [0; MAX_ARGS];
        for (slot, &a) in args.iter_mut().zip(&self.args) {
            *slot = a;
        }
        let frames = RawFrames::owned(self.frames.clone());
        let data = spec.has_data.then_some(Cow::Borrowed(&self.data[..]));
        RawEvent::new(version, self.ty, spec, args, frames, data, 0).encode(out);
    }
}

/// One batch as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthBatch {
    /// Its generation.
    pub generation: u64,
    /// Its M, or [`NO_M`] for the tables.
    pub m: u64,
    /// Its base time, in ticks.
    pub time: u64,
    /// Its events in order; empty for `EndOfGeneration`.
    pub events: Vec<SynthEvent>,
    /// Whether this is Go 1.26's `EndOfGeneration` marker rather than a batch.
    pub end_of_generation: bool,
}

/// Something whose state changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Resource {
    /// A goroutine, by ID.
    Goroutine(u64),
    /// A P, by ID.
    Proc(u64),
}

/// A state change, in Go's words for the states (`Running`, `Waiting`, `Undetermined`...), as
/// Go's reader reports it: a P in a syscall counts as running, status events at the start of a
/// later generation change nothing (`from == to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// When, in ticks (and nanoseconds: the trace's frequency is 1 GHz).
    pub time: u64,
    /// The thread (M) whose event it is: M number `i` of the schedule is thread `i + 1`.
    pub m: u64,
    /// Whose state.
    pub resource: Resource,
    /// The state before.
    pub from: &'static str,
    /// The state after.
    pub to: &'static str,
}

/// A range beginning, going on at the start of a generation, or ending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeMark {
    /// When, in ticks and nanoseconds.
    pub time: u64,
    /// Go's name for the range (`GC concurrent mark phase`, `stop-the-world (read mem stats)`).
    pub name: &'static str,
    /// `begin`, `active` or `end`.
    pub what: &'static str,
}

/// A written trace and what is in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synthesized {
    /// The trace file.
    pub bytes: Vec<u8>,
    /// Every batch in file order.
    pub batches: Vec<SynthBatch>,
    /// Every state change in time order.
    pub transitions: Vec<Transition>,
    /// Every range event in time order.
    pub ranges: Vec<RangeMark>,
    /// How many steps were possible and played.
    pub played: usize,
}

/// The versions the writer writes: one per v2 wire format.
pub const V2_VERSIONS: [Version; 4] = [
    Version::Go1_22,
    Version::Go1_23,
    Version::Go1_25,
    Version::Go1_26,
];

fn at_or(c: &[u8], i: usize) -> u8 {
    c.get(i).copied().unwrap_or(0)
}

/// Ticks per second: one per nanosecond.
const FREQUENCY: u64 = 1_000_000_000;
/// Events per M batch before a new batch is begun (small, so Ms have several per generation).
const BATCH_EVENTS: usize = 48;
use crate::v2::NO_M;

// Go's status codes on the wire.
const G_RUNNABLE: u64 = 1;
const G_RUNNING: u64 = 2;
const G_SYSCALL: u64 = 3;
const G_WAITING: u64 = 4;
const P_RUNNING: u64 = 1;
const P_IDLE: u64 = 2;
const P_SYSCALL: u64 = 3;

// The string table, the same in every generation.
const STRINGS: [&str; 12] = [
    "chan receive",
    "select",
    "preempted",
    "main.worker",
    "/src/synth/main.go",
    "main.main",
    "read mem stats",
    "synth task",
    "synth region",
    "synth key",
    "synth value",
    "synth label",
];
const LOG_KEY: u64 = 10;
const LOG_VALUE: u64 = 11;
const LABEL: u64 = 12;
const TASK_NAME: u64 = 8;
const REGION_NAME: u64 = 9;
const ASSIST_RANGE: &str = "GC mark assist";
const SWEEP_RANGE: &str = "GC incremental sweep";
const STW_REASON: u64 = 7;
const GC_RANGE: &str = "GC concurrent mark phase";
const STW_RANGE: &str = "stop-the-world (read mem stats)";
const REASONS: [u64; 2] = [1, 2];
const PREEMPTED: u64 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum G {
    Runnable,
    Running,
    Waiting,
    Syscall,
}

impl G {
    fn name(self) -> &'static str {
        match self {
            G::Runnable => "Runnable",
            G::Running => "Running",
            G::Waiting => "Waiting",
            G::Syscall => "Syscall",
        }
    }
    fn code(self) -> u64 {
        match self {
            G::Runnable => G_RUNNABLE,
            G::Running => G_RUNNING,
            G::Waiting => G_WAITING,
            G::Syscall => G_SYSCALL,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum P {
    Idle,
    Running,
    Syscall,
}

impl P {
    /// Go's reader shows a P in a syscall as running.
    fn name(self) -> &'static str {
        match self {
            P::Idle => "Idle",
            P::Running | P::Syscall => "Running",
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct M {
    p: Option<usize>,
    g: Option<u64>,
}

/// The runtime model the schedule plays on, and the trace it writes.
struct World {
    version: Version,
    ms: Vec<M>,
    ps: Vec<(P, u64)>,
    /// Live goroutines: ID, state, sequence number in this generation. Kept in ID order.
    gs: Vec<(u64, G, u64)>,
    next_g: u64,
    gen: u64,
    now: u64,
    /// When the current generation began.
    gen_start: u64,
    /// A GC mark phase is under way.
    gc: bool,
    /// The last GC sequence number written; it runs on across generations.
    gc_seq: u64,
    /// Open tasks, oldest first, and the next task ID.
    tasks: Vec<u64>,
    next_task: u64,
    /// Each goroutine's open regions (their tasks), innermost last.
    regions: BTreeMap<u64, Vec<u64>>,
    /// Goroutines in a mark assist.
    assisting: BTreeSet<u64>,
    /// Ps that are sweeping.
    sweeping: BTreeSet<usize>,
    /// This generation's CPU samples: time, M, P, goroutine (args of `CPUSample` but the stack).
    samples: Vec<[u64; 4]>,
    /// This generation's events per M, with their absolute times.
    pending: Vec<Vec<(u64, SynthEvent)>>,
    out: Synthesized,
}

impl Step {
    /// The step of kind `kind` (any byte: taken modulo the number of kinds) with operands `a`
    /// and `b` (ignored by steps that take fewer).
    pub fn from_bytes(kind: u8, a: u8, b: u8) -> Step {
        match kind % 28 {
            0 => Step::Create(a),
            1 => Step::Start(a, b),
            2 => Step::Block(a, b),
            3 => Step::Stop(a),
            4 => Step::Unblock(a, b),
            5 => Step::Destroy(a),
            6 => Step::SyscallBegin(a),
            7 => Step::SyscallEnd(a),
            8 => Step::Steal(a, b),
            9 => Step::SyscallEndBlocked(a),
            10 => Step::ProcStart(a, b),
            11 => Step::ProcStop(a),
            12 => Step::GcBegin(a),
            13 => Step::GcEnd(a),
            14 => Step::StopTheWorld(a),
            15 => Step::NextGeneration,
            16 => Step::TaskBegin(a, b),
            17 => Step::TaskEnd(a, b),
            18 => Step::RegionBegin(a, b),
            19 => Step::RegionEnd(a),
            20 => Step::AssistBegin(a),
            21 => Step::AssistEnd(a),
            22 => Step::SweepBegin(a),
            23 => Step::SweepEnd(a),
            24 => Step::Log(a, b),
            25 => Step::Label(a),
            26 => Step::CpuSample(a),
            _ => Step::Start(a, b),
        }
    }
}

impl Schedule {
    /// A schedule read from any bytes, for fuzzing: the first three choose the version (Go
    /// 1.22, 1.23, 1.25 or 1.26), the number of Ms and of Ps (1 to 4 each); then every three
    /// bytes are a step ([`Step::from_bytes`]).
    pub fn from_bytes(bytes: &[u8]) -> Schedule {
        let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
        let steps = bytes
            .get(3..)
            .unwrap_or_default()
            .chunks(3)
            .map(|c| Step::from_bytes(at_or(c, 0), at_or(c, 1), at_or(c, 2)))
            .collect();
        Schedule {
            version: V2_VERSIONS[usize::from(at(0)) % V2_VERSIONS.len()],
            ms: at(1) % 4 + 1,
            ps: at(2) % 4 + 1,
            steps,
        }
    }

    /// `len` steps drawn from `seed` by a fixed pseudo-random generator: the same schedule for
    /// the same arguments, on every machine.
    pub fn random(version: Version, ms: u8, ps: u8, len: usize, seed: u64) -> Schedule {
        let mut x = seed;
        let steps = (0..len)
            .map(|_| {
                // Knuth's MMIX linear congruential generator; the high bits are the good ones.
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                Step::from_bytes((x >> 56) as u8, (x >> 33) as u8, (x >> 41) as u8)
            })
            .collect();
        Schedule {
            version,
            ms,
            ps,
            steps,
        }
    }

    /// Plays the schedule and writes the trace.
    pub fn write(&self) -> Synthesized {
        let version = if self.version.family() == crate::Family::V2 {
            self.version
        } else {
            Version::Go1_22
        };
        let nm = self.ms.clamp(1, 16) as usize;
        let np = self.ps.clamp(1, 16) as usize;
        let mut w = World {
            version,
            ms: vec![M::default(); nm],
            ps: vec![(P::Idle, 0); np],
            gs: Vec::new(),
            next_g: 1,
            gen: 1,
            now: 1000,
            gen_start: 1000,
            gc: false,
            gc_seq: 0,
            tasks: Vec::new(),
            next_task: 1,
            regions: BTreeMap::new(),
            assisting: BTreeSet::new(),
            sweeping: BTreeSet::new(),
            samples: Vec::new(),
            pending: vec![Vec::new(); nm],
            out: Synthesized {
                bytes: version.header().to_vec(),
                batches: Vec::new(),
                transitions: Vec::new(),
                ranges: Vec::new(),
                played: 0,
            },
        };
        // The trace starts with goroutine 1 running on M 0 with P 0, one goroutine runnable
        // and one waiting.
        w.ms[0] = M {
            p: Some(0),
            g: Some(1),
        };
        w.ps[0].0 = P::Running;
        w.gs = vec![(1, G::Running, 0), (2, G::Runnable, 0), (3, G::Waiting, 0)];
        w.next_g = 4;
        w.statuses();
        for &step in &self.steps {
            if w.play(step) {
                w.out.played += 1;
            }
        }
        w.flush();
        w.out
    }
}

impl World {
    fn tick(&mut self) -> u64 {
        self.now += 3;
        self.now
    }

    fn emit(&mut self, m: usize, ty: Ty, args: &[u64]) -> u64 {
        let t = self.tick();
        let ev = SynthEvent {
            ty,
            args: args.to_vec(),
            frames: Vec::new(),
            data: Vec::new(),
        };
        self.pending[m].push((t, ev));
        t
    }

    fn transition(
        &mut self,
        time: u64,
        m: usize,
        r: Resource,
        from: &'static str,
        to: &'static str,
    ) {
        self.out.transitions.push(Transition {
            time,
            m: mid(m),
            resource: r,
            from,
            to,
        });
    }

    fn g_index(&self, id: u64) -> usize {
        self.gs.iter().position(|g| g.0 == id).unwrap_or(0)
    }

    /// Status events at the start of a generation: each M's P and goroutine on that M, the
    /// idle Ps and the goroutines no M runs on M 0.
    fn statuses(&mut self) {
        let first = self.gen == 1;
        self.gen_start = self.now;
        for m in 0..self.ms.len() {
            let M { p, g } = self.ms[m];
            if let Some(p) = p {
                let st = self.ps[p].0;
                let code = if st == P::Syscall {
                    P_SYSCALL
                } else {
                    P_RUNNING
                };
                let t = self.emit(m, Ty::PROC_STATUS, &[p as u64, code]);
                let from = if first { "Undetermined" } else { st.name() };
                self.transition(t, m, Resource::Proc(p as u64), from, st.name());
            }
            if let Some(g) = g {
                let st = self.gs[self.g_index(g)].1;
                let t = self.emit(m, Ty::GO_STATUS, &[g, mid(m), st.code()]);
                let from = if first { "Undetermined" } else { st.name() };
                self.transition(t, m, Resource::Goroutine(g), from, st.name());
            }
        }
        for p in 0..self.ps.len() {
            if self.ps[p].0 == P::Idle {
                let t = self.emit(0, Ty::PROC_STATUS, &[p as u64, P_IDLE]);
                let from = if first { "Undetermined" } else { "Idle" };
                self.transition(t, 0, Resource::Proc(p as u64), from, "Idle");
            }
        }
        for i in 0..self.gs.len() {
            let (g, st, _) = self.gs[i];
            if matches!(st, G::Runnable | G::Waiting) {
                let t = self.emit(0, Ty::GO_STATUS, &[g, NO_M, st.code()]);
                let from = if first { "Undetermined" } else { st.name() };
                self.transition(t, 0, Resource::Goroutine(g), from, st.name());
            }
        }
        // Ranges under way go on: assists on M 0, sweeps on the M that holds the P.
        for g in self.assisting.clone() {
            let t = self.emit(0, Ty::GC_MARK_ASSIST_ACTIVE, &[g]);
            self.range(t, ASSIST_RANGE, "active");
        }
        for p in self.sweeping.clone() {
            let m = (0..self.ms.len())
                .find(|&m| self.ms[m].p == Some(p))
                .unwrap_or(0);
            let t = self.emit(m, Ty::GC_SWEEP_ACTIVE, &[p as u64]);
            self.range(t, SWEEP_RANGE, "active");
        }
        if self.gc {
            // A running goroutine says the mark phase goes on (`NextGeneration` made sure
            // there is one).
            if let Some((m, _)) = self.running(0) {
                self.gc_seq += 1;
                let t = self.emit(m, Ty::GC_ACTIVE, &[self.gc_seq]);
                self.range(t, GC_RANGE, "active");
            }
        }
    }

    fn range(&mut self, time: u64, name: &'static str, what: &'static str) {
        self.out.ranges.push(RangeMark { time, name, what });
    }

    /// Indices of the Ms for which `f` holds.
    fn ms_where(&self, f: impl Fn(&M) -> bool) -> Vec<usize> {
        (0..self.ms.len()).filter(|&i| f(&self.ms[i])).collect()
    }

    fn pick<T: Copy>(list: &[T], k: u8) -> Option<T> {
        if list.is_empty() {
            return None;
        }
        list.get(k as usize % list.len()).copied()
    }

    /// The M running a goroutine (with a P), chosen by `k`, with its goroutine's index.
    fn running(&self, k: u8) -> Option<(usize, usize)> {
        let (m, g) = self.running_where(k, |_| true)?;
        Some((m, self.g_index(g)))
    }

    /// The M running a goroutine (with a P) for which `f` holds, chosen by `k`, with the
    /// goroutine's ID.
    fn running_where(&self, k: u8, f: impl Fn(u64) -> bool) -> Option<(usize, u64)> {
        let ms = self.ms_where(|m| {
            m.p.is_some()
                && m.g
                    .is_some_and(|g| self.g_state(g) == Some(G::Running) && f(g))
        });
        let m = Self::pick(&ms, k)?;
        Some((m, self.ms[m].g?))
    }

    /// The state of goroutine `g`, if it exists.
    fn g_state(&self, g: u64) -> Option<G> {
        self.gs.iter().find(|x| x.0 == g).map(|x| x.1)
    }

    /// The task `j` picks: none (0) or one of the open tasks.
    fn task_or_none(&self, j: u8) -> u64 {
        match usize::from(j) % (self.tasks.len() + 1) {
            0 => 0,
            n => self.tasks.get(n - 1).copied().unwrap_or(0),
        }
    }

    fn set_g(&mut self, i: usize, t: u64, m: usize, to: G) {
        let (id, from, _) = self.gs[i];
        self.gs[i].1 = to;
        self.transition(t, m, Resource::Goroutine(id), from.name(), to.name());
    }

    fn next_seq_g(&mut self, i: usize) -> u64 {
        self.gs[i].2 += 1;
        self.gs[i].2
    }

    fn next_seq_p(&mut self, p: usize) -> u64 {
        self.ps[p].1 += 1;
        self.ps[p].1
    }

    fn play(&mut self, step: Step) -> bool {
        match step {
            Step::Create(k) => {
                let ms = self.ms_where(|m| m.p.is_some() && !self.in_syscall(m));
                let Some(m) = Self::pick(&ms, k) else {
                    return false;
                };
                let id = self.next_g;
                self.next_g += 1;
                let t = self.emit(m, Ty::GO_CREATE, &[id, 1, 2]);
                self.gs.push((id, G::Runnable, 0));
                self.transition(t, m, Resource::Goroutine(id), "NotExist", "Runnable");
            }
            Step::Start(k, j) => {
                let ms = self.ms_where(|m| m.p.is_some() && m.g.is_none());
                let runnable = self.gs_in(G::Runnable);
                let (Some(m), Some(i)) = (Self::pick(&ms, k), Self::pick(&runnable, j)) else {
                    return false;
                };
                let seq = self.next_seq_g(i);
                let t = self.emit(m, Ty::GO_START, &[self.gs[i].0, seq]);
                self.ms[m].g = Some(self.gs[i].0);
                self.set_g(i, t, m, G::Running);
            }
            Step::Block(k, r) => {
                let Some((m, i)) = self.running(k) else {
                    return false;
                };
                let r = usize::from(r % 2);
                let t = self.emit(m, Ty::GO_BLOCK, &[REASONS[r], r as u64 + 1]);
                self.ms[m].g = None;
                self.set_g(i, t, m, G::Waiting);
            }
            Step::Stop(k) => {
                let Some((m, i)) = self.running(k) else {
                    return false;
                };
                let t = self.emit(m, Ty::GO_STOP, &[PREEMPTED, 1]);
                self.ms[m].g = None;
                self.set_g(i, t, m, G::Runnable);
            }
            Step::Unblock(k, j) => {
                let ms = self.ms_where(|m| m.p.is_some() && !self.in_syscall(m));
                let waiting = self.gs_in(G::Waiting);
                let (Some(m), Some(i)) = (Self::pick(&ms, k), Self::pick(&waiting, j)) else {
                    return false;
                };
                let seq = self.next_seq_g(i);
                let t = self.emit(m, Ty::GO_UNBLOCK, &[self.gs[i].0, seq, 1]);
                self.set_g(i, t, m, G::Runnable);
            }
            Step::Destroy(k) => {
                let Some((m, i)) = self.running(k) else {
                    return false;
                };
                let t = self.emit(m, Ty::GO_DESTROY, &[]);
                let id = self.gs[i].0;
                self.transition(t, m, Resource::Goroutine(id), "Running", "NotExist");
                self.gs.remove(i);
                // What it left open stays so in the reader; nothing refers to it again.
                self.regions.remove(&id);
                self.assisting.remove(&id);
                self.ms[m].g = None;
            }
            Step::SyscallBegin(k) => {
                let Some((m, i)) = self.running(k) else {
                    return false;
                };
                let Some(p) = self.ms[m].p.filter(|p| !self.sweeping.contains(p)) else {
                    return false;
                };
                let seq = self.next_seq_p(p);
                let t = self.emit(m, Ty::GO_SYSCALL_BEGIN, &[seq, 2]);
                self.ps[p].0 = P::Syscall;
                self.set_g(i, t, m, G::Syscall);
            }
            Step::SyscallEnd(k) => {
                let ms = self.ms_where(|m| self.in_syscall_with_p(m));
                let Some(m) = Self::pick(&ms, k) else {
                    return false;
                };
                let (Some(p), Some(g)) = (self.ms[m].p, self.ms[m].g) else {
                    return false;
                };
                let t = self.emit(m, Ty::GO_SYSCALL_END, &[]);
                self.ps[p].0 = P::Running;
                let i = self.g_index(g);
                self.set_g(i, t, m, G::Running);
            }
            Step::Steal(k, v) => {
                let thieves = self.ms_where(|m| m.p.is_none() && m.g.is_none());
                let victims = self.ms_where(|m| self.in_syscall_with_p(m));
                let (Some(m), Some(victim)) = (Self::pick(&thieves, k), Self::pick(&victims, v))
                else {
                    return false;
                };
                let Some(p) = self.ms[victim].p else {
                    return false;
                };
                let seq = self.next_seq_p(p);
                let t = self.emit(m, Ty::PROC_STEAL, &[p as u64, seq, mid(victim)]);
                self.ps[p].0 = P::Idle;
                self.ms[victim].p = None;
                self.transition(t, m, Resource::Proc(p as u64), "Running", "Idle");
            }
            Step::SyscallEndBlocked(k) => {
                let ms = self.ms_where(|m| m.p.is_none() && self.in_syscall(m));
                let Some(m) = Self::pick(&ms, k) else {
                    return false;
                };
                let Some(g) = self.ms[m].g else {
                    return false;
                };
                let t = self.emit(m, Ty::GO_SYSCALL_END_BLOCKED, &[]);
                self.ms[m].g = None;
                let i = self.g_index(g);
                self.set_g(i, t, m, G::Runnable);
            }
            Step::ProcStart(k, j) => {
                let ms = self.ms_where(|m| m.p.is_none() && m.g.is_none());
                let idle: Vec<usize> = (0..self.ps.len())
                    .filter(|&p| self.ps[p].0 == P::Idle)
                    .collect();
                let (Some(m), Some(p)) = (Self::pick(&ms, k), Self::pick(&idle, j)) else {
                    return false;
                };
                let seq = self.next_seq_p(p);
                let t = self.emit(m, Ty::PROC_START, &[p as u64, seq]);
                self.ps[p].0 = P::Running;
                self.ms[m].p = Some(p);
                self.transition(t, m, Resource::Proc(p as u64), "Idle", "Running");
            }
            Step::ProcStop(k) => {
                let ms = self.ms_where(|m| {
                    m.g.is_none() && m.p.is_some_and(|p| !self.sweeping.contains(&p))
                });
                let Some(m) = Self::pick(&ms, k) else {
                    return false;
                };
                let Some(p) = self.ms[m].p else {
                    return false;
                };
                let t = self.emit(m, Ty::PROC_STOP, &[]);
                self.ps[p].0 = P::Idle;
                self.ms[m].p = None;
                self.transition(t, m, Resource::Proc(p as u64), "Running", "Idle");
            }
            Step::GcBegin(k) => {
                let Some((m, _)) = self.running(k).filter(|_| !self.gc) else {
                    return false;
                };
                self.gc_seq += 1;
                let t = self.emit(m, Ty::GC_BEGIN, &[self.gc_seq, 1]);
                self.gc = true;
                self.range(t, GC_RANGE, "begin");
            }
            Step::GcEnd(k) => {
                let Some((m, _)) = self.running(k).filter(|_| self.gc) else {
                    return false;
                };
                self.gc_seq += 1;
                let t = self.emit(m, Ty::GC_END, &[self.gc_seq]);
                self.gc = false;
                self.range(t, GC_RANGE, "end");
            }
            Step::StopTheWorld(k) => {
                let Some((m, _)) = self.running(k) else {
                    return false;
                };
                let t = self.emit(m, Ty::STW_BEGIN, &[STW_REASON, 2]);
                self.range(t, STW_RANGE, "begin");
                let t = self.emit(m, Ty::STW_END, &[]);
                self.range(t, STW_RANGE, "end");
            }
            Step::TaskBegin(k, j) => {
                let Some((m, _)) = self.running(k) else {
                    return false;
                };
                let parent = self.task_or_none(j);
                let id = self.next_task;
                self.next_task += 1;
                self.emit(m, Ty::USER_TASK_BEGIN, &[id, parent, TASK_NAME, 1]);
                self.tasks.push(id);
            }
            Step::TaskEnd(k, j) => {
                let (Some((m, _)), false) = (self.running(k), self.tasks.is_empty()) else {
                    return false;
                };
                let id = self.tasks.remove(usize::from(j) % self.tasks.len());
                self.emit(m, Ty::USER_TASK_END, &[id, 1]);
            }
            Step::RegionBegin(k, j) => {
                let Some((m, i)) = self.running(k) else {
                    return false;
                };
                let task = self.task_or_none(j);
                self.emit(m, Ty::USER_REGION_BEGIN, &[task, REGION_NAME, 1]);
                let g = self.gs[i].0;
                self.regions.entry(g).or_default().push(task);
            }
            Step::RegionEnd(k) => {
                let open = |g| self.regions.get(&g).is_some_and(|r| !r.is_empty());
                let Some((m, g)) = self.running_where(k, open) else {
                    return false;
                };
                let Some(task) = self.regions.get_mut(&g).and_then(Vec::pop) else {
                    return false;
                };
                self.emit(m, Ty::USER_REGION_END, &[task, REGION_NAME, 1]);
            }
            Step::AssistBegin(k) => {
                let Some((m, g)) = self.running_where(k, |g| !self.assisting.contains(&g)) else {
                    return false;
                };
                let t = self.emit(m, Ty::GC_MARK_ASSIST_BEGIN, &[1]);
                self.range(t, ASSIST_RANGE, "begin");
                self.assisting.insert(g);
            }
            Step::AssistEnd(k) => {
                let Some((m, g)) = self.running_where(k, |g| self.assisting.contains(&g)) else {
                    return false;
                };
                let t = self.emit(m, Ty::GC_MARK_ASSIST_END, &[]);
                self.range(t, ASSIST_RANGE, "end");
                self.assisting.remove(&g);
            }
            Step::SweepBegin(k) => {
                let ms = self.ms_where(|m| {
                    !self.in_syscall(m) && m.p.is_some_and(|p| !self.sweeping.contains(&p))
                });
                let Some((m, p)) = Self::pick(&ms, k).and_then(|m| Some((m, self.ms[m].p?))) else {
                    return false;
                };
                let t = self.emit(m, Ty::GC_SWEEP_BEGIN, &[1]);
                self.range(t, SWEEP_RANGE, "begin");
                self.sweeping.insert(p);
            }
            Step::SweepEnd(k) => {
                let ms = self.ms_where(|m| {
                    !self.in_syscall(m) && m.p.is_some_and(|p| self.sweeping.contains(&p))
                });
                let Some((m, p)) = Self::pick(&ms, k).and_then(|m| Some((m, self.ms[m].p?))) else {
                    return false;
                };
                let t = self.emit(m, Ty::GC_SWEEP_END, &[4096, 2048]);
                self.range(t, SWEEP_RANGE, "end");
                self.sweeping.remove(&p);
            }
            Step::Log(k, j) => {
                let Some((m, _)) = self.running(k) else {
                    return false;
                };
                let task = self.task_or_none(j);
                self.emit(m, Ty::USER_LOG, &[task, LOG_KEY, LOG_VALUE, 2]);
            }
            Step::Label(k) => {
                let Some((m, _)) = self.running(k) else {
                    return false;
                };
                self.emit(m, Ty::GO_LABEL, &[LABEL]);
            }
            Step::CpuSample(k) => {
                let ms: Vec<usize> = (0..self.ms.len()).collect();
                let Some(m) = Self::pick(&ms, k) else {
                    return false;
                };
                let t = self.tick();
                let p = self.ms[m].p.map_or(u64::MAX, |p| p as u64);
                let g = self.ms[m].g.unwrap_or(0);
                self.samples.push([t, mid(m), p, g]);
            }
            Step::NextGeneration => {
                if self.gc && self.running(0).is_none() {
                    return false;
                }
                self.flush();
                self.gen += 1;
                for g in &mut self.gs {
                    g.2 = 0;
                }
                for p in &mut self.ps {
                    p.1 = 0;
                }
                self.statuses();
            }
        }
        true
    }

    /// Indices of the goroutines in state `st`.
    fn gs_in(&self, st: G) -> Vec<usize> {
        (0..self.gs.len()).filter(|&i| self.gs[i].1 == st).collect()
    }

    /// The M's goroutine is in a syscall and the M still has its P.
    fn in_syscall_with_p(&self, m: &M) -> bool {
        self.in_syscall(m) && m.p.is_some_and(|p| self.ps[p].0 == P::Syscall)
    }

    fn in_syscall(&self, m: &M) -> bool {
        m.g.is_some_and(|g| self.g_state(g) == Some(G::Syscall))
    }

    /// Writes the current generation: its sync batch, each M's batches, the stack and string
    /// tables, and from Go 1.26 the end marker.
    fn flush(&mut self) {
        let gen = self.gen;
        let start = self.gen_start;
        let mut sync = Vec::new();
        if self.version >= Version::Go1_25 {
            sync.push(event(Ty::SYNC, &[]));
        }
        sync.push(event(Ty::FREQUENCY, &[FREQUENCY]));
        if self.version >= Version::Go1_25 {
            // mono and wall clock: any values, as long as they are there.
            sync.push(event(Ty::CLOCK_SNAPSHOT, &[1, start, 1_800_000_000, 0]));
        }
        self.batch(gen, NO_M, start, sync);
        for m in 0..self.pending.len() {
            let events = std::mem::take(&mut self.pending[m]);
            for chunk in events.chunks(BATCH_EVENTS) {
                let Some(&(first, _)) = chunk.first() else {
                    continue;
                };
                let base = first - 1;
                let mut last = base;
                let evs = chunk
                    .iter()
                    .map(|(t, ev)| {
                        let mut ev = ev.clone();
                        ev.args.insert(0, t - last);
                        last = *t;
                        ev
                    })
                    .collect();
                self.batch(gen, mid(m), base, evs);
            }
        }
        let samples = std::mem::take(&mut self.samples);
        if let Some(first) = samples.first() {
            let mut evs = vec![event(Ty::CPU_SAMPLES, &[])];
            for s in &samples {
                evs.push(event(Ty::CPU_SAMPLE, &[s[0], s[1], s[2], s[3], 2]));
            }
            self.batch(gen, NO_M, first[0], evs);
        }
        let t = self.tick();
        let frames = |fs: &[(u64, u64, u64)]| -> Vec<RawFrame> {
            fs.iter()
                .map(|&(pc, func, line)| RawFrame {
                    pc,
                    func,
                    file: 5,
                    line,
                })
                .collect()
        };
        let stacks = vec![
            event(Ty::STACKS, &[]),
            stack(1, frames(&[(0x1000, 4, 10)])),
            stack(2, frames(&[(0x2000, 6, 20), (0x1000, 4, 10)])),
        ];
        self.batch(gen, NO_M, t, stacks);
        let mut strings = vec![event(Ty::STRINGS, &[])];
        for (i, s) in STRINGS.iter().enumerate() {
            let mut ev = event(Ty::STRING, &[i as u64 + 1]);
            ev.data = s.as_bytes().to_vec();
            strings.push(ev);
        }
        self.batch(gen, NO_M, t, strings);
        if self.version >= Version::Go1_26 {
            self.out.bytes.push(Ty::END_OF_GENERATION.0);
            self.out.batches.push(SynthBatch {
                generation: gen,
                m: NO_M,
                time: 0,
                events: Vec::new(),
                end_of_generation: true,
            });
        }
    }

    fn batch(&mut self, generation: u64, m: u64, time: u64, events: Vec<SynthEvent>) {
        let mut data = Vec::new();
        for ev in &events {
            ev.encode(self.version, &mut data);
        }
        write_event_batch(&mut self.out.bytes, generation, m, time, &data);
        self.out.batches.push(SynthBatch {
            generation,
            m,
            time,
            events,
            end_of_generation: false,
        });
    }
}

/// The thread ID of M number `m`: Go's are never 0.
fn mid(m: usize) -> u64 {
    m as u64 + 1
}

fn event(ty: Ty, args: &[u64]) -> SynthEvent {
    SynthEvent {
        ty,
        args: args.to_vec(),
        frames: Vec::new(),
        data: Vec::new(),
    }
}

fn stack(id: u64, frames: Vec<RawFrame>) -> SynthEvent {
    SynthEvent {
        ty: Ty::STACK,
        args: vec![id, frames.len() as u64],
        frames,
        data: Vec::new(),
    }
}
