//! `onhand demo`: a deterministic tour of the built-in demo network, one section at a
//! time.
//!
//! Each [`Section`] is a plain function writing to a `&mut dyn Write`; [`SECTIONS`] lists
//! them in order. A later crate (ledger, ATP, valuation, replenishment) adds its section
//! by adding what it needs to [`Demo`] and an entry to the list. Nothing here reads a
//! clock or iterates a hash map, so every run prints the same bytes.

use std::io::{self, Write};

use onhand_master::{
    Catalog, CurrencyCode, Decimal, ItemCode, ItemUnit, LaneSource, LocalStatusCode, MasterData,
    MasterError, Money, Operator, PlanningMethod, RegionCode, SafetyStock, ServiceTarget, SiteCode,
    SourcingLane, SupplierCode, UomCode, seed,
};
use onhand_status::{
    Approval, SiteStatusMap, StatusMaps, StockStatus, all_moves, demo_status_maps,
};
use serde::Serialize;

use crate::day::DayRun;
use crate::report::Report;
use crate::table::Table;

/// The demo's data: the network, its status maps, and the validated views built from them.
#[derive(Debug, Clone)]
pub struct Demo {
    /// The master data.
    pub master: MasterData,
    /// The site status maps as written.
    pub status_maps: Vec<SiteStatusMap>,
    /// The master data, validated and interned.
    pub catalog: Catalog,
    /// The status maps, validated.
    pub maps: StatusMaps,
    /// The demo day of events, run on the built-in network (`None` for other networks).
    pub day: Option<DayRun>,
}

impl Demo {
    /// The built-in demo network ([`seed::demo_network`] and [`demo_status_maps`]), with
    /// its day: the shipped demo-day scenario, run ([`DayRun::run`]).
    ///
    /// # Errors
    /// As [`Demo::from_network`], or the day's scenario not running, as text; the
    /// built-in network and the shipped scenario are valid, which the crate's tests check.
    pub fn builtin() -> Result<Self, String> {
        let mut demo = Demo::from_network(seed::demo_network(), demo_status_maps())
            .map_err(|r| r.to_string())?;
        let day = DayRun::run()?;
        demo.day = Some(day);
        Ok(demo)
    }

    /// A demo of any valid network.
    ///
    /// # Errors
    /// The [`Report`] of every finding when the network is not clean.
    pub fn from_network(
        master: MasterData,
        status_maps: Vec<SiteStatusMap>,
    ) -> Result<Self, Report> {
        let report = Report::of(&master, &status_maps);
        if !report.is_clean() {
            return Err(report);
        }
        let catalog = Catalog::new(master.clone())
            .map_err(|master| Report { master, status_maps: Vec::new() })?;
        // Both builders validate again and can fail only with what `report` found clean.
        let maps = StatusMaps::new(&status_maps, &master).map_err(|e| match e {
            onhand_status::StatusError::InvalidMaps { violations } => Report {
                master: onhand_master::ValidationReport::default(),
                status_maps: violations,
            },
            _ => Report::default(),
        })?;
        Ok(Demo { master, status_maps, catalog, maps, day: None })
    }
}

/// One section of the demo: a title and the function that writes its body.
#[derive(Debug, Clone, Copy)]
pub struct Section {
    /// The heading.
    pub title: &'static str,
    /// Writes the body.
    pub write: fn(&Demo, &mut dyn Write) -> io::Result<()>,
}

/// The demo's sections, in order.
pub const SECTIONS: &[Section] = &[
    Section { title: "Network", write: network },
    Section { title: "Items", write: items },
    Section { title: "Item-site policies", write: policies },
    Section { title: "Sourcing lanes", write: lanes },
    Section { title: "Site status maps", write: status_maps },
    Section { title: "Status transitions", write: transitions },
    Section { title: "Validation", write: validation },
    Section { title: "Governance in action", write: governance },
    Section { title: "A day of events", write: crate::day::day },
    Section { title: "Promising customer orders", write: crate::promising::promising },
    Section { title: "Valuing the day", write: crate::valuing::valuing },
    Section { title: "Replenishing the network", write: crate::replenishing::replenishing },
    Section { title: "Exceptions and KPIs", write: crate::queue::queue },
    Section { title: "Anomalies of the day", write: crate::anomalies::anomalies },
];

/// Writes the whole demo of the built-in network.
///
/// # Errors
/// Whatever `out` reports.
pub fn write_demo(out: &mut impl Write) -> io::Result<()> {
    let demo = Demo::builtin().map_err(io::Error::other)?;
    write_sections(&demo, SECTIONS, out)
}

/// Writes `sections` of `demo`, each under a numbered, underlined heading.
///
/// # Errors
/// Whatever `out` reports, or a section's own error.
pub fn write_sections(demo: &Demo, sections: &[Section], out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "onhand demo: a distributor's network, its master data and its governance")?;
    writeln!(out, "(the built-in demo network; every run prints the same)")?;
    for (n, section) in sections.iter().enumerate() {
        let heading = format!("{}. {}", n + 1, section.title);
        writeln!(out)?;
        writeln!(out, "{heading}")?;
        writeln!(out, "{}", "=".repeat(heading.chars().count()))?;
        writeln!(out)?;
        (section.write)(demo, out)?;
    }
    Ok(())
}

/// The name a value has in files (`regional_dc`, `moving_average`).
fn wire<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => "?".to_owned(),
    }
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn network(demo: &Demo, out: &mut dyn Write) -> io::Result<()> {
    let data = &demo.master;
    writeln!(out, "Legal entities")?;
    let mut t = Table::new(&["code", "name", "currency", "costing", ">sites"]);
    for e in &data.entities {
        let sites = data.sites.iter().filter(|s| s.entity.as_ref() == Some(&e.code)).count();
        t.row(vec![
            e.code.to_string(),
            e.name.clone(),
            e.currency.to_string(),
            wire(&e.costing),
            sites.to_string(),
        ]);
    }
    t.write(out, 2)?;

    writeln!(out, "\nSites")?;
    let mut t =
        Table::new(&["code", "name", "kind", "entity", "operator", "region", ">zones", ">bins"]);
    for s in &data.sites {
        let operator = match &s.operator {
            Operator::Owner => "owner".to_owned(),
            Operator::ThirdParty(provider) => format!("3PL {provider}"),
        };
        t.row(vec![
            s.code.to_string(),
            s.name.clone(),
            wire(&s.kind),
            opt(s.entity.as_ref()),
            operator,
            s.region.to_string(),
            s.zones.len().to_string(),
            s.bins.len().to_string(),
        ]);
    }
    t.write(out, 2)?;

    writeln!(out, "\nSuppliers")?;
    let mut t = Table::new(&["code", "name", "currency"]);
    for s in &data.suppliers {
        t.row(vec![s.code.to_string(), s.name.clone(), s.currency.to_string()]);
    }
    t.write(out, 2)?;

    writeln!(out, "\nCustomers")?;
    let mut t = Table::new(&["code", "name", "region", "group", "channel"]);
    for c in &data.customers {
        t.row(vec![
            c.code.to_string(),
            c.name.clone(),
            c.region.to_string(),
            opt(c.group.as_ref()),
            opt(c.channel.as_ref()),
        ]);
    }
    t.write(out, 2)
}

fn items(demo: &Demo, out: &mut dyn Write) -> io::Result<()> {
    let mut t = Table::new(&[
        "code",
        "description",
        "base",
        "tracking",
        ">shelf life",
        "velocity",
        "substitutes",
    ]);
    for (_, item) in demo.catalog.items() {
        let subs: Vec<String> =
            item.substitutes.iter().map(|s| format!("{} (x{})", s.item, s.ratio)).collect();
        t.row(vec![
            item.code.to_string(),
            item.description.clone(),
            item.base_uom.to_string(),
            wire(&item.tracking),
            item.shelf_life_days.map(|d| format!("{d} d")).unwrap_or_default(),
            wire(&item.velocity),
            subs.join(", "),
        ]);
    }
    t.write(out, 2)?;

    writeln!(out, "\nUnits each item can be counted in, as base units per unit (* packaging)")?;
    let mut t = Table::new(&["item", "base", "units"]);
    for (ix, item) in demo.catalog.items() {
        let Some(units) = demo.catalog.item_units(ix) else { continue };
        let list: Vec<String> = units
            .units()
            .map(|u| {
                let star = if units.is_packaging(u) { "*" } else { "" };
                format!("{u}{star}={}", opt(units.base_per_unit(u)))
            })
            .collect();
        t.row(vec![item.code.to_string(), units.base().to_string(), list.join(" ")]);
    }
    t.write(out, 2)
}

fn safety_stock(s: &SafetyStock) -> String {
    match s {
        SafetyStock::None => String::new(),
        SafetyStock::Fixed(q) => format!("fixed {q}"),
        SafetyStock::DaysOfSupply(d) => format!("{d} days"),
        SafetyStock::Statistical => "statistical".to_owned(),
    }
}

fn service(t: Option<ServiceTarget>) -> String {
    match t {
        None => String::new(),
        Some(ServiceTarget::CycleServiceLevel(v)) => format!("cycle {v}"),
        Some(ServiceTarget::FillRate(v)) => format!("fill {v}"),
    }
}

fn policies(demo: &Demo, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "Lead time in days as mean/std dev; blank cells are unset.")?;
    let mut t = Table::new(&[
        "item",
        "site",
        "stocked",
        "planning",
        "safety stock",
        "service",
        ">lead",
        ">review",
        "multiple",
        "receive",
    ]);
    for p in &demo.master.policies {
        let stocked = p.stocked;
        let planned = |s: String| if stocked { s } else { String::new() };
        t.row(vec![
            p.item.to_string(),
            p.site.to_string(),
            (if stocked { "yes" } else { "no" }).to_owned(),
            planned(wire(&p.planning)),
            safety_stock(&p.safety_stock),
            service(p.service_target),
            planned(format!("{}/{}", p.lead_time.mean_days, p.lead_time.std_dev_days)),
            p.review_period_days.map(|d| format!("{d} d")).unwrap_or_default(),
            opt(p.order_multiple),
            wire(&p.receive_into),
        ]);
    }
    t.write(out, 2)
}

fn lanes(demo: &Demo, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "Per destination, the lanes an item is sourced by, in rank order. A lane")?;
    writeln!(out, "naming an item replaces the lane for every item at the same rank.")?;
    let cat = &demo.catalog;
    let mut t = Table::new(&["to", "for", ">rank", "from", ">days", ">cost per unit"]);
    for (six, site) in cat.sites() {
        // Items sourced by the same lanes share one block; the first block is the one
        // for every item without lanes of its own.
        let mut blocks: Vec<(Vec<&SourcingLane>, Vec<&ItemCode>)> = Vec::new();
        for (iix, item) in cat.items() {
            let lanes: Vec<&SourcingLane> = cat.lanes_into(six, iix).collect();
            if lanes.is_empty() {
                continue;
            }
            match blocks.iter_mut().find(|(l, _)| same_lanes(l, &lanes)) {
                Some((_, items)) => items.push(&item.code),
                None => blocks.push((lanes, vec![&item.code])),
            }
        }
        for (b, (lanes, items)) in blocks.iter().enumerate() {
            let generic = lanes.iter().all(|l| l.item.is_none());
            let scope = if generic && blocks.len() == 1 {
                "every item".to_owned()
            } else if generic {
                "every other item".to_owned()
            } else {
                items.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            };
            for (i, lane) in lanes.iter().enumerate() {
                let first = i == 0;
                t.row(vec![
                    if first && b == 0 { site.code.to_string() } else { String::new() },
                    if first { scope.clone() } else { String::new() },
                    lane.rank.to_string(),
                    lane.from.to_string(),
                    lane.transit_days.to_string(),
                    lane.cost_per_unit.to_string(),
                ]);
            }
        }
    }
    t.write(out, 2)?;
    delivery(demo, out)
}

fn delivery(demo: &Demo, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "Delivery lanes: which sites ship to customers in each region, in rank order")?;
    let cat = &demo.catalog;
    let mut t = Table::new(&[
        "region",
        ">rank",
        "site",
        ">handling days",
        ">transit days",
        ">cost per unit",
    ]);
    for region in &demo.master.regions {
        let Some(rix) = cat.region_ix(&region.code) else { continue };
        for (i, lane) in cat.deliveries_to(rix).enumerate() {
            let handling =
                cat.site_ix(&lane.site).and_then(|s| cat.site(s)).map_or(0, |s| s.handling_days);
            t.row(vec![
                if i == 0 { region.code.to_string() } else { String::new() },
                lane.rank.to_string(),
                lane.site.to_string(),
                handling.to_string(),
                lane.transit_days.to_string(),
                lane.cost_per_unit.to_string(),
            ]);
        }
    }
    t.write(out, 2)
}

fn same_lanes(a: &[&SourcingLane], b: &[&SourcingLane]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| std::ptr::eq(*x, *y))
}

fn status_maps(demo: &Demo, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "Each site's local status codes and the canonical status they mean. The")?;
    writeln!(out, "primary code of a status is the one written back to the site's system.")?;
    writeln!(out, "No site needs a code for in_transit: stock in transit is at no site.")?;
    // Sites whose maps are identical share one block.
    let mut blocks: Vec<(&SiteStatusMap, Vec<&SiteCode>)> = Vec::new();
    for spec in &demo.status_maps {
        let same = |m: &SiteStatusMap| m.codes == spec.codes && m.map == spec.map;
        match blocks.iter_mut().find(|(m, _)| same(m)) {
            Some((_, sites)) => sites.push(&spec.site),
            None => blocks.push((spec, vec![&spec.site])),
        }
    }
    for (spec, sites) in blocks {
        let names: Vec<String> = sites.iter().map(ToString::to_string).collect();
        writeln!(out, "\n  {}", names.join(", "))?;
        let Some(map) = demo.maps.get(&spec.site) else { continue };
        let mut t = Table::new(&["local", "canonical", "role"]);
        for code in &spec.codes {
            let Ok(status) = map.to_canonical(code) else { continue };
            let primary = map.to_local(status).is_ok_and(|p| p == code);
            t.row(vec![
                code.to_string(),
                status.to_string(),
                (if primary { "primary" } else { "alias" }).to_owned(),
            ]);
        }
        t.write(out, 4)?;
    }
    Ok(())
}

fn side(s: Option<StockStatus>) -> String {
    s.map_or_else(|| "outside".to_owned(), |s| s.to_string())
}

fn transitions(_demo: &Demo, out: &mut dyn Write) -> io::Result<()> {
    let rows: Vec<_> = all_moves().collect();
    writeln!(out, "{} allowed moves; any move not listed is refused. \"outside\" is", rows.len())?;
    writeln!(out, "outside the network (receipts come from there, shipments go there).")?;
    let mut t = Table::new(&["from", "movement", "to", "approver"]);
    // Consecutive rows with the same start, movement and approver share a line.
    let mut i = 0;
    while let Some(&(from, first)) = rows.get(i) {
        let mut to = vec![side(first.to)];
        let mut j = i + 1;
        while let Some(&(f, m)) = rows.get(j) {
            if f != from || m.movement != first.movement || m.approval != first.approval {
                break;
            }
            to.push(side(m.to));
            j += 1;
        }
        let on_hand: Vec<String> = StockStatus::ALL
            .into_iter()
            .filter(|s| s.is_on_hand())
            .map(|s| side(Some(s)))
            .collect();
        if to == on_hand {
            to = vec!["any on-hand status".to_owned()];
        }
        let approver = match first.approval {
            Approval::None => String::new(),
            Approval::Role(role) => role.to_string(),
        };
        t.row(vec![side(from), first.movement.to_string(), to.join(", "), approver]);
        i = j;
    }
    t.write(out, 2)
}

fn validation(demo: &Demo, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "onhand_master::validate and onhand_status::validate_maps on the network:")?;
    writeln!(out)?;
    write!(out, "{}", Report::of(&demo.master, &demo.status_maps))
}

fn governance(demo: &Demo, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "A copy of the network with one defect of each kind the validators know:")?;
    writeln!(out)?;
    let mut master = demo.master.clone();
    let mut maps = demo.status_maps.clone();
    let injected = inject_defects(&mut master, &mut maps).map_err(io::Error::other)?;
    for (n, line) in injected.iter().enumerate() {
        writeln!(out, "  {:>2}. {line}", n + 1)?;
    }
    writeln!(out)?;
    let report = Report::of(&master, &maps);
    write!(out, "{report}")?;
    writeln!(out)?;
    writeln!(out, "Every finding names its record and carries a stable code that tools can")?;
    writeln!(out, "match on; `onhand validate --format json` prints the same as JSON.")
}

/// Breaks `master` and `maps` in one way per violation code, and says how.
///
/// # Errors
/// A code literal that breaks the code rules (a bug here).
pub fn inject_defects(
    master: &mut MasterData,
    maps: &mut [SiteStatusMap],
) -> Result<Vec<&'static str>, MasterError> {
    let mut done = Vec::new();
    let item = |code: &str| ItemCode::new(code);
    let site = |code: &str| SiteCode::new(code);
    let uom = UomCode::new;

    if let Some(c) = master.customers.first().cloned() {
        master.customers.push(c);
        done.push("duplicate_code: the first customer is entered twice");
    }
    if let Some(c) = master.customers.iter_mut().find(|c| c.code.as_str() == "WESTFAB") {
        c.region = RegionCode::new("US-PNW")?;
        done.push(
            "unknown_reference: customer WESTFAB ships to region US-PNW, which is not set up",
        );
    }
    let glove_ltx = item("GLOVE-LTX")?;
    if let Some(i) = master.items.iter_mut().find(|i| i.code == glove_ltx) {
        i.units.push(ItemUnit {
            unit: uom("IP")?,
            factor: Decimal::from(12),
            per: uom("BX")?,
            rounding: None,
        });
        done.push("unit_without_conversion: GLOVE-LTX packs 12 BX to an IP, but has no BX");
    }
    let bolt_ss = item("BOLT-M8-SS")?;
    if let Some(u) = master
        .items
        .iter_mut()
        .find(|i| i.code == bolt_ss)
        .and_then(|i| i.units.iter_mut().find(|u| u.unit.as_str() == "CS"))
    {
        u.factor = Decimal::new(125, 1);
        done.push("fractional_whole_unit: a BOLT-M8-SS case holds 12.5 EA");
    }
    let bolt = item("BOLT-M8")?;
    if let Some(i) = master.items.iter_mut().find(|i| i.code == bolt) {
        i.units.push(ItemUnit {
            unit: uom("PL")?,
            factor: Decimal::from(5000),
            per: uom("EA")?,
            rounding: None,
        });
        done.push("inconsistent_conversion: a BOLT-M8 pallet is 40 CS of 120 EA and also 5000 EA");
    }
    let (nut, mem) = (item("NUT-M8")?, site("MEM-XD")?);
    if let Some(p) = master.policies.iter_mut().find(|p| p.item == nut && p.site == mem) {
        p.planning = PlanningMethod::ReorderPoint;
        done.push("policy_on_unstocked_item: the cross-dock plans NUT-M8, which it does not stock");
    }
    let usd = CurrencyCode::new("USD")?;
    let lane = |from: LaneSource, to: &str, rank: u16| -> Result<SourcingLane, MasterError> {
        Ok(SourcingLane {
            from,
            to: SiteCode::new(to)?,
            item: None,
            transit_days: 2,
            cost_per_unit: Money::new(Decimal::new(3, 2), usd),
            rank,
        })
    };
    master.lanes.push(lane(LaneSource::Site(site("ATL")?), "ORD", 2)?);
    done.push("sourcing_cycle: ORD now sources from ATL, which sources from ORD");
    if let Some(s) = master.sites.iter_mut().find(|s| s.code.as_str() == "LAX") {
        s.entity = None;
        done.push("site_without_entity: LAX loses its owning entity");
    }
    master.lanes.push(lane(LaneSource::Supplier(SupplierCode::new("POLYCHEM")?), "DFW", 2)?);
    done.push("duplicate_lane_rank: a second rank-2 lane into DFW, from POLYCHEM");
    let atl = site("ATL")?;
    if let Some(p) = master.policies.iter_mut().find(|p| p.item == bolt && p.site == atl) {
        p.service_target = Some(ServiceTarget::CycleServiceLevel(Decimal::new(12, 1)));
        done.push("invalid_value: BOLT-M8 at ATL aims at a 1.2 cycle service level");
    }

    let code = LocalStatusCode::new;
    if let Some(m) = maps.iter_mut().find(|m| m.site == atl) {
        m.codes.push(code("QC")?);
        done.push("unmapped_local_code: ATL's system adds status QC, mapped to nothing");
    }
    let dfw = site("DFW")?;
    if let Some(m) = maps.iter_mut().find(|m| m.site == dfw) {
        m.map.entry(StockStatus::Blocked).or_default().push(code("UR")?);
        done.push("conflicting_local_code: DFW maps UR to blocked as well as available");
    }
    let yyz = site("YYZ")?;
    if let Some(m) = maps.iter_mut().find(|m| m.site == yyz) {
        if let Some(gone) = m.map.remove(&StockStatus::Scrapped) {
            m.codes.retain(|c| !gone.contains(c));
        }
        done.push("inexpressible_status: YYZ drops its code for scrapped");
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_network_makes_a_demo() {
        let demo = Demo::builtin().unwrap();
        assert_eq!(demo.catalog.site_count(), demo.master.sites.len());
    }

    #[test]
    fn every_defect_is_injected_and_reported_once() {
        let demo = Demo::builtin().unwrap();
        let (mut master, mut maps) = (demo.master.clone(), demo.status_maps.clone());
        let injected = inject_defects(&mut master, &mut maps).unwrap();
        assert_eq!(injected.len(), 13);
        let report = Report::of(&master, &maps);
        let counts = report.counts();
        for line in injected {
            let code = line.split(':').next().unwrap();
            assert!(counts.contains_key(code), "{code} not reported:\n{report}");
        }
        // The unknown inner pack and box are two units without a conversion.
        assert_eq!(counts.get("unit_without_conversion"), Some(&2));
        assert_eq!(report.len(), 14, "{report}");
    }
}
