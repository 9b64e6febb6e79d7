//! The network.

use super::{
    Arc, Catalog, ChannelCode, CustomerGroupCode, Debug, Decimal, DemandClass, ItemCode, ItemIx,
    MasterData, RegionCode, SiteCode, SiteIx, UomCode,
};

/// An item as the model sees it.
#[derive(Debug, Clone)]
pub struct ItemInfo {
    /// The item's code.
    pub code: ItemCode,
    pub(crate) ix: ItemIx,
    /// The base unit.
    pub base: UomCode,
    /// Decimal places of the base unit.
    pub scale: u32,
    /// Every unit the item is counted in, base first.
    pub(crate) units: Vec<UomCode>,
    /// A unit it is not counted in.
    pub(crate) wrong: UomCode,
    /// Substitutes (item index, ratio) in preference order.
    pub(crate) subs: Vec<(usize, Decimal)>,
}

/// A ship-to region and the sites delivering to it.
#[derive(Debug, Clone)]
pub struct RegionInfo {
    /// The region's code.
    pub code: RegionCode,
    /// (site index, handling plus transit days), in rank order.
    pub(crate) lanes: Vec<(usize, i64)>,
}

/// The network under test, read from the master data.
#[derive(Debug, Clone)]
pub struct World {
    /// The catalog the engine runs on.
    pub catalog: Arc<Catalog>,
    /// The items, in catalog order.
    pub items: Vec<ItemInfo>,
    /// The sites with their indices, in catalog order.
    pub sites: Vec<(SiteCode, SiteIx)>,
    /// The ship-to regions with their lanes.
    pub regions: Vec<RegionInfo>,
    /// Demand classes lines and quota entries pick from.
    pub classes: Vec<DemandClass>,
}

impl World {
    /// The model of a valid network.
    ///
    /// # Panics
    /// When the network is not valid.
    #[must_use]
    pub fn new(data: MasterData) -> World {
        let catalog = Arc::new(Catalog::new(data).expect("a valid network"));
        let candidates: Vec<UomCode> = ["EA", "KG", "M", "L", "CS", "PL", "BX"]
            .iter()
            .map(|c| UomCode::new(c).expect("unit code"))
            .collect();
        let mut items = Vec::new();
        for (n, (ix, item)) in catalog.items().enumerate() {
            assert_eq!(ix.index(), n, "items are indexed in order");
            let scale = catalog.profile(ix).map_or(0, |p| p.base_rounding.scale());
            let known = catalog.item_units(ix).expect("item units");
            let mut units = vec![item.base_uom];
            for u in &item.units {
                for c in [u.unit, u.per] {
                    if !units.contains(&c) && known.knows(c) {
                        units.push(c);
                    }
                }
            }
            let wrong = *candidates.iter().find(|c| !known.knows(**c)).expect("an unknown unit");
            let subs = item
                .substitutes
                .iter()
                .filter_map(|s| catalog.item_ix(&s.item).map(|i| (i.index(), s.ratio)))
                .collect();
            items.push(ItemInfo {
                code: item.code.clone(),
                ix,
                base: item.base_uom,
                scale,
                units,
                wrong,
                subs,
            });
        }
        let mut sites = Vec::new();
        for (n, (ix, site)) in catalog.sites().enumerate() {
            assert_eq!(ix.index(), n, "sites are indexed in order");
            sites.push((site.code.clone(), ix));
        }
        let data = catalog.data();
        let regions: Vec<RegionInfo> = data
            .regions
            .iter()
            .map(|r| {
                let mut lanes: Vec<_> =
                    data.delivery_lanes.iter().filter(|l| l.region == r.code).collect();
                lanes.sort_by_key(|l| l.rank);
                let lanes = lanes
                    .iter()
                    .map(|l| {
                        let six = catalog.site_ix(&l.site).expect("lane site");
                        let handling = catalog.site(six).expect("site").handling_days;
                        (six.index(), i64::from(handling) + i64::from(l.transit_days))
                    })
                    .collect();
                RegionInfo { code: r.code.clone(), lanes }
            })
            .collect();
        let ch = |c: &str| Some(ChannelCode::new(c).expect("channel"));
        let gr = |g: &str| Some(CustomerGroupCode::new(g).expect("group"));
        let first = regions.first().map(|r| r.code.clone());
        let classes = vec![
            DemandClass::default(),
            DemandClass { channel: ch("B2B"), ..DemandClass::default() },
            DemandClass { channel: ch("ECOM"), ..DemandClass::default() },
            DemandClass { group: gr("RETAIL"), ..DemandClass::default() },
            DemandClass { group: gr("OEM"), ..DemandClass::default() },
            DemandClass { channel: ch("B2B"), group: gr("RETAIL"), region: None },
            DemandClass { region: first.clone(), ..DemandClass::default() },
            DemandClass { channel: ch("B2B"), group: None, region: first },
        ];
        World { catalog, items, sites, regions, classes }
    }

    pub(crate) fn lead(&self, site: usize, region: &RegionCode) -> Option<i64> {
        let r = self.regions.iter().find(|r| &r.code == region)?;
        r.lanes.iter().find(|(s, _)| *s == site).map(|(_, l)| *l)
    }
}
