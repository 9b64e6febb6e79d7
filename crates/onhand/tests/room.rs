//! An event whose consequences an engine could not hold is refused whole, before the
//! ledger commits: a typed error, nothing changed, the network still live. Before, the
//! ledger took it and the network diverged (and took no more events). The availability
//! engine bounds what an item-site holds (stock plus dated supply); the books bound the
//! amounts they carry (10^15) and the decimal range.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::*;
use onhand::ledger::testing::{actor, doc, event, line, movement, receipt_to};
use onhand::ledger::{Body, DocKind, Event, TransferLine, TransferRequest};
use onhand::master::{BinCode, Role};
use onhand::status::StockStatus;
use onhand::{Error, Network};

/// Copper cable counts in thousandths of a metre: the engine holds at most 2^60 of
/// them at an item-site, 1,152,921,504,606,846.976 M. Each receipt here is within the
/// ledger's line bound (10^15 base units).
const PETA: &str = "1000000000000000 M";

fn cable(id: u128, site: &str, qty: &str) -> Event {
    receipt_to(id, site, "CABLE-CU", qty, "RCV-01", "available").unwrap()
}

/// Applies `e`, which must be refused with `code` (from the availability engine or the
/// books), changing nothing.
fn refused_whole(n: &mut Network, e: &Event, code: &str) {
    let before = n.digest().unwrap();
    let err = n.apply(e).unwrap_err();
    assert!(matches!(&err, Error::Atp(_) | Error::Valuation(_)), "{err:?}");
    assert_eq!(err.code(), code, "{err:?}");
    assert_eq!(n.digest().unwrap(), before, "a refused event changed the network");
    n.check().unwrap();
}

/// A receipt of 3 M of cable at `cost` per metre, into Atlanta's available stock.
fn priced(id: u128, cost: &str) -> Event {
    let mut e = cable(id, "ATL", "3 M");
    if let Body::Receipt(m) = &mut e.body {
        m.lines[0].unit_cost = Some(cost.parse().unwrap());
    }
    e
}

#[test]
fn a_receipt_whose_value_the_books_cannot_carry_is_refused_before_the_ledger_takes_it() {
    let mut n = network();
    refused_whole(&mut n, &priced(10, "79228162514264.337593543950335 USD"), "overflow");
    refused_whole(&mut n, &priced(11, "12345678901234567890.12 USD"), "too_large");
    // Fine-grained costs are carried exactly, and the network goes on.
    assert!(n.apply(&priced(12, "0.1234567890123456789012345678 USD")).unwrap().accepted());
    assert!(n.apply(&priced(13, "1.00 USD")).unwrap().accepted());
    n.check().unwrap();
    assert_replays(&n, config());
}

#[test]
fn a_receipt_past_what_an_item_site_can_hold_is_refused_before_the_ledger_takes_it() {
    let mut n = network();
    assert!(n.apply(&cable(10, "ATL", PETA)).unwrap().accepted());
    refused_whole(&mut n, &cable(11, "ATL", PETA), "too_large");
    // The network is live: the same quantity elsewhere, and a small one here, go in.
    assert!(n.apply(&cable(12, "DFW", PETA)).unwrap().accepted());
    assert!(n.apply(&cable(13, "ATL", "5 M")).unwrap().accepted());
    n.check().unwrap();
    assert_replays(&n, config());
}

#[test]
fn a_transfer_shipment_past_what_its_destination_can_hold_is_refused_before_it_ships() {
    let mut n = network();
    // Dallas holds all but 846.976 M of what the engine can hold there.
    assert!(n.apply(&cable(10, "DFW", PETA)).unwrap().accepted());
    assert!(n.apply(&cable(11, "DFW", "152921504606000 M")).unwrap().accepted());
    assert!(n.apply(&cable(12, "ATL", "5000 M")).unwrap().accepted());
    let order = |id: u128, minutes: i64, who: &str, body: Body| {
        let roles = if who == "wh" { vec![Role::Warehouse] } else { vec![Role::Planning] };
        let doc = doc(DocKind::TransferOrder, "TR-9").unwrap();
        event(id, minutes, actor(who, &roles).unwrap(), "REPLENISH", doc, body).unwrap()
    };
    let request = Body::TransferRequest(TransferRequest {
        from: "ATL".parse().unwrap(),
        to: "DFW".parse().unwrap(),
        lines: vec![TransferLine {
            item: "CABLE-CU".parse().unwrap(),
            qty: "1000 M".parse().unwrap(),
        }],
        expected_arrival: None,
    });
    assert!(n.apply(&order(20, 30, "planner.one", request)).unwrap().accepted());
    let approve = order(21, 40, "planner.two", Body::TransferApprove);
    assert!(n.apply(&approve).unwrap().accepted());
    let ship = |id: u128, qty: &str| {
        let l = line("CABLE-CU", qty).unwrap().at(BinCode::new("RCV-01").unwrap());
        order(id, 50, "wh", Body::TransferShip(movement("ATL", vec![l]).unwrap()))
    };
    // 1,000 M on the way to Dallas would not fit there.
    refused_whole(&mut n, &ship(22, "1000 M"), "too_large");
    // 800 M does, and so does its receipt (its supply makes way for the stock).
    assert!(n.apply(&ship(23, "800 M")).unwrap().accepted());
    let l = line("CABLE-CU", "800 M")
        .unwrap()
        .at(BinCode::new("RCV-01").unwrap())
        .statuses(None, Some(StockStatus::Available));
    let receive = order(24, 60, "wh", Body::TransferReceipt(movement("DFW", vec![l]).unwrap()));
    assert!(n.apply(&receive).unwrap().accepted());
    n.check().unwrap();
    assert_replays(&n, config());
}
