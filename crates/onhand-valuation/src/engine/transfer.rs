//! Transfers between sites: within one entity at cost, across entities under an
//! agreement (a price, intercompany documents and open items, title passing at shipment
//! or at receipt).

use onhand_master::{
    EntityCode, ItemCode, ItemIx, Money, Qty, Rounding, RoundingMode, SiteCode, add_exact,
    mul_div_round, mul_exact, sub_exact,
};
use rust_decimal::Decimal;

use super::lines::At;
use super::{Out, Plan, Res, Transfer, Valuation, convert, dec, money, rate_of, share};
use crate::code::TransferNo;
use crate::config::{Agreement, PriceRule, TitlePoint};
use crate::error::ValuationError;
use crate::event::{CostEvent, Rate};
use crate::history::{Counter, Request};
use crate::intercompany::{IcDocKind, IcDocument, OpenItem};
use crate::posting::PostingKey;

impl Valuation {
    pub(super) fn open_transfer(&self, number: &TransferNo) -> Res<(u32, Transfer)> {
        let t = *self
            .transfer_ix
            .get(number)
            .ok_or_else(|| ValuationError::UnknownTransfer(number.clone()))?;
        let tr = self
            .transfers
            .get(t as usize)
            .ok_or_else(|| ValuationError::UnknownTransfer(number.clone()))?;
        if tr.closed {
            return Err(ValuationError::TransferClosed(number.clone()));
        }
        Ok((t, tr.clone()))
    }

    /// The price of a cross-entity transfer in the agreement's currency.
    pub(super) fn price(
        &self,
        a: &Agreement,
        s: u16,
        item: ItemIx,
        q: Decimal,
        cost: Decimal,
        rates: &[Rate],
    ) -> Res<Decimal> {
        let k = a.currency;
        let seller = self.ent(s)?;
        match &a.price {
            PriceRule::AtCost => convert(cost, rate_of(rates, seller.currency, k)?, k),
            PriceRule::CostPlus { markup } => {
                let factor = add_exact(Decimal::ONE, *markup).map_err(dec("a markup"))?;
                let marked = mul_exact(cost, factor).map_err(dec("a transfer price"))?;
                convert(marked, rate_of(rates, seller.currency, k)?, k)
            }
            PriceRule::CostPlusMargin { margin } => {
                // cost x rate / (1 - margin), rounded once.
                let keep = sub_exact(Decimal::ONE, *margin).map_err(dec("a margin"))?;
                let rule = Rounding::new(k.minor_units(), RoundingMode::HalfUp)
                    .map_err(dec("a rounding rule"))?;
                mul_div_round(cost, rate_of(rates, seller.currency, k)?, keep, rule)
                    .map_err(dec("a transfer price"))
            }
            PriceRule::PriceList { prices } => {
                let code = self
                    .catalog
                    .item(item)
                    .map(|x| x.code.clone())
                    .ok_or(ValuationError::Overflow("an item handle"))?;
                let price = prices.get(&code).ok_or_else(|| ValuationError::NoPrice {
                    seller: a.seller.clone(),
                    buyer: a.buyer.clone(),
                    item: code.clone(),
                })?;
                convert(mul_exact(*price, q).map_err(dec("a transfer price"))?, Decimal::ONE, k)
            }
        }
    }

    #[allow(clippy::too_many_arguments, clippy::too_many_lines)] // one transfer's facts and books
    pub(super) fn plan_ship(
        &self,
        ev: &CostEvent,
        out: &mut Out<'_>,
        plan: &mut Plan,
        number: &TransferNo,
        (from, to): (&SiteCode, &SiteCode),
        item: &ItemCode,
        qty: Qty,
        rates: &[Rate],
    ) -> Res<()> {
        if self.transfer_ix.contains_key(number) {
            return Err(ValuationError::TransferExists(number.clone()));
        }
        let ix = self.item(item)?;
        let sf = self.site(from)?;
        let st = self.site(to)?;
        let seller = self.owner_of(sf, from, None)?;
        let buyer = self.owner_of(st, to, None)?;
        let units = self.base(ix, qty, "a transfer quantity")?;
        let tx = u32::try_from(self.transfers.len())
            .map_err(|_| ValuationError::Overflow("the transfer count"))?;
        let mut tr = Transfer {
            number: number.clone(),
            item: ix,
            to: st,
            seller,
            buyer,
            owner: seller,
            agreement: None,
            shipped: units,
            received: Decimal::ZERO,
            value: Decimal::ZERO,
            profit: Decimal::ZERO,
            price_left: Decimal::ZERO,
            group_cost_left: Decimal::ZERO,
            rate: Decimal::ZERO,
            invoices: 0,
            shipped_at: ev.at,
            closed: false,
        };
        let doc = Some(number.as_str());
        if seller == buyer {
            plan.new_transfer = Some(tr.clone());
            // A transfer ships only what the books hold: valuing a shortfall at the last cost
            // would carry a guess into another pool (and, across entities, into a price).
            let kind =
                Request::Issue { qty: units, negative: false, counter: Counter::Transfer(tx) };
            let step = self.plan_op(ev, seller, ix, self.pool_site(seller, sf)?, &kind)?;
            Self::issue_lines(out, &step, PostingKey::InTransit, sf, doc);
            plan.issued = Some((seller, step.out.value));
            tr.value = step.out.value;
            tr.profit = step.out.profit;
            self.push_step(out, plan, step)?;
            if let Some(updated) = plan.updated.remove(&tx) {
                tr.value = updated.value;
            }
            plan.new_transfer = Some(tr);
            return Ok(());
        }
        let Some(a_ix) = self.agreement_ix.get(&(seller, buyer)).copied() else {
            return Err(ValuationError::NoAgreement {
                seller: self.ent(seller)?.code.clone(),
                buyer: self.ent(buyer)?.code.clone(),
            });
        };
        let a = self.agreements.get(a_ix).ok_or(ValuationError::Overflow("an agreement handle"))?;
        tr.agreement = Some(a_ix);
        let (sc, bc, k) = (self.ent(seller)?.currency, self.ent(buyer)?.currency, a.currency);
        // Title at shipment posts the cost to cost of sales, but a correction of it must
        // still find the transfer (the profit embedded in what the buyer carries).
        plan.new_transfer = Some(tr.clone());
        let kind = Request::Issue { qty: units, negative: false, counter: Counter::Transfer(tx) };
        let step = self.plan_op(ev, seller, ix, self.pool_site(seller, sf)?, &kind)?;
        let cost = step.out.value;
        plan.issued = Some((seller, cost));
        let group_cost = sub_exact(cost, step.out.profit).map_err(dec("a group cost"))?;
        let price = self.price(a, seller, ix, units, cost, rates)?;
        let item_code = self
            .catalog
            .item(ix)
            .map(|x| x.code.clone())
            .ok_or(ValuationError::Overflow("an item handle"))?;
        let (seller_code, buyer_code) =
            (self.ent(seller)?.code.clone(), self.ent(buyer)?.code.clone());
        let docs =
            |kind: IcDocKind, prefix: &str, entity: &EntityCode, counterparty: &EntityCode| {
                IcDocument {
                    kind,
                    number: format!("{prefix}-{number}"),
                    entity: entity.clone(),
                    counterparty: counterparty.clone(),
                    reference: number.clone(),
                    item: item_code.clone(),
                    qty: units,
                    amount: money(price, k),
                    at: ev.at,
                }
            };
        plan.documents.push(docs(IcDocKind::SalesOrder, "ICSO", &seller_code, &buyer_code));
        plan.documents.push(docs(IcDocKind::PurchaseOrder, "ICPO", &buyer_code, &seller_code));
        plan.documents.push(docs(IcDocKind::Shipment, "SHP", &seller_code, &buyer_code));
        match a.title {
            TitlePoint::Shipment => {
                Self::issue_lines(out, &step, PostingKey::CostOfSales, sf, doc);
                let invoice = format!("INV-{number}-1");
                let (rs, rb) = (rate_of(rates, k, sc)?, rate_of(rates, k, bc)?);
                let (amount_s, amount_b) = (convert(price, rs, sc)?, convert(price, rb, bc)?);
                let rate = rate_of(rates, sc, bc)?;
                let cost_b = convert(group_cost, rate, bc)?;
                let embedded =
                    sub_exact(amount_b, cost_b).map_err(dec("an intercompany profit"))?;
                let inv = Some(invoice.as_str());
                let seller_lines = At::movement(seller, ix, Some(sf)).doc(inv);
                let buyer_lines = At::movement(buyer, ix, None).doc(inv);
                out.pair(&seller_lines, PostingKey::IcReceivable, PostingKey::IcRevenue, amount_s);
                out.pair(&buyer_lines, PostingKey::InTransit, PostingKey::IcPayable, amount_b);
                let mut inv = docs(IcDocKind::Invoice, "INV", &seller_code, &buyer_code);
                inv.number.clone_from(&invoice);
                plan.documents.push(inv);
                let item = |rate: Decimal, functional: Money| OpenItem {
                    seller: seller_code.clone(),
                    buyer: buyer_code.clone(),
                    document: invoice.clone(),
                    transfer: number.clone(),
                    qty: units,
                    amount: money(price, k),
                    rate,
                    invoice_rate: rb,
                    functional,
                };
                plan.receivables.push(item(rs, money(amount_s, sc)));
                plan.payables.push(item(rb, money(amount_b, bc)));
                plan.period.push(((seller, buyer), amount_s, embedded));
                tr.owner = buyer;
                tr.value = amount_b;
                tr.profit = embedded;
                tr.rate = rate;
                tr.invoices = 1;
            }
            TitlePoint::Receipt => {
                Self::issue_lines(out, &step, PostingKey::InTransit, sf, doc);
                tr.value = cost;
                tr.price_left = price;
                tr.group_cost_left = group_cost;
            }
        }
        self.push_step(out, plan, step)?;
        if let Some(updated) = plan.updated.remove(&tx) {
            tr.value = updated.value;
            tr.group_cost_left = updated.group_cost_left;
        }
        plan.new_transfer = Some(tr);
        Ok(())
    }

    #[allow(clippy::too_many_lines)] // both title points, both entities' books
    pub(super) fn plan_transfer_receipt(
        &self,
        ev: &CostEvent,
        out: &mut Out<'_>,
        plan: &mut Plan,
        number: &TransferNo,
        qty: Qty,
        rates: &[Rate],
    ) -> Res<()> {
        let (tx, tr) = self.open_transfer(number)?;
        let mut tr = plan.transfer(tx, tr);
        if ev.at < tr.shipped_at {
            return Err(ValuationError::BeforeShipment {
                transfer: number.clone(),
                shipped_at: tr.shipped_at,
            });
        }
        let got = self.base(tr.item, qty, "a transfer receipt quantity")?;
        let remaining = sub_exact(tr.shipped, tr.received).map_err(dec("a transfer balance"))?;
        if got > remaining {
            return Err(ValuationError::OverReceipt { transfer: number.clone(), remaining });
        }
        let (seller, buyer, ix, st) = (tr.seller, tr.buyer, tr.item, tr.to);
        let ps = self.pool_site(buyer, st)?;
        let doc = Some(number.as_str());
        let agreement = tr.agreement.and_then(|a| self.agreements.get(a));
        match agreement {
            Some(a) if a.title == TitlePoint::Receipt => {
                let (sc, bc, k) =
                    (self.ent(seller)?.currency, self.ent(buyer)?.currency, a.currency);
                let cost = share(tr.value, got, remaining, sc)?;
                let price = share(tr.price_left, got, remaining, k)?;
                let group_cost = share(tr.group_cost_left, got, remaining, sc)?;
                let (rs, rb) = (rate_of(rates, k, sc)?, rate_of(rates, k, bc)?);
                let (amount_s, amount_b) = (convert(price, rs, sc)?, convert(price, rb, bc)?);
                let cost_b = convert(group_cost, rate_of(rates, sc, bc)?, bc)?;
                let embedded =
                    sub_exact(amount_b, cost_b).map_err(dec("an intercompany profit"))?;
                // A count restored from a snapshot may be anything a `u32` holds.
                let next = tr
                    .invoices
                    .checked_add(1)
                    .ok_or(ValuationError::Overflow("an invoice count"))?;
                let invoice = format!("INV-{number}-{next}");
                let inv = Some(invoice.as_str());
                let seller_lines = At::movement(seller, ix, None);
                out.pair(
                    &seller_lines.doc(doc),
                    PostingKey::CostOfSales,
                    PostingKey::InTransit,
                    cost,
                );
                out.pair(
                    &seller_lines.doc(inv),
                    PostingKey::IcReceivable,
                    PostingKey::IcRevenue,
                    amount_s,
                );
                let step = self.plan_op(
                    ev,
                    buyer,
                    ix,
                    ps,
                    &Request::Receive { qty: got, value: amount_b, profit: embedded },
                )?;
                Self::receive_lines(out, &step, PostingKey::IcPayable, amount_b, st, inv);
                let (seller_code, buyer_code) =
                    (self.ent(seller)?.code.clone(), self.ent(buyer)?.code.clone());
                let item_code = self
                    .catalog
                    .item(ix)
                    .map(|x| x.code.clone())
                    .ok_or(ValuationError::Overflow("an item handle"))?;
                plan.documents.push(IcDocument {
                    kind: IcDocKind::Invoice,
                    number: invoice.clone(),
                    entity: seller_code.clone(),
                    counterparty: buyer_code.clone(),
                    reference: number.clone(),
                    item: item_code,
                    qty: got,
                    amount: money(price, k),
                    at: ev.at,
                });
                let item = |rate: Decimal, functional: Money| OpenItem {
                    seller: seller_code.clone(),
                    buyer: buyer_code.clone(),
                    document: invoice.clone(),
                    transfer: number.clone(),
                    qty: got,
                    amount: money(price, k),
                    rate,
                    invoice_rate: rb,
                    functional,
                };
                plan.receivables.push(item(rs, money(amount_s, sc)));
                plan.payables.push(item(rb, money(amount_b, bc)));
                plan.period.push(((seller, buyer), amount_s, embedded));
                tr.value = sub_exact(tr.value, cost).map_err(dec("a transfer balance"))?;
                tr.price_left =
                    sub_exact(tr.price_left, price).map_err(dec("a transfer balance"))?;
                tr.group_cost_left =
                    sub_exact(tr.group_cost_left, group_cost).map_err(dec("a transfer balance"))?;
                tr.invoices = next;
                plan.receipt = Some(got);
                plan.put_transfer(tx, tr.clone());
                self.push_step(out, plan, step)?;
            }
            _ => {
                let owner = tr.owner;
                let currency = self.ent(owner)?.currency;
                let value = share(tr.value, got, remaining, currency)?;
                let profit = share(tr.profit, got, remaining, currency)?;
                let step = self.plan_op(
                    ev,
                    owner,
                    ix,
                    self.pool_site(owner, st)?,
                    &Request::Receive { qty: got, value, profit },
                )?;
                Self::receive_lines(out, &step, PostingKey::InTransit, value, st, doc);
                tr.value = sub_exact(tr.value, value).map_err(dec("a transfer balance"))?;
                tr.profit = sub_exact(tr.profit, profit).map_err(dec("a transfer balance"))?;
                plan.receipt = Some(got);
                plan.put_transfer(tx, tr.clone());
                self.push_step(out, plan, step)?;
            }
        }
        if let Some(mut tr) = plan.updated.remove(&tx) {
            tr.received = add_exact(tr.received, got).map_err(dec("a transfer balance"))?;
            plan.put_transfer(tx, tr);
        }
        Ok(())
    }
}
