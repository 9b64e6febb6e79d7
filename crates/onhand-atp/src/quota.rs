//! Allocation quotas (product allocation): caps on what each demand class may be
//! confirmed per period.
//!
//! A [`QuotaRule`] covers one item over periods that start on the given dates (the last
//! runs on without end). Each [`QuotaEntry`] names a demand-class pattern and an amount
//! per period; a demand belongs to the most specific entry it matches (ties: the first
//! listed). Demand matching no entry draws on the **collective** pool when there is one,
//! and is not restricted when there is none.
//!
//! | amount | capacity per period |
//! |---|---|
//! | [`QuotaAmount::Absolute`] | the quantity |
//! | [`QuotaAmount::Percent`] | that share of the item's network supply in the period |
//! | [`QuotaAmount::Ratio`] | the ratio entries share the period's supply by weight (3:1 of 2,000 gives 1,500 and 500; remainders go to the earlier entries) |
//!
//! Supply in a period is what is free across the network when the rules are loaded
//! (counted in the period holding today) plus the receipts falling in the period; later
//! changes to stock on hand (and supply dated today or earlier) count in the period
//! holding today when they happen, so moving today never sends them to a period that
//! has passed. Stock that leaves for the line it was confirmed to
//! ([`Atp::consume`](crate::Atp::consume)) stays counted: the line keeps its quota use
//! and the period keeps the units in its supply, so a shipment never shrinks another
//! group's share. Consumption is
//! [`Consumption::Discrete`] (what a period does not use lapses) or
//! [`Consumption::Cumulative`] (it carries forward); either way a confirmation counts in
//! the period of its material availability date, and never takes what a later period
//! already confirmed relies on.

use chrono::NaiveDate;
use onhand_master::{ItemCode, Qty};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::demand::DemandClass;

/// How unused quota behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consumption {
    /// Unused quota of a period lapses.
    #[default]
    Discrete,
    /// Unused quota carries forward into later periods.
    Cumulative,
}

/// How much a class may be confirmed per period.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaAmount {
    /// A fixed quantity per period.
    Absolute(Qty),
    /// A share (0 to 1) of the period's network supply.
    Percent(#[serde(with = "onhand_master::decimal::serde_str")] Decimal),
    /// A weight: ratio entries share the period's supply in proportion.
    Ratio(u32),
}

/// One class's quota.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaEntry {
    /// The class pattern.
    pub class: DemandClass,
    /// The amount per period.
    pub amount: QuotaAmount,
}

/// Quotas for one item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaRule {
    /// The item.
    pub item: ItemCode,
    /// Period start dates, ascending; the last period runs on.
    pub periods: Vec<NaiveDate>,
    /// Discrete or cumulative consumption.
    #[serde(default)]
    pub consumption: Consumption,
    /// The class entries.
    pub entries: Vec<QuotaEntry>,
    /// The pool for classes without an entry (`None`: those are not restricted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collective: Option<QuotaAmount>,
}

/// A quota's runtime state: capacity and use per period, in units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bucket {
    pub(crate) cap: SmallVec<[i64; 4]>,
    pub(crate) used: SmallVec<[i64; 4]>,
}

/// A quota amount resolved into engine units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Amount {
    /// A fixed number of base units per period.
    Units(i64),
    /// A share (0 to 1) of the period's supply, rounded down.
    Share(Decimal),
    /// A ratio weight.
    Weight(u32),
}

/// One item's quotas at runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ItemQuotas {
    pub(crate) starts: SmallVec<[i32; 4]>,
    pub(crate) consumption: Consumption,
    pub(crate) patterns: Vec<DemandClass>,
    /// One bucket per entry, then the collective one if any.
    pub(crate) buckets: Vec<Bucket>,
    pub(crate) has_collective: bool,
    /// One amount per bucket.
    pub(crate) amounts: Vec<Amount>,
    /// The network supply of each period (bookings not deducted), from which share and
    /// ratio capacities are computed.
    pub(crate) supply: SmallVec<[i64; 4]>,
}

impl ItemQuotas {
    /// The period a day falls in (days before the first start belong to the first).
    pub(crate) fn period(&self, day: i32) -> usize {
        self.starts.partition_point(|s| *s <= day).saturating_sub(1)
    }

    /// The bucket a class draws on: the most specific matching entry (first on ties),
    /// else the collective pool, else none (unrestricted).
    pub(crate) fn bucket_for(&self, class: &DemandClass) -> Option<usize> {
        let mut best: Option<(usize, usize)> = None;
        for (i, p) in self.patterns.iter().enumerate() {
            if class.matches(p) && best.is_none_or(|(_, s)| p.specificity() > s) {
                best = Some((i, p.specificity()));
            }
        }
        best.map(|(i, _)| i).or(if self.has_collective { Some(self.patterns.len()) } else { None })
    }

    /// What the bucket can still confirm in the period of `day`.
    pub(crate) fn remaining(&self, bucket: usize, day: i32) -> i64 {
        let Some(b) = self.buckets.get(bucket) else { return i64::MAX };
        let p = self.period(day);
        match self.consumption {
            Consumption::Discrete => b
                .cap
                .get(p)
                .copied()
                .unwrap_or(0)
                .saturating_sub(b.used.get(p).copied().unwrap_or(0)),
            Consumption::Cumulative => {
                // The least slack from this period on: using it now must not take what a
                // later period already counts on.
                let mut cap = 0i64;
                let mut used = 0i64;
                let mut min = i64::MAX;
                for (k, (c, u)) in b.cap.iter().zip(&b.used).enumerate() {
                    cap = cap.saturating_add(*c);
                    used = used.saturating_add(*u);
                    if k >= p {
                        min = min.min(cap.saturating_sub(used));
                    }
                }
                if min == i64::MAX { 0 } else { min }
            }
        }
    }

    /// Records `units` used (negative: given back) in the period of `day`.
    pub(crate) fn use_units(&mut self, bucket: usize, day: i32, units: i64) {
        let p = self.period(day);
        if let Some(u) = self.buckets.get_mut(bucket).and_then(|b| b.used.get_mut(p)) {
            *u = u.saturating_add(units);
        }
    }

    /// Recomputes period `p`'s capacities from its supply: shares round down, ratio
    /// entries share the supply by weight with the remainder going to the earlier ones,
    /// one unit each.
    pub(crate) fn recompute(&mut self, p: usize) {
        let supply = self.supply.get(p).copied().unwrap_or(0).max(0);
        let weights: u64 = self
            .amounts
            .iter()
            .map(|a| if let Amount::Weight(w) = a { u64::from(*w) } else { 0 })
            .sum();
        let mut given = 0i64;
        for (a, b) in self.amounts.iter().zip(self.buckets.iter_mut()) {
            let cap = match a {
                Amount::Units(u) => *u,
                Amount::Share(x) => Decimal::from(supply)
                    .checked_mul(*x)
                    .and_then(|v| v.floor().to_i64())
                    .unwrap_or(supply),
                Amount::Weight(w) => {
                    let v = if weights == 0 {
                        0
                    } else {
                        i128::from(supply) * i128::from(*w) / i128::from(weights)
                    };
                    let v = i64::try_from(v).unwrap_or(supply);
                    given = given.saturating_add(v);
                    v
                }
            };
            if let Some(c) = b.cap.get_mut(p) {
                *c = cap;
            }
        }
        if weights == 0 {
            return;
        }
        let mut left = supply.saturating_sub(given);
        for (a, b) in self.amounts.iter().zip(self.buckets.iter_mut()) {
            if left <= 0 {
                break;
            }
            if matches!(a, Amount::Weight(w) if *w > 0)
                && let Some(c) = b.cap.get_mut(p)
            {
                *c += 1;
                left -= 1;
            }
        }
    }

    /// Supply of `units` (negative: less supply) arriving on `day`: the period's
    /// share and ratio capacities follow.
    pub(crate) fn add_supply(&mut self, day: i32, units: i64) {
        let p = self.period(day);
        if let Some(s) = self.supply.get_mut(p) {
            *s = s.saturating_add(units);
        }
        self.recompute(p);
    }

    /// Start days of the periods after the one holding `day`.
    pub(crate) fn later_starts(&self, day: i32) -> impl Iterator<Item = i32> + '_ {
        self.starts.iter().copied().filter(move |s| *s > day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quotas(consumption: Consumption, caps: &[i64]) -> ItemQuotas {
        ItemQuotas {
            starts: SmallVec::from_slice(&[0, 10, 20][..caps.len()]),
            consumption,
            patterns: vec![DemandClass::default()],
            buckets: vec![Bucket {
                cap: SmallVec::from_slice(caps),
                used: SmallVec::from_elem(0, caps.len()),
            }],
            has_collective: false,
            amounts: vec![Amount::Units(0); 1],
            supply: SmallVec::from_elem(0, caps.len()),
        }
    }

    #[test]
    fn discrete_quota_lapses_and_cumulative_carries() {
        let mut d = quotas(Consumption::Discrete, &[10, 10, 10]);
        d.use_units(0, 0, 4);
        assert_eq!((d.remaining(0, 0), d.remaining(0, 10)), (6, 10));
        let mut c = quotas(Consumption::Cumulative, &[10, 10, 10]);
        c.use_units(0, 0, 4);
        assert_eq!((c.remaining(0, 0), c.remaining(0, 15)), (6, 16));
        // Using 15 in period 2 leaves 1 there, and now limits period 1 too.
        c.use_units(0, 10, 15);
        assert_eq!((c.remaining(0, 0), c.remaining(0, 12), c.remaining(0, 25)), (1, 1, 11));
    }

    #[test]
    fn the_most_specific_entry_wins() {
        let region =
            |r: &str| DemandClass { region: Some(r.parse().unwrap()), ..DemandClass::default() };
        let retail_se = DemandClass { group: Some("RETAIL".parse().unwrap()), ..region("US-SE") };
        let q = ItemQuotas {
            starts: SmallVec::from_slice(&[0]),
            consumption: Consumption::Discrete,
            patterns: vec![region("US-SE"), retail_se.clone()],
            buckets: vec![],
            has_collective: true,
            amounts: vec![],
            supply: SmallVec::new(),
        };
        assert_eq!(q.bucket_for(&retail_se), Some(1));
        assert_eq!(q.bucket_for(&region("US-SE")), Some(0));
        assert_eq!(q.bucket_for(&region("US-W")), Some(2), "the collective pool");
    }

    #[test]
    fn ratio_capacities_follow_the_supply() {
        let mut q = quotas(Consumption::Discrete, &[0]);
        q.patterns.push(DemandClass::default());
        q.buckets.push(Bucket { cap: SmallVec::from_elem(0, 1), used: SmallVec::from_elem(0, 1) });
        q.amounts = vec![Amount::Weight(3), Amount::Weight(1)];
        q.add_supply(0, 2_001);
        // 3:1 of 2,001: 1,500 and 500, the spare unit to the first entry.
        assert_eq!((q.buckets[0].cap[0], q.buckets[1].cap[0]), (1_501, 500));
        q.add_supply(5, 999);
        assert_eq!((q.buckets[0].cap[0], q.buckets[1].cap[0]), (2_250, 750));
    }
}
