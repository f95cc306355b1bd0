//! Generations: the self-contained slices of a v2 trace.
//!
//! The runtime writes a trace as a sequence of generations. Each one carries its own string table,
//! stack table, CPU samples and clock information, and the event batches of every M that ran in
//! it. A [`Generation`] gathers those, checks them as Go's reader does, and keeps the M batches
//! for the ordering layer.

use super::batch::{Batch, BatchKind, Batches};
use super::parse::{self, SyncEntry, Tables};
use crate::error::{Error, ErrorKind, Result};
use crate::event::{RawFrame, RawFrames};
use crate::hash::IdMap;
use crate::limits::{Limit, Limits};
use crate::parse::{to_error, PResult, Span};
use crate::spec::EventType;
use crate::version::Version;

/// A CPU profile sample, as recorded: raw timestamp in ticks and the M, P, goroutine and stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuSample {
    /// Timestamp in ticks.
    pub time: u64,
    /// The M (thread) that was running.
    pub m: u64,
    /// The P, or a P ID with no meaning if none was held.
    pub p: u64,
    /// The goroutine; 0 for none.
    pub g: u64,
    /// The stack ID in this generation's stack table.
    pub stack: u64,
}

/// A snapshot of the trace clock against the monotonic and wall clocks (Go 1.25+).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawClockSnapshot {
    /// Trace timestamp in ticks.
    pub time: u64,
    /// Monotonic clock reading, nanoseconds.
    pub mono: u64,
    /// Wall clock seconds since the Unix epoch.
    pub sec: u64,
    /// Wall clock nanoseconds within the second.
    pub nsec: u64,
}

/// One generation of a v2 trace: its tables and its M batches, borrowed from the input.
#[derive(Debug, Clone)]
pub struct Generation<'a> {
    number: u64,
    offset: u64,
    end_offset: u64,
    batches: Vec<Batch<'a>>,
    experimental: Vec<Batch<'a>>,
    strings: IdMap<u64, &'a [u8]>,
    stacks: IdMap<u64, RawFrames<'a>>,
    pcs: IdMap<u64, RawFrame>,
    cpu_samples: Vec<CpuSample>,
    frequency: Option<u64>,
    clock_snapshot: Option<RawClockSnapshot>,
    min_time: Option<u64>,
    /// Whether a string table batch and a stack table batch were seen.
    seen_tables: (bool, bool),
    /// Salvage only: what cut the generation short (see [`Generations::salvage`]).
    broken: Option<Error>,
}

impl<'a> Generation<'a> {
    fn new(offset: u64) -> Generation<'a> {
        Generation {
            number: 0,
            offset,
            end_offset: offset,
            batches: Vec::new(),
            experimental: Vec::new(),
            strings: IdMap::default(),
            stacks: IdMap::default(),
            pcs: IdMap::default(),
            cpu_samples: Vec::new(),
            frequency: None,
            clock_snapshot: None,
            min_time: None,
            seen_tables: (false, false),
            broken: None,
        }
    }

    /// The generation number.
    pub fn number(&self) -> u64 {
        self.number
    }
    /// Byte offset of the generation's first batch.
    pub fn offset(&self) -> u64 {
        self.offset
    }
    /// Byte offset just past the generation's last batch.
    pub fn end_offset(&self) -> u64 {
        self.end_offset
    }
    /// The event batches of the Ms, in file order.
    pub fn batches(&self) -> &[Batch<'a>] {
        &self.batches
    }
    /// The experimental batches, in file order.
    pub fn experimental_batches(&self) -> &[Batch<'a>] {
        &self.experimental
    }
    /// The string with this ID; ID 0 is the empty string.
    pub fn string(&self, id: u64) -> Option<&'a [u8]> {
        if id == 0 {
            return Some(&[]);
        }
        self.strings.get(&id).copied()
    }
    /// The string table: IDs and strings, in no particular order.
    pub fn strings(&self) -> impl Iterator<Item = (u64, &'a [u8])> + '_ {
        self.strings.iter().map(|(&id, &s)| (id, s))
    }
    /// The stack table: IDs and frames, in no particular order.
    pub fn stacks(&self) -> impl Iterator<Item = (u64, &RawFrames<'a>)> + '_ {
        self.stacks.iter().map(|(&id, f)| (id, f))
    }
    /// Number of strings in the string table.
    pub fn string_count(&self) -> usize {
        self.strings.len()
    }
    /// The frames of the stack with this ID; ID 0 is the empty stack.
    pub fn stack(&self, id: u64) -> Option<&RawFrames<'a>> {
        if id == 0 {
            return Some(&crate::event::NO_FRAMES);
        }
        self.stacks.get(&id)
    }
    /// Number of stacks in the stack table.
    pub fn stack_count(&self) -> usize {
        self.stacks.len()
    }
    /// The frame first recorded for a PC in this generation. Go resolves every frame of a stack
    /// through its PC this way.
    pub fn frame_for_pc(&self, pc: u64) -> Option<RawFrame> {
        self.pcs.get(&pc).copied()
    }
    /// CPU samples in file order (timestamps in ticks).
    pub fn cpu_samples(&self) -> &[CpuSample] {
        &self.cpu_samples
    }
    /// Timestamp ticks per second.
    pub fn frequency(&self) -> u64 {
        self.frequency.unwrap_or(0)
    }
    /// The clock snapshot (Go 1.25+).
    pub fn clock_snapshot(&self) -> Option<RawClockSnapshot> {
        self.clock_snapshot
    }
    /// What cut this generation short, when it was read by [`Generations::salvage`] and is
    /// incomplete: it holds the batches before the damage, and none of the checks Go makes of
    /// a complete generation but that it has a frequency. `None` for a complete generation.
    pub fn broken(&self) -> Option<&Error> {
        self.broken.as_ref()
    }
    /// Whether the generation had a string table batch and a stack table batch. A complete
    /// generation has both; one salvaged from a cut trace has often lost them (the runtime
    /// writes them last).
    pub fn has_tables(&self) -> (bool, bool) {
        self.seen_tables
    }
    /// The smallest batch timestamp of the generation's M batches and tables.
    pub fn min_time(&self) -> u64 {
        self.min_time.unwrap_or(0)
    }

    fn add(&mut self, b: Batch<'a>, limits: &Limits) -> Result<()> {
        let ctx = b.context();
        self.end_offset = b.data_offset() + b.data().len() as u64;
        self.check_size(&b, limits)?;
        if self.min_time.is_none_or(|t| b.time() < t) {
            self.min_time = Some(b.time());
        }
        let first = b.first_event_type();
        let version = b.version();
        let r = match b.kind() {
            BatchKind::Experimental(_) => {
                self.experimental.push(b);
                Ok(())
            }
            BatchKind::EndOfGeneration => Ok(()),
            BatchKind::Events => match first {
                Some(EventType::STRINGS) => {
                    self.seen_tables.0 = true;
                    self.add_strings(&b, limits)
                }
                Some(EventType::STACKS) => {
                    self.seen_tables.1 = true;
                    self.add_stacks(&b, limits)
                }
                Some(EventType::CPU_SAMPLES) => self.add_cpu_samples(&b, limits),
                Some(EventType::FREQUENCY) if version < Version::Go1_25 => {
                    self.add_sync(&b, limits)
                }
                Some(EventType::SYNC) if version >= Version::Go1_25 => self.add_sync(&b, limits),
                _ => {
                    self.batches.push(b);
                    Ok(())
                }
            },
        };
        r.map_err(|e| e.in_batch(ctx))
    }

    /// Refuses a generation grown past the limit with batch `b`, its last.
    fn check_size(&self, b: &Batch<'_>, limits: &Limits) -> Result<()> {
        let size = self.end_offset.saturating_sub(self.offset);
        limits
            .check(Limit::GenerationBytes, size, b.offset())
            .map_err(|e| e.in_batch(b.context()))?;
        Ok(())
    }

    /// Reads the entries of table batch `b` with `entry`, after `skip` bytes (the section
    /// header's type byte, if it has one), handing each to `add` with its offset in the trace.
    fn entries<T>(
        b: &Batch<'a>,
        skip: usize,
        limits: &Limits,
        entry: impl Fn(&Tables, Span<'a>) -> PResult<'a, T>,
        mut add: impl FnMut(T, u64) -> Result<()>,
    ) -> Result<()> {
        let tables = Tables::new(b.version(), limits.max_stack_depth);
        let base = b.data_offset();
        let mut input = Span::at(b.data(), skip);
        while !input.is_empty() {
            let (rest, v) = entry(&tables, input).map_err(|e| to_error(e, input, base))?;
            add(v, base + input.position() as u64)?;
            input = rest;
        }
        Ok(())
    }

    fn add_strings(&mut self, b: &Batch<'a>, limits: &Limits) -> Result<()> {
        let strings = &mut self.strings;
        Self::entries(b, 1, limits, parse::string_entry, |(id, data), at| {
            let n = strings.len() as u64 + 1;
            limits.check(Limit::StringsPerGeneration, n, at)?;
            if id == 0 || strings.insert(id, data).is_some() {
                return Err(Error::new(ErrorKind::DuplicateString(id), at));
            }
            Ok(())
        })
    }

    fn add_stacks(&mut self, b: &Batch<'a>, limits: &Limits) -> Result<()> {
        let (stacks, pcs) = (&mut self.stacks, &mut self.pcs);
        Self::entries(b, 1, limits, parse::stack_entry, |(id, frames), at| {
            let n = stacks.len() as u64 + 1;
            limits.check(Limit::StacksPerGeneration, n, at)?;
            for f in frames.iter() {
                pcs.entry(f.pc).or_insert(f);
            }
            if id == 0 || stacks.insert(id, frames).is_some() {
                return Err(Error::new(ErrorKind::DuplicateStack(id), at));
            }
            Ok(())
        })
    }

    fn add_cpu_samples(&mut self, b: &Batch<'a>, limits: &Limits) -> Result<()> {
        let samples = &mut self.cpu_samples;
        Self::entries(b, 1, limits, parse::cpu_sample, |s, _| {
            samples.push(s);
            Ok(())
        })
    }

    fn add_sync(&mut self, b: &Batch<'a>, limits: &Limits) -> Result<()> {
        // From Go 1.25 on the batch opens with a `Sync` byte; before, with its `Frequency`.
        let skip = usize::from(b.version() >= Version::Go1_25);
        let mut last = b.time();
        let (frequency, clock) = (&mut self.frequency, &mut self.clock_snapshot);
        Self::entries(b, skip, limits, parse::sync_entry, |e, at| {
            let fail = |what| Err(Error::new(ErrorKind::Generation(what), at));
            match e {
                SyncEntry::Frequency(_) if frequency.is_some() => {
                    fail("found multiple frequency events")
                }
                SyncEntry::Frequency(f) => {
                    *frequency = Some(f);
                    Ok(())
                }
                SyncEntry::ClockSnapshot { .. } if clock.is_some() => {
                    fail("found multiple clock snapshot events")
                }
                SyncEntry::ClockSnapshot {
                    dt,
                    mono,
                    sec,
                    nsec,
                } => {
                    last = last.wrapping_add(dt);
                    *clock = Some(RawClockSnapshot {
                        time: last,
                        mono,
                        sec,
                        nsec,
                    });
                    Ok(())
                }
            }
        })
    }

    /// Checks what Go checks once a generation is complete.
    fn finish(&self, version: Version) -> Result<()> {
        let fail = |what| Err(Error::new(ErrorKind::Generation(what), self.offset));
        if self.frequency.is_none() {
            return fail("no frequency event found");
        }
        if version >= Version::Go1_25 && self.clock_snapshot.is_none() {
            return fail("no clock snapshot event found");
        }
        if self
            .stacks
            .values()
            .any(|frames| self.dangling(frames).is_some())
        {
            return Err(self.first_dangling());
        }
        Ok(())
    }

    /// The first string a stack's frames refer to that the string table lacks: what it is
    /// (`"func string"`, `"file string"`) and its ID. Go checks the frame first recorded for
    /// each PC, the func string before the file string.
    fn dangling(&self, frames: &RawFrames<'a>) -> Option<(&'static str, u64)> {
        frames.iter().find_map(|f| {
            let f = self.pcs.get(&f.pc).copied().unwrap_or(f);
            [("func string", f.func), ("file string", f.file)]
                .into_iter()
                .find(|&(_, sid)| self.string(sid).is_none())
        })
    }

    /// The error of the stack with the lowest ID that has a dangling string: Go's, which
    /// checks its (compacted) stack table in ID order, whatever order a hash map keeps.
    #[cold]
    fn first_dangling(&self) -> Error {
        let mut ids: Vec<u64> = self.stacks.keys().copied().collect();
        ids.sort_unstable();
        let found = ids.into_iter().find_map(|id| {
            let (what, sid) = self.dangling(self.stacks.get(&id)?)?;
            Some(ErrorKind::DanglingReference {
                stack: id,
                what,
                id: sid,
            })
        });
        let kind = found.unwrap_or(ErrorKind::Generation("dangling string reference"));
        Error::new(kind, self.offset)
    }
}

/// Iterator over the generations of a v2 trace. It ends after the first error.
///
/// Before Go 1.26 a generation ends where a batch of the next generation begins; from Go 1.26 on,
/// at an `EndOfGeneration` marker. As in Go, an error in the batch stream after a complete
/// generation is reported after that generation.
#[derive(Debug, Clone)]
pub struct Generations<'a> {
    version: Version,
    batches: Batches<'a>,
    spill: Option<Batch<'a>>,
    pending_err: Option<Error>,
    done: bool,
    salvage: bool,
    /// Where the bytes end short of a batch that was cut (a stream's last batch, read in
    /// part): met when the batches run out, as the slice reader meets it there.
    cut: Option<Error>,
}

impl<'a> Generations<'a> {
    pub(crate) fn new(version: Version, batches: Batches<'a>) -> Generations<'a> {
        Generations {
            version,
            batches,
            spill: None,
            pending_err: None,
            done: false,
            salvage: false,
            cut: None,
        }
    }

    /// The batches end where a batch was cut with error `e`: when they run out, the generation
    /// is refused (or salvaged) for `e`, as if the cut batch were still there.
    pub(crate) fn cut_at(mut self, e: Option<Error>) -> Generations<'a> {
        self.cut = e;
        self
    }

    /// Reads as far as the trace can be trusted rather than as Go does: where Go refuses a
    /// generation (cut short, a batch broken, a table missing or damaged), the generation comes
    /// with the batches read before the damage and says what broke it
    /// ([`Generation::broken`]), and is the last. A generation with no frequency, whose times
    /// mean nothing, or with no M's batch, is still an error.
    ///
    /// ```
    /// # fn main() -> Result<(), trace_format::Error> {
    /// let bytes = std::fs::read("../../testdata/traces/go1.23.9/gc.trace").unwrap();
    /// let cut = &bytes[..bytes.len() / 2];
    /// let trace = trace_format::Trace::parse(cut)?;
    /// assert!(trace.generations()?.any(|g| g.is_err()));
    /// let g = trace.generations()?.salvage().next().unwrap()?;
    /// assert!(g.broken().is_some() && !g.batches().is_empty());
    /// # Ok(()) }
    /// ```
    pub fn salvage(mut self) -> Generations<'a> {
        self.salvage = true;
        self
    }

    fn read(&mut self) -> Result<Option<Generation<'a>>> {
        if let Some(e) = self.pending_err.take() {
            return Err(e);
        }
        let mut g = Generation::new(self.batches.offset());
        let mut started = false;
        if let Some(b) = self.spill.take() {
            g.offset = b.offset();
            g.number = b.generation();
            started = true;
            let limits = self.batches.limits();
            if let Err(e) = g.add(b, &limits) {
                return self.refuse(g, e);
            }
        }
        let in_band_end = self.version >= Version::Go1_26;
        loop {
            let next = self.batches.next().or_else(|| self.cut.take().map(Err));
            let b = match next {
                None if !started => return Ok(None),
                // As Go: a cut generation holding no M's batch (only tables) ends the trace.
                None if in_band_end && g.batches.is_empty() => return Ok(None),
                None if in_band_end => {
                    let kind = ErrorKind::Generation(
                        "incomplete generation found; trace likely truncated",
                    );
                    return self.refuse(g, Error::new(kind, self.batches.offset()));
                }
                None => break,
                // Go reads an EndOfGeneration byte as a batch of generation 0 whatever the
                // version, and refuses that generation number at once.
                Some(Err(e)) if !in_band_end && is_end_of_generation(&e) => {
                    let kind = ErrorKind::Generation("invalid generation number 0");
                    return self.refuse(g, Error::new(kind, e.offset()));
                }
                Some(Err(e)) if started && !in_band_end && !e.is_limit() && !self.salvage => {
                    self.pending_err = Some(e);
                    break;
                }
                Some(Err(e)) if started => return self.refuse(g, e),
                Some(Err(e)) => return Err(e),
                Some(Ok(b)) => b,
            };
            if !started {
                g.offset = b.offset();
                g.number = b.generation();
                started = true;
            }
            if b.kind() == BatchKind::EndOfGeneration {
                g.end_offset = b.data_offset();
                g.check_size(&b, &self.batches.limits())?;
                break;
            }
            let gen = b.generation();
            let bad = |what| Error::new(ErrorKind::Generation(what), b.offset());
            if gen == 0 {
                return self.refuse(g, bad("invalid generation number 0"));
            }
            if gen != g.number {
                if in_band_end {
                    let e = bad("missing end-of-generation event, or generations are interleaved");
                    return self.refuse(g, e);
                }
                if gen == g.number.wrapping_add(1) {
                    self.spill = Some(b);
                    break;
                }
                return self.refuse(g, bad("generations out of order"));
            }
            let limits = self.batches.limits();
            if let Err(e) = g.add(b, &limits) {
                return self.refuse(g, e);
            }
        }
        if let Err(e) = g.finish(self.version) {
            return self.refuse(g, e);
        }
        Ok(Some(g))
    }

    /// Generation `g` is refused for `e`: an error, as Go has it, or in salvage what of it
    /// can be kept (see [`salvage`](Self::salvage)).
    fn refuse(&mut self, mut g: Generation<'a>, e: Error) -> Result<Option<Generation<'a>>> {
        // With no frequency its times mean nothing; with no M's batch there is nothing to keep.
        // A limit the reader was given is no damage: it stops salvage as it stops reading.
        if !self.salvage || e.is_limit() || g.frequency.is_none() || g.batches.is_empty() {
            return Err(e);
        }
        // The trace past the damage is not read.
        self.spill = None;
        g.broken = Some(e);
        Ok(Some(g))
    }
}

/// Whether `e` is the batch reader's refusal of an EndOfGeneration byte in a trace before Go
/// 1.26, whose table lacks it.
fn is_end_of_generation(e: &Error) -> bool {
    let ty = EventType::END_OF_GENERATION.0;
    matches!(e.kind(), ErrorKind::UnknownEvent { ty: t, .. } if *t == ty)
}

impl<'a> Iterator for Generations<'a> {
    type Item = Result<Generation<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.read().transpose();
        let broken = matches!(&r, Some(Ok(g)) if g.broken.is_some());
        if broken || matches!(r, Some(Err(_)) | None) {
            self.done = true;
        }
        r
    }
}
