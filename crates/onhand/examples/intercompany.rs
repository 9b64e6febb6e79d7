//! A cross-entity transfer with its postings and its elimination on consolidation.
//!
//! Chicago (NA01, USD, FIFO) ships 500 nuts to Toronto (CA01, CAD, moving average) under
//! an agreement at cost plus 10%, title at shipment. The shipment issues the
//! intercompany documents and both sides' postings; Toronto receives the goods and sells
//! 200; consolidation eliminates the intercompany revenue and the profit still sitting
//! in Toronto's 300.
//!
//! Run it with `cargo run -p onhand --example intercompany`.

use onhand::ledger::testing::{actor, at, doc, event, line};
use onhand::ledger::{Body, DocKind, Rules, SiteLines, TransferLine, TransferRequest};
use onhand::master::{BinCode, CurrencyCode, Decimal, Money, Role, seed};
use onhand::valuation::{Agreement, PriceRule, Rate, TitlePoint, ValuationConfig};
use onhand::{Network, NetworkConfig, Outcome};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn show(what: &str, o: &Outcome) {
    println!("{what}: {:?}", o.decision);
    for d in &o.documents {
        println!(
            "  document {} {} -> {}: {} {} for {}",
            d.number, d.entity, d.counterparty, d.qty, d.item, d.amount
        );
    }
    for p in &o.postings {
        println!("  {} {:<22} {:>9} {}", p.entity, format!("{:?}", p.key), p.amount, p.currency);
    }
}

#[allow(clippy::too_many_lines)] // an example reads top to bottom
fn main() -> Res<()> {
    let (usd, cad) = (CurrencyCode::new("USD")?, CurrencyCode::new("CAD")?);
    let config = NetworkConfig {
        valuation: ValuationConfig {
            agreements: vec![Agreement {
                seller: "NA01".parse()?,
                buyer: "CA01".parse()?,
                price: PriceRule::CostPlus { markup: "0.10".parse()? },
                currency: usd,
                title: TitlePoint::Shipment,
            }],
            ..ValuationConfig::default()
        },
        rates: vec![
            Rate { from: usd, to: cad, rate: "1.36".parse()? },
            Rate { from: cad, to: usd, rate: Decimal::ONE / "1.36".parse::<Decimal>()? },
        ],
        ..NetworkConfig::default()
    };
    let mut n = Network::new(
        seed::demo_network(),
        Rules::standard(usd).trusting_event_actors(),
        config,
        at(-60),
    )?;
    let bin = |b: &str| BinCode::new(b);
    let wh = || actor("w1", &[Role::Warehouse]);
    let to = || doc(DocKind::TransferOrder, "TO-9001");

    // Chicago buys 1,000 nuts at 0.04 USD.
    let receipt = event(
        1,
        0,
        wh()?,
        "RECEIPT",
        doc(DocKind::PurchaseOrder, "PO-1")?,
        Body::Receipt(SiteLines {
            site: "ORD".parse()?,
            lines: vec![
                line("NUT-M8", "1000 EA")?
                    .at(bin("RCV-01")?)
                    .cost(Money::new("0.04".parse()?, usd)),
            ],
        }),
    )?;
    show("Chicago receives 1,000 nuts", &n.apply(&receipt)?);
    let putaway = event(
        2,
        5,
        wh()?,
        "PUTAWAY",
        doc(DocKind::Internal, "PA-1")?,
        Body::Putaway(SiteLines {
            site: "ORD".parse()?,
            lines: vec![line("NUT-M8", "1000 EA")?.at(bin("RCV-01")?).to_bin(bin("PF-A02")?)],
        }),
    )?;
    n.apply(&putaway)?;

    // A planner requests 500 for Toronto; a second planner approves; Chicago ships.
    let request = event(
        3,
        10,
        actor("plan1", &[Role::Planning])?,
        "REPLENISH",
        to()?,
        Body::TransferRequest(TransferRequest {
            from: "ORD".parse()?,
            to: "YYZ".parse()?,
            lines: vec![TransferLine { item: "NUT-M8".parse()?, qty: "500 EA".parse()? }],
            expected_arrival: None,
        }),
    )?;
    n.apply(&request)?;
    n.apply(&event(
        4,
        15,
        actor("plan2", &[Role::Planning])?,
        "APPROVE",
        to()?,
        Body::TransferApprove,
    )?)?;
    let ship = event(
        5,
        20,
        wh()?,
        "TRANSFER",
        to()?,
        Body::TransferShip(SiteLines {
            site: "ORD".parse()?,
            lines: vec![line("NUT-M8", "500 EA")?.at(bin("PF-A02")?)],
        }),
    )?;
    show("Chicago ships 500 to Toronto (title passes at shipment)", &n.apply(&ship)?);

    // Toronto receives them and sells 200.
    let receive = event(
        6,
        2000,
        wh()?,
        "TRANSFER",
        to()?,
        Body::TransferReceipt(SiteLines {
            site: "YYZ".parse()?,
            lines: vec![line("NUT-M8", "500 EA")?.at(bin("RCV-01")?)],
        }),
    )?;
    show("Toronto receives", &n.apply(&receive)?);
    let putaway = event(
        7,
        2010,
        wh()?,
        "PUTAWAY",
        doc(DocKind::Internal, "PA-2")?,
        Body::Putaway(SiteLines {
            site: "YYZ".parse()?,
            lines: vec![line("NUT-M8", "500 EA")?.at(bin("RCV-01")?).to_bin(bin("PF-A01")?)],
        }),
    )?;
    n.apply(&putaway)?;
    let so = || doc(DocKind::SalesOrder, "SO-77");
    let pick = event(
        8,
        2020,
        wh()?,
        "PICK",
        so()?,
        Body::Pick(SiteLines {
            site: "YYZ".parse()?,
            lines: vec![line("NUT-M8", "200 EA")?.at(bin("PF-A01")?).to_bin(bin("STG-01")?)],
        }),
    )?;
    n.apply(&pick)?;
    let sell = event(
        9,
        2030,
        wh()?,
        "SHIP",
        so()?,
        Body::Ship(SiteLines {
            site: "YYZ".parse()?,
            lines: vec![line("NUT-M8", "200 EA")?.at(bin("STG-01")?)],
        }),
    )?;
    show("Toronto sells 200", &n.apply(&sell)?);

    for entity in ["NA01", "CA01"] {
        let books = n.books(&entity.parse()?)?;
        println!(
            "{entity}: inventory {}, in transit {}, intercompany profit held {}",
            books.inventory, books.in_transit, books.unrealized_profit
        );
    }
    let reconciliation = n.reconciliation();
    println!(
        "intercompany: {} matched, {} difference(s)",
        reconciliation.matched,
        reconciliation.differences.len()
    );
    let c = n.consolidate(1, &"NA01".parse()?, usd)?;
    println!("consolidation in {}:", c.currency);
    for (buyer, u) in &c.buyers {
        println!("  {buyer}: unrealized profit at the end {}", u.closing);
    }
    for p in &c.postings {
        println!("  {:<22} {:>9} {}", format!("{:?}", p.key), p.amount, p.currency);
    }
    n.check()?;
    Ok(())
}
