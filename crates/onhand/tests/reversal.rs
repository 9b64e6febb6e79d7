//! Issue 20 through the facade: a ledger reversal or return to supplier accepted by
//! `Network::apply` moves the books in the same call, with the postings in the outcome,
//! and the engines stay in step (`Network::check`), across a snapshot too.

use onhand::ledger::testing::{self, actor, doc, event, line, movement, receipt_to, reversal};
use onhand::ledger::{Body, DocKind, Event, EventId, ReferenceCost, Rules};
use onhand::master::{CurrencyCode, Role, seed};
use onhand::rust_decimal::Decimal;
use onhand::valuation::PostingKey;
use onhand::{Network, NetworkConfig, Outcome};

type R = Result<(), Box<dyn std::error::Error>>;

fn network() -> Result<Network, Box<dyn std::error::Error>> {
    let mut rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    rules.reference_costs.insert("BOLT-M8".parse()?, ReferenceCost("0.085".parse()?));
    Ok(Network::new(
        seed::demo_network(),
        rules,
        NetworkConfig::default(),
        onhand::ledger::testing::at(-60),
    )?)
}

fn sum(out: &Outcome, key: PostingKey) -> Decimal {
    out.postings.iter().filter(|p| p.key == key).map(|p| p.amount).sum()
}

fn value(n: &Network) -> Result<String, Box<dyn std::error::Error>> {
    Ok(n.valuation().inventory_value(&"NA01".parse()?).to_string())
}

/// A return to the supplier of `qty` BOLT-M8 from Atlanta's PF-A01 against `receipt`.
fn supplier_return(
    id: u128,
    minutes: i64,
    qty: &str,
    receipt: EventId,
) -> Result<Event, Box<dyn std::error::Error>> {
    Ok(testing::supplier_return(id, minutes, "ATL", "BOLT-M8", qty, "PF-A01", receipt)?)
}

fn loss(id: u128, minutes: i64, qty: &str) -> Result<Event, Box<dyn std::error::Error>> {
    Ok(event(
        id,
        minutes,
        actor("ic", &[Role::InventoryControl])?,
        "LOST",
        doc(DocKind::Internal, &format!("ADJ-{id}"))?,
        Body::Adjustment(movement(
            "ATL",
            vec![
                line("BOLT-M8", qty)?
                    .at("PF-A01".parse()?)
                    .statuses(Some(onhand::status::StockStatus::Available), None),
            ],
        )?),
    )?)
}

/// Worked by hand, FIFO at Atlanta (NA01), 0.085 a bolt:
///
/// | step | event | postings | inventory value |
/// |---|---|---|---|
/// | 1 | receipt R1 of 240 | inventory +20.40, GR/IR −20.40 | 20.40 |
/// | 2 | 40 of R1 back to the supplier | inventory −3.40, GR/IR +3.40 | 17.00 |
/// | 3 | loss of 10 | inventory −0.85, adjustment +0.85 | 16.15 |
/// | 4 | the loss reversed | inventory +0.85, adjustment −0.85 | 17.00 |
/// | 5 | return 201 more: refused (200 left on R1), nothing changes | — | 17.00 |
#[test]
fn the_books_follow_returns_and_reversals() -> R {
    let mut n = network()?;
    let r1 = receipt_to(1, "ATL", "BOLT-M8", "240 EA", "PF-A01", "available")?;
    let out = n.apply(&r1)?;
    assert_eq!(sum(&out, PostingKey::Inventory).to_string(), "20.40");
    assert_eq!(value(&n)?, "20.40");

    let out = n.apply(&supplier_return(2, 10, "40 EA", r1.id)?)?;
    assert_eq!(sum(&out, PostingKey::Inventory), "-3.40".parse::<Decimal>()?);
    assert_eq!(sum(&out, PostingKey::GoodsReceived), "3.40".parse::<Decimal>()?);
    assert_eq!(value(&n)?, "17.00");
    assert_eq!(out.availability.len(), 1, "availability follows the return");
    n.check()?;

    let lost = loss(3, 20, "10 EA")?;
    let out = n.apply(&lost)?;
    assert_eq!(sum(&out, PostingKey::Inventory), "-0.85".parse::<Decimal>()?);
    assert_eq!(value(&n)?, "16.15");
    let out = n.apply(&reversal(4, 30, lost.id)?)?;
    assert_eq!(sum(&out, PostingKey::Inventory), "0.85".parse::<Decimal>()?);
    assert_eq!(sum(&out, PostingKey::Adjustment), "-0.85".parse::<Decimal>()?);
    assert_eq!(value(&n)?, "17.00");
    n.check()?;

    let before = n.digest()?;
    let err = n.apply(&supplier_return(5, 40, "201 EA", r1.id)?).map(|_| ()).unwrap_err();
    assert_eq!(err.code(), "return_exceeds_receipt");
    assert_eq!(n.digest()?, before, "a refusal changes nothing anywhere");
    n.check()?;
    Ok(())
}

/// The books refuse what they cannot undo exactly, before the ledger takes it: a FIFO
/// receipt whose layer was partly issued cannot be reversed, and nothing moves. A
/// receipt whose layer is whole can, wherever it is in the queue.
#[test]
fn a_reversal_the_books_refuse_changes_nothing() -> R {
    let mut n = network()?;
    let r1 = receipt_to(1, "ATL", "BOLT-M8", "240 EA", "PF-A01", "available")?;
    n.apply(&r1)?;
    n.apply(&loss(2, 10, "10 EA")?)?;
    let r3 = receipt_to(3, "ATL", "BOLT-M8", "100 EA", "PF-A01", "available")?;
    n.apply(&r3)?;
    let before = n.digest()?;
    // The ledger alone would take it (330 are held); FIFO's first layer is not whole.
    let err = n.apply(&reversal(4, 30, r1.id)?).map(|_| ()).unwrap_err();
    assert_eq!(err.code(), "reversal_refused", "{err}");
    assert_eq!(n.digest()?, before);
    // The second receipt's layer is whole, behind the first: it can be reversed, out
    // of its own layer (100 @ 0.085 = 8.50), and the first layer stays as it was.
    let out = n.apply(&reversal(5, 30, r3.id)?)?;
    assert_eq!(sum(&out, PostingKey::Inventory), "-8.50".parse::<Decimal>()?);
    assert_eq!(sum(&out, PostingKey::GoodsReceived), "8.50".parse::<Decimal>()?);
    // 230 of R1 left: 20.40 less the 0.85 lost.
    assert_eq!(value(&n)?, "19.55");
    n.check()?;
    Ok(())
}

/// A reversed shipment cannot be returned by a customer any more, and a snapshot keeps
/// what the network needs to reverse and return after a restore.
#[test]
fn reversals_survive_a_snapshot() -> R {
    let mut n = network()?;
    let r1 = receipt_to(1, "ATL", "BOLT-M8", "240 EA", "PF-A01", "available")?;
    n.apply(&r1)?;
    let snap = n.snapshot()?;
    let catalog = n.catalog().clone();
    let mut m = Network::restore(catalog, n.ledger().rules().clone(), n.config().clone(), &snap)?;
    let out = m.apply(&supplier_return(2, 10, "40 EA", r1.id)?)?;
    assert_eq!(sum(&out, PostingKey::GoodsReceived), "3.40".parse::<Decimal>()?);
    let out = m.apply(&reversal(3, 20, r1.id)?);
    assert_eq!(out.map(|_| ()).unwrap_err().code(), "reversal_refused");
    m.check()?;
    Ok(())
}

proptest::proptest! {
    /// For any receipt, loss and return quantities: reversing the loss puts the books
    /// back exactly where the receipt left them, a return takes exactly its units at
    /// the receipt's cost (its share of the one FIFO layer, the last unit the last cent), a
    /// return beyond the receipt is refused, and so is one beyond what the receipt's own
    /// layer still holds (a reversed loss comes back as a layer of its own), with
    /// nothing changed; the engines stay in step throughout.
    #[test]
    fn returns_and_reversals_keep_the_books_exact(
        received in 1u32..2000,
        lost in 1u32..100,
        returned in 1u32..2100,
    ) {
        let mut n = network().unwrap();
        let r1 = receipt_to(1, "ATL", "BOLT-M8", &format!("{received} EA"), "PF-A01", "available").unwrap();
        n.apply(&r1).unwrap();
        let after_receipt = n.valuation().inventory_value(&"NA01".parse().unwrap());
        let unit: Decimal = "0.085".parse().unwrap();
        let worth = |q: u32| {
            (Decimal::from(q) * unit).round_dp_with_strategy(
                2,
                onhand::rust_decimal::RoundingStrategy::MidpointAwayFromZero,
            )
        };
        proptest::prop_assert_eq!(after_receipt, worth(received));
        if lost <= received {
            let l = loss(2, 10, &format!("{lost} EA")).unwrap();
            n.apply(&l).unwrap();
            n.apply(&reversal(3, 20, l.id).unwrap()).unwrap();
            proptest::prop_assert_eq!(n.valuation().inventory_value(&"NA01".parse().unwrap()), after_receipt);
            n.check().unwrap();
        }
        match n.apply(&supplier_return(4, 30, &format!("{returned} EA"), r1.id).unwrap()) {
            Ok(out) => {
                proptest::prop_assert!(returned <= received);
                let left = n.valuation().inventory_value(&"NA01".parse().unwrap());
                proptest::prop_assert_eq!(sum(&out, PostingKey::Inventory), left - after_receipt);
                // GR/IR takes the receipt's price of the units; a cent of rounding
                // against a layer an issue split goes to price variance.
                let gr = sum(&out, PostingKey::GoodsReceived) + sum(&out, PostingKey::PriceVariance);
                proptest::prop_assert_eq!(gr, after_receipt - left);
                // The return takes its share of the layer's value, rounded to the cent:
                // what stays is within a cent of its own worth, and nothing once all
                // went back.
                let gap = (left - worth(received - returned)).abs();
                proptest::prop_assert!(gap <= "0.01".parse().unwrap(), "{left} vs {}", worth(received - returned));
                if returned == received {
                    proptest::prop_assert_eq!(left, Decimal::ZERO);
                }
            }
            Err(e) if returned > received => {
                proptest::prop_assert_eq!(e.code(), "return_exceeds_receipt");
            }
            // The reversed loss came back as a layer of its own: the receipt's layer
            // holds `lost` fewer, and FIFO returns only from the receipt's own layer.
            // The books refuse before the ledger takes it.
            Err(e) => {
                proptest::prop_assert!(lost <= received && returned > received - lost, "{e}");
                proptest::prop_assert_eq!(e.engine(), "valuation");
            }
        }
        n.check().unwrap();
    }
}

/// Worked by hand, FIFO at Atlanta (NA01), 0.085 a bolt. R1 brings 100 (8.50) at
/// minute 1 and 40 of it go back to the supplier at minute 60 (3.40), leaving 5.10. A
/// receipt of 10 back-dated to minute −30 is taken: the books replay it ahead of R1, as
/// the oldest layer (0.85), and the return still takes its 40 out of R1's own layer,
/// now behind it: 10 @ 0.85 and 60 @ 5.10, 5.95. A loss back-dated to minute 30 could
/// leave R1's layer short at the return's time, so it is refused with nothing
/// changed (also after a restore); at minute 61 it is taken from the oldest layer, 5
/// of 10 @ 0.85 = 0.43 (half of 0.85, rounded up): 5.52.
#[test]
fn a_back_dated_receipt_lands_before_a_withdrawal_and_a_loss_does_not() -> R {
    let mut n = network()?;
    let r1 = receipt_to(1, "ATL", "BOLT-M8", "100 EA", "PF-A01", "available")?;
    n.apply(&r1)?;
    n.apply(&supplier_return(2, 60, "40 EA", r1.id)?)?;
    assert_eq!(value(&n)?, "5.10");
    let mut early = receipt_to(3, "ATL", "BOLT-M8", "10 EA", "PF-A01", "available")?;
    early.effective_at = onhand::ledger::testing::at(-30);
    let out = n.apply(&early)?;
    assert_eq!(sum(&out, PostingKey::Inventory), "0.85".parse::<Decimal>()?);
    assert_eq!(value(&n)?, "5.95");
    let pool = n.valuation().pool(&"NA01".parse()?, &"BOLT-M8".parse()?, None).ok_or("pool")?;
    let layers: Vec<(String, String)> =
        pool.layers.iter().map(|l| (l.qty.to_string(), l.value.to_string())).collect();
    assert_eq!(layers, [("10".into(), "0.85".into()), ("60".into(), "5.10".into())]);
    n.check()?;

    let mut lost = loss(4, 0, "5 EA")?;
    lost.effective_at = onhand::ledger::testing::at(30);
    let before = n.digest()?;
    let err = n.apply(&lost).map(|_| ()).unwrap_err();
    assert_eq!(err.code(), "back_dated_before_withdrawal", "{err}");
    assert_eq!(n.digest()?, before);
    let snap = n.snapshot()?;
    let catalog = n.catalog().clone();
    let mut m = Network::restore(catalog, n.ledger().rules().clone(), n.config().clone(), &snap)?;
    assert_eq!(m.apply(&lost).map(|_| ()).unwrap_err().code(), "back_dated_before_withdrawal");
    let out = m.apply(&loss(5, 61, "5 EA")?)?;
    assert_eq!(sum(&out, PostingKey::Inventory), "-0.43".parse::<Decimal>()?);
    assert_eq!(value(&m)?, "5.52");
    m.check()?;
    Ok(())
}

/// A receipt of `qty` BOLT-M8 into available stock at Atlanta against purchase order
/// PO-7 (its only open line of the item there).
fn po_receipt(id: u128, minutes: i64, qty: &str) -> Result<Event, Box<dyn std::error::Error>> {
    Ok(event(
        id,
        minutes,
        actor("receiver", &[Role::Warehouse])?,
        "RECEIPT",
        doc(DocKind::PurchaseOrder, "PO-7")?,
        Body::Receipt(movement(
            "ATL",
            vec![
                line("BOLT-M8", qty)?
                    .at("PF-A01".parse()?)
                    .statuses(None, Some(onhand::status::StockStatus::Available)),
            ],
        )?),
    )?)
}

fn open_lines(n: &Network) -> Vec<(String, String)> {
    n.expected_receipts().map(|r| (r.open.to_string(), r.received.to_string())).collect()
}

fn available_on(n: &Network, day: u32) -> Result<String, Box<dyn std::error::Error>> {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 1, day).ok_or("day")?;
    Ok(match n.available(&"BOLT-M8".parse()?, &"ATL".parse()?, day, 9)? {
        onhand::Availability::Limited(q) => q.to_string(),
        onhand::Availability::Unlimited => "unlimited".into(),
    })
}

/// Worked by hand: PO-7 expects 2 cases (240 EA) of BOLT-M8 at Atlanta on the 8th.
///
/// | step | event | PO-7 open / received | supply change | available 7th / 8th |
/// |---|---|---|---|---|
/// | 1 | receipt R1, 120 | 120 / 120 | −120 on the 8th | 120 / 240 |
/// | 2 | receipt R2, 120: closes the line | — | −120 | 240 / 240 |
/// | 3 | R1 reversed: the line reopens | 120 / 120 | +120 on the 8th | 120 / 240 |
/// | 4 | 20 of R2 back to the supplier: no replacement expected | 120 / 120 | none | 100 / 220 |
/// | 3' | (from a snapshot after 3) R2 reversed | 240 / 0 | +120 | 0 / 240 |
#[test]
fn a_reversed_purchase_receipt_reopens_its_expected_receipt() -> R {
    let mut n = network()?;
    n.expect(onhand::ExpectedReceipt {
        order: "PO-7".parse()?,
        line: 1,
        supplier: None,
        item: "BOLT-M8".parse()?,
        site: "ATL".parse()?,
        qty: "2 CS".parse()?,
        due: chrono::NaiveDate::from_ymd_opt(2026, 1, 8).ok_or("day")?,
        unit_cost: None,
    })?;
    let r1 = po_receipt(1, 1, "120 EA")?;
    let out = n.apply(&r1)?;
    assert_eq!(out.supply.len(), 1);
    assert_eq!(out.supply[0].change.to_string(), "-120 EA");
    assert_eq!(open_lines(&n), [("120".to_owned(), "120".to_owned())]);
    assert_eq!((available_on(&n, 7)?, available_on(&n, 8)?), ("120 EA".into(), "240 EA".into()));
    let r2 = po_receipt(2, 2, "120 EA")?;
    n.apply(&r2)?;
    assert!(open_lines(&n).is_empty());
    assert_eq!((available_on(&n, 7)?, available_on(&n, 8)?), ("240 EA".into(), "240 EA".into()));

    let out = n.apply(&reversal(3, 10, r1.id)?)?;
    assert_eq!(sum(&out, PostingKey::Inventory), "-10.20".parse::<Decimal>()?);
    assert_eq!(out.supply.len(), 1);
    assert_eq!(out.supply[0].change.to_string(), "+120 EA");
    assert_eq!(out.supply[0].date, chrono::NaiveDate::from_ymd_opt(2026, 1, 8).ok_or("day")?);
    assert_eq!(open_lines(&n), [("120".to_owned(), "120".to_owned())]);
    assert_eq!((available_on(&n, 7)?, available_on(&n, 8)?), ("120 EA".into(), "240 EA".into()));
    n.check()?;

    let snap = n.snapshot()?;
    let catalog = n.catalog().clone();
    let mut m = Network::restore(catalog, n.ledger().rules().clone(), n.config().clone(), &snap)?;

    let out = n.apply(&supplier_return(4, 20, "20 EA", r2.id)?)?;
    assert!(out.supply.is_empty(), "a return to supplier reopens nothing");
    assert_eq!(open_lines(&n), [("120".to_owned(), "120".to_owned())]);
    assert_eq!((available_on(&n, 7)?, available_on(&n, 8)?), ("100 EA".into(), "220 EA".into()));
    n.check()?;

    let out = m.apply(&reversal(5, 20, r2.id)?)?;
    assert_eq!(out.supply[0].change.to_string(), "+120 EA");
    assert_eq!(open_lines(&m), [("240".to_owned(), "0".to_owned())]);
    assert_eq!((available_on(&m, 7)?, available_on(&m, 8)?), ("0 EA".into(), "240 EA".into()));
    m.check()?;
    Ok(())
}
