//! The statistics of a comparison of repeated runs, as benchstat does it: medians, a
//! distribution-free confidence interval for the median, and the Mann-Whitney U test, exact
//! for small samples (ties included) and the normal approximation for large ones.

/// The median of `xs` (the mean of the two middle values for an even count); 0 for none.
///
/// ```
/// use trace_model::diff::stats::median;
/// assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
/// assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
/// ```
pub fn median(xs: &[f64]) -> f64 {
    let s = sorted(xs);
    let n = s.len();
    match (s.get(n.wrapping_sub(1) / 2), s.get(n / 2)) {
        (Some(a), Some(b)) => (a + b) / 2.0,
        _ => 0.0,
    }
}

fn sorted(xs: &[f64]) -> Vec<f64> {
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    s
}

/// ln C(n, k).
fn ln_choose(n: u64, k: u64) -> f64 {
    let k = k.min(n.saturating_sub(k));
    (0..k)
        .map(|i| ((n - i) as f64).ln() - ((i + 1) as f64).ln())
        .sum()
}

/// P(Bin(n, 1/2) <= k).
fn binomial_half_cdf(n: u64, k: u64) -> f64 {
    let ln_half_n = n as f64 * 0.5f64.ln();
    (0..=k.min(n))
        .map(|i| (ln_choose(n, i) + ln_half_n).exp())
        .sum::<f64>()
        .min(1.0)
}

/// A confidence interval for the median: (low, high, the confidence it achieves).
///
/// The interval between two order statistics, the `k`th smallest and the `k`th largest,
/// holds the true median with probability `1 - 2 P(Bin(n, 1/2) < k)` whatever the
/// distribution; this takes the narrowest such interval reaching `level`. With too few
/// values for that (fewer than 6 at 95%) it gives the whole range, min to max, and the
/// confidence that has: 93.75% for 5 values, 87.5% for 4. One value gives it twice at
/// confidence 0.
///
/// ```
/// use trace_model::diff::stats::median_ci;
/// let xs: Vec<f64> = (1..=10).map(f64::from).collect();
/// let (lo, hi, level) = median_ci(&xs, 0.95);
/// assert_eq!((lo, hi), (2.0, 9.0));
/// assert!(level >= 0.95);
/// let (lo, hi, level) = median_ci(&[5.0, 1.0, 3.0, 2.0, 4.0], 0.95);
/// assert_eq!((lo, hi, level), (1.0, 5.0, 0.9375));
/// ```
pub fn median_ci(xs: &[f64], level: f64) -> (f64, f64, f64) {
    let s = sorted(xs);
    let n = s.len();
    let (Some(&min), Some(&max)) = (s.first(), s.last()) else {
        return (0.0, 0.0, 0.0);
    };
    let coverage = |k: usize| {
        if k == 0 {
            return 0.0;
        }
        1.0 - 2.0 * binomial_half_cdf(n as u64, k as u64 - 1)
    };
    let mut best = (min, max, coverage(1).max(0.0));
    for k in 2..=n / 2 {
        let c = coverage(k);
        if c < level {
            break;
        }
        if let (Some(&lo), Some(&hi)) = (s.get(k - 1), s.get(n - k)) {
            best = (lo, hi, c);
        }
    }
    if n == 1 {
        best.2 = 0.0;
    }
    best
}

/// The result of a Mann-Whitney U test of two samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// U of the first sample: how many (a, b) pairs have a > b, ties counting a half.
    pub u: f64,
    /// The two-sided p-value: the chance of a U at least this far from its mean if both
    /// samples came from one distribution.
    pub p: f64,
    /// Whether `p` is exact (from U's distribution given the ties) or the normal
    /// approximation.
    pub exact: bool,
}

/// Samples up to this many values together get the exact test.
pub const EXACT_MAX: usize = 50;

/// The Mann-Whitney U test (Wilcoxon rank-sum test) of `a` against `b`, two-sided, as
/// benchstat uses it: `None` when a sample is empty.
///
/// With at most [`EXACT_MAX`] values in all, `p` is exact: U's distribution when every way of
/// splitting the pooled values (ties as they are, each value at its mid-rank) into the two
/// samples is equally likely, counted by dynamic programming; `p = min(1, 2 min(P(U <= u),
/// P(U >= u)))`. Beyond, the normal approximation with the tie correction and a continuity
/// correction. All values equal gives `p = 1`.
///
/// ```
/// use trace_model::diff::stats::mann_whitney;
/// // Five runs each, every B slower than every A: the smallest p five a side allows.
/// let a = [10.0, 11.0, 12.0, 13.0, 14.0];
/// let b = [20.0, 21.0, 22.0, 23.0, 24.0];
/// let t = mann_whitney(&a, &b).unwrap();
/// assert!(t.exact && t.u == 0.0);
/// assert!((t.p - 2.0 / 252.0).abs() < 1e-12);
/// // Interleaved: nothing to see.
/// let t = mann_whitney(&[1.0, 3.0, 5.0, 7.0, 9.0], &[2.0, 4.0, 6.0, 8.0, 10.0]).unwrap();
/// assert!(t.p > 0.5);
/// ```
pub fn mann_whitney(a: &[f64], b: &[f64]) -> Option<MannWhitney> {
    let (n1, n2) = (a.len(), b.len());
    if n1 == 0 || n2 == 0 {
        return None;
    }
    // Pool, sort, and give each value twice its mid-rank (an integer).
    let mut pooled: Vec<(f64, bool)> = a
        .iter()
        .map(|&x| (x, true))
        .chain(b.iter().map(|&x| (x, false)))
        .collect();
    pooled.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = pooled.len();
    let mut ranks2 = vec![0u64; n];
    let mut ties: Vec<u64> = Vec::new();
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && pooled.get(j).map(|p| p.0) == pooled.get(i).map(|p| p.0) {
            j += 1;
        }
        // Ranks i+1..=j share (i+1+j)/2; doubled, i+1+j.
        for r in ranks2.iter_mut().take(j).skip(i) {
            *r = (i + 1 + j) as u64;
        }
        ties.push((j - i) as u64);
        i = j;
    }
    let r1_2: u64 = pooled
        .iter()
        .zip(&ranks2)
        .filter(|(p, _)| p.1)
        .map(|(_, r)| r)
        .sum();
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let u = r1_2 as f64 / 2.0 - n1f * (n1f + 1.0) / 2.0;
    if ties.len() == 1 {
        return Some(MannWhitney {
            u,
            p: 1.0,
            exact: n <= EXACT_MAX,
        });
    }
    if n <= EXACT_MAX {
        // ways[k][s]: subsets of k of the values seen so far whose doubled ranks sum to s.
        let max_sum = ranks2.iter().sum::<u64>() as usize;
        let mut ways = vec![vec![0f64; max_sum + 1]; n1 + 1];
        if let Some(w) = ways.get_mut(0).and_then(|w| w.get_mut(0)) {
            *w = 1.0;
        }
        for &r in &ranks2 {
            let r = r as usize;
            for k in (1..=n1).rev() {
                let (lower, upper) = ways.split_at_mut(k);
                let (Some(from), Some(to)) = (lower.last(), upper.first_mut()) else {
                    continue;
                };
                for s in (r..=max_sum).rev() {
                    if let (Some(&f), Some(t)) = (from.get(s - r), to.get_mut(s)) {
                        *t += f;
                    }
                }
            }
        }
        let dist = ways.get(n1).map(Vec::as_slice).unwrap_or(&[]);
        let total: f64 = dist.iter().sum();
        let obs = r1_2 as usize;
        let below: f64 = dist.iter().take(obs + 1).sum();
        let above: f64 = dist.iter().skip(obs).sum();
        let p = (2.0 * below.min(above) / total).min(1.0);
        return Some(MannWhitney { u, p, exact: true });
    }
    let nf = n as f64;
    let mean = n1f * n2f / 2.0;
    let tie_term: f64 = ties
        .iter()
        .map(|&t| {
            let t = t as f64;
            t * t * t - t
        })
        .sum();
    let var = n1f * n2f / 12.0 * ((nf + 1.0) - tie_term / (nf * (nf - 1.0)));
    if var <= 0.0 {
        return Some(MannWhitney {
            u,
            p: 1.0,
            exact: false,
        });
    }
    let z = ((u - mean).abs() - 0.5).max(0.0) / var.sqrt();
    let p = (2.0 * normal_upper_tail(z)).min(1.0);
    Some(MannWhitney { u, p, exact: false })
}

/// P(Z > z) for a standard normal Z: erfc(z / sqrt 2) / 2.
fn normal_upper_tail(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The complementary error function for x >= 0 (Numerical Recipes' Chebyshev fit, relative
/// error below 1.2e-7: far beyond what a p-value needs).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// U's exact two-sided p by enumerating every split of the pooled values.
    fn brute(a: &[f64], b: &[f64]) -> f64 {
        let pooled: Vec<f64> = a.iter().chain(b).copied().collect();
        let n = pooled.len();
        let u_of = |mask: u32| {
            let (x, y): (Vec<f64>, Vec<f64>) = {
                let mut x = Vec::new();
                let mut y = Vec::new();
                for (i, &v) in pooled.iter().enumerate() {
                    if mask & (1 << i) != 0 {
                        x.push(v)
                    } else {
                        y.push(v)
                    }
                }
                (x, y)
            };
            let mut u = 0.0;
            for &p in &x {
                for &q in &y {
                    u += if p > q {
                        1.0
                    } else if p == q {
                        0.5
                    } else {
                        0.0
                    };
                }
            }
            u
        };
        let obs = u_of((1u32 << a.len()) - 1);
        let (mut below, mut above, mut total) = (0.0, 0.0, 0.0);
        for mask in 0u32..(1 << n) {
            if mask.count_ones() as usize != a.len() {
                continue;
            }
            let u = u_of(mask);
            total += 1.0;
            if u <= obs {
                below += 1.0;
            }
            if u >= obs {
                above += 1.0;
            }
        }
        (2.0 * f64::min(below, above) / total).min(1.0)
    }

    #[test]
    fn exact_test_matches_enumeration_with_and_without_ties() {
        let cases: [(&[f64], &[f64]); 6] = [
            (&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]),
            (&[1.0, 2.0, 2.0, 5.0], &[2.0, 3.0, 7.0, 7.0]),
            (&[5.0, 5.0, 5.0], &[5.0, 5.0, 6.0]),
            (&[3.0, 1.0, 4.0, 1.0, 5.0], &[9.0, 2.0, 6.0, 5.0, 3.0]),
            (&[10.0], &[1.0, 2.0, 3.0, 4.0]),
            (
                &[1.0, 1.0, 2.0, 2.0, 3.0, 3.0],
                &[2.0, 3.0, 3.0, 4.0, 4.0, 5.0],
            ),
        ];
        for (a, b) in cases {
            let t = mann_whitney(a, b).unwrap();
            assert!(t.exact);
            let want = brute(a, b);
            assert!((t.p - want).abs() < 1e-12, "{a:?} {b:?}: {} vs {want}", t.p);
        }
    }

    #[test]
    fn normal_approximation_is_close_to_exact_where_both_apply() {
        let a: Vec<f64> = (0..25).map(|i| f64::from(i * 3 % 17)).collect();
        let b: Vec<f64> = (0..25).map(|i| f64::from(i * 5 % 19) + 2.0).collect();
        let exact = mann_whitney(&a, &b).unwrap();
        assert!(exact.exact);
        let mut more_a = a.clone();
        more_a.push(8.0);
        let approx = mann_whitney(&more_a, &b).unwrap();
        assert!(!approx.exact);
        assert!(
            (exact.p - approx.p).abs() < 0.05,
            "{} vs {}",
            exact.p,
            approx.p
        );
        assert!((erfc(0.0) - 1.0).abs() < 1e-6);
        assert!((normal_upper_tail(1.959_963_985) - 0.025).abs() < 1e-6);
    }

    #[test]
    fn empty_and_constant_samples() {
        assert!(mann_whitney(&[], &[1.0]).is_none());
        assert_eq!(mann_whitney(&[2.0; 3], &[2.0; 4]).unwrap().p, 1.0);
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median_ci(&[7.0], 0.95), (7.0, 7.0, 0.0));
        assert_eq!(median_ci(&[], 0.95), (0.0, 0.0, 0.0));
    }
}
