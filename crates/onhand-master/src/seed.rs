//! The demo network used by examples, tests and `onhand demo`: a distributor with six
//! regional warehouses across two legal entities, plus a branch, a cross-dock and a
//! third-party logistics site.
//!
//! | site | kind | entity | region | supplied by |
//! |---|---|---|---|---|
//! | ATL | regional DC | NA01 (USD) | US-SE | ACME, POLYCHEM; ORD as backup |
//! | DFW | regional DC | NA01 | US-SW | ACME, POLYCHEM; MEM-XD as backup |
//! | ORD | regional DC | NA01 | US-MW | ACME, POLYCHEM |
//! | LAX | regional DC | NA01 | US-W | ACME, POLYCHEM |
//! | YYZ | regional DC | CA01 (CAD) | CA-ON | ACME, POLYCHEM, VOLTA; ORD (intercompany) as backup |
//! | YVR | regional DC | CA01 | CA-BC | ACME, POLYCHEM, VOLTA; YYZ, then LAX (intercompany) |
//! | BOS-BR | branch | NA01 | US-NE | ATL, then ORD |
//! | MEM-XD | cross-dock | NA01 | US-SE | ACME |
//! | YUL-3PL | third-party logistics (LOGIQ) | CA01 | CA-QC | YYZ |
//!
//! Every site but the cross-dock also ships to customers: each region is served first by
//! its own site (one day), then by neighbours (two to four days); regional DCs and the
//! 3PL take a day to pick, pack and load.
//!
//! Eleven items cover the cases the engine must handle: packaging chains
//! (`BOLT-M8`: case of 120, pallet of 40 cases), lot tracking with shelf life
//! (`GLUE-500`, `SEAL-CART`, `RESIN-EP`), serial tracking (`DRILL-18V`), non-count base
//! units (`CABLE-CU` in metres, `RESIN-EP` in kilograms), a cross-category bridge
//! (`CLEAN-5L`: one each is 5 litres) and substitutes (`BOLT-M8` by `BOLT-M8-SS`,
//! `GLOVE-NIT` by `GLOVE-LTX`).

use rust_decimal::Decimal;

use crate::code::{
    BinCode, ChannelCode, CustomerCode, CustomerGroupCode, EntityCode, ItemCode, RegionCode,
    SiteCode, SupplierCode, ZoneCode,
};
use crate::data::MasterData;
use crate::decimal::{Rounding, RoundingMode};
use crate::item::{Item, Substitute, Tracking, VelocityClass};
use crate::money::{CurrencyCode, Money};
use crate::org::{
    Bin, CostingMethod, Customer, LegalEntity, NegativeStock, Operator, Region, Site, SiteKind,
    Supplier, Zone, ZoneKind,
};
use crate::policy::{
    DeliveryLane, ItemSitePolicy, LaneSource, LeadTime, PlanningMethod, ReceiveInto, SafetyStock,
    ServiceTarget, SourcingLane,
};
use crate::qty::Qty;
use crate::uom::{ItemUnit, ItemUnits, UnitRegistry, UomCode};

// The helpers below parse literals written in this file, never input; the
// `demo_network_is_valid` test runs every one of them, so `expect` cannot fire.
fn item(s: &str) -> ItemCode {
    ItemCode::new(s).expect("seed item code literal")
}
fn site(s: &str) -> SiteCode {
    SiteCode::new(s).expect("seed site code literal")
}
fn entity(s: &str) -> EntityCode {
    EntityCode::new(s).expect("seed entity code literal")
}
fn region(s: &str) -> RegionCode {
    RegionCode::new(s).expect("seed region code literal")
}
fn supplier(s: &str) -> SupplierCode {
    SupplierCode::new(s).expect("seed supplier code literal")
}
fn uom(s: &str) -> UomCode {
    UomCode::new(s).expect("seed unit literal")
}
fn currency(s: &str) -> CurrencyCode {
    CurrencyCode::new(s).expect("seed currency literal")
}
fn dec(s: &str) -> Decimal {
    Decimal::from_str_exact(s).expect("seed decimal literal")
}
fn qty(s: &str) -> Qty {
    s.parse().expect("seed quantity literal")
}
fn money(s: &str) -> Money {
    s.parse().expect("seed money literal")
}

/// The six regional warehouses, in site order.
pub const REGIONAL_DCS: [&str; 6] = ["ATL", "DFW", "ORD", "LAX", "YYZ", "YVR"];

fn zones_and_bins(kind: SiteKind) -> (Vec<Zone>, Vec<Bin>) {
    let layout: &[(&str, ZoneKind, &[&str])] = match kind {
        SiteKind::RegionalDc => &[
            ("RCV", ZoneKind::Receiving, &["RCV-01", "RCV-02"]),
            ("PF", ZoneKind::PickFace, &["PF-A01", "PF-A02", "PF-A03", "PF-A04"]),
            ("BLK", ZoneKind::Bulk, &["BLK-01", "BLK-02", "BLK-03"]),
            ("QA", ZoneKind::Quality, &["QA-01"]),
            ("STG", ZoneKind::Staging, &["STG-01"]),
            ("RET", ZoneKind::Returns, &["RET-01"]),
        ],
        SiteKind::Branch => &[
            ("RCV", ZoneKind::Receiving, &["RCV-01"]),
            ("PF", ZoneKind::PickFace, &["PF-A01", "PF-A02"]),
            ("QA", ZoneKind::Quality, &["QA-01"]),
            ("STG", ZoneKind::Staging, &["STG-01"]),
        ],
        SiteKind::CrossDock => &[
            ("RCV", ZoneKind::Receiving, &["DOOR-01", "DOOR-02"]),
            ("STG", ZoneKind::Staging, &["LANE-01", "LANE-02"]),
        ],
        SiteKind::ThirdPartyLogistics => &[
            ("RCV", ZoneKind::Receiving, &["RCV-01"]),
            ("BLK", ZoneKind::Bulk, &["BLK-01", "BLK-02"]),
            ("QA", ZoneKind::Quality, &["QA-01"]),
            ("STG", ZoneKind::Staging, &["STG-01"]),
        ],
        SiteKind::VirtualTransit => &[],
    };
    let mut zones = Vec::new();
    let mut bins = Vec::new();
    let mut seq = 0;
    for (zone, kind, bin_codes) in layout {
        let zone = ZoneCode::new(*zone).expect("seed zone literal");
        zones.push(Zone { code: zone.clone(), kind: *kind });
        for b in *bin_codes {
            seq += 10;
            let code = BinCode::new(*b).expect("seed bin literal");
            bins.push(Bin { code, zone: zone.clone(), sequence: seq });
        }
    }
    (zones, bins)
}

fn mk_site(c: &str, name: &str, kind: SiteKind, ent: &str, reg: &str, operator: Operator) -> Site {
    let (zones, bins) = zones_and_bins(kind);
    Site {
        code: site(c),
        name: name.to_owned(),
        kind,
        entity: Some(entity(ent)),
        operator,
        region: region(reg),
        zones,
        bins,
        negative_stock: NegativeStock::Forbid,
        handling_days: match kind {
            SiteKind::RegionalDc | SiteKind::ThirdPartyLogistics => 1,
            SiteKind::Branch | SiteKind::CrossDock | SiteKind::VirtualTransit => 0,
        },
    }
}

fn pack(unit: &str, factor: &str, per: &str) -> ItemUnit {
    ItemUnit { unit: uom(unit), factor: dec(factor), per: uom(per), rounding: None }
}

struct ItemSpec {
    code: &'static str,
    desc: &'static str,
    base: &'static str,
    units: &'static [(&'static str, &'static str, &'static str)],
    tracking: Tracking,
    shelf_life: Option<u32>,
    velocity: VelocityClass,
    subs: &'static [(&'static str, &'static str)],
    /// Order multiple (also the fixed safety stock for C items).
    case: &'static str,
    supplier: &'static str,
    /// Purchase price per base unit, in USD (see [`purchase_price`]).
    price: &'static str,
}

const ITEMS: &[ItemSpec] = &[
    ItemSpec {
        code: "BOLT-M8",
        desc: "Hex bolt M8x40, zinc plated",
        base: "EA",
        units: &[("CS", "120", "EA"), ("PL", "40", "CS")],
        tracking: Tracking::None,
        shelf_life: None,
        velocity: VelocityClass::A,
        subs: &[("BOLT-M8-SS", "1")],
        case: "120 EA",
        supplier: "ACME",
        price: "0.085",
    },
    ItemSpec {
        code: "BOLT-M8-SS",
        desc: "Hex bolt M8x40, stainless A2",
        base: "EA",
        units: &[("CS", "100", "EA")],
        tracking: Tracking::None,
        shelf_life: None,
        velocity: VelocityClass::B,
        subs: &[],
        case: "100 EA",
        supplier: "ACME",
        price: "0.19",
    },
    ItemSpec {
        code: "NUT-M8",
        desc: "Hex nut M8, zinc plated",
        base: "EA",
        units: &[("BX", "500", "EA"), ("CS", "10", "BX")],
        tracking: Tracking::None,
        shelf_life: None,
        velocity: VelocityClass::A,
        subs: &[],
        case: "500 EA",
        supplier: "ACME",
        price: "0.04",
    },
    ItemSpec {
        code: "GLUE-500",
        desc: "Structural adhesive, 500 ml",
        base: "EA",
        units: &[("CS", "24", "EA")],
        tracking: Tracking::Lot,
        shelf_life: Some(365),
        velocity: VelocityClass::B,
        subs: &[],
        case: "24 EA",
        supplier: "POLYCHEM",
        price: "4.20",
    },
    ItemSpec {
        code: "SEAL-CART",
        desc: "Silicone sealant cartridge, 310 ml",
        base: "EA",
        units: &[("CS", "12", "EA")],
        tracking: Tracking::Lot,
        shelf_life: Some(540),
        velocity: VelocityClass::B,
        subs: &[],
        case: "12 EA",
        supplier: "POLYCHEM",
        price: "6.10",
    },
    ItemSpec {
        code: "DRILL-18V",
        desc: "Cordless drill 18 V",
        base: "EA",
        units: &[],
        tracking: Tracking::Serial,
        shelf_life: None,
        velocity: VelocityClass::C,
        subs: &[],
        case: "1 EA",
        supplier: "VOLTA",
        price: "89.00",
    },
    ItemSpec {
        code: "CABLE-CU",
        desc: "Copper cable 2.5 mm2",
        base: "M",
        units: &[("RL", "100", "M")],
        tracking: Tracking::None,
        shelf_life: None,
        velocity: VelocityClass::B,
        subs: &[],
        case: "1 RL",
        supplier: "ACME",
        price: "0.95",
    },
    ItemSpec {
        code: "RESIN-EP",
        desc: "Epoxy resin",
        base: "KG",
        units: &[("DRUM", "200", "KG")],
        tracking: Tracking::Lot,
        shelf_life: Some(180),
        velocity: VelocityClass::C,
        subs: &[],
        case: "1 DRUM",
        supplier: "POLYCHEM",
        price: "11.40",
    },
    ItemSpec {
        code: "CLEAN-5L",
        desc: "Industrial degreaser, 5 l can",
        base: "EA",
        units: &[("EA", "5", "L"), ("CS", "4", "EA")],
        tracking: Tracking::None,
        shelf_life: None,
        velocity: VelocityClass::B,
        subs: &[],
        case: "4 EA",
        supplier: "POLYCHEM",
        price: "7.25",
    },
    ItemSpec {
        code: "GLOVE-NIT",
        desc: "Nitrile gloves, box of 100",
        base: "EA",
        units: &[("CS", "10", "EA"), ("PL", "60", "CS")],
        tracking: Tracking::None,
        shelf_life: None,
        velocity: VelocityClass::A,
        subs: &[("GLOVE-LTX", "1")],
        case: "10 EA",
        supplier: "ACME",
        price: "0.15",
    },
    ItemSpec {
        code: "GLOVE-LTX",
        desc: "Latex gloves, box of 100",
        base: "EA",
        units: &[("CS", "10", "EA")],
        tracking: Tracking::None,
        shelf_life: None,
        velocity: VelocityClass::C,
        subs: &[],
        case: "10 EA",
        supplier: "ACME",
        price: "0.13",
    },
];

fn items() -> Vec<Item> {
    ITEMS
        .iter()
        .map(|s| {
            let mut it = Item::new(item(s.code), s.desc, uom(s.base));
            it.units = s.units.iter().map(|(u, f, p)| pack(u, f, p)).collect();
            it.tracking = s.tracking;
            it.shelf_life_days = s.shelf_life;
            it.velocity = s.velocity;
            it.substitutes =
                s.subs.iter().map(|(c, r)| Substitute { item: item(c), ratio: dec(r) }).collect();
            it
        })
        .collect()
}

/// Where an item is stocked, besides the regional DCs: (item, site).
const BRANCH_AND_3PL_STOCK: &[(&str, &str)] = &[
    ("BOLT-M8", "BOS-BR"),
    ("NUT-M8", "BOS-BR"),
    ("GLOVE-NIT", "BOS-BR"),
    ("GLUE-500", "BOS-BR"),
    ("BOLT-M8", "YUL-3PL"),
    ("GLOVE-NIT", "YUL-3PL"),
    ("CLEAN-5L", "YUL-3PL"),
];

fn policies() -> Vec<ItemSitePolicy> {
    let mut out = Vec::new();
    for (si, dc) in REGIONAL_DCS.iter().enumerate() {
        for spec in ITEMS {
            // The drill is stocked at the Canadian DCs and Chicago only.
            if spec.code == "DRILL-18V" && !matches!(*dc, "YYZ" | "YVR" | "ORD") {
                let mut p = ItemSitePolicy::new(item(spec.code), site(dc));
                p.stocked = false;
                out.push(p);
                continue;
            }
            let mut p = ItemSitePolicy::new(item(spec.code), site(dc));
            let lt = 5 + (si % 3) * 2;
            p.lead_time = LeadTime { mean_days: Decimal::from(lt), std_dev_days: dec("1.5") };
            p.order_multiple = Some(qty(spec.case));
            match spec.velocity {
                VelocityClass::A => {
                    p.planning = PlanningMethod::ReorderPoint;
                    p.safety_stock = SafetyStock::Statistical;
                    p.service_target = Some(ServiceTarget::CycleServiceLevel(dec("0.95")));
                }
                VelocityClass::B => {
                    p.planning = PlanningMethod::MinMax;
                    p.safety_stock = SafetyStock::DaysOfSupply(dec("10"));
                    p.service_target = Some(ServiceTarget::FillRate(dec("0.98")));
                }
                VelocityClass::C | VelocityClass::D | VelocityClass::Unclassified => {
                    p.planning = PlanningMethod::PeriodicReview;
                    p.review_period_days = Some(7);
                    p.safety_stock = SafetyStock::Fixed(qty(spec.case));
                }
            }
            if spec.tracking == Tracking::Lot {
                p.receive_into = ReceiveInto::QualityHold;
            }
            out.push(p);
        }
    }
    for (it, st) in BRANCH_AND_3PL_STOCK {
        let mut p = ItemSitePolicy::new(item(it), site(st));
        p.planning = PlanningMethod::Drp;
        p.lead_time = LeadTime { mean_days: dec("2"), std_dev_days: dec("0.5") };
        p.safety_stock = SafetyStock::DaysOfSupply(dec("5"));
        p.receive_into = ReceiveInto::Available;
        out.push(p);
    }
    // The cross-dock keeps nothing in stock.
    for it in ["BOLT-M8", "NUT-M8"] {
        let mut p = ItemSitePolicy::new(item(it), site("MEM-XD"));
        p.stocked = false;
        p.receive_into = ReceiveInto::Available;
        out.push(p);
    }
    out
}

fn lane(
    from: LaneSource,
    to: &str,
    it: Option<&str>,
    days: u32,
    cost: &str,
    rank: u16,
) -> SourcingLane {
    SourcingLane {
        from,
        to: site(to),
        item: it.map(item),
        transit_days: days,
        cost_per_unit: money(cost),
        rank,
    }
}

fn lanes() -> Vec<SourcingLane> {
    let sup = |s: &str| LaneSource::Supplier(supplier(s));
    let from = |s: &str| LaneSource::Site(site(s));
    let mut out = Vec::new();
    for (i, dc) in REGIONAL_DCS.iter().enumerate() {
        let canadian = dc.starts_with('Y');
        let days = 4 + u32::try_from(i).unwrap_or(0);
        // Generic purchase lane, then item-specific lanes for the other suppliers' items.
        out.push(lane(
            sup("ACME"),
            dc,
            None,
            days,
            if canadian { "0.06 USD" } else { "0.04 USD" },
            1,
        ));
        for spec in ITEMS.iter().filter(|s| s.supplier != "ACME") {
            if spec.supplier == "VOLTA" && !canadian {
                continue;
            }
            // Freight only: the price paid for the goods is the item's purchase price.
            let freight = match (spec.supplier, canadian) {
                ("VOLTA", _) => "0.08 CAD",
                (_, true) => "0.09 USD",
                (_, false) => "0.06 USD",
            };
            out.push(lane(sup(spec.supplier), dc, Some(spec.code), days + 3, freight, 1));
        }
    }
    // Backup transfers between regional DCs.
    out.push(lane(from("ORD"), "ATL", None, 2, "0.03 USD", 2));
    out.push(lane(from("MEM-XD"), "DFW", None, 1, "0.02 USD", 2));
    out.push(lane(sup("ACME"), "MEM-XD", None, 3, "0.035 USD", 1));
    out.push(lane(from("ORD"), "YYZ", None, 3, "0.05 USD", 2));
    out.push(lane(from("YYZ"), "YVR", None, 5, "0.07 CAD", 2));
    out.push(lane(from("LAX"), "YVR", None, 3, "0.06 USD", 3));
    // Branch and 3PL are supplied from their regional DCs.
    out.push(lane(from("ATL"), "BOS-BR", None, 2, "0.05 USD", 1));
    out.push(lane(from("ORD"), "BOS-BR", None, 2, "0.06 USD", 2));
    out.push(lane(from("YYZ"), "YUL-3PL", None, 1, "0.04 CAD", 1));
    out
}

/// Which sites deliver to which customer regions: (region, [(site, transit days, cost)])
/// in rank order.
type Deliveries = &'static [(&'static str, u32, &'static str)];
const DELIVERY: &[(&str, Deliveries)] = &[
    ("US-SE", &[("ATL", 1, "0.02 USD"), ("DFW", 2, "0.04 USD"), ("ORD", 3, "0.05 USD")]),
    ("US-SW", &[("DFW", 1, "0.02 USD"), ("LAX", 3, "0.05 USD"), ("ATL", 3, "0.05 USD")]),
    ("US-MW", &[("ORD", 1, "0.02 USD"), ("ATL", 2, "0.04 USD"), ("DFW", 3, "0.05 USD")]),
    ("US-W", &[("LAX", 1, "0.02 USD"), ("DFW", 3, "0.05 USD")]),
    ("US-NE", &[("BOS-BR", 1, "0.01 USD"), ("ORD", 2, "0.04 USD"), ("ATL", 3, "0.05 USD")]),
    ("CA-ON", &[("YYZ", 1, "0.02 CAD"), ("YVR", 4, "0.07 CAD")]),
    ("CA-BC", &[("YVR", 1, "0.02 CAD"), ("YYZ", 4, "0.07 CAD")]),
    ("CA-QC", &[("YUL-3PL", 1, "0.02 CAD"), ("YYZ", 2, "0.04 CAD")]),
];

fn delivery_lanes() -> Vec<DeliveryLane> {
    let mut out = Vec::new();
    for (reg, sites) in DELIVERY {
        for (rank, (st, days, cost)) in sites.iter().enumerate() {
            out.push(DeliveryLane {
                site: site(st),
                region: region(reg),
                transit_days: *days,
                cost_per_unit: money(cost),
                rank: u16::try_from(rank + 1).unwrap_or(u16::MAX),
            });
        }
    }
    out
}

/// The demo network's master data. It is valid: `validate(&demo_network())` is clean.
///
/// # Panics
/// Never: it is built from literals that the crate's tests check.
///
/// ```
/// use onhand_master::{seed, validate};
/// let data = seed::demo_network();
/// assert_eq!(data.entities.len(), 2);
/// assert_eq!(data.sites.len(), 9);
/// assert!(validate(&data).is_clean());
/// ```
#[must_use]
pub fn demo_network() -> MasterData {
    let entities = vec![
        LegalEntity {
            code: entity("NA01"),
            name: "Northwind Distribution Inc.".into(),
            currency: currency("USD"),
            costing: CostingMethod::Fifo,
        },
        LegalEntity {
            code: entity("CA01"),
            name: "Northwind Distribution Canada Ltd.".into(),
            currency: currency("CAD"),
            costing: CostingMethod::MovingAverage,
        },
    ];
    let regions = [
        ("US-SE", "US South-East"),
        ("US-SW", "US South-West"),
        ("US-MW", "US Mid-West"),
        ("US-W", "US West"),
        ("US-NE", "US North-East"),
        ("CA-ON", "Ontario"),
        ("CA-BC", "British Columbia"),
        ("CA-QC", "Quebec"),
    ]
    .iter()
    .map(|(c, n)| Region { code: region(c), name: (*n).into() })
    .collect();
    let own = Operator::Owner;
    let sites = vec![
        mk_site("ATL", "Atlanta RDC", SiteKind::RegionalDc, "NA01", "US-SE", own.clone()),
        mk_site("DFW", "Dallas RDC", SiteKind::RegionalDc, "NA01", "US-SW", own.clone()),
        mk_site("ORD", "Chicago RDC", SiteKind::RegionalDc, "NA01", "US-MW", own.clone()),
        mk_site("LAX", "Los Angeles RDC", SiteKind::RegionalDc, "NA01", "US-W", own.clone()),
        mk_site("YYZ", "Toronto RDC", SiteKind::RegionalDc, "CA01", "CA-ON", own.clone()),
        mk_site("YVR", "Vancouver RDC", SiteKind::RegionalDc, "CA01", "CA-BC", own.clone()),
        mk_site("BOS-BR", "Boston branch", SiteKind::Branch, "NA01", "US-NE", own.clone()),
        mk_site("MEM-XD", "Memphis cross-dock", SiteKind::CrossDock, "NA01", "US-SE", own),
        mk_site(
            "YUL-3PL",
            "Montreal 3PL (Logiq)",
            SiteKind::ThirdPartyLogistics,
            "CA01",
            "CA-QC",
            Operator::ThirdParty(supplier("LOGIQ")),
        ),
    ];
    let suppliers = [
        ("ACME", "Acme Fasteners Corp.", "USD"),
        ("POLYCHEM", "Polychem Adhesives LLC", "USD"),
        ("VOLTA", "Volta Tools Canada", "CAD"),
        ("LOGIQ", "Logiq 3PL Services", "CAD"),
    ]
    .iter()
    .map(|(c, n, cur)| Supplier { code: supplier(c), name: (*n).into(), currency: currency(cur) })
    .collect();
    let customers = [
        ("HOMEPRO", "HomePro Stores", "US-SE", Some("RETAIL"), "B2B"),
        ("BUILDCO", "BuildCo Contractors", "US-MW", Some("CONTRACTOR"), "B2B"),
        ("WESTFAB", "WestFab Manufacturing", "US-W", Some("OEM"), "B2B"),
        ("LONESTAR", "Lone Star Supply", "US-SW", Some("RETAIL"), "B2B"),
        ("MAPLE", "Maple Hardware", "CA-ON", Some("RETAIL"), "B2B"),
        ("PACIFIC", "Pacific Marine", "CA-BC", Some("OEM"), "B2B"),
        ("WEBSHOP", "Northwind web shop", "US-NE", None, "ECOM"),
    ]
    .iter()
    .map(|(c, n, r, g, ch)| Customer {
        code: CustomerCode::new(*c).expect("seed customer literal"),
        name: (*n).into(),
        region: region(r),
        group: g.map(|g| CustomerGroupCode::new(g).expect("seed group literal")),
        channel: Some(ChannelCode::new(*ch).expect("seed channel literal")),
    })
    .collect();
    MasterData {
        units: Vec::new(),
        entities,
        regions,
        sites,
        suppliers,
        customers,
        items: items(),
        policies: policies(),
        lanes: lanes(),
        delivery_lanes: delivery_lanes(),
    }
}

/// What the distributor pays its supplier for one base unit of a demo item, in USD
/// (Canadian receipts convert at the day's rate): the price on the demo's purchase
/// orders and receipts. Sourcing lanes carry freight only. `None` for an item not in the
/// demo network.
///
/// ```
/// use onhand_master::seed;
/// let price = seed::purchase_price(&"BOLT-M8".parse()?).ok_or("no price")?;
/// assert_eq!(price.to_string(), "0.085 USD");
/// assert!(seed::purchase_price(&"NOT-AN-ITEM".parse()?).is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn purchase_price(code: &ItemCode) -> Option<Money> {
    let spec = ITEMS.iter().find(|s| s.code == code.as_str())?;
    Some(Money::new(dec(spec.price), currency("USD")))
}

/// The [`purchase_price`] of `unit` of a demo item (a case of 120 bolts costs 120 times
/// a bolt). `None` for an item not in the demo network or a unit it is not counted in.
///
/// ```
/// use onhand_master::{UomCode, seed};
/// let case = seed::purchase_price_per(&"BOLT-M8".parse()?, UomCode::new("CS")?).ok_or("no price")?;
/// assert_eq!(case.to_string(), "10.2 USD");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn purchase_price_per(code: &ItemCode, unit: UomCode) -> Option<Money> {
    let each = purchase_price(code)?;
    let item = items().into_iter().find(|i| &i.code == code)?;
    let units = ItemUnits::resolve(&item, &UnitRegistry::standard()).ok()?;
    let amount = crate::decimal::mul_exact(each.amount(), units.base_per_unit(unit)?).ok()?;
    Some(Money::new(amount, each.currency()))
}

/// Every demo item with its [`purchase_price`], in item order.
#[must_use]
pub fn purchase_prices() -> Vec<(ItemCode, Money)> {
    ITEMS.iter().map(|s| (item(s.code), Money::new(dec(s.price), currency("USD")))).collect()
}

/// A whole-number rounding rule that rounds up, as for order quantities in cases.
#[must_use]
pub fn round_up_whole() -> Rounding {
    Rounding::WHOLE.with_mode(RoundingMode::Up)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::validate;

    #[test]
    fn demo_network_is_valid() {
        let data = demo_network();
        let report = validate(&data);
        assert!(report.is_clean(), "{report}");
        assert_eq!(
            data.sites.iter().filter(|s| s.kind == SiteKind::RegionalDc).count(),
            6,
            "six regional warehouses"
        );
        assert_eq!(data.items.len(), ITEMS.len());
    }

    #[test]
    fn every_item_has_a_positive_purchase_price_and_lanes_carry_freight_only() {
        let data = demo_network();
        let prices = purchase_prices();
        assert_eq!(prices.len(), data.items.len());
        for (item, price) in &prices {
            assert!(price.amount() > Decimal::ZERO, "{item}");
            assert_eq!(purchase_price(item).as_ref(), Some(price));
        }
        // No lane costs as much as the item it brings: lanes are freight, not prices.
        for lane in data.lanes.iter().filter(|l| l.item.is_some()) {
            let price = lane.item.as_ref().and_then(purchase_price).map(Money::amount);
            assert!(price.is_some_and(|p| lane.cost_per_unit.amount() < p), "{lane:?}");
        }
    }
}
