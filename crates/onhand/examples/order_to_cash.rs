//! Order to cash across two sites on the demo network, through one `Network`.
//!
//! A purchase order is expected at Atlanta; part of it arrives and is put away; a
//! customer in the south-east orders more than Atlanta holds, so the promise splits
//! between Atlanta now and the rest of the purchase order later; the Atlanta part is
//! picked and shipped against the order line, which uses up its allocation, and the
//! shipment is costed at FIFO. Every step prints what changed.
//!
//! Run it with `cargo run -p onhand --example order_to_cash`.

use chrono::{Duration, NaiveDate};
use onhand::ledger::testing::{actor, at, doc, event, line};
use onhand::ledger::{Body, DocKind, Rules, SiteLines};
use onhand::master::{BinCode, CurrencyCode, Money, Role, seed};
use onhand::{ExpectedReceipt, Network, NetworkConfig, OrderRequest, Outcome};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn show(what: &str, o: &Outcome) {
    println!("{what}: {:?}", o.decision);
    for a in &o.availability {
        println!("  available {} at {}: {} -> {}", a.item, a.site, a.before, a.after);
    }
    for s in &o.supply {
        println!("  supply {} at {} on {}: {} ({})", s.item, s.site, s.date, s.change, s.source);
    }
    for u in &o.allocations {
        println!("  allocation of {} at {}: {} used", u.line, u.site, u.used);
    }
    for p in &o.postings {
        println!("  {} {:<14} {:>8} {}", p.entity, p.account, p.amount, p.currency);
    }
}

fn main() -> Res<()> {
    let usd = CurrencyCode::new("USD")?;
    let mut n = Network::new(
        seed::demo_network(),
        Rules::standard(usd).trusting_event_actors(),
        NetworkConfig::default(),
        at(-60),
    )?;
    let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).ok_or("date");
    let bin = |b: &str| BinCode::new(b);
    let wh = || actor("w1", &[Role::Warehouse]);

    // Two pallets of bolts (9,600) expected at Atlanta on the 12th at 408 USD a pallet.
    n.expect(ExpectedReceipt {
        order: "PO-100".parse()?,
        line: 1,
        supplier: Some("ACME".parse()?),
        item: "BOLT-M8".parse()?,
        site: "ATL".parse()?,
        qty: "2 PL".parse()?,
        due: day(12)?,
        unit_cost: Some(Money::new("408.00".parse()?, usd)),
    })?;

    // Ten cases arrive early and are put away.
    let receipt = event(
        1,
        0,
        wh()?,
        "RECEIPT",
        doc(DocKind::PurchaseOrder, "PO-100")?,
        Body::Receipt(SiteLines {
            site: "ATL".parse()?,
            lines: vec![line("BOLT-M8", "10 CS")?.at(bin("RCV-01")?).doc_line(1)],
        }),
    )?;
    show("receipt of 10 cases against PO-100", &n.apply(&receipt)?);
    let putaway = event(
        2,
        30,
        wh()?,
        "PUTAWAY",
        doc(DocKind::Internal, "PA-1")?,
        Body::Putaway(SiteLines {
            site: "ATL".parse()?,
            lines: vec![line("BOLT-M8", "10 CS")?.at(bin("RCV-01")?).to_bin(bin("PF-A01")?)],
        }),
    )?;
    show("put-away", &n.apply(&putaway)?);

    // HomePro orders 20 cases for the 8th, splits allowed: 10 now, 10 from the PO.
    let mut order = OrderRequest::new(
        "SO-500".parse()?,
        1,
        "HOMEPRO".parse()?,
        "BOLT-M8".parse()?,
        "20 CS".parse()?,
        day(8)?,
    );
    order.allow_split = true;
    let booked = n.allocate(&order)?;
    println!("allocated {} of {}:", booked.promise.confirmed, booked.promise.requested);
    for s in &booked.promise.schedule {
        println!(
            "  {} from {}, available {}, delivered {}",
            s.qty, s.site, s.available_on, s.delivery
        );
    }

    // Atlanta picks and ships its 10 cases against the order line.
    let pick = event(
        3,
        60,
        wh()?,
        "PICK",
        doc(DocKind::SalesOrder, "SO-500")?,
        Body::Pick(SiteLines {
            site: "ATL".parse()?,
            lines: vec![
                line("BOLT-M8", "10 CS")?.at(bin("PF-A01")?).to_bin(bin("STG-01")?).doc_line(1),
            ],
        }),
    )?;
    show("pick", &n.apply(&pick)?);
    let ship = event(
        4,
        90,
        wh()?,
        "SHIP",
        doc(DocKind::SalesOrder, "SO-500")?,
        Body::Ship(SiteLines {
            site: "ATL".parse()?,
            lines: vec![line("BOLT-M8", "10 CS")?.at(bin("STG-01")?).doc_line(1)],
        }),
    )?;
    show("shipment", &n.apply(&ship)?);

    let left = n.booked(&order.reference())?;
    println!(
        "still booked for SO-500/1: {} ({} schedule line(s))",
        left.confirmed,
        left.schedule.len()
    );
    n.advance_to(at(0) + Duration::days(1))?;
    n.check()?;
    println!("every engine agrees; journal at entry {}", n.journal().head().seq);
    Ok(())
}
