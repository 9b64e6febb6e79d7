//! Property tests for replenishment, on the demo catalog.
//!
//! - (a) a transfer recommendation never takes its source below its protected level (its
//!   safety stock plus its daily demand over the lane's transit days, rounded up to its
//!   step), recomputed here in exact decimals from the generated states;
//! - (b) `evaluate()` is deterministic: the same states, evaluated twice or given in a
//!   shuffled order, give identical recommendations;
//! - (c) a higher cycle service level or fill rate never lowers safety stock, nor does
//!   more demand or lead-time deviation;
//! - (d) the inventory position identity and free stock, checked against exact integer
//!   arithmetic (an overflow is an error, never a panic or a wrong figure);
//! - (e) every quantity out of `parameters` is non-negative and a multiple of the step
//!   (the order multiple in base units, or the base unit's step), at or above its
//!   unrounded figure (safety stock: less than a step above), and so is every
//!   recommendation's need and every transfer, purchase and substitute candidate;
//! - (f) `fair_share`: shares never exceed the supply or a cap, add up to
//!   min(supply, total of the caps) up to a step, and equalise days of supply (no claim
//!   with fewer days of supply could gain a step from one with more; every claim with
//!   demand and room sits within a step of the returned days of supply); and they are
//!   exactly what a reference model gives that hands out one step at a time to the
//!   claim with the fewest days of supply;
//! - (g) `drp` with lot-for-lot on unconstrained nodes: the DRP record's arithmetic holds
//!   row by row, projected on hand never falls below safety stock after the lead time,
//!   and a source's gross requirements are its own plus its children's planned releases;
//!   a constrained source never ships more than it has;
//! - (h) `normal::inverse_cdf(cdf(z)) ~ z` and `inverse_loss(loss(z)) ~ z` over a range;
//! - (i) a DRP plan with one negative figure anywhere is refused with a typed error that
//!   names the figure's field, the bound, the value and the node's site.
//!
//! Cases default to `ProptestConfig::default()` (256, or `PROPTEST_CASES`).
#![allow(
    clippy::unwrap_used,
    clippy::float_arithmetic,
    clippy::cast_precision_loss,
    reason = "test code: a failed unwrap is a failed test, and the textbook formulas are checked in floating point"
)]

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use onhand_master::{
    Catalog, Decimal, ItemCode, ItemSitePolicy, LaneSource, LeadTime, PlanningMethod, Qty,
    SafetyStock, ServiceTarget, SiteCode, seed,
};
use onhand_replenish::{
    Action, Bound, Costs, DemandStats, DrpNode, DrpRecord, ExchangeRate, FairClaim, Field,
    LotSizing, Planner, Position, ProposedTransfer, Recommendation, ReplenishError, SiteState, drp,
    fair_share, normal, parameters,
};
use proptest::prelude::*;
use rust_decimal::prelude::ToPrimitive;

static CATALOG: LazyLock<Arc<Catalog>> =
    LazyLock::new(|| Arc::new(Catalog::new(seed::demo_network()).unwrap()));

/// Items of the generated networks: packaging multiples of 120, 100, 500, 24, 10 and a
/// roll of 100 m (a base unit with three decimals); the two bolts and the two gloves are
/// substitutes.
const ITEMS: [&str; 7] =
    ["BOLT-M8", "BOLT-M8-SS", "NUT-M8", "GLUE-500", "GLOVE-NIT", "GLOVE-LTX", "CABLE-CU"];
/// Every demo site: regional DCs with transfer lanes between them, the branch, the
/// cross-dock and the 3PL.
const SITES: [&str; 9] = ["ATL", "DFW", "ORD", "LAX", "YYZ", "YVR", "BOS-BR", "MEM-XD", "YUL-3PL"];

fn d(v: i64) -> Decimal {
    Decimal::from(v)
}

fn is_multiple(v: Decimal, step: Decimal) -> bool {
    (v % step).is_zero()
}

fn ceil_to(v: Decimal, step: Decimal) -> Decimal {
    if v <= Decimal::ZERO { Decimal::ZERO } else { (v / step).ceil() * step }
}

// ---------------------------------------------------------------------------------------
// Generated networks
// ---------------------------------------------------------------------------------------

/// One generated item-site.
#[derive(Debug, Clone)]
struct Gen {
    /// Daily demand in tenths of a base unit.
    daily_tenths: u32,
    /// Deviation as a percentage of the mean.
    cv_pct: u32,
    /// Stock on hand in days of demand, plus a few units.
    days_on_hand: u32,
    extra: u32,
    /// Thousandths, for the item counted in metres.
    frac: u32,
    on_order: u32,
    in_transit: u32,
    backorders: u32,
    allocated: u32,
    priority: u32,
    costs: bool,
}

fn gen_site() -> impl Strategy<Value = Option<Gen>> {
    let g = (
        (0u32..5_000, 0u32..120, 0u32..60, 0u32..200, 0u32..1_000),
        (
            prop_oneof![3 => Just(0u32), 1 => 0u32..2_000],
            prop_oneof![3 => Just(0u32), 1 => 0u32..1_000],
            prop_oneof![4 => Just(0u32), 1 => 0u32..100],
            prop_oneof![3 => Just(0u32), 1 => 0u32..300],
            prop_oneof![3 => Just(0u32), 1 => 0u32..300],
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (daily_tenths, cv_pct, days_on_hand, extra, frac),
                (on_order, in_transit, backorders, allocated, priority, costs),
            )| Gen {
                daily_tenths,
                cv_pct,
                days_on_hand,
                extra,
                frac,
                on_order,
                in_transit,
                backorders,
                allocated,
                priority,
                costs,
            },
        );
    prop_oneof![1 => Just(None), 5 => g.prop_map(Some)]
}

fn gen_network() -> impl Strategy<Value = Vec<Option<Gen>>> {
    proptest::collection::vec(gen_site(), ITEMS.len() * SITES.len())
}

fn daily(g: &Gen) -> Decimal {
    Decimal::new(i64::from(g.daily_tenths), 1)
}

fn state(item: &str, site: &str, g: &Gen) -> SiteState {
    let dd = daily(g);
    let metres = item == "CABLE-CU";
    let mut on_hand = (dd * d(i64::from(g.days_on_hand))).floor() + d(i64::from(g.extra));
    if metres {
        on_hand += Decimal::new(i64::from(g.frac), 3);
    }
    let mean = dd.to_f64().unwrap();
    SiteState {
        item: item.parse().unwrap(),
        site: site.parse().unwrap(),
        stats: DemandStats::daily(mean, mean * f64::from(g.cv_pct) / 100.0),
        position: Position {
            on_hand,
            on_order: d(i64::from(g.on_order)),
            in_transit: d(i64::from(g.in_transit)),
            backorders: d(i64::from(g.backorders)),
            allocated: d(i64::from(g.allocated)),
        },
        priority_demand: d(i64::from(g.priority)),
        costs: g.costs.then(|| Costs {
            unit_cost: Decimal::new(85, 2),
            order_cost: d(25),
            holding_rate: Decimal::new(25, 2),
            shortage_penalty: Decimal::new(150, 2),
        }),
    }
}

fn states(net: &[Option<Gen>]) -> Vec<SiteState> {
    let mut out = Vec::new();
    for (k, g) in net.iter().enumerate() {
        if let Some(g) = g {
            out.push(state(ITEMS[k / SITES.len()], SITES[k % SITES.len()], g));
        }
    }
    out
}

fn transit_days(item: &ItemCode, from: &SiteCode, to: &SiteCode) -> u32 {
    let cat = &**CATALOG;
    let i = cat.item_ix(item).unwrap();
    let t = cat.site_ix(to).unwrap();
    cat.lanes_into(t, i)
        .find(|l| matches!(&l.from, LaneSource::Site(c) if c == from))
        .map(|l| l.transit_days)
        .unwrap()
}

fn candidates(r: &Recommendation) -> impl Iterator<Item = &onhand_replenish::Candidate> {
    std::iter::once(&r.best).chain(&r.alternatives).chain(&r.also)
}

// ---------------------------------------------------------------------------------------
// Generated policies
// ---------------------------------------------------------------------------------------

/// Items with different base units and packaging, with quantities each can be stated in.
const POLICY_ITEMS: [(&str, &[&str]); 4] = [
    ("BOLT-M8", &["1 CS", "7 EA", "50 EA", "1 PL", "120 EA", "1 EA"]),
    ("CABLE-CU", &["1 RL", "2.5 M", "0.25 M", "0.001 M", "7 M"]),
    ("RESIN-EP", &["1 DRUM", "0.5 KG", "25 KG", "0.125 KG"]),
    ("CLEAN-5L", &["1 CS", "3 EA", "1 EA"]),
];

#[derive(Debug, Clone)]
struct PolicyGen {
    item: usize,
    planning: PlanningMethod,
    safety: u8,
    fixed: usize,
    days_tenths: u32,
    fill_rate: bool,
    target_permille: u32,
    lead_tenths: u32,
    lead_sd_tenths: u32,
    review: Option<u32>,
    multiple: Option<usize>,
    min: Option<usize>,
    max: Option<usize>,
    mean_hundredths: u32,
    cv_pct: u32,
    period_days: u32,
    costs: bool,
}

fn gen_policy() -> impl Strategy<Value = PolicyGen> {
    let planning = prop_oneof![
        Just(PlanningMethod::ReorderPoint),
        Just(PlanningMethod::MinMax),
        Just(PlanningMethod::PeriodicReview),
        Just(PlanningMethod::Manual),
        Just(PlanningMethod::Drp),
    ];
    (
        (0..POLICY_ITEMS.len(), planning, 0u8..4, 0usize..8, 0u32..300),
        (any::<bool>(), 1u32..1_000, 0u32..300, 0u32..60, proptest::option::of(1u32..30)),
        (
            proptest::option::of(0usize..8),
            proptest::option::weighted(0.5, 0usize..8),
            proptest::option::weighted(0.5, 0usize..8),
        ),
        (
            // Daily demand in hundredths: slow movers (under 10 a day) as often as fast.
            prop_oneof![0u32..1_000, 0u32..100_000],
            0u32..150,
            prop_oneof![3 => Just(1u32), 1 => Just(7u32)],
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (item, planning, safety, fixed, days_tenths),
                (fill_rate, target_permille, lead_tenths, lead_sd_tenths, review),
                (multiple, min, max),
                (mean_hundredths, cv_pct, period_days, costs),
            )| PolicyGen {
                item,
                planning,
                safety,
                fixed,
                days_tenths,
                fill_rate,
                target_permille,
                lead_tenths,
                lead_sd_tenths,
                review,
                multiple,
                min,
                max,
                mean_hundredths,
                cv_pct,
                period_days,
                costs,
            },
        )
}

fn qty_of(item: usize, k: usize) -> Qty {
    let list = POLICY_ITEMS[item].1;
    list[k % list.len()].parse().unwrap()
}

fn target(fill_rate: bool, permille: u32) -> ServiceTarget {
    let v = Decimal::new(i64::from(permille), 3);
    if fill_rate { ServiceTarget::FillRate(v) } else { ServiceTarget::CycleServiceLevel(v) }
}

fn build_policy(g: &PolicyGen) -> ItemSitePolicy {
    let mut p =
        ItemSitePolicy::new(POLICY_ITEMS[g.item].0.parse().unwrap(), "ATL".parse().unwrap());
    p.planning = g.planning;
    p.safety_stock = match g.safety {
        0 => SafetyStock::None,
        1 => SafetyStock::Fixed(qty_of(g.item, g.fixed)),
        2 => SafetyStock::DaysOfSupply(Decimal::new(i64::from(g.days_tenths), 1)),
        _ => SafetyStock::Statistical,
    };
    p.service_target = Some(target(g.fill_rate, g.target_permille));
    p.lead_time = LeadTime {
        mean_days: Decimal::new(i64::from(g.lead_tenths), 1),
        std_dev_days: Decimal::new(i64::from(g.lead_sd_tenths), 1),
    };
    p.review_period_days = g.review;
    p.order_multiple = g.multiple.map(|k| qty_of(g.item, k));
    p.order_min = g.min.map(|k| qty_of(g.item, k));
    p.order_max = g.max.map(|k| qty_of(g.item, k));
    p
}

fn stats_of(g: &PolicyGen) -> DemandStats {
    let mean = f64::from(g.mean_hundredths) / 100.0 * f64::from(g.period_days);
    DemandStats {
        period_days: g.period_days,
        periods: 0,
        mean,
        std_dev: mean * f64::from(g.cv_pct) / 100.0,
        seasonality: Vec::new(),
    }
}

fn costs() -> Costs {
    Costs {
        unit_cost: Decimal::new(740, 2),
        order_cost: d(40),
        holding_rate: Decimal::new(22, 2),
        shortage_penalty: d(3),
    }
}

fn units(item: usize) -> &'static onhand_master::ItemUnits {
    let cat = &**CATALOG;
    cat.item_units(cat.item_ix(&POLICY_ITEMS[item].0.parse().unwrap()).unwrap()).unwrap()
}

/// The step `parameters` should use: the multiple in base units, or the base unit's.
fn expected_step(g: &PolicyGen, p: &ItemSitePolicy) -> Decimal {
    let u = units(g.item);
    match &p.order_multiple {
        Some(m) => u.to_base(*m).unwrap().value(),
        None => Decimal::new(1, u.rounding(u.base()).unwrap().scale()),
    }
}

// ---------------------------------------------------------------------------------------
// Fair share and DRP inputs
// ---------------------------------------------------------------------------------------

fn gen_claims() -> impl Strategy<Value = (Decimal, Vec<FairClaim>, Decimal)> {
    let claim = (
        -100i64..1_000,
        prop_oneof![1 => Just(0i64), 6 => 1i64..1_000],
        prop_oneof![1 => Just(Some(0i64)), 6 => (0i64..1_500).prop_map(Some), 2 => Just(None)],
    )
        .prop_map(|(on_hand, daily_tenths, requested)| FairClaim {
            on_hand: d(on_hand),
            daily_demand: Decimal::new(daily_tenths, 1),
            requested: requested.map(d),
        });
    let step = prop_oneof![Just(d(1)), Just(d(5)), Just(d(12)), Just(Decimal::new(5, 1))];
    (0i64..4_000, proptest::collection::vec(claim, 1..8), step)
        .prop_map(|(supply, claims, step)| (d(supply), claims, step))
}

/// The reference model: every claim capped with the caps fitting, each gets its cap;
/// otherwise one step at a time to the claim with demand and room that has the fewest
/// days of supply (compared exactly, by cross-multiplying; the earlier claim on ties),
/// then what is left to the claims without demand, in order.
fn fair_share_reference(supply: Decimal, claims: &[FairClaim], step: Decimal) -> Vec<Decimal> {
    if let Some(caps) = claims.iter().map(|c| c.requested).collect::<Option<Vec<_>>>()
        && caps.iter().sum::<Decimal>() <= supply
    {
        return caps;
    }
    let mut shares = vec![Decimal::ZERO; claims.len()];
    let mut left = supply;
    while left >= step {
        let mut best: Option<usize> = None;
        for (k, c) in claims.iter().enumerate() {
            if c.daily_demand.is_zero() || c.requested.is_some_and(|r| shares[k] + step > r) {
                continue;
            }
            let fewer = best.is_none_or(|b| {
                (c.on_hand + shares[k]) * claims[b].daily_demand
                    < (claims[b].on_hand + shares[b]) * c.daily_demand
            });
            if fewer {
                best = Some(k);
            }
        }
        let Some(k) = best else { break };
        shares[k] += step;
        left -= step;
    }
    for (k, c) in claims.iter().enumerate() {
        if c.daily_demand.is_zero() {
            let mut give = c.requested.map_or(left, |r| r.min(left));
            give = (give / step).floor() * step;
            shares[k] = give;
            left -= give;
        }
    }
    shares
}

/// A planner over the demo catalog, with rates between its two currencies.
fn demo_planner(states: Vec<SiteState>) -> Planner {
    let rate = |from: &str, to: &str, rate: &str| ExchangeRate {
        from: from.parse().unwrap(),
        to: to.parse().unwrap(),
        rate: rate.parse().unwrap(),
    };
    Planner::new(CATALOG.clone(), states)
        .unwrap()
        .with_rates(vec![rate("USD", "CAD", "1.36"), rate("CAD", "USD", "0.735")])
        .unwrap()
}

fn days(c: &FairClaim, share: Decimal) -> Option<Decimal> {
    (c.daily_demand > Decimal::ZERO).then(|| (c.on_hand + share) / c.daily_demand)
}

/// On hand, safety stock, lead periods, gross requirements, scheduled receipts.
type NodeGen = (i64, i64, u32, Vec<i64>, Vec<i64>);

#[derive(Debug, Clone)]
struct DrpGen {
    /// Parent of each node after the first (an index below it).
    parents: Vec<usize>,
    nodes: Vec<NodeGen>,
    periods: usize,
}

/// A tree of `min_nodes` to six nodes over one to eight periods.
fn gen_drp(min_nodes: usize) -> impl Strategy<Value = DrpGen> {
    (min_nodes..7, 1usize..9).prop_flat_map(|(n, periods)| {
        let parents = proptest::collection::vec(any::<prop::sample::Index>(), n - 1);
        let node = (
            0i64..300,
            0i64..60,
            0u32..4,
            proptest::collection::vec(0i64..120, periods),
            proptest::collection::vec(prop_oneof![4 => Just(0i64), 1 => 0i64..100], 0..periods),
        );
        (parents, proptest::collection::vec(node, n), Just(periods)).prop_map(
            |(parents, nodes, periods)| DrpGen {
                parents: parents.iter().enumerate().map(|(k, ix)| ix.index(k + 1)).collect(),
                nodes,
                periods,
            },
        )
    })
}

fn drp_nodes(g: &DrpGen, constrained_root: bool) -> Vec<DrpNode> {
    g.nodes
        .iter()
        .enumerate()
        .map(|(k, (on_hand, ss, lead, gross, scheduled))| DrpNode {
            site: format!("N{k}").parse().unwrap(),
            source: (k > 0).then(|| format!("N{}", g.parents[k - 1]).parse().unwrap()),
            on_hand: d(*on_hand),
            safety_stock: d(*ss),
            lead_periods: *lead,
            lot: LotSizing::LotForLot,
            gross: gross.iter().copied().map(d).collect(),
            scheduled: scheduled.iter().copied().map(d).collect(),
            period_days: 7,
            constrained: constrained_root && k == 0,
        })
        .collect()
}

fn at(v: &[Decimal], t: usize) -> Decimal {
    v.get(t).copied().unwrap_or_default()
}

fn children_of(g: &DrpGen, k: usize) -> Vec<usize> {
    g.parents.iter().enumerate().filter(|(_, p)| **p == k).map(|(c, _)| c + 1).collect()
}

fn check_record(node: &DrpNode, r: &DrpRecord, periods: usize) {
    let mut p = node.on_hand;
    let lead = node.lead_periods as usize;
    let mut released = Decimal::ZERO;
    for t in 0..periods {
        let before = p + at(&r.scheduled, t) - r.gross[t];
        assert_eq!(r.scheduled[t], at(&node.scheduled, t));
        // Lot for lot: a receipt exactly covers the net requirement, only when needed.
        let net = if before < node.safety_stock { node.safety_stock - before } else { d(0) };
        assert_eq!(r.net[t], net, "{} net in {t}", node.site);
        assert_eq!(r.planned_receipts[t], net, "{} receipt in {t}", node.site);
        assert_eq!(r.projected[t], before + net, "{} projected in {t}", node.site);
        if t >= lead {
            assert!(r.projected[t] >= node.safety_stock, "{} below safety stock in {t}", node.site);
            assert_eq!(r.planned_releases[t - lead], r.planned_receipts[t]);
        } else {
            released += r.planned_receipts[t];
        }
        p = r.projected[t];
    }
    assert_eq!(r.past_due, released, "{} past due", node.site);
    // Releases whose receipts fall beyond the horizon are not planned.
    for t in periods.saturating_sub(lead)..periods {
        assert_eq!(r.planned_releases[t], Decimal::ZERO);
    }
}

// ---------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------

proptest! {
    /// (a) and (e) on the candidates: every transfer leaves its source at or above its
    /// protected level; candidate quantities are positive multiples of the step.
    #[test]
    fn transfers_respect_the_sources_protected_level(net in gen_network()) {
        let states = states(&net);
        let by_key: BTreeMap<(String, String), &SiteState> = states
            .iter()
            .map(|s| ((s.item.to_string(), s.site.to_string()), s))
            .collect();
        let planner = demo_planner(states.clone());
        let recs = planner.evaluate().unwrap();
        let mut requests = Vec::new();
        for r in &recs {
            let dest = planner.parameters(&r.item, &r.site).unwrap();
            let step = dest.steps.step;
            prop_assert!(r.need > Decimal::ZERO && is_multiple(r.need, step), "need {}", r.need);
            // At or below the reorder point (periodic review: below the order-up-to level).
            prop_assert!(
                r.position <= r.reorder_point || dest.order_up_to.is_some_and(|s| r.position < s)
            );
            for c in candidates(r) {
                match &c.action {
                    Action::Transfer { from } => {
                        prop_assert!(c.qty > Decimal::ZERO && c.qty <= r.need);
                        prop_assert!(is_multiple(c.qty, step), "transfer {} step {step}", c.qty);
                        let src = by_key[&(r.item.to_string(), from.to_string())];
                        let sp = planner.parameters(&r.item, from).unwrap();
                        let transit = transit_days(&r.item, from, &r.site);
                        let src_gen = net
                            [ITEMS.iter().position(|i| *i == r.item.as_str()).unwrap() * SITES.len()
                                + SITES.iter().position(|s| *s == from.as_str()).unwrap()]
                            .as_ref()
                            .unwrap();
                        // Exact: the generated daily demand is in tenths.
                        let protected = ceil_to(
                            sp.safety_stock + daily(src_gen) * d(i64::from(transit)),
                            sp.steps.step,
                        );
                        let free = src.position.on_hand - src.position.backorders
                            - src.position.allocated;
                        prop_assert!(
                            free - c.qty >= protected,
                            "{} from {from} to {}: free {free} - {} below protected {protected}",
                            r.item, r.site, c.qty
                        );
                        // Scored as a request, the same transfer is the same candidate; one
                        // step past the source's free stock above its protected level is
                        // flagged.
                        let req = |qty| ProposedTransfer {
                            item: r.item.clone(),
                            from: from.clone(),
                            to: r.site.clone(),
                            qty,
                        };
                        let same = planner.score_transfer(&req(c.qty)).unwrap();
                        prop_assert_eq!((same.score, same.arrives_in_days), (c.score, c.arrives_in_days));
                        prop_assert!(!same.reasons.iter().any(|m| m.contains("below its protected level")));
                        let over = free - protected + sp.steps.step;
                        let flagged = planner.score_transfer(&req(over)).unwrap();
                        prop_assert!(
                            flagged.reasons.iter().any(|m| m.contains("below its protected level")),
                            "{over} from {from}: {:?}", flagged.reasons
                        );
                        requests.push(req(c.qty));
                    }
                    Action::Purchase { .. } | Action::Substitute { .. } => {
                        prop_assert!(c.qty > Decimal::ZERO);
                        prop_assert!(is_multiple(c.qty, step), "{:?} {} step {step}", c.action, c.qty);
                    }
                    Action::ProtectAllocation => {
                        let s = by_key[&(r.item.to_string(), r.site.to_string())];
                        let free = s.position.free().unwrap().max(Decimal::ZERO);
                        prop_assert!(c.qty >= Decimal::ZERO);
                        prop_assert!(c.qty <= s.priority_demand && c.qty <= free);
                    }
                    // `Action` may grow: a new action needs its property here.
                    other => prop_assert!(false, "no property for {:?} yet", other),
                }
                prop_assert!(c.score.is_finite() && c.expected_short >= 0.0);
                prop_assert!((0.0..=1.0).contains(&c.stockout_risk));
            }
        }
        // Ranking the transfers returns each request once.
        let ranked = planner.rank_transfers(&requests).unwrap();
        let mut seen: Vec<usize> = ranked.iter().map(|(n, _)| *n).collect();
        seen.sort_unstable();
        prop_assert_eq!(seen, (0..requests.len()).collect::<Vec<_>>());
    }

    /// (b) The same states, evaluated twice or shuffled, give identical recommendations.
    #[test]
    fn evaluation_is_deterministic(
        (net, order) in gen_network().prop_flat_map(|net| {
            let n = net.iter().flatten().count();
            (Just(net), Just((0..n).collect::<Vec<_>>()).prop_shuffle())
        })
    ) {
        let states = states(&net);
        let planner = demo_planner(states.clone());
        let first = planner.evaluate().unwrap();
        prop_assert_eq!(&first, &planner.evaluate().unwrap());
        let shuffled: Vec<SiteState> = order.iter().map(|k| states[*k].clone()).collect();
        let again = demo_planner(shuffled).evaluate().unwrap();
        prop_assert_eq!(format!("{first:?}"), format!("{again:?}"));
        prop_assert_eq!(first, again);
    }

    /// (c) Safety stock never falls when the service target, the demand deviation or the
    /// lead-time deviation rises.
    #[test]
    fn safety_stock_is_monotone(
        g in gen_policy(),
        fill_rate in any::<bool>(),
        (lo, hi) in (1u32..999, 1u32..999).prop_map(|(a, b)| (a.min(b), a.max(b))),
        extra_cv in 0u32..100,
        extra_lead_sd in 0u32..50,
    ) {
        let mut g = g;
        if g.planning == PlanningMethod::PeriodicReview {
            g.review = g.review.or(Some(7));
        }
        g.safety = 3;
        g.fill_rate = fill_rate;
        g.min = None;
        g.max = None;
        let costs = g.costs.then(costs);
        let ss = |g: &PolicyGen| {
            parameters(&build_policy(g), units(g.item), &stats_of(g), costs.as_ref())
                .unwrap()
                .safety_stock
        };
        let (mut a, mut b) = (g.clone(), g.clone());
        a.target_permille = lo;
        b.target_permille = hi;
        prop_assert!(ss(&a) <= ss(&b), "target {lo} -> {}, {hi} -> {}", ss(&a), ss(&b));
        let mut c = g.clone();
        c.cv_pct += extra_cv;
        prop_assert!(ss(&g) <= ss(&c), "cv {} -> {}, {} -> {}", g.cv_pct, ss(&g), c.cv_pct, ss(&c));
        let mut e = g.clone();
        e.lead_sd_tenths += extra_lead_sd;
        prop_assert!(ss(&g) <= ss(&e), "lead sd {} -> {}, {} -> {}",
            g.lead_sd_tenths, ss(&g), e.lead_sd_tenths, ss(&e));
    }

    /// (d) The position identity, against exact integer arithmetic.
    #[test]
    fn position_identity(
        parts in proptest::array::uniform5(prop_oneof![
            4 => -1_000_000_000i64..1_000_000_000,
            1 => any::<i64>(),
        ]),
        scales in proptest::array::uniform5(0u32..4),
        huge in proptest::option::weighted(0.2, (0usize..5, any::<bool>())),
    ) {
        // Near the decimal range's ends only whole numbers: a sum that does not fit its
        // scale would be rounded by the decimal type, which is not the crate's doing.
        let scales = if huge.is_some() { [0; 5] } else { scales };
        let mut v: Vec<Decimal> =
            parts.iter().zip(&scales).map(|(p, s)| Decimal::new(*p, *s)).collect();
        if let Some((k, neg)) = huge {
            v[k] = if neg { Decimal::MIN } else { Decimal::MAX };
        }
        let pos = Position {
            on_hand: v[0],
            on_order: v[1],
            in_transit: v[2],
            backorders: v[3],
            allocated: v[4],
        };
        // Exact in i128 at scale 3 (|Decimal| < 8e28, x 1000 < 1.7e38).
        let exact = |x: Decimal| -> i128 { x.mantissa() * 10i128.pow(3 - x.scale()) };
        let e: Vec<i128> = v.iter().map(|x| exact(*x)).collect();
        let limit = Decimal::MAX.mantissa() * 1000;
        let partials = [e[0] + e[1], e[0] + e[1] + e[2], e[0] + e[1] + e[2] - e[3]];
        let total = partials[2] - e[4];
        let fits = |x: i128| x.abs() <= limit;
        match pos.value() {
            Ok(value) => {
                prop_assert_eq!(exact(value), total, "{:?}", pos);
            }
            Err(_) => prop_assert!(!(partials.iter().all(|p| fits(*p)) && fits(total)), "{:?}", pos),
        }
        let free_exact = e[0] - e[3] - e[4];
        match pos.free() {
            Ok(free) => prop_assert_eq!(exact(free), free_exact),
            Err(_) => prop_assert!(!(fits(e[0] - e[3]) && fits(free_exact))),
        }
    }

    /// (e) Every quantity out of `parameters` is a non-negative multiple of the step.
    #[test]
    fn parameters_are_multiples_of_the_step(g in gen_policy()) {
        let policy = build_policy(&g);
        let costs = g.costs.then(costs);
        let result = parameters(&policy, units(g.item), &stats_of(&g), costs.as_ref());
        let u = units(g.item);
        let base = |q: &Option<Qty>| q.map(|q| u.to_base(q).unwrap().value());
        let (min, max) = (base(&policy.order_min), base(&policy.order_max));
        if let (Some(lo), Some(hi)) = (min, max) && hi < lo {
            prop_assert!(result.is_err());
            return Ok(());
        }
        // No multiple of the step between the least order and the maximum: refused.
        if let Some(hi) = max {
            let step = expected_step(&g, &policy);
            let least = min.map_or(step, |lo| (lo / step).ceil() * step).max(step);
            if (hi / step).floor() * step < least {
                prop_assert_eq!(result.map_err(|e| e.code()).err(), Some("no_order_fits"));
                return Ok(());
            }
        }
        // Periodic review without a review period is refused, never given a default.
        if policy.planning == PlanningMethod::PeriodicReview && policy.review_period_days.is_none() {
            prop_assert_eq!(result.map_err(|e| e.code()).err(), Some("no_review_period"));
            return Ok(());
        }
        let p = result.unwrap();
        let step = expected_step(&g, &policy);
        prop_assert_eq!(p.steps.step, step);
        let mut quantities = vec![("safety stock", p.safety_stock), ("reorder point", p.reorder_point), ("order qty", p.order_qty)];
        if let Some(s) = p.order_up_to {
            quantities.push(("order-up-to level", s));
        }
        for (what, q) in quantities {
            prop_assert!(q >= Decimal::ZERO, "{what} {q}");
            prop_assert!(is_multiple(q, step), "{what} {q} not a multiple of {step}: {:?}", p);
        }
        prop_assert!(p.reorder_point >= p.safety_stock);
        if let Some(s) = p.order_up_to {
            prop_assert!(s >= p.reorder_point);
        }
        // The rounded safety stock and reorder point are their unrounded figures rounded
        // up to the step: at or above them, and the safety stock less than a step above.
        let f = |v: Decimal| v.to_f64().unwrap();
        let slack = 1e-6 * (1.0 + p.unrounded.reorder_point.abs());
        prop_assert!(f(p.safety_stock) + slack >= p.unrounded.safety_stock);
        prop_assert!(f(p.safety_stock) < p.unrounded.safety_stock.max(0.0) + f(step) + slack);
        prop_assert!(f(p.reorder_point) + slack >= p.unrounded.reorder_point);
        // The planner's documented rounding: the reorder point covers the lead time's
        // demand on top of the safety stock as held, `up(d L + up(SS))`, at most one step
        // above the textbook `up(d L + SS)`.
        // (Compared within a float slack: `d L` is only known here as the difference of
        // two unrounded figures.)
        let covered = p.unrounded.reorder_point - p.unrounded.safety_stock + f(p.safety_stock);
        prop_assert!(f(p.reorder_point) + slack >= covered, "{:?}", p);
        prop_assert!(f(p.reorder_point) < covered.max(0.0) + f(step) + slack, "{:?}", p);
        prop_assert!(f(p.reorder_point) < p.unrounded.reorder_point.max(0.0) + 2.0 * f(step) + slack);
        if let (Some(s), Some(exact)) = (p.order_up_to, p.unrounded.order_up_to) {
            prop_assert!(f(s) + slack >= exact);
        }
        if let Some(max) = max {
            prop_assert!(p.order_qty <= max);
        }
        if let Some(min) = min && max.is_none_or(|m| ceil_to(min, step) <= m) {
            prop_assert!(p.order_qty >= min);
        }
    }

    /// (f) Fair share: bounded by supply and caps, adding up, levelling days of supply,
    /// and equal to the one-step-at-a-time reference model.
    #[test]
    fn fair_share_levels_days_of_supply((supply, claims, step) in gen_claims()) {
        let shared = fair_share(supply, &claims, step).unwrap();
        let shares = &shared.shares;
        prop_assert_eq!(shares.len(), claims.len());
        prop_assert_eq!(shares, &fair_share_reference(supply, &claims, step));
        let capped = claims.iter().all(|c| c.requested.is_some());
        let asked: Decimal = claims.iter().filter_map(|c| c.requested).sum();
        let total: Decimal = shares.iter().sum();
        prop_assert!(total <= supply, "{total} > {supply}");
        let all_given = capped && asked <= supply;
        for (c, s) in claims.iter().zip(shares) {
            prop_assert!(*s >= Decimal::ZERO && c.requested.is_none_or(|r| *s <= r));
            if !all_given {
                prop_assert!(is_multiple(*s, step), "{s} not a multiple of {step}");
            }
        }
        let room = |c: &FairClaim, s: Decimal| c.requested.is_none_or(|r| s + step <= r);
        // Conservation: either what is left is under a step, or no claim can take another.
        let any_room = claims.iter().zip(shares).any(|(c, s)| room(c, *s));
        prop_assert!(supply - total < step || !any_room || all_given);
        if all_given {
            prop_assert_eq!(total, asked);
            return Ok(());
        }
        // Max-min fair to the step: no claim that can take a step sits below what
        // another would keep after giving one.
        for (i, (ci, si)) in claims.iter().zip(shares).enumerate() {
            if !room(ci, *si) {
                continue;
            }
            let Some(di) = days(ci, *si) else { continue };
            for (j, (cj, sj)) in claims.iter().zip(shares).enumerate() {
                if i == j || *sj < step {
                    continue;
                }
                let dj = days(cj, *sj - step);
                prop_assert!(
                    dj.is_some_and(|dj| dj <= di),
                    "claim {i} could take a step from claim {j} and still be below it \
                     ({di} days against {dj:?}): {:?} {:?}",
                    claims, shares
                );
            }
        }
        // Equal days of supply: the level reported is where every claim with demand,
        // given clamp(level x demand - on hand, 0, cap), takes the supply in whole steps.
        let supply_steps = (supply / step).floor() * step;
        if let Some(level) = shared.days_of_supply {
            let taken: Decimal = claims
                .iter()
                .filter(|c| c.daily_demand > Decimal::ZERO)
                .map(|c| {
                    let cap = c.requested.map(|r| (r / step).floor() * step);
                    let x = (level * c.daily_demand - c.on_hand).max(Decimal::ZERO);
                    cap.map_or(x, |cap| x.min(cap))
                })
                .sum();
            prop_assert!((taken - supply_steps).abs() < Decimal::new(1, 12), "{taken} at {level}");
        } else {
            // Not short for the claims with demand: each got its cap, in steps.
            for (c, s) in claims.iter().zip(shares) {
                if c.daily_demand > Decimal::ZERO && !all_given {
                    prop_assert!(!room(c, *s), "{c:?} got {s} with room and no level");
                }
            }
        }
    }

    /// (g) DRP records: lot-for-lot arithmetic, safety stock kept after the lead time,
    /// and dependent demand passed up to the source period by period.
    #[test]
    fn drp_records_hold(g in gen_drp(1)) {
        let nodes = drp_nodes(&g, false);
        let recs = drp(g.periods, &nodes).unwrap();
        for (k, (node, r)) in nodes.iter().zip(&recs).enumerate() {
            check_record(node, r, g.periods);
            for t in 0..g.periods {
                // Children's releases, with their past-due releases wanted in period 0.
                let dependent: Decimal = children_of(&g, k)
                    .iter()
                    .map(|c| recs[*c].planned_releases[t] + if t == 0 { recs[*c].past_due } else { Decimal::ZERO })
                    .sum();
                prop_assert_eq!(r.gross[t], at(&node.gross, t) + dependent, "{} gross in {}", node.site, t);
            }
            prop_assert!(r.shortfall.iter().all(Decimal::is_zero));
        }
    }

    /// (g) A constrained source ships no more than it has, serves its own demand first and
    /// never gives a child more than it asked.
    #[test]
    fn a_constrained_source_never_over_ships(g in gen_drp(2)) {
        // Node 1's source is always node 0: with two nodes the root has a child. (A
        // constrained node without children is planned like any other, without receipts:
        // its projection may go negative.)
        let free = drp(g.periods, &drp_nodes(&g, false)).unwrap();
        let nodes = drp_nodes(&g, true);
        let recs = drp(g.periods, &nodes).unwrap();
        let root = &recs[0];
        prop_assert!(root.planned_receipts.iter().all(Decimal::is_zero));
        let mut p = nodes[0].on_hand;
        for t in 0..g.periods {
            prop_assert!(root.projected[t] >= Decimal::ZERO, "root projected {}", root.projected[t]);
            let shipped: Decimal = children_of(&g, 0).iter().map(|c| recs[*c].planned_releases[t]).sum();
            let available = (p + at(&root.scheduled, t) - at(&nodes[0].gross, t)).max(Decimal::ZERO);
            prop_assert!(shipped <= available, "ships {shipped} of {available} in {t}");
            for c in children_of(&g, 0) {
                prop_assert!(recs[c].planned_releases[t] <= free[c].planned_releases[t]);
            }
            p = root.projected[t];
        }
    }

    /// (h) The normal distribution's inverses invert.
    #[test]
    fn normal_inverses_invert(z in -30.0f64..6.0, y in -20.0f64..8.0) {
        let p = normal::cdf(z);
        let back = normal::inverse_cdf(p).unwrap();
        // p holds about 1e-16 absolute near 1: allow for it where the density is small.
        let tol = (4e-16 / normal::pdf(z)).max(1e-9);
        prop_assert!((back - z).abs() <= tol, "inverse_cdf(cdf({z})) = {back}");
        let g = normal::loss(y);
        let back = normal::inverse_loss(g).unwrap();
        let tol = (4e-16 * g.max(1.0) / normal::sf(y)).max(1e-9);
        prop_assert!((back - y).abs() <= tol, "inverse_loss(loss({y})) = {back} (g {g})");
    }

    /// (i) One negative figure in a valid plan is refused naming its field, bound, value
    /// and site.
    #[test]
    fn a_negative_drp_figure_is_named(
        g in gen_drp(1),
        node in any::<prop::sample::Index>(),
        which in 0usize..4,
        slot in any::<prop::sample::Index>(),
        size in 1i64..1_000,
    ) {
        let mut nodes = drp_nodes(&g, false);
        let k = node.index(nodes.len());
        let n = &mut nodes[k];
        let bad = -d(size);
        let field = match which {
            0 => { n.on_hand = bad; Field::OnHand }
            1 => { n.safety_stock = bad; Field::SafetyStock }
            2 => { let t = slot.index(n.gross.len()); n.gross[t] = bad; Field::GrossRequirement }
            _ => { n.scheduled.push(bad); Field::ScheduledReceipt }
        };
        let site = n.site.clone();
        let err = drp(g.periods, &nodes).unwrap_err();
        prop_assert_eq!(err.code(), "invalid_input");
        prop_assert_eq!(err, ReplenishError::InvalidInput {
            field, bound: Bound::NotNegative, value: Some(bad), item: None, site: Some(site),
        });
    }
}
