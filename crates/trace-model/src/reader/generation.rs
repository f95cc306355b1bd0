//! A generation ready to order: its tables, each M's batches, its CPU samples; and where
//! generations come from (a slice, a stream, or none for v1).

use super::*;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};

/// One batch of an M: its base time and where its events are.
#[derive(Debug, Clone, Copy)]
pub(super) struct BatchRef {
    pub(super) time: u64,
    /// Range in the generation's bytes.
    pub(super) start: usize,
    pub(super) end: usize,
    /// Byte offset of the data in the trace, for errors.
    pub(super) offset: u64,
}

/// A generation ready to order: its tables and each M's batches.
pub(super) struct GenData<'a> {
    pub(super) number: u64,
    pub(super) table: TableRef,
    pub(super) bytes: Cow<'a, [u8]>,
    /// Each M's batches, Ms in order of first appearance (Go's order).
    pub(super) ms: Vec<(ThreadId, Vec<BatchRef>)>,
    pub(super) cpu_samples: Vec<CpuSampleEvent>,
    pub(super) min_ts: u64,
    /// Byte offset just past the generation in the trace.
    pub(super) end_offset: u64,
    /// Salvage: the generation is cut short; what broke it, until the report takes it.
    pub(super) broken: bool,
    pub(super) damage: Option<Error>,
    /// Whether the string table and the stack table are missing.
    pub(super) tables_lost: (bool, bool),
}

#[derive(Debug, Clone, Copy)]
pub(super) struct CpuSampleEvent {
    pub(super) ctx: SchedCtx,
    pub(super) time: Time,
    pub(super) stack: u64,
}

impl<'a> GenData<'a> {
    /// Collects a generation whose bytes are `bytes`, the first at byte `base` of the trace:
    /// the whole trace when read from a slice, else the stream's buffer, which is taken once
    /// the generation has been collected (see [`Source::next_generation`]).
    pub(super) fn new(g: &Generation<'_>, bytes: Cow<'a, [u8]>, base: u64) -> GenData<'a> {
        let table = Table::from_generation(g);
        let freq = table.freq;
        let mut ms: Vec<(ThreadId, Vec<BatchRef>)> = Vec::new();
        for b in g.batches() {
            let data = b.data();
            // The batch's data is in `bytes`, which start at `base`.
            let start = b.data_offset().saturating_sub(base) as usize;
            let r = BatchRef {
                time: b.time(),
                start,
                end: start + data.len(),
                offset: b.data_offset(),
            };
            let m = b.m() as ThreadId;
            match ms.iter_mut().find(|(id, _)| *id == m) {
                Some((_, list)) => list.push(r),
                None => ms.push((m, vec![r])),
            }
        }
        let mut cpu_samples: Vec<CpuSampleEvent> = g
            .cpu_samples()
            .iter()
            .map(|s| CpuSampleEvent {
                ctx: SchedCtx {
                    g: if s.g == 0 {
                        crate::event::NO_GOROUTINE
                    } else {
                        s.g as GoId
                    },
                    p: s.p as ProcId,
                    m: s.m as ThreadId,
                },
                time: freq.mul(s.time),
                stack: s.stack,
            })
            .collect();
        sort_func(&mut cpu_samples, |a, b| a.time.cmp(&b.time));
        GenData {
            number: g.number(),
            table: Arc::new(table),
            bytes,
            ms,
            cpu_samples,
            min_ts: g.min_time(),
            end_offset: g.end_offset(),
            broken: g.broken().is_some(),
            damage: g
                .broken()
                .map(|e| Error::from(e.clone()).in_generation(g.number())),
            tables_lost: (!g.has_tables().0, !g.has_tables().1),
        }
    }
}

impl GenData<'_> {
    /// How many M batches the generation has.
    pub(super) fn batch_count(&self) -> u64 {
        self.ms.iter().map(|(_, b)| b.len() as u64).sum()
    }
}

/// Where generations come from.
pub(super) enum Source<'a> {
    /// A trace in memory: batches are used in place.
    Slice {
        input: &'a [u8],
        generations: Generations<'a>,
    },
    /// A stream: each generation's bytes are read into the stream's buffer, which the
    /// generation then takes.
    Stream(Box<StreamReader<Box<dyn Read + Send + 'a>>>),
    /// A stream read on a worker thread, a generation ahead of the one being ordered.
    Worker(Box<ReadAhead>),
    /// No generations: a v1 trace, read whole.
    None,
}

impl<'a> Source<'a> {
    /// The next generation; `spare` is the memory of the last one's bytes, if it had its own,
    /// for a stream to read the next into.
    pub(super) fn next_generation(&mut self, spare: Vec<u8>) -> Result<Option<GenData<'a>>> {
        match self {
            Source::Slice { input, generations } => match generations.next() {
                None => Ok(None),
                Some(g) => Ok(Some(GenData::new(&g?, Cow::Borrowed(*input), 0))),
            },
            Source::Stream(r) => {
                // One allocation serves every generation: the stream reads into the last
                // one's memory, and the generation takes the stream's buffer as it stands
                // rather than a copy of its batches.
                r.give_buffer(spare);
                let Some(g) = r.next_generation()? else {
                    return Ok(None);
                };
                // The buffer starts at the generation's first batch.
                let mut gen = GenData::new(&g, Cow::Borrowed(&[]), g.offset());
                gen.bytes = Cow::Owned(r.take_buffer().1);
                Ok(Some(gen))
            }
            Source::Worker(w) => w.next_generation(spare),
            Source::None => Ok(None),
        }
    }
}

/// What the read-ahead thread hands over: a generation, the end, or the error that ends it.
type ReadAheadResult = Result<Option<GenData<'static>>>;

/// A stream read on a worker thread: while one generation is ordered, the worker reads the
/// next one's bytes, frames its batches, builds its string and stack tables and splits its
/// batches by M. Generations are independent once read, so this changes nothing but where
/// the work is done. The worker holds at most one generation, finished and waiting to be taken
/// (it starts reading the next only once that one is), so memory holds two generations at most.
pub(super) struct ReadAhead {
    /// The worker's generations in order, each handed over when taken.
    generations: Receiver<ReadAheadResult>,
    /// The memory of the generation ordered last, for the worker to read a later one into.
    spares: Sender<Vec<u8>>,
    /// The byte offset just past the last generation taken, for an error when the worker is
    /// gone.
    read_to: u64,
}

impl ReadAhead {
    /// Starts a worker on `stream`; gives the stream back if no thread can be started.
    pub(super) fn start(
        stream: Box<StreamReader<Box<dyn Read + Send + 'static>>>,
    ) -> std::result::Result<ReadAhead, Box<StreamReader<Box<dyn Read + Send + 'static>>>> {
        // The worker is started first and given the stream after, so that a thread that can't
        // be started leaves the stream here, to be read on this thread.
        let (stream_tx, stream_rx) = sync_channel::<Box<StreamReader<_>>>(1);
        // A rendezvous: the worker's next generation waits in `send` until it is taken.
        let (gen_tx, generations) = sync_channel::<ReadAheadResult>(0);
        let (spares, spare_rx) = channel::<Vec<u8>>();
        let started = std::thread::Builder::new()
            .name("gotrace-read-ahead".into())
            .spawn(move || {
                if let Ok(stream) = stream_rx.recv() {
                    read_ahead(stream, &gen_tx, &spare_rx);
                }
            });
        if started.is_err() {
            return Err(stream);
        }
        let read_to = trace_format::HEADER_LEN as u64;
        stream_tx
            .send(stream)
            .map_err(|std::sync::mpsc::SendError(stream)| stream)?;
        Ok(ReadAhead {
            generations,
            spares,
            read_to,
        })
    }

    /// The next generation, as [`Source::next_generation`] reads it from a stream.
    fn next_generation(&mut self, spare: Vec<u8>) -> Result<Option<GenData<'static>>> {
        if spare.capacity() > 0 {
            // A worker that is gone has sent its last word, which `recv` reports below.
            let _ = self.spares.send(spare);
        }
        match self.generations.recv() {
            Ok(Ok(Some(g))) => {
                self.read_to = g.end_offset;
                Ok(Some(g))
            }
            Ok(other) => other,
            // The worker ends after the end or an error, which ends the reading here too, so
            // it can only be gone early by a panic.
            Err(_) => {
                let e = std::io::Error::other("the read-ahead thread stopped");
                Err(trace_format::Error::io(e, self.read_to).into())
            }
        }
    }
}

/// The read-ahead thread: reads generations from `stream` and hands them over in order, into
/// the memory of those already ordered, until the end, an error, or the reader is dropped.
fn read_ahead(
    stream: Box<StreamReader<Box<dyn Read + Send + 'static>>>,
    generations: &SyncSender<ReadAheadResult>,
    spares: &Receiver<Vec<u8>>,
) {
    let mut source = Source::Stream(stream);
    loop {
        // The generation taken last was sent with the memory of the one before it.
        let spare = spares.try_recv().unwrap_or_default();
        let next = source.next_generation(spare);
        let last = !matches!(next, Ok(Some(_)));
        if generations.send(next).is_err() || last {
            return;
        }
    }
}
