//! A mergeable quantile sketch: a fixed-bucket log-linear histogram of non-negative
//! integers (durations in seconds), as HDR histograms lay their buckets out.
//!
//! Values below 128 have a bucket each (exact). A larger value `x` with highest set bit
//! `e` falls in the bucket of its top seven bits: width `2^(e-6)`, lower bound at least
//! `64 * 2^(e-6)`, so a bucket is at most 1/64 of its lower bound wide. A quantile is
//! reported as its bucket's middle, so:
//!
//! **Error bound.** For `0 < q <= 1`, [`Sketch::quantile`] returns a value within
//! `x / 128` (0.79 %) of `x`, the exact nearest-rank quantile of the values added
//! (`x` is the value at rank `ceil(q n)`), and exactly `x` when `x < 128`.
//!
//! Buckets are computed with integer operations only (no logarithms), so every
//! machine files a value in the same bucket. The sketch keeps only its non-empty
//! buckets, sorted; adding is a binary search and at most a shift of a short vector,
//! and there are at most 3,776 buckets for all of `u64`, so both are bounded.
//! [`Sketch::merge`] adds bucket counts and is exact: merging two sketches equals
//! having added every value to one. Values can be removed again (a retracted
//! contribution), which is exact too. The sum is kept exactly (128 bits) for the mean.

use serde::{Deserialize, Serialize};

/// Sub-bucket bits: each power of two above 128 is split in 64 buckets.
const SUB_BITS: u32 = 6;
const EXACT: u64 = 1 << (SUB_BITS + 1); // 128

/// The bucket of `x`.
fn bucket(x: u64) -> u16 {
    if x < EXACT {
        // x < 128 fits.
        return u16::try_from(x).unwrap_or(u16::MAX);
    }
    let e = x.ilog2(); // >= 7
    let sub = (x >> (e - SUB_BITS)) & ((1 << SUB_BITS) - 1);
    let ix = EXACT + u64::from(e - SUB_BITS - 1) * (1 << SUB_BITS) + sub;
    u16::try_from(ix).unwrap_or(u16::MAX)
}

/// The lowest value and the width of bucket `ix`.
fn bounds(ix: u16) -> (u64, u64) {
    let ix = u64::from(ix);
    if ix < EXACT {
        return (ix, 1);
    }
    let k = ix - EXACT;
    let e = k / (1 << SUB_BITS) + u64::from(SUB_BITS) + 1;
    let sub = k % (1 << SUB_BITS);
    let shift = e - u64::from(SUB_BITS);
    (((1 << SUB_BITS) + sub) << shift, 1 << shift)
}

/// The value reported for bucket `ix`: its middle (rounded down).
fn representative(ix: u16) -> u64 {
    let (lo, width) = bounds(ix);
    lo + (width - 1) / 2
}

/// A mergeable histogram of durations (or any non-negative integers) with quantiles
/// to a relative error of 1/128; see the module docs for the bound.
///
/// ```
/// use onhand_insight::Sketch;
/// let mut a = Sketch::default();
/// for h in [2u64, 3, 5, 8] { a.add(h * 3600); }
/// let mut b = Sketch::default();
/// b.add(100 * 3600);
/// a.merge(&b);
/// assert_eq!(a.count(), 5);
/// let p50 = a.quantile(0.5).ok_or("empty")?;      // exact: 5 h = 18,000 s
/// assert!(p50.abs_diff(18_000) <= 18_000 / 128);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Reading one back (serde) checks that it is one [`Sketch::add`] could have built:
/// buckets in strictly increasing order, each a real bucket and non-empty, the count
/// their total, and the sum within what values in those buckets can add up to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Raw")]
pub struct Sketch {
    /// Non-empty buckets, sorted by index.
    buckets: Vec<(u16, u64)>,
    count: u64,
    sum: u128,
}

/// A sketch as read, before its checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    buckets: Vec<(u16, u64)>,
    count: u64,
    sum: u128,
}

impl TryFrom<Raw> for Sketch {
    type Error = String;

    fn try_from(raw: Raw) -> Result<Sketch, String> {
        let top = bucket(u64::MAX);
        let (mut count, mut low, mut high) = (0u64, 0u128, 0u128);
        let mut last = None;
        for &(ix, n) in &raw.buckets {
            if ix > top {
                return Err(format!("sketch bucket {ix} beyond the last, {top}"));
            }
            if last.is_some_and(|l| l >= ix) {
                return Err(format!("sketch bucket {ix} out of order"));
            }
            if n == 0 {
                return Err(format!("sketch bucket {ix} empty"));
            }
            last = Some(ix);
            count = count.checked_add(n).ok_or("sketch counts beyond u64")?;
            let (lo, width) = bounds(ix);
            let n = u128::from(n);
            low = low.saturating_add(u128::from(lo) * n);
            high = high.saturating_add(u128::from(lo + (width - 1)) * n);
        }
        if count != raw.count {
            return Err(format!("sketch count {} but buckets hold {count}", raw.count));
        }
        if raw.sum < low || raw.sum > high {
            return Err(format!("sketch sum {} outside [{low}, {high}]", raw.sum));
        }
        Ok(Sketch { buckets: raw.buckets, count: raw.count, sum: raw.sum })
    }
}

impl Sketch {
    /// Adds one value.
    pub fn add(&mut self, x: u64) {
        self.add_n(x, 1);
    }

    /// Adds `n` copies of a value.
    pub fn add_n(&mut self, x: u64, n: u64) {
        if n == 0 {
            return;
        }
        let b = bucket(x);
        match self.buckets.binary_search_by_key(&b, |(k, _)| *k) {
            Ok(i) => {
                if let Some((_, c)) = self.buckets.get_mut(i) {
                    *c = c.saturating_add(n);
                }
            }
            Err(i) => self.buckets.insert(i, (b, n)),
        }
        self.count = self.count.saturating_add(n);
        self.sum = self.sum.saturating_add(u128::from(x) * u128::from(n));
    }

    /// Removes one value added before (a retracted contribution). Returns false, and
    /// changes nothing, when no value of that bucket is held.
    pub fn remove(&mut self, x: u64) -> bool {
        let b = bucket(x);
        let Ok(i) = self.buckets.binary_search_by_key(&b, |(k, _)| *k) else {
            return false;
        };
        let Some((_, c)) = self.buckets.get_mut(i) else { return false };
        *c = c.saturating_sub(1);
        if *c == 0 {
            self.buckets.remove(i);
        }
        self.count = self.count.saturating_sub(1);
        self.sum = self.sum.saturating_sub(u128::from(x));
        true
    }

    /// Adds every value of `other` (exact).
    pub fn merge(&mut self, other: &Sketch) {
        if other.buckets.is_empty() {
            return;
        }
        if self.buckets.is_empty() {
            self.clone_from(other);
            return;
        }
        let mut out = Vec::with_capacity(self.buckets.len() + other.buckets.len());
        let (mut i, mut j) = (0, 0);
        while let (Some(a), Some(b)) = (self.buckets.get(i), other.buckets.get(j)) {
            match a.0.cmp(&b.0) {
                std::cmp::Ordering::Less => {
                    out.push(*a);
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    out.push(*b);
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    out.push((a.0, a.1.saturating_add(b.1)));
                    i += 1;
                    j += 1;
                }
            }
        }
        out.extend_from_slice(self.buckets.get(i..).unwrap_or_default());
        out.extend_from_slice(other.buckets.get(j..).unwrap_or_default());
        self.buckets = out;
        self.count = self.count.saturating_add(other.count);
        self.sum = self.sum.saturating_add(other.sum);
    }

    /// Values held.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The exact sum of the values held.
    #[must_use]
    pub fn sum(&self) -> u128 {
        self.sum
    }

    /// Whether nothing is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The nearest-rank `q`-quantile to within 1/128 (see the module docs), or `None`
    /// when the sketch is empty or `q` is not in (0, 1].
    #[must_use]
    pub fn quantile(&self, q: f64) -> Option<u64> {
        #[allow(
            clippy::float_arithmetic,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "a rank from a probability; clamped to 1..=count below"
        )]
        let rank = {
            if !(q > 0.0 && q <= 1.0) || self.count == 0 {
                return None;
            }
            ((q * self.count as f64).ceil() as u64).clamp(1, self.count)
        };
        let mut seen = 0u64;
        for (b, c) in &self.buckets {
            seen = seen.saturating_add(*c);
            if seen >= rank {
                return Some(representative(*b));
            }
        }
        debug_assert!(false, "bucket counts add up to the count");
        None
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn buckets_are_contiguous_and_bounded() {
        let mut last = (0u64, 1u64);
        for ix in 1..3776u16 {
            let (lo, w) = bounds(ix);
            assert_eq!(lo, last.0 + last.1, "bucket {ix} starts where {} ends", ix - 1);
            assert!(ix < 128 || w * 64 <= lo, "bucket {ix} is at most 1/64 of its bound");
            assert_eq!(bucket(lo), ix);
            assert_eq!(bucket(lo + (w - 1)), ix);
            last = (lo, w);
        }
        assert_eq!(bucket(u64::MAX), 3775);
    }

    #[test]
    fn small_values_are_exact_and_remove_undoes_add() {
        let mut s = Sketch::default();
        for x in [5u64, 1, 9, 1, 7] {
            s.add(x);
        }
        assert_eq!(s.quantile(0.5), Some(5));
        assert_eq!(s.quantile(1.0), Some(9));
        assert_eq!(s.quantile(0.2), Some(1));
        assert_eq!(s.quantile(0.0), None);
        assert!(s.remove(9));
        assert!(!s.remove(100));
        assert_eq!((s.count(), s.sum(), s.quantile(1.0)), (4, 14, Some(7)));
        assert_eq!(Sketch::default().quantile(0.5), None);
    }

    #[test]
    fn reading_a_sketch_back_refuses_one_add_could_not_build() {
        let mut s = Sketch::default();
        for x in [3u64, 3, 900, 1 << 40] {
            s.add(x);
        }
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Sketch>(&json).unwrap(), s);
        for (bad, why) in [
            (r#"{"buckets":[[3,1],[3,1]],"count":2,"sum":6}"#, "out of order"),
            (r#"{"buckets":[[9,1],[3,1]],"count":2,"sum":12}"#, "out of order"),
            (r#"{"buckets":[[3,0]],"count":0,"sum":0}"#, "empty"),
            (r#"{"buckets":[[3776,1]],"count":1,"sum":0}"#, "beyond the last"),
            (r#"{"buckets":[[3,2]],"count":1,"sum":6}"#, "count 1 but"),
            (r#"{"buckets":[[3,2]],"count":2,"sum":7}"#, "outside"),
            (r#"{"buckets":[],"count":0,"sum":1}"#, "outside"),
            (r#"{"buckets":[[3775,2]],"count":3,"sum":0}"#, "count 3 but"),
        ] {
            let err = serde_json::from_str::<Sketch>(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
        }
        // Values from one bucket of width 2^34 (1 << 40 falls in one): any sum the
        // bucket's values could give is accepted.
        let (lo, w) = bounds(bucket(1 << 40));
        let ok =
            format!(r#"{{"buckets":[[{}, 1]],"count":1,"sum":{}}}"#, bucket(1 << 40), lo + w - 1);
        assert!(serde_json::from_str::<Sketch>(&ok).is_ok());
    }

    proptest! {
        /// The stated bound: every quantile within x/128 of the exact nearest-rank one.
        #[test]
        fn quantiles_keep_the_stated_bound(
            xs in prop::collection::vec(prop_oneof![0u64..200, 0u64..10_000_000, any::<u64>()], 1..300),
            q in 0.001f64..=1.0,
        ) {
            let mut s = Sketch::default();
            for x in &xs { s.add(*x); }
            let mut sorted = xs.clone();
            sorted.sort_unstable();
            // The exact rank of quantile `q` in the sorted sample, as the sketch defines it.
            #[allow(clippy::float_arithmetic, clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss, reason = "a test's reference rank, from a quantile in (0, 1]")]
            let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
            let exact = sorted[rank - 1];
            let got = s.quantile(q).unwrap();
            prop_assert!(got.abs_diff(exact) <= exact / 128, "q {q}: {got} vs {exact}");
            if exact < 128 { prop_assert_eq!(got, exact); }
        }

        /// Merging equals adding everything to one sketch, in any split.
        #[test]
        fn merge_equals_one_sketch(xs in prop::collection::vec(any::<u32>(), 0..200), cut in 0usize..200) {
            let cut = cut.min(xs.len());
            let (mut a, mut b, mut all) = (Sketch::default(), Sketch::default(), Sketch::default());
            for (i, x) in xs.iter().enumerate() {
                all.add(u64::from(*x));
                if i < cut { a.add(u64::from(*x)) } else { b.add(u64::from(*x)) }
            }
            a.merge(&b);
            prop_assert_eq!(a, all);
        }
    }
}
