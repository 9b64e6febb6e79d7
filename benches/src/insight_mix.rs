//! The `insight_kpi` bench's record stream, shared by the bench and the
//! `insight_calls` callgrind example: 1,000,000 records in time order (order lines
//! created, promised, shipped and delivered; transfers requested, approved, shipped,
//! received and closed; counts; adjustments; supplier receipts; daily demand), and the
//! insight configuration they are taken in with.

#![allow(
    clippy::too_many_lines,
    clippy::many_single_char_names,
    clippy::missing_panics_doc,
    clippy::must_use_candidate,
    reason = "a bench generator: fixed valid codes, one long generator function"
)]

use chrono::{DateTime, NaiveTime, Utc};
use onhand_insight::{
    Adjusted, Config, CountRecorded, DemandObserved, LineRef, OrderLineCreated, OrderLineDelivered,
    OrderLinePromised, OrderLineShipped, Record, Scheduled, SiteConfig, SupplierReceipt,
    TransferApproved, TransferClosed, TransferReceived, TransferRef, TransferRequested,
    TransferShipped,
};
use onhand_ledger::{ActorId, DocNumber, ReasonCode};
use onhand_master::{
    CustomerCode, CustomerGroupCode, Decimal, ItemCode, Money, Qty, QtyDelta, SiteCode,
    SupplierCode, UomCode, VelocityClass,
};

use crate::Lcg;

/// Sites in the stream.
pub const SITES: usize = 8;
/// 2026-01-05 00:00 UTC.
pub const T0: i64 = 1_767_571_200;

/// Site `s`'s code (`S00`...).
pub fn site_code(s: usize) -> SiteCode {
    format!("S{s:02}").parse().expect("site code")
}

/// The bench's insight configuration: eight sites in two entities and four regions.
pub fn config() -> Config {
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

/// `T0` plus `secs`.
pub fn time(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(T0 + secs, 0).expect("time")
}

/// Codes built once and cloned (inline, no allocation) into records.
pub struct Codes {
    /// Built once.
    pub items: Vec<ItemCode>,
    /// Built once.
    pub sites: Vec<SiteCode>,
    /// Built once.
    pub suppliers: Vec<SupplierCode>,
    /// Built once.
    pub counters: Vec<ActorId>,
    /// Built once.
    pub reasons: Vec<ReasonCode>,
    /// Built once.
    pub groups: Vec<CustomerGroupCode>,
    /// Built once.
    pub customer: CustomerCode,
    /// Built once.
    pub ea: UomCode,
    /// Built once.
    pub usd: onhand_master::CurrencyCode,
}

impl Codes {
    /// Codes for `items` items.
    pub fn new(items: usize) -> Codes {
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

    /// `n` each.
    pub fn qty(&self, n: i64) -> Qty {
        Qty::new(Decimal::from(n), self.ea).expect("qty")
    }

    /// `cents` in USD.
    pub fn usd(&self, cents: i64) -> Money {
        Money::new(Decimal::new(cents, 2), self.usd)
    }
}

/// A document number `prefix` + `n`.
pub fn doc(prefix: &str, n: u64) -> DocNumber {
    DocNumber::new(format!("{prefix}{n}")).expect("doc")
}

/// The KPI mix: 1,000,000 records in time order.
pub fn kpi_mix(n: usize) -> Vec<Record> {
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
