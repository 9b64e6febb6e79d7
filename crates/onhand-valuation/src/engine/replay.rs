//! Back-dating: a movement earlier than later ones of the same pool is replayed into the
//! pool's history, and every later operation whose outcome changed gets correction
//! postings (and, for a transfer shipment, a corrected value in transit).

use std::collections::BTreeMap;

use onhand_master::{add_exact, sub_exact};
use rust_decimal::Decimal;

use super::lines::At;
use super::{Out, Plan, Res, Seen, Step, Transfer, Valuation, convert, dec, tag_key};
use crate::error::ValuationError;
use crate::history::{Correction, Counter, What};
use crate::posting::{PostingKey, PostingKind};

impl Valuation {
    /// Adds a step, turning its corrections into posting lines (and transfer changes).
    #[allow(clippy::too_many_lines)] // one arm per kind of operation corrected
    pub(super) fn push_step(&self, out: &mut Out<'_>, plan: &mut Plan, step: Box<Step>) -> Res<()> {
        // The issues whose shortfall the new operation covers now left at their true-up.
        for (event, amount) in &step.out.covered {
            self.recost_covered(plan, (out.event, *event), *amount)?;
        }
        let corrections =
            At::movement(step.entity, step.item, step.site).kind(PostingKind::Correction);
        for Correction { event, what, old, new } in &step.corrections {
            let doc = format!("corrects event {event}");
            let at = corrections.doc(Some(doc.as_str()));
            let d = |a: Decimal, b: Decimal| sub_exact(a, b).map_err(dec("a correction"));
            match what {
                What::Receive => {
                    out.pair(
                        &at,
                        PostingKey::Inventory,
                        PostingKey::PriceVariance,
                        d(new.value, old.value)?,
                    );
                    // True-ups per issue account: what they are now less what was posted.
                    for (tag, delta) in changed(&new.trueups, &old.trueups)? {
                        out.pair(&at, tag_key(tag), PostingKey::Inventory, delta);
                    }
                    // And by the issue each true-up belongs to.
                    for (e, delta) in changed(&new.covered, &old.covered)? {
                        self.recost_covered(plan, (out.event, e), delta)?;
                    }
                    out.pair(
                        &at,
                        PostingKey::Inventory,
                        PostingKey::Rounding,
                        d(new.residue, old.residue)?,
                    );
                }
                What::Issue(counter) => {
                    let delta = d(new.value, old.value)?;
                    match counter {
                        Counter::Key(k) => {
                            // The issue's record keeps the value it now left with: a
                            // later return or reversal brings back that value.
                            if (!delta.is_zero() || new.profit != old.profit)
                                && let Some(k) = self.seen_of(*event).and_then(Seen::issue)
                            {
                                if self.returned.contains_key(event) {
                                    return Err(ValuationError::ReturnedIssueRecosted(*event));
                                }
                                let profit = d(new.profit, old.profit)?;
                                self.recost(plan, k, (delta, profit))?;
                            }
                            out.pair(&at, *k, PostingKey::Inventory, delta);
                        }
                        Counter::Transfer(t) => {
                            let base = self
                                .transfers
                                .get(*t as usize)
                                .cloned()
                                .or_else(|| plan.new_transfer.clone());
                            let Some(base) = base else { continue };
                            let mut tr = plan.transfer(*t, base);
                            if self.title_at_shipment(&tr) {
                                // The seller's cost of sales changes; the buyer carries
                                // the units at the price, so the profit embedded in them
                                // changes the other way, by the group cost's change at
                                // the shipment's rate. Once part of them arrived (or the
                                // transfer closed) that profit is in the buyer's pool or
                                // gone: refused.
                                if tr.closed || !tr.received.is_zero() || tr.rate.is_zero() {
                                    return Err(ValuationError::TransferRecosted(
                                        tr.number.clone(),
                                    ));
                                }
                                let group = d(delta, d(new.profit, old.profit)?)?;
                                let currency = self.ent(tr.buyer)?.currency;
                                let change = convert(group, tr.rate, currency)?;
                                tr.profit = d(tr.profit, change)?;
                                plan.period.push(((tr.seller, tr.buyer), Decimal::ZERO, -change));
                                out.pair(
                                    &at,
                                    PostingKey::CostOfSales,
                                    PostingKey::Inventory,
                                    delta,
                                );
                                plan.put_transfer(*t, tr);
                            } else {
                                if tr.closed || tr.received >= tr.shipped {
                                    return Err(ValuationError::TransferRecosted(
                                        tr.number.clone(),
                                    ));
                                }
                                tr.value =
                                    add_exact(tr.value, delta).map_err(dec("a correction"))?;
                                if tr.agreement.is_some() {
                                    tr.group_cost_left = add_exact(tr.group_cost_left, delta)
                                        .map_err(dec("a correction"))?;
                                }
                                out.pair(&at, PostingKey::InTransit, PostingKey::Inventory, delta);
                                plan.put_transfer(*t, tr);
                            }
                        }
                    }
                    out.pair(
                        &at,
                        PostingKey::Rounding,
                        PostingKey::Inventory,
                        d(new.residue, old.residue)?,
                    );
                }
                What::AddCost(rest) => {
                    out.pair(&at, PostingKey::Inventory, *rest, d(new.value, old.value)?);
                }
                What::SetStandard | What::ChangeMethod => {
                    out.pair(
                        &at,
                        PostingKey::Inventory,
                        PostingKey::Revaluation,
                        d(new.value, old.value)?,
                    );
                }
                What::Withdraw(key) => {
                    out.pair(&at, *key, PostingKey::Inventory, d(new.value, old.value)?);
                    out.pair(
                        &at,
                        PostingKey::Rounding,
                        PostingKey::Inventory,
                        d(new.residue, old.residue)?,
                    );
                }
            }
        }
        plan.step = Some(step);
        Ok(())
    }

    /// Adds `delta` to the value, and `profit` to the embedded intercompany profit,
    /// issue `k` (its entry in `sales`) left with, as of this plan.
    fn recost(&self, plan: &mut Plan, k: u32, (delta, profit): (Decimal, Decimal)) -> Res<()> {
        let add = |a, b| add_exact(a, b).map_err(dec("a re-costed issue"));
        if let Some((_, v, p)) = plan.recosted.iter_mut().find(|(x, _, _)| *x == k) {
            *v = add(*v, delta)?;
            *p = add(*p, profit)?;
        } else if let Some(s) = self.sales.get(k as usize) {
            let p = self.sale_profit.get(&k).copied().unwrap_or_default();
            plan.recosted.push((k, add(s.value, delta)?, add(p, profit)?));
        }
        Ok(())
    }

    /// A true-up of `delta` for the units issue `event` went out short with: the issue
    /// now left at that much more (the event being planned, `own`, when a back-dated
    /// issue's shortfall is covered by a later receipt). An issue already returned or
    /// reversed keeps its record (what came back stays at the cost it came back with;
    /// the true-up goes to the issue's account as for any shortfall).
    fn recost_covered(&self, plan: &mut Plan, (own, event): (u64, u64), delta: Decimal) -> Res<()> {
        if delta.is_zero() || self.returned.contains_key(&event) {
            return Ok(());
        }
        if event == own {
            if let Some((_, v, _)) = &mut plan.sale {
                *v = add_exact(*v, delta).map_err(dec("a re-costed issue"))?;
            }
            return Ok(());
        }
        // Units that went out short carried no intercompany profit.
        match self.seen_of(event).and_then(Seen::issue) {
            Some(k) => self.recost(plan, k, (delta, Decimal::ZERO)),
            None => Ok(()),
        }
    }
}

impl Valuation {
    /// Whether `tr` is an intercompany transfer whose title passed at shipment.
    fn title_at_shipment(&self, tr: &Transfer) -> bool {
        tr.agreement
            .and_then(|a| self.agreements.get(a))
            .is_some_and(|a| a.title == crate::config::TitlePoint::Shipment)
    }
}

/// Per key, what the `new` amounts sum to less what the `old` ones did (a key in either).
fn changed<K: Ord + Copy>(new: &[(K, Decimal)], old: &[(K, Decimal)]) -> Res<BTreeMap<K, Decimal>> {
    let mut by: BTreeMap<K, Decimal> = BTreeMap::new();
    for (k, amount) in new {
        let v = by.entry(*k).or_default();
        *v = add_exact(*v, *amount).map_err(dec("a correction"))?;
    }
    for (k, amount) in old {
        let v = by.entry(*k).or_default();
        *v = sub_exact(*v, *amount).map_err(dec("a correction"))?;
    }
    Ok(by)
}
