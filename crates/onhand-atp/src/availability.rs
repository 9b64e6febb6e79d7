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
    ///
    /// ```
    /// use onhand_atp::Availability;
    /// assert_eq!(Availability::Limited(5).limited(), Some(5));
    /// assert_eq!(Availability::<i32>::Unlimited.limited(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn limited(self) -> Option<Q> {
        match self {
            Availability::Limited(q) => Some(q),
            Availability::Unlimited => None,
        }
    }

    /// Whether it is unlimited.
    ///
    /// ```
    /// use onhand_atp::Availability;
    /// assert!(Availability::<i32>::Unlimited.is_unlimited());
    /// assert!(!Availability::Limited(5).is_unlimited());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_unlimited(&self) -> bool {
        matches!(self, Availability::Unlimited)
    }

    /// The limited quantity mapped by `f`; unlimited stays unlimited.
    ///
    /// ```
    /// use onhand_atp::Availability;
    /// assert_eq!(Availability::Limited(5).map(|q| q * 2), Availability::Limited(10));
    /// assert_eq!(Availability::<i32>::Unlimited.map(|q| q * 2), Availability::Unlimited);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
    ///
    /// ```
    /// use onhand_atp::Availability;
    /// let half = |q: i32| if q % 2 == 0 { Ok(q / 2) } else { Err("odd") };
    /// assert_eq!(Availability::Limited(10).try_map(half), Ok(Availability::Limited(5)));
    /// assert_eq!(Availability::Limited(5).try_map(half), Err("odd"));
    /// assert_eq!(Availability::Unlimited.try_map(half), Ok(Availability::Unlimited));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_map<R, E>(self, f: impl FnOnce(Q) -> Result<R, E>) -> Result<Availability<R>, E> {
        Ok(match self {
            Availability::Limited(q) => Availability::Limited(f(q)?),
            Availability::Unlimited => Availability::Unlimited,
        })
    }

    /// How much of `asked` this covers: `asked` when unlimited, else the smaller of the
    /// two.
    ///
    /// ```
    /// use onhand_atp::Availability;
    /// assert_eq!(Availability::Limited(10).covered(25), 10);
    /// assert_eq!(Availability::Limited(10).covered(4), 4);
    /// assert_eq!(Availability::Unlimited.covered(25), 25);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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

/// Reads an `Availability<Decimal>` whose quantity follows the plain-decimal rule of
/// [`onhand_master::decimal::serde_str`] (no underscores, exponents or floats), for
/// `#[serde(deserialize_with = "...")]`; it writes as the derive does.
pub(crate) fn plain<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Availability<rust_decimal::Decimal>, D::Error> {
    Ok(Availability::<onhand_master::decimal::serde_str::Plain>::deserialize(d)?.map(|p| p.0))
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;
    use serde::Deserialize;

    use super::Availability;

    #[derive(Debug, Deserialize)]
    struct Offer(#[serde(deserialize_with = "super::plain")] Availability<Decimal>);

    #[test]
    fn a_quantity_read_through_the_plain_rule_refuses_underscores_without_recursing() {
        let read = |s: &str| serde_json::from_str::<Offer>(s).map(|o| o.0);
        assert_eq!(
            read(r#"{"limited": "12.5"}"#).unwrap(),
            Availability::Limited(Decimal::new(125, 1))
        );
        assert_eq!(read(r#""unlimited""#).unwrap(), Availability::Unlimited);
        assert!(read(r#"{"limited": "1_0"}"#).is_err());
        assert!(read(r#"{"limited": 1.5}"#).is_err());
        // rust_decimal's own parser recurses once per `_`: this aborted the process.
        let hostile = format!(r#"{{"limited": "2{}"}}"#, "_".repeat(1_000_000));
        assert!(read(&hostile).is_err());
    }
}
