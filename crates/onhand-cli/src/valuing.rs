//! The demo's valuation section: the day's costs, as the network posted them. Every
//! accepted event that moves value was costed in the same call that applied it (the
//! receipts at their purchase orders' prices); the intercompany transfer from Chicago to
//! Toronto produced its documents and both entities' postings; on a copy of the network
//! Toronto receives and sells part of it the next morning, and the period-end
//! consolidation eliminates the profit still held.

use std::collections::BTreeMap;
use std::io::{self, Write};

use chrono::{DateTime, Utc};
use onhand::ledger::testing::{actor, doc, event, line, movement};
use onhand::ledger::{Body, DocKind, Event};
use onhand::master::{BinCode, CurrencyCode, Decimal, EntityCode, Role};
use onhand::valuation::{IcDocument, Posting, PostingKey, unbalanced};
use onhand::{Network, Outcome};

use crate::demo::Demo;
use crate::table::Table;

fn err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

fn money(v: Decimal) -> String {
    if v.is_zero() { String::new() } else { v.to_string() }
}

pub(crate) fn trial_balance(postings: &[Posting], out: &mut dyn Write) -> io::Result<()> {
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

/// The next morning at Toronto: the 400 nuts of TO-7002 arrive, are put away, and 250
/// are picked and shipped to customers.
fn next_morning(at: DateTime<Utc>) -> io::Result<Vec<Event>> {
    let who = actor("dock.yyz", &[Role::Warehouse]).map_err(err)?;
    let bin = |c: &str| BinCode::new(c).map_err(err);
    let minute = |m: i64| (at - onhand::ledger::testing::at(0)).num_minutes() + m;
    let to = doc(DocKind::TransferOrder, "TO-7002").map_err(err)?;
    let so = doc(DocKind::SalesOrder, "SO-5101").map_err(err)?;
    let nuts = |q: &str| line("NUT-M8", q).map_err(err);
    let bodies = [
        (
            to.clone(),
            "TRANSFER",
            Body::TransferReceipt(
                movement("YYZ", vec![nuts("400 EA")?.at(bin("RCV-01")?)]).map_err(err)?,
            ),
        ),
        (
            to,
            "PUTAWAY",
            Body::Putaway(
                movement("YYZ", vec![nuts("400 EA")?.at(bin("RCV-01")?).to_bin(bin("PF-A02")?)])
                    .map_err(err)?,
            ),
        ),
        (
            so.clone(),
            "PICK",
            Body::Pick(
                movement("YYZ", vec![nuts("250 EA")?.at(bin("PF-A02")?).to_bin(bin("STG-01")?)])
                    .map_err(err)?,
            ),
        ),
        (
            so,
            "SHIP",
            Body::Ship(movement("YYZ", vec![nuts("250 EA")?.at(bin("STG-01")?)]).map_err(err)?),
        ),
    ];
    let mut out = Vec::new();
    for (k, (reference, reason, body)) in bodies.into_iter().enumerate() {
        let k = i64::try_from(k).unwrap_or(0);
        let id = 1000 + u128::try_from(k).unwrap_or(0);
        out.push(event(id, minute(30 * k), who.clone(), reason, reference, body).map_err(err)?);
    }
    Ok(out)
}

/// What the day's outcomes posted: postings and documents, and how many accepted events
/// moved value.
struct Day<'a> {
    postings: Vec<Posting>,
    documents: Vec<&'a IcDocument>,
    accepted: usize,
    valued: usize,
}

fn collect<'a>(outcomes: &[&'a Outcome]) -> Day<'a> {
    let mut day = Day { postings: Vec::new(), documents: Vec::new(), accepted: 0, valued: 0 };
    for o in outcomes {
        if o.accepted() {
            day.accepted += 1;
        }
        if !o.postings.is_empty() {
            day.valued += 1;
        }
        day.postings.extend(o.postings.iter().cloned());
        day.documents.extend(o.documents.iter());
    }
    day
}

/// The "Valuing the day" section.
///
/// # Errors
/// Whatever `out` reports.
#[allow(clippy::too_many_lines)] // a narrated report
pub fn valuing(demo: &Demo, out: &mut dyn Write) -> io::Result<()> {
    let Some(run) = &demo.day else {
        return writeln!(out, "(no day of events for this network)");
    };
    let outcomes: Vec<&Outcome> =
        run.outcomes.iter().filter_map(|(_, o)| o.as_ref().ok()).collect();
    let refused = run.outcomes.iter().filter(|(_, o)| o.is_err()).count();
    let mut day = collect(&outcomes);
    let usd: CurrencyCode = "USD".parse().map_err(err)?;
    writeln!(
        out,
        "NA01 values at FIFO in USD, CA01 at moving average in CAD; receipts at their purchase"
    )?;
    writeln!(
        out,
        "orders' prices (USD, converted for CA01); NA01 sells to CA01 at cost plus 10% in USD,"
    )?;
    writeln!(
        out,
        "title passing at shipment; USD 1 = CAD {}. The network costed each event in the call",
        crate::day::USD_CAD
    )?;
    writeln!(
        out,
        "that applied it, from the position changes it made (put-aways, picks and status"
    )?;
    writeln!(out, "changes move no value).")?;
    writeln!(out)?;
    writeln!(
        out,
        "{} of {} accepted events moved value; {} events refused (by the ledger's rules)",
        day.valued, day.accepted, refused
    )?;
    let balanced = unbalanced(&day.postings).is_empty();
    writeln!(
        out,
        "{} posting lines, balanced per entity and currency: {}",
        day.postings.len(),
        if balanced { "yes" } else { "NO" }
    )?;
    writeln!(out)?;
    writeln!(out, "Trial balance at the end of the day")?;
    trial_balance(&day.postings, out)?;
    writeln!(out)?;
    let network = &run.network;
    let na: EntityCode = "NA01".parse().map_err(err)?;
    let ca: EntityCode = "CA01".parse().map_err(err)?;
    for e in [&na, &ca] {
        let sum = |key: PostingKey| -> Decimal {
            day.postings.iter().filter(|p| &p.entity == e && p.key == key).map(|p| p.amount).sum()
        };
        let books = network.books(e).map_err(err)?;
        writeln!(
            out,
            "{e}: inventory account {} = cost pools {}; in transit account {} = transfers {}",
            sum(PostingKey::Inventory),
            books.inventory.amount(),
            sum(PostingKey::InTransit),
            books.in_transit.amount(),
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "The intercompany transfer TO-7002: Chicago (NA01) ships 400 nuts to Toronto (CA01)"
    )?;
    let mut t = Table::new(&["document", "kind", "issued by", "to", ">qty", ">amount"]);
    // The network names each shipment of a transfer order: TO-7002/<shipment>.
    for d in day.documents.iter().filter(|d| d.reference.as_str().starts_with("TO-7002")) {
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
    let ic: Vec<&Posting> = day
        .postings
        .iter()
        .filter(|p| {
            p.document
                .as_deref()
                .is_some_and(|d| d.starts_with("TO-7002") || d.starts_with("INV-TO-7002"))
        })
        .collect();
    postings_table(&ic, out)?;

    // The next morning, on a copy: Toronto receives and sells 250; period end.
    writeln!(out)?;
    writeln!(
        out,
        "Next morning (on a copy of the network) Toronto receives the 400 nuts and sells 250 to"
    )?;
    writeln!(
        out,
        "customers. Period-end consolidation in USD (CAD 1 = USD {}):",
        crate::day::CAD_USD
    )?;
    let mut network: Network = network.clone();
    for e in next_morning(at_next_morning(demo)?)? {
        let o = network.apply(&e).map_err(err)?;
        day.postings.extend(o.postings);
    }
    let c = network.consolidate(20_000, &"GROUP".parse().map_err(err)?, usd).map_err(err)?;
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
    let held = network.books(&ca).map_err(err)?.unrealized_profit.amount();
    writeln!(
        out,
        "CA01's nuts (averaged with its own purchases) still carry {held} CAD of NA01's"
    )?;
    writeln!(out, "profit. Elimination entries:")?;
    let elim: Vec<&Posting> = c.postings.iter().collect();
    postings_table(&elim, out)?;
    let r = network.reconciliation();
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
    let day = demo.day.as_ref().ok_or_else(|| err("no demo day"))?;
    let last = day
        .outcomes
        .iter()
        .map(|(e, _)| e.event.effective_at)
        .max()
        .ok_or_else(|| err("empty day"))?;
    let date = last.date_naive().succ_opt().ok_or_else(|| err("date"))?;
    let t = date.and_hms_opt(8, 0, 0).ok_or_else(|| err("time"))?;
    Ok(t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Physical and financial flows are separate, but they must hold the same goods: the
    // network's own invariants (valuation quantities equal the ledger's per entity and
    // item, in transit included; availability equals stock), and the books equal the
    // postings.
    #[test]
    fn the_costed_day_holds_exactly_what_the_ledger_owns() {
        let demo = Demo::builtin().unwrap();
        let run = demo.day.as_ref().unwrap();
        run.network.check().unwrap();
        let outcomes: Vec<&Outcome> =
            run.outcomes.iter().filter_map(|(_, o)| o.as_ref().ok()).collect();
        let day = collect(&outcomes);
        assert!(unbalanced(&day.postings).is_empty());
        assert!(day.valued > 20, "{}", day.valued);
        for e in ["NA01", "CA01"] {
            let e: EntityCode = e.parse().unwrap();
            let booked: Decimal = day
                .postings
                .iter()
                .filter(|p| p.entity == e && p.key == PostingKey::Inventory)
                .map(|p| p.amount)
                .sum();
            assert_eq!(booked, run.network.books(&e).unwrap().inventory.amount(), "{e}");
        }
        // The next morning applies on a copy and keeps the engines in step.
        let mut copy = run.network.clone();
        for e in next_morning(at_next_morning(&demo).unwrap()).unwrap() {
            assert!(copy.apply(&e).unwrap().accepted());
        }
        copy.check().unwrap();
        assert_eq!(copy.reconciliation().differences.len(), 0);
    }
}
