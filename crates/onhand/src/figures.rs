//! [`Figures`]: what a network reports about the whole of itself, in a form that merges
//! exactly across partitions.
//!
//! Every figure is a sum keyed by business codes (per item, per entity, per entity pair
//! and currency), so [`Figures::merge`] is associative and commutative, and the figures
//! of a network split into partitions, merged, equal those of the network run whole.
//! An item lives in one partition, so per-item figures come from exactly one of them;
//! per-entity figures add up across them.

use std::collections::BTreeMap;

use onhand_master::{CurrencyCode, EntityCode, ItemCode};
use onhand_status::Measure;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::network::Network;

/// One item across the network, in its base unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ItemFigures {
    /// On hand at every site.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub on_hand: Decimal,
    /// Available at every site.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub available: Decimal,
    /// In transit between sites.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub in_transit: Decimal,
    /// Open on expected receipts.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub on_order: Decimal,
    /// Confirmed to booked order lines.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub allocated: Decimal,
    /// Requested by booked order lines and not confirmed.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub backordered: Decimal,
}

/// One entity's books, in its currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityFigures {
    /// The entity's currency.
    pub currency: CurrencyCode,
    /// The value of its stock on hand.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub inventory: Decimal,
    /// The value of goods it owns in transit.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub in_transit: Decimal,
    /// Intercompany profit embedded in what it holds.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub unrealized_profit: Decimal,
}

/// Open intercompany items between a seller and a buyer in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IntercompanyFigures {
    /// What the seller's books say the buyer owes.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub receivable: Decimal,
    /// What the buyer's books say it owes the seller.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub payable: Decimal,
    /// Open documents on either side.
    pub documents: u64,
}

/// Counts of what is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counts {
    /// Booked order lines.
    pub order_lines: u64,
    /// Open expected receipts.
    pub expected_receipts: u64,
    /// Transfer orders with goods in transit.
    pub transfers_in_transit: u64,
    /// Events waiting for approval (an event split across partitions counts once in
    /// each partition holding a part of it).
    pub pending_events: u64,
}

/// What a network (or partition) reports about itself; merge partitions' figures with
/// [`Figures::merge`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Figures {
    /// Per item.
    pub items: BTreeMap<ItemCode, ItemFigures>,
    /// Per entity.
    pub entities: BTreeMap<EntityCode, EntityFigures>,
    /// Per seller, buyer and currency.
    pub intercompany: BTreeMap<String, IntercompanyFigures>,
    /// What is open.
    pub counts: Counts,
}

fn add(a: &mut Decimal, b: Decimal) {
    *a = a.checked_add(b).unwrap_or(Decimal::MAX);
}

impl Figures {
    /// The figures of two partitions (or two halves of any split) together.
    #[must_use]
    pub fn merge(mut self, other: Figures) -> Figures {
        for (k, v) in other.items {
            let e = self.items.entry(k).or_default();
            add(&mut e.on_hand, v.on_hand);
            add(&mut e.available, v.available);
            add(&mut e.in_transit, v.in_transit);
            add(&mut e.on_order, v.on_order);
            add(&mut e.allocated, v.allocated);
            add(&mut e.backordered, v.backordered);
        }
        for (k, v) in other.entities {
            match self.entities.get_mut(&k) {
                Some(e) => {
                    add(&mut e.inventory, v.inventory);
                    add(&mut e.in_transit, v.in_transit);
                    add(&mut e.unrealized_profit, v.unrealized_profit);
                }
                None => {
                    self.entities.insert(k, v);
                }
            }
        }
        for (k, v) in other.intercompany {
            let e = self.intercompany.entry(k).or_default();
            add(&mut e.receivable, v.receivable);
            add(&mut e.payable, v.payable);
            e.documents += v.documents;
        }
        let (a, b) = (&mut self.counts, other.counts);
        a.order_lines += b.order_lines;
        a.expected_receipts += b.expected_receipts;
        a.transfers_in_transit += b.transfers_in_transit;
        a.pending_events += b.pending_events;
        self
    }

    /// Drops figures that are all zero, so a partition that never saw an item and one
    /// that saw it come and go report the same.
    #[must_use]
    pub fn without_zeros(mut self) -> Figures {
        self.items.retain(|_, f| *f != ItemFigures::default());
        self.intercompany.retain(|_, f| *f != IntercompanyFigures::default());
        self
    }
}

impl Network {
    /// This network's figures (for a partition: its items' and its share of every
    /// entity's).
    ///
    /// # Errors
    /// [`Error::Restore`] for a handle the catalog does not know (never, for a network
    /// built by this crate).
    pub fn figures(&self) -> Result<Figures, Error> {
        let mut f = Figures::default();
        for (item, data) in self.catalog.items() {
            if !self.holds(item) {
                continue;
            }
            let mut fig = ItemFigures::default();
            for (site, _) in self.catalog.sites() {
                add(&mut fig.on_hand, self.ledger.measure(item, site, Measure::OnHand));
                add(&mut fig.available, self.ledger.measure(item, site, Measure::Available));
            }
            if fig != ItemFigures::default() {
                f.items.insert(data.code.clone(), fig);
            }
        }
        for order in self.ledger.transfers() {
            let mut any = false;
            for line in &order.lines {
                let q = line.outstanding();
                if q > Decimal::ZERO {
                    any = true;
                    add(&mut f.items.entry(self.item_code(line.item)?).or_default().in_transit, q);
                }
            }
            if any {
                f.counts.transfers_in_transit += 1;
            }
        }
        for r in self.receipts.values() {
            add(&mut f.items.entry(r.expected.item.clone()).or_default().on_order, r.open);
        }
        for b in self.bookings.values() {
            if let Some(p) = self.atp.booked(onhand_atp::LineId(b.id)) {
                let e = f.items.entry(b.request.item.clone()).or_default();
                add(&mut e.allocated, p.confirmed);
                add(&mut e.backordered, p.unconfirmed);
            }
        }
        for e in &self.catalog.data().entities {
            f.entities.insert(
                e.code.clone(),
                EntityFigures {
                    currency: e.currency,
                    inventory: self.valuation.inventory_value(&e.code),
                    in_transit: self.valuation.in_transit_value(&e.code),
                    unrealized_profit: self.valuation.unrealized_profit(&e.code),
                },
            );
        }
        for r in self.valuation.receivables() {
            let k = format!("{}>{} {}", r.seller, r.buyer, r.amount.currency());
            let e = f.intercompany.entry(k).or_default();
            add(&mut e.receivable, r.amount.amount());
            e.documents += 1;
        }
        for p in self.valuation.payables() {
            let k = format!("{}>{} {}", p.seller, p.buyer, p.amount.currency());
            let e = f.intercompany.entry(k).or_default();
            add(&mut e.payable, p.amount.amount());
            e.documents += 1;
        }
        f.counts.order_lines = self.bookings.len() as u64;
        f.counts.expected_receipts = self.receipts.len() as u64;
        f.counts.pending_events = self.ledger.pending().count() as u64;
        Ok(f)
    }
}
