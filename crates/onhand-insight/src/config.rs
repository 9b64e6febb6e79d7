//! What the state needs to know before the first record: each site's legal entity,
//! region and working calendar (UTC offset and shift start times), which record marks
//! an order line fulfilled, how late a record may arrive, and the windows the
//! incremental figures use.

use chrono::{DateTime, NaiveTime, Timelike, Utc};
use onhand_master::{EntityCode, MasterData, RegionCode, SiteCode};
use serde::{Deserialize, Serialize};

use crate::error::InsightError;

/// One site: who owns it, where it is, and its shifts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// The site.
    pub site: SiteCode,
    /// The legal entity owning it (figures by entity add up its sites).
    pub entity: EntityCode,
    /// Its region (stockout risk by region).
    pub region: RegionCode,
    /// Minutes to add to UTC for the site's local time (-720 to 840; no daylight saving:
    /// a host that observes it sends the offset of the season in a new configuration).
    #[serde(default)]
    pub utc_offset_minutes: i32,
    /// Local start times of the shifts, ascending. A time before the first start
    /// belongs to the last shift (a night shift across midnight). Empty: one shift.
    #[serde(default)]
    pub shift_starts: Vec<NaiveTime>,
}

impl SiteConfig {
    /// The shift (index into `shift_starts`) that `at` falls in, in the site's calendar.
    #[must_use]
    pub fn shift_of(&self, at: DateTime<Utc>) -> u8 {
        if self.shift_starts.len() <= 1 {
            return 0;
        }
        let secs =
            i64::from(at.num_seconds_from_midnight()) + i64::from(self.utc_offset_minutes) * 60;
        let local = u32::try_from(secs.rem_euclid(86_400)).unwrap_or(0);
        let started = self.shift_starts.iter().filter(|s| s.num_seconds_from_midnight() <= local);
        let n = started.count();
        let ix = if n == 0 { self.shift_starts.len() - 1 } else { n - 1 };
        u8::try_from(ix).unwrap_or(u8::MAX)
    }
}

/// Which record marks an order line as fulfilled for promise accuracy, perfect order
/// fulfillment and order fulfillment cycle time. Fill rates are always measured on
/// shipments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The host reports deliveries ([`crate::OrderLineDelivered`]); a line is
    /// fulfilled when delivered in full or by its last delivery.
    #[default]
    Delivery,
    /// The host does not: a line is fulfilled when shipped in full or by its last
    /// shipment.
    Shipment,
}

/// The state's configuration.
///
/// ```
/// use onhand_insight::Config;
/// let config = Config::from_master(&onhand_master::seed::demo_network())?;
/// assert!(config.sites.iter().any(|s| s.site.as_str() == "ATL"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Every site records may name.
    pub sites: Vec<SiteConfig>,
    /// Which record fulfills an order line.
    #[serde(default)]
    pub basis: Basis,
    /// How much older than the newest record taken in a record may be (seconds; 0:
    /// records must come in time order).
    #[serde(default)]
    pub lateness_secs: u32,
    /// A count out of tolerance "recurs" when one of the item-site's previous this-many
    /// counts was out of tolerance too (1 to 32).
    #[serde(default = "default_recurrence")]
    pub recurrence_window: u8,
    /// An adjustment or damage at the receiving item-site within this many days of a
    /// supplier's receipt counts against that receipt.
    #[serde(default = "default_follow")]
    pub follow_days: u32,
    /// Upper bounds (days since receipt, inclusive, ascending) of the aging buckets; a
    /// last, open bucket holds everything older.
    #[serde(default = "default_aging")]
    pub aging_buckets: Vec<u32>,
}

fn default_recurrence() -> u8 {
    3
}
fn default_follow() -> u32 {
    7
}
fn default_aging() -> Vec<u32> {
    vec![30, 60, 90, 180, 365]
}

impl Config {
    /// A configuration with these sites and the defaults: delivery basis, no lateness,
    /// recurrence within 3 counts, 7 follow-up days, aging buckets 0–30, 31–60, 61–90,
    /// 91–180, 181–365 and over 365 days.
    #[must_use]
    pub fn new(sites: Vec<SiteConfig>) -> Config {
        Config {
            sites,
            basis: Basis::default(),
            lateness_secs: 0,
            recurrence_window: default_recurrence(),
            follow_days: default_follow(),
            aging_buckets: default_aging(),
        }
    }

    /// The sites of master data, each with its entity and region, on UTC with one
    /// shift (set `utc_offset_minutes` and `shift_starts` afterwards).
    ///
    /// # Errors
    /// [`InsightError::InvalidConfig`] for a site without an entity.
    pub fn from_master(data: &MasterData) -> Result<Config, InsightError> {
        let mut sites = Vec::with_capacity(data.sites.len());
        for s in &data.sites {
            let entity = s.entity.clone().ok_or_else(|| InsightError::InvalidConfig {
                field: "sites",
                reason: format!("site {} has no legal entity", s.code),
            })?;
            sites.push(SiteConfig {
                site: s.code.clone(),
                entity,
                region: s.region.clone(),
                utc_offset_minutes: 0,
                shift_starts: Vec::new(),
            });
        }
        Ok(Config::new(sites))
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// [`InsightError::InvalidConfig`] for no or duplicate sites, more than 65,534
    /// sites, an offset beyond -12:00..+14:00, shift starts not strictly ascending or
    /// more than 255 of them, a recurrence window outside 1..=32, zero follow-up days,
    /// or aging bounds not strictly ascending.
    pub fn validate(&self) -> Result<(), InsightError> {
        let bad = |field, reason: String| Err(InsightError::InvalidConfig { field, reason });
        if self.sites.len() >= usize::from(u16::MAX) {
            return bad("sites", format!("{} sites, at most 65,534", self.sites.len()));
        }
        let mut codes: Vec<&SiteCode> = self.sites.iter().map(|s| &s.site).collect();
        codes.sort();
        if let Some(w) = codes.windows(2).find(|w| w.first() == w.get(1)) {
            return bad(
                "sites",
                format!("site {} listed twice", w.first().map_or("", |s| s.as_str())),
            );
        }
        for s in &self.sites {
            if !(-720..=840).contains(&s.utc_offset_minutes) {
                return bad(
                    "utc_offset_minutes",
                    format!("{} at {}", s.utc_offset_minutes, s.site),
                );
            }
            if s.shift_starts.len() > 255
                || s.shift_starts.windows(2).any(|w| w.first() >= w.get(1))
            {
                return bad("shift_starts", format!("not strictly ascending at {}", s.site));
            }
        }
        if !(1..=32).contains(&self.recurrence_window) {
            return bad(
                "recurrence_window",
                format!("{} is not in 1..=32", self.recurrence_window),
            );
        }
        if self.follow_days == 0 {
            return bad("follow_days", "must be at least 1".into());
        }
        if self.aging_buckets.windows(2).any(|w| w.first() >= w.get(1)) {
            return bad("aging_buckets", "bounds must be strictly ascending".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(offset: i32, starts: &[(u32, u32)]) -> SiteConfig {
        SiteConfig {
            site: "ATL".parse().unwrap(),
            entity: "NA01".parse().unwrap(),
            region: "US-SE".parse().unwrap(),
            utc_offset_minutes: offset,
            shift_starts: starts
                .iter()
                .map(|(h, m)| NaiveTime::from_hms_opt(*h, *m, 0).unwrap())
                .collect(),
        }
    }

    #[test]
    fn shifts_follow_the_local_calendar() {
        // Atlanta in winter: UTC-5. Shifts at 06:00, 14:00, 22:00 local.
        let s = site(-300, &[(6, 0), (14, 0), (22, 0)]);
        let at = |h: u32| DateTime::from_timestamp(1_767_225_600 + i64::from(h) * 3600, 0).unwrap();
        // 1_767_225_600 is 2026-01-01 00:00 UTC = 2025-12-31 19:00 local: second shift.
        assert_eq!(s.shift_of(at(0)), 1);
        assert_eq!(s.shift_of(at(3)), 2); // 22:00 local: third shift
        assert_eq!(s.shift_of(at(8)), 2); // 03:00 local: night shift across midnight
        assert_eq!(s.shift_of(at(11)), 0); // 06:00 local
        assert_eq!(site(0, &[]).shift_of(at(5)), 0);
    }

    #[test]
    fn bad_configurations_are_refused() {
        let mut c = Config::new(vec![site(0, &[])]);
        assert!(c.validate().is_ok());
        c.sites.push(site(0, &[]));
        assert_eq!(c.validate().unwrap_err().code(), "invalid_config");
        let mut c = Config::new(vec![site(900, &[])]);
        assert!(c.validate().is_err());
        c.sites = vec![site(0, &[(8, 0), (8, 0)])];
        assert!(c.validate().is_err());
        c.sites = vec![site(0, &[])];
        c.recurrence_window = 0;
        assert!(c.validate().is_err());
        c.recurrence_window = 3;
        c.aging_buckets = vec![30, 30];
        assert!(c.validate().is_err());
    }
}
