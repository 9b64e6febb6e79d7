//! Rules as data: service levels, escalation ladders, routing, thresholds, priority bands,
//! count-variance recurrence and currency rates. [`Rules`] is the plain, serializable
//! document; [`Rules::validate`] returns every [`Finding`] with a stable code, and the
//! queue is built only from rules without findings (it compiles them into dense per-kind
//! tables once).

use std::fmt;

use onhand_master::{CurrencyCode, EntityCode, Role, SiteCode, VelocityClass};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::ControlError;
use crate::kind::{ExceptionKind, Priority, RoleSet, ServiceClass};

/// How much of the reference currency one unit of `currency` is worth, for ranking and
/// for value bands (not for accounting).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    /// The currency.
    pub currency: CurrencyCode,
    /// Reference-currency units per unit of `currency` (positive).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub rate: Decimal,
}

/// The target times for exceptions of a kind and priority (`None` matches any). The most
/// specific entry applies: kind and priority, then kind, then priority, then neither.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceLevel {
    /// The kind, or any.
    #[serde(default)]
    pub kind: Option<ExceptionKind>,
    /// The priority, or any.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// Minutes from raise to acknowledgement.
    pub acknowledge_minutes: u32,
    /// Minutes from raise to resolution (at least `acknowledge_minutes`).
    pub resolve_minutes: u32,
}

/// One step of an escalation ladder: `after_minutes` after the exception was raised, if
/// it is still active, `role` may act on it too (and sees it in its queue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LadderStep {
    /// Minutes after the raise.
    pub after_minutes: u32,
    /// The role escalated to.
    pub role: Role,
}

/// The escalation ladder of a kind (`None`: the default for kinds without their own).
/// Steps are strictly increasing in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ladder {
    /// The kind, or every kind without its own ladder.
    #[serde(default)]
    pub kind: Option<ExceptionKind>,
    /// The steps, earliest first.
    pub steps: Vec<LadderStep>,
}

/// A routing rule: exceptions matching every non-empty filter go to `role`. Routes are
/// tried in order; the first match wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Kinds matched (empty: any).
    #[serde(default)]
    pub kinds: Vec<ExceptionKind>,
    /// Sites matched (empty: any, including none).
    #[serde(default)]
    pub sites: Vec<SiteCode>,
    /// Entities matched (empty: any, including none).
    #[serde(default)]
    pub entities: Vec<EntityCode>,
    /// Item classes matched (empty: any, including none).
    #[serde(default)]
    pub item_classes: Vec<VelocityClass>,
    /// Value band, in the reference currency: at least this.
    #[serde(with = "onhand_master::decimal::serde_str::option", default)]
    pub min_value: Option<Decimal>,
    /// Value band, in the reference currency: below this.
    #[serde(with = "onhand_master::decimal::serde_str::option", default)]
    pub below_value: Option<Decimal>,
    /// The owner role.
    pub role: Role,
}

impl Route {
    /// A catch-all route for `kinds` to `role`.
    #[must_use]
    pub fn to(role: Role, kinds: impl IntoIterator<Item = ExceptionKind>) -> Route {
        Route {
            kinds: kinds.into_iter().collect(),
            sites: Vec::new(),
            entities: Vec::new(),
            item_classes: Vec::new(),
            min_value: None,
            below_value: None,
            role,
        }
    }

    fn is_catch_all(&self) -> bool {
        self.sites.is_empty()
            && self.entities.is_empty()
            && self.item_classes.is_empty()
            && self.min_value.is_none()
            && self.below_value.is_none()
    }

    fn matches(&self, e: &Routed<'_>) -> bool {
        let kind_ok = self.kinds.is_empty() || self.kinds.contains(&e.kind);
        let site_ok =
            self.sites.is_empty() || e.site.is_some_and(|s| self.sites.iter().any(|x| x == s));
        let entity_ok = self.entities.is_empty()
            || e.entity.is_some_and(|s| self.entities.iter().any(|x| x == s));
        let class_ok = self.item_classes.is_empty()
            || e.item_class.is_some_and(|c| self.item_classes.contains(&c));
        let min_ok = self.min_value.is_none_or(|m| e.value >= m);
        let max_ok = self.below_value.is_none_or(|m| e.value < m);
        kind_ok && site_ok && entity_ok && class_ok && min_ok && max_ok
    }
}

/// Below both figures (each optional), a kind is not raised at all. An active exception
/// is still updated by signals below its threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// The kind.
    pub kind: ExceptionKind,
    /// Raise only at or above this value at risk (reference currency).
    #[serde(with = "onhand_master::decimal::serde_str::option", default)]
    pub min_value: Option<Decimal>,
    /// Raise only at or above this quantity at stake.
    #[serde(with = "onhand_master::decimal::serde_str::option", default)]
    pub min_quantity: Option<Decimal>,
}

/// A value at risk at or above `at_least` (reference currency) has at least `priority`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityBand {
    /// The lower bound of the band.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub at_least: Decimal,
    /// The priority from there up.
    pub priority: Priority,
}

/// When count variances become a recurring variance: `count` variances on the same item
/// and site inside `window_days`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recurrence {
    /// How many (at least 2).
    pub count: u32,
    /// Inside how many days (at least 1).
    pub window_days: u32,
}

/// The control rules: one document, validated like master data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// The currency values are ranked, banded and thresholded in.
    pub reference_currency: CurrencyCode,
    /// Rates of the other currencies to the reference.
    #[serde(default)]
    pub rates: Vec<Rate>,
    /// Service levels.
    pub service_levels: Vec<ServiceLevel>,
    /// Escalation ladders.
    #[serde(default)]
    pub ladders: Vec<Ladder>,
    /// Routes, first match wins.
    pub routes: Vec<Route>,
    /// Thresholds below which kinds are not raised.
    #[serde(default)]
    pub thresholds: Vec<Threshold>,
    /// Priority bands by value at risk (below every band: low).
    #[serde(default)]
    pub priorities: Vec<PriorityBand>,
    /// Count-variance recurrence.
    pub recurrence: Recurrence,
}

/// One finding about the rules. Each names what it is about; [`code`](Self::code) is
/// its stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Finding {
    /// A rate is zero or negative.
    RateNotPositive {
        /// The currency.
        currency: CurrencyCode,
    },
    /// A currency has two rates, or the reference currency has one.
    DuplicateRate {
        /// The currency.
        currency: CurrencyCode,
    },
    /// Two service levels for the same kind and priority.
    DuplicateServiceLevel {
        /// Their kind.
        kind: Option<ExceptionKind>,
        /// Their priority.
        priority: Option<Priority>,
    },
    /// A service level of zero minutes, or to resolve before acknowledging.
    ServiceLevelOrder {
        /// Its kind.
        kind: Option<ExceptionKind>,
        /// Its priority.
        priority: Option<Priority>,
    },
    /// No service level covers a kind at a priority.
    MissingServiceLevel {
        /// The kind.
        kind: ExceptionKind,
        /// The priority.
        priority: Priority,
    },
    /// Two ladders for the same kind (or two defaults).
    DuplicateLadder {
        /// The kind.
        kind: Option<ExceptionKind>,
    },
    /// A ladder with no step, or more than [`MAX_STEPS`].
    LadderLength {
        /// The kind.
        kind: Option<ExceptionKind>,
        /// Its steps.
        steps: usize,
    },
    /// A ladder whose steps are not strictly increasing in time.
    LadderOrder {
        /// The kind.
        kind: Option<ExceptionKind>,
        /// The first step out of order (0-based).
        step: usize,
    },
    /// A route whose value band is empty or negative.
    RouteBand {
        /// The route (0-based).
        route: usize,
    },
    /// A kind with no catch-all route (one filtering on kind only): some of its exceptions
    /// could find no owner.
    Unrouted {
        /// The kind.
        kind: ExceptionKind,
    },
    /// Two thresholds for one kind.
    DuplicateThreshold {
        /// The kind.
        kind: ExceptionKind,
    },
    /// A negative threshold, or one with neither figure.
    ThresholdFigure {
        /// The kind.
        kind: ExceptionKind,
    },
    /// Priority bands not strictly increasing in value with strictly more urgent
    /// priorities, or negative.
    PriorityBandOrder {
        /// The band (0-based).
        band: usize,
    },
    /// A recurrence of fewer than 2 variances or a window of 0 days.
    RecurrenceRange,
}

/// The most steps a ladder may have.
pub const MAX_STEPS: usize = 8;

impl Finding {
    /// The finding's stable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Finding::RateNotPositive { .. } => "rate_not_positive",
            Finding::DuplicateRate { .. } => "duplicate_rate",
            Finding::DuplicateServiceLevel { .. } => "duplicate_service_level",
            Finding::ServiceLevelOrder { .. } => "service_level_order",
            Finding::MissingServiceLevel { .. } => "missing_service_level",
            Finding::DuplicateLadder { .. } => "duplicate_ladder",
            Finding::LadderLength { .. } => "ladder_length",
            Finding::LadderOrder { .. } => "ladder_order",
            Finding::RouteBand { .. } => "route_band",
            Finding::Unrouted { .. } => "unrouted",
            Finding::DuplicateThreshold { .. } => "duplicate_threshold",
            Finding::ThresholdFigure { .. } => "threshold_figure",
            Finding::PriorityBandOrder { .. } => "priority_band_order",
            Finding::RecurrenceRange => "recurrence_range",
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let any = |k: &Option<ExceptionKind>| k.map_or("any kind", ExceptionKind::code);
        match self {
            Finding::RateNotPositive { currency } => {
                write!(f, "rate for {currency} is not positive")
            }
            Finding::DuplicateRate { currency } => {
                write!(f, "{currency} has more than one rate (or is the reference)")
            }
            Finding::DuplicateServiceLevel { kind, priority } => {
                write!(f, "two service levels for {} at {priority:?}", any(kind))
            }
            Finding::ServiceLevelOrder { kind, priority } => write!(
                f,
                "service level for {} at {priority:?} is zero or resolves before it acknowledges",
                any(kind)
            ),
            Finding::MissingServiceLevel { kind, priority } => {
                write!(f, "no service level covers {kind} at {priority:?}")
            }
            Finding::DuplicateLadder { kind } => write!(f, "two ladders for {}", any(kind)),
            Finding::LadderLength { kind, steps } => {
                write!(f, "the ladder for {} has {steps} steps (1 to {MAX_STEPS})", any(kind))
            }
            Finding::LadderOrder { kind, step } => {
                write!(
                    f,
                    "step {step} of the ladder for {} is not later than the one before",
                    any(kind)
                )
            }
            Finding::RouteBand { route } => {
                write!(f, "route {route} has an empty or negative value band")
            }
            Finding::Unrouted { kind } => write!(f, "no catch-all route for {kind}"),
            Finding::DuplicateThreshold { kind } => write!(f, "two thresholds for {kind}"),
            Finding::ThresholdFigure { kind } => {
                write!(f, "the threshold for {kind} is negative or names no figure")
            }
            Finding::PriorityBandOrder { band } => write!(
                f,
                "priority band {band} is negative, not above the band before, or not more urgent"
            ),
            Finding::RecurrenceRange => {
                f.write_str("recurrence needs at least 2 variances in at least 1 day")
            }
        }
    }
}

impl Rules {
    /// Sensible rules for a network valued in `reference`: every kind routed to the role
    /// that acts on it (shortages and overdue purchase receipts to planning, counts and
    /// negative stock to inventory control, quality holds to quality, approvals and
    /// master-data violations to the supervisor, intercompany to finance, transfers to the
    /// warehouse), service levels by priority
    /// (critical: 30 minutes / 4 hours; high: 2 / 24 hours; medium: 8 / 72 hours; low: 24 /
    /// 168 hours), one ladder for all (supervisor after 8 hours, finance after 48), priority
    /// bands at 1,000 / 10,000 / 100,000, and recurrence at 3 variances in 30 days.
    ///
    /// ```
    /// use onhand_control::Rules;
    /// let rules = Rules::standard(onhand_master::CurrencyCode::new("USD")?);
    /// assert!(rules.validate().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn standard(reference: CurrencyCode) -> Rules {
        use ExceptionKind as K;
        let sl = |priority, ack_h: u32, res_h: u32| ServiceLevel {
            kind: None,
            priority: Some(priority),
            acknowledge_minutes: ack_h,
            resolve_minutes: res_h,
        };
        Rules {
            reference_currency: reference,
            rates: Vec::new(),
            service_levels: vec![
                sl(Priority::Critical, 30, 4 * 60),
                sl(Priority::High, 2 * 60, 24 * 60),
                sl(Priority::Medium, 8 * 60, 72 * 60),
                sl(Priority::Low, 24 * 60, 168 * 60),
            ],
            ladders: vec![Ladder {
                kind: None,
                steps: vec![
                    LadderStep { after_minutes: 8 * 60, role: Role::Supervisor },
                    LadderStep { after_minutes: 48 * 60, role: Role::Finance },
                ],
            }],
            routes: vec![
                Route::to(
                    Role::Planning,
                    [K::LineShortOrLate, K::StockoutRisk, K::BelowReorderPoint, K::ReceiptOverdue],
                ),
                Route::to(
                    Role::InventoryControl,
                    [K::CountVariance, K::RecurringCountVariance, K::NegativeStock],
                ),
                Route::to(Role::Quality, [K::QualityHoldOverdue]),
                Route::to(Role::Supervisor, [K::PendingApproval, K::MasterDataViolation]),
                Route::to(Role::Warehouse, [K::TransferOverdue, K::TransferDiscrepancy]),
                Route::to(Role::Finance, [K::IntercompanyMismatch]),
            ],
            thresholds: Vec::new(),
            priorities: vec![
                PriorityBand { at_least: Decimal::from(1_000), priority: Priority::Medium },
                PriorityBand { at_least: Decimal::from(10_000), priority: Priority::High },
                PriorityBand { at_least: Decimal::from(100_000), priority: Priority::Critical },
            ],
            recurrence: Recurrence { count: 3, window_days: 30 },
        }
    }

    /// Every finding, in rule order (rates, service levels, ladders, routes, thresholds,
    /// priority bands, recurrence); empty when the rules are sound.
    ///
    /// ```
    /// use onhand_control::{Finding, Rules};
    /// let mut rules = Rules::standard(onhand_master::CurrencyCode::new("USD")?);
    /// rules.recurrence.count = 1;
    /// assert_eq!(rules.validate(), vec![Finding::RecurrenceRange]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn validate(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut seen_rates = vec![self.reference_currency];
        for r in &self.rates {
            if r.rate <= Decimal::ZERO {
                out.push(Finding::RateNotPositive { currency: r.currency });
            }
            if seen_rates.contains(&r.currency) {
                out.push(Finding::DuplicateRate { currency: r.currency });
            }
            seen_rates.push(r.currency);
        }
        let mut seen = Vec::new();
        for s in &self.service_levels {
            if seen.contains(&(s.kind, s.priority)) {
                out.push(Finding::DuplicateServiceLevel { kind: s.kind, priority: s.priority });
            }
            seen.push((s.kind, s.priority));
            if s.acknowledge_minutes == 0 || s.resolve_minutes < s.acknowledge_minutes {
                out.push(Finding::ServiceLevelOrder { kind: s.kind, priority: s.priority });
            }
        }
        for kind in ExceptionKind::ALL {
            for priority in Priority::ALL {
                if self.service_level(kind, priority).is_none() {
                    out.push(Finding::MissingServiceLevel { kind, priority });
                }
            }
        }
        let mut seen = Vec::new();
        for l in &self.ladders {
            if seen.contains(&l.kind) {
                out.push(Finding::DuplicateLadder { kind: l.kind });
            }
            seen.push(l.kind);
            if l.steps.is_empty() || l.steps.len() > MAX_STEPS {
                out.push(Finding::LadderLength { kind: l.kind, steps: l.steps.len() });
            }
            let mut later = l.steps.iter().zip(l.steps.iter().skip(1));
            if let Some(step) = later.position(|(a, b)| b.after_minutes <= a.after_minutes) {
                out.push(Finding::LadderOrder { kind: l.kind, step: step + 1 });
            }
        }
        for (i, r) in self.routes.iter().enumerate() {
            let negative = r.min_value.is_some_and(|v| v < Decimal::ZERO)
                || r.below_value.is_some_and(|v| v <= Decimal::ZERO);
            let empty = matches!((r.min_value, r.below_value), (Some(a), Some(b)) if b <= a);
            if negative || empty {
                out.push(Finding::RouteBand { route: i });
            }
        }
        for kind in ExceptionKind::ALL {
            let routed = self
                .routes
                .iter()
                .any(|r| r.is_catch_all() && (r.kinds.is_empty() || r.kinds.contains(&kind)));
            if !routed {
                out.push(Finding::Unrouted { kind });
            }
        }
        let mut seen = Vec::new();
        for t in &self.thresholds {
            if seen.contains(&t.kind) {
                out.push(Finding::DuplicateThreshold { kind: t.kind });
            }
            seen.push(t.kind);
            let negative = t.min_value.is_some_and(|v| v < Decimal::ZERO)
                || t.min_quantity.is_some_and(|v| v < Decimal::ZERO);
            if negative || (t.min_value.is_none() && t.min_quantity.is_none()) {
                out.push(Finding::ThresholdFigure { kind: t.kind });
            }
        }
        for (i, b) in self.priorities.iter().enumerate() {
            let before = i.checked_sub(1).and_then(|j| self.priorities.get(j));
            let out_of_order =
                before.is_some_and(|p| b.at_least <= p.at_least || b.priority >= p.priority);
            if b.at_least < Decimal::ZERO || out_of_order {
                out.push(Finding::PriorityBandOrder { band: i });
            }
        }
        if self.recurrence.count < 2 || self.recurrence.window_days == 0 {
            out.push(Finding::RecurrenceRange);
        }
        out
    }

    /// The service level that applies to `kind` at `priority` (the most specific).
    #[must_use]
    pub fn service_level(&self, kind: ExceptionKind, priority: Priority) -> Option<&ServiceLevel> {
        let find = |k: Option<ExceptionKind>, p: Option<Priority>| {
            self.service_levels.iter().find(|s| s.kind == k && s.priority == p)
        };
        find(Some(kind), Some(priority))
            .or_else(|| find(Some(kind), None))
            .or_else(|| find(None, Some(priority)))
            .or_else(|| find(None, None))
    }
}

/// What routing looks at.
pub(crate) struct Routed<'a> {
    pub(crate) kind: ExceptionKind,
    pub(crate) site: Option<&'a SiteCode>,
    pub(crate) entity: Option<&'a EntityCode>,
    pub(crate) item_class: Option<VelocityClass>,
    /// Value at risk in the reference currency.
    pub(crate) value: Decimal,
}

/// How many kinds there are: the length of the per-kind tables.
const KINDS: usize = ExceptionKind::ALL.len();

/// Rules compiled into dense tables: service levels per kind and priority in seconds,
/// ladders per kind in seconds, thresholds per kind.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub(crate) source: Rules,
    /// `[kind][priority]` -> (acknowledge, resolve) seconds.
    sla: [[(i64, i64); Priority::ALL.len()]; KINDS],
    /// Per kind: (seconds after raise, role).
    ladders: [Vec<(i64, Role)>; KINDS],
    /// Per kind: (minimum value, minimum quantity).
    thresholds: [(Option<Bound>, Option<Decimal>); KINDS],
    /// The priority bands, highest bound last (as in the rules).
    bands: Vec<(Bound, Priority)>,
    /// Reference minor units per unit of value, per currency (the reference: its own).
    minor: u32,
}

/// A reference value with its whole minor units, computed once per signal so the
/// comparisons against the rules' bounds are integer ones whenever that is exact.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Amount {
    /// The value.
    pub(crate) value: Decimal,
    /// Its minor units (rounded half away from zero).
    pub(crate) minor: i64,
    /// Whether `minor` is exact (the value has no more decimals than the minor unit).
    exact: bool,
}

/// A bound of the rules on a reference value, with the least whole number of minor
/// units at or above it (when that fits an `i64`): an exact amount is at or above the
/// bound exactly when its minor units are at or above that number.
#[derive(Debug, Clone, Copy)]
struct Bound {
    value: Decimal,
    ceil: Option<i64>,
}

impl Bound {
    fn new(value: Decimal, minor: u32) -> Bound {
        Bound { value, ceil: ceil_minor_units(value, minor) }
    }

    /// Whether `amount` is at or above the bound.
    fn reached_by(&self, amount: &Amount) -> bool {
        match self.ceil {
            Some(ceil) if amount.exact => amount.minor >= ceil,
            _ => amount.value >= self.value,
        }
    }
}

impl Compiled {
    /// Compiles sound rules.
    pub(crate) fn new(rules: Rules) -> Result<Compiled, ControlError> {
        let findings = rules.validate();
        if !findings.is_empty() {
            return Err(ControlError::InvalidRules { findings });
        }
        let mut sla = [[(0, 0); Priority::ALL.len()]; KINDS];
        let mut ladders: [Vec<(i64, Role)>; KINDS] = Default::default();
        let minor = rules.reference_currency.minor_units();
        let mut thresholds = [(None, None); KINDS];
        for kind in ExceptionKind::ALL {
            let k = kind.index();
            for priority in Priority::ALL {
                let s = rules
                    .service_level(kind, priority)
                    .ok_or(ControlError::InvalidRules { findings: Vec::new() })?;
                if let Some(cell) = sla.get_mut(k).and_then(|row| row.get_mut(priority.index())) {
                    *cell =
                        (i64::from(s.acknowledge_minutes) * 60, i64::from(s.resolve_minutes) * 60);
                }
            }
            let ladder = rules
                .ladders
                .iter()
                .find(|l| l.kind == Some(kind))
                .or_else(|| rules.ladders.iter().find(|l| l.kind.is_none()));
            if let (Some(l), Some(cell)) = (ladder, ladders.get_mut(k)) {
                *cell = l.steps.iter().map(|s| (i64::from(s.after_minutes) * 60, s.role)).collect();
            }
            if let (Some(t), Some(cell)) =
                (rules.thresholds.iter().find(|t| t.kind == kind), thresholds.get_mut(k))
            {
                *cell = (t.min_value.map(|v| Bound::new(v, minor)), t.min_quantity);
            }
        }
        let bands =
            rules.priorities.iter().map(|b| (Bound::new(b.at_least, minor), b.priority)).collect();
        Ok(Compiled { source: rules, sla, ladders, thresholds, bands, minor })
    }

    /// `value` in `currency` converted to the reference currency.
    pub(crate) fn to_reference(
        &self,
        value: Decimal,
        currency: CurrencyCode,
    ) -> Result<Decimal, ControlError> {
        if currency == self.source.reference_currency {
            return Ok(value);
        }
        let rate = self
            .source
            .rates
            .iter()
            .find(|r| r.currency == currency)
            .ok_or(ControlError::UnknownCurrency { currency })?;
        value.checked_mul(rate.rate).ok_or(ControlError::ValueTooLarge { value })
    }

    /// A reference value in whole minor units (rounded half away from zero), for
    /// ranking. Integer arithmetic on the mantissa: the value is `m / 10^scale`, so the
    /// minor units are `m * 10^(minor - scale)`, or `m / 10^(scale - minor)` rounded.
    pub(crate) fn minor_units(&self, reference: Decimal) -> Result<i64, ControlError> {
        minor_units(reference, self.minor).ok_or(ControlError::ValueTooLarge { value: reference })
    }

    /// A reference value with its minor units, for ranking and for comparing against
    /// the rules' bounds.
    pub(crate) fn amount(&self, reference: Decimal) -> Result<Amount, ControlError> {
        Ok(Amount {
            value: reference,
            minor: self.minor_units(reference)?,
            exact: reference.scale() <= self.minor,
        })
    }

    /// The priority of a reference value for a service class.
    pub(crate) fn priority(&self, reference: &Amount, class: ServiceClass) -> Priority {
        let base = self
            .bands
            .iter()
            .rev()
            .find(|(b, _)| b.reached_by(reference))
            .map_or(Priority::Low, |(_, p)| *p);
        match class {
            ServiceClass::Key => base.raised(),
            ServiceClass::Standard | ServiceClass::Economy => base,
        }
    }

    /// Whether a new exception is below its kind's threshold.
    pub(crate) fn below_threshold(
        &self,
        kind: ExceptionKind,
        reference: &Amount,
        quantity: Decimal,
    ) -> bool {
        // Tables are sized by `ExceptionKind::ALL` and `Priority::ALL`; `index` is below.
        let (value, qty) = self.thresholds[kind.index()];
        let value_below = value.is_none_or(|v| !v.reached_by(reference));
        let qty_below = qty.is_none_or(|q| quantity < q);
        (value.is_some() || qty.is_some()) && value_below && qty_below
    }

    /// (acknowledge, resolve) seconds for a kind and priority.
    pub(crate) fn sla(&self, kind: ExceptionKind, priority: Priority) -> (i64, i64) {
        self.sla[kind.index()][priority.index()]
    }

    /// The ladder of a kind: (seconds after raise, role), earliest first.
    pub(crate) fn ladder(&self, kind: ExceptionKind) -> &[(i64, Role)] {
        &self.ladders[kind.index()]
    }

    /// The owner role: the first route that matches.
    pub(crate) fn route(&self, e: &Routed<'_>) -> Result<Role, ControlError> {
        self.source
            .routes
            .iter()
            .find(|r| r.matches(e))
            .map(|r| r.role)
            .ok_or(ControlError::NoRoute { kind: e.kind })
    }

    /// Every role that appears in a ladder of `kind` (for tests and views).
    #[allow(dead_code, reason = "used by tests only")]
    pub(crate) fn ladder_roles(&self, kind: ExceptionKind) -> RoleSet {
        self.ladder(kind).iter().map(|(_, r)| *r).collect()
    }
}

/// The least whole number of units of `10^-minor` at or above `value`; `None` beyond
/// `i64`.
fn ceil_minor_units(value: Decimal, minor: u32) -> Option<i64> {
    let m = value.mantissa();
    let scale = value.scale();
    let units = if scale <= minor {
        m.checked_mul(10_i128.checked_pow(minor - scale)?)?
    } else {
        let d = 10_i128.checked_pow(scale - minor)?;
        // Division truncates toward zero: up for a negative value, down for a positive.
        let (q, r) = (m / d, m % d);
        if r > 0 { q + 1 } else { q }
    };
    i64::try_from(units).ok()
}

/// `value` in units of `10^-minor`, rounded half away from zero; `None` beyond `i64`.
fn minor_units(value: Decimal, minor: u32) -> Option<i64> {
    let m = value.mantissa();
    let scale = value.scale();
    let units = match scale.cmp(&minor) {
        // The common case (a value with exactly the currency's decimals): no scaling.
        std::cmp::Ordering::Equal => m,
        std::cmp::Ordering::Less => m.checked_mul(10_i128.checked_pow(minor - scale)?)?,
        std::cmp::Ordering::Greater => {
            // A Decimal's scale is at most 28, so 10^(scale - minor) fits an i128.
            let d = 10_i128.checked_pow(scale - minor)?;
            let (q, r) = (m / d, m % d);
            if r.unsigned_abs() * 2 >= d.unsigned_abs() { q + m.signum() } else { q }
        }
    };
    i64::try_from(units).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference definition `minor_units` must agree with.
    fn minor_units_by_decimal(value: Decimal, minor: u32) -> Option<i64> {
        use rust_decimal::prelude::ToPrimitive;
        value
            .checked_mul(Decimal::from(10_i64.pow(minor)))
            .map(|d| {
                d.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
            })
            .and_then(|d| d.to_i64())
    }

    proptest::proptest! {
        #[test]
        fn minor_units_agree_with_decimal_rounding(
            lo in proptest::prelude::any::<u64>(),
            hi in 0u32..u32::MAX,
            negative in proptest::prelude::any::<bool>(),
            scale in 0u32..=28,
            minor in 0u32..=4,
        ) {
            let value = Decimal::from_parts(
                u32::try_from(lo & 0xffff_ffff).unwrap(),
                u32::try_from(lo >> 32).unwrap(),
                hi % 3,
                negative,
                scale,
            );
            proptest::prop_assert_eq!(minor_units(value, minor), minor_units_by_decimal(value, minor));
        }
    }

    proptest::proptest! {
        /// Comparing an amount with a bound through minor units agrees with comparing
        /// the decimals, for amounts with few decimals (exact) and many (not).
        #[test]
        fn bounds_compare_as_decimals(
            value in -1_000_000_000_i64..1_000_000_000,
            value_scale in 0u32..=4,
            bound in -1_000_000_000_i64..1_000_000_000,
            bound_scale in 0u32..=4,
            near in proptest::prelude::any::<bool>(),
        ) {
            let b = Decimal::new(bound, bound_scale);
            // Half the cases: the value a hair off the bound.
            let v = if near { b + Decimal::new(value % 3 - 1, 4) } else { Decimal::new(value, value_scale) };
            let rules = Compiled::new(Rules::standard(usd())).unwrap();
            let amount = rules.amount(v).unwrap();
            proptest::prop_assert_eq!(Bound::new(b, rules.minor).reached_by(&amount), v >= b, "{} {}", v, b);
        }
    }

    #[test]
    fn minor_units_round_half_away_from_zero_and_refuse_beyond_i64() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        for (value, minor, expected) in [
            ("12.345", 2, Some(1235)),
            ("-12.345", 2, Some(-1235)),
            ("12.344", 2, Some(1234)),
            ("0.005", 2, Some(1)),
            ("7", 2, Some(700)),
            ("92233720368547758.07", 2, Some(i64::MAX)),
            ("92233720368547758.08", 2, None),
            ("79228162514264337593543950335", 2, None),
        ] {
            assert_eq!(minor_units(d(value), minor), expected, "{value}");
            assert_eq!(minor_units_by_decimal(d(value), minor), expected, "{value}");
        }
    }

    fn usd() -> CurrencyCode {
        CurrencyCode::new("USD").unwrap()
    }

    fn check(edit: impl FnOnce(&mut Rules), expected: &[&str]) {
        let mut rules = Rules::standard(usd());
        edit(&mut rules);
        let codes: Vec<_> = rules.validate().iter().map(Finding::code).collect();
        assert_eq!(codes, expected);
    }

    #[test]
    fn findings_name_what_is_wrong() {
        check(|_| {}, &[]);
        check(|r| r.rates.push(Rate { currency: usd(), rate: Decimal::ONE }), &["duplicate_rate"]);
        check(
            |r| {
                r.rates.push(Rate {
                    currency: CurrencyCode::new("CAD").unwrap(),
                    rate: Decimal::ZERO,
                });
            },
            &["rate_not_positive"],
        );
        check(|r| r.service_levels[0].resolve_minutes = 1, &["service_level_order"]);
        check(
            |r| {
                r.service_levels.remove(3);
            },
            &["missing_service_level"; 13],
        );
        check(
            |r| {
                let dup = r.service_levels[0].clone();
                r.service_levels.push(dup);
            },
            &["duplicate_service_level"],
        );
        check(|r| r.ladders[0].steps[1].after_minutes = 60, &["ladder_order"]);
        check(|r| r.ladders[0].steps.clear(), &["ladder_length"]);
        check(
            |r| {
                let dup = r.ladders[0].clone();
                r.ladders.push(dup);
            },
            &["duplicate_ladder"],
        );
        check(
            |r| {
                r.routes[0].min_value = Some(Decimal::TEN);
                r.routes[0].below_value = Some(Decimal::ONE);
            },
            &["route_band", "unrouted", "unrouted", "unrouted", "unrouted"],
        );
        check(
            |r| {
                r.thresholds.push(Threshold {
                    kind: ExceptionKind::StockoutRisk,
                    min_value: None,
                    min_quantity: None,
                });
            },
            &["threshold_figure"],
        );
        check(|r| r.priorities.swap(0, 1), &["priority_band_order"]);
        check(|r| r.recurrence.window_days = 0, &["recurrence_range"]);
    }

    #[test]
    fn rules_round_trip_through_serde() {
        let rules = Rules::standard(usd());
        let json = serde_json::to_string(&rules).unwrap();
        assert_eq!(serde_json::from_str::<Rules>(&json).unwrap(), rules);
    }

    #[test]
    fn the_most_specific_service_level_applies() {
        let mut rules = Rules::standard(usd());
        rules.service_levels.push(ServiceLevel {
            kind: Some(ExceptionKind::StockoutRisk),
            priority: None,
            acknowledge_minutes: 5,
            resolve_minutes: 10,
        });
        let c = Compiled::new(rules).unwrap();
        assert_eq!(c.sla(ExceptionKind::StockoutRisk, Priority::Low), (300, 600));
        assert_eq!(c.sla(ExceptionKind::CountVariance, Priority::Low), (24 * 3600, 168 * 3600));
        assert_eq!(
            c.ladder_roles(ExceptionKind::CountVariance),
            [Role::Supervisor, Role::Finance].into_iter().collect()
        );
    }
}
