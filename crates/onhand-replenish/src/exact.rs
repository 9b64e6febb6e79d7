//! Exact decimal arithmetic for quantities: `Decimal`'s own `checked_add` and
//! `checked_mul` round a result that needs more than 28 digits; these refuse it instead
//! (through `onhand_master`'s `add_exact`, `sub_exact` and `mul_exact`), so a figure that
//! leaves the crate is never silently rounded.

use rust_decimal::Decimal;

/// Exact addition, subtraction and multiplication, `None` where the result is not
/// representable.
pub(crate) trait Exact: Sized {
    /// `self + other`, exactly.
    fn add_x(self, other: Self) -> Option<Self>;
    /// `self - other`, exactly.
    fn sub_x(self, other: Self) -> Option<Self>;
    /// `self * other`, exactly.
    fn mul_x(self, other: Self) -> Option<Self>;
}

impl Exact for Decimal {
    fn add_x(self, other: Decimal) -> Option<Decimal> {
        onhand_master::add_exact(self, other).ok()
    }

    fn sub_x(self, other: Decimal) -> Option<Decimal> {
        onhand_master::sub_exact(self, other).ok()
    }

    fn mul_x(self, other: Decimal) -> Option<Decimal> {
        onhand_master::mul_exact(self, other).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sum_needing_more_than_28_digits_is_refused_not_rounded() {
        // 5.000...001 with 27 places; adding 75 needs a mantissa above 2^96.
        let a = Decimal::from_i128_with_scale(5_000_000_000_000_000_000_000_000_001, 27);
        assert_eq!(a.add_x(Decimal::from(75)), None);
        assert_eq!(Decimal::TWO.add_x(Decimal::TWO), Some(Decimal::from(4)));
        assert_eq!(a.sub_x(a), Some(Decimal::ZERO));
        assert_eq!(a.mul_x(Decimal::from(17)), None);
        assert_eq!(Decimal::new(15, 1).mul_x(Decimal::from(4)), Some(Decimal::from(6)));
    }
}
