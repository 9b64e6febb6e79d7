//! Returns to supplier ([`CostBody::SupplierReturn`]): goods of one receipt going back,
//! at that receipt's cost, against the goods-received clearing account (GR/IR), so the
//! supplier's credit note clears it. The value is the receipt's value shared over what
//! is still returnable (the last unit back takes the last cent); the pool gives it up
//! by a withdrawal ([`State::plan_withdraw`](crate::pool::State)): FIFO out of the
//! receipt's own layer, wherever it is in the queue; moving average at the receipt's
//! cost, so the average of what stays is not disturbed; standard at standard, with the
//! difference to price variance, which also takes any landed cost the FIFO layer
//! carried. A back-dated return is replayed into the pool's history like any movement.

use super::{
    CostEvent, Out, Plan, PostingKey, Qty, ReceiptSeen, Request, Res, Seen, Valuation,
    ValuationError, add_exact, dec, share, sub_exact,
};
use crate::pool::Book;
use rust_decimal::Decimal;

impl Valuation {
    /// What of receipt `receipt` (its cost event id) can still go back to the supplier,
    /// in base units: what it brought in less earlier returns; `None` when `receipt` is
    /// not a receipt the books took.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_master::{seed, Catalog, Decimal};
    /// # use onhand_valuation::{CostBody, CostEvent, IssueTo, Valuation, ValuationConfig};
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let at = |h: u64| chrono::DateTime::from_timestamp(1_767_600_000 + 3600 * h as i64, 0).ok_or("time");
    /// # let receipt = |id: u64, qty: &str, cost: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Receipt {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         unit_cost: cost.parse()?, owner: None } })
    /// # };
    /// # let sale = |id: u64, qty: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Issue {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         to: IssueTo::Sale, owner: None } })
    /// # };
    /// # let mut v = Valuation::new(catalog.clone(), ValuationConfig::default())?;
    /// # let (na01, bolt) = ("NA01".parse::<onhand_master::EntityCode>()?, "BOLT-M8".parse::<onhand_master::ItemCode>()?);
    /// v.apply(&receipt(1, "100 EA", "0.10 USD")?)?;
    /// assert_eq!(v.returnable(1), Some("100".parse()?));
    /// v.apply(&sale(2, "30 EA")?)?;
    /// // Sales do not lower it (only returns to the supplier do).
    /// assert_eq!(v.returnable(1), Some("100".parse()?));
    /// assert_eq!(v.returnable(2), None, "a sale is not a receipt");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// A FIFO return takes from its receipt's own layer wherever it is in the queue:
    /// buy 10 @ 1.00 and 10 @ 1.30 (NA01 at Atlanta), return 4 of the second while
    /// the first is still held: 4 x 1.30 = 5.20 leave, the layers are 10 @ 10.00 and
    /// 6 @ 7.80.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_master::{seed, Catalog};
    /// use onhand_valuation::{CostBody, CostEvent, Valuation, ValuationConfig};
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let mut v = Valuation::new(catalog, ValuationConfig::default())?;
    /// let at = |s: i64| chrono::DateTime::from_timestamp(1_767_600_000 + s, 0).ok_or("a time");
    /// for (id, cost) in [(1, "1.00 USD"), (2, "1.30 USD")] {
    ///     v.apply(&CostEvent { id, at: at(i64::try_from(id)?)?, body: CostBody::Receipt {
    ///         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: "10 EA".parse()?,
    ///         unit_cost: cost.parse()?, owner: None } })?;
    /// }
    /// v.apply(&CostEvent { id: 3, at: at(60)?,
    ///     body: CostBody::SupplierReturn { receipt: 2, qty: "4 EA".parse()? } })?;
    /// assert_eq!(v.returnable(2), Some("6".parse()?));
    /// let pool = v.pool(&"NA01".parse()?, &"BOLT-M8".parse()?, None).ok_or("pool")?;
    /// let layers: Vec<String> =
    ///     pool.layers.iter().map(|l| format!("{} @ {}", l.qty, l.value)).collect();
    /// assert_eq!(layers, ["10 @ 10.00", "6 @ 7.80"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn returnable(&self, receipt: u64) -> Option<Decimal> {
        let seen = self.seen_of(receipt).filter(|s| s.kind == Seen::RECEIPT)?;
        let r = self.receipts.get(seen.idx as usize)?;
        let (rq, _) = self.returned.get(&receipt).copied().unwrap_or_default();
        r.qty.checked_sub(rq)
    }

    /// Plans the return of `qty` of receipt `receipt` to its supplier.
    pub(super) fn plan_supplier_return(
        &self,
        ev: &CostEvent,
        out: &mut Out<'_>,
        plan: &mut Plan,
        receipt: u64,
        qty: Qty,
    ) -> Res<()> {
        let &ReceiptSeen { slot, rcpt, qty: received } = self
            .seen_of(receipt)
            .filter(|s| s.kind == Seen::RECEIPT)
            .and_then(|s| self.receipts.get(s.idx as usize))
            .ok_or(ValuationError::UnknownReceipt(receipt))?;
        let sl = self.slots.get(slot as usize).ok_or(ValuationError::UnknownReceipt(receipt))?;
        if sl.dated_after(receipt, ev.at) {
            return Err(ValuationError::ReversalRefused {
                original: receipt,
                reason: "a return to supplier cannot be dated before its receipt",
            });
        }
        let (e, i, ps) = (sl.entity, sl.item, sl.site);
        let q = self.base(i, qty, "a supplier return quantity")?;
        let (rq, rv) = self.returned.get(&receipt).copied().unwrap_or_default();
        let left_q = sub_exact(received, rq).map_err(dec("a returnable quantity"))?;
        if q > left_q {
            return Err(ValuationError::ReturnExceedsReceipt {
                receipt,
                received,
                returned: rq,
                requested: q,
            });
        }
        let record = sl.pool.rcpt(rcpt).ok_or(ValuationError::UnknownReceipt(receipt))?;
        let total = sl.pool.scales.value_out(record.value);
        let left_v = sub_exact(total, rv).map_err(dec("a returnable value"))?;
        let value = share(left_v, q, left_q, self.ent(e)?.currency)?;
        let req = Request::Withdraw {
            origin: receipt,
            rcpt: Some(rcpt),
            qty: q,
            value,
            key: PostingKey::PriceVariance,
        };
        let step = self.plan_op(ev, e, i, ps, &req)?;
        Self::withdraw_lines(out, &step, PostingKey::GoodsReceived, value, ps);
        let now_q = add_exact(rq, q).map_err(dec("a returned quantity"))?;
        let now_v = add_exact(rv, value).map_err(dec("a returned value"))?;
        plan.returned = Some((receipt, now_q, now_v));
        plan.issued = Some((e, step.out.value));
        self.push_step(out, plan, step)
    }
}
