//! A generation ready to order: its tables, each M's batches, its CPU samples; and where
//! generations come from (a slice, a stream, or none for v1).

use super::*;

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
            Source::None => Ok(None),
        }
    }
}
