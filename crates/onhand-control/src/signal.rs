//! The inputs the queue takes: a [`Signal`] raises or updates an exception, a
//! [`Clearance`] resolves one because its cause is gone. Both are plain values, built from
//! codes, quantities, money and times, so a host translates whatever its engines report
//! into them without depending on this crate's internals.

use chrono::{DateTime, Utc};
use onhand_ledger::{ActorId, DocNumber, EventId};
use onhand_master::{
    CurrencyCode, EntityCode, ItemCode, LotCode, Role, SiteCode, VelocityClass, business_code,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::ControlError;
use crate::kind::{ExceptionKind, RoleSet, ServiceClass};

business_code!(
    /// A reference code an exception names that onhand has no type for: a master-data
    /// violation's code (`unit_without_conversion`) or the record it names (`ITEM/BOLT-1`).
    RefCode, "reference code", 64, ControlError,
    |kind, value, _rule| ControlError::InvalidCode { kind, value }
);

/// What an exception is about. With the kind, it is the exception's dedup key: a second
/// signal of the same kind about the same subject updates the active exception instead of
/// opening another.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Subject {
    /// One order line.
    Line {
        /// The sales order.
        order: DocNumber,
        /// The line number.
        line: u32,
    },
    /// An item at a site (optionally one lot of it).
    ItemSite {
        /// The item.
        item: ItemCode,
        /// The site.
        site: SiteCode,
        /// The lot, when the exception is about one lot.
        #[serde(default)]
        lot: Option<LotCode>,
    },
    /// A ledger event.
    Event {
        /// The event.
        event: EventId,
    },
    /// A transfer order (optionally one item on it).
    Transfer {
        /// The transfer order.
        transfer: DocNumber,
        /// The item, when the exception is about one item on it.
        #[serde(default)]
        item: Option<ItemCode>,
    },
    /// An expected receipt (a purchase order).
    Receipt {
        /// The purchase order.
        order: DocNumber,
    },
    /// A pair of legal entities trading with each other.
    Entities {
        /// The seller (holds the receivable).
        seller: EntityCode,
        /// The buyer (holds the payable).
        buyer: EntityCode,
    },
    /// A master-data record.
    Record {
        /// The violation's stable code.
        violation: RefCode,
        /// The record it names.
        record: RefCode,
    },
}

impl Subject {
    /// The subject's shape, as named in errors (`line`, `item_site`, ...).
    #[must_use]
    pub fn shape(&self) -> &'static str {
        match self {
            Subject::Line { .. } => "line",
            Subject::ItemSite { .. } => "item_site",
            Subject::Event { .. } => "event",
            Subject::Transfer { .. } => "transfer",
            Subject::Receipt { .. } => "receipt",
            Subject::Entities { .. } => "entities",
            Subject::Record { .. } => "record",
        }
    }

    /// The site the subject names itself, if any.
    #[must_use]
    pub fn site(&self) -> Option<&SiteCode> {
        match self {
            Subject::ItemSite { site, .. } => Some(site),
            Subject::Line { .. }
            | Subject::Event { .. }
            | Subject::Transfer { .. }
            | Subject::Receipt { .. }
            | Subject::Entities { .. }
            | Subject::Record { .. } => None,
        }
    }

    /// The item the subject names itself, if any.
    #[must_use]
    pub fn item(&self) -> Option<&ItemCode> {
        match self {
            Subject::ItemSite { item, .. } => Some(item),
            Subject::Transfer { item, .. } => item.as_ref(),
            Subject::Line { .. }
            | Subject::Event { .. }
            | Subject::Receipt { .. }
            | Subject::Entities { .. }
            | Subject::Record { .. } => None,
        }
    }
}

/// Whether a kind may be about a subject of this shape (the table in
/// [`ExceptionKind`]'s docs).
#[must_use]
pub fn kind_accepts(kind: ExceptionKind, subject: &Subject) -> bool {
    match kind {
        ExceptionKind::LineShortOrLate => matches!(subject, Subject::Line { .. }),
        ExceptionKind::StockoutRisk
        | ExceptionKind::BelowReorderPoint
        | ExceptionKind::CountVariance
        | ExceptionKind::RecurringCountVariance
        | ExceptionKind::QualityHoldOverdue
        | ExceptionKind::NegativeStock => matches!(subject, Subject::ItemSite { .. }),
        ExceptionKind::PendingApproval => matches!(subject, Subject::Event { .. }),
        ExceptionKind::TransferOverdue | ExceptionKind::TransferDiscrepancy => {
            matches!(subject, Subject::Transfer { .. })
        }
        ExceptionKind::ReceiptOverdue => matches!(subject, Subject::Receipt { .. }),
        ExceptionKind::IntercompanyMismatch => matches!(subject, Subject::Entities { .. }),
        ExceptionKind::MasterDataViolation => matches!(subject, Subject::Record { .. }),
    }
}

/// What is at stake. Every figure is non-negative; the value is in the currency of the
/// entity that carries it and is converted to the rules' reference currency for ranking,
/// routing, thresholds and priority.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Impact {
    /// Value at risk, in `currency`.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub value: Decimal,
    /// The currency of `value` (the entity's).
    pub currency: CurrencyCode,
    /// Order lines affected.
    #[serde(default)]
    pub order_lines: u32,
    /// Customers affected.
    #[serde(default)]
    pub customers: u32,
    /// The service class of the demand at stake.
    #[serde(default)]
    pub service_class: ServiceClass,
    /// Quantity at stake, in the item's base unit (short, variance, held, overdue).
    #[serde(with = "onhand_master::decimal::serde_str", default)]
    pub quantity: Decimal,
    /// Days of supply left, where that means something.
    #[serde(with = "onhand_master::decimal::serde_str::option", default)]
    pub days_of_supply: Option<Decimal>,
}

impl Impact {
    /// `value` in `currency` at risk, nothing else known yet.
    #[must_use]
    pub fn value(value: Decimal, currency: CurrencyCode) -> Impact {
        Impact {
            value,
            currency,
            order_lines: 0,
            customers: 0,
            service_class: ServiceClass::Standard,
            quantity: Decimal::ZERO,
            days_of_supply: None,
        }
    }

    /// With `lines` order lines of `customers` customers in `class` affected.
    #[must_use]
    pub fn lines(mut self, lines: u32, customers: u32, class: ServiceClass) -> Impact {
        self.order_lines = lines;
        self.customers = customers;
        self.service_class = class;
        self
    }

    /// With `quantity` at stake.
    #[must_use]
    pub fn quantity(mut self, quantity: Decimal) -> Impact {
        self.quantity = quantity;
        self
    }

    /// With `days` of supply left.
    #[must_use]
    pub fn days_of_supply(mut self, days: Decimal) -> Impact {
        self.days_of_supply = Some(days);
        self
    }

    /// Refuses negative figures.
    pub(crate) fn check(&self) -> Result<(), ControlError> {
        let negative = |field: &'static str, v: Decimal| {
            if v.is_sign_negative() && !v.is_zero() {
                Err(ControlError::NegativeImpact { field, value: v })
            } else {
                Ok(())
            }
        };
        negative("value", self.value)?;
        negative("quantity", self.quantity)?;
        if let Some(d) = self.days_of_supply {
            negative("days_of_supply", d)?;
        }
        Ok(())
    }
}

/// An event held for approval: who posted it and which roles must still approve it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hold {
    /// Who posted the event (never its approver).
    pub poster: ActorId,
    /// The roles whose approval it still needs (the ledger's `needs`).
    pub needs: RoleSet,
}

impl Hold {
    /// A hold of an event posted by `poster` that needs `needs`.
    #[must_use]
    pub fn new(poster: ActorId, needs: impl IntoIterator<Item = Role>) -> Hold {
        Hold { poster, needs: needs.into_iter().collect() }
    }
}

/// Something went wrong, with what is at stake: raises an exception, or updates the
/// active one of the same kind and subject.
///
/// ```
/// use onhand_control::{ExceptionKind, Impact, Signal, Subject};
/// use onhand_master::{CurrencyCode, ItemCode, SiteCode};
/// use chrono::{TimeZone, Utc};
/// use rust_decimal::Decimal;
///
/// let at = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
/// let subject = Subject::ItemSite {
///     item: ItemCode::new("BOLT-M8")?, site: SiteCode::new("DC-EAST")?, lot: None,
/// };
/// let impact = Impact::value(Decimal::new(1250, 0), CurrencyCode::new("USD")?)
///     .quantity(Decimal::from(400));
/// let signal = Signal::new(ExceptionKind::StockoutRisk, subject, at, impact);
/// assert_eq!(signal.site().map(|s| s.as_str()), Some("DC-EAST"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signal {
    /// What is wrong.
    pub kind: ExceptionKind,
    /// What it is about.
    pub subject: Subject,
    /// When it was observed.
    pub at: DateTime<Utc>,
    /// What is at stake.
    pub impact: Impact,
    /// The site it concerns, when the subject does not name one (a line's shipping
    /// site, a transfer's receiving site). Equal to the subject's site if both are given.
    #[serde(default)]
    pub site: Option<SiteCode>,
    /// The legal entity that carries the value.
    #[serde(default)]
    pub entity: Option<EntityCode>,
    /// The item, when the subject does not name one.
    #[serde(default)]
    pub item: Option<ItemCode>,
    /// The item's class, for routing.
    #[serde(default)]
    pub item_class: Option<VelocityClass>,
    /// For [`ExceptionKind::PendingApproval`] (and only it): the hold.
    #[serde(default)]
    pub hold: Option<Hold>,
}

impl Signal {
    /// A signal of `kind` about `subject` observed `at`, with `impact`.
    #[must_use]
    pub fn new(kind: ExceptionKind, subject: Subject, at: DateTime<Utc>, impact: Impact) -> Signal {
        Signal {
            kind,
            subject,
            at,
            impact,
            site: None,
            entity: None,
            item: None,
            item_class: None,
            hold: None,
        }
    }

    /// With the site it concerns.
    #[must_use]
    pub fn at_site(mut self, site: SiteCode) -> Signal {
        self.site = Some(site);
        self
    }

    /// With the entity that carries the value.
    #[must_use]
    pub fn for_entity(mut self, entity: EntityCode) -> Signal {
        self.entity = Some(entity);
        self
    }

    /// With the item (when the subject does not name one).
    #[must_use]
    pub fn for_item(mut self, item: ItemCode) -> Signal {
        self.item = Some(item);
        self
    }

    /// With the item's class.
    #[must_use]
    pub fn item_class(mut self, class: VelocityClass) -> Signal {
        self.item_class = Some(class);
        self
    }

    /// With the hold of a pending event.
    #[must_use]
    pub fn held(mut self, hold: Hold) -> Signal {
        self.hold = Some(hold);
        self
    }

    /// An event held for approval: `event`, posted by `poster` at `site`, needs `needs`.
    #[must_use]
    pub fn pending_approval(
        event: EventId,
        hold: Hold,
        site: SiteCode,
        at: DateTime<Utc>,
        impact: Impact,
    ) -> Signal {
        Signal::new(ExceptionKind::PendingApproval, Subject::Event { event }, at, impact)
            .at_site(site)
            .held(hold)
    }

    /// The pending approval of a ledger `event` the ledger held, needing `needs`: the
    /// poster is the event's actor, the time its recorded time, the site the one its
    /// body acts at (a movement's or count's site, a transfer request's shipping site;
    /// none for other bodies, which makes the exception network-wide).
    #[must_use]
    pub fn held_event(
        event: &onhand_ledger::Event,
        needs: impl IntoIterator<Item = Role>,
        impact: Impact,
    ) -> Signal {
        use onhand_ledger::Body;
        let site = event.body.movement().map(|m| &m.site).or(match &event.body {
            Body::CycleCount(c) => Some(&c.site),
            Body::TransferRequest(t) => Some(&t.from),
            _ => None,
        });
        let mut signal = Signal::new(
            ExceptionKind::PendingApproval,
            Subject::Event { event: event.id },
            event.recorded_at,
            impact,
        )
        .held(Hold::new(event.actor.id.clone(), needs));
        signal.site = site.cloned();
        signal
    }

    /// The site the exception is scoped to: the subject's, else the signal's.
    #[must_use]
    pub fn site(&self) -> Option<&SiteCode> {
        self.subject.site().or(self.site.as_ref())
    }

    /// The item: the subject's, else the signal's.
    #[must_use]
    pub fn item_code(&self) -> Option<&ItemCode> {
        self.subject.item().or(self.item.as_ref())
    }

    /// Checks the signal's shape: the subject fits the kind, the sites agree, a hold comes
    /// with (and only with) a pending approval, figures are non-negative.
    pub(crate) fn check(&self) -> Result<(), ControlError> {
        if !kind_accepts(self.kind, &self.subject) {
            return Err(ControlError::SubjectMismatch {
                kind: self.kind,
                subject: self.subject.shape(),
            });
        }
        if let (Some(own), Some(given)) = (self.subject.site(), &self.site)
            && own != given
        {
            return Err(ControlError::SiteMismatch { subject: own.clone(), signal: given.clone() });
        }
        match (self.kind == ExceptionKind::PendingApproval, &self.hold) {
            (true, None) => return Err(ControlError::MissingHold),
            (false, Some(_)) => return Err(ControlError::UnexpectedHold { kind: self.kind }),
            (true, Some(hold)) if hold.needs.is_empty() => {
                return Err(ControlError::MissingHold);
            }
            _ => {}
        }
        self.impact.check()
    }
}

/// Why an exception resolved itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClearReason {
    /// Stock arrived (receipt, transfer, found stock).
    StockArrived,
    /// The line was re-promised in full and on time, or shipped.
    Fulfilled,
    /// A recount agreed with the book.
    Recounted,
    /// The stock was released from hold (or disposed of).
    Released,
    /// The pending event was approved.
    Approved,
    /// The pending event was rejected or withdrawn.
    Rejected,
    /// The transfer or receipt arrived or was closed.
    Received,
    /// The books reconcile.
    Reconciled,
    /// The master data was corrected.
    Corrected,
    /// The recommendation was decided (released or dismissed).
    Decided,
}

/// The cause of an exception is gone: resolves the active exception of `kind` about
/// `subject`, if there is one, with `reason`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clearance {
    /// The kind cleared.
    pub kind: ExceptionKind,
    /// What it was about.
    pub subject: Subject,
    /// When.
    pub at: DateTime<Utc>,
    /// Why.
    pub reason: ClearReason,
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn usd() -> CurrencyCode {
        CurrencyCode::new("USD").unwrap()
    }

    #[test]
    fn a_subject_of_the_wrong_shape_is_refused() {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let s = Signal::new(
            ExceptionKind::StockoutRisk,
            Subject::Receipt { order: DocNumber::new("PO-1").unwrap() },
            at,
            Impact::value(Decimal::ONE, usd()),
        );
        assert_eq!(
            s.check(),
            Err(ControlError::SubjectMismatch {
                kind: ExceptionKind::StockoutRisk,
                subject: "receipt"
            })
        );
    }

    #[test]
    fn negative_figures_and_disagreeing_sites_are_refused() {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let subject = Subject::ItemSite {
            item: ItemCode::new("A").unwrap(),
            site: SiteCode::new("S1").unwrap(),
            lot: None,
        };
        let s = Signal::new(
            ExceptionKind::StockoutRisk,
            subject.clone(),
            at,
            Impact::value(Decimal::ONE, usd()).quantity(Decimal::NEGATIVE_ONE),
        );
        assert_eq!(
            s.check(),
            Err(ControlError::NegativeImpact { field: "quantity", value: Decimal::NEGATIVE_ONE })
        );
        let s = Signal::new(
            ExceptionKind::StockoutRisk,
            subject,
            at,
            Impact::value(Decimal::ONE, usd()),
        )
        .at_site(SiteCode::new("S2").unwrap());
        assert!(matches!(s.check(), Err(ControlError::SiteMismatch { .. })));
    }

    #[test]
    fn signals_read_from_plain_json() {
        let json = r#"{
            "kind": "pending_approval",
            "subject": {"event": {"event": "00000000-0000-0000-0000-000000000007"}},
            "at": "2026-03-02T11:00:00Z",
            "impact": {"value": "2500.00", "currency": "USD", "quantity": 40},
            "site": "YYZ",
            "hold": {"poster": "clerk", "needs": ["supervisor"]}
        }"#;
        let s: Signal = serde_json::from_str(json).unwrap();
        assert_eq!(s.check(), Ok(()));
        assert_eq!(s.impact.value, Decimal::new(250_000, 2));
        assert_eq!(s.hold.as_ref().unwrap().needs, RoleSet::one(Role::Supervisor));
        let back: Signal = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
        let float = json.replace("\"2500.00\"", "2500.0");
        assert!(serde_json::from_str::<Signal>(&float).is_err(), "floats are refused");
    }

    #[test]
    fn every_kind_accepts_exactly_one_shape() {
        let samples = [
            Subject::Line { order: DocNumber::new("SO-1").unwrap(), line: 1 },
            Subject::ItemSite {
                item: ItemCode::new("A").unwrap(),
                site: SiteCode::new("S").unwrap(),
                lot: None,
            },
            Subject::Event { event: EventId::from_u128(1) },
            Subject::Transfer { transfer: DocNumber::new("TO-1").unwrap(), item: None },
            Subject::Receipt { order: DocNumber::new("PO-1").unwrap() },
            Subject::Entities {
                seller: EntityCode::new("US01").unwrap(),
                buyer: EntityCode::new("CA01").unwrap(),
            },
            Subject::Record {
                violation: RefCode::new("dup").unwrap(),
                record: RefCode::new("ITEM/A").unwrap(),
            },
        ];
        for kind in ExceptionKind::ALL {
            let n = samples.iter().filter(|s| kind_accepts(kind, s)).count();
            assert_eq!(n, 1, "{kind}");
        }
    }
}
