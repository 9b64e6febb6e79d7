//! Approvals: holding an event for the roles it needs (status moves, thresholds per
//! line, event and document), and releasing or rejecting it.

use onhand_master::{Role, SiteCode};
use rust_decimal::Decimal;
use smallvec::SmallVec;

use super::{Accepted, Applied, Ledger, PendingEvent, Plan};
use crate::error::LedgerError;
use crate::event::{Body, Event, EventId};
use crate::rules::{DocumentLimit, Segregation};

/// The sites an event acts on (for checking an approver's scope).
pub(crate) fn sites_of(event: &Event, ledger: &Ledger) -> Vec<SiteCode> {
    if let Some(m) = event.body.movement() {
        return vec![m.site.clone()];
    }
    match &event.body {
        Body::CycleCount(c) => vec![c.site.clone()],
        Body::TransferClose => ledger
            .transfers
            .get(&event.reference.number)
            .and_then(|o| ledger.catalog.site(o.to))
            .map(|s| vec![s.code.clone()])
            .unwrap_or_default(),
        Body::TransferRequest(r) => vec![r.to.clone()],
        // A reversal changes back the positions its original changed, at its site.
        Body::Reversal { event: original } => ledger
            .posted
            .get(original)
            .and_then(|p| ledger.catalog.site(p.site))
            .map(|s| vec![s.code.clone()])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

impl Ledger {
    /// Holds `submitted` for the approval of `needs`.
    pub(crate) fn hold(&mut self, submitted: &Event, needs: Vec<Role>) -> Applied {
        debug_assert!(
            self.may_hold(submitted.kind()),
            "may_hold says {} is never held",
            submitted.kind()
        );
        self.seq += 1;
        self.pending.insert(
            submitted.id,
            PendingEvent { event: submitted.clone(), needs: needs.clone(), approvals: Vec::new() },
        );
        Applied::Pending { seq: self.seq, needs }
    }

    /// Roles a threshold asks for: always someone other than the poster.
    pub(crate) fn threshold_needs(&self, event: &Event, plan: &Plan) -> Vec<Role> {
        let kind = event.kind();
        let mut out = Vec::new();
        for t in &self.rules.thresholds {
            if t.kind != kind || t.reason.as_ref().is_some_and(|r| *r != event.reason) {
                continue;
            }
            let over_qty = t.max_qty.is_some_and(|m| plan.max_line > m)
                || t.max_event_qty.is_some_and(|m| plan.total > m);
            let over_value = t.max_value.is_some_and(|m| plan.value > m);
            let over_document = t.document.as_ref().is_some_and(|limit| {
                let (qty, value) = self.document_total(event, limit, plan);
                limit.max_qty.is_some_and(|m| qty > m) || limit.max_value.is_some_and(|m| value > m)
            });
            if (over_qty || over_value || over_document) && !out.contains(&t.approver) {
                out.push(t.approver);
            }
        }
        out
    }

    /// What the applied events of `event`'s kind on its document, effective within the
    /// limit's window of it, measured together with `plan`'s (quantity, value;
    /// saturating), in O(log n) in the document's entries.
    pub(crate) fn document_total(
        &self,
        event: &Event,
        limit: &DocumentLimit,
        plan: &Plan,
    ) -> (Decimal, Decimal) {
        let window = i64::from(limit.window_hours).saturating_mul(3_600_000_000);
        let (from, to) = (plan.at.saturating_sub(window), plan.at.saturating_add(window));
        let (qty, value) = self
            .documents
            .get(&(event.kind(), event.reference.clone()))
            .map_or((Decimal::ZERO, Decimal::ZERO), |d| d.between(from, to));
        (
            plan.total.checked_add(qty).unwrap_or(Decimal::MAX),
            plan.value.checked_add(value).unwrap_or(Decimal::MAX),
        )
    }

    pub(crate) fn approve(
        &mut self,
        event: &Event,
        target: EventId,
        veto: Option<&mut super::Veto<'_>>,
    ) -> Result<Applied, LedgerError> {
        let pending =
            self.pending.get(&target).ok_or(LedgerError::NoSuchPending { event: target })?;
        let approver = &event.actor.id;
        if pending.event.actor.id.same_as(approver) {
            return Err(LedgerError::SelfApproval { actor: approver.clone(), event: target });
        }
        let mut granted_now: Vec<Role> =
            pending.needs.iter().copied().filter(|r| event.actor.has(*r)).collect();
        if granted_now.is_empty() {
            return Err(LedgerError::ApproverLacksRole {
                actor: event.actor.id.clone(),
                event: target,
                needed: pending.needs.clone(),
            });
        }
        if self.rules.segregation == Segregation::DistinctApprovers {
            if pending.approvals.iter().any(|(who, _)| who.same_as(approver)) {
                return Err(LedgerError::AlreadyApproved {
                    actor: approver.clone(),
                    event: target,
                });
            }
            // One approval, one role: the next role needs another person.
            granted_now.truncate(1);
        }
        self.check_decider_scope(event, &pending.event)?;
        let remaining: Vec<Role> =
            pending.needs.iter().copied().filter(|r| !granted_now.contains(r)).collect();
        if remaining.is_empty() {
            // The poster's roles and sites as the rules say now (at its recorded time).
            let original = self.resolve(&pending.event)?.into_owned();
            // Held before times were checked (a snapshot taken then): never applied so.
            super::check_times(&original)?;
            match &original.body {
                Body::ClosePeriod { through, entity } => {
                    let entity = self.entity(entity.as_ref())?;
                    self.check_close(&original, *through, entity)?;
                    self.pending.remove(&target);
                    return Ok(self.close_period(*through, entity));
                }
                Body::ReopenPeriod { to, entity } => {
                    let entity = self.entity(entity.as_ref())?;
                    self.check_reopen(&original, *to, entity)?;
                    self.pending.remove(&target);
                    return Ok(self.reopen_period(*to, entity));
                }
                _ => {}
            }
            self.check_period(original.effective_at)?;
            let mut plan = self.plan_for(&original);
            self.plan(&original, &Role::ALL, &mut plan)?;
            self.vet(veto, target, &plan)?;
            let applied = self.commit(&mut plan);
            if applied.is_ok() {
                self.pending.remove(&target);
            }
            return applied;
        }
        if let Some(p) = self.pending.get_mut(&target) {
            p.needs.clone_from(&remaining);
            p.approvals.push((event.actor.id.clone(), granted_now));
        }
        self.seq += 1;
        Ok(Applied::Pending { seq: self.seq, needs: remaining })
    }

    /// Whether `event`'s actor may decide on the held `pending`: its sites, and for a
    /// close or reopen its entity, are within the actor's scope.
    fn check_decider_scope(&self, event: &Event, pending: &Event) -> Result<(), LedgerError> {
        for site in sites_of(pending, self) {
            Self::check_scope(event, &site)?;
        }
        match &pending.body {
            Body::ClosePeriod { entity, .. } | Body::ReopenPeriod { entity, .. } => {
                let entity = self.entity(entity.as_ref())?;
                self.check_close_scope(event, entity)?;
            }
            _ => {}
        }
        Ok(())
    }

    pub(crate) fn reject(
        &mut self,
        event: &Event,
        target: EventId,
    ) -> Result<Applied, LedgerError> {
        let pending =
            self.pending.get(&target).ok_or(LedgerError::NoSuchPending { event: target })?;
        let own = pending.event.actor.id.same_as(&event.actor.id);
        if !own {
            if !pending.needs.iter().any(|r| event.actor.has(*r)) {
                return Err(LedgerError::ApproverLacksRole {
                    actor: event.actor.id.clone(),
                    event: target,
                    needed: pending.needs.clone(),
                });
            }
            // Who may not approve it may not drop it either.
            self.check_decider_scope(event, &pending.event)?;
        }
        self.pending.remove(&target);
        self.seq += 1;
        Ok(Applied::Accepted(Accepted {
            seq: self.seq,
            deltas: SmallVec::new(),
            signals: Vec::new(),
        }))
    }
}
