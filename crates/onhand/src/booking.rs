//! The network's order, purchasing and time calls: promising, reserving, allocating,
//! releasing and re-processing order lines by code; expected receipts; moving time.
//! Each call that changes state is all or nothing and is journaled: it validates
//! before it changes anything, so an error is a refusal that changed nothing. What
//! follows once its command is journaled (re-planning, signals, exceptions) cannot be
//! refused any more; should it fail, the call returns [`Error::CallDiverged`] and the
//! network takes no more changes until restored, as for an event
//! ([`Error::Diverged`]), never a plain error for a change that stands.

use chrono::{DateTime, Utc};
use onhand_atp::{Claim, DemandClass, LineId, Mode, OrderLine, Promise};
use onhand_ledger::DocNumber;
use onhand_master::{ItemIx, Qty, RegionCode, SiteIx};
use rust_decimal::Decimal;

use crate::error::Error;
use crate::journal::Command;
use crate::network::Network;
use crate::orders::{
    Booked, Booking, ChangeView, OrderRef, OrderRequest, PromiseView, Reprocessed, Schedule,
    ScheduleView,
};
use crate::outcome::{Advanced, AvailabilityChange, Signal, SupplyChange, SupplyUpdate};
use crate::purchasing::{ExpectedReceipt, OpenReceipt, ReceiptChange};

impl Network {
    /// The availability engine's line for a request.
    fn order_line(&self, req: &OrderRequest, id: u64) -> Result<OrderLine, Error> {
        self.check_item(&req.item)?;
        let (customer, ship_to) = self.line_parties(req)?;
        Ok(order_line_of(req, id, customer, ship_to))
    }

    /// The request's customer (looked up by code) and where the line ships to: the
    /// request's own ship-to, else the customer's region.
    fn line_parties<'a>(
        &'a self,
        req: &OrderRequest,
    ) -> Result<(Option<&'a onhand_master::Customer>, RegionCode), Error> {
        let customer = match &req.customer {
            Some(code) => Some(
                self.catalog
                    .customer_ix(code)
                    .and_then(|ix| self.catalog.customer(ix))
                    .ok_or_else(|| Error::Config { what: format!("unknown customer {code}") })?,
            ),
            None => None,
        };
        let ship_to: RegionCode = match (&req.ship_to, customer) {
            (Some(r), _) => r.clone(),
            (None, Some(c)) => c.region.clone(),
            (None, None) => {
                return Err(Error::Config {
                    what: format!(
                        "order line {}/{} names no customer and no ship-to",
                        req.order, req.line
                    ),
                });
            }
        };
        Ok((customer, ship_to))
    }

    /// A promise in codes and the request's unit.
    pub(crate) fn view(
        &self,
        r: &OrderRef,
        req: &OrderRequest,
        p: &Promise,
    ) -> Result<PromiseView, Error> {
        let item = self
            .catalog
            .item_ix(&req.item)
            .ok_or_else(|| Error::Config { what: format!("unknown item {}", req.item) })?;
        self.view_of(item, r.clone(), req, p)
    }

    /// [`view`](Self::view) for a request whose item is `item`: the ordered item's base
    /// unit and unit table are looked up once, and its code is the request's.
    fn view_of(
        &self,
        item: ItemIx,
        line: OrderRef,
        req: &OrderRequest,
        p: &Promise,
    ) -> Result<PromiseView, Error> {
        // The unit table the engine just read (the base unit is the profile's).
        let table = self
            .catalog
            .item_units(item)
            .ok_or_else(|| Error::Config { what: format!("no units for {}", req.item) })?;
        let base = table.base();
        let uom = req.qty.uom();
        // The ordered item's quantities go into the line's unit where it converts
        // exactly, else stay in the base unit.
        let units = (uom != base).then_some(table);
        // As `base_qty`: negative is zero.
        let in_base = |q: Decimal| Qty::at_least_zero(q, base);
        let in_line = |q: Decimal| {
            let b = in_base(q);
            match units {
                Some(u) => u.convert(b, uom).unwrap_or(b),
                None => b,
            }
        };
        let confirmed = in_line(p.confirmed);
        let unconfirmed =
            if confirmed.uom() == uom { in_line(p.unconfirmed) } else { in_base(p.unconfirmed) };
        let mut schedule = Schedule::with_capacity(p.schedule().len());
        for s in p.schedule() {
            let (code, qty) = if s.item == item {
                // A single line usually confirms all: the same figure, bit for bit.
                let qty = if s.qty.serialize() == p.confirmed.serialize() {
                    confirmed
                } else {
                    in_line(s.qty)
                };
                (req.item.clone(), qty)
            } else {
                // A substitute, in its own base unit.
                (self.item_code(s.item)?, self.base_qty(s.item, s.qty)?)
            };
            schedule.push(ScheduleView {
                item: code,
                site: self.site_code(s.site)?,
                qty,
                available_on: s.available_on,
                delivery: s.delivery,
            });
        }
        Ok(PromiseView {
            line,
            item: req.item.clone(),
            requested: req.qty,
            confirmed,
            unconfirmed,
            schedule,
            on_time: p.on_time,
            // Most promises have none: no walk over every kind of limit.
            limits: if p.limits.is_empty() { Vec::new() } else { p.limits.iter().collect() },
        })
    }

    /// What the network would confirm for `req` now, without booking anything.
    ///
    /// # Errors
    /// [`Error::Atp`] for an unknown item or region, a zero or unconvertible quantity;
    /// [`Error::NotInPartition`]; [`Error::Config`] for an unknown customer.
    pub fn promise(&mut self, req: &OrderRequest) -> Result<PromiseView, Error> {
        self.check_live()?;
        // The item is looked up once: the engine and the view take its handle.
        let Some(item) = self.catalog.item_ix(&req.item) else {
            // Unknown: the engine refuses it, after the network's own checks.
            let line = self.order_line(req, u64::MAX)?;
            let p = self.atp.promise(&line)?;
            return self.view(&req.reference(), req, &p);
        };
        self.check_item_ix(&req.item, item)?;
        let (customer, ship_to) = self.line_parties(req)?;
        let line = order_line_of(req, u64::MAX, customer, ship_to);
        // Read where the engine left it: moving the promise out costs a copy.
        let promised = self.atp.promise_resolved(item, &line);
        let p = match promised {
            Ok(ref p) => p,
            Err(e) => return Err(e.into()),
        };
        self.view_of(item, req.reference(), req, p)
    }

    fn book(
        &mut self,
        req: &OrderRequest,
        claim: Claim,
        command: Command,
    ) -> Result<Booked, Error> {
        self.check_live()?;
        let r = req.reference();
        if self.bookings.contains_key(&r) {
            return Err(Error::OrderLineExists { order: r.order, line: r.line });
        }
        let id =
            self.next_line.checked_add(1).ok_or(Error::Overflow { operation: "order lines" })?;
        let line = self.order_line(req, id)?;
        let mark = self.journal.next(&command)?;
        let p = self.atp.allocate(&line, claim)?;
        self.next_line = id;
        self.insert_booking(
            r.clone(),
            Booking {
                id,
                request: req.clone(),
                picked: Decimal::ZERO,
                shipped: Decimal::ZERO,
                uses: Vec::new(),
            },
        );
        self.line_refs.insert(id, r.clone());
        self.journal.push(mark, command);
        self.feed_booked(&r);
        let promise = self.view(&r, req, &p)?;
        let signals = self.replan_item(&req.item, &schedule_sites(&p))?;
        Ok(Booked { promise, signals })
    }

    /// Reserves `req` softly until `expires`: what is confirmed is held for it, and goes
    /// back when [`advance_to`](Network::advance_to) passes `expires`.
    ///
    /// # Errors
    /// As [`promise`](Network::promise), and [`Error::OrderLineExists`].
    pub fn reserve(&mut self, req: &OrderRequest, expires: DateTime<Utc>) -> Result<Booked, Error> {
        let head = self.journal.head().seq;
        let result = self.reserve_committing(req, expires);
        self.settle("reserve", head, result)
    }

    /// [`reserve`](Network::reserve), its result not yet settled.
    fn reserve_committing(
        &mut self,
        req: &OrderRequest,
        expires: DateTime<Utc>,
    ) -> Result<Booked, Error> {
        self.book(req, Claim::Soft { expires }, Command::Reserve { request: req.clone(), expires })
    }

    /// Allocates `req` hard: what is confirmed is held until shipped, reduced or
    /// released.
    ///
    /// # Errors
    /// As [`promise`](Network::promise), and [`Error::OrderLineExists`].
    pub fn allocate(&mut self, req: &OrderRequest) -> Result<Booked, Error> {
        let head = self.journal.head().seq;
        let result = self.allocate_committing(req);
        self.settle("allocate", head, result)
    }

    /// [`allocate`](Network::allocate), its result not yet settled.
    fn allocate_committing(&mut self, req: &OrderRequest) -> Result<Booked, Error> {
        self.book(req, Claim::Hard, Command::Allocate { request: req.clone() })
    }

    fn booking(&self, r: &OrderRef) -> Result<&Booking, Error> {
        self.bookings
            .get(r)
            .ok_or_else(|| Error::UnknownOrderLine { order: r.order.clone(), line: r.line })
    }

    /// The current promise of a booked line.
    ///
    /// # Errors
    /// [`Error::UnknownOrderLine`].
    pub fn booked(&self, r: &OrderRef) -> Result<PromiseView, Error> {
        let b = self.booking(r)?;
        let p = self
            .atp
            .booked(LineId(b.id))
            .ok_or_else(|| Error::UnknownOrderLine { order: r.order.clone(), line: r.line })?;
        self.view(r, &b.request, &p)
    }

    /// The booked order lines, in order.
    #[must_use]
    pub fn order_lines(&self) -> Vec<OrderRef> {
        self.bookings.keys().cloned().collect()
    }

    /// Turns a reservation into an allocation.
    ///
    /// # Errors
    /// [`Error::UnknownOrderLine`]; [`Error::Atp`] when it is already hard.
    pub fn make_hard(&mut self, r: &OrderRef) -> Result<(), Error> {
        self.check_live()?;
        let id = self.booking(r)?.id;
        let command = Command::MakeHard { line: r.clone() };
        let mark = self.journal.next(&command)?;
        self.atp.make_hard(LineId(id))?;
        self.journal.push(mark, command);
        Ok(())
    }

    /// Releases a booked line: what it holds is free again.
    ///
    /// # Errors
    /// [`Error::UnknownOrderLine`].
    pub fn release(&mut self, r: &OrderRef) -> Result<(), Error> {
        let head = self.journal.head().seq;
        let result = self.release_committing(r);
        self.settle("release", head, result)
    }

    /// [`release`](Network::release), its result not yet settled.
    fn release_committing(&mut self, r: &OrderRef) -> Result<(), Error> {
        self.check_live()?;
        let b = self.booking(r)?;
        let (id, item) = (b.id, b.request.item.clone());
        let command = Command::Release { line: r.clone() };
        let mark = self.journal.next(&command)?;
        let mut sites = Vec::new();
        if let Some(p) = self.atp.booked(LineId(id)) {
            sites = schedule_sites(&p);
            self.atp.release(LineId(id))?;
        }
        self.remove_booking(r);
        self.line_refs.remove(&id);
        self.journal.push(mark, command);
        self.feed_withdrawn(r);
        // A release only frees supply: lines it re-checks that are short were short
        // before (and signalled when they fell short), so what it finds is not news.
        self.replan_item(&item, &sites)?;
        Ok(())
    }

    /// Reduces a booked line's confirmation by `qty` (any unit of the item), latest
    /// schedule lines first.
    ///
    /// # Errors
    /// [`Error::UnknownOrderLine`]; [`Error::Atp`] for more than is confirmed.
    pub fn reduce(&mut self, r: &OrderRef, qty: Qty) -> Result<(), Error> {
        let head = self.journal.head().seq;
        let result = self.reduce_committing(r, qty);
        self.settle("reduce", head, result)
    }

    /// [`reduce`](Network::reduce), its result not yet settled.
    fn reduce_committing(&mut self, r: &OrderRef, qty: Qty) -> Result<(), Error> {
        self.check_live()?;
        let b = self.booking(r)?;
        let (id, code) = (b.id, b.request.item.clone());
        let item = self
            .catalog
            .item_ix(&code)
            .ok_or_else(|| Error::Config { what: format!("unknown item {code}") })?;
        let units = self
            .catalog
            .item_units(item)
            .ok_or_else(|| Error::Config { what: format!("unknown item {code}") })?;
        let base = units.to_base(qty)?.value();
        let command = Command::Reduce { line: r.clone(), qty };
        let mark = self.journal.next(&command)?;
        let sites = self.atp.booked(LineId(id)).map(|p| schedule_sites(&p)).unwrap_or_default();
        self.atp.reduce(LineId(id), base)?;
        self.journal.push(mark, command);
        self.feed_repromised(std::slice::from_ref(r));
        // As for a release: lines still short were short before.
        self.replan_item(&code, &sites)?;
        Ok(())
    }

    /// Re-checks every booked line against current supply and applies the new
    /// confirmations (priority, then requested date, then creation order); short supply
    /// is shared as `sharing` says (first come, or in proportion to need). Returns the lines whose
    /// confirmation or delivery date changed.
    ///
    /// # Errors
    /// [`Error::Poisoned`]; an engine error converting a figure.
    pub fn reprocess(&mut self, sharing: onhand_atp::Sharing) -> Result<Reprocessed, Error> {
        let head = self.journal.head().seq;
        let result = self.reprocess_committing(sharing);
        self.settle("reprocess", head, result)
    }

    /// [`reprocess`](Network::reprocess), its result not yet settled.
    fn reprocess_committing(&mut self, sharing: onhand_atp::Sharing) -> Result<Reprocessed, Error> {
        self.check_live()?;
        let command = Command::Reprocess { sharing };
        let mark = self.journal.next(&command)?;
        let run = self.atp.reprocess(Mode::Apply, sharing);
        self.journal.push(mark, command);
        let out = self.change_views(&run.changes)?;
        let lines: Vec<OrderRef> = out.iter().map(|c| c.line.clone()).collect();
        self.feed_repromised(&lines);
        let keys: Vec<(ItemIx, SiteIx)> = self.below.keys().copied().collect();
        let mut signals = Vec::new();
        self.replan(&keys, &mut signals)?;
        // Every line may have moved: the short lines' item-sites and every planned one.
        let mut touched = self.short_line_sites();
        touched.extend(keys.iter().filter(|k| !self.short_line_sites_contains(**k)));
        self.raise_exceptions(self.now, &signals, &touched)?;
        Ok(Reprocessed { changes: out, signals })
    }

    /// The engine's line changes by order line, in base units.
    fn change_views(&self, changes: &[onhand_atp::Change]) -> Result<Vec<ChangeView>, Error> {
        let mut out = Vec::with_capacity(changes.len());
        for c in changes {
            let Some(r) = self.line_refs.get(&c.line.0).cloned() else { continue };
            let Some(b) = self.bookings.get(&r) else { continue };
            let item = self.catalog.item_ix(&b.request.item).ok_or_else(|| Error::Config {
                what: format!("unknown item {}", b.request.item),
            })?;
            out.push(ChangeView {
                line: r,
                strategy: c.strategy,
                before: self.base_qty(item, c.before)?,
                after: self.base_qty(item, c.after)?,
                before_delivery: c.before_delivery,
                after_delivery: c.after_delivery,
            });
        }
        Ok(out)
    }

    /// Re-checks one item's planned item-sites and booked lines after its bookings or
    /// supply changed, with the item-sites `also` names (where a line's schedule held or
    /// now holds stock: a substitute's, say): signals item-sites that fell below their
    /// reorder point and lines no longer covered.
    fn replan_item(
        &mut self,
        code: &onhand_master::ItemCode,
        also: &[(ItemIx, SiteIx)],
    ) -> Result<Vec<Signal>, Error> {
        let Some(item) = self.catalog.item_ix(code) else { return Ok(Vec::new()) };
        let mut keys: Vec<(ItemIx, SiteIx)> =
            self.catalog.sites().map(|(s, _)| (item, s)).collect();
        for k in also {
            if k.0 != item && !keys.contains(k) {
                keys.push(*k);
            }
        }
        let signals = self.replan_keys(&keys)?;
        self.raise_exceptions(self.now, &signals, &keys)?;
        Ok(signals)
    }

    /// Adds an expected receipt: supply on its due date, on order for replenishment.
    ///
    /// # Errors
    /// [`Error::ExpectedReceiptExists`] for a line open or closed by receipts (a
    /// purchase order line is one line for good); [`Error::ZeroExpectedReceipt`] for a
    /// quantity of
    /// zero; [`Error::Atp`] for an unknown item or site or a
    /// quantity that does not convert; [`Error::NotInPartition`].
    pub fn expect(&mut self, r: ExpectedReceipt) -> Result<SupplyChange, Error> {
        let head = self.journal.head().seq;
        let result = self.expect_committing(r);
        self.settle("expect", head, result)
    }

    /// [`expect`](Network::expect), its result not yet settled.
    fn expect_committing(&mut self, r: ExpectedReceipt) -> Result<SupplyChange, Error> {
        self.check_live()?;
        self.check_item(&r.item)?;
        let key = (r.order.clone(), r.line);
        if self.receipts.contains_key(&key) || self.closed_receipts.contains_key(&key) {
            return Err(Error::ExpectedReceiptExists { order: r.order, line: r.line });
        }
        let (item, site) = self.item_site(&r.item, &r.site)?;
        let units = self
            .catalog
            .item_units(item)
            .ok_or_else(|| Error::Config { what: format!("unknown item {}", r.item) })?;
        let base = line_qty(units.to_base(r.qty)?.value())?;
        // An open expected receipt always has something open (`Network::check`): a line
        // for nothing would be one that is open with zero.
        if base <= Decimal::ZERO {
            return Err(Error::ZeroExpectedReceipt { order: r.order, line: r.line });
        }
        let command = Command::Expect(r.clone());
        let mark = self.journal.next(&command)?;
        let date = self.supply_day(r.due);
        self.atp.add_supply(&r.item, &r.site, date, self.base_qty(item, base)?)?;
        self.journal.push(mark, command);
        let change = SupplyChange {
            item: r.item.clone(),
            site: r.site.clone(),
            date,
            change: self.base_delta(item, base)?,
            source: r.order.clone(),
        };
        self.feed_expected(&r.order, r.line, r.supplier.as_ref());
        self.insert_receipt(
            key,
            OpenReceipt {
                expected: r,
                open: base,
                received: Decimal::ZERO,
                flagged_overdue: false,
            },
        );
        // New supply covers more, never less: lines still short were short before.
        let signals = self.replan_keys(&[(item, site)])?;
        self.raise_exceptions(self.now, &signals, &[(item, site)])?;
        Ok(change)
    }

    /// Changes an open expected receipt's quantity or due date.
    ///
    /// # Errors
    /// [`Error::UnknownExpectedReceipt`]; as [`expect`](Network::expect).
    pub fn change_expected(&mut self, c: &ReceiptChange) -> Result<SupplyUpdate, Error> {
        let head = self.journal.head().seq;
        let result = self.change_expected_committing(c);
        self.settle("change_expected", head, result)
    }

    /// [`change_expected`](Network::change_expected), its result not yet settled.
    fn change_expected_committing(&mut self, c: &ReceiptChange) -> Result<SupplyUpdate, Error> {
        self.check_live()?;
        let key = (c.order.clone(), c.line);
        let r = self.receipts.get(&key).cloned().ok_or_else(|| Error::UnknownExpectedReceipt {
            order: c.order.clone(),
            line: c.line,
        })?;
        let (item, site) = self.item_site(&r.expected.item, &r.expected.site)?;
        let units = self
            .catalog
            .item_units(item)
            .ok_or_else(|| Error::Config { what: format!("unknown item {}", r.expected.item) })?;
        let new_total = match c.qty {
            Some(q) => line_qty(units.to_base(q)?.value())?,
            None => r.open + r.received,
        };
        let open = (new_total - r.received).max(Decimal::ZERO);
        let due = c.due.unwrap_or(r.expected.due);
        let command = Command::ChangeExpected(c.clone());
        let mark = self.journal.next(&command)?;
        let old_date = self.supply_day(r.expected.due);
        let new_date = self.supply_day(due);
        let (was, now) = (self.base_qty(item, r.open)?, self.base_qty(item, open)?);
        // One all-or-nothing replacement: new supply that does not fit (past the
        // engine's bound) is refused with the old still in place.
        let (item_code, site_code) = (&r.expected.item, &r.expected.site);
        self.atp.replace_supply(item_code, site_code, (old_date, was), (new_date, now))?;
        self.journal.push(mark, command);
        let mut changes = vec![SupplyChange {
            item: r.expected.item.clone(),
            site: r.expected.site.clone(),
            date: old_date,
            change: self.base_delta(item, -r.open)?,
            source: c.order.clone(),
        }];
        changes.push(SupplyChange {
            item: r.expected.item.clone(),
            site: r.expected.site.clone(),
            date: new_date,
            change: self.base_delta(item, open)?,
            source: c.order.clone(),
        });
        if open > Decimal::ZERO {
            if let Some(slot) = self.receipts.get_mut(&key) {
                slot.open = open;
                slot.expected.due = due;
                if let Some(q) = c.qty {
                    slot.expected.qty = q;
                }
                // A new due date is a new promise (overdue again once it passes); the
                // same date confirmed is not.
                if due != r.expected.due {
                    slot.flagged_overdue = false;
                }
            }
        } else if let Some(mut done) = self.remove_receipt(&key)
            && done.received > Decimal::ZERO
        {
            // Lowered to what was received: complete, as if receipts had closed it (a
            // reversal of one of them reopens it).
            done.open = Decimal::ZERO;
            if let Some(q) = c.qty {
                done.expected.qty = q;
            }
            done.expected.due = due;
            self.closed_receipts.insert(key, done);
        }
        let signals = self.replan_keys(&[(item, site)])?;
        self.raise_exceptions(self.now, &signals, &[(item, site)])?;
        self.check_late_order(&c.order, self.now)?;
        Ok(SupplyUpdate { supply: changes, signals })
    }

    /// Cancels what is still open of an expected receipt.
    ///
    /// # Errors
    /// [`Error::UnknownExpectedReceipt`].
    pub fn cancel_expected(&mut self, order: &DocNumber, line: u32) -> Result<SupplyUpdate, Error> {
        let head = self.journal.head().seq;
        let result = self.cancel_expected_committing(order, line);
        self.settle("cancel_expected", head, result)
    }

    /// [`cancel_expected`](Network::cancel_expected), its result not yet settled.
    fn cancel_expected_committing(
        &mut self,
        order: &DocNumber,
        line: u32,
    ) -> Result<SupplyUpdate, Error> {
        self.check_live()?;
        let key = (order.clone(), line);
        let r = self
            .receipts
            .get(&key)
            .cloned()
            .ok_or_else(|| Error::UnknownExpectedReceipt { order: order.clone(), line })?;
        let (item, site) = self.item_site(&r.expected.item, &r.expected.site)?;
        let command = Command::CancelExpected { order: order.clone(), line };
        let mark = self.journal.next(&command)?;
        let date = self.supply_day(r.expected.due);
        if r.open > Decimal::ZERO {
            self.atp.remove_supply(
                &r.expected.item,
                &r.expected.site,
                date,
                self.base_qty(item, r.open)?,
            )?;
        }
        self.journal.push(mark, command);
        self.remove_receipt(&key);
        let signals = self.replan_keys(&[(item, site)])?;
        self.raise_exceptions(self.now, &signals, &[(item, site)])?;
        self.check_late_order(order, self.now)?;
        let supply = vec![SupplyChange {
            item: r.expected.item.clone(),
            site: r.expected.site.clone(),
            date,
            change: self.base_delta(item, -r.open)?,
            source: order.clone(),
        }];
        Ok(SupplyUpdate { supply, signals })
    }

    /// The open expected receipts, by purchase order and line.
    pub fn expected_receipts(&self) -> impl Iterator<Item = &OpenReceipt> {
        self.receipts.values()
    }

    pub(crate) fn item_site(
        &self,
        item: &onhand_master::ItemCode,
        site: &onhand_master::SiteCode,
    ) -> Result<(ItemIx, SiteIx), Error> {
        let i = self
            .catalog
            .item_ix(item)
            .ok_or_else(|| Error::Atp(onhand_atp::AtpError::UnknownItem { item: item.clone() }))?;
        let s = self
            .catalog
            .site_ix(site)
            .ok_or_else(|| Error::Atp(onhand_atp::AtpError::UnknownSite { site: site.clone() }))?;
        Ok((i, s))
    }

    fn replan_keys(&mut self, keys: &[(ItemIx, SiteIx)]) -> Result<Vec<Signal>, Error> {
        let mut signals = Vec::new();
        self.find_short(keys, &mut signals)?;
        self.replan(keys, &mut signals)?;
        Ok(signals)
    }

    /// Moves the network's time to `now`: the availability engine's day follows,
    /// reservations that expired by `now` are released, and transfers and expected
    /// receipts now overdue are signalled (once each).
    ///
    /// # Errors
    /// [`Error::TimeBackwards`]; [`Error::Poisoned`].
    pub fn advance_to(&mut self, now: DateTime<Utc>) -> Result<Advanced, Error> {
        let head = self.journal.head().seq;
        let result = self.advance_to_committing(now);
        self.settle("advance_to", head, result)
    }

    /// [`advance_to`](Network::advance_to), its result not yet settled.
    fn advance_to_committing(&mut self, now: DateTime<Utc>) -> Result<Advanced, Error> {
        self.check_live()?;
        if now < self.now {
            return Err(Error::TimeBackwards { now: self.now, to: now });
        }
        let command = Command::Advance { now };
        let mark = self.journal.next(&command)?;
        let before = self.now;
        let mut rechecked = Vec::new();
        let day_moved = now.date_naive() > self.atp.today();
        if day_moved {
            // Open supply never becomes stock now: what the new day would reach moves on
            // to the day after it, before the day moves, so lines the checking horizon
            // passes are re-checked against the supply there will be.
            let due = self.supply_due_by(now.date_naive())?;
            let next = now.date_naive().succ_opt().unwrap_or(now.date_naive());
            // Each move is all or nothing and never refused for room (the quantity stays
            // the same); every move goes to the same day, so a date the engine cannot
            // hold refuses the first, before anything moved.
            for (item, site, date, qty) in &due {
                self.atp.replace_supply(item, site, (*date, *qty), (next, *qty))?;
            }
            let moved = self.atp.advance_to(now.date_naive())?;
            rechecked = self.change_views(&moved.rechecked)?;
        }
        let moved_lines: Vec<OrderRef> = rechecked.iter().map(|c| c.line.clone()).collect();
        self.now = now;
        let mut signals = Vec::new();
        let expired = self.atp.sweep(now);
        // The line may have held a substitute's stock: every planned item-site of its
        // substitution group may have moved (one pass over the planned item-sites for
        // all the groups, not one per expired line).
        let mut groups = std::collections::BTreeSet::new();
        for id in expired {
            let Some(r) = self.line_refs.remove(&id.0) else { continue };
            if let Some(b) = self.remove_booking(&r)
                && let Some(item) = self.catalog.item_ix(&b.request.item)
            {
                groups.insert(self.group_of(item));
            }
            self.feed_withdrawn(&r);
            signals.push(Signal::ReservationExpired { line: r });
        }
        let mut touched: Vec<(ItemIx, SiteIx)> = if groups.is_empty() {
            Vec::new()
        } else {
            self.below
                .keys()
                .filter(|(i, _)| groups.contains(&self.group_of(*i)))
                .copied()
                .collect()
        };
        // Expected receipts past due, once per due date.
        let today = now.date_naive();
        for r in self.receipts.values_mut() {
            if r.expected.due < today && !r.flagged_overdue && r.open > Decimal::ZERO {
                r.flagged_overdue = true;
                let Some(item) = self.catalog.item_ix(&r.expected.item) else { continue };
                let Some(uom) = self.catalog.profile(item).map(|p| p.base_uom) else { continue };
                signals.push(Signal::ExpectedReceiptOverdue {
                    order: r.expected.order.clone(),
                    line: r.expected.line,
                    supplier: r.expected.supplier.clone(),
                    item: r.expected.item.clone(),
                    site: r.expected.site.clone(),
                    due: r.expected.due,
                    open: Qty::new(r.open, uom)?,
                });
            }
        }
        // Transfers past their expected arrival, once each (between this call's times).
        // Only orders with stock in transit can be overdue: the ledger's index of them,
        // not every order ever requested (debug builds check it against the full list).
        let overdue = |o: &&onhand_ledger::TransferOrder| {
            o.expected_arrival.is_some_and(|at| at < now && at >= before)
                && o.lines.iter().any(|l| l.outstanding() > Decimal::ZERO)
        };
        debug_assert!(
            self.ledger.transfers().filter(overdue).map(|o| &o.number).eq(self
                .ledger
                .transfers_in_flight()
                .filter(overdue)
                .map(|o| &o.number)),
            "the in-flight index missed a transfer"
        );
        for o in self.ledger.transfers_in_flight().filter(overdue) {
            if let Some(expected) = o.expected_arrival {
                signals.push(Signal::TransferOverdue {
                    transfer: o.number.clone(),
                    from: self.site_code(o.from)?,
                    to: self.site_code(o.to)?,
                    expected,
                });
            }
        }
        self.journal.push(mark, command);
        self.feed_repromised(&moved_lines);
        touched.sort();
        touched.dedup();
        self.replan(&touched, &mut signals)?;
        self.raise_exceptions(now, &signals, &touched)?;
        let escalations = self.exceptions_at(now, day_moved)?;
        Ok(Advanced {
            seq: mark.seq,
            now,
            availability: Vec::<AvailabilityChange>::new(),
            signals,
            rechecked,
            escalations,
        })
    }
}

/// An expected receipt line's quantity in base units, within what a ledger line may
/// move (the receipt will be one): a purchase order line of more is refused, as the
/// receipt would be, before it takes room in the availability engine.
fn line_qty(base: Decimal) -> Result<Decimal, Error> {
    if base > onhand_ledger::MAX_LINE_QTY {
        return Err(Error::Master(onhand_master::MasterError::Overflow {
            operation: "an expected receipt line above 10^15 base units",
        }));
    }
    Ok(base)
}

/// The availability engine's line for `req`, with its customer and ship-to resolved:
/// infallible, so it is built where the caller keeps it.
#[inline]
fn order_line_of(
    req: &OrderRequest,
    id: u64,
    customer: Option<&onhand_master::Customer>,
    ship_to: RegionCode,
) -> OrderLine {
    let class = DemandClass {
        channel: req.channel.clone().or_else(|| customer.and_then(|c| c.channel.clone())),
        group: req.group.clone().or_else(|| customer.and_then(|c| c.group.clone())),
        region: Some(ship_to.clone()),
    };
    let mut line = OrderLine::new(LineId(id), req.item.clone(), req.qty, req.requested, ship_to);
    line.customer.clone_from(&req.customer);
    line.class = class;
    line.priority = req.priority;
    line.allow_split = req.allow_split;
    line.allow_substitutes = req.allow_substitutes;
    line.min_split = req.min_split;
    line.rule = req.rule;
    line.strategy = req.strategy;
    line
}

/// The item-sites a promise's schedule draws on, each once, in schedule order.
fn schedule_sites(p: &onhand_atp::Promise) -> Vec<(ItemIx, SiteIx)> {
    let mut out: Vec<(ItemIx, SiteIx)> = Vec::new();
    for s in p.schedule() {
        if !out.contains(&(s.item, s.site)) {
            out.push((s.item, s.site));
        }
    }
    out
}
