//! The demo's promising section: the morning after the demo day, on a copy of the day's
//! network (a what-if: the day itself is left as it ended), purchase orders are placed
//! as expected receipts, a batch of customer orders is allocated by code against the
//! stock, transfers in transit and the purchase orders; then a late receipt is expected
//! and backorders are re-processed, simulated on a copy first.

use std::io::{self, Write};

use chrono::NaiveDate;
use onhand::atp::{SourcingRule, Strategy};
use onhand::master::{UomCode, seed};
use onhand::{Availability, Booked, ExpectedReceipt, Network, OrderRequest, PromiseView};

use crate::demo::Demo;
use crate::table::Table;

fn date(d: u32) -> Result<NaiveDate, String> {
    NaiveDate::from_ymd_opt(2026, 1, d).ok_or_else(|| format!("no date 2026-01-{d}"))
}

/// One demo order: (id, customer, item, quantity, requested day of January, priority,
/// split, substitutes, rule, strategy).
type Spec =
    (u64, &'static str, &'static str, &'static str, u32, u8, bool, bool, SourcingRule, Strategy);

const ORDERS: &[Spec] = &[
    (
        1,
        "HOMEPRO",
        "BOLT-M8",
        "480 EA",
        9,
        3,
        true,
        false,
        SourcingRule::Ranked,
        Strategy::Redistribute,
    ),
    (2, "BUILDCO", "NUT-M8", "500 EA", 9, 2, false, false, SourcingRule::Ranked, Strategy::Gain),
    (3, "WESTFAB", "BOLT-M8", "300 EA", 8, 1, true, true, SourcingRule::Ranked, Strategy::Win),
    (
        4,
        "LONESTAR",
        "GLOVE-NIT",
        "40 EA",
        12,
        5,
        false,
        true,
        SourcingRule::LeastCost,
        Strategy::Redistribute,
    ),
    (
        5,
        "MAPLE",
        "NUT-M8",
        "1500 EA",
        10,
        4,
        true,
        false,
        SourcingRule::Ranked,
        Strategy::Redistribute,
    ),
    (6, "PACIFIC", "DRILL-18V", "2 EA", 13, 2, false, false, SourcingRule::Ranked, Strategy::Fill),
    (
        7,
        "WEBSHOP",
        "GLOVE-NIT",
        "30 EA",
        8,
        6,
        true,
        true,
        SourcingRule::ShortestTransit,
        Strategy::Redistribute,
    ),
    (
        8,
        "HOMEPRO",
        "GLUE-500",
        "60 EA",
        10,
        4,
        true,
        false,
        SourcingRule::Ranked,
        Strategy::Redistribute,
    ),
    (
        9,
        "BUILDCO",
        "NUT-M8",
        "900 EA",
        12,
        7,
        true,
        false,
        SourcingRule::Ranked,
        Strategy::Redistribute,
    ),
    (10, "WESTFAB", "CABLE-CU", "3 RL", 9, 5, false, false, SourcingRule::Ranked, Strategy::Lose),
];

/// The morning after the day: the network moved to Tuesday 08:00 with the week's
/// purchase orders expected (2 pallets of bolts to Atlanta on the 9th, 4 cases of
/// adhesive to Chicago on the 12th, at their purchase prices).
fn morning(demo: &Demo) -> Result<Network, String> {
    let run = demo.day.as_ref().ok_or("no demo day")?;
    let mut network = run.network.clone();
    let e = |x: onhand::Error| x.to_string();
    let tuesday = date(6)?.and_hms_opt(8, 0, 0).ok_or("time")?.and_utc();
    network.advance_to(tuesday).map_err(e)?;
    for (order, supplier, item, site, qty, due) in [
        ("PO-8101", "ACME", "BOLT-M8", "ATL", "2 PL", 9),
        ("PO-8102", "POLYCHEM", "GLUE-500", "ORD", "4 CS", 12),
    ] {
        network.expect(purchase_order(order, supplier, item, site, qty, date(due)?)?).map_err(e)?;
    }
    Ok(network)
}

/// A purchase order line at the item's purchase price per unit ordered.
fn purchase_order(
    order: &str,
    supplier: &str,
    item: &str,
    site: &str,
    qty: &str,
    due: NaiveDate,
) -> Result<ExpectedReceipt, String> {
    let item = item.parse().map_err(|_| "item")?;
    let qty: onhand::master::Qty = qty.parse().map_err(|_| "qty")?;
    let unit: UomCode = qty.uom();
    Ok(ExpectedReceipt {
        order: order.parse().map_err(|_| "order")?,
        line: 1,
        supplier: Some(supplier.parse().map_err(|_| "supplier")?),
        unit_cost: Some(seed::purchase_price_per(&item, unit).ok_or("price")?),
        item,
        site: site.parse().map_err(|_| "site")?,
        qty,
        due,
    })
}

fn requests() -> Result<Vec<OrderRequest>, String> {
    let mut out = Vec::new();
    for (id, customer, item, qty, day, priority, split, subs, rule, strategy) in ORDERS {
        let mut r = OrderRequest::new(
            format!("SO-{}", 6000 + id).parse().map_err(|_| "order")?,
            1,
            customer.parse().map_err(|_| "customer")?,
            item.parse().map_err(|_| "item")?,
            qty.parse().map_err(|_| "qty")?,
            date(*day)?,
        );
        r.priority = *priority;
        r.allow_split = *split;
        r.allow_substitutes = *subs;
        r.rule = *rule;
        r.strategy = *strategy;
        out.push(r);
    }
    Ok(out)
}

fn sources(p: &PromiseView) -> String {
    let parts: Vec<String> = p
        .schedule
        .iter()
        .map(|s| format!("{} {} from {} on {}", s.qty, s.item, s.site, s.delivery.format("%d %b")))
        .collect();
    if parts.is_empty() { "nothing".to_owned() } else { parts.join("; ") }
}

/// The "Promising customer orders" section.
///
/// # Errors
/// Whatever `out` reports.
#[allow(clippy::too_many_lines)] // a narrated report
pub fn promising(demo: &Demo, out: &mut dyn Write) -> io::Result<()> {
    if demo.day.is_none() {
        return writeln!(out, "(no day of events for this network)");
    }
    let mut network = morning(demo).map_err(io::Error::other)?;
    let lines = requests().map_err(io::Error::other)?;
    writeln!(
        out,
        "Tuesday 6 January, on a copy of the day's network: its stock, transfers in transit at"
    )?;
    writeln!(
        out,
        "their expected arrival, purchase orders placed as expected receipts (2 pallets of bolts"
    )?;
    writeln!(
        out,
        "to Atlanta on the 9th, 4 cases of adhesive to Chicago on the 12th), fixed safety stock"
    )?;
    writeln!(
        out,
        "protected for priorities 1-2, nuts allocated 3:1 retail to others, and an infinite-supply"
    )?;
    writeln!(out, "fence at each item-site's lead time.")?;
    writeln!(out)?;
    let offers = network
        .network_available(
            &"BOLT-M8".parse().map_err(|_| io::Error::other("code"))?,
            &"US-SE".parse().map_err(|_| io::Error::other("code"))?,
            NaiveDate::from_ymd_opt(2026, 1, 8).unwrap_or_default(),
            5,
        )
        .map_err(io::Error::other)?;
    writeln!(out, "Network ATP for BOLT-M8 delivered to US-SE on 8 Jan")?;
    let mut t = Table::new(&["site", ">available", "available on", "delivery", "on time"]);
    for o in &offers {
        let qty = match o.available {
            Availability::Unlimited => "unlimited".to_owned(),
            Availability::Limited(q) => q.to_string(),
        };
        t.row(vec![
            o.site.to_string(),
            qty,
            o.available_on.format("%d %b").to_string(),
            o.delivery.format("%d %b").to_string(),
            if o.delivery <= NaiveDate::from_ymd_opt(2026, 1, 8).unwrap_or_default() {
                "yes".into()
            } else {
                "no".into()
            },
        ]);
    }
    t.write(out, 2)?;
    writeln!(out)?;
    writeln!(out, "A batch of orders, allocated by priority, requested date and creation order")?;
    // Served in the batch's order; shown in the order's.
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by_key(|&i| lines.get(i).map(|l| (l.priority, l.requested, i)));
    let mut results: Vec<Option<Result<Booked, onhand::Error>>> = vec![None; lines.len()];
    for i in order {
        if let (Some(line), Some(slot)) = (lines.get(i), results.get_mut(i)) {
            *slot = Some(network.allocate(line));
        }
    }
    let mut t = Table::new(&[
        "line",
        "customer",
        "item",
        ">qty",
        "wanted",
        ">prio",
        ">confirmed",
        "on time",
        "limited by",
        "sources",
    ]);
    for (line, r) in lines.iter().zip(&results) {
        let (confirmed, on_time, limits, src) = match r {
            Some(Ok(b)) => (
                b.promise.confirmed.to_string(),
                if b.promise.on_time { "yes" } else { "no" },
                b.promise.limits.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(", "),
                sources(&b.promise),
            ),
            Some(Err(e)) => (String::new(), "", String::new(), format!("error: {e}")),
            None => (String::new(), "", String::new(), "not allocated".to_owned()),
        };
        t.row(vec![
            line.reference().to_string(),
            line.customer.as_ref().map(ToString::to_string).unwrap_or_default(),
            line.item.to_string(),
            line.qty.to_string(),
            line.requested.format("%d %b").to_string(),
            line.priority.to_string(),
            confirmed,
            on_time.to_owned(),
            limits,
            src,
        ]);
    }
    t.write(out, 2)?;

    // A late receipt: 1,000 nuts are now due at Chicago on the 7th.
    writeln!(out)?;
    writeln!(
        out,
        "A late purchase order: 1000 nuts due at Chicago on 7 Jan. Backorder re-processing"
    )?;
    writeln!(
        out,
        "(win, gain, redistribute, fill, lose; simulated on a copy first, then applied):"
    )?;
    let po = purchase_order(
        "PO-8103",
        "ACME",
        "NUT-M8",
        "ORD",
        "1000 EA",
        NaiveDate::from_ymd_opt(2026, 1, 7).unwrap_or_default(),
    )
    .map_err(io::Error::other)?;
    network.expect(po).map_err(io::Error::other)?;
    let sim =
        network.clone().reprocess(onhand::atp::Sharing::FirstCome).map_err(io::Error::other)?;
    let run = network.reprocess(onhand::atp::Sharing::FirstCome).map_err(io::Error::other)?;
    let mut t = Table::new(&[
        "line",
        "strategy",
        ">before",
        ">after",
        ">gained",
        ">lost",
        "last delivery before",
        "after",
    ]);
    for c in &run.changes {
        let d = |x: Option<NaiveDate>| x.map(|v| v.format("%d %b").to_string()).unwrap_or_default();
        let gained = (c.after.value() - c.before.value()).max(onhand::master::Decimal::ZERO);
        let lost = (c.before.value() - c.after.value()).max(onhand::master::Decimal::ZERO);
        t.row(vec![
            c.line.to_string(),
            c.strategy.as_str().to_owned(),
            c.before.to_string(),
            c.after.to_string(),
            gained.to_string(),
            lost.to_string(),
            d(c.before_delivery),
            d(c.after_delivery),
        ]);
    }
    t.write(out, 2)?;
    let again = network.reprocess(onhand::atp::Sharing::FirstCome).map_err(io::Error::other)?;
    writeln!(
        out,
        "Simulation predicted the same result: {}. Re-processing again changes {} line(s).",
        if sim.changes == run.changes { "yes" } else { "no" },
        again.changes.len()
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Every figure above is in the order line's unit, by site code: the network keeps its"
    )?;
    writeln!(out, "handles to itself. The day's network is unchanged: this was a copy.")
}
