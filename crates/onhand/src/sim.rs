//! A seeded simulation of realistic days on a whole network, checking after every step
//! that the engines still agree.
//!
//! A [`Sim`] owns a [`Network`] and plays days on it. Each day it moves time forward,
//! closes the period every third day, runs a number of steps drawn by a [`Mix`] of
//! [`StepKind`]s, re-processes backorders, and (every fifth day) consolidates. Steps are
//! generated from the network's own state, so they are plausible: purchase orders are
//! created ahead and received (in full, short, over, late, costed by the line or by the
//! order's price, some without any order at all), put away from the bins that hold the
//! received stock, orders are promised, reserved softly (and expire) or allocated hard
//! (mostly by a customer a site with the item on hand delivers to, for no more than the
//! site holds, wanted no sooner than the site's delivery lane brings it), picked (the
//! line due first among a few dozen drawn, mostly in full) from bins that hold available
//! stock against their allocations (the lines carry the sales order and its line, so
//! the allocation is used up) and shipped;
//! transfers are requested within and across entities, approved by a second planner,
//! shipped and received (short, over, damaged) and closed; counts find variances (some
//! beyond tolerance, some large enough to need a supervisor); stock is held and released
//! (a release by the warehouse waits for the quality role, which approves or rejects
//! it); customers return goods against their shipments; back-dated events land inside
//! the open period; and a share of steps is deliberately invalid (over-picks, unknown
//! bins, returns against a shipment of another item, receipts no one can cost, a
//! planner approving their own transfer, a reason the rules refuse) and must be refused
//! with nothing changed. A refused event leaves its id unused everywhere, so now and
//! then a later event is submitted under the id of one refused before, and must be
//! judged as if the id were fresh ([`Stats::reused_ids`]).
//!
//! Serial-tracked items are left out: every serial-numbered unit would need its own
//! identity threaded through picks, transfers and returns, and the ledger's own
//! state-machine tests cover serials.
//!
//! ## What is checked
//!
//! With [`Checks::Steps`] or [`Checks::Full`], after every step:
//! - a step the generator knows to be valid is not refused, and an invalid one is;
//! - a refused step changes nothing: the network's [`digest`](Network::digest) and
//!   journal head are what they were ([`Checks::Full`] compares the digest for every
//!   step, [`Checks::Steps`] for the invalid ones), and a re-submitted event is a
//!   duplicate that changes nothing either;
//! - no engine diverged;
//! - every outcome's postings balance per entity and currency;
//! - the cross-engine invariants of [`Network::check`] hold (availability equals the
//!   ledger, the books equal the ledger at sites and in transit, bookings are sane);
//! - intercompany receivables equal payables: every difference the reconciliation
//!   reports is a shipment still in transit (a timing difference that clears when the
//!   buyer books the receipt).
//!
//! With [`Checks::Full`], at the end of every day:
//! - the position changes the outcomes reported, summed, equal the ledger's positions
//!   (per item, site and status), so outcomes tell the whole truth;
//! - replaying the journal from empty gives the same digest;
//! - the network's [`snapshot`](Network::snapshot), through JSON and
//!   [`restore`](Network::restore)d, gives the same [`digest`](Network::digest)
//!   (exception queue included) and keeps every invariant of [`Network::check`];
//! - yesterday's end-of-day snapshot, restored and brought forward with the day's
//!   journal tail ([`Network::replay_onto`]), gives the same digest.
//!
//! Every step's result is serialized into a trace; the same setup and seed give
//! byte-identical traces ([`Sim::trace_digest`], [`Sim::records`]). A failure is a
//! [`Failure`] naming the seed, the day and the step: days run in order, so the first
//! failing day is the shortest failing prefix.
//!
//! ```
//! use onhand::sim::{Checks, Setup, Sim, SimConfig};
//! let mut sim = Sim::new(Setup::demo()?, SimConfig::new(7).steps_per_day(20))?;
//! sim.run(2)?;
//! assert!(sim.stats().accepted > 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use onhand_ledger::{
    Actor, ActorId, Body, Count, CountLine, DocKind, DocNumber, DocumentRef, Event, EventId, Line,
    ReasonCode, ReferenceCost, Rules, SiteLines, SiteScope, TransferLine, TransferRequest,
    TransferState,
};
use onhand_master::{
    BinCode, CurrencyCode, CustomerCode, EntityCode, ItemCode, ItemIx, LotCode, MasterData, Money,
    Qty, Role, SiteCode, SiteIx, Tracking, UomCode, ZoneKind,
};
use onhand_replenish::DemandStats;
use onhand_status::StockStatus;
use onhand_valuation::{Agreement, Mismatch, PriceRule, Rate, TitlePoint, ValuationConfig};
use rust_decimal::Decimal;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::config::{ItemSitePlan, NetworkConfig};
use crate::error::Error;
use crate::network::Network;
use crate::orders::{OrderRef, OrderRequest};
use crate::outcome::{Decision, Outcome};
use crate::purchasing::{ExpectedReceipt, ReceiptChange};

// ---------------------------------------------------------------------------------------
// The random source.

/// `SplitMix64`: a small, fast, seedable generator (Steele, Lea and Flood, 2014) whose
/// sequence is fixed by its seed on every platform. Not for cryptography.
///
/// ```
/// use onhand::sim::SplitMix64;
/// let mut a = SplitMix64::new(0);
/// assert_eq!(a.next_u64(), 0xe220_a839_7b1d_cdaf);
/// assert!(a.below(10) < 10);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator seeded with `seed`.
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0), by multiply-shift.
    pub fn below(&mut self, n: u64) -> u64 {
        let wide = u128::from(self.next_u64()) * u128::from(n);
        u64::try_from(wide >> 64).unwrap_or(0)
    }

    /// A number in `lo..=hi` (`lo` when `hi < lo`).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo { lo } else { lo + self.below(hi - lo + 1) }
    }

    /// True `percent` times in a hundred.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// An index into a slice of `len` elements (0 when empty).
    pub fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.below(len as u64)).unwrap_or(0)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        let i = self.index(items.len());
        items.get(i)
    }
}

// ---------------------------------------------------------------------------------------
// Step kinds and their mix.

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Create an expected receipt (a purchase order line) due in the coming days.
    Purchase,
    /// Change an open purchase order line's quantity or due date.
    ChangePurchase,
    /// Cancel what is open of a purchase order line.
    CancelPurchase,
    /// Receive against a purchase order (in full, short or over), or without one.
    Receive,
    /// Put received stock away to storage.
    Putaway,
    /// Promise, reserve softly or allocate hard a customer order line.
    Order,
    /// Turn a soft reservation into an allocation.
    MakeHard,
    /// Release or reduce a booked order line.
    ReleaseOrder,
    /// Pick a booked line's allocation to staging.
    Pick,
    /// Ship what was picked.
    Ship,
    /// Request a transfer, within an entity or across entities.
    TransferRequest,
    /// Approve a requested transfer (a second planner).
    TransferApprove,
    /// Ship an approved transfer.
    TransferShip,
    /// Receive a transfer (in full, short, over or partly damaged).
    TransferReceive,
    /// Close a transfer.
    TransferClose,
    /// Count a bin (exact, within tolerance, beyond it, or far enough to need approval).
    Count,
    /// Put available stock on quality hold or block it.
    Hold,
    /// Release stock from quality hold (by quality, or by the warehouse: pending).
    ReleaseHold,
    /// A customer return against a shipment (or without one, costed).
    Return,
    /// Inspect returned stock: back to stock, damaged or scrapped.
    Disposition,
    /// A found-stock gain or a loss (large losses need a supervisor).
    Adjust,
    /// Scrap damaged stock, or dispose of scrapped stock.
    Scrap,
    /// Approve or reject a pending event, as a second actor with the needed role.
    Approve,
    /// An event effective hours ago, inside the open period.
    BackDated,
    /// Re-process backorders.
    Reprocess,
    /// Re-submit an event already applied: a duplicate that changes nothing.
    Duplicate,
    /// A step that must be refused with nothing changed.
    Invalid,
    /// Reverse a recent receipt, adjustment or scrap (refused, with nothing changed,
    /// when the stock or the books moved on).
    Reverse,
    /// Return part of a recent purchase receipt's goods to the supplier.
    SupplierReturn,
}

impl StepKind {
    /// Every kind, in declaration order.
    pub const ALL: [StepKind; 29] = [
        StepKind::Purchase,
        StepKind::ChangePurchase,
        StepKind::CancelPurchase,
        StepKind::Receive,
        StepKind::Putaway,
        StepKind::Order,
        StepKind::MakeHard,
        StepKind::ReleaseOrder,
        StepKind::Pick,
        StepKind::Ship,
        StepKind::TransferRequest,
        StepKind::TransferApprove,
        StepKind::TransferShip,
        StepKind::TransferReceive,
        StepKind::TransferClose,
        StepKind::Count,
        StepKind::Hold,
        StepKind::ReleaseHold,
        StepKind::Return,
        StepKind::Disposition,
        StepKind::Adjust,
        StepKind::Scrap,
        StepKind::Approve,
        StepKind::BackDated,
        StepKind::Reprocess,
        StepKind::Duplicate,
        StepKind::Invalid,
        StepKind::Reverse,
        StepKind::SupplierReturn,
    ];

    /// The stable name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Purchase => "purchase",
            StepKind::ChangePurchase => "change_purchase",
            StepKind::CancelPurchase => "cancel_purchase",
            StepKind::Receive => "receive",
            StepKind::Putaway => "putaway",
            StepKind::Order => "order",
            StepKind::MakeHard => "make_hard",
            StepKind::ReleaseOrder => "release_order",
            StepKind::Pick => "pick",
            StepKind::Ship => "ship",
            StepKind::TransferRequest => "transfer_request",
            StepKind::TransferApprove => "transfer_approve",
            StepKind::TransferShip => "transfer_ship",
            StepKind::TransferReceive => "transfer_receive",
            StepKind::TransferClose => "transfer_close",
            StepKind::Count => "count",
            StepKind::Hold => "hold",
            StepKind::ReleaseHold => "release_hold",
            StepKind::Return => "return",
            StepKind::Disposition => "disposition",
            StepKind::Adjust => "adjust",
            StepKind::Scrap => "scrap",
            StepKind::Approve => "approve",
            StepKind::BackDated => "back_dated",
            StepKind::Reprocess => "reprocess",
            StepKind::Duplicate => "duplicate",
            StepKind::Invalid => "invalid",
            StepKind::Reverse => "reverse",
            StepKind::SupplierReturn => "supplier_return",
        }
    }

    fn position(self) -> usize {
        StepKind::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }
}

impl fmt::Display for StepKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How often each [`StepKind`] is drawn: a weight per kind (a kind of weight 0 is never
/// drawn; a kind with nothing to act on falls back to receiving or purchasing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mix {
    weights: [u32; StepKind::ALL.len()],
}

impl Default for Mix {
    fn default() -> Self {
        Mix::realistic()
    }
}

impl Mix {
    /// A distributor's day: mostly receiving, picking and shipping, with transfers,
    /// counts, holds, returns, approvals and a few mistakes.
    #[must_use]
    pub fn realistic() -> Self {
        let mut m = Mix { weights: [0; StepKind::ALL.len()] };
        for (kind, w) in [
            (StepKind::Purchase, 8),
            (StepKind::ChangePurchase, 2),
            (StepKind::CancelPurchase, 1),
            (StepKind::Receive, 10),
            (StepKind::Putaway, 8),
            (StepKind::Order, 12),
            (StepKind::MakeHard, 2),
            (StepKind::ReleaseOrder, 2),
            (StepKind::Pick, 12),
            (StepKind::Ship, 12),
            (StepKind::TransferRequest, 3),
            (StepKind::TransferApprove, 3),
            (StepKind::TransferShip, 3),
            (StepKind::TransferReceive, 3),
            (StepKind::TransferClose, 2),
            (StepKind::Count, 4),
            (StepKind::Hold, 2),
            (StepKind::ReleaseHold, 3),
            (StepKind::Return, 2),
            (StepKind::Disposition, 2),
            (StepKind::Adjust, 2),
            (StepKind::Scrap, 1),
            (StepKind::Approve, 3),
            (StepKind::BackDated, 2),
            (StepKind::Reprocess, 1),
            (StepKind::Duplicate, 1),
            (StepKind::Invalid, 3),
            (StepKind::Reverse, 1),
            (StepKind::SupplierReturn, 1),
        ] {
            m.weights[kind.position()] = w;
        }
        m
    }

    /// A mix from bytes (a fuzzer's input): one weight per kind, in [`StepKind::ALL`]
    /// order, from each byte's value; missing bytes weigh 1. All zero is the realistic
    /// mix.
    #[must_use]
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let mut m = Mix { weights: [1; StepKind::ALL.len()] };
        for (w, b) in m.weights.iter_mut().zip(bytes) {
            *w = u32::from(*b);
        }
        if m.weights.iter().all(|w| *w == 0) { Mix::realistic() } else { m }
    }

    /// The same mix with `kind` weighing `weight`.
    #[must_use]
    pub fn with(mut self, kind: StepKind, weight: u32) -> Self {
        self.weights[kind.position()] = weight;
        self
    }

    /// The weight of `kind`.
    #[must_use]
    pub fn weight(&self, kind: StepKind) -> u32 {
        self.weights[kind.position()]
    }

    fn draw(&self, rng: &mut SplitMix64) -> StepKind {
        let total: u64 = self.weights.iter().map(|w| u64::from(*w)).sum();
        let mut x = rng.below(total.max(1));
        for (kind, w) in StepKind::ALL.iter().zip(self.weights) {
            if x < u64::from(w) {
                return *kind;
            }
            x -= u64::from(w);
        }
        StepKind::Receive
    }
}

// ---------------------------------------------------------------------------------------
// Configuration.

/// How much the simulation checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Checks {
    /// Nothing beyond the network's own refusals (for throughput).
    None,
    /// After every step (see the module docs); digests only around invalid steps.
    Steps,
    /// After every step with a digest around each, and at the end of every day replay
    /// from empty, snapshot and restore, yesterday's snapshot plus the day's journal tail,
    /// and the outcomes' positions.
    #[default]
    Full,
}

/// A simulation's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// The seed: the same seed on the same setup gives the same run.
    pub seed: u64,
    /// Steps per day (besides the day's fixed steps: moving time, closing the period,
    /// re-processing backorders, consolidating).
    pub steps_per_day: u32,
    /// How often each kind of step is drawn.
    pub mix: Mix,
    /// What is checked.
    pub checks: Checks,
}

impl SimConfig {
    /// 60 steps a day of the realistic mix, fully checked.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        SimConfig { seed, steps_per_day: 60, mix: Mix::realistic(), checks: Checks::Full }
    }

    /// The same with `n` steps a day.
    #[must_use]
    pub fn steps_per_day(mut self, n: u32) -> Self {
        self.steps_per_day = n;
        self
    }

    /// The same with another mix.
    #[must_use]
    pub fn mix(mut self, mix: Mix) -> Self {
        self.mix = mix;
        self
    }

    /// The same with other checks.
    #[must_use]
    pub fn checks(mut self, checks: Checks) -> Self {
        self.checks = checks;
        self
    }
}

/// A network to simulate: master data, rules, configuration, start time, and what the
/// simulated suppliers charge.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The master data.
    pub master: MasterData,
    /// The ledger's rules.
    pub rules: Rules,
    /// The other engines' configuration.
    pub config: NetworkConfig,
    /// The network's start (the first day starts here).
    pub start: DateTime<Utc>,
    /// Purchase price per base unit, in [`Setup::currency`], of each item the simulation
    /// buys (items missing here are not simulated).
    pub prices: BTreeMap<ItemCode, Decimal>,
    /// The currency of purchase prices and of the group's consolidation.
    pub currency: CurrencyCode,
}

fn config_error(what: impl Into<String>) -> Error {
    Error::Config { what: what.into() }
}

fn currency(code: &str) -> Result<CurrencyCode, Error> {
    Ok(CurrencyCode::new(code)?)
}

fn usd_cad_rates() -> Result<Vec<Rate>, Error> {
    let (usd, cad) = (currency("USD")?, currency("CAD")?);
    let rate = Decimal::new(136, 2);
    Ok(vec![
        Rate { from: usd, to: cad, rate },
        Rate { from: cad, to: usd, rate: Decimal::ONE / rate },
    ])
}

impl Setup {
    /// The demo network ([`onhand_master::seed::demo_network`]) under the standard rules
    /// in USD: `NA01` sells to `CA01` at cost plus 10% with title at shipment, USD/CAD at
    /// 1.36, and the regional DCs watch their A items against reorder points. Every item
    /// has a reference cost (see [`without_reference_cost`](Setup::without_reference_cost)
    /// for one that has none).
    ///
    /// # Errors
    /// Never in practice: the parts are literals (a failure is a defect).
    pub fn demo() -> Result<Self, Error> {
        let master = onhand_master::seed::demo_network();
        let usd = currency("USD")?;
        let mut rules = Rules::standard(usd).trusting_event_actors();
        let mut prices = BTreeMap::new();
        // The demo's purchase prices, in USD: the seed data's one list.
        for (code, price) in onhand_master::seed::purchase_prices() {
            if price.currency() != usd {
                return Err(config_error(format!("the price of {code} is not in USD")));
            }
            rules.reference_costs.insert(code.clone(), ReferenceCost(price.amount()));
            prices.insert(code, price.amount());
        }
        let mut item_sites = Vec::new();
        for site in onhand_master::seed::REGIONAL_DCS {
            for item in ["BOLT-M8", "NUT-M8", "GLOVE-NIT"] {
                item_sites.push(ItemSitePlan {
                    item: ItemCode::new(item)?,
                    site: SiteCode::new(site)?,
                    demand: DemandStats::daily(120.0, 40.0),
                    costs: None,
                    priority_demand: Decimal::ZERO,
                });
            }
        }
        let config = NetworkConfig {
            valuation: ValuationConfig {
                agreements: vec![Agreement {
                    seller: EntityCode::new("NA01")?,
                    buyer: EntityCode::new("CA01")?,
                    price: PriceRule::CostPlus { markup: Decimal::new(10, 2) },
                    currency: usd,
                    title: TitlePoint::Shipment,
                }],
                ..ValuationConfig::default()
            },
            rates: usd_cad_rates()?,
            replenish: crate::config::ReplenishSettings { item_sites },
            ..NetworkConfig::default()
        };
        Ok(Setup { master, rules, config, start: demo_start(), prices, currency: usd })
    }

    /// A synthetic network of `items` items at `sites` warehouses
    /// ([`onhand_master::synthetic::warehouses`]): `E1` (USD) and `E2` (CAD) sell to
    /// each other at cost plus 5%, `E1` with title at shipment and `E2` at receipt;
    /// purchase prices run from 0.25 to 12.50 and are the items' reference costs.
    ///
    /// # Errors
    /// [`Error::Config`] for zero items or sites, or more than the synthetic codes hold
    /// (999 sites, 9,999,999 items).
    pub fn synthetic(items: usize, sites: usize) -> Result<Self, Error> {
        if items == 0 || sites == 0 || sites > 999 || items > 9_999_999 {
            return Err(config_error(format!(
                "a synthetic network needs 1 to 9,999,999 items and 1 to 999 sites, not {items} x {sites}"
            )));
        }
        let master = onhand_master::synthetic::warehouses(items, sites);
        let usd = currency("USD")?;
        let mut rules = Rules::standard(usd).trusting_event_actors();
        let mut prices = BTreeMap::new();
        for (i, item) in master.items.iter().enumerate() {
            let step = i64::try_from(i % 50).unwrap_or(0);
            let price = Decimal::new(25 + 25 * step, 2);
            rules.reference_costs.insert(item.code.clone(), ReferenceCost(price));
            prices.insert(item.code.clone(), price);
        }
        let (e1, e2) = (EntityCode::new("E1")?, EntityCode::new("E2")?);
        let markup = PriceRule::CostPlus { markup: Decimal::new(5, 2) };
        let config = NetworkConfig {
            valuation: ValuationConfig {
                agreements: vec![
                    Agreement {
                        seller: e1.clone(),
                        buyer: e2.clone(),
                        price: markup.clone(),
                        currency: usd,
                        title: TitlePoint::Shipment,
                    },
                    Agreement {
                        seller: e2,
                        buyer: e1,
                        price: markup,
                        currency: usd,
                        title: TitlePoint::Receipt,
                    },
                ],
                ..ValuationConfig::default()
            },
            rates: usd_cad_rates()?,
            ..NetworkConfig::default()
        };
        Ok(Setup { master, rules, config, start: demo_start(), prices, currency: usd })
    }

    /// The same setup with no reference cost for `item` (a new item whose standard cost
    /// is not set yet): its receipts must carry a price (the simulation then also tries
    /// receipts without one, which must be refused), and a gain of it is valued at the
    /// pool's cost.
    ///
    /// With such an item the simulation finds an open defect: a gain of it at an entity
    /// holding none makes the network diverge (see the facade's
    /// `a_gain_of_an_item_without_any_cost_is_refused_before_the_ledger_decides` test).
    #[must_use]
    pub fn without_reference_cost(mut self, item: &ItemCode) -> Self {
        self.rules.reference_costs.remove(item);
        self
    }
}

/// Monday 5 January 2026, 06:00 UTC.
fn demo_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 6, 0, 0).single().unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// Results.

/// A check that failed, with where: the seed, the day (from 0) and the step within it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "simulation seed {seed} failed on day {day}, step {step} ({kind}: {what}): {problem} \
     [shortest failing prefix: days 0 to {day}; re-run the seed for {} day(s)]",
    .day + 1
)]
pub struct Failure {
    /// The seed.
    pub seed: u64,
    /// The day, from 0.
    pub day: u32,
    /// The step within the day, from 0 (the day's fixed steps count too).
    pub step: u32,
    /// The kind of step (`day` for the day's fixed steps and end-of-day checks).
    pub kind: String,
    /// What the step did.
    pub what: String,
    /// What went wrong.
    pub problem: String,
}

/// What a simulation did so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Steps run (the day's fixed steps included).
    pub steps: u64,
    /// Inventory events submitted.
    pub events: u64,
    /// Steps accepted.
    pub accepted: u64,
    /// Events held for approval.
    pub pending: u64,
    /// Events recognised as duplicates.
    pub duplicates: u64,
    /// Steps refused (the invalid ones among them).
    pub refused: u64,
    /// Deliberately invalid steps, all refused.
    pub invalid: u64,
    /// Events accepted (or held) under the id of an event refused earlier: a refused
    /// event leaves its id unused, in every engine.
    pub reused_ids: u64,
    /// Signals raised by events.
    pub signals: u64,
    /// Steps per kind.
    pub by_kind: BTreeMap<StepKind, u64>,
    /// Refusals per error code.
    pub refusals: BTreeMap<&'static str, u64>,
    /// Kinds drawn with nothing to act on (a receipt or purchase ran instead).
    pub idle: BTreeMap<StepKind, u64>,
}

// ---------------------------------------------------------------------------------------
// Steps.

/// What the generator expects of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Accepted or held for approval.
    Valid,
    /// Refused.
    Invalid,
    /// A re-submitted event: a duplicate.
    Duplicate,
    /// Either (a back-dated removal may meet a later balance it would break).
    Either,
}

#[derive(Debug, Clone)]
enum Action {
    Event(Box<Event>),
    Expect(ExpectedReceipt),
    Change(ReceiptChange),
    Cancel(DocNumber, u32),
    Promise(OrderRequest),
    Reserve(OrderRequest, DateTime<Utc>),
    Allocate(OrderRequest),
    MakeHard(OrderRef),
    Release(OrderRef),
    Reduce(OrderRef, Qty),
    Reprocess(onhand_atp::Sharing),
    Advance(DateTime<Utc>),
    Consolidate(u64),
}

#[derive(Debug, Clone)]
struct Step {
    kind: Option<StepKind>,
    what: String,
    action: Action,
    expect: Expect,
}

impl Step {
    fn new(kind: StepKind, what: impl Into<String>, action: Action, expect: Expect) -> Self {
        Step { kind: Some(kind), what: what.into(), action, expect }
    }

    fn fixed(what: impl Into<String>, action: Action) -> Self {
        Step { kind: None, what: what.into(), action, expect: Expect::Valid }
    }

    /// A step applying `event`, expected as `expect`.
    fn event(kind: StepKind, what: impl Into<String>, event: Event, expect: Expect) -> Self {
        Step::new(kind, what, Action::Event(Box::new(event)), expect)
    }
}

// ---------------------------------------------------------------------------------------
// What the simulation knows about the network (fixed) and has done (moving).

#[derive(Debug, Clone)]
struct ItemW {
    code: ItemCode,
    ix: ItemIx,
    uom: UomCode,
    lot: bool,
    /// The first packaging unit and its base units.
    case: Option<(UomCode, Decimal)>,
    /// Purchase price per base unit.
    price: Decimal,
    /// Whether the rules give it a reference cost.
    costed: bool,
}

#[derive(Debug, Clone)]
struct SiteW {
    code: SiteCode,
    ix: SiteIx,
    entity: EntityCode,
    receiving: Vec<BinCode>,
    storage: Vec<BinCode>,
    quality: Vec<BinCode>,
    staging: Vec<BinCode>,
    returns: Vec<BinCode>,
}

#[derive(Debug, Clone)]
struct World {
    items: Vec<ItemW>,
    sites: Vec<SiteW>,
    /// By catalog handle.
    item_at: BTreeMap<ItemIx, usize>,
    site_at: BTreeMap<SiteIx, usize>,
    /// Item-sites the simulation stocks: (item, site).
    stocked: Vec<(usize, usize)>,
    customers: Vec<CustomerCode>,
    /// Per site, the customers (indexes into `customers`) whose region a delivery lane
    /// from the site serves, with the lane's transit days: who can be promised its stock,
    /// and how soon.
    serves: Vec<Vec<(usize, u32)>>,
    /// Transfer routes: (from, to), within an entity or with an agreement.
    routes: Vec<(usize, usize)>,
    suppliers: Vec<onhand_master::SupplierCode>,
    group: EntityCode,
}

fn pick_bin<'a>(rng: &mut SplitMix64, a: &'a [BinCode], b: &'a [BinCode]) -> Option<BinCode> {
    rng.pick(a).or_else(|| rng.pick(b)).cloned()
}

impl World {
    #[allow(clippy::too_many_lines)] // one pass over items, sites, stocked pairs and routes
    fn new(setup: &Setup, network: &Network) -> Result<Self, Error> {
        let catalog = network.catalog();
        let mut items = Vec::new();
        let mut item_at = BTreeMap::new();
        for (ix, item) in catalog.items() {
            let Some(price) = setup.prices.get(&item.code) else { continue };
            if item.tracking == Tracking::Serial {
                continue; // see the module docs
            }
            let case = item
                .units
                .iter()
                .find(|u| u.unit != item.base_uom && u.per == item.base_uom)
                .map(|u| (u.unit, u.factor));
            item_at.insert(ix, items.len());
            items.push(ItemW {
                code: item.code.clone(),
                ix,
                uom: item.base_uom,
                lot: item.tracking == Tracking::Lot,
                case,
                price: *price,
                costed: setup.rules.reference_costs.contains_key(&item.code),
            });
        }
        let mut sites = Vec::new();
        let mut site_at = BTreeMap::new();
        for (ix, site) in catalog.sites() {
            let Some(entity) = site.entity.clone() else { continue };
            let kind_of = |zone: &onhand_master::ZoneCode| {
                site.zones.iter().find(|z| z.code == *zone).map(|z| z.kind)
            };
            let bins = |kinds: &[ZoneKind]| -> Vec<BinCode> {
                site.bins
                    .iter()
                    .filter(|b| kind_of(&b.zone).is_some_and(|k| kinds.contains(&k)))
                    .map(|b| b.code.clone())
                    .collect()
            };
            let w = SiteW {
                code: site.code.clone(),
                ix,
                entity,
                receiving: bins(&[ZoneKind::Receiving]),
                storage: bins(&[ZoneKind::PickFace, ZoneKind::Bulk]),
                quality: bins(&[ZoneKind::Quality]),
                staging: bins(&[ZoneKind::Staging]),
                returns: bins(&[ZoneKind::Returns]),
            };
            // A site with bins but nowhere to store (a cross-dock) keeps no stock here.
            if !site.bins.is_empty() && (w.storage.is_empty() || w.staging.is_empty()) {
                continue;
            }
            site_at.insert(ix, sites.len());
            sites.push(w);
        }
        let mut stocked = Vec::new();
        for (i, it) in items.iter().enumerate() {
            for (s, st) in sites.iter().enumerate() {
                let stocks = catalog.policy(it.ix, st.ix).is_some_and(|p| p.stocked);
                if stocks {
                    stocked.push((i, s));
                }
            }
        }
        if stocked.is_empty() {
            return Err(config_error("the simulation found no stocked item-site to simulate"));
        }
        let agreements: BTreeSet<(EntityCode, EntityCode)> = setup
            .config
            .valuation
            .agreements
            .iter()
            .map(|a| (a.seller.clone(), a.buyer.clone()))
            .collect();
        let mut routes = Vec::new();
        for (a, from) in sites.iter().enumerate() {
            for (b, to) in sites.iter().enumerate() {
                if a != b
                    && (from.entity == to.entity
                        || agreements.contains(&(from.entity.clone(), to.entity.clone())))
                {
                    routes.push((a, b));
                }
            }
        }
        let data = catalog.data();
        let group = data
            .entities
            .first()
            .map(|e| e.code.clone())
            .ok_or_else(|| config_error("no legal entity"))?;
        let serves = sites
            .iter()
            .map(|st| {
                data.customers
                    .iter()
                    .enumerate()
                    .filter_map(|(c, customer)| {
                        data.delivery_lanes
                            .iter()
                            .find(|l| l.site == st.code && l.region == customer.region)
                            .map(|l| (c, l.transit_days))
                    })
                    .collect()
            })
            .collect();
        Ok(World {
            items,
            sites,
            item_at,
            site_at,
            stocked,
            customers: data.customers.iter().map(|c| c.code.clone()).collect(),
            serves,
            routes,
            suppliers: data.suppliers.iter().map(|s| s.code.clone()).collect(),
            group,
        })
    }
}

/// A set with random access: a vector plus an index, so adding, removing and drawing are
/// cheap and the order is fixed by the history (never by hashing).
#[derive(Debug, Clone, Default)]
struct KeySet<K: Ord + Clone> {
    list: Vec<K>,
    at: BTreeMap<K, usize>,
}

impl<K: Ord + Clone> KeySet<K> {
    fn insert(&mut self, k: K) {
        if !self.at.contains_key(&k) {
            self.at.insert(k.clone(), self.list.len());
            self.list.push(k);
        }
    }

    fn remove(&mut self, k: &K) {
        let Some(i) = self.at.remove(k) else { return };
        self.list.swap_remove(i);
        if let Some(moved) = self.list.get(i) {
            self.at.insert(moved.clone(), i);
        }
    }

    fn draw(&self, rng: &mut SplitMix64) -> Option<K> {
        rng.pick(&self.list).cloned()
    }
}

#[derive(Debug, Clone)]
struct PickRec {
    /// The pick event.
    event: EventId,
    line: OrderRef,
    site: usize,
    item: usize,
    bin: Option<BinCode>,
    lot: Option<LotCode>,
    owner: EntityCode,
    qty: Decimal,
}

#[derive(Debug, Clone)]
struct ShipRec {
    event: EventId,
    site: usize,
    item: usize,
    lot: Option<LotCode>,
    qty: Decimal,
}

/// Stock of one item at one site in one status, in one bin, lot and owner.
#[derive(Debug, Clone)]
struct Held {
    bin: Option<BinCode>,
    lot: Option<LotCode>,
    owner: EntityCode,
    qty: Decimal,
}

#[derive(Debug, Clone, Default)]
struct Track {
    /// The latest time a reversal or a return to supplier was generated for. Back-dated
    /// losses stay after it: the network refuses a back-dated event that can take stock
    /// of an item off the books when the books took such a withdrawal later
    /// ([`Error::BackDatedBeforeWithdrawal`]). Back-dated receipts and gains may land
    /// before it (replayed ahead of the withdrawal, they leave its layer fuller).
    withdrawn_at: Option<DateTime<Utc>>,
    /// Per (item, site, status), the stock the outcomes reported (outside transit).
    totals: BTreeMap<(usize, usize, StockStatus), Decimal>,
    /// Per status, the item-sites with stock in it.
    with_stock: BTreeMap<StockStatus, KeySet<(usize, usize)>>,
    picks: Vec<PickRec>,
    shipments: Vec<ShipRec>,
    soft: BTreeSet<OrderRef>,
    transfers: Vec<DocNumber>,
    purchases: Vec<(DocNumber, u32)>,
    recent: Vec<Event>,
    /// Ids of refused events, free to be used again (the last few).
    refused: Vec<EventId>,
    /// Ids handed out again, until an event under one is accepted or held.
    reusing: BTreeSet<EventId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Warehouse,
    Warehouse2,
    Quality,
    Control,
    Supervisor,
    Planner,
    Planner2,
    Finance,
}

impl Who {
    const ALL: [Who; 8] = [
        Who::Warehouse,
        Who::Warehouse2,
        Who::Quality,
        Who::Control,
        Who::Supervisor,
        Who::Planner,
        Who::Planner2,
        Who::Finance,
    ];

    fn id(self) -> &'static str {
        match self {
            Who::Warehouse => "wh.lead",
            Who::Warehouse2 => "wh.dock",
            Who::Quality => "qa.lead",
            Who::Control => "inv.control",
            Who::Supervisor => "supervisor",
            Who::Planner => "planner.one",
            Who::Planner2 => "planner.two",
            Who::Finance => "finance",
        }
    }

    fn role(self) -> Role {
        match self {
            Who::Warehouse | Who::Warehouse2 => Role::Warehouse,
            Who::Quality => Role::Quality,
            Who::Control => Role::InventoryControl,
            Who::Supervisor => Role::Supervisor,
            Who::Planner | Who::Planner2 => Role::Planning,
            Who::Finance => Role::Finance,
        }
    }
}

// ---------------------------------------------------------------------------------------
// The simulation.

/// A network and the seeded generator of its days (see the module docs).
#[derive(Debug, Clone)]
pub struct Sim {
    setup: Setup,
    config: SimConfig,
    network: Network,
    /// The snapshot taken at the end of the last day (with [`Checks::Full`]).
    snapshot: Option<Box<crate::NetworkSnapshot>>,
    replayed: usize,
    world: World,
    rng: SplitMix64,
    actors: BTreeMap<Who, Actor>,
    day: u32,
    step: u32,
    clock: DateTime<Utc>,
    next_event: u128,
    next_doc: u64,
    track: Track,
    trace: Sha256,
    records: Option<Vec<String>>,
    stats: Stats,
}

/// The result of one step, serialized into the trace.
#[derive(Serialize)]
struct Record<'a> {
    day: u32,
    step: u32,
    kind: &'a str,
    what: &'a str,
    result: serde_json::Value,
}

/// The history a simulation imports before it starts: a count of the catalog's first
/// item at each site a week before `start`, out by 0, 1 or 2 units in turn.
fn history_of(
    network: &Network,
    start: DateTime<Utc>,
) -> Result<Vec<onhand_insight::Record>, Error> {
    let catalog = network.catalog();
    let Some((item_ix, item)) = catalog.items().next() else { return Ok(Vec::new()) };
    let units = catalog
        .item_units(item_ix)
        .ok_or_else(|| Error::Config { what: format!("no units for {}", item.code) })?;
    let base = units.base();
    let week_before = start
        .checked_sub_signed(Duration::days(7))
        .ok_or(Error::Overflow { operation: "a week before the simulation's start" })?;
    let mut out = Vec::new();
    for (n, (site_ix, site)) in (0i64..).zip(catalog.sites()) {
        let Some(entity) = catalog.site_entity(site_ix).and_then(|e| catalog.entity(e)) else {
            continue;
        };
        let off = Decimal::from(n % 3);
        out.push(onhand_insight::Record::CountRecorded(onhand_insight::CountRecorded {
            at: week_before
                .checked_add_signed(Duration::minutes(n))
                .ok_or(Error::Overflow { operation: "a history count's time" })?,
            item: item.code.clone(),
            site: site.code.clone(),
            bin: None,
            class: onhand_master::VelocityClass::B,
            counter: ActorId::new("sim.history")?,
            book: Qty::new(Decimal::from(100), base)?,
            counted: Qty::new(Decimal::from(100) - off, base)?,
            tolerance: Qty::new(Decimal::ONE, base)?,
            variance_value: onhand_master::Money::new(-off, entity.currency),
        }));
    }
    Ok(out)
}

impl Sim {
    /// A simulation of `setup` with `config`.
    ///
    /// # Errors
    /// A [`Failure`] on day 0, step 0 when the network cannot be built from the setup
    /// or it has nothing to simulate.
    pub fn new(setup: Setup, config: SimConfig) -> Result<Self, Failure> {
        let seed = config.seed;
        let fail = |e: &dyn fmt::Display| Failure {
            seed,
            day: 0,
            step: 0,
            kind: "setup".into(),
            what: "building the network".into(),
            problem: e.to_string(),
        };
        let network = Network::new(
            setup.master.clone(),
            setup.rules.clone(),
            setup.config.clone(),
            setup.start,
        )
        .map_err(|e| fail(&e))?;
        let world = World::new(&setup, &network).map_err(|e| fail(&e))?;
        let mut actors = BTreeMap::new();
        for who in Who::ALL {
            let id = ActorId::new(who.id()).map_err(|e| fail(&e))?;
            actors.insert(who, Actor { id, roles: vec![who.role()], sites: SiteScope::All });
        }
        let snapshot = if config.checks == Checks::Full {
            Some(Box::new(network.snapshot().map_err(|e| fail(&e))?))
        } else {
            None
        };
        // KPI history from before the start (a count of the first item at every site a
        // week before), imported as a host brings its old system's figures, after the
        // first snapshot: the replays from empty and from that snapshot both take it.
        let mut network = network;
        if network.insight().is_some() {
            let history = history_of(&network, setup.start).map_err(|e| fail(&e))?;
            network.import_insight(&history).map_err(|e| fail(&e))?;
        }
        Ok(Sim {
            clock: setup.start,
            setup,
            rng: SplitMix64::new(seed),
            config,
            network,
            snapshot,
            replayed: 0,
            world,
            actors,
            day: 0,
            step: 0,
            next_event: 0,
            next_doc: 0,
            track: Track::default(),
            trace: Sha256::new(),
            records: None,
            stats: Stats::default(),
        })
    }

    /// Keeps every step's serialized result (see [`records`](Sim::records)).
    #[must_use]
    pub fn keep_records(mut self) -> Self {
        self.records = Some(Vec::new());
        self
    }

    /// Every step's serialized result so far, when kept.
    #[must_use]
    pub fn records(&self) -> &[String] {
        self.records.as_deref().unwrap_or(&[])
    }

    /// The SHA-256 of every step's serialized result so far, in hex: two runs with the
    /// same setup and seed have the same.
    #[must_use]
    pub fn trace_digest(&self) -> String {
        let d = self.trace.clone().finalize();
        d.iter().fold(String::with_capacity(64), |mut out, b| {
            use std::fmt::Write as _;
            let _ = write!(out, "{b:02x}");
            out
        })
    }

    /// The network as the simulation has left it.
    #[must_use]
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// What the simulation did so far.
    #[must_use]
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The days run so far.
    #[must_use]
    pub fn days(&self) -> u32 {
        self.day
    }

    /// Runs `days` more days.
    ///
    /// # Errors
    /// The first [`Failure`].
    pub fn run(&mut self, days: u32) -> Result<(), Failure> {
        for _ in 0..days {
            self.run_day()?;
        }
        Ok(())
    }

    fn day_start(&self, day: u32) -> DateTime<Utc> {
        self.setup.start + Duration::days(i64::from(day))
    }

    fn today(&self) -> NaiveDate {
        self.clock.date_naive()
    }

    /// Runs one day: time moves to the day's start (and to noon half way through), the
    /// period closes every third day, the day's steps run, backorders are re-processed,
    /// every fifth day the group consolidates, and the end-of-day checks run.
    ///
    /// # Errors
    /// The first [`Failure`].
    pub fn run_day(&mut self) -> Result<(), Failure> {
        self.step = 0;
        let start = self.day_start(self.day);
        self.clock = start;
        self.run_step(&Step::fixed("the day starts", Action::Advance(start)))?;
        if self.day > 0 && self.day.is_multiple_of(3) {
            let through = self.day_start(self.day - 1);
            let close = self.event(
                Who::Finance,
                "PERIOD-END",
                DocKind::Internal,
                &format!("CLOSE-{}", self.day),
                Body::ClosePeriod { through, entity: None },
                start,
            );
            let close = close.map_err(|e| self.fail("day", "a period close", &e))?;
            self.run_step(&Step::fixed("the period closes", Action::Event(Box::new(close))))?;
        }
        let n = self.config.steps_per_day;
        let span = 11 * 3600 / i64::from(n.max(1));
        for i in 0..n {
            self.clock = start + Duration::minutes(30) + Duration::seconds(span * i64::from(i));
            if i == n / 2 {
                self.run_step(&Step::fixed("noon", Action::Advance(self.clock)))?;
            }
            let kind = self.config.mix.draw(&mut self.rng);
            let step = self.generate(kind).map_err(|e| self.fail(kind.as_str(), "", &e))?;
            self.run_step(&step)?;
        }
        self.clock = start + Duration::hours(12);
        self.run_step(&Step::fixed(
            "backorders re-processed",
            Action::Reprocess(onhand_atp::Sharing::FirstCome),
        ))?;
        if self.day % 5 == 4 {
            self.run_step(&Step::fixed(
                "the group consolidates",
                Action::Consolidate(u64::from(self.day)),
            ))?;
        }
        if self.config.checks == Checks::Full {
            self.end_of_day()?;
        }
        self.day += 1;
        Ok(())
    }

    fn fail(&self, kind: &str, what: &str, problem: &dyn fmt::Display) -> Failure {
        Failure {
            seed: self.config.seed,
            day: self.day,
            step: self.step,
            kind: kind.to_owned(),
            what: what.to_owned(),
            problem: problem.to_string(),
        }
    }

    // -----------------------------------------------------------------------------------
    // Running and checking a step.

    fn run_step(&mut self, step: &Step) -> Result<(), Failure> {
        let kind = step.kind.map_or("day", StepKind::as_str);
        let checks = self.config.checks;
        let want_digest = match checks {
            Checks::None => false,
            Checks::Steps => matches!(step.expect, Expect::Invalid | Expect::Duplicate),
            Checks::Full => true,
        };
        // The state before, to compare with if the step is refused or a duplicate (a
        // clone is cheaper than a digest, which is taken only when needed).
        let before = want_digest.then(|| self.network.clone());
        let head = self.network.journal().head();
        let (result, error, outcome) = self.execute(&step.action);
        self.stats.steps += 1;
        if let Some(k) = step.kind {
            *self.stats.by_kind.entry(k).or_default() += 1;
        }
        if matches!(step.action, Action::Event(_)) {
            self.stats.events += 1;
        }
        // The trace.
        let record = Record { day: self.day, step: self.step, kind, what: &step.what, result };
        let line = serde_json::to_string(&record).map_err(|e| self.fail(kind, &step.what, &e))?;
        self.trace.update(line.as_bytes());
        self.trace.update(b"\n");
        if let Some(r) = &mut self.records {
            r.push(line);
        }
        let problem = self.judge(step, error.as_ref(), outcome.as_ref(), before.as_ref(), head);
        if let Some(p) = problem {
            return Err(self.fail(kind, &step.what, &p));
        }
        if let Some(o) = &outcome {
            self.follow(step, o);
        }
        if let Action::Event(e) = &step.action {
            match (&error, outcome.as_ref().map(|o| &o.decision)) {
                (Some(_), _) => {
                    if self.track.refused.len() >= 16 {
                        self.track.refused.remove(0);
                    }
                    if !self.track.refused.contains(&e.id) {
                        self.track.refused.push(e.id);
                    }
                }
                (None, Some(Decision::Accepted | Decision::Pending { .. }))
                    if self.track.reusing.remove(&e.id) =>
                {
                    self.stats.reused_ids += 1;
                }
                _ => {}
            }
        }
        self.step += 1;
        Ok(())
    }

    /// Checks a step's result (see the module docs); `None` when all is well.
    fn judge(
        &mut self,
        step: &Step,
        error: Option<&Error>,
        outcome: Option<&Outcome>,
        before: Option<&Network>,
        head: crate::journal::Mark,
    ) -> Option<String> {
        let unchanged = |now: &Network| -> Result<bool, String> {
            match before {
                Some(b) => match (b.digest(), now.digest()) {
                    (Ok(x), Ok(y)) => Ok(x == y),
                    (Err(e), _) | (_, Err(e)) => Err(format!("digest: {e}")),
                },
                None => Ok(true),
            }
        };
        let checks = self.config.checks;
        if let Some(e) = error {
            self.stats.refused += 1;
            *self.stats.refusals.entry(e.code()).or_default() += 1;
            if step.expect == Expect::Invalid {
                self.stats.invalid += 1;
            }
            if matches!(
                e,
                Error::Diverged { .. }
                    | Error::Poisoned { .. }
                    | Error::CallDiverged { .. }
                    | Error::PoisonedAfter { .. }
            ) {
                return Some(format!("the network diverged: {e}"));
            }
            if checks == Checks::None {
                return None;
            }
            if matches!(step.expect, Expect::Valid | Expect::Duplicate) {
                return Some(format!("a valid step was refused: {} ({e})", e.code()));
            }
            if self.network.journal().head() != head {
                return Some(format!("a refused step ({}) moved the journal", e.code()));
            }
            match unchanged(&self.network) {
                Ok(true) => {}
                Ok(false) => {
                    return Some(format!("a refused step ({}) changed the state", e.code()));
                }
                Err(d) => return Some(d),
            }
        } else {
            if checks != Checks::None && step.expect == Expect::Invalid {
                return Some("an invalid step was accepted".into());
            }
            if let Some(o) = outcome {
                match &o.decision {
                    Decision::Accepted => self.stats.accepted += 1,
                    Decision::Pending { .. } => self.stats.pending += 1,
                    Decision::Duplicate => self.stats.duplicates += 1,
                }
                self.stats.signals += o.signals.len() as u64;
                if checks == Checks::None {
                    return None;
                }
                if step.expect == Expect::Duplicate || o.decision == Decision::Duplicate {
                    if o.decision != Decision::Duplicate {
                        return Some("a re-submitted event was not a duplicate".into());
                    }
                    match unchanged(&self.network) {
                        Ok(true) => {}
                        Ok(false) => return Some("a duplicate changed the state".into()),
                        Err(d) => return Some(d),
                    }
                }
                let unbalanced = onhand_valuation::unbalanced(&o.postings);
                if !unbalanced.is_empty() {
                    return Some(format!("postings do not balance: {unbalanced:?}"));
                }
            } else {
                self.stats.accepted += 1;
                if checks == Checks::None {
                    return None;
                }
            }
        }
        if let Err(v) = self.network.check() {
            return Some(v.to_string());
        }
        let rec = self.network.reconciliation();
        if let Some(d) = rec.differences.iter().find(|d| d.mismatch != Mismatch::InTransit) {
            return Some(format!(
                "intercompany receivables and payables differ beyond timing: {} -> {} document {}: {}",
                d.seller,
                d.buyer,
                d.document,
                d.mismatch.as_str()
            ));
        }
        None
    }

    /// Runs an action; its result as JSON, its error, and an event's outcome.
    fn execute(&mut self, action: &Action) -> (serde_json::Value, Option<Error>, Option<Outcome>) {
        fn value<T: Serialize>(r: Result<T, Error>) -> (serde_json::Value, Option<Error>) {
            match r {
                Ok(v) => (
                    serde_json::to_value(v).unwrap_or_else(|e| {
                        serde_json::Value::String(format!("unserializable: {e}"))
                    }),
                    None,
                ),
                Err(e) => {
                    (serde_json::json!({ "error": e.code(), "message": e.to_string() }), Some(e))
                }
            }
        }
        let n = &mut self.network;
        match action {
            Action::Event(e) => match n.apply(e) {
                Ok(o) => {
                    let (v, _) = value(Ok(&o));
                    (v, None, Some(o))
                }
                Err(err) => {
                    let (v, e) = value::<()>(Err(err));
                    (v, e, None)
                }
            },
            Action::Expect(r) => tuple(value(n.expect(r.clone()))),
            Action::Change(c) => tuple(value(n.change_expected(c))),
            Action::Cancel(order, line) => tuple(value(n.cancel_expected(order, *line))),
            Action::Promise(r) => tuple(value(n.promise(r))),
            Action::Reserve(r, expires) => tuple(value(n.reserve(r, *expires))),
            Action::Allocate(r) => tuple(value(n.allocate(r))),
            Action::MakeHard(r) => tuple(value(n.make_hard(r))),
            Action::Release(r) => tuple(value(n.release(r))),
            Action::Reduce(r, q) => tuple(value(n.reduce(r, *q))),
            Action::Reprocess(sharing) => tuple(value(n.reprocess(*sharing))),
            Action::Advance(t) => tuple(value(n.advance_to(*t))),
            Action::Consolidate(run) => {
                let group = self.world.group.clone();
                let r = n.consolidate(*run, &group, self.setup.currency).map(|c| format!("{c:?}"));
                tuple(value(r))
            }
        }
    }

    /// Brings the simulation's own records up to date after a step that was not refused.
    fn follow(&mut self, step: &Step, outcome: &Outcome) {
        for p in &outcome.positions {
            if p.status == StockStatus::InTransit {
                continue;
            }
            let (Some(ix), Some(six)) =
                (self.network.catalog().item_ix(&p.item), self.network.catalog().site_ix(&p.site))
            else {
                continue;
            };
            let (Some(&i), Some(&s)) = (self.world.item_at.get(&ix), self.world.site_at.get(&six))
            else {
                continue;
            };
            let total = self.track.totals.entry((i, s, p.status)).or_default();
            *total += p.change.value();
            let has = *total > Decimal::ZERO;
            let set = self.track.with_stock.entry(p.status).or_default();
            if has {
                set.insert((i, s));
            } else {
                set.remove(&(i, s));
            }
        }
        let Action::Event(e) = &step.action else { return };
        if !outcome.accepted() {
            return;
        }
        if self.track.recent.len() >= 16 {
            self.track.recent.remove(0);
        }
        self.track.recent.push((**e).clone());
        match &e.body {
            Body::Pick(m) if e.reference.kind == DocKind::SalesOrder => {
                let Some(s) = self.site_index(&m.site) else { return };
                for l in &m.lines {
                    let (Some(i), Some(line)) = (self.item_index(&l.item), l.doc_line) else {
                        continue;
                    };
                    self.track.picks.push(PickRec {
                        event: e.id,
                        line: OrderRef { order: e.reference.number.clone(), line },
                        site: s,
                        item: i,
                        bin: l.to_bin.clone(),
                        lot: l.lot.clone(),
                        owner: l
                            .owner
                            .clone()
                            .unwrap_or_else(|| self.world.sites[s].entity.clone()),
                        qty: l.qty.value(),
                    });
                }
            }
            Body::Ship(m) => {
                let Some(s) = self.site_index(&m.site) else { return };
                for l in &m.lines {
                    let Some(i) = self.item_index(&l.item) else { continue };
                    if self.track.shipments.len() >= 64 {
                        self.track.shipments.remove(0);
                    }
                    self.track.shipments.push(ShipRec {
                        event: e.id,
                        site: s,
                        item: i,
                        lot: l.lot.clone(),
                        qty: l.qty.value(),
                    });
                }
            }
            Body::TransferRequest(_) => self.track.transfers.push(e.reference.number.clone()),
            // A reversed pick's stock is back where it came from, a reversed shipment's
            // in staging: neither is shipped or returned against any more.
            Body::Reversal { event } => {
                self.track.picks.retain(|p| p.event != *event);
                self.track.shipments.retain(|s| s.event != *event);
            }
            _ => {}
        }
    }

    fn item_index(&self, code: &ItemCode) -> Option<usize> {
        let ix = self.network.catalog().item_ix(code)?;
        self.world.item_at.get(&ix).copied()
    }

    fn site_index(&self, code: &SiteCode) -> Option<usize> {
        let ix = self.network.catalog().site_ix(code)?;
        self.world.site_at.get(&ix).copied()
    }

    /// The end-of-day checks: outcomes against positions, replay from empty, snapshot and
    /// restore, yesterday's snapshot plus the day's tail.
    fn end_of_day(&mut self) -> Result<(), Failure> {
        let fail =
            |s: &Self, problem: &dyn fmt::Display| s.fail("day", "end-of-day checks", problem);
        // The outcomes' position changes, summed, are the ledger's positions.
        let mut ledger: BTreeMap<(usize, usize, StockStatus), Decimal> = BTreeMap::new();
        for (key, q) in self.network.ledger().positions() {
            if key.status == StockStatus::InTransit {
                continue;
            }
            let (Some(&i), Some(&s)) =
                (self.world.item_at.get(&key.item), self.world.site_at.get(&key.site))
            else {
                continue;
            };
            *ledger.entry((i, s, key.status)).or_default() += q;
        }
        let mut totals = self.track.totals.clone();
        totals.retain(|_, q| !q.is_zero());
        ledger.retain(|_, q| !q.is_zero());
        if totals != ledger {
            let diff = totals
                .keys()
                .chain(ledger.keys())
                .find(|k| totals.get(k) != ledger.get(k))
                .map(|(i, s, st)| {
                    format!(
                        "{} at {} {st}: outcomes {} ledger {}",
                        self.world.items[*i].code,
                        self.world.sites[*s].code,
                        totals.get(&(*i, *s, *st)).copied().unwrap_or_default(),
                        ledger.get(&(*i, *s, *st)).copied().unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            return Err(fail(self, &format!("outcomes do not add up to the positions: {diff}")));
        }
        let digest = self.network.digest().map_err(|e| fail(self, &e))?;
        let entries = self.network.journal().entries();
        let replayed = Network::replay(
            self.setup.master.clone(),
            self.setup.rules.clone(),
            self.setup.config.clone(),
            self.setup.start,
            entries,
        )
        .map_err(|e| fail(self, &format!("replay from empty: {e}")))?;
        let got = replayed.digest().map_err(|e| fail(self, &e))?;
        if got != digest {
            return Err(fail(self, &"replaying the journal from empty gives another digest"));
        }
        // Snapshot and restore: the same digest, exception queue included, through JSON.
        let state = digest;
        let restore = |s: &Self, snapshot: &crate::NetworkSnapshot| {
            Network::restore(
                s.network.catalog().clone(),
                s.setup.rules.clone(),
                s.setup.config.clone(),
                snapshot,
            )
        };
        let snapshot = self.network.snapshot().map_err(|e| fail(self, &e))?;
        let json = serde_json::to_vec(&snapshot).map_err(|e| fail(self, &e))?;
        let read: crate::NetworkSnapshot =
            serde_json::from_slice(&json).map_err(|e| fail(self, &e))?;
        let restored = restore(self, &read).map_err(|e| fail(self, &format!("restore: {e}")))?;
        if restored.digest().map_err(|e| fail(self, &e))? != state {
            return Err(fail(self, &"the restored snapshot gives another digest"));
        }
        if let Err(e) = restored.check() {
            return Err(fail(self, &format!("the restored network breaks an invariant: {e}")));
        }
        // Snapshot plus tail: yesterday's snapshot, restored, and the day's journal tail.
        let tail = entries.iter().skip(self.replayed);
        let count = entries.len();
        if let Some(yesterday) = &self.snapshot {
            let mut restored = restore(self, yesterday)
                .map_err(|e| fail(self, &format!("restoring yesterday's snapshot: {e}")))?;
            restored
                .replay_onto(tail)
                .map_err(|e| fail(self, &format!("yesterday's snapshot's tail replay: {e}")))?;
            if restored.digest().map_err(|e| fail(self, &e))? != state {
                return Err(fail(
                    self,
                    &"yesterday's snapshot plus today's journal gives another digest",
                ));
            }
            self.snapshot = Some(Box::new(read));
        }
        self.replayed = count;
        Ok(())
    }

    // -----------------------------------------------------------------------------------
    // Building events.

    fn event(
        &mut self,
        who: Who,
        reason: &str,
        kind: DocKind,
        number: &str,
        body: Body,
        at: DateTime<Utc>,
    ) -> Result<Event, Error> {
        self.next_event += 1;
        let actor =
            self.actors.get(&who).cloned().ok_or_else(|| config_error("an actor is missing"))?;
        // Now and then the id of an event refused earlier: nothing may remember it.
        let id = if self.track.refused.is_empty() || !self.rng.percent(25) {
            EventId::from_u128(self.next_event)
        } else {
            let at = self.rng.index(self.track.refused.len());
            let id = self.track.refused.swap_remove(at);
            self.track.reusing.insert(id);
            id
        };
        Ok(Event {
            id,
            effective_at: at,
            recorded_at: self.clock,
            actor,
            reason: ReasonCode::new(reason)?,
            reference: DocumentRef { kind, number: DocNumber::new(number)? },
            body,
        })
    }

    /// [`Self::event`] taking effect when it is recorded.
    fn now_event(
        &mut self,
        who: Who,
        reason: &str,
        kind: DocKind,
        number: &str,
        body: Body,
    ) -> Result<Event, Error> {
        let at = self.clock;
        self.event(who, reason, kind, number, body, at)
    }

    fn doc(&mut self, prefix: &str) -> String {
        self.next_doc += 1;
        format!("{prefix}-{}", self.next_doc)
    }

    fn qty(&self, item: usize, v: Decimal) -> Result<Qty, Error> {
        Ok(Qty::new(v, self.world.items[item].uom)?)
    }

    /// A line of `v` base units of `item`.
    fn line(&self, item: usize, v: Decimal) -> Result<Line, Error> {
        Ok(Line::new(self.world.items[item].code.clone(), self.qty(item, v)?))
    }

    /// The stock of an item at a site in a status, bin by bin (expired lots left out).
    fn held(&self, item: usize, site: usize, status: StockStatus) -> Vec<Held> {
        let (it, st) = (&self.world.items[item], &self.world.sites[site]);
        let ledger = self.network.ledger();
        let today = self.today();
        ledger
            .positions_at(it.ix, st.ix)
            .filter(|(k, q)| k.status == status && *q > Decimal::ZERO)
            .filter(|(k, _)| {
                k.lot.and_then(|l| ledger.lot(l)).and_then(|l| l.expiry).is_none_or(|e| e > today)
            })
            .map(|(k, q)| {
                let v = ledger.describe(&k);
                Held { bin: v.bin, lot: v.lot, owner: v.owner, qty: q }
            })
            .collect()
    }

    /// An item-site with stock in `status`, and one of its holdings.
    fn find_held(&mut self, status: StockStatus) -> Option<(usize, usize, Held)> {
        for _ in 0..4 {
            let set = self.track.with_stock.get(&status)?;
            let (i, s) = set.draw(&mut self.rng)?;
            let held = self.held(i, s, status);
            if let Some(h) = self.rng.pick(&held) {
                return Some((i, s, h.clone()));
            }
        }
        None
    }

    /// A part of `q`: all of it, or a random share.
    fn part(&mut self, q: Decimal) -> Decimal {
        let whole = q.floor();
        if whole <= Decimal::ONE || self.rng.percent(50) {
            return q;
        }
        let max = u64::try_from(whole.mantissa()).unwrap_or(1).max(1);
        Decimal::from(self.rng.range(1, max))
    }

    fn small(&mut self, item: usize) -> Decimal {
        let case = self.world.items[item].case.map_or(Decimal::TEN, |(_, f)| f);
        let max = u64::try_from(case.ceil().mantissa()).unwrap_or(10).clamp(2, 400);
        Decimal::from(self.rng.range(1, max))
    }

    fn usd(&self, amount: Decimal) -> Money {
        Money::new(amount, self.setup.currency)
    }

    fn owner_of(line: Line, owner: &EntityCode) -> Line {
        let mut line = line;
        line.owner = Some(owner.clone());
        line
    }

    // -----------------------------------------------------------------------------------
    // Generating steps.

    fn generate(&mut self, kind: StepKind) -> Result<Step, Error> {
        let step = match kind {
            StepKind::Purchase => self.gen_purchase()?,
            StepKind::ChangePurchase => self.gen_change_purchase()?,
            StepKind::CancelPurchase => self.gen_cancel_purchase(),
            StepKind::Receive => self.gen_receive()?,
            StepKind::Putaway => self.gen_putaway()?,
            StepKind::Order => self.gen_order()?,
            StepKind::MakeHard => self.gen_make_hard(),
            StepKind::ReleaseOrder => self.gen_release_order()?,
            StepKind::Pick => self.gen_pick()?,
            StepKind::Ship => self.gen_ship()?,
            StepKind::TransferRequest => self.gen_transfer_request()?,
            StepKind::TransferApprove => self.gen_transfer_approve()?,
            StepKind::TransferShip => self.gen_transfer_ship()?,
            StepKind::TransferReceive => self.gen_transfer_receive()?,
            StepKind::TransferClose => self.gen_transfer_close()?,
            StepKind::Count => self.gen_count()?,
            StepKind::Hold => self.gen_hold()?,
            StepKind::ReleaseHold => self.gen_release_hold()?,
            StepKind::Return => self.gen_return()?,
            StepKind::Disposition => self.gen_disposition()?,
            StepKind::Adjust => self.gen_adjust()?,
            StepKind::Scrap => self.gen_scrap()?,
            StepKind::Approve => self.gen_approve()?,
            StepKind::BackDated => self.gen_back_dated()?,
            StepKind::Reprocess => {
                let sharing = if self.rng.percent(50) {
                    onhand_atp::Sharing::FairShare
                } else {
                    onhand_atp::Sharing::FirstCome
                };
                Some(Step::new(
                    kind,
                    "re-process backorders",
                    Action::Reprocess(sharing),
                    Expect::Valid,
                ))
            }
            StepKind::Duplicate => self.gen_duplicate(),
            StepKind::Invalid => self.gen_invalid()?,
            StepKind::Reverse => self.gen_reverse()?,
            StepKind::SupplierReturn => self.gen_supplier_return()?,
        };
        if let Some(s) = step {
            return Ok(s);
        }
        // Nothing to act on: the network needs stock first.
        *self.stats.idle.entry(kind).or_default() += 1;
        self.fallback()
    }

    /// A step when the drawn kind has nothing to act on: the network needs stock first.
    fn fallback(&mut self) -> Result<Step, Error> {
        match self.gen_receive()? {
            Some(s) => Ok(s),
            None => self.gen_purchase()?.ok_or_else(|| config_error("nothing to purchase")),
        }
    }

    fn gen_purchase(&mut self) -> Result<Option<Step>, Error> {
        let Some(&(i, s)) = self.rng.pick(&self.world.stocked) else { return Ok(None) };
        let it = self.world.items[i].clone();
        let (uom, per, n) = match it.case {
            Some((u, f)) if self.rng.percent(70) => (u, f, Decimal::from(self.rng.range(1, 4))),
            _ => (it.uom, Decimal::ONE, self.small(i) * Decimal::from(self.rng.range(1, 3))),
        };
        let number = self.doc("PO");
        let due = self.today() + Duration::days(i64::try_from(self.rng.range(0, 6)).unwrap_or(0));
        // Items without a reference cost are always bought at a price.
        let unit_cost = (!it.costed || self.rng.percent(80)).then(|| self.usd(it.price * per));
        let r = ExpectedReceipt {
            order: DocNumber::new(number.as_str())?,
            line: 1,
            supplier: self.rng.pick(&self.world.suppliers).cloned(),
            item: it.code.clone(),
            site: self.world.sites[s].code.clone(),
            qty: Qty::new(n, uom)?,
            due,
            unit_cost,
        };
        self.track.purchases.push((r.order.clone(), 1));
        let what = format!("{number}: {} {} for {} due {due}", r.qty, it.code, r.site);
        Ok(Some(Step::new(StepKind::Purchase, what, Action::Expect(r), Expect::Valid)))
    }

    /// An open purchase order line the simulation created (closed ones are forgotten).
    /// Only those due by `due_by`, when given (goods arrive around their due date).
    fn open_purchase(
        &mut self,
        due_by: Option<NaiveDate>,
    ) -> Option<crate::purchasing::OpenReceipt> {
        let open: BTreeMap<(DocNumber, u32), crate::purchasing::OpenReceipt> = self
            .network
            .expected_receipts()
            .map(|r| ((r.expected.order.clone(), r.expected.line), r.clone()))
            .collect();
        self.track.purchases.retain(|k| open.contains_key(k));
        let due: Vec<&(DocNumber, u32)> = self
            .track
            .purchases
            .iter()
            .filter(|k| due_by.is_none_or(|d| open.get(*k).is_some_and(|r| r.expected.due <= d)))
            .collect();
        let key = (*self.rng.pick(&due)?).clone();
        open.get(&key).cloned()
    }

    fn gen_change_purchase(&mut self) -> Result<Option<Step>, Error> {
        let Some(r) = self.open_purchase(None) else { return Ok(None) };
        let e = &r.expected;
        let mut c = ReceiptChange { order: e.order.clone(), line: e.line, qty: None, due: None };
        if self.rng.percent(50) {
            let late = i64::try_from(self.rng.range(1, 5)).unwrap_or(1);
            c.due = Some(e.due.max(self.today()) + Duration::days(late));
        } else {
            let v = e.qty.value();
            let delta = Decimal::from(self.rng.range(1, 3));
            let new = if self.rng.percent(50) || v <= delta { v + delta } else { v - delta };
            c.qty = Some(Qty::new(new, e.qty.uom())?);
        }
        let what = format!("{}/{} changes: qty {:?} due {:?}", c.order, c.line, c.qty, c.due);
        Ok(Some(Step::new(StepKind::ChangePurchase, what, Action::Change(c), Expect::Valid)))
    }

    fn gen_cancel_purchase(&mut self) -> Option<Step> {
        let r = self.open_purchase(None)?;
        let what = format!("{}/{} cancelled", r.expected.order, r.expected.line);
        let action = Action::Cancel(r.expected.order, r.expected.line);
        Some(Step::new(StepKind::CancelPurchase, what, action, Expect::Valid))
    }

    /// Where a receipt of `item` at `site` lands: its bin by the status the policy
    /// gives it.
    fn receiving_bin(&mut self, item: usize, site: usize) -> Option<BinCode> {
        let (it, st) = (&self.world.items[item], &self.world.sites[site]);
        let into = self.network.catalog().receive_into(it.ix, st.ix);
        let (receiving, quality, storage) =
            (st.receiving.clone(), st.quality.clone(), st.storage.clone());
        match into {
            onhand_master::ReceiveInto::QualityHold => {
                pick_bin(&mut self.rng, &quality, &receiving)
            }
            onhand_master::ReceiveInto::Available => pick_bin(&mut self.rng, &storage, &receiving),
            onhand_master::ReceiveInto::Receiving => pick_bin(&mut self.rng, &receiving, &storage),
        }
    }

    fn new_lot(&mut self) -> Result<LotCode, Error> {
        let n = self.doc("L");
        Ok(LotCode::new(format!("{n}-D{}", self.day))?)
    }

    fn gen_receive(&mut self) -> Result<Option<Step>, Error> {
        if self.rng.percent(85)
            && let Some(r) = self.open_purchase(Some(self.today() + Duration::days(1)))
        {
            let e = r.expected.clone();
            let (Some(i), Some(s)) = (self.item_index(&e.item), self.site_index(&e.site)) else {
                return Ok(None);
            };
            let open = r.open;
            let unit = self.world.items[i].case.map_or(Decimal::ONE, |(_, f)| f);
            let (how, q) = match self.rng.below(100) {
                0..=54 => ("in full", open),
                55..=79 => {
                    let q = self.part(open);
                    ("short", q)
                }
                80..=89 => ("over", open + unit),
                _ => ("an odd quantity", (open - Decimal::ONE).max(Decimal::ONE)),
            };
            let mut line = self.line(i, q)?;
            line.bin = self.receiving_bin(i, s);
            if self.world.items[i].lot {
                line.lot = Some(self.new_lot()?);
            }
            if self.rng.percent(70) {
                line.doc_line = Some(e.line);
            }
            if self.rng.percent(20) {
                line.unit_cost = Some(self.usd(self.world.items[i].price));
            }
            let late = if e.due < self.today() { ", late" } else { "" };
            let what = format!("{}: {q} {} received {how}{late} at {}", e.order, e.item, e.site);
            let body = Body::Receipt(SiteLines { site: e.site.clone(), lines: vec![line] });
            let ev = self.now_event(
                Who::Warehouse2,
                "RECEIPT",
                DocKind::PurchaseOrder,
                e.order.as_str(),
                body,
            )?;
            return Ok(Some(Step::event(StepKind::Receive, what, ev, Expect::Valid)));
        }
        // Goods without a purchase order: the line carries the price.
        let Some(&(i, s)) = self.rng.pick(&self.world.stocked) else { return Ok(None) };
        let q = self.small(i);
        let ev = self.receipt_without_order(i, s, q, true, self.clock)?;
        let what = format!(
            "{q} {} received without an order at {}",
            self.world.items[i].code, self.world.sites[s].code
        );
        Ok(Some(Step::event(StepKind::Receive, what, ev, Expect::Valid)))
    }

    /// A line receiving `q` of item `i` at site `s` into a receiving bin (with a new lot
    /// for a lot-controlled item), priced at the item's price when `costed`.
    fn receiving_line(
        &mut self,
        i: usize,
        s: usize,
        q: Decimal,
        costed: bool,
    ) -> Result<Line, Error> {
        let mut line = self.line(i, q)?;
        line.bin = self.receiving_bin(i, s);
        if self.world.items[i].lot {
            line.lot = Some(self.new_lot()?);
        }
        if costed {
            line.unit_cost = Some(self.usd(self.world.items[i].price));
        }
        Ok(line)
    }

    fn receipt_without_order(
        &mut self,
        i: usize,
        s: usize,
        q: Decimal,
        costed: bool,
        at: DateTime<Utc>,
    ) -> Result<Event, Error> {
        let line = self.receiving_line(i, s, q, costed)?;
        let mut lines = Vec::with_capacity(2);
        if costed {
            // Now and then a second item on the same receipt: the books cost its lines
            // as one (and a return to supplier of it sends both back at once).
            let others: Vec<usize> = self
                .world
                .stocked
                .iter()
                .filter(|&&(k, x)| x == s && k != i && self.world.items[k].costed)
                .map(|&(k, _)| k)
                .collect();
            let other = self.rng.pick(&others).copied();
            if let Some(k) = other.filter(|_| self.rng.percent(20)) {
                lines.push(self.receiving_line(k, s, q, true)?);
            }
        }
        lines.insert(0, line);
        let number = self.doc("PO-X");
        let body = Body::Receipt(SiteLines { site: self.world.sites[s].code.clone(), lines });
        self.event(Who::Warehouse2, "RECEIPT", DocKind::PurchaseOrder, &number, body, at)
    }

    fn gen_putaway(&mut self) -> Result<Option<Step>, Error> {
        let Some((i, s, h)) = self.find_held(StockStatus::Receiving) else { return Ok(None) };
        let q = self.part(h.qty);
        let st = self.world.sites[s].clone();
        let mut line = Self::owner_of(self.line(i, q)?, &h.owner);
        line.bin.clone_from(&h.bin);
        line.lot.clone_from(&h.lot);
        line.to_bin = self.rng.pick(&st.storage).cloned();
        let what = format!("{q} {} put away at {}", self.world.items[i].code, st.code);
        let number = self.doc("PA");
        let body = Body::Putaway(SiteLines { site: st.code.clone(), lines: vec![line] });
        let ev = self.now_event(Who::Warehouse, "PUTAWAY", DocKind::Internal, &number, body)?;
        Ok(Some(Step::event(StepKind::Putaway, what, ev, Expect::Valid)))
    }

    fn gen_order(&mut self) -> Result<Option<Step>, Error> {
        let Some(anyone) = self.rng.pick(&self.world.customers).cloned() else { return Ok(None) };
        // Mostly an item on hand at a site that delivers to the customer (a customer the
        // site's stock cannot reach would only ever be backordered), for no more than the
        // site holds, wanted no sooner than the lane can deliver it.
        let drawn = self
            .track
            .with_stock
            .get(&StockStatus::Available)
            .and_then(|s| s.draw(&mut self.rng))
            .filter(|_| self.rng.percent(80));
        let served = drawn.and_then(|(i, s)| {
            let lanes = self.world.serves.get(s).map_or(&[][..], Vec::as_slice);
            let &(c, transit) = self.rng.pick(lanes)?;
            let on_hand: Decimal =
                self.held(i, s, StockStatus::Available).iter().map(|h| h.qty).sum();
            Some((i, self.world.customers.get(c)?.clone(), transit, on_hand))
        });
        let (i, customer, lead, q) = if let Some((i, customer, transit, on_hand)) = served {
            let q = self.small(i).min(on_hand.floor()).max(Decimal::ONE);
            (i, customer, i64::from(transit), q)
        } else {
            let i = drawn.map_or_else(|| self.rng.index(self.world.items.len()), |(i, _)| i);
            (i, anyone, 0, self.small(i))
        };
        let number = self.doc("SO");
        let requested =
            self.today() + Duration::days(lead + i64::try_from(self.rng.range(1, 5)).unwrap_or(1));
        let mut r = OrderRequest::new(
            DocNumber::new(number.as_str())?,
            1,
            customer.clone(),
            self.world.items[i].code.clone(),
            self.qty(i, q)?,
            requested,
        );
        r.priority = u8::try_from(self.rng.range(1, 9)).unwrap_or(5);
        r.allow_split = self.rng.percent(30);
        let what = format!("{number}/1: {customer} orders {q} {} for {requested}", r.item);
        let step = match self.rng.below(100) {
            0..=14 => Step::new(
                StepKind::Order,
                format!("{what} (promise)"),
                Action::Promise(r),
                Expect::Valid,
            ),
            15..=44 => {
                let hours = i64::try_from(self.rng.range(2, 30)).unwrap_or(4);
                let expires = self.clock + Duration::hours(hours);
                self.track.soft.insert(r.reference());
                Step::new(
                    StepKind::Order,
                    format!("{what} (reserved until {expires})"),
                    Action::Reserve(r, expires),
                    Expect::Valid,
                )
            }
            _ => Step::new(
                StepKind::Order,
                format!("{what} (allocated)"),
                Action::Allocate(r),
                Expect::Valid,
            ),
        };
        Ok(Some(step))
    }

    fn gen_make_hard(&mut self) -> Option<Step> {
        let booked: BTreeSet<OrderRef> = self.network.order_lines().into_iter().collect();
        self.track.soft.retain(|r| booked.contains(r));
        let list: Vec<OrderRef> = self.track.soft.iter().cloned().collect();
        let r = self.rng.pick(&list)?.clone();
        self.track.soft.remove(&r);
        Some(Step::new(
            StepKind::MakeHard,
            format!("{r} made hard"),
            Action::MakeHard(r),
            Expect::Valid,
        ))
    }

    fn gen_release_order(&mut self) -> Result<Option<Step>, Error> {
        let lines = self.network.order_lines();
        let Some(r) = self.rng.pick(&lines).cloned() else { return Ok(None) };
        let Ok(p) = self.network.booked(&r) else { return Ok(None) };
        if self.rng.percent(50) || p.confirmed.value() < Decimal::TWO {
            self.track.soft.remove(&r);
            return Ok(Some(Step::new(
                StepKind::ReleaseOrder,
                format!("{r} released"),
                Action::Release(r),
                Expect::Valid,
            )));
        }
        let max = u64::try_from(p.confirmed.value().floor().mantissa()).unwrap_or(1).max(1);
        let q = Qty::new(Decimal::from(self.rng.range(1, max)), p.confirmed.uom())?;
        Ok(Some(Step::new(
            StepKind::ReleaseOrder,
            format!("{r} reduced by {q}"),
            Action::Reduce(r, q),
            Expect::Valid,
        )))
    }

    fn gen_pick(&mut self) -> Result<Option<Step>, Error> {
        let lines = self.network.order_lines();
        let today = self.today();
        // Many booked lines wait for stock with nothing confirmed: look at a few dozen
        // lines for those the warehouse can pick, and pick the one due first.
        let mut due = Vec::new();
        for _ in 0..32 {
            let Some(r) = self.rng.pick(&lines).cloned() else { return Ok(None) };
            let Ok(p) = self.network.booked(&r) else { continue };
            let Some(i) = self.item_index(&p.item) else { continue };
            // What the line holds at a site for the next days (picked ahead of shipping).
            let Some(sched) = p
                .schedule
                .iter()
                .filter(|x| {
                    x.item == p.item
                        && x.available_on <= today + Duration::days(3)
                        && x.qty.uom() == self.world.items[i].uom
                })
                .find(|x| x.qty.value() > Decimal::ZERO)
                .cloned()
            else {
                continue;
            };
            due.push((sched.delivery, r, p, i, sched));
        }
        due.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        due.dedup_by(|a, b| a.1 == b.1);
        for (_, r, p, i, sched) in due {
            let Some(s) = self.site_index(&sched.site) else { continue };
            let st = self.world.sites[s].clone();
            // Mostly what the line holds there, in full; now and then a part of it.
            let held = sched.qty.value();
            let mut want = if self.rng.percent(85) { held } else { self.part(held) };
            let mut lines_out = Vec::new();
            for h in self.held(i, s, StockStatus::Available) {
                if want <= Decimal::ZERO || lines_out.len() >= 2 {
                    break;
                }
                let take = want.min(h.qty);
                let mut line = Self::owner_of(self.line(i, take)?, &h.owner);
                line.bin = h.bin;
                line.lot = h.lot;
                line.to_bin = self.rng.pick(&st.staging).cloned();
                line.doc_line = Some(r.line);
                lines_out.push(line);
                want -= take;
            }
            if lines_out.is_empty() {
                continue;
            }
            let total: Decimal = lines_out.iter().map(|l| l.qty.value()).sum();
            let what = format!("{r}: {total} {} picked at {}", p.item, st.code);
            let body = Body::Pick(SiteLines { site: st.code.clone(), lines: lines_out });
            let ev = self.now_event(
                Who::Warehouse,
                "PICK",
                DocKind::SalesOrder,
                r.order.as_str(),
                body,
            )?;
            return Ok(Some(Step::event(StepKind::Pick, what, ev, Expect::Valid)));
        }
        Ok(None)
    }

    fn gen_ship(&mut self) -> Result<Option<Step>, Error> {
        if self.track.picks.is_empty() {
            return Ok(None);
        }
        let k = self.rng.index(self.track.picks.len());
        let p = self.track.picks.remove(k);
        let q = if self.rng.percent(85) { p.qty } else { self.part(p.qty) };
        if q < p.qty {
            let mut rest = p.clone();
            rest.qty = p.qty - q;
            self.track.picks.push(rest);
        }
        let mut line = Self::owner_of(self.line(p.item, q)?, &p.owner);
        line.bin.clone_from(&p.bin);
        line.lot.clone_from(&p.lot);
        line.doc_line = Some(p.line.line);
        let st = &self.world.sites[p.site];
        let what =
            format!("{}: {q} {} shipped from {}", p.line, self.world.items[p.item].code, st.code);
        let body = Body::Ship(SiteLines { site: st.code.clone(), lines: vec![line] });
        let ev = self.now_event(
            Who::Warehouse,
            "SHIP",
            DocKind::SalesOrder,
            p.line.order.as_str(),
            body,
        )?;
        Ok(Some(Step::event(StepKind::Ship, what, ev, Expect::Valid)))
    }

    fn gen_transfer_request(&mut self) -> Result<Option<Step>, Error> {
        let Some((item, from, held)) = self.find_held(StockStatus::Available) else {
            return Ok(None);
        };
        let routes: Vec<usize> =
            self.world.routes.iter().filter(|(a, _)| *a == from).map(|(_, b)| *b).collect();
        let Some(&to) = self.rng.pick(&routes) else { return Ok(None) };
        let q = self.part(held.qty);
        let number = self.doc("TO");
        let expected_arrival = self.rng.percent(40).then(|| {
            self.clock + Duration::hours(i64::try_from(self.rng.range(4, 60)).unwrap_or(24))
        });
        let (f, t) = (&self.world.sites[from], &self.world.sites[to]);
        let cross = if f.entity == t.entity { "" } else { " (intercompany)" };
        let what = format!(
            "{number}: {q} {} requested {} -> {}{cross}",
            self.world.items[item].code, f.code, t.code
        );
        let body = Body::TransferRequest(TransferRequest {
            from: f.code.clone(),
            to: t.code.clone(),
            lines: vec![TransferLine {
                item: self.world.items[item].code.clone(),
                qty: self.qty(item, q)?,
            }],
            expected_arrival,
        });
        let ev =
            self.now_event(Who::Planner, "REPLENISH", DocKind::TransferOrder, &number, body)?;
        Ok(Some(Step::event(StepKind::TransferRequest, what, ev, Expect::Valid)))
    }

    /// A transfer the simulation requested, in one of `states` (closed ones are
    /// forgotten).
    fn transfer_in(&mut self, states: &[TransferState]) -> Option<onhand_ledger::TransferOrder> {
        let ledger = self.network.ledger();
        self.track
            .transfers
            .retain(|n| ledger.transfer(n).is_none_or(|o| o.state != TransferState::Closed));
        let list: Vec<DocNumber> = self
            .track
            .transfers
            .iter()
            .filter(|n| ledger.transfer(n).is_some_and(|o| states.contains(&o.state)))
            .cloned()
            .collect();
        let n = self.rng.pick(&list)?;
        self.network.ledger().transfer(n).cloned()
    }

    fn gen_transfer_approve(&mut self) -> Result<Option<Step>, Error> {
        let Some(o) = self.transfer_in(&[TransferState::Requested]) else { return Ok(None) };
        let what = format!("{} approved by a second planner", o.number);
        let ev = self.now_event(
            Who::Planner2,
            "APPROVE",
            DocKind::TransferOrder,
            o.number.as_str(),
            Body::TransferApprove,
        )?;
        Ok(Some(Step::event(StepKind::TransferApprove, what, ev, Expect::Valid)))
    }

    fn gen_transfer_ship(&mut self) -> Result<Option<Step>, Error> {
        use TransferState::{Approved, PartlyReceived, PartlyShipped};
        let Some(o) = self.transfer_in(&[Approved, PartlyShipped, PartlyReceived]) else {
            return Ok(None);
        };
        let (Some(&from), Some(&to)) =
            (self.world.site_at.get(&o.from), self.world.site_at.get(&o.to))
        else {
            return Ok(None);
        };
        let mut lines = Vec::new();
        for l in &o.lines {
            let Some(&i) = self.world.item_at.get(&l.item) else { continue };
            let mut want = self.part(l.requested - l.shipped);
            for h in self.held(i, from, StockStatus::Available) {
                if want <= Decimal::ZERO {
                    break;
                }
                let take = want.min(h.qty);
                let mut line = Self::owner_of(self.line(i, take)?, &h.owner);
                line.bin = h.bin;
                line.lot = h.lot;
                lines.push(line);
                want -= take;
            }
        }
        if lines.is_empty() {
            return Ok(None);
        }
        let total: Decimal = lines.iter().map(|l| l.qty.value()).sum();
        let what = format!(
            "{}: {total} shipped {} -> {}",
            o.number, self.world.sites[from].code, self.world.sites[to].code
        );
        let body =
            Body::TransferShip(SiteLines { site: self.world.sites[from].code.clone(), lines });
        let ev = self.now_event(
            Who::Warehouse,
            "TRANSFER",
            DocKind::TransferOrder,
            o.number.as_str(),
            body,
        )?;
        Ok(Some(Step::event(StepKind::TransferShip, what, ev, Expect::Valid)))
    }

    fn gen_transfer_receive(&mut self) -> Result<Option<Step>, Error> {
        use TransferState::{PartlyReceived, PartlyShipped, Shipped};
        let Some(o) = self.transfer_in(&[PartlyShipped, Shipped, PartlyReceived]) else {
            return Ok(None);
        };
        let Some(&to) = self.world.site_at.get(&o.to) else { return Ok(None) };
        let mut lines = Vec::new();
        let mut how = "in full";
        for l in &o.lines {
            let Some(&i) = self.world.item_at.get(&l.item) else { continue };
            for (tk, tq) in &l.in_transit {
                let q = tq.0;
                if q <= Decimal::ZERO {
                    continue;
                }
                let lot = match tk.lot {
                    Some(ix) => self.network.ledger().lot(ix).map(|x| x.code.clone()),
                    None => None,
                };
                let bin = self.receiving_bin(i, to);
                let mut add = |v: Decimal, damaged: bool, s: &Self| -> Result<(), Error> {
                    let mut line = s.line(i, v)?;
                    line.bin.clone_from(&bin);
                    line.lot.clone_from(&lot);
                    if damaged {
                        line.to = Some(StockStatus::Damaged);
                    }
                    lines.push(line);
                    Ok(())
                };
                match self.rng.below(100) {
                    0..=59 => add(q, false, self)?,
                    60..=74 => {
                        how = "short";
                        let v = self.part(q);
                        add(v, false, self)?;
                    }
                    75..=84 => {
                        how = "over";
                        add(q + Decimal::ONE, false, self)?;
                    }
                    _ => {
                        how = "partly damaged";
                        if q > Decimal::ONE {
                            add(q - Decimal::ONE, false, self)?;
                        }
                        add(Decimal::ONE.min(q), true, self)?;
                    }
                }
            }
        }
        if lines.is_empty() {
            return Ok(None);
        }
        let site = self.world.sites[to].code.clone();
        let what = format!("{}: received {how} at {site}", o.number);
        let body = Body::TransferReceipt(SiteLines { site, lines });
        let ev = self.now_event(
            Who::Warehouse2,
            "TRANSFER",
            DocKind::TransferOrder,
            o.number.as_str(),
            body,
        )?;
        Ok(Some(Step::event(StepKind::TransferReceive, what, ev, Expect::Valid)))
    }

    fn gen_transfer_close(&mut self) -> Result<Option<Step>, Error> {
        use TransferState::{Approved, PartlyReceived, PartlyShipped, Received, Shipped};
        let Some(o) =
            self.transfer_in(&[Received, PartlyReceived, Shipped, PartlyShipped, Approved])
        else {
            return Ok(None);
        };
        // A close already waiting for approval is not asked for again.
        let waiting = self.network.ledger().pending().any(|(_, p)| {
            p.event.kind() == onhand_ledger::EventKind::TransferClose
                && p.event.reference.number == o.number
        });
        if waiting {
            return Ok(None);
        }
        let open: Decimal = o.lines.iter().map(onhand_ledger::TransferOrderLine::outstanding).sum();
        let what = format!("{} closed ({open} still in transit)", o.number);
        let ev = self.now_event(
            Who::Planner,
            "CLOSE",
            DocKind::TransferOrder,
            o.number.as_str(),
            Body::TransferClose,
        )?;
        Ok(Some(Step::event(StepKind::TransferClose, what, ev, Expect::Valid)))
    }

    fn gen_count(&mut self) -> Result<Option<Step>, Error> {
        let Some((i, s, h)) = self.find_held(StockStatus::Available) else { return Ok(None) };
        let book = h.qty;
        let (how, counted) = match self.rng.below(100) {
            0..=59 => ("as booked", book),
            60..=79 => (
                "a small variance",
                (book + Decimal::from(self.rng.range(0, 4)) - Decimal::TWO).max(Decimal::ZERO),
            ),
            80..=91 => (
                "beyond tolerance",
                (book - (book / Decimal::TEN).floor() - Decimal::from(3)).max(Decimal::ZERO),
            ),
            _ => ("a large gain needing a supervisor", book + Decimal::from(600)),
        };
        let line = CountLine {
            item: self.world.items[i].code.clone(),
            bin: h.bin.clone(),
            lot: h.lot.clone(),
            status: None,
            counted: self.qty(i, counted)?,
            serials: Vec::new(),
            owner: Some(h.owner.clone()),
        };
        let site = self.world.sites[s].code.clone();
        let what = format!("count of {} at {site}: {counted} against {book} ({how})", line.item);
        let number = self.doc("CNT");
        let body = Body::CycleCount(Count { site, lines: vec![line] });
        let ev = self.now_event(Who::Warehouse, "CYCLE", DocKind::Count, &number, body)?;
        Ok(Some(Step::event(StepKind::Count, what, ev, Expect::Valid)))
    }

    fn gen_hold(&mut self) -> Result<Option<Step>, Error> {
        let Some((i, s, h)) = self.find_held(StockStatus::Available) else { return Ok(None) };
        let q = self.part(h.qty);
        let st = self.world.sites[s].clone();
        let block = self.rng.percent(25);
        let mut line = Self::owner_of(self.line(i, q)?, &h.owner);
        line.bin = h.bin;
        line.lot = h.lot;
        line.from = Some(StockStatus::Available);
        line.to = Some(if block { StockStatus::Blocked } else { StockStatus::QualityHold });
        if !block {
            line.to_bin = self.rng.pick(&st.quality).cloned();
        }
        let what = format!(
            "{q} {} at {} {}",
            self.world.items[i].code,
            st.code,
            if block { "blocked" } else { "put on quality hold" }
        );
        let number = self.doc("QN");
        let who = if block { Who::Control } else { Who::Warehouse };
        let body = Body::StatusChange(SiteLines { site: st.code.clone(), lines: vec![line] });
        let ev = self.now_event(who, "HOLD", DocKind::Internal, &number, body)?;
        Ok(Some(Step::event(StepKind::Hold, what, ev, Expect::Valid)))
    }

    fn gen_release_hold(&mut self) -> Result<Option<Step>, Error> {
        let blocked = self.rng.percent(25);
        let status = if blocked { StockStatus::Blocked } else { StockStatus::QualityHold };
        let Some((i, s, h)) = self.find_held(status) else { return Ok(None) };
        let q = self.part(h.qty);
        let st = self.world.sites[s].clone();
        let mut line = Self::owner_of(self.line(i, q)?, &h.owner);
        line.bin = h.bin;
        line.lot = h.lot;
        line.from = Some(status);
        line.to = Some(StockStatus::Available);
        line.to_bin = self.rng.pick(&st.storage).cloned();
        // The warehouse asks; the release waits for the role that may give it.
        let by_warehouse = self.rng.percent(60);
        let who = match (by_warehouse, blocked) {
            (true, _) => Who::Warehouse,
            (false, false) => Who::Quality,
            (false, true) => Who::Control,
        };
        let what = format!(
            "{q} {} at {} released from {status} by {}",
            self.world.items[i].code,
            st.code,
            who.id()
        );
        let number = self.doc("QN");
        let body = Body::StatusChange(SiteLines { site: st.code.clone(), lines: vec![line] });
        let ev = self.now_event(who, "RELEASE", DocKind::Internal, &number, body)?;
        Ok(Some(Step::event(StepKind::ReleaseHold, what, ev, Expect::Valid)))
    }

    fn gen_return(&mut self) -> Result<Option<Step>, Error> {
        let number = self.doc("RA");
        if self.rng.percent(80) && !self.track.shipments.is_empty() {
            let k = self.rng.index(self.track.shipments.len());
            let sh = self.track.shipments[k].clone();
            let q = self.part(sh.qty);
            if q >= sh.qty {
                self.track.shipments.remove(k);
            } else if let Some(x) = self.track.shipments.get_mut(k) {
                x.qty -= q;
            }
            let st = self.world.sites[sh.site].clone();
            let mut line = self.line(sh.item, q)?.original(sh.event);
            line.bin = pick_bin(&mut self.rng, &st.returns, &st.receiving);
            line.lot = sh.lot;
            let what = format!(
                "{q} {} returned at {} against shipment {}",
                self.world.items[sh.item].code, st.code, sh.event
            );
            let body = Body::CustomerReturn(SiteLines { site: st.code.clone(), lines: vec![line] });
            let ev = self.now_event(
                Who::Warehouse2,
                "RETURN",
                DocKind::ReturnAuthorisation,
                &number,
                body,
            )?;
            return Ok(Some(Step::event(StepKind::Return, what, ev, Expect::Valid)));
        }
        // A return nobody can trace to a shipment: costed on the line. Lot-tracked items
        // come back in a lot the network knows.
        let Some(&(i, s)) = self.rng.pick(&self.world.stocked) else { return Ok(None) };
        let it = self.world.items[i].clone();
        let lot = if it.lot {
            let known = self
                .network
                .ledger()
                .lots()
                .iter()
                .find(|l| l.item == it.ix)
                .map(|l| l.code.clone());
            match known {
                Some(l) => Some(l),
                None => return Ok(None),
            }
        } else {
            None
        };
        let st = self.world.sites[s].clone();
        let q = self.small(i);
        let mut line = self.line(i, q)?.cost(self.usd(it.price));
        line.bin = pick_bin(&mut self.rng, &st.returns, &st.receiving);
        line.lot = lot;
        let what = format!("{q} {} returned at {} without a shipment", it.code, st.code);
        let body = Body::CustomerReturn(SiteLines { site: st.code.clone(), lines: vec![line] });
        let ev =
            self.now_event(Who::Warehouse2, "RETURN", DocKind::ReturnAuthorisation, &number, body)?;
        Ok(Some(Step::event(StepKind::Return, what, ev, Expect::Valid)))
    }

    fn gen_disposition(&mut self) -> Result<Option<Step>, Error> {
        let Some((i, s, h)) = self.find_held(StockStatus::ReturnPending) else { return Ok(None) };
        let q = self.part(h.qty);
        let st = self.world.sites[s].clone();
        let to = match self.rng.below(100) {
            0..=69 => StockStatus::Available,
            70..=89 => StockStatus::Damaged,
            _ => StockStatus::Scrapped,
        };
        let mut line = Self::owner_of(self.line(i, q)?, &h.owner);
        line.bin = h.bin;
        line.lot = h.lot;
        line.from = Some(StockStatus::ReturnPending);
        line.to = Some(to);
        if to == StockStatus::Available {
            line.to_bin = self.rng.pick(&st.storage).cloned();
        }
        let what = format!("inspection at {}: {q} {} to {to}", st.code, self.world.items[i].code);
        let number = self.doc("INS");
        let body = Body::Disposition(SiteLines { site: st.code.clone(), lines: vec![line] });
        let ev =
            self.now_event(Who::Quality, "INSPECTED", DocKind::ReturnAuthorisation, &number, body)?;
        Ok(Some(Step::event(StepKind::Disposition, what, ev, Expect::Valid)))
    }

    fn gen_adjust(&mut self) -> Result<Option<Step>, Error> {
        if self.rng.percent(50) {
            return self.gain(self.clock, StepKind::Adjust);
        }
        let Some((i, s, h)) = self.find_held(StockStatus::Available) else { return Ok(None) };
        // Mostly small; sometimes large enough to wait for a supervisor.
        let q = if self.rng.percent(70) { self.part(h.qty).min(Decimal::from(20)) } else { h.qty };
        let st = self.world.sites[s].clone();
        let mut line = Self::owner_of(self.line(i, q)?, &h.owner);
        line.bin = h.bin;
        line.lot = h.lot;
        line.from = Some(StockStatus::Available);
        let what = format!("{q} {} lost at {}", self.world.items[i].code, st.code);
        let number = self.doc("ADJ");
        let body = Body::Adjustment(SiteLines { site: st.code.clone(), lines: vec![line] });
        let ev = self.now_event(Who::Control, "LOST", DocKind::Internal, &number, body)?;
        Ok(Some(Step::event(StepKind::Adjust, what, ev, Expect::Valid)))
    }

    /// Found stock at a storage bin (in a lot already known at the site, for lot-tracked
    /// items).
    fn gain(&mut self, at: DateTime<Utc>, kind: StepKind) -> Result<Option<Step>, Error> {
        let Some(&(i, s)) = self.rng.pick(&self.world.stocked) else { return Ok(None) };
        let st = self.world.sites[s].clone();
        let q = self.small(i).min(Decimal::from(50));
        let mut line = self.line(i, q)?;
        if self.world.items[i].lot {
            let held = self.held(i, s, StockStatus::Available);
            let Some(h) = self.rng.pick(&held).cloned() else { return Ok(None) };
            line.lot = h.lot;
            line.bin = h.bin;
        } else {
            line.bin = self.rng.pick(&st.storage).cloned();
        }
        line.to = Some(StockStatus::Available);
        // Found stock is valued at the line's price, the reference cost or the pool's
        // cost. An item without a reference cost gets a price on the line most of the
        // time; without one the network may refuse it (when nothing of it is held).
        let it = &self.world.items[i];
        let (costed, price) = (it.costed, it.price);
        let mut expect = Expect::Valid;
        if !costed {
            if self.rng.percent(75) {
                line.unit_cost = Some(self.usd(price));
            } else {
                expect = Expect::Either;
            }
        }
        let what = format!(
            "{} {} found at {}{}",
            line.qty,
            line.item,
            st.code,
            if at < self.clock { format!(", effective {at}") } else { String::new() }
        );
        let number = self.doc("ADJ");
        let body = Body::Adjustment(SiteLines { site: st.code.clone(), lines: vec![line] });
        let ev = self.event(Who::Control, "FOUND", DocKind::Internal, &number, body, at)?;
        Ok(Some(Step::event(kind, what, ev, expect)))
    }

    fn gen_scrap(&mut self) -> Result<Option<Step>, Error> {
        let (status, reason) = if self.rng.percent(60) {
            (StockStatus::Damaged, "DAMAGED")
        } else {
            (StockStatus::Scrapped, "DISPOSAL")
        };
        let Some((i, s, h)) = self.find_held(status) else { return Ok(None) };
        let st = self.world.sites[s].clone();
        let mut line = Self::owner_of(self.line(i, h.qty)?, &h.owner);
        line.bin = h.bin;
        line.lot = h.lot;
        line.from = Some(status);
        let what =
            format!("{} {} {status} at {} scrapped", h.qty, self.world.items[i].code, st.code);
        let number = self.doc("SCR");
        let body = Body::Scrap(SiteLines { site: st.code.clone(), lines: vec![line] });
        let ev = self.now_event(Who::Control, reason, DocKind::Internal, &number, body)?;
        Ok(Some(Step::event(StepKind::Scrap, what, ev, Expect::Valid)))
    }

    fn gen_approve(&mut self) -> Result<Option<Step>, Error> {
        let pending: Vec<(EventId, ActorId, Vec<Role>, DateTime<Utc>)> = self
            .network
            .ledger()
            .pending()
            .map(|(id, p)| (*id, p.event.actor.id.clone(), p.needs.clone(), p.event.effective_at))
            .collect();
        let Some((id, by, needs, at)) = self.rng.pick(&pending).cloned() else { return Ok(None) };
        let Some(role) = needs.first().copied() else { return Ok(None) };
        let Some(who) =
            Who::ALL.iter().copied().find(|w| w.role() == role && w.id() != by.as_str())
        else {
            return Ok(None);
        };
        let reject = self.rng.percent(20);
        let body = if reject { Body::Reject { event: id } } else { Body::Approve { event: id } };
        let what =
            format!("{} {} event {id}", who.id(), if reject { "rejects" } else { "approves" });
        let number = self.doc("APR");
        let ev = self.now_event(
            who,
            if reject { "REJECTED" } else { "APPROVED" },
            DocKind::Internal,
            &number,
            body,
        )?;
        // What a held event moves may have moved since it was submitted (another event
        // took the stock, the transfer was closed, the period closed before it): the
        // approval may then be refused, with nothing changed.
        let _ = at;
        let expect = Expect::Either;
        Ok(Some(Step::event(StepKind::Approve, what, ev, expect)))
    }

    /// A time in the open period some hours before now, and the same kept after the
    /// latest reversal or return to supplier.
    fn back_time(&mut self) -> (DateTime<Utc>, DateTime<Utc>) {
        let hours = i64::try_from(self.rng.range(1, 20)).unwrap_or(1);
        let floor = self
            .network
            .ledger()
            .closed_through()
            .map_or(self.setup.start, |c| c.max(self.setup.start))
            + Duration::minutes(1);
        let after = self.track.withdrawn_at.map_or(floor, |w| floor.max(w + Duration::minutes(1)));
        let back = self.clock - Duration::hours(hours);
        (back.max(floor).min(self.clock), back.max(after).min(self.clock))
    }

    fn gen_back_dated(&mut self) -> Result<Option<Step>, Error> {
        // Receipts and gains may land before a withdrawal; a loss may not.
        let (any, after) = self.back_time();
        match self.rng.below(3) {
            0 => self.gain(any, StepKind::BackDated),
            1 => {
                let Some(&(i, s)) = self.rng.pick(&self.world.stocked) else { return Ok(None) };
                let q = self.small(i);
                let at = any;
                let ev = self.receipt_without_order(i, s, q, true, at)?;
                let what = format!(
                    "{q} {} received at {}, effective {at}",
                    self.world.items[i].code, self.world.sites[s].code
                );
                Ok(Some(Step::event(StepKind::BackDated, what, ev, Expect::Valid)))
            }
            _ => {
                // A back-dated loss: refused when a later balance would go below zero.
                let at = after;
                let Some((i, s, h)) = self.find_held(StockStatus::Available) else {
                    return Ok(None);
                };
                let q = self.part(h.qty).min(Decimal::from(20));
                let st = self.world.sites[s].clone();
                let mut line = Self::owner_of(self.line(i, q)?, &h.owner);
                line.bin = h.bin;
                line.lot = h.lot;
                line.from = Some(StockStatus::Available);
                let what =
                    format!("{q} {} lost at {}, effective {at}", self.world.items[i].code, st.code);
                let number = self.doc("ADJ");
                let body = Body::Adjustment(SiteLines { site: st.code.clone(), lines: vec![line] });
                let ev = self.event(Who::Control, "LOST", DocKind::Internal, &number, body, at)?;
                Ok(Some(Step::event(StepKind::BackDated, what, ev, Expect::Either)))
            }
        }
    }

    /// A reversal of a recent receipt, adjustment, scrap, shipment, or pick none of which
    /// has shipped (a pick or shipment for an order line gives the line back what it
    /// used up).
    fn gen_reverse(&mut self) -> Result<Option<Step>, Error> {
        let unshipped = |e: &Event, m: &SiteLines| {
            m.lines
                .iter()
                .all(|l| self.track.picks.iter().any(|p| p.event == e.id && p.qty == l.qty.value()))
        };
        let candidates: Vec<EventId> = self
            .track
            .recent
            .iter()
            .filter(|e| match &e.body {
                Body::Receipt(_) | Body::Adjustment(_) | Body::Scrap(_) | Body::Ship(_) => true,
                Body::Pick(m) => e.reference.kind == DocKind::SalesOrder && unshipped(e, m),
                _ => false,
            })
            .map(|e| e.id)
            .collect();
        let Some(&original) = self.rng.pick(&candidates) else { return Ok(None) };
        let what = format!("event {original} reversed");
        let number = self.doc("REV");
        let body = Body::Reversal { event: original };
        let ev = self.now_event(Who::Control, "CORRECTION", DocKind::Internal, &number, body)?;
        self.track.withdrawn_at = Some(ev.effective_at);
        Ok(Some(Step::event(StepKind::Reverse, what, ev, Expect::Either)))
    }

    /// Part of a recent purchase receipt's goods back to the supplier, from stock of its
    /// item (and lot) at its site in receiving, available or quality hold.
    fn gen_supplier_return(&mut self) -> Result<Option<Step>, Error> {
        let receipts: Vec<(EventId, SiteLines)> = self
            .track
            .recent
            .iter()
            .filter_map(|e| match &e.body {
                Body::Receipt(m) => Some((e.id, m.clone())),
                _ => None,
            })
            .collect();
        let Some((receipt, mv)) = self.rng.pick(&receipts).cloned() else { return Ok(None) };
        let Some(s) = self.world.sites.iter().position(|st| st.code == mv.site) else {
            return Ok(None);
        };
        // Part of every item the receipt brought (a receipt of two items, both back at
        // once: the books cost the lines as one, and refuse them as one).
        let mut lines = Vec::with_capacity(mv.lines.len());
        let mut parts = Vec::with_capacity(mv.lines.len());
        for first in &mv.lines {
            let Some(i) = self.world.items.iter().position(|it| it.code == first.item) else {
                continue;
            };
            // From where the receipt put the goods, or where they went since.
            let mut held: Vec<(StockStatus, Held)> = Vec::new();
            for status in [StockStatus::Receiving, StockStatus::Available, StockStatus::QualityHold]
            {
                held.extend(
                    self.held(i, s, status)
                        .into_iter()
                        .filter(|h| {
                            h.lot == first.lot && first.owner.as_ref().is_none_or(|o| *o == h.owner)
                        })
                        .map(|h| (status, h)),
                );
            }
            let Some((status, h)) = self.rng.pick(&held).cloned() else { continue };
            let q = self.part(h.qty);
            let mut line = Self::owner_of(self.line(i, q)?, &h.owner).original(receipt);
            line.bin = h.bin;
            line.lot = h.lot;
            line.from = Some(status);
            lines.push(line);
            parts.push(format!("{q} {}", self.world.items[i].code));
        }
        if lines.is_empty() {
            return Ok(None);
        }
        let st = self.world.sites[s].clone();
        let what = format!(
            "{} back to the supplier from {} against receipt {receipt}",
            parts.join(" and "),
            st.code
        );
        let number = self.doc("RTV");
        let body = Body::SupplierReturn(SiteLines { site: st.code.clone(), lines });
        let ev = self.now_event(Who::Warehouse, "RTV", DocKind::PurchaseOrder, &number, body)?;
        self.track.withdrawn_at = Some(ev.effective_at);
        // Refused beyond what the receipt brought in (earlier returns, other stock).
        Ok(Some(Step::event(StepKind::SupplierReturn, what, ev, Expect::Either)))
    }

    fn gen_duplicate(&mut self) -> Option<Step> {
        let e = self.rng.pick(&self.track.recent)?.clone();
        let what = format!("event {} re-submitted", e.id);
        Some(Step::event(StepKind::Duplicate, what, e, Expect::Duplicate))
    }

    #[allow(clippy::too_many_lines)] // one case per kind of mistake, read top to bottom
    fn gen_invalid(&mut self) -> Result<Option<Step>, Error> {
        let kind = StepKind::Invalid;
        let invalid = |what: String, ev: Event| Some(Step::event(kind, what, ev, Expect::Invalid));
        let mut choice = self.rng.below(6);
        if choice == 3 && self.world.items.iter().all(|it| it.costed) {
            choice = 0; // every item has a cost: nothing to receive uncosted
        }
        match choice {
            0 => {
                // An over-pick from a bin.
                let Some((i, s, h)) = self.find_held(StockStatus::Available) else {
                    return Ok(None);
                };
                let st = self.world.sites[s].clone();
                let q = h.qty + Decimal::from(self.rng.range(1, 10));
                let mut line = Self::owner_of(self.line(i, q)?, &h.owner);
                line.bin = h.bin;
                line.lot = h.lot;
                line.to_bin = self.rng.pick(&st.staging).cloned();
                let number = self.doc("SO");
                let what = format!(
                    "over-pick of {q} {} at {} (holds {})",
                    self.world.items[i].code, st.code, h.qty
                );
                let body = Body::Pick(SiteLines { site: st.code.clone(), lines: vec![line] });
                let ev =
                    self.now_event(Who::Warehouse, "PICK", DocKind::SalesOrder, &number, body)?;
                Ok(invalid(what, ev))
            }
            1 => {
                // A bin the site does not have.
                let Some((i, s, h)) = self.find_held(StockStatus::Available) else {
                    return Ok(None);
                };
                let st = self.world.sites[s].clone();
                let mut line = Self::owner_of(self.line(i, h.qty)?, &h.owner);
                line.bin = Some(BinCode::new("NOPE-99")?);
                line.lot = h.lot;
                let number = self.doc("PA");
                let what = format!("put-away from unknown bin NOPE-99 at {}", st.code);
                let body = Body::Putaway(SiteLines { site: st.code.clone(), lines: vec![line] });
                let ev =
                    self.now_event(Who::Warehouse, "PUTAWAY", DocKind::Internal, &number, body)?;
                Ok(invalid(what, ev))
            }
            2 => {
                // A return naming a shipment of another item.
                let Some(sh) = self.rng.pick(&self.track.shipments).cloned() else {
                    return Ok(None);
                };
                let others: Vec<usize> = (0..self.world.items.len())
                    .filter(|i| *i != sh.item && !self.world.items[*i].lot)
                    .collect();
                let Some(&other) = self.rng.pick(&others) else { return Ok(None) };
                let st = self.world.sites[sh.site].clone();
                let mut line = self.line(other, Decimal::ONE)?.original(sh.event);
                line.bin = pick_bin(&mut self.rng, &st.returns, &st.receiving);
                let number = self.doc("RA");
                let what = format!(
                    "return of {} against shipment {} of {}",
                    self.world.items[other].code, sh.event, self.world.items[sh.item].code
                );
                let body =
                    Body::CustomerReturn(SiteLines { site: st.code.clone(), lines: vec![line] });
                let ev = self.now_event(
                    Who::Warehouse2,
                    "RETURN",
                    DocKind::ReturnAuthorisation,
                    &number,
                    body,
                )?;
                Ok(invalid(what, ev))
            }
            3 => {
                // A receipt no one can cost: no price on the line, no order, no
                // reference cost.
                let uncosted: Vec<(usize, usize)> = self
                    .world
                    .stocked
                    .iter()
                    .copied()
                    .filter(|(i, _)| !self.world.items[*i].costed)
                    .collect();
                let Some(&(i, s)) = self.rng.pick(&uncosted) else { return Ok(None) };
                let mut ev = self.receipt_without_order(i, s, Decimal::ONE, false, self.clock)?;
                // Half the time after a line that can be costed, of another item: the
                // receipt is refused whole, the costed line with it.
                let costed: Vec<usize> = (0..self.world.items.len())
                    .filter(|&k| k != i && self.world.items[k].costed)
                    .collect();
                let other = self.rng.pick(&costed).copied();
                let first = match other {
                    Some(k) if self.rng.percent(50) => {
                        let q = Decimal::from(self.rng.range(1, 5));
                        let line = self.receiving_line(k, s, q, true)?;
                        if let Body::Receipt(m) = &mut ev.body {
                            m.lines.insert(0, line);
                        }
                        format!(" after a costed line of {}", self.world.items[k].code)
                    }
                    _ => String::new(),
                };
                let what = format!(
                    "receipt of {} at {} with no cost{first}",
                    self.world.items[i].code, self.world.sites[s].code
                );
                Ok(invalid(what, ev))
            }
            4 => {
                // The requester approves their own transfer.
                let Some(o) = self.transfer_in(&[TransferState::Requested]) else {
                    return Ok(None);
                };
                let what = format!("{} approved by its own requester", o.number);
                let ev = self.now_event(
                    Who::Planner,
                    "APPROVE",
                    DocKind::TransferOrder,
                    o.number.as_str(),
                    Body::TransferApprove,
                )?;
                Ok(invalid(what, ev))
            }
            _ => {
                // A reason the rules do not accept for an adjustment.
                let Some((i, s, h)) = self.find_held(StockStatus::Available) else {
                    return Ok(None);
                };
                let st = self.world.sites[s].clone();
                let mut line = Self::owner_of(self.line(i, Decimal::ONE.min(h.qty))?, &h.owner);
                line.bin = h.bin;
                line.lot = h.lot;
                line.from = Some(StockStatus::Available);
                let number = self.doc("ADJ");
                let what = format!("adjustment at {} for reason WHIM", st.code);
                let body = Body::Adjustment(SiteLines { site: st.code.clone(), lines: vec![line] });
                let ev = self.now_event(Who::Control, "WHIM", DocKind::Internal, &number, body)?;
                Ok(invalid(what, ev))
            }
        }
    }
}

fn tuple(
    (v, e): (serde_json::Value, Option<Error>),
) -> (serde_json::Value, Option<Error>, Option<Outcome>) {
    (v, e, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_follows_the_reference_sequence() {
        // The reference implementation's first outputs for seed 0.
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(r.next_u64(), 0x6e78_9e6a_a1b9_65f4);
        assert_eq!(r.next_u64(), 0x06c4_5d18_8009_454f);
        let mut r = SplitMix64::new(42);
        for _ in 0..1000 {
            assert!(r.below(7) < 7);
            let x = r.range(3, 5);
            assert!((3..=5).contains(&x));
        }
        assert_eq!(r.below(0), 0);
    }

    #[test]
    fn a_mix_from_bytes_weighs_each_kind_by_its_byte() {
        let m = Mix::from_bytes(&[0, 5]);
        assert_eq!(m.weight(StepKind::Purchase), 0);
        assert_eq!(m.weight(StepKind::ChangePurchase), 5);
        assert_eq!(m.weight(StepKind::Invalid), 1);
        assert_eq!(Mix::from_bytes(&[0; 40]), Mix::realistic());
        let only = Mix::from_bytes(&[0; 40]).with(StepKind::Count, 0);
        assert_eq!(only.weight(StepKind::Count), 0);
    }

    #[test]
    fn a_key_set_draws_only_what_it_holds() {
        let mut s = KeySet::default();
        for k in 0..10 {
            s.insert(k);
        }
        for k in (0..10).step_by(2) {
            s.remove(&k);
        }
        s.remove(&99);
        let mut rng = SplitMix64::new(1);
        for _ in 0..100 {
            let k = s.draw(&mut rng).unwrap_or(0);
            assert!(k % 2 == 1, "{k}");
        }
        assert_eq!(s.list.len(), 5);
        assert!(s.list.iter().enumerate().all(|(i, k)| s.at.get(k) == Some(&i)));
    }
}
