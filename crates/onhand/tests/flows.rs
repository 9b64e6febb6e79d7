//! End-to-end flows through the facade on the demo network: every engine kept in step.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use onhand::ledger::seed::{Expect, demo_day};
use onhand::valuation::unbalanced;
use onhand::{Decision, Error};

#[test]
fn the_demo_day_keeps_every_engine_in_step() {
    let mut n = common::network();
    for (i, e) in demo_day().unwrap().into_iter().enumerate() {
        let got = n.apply(&e.event);
        let decided = match &got {
            Ok(o) => match o.decision {
                Decision::Accepted => Expect::Accepted,
                Decision::Pending { .. } => Expect::Pending,
                Decision::Duplicate => Expect::Duplicate,
            },
            Err(Error::Ledger(_)) => Expect::Rejected,
            Err(other) => panic!("event {i} ({}): {other}", e.what),
        };
        assert_eq!(decided, e.expect, "event {i}: {}", e.what);
        if let Ok(o) = &got {
            assert!(unbalanced(&o.postings).is_empty(), "event {i} ({}) posts unbalanced", e.what);
        }
        if let Err(v) = n.check() {
            panic!("after event {i} ({}): {v}", e.what);
        }
    }
}

#[test]
fn replaying_the_journal_gives_the_same_digest() {
    let mut n = common::network();
    for e in demo_day().unwrap() {
        let _ = n.apply(&e.event);
    }
    let entries = n.journal().entries().to_vec();
    assert!(!entries.is_empty());
    let replayed = onhand::Network::replay(
        onhand::master::seed::demo_network(),
        common::rules(),
        common::config(),
        common::start(),
        &entries,
    )
    .unwrap();
    assert_eq!(replayed.digest().unwrap(), n.digest().unwrap());
    assert_eq!(replayed.journal().head(), n.journal().head());
    // Half the journal, then the rest onto it: the same.
    let (head, tail) = entries.split_at(entries.len() / 2);
    let mut half = onhand::Network::replay(
        onhand::master::seed::demo_network(),
        common::rules(),
        common::config(),
        common::start(),
        head,
    )
    .unwrap();
    half.replay_onto(tail).unwrap();
    assert_eq!(half.digest().unwrap(), n.digest().unwrap());
    // A tampered entry is refused.
    let mut bad = entries.clone();
    bad.swap(1, 2);
    assert!(
        onhand::Network::replay(
            onhand::master::seed::demo_network(),
            common::rules(),
            common::config(),
            common::start(),
            &bad,
        )
        .is_err()
    );
}

mod order_to_cash {
    use super::common;
    use chrono::NaiveDate;
    use onhand::ledger::testing::{actor, doc, event, line};
    use onhand::ledger::{Body, DocKind, Event, SiteLines};
    use onhand::master::{BinCode, Money, Role};
    use onhand::status::{Measure, StockStatus};
    use onhand::{Availability, ExpectedReceipt, OrderRef, OrderRequest, Signal};

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, d).unwrap()
    }

    fn bin(b: &str) -> BinCode {
        BinCode::new(b).unwrap()
    }

    fn ev(id: u128, minutes: i64, kind: DocKind, number: &str, body: Body) -> Event {
        event(
            id,
            minutes,
            actor("w1", &[Role::Warehouse]).unwrap(),
            "OK",
            doc(kind, number).unwrap(),
            body,
        )
        .unwrap()
    }

    fn mv(site: &str, lines: Vec<onhand::ledger::Line>) -> SiteLines {
        SiteLines { site: site.parse().unwrap(), lines }
    }

    fn available(n: &onhand::Network, item: &str, site: &str, d: u32) -> String {
        match n.available(&item.parse().unwrap(), &site.parse().unwrap(), day(d), 9).unwrap() {
            Availability::Limited(q) => q.to_string(),
            Availability::Unlimited => "unlimited".into(),
        }
    }

    #[test]
    #[allow(clippy::too_many_lines)] // one order's life, step by step
    fn a_purchase_order_received_put_away_allocated_picked_and_shipped() {
        let mut n = common::network();
        // A purchase order line: 2 cases due on the 8th at 10.20 USD a case.
        let usd = common::usd();
        n.expect(ExpectedReceipt {
            order: "PO-1".parse().unwrap(),
            line: 1,
            supplier: Some("ACME".parse().unwrap()),
            item: "BOLT-M8".parse().unwrap(),
            site: "ATL".parse().unwrap(),
            qty: "2 CS".parse().unwrap(),
            due: day(8),
            unit_cost: Some(Money::new("10.20".parse().unwrap(), usd)),
        })
        .unwrap();
        assert_eq!(available(&n, "BOLT-M8", "ATL", 7), "0 EA");
        assert_eq!(available(&n, "BOLT-M8", "ATL", 8), "240 EA");

        // It arrives early (the 5th), one case short, into receiving.
        let receipt = ev(
            1,
            0,
            DocKind::PurchaseOrder,
            "PO-1",
            Body::Receipt(mv(
                "ATL",
                vec![line("BOLT-M8", "1 CS").unwrap().at(bin("RCV-01")).doc_line(1)],
            )),
        );
        let o = n.apply(&receipt).unwrap();
        assert!(o.accepted());
        // The purchase order's price: 10.20 for the case, to inventory.
        let inv: Vec<String> = o
            .postings
            .iter()
            .filter(|p| p.key == onhand::valuation::PostingKey::Inventory)
            .map(|p| p.amount.to_string())
            .collect();
        assert_eq!(inv, ["10.20"]);
        // Its supply is used up by what arrived; the other case stays expected on the 8th.
        assert_eq!(o.supply.len(), 1);
        assert_eq!(o.supply[0].change.to_string(), "-120 EA");
        assert_eq!(n.expected_receipts().next().unwrap().open.to_string(), "120");
        // In receiving, not yet available.
        assert_eq!(available(&n, "BOLT-M8", "ATL", 5), "0 EA");
        let put = ev(
            2,
            10,
            DocKind::Internal,
            "PA-1",
            Body::Putaway(mv(
                "ATL",
                vec![line("BOLT-M8", "120 EA").unwrap().at(bin("RCV-01")).to_bin(bin("PF-A01"))],
            )),
        );
        let o = n.apply(&put).unwrap();
        assert_eq!(o.availability.len(), 1);
        assert_eq!(o.availability[0].after.to_string(), "+120 EA");
        assert_eq!(available(&n, "BOLT-M8", "ATL", 5), "120 EA");

        // HomePro (south-east, served by Atlanta) orders 100 for the 7th: allocated.
        let req = OrderRequest::new(
            "SO-9".parse().unwrap(),
            1,
            "HOMEPRO".parse().unwrap(),
            "BOLT-M8".parse().unwrap(),
            "100 EA".parse().unwrap(),
            day(7),
        );
        let p = n.allocate(&req).unwrap().promise;
        assert_eq!(p.confirmed.to_string(), "100 EA");
        assert_eq!(p.schedule[0].site.as_str(), "ATL");
        assert_eq!(available(&n, "BOLT-M8", "ATL", 5), "20 EA");
        n.check().unwrap();

        // Picked against the order line: its allocation is used, free stock stays 20.
        let pick = ev(
            3,
            20,
            DocKind::SalesOrder,
            "SO-9",
            Body::Pick(mv(
                "ATL",
                vec![
                    line("BOLT-M8", "100 EA")
                        .unwrap()
                        .at(bin("PF-A01"))
                        .to_bin(bin("STG-01"))
                        .doc_line(1),
                ],
            )),
        );
        let o = n.apply(&pick).unwrap();
        assert_eq!(o.allocations.len(), 1);
        assert_eq!(o.allocations[0].used.to_string(), "100 EA");
        assert_eq!(o.allocations[0].beyond.to_string(), "0 EA");
        assert_eq!(available(&n, "BOLT-M8", "ATL", 5), "20 EA");
        n.check().unwrap();

        // Shipped: cost of sales at the FIFO cost (100 x 10.20 / 120 = 8.50).
        let ship = ev(
            4,
            30,
            DocKind::SalesOrder,
            "SO-9",
            Body::Ship(mv(
                "ATL",
                vec![line("BOLT-M8", "100 EA").unwrap().at(bin("STG-01")).doc_line(1)],
            )),
        );
        let o = n.apply(&ship).unwrap();
        let cogs: Vec<String> = o
            .postings
            .iter()
            .filter(|p| p.key == onhand::valuation::PostingKey::CostOfSales)
            .map(|p| p.amount.to_string())
            .collect();
        assert_eq!(cogs, ["8.50"]);
        // Shipped in full: the line leaves the book.
        assert!(n.booked(&OrderRef { order: "SO-9".parse().unwrap(), line: 1 }).is_err());
        assert_eq!(available(&n, "BOLT-M8", "ATL", 5), "20 EA");
        assert_eq!(
            n.position(&"BOLT-M8".parse().unwrap(), &"ATL".parse().unwrap(), Measure::OnHand, None)
                .unwrap()
                .to_string(),
            "20 EA"
        );
        n.check().unwrap();
        let _ = (StockStatus::Available, Signal::Released { event: receipt.id });
    }

    #[test]
    fn a_reservation_lapses_when_time_passes_its_expiry() {
        let mut n = common::network();
        let r =
            onhand::ledger::testing::receipt_to(1, "ATL", "BOLT-M8", "1 CS", "PF-A01", "available")
                .unwrap();
        n.apply(&r).unwrap();
        let req = OrderRequest::new(
            "SO-1".parse().unwrap(),
            1,
            "HOMEPRO".parse().unwrap(),
            "BOLT-M8".parse().unwrap(),
            "100 EA".parse().unwrap(),
            day(9),
        );
        let expires = common::start() + chrono::Duration::hours(30);
        n.reserve(&req, expires).unwrap();
        assert_eq!(available(&n, "BOLT-M8", "ATL", 5), "20 EA");
        let a = n.advance_to(expires - chrono::Duration::minutes(1)).unwrap();
        assert!(a.signals.is_empty());
        let a = n.advance_to(expires).unwrap();
        assert!(
            matches!(&a.signals[..], [Signal::ReservationExpired { line }] if line.order.as_str() == "SO-1")
        );
        assert_eq!(available(&n, "BOLT-M8", "ATL", 6), "120 EA");
        n.check().unwrap();
        // Time does not go back.
        assert_eq!(n.advance_to(common::start()).unwrap_err().code(), "time_backwards");
    }

    #[test]
    fn a_receipt_no_one_can_cost_is_refused_with_nothing_changed() {
        let mut rules = common::rules();
        rules.reference_costs.clear();
        let mut n = onhand::Network::new(
            onhand::master::seed::demo_network(),
            rules,
            common::config(),
            common::start(),
        )
        .unwrap();
        let before = n.digest().unwrap();
        let r = onhand::ledger::testing::receipt(1, "ATL", "BOLT-M8", "1 CS", "RCV-01").unwrap();
        assert_eq!(n.apply(&r).unwrap_err().code(), "no_cost");
        assert_eq!(n.digest().unwrap(), before);
        assert_eq!(n.journal().head().seq, 0);
    }
}

mod signals {
    use super::common;
    use chrono::NaiveDate;
    use onhand::ledger::testing::{actor, doc, event, line, receipt_to};
    use onhand::ledger::{Body, DocKind, SiteLines};
    use onhand::master::{BinCode, Role};
    use onhand::replenish::DemandStats;
    use onhand::{ItemSitePlan, OrderRequest, Signal};

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, d).unwrap()
    }

    fn order(number: &str, qty: &str, priority: u8) -> OrderRequest {
        let mut r = OrderRequest::new(
            number.parse().unwrap(),
            1,
            "HOMEPRO".parse().unwrap(),
            "BOLT-M8".parse().unwrap(),
            qty.parse().unwrap(),
            day(9),
        );
        r.priority = priority;
        r
    }

    #[test]
    fn a_loss_under_booked_stock_signals_the_least_urgent_lines_short() {
        let mut n = common::network();
        n.apply(&receipt_to(1, "ATL", "BOLT-M8", "100 EA", "PF-A01", "available").unwrap())
            .unwrap();
        n.allocate(&order("SO-1", "60 EA", 1)).unwrap();
        n.allocate(&order("SO-2", "40 EA", 5)).unwrap();
        // Inventory control finds 50 missing.
        let loss = common::loss(2, 10, "50 EA");
        let o = n.apply(&loss).unwrap();
        let short: Vec<(String, String)> = o
            .signals
            .iter()
            .filter_map(|s| match s {
                Signal::LineShort { line, short, .. } => {
                    Some((line.to_string(), short.to_string()))
                }
                _ => None,
            })
            .collect();
        // 100 booked, 50 left: the priority-5 line is short all its 40, the urgent one 10.
        assert_eq!(
            short,
            [("SO-2/1".to_string(), "40 EA".to_string()), ("SO-1/1".into(), "10 EA".into())]
        );
        n.check().unwrap();
    }

    #[test]
    fn an_item_site_falling_below_its_reorder_point_gets_a_recommendation() {
        let mut config = common::config();
        config.replenish.item_sites = ["ATL", "ORD"]
            .into_iter()
            .map(|site| ItemSitePlan {
                item: "BOLT-M8".parse().unwrap(),
                site: site.parse().unwrap(),
                demand: DemandStats::daily(100.0, 30.0),
                costs: None,
                priority_demand: onhand::rust_decimal::Decimal::ZERO,
            })
            .collect();
        let mut n = onhand::Network::new(
            onhand::master::seed::demo_network(),
            common::rules(),
            config,
            common::start(),
        )
        .unwrap();
        // Plenty at both: no signal.
        let o = n
            .apply(&receipt_to(1, "ATL", "BOLT-M8", "10 CS", "PF-A01", "available").unwrap())
            .unwrap();
        assert!(!o.signals.iter().any(|s| matches!(s, Signal::BelowReorderPoint { .. })));
        n.apply(&receipt_to(2, "ORD", "BOLT-M8", "40 CS", "PF-A01", "available").unwrap()).unwrap();
        // An allocation of 1,000 at Atlanta takes its position below the reorder point.
        let booked = n.allocate(&order("SO-1", "1000 EA", 5)).unwrap();
        let rec = booked
            .signals
            .iter()
            .find_map(|s| match s {
                Signal::BelowReorderPoint { recommendation } => Some(recommendation.clone()),
                _ => None,
            })
            .expect("a recommendation");
        assert_eq!((rec.item.as_str(), rec.site.as_str()), ("BOLT-M8", "ATL"));
        assert_eq!(rec.position.to_string(), "200");
        // Chicago has 4,800 and is two days away: the transfer wins.
        assert!(
            matches!(&rec.best.action, onhand::replenish::Action::Transfer { from } if from.as_str() == "ORD")
        );
        // Falling further raises nothing new: the item-site is already below.
        let again = n.allocate(&order("SO-2", "100 EA", 5)).unwrap();
        assert!(!again.signals.iter().any(|s| matches!(s, Signal::BelowReorderPoint { .. })));
        // The planner as things stand sees the allocations too, and recommends the same.
        let planner = n.planner().unwrap().expect("a planner");
        let recs = planner.evaluate().unwrap();
        let now = recs.iter().find(|r| r.site.as_str() == "ATL").expect("ATL below");
        assert_eq!(now.position.to_string(), "100");
        assert!(recs.iter().all(|r| r.site.as_str() != "ORD"), "{recs:?}");
    }

    #[test]
    fn a_line_filled_by_a_substitute_re_plans_the_substitute_item_site() {
        let mut config = common::config();
        config.replenish.item_sites = vec![ItemSitePlan {
            item: "BOLT-M8-SS".parse().unwrap(),
            site: "ATL".parse().unwrap(),
            demand: DemandStats::daily(100.0, 30.0),
            costs: None,
            priority_demand: onhand::rust_decimal::Decimal::ZERO,
        }];
        let mut n = onhand::Network::new(
            onhand::master::seed::demo_network(),
            common::rules(),
            config,
            common::start(),
        )
        .unwrap();
        // 2,000 stainless bolts at Atlanta (reorder point 1,500) and no zinc-plated ones.
        let o = n
            .apply(&receipt_to(1, "ATL", "BOLT-M8-SS", "20 CS", "PF-A01", "available").unwrap())
            .unwrap();
        assert!(!o.signals.iter().any(|s| matches!(s, Signal::BelowReorderPoint { .. })));
        // An order for 1,000 zinc-plated bolts that takes stainless ones instead.
        let mut req = order("SO-1", "1000 EA", 5);
        req.allow_substitutes = true;
        let booked = n.allocate(&req).unwrap();
        assert_eq!(booked.promise.confirmed.to_string(), "1000 EA");
        let rec = booked
            .signals
            .iter()
            .find_map(|s| match s {
                Signal::BelowReorderPoint { recommendation } => Some(recommendation.clone()),
                _ => None,
            })
            .expect("the substitute's item-site is re-planned");
        assert_eq!((rec.item.as_str(), rec.site.as_str()), ("BOLT-M8-SS", "ATL"));
        assert_eq!(rec.position.to_string(), "1000");
        let subject = onhand::control::Subject::ItemSite {
            item: "BOLT-M8-SS".parse().unwrap(),
            site: "ATL".parse().unwrap(),
            lot: None,
        };
        let below = onhand::control::ExceptionKind::BelowReorderPoint;
        assert!(n.control().active(below, &subject).is_some());
        // Releasing the line lifts the stainless bolts back above their reorder point.
        n.release(&req.reference()).unwrap();
        assert!(n.control().active(below, &subject).is_none());
        // A reservation that takes them below again, and lapses.
        let mut soft = order("SO-2", "1000 EA", 5);
        soft.allow_substitutes = true;
        let expires = common::start() + chrono::Duration::days(3);
        n.reserve(&soft, expires).unwrap();
        assert!(n.control().active(below, &subject).is_some());
        n.advance_to(expires + chrono::Duration::hours(1)).unwrap();
        assert!(n.control().active(below, &subject).is_none());
        n.check().unwrap();
    }

    #[test]
    fn a_return_comes_back_at_the_cost_it_left_with() {
        let mut n = common::network();
        // Two receipts at different costs (FIFO): the first 100 at 0.085, then 0.10.
        let mut r1 = receipt_to(1, "ATL", "BOLT-M8", "100 EA", "PF-A01", "available").unwrap();
        let mut r2 = receipt_to(2, "ATL", "BOLT-M8", "100 EA", "PF-A01", "available").unwrap();
        let usd = common::usd();
        for (e, cost) in [(&mut r1, "0.085"), (&mut r2, "0.10")] {
            if let Body::Receipt(m) = &mut e.body {
                m.lines[0].unit_cost = Some(onhand::master::Money::new(cost.parse().unwrap(), usd));
            }
        }
        n.apply(&r1).unwrap();
        n.apply(&r2).unwrap();
        let wh = || actor("w1", &[Role::Warehouse]).unwrap();
        let pf = || BinCode::new("PF-A01").unwrap();
        let stg = || BinCode::new("STG-01").unwrap();
        let pick = event(
            3,
            5,
            wh(),
            "PICK",
            doc(DocKind::SalesOrder, "SO-7").unwrap(),
            Body::Pick(SiteLines {
                site: "ATL".parse().unwrap(),
                lines: vec![line("BOLT-M8", "100 EA").unwrap().at(pf()).to_bin(stg())],
            }),
        )
        .unwrap();
        n.apply(&pick).unwrap();
        let ship = event(
            4,
            6,
            wh(),
            "SHIP",
            doc(DocKind::SalesOrder, "SO-7").unwrap(),
            Body::Ship(SiteLines {
                site: "ATL".parse().unwrap(),
                lines: vec![line("BOLT-M8", "100 EA").unwrap().at(stg())],
            }),
        )
        .unwrap();
        n.apply(&ship).unwrap();
        // 10 come back against that shipment: at 0.085, the cost they left with.
        let ret = event(
            5,
            60,
            wh(),
            "RETURN",
            doc(DocKind::ReturnAuthorisation, "RA-1").unwrap(),
            Body::CustomerReturn(SiteLines {
                site: "ATL".parse().unwrap(),
                lines: vec![
                    line("BOLT-M8", "10 EA")
                        .unwrap()
                        .at(BinCode::new("RET-01").unwrap())
                        .original(ship.id),
                ],
            }),
        )
        .unwrap();
        let o = n.apply(&ret).unwrap();
        let inv: Vec<String> = o
            .postings
            .iter()
            .filter(|p| p.key == onhand::valuation::PostingKey::Inventory)
            .map(|p| p.amount.to_string())
            .collect();
        assert_eq!(inv, ["0.85"]);
        n.check().unwrap();
        // A return naming a shipment that shipped none of the item is refused.
        let wrong = event(
            6,
            61,
            wh(),
            "RETURN",
            doc(DocKind::ReturnAuthorisation, "RA-2").unwrap(),
            Body::CustomerReturn(SiteLines {
                site: "ATL".parse().unwrap(),
                lines: vec![
                    line("NUT-M8", "1 EA")
                        .unwrap()
                        .at(BinCode::new("RET-01").unwrap())
                        .original(ship.id),
                ],
            }),
        )
        .unwrap();
        assert_eq!(n.apply(&wrong).unwrap_err().code(), "unknown_original");
    }
}
