//! A scenario run's [`Timeline`]: after every step, the figures a reader would want to
//! see drawn, read from the network's own queries. Stock by status per item and site,
//! dated availability per item and site for the next days, the booked promises, every
//! transfer order with what is in transit on it, and the postings the step made.
//!
//! Recording is opt-in ([`run_with_timeline`](super::run_with_timeline)): a plain
//! [`run`](super::run) reads none of it. The timeline is pure data (serde), so a report
//! writer (the command line's HTML report, or a user's own) needs nothing but it and
//! the run's [`Report`](super::Report). The exception queue and the month's KPIs are
//! recorded too; fields added later read as empty from older timelines.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Days, NaiveDate, Utc};
use onhand_ledger::{DocNumber, TransferState};
use onhand_master::{CurrencyCode, EntityCode, ItemCode, Qty, Role, SiteCode, UomCode};
use onhand_status::StockStatus;
use onhand_valuation::Posting;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use onhand_control::Exception;
use onhand_insight::{Dim, Grain, Period};

use super::KpiName;
use super::run::{KpiFigure, kpi_ratio, name, ratio_text, subject_text};
use crate::error::Error;
use crate::network::Network;
use crate::orders::{OrderRef, PromiseView};
use crate::query::Availability;

/// How many days of availability each frame records, from the step's own date.
pub const ATP_DAYS: u32 = 14;

/// The demand priority the recorded availability is for (an order line's default).
pub const ATP_PRIORITY: u8 = 5;

/// The figures after every step of a run, in step order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    /// The scenario's name.
    pub name: String,
    /// When the run began.
    pub start: DateTime<Utc>,
    /// One frame per step.
    pub frames: Vec<Frame>,
}

/// The figures right after one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    /// The step, from 1.
    pub step: usize,
    /// The network's time after it.
    pub at: DateTime<Utc>,
    /// Stock per item, site and status (in-transit stock under its destination), in
    /// base units; only what is not zero.
    pub stock: Vec<StockLine>,
    /// Dated availability per item and site the run has touched so far.
    pub atp: Vec<AtpSeries>,
    /// Every booked order line's promise.
    pub promises: Vec<PromiseView>,
    /// Every transfer order line the network knows, closed ones included.
    pub transfers: Vec<TransferLine>,
    /// The postings this step made.
    pub postings: Vec<Posting>,
    /// Every exception in the network's queue after the step, active and closed, in
    /// the order they were raised.
    #[serde(default)]
    pub exceptions: Vec<ExceptionLine>,
    /// The network-wide KPIs of the month holding the step.
    #[serde(default)]
    pub kpis: Vec<KpiLine>,
}

/// One exception in the queue, as a report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionLine {
    /// Its id in the queue.
    pub id: u64,
    /// Its kind's stable code (`line_short_or_late`).
    pub kind: String,
    /// What it is about (`item BOLT-M8 site ATL`, `event of step 3`).
    pub subject: String,
    /// Its state (`open`, `resolved`, ...).
    pub state: String,
    /// The role that owns it.
    pub owner: Role,
    /// The site it is scoped to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteCode>,
    /// The value at risk.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub value: Decimal,
    /// The value's currency.
    pub currency: CurrencyCode,
}

/// One KPI of a period, as a report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KpiLine {
    /// The KPI's name, as scenario expectations write it (`unit_fill_rate`).
    pub kpi: String,
    /// The period, as the report prints it (`2026-01`).
    pub period: String,
    /// Its value: an exact ratio (`3/4 = 0.75`) or `no data`.
    pub value: String,
}

/// One item's stock at one site in one status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLine {
    /// The item.
    pub item: ItemCode,
    /// The site.
    pub site: SiteCode,
    /// The status.
    pub status: StockStatus,
    /// How much, in the item's base unit (negative only if the ledger's rules let
    /// stock go below zero).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub qty: Decimal,
    /// The item's base unit.
    pub uom: UomCode,
}

/// One item's availability at one site, day by day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtpSeries {
    /// The item.
    pub item: ItemCode,
    /// The site.
    pub site: SiteCode,
    /// The item's base unit.
    pub uom: UomCode,
    /// From the step's date, one a day, for [`ATP_DAYS`] days (fewer where the
    /// availability engine's calendar ends).
    pub days: Vec<AtpDay>,
    /// What booked order lines are promised from this site, in the base unit.
    pub promised: Vec<Promised>,
}

/// One schedule line of a booked promise, from one site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promised {
    /// The order line.
    pub line: OrderRef,
    /// When the stock must be at the site.
    pub available_on: NaiveDate,
    /// When it is delivered.
    pub delivery: NaiveDate,
    /// How much, in the item's base unit.
    pub qty: Qty,
}

/// Availability on one date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtpDay {
    /// The date.
    pub date: NaiveDate,
    /// What can be promised on it, at priority [`ATP_PRIORITY`].
    pub available: Availability<Qty>,
}

/// One line of a transfer order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferLine {
    /// The transfer order.
    pub transfer: DocNumber,
    /// The shipping site.
    pub from: SiteCode,
    /// The receiving site.
    pub to: SiteCode,
    /// The item.
    pub item: ItemCode,
    /// Where the order is in its life.
    pub state: TransferState,
    /// Requested, in base units.
    pub requested: Qty,
    /// Shipped so far.
    pub shipped: Qty,
    /// Received so far.
    pub received: Qty,
    /// Shipped and neither received nor written off.
    pub in_transit: Qty,
    /// When it was requested.
    pub requested_at: DateTime<Utc>,
    /// When it was approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<DateTime<Utc>>,
    /// When goods first shipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipped_at: Option<DateTime<Utc>>,
    /// When goods are expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_arrival: Option<DateTime<Utc>>,
    /// When the last receipt happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<DateTime<Utc>>,
    /// When it was closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
}

/// One account of one entity in the trial balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialBalanceLine {
    /// The entity.
    pub entity: EntityCode,
    /// The account.
    pub account: String,
    /// The currency.
    pub currency: onhand_master::CurrencyCode,
    /// The sum of its debits.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub debit: Decimal,
    /// The sum of its credits (a positive number).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub credit: Decimal,
}

impl TrialBalanceLine {
    /// Debits less credits.
    #[must_use]
    pub fn balance(&self) -> Decimal {
        self.debit - self.credit
    }
}

impl Timeline {
    /// Every posting of the run with the step that made it, in order.
    pub fn postings(&self) -> impl Iterator<Item = (usize, &Posting)> {
        self.frames.iter().flat_map(|f| f.postings.iter().map(move |p| (f.step, p)))
    }

    /// The trial balance at the end of the run: per entity, account and currency, the
    /// debits and credits of every posting, in code order.
    ///
    /// ```
    /// use onhand::scenario::{self, Scenario};
    /// let s: Scenario = serde_json::from_str(r#"{
    ///   "format": 1, "name": "one receipt", "start": "2026-01-05T08:00:00Z",
    ///   "network": { "builtin": "demo" },
    ///   "steps": [ { "receipt": { "site": "ATL", "item": "BOLT-M8", "qty": "240 EA",
    ///                "bin": "PF-A01", "to": "available", "unit_cost": "0.085 USD" } } ]
    /// }"#)?;
    /// let (_, timeline) = scenario::run_with_timeline(&s)?;
    /// let tb = timeline.trial_balance();
    /// let debits: rust_decimal::Decimal = tb.iter().map(|l| l.debit).sum();
    /// let credits: rust_decimal::Decimal = tb.iter().map(|l| l.credit).sum();
    /// assert_eq!(debits, credits);
    /// assert_eq!(debits.to_string(), "20.40"); // 240 x 0.085 USD
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn trial_balance(&self) -> Vec<TrialBalanceLine> {
        let mut sums: BTreeMap<(EntityCode, String, String), TrialBalanceLine> = BTreeMap::new();
        for (_, p) in self.postings() {
            let account = p.account.to_string();
            let key = (p.entity.clone(), account.clone(), p.currency.to_string());
            let line = sums.entry(key).or_insert_with(|| TrialBalanceLine {
                entity: p.entity.clone(),
                account,
                currency: p.currency,
                debit: Decimal::ZERO,
                credit: Decimal::ZERO,
            });
            if p.amount.is_sign_negative() {
                line.credit = line.credit.saturating_add(-p.amount);
            } else {
                line.debit = line.debit.saturating_add(p.amount);
            }
        }
        sums.into_values().collect()
    }
}

/// Records a [`Timeline`] as a run goes, remembering which item-sites it has seen.
///
/// A scenario run uses one ([`run_with_timeline`](super::run_with_timeline)); a host
/// that drives a [`Network`] itself (the command line's demo day, a service's replay)
/// records the same frames with [`Recorder::record`] after each call, and hands the
/// finished timeline to a report writer.
///
/// ```
/// use onhand::scenario::Recorder;
/// use onhand::{Network, NetworkConfig};
/// use onhand::ledger::{ReferenceCost, Rules, testing};
/// use onhand::master::{CurrencyCode, seed};
///
/// let mut rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
/// rules.reference_costs.insert("BOLT-M8".parse()?, ReferenceCost("0.085".parse()?));
/// let start = testing::at(-60);
/// let mut net = Network::new(seed::demo_network(), rules, NetworkConfig::default(), start)?;
/// let mut recorder = Recorder::new();
/// let receipt = testing::receipt_to(1, "ATL", "BOLT-M8", "2 CS", "PF-A01", "available")?;
/// let outcome = net.apply(&receipt)?;
/// recorder.record(&net, 1, receipt.effective_at, outcome.postings.clone())?;
/// let timeline = recorder.finish("one receipt", start);
/// assert_eq!(timeline.frames.len(), 1);
/// assert!(timeline.frames[0].stock.iter().any(|s| s.item.as_str() == "BOLT-M8"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct Recorder {
    frames: Vec<Frame>,
    touched: BTreeSet<(ItemCode, SiteCode)>,
}

impl Recorder {
    /// An empty recorder.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `net` after the host's step `step` (numbered from 1), which happened at
    /// `at` (the event's effective time, or the network's [`Network::now`]), and keeps
    /// the frame: stock, availability from `at`'s date, promises, transfers, the
    /// exception queue and the KPIs of the month holding `at`, with the `postings` the
    /// step made.
    ///
    /// # Errors
    /// A figure the network cannot read back (a defect of the network, never of the
    /// caller's data).
    pub fn record(
        &mut self,
        net: &Network,
        step: usize,
        at: DateTime<Utc>,
        postings: Vec<Posting>,
    ) -> Result<(), Error> {
        let queue = (queue_lines(net, |e| subject_text(e, &[])), month_kpis(net, at));
        self.record_frame(net, step, at, postings, queue)
    }

    /// Reads the network after step `step` and keeps the frame, with the queue and KPI
    /// lines the caller made.
    pub(super) fn record_frame(
        &mut self,
        net: &Network,
        step: usize,
        at: DateTime<Utc>,
        postings: Vec<Posting>,
        (exceptions, kpis): (Vec<ExceptionLine>, Vec<KpiLine>),
    ) -> Result<(), Error> {
        let stock = stock(net);
        let promises: Vec<PromiseView> =
            net.order_lines().iter().map(|r| net.booked(r)).collect::<Result<_, _>>()?;
        let transfers = transfers(net)?;
        for s in &stock {
            self.touched.insert((s.item.clone(), s.site.clone()));
        }
        for p in &promises {
            for s in &p.schedule {
                self.touched.insert((s.item.clone(), s.site.clone()));
            }
        }
        for t in &transfers {
            self.touched.insert((t.item.clone(), t.from.clone()));
            self.touched.insert((t.item.clone(), t.to.clone()));
        }
        for r in net.expected_receipts() {
            self.touched.insert((r.expected.item.clone(), r.expected.site.clone()));
        }
        let today = at.date_naive();
        let mut atp = Vec::with_capacity(self.touched.len());
        for (item, site) in &self.touched {
            let Some(uom) = net
                .catalog()
                .item_ix(item)
                .and_then(|ix| net.catalog().profile(ix))
                .map(|p| p.base_uom)
            else {
                continue;
            };
            let mut days = Vec::with_capacity(ATP_DAYS as usize);
            for d in 0..ATP_DAYS {
                let Some(date) = today.checked_add_days(Days::new(u64::from(d))) else { break };
                // A date past the engine's calendar ends the series; nothing else fails
                // for an item and site the network itself reported.
                let Ok(available) = net.available(item, site, date, ATP_PRIORITY) else { break };
                days.push(AtpDay { date, available });
            }
            let mut scheduled = Vec::new();
            for p in &promises {
                for l in p.schedule.iter().filter(|l| l.item == *item && l.site == *site) {
                    scheduled.push(Promised {
                        line: p.line.clone(),
                        available_on: l.available_on,
                        delivery: l.delivery,
                        qty: base(net, item, l.qty)?,
                    });
                }
            }
            atp.push(AtpSeries {
                item: item.clone(),
                site: site.clone(),
                uom,
                days,
                promised: scheduled,
            });
        }
        self.frames.push(Frame {
            step,
            at,
            stock,
            atp,
            promises,
            transfers,
            postings,
            exceptions,
            kpis,
        });
        Ok(())
    }

    /// The timeline recorded, named `name`, for a run that began at `start`.
    #[must_use]
    pub fn finish(self, name: &str, start: DateTime<Utc>) -> Timeline {
        Timeline { name: name.to_owned(), start, frames: self.frames }
    }
}

/// The network's exception queue as a report lists it, each subject written by
/// `subject`.
pub(super) fn queue_lines(
    net: &Network,
    subject: impl Fn(&Exception) -> String,
) -> Vec<ExceptionLine> {
    net.control()
        .exceptions()
        .map(|e| ExceptionLine {
            id: e.id.0,
            kind: e.kind.code().to_owned(),
            subject: subject(e),
            state: name(&e.state),
            owner: e.owner,
            site: e.site.clone(),
            value: e.impact.value,
            currency: e.impact.currency,
        })
        .collect()
}

/// The network-wide KPIs of the month holding `now` (none when insight is off).
pub(super) fn month_kpis(net: &Network, now: DateTime<Utc>) -> Vec<KpiLine> {
    let period = Period::containing(Grain::Month, now.date_naive());
    let Ok(report) = net.kpi_report(period) else { return Vec::new() };
    KpiName::ALL
        .iter()
        .map(|k| KpiLine {
            kpi: name(k),
            period: period.to_string(),
            value: match kpi_ratio(&report, *k, &Dim::Network) {
                KpiFigure::NoData => "no data".to_owned(),
                KpiFigure::NotReported => "not reported".to_owned(),
                KpiFigure::Ratio(r) => ratio_text(&r),
            },
        })
        .collect()
}

/// `qty` of `item` in its base unit.
fn base(net: &Network, item: &ItemCode, qty: Qty) -> Result<Qty, Error> {
    let units = net
        .catalog()
        .item_ix(item)
        .and_then(|ix| net.catalog().item_units(ix))
        .ok_or_else(|| Error::Config { what: format!("unknown item {item}") })?;
    Ok(units.to_base(qty)?)
}

fn stock(net: &Network) -> Vec<StockLine> {
    let ledger = net.ledger();
    let mut sums: BTreeMap<(ItemCode, SiteCode, StockStatus), (Decimal, UomCode)> = BTreeMap::new();
    for (key, qty) in ledger.positions() {
        let v = ledger.describe(&key);
        let e = sums.entry((v.item, v.site, v.status)).or_insert((Decimal::ZERO, v.uom));
        e.0 = e.0.saturating_add(qty);
    }
    sums.into_iter()
        .filter(|(_, (q, _))| !q.is_zero())
        .map(|((item, site, status), (qty, uom))| StockLine { item, site, status, qty, uom })
        .collect()
}

fn transfers(net: &Network) -> Result<Vec<TransferLine>, Error> {
    let mut out = Vec::new();
    for t in net.ledger().transfers() {
        let from = net.site_code(t.from)?;
        let to = net.site_code(t.to)?;
        for l in &t.lines {
            out.push(TransferLine {
                transfer: t.number.clone(),
                from: from.clone(),
                to: to.clone(),
                item: net.item_code(l.item)?,
                state: t.state,
                requested: net.base_qty(l.item, l.requested)?,
                shipped: net.base_qty(l.item, l.shipped)?,
                received: net.base_qty(l.item, l.received)?,
                in_transit: net.base_qty(l.item, l.outstanding())?,
                requested_at: t.requested_at,
                approved_at: t.approved_at,
                shipped_at: t.shipped_at,
                expected_arrival: t.expected_arrival,
                received_at: t.received_at,
                closed_at: t.closed_at,
            });
        }
    }
    out.sort_by(|a, b| (&a.transfer, &a.item).cmp(&(&b.transfer, &b.item)));
    Ok(out)
}
