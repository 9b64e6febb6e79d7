//! Line checks: a movement's lines resolved against the catalog (item, unit, statuses,
//! owner, bin, lot, expiry, serials) and planned as moves between positions.

use chrono::{DateTime, Days, NaiveDate, Utc};
use onhand_master::{
    EntityIx, ItemIx, ItemProfile, Qty, ReceiveInto, SerialNo, SiteCode, SiteIx, Tracking,
};
use onhand_status::{Approval, Movement, StockStatus, check_move};
use rust_decimal::Decimal;

use super::{Ledger, MAX_LINE_QTY, Plan, positive};
use crate::error::LedgerError;
use crate::event::{Event, EventKind, Line};
use crate::lot::LotInfo;
use crate::position::{LotIx, PositionKey};
use crate::transfer::{OrderUpdate, TransferOrder};

/// Checks the fields a line carries for other engines: a unit cost only on stock from
/// outside and never negative, an original shipment only on a customer return, an
/// original receipt always on a return to supplier.
pub(crate) fn check_line_refs(
    kind: EventKind,
    line: &Line,
    from_outside: bool,
) -> Result<(), LedgerError> {
    if let Some(cost) = line.unit_cost {
        if !from_outside {
            return Err(LedgerError::FieldNotAllowed {
                kind,
                item: line.item.clone(),
                field: "unit_cost",
            });
        }
        if cost.amount().is_sign_negative() && !cost.amount().is_zero() {
            return Err(LedgerError::NegativeCost { item: line.item.clone(), cost });
        }
    }
    if kind == EventKind::SupplierReturn && line.original.is_none() {
        return Err(LedgerError::OriginalRequired { item: line.item.clone() });
    }
    if line.original.is_some()
        && !matches!(kind, EventKind::CustomerReturn | EventKind::SupplierReturn)
    {
        return Err(LedgerError::FieldNotAllowed {
            kind,
            item: line.item.clone(),
            field: "original",
        });
    }
    Ok(())
}

/// The status-crate movement an event kind performs.
pub(crate) fn movement_of(kind: EventKind) -> Option<Movement> {
    match kind {
        EventKind::Receipt => Some(Movement::Receipt),
        EventKind::Putaway => Some(Movement::Putaway),
        EventKind::Pick => Some(Movement::Pick),
        EventKind::Ship => Some(Movement::Ship),
        EventKind::TransferShip => Some(Movement::TransferShip),
        EventKind::TransferReceipt => Some(Movement::TransferReceipt),
        EventKind::CustomerReturn => Some(Movement::CustomerReturn),
        EventKind::Disposition => Some(Movement::Disposition),
        // A return to supplier leaves the network as a loss does.
        EventKind::Adjustment | EventKind::TransferClose | EventKind::SupplierReturn => {
            Some(Movement::Adjustment)
        }
        EventKind::CycleCount => Some(Movement::CycleCount),
        EventKind::StatusChange => Some(Movement::StatusChange),
        EventKind::Scrap => Some(Movement::Scrap),
        EventKind::TransferRequest
        | EventKind::TransferApprove
        | EventKind::Approve
        | EventKind::Reject
        | EventKind::ClosePeriod
        | EventKind::ReopenPeriod
        | EventKind::Reversal => None,
    }
}

pub(crate) fn receive_status(r: ReceiveInto) -> StockStatus {
    match r {
        ReceiveInto::Receiving => StockStatus::Receiving,
        ReceiveInto::Available => StockStatus::Available,
        ReceiveInto::QualityHold => StockStatus::QualityHold,
    }
}

/// A line's item resolved against the catalog.
pub(crate) struct ItemCtx<'a> {
    pub(crate) ix: ItemIx,
    pub(crate) code: &'a onhand_master::ItemCode,
    pub(crate) profile: ItemProfile,
}

/// One line of a movement resolved against the catalog and the ledger
/// ([`Ledger::resolve_line`]): what every kind of line planning starts from.
pub(crate) struct LineCtx<'a> {
    /// The line as submitted.
    pub(crate) line: &'a Line,
    /// The movement's site.
    pub(crate) site: &'a SiteCode,
    pub(crate) site_ix: SiteIx,
    pub(crate) it: ItemCtx<'a>,
    /// The quantity in base units (above zero).
    pub(crate) base: Decimal,
    /// The statuses the line moves from and to, the kind's defaults applied.
    pub(crate) from: Option<StockStatus>,
    pub(crate) to: Option<StockStatus>,
    pub(crate) owner: EntityIx,
    pub(crate) lot: Option<LotIx>,
}

impl LineCtx<'_> {
    /// The line's position at its site, in `status` and `bin`, under its owner.
    pub(crate) fn key(
        &self,
        status: StockStatus,
        bin: Option<onhand_master::BinIx>,
    ) -> PositionKey {
        PositionKey {
            item: self.it.ix,
            site: self.site_ix,
            status,
            owner: self.owner,
            bin,
            lot: self.lot,
        }
    }
}

impl Ledger {
    pub(crate) fn item<'a>(
        &self,
        code: &'a onhand_master::ItemCode,
    ) -> Result<ItemCtx<'a>, LedgerError> {
        let (ix, profile) = self
            .catalog
            .lookup_item(code)
            .ok_or_else(|| LedgerError::UnknownItem { item: code.clone() })?;
        Ok(ItemCtx { ix, code, profile })
    }

    /// An item's reference cost per base unit (zero when it has none).
    pub(crate) fn cost(&self, item: ItemIx) -> Decimal {
        self.costs.get(item.index()).copied().unwrap_or(Decimal::ZERO)
    }

    /// A quantity in the item's base unit, converted exactly (the common case, a
    /// quantity already in the base unit, touches nothing but the item's profile).
    pub(crate) fn to_base(&self, it: &ItemCtx<'_>, qty: Qty) -> Result<Decimal, LedgerError> {
        let base = if qty.uom() == it.profile.base_uom && it.profile.base_rounding.fits(qty.value())
        {
            qty.value()
        } else {
            let units = self
                .catalog
                .item_units(it.ix)
                .ok_or_else(|| LedgerError::UnknownItem { item: it.code.clone() })?;
            units
                .to_base(qty)
                .map_err(|source| LedgerError::Quantity { item: it.code.clone(), source })?
                .value()
        };
        // A mantissa below 2^32 is far below the cap, whatever the scale: no comparison.
        let small = {
            let u = base.unpack();
            u.hi == 0 && u.mid == 0
        };
        if !small && base > MAX_LINE_QTY {
            return Err(LedgerError::Quantity {
                item: it.code.clone(),
                source: onhand_master::MasterError::Overflow {
                    operation: "a line above 10^15 base units",
                },
            });
        }
        Ok(base)
    }

    pub(crate) fn bin(
        &self,
        site_ix: SiteIx,
        site: &SiteCode,
        item: &onhand_master::ItemCode,
        bin: Option<&onhand_master::BinCode>,
    ) -> Result<Option<onhand_master::BinIx>, LedgerError> {
        let has_bins = self.site_has_bins.get(site_ix.index()).copied().unwrap_or(false);
        match (bin, has_bins) {
            (Some(b), true) => self
                .catalog
                .bin_ix(site_ix, b)
                .map(Some)
                .ok_or_else(|| LedgerError::UnknownBin { site: site.clone(), bin: b.clone() }),
            (None, false) => Ok(None),
            (None, true) => Err(LedgerError::BinMismatch {
                item: item.clone(),
                site: site.clone(),
                needed: true,
            }),
            (Some(_), false) => Err(LedgerError::BinMismatch {
                item: item.clone(),
                site: site.clone(),
                needed: false,
            }),
        }
    }

    pub(crate) fn owner(
        &self,
        site_ix: SiteIx,
        owner: Option<&onhand_master::EntityCode>,
    ) -> Result<EntityIx, LedgerError> {
        match owner {
            Some(code) => self
                .catalog
                .entity_ix(code)
                .ok_or_else(|| LedgerError::UnknownEntity { entity: code.clone() }),
            None => self
                .catalog
                .site_entity(site_ix)
                .ok_or(LedgerError::Overflow { operation: "site entity" }),
        }
    }

    /// The lot of a line: an existing one, or (for stock coming from outside) a new one.
    pub(crate) fn resolve_lot(
        &self,
        it: &ItemCtx<'_>,
        line_lot: Option<&onhand_master::LotCode>,
        expiry: Option<NaiveDate>,
        inbound: bool,
        event: &Event,
        plan: &mut Plan,
    ) -> Result<Option<LotIx>, LedgerError> {
        let tracked = it.profile.tracking == Tracking::Lot;
        let Some(code) = line_lot else {
            return if tracked {
                Err(LedgerError::LotMismatch { item: it.code.clone(), required: true })
            } else {
                Ok(None)
            };
        };
        if !tracked {
            return Err(LedgerError::LotMismatch { item: it.code.clone(), required: false });
        }
        // A given expiry must be the lot's own, a known lot's or one an earlier line of
        // this event brought in.
        let same_expiry = |existing: Option<NaiveDate>| match expiry {
            Some(given) if existing != Some(given) => Err(LedgerError::LotExpiryConflict {
                item: it.code.clone(),
                lot: code.clone(),
                existing,
                given,
            }),
            _ => Ok(()),
        };
        if let Some(ix) = self.lots.find(it.ix, code) {
            same_expiry(self.lots.get(ix).and_then(|l| l.expiry))?;
            return Ok(Some(ix));
        }
        if let Some(i) = plan.new_lot(it.ix, code) {
            same_expiry(plan.new_lots.get(i).and_then(|l| l.expiry))?;
            return Ok(self.lots.next(i));
        }
        if !inbound {
            return Err(LedgerError::UnknownLot { item: it.code.clone(), lot: code.clone() });
        }
        let expiry = expiry.or_else(|| {
            it.profile.shelf_life_days.and_then(|d| {
                event.effective_at.date_naive().checked_add_days(Days::new(u64::from(d)))
            })
        });
        let ix = self
            .lots
            .next(plan.new_lots.len())
            .ok_or(LedgerError::Overflow { operation: "lot table" })?;
        plan.push_lot(LotInfo {
            item: it.ix,
            code: code.clone(),
            expiry,
            first_receipt: event.effective_at,
        });
        Ok(Some(ix))
    }

    pub(crate) fn check_expiry(
        &self,
        it: &ItemCtx<'_>,
        lot: Option<LotIx>,
        plan: &Plan,
        at: DateTime<Utc>,
    ) -> Result<(), LedgerError> {
        let Some(ix) = lot else { return Ok(()) };
        let info = self
            .lots
            .get(ix)
            .or_else(|| ix.index().checked_sub(self.lots.len()).and_then(|i| plan.new_lots.get(i)));
        // The event's day is worked out only for a lot that expires.
        match info.and_then(|i| Some((i, i.expiry?))) {
            Some((info, expiry)) if expiry < at.date_naive() => Err(LedgerError::LotExpired {
                item: it.code.clone(),
                lot: info.code.clone(),
                expiry,
            }),
            _ => Ok(()),
        }
    }

    /// The from/to statuses of a line for a kind, with the kind's defaults applied.
    pub(crate) fn statuses(
        &self,
        kind: EventKind,
        line: &Line,
        it: &ItemCtx<'_>,
        site: SiteIx,
    ) -> Result<(Option<StockStatus>, Option<StockStatus>), LedgerError> {
        use StockStatus::{Available, InTransit, Picked, Receiving, ReturnPending, Scrapped};
        let (lf, lt) = (line.from, line.to);
        let wrong = || LedgerError::WrongStatuses { kind, from: lf, to: lt };
        let policy = || receive_status(self.catalog.receive_into(it.ix, site));
        let pair = match kind {
            EventKind::Receipt => {
                if lf.is_some() {
                    return Err(wrong());
                }
                (None, Some(lt.unwrap_or_else(policy)))
            }
            EventKind::Putaway => {
                let from = lf.unwrap_or(Receiving);
                (Some(from), Some(lt.unwrap_or(if lf.is_some() { from } else { Available })))
            }
            EventKind::Pick => (Some(lf.unwrap_or(Available)), Some(lt.unwrap_or(Picked))),
            EventKind::Ship => {
                if lt.is_some() {
                    return Err(wrong());
                }
                (Some(lf.unwrap_or(Picked)), None)
            }
            EventKind::TransferShip => {
                if lt.is_some_and(|s| s != InTransit) {
                    return Err(wrong());
                }
                (Some(lf.unwrap_or(Available)), Some(InTransit))
            }
            EventKind::TransferReceipt => {
                if lf.is_some_and(|s| s != InTransit) {
                    return Err(wrong());
                }
                (Some(InTransit), Some(lt.unwrap_or_else(policy)))
            }
            EventKind::CustomerReturn => {
                if lf.is_some() {
                    return Err(wrong());
                }
                (None, Some(lt.unwrap_or(ReturnPending)))
            }
            EventKind::Disposition | EventKind::StatusChange => match (lf, lt) {
                (Some(f), Some(t)) => (Some(f), Some(t)),
                _ => return Err(wrong()),
            },
            EventKind::Adjustment => match (lf, lt) {
                (Some(f), None) => (Some(f), None),
                (None, Some(t)) => (None, Some(t)),
                _ => return Err(wrong()),
            },
            EventKind::SupplierReturn => {
                // Goods go back from a site's shelves, never from a truck between sites.
                if lt.is_some() || lf == Some(InTransit) {
                    return Err(wrong());
                }
                (Some(lf.unwrap_or(Available)), None)
            }
            EventKind::Scrap => match lf {
                Some(Scrapped) if lt.is_none() => (Some(Scrapped), None),
                Some(f) => (Some(f), Some(lt.unwrap_or(Scrapped))),
                None => return Err(wrong()),
            },
            EventKind::CycleCount
            | EventKind::TransferRequest
            | EventKind::TransferApprove
            | EventKind::TransferClose
            | EventKind::Approve
            | EventKind::Reject
            | EventKind::ClosePeriod
            | EventKind::ReopenPeriod
            | EventKind::Reversal => return Err(wrong()),
        };
        Ok(pair)
    }

    pub(crate) fn check_transition(
        event: &Event,
        kind: EventKind,
        from: Option<StockStatus>,
        to: Option<StockStatus>,
        plan: &mut Plan,
    ) -> Result<(), LedgerError> {
        let Some(movement) = movement_of(kind) else {
            return Err(LedgerError::WrongStatuses { kind, from, to });
        };
        if let Approval::Role(role) = check_move(movement, from, to)?
            && !event.actor.has(role)
        {
            plan.need(role);
        }
        Ok(())
    }

    /// Serial checks for one line: count matches, no repeats, and each serial is where
    /// the line takes it from (or nowhere, for stock coming in).
    #[allow(clippy::too_many_arguments)] // every argument is a distinct fact of the line
    pub(crate) fn plan_serials(
        &self,
        it: &ItemCtx<'_>,
        site: &SiteCode,
        serials: &[SerialNo],
        base: Decimal,
        from_key: Option<PositionKey>,
        to_key: Option<PositionKey>,
        plan: &mut Plan,
    ) -> Result<(), LedgerError> {
        let tracked = it.profile.tracking == Tracking::Serial;
        if !tracked && serials.is_empty() {
            return Ok(());
        }
        let expected = if tracked { base } else { Decimal::ZERO };
        if Decimal::from(serials.len()) != expected {
            return Err(LedgerError::SerialCount {
                item: it.code.clone(),
                expected,
                given: serials.len(),
            });
        }
        for serial in serials {
            if plan.moves_serial(it.ix, serial) {
                return Err(LedgerError::SerialRepeated {
                    item: it.code.clone(),
                    serial: serial.clone(),
                });
            }
            let here = self.serials.get(&it.ix).and_then(|m| m.get(serial));
            match (from_key, here) {
                (None, Some(at)) => {
                    let at_site =
                        self.catalog.site(at.site).map_or_else(|| site.clone(), |s| s.code.clone());
                    return Err(LedgerError::SerialInNetwork {
                        item: it.code.clone(),
                        serial: serial.clone(),
                        site: at_site,
                    });
                }
                (Some(from), here) if here != Some(&from) => {
                    return Err(LedgerError::SerialNotHere {
                        item: it.code.clone(),
                        serial: serial.clone(),
                    });
                }
                _ => {}
            }
            plan.move_serial(it.ix, serial, to_key);
        }
        Ok(())
    }

    /// Plans the lines of a movement at `site` into `plan`: each line resolved
    /// ([`resolve_line`](Self::resolve_line)), then planned as a transfer shipment or
    /// receipt against `order` (see the transfer module) or as a move between
    /// statuses and bins at the site ([`plan_move_line`](Self::plan_move_line)).
    pub(crate) fn plan_lines(
        &self,
        event: &Event,
        kind: EventKind,
        site: &SiteCode,
        lines: &[Line],
        order: Option<(usize, &TransferOrder)>,
        plan: &mut Plan,
    ) -> Result<(), LedgerError> {
        let site_ix = self.site(site)?;
        Self::check_scope(event, site)?;
        if lines.is_empty() {
            return Err(LedgerError::NoLines { kind });
        }
        let mut transfer = order.map(|(at, o)| (o, OrderUpdate::of(at, o)));
        for line in lines {
            let l = self.resolve_line(event, kind, site, site_ix, line, plan)?;
            match (kind, transfer.as_mut()) {
                (EventKind::TransferShip, Some((order, update))) => {
                    self.plan_ship_line(event, &l, order, update, plan)?;
                }
                (EventKind::TransferReceipt, Some((order, update))) => {
                    self.plan_receipt_line(event, &l, order, update, plan)?;
                }
                _ => self.plan_move_line(event, kind, &l, plan)?,
            }
        }
        if let Some((order, update)) = transfer {
            self.finish_order_update(event, kind, order, update, plan);
        }
        Ok(())
    }

    /// Resolves one line of a movement: its item, quantity in base units (above zero),
    /// statuses, the fields it may carry, owner and lot (a lot new to the ledger goes
    /// into `plan`), the lot's expiry for stock leaving, and what it measures.
    pub(crate) fn resolve_line<'a>(
        &self,
        event: &Event,
        kind: EventKind,
        site: &'a SiteCode,
        site_ix: SiteIx,
        line: &'a Line,
        plan: &mut Plan,
    ) -> Result<LineCtx<'a>, LedgerError> {
        let it = self.item(&line.item)?;
        let base = self.to_base(&it, line.qty)?;
        if !positive(base) {
            return Err(LedgerError::ZeroQuantity { item: line.item.clone() });
        }
        let (from, to) = self.statuses(kind, line, &it, site_ix)?;
        check_line_refs(kind, line, from.is_none())?;
        let owner = self.owner(site_ix, line.owner.as_ref())?;
        let lot =
            self.resolve_lot(&it, line.lot.as_ref(), line.expiry, from.is_none(), event, plan)?;
        if matches!(kind, EventKind::Pick | EventKind::Ship | EventKind::TransferShip) {
            self.check_expiry(&it, lot, plan, event.effective_at)?;
        }
        plan.measure(base, self.cost(it.ix));
        Ok(LineCtx { line, site, site_ix, it, base, from, to, owner, lot })
    }

    /// Plans a line that moves stock between statuses and bins at one site, or into or
    /// out of it (everything but a transfer's shipment and receipt).
    fn plan_move_line(
        &self,
        event: &Event,
        kind: EventKind,
        l: &LineCtx<'_>,
        plan: &mut Plan,
    ) -> Result<(), LedgerError> {
        let (from, to) = (l.from, l.to);
        Self::check_transition(event, kind, from, to, plan)?;
        let from_bin = match from {
            Some(_) => self.bin(l.site_ix, l.site, &l.line.item, l.line.bin.as_ref())?,
            None => None,
        };
        let to_bin = match to {
            Some(_) => self.bin(
                l.site_ix,
                l.site,
                &l.line.item,
                l.line.to_bin.as_ref().or(l.line.bin.as_ref()),
            )?,
            None => None,
        };
        let from_key = from.map(|s| l.key(s, from_bin));
        let to_key = to.map(|s| l.key(s, to_bin));
        if from_key == to_key {
            return Err(LedgerError::WrongStatuses { kind, from, to });
        }
        self.plan_serials(&l.it, l.site, &l.line.serials, l.base, from_key, to_key, plan)?;
        if let Some(k) = from_key {
            plan.change(k, -l.base)?;
        }
        if let Some(k) = to_key {
            plan.change(k, l.base)?;
        }
        Ok(())
    }
}
