//! Inventory turns, annualized turns and days of inventory are each worked out from the
//! unrounded figures and rounded once (a defect a review found: annualized turns were
//! scaled from turns already rounded to six places, 3.924727 for 3.924731).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::*;
use onhand_insight::*;

/// January (31 days): valued at 300.00 USD from before the month all month long, cost of
/// sales 100.00 USD. Turns = 100 / 300 = 0.333333; annualized = (100 / 300) × 365 / 31
/// = 3.924731182... → 3.924731 at the documented 6 decimals. The code multiplies the
/// already-rounded turns (0.333333) and reports 3.924727.
#[test]
fn annualized_turns_are_not_computed_from_rounded_turns() {
    let recs = vec![
        Record::StockValued(StockValued {
            at: t(1, 0),
            entity: "NA01".parse().unwrap(),
            site: "ATL".parse().unwrap(),
            value: "300.00 USD".parse().unwrap(),
        }),
        Record::CostOfSales(CostOfSales {
            at: t(15, 12),
            entity: "NA01".parse().unwrap(),
            site: "ATL".parse().unwrap(),
            value: "100.00 USD".parse().unwrap(),
        }),
    ];
    let s = Insight::from_records(config(), &recs).unwrap();
    let k = s.turns(Period::containing(Grain::Month, jan(1)), &Dim::Network).unwrap();
    assert_eq!(k.days, 31);
    let usd = &k.by_currency[0];
    assert_eq!(value(&usd.average_inventory), dec("300"));
    assert_eq!(value(&usd.turns), dec("0.333333"));
    // Exact: 100 × 365 / (300 × 31) = 3.92473118...
    assert_eq!(value(&usd.annualized_turns), dec("3.924731"));
}
