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
//!
//! A change of a live item's costing method is not a stock movement: the host asks for
//! it with [`Network::change_costing_method`], which journals it as a
//! [`Command::ChangeCostingMethod`] and applies
//! [`CostBody::MethodChange`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use onhand_ledger::{Body, Delta, Event, Line};
use onhand_master::{EntityCode, EntityIx, ItemCode, ItemIx, Money, SiteCode, SiteIx};
use onhand_status::StockStatus;
use onhand_valuation::{CostBody, CostEvent, Method, Outcome, Posting};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

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
pub(crate) type Nets = BTreeMap<(ItemIx, SiteIx, EntityIx), Decimal>;

/// Sums the deltas that change valuated stock at a site (not in transit) per item, site
/// and owner, dropping those that net to zero.
pub(crate) fn nets(deltas: &[Delta]) -> Nets {
    let mut out = Nets::new();
    for d in deltas {
        if d.key.status == StockStatus::InTransit || !d.key.status.is_valuated() {
            continue;
        }
        let v = out.entry((d.key.item, d.key.site, d.key.owner)).or_default();
        *v += d.change;
    }
    out.retain(|_, v| !v.is_zero());
    out
}

/// In-transit changes per (item, destination site), in base units.
pub(crate) fn transit(deltas: &[Delta]) -> BTreeMap<(ItemIx, SiteIx), Decimal> {
    let mut out = BTreeMap::new();
    for d in deltas.iter().filter(|d| d.key.status == StockStatus::InTransit) {
        let v: &mut Decimal = out.entry((d.key.item, d.key.site)).or_default();
        *v += d.change;
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
