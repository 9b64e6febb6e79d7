//! Customer order lines and orders: the state behind fill rates, promise accuracy,
//! perfect order fulfillment and order fulfillment cycle time.
//!
//! Each line keeps what it needs to say, at any moment, what it contributes: units and
//! lines against its requested date, against its promise, and whether it was promised
//! accurately; each order keeps counters over its lines. A record changes one line: the
//! line's old contribution is retracted from the day cells and its new one added, and
//! the same for its order. So every cell is, at every moment, the sum over lines and
//! orders of their current contribution: exact, independent of the order in which
//! retractions happened, and mergeable (orders whose lines sit in two partitions are
//! retracted on both sides and added back once, combined).
//!
//! Cells are keyed by day, the line's site (the site of its first schedule line, or of
//! its first shipment) and the customer group; order figures use no site.

use chrono::{DateTime, Utc};
use onhand_ledger::{DocNumber, ReasonCode};
use onhand_master::decimal::serde_str::Plain;
use onhand_master::{CustomerGroupCode, Decimal, UomCode, hash::Map};
use smallvec::SmallVec;

use serde::{Deserialize, Serialize};

use crate::config::Basis;
use crate::error::InsightError;
use crate::exact::{self, Fx, add, count, sub};
use crate::period::{day_number, day_of};
use crate::record::{
    LineRef, OrderLineCancelled, OrderLineCreated, OrderLineDelivered, OrderLinePromised,
    OrderLineReturned, OrderLineShipped, ReturnCondition, ReturnInspected,
};
use crate::sketch::Sketch;
use crate::store::{Keyed, Store};

/// No site (order figures, lines not yet promised or shipped).
pub(crate) const NO_SITE: u16 = u16::MAX;

/// One order line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(clippy::struct_excessive_bools, reason = "a line's independent states")]
pub(crate) struct Line {
    /// Its order's index.
    pub(crate) order: u32,
    pub(crate) group: CustomerGroupCode,
    pub(crate) item: onhand_master::ItemCode,
    pub(crate) priority: u8,
    pub(crate) created: i64,
    pub(crate) last: i64,
    pub(crate) requested: i32,
    pub(crate) uom: UomCode,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) ordered: Decimal,
    /// (day, site, qty), sorted by day then site.
    #[serde(deserialize_with = "plain_schedule")]
    pub(crate) schedule: SmallVec<[(i32, u16, Decimal); 1]>,
    /// (day, qty) in time order.
    #[serde(deserialize_with = "plain_dated")]
    pub(crate) ships: SmallVec<[(i32, Decimal); 1]>,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) shipped: Decimal,
    pub(crate) ship_site: u16,
    pub(crate) ship_closed: bool,
    #[serde(deserialize_with = "plain_dated")]
    pub(crate) delivs: SmallVec<[(i32, Decimal); 1]>,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) delivered: Decimal,
    pub(crate) deliv_closed: bool,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) damaged: Decimal,
    /// Returned by the customer, in all.
    #[serde(default, skip_serializing_if = "Decimal::is_zero")]
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) returned: Decimal,
    /// Of it, awaiting inspection.
    #[serde(default, skip_serializing_if = "Decimal::is_zero")]
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) return_pending: Decimal,
    /// Of it, found damaged (on arrival or at inspection).
    #[serde(default, skip_serializing_if = "Decimal::is_zero")]
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) return_damaged: Decimal,
    pub(crate) docs_ok: bool,
    pub(crate) fulfilled: Option<i64>,
    pub(crate) cancelled: bool,
    /// The contribution and flags as last computed ([`Line::fig`]), so a change reads
    /// the old one instead of computing it again; not kept in snapshots (computed on
    /// the first change after a restore).
    #[serde(skip)]
    cached: Option<(Option<LineFig>, Flags)>,
}

/// What a live line contributes against its requested date.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ReqFig {
    day: i32,
    site: u16,
    ordered: Fx,
    on_time: Fx,
    filled: bool,
}

/// What a live, promised line contributes against its promise.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PromFig {
    day: i32,
    site: u16,
    ordered: Fx,
    on_time: Fx,
    filled: bool,
    accurate: bool,
}

/// Reads a line's schedule with its quantities in plain decimal notation (see
/// [`onhand_master::decimal::serde_str`]).
#[allow(clippy::type_complexity, reason = "spelled out, so the tidy check sees the decimal")]
fn plain_schedule<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<SmallVec<[(i32, u16, Decimal); 1]>, D::Error> {
    let v = <SmallVec<[(i32, u16, Plain); 1]> as Deserialize>::deserialize(d)?;
    Ok(v.into_iter().map(|(day, site, q)| (day, site, q.0)).collect())
}

/// Reads a line's dated quantities (shipments, deliveries) in plain decimal notation.
fn plain_dated<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<SmallVec<[(i32, Decimal); 1]>, D::Error> {
    let v = <SmallVec<[(i32, Plain); 1]> as Deserialize>::deserialize(d)?;
    Ok(v.into_iter().map(|(day, q)| (day, q.0)).collect())
}

/// What a live line contributes.
#[derive(Debug, Clone, Copy, PartialEq)]
struct LineFig {
    req: ReqFig,
    prom: Option<PromFig>,
}

/// A line's flags as its order counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Flags([bool; 9]);

const LIVE: usize = 0;
const FILLED_REQ: usize = 1;
const PROMISED: usize = 2;
const FILLED_PROM: usize = 3;
const FULFILLED: usize = 4;
const IN_FULL: usize = 5;
const ON_TIME: usize = 6;
const CONDITION: usize = 7;
const DOCS: usize = 8;

impl Line {
    fn basis_records(&self, basis: Basis) -> &[(i32, Decimal)] {
        match basis {
            Basis::Delivery => &self.delivs,
            Basis::Shipment => &self.ships,
        }
    }

    fn basis_qty(&self, basis: Basis) -> Decimal {
        match basis {
            Basis::Delivery => self.delivered,
            Basis::Shipment => self.shipped,
        }
    }

    fn site(&self) -> u16 {
        self.schedule.first().map_or(self.ship_site, |s| s.1)
    }

    pub(crate) fn confirmed(&self) -> Decimal {
        let mut c = Decimal::ZERO;
        for s in &self.schedule {
            add(&mut c, s.2);
        }
        c
    }

    /// Units shipped on time against the promise: shipments fill the schedule lines in
    /// date order; a unit is on time when its schedule line's date is on or after the
    /// day it shipped. Units beyond the confirmed quantity (or the ordered one) are not.
    fn on_time_promised(&self, confirmed: Fx, ordered: Fx) -> Fx {
        let cap = confirmed.min(ordered);
        let mut pos = Fx::default();
        let mut on_time = Fx::default();
        for (d, q) in &self.ships {
            let lo = pos;
            pos.add(Fx::of(*q));
            let mut before = Fx::default();
            for s in self.schedule.iter().take_while(|s| s.0 < *d) {
                before.add(Fx::of(s.2));
            }
            let a = lo.max(before);
            let b = pos.min(cap);
            if a < b {
                on_time.add(b);
                on_time.sub(a);
            }
        }
        on_time
    }

    /// The line's contribution and its flags (nothing for a cancelled line), worked
    /// out in fixed point ([`Fx`]: exact, integer additions and comparisons).
    fn fig(&self, basis: Basis) -> (Option<LineFig>, Flags) {
        let mut f = Flags::default();
        if self.cancelled {
            return (None, f);
        }
        let ordered = Fx::of(self.ordered);
        let mut by_requested = Fx::default();
        for (_, q) in self.ships.iter().filter(|(d, _)| *d <= self.requested) {
            by_requested.add(Fx::of(*q));
        }
        let on_time_req = by_requested.min(ordered);
        let site = self.site();
        let prom = self.schedule.last().map(|last| {
            let mut confirmed = Fx::default();
            for s in &self.schedule {
                confirmed.add(Fx::of(s.2));
            }
            let on_time = self.on_time_promised(confirmed, ordered);
            let mut by_date = Fx::default();
            for (_, q) in self.basis_records(basis).iter().filter(|(d, _)| *d <= last.0) {
                by_date.add(Fx::of(*q));
            }
            PromFig {
                day: last.0,
                site,
                ordered,
                on_time,
                filled: on_time >= ordered,
                accurate: Fx::default() < confirmed && by_date >= confirmed,
            }
        });
        let req = ReqFig {
            day: self.requested,
            site,
            ordered,
            on_time: on_time_req,
            filled: on_time_req >= ordered,
        };
        f.0[LIVE] = true;
        f.0[FILLED_REQ] = req.filled;
        f.0[PROMISED] = prom.is_some();
        f.0[FILLED_PROM] = prom.is_some_and(|p| p.filled);
        if let Some(done) = self.fulfilled {
            let commit = self.schedule.last().map_or(self.requested, |s| s.0);
            f.0[FULFILLED] = true;
            f.0[IN_FULL] = Fx::of(self.basis_qty(basis)) >= ordered;
            f.0[ON_TIME] = day_of_secs(done) <= commit;
            // Perfect condition (SCOR RL.2.4): nothing delivered damaged, and nothing
            // returned and found damaged or defective.
            f.0[CONDITION] = self.damaged.is_zero() && self.return_damaged.is_zero();
            f.0[DOCS] = self.docs_ok;
        }
        (Some(LineFig { req, prom }), f)
    }
}

fn day_of_secs(secs: i64) -> i32 {
    crate::period::day_of_timestamp(secs)
}

/// One order: counters over its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Order {
    number: DocNumber,
    group: CustomerGroupCode,
    /// The first line: (created, line number, requested day).
    first: (i64, u32, i32),
    counts: [u32; 9],
    max_fulfilled: Option<i64>,
}

/// What an order contributes on its due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OrderReq {
    day: i32,
    filled: bool,
    prom: Option<bool>,
}

/// What a fulfilled order contributes on its completion day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Done {
    day: i32,
    cycle: u64,
    perfect: bool,
    parts: [bool; 4],
}

impl Order {
    fn fig(&self) -> (Option<OrderReq>, Option<Done>) {
        let live = self.counts[LIVE];
        if live == 0 {
            return (None, None);
        }
        let all = |i: usize| self.counts[i] == live;
        let done = match self.max_fulfilled {
            Some(t) if all(FULFILLED) => {
                let parts = [all(IN_FULL), all(ON_TIME), all(CONDITION), all(DOCS)];
                Some(Done {
                    day: day_of_secs(t),
                    cycle: u64::try_from(t.saturating_sub(self.first.0)).unwrap_or(0),
                    perfect: parts.iter().all(|p| *p),
                    parts,
                })
            }
            _ => None,
        };
        let req = OrderReq {
            day: self.first.2,
            filled: all(FILLED_REQ),
            prom: all(PROMISED).then(|| all(FILLED_PROM)),
        };
        (Some(req), done)
    }

    fn count(&mut self, f: Flags, s: i64) {
        for (c, on) in self.counts.iter_mut().zip(f.0) {
            if on {
                *c = if s > 0 { c.saturating_add(1) } else { c.saturating_sub(1) };
            }
        }
    }
}

/// The figures of one day, site and customer group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(
    clippy::struct_field_names,
    reason = "orders_* are the order-level figures beside the line-level ones"
)]
pub(crate) struct OrderCell {
    pub(crate) req_units: Fx,
    pub(crate) req_units_on_time: Fx,
    pub(crate) req_lines: i64,
    pub(crate) req_lines_filled: i64,
    pub(crate) prom_units: Fx,
    pub(crate) prom_units_on_time: Fx,
    pub(crate) prom_lines: i64,
    pub(crate) prom_lines_filled: i64,
    pub(crate) accurate_lines: i64,
    pub(crate) orders_req: i64,
    pub(crate) orders_req_filled: i64,
    pub(crate) orders_prom: i64,
    pub(crate) orders_prom_filled: i64,
    pub(crate) orders_done: i64,
    pub(crate) perfect: i64,
    /// In full, on time, perfect condition, accurate documentation.
    pub(crate) parts: [i64; 4],
    pub(crate) cycle: Sketch,
}

impl OrderCell {
    fn merge(&mut self, o: &OrderCell) {
        self.req_units.add(o.req_units);
        self.req_units_on_time.add(o.req_units_on_time);
        count(&mut self.req_lines, o.req_lines);
        count(&mut self.req_lines_filled, o.req_lines_filled);
        self.prom_units.add(o.prom_units);
        self.prom_units_on_time.add(o.prom_units_on_time);
        count(&mut self.prom_lines, o.prom_lines);
        count(&mut self.prom_lines_filled, o.prom_lines_filled);
        count(&mut self.accurate_lines, o.accurate_lines);
        count(&mut self.orders_req, o.orders_req);
        count(&mut self.orders_req_filled, o.orders_req_filled);
        count(&mut self.orders_prom, o.orders_prom);
        count(&mut self.orders_prom_filled, o.orders_prom_filled);
        count(&mut self.orders_done, o.orders_done);
        count(&mut self.perfect, o.perfect);
        for (a, b) in self.parts.iter_mut().zip(o.parts) {
            count(a, b);
        }
        self.cycle.merge(&o.cycle);
    }

    /// Whether every figure is back to zero (all contributions retracted).
    fn is_empty(&self) -> bool {
        *self == OrderCell::default()
    }
}

/// Key of an order cell: day, site, customer group.
pub(crate) type OrderKey = (i32, u16, CustomerGroupCode);

type Cells = Map<OrderKey, OrderCell>;

fn b(x: bool) -> i64 {
    i64::from(x)
}

fn signed(a: &mut Fx, v: Fx, s: i64) {
    if s > 0 { a.add(v) } else { a.sub(v) }
}

fn put_req(c: &mut OrderCell, f: &ReqFig, s: i64) {
    signed(&mut c.req_units, f.ordered, s);
    signed(&mut c.req_units_on_time, f.on_time, s);
    count(&mut c.req_lines, s);
    count(&mut c.req_lines_filled, s * b(f.filled));
}

fn put_prom(c: &mut OrderCell, f: &PromFig, s: i64) {
    signed(&mut c.prom_units, f.ordered, s);
    signed(&mut c.prom_units_on_time, f.on_time, s);
    count(&mut c.prom_lines, s);
    count(&mut c.prom_lines_filled, s * b(f.filled));
    count(&mut c.accurate_lines, s * b(f.accurate));
}

#[allow(clippy::trivially_copy_pass_by_ref, reason = "one signature for every part `shift` moves")]
fn put_order_req(c: &mut OrderCell, f: &OrderReq, s: i64) {
    count(&mut c.orders_req, s);
    count(&mut c.orders_req_filled, s * b(f.filled));
    if let Some(filled) = f.prom {
        count(&mut c.orders_prom, s);
        count(&mut c.orders_prom_filled, s * b(filled));
    }
}

fn put_done(c: &mut OrderCell, d: &Done, s: i64) {
    count(&mut c.orders_done, s);
    count(&mut c.perfect, s * b(d.perfect));
    for (a, p) in c.parts.iter_mut().zip(d.parts) {
        count(a, s * b(p));
    }
    if s > 0 {
        c.cycle.add(d.cycle);
    } else {
        let removed = c.cycle.remove(d.cycle);
        debug_assert!(removed, "a retracted cycle time was added before");
    }
}

/// Moves one part of a contribution from `old` to `new` in the cells: nothing when
/// equal, one look-up when both sit in the same cell, otherwise a retraction (dropping
/// the cell if it empties) and an addition.
fn shift<T: PartialEq>(
    cells: &mut Cells,
    group: &CustomerGroupCode,
    old: Option<&T>,
    new: Option<&T>,
    key: impl Fn(&T) -> (i32, u16),
    put: impl Fn(&mut OrderCell, &T, i64),
) {
    if old == new {
        return;
    }
    if let (Some(o), Some(n)) = (old, new)
        && key(o) == key(n)
    {
        let (day, site) = key(n);
        let c = cells.entry((day, site, group.clone())).or_default();
        put(c, o, -1);
        put(c, n, 1);
        return;
    }
    if let Some(o) = old {
        let (day, site) = key(o);
        let k = (day, site, group.clone());
        if let Some(c) = cells.get_mut(&k) {
            put(c, o, -1);
            if c.is_empty() {
                cells.remove(&k);
            }
        } else {
            debug_assert!(false, "a retracted contribution was added before");
        }
    }
    if let Some(n) = new {
        let (day, site) = key(n);
        put(cells.entry((day, site, group.clone())).or_default(), n, 1);
    }
}

fn shift_line(
    cells: &mut Cells,
    group: &CustomerGroupCode,
    old: Option<&LineFig>,
    new: Option<&LineFig>,
) {
    // The common case, a promised line whose requested and promised figures sit in
    // one cell before and after: one look-up for both parts.
    if let (Some(o), Some(n)) = (old, new)
        && let (Some(op), Some(np)) = (&o.prom, &n.prom)
    {
        let k = (o.req.day, o.req.site);
        if (n.req.day, n.req.site) == k && (op.day, op.site) == k && (np.day, np.site) == k {
            if o != n {
                let c = cells.entry((k.0, k.1, group.clone())).or_default();
                put_req(c, &o.req, -1);
                put_req(c, &n.req, 1);
                put_prom(c, op, -1);
                put_prom(c, np, 1);
            }
            return;
        }
    }
    shift(cells, group, old.map(|f| &f.req), new.map(|f| &f.req), |f| (f.day, f.site), put_req);
    shift(
        cells,
        group,
        old.and_then(|f| f.prom.as_ref()),
        new.and_then(|f| f.prom.as_ref()),
        |f| (f.day, f.site),
        put_prom,
    );
}

fn shift_order(
    cells: &mut Cells,
    group: &CustomerGroupCode,
    old: (Option<OrderReq>, Option<Done>),
    new: (Option<OrderReq>, Option<Done>),
) {
    shift(cells, group, old.0.as_ref(), new.0.as_ref(), |f| (f.day, NO_SITE), put_order_req);
    shift(cells, group, old.1.as_ref(), new.1.as_ref(), |f| (f.day, NO_SITE), put_done);
}

/// Order lines, orders and their day cells.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[allow(clippy::struct_field_names, reason = "the orders of `Orders` read best as such")]
pub(crate) struct Orders {
    lines: Keyed<LineRef, Line>,
    /// Built again from `orders` on restore.
    #[serde(skip)]
    order_index: Map<DocNumber, u32>,
    orders: Store<Order>,
    #[serde(with = "crate::snapshot::sorted")]
    pub(crate) cells: Cells,
    /// Customer returns by day, site and reason (absent from snapshots without any).
    #[serde(default, skip_serializing_if = "Map::is_empty", with = "crate::snapshot::sorted")]
    pub(crate) returns: Map<ReturnKey, ReturnCell>,
    /// Units shipped by day and shipping site, less reversed shipments: the return
    /// rate's denominator (absent from snapshots without any shipment; a state restored
    /// from a snapshot written before it was kept has none for its earlier days).
    #[serde(default, skip_serializing_if = "Map::is_empty", with = "crate::snapshot::sorted")]
    pub(crate) shipped: Map<(i32, u16), Decimal>,
}

/// Key of a return cell: day, site, reason.
pub(crate) type ReturnKey = (i32, u16, ReasonCode);

/// The customer returns of one day, site and reason.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ReturnCell {
    /// Return records (a line coming back once counts once).
    pub(crate) returns: u64,
    /// Units returned.
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) units: Decimal,
    /// Units found sound (on arrival or at inspection, on the day it was found).
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) sound: Decimal,
    /// Units found damaged (on arrival or at inspection, on the day it was found).
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) damaged: Decimal,
}

impl ReturnCell {
    fn merge(&mut self, o: &ReturnCell) {
        self.returns = self.returns.saturating_add(o.returns);
        add(&mut self.units, o.units);
        add(&mut self.sound, o.sound);
        add(&mut self.damaged, o.damaged);
    }

    fn found(&mut self, condition: ReturnCondition, qty: Decimal) {
        match condition {
            ReturnCondition::Pending => {}
            ReturnCondition::Sound => add(&mut self.sound, qty),
            ReturnCondition::Damaged => add(&mut self.damaged, qty),
        }
    }
}

fn closed(key: &LineRef, state: &'static str) -> InsightError {
    InsightError::LineClosed { order: key.order.clone(), line: key.line, state }
}

impl Orders {
    /// Builds the order index again after a restore, checking every index.
    pub(crate) fn reindex(&mut self, b: &crate::snapshot::Bounds) -> Result<(), InsightError> {
        use crate::snapshot::invalid;
        let mut index = onhand_master::hash::map();
        for (ix, order) in self.orders.iter() {
            if index.insert(order.number.clone(), ix).is_some() {
                return Err(invalid(format!("order {} twice", order.number)));
            }
        }
        for (key, line) in self.lines.iter() {
            let what = format!("order line {}/{}", key.order, key.line);
            let order =
                self.orders.get(line.order).ok_or_else(|| invalid(format!("{what}: no order")))?;
            if order.number != key.order {
                return Err(invalid(format!("{what}: under order {}", order.number)));
            }
            b.site(line.ship_site, true, &what)?;
            for s in &line.schedule {
                b.site(s.1, false, &what)?;
            }
        }
        for (day, site, _) in self.cells.keys() {
            b.site(*site, true, &format!("order cell of day {day}"))?;
        }
        for (day, site, _) in self.returns.keys() {
            b.site(*site, false, &format!("return cell of day {day}"))?;
        }
        for (day, site) in self.shipped.keys() {
            b.site(*site, false, &format!("units shipped on day {day}"))?;
        }
        self.order_index = index;
        Ok(())
    }
    /// Checks, after [`Self::reindex`], what the lines determine: every order's
    /// counters, first line and group are its lines', its latest fulfilment is at
    /// least theirs, and the day cells are exactly the sum of every line's and order's
    /// current contribution (as [`Self::change`] keeps them). A restored state that
    /// passes retracts only what it added.
    pub(crate) fn verify(&self, basis: Basis) -> Result<(), InsightError> {
        use crate::snapshot::invalid;
        type Derived<'a> = ([u32; 9], Option<(i64, u32, i32)>, Option<&'a CustomerGroupCode>);
        let mut derived: Vec<Derived<'_>> = vec![([0; 9], None, None); self.orders.iter().count()];
        let mut cells = Cells::default();
        for (key, line) in self.lines.iter() {
            let (fig, flags) = line.fig(basis);
            shift_line(&mut cells, &line.group, None, fig.as_ref());
            let Some((counts, first, group)) = derived.get_mut(line.order as usize) else {
                return Err(invalid(format!("order line {}/{}: no order", key.order, key.line)));
            };
            for (c, on) in counts.iter_mut().zip(flags.0) {
                *c = c.saturating_add(u32::from(on));
            }
            let mine = (line.created, key.line, line.requested);
            if first.is_none_or(|f| mine < f) {
                *first = Some(mine);
                *group = Some(&line.group);
            }
            let order = self.orders.get(line.order);
            if let (Some(t), Some(order)) = (line.fulfilled, order)
                && order.max_fulfilled.is_none_or(|m| m < t)
            {
                return Err(invalid(format!(
                    "order {}: fulfilled before its line {}",
                    key.order, key.line
                )));
            }
        }
        for ((_, order), (counts, first, group)) in self.orders.iter().zip(&derived) {
            if order.counts != *counts
                || Some(order.first) != *first
                || Some(&order.group) != *group
            {
                return Err(invalid(format!(
                    "order {}: counters, first line or group not its lines'",
                    order.number
                )));
            }
            shift_order(&mut cells, &order.group, (None, None), order.fig());
        }
        let held = self.cells.iter().filter(|(_, c)| !c.is_empty());
        if held.clone().count() != cells.len()
            || held.into_iter().any(|(k, c)| cells.get(k) != Some(c))
        {
            return Err(invalid("order cells: not the sum of their lines' and orders' figures"));
        }
        Ok(())
    }

    /// Every line with its reference (in no particular order).
    pub(crate) fn iter_lines(&self) -> impl Iterator<Item = (&LineRef, &Line)> {
        self.lines.iter()
    }

    /// Reads line `key` (for [`crate::Insight::apply_all`]'s look-ahead).
    pub(crate) fn touch(&self, key: &LineRef) -> u64 {
        self.lines.get(key).map_or(0, |l| l.last.unsigned_abs())
    }

    /// The open line `key`, checked for time order: its index.
    fn open_line(&self, key: &LineRef, at: DateTime<Utc>) -> Result<(u32, &Line), InsightError> {
        let ix = self.lines.find(key).ok_or_else(|| InsightError::UnknownLine {
            order: key.order.clone(),
            line: key.line,
        })?;
        let Some(line) = self.lines.at(ix) else {
            debug_assert!(false, "an indexed line is stored");
            return Err(InsightError::UnknownLine { order: key.order.clone(), line: key.line });
        };
        if line.cancelled {
            return Err(closed(key, "cancelled"));
        }
        if at.timestamp() < line.last {
            return Err(InsightError::OutOfOrder {
                what: "order line record",
                at,
                after: DateTime::from_timestamp(line.last, 0).unwrap_or_default(),
            });
        }
        Ok((ix, line))
    }

    /// Applies a change to line `ix`: its and its order's contributions move from the
    /// old to the new.
    fn change(&mut self, ix: u32, basis: Basis, f: impl FnOnce(&mut Line)) {
        let Some(line) = self.lines.at_mut(ix) else {
            debug_assert!(false, "validated line");
            return;
        };
        let (old_fig, old_flags) = match line.cached.take() {
            Some(c) => {
                debug_assert!(c == line.fig(basis), "the cached contribution is the line's");
                c
            }
            None => line.fig(basis),
        };
        let was_fulfilled = line.fulfilled;
        f(line);
        let (new_fig, new_flags) = line.fig(basis);
        line.cached = Some((new_fig, new_flags));
        shift_line(&mut self.cells, &line.group, old_fig.as_ref(), new_fig.as_ref());
        let fulfilled = line.fulfilled;
        if old_flags == new_flags && fulfilled == was_fulfilled {
            // Nothing the order counts changed: leave it (and its memory) alone.
            return;
        }
        let Some(order) = self.orders.get_mut(line.order) else {
            debug_assert!(false, "every line has its order");
            return;
        };
        let later = fulfilled.is_some_and(|t| order.max_fulfilled.is_none_or(|m| m < t));
        if old_flags != new_flags || later {
            let old = order.fig();
            order.count(old_flags, -1);
            order.count(new_flags, 1);
            if later {
                order.max_fulfilled = fulfilled;
            }
            let new = order.fig();
            shift_order(&mut self.cells, &order.group, old, new);
        }
    }

    pub(crate) fn created(
        &mut self,
        r: &OrderLineCreated,
        basis: Basis,
    ) -> Result<(), InsightError> {
        if self.lines.contains(&r.line) {
            return Err(InsightError::DuplicateLine {
                order: r.line.order.clone(),
                line: r.line.line,
            });
        }
        exact::check("qty", r.qty.value())?;
        if r.qty.is_zero() {
            return Err(InsightError::InvalidRecord {
                field: "qty",
                reason: "an order line of zero",
            });
        }
        let at = r.at.timestamp();
        let requested = day_number(r.requested);
        let first = (at, r.line.line, requested);
        let order_ix = if let Some(ix) = self.order_index.get(&r.line.order) {
            *ix
        } else {
            let ix = self.orders.push(Order {
                number: r.line.order.clone(),
                group: r.group.clone(),
                first,
                counts: [0; 9],
                max_fulfilled: None,
            });
            self.order_index.insert(r.line.order.clone(), ix);
            ix
        };
        // An order's first line (earliest, then lowest number) sets its due date and
        // group; a line created at the same time with a lower number takes over.
        if let Some(order) = self.orders.get_mut(order_ix)
            && first < order.first
        {
            let old = order.fig();
            let old_group = order.group.clone();
            order.first = first;
            order.group = r.group.clone();
            let new = order.fig();
            shift_order(&mut self.cells, &old_group, old, (None, None));
            shift_order(&mut self.cells, &order.group, (None, None), new);
        }
        // A new line enters as if it had been cancelled and is revived: its
        // contribution goes from nothing to its first one.
        let ix = self.lines.insert_new(
            r.line.clone(),
            Line {
                order: order_ix,
                group: r.group.clone(),
                item: r.item.clone(),
                priority: r.priority,
                created: at,
                last: at,
                requested,
                uom: r.qty.uom(),
                ordered: r.qty.value(),
                schedule: SmallVec::new(),
                ships: SmallVec::new(),
                shipped: Decimal::ZERO,
                ship_site: NO_SITE,
                ship_closed: false,
                delivs: SmallVec::new(),
                delivered: Decimal::ZERO,
                deliv_closed: false,
                damaged: Decimal::ZERO,
                returned: Decimal::ZERO,
                return_pending: Decimal::ZERO,
                return_damaged: Decimal::ZERO,
                docs_ok: true,
                fulfilled: None,
                cancelled: true,
                cached: None,
            },
        );
        self.change(ix, basis, |l| l.cancelled = false);
        Ok(())
    }

    pub(crate) fn promised(
        &mut self,
        r: &OrderLinePromised,
        site_ix: impl Fn(&onhand_master::SiteCode) -> Option<u16>,
        basis: Basis,
    ) -> Result<(), InsightError> {
        let (ix, line) = self.open_line(&r.line, r.at)?;
        if line.fulfilled.is_some() {
            return Err(closed(&r.line, "fulfilled"));
        }
        let mut schedule: SmallVec<[(i32, u16, Decimal); 1]> = SmallVec::new();
        for s in &r.schedule {
            let site = site_ix(&s.site).ok_or_else(|| InsightError::UnknownSite(s.site.clone()))?;
            if s.qty.uom() != line.uom {
                return Err(InsightError::UnitMismatch {
                    what: "confirmed quantity",
                    expected: line.uom,
                    found: s.qty.uom(),
                });
            }
            exact::check("schedule qty", s.qty.value())?;
            schedule.push((day_number(s.date), site, s.qty.value()));
        }
        schedule.sort_by_key(|s| (s.0, s.1));
        let at = r.at.timestamp();
        self.change(ix, basis, |l| {
            l.schedule = schedule;
            l.last = at;
        });
        Ok(())
    }

    pub(crate) fn shipped(
        &mut self,
        r: &OrderLineShipped,
        site: u16,
        basis: Basis,
    ) -> Result<(), InsightError> {
        let (ix, line) = self.open_line(&r.line, r.at)?;
        if line.ship_closed {
            return Err(closed(&r.line, "shipped"));
        }
        let qty = line_qty(line, r.qty, "shipped quantity")?;
        let (at, day) = (r.at.timestamp(), day_of(r.at));
        add(self.shipped.entry((day, site)).or_default(), qty);
        self.change(ix, basis, |l| {
            l.ships.push((day, qty));
            add(&mut l.shipped, qty);
            if l.ship_site == NO_SITE {
                l.ship_site = site;
            }
            l.ship_closed = r.complete || exact::ge(l.shipped, l.ordered);
            l.last = at;
            if basis == Basis::Shipment && l.ship_closed && l.fulfilled.is_none() {
                l.fulfilled = Some(at);
            }
        });
        Ok(())
    }

    /// Shipment `r` of its line reversed at `at`: it leaves the line's shipments (its
    /// day's entry of its quantity) and shipped quantity; a line that no longer ships
    /// its order in full is open again and, on [`Basis::Shipment`], no longer
    /// fulfilled. Refused when the line holds no such shipment or its returns would
    /// exceed what stays shipped.
    ///
    /// Its order's completion time, when the line ships again, is the latest
    /// fulfilment of its lines, this one's new one included; a line cancelled after
    /// being un-shipped leaves the order's latest fulfilment as it stood (the order
    /// does not keep its lines' times).
    pub(crate) fn unshipped(
        &mut self,
        r: &OrderLineShipped,
        site: u16,
        at: DateTime<Utc>,
        basis: Basis,
    ) -> Result<(), InsightError> {
        let (ix, line) = self.open_line(&r.line, at)?;
        let qty = line_qty(line, r.qty, "shipped quantity")?;
        let day = day_of(r.at);
        let Some(pos) = line.ships.iter().position(|(d, q)| *d == day && *q == qty) else {
            return Err(InsightError::InvalidRecord {
                field: "original",
                reason: "a shipment the line does not hold",
            });
        };
        let mut left = line.shipped;
        sub(&mut left, qty);
        if exact::lt(left, line.returned) {
            return Err(InsightError::InvalidRecord {
                field: "original",
                reason: "a shipment whose goods the customer returned",
            });
        }
        let t = at.timestamp();
        if let Some(units) = self.shipped.get_mut(&(day, site)) {
            sub(units, qty);
            if units.is_zero() {
                self.shipped.remove(&(day, site));
            }
        }
        self.change(ix, basis, |l| {
            l.ships.remove(pos);
            l.shipped = left;
            if l.ships.is_empty() {
                l.ship_site = NO_SITE;
            }
            l.ship_closed = exact::ge(l.shipped, l.ordered);
            if basis == Basis::Shipment && !l.ship_closed {
                l.fulfilled = None;
            }
            l.last = t;
        });
        Ok(())
    }

    pub(crate) fn delivered(
        &mut self,
        r: &OrderLineDelivered,
        basis: Basis,
    ) -> Result<(), InsightError> {
        let (ix, line) = self.open_line(&r.line, r.at)?;
        if line.deliv_closed {
            return Err(closed(&r.line, "delivered"));
        }
        for (what, q) in [("delivered quantity", r.qty), ("damaged quantity", r.damaged)] {
            if q.uom() != line.uom {
                return Err(InsightError::UnitMismatch {
                    what,
                    expected: line.uom,
                    found: q.uom(),
                });
            }
            exact::check("qty", q.value())?;
        }
        if r.damaged.value() > r.qty.value() {
            return Err(InsightError::InvalidRecord {
                field: "damaged",
                reason: "more than the quantity delivered",
            });
        }
        let (at, day) = (r.at.timestamp(), day_of(r.at));
        self.change(ix, basis, |l| {
            l.delivs.push((day, r.qty.value()));
            add(&mut l.delivered, r.qty.value());
            add(&mut l.damaged, r.damaged.value());
            l.docs_ok &= r.documents_ok;
            l.deliv_closed = r.complete || exact::ge(l.delivered, l.ordered);
            l.last = at;
            if basis == Basis::Delivery && l.deliv_closed && l.fulfilled.is_none() {
                l.fulfilled = Some(at);
            }
        });
        Ok(())
    }

    /// A cancelled line leaves every figure; its order's completion, if the remaining
    /// lines are all fulfilled, stays their latest fulfilment.
    pub(crate) fn cancelled(
        &mut self,
        r: &OrderLineCancelled,
        basis: Basis,
    ) -> Result<(), InsightError> {
        let (ix, line) = self.open_line(&r.line, r.at)?;
        if line.fulfilled.is_some() {
            return Err(closed(&r.line, "fulfilled"));
        }
        let at = r.at.timestamp();
        self.change(ix, basis, |l| {
            l.cancelled = true;
            l.last = at;
        });
        Ok(())
    }

    /// A customer return of part of line `r.line`: counted in the returns of its day,
    /// site and reason; found damaged, it takes the line out of perfect condition.
    pub(crate) fn returned(
        &mut self,
        r: &OrderLineReturned,
        site: u16,
        basis: Basis,
    ) -> Result<(), InsightError> {
        let (ix, line) = self.open_line(&r.line, r.at)?;
        let qty = line_qty(line, r.qty, "returned quantity")?;
        if qty.is_zero() {
            return Err(InsightError::InvalidRecord { field: "qty", reason: "a return of zero" });
        }
        let mut returned = line.returned;
        add(&mut returned, qty);
        if returned > line.shipped.max(line.delivered) {
            return Err(InsightError::InvalidRecord {
                field: "qty",
                reason: "more than the line shipped, with its earlier returns",
            });
        }
        let at = r.at.timestamp();
        let c = self.returns.entry((day_of(r.at), site, r.reason.clone())).or_default();
        c.returns = c.returns.saturating_add(1);
        add(&mut c.units, qty);
        c.found(r.condition, qty);
        self.change(ix, basis, |l| {
            l.returned = returned;
            match r.condition {
                ReturnCondition::Pending => add(&mut l.return_pending, qty),
                ReturnCondition::Sound => {}
                ReturnCondition::Damaged => add(&mut l.return_damaged, qty),
            }
            l.last = at;
        });
        Ok(())
    }

    /// An inspection of returned goods of line `r.line` awaiting it.
    pub(crate) fn inspected(
        &mut self,
        r: &ReturnInspected,
        site: u16,
        basis: Basis,
    ) -> Result<(), InsightError> {
        let (ix, line) = self.open_line(&r.line, r.at)?;
        let qty = line_qty(line, r.qty, "inspected quantity")?;
        if r.condition == ReturnCondition::Pending {
            return Err(InsightError::InvalidRecord {
                field: "condition",
                reason: "an inspection finds the goods sound or damaged",
            });
        }
        if qty.is_zero() || qty > line.return_pending {
            return Err(InsightError::InvalidRecord {
                field: "qty",
                reason: "none, or more than the line's returns awaiting inspection",
            });
        }
        let at = r.at.timestamp();
        self.returns
            .entry((day_of(r.at), site, r.reason.clone()))
            .or_default()
            .found(r.condition, qty);
        self.change(ix, basis, |l| {
            sub(&mut l.return_pending, qty);
            if r.condition == ReturnCondition::Damaged {
                add(&mut l.return_damaged, qty);
            }
            l.last = at;
        });
        Ok(())
    }

    /// The first line both hold, as the error a merge reports.
    pub(crate) fn overlap(&self, other: &Orders) -> Option<InsightError> {
        let mut both: Vec<_> =
            other.lines.iter().map(|(k, _)| k).filter(|k| self.lines.contains(k)).collect();
        both.sort();
        both.first().map(|k| InsightError::MergeOverlap {
            what: "order line",
            key: format!("{}/{}", k.order, k.line),
        })
    }

    /// Merges `other` (disjoint lines; orders may span both) into `self` (check
    /// [`Self::overlap`] first).
    pub(crate) fn merge(&mut self, other: &Orders) {
        for (k, c) in &other.cells {
            self.cells.entry(k.clone()).or_default().merge(c);
        }
        for (k, c) in &other.returns {
            self.returns.entry(k.clone()).or_default().merge(c);
        }
        for (k, q) in &other.shipped {
            add(self.shipped.entry(*k).or_default(), *q);
        }
        // Orders: new ones are added; shared ones combine their counters, and their
        // contributions (added on both sides) are retracted and added back once.
        let mut order_map = Vec::new();
        for (_, theirs) in other.orders.iter() {
            let ix = if let Some(&mine_ix) = self.order_index.get(&theirs.number) {
                if let Some(mine) = self.orders.get_mut(mine_ix) {
                    let before = mine.clone();
                    for (a, b) in mine.counts.iter_mut().zip(theirs.counts) {
                        *a = a.saturating_add(b);
                    }
                    mine.max_fulfilled = match (before.max_fulfilled, theirs.max_fulfilled) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        (a, b) => a.or(b),
                    };
                    if theirs.first < before.first {
                        mine.first = theirs.first;
                        mine.group = theirs.group.clone();
                    }
                    let merged = mine.clone();
                    shift_order(&mut self.cells, &before.group, before.fig(), (None, None));
                    shift_order(&mut self.cells, &theirs.group, theirs.fig(), (None, None));
                    shift_order(&mut self.cells, &merged.group, (None, None), merged.fig());
                }
                mine_ix
            } else {
                let ix = self.orders.push(theirs.clone());
                self.order_index.insert(theirs.number.clone(), ix);
                ix
            };
            order_map.push(ix);
        }
        for (k, l) in other.lines.iter() {
            let mut l = l.clone();
            l.order = order_map.get(l.order as usize).copied().unwrap_or(u32::MAX);
            debug_assert!(l.order != u32::MAX, "every line's order is merged");
            self.lines.insert_new(k.clone(), l);
        }
        self.cells.retain(|_, c| !c.is_empty());
    }
}

/// A record's quantity for `line`: in the line's unit (`what` names it otherwise) and
/// within insight's bounds.
fn line_qty(
    line: &Line,
    qty: onhand_master::Qty,
    what: &'static str,
) -> Result<Decimal, InsightError> {
    if qty.uom() != line.uom {
        return Err(InsightError::UnitMismatch { what, expected: line.uom, found: qty.uom() });
    }
    exact::check("qty", qty.value())?;
    Ok(qty.value())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Dated {
        #[serde(deserialize_with = "plain_schedule")]
        schedule: SmallVec<[(i32, u16, Decimal); 1]>,
        #[serde(deserialize_with = "plain_dated")]
        ships: SmallVec<[(i32, Decimal); 1]>,
    }

    #[test]
    fn a_lines_dated_quantities_read_through_the_plain_rule() {
        let read = |s: &str| serde_json::from_str::<Dated>(s);
        let d = read(r#"{"schedule": [[3, 1, "2.5"]], "ships": [[4, "7"], [5, 1]]}"#).unwrap();
        assert_eq!(d.schedule.as_slice(), [(3, 1, Decimal::new(25, 1))]);
        assert_eq!(d.ships.as_slice(), [(4, Decimal::from(7)), (5, Decimal::ONE)]);
        assert!(read(r#"{"schedule": [[3, 1, "2_5"]], "ships": []}"#).is_err());
        let hostile =
            format!(r#"{{"schedule": [], "ships": [[4, "2{}"]]}}"#, "_".repeat(1_000_000));
        assert!(read(&hostile).is_err());
    }
}
