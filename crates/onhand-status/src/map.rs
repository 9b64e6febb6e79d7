//! Site status maps: each site's local status codes mapped onto the canonical taxonomy,
//! validated, and translated both ways.
//!
//! A [`SiteStatusMap`] is plain data as a site's warehouse system describes itself: the
//! local codes it uses, and for each canonical status the local codes that mean it (the
//! first one listed is the one written back when translating canonical → local).
//!
//! ```toml
//! [[status_maps]]
//! site = "ATL"
//! codes = ["UR", "QI", "BLK", "DMG", "GR", "PK", "RET", "SCR"]
//! map = { available = ["UR"], quality_hold = ["QI"], blocked = ["BLK"], damaged = ["DMG"],
//!         receiving = ["GR"], picked = ["PK"], return_pending = ["RET"], scrapped = ["SCR"] }
//! ```
//!
//! [`validate_maps`] reports, each with a stable code:
//!
//! | code | finding |
//! |---|---|
//! | `unknown_reference` | the map names a site that does not exist, or maps a code the site does not declare |
//! | `duplicate_code` | two maps for one site, or one local code declared twice |
//! | `unmapped_local_code` | a declared local code maps to no canonical status |
//! | `conflicting_local_code` | one local code is claimed by two canonical statuses |
//! | `inexpressible_status` | a canonical status a site can hold has no local code |
//!
//! In-transit stock is at no site (it belongs to its transfer order), so a site need
//! not express `in_transit`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use onhand_master::{LocalStatusCode, MasterData, SiteCode};
use serde::{Deserialize, Serialize};

use crate::error::StatusError;
use crate::status::StockStatus;

/// One site's local status codes and how they map to canonical statuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteStatusMap {
    /// The site.
    pub site: SiteCode,
    /// Every local code the site's system uses.
    pub codes: Vec<LocalStatusCode>,
    /// For each canonical status, the local codes that mean it (primary first). A status
    /// given twice is refused when read (`duplicate key`), in JSON as TOML refuses it,
    /// rather than keeping the last silently.
    #[serde(default, deserialize_with = "unique_statuses")]
    pub map: BTreeMap<StockStatus, Vec<LocalStatusCode>>,
}

/// Reads a status map's `map`, refusing a status given twice: a JSON object may repeat a
/// key, and a `BTreeMap` would keep the last one silently. The error is raised as the
/// repeated key is read, so it carries its place and the field path.
fn unique_statuses<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<StockStatus, Vec<LocalStatusCode>>, D::Error> {
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = BTreeMap<StockStatus, Vec<LocalStatusCode>>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map of canonical statuses to local codes")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(status) = map.next_key::<StockStatus>()? {
                if out.contains_key(&status) {
                    return Err(serde::de::Error::custom(format_args!("duplicate key `{status}`")));
                }
                let codes = map.next_value()?;
                out.insert(status, codes);
            }
            Ok(out)
        }
    }
    deserializer.deserialize_map(Visitor)
}

/// A finding about status maps.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusMapViolation {
    /// The map names a site that does not exist.
    UnknownSite {
        /// The site.
        site: SiteCode,
    },
    /// A site has more than one map.
    DuplicateMap {
        /// The site.
        site: SiteCode,
    },
    /// A local code is declared twice.
    DuplicateLocalCode {
        /// The site.
        site: SiteCode,
        /// The code.
        code: LocalStatusCode,
    },
    /// A canonical status lists a local code the site does not declare.
    UndeclaredLocalCode {
        /// The site.
        site: SiteCode,
        /// The code.
        code: LocalStatusCode,
        /// The status listing it.
        status: StockStatus,
    },
    /// A declared local code maps to no canonical status.
    UnmappedLocalCode {
        /// The site.
        site: SiteCode,
        /// The code.
        code: LocalStatusCode,
    },
    /// One local code is claimed by two or more canonical statuses.
    ConflictingLocalCode {
        /// The site.
        site: SiteCode,
        /// The code.
        code: LocalStatusCode,
        /// The statuses claiming it.
        statuses: Vec<StockStatus>,
    },
    /// A canonical status the site can hold has no local code.
    InexpressibleStatus {
        /// The site.
        site: SiteCode,
        /// The status.
        status: StockStatus,
    },
}

impl StatusMapViolation {
    /// Every stable code a status-map finding can carry, sorted.
    pub const CODES: [&'static str; 5] = [
        "conflicting_local_code",
        "duplicate_code",
        "inexpressible_status",
        "unknown_reference",
        "unmapped_local_code",
    ];

    /// The stable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            StatusMapViolation::UnknownSite { .. }
            | StatusMapViolation::UndeclaredLocalCode { .. } => "unknown_reference",
            StatusMapViolation::DuplicateMap { .. }
            | StatusMapViolation::DuplicateLocalCode { .. } => "duplicate_code",
            StatusMapViolation::UnmappedLocalCode { .. } => "unmapped_local_code",
            StatusMapViolation::ConflictingLocalCode { .. } => "conflicting_local_code",
            StatusMapViolation::InexpressibleStatus { .. } => "inexpressible_status",
        }
    }

    /// The kind of record it is about: `status_map` or `local_status`.
    #[must_use]
    pub fn record_kind(&self) -> &'static str {
        match self {
            StatusMapViolation::UnknownSite { .. }
            | StatusMapViolation::DuplicateMap { .. }
            | StatusMapViolation::InexpressibleStatus { .. } => "status_map",
            StatusMapViolation::DuplicateLocalCode { .. }
            | StatusMapViolation::UndeclaredLocalCode { .. }
            | StatusMapViolation::UnmappedLocalCode { .. }
            | StatusMapViolation::ConflictingLocalCode { .. } => "local_status",
        }
    }

    /// The record's key: the site, or `site/local-code`.
    #[must_use]
    pub fn record_key(&self) -> String {
        match self {
            StatusMapViolation::UnknownSite { site }
            | StatusMapViolation::DuplicateMap { site }
            | StatusMapViolation::InexpressibleStatus { site, .. } => site.to_string(),
            StatusMapViolation::DuplicateLocalCode { site, code }
            | StatusMapViolation::UndeclaredLocalCode { site, code, .. }
            | StatusMapViolation::UnmappedLocalCode { site, code }
            | StatusMapViolation::ConflictingLocalCode { site, code, .. } => {
                format!("{site}/{code}")
            }
        }
    }
}

impl fmt::Display for StatusMapViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusMapViolation::UnknownSite { site } => {
                write!(f, "status map for site {site}, which does not exist")
            }
            StatusMapViolation::DuplicateMap { site } => {
                write!(f, "site {site} has more than one status map")
            }
            StatusMapViolation::DuplicateLocalCode { site, code } => {
                write!(f, "site {site} declares local status {code} twice")
            }
            StatusMapViolation::UndeclaredLocalCode { site, code, status } => write!(
                f,
                "site {site} maps {status} to local status {code}, which it does not declare"
            ),
            StatusMapViolation::UnmappedLocalCode { site, code } => {
                write!(f, "site {site}: local status {code} maps to no canonical status")
            }
            StatusMapViolation::ConflictingLocalCode { site, code, statuses } => {
                let names: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
                write!(f, "site {site}: local status {code} is claimed by {}", names.join(" and "))
            }
            StatusMapViolation::InexpressibleStatus { site, status } => {
                write!(f, "site {site} has no local status for {status}")
            }
        }
    }
}

/// Serialized as `{ "code", "record": { "kind", "key" }, "message" }`, like master-data
/// violations.
impl Serialize for StatusMapViolation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        #[derive(Serialize)]
        struct Rec {
            kind: &'static str,
            key: String,
        }
        let mut st = s.serialize_struct("StatusMapViolation", 3)?;
        st.serialize_field("code", self.code())?;
        st.serialize_field("record", &Rec { kind: self.record_kind(), key: self.record_key() })?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}

/// Whether a site must have a local code for `status`.
fn site_must_express(status: StockStatus) -> bool {
    match status {
        StockStatus::InTransit => false,
        StockStatus::Receiving
        | StockStatus::Available
        | StockStatus::Picked
        | StockStatus::QualityHold
        | StockStatus::Damaged
        | StockStatus::Blocked
        | StockStatus::ReturnPending
        | StockStatus::Scrapped => true,
    }
}

/// Checks status maps against the network's sites and reports every finding.
///
/// ```
/// use onhand_master::seed;
/// use onhand_status::{demo_status_maps, validate_maps};
/// let master = seed::demo_network();
/// let mut maps = demo_status_maps();
/// assert!(validate_maps(&maps, &master).is_empty());
/// maps[0].map.remove(&onhand_status::StockStatus::Damaged);
/// let found = validate_maps(&maps, &master);
/// assert_eq!(found.iter().map(|v| v.code()).collect::<Vec<_>>(),
///            ["unmapped_local_code", "inexpressible_status"]);
/// ```
#[must_use]
pub fn validate_maps(maps: &[SiteStatusMap], master: &MasterData) -> Vec<StatusMapViolation> {
    let sites: BTreeSet<&SiteCode> = master.sites.iter().map(|s| &s.code).collect();
    let mut out = Vec::new();
    let mut seen_sites = BTreeSet::new();
    for m in maps {
        let site = &m.site;
        if !sites.contains(site) {
            out.push(StatusMapViolation::UnknownSite { site: site.clone() });
        }
        if !seen_sites.insert(site) {
            out.push(StatusMapViolation::DuplicateMap { site: site.clone() });
        }
        let mut declared = BTreeSet::new();
        for code in &m.codes {
            if !declared.insert(code) {
                out.push(StatusMapViolation::DuplicateLocalCode {
                    site: site.clone(),
                    code: code.clone(),
                });
            }
        }
        let mut claims: BTreeMap<&LocalStatusCode, Vec<StockStatus>> = BTreeMap::new();
        for (status, codes) in &m.map {
            for code in codes {
                if !declared.contains(code) {
                    out.push(StatusMapViolation::UndeclaredLocalCode {
                        site: site.clone(),
                        code: code.clone(),
                        status: *status,
                    });
                }
                let list = claims.entry(code).or_default();
                if !list.contains(status) {
                    list.push(*status);
                }
            }
        }
        for code in &m.codes {
            match claims.get(code).map(Vec::as_slice) {
                None | Some([]) => {
                    out.push(StatusMapViolation::UnmappedLocalCode {
                        site: site.clone(),
                        code: code.clone(),
                    });
                }
                Some([_]) => {}
                Some(many) => {
                    if declared.contains(code)
                        && out.iter().all(|v| !is_conflict_for(v, site, code))
                    {
                        out.push(StatusMapViolation::ConflictingLocalCode {
                            site: site.clone(),
                            code: code.clone(),
                            statuses: many.to_vec(),
                        });
                    }
                }
            }
        }
        for status in StockStatus::ALL {
            let expressed = m.map.get(&status).is_some_and(|c| !c.is_empty());
            if site_must_express(status) && !expressed {
                out.push(StatusMapViolation::InexpressibleStatus { site: site.clone(), status });
            }
        }
    }
    out
}

fn is_conflict_for(v: &StatusMapViolation, site: &SiteCode, code: &LocalStatusCode) -> bool {
    matches!(v, StatusMapViolation::ConflictingLocalCode { site: s, code: c, .. } if s == site && c == code)
}

/// One site's validated map, translating both ways.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMap {
    site: SiteCode,
    to_canonical: BTreeMap<LocalStatusCode, StockStatus>,
    to_local: BTreeMap<StockStatus, LocalStatusCode>,
}

impl StatusMap {
    /// The site.
    #[must_use]
    pub fn site(&self) -> &SiteCode {
        &self.site
    }

    /// The canonical status a local code means.
    ///
    /// # Errors
    /// [`StatusError::UnknownLocalCode`].
    pub fn to_canonical(&self, code: &LocalStatusCode) -> Result<StockStatus, StatusError> {
        self.to_canonical.get(code).copied().ok_or_else(|| StatusError::UnknownLocalCode {
            site: self.site.clone(),
            code: code.clone(),
        })
    }

    /// The site's (primary) local code for a canonical status.
    ///
    /// # Errors
    /// [`StatusError::Inexpressible`] when the site has no code for it (in transit).
    pub fn to_local(&self, status: StockStatus) -> Result<&LocalStatusCode, StatusError> {
        self.to_local
            .get(&status)
            .ok_or_else(|| StatusError::Inexpressible { site: self.site.clone(), status })
    }
}

/// Every site's validated status map.
///
/// ```
/// use onhand_master::{seed, LocalStatusCode, SiteCode};
/// use onhand_status::{demo_status_maps, StatusMaps, StockStatus};
/// let maps = StatusMaps::new(&demo_status_maps(), &seed::demo_network())?;
/// let yyz = maps.get(&SiteCode::new("YYZ")?).ok_or("no map")?;
/// assert_eq!(yyz.to_canonical(&LocalStatusCode::new("QUAR")?)?, StockStatus::QualityHold);
/// assert_eq!(yyz.to_local(StockStatus::QualityHold)?.as_str(), "INSP");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusMaps {
    maps: BTreeMap<SiteCode, StatusMap>,
}

impl StatusMaps {
    /// Validates and builds the maps.
    ///
    /// # Errors
    /// [`StatusError::InvalidMaps`] with every finding when any exists.
    pub fn new(specs: &[SiteStatusMap], master: &MasterData) -> Result<Self, StatusError> {
        let found = validate_maps(specs, master);
        if !found.is_empty() {
            return Err(StatusError::InvalidMaps { violations: found });
        }
        let mut maps = BTreeMap::new();
        for spec in specs {
            let mut to_canonical = BTreeMap::new();
            let mut to_local = BTreeMap::new();
            for (status, codes) in &spec.map {
                for code in codes {
                    to_canonical.insert(code.clone(), *status);
                }
                if let Some(primary) = codes.first() {
                    to_local.insert(*status, primary.clone());
                }
            }
            maps.insert(
                spec.site.clone(),
                StatusMap { site: spec.site.clone(), to_canonical, to_local },
            );
        }
        Ok(StatusMaps { maps })
    }

    /// The map of a site, if it has one (a site without one uses canonical names).
    #[must_use]
    pub fn get(&self, site: &SiteCode) -> Option<&StatusMap> {
        self.maps.get(site)
    }

    /// Translates a site's local code; a site without a map must use the canonical name.
    ///
    /// # Errors
    /// [`StatusError::UnknownLocalCode`].
    pub fn to_canonical(
        &self,
        site: &SiteCode,
        code: &LocalStatusCode,
    ) -> Result<StockStatus, StatusError> {
        match self.maps.get(site) {
            Some(m) => m.to_canonical(code),
            None => StockStatus::parse(code.as_str()).map_err(|_| StatusError::UnknownLocalCode {
                site: site.clone(),
                code: code.clone(),
            }),
        }
    }
}

/// Status maps for the demo network: the US sites share one warehouse system's codes,
/// the Canadian DCs another, and the 3PL its provider's.
///
/// # Panics
/// Never: it is built from literals that the crate's tests check.
#[must_use]
pub fn demo_status_maps() -> Vec<SiteStatusMap> {
    type Table = &'static [(StockStatus, &'static [&'static str])];
    let us: Table = &[
        (StockStatus::Receiving, &["GR"]),
        (StockStatus::Available, &["UR"]),
        (StockStatus::Picked, &["PK", "STG"]),
        (StockStatus::QualityHold, &["QI"]),
        (StockStatus::Damaged, &["DMG"]),
        (StockStatus::Blocked, &["BLK"]),
        (StockStatus::ReturnPending, &["RET"]),
        (StockStatus::Scrapped, &["SCR"]),
    ];
    let ca: Table = &[
        (StockStatus::Receiving, &["RECV"]),
        (StockStatus::Available, &["AVAIL"]),
        (StockStatus::Picked, &["PICKED"]),
        (StockStatus::QualityHold, &["INSP", "QUAR"]),
        (StockStatus::Damaged, &["DAMAGE"]),
        (StockStatus::Blocked, &["HOLD"]),
        (StockStatus::ReturnPending, &["RMA"]),
        (StockStatus::Scrapped, &["WRITEOFF"]),
    ];
    let tpl: Table = &[
        (StockStatus::Receiving, &["10"]),
        (StockStatus::Available, &["20"]),
        (StockStatus::Picked, &["30"]),
        (StockStatus::QualityHold, &["40"]),
        (StockStatus::Damaged, &["50"]),
        (StockStatus::Blocked, &["60"]),
        (StockStatus::ReturnPending, &["70"]),
        (StockStatus::Scrapped, &["90"]),
    ];
    let sites: &[(&str, Table)] = &[
        ("ATL", us),
        ("DFW", us),
        ("ORD", us),
        ("LAX", us),
        ("BOS-BR", us),
        ("MEM-XD", us),
        ("YYZ", ca),
        ("YVR", ca),
        ("YUL-3PL", tpl),
    ];
    sites
        .iter()
        .map(|(site, table)| {
            let code = |c: &str| LocalStatusCode::new(c).expect("demo status code literal");
            let codes = table.iter().flat_map(|(_, cs)| cs.iter().map(|c| code(c))).collect();
            let map =
                table.iter().map(|(s, cs)| (*s, cs.iter().map(|c| code(c)).collect())).collect();
            SiteStatusMap { site: SiteCode::new(*site).expect("demo site literal"), codes, map }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use onhand_master::seed;

    fn code(s: &str) -> LocalStatusCode {
        LocalStatusCode::new(s).unwrap()
    }

    fn codes(found: &[StatusMapViolation]) -> Vec<&'static str> {
        found.iter().map(StatusMapViolation::code).collect()
    }

    #[test]
    fn demo_maps_are_valid_and_cover_every_site() {
        let master = seed::demo_network();
        let maps = demo_status_maps();
        assert!(validate_maps(&maps, &master).is_empty());
        assert_eq!(maps.len(), master.sites.len());
    }

    #[test]
    fn each_defect_is_reported_with_its_code() {
        let master = seed::demo_network();
        let base = demo_status_maps();

        let mut m = base.clone();
        m[0].codes.push(code("XX"));
        assert_eq!(codes(&validate_maps(&m, &master)), ["unmapped_local_code"]);

        let mut m = base.clone();
        m[0].map.get_mut(&StockStatus::Blocked).unwrap().push(code("UR"));
        let found = validate_maps(&m, &master);
        assert_eq!(codes(&found), ["conflicting_local_code"]);
        assert_eq!(
            found[0].to_string(),
            "site ATL: local status UR is claimed by available and blocked"
        );

        let mut m = base.clone();
        m[0].map.remove(&StockStatus::Scrapped);
        m[0].codes.retain(|c| c.as_str() != "SCR");
        assert_eq!(codes(&validate_maps(&m, &master)), ["inexpressible_status"]);

        let mut m = base.clone();
        m[0].map.get_mut(&StockStatus::Blocked).unwrap().push(code("NEW"));
        assert_eq!(codes(&validate_maps(&m, &master)), ["unknown_reference"]);

        let mut m = base.clone();
        m[0].site = SiteCode::new("NOWHERE").unwrap();
        assert_eq!(codes(&validate_maps(&m, &master)), ["unknown_reference"]);

        let mut m = base.clone();
        m.push(base[0].clone());
        assert_eq!(codes(&validate_maps(&m, &master)), ["duplicate_code"]);

        let mut m = base;
        m[0].codes.push(code("UR"));
        assert_eq!(codes(&validate_maps(&m, &master)), ["duplicate_code"]);
    }

    #[test]
    fn translation_works_both_ways() {
        let master = seed::demo_network();
        let maps = StatusMaps::new(&demo_status_maps(), &master).unwrap();
        let atl = SiteCode::new("ATL").unwrap();
        let m = maps.get(&atl).unwrap();
        for status in StockStatus::ALL {
            match m.to_local(status) {
                Ok(local) => assert_eq!(m.to_canonical(local).unwrap(), status),
                Err(e) => {
                    assert_eq!(status, StockStatus::InTransit);
                    assert!(matches!(e, StatusError::Inexpressible { .. }));
                }
            }
        }
        assert_eq!(m.to_canonical(&code("STG")).unwrap(), StockStatus::Picked);
        assert_eq!(m.to_local(StockStatus::Picked).unwrap().as_str(), "PK");
        assert!(m.to_canonical(&code("ZZ")).is_err());
        let unmapped_site = SiteCode::new("ELSEWHERE").unwrap();
        assert_eq!(
            maps.to_canonical(&unmapped_site, &code("available")).unwrap(),
            StockStatus::Available
        );
    }

    #[test]
    fn the_module_doc_toml_parses() {
        #[derive(serde::Deserialize)]
        struct Doc {
            status_maps: Vec<SiteStatusMap>,
        }
        let text = r#"
[[status_maps]]
site = "ATL"
codes = ["UR", "QI", "BLK", "DMG", "GR", "PK", "RET", "SCR"]
map = { available = ["UR"], quality_hold = ["QI"], blocked = ["BLK"], damaged = ["DMG"],
        receiving = ["GR"], picked = ["PK"], return_pending = ["RET"], scrapped = ["SCR"] }
"#;
        let doc: Doc = toml::from_str(text).unwrap();
        assert!(validate_maps(&doc.status_maps, &seed::demo_network()).is_empty());
    }

    #[test]
    fn invalid_maps_do_not_build() {
        let mut m = demo_status_maps();
        m[0].codes.push(code("XX"));
        let err = StatusMaps::new(&m, &seed::demo_network()).unwrap_err();
        assert!(
            matches!(err, StatusError::InvalidMaps { ref violations } if violations.len() == 1)
        );
    }
}
