//! The network's KPIs (issue 19): a worked day on the demo network whose fill rates,
//! record accuracy and transfer cycle times are computed by hand, the journal replayed
//! into a fresh insight giving the same figures, and the seeded simulation tying insight
//! to the ledger.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test
#![allow(clippy::many_single_char_names)] // figures named by their KPI's initial

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use onhand::insight::{Dim, Figure, Grain, Period, Ratio};
use onhand::ledger::testing::{actor, doc, event, line, receipt_to};
use onhand::ledger::{
    Applied, Body, Count, CountLine, DocKind, Event, EventId, Ledger, SiteLines, TransferLine,
    TransferRequest,
};
use onhand::master::{BinCode, Decimal, Role};
use onhand::sim::{Setup, Sim, SimConfig};
use onhand::{Command, InsightSettings, Network, OrderRequest};
use proptest::prelude::*;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, d).unwrap()
}

fn bin(b: &str) -> BinCode {
    BinCode::new(b).unwrap()
}

fn ev(id: u128, minutes: i64, who: (&str, Role), kind: DocKind, number: &str, body: Body) -> Event {
    event(id, minutes, actor(who.0, &[who.1]).unwrap(), "OK", doc(kind, number).unwrap(), body)
        .unwrap()
}

fn mv(site: &str, lines: Vec<onhand::ledger::Line>) -> SiteLines {
    SiteLines { site: site.parse().unwrap(), lines }
}

fn ratio(n: i64, d: i64) -> Ratio {
    Ratio::new(Decimal::from(n), Decimal::from(d))
}

const WH: (&str, Role) = ("wh.lead", Role::Warehouse);

/// The worked day (January 2026; the ledger builders' epoch is Monday the 5th, 08:00):
///
/// - 240 EA of BOLT-M8 received at Atlanta and at Chicago (O'Hare).
/// - `HOMEPRO` (served by Atlanta) orders three lines for the 7th: SO-1/1 100 EA, SO-1/2
///   60 EA, SO-2/1 40 EA. All are promised from Atlanta, available today (the 5th) and
///   delivered on the 7th: a lead of two days, so the ship-by date is the 5th.
/// - Atlanta picks and ships 100, 30 (of 60) and 40 on the 5th.
/// - Counts: Atlanta's pick face holds 240 − 170 = 70 and 70 are found (within
///   tolerance); Chicago's holds 240 and 200 are found: a loss of 40, beyond any
///   tolerance (at most 5% of 240 = 12), valued at the receipt cost 0.085: −3.40 USD.
/// - TR-1, Chicago to Atlanta, 100 EA: requested at 10:00, approved at 11:00, shipped at
///   12:00, received on the 7th at 12:00.
fn worked_day() -> Network {
    let mut n = common::network();
    n.advance_to(onhand::ledger::testing::at(-30)).unwrap();
    for (id, site) in [(1, "ATL"), (2, "ORD")] {
        n.apply(&receipt_to(id, site, "BOLT-M8", "2 CS", "PF-A01", "available").unwrap()).unwrap();
    }
    n.advance_to(onhand::ledger::testing::at(5)).unwrap();
    for (order, line_no, qty) in [("SO-1", 1, "100 EA"), ("SO-1", 2, "60 EA"), ("SO-2", 1, "40 EA")]
    {
        let req = OrderRequest::new(
            order.parse().unwrap(),
            line_no,
            "HOMEPRO".parse().unwrap(),
            "BOLT-M8".parse().unwrap(),
            qty.parse().unwrap(),
            day(7),
        );
        let p = n.allocate(&req).unwrap().promise;
        assert_eq!(p.schedule[0].site.as_str(), "ATL");
        assert_eq!(p.schedule[0].available_on, day(5));
        assert_eq!(p.schedule[0].delivery, day(7));
    }
    let mut id = 10;
    for (order, line_no, qty) in [("SO-1", 1, "100 EA"), ("SO-1", 2, "30 EA"), ("SO-2", 1, "40 EA")]
    {
        let pick = line("BOLT-M8", qty).unwrap().at(bin("PF-A01")).to_bin(bin("STG-01"));
        let body = Body::Pick(mv("ATL", vec![pick.doc_line(line_no)]));
        n.apply(&ev(id, 20, WH, DocKind::SalesOrder, order, body)).unwrap();
        let ship = line("BOLT-M8", qty).unwrap().at(bin("STG-01")).doc_line(line_no);
        let body = Body::Ship(mv("ATL", vec![ship]));
        n.apply(&ev(id + 1, 30, WH, DocKind::SalesOrder, order, body)).unwrap();
        id += 2;
    }
    let counter = ("inv.control", Role::InventoryControl);
    for (id, site, found) in [(20, "ATL", "70 EA"), (21, "ORD", "200 EA")] {
        let body = Body::CycleCount(Count {
            site: site.parse().unwrap(),
            lines: vec![CountLine {
                item: "BOLT-M8".parse().unwrap(),
                bin: Some(bin("PF-A01")),
                lot: None,
                status: None,
                counted: found.parse().unwrap(),
                serials: Vec::new(),
                owner: None,
            }],
        });
        let o = n.apply(&ev(id, 90, counter, DocKind::Count, "CC-1", body)).unwrap();
        assert!(o.accepted(), "{o:?}");
    }
    // The transfer: the rest of Chicago's stock is 200, 100 of it moves.
    let request = Body::TransferRequest(TransferRequest {
        from: "ORD".parse().unwrap(),
        to: "ATL".parse().unwrap(),
        lines: vec![TransferLine {
            item: "BOLT-M8".parse().unwrap(),
            qty: "100 EA".parse().unwrap(),
        }],
        expected_arrival: None,
    });
    let planner = ("planner.one", Role::Planning);
    let approver = ("planner.two", Role::Planning);
    n.apply(&ev(30, 120, planner, DocKind::TransferOrder, "TR-1", request)).unwrap();
    let o = n.apply(&ev(31, 180, approver, DocKind::TransferOrder, "TR-1", Body::TransferApprove));
    assert!(o.unwrap().accepted());
    let ship =
        Body::TransferShip(mv("ORD", vec![line("BOLT-M8", "100 EA").unwrap().at(bin("PF-A01"))]));
    assert!(n.apply(&ev(32, 240, WH, DocKind::TransferOrder, "TR-1", ship)).unwrap().accepted());
    let receive = Body::TransferReceipt(mv(
        "ATL",
        vec![line("BOLT-M8", "100 EA").unwrap().at(bin("RCV-01"))],
    ));
    let two_days = 2 * 24 * 60;
    let o = n.apply(&ev(33, two_days + 240, WH, DocKind::TransferOrder, "TR-1", receive)).unwrap();
    assert!(o.accepted());
    n.check().unwrap();
    n
}

fn january() -> Period {
    Period::containing(Grain::Month, day(1))
}

#[test]
fn the_worked_day_gives_the_figures_computed_by_hand() {
    let n = worked_day();
    let feed = n.insight_feed().unwrap();
    assert_eq!(feed.refused, 0, "{feed:?}");
    let insight = n.insight().unwrap();

    // Fill rate against the requested (ship-by) date: 100 + 30 + 40 = 170 of 200 units
    // shipped by the 5th; lines 1 and 3 in full (2 of 3); order SO-2 in full, SO-1 not
    // (1 of 2).
    let k = insight.orders(january(), &Dim::Network).unwrap();
    assert_eq!(k.fill_requested.units, ratio(170, 200));
    assert_eq!(k.fill_requested.units.value(), Figure::Value(Decimal::new(85, 2)));
    assert_eq!(k.fill_requested.lines, ratio(2, 3));
    assert_eq!(k.fill_requested.orders, Some(ratio(1, 2)));
    // Against the promise (Atlanta, the 5th): the same shipments, the same figures.
    assert_eq!(k.fill_promised.units, ratio(170, 200));
    assert_eq!(k.fill_promised.lines, ratio(2, 3));

    // Record accuracy: one count of two within tolerance; net and absolute variance 40
    // units; the loss valued at 40 x 0.085 = 3.40 USD.
    let c = insight.counts(january(), &Dim::Network).unwrap();
    assert_eq!(c.accuracy, ratio(1, 2));
    assert_eq!(c.net_units, Decimal::from(-40));
    assert_eq!(c.abs_units, Decimal::from(40));
    assert_eq!(c.net_value.get(common::usd()), Decimal::new(-340, 2));
    assert_eq!(c.abs_value.get(common::usd()), Decimal::new(340, 2));

    // Transfer cycle time: request to approval 1 h, to shipment 2 h, shipment to
    // receipt 2 days, request to receipt 2 days and 2 h.
    let t = insight.transfers(january(), &Dim::Network).unwrap();
    assert_eq!((t.requested, t.approved, t.shipped, t.completed), (1, 1, 1, 1));
    let mean = |f: &Figure<onhand::insight::Dist>| match f {
        Figure::Value(d) => (d.count, d.mean_secs),
        other @ Figure::NotEnoughData { .. } => panic!("no distribution: {other:?}"),
    };
    assert_eq!(mean(&t.to_approve), (1, Decimal::from(3_600)));
    assert_eq!(mean(&t.to_ship), (1, Decimal::from(7_200)));
    assert_eq!(mean(&t.transit), (1, Decimal::from(172_800)));
    assert_eq!(mean(&t.total), (1, Decimal::from(180_000)));
    assert_eq!(t.receipt_accuracy, ratio(1, 1));
    // 100 EA at Chicago's cost, 0.085: 8.50 USD requested.
    assert_eq!(t.requested_value.get(common::usd()), Decimal::new(850, 2));

    // The report the network gives is insight's.
    assert_eq!(n.kpi_report(january()).unwrap(), insight.report(january()).unwrap());
}

/// A transfer closed short (issue 19): Chicago ships 100 to Atlanta, 80 arrive, and the
/// order is closed, writing off the 20 that never came. The receipt of 80 shows no
/// discrepancy on its own (the rest might still come); the close is the line's last
/// receipt, short by 20: receipt accuracy 1 of 2, 20 units short, not 1 of 1.
#[test]
fn a_transfer_closed_short_counts_as_a_receipt_discrepancy() {
    let mut n = common::network();
    n.advance_to(onhand::ledger::testing::at(-30)).unwrap();
    n.apply(&receipt_to(2, "ORD", "BOLT-M8", "2 CS", "PF-A01", "available").unwrap()).unwrap();
    n.advance_to(onhand::ledger::testing::at(5)).unwrap();
    let request = Body::TransferRequest(TransferRequest {
        from: "ORD".parse().unwrap(),
        to: "ATL".parse().unwrap(),
        lines: vec![TransferLine {
            item: "BOLT-M8".parse().unwrap(),
            qty: "100 EA".parse().unwrap(),
        }],
        expected_arrival: None,
    });
    let planner = ("planner.one", Role::Planning);
    let approver = ("planner.two", Role::Planning);
    let supervisor = ("shift.boss", Role::Supervisor);
    n.apply(&ev(30, 120, planner, DocKind::TransferOrder, "TR-2", request)).unwrap();
    let o = n.apply(&ev(31, 180, approver, DocKind::TransferOrder, "TR-2", Body::TransferApprove));
    assert!(o.unwrap().accepted());
    let ship =
        Body::TransferShip(mv("ORD", vec![line("BOLT-M8", "100 EA").unwrap().at(bin("PF-A01"))]));
    assert!(n.apply(&ev(32, 240, WH, DocKind::TransferOrder, "TR-2", ship)).unwrap().accepted());
    let receive =
        Body::TransferReceipt(mv("ATL", vec![line("BOLT-M8", "80 EA").unwrap().at(bin("RCV-01"))]));
    assert!(n.apply(&ev(33, 600, WH, DocKind::TransferOrder, "TR-2", receive)).unwrap().accepted());
    let t = n.insight().unwrap().transfers(january(), &Dim::Network).unwrap();
    assert_eq!((t.receipt_accuracy, t.short), (ratio(1, 1), Decimal::ZERO));
    let o = n
        .apply(&ev(
            34,
            2 * 24 * 60,
            supervisor,
            DocKind::TransferOrder,
            "TR-2",
            Body::TransferClose,
        ))
        .unwrap();
    // Writing off stock in transit waits for inventory control's approval.
    let control = ("inv.control", Role::InventoryControl);
    let approve = Body::Approve { event: o.event };
    let o = n.apply(&ev(35, 2 * 24 * 60 + 5, control, DocKind::TransferOrder, "TR-2", approve));
    assert!(o.unwrap().accepted());
    let feed = n.insight_feed().unwrap();
    assert_eq!(feed.refused, 0, "{feed:?}");
    let t = n.insight().unwrap().transfers(january(), &Dim::Network).unwrap();
    assert_eq!((t.completed, t.closed), (1, 1));
    assert_eq!(t.receipt_accuracy, ratio(1, 2));
    assert_eq!(t.short, Decimal::from(20));
    n.check().unwrap();
    // The journal replayed gives the same figures.
    let (replayed, _) = Network::replay_insight(
        onhand::master::seed::demo_network(),
        common::rules(),
        common::config(),
        InsightSettings::default(),
        common::start(),
        n.journal().entries(),
    )
    .unwrap();
    assert_eq!(replayed.transfers(january(), &Dim::Network).unwrap(), t);
}

/// Customer returns (issue 19) on the worked day. Shipped in full on the 5th, its ship-by
/// date, SO-2 is the day's one fulfilled order, and perfect (SO-1 still waits for 30 of
/// line 2). Then, on the 8th, `HOMEPRO` returns 5 of SO-2's 40 (reason `DEFECT`) and 10
/// of SO-1/1's 100 (reason `CHANGED`) at Atlanta, into return pending; on the 9th
/// inspection finds the 5 damaged and puts the 10 back to stock. SO-2 was not delivered
/// in perfect condition (SCOR RL.2.4): perfect orders go from 1 of 1 to 0 of 1.
/// Returns in January: 2 returns, 15 units, 10 found sound and 5 damaged.
#[test]
fn a_customer_return_found_damaged_spoils_its_perfect_order() {
    let mut n = worked_day();
    let insight = n.insight().unwrap();
    let p = insight.orders(january(), &Dim::Network).unwrap().perfect_order.unwrap();
    assert_eq!((p.perfect, p.condition), (ratio(1, 1), ratio(1, 1)));
    let day = 24 * 60;
    let returns =
        [("RA-1", "SO-2", 15, "5 EA", "DEFECT"), ("RA-2", "SO-1", 11, "10 EA", "CHANGED")];
    for (i, (ra, _, shipment, qty, reason)) in returns.iter().enumerate() {
        let back =
            line("BOLT-M8", qty).unwrap().at(bin("RET-01")).original(EventId::from_u128(*shipment));
        let body = Body::CustomerReturn(mv("ATL", vec![back]));
        let e = event(
            40 + i as u128,
            3 * day,
            actor("wh.lead", &[Role::Warehouse]).unwrap(),
            reason,
            doc(DocKind::ReturnAuthorisation, ra).unwrap(),
            body,
        )
        .unwrap();
        let o = n.apply(&e).unwrap();
        assert!(o.accepted(), "{o:?}");
    }
    let quality = ("qa.one", Role::Quality);
    let mut inspect = line("BOLT-M8", "5 EA").unwrap().at(bin("RET-01"));
    inspect.from = Some(onhand::status::StockStatus::ReturnPending);
    inspect.to = Some(onhand::status::StockStatus::Damaged);
    let o = n.apply(&ev(
        50,
        4 * day,
        quality,
        DocKind::ReturnAuthorisation,
        "RA-1",
        Body::Disposition(mv("ATL", vec![inspect])),
    ));
    assert!(o.unwrap().accepted());
    let mut inspect = line("BOLT-M8", "10 EA").unwrap().at(bin("RET-01")).to_bin(bin("PF-A01"));
    inspect.from = Some(onhand::status::StockStatus::ReturnPending);
    inspect.to = Some(onhand::status::StockStatus::Available);
    let o = n.apply(&ev(
        51,
        4 * day,
        quality,
        DocKind::ReturnAuthorisation,
        "RA-2",
        Body::Disposition(mv("ATL", vec![inspect])),
    ));
    assert!(o.unwrap().accepted());

    let feed = n.insight_feed().unwrap();
    assert_eq!((feed.refused, feed.unmatched, feed.untraced_returns), (0, 0, 0), "{feed:?}");
    let insight = n.insight().unwrap();
    let p = insight.orders(january(), &Dim::Network).unwrap().perfect_order.unwrap();
    assert_eq!(
        (p.perfect, p.condition, p.in_full, p.on_time),
        (ratio(0, 1), ratio(0, 1), ratio(1, 1), ratio(1, 1))
    );
    let r = insight.returns(january(), &Dim::Network).unwrap();
    assert_eq!(
        (r.returns, r.units, r.sound, r.damaged),
        (2, Decimal::from(15), Decimal::from(10), Decimal::from(5))
    );
    let defect = insight.returns(january(), &Dim::Reason("DEFECT".parse().unwrap())).unwrap();
    assert_eq!((defect.returns, defect.damaged), (1, Decimal::from(5)));
    assert!(n.kpi_report(january()).unwrap().to_string().contains("returns  reason DEFECT"));
    n.check().unwrap();

    // The journal replayed, and a snapshot restored, give the same figures.
    let (replayed, _) = Network::replay_insight(
        onhand::master::seed::demo_network(),
        common::rules(),
        common::config(),
        InsightSettings::default(),
        common::start(),
        n.journal().entries(),
    )
    .unwrap();
    assert_eq!(replayed.report(january()).unwrap(), insight.report(january()).unwrap());
    // Through JSON: the returns the feed follows travel in the snapshot.
    let json = serde_json::to_string(&n.snapshot().unwrap()).unwrap();
    let snapshot: onhand::NetworkSnapshot = serde_json::from_str(&json).unwrap();
    let restored =
        Network::restore(n.catalog().clone(), common::rules(), common::config(), &snapshot)
            .unwrap();
    assert_eq!(restored.digest().unwrap(), n.digest().unwrap());
    assert_eq!(restored.kpi_report(january()).unwrap(), n.kpi_report(january()).unwrap());
}

#[test]
fn the_journal_replayed_into_a_fresh_insight_gives_the_live_figures() {
    let n = worked_day();
    let (replayed, stats) = Network::replay_insight(
        onhand::master::seed::demo_network(),
        common::rules(),
        common::config(),
        InsightSettings::default(),
        common::start(),
        n.journal().entries(),
    )
    .unwrap();
    assert_eq!(&stats, n.insight_feed().unwrap());
    assert_eq!(replayed.report(january()).unwrap(), n.kpi_report(january()).unwrap());
    assert_eq!(replayed.records(), n.insight().unwrap().records());
}

#[test]
fn insight_can_be_turned_off_and_then_nothing_is_fed() {
    let mut config = common::config();
    config.insight.enabled = false;
    let mut n = Network::new(
        onhand::master::seed::demo_network(),
        common::rules(),
        config,
        common::start(),
    )
    .unwrap();
    n.apply(&receipt_to(1, "ATL", "BOLT-M8", "2 CS", "PF-A01", "available").unwrap()).unwrap();
    assert!(n.insight().is_none() && n.insight_feed().is_none());
    assert_eq!(n.kpi_report(january()).unwrap_err().code(), "config");
}

#[test]
fn a_calendar_for_an_unknown_site_is_refused() {
    let mut config = common::config();
    config.insight.calendars.push(onhand::SiteCalendar {
        site: "NOWHERE".parse().unwrap(),
        utc_offset_minutes: 0,
        shift_starts: Vec::new(),
    });
    let e = Network::new(
        onhand::master::seed::demo_network(),
        common::rules(),
        config,
        common::start(),
    )
    .unwrap_err();
    assert_eq!((e.engine(), e.code()), ("insight", "unknown_site"));
}

/// Count lines the ledger accepted, found independently of the network: the journal's
/// events replayed through a bare ledger, a count counting when it is accepted or when
/// an approval releases it.
fn counts_accepted(setup: &Setup, entries: &onhand::journal::Entries) -> u64 {
    let catalog = std::sync::Arc::new(onhand::master::Catalog::new(setup.master.clone()).unwrap());
    let mut ledger = Ledger::new(catalog, setup.rules.clone()).unwrap();
    let mut held: BTreeMap<EventId, Event> = BTreeMap::new();
    let mut n = 0u64;
    for e in entries {
        let Command::Event(event) = &e.command else { continue };
        match ledger.apply(event) {
            Ok(Applied::Accepted(_)) => {
                let moving = match &event.body {
                    Body::Approve { event: id } => held.remove(id),
                    _ => Some(event.clone()),
                };
                if let Some(Event { body: Body::CycleCount(c), .. }) = moving {
                    n += c.lines.len() as u64;
                }
            }
            Ok(Applied::Pending { .. }) if !matches!(event.body, Body::Approve { .. }) => {
                held.insert(event.id, event.clone());
            }
            _ => {}
        }
    }
    n
}

/// Every month from `from` to `to`.
fn months(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Period> {
    let mut p = Period::containing(Grain::Month, from.date_naive());
    let last = Period::containing(Grain::Month, to.date_naive());
    let mut out = vec![p];
    while p < last {
        p = p.next();
        out.push(p);
    }
    out
}

/// Runs the simulation and checks insight against the ledger and its replay; returns
/// the feed's figures and the counts recorded.
fn check_sim(
    seed: u64,
    steps: u32,
    days: u32,
) -> Result<(onhand::FeedStats, Decimal), TestCaseError> {
    let setup = Setup::demo().unwrap();
    let mut sim = Sim::new(setup.clone(), SimConfig::new(seed).steps_per_day(steps)).unwrap();
    sim.run(days).map_err(|f| TestCaseError::fail(f.to_string()))?;
    let n = sim.network();
    let feed = n.insight_feed().unwrap();
    // Insight took every record the network fed it.
    prop_assert_eq!(feed.refused, 0, "{:?}", feed);
    let entries = n.journal().entries();
    let periods =
        months(setup.start, n.now().max(setup.start + chrono::Duration::days(i64::from(days))));
    // The counts insight recorded are the count lines the ledger accepted.
    let insight = n.insight().unwrap();
    let mut recorded = Decimal::ZERO;
    for p in &periods {
        recorded += insight.counts(*p, &Dim::Network).unwrap().accuracy.denominator;
    }
    prop_assert_eq!(recorded, Decimal::from(counts_accepted(&setup, entries)));
    // And the journal replayed into a fresh insight gives the same figures.
    let (replayed, _) = Network::replay_insight(
        setup.master.clone(),
        setup.rules.clone(),
        setup.config.clone(),
        InsightSettings::default(),
        setup.start,
        entries,
    )
    .unwrap();
    for p in &periods {
        prop_assert_eq!(replayed.report(*p).unwrap(), insight.report(*p).unwrap());
    }
    prop_assert_eq!(replayed.records(), insight.records());
    Ok((feed.clone(), recorded))
}

#[test]
fn a_seeded_simulation_feeds_insight_everything_the_ledger_accepted() {
    let (feed, counts) = check_sim(20_260_105, 60, 8).unwrap();
    eprintln!("{feed:?}, {counts} counts");
    // The run fed every kind of record the translation makes, counts among them.
    assert!(counts > Decimal::ZERO && feed.records > 200, "{feed:?}");
    assert!(feed.late > 0, "back-dated events are fed late: {feed:?}");
}

#[test]
fn any_seed_keeps_insight_in_step_with_the_ledger_and_its_replay() {
    onhand_testkit::pinned::check(4, any::<u64>(), |seed| {
        check_sim(seed, 40, 2)?;
        Ok(())
    });
}

#[test]
fn a_released_line_stays_in_the_fill_rates_without_its_promise() {
    let mut n = common::network();
    n.advance_to(onhand::ledger::testing::at(-30)).unwrap();
    n.apply(&receipt_to(1, "ATL", "BOLT-M8", "2 CS", "PF-A01", "available").unwrap()).unwrap();
    n.advance_to(onhand::ledger::testing::at(5)).unwrap();
    let req = OrderRequest::new(
        "SO-7".parse().unwrap(),
        1,
        "HOMEPRO".parse().unwrap(),
        "BOLT-M8".parse().unwrap(),
        "100 EA".parse().unwrap(),
        day(7),
    );
    n.allocate(&req).unwrap();
    let promised = n.insight().unwrap().orders(january(), &Dim::Network).unwrap();
    assert_eq!(promised.fill_promised.lines, ratio(0, 1), "promised, nothing shipped yet");
    n.release(&req.reference()).unwrap();
    let k = n.insight().unwrap().orders(january(), &Dim::Network).unwrap();
    // Still ordered (one line, nothing shipped), no longer promised.
    assert_eq!(k.fill_requested.lines, ratio(0, 1));
    assert_eq!(k.fill_promised.lines, Ratio::default());
    assert_eq!(k.promise_accuracy, Ratio::default());
    // Booked again: promised again, the same line (not a second one).
    n.allocate(&req).unwrap();
    let k = n.insight().unwrap().orders(january(), &Dim::Network).unwrap();
    assert_eq!((k.fill_requested.lines, k.fill_promised.lines), (ratio(0, 1), ratio(0, 1)));
    assert_eq!(n.insight_feed().unwrap().refused, 0);
}

/// A customer asks for delivery today from a site two days away: the ship-by date (the
/// request less the lead) would be two days before the line was booked, so the line
/// would count as unfilled from the start. It is due the day it is booked instead, and a
/// shipment that day fills it on time.
#[test]
fn a_request_sooner_than_the_lane_is_due_to_ship_the_day_it_is_booked() {
    let mut n = common::network();
    n.advance_to(onhand::ledger::testing::at(-30)).unwrap();
    n.apply(&receipt_to(1, "ATL", "BOLT-M8", "2 CS", "PF-A01", "available").unwrap()).unwrap();
    n.advance_to(onhand::ledger::testing::at(5)).unwrap();
    let req = OrderRequest::new(
        "SO-9".parse().unwrap(),
        1,
        "HOMEPRO".parse().unwrap(),
        "BOLT-M8".parse().unwrap(),
        "50 EA".parse().unwrap(),
        day(5),
    );
    let p = n.allocate(&req).unwrap().promise;
    assert_eq!((p.schedule[0].available_on, p.schedule[0].delivery), (day(5), day(7)));
    let pick = line("BOLT-M8", "50 EA").unwrap().at(bin("PF-A01")).to_bin(bin("STG-01"));
    let body = Body::Pick(mv("ATL", vec![pick.doc_line(1)]));
    n.apply(&ev(10, 20, WH, DocKind::SalesOrder, "SO-9", body)).unwrap();
    let ship = line("BOLT-M8", "50 EA").unwrap().at(bin("STG-01")).doc_line(1);
    let body = Body::Ship(mv("ATL", vec![ship]));
    assert!(n.apply(&ev(11, 30, WH, DocKind::SalesOrder, "SO-9", body)).unwrap().accepted());
    let insight = n.insight().unwrap();
    // Due (and filled) on the 5th, the day it was booked; nothing on the 3rd.
    let on = |d| insight.orders(Period::containing(Grain::Day, day(d)), &Dim::Network).unwrap();
    assert_eq!(on(5).fill_requested.lines, ratio(1, 1));
    assert_eq!(on(5).fill_requested.units, ratio(50, 50));
    assert_eq!(on(3).fill_requested.lines, Ratio::default());
    assert_eq!(n.insight_feed().unwrap().refused, 0);
}

/// The books at a period close reach insight: aging from the FIFO layers (by the day
/// their receipt took effect), turns' valuations by entity and site, and stock in
/// transit; scrapped stock is recorded as such.
///
/// 240 EA of BOLT-M8 (at 0.085) are received at Atlanta and at Chicago on the 5th;
/// Atlanta scraps 10; 100 leave Chicago for Atlanta on TR-1 and are in transit when the
/// network closes its period on the 5th. Aging then: 230 + 140 = 370 EA, 19.55 + 11.90 =
/// 31.45 USD, all under 30 days; in transit one line of 100 EA worth 8.50 USD. Forty
/// days later a second close finds the same layers aged 40 days: the 31 to 60 bucket.
#[test]
fn a_period_close_feeds_aging_valuations_and_stock_in_transit() {
    use onhand::insight::AgingBucket;
    use onhand::status::StockStatus;
    let mut n = common::network();
    n.advance_to(onhand::ledger::testing::at(-30)).unwrap();
    for (id, site) in [(1, "ATL"), (2, "ORD")] {
        n.apply(&receipt_to(id, site, "BOLT-M8", "2 CS", "PF-A01", "available").unwrap()).unwrap();
    }
    let mut scrap = line("BOLT-M8", "10 EA").unwrap().at(bin("PF-A01"));
    scrap.from = Some(StockStatus::Available);
    let controller = ("inv.control", Role::InventoryControl);
    let evr = |id, minutes, who: (&str, Role), reason, number: &str, body| {
        let reference = doc(DocKind::Internal, number).unwrap();
        event(id, minutes, actor(who.0, &[who.1]).unwrap(), reason, reference, body).unwrap()
    };
    let scrap = evr(5, 10, controller, "DAMAGED", "SCR-1", Body::Scrap(mv("ATL", vec![scrap])));
    assert!(n.apply(&scrap).unwrap().accepted());
    let request = Body::TransferRequest(TransferRequest {
        from: "ORD".parse().unwrap(),
        to: "ATL".parse().unwrap(),
        lines: vec![TransferLine {
            item: "BOLT-M8".parse().unwrap(),
            qty: "100 EA".parse().unwrap(),
        }],
        expected_arrival: None,
    });
    let (planner, approver) = (("planner.one", Role::Planning), ("planner.two", Role::Planning));
    n.apply(&ev(30, 20, planner, DocKind::TransferOrder, "TR-1", request)).unwrap();
    n.apply(&ev(31, 30, approver, DocKind::TransferOrder, "TR-1", Body::TransferApprove)).unwrap();
    let ship =
        Body::TransferShip(mv("ORD", vec![line("BOLT-M8", "100 EA").unwrap().at(bin("PF-A01"))]));
    assert!(n.apply(&ev(32, 40, WH, DocKind::TransferOrder, "TR-1", ship)).unwrap().accepted());
    let finance = ("finance", Role::Finance);
    let close = |id, minutes, through| {
        let body =
            Body::ClosePeriod { through: onhand::ledger::testing::at(through), entity: None };
        evr(id, minutes, finance, "PERIOD-END", &format!("CLOSE-{id}"), body)
    };
    assert!(n.apply(&close(40, 60, 0)).unwrap().accepted());

    let insight = n.insight().unwrap();
    let aging = insight.aging(day(5), &Dim::Network).unwrap();
    let held = |b: &AgingBucket| (b.from_days, b.qty, b.value.get(common::usd()));
    assert_eq!(held(&aging.buckets[0]), (0, Decimal::from(370), Decimal::new(3145, 2)));
    assert!(aging.buckets[1..].iter().all(|b| b.qty.is_zero()));
    let atl = insight.aging(day(5), &Dim::Site("ATL".parse().unwrap())).unwrap();
    assert_eq!(held(&atl.buckets[0]), (0, Decimal::from(230), Decimal::new(1955, 2)));
    let transit = insight.in_transit(day(5), &Dim::Network).unwrap();
    assert_eq!((transit.lines, transit.qty), (1, Decimal::from(100)));
    assert_eq!(transit.value.get(common::usd()), Decimal::new(850, 2));
    let turns = insight.turns(Period::containing(Grain::Day, day(5)), &Dim::Network).unwrap();
    assert_eq!(turns.valued_days, 1);
    // The scrap reached insight as stock scrapped at Atlanta.
    let state = serde_json::to_string(&insight.snapshot()).unwrap();
    assert!(state.contains("\"scrapped\""), "{state}");

    let forty = 40 * 24 * 60;
    n.advance_to(onhand::ledger::testing::at(forty)).unwrap();
    assert!(n.apply(&close(41, forty + 10, forty - 24 * 60)).unwrap().accepted());
    let later = NaiveDate::from_ymd_opt(2026, 2, 14).unwrap();
    let aging = n.insight().unwrap().aging(later, &Dim::Network).unwrap();
    assert_eq!(held(&aging.buckets[1]), (31, Decimal::from(370), Decimal::new(3145, 2)));
    assert!(aging.buckets[0].qty.is_zero());
    assert_eq!(n.insight_feed().unwrap().refused, 0);
    assert_eq!(n.insight_feed().unwrap().unmatched, 0);
}

/// Issue 20 through the feed, on the worked day (ship-by date the 5th for every line):
///
/// 1. SO-1/1's shipment of 100 (event 11) is reversed on the 6th: it is un-shipped, so
///    70 of 200 units were shipped by the ship-by date (30 of SO-1/2, 40 of SO-2/1),
///    1 line of 3 in full, order SO-2 of 2; SO-1 is open again.
/// 2. The 100 ship again on the 6th, late: the units stay 70 of 200 on time.
/// 3. A loss of 10 at Atlanta, then its reversal: the adjustment volume is 1, then 0.
/// 4. PO-7, expected from ACME: line 1 brings 120 EA of NUT-M8 to Atlanta on the 6th;
///    5 EA go back to ACME the next day: ACME's receipt is followed by trouble, 1 of 1.
///    Then line 2 brings 120 EA of BOLT-M8-SS, a receipt reversed inside its window:
///    ACME is back to 1 receipt of 120 units, followed 1.
#[test]
#[allow(clippy::too_many_lines)] // one worked story, step by step
fn reversals_and_returns_to_supplier_follow_into_the_figures() {
    let mut n = worked_day();
    let ic = ("inv.control", Role::InventoryControl);
    let day_min = 24 * 60;
    let reversal = |id: u128, minutes: i64, original: u128| {
        ev(
            id,
            minutes,
            ic,
            DocKind::Internal,
            &format!("REV-{id}"),
            Body::Reversal { event: EventId::from_u128(original) },
        )
    };
    let o = n.apply(&reversal(60, day_min, 11)).unwrap();
    assert!(o.accepted(), "{o:?}");
    let insight = n.insight().unwrap();
    let k = insight.orders(january(), &Dim::Network).unwrap();
    assert_eq!(k.fill_requested.units, ratio(70, 200));
    assert_eq!(k.fill_requested.lines, ratio(1, 3));
    assert_eq!(k.fill_requested.orders, Some(ratio(1, 2)));
    assert_eq!(k.promise_accuracy, ratio(1, 3));

    // The 100 ship again, a day late.
    let ship = line("BOLT-M8", "100 EA").unwrap().at(bin("STG-01")).doc_line(1);
    let o = n.apply(&ev(
        61,
        day_min + 10,
        WH,
        DocKind::SalesOrder,
        "SO-1",
        Body::Ship(mv("ATL", vec![ship])),
    ));
    assert!(o.unwrap().accepted());
    let k = n.insight().unwrap().orders(january(), &Dim::Network).unwrap();
    assert_eq!(k.fill_requested.units, ratio(70, 200));
    assert_eq!(k.fill_requested.lines, ratio(1, 3));

    // A loss and its reversal.
    let mut loss = line("BOLT-M8", "10 EA").unwrap().at(bin("PF-A01"));
    loss.from = Some(onhand::status::StockStatus::Available);
    let adj = event(
        62,
        day_min + 20,
        actor(ic.0, &[ic.1]).unwrap(),
        "LOST",
        doc(DocKind::Internal, "ADJ-1").unwrap(),
        Body::Adjustment(mv("ATL", vec![loss])),
    )
    .unwrap();
    let o = n.apply(&adj);
    assert!(o.unwrap().accepted());
    assert_eq!(n.insight().unwrap().adjustments(january(), &Dim::Network).unwrap().count, 1);
    assert!(n.apply(&reversal(63, day_min + 30, 62)).unwrap().accepted());
    let a = n.insight().unwrap().adjustments(january(), &Dim::Network).unwrap();
    assert_eq!((a.count, a.net_units), (0, Decimal::ZERO));

    // Receipts from ACME, part of one sent back, another reversed.
    for (line_no, item) in [(1, "NUT-M8"), (2, "BOLT-M8-SS")] {
        n.expect(onhand::ExpectedReceipt {
            order: "PO-7".parse().unwrap(),
            line: line_no,
            supplier: Some("ACME".parse().unwrap()),
            item: item.parse().unwrap(),
            site: "ATL".parse().unwrap(),
            qty: "120 EA".parse().unwrap(),
            due: day(8),
            unit_cost: Some(onhand::master::Money::new(Decimal::new(4, 2), common::usd())),
        })
        .unwrap();
    }
    let receive = |id: u128, minutes: i64, line_no: u32, item: &str| {
        let mut l = line(item, "120 EA").unwrap().at(bin("PF-A01")).doc_line(line_no);
        l.to = Some(onhand::status::StockStatus::Available);
        ev(id, minutes, WH, DocKind::PurchaseOrder, "PO-7", Body::Receipt(mv("ATL", vec![l])))
    };
    assert!(n.apply(&receive(64, day_min + 40, 1, "NUT-M8")).unwrap().accepted());
    let back = line("NUT-M8", "5 EA").unwrap().at(bin("PF-A01")).original(EventId::from_u128(64));
    let body = Body::SupplierReturn(mv("ATL", vec![back]));
    let o = n.apply(&ev(65, 2 * day_min, WH, DocKind::PurchaseOrder, "RTV-1", body));
    assert!(o.unwrap().accepted());
    let acme = |n: &Network| {
        let s = n
            .insight()
            .unwrap()
            .supplier_receipts(january(), Some(&"ACME".parse().unwrap()))
            .unwrap();
        (s.receipts, s.followed, s.qty)
    };
    assert_eq!(acme(&n), (1, 1, Decimal::from(120)));
    assert!(n.apply(&receive(66, 2 * day_min + 10, 2, "BOLT-M8-SS")).unwrap().accepted());
    assert_eq!(acme(&n), (2, 1, Decimal::from(240)));
    assert!(n.apply(&reversal(67, 2 * day_min + 20, 66)).unwrap().accepted());
    assert_eq!(acme(&n), (1, 1, Decimal::from(120)));

    let feed = n.insight_feed().unwrap();
    assert_eq!((feed.refused, feed.unmatched), (0, 0), "{feed:?}");
    n.check().unwrap();
    // The journal replayed, and a snapshot restored, give the same figures.
    let (replayed, stats) = Network::replay_insight(
        onhand::master::seed::demo_network(),
        common::rules(),
        common::config(),
        InsightSettings::default(),
        common::start(),
        n.journal().entries(),
    )
    .unwrap();
    assert_eq!(&stats, n.insight_feed().unwrap());
    assert_eq!(replayed.report(january()).unwrap(), n.kpi_report(january()).unwrap());
    let json = serde_json::to_string(&n.snapshot().unwrap()).unwrap();
    let snapshot: onhand::NetworkSnapshot = serde_json::from_str(&json).unwrap();
    let mut restored =
        Network::restore(n.catalog().clone(), common::rules(), common::config(), &snapshot)
            .unwrap();
    assert_eq!(restored.digest().unwrap(), n.digest().unwrap());
    // The restored feed still knows what the second shipment fed: its reversal
    // un-ships it there as here.
    for net in [&mut n, &mut restored] {
        assert!(net.apply(&reversal(68, 2 * day_min + 30, 61)).unwrap().accepted());
    }
    assert_eq!(restored.kpi_report(january()).unwrap(), n.kpi_report(january()).unwrap());
    let k = n.insight().unwrap().orders(january(), &Dim::Network).unwrap();
    assert_eq!(k.fill_requested.lines, ratio(1, 3));
    assert_eq!(n.insight_feed().unwrap().refused, 0);
}

/// An order line released and booked again under its reference for an item counted in
/// another unit (found by the `journal_edits` fuzz target): the KPI line keeps the unit
/// it was created in, and what is promised or shipped in another unit does not add to
/// its figures (as for a substitute counted in another unit). Before, the feed sent a
/// promise in metres for a line of eaches, insight refused it, and the network's
/// invariants failed.
#[test]
fn a_line_booked_again_for_an_item_in_another_unit_keeps_its_kpi_line() {
    let mut n = common::network();
    n.apply(&receipt_to(1, "ATL", "BOLT-M8", "1200 EA", "PF-A01", "available").unwrap()).unwrap();
    n.apply(&receipt_to(2, "ATL", "CABLE-CU", "1200 M", "PF-A01", "available").unwrap()).unwrap();
    n.allocate(&common::bolt_order(1, "10 EA")).unwrap();
    n.release(&onhand::OrderRef { order: "SO-1".parse().unwrap(), line: 1 }).unwrap();
    let mut cable = common::bolt_order(1, "30 M");
    cable.item = "CABLE-CU".parse().unwrap();
    n.allocate(&cable).unwrap();
    n.check().unwrap();
    let unmatched = n.insight_feed().unwrap().unmatched;
    let pick = line("CABLE-CU", "30 M").unwrap().at(bin("PF-A01")).to_bin(bin("STG-01"));
    let body = Body::Pick(mv("ATL", vec![pick.doc_line(1)]));
    n.apply(&ev(10, 20, WH, DocKind::SalesOrder, "SO-1", body)).unwrap();
    let ship = line("CABLE-CU", "30 M").unwrap().at(bin("STG-01")).doc_line(1);
    n.apply(&ev(11, 30, WH, DocKind::SalesOrder, "SO-1", Body::Ship(mv("ATL", vec![ship]))))
        .unwrap();
    n.check().unwrap();
    assert_eq!(n.insight_feed().unwrap().unmatched, unmatched + 1, "the shipment in metres");
    assert_eq!(n.insight_feed().unwrap().refused, 0);
}

/// A count record from before the network's start (`minutes` after the ledger
/// builders' epoch, negative), at `site`: 118 of 120 found.
fn old_count(minutes: i64, site: &str) -> onhand::insight::Record {
    onhand::insight::Record::CountRecorded(onhand::insight::CountRecorded {
        at: onhand::ledger::testing::at(minutes),
        item: "BOLT-M8".parse().unwrap(),
        site: site.parse().unwrap(),
        bin: None,
        class: onhand::master::VelocityClass::A,
        counter: "inv.control".parse().unwrap(),
        book: "120 EA".parse().unwrap(),
        counted: "118 EA".parse().unwrap(),
        tolerance: "1 EA".parse().unwrap(),
        variance_value: onhand::master::Money::new(Decimal::new(-17, 2), common::usd()),
    })
}

/// KPI history is imported all or nothing, and journaled: a batch with one record
/// insight refuses (an unknown site) takes nothing and names the record; an accepted
/// batch feeds the figures, and a replay of the journal, or a snapshot restored, is the
/// same network, digest for digest.
#[test]
fn history_is_imported_whole_or_not_at_all_and_journaled() {
    let mut n = common::network();
    let head = n.journal().head();
    let before = n.digest().unwrap();
    let bad = [old_count(-500, "ATL"), old_count(-400, "NOWHERE")];
    let e = n.import_insight(&bad).unwrap_err();
    assert!(matches!(e, onhand::Error::HistoryRecord { index: 1, .. }), "{e:?}");
    assert_eq!(e.code(), "unknown_site");
    assert_eq!((n.journal().head(), n.digest().unwrap()), (head, before));
    assert_eq!(n.insight().unwrap().records(), 0);

    n.import_insight(&[old_count(-500, "ATL"), old_count(-400, "ORD")]).unwrap();
    assert_eq!(n.insight().unwrap().records(), 2);
    assert_eq!(n.journal().head().seq, head.seq + 1);
    let counts = n.insight().unwrap().counts(january(), &Dim::Network).unwrap();
    assert_eq!(counts.accuracy, Ratio::of_counts(0, 2));
    // The network goes on from there.
    n.apply(&receipt_to(1, "ATL", "BOLT-M8", "1 CS", "PF-A01", "available").unwrap()).unwrap();
    common::assert_replays(&n, common::config());
    let restored = Network::restore(
        n.catalog().clone(),
        common::rules(),
        common::config(),
        &n.snapshot().unwrap(),
    )
    .unwrap();
    assert_eq!(restored.digest().unwrap(), n.digest().unwrap());
}

/// History newer than the network's next event does not make insight refuse what the
/// event feeds: the feed goes on from the newest time insight holds, as it does for a
/// back-dated event (counted late), and the engines still agree.
#[test]
fn an_event_older_than_the_imported_history_is_fed_late_not_refused() {
    let mut n = common::network();
    n.import_insight(&[old_count(60, "ATL")]).unwrap();
    n.apply(&receipt_to(1, "ATL", "BOLT-M8", "1 CS", "PF-A01", "available").unwrap()).unwrap();
    n.apply(&common::loss(2, 5, "2 EA")).unwrap();
    let fed = n.insight_feed().unwrap();
    assert_eq!(fed.refused, 0, "{fed:?}");
    assert!(fed.late >= 1, "{fed:?}");
    n.check().unwrap();
    common::assert_replays(&n, common::config());
}
