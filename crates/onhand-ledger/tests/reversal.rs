//! Reversals and returns to supplier (issue 20): exact undo of a posted receipt, pick,
//! shipment, scrap or adjustment, returns against the receipt they return, and every
//! refusal, worked by hand on the demo network's Atlanta site.

use std::sync::Arc;

use onhand_ledger::testing::{self, actor, doc, event, line, movement, receipt_to, reversal};
use onhand_ledger::{Applied, Body, DocKind, Event, EventId, Ledger, LedgerError, Rules};
use onhand_master::{Catalog, CurrencyCode, ItemCode, Role, SerialNo, SiteCode, seed};
use onhand_status::StockStatus;
use rust_decimal::Decimal;

type R = Result<(), Box<dyn std::error::Error>>;

fn ledger() -> Result<Ledger, Box<dyn std::error::Error>> {
    let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    Ok(Ledger::new(catalog, Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors())?)
}

/// The balance of BOLT-M8 at Atlanta in `status` (base units, every bin).
fn bolts(l: &Ledger, status: StockStatus) -> Decimal {
    let item = ItemCode::new("BOLT-M8").ok();
    let site = SiteCode::new("ATL").ok();
    l.positions()
        .filter(|(k, _)| k.status == status)
        .filter(|(k, _)| {
            let v = l.describe(k);
            Some(v.item) == item && Some(v.site) == site
        })
        .map(|(_, q)| q)
        .sum()
}

fn moved(
    id: u128,
    minutes: i64,
    who: Role,
    reason: &str,
    kind: DocKind,
    body: fn(onhand_ledger::SiteLines) -> Body,
    l: onhand_ledger::Line,
) -> Result<Event, Box<dyn std::error::Error>> {
    Ok(event(
        id,
        minutes,
        actor("u", &[who])?,
        reason,
        doc(kind, &format!("D-{id}"))?,
        body(movement("ATL", vec![l])?),
    )?)
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

fn accepted(a: Applied) -> Result<onhand_ledger::Accepted, Box<dyn std::error::Error>> {
    match a {
        Applied::Accepted(x) => Ok(x),
        other => Err(format!("not accepted: {other:?}").into()),
    }
}

/// The textbook sequence, balances worked by hand:
///
/// | step | event | available | picked |
/// |---|---|---|---|
/// | 1 | receipt R1, 2 CS = 240 EA into available | 240 | 0 |
/// | 2 | pick 30 | 210 | 30 |
/// | 3 | reverse the pick | 240 | 0 |
/// | 4 | pick 50 | 190 | 50 |
/// | 5 | ship the 50 | 190 | 0 |
/// | 6 | reverse the shipment: the 50 come back into picked | 190 | 50 |
/// | 7 | loss of 10 (LOST) | 180 | 50 |
/// | 8 | reverse the loss | 190 | 50 |
/// | 9 | return 40 of R1 to the supplier | 150 | 50 |
/// | 10 | return 201 more: refused, 240 − 40 = 200 left on R1 | 150 | 50 |
/// | 11 | return 150 more: accepted, 10 left returnable | 0 | 50 |
#[test]
fn a_textbook_sequence_of_reversals_and_returns() -> R {
    let mut l = ledger()?;
    let r1 = receipt_to(1, "ATL", "BOLT-M8", "2 CS", "PF-A01", "available")?;
    l.apply(&r1)?;
    assert_eq!(bolts(&l, StockStatus::Available), Decimal::from(240));

    let pick = |id, qty: &str| {
        moved(
            id,
            10,
            Role::Warehouse,
            "PICK",
            DocKind::SalesOrder,
            Body::Pick,
            line("BOLT-M8", qty)?.at("PF-A01".parse()?),
        )
    };
    let p1 = pick(2, "30 EA")?;
    l.apply(&p1)?;
    assert_eq!(
        (bolts(&l, StockStatus::Available), bolts(&l, StockStatus::Picked)),
        (210.into(), 30.into())
    );
    let rev = accepted(l.apply(&reversal(3, 11, p1.id)?)?)?;
    assert_eq!(rev.deltas().len(), 2, "both sides of the pick move back");
    assert_eq!(
        (bolts(&l, StockStatus::Available), bolts(&l, StockStatus::Picked)),
        (240.into(), 0.into())
    );

    let p2 = pick(4, "50 EA")?;
    l.apply(&p2)?;
    let ship = moved(
        5,
        20,
        Role::Warehouse,
        "SHIP",
        DocKind::SalesOrder,
        Body::Ship,
        line("BOLT-M8", "50 EA")?.at("PF-A01".parse()?),
    )?;
    l.apply(&ship)?;
    assert_eq!(
        (bolts(&l, StockStatus::Available), bolts(&l, StockStatus::Picked)),
        (190.into(), 0.into())
    );
    l.apply(&reversal(6, 21, ship.id)?)?;
    assert_eq!(
        (bolts(&l, StockStatus::Available), bolts(&l, StockStatus::Picked)),
        (190.into(), 50.into())
    );

    let loss = moved(
        7,
        30,
        Role::InventoryControl,
        "LOST",
        DocKind::Internal,
        Body::Adjustment,
        line("BOLT-M8", "10 EA")?
            .at("PF-A01".parse()?)
            .statuses(Some(StockStatus::Available), None),
    )?;
    l.apply(&loss)?;
    assert_eq!(bolts(&l, StockStatus::Available), Decimal::from(180));
    l.apply(&reversal(8, 31, loss.id)?)?;
    assert_eq!(bolts(&l, StockStatus::Available), Decimal::from(190));

    l.apply(&supplier_return(9, 40, "40 EA", r1.id)?)?;
    assert_eq!(bolts(&l, StockStatus::Available), Decimal::from(150));
    assert_eq!(
        l.apply(&supplier_return(10, 41, "201 EA", r1.id)?),
        Err(LedgerError::ReturnExceedsReceipt {
            receipt: r1.id,
            item: "BOLT-M8".parse()?,
            received: 240.into(),
            returned: 40.into(),
            requested: 201.into(),
        })
    );
    l.apply(&supplier_return(11, 42, "150 EA", r1.id)?)?;
    assert_eq!(
        (bolts(&l, StockStatus::Available), bolts(&l, StockStatus::Picked)),
        (0.into(), 50.into())
    );
    let rec = l.posted(&r1.id).ok_or("a record of the receipt")?;
    assert_eq!(rec.received.first().map(|r| (r.qty, r.returned)), Some((240.into(), 190.into())));
    Ok(())
}

/// Every refusal, each leaving the state exactly as it was.
#[test]
fn reversals_are_refused_when_they_cannot_be_exact() -> R {
    let mut l = ledger()?;
    let r1 = receipt_to(1, "ATL", "BOLT-M8", "100 EA", "PF-A01", "available")?;
    l.apply(&r1)?;
    let pick = moved(
        2,
        10,
        Role::Warehouse,
        "PICK",
        DocKind::SalesOrder,
        Body::Pick,
        line("BOLT-M8", "60 EA")?.at("PF-A01".parse()?),
    )?;
    l.apply(&pick)?;
    let before = l.state_digest()?;
    let refused = |l: &mut Ledger, e: &Event| -> Result<LedgerError, Box<dyn std::error::Error>> {
        let err = l.apply(e).err().ok_or("refused")?;
        Ok(err)
    };
    // 100 came in, 60 are picked: reversing the receipt would take 100 from 40.
    let err = refused(&mut l, &reversal(3, 20, r1.id)?)?;
    assert!(
        matches!(&err, LedgerError::InsufficientStock { available, requested, .. }
            if *available == Decimal::from(40) && *requested == Decimal::from(100)),
        "{err:?}"
    );
    let unknown = EventId::from_u128(999);
    assert_eq!(
        refused(&mut l, &reversal(4, 20, unknown)?)?,
        LedgerError::UnknownOriginal { event: unknown }
    );
    // A reversal dated before its original.
    assert_eq!(refused(&mut l, &reversal(5, 5, pick.id)?)?.code(), "reversal_refused");
    // A put-away is not reversed this way.
    let putaway = moved(
        6,
        30,
        Role::Warehouse,
        "PUTAWAY",
        DocKind::Internal,
        Body::Putaway,
        line("BOLT-M8", "10 EA")?
            .at("PF-A01".parse()?)
            .to_bin("PF-A02".parse()?)
            .statuses(Some(StockStatus::Available), None),
    )?;
    l.apply(&putaway)?;
    let before = {
        let _ = before;
        l.state_digest()?
    };
    assert_eq!(
        refused(&mut l, &reversal(7, 40, putaway.id)?)?,
        LedgerError::NotReversible { event: putaway.id, kind: None }
    );
    // Reversed once; not twice; the reversal itself is not reversed.
    let rev = reversal(8, 40, pick.id)?;
    l.apply(&rev)?;
    let after = l.state_digest()?;
    assert_ne!(after, before);
    assert_eq!(l.apply(&rev)?, Applied::Duplicate, "the same reversal again is a duplicate");
    assert_eq!(
        refused(&mut l, &reversal(9, 50, pick.id)?)?,
        LedgerError::AlreadyReversed { event: pick.id, by: rev.id }
    );
    assert_eq!(
        refused(&mut l, &reversal(10, 50, rev.id)?)?,
        LedgerError::NotReversible {
            event: rev.id,
            kind: Some(onhand_ledger::EventKind::Reversal)
        }
    );
    // Returns: against a pick, without a receipt, from a reversed receipt.
    let mut no_original = supplier_return(11, 60, "5 EA", r1.id)?;
    if let Body::SupplierReturn(m) = &mut no_original.body {
        m.lines.iter_mut().for_each(|x| x.original = None);
    }
    assert_eq!(
        refused(&mut l, &no_original)?,
        LedgerError::OriginalRequired { item: "BOLT-M8".parse()? }
    );
    assert_eq!(
        refused(&mut l, &supplier_return(12, 60, "5 EA", pick.id)?)?,
        LedgerError::NotAReceipt { event: pick.id, kind: onhand_ledger::EventKind::Pick }
    );
    assert_eq!(l.state_digest()?, after, "refusals change nothing");
    // A receipt part of which went back cannot be reversed.
    l.apply(&supplier_return(13, 60, "5 EA", r1.id)?)?;
    assert_eq!(refused(&mut l, &reversal(14, 70, r1.id)?)?.code(), "reversal_refused");
    Ok(())
}

/// A serial that left with a shipment and came back in since cannot be un-shipped; a
/// receipt of serials reversed takes exactly those serials out.
#[test]
fn serials_move_back_exactly() -> R {
    let mut l = ledger()?;
    let serials =
        |names: &[&str]| -> Vec<SerialNo> { names.iter().filter_map(|s| s.parse().ok()).collect() };
    let mut drill = line("DRILL-18V", "2 EA")?.at("PF-A01".parse()?);
    drill.serials = serials(&["SN-1", "SN-2"]);
    drill.to = Some(StockStatus::Available);
    let r = event(
        1,
        1,
        actor("r", &[Role::Warehouse])?,
        "RECEIPT",
        doc(DocKind::PurchaseOrder, "PO-1")?,
        Body::Receipt(movement("ATL", vec![drill])?),
    )?;
    l.apply(&r)?;
    let mut out = line("DRILL-18V", "1 EA")?
        .at("PF-A01".parse()?)
        .statuses(Some(StockStatus::Available), None);
    out.serials = serials(&["SN-1"]);
    let loss =
        moved(2, 2, Role::InventoryControl, "LOST", DocKind::Internal, Body::Adjustment, out)?;
    l.apply(&loss)?;
    // SN-1 is found and received again: the loss cannot be reversed (it would bring
    // SN-1 in twice), and the receipt cannot either (SN-1 is not where it left it).
    let mut again = line("DRILL-18V", "1 EA")?.at("PF-A01".parse()?);
    again.serials = serials(&["SN-1"]);
    again.to = Some(StockStatus::Available);
    let found = event(
        3,
        3,
        actor("r", &[Role::Warehouse])?,
        "RECEIPT",
        doc(DocKind::PurchaseOrder, "PO-3")?,
        Body::Receipt(movement("ATL", vec![again])?),
    )?;
    l.apply(&found)?;
    assert_eq!(l.apply(&reversal(4, 4, loss.id)?).map_err(|e| e.code()), Err("serial_in_network"));
    // Reversing the second receipt takes SN-1 out; then the loss reverses.
    l.apply(&reversal(5, 5, found.id)?)?;
    l.apply(&reversal(6, 6, loss.id)?)?;
    // Both serials are back in available; reversing the first receipt takes them out.
    l.apply(&reversal(7, 7, r.id)?)?;
    assert_eq!(l.positions().map(|(_, q)| q).sum::<Decimal>(), Decimal::ZERO);
    Ok(())
}

/// A restored snapshot refuses a second reversal, and accepts what the live ledger
/// accepts; replaying the journal gives the same state.
#[test]
fn snapshots_and_replay_keep_what_was_reversed() -> R {
    let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    let mut l = Ledger::new(catalog.clone(), rules.clone())?;
    let mut journal = onhand_ledger::Journal::new();
    let r1 = receipt_to(1, "ATL", "BOLT-M8", "100 EA", "PF-A01", "available")?;
    let rev = reversal(2, 10, r1.id)?;
    let r3 = receipt_to(3, "ATL", "BOLT-M8", "70 EA", "PF-A01", "available")?;
    let ret = supplier_return(4, 20, "30 EA", r3.id)?;
    for e in [&r1, &rev, &r3, &ret] {
        l.apply(e)?;
        journal.append(e.clone())?;
    }
    let snap = l.snapshot(None)?;
    let json = serde_json::to_vec(&snap)?;
    let mut restored = Ledger::restore(
        catalog.clone(),
        rules.clone(),
        &onhand_ledger::Snapshot::from_json(&json)?,
    )?;
    assert_eq!(restored.state_digest()?, l.state_digest()?);
    assert_eq!(
        restored.apply(&reversal(5, 30, r1.id)?).map_err(|e| e.code()),
        Err("already_reversed")
    );
    assert_eq!(
        restored.apply(&supplier_return(6, 30, "41 EA", r3.id)?).map_err(|e| e.code()),
        Err("return_exceeds_receipt")
    );
    restored.apply(&supplier_return(7, 30, "40 EA", r3.id)?)?;
    let replayed = Ledger::replay(catalog, rules, journal.entries())?;
    assert_eq!(replayed.state_digest()?, l.state_digest()?);
    Ok(())
}

proptest::proptest! {
    /// Reversing an accepted pick, loss or receipt at once puts every position back
    /// exactly as it was before the original; a receipt is refused exactly when the
    /// stock it brought in moved on.
    #[test]
    fn a_reversal_undoes_exactly(
        received in 1u32..400,
        picked in 0u32..400,
        lost in 0u32..100,
        which in 0u8..3,
    ) {
        let mut l = ledger().unwrap();
        l.apply(&receipt_to(1, "ATL", "BOLT-M8", &format!("{received} EA"), "PF-A01", "available").unwrap()).unwrap();
        let mut last = EventId::from_u128(1);
        let mut before = vec![];
        if picked > 0 && picked <= received {
            before = l.positions().collect();
            let p = moved(2, 10, Role::Warehouse, "PICK", DocKind::SalesOrder, Body::Pick, line("BOLT-M8", &format!("{picked} EA")).unwrap().at("PF-A01".parse().unwrap())).unwrap();
            l.apply(&p).unwrap();
            if which == 1 { last = p.id; }
        }
        let left = received - if picked <= received { picked } else { 0 };
        // Only the last event is reversed: a pick reversal comes straight after it.
        if which != 1 && lost > 0 && lost <= left {
            let b = l.positions().collect::<Vec<_>>();
            let loss = moved(3, 20, Role::InventoryControl, "LOST", DocKind::Internal, Body::Adjustment,
                line("BOLT-M8", &format!("{lost} EA")).unwrap().at("PF-A01".parse().unwrap()).statuses(Some(StockStatus::Available), None)).unwrap();
            l.apply(&loss).unwrap();
            if which == 2 { last = loss.id; before = b; }
        }
        let start = l.state_digest().unwrap();
        match l.apply(&reversal(9, 60, last).unwrap()) {
            Ok(_) if last == EventId::from_u128(1) => {
                proptest::prop_assert_eq!(l.positions().map(|(_, q)| q).sum::<Decimal>(), Decimal::ZERO);
                proptest::prop_assert_eq!(bolts(&l, StockStatus::Available), Decimal::ZERO);
            }
            Ok(_) => {
                // The changes of a single-line event undone: every position as before
                // it, zero balances included.
                let now: Vec<_> = l.positions().filter(|(_, q)| !q.is_zero()).collect();
                let was: Vec<_> = before.into_iter().filter(|(_, q)| !q.is_zero()).collect();
                proptest::prop_assert_eq!(now, was);
            }
            Err(e) => {
                proptest::prop_assert_eq!(last, EventId::from_u128(1));
                proptest::prop_assert_eq!(e.code(), "insufficient_stock");
                proptest::prop_assert!(bolts(&l, StockStatus::Available) < Decimal::from(received));
                proptest::prop_assert_eq!(l.state_digest().unwrap(), start);
            }
        }
    }
}

/// A reversal held for approval takes effect when approved, and only then: the
/// original stays reversible until the approval, and is refused a second reversal
/// after it.
#[test]
fn a_held_reversal_takes_effect_when_approved() -> R {
    let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    let mut rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    rules.thresholds.push(onhand_ledger::Threshold {
        kind: onhand_ledger::EventKind::Reversal,
        reason: None,
        max_qty: Some(Decimal::from(50)),
        max_value: None,
        max_event_qty: None,
        document: None,
        approver: Role::Supervisor,
    });
    let mut l = Ledger::new(catalog, rules)?;
    let r1 = receipt_to(1, "ATL", "BOLT-M8", "100 EA", "PF-A01", "available")?;
    l.apply(&r1)?;
    let rev = reversal(2, 10, r1.id)?;
    assert!(matches!(l.apply(&rev)?, Applied::Pending { .. }), "100 > 50 waits for a supervisor");
    assert_eq!(bolts(&l, StockStatus::Available), Decimal::from(100), "nothing moved yet");
    assert_eq!(l.posted(&r1.id).and_then(|p| p.reversed_by), None);
    let approve = event(
        3,
        20,
        actor("boss", &[Role::Supervisor])?,
        "APPROVED",
        doc(DocKind::Internal, "APP-1")?,
        Body::Approve { event: rev.id },
    )?;
    accepted(l.apply(&approve)?)?;
    assert_eq!(bolts(&l, StockStatus::Available), Decimal::ZERO);
    assert_eq!(l.posted(&r1.id).and_then(|p| p.reversed_by), Some(rev.id));
    assert_eq!(
        l.apply(&reversal(4, 30, r1.id)?),
        Err(LedgerError::AlreadyReversed { event: r1.id, by: rev.id })
    );
    Ok(())
}

/// A receipt's record totals what it received per item, one entry per item in item
/// order, whatever the order of its lines and however many bins each item went to.
#[test]
fn a_receipt_of_several_items_is_totalled_per_item() -> R {
    let mut l = ledger()?;
    let lines = vec![
        line("NUT-M8", "5 EA")?.at(onhand_master::BinCode::new("PF-A01")?),
        line("BOLT-M8", "10 EA")?.at(onhand_master::BinCode::new("PF-A01")?),
        line("NUT-M8", "7 EA")?.at(onhand_master::BinCode::new("PF-A02")?),
        line("BOLT-M8", "3 EA")?.at(onhand_master::BinCode::new("PF-A02")?),
        line("BOLT-M8-SS", "4 EA")?.at(onhand_master::BinCode::new("PF-A01")?),
    ];
    let r = event(
        1,
        0,
        actor("u", &[Role::Warehouse])?,
        "RECEIPT",
        doc(DocKind::PurchaseOrder, "PO-M")?,
        Body::Receipt(movement("ATL", lines)?),
    )?;
    l.apply(&r)?;
    let rec = l.posted(&r.id).ok_or("a record of the receipt")?;
    let mut got: Vec<(String, Decimal)> = rec
        .received
        .iter()
        .map(|x| (l.catalog().item(x.item).map(|i| i.code.to_string()).unwrap_or_default(), x.qty))
        .collect();
    assert!(rec.received.windows(2).all(|w| w[0].item < w[1].item), "one entry per item, in order");
    got.sort();
    assert_eq!(
        got,
        vec![
            ("BOLT-M8".to_owned(), 13.into()),
            ("BOLT-M8-SS".to_owned(), 4.into()),
            ("NUT-M8".to_owned(), 12.into())
        ]
    );
    Ok(())
}
