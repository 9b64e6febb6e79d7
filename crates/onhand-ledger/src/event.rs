//! Inventory events: what a caller submits to the ledger.
//!
//! Every stock change is an [`Event`]: a caller-minted id, an effective (business) time
//! and a recorded time, the [`Actor`] posting it, a [`ReasonCode`], the [`DocumentRef`]
//! it belongs to, and a [`Body`] saying what happened. Stock movements carry
//! [`Line`]s; each line moves a quantity of one item from a place and status to another
//! (`None` standing for outside the network, as in the status crate's transition
//! table), so a receipt is outside → receiving, a pick available → picked, a loss
//! adjustment available → outside.
//!
//! Events use business codes, not catalog handles: they arrive from other systems and
//! are checked against the catalog on the way in.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use onhand_master::{BinCode, EntityCode, ItemCode, LotCode, Money, Qty, Role, SerialNo, SiteCode};
use onhand_status::StockStatus;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::LedgerError;
use crate::journal::Digest;

/// A caller-minted event id (a UUID; v7 keeps them time-ordered, but any version works).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(pub Uuid);

impl EventId {
    /// The id from its 128-bit value (handy in tests: `EventId::from_u128(1)`).
    ///
    /// ```
    /// use onhand_ledger::EventId;
    /// assert_eq!(EventId::from_u128(1).to_string(), "00000000-0000-0000-0000-000000000001");
    /// assert_ne!(EventId::from_u128(1), EventId::from_u128(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub const fn from_u128(v: u128) -> Self {
        EventId(Uuid::from_u128(v))
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A ledger code: a business code of 1 to 64 bytes (master's one rule and
/// representation), refused as [`LedgerError::InvalidCode`].
macro_rules! text_code {
    ($(#[$meta:meta])* $name:ident, $kind:literal) => {
        onhand_master::business_code!(
            $(#[$meta])* $name, $kind, 64, LedgerError,
            |kind, value, _rule| LedgerError::InvalidCode { kind, value }
        );
    };
}

text_code!(
    /// Who posts: a user or system account id.
    ///
    /// # Identity
    ///
    /// An actor id is ASCII by construction (the business-code rule, enforced when it is
    /// parsed: letters, digits and `- _ . / # +`), so its canonical form is simply its
    /// ASCII lowercase: `Alice`, `ALICE` and `alice` are one person. The ledger compares
    /// actors only through [`same_as`](ActorId::same_as) and [`canonical`](ActorId::canonical)
    /// (self-approval, distinct approvers, the actor directory, a transfer's requester),
    /// never byte for byte. No Unicode folding is needed: no other character can be
    /// parsed.
    ///
    /// ```
    /// use onhand_ledger::ActorId;
    /// let a = ActorId::new("Alice")?;
    /// assert!(a.same_as(&ActorId::new("aLiCe")?));
    /// assert_eq!(a.canonical().as_str(), "alice");
    /// assert_eq!(a.as_str(), "Alice", "the id keeps the spelling it was given");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ActorId,
    "actor id"
);

impl ActorId {
    /// The canonical identity: the id in ASCII lowercase (see [the identity
    /// rule](ActorId#identity)).
    ///
    /// ```
    /// use onhand_ledger::ActorId;
    /// assert_eq!(ActorId::new("Receiver-1")?.canonical(), ActorId::new("receiver-1")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn canonical(&self) -> ActorId {
        let lower = self.as_str().to_ascii_lowercase();
        // Lowercasing an ASCII letter, digit or symbol of the rule keeps it in the rule.
        let canonical = ActorId::new(lower);
        debug_assert!(canonical.is_ok(), "the lowercase of an actor id is an actor id");
        canonical.unwrap_or_else(|_| self.clone())
    }

    /// Whether two ids name the same actor: equal ignoring ASCII case.
    ///
    /// ```
    /// use onhand_ledger::ActorId;
    /// let a = ActorId::new("Alice")?;
    /// assert!(a.same_as(&ActorId::new("ALICE")?));
    /// assert!(!a.same_as(&ActorId::new("Bob")?));
    /// assert_ne!(a, ActorId::new("ALICE")?, "equality keeps the spelling");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn same_as(&self, other: &ActorId) -> bool {
        self.as_str().eq_ignore_ascii_case(other.as_str())
    }
}
text_code!(
    /// Why: a reason code (`DAMAGED`, `FOUND`, `CYCLE`, ...); governance may restrict
    /// which reasons an event kind accepts.
    ReasonCode,
    "reason code"
);
text_code!(
    /// A document number (purchase order, transfer order, sales order, count, RMA).
    DocNumber,
    "document number"
);

/// The sites an actor may act on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteScope {
    /// Every site.
    All,
    /// Only these sites.
    Sites(Vec<SiteCode>),
}

impl SiteScope {
    /// Whether `site` is in scope.
    ///
    /// ```
    /// use onhand_ledger::SiteScope;
    /// let some = SiteScope::Sites(vec!["ATL".parse()?]);
    /// assert!(some.covers(&"ATL".parse()?));
    /// assert!(!some.covers(&"DFW".parse()?));
    /// assert!(SiteScope::All.covers(&"DFW".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn covers(&self, site: &SiteCode) -> bool {
        match self {
            SiteScope::All => true,
            SiteScope::Sites(list) => list.contains(site),
        }
    }
}

/// Who posts an event: an id, the roles it holds, and the sites it may act on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// The actor's id.
    pub id: ActorId,
    /// The roles it holds.
    pub roles: Vec<Role>,
    /// Where it may act.
    pub sites: SiteScope,
}

impl Actor {
    /// Whether the actor holds `role`.
    ///
    /// ```
    /// use onhand_ledger::{Actor, SiteScope};
    /// use onhand_master::Role;
    /// let a = Actor { id: "receiver-1".parse()?, roles: vec![Role::Warehouse], sites: SiteScope::All };
    /// assert!(a.has(Role::Warehouse));
    /// assert!(!a.has(Role::Planning));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// What kind of document an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// A purchase order.
    PurchaseOrder,
    /// A transfer order.
    TransferOrder,
    /// A sales order (or the allocation picked against).
    SalesOrder,
    /// A count document.
    Count,
    /// A return authorisation.
    ReturnAuthorisation,
    /// An internal document (adjustment slip, quality notice, period close).
    Internal,
}

/// The document an event belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentRef {
    /// Its kind.
    pub kind: DocKind,
    /// Its number.
    pub number: DocNumber,
}

/// One line of a stock movement: a quantity of one item leaving `from` (status) at `bin`
/// and arriving in `to` (status) at `to_bin` (or at `bin` when `to_bin` is `None`).
///
/// `None` for a status means outside the network. Which fields a line needs depends on
/// the event kind; when a status is left out, the kind's default applies (a pick takes
/// `available` to `picked`, a receipt goes where the item-site policy says).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    /// The item.
    pub item: ItemCode,
    /// The quantity, in any unit the item knows.
    pub qty: Qty,
    /// The bin the stock is in (or arrives in, for stock coming from outside).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin: Option<BinCode>,
    /// The bin the stock goes to, when it moves between bins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_bin: Option<BinCode>,
    /// The lot (required for lot-tracked items).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot: Option<LotCode>,
    /// The serial numbers (required for serial-tracked items: one per base unit).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub serials: Vec<SerialNo>,
    /// The status the stock leaves (`None` with `from_outside`: comes from outside).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<StockStatus>,
    /// The status the stock arrives in (`None` with `to_outside`: leaves the network).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<StockStatus>,
    /// The entity owning the stock (default: the site's owning entity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<EntityCode>,
    /// Expiry date of a new lot (default: receipt date plus the item's shelf life).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<NaiveDate>,
    /// The cost per `qty` unit of stock arriving from outside the network: the purchase
    /// order's price on a receipt, the cost of a gain or of a return whose original is
    /// not known. Refused when negative, and on lines whose stock does not come from
    /// outside. The ledger carries it; valuation uses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_cost: Option<Money>,
    /// The line of the event's reference document this line belongs to: the sales order
    /// line a pick or shipment fulfils, the purchase order line a receipt receives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_line: Option<u32>,
    /// For a customer return: the shipment event whose goods come back, so they return
    /// at the cost they left with. For a return to supplier (required there): the
    /// receipt event whose goods go back. Refused on other kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<EventId>,
}

impl Line {
    /// A line of `qty` of `item`, everything else defaulted.
    ///
    /// ```
    /// use onhand_ledger::Line;
    /// let line = Line::new("BOLT-M8".parse()?, "240 EA".parse()?);
    /// assert_eq!(line.qty.to_string(), "240 EA");
    /// assert_eq!((line.bin, line.lot, line.unit_cost), (None, None, None));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(item: ItemCode, qty: Qty) -> Self {
        Line {
            item,
            qty,
            bin: None,
            to_bin: None,
            lot: None,
            serials: Vec::new(),
            from: None,
            to: None,
            owner: None,
            expiry: None,
            unit_cost: None,
            doc_line: None,
            original: None,
        }
    }

    /// The same line costed at `unit_cost` per `qty` unit.
    ///
    /// ```
    /// # use onhand_ledger::Line;
    /// # let line = Line::new("BOLT-M8".parse()?, "240 EA".parse()?);
    /// let line = line.cost("0.12 USD".parse()?);
    /// assert_eq!(line.unit_cost.map(|m| m.to_string()), Some("0.12 USD".to_owned()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn cost(mut self, unit_cost: Money) -> Self {
        self.unit_cost = Some(unit_cost);
        self
    }

    /// The same line, as line `line` of the event's reference document.
    ///
    /// ```
    /// # use onhand_ledger::Line;
    /// # let line = Line::new("BOLT-M8".parse()?, "240 EA".parse()?);
    /// assert_eq!(line.doc_line(3).doc_line, Some(3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn doc_line(mut self, line: u32) -> Self {
        self.doc_line = Some(line);
        self
    }

    /// The same line, returning the goods of shipment `event` (on a customer return) or
    /// of receipt `event` (on a return to supplier).
    ///
    /// ```
    /// # use onhand_ledger::Line;
    /// # let line = Line::new("BOLT-M8".parse()?, "240 EA".parse()?);
    /// use onhand_ledger::EventId;
    /// assert_eq!(line.original(EventId::from_u128(7)).original, Some(EventId::from_u128(7)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn original(mut self, event: EventId) -> Self {
        self.original = Some(event);
        self
    }

    /// The same line in `bin`.
    ///
    /// ```
    /// # use onhand_ledger::Line;
    /// # let line = Line::new("BOLT-M8".parse()?, "240 EA".parse()?);
    /// let line = line.at("RCV-01".parse()?);
    /// assert_eq!(line.bin.map(|b| b.to_string()), Some("RCV-01".to_owned()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn at(mut self, bin: BinCode) -> Self {
        self.bin = Some(bin);
        self
    }

    /// The same line moving to `bin`.
    ///
    /// ```
    /// # use onhand_ledger::Line;
    /// # let line = Line::new("BOLT-M8".parse()?, "240 EA".parse()?);
    /// let line = line.at("RCV-01".parse()?).to_bin("PF-A01".parse()?);
    /// assert_eq!(line.to_bin.map(|b| b.to_string()), Some("PF-A01".to_owned()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn to_bin(mut self, bin: BinCode) -> Self {
        self.to_bin = Some(bin);
        self
    }

    /// The same line for `lot`.
    ///
    /// ```
    /// # use onhand_ledger::Line;
    /// # let line = Line::new("BOLT-M8".parse()?, "240 EA".parse()?);
    /// let line = line.lot("L-2026-01".parse()?);
    /// assert_eq!(line.lot.map(|l| l.to_string()), Some("L-2026-01".to_owned()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn lot(mut self, lot: LotCode) -> Self {
        self.lot = Some(lot);
        self
    }

    /// The same line from status `from` to status `to`.
    ///
    /// ```
    /// # use onhand_ledger::Line;
    /// # let line = Line::new("BOLT-M8".parse()?, "240 EA".parse()?);
    /// use onhand_status::StockStatus;
    /// let hold = StockStatus::parse("quality_hold")?;
    /// let line = line.statuses(Some(hold), Some(StockStatus::parse("available")?));
    /// assert_eq!(line.from, Some(hold));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn statuses(mut self, from: Option<StockStatus>, to: Option<StockStatus>) -> Self {
        self.from = from;
        self.to = to;
        self
    }
}

/// Stock lines at one site.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteLines {
    /// The site.
    pub site: SiteCode,
    /// The lines.
    pub lines: Vec<Line>,
}

/// One counted location of a cycle count.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountLine {
    /// The item.
    pub item: ItemCode,
    /// The bin counted (`None`: the site's stock without a bin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin: Option<BinCode>,
    /// The lot counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot: Option<LotCode>,
    /// The status counted (default: available).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StockStatus>,
    /// The quantity found.
    pub counted: Qty,
    /// For serial-tracked items: the serials found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub serials: Vec<SerialNo>,
    /// Who owns the counted stock (default: the site's entity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<EntityCode>,
}

/// A cycle count at one site.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Count {
    /// The site.
    pub site: SiteCode,
    /// The counted locations.
    pub lines: Vec<CountLine>,
}

/// One line of a transfer order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferLine {
    /// The item.
    pub item: ItemCode,
    /// The quantity requested.
    pub qty: Qty,
}

/// A transfer order request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// The shipping site.
    pub from: SiteCode,
    /// The receiving site.
    pub to: SiteCode,
    /// What is requested.
    pub lines: Vec<TransferLine>,
    /// When goods are expected to arrive, if known at request time (otherwise shipment
    /// time plus the lane's transit days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_arrival: Option<DateTime<Utc>>,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    /// Goods received from outside into receiving, available or quality hold.
    Receipt(SiteLines),
    /// A bin-to-bin move, or a status change on put-away.
    Putaway(SiteLines),
    /// Available stock picked against an allocation (the event's reference document).
    Pick(SiteLines),
    /// Picked stock shipped out of the network.
    Ship(SiteLines),
    /// Stock shipped on the transfer order named by the reference document.
    TransferShip(SiteLines),
    /// Stock received on the transfer order named by the reference document; a line
    /// into `damaged` records damage in transit. Short and over quantities are computed
    /// against what was shipped.
    TransferReceipt(SiteLines),
    /// A customer return, into return-pending inspection.
    CustomerReturn(SiteLines),
    /// The outcome of an inspection (return pending or quality hold to available,
    /// damaged, scrapped, ...).
    Disposition(SiteLines),
    /// A gain (from outside) or loss (to outside); the reason says why.
    Adjustment(SiteLines),
    /// A cycle count; the ledger computes each variance against the book.
    CycleCount(Count),
    /// A hold, release or block.
    StatusChange(SiteLines),
    /// Scrapping stock, or disposing of scrapped stock.
    Scrap(SiteLines),
    /// A transfer order is requested (the reference document is its number).
    TransferRequest(TransferRequest),
    /// A transfer order is approved.
    TransferApprove,
    /// A transfer order is closed; what is still in transit is written off as a loss.
    TransferClose,
    /// A pending event is approved and takes effect.
    Approve {
        /// The pending event.
        event: EventId,
    },
    /// A pending event is rejected and dropped.
    Reject {
        /// The pending event.
        event: EventId,
    },
    /// The period through `through` is closed: no event effective before it is accepted
    /// any more, and history before it is folded into checkpoints.
    ClosePeriod {
        /// The close time.
        through: DateTime<Utc>,
        /// The legal entity whose period closes (`None`: the whole network's). An
        /// entity's close refuses every stock change of stock it owns effective before
        /// `through` (the network close's boundary), at any site, while other entities' periods stay open; it is
        /// governed as a network close (see [`PeriodClose`](crate::PeriodClose)), its
        /// history is folded at the next network close.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        entity: Option<EntityCode>,
    },
    /// The closed period is reopened back to `to` (`None`: nothing stays closed), so
    /// events effective from then on are accepted again. It always waits for the
    /// approval [`PeriodClose::reopen_approver`](crate::PeriodClose::reopen_approver)
    /// names, and stays in the journal as the audit entry of the reopen. History folded
    /// at the close is not brought back: a back-dated event in the reopened span is
    /// checked against the balances from the old close on, and figures as of a time
    /// before the old close read as at the close.
    ReopenPeriod {
        /// The new close time, before the current one (`None`: open everything).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<DateTime<Utc>>,
        /// The legal entity whose closed period is reopened (`None`: the network's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        entity: Option<EntityCode>,
    },
    /// A posted receipt, pick, shipment, scrap or adjustment undone exactly: every
    /// position it changed changes back, and the serials it moved move back. Refused
    /// ([`LedgerError::ReversalRefused`], or [`LedgerError::InsufficientStock`] and the
    /// serial errors when stock moved on since) when that is impossible; see the
    /// `reversal` module for the rule.
    Reversal {
        /// The event reversed.
        event: EventId,
    },
    /// Goods of a purchase receipt going back to the supplier: each line leaves the
    /// site (from `available` unless it says otherwise) and names the receipt in its
    /// [`original`](Line::original); refused beyond what that receipt brought in of
    /// the item, net of earlier returns ([`LedgerError::ReturnExceedsReceipt`]).
    SupplierReturn(SiteLines),
}

/// An event kind without its payload, for governance tables.
///
/// # Two vocabularies
///
/// The status crate has its own, smaller list of kinds,
/// [`onhand_status::Movement`]: the kinds of stock move its transition table governs
/// (which status may go to which, and who approves). They are kept apart on purpose.
/// `EventKind` names every event the ledger takes, including those that move no stock
/// (transfer requests and approvals, approvals of pending events, period closes and
/// reopens), and it is part of the ledger's wire form (governance rules, journals);
/// the status crate sits below the ledger and knows nothing of documents, approvals or
/// periods. The ledger maps each stock-moving kind to the status-crate move it performs
/// (a transfer close writes what is still in transit off as an adjustment, so two
/// kinds map to one move) and checks every line against that move's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// [`Body::Receipt`].
    Receipt,
    /// [`Body::Putaway`].
    Putaway,
    /// [`Body::Pick`].
    Pick,
    /// [`Body::Ship`].
    Ship,
    /// [`Body::TransferShip`].
    TransferShip,
    /// [`Body::TransferReceipt`].
    TransferReceipt,
    /// [`Body::CustomerReturn`].
    CustomerReturn,
    /// [`Body::Disposition`].
    Disposition,
    /// [`Body::Adjustment`].
    Adjustment,
    /// [`Body::CycleCount`].
    CycleCount,
    /// [`Body::StatusChange`].
    StatusChange,
    /// [`Body::Scrap`].
    Scrap,
    /// [`Body::TransferRequest`].
    TransferRequest,
    /// [`Body::TransferApprove`].
    TransferApprove,
    /// [`Body::TransferClose`].
    TransferClose,
    /// [`Body::Approve`].
    Approve,
    /// [`Body::Reject`].
    Reject,
    /// [`Body::ClosePeriod`].
    ClosePeriod,
    /// [`Body::ReopenPeriod`].
    ReopenPeriod,
    /// [`Body::Reversal`].
    Reversal,
    /// [`Body::SupplierReturn`].
    SupplierReturn,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: [EventKind; 21] = [
        EventKind::Receipt,
        EventKind::Putaway,
        EventKind::Pick,
        EventKind::Ship,
        EventKind::TransferShip,
        EventKind::TransferReceipt,
        EventKind::CustomerReturn,
        EventKind::Disposition,
        EventKind::Adjustment,
        EventKind::CycleCount,
        EventKind::StatusChange,
        EventKind::Scrap,
        EventKind::TransferRequest,
        EventKind::TransferApprove,
        EventKind::TransferClose,
        EventKind::Approve,
        EventKind::Reject,
        EventKind::ClosePeriod,
        EventKind::ReopenPeriod,
        EventKind::Reversal,
        EventKind::SupplierReturn,
    ];

    /// The stable name.
    ///
    /// ```
    /// use onhand_ledger::EventKind;
    /// assert_eq!(EventKind::Receipt.as_str(), "receipt");
    /// assert_eq!(serde_json::to_string(&EventKind::Receipt)?, "\"receipt\"");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Receipt => "receipt",
            EventKind::Putaway => "putaway",
            EventKind::Pick => "pick",
            EventKind::Ship => "ship",
            EventKind::TransferShip => "transfer_ship",
            EventKind::TransferReceipt => "transfer_receipt",
            EventKind::CustomerReturn => "customer_return",
            EventKind::Disposition => "disposition",
            EventKind::Adjustment => "adjustment",
            EventKind::CycleCount => "cycle_count",
            EventKind::StatusChange => "status_change",
            EventKind::Scrap => "scrap",
            EventKind::TransferRequest => "transfer_request",
            EventKind::TransferApprove => "transfer_approve",
            EventKind::TransferClose => "transfer_close",
            EventKind::Approve => "approve",
            EventKind::Reject => "reject",
            EventKind::ClosePeriod => "close_period",
            EventKind::ReopenPeriod => "reopen_period",
            EventKind::Reversal => "reversal",
            EventKind::SupplierReturn => "supplier_return",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Body {
    /// The site and lines ([`SiteLines`]) of a body that moves stock line by line: every
    /// kind but counts, transfer requests, approvals, closes and reversals.
    ///
    /// ```
    /// use onhand_ledger::testing;
    /// let e = testing::receipt(1, "ATL", "BOLT-M8", "5 EA", "RCV-01")?;
    /// assert_eq!(e.body.movement().map(|m| m.site.as_str()), Some("ATL"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn movement(&self) -> Option<&SiteLines> {
        match self {
            Body::Receipt(m)
            | Body::Putaway(m)
            | Body::Pick(m)
            | Body::Ship(m)
            | Body::TransferShip(m)
            | Body::TransferReceipt(m)
            | Body::CustomerReturn(m)
            | Body::Disposition(m)
            | Body::Adjustment(m)
            | Body::StatusChange(m)
            | Body::Scrap(m)
            | Body::SupplierReturn(m) => Some(m),
            Body::CycleCount(_)
            | Body::Reversal { .. }
            | Body::TransferRequest(_)
            | Body::TransferApprove
            | Body::TransferClose
            | Body::Approve { .. }
            | Body::Reject { .. }
            | Body::ClosePeriod { .. }
            | Body::ReopenPeriod { .. } => None,
        }
    }

    /// The item codes the body names, line by line.
    ///
    /// ```
    /// use onhand_ledger::testing;
    /// let e = testing::receipt(1, "ATL", "BOLT-M8", "5 EA", "RCV-01")?;
    /// assert_eq!(e.body.item_codes().map(|c| c.as_str()).collect::<Vec<_>>(), ["BOLT-M8"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn item_codes(&self) -> impl Iterator<Item = &ItemCode> {
        let moved: &[Line] = self.movement().map_or(&[], |m| &m.lines);
        let counted: &[CountLine] = if let Body::CycleCount(c) = self { &c.lines } else { &[] };
        let requested: &[TransferLine] =
            if let Body::TransferRequest(r) = self { &r.lines } else { &[] };
        moved
            .iter()
            .map(|l| &l.item)
            .chain(counted.iter().map(|l| &l.item))
            .chain(requested.iter().map(|l| &l.item))
    }

    /// The kind of this body.
    ///
    /// ```
    /// use onhand_ledger::{EventKind, testing};
    /// let e = testing::receipt(1, "ATL", "BOLT-M8", "5 EA", "RCV-01")?;
    /// assert_eq!(e.body.kind(), EventKind::Receipt);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn kind(&self) -> EventKind {
        match self {
            Body::Receipt(_) => EventKind::Receipt,
            Body::Putaway(_) => EventKind::Putaway,
            Body::Pick(_) => EventKind::Pick,
            Body::Ship(_) => EventKind::Ship,
            Body::TransferShip(_) => EventKind::TransferShip,
            Body::TransferReceipt(_) => EventKind::TransferReceipt,
            Body::CustomerReturn(_) => EventKind::CustomerReturn,
            Body::Disposition(_) => EventKind::Disposition,
            Body::Adjustment(_) => EventKind::Adjustment,
            Body::CycleCount(_) => EventKind::CycleCount,
            Body::StatusChange(_) => EventKind::StatusChange,
            Body::Scrap(_) => EventKind::Scrap,
            Body::TransferRequest(_) => EventKind::TransferRequest,
            Body::TransferApprove => EventKind::TransferApprove,
            Body::TransferClose => EventKind::TransferClose,
            Body::Approve { .. } => EventKind::Approve,
            Body::Reject { .. } => EventKind::Reject,
            Body::ClosePeriod { .. } => EventKind::ClosePeriod,
            Body::ReopenPeriod { .. } => EventKind::ReopenPeriod,
            Body::Reversal { .. } => EventKind::Reversal,
            Body::SupplierReturn(_) => EventKind::SupplierReturn,
        }
    }
}

/// A submitted event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// The caller-minted id; re-submitting it is a no-op that says so.
    pub id: EventId,
    /// When it happened in business terms (figures as of a time include it from then).
    /// Whole microseconds, as every time an event carries: the ledger refuses a finer
    /// one ([`LedgerError::TimePrecision`](crate::LedgerError::TimePrecision)).
    pub effective_at: DateTime<Utc>,
    /// When it was recorded (whole microseconds).
    pub recorded_at: DateTime<Utc>,
    /// Who posts it.
    pub actor: Actor,
    /// Why.
    pub reason: ReasonCode,
    /// The document it belongs to.
    pub reference: DocumentRef,
    /// What happened.
    pub body: Body,
}

impl Event {
    /// The kind of the event.
    ///
    /// ```
    /// use onhand_ledger::{EventKind, testing};
    /// let e = testing::receipt(1, "ATL", "BOLT-M8", "5 EA", "RCV-01")?;
    /// assert_eq!(e.kind(), EventKind::Receipt);
    /// assert_eq!(e.kind(), e.body.kind());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn kind(&self) -> EventKind {
        self.body.kind()
    }

    /// The SHA-256 digest of the event's canonical encoding (version 1): every field
    /// but `recorded_at` (a host retrying an event records it again later, and that is
    /// still the same event), written by hand field by field in declaration order, each
    /// self-delimiting: integers fixed-width little-endian, strings and codes after
    /// their length, decimals normalized as scale, sign and 96-bit magnitude (so `12`
    /// and `12.0`, which compare equal, encode alike), times as seconds and
    /// nanoseconds, enum variants by a fixed tag. It depends on no dependency's `Hash`
    /// or serialization, so it stays the same across their upgrades; the full table is
    /// in the `canonical` module's source documentation. Two events with one digest
    /// are equal but for `recorded_at`, unless SHA-256 collides. The ledger keeps it
    /// per event id to tell a repeat ([`Applied::Duplicate`](crate::Applied::Duplicate))
    /// from another event reusing the id ([`LedgerError::IdReused`]); snapshots keep it
    /// too (format 3, see [`SNAPSHOT_FORMAT`](crate::SNAPSHOT_FORMAT)).
    ///
    /// ```
    /// use onhand_ledger::testing;
    /// let a = testing::receipt(1, "ATL", "BOLT-M8", "12 EA", "RCV-01")?;
    /// let mut retried = a.clone();
    /// retried.recorded_at = testing::at(60);
    /// assert_eq!(a.content_digest(), retried.content_digest());
    /// let other = testing::receipt(1, "ATL", "BOLT-M8", "5000 EA", "RCV-01")?;
    /// assert_ne!(a.content_digest(), other.content_digest());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn content_digest(&self) -> Digest {
        crate::canonical::digest(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ledger's per-kind tables (permissions, thresholds, `may_hold`) are built
    /// from `ALL` and read by `kind as usize`: the two orders must agree.
    #[test]
    fn every_kind_sits_at_its_own_index_in_all() {
        for (i, kind) in EventKind::ALL.into_iter().enumerate() {
            assert_eq!(kind as usize, i, "{kind}");
        }
    }

    /// Issue 15: the ledger's codes are master's business codes (one rule, one
    /// representation), refused with the ledger's own error as before.
    #[test]
    fn ledger_codes_follow_the_one_business_code_rule() {
        let actor = ActorId::new("u-1.ops#2+x/y_z").unwrap();
        assert_eq!(
            (actor.as_str(), format!("{actor:?}")),
            ("u-1.ops#2+x/y_z", "ActorId(\"u-1.ops#2+x/y_z\")".into())
        );
        assert!(DocNumber::new("D".repeat(64)).is_ok());
        let check = |value: &str| {
            let err = ReasonCode::new(value).unwrap_err();
            assert_eq!(err, LedgerError::InvalidCode { kind: "reason code", value: value.into() });
            assert_eq!(
                err.to_string(),
                format!(
                    "invalid reason code {value:?}: use 1 to 64 of ASCII letters, digits and - _ . / # +"
                )
            );
        };
        for bad in ["", "-X", "A B", "É", &"R".repeat(65)] {
            check(bad);
        }
        let json = serde_json::to_string(&DocNumber::new("PO-1").unwrap()).unwrap();
        assert_eq!(json, "\"PO-1\"");
        let err = serde_json::from_str::<DocNumber>("\"PO 1\"").unwrap_err();
        assert!(err.to_string().starts_with("invalid document number \"PO 1\""), "{err}");
        assert_eq!("PO-1".parse::<DocNumber>().unwrap(), DocNumber::try_from("PO-1").unwrap());
    }

    /// Issue 15: renaming the ledger's `Movement` to [`SiteLines`] left the wire form
    /// alone (a variant's payload carries no type name): this text is what journals
    /// written before the rename hold.
    #[test]
    fn site_lines_keep_the_wire_form_of_movement() {
        let text = r#"{"receipt":{"site":"ATL","lines":[{"item":"BOLT-M8","qty":"5 EA"}]}}"#;
        let body: Body = serde_json::from_str(text).unwrap();
        let expected = Body::Receipt(SiteLines {
            site: SiteCode::new("ATL").unwrap(),
            lines: vec![Line::new(ItemCode::new("BOLT-M8").unwrap(), "5 EA".parse().unwrap())],
        });
        assert_eq!(body, expected);
        assert_eq!(serde_json::to_string(&body).unwrap(), text);
    }
}
