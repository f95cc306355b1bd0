//! A fast hasher for the integer-keyed tables (string, stack and PC IDs, goroutine, P, M and
//! task IDs). Keys come from the trace, so they may be chosen to collide. The hash is seeded
//! once per process from the standard library's random source, and finished so that every bit
//! of the key reaches the low bits a table picks buckets by: neither structured IDs
//! (`i << 40`) nor IDs crafted against a known function fall into one bucket and make every
//! lookup a linear search.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// Multiply-rotate hashing of words, in the style of rustc's Fx hash, seeded per process.
#[derive(Clone, Copy)]
pub struct IdHasher(u64);

const K: u64 = 0x517c_c1b7_2722_0a95;

/// This process's seed; 0 until first asked for. Every hash reads it, so it is one load.
static SEED: AtomicU64 = AtomicU64::new(0);

#[inline]
fn seed() -> u64 {
    match SEED.load(Ordering::Relaxed) {
        0 => init_seed(),
        s => s,
    }
}

#[cold]
fn init_seed() -> u64 {
    // Racing threads may each store a seed; all then use the one that stuck.
    let s = std::collections::hash_map::RandomState::new().hash_one(K) | 1;
    match SEED.compare_exchange(0, s, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => s,
        Err(other) => other,
    }
}

impl Default for IdHasher {
    #[inline]
    fn default() -> IdHasher {
        IdHasher(seed())
    }
}

impl Hasher for IdHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // Whole words first, then the tail byte by byte: a copy of a tail of unknown length
        // into a word was a call of `memcpy` per string hashed.
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            if let Ok(w) = <[u8; 8]>::try_from(word) {
                self.write_u64(u64::from_le_bytes(w));
            }
        }
        let tail = words.remainder();
        if !tail.is_empty() {
            let w = tail
                .iter()
                .rev()
                .fold(0u64, |w, &b| (w << 8) | u64::from(b));
            self.write_u64(w);
        }
    }
    #[inline]
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(K);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // A product's low bits depend only on its factors' low bits, its high bits on all of
        // them: fold the high half down, multiply again, and bring the high bits down to
        // where the table picks buckets.
        let h = self.0;
        (h ^ (h >> 32)).wrapping_mul(K).rotate_left(26)
    }
}

/// A `HashMap` keyed by IDs from the trace.
pub type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// A `HashSet` of IDs from the trace.
pub type IdSet<K> = HashSet<K, BuildHasherDefault<IdHasher>>;

/// IDs below this are always held in a [`DenseIdMap`]'s vector; above it, while the vector
/// costs at most a few slots per entry.
const DENSE_MIN: usize = 1 << 12;
const SLOTS_PER_ENTRY: usize = 8;

/// A map from goroutine, P or M IDs to `V`: a vector while the IDs are small, an [`IdMap`] for
/// the rest. The runtime hands out goroutine and P IDs counting up from 0 or 1, so lookups of
/// per-event state are an index rather than a hash; IDs from hostile or odd input still work,
/// and memory stays a few slots per entry (or at most 4096 slots).
///
/// ```
/// let mut states = trace_format::hash::DenseIdMap::default();
/// states.insert(7, "running");
/// states.insert(1 << 40, "waiting");
/// assert_eq!(states.get(&7), Some(&"running"));
/// assert_eq!(states.remove(&(1 << 40)), Some("waiting"));
/// assert_eq!(states.len(), 1);
/// ```
#[derive(Debug)]
pub struct DenseIdMap<V> {
    dense: Vec<Option<V>>,
    sparse: IdMap<i64, V>,
    len: usize,
}

impl<V> Default for DenseIdMap<V> {
    fn default() -> Self {
        DenseIdMap {
            dense: Vec::new(),
            sparse: IdMap::default(),
            len: 0,
        }
    }
}

impl<V> DenseIdMap<V> {
    #[inline(always)]
    fn slot(&self, k: i64) -> Option<usize> {
        usize::try_from(k).ok().filter(|&i| i < self.dense.len())
    }

    // `get` and `get_mut` are looked up for most events of a trace: their dense path is always
    // inlined (the compiler had made some callers call it), the map beyond it never.

    /// The value of `k`.
    #[inline(always)]
    pub fn get(&self, k: &i64) -> Option<&V> {
        match self.slot(*k) {
            Some(i) => self.dense.get(i)?.as_ref(),
            None if self.sparse.is_empty() => None,
            None => self.sparse_get(k),
        }
    }

    #[inline(never)]
    fn sparse_get(&self, k: &i64) -> Option<&V> {
        self.sparse.get(k)
    }

    /// The value of `k`, mutably.
    #[inline(always)]
    pub fn get_mut(&mut self, k: &i64) -> Option<&mut V> {
        match self.slot(*k) {
            Some(i) => self.dense.get_mut(i)?.as_mut(),
            None if self.sparse.is_empty() => None,
            None => self.sparse_get_mut(k),
        }
    }

    #[inline(never)]
    fn sparse_get_mut(&mut self, k: &i64) -> Option<&mut V> {
        self.sparse.get_mut(k)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The values, in the order of [`iter`](Self::iter).
    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// Every entry, mutably: small IDs in order, then the others.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (i64, &mut V)> + '_ {
        let dense = self.dense.iter_mut().enumerate();
        dense
            .filter_map(|(i, v)| Some((i as i64, v.as_mut()?)))
            .chain(self.sparse.iter_mut().map(|(&k, v)| (k, v)))
    }

    /// Whether `k` has an entry.
    #[inline]
    pub fn contains_key(&self, k: &i64) -> bool {
        self.get(k).is_some()
    }

    /// Grows the vector to hold `k` if that is cheap enough; whether `k` has a slot now.
    fn grow_for(&mut self, k: i64) -> bool {
        let Ok(i) = usize::try_from(k) else {
            return false;
        };
        let limit = DENSE_MIN.max(SLOTS_PER_ENTRY.saturating_mul(self.len + 1));
        if i >= limit {
            return false;
        }
        let new_len = (i + 1).max(self.dense.len() * 2).min(limit);
        self.dense.resize_with(new_len, || None);
        // Entries the map held for IDs that now have a slot move there.
        if !self.sparse.is_empty() {
            let moved: Vec<i64> = self
                .sparse
                .keys()
                .copied()
                .filter(|&id| usize::try_from(id).is_ok_and(|j| j < new_len))
                .collect();
            for id in moved {
                if let (Some(v), Ok(j)) = (self.sparse.remove(&id), usize::try_from(id)) {
                    if let Some(slot) = self.dense.get_mut(j) {
                        *slot = Some(v);
                    }
                }
            }
        }
        true
    }

    /// Sets the value of `k`, returning the one it replaces.
    pub fn insert(&mut self, k: i64, v: V) -> Option<V> {
        if self.slot(k).is_none() && !self.grow_for(k) {
            let old = self.sparse.insert(k, v);
            if old.is_none() {
                self.len += 1;
            }
            return old;
        }
        let slot = self.slot(k).and_then(|i| self.dense.get_mut(i))?;
        let old = slot.replace(v);
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// Removes the entry of `k`, returning its value.
    pub fn remove(&mut self, k: &i64) -> Option<V> {
        let old = match self.slot(*k) {
            Some(i) => self.dense.get_mut(i)?.take(),
            None => self.sparse.remove(k),
        };
        if old.is_some() {
            self.len -= 1;
        }
        old
    }

    /// The entry of `k`, inserting `f()` first if there is none.
    // An entry already in the vector, as for nearly every event, is found inline; the rest
    // out of line.
    #[inline(always)]
    pub fn get_or_insert_with(&mut self, k: i64, f: impl FnOnce() -> V) -> &mut V {
        match self.slot(k) {
            Some(i) if self.dense[i].is_some() => self.dense[i].get_or_insert_with(f),
            _ => self.insert_with(k, f),
        }
    }

    /// [`get_or_insert_with`](Self::get_or_insert_with) beyond the vector's entries.
    #[inline(never)]
    fn insert_with(&mut self, k: i64, f: impl FnOnce() -> V) -> &mut V {
        if self.slot(k).is_none() && !self.sparse.contains_key(&k) {
            self.grow_for(k);
        }
        match self.slot(k) {
            Some(i) => {
                if self.dense[i].is_none() {
                    self.len += 1;
                }
                self.dense[i].get_or_insert_with(f)
            }
            None => {
                let len = &mut self.len;
                self.sparse.entry(k).or_insert_with(|| {
                    *len += 1;
                    f()
                })
            }
        }
    }

    /// Every entry: small IDs in order, then the others in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &V)> + '_ {
        let dense = self.dense.iter().enumerate();
        dense
            .filter_map(|(i, v)| Some((i as i64, v.as_ref()?)))
            .chain(self.sparse.iter().map(|(&k, v)| (k, v)))
    }
}

#[cfg(test)]
mod dense_tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn agrees_with_a_map() {
        // Small, large, negative and growing IDs, inserted, replaced and removed.
        let mut t: DenseIdMap<u64> = DenseIdMap::default();
        assert!(t.is_empty());
        let mut m: BTreeMap<i64, u64> = BTreeMap::new();
        let mut x: u64 = 1;
        for step in 0..200_000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let k = match (x >> 60) % 4 {
                0 => (x >> 40) as i64 % 64,
                1 => (x >> 30) as i64 % 100_000,
                2 => (x >> 8) as i64 - (1 << 55),
                _ => (step / 4) as i64,
            };
            match (x >> 56) % 5 {
                0 | 1 => assert_eq!(t.insert(k, step), m.insert(k, step)),
                2 => assert_eq!(t.remove(&k), m.remove(&k)),
                3 => *t.get_or_insert_with(k, || step) += 1,
                _ => assert_eq!(t.get(&k), m.get(&k)),
            }
            if (x >> 56) % 5 == 3 {
                *m.entry(k).or_insert(step) += 1;
            }
            assert_eq!(t.len(), m.len());
        }
        for (_, v) in t.iter_mut() {
            *v += 1;
        }
        for v in m.values_mut() {
            *v += 1;
        }
        assert_eq!(t.values().count(), m.len());
        let mut all: Vec<(i64, u64)> = t.iter().map(|(k, &v)| (k, v)).collect();
        all.sort_unstable();
        assert_eq!(all, m.into_iter().collect::<Vec<_>>());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many of the 65,536 lowest-16-bit buckets the keys' hashes fall in.
    fn buckets(keys: impl Iterator<Item = u64>) -> usize {
        let b = BuildHasherDefault::<IdHasher>::default();
        let set: HashSet<u64> = keys.map(|k| b.hash_one(k) & 0xffff).collect();
        set.len()
    }

    #[test]
    fn structured_and_crafted_ids_spread_over_buckets() {
        // The inverse of K modulo 2^64, to craft keys whose unseeded, unrotated products
        // would all share their low bits.
        let mut inv: u64 = 1;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(K.wrapping_mul(inv)));
        }
        assert_eq!(K.wrapping_mul(inv), 1);
        // Each family maps 0, 1, 2... to keys; `inv` is there for the crafted one.
        type Family = fn(u64, u64) -> u64;
        let families: [(&str, Family); 6] = [
            ("sequential", |i, _| i),
            ("i << 32", |i, _| i << 32),
            ("i << 40", |i, _| i << 40),
            ("i << 48", |i, _| i << 48),
            ("i << 58", |i, _| i << 58),
            ("crafted", |i, inv| (i << 40).wrapping_mul(inv)),
        ];
        for (name, f) in families {
            // Random hashes would fill about 3,980 of 65,536 buckets with 4,096 keys; one
            // bucket for all is what made lookups linear.
            let n = if name == "i << 58" { 64 } else { 4096 };
            let got = buckets((0..n).map(|i| f(i, inv)));
            assert!(got > n as usize / 2, "{name}: {n} keys in {got} buckets");
        }
    }
}
