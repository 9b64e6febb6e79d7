//! Role lenses fed from the network: the inputs the network gathers from its own state
//! agree with inputs built by hand from its public queries, the views agree, and the
//! lenses refuse roles and scopes exactly as the control crate's do. Also the
//! intercompany-mismatch path of `advance_to`, from a state reached through the public
//! API.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::collections::BTreeMap;

use onhand::control::ExceptionKind;
use onhand::control::{BinStock, ControlError, FinanceInput, IntercompanyBalance, WarehouseInput};
use onhand::insight::{Dim, Grain, Period};
use onhand::ledger::seed::demo_day;
use onhand::ledger::testing::{actor, at, doc, event, line};
use onhand::ledger::{Actor, ActorId, SiteScope};
use onhand::ledger::{Body, DocKind, Event, SiteLines};
use onhand::master::seed;
use onhand::master::{BinCode, EntityCode, ItemCode, Role, SiteCode};
use onhand::rust_decimal::Decimal;
use onhand::sim::{Checks, Setup, Sim, SimConfig};
use onhand::status::{Measure, StockStatus};
use onhand::valuation::TitlePoint;
use onhand::{Availability, Decision, Error, Network};
use proptest::prelude::*;

fn site(code: &str) -> SiteCode {
    code.parse().unwrap()
}

fn after_the_demo_day() -> Network {
    let mut n = common::network();
    for d in &demo_day().unwrap() {
        let _ = n.apply(&d.event);
    }
    n
}

fn scoped(id: &str, roles: &[Role], sites: &[&str]) -> Actor {
    Actor {
        id: ActorId::new(id).unwrap(),
        roles: roles.to_vec(),
        sites: SiteScope::Sites(sites.iter().map(|s| site(s)).collect()),
    }
}

fn refused<T: std::fmt::Debug>(r: &Result<T, Error>) -> bool {
    matches!(r, Err(Error::Control(ControlError::Refused { .. })))
}

/// The warehouse input of `s` built by hand from the ledger's public positions.
fn warehouse_by_hand(n: &Network, s: &str) -> Vec<BinStock> {
    let six = n.catalog().site_ix(&site(s)).unwrap();
    let mut rows: BTreeMap<(Option<BinCode>, ItemCode), BinStock> = BTreeMap::new();
    for (k, q) in n.ledger().positions().filter(|(k, _)| k.site == six) {
        let bin = k.bin.map(|b| n.catalog().bin(b).unwrap().code.clone());
        let item = n.catalog().item(k.item).unwrap().code.clone();
        let row = rows.entry((bin.clone(), item.clone())).or_insert(BinStock {
            bin,
            item,
            available: Decimal::ZERO,
            held: Decimal::ZERO,
            damaged: Decimal::ZERO,
            receiving: Decimal::ZERO,
        });
        match k.status {
            StockStatus::Available => row.available += q,
            StockStatus::QualityHold | StockStatus::Blocked => row.held += q,
            StockStatus::Damaged => row.damaged += q,
            StockStatus::Receiving => row.receiving += q,
            _ => {}
        }
    }
    rows.into_values().collect()
}

#[test]
fn the_warehouse_lens_from_the_network_equals_the_hand_built_one() {
    let n = after_the_demo_day();
    for (_, s) in n.catalog().sites() {
        let code = s.code.as_str();
        let input = n.warehouse_input(&s.code).unwrap();
        assert_eq!(input.bins, warehouse_by_hand(&n, code), "{code}");
        // Per item, the available column adds up to the ledger's available measure.
        for (i, item) in n.catalog().items() {
            let by_bins: Decimal =
                input.bins.iter().filter(|b| b.item == item.code).map(|b| b.available).sum();
            let measured = n.position(&item.code, &s.code, Measure::Available, None).unwrap();
            let six = n.catalog().site_ix(&s.code).unwrap();
            let negative = n.ledger().positions_at(i, six).any(|(_, q)| q < Decimal::ZERO);
            if !negative {
                assert_eq!(by_bins, measured.value(), "{} at {code}", item.code);
            }
        }
        let hand = WarehouseInput {
            site: s.code.clone(),
            bins: warehouse_by_hand(&n, code),
            counts: input.counts.clone(),
            tasks: input.tasks.clone(),
        };
        let who = actor("boss", &[Role::Supervisor]).unwrap();
        assert_eq!(
            n.warehouse_lens(&who, &s.code).unwrap(),
            n.control().warehouse_lens(&who, &hand, n.now()).unwrap()
        );
    }
    // Los Angeles's count variance is an item to count there; Toronto has the nuts in
    // transit to receive.
    let lax = n.warehouse_input(&site("LAX")).unwrap();
    assert_eq!(lax.counts.iter().map(|c| c.item.as_str()).collect::<Vec<_>>(), ["BOLT-M8"]);
    let yyz = n.warehouse_input(&site("YYZ")).unwrap();
    assert!(yyz.tasks.iter().any(|t| t.kind == "receive" && t.open == 1), "{:?}", yyz.tasks);
}

#[test]
fn the_supply_chain_lens_agrees_with_the_networks_queries_and_figures() {
    let n = after_the_demo_day();
    let figures = n.figures().unwrap();
    let today = n.atp().today();
    for (_, item) in n.catalog().items() {
        let input = n.supply_input(&item.code).unwrap();
        let mut in_transit = Decimal::ZERO;
        let mut on_order = Decimal::ZERO;
        for row in &input.sites {
            match n.available(&item.code, &row.site, today, u8::MAX).unwrap() {
                Availability::Limited(q) => {
                    assert_eq!(row.available_to_promise.max(Decimal::ZERO), q.value());
                }
                Availability::Unlimited => panic!("today is within the horizon"),
            }
            let by_query: Decimal = n
                .in_transit_to(&row.site)
                .unwrap()
                .iter()
                .filter(|t| t.item == item.code)
                .map(|t| t.qty.value())
                .sum();
            let listed: Decimal = row.in_transit.iter().map(|a| a.qty).sum();
            assert_eq!(listed, by_query, "{} to {}", item.code, row.site);
            in_transit += listed;
            on_order += row.on_order;
        }
        let f = figures.items.get(&item.code).copied().unwrap_or_default();
        assert_eq!((in_transit, on_order), (f.in_transit, f.on_order), "{}", item.code);
    }
    // The nuts on their way to Toronto, from Chicago.
    let nuts = n.supply_input(&"NUT-M8".parse().unwrap()).unwrap();
    let yyz = nuts.sites.iter().find(|s| s.site == site("YYZ")).unwrap();
    assert_eq!(yyz.in_transit.len(), 1);
    assert_eq!(
        (yyz.in_transit[0].qty, yyz.in_transit[0].from.clone()),
        (400.into(), Some(site("ORD")))
    );
    // A planner scoped to Toronto sees Toronto's row only.
    let ca = scoped("plan.ca", &[Role::Planning], &["YYZ"]);
    let view = n.supply_chain_lens(&ca, &"NUT-M8".parse().unwrap()).unwrap();
    assert_eq!(view.sites.iter().map(|s| s.site.as_str()).collect::<Vec<_>>(), ["YYZ"]);
}

#[test]
fn the_finance_lens_agrees_with_the_books() {
    let n = after_the_demo_day();
    let boss = actor("cfo", &[Role::Finance]).unwrap();
    for entity in ["NA01", "CA01"] {
        let e: EntityCode = entity.parse().unwrap();
        let input = n.finance_input(&e).unwrap();
        let books = n.books(&e).unwrap();
        let sites: Vec<SiteCode> = n
            .catalog()
            .data()
            .sites
            .iter()
            .filter(|s| s.entity.as_ref() == Some(&e))
            .map(|s| s.code.clone())
            .collect();
        let hand = FinanceInput {
            entity: e.clone(),
            currency: books.currency,
            sites,
            stock_value: books.inventory.amount(),
            in_transit_owned: books.in_transit.amount(),
            // Title passes at shipment: both sides booked the nuts in transit to Toronto.
            intercompany: intercompany_by_hand(&n, &e),
            unrealized_profit: books.unrealized_profit.amount(),
            adjustment_value: Some({
                let month = Period::containing(Grain::Month, n.now().date_naive());
                let k = n.insight().unwrap().adjustments(month, &Dim::Entity(e.clone())).unwrap();
                k.net_value.get(books.currency)
            }),
        };
        assert_eq!(input, hand, "{entity}");
        assert_eq!(
            n.finance_lens(&boss, &e).unwrap(),
            n.control().finance_lens(&boss, &hand).unwrap()
        );
    }
    let na = n.finance_input(&"NA01".parse().unwrap()).unwrap();
    assert_eq!(na.intercompany.len(), 1);
    assert!(n.finance_lens(&boss, &"NA01".parse().unwrap()).unwrap().mismatches.is_empty());
}

/// Per buyer, the seller's receivables against the buyer's payables, every document in
/// the seller's currency (both sides of the demo's agreement are in USD).
fn intercompany_by_hand(n: &Network, seller: &EntityCode) -> Vec<IntercompanyBalance> {
    let mut pairs: BTreeMap<EntityCode, (Decimal, Decimal)> = BTreeMap::new();
    for r in n.valuation().receivables().iter().filter(|r| r.seller == *seller) {
        pairs.entry(r.buyer.clone()).or_default().0 += r.functional.amount();
    }
    for p in n.valuation().payables().iter().filter(|p| p.seller == *seller) {
        pairs.entry(p.buyer.clone()).or_default().1 += p.amount.amount();
    }
    pairs
        .into_iter()
        .map(|(counterparty, (receivable, counterparty_payable))| IntercompanyBalance {
            counterparty,
            receivable,
            counterparty_payable,
        })
        .collect()
}

#[test]
fn lenses_from_the_network_refuse_before_they_read_anything() {
    let n = after_the_demo_day();
    let planner = actor("plan", &[Role::Planning]).unwrap();
    let clerk = scoped("clerk", &[Role::Warehouse], &["ATL"]);
    let finance_atl = scoped("fin.atl", &[Role::Finance], &["ATL"]);
    let boss_atl = scoped("boss.atl", &[Role::Supervisor], &["ATL"]);
    // A role the lens does not allow: refused, even for a site that does not exist.
    assert!(refused(&n.warehouse_lens(&planner, &site("ATL"))));
    assert!(refused(&n.warehouse_lens(&planner, &site("NOWHERE"))));
    assert!(refused(&n.supply_chain_lens(&clerk, &"NO-SUCH".parse().unwrap())));
    assert!(refused(&n.finance_lens(&clerk, &"NA01".parse().unwrap())));
    assert!(refused(&n.executive_lens(&clerk)));
    // The right role, out of scope.
    assert!(refused(&n.warehouse_lens(&clerk, &site("DFW"))));
    assert!(refused(&n.finance_lens(&finance_atl, &"NA01".parse().unwrap())));
    assert!(refused(&n.executive_lens(&boss_atl)));
    // In scope: allowed, and an unknown code is then a plain error.
    assert!(n.warehouse_lens(&clerk, &site("ATL")).is_ok());
    assert!(matches!(n.warehouse_lens(&clerk, &site("NOWHERE")), Err(Error::Config { .. })));
    let view = n.executive_lens(&actor("cfo", &[Role::Finance]).unwrap()).unwrap();
    let held = view.figures.iter().find(|f| f.name == "held_events").unwrap();
    assert_eq!(held.value, Decimal::from(n.ledger().pending().count()));
    assert!(view.figures.iter().any(|f| f.name == "stock_value_CA01"));
    assert!(view.figures.iter().any(|f| f.name == "open_exceptions"));
}

fn transfer_event(id: u128, minutes: i64, who: Actor, reason: &str, body: Body) -> Event {
    event(id, minutes, who, reason, doc(DocKind::TransferOrder, "TO-7002").unwrap(), body).unwrap()
}

/// Why `advance_to`'s intercompany-mismatch path cannot be reached through the public
/// API: valuation books both sides of every intercompany document in one plan (same
/// document, quantity, amount and invoice rate, each side translated by the half-up rule
/// reconciliation checks), and never removes one; so reconciliation only ever finds a
/// document in transit (timing, not a mismatch). The harshest valid sequence, a short
/// receipt then a close that writes the rest off, under either title point, stays
/// reconciled and raises nothing. The path itself is tested in the crate
/// (`exceptions::tests`), from a reconciliation built by hand.
#[test]
fn a_short_intercompany_receipt_written_off_still_reconciles_and_raises_no_mismatch() {
    for title in [TitlePoint::Shipment, TitlePoint::Receipt] {
        let mut config = common::config();
        config.valuation.agreements[0].title = title;
        let mut n =
            Network::new(seed::demo_network(), common::rules(), config, common::start()).unwrap();
        for d in &demo_day().unwrap() {
            let _ = n.apply(&d.event);
        }
        let dock = actor("dock.yyz", &[Role::Warehouse]).unwrap();
        let nuts = line("NUT-M8", "300 EA").unwrap().at(BinCode::new("RCV-01").unwrap());
        let body = Body::TransferReceipt(SiteLines { site: site("YYZ"), lines: vec![nuts] });
        n.apply(&transfer_event(900, 600, dock, "TRANSFER", body)).unwrap();
        let planner = actor("planner.na", &[Role::Planning]).unwrap();
        let close = transfer_event(901, 610, planner, "CLOSE", Body::TransferClose);
        assert!(matches!(n.apply(&close).unwrap().decision, Decision::Pending { .. }));
        let ic = actor("inv.control", &[Role::InventoryControl]).unwrap();
        let approve = transfer_event(902, 620, ic, "LOST", Body::Approve { event: close.id });
        assert_eq!(n.apply(&approve).unwrap().decision, Decision::Accepted);
        n.advance_to(at(24 * 60)).unwrap();
        let rec = n.reconciliation();
        assert!(rec.differences.is_empty(), "{title:?}: {:?}", rec.differences);
        assert!(rec.matched > 0, "{title:?}");
        let raised =
            n.control().exceptions().any(|e| e.kind == ExceptionKind::IntercompanyMismatch);
        assert!(!raised, "{title:?}");
        n.check().unwrap();
    }
}

/// On simulated days, the warehouse input of every site is the hand-built one, and the
/// supply-chain input of every item adds up to the network's own figures.
#[test]
fn on_simulated_days_the_lens_inputs_agree_with_the_networks_queries() {
    onhand_testkit::pinned::check(6, (any::<u64>(), 1u32..3), |(seed, days)| {
        let setup = Setup::demo().unwrap();
        let config = SimConfig::new(seed).steps_per_day(30).checks(Checks::None);
        let mut sim = Sim::new(setup, config).unwrap();
        sim.run(days).unwrap();
        let n = sim.network();
        for (_, s) in n.catalog().sites() {
            let input = n.warehouse_input(&s.code).unwrap();
            prop_assert_eq!(input.bins, warehouse_by_hand(n, s.code.as_str()));
        }
        let figures = n.figures().unwrap();
        for (_, item) in n.catalog().items() {
            let input = n.supply_input(&item.code).unwrap();
            let in_transit: Decimal =
                input.sites.iter().flat_map(|s| s.in_transit.iter().map(|a| a.qty)).sum();
            let on_order: Decimal = input.sites.iter().map(|s| s.on_order).sum();
            let f = figures.items.get(&item.code).copied().unwrap_or_default();
            prop_assert_eq!((in_transit, on_order), (f.in_transit, f.on_order), "{}", item.code);
        }
        for entity in &n.catalog().data().entities {
            let input = n.finance_input(&entity.code).unwrap();
            let books = n.books(&entity.code).unwrap();
            prop_assert_eq!(input.stock_value, books.inventory.amount());
            prop_assert_eq!(input.in_transit_owned, books.in_transit.amount());
        }
        Ok(())
    });
}
