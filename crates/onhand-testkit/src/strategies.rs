//! Proptest strategies: business codes, units and quantities weighted toward edges, valid
//! master-data networks and site status maps, and [`Defect`]s to plant into them.
//!
//! Every strategy here builds values through the crates' public constructors. The
//! network strategy draws plain random choices (counts, [`Index`]es, small numbers) and
//! assembles them into a network that is valid by construction, so shrinking works on
//! the choices and every shrunk network is still valid.
//!
//! | strategy | gives |
//! |---|---|
//! | [`code_text`], [`code`], [`bad_code_text`] | business codes, valid and not |
//! | [`uom_code`], [`rounding`], [`custom_units`], [`qty_value`], [`qty`], [`amount_pair`] | units and amounts |
//! | [`conversion_case`] | an item, its registry, three of its units and a quantity |
//! | [`network`], [`messy_network`] | valid master data, and mostly invalid master data |
//! | [`site_status_maps`], [`network_with_maps`] | valid status maps for a network |
//! | [`master_defect`], [`map_defect`], [`inject`] | one planted defect and what it must report |

use std::collections::BTreeSet;
use std::fmt::Debug;

use onhand_master::{
    Bin, BinCode, ChannelCode, CodeRule, CostingMethod, CurrencyCode, Customer, CustomerCode,
    CustomerGroupCode, Decimal, EntityCode, Item, ItemCode, ItemSitePolicy, ItemUnit, ItemUnits,
    LaneSource, LeadTime, LegalEntity, LocalStatusCode, MAX_CODE_LEN, MasterData, MasterError,
    Money, NegativeStock, Operator, PlanningMethod, Qty, ReceiveInto, Region, RegionCode, Rounding,
    RoundingMode, SafetyStock, ServiceTarget, Site, SiteCode, SiteKind, SourcingLane, Substitute,
    Supplier, SupplierCode, Tracking, UnitCategory, UnitDef, UnitRegistry, UomCode, VelocityClass,
    Zone, ZoneCode, ZoneKind,
};
use onhand_status::{SiteStatusMap, StockStatus};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use rust_decimal::RoundingStrategy;

// Strategies assemble values from choices that are valid by construction; a failure here
// is a bug in the strategy, and proptest reports the panic with its input.
fn must<T, E: Debug>(r: Result<T, E>) -> T {
    r.expect("strategy assembles a valid value")
}

fn uom(code: &str) -> UomCode {
    must(UomCode::new(code))
}

fn ulp(scale: u32) -> Decimal {
    Decimal::new(1, scale)
}

/// `value` cut (toward zero) to `scale` decimal places.
fn cut(value: Decimal, scale: u32) -> Decimal {
    value.round_dp_with_strategy(scale, RoundingStrategy::ToZero).normalize()
}

// ---------------------------------------------------------------------------------------
// Codes
// ---------------------------------------------------------------------------------------

/// Text that passes the business-code rule, weighted toward edges: one byte, exactly
/// [`MAX_CODE_LEN`] bytes, lowercase, and every allowed punctuation mark.
pub fn code_text() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[A-Z][A-Z0-9]{0,5}(-[A-Z0-9]{1,4}){0,2}",
        3 => "[A-Za-z0-9][A-Za-z0-9._/#+-]{0,12}",
        1 => "[A-Za-z0-9]",
        1 => "[A-Za-z0-9][A-Za-z0-9._/#+-]{39}",
    ]
}

/// A business code of any kind (`ItemCode`, `SiteCode`, ...) from [`code_text`].
pub fn code<C>() -> impl Strategy<Value = C>
where
    C: TryFrom<String, Error = MasterError> + Debug,
{
    code_text().prop_map(|s| must(C::try_from(s)))
}

/// Text that breaks the business-code rule, with the rule it breaks first.
pub fn bad_code_text() -> impl Strategy<Value = (String, CodeRule)> {
    let too_long = (MAX_CODE_LEN + 1..=MAX_CODE_LEN + 20)
        .prop_map(|n| ("X".repeat(n), CodeRule::TooLong { max: MAX_CODE_LEN }));
    let bad_first = (select(vec!['-', '_', '.', '/', '#', '+', ' ', 'é']), "[A-Z0-9]{0,8}")
        .prop_map(|(c, rest)| (format!("{c}{rest}"), CodeRule::BadFirstChar { found: c }));
    let bad_char = ("[A-Z0-9]{1,8}", select(vec![' ', '@', '!', ',', ':', 'É', '\t', '~']))
        .prop_map(|(head, c)| (format!("{head}{c}X"), CodeRule::BadChar { found: c }));
    prop_oneof![
        1 => Just((String::new(), CodeRule::Empty)),
        2 => too_long,
        3 => bad_first,
        3 => bad_char,
    ]
}

/// Makes codes distinct by suffixing `-n` to repeats, keeping them valid.
fn distinct(raw: Vec<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(raw.len());
    for (i, s) in raw.into_iter().enumerate() {
        let mut candidate = s.clone();
        let mut n = i;
        while !seen.insert(candidate.clone()) {
            let suffix = format!("-{n}");
            let keep = s.len().min(MAX_CODE_LEN - suffix.len());
            candidate = format!("{}{suffix}", s.get(..keep).unwrap_or("X"));
            n += 1;
        }
        out.push(candidate);
    }
    out
}

/// A code not in `taken`, built from `stem`.
fn fresh(stem: &str, taken: impl Fn(&str) -> bool) -> String {
    let mut candidate = stem.to_owned();
    let mut n = 0;
    while taken(&candidate) {
        n += 1;
        candidate = format!("{stem}{n}");
    }
    candidate
}

// ---------------------------------------------------------------------------------------
// Units and amounts
// ---------------------------------------------------------------------------------------

/// Packaging unit codes the network strategy uses; none is a global unit.
pub const PACKAGING_UNITS: [&str; 10] =
    ["CS", "PL", "BX", "IP", "CTN", "BAG", "RL", "DRUM", "TOTE", "KEG"];

/// A unit-of-measure code: 1 to 8 of `A-Z`, `0-9`, `_`, starting with a letter.
pub fn uom_code() -> impl Strategy<Value = UomCode> {
    prop_oneof![
        3 => select(UnitRegistry::standard().iter().map(|u| u.code).collect::<Vec<_>>()),
        2 => select(PACKAGING_UNITS.to_vec()).prop_map(uom),
        2 => "[A-Z][A-Z0-9_]{0,7}".prop_map(|s| uom(&s)),
    ]
}

/// Any rounding mode.
pub fn rounding_mode() -> impl Strategy<Value = RoundingMode> {
    select(vec![
        RoundingMode::Exact,
        RoundingMode::Up,
        RoundingMode::Down,
        RoundingMode::HalfUp,
        RoundingMode::HalfEven,
    ])
}

/// A rounding mode other than `exact`.
pub fn rounding_mode_inexact() -> impl Strategy<Value = RoundingMode> {
    select(vec![RoundingMode::Up, RoundingMode::Down, RoundingMode::HalfUp, RoundingMode::HalfEven])
}

/// A rounding rule: mostly 0 to 4 places, sometimes up to 12, any mode.
pub fn rounding() -> impl Strategy<Value = Rounding> {
    (prop_oneof![4 => 0u32..=4, 1 => 5u32..=12], rounding_mode())
        .prop_map(|(scale, mode)| must(Rounding::new(scale, mode)))
}

/// A currency with 0, 2, 3 or 4 minor units.
pub fn currency() -> impl Strategy<Value = CurrencyCode> {
    select(vec!["USD", "EUR", "CAD", "GBP", "CHF", "JPY", "ISK", "KWD", "BHD", "CLF", "UYW"])
        .prop_map(|c| must(CurrencyCode::new(c)))
}

#[derive(Debug, Clone)]
struct UnitSpec {
    code: String,
    category: UnitCategory,
    whole: bool,
    multiple: i64,
    factor: Decimal,
    rounding: Rounding,
}

prop_compose! {
    fn unit_spec()(
        code in "U[A-Z0-9]{0,4}",
        category in select(vec![
            UnitCategory::Count, UnitCategory::Mass, UnitCategory::Volume, UnitCategory::Length,
        ]),
        whole in prop::bool::weighted(0.4),
        multiple in 1i64..=12,
        mantissa in 1i64..=2_000_000,
        scale in 0u32..=6,
        rounding in rounding(),
    ) -> UnitSpec {
        let rounding = if rounding.is_whole() {
            must(Rounding::new(1, rounding.mode()))
        } else {
            rounding
        };
        UnitSpec { code, category, whole, multiple, factor: Decimal::new(mantissa, scale), rounding }
    }
}

fn build_units(specs: Vec<UnitSpec>) -> Vec<UnitDef> {
    let codes = distinct(specs.iter().map(|s| s.code.chars().take(8).collect()).collect());
    let mut whole_in: BTreeSet<UnitCategory> = BTreeSet::new();
    let mut out = Vec::new();
    for (spec, code) in specs.into_iter().zip(codes) {
        let Ok(code) = UomCode::new(&code) else { continue };
        // At most one custom whole-number unit per category, sized as a whole multiple of
        // every standard whole-number unit of the category (EA, PR, DZ; ML; MM).
        let whole = spec.whole && whole_in.insert(spec.category);
        let (factor, rounding) = if whole {
            let factor = match spec.category {
                UnitCategory::Count => Decimal::from(12 * spec.multiple),
                UnitCategory::Mass => spec.factor,
                UnitCategory::Volume | UnitCategory::Length => Decimal::new(spec.multiple * 125, 3),
            };
            (factor, Rounding::WHOLE.with_mode(spec.rounding.mode()))
        } else {
            (spec.factor, spec.rounding)
        };
        out.push(UnitDef {
            code,
            name: format!("custom {}", spec.category),
            category: spec.category,
            factor,
            rounding,
        });
    }
    out
}

/// Zero to three valid custom global units (codes starting with `U`, never standard): at
/// most one whole-number unit per category, a whole multiple of the category's standard
/// whole-number units; the rest with 1 to 12 places and any mode.
pub fn custom_units() -> impl Strategy<Value = Vec<UnitDef>> {
    prop::collection::vec(unit_spec(), 0..=3).prop_map(build_units)
}

/// A unit registry: the standard units plus [`custom_units`].
pub fn registry() -> impl Strategy<Value = UnitRegistry> {
    custom_units().prop_map(|u| must(UnitRegistry::with_units(&u)))
}

/// A non-negative value that fits `scale` decimal places, weighted toward edges relative
/// to `pack` (the size of a larger unit, expressed in this one): zero, exact multiples of
/// `pack`, one unit (one last place) short of and over a multiple, the smallest value,
/// values using every place, and large values.
pub fn qty_value(scale: u32, pack: Decimal) -> impl Strategy<Value = Decimal> {
    let scale = scale.min(20);
    let one = ulp(scale);
    let multiple = move |n: i64| cut(pack.checked_mul(Decimal::from(n)).unwrap_or(pack), scale);
    prop_oneof![
        2 => Just(Decimal::ZERO),
        1 => Just(one),
        3 => (1i64..=60).prop_map(multiple),
        3 => (1i64..=60).prop_map(move |n| {
            let m = multiple(n);
            if m >= one { m - one } else { Decimal::ZERO }
        }),
        1 => (1i64..=60).prop_map(move |n| multiple(n) + one),
        3 => (0i64..=1_000_000).prop_map(move |m| Decimal::new(m, scale)),
        1 => (1i64..=999_999_999).prop_map(move |m| cut(Decimal::new(m, 9), scale)),
        1 => (1_000_000_000i64..=999_999_999_999).prop_map(move |m| {
            Decimal::from(m) + cut(Decimal::new(m % 1_000_000, 6), scale)
        }),
    ]
}

/// A quantity in `uom` that fits `rounding`'s scale, weighted toward edges as
/// [`qty_value`] with a pack of 12.
pub fn qty(uom: UomCode, rounding: Rounding) -> impl Strategy<Value = Qty> {
    qty_value(rounding.scale(), Decimal::from(12)).prop_map(move |v| must(Qty::new(v, uom)))
}

/// Two non-negative amounts on one common scale (0 to 28 places), with mantissas below
/// 10^27 so that their sum and difference are exact decimals. Weighted toward edges:
/// zero, equal amounts (exact fit), one last place short, many decimal places, and
/// large values.
pub fn amount_pair() -> impl Strategy<Value = (Decimal, Decimal)> {
    const BIG: i128 = 1_000_000_000_000_000_000_000_000_000; // 10^27
    let scale = prop_oneof![5 => 0u32..=4, 2 => 5u32..=12, 1 => 13u32..=28];
    let mantissa = prop_oneof![
        2 => Just(0i128),
        2 => 1i128..=100,
        3 => 0i128..=10_000_000,
        1 => (BIG - 1_000_000)..BIG - 1,
        1 => 0i128..BIG - 1,
    ];
    let shape = select(vec!["equal", "one_short", "one_over", "zero", "any"]);
    (scale, mantissa.clone(), mantissa, shape).prop_map(|(scale, a, b, shape)| {
        let b = match shape {
            "equal" => a,
            "one_short" => a + 1,
            "one_over" => (a - 1).max(0),
            "zero" => 0,
            _ => b,
        };
        (
            Decimal::from_i128_with_scale(a, scale).normalize(),
            Decimal::from_i128_with_scale(b, scale).normalize(),
        )
    })
}

// ---------------------------------------------------------------------------------------
// Networks
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct PackSpec {
    code: Index,
    int_factor: i64,
    dec_factor: Decimal,
    rounding: Option<Rounding>,
    reverse: bool,
}

prop_compose! {
    fn pack_spec()(
        code in any::<Index>(),
        int_factor in prop_oneof![1 => Just(1i64), 1 => Just(12i64), 3 => 2i64..=48],
        dec_mantissa in 1i64..=5000,
        dec_scale in 0u32..=3,
        rounding in prop_oneof![
            6 => Just(None),
            2 => rounding_mode().prop_map(|m| Some(Rounding::WHOLE.with_mode(m))),
            1 => (1u32..=3, rounding_mode()).prop_map(|(s, m)| Rounding::new(s, m).ok()),
        ],
        reverse in prop::bool::weighted(0.2),
    ) -> PackSpec {
        PackSpec {
            code,
            int_factor,
            dec_factor: Decimal::new(dec_mantissa, dec_scale),
            rounding,
            reverse,
        }
    }
}

#[derive(Debug, Clone)]
struct ItemSpec {
    code: String,
    base: Index,
    packs: Vec<PackSpec>,
    bridge: Option<(Index, Decimal, i64)>,
    tracking: Tracking,
    shelf_life: Option<u32>,
    velocity: VelocityClass,
    substitutes: Vec<(Index, Decimal)>,
}

prop_compose! {
    fn item_spec()(
        code in code_text(),
        base in any::<Index>(),
        packs in prop::collection::vec(pack_spec(), 0..=3),
        bridge in prop::option::weighted(
            0.3,
            (any::<Index>(), (1i64..=40_000, 0u32..=4).prop_map(|(m, s)| Decimal::new(m, s)),
             1i64..=50),
        ),
        tracking in select(vec![Tracking::None, Tracking::None, Tracking::Lot, Tracking::Serial]),
        shelf_life in prop::option::of(1u32..=1000),
        velocity in select(vec![
            VelocityClass::A, VelocityClass::B, VelocityClass::C, VelocityClass::D,
            VelocityClass::Unclassified,
        ]),
        substitutes in prop::collection::vec(
            (any::<Index>(), (1i64..=40, 0u32..=1).prop_map(|(m, s)| Decimal::new(m, s))),
            0..=2,
        ),
    ) -> ItemSpec {
        ItemSpec { code, base, packs, bridge, tracking, shelf_life, velocity, substitutes }
    }
}

/// A unit an item knows, with the decimal places its quantities may hold.
#[derive(Debug, Clone, Copy)]
struct KnownUnit {
    code: UomCode,
    scale: u32,
}

fn is_whole_global(registry: &UnitRegistry, code: UomCode) -> bool {
    registry.get(code).is_some_and(|d| d.rounding.is_whole())
}

/// Builds one item from its spec; returns the item and the units quantities may use.
fn build_item(spec: &ItemSpec, code: ItemCode, registry: &UnitRegistry) -> (Item, Vec<KnownUnit>) {
    let mut bases: Vec<UomCode> =
        ["EA", "EA", "EA", "EA", "KG", "L", "M", "PR", "DZ", "G", "LB", "ML", "MM"]
            .into_iter()
            .map(uom)
            .collect();
    let standard = UnitRegistry::standard();
    bases.extend(registry.iter().filter(|u| standard.get(u.code).is_none()).map(|u| u.code));
    let base = *spec.base.get(&bases);
    let base_def = registry.get(base).cloned();
    let base_whole = base_def.as_ref().is_some_and(|d| d.rounding.is_whole());
    let base_scale = base_def.as_ref().map_or(0, |d| d.rounding.scale());
    let mut item = Item::new(code, "generated item", base);
    let mut known = vec![KnownUnit { code: base, scale: base_scale }];

    // Packaging chain: each level is defined from the previous unit (forward: 1 NEW =
    // f PREV; reverse: 1 PREV = n NEW, an inner pack), so every unit has one definition.
    let mut pool: Vec<&str> = PACKAGING_UNITS.to_vec();
    let (mut prev, mut prev_whole) = (base, base_whole);
    for pack in &spec.packs {
        if pool.is_empty() {
            break;
        }
        let code = uom(pool.remove(pack.code.index(pool.len())));
        if pack.reverse {
            // A unit reached only as `per` resolves as a whole-number packaging unit.
            item.units.push(ItemUnit {
                unit: prev,
                factor: Decimal::from(pack.int_factor),
                per: code,
                rounding: None,
            });
            known.push(KnownUnit { code, scale: 0 });
            (prev, prev_whole) = (code, true);
        } else {
            let factor = if prev_whole { Decimal::from(pack.int_factor) } else { pack.dec_factor };
            item.units.push(ItemUnit { unit: code, factor, per: prev, rounding: pack.rounding });
            let scale = pack.rounding.map_or(0, Rounding::scale);
            known.push(KnownUnit { code, scale });
            (prev, prev_whole) = (code, pack.rounding.is_none_or(Rounding::is_whole));
        }
    }

    // A bridge to another category: 1 base = w T for a count base, 1 T = w base otherwise.
    if let (Some((target, w, w_int)), Some(base_def)) = (&spec.bridge, &base_def) {
        let others: Vec<&UnitDef> =
            registry.iter().filter(|u| u.category != base_def.category).collect();
        let t = target.get(&others);
        let (unit, per) =
            if base_def.category == UnitCategory::Count { (base, t.code) } else { (t.code, base) };
        let factor = if is_whole_global(registry, per) { Decimal::from(*w_int) } else { *w };
        item.units.push(ItemUnit { unit, factor, per, rounding: None });
        known.push(KnownUnit { code: t.code, scale: t.rounding.scale() });
    }

    item.tracking = match spec.tracking {
        Tracking::Serial if !base_whole => Tracking::Lot,
        t => t,
    };
    item.shelf_life_days = if item.tracking == Tracking::None { None } else { spec.shelf_life };
    item.velocity = spec.velocity;
    (item, known)
}

#[derive(Debug, Clone)]
struct SiteSpec {
    code: String,
    name: String,
    kind: SiteKind,
    entity: Index,
    region: Index,
    operator: Option<Index>,
    zones: Vec<(String, ZoneKind)>,
    bins: Vec<(String, Index, u32)>,
    negative_stock: NegativeStock,
}

prop_compose! {
    fn site_spec()(
        code in code_text(),
        name in "[A-Za-z ]{0,12}",
        kind in select(vec![
            SiteKind::RegionalDc, SiteKind::RegionalDc, SiteKind::Branch, SiteKind::CrossDock,
            SiteKind::ThirdPartyLogistics, SiteKind::VirtualTransit,
        ]),
        entity in any::<Index>(),
        region in any::<Index>(),
        operator in prop::option::weighted(0.2, any::<Index>()),
        zones in prop::collection::vec(
            (code_text(), select(vec![
                ZoneKind::Receiving, ZoneKind::PickFace, ZoneKind::Bulk, ZoneKind::Quality,
                ZoneKind::Staging, ZoneKind::Returns,
            ])),
            0..=4,
        ),
        bins in prop::collection::vec((code_text(), any::<Index>(), 0u32..=100), 0..=5),
        negative_stock in select(vec![NegativeStock::Forbid, NegativeStock::Allow]),
    ) -> SiteSpec {
        SiteSpec { code, name, kind, entity, region, operator, zones, bins, negative_stock }
    }
}

#[derive(Debug, Clone)]
struct PolicySpec {
    item: Index,
    site: Index,
    stocked: bool,
    planning: PlanningMethod,
    safety: u8,
    amounts: [(Index, i64, u32); 3],
    days: Decimal,
    service: Option<(bool, i64)>,
    lead: (Decimal, Decimal),
    review: Option<u32>,
    rules: (bool, bool, bool),
    receive_into: ReceiveInto,
    negative_stock: Option<NegativeStock>,
}

fn amount_spec() -> impl Strategy<Value = (Index, i64, u32)> {
    (any::<Index>(), prop_oneof![2 => Just(0i64), 1 => Just(1i64), 4 => 0i64..=5000], 0u32..=3)
}

prop_compose! {
    fn policy_spec()(
        item in any::<Index>(),
        site in any::<Index>(),
        stocked in prop::bool::weighted(0.8),
        planning in select(vec![
            PlanningMethod::Manual, PlanningMethod::ReorderPoint, PlanningMethod::MinMax,
            PlanningMethod::PeriodicReview, PlanningMethod::Drp,
        ]),
        safety in 0u8..4,
        amounts in (amount_spec(), amount_spec(), amount_spec()),
        days in (1i64..=600, 0u32..=1).prop_map(|(m, s)| Decimal::new(m, s)),
        service in prop::option::of((any::<bool>(), 1i64..=9999)),
        lead in ((0i64..=300, 0u32..=1), (0i64..=50, 0u32..=1))
            .prop_map(|((m, s), (d, t))| (Decimal::new(m, s), Decimal::new(d, t))),
        review in prop::option::of(1u32..=30),
        rules in (any::<bool>(), any::<bool>(), any::<bool>()),
        receive_into in select(vec![
            ReceiveInto::Receiving, ReceiveInto::Available, ReceiveInto::QualityHold,
        ]),
        negative_stock in prop::option::of(select(vec![NegativeStock::Forbid, NegativeStock::Allow])),
    ) -> PolicySpec {
        PolicySpec {
            item, site, stocked, planning, safety, amounts: [amounts.0, amounts.1, amounts.2],
            days, service, lead, review, rules, receive_into, negative_stock,
        }
    }
}

fn amount_in(units: &[KnownUnit], (unit, mantissa, scale): (Index, i64, u32)) -> Qty {
    let u = unit.get(units);
    must(Qty::new(cut(Decimal::new(mantissa, scale), u.scale), u.code))
}

fn build_policy(
    spec: &PolicySpec,
    item: &Item,
    units: &[KnownUnit],
    site: SiteCode,
) -> ItemSitePolicy {
    let mut pol = ItemSitePolicy::new(item.code.clone(), site);
    pol.stocked = spec.stocked;
    pol.lead_time = LeadTime { mean_days: spec.lead.0, std_dev_days: spec.lead.1 };
    pol.receive_into = spec.receive_into;
    pol.negative_stock = spec.negative_stock;
    if !spec.stocked {
        return pol;
    }
    pol.planning = spec.planning;
    pol.review_period_days = match spec.planning {
        PlanningMethod::PeriodicReview => Some(spec.review.unwrap_or(7)),
        _ => spec.review,
    };
    let [safety_qty, max_extra, multiple] = spec.amounts;
    pol.safety_stock = match spec.safety {
        0 => SafetyStock::None,
        1 => SafetyStock::Fixed(amount_in(units, safety_qty)),
        2 => SafetyStock::DaysOfSupply(spec.days),
        _ => SafetyStock::Statistical,
    };
    let target = |(fill, level): (bool, i64)| {
        let level = Decimal::new(level, 4);
        if fill { ServiceTarget::FillRate(level) } else { ServiceTarget::CycleServiceLevel(level) }
    };
    pol.service_target = match (&pol.safety_stock, spec.service) {
        (SafetyStock::Statistical, None) => Some(target((false, 9500))),
        (_, given) => given.map(target),
    };
    let (has_min, has_max, has_multiple) = spec.rules;
    let min = amount_in(units, safety_qty);
    if has_min {
        pol.order_min = Some(min);
    }
    if has_max {
        // In the minimum's unit and never below it; an extra of zero is an exact fit.
        let extra = amount_in(units, max_extra);
        let scale = units.iter().find(|u| u.code == min.uom()).map_or(0, |u| u.scale);
        let extra =
            if extra.uom() == min.uom() { extra.value() } else { cut(extra.value(), scale) };
        pol.order_max = Some(must(Qty::new(min.value() + extra, min.uom())));
    }
    if has_multiple {
        let step = amount_in(units, multiple);
        let step = if step.is_zero() { must(Qty::new(Decimal::ONE, step.uom())) } else { step };
        pol.order_multiple = Some(step);
    }
    pol
}

#[derive(Debug, Clone)]
struct LaneSpec {
    from_site: bool,
    from: Index,
    to: Index,
    item: Option<Index>,
    transit_days: u32,
    cost: Decimal,
    rank: u16,
}

prop_compose! {
    fn lane_spec()(
        from_site in prop::bool::weighted(0.5),
        from in any::<Index>(),
        to in any::<Index>(),
        item in prop::option::weighted(0.3, any::<Index>()),
        transit_days in 0u32..=30,
        cost in prop_oneof![1 => Just(Decimal::ZERO), 4 => (1i64..=100_000, 0u32..=4)
            .prop_map(|(m, s)| Decimal::new(m, s))],
        rank in 1u16..=4,
    ) -> LaneSpec {
        LaneSpec { from_site, from, to, item, transit_days, cost, rank }
    }
}

#[derive(Debug, Clone)]
struct NetworkSpec {
    units: Vec<UnitSpec>,
    entities: Vec<(String, CurrencyCode, CostingMethod)>,
    regions: Vec<String>,
    suppliers: Vec<(String, CurrencyCode)>,
    customers: Vec<(String, Index, Option<String>, Option<String>)>,
    sites: Vec<SiteSpec>,
    site_order: Vec<u32>,
    items: Vec<ItemSpec>,
    policies: Vec<PolicySpec>,
    lanes: Vec<LaneSpec>,
}

prop_compose! {
    fn network_spec()(
        units in prop::collection::vec(unit_spec(), 0..=3),
        entities in prop::collection::vec(
            (code_text(), currency(), select(vec![
                CostingMethod::Fifo, CostingMethod::MovingAverage, CostingMethod::Standard,
            ])),
            1..=3,
        ),
        regions in prop::collection::vec(code_text(), 1..=3),
        suppliers in prop::collection::vec((code_text(), currency()), 1..=3),
        customers in prop::collection::vec(
            (code_text(), any::<Index>(), prop::option::of(code_text()),
             prop::option::of(code_text())),
            0..=3,
        ),
        sites in prop::collection::vec(site_spec(), 1..=6),
        site_order in prop::collection::vec(any::<u32>(), 6),
        items in prop::collection::vec(item_spec(), 1..=10),
        policies in prop::collection::vec(policy_spec(), 0..=12),
        lanes in prop::collection::vec(lane_spec(), 0..=12),
    ) -> NetworkSpec {
        NetworkSpec {
            units, entities, regions, suppliers, customers, sites, site_order, items,
            policies, lanes,
        }
    }
}

fn typed<C: TryFrom<String, Error = MasterError>>(codes: Vec<String>) -> Vec<C> {
    distinct(codes).into_iter().map(|c| must(C::try_from(c))).collect()
}

fn build_sites(
    specs: &[SiteSpec],
    entities: &[EntityCode],
    regions: &[RegionCode],
    suppliers: &[SupplierCode],
) -> Vec<Site> {
    let codes: Vec<SiteCode> = typed(specs.iter().map(|s| s.code.clone()).collect());
    specs
        .iter()
        .zip(codes)
        .map(|(s, code)| {
            let operator = match (s.kind, s.operator) {
                (SiteKind::ThirdPartyLogistics, o) => {
                    Operator::ThirdParty(o.unwrap_or(s.entity).get(suppliers).clone())
                }
                (_, Some(o)) => Operator::ThirdParty(o.get(suppliers).clone()),
                (_, None) => Operator::Owner,
            };
            let (zones, bins) = if s.kind == SiteKind::VirtualTransit {
                (Vec::new(), Vec::new())
            } else {
                let zone_codes: Vec<ZoneCode> =
                    typed(s.zones.iter().map(|z| z.0.clone()).collect());
                let zones: Vec<Zone> = zone_codes
                    .into_iter()
                    .zip(&s.zones)
                    .map(|(code, (_, kind))| Zone { code, kind: *kind })
                    .collect();
                let bins = if zones.is_empty() {
                    Vec::new()
                } else {
                    let bin_codes: Vec<BinCode> =
                        typed(s.bins.iter().map(|b| b.0.clone()).collect());
                    bin_codes
                        .into_iter()
                        .zip(&s.bins)
                        .map(|(code, (_, zone, sequence))| Bin {
                            code,
                            zone: zone.get(&zones).code.clone(),
                            sequence: *sequence,
                        })
                        .collect()
                };
                (zones, bins)
            };
            Site {
                code,
                name: s.name.clone(),
                kind: s.kind,
                entity: Some(s.entity.get(entities).clone()),
                operator,
                region: s.region.get(regions).clone(),
                zones,
                bins,
                negative_stock: s.negative_stock,
                handling_days: 0,
            }
        })
        .collect()
}

fn build_lanes(
    specs: &[LaneSpec],
    sites: &[Site],
    order: &[u32],
    suppliers: &[Supplier],
    items: &[Item],
) -> Vec<SourcingLane> {
    // Site-to-site lanes run only forward in one random order of the sites: no loops.
    let rank_of = |i: usize| (order.get(i).copied().unwrap_or(0), i);
    let mut taken: BTreeSet<(SiteCode, Option<ItemCode>, u16)> = BTreeSet::new();
    let mut out = Vec::new();
    for spec in specs {
        let (a, b) = (spec.from.index(sites.len()), spec.to.index(sites.len()));
        let supplier = spec.from.get(suppliers);
        let (from, to) = if spec.from_site && a != b {
            let (a, b) = if rank_of(a) < rank_of(b) { (a, b) } else { (b, a) };
            let (Some(sa), Some(sb)) = (sites.get(a), sites.get(b)) else { continue };
            (LaneSource::Site(sa.code.clone()), sb.code.clone())
        } else {
            let Some(sb) = sites.get(b) else { continue };
            (LaneSource::Supplier(supplier.code.clone()), sb.code.clone())
        };
        let item = spec.item.map(|i| i.get(items).code.clone());
        let mut rank = spec.rank;
        while !taken.insert((to.clone(), item.clone(), rank)) {
            rank += 1;
        }
        out.push(SourcingLane {
            from,
            to,
            item,
            transit_days: spec.transit_days,
            cost_per_unit: Money::new(spec.cost, supplier.currency),
            rank,
        });
    }
    out
}

fn build_network(spec: NetworkSpec) -> MasterData {
    let units = build_units(spec.units);
    let registry = must(UnitRegistry::with_units(&units));
    let entity_codes: Vec<EntityCode> = typed(spec.entities.iter().map(|e| e.0.clone()).collect());
    let entities: Vec<LegalEntity> = entity_codes
        .iter()
        .zip(&spec.entities)
        .map(|(code, (_, currency, costing))| LegalEntity {
            code: code.clone(),
            name: format!("entity {code}"),
            currency: *currency,
            costing: *costing,
        })
        .collect();
    let region_codes: Vec<RegionCode> = typed(spec.regions);
    let regions =
        region_codes.iter().map(|c| Region { code: c.clone(), name: String::new() }).collect();
    let supplier_codes: Vec<SupplierCode> =
        typed(spec.suppliers.iter().map(|s| s.0.clone()).collect());
    let suppliers: Vec<Supplier> = supplier_codes
        .iter()
        .zip(&spec.suppliers)
        .map(|(code, (_, currency))| Supplier {
            code: code.clone(),
            name: String::new(),
            currency: *currency,
        })
        .collect();
    let customer_codes: Vec<CustomerCode> =
        typed(spec.customers.iter().map(|c| c.0.clone()).collect());
    let customers = customer_codes
        .into_iter()
        .zip(&spec.customers)
        .map(|(code, (_, region, group, channel))| Customer {
            code,
            name: String::new(),
            region: region.get(&region_codes).clone(),
            group: group.clone().map(|g| must(CustomerGroupCode::new(g))),
            channel: channel.clone().map(|c| must(ChannelCode::new(c))),
        })
        .collect();
    let sites = build_sites(&spec.sites, &entity_codes, &region_codes, &supplier_codes);

    let item_codes: Vec<ItemCode> = typed(spec.items.iter().map(|i| i.code.clone()).collect());
    let mut items = Vec::new();
    let mut item_units = Vec::new();
    for (s, code) in spec.items.iter().zip(item_codes.iter()) {
        let (item, known) = build_item(s, code.clone(), &registry);
        items.push(item);
        item_units.push(known);
    }
    for (i, s) in spec.items.iter().enumerate() {
        let mut seen = BTreeSet::new();
        let subs: Vec<Substitute> = s
            .substitutes
            .iter()
            .map(|(ix, ratio)| (ix.index(item_codes.len()), *ratio))
            .filter(|(j, _)| *j != i && seen.insert(*j))
            .filter_map(|(j, ratio)| Some(Substitute { item: item_codes.get(j)?.clone(), ratio }))
            .collect();
        if let Some(item) = items.get_mut(i) {
            item.substitutes = subs;
        }
    }

    let mut pairs = BTreeSet::new();
    let mut policies = Vec::new();
    for p in &spec.policies {
        let (i, s) = (p.item.index(items.len()), p.site.index(sites.len()));
        let (Some(item), Some(units), Some(site)) = (items.get(i), item_units.get(i), sites.get(s))
        else {
            continue;
        };
        if pairs.insert((i, s)) {
            policies.push(build_policy(p, item, units, site.code.clone()));
        }
    }
    let lanes = build_lanes(&spec.lanes, &sites, &spec.site_order, &suppliers, &items);
    MasterData {
        units,
        entities,
        regions,
        sites,
        suppliers,
        customers,
        items,
        policies,
        lanes,
        delivery_lanes: Vec::new(),
    }
}

/// A valid master-data network: 1-3 entities, 1-3 regions, 1-3 suppliers, 0-3
/// customers, 1-6 sites (every kind, with zones and bins, 3PLs naming their provider),
/// 1-10 items and 0-3 custom global units.
///
/// Items have a base unit (mostly `EA`; also mass, volume, length, pairs, dozens and the
/// custom units), a packaging chain of up to three levels (`CS = k EA`, `PL = m CS`,
/// sometimes an inner pack defined the other way, `1 CS = n IP`, with whole or
/// fractional roundings), an optional bridge to another category (`1 EA = w KG`),
/// tracking consistent with the base unit and shelf life, and substitutes. Policies are
/// consistent with their stocked flag (statistical safety stock has a service target,
/// periodic review a review period, `order_min <= order_max`, non-zero multiples, zero
/// safety stock and `min == max` as edges). Sourcing lanes between sites run forward in
/// one random order of the sites, so they form no loop, and ranks are unique per
/// destination and item scope.
///
/// Every network this strategy gives passes `onhand_master::validate` clean.
pub fn network() -> impl Strategy<Value = MasterData> {
    network_spec().prop_map(build_network)
}

// ---------------------------------------------------------------------------------------
// Conversion cases
// ---------------------------------------------------------------------------------------

/// An item with its registry, three units it knows, and a quantity in the first.
#[derive(Debug, Clone)]
pub struct ConversionCase {
    /// The item.
    pub item: Item,
    /// The global units it was resolved against.
    pub registry: UnitRegistry,
    /// The unit `qty` is in.
    pub from: UomCode,
    /// The unit to convert to.
    pub to: UomCode,
    /// A third unit, for conversions through a chain.
    pub via: UomCode,
    /// A quantity in `from` that fits `from`'s scale.
    pub qty: Qty,
}

/// A [`ConversionCase`] from a generated item: three of its units (global units of its
/// categories, packaging units, bridged units; `to` differs from `from` when the item
/// knows two units), and a quantity weighted toward exact multiples of `to` and one last
/// place short of them.
pub fn conversion_case() -> impl Strategy<Value = ConversionCase> {
    (custom_units(), item_spec(), any::<Index>(), any::<Index>(), any::<Index>()).prop_flat_map(
        |(units, spec, a, b, c)| {
            let registry = must(UnitRegistry::with_units(&units));
            let (item, _) = build_item(&spec, must(ItemCode::new("CONV")), &registry);
            let resolved = must(ItemUnits::resolve(&item, &registry));
            let codes: Vec<UomCode> = resolved.units().collect();
            let from = *a.get(&codes);
            let others: Vec<UomCode> = codes.iter().copied().filter(|u| *u != from).collect();
            let to = if others.is_empty() { from } else { *b.get(&others) };
            let via = *c.get(&codes);
            let scale = resolved.rounding(from).map_or(0, Rounding::scale);
            let pack = match (resolved.base_per_unit(to), resolved.base_per_unit(from)) {
                (Some(t), Some(f)) if !f.is_zero() => t.checked_div(f).unwrap_or(Decimal::ONE),
                _ => Decimal::ONE,
            };
            qty_value(scale, pack).prop_map(move |v| ConversionCase {
                item: item.clone(),
                registry: registry.clone(),
                from,
                to,
                via,
                qty: must(Qty::new(v, from)),
            })
        },
    )
}

// ---------------------------------------------------------------------------------------
// Status maps
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct MapSpec {
    include: bool,
    pool: Vec<String>,
    counts: Vec<usize>,
    order: Vec<u32>,
}

prop_compose! {
    fn map_spec()(
        include in prop::bool::weighted(0.8),
        pool in prop::collection::vec(code_text(), 26),
        counts in prop::collection::vec(prop_oneof![3 => Just(1usize), 1 => 2usize..=3], 9),
        order in prop::collection::vec(any::<u32>(), 26),
    ) -> MapSpec {
        MapSpec { include, pool, counts, order }
    }
}

fn build_map(site: SiteCode, spec: MapSpec) -> SiteStatusMap {
    let mut pool: Vec<LocalStatusCode> = typed(spec.pool);
    let mut map = std::collections::BTreeMap::new();
    let mut declared = Vec::new();
    for (status, count) in StockStatus::ALL.into_iter().zip(spec.counts) {
        // In transit is at no site: a site may map it, and here does so half the time.
        let count = if status == StockStatus::InTransit { count.saturating_sub(1) } else { count };
        let take: Vec<LocalStatusCode> = pool.drain(..count.min(pool.len())).collect();
        if take.is_empty() {
            continue;
        }
        declared.extend(take.iter().cloned());
        map.insert(status, take);
    }
    let mut keyed: Vec<(u32, LocalStatusCode)> =
        spec.order.into_iter().chain(std::iter::repeat(0)).zip(declared).collect();
    keyed.sort();
    SiteStatusMap { site, codes: keyed.into_iter().map(|(_, c)| c).collect(), map }
}

/// Valid status maps for `master`'s sites: most sites (at least one) get a map; every
/// status a site can hold gets one to three local codes (the first is the primary), in
/// transit sometimes too; the declared codes come in a random order.
pub fn site_status_maps(master: &MasterData) -> impl Strategy<Value = Vec<SiteStatusMap>> + use<> {
    let sites: Vec<SiteCode> = master.sites.iter().map(|s| s.code.clone()).collect();
    prop::collection::vec(map_spec(), sites.len()).prop_map(move |specs| {
        let any_included = specs.iter().any(|s| s.include);
        sites
            .iter()
            .zip(specs)
            .enumerate()
            .filter(|(i, (_, spec))| spec.include || (!any_included && *i == 0))
            .map(|(_, (site, spec))| build_map(site.clone(), spec))
            .collect()
    })
}

/// A valid [`network`] with valid [`site_status_maps`] for it.
pub fn network_with_maps() -> impl Strategy<Value = (MasterData, Vec<SiteStatusMap>)> {
    network().prop_flat_map(|data| {
        let maps = site_status_maps(&data);
        (Just(data), maps)
    })
}

// ---------------------------------------------------------------------------------------
// Defects
// ---------------------------------------------------------------------------------------

/// One violation kind a validator knows, to plant into valid data with [`inject`].
///
/// The first ten are master-data violations (`onhand_master::validate`); the `Map*`
/// variants are status-map findings (`onhand_status::validate_maps`), which reuse the
/// codes `unknown_reference` and `duplicate_code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Defect {
    /// `duplicate_code`: an entity, region, supplier, site, item, zone, bin, policy,
    /// customer or global unit repeated.
    DuplicateCode,
    /// `unknown_reference`: a record naming a region, entity, zone, item, site, supplier
    /// or unit that does not exist.
    UnknownReference,
    /// `unit_without_conversion`: an item conversion between two units nothing reaches.
    UnitWithoutConversion,
    /// `fractional_whole_unit`: a unit defined as a fraction of a whole-number unit.
    FractionalWholeUnit,
    /// `inconsistent_conversion`: a unit given two different sizes.
    InconsistentConversion,
    /// `policy_on_unstocked_item`: an unstocked item-site with a planning setting.
    PolicyOnUnstockedItem,
    /// `sourcing_cycle`: two sites sourcing from each other (or a site from itself).
    SourcingCycle,
    /// `site_without_entity`: a site with no owning entity.
    SiteWithoutEntity,
    /// `duplicate_lane_rank`: two lanes into one site and item scope with one rank.
    DuplicateLaneRank,
    /// `invalid_value`: a field outside its range.
    InvalidValue,
    /// `unmapped_local_code`: a declared local status code mapped to nothing.
    MapUnmappedLocalCode,
    /// `conflicting_local_code`: one local code claimed by two statuses.
    MapConflictingLocalCode,
    /// `inexpressible_status`: a status a site can hold with no local code.
    MapInexpressibleStatus,
    /// `unknown_reference`: a map for a site that does not exist, or a mapped code the
    /// site does not declare.
    MapUnknownReference,
    /// `duplicate_code`: two maps for one site, or one local code declared twice.
    MapDuplicateCode,
}

impl Defect {
    /// The master-data defects.
    pub const MASTER: [Defect; 10] = [
        Defect::DuplicateCode,
        Defect::UnknownReference,
        Defect::UnitWithoutConversion,
        Defect::FractionalWholeUnit,
        Defect::InconsistentConversion,
        Defect::PolicyOnUnstockedItem,
        Defect::SourcingCycle,
        Defect::SiteWithoutEntity,
        Defect::DuplicateLaneRank,
        Defect::InvalidValue,
    ];

    /// The status-map defects.
    pub const STATUS_MAP: [Defect; 5] = [
        Defect::MapUnmappedLocalCode,
        Defect::MapConflictingLocalCode,
        Defect::MapInexpressibleStatus,
        Defect::MapUnknownReference,
        Defect::MapDuplicateCode,
    ];

    /// The stable code the validator reports it with.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Defect::DuplicateCode | Defect::MapDuplicateCode => "duplicate_code",
            Defect::UnknownReference | Defect::MapUnknownReference => "unknown_reference",
            Defect::UnitWithoutConversion => "unit_without_conversion",
            Defect::FractionalWholeUnit => "fractional_whole_unit",
            Defect::InconsistentConversion => "inconsistent_conversion",
            Defect::PolicyOnUnstockedItem => "policy_on_unstocked_item",
            Defect::SourcingCycle => "sourcing_cycle",
            Defect::SiteWithoutEntity => "site_without_entity",
            Defect::DuplicateLaneRank => "duplicate_lane_rank",
            Defect::InvalidValue => "invalid_value",
            Defect::MapUnmappedLocalCode => "unmapped_local_code",
            Defect::MapConflictingLocalCode => "conflicting_local_code",
            Defect::MapInexpressibleStatus => "inexpressible_status",
        }
    }

    /// Whether it is planted into status maps rather than master data.
    #[must_use]
    pub fn is_status_map(self) -> bool {
        Defect::STATUS_MAP.contains(&self)
    }
}

/// Any master-data defect.
pub fn master_defect() -> impl Strategy<Value = Defect> {
    select(Defect::MASTER.to_vec())
}

/// Any status-map defect.
pub fn map_defect() -> impl Strategy<Value = Defect> {
    select(Defect::STATUS_MAP.to_vec())
}

/// What a planted defect must be reported as: its code and the offending record's kind
/// and key (`RecordRef::kind` / `RecordRef::key` for master data, `record_kind` /
/// `record_key` for status maps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planted {
    /// The violation code.
    pub code: &'static str,
    /// The record kind (`item`, `lane`, `status_map`, ...).
    pub kind: String,
    /// The record key (`BOLT@ATL`, `#0 (site A -> B)`, `ATL/UR`, ...).
    pub key: String,
}

fn planted(code: &'static str, kind: &str, key: impl Into<String>) -> Planted {
    Planted { code, kind: kind.to_owned(), key: key.into() }
}

fn lane_key(index: usize, lane: &SourcingLane) -> String {
    format!("#{index} ({} -> {})", lane.from, lane.to)
}

/// Independent choices drawn from one [`Index`]: which way to plant a defect, and where.
struct Picks(usize);

impl Picks {
    fn new(pick: Index) -> Self {
        Picks(pick.index(usize::MAX))
    }

    /// A choice in `0..n` (`0` when `n` is zero).
    fn next(&mut self, n: usize) -> usize {
        let n = n.max(1);
        let i = self.0 % n;
        self.0 /= n;
        i
    }

    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        let i = self.next(v.len());
        nth(v, i)
    }

    fn pick_mut<'a, T>(&mut self, v: &'a mut [T]) -> &'a mut T {
        let i = self.next(v.len());
        nth_mut(v, i)
    }
}

fn nth<T>(v: &[T], i: usize) -> &T {
    must(v.get(i).ok_or("choice within the list"))
}

fn nth_mut<T>(v: &mut [T], i: usize) -> &mut T {
    must(v.get_mut(i).ok_or("choice within the list"))
}

/// Plants `defect` into valid data and says what the report must then contain.
///
/// Master-data defects change `data` (a valid [`network`]); status-map defects change
/// `maps` (valid [`site_status_maps`] for `data`, at least one map) and leave `data`
/// alone. `pick` chooses the target record and, where a defect can be planted several
/// ways, which way.
///
/// # Panics
/// When the data is not what the strategies give (no items, sites or suppliers; no maps
/// for a status-map defect).
pub fn inject(
    defect: Defect,
    data: &mut MasterData,
    maps: &mut Vec<SiteStatusMap>,
    pick: Index,
) -> Planted {
    let mut p = Picks::new(pick);
    match defect {
        Defect::DuplicateCode => duplicate_code(data, &mut p),
        Defect::UnknownReference => unknown_reference(data, &mut p),
        Defect::UnitWithoutConversion => {
            let item = p.pick_mut(&mut data.items);
            item.units.push(ItemUnit {
                unit: uom("ORPHA"),
                factor: Decimal::TWO,
                per: uom("ORPHB"),
                rounding: None,
            });
            planted(defect.code(), "item", item.code.as_str())
        }
        Defect::FractionalWholeUnit => fractional_whole_unit(data, &mut p),
        Defect::InconsistentConversion => inconsistent_conversion(data, &mut p),
        Defect::PolicyOnUnstockedItem => {
            let (i, base) = some_policy(data, &mut p);
            let pol = nth_mut(&mut data.policies, i);
            pol.stocked = false;
            match p.next(5) {
                0 => pol.planning = PlanningMethod::MinMax,
                1 => pol.safety_stock = SafetyStock::DaysOfSupply(Decimal::from(5)),
                2 => {
                    pol.service_target = Some(ServiceTarget::CycleServiceLevel(Decimal::new(9, 1)));
                }
                3 => pol.review_period_days = Some(7),
                _ => pol.order_min = Some(Qty::zero(base)),
            }
            planted(defect.code(), "policy", format!("{}@{}", pol.item, pol.site))
        }
        Defect::SourcingCycle => sourcing_cycle(data, &mut p),
        Defect::SiteWithoutEntity => {
            let site = p.pick_mut(&mut data.sites);
            site.entity = None;
            planted(defect.code(), "site", site.code.as_str())
        }
        Defect::DuplicateLaneRank => {
            if data.lanes.is_empty() {
                let supplier = p.pick(&data.suppliers);
                let lane = SourcingLane {
                    from: LaneSource::Supplier(supplier.code.clone()),
                    to: p.pick(&data.sites).code.clone(),
                    item: None,
                    transit_days: 1,
                    cost_per_unit: Money::new(Decimal::ONE, supplier.currency),
                    rank: 1,
                };
                data.lanes.push(lane);
            }
            let copy = p.pick(&data.lanes).clone();
            let key = lane_key(data.lanes.len(), &copy);
            data.lanes.push(copy);
            planted(defect.code(), "lane", key)
        }
        Defect::InvalidValue => invalid_value(data, &mut p),
        Defect::MapUnmappedLocalCode
        | Defect::MapConflictingLocalCode
        | Defect::MapInexpressibleStatus
        | Defect::MapUnknownReference
        | Defect::MapDuplicateCode => inject_map(defect, data, maps, &mut p),
    }
}

/// Positions of the sites that have zones (`bins == false`) or bins.
fn sites_with(data: &MasterData, bins: bool) -> Vec<usize> {
    data.sites
        .iter()
        .enumerate()
        .filter(|(_, s)| if bins { !s.bins.is_empty() } else { !s.zones.is_empty() })
        .map(|(i, _)| i)
        .collect()
}

fn duplicate_code(data: &mut MasterData, p: &mut Picks) -> Planted {
    fn again<T: Clone>(list: &mut Vec<T>, p: &mut Picks) -> T {
        let copy = nth(list, p.next(list.len())).clone();
        list.push(copy.clone());
        copy
    }
    let code = Defect::DuplicateCode.code();
    let (with_zones, with_bins) = (sites_with(data, false), sites_with(data, true));
    match p.next(10) {
        1 => planted(code, "region", again(&mut data.regions, p).code.as_str()),
        2 => planted(code, "supplier", again(&mut data.suppliers, p).code.as_str()),
        3 => planted(code, "site", again(&mut data.sites, p).code.as_str()),
        4 => planted(code, "item", again(&mut data.items, p).code.as_str()),
        5 if !with_zones.is_empty() => {
            let site = nth_mut(&mut data.sites, *p.pick(&with_zones));
            let z = again(&mut site.zones, p);
            planted(code, "zone", format!("{}/{}", site.code, z.code))
        }
        6 if !with_bins.is_empty() => {
            let site = nth_mut(&mut data.sites, *p.pick(&with_bins));
            let b = again(&mut site.bins, p);
            planted(code, "bin", format!("{}/{}", site.code, b.code))
        }
        7 if !data.policies.is_empty() => {
            let pol = again(&mut data.policies, p);
            planted(code, "policy", format!("{}@{}", pol.item, pol.site))
        }
        8 if !data.customers.is_empty() => {
            planted(code, "customer", again(&mut data.customers, p).code.as_str())
        }
        9 => {
            // A custom unit reusing a standard code.
            data.units.push(UnitDef {
                code: uom("EA"),
                name: "each again".into(),
                category: UnitCategory::Count,
                factor: Decimal::ONE,
                rounding: Rounding::WHOLE,
            });
            planted(code, "unit", "EA")
        }
        _ => planted(code, "entity", again(&mut data.entities, p).code.as_str()),
    }
}

fn taken<'a>(codes: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    codes.map(str::to_owned).collect()
}

fn unknown_reference(data: &mut MasterData, p: &mut Picks) -> Planted {
    let code = Defect::UnknownReference.code();
    let sites = taken(data.sites.iter().map(|s| s.code.as_str()));
    let items = taken(data.items.iter().map(|s| s.code.as_str()));
    let regions = taken(data.regions.iter().map(|s| s.code.as_str()));
    let suppliers = taken(data.suppliers.iter().map(|s| s.code.as_str()));
    let entities = taken(data.entities.iter().map(|s| s.code.as_str()));
    let ghost_site = must(SiteCode::new(fresh("GHOST-SITE", |c| sites.contains(c))));
    let ghost_item = must(ItemCode::new(fresh("GHOST-ITEM", |c| items.contains(c))));
    let ghost_region = must(RegionCode::new(fresh("GHOST-REG", |c| regions.contains(c))));
    let ghost_supplier = must(SupplierCode::new(fresh("GHOST-SUP", |c| suppliers.contains(c))));
    let with_bins = sites_with(data, true);
    let (n_sites, n_items, n_lanes) = (data.sites.len(), data.items.len(), data.lanes.len());
    let n_policies = data.policies.len();
    match p.next(12) {
        1 => {
            let site = nth_mut(&mut data.sites, p.next(n_sites));
            site.entity = Some(must(EntityCode::new(fresh("GHOST-ENT", |c| entities.contains(c)))));
            planted(code, "site", site.code.as_str())
        }
        2 if !data.customers.is_empty() => {
            let c = p.pick_mut(&mut data.customers);
            c.region = ghost_region;
            planted(code, "customer", c.code.as_str())
        }
        3 if !with_bins.is_empty() => {
            let site = nth_mut(&mut data.sites, *p.pick(&with_bins));
            let zones = taken(site.zones.iter().map(|z| z.code.as_str()));
            let ghost = must(ZoneCode::new(fresh("GHOST-ZONE", |c| zones.contains(c))));
            let bin = p.pick_mut(&mut site.bins);
            bin.zone = ghost;
            planted(code, "bin", format!("{}/{}", site.code, bin.code))
        }
        4 => {
            let item = nth_mut(&mut data.items, p.next(n_items));
            item.substitutes.push(Substitute { item: ghost_item, ratio: Decimal::ONE });
            planted(code, "item", item.code.as_str())
        }
        5 if n_policies > 0 => {
            let pol = nth_mut(&mut data.policies, p.next(n_policies));
            pol.item = ghost_item;
            planted(code, "policy", format!("{}@{}", pol.item, pol.site))
        }
        6 if n_policies > 0 => {
            let pol = nth_mut(&mut data.policies, p.next(n_policies));
            pol.site = ghost_site;
            planted(code, "policy", format!("{}@{}", pol.item, pol.site))
        }
        7 if n_lanes > 0 => {
            let i = p.next(n_lanes);
            let lane = nth_mut(&mut data.lanes, i);
            lane.to = ghost_site;
            planted(code, "lane", lane_key(i, lane))
        }
        8 if n_lanes > 0 => {
            let i = p.next(n_lanes);
            let lane = nth_mut(&mut data.lanes, i);
            lane.from = match lane.from {
                LaneSource::Site(_) => LaneSource::Site(ghost_site),
                LaneSource::Supplier(_) => LaneSource::Supplier(ghost_supplier),
            };
            planted(code, "lane", lane_key(i, lane))
        }
        9 if n_lanes > 0 => {
            let i = p.next(n_lanes);
            let lane = nth_mut(&mut data.lanes, i);
            lane.item = Some(ghost_item);
            planted(code, "lane", lane_key(i, lane))
        }
        10 => {
            let item = nth_mut(&mut data.items, p.next(n_items));
            item.base_uom = uom("QQ9");
            planted(code, "item", item.code.as_str())
        }
        11 => {
            let site = nth_mut(&mut data.sites, p.next(n_sites));
            site.operator = Operator::ThirdParty(ghost_supplier);
            planted(code, "site", site.code.as_str())
        }
        _ => {
            let site = nth_mut(&mut data.sites, p.next(n_sites));
            site.region = ghost_region;
            planted(code, "site", site.code.as_str())
        }
    }
}

/// The standard units plus each added unit that [`UnitRegistry::with_units`] admits:
/// defects planted earlier may have added a redefinition or a zero factor.
fn registry_of(units: &[UnitDef]) -> UnitRegistry {
    let mut kept: Vec<UnitDef> = Vec::new();
    for u in units {
        let taken = UnitRegistry::is_standard(u.code) || kept.iter().any(|k| k.code == u.code);
        if !taken && u.factor > Decimal::ZERO {
            kept.push(u.clone());
        }
    }
    must(UnitRegistry::with_units(&kept))
}

fn fractional_whole_unit(data: &mut MasterData, p: &mut Picks) -> Planted {
    let code = Defect::FractionalWholeUnit.code();
    let registry = registry_of(&data.units);
    let half = Decimal::new(25, 1);
    let way = p.next(3);
    let item = p.pick_mut(&mut data.items);
    match way {
        // 1 FRAC = 2.5 W, where W is the base unit or a whole-number packaging unit.
        0 => {
            let whole_pack = ItemUnits::resolve(item, &registry).ok().and_then(|units| {
                units.units().find(|u| {
                    units.is_packaging(*u) && units.rounding(*u).is_some_and(Rounding::is_whole)
                })
            });
            let per = if is_whole_global(&registry, item.base_uom) {
                Some(item.base_uom)
            } else {
                whole_pack
            };
            match per {
                Some(per) => {
                    item.units.push(ItemUnit {
                        unit: uom("FRAC"),
                        factor: half,
                        per,
                        rounding: None,
                    });
                    planted(code, "item", item.code.as_str())
                }
                None => global_fraction(data, code),
            }
        }
        // 1 BASE = 2.5 FRACIN: an inner pack reached only as `per`, a whole-number unit.
        1 => {
            let unit = item.base_uom;
            item.units.push(ItemUnit { unit, factor: half, per: uom("FRACIN"), rounding: None });
            planted(code, "item", item.code.as_str())
        }
        _ => global_fraction(data, code),
    }
}

/// A custom whole-number count unit of 2.5 each.
fn global_fraction(data: &mut MasterData, code: &'static str) -> Planted {
    let units = taken(data.units.iter().map(|u| u.code.as_str()));
    let unit = uom(&fresh("UFRAC", |c| units.contains(c)));
    data.units.push(UnitDef {
        code: unit,
        name: "two and a half each".into(),
        category: UnitCategory::Count,
        factor: Decimal::new(25, 1),
        rounding: Rounding::WHOLE,
    });
    planted(code, "unit", unit.as_str())
}

fn inconsistent_conversion(data: &mut MasterData, p: &mut Picks) -> Planted {
    let other_way = p.next(2) == 0;
    let item = p.pick_mut(&mut data.items);
    let base = item.base_uom;
    // Redefine an existing whole-factor conversion with one more, or define a new unit
    // twice (2 and 3 base units).
    let existing = item
        .units
        .iter()
        .filter(|u| u.factor.fract().is_zero())
        .find_map(|u| Some((u.unit, u.factor.checked_add(Decimal::ONE)?, u.per)));
    let (unit, factor, per) = match existing {
        Some(redefined) if other_way => redefined,
        _ => {
            let probe = uom("INCON");
            item.units.push(ItemUnit {
                unit: probe,
                factor: Decimal::TWO,
                per: base,
                rounding: None,
            });
            (probe, Decimal::from(3), base)
        }
    };
    item.units.push(ItemUnit { unit, factor, per, rounding: None });
    planted(Defect::InconsistentConversion.code(), "item", item.code.as_str())
}

/// A policy to break, by position (a new one for some item and site when there is
/// none), and its item's base unit.
fn some_policy(data: &mut MasterData, p: &mut Picks) -> (usize, UomCode) {
    if data.policies.is_empty() {
        let item = p.pick(&data.items).code.clone();
        let site = p.pick(&data.sites).code.clone();
        data.policies.push(ItemSitePolicy::new(item, site));
    }
    let i = p.next(data.policies.len());
    let item = &nth(&data.policies, i).item;
    let base = data.items.iter().find(|it| &it.code == item).map_or(uom("EA"), |it| it.base_uom);
    (i, base)
}

fn sourcing_cycle(data: &mut MasterData, p: &mut Picks) -> Planted {
    let n = data.sites.len();
    let a = p.next(n);
    let b = if n > 1 { (a + 1 + p.next(n - 1)) % n } else { a };
    let (sa, sb) = (nth(&data.sites, a).code.clone(), nth(&data.sites, b).code.clone());
    let top = data.lanes.iter().map(|l| l.rank).max().unwrap_or(0);
    let item = if p.next(3) == 0 { Some(p.pick(&data.items).code.clone()) } else { None };
    let cost = Money::new(Decimal::ZERO, nth(&data.suppliers, 0).currency);
    let lane = |from: &SiteCode, to: &SiteCode, rank| SourcingLane {
        from: LaneSource::Site(from.clone()),
        to: to.clone(),
        item: item.clone(),
        transit_days: 1,
        cost_per_unit: cost,
        rank,
    };
    // At the front, so the loop's first lane (its lowest position) is the planted one.
    let mut new_lanes = vec![lane(&sa, &sb, top.saturating_add(1))];
    if a != b {
        new_lanes.push(lane(&sb, &sa, top.saturating_add(2)));
    }
    let key = lane_key(0, nth(&new_lanes, 0));
    data.lanes.splice(0..0, new_lanes);
    planted(Defect::SourcingCycle.code(), "lane", key)
}

fn invalid_value(data: &mut MasterData, p: &mut Picks) -> Planted {
    let code = Defect::InvalidValue.code();
    let policy_key = |pol: &ItemSitePolicy| format!("{}@{}", pol.item, pol.site);
    let (n_items, n_sites, n_lanes) = (data.items.len(), data.sites.len(), data.lanes.len());
    let way = p.next(16);
    match way {
        0 | 1 | 10 | 11 | 12 | 14 | 15 => {
            let (i, base) = some_policy(data, p);
            let pol = nth_mut(&mut data.policies, i);
            match way {
                0 => pol.service_target = Some(ServiceTarget::FillRate(Decimal::new(12, 1))),
                1 => pol.order_multiple = Some(Qty::zero(base)),
                10 => pol.review_period_days = Some(0),
                11 => pol.lead_time.mean_days = Decimal::NEGATIVE_ONE,
                12 => {
                    pol.safety_stock = SafetyStock::Statistical;
                    pol.service_target = None;
                }
                14 => pol.safety_stock = SafetyStock::DaysOfSupply(Decimal::ZERO),
                _ => {
                    pol.order_min = Some(must(Qty::new(Decimal::from(5), base)));
                    pol.order_max = Some(must(Qty::new(Decimal::from(4), base)));
                }
            }
            planted(code, "policy", policy_key(pol))
        }
        2 | 3 if n_lanes > 0 => {
            let i = p.next(n_lanes);
            let lane = nth_mut(&mut data.lanes, i);
            if way == 2 {
                lane.rank = 0;
            } else {
                lane.cost_per_unit =
                    Money::new(Decimal::NEGATIVE_ONE, lane.cost_per_unit.currency());
            }
            planted(code, "lane", lane_key(i, lane))
        }
        7 => {
            let units = taken(data.units.iter().map(|u| u.code.as_str()));
            let unit = uom(&fresh("UZERO", |c| units.contains(c)));
            data.units.push(UnitDef {
                code: unit,
                name: "nothing".into(),
                category: UnitCategory::Mass,
                factor: Decimal::ZERO,
                rounding: must(Rounding::new(3, RoundingMode::HalfUp)),
            });
            planted(code, "unit", unit.as_str())
        }
        8 | 9 => {
            let site = nth_mut(&mut data.sites, p.next(n_sites));
            if way == 8 {
                site.kind = SiteKind::VirtualTransit;
                if site.zones.is_empty() {
                    let code = must(ZoneCode::new("TRANSIT"));
                    site.zones.push(Zone { code, kind: ZoneKind::Bulk });
                }
            } else {
                site.kind = SiteKind::ThirdPartyLogistics;
                site.operator = Operator::Owner;
            }
            planted(code, "site", site.code.as_str())
        }
        _ => {
            let other = nth(&data.items, p.next(n_items)).code.clone();
            let item = nth_mut(&mut data.items, p.next(n_items));
            match way {
                4 => {
                    item.tracking = Tracking::Lot;
                    item.shelf_life_days = Some(0);
                }
                5 => item
                    .substitutes
                    .push(Substitute { item: item.code.clone(), ratio: Decimal::ONE }),
                6 => item.substitutes.push(Substitute { item: other, ratio: Decimal::ZERO }),
                _ => {
                    let per = item.base_uom;
                    item.units.push(ItemUnit {
                        unit: uom("NIL"),
                        factor: Decimal::ZERO,
                        per,
                        rounding: None,
                    });
                }
            }
            planted(code, "item", item.code.as_str())
        }
    }
}

fn inject_map(
    defect: Defect,
    data: &MasterData,
    maps: &mut Vec<SiteStatusMap>,
    p: &mut Picks,
) -> Planted {
    let code = defect.code();
    let which = p.next(maps.len());
    let m = nth_mut(maps, which);
    let site = m.site.clone();
    let used = taken(m.codes.iter().chain(m.map.values().flatten()).map(LocalStatusCode::as_str));
    let new_code = must(LocalStatusCode::new(fresh("ZZ-NEW", |c| used.contains(c))));
    let local = |c: &LocalStatusCode| format!("{site}/{c}");
    let statuses: Vec<StockStatus> = m.map.keys().copied().collect();
    match defect {
        Defect::MapUnmappedLocalCode => {
            m.codes.push(new_code.clone());
            planted(code, "local_status", local(&new_code))
        }
        Defect::MapConflictingLocalCode => {
            let from = *p.pick(&statuses);
            let c = must(m.map.get(&from).and_then(|c| c.first()).cloned().ok_or("mapped code"));
            let others: Vec<StockStatus> =
                StockStatus::ALL.into_iter().filter(|s| *s != from).collect();
            m.map.entry(*p.pick(&others)).or_default().push(c.clone());
            planted(code, "local_status", local(&c))
        }
        Defect::MapInexpressibleStatus => {
            let must_express: Vec<StockStatus> =
                StockStatus::ALL.into_iter().filter(|s| *s != StockStatus::InTransit).collect();
            let status = *p.pick(&must_express);
            let gone = m.map.remove(&status).unwrap_or_default();
            m.codes.retain(|c| !gone.contains(c));
            planted(code, "status_map", site.as_str())
        }
        Defect::MapUnknownReference => {
            if p.next(2) == 0 {
                let status = *p.pick(&statuses);
                m.map.entry(status).or_default().push(new_code.clone());
                planted(code, "local_status", local(&new_code))
            } else {
                let sites = taken(data.sites.iter().map(|s| s.code.as_str()));
                let ghost = fresh("GHOST-SITE", |c| sites.contains(c));
                m.site = must(SiteCode::new(ghost.clone()));
                planted(code, "status_map", ghost)
            }
        }
        _ => {
            if p.next(2) == 0 {
                let copy = m.clone();
                maps.push(copy);
                planted(code, "status_map", site.as_str())
            } else {
                let c = p.pick(&m.codes).clone();
                m.codes.push(c.clone());
                planted(code, "local_status", local(&c))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Mostly invalid networks
// ---------------------------------------------------------------------------------------

/// Decimals at the edges of what a `Decimal` holds, and around zero.
fn wild_decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        Just(Decimal::ZERO),
        Just(Decimal::NEGATIVE_ONE),
        Just(Decimal::new(5, 1)),
        Just(Decimal::new(125, 1)),
        Just(Decimal::MAX),
        Just(Decimal::MIN),
        Just(Decimal::new(1, 28)),
        Just(Decimal::from(10_i64.pow(18))),
        (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Decimal::new(m, s)),
    ]
}

#[derive(Debug, Clone, Copy)]
enum Garble {
    Inject(Defect, Index),
    Factor(Index, Index, Decimal),
    Unit(Index, Index, UomCode, bool),
    Rounding(Index, Index, Rounding),
    Lane(Index, Index, Index, Option<Index>, u16),
    PolicyQty(Index, Decimal, UomCode),
    Site(Index, Index, Index),
    CustomUnit(UomCode, Decimal, Rounding, bool),
}

fn garble() -> impl Strategy<Value = Garble> {
    let ix = any::<Index>;
    prop_oneof![
        4 => (master_defect(), ix()).prop_map(|(d, i)| Garble::Inject(d, i)),
        2 => (ix(), ix(), wild_decimal()).prop_map(|(a, b, d)| Garble::Factor(a, b, d)),
        2 => (ix(), ix(), uom_code(), any::<bool>()).prop_map(|(a, b, u, s)| Garble::Unit(a, b, u, s)),
        1 => (ix(), ix(), (0u32..=28, rounding_mode())).prop_map(|(a, b, (s, m))| {
            Garble::Rounding(a, b, must(Rounding::new(s, m)))
        }),
        2 => (ix(), ix(), ix(), prop::option::of(ix()), 0u16..=3)
            .prop_map(|(a, b, c, d, r)| Garble::Lane(a, b, c, d, r)),
        1 => (ix(), wild_decimal(), uom_code()).prop_map(|(a, d, u)| Garble::PolicyQty(a, d, u)),
        1 => (ix(), ix(), ix()).prop_map(|(a, b, c)| Garble::Site(a, b, c)),
        1 => (uom_code(), wild_decimal(), (0u32..=28, rounding_mode()), any::<bool>())
            .prop_map(|(u, d, (s, m), w)| {
                Garble::CustomUnit(u, d, must(Rounding::new(if w { 0 } else { s }, m)), w)
            }),
    ]
}

fn apply_garble(data: &mut MasterData, change: Garble) {
    match change {
        Garble::Inject(d, pick) => {
            if !data.items.is_empty() && !data.sites.is_empty() {
                inject(d, data, &mut Vec::new(), pick);
            }
        }
        Garble::Factor(i, j, factor) => {
            if let Some(conv) = item_conv(data, i, j) {
                conv.factor = factor;
            }
        }
        Garble::Unit(i, j, code, per) => {
            if let Some(conv) = item_conv(data, i, j) {
                if per { conv.per = code } else { conv.unit = code }
            } else if !data.items.is_empty() {
                i.get_mut(&mut data.items).base_uom = code;
            }
        }
        Garble::Rounding(i, j, r) => {
            if let Some(conv) = item_conv(data, i, j) {
                conv.rounding = Some(r);
            }
        }
        Garble::Lane(a, b, c, item, rank) => {
            if data.sites.is_empty() || data.suppliers.is_empty() {
                return;
            }
            let from = if a.index(3) == 0 {
                LaneSource::Supplier(a.get(&data.suppliers).code.clone())
            } else {
                LaneSource::Site(b.get(&data.sites).code.clone())
            };
            let item = item
                .and_then(|i| (!data.items.is_empty()).then(|| i.get(&data.items).code.clone()));
            data.lanes.push(SourcingLane {
                from,
                to: c.get(&data.sites).code.clone(),
                item,
                transit_days: 0,
                cost_per_unit: Money::new(Decimal::ZERO, a.get(&data.suppliers).currency),
                rank,
            });
        }
        Garble::PolicyQty(which, value, unit) => {
            if !data.policies.is_empty() {
                let pol = which.get_mut(&mut data.policies);
                let amount = Qty::new(value.abs(), unit).ok();
                match which.index(3) {
                    0 => pol.order_min = amount,
                    1 => pol.order_multiple = amount,
                    _ => pol.safety_stock = amount.map_or(SafetyStock::None, SafetyStock::Fixed),
                }
            }
        }
        Garble::Site(a, b, c) => {
            if data.sites.len() > 1 {
                let other = b.get(&data.sites).clone();
                let site = a.get_mut(&mut data.sites);
                match c.index(3) {
                    0 => site.code = other.code,
                    1 => site.zones = other.zones,
                    _ => site.bins = other.bins,
                }
            }
        }
        Garble::CustomUnit(code, factor, rounding, count) => {
            let category = if count { UnitCategory::Count } else { UnitCategory::Mass };
            data.units.push(UnitDef { code, name: String::new(), category, factor, rounding });
        }
    }
}

fn item_conv(data: &mut MasterData, i: Index, j: Index) -> Option<&mut ItemUnit> {
    if data.items.is_empty() {
        return None;
    }
    let item = i.get_mut(&mut data.items);
    if item.units.is_empty() { None } else { Some(j.get_mut(&mut item.units)) }
}

/// A mostly invalid network: a valid [`network`] with one to eight random changes
/// (planted defects, extreme or negative factors, random unit codes and roundings up to
/// 28 places, lanes between random sites including loops and rank 0, quantities in
/// unknown units, sites sharing codes, zones or bins, custom units clashing with
/// standard ones). For checking that validation stays total and deterministic.
pub fn messy_network() -> impl Strategy<Value = MasterData> {
    (network(), prop::collection::vec(garble(), 1..=8)).prop_map(|(mut data, changes)| {
        for g in changes {
            apply_garble(&mut data, g);
        }
        data
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defects_cover_every_violation_code() {
        let master: BTreeSet<&str> = Defect::MASTER.iter().map(|d| d.code()).collect();
        assert_eq!(master, onhand_master::Violation::CODES.into_iter().collect());
        let maps: BTreeSet<&str> = Defect::STATUS_MAP.iter().map(|d| d.code()).collect();
        assert_eq!(maps, onhand_status::StatusMapViolation::CODES.into_iter().collect());
        assert!(Defect::STATUS_MAP.iter().all(|d| d.is_status_map()));
        assert!(!Defect::MASTER.iter().any(|d| d.is_status_map()));
    }

    #[test]
    fn distinct_keeps_codes_valid_and_unique() {
        let long = "X".repeat(MAX_CODE_LEN);
        let codes = distinct(vec!["A".into(), "A".into(), "A-1".into(), long.clone(), long]);
        let unique: BTreeSet<&String> = codes.iter().collect();
        assert_eq!(unique.len(), codes.len());
        assert!(codes.iter().all(|c| ItemCode::new(c.as_str()).is_ok()), "{codes:?}");
    }
}
