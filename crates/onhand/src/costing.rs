//! Cost events from the ledger's own changes: which stock an accepted event moved on or
//! off an entity's books, at what cost, and under which transfer.
//!
//! The rules, by event kind (valuated statuses only; stock in transit is valued by its
//! transfer):
//!
//! | event | cost event |
//! |---|---|
//! | receipt | a receipt per line, at the line's unit cost, else its purchase order line's price, else the item's reference cost |
//! | customer return | a return per line, at the cost the original shipment left with (or the line's cost, else the reference cost) |
//! | shipment | an issue to cost of sales per item, site and owner |
//! | scrap, or a move into a status that is not valuated | an issue to scrap |
//! | adjustment, cycle count | an adjustment per item, site and owner: a gain at the line's cost or the pool's current cost, a loss at the method's cost |
//! | transfer shipment | a transfer shipment per item, at the sender's cost (across entities at the agreement's price) |
//! | transfer receipt | a transfer receipt against the item's open shipments, oldest first; anything received beyond them is a gain |
//! | transfer close | a close of every open shipment of the order |
//! | put-away, pick, status change, disposition between valuated statuses | nothing |
//! | reversal | a reversal of each cost event of the original, the last first |
//! | return to supplier | a return per line against its receipt's cost events of the item, at the receipt's cost |
//!
//! Every event's cost events are booked whole while the ledger decides, before it
//! commits (`cost_plan`): the books' refusal (a write-off worth more than they carry, a
//! FIFO receipt whose layer is no longer whole, a layer or pool short of the units, ...)
//! refuses the event with nothing changed anywhere. A receipt's, customer return's,
//! reversal's and return to supplier's cost events are known before the ledger's plan
//! (`Network::derive_costs` works out the last two), and are checked against the books
//! before the ledger decides too, so such an event is refused rather than held for an
//! approval the books could never follow. A return or reversal takes its units out of its receipt's
//! own FIFO layer wherever it is in the queue. A back-dated event that can take stock
//! off an item's books is refused when a withdrawal of that item is effective after
//! it (`back_dated_before_withdrawal`); back-dated inflows are taken.
//!
//! A change of a live item's costing method is not a stock movement: the host asks for
//! it with [`Network::change_costing_method`], which journals it as a
//! [`Command::ChangeCostingMethod`] and applies
//! [`CostBody::MethodChange`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use onhand_ledger::{Body, Event, EventId, EventKind, Line, PositionKey};
use onhand_master::{EntityCode, EntityIx, ItemCode, ItemIx, Money, SiteCode, SiteIx};
use onhand_status::StockStatus;
use onhand_valuation::{CostBody, CostEvent, Method, Outcome, Posting};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::error::Error;
use crate::journal::Command;
use crate::network::{Network, cost_event_id};

/// A change of a live item's costing method for one entity (at one site, for an entity
/// valued per site), effective `at`: see
/// [`CostBody::MethodChange`] for what
/// happens to the layers and which revaluation is posted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodChange {
    /// The entity.
    pub entity: EntityCode,
    /// The item.
    pub item: ItemCode,
    /// The site, for an entity valued per site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteCode>,
    /// The new method.
    pub method: Method,
    /// The standard cost per base unit, when the new method is standard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard: Option<Money>,
    /// When it takes effect.
    pub at: DateTime<Utc>,
}

impl Network {
    /// Changes a live item's costing method in one call: valuation revalues what is
    /// held (a change to standard) and the change is journaled, so replay and
    /// snapshots carry it. Returns the postings (empty unless the change revalues).
    ///
    /// ```
    /// use onhand::costing::MethodChange;
    /// use onhand::ledger::{testing, Rules};
    /// use onhand::master::{seed, CurrencyCode};
    /// use onhand::valuation::{Method, PostingKey};
    /// use onhand::{Network, NetworkConfig};
    ///
    /// let mut rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// rules.reference_costs.insert("BOLT-M8".parse()?, onhand::ledger::ReferenceCost("0.085".parse()?));
    /// let mut network = Network::new(seed::demo_network(), rules, NetworkConfig::default(), testing::at(-60))?;
    /// // 240 EA at 0.085 = 20.40, valued by FIFO at Atlanta (NA01).
    /// network.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "2 CS", "PF-A01", "available")?)?;
    ///
    /// // To standard at 0.09: 240 x 0.09 = 21.60, a revaluation of 1.20.
    /// let postings = network.change_costing_method(&MethodChange {
    ///     entity: "NA01".parse()?,
    ///     item: "BOLT-M8".parse()?,
    ///     site: None,
    ///     method: Method::Standard,
    ///     standard: Some("0.09 USD".parse()?),
    ///     at: testing::at(2),
    /// })?;
    /// let reval: onhand::rust_decimal::Decimal =
    ///     postings.iter().filter(|p| p.key == PostingKey::Revaluation).map(|p| p.amount).sum();
    /// assert_eq!(reval.to_string(), "-1.20");
    /// assert_eq!(network.valuation().inventory_value(&"NA01".parse()?).to_string(), "21.60");
    /// // Journaled: the engines agree and the journal replays to the same state.
    /// network.check()?;
    /// assert_eq!(network.journal().head().seq, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Valuation`] when valuation refuses the change (the method in force, a
    /// pool that owes stock, a standard cost missing or not wanted), with nothing
    /// changed and nothing journaled; [`Error::NotInPartition`] for another
    /// partition's item.
    pub fn change_costing_method(&mut self, change: &MethodChange) -> Result<Vec<Posting>, Error> {
        self.check_live()?;
        self.check_item(&change.item)?;
        let command = Command::ChangeCostingMethod(change.clone());
        let mark = self.journal.next(&command)?;
        let event = CostEvent {
            id: cost_event_id(mark.seq, 0),
            at: change.at,
            body: CostBody::MethodChange {
                entity: change.entity.clone(),
                item: change.item.clone(),
                site: change.site.clone(),
                method: change.method,
                standard: change.standard,
            },
        };
        let postings = match self.valuation.apply(&event)? {
            Outcome::Posted { postings, .. } => postings,
            Outcome::Duplicate => Vec::new(),
        };
        self.journal.push(mark, command);
        Ok(postings)
    }
}

/// Net change of valuated stock per (item, site, owner), outside transit.
/// An event id as a map key: its 128-bit value, which orders exactly as the id does
/// (the id's bytes read big-endian), compared in one step rather than byte by byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct EventKey(u128);

impl EventKey {
    /// The event's id again.
    pub(crate) fn id(self) -> EventId {
        EventId::from_u128(self.0)
    }
}

impl From<EventId> for EventKey {
    fn from(id: EventId) -> Self {
        Self(id.0.as_u128())
    }
}

/// A key of [`Nets`]: item, site and owner.
pub(crate) type NetKey = (ItemIx, SiteIx, EntityIx);

/// Net valuated changes per (item, site, owner), in key order: a small sorted list (an
/// event nets to a handful of keys), so netting an event allocates nothing.
#[derive(Debug, Clone, Default)]
pub(crate) struct Nets(SmallVec<[(NetKey, Decimal); 4]>);

impl Nets {
    /// Adds `change` at `key`, keeping the keys sorted.
    fn add(&mut self, key: NetKey, change: Decimal) {
        match self.0.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(i) => {
                if let Some((_, v)) = self.0.get_mut(i) {
                    // Cannot overflow: the ledger refuses a line above 10^15 base units,
                    // and it would take some 10^13 of them in one event.
                    *v += change;
                }
            }
            Err(i) => self.0.insert(i, (key, change)),
        }
    }

    /// Whether nothing nets.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries, in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&NetKey, &Decimal)> + '_ {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The entries with their changes writable, in key order.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&NetKey, &mut Decimal)> + '_ {
        self.0.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// The change at `key`, writable.
    pub(crate) fn get_mut(&mut self, key: NetKey) -> Option<&mut Decimal> {
        let i = self.0.binary_search_by(|(k, _)| k.cmp(&key)).ok()?;
        self.0.get_mut(i).map(|(_, v)| v)
    }

    /// Keeps the entries `keep` approves.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&NetKey, &Decimal) -> bool) {
        self.0.retain(|(k, v)| keep(k, v));
    }
}

impl IntoIterator for Nets {
    type Item = (NetKey, Decimal);
    type IntoIter = smallvec::IntoIter<[(NetKey, Decimal); 4]>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Sums the deltas that change valuated stock at a site (not in transit) per item, site
/// and owner, dropping those that net to zero.
pub(crate) fn nets<'a>(changes: impl IntoIterator<Item = (&'a PositionKey, &'a Decimal)>) -> Nets {
    let mut out = Nets::default();
    for (key, change) in changes {
        if key.status == StockStatus::InTransit || !key.status.is_valuated() {
            continue;
        }
        out.add((key.item, key.site, key.owner), *change);
    }
    out.retain(|_, v| !v.is_zero());
    out
}

/// In-transit changes per (item, destination site), in base units.
pub(crate) fn transit<'a>(
    changes: impl IntoIterator<Item = (&'a PositionKey, &'a Decimal)>,
) -> BTreeMap<(ItemIx, SiteIx), Decimal> {
    let mut out = BTreeMap::new();
    for (key, change) in changes.into_iter().filter(|(k, _)| k.status == StockStatus::InTransit) {
        let v: &mut Decimal = out.entry((key.item, key.site)).or_default();
        *v += *change;
    }
    out.retain(|_, v| !v.is_zero());
    out
}

/// The movement lines of an event that brings stock from outside (receipts and
/// returns).
pub(crate) fn inbound_lines(event: &Event) -> &[Line] {
    match &event.body {
        Body::Receipt(m) | Body::CustomerReturn(m) => &m.lines,
        _ => &[],
    }
}

/// Whether `event` can take valuated stock off an item's books (see
/// [`Network::check_withdrawn`]). Receipts, customer returns and transfer receipts bring
/// stock in; put-aways and picks move it between valuated statuses; an adjustment
/// whose every line comes from outside is a gain; a reversal and a return to supplier
/// are checked against the books before the ledger decides (`derive_costs`). Anything
/// else may.
fn may_take_off(event: &Event) -> bool {
    match &event.body {
        Body::Receipt(_)
        | Body::CustomerReturn(_)
        | Body::TransferReceipt(_)
        | Body::Putaway(_)
        | Body::Pick(_)
        | Body::Reversal { .. }
        | Body::SupplierReturn(_) => false,
        Body::Adjustment(m) => m.lines.iter().any(|l| l.from.is_some()),
        _ => true,
    }
}

/// The item a cost event of a receipt, shipment, scrap or adjustment values.
fn cost_item(body: &CostBody) -> Option<&ItemCode> {
    match body {
        CostBody::Receipt { item, .. }
        | CostBody::Issue { item, .. }
        | CostBody::Adjustment { item, .. }
        | CostBody::CustomerReturn { item, .. } => Some(item),
        _ => None,
    }
}

impl Network {
    /// The cost events a ledger reversal or return to supplier derives, worked out
    /// before the ledger decides (and booked whole while it does, or the event is
    /// refused: see [`crate::cost_plan`]):
    ///
    /// - a **reversal** reverses every cost event of its original
    ///   ([`CostBody::Reversal`]), the last first;
    /// - a **return to supplier** returns each line against its receipt's cost events
    ///   of the item ([`CostBody::SupplierReturn`]), what each can still give back,
    ///   in the receipt's line order.
    ///
    /// Other events derive nothing here. An original the ledger does not know, of
    /// another kind or reversed already derives nothing either: the ledger refuses it.
    /// Nor does an event the ledger has taken before (a repeat is a duplicate; the
    /// caller does not ask).
    ///
    /// # Errors
    /// [`Error::NotCosted`] for an original with valuated stock whose cost events the
    /// network does not know (taken before a snapshot that did not record them).
    pub(crate) fn derive_costs(&self, moving: &Event) -> Result<Vec<CostBody>, Error> {
        let mut bodies = Vec::new();
        match &moving.body {
            Body::Reversal { event: original } => {
                // What the ledger refuses (an unknown or reversed original, another
                // kind) derives nothing: its own error says why.
                let Some(posted) = self.ledger.posted(original).filter(|p| {
                    p.reversed_by.is_none()
                        && matches!(
                            p.kind,
                            EventKind::Receipt
                                | EventKind::Pick
                                | EventKind::Ship
                                | EventKind::Scrap
                                | EventKind::Adjustment
                        )
                }) else {
                    return Ok(bodies);
                };
                if let Some(ids) = self.costed.get(&EventKey::from(*original)) {
                    bodies.extend(
                        ids.iter().rev().map(|(_, id)| CostBody::Reversal { original: *id }),
                    );
                } else if !nets(posted.changes.iter().map(|c| (&c.key, &c.change))).is_empty() {
                    return Err(Error::NotCosted { event: *original });
                }
            }
            Body::SupplierReturn(m) => {
                let mut taken: BTreeMap<u64, Decimal> = BTreeMap::new();
                for line in &m.lines {
                    let (Some(receipt), Some(item)) =
                        (line.original, self.catalog.item_ix(&line.item))
                    else {
                        return Ok(Vec::new()); // the ledger refuses the line
                    };
                    if self
                        .ledger
                        .posted(&receipt)
                        .is_none_or(|p| p.kind != EventKind::Receipt || p.reversed_by.is_some())
                    {
                        return Ok(Vec::new()); // likewise
                    }
                    let ids: Vec<u64> = self
                        .costed
                        .get(&EventKey::from(receipt))
                        .map(|l| l.iter().filter(|(i, _)| *i == item).map(|(_, id)| *id).collect())
                        .unwrap_or_default();
                    let Some(last) = ids.last().copied() else {
                        return Err(Error::NotCosted { event: receipt });
                    };
                    let mut left = self.to_base(item, line.qty)?;
                    for id in &ids {
                        if left <= Decimal::ZERO {
                            break;
                        }
                        let done = taken.entry(*id).or_default();
                        let can = self
                            .valuation
                            .returnable(*id)
                            .unwrap_or_default()
                            .checked_sub(*done)
                            .unwrap_or_default();
                        // The last receipt line takes whatever is left, so the books
                        // refuse a return beyond the receipt with their own error.
                        let take = if *id == last { left } else { left.min(can) };
                        if take > Decimal::ZERO {
                            *done += take;
                            left -= take;
                            bodies.push(CostBody::SupplierReturn {
                                receipt: *id,
                                qty: self.base_qty(item, take)?,
                            });
                        }
                    }
                }
            }
            _ => return Ok(bodies),
        }
        Ok(bodies)
    }

    /// Records the cost event `id` of `moving` when the ledger keeps a record of its
    /// kind that a reversal or a return to supplier may name.
    pub(crate) fn note_costed(&mut self, moving: &Event, body: &CostBody, id: u64) {
        if !matches!(
            moving.kind(),
            EventKind::Receipt | EventKind::Ship | EventKind::Scrap | EventKind::Adjustment
        ) {
            return;
        }
        if let Some(item) = cost_item(body).and_then(|c| self.catalog.item_ix(c)) {
            self.costed.entry(moving.id.into()).or_default().push((item, id));
        }
    }

    /// Forgets what a reversed event costed: nothing may name it again (the ledger
    /// refuses a second reversal and a return against a reversed receipt, and a
    /// customer return against a reversed shipment is refused here).
    pub(crate) fn forget_reversed(&mut self, moving: &Event) {
        let Body::Reversal { event: original } = &moving.body else { return };
        let original = EventKey::from(*original);
        self.costed.remove(&original);
        let keys: Vec<(EventKey, ItemIx)> = self
            .issues
            .range((original, ItemIx::new(0))..)
            .take_while(|((e, _), _)| *e == original)
            .map(|(k, _)| *k)
            .collect();
        for k in keys {
            self.issues.remove(&k);
        }
    }

    /// Refuses a back-dated event that can take stock of an item off the books when the
    /// books took a reversal or a return to supplier of that item effective after it
    /// ([`Error::BackDatedBeforeWithdrawal`]).
    ///
    /// The books replay a back-dated movement ahead of the later ones, the withdrawal
    /// included, which takes its units out of its receipt's own FIFO layer wherever it
    /// is (or out of the pool, average and standard). Stock brought in earlier only
    /// leaves that layer or pool fuller, so inflows pass; a reversal or return to
    /// supplier is itself checked against the books before the ledger decides. An
    /// outflow replayed ahead of the withdrawal could leave fewer units there at the
    /// withdrawal's time than it took (the ledger checks balances now, not as they
    /// were then), and the books would refuse what the ledger took: still refused.
    pub(crate) fn check_withdrawn(&self, moving: &Event) -> Result<(), Error> {
        if self.withdrawn.is_empty() || !may_take_off(moving) {
            return Ok(());
        }
        let items = crate::partition::event_items(moving).filter_map(|c| self.catalog.item_ix(c));
        for item in items {
            if let Some(at) = self.withdrawn.get(&item)
                && moving.effective_at < *at
            {
                return Err(Error::BackDatedBeforeWithdrawal {
                    item: self.item_code(item)?,
                    at: *at,
                });
            }
        }
        Ok(())
    }

    /// Notes the items a reversal or return to supplier moved on the books (`skip`:
    /// it moved none), at its effective time.
    pub(crate) fn note_withdrawn(&mut self, moving: &Event, skip: bool) {
        if skip {
            return;
        }
        let items: Vec<ItemIx> = match &moving.body {
            Body::Reversal { event } => self
                .ledger
                .posted(event)
                .map(|p| p.changes.iter().map(|c| c.key.item).collect())
                .unwrap_or_default(),
            Body::SupplierReturn(m) => {
                m.lines.iter().filter_map(|l| self.catalog.item_ix(&l.item)).collect()
            }
            _ => return,
        };
        for item in items {
            let at = self.withdrawn.entry(item).or_insert(moving.effective_at);
            *at = (*at).max(moving.effective_at);
        }
    }
}

#[cfg(test)]
mod tests {
    use onhand_ledger::Delta;

    use super::*;

    #[test]
    fn nets_sum_per_key_in_key_order_and_drop_zeros() {
        let delta = |item: u32, site, owner, status, change: i64| Delta {
            key: onhand_ledger::PositionKey {
                item: ItemIx::new(item),
                site: SiteIx::new(site),
                status,
                owner: EntityIx::new(owner),
                bin: None,
                lot: None,
            },
            change: Decimal::from(change),
            balance: Decimal::ZERO,
        };
        let a = StockStatus::Available;
        let deltas = [
            delta(3, 1, 0, a, 5),
            delta(1, 2, 0, a, -4),
            delta(3, 1, 0, StockStatus::Damaged, 2),
            delta(1, 0, 1, a, 7),
            delta(2, 0, 0, a, 3),
            delta(1, 2, 0, StockStatus::InTransit, 9),
            delta(2, 0, 0, a, -3),
            delta(1, 0, 1, a, 1),
        ];
        // What a map gives: the reference.
        let mut expected: BTreeMap<NetKey, Decimal> = BTreeMap::new();
        for d in &deltas {
            if d.key.status != StockStatus::InTransit && d.key.status.is_valuated() {
                *expected.entry((d.key.item, d.key.site, d.key.owner)).or_default() += d.change;
            }
        }
        expected.retain(|_, v| !v.is_zero());
        let got: Vec<(NetKey, Decimal)> =
            nets(deltas.iter().map(|d| (&d.key, &d.change))).into_iter().collect();
        assert_eq!(got, expected.into_iter().collect::<Vec<_>>());
        assert!(got.windows(2).all(|w| w[0].0 < w[1].0), "{got:?}");
    }

    #[test]
    fn event_keys_order_as_their_ids_and_give_them_back() {
        let values = [
            0,
            1,
            0xff,
            0x100,
            u128::from(u64::MAX),
            1 << 64,
            0x0123_4567_89ab_cdef_0011_2233_4455_6677,
            0xff00_0000_0000_0000_0000_0000_0000_0001,
            1 << 127,
            u128::MAX,
        ];
        for a in values.map(EventId::from_u128) {
            assert_eq!(EventKey::from(a).id(), a);
            for b in values.map(EventId::from_u128) {
                assert_eq!(EventKey::from(a).cmp(&EventKey::from(b)), a.cmp(&b), "{a} {b}");
            }
        }
    }
}
