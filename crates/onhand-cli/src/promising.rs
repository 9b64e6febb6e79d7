//! The demo's promising section: the morning after the demo day, a batch of customer
//! orders is promised against the ledger's stock, transfers in transit and open purchase
//! orders; then a late receipt arrives and backorders are re-processed.

use std::io::{self, Write};

use chrono::NaiveDate;
use onhand_atp::{
    Atp, AtpConfig, Claim, Consumption, DemandClass, Horizon, LineId, Mode, OrderLine, Promise,
    QuotaAmount, QuotaEntry, QuotaRule, SourcingRule, Strategy,
};
use onhand_master::{Catalog, CustomerCode};

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

fn customer_class(
    catalog: &Catalog,
    code: &CustomerCode,
) -> (DemandClass, Option<onhand_master::RegionCode>) {
    let Some(c) = catalog.customer_ix(code).and_then(|ix| catalog.customer(ix)) else {
        return (DemandClass::default(), None);
    };
    (
        DemandClass {
            channel: c.channel.clone(),
            group: c.group.clone(),
            region: Some(c.region.clone()),
        },
        Some(c.region.clone()),
    )
}

fn build(demo: &Demo) -> Result<(Atp, Vec<OrderLine>), String> {
    let run = demo.day.as_ref().ok_or("no demo day")?;
    let mut atp = Atp::from_ledger(&run.ledger, AtpConfig { horizon: Horizon::LeadTime }, date(6)?)
        .map_err(|e| e.to_string())?;
    let e = |x: onhand_atp::AtpError| x.to_string();
    // Open purchase orders.
    atp.add_supply(
        &"BOLT-M8".parse().map_err(|_| "code")?,
        &"ATL".parse().map_err(|_| "code")?,
        date(9)?,
        "2 PL".parse().map_err(|_| "qty")?,
    )
    .map_err(e)?;
    atp.add_supply(
        &"GLUE-500".parse().map_err(|_| "code")?,
        &"ORD".parse().map_err(|_| "code")?,
        date(12)?,
        "4 CS".parse().map_err(|_| "qty")?,
    )
    .map_err(e)?;
    // Fixed safety stock is kept for priorities 1 and 2.
    atp.protect_safety_stock(2).map_err(e)?;
    // Nuts are allocated 3:1 between retail and everyone else this week and next.
    let retail = DemandClass {
        group: Some("RETAIL".parse().map_err(|_| "code")?),
        ..DemandClass::default()
    };
    let quota = QuotaRule {
        item: "NUT-M8".parse().map_err(|_| "code")?,
        periods: vec![date(5)?, date(12)?],
        consumption: Consumption::Cumulative,
        entries: vec![QuotaEntry { class: retail, amount: QuotaAmount::Ratio(3) }],
        collective: Some(QuotaAmount::Ratio(1)),
    };
    atp.set_quotas(&[quota]).map_err(e)?;
    let catalog = atp.catalog().clone();
    let mut lines = Vec::new();
    for (id, customer, item, qty, day, priority, split, subs, rule, strategy) in ORDERS {
        let code: CustomerCode = customer.parse().map_err(|_| "customer")?;
        let (class, region) = customer_class(&catalog, &code);
        let mut line = OrderLine::new(
            LineId(*id),
            item.parse().map_err(|_| "item")?,
            qty.parse().map_err(|_| "qty")?,
            date(*day)?,
            region.ok_or("customer region")?,
        );
        line.customer = Some(code);
        line.class = class;
        line.priority = *priority;
        line.allow_split = *split;
        line.allow_substitutes = *subs;
        line.rule = *rule;
        line.strategy = *strategy;
        lines.push(line);
    }
    Ok((atp, lines))
}

fn sources(atp: &Atp, p: &Promise) -> String {
    let cat = atp.catalog();
    let parts: Vec<String> = p
        .schedule
        .iter()
        .map(|s| {
            let site = cat.site(s.site).map(|x| x.code.to_string()).unwrap_or_default();
            let (item, uom) = cat
                .item(s.item)
                .map(|x| (x.code.to_string(), x.base_uom.to_string()))
                .unwrap_or_default();
            format!("{} {uom} {item} from {site} on {}", s.qty, s.delivery.format("%d %b"))
        })
        .collect();
    if parts.is_empty() { "nothing".to_owned() } else { parts.join("; ") }
}

fn base_uom(atp: &Atp, item: &onhand_master::ItemCode) -> String {
    atp.catalog().lookup_item(item).map(|(_, p)| p.base_uom.to_string()).unwrap_or_default()
}

/// The "Promising customer orders" section.
///
/// # Errors
/// Whatever `out` reports.
#[allow(clippy::too_many_lines)] // a narrated report
pub fn promising(demo: &Demo, out: &mut dyn Write) -> io::Result<()> {
    let (mut atp, lines) = build(demo).map_err(io::Error::other)?;
    writeln!(
        out,
        "Tuesday 6 January: stock from the ledger's day, transfers in transit at their arrival,"
    )?;
    writeln!(
        out,
        "purchase orders due (2 pallets of bolts to Atlanta on the 9th, 4 cases of adhesive to"
    )?;
    writeln!(
        out,
        "Chicago on the 12th), fixed safety stock protected for priorities 1-2, nuts allocated"
    )?;
    writeln!(
        out,
        "3:1 retail to others, and an infinite-supply fence at each item-site's lead time."
    )?;
    writeln!(out)?;
    let offers = atp
        .network_atp(
            &"BOLT-M8".parse().map_err(|_| io::Error::other("code"))?,
            &"US-SE".parse().map_err(|_| io::Error::other("code"))?,
            NaiveDate::from_ymd_opt(2026, 1, 8).unwrap_or_default(),
            5,
        )
        .map_err(io::Error::other)?;
    writeln!(out, "Network ATP for BOLT-M8 delivered to US-SE on 8 Jan")?;
    let mut t = Table::new(&["site", ">available", "available on", "delivery", "on time"]);
    for o in &offers {
        let qty = if o.qty == onhand_master::Decimal::MAX {
            "unlimited".to_owned()
        } else {
            o.qty.to_string()
        };
        t.row(vec![
            atp.catalog().site(o.site).map(|s| s.code.to_string()).unwrap_or_default(),
            qty,
            o.available_on.format("%d %b").to_string(),
            o.delivery.format("%d %b").to_string(),
            if o.on_time { "yes".into() } else { "no".into() },
        ]);
    }
    t.write(out, 2)?;
    writeln!(out)?;
    writeln!(out, "A batch of orders, served by priority, requested date and creation order")?;
    let results = atp.allocate_batch(&lines, Claim::Hard);
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
            Ok(p) => (
                format!("{} {}", p.confirmed, base_uom(&atp, &line.item)),
                if p.on_time { "yes" } else { "no" },
                p.limits.to_string(),
                sources(&atp, p),
            ),
            Err(e) => (String::new(), "", String::new(), format!("error: {e}")),
        };
        t.row(vec![
            line.id.to_string(),
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

    // A late receipt: 1,000 nuts land at Chicago on the 7th.
    writeln!(out)?;
    writeln!(out, "A late receipt: 1000 nuts arrive at Chicago on 7 Jan. Backorder re-processing")?;
    writeln!(out, "(win, gain, redistribute, fill, lose; simulated first, then applied):")?;
    atp.add_supply(
        &"NUT-M8".parse().map_err(|_| io::Error::other("code"))?,
        &"ORD".parse().map_err(|_| io::Error::other("code"))?,
        NaiveDate::from_ymd_opt(2026, 1, 7).unwrap_or_default(),
        "1000 EA".parse().map_err(|_| io::Error::other("qty"))?,
    )
    .map_err(io::Error::other)?;
    let sim = atp.reprocess(Mode::Simulate, onhand_atp::Sharing::FirstCome);
    let run = atp.reprocess(Mode::Apply, onhand_atp::Sharing::FirstCome);
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
        t.row(vec![
            c.line.to_string(),
            c.strategy.as_str().to_owned(),
            c.before.to_string(),
            c.after.to_string(),
            c.gained().to_string(),
            c.lost().to_string(),
            d(c.before_delivery),
            d(c.after_delivery),
        ]);
    }
    t.write(out, 2)?;
    let again = atp.reprocess(Mode::Apply, onhand_atp::Sharing::FirstCome);
    writeln!(
        out,
        "Simulation predicted the same result: {}. Re-processing again changes {} line(s).",
        if sim.promises == run.promises { "yes" } else { "no" },
        again.changes.len()
    )
}
