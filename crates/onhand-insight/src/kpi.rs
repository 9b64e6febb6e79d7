//! The KPIs, per period and dimension, each with its formula.
//!
//! Every figure is a sum over day cells (exact), so a week or month is the merge of its
//! days and a dimension the merge of its finer keys. Ratios come with their numerator
//! and denominator; an empty one is "not enough data", never NaN.
//!
//! | KPI | formula | bucketed on |
//! |---|---|---|
//! | unit fill rate vs requested | units shipped on or before the requested date (at most the ordered quantity) / units ordered | requested date |
//! | line fill rate vs requested | lines whose on-time units reach the ordered quantity / lines | requested date |
//! | order fill rate vs requested | orders all of whose lines are filled on time / orders | the order's first line's requested date |
//! | unit fill rate vs promised | units shipped on or before their schedule line's date (schedule lines filled in date order, at most the confirmed and the ordered quantity) / units ordered of promised lines | last schedule date |
//! | line and order fill rate vs promised | as above, over promised lines; an order counts when all its lines are promised | last schedule date; order due date |
//! | order promise accuracy | promised lines whose fulfilling quantity (delivered, or shipped: [`crate::Basis`]) by the last schedule date reaches the confirmed quantity / promised lines | last schedule date |
//! | perfect order fulfillment (SCOR RL.1.1) | orders delivered in full, on time to the customer commit date (the promise, else the requested date), in perfect condition and with accurate documentation / orders fulfilled; each of the four components also as its own share. Perfect condition (RL.2.4): no line delivered damaged, and no line returned and found damaged or defective (on arrival or at inspection, whenever the return comes: the order's figure on its fulfilment day changes); a return found sound (the customer's choice) leaves the order perfect | the day the order's last line was fulfilled |
//! | order fulfillment cycle time (SCOR RS.1.1) | last line fulfilled − first line received, per order: count, mean, p50, p90 | fulfilment day |
//! | transfer cycle time | request → approval, request → shipment, shipment → receipt completion, request → receipt completion: count, mean, p50, p90 by lane | the day of the later event |
//! | transfer receipt accuracy | receipts without short, over or damaged quantity / receipts; a close writing off quantity shipped and never received counts as one more receipt, short by it | receipt day; close day |
//! | inventory record accuracy | counts with `abs(counted − book) <= tolerance` / counts; net and absolute variance in units and value | count day |
//! | count variance recurrence | out-of-tolerance counts with another out-of-tolerance count among the item-site's previous N ([`crate::Config::recurrence_window`]) / out-of-tolerance counts | count day |
//! | in-transit visibility | in-transit lines, quantity and value with an expected arrival / all in transit; value per owner; lines past their expected arrival, their value and age | the latest snapshot by the date |
//! | inventory aging | quantity and value by days since receipt ([`crate::Config::aging_buckets`]) | the latest snapshot by the date |
//! | customer returns | returns and units taken back; units found sound and found damaged; damaged / (sound + damaged), by site, entity, region and the return's reason | return day; inspection day for what inspection found |
//! | return rate | units returned at the dimension's sites / units shipped from them (every site for a reason), reversed shipments excepted | return day; shipment day |
//! | supplier follow-ups | receipts of a supplier; of them, followed within [`crate::Config::follow_days`] by a negative adjustment, damage or hold at the receiving item-site, or goods of the same supplier sent back; followed / receipts | receipt day |
//! | manual adjustment volume | count, increases, decreases, net and absolute units and value | adjustment day |
//! | reconciliation effort | intercompany mismatches opened and resolved (count, value), age at resolution, and open at the period's end with their ages | opening and resolution days |
//! | inventory turns | cost of goods sold / average inventory, and × 365 / days for the annual rate | period |
//! | days of inventory (SCOR AM.2.2, inventory days of supply) | average inventory / (cost of goods sold / days in period) | period |
//! | average inventory | mean over the period's days of the stock value at each day's end (the latest valuation by then, carried forward) | period |
//!
//! **Reversals.** A record undone by a ledger reversal ([`crate::Reversed`]) leaves every
//! figure above as if it had never been taken in, on the day it counted: a shipment
//! leaves the fill rates, promise accuracy, perfect orders and the return rate's
//! denominator; a supplier receipt leaves its supplier's receipts (and, reversed inside
//! its follow-up window, the followed ones it was charged with); an adjustment leaves
//! the adjustment volume. Trouble reversed stays charged to the receipts it followed.
//!
//! SCOR references: APICS/ASCM, *SCOR Digital Standard* (2022), metrics RL.1.1
//! Perfect Order Fulfillment, RL.2.4 Perfect Condition (orders delivered undamaged,
//! meeting specification and accepted by the customer: an order whose goods come back
//! damaged or defective was not), RS.1.1 Order Fulfillment Cycle Time, AM.2.2 Inventory
//! Days of Supply.

use chrono::{DateTime, NaiveDate, Utc};
use onhand_ledger::{ActorId, ReasonCode};
use onhand_master::{
    CurrencyCode, CustomerGroupCode, Decimal, EntityCode, RegionCode, SiteCode, VelocityClass,
};
use serde::{Deserialize, Serialize};

use crate::engine::Insight;
use crate::error::InsightError;
use crate::exact::{dec, sum, sum_count};
use crate::figure::{Amounts, Dist, Figure, Ratio};
use crate::finance::latest;
use crate::orders::{NO_SITE, OrderCell, ReturnCell};
use crate::period::{Period, date_of, day_number};
use crate::sketch::Sketch;
use crate::stock::{AdjustCell, CountCell};
use crate::transfers::TransferCell;

/// What a figure is broken down by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dim {
    /// The whole network.
    Network,
    /// One site.
    Site(SiteCode),
    /// The sites of one legal entity.
    Entity(EntityCode),
    /// The sites of one region.
    Region(RegionCode),
    /// One item class.
    ItemClass(VelocityClass),
    /// One customer group.
    CustomerGroup(CustomerGroupCode),
    /// One transfer lane.
    Lane {
        /// Shipping site.
        from: SiteCode,
        /// Receiving site.
        to: SiteCode,
    },
    /// One counter.
    Counter(ActorId),
    /// One shift of one site.
    Shift {
        /// The site.
        site: SiteCode,
        /// The shift (index into the site's shift starts).
        shift: u8,
    },
    /// One adjustment reason.
    Reason(ReasonCode),
    /// One actor posting adjustments.
    Actor(ActorId),
}

impl Dim {
    /// The dimension's kind, as its serialized tag.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Dim::Network => "network",
            Dim::Site(_) => "site",
            Dim::Entity(_) => "entity",
            Dim::Region(_) => "region",
            Dim::ItemClass(_) => "item_class",
            Dim::CustomerGroup(_) => "customer_group",
            Dim::Lane { .. } => "lane",
            Dim::Counter(_) => "counter",
            Dim::Shift { .. } => "shift",
            Dim::Reason(_) => "reason",
            Dim::Actor(_) => "actor",
        }
    }
}

impl std::fmt::Display for Dim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dim::Network => f.write_str("network"),
            Dim::Site(s) => write!(f, "site {s}"),
            Dim::Entity(e) => write!(f, "entity {e}"),
            Dim::Region(r) => write!(f, "region {r}"),
            Dim::ItemClass(c) => write!(f, "class {c:?}"),
            Dim::CustomerGroup(g) => write!(f, "group {g}"),
            Dim::Lane { from, to } => write!(f, "lane {from}>{to}"),
            Dim::Counter(a) => write!(f, "counter {a}"),
            Dim::Shift { site, shift } => write!(f, "shift {site}#{shift}"),
            Dim::Reason(r) => write!(f, "reason {r}"),
            Dim::Actor(a) => write!(f, "actor {a}"),
        }
    }
}

/// A site-level filter resolved from a [`Dim`].
#[derive(Debug, Clone, Copy)]
enum Sites {
    All,
    Site(u16),
    Entity(u16),
    Region(u16),
    Nothing,
}

/// Fill rates against one date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fill {
    /// Unit fill rate.
    pub units: Ratio,
    /// Line fill rate.
    pub lines: Ratio,
    /// Order fill rate (`None` by site, entity or region: orders span sites).
    pub orders: Option<Ratio>,
}

/// Perfect order fulfillment and its four components.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerfectOrder {
    /// Perfect orders / orders fulfilled.
    pub perfect: Ratio,
    /// Delivered in full.
    pub in_full: Ratio,
    /// On time to the commit date.
    pub on_time: Ratio,
    /// In perfect condition.
    pub condition: Ratio,
    /// With accurate documentation.
    pub documentation: Ratio,
}

/// The order KPIs of a period and dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderKpis {
    /// Against the requested date.
    pub fill_requested: Fill,
    /// Against the promised dates.
    pub fill_promised: Fill,
    /// Order promise accuracy.
    pub promise_accuracy: Ratio,
    /// Perfect order fulfillment (`None` by site, entity or region).
    pub perfect_order: Option<PerfectOrder>,
    /// Order fulfillment cycle time (`None` by site, entity or region).
    pub cycle_time: Option<Figure<Dist>>,
}

/// Customer returns of a period and dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnKpis {
    /// Returns taken back (one per order line coming back).
    pub returns: u64,
    /// Units returned.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub units: Decimal,
    /// Units found sound (on arrival or at inspection, in the period).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub sound: Decimal,
    /// Units found damaged or defective (on arrival or at inspection, in the period).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub damaged: Decimal,
    /// Damaged / (sound + damaged): the share of inspected returns found damaged.
    pub damaged_share: Ratio,
    /// Units shipped in the period from the dimension's sites (every site for a
    /// reason), reversed shipments excepted: the return rate's denominator.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub shipped: Decimal,
    /// Units returned / units shipped, both counted on their own days within the
    /// period (the goods returned need not be those shipped in it): not enough data
    /// when nothing shipped.
    pub return_rate: Ratio,
}

/// The transfer KPIs of a period and lane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransferKpis {
    /// Lines requested.
    pub requested: u64,
    /// Their value.
    pub requested_value: Amounts,
    /// Lines approved.
    pub approved: u64,
    /// Lines shipped.
    pub shipped: u64,
    /// Lines whose receipt completed.
    pub completed: u64,
    /// Lines closed.
    pub closed: u64,
    /// Request to approval.
    pub to_approve: Figure<Dist>,
    /// Request to shipment.
    pub to_ship: Figure<Dist>,
    /// Shipment to receipt completion.
    pub transit: Figure<Dist>,
    /// Request to receipt completion.
    pub total: Figure<Dist>,
    /// Receipts without discrepancy / receipts (a close writing off what never arrived
    /// counts as a receipt short by it).
    pub receipt_accuracy: Ratio,
    /// Units short (at receipt, and written off at close).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub short: Decimal,
    /// Units over.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub over: Decimal,
    /// Units damaged.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub damaged: Decimal,
}

/// The count KPIs of a period and dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountKpis {
    /// Inventory record accuracy: counts within tolerance / counts.
    pub accuracy: Ratio,
    /// Net variance in units (counted − book).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub net_units: Decimal,
    /// Absolute variance in units.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub abs_units: Decimal,
    /// Net variance value.
    pub net_value: Amounts,
    /// Absolute variance value.
    pub abs_value: Amounts,
    /// Recurrences / counts out of tolerance.
    pub recurrence: Ratio,
}

/// The adjustment KPIs of a period and dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdjustmentKpis {
    /// Adjustments.
    pub count: u64,
    /// Of them, increases.
    pub increases: u64,
    /// Of them, decreases.
    pub decreases: u64,
    /// Net units.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub net_units: Decimal,
    /// Absolute units.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub abs_units: Decimal,
    /// Net value.
    pub net_value: Amounts,
    /// Absolute value.
    pub abs_value: Amounts,
}

/// Supplier receipts of a period (by the day received) and how many were followed by
/// trouble at the receiving item-site: a negative adjustment, damage or hold, or goods
/// of the same supplier sent back to it, within [`crate::Config::follow_days`] (the
/// figure the supplier follow-up detector tests, [`crate::detect`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupplierKpis {
    /// Receipts (one per supplier, item and receiving event), reversed ones excepted.
    pub receipts: u64,
    /// Of them, followed by trouble so far.
    pub followed: u64,
    /// `followed / receipts`.
    pub followed_share: Ratio,
    /// Units received.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub qty: Decimal,
    /// Value received.
    pub value: Amounts,
}

/// A share of money in one currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrencyShare {
    /// The currency.
    pub currency: CurrencyCode,
    /// The share.
    pub share: Ratio,
}

/// In-transit visibility as of a date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InTransitKpis {
    /// The newest snapshot read (`None`: no snapshot by the date).
    pub snapshot: Option<DateTime<Utc>>,
    /// Lines in transit.
    pub lines: u64,
    /// Quantity in transit.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub qty: Decimal,
    /// Value in transit.
    pub value: Amounts,
    /// Lines with an expected arrival / lines.
    pub lines_with_eta: Ratio,
    /// Quantity with an expected arrival / quantity.
    pub qty_with_eta: Ratio,
    /// Value with an expected arrival / value, per currency.
    pub value_with_eta: Vec<CurrencyShare>,
    /// Value in transit per owning entity.
    pub by_owner: Vec<(EntityCode, Amounts)>,
    /// Lines past their expected arrival.
    pub overdue_lines: u64,
    /// Their value.
    pub overdue_value: Amounts,
    /// How far past (seconds).
    pub overdue_age: Figure<Dist>,
}

/// One aging bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgingBucket {
    /// Youngest age in the bucket, days.
    pub from_days: u32,
    /// Oldest, days (`None`: open).
    pub to_days: Option<u32>,
    /// Quantity.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub qty: Decimal,
    /// Value.
    pub value: Amounts,
}

/// Inventory aging as of a date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgingKpis {
    /// The buckets, youngest first.
    pub buckets: Vec<AgingBucket>,
}

/// Reconciliation effort of a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconciliationKpis {
    /// Mismatches opened.
    pub opened: u64,
    /// Their value.
    pub opened_value: Amounts,
    /// Mismatches resolved.
    pub resolved: u64,
    /// Their value.
    pub resolved_value: Amounts,
    /// Age at resolution (seconds).
    pub resolution_age: Figure<Dist>,
    /// Open at the period's end.
    pub open_at_end: u64,
    /// Their value.
    pub open_value_at_end: Amounts,
    /// Their age at the period's end (seconds).
    pub open_age_at_end: Figure<Dist>,
}

/// Turns and days of inventory in one currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turns {
    /// The currency.
    pub currency: CurrencyCode,
    /// Cost of goods sold in the period.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub cogs: Decimal,
    /// Average inventory value.
    #[serde(deserialize_with = "crate::figure::plain")]
    pub average_inventory: Figure<Decimal>,
    /// COGS / average inventory.
    #[serde(deserialize_with = "crate::figure::plain")]
    pub turns: Figure<Decimal>,
    /// Turns × 365 / days.
    #[serde(deserialize_with = "crate::figure::plain")]
    pub annualized_turns: Figure<Decimal>,
    /// Average inventory / (COGS / days).
    #[serde(deserialize_with = "crate::figure::plain")]
    pub days_of_inventory: Figure<Decimal>,
}

/// Turns and days of a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnsKpis {
    /// Days in the period.
    pub days: u32,
    /// Days with a valuation (at or before their end).
    pub valued_days: u32,
    /// Per currency.
    pub by_currency: Vec<Turns>,
}

/// Which count cells a dimension keeps: (site, class, shift, counter).
type CountPred<'a> = Box<dyn Fn(u16, VelocityClass, u8, &ActorId) -> bool + 'a>;
/// Which adjustment cells a dimension keeps: (site, reason, actor).
type AdjustPred<'a> = Box<dyn Fn(u16, &ReasonCode, &ActorId) -> bool + 'a>;

fn dist(s: &Sketch) -> Figure<Dist> {
    Dist::of(s)
}

fn ratio_i(n: i64, d: i64) -> Ratio {
    Ratio::new(dec(n), dec(d))
}

fn in_range(day: i32, (a, b): (i32, i32)) -> bool {
    day >= a && day < b
}

fn div6(a: Decimal, b: Decimal) -> Figure<Decimal> {
    if b.is_zero() {
        return Figure::NotEnoughData { have: 0, need: 1 };
    }
    a.checked_div(b).map_or(Figure::NotEnoughData { have: 0, need: 1 }, |v| {
        Figure::Value(v.round_dp(6).normalize())
    })
}

impl Insight {
    fn sites_of(&self, dim: &Dim, figure: &'static str) -> Result<Sites, InsightError> {
        Ok(match dim {
            Dim::Network => Sites::All,
            Dim::Site(s) => Sites::Site(self.site(s)?),
            Dim::Entity(e) => Sites::Entity(self.entity(e)?),
            Dim::Region(r) => self.region_ix(r).map_or(Sites::Nothing, Sites::Region),
            other => {
                return Err(InsightError::UnsupportedDimension { figure, dim: other.kind() });
            }
        })
    }

    fn site_matches(&self, f: Sites, site: u16) -> bool {
        match f {
            Sites::All => true,
            Sites::Site(s) => site == s,
            Sites::Entity(e) => site != NO_SITE && self.entity_of_site(site) == Some(e),
            Sites::Region(r) => site != NO_SITE && self.region_of_site(site) == Some(r),
            Sites::Nothing => false,
        }
    }

    /// The order KPIs of `period` by `dim` (network, site, entity, region or customer
    /// group; order-level figures only by network and customer group).
    ///
    /// # Errors
    /// [`InsightError::UnsupportedDimension`]; [`InsightError::UnknownSite`] or
    /// [`InsightError::UnknownEntity`] for a dimension naming one; [`InsightError::Overflow`]
    /// for a sum beyond its type.
    pub fn orders(&self, period: Period, dim: &Dim) -> Result<OrderKpis, InsightError> {
        let range = period.day_range();
        let (filter, group) = match dim {
            Dim::CustomerGroup(g) => (Sites::All, Some(g)),
            d => (self.sites_of(d, "order KPIs")?, None),
        };
        let order_level = matches!(dim, Dim::Network | Dim::CustomerGroup(_));
        let mut c = OrderCell::default();
        for ((day, site, g), cell) in &self.orders.cells {
            if !in_range(*day, range) || group.is_some_and(|x| x != g) {
                continue;
            }
            let site_ok =
                if *site == NO_SITE { order_level } else { self.site_matches(filter, *site) };
            if site_ok {
                add_order_cell(&mut c, cell)?;
            }
        }
        let fill = |units: (Decimal, Decimal), lines: (i64, i64), orders: (i64, i64)| Fill {
            units: Ratio::new(units.0, units.1),
            lines: ratio_i(lines.0, lines.1),
            orders: order_level.then(|| ratio_i(orders.0, orders.1)),
        };
        Ok(OrderKpis {
            fill_requested: fill(
                (c.req_units_on_time.dec()?, c.req_units.dec()?),
                (c.req_lines_filled, c.req_lines),
                (c.orders_req_filled, c.orders_req),
            ),
            fill_promised: fill(
                (c.prom_units_on_time.dec()?, c.prom_units.dec()?),
                (c.prom_lines_filled, c.prom_lines),
                (c.orders_prom_filled, c.orders_prom),
            ),
            promise_accuracy: ratio_i(c.accurate_lines, c.prom_lines),
            perfect_order: order_level.then(|| PerfectOrder {
                perfect: ratio_i(c.perfect, c.orders_done),
                in_full: ratio_i(c.parts[0], c.orders_done),
                on_time: ratio_i(c.parts[1], c.orders_done),
                condition: ratio_i(c.parts[2], c.orders_done),
                documentation: ratio_i(c.parts[3], c.orders_done),
            }),
            cycle_time: order_level.then(|| dist(&c.cycle)),
        })
    }

    /// The transfer KPIs of `period` by `dim` (network or lane).
    ///
    /// # Errors
    /// [`InsightError::UnsupportedDimension`]; [`InsightError::UnknownSite`];
    /// [`InsightError::Overflow`] for a sum beyond its type.
    pub fn transfers(&self, period: Period, dim: &Dim) -> Result<TransferKpis, InsightError> {
        let range = period.day_range();
        let lane = match dim {
            Dim::Network => None,
            Dim::Lane { from, to } => Some((self.site(from)?, self.site(to)?)),
            other => {
                return Err(InsightError::UnsupportedDimension {
                    figure: "transfer KPIs",
                    dim: other.kind(),
                });
            }
        };
        let mut c = TransferCell::default();
        for ((day, from, to), cell) in &self.transfers.cells {
            if in_range(*day, range) && lane.is_none_or(|l| l == (*from, *to)) {
                sum_count(&mut c.requested, cell.requested)?;
                c.requested_value.merge(&cell.requested_value)?;
                sum_count(&mut c.approved, cell.approved)?;
                sum_count(&mut c.shipped, cell.shipped)?;
                sum_count(&mut c.completed, cell.completed)?;
                sum_count(&mut c.closed, cell.closed)?;
                sum_count(&mut c.receipts, cell.receipts)?;
                sum_count(&mut c.receipts_exact, cell.receipts_exact)?;
                sum(&mut c.short, cell.short)?;
                sum(&mut c.over, cell.over)?;
                sum(&mut c.damaged, cell.damaged)?;
                c.to_approve.merge(&cell.to_approve);
                c.to_ship.merge(&cell.to_ship);
                c.transit.merge(&cell.transit);
                c.total.merge(&cell.total);
            }
        }
        Ok(TransferKpis {
            requested: c.requested,
            requested_value: c.requested_value,
            approved: c.approved,
            shipped: c.shipped,
            completed: c.completed,
            closed: c.closed,
            to_approve: dist(&c.to_approve),
            to_ship: dist(&c.to_ship),
            transit: dist(&c.transit),
            total: dist(&c.total),
            receipt_accuracy: Ratio::of_counts(c.receipts_exact, c.receipts),
            short: c.short,
            over: c.over,
            damaged: c.damaged,
        })
    }

    /// The customer returns of `period` by `dim` (network, site, entity, region or the
    /// return's reason): returns and units taken back on their day, and units found
    /// sound or damaged on the day they were found.
    ///
    /// **Return rate** = units returned in the period at the dimension's sites / units
    /// shipped in the period from them (every site for a reason), each on its own day;
    /// a reversed shipment leaves the day it shipped. Not enough data when nothing
    /// shipped.
    ///
    /// # Errors
    /// [`InsightError::UnsupportedDimension`]; [`InsightError::UnknownSite`] or
    /// [`InsightError::UnknownEntity`]; [`InsightError::Overflow`].
    pub fn returns(&self, period: Period, dim: &Dim) -> Result<ReturnKpis, InsightError> {
        let range = period.day_range();
        let (sites, reason) = match dim {
            Dim::Reason(r) => (Sites::All, Some(r)),
            d => (self.sites_of(d, "customer returns")?, None),
        };
        let mut c = ReturnCell::default();
        for ((day, site, r), cell) in &self.orders.returns {
            if in_range(*day, range)
                && reason.is_none_or(|x| x == r)
                && self.site_matches(sites, *site)
            {
                sum_count(&mut c.returns, cell.returns)?;
                sum(&mut c.units, cell.units)?;
                sum(&mut c.sound, cell.sound)?;
                sum(&mut c.damaged, cell.damaged)?;
            }
        }
        let mut shipped = Decimal::ZERO;
        for ((day, site), q) in &self.orders.shipped {
            if in_range(*day, range) && self.site_matches(sites, *site) {
                sum(&mut shipped, *q)?;
            }
        }
        let inspected = c.sound.checked_add(c.damaged).ok_or(InsightError::Overflow("a sum"))?;
        Ok(ReturnKpis {
            returns: c.returns,
            units: c.units,
            sound: c.sound,
            damaged: c.damaged,
            damaged_share: Ratio::new(c.damaged, inspected),
            shipped,
            return_rate: Ratio::new(c.units, shipped),
        })
    }

    /// The count KPIs of `period` by `dim` (network, site, entity, region, item class,
    /// counter or shift).
    ///
    /// # Errors
    /// [`InsightError::UnsupportedDimension`]; [`InsightError::UnknownSite`] or
    /// [`InsightError::UnknownEntity`]; [`InsightError::Overflow`] for a sum beyond its type.
    pub fn counts(&self, period: Period, dim: &Dim) -> Result<CountKpis, InsightError> {
        let range = period.day_range();
        let pred: CountPred<'_> = match dim {
            Dim::ItemClass(c) => {
                let c = *c;
                Box::new(move |_, k, _, _| k == c)
            }
            Dim::Counter(a) => Box::new(move |_, _, _, x| x == a),
            Dim::Shift { site, shift } => {
                let (s, sh) = (self.site(site)?, *shift);
                Box::new(move |site, _, shift, _| site == s && shift == sh)
            }
            d => {
                let f = self.sites_of(d, "count KPIs")?;
                Box::new(move |site, _, _, _| self.site_matches(f, site))
            }
        };
        let mut c = CountCell::default();
        for ((day, site, class, shift, counter), cell) in &self.stock.counts {
            if in_range(*day, range) && pred(*site, *class, *shift, counter) {
                sum_count(&mut c.counts, cell.counts)?;
                sum_count(&mut c.within, cell.within)?;
                sum_count(&mut c.recurrences, cell.recurrences)?;
                sum(&mut c.net_units, cell.net_units)?;
                sum(&mut c.abs_units, cell.abs_units)?;
                c.net_value.merge(&cell.net_value)?;
                c.abs_value.merge(&cell.abs_value)?;
            }
        }
        Ok(CountKpis {
            accuracy: Ratio::of_counts(c.within, c.counts),
            net_units: c.net_units,
            abs_units: c.abs_units,
            net_value: c.net_value,
            abs_value: c.abs_value,
            recurrence: Ratio::of_counts(c.recurrences, c.counts.saturating_sub(c.within)),
        })
    }

    /// The manual adjustment volume of `period` by `dim` (network, site, entity,
    /// region, reason or actor).
    ///
    /// # Errors
    /// [`InsightError::UnsupportedDimension`]; [`InsightError::UnknownSite`] or
    /// [`InsightError::UnknownEntity`]; [`InsightError::Overflow`] for a sum beyond its type.
    pub fn adjustments(&self, period: Period, dim: &Dim) -> Result<AdjustmentKpis, InsightError> {
        let range = period.day_range();
        let pred: AdjustPred<'_> = match dim {
            Dim::Reason(r) => Box::new(move |_, x, _| x == r),
            Dim::Actor(a) => Box::new(move |_, _, x| x == a),
            d => {
                let f = self.sites_of(d, "adjustment KPIs")?;
                Box::new(move |site, _, _| self.site_matches(f, site))
            }
        };
        let mut c = AdjustCell::default();
        for ((day, site, reason, actor), cell) in &self.stock.adjusts {
            if in_range(*day, range) && pred(*site, reason, actor) {
                sum_count(&mut c.count, cell.count)?;
                sum_count(&mut c.increases, cell.increases)?;
                sum_count(&mut c.decreases, cell.decreases)?;
                sum(&mut c.net_units, cell.net_units)?;
                sum(&mut c.abs_units, cell.abs_units)?;
                c.net_value.merge(&cell.net_value)?;
                c.abs_value.merge(&cell.abs_value)?;
            }
        }
        Ok(AdjustmentKpis {
            count: c.count,
            increases: c.increases,
            decreases: c.decreases,
            net_units: c.net_units,
            abs_units: c.abs_units,
            net_value: c.net_value,
            abs_value: c.abs_value,
        })
    }

    /// The receipts of `period` from `supplier` (every supplier: `None`) and the share
    /// of them followed by trouble (see [`SupplierKpis`]): `followed_share = followed /
    /// receipts`, not enough data without receipts.
    ///
    /// # Errors
    /// [`InsightError::Overflow`] for a sum beyond its type.
    pub fn supplier_receipts(
        &self,
        period: Period,
        supplier: Option<&onhand_master::SupplierCode>,
    ) -> Result<SupplierKpis, InsightError> {
        let range = period.day_range();
        let (mut receipts, mut followed) = (0u64, 0u64);
        let mut qty = Decimal::ZERO;
        let mut value = Amounts::default();
        for ((day, s), cell) in &self.stock.suppliers {
            if in_range(*day, range) && supplier.is_none_or(|x| x == s) {
                sum_count(&mut receipts, cell.receipts)?;
                sum_count(&mut followed, cell.followed)?;
                sum(&mut qty, cell.qty)?;
                value.merge(&cell.value)?;
            }
        }
        Ok(SupplierKpis {
            receipts,
            followed,
            followed_share: Ratio::of_counts(followed, receipts),
            qty,
            value,
        })
    }

    /// In-transit visibility by the end of `date` by `dim` (network or owning entity),
    /// from each owner's latest in-transit snapshot taken by then.
    ///
    /// # Errors
    /// [`InsightError::UnsupportedDimension`]; [`InsightError::UnknownEntity`];
    /// [`InsightError::Overflow`] for a sum beyond its type.
    pub fn in_transit(&self, date: NaiveDate, dim: &Dim) -> Result<InTransitKpis, InsightError> {
        let owner = match dim {
            Dim::Network => None,
            Dim::Entity(e) => Some(self.entity(e)?),
            other => {
                return Err(InsightError::UnsupportedDimension {
                    figure: "in-transit visibility",
                    dim: other.kind(),
                });
            }
        };
        let end = end_of(date);
        let mut k = InTransitKpis {
            snapshot: None,
            lines: 0,
            qty: Decimal::ZERO,
            value: Amounts::default(),
            lines_with_eta: Ratio::default(),
            qty_with_eta: Ratio::default(),
            value_with_eta: Vec::new(),
            by_owner: Vec::new(),
            overdue_lines: 0,
            overdue_value: Amounts::default(),
            overdue_age: Figure::NotEnoughData { have: 0, need: 1 },
        };
        let (mut eta_lines, mut eta_qty, mut eta_value) = (0u64, Decimal::ZERO, Amounts::default());
        let mut age = Sketch::default();
        let mut owners: Vec<u16> = self.finance.transit.keys().copied().collect();
        owners.sort_unstable();
        for o in owners {
            if owner.is_some_and(|x| x != o) {
                continue;
            }
            let Some((t, c)) = self.finance.transit.get(&o).and_then(|s| latest(s, end)) else {
                continue;
            };
            let t = DateTime::from_timestamp(*t, 0);
            k.snapshot = k.snapshot.max(t);
            sum_count(&mut k.lines, c.lines)?;
            sum(&mut k.qty, c.qty)?;
            k.value.merge(&c.value)?;
            sum_count(&mut eta_lines, c.eta_lines)?;
            sum(&mut eta_qty, c.eta_qty)?;
            eta_value.merge(&c.eta_value)?;
            sum_count(&mut k.overdue_lines, c.overdue_lines)?;
            k.overdue_value.merge(&c.overdue_value)?;
            age.merge(&c.overdue_age);
            if let Some(code) = self.entity_code(o) {
                k.by_owner.push((code.clone(), c.value.clone()));
            }
        }
        k.lines_with_eta = Ratio::of_counts(eta_lines, k.lines);
        k.qty_with_eta = Ratio::new(eta_qty, k.qty);
        k.value_with_eta = k
            .value
            .as_slice()
            .iter()
            .map(|m| CurrencyShare {
                currency: m.currency(),
                share: Ratio::new(eta_value.get(m.currency()), m.amount()),
            })
            .collect();
        k.overdue_age = dist(&age);
        Ok(k)
    }

    /// Inventory aging by the end of `date` by `dim` (network, site, entity or region),
    /// from each entity-site's latest aging snapshot taken by then.
    ///
    /// # Errors
    /// [`InsightError::UnsupportedDimension`]; [`InsightError::UnknownSite`] or
    /// [`InsightError::UnknownEntity`].
    pub fn aging(&self, date: NaiveDate, dim: &Dim) -> Result<AgingKpis, InsightError> {
        let f = self.sites_of(dim, "inventory aging")?;
        let end = end_of(date);
        let bounds = &self.config().aging_buckets;
        let mut qty = vec![Decimal::ZERO; bounds.len() + 1];
        let mut value = vec![Amounts::default(); bounds.len() + 1];
        for ((entity, site), series) in &self.finance.aging {
            let keep = match f {
                Sites::Entity(e) => *entity == e,
                other => self.site_matches(other, *site),
            };
            if !keep {
                continue;
            }
            let Some((_, c)) = latest(series, end) else { continue };
            for (a, b) in qty.iter_mut().zip(&c.qty) {
                sum(a, *b)?;
            }
            for (a, b) in value.iter_mut().zip(&c.value) {
                a.merge(b)?;
            }
        }
        let mut buckets = Vec::with_capacity(qty.len());
        let mut from = 0u32;
        for (i, (q, v)) in qty.into_iter().zip(value).enumerate() {
            let to = bounds.get(i).copied();
            buckets.push(AgingBucket { from_days: from, to_days: to, qty: q, value: v });
            from = to.map_or(from, |t| t.saturating_add(1));
        }
        Ok(AgingKpis { buckets })
    }

    /// Reconciliation effort of `period` by `dim` (network or entity).
    ///
    /// # Errors
    /// [`InsightError::UnsupportedDimension`]; [`InsightError::UnknownEntity`];
    /// [`InsightError::Overflow`] for a sum beyond its type.
    pub fn reconciliation(
        &self,
        period: Period,
        dim: &Dim,
    ) -> Result<ReconciliationKpis, InsightError> {
        let entity = match dim {
            Dim::Network => None,
            Dim::Entity(e) => Some(self.entity(e)?),
            other => {
                return Err(InsightError::UnsupportedDimension {
                    figure: "reconciliation effort",
                    dim: other.kind(),
                });
            }
        };
        let range = period.day_range();
        let mut k = ReconciliationKpis {
            opened: 0,
            opened_value: Amounts::default(),
            resolved: 0,
            resolved_value: Amounts::default(),
            resolution_age: Figure::NotEnoughData { have: 0, need: 1 },
            open_at_end: 0,
            open_value_at_end: Amounts::default(),
            open_age_at_end: Figure::NotEnoughData { have: 0, need: 1 },
        };
        let mut age = Sketch::default();
        for ((day, e), c) in &self.finance.recon {
            if in_range(*day, range) && entity.is_none_or(|x| x == *e) {
                sum_count(&mut k.opened, c.opened)?;
                k.opened_value.merge(&c.opened_value)?;
                sum_count(&mut k.resolved, c.resolved)?;
                k.resolved_value.merge(&c.resolved_value)?;
                age.merge(&c.age);
            }
        }
        k.resolution_age = dist(&age);
        let end = end_of(period.end().pred_opt().unwrap_or(period.end()));
        let mut open_age = Sketch::default();
        for m in self.finance.mismatches.values() {
            if entity.is_some_and(|x| x != m.entity) {
                continue;
            }
            if m.opened <= end && m.resolved.is_none_or(|r| r > end) {
                k.open_at_end += 1;
                k.open_value_at_end.add(m.value)?;
                open_age.add(u64::try_from(end.saturating_sub(m.opened)).unwrap_or(0));
            }
        }
        k.open_age_at_end = dist(&open_age);
        Ok(k)
    }

    /// Inventory turns, days of inventory and average inventory of `period` by `dim`
    /// (network, site, entity or region), per currency.
    ///
    /// # Errors
    /// [`InsightError::UnsupportedDimension`]; [`InsightError::UnknownSite`] or
    /// [`InsightError::UnknownEntity`]; [`InsightError::Overflow`].
    pub fn turns(&self, period: Period, dim: &Dim) -> Result<TurnsKpis, InsightError> {
        let f = self.sites_of(dim, "turns and days")?;
        let keep = |entity: u16, site: u16| match f {
            Sites::Entity(e) => entity == e,
            other => self.site_matches(other, site),
        };
        let range = period.day_range();
        let mut cogs = Amounts::default();
        for ((day, site, entity), a) in &self.finance.cogs {
            if in_range(*day, range) && keep(*entity, *site) {
                cogs.merge(a)?;
            }
        }
        // Average inventory: the mean over valued days of the day-end total.
        let mut keys: Vec<&(u16, u16)> =
            self.finance.valued.keys().filter(|(e, s)| keep(*e, *s)).collect();
        keys.sort_unstable();
        let mut total = Amounts::default();
        let mut valued_days = 0u32;
        for day in range.0..range.1 {
            let end = end_of(date_of(day));
            let mut any = false;
            for k in &keys {
                if let Some((_, v)) = self.finance.valued.get(*k).and_then(|s| latest(s, end)) {
                    total.merge(v)?;
                    any = true;
                }
            }
            valued_days += u32::from(any);
        }
        let days = period.days();
        let mut currencies: Vec<CurrencyCode> =
            cogs.as_slice().iter().chain(total.as_slice()).map(|m| m.currency()).collect();
        currencies.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        currencies.dedup();
        let by_currency = currencies
            .into_iter()
            .map(|cur| {
                let c = cogs.get(cur);
                let avg = if valued_days == 0 {
                    Figure::NotEnoughData { have: 0, need: 1 }
                } else {
                    div6(total.get(cur), Decimal::from(valued_days))
                };
                let (turns, annual, doi) = match avg.value() {
                    Some(_) => {
                        // Each from the unrounded figures (the average is the valued
                        // total over the valued days), rounded once at the end.
                        let valued = Decimal::from(valued_days);
                        let period = Decimal::from(days);
                        let ratio = |num: Option<Decimal>, den: Option<Decimal>| match (num, den) {
                            (Some(num), Some(den)) => div6(num, den),
                            _ => Figure::NotEnoughData { have: 0, need: 1 },
                        };
                        let total = total.get(cur);
                        let t = ratio(c.checked_mul(valued), Some(total));
                        let annual = ratio(
                            c.checked_mul(Decimal::from(365)).and_then(|x| x.checked_mul(valued)),
                            total.checked_mul(period),
                        );
                        let doi = ratio(total.checked_mul(period), valued.checked_mul(c));
                        (t, annual, doi)
                    }
                    None => (avg.clone(), avg.clone(), avg.clone()),
                };
                Turns {
                    currency: cur,
                    cogs: c,
                    average_inventory: avg,
                    turns,
                    annualized_turns: annual,
                    days_of_inventory: doi,
                }
            })
            .collect();
        Ok(TurnsKpis { days, valued_days, by_currency })
    }
}

fn add_order_cell(c: &mut OrderCell, o: &OrderCell) -> Result<(), InsightError> {
    c.req_units.sum(o.req_units)?;
    c.req_units_on_time.sum(o.req_units_on_time)?;
    c.prom_units.sum(o.prom_units)?;
    c.prom_units_on_time.sum(o.prom_units_on_time)?;
    for (a, b) in [
        (&mut c.req_lines, o.req_lines),
        (&mut c.req_lines_filled, o.req_lines_filled),
        (&mut c.prom_lines, o.prom_lines),
        (&mut c.prom_lines_filled, o.prom_lines_filled),
        (&mut c.accurate_lines, o.accurate_lines),
        (&mut c.orders_req, o.orders_req),
        (&mut c.orders_req_filled, o.orders_req_filled),
        (&mut c.orders_prom, o.orders_prom),
        (&mut c.orders_prom_filled, o.orders_prom_filled),
        (&mut c.orders_done, o.orders_done),
        (&mut c.perfect, o.perfect),
    ] {
        *a = a.checked_add(b).ok_or(InsightError::Overflow("a count"))?;
    }
    for (a, b) in c.parts.iter_mut().zip(o.parts) {
        *a = a.checked_add(b).ok_or(InsightError::Overflow("a count"))?;
    }
    c.cycle.merge(&o.cycle);
    Ok(())
}

/// The last second of `date` (UTC).
pub(crate) fn end_of(date: NaiveDate) -> i64 {
    i64::from(day_number(date) - 719_163 + 1) * 86_400 - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_of_day() {
        let d = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        assert_eq!(end_of(d), 86_399);
        let d = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert_eq!(end_of(d), 1_767_225_600 + 86_399);
    }
}
