//! One rule for "fair share" across the crates: `onhand_atp::fair_share` (order lines
//! sharing short supply pro rata to what they ask) is `onhand_replenish::fair_share`
//! (claims levelled to equal days of supply) for claims with nothing on hand whose daily
//! demand and cap are both what they ask, in steps of one unit.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

use proptest::prelude::*;
use rust_decimal::Decimal;

fn replenish_shares(supply: i64, asks: &[i64]) -> Vec<i64> {
    let claims: Vec<onhand_replenish::FairClaim> = asks
        .iter()
        .map(|a| onhand_replenish::FairClaim {
            on_hand: Decimal::ZERO,
            daily_demand: Decimal::from(*a),
            requested: Some(Decimal::from(*a)),
        })
        .collect();
    let shared =
        onhand_replenish::fair_share(Decimal::from(supply), &claims, Decimal::ONE).unwrap();
    shared.shares.iter().map(|s| i64::try_from(*s).unwrap()).collect()
}

#[test]
fn a_worked_case_in_both_crates() {
    // 5 units for lines asking 9 and 1: one each first (no share held), then the line
    // asking 1 is full and the first takes the rest.
    assert_eq!(onhand_atp::fair_share(5, &[9, 1]), [4, 1]);
    assert_eq!(replenish_shares(5, &[9, 1]), [4, 1]);
}

proptest! {
    #[test]
    fn atp_and_replenish_share_alike(
        asks in prop::collection::vec(prop_oneof![Just(0i64), Just(1i64), 1i64..6, 1i64..1_000], 0..10),
        supply in prop_oneof![Just(0i64), 0i64..30, 0i64..3_000],
    ) {
        prop_assert_eq!(onhand_atp::fair_share(supply, &asks), replenish_shares(supply, &asks));
    }
}
