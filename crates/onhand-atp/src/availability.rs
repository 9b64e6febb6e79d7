//! [`Availability`]: a quantity, or unlimited beyond the checking horizon. The engine's
//! figures ([`Atp::atp`](crate::Atp::atp), [`SiteOffer::qty`](crate::SiteOffer::qty))
//! are in base units (`Availability<Decimal>`); the facade states them with their unit
//! (`Availability<Qty>`), so one type carries the meaning "unlimited" everywhere.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What can be promised: this much, or, beyond the checking horizon (where new supply
/// can still be ordered in time), as much as is asked.
///
/// `Limited` orders below `Unlimited`, and limited figures by their quantity, so the
/// larger of two availabilities is `max`.
///
/// ```
/// use onhand_atp::Availability;
/// use rust_decimal::Decimal;
///
/// let ten = Availability::Limited(Decimal::TEN);
/// assert_eq!(ten.covered(Decimal::from(25)), Decimal::TEN);
/// assert_eq!(Availability::Unlimited.covered(Decimal::from(25)), Decimal::from(25));
/// assert!(ten < Availability::Unlimited);
/// assert_eq!(Availability::<Decimal>::Unlimited.to_string(), "unlimited");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability<Q> {
    /// This much.
    Limited(Q),
    /// Beyond the checking horizon: as much as is asked.
    Unlimited,
}

impl<Q> Availability<Q> {
    /// The quantity when limited; `None` when unlimited.
    #[must_use]
    pub fn limited(self) -> Option<Q> {
        match self {
            Availability::Limited(q) => Some(q),
            Availability::Unlimited => None,
        }
    }

    /// Whether it is unlimited.
    #[must_use]
    pub fn is_unlimited(&self) -> bool {
        matches!(self, Availability::Unlimited)
    }

    /// The limited quantity mapped by `f`; unlimited stays unlimited.
    #[must_use]
    pub fn map<R>(self, f: impl FnOnce(Q) -> R) -> Availability<R> {
        match self {
            Availability::Limited(q) => Availability::Limited(f(q)),
            Availability::Unlimited => Availability::Unlimited,
        }
    }

    /// The limited quantity mapped by a fallible `f`; unlimited stays unlimited.
    ///
    /// # Errors
    /// What `f` returns.
    pub fn try_map<R, E>(self, f: impl FnOnce(Q) -> Result<R, E>) -> Result<Availability<R>, E> {
        Ok(match self {
            Availability::Limited(q) => Availability::Limited(f(q)?),
            Availability::Unlimited => Availability::Unlimited,
        })
    }

    /// How much of `asked` this covers: `asked` when unlimited, else the smaller of the
    /// two.
    #[must_use]
    pub fn covered(self, asked: Q) -> Q
    where
        Q: Ord,
    {
        match self {
            Availability::Limited(q) => q.min(asked),
            Availability::Unlimited => asked,
        }
    }
}

impl<Q: fmt::Display> fmt::Display for Availability<Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Availability::Limited(q) => q.fmt(f),
            Availability::Unlimited => f.write_str("unlimited"),
        }
    }
}
