//! The timeline a scenario run records for its visual report: it changes nothing the
//! run reports, has one frame per step, and its figures agree with a plain model of
//! the steps and with the ledger's double entry.

use onhand::Availability;
use onhand::scenario::{self, Scenario};
use onhand::status::StockStatus;
use proptest::prelude::*;
use rust_decimal::Decimal;

fn parse(steps: &str) -> Scenario {
    let text = format!(
        r#"{{ "format": 1, "name": "t", "start": "2026-01-05T08:00:00Z",
             "network": {{ "builtin": "demo" }},
             "actors": {{ "planner": {{ "roles": ["planning"] }},
                          "manager": {{ "roles": ["supervisor"] }} }},
             "steps": [{steps}] }}"#
    );
    serde_json::from_str(&text).expect("a well-formed scenario")
}

/// A receipt (`true`) or a pick of `qty` bolts at `site`.
fn step(receipt: bool, site: &str, qty: u32) -> String {
    if receipt {
        format!(
            r#"{{ "receipt": {{ "site": "{site}", "item": "BOLT-M8", "qty": "{qty} EA",
                  "bin": "PF-A01", "to": "available", "unit_cost": "0.085 USD" }} }}"#
        )
    } else {
        format!(
            r#"{{ "pick": {{ "site": "{site}", "item": "BOLT-M8", "qty": "{qty} EA",
                  "bin": "PF-A01" }} }}"#
        )
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Whatever the steps, recording changes no check, gives a frame per step, and each
    /// frame's stock is what a plain model of receipts and picks says (a refused pick
    /// moves nothing); the postings balance per entity.
    #[test]
    fn the_timeline_follows_the_steps(
        moves in prop::collection::vec((any::<bool>(), prop_oneof![Just("ATL"), Just("ORD")], 1u32..600), 1..12)
    ) {
        let steps: Vec<String> = moves.iter().map(|(r, s, q)| step(*r, s, *q)).collect();
        let s = parse(&steps.join(","));
        let plain = scenario::run(&s).unwrap();
        let (report, timeline) = scenario::run_with_timeline(&s).unwrap();
        prop_assert_eq!(&report, &plain);
        prop_assert_eq!(timeline.frames.len(), moves.len());
        let mut model = [0u32, 0u32];
        for ((receipt, site, qty), frame) in moves.iter().zip(&timeline.frames) {
            let i = usize::from(*site == "ORD");
            let slot = model.get_mut(i).unwrap();
            if *receipt {
                *slot += qty;
            } else if *slot >= *qty {
                *slot -= qty;
            }
            for (k, code) in ["ATL", "ORD"].iter().enumerate() {
                let got: Decimal = frame
                    .stock
                    .iter()
                    .filter(|l| l.site.as_str() == *code && l.status == StockStatus::Available)
                    .map(|l| l.qty)
                    .sum();
                prop_assert_eq!(got, Decimal::from(model[k]), "step {} at {}", frame.step, code);
                // Today's availability at a site the run touched is its available stock
                // (nothing is promised in these runs).
                if let Some(a) = frame.atp.iter().find(|a| a.site.as_str() == *code) {
                    let today = a.days.first().map(|d| d.available);
                    let want = Availability::Limited(
                        onhand::master::Qty::new(Decimal::from(model[k]), a.uom).unwrap(),
                    );
                    prop_assert_eq!(today, Some(want));
                }
            }
        }
        for line in timeline.trial_balance() {
            prop_assert!(line.debit >= Decimal::ZERO && line.credit >= Decimal::ZERO);
        }
        let mut per_entity = std::collections::BTreeMap::new();
        for line in timeline.trial_balance() {
            *per_entity.entry(line.entity.clone()).or_insert(Decimal::ZERO) += line.balance();
        }
        for (entity, balance) in per_entity {
            prop_assert_eq!(balance, Decimal::ZERO, "{} does not balance", entity);
        }
    }
}

#[test]
fn a_transfer_shows_in_transit_until_received_and_closed() {
    let s = parse(
        r#"{ "receipt": { "site": "ORD", "item": "BOLT-M8", "qty": "480 EA", "bin": "PF-A01",
                          "to": "available", "unit_cost": "0.085 USD" } },
           { "by": "planner", "transfer_request": { "transfer": "TO-1", "from": "ORD", "to": "ATL",
                                   "item": "BOLT-M8", "qty": "480 EA",
                                   "arrival": "2026-01-07T08:00:00Z" } },
           { "by": "manager", "transfer_approve": "TO-1" },
           { "at": "2026-01-05T12:00:00Z",
             "transfer_ship": { "site": "ORD", "item": "BOLT-M8", "qty": "480 EA",
                                "bin": "PF-A01", "doc": "TO-1" } },
           { "at": "2026-01-07T09:00:00Z",
             "transfer_receipt": { "site": "ATL", "item": "BOLT-M8", "qty": "450 EA",
                                   "bin": "PF-A01", "to": "available", "doc": "TO-1" } }"#,
    );
    let (report, timeline) = scenario::run_with_timeline(&s).unwrap();
    assert!(report.passed(), "{}", report.failures_text());
    let in_transit: Vec<String> = timeline
        .frames
        .iter()
        .map(|f| f.transfers.iter().map(|t| t.in_transit.to_string()).collect::<Vec<_>>().join(","))
        .collect();
    assert_eq!(in_transit, ["", "0 EA", "0 EA", "480 EA", "30 EA"]);
    let last = timeline.frames.last().unwrap();
    let t = last.transfers.first().unwrap();
    assert_eq!(
        (t.from.as_str(), t.to.as_str(), t.received.to_string()),
        ("ORD", "ATL", "450 EA".into())
    );
    assert!(t.shipped_at.is_some() && t.received_at.is_some() && t.closed_at.is_none());
    // The stock in transit is shown under its destination while it travels.
    let shipped = timeline.frames.get(3).unwrap();
    assert!(shipped.stock.iter().any(|l| l.site.as_str() == "ATL"
        && l.status == StockStatus::InTransit
        && l.qty == Decimal::from(480)));
    // Both ends of the transfer have an availability series from the first frame on.
    let sites: Vec<&str> =
        timeline.frames.get(1).unwrap().atp.iter().map(|a| a.site.as_str()).collect();
    assert_eq!(sites, ["ATL", "ORD"]);
    assert_eq!(
        timeline.frames.get(1).unwrap().atp.first().unwrap().days.len(),
        scenario::ATP_DAYS as usize
    );
}

#[test]
fn the_timeline_is_serde_data() {
    let s = parse(&step(true, "ATL", 240));
    let (_, timeline) = scenario::run_with_timeline(&s).unwrap();
    let json = serde_json::to_string(&timeline).unwrap();
    let back: scenario::Timeline = serde_json::from_str(&json).unwrap();
    assert_eq!(back, timeline);
}
