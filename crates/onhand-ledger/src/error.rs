//! The one error type of `onhand-ledger`: why an event was rejected (or a journal,
//! snapshot or rule set refused). A rejected event changes nothing.

use chrono::{DateTime, Utc};
use onhand_master::{
    BinCode, EntityCode, ItemCode, LotCode, MasterError, Money, Role, SerialNo, SiteCode, UomCode,
};
use onhand_status::{StatusError, StockStatus};
use rust_decimal::Decimal;

use crate::event::{ActorId, DocNumber, EventId, EventKind, ReasonCode};
use crate::transfer::TransferState;

fn side(s: Option<StockStatus>) -> &'static str {
    s.map_or("outside", StockStatus::as_str)
}

fn opt<T: std::fmt::Display>(v: Option<&T>) -> String {
    v.map(|v| format!(" {v}")).unwrap_or_default()
}

/// Why the ledger refused something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// A code broke its rule.
    #[error("invalid {kind} {value:?}: use 1 to 64 of ASCII letters, digits and - _ . / # +")]
    InvalidCode {
        /// What kind of code.
        kind: &'static str,
        /// The rejected value.
        value: String,
    },
    /// The event id was used before for a different event.
    #[error("event id {id} was already used for a different event")]
    IdReused {
        /// The id.
        id: EventId,
    },
    /// A time of the event finer than a microsecond: event times carry at most
    /// microsecond precision (the ledger keeps and compares them in microseconds, so a
    /// finer part would be lost in some comparisons and kept in others).
    #[error(
        "{field} {at} is finer than a microsecond: event times carry at most microsecond \
         precision"
    )]
    TimePrecision {
        /// The event's field (`effective_at`, `recorded_at`, a period close's `through`,
        /// a reopen's `to`, a transfer request's `expected_arrival`).
        field: &'static str,
        /// Its value.
        at: DateTime<Utc>,
    },
    /// The host refused the positions the event would change, before they were
    /// committed ([`Ledger::apply_vetted`](crate::Ledger::apply_vetted)); nothing changed.
    #[error("event {id} was refused by the host before it was committed")]
    Vetoed {
        /// The event whose changes were refused (for an approval, the held event).
        id: EventId,
    },
    /// The event is effective inside a closed period.
    #[error("event is effective {effective_at}, inside the period closed through {closed_through}")]
    PeriodClosed {
        /// The event's effective time.
        effective_at: DateTime<Utc>,
        /// The close time.
        closed_through: DateTime<Utc>,
    },
    /// The event changes stock of a legal entity inside the entity's closed period.
    #[error(
        "event is effective {effective_at}, inside {entity}'s period closed through {closed_through}"
    )]
    EntityPeriodClosed {
        /// The entity owning the stock.
        entity: onhand_master::EntityCode,
        /// The event's effective time.
        effective_at: DateTime<Utc>,
        /// The entity's close time.
        closed_through: DateTime<Utc>,
    },
    /// A period close that does not move forward.
    #[error("the period is already closed through {closed_through}; a close must move forward")]
    CloseNotForward {
        /// The current close time.
        closed_through: DateTime<Utc>,
    },
    /// A transfer receipt beyond the over-receipt tolerance, where the rules refuse it.
    #[error(
        "transfer {number}: {over} of {item} received over what was shipped, beyond the tolerance of {tolerance}"
    )]
    OverReceipt {
        /// The transfer order.
        number: DocNumber,
        /// The item.
        item: ItemCode,
        /// Received over what was shipped on the line, this receipt included.
        over: Decimal,
        /// The tolerance.
        tolerance: Decimal,
    },
    /// A period close past the latest recorded time the ledger knows.
    #[error("a close through {through} passes the latest recorded time, {recorded}")]
    CloseBeyondRecorded {
        /// The close time asked for.
        through: DateTime<Utc>,
        /// The latest recorded time.
        recorded: DateTime<Utc>,
    },
    /// A period close or reopen (or its approval) by an actor not scoped to every site.
    #[error("{actor} may not {kind}: it needs authority over every site")]
    NotNetworkWide {
        /// The actor.
        actor: ActorId,
        /// Close or reopen (or the approval of one).
        kind: EventKind,
    },
    /// A reopen when no period is closed.
    #[error("no period is closed, so none can be reopened")]
    NothingToReopen,
    /// A reopen that does not move the close back.
    #[error("a reopen to {to} does not move back the close through {closed_through}")]
    ReopenNotBack {
        /// The reopen time asked for.
        to: DateTime<Utc>,
        /// The current close time.
        closed_through: DateTime<Utc>,
    },
    /// The actor holds no role that may post this kind of event.
    #[error("{actor} holds no role that may post {kind} (allowed: {})", roles_list(.allowed))]
    NotPermitted {
        /// The actor.
        actor: ActorId,
        /// The event kind.
        kind: EventKind,
        /// The roles that may.
        allowed: Vec<Role>,
    },
    /// The actor may not act at the site.
    #[error("{actor} may not act at site {site}")]
    OutOfScope {
        /// The actor.
        actor: ActorId,
        /// The site.
        site: SiteCode,
    },
    /// The reason is not one the event kind accepts.
    #[error("reason {reason} is not accepted for {kind}")]
    ReasonNotAllowed {
        /// The event kind.
        kind: EventKind,
        /// The reason given.
        reason: ReasonCode,
    },
    /// A stock event without lines.
    #[error("{kind} has no lines")]
    NoLines {
        /// The event kind.
        kind: EventKind,
    },
    /// An item the catalog does not know.
    #[error("unknown item {item}")]
    UnknownItem {
        /// The item.
        item: ItemCode,
    },
    /// A site the catalog does not know.
    #[error("unknown site {site}")]
    UnknownSite {
        /// The site.
        site: SiteCode,
    },
    /// A bin the site does not have.
    #[error("site {site} has no bin {bin}")]
    UnknownBin {
        /// The site.
        site: SiteCode,
        /// The bin.
        bin: BinCode,
    },
    /// A legal entity the catalog does not know.
    #[error("unknown entity {entity}")]
    UnknownEntity {
        /// The entity.
        entity: EntityCode,
    },
    /// A site with bins needs a bin on every line; a site without bins takes none.
    #[error("{item} at site {site}: {}", if *.needed { "the site keeps stock in bins, name one" } else { "the site has no bins, name none" })]
    BinMismatch {
        /// The item.
        item: ItemCode,
        /// The site.
        site: SiteCode,
        /// Whether a bin was needed (and missing) or given (and not allowed).
        needed: bool,
    },
    /// A quantity the item cannot be counted in, or that does not convert exactly.
    #[error("{item}: {source}")]
    Quantity {
        /// The item.
        item: ItemCode,
        /// What the unit conversion said.
        source: MasterError,
    },
    /// A movement line of zero.
    #[error("{item}: a line must move more than zero")]
    ZeroQuantity {
        /// The item.
        item: ItemCode,
    },
    /// A line costed below zero.
    #[error("{item}: a unit cost cannot be negative ({cost})")]
    NegativeCost {
        /// The item.
        item: ItemCode,
        /// The cost given.
        cost: Money,
    },
    /// A line field the event kind does not take (a cost on stock that does not come
    /// from outside, an original shipment on anything but a customer return).
    #[error("{kind} takes no {field} on its lines ({item})")]
    FieldNotAllowed {
        /// The event kind.
        kind: EventKind,
        /// The line's item.
        item: ItemCode,
        /// The field (`unit_cost`, `original`).
        field: &'static str,
    },
    /// A lot-tracked item without a lot, or a lot on an untracked item.
    #[error("{item}: {}", if *.required { "the item is lot-tracked, name the lot" } else { "the item is not lot-tracked, name no lot" })]
    LotMismatch {
        /// The item.
        item: ItemCode,
        /// Whether a lot is required (and missing) or not allowed (and given).
        required: bool,
    },
    /// A lot that does not exist (for stock that must already be there).
    #[error("{item}: unknown lot {lot}")]
    UnknownLot {
        /// The item.
        item: ItemCode,
        /// The lot.
        lot: LotCode,
    },
    /// A lot past its expiry date cannot be picked or shipped.
    #[error("{item}: lot {lot} expired on {expiry}")]
    LotExpired {
        /// The item.
        item: ItemCode,
        /// The lot.
        lot: LotCode,
        /// Its expiry date.
        expiry: chrono::NaiveDate,
    },
    /// Serial numbers do not match the quantity (one per base unit), or are given for an
    /// item that is not serial-tracked.
    #[error("{item}: {expected} serial number(s) expected, {given} given")]
    SerialCount {
        /// The item.
        item: ItemCode,
        /// How many the quantity needs.
        expected: Decimal,
        /// How many were given.
        given: usize,
    },
    /// A serial number listed twice in one event.
    #[error("{item}: serial {serial} is listed twice")]
    SerialRepeated {
        /// The item.
        item: ItemCode,
        /// The serial.
        serial: SerialNo,
    },
    /// A serial number coming in that is already somewhere in the network.
    #[error("{item}: serial {serial} is already in the network, at {site}")]
    SerialInNetwork {
        /// The item.
        item: ItemCode,
        /// The serial.
        serial: SerialNo,
        /// Where it is.
        site: SiteCode,
    },
    /// A count of a serial-tracked position, effective before the position's latest
    /// change: serials are known as they are now, so the count would compare two times.
    #[error(
        "{item} at {site}: a serial count cannot be back-dated before the position's latest movement ({latest})"
    )]
    BackDatedSerialCount {
        /// The item.
        item: ItemCode,
        /// The site.
        site: SiteCode,
        /// The position's latest change.
        latest: DateTime<Utc>,
    },
    /// A line names an expiry for a lot that already has another.
    #[error("{item}: lot {lot} expires {existing:?}, not {given}")]
    LotExpiryConflict {
        /// The item.
        item: ItemCode,
        /// The lot.
        lot: LotCode,
        /// Its recorded expiry.
        existing: Option<chrono::NaiveDate>,
        /// The expiry the line gives.
        given: chrono::NaiveDate,
    },
    /// A period close dated after its own effective time.
    #[error("a period close through {through} cannot be effective earlier, at {effective_at}")]
    CloseInFuture {
        /// The close time.
        through: DateTime<Utc>,
        /// The event's effective time.
        effective_at: DateTime<Utc>,
    },
    /// A serial number that is not where the line takes it from.
    #[error("{item}: serial {serial} is not at the line's location")]
    SerialNotHere {
        /// The item.
        item: ItemCode,
        /// The serial.
        serial: SerialNo,
    },
    /// The status table has no such move for this event kind.
    #[error(transparent)]
    IllegalMove(#[from] StatusError),
    /// The line's statuses do not fit the event kind.
    #[error("{kind} cannot take stock from {} to {}", side(*.from), side(*.to))]
    WrongStatuses {
        /// The event kind.
        kind: EventKind,
        /// The line's from status.
        from: Option<StockStatus>,
        /// The line's to status.
        to: Option<StockStatus>,
    },
    /// Not enough stock (under the forbid policy).
    #[error(
        "{item} at {site}{}{} in {status}: {available} on hand, {requested} needed{}",
        opt(.bin.as_ref()), opt(.lot.as_ref()),
        .at.map(|t| format!(" (as of {t})")).unwrap_or_default()
    )]
    InsufficientStock {
        /// The item.
        item: ItemCode,
        /// The site.
        site: SiteCode,
        /// The bin.
        bin: Option<BinCode>,
        /// The lot.
        lot: Option<LotCode>,
        /// The status.
        status: StockStatus,
        /// What is there (base units), at the tightest point.
        available: Decimal,
        /// What the event takes (base units).
        requested: Decimal,
        /// For a back-dated event, the later time at which stock would go below zero.
        at: Option<DateTime<Utc>>,
    },
    /// A reversal or return to supplier names an event the ledger has not applied.
    #[error("no applied event {event} to reverse or return against")]
    UnknownOriginal {
        /// The event named.
        event: EventId,
    },
    /// A reversal names an applied event of a kind that is not reversed this way
    /// (only receipts, picks, shipments, scraps and adjustments are; a reversal itself
    /// is not).
    #[error("{event} is {}, which cannot be reversed", .kind.map_or_else(|| "an event of a kind the ledger keeps no record of".to_owned(), |k| format!("a {k}")))]
    NotReversible {
        /// The event named.
        event: EventId,
        /// Its kind, when the ledger keeps a record of its kind (a reversal, a return
        /// to supplier); `None` for the other kinds (put-aways, status changes,
        /// transfers, counts, ...), whose records the ledger does not keep.
        kind: Option<EventKind>,
    },
    /// A reversal names an event that was reversed already.
    #[error("{event} was already reversed by {by}")]
    AlreadyReversed {
        /// The event named.
        event: EventId,
        /// The reversal that undid it.
        by: EventId,
    },
    /// A reversal or return to supplier that does not fit its original for another
    /// reason: dated before it, a receipt part of which went back to the supplier, a
    /// return against a reversed receipt or from another site.
    #[error("{event} cannot be reversed or returned against: {reason}")]
    ReversalRefused {
        /// The original event.
        event: EventId,
        /// Why.
        reason: &'static str,
    },
    /// A return-to-supplier line that does not name its receipt.
    #[error("{item}: a return to supplier names the receipt it returns (`original`)")]
    OriginalRequired {
        /// The line's item.
        item: ItemCode,
    },
    /// A return to supplier names an event that is not a purchase receipt.
    #[error("{event} is a {kind}, not a receipt: only received goods go back to the supplier")]
    NotAReceipt {
        /// The event named.
        event: EventId,
        /// Its kind.
        kind: EventKind,
    },
    /// A return to supplier beyond what its receipt brought in of the item, net of
    /// earlier returns.
    #[error(
        "receipt {receipt} brought in {received} of {item} and {returned} went back already: \
         {requested} more cannot be returned"
    )]
    ReturnExceedsReceipt {
        /// The receipt.
        receipt: EventId,
        /// The item.
        item: ItemCode,
        /// What the receipt brought in (base units).
        received: Decimal,
        /// What earlier returns took back (base units).
        returned: Decimal,
        /// What this return asks for (base units).
        requested: Decimal,
    },
    /// A customer return line naming the shipment its goods left with
    /// ([`Line::original`](crate::Line::original)) but dated before that shipment: the
    /// goods cannot come back before they left.
    #[error(
        "{item}: a customer return at {at} names shipment {original} of {original_at}: it \
         cannot come back before it left"
    )]
    ReturnBeforeOriginal {
        /// The returned item.
        item: ItemCode,
        /// The shipment named.
        original: EventId,
        /// The shipment's effective time.
        original_at: DateTime<Utc>,
        /// The return's effective time.
        at: DateTime<Utc>,
    },
    /// A pending event that does not exist (or was already decided).
    #[error("no pending event {event}")]
    NoSuchPending {
        /// The event.
        event: EventId,
    },
    /// Segregation of duties: nobody approves their own event.
    #[error("{actor} submitted {event} and may not approve it")]
    SelfApproval {
        /// The actor.
        actor: ActorId,
        /// The event.
        event: EventId,
    },
    /// Distinct approvers: this person has already approved the event.
    #[error("{actor} has already approved {event}; each role needs another person")]
    AlreadyApproved {
        /// The actor.
        actor: ActorId,
        /// The event.
        event: EventId,
    },
    /// An actor the rules' directory does not know.
    #[error("{actor} is not in the actor directory")]
    UnknownActor {
        /// The actor.
        actor: ActorId,
    },
    /// An actor whose directory record does not hold at the event's recorded time.
    #[error("{actor} may not act at {at} (outside the directory record's validity)")]
    ActorNotValid {
        /// The actor.
        actor: ActorId,
        /// The event's recorded time.
        at: DateTime<Utc>,
    },
    /// The approver holds none of the roles the pending event still needs.
    #[error("{actor} holds none of the roles {event} still needs ({})", roles_list(.needed))]
    ApproverLacksRole {
        /// The actor.
        actor: ActorId,
        /// The event.
        event: EventId,
        /// The roles still needed.
        needed: Vec<Role>,
    },
    /// A transfer order that does not exist.
    #[error("no transfer order {number}")]
    UnknownTransfer {
        /// The number.
        number: DocNumber,
    },
    /// A transfer order number already used.
    #[error("transfer order {number} already exists")]
    TransferExists {
        /// The number.
        number: DocNumber,
    },
    /// A transfer event that its order's state does not allow.
    #[error("transfer order {number} is {state}; {action} is not possible")]
    TransferState {
        /// The number.
        number: DocNumber,
        /// Its state.
        state: TransferState,
        /// What was attempted.
        action: EventKind,
    },
    /// A transfer event at the wrong site.
    #[error("transfer order {number}: {action} happens at {expected}, not {given}")]
    TransferSite {
        /// The number.
        number: DocNumber,
        /// What was attempted.
        action: EventKind,
        /// Where it must happen.
        expected: SiteCode,
        /// Where it was posted.
        given: SiteCode,
    },
    /// A transfer between a site and itself.
    #[error("transfer order {number} ships from and to {site}")]
    TransferToSelf {
        /// The number.
        number: DocNumber,
        /// The site.
        site: SiteCode,
    },
    /// An item that is not on the transfer order.
    #[error("transfer order {number} has no line for {item}")]
    NotOnTransfer {
        /// The number.
        number: DocNumber,
        /// The item.
        item: ItemCode,
    },
    /// A transfer receipt dated before its order first shipped: nothing of it was on
    /// the road yet (in-transit stock of other orders to the same site is not its).
    #[error(
        "transfer order {number} first shipped at {shipped_at}; a receipt at {at} comes before it"
    )]
    ReceivedBeforeShipped {
        /// The number.
        number: DocNumber,
        /// When it first shipped.
        shipped_at: DateTime<Utc>,
        /// The receipt's effective time.
        at: DateTime<Utc>,
    },
    /// Shipping more than the transfer order requests.
    #[error(
        "transfer order {number}: {item} requested {requested}, shipping {shipping} would exceed it"
    )]
    OverShipment {
        /// The number.
        number: DocNumber,
        /// The item.
        item: ItemCode,
        /// Requested (base units).
        requested: Decimal,
        /// Shipped so far plus this shipment (base units).
        shipping: Decimal,
    },
    /// A reference document of the wrong kind for the event.
    #[error("{kind} needs a {expected:?} reference document")]
    WrongDocument {
        /// The event kind.
        kind: EventKind,
        /// The document kind needed.
        expected: crate::event::DocKind,
    },
    /// A rule set that does not fit the catalog.
    #[error("rules: {what}")]
    InvalidRules {
        /// What is wrong.
        what: String,
    },
    /// A decimal computation left the representable range.
    #[error("arithmetic overflow in {operation}")]
    Overflow {
        /// What was being computed.
        operation: &'static str,
    },
    /// A journal entry that breaks the chain.
    #[error("journal entry {seq} {why}")]
    JournalBroken {
        /// The first entry that does not fit.
        seq: u64,
        /// How it does not fit.
        why: &'static str,
    },
    /// A journal entry chained in a digest format this version no longer computes: its
    /// digest is the format-1 digest (over the event's JSON) where this version computes
    /// format [`JOURNAL_FORMAT`](crate::JOURNAL_FORMAT) (over its canonical encoding).
    /// Verify the journal with the version that wrote it, then re-chain its events
    /// ([`Journal::append`](crate::Journal::append) each in order) and anchor the new
    /// head.
    #[error(
        "journal entry {seq} is chained in digest format {found}, this version reads format {reads}; re-chain the journal"
    )]
    JournalFormat {
        /// The first entry in the old format.
        seq: u64,
        /// Its format.
        found: u32,
        /// The format this version computes.
        reads: u32,
    },
    /// A snapshot of a format this version does not read (see
    /// [`SNAPSHOT_FORMAT`](crate::SNAPSHOT_FORMAT)): rebuild the state from the journal.
    #[error(
        "snapshot format {found} is not read by this version (it reads {reads}); rebuild the state from the journal"
    )]
    SnapshotFormat {
        /// The snapshot's format.
        found: u32,
        /// The format this version reads.
        reads: u32,
    },
    /// Journal entries with one or more missing: an entry is numbered past the one
    /// expected (at the start, the one after the genesis or checkpoint).
    #[error("journal entry {missing} is missing (the next entry given is {found})")]
    JournalGap {
        /// The first entry missing.
        missing: u64,
        /// The entry found in its place.
        found: u64,
    },
    /// A journal entry repeated, or out of order: numbered at or before the entry it
    /// follows.
    #[error("journal entry {seq} comes again after entry {after}")]
    JournalRepeat {
        /// The entry's number.
        seq: u64,
        /// The entry it follows.
        after: u64,
    },
    /// A snapshot's journal mark that is not the state's position: the state has
    /// applied `state` events, the mark says `mark`.
    #[error("the journal mark says entry {mark} but the state has applied {state} events")]
    MarkMismatch {
        /// The mark's seq.
        mark: u64,
        /// The state's seq.
        state: u64,
    },
    /// A snapshot whose content does not match its digest: it was changed or damaged
    /// after it was taken.
    #[error("snapshot does not match its digest")]
    SnapshotDigest,
    /// A snapshot or journal could not be used.
    #[error("{what}")]
    Restore {
        /// What is wrong.
        what: String,
    },
    /// A snapshot whose content (digest aside) is not a state the ledger can reach: a
    /// handle out of range, a time that is not one, a lot on an untracked item, ...
    #[error("snapshot {part}: {why}")]
    InvalidSnapshot {
        /// Which part of the state (`positions`, `lots`, `serials`, ...).
        part: &'static str,
        /// What is wrong.
        why: String,
    },
    /// A unit the item's base unit should be (internal consistency).
    #[error("{item}: base unit {uom} is not known")]
    BaseUnit {
        /// The item.
        item: ItemCode,
        /// The unit.
        uom: UomCode,
    },
}

impl LedgerError {
    /// A stable snake-case name for the kind of error (`insufficient_stock`,
    /// `not_permitted`, ...), for logs, metrics and tests that match on kinds.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// let err = ledger.apply(&testing::receipt(1, "ATL", "NO-SUCH-ITEM", "5 EA", "RCV-01")?).unwrap_err();
    /// assert_eq!(err.code(), "unknown_item");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            LedgerError::InvalidCode { .. } => "invalid_code",
            LedgerError::IdReused { .. } => "id_reused",
            LedgerError::TimePrecision { .. } => "time_precision",
            LedgerError::Vetoed { .. } => "vetoed",
            LedgerError::PeriodClosed { .. } => "period_closed",
            LedgerError::EntityPeriodClosed { .. } => "entity_period_closed",
            LedgerError::CloseNotForward { .. } => "close_not_forward",
            LedgerError::CloseBeyondRecorded { .. } => "close_beyond_recorded",
            LedgerError::OverReceipt { .. } => "over_receipt",
            LedgerError::NotNetworkWide { .. } => "not_network_wide",
            LedgerError::NothingToReopen => "nothing_to_reopen",
            LedgerError::ReopenNotBack { .. } => "reopen_not_back",
            LedgerError::NotPermitted { .. } => "not_permitted",
            LedgerError::OutOfScope { .. } => "out_of_scope",
            LedgerError::ReasonNotAllowed { .. } => "reason_not_allowed",
            LedgerError::NoLines { .. } => "no_lines",
            LedgerError::UnknownItem { .. } => "unknown_item",
            LedgerError::UnknownSite { .. } => "unknown_site",
            LedgerError::UnknownBin { .. } => "unknown_bin",
            LedgerError::UnknownEntity { .. } => "unknown_entity",
            LedgerError::BinMismatch { .. } => "bin_mismatch",
            LedgerError::Quantity { .. } => "quantity",
            LedgerError::ZeroQuantity { .. } => "zero_quantity",
            LedgerError::NegativeCost { .. } => "negative_cost",
            LedgerError::FieldNotAllowed { .. } => "field_not_allowed",
            LedgerError::LotMismatch { .. } => "lot_mismatch",
            LedgerError::UnknownLot { .. } => "unknown_lot",
            LedgerError::LotExpired { .. } => "lot_expired",
            LedgerError::SerialCount { .. } => "serial_count",
            LedgerError::SerialRepeated { .. } => "serial_repeated",
            LedgerError::SerialInNetwork { .. } => "serial_in_network",
            LedgerError::BackDatedSerialCount { .. } => "back_dated_serial_count",
            LedgerError::LotExpiryConflict { .. } => "lot_expiry_conflict",
            LedgerError::CloseInFuture { .. } => "close_in_future",
            LedgerError::SerialNotHere { .. } => "serial_not_here",
            LedgerError::IllegalMove(_) => "illegal_move",
            LedgerError::WrongStatuses { .. } => "wrong_statuses",
            LedgerError::InsufficientStock { .. } => "insufficient_stock",
            LedgerError::UnknownOriginal { .. } => "unknown_original",
            LedgerError::NotReversible { .. } => "not_reversible",
            LedgerError::AlreadyReversed { .. } => "already_reversed",
            LedgerError::ReversalRefused { .. } => "reversal_refused",
            LedgerError::OriginalRequired { .. } => "original_required",
            LedgerError::NotAReceipt { .. } => "not_a_receipt",
            LedgerError::ReturnExceedsReceipt { .. } => "return_exceeds_receipt",
            LedgerError::ReturnBeforeOriginal { .. } => "return_before_original",
            LedgerError::NoSuchPending { .. } => "no_such_pending",
            LedgerError::SelfApproval { .. } => "self_approval",
            LedgerError::AlreadyApproved { .. } => "already_approved",
            LedgerError::UnknownActor { .. } => "unknown_actor",
            LedgerError::ActorNotValid { .. } => "actor_not_valid",
            LedgerError::ApproverLacksRole { .. } => "approver_lacks_role",
            LedgerError::UnknownTransfer { .. } => "unknown_transfer",
            LedgerError::TransferExists { .. } => "transfer_exists",
            LedgerError::TransferState { .. } => "transfer_state",
            LedgerError::TransferSite { .. } => "transfer_site",
            LedgerError::TransferToSelf { .. } => "transfer_to_self",
            LedgerError::NotOnTransfer { .. } => "not_on_transfer",
            LedgerError::ReceivedBeforeShipped { .. } => "received_before_shipped",
            LedgerError::OverShipment { .. } => "over_shipment",
            LedgerError::WrongDocument { .. } => "wrong_document",
            LedgerError::InvalidRules { .. } => "invalid_rules",
            LedgerError::Overflow { .. } => "overflow",
            LedgerError::JournalBroken { .. } => "journal_broken",
            LedgerError::SnapshotFormat { .. } => "snapshot_format",
            LedgerError::JournalGap { .. } => "journal_gap",
            LedgerError::JournalRepeat { .. } => "journal_repeat",
            LedgerError::JournalFormat { .. } => "journal_format",
            LedgerError::MarkMismatch { .. } => "mark_mismatch",
            LedgerError::SnapshotDigest => "snapshot_digest",
            LedgerError::Restore { .. } => "restore",
            LedgerError::InvalidSnapshot { .. } => "invalid_snapshot",
            LedgerError::BaseUnit { .. } => "base_unit",
        }
    }
}

fn roles_list(roles: &[Role]) -> String {
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_snake_case_names() -> Result<(), Box<dyn std::error::Error>> {
        assert_eq!(LedgerError::NoLines { kind: EventKind::Pick }.code(), "no_lines");
        let e = LedgerError::IdReused { id: EventId::from_u128(1) };
        assert_eq!(e.code(), "id_reused");
        let e = LedgerError::EntityPeriodClosed {
            entity: onhand_master::EntityCode::new("NA01")?,
            effective_at: DateTime::default(),
            closed_through: DateTime::default(),
        };
        assert_eq!(e.code(), "entity_period_closed");
        Ok(())
    }
}
