//! Reading the ledger in the model's terms.

use super::{
    BTreeMap, Body, Catalog, Decimal, Event, Ledger, MKey, MLine, MLot, MOrder, SiteIx, State,
    StockStatus,
};

pub(crate) fn ledger_positions(l: &Ledger) -> BTreeMap<MKey, Decimal> {
    let mut out: BTreeMap<MKey, Decimal> = BTreeMap::new();
    for (k, q) in l.positions() {
        *out.entry(MKey::of(l, &k)).or_default() += q;
    }
    out
}

pub(crate) fn ledger_orders(l: &Ledger) -> BTreeMap<String, MOrder> {
    let cat = l.catalog();
    let site = |s: SiteIx| cat.site(s).map_or_else(String::new, |x| x.code.to_string());
    l.transfers()
        .map(|o| {
            let lines = o
                .lines
                .iter()
                .map(|x| MLine {
                    item: cat.item(x.item).map_or_else(String::new, |i| i.code.to_string()),
                    requested: x.requested,
                    shipped: x.shipped,
                    received: x.received,
                    damaged: x.damaged,
                    over: x.over,
                    written_off: x.written_off,
                    in_transit: x
                        .in_transit
                        .iter()
                        .map(|(tk, q)| {
                            let lot = tk.lot.and_then(|ix| l.lot(ix)).map(|i| i.code.to_string());
                            let owner = cat
                                .entity(tk.owner)
                                .map_or_else(String::new, |e| e.code.to_string());
                            ((lot, owner), q.0)
                        })
                        .collect(),
                })
                .collect();
            let order = MOrder {
                from: site(o.from),
                to: site(o.to),
                state: o.state,
                requested_by: o.requested_by.to_string(),
                lines,
                shipped_at: o.shipped_at,
            };
            (o.number.to_string(), order)
        })
        .collect()
}

pub(crate) fn ledger_serials(l: &Ledger, st: &State) -> BTreeMap<(String, String), MKey> {
    let cat = l.catalog();
    st.serials
        .iter()
        .map(|(item, s, k)| {
            let i = cat.item(*item).map_or_else(String::new, |i| i.code.to_string());
            ((i, s.to_string()), MKey::of(l, k))
        })
        .collect()
}

pub(crate) fn ledger_lots(l: &Ledger) -> Vec<MLot> {
    let cat = l.catalog();
    l.lots()
        .iter()
        .map(|x| MLot {
            item: cat.item(x.item).map_or_else(String::new, |i| i.code.to_string()),
            code: x.code.to_string(),
            expiry: x.expiry,
            first: x.first_receipt,
        })
        .collect()
}

/// Whether two states have the same positions, lots, serials, transfers and close: the
/// parts a pending event must leave alone.
pub(crate) fn same_stock(a: &State, b: &State) -> bool {
    a.positions == b.positions
        && a.lots == b.lots
        && a.serials == b.serials
        && a.transfers == b.transfers
        && a.closed_through == b.closed_through
}

/// The change of each item's network total an event implies by its kind and lines
/// alone (`None` for kinds whose effect depends on the state: counts, transfer
/// receipts and closes).
pub(crate) fn event_net(cat: &Catalog, ev: &Event) -> Option<BTreeMap<String, Decimal>> {
    let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
    let lines = match &ev.body {
        Body::CycleCount(_)
        | Body::TransferReceipt(_)
        | Body::TransferClose
        | Body::Reversal { .. }
        | Body::SupplierReturn(_) => return None,
        Body::Receipt(m)
        | Body::Ship(m)
        | Body::Adjustment(m)
        | Body::Scrap(m)
        | Body::Disposition(m)
        | Body::CustomerReturn(m) => &m.lines,
        Body::Putaway(_)
        | Body::Pick(_)
        | Body::StatusChange(_)
        | Body::TransferShip(_)
        | Body::TransferRequest(_)
        | Body::TransferApprove
        | Body::Approve { .. }
        | Body::Reject { .. }
        | Body::ClosePeriod { .. }
        | Body::ReopenPeriod { .. } => return Some(out),
    };
    for l in lines {
        let ix = cat.item_ix(&l.item)?;
        let base = cat.item_units(ix)?.to_base(l.qty).ok()?.value();
        let sign = match &ev.body {
            Body::Receipt(_) | Body::CustomerReturn(_) => 1,
            Body::Ship(_) => -1,
            Body::Adjustment(_) => {
                if l.from.is_none() {
                    1
                } else {
                    -1
                }
            }
            Body::Scrap(_) => {
                if l.from == Some(StockStatus::Scrapped) {
                    0
                } else {
                    -1
                }
            }
            Body::Disposition(_) if l.to == Some(StockStatus::Scrapped) => -1,
            _ => 0,
        };
        *out.entry(l.item.to_string()).or_default() += base * Decimal::from(sign);
    }
    Some(out)
}
