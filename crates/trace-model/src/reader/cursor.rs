//! A cursor on each M's next event: decoding the M's batches in place, one timed event at a
//! time, with what the reader needs to know of each event type.

use super::*;

/// A cursor on an M's next event.
#[derive(Debug)]
pub(super) struct Cursor {
    pub(super) m: ThreadId,
    /// Index of the M in [`GenData::ms`].
    pub(super) mi: usize,
    /// The batch being read, its base time and the range of its data in the generation's
    /// bytes still to read.
    pub(super) batch: usize,
    pub(super) batch_time: u64,
    pub(super) pos: usize,
    pub(super) end: usize,
    /// Byte offset in the trace of the batch's data, less its start in the generation's bytes.
    pub(super) offset_base: u64,
    pub(super) last_ts: Time,
    pub(super) ev: BaseEvent,
    /// Byte offset of `ev` in the trace.
    pub(super) offset: u64,
    /// The M's slot in the ordering's table of Ms, once known.
    pub(super) mslot: Option<usize>,
    /// The generation's tick frequency, here to spare two loads per event.
    pub(super) freq: Frequency,
}

impl Cursor {
    pub(super) fn new(m: ThreadId, mi: usize, freq: Frequency) -> Cursor {
        Cursor {
            freq,
            m,
            mi,
            batch: 0,
            batch_time: 0,
            pos: 0,
            end: 0,
            offset_base: 0,
            last_ts: 0,
            ev: BaseEvent {
                ty: 0,
                time: 0,
                args: [0; 4],
            },
            offset: 0,
            mslot: None,
        }
    }

    /// Moves to the M's next batch with data, from batch `from`; `false` when there is none.
    #[cold]
    pub(super) fn next_batch(&mut self, gen: &GenData<'_>, from: usize) -> bool {
        let Some((_, batches)) = gen.ms.get(self.mi) else {
            return false;
        };
        // Go accepts empty batches and skips them.
        let Some((i, b)) = batches
            .iter()
            .enumerate()
            .skip(from)
            .find(|(_, b)| b.start < b.end)
        else {
            self.batch = batches.len();
            return false;
        };
        self.batch = i;
        self.batch_time = b.time;
        self.pos = b.start;
        self.end = b.end;
        self.offset_base = b.offset.wrapping_sub(b.start as u64);
        self.last_ts = 0;
        true
    }

    /// Moves on from the event just applied: reads the M's next event and puts the cursor,
    /// `frontier[i]`, in its place in the frontier, or takes it out when the M has no more.
    #[inline(always)]
    pub(super) fn move_on(
        &mut self,
        gen: &GenData<'_>,
        types: &[TypeInfo; 256],
        frontier: &mut Vec<Front>,
        i: usize,
    ) -> Result<()> {
        if self.next_event(gen, types)? {
            if let Some(f) = frontier.get_mut(i) {
                f.time = self.ev.time;
            }
            heap::update(frontier, i);
        } else {
            heap::remove(frontier, i);
        }
        Ok(())
    }

    /// Reads the M's next event into `ev`; `false` when the M has no more.
    #[inline(always)]
    pub(super) fn next_event(
        &mut self,
        gen: &GenData<'_>,
        types: &[TypeInfo; 256],
    ) -> Result<bool> {
        if self.pos >= self.end && !self.next_batch(gen, self.batch + 1) {
            return Ok(false);
        }
        let freq = self.freq;
        if self.last_ts == 0 {
            self.last_ts = freq.mul(self.batch_time);
        }
        let data = gen.bytes.get(..self.end).unwrap_or_default();
        let at = self.pos;
        let offset = self.offset_base.wrapping_add(at as u64);
        let (n, dt) = decode_timed(data, at, &mut self.ev, self.offset_base, types)
            .map_err(|e| e.at(gen.number, self.m, "", offset))?;
        self.ev.time = freq.mul(dt).wrapping_add(self.last_ts);
        self.last_ts = self.ev.time;
        self.pos = n;
        self.offset = offset;
        Ok(true)
    }
}

/// Decodes the timed event at `data[pos..]` into `ev` (type and arguments), returning the
/// position after it and its timestamp delta. `base` is the trace offset of `data`, for errors.
#[inline(always)]
pub(super) fn decode_timed(
    data: &[u8],
    pos: usize,
    ev: &mut BaseEvent,
    base: u64,
    types: &[TypeInfo; 256],
) -> Result<(usize, u64)> {
    let bad_varint = |what, at: usize| {
        Error::new(trace_format::Error::new(
            trace_format::ErrorKind::BadVarint(what),
            base.wrapping_add(at as u64),
        ))
    };
    let Some(&ty) = data.get(pos) else {
        return Err(bad_varint("event type", pos));
    };
    let n_args = match types[ty as usize].args {
        TypeInfo::UNKNOWN => return Err(Error::new(OrderError::BadEventType(ty))),
        TypeInfo::UNTIMED => return Err(Error::new(OrderError::Untimed(ty))),
        n => n as usize,
    };
    ev.ty = ty;
    let input = trace_format::parse::Span::at(data, pos + 1);
    let (rest, dt) = trace_format::v2::parse::timed_event(input, n_args, &mut ev.args)
        .map_err(|e| Error::new(trace_format::parse::to_error(e, input, base)))?;
    Ok((rest.position(), dt))
}

/// What the reader needs to know of each event type: how many arguments follow its
/// timestamp, and which of them are stack and string IDs.
#[derive(Clone, Copy)]
pub(super) struct TypeInfo {
    pub(super) args: u8,
    /// What each argument is, as an index into `[anything, stack ID, string ID]`.
    pub(super) ids: [u8; 4],
}

impl TypeInfo {
    /// `args` of a type Go doesn't know.
    const UNKNOWN: u8 = u8::MAX;
    /// `args` of a type with no timestamp, which can't be in an M's batch.
    const UNTIMED: u8 = u8::MAX - 1;
}

/// The argument slot of a spec's argument index (which counts the timestamp).
pub(super) fn arg_slot(i: usize) -> Option<usize> {
    i.checked_sub(1).filter(|&s| s < 4)
}

pub(super) fn type_info() -> &'static [TypeInfo; 256] {
    static TYPES: std::sync::OnceLock<[TypeInfo; 256]> = std::sync::OnceLock::new();
    TYPES.get_or_init(|| {
        let unknown = TypeInfo {
            args: TypeInfo::UNKNOWN,
            ids: [0; 4],
        };
        let mut t = [unknown; 256];
        for (ty, info) in t.iter_mut().enumerate() {
            let Some(spec) = spec_of(ty as u8) else {
                continue;
            };
            info.args = match spec.args.len() {
                n if n > 0 && spec.timed => (n - 1) as u8,
                _ => TypeInfo::UNTIMED,
            };
            for (kind, ids) in [(1, spec.stack_ids), (2, spec.string_ids)] {
                for slot in ids.iter().filter_map(|&i| arg_slot(i)) {
                    info.ids[slot] = kind;
                }
            }
        }
        // A CPU sample keeps its stack where other events keep arguments, and its stack
        // isn't checked (nor is anything of a Sync).
        for ty in [EventType::CPU_SAMPLE.0, crate::event::EV_SYNC] {
            t[ty as usize].ids = [0; 4];
        }
        t
    })
}
