//! Sharing short supply among competing lines: first come, first served, or fair share.
//!
//! **Fair share** means the same here as in `onhand-replenish`'s `fair_share`: supply is
//! handed out one step at a time to the claim with the lowest coverage that can still
//! take a step, the earlier claim on ties, and the shares are the first steps handed out
//! that way (computed without handing them out one by one). In replenishment a claim's
//! coverage is its days of supply, `(on hand + share) / daily demand`; an order line is
//! a claim with nothing on hand whose demand and cap are both what it asks, so its
//! coverage is the share of its request it holds, and the shares are pro rata to the
//! requests, rounded max-min fair to whole units.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use serde::{Deserialize, Serialize};

/// How lines that compete for short supply share it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sharing {
    /// In serve order: each line takes what it can before the next is looked at.
    #[default]
    FirstCome,
    /// Lines of the same item, region, priority and requested date share in proportion
    /// to what they ask (see the module docs; [`fair_share`]). A line that may not be
    /// split gets all it asks or nothing, in serve order, and the lines that may be
    /// split share the rest.
    FairShare,
}

/// The step `n` (0-based) of a claim asking `ask`: its coverage before the step is
/// `n / ask`; ordered by coverage, then by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Step {
    n: i128,
    ask: i128,
    at: usize,
}

impl Ord for Step {
    fn cmp(&self, other: &Self) -> Ordering {
        // n1 / a1 against n2 / a2, exactly: both asks are positive and below 2^63, so
        // the products fit in i128.
        (self.n * other.ask).cmp(&(other.n * self.ask)).then(self.at.cmp(&other.at))
    }
}

impl PartialOrd for Step {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Fair shares of `supply` whole units among claims asking `asks` (in order; a claim
/// asking 0 or less gets nothing): each unit goes to the claim holding the smallest
/// share of its request that still asks for more, the earlier claim on ties. The shares
/// never exceed what a claim asks and add up to `min(supply, total asked)`; they are
/// `ask × supply / total asked` where that is whole for every claim. Cost: `O(n log n)`.
///
/// ```
/// use onhand_atp::fair_share;
/// // 10 units for lines asking 6, 6 and 3 (15 in all): two thirds each is 4, 4 and 2.
/// assert_eq!(fair_share(10, &[6, 6, 3]), [4, 4, 2]);
/// // 5 units for 9 and 1: 4.5 and 0.5. One at a time to the smallest share held: the
/// // first to each line (1, 1), then the line asking 1 is full and the rest go to the
/// // first: 4 and 1.
/// assert_eq!(fair_share(5, &[9, 1]), [4, 1]);
/// ```
#[must_use]
pub fn fair_share(supply: i64, asks: &[i64]) -> Vec<i64> {
    let total: i128 = asks.iter().map(|a| i128::from((*a).max(0))).sum();
    let p = i128::from(supply.max(0));
    if p >= total {
        return asks.iter().map(|a| (*a).max(0)).collect();
    }
    // The steps with coverage below p / total come first in the one-at-a-time order;
    // there are at least p of them: ceil(ask × p / total) a claim (within its ask).
    let mut shares: Vec<i128> = asks
        .iter()
        .map(|a| {
            let a = i128::from((*a).max(0));
            let x = a * p;
            ((x + total - 1) / total).min(a)
        })
        .collect();
    let mut given: i128 = shares.iter().sum();
    debug_assert!(given >= p, "the steps below the level cover the supply");
    // Drop the last steps handed out (highest coverage, then latest claim) down to p.
    let mut last: BinaryHeap<Step> = shares
        .iter()
        .zip(asks)
        .enumerate()
        .filter(|(_, (s, _))| **s > 0)
        .map(|(at, (s, a))| Step { n: s - 1, ask: i128::from(*a), at })
        .collect();
    while given > p {
        let Some(top) = last.pop() else { break };
        let Some(s) = shares.get_mut(top.at) else { break };
        *s -= 1;
        given -= 1;
        if *s > 0 {
            last.push(Step { n: *s - 1, ..top });
        }
    }
    // Every share is at most its ask, an i64.
    shares.into_iter().map(|s| i64::try_from(s).unwrap_or(0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One unit at a time to the claim with the smallest share of its ask that can
    /// take it, the earlier on ties.
    fn reference(supply: i64, asks: &[i64]) -> Vec<i64> {
        let mut s = vec![0i64; asks.len()];
        for _ in 0..supply {
            let pick = (0..asks.len()).filter(|&i| s[i] < asks[i]).min_by(|&i, &j| {
                (i128::from(s[i]) * i128::from(asks[j]))
                    .cmp(&(i128::from(s[j]) * i128::from(asks[i])))
                    .then(i.cmp(&j))
            });
            match pick {
                Some(i) => s[i] += 1,
                None => break,
            }
        }
        s
    }

    #[test]
    fn worked_cases() {
        // Pro rata and whole: 12 units for 10, 20, 30 (60): a fifth each.
        assert_eq!(fair_share(12, &[10, 20, 30]), [2, 4, 6]);
        // 7 for 3, 3, 3: 2.33 each. Two rounds of one each (6), then the first.
        assert_eq!(fair_share(7, &[3, 3, 3]), [3, 2, 2]);
        // Enough for everyone, and nothing.
        assert_eq!(fair_share(100, &[3, 0, 5]), [3, 0, 5]);
        assert_eq!(fair_share(0, &[3, 5]), [0, 0]);
        assert_eq!(fair_share(-4, &[3, 5]), [0, 0]);
        // Four lines asking one unit and one asking 100, ten units: the one-unit lines
        // take their unit first (a share of 0 before it), the large line the other six.
        assert_eq!(fair_share(10, &[1, 1, 1, 1, 100]), [1, 1, 1, 1, 6]);
        // Far from overflow at the i64 edge.
        assert_eq!(fair_share(i64::MAX - 1, &[i64::MAX, i64::MAX]), [i64::MAX / 2, i64::MAX / 2]);
    }

    proptest! {
        #[test]
        fn equals_one_unit_at_a_time(
            asks in prop::collection::vec(prop_oneof![Just(0i64), 1i64..40], 0..8),
            supply in 0i64..200,
        ) {
            let got = fair_share(supply, &asks);
            prop_assert_eq!(&got, &reference(supply, &asks));
            let total: i64 = asks.iter().sum();
            prop_assert_eq!(got.iter().sum::<i64>(), supply.min(total));
            for (g, a) in got.iter().zip(&asks) {
                prop_assert!(*g >= 0 && g <= a);
            }
        }
    }
}
