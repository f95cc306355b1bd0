//! Salvage: reading a broken trace as far as it can be trusted, past where Go stops.

use super::*;

/// What [`Reader::salvage`] kept of a broken trace and what it left out, complete once the
/// reader has handed out its last event ([`Reader::salvage_report`]).
///
/// The events handed out are those Go's reader gives (every complete generation), then those
/// of the generation the trace breaks in that could be ordered: the batches before the damage,
/// ordered until no event can happen (one whose cause was lost, say). Each is an event of the
/// whole trace, with its M, P, goroutine, kind and time.
#[derive(Debug, Default)]
pub struct SalvageReport {
    /// Where the trace breaks, if it does: the error Go's reader stops at (or the first of
    /// the generation's damage that Go reports later).
    pub damage: Option<Error>,
    /// Why ordering stopped before the end of what was read: an event that can't happen
    /// without the events lost (Go's "stuck"), or another error past the damage.
    pub stopped: Option<Error>,
    /// The generations read completely, as Go reads them.
    pub complete_generations: u64,
    /// The generation the trace breaks in, when some of it was kept.
    pub broken_generation: Option<u64>,
    /// Generations found but left out whole: one broken before any of it could be used
    /// (no frequency, or a Go 1.5–1.21 trace, which is one generation).
    pub generations_dropped: u64,
    /// M batches of the broken generation whose every event was handed out.
    pub batches_kept: u64,
    /// M batches of the broken generation with events left out, ordering having stopped (some
    /// of their events may have been handed out).
    pub batches_dropped: u64,
    /// Events of the broken generation's batches left out: the events left in
    /// `batches_dropped` batches, and CPU samples after the last event.
    pub events_dropped: u64,
    /// Byte offset just past the last batch read: what lies past it is left out.
    pub bytes_read: u64,
    /// The trace's size, when the reader was given it whole.
    pub total_bytes: Option<u64>,
    /// The time of the last event handed out before the final `Sync`.
    pub last_trusted_time: Time,
    /// Whether the broken generation lost its string table: its events name unknown strings
    /// (empty), and [`Event::tables_lost`] says so.
    pub strings_lost: bool,
    /// Whether the broken generation lost its stack table: its events' stacks are unknown
    /// (empty), and [`Event::tables_lost`] says so.
    pub stacks_lost: bool,
}

impl SalvageReport {
    /// Nothing read yet, the header aside.
    pub(super) fn new() -> SalvageReport {
        SalvageReport {
            bytes_read: trace_format::HEADER_LEN as u64,
            ..SalvageReport::default()
        }
    }

    /// Whether the trace was read whole: nothing was left out.
    pub fn is_whole(&self) -> bool {
        self.damage.is_none() && self.stopped.is_none()
    }

    /// Bytes left out, when the trace's size is known (`total_bytes`, or given here).
    pub fn bytes_dropped(&self, total_bytes: Option<u64>) -> Option<u64> {
        let total = total_bytes.or(self.total_bytes)?;
        Some(total.saturating_sub(self.bytes_read))
    }

    /// The report as [`Display`](std::fmt::Display) writes it, with the trace's size given
    /// when the reader had none (a stream's length is known to whoever opened it), so that it
    /// can say how many bytes were left out.
    ///
    /// ```
    /// # fn main() -> Result<(), trace_model::Error> {
    /// let bytes = std::fs::read("../../testdata/traces/go1.27.3/gc.trace").unwrap();
    /// let cut = &bytes[..bytes.len() / 2];
    /// let mut r = trace_model::Reader::from_read_salvage(cut)?;
    /// while r.next_event()?.is_some() {}
    /// let report = r.salvage_report().unwrap();
    /// let text = report.with_size(Some(cut.len() as u64)).to_string();
    /// assert!(text.contains(&format!(" of {}; last trusted event", cut.len())));
    /// # Ok(()) }
    /// ```
    pub fn with_size(&self, total_bytes: Option<u64>) -> impl std::fmt::Display + '_ {
        WithSize {
            report: self,
            total_bytes,
        }
    }
}

/// [`SalvageReport::with_size`].
struct WithSize<'r> {
    report: &'r SalvageReport,
    total_bytes: Option<u64>,
}

impl std::fmt::Display for SalvageReport {
    /// What was kept and dropped, in a few lines, for a tool's standard error.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.with_size(None).fmt(f)
    }
}

impl std::fmt::Display for WithSize<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let this = self.report;
        if this.is_whole() {
            return write!(f, "salvage: the trace is whole; nothing was dropped");
        }
        if let Some(e) = &this.damage {
            writeln!(f, "salvage: the trace breaks: {e}")?;
        }
        if let Some(e) = &this.stopped {
            writeln!(f, "salvage: ordering stopped: {e}")?;
        }
        write!(
            f,
            "salvage: kept {} complete generation(s)",
            this.complete_generations
        )?;
        if let Some(g) = this.broken_generation {
            let mut sep = "; ";
            if this.batches_kept == 0 && this.batches_dropped == 0 {
                // A Go 1.5–1.21 trace, ordered whole: its batches aren't counted.
                write!(f, " and the events of broken generation {g} (")?;
                sep = "";
            } else {
                write!(
                    f,
                    " and {} whole batch(es) of broken generation {g} ({} more in part; {} \
                     event(s) dropped",
                    this.batches_kept, this.batches_dropped, this.events_dropped
                )?;
            }
            match (this.strings_lost, this.stacks_lost) {
                (true, true) => write!(f, "{sep}its string and stack tables lost")?,
                (true, false) => write!(f, "{sep}its string table lost")?,
                (false, true) => write!(f, "{sep}its stack table lost")?,
                (false, false) => write!(f, "{sep}its tables whole")?,
            }
            write!(f, ")")?;
        }
        writeln!(
            f,
            "; {} generation(s) dropped whole",
            this.generations_dropped
        )?;
        let total = self.total_bytes.or(this.total_bytes);
        match (this.bytes_dropped(total), total) {
            (Some(n), Some(total)) => write!(
                f,
                "salvage: dropped {n} byte(s) past byte {} of {total}",
                this.bytes_read
            )?,
            _ => write!(
                f,
                "salvage: dropped everything past byte {}",
                this.bytes_read
            )?,
        }
        write!(f, "; last trusted event at {} ns", this.last_trusted_time)
    }
}

impl<'a> Reader<'a> {
    /// Reads a trace held in memory as far as it can be trusted, where [`new`](Self::new)
    /// would stop at the first damage as Go does: every complete generation (Go's events),
    /// then the generation the trace breaks in, its batches before the damage ordered as far
    /// as the ordering can go, even with its string and stack tables lost (its events then
    /// name unknown strings and no stack, and [`Event::tables_lost`] says so). Ordering stops
    /// cleanly at the first event that can't happen, and a final `Sync` closes the trace.
    /// [`salvage_report`](Self::salvage_report) says what was left out.
    ///
    /// A Go 1.5–1.21 trace, one generation ordered whole, keeps its records up to the damage
    /// when they include its clock frequency and the first of the stacks that follow it (Go
    /// 1.7 on writes them after its batches, so a trace cut in its closing stacks keeps every
    /// event, some stacks lost); cut earlier it keeps nothing, and the report says why.
    ///
    /// ```
    /// # fn main() -> Result<(), trace_model::Error> {
    /// let bytes = std::fs::read("../../testdata/traces/go1.23.9/generations.trace").unwrap();
    /// // Cut in the last generation's string table, which the runtime writes last.
    /// let cut = &bytes[..bytes.len() - 200];
    /// let mut reader = trace_model::Reader::salvage(cut)?;
    /// let mut n = 0;
    /// while let Some(_) = reader.next_event()? {
    ///     n += 1;
    /// }
    /// let report = reader.salvage_report().unwrap();
    /// assert!(report.damage.is_some() && report.complete_generations == 2);
    /// assert!(report.broken_generation == Some(3) && report.strings_lost && n > 0);
    /// # Ok(()) }
    /// ```
    pub fn salvage(bytes: &'a [u8]) -> Result<Reader<'a>> {
        Self::salvage_with_limits(bytes, Limits::default())
    }

    /// [`salvage`](Self::salvage), holding the trace to `limits` (see
    /// [`with_limits`](Self::with_limits)); breaking one is an error still, not damage.
    pub fn salvage_with_limits(bytes: &'a [u8], limits: Limits) -> Result<Reader<'a>> {
        let report = SalvageReport {
            total_bytes: Some(bytes.len() as u64),
            ..SalvageReport::new()
        };
        let mut r = Self::open_slice(bytes, limits, true)?;
        if r.salvage.is_none() {
            r.salvage = Some(Box::new(report));
        }
        Ok(r)
    }

    /// [`from_read`](Self::from_read), reading as [`salvage`](Self::salvage) does. Memory
    /// holds a generation at a time, as it does for `from_read`.
    pub fn from_read_salvage<R: Read + Send + 'a>(r: R) -> Result<Reader<'a>> {
        Self::from_read_salvage_with_limits(r, Limits::default())
    }

    /// [`from_read_salvage`](Self::from_read_salvage), holding the trace to `limits`.
    pub fn from_read_salvage_with_limits<R: Read + Send + 'a>(
        r: R,
        limits: Limits,
    ) -> Result<Reader<'a>> {
        // Salvage reads on the calling thread: the read-ahead worker needs a `'static` stream,
        // which this doesn't ask for.
        let mut r = Self::open_read(r, limits, true, |stream| Source::Stream(Box::new(stream)))?;
        if r.salvage.is_none() {
            r.salvage = Some(Box::new(SalvageReport::new()));
        }
        Ok(r)
    }

    /// Salvage of a Go 1.5–1.21 trace: the records up to the damage, ordered whole; or, when
    /// they can't be (no clock frequency, or no consistent order), a reader with no event and
    /// a report that says why. Not a trace at all is an error still.
    pub(super) fn salvage_v1(version: Version, bytes: &[u8], limits: Limits) -> Result<Reader<'a>> {
        check_v1_size(bytes, limits)?;
        let mut report = SalvageReport {
            total_bytes: Some(bytes.len() as u64),
            ..SalvageReport::new()
        };
        let mut damage = None;
        let mut r = match V1Events::open_salvage(bytes, limits, Some(&mut damage)) {
            Ok(mut v1) => {
                report.bytes_read = damage
                    .as_ref()
                    .and_then(Error::offset)
                    .unwrap_or(bytes.len() as u64);
                if damage.is_some() {
                    // The stacks and strings that close a v1 trace are cut short.
                    report.broken_generation = Some(1);
                    report.stacks_lost = true;
                    report.strings_lost = true;
                    if let Some(t) = Arc::get_mut(&mut v1.table) {
                        t.tables_lost = true;
                    }
                } else {
                    report.complete_generations = 1;
                }
                report.damage = damage;
                Self::with_v1(version, v1, report.bytes_read)
            }
            Err(e) => {
                // The damage is where the records end; why they can't be ordered comes after.
                match damage {
                    Some(d) => {
                        report.damage = Some(d);
                        report.stopped = Some(e);
                    }
                    None => report.damage = Some(e),
                }
                report.generations_dropped = 1;
                let mut r = Self::with_source(version, Source::None);
                r.done = true;
                r
            }
        };
        r.salvage = Some(Box::new(report));
        Ok(r)
    }

    /// What salvage kept and left out: `None` unless the reader was made by
    /// [`salvage`](Self::salvage) or [`from_read_salvage`](Self::from_read_salvage). Complete
    /// once the last event has been handed out.
    pub fn salvage_report(&self) -> Option<&SalvageReport> {
        self.salvage.as_deref()
    }

    /// Salvage: the error `e` ends the reading cleanly. What is queued is dropped, the
    /// generation being ordered becomes the broken one (if it wasn't), its batches with events
    /// left are counted, and a final `Sync` closes the trace. `Err(e)` (nothing done) when not
    /// salvaging, when the trace has ended, or when `e` is the caller's limit broken.
    #[cold]
    pub(super) fn salvage_stop(&mut self, e: Error) -> Result<(), Error> {
        let Some(report) = self.salvage.as_deref_mut() else {
            return Err(e);
        };
        let limit = matches!(e.kind(), ErrorKind::Format(f) if f.is_limit());
        if limit || (self.finished && self.order.queue.is_empty()) {
            return Err(e);
        }
        if report.damage.is_none() {
            report.damage = Some(e);
        } else {
            report.stopped = Some(e);
        }
        self.order.queue.drop_pending();
        report.events_dropped = report
            .events_dropped
            .saturating_add(self.cpu_samples.len() as u64);
        if let Some(gen) = self.gen.as_ref() {
            if !gen.broken {
                // Damage Go's parser let through, found ordering: this generation is broken.
                report.complete_generations = report.complete_generations.saturating_sub(1);
                report.broken_generation = Some(gen.number);
            }
            let mut dropped = 0u64;
            for f in &self.frontier {
                let Some(c) = self.cursors.get_mut(f.cursor) else {
                    continue;
                };
                let batches = gen.ms.get(c.mi).map_or(0, |(_, b)| b.len());
                dropped += batches.saturating_sub(c.batch) as u64;
                // The event the cursor is on, and those after it.
                let mut events = 1u64;
                while let Ok(true) = c.next_event(gen, self.types) {
                    events += 1;
                }
                report.events_dropped = report.events_dropped.saturating_add(events);
            }
            report.batches_dropped = dropped;
            report.batches_kept = gen.batch_count().saturating_sub(dropped);
        }
        self.frontier.clear();
        self.cursors.clear();
        self.cpu_samples = Vec::new().into_iter();
        report.last_trusted_time = self.last_ts;
        self.gen = None;
        self.order.table = None;
        self.finished = true;
        self.sync(false, self.last_ts);
        Ok(())
    }

    /// Salvage: the generation just read (`gen`) is the one the trace breaks in, or a
    /// complete one; recorded as such.
    pub(super) fn salvage_generation(&mut self) {
        let (Some(report), Some(gen)) = (self.salvage.as_deref_mut(), self.gen.as_mut()) else {
            return;
        };
        report.bytes_read = gen.end_offset;
        if !gen.broken {
            report.complete_generations += 1;
            return;
        }
        if let Some(e) = gen.damage.take() {
            report.damage = Some(e);
        }
        if gen.batch_count() == 0 {
            // Nothing of it to keep: only tables, or not even those.
            report.generations_dropped += 1;
            return;
        }
        report.broken_generation = Some(gen.number);
        report.batches_kept = gen.batch_count();
        (report.strings_lost, report.stacks_lost) = gen.tables_lost;
    }

    /// Salvage: the trace ended; the last event handed out is the last trusted one.
    pub(super) fn salvage_end(&mut self) {
        if let Some(report) = self.salvage.as_deref_mut() {
            report.last_trusted_time = self.last_ts;
        }
    }
}
