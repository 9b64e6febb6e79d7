//! Worked textbook cases, table-driven, each naming its source.
//!
//! Safety stock and order quantities are built from `ItemSitePolicy` values directly, for
//! the demo catalog's `BOLT-M8` (base unit EA, whole units) with no order multiple, so
//! every quantity rounds up to a whole unit. Textbooks round to the nearest unit; the
//! crate rounds up, so each case states the unrounded figure, expects its ceiling from
//! the crate and checks the book's figure is within one unit of it.
//!
//! Sources:
//! - Chopra & Meindl, *Supply Chain Management: Strategy, Planning, and Operation*,
//!   ch. "Managing Uncertainty in a Supply Chain: Safety Inventory" (the Lego and Dell
//!   examples and the fill-rate table; example numbers differ between editions) and
//!   ch. "Managing Economies of Scale in a Supply Chain: Cycle Inventory" (the Best Buy
//!   EOQ example).
//! - Silver, Pyke & Thomas, *Inventory and Production Management in Supply Chains*,
//!   table of the unit normal loss function `G_u(k)`.
//! - Heizer & Render, *Operations Management*, ch. "Inventory Management" (the Sharp,
//!   Inc. EOQ example).
//! - The item 4682 DRP worksheet in the format of Arnold, Chapman & Clive,
//!   *Introduction to Materials Management*, ch. "Physical Distribution" (DC A and DC B
//!   records), as published on Scribd ("DRP worksheet", document 638118694).
//! - Bowersox, Closs & Cooper, *Supply Chain Logistics Management*, ch. "Inventory
//!   Management", fair share allocation (three distribution centres, 500 units), as
//!   reproduced at bms.co.in ("Fair share allocation").
#![allow(
    clippy::unwrap_used,
    clippy::float_arithmetic,
    clippy::cast_possible_truncation,
    reason = "test code: a failed unwrap is a failed test, and the textbook formulas are checked in floating point"
)]

use onhand_master::{
    Catalog, Decimal, ItemSitePolicy, ItemUnits, LeadTime, PlanningMethod, SafetyStock,
    ServiceTarget, seed,
};
use onhand_replenish::{
    Costs, DemandStats, DrpNode, FairClaim, LotSizing, drp, eoq, fair_share, normal, order_need,
    parameters,
};
use rust_decimal::prelude::ToPrimitive;

fn d(v: i64) -> Decimal {
    Decimal::from(v)
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn catalog() -> Catalog {
    Catalog::new(seed::demo_network()).unwrap()
}

fn bolt_units(catalog: &Catalog) -> &ItemUnits {
    catalog.item_units(catalog.item_ix(&"BOLT-M8".parse().unwrap()).unwrap()).unwrap()
}

/// A policy in whole units (no order multiple) with a statistical safety stock.
fn policy(
    planning: PlanningMethod,
    target: ServiceTarget,
    lead_days: i64,
    lead_sd: i64,
) -> ItemSitePolicy {
    let mut p = ItemSitePolicy::new("BOLT-M8".parse().unwrap(), "ATL".parse().unwrap());
    p.planning = planning;
    p.safety_stock = SafetyStock::Statistical;
    p.service_target = Some(target);
    p.lead_time = LeadTime { mean_days: d(lead_days), std_dev_days: d(lead_sd) };
    p.order_multiple = None;
    p
}

/// Weekly demand statistics (the textbooks' period), seven days a period.
fn weekly(mean: f64, sd: f64) -> DemandStats {
    DemandStats { period_days: 7, periods: 0, mean, std_dev: sd, seasonality: Vec::new() }
}

fn csl(v: &str) -> ServiceTarget {
    ServiceTarget::CycleServiceLevel(dec(v))
}

fn ints(v: &[Decimal]) -> Vec<i64> {
    v.iter().map(|q| q.to_i64().unwrap()).collect()
}

/// `ceil(x)` as a decimal, for the unrounded figures written in the tables.
fn ceil(x: f64) -> Decimal {
    d(x.ceil() as i64)
}

/// The crate's figure is the unrounded one rounded up, and the book's is within a unit.
fn check(what: &str, got: Decimal, unrounded: f64, book: i64) {
    assert_eq!(got, ceil(unrounded), "{what}: crate {got}, unrounded {unrounded}");
    let off = (got - d(book)).abs();
    assert!(off <= Decimal::ONE, "{what}: crate {got} vs book {book}");
}

struct CslCase {
    source: &'static str,
    stats: DemandStats,
    lead_days: i64,
    lead_sd_days: i64,
    csl: &'static str,
    /// The book's deviation of demand over the lead time.
    book_sigma: f64,
    /// `z σL` before rounding.
    unrounded_ss: f64,
    book_ss: i64,
    /// `d L + ss` before rounding (with the crate's rounded ss).
    book_rop: Option<i64>,
}

#[test]
fn statistical_safety_stock_for_a_cycle_service_level() {
    let catalog = catalog();
    let units = bolt_units(&catalog);
    // Chopra & Meindl, Dell example with lead-time variability: daily demand 2,500 PCs
    // (sd 500), lead time 7 days with deviation sL from 7 down to 0 days, CSL 90%.
    // σL = sqrt(L σD² + D² sL²); the book's table: σL 17,550 / 15,058 / 12,570 / 10,087 /
    // 7,616 / 5,172 / 2,828 / 1,323 and ss 22,491 / 19,298 / 16,109 / 12,927 / 9,760 /
    // 6,628 / 3,625 / 1,695.
    let dell: [(i64, f64, f64, i64); 8] = [
        (7, 17_549.93, 22_491.14, 22_491),
        (6, 15_058.22, 19_297.89, 19_298),
        (5, 12_569.81, 16_108.85, 16_109),
        (4, 10_087.12, 12_927.17, 12_927),
        (3, 7_615.77, 9_760.006, 9_760),
        (2, 5_172.04, 6_628.24, 6_628),
        (1, 2_828.43, 3_624.78, 3_625),
        (0, 1_322.88, 1_695.33, 1_695),
    ];
    let mut cases = vec![CslCase {
        // Chopra & Meindl, Lego example, "evaluating safety inventory given a CSL": weekly
        // demand 2,500 boxes (sd 500), lead time 2 weeks, CSL 90%: σL = sqrt(2) x 500 =
        // 707.1, ss = NORMSINV(0.9) x 707.1 = 906.19 (book: 906), ROP = 5,000 + ss (book:
        // 5,906).
        source: "Chopra & Meindl, Lego, CSL 0.90",
        stats: weekly(2500.0, 500.0),
        lead_days: 14,
        lead_sd_days: 0,
        csl: "0.90",
        book_sigma: 707.1,
        unrounded_ss: 906.19,
        book_ss: 906,
        book_rop: Some(5_906),
    }];
    for (sl, sigma, ss, book) in dell {
        cases.push(CslCase {
            source: "Chopra & Meindl, Dell, lead-time variability",
            stats: DemandStats::daily(2500.0, 500.0),
            lead_days: 7,
            lead_sd_days: sl,
            csl: "0.90",
            book_sigma: sigma,
            unrounded_ss: ss,
            book_ss: book,
            // ROP = D L + ss = 17,500 + ss.
            book_rop: Some(17_500 + book),
        });
    }
    for c in &cases {
        let p = policy(PlanningMethod::ReorderPoint, csl(c.csl), c.lead_days, c.lead_sd_days);
        let r = parameters(&p, units, &c.stats, None).unwrap();
        let what = format!("{} (sL {})", c.source, c.lead_sd_days);
        assert!((r.sigma_interval - c.book_sigma).abs() < 0.1, "{what}: σ {}", r.sigma_interval);
        assert!((r.z.unwrap() - 1.281_551_565_5).abs() < 1e-9, "{what}: z {:?}", r.z);
        check(&what, r.safety_stock, c.unrounded_ss, c.book_ss);
        if let Some(rop) = c.book_rop {
            // d L is whole in these cases, so the reorder point is d L + the rounded ss.
            let dl = r.daily_demand * f64::from(u32::try_from(c.lead_days).unwrap());
            assert_eq!(r.reorder_point, ceil(dl.round()) + r.safety_stock, "{what}: rop");
            assert!((r.reorder_point - d(rop)).abs() <= Decimal::ONE, "{what}: rop");
        }
    }
}

#[test]
fn periodic_review_order_up_to_level() {
    // Chopra & Meindl, Lego example under periodic review: weekly demand 2,500 (sd 500),
    // lead time 2 weeks, reviewed every 4 weeks, CSL 90%. σ(T+L) = sqrt(6) x 500 =
    // 1,224.74 (book: 1,225), ss = 1.2816 x 1,224.74 = 1,569.57 (book: 1,570), order-up-to
    // level = 6 x 2,500 + ss = 16,570.
    let catalog = catalog();
    let mut p = policy(PlanningMethod::PeriodicReview, csl("0.90"), 14, 0);
    p.review_period_days = Some(28);
    let r = parameters(&p, bolt_units(&catalog), &weekly(2500.0, 500.0), None).unwrap();
    assert!((r.interval_days - 42.0).abs() < 1e-12);
    assert!((r.sigma_interval - 1_224.74).abs() < 0.01, "σ {}", r.sigma_interval);
    check("periodic review ss", r.safety_stock, 1_569.57, 1_570);
    assert_eq!(r.order_up_to, Some(d(16_570)));
    // Ordered up to S at a review: position 9,000 -> 7,570.
    assert_eq!(order_need(&p, &r, d(9_000)).unwrap(), Some(d(7_570)));
}

#[test]
fn reorder_point_policy_orders_a_lot_at_the_reorder_point() {
    // Chopra & Meindl, Lego example, continuous review with a lot of 10,000 boxes: the
    // store orders Q when the position reaches the reorder point (here 5,907: 5,000 + 907).
    let catalog = catalog();
    let mut p = policy(PlanningMethod::ReorderPoint, csl("0.90"), 14, 0);
    p.order_min = Some("10000 EA".parse().unwrap());
    let r = parameters(&p, bolt_units(&catalog), &weekly(2500.0, 500.0), None).unwrap();
    assert_eq!((r.reorder_point, r.order_qty), (d(5_907), d(10_000)));
    let table =
        [(5_908, None), (5_907, Some(10_000)), (5_000, Some(10_000)), (-4_094, Some(20_000))];
    for (position, want) in table {
        assert_eq!(order_need(&p, &r, d(position)).unwrap(), want.map(d), "position {position}");
    }
}

#[test]
fn fill_rate_safety_stock_via_the_loss_function() {
    // Chopra & Meindl, Lego example, "evaluating safety inventory given a desired fill
    // rate", and the book's table of safety inventory for fill rates: weekly demand 2,500
    // (sd 500), lead time 2 weeks, lot Q = 10,000. ESC = (1 - fr) Q, solved for ss with
    // ESC = σL G(ss / σL), σL = 707.1.
    // (fill rate, unrounded ss, book ss)
    let table: [(&str, f64, i64); 5] = [
        ("0.975", 66.70, 67),
        ("0.98", 182.97, 183),
        ("0.985", 321.53, 321),
        ("0.99", 499.25, 499),
        ("0.995", 767.05, 767),
    ];
    let catalog = catalog();
    let units = bolt_units(&catalog);
    for (fr, unrounded, book) in table {
        let mut p = policy(PlanningMethod::ReorderPoint, ServiceTarget::FillRate(dec(fr)), 14, 0);
        // Without costs the lot is the order minimum.
        p.order_min = Some("10000 EA".parse().unwrap());
        let r = parameters(&p, units, &weekly(2500.0, 500.0), None).unwrap();
        assert_eq!(r.order_qty, d(10_000));
        check(&format!("fill rate {fr}"), r.safety_stock, unrounded, book);
        // The safety factor solves the loss equation.
        let k = r.z.unwrap();
        let g = (1.0 - fr.parse::<f64>().unwrap()) * 10_000.0 / r.sigma_interval;
        assert!((normal::loss(k) - g).abs() < 1e-9, "fill rate {fr}: G({k}) != {g}");
    }
}

#[test]
fn service_given_a_policy() {
    // Chopra & Meindl, Lego example, "evaluating CSL given a replenishment policy" and
    // "evaluating fill rate given a replenishment policy": ROP 6,000, so ss = 1,000 over
    // σL = 707.1; CSL = F(1,000 / 707.1) = 0.9214 (book: 0.92); ESC = σL G(ss / σL) = 25.13
    // and fill rate = 1 - ESC / Q = 0.9975 with Q = 10,000.
    let sigma = 2f64.sqrt() * 500.0;
    let k = 1000.0 / sigma;
    let csl = normal::cdf(k);
    assert!((csl - 0.921_350_396).abs() < 1e-8, "{csl}");
    let esc = sigma * normal::loss(k);
    assert!((esc - 25.13).abs() < 0.005, "{esc}");
    assert!((1.0 - esc / 10_000.0 - 0.9975).abs() < 0.000_05);
    // Silver, Pyke & Thomas, table of the unit normal loss function G_u(k):
    // G(0) = 0.3989, G(0.5) = 0.1978, G(1) = 0.08332, G(1.5) = 0.02931, G(2) = 0.008491.
    for (k, g) in [(0.0, 0.3989), (0.5, 0.1978), (1.0, 0.083_32), (1.5, 0.029_31), (2.0, 0.008_491)]
    {
        assert!((normal::loss(k) - g).abs() < 5e-5, "G({k}) = {}", normal::loss(k));
    }
}

/// An EOQ case: annual demand D, cost per order S, holding cost per unit-year H (and the
/// unit cost and holding rate giving it), the unrounded EOQ and the book's.
struct Eoq {
    source: &'static str,
    annual_demand: f64,
    order_cost: f64,
    holding: f64,
    unit_cost: &'static str,
    rate: &'static str,
    unrounded: f64,
    book: i64,
}

#[test]
fn economic_order_quantity() {
    let table = [
        // Chopra & Meindl, Best Buy example: 1,000 computers a month (D = 12,000 a year),
        // S = $4,000, unit cost $500 held at 20% a year (H = $100): EOQ = 979.8 (book: 980).
        Eoq {
            source: "Chopra & Meindl, Best Buy",
            annual_demand: 12_000.0,
            order_cost: 4_000.0,
            holding: 100.0,
            unit_cost: "500",
            rate: "0.2",
            unrounded: 979.80,
            book: 980,
        },
        // Heizer & Render, Sharp, Inc.: D = 1,000 needles a year, S = $10, H = $0.50: 200.
        Eoq {
            source: "Heizer & Render, Sharp Inc.",
            annual_demand: 1_000.0,
            order_cost: 10.0,
            holding: 0.5,
            unit_cost: "2",
            rate: "0.25",
            unrounded: 200.0,
            book: 200,
        },
    ];
    let catalog = catalog();
    let units = bolt_units(&catalog);
    for Eoq {
        source,
        annual_demand: demand,
        order_cost,
        holding,
        unit_cost,
        rate,
        unrounded,
        book,
    } in table
    {
        let q = eoq(demand, order_cost, holding).unwrap();
        assert!((q - unrounded).abs() < 0.005, "{source}: {q}");
        // Through `parameters`: daily demand D / 365, the costs as a policy would hold them.
        let mut p = policy(PlanningMethod::ReorderPoint, csl("0.90"), 7, 0);
        p.safety_stock = SafetyStock::None;
        let costs = Costs {
            unit_cost: dec(unit_cost),
            order_cost: Decimal::try_from(order_cost).unwrap(),
            holding_rate: dec(rate),
            shortage_penalty: Decimal::ONE,
        };
        let r =
            parameters(&p, units, &DemandStats::daily(demand / 365.0, 0.0), Some(&costs)).unwrap();
        check(source, r.order_qty, unrounded, book);
    }
}

/// The expected rows of one DRP record.
struct Want {
    gross: [i64; 5],
    scheduled: [i64; 5],
    projected: [i64; 5],
    net: [i64; 5],
    receipts: [i64; 5],
    releases: [i64; 5],
    past_due: i64,
}

#[test]
fn a_drp_record_per_distribution_centre() {
    // Item 4682 (Arnold, Chapman & Clive format; see the module sources). Weeks 1-5 are
    // periods 0-4.
    // DC A: transit 2 weeks, lot 100, safety stock 10, on hand 50.
    // DC B: transit 1 week, lot 200, safety stock 32, on hand 130; lots are taken in
    // multiples of 200 (week 4 needs 282 and gets 400), as in the worksheet.
    // The worksheet's rows (its "sched receipts" row holds the planned receipts, and its
    // "planned orders" row starts at the on-hand column, i.e. week 0 = past due):
    //   DC A gross 25 30 55 50 30; projected 25 95 40 90 60; receipts 0 100 0 100 0;
    //        planned orders (weeks 0-4) 100 0 100 0 0.
    //   DC B gross 95 85 100 300 300; projected 35 150 50 150 50; receipts 0 200 0 400
    //        200; planned orders (weeks 1-4) 200 0 400 200.
    // Net requirements are not on the worksheet; by hand, net = safety stock - projected
    // before the receipt: DC A week 2: 10 - (25 - 30) = 15, week 4: 10 - (40 - 50) = 20;
    // DC B week 2: 32 - (35 - 85) = 82, week 4: 32 - (50 - 300) = 282, week 5: 32 - (150 -
    // 300) = 182.
    // The central warehouse (CDC) is this test's own, computed by hand: on hand 600, no own
    // demand or safety stock, lot 500, lead 1 week. Its gross requirements are the DCs'
    // planned releases in the horizon: 200 100 400 200 0; projected 400 300 -100 -> +500
    // = 400, 200, 200; release for the week 3 receipt in week 2.
    let node = |site: &str, source: Option<&str>, on_hand, ss, lead, lot, gross: &[i64]| DrpNode {
        site: site.parse().unwrap(),
        source: source.map(|s| s.parse().unwrap()),
        on_hand: d(on_hand),
        safety_stock: d(ss),
        lead_periods: lead,
        lot: LotSizing::FixedLot(d(lot)),
        gross: gross.iter().copied().map(d).collect(),
        scheduled: vec![],
        period_days: 7,
        constrained: false,
    };
    let nodes = [
        node("CDC", None, 600, 0, 1, 500, &[0, 0, 0, 0, 0]),
        node("DC-A", Some("CDC"), 50, 10, 2, 100, &[25, 30, 55, 50, 30]),
        node("DC-B", Some("CDC"), 130, 32, 1, 200, &[95, 85, 100, 300, 300]),
    ];
    let recs = drp(5, &nodes).unwrap();
    let want = [
        // DC A's 100 past due is wanted from the CDC in week 1.
        Want {
            gross: [300, 100, 400, 200, 0],
            scheduled: [0; 5],
            projected: [300, 200, 300, 100, 100],
            net: [0, 0, 200, 0, 0],
            receipts: [0, 0, 500, 0, 0],
            releases: [0, 500, 0, 0, 0],
            past_due: 0,
        },
        Want {
            gross: [25, 30, 55, 50, 30],
            scheduled: [0; 5],
            projected: [25, 95, 40, 90, 60],
            net: [0, 15, 0, 20, 0],
            receipts: [0, 100, 0, 100, 0],
            releases: [0, 100, 0, 0, 0],
            past_due: 100,
        },
        Want {
            gross: [95, 85, 100, 300, 300],
            scheduled: [0; 5],
            projected: [35, 150, 50, 150, 50],
            net: [0, 82, 0, 282, 182],
            receipts: [0, 200, 0, 400, 200],
            releases: [200, 0, 400, 200, 0],
            past_due: 0,
        },
    ];
    for (r, w) in recs.iter().zip(&want) {
        let s = r.site.as_str();
        assert_eq!(ints(&r.gross), w.gross, "{s} gross");
        assert_eq!(ints(&r.scheduled), w.scheduled, "{s} scheduled");
        assert_eq!(ints(&r.projected), w.projected, "{s} projected");
        assert_eq!(ints(&r.net), w.net, "{s} net");
        assert_eq!(ints(&r.planned_receipts), w.receipts, "{s} receipts");
        assert_eq!(ints(&r.planned_releases), w.releases, "{s} releases");
        assert_eq!(r.past_due, d(w.past_due), "{s} past due");
        assert!(r.shortfall.iter().all(Decimal::is_zero), "{s} shortfall");
    }
}

#[test]
fn a_drp_record_with_a_shipment_in_transit() {
    // DC A of item 4682 again, with its first shipment (100, due week 2) already in
    // transit: it is a scheduled receipt, so nothing is past due and the week 4 receipt
    // is released in week 2. By hand: projected 25, 25 - 30 + 100 = 95, 40, 40 - 50 + 100
    // = 90, 60.
    let n = DrpNode {
        site: "DC-A".parse().unwrap(),
        source: None,
        on_hand: d(50),
        safety_stock: d(10),
        lead_periods: 2,
        lot: LotSizing::FixedLot(d(100)),
        gross: [25, 30, 55, 50, 30].into_iter().map(d).collect(),
        scheduled: [0, 100].into_iter().map(d).collect(),
        period_days: 7,
        constrained: false,
    };
    let r = drp(5, &[n]).unwrap().remove(0);
    assert_eq!(ints(&r.scheduled), [0, 100, 0, 0, 0]);
    assert_eq!(ints(&r.projected), [25, 95, 40, 90, 60]);
    assert_eq!(ints(&r.net), [0, 0, 0, 20, 0]);
    assert_eq!(ints(&r.planned_receipts), [0, 0, 0, 100, 0]);
    assert_eq!(ints(&r.planned_releases), [0, 100, 0, 0, 0]);
    assert_eq!(r.past_due, Decimal::ZERO);
}

#[test]
fn fair_share_allocation_to_equal_days_of_supply() {
    // Bowersox, Closs & Cooper, fair share allocation: 500 units to allocate among three
    // distribution centres with inventory 50, 100, 75 and daily demand 10, 50, 15.
    // DS = (500 + 225) / 75 = 9.67 days; A_j = DS D_j - I_j = 46.67, 383.33, 70.00 (book:
    // 47, 383, 70). In whole units the floors give 46 + 383 + 70 = 499 and the last unit
    // goes to the fewest days of supply (DC 1: 9.6 days against 9.66 and 9.67).
    let claim = |on_hand: i64, daily: i64| FairClaim {
        on_hand: d(on_hand),
        daily_demand: d(daily),
        requested: Some(d(500)),
    };
    let claims = [claim(50, 10), claim(100, 50), claim(75, 15)];
    let shares = fair_share(d(500), &claims, Decimal::ONE).unwrap().shares;
    assert_eq!(ints(&shares), [47, 383, 70]);
    // Everyone ends within a unit's worth of 9.67 days.
    for (c, s) in claims.iter().zip(&shares) {
        let days = (c.on_hand + s).to_f64().unwrap() / c.daily_demand.to_f64().unwrap();
        assert!((days - 725.0 / 75.0).abs() <= 1.0 / c.daily_demand.to_f64().unwrap() + 1e-9);
    }
    // In cases of 10 (the same DCs), 46.67 / 383.33 / 70 floor to 40 / 380 / 70 = 490;
    // the last case goes to DC 1 (9 days against 9.6 and 9.67): 50 / 380 / 70.
    let shares = fair_share(d(500), &claims, d(10)).unwrap().shares;
    assert_eq!(ints(&shares), [50, 380, 70]);
}

#[test]
fn a_given_lot_and_the_unrounded_levels() {
    // Chopra & Meindl, Lego, fill rate 97.5% with lots of Q = 10,000 given directly (no
    // order minimum as a detour): SS = 66.70 unrounded (book: 67), ROP = 5,000 + 66.70.
    // In cases of 100 (an order multiple) the rounded figures move, the unrounded ones
    // do not: SS 100, ROP 5,100.
    let catalog = catalog();
    let units = bolt_units(&catalog);
    let mut p = policy(PlanningMethod::ReorderPoint, ServiceTarget::FillRate(dec("0.975")), 14, 0);
    let stats = DemandStats::weekly(2500.0, 500.0);
    let each = onhand_replenish::parameters_for_lot(&p, units, &stats, d(10_000)).unwrap();
    assert_eq!(
        (each.order_qty, each.safety_stock, each.reorder_point),
        (d(10_000), d(67), d(5_067))
    );
    assert!((each.unrounded.safety_stock - 66.70).abs() < 0.005);
    assert!((each.unrounded.reorder_point - 5_066.70).abs() < 0.005);
    assert!((each.unrounded.order_qty - 10_000.0).abs() < 1e-9);
    p.order_multiple = Some("100 EA".parse().unwrap());
    let cases = onhand_replenish::parameters_for_lot(&p, units, &stats, d(10_000)).unwrap();
    assert_eq!((cases.safety_stock, cases.reorder_point), (d(100), d(5_100)));
    assert_eq!(cases.unrounded, each.unrounded);
    // Periodic review every 4 weeks, CSL 90%: the order-up-to level unrounded is
    // 15,000 + 1,569.57 = 16,569.57; rounded to cases of 100, 16,600.
    let mut r = policy(PlanningMethod::PeriodicReview, csl("0.90"), 14, 0);
    r.review_period_days = Some(28);
    r.order_multiple = Some("100 EA".parse().unwrap());
    let got = parameters(&r, units, &stats, None).unwrap();
    assert!((got.unrounded.order_up_to.unwrap() - 16_569.57).abs() < 0.005);
    assert_eq!(got.order_up_to, Some(d(16_600)));
    // A lot that is not positive is refused.
    assert!(onhand_replenish::parameters_for_lot(&p, units, &stats, Decimal::ZERO).is_err());
}
