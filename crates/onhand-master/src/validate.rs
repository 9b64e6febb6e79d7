//! Governance validation of master data: [`validate`] returns every violation at once,
//! each with a stable code and the offending record.
//!
//! | code | what it means |
//! |---|---|
//! | `duplicate_code` | two records of one kind share a code (zones and bins: within a site) |
//! | `unknown_reference` | a record names an entity, region, site, zone, supplier, item or unit that does not exist |
//! | `unit_without_conversion` | an item names a unit that no chain of conversions links to its base unit |
//! | `fractional_whole_unit` | a unit is defined as a fraction of a whole-number unit (a case of 12.5 each) |
//! | `inconsistent_conversion` | two conversion chains give one unit different sizes |
//! | `policy_on_unstocked_item` | an item-site marked not stocked carries planning, safety stock or order rules |
//! | `sourcing_cycle` | sites source from each other in a loop (A from B, B from A) |
//! | `site_without_entity` | a site has no owning legal entity |
//! | `duplicate_lane_rank` | two lanes into one site for one item scope share a rank |
//! | `invalid_value` | a field is outside its allowed range (a service level of 1.2, a zero order multiple, ...) |
//!
//! The codes are a compatibility promise: tools match on them. Messages may change.

use std::collections::{BTreeMap, BTreeSet};

use std::hash::Hash;

use crate::hash::{self, FixedState, Map, Set, map};
use std::fmt;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::code::{
    BinCode, CustomerCode, EntityCode, ItemCode, RegionCode, SiteCode, SupplierCode, ZoneCode,
};
use crate::data::MasterData;
use crate::item::{Item, Tracking};
use crate::org::{Operator, SiteKind};
use crate::policy::{ItemSitePolicy, LaneSource, PlanningMethod, SafetyStock};
use crate::qty::Qty;
use crate::uom::{ItemUnits, UnitIssue, UnitRegistry, UomCode};

/// A kind of master record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RecordKind {
    /// A global unit of measure.
    Unit,
    /// A legal entity.
    Entity,
    /// A region.
    Region,
    /// A site.
    Site,
    /// A zone of a site.
    Zone,
    /// A bin of a site.
    Bin,
    /// A supplier.
    Supplier,
    /// A customer.
    Customer,
    /// An item.
    Item,
    /// An item-site policy.
    Policy,
    /// A sourcing lane.
    Lane,
    /// A delivery lane.
    DeliveryLane,
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecordKind::Unit => "unit",
            RecordKind::Entity => "entity",
            RecordKind::Region => "region",
            RecordKind::Site => "site",
            RecordKind::Zone => "zone",
            RecordKind::Bin => "bin",
            RecordKind::Supplier => "supplier",
            RecordKind::Customer => "customer",
            RecordKind::Item => "item",
            RecordKind::Policy => "policy",
            RecordKind::Lane => "lane",
            RecordKind::DeliveryLane => "delivery_lane",
        })
    }
}

/// The record a violation is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum RecordRef {
    /// A global unit.
    Unit(UomCode),
    /// A legal entity.
    Entity(EntityCode),
    /// A region.
    Region(RegionCode),
    /// A site.
    Site(SiteCode),
    /// A zone of a site.
    Zone {
        /// The site.
        site: SiteCode,
        /// The zone.
        zone: ZoneCode,
    },
    /// A bin of a site.
    Bin {
        /// The site.
        site: SiteCode,
        /// The bin.
        bin: BinCode,
    },
    /// A supplier.
    Supplier(SupplierCode),
    /// A customer.
    Customer(CustomerCode),
    /// An item.
    Item(ItemCode),
    /// An item-site policy.
    Policy {
        /// The item.
        item: ItemCode,
        /// The site.
        site: SiteCode,
    },
    /// A delivery lane, by its position in [`MasterData::delivery_lanes`] (0-based).
    DeliveryLane {
        /// Position in the list.
        index: usize,
        /// The shipping site.
        site: SiteCode,
        /// The ship-to region.
        region: RegionCode,
    },
    /// A sourcing lane, by its position in [`MasterData::lanes`] (0-based).
    Lane {
        /// Position in the list.
        index: usize,
        /// Its source.
        from: LaneSource,
        /// Its destination.
        to: SiteCode,
    },
}

impl RecordRef {
    /// The kind of record.
    #[must_use]
    pub fn kind(&self) -> RecordKind {
        match self {
            RecordRef::Unit(_) => RecordKind::Unit,
            RecordRef::Entity(_) => RecordKind::Entity,
            RecordRef::Region(_) => RecordKind::Region,
            RecordRef::Site(_) => RecordKind::Site,
            RecordRef::Zone { .. } => RecordKind::Zone,
            RecordRef::Bin { .. } => RecordKind::Bin,
            RecordRef::Supplier(_) => RecordKind::Supplier,
            RecordRef::Customer(_) => RecordKind::Customer,
            RecordRef::Item(_) => RecordKind::Item,
            RecordRef::Policy { .. } => RecordKind::Policy,
            RecordRef::Lane { .. } => RecordKind::Lane,
            RecordRef::DeliveryLane { .. } => RecordKind::DeliveryLane,
        }
    }

    /// The record's key as text (`ATL/A-01`, `BOLT-M8@ATL`, `#3`).
    #[must_use]
    pub fn key(&self) -> String {
        match self {
            RecordRef::Unit(c) => c.to_string(),
            RecordRef::Entity(c) => c.to_string(),
            RecordRef::Region(c) => c.to_string(),
            RecordRef::Site(c) => c.to_string(),
            RecordRef::Zone { site, zone } => format!("{site}/{zone}"),
            RecordRef::Bin { site, bin } => format!("{site}/{bin}"),
            RecordRef::Supplier(c) => c.to_string(),
            RecordRef::Customer(c) => c.to_string(),
            RecordRef::Item(c) => c.to_string(),
            RecordRef::Policy { item, site } => format!("{item}@{site}"),
            RecordRef::Lane { index, from, to } => format!("#{index} ({from} -> {to})"),
            RecordRef::DeliveryLane { index, site, region } => {
                format!("#{index} ({site} -> {region})")
            }
        }
    }
}

impl fmt::Display for RecordRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind(), self.key())
    }
}

/// One governance finding. Each variant names the offending record; [`code`](Self::code)
/// is its stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Violation {
    /// Two records of one kind share a code.
    DuplicateCode {
        /// The later record with the code.
        record: RecordRef,
    },
    /// A record refers to something that does not exist.
    UnknownReference {
        /// The record holding the reference.
        record: RecordRef,
        /// The field holding it.
        field: &'static str,
        /// What kind of record it should name.
        target: RecordKind,
        /// The code it names.
        code: String,
    },
    /// An item names a unit that no conversion chain links to its base unit.
    UnitWithoutConversion {
        /// The item.
        item: ItemCode,
        /// The unit.
        unit: UomCode,
    },
    /// A unit defined as a fractional number of a whole-number unit.
    FractionalWholeUnit {
        /// The record defining it (an item, or a global unit).
        record: RecordRef,
        /// The unit being defined.
        unit: UomCode,
        /// The whole-number unit it is defined in.
        per: UomCode,
        /// The fractional factor.
        factor: Decimal,
    },
    /// Two conversion chains disagree on a unit's size.
    InconsistentConversion {
        /// The item.
        item: ItemCode,
        /// The unit.
        unit: UomCode,
        /// Base units per one `unit` by the first chain.
        first: Decimal,
        /// Base units per one `unit` by the second chain.
        second: Decimal,
    },
    /// An item-site that is not stocked carries a planning setting.
    PolicyOnUnstockedItem {
        /// The item.
        item: ItemCode,
        /// The site.
        site: SiteCode,
        /// The setting that should not be there.
        setting: &'static str,
    },
    /// Sites source from each other in a loop.
    SourcingCycle {
        /// The loop's first lane.
        record: RecordRef,
        /// The item scope (`None`: lanes for every item).
        item: Option<ItemCode>,
        /// The sites in the loop, sorted.
        sites: Vec<SiteCode>,
        /// The lanes forming it (positions in [`MasterData::lanes`]).
        lanes: Vec<usize>,
    },
    /// A site has no owning legal entity.
    SiteWithoutEntity {
        /// The site.
        site: SiteCode,
    },
    /// Two lanes into one site for one item scope share a rank.
    DuplicateLaneRank {
        /// The later lane.
        record: RecordRef,
        /// The item scope.
        item: Option<ItemCode>,
        /// The rank.
        rank: u16,
    },
    /// A field outside its allowed range.
    InvalidValue {
        /// The record.
        record: RecordRef,
        /// The field.
        field: &'static str,
        /// The value, as text.
        value: String,
        /// The rule it breaks.
        rule: &'static str,
    },
}

impl Violation {
    /// Every stable code a violation can carry, sorted.
    pub const CODES: [&'static str; 10] = [
        "duplicate_code",
        "duplicate_lane_rank",
        "fractional_whole_unit",
        "inconsistent_conversion",
        "invalid_value",
        "policy_on_unstocked_item",
        "site_without_entity",
        "sourcing_cycle",
        "unit_without_conversion",
        "unknown_reference",
    ];

    /// The stable code (see the module table).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Violation::DuplicateCode { .. } => "duplicate_code",
            Violation::UnknownReference { .. } => "unknown_reference",
            Violation::UnitWithoutConversion { .. } => "unit_without_conversion",
            Violation::FractionalWholeUnit { .. } => "fractional_whole_unit",
            Violation::InconsistentConversion { .. } => "inconsistent_conversion",
            Violation::PolicyOnUnstockedItem { .. } => "policy_on_unstocked_item",
            Violation::SourcingCycle { .. } => "sourcing_cycle",
            Violation::SiteWithoutEntity { .. } => "site_without_entity",
            Violation::DuplicateLaneRank { .. } => "duplicate_lane_rank",
            Violation::InvalidValue { .. } => "invalid_value",
        }
    }

    /// The offending record (for a sourcing cycle, its first lane).
    #[must_use]
    pub fn record(&self) -> RecordRef {
        match self {
            Violation::DuplicateCode { record }
            | Violation::UnknownReference { record, .. }
            | Violation::FractionalWholeUnit { record, .. }
            | Violation::DuplicateLaneRank { record, .. }
            | Violation::SourcingCycle { record, .. }
            | Violation::InvalidValue { record, .. } => record.clone(),
            Violation::UnitWithoutConversion { item, .. }
            | Violation::InconsistentConversion { item, .. } => RecordRef::Item(item.clone()),
            Violation::PolicyOnUnstockedItem { item, site, .. } => {
                RecordRef::Policy { item: item.clone(), site: site.clone() }
            }
            Violation::SiteWithoutEntity { site } => RecordRef::Site(site.clone()),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::DuplicateCode { record } => write!(f, "{record} is defined more than once"),
            Violation::UnknownReference { record, field, target, code } => {
                write!(f, "{record}: {target} {code} does not exist (field {field})")
            }
            Violation::UnitWithoutConversion { item, unit } => {
                write!(f, "item {item}: unit {unit} has no conversion to the base unit")
            }
            Violation::FractionalWholeUnit { record, unit, per, factor } => {
                write!(f, "{record}: 1 {unit} = {factor} {per}, but {per} is a whole-number unit")
            }
            Violation::InconsistentConversion { item, unit, first, second } => write!(
                f,
                "item {item}: unit {unit} is {first} base units by one chain and {second} by another"
            ),
            Violation::PolicyOnUnstockedItem { item, site, setting } => write!(
                f,
                "policy {item}@{site}: the item is not stocked there, but {setting} is set"
            ),
            Violation::SourcingCycle { item, sites, .. } => {
                let names: Vec<&str> = sites.iter().map(SiteCode::as_str).collect();
                match item {
                    Some(i) => write!(
                        f,
                        "sites {} source item {i} from each other in a loop",
                        names.join(", ")
                    ),
                    None => {
                        write!(f, "sites {} source from each other in a loop", names.join(", "))
                    }
                }
            }
            Violation::SiteWithoutEntity { site } => {
                write!(f, "site {site} has no owning legal entity")
            }
            Violation::DuplicateLaneRank {
                record: record @ RecordRef::DeliveryLane { .. },
                rank,
                ..
            } => {
                write!(f, "{record}: another delivery lane to the region has rank {rank}")
            }
            Violation::DuplicateLaneRank { record, item, rank } => match item {
                Some(i) => {
                    write!(f, "{record}: another lane into the site for item {i} has rank {rank}")
                }
                None => {
                    write!(f, "{record}: another lane into the site for all items has rank {rank}")
                }
            },
            Violation::InvalidValue { record, field, value, rule } => {
                write!(f, "{record}: {field} = {value}: {rule}")
            }
        }
    }
}

/// A violation in its serialized form: `{ "code", "record": { "kind", "key" }, "message" }`.
impl Serialize for Violation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        #[derive(Serialize)]
        struct Rec {
            kind: RecordKind,
            key: String,
        }
        let record = self.record();
        let mut st = s.serialize_struct("Violation", 3)?;
        st.serialize_field("code", self.code())?;
        st.serialize_field("record", &Rec { kind: record.kind(), key: record.key() })?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}

/// Every violation found in one piece of master data, in record order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct ValidationReport {
    /// The violations.
    pub violations: Vec<Violation>,
}

impl ValidationReport {
    /// Whether nothing was found.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }

    /// How many violations carry each code, sorted by code.
    #[must_use]
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut out = BTreeMap::new();
        for v in &self.violations {
            *out.entry(v.code()).or_insert(0) += 1;
        }
        out
    }
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.violations.is_empty() {
            return f.write_str("no violations");
        }
        writeln!(f, "{} violation(s):", self.violations.len())?;
        for v in &self.violations {
            writeln!(f, "  [{}] {}", v.code(), v)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationReport {}

/// The rule text of the dense-handle limits checked by [`validate`].
pub(crate) const HANDLE_LIMIT_RULE: &str = "more records than dense handles number (65,536 sites, entities or regions; 4,294,967,296 items, bins, suppliers or customers)";

/// Checks a whole network's master data and returns every violation found.
///
/// ```
/// use onhand_master::{seed, validate, SiteCode};
/// let mut data = seed::demo_network();
/// assert!(validate(&data).is_clean());
/// data.sites[0].entity = None;
/// let report = validate(&data);
/// assert_eq!(report.violations[0].code(), "site_without_entity");
/// ```
#[must_use]
pub fn validate(data: &MasterData) -> ValidationReport {
    let mut v = Validator {
        data,
        out: Vec::new(),
        registry: UnitRegistry::with_units_first_wins(&data.units),
    };
    v.units();
    let entities = v.unique(&data.entities, |e| &e.code, |e| RecordRef::Entity(e.code.clone()));
    let regions = v.unique(&data.regions, |r| &r.code, |r| RecordRef::Region(r.code.clone()));
    let suppliers = v.unique(&data.suppliers, |s| &s.code, |s| RecordRef::Supplier(s.code.clone()));
    let sites = v.unique(&data.sites, |s| &s.code, |s| RecordRef::Site(s.code.clone()));
    let items = v.unique(&data.items, |i| &i.code, |i| RecordRef::Item(i.code.clone()));
    v.sites(&entities, &regions, &suppliers);
    v.unique(&data.customers, |c| &c.code, |c| RecordRef::Customer(c.code.clone()));
    for c in &data.customers {
        if !regions.contains(&c.region) {
            v.unknown(RecordRef::Customer(c.code.clone()), "region", RecordKind::Region, &c.region);
        }
    }
    let units = v.items(&items);
    v.policies(&items, &sites, &units);
    v.lanes(&items, &sites, &suppliers);
    v.delivery_lanes(&sites, &regions);
    v.limits();
    ValidationReport { violations: v.out }
}

struct Validator<'a> {
    data: &'a MasterData,
    out: Vec<Violation>,
    registry: UnitRegistry,
}

/// The codes of one kind of record, borrowed from the data: a network of millions of
/// items is checked without a copy of their codes.
type Codes<'a, C> = Set<&'a C>;

impl<'a> Validator<'a> {
    /// The codes of `records`, reporting each record whose code an earlier one has.
    fn unique<T, C: Hash + Eq>(
        &mut self,
        records: &'a [T],
        code: impl Fn(&'a T) -> &'a C,
        record: impl Fn(&'a T) -> RecordRef,
    ) -> Codes<'a, C> {
        let mut seen = Set::with_capacity_and_hasher(records.len(), FixedState::default());
        for r in records {
            if !seen.insert(code(r)) {
                self.out.push(Violation::DuplicateCode { record: record(r) });
            }
        }
        seen
    }

    fn unknown(
        &mut self,
        record: RecordRef,
        field: &'static str,
        target: RecordKind,
        code: &impl fmt::Display,
    ) {
        self.out.push(Violation::UnknownReference {
            record,
            field,
            target,
            code: code.to_string(),
        });
    }

    fn invalid(
        &mut self,
        record: RecordRef,
        field: &'static str,
        value: impl fmt::Display,
        rule: &'static str,
    ) {
        self.out.push(Violation::InvalidValue { record, field, value: value.to_string(), rule });
    }

    /// Dense handles number sites, entities and regions in 16 bits, the rest in 32.
    fn limits(&mut self) {
        let d = self.data;
        let small = usize::from(u16::MAX) + 1;
        let big = usize::try_from(u64::from(u32::MAX) + 1).unwrap_or(usize::MAX);
        let mut over = Vec::new();
        over.extend(d.sites.get(small).map(|x| RecordRef::Site(x.code.clone())));
        over.extend(d.entities.get(small).map(|x| RecordRef::Entity(x.code.clone())));
        over.extend(d.regions.get(small).map(|x| RecordRef::Region(x.code.clone())));
        over.extend(d.items.get(big).map(|x| RecordRef::Item(x.code.clone())));
        over.extend(d.suppliers.get(big).map(|x| RecordRef::Supplier(x.code.clone())));
        over.extend(d.customers.get(big).map(|x| RecordRef::Customer(x.code.clone())));
        let bins: usize = d.sites.iter().map(|s| s.bins.len()).sum();
        if bins >= big {
            over.extend(d.sites.last().map(|x| RecordRef::Site(x.code.clone())));
        }
        for record in over {
            self.invalid(record, "code", "beyond the handle limit", HANDLE_LIMIT_RULE);
        }
    }

    fn units(&mut self) {
        let standard = UnitRegistry::standard();
        let mut seen = hash::set();
        for u in &self.data.units {
            let record = RecordRef::Unit(u.code);
            if standard.get(u.code).is_some() || !seen.insert(u.code) {
                self.out.push(Violation::DuplicateCode { record: record.clone() });
            }
            if u.factor <= Decimal::ZERO {
                self.invalid(record.clone(), "factor", u.factor, "must be greater than zero");
                continue;
            }
            if !u.rounding.is_whole() {
                continue;
            }
            // A whole-number unit must be a whole multiple of every smaller whole-number
            // unit of its category, or a whole count of it is a fraction of theirs.
            let smaller = self.registry.iter().filter(|w| {
                w.category == u.category
                    && w.rounding.is_whole()
                    && w.factor < u.factor
                    && w.code != u.code
            });
            for w in smaller {
                let ratio = u.factor.checked_div(w.factor).unwrap_or(Decimal::ZERO);
                if !ratio.fract().is_zero() {
                    self.out.push(Violation::FractionalWholeUnit {
                        record: record.clone(),
                        unit: u.code,
                        per: w.code,
                        factor: ratio.normalize(),
                    });
                    break;
                }
            }
        }
    }

    fn sites(
        &mut self,
        entities: &Codes<'a, EntityCode>,
        regions: &Codes<'a, RegionCode>,
        suppliers: &Codes<'a, SupplierCode>,
    ) {
        let data = self.data;
        for site in &data.sites {
            let rec = RecordRef::Site(site.code.clone());
            match &site.entity {
                None => self.out.push(Violation::SiteWithoutEntity { site: site.code.clone() }),
                Some(e) if !entities.contains(e) => {
                    self.unknown(rec.clone(), "entity", RecordKind::Entity, e);
                }
                Some(_) => {}
            }
            if !regions.contains(&site.region) {
                self.unknown(rec.clone(), "region", RecordKind::Region, &site.region);
            }
            match (&site.operator, site.kind) {
                (Operator::ThirdParty(s), _) if !suppliers.contains(s) => {
                    self.unknown(rec.clone(), "operator", RecordKind::Supplier, s);
                }
                (Operator::Owner, SiteKind::ThirdPartyLogistics) => self.invalid(
                    rec.clone(),
                    "operator",
                    "owner",
                    "a third-party logistics site names its operating provider",
                ),
                _ => {}
            }
            if site.kind == SiteKind::VirtualTransit
                && !(site.bins.is_empty() && site.zones.is_empty())
            {
                self.invalid(
                    rec.clone(),
                    "bins",
                    site.bins.len(),
                    "a virtual transit site holds no zones or bins",
                );
            }
            let zones = self.unique(
                &site.zones,
                |z| &z.code,
                |z| RecordRef::Zone { site: site.code.clone(), zone: z.code.clone() },
            );
            self.unique(
                &site.bins,
                |b| &b.code,
                |b| RecordRef::Bin { site: site.code.clone(), bin: b.code.clone() },
            );
            for b in &site.bins {
                if !zones.contains(&b.zone) {
                    let rec = RecordRef::Bin { site: site.code.clone(), bin: b.code.clone() };
                    self.unknown(rec, "zone", RecordKind::Zone, &b.zone);
                }
            }
        }
    }

    /// Checks every item, and returns the resolved units of the items policies name (the
    /// only ones checked further).
    fn items(&mut self, items: &Codes<'a, ItemCode>) -> Map<&'a ItemCode, ItemUnits> {
        let data = self.data;
        let wanted: Codes<'a, ItemCode> = data.policies.iter().map(|p| &p.item).collect();
        let mut resolved = map();
        for item in &data.items {
            let rec = RecordRef::Item(item.code.clone());
            let (units, issues) = ItemUnits::resolve_collect(item, &self.registry);
            for issue in issues {
                self.unit_issue(item, issue);
            }
            if let Some(base) = self.registry.get(item.base_uom)
                && item.tracking == Tracking::Serial
                && !base.rounding.is_whole()
            {
                self.invalid(
                    rec.clone(),
                    "tracking",
                    "serial",
                    "a serial-tracked item needs a whole-number base unit",
                );
            }
            match (item.shelf_life_days, item.tracking) {
                (Some(0), _) => {
                    self.invalid(rec.clone(), "shelf_life_days", 0, "must be at least one day");
                }
                (Some(days), Tracking::None) => self.invalid(
                    rec.clone(),
                    "shelf_life_days",
                    days,
                    "expiry needs lot or serial tracking to know which stock expires when",
                ),
                _ => {}
            }
            let mut subs = BTreeSet::new();
            for s in &item.substitutes {
                if s.item == item.code {
                    self.invalid(
                        rec.clone(),
                        "substitutes",
                        &s.item,
                        "an item cannot substitute itself",
                    );
                } else if !items.contains(&s.item) {
                    self.unknown(rec.clone(), "substitutes", RecordKind::Item, &s.item);
                }
                if !subs.insert(&s.item) {
                    self.invalid(
                        rec.clone(),
                        "substitutes",
                        &s.item,
                        "a substitute is listed once",
                    );
                }
                if s.ratio <= Decimal::ZERO {
                    self.invalid(
                        rec.clone(),
                        "substitutes.ratio",
                        s.ratio,
                        "must be greater than zero",
                    );
                }
            }
            if wanted.contains(&item.code) {
                resolved.entry(&item.code).or_insert(units);
            }
        }
        resolved
    }

    fn unit_issue(&mut self, item: &Item, issue: UnitIssue) {
        let rec = RecordRef::Item(item.code.clone());
        let v = match issue {
            UnitIssue::UnknownBase => Violation::UnknownReference {
                record: rec,
                field: "base_uom",
                target: RecordKind::Unit,
                code: item.base_uom.to_string(),
            },
            UnitIssue::NoConversion { unit } => {
                Violation::UnitWithoutConversion { item: item.code.clone(), unit }
            }
            UnitIssue::Inconsistent { unit, first, second } => {
                Violation::InconsistentConversion { item: item.code.clone(), unit, first, second }
            }
            UnitIssue::FractionalWhole { unit, per, factor } => {
                Violation::FractionalWholeUnit { record: rec, unit, per, factor }
            }
            UnitIssue::NotPositive { unit, factor } => Violation::InvalidValue {
                record: rec,
                field: "units.factor",
                value: format!("{factor} ({unit})"),
                rule: "must be greater than zero",
            },
            UnitIssue::Overflow { unit } => Violation::InvalidValue {
                record: rec,
                field: "units.factor",
                value: unit.to_string(),
                rule: "the conversion chain overflows a decimal",
            },
        };
        self.out.push(v);
    }

    fn policies(
        &mut self,
        items: &Codes<'a, ItemCode>,
        sites: &Codes<'a, SiteCode>,
        units: &Map<&'a ItemCode, ItemUnits>,
    ) {
        let mut seen = BTreeSet::new();
        for p in &self.data.policies {
            let rec = RecordRef::Policy { item: p.item.clone(), site: p.site.clone() };
            if !seen.insert((&p.item, &p.site)) {
                self.out.push(Violation::DuplicateCode { record: rec.clone() });
            }
            if !items.contains(&p.item) {
                self.unknown(rec.clone(), "item", RecordKind::Item, &p.item);
            }
            if !sites.contains(&p.site) {
                self.unknown(rec.clone(), "site", RecordKind::Site, &p.site);
            }
            if !p.stocked {
                for setting in unstocked_settings(p) {
                    self.out.push(Violation::PolicyOnUnstockedItem {
                        item: p.item.clone(),
                        site: p.site.clone(),
                        setting,
                    });
                }
            }
            if let Some(t) = p.service_target {
                let v = t.value();
                if v <= Decimal::ZERO || v >= Decimal::ONE {
                    self.invalid(
                        rec.clone(),
                        "service_target",
                        v,
                        "must be strictly between 0 and 1",
                    );
                }
            }
            if p.safety_stock == SafetyStock::Statistical && p.service_target.is_none() {
                self.invalid(
                    rec.clone(),
                    "safety_stock",
                    "statistical",
                    "statistical safety stock needs a service target",
                );
            }
            if let SafetyStock::DaysOfSupply(days) = p.safety_stock
                && days <= Decimal::ZERO
            {
                self.invalid(
                    rec.clone(),
                    "safety_stock.days_of_supply",
                    days,
                    "must be greater than zero",
                );
            }
            match (p.planning, p.review_period_days) {
                (PlanningMethod::PeriodicReview, None) => {
                    self.invalid(
                        rec.clone(),
                        "review_period_days",
                        "none",
                        "periodic review needs a review period",
                    );
                }
                (_, Some(0)) => {
                    self.invalid(rec.clone(), "review_period_days", 0, "must be at least one day");
                }
                _ => {}
            }
            if p.lead_time.mean_days < Decimal::ZERO {
                self.invalid(
                    rec.clone(),
                    "lead_time.mean_days",
                    p.lead_time.mean_days,
                    "must not be negative",
                );
            }
            if p.lead_time.std_dev_days < Decimal::ZERO {
                self.invalid(
                    rec.clone(),
                    "lead_time.std_dev_days",
                    p.lead_time.std_dev_days,
                    "must not be negative",
                );
            }
            let Some(iu) = units.get(&p.item) else { continue };
            self.policy_quantities(p, &rec, iu);
        }
    }

    fn policy_quantities(&mut self, p: &ItemSitePolicy, rec: &RecordRef, iu: &ItemUnits) {
        let fixed = match &p.safety_stock {
            SafetyStock::Fixed(q) => Some(*q),
            _ => None,
        };
        let fields = [
            ("safety_stock.fixed", fixed),
            ("order_min", p.order_min),
            ("order_multiple", p.order_multiple),
            ("order_max", p.order_max),
        ];
        let mut base = map();
        for (field, q) in fields {
            let Some(q) = q else { continue };
            if !iu.knows(q.uom()) {
                self.invalid(rec.clone(), field, q, "the item has no such unit");
                continue;
            }
            if iu.rounding(q.uom()).is_some_and(|r| !r.fits(q.value())) {
                self.invalid(rec.clone(), field, q, "more decimal places than the unit holds");
                continue;
            }
            if let Ok(b) = iu.convert_with(q, iu.base(), exact_enough()) {
                base.insert(field, b.value());
            }
        }
        if base.get("order_multiple").is_some_and(Decimal::is_zero) {
            self.invalid(rec.clone(), "order_multiple", "0", "must be greater than zero");
        }
        if let (Some(min), Some(max)) = (base.get("order_min"), base.get("order_max"))
            && min > max
        {
            let q = p.order_max.map(|q: Qty| q.to_string()).unwrap_or_default();
            self.invalid(rec.clone(), "order_max", q, "must not be below order_min");
        }
    }

    fn lanes(
        &mut self,
        items: &Codes<'a, ItemCode>,
        sites: &Codes<'a, SiteCode>,
        suppliers: &Codes<'a, SupplierCode>,
    ) {
        let mut ranks: BTreeSet<(&SiteCode, Option<&ItemCode>, u16)> = BTreeSet::new();
        for (index, lane) in self.data.lanes.iter().enumerate() {
            let rec = RecordRef::Lane { index, from: lane.from.clone(), to: lane.to.clone() };
            match &lane.from {
                LaneSource::Supplier(s) if !suppliers.contains(s) => {
                    self.unknown(rec.clone(), "from", RecordKind::Supplier, s);
                }
                LaneSource::Site(s) if !sites.contains(s) => {
                    self.unknown(rec.clone(), "from", RecordKind::Site, s);
                }
                _ => {}
            }
            if !sites.contains(&lane.to) {
                self.unknown(rec.clone(), "to", RecordKind::Site, &lane.to);
            }
            if let Some(i) = &lane.item
                && !items.contains(i)
            {
                self.unknown(rec.clone(), "item", RecordKind::Item, i);
            }
            if lane.rank == 0 {
                self.invalid(rec.clone(), "rank", 0, "ranks start at 1");
            }
            if lane.cost_per_unit.amount() < Decimal::ZERO {
                self.invalid(
                    rec.clone(),
                    "cost_per_unit",
                    lane.cost_per_unit,
                    "must not be negative",
                );
            }
            if !ranks.insert((&lane.to, lane.item.as_ref(), lane.rank)) {
                self.out.push(Violation::DuplicateLaneRank {
                    record: rec,
                    item: lane.item.clone(),
                    rank: lane.rank,
                });
            }
        }
        self.cycles();
    }

    fn delivery_lanes(&mut self, sites: &Codes<'a, SiteCode>, regions: &Codes<'a, RegionCode>) {
        let mut ranks: BTreeSet<(&RegionCode, u16)> = BTreeSet::new();
        for (index, lane) in self.data.delivery_lanes.iter().enumerate() {
            let rec = RecordRef::DeliveryLane {
                index,
                site: lane.site.clone(),
                region: lane.region.clone(),
            };
            if !sites.contains(&lane.site) {
                self.unknown(rec.clone(), "site", RecordKind::Site, &lane.site);
            }
            if !regions.contains(&lane.region) {
                self.unknown(rec.clone(), "region", RecordKind::Region, &lane.region);
            }
            if lane.rank == 0 {
                self.invalid(rec.clone(), "rank", 0, "ranks start at 1");
            }
            if lane.cost_per_unit.amount() < Decimal::ZERO {
                self.invalid(
                    rec.clone(),
                    "cost_per_unit",
                    lane.cost_per_unit,
                    "must not be negative",
                );
            }
            if !ranks.insert((&lane.region, lane.rank)) {
                self.out.push(Violation::DuplicateLaneRank {
                    record: rec,
                    item: None,
                    rank: lane.rank,
                });
            }
        }
    }

    /// Reports every loop among site-to-site lanes: once for lanes that apply to every
    /// item, then once per item for loops its own lanes close.
    fn cycles(&mut self) {
        let mut scopes: BTreeSet<Option<&ItemCode>> = BTreeSet::new();
        scopes.insert(None);
        for lane in &self.data.lanes {
            if let (LaneSource::Site(_), Some(i)) = (&lane.from, &lane.item) {
                scopes.insert(Some(i));
            }
        }
        let mut reported: BTreeSet<Vec<SiteCode>> = BTreeSet::new();
        for scope in scopes {
            let edges: Vec<(usize, &SiteCode, &SiteCode)> = self
                .data
                .lanes
                .iter()
                .enumerate()
                .filter(|(_, l)| l.item.is_none() || l.item.as_ref() == scope)
                .filter_map(|(i, l)| match &l.from {
                    LaneSource::Site(s) => Some((i, s, &l.to)),
                    LaneSource::Supplier(_) => None,
                })
                .collect();
            for (sites, lanes) in find_cycles(&edges) {
                let first = lanes.first().and_then(|&i| Some((i, self.data.lanes.get(i)?)));
                let Some((index, lane)) = first else { continue };
                let record =
                    RecordRef::Lane { index, from: lane.from.clone(), to: lane.to.clone() };
                if reported.insert(sites.clone()) {
                    self.out.push(Violation::SourcingCycle {
                        record,
                        item: scope.cloned(),
                        sites,
                        lanes,
                    });
                }
            }
        }
    }
}

/// A rounding rule fine enough that converting a validated quantity to base never fails
/// for lack of places.
fn exact_enough() -> crate::decimal::Rounding {
    crate::decimal::Rounding::new(crate::decimal::MAX_SCALE, crate::decimal::RoundingMode::HalfEven)
        .unwrap_or(crate::decimal::Rounding::WHOLE)
}

fn unstocked_settings(p: &ItemSitePolicy) -> Vec<&'static str> {
    let mut out = Vec::new();
    if p.planning != PlanningMethod::Manual {
        out.push("a planning method");
    }
    if p.safety_stock != SafetyStock::None {
        out.push("safety stock");
    }
    if p.service_target.is_some() {
        out.push("a service target");
    }
    if p.review_period_days.is_some() {
        out.push("a review period");
    }
    if p.order_min.is_some() || p.order_multiple.is_some() || p.order_max.is_some() {
        out.push("order rules");
    }
    out
}

/// Strongly connected components with a loop (two or more sites, or a self-lane), by an
/// iterative Tarjan walk (no recursion, so deep chains cannot overflow the stack).
/// Returns each loop's sorted sites and the lanes inside it.
fn find_cycles(edges: &[(usize, &SiteCode, &SiteCode)]) -> Vec<(Vec<SiteCode>, Vec<usize>)> {
    let mut ids: BTreeMap<&SiteCode, usize> = BTreeMap::new();
    for (_, a, b) in edges {
        let n = ids.len();
        ids.entry(a).or_insert(n);
        let n = ids.len();
        ids.entry(b).or_insert(n);
    }
    let n = ids.len();
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut names: Vec<Option<&SiteCode>> = vec![None; n];
    for (code, &i) in &ids {
        if let Some(slot) = names.get_mut(i) {
            *slot = Some(code);
        }
    }
    for (_, a, b) in edges {
        // Every endpoint was inserted above; a missing one simply adds no edge.
        // The lane a -> b means b sources from a; either direction finds the same loops.
        if let (Some(&ia), Some(&ib)) = (ids.get(a), ids.get(b))
            && let Some(list) = adj.get_mut(ia)
        {
            list.push(ib);
        }
    }
    let components = tarjan(&adj);
    let mut out = Vec::new();
    for comp in components {
        let self_loop = comp.len() == 1
            && comp.first().is_some_and(|&v| adj.get(v).is_some_and(|l| l.contains(&v)));
        if comp.len() < 2 && !self_loop {
            continue;
        }
        let members: BTreeSet<usize> = comp.iter().copied().collect();
        let mut sites: Vec<SiteCode> =
            comp.iter().filter_map(|&v| names.get(v).copied().flatten().cloned()).collect();
        sites.sort();
        let mut lanes: Vec<usize> = edges
            .iter()
            .filter(|(_, a, b)| {
                ids.get(a).is_some_and(|i| members.contains(i))
                    && ids.get(b).is_some_and(|i| members.contains(i))
            })
            .map(|(i, _, _)| *i)
            .collect();
        lanes.sort_unstable();
        out.push((sites, lanes));
    }
    out.sort();
    out
}

fn tarjan(adj: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = adj.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    let mut next = 0usize;
    for root in 0..n {
        if index.get(root) != Some(&UNSEEN) {
            continue;
        }
        // Call stack of (node, next edge position).
        let mut calls: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(&mut (v, ref mut pos)) = calls.last_mut() {
            if *pos == 0 && index.get(v) == Some(&UNSEEN) {
                set(&mut index, v, next);
                set(&mut low, v, next);
                next += 1;
                stack.push(v);
                set(&mut on_stack, v, true);
            }
            let succ = adj.get(v).and_then(|l| l.get(*pos)).copied();
            if let Some(w) = succ {
                *pos += 1;
                if index.get(w) == Some(&UNSEEN) {
                    calls.push((w, 0));
                } else if on_stack.get(w) == Some(&true) {
                    let m = get(&low, v).min(get(&index, w));
                    set(&mut low, v, m);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                let m = get(&low, parent).min(get(&low, v));
                set(&mut low, parent, m);
            }
            if get(&low, v) == get(&index, v) {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    set(&mut on_stack, w, false);
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                out.push(comp);
            }
        }
    }
    out
}

fn get<T: Copy + Default>(v: &[T], i: usize) -> T {
    v.get(i).copied().unwrap_or_default()
}

fn set<T>(v: &mut [T], i: usize, value: T) {
    if let Some(slot) = v.get_mut(i) {
        *slot = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(code: &str) -> SiteCode {
        SiteCode::new(code).unwrap()
    }

    #[test]
    fn delivery_lanes_are_checked() {
        let mut data = crate::seed::demo_network();
        let mut bad = data.delivery_lanes[0].clone();
        bad.site = s("NOWHERE");
        bad.rank = 9;
        data.delivery_lanes.push(bad);
        let mut dup = data.delivery_lanes[0].clone();
        dup.site = s("LAX");
        data.delivery_lanes.push(dup);
        let report = validate(&data);
        let found: Vec<String> =
            report.violations.iter().map(|v| format!("[{}] {v}", v.code())).collect();
        assert_eq!(
            found,
            [
                "[unknown_reference] delivery_lane #20 (NOWHERE -> US-SE): site NOWHERE does not exist (field site)",
                "[duplicate_lane_rank] delivery_lane #21 (LAX -> US-SE): another delivery lane to the region has rank 1",
            ]
        );
        let catalog = crate::Catalog::new(crate::seed::demo_network()).unwrap();
        let ne = catalog.region_ix(&RegionCode::new("US-NE").unwrap()).unwrap();
        let sites: Vec<&str> = catalog.deliveries_to(ne).map(|l| l.site.as_str()).collect();
        assert_eq!(sites, ["BOS-BR", "ORD", "ATL"]);
    }

    #[test]
    fn tarjan_finds_loops_and_self_lanes() {
        let (a, b, c, d) = (s("A"), s("B"), s("C"), s("D"));
        let edges = vec![(0, &a, &b), (1, &b, &a), (2, &b, &c), (3, &d, &d)];
        let cycles = find_cycles(&edges);
        assert_eq!(
            cycles,
            vec![(vec![a.clone(), b.clone()], vec![0, 1]), (vec![d.clone()], vec![3])]
        );
        let chain: Vec<SiteCode> = (0..5000).map(|i| s(&format!("S{i}"))).collect();
        let edges: Vec<_> = chain.windows(2).enumerate().map(|(i, w)| (i, &w[0], &w[1])).collect();
        assert!(find_cycles(&edges).is_empty(), "a long chain has no loop and no stack overflow");
    }
}
