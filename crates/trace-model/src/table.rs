//! A generation's tables, owned and shared by every event of the generation: strings, stacks,
//! the frame of each PC, the clock, and the experimental batches.

use std::sync::Arc;
use trace_format::hash::IdMap;
use trace_format::v2::Generation;

/// One frame as the stack table records it: string IDs for the function and file.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FrameRecord {
    pub(crate) func: u64,
    pub(crate) file: u64,
    pub(crate) line: u64,
}

/// The wall and monotonic clocks read at one trace timestamp (Go 1.25+).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot {
    /// Trace timestamp in ticks.
    pub(crate) ticks: u64,
    pub(crate) mono: u64,
    pub(crate) sec: u64,
    pub(crate) nsec: u64,
}

/// An experimental batch: its experiment, the M that wrote it and its bytes.
#[derive(Debug, Clone)]
pub(crate) struct ExpBatch {
    pub(crate) experiment: u8,
    pub(crate) m: u64,
    pub(crate) data: Box<[u8]>,
}

/// A table keyed by the IDs the runtime hands out, which count up from 1: a vector when they
/// are dense enough, a map otherwise (hostile or odd input).
#[derive(Debug)]
enum IdTable<T> {
    Dense(Vec<Option<T>>),
    Sparse(IdMap<u64, T>),
}

impl<T> Default for IdTable<T> {
    fn default() -> Self {
        IdTable::Dense(Vec::new())
    }
}

impl<T> IdTable<T> {
    fn build(entries: Vec<(u64, T)>) -> IdTable<T> {
        let max = entries.iter().map(|e| e.0).max().unwrap_or(0);
        // Dense while it costs at most a few slots per entry.
        if max <= 4 * entries.len() as u64 + 64 {
            let mut v: Vec<Option<T>> = Vec::new();
            v.resize_with(max as usize + 1, || None);
            for (id, t) in entries {
                if let Some(slot) = v.get_mut(id as usize) {
                    *slot = Some(t);
                }
            }
            IdTable::Dense(v)
        } else {
            IdTable::Sparse(entries.into_iter().collect())
        }
    }

    /// The largest `n` with every ID of `1..=n` present: IDs up to it need no lookup.
    fn contiguous(&self) -> u64 {
        match self {
            IdTable::Dense(v) => v.iter().skip(1).take_while(|e| e.is_some()).count() as u64,
            IdTable::Sparse(_) => 0,
        }
    }

    #[inline]
    fn get(&self, id: u64) -> Option<&T> {
        match self {
            IdTable::Dense(v) => v.get(usize::try_from(id).ok()?)?.as_ref(),
            IdTable::Sparse(m) => m.get(&id),
        }
    }
}

/// What events of one generation refer to. Go's reader keeps the same per generation.
#[derive(Debug, Default)]
pub(crate) struct Table {
    strings: IdTable<Box<[u8]>>,
    stacks: IdTable<Box<[u64]>>,
    frames: IdMap<u64, FrameRecord>,
    pub(crate) freq: Frequency,
    pub(crate) snapshot: Option<Snapshot>,
    pub(crate) exp_batches: Vec<ExpBatch>,
    /// Every stack ID and every string ID up to these is valid (0 always is): most events
    /// check their IDs with a comparison.
    pub(crate) stacks_upto: u64,
    pub(crate) strings_upto: u64,
    /// Salvage: the generation lost its string or stack table (see `Event::tables_lost`).
    pub(crate) tables_lost: bool,
}

/// Nanoseconds per tick, as Go computes it: `1 / (ticks per second / 1e9)`.
///
/// Go's runtime counts ticks of 64 ns on most platforms, so the factor is usually a whole
/// number, and then ticks up to `exact_max` convert with an integer multiply giving the same
/// result as Go's float one: a timestamp is on the ordering's critical path (the frontier
/// compares it), and the float conversions take several times as long.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Frequency {
    per_tick: f64,
    /// `per_tick` as an integer when it is one; else 0.
    exact: u64,
    /// The most ticks whose product with `exact` is below 2^53, where the float product is
    /// exact too.
    exact_max: u64,
}

impl Frequency {
    pub(crate) fn from_ticks_per_second(f: u64) -> Frequency {
        let per_tick = 1.0 / (f as f64 / 1e9);
        // `as` saturates, so only a whole number in range survives the round trip.
        let exact = per_tick as u64;
        let exact = if exact >= 1 && exact as f64 == per_tick {
            exact
        } else {
            0
        };
        Frequency {
            per_tick,
            exact,
            exact_max: (1u64 << 53).checked_div(exact).unwrap_or(0),
        }
    }

    /// Ticks to nanoseconds, rounding toward zero as Go's float-to-int conversion does.
    #[inline]
    pub(crate) fn mul(self, ticks: u64) -> i64 {
        if ticks < self.exact_max {
            // Below 2^53 both the tick count and the product are exact as floats.
            return (ticks * self.exact) as i64;
        }
        go_f64_to_i64(ticks as f64 * self.per_tick)
    }
}

/// Go's `int64(f)`: truncation; out of range (and NaN) gives the x86-64 "indefinite" value, as
/// the conversion instruction Go emits there does.
#[inline]
pub(crate) fn go_f64_to_i64(f: f64) -> i64 {
    // 2^63 as a float: the first value past the range.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if (-LIMIT..LIMIT).contains(&f) {
        f as i64
    } else {
        i64::MIN
    }
}

impl Table {
    /// Copies a generation's tables out of the decoded generation.
    pub(crate) fn from_generation(g: &Generation<'_>) -> Table {
        let mut t = Table {
            freq: Frequency::from_ticks_per_second(g.frequency()),
            snapshot: g.clock_snapshot().map(|c| Snapshot {
                ticks: c.time,
                mono: c.mono,
                sec: c.sec,
                nsec: c.nsec,
            }),
            ..Table::default()
        };
        t.strings = IdTable::build(g.strings().map(|(id, s)| (id, s.into())).collect());
        let mut stacks = Vec::with_capacity(g.stack_count());
        for (id, frames) in g.stacks() {
            let mut pcs = Vec::with_capacity(frames.len());
            for f in frames.iter() {
                pcs.push(f.pc);
                if let Some(first) = g.frame_for_pc(f.pc) {
                    t.frames.entry(f.pc).or_insert(FrameRecord {
                        func: first.func,
                        file: first.file,
                        line: first.line,
                    });
                }
            }
            stacks.push((id, pcs.into()));
        }
        t.stacks = IdTable::build(stacks);
        t.stacks_upto = t.stacks.contiguous();
        t.strings_upto = t.strings.contiguous();
        for b in g.experimental_batches() {
            if let trace_format::v2::BatchKind::Experimental(e) = b.kind() {
                t.exp_batches.push(ExpBatch {
                    experiment: e.0,
                    m: b.m(),
                    data: b.data().into(),
                });
            }
        }
        t
    }

    /// The tables of a v1 trace, which is one generation: strings, stacks as PCs, and the frame
    /// of each PC. There is no clock to convert: v1 times are nanoseconds already.
    pub(crate) fn from_v1(
        strings: Vec<(u64, Box<[u8]>)>,
        stacks: Vec<(u64, Box<[u64]>)>,
        frames: IdMap<u64, FrameRecord>,
    ) -> Table {
        Table {
            strings: IdTable::build(strings),
            stacks: IdTable::build(stacks),
            frames,
            ..Table::default()
        }
    }

    /// The string with this ID; 0 is the empty string.
    pub(crate) fn string(&self, id: u64) -> Option<&[u8]> {
        if id == 0 {
            return Some(&[]);
        }
        self.strings.get(id).map(|s| &s[..])
    }

    #[inline]
    pub(crate) fn has_stack(&self, id: u64) -> bool {
        id == 0 || self.stacks.get(id).is_some()
    }

    pub(crate) fn stack_pcs(&self, id: u64) -> &[u64] {
        self.stacks.get(id).map_or(&[], |s| &s[..])
    }

    pub(crate) fn frame(&self, pc: u64) -> FrameRecord {
        self.frames.get(&pc).copied().unwrap_or_default()
    }
}

/// The shared handle events keep.
pub(crate) type TableRef = Arc<Table>;

#[cfg(test)]
mod tests {
    use super::{go_f64_to_i64, Frequency};
    use proptest::prelude::*;

    /// Go's conversion, always in floats.
    fn go_mul(f: Frequency, ticks: u64) -> i64 {
        go_f64_to_i64(ticks as f64 * f.per_tick)
    }

    /// Ticks per second Go writes: 64 ns ticks (most platforms), 16 ns ticks, nanoseconds,
    /// CPU tick counters, whose factor is not a whole number, and odd ones.
    const RATES: [u64; 6] = [15_625_000, 62_500_000, 1_000_000_000, 2_994_372_000, 3, 1];

    #[test]
    fn whole_factors_are_exact_and_others_are_not() {
        let exact: Vec<u64> = RATES
            .iter()
            .map(|&r| Frequency::from_ticks_per_second(r).exact)
            .collect();
        // One tick a second: 1 / 1e-9 isn't a whole number in floats.
        assert_eq!(exact, [64, 16, 1, 0, 0, 0]);
    }

    #[test]
    fn integer_path_agrees_at_its_edges() {
        for r in RATES {
            let f = Frequency::from_ticks_per_second(r);
            let m = f.exact_max;
            for t in [0, 1, 2, m.saturating_sub(1), m, m + 1, 1 << 53, u64::MAX] {
                assert_eq!(f.mul(t), go_mul(f, t), "rate {r} ticks {t}");
            }
        }
    }

    proptest! {
        #[test]
        fn integer_path_agrees_with_go(i in 0..RATES.len(), t in any::<u64>(), shift in 0u32..64) {
            let f = Frequency::from_ticks_per_second(RATES[i]);
            let t = t >> shift;
            prop_assert_eq!(f.mul(t), go_mul(f, t));
        }
    }
}
