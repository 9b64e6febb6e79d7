//! Reading the network by code: positions by measure (now or as of a time), dated
//! availability for a site and across the network, what is in transit, the books of an
//! entity, intercompany reconciliation, and the replenishment planner as things stand. Every figure comes back with its unit or
//! currency.

use chrono::{DateTime, NaiveDate, Utc};
use onhand_master::{CurrencyCode, EntityCode, ItemCode, Money, Qty, RegionCode, SiteCode};
use onhand_replenish::{Planner, SiteState};
use onhand_status::Measure;
use onhand_valuation::{Reconciliation, reconcile};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::network::Network;

/// Availability: a quantity, or unlimited beyond the checking horizon (where new supply
/// can still be ordered in time). The ATP engine's type; the facade's figures carry
/// their unit (`Availability<Qty>`).
pub use onhand_atp::Availability;

/// What one site can promise for a ship-to region on a requested date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteAvailability {
    /// The site.
    pub site: SiteCode,
    /// What it can promise.
    pub available: Availability<Qty>,
    /// When the stock must be at the site to deliver on the requested date.
    pub available_on: NaiveDate,
    /// When it would be delivered.
    pub delivery: NaiveDate,
}

/// One transfer line in transit to a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitLine {
    /// The transfer order.
    pub transfer: onhand_ledger::DocNumber,
    /// The shipping site.
    pub from: SiteCode,
    /// The receiving site.
    pub to: SiteCode,
    /// The item.
    pub item: ItemCode,
    /// How much is on the way.
    pub qty: Qty,
    /// The entity that owns it physically (the shipper, until received).
    pub owner: EntityCode,
    /// When it is expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_arrival: Option<DateTime<Utc>>,
}

/// One cost pool of an entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolLine {
    /// The item.
    pub item: ItemCode,
    /// The site, for an entity valued per site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteCode>,
    /// The quantity on the books (negative after a shortfall).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub qty: Decimal,
    /// Its value.
    pub value: Money,
}

/// An entity's books: stock value, in transit, intercompany profit still held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityBooks {
    /// The entity.
    pub entity: EntityCode,
    /// Its currency.
    pub currency: CurrencyCode,
    /// The value of its stock on hand.
    pub inventory: Money,
    /// The value of goods it owns in transit.
    pub in_transit: Money,
    /// Intercompany profit embedded in what it holds.
    pub unrealized_profit: Money,
    /// Its pools.
    pub pools: Vec<PoolLine>,
}

impl Network {
    /// A measure of an item at a site now, or as of a time in the open period.
    ///
    /// # Errors
    /// [`Error::Atp`] with an unknown item or site; [`Error::NotInPartition`].
    pub fn position(
        &self,
        item: &ItemCode,
        site: &SiteCode,
        measure: Measure,
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Qty, Error> {
        self.check_item(item)?;
        let (i, s) = self.item_site(item, site)?;
        let q = match as_of {
            Some(at) => self.ledger.measure_as_of(i, s, measure, at),
            None => self.ledger.measure(i, s, measure),
        };
        Ok(Qty::at_least_zero(q, self.base_uom(i)?))
    }

    /// Available to promise at a site on a date for demand of `priority` (cumulative
    /// with look-ahead: nothing promised later is taken).
    ///
    /// # Errors
    /// [`Error::Atp`] with an unknown item or site or a date out of range;
    /// [`Error::NotInPartition`].
    pub fn available(
        &self,
        item: &ItemCode,
        site: &SiteCode,
        date: NaiveDate,
        priority: u8,
    ) -> Result<Availability<Qty>, Error> {
        self.check_item(item)?;
        let (i, _) = self.item_site(item, site)?;
        let q = self.atp.atp(item, site, date, priority)?;
        self.availability(i, q)
    }

    fn availability(
        &self,
        item: onhand_master::ItemIx,
        a: Availability<Decimal>,
    ) -> Result<Availability<Qty>, Error> {
        a.try_map(|q| Ok(Qty::at_least_zero(q, self.base_uom(item)?)))
    }

    /// For a ship-to region and a requested delivery date: what each candidate site can
    /// promise, in rank order.
    ///
    /// # Errors
    /// [`Error::Atp`] with an unknown item or region or a date out of range;
    /// [`Error::NotInPartition`].
    pub fn network_available(
        &self,
        item: &ItemCode,
        region: &RegionCode,
        requested: NaiveDate,
        priority: u8,
    ) -> Result<Vec<SiteAvailability>, Error> {
        self.check_item(item)?;
        let i = self
            .catalog
            .item_ix(item)
            .ok_or_else(|| Error::Atp(onhand_atp::AtpError::UnknownItem { item: item.clone() }))?;
        let offers = self.atp.network_atp(item, region, requested, priority)?;
        let mut out = Vec::with_capacity(offers.len());
        for o in offers {
            out.push(SiteAvailability {
                site: self.site_code(o.site)?,
                available: self.availability(i, o.qty)?,
                available_on: o.available_on,
                delivery: o.delivery,
            });
        }
        Ok(out)
    }

    /// What is in transit to a site, by transfer and item.
    ///
    /// # Errors
    /// [`Error::Atp`] with an unknown site.
    pub fn in_transit_to(&self, site: &SiteCode) -> Result<Vec<TransitLine>, Error> {
        let s = self
            .catalog
            .site_ix(site)
            .ok_or_else(|| Error::Atp(onhand_atp::AtpError::UnknownSite { site: site.clone() }))?;
        let mut out = Vec::new();
        for t in self.ledger.in_transit_to(s) {
            out.push(TransitLine {
                transfer: t.order.number.clone(),
                from: self.site_code(t.order.from)?,
                to: site.clone(),
                item: self.item_code(t.item)?,
                qty: self.base_qty(t.item, t.qty)?,
                owner: self
                    .catalog
                    .entity(t.owner)
                    .map(|e| e.code.clone())
                    .ok_or_else(|| Error::Restore { what: "an unknown owner in transit".into() })?,
                expected_arrival: t.order.expected_arrival,
            });
        }
        Ok(out)
    }

    /// An entity's books.
    ///
    /// # Errors
    /// [`Error::Config`] for an unknown entity.
    pub fn books(&self, entity: &EntityCode) -> Result<EntityBooks, Error> {
        let e = self
            .catalog
            .entity_ix(entity)
            .and_then(|ix| self.catalog.entity(ix))
            .ok_or_else(|| Error::Config { what: format!("unknown entity {entity}") })?;
        let currency = e.currency;
        let pools = self
            .valuation
            .pools()
            .into_iter()
            .filter(|p| p.entity == *entity)
            .map(|p| PoolLine {
                item: p.item,
                site: p.site,
                qty: p.qty,
                value: Money::new(p.value, p.currency),
            })
            .collect();
        Ok(EntityBooks {
            entity: entity.clone(),
            currency,
            inventory: Money::new(self.valuation.inventory_value(entity), currency),
            in_transit: Money::new(self.valuation.in_transit_value(entity), currency),
            unrealized_profit: Money::new(self.valuation.unrealized_profit(entity), currency),
            pools,
        })
    }

    /// Consolidates the group's books for the period: eliminates intercompany revenue
    /// and the profit still held in the buyers' stock, translated into the group
    /// currency by the configured rates. Journaled: the period's intercompany totals
    /// start again after it. `group` is the consolidation's own code, under which the
    /// eliminations are booked: a reporting level, which need not be one of the legal
    /// entities.
    ///
    /// # Errors
    /// [`Error::Valuation`] for a missing rate, or an entity of the period's
    /// intercompany trade the catalog no longer knows.
    pub fn consolidate(
        &mut self,
        run: u64,
        group: &EntityCode,
        currency: CurrencyCode,
    ) -> Result<onhand_valuation::Consolidation, Error> {
        self.check_live()?;
        let command = crate::journal::Command::Consolidate { run, group: group.clone(), currency };
        let mark = self.journal.next(&command)?;
        let rates = self.config.rates.clone();
        let c = self.valuation.consolidate(run, group, currency, &rates)?;
        self.journal.push(mark, command);
        Ok(c)
    }

    /// The replenishment planner over every planned item-site this network holds, each
    /// with its inventory position as it is now: on hand, allocated, backorders, on
    /// order and in transit. [`Planner::evaluate`] gives the recommendations of those at
    /// or below their reorder point; [`Planner::rank_transfers`] orders transfer
    /// requests. `None` when the configuration plans nothing.
    ///
    /// # Errors
    /// [`Error::Replenish`] when the planner refuses the states or the rates.
    pub fn planner(&self) -> Result<Option<Planner>, Error> {
        let mut states = Vec::with_capacity(self.below.len());
        for p in &self.config.replenish.item_sites {
            let (Some(i), Some(s)) = (self.catalog.item_ix(&p.item), self.catalog.site_ix(&p.site))
            else {
                continue;
            };
            if !self.below.contains_key(&(i, s)) {
                continue; // another partition's item
            }
            states.push(SiteState {
                item: p.item.clone(),
                site: p.site.clone(),
                stats: p.demand.clone(),
                position: self.inventory_position((i, s)),
                priority_demand: p.priority_demand,
                costs: p.costs,
            });
        }
        if states.is_empty() {
            return Ok(None);
        }
        let rates = crate::network::replenish_rates(&self.config);
        Ok(Some(Planner::new(self.catalog.clone(), states)?.with_rates(rates)?))
    }

    /// Matches every seller's intercompany receivables against the buyers' payables.
    #[must_use]
    pub fn reconciliation(&self) -> Reconciliation {
        reconcile(
            self.valuation.receivables(),
            self.valuation.payables(),
            &self.valuation.open_transfers(),
        )
    }
}
