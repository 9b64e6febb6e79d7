//! [`Report`]: the combined findings of master-data validation and status-map
//! validation, written as text or JSON.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};

use onhand_master::{MasterData, ValidationReport, Violation};
use onhand_status::{SiteStatusMap, StatusMapViolation, validate_maps};
use serde::Serialize;

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
    /// each finding as `{ "code", "record": { "kind", "key" }, "message" }`.
    ///
    /// # Errors
    /// Never in practice; serialization errors are passed on.
    pub fn to_json(&self) -> serde_json::Result<String> {
        #[derive(Serialize)]
        struct Json<'a> {
            master: &'a [Violation],
            status_maps: &'a [StatusMapViolation],
            counts: BTreeMap<&'static str, usize>,
        }
        serde_json::to_string_pretty(&Json {
            master: &self.master.violations,
            status_maps: &self.status_maps,
            counts: self.counts(),
        })
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_part(f, "master data", self.master.violations.iter().map(|v| (v.code(), v)))?;
        write_part(f, "status maps", self.status_maps.iter().map(|v| (v.code(), v)))?;
        if self.is_clean() {
            return writeln!(f, "summary: clean, no violations");
        }
        writeln!(f, "summary: {} violation(s)", self.len())?;
        let counts = self.counts();
        let width = counts.keys().map(|c| c.len()).max().unwrap_or(0);
        for (code, n) in counts {
            writeln!(f, "  {code:<width$}  {n:>4}")?;
        }
        Ok(())
    }
}

/// A report with findings is an error where a clean network was required.
impl std::error::Error for Report {}

fn write_part<'a, V: fmt::Display + 'a>(
    f: &mut fmt::Formatter<'_>,
    title: &str,
    findings: impl ExactSizeIterator<Item = (&'static str, &'a V)>,
) -> fmt::Result {
    if findings.len() == 0 {
        return writeln!(f, "{title}: no violations");
    }
    writeln!(f, "{title}: {} violation(s)", findings.len())?;
    for (code, v) in findings {
        writeln!(f, "  [{code}] {v}")?;
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
