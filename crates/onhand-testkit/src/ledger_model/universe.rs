//! The universe the generators draw from.

use super::{
    Actor, ActorId, DateTime, Decimal, Duration, Event, Qty, Role, SiteScope, UomCode, Utc,
};

/// Items: untracked with packaging, lot-tracked with shelf life (quality hold on receipt),
/// serial-tracked.
pub const ITEMS: [&str; 3] = ["BOLT-M8", "GLUE-500", "DRILL-18V"];
/// Sites with bins: two US DCs (a lane ORD -> ATL) and a Canadian one (ORD -> YYZ).
pub(crate) const SITES: [&str; 3] = ["ORD", "ATL", "YYZ"];
/// A few bins every regional DC has.
pub(crate) const BINS: [&str; 4] = ["RCV-01", "PF-A01", "BLK-01", "QA-01"];
/// Lot codes for GLUE-500.
pub(crate) const LOTS: [&str; 4] = ["L1", "L2", "L3", "L4"];

/// Actors: one or two per role, plus a warehouse actor scoped to ATL.
pub(crate) const ACTORS: &[(&str, &[Role])] = &[
    ("wh1", &[Role::Warehouse]),
    ("wh2", &[Role::Warehouse]),
    ("qa1", &[Role::Quality]),
    ("qa2", &[Role::Quality]),
    ("ic1", &[Role::InventoryControl]),
    ("ic2", &[Role::InventoryControl]),
    ("sup1", &[Role::Supervisor]),
    ("sup2", &[Role::Supervisor]),
    ("plan1", &[Role::Planning]),
    ("plan2", &[Role::Planning]),
    ("fin1", &[Role::Finance]),
    ("sys", &[Role::System]),
    ("wh-atl", &[Role::Warehouse]),
];

pub(crate) fn code<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().expect("literal code")
}

pub(crate) fn actor(i: usize) -> Actor {
    let (id, roles) = ACTORS[i % ACTORS.len()];
    let sites = if id == "wh-atl" { SiteScope::Sites(vec![code("ATL")]) } else { SiteScope::All };
    Actor { id: ActorId::new(id).expect("actor literal"), roles: roles.to_vec(), sites }
}

/// The event with its actor's roles and sites from the generators' table (the rules'
/// directory), matched by canonical id; `None` for an actor the table does not have.
pub(crate) fn resolve(ev: &Event) -> Option<Event> {
    let i = ACTORS.iter().position(|(id, _)| ev.actor.id.as_str().eq_ignore_ascii_case(id))?;
    let mut out = ev.clone();
    let a = actor(i);
    out.actor.roles = a.roles;
    out.actor.sites = a.sites;
    Some(out)
}

/// `q` eaches.
#[must_use]
pub fn ea(q: Decimal) -> Qty {
    Qty::new(q, UomCode::new("EA").expect("EA")).expect("non-negative quantity")
}

/// `v` as a decimal.
#[must_use]
pub fn d(v: i64) -> Decimal {
    Decimal::from(v)
}

/// A minute later (earlier at the end of time): the same event with another payload.
pub(crate) fn nudge(t: DateTime<Utc>) -> DateTime<Utc> {
    t.checked_add_signed(Duration::minutes(1))
        .or_else(|| t.checked_sub_signed(Duration::minutes(1)))
        .unwrap_or(t)
}

pub(crate) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}
