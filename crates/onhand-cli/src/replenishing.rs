//! The demo's replenishment section: after the day's events, every stocked item at
//! every regional warehouse is evaluated against its policy; each site below its
//! reorder point gets a recommendation with its alternatives and reasons. Then a queue
//! of transfer requests is ordered by urgency, and gloves are planned by DRP from
//! Chicago to Atlanta and the Boston branch, with Chicago short and sharing what it has.

use std::io::{self, Write};
use std::sync::Arc;

use onhand_master::{Catalog, Decimal, ItemCode, SiteCode};
use onhand_replenish::{
    Costs, DemandStats, DrpNode, ExchangeRate, LotSizing, Planner, Position, SiteState,
    TransferRequest, drp,
};

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

fn states(demo: &Demo, catalog: &Catalog) -> io::Result<Vec<SiteState>> {
    let run = demo.day.as_ref().ok_or_else(|| err("no demo day"))?;
    let share: Decimal = PRIORITY_SHARE.parse().map_err(err)?;
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
        let (Some(i), Some(s)) = (catalog.item_ix(&p.item), catalog.site_ix(&p.site)) else {
            continue;
        };
        // Only items the day moved: the rest of the catalogue has no stock in the demo.
        if run.ledger.network_total(i).is_zero() {
            continue;
        }
        let small = matches!(p.site.as_str(), "BOS-BR" | "YUL-3PL");
        let (mean, sd) = if small {
            SMALL
                .iter()
                .find(|(c, _, _)| *c == p.item.as_str())
                .map_or((mean, sd), |(_, m, s)| (*m, *s))
        } else {
            (mean, sd)
        };
        let position = Position::from_ledger(&run.ledger, i, s);
        let lead = p.lead_time.mean_days;
        let priority = Decimal::from_f64_retain(mean).unwrap_or_default() * lead * share;
        out.push(SiteState {
            item: p.item.clone(),
            site: p.site.clone(),
            stats: DemandStats::daily(mean, sd),
            position,
            priority_demand: priority.round_dp(0),
            costs: Some(Costs {
                unit_cost: crate::valuing::PRICES
                    .iter()
                    .find(|(c, _)| *c == p.item.as_str())
                    .map_or(Ok(Decimal::ONE), |(_, v)| v.parse())
                    .map_err(err)?,
                order_cost: "40".parse().map_err(err)?,
                holding_rate: "0.25".parse().map_err(err)?,
                shortage_penalty: "2".parse().map_err(err)?,
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
    let catalog = Arc::new(demo.catalog.clone());
    let states = states(demo, &catalog)?;
    // Lanes into the Canadian sites are priced in both currencies: convert at the
    // demo's rate.
    let rate = |from: &str, to: &str, rate: &str| -> io::Result<ExchangeRate> {
        Ok(ExchangeRate {
            from: from.parse().map_err(err)?,
            to: to.parse().map_err(err)?,
            rate: rate.parse().map_err(err)?,
        })
    };
    let rates = vec![
        rate("USD", "CAD", crate::valuing::USD_CAD)?,
        rate("CAD", "USD", crate::valuing::CAD_USD)?,
    ];
    let planner = Planner::new(catalog.clone(), states.clone())
        .and_then(|p| p.with_rates(rates))
        .map_err(err)?;
    let recs = planner.evaluate().map_err(err)?;
    writeln!(
        out,
        "Stock from the end of the day, demand per item (regional warehouses; branch and"
    )?;
    writeln!(
        out,
        "3PL a fifth), priority customers {PRIORITY_SHARE} of demand, unit costs from the price list,"
    )?;
    writeln!(
        out,
        "40.00 an order, 25% a year to hold, lane costs converted at USD 1 = CAD {},",
        crate::valuing::USD_CAD
    )?;
    writeln!(
        out,
        "2.00 per unit short. {} item-sites of the items the day moved; {} below their reorder point.",
        states.len(),
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
            onhand_replenish::Action::Transfer { from } => format!("transfer from {from}"),
            onhand_replenish::Action::Purchase { supplier } => format!("buy from {supplier}"),
            onhand_replenish::Action::Substitute { item } => format!("substitute {item}"),
            onhand_replenish::Action::ProtectAllocation => "protect for priority".to_owned(),
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
    let req = |item: &str, from: &str, to: &str, qty: i64| -> io::Result<TransferRequest> {
        Ok(TransferRequest {
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
