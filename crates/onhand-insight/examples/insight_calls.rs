//! The criterion bench `insight_kpi`'s record stream (1,000,000 records in time order:
//! order lines created, promised, shipped and delivered; transfers requested,
//! approved, shipped, received and closed; counts; adjustments; supplier receipts;
//! daily demand), applied once through [`Insight::apply`], for instruction counts per
//! record under callgrind (which counts what a loaded machine's timings blur).
//!
//! ```text
//! cargo build --release -p onhand-insight --example insight_calls
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/insight.cg \
//!   --toggle-collect=insight_calls::measured target/release/examples/insight_calls
//! ```
//!
//! Only `measured` is counted (generating the records is not): divide the instruction
//! count by the record count printed. An optional argument sets the record count.

#![allow(
    clippy::too_many_lines,
    clippy::many_single_char_names,
    reason = "the bench's generator, copied whole so both streams stay the same"
)]

use std::hint::black_box;

use chrono::{DateTime, NaiveTime, Utc};
use onhand_insight::{
    Adjusted, Config, CountRecorded, DemandObserved, Insight, LineRef, OrderLineCreated,
    OrderLineDelivered, OrderLinePromised, OrderLineShipped, Record, Scheduled, SiteConfig,
    SupplierReceipt, TransferApproved, TransferClosed, TransferReceived, TransferRef,
    TransferRequested, TransferShipped,
};
use onhand_ledger::{ActorId, DocNumber, ReasonCode};
use onhand_master::{
    CustomerCode, CustomerGroupCode, Decimal, ItemCode, Money, Qty, QtyDelta, SiteCode,
    SupplierCode, UomCode, VelocityClass,
};

/// The bench's deterministic generator (`onhand_benches::Lcg`, which this crate does
/// not depend on): a 64-bit LCG's top 31 bits.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 =
            self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }

    fn int(&mut self, n: u64) -> i64 {
        i64::try_from(self.below(n)).unwrap_or(0)
    }
}

const SITES: usize = 8;
/// 2026-01-05 00:00 UTC.
const T0: i64 = 1_767_571_200;

fn site_code(s: usize) -> SiteCode {
    format!("S{s:02}").parse().expect("site code")
}

fn config() -> Config {
    let starts = [6, 14, 22].map(|h| NaiveTime::from_hms_opt(h, 0, 0).expect("time")).to_vec();
    Config::new(
        (0..SITES)
            .map(|s| SiteConfig {
                site: site_code(s),
                entity: if s < 6 { "NA01" } else { "EU01" }.parse().expect("entity"),
                region: format!("R{}", s / 2).parse().expect("region"),
                utc_offset_minutes: if s < 6 { -300 } else { 60 },
                shift_starts: starts.clone(),
            })
            .collect(),
    )
}

fn time(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(T0 + secs, 0).expect("time")
}

/// Codes built once and cloned (inline, no allocation) into records.
struct Codes {
    items: Vec<ItemCode>,
    sites: Vec<SiteCode>,
    suppliers: Vec<SupplierCode>,
    counters: Vec<ActorId>,
    reasons: Vec<ReasonCode>,
    groups: Vec<CustomerGroupCode>,
    customer: CustomerCode,
    ea: UomCode,
    usd: onhand_master::CurrencyCode,
}

impl Codes {
    fn new(items: usize) -> Codes {
        Codes {
            items: (0..items).map(|i| format!("ITEM-{i:06}").parse().expect("item")).collect(),
            sites: (0..SITES).map(site_code).collect(),
            suppliers: (0..12).map(|i| format!("SUP{i:02}").parse().expect("supplier")).collect(),
            counters: (0..SITES * 3)
                .map(|i| ActorId::new(format!("COUNTER{i:02}")).expect("actor"))
                .collect(),
            reasons: ["DAMAGED", "FOUND", "SHRINK"]
                .iter()
                .map(|r| ReasonCode::new(*r).expect("reason"))
                .collect(),
            groups: ["RETAIL", "WHOLESALE", "ONLINE"]
                .iter()
                .map(|g| g.parse().expect("group"))
                .collect(),
            customer: "CUST".parse().expect("customer"),
            ea: UomCode::new("EA").expect("uom"),
            usd: onhand_master::CurrencyCode::new("USD").expect("currency"),
        }
    }

    fn qty(&self, n: i64) -> Qty {
        Qty::new(Decimal::from(n), self.ea).expect("qty")
    }

    fn usd(&self, cents: i64) -> Money {
        Money::new(Decimal::new(cents, 2), self.usd)
    }
}

fn doc(prefix: &str, n: u64) -> DocNumber {
    DocNumber::new(format!("{prefix}{n}")).expect("doc")
}

/// The KPI mix: 1,000,000 records in time order.
fn kpi_mix(n: usize) -> Vec<Record> {
    let c = Codes::new(5_000);
    let mut rng = Lcg(7);
    let mut out: Vec<(i64, u32, Record)> = Vec::with_capacity(n + 16);
    let mut seq = 0u32;
    let mut push = |out: &mut Vec<(i64, u32, Record)>, t: i64, r: Record| {
        seq += 1;
        out.push((t, seq, r));
    };
    let mut k = 0u64;
    while out.len() < n {
        k += 1;
        let t = i64::try_from(k).unwrap_or(0) * 30;
        let item = &c.items[usize::try_from(rng.below(5_000)).unwrap_or(0)];
        let s = usize::try_from(rng.below(SITES as u64)).unwrap_or(0);
        match k % 10 {
            // An order line's life: created, promised, shipped, delivered (4 records).
            0..=3 => {
                let line =
                    LineRef { order: doc("SO", k / 3), line: u32::try_from(k % 3).unwrap_or(0) };
                let qty = 1 + rng.int(20);
                let req = time(t + 86_400 * (1 + rng.int(5))).date_naive();
                push(
                    &mut out,
                    t,
                    Record::OrderLineCreated(OrderLineCreated {
                        at: time(t),
                        line: line.clone(),
                        customer: c.customer.clone(),
                        group: c.groups[usize::try_from(k % 3).unwrap_or(0)].clone(),
                        item: item.clone(),
                        qty: c.qty(qty),
                        requested: req,
                        priority: 0,
                    }),
                );
                push(
                    &mut out,
                    t + 60,
                    Record::OrderLinePromised(OrderLinePromised {
                        at: time(t + 60),
                        line: line.clone(),
                        schedule: vec![Scheduled {
                            site: c.sites[s].clone(),
                            qty: c.qty(qty),
                            date: req,
                        }],
                    }),
                );
                let ship = t + 86_400 * (1 + rng.int(6));
                push(
                    &mut out,
                    ship,
                    Record::OrderLineShipped(OrderLineShipped {
                        at: time(ship),
                        line: line.clone(),
                        site: c.sites[s].clone(),
                        qty: c.qty(qty),
                        complete: true,
                    }),
                );
                push(
                    &mut out,
                    ship + 86_400,
                    Record::OrderLineDelivered(OrderLineDelivered {
                        at: time(ship + 86_400),
                        line,
                        qty: c.qty(qty),
                        damaged: c.qty(0),
                        documents_ok: true,
                        complete: true,
                    }),
                );
            }
            4 => {
                let book = 50 + rng.int(100);
                let counted = book + rng.int(7) - 3;
                push(
                    &mut out,
                    t,
                    Record::CountRecorded(CountRecorded {
                        at: time(t),
                        item: item.clone(),
                        site: c.sites[s].clone(),
                        bin: None,
                        class: VelocityClass::B,
                        counter: c.counters[s * 3 + usize::try_from(k % 3).unwrap_or(0)].clone(),
                        book: c.qty(book),
                        counted: c.qty(counted),
                        tolerance: c.qty(2),
                        variance_value: c.usd((counted - book) * 250),
                    }),
                );
            }
            5 => {
                let d = rng.int(9) - 4;
                push(
                    &mut out,
                    t,
                    Record::Adjusted(Adjusted {
                        at: time(t),
                        item: item.clone(),
                        site: c.sites[s].clone(),
                        reason: c.reasons[usize::try_from(k % 3).unwrap_or(0)].clone(),
                        actor: c.counters[s].clone(),
                        delta: QtyDelta::new(Decimal::from(d), c.ea),
                        value: c.usd(d * 250),
                    }),
                );
            }
            // A transfer's life (5 records).
            6 => {
                let tr = TransferRef { transfer: doc("TO", k), line: 1 };
                let to = (s + 1) % SITES;
                push(
                    &mut out,
                    t,
                    Record::TransferRequested(TransferRequested {
                        at: time(t),
                        transfer: tr.clone(),
                        from: c.sites[s].clone(),
                        to: c.sites[to].clone(),
                        item: item.clone(),
                        qty: c.qty(10),
                        value: c.usd(10_000),
                        expected_arrival: None,
                        transport_cost: None,
                        purchase_cost: None,
                    }),
                );
                push(
                    &mut out,
                    t + 3_600,
                    Record::TransferApproved(TransferApproved {
                        at: time(t + 3_600),
                        transfer: tr.clone(),
                    }),
                );
                push(
                    &mut out,
                    t + 20_000,
                    Record::TransferShipped(TransferShipped {
                        at: time(t + 20_000),
                        transfer: tr.clone(),
                        qty: c.qty(10),
                        expected_arrival: None,
                    }),
                );
                let rec = t + 100_000 + rng.int(100_000);
                push(
                    &mut out,
                    rec,
                    Record::TransferReceived(TransferReceived {
                        at: time(rec),
                        transfer: tr.clone(),
                        qty: c.qty(10),
                        short: c.qty(0),
                        over: c.qty(0),
                        damaged: c.qty(0),
                    }),
                );
                push(
                    &mut out,
                    rec + 60,
                    Record::TransferClosed(TransferClosed {
                        at: time(rec + 60),
                        transfer: tr,
                        written_off: None,
                    }),
                );
            }
            7 => {
                push(
                    &mut out,
                    t,
                    Record::SupplierReceipt(SupplierReceipt {
                        at: time(t),
                        supplier: c.suppliers[usize::try_from(k % 12).unwrap_or(0)].clone(),
                        item: item.clone(),
                        site: c.sites[s].clone(),
                        qty: c.qty(100),
                        value: c.usd(100_000),
                    }),
                );
            }
            _ => {
                // Demand per item-site and day: one record per item-site per day.
                let day = time(t).date_naive();
                push(
                    &mut out,
                    t,
                    Record::DemandObserved(DemandObserved {
                        at: time(t),
                        day,
                        item: item.clone(),
                        site: c.sites[s].clone(),
                        qty: c.qty(rng.int(30)),
                    }),
                );
            }
        }
    }
    out.sort_by_key(|(t, s, _)| (*t, *s));
    out.truncate(n);
    out.into_iter().map(|(_, _, r)| r).collect()
}

/// The counted part: every record through `Insight::apply`.
#[inline(never)]
fn measured(s: &mut Insight, recs: &[Record]) -> usize {
    let mut refused = 0;
    for r in recs {
        refused += usize::from(s.apply(black_box(r)).is_err());
    }
    refused
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let recs = kpi_mix(n);
    let mut s = Insight::new(config()).expect("config");
    let refused = measured(&mut s, &recs);
    assert_eq!(refused, 0, "every record is accepted");
    println!("{} records applied", s.records());
}
