//! Transfer lines through request, approval, shipment, receipt and close: the state
//! behind transfer cycle times by lane, receipt discrepancies, the unusual-transfer
//! detector and transfer request scoring.
//!
//! Each step adds to the cell of its own day and lane, once: requests (count, value),
//! approval time (request to approval), shipment time (request to shipment), and at
//! receipt completion (the receipt after which received + short covers the quantity
//! shipped, or the close of a line received in part) the transit time (shipment to
//! completion) and the total cycle (request to completion). A close that writes off
//! what was shipped and never received counts, on its day, as one more receipt, short
//! by the quantity written off: receipt accuracy sees a line closed short.

use chrono::{DateTime, Utc};
use onhand_master::{Decimal, ItemCode, Money, UomCode, hash::Map};

use serde::{Deserialize, Serialize};

use crate::error::InsightError;
use crate::exact::{self, add};
use crate::figure::Amounts;
use crate::period::day_of;
use crate::record::{
    TransferApproved, TransferClosed, TransferReceived, TransferRef, TransferRequested,
    TransferShipped,
};
use crate::sketch::Sketch;

/// One transfer line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Transfer {
    pub(crate) from: u16,
    pub(crate) to: u16,
    pub(crate) item: ItemCode,
    pub(crate) uom: UomCode,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) qty: Decimal,
    pub(crate) value: Money,
    pub(crate) requested: i64,
    pub(crate) approved: Option<i64>,
    pub(crate) shipped: Option<i64>,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) shipped_qty: Decimal,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) accounted: Decimal,
    pub(crate) receipts: u32,
    pub(crate) completed: Option<i64>,
    pub(crate) closed: Option<i64>,
    pub(crate) expected: Option<i64>,
    pub(crate) transport_cost: Option<Money>,
    pub(crate) purchase_cost: Option<Money>,
    pub(crate) last: i64,
}

impl Transfer {
    fn state(&self) -> &'static str {
        if self.closed.is_some() {
            "closed"
        } else if self.completed.is_some() {
            "received"
        } else if self.receipts > 0 {
            "partly received"
        } else if self.shipped.is_some() {
            "shipped"
        } else if self.approved.is_some() {
            "approved"
        } else {
            "requested"
        }
    }

    /// Open: requested or approved, not shipped, not closed (what transfer scoring
    /// ranks).
    pub(crate) fn is_open_request(&self) -> bool {
        self.shipped.is_none() && self.closed.is_none()
    }
}

/// The figures of one day and lane.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct TransferCell {
    pub(crate) requested: u64,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) requested_qty: Decimal,
    pub(crate) requested_value: Amounts,
    pub(crate) approved: u64,
    pub(crate) shipped: u64,
    pub(crate) completed: u64,
    pub(crate) receipts: u64,
    pub(crate) receipts_exact: u64,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) short: Decimal,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) over: Decimal,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) damaged: Decimal,
    pub(crate) closed: u64,
    pub(crate) to_approve: Sketch,
    pub(crate) to_ship: Sketch,
    pub(crate) transit: Sketch,
    pub(crate) total: Sketch,
}

impl TransferCell {
    fn merge(&mut self, o: &TransferCell) {
        self.requested = self.requested.saturating_add(o.requested);
        add(&mut self.requested_qty, o.requested_qty);
        self.requested_value.acc_all(&o.requested_value);
        self.approved = self.approved.saturating_add(o.approved);
        self.shipped = self.shipped.saturating_add(o.shipped);
        self.completed = self.completed.saturating_add(o.completed);
        self.receipts = self.receipts.saturating_add(o.receipts);
        self.receipts_exact = self.receipts_exact.saturating_add(o.receipts_exact);
        add(&mut self.short, o.short);
        add(&mut self.over, o.over);
        add(&mut self.damaged, o.damaged);
        self.closed = self.closed.saturating_add(o.closed);
        self.to_approve.merge(&o.to_approve);
        self.to_ship.merge(&o.to_ship);
        self.transit.merge(&o.transit);
        self.total.merge(&o.total);
    }
}

/// Key of a transfer cell: day, from site, to site.
pub(crate) type TransferKey = (i32, u16, u16);

/// Transfer lines and their day cells, and the first time each lane carried each item.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Transfers {
    /// Boxed (a box serializes as its content): the table's growth then moves a key
    /// and a pointer per line, not the whole line.
    #[serde(with = "crate::snapshot::sorted")]
    pub(crate) lines: Map<TransferRef, Box<Transfer>>,
    #[serde(with = "crate::snapshot::sorted")]
    pub(crate) cells: Map<TransferKey, TransferCell>,
    /// (from, to, item) -> (first request time, its transfer line).
    #[serde(with = "crate::snapshot::sorted")]
    pub(crate) lane_items: Map<(u16, u16, ItemCode), (i64, TransferRef)>,
}

fn secs(later: i64, earlier: i64) -> u64 {
    u64::try_from(later.saturating_sub(earlier)).unwrap_or(0)
}

fn checked<'a>(
    lines: &'a mut Map<TransferRef, Box<Transfer>>,
    key: &TransferRef,
    at: DateTime<Utc>,
) -> Result<&'a mut Transfer, InsightError> {
    let t = lines.get_mut(key).ok_or_else(|| InsightError::UnknownTransfer {
        transfer: key.transfer.clone(),
        line: key.line,
    })?;
    if at.timestamp() < t.last {
        return Err(InsightError::OutOfOrder {
            what: "transfer record",
            at,
            after: DateTime::from_timestamp(t.last, 0).unwrap_or_default(),
        });
    }
    Ok(t)
}

fn step(key: &TransferRef, step: &'static str, t: &Transfer) -> InsightError {
    InsightError::TransferStep {
        transfer: key.transfer.clone(),
        line: key.line,
        step,
        state: t.state(),
    }
}

fn cell<'a>(
    cells: &'a mut Map<TransferKey, TransferCell>,
    at: DateTime<Utc>,
    t: &Transfer,
) -> &'a mut TransferCell {
    cells.entry((day_of(at), t.from, t.to)).or_default()
}

impl Transfers {
    /// Checks every site index after a restore.
    pub(crate) fn check(&self, b: &crate::snapshot::Bounds) -> Result<(), InsightError> {
        for (key, t) in &self.lines {
            let what = format!("transfer line {}/{}", key.transfer, key.line);
            b.site(t.from, false, &what)?;
            b.site(t.to, false, &what)?;
        }
        for (day, from, to) in self.cells.keys() {
            let what = format!("transfer cell of day {day}");
            b.site(*from, false, &what)?;
            b.site(*to, false, &what)?;
        }
        for (from, to, item) in self.lane_items.keys() {
            let what = format!("lane item {item}");
            b.site(*from, false, &what)?;
            b.site(*to, false, &what)?;
        }
        Ok(())
    }
    /// Reads transfer line `key` (for [`crate::Insight::apply_all`]'s look-ahead).
    pub(crate) fn touch(&self, key: &TransferRef) -> u64 {
        self.lines.get(key).map_or(0, |t| t.last.unsigned_abs())
    }

    pub(crate) fn requested(
        &mut self,
        r: &TransferRequested,
        from: u16,
        to: u16,
    ) -> Result<(), InsightError> {
        if self.lines.contains_key(&r.transfer) {
            return Err(InsightError::DuplicateTransfer {
                transfer: r.transfer.transfer.clone(),
                line: r.transfer.line,
            });
        }
        if from == to {
            return Err(InsightError::InvalidRecord {
                field: "to",
                reason: "the same site as from",
            });
        }
        exact::check("qty", r.qty.value())?;
        exact::check_money("value", r.value)?;
        for m in [r.transport_cost, r.purchase_cost].into_iter().flatten() {
            exact::check_money("cost", m)?;
        }
        let at = r.at.timestamp();
        let c = self.cells.entry((day_of(r.at), from, to)).or_default();
        c.requested = c.requested.saturating_add(1);
        add(&mut c.requested_qty, r.qty.value());
        c.requested_value.acc(r.value);
        self.lane_items
            .entry((from, to, r.item.clone()))
            .and_modify(|e| {
                if (at, &r.transfer) < (e.0, &e.1) {
                    *e = (at, r.transfer.clone());
                }
            })
            .or_insert_with(|| (at, r.transfer.clone()));
        self.lines.insert(
            r.transfer.clone(),
            Box::new(Transfer {
                from,
                to,
                item: r.item.clone(),
                uom: r.qty.uom(),
                qty: r.qty.value(),
                value: r.value,
                requested: at,
                approved: None,
                shipped: None,
                shipped_qty: Decimal::ZERO,
                accounted: Decimal::ZERO,
                receipts: 0,
                completed: None,
                closed: None,
                expected: r.expected_arrival.map(|t| t.timestamp()),
                transport_cost: r.transport_cost,
                purchase_cost: r.purchase_cost,
                last: at,
            }),
        );
        Ok(())
    }

    pub(crate) fn approved(&mut self, r: &TransferApproved) -> Result<(), InsightError> {
        let t = checked(&mut self.lines, &r.transfer, r.at)?;
        if t.approved.is_some() || t.shipped.is_some() || t.closed.is_some() {
            return Err(step(&r.transfer, "approved", t));
        }
        let at = r.at.timestamp();
        let c = cell(&mut self.cells, r.at, t);
        c.approved = c.approved.saturating_add(1);
        c.to_approve.add(secs(at, t.requested));
        t.approved = Some(at);
        t.last = at;
        Ok(())
    }

    pub(crate) fn shipped(&mut self, r: &TransferShipped) -> Result<(), InsightError> {
        let t = checked(&mut self.lines, &r.transfer, r.at)?;
        if t.completed.is_some() || t.closed.is_some() {
            return Err(step(&r.transfer, "shipped", t));
        }
        if r.qty.uom() != t.uom {
            return Err(InsightError::UnitMismatch {
                what: "shipped quantity",
                expected: t.uom,
                found: r.qty.uom(),
            });
        }
        exact::check("qty", r.qty.value())?;
        let at = r.at.timestamp();
        let mut shipped_qty = t.shipped_qty;
        add(&mut shipped_qty, r.qty.value());
        // A line shipped in parts: the first shipment starts its transit and ends its
        // time to ship; later ones add their quantity.
        if t.shipped.is_none() {
            let c = cell(&mut self.cells, r.at, t);
            c.shipped = c.shipped.saturating_add(1);
            c.to_ship.add(secs(at, t.requested));
            t.shipped = Some(at);
        }
        t.shipped_qty = shipped_qty;
        if let Some(e) = r.expected_arrival {
            t.expected = Some(e.timestamp());
        }
        t.last = at;
        Ok(())
    }

    pub(crate) fn received(&mut self, r: &TransferReceived) -> Result<(), InsightError> {
        let t = checked(&mut self.lines, &r.transfer, r.at)?;
        if t.shipped.is_none() || t.completed.is_some() || t.closed.is_some() {
            return Err(step(&r.transfer, "received", t));
        }
        for q in [r.qty, r.short, r.over, r.damaged] {
            if q.uom() != t.uom {
                return Err(InsightError::UnitMismatch {
                    what: "received quantity",
                    expected: t.uom,
                    found: q.uom(),
                });
            }
            exact::check("qty", q.value())?;
        }
        let shipped = t.shipped.unwrap_or(0);
        let mut accounted = t.accounted;
        add(&mut accounted, r.qty.value());
        add(&mut accounted, r.short.value());
        add(&mut accounted, r.damaged.value());
        // Complete once everything requested has shipped and all of it is accounted for
        // (a line shipped short completes when it is closed).
        let complete = accounted >= t.shipped_qty && t.shipped_qty >= t.qty;
        let at = r.at.timestamp();
        let c = cell(&mut self.cells, r.at, t);
        c.receipts = c.receipts.saturating_add(1);
        let exact = r.short.is_zero() && r.over.is_zero() && r.damaged.is_zero();
        c.receipts_exact = c.receipts_exact.saturating_add(u64::from(exact));
        add(&mut c.short, r.short.value());
        add(&mut c.over, r.over.value());
        add(&mut c.damaged, r.damaged.value());
        if complete {
            c.completed = c.completed.saturating_add(1);
            c.transit.add(secs(at, shipped));
            c.total.add(secs(at, t.requested));
            t.completed = Some(at);
        }
        t.accounted = accounted;
        t.receipts = t.receipts.saturating_add(1);
        t.last = at;
        Ok(())
    }

    pub(crate) fn closed(&mut self, r: &TransferClosed) -> Result<(), InsightError> {
        let t = checked(&mut self.lines, &r.transfer, r.at)?;
        if t.closed.is_some() {
            return Err(step(&r.transfer, "closed", t));
        }
        let written_off = match r.written_off {
            None => Decimal::ZERO,
            Some(q) => {
                if q.uom() != t.uom {
                    return Err(InsightError::UnitMismatch {
                        what: "written-off quantity",
                        expected: t.uom,
                        found: q.uom(),
                    });
                }
                exact::check("written_off", q.value())?;
                if !q.is_zero() && t.shipped.is_none() {
                    return Err(InsightError::InvalidRecord {
                        field: "written_off",
                        reason: "the line never shipped",
                    });
                }
                q.value()
            }
        };
        let complete_now = t.receipts > 0 && t.completed.is_none();
        let at = r.at.timestamp();
        let c = cell(&mut self.cells, r.at, t);
        c.closed = c.closed.saturating_add(1);
        // What never arrived is the line's last receipt, short by all of it.
        if !written_off.is_zero() {
            c.receipts = c.receipts.saturating_add(1);
            add(&mut c.short, written_off);
        }
        if complete_now {
            c.completed = c.completed.saturating_add(1);
            c.transit.add(secs(at, t.shipped.unwrap_or(at)));
            c.total.add(secs(at, t.requested));
            t.completed = Some(at);
        }
        t.closed = Some(at);
        t.last = at;
        Ok(())
    }

    /// The first line both hold, as the error a merge reports.
    pub(crate) fn overlap(&self, other: &Transfers) -> Option<InsightError> {
        let mut both: Vec<_> = other.lines.keys().filter(|k| self.lines.contains_key(*k)).collect();
        both.sort();
        both.first().map(|k| InsightError::MergeOverlap {
            what: "transfer line",
            key: format!("{}/{}", k.transfer, k.line),
        })
    }

    /// Merges `other` into `self` (check [`Self::overlap`] first).
    pub(crate) fn merge(&mut self, other: &Transfers) {
        for (k, c) in &other.cells {
            self.cells.entry(*k).or_default().merge(c);
        }
        for (k, t) in &other.lines {
            self.lines.insert(k.clone(), t.clone());
        }
        for (k, v) in &other.lane_items {
            self.lane_items
                .entry(k.clone())
                .and_modify(|e| {
                    if (v.0, &v.1) < (e.0, &e.1) {
                        *e = v.clone();
                    }
                })
                .or_insert_with(|| v.clone());
        }
    }
}
