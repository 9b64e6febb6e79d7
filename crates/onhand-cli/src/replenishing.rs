//! The demo's replenishment section: the network's planner after the day's events
//! ([`onhand::Network::planner`]): every planned item-site with its full inventory
//! position (on hand, allocated, backorders, on order, in transit), each one below its
//! reorder point with a recommendation, its alternatives and reasons. Then a queue of
//! transfer requests is ordered by urgency, and gloves are planned by DRP from Chicago to
//! Atlanta and the Boston branch, with Chicago short and sharing what it has.
//!
//! The demand statistics and costs per item-site are the demo's input ([`plans`]); unit
//! costs are the items' purchase prices from the seed data, in the site's currency.

use std::collections::BTreeSet;
use std::io::{self, Write};

use onhand::ItemSitePlan;
use onhand::master::{Catalog, Decimal, ItemCode, SiteCode, seed};
use onhand::replenish::{Action, Costs, DemandStats, DrpNode, LotSizing, ProposedTransfer, drp};

use crate::demo::Demo;
use crate::table::Table;

/// Daily demand (mean, deviation) per item at a regional warehouse, in base units; the
/// branch and the 3PL sell a fifth of it (`SMALL`).
const DEMAND: &[(&str, f64, f64)] = &[
    ("BOLT-M8", 40.0, 12.0),
    ("BOLT-M8-SS", 8.0, 3.0),
    ("NUT-M8", 30.0, 10.0),
    ("GLUE-500", 3.0, 1.2),
    ("SEAL-CART", 2.0, 0.8),
    ("DRILL-18V", 0.3, 0.2),
    ("CABLE-CU", 40.0, 20.0),
    ("RESIN-EP", 0.5, 0.4),
    ("CLEAN-5L", 1.5, 0.7),
    ("GLOVE-NIT", 12.0, 4.0),
    ("GLOVE-LTX", 2.0, 1.0),
];

/// Daily demand at the branch and the 3PL: a fifth of a regional warehouse's.
const SMALL: &[(&str, f64, f64)] = &[
    ("BOLT-M8", 8.0, 2.4),
    ("NUT-M8", 6.0, 2.0),
    ("GLUE-500", 0.6, 0.24),
    ("CLEAN-5L", 0.3, 0.14),
    ("GLOVE-NIT", 2.4, 0.8),
];

/// Priority customers' share of demand over the lead time.
const PRIORITY_SHARE: &str = "0.3";

fn err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// The demo's replenishment plans: every stocked item-site with a demand in the demo's table
/// (the branch and the 3PL at their smaller demand where they have one), priority
/// customers taking 0.3 of the demand over the lead time, and costs:
/// the item's purchase price in the site's currency, 40 an order, 25% a year to hold,
/// 2 per unit short.
///
/// # Errors
/// A literal that does not parse, or an item without a purchase price or rate (defects
/// here: the crate's tests build them).
pub fn plans(catalog: &Catalog) -> Result<Vec<ItemSitePlan>, String> {
    let e = |x: &dyn std::fmt::Display| x.to_string();
    let share: Decimal = PRIORITY_SHARE.parse().map_err(|x| e(&x))?;
    let rate: Decimal = crate::day::USD_CAD.parse().map_err(|x| e(&x))?;
    let mut out = Vec::new();
    for p in &catalog.data().policies {
        if !p.stocked {
            continue;
        }
        let Some((mean, sd)) =
            DEMAND.iter().find(|(c, _, _)| *c == p.item.as_str()).map(|(_, m, s)| (*m, *s))
        else {
            continue;
        };
        let small = matches!(p.site.as_str(), "BOS-BR" | "YUL-3PL");
        let (mean, sd) = if small {
            SMALL
                .iter()
                .find(|(c, _, _)| *c == p.item.as_str())
                .map_or((mean, sd), |(_, m, s)| (*m, *s))
        } else {
            (mean, sd)
        };
        let price = seed::purchase_price(&p.item).ok_or(format!("no price for {}", p.item))?;
        let currency = catalog
            .site_ix(&p.site)
            .and_then(|s| catalog.site_entity(s))
            .and_then(|en| catalog.entity(en))
            .map(|en| en.currency)
            .ok_or(format!("no entity for {}", p.site))?;
        let unit_cost = if currency == price.currency() {
            price.amount()
        } else if currency.as_str() == "CAD" && price.currency().as_str() == "USD" {
            onhand::master::mul_exact(price.amount(), rate).map_err(|x| e(&x))?
        } else {
            return Err(format!("no rate from {} to {currency}", price.currency()));
        };
        let lead = p.lead_time.mean_days;
        let priority = Decimal::from_f64_retain(mean).unwrap_or_default() * lead * share;
        out.push(ItemSitePlan {
            item: p.item.clone(),
            site: p.site.clone(),
            demand: DemandStats::daily(mean, sd),
            priority_demand: priority.round_dp(0),
            costs: Some(Costs {
                unit_cost,
                order_cost: Decimal::from(40),
                holding_rate: Decimal::new(25, 2),
                shortage_penalty: Decimal::from(2),
            }),
        });
    }
    Ok(out)
}

fn days(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |d| format!("{d:.1}"))
}

/// The "Replenishing the network" section.
///
/// # Errors
/// Whatever `out` reports.
#[allow(clippy::too_many_lines)] // a narrated report
pub fn replenishing(demo: &Demo, out: &mut dyn Write) -> io::Result<()> {
    let Some(run) = &demo.day else {
        return writeln!(out, "(no day of events for this network)");
    };
    // Only the items the day moved: the rest of the catalogue has no stock in the demo.
    let moved: BTreeSet<&ItemCode> = run
        .outcomes
        .iter()
        .filter_map(|(_, o)| o.as_ref().ok())
        .flat_map(|o| o.positions.iter().map(|p| &p.item))
        .collect();
    let planner = run.network.planner().map_err(err)?.ok_or_else(|| err("nothing planned"))?;
    let watched =
        run.config.replenish.item_sites.iter().filter(|p| moved.contains(&p.item)).count();
    let recs: Vec<_> =
        planner.evaluate().map_err(err)?.into_iter().filter(|r| moved.contains(&r.item)).collect();
    writeln!(
        out,
        "The network's planner at the end of the day: positions count stock on hand, in transit"
    )?;
    writeln!(
        out,
        "and on order, less allocations. Demand per item (regional warehouses; branch and 3PL a"
    )?;
    writeln!(
        out,
        "fifth), priority customers {PRIORITY_SHARE} of demand, unit costs the purchase prices in the"
    )?;
    writeln!(
        out,
        "site's currency, 40.00 an order, 25% a year to hold, lane costs converted at USD 1 ="
    )?;
    writeln!(
        out,
        "CAD {}, 2.00 per unit short. {watched} item-sites of the items the day moved; {} below\ntheir reorder point.",
        crate::day::USD_CAD,
        recs.len()
    )?;
    writeln!(out)?;
    let mut t = Table::new(&[
        "item",
        "site",
        ">position",
        ">reorder pt",
        ">safety",
        ">days left",
        "recommendation",
        ">qty",
        ">days",
        ">cost",
        ">score",
    ]);
    for r in &recs {
        let b = &r.best;
        let what = match &b.action {
            Action::Transfer { from } => format!("transfer from {from}"),
            Action::Purchase { supplier } => format!("buy from {supplier}"),
            Action::Substitute { item } => format!("substitute {item}"),
            Action::ProtectAllocation => "protect for priority".to_owned(),
            other => other.kind().replace('_', " "),
        };
        t.row(vec![
            r.item.to_string(),
            r.site.to_string(),
            r.position.to_string(),
            r.reorder_point.to_string(),
            r.safety_stock.to_string(),
            days(r.days_to_stockout),
            what,
            b.qty.to_string(),
            b.arrives_in_days.to_string(),
            format!("{:.2}", b.cost),
            format!("{:.2}", b.score),
        ]);
    }
    t.write(out, 2)?;
    writeln!(out)?;
    writeln!(out, "The most urgent decisions with a choice, with the alternatives and reasons:")?;
    for r in recs.iter().filter(|r| !r.alternatives.is_empty() || r.also.is_some()).take(3) {
        writeln!(
            out,
            "  {} at {} (position {}, reorder point {}):",
            r.item, r.site, r.position, r.reorder_point
        )?;
        let also = r.also.iter().map(|c| ("also", c));
        let ranked =
            std::iter::once(("best", &r.best)).chain(r.alternatives.iter().map(|c| ("alt", c)));
        for (label, c) in ranked.chain(also) {
            writeln!(out, "    {label:<6} {} (score {:.2})", c.action.kind(), c.score)?;
            for reason in &c.reasons {
                writeln!(out, "           - {reason}")?;
            }
        }
    }

    // Transfer requests, queued by urgency and impact.
    writeln!(out)?;
    writeln!(out, "Transfer requests waiting for approval, ordered by urgency and impact:")?;
    let req = |item: &str, from: &str, to: &str, qty: i64| -> io::Result<ProposedTransfer> {
        Ok(ProposedTransfer {
            item: item.parse().map_err(err)?,
            from: from.parse().map_err(err)?,
            to: to.parse().map_err(err)?,
            qty: Decimal::from(qty),
        })
    };
    let requests = vec![
        req("GLOVE-NIT", "ATL", "BOS-BR", 24)?,
        req("BOLT-M8", "ORD", "ATL", 480)?,
        req("NUT-M8", "ORD", "YYZ", 400)?,
    ];
    let mut t =
        Table::new(&["#", "request", ">expected short", ">priority at risk", ">cost", ">score"]);
    for (n, (k, c)) in planner.rank_transfers(&requests).map_err(err)?.iter().enumerate() {
        let r = requests.get(*k).ok_or_else(|| err("request"))?;
        t.row(vec![
            (n + 1).to_string(),
            format!("{} {} {} -> {}", r.qty, r.item, r.from, r.to),
            format!("{:.1}", c.expected_short),
            format!("{:.1}", c.priority_at_risk),
            format!("{:.2}", c.cost),
            format!("{:.2}", c.score),
        ]);
    }
    t.write(out, 2)?;

    // DRP: the branch and the 3PL are planned from the regional warehouses.
    writeln!(out)?;
    writeln!(
        out,
        "Gloves by DRP over six weeks: Chicago supplies Atlanta and the Boston branch; its"
    )?;
    writeln!(
        out,
        "own supplier is out this month, so it shares what it has by equal days of supply."
    )?;
    let glove: ItemCode = "GLOVE-NIT".parse().map_err(err)?;
    let week = |v: &[i64]| v.iter().map(|x| Decimal::from(*x)).collect::<Vec<_>>();
    let node = |site: &str,
                source: Option<&str>,
                on_hand: i64,
                ss: i64,
                lead: u32,
                gross: &[i64]|
     -> io::Result<DrpNode> {
        Ok(DrpNode {
            site: site.parse::<SiteCode>().map_err(err)?,
            source: source.map(str::parse).transpose().map_err(err)?,
            on_hand: Decimal::from(on_hand),
            safety_stock: Decimal::from(ss),
            lead_periods: lead,
            lot: LotSizing::MinMultiple { min: Decimal::from(24), multiple: Decimal::from(12) },
            gross: week(gross),
            scheduled: vec![],
            period_days: 7,
            constrained: false,
        })
    };
    let mut ord = node("ORD", None, 150, 40, 1, &[60, 60, 60, 60, 60, 60])?;
    ord.constrained = true;
    let nodes = vec![
        ord,
        node("ATL", Some("ORD"), 60, 30, 1, &[40, 40, 45, 45, 40, 40])?,
        node("BOS-BR", Some("ORD"), 30, 12, 1, &[15, 15, 20, 20, 15, 15])?,
    ];
    let records = drp(6, &nodes).map_err(err)?;
    for r in &records {
        if r.past_due.is_zero() {
            writeln!(out, "  {glove} at {}", r.site)?;
        } else {
            writeln!(
                out,
                "  {glove} at {} ({} past due: should have been released already)",
                r.site, r.past_due
            )?;
        }
        let mut t = Table::new(&["", ">w1", ">w2", ">w3", ">w4", ">w5", ">w6"]);
        let row = |name: &str, v: &[Decimal]| {
            let mut cells = vec![name.to_owned()];
            cells.extend(v.iter().map(ToString::to_string));
            cells
        };
        t.row(row("gross requirements", &r.gross));
        t.row(row("projected on hand", &r.projected));
        t.row(row("planned receipts", &r.planned_receipts));
        t.row(row("planned releases", &r.planned_releases));
        t.row(row("short of plan", &r.shortfall));
        t.write(out, 4)?;
    }
    Ok(())
}
