//! [`Report`]: every KPI of one period, for the network and for each site, entity,
//! customer group, lane, item class, counter, shift, reason and actor that has
//! figures in it, in a fixed order (so two equal states give byte-identical reports),
//! and a plain-text table of the headline figures.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::engine::Insight;
use crate::error::InsightError;
use crate::figure::Figure;
use crate::kpi::{
    AdjustmentKpis, AgingKpis, CountKpis, Dim, InTransitKpis, OrderKpis, ReconciliationKpis,
    ReturnKpis, TransferKpis, TurnsKpis,
};
use crate::orders::NO_SITE;
use crate::period::Period;

/// Every KPI of one period by every dimension with figures in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The period.
    pub period: Period,
    /// Order KPIs: network, customer groups, sites.
    pub orders: Vec<(Dim, OrderKpis)>,
    /// Transfer KPIs: network, lanes.
    pub transfers: Vec<(Dim, TransferKpis)>,
    /// Count KPIs: network, sites, item classes, counters, shifts.
    pub counts: Vec<(Dim, CountKpis)>,
    /// Adjustment volume: network, sites, reasons, actors.
    pub adjustments: Vec<(Dim, AdjustmentKpis)>,
    /// In-transit visibility at the period's last day: network, owners.
    pub in_transit: Vec<(Dim, InTransitKpis)>,
    /// Aging at the period's last day: network, sites.
    pub aging: Vec<(Dim, AgingKpis)>,
    /// Reconciliation effort: network, entities.
    pub reconciliation: Vec<(Dim, ReconciliationKpis)>,
    /// Turns and days: network, entities, sites.
    pub turns: Vec<(Dim, TurnsKpis)>,
    /// Customer returns: network, sites, reasons (empty, and left out of the serialized
    /// report, when the period has none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub returns: Vec<(Dim, ReturnKpis)>,
}

impl Insight {
    /// The report of `period`.
    ///
    /// # Errors
    /// [`InsightError::Overflow`] for a sum beyond the decimal range.
    pub fn report(&self, period: Period) -> Result<Report, InsightError> {
        let (a, b) = period.day_range();
        let inside = |d: i32| d >= a && d < b;
        let last = period.end().pred_opt().unwrap_or(period.start());
        let site = |ix: u16| self.site_code(ix).cloned().map(Dim::Site);
        let entity = |ix: u16| self.entity_code(ix).cloned().map(Dim::Entity);

        let mut dims: BTreeSet<Dim> = BTreeSet::new();
        for (day, s, g) in self.orders.cells.keys() {
            if inside(*day) {
                dims.insert(Dim::CustomerGroup(g.clone()));
                if *s != NO_SITE {
                    dims.extend(site(*s));
                }
            }
        }
        let orders = with_network(dims, |d| self.orders(period, d))?;

        let mut dims = BTreeSet::new();
        for (day, from, to) in self.transfers.cells.keys() {
            if let (true, Some(f), Some(t)) =
                (inside(*day), self.site_code(*from), self.site_code(*to))
            {
                dims.insert(Dim::Lane { from: f.clone(), to: t.clone() });
            }
        }
        let transfers = with_network(dims, |d| self.transfers(period, d))?;

        let mut dims = BTreeSet::new();
        for (day, s, class, shift, counter) in self.stock.counts.keys() {
            if inside(*day) {
                dims.extend(site(*s));
                dims.insert(Dim::ItemClass(*class));
                dims.insert(Dim::Counter(counter.clone()));
                if let Some(code) = self.site_code(*s) {
                    dims.insert(Dim::Shift { site: code.clone(), shift: *shift });
                }
            }
        }
        let counts = with_network(dims, |d| self.counts(period, d))?;

        let mut dims = BTreeSet::new();
        for (day, s, reason, actor) in self.stock.adjusts.keys() {
            if inside(*day) {
                dims.extend(site(*s));
                dims.insert(Dim::Reason(reason.clone()));
                dims.insert(Dim::Actor(actor.clone()));
            }
        }
        let adjustments = with_network(dims, |d| self.adjustments(period, d))?;

        let dims: BTreeSet<Dim> = self.finance.transit.keys().filter_map(|e| entity(*e)).collect();
        let in_transit = with_network(dims, |d| self.in_transit(last, d))?;

        let dims: BTreeSet<Dim> = self.finance.aging.keys().filter_map(|(_, s)| site(*s)).collect();
        let aging = with_network(dims, |d| self.aging(last, d))?;

        let dims: BTreeSet<Dim> = self
            .finance
            .recon
            .keys()
            .filter(|(d, _)| inside(*d))
            .filter_map(|(_, e)| entity(*e))
            .collect();
        let reconciliation = with_network(dims, |d| self.reconciliation(period, d))?;

        let mut dims = BTreeSet::new();
        for (day, s, e) in self.finance.cogs.keys() {
            if inside(*day) {
                dims.extend(site(*s));
                dims.extend(entity(*e));
            }
        }
        for (e, s) in self.finance.valued.keys() {
            dims.extend(site(*s));
            dims.extend(entity(*e));
        }
        let turns = with_network(dims, |d| self.turns(period, d))?;

        let mut dims = BTreeSet::new();
        let mut any = false;
        for (day, s, reason) in self.orders.returns.keys() {
            if inside(*day) {
                any = true;
                dims.extend(site(*s));
                dims.insert(Dim::Reason(reason.clone()));
            }
        }
        let returns =
            if any { with_network(dims, |d| self.returns(period, d))? } else { Vec::new() };

        Ok(Report {
            period,
            orders,
            transfers,
            counts,
            adjustments,
            in_transit,
            aging,
            reconciliation,
            turns,
            returns,
        })
    }
}

fn with_network<T>(
    dims: BTreeSet<Dim>,
    f: impl Fn(&Dim) -> Result<T, InsightError>,
) -> Result<Vec<(Dim, T)>, InsightError> {
    let mut out = Vec::with_capacity(dims.len() + 1);
    out.push((Dim::Network, f(&Dim::Network)?));
    for d in dims {
        let v = f(&d)?;
        out.push((d, v));
    }
    Ok(out)
}

fn fig<T: std::fmt::Display>(f: &Figure<T>) -> String {
    match f {
        Figure::Value(v) => v.to_string(),
        Figure::NotEnoughData { .. } => "n/a".into(),
    }
}

impl std::fmt::Display for Report {
    #[allow(clippy::too_many_lines, reason = "one short block per KPI family")]
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = String::new();
        let _ = writeln!(s, "KPIs for {}", self.period);
        for (d, k) in &self.orders {
            let _ = writeln!(
                s,
                "  orders   {d:<24} unit fill {} | line fill {} | promise acc. {}",
                k.fill_requested.units, k.fill_requested.lines, k.promise_accuracy
            );
            if let (Some(p), Some(c)) = (&k.perfect_order, &k.cycle_time) {
                let orders = k.fill_requested.orders.map(|o| o.to_string()).unwrap_or_default();
                let _ = writeln!(
                    s,
                    "  orders   {d:<24} order fill {orders} | perfect {} | cycle {}",
                    p.perfect,
                    fig(c)
                );
            }
        }
        for (d, k) in &self.transfers {
            let _ = writeln!(
                s,
                "  transfer {d:<24} requested {} shipped {} received {} | cycle {} | receipt acc. {}",
                k.requested,
                k.shipped,
                k.completed,
                fig(&k.total),
                k.receipt_accuracy
            );
        }
        for (d, k) in &self.counts {
            let _ = writeln!(
                s,
                "  counts   {d:<24} accuracy {} | net {} abs {} units | abs value {} | recurrence {}",
                k.accuracy,
                k.net_units.normalize(),
                k.abs_units.normalize(),
                k.abs_value,
                k.recurrence
            );
        }
        for (d, k) in &self.returns {
            let _ = writeln!(
                s,
                "  returns  {d:<24} {} ({} units) | found sound {} damaged {} | damaged share {} | return rate {}",
                k.returns,
                k.units.normalize(),
                k.sound.normalize(),
                k.damaged.normalize(),
                k.damaged_share,
                k.return_rate
            );
        }
        for (d, k) in &self.adjustments {
            let _ = writeln!(
                s,
                "  adjust   {d:<24} {} ({} up, {} down) | net {} units | abs value {}",
                k.count,
                k.increases,
                k.decreases,
                k.net_units.normalize(),
                k.abs_value
            );
        }
        for (d, k) in &self.in_transit {
            let _ = writeln!(
                s,
                "  transit  {d:<24} {} lines {} | with ETA {} | overdue {} ({})",
                k.lines, k.value, k.lines_with_eta, k.overdue_lines, k.overdue_value
            );
        }
        for (d, k) in &self.aging {
            let b: Vec<String> = k
                .buckets
                .iter()
                .map(|b| match b.to_days {
                    Some(t) => format!("{}-{}d {}", b.from_days, t, b.value),
                    None => format!(">{}d {}", b.from_days.saturating_sub(1), b.value),
                })
                .collect();
            let _ = writeln!(s, "  aging    {d:<24} {}", b.join(" | "));
        }
        for (d, k) in &self.reconciliation {
            let _ = writeln!(
                s,
                "  recon    {d:<24} opened {} resolved {} | open at end {} ({})",
                k.opened, k.resolved, k.open_at_end, k.open_value_at_end
            );
        }
        for (d, k) in &self.turns {
            for t in &k.by_currency {
                let _ = writeln!(
                    s,
                    "  turns    {d:<24} {} cogs {} avg inv {} | turns {} | days of inventory {}",
                    t.currency,
                    t.cogs,
                    fig(&t.average_inventory),
                    fig(&t.turns),
                    fig(&t.days_of_inventory)
                );
            }
        }
        f.write_str(&s)
    }
}
