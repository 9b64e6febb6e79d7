//! Plan and commit: what an event will change, computed and checked without changing
//! anything ([`Plan`], [`Ledger::plan`], [`Ledger::check_balances`]), then applied whole
//! ([`Ledger::commit`]).

use std::collections::hash_map::Entry;

use onhand_master::hash::{Map, Set, map, set};
use onhand_master::{ItemIx, NegativeStock, Role, SerialNo, Tracking};
use onhand_status::StockStatus;
use rust_decimal::Decimal;
use smallvec::SmallVec;

use super::{Accepted, Applied, Delta, Ledger, add, negative};
use crate::error::LedgerError;
use crate::event::{Body, DocumentRef, Event, EventKind};
use crate::lot::LotInfo;
use crate::position::{PositionKey, from_micros, micros};
use crate::signal::Signal;
use crate::snapshot::DocumentEntry;
use crate::transfer::OrderUpdate;

/// How many entries a plan's lists (changes, new lots, serials moved) hold before a
/// hash index replaces scanning them: an event's entries cost O(1) each however many
/// lines it has.
pub(crate) const INDEX_FROM: usize = 16;

/// Everything an event will change, computed without changing anything.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub(crate) at: i64,
    pub(crate) changes: SmallVec<[(PositionKey, Decimal); 4]>,
    /// Where each key is in `changes`, once an event has [`INDEX_FROM`] of them.
    pub(crate) change_ix: Option<Map<PositionKey, usize>>,
    /// Slot ids of positions the checks looked up, for commit to apply to directly.
    pub(crate) found: SmallVec<[(PositionKey, u32); 2]>,
    pub(crate) new_lots: Vec<LotInfo>,
    /// Where each new lot is in `new_lots`, once an event has [`INDEX_FROM`] of them.
    pub(crate) lot_ix: Option<Map<(ItemIx, onhand_master::LotCode), usize>>,
    pub(crate) serial_moves: Vec<(ItemIx, SerialNo, Option<PositionKey>)>,
    /// The serials in `serial_moves`, once an event moves [`INDEX_FROM`] of them.
    pub(crate) serial_ix: Option<Set<(ItemIx, SerialNo)>>,
    pub(crate) transfer: Option<OrderUpdate>,
    pub(crate) counted: Vec<PositionKey>,
    /// The keys in `counted`, once a count has [`INDEX_FROM`] of them.
    pub(crate) counted_ix: Option<Set<PositionKey>>,
    pub(crate) signals: Vec<Signal>,
    pub(crate) role_needs: Vec<Role>,
    pub(crate) max_line: Decimal,
    /// The sum of what the lines measure (saturating).
    pub(crate) total: Decimal,
    pub(crate) value: Decimal,
    /// Whether a threshold of the event's kind reads `max_line`, `total` and `value`.
    pub(crate) measure: bool,
    /// The event's kind and document, when its kind is document-limited: commit records
    /// what it measured there.
    pub(crate) doc: Option<(EventKind, DocumentRef)>,
    /// The event's id.
    pub(crate) id: Option<crate::event::EventId>,
    /// What the ledger will record of the event for reversals and returns.
    pub(crate) record: crate::reversal::PlanRecord,
}

impl Plan {
    /// An empty plan for `event`; `measure` as [`Plan::measure`] says.
    pub(crate) fn at(event: &Event, measure: bool) -> Self {
        Plan { at: micros(event.effective_at), measure, id: Some(event.id), ..Plan::default() }
    }

    /// Adds `change` to what the event does to `key`. A scan of the few keys an event
    /// usually has; a hash look-up once it has [`INDEX_FROM`] (one event of 640,000
    /// lines would otherwise scan for ever).
    pub(crate) fn change(&mut self, key: PositionKey, change: Decimal) -> Result<(), LedgerError> {
        if self.change_ix.is_none() && self.changes.len() >= INDEX_FROM {
            let mut ix = map();
            ix.extend(self.changes.iter().enumerate().map(|(i, (k, _))| (*k, i)));
            self.change_ix = Some(ix);
        }
        let at = match &self.change_ix {
            Some(ix) => ix.get(&key).copied(),
            None => self.changes.iter().position(|(k, _)| *k == key),
        };
        if let Some((_, c)) = at.and_then(|i| self.changes.get_mut(i)) {
            *c = onhand_master::add_exact(*c, change)
                .map_err(|_| LedgerError::Overflow { operation: "event total" })?;
        } else {
            if let Some(ix) = &mut self.change_ix {
                ix.insert(key, self.changes.len());
            }
            self.changes.push((key, change));
        }
        Ok(())
    }

    /// Where a lot new in this event is in `new_lots` (as [`change`](Self::change),
    /// a scan and past [`INDEX_FROM`] a hash look-up).
    pub(crate) fn new_lot(&mut self, item: ItemIx, code: &onhand_master::LotCode) -> Option<usize> {
        if self.lot_ix.is_none() && self.new_lots.len() >= INDEX_FROM {
            let mut ix = map();
            ix.extend(self.new_lots.iter().enumerate().map(|(i, l)| ((l.item, l.code.clone()), i)));
            self.lot_ix = Some(ix);
        }
        match &self.lot_ix {
            Some(ix) => ix.get(&(item, code.clone())).copied(),
            None => self.new_lots.iter().position(|l| l.item == item && l.code == *code),
        }
    }

    /// Records a lot new in this event.
    pub(crate) fn push_lot(&mut self, lot: LotInfo) {
        if let Some(ix) = &mut self.lot_ix {
            ix.insert((lot.item, lot.code.clone()), self.new_lots.len());
        }
        self.new_lots.push(lot);
    }

    /// Whether this event already moves `serial` (as [`change`](Self::change), a scan
    /// and past [`INDEX_FROM`] a hash look-up).
    pub(crate) fn moves_serial(&mut self, item: ItemIx, serial: &SerialNo) -> bool {
        if self.serial_ix.is_none() && self.serial_moves.len() >= INDEX_FROM {
            let mut ix = set();
            ix.extend(self.serial_moves.iter().map(|(i, s, _)| (*i, s.clone())));
            self.serial_ix = Some(ix);
        }
        match &self.serial_ix {
            Some(ix) => ix.contains(&(item, serial.clone())),
            None => self.serial_moves.iter().any(|(i, s, _)| *i == item && s == serial),
        }
    }

    /// Records that this count counts `key`; `false` (recording nothing) when it
    /// counted `key` already (as [`change`](Self::change), a scan and past
    /// [`INDEX_FROM`] a hash look-up).
    pub(crate) fn count_key(&mut self, key: PositionKey) -> bool {
        if self.counted_ix.is_none() && self.counted.len() >= INDEX_FROM {
            let mut ix = set();
            ix.extend(self.counted.iter().copied());
            self.counted_ix = Some(ix);
        }
        let new = match &mut self.counted_ix {
            Some(ix) => ix.insert(key),
            None => !self.counted.contains(&key),
        };
        if new {
            self.counted.push(key);
        }
        new
    }

    /// Records that this event moves `serial` to `to` (`None`: out of the network).
    pub(crate) fn move_serial(&mut self, item: ItemIx, serial: &SerialNo, to: Option<PositionKey>) {
        if let Some(ix) = &mut self.serial_ix {
            ix.insert((item, serial.clone()));
        }
        self.serial_moves.push((item, serial.clone(), to));
    }

    /// Counts a line's quantity toward the largest line, and its value at reference
    /// cost (saturating: a value past the decimal range is over any threshold anyway)
    /// toward the event's value, when a threshold will read them. Items without a
    /// reference cost add no value.
    pub(crate) fn measure(&mut self, qty: Decimal, cost: Decimal) {
        if !self.measure {
            return;
        }
        self.max_line = self.max_line.max(qty);
        self.total = self.total.checked_add(qty).unwrap_or(Decimal::MAX);
        if !cost.is_zero() {
            self.value = self
                .value
                .checked_add(qty.checked_mul(cost).unwrap_or(Decimal::MAX))
                .unwrap_or(Decimal::MAX);
        }
    }

    pub(crate) fn need(&mut self, role: Role) {
        if !self.role_needs.contains(&role) {
            self.role_needs.push(role);
        }
    }
}

impl Ledger {
    /// Plans a stock event into `plan` (fresh from [`Plan::at`]; filled in place, as it
    /// is too large to move around per event). `granted` are roles already approved (for
    /// a pending event being released): status moves needing them no longer wait.
    pub(crate) fn plan(
        &self,
        event: &Event,
        granted: &[Role],
        plan: &mut Plan,
    ) -> Result<(), LedgerError> {
        let kind = event.kind();
        match &event.body {
            Body::CycleCount(count) => self.plan_count(event, count, plan)?,
            Body::TransferShip(mv) | Body::TransferReceipt(mv) => {
                let order = self.order_for(event, &mv.site, kind)?;
                self.plan_lines(event, kind, &mv.site, &mv.lines, Some(order), plan)?;
            }
            Body::TransferClose => self.plan_close(event, plan)?,
            Body::Reversal { event: target } => self.plan_reversal(event, *target, plan)?,
            Body::SupplierReturn(mv) => {
                self.plan_lines(event, kind, &mv.site, &mv.lines, None, plan)?;
                self.plan_returns(mv, plan)?;
            }
            Body::CustomerReturn(mv) => {
                self.plan_lines(event, kind, &mv.site, &mv.lines, None, plan)?;
                self.check_customer_returns(event, mv, plan)?;
            }
            Body::Receipt(mv)
            | Body::Putaway(mv)
            | Body::Pick(mv)
            | Body::Ship(mv)
            | Body::Disposition(mv)
            | Body::Adjustment(mv)
            | Body::StatusChange(mv)
            | Body::Scrap(mv) => {
                self.plan_lines(event, kind, &mv.site, &mv.lines, None, plan)?;
            }
            Body::TransferRequest(_)
            | Body::TransferApprove
            | Body::Approve { .. }
            | Body::Reject { .. }
            | Body::ClosePeriod { .. }
            | Body::ReopenPeriod { .. } => {}
        }
        plan.role_needs.retain(|r| !granted.contains(r));
        self.check_entity_periods(plan)?;
        self.check_balances(plan)?;
        self.plan_record(event, plan);
        Ok(())
    }

    /// An empty plan for `event`, measuring its lines only when a threshold of its kind
    /// reads quantity or value.
    pub(crate) fn plan_for(&self, event: &Event) -> Plan {
        let kind = event.kind();
        let measure = self.measured.get(kind as usize).copied().unwrap_or(true);
        let mut plan = Plan::at(event, measure);
        if self.doc_limited.get(kind as usize).copied().unwrap_or(false) {
            plan.doc = Some((kind, event.reference.clone()));
        }
        plan
    }

    /// Aggregated per key, checks that every new balance is representable exactly (so
    /// [`commit`](Self::commit), which adds the same sums, cannot fail half-way) and that
    /// no position goes below zero (now, or at any later point of its history for a
    /// back-dated event) unless the policy allows it.
    pub(crate) fn check_balances(&self, plan: &mut Plan) -> Result<(), LedgerError> {
        let mut signals = Vec::new();
        for (key, change) in &plan.changes {
            if change.is_zero() {
                continue;
            }
            let found = self.positions.find(key);
            if let Some((id, slot)) = found {
                plan.found.push((*key, id));
                // The very sum commit will make: an overflow refuses the event here,
                // before anything is written.
                add(slot.qty, *change, "position balance")?;
            }
            if !negative(*change) {
                continue;
            }
            let (min, when) = match found {
                Some((_, slot)) => slot.min_from(plan.at),
                None => (Decimal::ZERO, None),
            };
            let after = add(min, *change, "position balance")?;
            if !negative(after) {
                continue;
            }
            let serial =
                self.catalog.item(key.item).is_some_and(|i| i.tracking == Tracking::Serial);
            let allowed = key.status != StockStatus::InTransit
                && !serial
                && self.catalog.negative_stock(key.item, key.site) == NegativeStock::Allow;
            if allowed {
                let balance = add(self.positions.qty(key), *change, "position balance")?;
                signals.push(Signal::NegativeStock { key: *key, balance });
                continue;
            }
            let view = self.describe(key);
            return Err(LedgerError::InsufficientStock {
                item: view.item,
                site: view.site,
                bin: view.bin,
                lot: view.lot,
                status: key.status,
                available: min,
                requested: -*change,
                at: when.map(from_micros),
            });
        }
        plan.signals.extend(signals);
        Ok(())
    }

    /// Applies a checked plan. Returns the outcome whole (built in place, not wrapped
    /// afterwards: it is large enough that each copy shows in the hot path).
    pub(crate) fn commit(&mut self, plan: &mut Plan) -> Result<Applied, LedgerError> {
        for lot in plan.new_lots.drain(..) {
            self.lots.insert(lot).ok_or(LedgerError::Overflow { operation: "lot table" })?;
        }
        plan.changes.sort_by_key(|(k, _)| *k);
        // `found` holds a subset of the keys of `changes`, each once: sorted alike, one
        // walk pairs them.
        plan.found.sort_unstable_by_key(|(k, _)| *k);
        if plan.changes.len() > plan.found.len() + crate::position::SCAN_MAX {
            // Positions the checks did not find are new: open them together.
            let mut found = plan.found.iter().peekable();
            let new: Vec<PositionKey> = plan
                .changes
                .iter()
                .filter(|(k, c)| !c.is_zero() && found.next_if(|(f, _)| f == k).is_none())
                .map(|(k, _)| *k)
                .collect();
            self.positions.open_sorted(&new);
        }
        let mut found = plan.found.iter().peekable();
        let mut deltas: SmallVec<[Delta; 2]> = SmallVec::new();
        for (key, change) in &plan.changes {
            if change.is_zero() {
                continue;
            }
            let hint = found.next_if(|(k, _)| k == key).map(|(_, id)| *id);
            // `check_balances` made this very sum: a failure here is a bug, and would
            // leave the event half-applied.
            let applied = self.positions.apply(key, hint, plan.at, *change);
            debug_assert!(applied.is_ok(), "commit failed after the plan was checked: {applied:?}");
            let (balance, counted_at) = applied?;
            // A back-dated count too: the later count was checked against another book.
            if let Some(counted_at) = counted_at
                && counted_at > plan.at
            {
                plan.signals.push(Signal::CountInvalidated {
                    key: *key,
                    counted_at: from_micros(counted_at),
                });
            }
            deltas.push(Delta { key: *key, change: *change, balance });
        }
        for key in &plan.counted {
            self.positions.mark_counted(key, plan.at);
        }
        for (item, serial, to) in plan.serial_moves.drain(..) {
            let map = self.serials.entry(item).or_insert_with(map);
            let was = match to {
                Some(k) => map.insert(serial.clone(), k),
                None => map.remove(&serial),
            };
            if let Some(was) = was
                && let Entry::Occupied(mut at) = self.serials_at.entry(was)
            {
                at.get_mut().remove(&serial);
                if at.get().is_empty() {
                    at.remove();
                }
            }
            if let Some(k) = to {
                self.serials_at.entry(k).or_insert_with(set).insert(serial);
            }
        }
        if let Some(update) = plan.transfer.take() {
            self.transfers.update(update);
        }
        if let Some(doc) = plan.doc.take() {
            let entry = DocumentEntry { at: plan.at, qty: plan.total, value: plan.value };
            self.documents.entry(doc).or_default().push(entry);
        }
        if let Some(id) = plan.id {
            self.commit_record(id, plan);
        }
        self.seq += 1;
        Ok(Applied::Accepted(Accepted {
            seq: self.seq,
            deltas,
            signals: std::mem::take(&mut plan.signals),
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use onhand_master::{Catalog, Role};
    use onhand_status::StockStatus;
    use rust_decimal::Decimal;

    use crate::event::{Body, DocKind};
    use crate::{Applied, Ledger, LedgerError, PositionKey, Rules};

    /// Issue 12: a put-away whose second position (in key order) would overflow used to
    /// apply the first change and then fail, leaving the event half-applied. The sums
    /// are now checked before anything is written.
    #[test]
    fn a_commit_that_stops_half_way() -> Result<(), Box<dyn std::error::Error>> {
        use onhand_master::{BinCode, CurrencyCode, seed};
        let catalog = Arc::new(Catalog::new(seed::demo_network())?);
        let mut ledger = Ledger::new(
            catalog.clone(),
            Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors(),
        )?;
        ledger.apply(&crate::testing::receipt(1, "ATL", "BOLT-M8", "240 EA", "RCV-01")?)?;
        let receiving = ledger.positions.all().map(|(k, _)| k).next().ok_or("a position")?;
        let pick_face = PositionKey {
            status: StockStatus::Available,
            bin: catalog.bin_ix(receiving.site, &BinCode::new("PF-A01")?),
            ..receiving
        };
        assert!(receiving < pick_face, "the receiving side is committed first");
        // A pick face holding all but 100 units of what a decimal can hold.
        ledger.positions.apply(&pick_face, None, 0, Decimal::MAX - Decimal::from(100))?;
        let before = ledger.state_digest()?;
        let putaway = crate::testing::event(
            2,
            10,
            crate::testing::actor("w1", &[Role::Warehouse])?,
            "PUTAWAY",
            crate::testing::doc(DocKind::Internal, "PA-1")?,
            Body::Putaway(crate::testing::movement(
                "ATL",
                vec![
                    crate::testing::line("BOLT-M8", "240 EA")?
                        .at("RCV-01".parse()?)
                        .to_bin("PF-A01".parse()?),
                ],
            )?),
        )?;
        assert_eq!(
            ledger.apply(&putaway),
            Err(LedgerError::Overflow { operation: "position balance" })
        );
        assert_eq!(ledger.state_digest()?, before, "nothing was applied");
        assert_eq!(ledger.positions.qty(&receiving), Decimal::from(240));
        Ok(())
    }

    proptest::proptest! {
        /// A plan that passes its checks always commits: for any pair of starting
        /// balances (up to the decimal's edge) and any move between them, `apply` either
        /// refuses the move and changes nothing, or moves exactly the quantity.
        #[test]
        fn a_checked_plan_always_commits(
            from_start in 0i64..1000,
            to_gap in proptest::prop_oneof![0u64..1000, proptest::prelude::any::<u64>()],
            qty in 1i64..1500,
        ) {
            use onhand_master::{BinCode, CurrencyCode, seed};
            let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
            let mut ledger =
                Ledger::new(catalog.clone(), Rules::standard(CurrencyCode::new("USD").unwrap()).trusting_event_actors()).unwrap();
            let start = format!("{} EA", from_start.max(1));
            ledger.apply(&crate::testing::receipt(1, "ATL", "BOLT-M8", &start, "RCV-01").unwrap()).unwrap();
            let receiving = ledger.positions.all().map(|(k, _)| k).next().unwrap();
            let pick_face = PositionKey {
                status: StockStatus::Available,
                bin: catalog.bin_ix(receiving.site, &BinCode::new("PF-A01").unwrap()),
                ..receiving
            };
            let to_start = Decimal::MAX - Decimal::from(to_gap);
            ledger.positions.apply(&pick_face, None, 0, to_start).unwrap();
            let before = (ledger.positions.qty(&receiving), ledger.positions.qty(&pick_face));
            let digest = ledger.state_digest().unwrap();
            let putaway = crate::testing::event(
                2, 10, crate::testing::actor("w1", &[Role::Warehouse]).unwrap(), "PUTAWAY",
                crate::testing::doc(DocKind::Internal, "PA-1").unwrap(),
                Body::Putaway(crate::testing::movement("ATL", vec![
                    crate::testing::line("BOLT-M8", &format!("{qty} EA")).unwrap()
                        .at("RCV-01".parse().unwrap()).to_bin("PF-A01".parse().unwrap()),
                ]).unwrap()),
            ).unwrap();
            let q = Decimal::from(qty);
            match ledger.apply(&putaway) {
                Ok(Applied::Accepted(_)) => {
                    proptest::prop_assert_eq!(ledger.positions.qty(&receiving), before.0 - q);
                    proptest::prop_assert_eq!(ledger.positions.qty(&pick_face), before.1 + q);
                }
                Ok(other) => proptest::prop_assert!(false, "{other:?}"),
                Err(e) => {
                    proptest::prop_assert!(q > before.0 || before.1.checked_add(q).is_none(), "{e}");
                    proptest::prop_assert_eq!(ledger.state_digest().unwrap(), digest);
                }
            }
        }
    }
}
