//! The master-schedule record (`onhand_atp::mps`): textbook records worked by hand, and
//! the record's arithmetic as properties.
//!
//! Source: Jacobs & Chase, *Operations and Supply Chain Management*, master production
//! scheduling, the industrial pumps example (64 on hand; forecast 30 a week in June and
//! 40 in July; customer orders 33, 20, 10, 4, 2; lots of 70 "when projected on-hand
//! inventory would be negative without production"), and its exercise variant (60 on
//! hand, orders 34, 20, 10, 4, 2, production when the balance would fall below 10).
//!
//! Properties: (a) `projected(t) = projected(t−1) + mps(t) − gross(t)` and
//! `gross(t) = orders(t)` inside the demand fence, `max(forecast, orders)` beyond;
//! (b) nothing is planned inside the planning fence, and beyond it the balance never
//! ends below safety stock; (c) a planned quantity is sized by the lot rule for exactly
//! the requirement that triggered it (lot-for-lot ends at safety stock); (d) the ATP row
//! is `atp_table` over the MPS and the orders.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

use TableCell::{Blank, Qty};
use onhand_atp::{MpsInput, MpsLot, MpsRow, TableCell, TableMode, TableRule, atp_table, mps};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn d(v: i64) -> Decimal {
    Decimal::from(v)
}

fn ds(v: &[i64]) -> Vec<Decimal> {
    v.iter().map(|x| d(*x)).collect()
}

fn pumps() -> MpsInput {
    MpsInput::new(
        d(64),
        ds(&[30, 30, 30, 30, 40, 40, 40, 40]),
        ds(&[33, 20, 10, 4, 2]),
        MpsLot::Fixed(d(70)),
    )
}

fn column(rows: &[MpsRow], f: fn(&MpsRow) -> Decimal) -> Vec<Decimal> {
    rows.iter().map(f).collect()
}

#[test]
fn the_pump_record_as_printed() {
    // By hand: week 1 gross max(30, 33) = 33, 64 − 33 = 31; week 2: 31 − 30 = 1; week 3:
    // 1 − 30 = −29, so 70 arrive: 41; week 4: 11; week 5: 11 − 40 = −29 + 70 = 41; week
    // 6: 1; week 7: −39 + 70 = 31; week 8: −9 + 70 = 61. ATP (look-ahead): week 1:
    // 64 − (33 + 20) = 11; week 3: 70 − (10 + 4) = 56; week 5: 70 − 2 = 68; weeks 7 and
    // 8: 70.
    let rows = mps(&pumps()).unwrap();
    assert_eq!(column(&rows, |r| r.gross), ds(&[33, 30, 30, 30, 40, 40, 40, 40]));
    assert_eq!(column(&rows, |r| r.projected), ds(&[31, 1, 41, 11, 41, 1, 31, 61]));
    assert_eq!(column(&rows, |r| r.mps), ds(&[0, 0, 70, 0, 70, 0, 70, 70]));
    assert_eq!(column(&rows, |r| r.forecast), ds(&[30, 30, 30, 30, 40, 40, 40, 40]));
    let atp: Vec<TableCell> = rows.iter().map(|r| r.atp).collect();
    assert_eq!(
        atp,
        [Qty(d(11)), Blank, Qty(d(56)), Blank, Qty(d(68)), Blank, Qty(d(70)), Qty(d(70))]
    );
}

#[test]
fn production_when_the_balance_would_fall_below_ten() {
    // 60 on hand, orders 34, 20, 10, 4, 2, safety level 10. By hand: 60 − 34 = 26; 26 −
    // 30 = −4 < 10 → +70 = 66; 36; 6 < 10 → 76; 36; −4 → 66; 26; −14 → 56. MPS in weeks
    // 2, 4, 6, 8. ATP: week 1: 60 − 34 = 26; week 2: 70 − (20 + 10) = 40; week 4:
    // 70 − (4 + 2) = 64; weeks 6 and 8: 70.
    let mut input = pumps();
    input.on_hand = d(60);
    input.orders = ds(&[34, 20, 10, 4, 2]);
    input.safety_stock = d(10);
    let rows = mps(&input).unwrap();
    assert_eq!(column(&rows, |r| r.projected), ds(&[26, 66, 36, 76, 36, 66, 26, 56]));
    assert_eq!(column(&rows, |r| r.mps), ds(&[0, 70, 0, 70, 0, 70, 0, 70]));
    let atp: Vec<TableCell> = rows.iter().map(|r| r.atp).collect();
    assert_eq!(
        atp,
        [Qty(d(26)), Qty(d(40)), Blank, Qty(d(64)), Blank, Qty(d(70)), Blank, Qty(d(70))]
    );
}

#[test]
fn time_fences() {
    // Demand fence at week 2: weeks 1 and 2 count orders only (33, 20): 31, 11; week 3:
    // 11 − 30 = −19 → 51; week 4: 21; week 5: −19 → 51; week 6: 11; week 7: −29 → 41;
    // week 8: 1. The week 8 lot is no longer needed.
    let mut input = pumps();
    input.demand_fence = 2;
    let rows = mps(&input).unwrap();
    assert_eq!(column(&rows, |r| r.gross), ds(&[33, 20, 30, 30, 40, 40, 40, 40]));
    assert_eq!(column(&rows, |r| r.projected), ds(&[31, 11, 51, 21, 51, 11, 41, 1]));
    assert_eq!(column(&rows, |r| r.mps), ds(&[0, 0, 70, 0, 70, 0, 70, 0]));
    // Planning fence at week 3 without firm receipts: week 3 gets nothing planned and
    // goes to −29; week 4: −29 − 30 = −59, which one lot of 70 covers: 11; week 5:
    // −29 → 41; then 1, 31, 61 as before.
    let mut fenced = pumps();
    fenced.planning_fence = 3;
    let rows = mps(&fenced).unwrap();
    assert_eq!(column(&rows, |r| r.projected), ds(&[31, 1, -29, 11, 41, 1, 31, 61]));
    assert_eq!(column(&rows, |r| r.planned), ds(&[0, 0, 0, 70, 70, 0, 70, 70]));
    // The same fence with the week 3 lot firm: the printed record again, the week 3
    // quantity firm rather than planned.
    fenced.firm = ds(&[0, 0, 70]);
    let rows = mps(&fenced).unwrap();
    assert_eq!(column(&rows, |r| r.projected), ds(&[31, 1, 41, 11, 41, 1, 31, 61]));
    assert_eq!(column(&rows, |r| r.planned), ds(&[0, 0, 0, 0, 70, 0, 70, 70]));
    assert_eq!(column(&rows, |r| r.mps), ds(&[0, 0, 70, 0, 70, 0, 70, 70]));
}

#[test]
fn lot_sizing_rules() {
    // Lot-for-lot: each shortage exactly: week 3 needs 29, week 4 30, week 5 40, ...
    let mut l4l = pumps();
    l4l.lot = MpsLot::LotForLot;
    let rows = mps(&l4l).unwrap();
    assert_eq!(column(&rows, |r| r.mps), ds(&[0, 0, 29, 30, 40, 40, 40, 40]));
    assert_eq!(column(&rows, |r| r.projected), ds(&[31, 1, 0, 0, 0, 0, 0, 0]));
    // Multiples of 25: week 3 needs 29 → 50 (21 left); week 4 needs 9 → 25 (16); week
    // 5 needs 24 → 25 (1); week 6 needs 39 → 50 (11); week 7 needs 29 → 50 (21); week 8
    // needs 19 → 25 (6).
    let mut multiple = pumps();
    multiple.lot = MpsLot::Multiple(d(25));
    let rows = mps(&multiple).unwrap();
    assert_eq!(column(&rows, |r| r.mps), ds(&[0, 0, 50, 25, 25, 50, 50, 25]));
    assert_eq!(column(&rows, |r| r.projected), ds(&[31, 1, 21, 16, 1, 11, 21, 6]));
    // A fixed lot too small for the need is raised to it: lots of 20, week 3 needs 29.
    let mut small = pumps();
    small.lot = MpsLot::Fixed(d(20));
    let rows = mps(&small).unwrap();
    assert_eq!(rows[2].mps, d(29));
}

#[test]
fn per_period_atp_by_name() {
    // The pump record with per-period ATP (no consumption): week 1: 64 − 33 = 31; week 2:
    // 0 − 20 = −20; week 3: 70 − 10 = 60; week 4: −4; week 5: 68; week 6: 0; weeks 7 and
    // 8: 70.
    let mut input = pumps();
    input.atp = TableRule::plain(TableMode::PerPeriod);
    let rows = mps(&input).unwrap();
    let atp: Vec<TableCell> = rows.iter().map(|r| r.atp).collect();
    let want = [31, -20, 60, -4, 68, 0, 70, 70].map(|v| Qty(d(v)));
    assert_eq!(atp, want);
}

fn lot() -> impl Strategy<Value = MpsLot> {
    prop_oneof![
        Just(MpsLot::LotForLot),
        (1i64..100).prop_map(|q| MpsLot::Fixed(d(q))),
        (1i64..50).prop_map(|q| MpsLot::Multiple(d(q))),
    ]
}

prop_compose! {
    fn input()(
        on_hand in 0i64..200,
        forecast in prop::collection::vec(0i64..80, 1..12),
        orders in prop::collection::vec(prop_oneof![Just(0i64), 0i64..100], 0..12),
        firm in prop::collection::vec(prop_oneof![Just(0i64), Just(0i64), 0i64..100], 0..12),
        safety in prop_oneof![Just(0i64), 0i64..40],
        lot in lot(),
        demand_fence in 0usize..5,
        planning_fence in 0usize..5,
    ) -> MpsInput {
        let n = forecast.len();
        MpsInput {
            on_hand: d(on_hand),
            forecast: ds(&forecast),
            orders: ds(&orders[..orders.len().min(n)]),
            firm: ds(&firm[..firm.len().min(n)]),
            safety_stock: d(safety),
            lot,
            demand_fence,
            planning_fence,
            atp: TableRule::plain(TableMode::Discrete),
        }
    }
}

proptest! {
    #[test]
    fn the_record_holds(input in input()) {
        let rows = mps(&input).unwrap();
        prop_assert_eq!(rows.len(), input.forecast.len());
        let mut prev = input.on_hand;
        for r in &rows {
            let t = r.period - 1;
            let orders = input.orders.get(t).copied().unwrap_or_default();
            let firm = input.firm.get(t).copied().unwrap_or_default();
            let gross = if r.period <= input.demand_fence { orders } else { input.forecast[t].max(orders) };
            prop_assert_eq!(r.gross, gross);
            prop_assert_eq!(r.mps, firm + r.planned);
            prop_assert_eq!(r.projected, prev + r.mps - r.gross);
            let before = prev + firm - gross;
            if r.period <= input.planning_fence {
                prop_assert_eq!(r.planned, Decimal::ZERO);
            } else {
                prop_assert!(r.projected >= input.safety_stock);
                if before >= input.safety_stock {
                    prop_assert_eq!(r.planned, Decimal::ZERO);
                } else {
                    let need = input.safety_stock - before;
                    match input.lot {
                        MpsLot::LotForLot => prop_assert_eq!(r.projected, input.safety_stock),
                        MpsLot::Fixed(q) => prop_assert_eq!(r.planned, q.max(need)),
                        MpsLot::Multiple(m) => {
                            prop_assert_eq!((r.planned / m).fract(), Decimal::ZERO);
                            prop_assert!(r.planned >= need && r.planned - m < need);
                        }
                    }
                }
            }
            prev = r.projected;
        }
        let supply: Vec<Decimal> = rows.iter().map(|r| r.mps).collect();
        let orders: Vec<Decimal> = rows.iter().map(|r| r.orders).collect();
        let table = atp_table(input.on_hand, &supply, &orders, input.atp).unwrap();
        let atp: Vec<TableCell> = rows.iter().map(|r| r.atp).collect();
        prop_assert_eq!(atp, table.iter().map(|r| r.atp).collect::<Vec<_>>());
    }
}

/// A forecast figure written as `2` and a million underscores: `rust_decimal`'s own
/// parser (which plain `Decimal` fields used through its serde) recurses once per
/// underscore and overflowed the stack, aborting the process, even in release builds.
/// Every decimal of the input now goes through the plain-decimal rule, which refuses
/// underscores before any parsing. The JSON of a valid input is unchanged.
#[test]
fn a_forecast_figure_of_a_million_underscores_is_refused_not_a_stack_overflow() {
    let json = serde_json::to_string(&pumps()).unwrap();
    assert!(json.contains(r#""forecast":["30","30","30""#), "{json}");
    let back: MpsInput = serde_json::from_str(&json).unwrap();
    assert_eq!(back, pumps());
    let hostile = json.replacen(r#""30""#, &format!("\"2{}\"", "_".repeat(1_000_000)), 1);
    let got = serde_json::from_str::<MpsInput>(&hostile);
    assert!(got.is_err_and(|e| e.to_string().contains("is not a decimal number")));
}
