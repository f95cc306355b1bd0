//! A replica of Go's `slices.SortFunc` (pattern-defeating quicksort, as of Go 1.27).
//!
//! The sort is unstable, and Go's output depends on which permutation it picks for elements
//! that compare equal (events at the same time in `trace-model`, event types of equal bytes in
//! [`footprint`](crate::footprint)). To print them in exactly Go's order we must make the same
//! choices, so this follows Go's algorithm step by step: the same thresholds, pivot selection,
//! deterministic pattern breaking and heapsort fallback, and the same sequence of comparisons
//! and swaps.
//!
//! Indices are absolute positions in the whole slice (as in Go) rather than sub-slices, because
//! two steps look outside the current range: the duplicate-pivot check reads the element just
//! before it, and the partial insertion sort may shift an element below its start.

use std::cmp::Ordering;

/// Sorts `v` in ascending order as defined by `cmp`, permuting it exactly as Go's
/// `slices.SortFunc(v, cmp)` does (Go only looks at whether `cmp` is negative, i.e. `Less`).
///
/// An inconsistent `cmp` leaves `v` in an unspecified order, but never panics or loops forever.
pub fn sort_func<T, F: FnMut(&T, &T) -> Ordering>(v: &mut [T], mut cmp: F) {
    let len = v.len();
    let mut sorter = Sorter {
        v,
        is_less: |a: &T, b: &T| cmp(a, b) == Ordering::Less,
    };
    sorter.pdqsort(0, len, bit_len(len));
}

/// Go's `bits.Len`: the number of bits needed to represent `n`.
fn bit_len(n: usize) -> usize {
    (usize::BITS - n.leading_zeros()) as usize
}

/// What the pivot selection learned about the order of the range.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hint {
    Unknown,
    Increasing,
    Decreasing,
}

struct Sorter<'a, T, L> {
    v: &'a mut [T],
    is_less: L,
}

impl<T, L: FnMut(&T, &T) -> bool> Sorter<'_, T, L> {
    fn less(&mut self, i: usize, j: usize) -> bool {
        (self.is_less)(&self.v[i], &self.v[j])
    }

    /// Sorts `v[a..b]`; `limit` is the number of unbalanced partitions still allowed before
    /// falling back to heapsort.
    fn pdqsort(&mut self, mut a: usize, mut b: usize, mut limit: usize) {
        const MAX_INSERTION: usize = 12;

        let mut was_balanced = true;
        let mut was_partitioned = true;
        loop {
            let length = b - a;
            if length <= MAX_INSERTION {
                self.insertion_sort(a, b);
                return;
            }
            if limit == 0 {
                self.heap_sort(a, b);
                return;
            }
            if !was_balanced {
                self.break_patterns(a, b);
                limit -= 1;
            }

            let (mut pivot, hint) = self.choose_pivot(a, b);
            let increasing = match hint {
                Hint::Decreasing => {
                    self.v[a..b].reverse();
                    // The pivot moves to the mirrored position.
                    pivot = (b - 1) - (pivot - a);
                    true
                }
                Hint::Increasing => true,
                Hint::Unknown => false,
            };

            if was_balanced && was_partitioned && increasing && self.partial_insertion_sort(a, b) {
                return;
            }

            // The element before the range is a previous pivot, so nothing here is smaller than
            // it; if the new pivot is not greater either, the range starts with many equal
            // elements: put those first and skip them.
            if a > 0 && !self.less(a - 1, pivot) {
                a = self.partition_equal(a, b, pivot);
                continue;
            }

            let (mid, already_partitioned) = self.partition(a, b, pivot);
            was_partitioned = already_partitioned;

            // Recurse into the smaller side and loop on the larger one, bounding the stack depth.
            let (left_len, right_len) = (mid - a, b - mid);
            let balance_threshold = length / 8;
            if left_len < right_len {
                was_balanced = left_len >= balance_threshold;
                self.pdqsort(a, mid, limit);
                a = mid + 1;
            } else {
                was_balanced = right_len >= balance_threshold;
                self.pdqsort(mid + 1, b, limit);
                b = mid;
            }
        }
    }

    fn insertion_sort(&mut self, a: usize, b: usize) {
        for i in a + 1..b {
            let mut j = i;
            while j > a && self.less(j, j - 1) {
                self.v.swap(j, j - 1);
                j -= 1;
            }
        }
    }

    /// Restores the max-heap property of the heap `v[first..first + hi]` below `root`.
    fn sift_down(&mut self, mut root: usize, hi: usize, first: usize) {
        loop {
            let mut child = match root.checked_mul(2).and_then(|c| c.checked_add(1)) {
                Some(child) if child < hi => child,
                _ => return,
            };
            if child + 1 < hi && self.less(first + child, first + child + 1) {
                child += 1;
            }
            if !self.less(first + root, first + child) {
                return;
            }
            self.v.swap(first + root, first + child);
            root = child;
        }
    }

    fn heap_sort(&mut self, a: usize, b: usize) {
        let hi = b - a;
        for i in (0..=hi.saturating_sub(1) / 2).rev() {
            self.sift_down(i, hi, a);
        }
        for i in (0..hi).rev() {
            self.v.swap(a, a + i);
            self.sift_down(0, i, a);
        }
    }

    /// Partitions `v[a..b]` around `v[pivot]`: smaller elements, then the pivot, then the
    /// others. Returns the pivot's new index, and whether no element had to move.
    fn partition(&mut self, a: usize, b: usize, pivot: usize) -> (usize, bool) {
        self.v.swap(a, pivot);
        // `i` and `j` bound the unpartitioned elements, inclusively. `j` only decreases while
        // `j >= i > a`, so it never goes below `a`.
        let (mut i, mut j) = (a + 1, b - 1);

        while i <= j && self.less(i, a) {
            i += 1;
        }
        while i <= j && !self.less(j, a) {
            j -= 1;
        }
        if i > j {
            self.v.swap(j, a);
            return (j, true);
        }
        self.v.swap(i, j);
        i += 1;
        j -= 1;

        loop {
            while i <= j && self.less(i, a) {
                i += 1;
            }
            while i <= j && !self.less(j, a) {
                j -= 1;
            }
            if i > j {
                break;
            }
            self.v.swap(i, j);
            i += 1;
            j -= 1;
        }
        self.v.swap(j, a);
        (j, false)
    }

    /// Partitions `v[a..b]`, which holds nothing smaller than `v[pivot]`, into elements equal to
    /// the pivot followed by greater ones; returns the start of the greater ones (always `> a`).
    fn partition_equal(&mut self, a: usize, b: usize, pivot: usize) -> usize {
        self.v.swap(a, pivot);
        let (mut i, mut j) = (a + 1, b - 1);
        loop {
            while i <= j && !self.less(a, i) {
                i += 1;
            }
            while i <= j && self.less(a, j) {
                j -= 1;
            }
            if i > j {
                break;
            }
            self.v.swap(i, j);
            i += 1;
            j -= 1;
        }
        i
    }

    /// Fixes up to a few out-of-order pairs of `v[a..b]`; returns whether it is then sorted.
    fn partial_insertion_sort(&mut self, a: usize, b: usize) -> bool {
        const MAX_STEPS: usize = 5;
        const SHORTEST_SHIFTING: usize = 50;

        let mut i = a + 1;
        for _ in 0..MAX_STEPS {
            while i < b && !self.less(i, i - 1) {
                i += 1;
            }
            if i == b {
                return true;
            }
            if b - a < SHORTEST_SHIFTING {
                return false;
            }
            self.v.swap(i, i - 1);

            // Go shifts the smaller element left down to index 0 of the whole slice, not to
            // `a`; with a consistent order it stops at `a` anyway, but the comparisons differ.
            if i - a >= 2 {
                let mut j = i - 1;
                while j >= 1 && self.less(j, j - 1) {
                    self.v.swap(j, j - 1);
                    j -= 1;
                }
            }
            if b - i >= 2 {
                for j in i + 1..b {
                    if !self.less(j, j - 1) {
                        break;
                    }
                    self.v.swap(j, j - 1);
                }
            }
        }
        false
    }

    /// Swaps three elements in the middle of `v[a..b]` with pseudo-random ones. The xorshift
    /// generator is seeded with the length, so this is deterministic, as in Go.
    fn break_patterns(&mut self, a: usize, b: usize) {
        let length = b - a;
        if length < 8 {
            return;
        }
        let mut random = length as u64;
        // Go's `nextPowerOfTwo(length) - 1`: ones up to the highest set bit of `length`, or all
        // ones where Go's shift overflows to 0. `length >= 8`, so the shift is in range.
        let mask = usize::MAX >> length.leading_zeros();
        let mid = a + (length / 4) * 2;
        for idx in mid - 1..=mid + 1 {
            random ^= random << 13;
            random ^= random >> 7;
            random ^= random << 17;
            // Truncating to `usize` matches Go's `uint(random)`; `other < 2 * length` here.
            let mut other = random as usize & mask;
            if other >= length {
                other -= length;
            }
            self.v.swap(idx, a + other);
        }
    }

    /// Chooses a pivot in `v[a..b]` (which has more than 12 elements): the median of three, or
    /// Tukey's ninther from 50 elements on. The number of swaps the medians needed hints at
    /// whether the range is increasing (none) or decreasing (all).
    fn choose_pivot(&mut self, a: usize, b: usize) -> (usize, Hint) {
        const SHORTEST_NINTHER: usize = 50;
        const MAX_SWAPS: usize = 4 * 3;

        let l = b - a;
        let mut swaps = 0;
        let mut i = a + l / 4;
        let mut j = a + l / 4 * 2;
        let mut k = a + l / 4 * 3;
        if l >= 8 {
            if l >= SHORTEST_NINTHER {
                i = self.median(i - 1, i, i + 1, &mut swaps);
                j = self.median(j - 1, j, j + 1, &mut swaps);
                k = self.median(k - 1, k, k + 1, &mut swaps);
            }
            j = self.median(i, j, k, &mut swaps);
        }
        match swaps {
            0 => (j, Hint::Increasing),
            MAX_SWAPS => (j, Hint::Decreasing),
            _ => (j, Hint::Unknown),
        }
    }

    /// Returns `(a, b)` ordered so that `v[first] <= v[second]`, counting a swap if needed.
    fn order2(&mut self, a: usize, b: usize, swaps: &mut usize) -> (usize, usize) {
        if self.less(b, a) {
            *swaps += 1;
            (b, a)
        } else {
            (a, b)
        }
    }

    /// Returns the index of the median of `v[a]`, `v[b]` and `v[c]`.
    fn median(&mut self, a: usize, b: usize, c: usize, swaps: &mut usize) -> usize {
        let (a, b) = self.order2(a, b, swaps);
        let (b, _) = self.order2(b, c, swaps);
        let (_, b) = self.order2(a, b, swaps);
        b
    }
}

#[cfg(test)]
mod tests {
    use super::sort_func;
    use std::cmp::Ordering;

    /// SplitMix64, implemented identically in the Go program that produced `EXPECTED`.
    struct SplitMix(u64);

    impl SplitMix {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
    }

    /// 64-bit FNV-1a over the little-endian bytes of each value.
    struct Fnv(u64);

    impl Fnv {
        fn new() -> Self {
            Fnv(0xcbf2_9ce4_8422_2325)
        }

        fn add(&mut self, v: u64) {
            for byte in v.to_le_bytes() {
                self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
            }
        }
    }

    /// Key patterns; the discriminants are part of each group's seed.
    #[derive(Clone, Copy, Debug)]
    enum Pattern {
        /// Uniform keys modulo the parameter (0: any `u64`).
        Random = 0,
        /// `i / param`.
        Asc,
        /// `(n - i) / param`.
        Desc,
        /// `i % param`.
        Saw,
        RevSaw,
        /// Up then down, divided by the parameter.
        Organ,
        /// `i / 2` with `param` random swaps.
        NearAsc,
        NearDesc,
        /// `Asc` with the last key 0.
        PushFront,
        /// `Asc` with the first key `n`.
        PushBack,
        /// McIlroy's adversary against this sort, keys divided by the parameter.
        Adversary,
        /// Runs of `param` equal random keys in `0..4`.
        Blocks,
        /// McIlroy's adversary giving two elements the same key every `param`-th time.
        AdvTies,
    }

    use Pattern::*;

    /// For each group of cases (sizes 0..=300, 1000, 1024, 2047, 3000, 4096 and 5000, keys
    /// from one generator seeded with `pattern << 32 | param`): the FNV-1a hashes of the
    /// permutations Go's `slices.SortFunc` produced when sorting `(key, index)` pairs by key,
    /// and of the indices of the pairs passed to each comparison, both preceded by the size.
    /// Made by a Go 1.27.3 program (`GOTOOLCHAIN=local go run`), which drives `slices.SortFunc`
    /// itself; its heapsort fallback is reached in the `Adversary` 1 and `AdvTies` groups.
    #[rustfmt::skip]
    const EXPECTED: &[(Pattern, u64, u64, u64)] = &[
        (Random, 0, 0x34e30f01ce13ab91, 0x5bfe64fd0528bb40),
        (Random, 1, 0x2f790d7aba847751, 0xe6c6367a6ee011db),
        (Random, 2, 0xfc785db5b4678f7d, 0xe884342347df9bd5),
        (Random, 3, 0xbaee5e7c2a75a881, 0xdcd5e1794b27facc),
        (Random, 5, 0xdf6c8a7fc3c854f1, 0xe2760a01a045a613),
        (Random, 10, 0xb1ebc1affb4a6355, 0x8078cd55d12c3b69),
        (Random, 30, 0x9be419ba3951eaf9, 0x0a172bfaf34f0098),
        (Random, 100, 0xa640a449343f9089, 0xc0cb1a04a3be53e5),
        (Asc, 1, 0x2f790d7aba847751, 0xe6c6367a6ee011db),
        (Asc, 2, 0x2f790d7aba847751, 0xe6c6367a6ee011db),
        (Asc, 7, 0x2f790d7aba847751, 0xe6c6367a6ee011db),
        (Desc, 1, 0xe55ef99102e2236d, 0x92537628a9108690),
        (Desc, 2, 0xaff8cebea2e8b32d, 0xa1c899488f052046),
        (Desc, 7, 0x2d9c168dcf0abe75, 0xb66eb26ef7e63c23),
        (Saw, 2, 0xaf3a3879538fa255, 0xdb062cf3a50391c1),
        (Saw, 5, 0x5aa8a15146a94271, 0xcd924a1e5708e3eb),
        (Saw, 13, 0x53aa729db5f107d1, 0x7b5d035efb4cf95d),
        (Saw, 64, 0x3adcfd5bac909c6d, 0x0cea757d0bd32892),
        (RevSaw, 2, 0xc2b0a4326b93dff9, 0xea94a96f12de65f6),
        (RevSaw, 5, 0xe94c1eb3a7d0b1a9, 0x658e1c44a1660f61),
        (RevSaw, 13, 0x62fd54c9889f5c85, 0xd7137d6688632d58),
        (Organ, 1, 0x0fb9dbba1e8763bd, 0xfa6e2b2e6441b378),
        (Organ, 3, 0x4f0550901aba4fd1, 0x836dc00add13fe00),
        (NearAsc, 1, 0x3dbf280af531220d, 0x020a27e662892e27),
        (NearAsc, 3, 0x64cd0bd1c9fd2f5d, 0x1da100c3105b1805),
        (NearAsc, 8, 0xd44f456211f30ff9, 0xe8dfae390bd7260b),
        (NearDesc, 1, 0x6243c78f9e42ea01, 0x2d267e706f34c6c2),
        (NearDesc, 3, 0xa05838e2d406d14d, 0xe086001c21b2ec41),
        (PushFront, 1, 0xd9bbcec252f2f671, 0xcf0faddd31f011e8),
        (PushFront, 3, 0xb7ec304e7457cbc9, 0xaf4dc2174d98e379),
        (PushBack, 1, 0xd8d474e102df72d1, 0x51ca6e8189b4a7cc),
        (PushBack, 3, 0xdc23e55513cb3ad1, 0x5208c5f218a7adb2),
        (Adversary, 1, 0x3a3b23fca64cb8e9, 0xc541d279bff4d83a),
        (Adversary, 2, 0xb0cb87bdd368159d, 0x3e4dd203ce6da5a8),
        (Adversary, 4, 0x78ce61eb2c8299f1, 0x24ab55ea97a188ea),
        (Blocks, 8, 0xa6e107e4b49db26d, 0x9261e1c5165697e0),
        (Blocks, 50, 0xca85262a6b8f1e71, 0x1f32bef35d0f057e),
        (AdvTies, 2, 0xe971b6baf43f74f5, 0xe50e6f450f90d295),
        (AdvTies, 3, 0x07774af2826423ad, 0xf539f51a2ec47770),
        (AdvTies, 7, 0x361ee5cd69398685, 0xcecbd121e87d2061),
    ];

    fn sizes() -> impl Iterator<Item = u64> {
        (0..=300).chain([1000, 1024, 2047, 3000, 4096, 5000])
    }

    /// Runs McIlroy's "killer adversary" against `sort_func`: keys are decided lazily so that
    /// the sort goes badly, and the keys it settled on send a new sort down the same path.
    fn adversary(n: u64, tie_every: u64) -> Vec<u64> {
        let gas = n;
        let mut val = vec![gas; n as usize];
        let (mut solid, mut candidate, mut freezes) = (0, 0, 0);
        let mut ptr: Vec<usize> = (0..n as usize).collect();
        sort_func(&mut ptr, |&x, &y| {
            if val[x] == gas && val[y] == gas {
                freezes += 1;
                if tie_every > 0 && freezes % tie_every == 0 {
                    val[x] = solid;
                    val[y] = solid;
                } else if x == candidate {
                    val[x] = solid;
                } else {
                    val[y] = solid;
                }
                solid += 1;
            }
            if val[x] == gas {
                candidate = x;
            } else if val[y] == gas {
                candidate = y;
            }
            val[x].cmp(&val[y])
        });
        for v in &mut val {
            if *v == gas {
                *v = solid;
                solid += 1;
            }
        }
        val
    }

    fn keys(pattern: Pattern, p: u64, n: u64, rng: &mut SplitMix) -> Vec<u64> {
        let mut keys: Vec<u64> = Vec::new();
        let mut last = 0;
        for i in 0..n {
            last = match pattern {
                Random if p == 0 => rng.next(),
                Random => rng.next() % p,
                Asc | PushFront | PushBack => i / p,
                NearAsc => i / 2,
                Desc => (n - i) / p,
                NearDesc => (n - i) / 2,
                Saw => i % p,
                RevSaw => p - 1 - i % p,
                Organ => i.min(n - 1 - i) / p,
                Blocks if i % p == 0 => rng.next() % 4,
                Blocks => last,
                Adversary | AdvTies => 0,
            };
            keys.push(last);
        }
        match pattern {
            NearAsc | NearDesc if n > 0 => {
                for _ in 0..p {
                    let a = rng.next() % n;
                    let b = rng.next() % n;
                    keys.swap(a as usize, b as usize);
                }
            }
            PushFront if n > 0 => keys[n as usize - 1] = 0,
            PushBack if n > 0 => keys[0] = n,
            Adversary => keys = adversary(n, 0).into_iter().map(|k| k / p).collect(),
            AdvTies => keys = adversary(n, p),
            _ => {}
        }
        keys
    }

    #[test]
    fn matches_go_slices_sort_func() {
        let mut mismatches = Vec::new();
        for &(pattern, param, want_perm, want_trace) in EXPECTED {
            let mut rng = SplitMix((pattern as u64) << 32 | param);
            let mut perm_hash = Fnv::new();
            let mut trace_hash = Fnv::new();
            for n in sizes() {
                let mut v: Vec<(u64, u64)> = keys(pattern, param, n, &mut rng)
                    .into_iter()
                    .zip(0..)
                    .collect();
                perm_hash.add(n);
                trace_hash.add(n);
                sort_func(&mut v, |a, b| {
                    trace_hash.add(a.1);
                    trace_hash.add(b.1);
                    a.0.cmp(&b.0)
                });
                for &(_, index) in &v {
                    perm_hash.add(index);
                }
            }
            if (perm_hash.0, trace_hash.0) != (want_perm, want_trace) {
                mismatches.push((pattern, param));
            }
        }
        assert!(mismatches.is_empty(), "differs from Go: {mismatches:?}");
    }

    #[test]
    fn sorts_random_input() {
        let mut rng = SplitMix(42);
        for round in 0..400 {
            let n = if round % 40 == 0 {
                3000
            } else {
                rng.next() % 400
            };
            let range = [1, 2, 5, 50, 1 << 40][round % 5];
            // Strings: the elements need not be `Copy` or `Clone`.
            let mut v: Vec<(u64, String)> = (0..n)
                .map(|i| (rng.next() % range, i.to_string()))
                .collect();
            let mut want: Vec<u64> = v.iter().map(|e| e.0).collect();
            want.sort_unstable();
            sort_func(&mut v, |a, b| a.0.cmp(&b.0));
            assert!(v.iter().map(|e| e.0).eq(want.iter().copied()));
            let mut seen: Vec<u64> = v.iter().map(|e| e.1.parse().unwrap()).collect();
            seen.sort_unstable();
            assert!(seen.into_iter().eq(0..n));
        }
    }

    #[test]
    fn inconsistent_comparator_neither_panics_nor_hangs() {
        let mut rng = SplitMix(7);
        for n in (0..=300).chain([1000, 4096]) {
            for kind in 0..6 {
                let mut v: Vec<(f64, usize)> = (0..n)
                    .map(|i| {
                        let r = rng.next();
                        let key = if r & 3 == 0 {
                            f64::NAN
                        } else {
                            (r % 10) as f64
                        };
                        (key, i)
                    })
                    .collect();
                let mut calls = 0u64;
                sort_func(&mut v, |a, b| {
                    calls += 1;
                    match kind {
                        0 => [Ordering::Less, Ordering::Equal, Ordering::Greater]
                            [(rng.next() % 3) as usize],
                        1 => Ordering::Less,
                        2 => Ordering::Greater,
                        3 => a.0.partial_cmp(&b.0).unwrap_or(Ordering::Equal),
                        4 => a.0.partial_cmp(&b.0).unwrap_or(Ordering::Less),
                        _ => b.0.partial_cmp(&a.0).unwrap_or(Ordering::Less),
                    }
                });
                let mut seen: Vec<usize> = v.iter().map(|e| e.1).collect();
                seen.sort_unstable();
                assert!(seen.into_iter().eq(0..n), "not a permutation");
                let n = n as u64;
                assert!(
                    calls <= 8 * n * n + 100,
                    "{calls} comparisons for {n} elements"
                );
            }
        }
    }
}
