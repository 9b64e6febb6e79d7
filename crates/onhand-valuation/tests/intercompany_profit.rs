//! The intercompany profit embedded in a buyer's stock follows its units: out with a
//! sale, back with the sale's reversal or a customer return (pro rata, the parts adding
//! up to the whole), through a snapshot, and back out when a batch that brought it back
//! is undone; and a back-dated receipt that re-costs a shipment whose title passed at
//! shipment changes the profit embedded in what is still on the way, or is refused
//! once part of it arrived.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::sync::Arc;

use onhand_master::{Catalog, Decimal, EntityCode, seed};
use onhand_valuation::{
    Agreement, CostBody, CostEvent, IssueTo, PriceRule, Rate, TitlePoint, Valuation,
    ValuationConfig, ValuationError, ValuationSnapshot,
};

fn config() -> ValuationConfig {
    let mut c = ValuationConfig::default();
    c.agreements.push(Agreement {
        seller: "NA01".parse().unwrap(),
        buyer: "CA01".parse().unwrap(),
        price: PriceRule::CostPlus { markup: "0.10".parse().unwrap() },
        currency: "USD".parse().unwrap(),
        title: TitlePoint::Shipment,
    });
    c
}

fn catalog() -> Arc<Catalog> {
    Arc::new(Catalog::new(seed::demo_network()).unwrap())
}

fn ev(id: u64, hour: i64, body: CostBody) -> CostEvent {
    let at = chrono::DateTime::from_timestamp(1_767_600_000 + hour * 3600, 0).unwrap();
    CostEvent { id, at, body }
}

fn rates() -> Vec<Rate> {
    vec![Rate {
        from: "USD".parse().unwrap(),
        to: "CAD".parse().unwrap(),
        rate: "1.25".parse().unwrap(),
    }]
}

fn receipt(qty: &str, cost: &str) -> CostBody {
    CostBody::Receipt {
        site: "ORD".parse().unwrap(),
        item: "NUT-M8".parse().unwrap(),
        qty: qty.parse().unwrap(),
        unit_cost: cost.parse().unwrap(),
        owner: None,
    }
}

fn ship(qty: &str) -> CostBody {
    CostBody::TransferShip {
        transfer: "TO-9".parse().unwrap(),
        from: "ORD".parse().unwrap(),
        to: "YYZ".parse().unwrap(),
        item: "NUT-M8".parse().unwrap(),
        qty: qty.parse().unwrap(),
        rates: rates(),
    }
}

fn arrive(qty: &str) -> CostBody {
    CostBody::TransferReceipt {
        transfer: "TO-9".parse().unwrap(),
        qty: qty.parse().unwrap(),
        rates: rates(),
    }
}

fn sale(qty: &str) -> CostBody {
    CostBody::Issue {
        site: "YYZ".parse().unwrap(),
        item: "NUT-M8".parse().unwrap(),
        qty: qty.parse().unwrap(),
        to: IssueTo::Sale,
        owner: None,
    }
}

fn customer_return(qty: &str, original: u64) -> CostBody {
    CostBody::CustomerReturn {
        site: "YYZ".parse().unwrap(),
        item: "NUT-M8".parse().unwrap(),
        qty: qty.parse().unwrap(),
        original: Some(original),
        unit_cost: None,
        owner: None,
    }
}

fn ca01() -> EntityCode {
    "CA01".parse().unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Chicago buys 1,000 nuts at 0.04 USD and ships 500 to Toronto at cost plus 10 %
/// (27.50 CAD, 2.50 CAD of it Chicago's profit), which receives them and sells 200
/// (event 4: 1.00 CAD of profit leaves with them).
fn sold() -> Valuation {
    let mut v = Valuation::new(catalog(), config()).unwrap();
    for e in [
        ev(1, 1, receipt("1000 EA", "0.04 USD")),
        ev(2, 2, ship("500 EA")),
        ev(3, 3, arrive("500 EA")),
        ev(4, 4, sale("200 EA")),
    ] {
        v.apply(&e).unwrap();
    }
    assert_eq!(v.unrealized_profit(&ca01()), dec("1.50"));
    v
}

#[test]
fn a_reversed_sale_brings_its_profit_back_through_a_snapshot() {
    let mut original = sold();
    let snap = original.snapshot();
    let json = serde_json::to_string(&snap).unwrap();
    assert!(json.contains("sale_profit"), "the snapshot keeps the profit the sale took");
    let back: ValuationSnapshot = serde_json::from_str(&json).unwrap();
    let mut restored = Valuation::restore(catalog(), config(), &back).unwrap();
    for v in [&mut original, &mut restored] {
        v.apply(&ev(5, 5, CostBody::Reversal { original: 4 })).unwrap();
        assert_eq!(v.unrealized_profit(&ca01()), dec("2.50"));
    }
    assert_eq!(restored.snapshot(), original.snapshot());
}

#[test]
fn returns_in_parts_bring_back_exactly_the_profit_the_sale_took() {
    let mut v = sold();
    // 1.00 CAD over 200 units: 70 units bring 0.35, the next 70 0.35, the last 60 0.30.
    let mut held = Vec::new();
    for (id, hour, qty) in [(5, 5, "70 EA"), (6, 6, "70 EA"), (7, 7, "60 EA")] {
        v.apply(&ev(id, hour, customer_return(qty, 4))).unwrap();
        held.push(v.unrealized_profit(&ca01()).to_string());
    }
    assert_eq!(held, ["1.85", "2.20", "2.50"]);
}

#[test]
fn a_batch_that_fails_takes_the_returned_profit_back_out() {
    let mut v = sold();
    let mut postings = Vec::new();
    let batch = [
        ev(5, 5, CostBody::Reversal { original: 4 }),
        ev(6, 6, sale("99999 EA")), // more than Toronto holds: refused
    ];
    assert!(v.apply_all_into(&batch, &mut postings).is_err());
    assert_eq!(v.unrealized_profit(&ca01()), dec("1.50"), "the batch changed nothing");
    v.apply(&ev(5, 5, CostBody::Reversal { original: 4 })).unwrap();
    assert_eq!(v.unrealized_profit(&ca01()), dec("2.50"));
}

/// A sale re-costed by a back-dated receipt at Toronto (the nuts it took change) keeps
/// the profit it now took, which its reversal brings back.
#[test]
fn a_recosted_sale_brings_back_the_profit_it_now_took() {
    let mut v = Valuation::new(catalog(), config()).unwrap();
    for e in [
        ev(1, 1, receipt("1000 EA", "0.04 USD")),
        ev(2, 2, ship("100 EA")),
        ev(3, 3, arrive("100 EA")),
        ev(4, 10, sale("100 EA")),
    ] {
        v.apply(&e).unwrap();
    }
    assert_eq!(v.unrealized_profit(&ca01()), Decimal::ZERO);
    // 100 nuts bought locally at 0.05 CAD before the transfer arrived: under moving
    // average the sale now took half of each, so half the profit (0.25 CAD) stays.
    v.apply(&ev(
        5,
        2,
        CostBody::Receipt {
            site: "YYZ".parse().unwrap(),
            item: "NUT-M8".parse().unwrap(),
            qty: "100 EA".parse().unwrap(),
            unit_cost: "0.05 CAD".parse().unwrap(),
            owner: None,
        },
    ))
    .unwrap();
    assert_eq!(v.unrealized_profit(&ca01()), dec("0.25"));
    v.apply(&ev(6, 11, CostBody::Reversal { original: 4 })).unwrap();
    assert_eq!(v.unrealized_profit(&ca01()), dec("0.50"), "all 100 transferred nuts' profit");
}

/// Title at shipment: a receipt back-dated before the shipment makes it take the dearer
/// layer; while the nuts are on the way their embedded profit follows (carrying value
/// less the group's cost); once part of them arrived, the re-costing is refused.
#[test]
fn a_recosted_shipment_changes_the_profit_on_the_way_or_is_refused_once_part_arrived() {
    let dearer = |id| ev(id, 1, receipt("500 EA", "0.06 USD"));
    let mut v = Valuation::new(catalog(), config()).unwrap();
    v.apply(&ev(1, 2, receipt("1000 EA", "0.04 USD"))).unwrap();
    v.apply(&ev(2, 3, ship("500 EA"))).unwrap();
    assert_eq!(v.unrealized_profit(&ca01()), dec("2.50"));
    v.apply(&dearer(3)).unwrap();
    // 27.50 CAD carried; the group's cost 500 x 0.06 USD x 1.25 = 37.50 CAD.
    assert_eq!(v.unrealized_profit(&ca01()), dec("-10.00"));

    let mut w = Valuation::new(catalog(), config()).unwrap();
    w.apply(&ev(1, 2, receipt("1000 EA", "0.04 USD"))).unwrap();
    w.apply(&ev(2, 3, ship("500 EA"))).unwrap();
    w.apply(&ev(3, 4, arrive("100 EA"))).unwrap();
    let err = w.apply(&dearer(4)).unwrap_err();
    assert!(matches!(err, ValuationError::TransferRecosted(_)), "{err:?}");
    assert_eq!(w.unrealized_profit(&ca01()), dec("2.50"), "nothing changed");
}
