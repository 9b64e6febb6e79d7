//! Reversals ([`CostBody::Reversal`]): a posted receipt, opening balance, issue or
//! adjustment undone by a later event that names it, with the same accounts and the
//! same amounts the other way, or refused with a typed error when later movements make
//! an exact undo impossible. The rule, per costing method:
//!
//! - **An issue** (sale, scrap, adjustment loss) comes back into the pool at exactly the
//!   value it left with, against the account it went to, with the intercompany profit
//!   embedded in it. FIFO: the units come back as
//!   a new layer at that value (the layers they left are gone); moving average: the
//!   quantity and value return, so with no movement since the average is as before;
//!   standard: refused when the standard cost changed since (the units would come back
//!   at another value). Refused in every method when the pool is short (the units would
//!   cover the shortfall instead), and for a sale part of which a customer returned.
//! - **A receipt** (goods receipt, opening balance, gain) leaves the pool at exactly the
//!   value it came in with, against its own offset account. FIFO: its layer must be
//!   whole (nothing issued or returned from it, no landed cost on it), wherever it is
//!   in the queue;
//!   moving average: the pool must still hold the quantity and the value, so that what
//!   stays keeps its own cost; standard: the units leave at the standard in force and
//!   the receipt's price variance is reversed at it. Refused once any of it went back
//!   to the supplier.
//! - A reversal, a customer return and a transfer are not reversed this way; reversing
//!   an event twice is refused ([`ValuationError::AlreadyReversed`]).

use super::{
    At, CostEvent, Decimal, IssueTo, Method, Out, Plan, PostingKey, ReceiptSeen, Request, Res,
    SaleSeen, Seen, SiteIx, Step, Valuation, ValuationError, tag_key,
};
use crate::pool::Book;
use crate::posting::PostingKind;

impl Seen {
    /// An issue to scrap (kept with the sales, not returnable).
    pub(crate) const SCRAP: u8 = 3;
    /// An issue or adjustment loss to the adjustment account.
    pub(crate) const ISSUE_ADJUSTMENT: u8 = 4;
    /// An opening balance (kept with the receipts).
    pub(crate) const OPENING: u8 = 5;
    /// An adjustment gain (kept with the receipts).
    pub(crate) const GAIN: u8 = 6;
    /// A customer return (kept with the receipts).
    pub(crate) const CUSTOMER_RETURN: u8 = 7;
    /// A reversal.
    pub(crate) const REVERSAL: u8 = 8;

    /// The kind of an issue to `to`.
    pub(crate) fn issue_kind(to: IssueTo) -> u8 {
        match to {
            IssueTo::Sale => Seen::SALE,
            IssueTo::Scrap => Seen::SCRAP,
            IssueTo::Adjustment => Seen::ISSUE_ADJUSTMENT,
        }
    }

    /// Whether `kind` is kept with the receipts.
    pub(crate) fn is_receipt(kind: u8) -> bool {
        matches!(kind, Seen::RECEIPT | Seen::OPENING | Seen::GAIN | Seen::CUSTOMER_RETURN)
    }

    /// Whether `kind` is kept with the sales (every issue).
    pub(crate) fn is_issue(kind: u8) -> bool {
        matches!(kind, Seen::SALE | Seen::SCRAP | Seen::ISSUE_ADJUSTMENT)
    }
}

impl Valuation {
    /// Plans the reversal of `original` (see the module docs for the rule).
    pub(super) fn plan_reversal(
        &self,
        ev: &CostEvent,
        out: &mut Out<'_>,
        plan: &mut Plan,
        original: u64,
    ) -> Res<()> {
        let seen = self.seen_of(original).ok_or(ValuationError::UnknownOriginal(original))?;
        let (kind, idx) = (seen.kind, seen.idx as usize);
        let refused = |reason| ValuationError::ReversalRefused { original, reason };
        let done = self.returned.get(&original).copied();
        if Seen::is_issue(kind) {
            let &SaleSeen { slot, qty, value } =
                self.sales.get(idx).ok_or(ValuationError::UnknownOriginal(original))?;
            match done {
                Some((q, _)) if q >= qty => return Err(ValuationError::AlreadyReversed(original)),
                Some(_) => return Err(refused("part of it was returned already")),
                None => {}
            }
            let sl =
                self.slots.get(slot as usize).ok_or(ValuationError::UnknownOriginal(original))?;
            if sl.dated_after(original, ev.at) {
                return Err(refused("it is dated before the event it reverses"));
            }
            let (e, i, ps) = (sl.entity, sl.item, sl.site);
            let key = match kind {
                Seen::SALE => PostingKey::CostOfSales,
                Seen::SCRAP => PostingKey::WriteOff,
                _ => PostingKey::Adjustment,
            };
            // The units come back with the intercompany profit they left with.
            let profit = self.sale_profit.get(&seen.idx).copied().unwrap_or_default();
            let step = self.plan_op(ev, e, i, ps, &Request::Receive { qty, value, profit })?;
            if !step.out.trueups.is_empty() {
                return Err(refused("the pool is short; the units would cover the shortfall"));
            }
            if step.out.value != value {
                return Err(refused("the standard cost changed since"));
            }
            let at = At::movement(e, i, ps);
            out.line(&at, PostingKey::Inventory, value);
            out.line(&at, key, -value);
            out.pair(&at, PostingKey::Inventory, PostingKey::Rounding, step.out.residue);
            plan.returned = Some((original, qty, value));
            plan.kind = Some(Seen::REVERSAL);
            return self.push_step(out, plan, step);
        }
        if !Seen::is_receipt(kind) || kind == Seen::CUSTOMER_RETURN {
            return Err(not_reversible(original, kind));
        }
        let &ReceiptSeen { slot, rcpt, qty } =
            self.receipts.get(idx).ok_or(ValuationError::UnknownOriginal(original))?;
        match done {
            Some((q, _)) if q >= qty => return Err(ValuationError::AlreadyReversed(original)),
            Some(_) => return Err(refused("part of it went back to the supplier already")),
            None => {}
        }
        let sl = self.slots.get(slot as usize).ok_or(ValuationError::UnknownOriginal(original))?;
        if sl.dated_after(original, ev.at) {
            return Err(refused("it is dated before the event it reverses"));
        }
        let (e, i, ps) = (sl.entity, sl.item, sl.site);
        let record = sl.pool.rcpt(rcpt).ok_or_else(|| refused("its record was closed away"))?;
        let value = sl.pool.scales.value_out(record.value);
        let offset = match kind {
            Seen::RECEIPT => PostingKey::GoodsReceived,
            Seen::OPENING => PostingKey::OpeningBalance,
            _ => PostingKey::Adjustment,
        };
        let req = Request::Withdraw {
            origin: original,
            rcpt: Some(rcpt),
            qty,
            value,
            key: PostingKey::PriceVariance,
        };
        let step = self.plan_op(ev, e, i, ps, &req).map_err(|err| match err {
            ValuationError::Insufficient { .. } => refused("part of its stock left since"),
            other => other,
        })?;
        if sl.pool.state.method != Method::Standard && step.out.value != value {
            return Err(refused("later movements took part of its value"));
        }
        Self::withdraw_lines(out, &step, offset, value, ps);
        plan.returned = Some((original, qty, value));
        plan.kind = Some(Seen::REVERSAL);
        plan.issued = Some((e, step.out.value));
        self.push_step(out, plan, step)
    }

    /// Lines of a withdrawal worth `value` at the receipt's cost: the offset account
    /// gets `value`, inventory gives what left it, price variance takes the difference.
    pub(super) fn withdraw_lines(
        out: &mut Out<'_>,
        step: &Step,
        offset: PostingKey,
        value: Decimal,
        site: Option<SiteIx>,
    ) {
        let at = At::movement(step.entity, step.item, site);
        out.line(&at, offset, value);
        out.line(&at, PostingKey::Inventory, -step.out.value);
        out.line(&at, PostingKey::PriceVariance, step.out.value - value);
        let true_up = at.kind(PostingKind::TrueUp);
        for (tag, amount) in &step.out.trueups {
            out.pair(&true_up, tag_key(*tag), PostingKey::Inventory, *amount);
        }
        out.pair(&at, PostingKey::Rounding, PostingKey::Inventory, step.out.residue);
    }
}

/// Why event `original`, of Seen kind `kind`, cannot be reversed.
fn not_reversible(original: u64, kind: u8) -> ValuationError {
    let what = match kind {
        Seen::REVERSAL => "reversal",
        Seen::CUSTOMER_RETURN => "customer return",
        _ => "movement other than a receipt, issue or adjustment",
    };
    ValuationError::NotReversible { original, kind: what }
}
