//! Reversals and returns to supplier: the ledger's record of what each posted stock
//! event did, and the two events that act on it.
//!
//! **A reversal** ([`Body::Reversal`]) names a posted receipt, pick, shipment, scrap or
//! adjustment and undoes exactly its stock effect: every position the original changed
//! changes back by the same quantity (same item, site, status, owner, bin and lot), and
//! every serial it moved moves back. It takes effect at its own effective time, which
//! may not be before the original's. It is refused
//!
//! - when a position would go below zero, now or at any later point of its history (the
//!   stock moved on: [`LedgerError::InsufficientStock`], as for any event), or a serial
//!   is no longer where the original left it ([`LedgerError::SerialNotHere`]) or came
//!   back into the network since it left ([`LedgerError::SerialInNetwork`]);
//! - for an event the ledger has not applied ([`LedgerError::UnknownOriginal`]; a held
//!   event is not applied yet), for any other kind, a reversal included
//!   ([`LedgerError::NotReversible`]), for an event reversed already
//!   ([`LedgerError::AlreadyReversed`]), and for a receipt part of which went back to
//!   the supplier or a reversal dated before its original
//!   ([`LedgerError::ReversalRefused`]).
//!
//! **A customer return** ([`Body::CustomerReturn`]) whose line names the shipment its
//! goods left with ([`Line::original`](crate::Line::original)) may not be dated before
//! that shipment ([`LedgerError::ReturnBeforeOriginal`]): goods come back after they
//! left, as a reversal comes after its original.
//!
//! **A return to supplier** ([`Body::SupplierReturn`]) takes stock out of a site (from
//! `available` unless a line says otherwise, through the status table's adjustment
//! moves), each line naming the purchase receipt it returns in
//! [`Line::original`](crate::Line::original). The receipt must be a receipt the ledger
//! applied at that site and not reversed, and the return may not exceed what it brought
//! in of the item net of earlier returns ([`LedgerError::ReturnExceedsReceipt`]).
//!
//! The ledger keeps one [`Posted`] record per applied receipt, pick, shipment, scrap,
//! adjustment, reversal and return to supplier: what it changed, the serials it moved,
//! who reversed it, and for a receipt what went back. Snapshots carry the records, so a
//! restored ledger refuses a second reversal as the live one does.
//!
//! ```
//! use std::sync::Arc;
//! use onhand_ledger::{Applied, Body, DocKind, Ledger, LedgerError, Rules, testing};
//! use onhand_master::{seed, Catalog, CurrencyCode, Role};
//!
//! let catalog = Arc::new(Catalog::new(seed::demo_network())?);
//! let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
//! let mut ledger = Ledger::new(catalog, rules)?;
//! // 240 EA received into receiving at Atlanta...
//! let receipt = testing::receipt(1, "ATL", "BOLT-M8", "240 EA", "RCV-01")?;
//! ledger.apply(&receipt)?;
//! // ...and reversed: the position goes back to zero.
//! let reversal = testing::event(
//!     2, 10, testing::actor("ic", &[Role::InventoryControl])?, "CORRECTION",
//!     testing::doc(DocKind::Internal, "REV-1")?, Body::Reversal { event: receipt.id },
//! )?;
//! let Applied::Accepted(done) = ledger.apply(&reversal)? else { panic!("accepted") };
//! assert_eq!(done.deltas()[0].change.to_string(), "-240");
//! assert_eq!(done.deltas()[0].balance.to_string(), "0");
//! // Twice is refused, with the reversal named.
//! let again = testing::event(
//!     3, 20, testing::actor("ic", &[Role::InventoryControl])?, "CORRECTION",
//!     testing::doc(DocKind::Internal, "REV-2")?, Body::Reversal { event: receipt.id },
//! )?;
//! assert_eq!(
//!     ledger.apply(&again),
//!     Err(LedgerError::AlreadyReversed { event: receipt.id, by: reversal.id })
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use onhand_master::{ItemIx, SerialNo, SiteIx};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::error::LedgerError;
use crate::event::{Body, Event, EventId, EventKind, SiteLines};
use crate::ledger::{Ledger, Plan};
use crate::position::{PositionKey, from_micros};

/// Whether the ledger keeps a [`Posted`] record of events of `kind`.
pub(crate) fn recorded(kind: EventKind) -> bool {
    reversible(kind) || matches!(kind, EventKind::Reversal | EventKind::SupplierReturn)
}

/// Whether events of `kind` can be reversed.
pub(crate) fn reversible(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::Receipt
            | EventKind::Pick
            | EventKind::Ship
            | EventKind::Scrap
            | EventKind::Adjustment
    )
}

/// One position change of a posted event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostedChange {
    /// The position.
    pub key: PositionKey,
    /// The change (base units).
    #[serde(with = "crate::figure")]
    pub change: Decimal,
}

/// One serial a posted event moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostedSerial {
    /// The item.
    pub item: ItemIx,
    /// The serial.
    pub serial: SerialNo,
    /// Where it was (`None`: outside the network).
    pub from: Option<PositionKey>,
    /// Where the event took it (`None`: outside the network).
    pub to: Option<PositionKey>,
}

/// What a receipt brought in of one item, and what went back to the supplier since.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    /// The item.
    pub item: ItemIx,
    /// What the receipt brought in (base units).
    #[serde(with = "crate::figure")]
    pub qty: Decimal,
    /// What returns to supplier took back since (base units).
    #[serde(with = "crate::figure")]
    pub returned: Decimal,
}

/// The ledger's record of one applied receipt, pick, shipment, scrap, adjustment,
/// reversal or return to supplier: what it changed, for reversing it exactly (see the
/// `reversal` module).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posted {
    /// Its kind.
    pub kind: EventKind,
    /// Its site.
    pub site: SiteIx,
    /// Its effective time (microseconds since the epoch).
    pub at: i64,
    /// The position changes it made, in key order (empty for a reversal and a return
    /// to supplier, which are not reversed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<PostedChange>,
    /// The serials it moved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub serials: Vec<PostedSerial>,
    /// For a receipt, per item, what it brought in and what went back since.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub received: Vec<Received>,
    /// The reversal that undid it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reversed_by: Option<EventId>,
}

/// What a plan will record when it commits: the event's own record, the original it
/// reverses, and the receipts its lines return against.
#[derive(Debug, Default)]
pub(crate) struct PlanRecord {
    pub(crate) own: Option<Posted>,
    pub(crate) reverses: Option<EventId>,
    /// (receipt, item, base units) per line, aggregated.
    pub(crate) returns: SmallVec<[(EventId, ItemIx, Decimal); 1]>,
}

impl Ledger {
    /// The record of an applied event the ledger keeps for reversals and returns to
    /// supplier (see the `reversal` module), or `None` for an id it did not apply or
    /// does not keep a record of.
    ///
    /// A receipt of 240 bolts, 40 of which go back to the supplier: 200 are left to
    /// return, and a return of 201 more is refused.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_ledger::{Body, DocKind, Ledger, LedgerError, Rules, testing};
    /// use onhand_master::{seed, Catalog, CurrencyCode, Role};
    ///
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// let mut ledger = Ledger::new(catalog, rules)?;
    /// let receipt = testing::receipt_to(1, "ATL", "BOLT-M8", "2 CS", "PF-A01", "available")?;
    /// ledger.apply(&receipt)?;
    /// let back = |id, qty: &str| -> Result<_, Box<dyn std::error::Error>> {
    ///     let line = testing::line("BOLT-M8", qty)?.at("PF-A01".parse()?).original(receipt.id);
    ///     Ok(testing::event(
    ///         id, 10, testing::actor("w", &[Role::Warehouse])?, "RTV",
    ///         testing::doc(DocKind::PurchaseOrder, "RTV-1")?,
    ///         Body::SupplierReturn(testing::movement("ATL", vec![line])?),
    ///     )?)
    /// };
    /// ledger.apply(&back(2, "40 EA")?)?;
    /// let rec = ledger.posted(&receipt.id).ok_or("a record")?;
    /// assert_eq!((rec.received[0].qty.to_string(), rec.received[0].returned.to_string()),
    ///            ("240".to_owned(), "40".to_owned()));
    /// let err = ledger.apply(&back(3, "201 EA")?).unwrap_err();
    /// assert!(matches!(err, LedgerError::ReturnExceedsReceipt { .. }), "{err}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn posted(&self, id: &EventId) -> Option<&Posted> {
        self.posted.get(id)
    }

    /// Refuses a new reversal of an applied event of a kind the ledger keeps no record
    /// of ([`LedgerError::NotReversible`]). Checked on entry to
    /// [`apply`](Ledger::apply), while the ids seen can still be read.
    pub(crate) fn refuse_unrecorded(&self, event: &Event) -> Result<(), LedgerError> {
        if let Body::Reversal { event: target } = &event.body
            && !self.posted.contains_key(target)
            && self.seen.contains_key(target)
            && !self.pending.contains_key(target)
            && !self.seen.contains_key(&event.id)
        {
            return Err(LedgerError::NotReversible { event: *target, kind: None });
        }
        Ok(())
    }

    /// Plans the reversal of `target` into `plan`: every change of the original the
    /// other way, every serial back where it was.
    pub(crate) fn plan_reversal(
        &self,
        event: &Event,
        target: EventId,
        plan: &mut Plan,
    ) -> Result<(), LedgerError> {
        // An applied event of a kind without a record was refused before (see
        // `refuse_unrecorded`): the id is unknown here.
        let rec = self.posted.get(&target).ok_or(LedgerError::UnknownOriginal { event: target })?;
        if !reversible(rec.kind) {
            return Err(LedgerError::NotReversible { event: target, kind: Some(rec.kind) });
        }
        if let Some(by) = rec.reversed_by {
            return Err(LedgerError::AlreadyReversed { event: target, by });
        }
        if rec.received.iter().any(|r| !r.returned.is_zero()) {
            return Err(LedgerError::ReversalRefused {
                event: target,
                reason: "part of the receipt went back to the supplier",
            });
        }
        if plan.at < rec.at {
            return Err(LedgerError::ReversalRefused {
                event: target,
                reason: "a reversal cannot be dated before its original",
            });
        }
        let site = self
            .catalog
            .site(rec.site)
            .map(|s| s.code.clone())
            .ok_or(LedgerError::UnknownOriginal { event: target })?;
        Self::check_scope(event, &site)?;
        for c in &rec.changes {
            plan.change(c.key, -c.change)?;
            if c.change > Decimal::ZERO {
                plan.measure(c.change, self.cost(c.key.item));
            }
        }
        for s in &rec.serials {
            let here = self.serials.get(&s.item).and_then(|m| m.get(&s.serial)).copied();
            if here != s.to {
                let item = self
                    .catalog
                    .item(s.item)
                    .map(|i| i.code.clone())
                    .ok_or(LedgerError::UnknownOriginal { event: target })?;
                return Err(match (s.to, here) {
                    (None, Some(at)) => LedgerError::SerialInNetwork {
                        item,
                        serial: s.serial.clone(),
                        site: self
                            .catalog
                            .site(at.site)
                            .map_or_else(|| site.clone(), |x| x.code.clone()),
                    },
                    _ => LedgerError::SerialNotHere { item, serial: s.serial.clone() },
                });
            }
            plan.move_serial(s.item, &s.serial, s.from);
        }
        plan.record.reverses = Some(target);
        Ok(())
    }

    /// Checks a customer return's lines against the shipments they name
    /// ([`Line::original`](crate::Line::original)): a return dated before the shipment
    /// its goods left with is refused ([`LedgerError::ReturnBeforeOriginal`]). A line
    /// naming no shipment the ledger applied is the host's to judge (the ledger does not
    /// link a return to its sale otherwise).
    pub(crate) fn check_customer_returns(
        &self,
        event: &Event,
        mv: &SiteLines,
        plan: &Plan,
    ) -> Result<(), LedgerError> {
        for line in &mv.lines {
            let Some(original) = line.original else { continue };
            let Some(rec) = self.posted.get(&original) else { continue };
            if rec.kind == EventKind::Ship && plan.at < rec.at {
                return Err(LedgerError::ReturnBeforeOriginal {
                    item: line.item.clone(),
                    original,
                    original_at: from_micros(rec.at),
                    at: event.effective_at,
                });
            }
        }
        Ok(())
    }

    /// Checks a return to supplier's lines against the receipts they name (the lines
    /// themselves are planned as any movement's) and notes what each returns.
    pub(crate) fn plan_returns(&self, mv: &SiteLines, plan: &mut Plan) -> Result<(), LedgerError> {
        let site = self.site(&mv.site)?;
        for line in &mv.lines {
            let receipt = line
                .original
                .ok_or_else(|| LedgerError::OriginalRequired { item: line.item.clone() })?;
            let rec =
                self.posted.get(&receipt).ok_or(LedgerError::UnknownOriginal { event: receipt })?;
            if rec.kind != EventKind::Receipt {
                return Err(LedgerError::NotAReceipt { event: receipt, kind: rec.kind });
            }
            if rec.reversed_by.is_some() {
                return Err(LedgerError::ReversalRefused {
                    event: receipt,
                    reason: "the receipt was reversed",
                });
            }
            if rec.site != site {
                return Err(LedgerError::ReversalRefused {
                    event: receipt,
                    reason: "the goods were received at another site",
                });
            }
            if plan.at < rec.at {
                return Err(LedgerError::ReversalRefused {
                    event: receipt,
                    reason: "a return to supplier cannot be dated before its receipt",
                });
            }
            let it = self.item(&line.item)?;
            let base = self.to_base(&it, line.qty)?;
            let owner = self.owner(site, line.owner.as_ref())?;
            if !rec.changes.iter().any(|c| c.key.item == it.ix && c.key.owner == owner) {
                return Err(LedgerError::ReversalRefused {
                    event: receipt,
                    reason: "the receipt brought in none of the item for that owner",
                });
            }
            let returns = &mut plan.record.returns;
            let asked = if let Some((_, _, q)) =
                returns.iter_mut().find(|(r, i, _)| *r == receipt && *i == it.ix)
            {
                *q = onhand_master::add_exact(*q, base)
                    .map_err(|_| LedgerError::Overflow { operation: "a return total" })?;
                *q
            } else {
                returns.push((receipt, it.ix, base));
                base
            };
            let got = rec.received.iter().find(|r| r.item == it.ix);
            let (received, returned) =
                got.map_or((Decimal::ZERO, Decimal::ZERO), |r| (r.qty, r.returned));
            let left = received - returned;
            if asked > left {
                return Err(LedgerError::ReturnExceedsReceipt {
                    receipt,
                    item: line.item.clone(),
                    received,
                    returned,
                    requested: asked,
                });
            }
        }
        Ok(())
    }

    /// Notes, once an event's plan has passed its checks, the record the ledger keeps
    /// of it (events of the kinds it records; see [`recorded`]).
    pub(crate) fn plan_record(&self, event: &Event, plan: &mut Plan) {
        let kind = event.kind();
        if !recorded(kind) {
            return;
        }
        let site = match &event.body {
            Body::Reversal { event: target } => self.posted.get(target).map(|r| r.site),
            body => body.movement().and_then(|m| self.catalog.site_ix(&m.site)),
        };
        let Some(site) = site else { return };
        let mut own = Posted {
            kind,
            site,
            at: plan.at,
            changes: Vec::new(),
            serials: Vec::new(),
            received: Vec::new(),
            reversed_by: None,
        };
        if reversible(kind) {
            own.changes = plan
                .changes
                .iter()
                .filter(|(_, c)| !c.is_zero())
                .map(|(key, change)| PostedChange { key: *key, change: *change })
                .collect();
            own.changes.sort_by_key(|c| c.key);
            own.serials = plan
                .serial_moves
                .iter()
                .map(|(item, serial, to)| PostedSerial {
                    item: *item,
                    serial: serial.clone(),
                    from: self.serials.get(item).and_then(|m| m.get(serial)).copied(),
                    to: *to,
                })
                .collect();
        }
        if kind == EventKind::Receipt {
            // The changes are in key order, item first: an item's changes are adjacent,
            // so its total is the last one listed (linear in the lines, where a search
            // of the list per change was quadratic on a receipt of many items).
            for c in own.changes.iter().filter(|c| c.change > Decimal::ZERO) {
                match own.received.last_mut().filter(|r| r.item == c.key.item) {
                    // The plan's checks made every sum of the event's changes.
                    Some(r) => r.qty = r.qty.saturating_add(c.change),
                    None => own.received.push(Received {
                        item: c.key.item,
                        qty: c.change,
                        returned: Decimal::ZERO,
                    }),
                }
            }
        }
        plan.record.own = Some(own);
    }

    /// Records what a committed plan noted ([`plan_record`](Self::plan_record),
    /// [`plan_reversal`](Self::plan_reversal), [`plan_returns`](Self::plan_returns)).
    pub(crate) fn commit_record(&mut self, id: EventId, plan: &mut Plan) {
        let record = std::mem::take(&mut plan.record);
        if let Some(target) = record.reverses
            && let Some(original) = self.posted.get_mut(&target)
        {
            original.reversed_by = Some(id);
        }
        for (receipt, item, qty) in record.returns {
            if let Some(r) = self
                .posted
                .get_mut(&receipt)
                .and_then(|p| p.received.iter_mut().find(|r| r.item == item))
            {
                r.returned = r.returned.saturating_add(qty);
            }
        }
        if let Some(own) = record.own {
            self.posted.insert(id, own);
        }
    }
}
