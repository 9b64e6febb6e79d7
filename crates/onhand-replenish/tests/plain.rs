//! Replenishment from plain numbers (`onhand_replenish::plain`): textbook cases worked
//! by hand, and the rules that tie the levels to the evaluation of the policy they make.
//!
//! Sources:
//! - Chopra & Meindl, *Supply Chain Management: Strategy, Planning, and Operation*,
//!   ch. "Managing Uncertainty in a Supply Chain: Safety Inventory" (the Lego and Dell
//!   examples) and ch. "Managing Economies of Scale in a Supply Chain: Cycle Inventory"
//!   (the Best Buy example).
//! - Silver, Pyke & Thomas, *Inventory and Production Management in Supply Chains*,
//!   the table of the unit normal loss function `G_u(k)` and the lost-sales form of the
//!   fill rate, `G_u(k) = (Q / σL) (1 − P2) / P2`.
//!
//! Properties:
//! - (a) a rounded level is the smallest multiple of the step at or above the exact one;
//! - (b) the levels for a cycle service level, evaluated as a policy, give that service
//!   level back; for a fill rate, that fill rate back; the implied safety stock of the
//!   reorder point is the safety stock;
//! - (c) a higher cycle service level never lowers safety stock;
//! - (d) the lost-sales fill rate is never below the backorder one, both at most 1, the
//!   cycle service level in [0, 1], average inventory (on hand) never negative and,
//!   less the average backorders, cycle plus safety stock, and the average backorders
//!   the expected shortage integrated over the cycle's positions;
//! - (e) (s, S) evaluates as (s, Q) with `Q = S − s`;
//! - (f) at the EOQ, with certain demand, annual ordering cost equals holding cost.
// Figures such as 1,000.0 and 6,000.0 are exact in binary, so `float_cmp` would only hide
// a wrong result behind a tolerance.
#![allow(clippy::unwrap_used, clippy::float_arithmetic, clippy::float_cmp)]

use onhand_replenish::DemandStats;
use onhand_replenish::normal::loss;
use onhand_replenish::plain::{
    Demand, Evaluation, Policy, Service, Year, eoq, evaluate, implied_by_reorder_point, levels,
    order_up_to, reorder_point, safety_stock,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

fn d(v: i64) -> Decimal {
    Decimal::from(v)
}

/// Chopra & Meindl's Lego store: 2,500 boxes a week (sd 500), lead time 2 weeks.
fn lego() -> Demand {
    Demand::from_stats(&DemandStats::weekly(2500.0, 500.0), 2.0, 0.0)
}

/// The average backorders of an evaluated (s, Q) policy, worked out independently of
/// the second-order loss function: the expected shortage at each inventory position y
/// in (s, s + Q], `σ G((y − μ) / σ)` (or `(μ − y)+` for certain demand), integrated by
/// Simpson's rule and divided by Q. In deviations, the range splits where `G(t)` is
/// straight (`−t` below −10, 0 above 40) and where it bends.
fn integrated_backorders(e: &Evaluation) -> f64 {
    fn simpson(f: impl Fn(f64) -> f64, from: f64, to: f64) -> f64 {
        if to <= from {
            return 0.0;
        }
        let n = 2_000;
        let step = (to - from) / f64::from(n);
        let mut sum = f(from) + f(to);
        for k in 1..n {
            sum += f(from + step * f64::from(k)) * if k % 2 == 1 { 4.0 } else { 2.0 };
        }
        sum * step / 3.0
    }
    let (q, sigma, ss) = (e.cycle_quantity, e.sigma_over_interval, e.safety_stock);
    if sigma == 0.0 {
        // Short by a − u at position s + u while u < a = −SS.
        return simpson(|u| -ss - u, 0.0, (-ss).min(q)) / q;
    }
    let (lo, hi) = (ss / sigma, (ss + q) / sigma);
    let mut total = 0.0;
    for (from, to) in [(lo, -10.0_f64), (-10.0, 10.0), (10.0, 40.0)] {
        total += simpson(loss, from.max(lo), to.min(hi));
    }
    sigma * sigma / q * total
}

fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!((got - want).abs() <= tol, "{what}: got {got}, want {want} (±{tol})");
}

#[test]
fn safety_stock_reorder_point_and_order_up_to_from_plain_numbers() {
    // Lego, CSL 90%: σL = sqrt(2) × 500 = 707.107; z = Φ⁻¹(0.9) = 1.281552; SS = 906.19
    // (book: 906); ROP = 5,000 + 906.19 = 5,906.19 (book: 5,906), rounded up 5,907.
    let l = levels(&lego(), 0.0, Service::CycleServiceLevel(0.9), Decimal::ONE).unwrap();
    close("σL", l.sigma_over_interval, 707.107, 0.001);
    close("z", l.z, 1.281_552, 1e-6);
    close("SS", l.safety_stock.exact, 906.19, 0.005);
    close("ROP", l.reorder_point.exact, 5_906.19, 0.005);
    assert_eq!((l.safety_stock.rounded, l.reorder_point.rounded), (d(907), d(5_907)));
    assert_eq!(l.order_up_to, None);
    // The same in lots of 100 (the unit a textbook comparison should not depend on):
    // the exact figures do not move.
    let hundreds = levels(&lego(), 0.0, Service::CycleServiceLevel(0.9), d(100)).unwrap();
    assert_eq!(hundreds.safety_stock.exact, l.safety_stock.exact);
    assert_eq!(
        (hundreds.safety_stock.rounded, hundreds.reorder_point.rounded),
        (d(1_000), d(6_000))
    );
    // Dell, with lead-time variability: 2,500 a day (sd 500), 7 days (sd 7), CSL 90%:
    // σL = sqrt(7 × 250,000 + 6,250,000 × 49) = sqrt(308,000,000) = 17,549.93;
    // SS = 1.281552 × 17,549.93 = 22,491.14 (book: 22,491).
    let dell = Demand { mean: 2500.0, std_dev: 500.0, lead_time: 7.0, lead_time_std_dev: 7.0 };
    let ss = safety_stock(&dell, 0.0, Service::CycleServiceLevel(0.9), Decimal::ONE).unwrap();
    close("Dell SS", ss.exact, 22_491.14, 0.01);
    assert_eq!(ss.rounded, d(22_492));
    // Lego under periodic review every 4 weeks: σ(T+L) = sqrt(6) × 500 = 1,224.74,
    // SS = 1,569.57, OUL = 15,000 + 1,569.57 = 16,569.57 (book: 16,570).
    let oul = order_up_to(&lego(), 4.0, Service::CycleServiceLevel(0.9), Decimal::ONE).unwrap();
    close("OUL", oul.exact, 16_569.57, 0.005);
    assert_eq!(oul.rounded, d(16_570));
    // A safety factor given directly: z = 1.645 → SS = 1.645 × 707.107 = 1,163.19.
    let rop = reorder_point(&lego(), Service::SafetyFactor(1.645), Decimal::ONE).unwrap();
    close("ROP for z 1.645", rop.exact, 6_163.19, 0.005);
}

#[test]
fn fill_rate_safety_stock_takes_the_lot_size() {
    // Lego, fill rate with lots of Q: ESC = (1 − fr) Q = σL G(k). Chopra & Meindl's table
    // for Q = 10,000: fr 97.5% → SS 67; 98% → 183; 99% → 499. By hand for 97.5%: G(k) =
    // 250 / 707.107 = 0.353553; G(0) = 0.398942 and G'(k) = −(1 − Φ(k)) ≈ −0.48 near 0, so
    // k ≈ 0.0943 and SS = 0.0943 × 707.1 = 66.7.
    for (fr, unrounded, book) in [(0.975, 66.70, 67), (0.98, 182.97, 183), (0.99, 499.25, 499)] {
        let fill = Service::FillRate { rate: fr, lot_size: 10_000.0 };
        let l = levels(&lego(), 0.0, fill, Decimal::ONE).unwrap();
        close(&format!("SS for {fr}"), l.safety_stock.exact, unrounded, 0.01);
        assert!((l.safety_stock.exact - f64::from(book)).abs() < 1.0);
    }
    // A smaller lot needs more safety stock for the same fill rate: Q = 5,000 at 97.5%
    // gives G(k) = 125 / 707.107 = 0.176777, between G(0.5) = 0.1978 and G(0.6) = 0.1687
    // (Silver, Pyke & Thomas's table), so k is about 0.57.
    let small =
        levels(&lego(), 0.0, Service::FillRate { rate: 0.975, lot_size: 5_000.0 }, Decimal::ONE)
            .unwrap();
    assert!(small.z > 0.5 && small.z < 0.6, "k {}", small.z);
}

#[test]
fn evaluating_a_continuous_review_policy() {
    // Lego, "evaluating CSL and fill rate given a replenishment policy": ROP 6,000, Q
    // 10,000. SS = 6,000 − 5,000 = 1,000; k = 1,000 / 707.107 = 1.414214; CSL = Φ(1.414) =
    // 0.92135 (book: 0.92). ESC = σL G(k) = 707.107 × (φ(1.414) − 1.414 × (1 − 0.92135)) =
    // 707.107 × (0.146763 − 0.111229) = 25.13 (book: 25.13); fill rate = 1 − 25.13 /
    // 10,000 = 0.99749 (book: 0.9975). Lost sales: 10,000 / 10,025.13 = 0.99749. Cycle
    // stock 5,000; average net inventory Q/2 + SS = 6,000 (the book's average
    // inventory), plus average backorders (σL² / Q)(G2(1.414214) − G2(15.56)) = 50 ×
    // 0.0141975 = 0.709877 on hand: 6,000.709877; flow time 6,000.71 / 2,500 = 2.40028
    // weeks (book: 2.4). With a 52-week year, 400 an order and 2 a unit-year: 130,000 /
    // 10,000 = 13 orders (5,200) and 6,000.71 × 2 = 12,001.42 holding, 17,201.42 in all
    // (book, without the backorders: 17,200).
    let year = Year { periods: 52.0, order_cost: 400.0, holding_per_unit: 2.0 };
    let sq = Policy::ReorderPointLot { reorder_point: 6_000.0, lot: 10_000.0 };
    let e = evaluate(&lego(), sq, Some(year)).unwrap();
    close("z", e.z.unwrap(), std::f64::consts::SQRT_2, 1e-12);
    close("CSL", e.cycle_service_level, 0.921_35, 1e-5);
    close("ESC", e.expected_shortage_per_cycle, 25.13, 0.005);
    close("fill rate", e.fill_rate_backorder, 0.997_49, 1e-5);
    close("fill rate, lost sales", e.fill_rate_lost_sales, 10_000.0 / 10_025.127, 1e-7);
    assert_eq!((e.cycle_stock, e.safety_stock), (5_000.0, 1_000.0));
    close("average backorders", e.average_backorders, 0.709_877, 1e-6);
    close("average inventory", e.average_inventory, 6_000.709_877, 1e-6);
    close("flow time", e.flow_time.unwrap(), 2.400_284, 1e-6);
    close("orders a year", e.orders_per_year.unwrap(), 13.0, 1e-12);
    let cost = e.annual_cost.unwrap();
    assert_eq!(cost.ordering, 5_200.0);
    close("holding", cost.holding, 12_001.419_753, 1e-5);
    close("annual cost", cost.total, 17_201.419_753, 1e-5);
    // (s, S) = (6,000, 16,000) is the same policy.
    let ss = Policy::ReorderPointUpTo { reorder_point: 6_000.0, up_to: 16_000.0 };
    assert_eq!(evaluate(&lego(), ss, Some(year)).unwrap(), e);
    // The inverse: a reorder point of 6,000 implies 1,000 of safety stock and 92.1%.
    let i = implied_by_reorder_point(&lego(), 6_000.0).unwrap();
    assert_eq!(i.safety_stock, 1_000.0);
    close("implied CSL", i.cycle_service_level, 0.921_35, 1e-5);
}

#[test]
fn evaluating_a_periodic_review_policy() {
    // Lego reviewed every 4 weeks, ordering up to 16,570: SS = 16,570 − 6 × 2,500 = 1,570;
    // σ = 1,224.745; k = 1.281900, CSL = 0.90006 (the 90% the level was set for, plus the
    // rounding). A cycle brings d R = 10,000; ESC = 1,224.745 × G(1.2819) = 1,224.745 ×
    // 0.047308 = 57.94; fill rate 1 − 57.94 / 10,000 = 0.99421. Cycle stock 5,000,
    // average net inventory 6,570 (the book's average inventory) plus average backorders
    // (σ² / dR)(G2(1.2819) − G2(9.447)) = 150 × 0.0196472 = 2.947075: 6,572.947075 on
    // hand, flow time 6,572.95 / 2,500 = 2.629179 weeks; 52 / 4 = 13 reviews a year.
    let year = Year { periods: 52.0, order_cost: 400.0, holding_per_unit: 2.0 };
    let rs = Policy::PeriodicUpTo { review: 4.0, up_to: 16_570.0 };
    let e = evaluate(&lego(), rs, Some(year)).unwrap();
    assert_eq!((e.cycle_quantity, e.safety_stock), (10_000.0, 1_570.0));
    close("CSL", e.cycle_service_level, 0.900_06, 1e-5);
    close("ESC", e.expected_shortage_per_cycle, 57.94, 0.005);
    close("fill rate", e.fill_rate_backorder, 0.994_21, 1e-5);
    close("average backorders", e.average_backorders, 2.947_075, 1e-6);
    close("average inventory", e.average_inventory, 6_572.947_075, 1e-6);
    close("flow time", e.flow_time.unwrap(), 2.629_179, 1e-6);
    close("orders a year", e.orders_per_year.unwrap(), 13.0, 1e-12);
    close("annual cost", e.annual_cost.unwrap().total, 13.0 * 400.0 + 6_572.947_075 * 2.0, 1e-5);
}

#[test]
fn eoq_and_its_annual_cost_in_months() {
    // Chopra & Meindl, Best Buy: 1,000 computers a month (12,000 a year), 4,000 an order,
    // 500 a unit held at 20% (100 a unit-year). EOQ = sqrt(2 × 12,000 × 4,000 / 100) =
    // 979.8 (book: 980). With Q = 980: 12,000 / 980 = 12.24 orders a year; cycle
    // inventory 490; flow time 490 / 1,000 = 0.49 months; annual cost 12.245 × 4,000 +
    // 490 × 100 = 48,979.6 + 49,000 = 97,979.6 (book: 97,980).
    let q = eoq(12_000.0, 4_000.0, 100.0, Decimal::ONE).unwrap();
    close("EOQ", q.exact, 979.80, 0.005);
    assert_eq!(q.rounded, d(980));
    let month = Demand::from_stats(&DemandStats::monthly(1_000.0, 0.0), 0.0, 0.0);
    let year = Year { periods: 12.0, order_cost: 4_000.0, holding_per_unit: 100.0 };
    let sq = Policy::ReorderPointLot { reorder_point: 0.0, lot: 980.0 };
    let e = evaluate(&month, sq, Some(year)).unwrap();
    assert_eq!((e.cycle_stock, e.cycle_service_level, e.z), (490.0, 1.0, None));
    close("flow time", e.flow_time.unwrap(), 0.49, 1e-12);
    close("orders", e.orders_per_year.unwrap(), 12.244_898, 1e-6);
    close("annual cost", e.annual_cost.unwrap().total, 97_979.59, 0.01);
}

#[test]
fn the_loss_function_against_silver_pyke_and_thomas() {
    // Through `evaluate` with σ = 1 and a mean of 0 (one period, sd 1): ESC is G(k).
    let unit = Demand { mean: 0.0, std_dev: 1.0, lead_time: 1.0, lead_time_std_dev: 0.0 };
    for (k, g) in [(0.0, 0.3989), (0.5, 0.1978), (1.0, 0.083_32), (1.5, 0.029_31), (2.0, 0.008_491)]
    {
        let e =
            evaluate(&unit, Policy::ReorderPointLot { reorder_point: k, lot: 1.0 }, None).unwrap();
        close(&format!("G({k})"), e.expected_shortage_per_cycle, g, 5e-5);
    }
}

fn service_level() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.5), Just(0.999), 0.5f64..0.999]
}

fn demand() -> impl Strategy<Value = Demand> {
    (0.0f64..1e4, prop_oneof![Just(0.0), 0.0f64..2e3], 0.0f64..30.0, 0.0f64..5.0).prop_map(
        |(mean, std_dev, lead_time, lead_time_std_dev)| Demand {
            mean,
            std_dev,
            lead_time,
            lead_time_std_dev,
        },
    )
}

fn step() -> impl Strategy<Value = Decimal> {
    prop_oneof![Just(Decimal::ONE), Just(Decimal::new(5, 1)), Just(d(12)), Just(d(100))]
}

proptest! {
    #[test]
    fn a_rounded_level_is_the_next_step_up(x in -1e9f64..1e9, step in step()) {
        let l = onhand_replenish::plain::Level::new(x, step).unwrap();
        let exact = Decimal::from_f64(x).unwrap().round_dp(9);
        prop_assert!(l.rounded >= exact, "{} < {exact}", l.rounded);
        prop_assert!(l.rounded - step < exact);
        prop_assert_eq!((l.rounded / step).fract(), Decimal::ZERO);
    }

    #[test]
    fn levels_evaluate_to_their_own_service(
        demand in demand(), csl in service_level(), review in prop_oneof![Just(0.0), 1.0f64..8.0],
    ) {
        let l = levels(&demand, review, Service::CycleServiceLevel(csl), Decimal::ONE).unwrap();
        let policy = if review > 0.0 {
            Policy::PeriodicUpTo { review, up_to: l.order_up_to.unwrap().exact }
        } else {
            Policy::ReorderPointLot { reorder_point: l.reorder_point.exact, lot: 1.0 }
        };
        let e = evaluate(&demand, policy, None).unwrap();
        if l.sigma_over_interval > 1e-6 {
            prop_assert!((e.cycle_service_level - csl).abs() < 1e-6, "{} vs {csl}", e.cycle_service_level);
        }
        prop_assert!((e.safety_stock - l.safety_stock.exact).abs() <= 1e-6 * (1.0 + l.reorder_point.exact.abs()));
        if review == 0.0 {
            let i = implied_by_reorder_point(&demand, l.reorder_point.exact).unwrap();
            prop_assert!((i.safety_stock - l.safety_stock.exact).abs() <= 1e-6 * (1.0 + l.reorder_point.exact.abs()));
        }
    }

    #[test]
    fn fill_rate_levels_give_that_fill_rate(
        demand in demand(), rate in 0.8f64..0.999, lot in 1.0f64..1e5,
    ) {
        prop_assume!(demand.sigma_over(0.0) > 1e-3);
        let fill = Service::FillRate { rate, lot_size: lot };
        let l = levels(&demand, 0.0, fill, Decimal::ONE).unwrap();
        let sq = Policy::ReorderPointLot { reorder_point: l.reorder_point.exact, lot };
        let e = evaluate(&demand, sq, None).unwrap();
        prop_assert!((e.fill_rate_backorder - rate).abs() < 1e-6, "{} vs {rate}", e.fill_rate_backorder);
    }

    #[test]
    fn more_service_never_less_safety_stock(demand in demand(), a in service_level(), b in service_level()) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let ss = |v| safety_stock(&demand, 0.0, Service::CycleServiceLevel(v), Decimal::ONE).unwrap();
        prop_assert!(ss(lo).exact <= ss(hi).exact);
        prop_assert!(ss(lo).rounded <= ss(hi).rounded);
    }

    #[test]
    fn an_evaluation_is_consistent(
        demand in demand(), s in -1e4f64..1e5, q in 1.0f64..1e5,
    ) {
        let year = Year { periods: 52.0, order_cost: 10.0, holding_per_unit: 1.0 };
        let e = evaluate(&demand, Policy::ReorderPointLot { reorder_point: s, lot: q }, Some(year)).unwrap();
        prop_assert!(e.fill_rate_lost_sales >= e.fill_rate_backorder - 1e-12);
        prop_assert!(e.fill_rate_lost_sales <= 1.0 && e.fill_rate_backorder <= 1.0);
        prop_assert!(e.fill_rate_lost_sales >= 0.0 && e.fill_rate_backorder >= 0.0);
        prop_assert!((0.0..=1.0).contains(&e.cycle_service_level));
        prop_assert!(e.expected_shortage_per_cycle >= 0.0);
        // On hand is never negative, and net inventory (on hand less backordered) is the
        // textbook's Q/2 + SS.
        let scale = 1.0 + e.safety_stock.abs() + q;
        prop_assert!(e.average_inventory >= 0.0 && e.average_backorders >= 0.0, "{e:?}");
        let net = e.average_inventory - e.average_backorders;
        prop_assert!((net - (e.cycle_stock + e.safety_stock)).abs() < 1e-9 * scale, "{e:?}");
        // The backorders are the expected shortage averaged over the positions the
        // cycle runs through: a numerical integral of σ G((y − μ) / σ) over (s, s + Q].
        prop_assert!((e.average_backorders - integrated_backorders(&e)).abs() < 1e-6 * scale, "{e:?} vs {}", integrated_backorders(&e));
        if let Some(t) = e.flow_time { prop_assert!(t >= 0.0); }
        prop_assert!(e.annual_cost.is_some_and(|c| c.holding >= 0.0));
        let up_to = Policy::ReorderPointUpTo { reorder_point: s, up_to: s + q };
        let same = evaluate(&demand, up_to, Some(year)).unwrap();
        prop_assert!((same.fill_rate_backorder - e.fill_rate_backorder).abs() < 1e-9);
        prop_assert!((same.cycle_quantity - q).abs() < 1e-9 * q);
    }

    #[test]
    fn at_the_eoq_ordering_costs_what_holding_does(
        mean in 1.0f64..1e4, k in 1.0f64..1e4, h in 0.01f64..100.0,
    ) {
        let q = eoq(mean * 52.0, k, h, Decimal::ONE).unwrap();
        let demand = Demand { mean, std_dev: 0.0, lead_time: 1.0, lead_time_std_dev: 0.0 };
        let year = Year { periods: 52.0, order_cost: k, holding_per_unit: h };
        let sq = Policy::ReorderPointLot { reorder_point: mean, lot: q.exact };
        let c = evaluate(&demand, sq, Some(year)).unwrap().annual_cost.unwrap();
        prop_assert!((c.ordering - c.holding).abs() < 1e-9 * c.total, "{c:?}");
    }
}
