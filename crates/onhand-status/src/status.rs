//! The canonical physical stock statuses, the measures each counts toward, and claims
//! (which are not statuses).
//!
//! A unit of stock has exactly one **physical status**: where it is in its life and
//! whether it may be used. **Claims** are different: demand holds claims (a soft
//! reservation, a hard allocation) on *available* stock without changing its status.
//! Reserving ten units leaves them available on hand; it lowers the *free* quantity
//! (available on hand − soft reservations − hard allocations). Picking changes the
//! status (available → picked) and consumes the claim.
//!
//! | status | on hand | available | nettable (default) | valuated |
//! |---|---|---|---|---|
//! | receiving | yes | no | yes | yes |
//! | available | yes | yes | yes | yes |
//! | picked (staged) | yes | no | yes | yes |
//! | quality hold | yes | no | yes | yes |
//! | damaged | yes | no | no | yes |
//! | blocked | yes | no | no | yes |
//! | return pending inspection | yes | no | no | yes |
//! | in transit | no | no | no | yes |
//! | scrapped | no | no | no | no |
//!
//! - **On hand**: physically at a site. In-transit stock is at no site (it belongs to its
//!   transfer order); scrapped stock awaits disposal and no longer counts.
//! - **Available**: may be allocated to demand. Only `available`.
//! - **Nettable**: counted as supply when planning replenishment. Practice varies for
//!   quality hold and receiving (both usually become available soon); onhand nets them
//!   by default and [`MeasureRules::with_nettable`] chooses otherwise. Picked stock is
//!   nettable because the demand it was picked for is netted too.
//! - **Valuated**: carried on some entity's books. In-transit stock is valuated by
//!   whichever entity holds title (the valuation crate decides which).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::StatusError;

/// A canonical physical stock status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StockStatus {
    /// Received at the dock, not yet put away.
    Receiving,
    /// Unrestricted, usable stock.
    Available,
    /// Picked (or staged) for an outbound order or transfer.
    Picked,
    /// Held for quality inspection or quarantine.
    QualityHold,
    /// Damaged: not usable, awaiting disposition.
    Damaged,
    /// Blocked by inventory control (recall, investigation, customs).
    Blocked,
    /// A customer return awaiting inspection.
    ReturnPending,
    /// Shipped by a transfer and not yet received.
    InTransit,
    /// Written off, awaiting disposal.
    Scrapped,
}

/// Which figure a measure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Physically at a site.
    OnHand,
    /// Available for allocation (before claims).
    Available,
    /// Counted as supply by planning.
    Nettable,
    /// Carried on an entity's books.
    Valuated,
}

impl Measure {
    /// Every measure.
    pub const ALL: [Measure; 4] =
        [Measure::OnHand, Measure::Available, Measure::Nettable, Measure::Valuated];
}

impl StockStatus {
    /// Every status, in declaration order.
    pub const ALL: [StockStatus; 9] = [
        StockStatus::Receiving,
        StockStatus::Available,
        StockStatus::Picked,
        StockStatus::QualityHold,
        StockStatus::Damaged,
        StockStatus::Blocked,
        StockStatus::ReturnPending,
        StockStatus::InTransit,
        StockStatus::Scrapped,
    ];

    /// The stable name (as in files).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            StockStatus::Receiving => "receiving",
            StockStatus::Available => "available",
            StockStatus::Picked => "picked",
            StockStatus::QualityHold => "quality_hold",
            StockStatus::Damaged => "damaged",
            StockStatus::Blocked => "blocked",
            StockStatus::ReturnPending => "return_pending",
            StockStatus::InTransit => "in_transit",
            StockStatus::Scrapped => "scrapped",
        }
    }

    /// Parses the stable name.
    ///
    /// # Errors
    /// [`StatusError::UnknownStatus`].
    pub fn parse(name: &str) -> Result<Self, StatusError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == name)
            .ok_or_else(|| StatusError::UnknownStatus { name: name.to_owned() })
    }

    /// The status's position in [`StockStatus::ALL`], for dense arrays.
    #[must_use]
    pub fn index(self) -> usize {
        self as usize
    }

    /// Whether stock in this status is physically at a site.
    #[must_use]
    pub fn is_on_hand(self) -> bool {
        match self {
            StockStatus::Receiving
            | StockStatus::Available
            | StockStatus::Picked
            | StockStatus::QualityHold
            | StockStatus::Damaged
            | StockStatus::Blocked
            | StockStatus::ReturnPending => true,
            StockStatus::InTransit | StockStatus::Scrapped => false,
        }
    }

    /// Whether stock in this status may be allocated to demand.
    #[must_use]
    pub fn is_available(self) -> bool {
        match self {
            StockStatus::Available => true,
            StockStatus::Receiving
            | StockStatus::Picked
            | StockStatus::QualityHold
            | StockStatus::Damaged
            | StockStatus::Blocked
            | StockStatus::ReturnPending
            | StockStatus::InTransit
            | StockStatus::Scrapped => false,
        }
    }

    /// Whether planning nets stock in this status, by the canonical rule (see
    /// [`MeasureRules`] to choose otherwise).
    #[must_use]
    pub fn is_nettable(self) -> bool {
        match self {
            StockStatus::Receiving
            | StockStatus::Available
            | StockStatus::Picked
            | StockStatus::QualityHold => true,
            StockStatus::Damaged
            | StockStatus::Blocked
            | StockStatus::ReturnPending
            | StockStatus::InTransit
            | StockStatus::Scrapped => false,
        }
    }

    /// Whether stock in this status is carried on an entity's books.
    #[must_use]
    pub fn is_valuated(self) -> bool {
        match self {
            StockStatus::Receiving
            | StockStatus::Available
            | StockStatus::Picked
            | StockStatus::QualityHold
            | StockStatus::Damaged
            | StockStatus::Blocked
            | StockStatus::ReturnPending
            | StockStatus::InTransit => true,
            StockStatus::Scrapped => false,
        }
    }

    /// Whether this status counts toward `measure` by the canonical rules.
    #[must_use]
    pub fn counts_toward(self, measure: Measure) -> bool {
        match measure {
            Measure::OnHand => self.is_on_hand(),
            Measure::Available => self.is_available(),
            Measure::Nettable => self.is_nettable(),
            Measure::Valuated => self.is_valuated(),
        }
    }
}

impl fmt::Display for StockStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of statuses, as a bit set (`Copy`, no allocation).
///
/// ```
/// use onhand_status::{StatusSet, StockStatus};
/// let on_hand = StatusSet::on_hand();
/// assert!(on_hand.contains(StockStatus::Blocked));
/// assert!(!on_hand.contains(StockStatus::InTransit));
/// assert_eq!(on_hand.iter().count(), 7);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct StatusSet(u16);

impl StatusSet {
    /// The empty set.
    pub const EMPTY: StatusSet = StatusSet(0);

    /// The set of the given statuses.
    #[must_use]
    pub fn of(statuses: &[StockStatus]) -> Self {
        statuses.iter().fold(Self::EMPTY, |set, s| set.with(*s))
    }

    /// Every status that counts toward `measure` canonically.
    #[must_use]
    pub fn canonical(measure: Measure) -> Self {
        StockStatus::ALL
            .into_iter()
            .filter(|s| s.counts_toward(measure))
            .fold(Self::EMPTY, Self::with)
    }

    /// The on-hand statuses.
    #[must_use]
    pub fn on_hand() -> Self {
        Self::canonical(Measure::OnHand)
    }

    /// This set plus `status`.
    #[must_use]
    pub fn with(self, status: StockStatus) -> Self {
        StatusSet(self.0 | (1 << status.index()))
    }

    /// This set without `status`.
    #[must_use]
    pub fn without(self, status: StockStatus) -> Self {
        StatusSet(self.0 & !(1 << status.index()))
    }

    /// Whether `status` is in the set.
    #[must_use]
    pub fn contains(self, status: StockStatus) -> bool {
        self.0 & (1 << status.index()) != 0
    }

    /// Whether every status of `self` is in `other`.
    #[must_use]
    pub fn is_subset(self, other: StatusSet) -> bool {
        self.0 & !other.0 == 0
    }

    /// The statuses in the set, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = StockStatus> {
        StockStatus::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

impl Serialize for StatusSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for StatusSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let list = Vec::<StockStatus>::deserialize(d)?;
        Ok(StatusSet::of(&list))
    }
}

/// Which statuses count toward each measure. On hand, available and valuated are fixed
/// by definition; the nettable set is a choice (within on hand).
///
/// ```
/// use onhand_status::{Measure, MeasureRules, StatusSet, StockStatus};
/// let strict = MeasureRules::canonical()
///     .with_nettable(StatusSet::of(&[StockStatus::Available, StockStatus::Picked]))?;
/// assert!(!strict.counts(StockStatus::QualityHold, Measure::Nettable));
/// assert!(MeasureRules::canonical().counts(StockStatus::QualityHold, Measure::Nettable));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "MeasureRulesRaw", into = "MeasureRulesRaw")]
pub struct MeasureRules {
    nettable: StatusSet,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MeasureRulesRaw {
    nettable: StatusSet,
}

impl TryFrom<MeasureRulesRaw> for MeasureRules {
    type Error = StatusError;
    fn try_from(raw: MeasureRulesRaw) -> Result<Self, Self::Error> {
        MeasureRules::canonical().with_nettable(raw.nettable)
    }
}

impl From<MeasureRules> for MeasureRulesRaw {
    fn from(r: MeasureRules) -> Self {
        MeasureRulesRaw { nettable: r.nettable }
    }
}

impl Default for MeasureRules {
    fn default() -> Self {
        Self::canonical()
    }
}

impl MeasureRules {
    /// The canonical rules of the module table.
    #[must_use]
    pub fn canonical() -> Self {
        MeasureRules { nettable: StatusSet::canonical(Measure::Nettable) }
    }

    /// The same rules with another nettable set.
    ///
    /// # Errors
    /// [`StatusError::NettableNotOnHand`] when the set holds a status that is not on hand
    /// (in-transit supply is netted as a scheduled receipt, never as stock).
    pub fn with_nettable(self, nettable: StatusSet) -> Result<Self, StatusError> {
        if let Some(bad) = nettable.iter().find(|s| !s.is_on_hand()) {
            return Err(StatusError::NettableNotOnHand { status: bad });
        }
        Ok(MeasureRules { nettable })
    }

    /// The statuses counting toward `measure`.
    #[must_use]
    pub fn statuses(self, measure: Measure) -> StatusSet {
        match measure {
            Measure::Nettable => self.nettable,
            Measure::OnHand | Measure::Available | Measure::Valuated => {
                StatusSet::canonical(measure)
            }
        }
    }

    /// Whether `status` counts toward `measure`.
    #[must_use]
    pub fn counts(self, status: StockStatus, measure: Measure) -> bool {
        self.statuses(measure).contains(status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(status: StockStatus, expected: [bool; 4]) {
        let got = Measure::ALL.map(|m| status.counts_toward(m));
        assert_eq!(got, expected, "{status}");
    }

    #[test]
    fn measure_table_from_the_module_docs() {
        use StockStatus::*;
        check(Receiving, [true, false, true, true]);
        check(Available, [true, true, true, true]);
        check(Picked, [true, false, true, true]);
        check(QualityHold, [true, false, true, true]);
        check(Damaged, [true, false, false, true]);
        check(Blocked, [true, false, false, true]);
        check(ReturnPending, [true, false, false, true]);
        check(InTransit, [false, false, false, true]);
        check(Scrapped, [false, false, false, false]);
    }

    #[test]
    fn available_is_on_hand_and_nettable_is_on_hand() {
        for s in StockStatus::ALL {
            if s.is_available() {
                assert!(s.is_on_hand() && s.is_nettable());
            }
            if s.is_nettable() {
                assert!(s.is_on_hand());
            }
            if s.is_on_hand() {
                assert!(s.is_valuated());
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for s in StockStatus::ALL {
            assert_eq!(StockStatus::parse(s.as_str()).unwrap(), s);
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
            assert_eq!(StockStatus::ALL[s.index()], s);
        }
        assert!(StockStatus::parse("ok").is_err());
    }

    #[test]
    fn nettable_must_be_on_hand() {
        let bad = StatusSet::of(&[StockStatus::Available, StockStatus::InTransit]);
        assert_eq!(
            MeasureRules::canonical().with_nettable(bad),
            Err(StatusError::NettableNotOnHand { status: StockStatus::InTransit })
        );
        let json = r#"{"nettable":["available","in_transit"]}"#;
        assert!(serde_json::from_str::<MeasureRules>(json).is_err());
        let json = r#"{"nettable":["available"]}"#;
        let rules: MeasureRules = serde_json::from_str(json).unwrap();
        assert_eq!(
            rules.statuses(Measure::Nettable).iter().collect::<Vec<_>>(),
            vec![StockStatus::Available]
        );
    }

    #[test]
    fn status_set_operations() {
        let s = StatusSet::of(&[StockStatus::Available, StockStatus::Blocked]);
        assert!(s.contains(StockStatus::Blocked));
        assert!(!s.without(StockStatus::Blocked).contains(StockStatus::Blocked));
        assert!(s.is_subset(StatusSet::on_hand()));
        assert!(!StatusSet::of(&[StockStatus::Scrapped]).is_subset(StatusSet::on_hand()));
    }
}
