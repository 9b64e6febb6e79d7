//! The statistical tests behind the detectors, in floating point (documented accuracy;
//! counts and sums reach here exact and leave as evidence next to the test's result).
//!
//! | function | method | accuracy |
//! |---|---|---|
//! | [`binomial_upper_tail`] `P(X >= k)`, `X ~ Bin(n, p)` | the regularized incomplete beta `I_p(k, n-k+1)` by Lentz's continued fraction (Numerical Recipes, 3rd ed., 6.4) on a Lanczos log-gamma (g = 7, 9 terms) | relative 1e-10 or better for n up to 10^7 |
//! | [`benjamini_hochberg`] | step-up procedure at false discovery rate `q` (Benjamini and Hochberg, 1995) | exact on the p-values given |
//! | [`median`], [`mad`] | sort (total order), middle or the mean of the two middles | exact in f64 |
//!
//! Nothing here returns NaN for inputs the detectors pass (they check sample sizes
//! first); out-of-domain inputs return `None`.

#![allow(
    clippy::float_arithmetic,
    clippy::cast_precision_loss,
    clippy::unreadable_literal,
    clippy::excessive_precision,
    reason = "statistics are floating point by nature; see the module docs"
)]

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, n = 9).
#[must_use]
pub(crate) fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_93,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_13,
        -176.615_029_162_140_59,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_571_6e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 - x) = π / sin(π x).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).abs().ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The continued fraction of the incomplete beta function (modified Lentz).
#[allow(clippy::many_single_char_names, reason = "the textbook's names")]
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    const EPS: f64 = 1e-15;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..10_000 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// The regularized incomplete beta function `I_x(a, b)` for `a, b > 0`, `x` in [0, 1].
fn beta_inc(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

/// `P(X >= k)` for `X ~ Binomial(n, p)`; `None` for `p` outside [0, 1] or `k > n + 1`.
///
/// ```
/// // 3 or more heads in 4 fair tosses: 5/16.
/// let p = onhand_insight::binomial_upper_tail(3, 4, 0.5).ok_or("domain")?;
/// assert!((p - 0.3125).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn binomial_upper_tail(k: u64, n: u64, p: f64) -> Option<f64> {
    if !(0.0..=1.0).contains(&p) || k > n.saturating_add(1) {
        return None;
    }
    if k == 0 {
        return Some(1.0);
    }
    if k > n {
        return Some(0.0);
    }
    if p <= 0.0 {
        return Some(0.0);
    }
    if p >= 1.0 {
        return Some(1.0);
    }
    let v = beta_inc(k as f64, (n - k + 1) as f64, p);
    Some(v.clamp(0.0, 1.0))
}

/// Which of `p_values` the Benjamini–Hochberg step-up procedure rejects at false
/// discovery rate `q`: sort ascending (ties by position, so the result is
/// deterministic), find the largest rank `i` with `p(i) <= i q / m`, reject ranks
/// `1..=i`. Returns a flag per input and the p-value threshold used (`None`: nothing
/// rejected).
///
/// Under the complete null (no true anomaly), the chance of rejecting anything is at
/// most `q`.
#[must_use]
pub fn benjamini_hochberg(p_values: &[f64], q: f64) -> (Vec<bool>, Option<f64>) {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|a, b| {
        let (pa, pb) = (p_values.get(*a).copied(), p_values.get(*b).copied());
        pa.unwrap_or(1.0).total_cmp(&pb.unwrap_or(1.0)).then(a.cmp(b))
    });
    let mut cut = None;
    for (rank, ix) in order.iter().enumerate() {
        let p = p_values.get(*ix).copied().unwrap_or(1.0);
        let bound = (rank + 1) as f64 * q / m as f64;
        if p <= bound {
            cut = Some((rank, bound));
        }
    }
    let mut flags = vec![false; m];
    if let Some((last, _)) = cut {
        for ix in order.iter().take(last + 1) {
            if let Some(f) = flags.get_mut(*ix) {
                *f = true;
            }
        }
    }
    (flags, cut.map(|(_, b)| b))
}

/// The median of `xs` (`None` when empty).
#[must_use]
pub(crate) fn median(xs: &[f64]) -> Option<f64> {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return None;
    }
    let hi = v.get(n / 2).copied()?;
    if n % 2 == 1 { Some(hi) } else { Some(0.5 * (v.get(n / 2 - 1).copied()? + hi)) }
}

/// The median absolute deviation from `center`.
#[must_use]
pub(crate) fn mad(xs: &[f64], center: f64) -> Option<f64> {
    let dev: Vec<f64> = xs.iter().map(|x| (x - center).abs()).collect();
    median(&dev)
}

/// The mean absolute deviation from `center` (the fallback scale when the MAD is 0).
#[must_use]
pub(crate) fn mean_abs_dev(xs: &[f64], center: f64) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().map(|x| (x - center).abs()).sum::<f64>() / xs.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct summation of the binomial pmf in log space, the reference.
    fn tail_by_sum(k: u64, n: u64, p: f64) -> f64 {
        (k..=n)
            .map(|i| {
                let ln_c = ln_gamma((n + 1) as f64)
                    - ln_gamma((i + 1) as f64)
                    - ln_gamma((n - i + 1) as f64);
                (ln_c + i as f64 * p.ln() + (n - i) as f64 * (1.0 - p).ln()).exp()
            })
            .sum()
    }

    #[test]
    fn log_gamma_matches_factorials() {
        let mut f = 1.0f64;
        for n in 1..30u32 {
            f *= f64::from(n);
            assert!((ln_gamma(f64::from(n) + 1.0) - f.ln()).abs() < 1e-10, "{n}!");
        }
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
    }

    #[test]
    fn binomial_tail_matches_direct_sums() {
        for &(n, p) in &[(10u64, 0.1), (40, 0.02), (200, 0.3), (1000, 0.005), (25, 0.9)] {
            for k in 0..=n.min(60) {
                let a = binomial_upper_tail(k, n, p).unwrap();
                let b = if k == 0 { 1.0 } else { tail_by_sum(k, n, p) };
                assert!(
                    (a - b).abs() <= 1e-10 * b.max(1e-300) + 1e-14,
                    "n {n} p {p} k {k}: {a} vs {b}"
                );
            }
        }
        // Textbook: P(X >= 2), n = 20, p = 0.05 is 1 - 0.95^20 - 20 (0.05) 0.95^19 = 0.26416.
        assert!((binomial_upper_tail(2, 20, 0.05).unwrap() - 0.264_160_5).abs() < 1e-6);
        assert_eq!(binomial_upper_tail(1, 5, 0.0), Some(0.0));
        assert_eq!(binomial_upper_tail(7, 5, 0.5), None);
        assert_eq!(binomial_upper_tail(1, 5, 1.5), None);
    }

    #[test]
    fn benjamini_hochberg_textbook_case() {
        // m = 5, q = 0.05: bounds 0.01, 0.02, 0.03, 0.04, 0.05. Sorted p: 0.001, 0.008,
        // 0.039, 0.041, 0.6: the largest i with p(i) <= bound is 2 (0.008 <= 0.02).
        let p = [0.6, 0.039, 0.001, 0.041, 0.008];
        let (flags, cut) = benjamini_hochberg(&p, 0.05);
        assert_eq!(flags, [false, false, true, false, true]);
        assert!((cut.unwrap() - 0.02).abs() < 1e-15);
        assert_eq!(benjamini_hochberg(&[0.5, 0.9], 0.05), (vec![false, false], None));
        assert_eq!(benjamini_hochberg(&[], 0.05), (vec![], None));
    }

    #[test]
    fn median_and_mad() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        // 1, 2, 3, 4, 100: median 3, deviations 2, 1, 0, 1, 97 -> MAD 1.
        assert_eq!(mad(&[1.0, 2.0, 3.0, 4.0, 100.0], 3.0), Some(1.0));
        assert_eq!(mean_abs_dev(&[1.0, 3.0], 2.0), Some(1.0));
    }
}
