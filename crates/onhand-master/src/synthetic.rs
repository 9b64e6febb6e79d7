//! Deterministic synthetic networks of any size, for benchmarks, simulations and users
//! sizing the engine for their own network: `items` items stocked at `sites` regional
//! sites split over two legal entities, with packaging units, policies and sourcing
//! lanes. The same arguments always give the same data.
//!
//! - [`network`] is the bare network: sites without bins, one region, no customers (the
//!   shape the engines' benchmarks measure).
//! - [`warehouses`] is the same network laid out as warehouses a simulation can run
//!   days on: every site has receiving, pick-face, bulk, quality, staging and returns
//!   bins, its own region with a customer, and delivery lanes from its neighbours.
//!
//! ```
//! use onhand_master::{synthetic, validate};
//! let data = synthetic::warehouses(50, 5);
//! assert!(validate(&data).is_clean());
//! assert_eq!(data.customers.len(), 5);
//! assert_eq!(data.sites[0].bins.len(), 8);
//! ```

use rust_decimal::Decimal;

use crate::code::{
    BinCode, ChannelCode, CustomerCode, CustomerGroupCode, EntityCode, ItemCode, RegionCode,
    SiteCode, SupplierCode, ZoneCode,
};
use crate::data::MasterData;
use crate::item::{Item, Tracking, VelocityClass};
use crate::money::{CurrencyCode, Money};
use crate::org::{
    Bin, CostingMethod, Customer, LegalEntity, NegativeStock, Operator, Region, Site, SiteKind,
    Supplier, Zone, ZoneKind,
};
use crate::policy::{
    DeliveryLane, ItemSitePolicy, LaneSource, LeadTime, PlanningMethod, SafetyStock, ServiceTarget,
    SourcingLane,
};
use crate::uom::{ItemUnit, UomCode};

// Every code below is built from a literal or a number formatted to a fixed width the
// code rules accept; the module's tests build networks of every shape, so `expect`
// cannot fire within the documented sizes.
fn must<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
    r.expect("synthetic literal is valid")
}

/// The code of synthetic item `i`.
#[must_use]
pub fn item_code(i: usize) -> ItemCode {
    must(ItemCode::new(format!("ITEM-{i:07}")))
}

/// The code of synthetic site `s`.
#[must_use]
pub fn site_code(s: usize) -> SiteCode {
    must(SiteCode::new(format!("S{s:03}")))
}

/// A valid network of `items` items at `sites` sites. Every item has a case of 12 and a
/// pallet of 40 cases; every fifth item is lot-tracked with a shelf life; when
/// `policies` is set every item-site gets a policy (statistical safety stock for A
/// items, days of supply for the rest). Sites source from one supplier, and each site
/// but the first also from the previous site (a chain, so no loops).
///
/// # Panics
/// Never for `sites` up to 999 and `items` up to 9,999,999 (the code widths).
#[must_use]
pub fn network(items: usize, sites: usize, policies: bool) -> MasterData {
    let usd = must(CurrencyCode::new("USD"));
    let cad = must(CurrencyCode::new("CAD"));
    let ea = must(UomCode::new("EA"));
    let cs = must(UomCode::new("CS"));
    let pl = must(UomCode::new("PL"));
    let entities = vec![
        LegalEntity {
            code: must(EntityCode::new("E1")),
            name: "Entity one".into(),
            currency: usd,
            costing: CostingMethod::Fifo,
        },
        LegalEntity {
            code: must(EntityCode::new("E2")),
            name: "Entity two".into(),
            currency: cad,
            costing: CostingMethod::MovingAverage,
        },
    ];
    let region = must(RegionCode::new("R1"));
    let regions = vec![Region { code: region.clone(), name: "Region one".into() }];
    let site_list: Vec<Site> = (0..sites)
        .map(|s| Site {
            code: site_code(s),
            name: format!("Site {s}"),
            kind: SiteKind::RegionalDc,
            entity: Some(entities[usize::from(s % 4 == 3)].code.clone()),
            operator: Operator::Owner,
            region: region.clone(),
            zones: Vec::new(),
            bins: Vec::new(),
            negative_stock: NegativeStock::Forbid,
            handling_days: 1,
        })
        .collect();
    let supplier = must(SupplierCode::new("SUP1"));
    let suppliers =
        vec![Supplier { code: supplier.clone(), name: "Supplier one".into(), currency: usd }];
    let item_list: Vec<Item> = (0..items)
        .map(|i| {
            let mut it = Item::new(item_code(i), format!("Item {i}"), ea);
            it.units = vec![
                ItemUnit { unit: cs, factor: Decimal::from(12), per: ea, rounding: None },
                ItemUnit { unit: pl, factor: Decimal::from(40), per: cs, rounding: None },
            ];
            if i % 5 == 0 {
                it.tracking = Tracking::Lot;
                it.shelf_life_days = Some(365);
            }
            it.velocity = match i % 10 {
                0..=1 => VelocityClass::A,
                2..=4 => VelocityClass::B,
                _ => VelocityClass::C,
            };
            it
        })
        .collect();
    let policy_list = if policies { policies_for(&item_list, &site_list) } else { Vec::new() };
    let lanes = lanes_for(&site_list, &supplier, usd);
    let delivery_lanes = site_list
        .iter()
        .enumerate()
        .map(|(s, site)| DeliveryLane {
            site: site.code.clone(),
            region: region.clone(),
            transit_days: 1 + u32::try_from(s % 3).unwrap_or(0),
            cost_per_unit: Money::new(Decimal::new(2 + i64::try_from(s).unwrap_or(0), 2), usd),
            rank: u16::try_from(s + 1).unwrap_or(u16::MAX),
        })
        .collect();
    MasterData {
        units: Vec::new(),
        entities,
        regions,
        sites: site_list,
        suppliers,
        customers: Vec::new(),
        items: item_list,
        policies: policy_list,
        lanes,
        delivery_lanes,
    }
}

fn policies_for(items: &[Item], sites: &[Site]) -> Vec<ItemSitePolicy> {
    let mut out = Vec::with_capacity(items.len() * sites.len());
    for it in items {
        for s in sites {
            let mut p = ItemSitePolicy::new(it.code.clone(), s.code.clone());
            p.planning = PlanningMethod::ReorderPoint;
            p.lead_time = LeadTime { mean_days: Decimal::from(7), std_dev_days: Decimal::ONE };
            p.order_multiple = Some(must("12 EA".parse()));
            if it.velocity == VelocityClass::A {
                p.safety_stock = SafetyStock::Statistical;
                p.service_target = Some(ServiceTarget::CycleServiceLevel(Decimal::new(95, 2)));
            } else {
                p.safety_stock = SafetyStock::DaysOfSupply(Decimal::from(10));
            }
            out.push(p);
        }
    }
    out
}

fn lanes_for(sites: &[Site], supplier: &SupplierCode, usd: CurrencyCode) -> Vec<SourcingLane> {
    let mut lanes = Vec::new();
    for (s, site) in sites.iter().enumerate() {
        lanes.push(SourcingLane {
            from: LaneSource::Supplier(supplier.clone()),
            to: site.code.clone(),
            item: None,
            transit_days: 7,
            cost_per_unit: Money::new(Decimal::new(5, 2), usd),
            rank: 1,
        });
        if s > 0 {
            lanes.push(SourcingLane {
                from: LaneSource::Site(site_code(s - 1)),
                to: site.code.clone(),
                item: None,
                transit_days: 2,
                cost_per_unit: Money::new(Decimal::new(2, 2), usd),
                rank: 2,
            });
        }
    }
    lanes
}

/// The bins of every synthetic warehouse: (zone, kind, bins).
pub const LAYOUT: &[(&str, ZoneKind, &[&str])] = &[
    ("RCV", ZoneKind::Receiving, &["RCV-01"]),
    ("PF", ZoneKind::PickFace, &["PF-01", "PF-02", "PF-03"]),
    ("BLK", ZoneKind::Bulk, &["BLK-01"]),
    ("QA", ZoneKind::Quality, &["QA-01"]),
    ("STG", ZoneKind::Staging, &["STG-01"]),
    ("RET", ZoneKind::Returns, &["RET-01"]),
];

/// The code of synthetic region `s` (the region of site `s` in [`warehouses`]).
#[must_use]
pub fn region_code(s: usize) -> RegionCode {
    must(RegionCode::new(format!("R{s:03}")))
}

/// The code of synthetic customer `s` (in region `s`, in [`warehouses`]).
#[must_use]
pub fn customer_code(s: usize) -> CustomerCode {
    must(CustomerCode::new(format!("CUST-{s:03}")))
}

/// [`network`] with policies, laid out as warehouses: every site gets the zones and bins
/// of [`LAYOUT`] and a region of its own ([`region_code`]) with one customer
/// ([`customer_code`]; customers alternate between two groups). A region is served first
/// by its own site (one day), then by the next two sites along the chain (two and three
/// days). Site `s` belongs to entity `E2` (CAD, moving average) when `s % 4 == 3` and to
/// `E1` (USD, FIFO) otherwise, so the sourcing chain (`s - 1` to `s`) crosses entities
/// both ways: give the network intercompany agreements `E1`-`E2` in both directions to
/// transfer along it.
///
/// # Panics
/// Never for `sites` up to 999 and `items` up to 9,999,999 (the code widths).
#[must_use]
pub fn warehouses(items: usize, sites: usize) -> MasterData {
    let mut data = network(items, sites, true);
    let usd = must(CurrencyCode::new("USD"));
    let zones: Vec<Zone> = LAYOUT
        .iter()
        .map(|(z, kind, _)| Zone { code: must(ZoneCode::new(*z)), kind: *kind })
        .collect();
    let mut bins = Vec::new();
    let mut seq = 0;
    for (zone, _, codes) in LAYOUT {
        for b in *codes {
            seq += 10;
            bins.push(Bin {
                code: must(BinCode::new(*b)),
                zone: must(ZoneCode::new(*zone)),
                sequence: seq,
            });
        }
    }
    data.regions =
        (0..sites).map(|s| Region { code: region_code(s), name: format!("Region {s}") }).collect();
    for (s, site) in data.sites.iter_mut().enumerate() {
        site.zones.clone_from(&zones);
        site.bins.clone_from(&bins);
        site.region = region_code(s);
    }
    data.customers = (0..sites)
        .map(|s| Customer {
            code: customer_code(s),
            name: format!("Customer {s}"),
            region: region_code(s),
            group: Some(must(CustomerGroupCode::new(if s % 2 == 0 { "RETAIL" } else { "OEM" }))),
            channel: Some(must(ChannelCode::new("B2B"))),
        })
        .collect();
    data.delivery_lanes = (0..sites)
        .flat_map(|r| {
            (0..sites.min(3)).map(move |k| {
                let s = (r + k) % sites;
                DeliveryLane {
                    site: site_code(s),
                    region: region_code(r),
                    transit_days: 1 + u32::try_from(k).unwrap_or(0),
                    cost_per_unit: Money::new(
                        Decimal::new(2 + 2 * i64::try_from(k).unwrap_or(0), 2),
                        usd,
                    ),
                    rank: u16::try_from(k + 1).unwrap_or(u16::MAX),
                }
            })
        })
        .collect();
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_networks_are_valid() {
        let data = network(200, 8, true);
        let report = crate::validate(&data);
        assert!(report.is_clean(), "{report}");
        assert_eq!(data.policies.len(), 1600);
    }

    #[test]
    fn synthetic_warehouses_are_valid_whatever_their_size() {
        for (items, sites) in [(1, 1), (3, 2), (20, 4), (200, 9)] {
            let data = warehouses(items, sites);
            let report = crate::validate(&data);
            assert!(report.is_clean(), "{items} x {sites}: {report}");
            assert_eq!(data.customers.len(), sites);
            assert_eq!(data.delivery_lanes.len(), sites * sites.min(3));
            assert!(data.sites.iter().all(|s| s.bins.len() == 8));
        }
        // The bare network is unchanged by the layout: same items, policies and lanes.
        let (bare, laid) = (network(20, 4, true), warehouses(20, 4));
        assert_eq!(bare.items, laid.items);
        assert_eq!(bare.policies, laid.policies);
        assert_eq!(bare.lanes, laid.lanes);
    }
}
