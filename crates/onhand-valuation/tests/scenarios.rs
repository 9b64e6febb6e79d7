//! Worked valuation cases, each with its source or reasoning named, on the demo network
//! (NA01: USD, FIFO; CA01: CAD, moving average).

#![allow(
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "test code: a failed unwrap is a failed test, and a scenario reads best in one piece"
)]

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use onhand_master::{Catalog, Decimal, EntityCode, seed};
use onhand_valuation::{
    Agreement, CostBody, CostEvent, IssueTo, Method, MethodOverride, Mismatch, NegativeCostPolicy,
    Outcome, PostingKey, PostingKind, PriceRule, Rate, Standard, TitlePoint, Valuation,
    ValuationConfig, ValuationError, balances, reconcile, unbalanced,
};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn at(hour: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_600_000 + hour * 3600, 0).unwrap()
}

fn e(code: &str) -> EntityCode {
    code.parse().unwrap()
}

fn engine(config: ValuationConfig) -> Valuation {
    Valuation::new(Arc::new(Catalog::new(seed::demo_network()).unwrap()), config).unwrap()
}

fn receipt(id: u64, site: &str, item: &str, qty: &str, cost: &str) -> CostEvent {
    CostEvent {
        id,
        at: at(i64::try_from(id).unwrap()),
        body: CostBody::Receipt {
            site: site.parse().unwrap(),
            item: item.parse().unwrap(),
            qty: qty.parse().unwrap(),
            unit_cost: cost.parse().unwrap(),
            owner: None,
        },
    }
}

fn issue(id: u64, site: &str, item: &str, qty: &str, to: IssueTo) -> CostEvent {
    CostEvent {
        id,
        at: at(i64::try_from(id).unwrap()),
        body: CostBody::Issue {
            site: site.parse().unwrap(),
            item: item.parse().unwrap(),
            qty: qty.parse().unwrap(),
            to,
            owner: None,
        },
    }
}

fn posted(v: &mut Valuation, ev: &CostEvent) -> Vec<onhand_valuation::Posting> {
    let out = v.apply(ev).unwrap();
    let Outcome::Posted { postings, .. } = out else { panic!("duplicate") };
    assert!(unbalanced(&postings).is_empty(), "{postings:#?}");
    postings
}

fn amount(postings: &[onhand_valuation::Posting], key: PostingKey) -> Decimal {
    postings.iter().filter(|p| p.key == key).map(|p| p.amount).sum()
}

/// The classic perpetual FIFO and moving-average sequence (beginning 100 @ 10, buy 200 @
/// 11, buy 300 @ 12, sell 400), as in Horngren et al., *Financial Accounting*, ch.
/// "Merchandise inventory": FIFO cost of sales 4,400 and ending 2,400; moving average
/// 11.3333... a unit, cost of sales 4,533.33 and ending 2,266.67.
#[test]
fn fifo_and_moving_average_textbook_sequence() {
    // NA01 (FIFO) at Atlanta.
    let mut v = engine(ValuationConfig::default());
    posted(&mut v, &receipt(1, "ATL", "BOLT-M8", "100 EA", "10 USD"));
    posted(&mut v, &receipt(2, "ATL", "BOLT-M8", "200 EA", "11 USD"));
    posted(&mut v, &receipt(3, "ATL", "BOLT-M8", "300 EA", "12 USD"));
    let p = posted(&mut v, &issue(4, "ATL", "BOLT-M8", "400 EA", IssueTo::Sale));
    assert_eq!(amount(&p, PostingKey::CostOfSales), d("4400.00"));
    let pool = v.pool(&e("NA01"), &"BOLT-M8".parse().unwrap(), None).unwrap();
    assert_eq!((pool.qty, pool.value), (d("200"), d("2400.00")));
    assert_eq!(pool.layers.len(), 1);

    // CA01 (moving average) at Toronto.
    let mut v = engine(ValuationConfig::default());
    posted(&mut v, &receipt(1, "YYZ", "BOLT-M8", "100 EA", "10 CAD"));
    posted(&mut v, &receipt(2, "YYZ", "BOLT-M8", "200 EA", "11 CAD"));
    posted(&mut v, &receipt(3, "YYZ", "BOLT-M8", "300 EA", "12 CAD"));
    let p = posted(&mut v, &issue(4, "YYZ", "BOLT-M8", "400 EA", IssueTo::Sale));
    assert_eq!(amount(&p, PostingKey::CostOfSales), d("4533.33"));
    assert_eq!(v.inventory_value(&e("CA01")), d("2266.67"));
    // The last 200 out take exactly what is left: nothing strands in the pool.
    let p = posted(&mut v, &issue(5, "YYZ", "BOLT-M8", "200 EA", IssueTo::Sale));
    assert_eq!(amount(&p, PostingKey::CostOfSales), d("2266.67"));
    assert_eq!(v.inventory_value(&e("CA01")), Decimal::ZERO);
}

/// Opening balances taken over from another system, one event per cost layer at the
/// layer's date, against the opening-balance account. Worked by hand (the cost flows of
/// Horngren et al., *Financial Accounting*, "Merchandise inventory"): layers 100 @ 1.00
/// (January) and 50 @ 1.20 (February), sent February first, so January is back-dated
/// in front of it. FIFO: a sale of 120 costs 100 x 1.00 + 20 x 1.20 = 124.00, leaving
/// 30 @ 1.20 = 36.00. Moving average: 160.00 / 150 a unit, the sale 120 x 160 / 150 =
/// 128.00, leaving 32.00. Standard at 4.00: 100 @ 4.00 opens at 400.00 with no variance.
#[test]
fn opening_balances_start_fifo_average_and_standard_pools() {
    let opening = |id: u64, day: i64, site: &str, item: &str, qty: &str, cost: &str| CostEvent {
        id,
        at: at(day),
        body: CostBody::OpeningBalance {
            site: site.parse().unwrap(),
            item: item.parse().unwrap(),
            qty: qty.parse().unwrap(),
            unit_cost: cost.parse().unwrap(),
            owner: None,
        },
    };
    // NA01 (FIFO) at Atlanta.
    let mut v = engine(ValuationConfig::default());
    let p = posted(&mut v, &opening(1, 2, "ATL", "BOLT-M8", "50 EA", "1.20 USD"));
    assert_eq!(amount(&p, PostingKey::Inventory), d("60.00"));
    assert_eq!(amount(&p, PostingKey::OpeningBalance), d("-60.00"));
    assert_eq!(amount(&p, PostingKey::GoodsReceived), Decimal::ZERO);
    let p = posted(&mut v, &opening(2, 1, "ATL", "BOLT-M8", "100 EA", "1.00 USD"));
    assert_eq!(amount(&p, PostingKey::OpeningBalance), d("-100.00"));
    let pool = v.pool(&e("NA01"), &"BOLT-M8".parse().unwrap(), None).unwrap();
    assert_eq!((pool.qty, pool.value, pool.layers.len()), (d("150"), d("160.00"), 2));
    let p = posted(&mut v, &issue(3, "ATL", "BOLT-M8", "120 EA", IssueTo::Sale));
    assert_eq!(amount(&p, PostingKey::CostOfSales), d("124.00"));
    let pool = v.pool(&e("NA01"), &"BOLT-M8".parse().unwrap(), None).unwrap();
    assert_eq!((pool.qty, pool.value, pool.layers.len()), (d("30"), d("36.00"), 1));

    // CA01 (moving average) at Toronto.
    let mut v = engine(ValuationConfig::default());
    posted(&mut v, &opening(1, 2, "YYZ", "BOLT-M8", "50 EA", "1.20 CAD"));
    posted(&mut v, &opening(2, 1, "YYZ", "BOLT-M8", "100 EA", "1.00 CAD"));
    let p = posted(&mut v, &issue(3, "YYZ", "BOLT-M8", "120 EA", IssueTo::Sale));
    assert_eq!(amount(&p, PostingKey::CostOfSales), d("128.00"));
    assert_eq!(v.inventory_value(&e("CA01")), d("32.00"));

    // NA01 values GLUE-500 at a standard of 4.00.
    let mut v = engine(ValuationConfig {
        methods: vec![MethodOverride {
            entity: e("NA01"),
            item: "GLUE-500".parse().unwrap(),
            method: Method::Standard,
        }],
        standards: vec![Standard {
            entity: e("NA01"),
            item: "GLUE-500".parse().unwrap(),
            site: None,
            cost: "4.00 USD".parse().unwrap(),
        }],
        ..ValuationConfig::default()
    });
    let p = posted(&mut v, &opening(1, 1, "ORD", "GLUE-500", "100 EA", "4.00 USD"));
    assert_eq!(amount(&p, PostingKey::Inventory), d("400.00"));
    assert_eq!(amount(&p, PostingKey::PriceVariance), Decimal::ZERO);
    assert_eq!(amount(&p, PostingKey::OpeningBalance), d("-400.00"));
}

/// Standard cost: a receipt above standard books purchase price variance; a standard
/// change revalues what is on hand (Horngren, Datar & Rajan, *Cost Accounting*, "direct
/// materials price variance", recorded at purchase).
#[test]
fn standard_cost_variance_and_revaluation() {
    let config = ValuationConfig {
        methods: vec![MethodOverride {
            entity: e("NA01"),
            item: "GLUE-500".parse().unwrap(),
            method: Method::Standard,
        }],
        standards: vec![Standard {
            entity: e("NA01"),
            item: "GLUE-500".parse().unwrap(),
            site: None,
            cost: "4.00 USD".parse().unwrap(),
        }],
        ..ValuationConfig::default()
    };
    let mut v = engine(config);
    let p = posted(&mut v, &receipt(1, "ORD", "GLUE-500", "100 EA", "4.25 USD"));
    assert_eq!(amount(&p, PostingKey::Inventory), d("400.00"));
    assert_eq!(amount(&p, PostingKey::PriceVariance), d("25.00"));
    assert_eq!(amount(&p, PostingKey::GoodsReceived), d("-425.00"));
    let change = CostEvent {
        id: 2,
        at: at(2),
        body: CostBody::StandardCost {
            entity: e("NA01"),
            item: "GLUE-500".parse().unwrap(),
            site: None,
            cost: "4.10 USD".parse().unwrap(),
        },
    };
    let p = posted(&mut v, &change);
    assert_eq!(amount(&p, PostingKey::Revaluation), d("-10.00"));
    let p = posted(&mut v, &issue(3, "ORD", "GLUE-500", "30 EA", IssueTo::Sale));
    assert_eq!(amount(&p, PostingKey::CostOfSales), d("123.00"));
    assert_eq!(v.inventory_value(&e("NA01")), d("287.00"));
    // A standard for an item not valued at standard is refused.
    let wrong = CostEvent {
        id: 4,
        at: at(4),
        body: CostBody::StandardCost {
            entity: e("NA01"),
            item: "BOLT-M8".parse().unwrap(),
            site: None,
            cost: "1.00 USD".parse().unwrap(),
        },
    };
    assert_eq!(v.apply(&wrong).unwrap_err().code(), "not_standard");
}

#[test]
fn negative_stock_is_refused_or_trued_up_by_policy() {
    let mut v = engine(ValuationConfig::default());
    posted(&mut v, &receipt(1, "ATL", "NUT-M8", "50 EA", "0.20 USD"));
    let before = v.pools();
    let err = v.apply(&issue(2, "ATL", "NUT-M8", "80 EA", IssueTo::Sale)).unwrap_err();
    assert!(matches!(err, ValuationError::Insufficient { .. }), "{err}");
    assert_eq!(v.pools(), before);

    let mut config = ValuationConfig::default();
    config.negative_stock.insert(e("NA01"), NegativeCostPolicy::LastCost);
    let mut v = engine(config);
    posted(&mut v, &receipt(1, "ATL", "NUT-M8", "50 EA", "0.20 USD"));
    // 30 issued without stock at the last cost, 0.20.
    let p = posted(&mut v, &issue(2, "ATL", "NUT-M8", "80 EA", IssueTo::Sale));
    assert_eq!(amount(&p, PostingKey::CostOfSales), d("16.00"));
    // The next receipt costs 0.25: the 30 cost 1.50 more than they were issued at.
    let p = posted(&mut v, &receipt(3, "ATL", "NUT-M8", "100 EA", "0.25 USD"));
    let trueup: Vec<_> = p.iter().filter(|x| x.kind == PostingKind::TrueUp).collect();
    assert_eq!(trueup.len(), 2);
    assert_eq!(amount(&p, PostingKey::CostOfSales), d("1.50"));
    let pool = v.pool(&e("NA01"), &"NUT-M8".parse().unwrap(), None).unwrap();
    assert_eq!((pool.qty, pool.value), (d("70"), d("17.50")));
}

#[test]
fn landed_cost_splits_between_stock_and_cost_of_sales() {
    let mut v = engine(ValuationConfig::default());
    posted(&mut v, &receipt(1, "DFW", "GLUE-500", "40 EA", "5.00 USD"));
    posted(&mut v, &issue(2, "DFW", "GLUE-500", "10 EA", IssueTo::Sale));
    let freight = CostEvent {
        id: 3,
        at: at(3),
        body: CostBody::LandedCost { receipt: 1, amount: "20.00 USD".parse().unwrap() },
    };
    let p = posted(&mut v, &freight);
    assert_eq!(amount(&p, PostingKey::Inventory), d("15.00"));
    assert_eq!(amount(&p, PostingKey::CostOfSales), d("5.00"));
    assert_eq!(amount(&p, PostingKey::LandedCost), d("-20.00"));
    assert_eq!(v.inventory_value(&e("NA01")), d("165.00"));
    let unknown = CostEvent {
        id: 4,
        at: at(4),
        body: CostBody::LandedCost { receipt: 99, amount: "1.00 USD".parse().unwrap() },
    };
    assert_eq!(v.apply(&unknown).unwrap_err().code(), "unknown_receipt");
}

#[test]
fn a_return_comes_back_at_the_cost_it_left_with() {
    let mut v = engine(ValuationConfig::default());
    posted(&mut v, &receipt(1, "ATL", "BOLT-M8", "100 EA", "0.10 USD"));
    posted(&mut v, &issue(2, "ATL", "BOLT-M8", "60 EA", IssueTo::Sale));
    posted(&mut v, &receipt(3, "ATL", "BOLT-M8", "100 EA", "0.16 USD"));
    let ret = CostEvent {
        id: 4,
        at: at(4),
        body: CostBody::CustomerReturn {
            site: "ATL".parse().unwrap(),
            item: "BOLT-M8".parse().unwrap(),
            qty: "15 EA".parse().unwrap(),
            original: Some(2),
            unit_cost: None,
            owner: None,
        },
    };
    let p = posted(&mut v, &ret);
    assert_eq!(amount(&p, PostingKey::Inventory), d("1.50"));
    assert_eq!(amount(&p, PostingKey::CostOfSales), d("-1.50"));
}

/// A receipt posted late, effective before a sale already costed: the sale is re-costed
/// from the nearest snapshot and the difference posted as a correction.
#[test]
fn a_back_dated_receipt_corrects_the_later_sale() {
    let mut v = engine(ValuationConfig::default());
    posted(&mut v, &receipt(1, "ATL", "BOLT-M8", "100 EA", "0.10 USD"));
    posted(&mut v, &receipt(5, "ATL", "BOLT-M8", "100 EA", "0.20 USD"));
    let p = posted(&mut v, &issue(6, "ATL", "BOLT-M8", "150 EA", IssueTo::Sale));
    assert_eq!(amount(&p, PostingKey::CostOfSales), d("20.00"));
    // Effective at hour 3: 50 more at 0.10, before the sale took the 0.20 layer.
    let mut late = receipt(7, "ATL", "BOLT-M8", "50 EA", "0.10 USD");
    late.at = at(3);
    let p = posted(&mut v, &late);
    let corrections: Vec<_> = p.iter().filter(|x| x.kind == PostingKind::Correction).collect();
    assert_eq!(corrections.len(), 2, "{p:#?}");
    assert_eq!(
        amount(&corrections.into_iter().cloned().collect::<Vec<_>>(), PostingKey::CostOfSales),
        d("-5.00")
    );
    // The sale now took 150 at 0.10; 100 at 0.20 remain.
    let pool = v.pool(&e("NA01"), &"BOLT-M8".parse().unwrap(), None).unwrap();
    assert_eq!((pool.qty, pool.value), (d("100"), d("20.00")));
    // A back-dated issue that would leave a later sale short is refused.
    let mut early = issue(8, "ATL", "BOLT-M8", "110 EA", IssueTo::Scrap);
    early.at = at(4);
    let before = v.pools();
    let err = v.apply(&early).unwrap_err();
    assert_eq!(err.code(), "back_dated_shortage", "{err}");
    assert_eq!(v.pools(), before);
}

#[test]
fn a_transfer_inside_an_entity_moves_cost_through_in_transit() {
    let mut config = ValuationConfig::default();
    config.per_site.insert(e("NA01"));
    let mut v = engine(config);
    posted(&mut v, &receipt(1, "ORD", "NUT-M8", "1000 EA", "0.05 USD"));
    let ship = CostEvent {
        id: 2,
        at: at(2),
        body: CostBody::TransferShip {
            transfer: "TO-1".parse().unwrap(),
            from: "ORD".parse().unwrap(),
            to: "ATL".parse().unwrap(),
            item: "NUT-M8".parse().unwrap(),
            qty: "400 EA".parse().unwrap(),
            rates: vec![],
        },
    };
    let p = posted(&mut v, &ship);
    assert_eq!(amount(&p, PostingKey::InTransit), d("20.00"));
    assert_eq!(v.in_transit_value(&e("NA01")), d("20.00"));
    let part = CostEvent {
        id: 3,
        at: at(3),
        body: CostBody::TransferReceipt {
            transfer: "TO-1".parse().unwrap(),
            qty: "390 EA".parse().unwrap(),
            rates: vec![],
        },
    };
    posted(&mut v, &part);
    let atl =
        v.pool(&e("NA01"), &"NUT-M8".parse().unwrap(), Some(&"ATL".parse().unwrap())).unwrap();
    assert_eq!((atl.qty, atl.value), (d("390"), d("19.50")));
    // Ten never arrive: closing writes them off.
    let close = CostEvent {
        id: 4,
        at: at(4),
        body: CostBody::TransferClose { transfer: "TO-1".parse().unwrap() },
    };
    let p = posted(&mut v, &close);
    assert_eq!(amount(&p, PostingKey::Adjustment), d("0.50"));
    assert_eq!(v.in_transit_value(&e("NA01")), Decimal::ZERO);
    let again = CostEvent {
        id: 5,
        at: at(5),
        body: CostBody::TransferReceipt {
            transfer: "TO-1".parse().unwrap(),
            qty: "1 EA".parse().unwrap(),
            rates: vec![],
        },
    };
    assert_eq!(v.apply(&again).unwrap_err().code(), "transfer_closed");
}

fn cost_plus(title: TitlePoint) -> ValuationConfig {
    ValuationConfig {
        agreements: vec![Agreement {
            seller: e("NA01"),
            buyer: e("CA01"),
            price: PriceRule::CostPlus { markup: d("0.25") },
            currency: "USD".parse().unwrap(),
            title,
        }],
        ..ValuationConfig::default()
    }
}

fn rates() -> Vec<Rate> {
    vec![Rate { from: "USD".parse().unwrap(), to: "CAD".parse().unwrap(), rate: d("1.35") }]
}

/// A cost-plus intercompany sale and its unrealized profit (Beams, Anthony, Bettinghaus
/// and Smith, *Advanced Accounting*, "Intercompany profit transactions — inventories":
/// goods costing 8,000 sold to an affiliate at 10,000 (25% on cost), 40% still held at
/// year end: eliminate sales 10,000 against cost of sales, and 800 of unrealized profit
/// from inventory; the next year the 800 is realized through retained earnings).
#[test]
fn cost_plus_intercompany_sale_and_unrealized_profit_elimination() {
    // Same currency both sides here, to match the textbook figures: buyer CA01 keeps CAD,
    // so price in USD and a rate of 1 would still be a conversion; use the per-entity
    // figures and check the elimination in USD with CAD at 1/1.35.
    let mut v = engine(cost_plus(TitlePoint::Shipment));
    posted(&mut v, &receipt(1, "ORD", "DRILL-18V", "100 EA", "80.00 USD"));
    let ship = CostEvent {
        id: 2,
        at: at(2),
        body: CostBody::TransferShip {
            transfer: "IC-7".parse().unwrap(),
            from: "ORD".parse().unwrap(),
            to: "YYZ".parse().unwrap(),
            item: "DRILL-18V".parse().unwrap(),
            qty: "100 EA".parse().unwrap(),
            rates: rates(),
        },
    };
    let out = v.apply(&ship).unwrap();
    let Outcome::Posted { postings: p, documents, .. } = out else { panic!() };
    assert!(unbalanced(&p).is_empty());
    // Seller: receivable / revenue 10,000 USD; cost of sales / inventory 8,000.
    let by = |ent: &str, key| {
        p.iter()
            .filter(|x| x.entity.as_str() == ent && x.key == key)
            .map(|x| x.amount)
            .sum::<Decimal>()
    };
    assert_eq!(by("NA01", PostingKey::IcRevenue), d("-10000.00"));
    assert_eq!(by("NA01", PostingKey::CostOfSales), d("8000.00"));
    // Buyer (title at shipment): goods in transit / payable at 13,500 CAD.
    assert_eq!(by("CA01", PostingKey::InTransit), d("13500.00"));
    assert_eq!(by("CA01", PostingKey::IcPayable), d("-13500.00"));
    let kinds: Vec<&str> = documents.iter().map(|x| x.number.as_str()).collect();
    assert_eq!(kinds, ["ICSO-IC-7", "ICPO-IC-7", "SHP-IC-7", "INV-IC-7-1"]);
    // Profit embedded in the buyer's goods: 13,500 − 8,000 x 1.35 = 2,700 CAD.
    assert_eq!(v.unrealized_profit(&e("CA01")), d("2700.00"));
    let arrive = CostEvent {
        id: 3,
        at: at(3),
        body: CostBody::TransferReceipt {
            transfer: "IC-7".parse().unwrap(),
            qty: "100 EA".parse().unwrap(),
            rates: vec![],
        },
    };
    posted(&mut v, &arrive);
    // 60% sold to customers outside the group.
    posted(&mut v, &issue(4, "YYZ", "DRILL-18V", "60 EA", IssueTo::Sale));
    assert_eq!(v.unrealized_profit(&e("CA01")), d("1080.00"));

    // Consolidate in USD (CAD at 1/1.35 = 0.740740..., given as the caller's rate).
    let to_usd = vec![Rate {
        from: "CAD".parse().unwrap(),
        to: "USD".parse().unwrap(),
        rate: d("1") / d("1.35"),
    }];
    let group = e("NA01");
    let c = v.consolidate(100, &group, "USD".parse().unwrap(), &to_usd).unwrap();
    assert!(unbalanced(&c.postings).is_empty());
    assert_eq!(c.revenue.get(&(e("NA01"), e("CA01"))), Some(&d("10000.00")));
    let u = c.buyers.get(&e("CA01")).unwrap();
    // 40 units x 20 USD of profit each = 800 USD still held.
    assert_eq!((u.opening, u.closing), (d("0"), d("800.00")));
    assert_eq!(u.realized, d("1200.00"));
    let inv: Decimal =
        c.postings.iter().filter(|x| x.key == PostingKey::Inventory).map(|x| x.amount).sum();
    assert_eq!(inv, d("-800.00"));
    // Next period: the rest is sold; the 800 is realized through retained earnings.
    posted(&mut v, &issue(5, "YYZ", "DRILL-18V", "40 EA", IssueTo::Sale));
    let c = v.consolidate(101, &group, "USD".parse().unwrap(), &to_usd).unwrap();
    let u = c.buyers.get(&e("CA01")).unwrap();
    assert_eq!((u.opening, u.closing, u.realized), (d("800.00"), d("0.00"), d("800.00")));
    let re: Decimal =
        c.postings.iter().filter(|x| x.key == PostingKey::RetainedEarnings).map(|x| x.amount).sum();
    assert_eq!(re, d("800.00"));
    assert!(c.revenue.is_empty());
}

/// A margin on the price rather than a markup on cost: a 30% gross margin needs no 3/7
/// markup. Worked by hand: 100 drills at 70.00 USD cost 7,000; a 30% margin on the price
/// sells them at 7,000 / 0.7 = 10,000 USD (revenue 10,000, cost of sales 7,000, margin
/// 3,000 = 30% of 10,000); the buyer books 10,000 x 1.35 = 13,500 CAD. A 20% margin is
/// a 25% markup: 7,000 / 0.8 = 8,750 = 7,000 x 1.25.
#[test]
fn cost_plus_a_margin_on_the_price() {
    let margin = |m: &str| ValuationConfig {
        agreements: vec![Agreement {
            seller: e("NA01"),
            buyer: e("CA01"),
            price: PriceRule::CostPlusMargin { margin: d(m) },
            currency: "USD".parse().unwrap(),
            title: TitlePoint::Shipment,
        }],
        ..ValuationConfig::default()
    };
    let ship = CostEvent {
        id: 2,
        at: at(2),
        body: CostBody::TransferShip {
            transfer: "IC-9".parse().unwrap(),
            from: "ORD".parse().unwrap(),
            to: "YYZ".parse().unwrap(),
            item: "DRILL-18V".parse().unwrap(),
            qty: "100 EA".parse().unwrap(),
            rates: rates(),
        },
    };
    let sum = |p: &[onhand_valuation::Posting], ent: &str, key| {
        p.iter()
            .filter(|x| x.entity.as_str() == ent && x.key == key)
            .map(|x| x.amount)
            .sum::<Decimal>()
    };
    let mut v = engine(margin("0.3"));
    posted(&mut v, &receipt(1, "ORD", "DRILL-18V", "100 EA", "70.00 USD"));
    let p = posted(&mut v, &ship);
    assert!(unbalanced(&p).is_empty());
    assert_eq!(sum(&p, "NA01", PostingKey::IcRevenue), d("-10000.00"));
    assert_eq!(sum(&p, "NA01", PostingKey::CostOfSales), d("7000.00"));
    assert_eq!(sum(&p, "CA01", PostingKey::InTransit), d("13500.00"));
    // 20% margin on the price = 25% markup on cost.
    let mut by_margin = engine(margin("0.2"));
    posted(&mut by_margin, &receipt(1, "ORD", "DRILL-18V", "100 EA", "70.00 USD"));
    let mut by_markup = margin("0.2");
    by_markup.agreements[0].price = PriceRule::CostPlus { markup: d("0.25") };
    let mut by_markup = engine(by_markup);
    posted(&mut by_markup, &receipt(1, "ORD", "DRILL-18V", "100 EA", "70.00 USD"));
    let (a, b) = (posted(&mut by_margin, &ship), posted(&mut by_markup, &ship));
    assert_eq!(sum(&a, "NA01", PostingKey::IcRevenue), d("-8750.00"));
    assert_eq!(a, b);
    // A margin of 1 or more (or below 0) cannot price anything.
    for bad in ["1", "1.5", "-0.1"] {
        let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
        let config = margin(bad);
        let (seller, buyer) =
            (config.agreements[0].seller.clone(), config.agreements[0].buyer.clone());
        let err = Valuation::new(catalog, config).unwrap_err();
        assert_eq!(err.code(), "config", "{bad}");
        assert_eq!(
            err.to_string(),
            format!(
                "invalid configuration: margin {bad} in the {seller} -> {buyer} agreement must be at least 0 and below 1"
            )
        );
        let expected =
            onhand_valuation::ConfigProblem::MarginOutOfRange { seller, buyer, margin: d(bad) };
        assert_eq!(err, onhand_valuation::ValuationError::Config(expected));
    }
}

#[test]
fn title_at_receipt_keeps_the_goods_on_the_sellers_books_until_they_arrive() {
    let mut v = engine(cost_plus(TitlePoint::Receipt));
    posted(&mut v, &receipt(1, "ORD", "DRILL-18V", "10 EA", "80.00 USD"));
    let ship = CostEvent {
        id: 2,
        at: at(2),
        body: CostBody::TransferShip {
            transfer: "IC-8".parse().unwrap(),
            from: "ORD".parse().unwrap(),
            to: "YYZ".parse().unwrap(),
            item: "DRILL-18V".parse().unwrap(),
            qty: "10 EA".parse().unwrap(),
            rates: vec![],
        },
    };
    let p = posted(&mut v, &ship);
    assert!(p.iter().all(|x| x.entity.as_str() == "NA01"));
    assert_eq!(v.in_transit_value(&e("NA01")), d("800.00"));
    assert!(v.receivables().is_empty());
    // A receipt in CAD needs the rate.
    let no_rate = CostEvent {
        id: 3,
        at: at(3),
        body: CostBody::TransferReceipt {
            transfer: "IC-8".parse().unwrap(),
            qty: "4 EA".parse().unwrap(),
            rates: vec![],
        },
    };
    assert_eq!(v.apply(&no_rate).unwrap_err().code(), "missing_rate");
    let part = CostEvent {
        id: 3,
        at: at(3),
        body: CostBody::TransferReceipt {
            transfer: "IC-8".parse().unwrap(),
            qty: "4 EA".parse().unwrap(),
            rates: rates(),
        },
    };
    let p = posted(&mut v, &part);
    let na: Vec<_> = p.iter().filter(|x| x.entity.as_str() == "NA01").cloned().collect();
    assert_eq!(amount(&na, PostingKey::IcRevenue), d("-400.00"));
    assert_eq!(amount(&na, PostingKey::CostOfSales), d("320.00"));
    let ca: Vec<_> = p.iter().filter(|x| x.entity.as_str() == "CA01").cloned().collect();
    assert_eq!(amount(&ca, PostingKey::Inventory), d("540.00"));
    assert_eq!(v.in_transit_value(&e("NA01")), d("480.00"));
    assert_eq!(v.receivables().len(), 1);
    assert_eq!(v.receivables()[0].document, "INV-IC-8-1");
    // Reconciliation: all matched; the second invoice is not yet issued.
    let r = reconcile(v.receivables(), v.payables(), &v.open_transfers());
    assert_eq!((r.matched, r.differences.len()), (1, 0));
}

#[test]
fn reconciliation_classifies_each_difference() {
    let mut v = engine(cost_plus(TitlePoint::Shipment));
    posted(&mut v, &receipt(1, "ORD", "DRILL-18V", "100 EA", "80.00 USD"));
    for (id, t, qty) in
        [(2, "IC-1", "10 EA"), (3, "IC-2", "10 EA"), (4, "IC-3", "10 EA"), (5, "IC-4", "10 EA")]
    {
        let ship = CostEvent {
            id,
            at: at(i64::try_from(id).unwrap()),
            body: CostBody::TransferShip {
                transfer: t.parse().unwrap(),
                from: "ORD".parse().unwrap(),
                to: "YYZ".parse().unwrap(),
                item: "DRILL-18V".parse().unwrap(),
                qty: qty.parse().unwrap(),
                rates: rates(),
            },
        };
        posted(&mut v, &ship);
    }
    // The buyer's own books: IC-1 as issued, IC-2 at another price, IC-3 with 9 units,
    // IC-4 translated at another rate; and an invoice the seller never issued.
    let mut payables = v.payables().to_vec();
    payables[1].amount = "950.00 USD".parse().unwrap();
    payables[2].qty = d("9");
    payables[3].rate = d("1.30");
    payables[3].functional = "1300.00 CAD".parse().unwrap();
    let mut stray = payables[0].clone();
    stray.document = "INV-X-1".into();
    payables.push(stray);
    let r = reconcile(v.receivables(), &payables, &BTreeSet::new());
    assert_eq!(r.matched, 1);
    let classes: Vec<Mismatch> = r.differences.iter().map(|x| x.mismatch).collect();
    assert_eq!(
        classes,
        [Mismatch::Price, Mismatch::Quantity, Mismatch::ExchangeRate, Mismatch::MissingDocument]
    );
    // A receivable whose payable is not booked yet while the goods travel: in transit.
    let r = reconcile(v.receivables(), &v.payables()[..3], &v.open_transfers());
    assert_eq!(r.differences.iter().map(|x| x.mismatch).collect::<Vec<_>>(), [Mismatch::InTransit]);
}

#[test]
fn postings_land_on_each_entitys_accounts() {
    let mut config = ValuationConfig::default();
    config.accounts.set(Some(e("CA01")), PostingKey::Inventory, "14000".parse().unwrap());
    let mut v = engine(config);
    let p = posted(&mut v, &receipt(1, "YYZ", "NUT-M8", "10 EA", "0.07 CAD"));
    let inv = p.iter().find(|x| x.key == PostingKey::Inventory).unwrap();
    assert_eq!((inv.account.as_str(), inv.currency.as_str()), ("14000", "CAD"));
    let wrong = receipt(2, "YYZ", "NUT-M8", "10 EA", "0.07 USD");
    assert_eq!(v.apply(&wrong).unwrap_err().code(), "currency");
}

#[test]
fn events_are_idempotent_and_closed_periods_refuse_them() {
    let mut v = engine(ValuationConfig::default());
    let r = receipt(1, "ATL", "BOLT-M8", "10 EA", "0.10 USD");
    posted(&mut v, &r);
    assert_eq!(v.apply(&r).unwrap(), Outcome::Duplicate);
    let mut other = receipt(1, "ATL", "BOLT-M8", "11 EA", "0.10 USD");
    other.at = r.at;
    assert_eq!(v.apply(&other).unwrap_err().code(), "id_reused");
    v.close_period(at(10)).unwrap();
    let old = receipt(5, "ATL", "BOLT-M8", "1 EA", "0.10 USD");
    assert_eq!(v.apply(&old).unwrap_err().code(), "period_closed");
    assert_eq!(v.close_period(at(9)).unwrap_err().code(), "close_not_forward");
    posted(&mut v, &receipt(11, "ATL", "BOLT-M8", "1 EA", "0.10 USD"));
    let totals = balances(&[], PostingKey::Inventory);
    assert!(totals.is_empty());
}
