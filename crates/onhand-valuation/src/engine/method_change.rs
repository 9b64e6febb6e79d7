//! Changing a live item's costing method ([`CostBody::MethodChange`]): the pool's
//! method changes from the event on, with the revaluation the change implies (only a
//! change to standard revalues; see [`State::plan_change_method`](crate::pool::State)
//! for what happens to the layers). The change is an operation of the pool's history,
//! so a movement back-dated before it is valued by the old method and everything after
//! is replayed under the new one, with corrections.

use onhand_master::{EntityCode, ItemCode, ItemIx, Money, SiteCode, SiteIx};

use super::{
    At, CostEvent, Decimal, Method, Out, Plan, PostingKey, Request, Res, Valuation, ValuationError,
};

impl Valuation {
    /// The method pool `(e, i, ps)` values by: its own (a change may have set it), or
    /// the configuration's for a pool not yet opened.
    pub(super) fn pool_method(&self, e: u16, i: ItemIx, ps: Option<SiteIx>) -> Res<Method> {
        match self.slot_of(e, i, ps).and_then(|s| self.slots.get(s as usize)) {
            Some(sl) => Ok(sl.pool.state.method),
            None => self.method_of(e, i),
        }
    }

    /// The pool site an event naming `entity` and optionally `site` means: the site
    /// for an entity valued per site (required), none otherwise (a named site must
    /// exist).
    pub(super) fn named_pool_site(
        &self,
        e: u16,
        entity: &EntityCode,
        site: Option<&SiteCode>,
    ) -> Res<Option<SiteIx>> {
        let per_site = self.ent(e)?.per_site;
        match site {
            Some(code) if per_site => Ok(Some(self.site(code)?)),
            Some(code) => self.site(code).map(|_| None),
            None if per_site => Err(ValuationError::SiteRequired(entity.clone())),
            None => Ok(None),
        }
    }

    /// Plans a change of `(entity, item, site)`'s pool to `method`.
    pub(super) fn plan_method_change(
        &self,
        ev: &CostEvent,
        out: &mut Out<'_>,
        plan: &mut Plan,
        (entity, item, site): (&EntityCode, &ItemCode, Option<&SiteCode>),
        method: Method,
        standard: Option<Money>,
    ) -> Res<()> {
        let e = self.entity(entity)?;
        let i = self.item(item)?;
        let ps = self.named_pool_site(e, entity, site)?;
        let refuse = |reason| ValuationError::MethodChange {
            entity: entity.clone(),
            item: item.clone(),
            reason,
        };
        if self.pool_method(e, i, ps)? == method {
            return Err(refuse("it is the method in force"));
        }
        let cost = match (method, standard) {
            (Method::Standard, Some(c)) => {
                self.check_currency(e, c)?;
                if c.amount() < Decimal::ZERO {
                    return Err(ValuationError::NotPositive {
                        what: "a standard cost",
                        value: c.amount(),
                    });
                }
                c.amount()
            }
            (Method::Standard, None) => {
                return Err(refuse("a change to standard needs the standard cost"));
            }
            (_, Some(_)) => return Err(refuse("only a change to standard takes a standard cost")),
            (_, None) => Decimal::ZERO,
        };
        let step = self.plan_op(ev, e, i, ps, &Request::ChangeMethod { method, cost })?;
        out.pair(
            &At::movement(e, i, ps),
            PostingKey::Inventory,
            PostingKey::Revaluation,
            step.out.value,
        );
        self.push_step(out, plan, step)
    }
}
