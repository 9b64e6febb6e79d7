//! Short builders for events, for unit tests of business rules, examples and scripts.
//!
//! Every builder parses its text arguments with the same checked constructors as
//! everything else and returns a `Result`, so a typo is an error, not a panic. Times are
//! minutes after a fixed instant ([`at`]), ids are small numbers
//! ([`EventId::from_u128`]).
//!
//! ```
//! use onhand_ledger::testing::{self, actor, line, movement};
//! use onhand_ledger::Body;
//! use onhand_master::Role;
//!
//! let pick = testing::event(
//!     7,
//!     30,
//!     actor("picker-1", &[Role::Warehouse])?,
//!     "PICK",
//!     testing::doc(onhand_ledger::DocKind::SalesOrder, "SO-1001")?,
//!     Body::Pick(movement("ATL", vec![line("BOLT-M8", "24 EA")?.at("PF-A01".parse()?)])?),
//! )?;
//! assert_eq!(pick.kind(), onhand_ledger::EventKind::Pick);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::{DateTime, Duration, TimeZone, Utc};
use onhand_master::{BinCode, ItemCode, MasterError, Qty, Role, SiteCode};
use onhand_status::StockStatus;

use crate::error::LedgerError;
use crate::event::{
    Actor, ActorId, Body, DocKind, DocNumber, DocumentRef, Event, EventId, Line, ReasonCode,
    SiteLines, SiteScope,
};

/// Errors from the builders: a bad code, quantity or status name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A ledger code (actor, reason, document) was invalid.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A master-data code or quantity was invalid.
    #[error(transparent)]
    Master(#[from] MasterError),
    /// A status name that is not canonical.
    #[error(transparent)]
    Status(#[from] onhand_status::StatusError),
    /// A time outside the representable range.
    #[error("time out of range")]
    Time,
    /// A demo item or unit without a purchase price in the seed data.
    #[error("no demo purchase price for {unit} of {item}")]
    NoPrice {
        /// The item.
        item: onhand_master::ItemCode,
        /// The unit of the line.
        unit: onhand_master::UomCode,
    },
}

impl BuildError {
    /// A stable snake-case name for the kind of error, for logs, metrics and tests that
    /// match on kinds: the wrapped error's own code for `Ledger`, `Master` and `Status`
    /// (their messages are printed as they are, so their codes are too), `time` and
    /// `no_price` otherwise.
    ///
    /// ```
    /// use onhand_ledger::testing;
    /// // A master error keeps master's code.
    /// let err = testing::line("BOLT M8", "5 EA").unwrap_err();
    /// assert_eq!(err.code(), "invalid_code");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            BuildError::Ledger(e) => e.code(),
            BuildError::Master(e) => e.code(),
            BuildError::Status(e) => e.code(),
            BuildError::Time => "time",
            BuildError::NoPrice { .. } => "no_price",
        }
    }
}

/// `minutes` after 2026-01-05 08:00 UTC, the builders' epoch. Negative minutes go back.
///
/// ```
/// use onhand_ledger::testing;
/// assert_eq!(testing::at(90) - testing::at(0), chrono::Duration::minutes(90));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn at(minutes: i64) -> DateTime<Utc> {
    let epoch = Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).single().unwrap_or_default();
    epoch.checked_add_signed(Duration::minutes(minutes)).unwrap_or(epoch)
}

/// An actor holding `roles` at every site.
///
/// # Errors
/// [`BuildError::Ledger`] for an invalid id.
///
/// ```
/// use onhand_ledger::testing;
/// use onhand_master::Role;
/// let a = testing::actor("picker-1", &[Role::Warehouse])?;
/// assert!(a.has(Role::Warehouse) && a.sites.covers(&"ATL".parse()?));
/// assert!(testing::actor("no spaces", &[]).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn actor(id: &str, roles: &[Role]) -> Result<Actor, BuildError> {
    Ok(Actor { id: ActorId::new(id)?, roles: roles.to_vec(), sites: SiteScope::All })
}

/// A document reference.
///
/// # Errors
/// [`BuildError::Ledger`] for an invalid number.
///
/// ```
/// use onhand_ledger::{DocKind, testing};
/// let d = testing::doc(DocKind::PurchaseOrder, "PO-1")?;
/// assert_eq!((d.kind, d.number.as_str()), (DocKind::PurchaseOrder, "PO-1"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn doc(kind: DocKind, number: &str) -> Result<DocumentRef, BuildError> {
    Ok(DocumentRef { kind, number: DocNumber::new(number)? })
}

/// A line of `qty` (text such as `"24 EA"`) of `item`.
///
/// # Errors
/// [`BuildError::Master`] for an invalid item code or quantity.
///
/// ```
/// use onhand_ledger::testing;
/// let l = testing::line("BOLT-M8", "5 EA")?;
/// assert_eq!((l.item.as_str(), l.qty.to_string()), ("BOLT-M8", "5 EA".to_owned()));
/// assert!(testing::line("BOLT-M8", "five").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn line(item: &str, qty: &str) -> Result<Line, BuildError> {
    Ok(Line::new(ItemCode::new(item)?, qty.parse::<Qty>()?))
}

/// Stock lines at a site.
///
/// # Errors
/// [`BuildError::Master`] for an invalid site code.
///
/// ```
/// use onhand_ledger::testing;
/// let m = testing::movement("ATL", vec![testing::line("BOLT-M8", "5 EA")?])?;
/// assert_eq!((m.site.as_str(), m.lines.len()), ("ATL", 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn movement(site: &str, lines: Vec<Line>) -> Result<SiteLines, BuildError> {
    Ok(SiteLines { site: SiteCode::new(site)?, lines })
}

/// An event with id `id`, effective and recorded `minutes` after [`at`]'s epoch.
///
/// # Errors
/// [`BuildError::Ledger`] for an invalid reason code.
///
/// ```
/// use onhand_ledger::{Body, DocKind, EventKind, testing};
/// use onhand_master::Role;
/// let e = testing::event(
///     3, 30, testing::actor("planner-1", &[Role::Planning])?, "CLOSE",
///     testing::doc(DocKind::TransferOrder, "TO-1")?, Body::TransferClose,
/// )?;
/// assert_eq!((e.kind(), e.effective_at), (EventKind::TransferClose, testing::at(30)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn event(
    id: u128,
    minutes: i64,
    actor: Actor,
    reason: &str,
    reference: DocumentRef,
    body: Body,
) -> Result<Event, BuildError> {
    let t = at(minutes);
    Ok(Event {
        id: EventId::from_u128(id),
        effective_at: t,
        recorded_at: t,
        actor,
        reason: ReasonCode::new(reason)?,
        reference,
        body,
    })
}

/// A receipt of `qty` of `item` into `bin` at `site` by a warehouse actor, at minute
/// `id`, into the status the item-site policy says.
///
/// # Errors
/// As the other builders.
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
/// let e = testing::receipt(7, "ATL", "BOLT-M8", "5 EA", "RCV-01")?;
/// assert_eq!(e.reference.number.as_str(), "PO-7");
/// assert!(matches!(ledger.apply(&e)?, Applied::Accepted(_)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn receipt(
    id: u128,
    site: &str,
    item: &str,
    qty: &str,
    bin: &str,
) -> Result<Event, BuildError> {
    let l = line(item, qty)?.at(BinCode::new(bin)?);
    let minutes = i64::try_from(id).map_err(|_| BuildError::Time)?;
    event(
        id,
        minutes,
        actor("receiver", &[Role::Warehouse])?,
        "RECEIPT",
        doc(DocKind::PurchaseOrder, &format!("PO-{id}"))?,
        Body::Receipt(movement(site, vec![l])?),
    )
}

/// A reversal of event `original`, at minute `minutes`, by an inventory-control actor
/// for `CORRECTION` on the internal document `REV-{id}`.
///
/// # Errors
/// As the other builders.
///
/// ```
/// use std::sync::Arc;
/// use onhand_ledger::{Ledger, Rules, testing};
/// use onhand_master::{seed, Catalog, CurrencyCode};
///
/// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
/// let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
/// let mut ledger = Ledger::new(catalog, rules)?;
/// let r1 = testing::receipt_to(1, "ATL", "BOLT-M8", "5 EA", "RCV-01", "available")?;
/// ledger.apply(&r1)?;
/// ledger.apply(&testing::reversal(2, 10, r1.id)?)?;
/// // The receipt is undone: every position is back where it was.
/// assert!(ledger.positions().next().is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn reversal(id: u128, minutes: i64, original: EventId) -> Result<Event, BuildError> {
    event(
        id,
        minutes,
        actor("ic", &[Role::InventoryControl])?,
        "CORRECTION",
        doc(DocKind::Internal, &format!("REV-{id}"))?,
        Body::Reversal { event: original },
    )
}

/// A return to the supplier of `qty` of `item` from `bin` at `site`, against receipt
/// `receipt`, at minute `minutes`, by a warehouse actor for `RTV` on the purchase
/// document `RTV-{id}`.
///
/// # Errors
/// As the other builders.
///
/// ```
/// use std::sync::Arc;
/// use onhand_ledger::{Ledger, LedgerError, Rules, testing};
/// use onhand_master::{seed, Catalog, CurrencyCode};
///
/// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
/// let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
/// let mut ledger = Ledger::new(catalog, rules)?;
/// let r1 = testing::receipt_to(1, "ATL", "BOLT-M8", "50 EA", "PF-A01", "available")?;
/// ledger.apply(&r1)?;
/// ledger.apply(&testing::supplier_return(2, 10, "ATL", "BOLT-M8", "20 EA", "PF-A01", r1.id)?)?;
/// // 30 of the receipt are left to return.
/// let more = testing::supplier_return(3, 20, "ATL", "BOLT-M8", "31 EA", "PF-A01", r1.id)?;
/// assert!(ledger.apply(&more).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn supplier_return(
    id: u128,
    minutes: i64,
    site: &str,
    item: &str,
    qty: &str,
    bin: &str,
    receipt: EventId,
) -> Result<Event, BuildError> {
    event(
        id,
        minutes,
        actor("w", &[Role::Warehouse])?,
        "RTV",
        doc(DocKind::PurchaseOrder, &format!("RTV-{id}"))?,
        Body::SupplierReturn(movement(
            site,
            vec![line(item, qty)?.at(BinCode::new(bin)?).original(receipt)],
        )?),
    )
}

/// As [`receipt`], straight into the status named `status` (`"available"`, ...).
///
/// # Errors
/// As the other builders, and [`BuildError::Status`] for an unknown status name.
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
/// ledger.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "5 EA", "RCV-01", "available")?)?;
/// assert_eq!(ledger.measure(item, site, Measure::Available), n("5")?);
/// assert!(testing::receipt_to(2, "ATL", "BOLT-M8", "5 EA", "RCV-01", "no_such_status").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn receipt_to(
    id: u128,
    site: &str,
    item: &str,
    qty: &str,
    bin: &str,
    status: &str,
) -> Result<Event, BuildError> {
    let mut e = receipt(id, site, item, qty, bin)?;
    if let Body::Receipt(mv) = &mut e.body {
        for l in &mut mv.lines {
            l.to = Some(StockStatus::parse(status)?);
        }
    }
    Ok(e)
}
