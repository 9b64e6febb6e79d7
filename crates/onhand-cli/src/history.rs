//! The demo's history: the twelve weeks before its day (Monday 13 October 2025 to Sunday
//! 4 January 2026) as KPI records of the demo network, the way a distributor brings the
//! figures of the system onhand replaces ([`onhand::Network::import_insight`]). It is
//! generated, not read: a seeded generator (the same records every run), with four
//! anomalies planted for the detectors to find once the day is played on top of it:
//!
//! - **a counter who keeps missing**: `picker` counts the bolts at Los Angeles twice a
//!   week and is out of tolerance in 9 of 24 counts, where inventory control, counting
//!   every site, misses about 1 in 40 (the day's count at Los Angeles, by `picker`
//!   again, is one more miss);
//! - **a supplier whose goods arrive damaged**: damage is found at Chicago the day after
//!   10 of POLYCHEM's 24 adhesive receipts (each finding charged to every receipt of the
//!   item there in the seven days before it), where 3 of ACME's 72 receipts are followed
//!   by a loss;
//! - **an item new to a lane**: Chicago has sent Atlanta nuts, adhesive and gloves three
//!   times a week, never bolts; the day's transfer TO-7001 is 240 bolts;
//! - **a lane's value out of its band**: Chicago sends Toronto 30-60 nuts once or twice
//!   a week, and in the week before the day (the last complete week, which the weekly
//!   detectors report on the Monday) 600 more in one line.
//!
//! Atlanta's gloves to the Boston branch (once or twice a week, and once on the day) are
//! the clean lane beside them. Four customers order every weekday from their regional
//! warehouse (a line each, promised for three days on, shipped two days on, a few late
//! or short), so the order KPIs of the history's last full month have figures too.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use onhand::insight::{
    Adjusted, CountRecorded, DamageKind, LineRef, OrderLineCreated, OrderLineDelivered,
    OrderLinePromised, OrderLineShipped, Record, Scheduled, StockDamaged, SupplierReceipt,
    TransferApproved, TransferReceived, TransferRef, TransferRequested, TransferShipped,
};
use onhand::ledger::DocNumber;
use onhand::master::{CurrencyCode, Decimal, Money, Qty, QtyDelta, VelocityClass};

/// Weeks of history before the day.
pub const WEEKS: i64 = 12;

/// The demo day (Monday 5 January 2026).
fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default()
}

/// A small deterministic generator (the demo's history is the same every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 =
            self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// A quantity: `base` plus `step` times a number in `0..n`.
    fn qty(&mut self, base: i64, step: i64, n: u64) -> i64 {
        base + step * i64::try_from(self.below(n)).unwrap_or(0)
    }
}

/// What the generator writes with: codes parsed once, errors as text.
struct Writer {
    out: Vec<Record>,
    transfers: u32,
}

fn parse<T: std::str::FromStr>(s: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e| format!("demo history: {s}: {e}"))
}

fn ea(n: i64) -> Result<Qty, String> {
    parse(&format!("{n} EA"))
}

fn usd(cents: i64) -> Result<Money, String> {
    Ok(Money::new(Decimal::new(cents, 2), parse::<CurrencyCode>("USD")?))
}

/// `day` (days after the history's first Monday) at `hour`:`minute` UTC.
fn at(d: i64, hour: u32, minute: u32) -> DateTime<Utc> {
    let first = day() - Duration::weeks(WEEKS);
    let date = first + Duration::days(d);
    let naive = date.and_hms_opt(hour, minute, 0).unwrap_or_default();
    Utc.from_utc_datetime(&naive)
}

/// Unit costs in cents per hundred units (what the history values at).
fn cost_per_100(item: &str) -> i64 {
    match item {
        "BOLT-M8" => 850,
        "NUT-M8" => 300,
        "GLUE-500" => 45_000,
        "GLOVE-NIT" => 2_000,
        _ => 10_000,
    }
}

/// How an order line of the history fares.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    OnTime,
    Late,
    Short,
}

impl Writer {
    /// Line 1 of sales order `number`, created on day `d`: `qty` of `item` for
    /// `customer` (of `group`) from `site`, requested and promised for three days on,
    /// shipped as `fate` says and delivered the day after shipping; only what happens
    /// before the demo day is written (the rest is still open on the day).
    #[allow(clippy::too_many_arguments, reason = "one order line's whole story")]
    fn order(
        &mut self,
        d: i64,
        number: &str,
        (customer, group, site): (&str, &str, &str),
        item: &str,
        qty: i64,
        fate: Fate,
    ) -> Result<(), String> {
        let line = LineRef { order: parse(number)?, line: 1 };
        let due = at(d + 3, 0, 0).date_naive();
        let end = at(WEEKS * 7, 0, 0);
        let put = |w: &mut Writer, r: Record| {
            if r.at() < end {
                w.out.push(r);
            }
        };
        put(
            self,
            Record::OrderLineCreated(OrderLineCreated {
                at: at(d, 8, 0),
                line: line.clone(),
                customer: parse(customer)?,
                group: parse(group)?,
                item: parse(item)?,
                qty: ea(qty)?,
                requested: due,
                priority: 5,
            }),
        );
        put(
            self,
            Record::OrderLinePromised(OrderLinePromised {
                at: at(d, 8, 1),
                line: line.clone(),
                schedule: vec![Scheduled { site: parse(site)?, qty: ea(qty)?, date: due }],
            }),
        );
        let (ship_day, shipped) = match fate {
            Fate::OnTime => (d + 2, qty),
            Fate::Late => (d + 4, qty),
            Fate::Short => (d + 2, qty * 9 / 10),
        };
        put(
            self,
            Record::OrderLineShipped(OrderLineShipped {
                at: at(ship_day, 15, 0),
                line: line.clone(),
                site: parse(site)?,
                qty: ea(shipped)?,
                complete: true,
            }),
        );
        put(
            self,
            Record::OrderLineDelivered(OrderLineDelivered {
                at: at(ship_day + 1, 11, 0),
                line,
                qty: ea(shipped)?,
                damaged: ea(0)?,
                documents_ok: true,
                complete: true,
            }),
        );
        Ok(())
    }

    fn count(
        &mut self,
        when: DateTime<Utc>,
        (item, site): (&str, &str),
        counter: &str,
        book: i64,
        off: i64,
    ) -> Result<(), String> {
        self.out.push(Record::CountRecorded(CountRecorded {
            at: when,
            item: parse(item)?,
            site: parse(site)?,
            bin: None,
            class: if item == "BOLT-M8" { VelocityClass::A } else { VelocityClass::B },
            counter: parse(counter)?,
            book: ea(book)?,
            counted: ea(book + off)?,
            tolerance: ea(2)?,
            variance_value: usd(off * cost_per_100(item) / 100)?,
        }));
        Ok(())
    }

    fn receipt(
        &mut self,
        when: DateTime<Utc>,
        supplier: &str,
        (item, site): (&str, &str),
        qty: i64,
    ) -> Result<(), String> {
        self.out.push(Record::SupplierReceipt(SupplierReceipt {
            at: when,
            supplier: parse(supplier)?,
            item: parse(item)?,
            site: parse(site)?,
            qty: ea(qty)?,
            value: usd(qty * cost_per_100(item) / 100)?,
        }));
        Ok(())
    }

    /// Trouble after a receipt: damage found (adhesive) or a loss booked (the rest).
    fn trouble(
        &mut self,
        when: DateTime<Utc>,
        (item, site): (&str, &str),
        qty: i64,
    ) -> Result<(), String> {
        let value = usd(qty * cost_per_100(item) / 100)?;
        self.out.push(if item == "GLUE-500" {
            Record::StockDamaged(StockDamaged {
                at: when,
                item: parse(item)?,
                site: parse(site)?,
                kind: DamageKind::Damaged,
                qty: ea(qty)?,
                value,
            })
        } else {
            Record::Adjusted(Adjusted {
                at: when,
                item: parse(item)?,
                site: parse(site)?,
                reason: parse("DAMAGED")?,
                actor: parse("inv.control")?,
                delta: QtyDelta::new(Decimal::from(-qty), parse("EA")?),
                value: Money::new(-value.amount(), value.currency()),
            })
        });
        Ok(())
    }

    /// A transfer line requested on day `d` at `hour`, approved, shipped and received
    /// two days later in full.
    fn transfer(
        &mut self,
        d: i64,
        hour: u32,
        (from, to): (&str, &str),
        item: &str,
        qty: i64,
    ) -> Result<(), String> {
        self.transfers += 1;
        let t = TransferRef {
            transfer: parse::<DocNumber>(&format!("TO-H{:04}", self.transfers))?,
            line: 1,
        };
        self.out.push(Record::TransferRequested(TransferRequested {
            at: at(d, hour, 0),
            transfer: t.clone(),
            from: parse(from)?,
            to: parse(to)?,
            item: parse(item)?,
            qty: ea(qty)?,
            value: usd(qty * cost_per_100(item) / 100)?,
            expected_arrival: None,
            transport_cost: None,
            purchase_cost: None,
        }));
        self.out.push(Record::TransferApproved(TransferApproved {
            at: at(d, hour, 30),
            transfer: t.clone(),
        }));
        self.out.push(Record::TransferShipped(TransferShipped {
            at: at(d, hour + 2, 0),
            transfer: t.clone(),
            qty: ea(qty)?,
            expected_arrival: Some(at(d + 2, hour, 0)),
        }));
        self.out.push(Record::TransferReceived(TransferReceived {
            at: at(d + 2, hour, 0),
            transfer: t,
            qty: ea(qty)?,
            short: ea(0)?,
            over: ea(0)?,
            damaged: ea(0)?,
        }));
        Ok(())
    }
}

/// Who orders every weekday: customer, group, the warehouse that serves them.
const CUSTOMERS: [(&str, &str, &str); 4] = [
    ("HOMEPRO", "RETAIL", "ATL"),
    ("BUILDCO", "CONTRACTOR", "ORD"),
    ("WESTFAB", "OEM", "LAX"),
    ("LONESTAR", "RETAIL", "DFW"),
];

/// The sites inventory control counts, every weekday.
const COUNTED: [&str; 6] = ["ATL", "DFW", "ORD", "LAX", "YYZ", "YVR"];
/// The items it counts, two a site a day in turn.
const ITEMS: [&str; 4] = ["BOLT-M8", "NUT-M8", "GLOVE-NIT", "GLUE-500"];

/// The history's records, in time order (see the module docs).
///
/// # Errors
/// A code or quantity the generator writes that does not parse (a defect: the crate's
/// tests generate it).
pub fn demo_history() -> Result<Vec<Record>, String> {
    let mut rng = Lcg(20_260_105);
    let mut w = Writer { out: Vec::new(), transfers: 0 };
    // The counter who keeps missing: 9 of her 24 counts out of tolerance.
    let misses = [1usize, 3, 6, 8, 11, 14, 17, 19, 22];
    let mut picker_counts = 0usize;
    // POLYCHEM's receipts followed by damage: 10 of 24; ACME's by a loss: 3 of 72.
    let damaged = [0usize, 2, 5, 7, 9, 12, 15, 17, 20, 22];
    let (mut polychem, mut acme) = (0usize, 0usize);
    let mut orders = 0u32;
    for week in 0..WEEKS {
        for weekday in 0..5 {
            let d = week * 7 + weekday;
            // The day's orders: one line each, about 1 in 12 late and 1 in 25 short.
            for (c, customer) in CUSTOMERS.iter().enumerate() {
                orders += 1;
                let fate = match rng.below(100) {
                    0..=7 => Fate::Late,
                    8..=11 => Fate::Short,
                    _ => Fate::OnTime,
                };
                let item = if (c + usize::try_from(d).unwrap_or(0)) % 2 == 0 {
                    "BOLT-M8"
                } else {
                    "NUT-M8"
                };
                let qty = rng.qty(120, 120, 3);
                w.order(d, &format!("SO-H{orders:05}"), *customer, item, qty, fate)?;
            }
            // Inventory control counts two items at every site, every weekday.
            for (s, site) in COUNTED.iter().enumerate() {
                for k in 0..2 {
                    let item = ITEMS[(usize::try_from(d).unwrap_or(0) + s + k) % ITEMS.len()];
                    let off = if rng.below(40) == 0 { -5 } else { rng.qty(-1, 1, 3) };
                    let minute = u32::try_from(s * 10 + k * 5).unwrap_or(0);
                    w.count(
                        at(d, 6, minute),
                        (item, site),
                        "inv.control",
                        100 + 10 * i64::try_from(k).unwrap_or(0),
                        off,
                    )?;
                }
            }
            // Tuesdays and Thursdays: `picker` counts the bolts at Los Angeles.
            if weekday == 1 || weekday == 3 {
                let off = if misses.contains(&picker_counts) { -9 } else { 0 };
                picker_counts += 1;
                w.count(at(d, 13, 30), ("BOLT-M8", "LAX"), "picker", 120, off)?;
            }
            // Receipts: adhesive from POLYCHEM at Chicago (Mondays and Wednesdays),
            // bolts and nuts from ACME at Atlanta, Dallas and Chicago (Tuesdays and
            // Fridays).
            if weekday == 0 || weekday == 2 {
                w.receipt(at(d, 7, 0), "POLYCHEM", ("GLUE-500", "ORD"), 48)?;
                if damaged.contains(&polychem) {
                    w.trouble(at(d + 1, 9, 0), ("GLUE-500", "ORD"), 2)?;
                }
                polychem += 1;
            }
            if weekday == 1 || weekday == 4 {
                for (item, site) in [("BOLT-M8", "ATL"), ("NUT-M8", "DFW"), ("BOLT-M8", "ORD")] {
                    w.receipt(at(d, 7, 15), "ACME", (item, site), 1_200)?;
                    if acme == 13 || acme == 37 || acme == 52 {
                        w.trouble(at(d + 1, 10, 0), (item, site), 10)?;
                    }
                    acme += 1;
                }
            }
            // Transfers: Chicago to Atlanta three times a week (never bolts), Chicago to
            // Toronto once or twice, Atlanta to Boston once or twice.
            if weekday != 3 && weekday != 4 {
                let item =
                    ["NUT-M8", "GLUE-500", "GLOVE-NIT"][usize::try_from(weekday).unwrap_or(0) % 3];
                w.transfer(d, 11, ("ORD", "ATL"), item, rng.qty(24, 12, 4))?;
            }
            if weekday == 1 || (weekday == 3 && rng.below(2) == 0) {
                w.transfer(d, 12, ("ORD", "YYZ"), "NUT-M8", rng.qty(30, 10, 4))?;
            }
            if week == WEEKS - 1 && weekday == 2 {
                w.transfer(d, 15, ("ORD", "YYZ"), "NUT-M8", 600)?;
            }
            if weekday == 2 || (weekday == 4 && rng.below(2) == 0) {
                w.transfer(d, 14, ("ATL", "BOS-BR"), "GLOVE-NIT", rng.qty(20, 10, 3))?;
            }
        }
    }
    // In time order (the generator writes a day's receipts before its counts' later
    // follow-ups): a stable sort keeps same-time records as written.
    w.out.sort_by_key(Record::at);
    Ok(w.out)
}
