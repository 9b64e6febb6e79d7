//! Records from untrusted input against the KPI and anomaly state (`onhand-insight`).
//!
//! An input that parses as a JSON array of `Record`s is applied as it is; any other
//! input decodes into a sequence of records of every kind: order lines created,
//! promised, shipped, delivered and cancelled; transfers through every step; counts,
//! adjustments, receipts, damage, valuations, layers, in-transit snapshots, mismatches,
//! demand, positions and lead times — with known and unknown sites and entities, lines
//! and transfers that exist or not, units that match or not, quantities small,
//! fractional, huge or zero, and times that go forward or back.
//!
//! After every record: a refused one changes nothing a caller can see (the record
//! count and the month's report); an accepted one round-trips through JSON. In every
//! report, ratios are between 0 and 1 where they are shares. At the end: the detectors,
//! stockout risk, transfer scores and safety stock run with every probability in
//! [0, 1] and no NaN; merging an empty state changes no figure; replaying the accepted
//! records into a fresh state gives the same report. Panics anywhere are crashes.
//!
//! Input layout: a selector byte per record, a time byte (below 200: forward that many
//! hours; from 200: back that many minus 199 hours), then the record's own bytes
//! (missing bytes read as zero).
#![no_main]

mod reader;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use libfuzzer_sys::fuzz_target;
use onhand_insight::*;
use onhand_master::{Money, Qty, QtyDelta, VelocityClass};
use reader::Reader;
use rust_decimal::Decimal;

const MAX_RECORDS: usize = 64;
const T0: i64 = 1_767_571_200;
const SITES: [&str; 4] = ["ATL", "ORD", "HAM", "XXX"];
const ENTITIES: [&str; 3] = ["NA01", "EU01", "ZZ99"];
const ITEMS: [&str; 3] = ["BOLT", "NUT", "GLUE"];
const UNITS: [&str; 2] = ["EA", "KG"];

fn config() -> Config {
    let site = |s: &str, e: &str, r: &str, off: i32, shifts: &[u32]| SiteConfig {
        site: s.parse().expect("site"),
        entity: e.parse().expect("entity"),
        region: r.parse().expect("region"),
        utc_offset_minutes: off,
        shift_starts: shifts.iter().filter_map(|h| NaiveTime::from_hms_opt(*h, 0, 0)).collect(),
    };
    let mut c = Config::new(vec![
        site("ATL", "NA01", "US-SE", -300, &[6, 14, 22]),
        site("ORD", "NA01", "US-MW", -360, &[]),
        site("HAM", "EU01", "DE-N", 60, &[6, 18]),
    ]);
    c.lateness_secs = 7_200;
    c.follow_days = 2;
    c
}

impl Reader<'_> {
    fn pick<'s>(&mut self, xs: &[&'s str]) -> &'s str {
        xs[usize::from(self.byte()) % xs.len()]
    }

    /// A quantity: mostly small, sometimes fractional, zero or beyond the bounds.
    fn dec(&mut self) -> Decimal {
        let b = self.byte();
        match b % 8 {
            0 => Decimal::ZERO,
            1 => Decimal::new(i64::from(self.byte()), 2),
            2 => Decimal::new(i64::from(self.byte()), 10),
            3 => Decimal::from(10_000_000_000_000i64 * i64::from(self.byte() % 3)),
            _ => Decimal::from(self.byte() % 40),
        }
    }

    fn qty(&mut self) -> Qty {
        let v = self.dec();
        let u = self.pick(&UNITS);
        Qty::new(v, u.parse().expect("unit")).unwrap_or_else(|_| "0 EA".parse().expect("qty"))
    }

    fn money(&mut self) -> Money {
        let sign = if self.byte() % 4 == 0 { -1 } else { 1 };
        let cur = if self.byte() % 5 == 0 { "EUR" } else { "USD" };
        Money::new(self.dec() * Decimal::from(sign), cur.parse().expect("currency"))
    }

    fn date(&mut self, at: DateTime<Utc>) -> NaiveDate {
        let off = i64::from(self.byte() % 20) - 8;
        (at + chrono::Duration::days(off)).date_naive()
    }

    fn line(&mut self) -> LineRef {
        LineRef { order: format!("SO-{}", self.byte() % 4).parse().expect("doc"), line: u32::from(self.byte() % 3) }
    }

    fn transfer(&mut self) -> TransferRef {
        TransferRef { transfer: format!("TO-{}", self.byte() % 4).parse().expect("doc"), line: 1 }
    }

    fn record(&mut self, at: DateTime<Utc>) -> Record {
        let sel = self.byte() % 23;
        let site = self.pick(&SITES).parse().expect("site");
        let item = self.pick(&ITEMS).parse().expect("item");
        match sel {
            0 => Record::OrderLineCreated(OrderLineCreated {
                at,
                line: self.line(),
                customer: "C1".parse().expect("customer"),
                group: self.pick(&["RETAIL", "ONLINE"]).parse().expect("group"),
                item,
                qty: self.qty(),
                requested: self.date(at),
                priority: self.byte() % 4,
            }),
            1 => {
                let line = self.line();
                let n = self.byte() % 3;
                let schedule = (0..n)
                    .map(|_| Scheduled { site: self.pick(&SITES).parse().expect("site"), qty: self.qty(), date: self.date(at) })
                    .collect();
                Record::OrderLinePromised(OrderLinePromised { at, line, schedule })
            }
            2 => Record::OrderLineShipped(OrderLineShipped { at, line: self.line(), site, qty: self.qty(), complete: self.byte() % 3 == 0 }),
            3 => Record::OrderLineDelivered(OrderLineDelivered {
                at,
                line: self.line(),
                qty: self.qty(),
                damaged: self.qty(),
                documents_ok: self.byte() % 4 != 0,
                complete: self.byte() % 3 == 0,
            }),
            4 => Record::OrderLineCancelled(OrderLineCancelled { at, line: self.line() }),
            5 => Record::TransferRequested(TransferRequested {
                at,
                transfer: self.transfer(),
                from: site,
                to: self.pick(&SITES).parse().expect("site"),
                item,
                qty: self.qty(),
                value: self.money(),
                expected_arrival: (self.byte() % 2 == 0).then(|| at + chrono::Duration::hours(i64::from(self.byte()))),
                transport_cost: (self.byte() % 2 == 0).then(|| self.money()),
                purchase_cost: (self.byte() % 2 == 0).then(|| self.money()),
            }),
            6 => Record::TransferApproved(TransferApproved { at, transfer: self.transfer() }),
            7 => Record::TransferShipped(TransferShipped { at, transfer: self.transfer(), qty: self.qty(), expected_arrival: None }),
            8 => Record::TransferReceived(TransferReceived {
                at,
                transfer: self.transfer(),
                qty: self.qty(),
                short: self.qty(),
                over: self.qty(),
                damaged: self.qty(),
            }),
            9 => Record::TransferClosed(TransferClosed {
                at,
                transfer: self.transfer(),
                written_off: Some(self.qty()),
            }),
            10 => Record::CountRecorded(CountRecorded {
                at,
                item,
                site,
                bin: None,
                class: [VelocityClass::A, VelocityClass::B, VelocityClass::C][usize::from(self.byte() % 3)],
                counter: self.pick(&["ANN", "BOB"]).parse().expect("actor"),
                book: self.qty(),
                counted: self.qty(),
                tolerance: self.qty(),
                variance_value: self.money(),
            }),
            11 => {
                let v = self.dec();
                let u = self.pick(&UNITS).parse().expect("unit");
                Record::Adjusted(Adjusted {
                    at,
                    item,
                    site,
                    reason: self.pick(&["DAMAGED", "FOUND"]).parse().expect("reason"),
                    actor: "ANN".parse().expect("actor"),
                    delta: if self.byte() % 2 == 0 { QtyDelta::new(v, u) } else { QtyDelta::new(-v, u) },
                    value: self.money(),
                })
            }
            12 => Record::SupplierReceipt(SupplierReceipt {
                at,
                supplier: self.pick(&["ACME", "FASTEN"]).parse().expect("supplier"),
                item,
                site,
                qty: self.qty(),
                value: self.money(),
            }),
            13 => Record::StockDamaged(StockDamaged {
                at,
                item,
                site,
                kind: if self.byte() % 2 == 0 { DamageKind::Damaged } else { DamageKind::Hold },
                qty: self.qty(),
                value: self.money(),
            }),
            14 => Record::CostOfSales(CostOfSales { at, entity: self.pick(&ENTITIES).parse().expect("entity"), site, value: self.money() }),
            15 => Record::StockValued(StockValued { at, entity: self.pick(&ENTITIES).parse().expect("entity"), site, value: self.money() }),
            16 => Record::StockLayer(StockLayer {
                at,
                entity: self.pick(&ENTITIES).parse().expect("entity"),
                site,
                item,
                qty: self.qty(),
                value: self.money(),
                received: self.date(at),
            }),
            17 => Record::InTransitHeld(InTransitHeld {
                at,
                transfer: self.transfer(),
                owner: self.pick(&ENTITIES).parse().expect("entity"),
                qty: self.qty(),
                value: self.money(),
                expected_arrival: (self.byte() % 2 == 0).then(|| at - chrono::Duration::hours(i64::from(self.byte()) - 100)),
            }),
            18 => Record::MismatchOpened(MismatchOpened {
                at,
                id: format!("IC-{}", self.byte() % 3).parse().expect("doc"),
                entity: self.pick(&ENTITIES).parse().expect("entity"),
                counterparty: self.pick(&ENTITIES).parse().expect("entity"),
                value: self.money(),
            }),
            19 => Record::MismatchResolved(MismatchResolved { at, id: format!("IC-{}", self.byte() % 3).parse().expect("doc") }),
            20 => Record::DemandObserved(DemandObserved { at, day: self.date(at), item, site, qty: self.qty() }),
            21 => {
                let on_hand = self.qty();
                let v = self.dec();
                Record::PositionObserved(PositionObserved {
                    at,
                    item,
                    site,
                    on_hand,
                    position: QtyDelta::new(v - Decimal::from(10), on_hand.uom()),
                    safety_stock: (self.byte() % 2 == 0).then(|| self.qty()),
                    next_receipt: (self.byte() % 2 == 0).then(|| self.date(at)),
                })
            }
            _ => Record::LeadTimeObserved(LeadTimeObserved {
                at,
                item,
                source: onhand_master::LaneSource::Supplier("ACME".parse().expect("supplier")),
                site,
                ordered: self.date(at),
                received: self.date(at),
            }),
        }
    }
}

fn month() -> Period {
    Period::containing(Grain::Month, DateTime::from_timestamp(T0, 0).expect("t0").date_naive())
}

fn shares_ok(r: &Report) -> bool {
    let share = |x: &Ratio| x.denominator.is_zero() || (x.numerator >= Decimal::ZERO && x.numerator <= x.denominator);
    r.orders.iter().all(|(_, k)| {
        share(&k.fill_requested.units)
            && share(&k.fill_requested.lines)
            && share(&k.fill_promised.units)
            && share(&k.fill_promised.lines)
            && share(&k.promise_accuracy)
            && k.fill_requested.orders.as_ref().is_none_or(share)
            && k.perfect_order.as_ref().is_none_or(|p| share(&p.perfect) && share(&p.on_time))
    }) && r.counts.iter().all(|(_, k)| share(&k.accuracy) && share(&k.recurrence))
        && r.transfers.iter().all(|(_, k)| share(&k.receipt_accuracy))
}

fn decode(data: &[u8]) -> Vec<Record> {
    if let Ok(recs) = serde_json::from_slice::<Vec<Record>>(data) {
        return recs.into_iter().take(MAX_RECORDS).collect();
    }
    let mut r = Reader::new(data);
    let mut t = T0;
    let mut out = Vec::new();
    while !r.done() && out.len() < MAX_RECORDS {
        let step = r.byte();
        t += if step < 200 { i64::from(step) * 3_600 } else { -i64::from(step - 199) * 3_600 };
        let at = DateTime::from_timestamp(t, 0).expect("time");
        out.push(r.record(at));
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let records = decode(data);
    let mut s = Insight::new(config()).expect("config");
    let mut accepted = Vec::new();
    for rec in &records {
        let before = s.report(month()).expect("report");
        let n = s.records();
        match s.apply(rec) {
            Ok(()) => {
                let json = serde_json::to_string(rec).expect("serialize");
                let back: Record = serde_json::from_str(&json).expect("deserialize");
                assert_eq!(&back, rec);
                accepted.push(rec.clone());
            }
            Err(e) => {
                assert!(!e.code().is_empty());
                assert_eq!(s.records(), n);
                assert_eq!(s.report(month()).expect("report"), before, "{e}");
            }
        }
    }
    let report = s.report(month()).expect("report");
    assert!(shares_ok(&report));
    let as_of = s.newest().map_or(DateTime::from_timestamp(T0, 0).expect("t0"), |t| t).date_naive();
    let f = s.detect(as_of, &DetectConfig::default()).expect("detect");
    for a in &f.anomalies {
        assert!(a.observed.is_finite() && a.baseline.is_finite());
        if let Test::Binomial { p_value, .. } = a.test {
            assert!((0.0..=1.0).contains(&p_value));
        }
    }
    let plan = PlanConfig::default();
    for r in s.stockout_risk(as_of, &plan).item_sites {
        assert!((0.0..=1.0).contains(&r.probability), "{r:?}");
    }
    for sc in s.score_transfers(as_of, &plan) {
        if let Some(v) = sc.score.value() {
            assert!(v.is_finite());
        }
        assert!((0.0..=1.0).contains(&sc.impact));
    }
    for a in s.safety_stock(as_of, &plan).expect("safety stock") {
        assert!(a.recommended >= Decimal::ZERO);
    }
    let mut merged = s.clone();
    merged.merge(&Insight::new(config()).expect("config")).expect("merge");
    assert_eq!(merged.report(month()).expect("report"), report);
    let replayed = Insight::from_records(config(), &accepted).expect("replay");
    assert_eq!(replayed.report(month()).expect("report"), report);
});
