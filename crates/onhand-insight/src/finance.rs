//! Financial records: cost of goods sold, stock valuations (for turns and days of
//! inventory), aging snapshots of layers or lots, in-transit snapshots, and
//! intercompany mismatches (reconciliation effort).
//!
//! Snapshots are kept by their time: records with the same time add up (a partitioned
//! host sends each partition's part), and a query as of a date reads, per site or
//! entity, the latest snapshot taken by the end of that day.

use chrono::{DateTime, Utc};
use onhand_ledger::DocNumber;
use onhand_master::{Decimal, Money, hash::Map};

use serde::{Deserialize, Serialize};

use crate::error::InsightError;
use crate::exact::{self, add};
use crate::figure::Amounts;
use crate::period::{day_number, day_of};
use crate::record::{
    CostOfSales, InTransitHeld, MismatchOpened, MismatchResolved, StockLayer, StockValued,
};
use crate::sketch::Sketch;

/// Aging of one snapshot: quantity and value per bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct AgingCell {
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::vec")]
    pub(crate) qty: Vec<Decimal>,
    pub(crate) value: Vec<Amounts>,
}

impl AgingCell {
    fn merge(&mut self, o: &AgingCell) {
        if self.qty.len() < o.qty.len() {
            self.qty.resize(o.qty.len(), Decimal::ZERO);
            self.value.resize(o.value.len(), Amounts::default());
        }
        for (a, b) in self.qty.iter_mut().zip(&o.qty) {
            add(a, *b);
        }
        for (a, b) in self.value.iter_mut().zip(&o.value) {
            a.acc_all(b);
        }
    }
}

/// One in-transit snapshot of one owner.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct TransitCell {
    pub(crate) lines: u64,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) qty: Decimal,
    pub(crate) value: Amounts,
    pub(crate) eta_lines: u64,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) eta_qty: Decimal,
    pub(crate) eta_value: Amounts,
    pub(crate) overdue_lines: u64,
    pub(crate) overdue_value: Amounts,
    pub(crate) overdue_age: Sketch,
}

impl TransitCell {
    fn merge(&mut self, o: &TransitCell) {
        self.lines = self.lines.saturating_add(o.lines);
        add(&mut self.qty, o.qty);
        self.value.acc_all(&o.value);
        self.eta_lines = self.eta_lines.saturating_add(o.eta_lines);
        add(&mut self.eta_qty, o.eta_qty);
        self.eta_value.acc_all(&o.eta_value);
        self.overdue_lines = self.overdue_lines.saturating_add(o.overdue_lines);
        self.overdue_value.acc_all(&o.overdue_value);
        self.overdue_age.merge(&o.overdue_age);
    }
}

/// An intercompany mismatch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Mismatch {
    pub(crate) entity: u16,
    pub(crate) opened: i64,
    pub(crate) value: Money,
    pub(crate) resolved: Option<i64>,
}

/// Mismatches opened and resolved on one day by one entity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ReconCell {
    pub(crate) opened: u64,
    pub(crate) opened_value: Amounts,
    pub(crate) resolved: u64,
    pub(crate) resolved_value: Amounts,
    pub(crate) age: Sketch,
}

/// Snapshots in time order: (time, figure).
pub(crate) type Series<T> = Vec<(i64, T)>;

/// The entry of `series` at `t`, created in time order (O(1) when `t` is the newest).
fn at_time<T: Default>(series: &mut Series<T>, t: i64) -> Option<&mut T> {
    let i = match series.binary_search_by_key(&t, |(k, _)| *k) {
        Ok(i) => i,
        Err(i) => {
            series.insert(i, (t, T::default()));
            i
        }
    };
    series.get_mut(i).map(|(_, v)| v)
}

/// The latest entry of `series` at or before `t`.
pub(crate) fn latest<T>(series: &Series<T>, t: i64) -> Option<&(i64, T)> {
    let n = series.partition_point(|(k, _)| *k <= t);
    n.checked_sub(1).and_then(|i| series.get(i))
}

fn merge_series<T: Default + Clone>(a: &mut Series<T>, b: &Series<T>, f: impl Fn(&mut T, &T)) {
    for (t, v) in b {
        if let Some(mine) = at_time(a, *t) {
            f(mine, v);
        }
    }
}

/// Financial cells and snapshots.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Finance {
    /// (day, site, entity) -> cost of goods sold.
    #[serde(with = "crate::snapshot::sorted")]
    pub(crate) cogs: Map<(i32, u16, u16), Amounts>,
    /// (entity, site) -> valuations.
    #[serde(with = "crate::snapshot::sorted")]
    pub(crate) valued: Map<(u16, u16), Series<Amounts>>,
    /// (entity, site) -> aging snapshots.
    #[serde(with = "crate::snapshot::sorted")]
    pub(crate) aging: Map<(u16, u16), Series<AgingCell>>,
    /// owner -> in-transit snapshots.
    #[serde(with = "crate::snapshot::sorted")]
    pub(crate) transit: Map<u16, Series<TransitCell>>,
    #[serde(with = "crate::snapshot::sorted")]
    pub(crate) mismatches: Map<DocNumber, Mismatch>,
    /// (day, entity) -> opened and resolved.
    #[serde(with = "crate::snapshot::sorted")]
    pub(crate) recon: Map<(i32, u16), ReconCell>,
}

fn secs(later: i64, earlier: i64) -> u64 {
    u64::try_from(later.saturating_sub(earlier)).unwrap_or(0)
}

impl Finance {
    /// Checks every site and entity index, and that every series is in time order,
    /// after a restore.
    pub(crate) fn check(&self, b: &crate::snapshot::Bounds) -> Result<(), InsightError> {
        use crate::snapshot::{in_time_order, invalid};
        for (_, site, entity) in self.cogs.keys() {
            b.site(*site, false, "cost of sales")?;
            b.entity(*entity, "cost of sales")?;
        }
        for ((entity, site), series) in &self.valued {
            b.site(*site, false, "valuation")?;
            b.entity(*entity, "valuation")?;
            if !in_time_order(series) {
                return Err(invalid("valuations out of time order"));
            }
        }
        for ((entity, site), series) in &self.aging {
            b.site(*site, false, "aging")?;
            b.entity(*entity, "aging")?;
            if !in_time_order(series) {
                return Err(invalid("aging snapshots out of time order"));
            }
        }
        for (owner, series) in &self.transit {
            b.entity(*owner, "in transit")?;
            if !in_time_order(series) {
                return Err(invalid("in-transit snapshots out of time order"));
            }
        }
        for (id, m) in &self.mismatches {
            b.entity(m.entity, &format!("mismatch {id}"))?;
        }
        for (_, entity) in self.recon.keys() {
            b.entity(*entity, "reconciliation")?;
        }
        Ok(())
    }
    pub(crate) fn cost_of_sales(
        &mut self,
        r: &CostOfSales,
        site: u16,
        entity: u16,
    ) -> Result<(), InsightError> {
        exact::check_money("value", r.value)?;
        self.cogs.entry((day_of(r.at), site, entity)).or_default().acc(r.value);
        Ok(())
    }

    pub(crate) fn valued(
        &mut self,
        r: &StockValued,
        site: u16,
        entity: u16,
    ) -> Result<(), InsightError> {
        exact::check_money("value", r.value)?;
        if let Some(v) = at_time(self.valued.entry((entity, site)).or_default(), r.at.timestamp()) {
            v.acc(r.value);
        }
        Ok(())
    }

    pub(crate) fn layer(
        &mut self,
        r: &StockLayer,
        site: u16,
        entity: u16,
        bounds: &[u32],
    ) -> Result<(), InsightError> {
        exact::check("qty", r.qty.value())?;
        exact::check_money("value", r.value)?;
        let age = day_of(r.at) - day_number(r.received);
        if age < 0 {
            return Err(InsightError::InvalidRecord {
                field: "received",
                reason: "after the snapshot",
            });
        }
        let bucket =
            bounds.iter().position(|b| i64::from(age) <= i64::from(*b)).unwrap_or(bounds.len());
        let Some(cell) = at_time(self.aging.entry((entity, site)).or_default(), r.at.timestamp())
        else {
            return Ok(());
        };
        if cell.qty.len() <= bounds.len() {
            cell.qty.resize(bounds.len() + 1, Decimal::ZERO);
            cell.value.resize(bounds.len() + 1, Amounts::default());
        }
        if let (Some(q), Some(v)) = (cell.qty.get_mut(bucket), cell.value.get_mut(bucket)) {
            add(q, r.qty.value());
            v.acc(r.value);
        }
        Ok(())
    }

    pub(crate) fn in_transit(&mut self, r: &InTransitHeld, owner: u16) -> Result<(), InsightError> {
        exact::check("qty", r.qty.value())?;
        exact::check_money("value", r.value)?;
        let t = r.at.timestamp();
        let Some(cell) = at_time(self.transit.entry(owner).or_default(), t) else {
            return Ok(());
        };
        cell.lines = cell.lines.saturating_add(1);
        add(&mut cell.qty, r.qty.value());
        cell.value.acc(r.value);
        if let Some(eta) = r.expected_arrival {
            cell.eta_lines = cell.eta_lines.saturating_add(1);
            add(&mut cell.eta_qty, r.qty.value());
            cell.eta_value.acc(r.value);
            if eta.timestamp() < t {
                cell.overdue_lines = cell.overdue_lines.saturating_add(1);
                cell.overdue_value.acc(r.value);
                cell.overdue_age.add(secs(t, eta.timestamp()));
            }
        }
        Ok(())
    }

    pub(crate) fn opened(&mut self, r: &MismatchOpened, entity: u16) -> Result<(), InsightError> {
        if self.mismatches.contains_key(&r.id) {
            return Err(InsightError::DuplicateMismatch(r.id.clone()));
        }
        exact::check_money("value", r.value)?;
        let t = r.at.timestamp();
        let c = self.recon.entry((day_of(r.at), entity)).or_default();
        c.opened = c.opened.saturating_add(1);
        c.opened_value.acc(r.value);
        self.mismatches
            .insert(r.id.clone(), Mismatch { entity, opened: t, value: r.value, resolved: None });
        Ok(())
    }

    pub(crate) fn resolved(&mut self, r: &MismatchResolved) -> Result<(), InsightError> {
        let m = self
            .mismatches
            .get(&r.id)
            .ok_or_else(|| InsightError::UnknownMismatch(r.id.clone()))?;
        if m.resolved.is_some() {
            return Err(InsightError::UnknownMismatch(r.id.clone()));
        }
        let t = r.at.timestamp();
        if t < m.opened {
            return Err(InsightError::OutOfOrder {
                what: "mismatch resolution",
                at: r.at,
                after: DateTime::<Utc>::from_timestamp(m.opened, 0).unwrap_or_default(),
            });
        }
        let (entity, value, opened) = (m.entity, m.value, m.opened);
        let c = self.recon.entry((day_of(r.at), entity)).or_default();
        c.resolved = c.resolved.saturating_add(1);
        c.resolved_value.acc(value);
        c.age.add(secs(t, opened));
        if let Some(m) = self.mismatches.get_mut(&r.id) {
            m.resolved = Some(t);
        }
        Ok(())
    }

    /// The first mismatch both hold, as the error a merge reports.
    pub(crate) fn overlap(&self, other: &Finance) -> Option<InsightError> {
        let mut both: Vec<_> =
            other.mismatches.keys().filter(|k| self.mismatches.contains_key(*k)).collect();
        both.sort();
        both.first().map(|k| InsightError::MergeOverlap { what: "mismatch", key: k.to_string() })
    }

    /// Merges `other` into `self` (check [`Self::overlap`] first).
    pub(crate) fn merge(&mut self, other: &Finance) {
        for (k, a) in &other.cogs {
            self.cogs.entry(*k).or_default().acc_all(a);
        }
        for (k, s) in &other.valued {
            merge_series(self.valued.entry(*k).or_default(), s, Amounts::acc_all);
        }
        for (k, s) in &other.aging {
            merge_series(self.aging.entry(*k).or_default(), s, AgingCell::merge);
        }
        for (k, s) in &other.transit {
            merge_series(self.transit.entry(*k).or_default(), s, TransitCell::merge);
        }
        for (k, m) in &other.mismatches {
            self.mismatches.insert(k.clone(), m.clone());
        }
        for (k, c) in &other.recon {
            let m = self.recon.entry(*k).or_default();
            m.opened = m.opened.saturating_add(c.opened);
            m.opened_value.acc_all(&c.opened_value);
            m.resolved = m.resolved.saturating_add(c.resolved);
            m.resolved_value.acc_all(&c.resolved_value);
            m.age.merge(&c.age);
        }
    }
}
