//! Fair share for a batch, as properties: lines of one item, region, priority and day
//! that may all be split get exactly `fair_share` of what they can get together, which
//! is what first come, first served confirms in total; no line gets more than it asks.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

use std::sync::Arc;

use chrono::NaiveDate;
use onhand_atp::{Atp, AtpConfig, Claim, LineId, OrderLine, Sharing, fair_share};
use onhand_master::{Catalog, seed};
use proptest::prelude::*;
use rust_decimal::prelude::ToPrimitive;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, d).unwrap()
}

fn confirmed(stock: i64, asks: &[i64], sharing: Sharing) -> Vec<i64> {
    let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
    let mut atp = Atp::new(catalog, AtpConfig::default(), day(5)).unwrap();
    let (item, site) = ("NUT-M8".parse().unwrap(), "ORD".parse().unwrap());
    atp.set_available(&item, &site, format!("{stock} EA").parse().unwrap()).unwrap();
    let lines: Vec<OrderLine> = (1u64..)
        .zip(asks)
        .map(|(id, ask)| {
            let qty = format!("{ask} EA").parse().unwrap();
            let mut l = OrderLine::new(
                LineId(id),
                "NUT-M8".parse().unwrap(),
                qty,
                day(9),
                "US-MW".parse().unwrap(),
            );
            l.allow_split = true;
            l
        })
        .collect();
    atp.allocate_batch_with(&lines, Claim::Hard, sharing)
        .into_iter()
        .map(|p| p.unwrap().confirmed.to_i64().unwrap())
        .collect()
}

proptest! {
    #[test]
    fn a_fair_batch_gets_the_fair_shares_of_what_first_come_confirms(
        asks in prop::collection::vec(prop_oneof![Just(1i64), 1i64..6, 1i64..60], 1..7),
        stock in prop_oneof![Just(0i64), 0i64..20, 0i64..300],
    ) {
        let first = confirmed(stock, &asks, Sharing::FirstCome);
        let fair = confirmed(stock, &asks, Sharing::FairShare);
        let got: i64 = first.iter().sum();
        prop_assert_eq!(fair.iter().sum::<i64>(), got);
        prop_assert_eq!(&fair, &fair_share(got, &asks));
        for (f, a) in fair.iter().zip(&asks) {
            prop_assert!(*f >= 0 && f <= a);
        }
    }
}
