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

use std::collections::BTreeMap;

use onhand_ledger::{Body, Delta, Event, Line};
use onhand_master::{EntityIx, ItemIx, SiteIx};
use onhand_status::StockStatus;
use rust_decimal::Decimal;

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
