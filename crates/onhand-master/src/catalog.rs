//! [`Catalog`]: validated master data with every code interned into a dense handle, so
//! hot paths index contiguous arrays instead of hashing strings.
//!
//! Handles are positions in the catalog's own record lists ([`ItemIx`] is the item's
//! position in [`MasterData::items`], and so on), so they are deterministic for a given
//! document and meaningful only with the catalog that issued them.

use crate::hash::{Map, map};
use crate::index::CodeIndex;

use serde::{Deserialize, Serialize};

use crate::code::{
    BinCode, CustomerCode, EntityCode, ItemCode, RegionCode, SiteCode, SupplierCode,
};
use crate::data::MasterData;
use crate::decimal::Rounding;
use crate::item::{Item, Tracking, VelocityClass};
use crate::org::{Customer, LegalEntity, NegativeStock, Site, Supplier, ZoneKind};
use crate::policy::{DeliveryLane, ItemSitePolicy, LaneSource, ReceiveInto, SourcingLane};
use crate::uom::{ItemUnits, UnitRegistry, UomCode};
use crate::validate::{HANDLE_LIMIT_RULE, RecordRef, ValidationReport, Violation, validate};

macro_rules! handle {
    ($(#[$meta:meta])* $name:ident, $raw:ty) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name($raw);

        impl $name {
            /// The handle with this raw value (meaningful only with its catalog).
            #[must_use]
            pub const fn new(raw: $raw) -> Self {
                Self(raw)
            }

            /// The raw value.
            #[must_use]
            pub const fn raw(self) -> $raw {
                self.0
            }

            /// The position it stands for, for indexing dense arrays.
            #[must_use]
            pub const fn index(self) -> usize {
                self.0 as usize
            }

            fn from_position(i: usize) -> Option<Self> {
                <$raw>::try_from(i).ok().map(Self)
            }
        }
    };
}

handle!(
    /// Dense handle of an item (its position in the catalog's item list).
    ItemIx, u32
);
handle!(
    /// Dense handle of a site.
    SiteIx, u16
);
handle!(
    /// Dense handle of a legal entity.
    EntityIx, u16
);
handle!(
    /// Dense handle of a bin, across all sites.
    BinIx, u32
);
handle!(
    /// Dense handle of a supplier.
    SupplierIx, u32
);
handle!(
    /// Dense handle of a customer.
    CustomerIx, u32
);
handle!(
    /// Dense handle of a region.
    RegionIx, u16
);

/// The facts about an item that hot paths read on every event, packed densely (one
/// small `Copy` value per item, in handle order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemProfile {
    /// The base unit.
    pub base_uom: UomCode,
    /// The base unit's rounding rule (whole numbers for `EA`).
    pub base_rounding: Rounding,
    /// How units are identified.
    pub tracking: Tracking,
    /// The velocity class.
    pub velocity: VelocityClass,
    /// Shelf life in days.
    pub shelf_life_days: Option<u32>,
    /// Whether any item-site policy names the item (when not, policy look-ups are
    /// skipped: every site uses the defaults).
    pub has_policy: bool,
}

/// A bin as the catalog knows it: its site, code, zone kind and pick sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinInfo {
    /// The site.
    pub site: SiteIx,
    /// The bin's code.
    pub code: BinCode,
    /// The kind of zone it is in.
    pub zone_kind: ZoneKind,
    /// Position on the pick path.
    pub sequence: u32,
}

/// Validated master data with dense handles.
///
/// ```
/// use onhand_master::{seed, Catalog, ItemCode, SiteCode};
/// let catalog = Catalog::new(seed::demo_network())?;
/// let bolt = catalog.item_ix(&ItemCode::new("BOLT-M8")?).ok_or("no bolt")?;
/// let atl = catalog.site_ix(&SiteCode::new("ATL")?).ok_or("no ATL")?;
/// assert!(catalog.policy(bolt, atl).is_some_and(|p| p.stocked));
/// let lanes: Vec<_> = catalog.lanes_into(atl, bolt).map(|l| l.rank).collect();
/// assert_eq!(lanes, vec![1, 2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Catalog {
    data: MasterData,
    registry: UnitRegistry,
    /// Item codes to handles (see [`CodeIndex`] for why not a hash map).
    items: CodeIndex<ItemCode>,
    sites: Map<SiteCode, SiteIx>,
    entities: Map<EntityCode, EntityIx>,
    suppliers: Map<SupplierCode, SupplierIx>,
    customers: Map<CustomerCode, CustomerIx>,
    regions: Map<RegionCode, RegionIx>,
    item_units: Vec<ItemUnits>,
    profiles: Vec<ItemProfile>,
    site_entity: Vec<EntityIx>,
    site_region: Vec<RegionIx>,
    bins: Vec<BinInfo>,
    /// Per site: bin code to handle (so a look-up borrows the code, never clones it).
    bin_index: Vec<Map<BinCode, BinIx>>,
    policies: Map<(ItemIx, SiteIx), usize>,
    /// Per site: lane positions into it, sorted by (item scope, rank).
    lanes_into: Vec<Vec<usize>>,
    /// Per region: delivery lane positions, sorted by rank.
    deliveries: Vec<Vec<usize>>,
}

fn intern<C: Clone + Eq + std::hash::Hash, H>(
    codes: impl Iterator<Item = (C, RecordRef)>,
    make: impl Fn(usize) -> Option<H>,
) -> Result<Map<C, H>, ValidationReport> {
    let mut out = map();
    for (i, (c, record)) in codes.enumerate() {
        let h = make(i).ok_or_else(|| beyond_limit(record))?;
        out.insert(c, h);
    }
    Ok(out)
}

/// The report for a record that validation passed but the catalog cannot hold. Validation
/// checks the handle limits, so this only guards against the two disagreeing.
fn beyond_limit(record: RecordRef) -> ValidationReport {
    ValidationReport {
        violations: vec![Violation::InvalidValue {
            record,
            field: "code",
            value: "beyond the handle limit".to_owned(),
            rule: HANDLE_LIMIT_RULE,
        }],
    }
}

/// Every item's resolved units and hot-path profile, in item order.
fn resolve_items(
    data: &MasterData,
    registry: &UnitRegistry,
) -> Result<(Vec<ItemUnits>, Vec<ItemProfile>), ValidationReport> {
    let mut item_units = Vec::with_capacity(data.items.len());
    let mut profiles = Vec::with_capacity(data.items.len());
    for item in &data.items {
        // Validation resolved every item cleanly, so this cannot fail; stay total anyway.
        let units = ItemUnits::resolve(item, registry)
            .map_err(|_| beyond_limit(RecordRef::Item(item.code.clone())))?;
        let base_rounding = units.rounding(units.base()).unwrap_or(Rounding::WHOLE);
        profiles.push(ItemProfile {
            base_uom: item.base_uom,
            base_rounding,
            tracking: item.tracking,
            velocity: item.velocity,
            shelf_life_days: item.shelf_life_days,
            has_policy: false,
        });
        item_units.push(units);
    }
    Ok((item_units, profiles))
}

/// Per site, the sourcing lanes into it (by item scope, then rank); per region, the
/// delivery lanes to it (by rank). Positions in the master data's lists.
fn index_lanes(
    data: &MasterData,
    sites: &Map<SiteCode, SiteIx>,
    regions: &Map<RegionCode, RegionIx>,
) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
    let mut lanes_into = vec![Vec::new(); data.sites.len()];
    for (li, lane) in data.lanes.iter().enumerate() {
        if let Some(list) = sites.get(&lane.to).and_then(|s| lanes_into.get_mut(s.index())) {
            list.push(li);
        }
    }
    for list in &mut lanes_into {
        list.sort_by_key(|&li| data.lanes.get(li).map(|l| (l.item.clone(), l.rank)));
    }
    let mut deliveries = vec![Vec::new(); data.regions.len()];
    for (li, lane) in data.delivery_lanes.iter().enumerate() {
        if let Some(list) = regions.get(&lane.region).and_then(|r| deliveries.get_mut(r.index())) {
            list.push(li);
        }
    }
    for list in &mut deliveries {
        list.sort_by_key(|&li| data.delivery_lanes.get(li).map(|l| l.rank));
    }
    (lanes_into, deliveries)
}

impl Catalog {
    /// Validates `data` and builds the catalog.
    ///
    /// # Errors
    /// The full [`ValidationReport`] when `data` has any violation.
    pub fn new(data: MasterData) -> Result<Self, ValidationReport> {
        let report = validate(&data);
        if !report.is_clean() {
            return Err(report);
        }
        // A clean report has no redefined unit and no factor below zero, so this holds.
        let registry = UnitRegistry::with_units(&data.units);
        debug_assert!(registry.is_ok(), "a clean report admits every unit: {registry:?}");
        let registry =
            registry.unwrap_or_else(|_| UnitRegistry::with_units_first_wins(&data.units));
        let item_ixs = intern(
            data.items.iter().map(|i| (i.code.clone(), RecordRef::Item(i.code.clone()))),
            ItemIx::from_position,
        )?;
        let sites = intern(
            data.sites.iter().map(|s| (s.code.clone(), RecordRef::Site(s.code.clone()))),
            SiteIx::from_position,
        )?;
        let entities = intern(
            data.entities.iter().map(|e| (e.code.clone(), RecordRef::Entity(e.code.clone()))),
            EntityIx::from_position,
        )?;
        let suppliers = intern(
            data.suppliers.iter().map(|s| (s.code.clone(), RecordRef::Supplier(s.code.clone()))),
            SupplierIx::from_position,
        )?;
        let customers = intern(
            data.customers.iter().map(|c| (c.code.clone(), RecordRef::Customer(c.code.clone()))),
            CustomerIx::from_position,
        )?;
        let regions = intern(
            data.regions.iter().map(|r| (r.code.clone(), RecordRef::Region(r.code.clone()))),
            RegionIx::from_position,
        )?;

        let (item_units, mut profiles) = resolve_items(&data, &registry)?;
        for p in &data.policies {
            if let Some(profile) = item_ixs.get(&p.item).and_then(|ix| profiles.get_mut(ix.index()))
            {
                profile.has_policy = true;
            }
        }
        let Some(items) = CodeIndex::new(data.items.iter().map(|i| i.code.clone()).collect())
        else {
            // Only a count at or near the handle limit gets here: name the last item,
            // as the handle check above does.
            let last = data.items.last().map(|i| RecordRef::Item(i.code.clone()));
            return Err(last.map(beyond_limit).unwrap_or_default());
        };
        let mut site_entity = Vec::with_capacity(data.sites.len());
        let mut site_region = Vec::with_capacity(data.sites.len());
        let mut bins = Vec::new();
        let mut bin_index = vec![map(); data.sites.len()];
        for (si, site) in data.sites.iter().enumerate() {
            let site_ref = || beyond_limit(RecordRef::Site(site.code.clone()));
            let six = SiteIx::from_position(si).ok_or_else(site_ref)?;
            let entity = site.entity.as_ref().and_then(|e| entities.get(e)).copied();
            site_entity.push(entity.ok_or_else(site_ref)?);
            site_region.push(regions.get(&site.region).copied().ok_or_else(site_ref)?);
            for bin in &site.bins {
                let zone_kind = site
                    .zones
                    .iter()
                    .find(|z| z.code == bin.zone)
                    .map(|z| z.kind)
                    .ok_or_else(site_ref)?;
                let bix = BinIx::from_position(bins.len()).ok_or_else(site_ref)?;
                if let Some(map) = bin_index.get_mut(si) {
                    map.insert(bin.code.clone(), bix);
                }
                bins.push(BinInfo {
                    site: six,
                    code: bin.code.clone(),
                    zone_kind,
                    sequence: bin.sequence,
                });
            }
        }
        let mut policies = map();
        for (pi, p) in data.policies.iter().enumerate() {
            if let (Some(&i), Some(&s)) = (item_ixs.get(&p.item), sites.get(&p.site)) {
                policies.insert((i, s), pi);
            }
        }
        let (lanes_into, deliveries) = index_lanes(&data, &sites, &regions);
        Ok(Catalog {
            data,
            registry,
            items,
            sites,
            entities,
            suppliers,
            customers,
            regions,
            item_units,
            profiles,
            site_entity,
            site_region,
            bins,
            bin_index,
            policies,
            lanes_into,
            deliveries,
        })
    }

    /// The validated master data the catalog was built from.
    #[must_use]
    pub fn data(&self) -> &MasterData {
        &self.data
    }

    /// The global unit registry (standard units plus the network's own).
    #[must_use]
    pub fn registry(&self) -> &UnitRegistry {
        &self.registry
    }

    /// Number of items; item handles run from 0 to this.
    #[must_use]
    pub fn item_count(&self) -> usize {
        self.data.items.len()
    }

    /// Number of sites; site handles run from 0 to this.
    #[must_use]
    pub fn site_count(&self) -> usize {
        self.data.sites.len()
    }

    /// Number of bins across all sites.
    #[must_use]
    pub fn bin_count(&self) -> usize {
        self.bins.len()
    }

    /// The handle of an item code.
    #[must_use]
    pub fn item_ix(&self, code: &ItemCode) -> Option<ItemIx> {
        self.items.get(code).and_then(ItemIx::from_position)
    }

    /// The handle and profile of the item at a position of the code index.
    fn item_at(&self, pos: usize) -> Option<(ItemIx, ItemProfile)> {
        Some((ItemIx::from_position(pos)?, *self.profiles.get(pos)?))
    }

    /// The handle and hot-path profile of an item code, in one look-up.
    #[must_use]
    pub fn lookup_item(&self, code: &ItemCode) -> Option<(ItemIx, ItemProfile)> {
        self.items.get(code).and_then(|pos| self.item_at(pos))
    }

    /// [`lookup_item`](Self::lookup_item) for several codes at once, answered in their
    /// order: the same answers, faster on a large catalog, where the look-ups' memory
    /// reads overlap instead of following one another. (How many are read together is
    /// the catalog's business; the answers do not depend on it.)
    ///
    /// ```
    /// use onhand_master::{seed, Catalog, ItemCode};
    ///
    /// let catalog = Catalog::new(seed::demo_network())?;
    /// let (bolt, nope) = (ItemCode::new("BOLT-M8")?, ItemCode::new("NOPE")?);
    /// let found: Vec<_> = catalog.lookup_items(&[&bolt, &nope]).collect();
    /// assert_eq!(found, [catalog.lookup_item(&bolt), None]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lookup_items<'a>(
        &'a self,
        codes: &'a [&'a ItemCode],
    ) -> impl Iterator<Item = Option<(ItemIx, ItemProfile)>> + 'a {
        self.item_positions(codes).map(move |pos| pos.and_then(|p| self.item_at(p)))
    }

    /// [`item_ix`](Self::item_ix) for several codes at once, answered in their order,
    /// as [`lookup_items`](Self::lookup_items) answers (without the profiles).
    ///
    /// ```
    /// use onhand_master::{seed, Catalog, ItemCode};
    ///
    /// let catalog = Catalog::new(seed::demo_network())?;
    /// let (bolt, nope) = (ItemCode::new("BOLT-M8")?, ItemCode::new("NOPE")?);
    /// let found: Vec<_> = catalog.item_ixs(&[&bolt, &nope]).collect();
    /// assert_eq!(found, [catalog.item_ix(&bolt), None]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn item_ixs<'a>(
        &'a self,
        codes: &'a [&'a ItemCode],
    ) -> impl Iterator<Item = Option<ItemIx>> + 'a {
        self.item_positions(codes).map(|pos| pos.and_then(ItemIx::from_position))
    }

    /// The code index's positions of `codes`, in their order, looked up a run at a
    /// time so each run's memory reads overlap.
    fn item_positions<'a>(
        &'a self,
        codes: &'a [&'a ItemCode],
    ) -> impl Iterator<Item = Option<usize>> + 'a {
        const RUN: usize = 16;
        codes.chunks(RUN).flat_map(move |run| {
            let mut at = [None; RUN];
            self.items.get_many(run, &mut at);
            at.into_iter().take(run.len())
        })
    }

    /// The item behind a handle.
    #[must_use]
    pub fn item(&self, ix: ItemIx) -> Option<&Item> {
        self.data.items.get(ix.index())
    }

    /// Every item with its handle, in handle order.
    pub fn items(&self) -> impl Iterator<Item = (ItemIx, &Item)> {
        self.data
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, it)| Some((ItemIx::from_position(i)?, it)))
    }

    /// The resolved units of an item.
    #[must_use]
    pub fn item_units(&self, ix: ItemIx) -> Option<&ItemUnits> {
        self.item_units.get(ix.index())
    }

    /// The hot-path profile of an item.
    #[must_use]
    pub fn profile(&self, ix: ItemIx) -> Option<ItemProfile> {
        self.profiles.get(ix.index()).copied()
    }

    /// The handle of a site code.
    #[must_use]
    pub fn site_ix(&self, code: &SiteCode) -> Option<SiteIx> {
        self.sites.get(code).copied()
    }

    /// The site behind a handle.
    #[must_use]
    pub fn site(&self, ix: SiteIx) -> Option<&Site> {
        self.data.sites.get(ix.index())
    }

    /// Every site with its handle, in handle order.
    pub fn sites(&self) -> impl Iterator<Item = (SiteIx, &Site)> {
        self.data.sites.iter().enumerate().filter_map(|(i, s)| Some((SiteIx::from_position(i)?, s)))
    }

    /// The legal entity owning a site.
    #[must_use]
    pub fn site_entity(&self, ix: SiteIx) -> Option<EntityIx> {
        self.site_entity.get(ix.index()).copied()
    }

    /// The region a site stands in.
    #[must_use]
    pub fn site_region(&self, ix: SiteIx) -> Option<RegionIx> {
        self.site_region.get(ix.index()).copied()
    }

    /// The handle of an entity code.
    #[must_use]
    pub fn entity_ix(&self, code: &EntityCode) -> Option<EntityIx> {
        self.entities.get(code).copied()
    }

    /// The entity behind a handle.
    #[must_use]
    pub fn entity(&self, ix: EntityIx) -> Option<&LegalEntity> {
        self.data.entities.get(ix.index())
    }

    /// The handle of a supplier code.
    #[must_use]
    pub fn supplier_ix(&self, code: &SupplierCode) -> Option<SupplierIx> {
        self.suppliers.get(code).copied()
    }

    /// The supplier behind a handle.
    #[must_use]
    pub fn supplier(&self, ix: SupplierIx) -> Option<&Supplier> {
        self.data.suppliers.get(ix.index())
    }

    /// The handle of a customer code.
    #[must_use]
    pub fn customer_ix(&self, code: &CustomerCode) -> Option<CustomerIx> {
        self.customers.get(code).copied()
    }

    /// The customer behind a handle.
    #[must_use]
    pub fn customer(&self, ix: CustomerIx) -> Option<&Customer> {
        self.data.customers.get(ix.index())
    }

    /// The handle of a region code.
    #[must_use]
    pub fn region_ix(&self, code: &RegionCode) -> Option<RegionIx> {
        self.regions.get(code).copied()
    }

    /// The handle of a bin at a site.
    #[must_use]
    pub fn bin_ix(&self, site: SiteIx, code: &BinCode) -> Option<BinIx> {
        self.bin_index.get(site.index()).and_then(|m| m.get(code)).copied()
    }

    /// The bin behind a handle.
    #[must_use]
    pub fn bin(&self, ix: BinIx) -> Option<&BinInfo> {
        self.bins.get(ix.index())
    }

    /// The bins of a site, in pick-path order (sequence, then code).
    #[must_use]
    pub fn site_bins(&self, site: SiteIx) -> Vec<BinIx> {
        let mut out: Vec<BinIx> = self
            .bins
            .iter()
            .enumerate()
            .filter(|(_, b)| b.site == site)
            .filter_map(|(i, _)| BinIx::from_position(i))
            .collect();
        out.sort_by(|a, b| {
            let ka = self.bin(*a).map(|x| (x.sequence, x.code.clone()));
            let kb = self.bin(*b).map(|x| (x.sequence, x.code.clone()));
            ka.cmp(&kb)
        });
        out
    }

    /// The policy of an item at a site.
    #[must_use]
    pub fn policy(&self, item: ItemIx, site: SiteIx) -> Option<&ItemSitePolicy> {
        self.policies.get(&(item, site)).and_then(|&i| self.data.policies.get(i))
    }

    /// The negative-stock rule for an item at a site: the item-site override, else the
    /// site's policy, else forbid.
    #[must_use]
    pub fn negative_stock(&self, item: ItemIx, site: SiteIx) -> NegativeStock {
        let policy = if self.profile(item).is_some_and(|p| p.has_policy) {
            self.policy(item, site)
        } else {
            None
        };
        policy
            .and_then(|p| p.negative_stock)
            .or_else(|| self.site(site).map(|s| s.negative_stock))
            .unwrap_or_default()
    }

    /// Where receipts of an item at a site go first (receiving when no policy says).
    #[must_use]
    pub fn receive_into(&self, item: ItemIx, site: SiteIx) -> ReceiveInto {
        if self.profile(item).is_some_and(|p| !p.has_policy) {
            return ReceiveInto::default();
        }
        self.policy(item, site).map(|p| p.receive_into).unwrap_or_default()
    }

    /// The lanes a site gets an item from, in rank order. A lane naming the item
    /// replaces the lane for every item at the same rank, so an item bought from its own
    /// supplier at rank 1 still keeps the site's rank-2 backup transfer.
    pub fn lanes_into(&self, site: SiteIx, item: ItemIx) -> impl Iterator<Item = &SourcingLane> {
        // A site's lanes are kept by item scope, then rank: the lanes for every item
        // first, then each item's own. The answer merges the two runs by rank, with no
        // copy (a shipment asks this for each line).
        let code = self.item(item).map(|i| &i.code);
        let all = self.lanes_into.get(site.index()).map(Vec::as_slice).unwrap_or_default();
        let lane = |li: &usize| self.data.lanes.get(*li);
        let split = all.partition_point(|li| lane(li).is_some_and(|l| l.item.is_none()));
        let (generic, scoped) = all.split_at_checked(split).unwrap_or_default();
        let below = |li: &usize| lane(li).is_some_and(|l| l.item.as_ref() < code);
        let upto = |li: &usize| lane(li).is_some_and(|l| l.item.as_ref() <= code);
        let own = match code {
            Some(_) => scoped.get(scoped.partition_point(below)..scoped.partition_point(upto)),
            None => None,
        }
        .unwrap_or_default();
        let replaced = move |rank: u16| own.iter().filter_map(lane).any(|l| l.rank == rank);
        let mut generic =
            generic.iter().filter_map(lane).filter(move |l| !replaced(l.rank)).peekable();
        let mut own = own.iter().filter_map(lane).peekable();
        std::iter::from_fn(move || match (generic.peek(), own.peek()) {
            (Some(g), Some(o)) if o.rank < g.rank => own.next(),
            (Some(_), _) => generic.next(),
            (None, _) => own.next(),
        })
    }

    /// The delivery lanes to a region, in rank order.
    pub fn deliveries_to(&self, region: RegionIx) -> impl Iterator<Item = &DeliveryLane> {
        self.deliveries
            .get(region.index())
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|&li| self.data.delivery_lanes.get(li))
    }

    /// The sites that supply a site by transfer for an item, in rank order.
    pub fn source_sites(&self, site: SiteIx, item: ItemIx) -> impl Iterator<Item = SiteIx> + '_ {
        self.lanes_into(site, item).filter_map(|l| match &l.from {
            LaneSource::Site(s) => self.site_ix(s),
            LaneSource::Supplier(_) => None,
        })
    }
}
