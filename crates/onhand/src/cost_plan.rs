//! The cost events an event books, worked out from the ledger's plan while the ledger
//! decides ([`plan_costs`]), before it commits: the network applies them to the books
//! whole ([`Valuation::apply_all_into`](onhand_valuation::Valuation::apply_all_into))
//! from the ledger's veto, so an event whose costs the books refuse (a write-off past
//! what valuation carries, a shipment of stock the pool does not hold at a cost) is
//! refused with nothing changed anywhere, and every event the ledger takes is costed
//! once. Also the names the network gives its handles ([`Names`]): codes, base units,
//! currencies and reference costs, read from the catalog, the configuration and the
//! ledger's rules alone, so they can be asked while the ledger is borrowed.

use std::collections::BTreeMap;

use onhand_ledger::{Body, DocNumber, Event, EventKind, Ledger, PositionKey, Rules};
use onhand_master::{
    Catalog, EntityCode, EntityIx, ItemCode, ItemIx, Money, Qty, QtyDelta, SiteCode, SiteIx,
    UomCode,
};
use onhand_valuation::{CostBody, CostEvent, IssueTo, TransferNo};
use rust_decimal::Decimal;
use smallvec::SmallVec;

use crate::config::NetworkConfig;
use crate::costing::{nets, transit};
use crate::error::Error;
use crate::network::{COST_EVENTS_PER_ENTRY, Shipment, cost_event_id, shipment_key};

/// The names of the network's handles, from the catalog, the configuration and the
/// ledger's rules (see the module docs).
pub(crate) struct Names<'a> {
    pub(crate) catalog: &'a Catalog,
    pub(crate) config: &'a NetworkConfig,
    pub(crate) rules: &'a Rules,
}

impl Names<'_> {
    pub(crate) fn item_code(&self, ix: ItemIx) -> Result<ItemCode, Error> {
        self.catalog
            .item(ix)
            .map(|i| i.code.clone())
            .ok_or_else(|| Error::Restore { what: format!("no item with handle {}", ix.index()) })
    }

    pub(crate) fn site_code(&self, ix: SiteIx) -> Result<SiteCode, Error> {
        self.catalog
            .site(ix)
            .map(|s| s.code.clone())
            .ok_or_else(|| Error::Restore { what: format!("no site with handle {}", ix.index()) })
    }

    pub(crate) fn entity_code(&self, ix: EntityIx) -> Result<EntityCode, Error> {
        self.catalog
            .entity(ix)
            .map(|e| e.code.clone())
            .ok_or_else(|| Error::Restore { what: format!("no entity with handle {}", ix.index()) })
    }

    pub(crate) fn base_uom(&self, ix: ItemIx) -> Result<UomCode, Error> {
        self.catalog
            .profile(ix)
            .map(|p| p.base_uom)
            .ok_or_else(|| Error::Restore { what: format!("no item with handle {}", ix.index()) })
    }

    /// `q` base units of the item (a negative `q` as zero).
    pub(crate) fn base_qty(&self, ix: ItemIx, q: Decimal) -> Result<Qty, Error> {
        Ok(Qty::at_least_zero(q, self.base_uom(ix)?))
    }

    /// A signed change of `q` base units of the item.
    pub(crate) fn base_delta(&self, ix: ItemIx, q: Decimal) -> Result<QtyDelta, Error> {
        Ok(QtyDelta::new(q, self.base_uom(ix)?))
    }

    /// `qty` in the item's base units.
    pub(crate) fn to_base(&self, item: ItemIx, qty: Qty) -> Result<Decimal, Error> {
        let units = self.catalog.item_units(item).ok_or_else(|| Error::Restore {
            what: format!("no units for item handle {}", item.index()),
        })?;
        Ok(units.to_base(qty)?.value())
    }

    /// `money` in the owner's currency, by the configured rates.
    pub(crate) fn in_currency_of(&self, money: Money, owner: EntityIx) -> Result<Money, Error> {
        let to = self.catalog.entity(owner).map(|e| e.currency).ok_or_else(|| Error::Restore {
            what: format!("no entity with handle {}", owner.index()),
        })?;
        if money.currency() == to {
            return Ok(money);
        }
        let rate = self
            .config
            .rates
            .iter()
            .find(|r| r.from == money.currency() && r.to == to)
            .ok_or(Error::NoRate { from: money.currency(), to })?;
        let amount = onhand_master::mul_exact(money.amount(), rate.rate)
            .map_err(|_| Error::Overflow { operation: "a currency conversion" })?;
        Ok(Money::new(amount, to))
    }

    /// The item's reference cost per base unit in the owner's currency, when the
    /// ledger's rules give one (converted by the configured rates).
    pub(crate) fn reference_cost(
        &self,
        item: ItemIx,
        owner: EntityIx,
    ) -> Result<Option<Money>, Error> {
        let code = self.item_code(item)?;
        let Some(cost) = self.rules.reference_costs.get(&code) else { return Ok(None) };
        let money = Money::new(cost.0, self.rules.currency);
        self.in_currency_of(money, owner).map(Some)
    }

    /// The entity owning a line's stock at a site: the line's, else the site's.
    pub(crate) fn owner_of(&self, site: SiteIx, owner: Option<&EntityCode>) -> Option<EntityIx> {
        match owner {
            Some(code) => self.catalog.entity_ix(code),
            None => self.catalog.site_entity(site),
        }
    }

    /// Stock leaving the owner's books at a site.
    fn issue(
        &self,
        (item, site, owner): (ItemIx, SiteIx, EntityIx),
        q: Decimal,
        to: IssueTo,
    ) -> Result<CostBody, Error> {
        Ok(CostBody::Issue {
            site: self.site_code(site)?,
            item: self.item_code(item)?,
            qty: self.base_qty(item, q)?,
            to,
            owner: Some(self.entity_code(owner)?),
        })
    }

    /// Stock found at a site: at the item's reference cost, else the pool's.
    fn gain(
        &self,
        (item, site, owner): (ItemIx, SiteIx, EntityIx),
        q: Decimal,
    ) -> Result<CostBody, Error> {
        Ok(CostBody::Adjustment {
            site: self.site_code(site)?,
            item: self.item_code(item)?,
            delta: self.base_delta(item, q)?,
            unit_cost: self.reference_cost(item, owner)?,
            owner: Some(self.entity_code(owner)?),
        })
    }
}

/// What the plan reads besides the event: the names, the ledger (as it is before the
/// commit), and the network's open transfer shipments with their running count.
pub(crate) struct Planning<'a> {
    pub(crate) names: Names<'a>,
    pub(crate) ledger: &'a Ledger,
    pub(crate) shipments: &'a BTreeMap<(DocNumber, ItemIx), Vec<Shipment>>,
    pub(crate) shipment_count: u64,
}

/// The cost events one event books, in order, under the ids
/// [`cost_event_id`]`(seq, k)`, and what the books did with them. The network keeps one
/// and fills it again for every event (cleared first), so its lists keep their room and
/// the plan is never moved around (the books' outcomes are the one list made per event).
#[derive(Debug, Clone, Default)]
pub(crate) struct CostPlan {
    pub(crate) events: Vec<CostEvent>,
    /// Per event, the item whose sale it values (a shipment's issues, for returns).
    pub(crate) issue_of: Vec<Option<ItemIx>>,
    /// What a transfer receipt takes off its shipments: item, shipment, base units.
    pub(crate) received: Vec<(ItemIx, TransferNo, Decimal)>,
    /// Whether the events are a reversal's or a return to supplier's and move stock.
    pub(crate) withdrew: bool,
    /// Whether the books took the events (the ledger's veto booked them).
    pub(crate) booked: bool,
    /// The books' posting lines for the events, in order.
    pub(crate) postings: Vec<onhand_valuation::Posting>,
    /// The intercompany documents the books issued for them.
    pub(crate) documents: Vec<onhand_valuation::IcDocument>,
}

impl CostPlan {
    /// Empty, keeping what its lists hold room for.
    pub(crate) fn clear(&mut self) {
        self.events.clear();
        self.issue_of.clear();
        self.received.clear();
        self.withdrew = false;
        self.booked = false;
        self.postings.clear();
        self.documents.clear();
    }

    /// Books the events whole (see [`Valuation::apply_all_into`]), keeping the books'
    /// postings and documents.
    ///
    /// [`Valuation::apply_all_into`]: onhand_valuation::Valuation::apply_all_into
    pub(crate) fn book(&mut self, books: &mut onhand_valuation::Valuation) -> Result<(), Error> {
        for o in books.apply_all_into(&self.events, &mut self.postings)? {
            if let onhand_valuation::Outcome::Posted { documents, .. } = o {
                self.documents.extend(documents);
            }
        }
        self.booked = true;
        Ok(())
    }

    fn push(&mut self, body: CostBody, issue_of: Option<ItemIx>, seq: u64, moving: &Event) {
        let k = self.events.len() as u64;
        self.events.push(cost_event(moving, seq, k, body));
        self.issue_of.push(issue_of);
    }
}

/// The `k`-th cost event `moving` books under journal number `seq`: id
/// [`cost_event_id`]`(seq, k)`, effective when `moving` is.
pub(crate) fn cost_event(moving: &Event, seq: u64, k: u64, body: CostBody) -> CostEvent {
    CostEvent { id: cost_event_id(seq, k), at: moving.effective_at, body }
}

/// The cost events `moving` books when the ledger commits `changes` (its plan, before
/// the commit), under journal number `seq`, into `plan` (cleared). `inbound` are a
/// receipt's or a customer return's, `derived` a reversal's or a return to supplier's,
/// worked out before the ledger decided; everything else is worked out here from the
/// plan: shipments, transfers, adjustments, counts, scrap and status changes.
pub(crate) fn plan_costs(
    p: &Planning<'_>,
    moving: &Event,
    changes: &[(PositionKey, Decimal)],
    seq: u64,
    (inbound, derived): (Vec<CostBody>, Vec<CostBody>),
    plan: &mut CostPlan,
) -> Result<(), Error> {
    let names = &p.names;
    plan.clear();
    // The changes netted per key: only the kinds worked out from the plan read them.
    let net = || nets(changes.iter().map(|(k, c)| (k, c)));
    match moving.kind() {
        EventKind::Reversal | EventKind::SupplierReturn => {
            plan.withdrew = !derived.is_empty();
            for b in derived {
                plan.push(b, None, seq, moving);
            }
        }
        EventKind::Receipt | EventKind::CustomerReturn => {
            for b in inbound {
                plan.push(b, None, seq, moving);
            }
        }
        EventKind::TransferShip => plan_ship(p, moving, changes, &net(), seq, plan)?,
        EventKind::TransferReceipt => plan_receive(p, moving, changes, net(), seq, plan)?,
        EventKind::TransferClose => {
            let number = &moving.reference.number;
            let lists = p
                .shipments
                .range((number.clone(), ItemIx::new(0))..)
                .take_while(|((n, _), _)| n == number);
            for (_, list) in lists {
                for s in list {
                    plan.push(
                        CostBody::TransferClose { transfer: s.key.clone() },
                        None,
                        seq,
                        moving,
                    );
                }
            }
        }
        EventKind::Ship => {
            for (key, q) in net().iter().filter(|(_, q)| **q < Decimal::ZERO) {
                let body = names.issue(*key, -*q, IssueTo::Sale)?;
                plan.push(body, Some(key.0), seq, moving);
            }
        }
        EventKind::Adjustment | EventKind::CycleCount => {
            plan_adjust(names, moving, net(), seq, plan)?;
        }
        _ => {
            // Scrap, dispositions and status changes: stock leaving the valuated
            // statuses is written off; stock coming back is a gain.
            for (key, q) in net().iter() {
                let body = if *q < Decimal::ZERO {
                    names.issue(*key, -*q, IssueTo::Scrap)?
                } else {
                    names.gain(*key, *q)?
                };
                plan.push(body, None, seq, moving);
            }
        }
    }
    // Ids of the next entry start at the next multiple: more would reuse them.
    if plan.events.len() as u64 > COST_EVENTS_PER_ENTRY {
        return Err(Error::TooManyCostEvents {
            count: plan.events.len(),
            max: COST_EVENTS_PER_ENTRY,
        });
    }
    Ok(())
}

/// A transfer shipment: each item leaves its owner's books at the sender for the
/// shipment the commit opens (numbered as [`Network`](crate::Network) numbers them:
/// the running count, in the order of item and destination).
fn plan_ship(
    p: &Planning<'_>,
    moving: &Event,
    changes: &[(PositionKey, Decimal)],
    net: &crate::costing::Nets,
    seq: u64,
    plan: &mut CostPlan,
) -> Result<(), Error> {
    let number = &moving.reference.number;
    let Some(to) = p.ledger.transfer(number).map(|o| o.to) else { return Ok(()) };
    let mut keys: SmallVec<[(ItemIx, u64); 2]> = SmallVec::new();
    let mut n = p.shipment_count;
    for ((item, _), change) in transit(changes.iter().map(|(k, c)| (k, c))) {
        if change > Decimal::ZERO {
            n += 1;
            keys.push((item, n));
        }
    }
    for ((item, site, _), q) in net.iter().filter(|(_, q)| **q < Decimal::ZERO) {
        let Some((_, n)) = keys.iter().rev().find(|(i, _)| i == item) else { continue };
        let body = CostBody::TransferShip {
            transfer: shipment_key(number, *n)?,
            from: p.names.site_code(*site)?,
            to: p.names.site_code(to)?,
            item: p.names.item_code(*item)?,
            qty: p.names.base_qty(*item, -*q)?,
            rates: p.names.config.rates.clone(),
        };
        plan.push(body, None, seq, moving);
    }
    Ok(())
}

/// A transfer receipt: what left transit is taken off the item's shipments, oldest
/// first, and received from each; anything received beyond it is a gain.
fn plan_receive(
    p: &Planning<'_>,
    moving: &Event,
    changes: &[(PositionKey, Decimal)],
    mut arrived: crate::costing::Nets,
    seq: u64,
    plan: &mut CostPlan,
) -> Result<(), Error> {
    let number = &moving.reference.number;
    let transit_changes = transit(changes.iter().map(|(k, c)| (k, c)));
    let mut received: BTreeMap<ItemIx, Decimal> = BTreeMap::new();
    for ((item, _), change) in &transit_changes {
        if *change < Decimal::ZERO {
            *received.entry(*item).or_default() += -*change;
        }
    }
    for (item, mut left) in received {
        let list = p.shipments.get(&(number.clone(), item)).map_or(&[][..], Vec::as_slice);
        for s in list {
            if left <= Decimal::ZERO {
                break;
            }
            let take = left.min(s.open);
            if take > Decimal::ZERO {
                left -= take;
                plan.received.push((item, s.key.clone(), take));
                let body = CostBody::TransferReceipt {
                    transfer: s.key.clone(),
                    qty: p.names.base_qty(item, take)?,
                    rates: p.names.config.rates.clone(),
                };
                plan.push(body, None, seq, moving);
            }
        }
    }
    // Received beyond what was in transit: a gain at the pool's cost.
    for ((item, dest), change) in &transit_changes {
        if *change < Decimal::ZERO {
            let mut left = -*change;
            for ((i, s, _), q) in arrived.iter_mut() {
                if *i == *item && *s == *dest && left > Decimal::ZERO {
                    let take = left.min(*q);
                    *q -= take;
                    left -= take;
                }
            }
        }
    }
    for (key, q) in arrived.into_iter().filter(|(_, q)| *q > Decimal::ZERO) {
        plan.push(p.names.gain(key, q)?, None, seq, moving);
    }
    Ok(())
}

/// An adjustment or a count: found stock a line prices at that price, the rest of a
/// gain at the reference cost or the pool's cost, and a loss at the pool's cost.
fn plan_adjust(
    names: &Names<'_>,
    moving: &Event,
    mut net: crate::costing::Nets,
    seq: u64,
    plan: &mut CostPlan,
) -> Result<(), Error> {
    if let Body::Adjustment(m) = &moving.body
        && let Some(site) = names.catalog.site_ix(&m.site)
    {
        for line in m.lines.iter().filter(|l| l.from.is_none()) {
            let (Some(cost), Some(item)) = (line.unit_cost, names.catalog.item_ix(&line.item))
            else {
                continue;
            };
            let Some(owner) = names.owner_of(site, line.owner.as_ref()) else { continue };
            let q = names.to_base(item, line.qty)?;
            if let Some(n) = net.get_mut((item, site, owner)) {
                *n -= q;
            }
            let body = CostBody::Adjustment {
                site: m.site.clone(),
                item: line.item.clone(),
                delta: names.base_delta(item, q)?,
                unit_cost: Some(names.in_currency_of(cost, owner)?),
                owner: Some(names.entity_code(owner)?),
            };
            plan.push(body, None, seq, moving);
        }
        net.retain(|_, q| !q.is_zero());
    }
    for ((item, site, owner), q) in net.iter() {
        let body = CostBody::Adjustment {
            site: names.site_code(*site)?,
            item: names.item_code(*item)?,
            delta: names.base_delta(*item, *q)?,
            unit_cost: if *q > Decimal::ZERO { names.reference_cost(*item, *owner)? } else { None },
            owner: Some(names.entity_code(*owner)?),
        };
        plan.push(body, None, seq, moving);
    }
    Ok(())
}
