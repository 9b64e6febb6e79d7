//! Deterministic synthetic networks of any size: `items` items stocked at `sites`
//! regional sites split over two legal entities, with packaging units, policies and
//! sourcing lanes. The same arguments always give the same data.

use onhand_master::{
    CostingMethod, CurrencyCode, DeliveryLane, EntityCode, Item, ItemCode, ItemSitePolicy,
    ItemUnit, LaneSource, LeadTime, LegalEntity, MasterData, Money, NegativeStock, Operator,
    PlanningMethod, Region, RegionCode, SafetyStock, ServiceTarget, Site, SiteCode, SiteKind,
    SourcingLane, Supplier, SupplierCode, Tracking, UomCode, VelocityClass,
};
use rust_decimal::Decimal;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_networks_are_valid() {
        let data = network(200, 8, true);
        let report = onhand_master::validate(&data);
        assert!(report.is_clean(), "{report}");
        assert_eq!(data.policies.len(), 1600);
    }
}
