//! Promises: what the engine confirms for a line, where from, by when, and what limited
//! it. Every confirmation explains itself.

use std::fmt;

use chrono::NaiveDate;
use onhand_master::{ItemIx, SiteIx};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::demand::LineId;

/// A rule that kept a line from being confirmed in full on time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Limit {
    /// Not enough stock or supply in time at any candidate site.
    Stock,
    /// The demand class's allocation quota for the period was used up.
    Quota,
    /// Stock was there but protected for more urgent demand.
    Protection,
    /// The requested date leaves less time than handling and transit take.
    LeadTime,
    /// Confirmed beyond the checking horizon against assumed supply.
    Horizon,
    /// Splitting was not allowed, or the pieces would be under the minimum split.
    Split,
    /// No site delivers to the ship-to region.
    NoSource,
}

impl Limit {
    const ALL: [Limit; 7] = [
        Limit::Stock,
        Limit::Quota,
        Limit::Protection,
        Limit::LeadTime,
        Limit::Horizon,
        Limit::Split,
        Limit::NoSource,
    ];

    /// The stable name.
    ///
    /// ```
    /// use onhand_atp::Limit;
    /// assert_eq!(Limit::Stock.as_str(), "stock");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::Stock => "stock",
            Limit::Quota => "quota",
            Limit::Protection => "protection",
            Limit::LeadTime => "lead_time",
            Limit::Horizon => "horizon",
            Limit::Split => "split",
            Limit::NoSource => "no_source",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of [`Limit`]s (`Copy`, no allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Limits(u8);

impl Limits {
    /// Adds a limit.
    ///
    /// ```
    /// use onhand_atp::{Limit, Limits};
    /// let mut l = Limits::default();
    /// l.add(Limit::Stock);
    /// l.add(Limit::Stock);
    /// assert_eq!(l.iter().collect::<Vec<_>>(), [Limit::Stock]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add(&mut self, l: Limit) {
        self.0 |= l.bit();
    }

    /// Whether it holds `l`.
    ///
    /// ```
    /// use onhand_atp::{Limit, Limits};
    /// let mut l = Limits::default();
    /// assert!(!l.has(Limit::Stock));
    /// l.add(Limit::Stock);
    /// assert!(l.has(Limit::Stock));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn has(self, l: Limit) -> bool {
        self.0 & l.bit() != 0
    }

    /// Whether it is empty.
    ///
    /// ```
    /// use onhand_atp::{Limit, Limits};
    /// let mut l = Limits::default();
    /// assert!(l.is_empty());
    /// l.add(Limit::Stock);
    /// assert!(!l.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The set as bits, one per [`Limit`] in declaration order.
    pub(crate) fn bits(self) -> u8 {
        self.0
    }

    /// The set of these bits, if every bit names a limit.
    pub(crate) fn from_bits(bits: u8) -> Option<Limits> {
        let all = Limit::ALL.iter().fold(0u8, |acc, l| acc | l.bit());
        (bits & !all == 0).then_some(Limits(bits))
    }

    /// The limits, in declaration order.
    ///
    /// ```
    /// use onhand_atp::{Limit, Limits};
    /// let mut l = Limits::default();
    /// l.add(Limit::Stock);
    /// assert_eq!(l.iter().map(Limit::as_str).collect::<Vec<_>>(), ["stock"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter(self) -> impl Iterator<Item = Limit> {
        Limit::ALL.into_iter().filter(move |l| self.has(*l))
    }
}

impl fmt::Display for Limits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Limit::as_str).collect();
        f.write_str(&names.join(", "))
    }
}

impl Serialize for Limits {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Limits {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut out = Limits::default();
        for l in Vec::<Limit>::deserialize(d)? {
            out.add(l);
        }
        Ok(out)
    }
}

/// One confirmed schedule line: a quantity of an item from a site, available there on a
/// date, delivered on another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleLine {
    /// The item shipped (the ordered one, or a substitute).
    pub item: ItemIx,
    /// The shipping site.
    pub site: SiteIx,
    /// The quantity, in the shipped item's base units.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub qty: Decimal,
    /// The material availability date at the site.
    pub available_on: NaiveDate,
    /// The delivery date (availability plus handling and transit).
    pub delivery: NaiveDate,
}

/// What the engine confirms for one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promise {
    /// The line.
    pub line: LineId,
    /// Requested, in the ordered item's base units.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub requested: Decimal,
    /// Confirmed, in the ordered item's base units (substitutes counted by their ratio).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub confirmed: Decimal,
    /// Not confirmed (requested − confirmed).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub unconfirmed: Decimal,
    /// The schedule lines, in the order they were found (read with [`Promise::schedule`]).
    pub(crate) schedule: SmallVec<[ScheduleLine; 2]>,
    /// Whether everything confirmed arrives by the requested date and nothing is missing.
    pub on_time: bool,
    /// What kept it from full, on-time confirmation (empty when it was).
    pub limits: Limits,
}

impl Promise {
    /// The schedule lines, in the order they were found: where and when the confirmed
    /// quantity ships. Empty when nothing was confirmed.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_atp::{Atp, AtpConfig, Claim, LineId, OrderLine};
    /// use onhand_master::{seed, Catalog};
    /// use chrono::NaiveDate;
    ///
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).ok_or("date");
    /// let mut atp = Atp::new(catalog, AtpConfig::default(), day(5)?)?;
    /// atp.set_available(&"GLOVE-NIT".parse()?, &"ATL".parse()?, "40 EA".parse()?)?;
    ///
    /// let line = OrderLine::new(LineId(1), "GLOVE-NIT".parse()?, "30 EA".parse()?, day(8)?, "US-SE".parse()?);
    /// let p = atp.allocate(&line, Claim::Hard)?;
    /// assert_eq!(p.schedule().len(), 1);
    /// assert_eq!(p.schedule()[0].qty.to_string(), "30");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn schedule(&self) -> &[ScheduleLine] {
        &self.schedule
    }
}

/// A schedule line in engine units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawLine {
    pub(crate) item: u32,
    pub(crate) site: u16,
    /// Units of `item`.
    pub(crate) units: i64,
    /// Units of the ordered item this line covers.
    pub(crate) covers: i64,
    pub(crate) avail_day: i32,
    pub(crate) delivery: i32,
}

/// A promise in engine units.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct RawPromise {
    pub(crate) lines: SmallVec<[RawLine; 2]>,
    pub(crate) confirmed: i64,
    pub(crate) limits: Limits,
}

impl RawPromise {
    /// The latest delivery among the lines.
    pub(crate) fn last_delivery(&self) -> Option<i32> {
        self.lines.iter().map(|l| l.delivery).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_a_small_set() {
        let mut l = Limits::default();
        assert!(l.is_empty());
        l.add(Limit::Quota);
        l.add(Limit::Stock);
        l.add(Limit::Quota);
        assert_eq!(l.iter().collect::<Vec<_>>(), [Limit::Stock, Limit::Quota]);
        assert_eq!(l.to_string(), "stock, quota");
        let json = serde_json::to_string(&l).unwrap();
        assert_eq!(json, r#"["stock","quota"]"#);
        assert_eq!(serde_json::from_str::<Limits>(&json).unwrap(), l);
    }
}
