//! Stock-side records: cycle counts, adjustments, supplier receipts and the damage or
//! holds that follow them, and the per-item-site state behind the detectors and the
//! planning scores (count history, daily demand moments, the latest position, observed
//! lead times).
//!
//! Day cells hold counts by site, item class, shift and counter; adjustments by site,
//! reason and actor; supplier receipts by receipt day and supplier, with how many were
//! followed by an adjustment or damage at the receiving item-site within the configured
//! days. An item-site keeps the outcome of its last 32 counts as bits (for recurrence),
//! its demand as exact per-month sums and sums of squares of daily totals (so the mean,
//! deviation and month-of-year seasonality come out without keeping the days), its
//! latest position, and the moments of its observed lead times.

use chrono::{DateTime, Utc};
use onhand_ledger::{ActorId, ReasonCode};
use onhand_master::{
    Decimal, ItemCode, LaneSource, SupplierCode, UomCode, VelocityClass, hash::Map,
};
use smallvec::SmallVec;

use serde::{Deserialize, Serialize};

use crate::error::InsightError;
use crate::exact::{self, add};
use crate::figure::Amounts;
use crate::period::{day_number, day_of, month_index};
use crate::record::{
    Adjusted, CountRecorded, DamageKind, DemandObserved, LeadTimeObserved, PositionObserved,
    StockDamaged, SupplierReceipt, SupplierReturned,
};
use crate::store::Keyed;

/// Key of a count cell: day, site, item class, shift, counter.
pub(crate) type CountKey = (i32, u16, VelocityClass, u8, ActorId);

/// The counts of one day, site, class, shift and counter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct CountCell {
    pub(crate) counts: u64,
    pub(crate) within: u64,
    pub(crate) recurrences: u64,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) net_units: Decimal,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) abs_units: Decimal,
    pub(crate) net_value: Amounts,
    pub(crate) abs_value: Amounts,
}

impl CountCell {
    pub(crate) fn merge(&mut self, o: &CountCell) {
        self.counts = self.counts.saturating_add(o.counts);
        self.within = self.within.saturating_add(o.within);
        self.recurrences = self.recurrences.saturating_add(o.recurrences);
        add(&mut self.net_units, o.net_units);
        add(&mut self.abs_units, o.abs_units);
        self.net_value.acc_all(&o.net_value);
        self.abs_value.acc_all(&o.abs_value);
    }
}

/// Key of an adjustment cell: day, site, reason, actor.
pub(crate) type AdjustKey = (i32, u16, ReasonCode, ActorId);

/// The adjustments of one day, site, reason and actor.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct AdjustCell {
    pub(crate) count: u64,
    pub(crate) increases: u64,
    pub(crate) decreases: u64,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) net_units: Decimal,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) abs_units: Decimal,
    pub(crate) net_value: Amounts,
    pub(crate) abs_value: Amounts,
}

impl AdjustCell {
    pub(crate) fn merge(&mut self, o: &AdjustCell) {
        self.count = self.count.saturating_add(o.count);
        self.increases = self.increases.saturating_add(o.increases);
        self.decreases = self.decreases.saturating_add(o.decreases);
        add(&mut self.net_units, o.net_units);
        add(&mut self.abs_units, o.abs_units);
        self.net_value.acc_all(&o.net_value);
        self.abs_value.acc_all(&o.abs_value);
    }
}

/// Key of a supplier cell: the receipt's day and the supplier.
pub(crate) type SupplierKey = (i32, SupplierCode);

/// A supplier's receipts of one day and how many were followed by trouble.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct SupplierCell {
    pub(crate) receipts: u64,
    pub(crate) followed: u64,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) qty: Decimal,
    pub(crate) value: Amounts,
}

/// Key of a damage cell: day, site, kind.
pub(crate) type DamageKey = (i32, u16, DamageKind);

/// Damage or holds of one day and site.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct DamageCell {
    pub(crate) count: u64,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) qty: Decimal,
    pub(crate) value: Amounts,
}

/// Sum and sum of squares of daily demand totals in one month of the year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Moment {
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) sum: Decimal,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) sq: Decimal,
}

/// An item-site's daily demand, as exact moments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Demand {
    pub(crate) first: i32,
    pub(crate) cur: i32,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) cur_qty: Decimal,
    pub(crate) months: [Moment; 12],
}

impl Demand {
    /// The month moments with the current day folded in (without changing anything).
    pub(crate) fn folded(&self) -> Option<[Moment; 12]> {
        let mut m = self.months;
        let slot = m.get_mut(month_index(self.cur))?;
        slot.sum = slot.sum.checked_add(self.cur_qty)?;
        slot.sq = slot.sq.checked_add(self.cur_qty.checked_mul(self.cur_qty)?)?;
        Some(m)
    }
}

/// An item-site's latest position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Position {
    pub(crate) at: i64,
    pub(crate) uom: UomCode,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) on_hand: Decimal,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) level: Decimal,
    #[serde(default, deserialize_with = "onhand_master::decimal::serde_str::option::deserialize")]
    pub(crate) safety: Option<Decimal>,
    pub(crate) next_receipt: Option<i32>,
}

/// Count, sum and sum of squares of lead times in days (exact integers).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Moments {
    pub(crate) n: u64,
    pub(crate) sum: i64,
    pub(crate) sq: i128,
}

impl Moments {
    fn add(&mut self, days: i64) {
        self.n = self.n.saturating_add(1);
        self.sum = self.sum.saturating_add(days);
        self.sq = self.sq.saturating_add(i128::from(days) * i128::from(days));
    }

    pub(crate) fn merge(&mut self, o: Moments) {
        self.n = self.n.saturating_add(o.n);
        self.sum = self.sum.saturating_add(o.sum);
        self.sq = self.sq.saturating_add(o.sq);
    }
}

/// A supplier receipt still inside its follow-up window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Pending {
    at: i64,
    day: i32,
    supplier: SupplierCode,
}

/// What one item at one site remembers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ItemSite {
    pub(crate) counts: u64,
    pub(crate) out: u64,
    /// Outcomes of the last counts, newest in bit 0 (1: out of tolerance).
    pub(crate) recent: u32,
    pub(crate) seen: u8,
    pub(crate) demand: Option<Demand>,
    pub(crate) position: Option<Position>,
    pub(crate) pending: SmallVec<[Pending; 1]>,
    pub(crate) lead: Moments,
}

/// Stock-side cells and item-site states.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Stock {
    #[serde(with = "crate::snapshot::sorted")]
    pub(crate) counts: Map<CountKey, CountCell>,
    #[serde(with = "crate::snapshot::sorted")]
    pub(crate) adjusts: Map<AdjustKey, AdjustCell>,
    #[serde(with = "crate::snapshot::sorted")]
    pub(crate) suppliers: Map<SupplierKey, SupplierCell>,
    #[serde(with = "crate::snapshot::sorted")]
    pub(crate) damage: Map<DamageKey, DamageCell>,
    pub(crate) item_sites: Keyed<(ItemCode, u16), ItemSite>,
    #[serde(with = "crate::snapshot::sorted")]
    pub(crate) lane_lead: Map<(LaneSource, u16), Moments>,
    #[serde(with = "crate::snapshot::sorted")]
    pub(crate) site_lead: Map<u16, Moments>,
}

/// `-m`.
fn neg(m: onhand_master::Money) -> onhand_master::Money {
    onhand_master::Money::new(-m.amount(), m.currency())
}

fn same_unit(what: &'static str, expected: UomCode, found: UomCode) -> Result<(), InsightError> {
    if expected == found {
        Ok(())
    } else {
        Err(InsightError::UnitMismatch { what, expected, found })
    }
}

impl Stock {
    /// Checks every site index after a restore.
    pub(crate) fn check(&self, b: &crate::snapshot::Bounds) -> Result<(), InsightError> {
        for k in self.counts.keys() {
            b.site(k.1, false, "count cell")?;
        }
        for k in self.adjusts.keys() {
            b.site(k.1, false, "adjustment cell")?;
        }
        for k in self.damage.keys() {
            b.site(k.1, false, "damage cell")?;
        }
        for ((item, site), _) in self.item_sites.iter() {
            b.site(*site, false, &format!("item-site of {item}"))?;
        }
        for (_, site) in self.lane_lead.keys() {
            b.site(*site, false, "lane lead time")?;
        }
        for site in self.site_lead.keys() {
            b.site(*site, false, "site lead time")?;
        }
        Ok(())
    }
    /// Reads item-site `(item, site)` (for [`crate::Insight::apply_all`]'s look-ahead).
    pub(crate) fn touch(&self, item: &ItemCode, site: u16) -> u64 {
        self.item_sites.get(&(item.clone(), site)).map_or(0, |s| s.counts)
    }

    fn item_site(&mut self, item: &ItemCode, site: u16) -> Option<&mut ItemSite> {
        self.item_sites.get_or_insert_with(&(item.clone(), site), ItemSite::default)
    }

    pub(crate) fn count(
        &mut self,
        r: &CountRecorded,
        site: u16,
        shift: u8,
        window: u8,
    ) -> Result<(), InsightError> {
        let uom = r.book.uom();
        same_unit("counted quantity", uom, r.counted.uom())?;
        same_unit("tolerance", uom, r.tolerance.uom())?;
        for q in [r.book.value(), r.counted.value(), r.tolerance.value()] {
            exact::check("qty", q)?;
        }
        exact::check_money("variance_value", r.variance_value)?;
        let variance = r.counted.value() - r.book.value();
        let out = variance.abs() > r.tolerance.value();
        let Some(is) = self.item_site(&r.item, site) else { return Ok(()) };
        let mask = if window >= 32 { u32::MAX } else { (1u32 << window) - 1 };
        let recurs = out && (is.recent & mask) != 0;
        is.counts = is.counts.saturating_add(1);
        is.out = is.out.saturating_add(u64::from(out));
        is.recent = (is.recent << 1) | u32::from(out);
        is.seen = is.seen.saturating_add(1).min(32);
        let c =
            self.counts.entry((day_of(r.at), site, r.class, shift, r.counter.clone())).or_default();
        c.counts = c.counts.saturating_add(1);
        c.within = c.within.saturating_add(u64::from(!out));
        c.recurrences = c.recurrences.saturating_add(u64::from(recurs));
        add(&mut c.net_units, variance);
        add(&mut c.abs_units, variance.abs());
        c.net_value.acc(r.variance_value);
        let abs =
            onhand_master::Money::new(r.variance_value.amount().abs(), r.variance_value.currency());
        c.abs_value.acc(abs);
        Ok(())
    }

    pub(crate) fn adjusted(
        &mut self,
        r: &Adjusted,
        site: u16,
        follow_secs: i64,
    ) -> Result<(), InsightError> {
        exact::check("delta", r.delta.value())?;
        exact::check_money("value", r.value)?;
        let d = r.delta.value();
        let c = self
            .adjusts
            .entry((day_of(r.at), site, r.reason.clone(), r.actor.clone()))
            .or_default();
        c.count = c.count.saturating_add(1);
        c.increases = c.increases.saturating_add(u64::from(d > Decimal::ZERO));
        c.decreases = c.decreases.saturating_add(u64::from(d < Decimal::ZERO));
        add(&mut c.net_units, d);
        add(&mut c.abs_units, d.abs());
        c.net_value.acc(r.value);
        c.abs_value.acc(onhand_master::Money::new(r.value.amount().abs(), r.value.currency()));
        if d < Decimal::ZERO {
            self.follow_up(&r.item, site, r.at, follow_secs);
        }
        Ok(())
    }

    pub(crate) fn damaged(
        &mut self,
        r: &StockDamaged,
        site: u16,
        follow_secs: i64,
    ) -> Result<(), InsightError> {
        exact::check("qty", r.qty.value())?;
        exact::check_money("value", r.value)?;
        let c = self.damage.entry((day_of(r.at), site, r.kind)).or_default();
        c.count = c.count.saturating_add(1);
        add(&mut c.qty, r.qty.value());
        c.value.acc(r.value);
        self.follow_up(&r.item, site, r.at, follow_secs);
        Ok(())
    }

    /// A return to supplier: trouble charged to that supplier's receipts of the item
    /// at the site inside their window (see [`SupplierReturned`]).
    pub(crate) fn supplier_returned(
        &mut self,
        r: &SupplierReturned,
        site: u16,
        follow_secs: i64,
    ) -> Result<(), InsightError> {
        exact::check("qty", r.qty.value())?;
        exact::check_money("value", r.value)?;
        if r.qty.is_zero() {
            return Err(InsightError::InvalidRecord { field: "qty", reason: "a return of zero" });
        }
        self.charge(&r.item, site, r.at, follow_secs, Some(&r.supplier));
        Ok(())
    }

    /// Receipt `r` reversed at `at` (see [`crate::Reversed`]): out of its supplier's
    /// day, and out of the follow-up sample when reversed inside its window. A receipt
    /// in its window is either still pending (not followed yet) or was charged (a
    /// charge is the only thing that drops a pending receipt before its window ends).
    pub(crate) fn receipt_reversed(
        &mut self,
        r: &SupplierReceipt,
        site: u16,
        at: DateTime<Utc>,
        follow_secs: i64,
    ) -> Result<(), InsightError> {
        exact::check("qty", r.qty.value())?;
        exact::check_money("value", r.value)?;
        let (t, day) = (r.at.timestamp(), day_of(r.at));
        let key = (day, r.supplier.clone());
        let found = self
            .suppliers
            .get(&key)
            .is_some_and(|c| c.receipts > 0 && exact::ge(c.qty, r.qty.value()));
        if !found {
            return Err(InsightError::InvalidRecord {
                field: "original",
                reason: "a receipt its supplier's day does not hold",
            });
        }
        let in_window = at.timestamp() - t <= follow_secs;
        let mut was_pending = false;
        if in_window
            && let Some(is) = self.item_sites.get_mut(&(r.item.clone(), site))
            && let Some(p) = is.pending.iter().position(|p| p.at == t && p.supplier == r.supplier)
        {
            is.pending.remove(p);
            was_pending = true;
        }
        let Some(c) = self.suppliers.get_mut(&key) else { return Ok(()) };
        if in_window {
            c.receipts -= 1;
            if !was_pending {
                c.followed = c.followed.saturating_sub(1);
            }
        }
        exact::sub(&mut c.qty, r.qty.value());
        c.value.acc(neg(r.value));
        if c.receipts == 0 && c.qty.is_zero() && c.value.is_zero() {
            self.suppliers.remove(&key);
        }
        Ok(())
    }

    /// Adjustment `r` reversed: out of its day's cell.
    pub(crate) fn adjustment_reversed(
        &mut self,
        r: &Adjusted,
        site: u16,
    ) -> Result<(), InsightError> {
        exact::check("delta", r.delta.value())?;
        exact::check_money("value", r.value)?;
        let d = r.delta.value();
        let key = (day_of(r.at), site, r.reason.clone(), r.actor.clone());
        let Some(c) = self.adjusts.get_mut(&key).filter(|c| {
            c.count > 0
                && if d > Decimal::ZERO {
                    c.increases > 0
                } else {
                    d == Decimal::ZERO || c.decreases > 0
                }
        }) else {
            return Err(InsightError::InvalidRecord {
                field: "original",
                reason: "an adjustment its day does not hold",
            });
        };
        c.count -= 1;
        c.increases -= u64::from(d > Decimal::ZERO);
        c.decreases -= u64::from(d < Decimal::ZERO);
        exact::sub(&mut c.net_units, d);
        exact::sub(&mut c.abs_units, d.abs());
        c.net_value.acc(neg(r.value));
        c.abs_value.acc(onhand_master::Money::new(-r.value.amount().abs(), r.value.currency()));
        if c.count == 0 {
            self.adjusts.remove(&key);
        }
        Ok(())
    }

    /// Damage `r` reversed: out of its day's cell.
    pub(crate) fn damage_reversed(
        &mut self,
        r: &StockDamaged,
        site: u16,
    ) -> Result<(), InsightError> {
        exact::check("qty", r.qty.value())?;
        exact::check_money("value", r.value)?;
        let key = (day_of(r.at), site, r.kind);
        let Some(c) = self.damage.get_mut(&key).filter(|c| c.count > 0) else {
            return Err(InsightError::InvalidRecord {
                field: "original",
                reason: "damage its day does not hold",
            });
        };
        c.count -= 1;
        exact::sub(&mut c.qty, r.qty.value());
        c.value.acc(neg(r.value));
        if c.count == 0 {
            self.damage.remove(&key);
        }
        Ok(())
    }

    /// Charges trouble at an item-site to every supplier receipt there within the
    /// window (each receipt once), and forgets receipts past it.
    fn follow_up(&mut self, item: &ItemCode, site: u16, at: DateTime<Utc>, follow_secs: i64) {
        self.charge(item, site, at, follow_secs, None);
    }

    /// As [`Stock::follow_up`], charging only `supplier`'s receipts when one is named.
    fn charge(
        &mut self,
        item: &ItemCode,
        site: u16,
        at: DateTime<Utc>,
        follow_secs: i64,
        supplier: Option<&SupplierCode>,
    ) {
        let Some(is) = self.item_sites.get_mut(&(item.clone(), site)) else { return };
        if is.pending.is_empty() {
            return;
        }
        let t = at.timestamp();
        let mut keep: SmallVec<[Pending; 1]> = SmallVec::new();
        for p in is.pending.drain(..) {
            if t.saturating_sub(p.at) > follow_secs {
                continue;
            }
            if p.at <= t && supplier.is_none_or(|s| *s == p.supplier) {
                let c = self.suppliers.entry((p.day, p.supplier.clone())).or_default();
                c.followed = c.followed.saturating_add(1);
            } else {
                keep.push(p);
            }
        }
        is.pending = keep;
    }

    pub(crate) fn receipt(
        &mut self,
        r: &SupplierReceipt,
        site: u16,
        follow_secs: i64,
    ) -> Result<(), InsightError> {
        exact::check("qty", r.qty.value())?;
        exact::check_money("value", r.value)?;
        let (t, day) = (r.at.timestamp(), day_of(r.at));
        let c = self.suppliers.entry((day, r.supplier.clone())).or_default();
        c.receipts = c.receipts.saturating_add(1);
        add(&mut c.qty, r.qty.value());
        c.value.acc(r.value);
        let Some(is) = self.item_site(&r.item, site) else { return Ok(()) };
        is.pending.retain(|p| t.saturating_sub(p.at) <= follow_secs);
        is.pending.push(Pending { at: t, day, supplier: r.supplier.clone() });
        Ok(())
    }

    pub(crate) fn demand(&mut self, r: &DemandObserved, site: u16) -> Result<(), InsightError> {
        exact::check("qty", r.qty.value())?;
        let day = day_number(r.day);
        let qty = r.qty.value();
        let Some(is) = self.item_site(&r.item, site) else { return Ok(()) };
        match &mut is.demand {
            None => {
                is.demand = Some(Demand {
                    first: day,
                    cur: day,
                    cur_qty: qty,
                    months: [Moment::default(); 12],
                });
            }
            Some(d) if day < d.cur => {
                return Err(InsightError::OutOfOrder {
                    what: "demand day",
                    at: r.at,
                    after: crate::period::date_of(d.cur)
                        .and_hms_opt(0, 0, 0)
                        .map(|t| t.and_utc())
                        .unwrap_or_default(),
                });
            }
            Some(d) if day == d.cur => {
                d.cur_qty =
                    d.cur_qty.checked_add(qty).ok_or(InsightError::Overflow("a day's demand"))?;
            }
            Some(d) => {
                let m = month_index(d.cur);
                let slot = d.months.get(m).copied().unwrap_or_default();
                let sum = slot.sum.checked_add(d.cur_qty);
                let sq = d.cur_qty.checked_mul(d.cur_qty).and_then(|s| slot.sq.checked_add(s));
                let (Some(sum), Some(sq)) = (sum, sq) else {
                    return Err(InsightError::Overflow("demand moments"));
                };
                if let Some(s) = d.months.get_mut(m) {
                    *s = Moment { sum, sq };
                }
                d.cur = day;
                d.cur_qty = qty;
            }
        }
        Ok(())
    }

    pub(crate) fn position(&mut self, r: &PositionObserved, site: u16) -> Result<(), InsightError> {
        let uom = r.on_hand.uom();
        same_unit("position", uom, r.position.uom())?;
        if let Some(s) = r.safety_stock {
            same_unit("safety stock", uom, s.uom())?;
            exact::check("safety_stock", s.value())?;
        }
        exact::check("on_hand", r.on_hand.value())?;
        exact::check("position", r.position.value())?;
        let t = r.at.timestamp();
        let Some(is) = self.item_site(&r.item, site) else { return Ok(()) };
        if is.position.as_ref().is_none_or(|p| p.at <= t) {
            is.position = Some(Position {
                at: t,
                uom,
                on_hand: r.on_hand.value(),
                level: r.position.value(),
                safety: r.safety_stock.map(onhand_master::Qty::value),
                next_receipt: r.next_receipt.map(day_number),
            });
        }
        Ok(())
    }

    pub(crate) fn lead_time(
        &mut self,
        r: &LeadTimeObserved,
        site: u16,
    ) -> Result<(), InsightError> {
        let days = (r.received - r.ordered).num_days();
        if days < 0 {
            return Err(InsightError::InvalidRecord {
                field: "received",
                reason: "before the order date",
            });
        }
        if let Some(is) = self.item_site(&r.item, site) {
            is.lead.add(days);
        }
        self.lane_lead.entry((r.source.clone(), site)).or_default().add(days);
        self.site_lead.entry(site).or_default().add(days);
        Ok(())
    }

    /// The first item-site both hold, as the error a merge reports.
    pub(crate) fn overlap(&self, other: &Stock) -> Option<InsightError> {
        let mut both: Vec<_> = other
            .item_sites
            .iter()
            .map(|(k, _)| k)
            .filter(|k| self.item_sites.contains(k))
            .collect();
        both.sort();
        both.first().map(|(item, site)| InsightError::MergeOverlap {
            what: "item-site",
            key: format!("{item}@{site}"),
        })
    }

    /// Merges `other` into `self` (check [`Self::overlap`] first).
    pub(crate) fn merge(&mut self, other: &Stock) {
        for (k, c) in &other.counts {
            self.counts.entry(k.clone()).or_default().merge(c);
        }
        for (k, c) in &other.adjusts {
            self.adjusts.entry(k.clone()).or_default().merge(c);
        }
        for (k, c) in &other.suppliers {
            let m = self.suppliers.entry(k.clone()).or_default();
            m.receipts = m.receipts.saturating_add(c.receipts);
            m.followed = m.followed.saturating_add(c.followed);
            add(&mut m.qty, c.qty);
            m.value.acc_all(&c.value);
        }
        for (k, c) in &other.damage {
            let m = self.damage.entry(*k).or_default();
            m.count = m.count.saturating_add(c.count);
            add(&mut m.qty, c.qty);
            m.value.acc_all(&c.value);
        }
        for (k, s) in other.item_sites.iter() {
            self.item_sites.insert_new(k.clone(), s.clone());
        }
        for (k, m) in &other.lane_lead {
            self.lane_lead.entry(k.clone()).or_default().merge(*m);
        }
        for (k, m) in &other.site_lead {
            self.site_lead.entry(*k).or_default().merge(*m);
        }
    }
}
