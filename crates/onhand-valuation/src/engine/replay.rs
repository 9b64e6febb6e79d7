//! Back-dating: a movement earlier than later ones of the same pool is replayed into the
//! pool's history, and every later operation whose outcome changed gets correction
//! postings (and, for a transfer shipment, a corrected value in transit).

use std::collections::BTreeMap;

use onhand_master::{add_exact, sub_exact};
use rust_decimal::Decimal;

use super::{Out, Plan, Res, Step, Valuation, dec, tag_key};
use crate::error::ValuationError;
use crate::history::{Correction, Counter, What};
use crate::posting::{PostingKey, PostingKind};

impl Valuation {
    /// Adds a step, turning its corrections into posting lines (and transfer changes).
    #[allow(clippy::too_many_lines)] // one arm per kind of operation corrected
    pub(super) fn push_step(&self, out: &mut Out<'_>, plan: &mut Plan, step: Box<Step>) -> Res<()> {
        let (e, i, ps) = (step.entity, Some(step.item), step.site);
        let c = PostingKind::Correction;
        for Correction { event, what, old, new } in &step.corrections {
            let doc = format!("corrects event {event}");
            let doc = Some(doc.as_str());
            let d = |a: Decimal, b: Decimal| sub_exact(a, b).map_err(dec("a correction"));
            match what {
                What::Receive => {
                    out.pair(
                        e,
                        PostingKey::Inventory,
                        PostingKey::PriceVariance,
                        d(new.value, old.value)?,
                        c,
                        i,
                        ps,
                        doc,
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
                        out.pair(e, tag_key(tag), PostingKey::Inventory, delta, c, i, ps, doc);
                    }
                    out.pair(
                        e,
                        PostingKey::Inventory,
                        PostingKey::Rounding,
                        d(new.residue, old.residue)?,
                        c,
                        i,
                        ps,
                        doc,
                    );
                }
                What::Issue(counter) => {
                    let delta = d(new.value, old.value)?;
                    match counter {
                        Counter::Key(k) => {
                            out.pair(e, *k, PostingKey::Inventory, delta, c, i, ps, doc);
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
                            out.pair(
                                e,
                                PostingKey::InTransit,
                                PostingKey::Inventory,
                                delta,
                                c,
                                i,
                                ps,
                                doc,
                            );
                            plan.put_transfer(*t, tr);
                        }
                    }
                    out.pair(
                        e,
                        PostingKey::Rounding,
                        PostingKey::Inventory,
                        d(new.residue, old.residue)?,
                        c,
                        i,
                        ps,
                        doc,
                    );
                }
                What::AddCost(rest) => {
                    out.pair(
                        e,
                        PostingKey::Inventory,
                        *rest,
                        d(new.value, old.value)?,
                        c,
                        i,
                        ps,
                        doc,
                    );
                }
                What::SetStandard => {
                    out.pair(
                        e,
                        PostingKey::Inventory,
                        PostingKey::Revaluation,
                        d(new.value, old.value)?,
                        c,
                        i,
                        ps,
                        doc,
                    );
                }
            }
        }
        plan.step = Some(step);
        Ok(())
    }
}
