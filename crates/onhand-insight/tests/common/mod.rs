//! Shared test fixtures: a small network configuration, record builders and a seeded
//! generator (`SplitMix64`) for synthetic histories.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::float_arithmetic,
    clippy::cast_precision_loss,
    clippy::similar_names,
    clippy::too_many_arguments
)] // test helpers: a failed unwrap is a failed test

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use onhand_insight::*;
use onhand_master::{Decimal, VelocityClass};

/// 2026-01-05 00:00 UTC, a Monday.
pub const T0: i64 = 1_767_571_200;

pub fn at(days: f64) -> DateTime<Utc> {
    #[allow(
        clippy::cast_possible_truncation,
        reason = "test days are small: whole seconds fit an i64"
    )]
    DateTime::from_timestamp(T0 + (days * 86_400.0).round() as i64, 0).unwrap()
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn jan(d: u32) -> NaiveDate {
    date(2026, 1, d)
}

/// Time on a January 2026 day, UTC.
pub fn t(d: u32, h: u32) -> DateTime<Utc> {
    jan(d).and_hms_opt(h, 0, 0).unwrap().and_utc()
}

pub fn site(code: &str, entity: &str, region: &str, offset: i32, shifts: &[u32]) -> SiteConfig {
    SiteConfig {
        site: code.parse().unwrap(),
        entity: entity.parse().unwrap(),
        region: region.parse().unwrap(),
        utc_offset_minutes: offset,
        shift_starts: shifts.iter().map(|h| NaiveTime::from_hms_opt(*h, 0, 0).unwrap()).collect(),
    }
}

/// ATL (UTC-5, three shifts), ORD, DFW in NA01; HAM (UTC+1) in EU01.
pub fn config() -> Config {
    Config::new(vec![
        site("ATL", "NA01", "US-SE", -300, &[6, 14, 22]),
        site("ORD", "NA01", "US-MW", -360, &[6, 18]),
        site("DFW", "NA01", "US-SW", -360, &[]),
        site("HAM", "EU01", "DE-N", 60, &[6, 14, 22]),
    ])
}

pub fn line(order: &str, n: u32) -> LineRef {
    LineRef { order: order.parse().unwrap(), line: n }
}

pub fn tref(doc: &str, n: u32) -> TransferRef {
    TransferRef { transfer: doc.parse().unwrap(), line: n }
}

pub fn created(
    at: DateTime<Utc>,
    l: LineRef,
    group: &str,
    item: &str,
    qty: &str,
    requested: NaiveDate,
) -> Record {
    Record::OrderLineCreated(OrderLineCreated {
        at,
        line: l,
        customer: "CUST1".parse().unwrap(),
        group: group.parse().unwrap(),
        item: item.parse().unwrap(),
        qty: qty.parse().unwrap(),
        requested,
        priority: 0,
    })
}

pub fn promised(at: DateTime<Utc>, l: LineRef, schedule: &[(&str, &str, NaiveDate)]) -> Record {
    Record::OrderLinePromised(OrderLinePromised {
        at,
        line: l,
        schedule: schedule
            .iter()
            .map(|(s, q, d)| Scheduled {
                site: s.parse().unwrap(),
                qty: q.parse().unwrap(),
                date: *d,
            })
            .collect(),
    })
}

pub fn shipped(at: DateTime<Utc>, l: LineRef, site: &str, qty: &str, complete: bool) -> Record {
    Record::OrderLineShipped(OrderLineShipped {
        at,
        line: l,
        site: site.parse().unwrap(),
        qty: qty.parse().unwrap(),
        complete,
    })
}

pub fn delivered(
    at: DateTime<Utc>,
    l: LineRef,
    qty: &str,
    damaged: &str,
    docs: bool,
    complete: bool,
) -> Record {
    Record::OrderLineDelivered(OrderLineDelivered {
        at,
        line: l,
        qty: qty.parse().unwrap(),
        damaged: damaged.parse().unwrap(),
        documents_ok: docs,
        complete,
    })
}

pub fn requested(
    at: DateTime<Utc>,
    r: TransferRef,
    from: &str,
    to: &str,
    item: &str,
    qty: &str,
    value: &str,
) -> Record {
    Record::TransferRequested(TransferRequested {
        at,
        transfer: r,
        from: from.parse().unwrap(),
        to: to.parse().unwrap(),
        item: item.parse().unwrap(),
        qty: qty.parse().unwrap(),
        value: value.parse().unwrap(),
        expected_arrival: None,
        transport_cost: None,
        purchase_cost: None,
    })
}

#[allow(
    clippy::too_many_arguments,
    reason = "a count record's fields, in the order the tests read them"
)]
pub fn count(
    at: DateTime<Utc>,
    item: &str,
    site: &str,
    class: VelocityClass,
    counter: &str,
    book: i64,
    counted: i64,
    tol: i64,
    value: &str,
) -> Record {
    Record::CountRecorded(CountRecorded {
        at,
        item: item.parse().unwrap(),
        site: site.parse().unwrap(),
        bin: None,
        class,
        counter: counter.parse().unwrap(),
        book: format!("{book} EA").parse().unwrap(),
        counted: format!("{counted} EA").parse().unwrap(),
        tolerance: format!("{tol} EA").parse().unwrap(),
        variance_value: value.parse().unwrap(),
    })
}

pub fn adjusted(
    at: DateTime<Utc>,
    item: &str,
    site: &str,
    reason: &str,
    actor: &str,
    delta: i64,
    value: &str,
) -> Record {
    Record::Adjusted(Adjusted {
        at,
        item: item.parse().unwrap(),
        site: site.parse().unwrap(),
        reason: reason.parse().unwrap(),
        actor: actor.parse().unwrap(),
        delta: onhand_master::QtyDelta::new(Decimal::from(delta), "EA".parse().unwrap()),
        value: value.parse().unwrap(),
    })
}

pub fn receipt(at: DateTime<Utc>, supplier: &str, item: &str, site: &str, qty: i64) -> Record {
    Record::SupplierReceipt(SupplierReceipt {
        at,
        supplier: supplier.parse().unwrap(),
        item: item.parse().unwrap(),
        site: site.parse().unwrap(),
        qty: format!("{qty} EA").parse().unwrap(),
        value: format!("{qty}.00 USD").parse().unwrap(),
    })
}

pub fn demand(at: DateTime<Utc>, day: NaiveDate, item: &str, site: &str, qty: i64) -> Record {
    Record::DemandObserved(DemandObserved {
        at,
        day,
        item: item.parse().unwrap(),
        site: site.parse().unwrap(),
        qty: format!("{qty} EA").parse().unwrap(),
    })
}

pub fn position(
    at: DateTime<Utc>,
    item: &str,
    site: &str,
    on_hand: i64,
    pos: i64,
    ss: Option<i64>,
    next: Option<NaiveDate>,
) -> Record {
    Record::PositionObserved(PositionObserved {
        at,
        item: item.parse().unwrap(),
        site: site.parse().unwrap(),
        on_hand: format!("{on_hand} EA").parse().unwrap(),
        position: onhand_master::QtyDelta::new(Decimal::from(pos), "EA".parse().unwrap()),
        safety_stock: ss.map(|s| format!("{s} EA").parse().unwrap()),
        next_receipt: next,
    })
}

pub fn lead(
    at: DateTime<Utc>,
    item: &str,
    source: &str,
    site: &str,
    ordered: NaiveDate,
    received: NaiveDate,
) -> Record {
    Record::LeadTimeObserved(LeadTimeObserved {
        at,
        item: item.parse().unwrap(),
        source: onhand_master::LaneSource::Supplier(source.parse().unwrap()),
        site: site.parse().unwrap(),
        ordered,
        received,
    })
}

pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

pub fn value(f: &Figure<Decimal>) -> Decimal {
    *f.value().expect("a value")
}

/// `SplitMix64`: a small deterministic generator for synthetic histories.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Poisson by inversion (small means).
    pub fn poisson(&mut self, mean: f64) -> u64 {
        let l = (-mean).exp();
        let (mut k, mut p) = (0u64, 1.0);
        loop {
            p *= self.unit();
            if p <= l {
                return k;
            }
            k += 1;
        }
    }
}
