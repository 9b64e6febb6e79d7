//! The network's exception queue, fed from what its calls report: the one place that
//! turns the network's [`Signal`]s into the queue's signals and clearances.
//!
//! Every call that changes the network hands what it reported (its signals) and the
//! item-sites it touched to [`Network::raise_exceptions`]; nothing else raises or clears
//! an exception. The table of what raises and clears what is on [`Network::control`].
//!
//! The queue's clock never goes back: each signal is stamped with the latest of its own
//! time and every time fed before, so a late-recorded event updates its exception instead
//! of being ignored as stale.
//!
//! Escalation runs as time moves on ([`Network::advance_to`]); actors' actions go through
//! [`Network::act`] and are journaled, so a replayed network has the same queue.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use onhand_control::{
    Action, ApprovalTask, ClearReason, Clearance, Control, ControlSnapshot, ExceptionId,
    ExceptionKind, Hold, Impact, Rate, Rules, ServiceClass, Signal as Raise, State, Subject,
};
use onhand_ledger::{Actor, Body, DocNumber, Event, EventId, PositionKey};
use onhand_master::{Catalog, CurrencyCode, EntityCode, ItemCode, ItemIx, SiteCode, SiteIx};
use onhand_status::StockStatus;
use onhand_valuation::{Mismatch, Reconciliation};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::config::NetworkConfig;
use crate::error::Error;
use crate::journal::Command;
use crate::network::Network;
use crate::orders::OrderRef;
use crate::outcome::{Outcome, Signal};

/// The queue and what the network remembers to clear its exceptions from data.
#[derive(Debug, Clone)]
pub(crate) struct Exceptions {
    control: Control,
    /// The latest time fed to the queue.
    clock: Option<DateTime<Utc>>,
    /// Seconds held stock may wait before it is an exception.
    hold_limit: i64,
    /// Lines signalled short, per item-site.
    short: BTreeMap<(ItemIx, SiteIx), BTreeSet<OrderRef>>,
    /// Item-sites raised with a count variance.
    varied: BTreeSet<(ItemIx, SiteIx)>,
    /// Item-sites raised below their reorder point.
    below: BTreeSet<(ItemIx, SiteIx)>,
    /// Item-sites raised with negative stock.
    negative: BTreeSet<(ItemIx, SiteIx)>,
    /// Item-sites with held stock, since when; whether it was raised overdue.
    held: BTreeMap<(ItemIx, SiteIx), (DateTime<Utc>, bool)>,
    /// Purchase orders raised overdue.
    late_orders: BTreeSet<DocNumber>,
    /// Transfer orders raised overdue.
    late_transfers: BTreeSet<DocNumber>,
    /// Entity pairs raised as not reconciling.
    mismatched: BTreeSet<(EntityCode, EntityCode)>,
    /// Planned item-sites raised at risk of stocking out, with the shortfall last raised.
    at_risk: BTreeMap<(ItemIx, SiteIx), Decimal>,
    /// The intercompany gaps last worked out, and the valuation's count of applied
    /// events then ([`Valuation::applied`](onhand_valuation::Valuation::applied)): the
    /// open items and transfers they come from change only with it, so `advance_to`
    /// reads every open item again only after the books moved. A cache (not in
    /// snapshots): a restored network works them out at its first `advance_to`.
    gaps: Option<(u64, Gaps)>,
}

impl Exceptions {
    /// The queue for a network over `catalog` whose ledger counts in `currency`.
    pub(crate) fn new(
        catalog: &Catalog,
        currency: CurrencyCode,
        config: &NetworkConfig,
    ) -> Result<Exceptions, Error> {
        let currencies: BTreeSet<CurrencyCode> =
            catalog.data().entities.iter().map(|e| e.currency).collect();
        let rules = if let Some(rules) = &config.control.rules {
            checked_rules(rules, &currencies)?
        } else {
            default_rules(currency, currencies, config)
        };
        Ok(Exceptions {
            control: Control::new(rules)?,
            clock: None,
            hold_limit: i64::from(config.control.hold_limit_hours) * 3600,
            short: BTreeMap::new(),
            varied: BTreeSet::new(),
            below: BTreeSet::new(),
            negative: BTreeSet::new(),
            held: BTreeMap::new(),
            late_orders: BTreeSet::new(),
            late_transfers: BTreeSet::new(),
            mismatched: BTreeSet::new(),
            at_risk: BTreeMap::new(),
            gaps: None,
        })
    }

    /// `at`, or the latest time fed before if that is later; remembered.
    fn stamp(&mut self, at: DateTime<Utc>) -> DateTime<Utc> {
        let t = self.clock.map_or(at, |c| c.max(at));
        self.clock = Some(t);
        t
    }

    /// Whether anything is remembered that touched item-sites may clear.
    fn watches_sites(&self) -> bool {
        !(self.short.is_empty()
            && self.below.is_empty()
            && self.negative.is_empty()
            && self.held.is_empty())
    }
}

/// Rules given in the configuration, refused when some entity currency has no rate or
/// a threshold could leave a held event without its task.
fn checked_rules(rules: &Rules, currencies: &BTreeSet<CurrencyCode>) -> Result<Rules, Error> {
    let rated = |c: &CurrencyCode| {
        *c == rules.reference_currency || rules.rates.iter().any(|r| r.currency == *c)
    };
    if let Some(c) = currencies.iter().find(|c| !rated(c)) {
        return Err(Error::Config {
            what: format!(
                "the control rules give no rate from {c} to {}",
                rules.reference_currency
            ),
        });
    }
    if rules.thresholds.iter().any(|t| t.kind == ExceptionKind::PendingApproval) {
        return Err(Error::Config {
            what: "the control rules set a threshold on pending approvals: every held event must be an approval task".into(),
        });
    }
    Ok(rules.clone())
}

/// The standard rules in `currency`, with a rate for every other entity currency from
/// the configured exchange rates (either direction), at parity where none is given.
fn default_rules(
    currency: CurrencyCode,
    currencies: BTreeSet<CurrencyCode>,
    config: &NetworkConfig,
) -> Rules {
    let mut rules = Rules::standard(currency);
    for c in currencies.into_iter().filter(|c| *c != currency) {
        let direct = config.rates.iter().find(|r| r.from == c && r.to == currency);
        let inverse = config.rates.iter().find(|r| r.from == currency && r.to == c);
        let rate = match (direct, inverse) {
            (Some(r), _) => Some(r.rate),
            (None, Some(r)) => Decimal::ONE.checked_div(r.rate),
            (None, None) => None,
        };
        // Parity only ranks: documented on `ControlSettings::rules`.
        let rate = rate.filter(|r| *r > Decimal::ZERO).unwrap_or(Decimal::ONE);
        rules.rates.push(Rate { currency: c, rate });
    }
    rules
}

/// The largest value at risk handed to the exception queue (10^12 in the entity's
/// currency): any real one is far below, and the queue converts it into its reference
/// currency in `i64` minor units, which a larger one times a rate could overflow.
const RANKED_VALUE_CAP: Decimal = Decimal::from_parts(0xD4A5_1000, 0xE8, 0, false, 0);

/// `one` added to `sum`: quantities always, values when they are in the same currency
/// (the first's is kept).
/// Sums saturate: an impact is a ranking figure, and one past the decimal range
/// (quantities near the bounds on many lines) ranks as the largest, never a panic.
fn add(sum: Option<Impact>, one: Impact) -> Impact {
    match sum {
        None => one,
        Some(mut sum) => {
            if sum.currency == one.currency {
                sum.value = sum.value.saturating_add(one.value);
            }
            sum.quantity = sum.quantity.saturating_add(one.quantity);
            sum
        }
    }
}

/// A held event's approval site, valuation site and quantities moved per item.
type HeldScope = (Option<SiteIx>, Option<SiteIx>, Vec<(ItemIx, Decimal)>);

/// A service class from an order line's priority (1 is the most urgent).
fn service_class(priority: u8) -> ServiceClass {
    match priority {
        0 | 1 => ServiceClass::Key,
        2..=8 => ServiceClass::Standard,
        _ => ServiceClass::Economy,
    }
}

/// Whether stock in `status` is held (quality hold, blocked or damaged).
fn is_held(status: StockStatus) -> bool {
    matches!(status, StockStatus::QualityHold | StockStatus::Blocked | StockStatus::Damaged)
}

impl Network {
    /// The exception queue: every exception raised from this network's outcomes, ranked,
    /// routed and escalated by [`ControlSettings`](crate::ControlSettings). Read it for
    /// the host ([`Control::top`], [`Control::backlog`]) or per actor
    /// ([`Control::view`], a security boundary); change it through the network
    /// ([`act`](Self::act), [`advance_to`](Self::advance_to), and the events that clear
    /// causes).
    ///
    /// Nothing but the network raises or clears an exception, and only from what its
    /// calls report:
    ///
    /// | Network signal or fact | Exception kind | Subject | Cleared when |
    /// |---|---|---|---|
    /// | [`Signal::LineShort`] | `line_short_or_late` | the order line | the item-site is no longer overcommitted (stock or supply arrived: `stock_arrived`), or the line left the book (`fulfilled`) |
    /// | [`Signal::BelowReorderPoint`] | `below_reorder_point` | item at site | its inventory position is back above the reorder point (`stock_arrived`) |
    /// | [`Signal::VarianceOverTolerance`] | `count_variance` (and, by recurrence, `recurring_count_variance`) | item at site | a later count of the item there finds no variance beyond tolerance (`recounted`) |
    /// | stock on quality hold, blocked or damaged longer than [`ControlSettings::hold_limit_hours`](crate::ControlSettings::hold_limit_hours) (checked as time moves on) | `quality_hold_overdue` | item at site | none of it is held any more (`released`) |
    /// | [`Signal::PendingApproval`] | `pending_approval`, with the approval task | the held event | the ledger applies it (`approved`) or drops it (`rejected`) |
    /// | [`Signal::TransferDiscrepancy`] | `transfer_discrepancy` | the transfer and item | by an actor |
    /// | [`Signal::TransferOverdue`] | `transfer_overdue` | the transfer | nothing of it is outstanding (`received`) |
    /// | [`Signal::ExpectedReceiptOverdue`] | `receipt_overdue` | the purchase order | none of its lines is open and overdue (`received`) |
    /// | [`Signal::NegativeStock`] | `negative_stock` | item at site | no position of the item there is negative (`stock_arrived`) |
    /// | a planned item-site's available to promise today (look-ahead: free stock plus dated receipts and transfers on the way less promised lines, at its lowest point) below its demand over the policy's protection interval (checked whenever a call touches the item-site) | `stockout_risk` | item at site | that supply covers the demand again (`stock_arrived`) |
    /// | intercompany receivables and payables that differ beyond timing (checked as time moves on) | `intercompany_mismatch` | seller and buyer | they reconcile (`reconciled`) |
    ///
    /// **Impact** comes from the network's own figures: the value at risk is the quantity at
    /// stake times the unit cost of the item in the site entity's pool (before the pool
    /// has one, the item's reference cost, else the unit cost the item-site's
    /// replenishment plan buys at; zero when none is known), in that entity's currency;
    /// the quantity is in the item's base unit; a short line carries its customer and a
    /// service class from its priority (1: key, 2 to 8: standard, 9 and above: economy); a
    /// below-reorder-point exception carries the planner's days to stockout. A late-recorded event is stamped with the latest
    /// time the queue has seen, so it updates its exception instead of being ignored as
    /// stale.
    ///
    /// ```
    /// use onhand::control::{ExceptionKind, Subject};
    /// use onhand::ledger::seed::demo_day;
    /// use onhand::ledger::{Body, Rules};
    /// use onhand::master::{seed, CurrencyCode};
    /// use onhand::{Network, NetworkConfig};
    ///
    /// let mut rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// rules.reference_costs.insert("GLUE-500".parse()?, onhand::ledger::ReferenceCost("4.20".parse()?));
    /// let mut network = Network::new(seed::demo_network(), rules, NetworkConfig::default(), onhand::ledger::testing::at(-180))?;
    /// let day = demo_day()?;
    /// // Up to the warehouse's release from quality hold, which needs the quality role.
    /// let upto = day.iter().position(|d| d.event.reason.as_str() == "RELEASE").ok_or("no release")?;
    /// for d in &day[..=upto] {
    ///     let _ = network.apply(&d.event); // the other receipts have no cost here: refused
    /// }
    /// let held = &day[upto].event;
    /// let task = network.control().active(ExceptionKind::PendingApproval, &Subject::Event { event: held.id });
    /// assert!(task.is_some_and(|e| e.hold.as_ref().is_some_and(|h| h.poster == held.actor.id)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn control(&self) -> &Control {
        &self.exceptions.control
    }

    /// The approval tasks routed to `actor`: held events needing a role it holds, at a
    /// site in its scope, that it did not post; in rank order. It decides one by posting
    /// an approval or rejection through [`apply`](Self::apply).
    #[must_use]
    pub fn approval_tasks(&self, actor: &Actor) -> Vec<ApprovalTask> {
        self.exceptions.control.approvals_for(actor)
    }

    /// `actor` takes `action` on exception `id` at `at` (acknowledge, start, resolve,
    /// cancel); returns the new state. Journaled, so a replayed network has the same
    /// queue.
    ///
    /// # Errors
    /// [`Error::Control`]: an unknown exception, an actor without one of its roles or
    /// outside its site, an illegal transition (reopening is always one), resolving or
    /// cancelling a pending approval (decide it through [`apply`](Self::apply)). Nothing
    /// changes.
    pub fn act(
        &mut self,
        id: ExceptionId,
        actor: &Actor,
        action: Action,
        at: DateTime<Utc>,
    ) -> Result<State, Error> {
        self.check_live()?;
        let command = Command::Act { exception: id, actor: actor.clone(), action, at };
        let mark = self.journal.next(&command)?;
        let state = self.exceptions.control.act(id, actor, action, at)?;
        self.journal.push(mark, command);
        Ok(state)
    }

    /// The item-sites where lines were signalled short, to re-check after the book
    /// changed.
    pub(crate) fn short_line_sites(&self) -> Vec<(ItemIx, SiteIx)> {
        self.exceptions.short.keys().copied().collect()
    }

    /// Whether lines at `key` were signalled short.
    pub(crate) fn short_line_sites_contains(&self, key: (ItemIx, SiteIx)) -> bool {
        self.exceptions.short.contains_key(&key)
    }

    /// The held event an approval would release, read before the ledger forgets it.
    pub(crate) fn held_by(&self, event: &Event) -> Option<Event> {
        let Body::Approve { event: id } = &event.body else { return None };
        self.ledger.pending_event(id).map(|p| p.event.clone())
    }

    /// Feeds one accepted or held event's outcome to the queue; `released` is the held
    /// event an approval applied, whose own consequences clear exceptions as if it had
    /// been applied directly.
    pub(crate) fn raise_for_event(
        &mut self,
        event: &Event,
        released: Option<&Event>,
        out: &Outcome,
    ) -> Result<(), Error> {
        let at = event.recorded_at;
        let mut touched: Vec<(ItemIx, SiteIx)> = Vec::new();
        if self.exceptions.watches_sites() || self.planner.is_some() {
            let codes = out
                .positions
                .iter()
                .filter(|p| p.status != StockStatus::InTransit)
                .map(|p| (&p.item, &p.site))
                .chain(out.availability.iter().map(|a| (&a.item, &a.site)))
                .chain(out.supply.iter().map(|s| (&s.item, &s.site)));
            for (item, site) in codes {
                if let (Some(i), Some(s)) = (self.catalog.item_ix(item), self.catalog.site_ix(site))
                    && !touched.contains(&(i, s))
                {
                    touched.push((i, s));
                }
            }
        }
        self.raise_exceptions(at, &out.signals, &touched)?;
        if !out.accepted() {
            return Ok(());
        }
        let at = self.exceptions.stamp(at);
        let moving = match &event.body {
            Body::Approve { .. } => released,
            _ => Some(event),
        };
        let Some(moving) = moving else { return Ok(()) };
        let number = &moving.reference.number;
        match &moving.body {
            Body::CycleCount(c) if !self.exceptions.varied.is_empty() => {
                // A count that found no variance beyond tolerance clears the item's.
                for line in &c.lines {
                    let Some(key) = self.ix(&line.item, &c.site) else { continue };
                    if !self.exceptions.varied.contains(&key) {
                        continue;
                    }
                    let varied = out.signals.iter().any(|s| {
                        matches!(s, Signal::VarianceOverTolerance { item, site, .. }
                            if *item == line.item && *site == c.site)
                    });
                    if !varied {
                        self.exceptions.varied.remove(&key);
                        let subject = Subject::ItemSite {
                            item: line.item.clone(),
                            site: c.site.clone(),
                            lot: None,
                        };
                        self.clear(
                            ExceptionKind::CountVariance,
                            subject,
                            at,
                            ClearReason::Recounted,
                        )?;
                    }
                }
            }
            Body::TransferReceipt(_) | Body::TransferClose
                if self.exceptions.late_transfers.contains(number)
                    && self.ledger.transfer(number).is_none_or(|o| {
                        o.lines.iter().all(|l| l.outstanding() <= Decimal::ZERO)
                    }) =>
            {
                self.exceptions.late_transfers.remove(number);
                let subject = Subject::Transfer { transfer: number.clone(), item: None };
                self.clear(ExceptionKind::TransferOverdue, subject, at, ClearReason::Received)?;
            }
            Body::Receipt(_) => self.check_late_order(number, at)?,
            _ => {}
        }
        Ok(())
    }

    /// Clears a purchase order's overdue exception when none of its lines is open and
    /// past due any more.
    pub(crate) fn check_late_order(
        &mut self,
        order: &DocNumber,
        at: DateTime<Utc>,
    ) -> Result<(), Error> {
        if !self.exceptions.late_orders.contains(order) {
            return Ok(());
        }
        let today = self.now.date_naive();
        let late = self
            .receipts
            .range((order.clone(), 0)..=(order.clone(), u32::MAX))
            .any(|(_, r)| r.open > Decimal::ZERO && r.expected.due < today);
        if !late {
            self.exceptions.late_orders.remove(order);
            let subject = Subject::Receipt { order: order.clone() };
            self.clear(ExceptionKind::ReceiptOverdue, subject, at, ClearReason::Received)?;
        }
        Ok(())
    }

    /// Raises and updates exceptions from `signals` observed at `at`, then clears what
    /// the `touched` item-sites show is gone.
    pub(crate) fn raise_exceptions(
        &mut self,
        at: DateTime<Utc>,
        signals: &[Signal],
        touched: &[(ItemIx, SiteIx)],
    ) -> Result<(), Error> {
        if signals.is_empty() && touched.is_empty() {
            return Ok(());
        }
        let at = self.exceptions.stamp(at);
        for s in signals {
            self.raise_one(s, at)?;
        }
        for key in touched {
            self.clear_site(*key, at)?;
        }
        if self.planner.is_some() {
            // A line for an item may be served from its substitutes' stock: their
            // availability at the same sites moved too.
            let mut keys: BTreeSet<(ItemIx, SiteIx)> = touched.iter().copied().collect();
            for &(item, site) in touched {
                let subs = self.catalog.item(item).map_or(&[][..], |i| &i.substitutes[..]);
                for sub in subs {
                    if let Some(x) = self.catalog.item_ix(&sub.item) {
                        keys.insert((x, site));
                    }
                }
            }
            for key in keys {
                self.check_stockout(key, at)?;
            }
        }
        Ok(())
    }

    /// For a planned item-site, what it has to cover demand until supply ordered now
    /// could arrive, against that demand: `(cover, demand over the protection interval,
    /// daily demand)`. The cover is what the site can still promise today to any demand,
    /// with the availability engine's look-ahead: free stock, plus every expected receipt
    /// and transfer on the way on its date, less every promised line on its date, at the
    /// lowest point from today on. The interval is the policy's (the lead time, plus the
    /// review period for periodic review). `None` for an item-site not planned here,
    /// without demand, or with supply beyond the checking horizon.
    fn stockout_cover(
        &self,
        (item, site): (ItemIx, SiteIx),
    ) -> Result<Option<(Decimal, Decimal, Decimal)>, Error> {
        let Some(planner) = &self.planner else { return Ok(None) };
        if !self.below.contains_key(&(item, site)) {
            return Ok(None); // not planned, or another partition's item
        }
        let (item, site) = (self.item_code(item)?, self.site_code(site)?);
        let Some(p) = planner.parameters(&item, &site) else { return Ok(None) };
        let (Ok(daily), Ok(days)) =
            (Decimal::try_from(p.daily_demand), Decimal::try_from(p.interval_days))
        else {
            return Ok(None); // not finite: the planner refuses such statistics
        };
        // Statistics are f64: a demand of 100 a day must not read as 99.999...
        let (daily, days) = (daily.round_dp(6), days.round_dp(6));
        let Some(demand) = daily.checked_mul(days) else { return Ok(None) };
        if demand <= Decimal::ZERO || daily <= Decimal::ZERO {
            return Ok(None);
        }
        let onhand_atp::Availability::Limited(cover) =
            self.atp.atp(&item, &site, self.atp.today(), u8::MAX)?
        else {
            return Ok(None); // unlimited: beyond the checking horizon
        };
        Ok(Some((cover, demand, daily)))
    }

    /// Raises (or updates, when the shortfall changed) the stockout risk of a planned
    /// item-site whose cover ([`stockout_cover`](Self::stockout_cover)) is below its
    /// demand over the protection interval, with the shortfall at stake and the days the
    /// cover lasts; clears it, as stock arrived, once the cover meets the demand.
    fn check_stockout(&mut self, key: (ItemIx, SiteIx), at: DateTime<Utc>) -> Result<(), Error> {
        let cover = self.stockout_cover(key)?;
        match cover {
            Some((supply, demand, daily)) if supply < demand => {
                let short = demand.checked_sub(supply).ok_or_else(|| Error::Config {
                    what: format!(
                        "the shortfall of {} at {} overflows",
                        key.0.index(),
                        key.1.index()
                    ),
                })?;
                if self.exceptions.at_risk.get(&key) == Some(&short) {
                    return Ok(());
                }
                let mut signal =
                    self.item_site_signal(ExceptionKind::StockoutRisk, key.0, key.1, short, at)?;
                if let Some(days) = supply.max(Decimal::ZERO).checked_div(daily) {
                    signal.impact = signal.impact.days_of_supply(days.round_dp(1));
                }
                self.raise(&signal)?;
                self.exceptions.at_risk.insert(key, short);
            }
            _ => {
                if self.exceptions.at_risk.remove(&key).is_some() {
                    self.clear(
                        ExceptionKind::StockoutRisk,
                        self.item_site_subject(key)?,
                        at,
                        ClearReason::StockArrived,
                    )?;
                }
            }
        }
        Ok(())
    }

    fn clear(
        &mut self,
        kind: ExceptionKind,
        subject: Subject,
        at: DateTime<Utc>,
        reason: ClearReason,
    ) -> Result<(), Error> {
        self.exceptions.control.clear(&Clearance { kind, subject, at, reason })?;
        Ok(())
    }

    fn raise(&mut self, signal: &Raise) -> Result<(), Error> {
        // A value at risk past what the queue can rank (figures near the quantity
        // bounds) ranks as the largest it can: the call that raised it is committed by
        // now, and a ranking figure is no reason to fail it.
        if signal.impact.value.abs() > RANKED_VALUE_CAP {
            let mut capped = signal.clone();
            capped.impact.value = if signal.impact.value.is_sign_negative() {
                -RANKED_VALUE_CAP
            } else {
                RANKED_VALUE_CAP
            };
            self.exceptions.control.apply(&capped)?;
        } else {
            self.exceptions.control.apply(signal)?;
        }
        Ok(())
    }

    /// Clears what one touched item-site shows is gone.
    fn clear_site(&mut self, key: (ItemIx, SiteIx), at: DateTime<Utc>) -> Result<(), Error> {
        let (item, site) = key;
        if let Some(lines) = self.exceptions.short.get(&key) {
            let covered = self.atp.overcommitted(item, site) <= Decimal::ZERO;
            let gone: Vec<(OrderRef, ClearReason)> = lines
                .iter()
                .filter_map(|r| {
                    if !self.bookings.contains_key(r) {
                        Some((r.clone(), ClearReason::Fulfilled))
                    } else if covered {
                        Some((r.clone(), ClearReason::StockArrived))
                    } else {
                        None
                    }
                })
                .collect();
            for (r, reason) in gone {
                if let Some(set) = self.exceptions.short.get_mut(&key) {
                    set.remove(&r);
                    if set.is_empty() {
                        self.exceptions.short.remove(&key);
                    }
                }
                let subject = Subject::Line { order: r.order, line: r.line };
                self.clear(ExceptionKind::LineShortOrLate, subject, at, reason)?;
            }
        }
        if self.exceptions.below.contains(&key) && self.below.get(&key) != Some(&true) {
            self.exceptions.below.remove(&key);
            self.clear(
                ExceptionKind::BelowReorderPoint,
                self.item_site_subject(key)?,
                at,
                ClearReason::StockArrived,
            )?;
        }
        if self.exceptions.negative.contains(&key)
            && !self.ledger.positions_at(item, site).any(|(_, q)| q < Decimal::ZERO)
        {
            self.exceptions.negative.remove(&key);
            self.clear(
                ExceptionKind::NegativeStock,
                self.item_site_subject(key)?,
                at,
                ClearReason::StockArrived,
            )?;
        }
        if self.exceptions.held.contains_key(&key) && self.held_qty(key).is_zero() {
            self.exceptions.held.remove(&key);
            self.clear(
                ExceptionKind::QualityHoldOverdue,
                self.item_site_subject(key)?,
                at,
                ClearReason::Released,
            )?;
        }
        Ok(())
    }

    fn item_site_subject(&self, (item, site): (ItemIx, SiteIx)) -> Result<Subject, Error> {
        Ok(Subject::ItemSite {
            item: self.item_code(item)?,
            site: self.site_code(site)?,
            lot: None,
        })
    }

    /// Stock of an item at a site on quality hold, blocked or damaged, in base units.
    fn held_qty(&self, (item, site): (ItemIx, SiteIx)) -> Decimal {
        self.ledger
            .positions_at(item, site)
            .filter(|(k, q)| is_held(k.status) && *q > Decimal::ZERO)
            .map(|(_, q)| q)
            .sum()
    }

    /// What `qty` base units of `item` at `site` are worth to the site's entity, with the
    /// entity.
    fn at_risk(
        &self,
        item: ItemIx,
        site: SiteIx,
        qty: Decimal,
    ) -> Result<(Impact, Option<EntityCode>), Error> {
        let qty = qty.abs();
        let Some(owner) = self.catalog.site_entity(site) else {
            let usd = self.ledger.rules().currency;
            return Ok((Impact::value(Decimal::ZERO, usd).quantity(qty), None));
        };
        let entity = self.catalog.entity(owner).ok_or_else(|| Error::Restore {
            what: format!("no entity with handle {}", owner.index()),
        })?;
        let (item_code, site_code) = (self.item_code(item)?, self.site_code(site)?);
        let pool = self.valuation.pool(&entity.code, &item_code, Some(&site_code));
        // A reference cost that does not convert into the entity's currency (no rate
        // configured) is no cost known: the value at risk is then zero, as for a value
        // out of range, rather than a failure after the call that raised it is taken.
        let cost = match pool.and_then(|p| p.unit_cost) {
            Some(c) => Some(c),
            None => self
                .reference_cost(item, owner)
                .ok()
                .flatten()
                .map(onhand_master::Money::amount)
                .or_else(|| self.planned_unit_cost(item, &site_code)),
        };
        let value = cost
            .and_then(|c| c.checked_mul(qty))
            .map_or(Decimal::ZERO, |v| v.round_dp(entity.currency.minor_units()));
        Ok((Impact::value(value, entity.currency).quantity(qty), Some(entity.code.clone())))
    }

    /// The unit cost the item-site's replenishment plan buys at (its [`Costs`]), in the
    /// site entity's currency, if the plan states one.
    ///
    /// [`Costs`]: onhand_replenish::Costs
    fn planned_unit_cost(&self, item: ItemIx, site: &SiteCode) -> Option<Decimal> {
        let plans = self.plans_of.get(&item)?;
        plans
            .iter()
            .filter_map(|k| self.config.replenish.item_sites.get(*k))
            .find(|p| p.site == *site)
            .and_then(|p| p.costs)
            .map(|c| c.unit_cost)
    }

    /// A queue signal about an item at a site.
    fn item_site_signal(
        &self,
        kind: ExceptionKind,
        item: ItemIx,
        site: SiteIx,
        qty: Decimal,
        at: DateTime<Utc>,
    ) -> Result<Raise, Error> {
        let (impact, entity) = self.at_risk(item, site, qty)?;
        let subject = Subject::ItemSite {
            item: self.item_code(item)?,
            site: self.site_code(site)?,
            lot: None,
        };
        Ok(self.about_item(Raise::new(kind, subject, at, impact), item, entity))
    }

    fn about_item(&self, mut signal: Raise, item: ItemIx, entity: Option<EntityCode>) -> Raise {
        if signal.subject.item().is_none() && signal.item.is_none() {
            signal.item = self.catalog.item(item).map(|i| i.code.clone());
        }
        signal.entity = entity;
        signal.item_class = self.catalog.profile(item).map(|p| p.velocity);
        signal
    }

    fn ix(&self, item: &onhand_master::ItemCode, site: &SiteCode) -> Option<(ItemIx, SiteIx)> {
        Some((self.catalog.item_ix(item)?, self.catalog.site_ix(site)?))
    }

    /// Translates one network signal.
    #[allow(clippy::too_many_lines)] // one match over the signals, read top to bottom
    fn raise_one(&mut self, s: &Signal, at: DateTime<Utc>) -> Result<(), Error> {
        match s {
            Signal::LineShort { line, item, site, short } => {
                let Some((i, st)) = self.ix(item, site) else { return Ok(()) };
                let (mut impact, entity) = self.at_risk(i, st, short.value())?;
                let booking = self.bookings.get(line);
                let customers = u32::from(booking.is_some_and(|b| b.request.customer.is_some()));
                let class =
                    booking.map_or(ServiceClass::Standard, |b| service_class(b.request.priority));
                impact = impact.lines(1, customers, class);
                let subject = Subject::Line { order: line.order.clone(), line: line.line };
                let signal = Raise::new(ExceptionKind::LineShortOrLate, subject, at, impact)
                    .at_site(site.clone())
                    .for_item(item.clone());
                let signal = self.about_item(signal, i, entity);
                self.raise(&signal)?;
                self.exceptions.short.entry((i, st)).or_default().insert(line.clone());
            }
            Signal::BelowReorderPoint { recommendation: r } => {
                let Some((i, st)) = self.ix(&r.item, &r.site) else { return Ok(()) };
                let gap = (r.reorder_point - r.position).max(Decimal::ZERO).max(r.need);
                let mut signal =
                    self.item_site_signal(ExceptionKind::BelowReorderPoint, i, st, gap, at)?;
                if let Some(days) = r.days_to_stockout.and_then(|d| Decimal::try_from(d).ok()) {
                    signal.impact =
                        signal.impact.days_of_supply(days.max(Decimal::ZERO).round_dp(1));
                }
                self.raise(&signal)?;
                self.exceptions.below.insert((i, st));
            }
            Signal::VarianceOverTolerance { item, site, book, counted, .. } => {
                let Some((i, st)) = self.ix(item, site) else { return Ok(()) };
                let qty = counted.value() - book.value();
                let signal = self.item_site_signal(ExceptionKind::CountVariance, i, st, qty, at)?;
                self.raise(&signal)?;
                self.exceptions.varied.insert((i, st));
            }
            Signal::StockOnHold { item, site, .. } => {
                let Some(key) = self.ix(item, site) else { return Ok(()) };
                self.exceptions.held.entry(key).or_insert((at, false));
            }
            Signal::PendingApproval { event, .. } => self.raise_held(*event, at)?,
            Signal::Released { event } => {
                let subject = Subject::Event { event: *event };
                self.clear(ExceptionKind::PendingApproval, subject, at, ClearReason::Approved)?;
            }
            Signal::Rejected { event } => {
                let subject = Subject::Event { event: *event };
                self.clear(ExceptionKind::PendingApproval, subject, at, ClearReason::Rejected)?;
            }
            Signal::TransferDiscrepancy { transfer, item, short, over, damaged } => {
                let Some(order) = self.ledger.transfer(transfer) else { return Ok(()) };
                let Some(i) = self.catalog.item_ix(item) else { return Ok(()) };
                let to = order.to;
                let qty = short.value() + over.value() + damaged.value();
                let (impact, entity) = self.at_risk(i, to, qty)?;
                let subject =
                    Subject::Transfer { transfer: transfer.clone(), item: Some(item.clone()) };
                let signal = Raise::new(ExceptionKind::TransferDiscrepancy, subject, at, impact)
                    .at_site(self.site_code(to)?);
                let signal = self.about_item(signal, i, entity);
                self.raise(&signal)?;
            }
            Signal::TransferOverdue { transfer, to, .. } => {
                let Some(order) = self.ledger.transfer(transfer) else { return Ok(()) };
                let dest = order.to;
                let mut impact = None;
                let mut entity = None;
                for line in order.lines.iter().filter(|l| l.outstanding() > Decimal::ZERO) {
                    let (one, e) = self.at_risk(line.item, dest, line.outstanding())?;
                    entity = entity.or(e);
                    impact = Some(add(impact, one));
                }
                let Some(impact) = impact else { return Ok(()) };
                let subject = Subject::Transfer { transfer: transfer.clone(), item: None };
                let mut signal = Raise::new(ExceptionKind::TransferOverdue, subject, at, impact)
                    .at_site(to.clone());
                signal.entity = entity;
                self.raise(&signal)?;
                self.exceptions.late_transfers.insert(transfer.clone());
            }
            Signal::ExpectedReceiptOverdue { order, site, .. } => {
                // One exception per purchase order: what is open and overdue on all of it.
                let today = self.now.date_naive();
                let lines: Vec<(onhand_master::ItemCode, SiteCode, Decimal)> = self
                    .receipts
                    .range((order.clone(), 0)..=(order.clone(), u32::MAX))
                    .filter(|(_, r)| r.open > Decimal::ZERO && r.expected.due < today)
                    .map(|(_, r)| (r.expected.item.clone(), r.expected.site.clone(), r.open))
                    .collect();
                let mut impact: Option<Impact> = None;
                let mut entity = None;
                for (item, st, open) in lines {
                    let Some((i, s)) = self.ix(&item, &st) else { continue };
                    let (one, e) = self.at_risk(i, s, open)?;
                    entity = entity.or(e);
                    impact = Some(add(impact, one));
                }
                let Some(impact) = impact else { return Ok(()) };
                let subject = Subject::Receipt { order: order.clone() };
                let mut signal = Raise::new(ExceptionKind::ReceiptOverdue, subject, at, impact)
                    .at_site(site.clone());
                signal.entity = entity;
                self.raise(&signal)?;
                self.exceptions.late_orders.insert(order.clone());
            }
            Signal::NegativeStock { item, site, balance } => {
                let Some((i, st)) = self.ix(item, site) else { return Ok(()) };
                let signal = self.item_site_signal(
                    ExceptionKind::NegativeStock,
                    i,
                    st,
                    balance.value(),
                    at,
                )?;
                self.raise(&signal)?;
                self.exceptions.negative.insert((i, st));
            }
            // Facts that need no one's action: a release from hold clears through the
            // touched item-site; a count invalidated by a back-dated event and a lapsed
            // reservation are reported, not routed.
            Signal::StockReleased { .. }
            | Signal::CountInvalidated { .. }
            | Signal::ReservationExpired { .. } => {}
        }
        Ok(())
    }

    /// Raises (or updates) the approval task of a held event, from the ledger's record of
    /// it: its poster, the roles it still needs, its site and what it moves.
    pub(crate) fn raise_held(&mut self, id: EventId, at: DateTime<Utc>) -> Result<(), Error> {
        let Some(pending) = self.ledger.pending_event(&id) else {
            return Ok(());
        };
        let event = pending.event.clone();
        let hold = Hold::new(event.actor.id.clone(), pending.needs.iter().copied());
        let (site, valued_at, moved) = self.held_scope(&event)?;
        let currency = valued_at
            .and_then(|s| self.catalog.site_entity(s))
            .and_then(|e| self.catalog.entity(e))
            .map_or(self.ledger.rules().currency, |e| e.currency);
        let mut impact = Impact::value(Decimal::ZERO, currency);
        let mut entity = None;
        let mut item = None;
        if let Some(s) = valued_at {
            for (i, q) in moved {
                let (one, e) = self.at_risk(i, s, q)?;
                impact.value = impact.value.saturating_add(one.value);
                impact.quantity = impact.quantity.saturating_add(one.quantity);
                entity = entity.or(e);
                item = item.or(Some(i));
            }
        }
        let mut signal =
            Raise::new(ExceptionKind::PendingApproval, Subject::Event { event: id }, at, impact)
                .held(hold);
        if let Some(s) = site {
            signal = signal.at_site(self.site_code(s)?);
        }
        if let Some(i) = item {
            signal = self.about_item(signal, i, entity);
        }
        self.raise(&signal)
    }

    /// The site a held event's approvers must cover (the one the ledger checks their
    /// scope against), the site its stock is valued at, and the quantities it moves, per
    /// item in base units.
    fn held_scope(&self, event: &Event) -> Result<HeldScope, Error> {
        let mut moved = Vec::new();
        let site = if let Some(m) = event.body.movement() {
            for line in &m.lines {
                if let Some(i) = self.catalog.item_ix(&line.item)
                    && let Some(units) = self.catalog.item_units(i)
                {
                    moved.push((i, units.to_base(line.qty)?.value()));
                }
            }
            self.catalog.site_ix(&m.site)
        } else {
            match &event.body {
                Body::CycleCount(c) => {
                    let site = self.catalog.site_ix(&c.site);
                    if let Some(s) = site {
                        for line in &c.lines {
                            let Some(i) = self.catalog.item_ix(&line.item) else { continue };
                            let Some(units) = self.catalog.item_units(i) else { continue };
                            let counted = units.to_base(line.counted)?.value();
                            let owner = match &line.owner {
                                Some(code) => self.catalog.entity_ix(code),
                                None => self.catalog.site_entity(s),
                            };
                            let bin = line.bin.as_ref().and_then(|b| self.catalog.bin_ix(s, b));
                            let lot = line.lot.as_ref().and_then(|l| self.ledger.lot_ix(i, l));
                            let Some(owner) = owner else { continue };
                            let key = PositionKey {
                                item: i,
                                site: s,
                                status: line.status.unwrap_or(StockStatus::Available),
                                owner,
                                bin,
                                lot,
                            };
                            let book = self.ledger.qty_as_of(&key, event.effective_at);
                            moved.push((i, (counted - book).abs()));
                        }
                    }
                    site
                }
                Body::TransferRequest(r) => {
                    for line in &r.lines {
                        if let Some(i) = self.catalog.item_ix(&line.item)
                            && let Some(units) = self.catalog.item_units(i)
                        {
                            moved.push((i, units.to_base(line.qty)?.value()));
                        }
                    }
                    // Valued at the sender; approved at the destination, where the
                    // ledger checks the approver's scope.
                    return Ok((self.catalog.site_ix(&r.to), self.catalog.site_ix(&r.from), moved));
                }
                Body::TransferClose => {
                    // What the close writes off: everything still outstanding.
                    let order = self.ledger.transfer(&event.reference.number);
                    for line in order.iter().flat_map(|o| o.lines.iter()) {
                        if line.outstanding() > Decimal::ZERO {
                            moved.push((line.item, line.outstanding()));
                        }
                    }
                    order.map(|o| o.to)
                }
                _ => None,
            }
        };
        Ok((site, site, moved))
    }

    /// As time moves on to `now`: raises held stock past its limit and intercompany
    /// books that do not reconcile, checks the stockout risks raised again (when today
    /// moved: `day_moved`),
    /// clears what reconciles or is covered again, and escalates what is due.
    pub(crate) fn exceptions_at(
        &mut self,
        now: DateTime<Utc>,
        day_moved: bool,
    ) -> Result<Vec<onhand_control::Escalation>, Error> {
        let at = self.exceptions.stamp(now);
        let limit = self.exceptions.hold_limit;
        let due: Vec<(ItemIx, SiteIx)> = self
            .exceptions
            .held
            .iter()
            .filter(|(_, (since, raised))| !raised && (now - *since).num_seconds() >= limit)
            .map(|(k, _)| *k)
            .collect();
        for key in due {
            let qty = self.held_qty(key);
            if qty.is_zero() {
                self.exceptions.held.remove(&key);
                continue;
            }
            let signal =
                self.item_site_signal(ExceptionKind::QualityHoldOverdue, key.0, key.1, qty, at)?;
            self.raise(&signal)?;
            if let Some(h) = self.exceptions.held.get_mut(&key) {
                h.1 = true;
            }
        }
        // When the availability engine's today moved, what was at risk is checked
        // again (its cover is read from today on); with a checking horizon, which moves
        // with the day and takes in lines booked beyond it, so is every planned
        // item-site (a risk may start there). Within a day nothing else moves the
        // cover: the events and calls that change an item-site's stock, supply or
        // bookings check it themselves, so a host that advances the clock per event
        // does not re-check every item-site each time.
        if day_moved {
            let mut keys: Vec<(ItemIx, SiteIx)> = self.exceptions.at_risk.keys().copied().collect();
            if self.config.atp.engine.horizon != onhand_atp::Horizon::None {
                let at_risk = &self.exceptions.at_risk;
                keys.extend(self.below.keys().filter(|k| !at_risk.contains_key(k)));
                keys.sort_unstable();
            }
            for key in keys {
                self.check_stockout(key, at)?;
            }
        }
        // Intercompany books that differ beyond timing, per seller and buyer (worked
        // out again only when the books moved).
        let applied = self.valuation.applied();
        let pairs = match self.exceptions.gaps.take() {
            Some((n, pairs)) if n == applied => pairs,
            _ => intercompany_gaps(&self.reconciliation()),
        };
        self.raise_mismatches(at, &pairs)?;
        self.exceptions.gaps = Some((applied, pairs));
        Ok(self.exceptions.control.escalate(now))
    }
}

/// What is at stake per seller and buyer whose books differ (see [`intercompany_gaps`]).
type Gaps = BTreeMap<(EntityCode, EntityCode), Impact>;

/// What is at stake per seller and buyer whose books differ beyond timing (a document
/// only the seller has while its goods are in transit is timing): the sum of the gaps
/// between the two sides in the seller's currency (a side alone counts whole; a side in
/// another currency counts the seller's), and the quantities involved.
fn intercompany_gaps(rec: &Reconciliation) -> Gaps {
    let mut pairs: BTreeMap<(EntityCode, EntityCode), Impact> = BTreeMap::new();
    for d in rec.differences.iter().filter(|d| d.mismatch != Mismatch::InTransit) {
        let side = d.receivable.as_ref().or(d.payable.as_ref());
        let Some(item) = side else { continue };
        let other = if d.receivable.is_some() { d.payable.as_ref() } else { None };
        let gap = other.map_or(item.functional.amount(), |o| {
            if o.functional.currency() == item.functional.currency() {
                item.functional.amount().saturating_sub(o.functional.amount())
            } else {
                item.functional.amount()
            }
        });
        let entry = pairs
            .entry((d.seller.clone(), d.buyer.clone()))
            .or_insert_with(|| Impact::value(Decimal::ZERO, item.functional.currency()));
        if entry.currency == item.functional.currency() {
            entry.value = entry.value.saturating_add(gap.abs());
        }
        entry.quantity = entry.quantity.saturating_add(item.qty.abs());
    }
    pairs
}

impl Network {
    /// Raises (or updates) an intercompany mismatch for every pair in `pairs` and clears,
    /// as reconciled, every pair raised before that is no longer there.
    fn raise_mismatches(
        &mut self,
        at: DateTime<Utc>,
        pairs: &BTreeMap<(EntityCode, EntityCode), Impact>,
    ) -> Result<(), Error> {
        for ((seller, buyer), impact) in pairs {
            let subject = Subject::Entities { seller: seller.clone(), buyer: buyer.clone() };
            let signal =
                Raise::new(ExceptionKind::IntercompanyMismatch, subject, at, impact.clone())
                    .for_entity(seller.clone());
            self.raise(&signal)?;
            self.exceptions.mismatched.insert((seller.clone(), buyer.clone()));
        }
        let settled: Vec<(EntityCode, EntityCode)> =
            self.exceptions.mismatched.iter().filter(|k| !pairs.contains_key(k)).cloned().collect();
        for (seller, buyer) in settled {
            self.exceptions.mismatched.remove(&(seller.clone(), buyer.clone()));
            let subject = Subject::Entities { seller, buyer };
            self.clear(ExceptionKind::IntercompanyMismatch, subject, at, ClearReason::Reconciled)?;
        }
        Ok(())
    }
}

/// The exception queue and what the network remembers to clear its exceptions from
/// data, by code: the part of a [`NetworkSnapshot`](crate::NetworkSnapshot) that makes a
/// restored network's queue, and every later raise and clearance, the original's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExceptionsSnapshot {
    queue: ControlSnapshot,
    clock: Option<DateTime<Utc>>,
    short: Vec<(ItemCode, SiteCode, Vec<OrderRef>)>,
    varied: Vec<(ItemCode, SiteCode)>,
    below: Vec<(ItemCode, SiteCode)>,
    negative: Vec<(ItemCode, SiteCode)>,
    held: Vec<(ItemCode, SiteCode, DateTime<Utc>, bool)>,
    late_orders: Vec<DocNumber>,
    late_transfers: Vec<DocNumber>,
    mismatched: Vec<(EntityCode, EntityCode)>,
    /// Absent from snapshots written before stockout risks were raised from data.
    #[serde(default)]
    at_risk: Vec<AtRisk>,
}

/// A planned item-site raised at risk of stocking out, with the shortfall last raised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AtRisk {
    item: ItemCode,
    site: SiteCode,
    #[serde(with = "onhand_master::decimal::serde_str")]
    short: Decimal,
}

fn invalid(what: impl Into<String>) -> Error {
    Error::InvalidSnapshot { part: "exceptions", what: what.into() }
}

impl Network {
    fn codes(&self, (item, site): (ItemIx, SiteIx)) -> Result<(ItemCode, SiteCode), Error> {
        Ok((self.item_code(item)?, self.site_code(site)?))
    }

    /// An item-site of a snapshot: an item this partition holds, a site the catalog
    /// knows.
    fn item_site_ix(&self, item: &ItemCode, site: &SiteCode) -> Result<(ItemIx, SiteIx), Error> {
        let i =
            self.catalog.item_ix(item).filter(|&i| self.holds(i)).ok_or_else(|| {
                invalid(format!("item {item} is unknown or not in this partition"))
            })?;
        let s =
            self.catalog.site_ix(site).ok_or_else(|| invalid(format!("unknown site {site}")))?;
        Ok((i, s))
    }

    /// The queue and what the network remembers about it, by code.
    pub(crate) fn exceptions_snapshot(&self) -> Result<ExceptionsSnapshot, Error> {
        let x = &self.exceptions;
        let sites = |set: &BTreeSet<(ItemIx, SiteIx)>| -> Result<Vec<_>, Error> {
            set.iter().map(|k| self.codes(*k)).collect()
        };
        let mut short = Vec::with_capacity(x.short.len());
        for (k, lines) in &x.short {
            let (i, s) = self.codes(*k)?;
            short.push((i, s, lines.iter().cloned().collect()));
        }
        let mut held = Vec::with_capacity(x.held.len());
        for (k, (since, raised)) in &x.held {
            let (i, s) = self.codes(*k)?;
            held.push((i, s, *since, *raised));
        }
        let mut at_risk = Vec::with_capacity(x.at_risk.len());
        for (k, short) in &x.at_risk {
            let (item, site) = self.codes(*k)?;
            at_risk.push(AtRisk { item, site, short: *short });
        }
        Ok(ExceptionsSnapshot {
            queue: x.control.snapshot(),
            clock: x.clock,
            short,
            varied: sites(&x.varied)?,
            below: sites(&x.below)?,
            negative: sites(&x.negative)?,
            held,
            late_orders: x.late_orders.iter().cloned().collect(),
            late_transfers: x.late_transfers.iter().cloned().collect(),
            mismatched: x.mismatched.iter().cloned().collect(),
            at_risk,
        })
    }

    /// Restores the queue and what the network remembers about it, over a restored
    /// ledger: every event the ledger holds has its active approval task, and every
    /// active approval task is about an event the ledger holds.
    ///
    /// # Errors
    /// [`Error::InvalidSnapshot`] (part `exceptions`) for a queue the control crate
    /// refuses, an unknown code, an item of another partition, an entry twice, or
    /// approval tasks and held events that do not match. Nothing changes.
    pub(crate) fn restore_exceptions(&mut self, snap: &ExceptionsSnapshot) -> Result<(), Error> {
        let control = Control::restore(self.exceptions.control.rules().clone(), &snap.queue)
            .map_err(|e| invalid(e.to_string()))?;
        let mut x = self.exceptions.clone();
        x.control = control;
        x.clock = snap.clock;
        let twice = |what: &str| invalid(format!("{what} twice"));
        x.short = BTreeMap::new();
        for (item, site, lines) in &snap.short {
            let key = self.item_site_ix(item, site)?;
            let set: BTreeSet<OrderRef> = lines.iter().cloned().collect();
            if set.len() != lines.len() || set.is_empty() || x.short.insert(key, set).is_some() {
                return Err(twice(&format!("short lines of {item} at {site}")));
            }
        }
        let sites = |list: &[(ItemCode, SiteCode)], what: &str| {
            let mut set = BTreeSet::new();
            for (item, site) in list {
                if !set.insert(self.item_site_ix(item, site)?) {
                    return Err(twice(&format!("{what} {item} at {site}")));
                }
            }
            Ok(set)
        };
        x.varied = sites(&snap.varied, "count variance")?;
        x.below = sites(&snap.below, "below reorder point")?;
        x.negative = sites(&snap.negative, "negative stock")?;
        x.held = BTreeMap::new();
        for (item, site, since, raised) in &snap.held {
            let key = self.item_site_ix(item, site)?;
            if x.held.insert(key, (*since, *raised)).is_some() {
                return Err(twice(&format!("held stock of {item} at {site}")));
            }
        }
        let docs = |list: &[DocNumber], what: &str| {
            let set: BTreeSet<DocNumber> = list.iter().cloned().collect();
            if set.len() == list.len() { Ok(set) } else { Err(twice(what)) }
        };
        x.late_orders = docs(&snap.late_orders, "an overdue purchase order")?;
        x.late_transfers = docs(&snap.late_transfers, "an overdue transfer")?;
        x.mismatched = snap.mismatched.iter().cloned().collect();
        if x.mismatched.len() != snap.mismatched.len() {
            return Err(twice("an intercompany pair"));
        }
        x.at_risk = BTreeMap::new();
        x.gaps = None;
        for r in &snap.at_risk {
            let key = self.item_site_ix(&r.item, &r.site)?;
            if r.short <= Decimal::ZERO {
                return Err(invalid(format!(
                    "a stockout risk of {} at {} with no shortfall",
                    r.item, r.site
                )));
            }
            if x.at_risk.insert(key, r.short).is_some() {
                return Err(twice(&format!("stockout risk of {} at {}", r.item, r.site)));
            }
        }
        // Approval tasks and held events: one each way.
        let mut tasks = 0usize;
        for (id, _) in self.ledger.pending() {
            let subject = Subject::Event { event: *id };
            if x.control.active(ExceptionKind::PendingApproval, &subject).is_none() {
                return Err(invalid(format!("no approval task for held event {id}")));
            }
            tasks += 1;
        }
        let active = x
            .control
            .exceptions()
            .filter(|e| e.kind == ExceptionKind::PendingApproval && e.state.is_active())
            .count();
        if active != tasks {
            return Err(invalid("an approval task for an event the ledger does not hold"));
        }
        self.exceptions = x;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! The intercompany-mismatch path of `advance_to`. No valid sequence of public calls
    //! reaches it (valuation books both sides of every intercompany document in one plan,
    //! consistently, and never drops one: see `tests/lenses.rs`), so the reconciliation
    //! it reads is built by hand here, the lowest level that can.
    #![allow(clippy::unwrap_used, reason = "tests: a failed unwrap is a failed test")]

    use onhand_control::{ClearReason, ExceptionKind, State, Subject};
    use onhand_ledger::Rules;
    use onhand_ledger::testing::at;
    use onhand_master::{CurrencyCode, Money, Role, seed};
    use onhand_valuation::{Difference, Mismatch, OpenItem, Reconciliation};
    use rust_decimal::Decimal;

    use super::intercompany_gaps;
    use crate::{Network, NetworkConfig};

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn item(document: &str, qty: &str, amount: &str, currency: &str) -> OpenItem {
        let c = CurrencyCode::new(currency).unwrap();
        OpenItem {
            seller: "NA01".parse().unwrap(),
            buyer: "CA01".parse().unwrap(),
            document: document.into(),
            transfer: "TO-1".parse().unwrap(),
            qty: d(qty),
            amount: Money::new(d(amount), c),
            rate: Decimal::ONE,
            invoice_rate: Decimal::ONE,
            functional: Money::new(d(amount), c),
        }
    }

    fn difference(
        document: &str,
        mismatch: Mismatch,
        receivable: Option<OpenItem>,
        payable: Option<OpenItem>,
    ) -> Difference {
        Difference {
            seller: "NA01".parse().unwrap(),
            buyer: "CA01".parse().unwrap(),
            document: document.into(),
            mismatch,
            receivable,
            payable,
        }
    }

    /// Books that differ: 400 invoiced against 300 booked, one invoice the buyer lacks,
    /// and one in transit (timing: left out).
    fn differing() -> Reconciliation {
        Reconciliation {
            matched: 3,
            differences: vec![
                difference(
                    "INV-1",
                    Mismatch::Quantity,
                    Some(item("INV-1", "400", "17.60", "USD")),
                    Some(item("INV-1", "300", "13.20", "USD")),
                ),
                difference(
                    "INV-2",
                    Mismatch::MissingDocument,
                    Some(item("INV-2", "10", "2.00", "USD")),
                    None,
                ),
                difference(
                    "INV-3",
                    Mismatch::InTransit,
                    Some(item("INV-3", "99", "50.00", "USD")),
                    None,
                ),
            ],
        }
    }

    #[test]
    fn the_gap_per_pair_sums_what_differs_beyond_timing() {
        let gaps = intercompany_gaps(&differing());
        let pair = ("NA01".parse().unwrap(), "CA01".parse().unwrap());
        let impact = gaps.get(&pair).unwrap();
        assert_eq!(gaps.len(), 1);
        // |17.60 - 13.20| + 2.00 (alone, whole); quantities 400 + 10; INV-3 left out.
        assert_eq!((impact.value, impact.quantity), (d("6.40"), d("410")));
        assert_eq!(impact.currency.as_str(), "USD");
        let timing =
            Reconciliation { matched: 0, differences: differing().differences.split_off(2) };
        assert!(intercompany_gaps(&timing).is_empty());
    }

    /// The demo network, and the subject of an NA01 -> CA01 mismatch.
    fn demo_with_pair() -> (Network, Subject) {
        let usd = CurrencyCode::new("USD").unwrap();
        let rules = Rules::standard(usd).trusting_event_actors();
        let n = Network::new(seed::demo_network(), rules, NetworkConfig::default(), at(0)).unwrap();
        let subject =
            Subject::Entities { seller: "NA01".parse().unwrap(), buyer: "CA01".parse().unwrap() };
        (n, subject)
    }

    #[test]
    fn a_mismatch_is_raised_updated_kept_in_snapshots_and_cleared_when_the_books_reconcile() {
        let (mut n, subject) = demo_with_pair();
        n.raise_mismatches(at(10), &intercompany_gaps(&differing())).unwrap();
        let raised =
            n.control().active(ExceptionKind::IntercompanyMismatch, &subject).unwrap().clone();
        assert_eq!(
            (raised.owner, raised.entity.clone()),
            (Role::Finance, Some("NA01".parse().unwrap()))
        );
        assert_eq!(raised.impact.value, d("6.40"));
        // The same pair again, with a gap that changed: one exception, updated.
        let mut smaller = differing();
        smaller.differences.remove(1);
        n.raise_mismatches(at(20), &intercompany_gaps(&smaller)).unwrap();
        let again = n.control().active(ExceptionKind::IntercompanyMismatch, &subject).unwrap();
        assert_eq!((again.id, again.signals, again.impact.value), (raised.id, 2, d("4.40")));
        // A snapshot carries the pair, so a restored network clears it the same way.
        let snap = n.exceptions_snapshot().unwrap();
        let mut restored = Network::new(
            seed::demo_network(),
            Rules::standard(CurrencyCode::new("USD").unwrap()).trusting_event_actors(),
            NetworkConfig::default(),
            at(0),
        )
        .unwrap();
        restored.restore_exceptions(&snap).unwrap();
        assert_eq!(restored.exceptions.mismatched, n.exceptions.mismatched);
        // Time moves on: the network's own books (empty) reconcile, so `advance_to`
        // clears the mismatch as reconciled, in both.
        for net in [&mut n, &mut restored] {
            net.advance_to(at(60)).unwrap();
            let done = net.control().get(raised.id).unwrap();
            assert_eq!(done.state, State::Resolved);
            assert!(matches!(
                done.history.last().map(|s| &s.change),
                Some(onhand_control::Change::Cleared { reason: ClearReason::Reconciled })
            ));
            assert!(net.exceptions.mismatched.is_empty());
        }
        assert_eq!(n.digest().unwrap(), restored.digest().unwrap());
    }

    /// `advance_to` works the intercompany gaps out again only after the books moved:
    /// a gap kept under the books' current count is taken as it is (planted here, as
    /// the public calls cannot make books that differ), and one event later the books
    /// are read again and it is cleared.
    #[test]
    fn intercompany_gaps_are_worked_out_again_only_after_the_books_moved() {
        let (mut n, subject) = demo_with_pair();
        n.advance_to(at(10)).unwrap();
        let applied = n.valuation.applied();
        assert_eq!(n.exceptions.gaps.as_ref().map(|(k, g)| (*k, g.len())), Some((applied, 0)));
        n.exceptions.gaps = Some((applied, intercompany_gaps(&differing())));
        n.advance_to(at(20)).unwrap();
        assert!(n.control().active(ExceptionKind::IntercompanyMismatch, &subject).is_some());
        let mut receipt =
            onhand_ledger::testing::receipt(30, "ATL", "BOLT-M8", "5 EA", "RCV-01").unwrap();
        if let onhand_ledger::Body::Receipt(m) = &mut receipt.body {
            m.lines[0].unit_cost = Some("0.10 USD".parse().unwrap());
        }
        n.apply(&receipt).unwrap();
        assert_eq!(n.valuation.applied(), applied + 1);
        n.advance_to(at(40)).unwrap();
        assert!(n.control().active(ExceptionKind::IntercompanyMismatch, &subject).is_none());
        assert_eq!(n.exceptions.gaps.as_ref().map(|(k, g)| (*k, g.len())), Some((applied + 1, 0)));
    }
}
