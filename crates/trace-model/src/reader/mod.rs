//! The reader: generations in, one ordered stream of events out.
//!
//! A generation's events sit in per-M batches. The reader keeps a cursor on each M's next event
//! (the frontier, a min-heap by time), and asks the ordering whether the earliest can happen;
//! if not, it tries the others in time order. CPU samples, which no ordering constrains, are
//! merged in by time. A `Sync` event opens every generation and closes the trace. This is the
//! algorithm of Go's `internal/trace.Reader`, including the exact heap operations, so that events
//! with equal timestamps come out in Go's order.

use crate::error::{Error, ErrorKind, OrderError, Result};
use crate::event::{
    spec_of, wire_name, BaseEvent, Event, GoId, GoState, ProcId, ProcState, SchedCtx, ThreadId,
    Time,
};
use crate::gosort::sort_func;
use crate::order::Ordering;
use crate::table::{Frequency, Table, TableRef};
use crate::v1::V1Events;
use std::borrow::Cow;
use std::io::Read;
use std::sync::Arc;
use trace_format::v2::{Generation, Generations};
use trace_format::{EventType, Family, Limit, Limits, StreamReader, Trace, Version};

mod cursor;
mod generation;
mod heap;
mod salvage;
mod validate;

pub use salvage::SalvageReport;

use cursor::*;
use generation::*;
use heap::Front;
use validate::*;

/// Events in order, read by [`Reader::read_batch`]: to hand a run of events to another thread.
#[derive(Clone, Default)]
pub struct EventBatch {
    /// The events; those past `len` are left from earlier fills, to be reused.
    events: Vec<Event>,
    len: usize,
}

impl EventBatch {
    /// The events.
    pub fn events(&self) -> &[Event] {
        self.events.get(..self.len).unwrap_or_default()
    }
    /// How many events.
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The events, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Event> {
        self.events().iter()
    }
}

impl std::fmt::Debug for EventBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.events()).finish()
    }
}

impl<'b> IntoIterator for &'b EventBatch {
    type Item = &'b Event;
    type IntoIter = std::slice::Iter<'b, Event>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// How [`Reader::from_read_with_options`] reads a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderOptions {
    /// The limits the trace is held to.
    pub limits: Limits,
    /// How many threads read: 1, everything on the calling thread; 2 (or more), the next
    /// generation read on a worker thread while the calling thread orders the current one.
    /// The default is 2 where [`std::thread::available_parallelism`] says there is a second
    /// core, else 1.
    pub threads: usize,
}

impl Default for ReaderOptions {
    fn default() -> ReaderOptions {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        ReaderOptions {
            limits: Limits::default(),
            threads: cores.min(2),
        }
    }
}

/// Reads the events of a trace in order, one at a time, with the state of every goroutine, P
/// and M at that point. For Go 1.22+ memory holds the current generation, not the trace; a Go
/// 1.5–1.21 trace is one generation, ordered whole when the reader opens it (as Go does).
///
/// ```
/// # fn main() -> Result<(), trace_model::Error> {
/// let bytes = std::fs::read("../../testdata/traces/go1.23.9/chan.trace").unwrap();
/// let mut reader = trace_model::Reader::new(&bytes)?;
/// let mut blocked = 0;
/// while let Some(event) = reader.next_event()? {
///     if let Some(t) = event.state_transition() {
///         if t.goroutine().is_some_and(|(_, to)| to == trace_model::GoState::Waiting) {
///             blocked += 1;
///         }
///     }
/// }
/// assert!(blocked > 0);
/// # Ok(()) }
/// ```
pub struct Reader<'a> {
    version: Version,
    source: Source<'a>,
    gen: Option<GenData<'a>>,
    /// A cursor on each M of the generation.
    cursors: Vec<Cursor>,
    /// The cursors with events left: a heap by the time of their next event.
    frontier: Vec<Front>,
    cpu_samples: std::vec::IntoIter<CpuSampleEvent>,
    order: Ordering,
    syncs: u64,
    last_ts: Time,
    /// The M, byte offset and type of the event advanced last: the queued events came from it,
    /// so an error found reading them is located there.
    advanced: (ThreadId, u64, u8),
    /// An error reading the next generation, reported after the `Sync` that precedes it.
    pending: Option<Error>,
    /// An error met filling a batch that already held events: the next batch reports it.
    batch_error: Option<Error>,
    /// The final `Sync` has been read.
    finished: bool,
    read_to: u64,
    /// Byte offset just past the last generation read completely.
    complete_to: u64,
    done: bool,
    /// The event handed out last when it isn't in the ordering's queue: every event of a v1
    /// trace, and a Go 1.22+ event that took the short path for the commonest events with
    /// `next_event`. Only its table changes, once a generation, so handing out events costs
    /// no reference counting.
    slot: Event,
    /// Whether the event handed out last is `slot` rather than the queue's.
    lent_slot: bool,
    types: &'static [TypeInfo; 256],
    /// Per event type, the largest value each argument may have with no lookup in the
    /// generation's tables: the end of the dense run of stack or string IDs for an ID,
    /// anything for another argument.
    limits: Box<[[u64; 4]; 256]>,
    /// A Go 1.5–1.21 trace: read, ordered and checked whole when opened.
    v1: Option<Box<V1Events>>,
    /// Reading as far as the trace can be trusted ([`Reader::salvage`]): what was kept.
    salvage: Option<Box<SalvageReport>>,
}

impl<'a> Reader<'a> {
    /// Reads a trace held in memory: Go's binary format (any version), or Go's raw text format
    /// (`Trace Go1.N` and one event per line).
    pub fn new(bytes: &'a [u8]) -> Result<Reader<'a>> {
        Self::with_limits(bytes, Limits::default())
    }

    /// [`new`](Self::new), holding the trace to `limits`: batch size, stack depth, strings and
    /// stacks per generation, bytes per generation and in all. Breaking one is an
    /// [`ErrorKind::Format`] error of kind
    /// [`LimitExceeded`](trace_format::ErrorKind::LimitExceeded).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let bytes = std::fs::read("../../testdata/traces/go1.23.9/chan.trace")?;
    /// let mut limits = trace_model::Limits::default();
    /// limits.max_batch_size = 512;
    /// let mut reader = trace_model::Reader::with_limits(&bytes, limits)?;
    /// let err = loop {
    ///     match reader.next_event() {
    ///         Ok(Some(_)) => {}
    ///         Ok(None) => panic!("every batch fit in 512 bytes"),
    ///         Err(e) => break e,
    ///     }
    /// };
    /// assert!(err.to_string().contains("over the limit of 512"), "{err}");
    /// # Ok(()) }
    /// ```
    pub fn with_limits(bytes: &'a [u8], limits: Limits) -> Result<Reader<'a>> {
        Self::open_slice(bytes, limits, false)
    }

    /// [`with_limits`](Self::with_limits), salvaging when `salvage` (see
    /// [`salvage`](Self::salvage)).
    fn open_slice(bytes: &'a [u8], limits: Limits, salvage: bool) -> Result<Reader<'a>> {
        if bytes.starts_with(b"Trace Go") {
            return Self::from_text(bytes, limits, salvage);
        }
        let trace = Trace::parse_with_limits(bytes, limits)?;
        let version = trace.version();
        if version.family() == Family::V1 && salvage {
            return Self::salvage_v1(version, bytes, limits);
        }
        if version.family() == Family::V1 {
            return Self::from_v1(version, bytes, limits);
        }
        let mut generations = trace.generations()?;
        if salvage {
            generations = generations.salvage();
        }
        Ok(Self::with_source(
            version,
            Source::Slice {
                input: bytes,
                generations,
            },
        ))
    }

    /// Reads a trace from a stream, holding one generation at a time. Go's raw text format is
    /// recognised by its first line and read whole.
    ///
    /// How the source hands out its bytes doesn't matter: a reader that returns one byte at a
    /// time (a socket, a decompressor, a chained reader) reads as the whole file does. The
    /// reader is `Send`, so the stream can move to another thread.
    pub fn from_read<R: Read + Send + 'a>(r: R) -> Result<Reader<'a>> {
        Self::from_read_with_limits(r, Limits::default())
    }

    /// [`from_read`](Self::from_read), holding the trace to `limits`. Nothing past
    /// [`Limits::max_total_bytes`] is read, and no generation past
    /// [`Limits::max_generation_bytes`] is held; a v1 trace, read whole, is one generation.
    pub fn from_read_with_limits<R: Read + Send + 'a>(r: R, limits: Limits) -> Result<Reader<'a>> {
        Self::open_read(r, limits, false, |stream| Source::Stream(Box::new(stream)))
    }

    /// Reads a trace from a stream that is its own (a file, a socket), as
    /// [`from_read_with_limits`](Self::from_read_with_limits) does, on `options.threads`
    /// threads. With two (the default where the machine has a second core), a worker thread
    /// reads the next generation from the stream, frames its batches, builds its string and
    /// stack tables and splits its batches by M while this one orders the current one: the
    /// events, the errors and where they are found are the same, and memory holds two
    /// generations at most. With one, everything is done on the calling thread.
    ///
    /// ```
    /// # fn main() -> Result<(), trace_model::Error> {
    /// use trace_model::{Reader, ReaderOptions};
    /// let path = "../../testdata/traces/go1.27.3/generations.trace";
    /// let count = |threads| -> Result<u64, trace_model::Error> {
    ///     let file = std::fs::File::open(path).unwrap();
    ///     let options = ReaderOptions { threads, ..ReaderOptions::default() };
    ///     let mut reader = Reader::from_read_with_options(file, options)?;
    ///     let mut n = 0;
    ///     while reader.next_event()?.is_some() {
    ///         n += 1;
    ///     }
    ///     Ok(n)
    /// };
    /// assert_eq!(count(1)?, count(2)?);
    /// # Ok(()) }
    /// ```
    pub fn from_read_with_options<R: Read + Send + 'static>(
        r: R,
        options: ReaderOptions,
    ) -> Result<Reader<'static>> {
        Reader::open_read(r, options.limits, false, |stream| {
            let stream = Box::new(stream);
            if options.threads < 2 {
                return Source::Stream(stream);
            }
            match ReadAhead::start(stream) {
                Ok(worker) => Source::Worker(Box::new(worker)),
                Err(stream) => Source::Stream(stream),
            }
        })
    }

    /// Opens the trace at `path` and reads it as
    /// [`from_read_with_options`](Self::from_read_with_options) does with the default options:
    /// a generation is read ahead on a second thread where the machine has a second core.
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<Reader<'static>> {
        let file = std::fs::File::open(path).map_err(|e| trace_format::Error::io(e, 0))?;
        Reader::from_read_with_options(file, ReaderOptions::default())
    }

    /// [`from_read_with_limits`](Self::from_read_with_limits), salvaging when `salvage` (see
    /// [`salvage`](Self::salvage)), with a Go 1.22+ binary trace's generations read from the
    /// stream `source` makes.
    fn open_read<R: Read + Send + 'a>(
        mut r: R,
        limits: Limits,
        salvage: bool,
        source: impl FnOnce(StreamReader<Box<dyn Read + Send + 'a>>) -> Source<'a>,
    ) -> Result<Reader<'a>> {
        // The header decides the format: read all of it, however short the source's reads.
        let mut head = Vec::with_capacity(trace_format::HEADER_LEN);
        if let Err(e) = (&mut r)
            .take(trace_format::HEADER_LEN as u64)
            .read_to_end(&mut head)
        {
            return Err(trace_format::Error::io(e, head.len() as u64).into());
        }
        let is_text = head.starts_with(b"Trace Go");
        let version = Version::from_header(&head).ok();
        let r = std::io::Cursor::new(head).chain(r);
        if is_text {
            let text = read_whole(r, limits, Limit::TotalBytes)?;
            return Self::from_text(&text, limits, salvage);
        }
        if let Some(version) = version.filter(|v| v.family() == Family::V1) {
            // A v1 trace can only be ordered whole, as Go does too.
            // It is one generation, so both byte limits bound it.
            let limit = if limits.max_generation_bytes < limits.max_total_bytes {
                Limit::GenerationBytes
            } else {
                Limit::TotalBytes
            };
            let bytes = read_whole(r, limits, limit)?;
            if salvage {
                return Self::salvage_v1(version, &bytes, limits);
            }
            return Self::from_v1(version, &bytes, limits);
        }
        let mut stream =
            StreamReader::with_limits(Box::new(r) as Box<dyn Read + Send + 'a>, limits)?;
        if salvage {
            stream = stream.salvage();
        }
        let version = stream.version();
        Ok(Self::with_source(version, source(stream)))
    }

    /// Reads Go's raw text format: the events are encoded back to the binary format first, so
    /// byte offsets in errors refer to that encoding.
    fn from_text(text: &[u8], limits: Limits, salvage: bool) -> Result<Reader<'a>> {
        let mut r = trace_format::TextReader::new(text)?;
        let version = r.version();
        require_v2(version)?;
        let mut bin = version.header().to_vec();
        for ev in &mut r {
            ev?.encode(&mut bin);
        }
        let bin = Box::new(std::io::Cursor::new(bin)) as Box<dyn Read + Send + 'a>;
        let mut stream = StreamReader::with_limits(bin, limits)?;
        if salvage {
            stream = stream.salvage();
        }
        Ok(Self::with_source(version, Source::Stream(Box::new(stream))))
    }

    /// A v1 trace: everything is read, ordered and checked now.
    fn from_v1(version: Version, bytes: &[u8], limits: Limits) -> Result<Reader<'a>> {
        check_v1_size(bytes, limits)?;
        let v1 = V1Events::open(bytes, limits)?;
        Ok(Self::with_v1(version, v1, bytes.len() as u64))
    }

    /// A reader of a Go 1.5–1.21 trace's events, ordered whole, read to byte `read_to`.
    fn with_v1(version: Version, v1: V1Events, read_to: u64) -> Reader<'a> {
        let mut r = Self::with_source(version, Source::None);
        r.read_to = read_to;
        r.complete_to = read_to;
        r.v1 = Some(Box::new(v1));
        r
    }

    fn with_source(version: Version, source: Source<'a>) -> Reader<'a> {
        Reader {
            version,
            source,
            gen: None,
            cursors: Vec::new(),
            frontier: Vec::new(),
            cpu_samples: Vec::new().into_iter(),
            order: Ordering::new(),
            syncs: 0,
            last_ts: 0,
            advanced: (crate::NO_THREAD, 0, 0),
            pending: None,
            batch_error: None,
            finished: false,
            read_to: 0,
            complete_to: trace_format::HEADER_LEN as u64,
            done: false,
            slot: Event::empty(),
            lent_slot: false,
            types: type_info(),
            limits: Box::new([[u64::MAX; 4]; 256]),
            v1: None,
            salvage: None,
        }
    }

    /// Whether a worker thread reads the next generation ahead (see
    /// [`from_read_with_options`](Self::from_read_with_options)).
    pub fn reads_ahead(&self) -> bool {
        matches!(self.source, Source::Worker(_))
    }

    /// The trace's version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// How far into the trace the reader has read: the byte offset just past the generation
    /// being ordered. For progress reports.
    pub fn bytes_read(&self) -> u64 {
        self.read_to
    }

    /// How much of the trace has been read completely: the byte offset just past the last
    /// generation whose every event has been handed out (just past the header before the
    /// first; the whole trace for a Go 1.5–1.21 trace, read whole). When a trace turns out
    /// broken, Go's tools keep the generations before this offset and leave out the rest.
    pub fn bytes_complete(&self) -> u64 {
        self.complete_to
    }

    /// The number of the generation being read, 0 before the first.
    pub fn generation(&self) -> u64 {
        if self.v1.is_some() {
            // A v1 trace is one generation.
            return 1;
        }
        self.gen.as_ref().map_or(0, |g| g.number)
    }

    /// The state of goroutine `g` after the last event read, if the trace has told it.
    pub fn goroutine_state(&self, g: GoId) -> Option<GoState> {
        self.order.goroutine_state(g)
    }

    /// The state of P `p` after the last event read, if the trace has told it.
    pub fn proc_state(&self, p: ProcId) -> Option<ProcState> {
        self.order.proc_state(p)
    }

    /// The goroutine and P that M `m` holds after the last event read
    /// ([`NO_GOROUTINE`](crate::NO_GOROUTINE), [`NO_PROC`](crate::NO_PROC) for none).
    pub fn thread_state(&self, m: ThreadId) -> Option<(GoId, ProcId)> {
        self.order.thread_state(m)
    }

    /// Every goroutine the trace has told of and not seen end, with its state.
    pub fn goroutines(&self) -> impl Iterator<Item = (GoId, GoState)> + '_ {
        self.order.goroutines()
    }

    /// Every M seen, with the goroutine and P it holds.
    pub fn threads(&self) -> impl Iterator<Item = (ThreadId, GoId, ProcId)> + '_ {
        self.order.threads()
    }

    /// The next event, `None` after the last; after an error, `None`. The event is lent until
    /// the next call (clone it to keep it): the fastest way through a trace. The reader is also
    /// an [`Iterator`] of owned events.
    // Inlined into the caller's loop (whose crate could not otherwise): as a call, every event
    // paid for saving and restoring registers and for building the result in memory.
    // Always: a hint alone left it a call in a closure (criterion's loop).
    #[inline(always)]
    pub fn next_event(&mut self) -> Result<Option<&Event>> {
        if self.done {
            return Ok(None);
        }
        if self.v1.is_some() {
            return self.next_event_v1();
        }
        match self.next_v2() {
            Ok(true) if self.lent_slot => Ok(Some(&self.slot)),
            Ok(true) => Ok(self.order.queue.last()),
            Ok(false) => {
                self.done = true;
                Ok(None)
            }
            Err(e) => self.next_event_salvaged(e),
        }
    }

    /// [`next_event`](Self::next_event) after error `e`: the error, or in salvage the final
    /// `Sync` that now closes the trace.
    #[cold]
    #[inline(never)]
    fn next_event_salvaged(&mut self, e: Error) -> Result<Option<&Event>> {
        if let Err(e) = self.salvage_stop(e) {
            return Err(self.failed(e));
        }
        self.lent_slot = false;
        match self.next_queued() {
            Ok(true) => Ok(self.order.queue.last()),
            Ok(false) => {
                self.done = true;
                Ok(None)
            }
            Err(e) => Err(self.failed(e)),
        }
    }

    /// [`next_event`](Self::next_event) of a Go 1.5–1.21 trace.
    #[inline(never)]
    fn next_event_v1(&mut self) -> Result<Option<&Event>> {
        match self.next_v1() {
            Ok(true) => Ok(Some(&self.slot)),
            Ok(false) => {
                self.done = true;
                Ok(None)
            }
            Err(e) if self.salvage.is_some() => {
                // Salvage: the events so far, then a final `Sync`, as for Go 1.22+.
                if let Some(v1) = self.v1.take() {
                    (self.syncs, self.last_ts) = v1.progress();
                }
                if let Some(report) = self.salvage.as_deref_mut() {
                    report.complete_generations = 0;
                    report.broken_generation = Some(1);
                }
                self.next_event_salvaged(e)
            }
            Err(e) => Err(self.failed(e)),
        }
    }

    /// Reads up to `max` events into `batch` (replacing what it held), returning how many;
    /// 0 after the last. An error comes after the events before it, in the next call.
    ///
    /// A batch can go to another thread while this one reads the next: a pipeline that
    /// analyses events on one core while the reader orders them on another. Refill batches
    /// rather than make new ones: the events in a batch keep their generation's tables, so
    /// filling costs no reference counting per event. State queries such as
    /// [`goroutine_state`](Self::goroutine_state) answer for the batch's last event.
    ///
    /// ```
    /// # fn main() -> Result<(), trace_model::Error> {
    /// let bytes = std::fs::read("../../testdata/traces/go1.23.9/chan.trace").unwrap();
    /// let mut reader = trace_model::Reader::new(&bytes)?;
    /// use std::sync::mpsc;
    /// use trace_model::EventBatch;
    /// // Two batches go round: full ones to the counting thread, empty ones back.
    /// let (full_tx, full_rx) = mpsc::sync_channel::<EventBatch>(2);
    /// let (empty_tx, empty_rx) = mpsc::channel::<EventBatch>();
    /// for _ in 0..2 {
    ///     empty_tx.send(EventBatch::default()).unwrap();
    /// }
    /// let counter = std::thread::spawn(move || {
    ///     let mut transitions = 0;
    ///     for batch in full_rx {
    ///         transitions += batch.iter().filter(|ev| ev.state_transition().is_some()).count();
    ///         let _ = empty_tx.send(batch);
    ///     }
    ///     transitions
    /// });
    /// let mut read = 0;
    /// while let Ok(mut batch) = empty_rx.recv() {
    ///     if reader.read_batch(&mut batch, 1024)? == 0 {
    ///         break;
    ///     }
    ///     read += batch.len();
    ///     full_tx.send(batch).unwrap();
    /// }
    /// drop(full_tx);
    /// let transitions = counter.join().unwrap();
    /// assert!(transitions > 0 && transitions < read);
    /// # Ok(()) }
    /// ```
    pub fn read_batch(&mut self, batch: &mut EventBatch, max: usize) -> Result<usize> {
        batch.len = 0;
        if let Some(e) = self.batch_error.take() {
            return Err(e);
        }
        if self.v1.is_none() {
            return self.read_batch_v2(batch, max);
        }
        while batch.len < max {
            match self.next_event() {
                Ok(Some(ev)) => {
                    match batch.events.get_mut(batch.len) {
                        Some(slot) => slot.assign(ev),
                        None => batch.events.push(ev.clone()),
                    }
                    batch.len += 1;
                }
                Ok(None) => break,
                Err(e) => return self.batch_failed(batch, e),
            }
        }
        Ok(batch.len)
    }

    /// [`read_batch`](Self::read_batch) for Go 1.22+: the ordering builds the events in the
    /// batch's storage, so none is copied; an event the short path takes is made there and
    /// read at once, as [`next_event`](Self::next_event) makes it in the slot.
    fn read_batch_v2(&mut self, batch: &mut EventBatch, max: usize) -> Result<usize> {
        let mut result = Ok(());
        self.order.queue.lend(&mut batch.events);
        while !self.done && self.order.queue.read() < max {
            let before = self.order.queue.read();
            let step = if self.order.queue.is_empty() {
                self.next_common(Dest::Read)
            } else {
                Ok(false)
            };
            let step = match step {
                Ok(false) => self.next_queued(),
                taken => taken,
            };
            match step {
                Ok(true) => {}
                Ok(false) => self.done = true,
                Err(e) => {
                    // An event that failed its checks as it was handed out stays out of the
                    // batch, as `next_event` doesn't lend it.
                    if self.order.queue.read() > before {
                        self.order.queue.unpop();
                    }
                    if let Err(e) = self.salvage_stop(e) {
                        result = Err(self.failed(e));
                        break;
                    }
                }
            }
        }
        batch.len = self.order.queue.give_back(&mut batch.events);
        match result {
            Ok(()) => Ok(batch.len),
            Err(e) => self.batch_failed(batch, e),
        }
    }

    /// An error reading a batch: now if the batch is empty, else with the next batch.
    fn batch_failed(&mut self, batch: &EventBatch, e: Error) -> Result<usize> {
        if batch.len == 0 {
            return Err(e);
        }
        self.batch_error = Some(e);
        Ok(batch.len)
    }

    #[cold]
    fn failed(&mut self, e: Error) -> Error {
        self.done = true;
        e
    }

    /// Puts the next event of a v1 trace in the slot; `false` after the last.
    #[inline(never)]
    fn next_v1(&mut self) -> Result<bool> {
        let Some(v1) = self.v1.as_mut() else {
            return Ok(false);
        };
        let Some(p) = v1.next()? else {
            return Ok(false);
        };
        self.slot.set(p, Some(&v1.table));
        self.order.observe(&self.slot);
        if let Some(report) = self.salvage.as_deref_mut() {
            if self.slot.kind() != crate::EventKind::Sync {
                report.last_trusted_time = self.slot.time();
            }
        }
        Ok(true)
    }

    /// Makes the next event of a Go 1.22+ trace the one to lend, in the slot (`lent_slot`)
    /// or the queue; `false` after the last.
    #[inline(always)]
    fn next_v2(&mut self) -> Result<bool> {
        if self.order.queue.is_empty() && self.next_common(Dest::Slot)? {
            self.lent_slot = true;
            return Ok(true);
        }
        self.lent_slot = false;
        self.next_queued()
    }

    /// The earliest event, when no CPU sample comes before it and the ordering's short path
    /// takes it, made where `dest` says and handed out as the queue's events are: in the slot
    /// rather than queued for [`next_event`](Self::next_event) (queueing and popping it was a
    /// seventh of the pass); for [`read_batch`](Self::read_batch), in the queue, which is
    /// empty, and read at once, with no step through [`fill`](Self::fill) and back. `false`
    /// changes nothing. An error leaves things as the queue's path does: one found moving the
    /// cursor on, the event queued; one found handing it out, read.
    #[inline(always)]
    fn next_common(&mut self, dest: Dest) -> Result<bool> {
        // A CPU sample before the event is `fill`'s to merge in.
        if let (Some(s), Some(f)) = (self.cpu_samples.as_slice().first(), self.frontier.first()) {
            if s.time < f.time {
                return Ok(false);
            }
        }
        if !self.take_earliest(dest)? {
            return Ok(false);
        }
        let ev = match dest {
            Dest::Slot => &mut self.slot,
            Dest::Read => match self.order.queue.last_mut() {
                Some(ev) => ev,
                None => return Ok(false),
            },
            // Handed out when it is read from the queue.
            Dest::Queue => return Ok(true),
        };
        hand_out(
            ev,
            &self.limits,
            &self.gen,
            self.advanced,
            &mut self.last_ts,
        )?;
        Ok(true)
    }

    /// [`next_v2`](Self::next_v2) through the queue: the next event is the queue's.
    #[inline(always)]
    fn next_queued(&mut self) -> Result<bool> {
        if self.order.queue.is_empty() && !self.fill()? {
            return Ok(false);
        }
        let Some(ev) = self.order.queue.pop() else {
            return Ok(false);
        };
        hand_out(
            ev,
            &self.limits,
            &self.gen,
            self.advanced,
            &mut self.last_ts,
        )?;
        Ok(true)
    }

    /// Queues the `Sync` event that opens a generation (with its tables) or ends the trace.
    fn sync(&mut self, with_table: bool, time: Time) {
        self.syncs += 1;
        let table = self.gen.as_ref().map(|g| &g.table).filter(|_| with_table);
        let base = BaseEvent {
            ty: crate::event::EV_SYNC,
            time,
            args: [self.syncs, 0, 0, 0],
        };
        self.order.queue.push(table, SchedCtx::NONE, base);
    }

    /// Fills the empty queue; `false` at the end of the trace.
    #[inline(always)]
    fn fill(&mut self) -> Result<bool> {
        // Most of the time the earliest event of any M can happen: try that first.
        let sample_first = self
            .cpu_samples
            .as_slice()
            .first()
            .is_some_and(|s| self.frontier.first().is_none_or(|c| s.time < c.time));
        if !sample_first && !self.frontier.is_empty() && self.advance_earliest()? {
            return Ok(true);
        }
        self.fill_slow(sample_first)
    }

    /// [`fill`](Self::fill) when the earliest event can't happen: a CPU sample comes first,
    /// another M's event must, or the generation is over. `tried` says whether the earliest
    /// event was tried (and could not happen).
    #[inline(never)]
    fn fill_slow(&mut self, sample_first: bool) -> Result<bool> {
        let tried = !sample_first && !self.frontier.is_empty();
        if self.finished {
            return Ok(false);
        }
        if self.frontier.is_empty() && self.cpu_samples.len() == 0 {
            self.next_generation()?;
            return Ok(true);
        }
        if let Some(s) = self.cpu_samples.as_slice().first() {
            if self.frontier.first().is_none_or(|c| s.time < c.time) {
                let s = *s;
                self.cpu_samples.next();
                let mut base = BaseEvent {
                    ty: EventType::CPU_SAMPLE.0,
                    time: s.time,
                    args: [0; 4],
                };
                base.args[0] = s.stack;
                let table = self.gen.as_ref().map(|g| &g.table);
                self.order.queue.push(table, s.ctx, base);
                return Ok(true);
            }
        }
        if tried || !self.try_advance(0)? {
            let frontier = &mut self.frontier;
            sort_func(frontier, |a, b| a.time.cmp(&b.time));
            let mut advanced = false;
            for i in 1..self.frontier.len() {
                if self.try_advance(i)? {
                    advanced = true;
                    break;
                }
            }
            if !advanced {
                return Err(Error::new(OrderError::Stuck {
                    generation: self.generation(),
                }));
            }
        }
        if self.order.queue.is_empty() {
            return Err(Error::new(OrderError::State(
                "internal error: advanced, but no event".into(),
            )));
        }
        Ok(true)
    }

    /// [`try_advance`](Self::try_advance) of the earliest event, by the ordering's path for
    /// the commonest events when it can take it.
    #[inline(always)]
    fn advance_earliest(&mut self) -> Result<bool> {
        if self.take_earliest(Dest::Queue)? {
            return Ok(true);
        }
        self.try_advance(0)
    }

    /// The earliest event by the ordering's short path, if it takes it: applied, put where
    /// `dest` says (a constant where this is inlined), and its cursor moved on, as
    /// [`try_advance`](Self::try_advance) does. `false` changes nothing.
    #[inline(always)]
    fn take_earliest(&mut self, dest: Dest) -> Result<bool> {
        let Some((gen, c)) = cursor_at(&self.gen, &self.frontier, &mut self.cursors, 0) else {
            return Ok(false);
        };
        let Some(slot) = c.mslot else {
            return Ok(false);
        };
        let Some(ctx) = self.order.apply_common(&c.ev, slot, gen.number) else {
            return Ok(false);
        };
        self.advanced = (c.m, c.offset, c.ev.ty);
        match dest {
            Dest::Slot => {
                // The slot holds this generation's tables (`next_generation` put them there).
                self.slot.ctx = ctx;
                self.slot.base = c.ev;
            }
            Dest::Queue => {
                self.order.queue.push(self.order.table.as_ref(), ctx, c.ev);
            }
            Dest::Read => {
                self.order
                    .queue
                    .push_read(self.order.table.as_ref(), ctx, c.ev);
            }
        }
        if let Err(e) = c.move_on(gen, self.types, &mut self.frontier, 0) {
            if dest == Dest::Read {
                // Queued but not read, as on the queue's path.
                self.order.queue.unpop();
            }
            return Err(e);
        }
        Ok(true)
    }

    /// Tries to apply cursor `i`'s event; on success moves the cursor on.
    #[inline(always)]
    fn try_advance(&mut self, i: usize) -> Result<bool> {
        let Some((gen, c)) = cursor_at(&self.gen, &self.frontier, &mut self.cursors, i) else {
            return Ok(false);
        };
        let ok = self
            .order
            .advance(&mut c.ev, &gen.table, c.m, &mut c.mslot, gen.number)
            .map_err(|e| {
                let name = wire_name(c.ev.ty);
                Error::new(*e).at(gen.number, c.m, name, c.offset)
            })?;
        if !ok {
            return Ok(false);
        }
        self.advanced = (c.m, c.offset, c.ev.ty);
        c.move_on(gen, self.types, &mut self.frontier, i)?;
        Ok(true)
    }

    /// Moves to the next generation: its `Sync` event; the final `Sync` at the end; or, when
    /// the next generation can't be read, a `Sync` and then the error, as Go does.
    #[cold]
    fn next_generation(&mut self) -> Result<()> {
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
        self.complete_to = self.read_to.max(self.complete_to);
        // Every event of the last generation has been read: its bytes' memory, if it has
        // its own, takes the next generation's, which spares allocating and faulting in as
        // much memory again (and holding both at once).
        let spare = match self.gen.as_mut().map(|g| std::mem::take(&mut g.bytes)) {
            Some(Cow::Owned(v)) => v,
            _ => Vec::new(),
        };
        let next = match self.source.next_generation(spare) {
            Ok(Some(g)) => g,
            // Before Go 1.26 Go reads a first generation even from nothing, and finds it has no
            // frequency: a trace with no batches is an error.
            Ok(None) if self.syncs == 0 && self.version < Version::Go1_26 => {
                let kind = trace_format::ErrorKind::Generation("no frequency event found");
                let e = trace_format::Error::new(kind, trace_format::HEADER_LEN as u64);
                self.pending = Some(Error::from(e).in_generation(1));
                self.gen = None;
                self.order.table = None;
                self.sync(false, self.last_ts);
                return Ok(());
            }
            Ok(None) => {
                self.salvage_end();
                self.gen = None;
                self.finished = true;
                self.order.table = None;
                self.sync(false, self.last_ts);
                return Ok(());
            }
            Err(e) if self.salvage.is_some() => {
                // Salvage: a generation with nothing to use ends the trace.
                let generation = self.generation();
                self.gen = None;
                self.salvage_stop(e.in_generation(generation.saturating_add(1)))?;
                if let Some(report) = self.salvage.as_deref_mut() {
                    report.generations_dropped += 1;
                }
                return Ok(());
            }
            Err(e) => {
                let generation = self.generation();
                self.pending = Some(e.in_generation(generation.saturating_add(1)));
                self.gen = None;
                self.order.table = None;
                self.sync(false, self.last_ts);
                return Ok(());
            }
        };
        self.cpu_samples = Vec::new().into_iter();
        self.read_to = next.end_offset;
        let gen = self.gen.insert(next);
        self.cursors.clear();
        for (mi, &(m, _)) in gen.ms.iter().enumerate() {
            let mut c = Cursor::new(m, mi, gen.table.freq);
            if c.next_batch(gen, 0) && c.next_event(gen, self.types)? {
                let f = Front {
                    time: c.ev.time,
                    cursor: self.cursors.len(),
                };
                heap::insert(&mut self.frontier, f);
                self.cursors.push(c);
            }
        }
        self.cpu_samples = std::mem::take(&mut gen.cpu_samples).into_iter();
        let time = gen.table.freq.mul(gen.min_ts);
        let mut upto = [u64::MAX, gen.table.stacks_upto, gen.table.strings_upto];
        if self.salvage.is_some() && !gen.broken && gen.tables_lost != (false, false) {
            // A generation read whole but for its tables: cut just before them, which Go
            // finds out at the first event that names a stack or a string.
            let kind = trace_format::ErrorKind::Generation(
                "no string or stack table: trace likely truncated",
            );
            let e = trace_format::Error::new(kind, gen.end_offset);
            gen.broken = true;
            gen.damage = Some(Error::from(e).in_generation(gen.number));
        }
        if self.salvage.is_some() && gen.broken {
            // Salvage: IDs that resolve to nothing are allowed, and the events say so.
            upto = [u64::MAX; 3];
            if let Some(t) = Arc::get_mut(&mut gen.table) {
                t.tables_lost = gen.tables_lost != (false, false);
            }
        }
        for (lim, info) in self.limits.iter_mut().zip(self.types) {
            for (l, &kind) in lim.iter_mut().zip(&info.ids) {
                *l = upto.get(kind as usize).copied().unwrap_or(0);
            }
        }
        self.order.table = Some(gen.table.clone());
        self.slot.table = Some(gen.table.clone());
        self.sync(true, time);
        self.salvage_generation();
        Ok(())
    }
}

/// A Go 1.5–1.21 trace is one generation, ordered whole: refused past the generation limit,
/// at the first byte too many (whose offset is the limit).
fn check_v1_size(bytes: &[u8], limits: Limits) -> Result<()> {
    let first_too_many = limits.max_generation_bytes;
    limits.check(Limit::GenerationBytes, bytes.len() as u64, first_too_many)?;
    Ok(())
}

/// Where [`Reader::take_earliest`] puts the event it takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dest {
    /// The reader's slot, to lend from [`Reader::next_event`].
    Slot,
    /// The ordering's queue, to be read from it.
    Queue,
    /// The ordering's queue, which is empty, and read at once: made in place in the batch
    /// being read.
    Read,
}

/// The generation being ordered and the cursor `frontier[i]` names, if both are there.
#[inline(always)]
fn cursor_at<'g, 'c>(
    gen: &'g Option<GenData<'_>>,
    frontier: &[Front],
    cursors: &'c mut [Cursor],
    i: usize,
) -> Option<(&'g GenData<'g>, &'c mut Cursor)> {
    let gen = gen.as_ref()?;
    let c = cursors.get_mut(frontier.get(i)?.cursor)?;
    Some((gen, c))
}

/// The last steps before an event of generation `gen` (`None` past the last) is handed out,
/// whether from the queue or the slot: its IDs checked against the generation's tables (an error is located at
/// `advanced`, the M, byte offset and type of the event advanced last, which it came from),
/// and its time made to follow `last_ts` strictly, as Go does.
#[inline(always)]
fn hand_out(
    ev: &mut Event,
    limits: &[[u64; 4]; 256],
    gen: &Option<GenData<'_>>,
    advanced: (ThreadId, u64, u8),
    last_ts: &mut Time,
) -> Result<()> {
    if let Err(e) = validate_ids(ev, limits) {
        let (m, offset, ty) = advanced;
        let gen = gen.as_ref().map_or(0, |g| g.number);
        return Err(Error::new(e).at(gen, m, wire_name(ty), offset));
    }
    if ev.base.time <= *last_ts {
        ev.base.time = last_ts.wrapping_add(1);
    }
    *last_ts = ev.base.time;
    Ok(())
}

fn require_v2(version: Version) -> Result<()> {
    match version.family() {
        Family::V2 => Ok(()),
        Family::V1 => Err(Error::new(ErrorKind::Unsupported(version.minor()))),
    }
}

impl Iterator for Reader<'_> {
    type Item = Result<Event>;

    fn next(&mut self) -> Option<Result<Event>> {
        self.next_event().map(|e| e.cloned()).transpose()
    }
}

/// Reads what is left of `r`, refusing more bytes in all than `limit` allows (the header
/// already seen included, since `r` still holds it). The byte at the limit is the first too many.
fn read_whole(r: impl Read, limits: Limits, limit: Limit) -> Result<Vec<u8>> {
    let max = limits.get(limit);
    let mut bytes = Vec::new();
    if let Err(e) = r.take(max.saturating_add(1)).read_to_end(&mut bytes) {
        return Err(trace_format::Error::io(e, bytes.len() as u64).into());
    }
    // `check`'s last argument is the error's offset: the first byte too many is at `max`.
    limits.check(limit, bytes.len() as u64, max)?;
    Ok(bytes)
}

/// The reader moves to another thread, whatever it reads from: a worker thread or an async
/// runtime's blocking pool can take a stream.
#[allow(dead_code)]
fn reader_is_send() {
    fn send<T: Send>() {}
    send::<Reader<'static>>();
    send::<Error>();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A streamed generation holds the stream's buffer, not a copy: exactly its own bytes, from
    /// its first batch to past its last (in traces before Go 1.26 too, where the stream has
    /// already read the next generation's first batch), each batch where the trace has it, and
    /// one allocation for every generation whenever it is large enough.
    #[test]
    fn streamed_generations_hold_the_streams_buffer() {
        for version in ["go1.22.10", "go1.27.3"] {
            let path = format!(
                "{}/../../testdata/traces/{version}/generations.trace",
                env!("CARGO_MANIFEST_DIR")
            );
            let bytes = std::fs::read(path).unwrap();
            let mut r = Reader::from_read(&bytes[..]).unwrap();
            // Per generation: where its bytes are, their length and capacity, and how many
            // bytes of the trace it spans.
            let mut held = Vec::new();
            let (mut last, mut end) = (None, trace_format::HEADER_LEN as u64);
            while r.next_event().unwrap().is_some() {
                let Some(g) = &r.gen else { continue };
                if last == Some(g.number) {
                    continue;
                }
                last = Some(g.number);
                let Cow::Owned(v) = &g.bytes else {
                    panic!("a streamed generation has its own bytes");
                };
                for b in g.ms.iter().flat_map(|(_, b)| b) {
                    let at = b.offset as usize;
                    let want = &bytes[at..at + (b.end - b.start)];
                    assert!(&v[b.start..b.end] == want, "{version}: batch at {at}");
                }
                held.push((v.as_ptr(), v.len(), v.capacity(), g.end_offset - end));
                end = g.end_offset;
            }
            assert!(held.len() >= 3, "{version}: {held:?}");
            let mut reused = 0;
            for w in held.windows(2) {
                let ((before, _, room, _), (now, len, _, _)) = (w[0], w[1]);
                if len <= room {
                    assert_eq!(before, now, "{version}: {held:?}");
                    reused += 1;
                }
            }
            assert!(reused > 0, "{version}: {held:?}");
            for &(_, len, _, span) in &held {
                assert_eq!(len as u64, span, "{version}: {held:?}");
            }
        }
    }
}
