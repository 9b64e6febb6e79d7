//! Governance as data: who may post which event kind, which reasons each kind accepts,
//! which postings need an approver above which quantity or value, and how much count
//! variance is tolerated.
//!
//! [`Rules::standard`] is a sensible default; every part is plain, serializable data a
//! host loads from its own configuration.
//!
//! | kind | who may post (standard rules) |
//! |---|---|
//! | receipt, put-away, pick, ship, transfer ship/receipt, customer return, return to supplier | warehouse, supervisor, system |
//! | disposition | quality, supervisor |
//! | adjustment | inventory control, supervisor |
//! | cycle count | warehouse, inventory control, supervisor |
//! | status change | warehouse, quality, inventory control, supervisor |
//! | scrap | inventory control, quality, supervisor |
//! | transfer request | planning, warehouse, supervisor, system |
//! | transfer approve | planning, supervisor |
//! | transfer close | planning, inventory control, supervisor |
//! | approve, reject | anyone holding a role the pending event needs |
//! | reversal | inventory control, finance, supervisor |
//! | close period, reopen period | finance (whole-network scope; a reopen always needs a second finance approval, a close when [`PeriodClose::approver`] says) |
//!
//! Who holds which role, and where, comes from the rules' actor directory
//! ([`Identity::Directory`]), not from the event, unless a host opts in to trusting
//! events ([`Identity::EventCarried`]). Each role a pending event needs is approved by a
//! different person, none of them the poster ([`Segregation`]); actors are compared by
//! their canonical identity ([`ActorId::canonical`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use onhand_master::{Catalog, CurrencyCode, ItemCode, Role, SiteCode, VelocityClass};
use onhand_status::MeasureRules;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::LedgerError;
use crate::event::{ActorId, EventKind, ReasonCode, SiteScope};

/// A posting that needs an approver when it exceeds a quantity or a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// The event kind it applies to.
    pub kind: EventKind,
    /// Only for this reason (`None`: any reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ReasonCode>,
    /// A line moving more than this many base units needs approval. For cycle counts the
    /// quantity is the variance.
    #[serde(
        default,
        with = "onhand_master::decimal::serde_str::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_qty: Option<Decimal>,
    /// An event worth more than this (at reference cost, in [`Rules::currency`]) needs
    /// approval.
    #[serde(
        default,
        with = "onhand_master::decimal::serde_str::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_value: Option<Decimal>,
    /// An event whose lines together move more than this many base units needs
    /// approval: the sum of what [`max_qty`](Self::max_qty) reads per line, so splitting
    /// a movement over lines does not slip under the limit (default: no limit).
    #[serde(
        default,
        with = "onhand_master::decimal::serde_str::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_event_qty: Option<Decimal>,
    /// Limits on the total of every event of the kind on one reference document within a
    /// time window, so splitting a movement over events does not slip under them either
    /// (default: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<DocumentLimit>,
    /// Who must approve.
    pub approver: Role,
}

/// A limit on the total of the events of one kind on one reference document (its kind
/// and number) whose effective times lie within a window of each other.
///
/// An event is measured as [`Threshold::max_event_qty`] and [`Threshold::max_value`]
/// measure it; the events counted are those applied (not pending, not rejected) on the
/// same document, of the same kind, effective less than `window_hours` before or after
/// the event, plus the event itself. Over the limit, the event waits for the threshold's
/// approver; once approved and applied it counts toward later events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentLimit {
    /// The most base units the events may move together.
    #[serde(
        default,
        with = "onhand_master::decimal::serde_str::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_qty: Option<Decimal>,
    /// The most they may be worth together (at reference cost, in [`Rules::currency`]).
    #[serde(
        default,
        with = "onhand_master::decimal::serde_str::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_value: Option<Decimal>,
    /// The window, in hours (at least 1).
    pub window_hours: u32,
}

/// How far a count may differ from the book before it is flagged: the larger of an
/// absolute quantity (base units) and a percentage of the book quantity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountTolerance {
    /// The velocity class it applies to.
    pub velocity: VelocityClass,
    /// Absolute tolerance in base units.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub absolute: Decimal,
    /// Relative tolerance, as a fraction of the book quantity (0.02 is 2 %).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub percent: Decimal,
}

/// How approvals of one pending event must be spread over people.
///
/// The poster never approves their own event, whatever the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segregation {
    /// Four eyes: someone other than the poster approves, and one approver holding
    /// several of the roles needed satisfies them all at once.
    FourEyes,
    /// Each role needed is approved by a different person, none of them the poster: an
    /// event needing quality and a supervisor is seen by three people (six eyes). An
    /// approval satisfies one role (the first the approver holds, in the order the
    /// event lists its needs), and nobody approves one event twice. The default.
    #[default]
    DistinctApprovers,
}

/// What the ledger knows about one actor in its [`Identity::Directory`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorRecord {
    /// The roles the actor holds.
    pub roles: Vec<Role>,
    /// Where the actor may act.
    pub sites: SiteScope,
    /// From when the record holds (by the event's recorded time; `None`: always).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<DateTime<Utc>>,
    /// Until when (exclusive; `None`: no end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<DateTime<Utc>>,
}

impl ActorRecord {
    /// A record of `roles` at `sites`, valid at all times.
    ///
    /// ```
    /// use onhand_ledger::{ActorRecord, SiteScope};
    /// use onhand_master::Role;
    /// let r = ActorRecord::new(&[Role::Warehouse], SiteScope::All);
    /// assert_eq!((r.roles.as_slice(), r.valid_from, r.valid_to), (&[Role::Warehouse][..], None, None));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(roles: &[Role], sites: SiteScope) -> Self {
        ActorRecord { roles: roles.to_vec(), sites, valid_from: None, valid_to: None }
    }

    /// Whether the record holds at `at`.
    ///
    /// ```
    /// use onhand_ledger::{ActorRecord, SiteScope, testing};
    /// use onhand_master::Role;
    /// let mut r = ActorRecord::new(&[Role::Warehouse], SiteScope::All);
    /// r.valid_from = Some(testing::at(60));
    /// assert!(!r.valid_at(testing::at(0)));
    /// assert!(r.valid_at(testing::at(60)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn valid_at(&self, at: DateTime<Utc>) -> bool {
        self.valid_from.is_none_or(|from| from <= at) && self.valid_to.is_none_or(|to| at < to)
    }
}

/// Where an actor's roles and site scope come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    /// The ledger's own directory, by canonical actor id ([`ActorId::canonical`]): the
    /// roles and sites an event carries are not read; an actor missing from the
    /// directory, or posting outside its record's validity (by the event's recorded
    /// time), is refused. What [`Rules::standard`] uses, with an empty directory.
    Directory(BTreeMap<ActorId, ActorRecord>),
    /// Opt-in: believe the roles and sites each event carries. Only for hosts that
    /// authenticate and authorise actors upstream and fill [`Actor`](crate::Actor) from
    /// their own records; the ledger then guarantees nothing about who holds which role
    /// (see the [security model](crate::security)).
    EventCarried,
}

/// Whose authority a period close needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseScope {
    /// A close freezes every site, so the closer (and its approver) must be scoped to
    /// every site ([`SiteScope::All`]): a finance actor of one site cannot close the
    /// network. The default; an entity's close needs it too.
    #[default]
    Network,
    /// As `Network` for a network close; an entity's close (and its approval) needs
    /// authority over every site the entity owns, so a finance actor of one entity's
    /// sites can close that entity's period and no other.
    Entity,
}

/// How periods are closed and reopened.
///
/// A close ([`Body::ClosePeriod`](crate::Body::ClosePeriod)) is posted by a role the
/// permissions allow (finance, in the standard rules) with the authority `scope` says,
/// may not pass the latest recorded time the ledger knows (the latest `recorded_at` of
/// the events it applied, this one included: the host stamps `recorded_at`), and waits
/// for `approver` when one is set. A reopen
/// ([`Body::ReopenPeriod`](crate::Body::ReopenPeriod)) is posted by the same roles and
/// always waits for `reopen_approver`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodClose {
    /// Whose authority a close needs (default: the whole network's).
    #[serde(default)]
    pub scope: CloseScope,
    /// The role that must approve a close, someone other than the closer (`None`: a
    /// close applies at once, the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver: Option<Role>,
    /// The role that must approve a reopen (default: finance).
    #[serde(default = "finance")]
    pub reopen_approver: Role,
}

fn finance() -> Role {
    Role::Finance
}

impl Default for PeriodClose {
    /// A close by the whole network's authority, applied at once; a reopen approved by
    /// finance. What rules written before closes were governed read as.
    fn default() -> Self {
        PeriodClose { scope: CloseScope::Network, approver: None, reopen_approver: Role::Finance }
    }
}

/// What happens to a transfer receipt beyond its over-receipt tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverReceiptAction {
    /// Held for the approval of this role (someone other than the poster).
    Hold(Role),
    /// Refused ([`LedgerError::OverReceipt`]).
    Refuse,
}

/// How much a transfer order line may be received over what was shipped on it, at a
/// site and for a velocity class of items: the larger of `absolute` base units and
/// `percent` of the line's shipped quantity, counted over every receipt on the line (so
/// receiving twice under new ids adds up).
///
/// The first entry whose `site` and `velocity` match (`None` matches any) applies; with
/// none, nothing may be received over what was shipped and the receipt waits for a
/// supervisor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverReceiptTolerance {
    /// The receiving site (`None`: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteCode>,
    /// The item's velocity class (`None`: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub velocity: Option<VelocityClass>,
    /// Absolute tolerance in base units.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub absolute: Decimal,
    /// Relative tolerance, a fraction of the line's shipped quantity (0.02 is 2 %).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub percent: Decimal,
    /// What happens beyond it.
    pub beyond: OverReceiptAction,
}

/// The ledger's governance rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Roles that may post each kind (holding any one suffices). A kind missing here may
    /// not be posted by anyone, except approve and reject, which are checked against the
    /// pending event's needs.
    pub permissions: BTreeMap<EventKind, Vec<Role>>,
    /// Reasons each kind accepts; a kind missing here accepts any reason.
    #[serde(default)]
    pub reasons: BTreeMap<EventKind, Vec<ReasonCode>>,
    /// Approval thresholds.
    #[serde(default)]
    pub thresholds: Vec<Threshold>,
    /// Count tolerances per velocity class; a class missing here tolerates nothing.
    #[serde(default)]
    pub count_tolerance: Vec<CountTolerance>,
    /// The currency of value thresholds and reference costs.
    pub currency: CurrencyCode,
    /// Reference cost per base unit of each item, for value thresholds (items missing
    /// here count as worth zero).
    #[serde(default)]
    pub reference_costs: BTreeMap<ItemCode, ReferenceCost>,
    /// Which statuses count toward which measure.
    #[serde(default)]
    pub measures: MeasureRules,
    /// Where actors' roles and sites come from: always stated, so trusting what events
    /// carry is a visible choice.
    pub identity: Identity,
    /// How approvals are spread over people (default: distinct approvers).
    #[serde(default)]
    pub segregation: Segregation,
    /// How periods are closed and reopened (default: [`PeriodClose::default`]).
    #[serde(default)]
    pub period_close: PeriodClose,
    /// Over-receipt tolerances on transfer receipts (default: none, so any quantity over
    /// what was shipped waits for a supervisor).
    #[serde(default)]
    pub over_receipt: Vec<OverReceiptTolerance>,
}

/// A reference cost per base unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReferenceCost(#[serde(with = "onhand_master::decimal::serde_str")] pub Decimal);

fn reason(code: &str) -> ReasonCode {
    ReasonCode::new(code).expect("standard reason literal")
}

impl Rules {
    /// The standard rules of the module table, plus:
    ///
    /// - adjustments accept the reasons `DAMAGED`, `FOUND`, `LOST`, `THEFT`, `EXPIRED`,
    ///   `CORRECTION`; scrap accepts `DAMAGED`, `EXPIRED`, `QUALITY`, `DISPOSAL`;
    /// - an adjustment line over 100 base units, an adjustment whose lines together move
    ///   more than 100, or an adjustment worth more than 1,000 (at reference cost), needs
    ///   a supervisor (no limit across the events of one document: add a
    ///   [`DocumentLimit`] to the threshold for one); a count variance over 500 base units
    ///   needs a supervisor; any scrap worth more than 2,500 needs finance;
    /// - count tolerance: A items 0 units or 1 %, B items 2 units or 2 %, C and D items 5
    ///   units or 5 %, unclassified 0 or 2 %;
    /// - an empty actor directory ([`Identity::Directory`]): add actors with
    ///   [`with_actor`](Self::with_actor), or opt in to trusting the roles events carry
    ///   with [`trusting_event_actors`](Self::trusting_event_actors);
    /// - distinct approvers ([`Segregation::DistinctApprovers`]);
    /// - periods closed by finance scoped to the whole network, at once; reopened by
    ///   finance with a second finance person's approval ([`PeriodClose::default`]; set
    ///   [`PeriodClose::approver`] to make closes wait for one too);
    /// - no over-receipt tolerance: a transfer receipt over what was shipped waits for a
    ///   supervisor ([`OverReceiptTolerance`]).
    ///
    /// # Why closes need no approval and documents have no limit here
    ///
    /// Both are available ([`PeriodClose::approver`], [`Threshold::document`]) and both
    /// are off in these rules, on purpose:
    ///
    /// - **Close approval.** What made an ungoverned close dangerous (issue 13) is refused
    ///   without it: only finance closes, only with network-wide (or, per
    ///   [`CloseScope`], entity-wide) authority, never past the latest recorded time nor
    ///   its own effective time, and the only undo, a reopen, needs a second finance
    ///   person and is journalled. An approval on top would hold every routine close
    ///   until a second finance person acts, which a one-person finance team cannot do
    ///   and which the simulation's month-end closes, the reference model and the
    ///   `reservation-expiry-and-period-close` scenario do not model. A host with two
    ///   finance people sets `period_close.approver`.
    /// - **Document limits.** A limit needs a window and a ceiling that only the business
    ///   can set (a day's or a shift's losses, per document kind); any default would
    ///   hold routine splits of large adjustments somewhere and miss them elsewhere, and
    ///   it makes the ledger keep every adjustment's totals per document until a close.
    ///   The per-line and per-event thresholds above already catch a loss split over
    ///   lines; a loss split over events is caught once a host adds a
    ///   [`DocumentLimit`].
    ///
    /// # Panics
    /// Never: it is built from literals that the crate's tests check.
    ///
    /// ```
    /// # use onhand_ledger::{EventKind, Rules};
    /// # use onhand_master::{CurrencyCode, Role};
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?);
    /// assert!(rules.may_post(EventKind::Receipt, &[Role::Warehouse]));
    /// assert!(!rules.may_post(EventKind::ClosePeriod, &[Role::Warehouse]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn standard(currency: CurrencyCode) -> Self {
        use EventKind::{
            Adjustment, ClosePeriod, CustomerReturn, CycleCount, Disposition, Pick, Putaway,
            Receipt, ReopenPeriod, Reversal, Scrap, Ship, StatusChange, SupplierReturn,
            TransferApprove, TransferClose, TransferReceipt, TransferRequest, TransferShip,
        };
        use Role::{Finance, InventoryControl, Planning, Quality, Supervisor, System, Warehouse};
        let mut permissions = BTreeMap::new();
        for kind in [Receipt, Putaway, Pick, Ship, TransferShip, TransferReceipt, CustomerReturn] {
            permissions.insert(kind, vec![Warehouse, Supervisor, System]);
        }
        permissions.insert(Disposition, vec![Quality, Supervisor]);
        permissions.insert(Adjustment, vec![InventoryControl, Supervisor]);
        permissions.insert(CycleCount, vec![Warehouse, InventoryControl, Supervisor]);
        permissions.insert(StatusChange, vec![Warehouse, Quality, InventoryControl, Supervisor]);
        permissions.insert(Scrap, vec![InventoryControl, Quality, Supervisor]);
        permissions.insert(TransferRequest, vec![Planning, Warehouse, Supervisor, System]);
        permissions.insert(TransferApprove, vec![Planning, Supervisor]);
        permissions.insert(TransferClose, vec![Planning, InventoryControl, Supervisor]);
        permissions.insert(ClosePeriod, vec![Finance]);
        permissions.insert(ReopenPeriod, vec![Finance]);
        permissions.insert(Reversal, vec![InventoryControl, Finance, Supervisor]);
        permissions.insert(SupplierReturn, vec![Warehouse, Supervisor, System]);
        let mut reasons = BTreeMap::new();
        reasons.insert(
            Adjustment,
            ["DAMAGED", "FOUND", "LOST", "THEFT", "EXPIRED", "CORRECTION"].map(reason).to_vec(),
        );
        reasons.insert(Scrap, ["DAMAGED", "EXPIRED", "QUALITY", "DISPOSAL"].map(reason).to_vec());
        let thresholds = vec![
            Threshold {
                kind: Adjustment,
                reason: None,
                max_qty: Some(Decimal::from(100)),
                max_value: Some(Decimal::from(1000)),
                max_event_qty: Some(Decimal::from(100)),
                document: None,
                approver: Supervisor,
            },
            Threshold {
                kind: CycleCount,
                reason: None,
                max_qty: Some(Decimal::from(500)),
                max_value: None,
                max_event_qty: None,
                document: None,
                approver: Supervisor,
            },
            Threshold {
                kind: Scrap,
                reason: None,
                max_qty: None,
                max_value: Some(Decimal::from(2500)),
                max_event_qty: None,
                document: None,
                approver: Finance,
            },
        ];
        let tol = |velocity, absolute: i64, percent: i64| CountTolerance {
            velocity,
            absolute: Decimal::from(absolute),
            percent: Decimal::new(percent, 2),
        };
        let count_tolerance = vec![
            tol(VelocityClass::A, 0, 1),
            tol(VelocityClass::B, 2, 2),
            tol(VelocityClass::C, 5, 5),
            tol(VelocityClass::D, 5, 5),
            tol(VelocityClass::Unclassified, 0, 2),
        ];
        Rules {
            permissions,
            reasons,
            thresholds,
            count_tolerance,
            currency,
            reference_costs: BTreeMap::new(),
            measures: MeasureRules::canonical(),
            identity: Identity::Directory(BTreeMap::new()),
            segregation: Segregation::DistinctApprovers,
            period_close: PeriodClose::default(),
            over_receipt: Vec::new(),
        }
    }

    /// The same rules with `id` in the actor directory (switching to
    /// [`Identity::Directory`] if the rules trusted events).
    ///
    /// ```
    /// # use onhand_ledger::{EventKind, Rules};
    /// # use onhand_master::{CurrencyCode, Role};
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?);
    /// use onhand_ledger::{ActorRecord, SiteScope};
    /// let rules = rules.with_actor("alice".parse()?, ActorRecord::new(&[Role::Warehouse], SiteScope::All));
    /// assert_ne!(rules, Rules::standard(CurrencyCode::new("USD")?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_actor(mut self, id: ActorId, record: ActorRecord) -> Self {
        match &mut self.identity {
            Identity::Directory(dir) => {
                dir.insert(id, record);
            }
            Identity::EventCarried => {
                self.identity = Identity::Directory(BTreeMap::from([(id, record)]));
            }
        }
        self
    }

    /// The same rules believing the roles and sites each event carries
    /// ([`Identity::EventCarried`]): for hosts that authenticate upstream.
    ///
    /// ```
    /// # use onhand_ledger::{EventKind, Rules};
    /// # use onhand_master::{CurrencyCode, Role};
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?);
    /// let trusting = rules.clone().trusting_event_actors();
    /// assert_ne!(trusting, rules);
    /// assert_eq!(trusting.clone().trusting_event_actors(), trusting);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn trusting_event_actors(mut self) -> Self {
        self.identity = Identity::EventCarried;
        self
    }

    /// Checks the rules against a catalog: reference costs name known items, thresholds
    /// and tolerances are not negative.
    ///
    /// # Errors
    /// [`LedgerError::InvalidRules`] naming the first problem.
    ///
    /// ```
    /// # use onhand_ledger::{EventKind, Rules};
    /// # use onhand_master::{CurrencyCode, Role};
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?);
    /// use std::sync::Arc;
    /// use onhand_master::{seed, Catalog};
    /// let catalog = Catalog::new(seed::demo_network())?;
    /// rules.check(&catalog)?;
    /// # let _ = Arc::new(catalog);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(&self, catalog: &Catalog) -> Result<(), LedgerError> {
        let bad = |what: String| Err(LedgerError::InvalidRules { what });
        for (item, cost) in &self.reference_costs {
            if catalog.item_ix(item).is_none() {
                return bad(format!("reference cost for unknown item {item}"));
            }
            if cost.0 < Decimal::ZERO {
                return bad(format!("reference cost of {item} is negative"));
            }
        }
        for t in &self.thresholds {
            let doc = t.document.as_ref();
            if [t.max_qty, t.max_value, t.max_event_qty, doc.and_then(|d| d.max_qty)]
                .into_iter()
                .chain([doc.and_then(|d| d.max_value)])
                .flatten()
                .any(|q| q < Decimal::ZERO)
            {
                return bad(format!("a {} threshold is negative", t.kind));
            }
            if doc.is_some_and(|d| d.window_hours == 0) {
                return bad(format!("a {} document limit has no window", t.kind));
            }
        }
        if let Identity::Directory(dir) = &self.identity {
            let mut seen = std::collections::BTreeSet::new();
            for (id, record) in dir {
                if !seen.insert(id.canonical()) {
                    return bad(format!("actor {id} is in the directory twice (ignoring case)"));
                }
                if let (Some(from), Some(to)) = (record.valid_from, record.valid_to)
                    && to <= from
                {
                    return bad(format!("actor {id} is valid to before it is valid from"));
                }
                if let SiteScope::Sites(sites) = &record.sites
                    && let Some(site) = sites.iter().find(|s| catalog.site_ix(s).is_none())
                {
                    return bad(format!("actor {id} is scoped to unknown site {site}"));
                }
            }
        }
        for t in &self.over_receipt {
            if t.absolute < Decimal::ZERO || t.percent < Decimal::ZERO {
                return bad("an over-receipt tolerance is negative".to_owned());
            }
            if let Some(site) = t.site.as_ref().filter(|s| catalog.site_ix(s).is_none()) {
                return bad(format!("an over-receipt tolerance names unknown site {site}"));
            }
        }
        for t in &self.count_tolerance {
            if t.absolute < Decimal::ZERO || t.percent < Decimal::ZERO {
                return bad(format!("the count tolerance of class {} is negative", t.velocity));
            }
        }
        Ok(())
    }

    /// The roles that may post each kind, as bit masks by [`EventKind`] (for the hot
    /// path; [`may_post`](Self::may_post) reads the map).
    pub(crate) fn permission_masks(&self) -> [u8; EventKind::ALL.len()] {
        let mut out = [0u8; EventKind::ALL.len()];
        for (slot, kind) in out.iter_mut().zip(EventKind::ALL) {
            *slot = self.permissions.get(&kind).map_or(0, |roles| role_mask(roles));
        }
        out
    }

    /// Whether `role` may post `kind`.
    ///
    /// ```
    /// # use onhand_ledger::{EventKind, Rules};
    /// # use onhand_master::{CurrencyCode, Role};
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?);
    /// assert!(rules.may_post(EventKind::Pick, &[Role::Warehouse]));
    /// assert!(!rules.may_post(EventKind::Pick, &[Role::Finance]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn may_post(&self, kind: EventKind, roles: &[Role]) -> bool {
        self.permissions.get(&kind).is_some_and(|allowed| allowed.iter().any(|r| roles.contains(r)))
    }

    /// Whether `kind` accepts `reason`.
    ///
    /// ```
    /// # use onhand_ledger::{EventKind, Rules};
    /// # use onhand_master::{CurrencyCode, Role};
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?);
    /// assert!(rules.accepts_reason(EventKind::Scrap, &"DAMAGED".parse()?));
    /// assert!(!rules.accepts_reason(EventKind::Scrap, &"BIRTHDAY".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn accepts_reason(&self, kind: EventKind, reason: &ReasonCode) -> bool {
        self.reasons.get(&kind).is_none_or(|list| list.contains(reason))
    }

    /// The tolerance for a velocity class: (absolute, percent).
    ///
    /// ```
    /// # use onhand_ledger::{EventKind, Rules};
    /// # use onhand_master::{CurrencyCode, Role};
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?);
    /// use onhand_master::VelocityClass;
    /// use onhand_master::Decimal;
    /// // A items: 0 units or 1 %; B items: 2 units or 2 %.
    /// assert_eq!(rules.tolerance(VelocityClass::A), (Decimal::ZERO, Decimal::new(1, 2)));
    /// assert_eq!(rules.tolerance(VelocityClass::B), (Decimal::TWO, Decimal::new(2, 2)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn tolerance(&self, velocity: VelocityClass) -> (Decimal, Decimal) {
        self.count_tolerance
            .iter()
            .find(|t| t.velocity == velocity)
            .map_or((Decimal::ZERO, Decimal::ZERO), |t| (t.absolute, t.percent))
    }

    /// The over-receipt tolerance at `site` for an item of class `velocity`: (absolute,
    /// percent, what happens beyond it). See [`OverReceiptTolerance`].
    ///
    /// ```
    /// # use onhand_ledger::{EventKind, Rules};
    /// # use onhand_master::{CurrencyCode, Role};
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?);
    /// use onhand_master::VelocityClass;
    /// use onhand_ledger::OverReceiptAction;
    /// use onhand_master::Decimal;
    /// // None configured: nothing over what was shipped, and a supervisor decides.
    /// let t = rules.over_receipt_tolerance(&"ATL".parse()?, VelocityClass::A);
    /// assert_eq!(t, (Decimal::ZERO, Decimal::ZERO, OverReceiptAction::Hold(Role::Supervisor)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn over_receipt_tolerance(
        &self,
        site: &SiteCode,
        velocity: VelocityClass,
    ) -> (Decimal, Decimal, OverReceiptAction) {
        self.over_receipt
            .iter()
            .find(|t| {
                t.site.as_ref().is_none_or(|s| s == site)
                    && t.velocity.is_none_or(|v| v == velocity)
            })
            .map_or(
                (Decimal::ZERO, Decimal::ZERO, OverReceiptAction::Hold(Role::Supervisor)),
                |t| (t.absolute, t.percent, t.beyond),
            )
    }

    /// The reference cost per base unit of an item (zero when not set).
    ///
    /// ```
    /// # use onhand_ledger::{EventKind, Rules};
    /// # use onhand_master::{CurrencyCode, Role};
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?);
    /// assert_eq!(rules.reference_cost(&"NO-SUCH-ITEM".parse()?), onhand_master::Decimal::ZERO);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn reference_cost(&self, item: &ItemCode) -> Decimal {
        self.reference_costs.get(item).map_or(Decimal::ZERO, |c| c.0)
    }
}

/// A set of roles as a bit mask (one bit per [`Role::ALL`] position).
pub(crate) fn role_mask(roles: &[Role]) -> u8 {
    roles.iter().fold(0, |m, r| m | (1 << (*r as u8)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_rules_check_against_the_demo_catalog() {
        let catalog = Catalog::new(onhand_master::seed::demo_network()).unwrap();
        let rules = Rules::standard(CurrencyCode::new("USD").unwrap());
        rules.check(&catalog).unwrap();
        assert!(rules.may_post(EventKind::Receipt, &[Role::Warehouse]));
        assert!(!rules.may_post(EventKind::Adjustment, &[Role::Warehouse]));
        assert!(
            !rules.may_post(EventKind::Approve, &[Role::Supervisor]),
            "approve is checked per pending"
        );
        assert!(rules.accepts_reason(EventKind::Receipt, &reason("ANY")));
        assert!(!rules.accepts_reason(EventKind::Adjustment, &reason("WHIM")));
    }

    #[test]
    fn rules_round_trip_through_json() {
        let rules = Rules::standard(CurrencyCode::new("EUR").unwrap());
        let json = serde_json::to_string(&rules).unwrap();
        let back: Rules = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rules);
    }
}
