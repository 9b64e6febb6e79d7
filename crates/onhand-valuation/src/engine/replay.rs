//! Back-dating: a movement earlier than later ones of the same pool is replayed into the
//! pool's history, and every later operation whose outcome changed gets correction
//! postings (and, for a transfer shipment, a corrected value in transit).

use std::collections::BTreeMap;

use onhand_master::{add_exact, sub_exact};
use rust_decimal::Decimal;

use super::lines::At;
use super::{Out, Plan, Res, Seen, Step, Valuation, dec, tag_key};
use crate::error::ValuationError;
use crate::history::{Correction, Counter, What};
use crate::posting::{PostingKey, PostingKind};

impl Valuation {
    /// Adds a step, turning its corrections into posting lines (and transfer changes).
    #[allow(clippy::too_many_lines)] // one arm per kind of operation corrected
    pub(super) fn push_step(&self, out: &mut Out<'_>, plan: &mut Plan, step: Box<Step>) -> Res<()> {
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
                    let mut by_key: BTreeMap<u8, Decimal> = BTreeMap::new();
                    for (tag, amount) in &new.trueups {
                        let v = by_key.entry(*tag).or_default();
                        *v = add_exact(*v, *amount).map_err(dec("a correction"))?;
                    }
                    for (tag, amount) in &old.trueups {
                        let v = by_key.entry(*tag).or_default();
                        *v = sub_exact(*v, *amount).map_err(dec("a correction"))?;
                    }
                    for (tag, delta) in by_key {
                        out.pair(&at, tag_key(tag), PostingKey::Inventory, delta);
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
                            if !delta.is_zero()
                                && let Some(k) = self.seen_of(*event).and_then(Seen::issue)
                            {
                                if self.returned.contains_key(event) {
                                    return Err(ValuationError::ReturnedIssueRecosted(*event));
                                }
                                plan.recosted.push((k, new.value));
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
                            if tr.closed || tr.received >= tr.shipped {
                                return Err(ValuationError::TransferRecosted(tr.number.clone()));
                            }
                            tr.value = add_exact(tr.value, delta).map_err(dec("a correction"))?;
                            if tr.agreement.is_some() {
                                tr.group_cost_left = add_exact(tr.group_cost_left, delta)
                                    .map_err(dec("a correction"))?;
                            }
                            out.pair(&at, PostingKey::InTransit, PostingKey::Inventory, delta);
                            plan.put_transfer(*t, tr);
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
}
