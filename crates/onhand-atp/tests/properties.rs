//! Property tests: invariants of promising, allocation controls and re-processing on
//! random networks (the demo network and synthetic ones), random supply and random order
//! lines, checked against the reference model in `onhand_testkit::atp_model` (which recomputes every
//! invariant from the inputs, never from the engine's availability).
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::collections::BTreeMap;

use onhand_atp::table::{TableCell, TableMode, TableRule, atp_table};
use onhand_atp::{Atp, AtpError, AtpSnapshot, Availability, Claim, LineId, OrderLine, Promise};
use onhand_master::{Qty, seed};
use onhand_testkit::atp_model::{
    AmountSpec, Checks, Harness, LineQty, LineSpec, Op, PickQty, QtySpec, ReduceSpec, RuleSpec,
    World, date,
};
use onhand_testkit::scale;
use proptest::prelude::*;
use proptest::sample::Index;
use rust_decimal::Decimal;

// ---- generators ----------------------------------------------------------------------

/// The network a case runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Net {
    Demo,
    Synthetic { items: usize, sites: usize, policies: bool },
}

/// The network's model (built once per network and thread).
fn world(net: Net) -> World {
    thread_local! {
        static WORLDS: std::cell::RefCell<Vec<(Net, World)>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    WORLDS.with_borrow_mut(|worlds| {
        if let Some((_, w)) = worlds.iter().find(|(n, _)| *n == net) {
            return w.clone();
        }
        let w = match net {
            Net::Demo => World::new(seed::demo_network()),
            Net::Synthetic { items, sites, policies } => {
                World::new(scale::network(items, sites, policies))
            }
        };
        worlds.push((net, w.clone()));
        w
    })
}

fn net() -> impl Strategy<Value = Net> {
    prop_oneof![
        3 => Just(Net::Demo),
        2 => (1usize..=4, 1usize..=8, any::<bool>())
            .prop_map(|(items, sites, policies)| Net::Synthetic { items, sites, policies }),
    ]
}

/// Mostly the demo's items with substitutes (BOLT-M8 is 0, GLOVE-NIT is 9), so lines
/// compete; sometimes any, rarely an unknown one.
fn item() -> impl Strategy<Value = u8> {
    prop_oneof![4 => Just(0u8), 4 => Just(9u8), 3 => 0u8..11, 1 => any::<u8>()]
}

/// Mostly the first sites (ATL, DFW, ORD in the demo), rarely an unknown one.
fn site() -> impl Strategy<Value = u8> {
    prop_oneof![4 => 0u8..3, 3 => 0u8..9, 1 => any::<u8>()]
}

fn region() -> impl Strategy<Value = u8> {
    prop_oneof![4 => 0u8..3, 4 => 0u8..8, 1 => any::<u8>()]
}

/// Any quantity: other units, decimals, zero.
fn any_qty() -> impl Strategy<Value = QtySpec> {
    (
        prop_oneof![2 => Just(0u32), 4 => 1u32..=20, 1 => 21u32..=2000],
        prop_oneof![6 => Just(0u8), 2 => 1u8..250, 1 => 250u8..=255],
        prop_oneof![8 => Just(0u8), 2 => 1u8..=4],
    )
        .prop_map(|(value, unit, decimals)| QtySpec { value, unit, decimals })
}

/// Supply in base units: zero stock, a little, a lot.
fn stock() -> impl Strategy<Value = QtySpec> {
    prop_oneof![
        3 => Just(QtySpec::base(0)),
        4 => (1u32..=10).prop_map(QtySpec::base),
        3 => (11u32..=200).prop_map(QtySpec::base),
        1 => (201u32..=3000).prop_map(QtySpec::base),
        1 => any_qty(),
    ]
}

fn line_qty() -> impl Strategy<Value = LineQty> {
    prop_oneof![
        3 => (-1i8..=1).prop_map(LineQty::Fit),
        2 => (-1i8..=1).prop_map(LineQty::Everything),
        3 => (1u32..=30).prop_map(|v| LineQty::Plain(QtySpec::base(v))),
        1 => (31u32..=1000).prop_map(|v| LineQty::Plain(QtySpec::base(v))),
        1 => any_qty().prop_map(LineQty::Plain),
    ]
}

fn line() -> impl Strategy<Value = LineSpec> {
    (
        (prop_oneof![12 => Just(None), 1 => any::<u8>().prop_map(Some)], item(), region()),
        // Requested dates: too soon for transit, soon, later.
        prop_oneof![2 => -2i8..=2, 3 => 3i8..=8, 2 => 9i8..=20],
        line_qty(),
        1u8..=9,
        (any::<bool>(), prop_oneof![2 => Just(false), 1 => Just(true)]),
        prop_oneof![3 => Just(None), 1 => (0u16..=20).prop_map(Some)],
        (0u8..3, 0u8..5, 0u8..8),
        prop_oneof![4 => Just(None), 1 => (0u16..4).prop_map(Some)],
    )
        .prop_map(
            |(
                (id, item, region),
                requested,
                qty,
                priority,
                (split, subs),
                min_split,
                (rule, strategy, class),
                seq,
            )| LineSpec {
                id,
                item,
                region,
                requested,
                qty,
                priority,
                split,
                subs,
                min_split,
                rule,
                strategy,
                class,
                seq,
            },
        )
}

/// Unique new ids, valid items and regions.
fn plain_line() -> impl Strategy<Value = LineSpec> {
    (line(), prop_oneof![Just(0u8), Just(9u8), 0u8..11], 0u8..8).prop_map(
        |(mut l, item, region)| {
            l.id = None;
            l.item = item;
            l.region = region;
            if let LineQty::Plain(q) = &mut l.qty {
                *q = QtySpec::base(q.value.max(1));
            }
            l
        },
    )
}

fn claim() -> impl Strategy<Value = Option<i16>> {
    prop_oneof![3 => Just(None), 1 => (-24i16..=480).prop_map(Some)]
}

fn amount() -> impl Strategy<Value = AmountSpec> {
    prop_oneof![
        2 => (0u32..=60).prop_map(|v| AmountSpec::Absolute(QtySpec::base(v))),
        2 => prop_oneof![4 => 0u8..=100, 1 => 101u8..=255].prop_map(AmountSpec::Percent),
        2 => (0u8..=4).prop_map(AmountSpec::Ratio),
    ]
}

fn quota_rule() -> impl Strategy<Value = RuleSpec> {
    (
        prop_oneof![4 => Just(0u8), 4 => Just(9u8), 1 => any::<u8>()],
        prop_oneof![
            3 => Just(vec![0i8]),
            6 => proptest::collection::btree_set(-3i8..20, 1..4).prop_map(|s| s.into_iter().collect()),
            1 => proptest::collection::vec(-3i8..20, 0..4),
        ],
        any::<bool>(),
        proptest::collection::vec((0u8..8, amount()), 0..4),
        proptest::option::of(amount()),
    )
        .prop_map(|(item, periods, cumulative, entries, collective)| RuleSpec {
            item,
            periods,
            cumulative,
            entries,
            collective,
        })
}

fn set_available() -> impl Strategy<Value = Op> {
    (item(), site(), stock()).prop_map(|(item, site, qty)| Op::SetAvailable { item, site, qty })
}

fn add_supply() -> impl Strategy<Value = Op> {
    (item(), site(), -3i8..=30, stock()).prop_map(|(item, site, day, qty)| Op::AddSupply {
        item,
        site,
        day,
        qty,
    })
}

fn protect() -> impl Strategy<Value = Op> {
    (item(), site(), stock(), prop_oneof![1 => Just(0u8), 4 => 1u8..=8, 1 => 9u8..=255])
        .prop_map(|(item, site, qty, up_to)| Op::Protect { item, site, qty, up_to })
}

/// A pick for a line: mostly of one of its schedule lines, sometimes of the ordered item
/// or a substitute at any site, rarely of anything; what it holds there, more, less, or
/// any quantity.
fn consume() -> impl Strategy<Value = Op> {
    (
        any::<u8>(),
        prop_oneof![6 => 0u8..200, 2 => 200u8..225, 2 => 225u8..250, 1 => 250u8..=255],
        item(),
        site(),
        prop_oneof![
            3 => prop_oneof![Just(100u8), 0u8..=100, 101u8..=255].prop_map(PickQty::Held),
            2 => prop_oneof![1u16..=5, 6u16..=200].prop_map(PickQty::Beyond),
            1 => any_qty().prop_map(PickQty::Raw),
        ],
    )
        .prop_map(|(pick, source, item, site, qty)| Op::Consume {
            pick,
            source,
            item,
            site,
            qty,
        })
}

/// One operation after setup.
fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (line(), claim()).prop_map(|(line, claim)| Op::Allocate { line, claim }),
        2 => (proptest::collection::vec(line(), 1..5), claim())
            .prop_map(|(lines, claim)| Op::Batch { lines, claim }),
        1 => line().prop_map(|line| Op::RoundTrip { line }),
        2 => any::<u8>().prop_map(|pick| Op::Release { pick }),
        2 => (any::<u8>(), prop_oneof![
                4 => any::<u8>().prop_map(ReduceSpec::Percent),
                1 => Just(ReduceSpec::Over),
                1 => Just(ReduceSpec::Fine),
            ])
            .prop_map(|(pick, how)| Op::Reduce { pick, how }),
        1 => any::<u8>().prop_map(|pick| Op::MakeHard { pick }),
        1 => (-24i16..=480).prop_map(|hours| Op::Sweep { hours }),
        2 => any::<bool>().prop_map(|fair| Op::Reprocess { fair }),
        1 => add_supply(),
        1 => set_available(),
        1 => prop_oneof![4 => 0i8..=3, 1 => Just(-1i8)].prop_map(|days| Op::Advance { days }),
        2 => consume(),
        1 => any::<u8>().prop_map(|pick| Op::RestoreConsumed { pick }),
    ]
}

/// What a case may set up besides supply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    /// Quotas and protection sometimes.
    Any,
    /// Always quotas.
    Quotas,
    /// Always protection.
    Protection,
    /// Protection sometimes, never quotas.
    NoQuotas,
}

#[derive(Debug, Clone)]
struct Scenario {
    net: Net,
    horizon: u16,
    setup: Vec<Op>,
    ops: Vec<Op>,
}

fn scenario(flavor: Flavor, ops: usize) -> impl Strategy<Value = Scenario> {
    scenario_of(flavor, ops, op())
}

/// Operations mostly picking stock for booked lines and reversing picks, among the others.
fn picking_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => op(),
        3 => consume(),
        2 => any::<u8>().prop_map(|pick| Op::RestoreConsumed { pick }),
    ]
}

fn scenario_of(
    flavor: Flavor,
    ops: usize,
    op: impl Strategy<Value = Op>,
) -> impl Strategy<Value = Scenario> {
    let (quotas, protection) = match flavor {
        Flavor::Any => (0..=2usize, 0..=3usize),
        Flavor::Quotas => (1..=3, 0..=1),
        Flavor::Protection => (0..=1, 1..=4),
        Flavor::NoQuotas => (0..=0, 0..=3),
    };
    (
        net(),
        prop_oneof![4 => Just(0u16), 1 => 1u16..=20],
        proptest::collection::vec(set_available(), 0..=25),
        proptest::collection::vec(add_supply(), 0..=10),
        proptest::collection::vec(protect(), protection),
        proptest::collection::vec(quota_rule(), quotas),
        proptest::collection::vec(op, 1..=ops),
    )
        .prop_map(|(net, horizon, stock, receipts, protect, rules, ops)| {
            let mut setup = stock;
            setup.extend(receipts);
            setup.extend(protect);
            if !rules.is_empty() {
                setup.push(Op::SetQuotas(rules));
            }
            Scenario { net, horizon, setup, ops }
        })
}

fn run(s: &Scenario, checks: Checks) -> Harness {
    let mut h = Harness::new(world(s.net), s.horizon, checks);
    for op in s.setup.iter().chain(&s.ops) {
        h.run(op);
    }
    h
}

/// At most `cap` cases, fewer if `PROPTEST_CASES` asks for fewer.
fn cases(cap: u32) -> ProptestConfig {
    let default = ProptestConfig::default();
    ProptestConfig { cases: default.cases.min(cap), ..default }
}

// ---- invariants of the engine's state --------------------------------------------------

proptest! {
    #![proptest_config(cases(1024))]

    /// After any operations, supply minus booked schedule lines, cumulated by day, is never negative at any item-site.
    #[test]
    fn no_site_or_date_is_over_allocated(s in scenario(Flavor::Any, 24)) {
        run(&s, Checks::OVER_ALLOCATION);
    }

    /// Every promise's confirmed plus unconfirmed equals what was requested, and its schedule covers exactly the confirmed part.
    #[test]
    fn confirmed_plus_unconfirmed_equals_requested(s in scenario(Flavor::Any, 24)) {
        run(&s, Checks::CONSERVATION);
    }

    /// No demand class is confirmed more than its quota in any period, discrete or cumulative, with or without a collective pool.
    #[test]
    fn no_quota_is_exceeded(s in scenario(Flavor::Quotas, 24)) {
        run(&s, Checks::QUOTAS);
    }

    /// Under any quotas (and protection, stock, bookings): every site's on-time figure from `network_atp_for` is confirmed in full, on time, by a one-source promise of the same class and priority, and one unit more is not: the network figure follows the promise's rules, a quota bounding both.
    #[test]
    fn network_atp_never_exceeds_what_a_promise_confirms(
        s in scenario(Flavor::Quotas, 12),
        queries in proptest::collection::vec((item(), region(), 0i64..12, 1u8..=9, any::<Index>()), 1..6),
    ) {
        let mut h = run(&s, Checks::NONE);
        let today = h.atp.today();
        for (item, region, ahead, priority, class) in queries {
            let i = usize::from(item) % h.world.items.len();
            let r = usize::from(region) % h.world.regions.len();
            let class = h.world.classes[class.index(h.world.classes.len())].clone();
            let (code, base) = (h.world.items[i].code.clone(), h.world.items[i].base);
            let ship_to = h.world.regions[r].code.clone();
            let requested = today + chrono::Days::new(ahead.unsigned_abs());
            let offers = h.atp.network_atp_for(&code, &ship_to, requested, priority, &class).unwrap();
            // Beyond a site's checking horizon, with no quota, the figure is unlimited.
            let Some(best) = offers.iter().filter(|o| o.on_time).map(|o| o.qty).max() else { continue };
            let Availability::Limited(best) = best else { continue };
            let step = Decimal::new(1, h.world.items[i].scale);
            let promise = |h: &mut Harness, qty: Decimal| {
                let mut line = OrderLine::new(LineId(u64::MAX), code.clone(), Qty::new(qty, base).unwrap(), requested, ship_to.clone());
                line.priority = priority;
                line.class = class.clone();
                h.atp.promise(&line).unwrap()
            };
            if best > Decimal::ZERO {
                let p = promise(&mut h, best);
                prop_assert!(p.on_time && p.confirmed == best, "network figure {} but the promise is {:?}", best, p);
            }
            let p = promise(&mut h, best + step);
            prop_assert!(!(p.on_time && p.confirmed == best + step), "network figure {} but {:?} is confirmed on time", best, p);
        }
    }

    /// A line less urgent than a protection never takes the site's balance below the protected quantity through its own schedule lines.
    #[test]
    fn protected_stock_is_never_consumed_by_a_lower_class(s in scenario(Flavor::Protection, 24)) {
        run(&s, Checks::PROTECTION);
    }

    /// Delivery minus availability is the site's handling plus the lane's transit days, new lines are never available before today, and substitutes are only confirmed on time.
    #[test]
    fn schedule_lines_respect_handling_transit_and_today(s in scenario(Flavor::Any, 24)) {
        run(&s, Checks::LEAD_TIMES);
    }

    /// Lines without splits are confirmed all or nothing in one schedule line; with splits, only the last piece of a complete confirmation is under the minimum split; reductions give back the latest lines first.
    #[test]
    fn splits_follow_the_line_settings(s in scenario(Flavor::Any, 24)) {
        run(&s, Checks::SPLITS);
    }

    /// A dry run (`promise`) changes no availability and equals what `allocate` then confirms.
    #[test]
    fn a_dry_run_changes_nothing_and_equals_the_allocation(s in scenario(Flavor::Any, 16)) {
        run(&s, Checks::DRY_RUN);
    }

    /// Allocating a line and releasing it restores every availability value exactly, and promising it again gives the same promise.
    #[test]
    fn releasing_a_line_restores_availability_exactly(s in scenario(Flavor::Any, 16)) {
        run(&s, Checks::ROUND_TRIP);
    }

    /// `sweep(now)` releases exactly the soft reservations with `expires <= now`, oldest first, and nothing else.
    #[test]
    fn sweep_releases_exactly_the_expired_reservations(s in scenario(Flavor::Any, 24)) {
        run(&s, Checks::SWEEP);
    }

    /// A second `reprocess(Apply)` right after the first (fair share or not) reports no changes: every line keeps its confirmed quantity, on-time flag and last delivery.
    #[test]
    fn reprocessing_twice_changes_nothing_the_second_time(s in scenario(Flavor::Any, 16)) {
        run(&s, Checks::REPROCESS_TWICE);
    }

    /// `reprocess(Simulate)` changes no booked promise and no availability, and returns what `Apply` then produces.
    #[test]
    fn simulation_changes_nothing_and_matches_apply(s in scenario(Flavor::Any, 16)) {
        run(&s, Checks::SIMULATE);
    }

    /// Picks use up a booked line's confirmation at their site, earliest first, lower what it asks for by what they cover (beyond it too) and give back what it no longer needs, latest first; a reversal holds what the pick used again from today and asks for what it took off; every other check holds throughout.
    #[test]
    fn picks_use_up_allocations_and_reversals_restore_them(s in scenario_of(Flavor::Any, 24, picking_op())) {
        run(&s, Checks::ALL);
    }

    /// Re-processing reports exactly the lines whose confirmation or last delivery changed; gain lines never lose, fill lines never gain, lose lines end with nothing.
    #[test]
    fn reprocessing_respects_the_strategies(s in scenario(Flavor::Any, 16)) {
        run(&s, Checks::STRATEGIES);
    }
}

// ---- batches -----------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct BatchCase {
    scenario: Scenario,
    lines: Vec<LineSpec>,
    order: Vec<Index>,
}

fn batch_case(flavor: Flavor) -> impl Strategy<Value = BatchCase> {
    (
        scenario(flavor, 1),
        proptest::collection::vec(plain_line(), 1..12),
        proptest::collection::vec(any::<Index>(), 12),
    )
        .prop_map(|(mut scenario, lines, order)| {
            scenario.ops.clear();
            BatchCase { scenario, lines, order }
        })
}

/// A batch on a synthetic network with one site, without quotas.
/// Batches from one site without quotas, of lines without a minimum split (with one,
/// more supply can confirm less: see
/// `more_supply_never_lowers_the_total_with_a_minimum_split`).
fn one_site_batch_case() -> impl Strategy<Value = BatchCase> {
    (1usize..=3, any::<bool>(), batch_case(Flavor::NoQuotas)).prop_map(
        |(items, policies, mut c)| {
            c.scenario.net = Net::Synthetic { items, sites: 1, policies };
            for l in &mut c.lines {
                l.min_split = None;
            }
            c
        },
    )
}

fn by_line(
    lines: &[onhand_atp::OrderLine],
    results: Vec<Result<Promise, AtpError>>,
) -> BTreeMap<LineId, Result<Promise, AtpError>> {
    lines.iter().map(|l| l.id).zip(results).collect()
}

proptest! {
    #![proptest_config(cases(1024))]

    /// `allocate_batch` of the same lines in any order gives identical promises.
    #[test]
    fn batch_allocation_is_independent_of_input_order(c in batch_case(Flavor::Any)) {
        let mut h = run(&c.scenario, Checks::NONE);
        let lines = h.lines(&c.lines);
        let mut shuffled = lines.clone();
        for (k, ix) in c.order.iter().enumerate().take(shuffled.len()) {
            let j = k + ix.index(shuffled.len() - k);
            shuffled.swap(k, j);
        }
        let mut other = h.atp.clone();
        let a = by_line(&lines, h.atp.allocate_batch(&lines, Claim::Hard));
        let b = by_line(&shuffled, other.allocate_batch(&shuffled, Claim::Hard));
        prop_assert_eq!(a, b);
    }

    /// Streaming prepared lines (served item group by item group) gives every line the
    /// promise that serving the whole batch in serve order gives, books the same and
    /// leaves the same availability; ids given twice (also across items) are settled in
    /// serve order.
    #[test]
    fn streaming_a_batch_equals_serving_it_in_order(
        c in batch_case(Flavor::Any),
        dups in proptest::collection::vec((any::<Index>(), any::<Index>(), 1u8..=9), 0..4),
    ) {
        let mut h = run(&c.scenario, Checks::NONE);
        let mut lines = h.lines(&c.lines);
        for (which, item_of, priority) in &dups {
            let mut copy = lines[which.index(lines.len())].clone();
            copy.item = lines[item_of.index(lines.len())].item.clone();
            copy.priority = *priority;
            lines.push(copy);
        }
        let (valid, prepared): (Vec<_>, Vec<_>) = lines
            .iter()
            .filter_map(|l| h.atp.prepare(l).ok().map(|p| (l.clone(), p)))
            .unzip();
        let mut batch = h.atp.clone();
        let expected = batch.allocate_batch(&valid, Claim::Hard);
        let mut stream = h.atp.clone();
        let mut got = Vec::new();
        stream.allocate_stream(&prepared, Claim::Hard, |r| got.push(r));
        let sorted = |r: &[Result<Promise, AtpError>]| {
            let mut v: Vec<String> = r.iter().map(|x| format!("{x:?}")).collect();
            v.sort();
            v
        };
        prop_assert_eq!(sorted(&got), sorted(&expected));
        for l in &valid {
            prop_assert_eq!(stream.booked(l.id), batch.booked(l.id));
        }
        h.atp = batch;
        let a = h.snapshot();
        h.atp = stream;
        prop_assert_eq!(h.snapshot(), a);
    }

    /// From one candidate site without quotas, adding supply anywhere never lowers the total that priority-ordered allocation confirms to lines without a minimum split (see the three ignored tests below for why not with several sites, quotas or a minimum split).
    #[test]
    fn more_supply_never_lowers_the_total_confirmed_from_one_site(
        c in one_site_batch_case(),
        extra in proptest::collection::vec(add_supply(), 1..4),
    ) {
        let mut h = run(&c.scenario, Checks::NONE);
        let lines = h.lines(&c.lines);
        let mut before = h.atp.clone();
        for op in &extra {
            h.run(op);
        }
        let total = |r: Vec<Result<Promise, AtpError>>| -> Decimal {
            r.into_iter().filter_map(Result::ok).map(|p| p.confirmed).sum()
        };
        let less = total(before.allocate_batch(&lines, Claim::Hard));
        let more = total(h.atp.allocate_batch(&lines, Claim::Hard));
        prop_assert!(more >= less, "{} < {}", more, less);
    }
}

// ---- the bucketed table ------------------------------------------------------------------

/// Discrete ATP with backward consumption, one unit at a time: supply periods (period 1
/// and every period with supply) net their supply (and on hand in period 1) against the
/// orders up to the next supply period; then, in date order, each unit of surplus is laid
/// on a stack, and each unit of shortage takes the top unit if it lies within the window.
/// `None` for periods the mode leaves blank.
fn discrete_reference(
    on_hand: i64,
    supply: &[i64],
    demand: &[i64],
    window: Option<usize>,
) -> Vec<Option<i64>> {
    let n = supply.len();
    let starts: Vec<usize> = (0..n).filter(|&t| t == 0 || supply[t] != 0).collect();
    let mut value = vec![0i64; starts.len()];
    for (k, &t) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(n);
        value[k] =
            supply[t] + if t == 0 { on_hand } else { 0 } - demand[t..end].iter().sum::<i64>();
    }
    let mut units: Vec<usize> = Vec::new(); // the supply-period index of each unlent unit
    let mut left = vec![0i64; starts.len()];
    for k in 0..starts.len() {
        if value[k] >= 0 {
            units.extend(std::iter::repeat_n(k, usize::try_from(value[k]).unwrap()));
            left[k] = value[k];
            continue;
        }
        let mut short = -value[k];
        while short > 0 {
            match units.last() {
                Some(&j) if window.is_none_or(|w| starts[k] - starts[j] <= w) => {
                    units.pop();
                    left[j] -= 1;
                    short -= 1;
                }
                _ => break,
            }
        }
        left[k] = -short;
    }
    let mut out = vec![None; n];
    for (k, &t) in starts.iter().enumerate() {
        out[t] = Some(left[k]);
    }
    out
}

fn cell_qty(c: TableCell) -> Option<Decimal> {
    match c {
        TableCell::Qty(q) => Some(q),
        TableCell::Blank | TableCell::Unlimited => None,
    }
}

proptest! {
    #![proptest_config(cases(1024))]

    /// Cumulative ATP with look-ahead never exceeds cumulative ATP without it, never decreases, and both turn unlimited at the same horizon.
    #[test]
    fn look_ahead_is_at_most_cumulative_and_non_decreasing(
        on_hand in prop_oneof![Just(0i64), 0i64..100],
        periods in proptest::collection::vec((prop_oneof![2 => Just(0i64), 1 => 0i64..60], prop_oneof![1 => Just(0i64), 1 => 0i64..60]), 1..12),
        window in proptest::option::of(0usize..4),
        horizon in proptest::option::of(0usize..14),
    ) {
        let supply: Vec<Decimal> = periods.iter().map(|p| Decimal::from(p.0)).collect();
        let demand: Vec<Decimal> = periods.iter().map(|p| Decimal::from(p.1)).collect();
        let rule = |mode| TableRule { mode, window, horizon };
        let plain = atp_table(Decimal::from(on_hand), &supply, &demand, rule(TableMode::Cumulative)).unwrap();
        let ahead = atp_table(Decimal::from(on_hand), &supply, &demand, rule(TableMode::CumulativeLookAhead)).unwrap();
        let mut prev: Option<Decimal> = None;
        for (c, l) in plain.iter().zip(&ahead) {
            prop_assert_eq!(c.atp == TableCell::Unlimited, l.atp == TableCell::Unlimited);
            if let (Some(c), Some(l)) = (cell_qty(c.atp), cell_qty(l.atp)) {
                prop_assert!(l <= c, "look-ahead {} > cumulative {}", l, c);
                if let Some(p) = prev {
                    prop_assert!(l >= p, "look-ahead fell from {} to {}", p, l);
                }
                prev = Some(l);
            }
        }
    }

    /// Discrete ATP with backward consumption equals a unit-by-unit reference: shortages are settled in date order, each unit from the nearest earlier unlent surplus unit within the window. Borrowing only moves quantity, so the ATP row sums to on hand + supply − orders (within the horizon); and adding orders to a period never changes a shortage or zero shown in an earlier supply period's bucket.
    #[test]
    fn discrete_backward_borrowing_matches_a_unit_reference(
        on_hand in prop_oneof![Just(0i64), 0i64..6],
        periods in proptest::collection::vec((prop_oneof![1 => Just(0i64), 2 => 0i64..5], prop_oneof![1 => Just(0i64), 2 => 0i64..6]), 1..10),
        window in proptest::option::of(0usize..4),
        horizon in prop_oneof![3 => Just(None), 1 => (0usize..10).prop_map(Some)],
        extra in (any::<Index>(), 1i64..4),
    ) {
        let supply: Vec<i64> = periods.iter().map(|p| p.0).collect();
        let demand: Vec<i64> = periods.iter().map(|p| p.1).collect();
        let rule = TableRule { mode: TableMode::Discrete, window, horizon };
        let table = |demand: &[i64]| -> Vec<TableCell> {
            let s: Vec<Decimal> = supply.iter().map(|v| Decimal::from(*v)).collect();
            let o: Vec<Decimal> = demand.iter().map(|v| Decimal::from(*v)).collect();
            atp_table(Decimal::from(on_hand), &s, &o, rule).unwrap().iter().map(|r| r.atp).collect()
        };
        let got = table(&demand);
        let checked = horizon.map_or(supply.len(), |h| h.min(supply.len()));
        let expected = discrete_reference(on_hand, &supply[..checked], &demand[..checked], window);
        for (t, cell) in got.iter().enumerate() {
            let want = if t >= checked {
                TableCell::Unlimited
            } else {
                expected[t].map_or(TableCell::Blank, |v| TableCell::Qty(Decimal::from(v)))
            };
            prop_assert_eq!(*cell, want, "period {}: {:?}", t + 1, got);
        }
        let total: Decimal = got.iter().filter_map(|c| cell_qty(*c)).sum();
        let shown = if checked == 0 { 0 } else { on_hand };
        let net = shown + supply[..checked].iter().sum::<i64>() - demand[..checked].iter().sum::<i64>();
        prop_assert_eq!(total, Decimal::from(net), "conservation");
        // More orders in period p leave every shortage (or zero) shown before the supply
        // period whose orders they join as it was.
        let p = extra.0.index(demand.len());
        let bucket = (0..=p).rev().find(|&t| t == 0 || supply[t] != 0).unwrap_or(0);
        let mut more = demand.clone();
        more[p] += extra.1;
        let after = table(&more);
        for t in 0..bucket {
            if let Some(v) = cell_qty(got[t]).filter(|v| *v <= Decimal::ZERO) {
                prop_assert_eq!(cell_qty(after[t]), Some(v), "period {} changed by orders in period {}", t + 1, p + 1);
            }
        }
    }

    /// For one item-site, the bucketed cumulative-with-look-ahead table (daily periods) equals the dated engine's availability with the same on hand, supply by day and orders booked as allocations, also with a checking horizon.
    #[test]
    fn the_bucketed_table_agrees_with_the_dated_engine(
        on_hand in prop_oneof![Just(0i64), 0i64..100],
        periods in proptest::collection::vec((prop_oneof![2 => Just(0i64), 1 => 0i64..60], 0i64..60), 1..15),
        horizon in prop_oneof![2 => Just(0u16), 1 => 1u16..16],
        order in proptest::collection::vec(any::<Index>(), 15),
    ) {
        let n = periods.len();
        // Days from `fence` on are beyond the checking horizon.
        let fence = if horizon == 0 { usize::MAX } else { usize::from(horizon) };
        // Orders never exceed what is there (within the horizon), so each books on its day.
        let mut running = on_hand;
        let mut supply = Vec::new();
        let mut demand = Vec::new();
        for (t, (s, d)) in periods.iter().enumerate() {
            running += s;
            let d = if t < fence { (*d).min(running) } else { *d };
            running -= d;
            supply.push(*s);
            demand.push(d);
        }
        let dec = |v: &[i64]| v.iter().map(|x| Decimal::from(*x)).collect::<Vec<_>>();
        let rule = TableRule {
            mode: TableMode::CumulativeLookAhead,
            window: None,
            horizon: (horizon > 0).then_some(usize::from(horizon)),
        };
        let rows = atp_table(Decimal::from(on_hand), &dec(&supply), &dec(&demand), rule).unwrap();

        let mut h = Harness::new(World::new(scale::network(1, 1, false)), horizon, Checks::ALL);
        h.run(&Op::SetAvailable { item: 0, site: 0, qty: QtySpec::base(u32::try_from(on_hand).unwrap()) });
        for (t, s) in supply.iter().enumerate() {
            let day = i8::try_from(t).unwrap();
            h.run(&Op::AddSupply { item: 0, site: 0, day, qty: QtySpec::base(u32::try_from(*s).unwrap()) });
        }
        // Book the orders in a random order: each is available on its own day (S000
        // delivers to R1 in 1 handling + 1 transit day).
        let mut days: Vec<usize> = (0..n).collect();
        for (k, ix) in order.iter().enumerate().take(n) {
            let j = k + ix.index(n - k);
            days.swap(k, j);
        }
        for t in days {
            if demand[t] == 0 {
                continue;
            }
            let line = LineSpec {
                id: None,
                item: 0,
                region: 0,
                requested: i8::try_from(t + 2).unwrap(),
                qty: LineQty::Plain(QtySpec::base(u32::try_from(demand[t]).unwrap())),
                priority: 5,
                split: false,
                subs: false,
                min_split: None,
                rule: 0,
                strategy: 2,
                class: 0,
                seq: None,
            };
            h.run(&Op::Allocate { line, claim: None });
        }
        let (item, site) = (h.world.items[0].code.clone(), h.world.sites[0].0.clone());
        for t in 0..n + 3 {
            let engine = h.atp.atp(&item, &site, date(i64::try_from(t).unwrap()), 5).unwrap();
            let table = rows.get(t.min(n - 1)).unwrap().atp;
            let expected = if t >= fence {
                Availability::Unlimited
            } else {
                Availability::Limited(cell_qty(table).unwrap())
            };
            prop_assert_eq!(engine, expected, "period {}", t + 1);
        }
        // Every order was confirmed on its day.
        for id in h.booked() {
            let p = h.atp.booked(id).unwrap();
            prop_assert!(p.on_time, "{:?}", p);
        }
    }
}

// ---- regressions and known limits ----------------------------------------------------------

fn demo_line(item: u8, region: u8, requested: i8, qty: u32) -> LineSpec {
    LineSpec {
        id: None,
        item,
        region,
        requested,
        qty: LineQty::Plain(QtySpec::base(qty)),
        priority: 5,
        split: false,
        subs: false,
        min_split: None,
        rule: 0,
        strategy: 2,
        class: 0,
        seq: None,
    }
}

/// Found by `no_quota_is_exceeded`: the split pass reused the one-source pass's offers,
/// each capped by the whole quota, so every site could confirm the full quota again.
#[test]
fn split_pieces_across_sites_share_one_quota() {
    let mut h = Harness::new(World::new(scale::network(1, 3, false)), 0, Checks::ALL);
    h.run(&Op::SetAvailable { item: 0, site: 0, qty: QtySpec::base(11) });
    h.run(&Op::SetAvailable { item: 0, site: 2, qty: QtySpec::base(1) });
    h.run(&Op::SetQuotas(vec![RuleSpec {
        item: 0,
        periods: vec![0],
        cumulative: false,
        entries: vec![],
        collective: Some(AmountSpec::Absolute(QtySpec::base(1))),
    }]));
    let line = LineSpec { split: true, priority: 1, strategy: 0, ..demo_line(0, 0, 4, 11) };
    h.run(&Op::Allocate { line, claim: None });
    let p = h.atp.booked(h.booked()[0]).unwrap();
    assert_eq!(p.confirmed, Decimal::ONE, "{p:?}");
}

/// Found by `no_site_or_date_is_over_allocated` with reloads: `set_available` replaced
/// the free quantity outright, forgetting what lines available today already hold.
#[test]
fn reloading_available_stock_keeps_what_todays_promises_hold() {
    let mut h = Harness::new(World::new(seed::demo_network()), 0, Checks::ALL);
    // NUT-M8 (2) at ORD (2), wanted in the Mid-West (2) in two days: available today.
    h.run(&Op::SetAvailable { item: 2, site: 2, qty: QtySpec::base(100) });
    h.run(&Op::Allocate { line: demo_line(2, 2, 2, 60), claim: None });
    h.run(&Op::SetAvailable { item: 2, site: 2, qty: QtySpec::base(100) });
    h.run(&Op::Allocate { line: demo_line(2, 2, 2, 60), claim: None });
    let second = h.atp.booked(h.booked()[1]).unwrap();
    assert!(second.confirmed.is_zero(), "{second:?}");
}

fn total_confirmed(results: Vec<Result<Promise, AtpError>>) -> Decimal {
    results.into_iter().map(|r| r.unwrap().confirmed).sum()
}

/// Not monotone by design (the engine's step 1, "on time, one source", comes before
/// splitting): with ATL 4 and DFW 9 gloves, a split line of 10 to the south-east takes
/// 4 + 6 and leaves DFW 3 for a line of 3 to the west (13 confirmed); one more glove at
/// DFW lets the first line take all 10 there, and the second gets nothing (10).
#[test]
#[ignore = "known: greedy promising prefers one source, so more supply can confirm less; \
            the issue asks for monotonicity, the documented algorithm does not give it"]
fn more_supply_never_lowers_the_total_across_sites() {
    let run = |dfw: u32| {
        let mut h = Harness::new(World::new(seed::demo_network()), 0, Checks::NONE);
        h.run(&Op::SetAvailable { item: 9, site: 0, qty: QtySpec::base(4) });
        h.run(&Op::SetAvailable { item: 9, site: 1, qty: QtySpec::base(dfw) });
        let first = LineSpec { split: true, priority: 1, ..demo_line(9, 0, 4, 10) };
        let second = LineSpec { priority: 2, ..demo_line(9, 3, 4, 3) };
        let lines = h.lines(&[first, second]);
        total_confirmed(h.atp.allocate_batch(&lines, Claim::Hard))
    };
    assert!(run(10) >= run(9), "{} < {}", run(10), run(9));
}

/// Not monotone by design (the late pass takes from the site delivering soonest): with a
/// quota of 20 per period, one more unit at S001 on day 1 lets the urgent line take it
/// in period 2 instead of S001's unit today, which the less urgent line then lacks (32
/// confirmed become 31).
#[test]
#[ignore = "known: greedy promising takes the soonest delivery, so with quotas more \
            supply can confirm less; the issue asks for monotonicity"]
fn more_supply_never_lowers_the_total_under_quotas() {
    let run = |extra: bool| {
        let mut h = Harness::new(World::new(scale::network(1, 2, false)), 0, Checks::NONE);
        h.run(&Op::SetAvailable { item: 0, site: 1, qty: QtySpec::base(1) });
        h.run(&Op::AddSupply { item: 0, site: 0, day: 18, qty: QtySpec::base(80) });
        h.run(&Op::AddSupply { item: 0, site: 0, day: 0, qty: QtySpec::base(11) });
        h.run(&Op::SetQuotas(vec![RuleSpec {
            item: 0,
            periods: vec![0, 1],
            cumulative: false,
            entries: vec![],
            collective: Some(AmountSpec::Absolute(QtySpec::base(20))),
        }]));
        let urgent =
            LineSpec { split: true, priority: 1, min_split: Some(2), ..demo_line(0, 0, 0, 92) };
        let other = LineSpec { split: true, priority: 2, ..demo_line(0, 0, 0, 11) };
        let lines = h.lines(&[other, urgent]);
        if extra {
            h.run(&Op::AddSupply { item: 0, site: 1, day: 1, qty: QtySpec::base(1) });
        }
        total_confirmed(h.atp.allocate_batch(&lines, Claim::Hard))
    };
    assert!(run(true) >= run(false), "{} < {}", run(true), run(false));
}

/// Not monotone by design (the late pass takes, at the soonest day a piece of at least
/// the minimum split is there, all it can): a line of 125 with a minimum split of 11
/// takes 105 on day 3, then, with 8 more on day 14 and 8 on day 28, 16 on day 28 (121
/// confirmed). Three more on day 27 make 11 there: it takes those 11 a day sooner, and
/// the 8 of day 28 are then short of the 9 it still needs, a piece it may not split
/// further (116 confirmed). Found by a CI run of the one-site property, which now draws
/// lines without a minimum split.
#[test]
#[ignore = "known: the late pass prefers the sooner delivery of a minimum split over \
            the larger quantity later, so more supply can confirm less"]
fn more_supply_never_lowers_the_total_with_a_minimum_split() {
    let run = |extra: bool| {
        let mut h = Harness::new(World::new(scale::network(1, 1, false)), 0, Checks::NONE);
        for (day, qty) in [(3, 105), (14, 8), (28, 8)] {
            h.run(&Op::AddSupply { item: 0, site: 0, day, qty: QtySpec::base(qty) });
        }
        if extra {
            h.run(&Op::AddSupply { item: 0, site: 0, day: 27, qty: QtySpec::base(3) });
        }
        let line =
            LineSpec { split: true, priority: 1, min_split: Some(11), ..demo_line(0, 0, 0, 125) };
        let lines = h.lines(&[line]);
        total_confirmed(h.atp.allocate_batch(&lines, Claim::Hard))
    };
    assert!(run(true) >= run(false), "{} < {}", run(true), run(false));
}

/// Found by the fuzz target (in the model): rules loaded while lines are booked may be
/// exceeded by those lines at once, since the engine takes no confirmation back; they
/// bind only new use.
#[test]
fn quotas_loaded_over_existing_bookings_bind_only_new_use() {
    let mut h = Harness::new(World::new(seed::demo_network()), 31, Checks::ALL);
    // No BOLT-M8 anywhere: beyond the 31-day horizon, Toronto confirms against assumed
    // supply.
    h.run(&Op::Allocate { line: demo_line(0, 5, 40, 384), claim: None });
    h.run(&Op::SetQuotas(vec![RuleSpec {
        item: 0,
        periods: vec![-3, -2],
        cumulative: false,
        entries: vec![(0, AmountSpec::Ratio(0))],
        collective: None,
    }]));
    h.run(&Op::Allocate { line: demo_line(0, 5, 40, 10), claim: None });
    let ids = h.booked();
    assert_eq!(h.atp.booked(ids[0]).unwrap().confirmed, Decimal::from(384));
    assert!(h.atp.booked(ids[1]).unwrap().confirmed.is_zero(), "the quota binds new lines");
}

/// Found by the fuzz target: loading quotas over a line confirmed beyond the checking
/// horizon (against assumed supply) clamped the period's net supply at zero before adding
/// the booking back, so the booking counted as 36 units of supply that do not exist.
#[test]
fn quotas_loaded_over_horizon_bookings_count_no_phantom_supply() {
    let mut h = Harness::new(World::new(seed::demo_network()), 10, Checks::ALL);
    // BOLT-M8 (0) to the west (3) from LAX, available on day 10: beyond the horizon.
    let b2b = LineSpec { class: 1, ..demo_line(0, 3, 12, 36) };
    h.run(&Op::Allocate { line: b2b, claim: None });
    h.run(&Op::SetAvailable { item: 0, site: 6, qty: QtySpec::base(3) });
    h.run(&Op::SetQuotas(vec![RuleSpec {
        item: 0,
        periods: vec![0, 7],
        cumulative: true,
        entries: vec![(1, AmountSpec::Absolute(QtySpec::base(1000)))],
        collective: Some(AmountSpec::Ratio(1)),
    }]));
    // The collective pool has the network's 3 units (on hand, first period), no more.
    let other = LineSpec { split: true, ..demo_line(0, 3, 12, 20) };
    h.run(&Op::Allocate { line: other, claim: None });
    let p = h.atp.booked(h.booked()[1]).unwrap();
    assert_eq!(p.confirmed, Decimal::from(3), "{p:?}");
}

/// Found by the fuzz target: the confirmed quantity and last delivery of a fill line were
/// stable from one re-processing run to the next (no `changes`), but which warehouses
/// shipped them was not. Run 1 re-fills the line up to what it had (105) and, short,
/// splits ATL 4 + DFW 52 (the quota caps DFW); run 2 re-filled up to 56, which DFW alone
/// then had, and "on time, one source" took it all there. A fill line now keeps its
/// schedule wherever every line of it can still be had.
#[test]
fn reprocessing_twice_keeps_every_schedule() {
    let mut h = Harness::new(World::new(seed::demo_network()), 0, Checks::NONE);
    h.run(&Op::SetAvailable { item: 0, site: 0, qty: QtySpec::base(200) });
    h.run(&Op::SetAvailable { item: 0, site: 1, qty: QtySpec::base(100) });
    h.run(&Op::AddSupply { item: 0, site: 0, day: 5, qty: QtySpec::base(120) });
    h.run(&Op::SetQuotas(vec![RuleSpec {
        item: 0,
        periods: vec![0, 7],
        cumulative: true,
        entries: vec![(1, AmountSpec::Percent(50)), (3, AmountSpec::Ratio(3))],
        collective: Some(AmountSpec::Ratio(1)),
    }]));
    let fill =
        LineSpec { split: true, priority: 9, strategy: 3, class: 4, ..demo_line(0, 0, 4, 48_534) };
    h.run(&Op::Allocate { line: fill, claim: None });
    h.run(&Op::SetAvailable { item: 0, site: 0, qty: QtySpec::base(4) });
    let first = h.atp.reprocess(onhand_atp::Mode::Apply, onhand_atp::Sharing::FirstCome);
    let second = h.atp.reprocess(onhand_atp::Mode::Apply, onhand_atp::Sharing::FirstCome);
    assert!(second.changes.is_empty());
    let sites = |r: &onhand_atp::Reprocess| -> Vec<Vec<(usize, Decimal)>> {
        r.promises
            .iter()
            .map(|p| p.schedule().iter().map(|l| (l.site.index(), l.qty)).collect())
            .collect()
    };
    assert_eq!(sites(&second), sites(&first));
}

// ---- snapshots -------------------------------------------------------------------------

/// Two engines answer alike: availability on every item-site, day and priority the
/// harness reads, every booked line's promise and claim, and the whole state.
fn same_engine(a: &Harness, b: &Harness) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.snapshot(), b.snapshot());
    prop_assert_eq!(a.atp.booked_lines(), b.atp.booked_lines());
    for id in a.atp.booked_lines() {
        prop_assert_eq!(a.atp.booked(id), b.atp.booked(id));
        prop_assert_eq!(a.atp.claim(id), b.atp.claim(id));
    }
    prop_assert_eq!(a.atp.snapshot(), b.atp.snapshot());
    Ok(())
}

/// A scenario's engine part way through, snapshotted through JSON.
fn snapshot_at(s: &Scenario, at: usize) -> (Harness, AtpSnapshot) {
    let mut h = Harness::new(world(s.net), s.horizon, Checks::NONE);
    for op in s.setup.iter().chain(s.ops.iter().take(at)) {
        h.run(op);
    }
    let json = serde_json::to_string(&h.atp.snapshot()).unwrap();
    (h, serde_json::from_str(&json).unwrap())
}

/// Every integer leaf of a JSON value, by path, to change one.
fn numbers(v: &serde_json::Value, out: &mut Vec<Vec<String>>, path: &mut Vec<String>) {
    match v {
        serde_json::Value::Number(_) => out.push(path.clone()),
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(i.to_string());
                numbers(x, out, path);
                path.pop();
            }
        }
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                path.push(k.clone());
                numbers(x, out, path);
                path.pop();
            }
        }
        _ => {}
    }
}

fn leaf<'a>(v: &'a mut serde_json::Value, path: &[String]) -> Option<&'a mut serde_json::Value> {
    path.iter().try_fold(v, |v, k| match v {
        serde_json::Value::Array(a) => a.get_mut(k.parse::<usize>().ok()?),
        serde_json::Value::Object(m) => m.get_mut(k),
        _ => None,
    })
}

proptest! {
    #![proptest_config(cases(256))]

    /// Snapshot, JSON, restore: the restored engine answers as the original, and the same
    /// operations after it give the same answers and states step by step.
    #[test]
    fn a_restored_engine_answers_and_continues_as_the_original(
        s in scenario(Flavor::Any, 24),
        cut in any::<Index>(),
    ) {
        let at = cut.index(s.ops.len() + 1);
        let (mut original, snapshot) = snapshot_at(&s, at);
        prop_assert_eq!(&snapshot, &original.atp.snapshot());
        let restored = Atp::restore(original.world.catalog.clone(), &snapshot).unwrap();
        let mut copy = original.clone();
        copy.atp = restored;
        same_engine(&original, &copy)?;
        for op in s.ops.iter().skip(at) {
            original.run(op);
            copy.run(op);
            same_engine(&original, &copy)?;
        }
    }

    /// A snapshot with one number changed is restored or refused with a typed error,
    /// never a panic; restored, it snapshots back to what it read.
    #[test]
    fn a_changed_snapshot_is_refused_or_read_exactly(
        s in scenario(Flavor::Any, 12),
        pick in any::<Index>(),
        value in prop_oneof![
            Just(-1i64), Just(0), Just(1), Just(i64::MAX), Just(i64::MIN), -5i64..100,
            Just(1i64 << 60), Just(i64::from(i32::MAX)), Just(70_000),
        ],
    ) {
        let (h, snapshot) = snapshot_at(&s, s.ops.len());
        let mut json = serde_json::to_value(&snapshot).unwrap();
        let mut paths = Vec::new();
        numbers(&json, &mut paths, &mut Vec::new());
        prop_assume!(!paths.is_empty());
        let path = &paths[pick.index(paths.len())];
        *leaf(&mut json, path).unwrap() = serde_json::Value::from(value);
        // A value the field's type cannot hold is refused by serde.
        let Ok(changed) = serde_json::from_value::<AtpSnapshot>(json) else { return Ok(()) };
        match Atp::restore(h.world.catalog.clone(), &changed) {
            Ok(atp) => prop_assert_eq!(atp.snapshot(), changed),
            Err(e) => prop_assert!(
                matches!(e.code(), "invalid_snapshot" | "snapshot_format" | "date_out_of_range"),
                "{path:?} = {value}: {e}"
            ),
        }
    }
}

/// Restoring refuses another format, an unknown item and a book that does not add up,
/// each with its own typed error.
#[test]
fn a_malformed_snapshot_gets_a_typed_error() {
    let s = Scenario {
        net: Net::Demo,
        horizon: 0,
        setup: vec![Op::SetAvailable { item: 0, site: 0, qty: QtySpec::base(200) }],
        ops: vec![Op::Allocate { line: demo_line(0, 0, 4, 50), claim: None }],
    };
    let (h, snapshot) = snapshot_at(&s, 1);
    let catalog = h.world.catalog.clone();
    let change = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut json = serde_json::to_value(&snapshot).unwrap();
        f(&mut json);
        Atp::restore(catalog.clone(), &serde_json::from_value(json).unwrap()).unwrap_err()
    };
    assert_eq!(change(&|j| j["format"] = 2.into()).code(), "snapshot_format");
    assert_eq!(change(&|j| j["items"][0][0] = "NO-SUCH".into()).code(), "unknown_item");
    assert_eq!(change(&|j| j["items"][0][1] = 7.into()).code(), "invalid_snapshot");
    assert_eq!(change(&|j| j["book"][0]["confirmed"] = 49.into()).code(), "invalid_snapshot");
    assert_eq!(change(&|j| j["free"] = serde_json::json!([0])).code(), "invalid_snapshot");
    assert_eq!(change(&|j| j["classes"] = serde_json::json!([])).code(), "invalid_snapshot");
    assert!(Atp::restore(catalog.clone(), &snapshot).is_ok());
}
