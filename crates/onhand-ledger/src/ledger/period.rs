//! Period close and reopen: who may close or reopen the network's or an entity's period,
//! how far, and what a closed period refuses.

use chrono::{DateTime, Utc};
use onhand_master::EntityIx;
use smallvec::SmallVec;

use super::{Accepted, Applied, Ledger, Plan};
use crate::error::LedgerError;
use crate::event::{Event, SiteScope};
use crate::position::{from_micros, micros};
use crate::rules::CloseScope;

impl Ledger {
    pub(crate) fn check_period(&self, at: DateTime<Utc>) -> Result<(), LedgerError> {
        match self.closed_through {
            Some(closed) if at < closed => {
                Err(LedgerError::PeriodClosed { effective_at: at, closed_through: closed })
            }
            _ => Ok(()),
        }
    }

    /// The handle of the entity a close or reopen names (`None`: the network's).
    pub(crate) fn entity(
        &self,
        code: Option<&onhand_master::EntityCode>,
    ) -> Result<Option<EntityIx>, LedgerError> {
        code.map(|c| {
            self.catalog
                .entity_ix(c)
                .ok_or_else(|| LedgerError::UnknownEntity { entity: c.clone() })
        })
        .transpose()
    }

    /// Whether `event`'s actor has the authority the rules'
    /// [`CloseScope`] asks of a close or reopen (and of their
    /// approvers): every site, or for an entity's period under `CloseScope::Entity`,
    /// every site of the entity.
    pub(crate) fn check_close_scope(
        &self,
        event: &Event,
        entity: Option<EntityIx>,
    ) -> Result<(), LedgerError> {
        let covered = match (&event.actor.sites, entity, self.rules.period_close.scope) {
            (SiteScope::All, _, _) => true,
            (SiteScope::Sites(_), Some(e), CloseScope::Entity) => self
                .catalog
                .sites()
                .filter(|(ix, _)| self.catalog.site_entity(*ix) == Some(e))
                .all(|(_, site)| event.actor.sites.covers(&site.code)),
            (SiteScope::Sites(_), _, _) => false,
        };
        if covered {
            Ok(())
        } else {
            Err(LedgerError::NotNetworkWide { actor: event.actor.id.clone(), kind: event.kind() })
        }
    }

    /// The time `entity`'s stock is closed through: the network's close or the
    /// entity's own, whichever is later.
    pub(crate) fn closed_for(&self, entity: Option<EntityIx>) -> Option<DateTime<Utc>> {
        let own = entity.and_then(|e| self.entity_closed.get(&e).copied());
        own.max(self.closed_through)
    }

    /// Refuses a plan that changes stock of an entity inside the entity's closed period.
    pub(crate) fn check_entity_periods(&self, plan: &Plan) -> Result<(), LedgerError> {
        if self.entity_closed.is_empty() {
            return Ok(());
        }
        let at = from_micros(plan.at);
        for (key, _) in &plan.changes {
            if let Some(closed) = self.entity_closed.get(&key.owner)
                && at < *closed
            {
                let entity = self.catalog.entity(key.owner).map(|e| e.code.clone());
                return Err(match entity {
                    Some(entity) => LedgerError::EntityPeriodClosed {
                        entity,
                        effective_at: at,
                        closed_through: *closed,
                    },
                    None => LedgerError::PeriodClosed { effective_at: at, closed_through: *closed },
                });
            }
        }
        Ok(())
    }

    /// Checks a close through `through`: by network-wide authority, not after its own
    /// effective time nor the latest recorded time (this event's included), and forward.
    pub(crate) fn check_close(
        &self,
        event: &Event,
        through: DateTime<Utc>,
        entity: Option<EntityIx>,
    ) -> Result<(), LedgerError> {
        self.check_close_scope(event, entity)?;
        if through > event.effective_at {
            return Err(LedgerError::CloseInFuture { through, effective_at: event.effective_at });
        }
        let recorded =
            self.recorded_through.map_or(event.recorded_at, |r| r.max(event.recorded_at));
        if through > recorded {
            return Err(LedgerError::CloseBeyondRecorded { through, recorded });
        }
        if let Some(closed) = self.closed_for(entity)
            && through <= closed
        {
            return Err(LedgerError::CloseNotForward { closed_through: closed });
        }
        Ok(())
    }

    /// Checks a reopen back to `to`: by network-wide authority, of a closed period, to a
    /// time before its close.
    pub(crate) fn check_reopen(
        &self,
        event: &Event,
        to: Option<DateTime<Utc>>,
        entity: Option<EntityIx>,
    ) -> Result<(), LedgerError> {
        self.check_close_scope(event, entity)?;
        let closed = match entity {
            Some(e) => self.entity_closed.get(&e).copied(),
            None => self.closed_through,
        };
        match (closed, to) {
            (None, _) => Err(LedgerError::NothingToReopen),
            (Some(closed), Some(to)) if to >= closed => {
                Err(LedgerError::ReopenNotBack { to, closed_through: closed })
            }
            _ => Ok(()),
        }
    }

    /// Reopens the closed period (the network's, or `entity`'s) back to `to`.
    pub(crate) fn reopen_period(
        &mut self,
        to: Option<DateTime<Utc>>,
        entity: Option<EntityIx>,
    ) -> Applied {
        match (entity, to) {
            (None, _) => self.closed_through = to,
            (Some(e), Some(to)) => {
                self.entity_closed.insert(e, to);
            }
            (Some(e), None) => {
                self.entity_closed.remove(&e);
            }
        }
        self.seq += 1;
        Applied::Accepted(Accepted { seq: self.seq, deltas: SmallVec::new(), signals: Vec::new() })
    }

    /// Closes the network's period (or `entity`'s) through `through`. An entity's
    /// close only records the time: its positions' history is folded at the next
    /// network close.
    pub(crate) fn close_period(
        &mut self,
        through: DateTime<Utc>,
        entity: Option<EntityIx>,
    ) -> Applied {
        if let Some(e) = entity {
            self.entity_closed.insert(e, through);
            self.seq += 1;
            return Applied::Accepted(Accepted {
                seq: self.seq,
                deltas: SmallVec::new(),
                signals: Vec::new(),
            });
        }
        self.positions.close_period(micros(through));
        let stale = micros(through).saturating_sub(self.doc_window);
        self.documents.retain(|_, totals| {
            totals.drop_through(stale);
            !totals.is_empty()
        });
        self.closed_through = Some(through);
        self.seq += 1;
        Applied::Accepted(Accepted { seq: self.seq, deltas: SmallVec::new(), signals: Vec::new() })
    }
}
