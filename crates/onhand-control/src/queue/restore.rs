//! [`ControlSnapshot`]: the queue as plain data, and [`Control::restore`], which checks
//! it against the rules and builds every index again.
//!
//! A snapshot holds every exception ever raised (with its state, roles, hold and
//! history) and the recent count-variance times recurrence counts; the indexes (the
//! active and closed keys, the role queues, the escalation deadlines, the approval
//! tasks) and each exception's rank are derived from those and the rules, so they are
//! not in it and cannot disagree with it.

use onhand_master::hash::fingerprint;
use onhand_master::{ItemCode, SiteCode};
use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use onhand_master::Role;

use super::{Control, Exception, Rank};
use crate::error::ControlError;
use crate::kind::{ExceptionKind, RoleSet};
use crate::rules::Rules;
use crate::signal::{Subject, kind_accepts};

/// The exception queue as plain data (see [`Control::snapshot`] and
/// [`Control::restore`]).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use onhand_control::{Control, ControlSnapshot, ExceptionKind, Impact, Rules, Signal, Subject};
/// use onhand_master::{CurrencyCode, ItemCode, SiteCode};
/// use rust_decimal::Decimal;
///
/// let usd = CurrencyCode::new("USD")?;
/// let mut control = Control::new(Rules::standard(usd))?;
/// let at = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
/// let subject = Subject::ItemSite { item: ItemCode::new("BOLT")?, site: SiteCode::new("DC-EAST")?, lot: None };
/// control.apply(&Signal::new(ExceptionKind::StockoutRisk, subject, at, Impact::value(Decimal::from(900), usd)))?;
///
/// let json = serde_json::to_string(&control.snapshot())?;
/// let snapshot: ControlSnapshot = serde_json::from_str(&json)?;
/// let restored = Control::restore(Rules::standard(usd), &snapshot)?;
/// assert_eq!(restored.snapshot(), control.snapshot());
/// assert_eq!(restored.active_len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlSnapshot {
    /// Every exception ever raised, in id order.
    pub exceptions: Vec<Exception>,
    /// The count-variance times (Unix seconds, ascending) recurrence still counts, per
    /// item and site, in item and site order.
    pub variances: Vec<(ItemCode, SiteCode, Vec<i64>)>,
}

fn invalid(what: impl Into<String>) -> ControlError {
    ControlError::InvalidSnapshot { what: what.into() }
}

impl Control {
    /// The queue as plain data: every exception and the variance times recurrence
    /// counts. [`Control::restore`] under the same rules gives a queue that answers every
    /// call as this one does.
    #[must_use]
    pub fn snapshot(&self) -> ControlSnapshot {
        let mut variances: Vec<(ItemCode, SiteCode, Vec<i64>)> = self
            .variances
            .iter()
            .map(|((item, site), times)| (item.clone(), site.clone(), times.clone()))
            .collect();
        variances.sort_unstable_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        ControlSnapshot { exceptions: self.items.iter().cloned().collect(), variances }
    }

    /// The queue `snapshot` holds, under `rules` (those it was taken under: service
    /// levels and ladders decide ranks and escalation deadlines, which are computed
    /// again here).
    ///
    /// # Errors
    /// [`ControlError::InvalidRules`] for rules with findings;
    /// [`ControlError::InvalidSnapshot`] for content the queue could never have held: an
    /// id out of sequence, a subject the kind is never about, a site that differs from
    /// the subject's, a hold on anything but a pending approval (or an active one
    /// without), a negative figure, a state and close time that disagree, an escalation
    /// level beyond the kind's ladder, an active exception whose roles are not its
    /// owner's, its hold's and its ladder's, two active exceptions with one key, a
    /// `previous` that is not an earlier closed exception with the same key, variance
    /// times out of order or about one item-site twice; [`ControlError::ValueTooLarge`]
    /// for a value too large to rank. Nothing is built.
    pub fn restore(rules: Rules, snapshot: &ControlSnapshot) -> Result<Control, ControlError> {
        let mut c = Control::new(rules)?;
        // Each queue's ranks, added as one sorted run at the end.
        let mut queues: BTreeMap<(Role, u32), Vec<Rank>> = BTreeMap::new();
        for (i, e) in snapshot.exceptions.iter().enumerate() {
            c.check_restored(i, e)?;
            let mut e = e.clone();
            let minor = c.rules.minor_units(e.reference_value)?;
            let print = fingerprint(&(e.kind, &e.subject));
            (e.neg_value, e.print) = (minor.saturating_neg(), print);
            e.next_due = None;
            // Sites are numbered in id order, as the raises numbered them.
            e.site_no = c.queues.number(e.site.as_ref());
            if e.state.is_active() {
                let raised = e.raised_at.timestamp();
                e.next_due = c
                    .rules
                    .ladder(e.kind)
                    .get(usize::from(e.level))
                    .map(|(after, _)| raised.saturating_add(*after));
                for role in e.roles.iter() {
                    queues.entry((role, e.site_no)).or_default().push(e.rank_key());
                }
                if let Some(due) = e.next_due {
                    c.due.entry(due).or_default().push(e.id.0);
                }
                if let Subject::Event { event } = &e.subject {
                    c.holds.insert(*event, i);
                }
                if !c.active.insert((e.kind, &e.subject), print, i, &c.items) {
                    return Err(invalid(format!("exception {}: a second active one", e.id)));
                }
            } else {
                c.closed.insert((e.kind, e.subject.clone()), e.id);
            }
            c.items.push(e);
            // A restored exception's entries are its first: stamp 0 (`rank_key`'s).
            c.stamps.push(0);
        }
        for ((role, site), mut ranks) in queues {
            // Ids are unique, so sorted ranks are strictly ascending.
            ranks.sort_unstable();
            if let Some(q) = c.queues.get_mut(role, site) {
                q.extend_sorted(ranks);
            }
        }
        for (item, site, times) in &snapshot.variances {
            if times.windows(2).any(|w| matches!(w, [a, b] if a >= b)) {
                return Err(invalid(format!("variance times of {item} at {site} out of order")));
            }
            if c.variances.insert((item.clone(), site.clone()), times.clone()).is_some() {
                return Err(invalid(format!("variance times of {item} at {site} twice")));
            }
        }
        Ok(c)
    }

    /// Checks one exception of a snapshot against the queue restored so far (the
    /// exceptions before it).
    fn check_restored(&self, i: usize, e: &Exception) -> Result<(), ControlError> {
        let id = e.id;
        let bad = |what: &str| invalid(format!("exception {id}: {what}"));
        if usize::try_from(id.0).ok() != Some(i) {
            return Err(invalid(format!("exception {id} at position {i}")));
        }
        if !kind_accepts(e.kind, &e.subject) {
            return Err(bad("its kind is never about its subject"));
        }
        if let (Some(own), Some(site)) = (e.subject.site(), &e.site)
            && own != site
        {
            return Err(bad("its site is not its subject's"));
        }
        if e.subject.site().is_some() && e.site.is_none() {
            return Err(bad("no site for a subject at a site"));
        }
        let pending = e.kind == ExceptionKind::PendingApproval;
        match (&e.hold, pending) {
            (Some(_), false) => return Err(bad("a hold on another kind than a pending approval")),
            (None, true) => return Err(bad("a pending approval without its hold")),
            _ => {}
        }
        e.impact.check().map_err(|err| bad(&err.to_string()))?;
        if e.reference_value.is_sign_negative() && !e.reference_value.is_zero() {
            return Err(bad("a negative reference value"));
        }
        if e.state.is_active() == e.closed_at.is_some() {
            return Err(bad("its state and its close time disagree"));
        }
        if e.updated_at < e.raised_at {
            return Err(bad("updated before it was raised"));
        }
        let ladder = self.rules.ladder(e.kind);
        if usize::from(e.level) > ladder.len() {
            return Err(bad("escalated beyond its ladder"));
        }
        let escalated = self.escalated_roles(e.kind, e.level);
        let needs = e.hold.as_ref().map_or(RoleSet::EMPTY, |h| h.needs);
        let own = RoleSet::one(e.owner).union(escalated);
        if e.state.is_active() && e.roles != own.union(needs) {
            return Err(bad("its roles are not its owner's, its hold's and its ladder's"));
        }
        if !e.state.is_active() && own.minus(e.roles) != RoleSet::EMPTY {
            return Err(bad("its roles miss its owner or its ladder's"));
        }
        if e.acknowledge_by < e.raised_at || e.resolve_by < e.raised_at {
            return Err(bad("a service-level deadline before the raise"));
        }
        if let Some(prev) = e.previous {
            let key = (e.kind, e.subject.clone());
            // The latest closed exception with the same key before this one.
            if self.closed.get(&key) != Some(&prev) || prev >= id {
                return Err(bad("its previous is not the last closed one with its key"));
            }
        } else if self.closed.contains_key(&(e.kind, e.subject.clone())) {
            return Err(bad("it does not name the closed exception with its key it follows"));
        }
        if e.signals == 0 || e.history.is_empty() {
            return Err(bad("no signal or no history"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on a broken fixture")]
    use chrono::{Duration, TimeZone, Utc};
    use onhand_ledger::{Actor, ActorId, EventId, SiteScope};
    use onhand_master::{CurrencyCode, Role};
    use rust_decimal::Decimal;

    use super::*;
    use crate::{Action, ExceptionId, Hold, Impact, Signal};

    type Edit = Box<dyn Fn(&mut ControlSnapshot)>;

    fn usd() -> CurrencyCode {
        CurrencyCode::new("USD").unwrap()
    }

    fn queue() -> Control {
        let mut c = Control::new(Rules::standard(usd())).unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
        let site = SiteCode::new("DC-EAST").unwrap();
        for (n, item) in ["BOLT", "NUT", "WASHER"].iter().enumerate() {
            let subject = Subject::ItemSite {
                item: ItemCode::new(*item).unwrap(),
                site: site.clone(),
                lot: None,
            };
            let v = Decimal::from(500 * (n + 1));
            c.apply(&Signal::new(
                ExceptionKind::CountVariance,
                subject,
                t0,
                Impact::value(v, usd()),
            ))
            .unwrap();
        }
        let held = Signal::pending_approval(
            EventId::from_u128(7),
            Hold::new(ActorId::new("clerk").unwrap(), [Role::Supervisor]),
            site.clone(),
            t0,
            Impact::value(Decimal::from(2_500), usd()),
        );
        c.apply(&held).unwrap();
        let sue = Actor {
            id: ActorId::new("sue").unwrap(),
            roles: vec![Role::InventoryControl, Role::Supervisor],
            sites: SiteScope::All,
        };
        c.act(ExceptionId(0), &sue, Action::Acknowledge, t0 + Duration::minutes(3)).unwrap();
        c.act(ExceptionId(1), &sue, Action::Cancel, t0 + Duration::minutes(4)).unwrap();
        c.escalate(t0 + Duration::hours(9));
        c
    }

    #[test]
    fn a_restored_queue_answers_as_the_original() {
        let c = queue();
        let r = Control::restore(c.rules().clone(), &c.snapshot()).unwrap();
        assert_eq!(r.snapshot(), c.snapshot());
        assert_eq!(r.active, c.active);
        assert_eq!(r.closed, c.closed);
        assert_eq!(r.ranked_queues(), c.ranked_queues());
        assert_eq!(r.due_live(), c.due_live());
        // Every active exception with a ladder step ahead stands once at its second.
        let mut ahead: Vec<(i64, u64)> =
            c.items.iter().filter_map(|e| e.next_due.map(|at| (at, e.id.0))).collect();
        ahead.sort_unstable();
        assert_eq!(c.due_live(), ahead);
        assert!(!ahead.is_empty());
        assert_eq!(r.holds, c.holds);
        assert_eq!(r.variances, c.variances);
        for (a, b) in r.items.iter().zip(c.items.iter()) {
            assert_eq!((a.rank_key(), a.next_due), (b.rank_key(), b.next_due));
        }
    }

    /// Past the size where the active index spreads over its tables: a restored queue
    /// holds the same index, and a repeated signal still finds its exception.
    #[test]
    fn a_queue_past_the_spreading_size_restores_and_deduplicates() {
        let n = crate::queue::active::SPREAD_AT + 300;
        let mut c = Control::new(Rules::standard(usd())).unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
        let signal = |k: usize, v: u32| {
            let subject = Subject::ItemSite {
                item: ItemCode::new(format!("I{k}")).unwrap(),
                site: SiteCode::new("DC-EAST").unwrap(),
                lot: None,
            };
            Signal::new(ExceptionKind::StockoutRisk, subject, t0, Impact::value(v.into(), usd()))
        };
        for k in 0..n {
            assert_eq!(c.apply(&signal(k, 900)).unwrap().effect, crate::Effect::Raised);
        }
        let mut r = Control::restore(c.rules().clone(), &c.snapshot()).unwrap();
        assert_eq!(r.active, c.active);
        assert_eq!(r.active_len(), n);
        for k in [0, 1, n / 2, n - 1] {
            let again = r.apply(&signal(k, 1_000)).unwrap();
            assert_eq!(
                (again.effect, again.id),
                (crate::Effect::Updated, Some(ExceptionId(k as u64)))
            );
        }
        assert_eq!(r.active_len(), n);
    }

    #[test]
    fn a_snapshot_the_queue_could_not_hold_is_refused() {
        let c = queue();
        let good = c.snapshot();
        let edits: Vec<Edit> = vec![
            Box::new(|s| s.exceptions.swap(0, 1)),
            Box::new(|s| s.exceptions[0].level = 9),
            Box::new(|s| s.exceptions[0].roles = RoleSet::one(Role::Finance)),
            Box::new(|s| s.exceptions[0].hold = s.exceptions[3].hold.clone()),
            Box::new(|s| s.exceptions[3].hold = None),
            Box::new(|s| s.exceptions[1].closed_at = None),
            Box::new(|s| s.exceptions[2].subject = s.exceptions[0].subject.clone()),
            Box::new(|s| s.exceptions[2].previous = Some(ExceptionId(1))),
            Box::new(|s| s.exceptions[0].impact.value = Decimal::from(-1)),
            Box::new(|s| s.variances.push(s.variances[0].clone())),
            Box::new(|s| s.variances[0].2 = vec![5, 5]),
        ];
        for (n, edit) in edits.iter().enumerate() {
            let mut bad = good.clone();
            edit(&mut bad);
            let e = Control::restore(c.rules().clone(), &bad).map(|_| ()).unwrap_err();
            assert_eq!(e.code(), "invalid_snapshot", "edit {n}: {e}");
        }
    }
}
