//! The demo's valuation section: the ledger's day, costed. Every accepted ledger event
//! that moves value becomes cost events (its position changes say how much moved
//! where); the intercompany transfer from Chicago to Toronto produces its documents and
//! both entities' postings; the next morning Toronto receives and sells part of it, and
//! the period-end consolidation eliminates the profit still held.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use onhand_ledger::{Applied, Body, Event, Ledger, Rules};
use onhand_master::{Catalog, CurrencyCode, Decimal, EntityCode, ItemCode, Money, Qty, SiteCode};
use onhand_status::StockStatus;
use onhand_valuation::{
    Agreement, CostBody, CostEvent, IssueTo, Outcome, Posting, PostingKey, PriceRule, Rate,
    TitlePoint, Valuation, ValuationConfig, reconcile, unbalanced,
};

use crate::demo::Demo;
use crate::table::Table;

/// Purchase cost per base unit in USD (CA01 buys at these times the rate).
pub const PRICES: &[(&str, &str)] = &[
    ("BOLT-M8", "0.085"),
    ("BOLT-M8-SS", "0.19"),
    ("NUT-M8", "0.04"),
    ("GLUE-500", "4.20"),
    ("SEAL-CART", "6.10"),
    ("DRILL-18V", "89.00"),
    ("CABLE-CU", "0.95"),
    ("RESIN-EP", "11.40"),
    ("CLEAN-5L", "7.25"),
    ("GLOVE-NIT", "0.15"),
    ("GLOVE-LTX", "0.13"),
];

/// The demo's exchange rate, CAD per USD.
pub(crate) const USD_CAD: &str = "1.36";

/// The demo's rate back, USD per CAD (1 / 1.36 to four places).
pub(crate) const CAD_USD: &str = "0.7353";

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn dec(s: &str) -> Result<Decimal, String> {
    s.parse().map_err(|_| format!("not a decimal: {s}"))
}

struct Ctx {
    catalog: Arc<Catalog>,
    usd: CurrencyCode,
    cad: CurrencyCode,
    rate: Decimal,
}

impl Ctx {
    fn unit_cost(&self, item: &ItemCode, entity: &EntityCode) -> Result<Money, String> {
        let usd = PRICES
            .iter()
            .find(|(code, _)| *code == item.as_str())
            .ok_or_else(|| format!("no demo price for {item}"))
            .and_then(|(_, p)| dec(p))?;
        let e = self
            .catalog
            .entity_ix(entity)
            .and_then(|ix| self.catalog.entity(ix))
            .ok_or_else(|| format!("unknown entity {entity}"))?;
        if e.currency == self.usd {
            Ok(Money::new(usd, self.usd))
        } else {
            let cad = onhand_master::mul_exact(usd, self.rate).map_err(err)?;
            Ok(Money::new(cad, self.cad))
        }
    }

    fn rates(&self) -> Vec<Rate> {
        vec![Rate { from: self.usd, to: self.cad, rate: self.rate }]
    }
}

/// Net changes of valuated stock per (item, site, owner) an accepted event made, outside
/// transit (transit is valued by the transfer; scrapped stock is off the books).
type Nets = BTreeMap<(ItemCode, SiteCode, EntityCode), Decimal>;

fn nets(catalog: &Catalog, deltas: &[onhand_ledger::Delta]) -> Result<Nets, String> {
    let mut out = Nets::new();
    for d in deltas {
        // Only stock on the books counts (scrapped stock has left them), and transit is
        // valued by the transfer.
        if d.key.status == StockStatus::InTransit || !d.key.status.is_valuated() {
            continue;
        }
        let item = catalog.item(d.key.item).ok_or("item handle")?.code.clone();
        let site = catalog.site(d.key.site).ok_or("site handle")?.code.clone();
        let owner = catalog.entity(d.key.owner).ok_or("entity handle")?.code.clone();
        let v = out.entry((item, site, owner)).or_default();
        *v += d.change;
    }
    out.retain(|_, v| !v.is_zero());
    Ok(out)
}

/// The cost events one accepted ledger event stands for.
fn translate(
    ctx: &Ctx,
    ledger: &Ledger,
    event: &Event,
    nets: &Nets,
    next: &mut u64,
) -> Result<Vec<CostEvent>, String> {
    let mut out = Vec::new();
    let at = event.effective_at;
    let mut push = |body: CostBody| {
        *next += 1;
        out.push(CostEvent { id: *next, at, body });
    };
    let base = |item: &ItemCode, q: Decimal| -> Result<Qty, String> {
        let (_, profile) = ctx.catalog.lookup_item(item).ok_or("item")?;
        Qty::new(q, profile.base_uom).map_err(err)
    };
    let number = event.reference.number.to_string();
    match &event.body {
        Body::Receipt(_) | Body::CustomerReturn(_) => {
            for ((item, site, owner), q) in nets.iter().filter(|(_, q)| **q > Decimal::ZERO) {
                let unit_cost = ctx.unit_cost(item, owner)?;
                let qty = base(item, *q)?;
                let owner = Some(owner.clone());
                push(if matches!(event.body, Body::Receipt(_)) {
                    CostBody::Receipt {
                        site: site.clone(),
                        item: item.clone(),
                        qty,
                        unit_cost,
                        owner,
                    }
                } else {
                    // The return authorisation names no sale: at today's cost.
                    CostBody::CustomerReturn {
                        site: site.clone(),
                        item: item.clone(),
                        qty,
                        original: None,
                        unit_cost: Some(unit_cost),
                        owner,
                    }
                });
            }
        }
        Body::Ship(_) | Body::Scrap(_) => {
            let to =
                if matches!(event.body, Body::Ship(_)) { IssueTo::Sale } else { IssueTo::Scrap };
            for ((item, site, owner), q) in nets.iter().filter(|(_, q)| **q < Decimal::ZERO) {
                push(CostBody::Issue {
                    site: site.clone(),
                    item: item.clone(),
                    qty: base(item, -*q)?,
                    to,
                    owner: Some(owner.clone()),
                });
            }
        }
        Body::Adjustment(_) | Body::CycleCount(_) => {
            for ((item, site, owner), q) in nets {
                let (_, profile) = ctx.catalog.lookup_item(item).ok_or("item")?;
                push(CostBody::Adjustment {
                    site: site.clone(),
                    item: item.clone(),
                    delta: onhand_master::QtyDelta::new(*q, profile.base_uom),
                    unit_cost: None,
                    owner: Some(owner.clone()),
                });
            }
        }
        Body::TransferShip(_) => {
            let order = ledger.transfer(&event.reference.number).ok_or("transfer order")?;
            let to = ctx.catalog.site(order.to).ok_or("site handle")?.code.clone();
            for ((item, site, _), q) in nets.iter().filter(|(_, q)| **q < Decimal::ZERO) {
                push(CostBody::TransferShip {
                    transfer: number.clone(),
                    from: site.clone(),
                    to: to.clone(),
                    item: item.clone(),
                    qty: base(item, -*q)?,
                    rates: ctx.rates(),
                });
            }
        }
        Body::TransferReceipt(_) => {
            for ((item, _, _), q) in nets.iter().filter(|(_, q)| **q > Decimal::ZERO) {
                push(CostBody::TransferReceipt {
                    transfer: number.clone(),
                    qty: base(item, *q)?,
                    rates: ctx.rates(),
                });
            }
        }
        Body::TransferClose => push(CostBody::TransferClose { transfer: number }),
        // Put-aways, picks, status changes and dispositions move stock between bins and
        // statuses that are all valued: no value moves.
        _ => {}
    }
    Ok(out)
}

struct Run {
    v: Valuation,
    postings: Vec<Posting>,
    documents: Vec<onhand_valuation::IcDocument>,
    ledger_events: usize,
    cost_events: usize,
    refused: Vec<String>,
}

fn run_day(demo: &Demo, ctx: &Ctx) -> Result<Run, String> {
    let day = demo.day.as_ref().ok_or("no demo day")?;
    let config = ValuationConfig {
        agreements: vec![Agreement {
            seller: "NA01".parse().map_err(err)?,
            buyer: "CA01".parse().map_err(err)?,
            price: PriceRule::CostPlus { markup: dec("0.10")? },
            currency: ctx.usd,
            title: TitlePoint::Shipment,
        }],
        ..ValuationConfig::default()
    };
    let mut v = Valuation::new(ctx.catalog.clone(), config).map_err(err)?;
    // Replay the day's journal through a fresh ledger to see each event's changes.
    let mut ledger =
        Ledger::new(ctx.catalog.clone(), Rules::standard(ctx.usd).trusting_event_actors())
            .map_err(err)?;
    let mut by_id: BTreeMap<u128, Event> = BTreeMap::new();
    let mut run = Run {
        v: Valuation::new(ctx.catalog.clone(), ValuationConfig::default()).map_err(err)?,
        postings: Vec::new(),
        documents: Vec::new(),
        ledger_events: 0,
        cost_events: 0,
        refused: Vec::new(),
    };
    let mut next = 0u64;
    for entry in day.journal.entries() {
        let event = &entry.event;
        by_id.insert(event.id.0.as_u128(), event.clone());
        let Applied::Accepted(accepted) = ledger.apply(event).map_err(err)? else { continue };
        // An approval applies the pending event it names.
        let effective = match &event.body {
            Body::Approve { event: id } => {
                by_id.get(&id.0.as_u128()).cloned().ok_or("pending event")?
            }
            _ => event.clone(),
        };
        let changes = nets(&ctx.catalog, &accepted.deltas)?;
        let costed = translate(ctx, &ledger, &effective, &changes, &mut next)?;
        if !costed.is_empty() {
            run.ledger_events += 1;
        }
        for c in costed {
            run.cost_events += 1;
            match v.apply(&c) {
                Ok(Outcome::Posted { postings, documents, .. }) => {
                    run.postings.extend(postings);
                    run.documents.extend(documents);
                }
                Ok(Outcome::Duplicate) => {}
                Err(e) => run.refused.push(format!("{}: {e}", c.body.kind())),
            }
        }
    }
    run.v = v;
    Ok(run)
}

fn money(v: Decimal) -> String {
    if v.is_zero() { String::new() } else { v.to_string() }
}

fn trial_balance(postings: &[Posting], out: &mut dyn Write) -> io::Result<()> {
    let mut sums: BTreeMap<(EntityCode, String, PostingKey), (Decimal, CurrencyCode)> =
        BTreeMap::new();
    for p in postings {
        let e = sums
            .entry((p.entity.clone(), p.account.to_string(), p.key))
            .or_insert((Decimal::ZERO, p.currency));
        e.0 += p.amount;
    }
    let mut t = Table::new(&["entity", "account", "meaning", ">debit", ">credit", "currency"]);
    for ((entity, account, key), (v, cur)) in sums {
        if v.is_zero() {
            continue;
        }
        t.row(vec![
            entity.to_string(),
            account,
            key.to_string(),
            money(v.max(Decimal::ZERO)),
            money((-v).max(Decimal::ZERO)),
            cur.to_string(),
        ]);
    }
    t.write(out, 2)
}

fn postings_table(postings: &[&Posting], out: &mut dyn Write) -> io::Result<()> {
    let mut t =
        Table::new(&["entity", "account", "meaning", ">debit", ">credit", "currency", "document"]);
    for p in postings {
        t.row(vec![
            p.entity.to_string(),
            p.account.to_string(),
            p.key.to_string(),
            money(p.debit()),
            money(p.credit()),
            p.currency.to_string(),
            p.document.clone().unwrap_or_default(),
        ]);
    }
    t.write(out, 2)
}

/// The "Valuing the day" section.
///
/// # Errors
/// Whatever `out` reports.
#[allow(clippy::too_many_lines)] // a narrated report
pub fn valuing(demo: &Demo, out: &mut dyn Write) -> io::Result<()> {
    let go = |r: Result<Ctx, String>| r.map_err(io::Error::other);
    let ctx = go((|| {
        Ok(Ctx {
            catalog: Arc::new(demo.catalog.clone()),
            usd: "USD".parse().map_err(err)?,
            cad: "CAD".parse().map_err(err)?,
            rate: dec(USD_CAD)?,
        })
    })())?;
    let mut run = run_day(demo, &ctx).map_err(io::Error::other)?;
    writeln!(
        out,
        "NA01 values at FIFO in USD, CA01 at moving average in CAD; purchases at the demo"
    )?;
    writeln!(
        out,
        "price list; NA01 sells to CA01 at cost plus 10% in USD, title passing at shipment;"
    )?;
    writeln!(
        out,
        "USD 1 = CAD {USD_CAD}. Every accepted ledger event that moves value is costed from"
    )?;
    writeln!(out, "the position changes it made (put-aways, picks and status changes move none).")?;
    writeln!(out)?;
    writeln!(
        out,
        "{} ledger events became {} cost events; {} refused{}",
        run.ledger_events,
        run.cost_events,
        run.refused.len(),
        if run.refused.is_empty() {
            String::new()
        } else {
            format!(": {}", run.refused.join("; "))
        }
    )?;
    let balanced = unbalanced(&run.postings).is_empty();
    writeln!(
        out,
        "{} posting lines, balanced per entity and currency: {}",
        run.postings.len(),
        if balanced { "yes" } else { "NO" }
    )?;
    writeln!(out)?;
    writeln!(out, "Trial balance at the end of the day")?;
    trial_balance(&run.postings, out)?;
    writeln!(out)?;
    let na: EntityCode = "NA01".parse().map_err(io::Error::other)?;
    let ca: EntityCode = "CA01".parse().map_err(io::Error::other)?;
    for e in [&na, &ca] {
        let inventory: Decimal = run
            .postings
            .iter()
            .filter(|p| &p.entity == e && p.key == PostingKey::Inventory)
            .map(|p| p.amount)
            .sum();
        let transit: Decimal = run
            .postings
            .iter()
            .filter(|p| &p.entity == e && p.key == PostingKey::InTransit)
            .map(|p| p.amount)
            .sum();
        writeln!(
            out,
            "{e}: inventory account {inventory} = cost pools {}; in transit account {transit} = transfers {}",
            run.v.inventory_value(e),
            run.v.in_transit_value(e),
        )?;
    }

    writeln!(out)?;
    writeln!(
        out,
        "The intercompany transfer TO-7002: Chicago (NA01) ships 400 nuts to Toronto (CA01)"
    )?;
    let mut t = Table::new(&["document", "kind", "issued by", "to", ">qty", ">amount"]);
    for d in run.documents.iter().filter(|d| d.reference == "TO-7002") {
        t.row(vec![
            d.number.clone(),
            d.kind.as_str().to_owned(),
            d.entity.to_string(),
            d.counterparty.to_string(),
            d.qty.to_string(),
            d.amount.to_string(),
        ]);
    }
    t.write(out, 2)?;
    writeln!(out)?;
    let ic: Vec<&Posting> = run
        .postings
        .iter()
        .filter(|p| {
            p.document.as_deref().is_some_and(|d| d == "TO-7002" || d.starts_with("INV-TO-7002"))
        })
        .collect();
    postings_table(&ic, out)?;

    // The next morning: Toronto receives and sells 250; period end.
    writeln!(out)?;
    writeln!(
        out,
        "Next morning Toronto receives the 400 nuts and sells 250 to customers. Period-end"
    )?;
    writeln!(out, "consolidation in USD (CAD 1 = USD 0.7353):")?;
    let morning = at_next_morning(demo)?;
    let nut: ItemCode = "NUT-M8".parse().map_err(io::Error::other)?;
    let events = [
        CostBody::TransferReceipt {
            transfer: "TO-7002".into(),
            qty: "400 EA".parse().map_err(io::Error::other)?,
            rates: ctx.rates(),
        },
        CostBody::Issue {
            site: "YYZ".parse().map_err(io::Error::other)?,
            item: nut.clone(),
            qty: "250 EA".parse().map_err(io::Error::other)?,
            to: IssueTo::Sale,
            owner: None,
        },
    ];
    for (k, body) in events.into_iter().enumerate() {
        let id = 10_000 + u64::try_from(k).unwrap_or(0);
        let ev = CostEvent {
            id,
            at: morning + Duration::minutes(i64::try_from(k).unwrap_or(0) * 30),
            body,
        };
        let o = run.v.apply(&ev).map_err(io::Error::other)?;
        run.postings.extend(o.postings().iter().cloned());
    }
    let to_usd =
        vec![Rate { from: ctx.cad, to: ctx.usd, rate: dec(CAD_USD).map_err(io::Error::other)? }];
    let c = run
        .v
        .consolidate(20_000, &"GROUP".parse().map_err(io::Error::other)?, ctx.usd, &to_usd)
        .map_err(io::Error::other)?;
    let mut t = Table::new(&["buyer", ">opening", ">created", ">still held", ">realized"]);
    for (b, u) in &c.buyers {
        t.row(vec![
            b.to_string(),
            u.opening.to_string(),
            u.created.to_string(),
            u.closing.to_string(),
            u.realized.to_string(),
        ]);
    }
    t.write(out, 2)?;
    writeln!(out)?;
    let held = run.v.unrealized_profit(&ca);
    writeln!(
        out,
        "CA01's nuts (averaged with its own purchases) still carry {held} CAD of NA01's"
    )?;
    writeln!(out, "profit. Elimination entries:")?;
    let elim: Vec<&Posting> = c.postings.iter().collect();
    postings_table(&elim, out)?;
    let r = reconcile(run.v.receivables(), run.v.payables(), &run.v.open_transfers());
    writeln!(out)?;
    writeln!(
        out,
        "Intercompany reconciliation: {} invoice(s) matched, {} difference(s); eliminations balanced: {}",
        r.matched,
        r.differences.len(),
        if unbalanced(&c.postings).is_empty() { "yes" } else { "NO" }
    )
}

fn at_next_morning(demo: &Demo) -> io::Result<DateTime<Utc>> {
    let day = demo.day.as_ref().ok_or_else(|| io::Error::other("no demo day"))?;
    let last = day
        .journal
        .entries()
        .iter()
        .map(|e| e.event.effective_at)
        .max()
        .ok_or_else(|| io::Error::other("empty day"))?;
    let date = last.date_naive().succ_opt().ok_or_else(|| io::Error::other("date"))?;
    let t = date.and_hms_opt(8, 0, 0).ok_or_else(|| io::Error::other("time"))?;
    Ok(t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Physical and financial flows are separate, but they must hold the same goods:
    // for every item, what the cost pools and the transfers in transit hold equals what
    // the ledger's entities own (valuated stock, in transit included), and the books
    // equal the pools.
    #[test]
    fn the_costed_day_holds_exactly_what_the_ledger_owns() {
        let demo = Demo::builtin().unwrap();
        let ctx = Ctx {
            catalog: Arc::new(demo.catalog.clone()),
            usd: "USD".parse().unwrap(),
            cad: "CAD".parse().unwrap(),
            rate: dec(USD_CAD).unwrap(),
        };
        let run = run_day(&demo, &ctx).unwrap();
        assert!(run.refused.is_empty(), "{:?}", run.refused);
        assert!(unbalanced(&run.postings).is_empty());
        let ledger = &demo.day.as_ref().unwrap().ledger;
        for (ix, item) in ctx.catalog.items() {
            let owned: Decimal = ctx
                .catalog
                .data()
                .entities
                .iter()
                .filter_map(|e| ctx.catalog.entity_ix(&e.code))
                .map(|e| ledger.owned(ix, e))
                .sum();
            let pooled: Decimal =
                run.v.pools().iter().filter(|p| p.item == item.code).map(|p| p.qty).sum();
            let moving: Decimal = run
                .v
                .transfers()
                .iter()
                .filter(|t| t.item == item.code && !t.closed)
                .map(|t| t.shipped - t.received)
                .sum();
            assert_eq!(pooled + moving, owned, "{}", item.code);
        }
        for e in ["NA01", "CA01"] {
            let e: EntityCode = e.parse().unwrap();
            let booked: Decimal = run
                .postings
                .iter()
                .filter(|p| p.entity == e && p.key == PostingKey::Inventory)
                .map(|p| p.amount)
                .sum();
            assert_eq!(booked, run.v.inventory_value(&e), "{e}");
        }
    }
}
