//! Dry runs of several events together: [`Valuation::check_all`] applies them in turn
//! to the engine itself, recording for each what undoes it ([`Undo`]), then undoes
//! them, newest first. An undo holds what the event changed and nothing else: the
//! lengths of the engine's append-only records, the old values of the few entries it
//! rewrote, and its pool's inverse ([`SlotUndo`]), so a dry run costs what applying the
//! events costs, never a copy of the engine (whose per-event records and pool
//! histories grow with every movement).

use rust_decimal::Decimal;

use super::{IcPeriod, Outcome, Plan, Res, Transfer, Valuation};
use crate::Posting;
use crate::code::TransferNo;
use crate::event::CostEvent;
use crate::history::SlotUndo;

/// What undoes one applied event (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct Undo {
    id: u64,
    seq: u64,
    seen_log: usize,
    receipts: usize,
    sales: usize,
    transfers: usize,
    documents: usize,
    receivables: usize,
    payables: usize,
    /// The pool index key of a pool the event made (its slot is the last).
    pub(crate) new_slot: Option<u64>,
    /// The pool the event changed (not a new one) and its inverse.
    pub(crate) slot: Option<(u32, SlotUndo)>,
    /// Receipt entries whose record moved: their index and old record.
    pub(crate) moved: Vec<(usize, u32)>,
    /// A transfer the event opened.
    new_transfer: Option<TransferNo>,
    /// Transfers it updated, as they were.
    transfers_old: Vec<(u32, Transfer)>,
    /// In-transit quantities it touched, as they were (in the order saved).
    transit: Vec<((u16, u32), Option<Decimal>)>,
    /// Intercompany period figures it touched, as they were.
    period: Vec<((u16, u16), Option<IcPeriod>)>,
    /// A sale's returned figures it set, as they were.
    returned: Option<(u64, Option<(Decimal, Decimal)>)>,
    /// Earlier issues' values and embedded profits it re-costed, as they were (in the
    /// order set).
    pub(super) recosted: Vec<(u32, Decimal, Option<Decimal>)>,
}

impl Undo {
    /// Records what committing `plan` for event `id` on `v` will change, before it does.
    pub(super) fn before(&mut self, v: &Valuation, id: u64, plan: &Plan) {
        self.id = id;
        self.seq = v.seq;
        self.seen_log = v.seen_log.len();
        self.receipts = v.receipts.len();
        self.sales = v.sales.len();
        self.transfers = v.transfers.len();
        self.documents = v.documents.len();
        self.receivables = v.receivables.len();
        self.payables = v.payables.len();
        let mut keys: Vec<(u16, u32)> = Vec::new();
        if let Some(tr) = &plan.new_transfer {
            self.new_transfer = Some(tr.number.clone());
            keys.push((tr.owner, tr.item.raw()));
        }
        for (t, tr) in &plan.updated {
            keys.push((tr.owner, tr.item.raw()));
            if let Some(old) = v.transfers.get(*t as usize) {
                keys.push((old.owner, old.item.raw()));
                self.transfers_old.push((*t, old.clone()));
            }
        }
        self.transit = keys.into_iter().map(|k| (k, v.transit_qty.get(&k).copied())).collect();
        self.period = plan.period.iter().map(|(k, _, _)| (*k, v.period.get(k).copied())).collect();
        self.returned = plan.returned.map(|(sale, _, _)| (sale, v.returned.get(&sale).copied()));
    }
}

impl Valuation {
    /// Whether [`apply`](Valuation::apply) would accept every one of `evs` applied in
    /// turn, without applying them: they are applied in turn and then undone, newest
    /// first, leaving the engine exactly as it was (one event is checked as
    /// [`check`](Valuation::check) does). So two that move one pool, each of which
    /// would pass alone, are refused together when the second would fail after the
    /// first, and one that only an earlier one makes possible (a transfer's receipt
    /// after its shipment) is accepted. The undo keeps only what the events changed,
    /// so this costs what applying them costs, whatever the size of the engine. A host that derives several cost events from one event of its own (the
    /// `onhand` facade: a reversal of a receipt with several lines, a return to
    /// supplier against several receipts) checks them together here.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_master::{seed, Catalog};
    /// use onhand_valuation::{CostBody, CostEvent, Valuation, ValuationConfig};
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let mut v = Valuation::new(catalog, ValuationConfig::default())?;
    /// let at = |s: i64| chrono::DateTime::from_timestamp(1_767_600_000 + s, 0).ok_or("a time");
    /// // 10 bolts in (moving average, CA01 at Toronto): 10 @ 1.00.
    /// v.apply(&CostEvent { id: 1, at: at(0)?, body: CostBody::Receipt {
    ///     site: "YYZ".parse()?, item: "BOLT-M8".parse()?, qty: "10 EA".parse()?,
    ///     unit_cost: "1.00 CAD".parse()?, owner: None } })?;
    /// let back = |id, qty: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    ///     Ok(CostEvent { id, at: at(60)?, body: CostBody::SupplierReturn {
    ///         receipt: 1, qty: qty.parse()? } })
    /// };
    /// // 6 and 5 back: each alone is within the receipt, together they are not.
    /// v.check(&back(2, "6 EA")?)?;
    /// v.check(&back(3, "5 EA")?)?;
    /// let err = v.check_all(&[back(2, "6 EA")?, back(3, "5 EA")?]).unwrap_err();
    /// assert_eq!(err.code(), "return_exceeds_receipt");
    /// v.check_all(&[back(2, "6 EA")?, back(3, "4 EA")?])?;
    /// assert_eq!(v.returnable(1), Some("10".parse()?)); // nothing applied
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// The first [`ValuationError`](crate::ValuationError) applying them in turn would
    /// return.
    pub fn check_all(&mut self, evs: &[CostEvent]) -> Res<()> {
        if let [ev] = evs {
            // Taken by the in-order path: its few steps answer for the general planning
            // (`in_order_is_the_general_path`).
            if self.in_order_takes(ev) {
                return Ok(());
            }
            return self.check(ev);
        }
        let mut undos = Vec::with_capacity(evs.len());
        let mut lines = Vec::new();
        let mut result = Ok(());
        for ev in evs {
            let mut undo = Undo::default();
            let seq = self.seq;
            match self.apply_undoable(ev, false, &mut lines, Some(&mut undo)) {
                // A duplicate changed nothing, so there is nothing to undo.
                Ok(_) if self.seq == seq => {}
                Ok(_) => undos.push(undo),
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        for undo in undos.into_iter().rev() {
            self.undo(undo);
        }
        result
    }

    /// Applies every one of `evs` in turn, or none: when one is refused, those applied
    /// before it are undone (newest first, as [`check_all`](Valuation::check_all)
    /// undoes), `postings` is cut back to what it held, and the engine is exactly as it
    /// was. Their posting lines are appended to `postings` in order (as
    /// [`apply_into`](Valuation::apply_into)), and their outcomes returned in order. A
    /// host that derives several cost events from one event of its own and must book
    /// all of them or none (the `onhand` facade, while its ledger decides) applies them
    /// here, once: the last needs no undo (a refused event changes nothing), so one
    /// event costs what [`apply_into`](Valuation::apply_into) costs.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_master::{seed, Catalog};
    /// use onhand_valuation::{CostBody, CostEvent, IssueTo, Valuation, ValuationConfig};
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let mut v = Valuation::new(catalog, ValuationConfig::default())?;
    /// let at = chrono::DateTime::from_timestamp(1_767_600_000, 0).ok_or("a time")?;
    /// let ev = |id, body| CostEvent { id, at, body };
    /// let receipt = |qty: &str| -> Result<CostBody, Box<dyn std::error::Error>> {
    ///     Ok(CostBody::Receipt { site: "ATL".parse()?, item: "BOLT-M8".parse()?,
    ///         qty: qty.parse()?, unit_cost: "0.10 USD".parse()?, owner: None })
    /// };
    /// let sale = |qty: &str| -> Result<CostBody, Box<dyn std::error::Error>> {
    ///     Ok(CostBody::Issue { site: "ATL".parse()?, item: "BOLT-M8".parse()?,
    ///         qty: qty.parse()?, to: IssueTo::Sale, owner: None })
    /// };
    /// let mut postings = Vec::new();
    /// // 100 in and 150 out: the sale is refused, so the receipt is undone too.
    /// let err = v.apply_all_into(&[ev(1, receipt("100 EA")?), ev(2, sale("150 EA")?)], &mut postings);
    /// assert_eq!(err.unwrap_err().code(), "insufficient");
    /// assert!(postings.is_empty() && v.pools().is_empty());
    /// // 100 in and 30 out: both booked.
    /// let done = v.apply_all_into(&[ev(1, receipt("100 EA")?), ev(2, sale("30 EA")?)], &mut postings)?;
    /// assert_eq!((done.len(), postings.len()), (2, 4));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// The first [`ValuationError`](crate::ValuationError) applying them in turn
    /// returns; nothing is then applied.
    pub fn apply_all_into(
        &mut self,
        evs: &[CostEvent],
        postings: &mut Vec<Posting>,
    ) -> Res<Vec<Outcome>> {
        let Some((last, before)) = evs.split_last() else { return Ok(Vec::new()) };
        let start = postings.len();
        let mut undos = Vec::with_capacity(before.len());
        let mut done = Vec::with_capacity(evs.len());
        let mut result = Ok(());
        for ev in before {
            let mut undo = Undo::default();
            let seq = self.seq;
            match self.apply_undoable(ev, false, postings, Some(&mut undo)) {
                Ok(o) => {
                    if self.seq != seq {
                        undos.push(undo);
                    }
                    done.push(o);
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        if result.is_ok() {
            match self.apply_into(last, postings) {
                Ok(o) => {
                    done.push(o);
                    return Ok(done);
                }
                Err(e) => result = Err(e),
            }
        }
        for undo in undos.into_iter().rev() {
            self.undo(undo);
        }
        postings.truncate(start);
        result.map(|()| Vec::new())
    }

    /// Undoes the latest applied event, as `undo` recorded it.
    fn undo(&mut self, undo: Undo) {
        let Undo {
            id,
            seq,
            seen_log,
            receipts,
            sales,
            transfers,
            documents,
            receivables,
            payables,
            new_slot,
            slot,
            moved,
            new_transfer,
            transfers_old,
            transit,
            period,
            returned,
            recosted,
        } = undo;
        // The event's id: the newest, so it is the last sorted one, or among the others.
        if !self.seen.pop_sorted(id) {
            self.seen.others.remove(&id);
        }
        self.seen_log.truncate(seen_log);
        self.seq = seq;
        self.documents.truncate(documents);
        self.receivables.truncate(receivables);
        self.payables.truncate(payables);
        for (k, old, profit) in recosted.into_iter().rev() {
            if let Some(s) = self.sales.get_mut(k as usize) {
                s.value = old;
            }
            match profit {
                Some(p) => self.sale_profit.insert(k, p),
                None => self.sale_profit.remove(&k),
            };
        }
        if let Some((sale, old)) = returned {
            match old {
                Some(r) => self.returned.insert(sale, r),
                None => self.returned.remove(&sale),
            };
        }
        for (k, old) in period.into_iter().rev() {
            match old {
                Some(p) => self.period.insert(k, p),
                None => self.period.remove(&k),
            };
        }
        for (k, old) in transit.into_iter().rev() {
            match old {
                Some(q) => self.transit_qty.insert(k, q),
                None => self.transit_qty.remove(&k),
            };
        }
        for (t, old) in transfers_old {
            if let Some(x) = self.transfers.get_mut(t as usize) {
                *x = old;
            }
        }
        if let Some(number) = new_transfer {
            self.transfer_ix.remove(&number);
        }
        self.transfers.truncate(transfers);
        self.receipts.truncate(receipts);
        self.sales.truncate(sales);
        let gone = u32::try_from(sales).unwrap_or(u32::MAX);
        drop(self.sale_profit.split_off(&gone));
        for (k, rcpt) in moved.into_iter().rev() {
            if let Some(r) = self.receipts.get_mut(k) {
                r.rcpt = rcpt;
            }
        }
        if let Some(key) = new_slot {
            self.slot_ix.remove(&key);
            self.slots.pop();
        } else if let Some((s, slot_undo)) = slot
            && let Some(sl) = self.slots.get_mut(s as usize)
        {
            sl.undo(slot_undo);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{DateTime, Utc};
    use onhand_master::{Catalog, Money, Qty, seed};
    use proptest::prelude::*;

    use crate::config::{Agreement, MethodOverride, PriceRule, TitlePoint, ValuationConfig};
    use crate::event::{CostBody, CostEvent, IssueTo};
    use crate::pool::Method;

    use super::*;

    const T0: i64 = 1_767_600_000;
    const SITES: [(&str, &str); 3] = [("ATL", "USD"), ("DFW", "USD"), ("YYZ", "CAD")];
    const ITEMS: [&str; 2] = ["BOLT-M8", "GLUE-500"];

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(T0 + secs, 0).unwrap()
    }

    fn engine(per_site: bool, glue: Method) -> Valuation {
        let mut c = ValuationConfig::default();
        if per_site {
            c.per_site.insert("NA01".parse().unwrap());
        }
        c.methods.push(MethodOverride {
            entity: "NA01".parse().unwrap(),
            item: "GLUE-500".parse().unwrap(),
            method: glue,
        });
        c.agreements.push(Agreement {
            seller: "NA01".parse().unwrap(),
            buyer: "CA01".parse().unwrap(),
            price: PriceRule::CostPlus { markup: Decimal::new(10, 2) },
            currency: "USD".parse().unwrap(),
            title: TitlePoint::Receipt,
        });
        let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
        Valuation::new(catalog, c).unwrap()
    }

    /// One step of a history or of a batch; `pick` chooses among earlier events.
    #[derive(Debug, Clone)]
    enum Step {
        Receipt { site: usize, item: usize, n: u32, cents: u32 },
        Issue { site: usize, item: usize, n: u32 },
        Landed { pick: usize, cents: u32 },
        Return { pick: usize, n: u32 },
        Ship { item: usize, n: u32, to: usize },
        Arrive { pick: usize, n: u32 },
        Reverse { pick: usize },
        Back { pick: usize, n: u32 },
        Again { pick: usize },
    }

    fn step() -> impl Strategy<Value = Step> {
        // Mostly one busy pool (more operations than a checkpoint's interval).
        let site = prop_oneof![3 => Just(0usize), 1 => 0usize..3];
        let item = prop_oneof![3 => Just(0usize), 1 => 0usize..2];
        prop_oneof![
            6 => (site.clone(), item.clone(), 1u32..30, 50u32..900)
                .prop_map(|(site, item, n, cents)| Step::Receipt { site, item, n, cents }),
            4 => (site, item.clone(), 1u32..40).prop_map(|(site, item, n)| Step::Issue { site, item, n }),
            2 => (any::<usize>(), 1u32..500).prop_map(|(pick, cents)| Step::Landed { pick, cents }),
            1 => (any::<usize>(), 1u32..8).prop_map(|(pick, n)| Step::Return { pick, n }),
            1 => (item, 1u32..10, 1usize..3).prop_map(|(item, n, to)| Step::Ship { item, n, to }),
            1 => (any::<usize>(), 1u32..10).prop_map(|(pick, n)| Step::Arrive { pick, n }),
            2 => any::<usize>().prop_map(|pick| Step::Reverse { pick }),
            2 => (any::<usize>(), 1u32..20).prop_map(|(pick, n)| Step::Back { pick, n }),
            1 => any::<usize>().prop_map(|pick| Step::Again { pick }),
        ]
    }

    /// How many events back an event is dated (mostly none), so replays start at
    /// checkpoints well before the latest operation.
    fn back() -> impl Strategy<Value = i64> {
        prop_oneof![5 => Just(0i64), 1 => 1i64..100]
    }

    /// When event `id` takes effect, `back` events back (between two events).
    fn secs(id: u64, back: i64) -> i64 {
        let t = i64::try_from(id).unwrap() * 60;
        if back == 0 { t } else { t - back * 60 - 30 }
    }

    /// USD to CAD and back, for transfers between the two entities.
    fn rates() -> Vec<crate::event::Rate> {
        let r = |from: &str, to: &str, rate: i64| crate::event::Rate {
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
            rate: Decimal::new(rate, 2),
        };
        vec![r("USD", "CAD", 135), r("CAD", "USD", 74)]
    }

    fn qty(n: u32) -> Qty {
        Qty::new(Decimal::from(n), "EA".parse().unwrap()).unwrap()
    }

    /// The event `s` makes as event `id` at `secs`, over the events applied so far.
    fn event(s: &Step, id: u64, secs: i64, made: &[CostEvent]) -> Option<CostEvent> {
        let pick = |p: usize, f: &dyn Fn(&CostEvent) -> bool| {
            let found: Vec<&CostEvent> = made.iter().filter(|e| f(e)).collect();
            (!found.is_empty()).then(|| found[p % found.len()].clone())
        };
        let receipt = |e: &CostEvent| matches!(e.body, CostBody::Receipt { .. });
        let body = match s {
            Step::Receipt { site, item, n, cents } => CostBody::Receipt {
                site: SITES[*site].0.parse().unwrap(),
                item: ITEMS[*item].parse().unwrap(),
                qty: qty(*n),
                unit_cost: Money::new(
                    Decimal::new(i64::from(*cents), 2),
                    SITES[*site].1.parse().unwrap(),
                ),
                owner: None,
            },
            Step::Issue { site, item, n } => CostBody::Issue {
                site: SITES[*site].0.parse().unwrap(),
                item: ITEMS[*item].parse().unwrap(),
                qty: qty(*n),
                to: IssueTo::Sale,
                owner: None,
            },
            Step::Landed { pick: p, cents } => {
                let r = pick(*p, &receipt)?;
                let CostBody::Receipt { unit_cost, .. } = r.body else { return None };
                CostBody::LandedCost {
                    receipt: r.id,
                    amount: Money::new(Decimal::new(i64::from(*cents), 2), unit_cost.currency()),
                }
            }
            Step::Return { pick: p, n } => {
                let r = pick(*p, &|e| matches!(e.body, CostBody::Issue { .. }))?;
                let CostBody::Issue { site, item, .. } = r.body else { return None };
                CostBody::CustomerReturn {
                    site,
                    item,
                    qty: qty(*n),
                    original: Some(r.id),
                    unit_cost: None,
                    owner: None,
                }
            }
            Step::Ship { item, n, to } => CostBody::TransferShip {
                transfer: format!("TR-{id}").parse().unwrap(),
                from: "ATL".parse().unwrap(),
                to: SITES[*to].0.parse().unwrap(),
                item: ITEMS[*item].parse().unwrap(),
                qty: qty(*n),
                rates: rates(),
            },
            Step::Arrive { pick: p, n } => {
                let r = pick(*p, &|e| matches!(e.body, CostBody::TransferShip { .. }))?;
                let CostBody::TransferShip { transfer, .. } = r.body else { return None };
                CostBody::TransferReceipt { transfer, qty: qty(*n), rates: rates() }
            }
            Step::Reverse { pick: p } => CostBody::Reversal { original: pick(*p, &|_| true)?.id },
            Step::Back { pick: p, n } => {
                CostBody::SupplierReturn { receipt: pick(*p, &receipt)?.id, qty: qty(*n) }
            }
            Step::Again { pick: p } => return pick(*p, &|_| true),
        };
        Some(CostEvent { id, at: at(secs), body })
    }

    /// Everything the engine holds that a later event can read (its snapshot leaves
    /// out indexes and caches the undo must also put back).
    fn inside(v: &Valuation) -> String {
        let mut others: Vec<_> = v.seen.others.iter().collect();
        others.sort_unstable();
        let mut slot_ix: Vec<_> = v.slot_ix.iter().collect();
        slot_ix.sort_unstable();
        let mut transfer_ix: Vec<_> = v.transfer_ix.iter().collect();
        transfer_ix.sort_unstable();
        format!(
            "{:?}",
            (
                (
                    &v.slots,
                    v.seen.sorted_at().collect::<Vec<_>>(),
                    others,
                    &v.seen_log,
                    &v.receipts,
                    &v.sales
                ),
                (slot_ix, transfer_ix, &v.transfers, &v.transit_qty, v.seq),
                (&v.documents, &v.receivables, &v.payables, &v.returned),
                v.period.iter().map(|(k, p)| (*k, p.revenue, p.created)).collect::<Vec<_>>(),
            )
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// `check_all` answers what applying the events in turn to a copy of the engine
        /// answers, and leaves the engine exactly as it was: equal inside, and equal in
        /// what it does with every later event.
        #[test]
        fn a_dry_run_answers_as_a_copy_and_leaves_the_engine_as_it_was(
            per_site in any::<bool>(),
            glue in prop_oneof![Just(Method::Fifo), Just(Method::MovingAverage), Just(Method::Standard)],
            history in prop::collection::vec((step(), back()), 1..200),
            batch in prop::collection::vec((step(), back()), 1..5),
            after in prop::collection::vec((step(), back()), 0..30),
        ) {
            let mut v = engine(per_site, glue);
            let mut made: Vec<CostEvent> = Vec::new();
            let mut id = 0;
            let apply_all = |v: &mut Valuation, steps: &[(Step, i64)], made: &mut Vec<CostEvent>, id: &mut u64| {
                for (s, back) in steps {
                    *id += 1;
                    let secs = secs(*id, *back);
                    if let Some(ev) = event(s, *id, secs, made) && v.apply(&ev).is_ok() && ev.id == *id {
                        made.push(ev);
                    }
                }
            };
            apply_all(&mut v, &history, &mut made, &mut id);
            let mut evs = Vec::new();
            for (s, back) in &batch {
                id += 1;
                let secs = secs(id, *back);
                if let Some(ev) = event(s, id, secs, &made) {
                    evs.push(ev);
                }
            }
            let before = v.clone();
            let inside_before = inside(&v);
            let got = v.check_all(&evs);
            let mut copy = before.clone();
            let want = evs.iter().try_for_each(|ev| copy.apply(ev).map(|_| ()));
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(inside(&v), inside_before);
            prop_assert_eq!(v.snapshot(), before.snapshot());
            // Both go on the same way.
            let mut other = before;
            let (mut made_v, mut made_o) = (made.clone(), made);
            let (mut id_v, mut id_o) = (id, id);
            apply_all(&mut v, &after, &mut made_v, &mut id_v);
            apply_all(&mut other, &after, &mut made_o, &mut id_o);
            prop_assert_eq!(made_v, made_o);
            prop_assert_eq!(inside(&v), inside(&other));
        }

        /// `apply_all_into` books every event as applying them in turn does, or, when
        /// one is refused, none: the engine and the caller's postings are then exactly
        /// as they were.
        #[test]
        fn a_batch_is_booked_whole_or_not_at_all(
            per_site in any::<bool>(),
            glue in prop_oneof![Just(Method::Fifo), Just(Method::MovingAverage), Just(Method::Standard)],
            history in prop::collection::vec((step(), back()), 1..200),
            batch in prop::collection::vec((step(), back()), 1..5),
        ) {
            let mut v = engine(per_site, glue);
            let mut made: Vec<CostEvent> = Vec::new();
            let mut id = 0;
            for (s, back) in &history {
                id += 1;
                if let Some(ev) = event(s, id, secs(id, *back), &made) && v.apply(&ev).is_ok() {
                    made.push(ev);
                }
            }
            let mut evs = Vec::new();
            for (s, back) in &batch {
                id += 1;
                if let Some(ev) = event(s, id, secs(id, *back), &made) {
                    evs.push(ev);
                }
            }
            let before = v.clone();
            let inside_before = inside(&v);
            let mut postings = Vec::new();
            let got = v.apply_all_into(&evs, &mut postings);
            let mut copy = before.clone();
            let mut want_postings = Vec::new();
            let mut want_done = Vec::new();
            let want = evs.iter().try_for_each(|ev| {
                copy.apply_into(ev, &mut want_postings).map(|o| want_done.push(o))
            });
            match (got, want) {
                (Ok(done), Ok(())) => {
                    prop_assert_eq!(done, want_done);
                    prop_assert_eq!(postings, want_postings);
                    prop_assert_eq!(inside(&v), inside(&copy));
                }
                (Err(g), Err(w)) => {
                    prop_assert_eq!(g, w);
                    prop_assert!(postings.is_empty());
                    prop_assert_eq!(inside(&v), inside_before);
                    prop_assert_eq!(v.snapshot(), before.snapshot());
                }
                (g, w) => prop_assert!(false, "batch {:?}, in turn {:?}", g, w),
            }
        }
    }
}
