//! [`Report`]: the combined findings of master-data validation and status-map
//! validation, each with where its record was read, written as text or JSON.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};

use onhand_master::{MasterData, RecordRef, UnitRegistry, ValidationReport, Violation};
use onhand_status::{SiteStatusMap, StatusMapViolation, validate_maps};
use serde::Serialize;

use onhand::files::{Location, Pos, Sources};

/// Every finding about one network: master data first, then status maps.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// Findings of [`onhand_master::validate`].
    pub master: ValidationReport,
    /// Findings of [`onhand_status::validate_maps`].
    pub status_maps: Vec<StatusMapViolation>,
}

impl Report {
    /// Validates master data and status maps.
    ///
    /// ```
    /// use onhand_cli::Report;
    /// let report = Report::of(&onhand_master::seed::demo_network(),
    ///                         &onhand_status::demo_status_maps());
    /// assert!(report.is_clean());
    /// ```
    #[must_use]
    pub fn of(master: &MasterData, maps: &[SiteStatusMap]) -> Self {
        Report { master: onhand_master::validate(master), status_maps: validate_maps(maps, master) }
    }

    /// Whether nothing was found.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.master.is_clean() && self.status_maps.is_empty()
    }

    /// How many findings there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.master.violations.len() + self.status_maps.len()
    }

    /// Whether there are no findings (the same as [`is_clean`](Self::is_clean)).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.is_clean()
    }

    /// How many findings carry each code, over both parts, sorted by code.
    #[must_use]
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut out = self.master.counts();
        for v in &self.status_maps {
            *out.entry(v.code()).or_insert(0) += 1;
        }
        out
    }

    /// Writes the report for people (its [`Display`](fmt::Display) form): each finding
    /// as `[code] message`, master data first, then status maps, then a count per code.
    ///
    /// # Errors
    /// Whatever `out` reports.
    pub fn write_text(&self, out: &mut (impl Write + ?Sized)) -> io::Result<()> {
        write!(out, "{self}")
    }

    /// The report as pretty JSON: `{ "master": [...], "status_maps": [...], "counts": {...} }`,
    /// each finding as `{ "code", "record": { "kind", "key" }, "message", "locations": [] }`
    /// (a [`LocatedReport`] fills the locations).
    ///
    /// # Errors
    /// Never in practice; serialization errors are passed on.
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(&json_parts(self, &[]))
    }
}

/// A [`Report`] on a network read from files, with where each finding's record was read.
///
/// A finding names the file and line of its record (of each record with its key, when
/// several share it); a duplicate names itself first and then the first definition, which
/// it repeats, whichever files they are in.
///
/// ```
/// use onhand_cli::{Format, LocatedReport, load};
/// let mut net = load("net.toml", "[[regions]]\ncode = \"US-SE\"\n", Format::Toml)?;
/// let json = "{\n \"regions\": [\n  {\"code\": \"US-SE\"}\n ]\n}";
/// net.merge(load("more.json", json, Format::Json)?);
/// let (master, maps) = net.doc.into_parts();
/// let report = LocatedReport::new(&master, &maps, &net.sources);
/// let at: Vec<String> = report.locations(0).iter().map(|l| l.to_string()).collect();
/// assert_eq!(at, ["more.json:3", "net.toml:1"]);
/// assert_eq!(report.to_string().lines().nth(1), Some(
///     "  [duplicate_code] more.json:3: region US-SE is defined more than once \
///      (first defined at net.toml:1)"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LocatedReport {
    /// The findings.
    pub report: Report,
    /// Per finding (master data first, then status maps), where its record was read.
    locations: Vec<Vec<Location>>,
}

impl LocatedReport {
    /// Validates master data and status maps read from files, and finds each finding's
    /// record in `sources` (the sources read with that network, as [`load`](crate::load)
    /// returns them).
    #[must_use]
    pub fn new(master: &MasterData, maps: &[SiteStatusMap], sources: &Sources) -> Self {
        let report = Report::of(master, maps);
        let locations = locate(&report, master, maps, sources);
        LocatedReport { report, locations }
    }

    /// Where finding `index` (master data first, then status maps) was read: empty when
    /// unknown.
    #[must_use]
    pub fn locations(&self, index: usize) -> &[Location] {
        self.locations.get(index).map_or(&[], Vec::as_slice)
    }

    /// Writes the report for people (its [`Display`](fmt::Display) form): each finding as
    /// `[code] file:line: message`, master data first, then status maps, then a count per
    /// code.
    ///
    /// # Errors
    /// Whatever `out` reports.
    pub fn write_text(&self, out: &mut (impl Write + ?Sized)) -> io::Result<()> {
        write!(out, "{self}")
    }

    /// The report as pretty JSON, as [`Report::to_json`] with each finding's
    /// `"locations": [{ "file", "line" }]`.
    ///
    /// # Errors
    /// Never in practice; serialization errors are passed on.
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(&self.json_parts())
    }

    /// The report's parts as JSON values take them.
    pub(crate) fn json_parts(&self) -> JsonParts<'_> {
        json_parts(&self.report, &self.locations)
    }
}

fn json_parts<'a>(report: &'a Report, locations: &'a [Vec<Location>]) -> JsonParts<'a> {
    let at = |i: usize| locations.get(i).map_or(&[][..], Vec::as_slice);
    let master_len = report.master.violations.len();
    JsonParts {
        master: report
            .master
            .violations
            .iter()
            .enumerate()
            .map(|(i, v)| Finding { finding: v, locations: at(i) })
            .collect(),
        status_maps: report
            .status_maps
            .iter()
            .enumerate()
            .map(|(i, v)| Finding { finding: v, locations: at(master_len + i) })
            .collect(),
        counts: report.counts(),
    }
}

/// The report as JSON: the findings of each part and the counts.
#[derive(Serialize)]
pub(crate) struct JsonParts<'a> {
    master: Vec<Finding<'a, Violation>>,
    status_maps: Vec<Finding<'a, StatusMapViolation>>,
    counts: BTreeMap<&'static str, usize>,
}

impl JsonParts<'_> {
    /// No findings.
    pub(crate) fn empty() -> JsonParts<'static> {
        JsonParts { master: Vec::new(), status_maps: Vec::new(), counts: BTreeMap::new() }
    }
}

/// One finding with its locations: `{ "code", "record", "message", "locations" }`.
#[derive(Serialize)]
pub(crate) struct Finding<'a, V> {
    #[serde(flatten)]
    finding: &'a V,
    locations: &'a [Location],
}

/// The locations of every finding of `report`, in its order.
///
/// One pass over the records of the kinds that have findings, looking each record's key
/// up among the keys found, so the cost is the size of the network plus the findings.
fn locate(
    report: &Report,
    master: &MasterData,
    maps: &[SiteStatusMap],
    sources: &Sources,
) -> Vec<Vec<Location>> {
    debug_assert!(sources.fits(master, maps), "the sources are not those of this network");
    let mut keys: BTreeMap<RecordRef, Vec<Pos>> = BTreeMap::new();
    for v in &report.master.violations {
        keys.entry(v.record()).or_default();
    }
    if !keys.is_empty() {
        record_positions(&mut keys, master, sources);
    }
    let mut map_sites: BTreeMap<&str, Vec<Pos>> = BTreeMap::new();
    for v in &report.status_maps {
        map_sites.entry(status_map_site(v)).or_default();
    }
    for (m, pos) in maps.iter().zip(&sources.status_maps) {
        if let Some(found) = map_sites.get_mut(m.site.as_str()) {
            found.push(*pos);
        }
    }

    let mut out = Vec::with_capacity(report.len());
    // How many duplicates of each record came before: the n-th duplicate is the
    // (n + 1)-th record with the key.
    let mut repeats: BTreeMap<RecordRef, usize> = BTreeMap::new();
    for v in &report.master.violations {
        let record = v.record();
        let found = keys.get(&record).map_or(&[][..], Vec::as_slice);
        let at = if matches!(v, Violation::DuplicateCode { .. }) {
            let n = repeats.entry(record.clone()).or_insert(0);
            *n += 1;
            // A unit repeating a standard unit repeats no record in the files.
            let standard = matches!(record, RecordRef::Unit(u) if UnitRegistry::is_standard(u));
            duplicate(found, if standard { *n - 1 } else { *n }, !standard)
        } else {
            found.to_vec()
        };
        out.push(at.into_iter().filter_map(|p| sources.location(p)).collect());
    }
    let mut map_repeats: BTreeMap<&str, usize> = BTreeMap::new();
    for v in &report.status_maps {
        let site = status_map_site(v);
        let found = map_sites.get(site).map_or(&[][..], Vec::as_slice);
        let at = if matches!(v, StatusMapViolation::DuplicateMap { .. }) {
            let n = map_repeats.entry(site).or_insert(0);
            *n += 1;
            duplicate(found, *n, true)
        } else {
            found.to_vec()
        };
        out.push(at.into_iter().filter_map(|p| sources.location(p)).collect());
    }
    out
}

/// The places of a duplicate: the `n`-th record with the key, then (when `first`) the
/// first one, which it repeats.
fn duplicate(found: &[Pos], n: usize, first: bool) -> Vec<Pos> {
    let mut at: Vec<Pos> = found.get(n).copied().into_iter().collect();
    if first {
        at.extend(found.first().copied());
    }
    at
}

/// The site whose status map a finding is about.
fn status_map_site(v: &StatusMapViolation) -> &str {
    match v {
        StatusMapViolation::UnknownSite { site }
        | StatusMapViolation::DuplicateMap { site }
        | StatusMapViolation::DuplicateLocalCode { site, .. }
        | StatusMapViolation::UndeclaredLocalCode { site, .. }
        | StatusMapViolation::UnmappedLocalCode { site, .. }
        | StatusMapViolation::ConflictingLocalCode { site, .. }
        | StatusMapViolation::InexpressibleStatus { site, .. } => site.as_str(),
        // A finding of a kind this crate does not know yet: no map to point at.
        _ => "",
    }
}

/// Fills `keys` with the place of every record whose key it holds, in record order.
fn record_positions(keys: &mut BTreeMap<RecordRef, Vec<Pos>>, d: &MasterData, s: &Sources) {
    use onhand_master::RecordKind as K;
    let kinds: std::collections::BTreeSet<_> = keys.keys().map(RecordRef::kind).collect();
    let mut add = |record: RecordRef, pos: Option<&Pos>| {
        if let (Some(found), Some(pos)) = (keys.get_mut(&record), pos) {
            found.push(*pos);
        }
    };
    let has = |kind| kinds.contains(&kind);
    if has(K::Unit) {
        for (i, u) in d.units.iter().enumerate() {
            add(RecordRef::Unit(u.code), s.units.get(i));
        }
    }
    if has(K::Entity) {
        for (i, e) in d.entities.iter().enumerate() {
            add(RecordRef::Entity(e.code.clone()), s.entities.get(i));
        }
    }
    if has(K::Region) {
        for (i, r) in d.regions.iter().enumerate() {
            add(RecordRef::Region(r.code.clone()), s.regions.get(i));
        }
    }
    if has(K::Site) || has(K::Zone) || has(K::Bin) {
        for (i, site) in d.sites.iter().enumerate() {
            add(RecordRef::Site(site.code.clone()), s.sites.get(i));
            let zones = s.zones.get(i);
            for (j, z) in site.zones.iter().enumerate() {
                let record = RecordRef::Zone { site: site.code.clone(), zone: z.code.clone() };
                add(record, zones.and_then(|z| z.get(j)));
            }
            let bins = s.bins.get(i);
            for (j, b) in site.bins.iter().enumerate() {
                let record = RecordRef::Bin { site: site.code.clone(), bin: b.code.clone() };
                add(record, bins.and_then(|b| b.get(j)));
            }
        }
    }
    if has(K::Supplier) {
        for (i, x) in d.suppliers.iter().enumerate() {
            add(RecordRef::Supplier(x.code.clone()), s.suppliers.get(i));
        }
    }
    if has(K::Customer) {
        for (i, x) in d.customers.iter().enumerate() {
            add(RecordRef::Customer(x.code.clone()), s.customers.get(i));
        }
    }
    if has(K::Item) {
        for (i, x) in d.items.iter().enumerate() {
            add(RecordRef::Item(x.code.clone()), s.items.get(i));
        }
    }
    if has(K::Policy) {
        for (i, p) in d.policies.iter().enumerate() {
            let record = RecordRef::Policy { item: p.item.clone(), site: p.site.clone() };
            add(record, s.policies.get(i));
        }
    }
    // Lanes are named by their position.
    for (record, found) in keys.iter_mut() {
        let pos = match record {
            RecordRef::Lane { index, .. } => s.lanes.get(*index),
            RecordRef::DeliveryLane { index, .. } => s.delivery_lanes.get(*index),
            _ => continue,
        };
        found.extend(pos.copied());
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_report(f, self, &[])
    }
}

impl fmt::Display for LocatedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_report(f, &self.report, &self.locations)
    }
}

fn write_report(
    f: &mut fmt::Formatter<'_>,
    report: &Report,
    locations: &[Vec<Location>],
) -> fmt::Result {
    let at = |i: usize| locations.get(i).map_or(&[][..], Vec::as_slice);
    let master_len = report.master.violations.len();
    let master = report
        .master
        .violations
        .iter()
        .enumerate()
        .map(|(i, v)| (v.code(), v, at(i), matches!(v, Violation::DuplicateCode { .. })));
    write_part(f, "master data", master)?;
    let maps = report.status_maps.iter().enumerate().map(|(i, v)| {
        (v.code(), v, at(master_len + i), matches!(v, StatusMapViolation::DuplicateMap { .. }))
    });
    write_part(f, "status maps", maps)?;
    if report.is_clean() {
        return writeln!(f, "summary: clean, no violations");
    }
    writeln!(f, "summary: {} violation(s)", report.len())?;
    let counts = report.counts();
    let width = counts.keys().map(|c| c.len()).max().unwrap_or(0);
    for (code, n) in counts {
        writeln!(f, "  {code:<width$}  {n:>4}")?;
    }
    Ok(())
}

/// A report with findings is an error where a clean network was required.
impl std::error::Error for Report {}

/// One part of the text report: `[code] file:line: message` per finding. A duplicate
/// names its own place first and the first definition after the message; a finding
/// about a key several records share names each of them.
fn write_part<'a, V: fmt::Display + 'a>(
    f: &mut fmt::Formatter<'_>,
    title: &str,
    findings: impl ExactSizeIterator<Item = (&'static str, &'a V, &'a [Location], bool)>,
) -> fmt::Result {
    if findings.len() == 0 {
        return writeln!(f, "{title}: no violations");
    }
    writeln!(f, "{title}: {} violation(s)", findings.len())?;
    for (code, v, at, duplicate) in findings {
        write!(f, "  [{code}] ")?;
        match (duplicate, at) {
            (true, [own, first, ..]) => writeln!(f, "{own}: {v} (first defined at {first})")?,
            (_, []) => writeln!(f, "{v}")?,
            (_, at) => {
                for (n, l) in at.iter().enumerate() {
                    write!(f, "{}{l}", if n == 0 { "" } else { ", " })?;
                }
                writeln!(f, ": {v}")?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use onhand_master::seed;
    use onhand_status::demo_status_maps;

    #[test]
    fn text_and_json_list_findings_and_counts() {
        let mut master = seed::demo_network();
        master.sites[0].entity = None;
        let mut maps = demo_status_maps();
        maps[0].codes.push(onhand_master::LocalStatusCode::new("XX").unwrap());
        let report = Report::of(&master, &maps);
        assert_eq!(report.len(), 2);
        let mut text = Vec::new();
        report.write_text(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert_eq!(
            text,
            "master data: 1 violation(s)\n  [site_without_entity] site ATL has no owning legal entity\n\
             status maps: 1 violation(s)\n  [unmapped_local_code] site ATL: local status XX maps to no canonical status\n\
             summary: 2 violation(s)\n  site_without_entity     1\n  unmapped_local_code     1\n"
        );
        let json: serde_json::Value = serde_json::from_str(&report.to_json().unwrap()).unwrap();
        assert_eq!(json["master"][0]["code"], "site_without_entity");
        assert_eq!(json["status_maps"][0]["record"]["key"], "ATL/XX");
        assert_eq!(json["counts"]["unmapped_local_code"], 1);
    }

    #[test]
    fn clean_report() {
        let report = Report::of(&seed::demo_network(), &demo_status_maps());
        let mut text = Vec::new();
        report.write_text(&mut text).unwrap();
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "master data: no violations\nstatus maps: no violations\nsummary: clean, no violations\n"
        );
    }
}
