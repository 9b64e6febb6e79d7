//! Checks.

use super::*;

/// Which invariants the harness asserts (typed errors and agreement of the booked lines
/// with the model are always asserted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checks(u32);

impl Checks {
    /// No item-site promises more than its supply on any day.
    pub const OVER_ALLOCATION: Checks = Checks(1);
    /// Confirmed plus unconfirmed equals requested, and the schedule covers the confirmed quantity.
    pub const CONSERVATION: Checks = Checks(1 << 1);
    /// Booked schedule lines stay within each quota bucket's capacity.
    pub const QUOTAS: Checks = Checks(1 << 2);
    /// Less urgent lines never take a site below its protected quantity.
    pub const PROTECTION: Checks = Checks(1 << 3);
    /// Deliveries are availability plus handling and transit days, never before today.
    pub const LEAD_TIMES: Checks = Checks(1 << 4);
    /// A dry run changes nothing.
    pub const DRY_RUN: Checks = Checks(1 << 5);
    /// Releasing and re-booking a line round-trips.
    pub const ROUND_TRIP: Checks = Checks(1 << 6);
    /// A sweep changes exactly what it should.
    pub const SWEEP: Checks = Checks(1 << 7);
    /// Re-processing twice changes nothing the second time.
    pub const REPROCESS_TWICE: Checks = Checks(1 << 8);
    /// A simulation changes nothing and matches the real call.
    pub const SIMULATE: Checks = Checks(1 << 9);
    /// Split promises keep their schedule lines consistent.
    pub const SPLITS: Checks = Checks(1 << 10);
    /// Every promising strategy keeps the invariants.
    pub const STRATEGIES: Checks = Checks(1 << 11);
    /// No optional check.
    pub const NONE: Checks = Checks(0);
    /// Every check.
    pub const ALL: Checks = Checks(u32::MAX);

    /// Whether every check in `c` is on.
    #[must_use]
    pub fn has(self, c: Checks) -> bool {
        self.0 & c.0 == c.0
    }

    /// These checks and those of `c`.
    #[must_use]
    pub fn and(self, c: Checks) -> Checks {
        Checks(self.0 | c.0)
    }
}

/// What a line asks for (item index, base steps), or the error the engine must give.
pub(crate) type Expect = Result<(usize, i128), ErrKind>;

/// The kind of a typed error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrKind {
    UnknownItem,
    UnknownSite,
    UnknownRegion,
    Quantity,
    NotRepresentable,
    ZeroQuantity,
    DuplicateLine,
    UnknownLine,
    InvalidClaim,
    QuotaPeriods,
    QuotaShare,
    DayBackwards,
    Other,
}

pub(crate) fn kind(e: &AtpError) -> ErrKind {
    match e {
        AtpError::UnknownItem { .. } => ErrKind::UnknownItem,
        AtpError::UnknownSite { .. } => ErrKind::UnknownSite,
        AtpError::UnknownRegion { .. } => ErrKind::UnknownRegion,
        AtpError::Quantity { .. } => ErrKind::Quantity,
        AtpError::NotRepresentable { .. } => ErrKind::NotRepresentable,
        AtpError::ZeroQuantity { .. } => ErrKind::ZeroQuantity,
        AtpError::DuplicateLine { .. } => ErrKind::DuplicateLine,
        AtpError::UnknownLine { .. } => ErrKind::UnknownLine,
        AtpError::InvalidClaim { .. } => ErrKind::InvalidClaim,
        AtpError::QuotaPeriods { .. } => ErrKind::QuotaPeriods,
        AtpError::QuotaShare { .. } => ErrKind::QuotaShare,
        AtpError::DayBackwards { .. } => ErrKind::DayBackwards,
        _ => ErrKind::Other,
    }
}

pub(crate) fn expect_outcome<T: Debug, U>(
    what: &str,
    expected: &Result<U, ErrKind>,
    got: &Result<T, AtpError>,
) {
    match (expected, got) {
        (Ok(_), Ok(_)) => {}
        (Err(k), Err(e)) => assert_eq!(*k, kind(e), "{what}: expected {k:?}, got {e:?}"),
        (Ok(_), Err(e)) => panic!("{what}: unexpected error {e:?}"),
        (Err(k), Ok(v)) => panic!("{what}: expected {k:?}, got {v:?}"),
    }
}
