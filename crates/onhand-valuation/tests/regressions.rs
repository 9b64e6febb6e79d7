//! Regression tests: engine bugs found by the property tests (`tests/properties.rs`),
//! the `valuation` fuzz target (`fuzz/fuzz_targets/valuation.rs`) and reading the code,
//! each minimised to a plain test of what the engine should do, named after the bug.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::sync::Arc;

use onhand_master::{Catalog, Decimal, EntityCode, seed};
use onhand_valuation::{
    Agreement, CostBody, CostEvent, IssueTo, Method, MethodOverride, NegativeCostPolicy, Posting,
    PostingKey, PriceRule, Rate, Standard, TitlePoint, Valuation, ValuationConfig, balances,
};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn na01() -> EntityCode {
    "NA01".parse().unwrap()
}

fn engine(config: ValuationConfig) -> Valuation {
    let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
    Valuation::new(catalog, config).unwrap()
}

fn ev(id: u64, body: CostBody) -> CostEvent {
    let at = chrono::DateTime::from_timestamp(1_767_600_000 + i64::try_from(id).unwrap() * 3600, 0)
        .unwrap();
    CostEvent { id, at, body }
}

fn receipt(site: &str, item: &str, qty: &str, unit_cost: &str) -> CostBody {
    CostBody::Receipt {
        site: site.parse().unwrap(),
        item: item.parse().unwrap(),
        qty: qty.parse().unwrap(),
        unit_cost: unit_cost.parse().unwrap(),
        owner: None,
    }
}

fn issue(site: &str, item: &str, qty: &str, to: IssueTo) -> CostBody {
    CostBody::Issue {
        site: site.parse().unwrap(),
        item: item.parse().unwrap(),
        qty: qty.parse().unwrap(),
        to,
        owner: None,
    }
}

fn ship(transfer: &str, from: &str, to: &str, item: &str, qty: &str, rates: Vec<Rate>) -> CostBody {
    CostBody::TransferShip {
        transfer: transfer.parse().unwrap(),
        from: from.parse().unwrap(),
        to: to.parse().unwrap(),
        item: item.parse().unwrap(),
        qty: qty.parse().unwrap(),
        rates,
    }
}

/// Applies `bodies` as events 1, 2, …, each of which must be accepted; all postings.
fn run(v: &mut Valuation, bodies: Vec<CostBody>) -> Vec<Posting> {
    let mut all = Vec::new();
    for (n, body) in bodies.into_iter().enumerate() {
        let e = ev(n as u64 + 1, body);
        let out = v.apply(&e).unwrap_or_else(|err| panic!("event {e:?} refused: {err}"));
        all.extend_from_slice(out.postings());
    }
    all
}

fn last_cost(entity: &str) -> ValuationConfig {
    let mut c = ValuationConfig::default();
    c.negative_stock.insert(entity.parse().unwrap(), NegativeCostPolicy::LastCost);
    c
}

/// A landed cost is money "kept exactly as given"; one with more decimals than the
/// currency has goes unrounded into the FIFO layer and onto the postings, so amounts
/// leave the currency's scale (and pool values stop being whole cents).
///
/// Property: "each posting amount has the currency's scale" (`left: 3, right: 2` for
/// `Posting { key: Inventory, amount: 0.015, currency: USD, .. }`). Fixed: refused.
#[test]
fn sub_cent_landed_cost_posts_unrounded_amounts() {
    let mut v = engine(ValuationConfig::default());
    run(&mut v, vec![receipt("ATL", "BOLT-M8", "1 EA", "0.001 USD")]);
    let landed = ev(2, CostBody::LandedCost { receipt: 1, amount: "0.015 USD".parse().unwrap() });
    // Refusing it is as good as rounding it.
    if let Ok(out) = v.apply(&landed) {
        for p in out.postings() {
            assert_eq!(p.amount.scale(), 2, "{p:?}");
        }
        let pool = v.pool(&na01(), &"BOLT-M8".parse().unwrap(), None).unwrap();
        for l in &pool.layers {
            assert!(l.value.scale() <= 2, "layer {l:?}");
        }
    }
}

/// Money given with trailing zeros beyond the currency's minor units (a landed cost of
/// `0.110 CAD`) is a whole number of cents, so it is accepted, but it went onto the
/// postings as written, at three decimals.
///
/// Found by the `valuation` fuzz target: "each posting amount has the currency's scale"
/// (`left: 3, right: 2` for `Posting { key: Inventory, amount: 0.110, currency: CAD, ..
/// }`). Fixed: posting amounts are written at the currency's scale.
#[test]
fn trailing_zeros_beyond_the_minor_units_reach_the_postings() {
    let mut v = engine(ValuationConfig::default());
    run(&mut v, vec![receipt("YYZ", "NUT-M8", "10 EA", "0.25 CAD")]);
    let landed = ev(2, CostBody::LandedCost { receipt: 1, amount: "0.110 CAD".parse().unwrap() });
    let out = v.apply(&landed).unwrap();
    assert_eq!(out.postings().len(), 2);
    for p in out.postings() {
        assert_eq!(p.amount.scale(), 2, "{p:?}");
        assert_eq!(p.amount.abs(), d("0.11"), "{p:?}");
    }
}

/// A shortfall issued by a transfer shipment (negative stock at the last cost) is trued
/// up by the next receipt against the slot's "short key", which for a transfer is
/// `InTransit`; but no transfer's value changes, so the in-transit account drifts from
/// what the transfers are worth. (Also reached through a back-dated event: the
/// correction of a receipt's true-up posts to the same key.)
///
/// Property: "the cumulative `InTransit` balance equals `in_transit_value(entity)`"
/// (`left: 3.00, right: 2.00` here). Fixed: a transfer shipment no longer goes short.
#[test]
fn shortfall_true_up_of_a_transfer_posts_to_in_transit() {
    let mut v = engine(last_cost("NA01"));
    let mut postings = run(&mut v, vec![receipt("ATL", "BOLT-M8", "1 EA", "1.00 USD")]);
    // One EA held, two shipped: one goes short at 1.00 (or, as good, the shipment is
    // refused: transfers never go short).
    let Ok(out) = v.apply(&ev(2, ship("T1", "ATL", "DFW", "BOLT-M8", "2 EA", vec![]))) else {
        return;
    };
    postings.extend_from_slice(out.postings());
    // Covers the shortfall at 2.00: a 1.00 true-up.
    let out = v.apply(&ev(3, receipt("ATL", "BOLT-M8", "10 EA", "2.00 USD"))).unwrap();
    postings.extend_from_slice(out.postings());
    let booked = balances(&postings, PostingKey::InTransit).get(&na01()).copied();
    assert_eq!(booked.unwrap_or_default(), v.in_transit_value(&na01()));
}

/// Intercompany profit received into a standard-cost pool that is short (negative
/// quantity) stays in the pool: FIFO and moving-average pools drop the profit of the
/// units that cover a shortfall ("the covered units are gone already"), standard pools
/// add it all. The buyer then shows unrealized profit on stock it does not hold, and
/// consolidation eliminates it.
///
/// Property: "a pool holding nothing (or less) carries no profit"
/// (`(NA01, GLUE-500, None) holds 0 but carries profit 1.67`). Fixed.
#[test]
fn standard_pool_keeps_profit_received_into_negative_stock() {
    let glue = "GLUE-500".parse().unwrap();
    let mut c = last_cost("NA01");
    c.methods.push(MethodOverride { entity: na01(), item: glue, method: Method::Standard });
    c.standards.push(Standard {
        entity: na01(),
        item: "GLUE-500".parse().unwrap(),
        site: None,
        cost: "7.00 USD".parse().unwrap(),
    });
    c.agreements.push(Agreement {
        seller: "CA01".parse().unwrap(),
        buyer: na01(),
        price: PriceRule::CostPlus { markup: d("0.25") },
        currency: "CAD".parse().unwrap(),
        title: TitlePoint::Shipment,
    });
    let mut v = engine(c);
    let cad_usd =
        Rate { from: "CAD".parse().unwrap(), to: "USD".parse().unwrap(), rate: d("0.74") };
    run(
        &mut v,
        vec![
            receipt("YYZ", "GLUE-500", "10 EA", "9.00 CAD"),
            // NA01 sells one it does not have: -1 at standard.
            issue("ATL", "GLUE-500", "1 EA", IssueTo::Sale),
            ship("T1", "YYZ", "ATL", "GLUE-500", "1 EA", vec![cad_usd]),
            CostBody::TransferReceipt {
                transfer: "T1".parse().unwrap(),
                qty: "1 EA".parse().unwrap(),
                rates: vec![],
            },
        ],
    );
    let pool = v.pool(&na01(), &"GLUE-500".parse().unwrap(), None).unwrap();
    assert_eq!(pool.qty, Decimal::ZERO);
    assert_eq!(pool.profit, Decimal::ZERO, "{pool:?}");
    assert_eq!(v.unrealized_profit(&na01()), Decimal::ZERO);
}

/// A pool remembers one "short key" — the account of the *last* issue that went short —
/// and trues up the whole open shortfall against it. When several issues to different
/// accounts went short, each one's share of the true-up lands on the last one's account
/// (here the scrap's 5.00 goes to cost of sales), although the policy is documented as
/// "true up the difference against the issue's account". Balanced, so no property
/// catches it; found reading the engine while minimising the in-transit true-up above
/// (write-off 5.00 where 10.00 was due). Fixed.
#[test]
fn shortfall_true_up_goes_to_each_issues_account() {
    let mut v = engine(last_cost("NA01"));
    let postings = run(
        &mut v,
        vec![
            receipt("ATL", "BOLT-M8", "1 EA", "1.00 USD"),
            issue("ATL", "BOLT-M8", "1 EA", IssueTo::Sale),
            // 5 scrapped and 5 sold without stock, at the last cost 1.00.
            issue("ATL", "BOLT-M8", "5 EA", IssueTo::Scrap),
            issue("ATL", "BOLT-M8", "5 EA", IssueTo::Sale),
            // Covered at 2.00: 5.00 more write-off, 5.00 more cost of sales.
            receipt("ATL", "BOLT-M8", "10 EA", "2.00 USD"),
        ],
    );
    let write_off = balances(&postings, PostingKey::WriteOff).get(&na01()).copied();
    let cogs = balances(&postings, PostingKey::CostOfSales).get(&na01()).copied();
    assert_eq!(write_off, Some(d("10.00")), "scrap: 5 at 1.00 and 5.00 trued up");
    assert_eq!(cogs, Some(d("11.00")), "sales: 1.00 + 5 at 1.00 and 5.00 trued up");
}

/// For an entity valued per site, a standard cost event without a site is accepted but
/// reaches no pool that movements use: it creates a site-less pool of its own, and the
/// next receipt at a site still values at the configured standard (none: zero), so 10
/// units go in at 0.00 with 60.00 price variance. It should either be refused (per-site
/// entities name the site) or apply to the entity's site pools. Fixed: refused
/// (`SiteRequired`).
#[test]
fn site_less_standard_cost_of_a_per_site_entity() {
    let mut c = ValuationConfig::default();
    c.per_site.insert(na01());
    c.methods.push(MethodOverride {
        entity: na01(),
        item: "GLUE-500".parse().unwrap(),
        method: Method::Standard,
    });
    let mut v = engine(c);
    let standard = ev(
        1,
        CostBody::StandardCost {
            entity: na01(),
            item: "GLUE-500".parse().unwrap(),
            site: None,
            cost: "5.00 USD".parse().unwrap(),
        },
    );
    if v.apply(&standard).is_err() {
        return; // refused: fine
    }
    v.apply(&ev(2, receipt("ATL", "GLUE-500", "10 EA", "6.00 USD"))).unwrap();
    let atl = "ATL".parse().unwrap();
    let pool = v.pool(&na01(), &"GLUE-500".parse().unwrap(), Some(&atl)).unwrap();
    assert_eq!(pool.value, d("50.00"), "{pool:?}");
    assert!(v.pools().iter().all(|p| p.site.is_some()), "a site-less pool: {:?}", v.pools());
}

/// Amounts are accepted however large, up to the decimal range: a receipt worth
/// 3.2e28 USD is booked with no cents at all (`at_scale` cannot rescale a 29-digit
/// amount), and from there sums of postings are no longer exact, so the books stop
/// matching the pools: found by the `valuation` fuzz target as
/// `NA01: inventory postings vs pools` with `left: -1, right: -0.90` (the running
/// balance -1.90 + 3.2e28 rounds away the 0.10). Amounts that cannot be carried at the
/// currency's minor units should be refused (`ValuationError::Overflow`).
#[test]
fn amounts_beyond_the_currency_scale_are_refused() {
    let mut v = engine(last_cost("NA01"));
    let mut postings = run(
        &mut v,
        vec![
            receipt("ATL", "BOLT-M8", "100 EA", "0.10 USD"),
            issue("ATL", "BOLT-M8", "119 EA", IssueTo::Sale),
        ],
    );
    let huge = ev(3, receipt("ATL", "BOLT-M8", "10 EA", "3211375736600880154358579200 USD"));
    if let Ok(out) = v.apply(&huge) {
        for p in out.postings() {
            assert_eq!(p.amount.scale(), 2, "{p:?}");
        }
        postings.extend_from_slice(out.postings());
        let booked = balances(&postings, PostingKey::Inventory).get(&na01()).copied();
        assert_eq!(booked.unwrap_or_default(), v.inventory_value(&na01()));
    }
}

fn cost_of_sales(postings: &[Posting]) -> Decimal {
    balances(postings, PostingKey::CostOfSales).get(&na01()).copied().unwrap_or_default()
}

fn inventory(postings: &[Posting]) -> Decimal {
    balances(postings, PostingKey::Inventory).get(&na01()).copied().unwrap_or_default()
}

/// Issue 12: on a last-cost negative-stock policy, a receipt of 10 covered a shortfall of
/// 5; the layer recorded `received` as the 5 left after the cover, and a landed cost of
/// 20.00 against the receipt compared with that, so all 20.00 went to inventory and the
/// 5 units left carried 70.00. Half the receipt's units were already sold: 10.00 belongs
/// to inventory and 10.00 to cost of sales.
#[test]
fn landed_cost_after_a_shortfall_cover_is_over_capitalized() {
    let mut v = engine(last_cost("NA01"));
    run(
        &mut v,
        vec![
            receipt("ATL", "BOLT-M8", "1 EA", "10.00 USD"),
            issue("ATL", "BOLT-M8", "1 EA", IssueTo::Sale),
            issue("ATL", "BOLT-M8", "5 EA", IssueTo::Sale),
            receipt("ATL", "BOLT-M8", "10 EA", "10.00 USD"),
        ],
    );
    let landed = ev(5, CostBody::LandedCost { receipt: 4, amount: "20.00 USD".parse().unwrap() });
    let out = v.apply(&landed).unwrap();
    assert_eq!(inventory(out.postings()), d("10.00"), "{:?}", out.postings());
    assert_eq!(cost_of_sales(out.postings()), d("10.00"), "{:?}", out.postings());
    let pool = v.pool(&na01(), &"BOLT-M8".parse().unwrap(), None).unwrap();
    assert_eq!((pool.qty, pool.value), (d("5"), d("60.00")));
}

fn customer_return(site: &str, item: &str, qty: &str, original: u64) -> CostBody {
    CostBody::CustomerReturn {
        site: site.parse().unwrap(),
        item: item.parse().unwrap(),
        qty: qty.parse().unwrap(),
        original: Some(original),
        unit_cost: None,
        owner: None,
    }
}

/// Issue 12: a customer return's `original` was not checked. A return of NUT-M8 at a
/// Canadian site against a USD sale of DRILL-18V booked the sale's value, in dollars,
/// as Canadian dollars into the Canadian NUT-M8 pool. A return names a sale of the same
/// item by the same entity (so in the same currency), or it is refused.
#[test]
fn customer_return_against_a_sale_of_another_item_entity_or_currency_is_accepted() {
    let mut v = engine(ValuationConfig::default());
    run(
        &mut v,
        vec![
            receipt("ATL", "DRILL-18V", "2 EA", "84.00 USD"),
            issue("ATL", "DRILL-18V", "1 EA", IssueTo::Sale),
            receipt("YYZ", "NUT-M8", "10 EA", "0.05 CAD"),
            receipt("ATL", "NUT-M8", "10 EA", "0.04 USD"),
        ],
    );
    let before = v.pools();
    // Another entity, item and currency.
    let err = v.apply(&ev(5, customer_return("YYZ", "NUT-M8", "1 EA", 2))).unwrap_err();
    assert_eq!(err.code(), "return_not_of_sale", "{err}");
    // Same entity, another item.
    let err = v.apply(&ev(6, customer_return("ATL", "NUT-M8", "1 EA", 2))).unwrap_err();
    assert_eq!(err.code(), "return_not_of_sale", "{err}");
    // Same item, another entity (and currency).
    let err = v.apply(&ev(7, customer_return("YYZ", "DRILL-18V", "1 EA", 2))).unwrap_err();
    assert_eq!(err.code(), "return_not_of_sale", "{err}");
    assert_eq!(v.pools(), before, "a refused return changed a pool");
    // The right one (at another site of the same entity) is accepted at the sale's cost.
    let out = v.apply(&ev(8, customer_return("DFW", "DRILL-18V", "1 EA", 2))).unwrap();
    assert_eq!(inventory(out.postings()), d("84.00"));
}

/// Issue 12: returns were not capped at what was sold. Sell 1 at 10.00, return 5
/// against that sale, return 1 more: both were accepted. The returns against a sale add
/// up to at most the sale, and the last unit back takes the last cent of its value.
#[test]
fn returns_beyond_the_sale_are_accepted() {
    let mut v = engine(ValuationConfig::default());
    run(
        &mut v,
        vec![
            receipt("ATL", "BOLT-M8", "3 EA", "10.00 USD"),
            issue("ATL", "BOLT-M8", "1 EA", IssueTo::Sale),
        ],
    );
    let err = v.apply(&ev(3, customer_return("ATL", "BOLT-M8", "5 EA", 2))).unwrap_err();
    assert_eq!(err.code(), "return_exceeds_sale", "{err}");
    v.apply(&ev(4, customer_return("ATL", "BOLT-M8", "1 EA", 2))).unwrap();
    let err = v.apply(&ev(5, customer_return("ATL", "BOLT-M8", "1 EA", 2))).unwrap_err();
    assert_eq!(err.code(), "return_exceeds_sale", "{err}");
    // Thirds of a cent: 1.00 sold as 3 units, returned one by one, gives back 1.00.
    let mut v = engine(ValuationConfig::default());
    let mut postings = run(
        &mut v,
        vec![
            receipt("ATL", "BOLT-M8", "3 EA", "0.3333 USD"),
            issue("ATL", "BOLT-M8", "3 EA", IssueTo::Sale),
        ],
    );
    for id in 3..=5 {
        postings.extend_from_slice(
            v.apply(&ev(id, customer_return("ATL", "BOLT-M8", "1 EA", 2))).unwrap().postings(),
        );
    }
    assert_eq!(cost_of_sales(&postings), Decimal::ZERO, "all of the sale came back");
}

/// Issue 12: an issue's value was missing from the outcome: it could only be read by
/// filtering postings for the cost-of-sales account. `Outcome::issued` gives it, and a
/// pool view its unit cost and open shortfall.
#[test]
fn issue_value_is_missing_from_the_outcome() {
    let mut v = engine(last_cost("NA01"));
    run(
        &mut v,
        vec![
            receipt("ATL", "BOLT-M8", "10 EA", "1.00 USD"),
            receipt("ATL", "BOLT-M8", "10 EA", "2.00 USD"),
        ],
    );
    let out = v.apply(&ev(3, issue("ATL", "BOLT-M8", "15 EA", IssueTo::Sale))).unwrap();
    assert_eq!(out.issued(), Some("20.00 USD".parse().unwrap()));
    assert_eq!(cost_of_sales(out.postings()), d("20.00"));
    let pool = v.pool(&na01(), &"BOLT-M8".parse().unwrap(), None).unwrap();
    assert_eq!(pool.unit_cost, Some(d("2")));
    assert_eq!((pool.shortfall, pool.shortfall_value), (Decimal::ZERO, Decimal::ZERO));
    // 8 more: 5 held at 2.00, 3 short at the last cost 2.00.
    let out = v.apply(&ev(4, issue("ATL", "BOLT-M8", "8 EA", IssueTo::Scrap))).unwrap();
    assert_eq!(out.issued(), Some("16.00 USD".parse().unwrap()));
    let pool = v.pool(&na01(), &"BOLT-M8".parse().unwrap(), None).unwrap();
    assert_eq!((pool.qty, pool.shortfall, pool.shortfall_value), (d("-3"), d("3"), d("6.00")));
    // A receipt issues nothing.
    let out = v.apply(&ev(5, receipt("ATL", "BOLT-M8", "10 EA", "2.00 USD"))).unwrap();
    assert_eq!(out.issued(), None);
}

/// Issue 13: valuation accepted a negative unit cost: a receipt of 10 at -5 USD posted
/// inventory -50.00. Receipts, gains and returns at a cost below zero are refused; a
/// landed cost may be a credit (a freight refund), but not one that leaves the
/// receipt's units worth less than nothing.
#[test]
fn negative_unit_cost_posts_negative_inventory() {
    let mut v = engine(ValuationConfig::default());
    let err = v.apply(&ev(1, receipt("ATL", "BOLT-M8", "10 EA", "-5.00 USD"))).unwrap_err();
    assert_eq!(err.code(), "negative_cost", "{err}");
    run(&mut v, vec![receipt("ATL", "BOLT-M8", "10 EA", "5.00 USD")]);
    let gain = CostBody::Adjustment {
        site: "ATL".parse().unwrap(),
        item: "BOLT-M8".parse().unwrap(),
        delta: "2 EA".parse().unwrap(),
        unit_cost: Some("-1.00 USD".parse().unwrap()),
        owner: None,
    };
    assert_eq!(v.apply(&ev(2, gain)).unwrap_err().code(), "negative_cost");
    let back = CostBody::CustomerReturn {
        site: "ATL".parse().unwrap(),
        item: "BOLT-M8".parse().unwrap(),
        qty: "1 EA".parse().unwrap(),
        original: None,
        unit_cost: Some("-1.00 USD".parse().unwrap()),
        owner: None,
    };
    assert_eq!(v.apply(&ev(3, back)).unwrap_err().code(), "negative_cost");
    // A credit of 20.00 on a receipt worth 50.00 is fine; one of 60.00 is not.
    let credit = |id, amount: &str| {
        ev(id, CostBody::LandedCost { receipt: 1, amount: amount.parse().unwrap() })
    };
    assert_eq!(v.apply(&credit(4, "-60.00 USD")).unwrap_err().code(), "negative_cost");
    v.apply(&credit(5, "-20.00 USD")).unwrap();
    let pool = v.pool(&na01(), &"BOLT-M8".parse().unwrap(), None).unwrap();
    assert_eq!(pool.value, d("30.00"));
    assert!(v.pools().iter().all(|p| p.value >= Decimal::ZERO));
}

/// An agreement's price list read a price written as `2` and a million underscores with
/// `rust_decimal`'s own parser, which recurses once per underscore: the process aborted
/// with a stack overflow, release builds included. Prices read by the plain-decimal rule
/// now, which refuses underscores first; what a price list writes is unchanged.
#[test]
fn a_price_of_a_million_underscores_is_refused_not_a_stack_overflow() {
    let json = r#"{"price_list":{"prices":{"BOLT-M8":"0.25"}}}"#;
    let rule: PriceRule = serde_json::from_str(json).unwrap();
    assert_eq!(serde_json::to_string(&rule).unwrap(), json);
    let hostile = json.replace("0.25", &format!("2{}", "_".repeat(1_000_000)));
    let got = serde_json::from_str::<PriceRule>(&hostile);
    assert!(got.is_err_and(|e| e.to_string().contains("is not a decimal number")));
}
