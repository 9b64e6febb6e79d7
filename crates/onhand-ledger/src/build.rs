//! An event builder for services: [`Event::new`] for any body, and a line-by-line
//! builder ([`StockEvent`]) for the kinds that move stock at one site, so a caller
//! writes what happened and who posts it, not the envelope field by field.
//!
//! Unlike [`testing`](crate::testing), which parses text and counts time in minutes from
//! a fixed instant for tests and examples, these take the checked types a service
//! already holds (codes, quantities, times), and building cannot fail: whether the
//! event is acceptable is the ledger's question, asked by [`Ledger::apply`].
//!
//! [`Ledger::apply`]: crate::Ledger::apply

use chrono::{DateTime, Utc};
use onhand_master::{ItemCode, Qty, SiteCode};

use crate::event::{Actor, Body, DocumentRef, Event, EventId, Line, ReasonCode, SiteLines};

impl Event {
    /// An event recorded when it is effective (`recorded_at` = `effective_at`; set
    /// `recorded_at` afterwards for an event recorded later).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use onhand_ledger::{Actor, Body, DocKind, DocumentRef, Event, EventId, EventKind, SiteScope};
    /// use onhand_master::Role;
    ///
    /// let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().ok_or("time")?;
    /// let close = Event::new(
    ///     EventId::from_u128(9),
    ///     at,
    ///     Actor { id: "planner-1".parse()?, roles: vec![Role::Planning], sites: SiteScope::All },
    ///     "CLOSE".parse()?,
    ///     DocumentRef { kind: DocKind::TransferOrder, number: "TO-7".parse()? },
    ///     Body::TransferClose,
    /// );
    /// assert_eq!((close.kind(), close.recorded_at), (EventKind::TransferClose, at));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(
        id: EventId,
        at: DateTime<Utc>,
        actor: Actor,
        reason: ReasonCode,
        reference: DocumentRef,
        body: Body,
    ) -> Self {
        Event { id, effective_at: at, recorded_at: at, actor, reason, reference, body }
    }
}

/// Which stock-moving body a [`StockEvent`] builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moving {
    Receipt,
    Putaway,
    Pick,
    Ship,
    TransferShip,
    TransferReceipt,
    CustomerReturn,
    Disposition,
    Adjustment,
    StatusChange,
    Scrap,
}

impl Moving {
    fn body(self, lines: SiteLines) -> Body {
        match self {
            Moving::Receipt => Body::Receipt(lines),
            Moving::Putaway => Body::Putaway(lines),
            Moving::Pick => Body::Pick(lines),
            Moving::Ship => Body::Ship(lines),
            Moving::TransferShip => Body::TransferShip(lines),
            Moving::TransferReceipt => Body::TransferReceipt(lines),
            Moving::CustomerReturn => Body::CustomerReturn(lines),
            Moving::Disposition => Body::Disposition(lines),
            Moving::Adjustment => Body::Adjustment(lines),
            Moving::StatusChange => Body::StatusChange(lines),
            Moving::Scrap => Body::Scrap(lines),
        }
    }
}

/// An event that moves stock at one site, built line by line: start it with the
/// [`Event`] constructor of its kind ([`Event::receipt`], [`Event::pick`], ...), add
/// lines, and [`post`](Self::post) it with who posts it, why, and the document.
///
/// ```
/// use std::sync::Arc;
/// use chrono::{TimeZone, Utc};
/// use onhand_ledger::{Actor, Applied, DocKind, DocumentRef, Event, EventId, Ledger, Line, Rules, SiteScope};
/// use onhand_master::{seed, Catalog, CurrencyCode, Role};
///
/// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
/// let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
/// let mut ledger = Ledger::new(catalog, rules)?;
/// let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().ok_or("time")?;
///
/// let receipt = Event::receipt(EventId::from_u128(1), at, "ATL".parse()?)
///     .line(Line::new("BOLT-M8".parse()?, "240 EA".parse()?).at("RCV-01".parse()?))
///     .post(
///         Actor { id: "receiver-1".parse()?, roles: vec![Role::Warehouse], sites: SiteScope::All },
///         "RECEIPT".parse()?,
///         DocumentRef { kind: DocKind::PurchaseOrder, number: "PO-1001".parse()? },
///     );
/// let Applied::Accepted(done) = ledger.apply(&receipt)? else { panic!("accepted") };
/// assert_eq!(done.deltas().len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a StockEvent does nothing until it is posted into an Event"]
pub struct StockEvent {
    id: EventId,
    effective_at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
    moving: Moving,
    lines: SiteLines,
}

macro_rules! stock_event_constructors {
    ($($(#[$meta:meta])* $fn_name:ident => $moving:ident;)*) => {
        impl Event {
            $(
                $(#[$meta])*
                pub fn $fn_name(id: EventId, at: DateTime<Utc>, site: SiteCode) -> StockEvent {
                    StockEvent::new(id, at, Moving::$moving, site)
                }
            )*
        }
    };
}

stock_event_constructors! {
    /// Starts a receipt ([`Body::Receipt`]) at `site`, effective at `at`.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use onhand_ledger::{Actor, DocKind, DocumentRef, Event, EventId, EventKind, SiteScope};
    /// # use onhand_master::Role;
    /// # let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().ok_or("time")?;
    /// # let who = Actor { id: "clerk-1".parse()?, roles: vec![Role::Warehouse], sites: SiteScope::All };
    /// # let doc = DocumentRef { kind: DocKind::Internal, number: "D-1".parse()? };
    /// let e = Event::receipt(EventId::from_u128(1), at, "ATL".parse()?)
    ///     .item("BOLT-M8".parse()?, "5 EA".parse()?)
    ///     .post(who, "REASON".parse()?, doc);
    /// assert_eq!(e.kind(), EventKind::Receipt);
    /// assert_eq!(e.body.movement().map(|m| m.site.as_str()), Some("ATL"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    receipt => Receipt;
    /// Starts a put-away ([`Body::Putaway`]) at `site`, effective at `at`.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use onhand_ledger::{Actor, DocKind, DocumentRef, Event, EventId, EventKind, SiteScope};
    /// # use onhand_master::Role;
    /// # let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().ok_or("time")?;
    /// # let who = Actor { id: "clerk-1".parse()?, roles: vec![Role::Warehouse], sites: SiteScope::All };
    /// # let doc = DocumentRef { kind: DocKind::Internal, number: "D-1".parse()? };
    /// let e = Event::putaway(EventId::from_u128(1), at, "ATL".parse()?)
    ///     .item("BOLT-M8".parse()?, "5 EA".parse()?)
    ///     .post(who, "REASON".parse()?, doc);
    /// assert_eq!(e.kind(), EventKind::Putaway);
    /// assert_eq!(e.body.movement().map(|m| m.site.as_str()), Some("ATL"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    putaway => Putaway;
    /// Starts a pick ([`Body::Pick`]) at `site`, effective at `at`.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use onhand_ledger::{Actor, DocKind, DocumentRef, Event, EventId, EventKind, SiteScope};
    /// # use onhand_master::Role;
    /// # let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().ok_or("time")?;
    /// # let who = Actor { id: "clerk-1".parse()?, roles: vec![Role::Warehouse], sites: SiteScope::All };
    /// # let doc = DocumentRef { kind: DocKind::Internal, number: "D-1".parse()? };
    /// let e = Event::pick(EventId::from_u128(1), at, "ATL".parse()?)
    ///     .item("BOLT-M8".parse()?, "5 EA".parse()?)
    ///     .post(who, "REASON".parse()?, doc);
    /// assert_eq!(e.kind(), EventKind::Pick);
    /// assert_eq!(e.body.movement().map(|m| m.site.as_str()), Some("ATL"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pick => Pick;
    /// Starts a shipment ([`Body::Ship`]) from `site`, effective at `at`.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use onhand_ledger::{Actor, DocKind, DocumentRef, Event, EventId, EventKind, SiteScope};
    /// # use onhand_master::Role;
    /// # let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().ok_or("time")?;
    /// # let who = Actor { id: "clerk-1".parse()?, roles: vec![Role::Warehouse], sites: SiteScope::All };
    /// # let doc = DocumentRef { kind: DocKind::Internal, number: "D-1".parse()? };
    /// let e = Event::ship(EventId::from_u128(1), at, "ATL".parse()?)
    ///     .item("BOLT-M8".parse()?, "5 EA".parse()?)
    ///     .post(who, "REASON".parse()?, doc);
    /// assert_eq!(e.kind(), EventKind::Ship);
    /// assert_eq!(e.body.movement().map(|m| m.site.as_str()), Some("ATL"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ship => Ship;
    /// Starts a transfer shipment ([`Body::TransferShip`]) from `site`, effective at `at`.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use onhand_ledger::{Actor, DocKind, DocumentRef, Event, EventId, EventKind, SiteScope};
    /// # use onhand_master::Role;
    /// # let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().ok_or("time")?;
    /// # let who = Actor { id: "clerk-1".parse()?, roles: vec![Role::Warehouse], sites: SiteScope::All };
    /// # let doc = DocumentRef { kind: DocKind::Internal, number: "D-1".parse()? };
    /// let e = Event::transfer_ship(EventId::from_u128(1), at, "ATL".parse()?)
    ///     .item("BOLT-M8".parse()?, "5 EA".parse()?)
    ///     .post(who, "REASON".parse()?, doc);
    /// assert_eq!(e.kind(), EventKind::TransferShip);
    /// assert_eq!(e.body.movement().map(|m| m.site.as_str()), Some("ATL"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    transfer_ship => TransferShip;
    /// Starts a transfer receipt ([`Body::TransferReceipt`]) at `site`, effective at `at`.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use onhand_ledger::{Actor, DocKind, DocumentRef, Event, EventId, EventKind, SiteScope};
    /// # use onhand_master::Role;
    /// # let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().ok_or("time")?;
    /// # let who = Actor { id: "clerk-1".parse()?, roles: vec![Role::Warehouse], sites: SiteScope::All };
    /// # let doc = DocumentRef { kind: DocKind::Internal, number: "D-1".parse()? };
    /// let e = Event::transfer_receipt(EventId::from_u128(1), at, "ATL".parse()?)
    ///     .item("BOLT-M8".parse()?, "5 EA".parse()?)
    ///     .post(who, "REASON".parse()?, doc);
    /// assert_eq!(e.kind(), EventKind::TransferReceipt);
    /// assert_eq!(e.body.movement().map(|m| m.site.as_str()), Some("ATL"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    transfer_receipt => TransferReceipt;
    /// Starts a customer return ([`Body::CustomerReturn`]) at `site`, effective at `at`.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use onhand_ledger::{Actor, DocKind, DocumentRef, Event, EventId, EventKind, SiteScope};
    /// # use onhand_master::Role;
    /// # let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().ok_or("time")?;
    /// # let who = Actor { id: "clerk-1".parse()?, roles: vec![Role::Warehouse], sites: SiteScope::All };
    /// # let doc = DocumentRef { kind: DocKind::Internal, number: "D-1".parse()? };
    /// let e = Event::customer_return(EventId::from_u128(1), at, "ATL".parse()?)
    ///     .item("BOLT-M8".parse()?, "5 EA".parse()?)
    ///     .post(who, "REASON".parse()?, doc);
    /// assert_eq!(e.kind(), EventKind::CustomerReturn);
    /// assert_eq!(e.body.movement().map(|m| m.site.as_str()), Some("ATL"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    customer_return => CustomerReturn;
    /// Starts an inspection outcome ([`Body::Disposition`]) at `site`, effective at `at`.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use onhand_ledger::{Actor, DocKind, DocumentRef, Event, EventId, EventKind, SiteScope};
    /// # use onhand_master::Role;
    /// # let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().ok_or("time")?;
    /// # let who = Actor { id: "clerk-1".parse()?, roles: vec![Role::Warehouse], sites: SiteScope::All };
    /// # let doc = DocumentRef { kind: DocKind::Internal, number: "D-1".parse()? };
    /// let e = Event::disposition(EventId::from_u128(1), at, "ATL".parse()?)
    ///     .item("BOLT-M8".parse()?, "5 EA".parse()?)
    ///     .post(who, "REASON".parse()?, doc);
    /// assert_eq!(e.kind(), EventKind::Disposition);
    /// assert_eq!(e.body.movement().map(|m| m.site.as_str()), Some("ATL"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    disposition => Disposition;
    /// Starts an adjustment ([`Body::Adjustment`]) at `site`, effective at `at`.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use onhand_ledger::{Actor, DocKind, DocumentRef, Event, EventId, EventKind, SiteScope};
    /// # use onhand_master::Role;
    /// # let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().ok_or("time")?;
    /// # let who = Actor { id: "clerk-1".parse()?, roles: vec![Role::Warehouse], sites: SiteScope::All };
    /// # let doc = DocumentRef { kind: DocKind::Internal, number: "D-1".parse()? };
    /// let e = Event::adjustment(EventId::from_u128(1), at, "ATL".parse()?)
    ///     .item("BOLT-M8".parse()?, "5 EA".parse()?)
    ///     .post(who, "REASON".parse()?, doc);
    /// assert_eq!(e.kind(), EventKind::Adjustment);
    /// assert_eq!(e.body.movement().map(|m| m.site.as_str()), Some("ATL"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    adjustment => Adjustment;
    /// Starts a hold, release or block ([`Body::StatusChange`]) at `site`, effective at
    /// `at`.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use onhand_ledger::{Actor, DocKind, DocumentRef, Event, EventId, EventKind, SiteScope};
    /// # use onhand_master::Role;
    /// # let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().ok_or("time")?;
    /// # let who = Actor { id: "clerk-1".parse()?, roles: vec![Role::Warehouse], sites: SiteScope::All };
    /// # let doc = DocumentRef { kind: DocKind::Internal, number: "D-1".parse()? };
    /// let e = Event::status_change(EventId::from_u128(1), at, "ATL".parse()?)
    ///     .item("BOLT-M8".parse()?, "5 EA".parse()?)
    ///     .post(who, "REASON".parse()?, doc);
    /// assert_eq!(e.kind(), EventKind::StatusChange);
    /// assert_eq!(e.body.movement().map(|m| m.site.as_str()), Some("ATL"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    status_change => StatusChange;
    /// Starts a scrapping or disposal ([`Body::Scrap`]) at `site`, effective at `at`.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use onhand_ledger::{Actor, DocKind, DocumentRef, Event, EventId, EventKind, SiteScope};
    /// # use onhand_master::Role;
    /// # let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().ok_or("time")?;
    /// # let who = Actor { id: "clerk-1".parse()?, roles: vec![Role::Warehouse], sites: SiteScope::All };
    /// # let doc = DocumentRef { kind: DocKind::Internal, number: "D-1".parse()? };
    /// let e = Event::scrap(EventId::from_u128(1), at, "ATL".parse()?)
    ///     .item("BOLT-M8".parse()?, "5 EA".parse()?)
    ///     .post(who, "REASON".parse()?, doc);
    /// assert_eq!(e.kind(), EventKind::Scrap);
    /// assert_eq!(e.body.movement().map(|m| m.site.as_str()), Some("ATL"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    scrap => Scrap;
}

impl StockEvent {
    fn new(id: EventId, at: DateTime<Utc>, moving: Moving, site: SiteCode) -> Self {
        StockEvent {
            id,
            effective_at: at,
            recorded_at: at,
            moving,
            lines: SiteLines { site, lines: Vec::new() },
        }
    }

    /// The same event with `line` added after the others.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use onhand_ledger::{Actor, DocKind, DocumentRef, Event, EventId, EventKind, Line, SiteScope};
    /// # use onhand_master::Role;
    /// # let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().ok_or("time")?;
    /// # let receiver = Actor { id: "receiver-1".parse()?, roles: vec![Role::Warehouse], sites: SiteScope::All };
    /// # let po = DocumentRef { kind: DocKind::PurchaseOrder, number: "PO-1001".parse()? };
    /// let e = Event::receipt(EventId::from_u128(1), at, "ATL".parse()?)
    ///     .line(Line::new("BOLT-M8".parse()?, "240 EA".parse()?))
    ///     .line(Line::new("NUT-M8".parse()?, "100 EA".parse()?))
    ///     .post(receiver, "RECEIPT".parse()?, po);
    /// let items: Vec<&str> = e.body.item_codes().map(|c| c.as_str()).collect();
    /// assert_eq!(items, ["BOLT-M8", "NUT-M8"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn line(mut self, line: Line) -> Self {
        self.lines.lines.push(line);
        self
    }

    /// The same event with a plain line of `qty` of `item` added (every other field of
    /// the line left to the kind's defaults, see [`Line`]).
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use onhand_ledger::{Actor, DocKind, DocumentRef, Event, EventId, EventKind, Line, SiteScope};
    /// # use onhand_master::Role;
    /// # let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().ok_or("time")?;
    /// # let receiver = Actor { id: "receiver-1".parse()?, roles: vec![Role::Warehouse], sites: SiteScope::All };
    /// # let po = DocumentRef { kind: DocKind::PurchaseOrder, number: "PO-1001".parse()? };
    /// let e = Event::receipt(EventId::from_u128(1), at, "ATL".parse()?)
    ///     .item("BOLT-M8".parse()?, "240 EA".parse()?)
    ///     .post(receiver, "RECEIPT".parse()?, po);
    /// let lines = &e.body.movement().ok_or("movement")?.lines;
    /// assert_eq!(lines, &[Line::new("BOLT-M8".parse()?, "240 EA".parse()?)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn item(self, item: ItemCode, qty: Qty) -> Self {
        self.line(Line::new(item, qty))
    }

    /// The same event recorded at `at` (default: when it is effective).
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use onhand_ledger::{Actor, DocKind, DocumentRef, Event, EventId, EventKind, Line, SiteScope};
    /// # use onhand_master::Role;
    /// # let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().ok_or("time")?;
    /// # let receiver = Actor { id: "receiver-1".parse()?, roles: vec![Role::Warehouse], sites: SiteScope::All };
    /// # let po = DocumentRef { kind: DocKind::PurchaseOrder, number: "PO-1001".parse()? };
    /// let later = at + chrono::Duration::hours(2);
    /// let e = Event::receipt(EventId::from_u128(1), at, "ATL".parse()?)
    ///     .item("BOLT-M8".parse()?, "240 EA".parse()?)
    ///     .recorded_at(later)
    ///     .post(receiver, "RECEIPT".parse()?, po);
    /// assert_eq!((e.effective_at, e.recorded_at), (at, later));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recorded_at(mut self, at: DateTime<Utc>) -> Self {
        self.recorded_at = at;
        self
    }

    /// The event, posted by `actor` for `reason` on the document `reference`.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use onhand_ledger::{Actor, DocKind, DocumentRef, Event, EventId, EventKind, Line, SiteScope};
    /// # use onhand_master::Role;
    /// # let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().ok_or("time")?;
    /// # let receiver = Actor { id: "receiver-1".parse()?, roles: vec![Role::Warehouse], sites: SiteScope::All };
    /// # let po = DocumentRef { kind: DocKind::PurchaseOrder, number: "PO-1001".parse()? };
    /// let e = Event::receipt(EventId::from_u128(1), at, "ATL".parse()?)
    ///     .item("BOLT-M8".parse()?, "240 EA".parse()?)
    ///     .post(receiver.clone(), "RECEIPT".parse()?, po.clone());
    /// assert_eq!((e.kind(), &e.actor, &e.reference), (EventKind::Receipt, &receiver, &po));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn post(self, actor: Actor, reason: ReasonCode, reference: DocumentRef) -> Event {
        Event {
            id: self.id,
            effective_at: self.effective_at,
            recorded_at: self.recorded_at,
            actor,
            reason,
            reference,
            body: self.moving.body(self.lines),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use onhand_master::Role;

    use super::*;
    use crate::event::DocKind;
    use crate::testing;

    type Start = fn(EventId, DateTime<Utc>, SiteCode) -> StockEvent;
    type Wrap = fn(SiteLines) -> Body;

    /// Every constructor builds the body of its name, with the lines in the order added,
    /// the same event the envelope written by hand gives.
    #[test]
    fn the_builder_gives_the_event_written_by_hand() {
        let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
        let later = Utc.with_ymd_and_hms(2026, 1, 5, 10, 0, 0).unwrap();
        let site: SiteCode = "ATL".parse().unwrap();
        let a = Line::new("BOLT-M8".parse().unwrap(), "2 EA".parse().unwrap());
        let b = Line::new("GLOVE-NIT".parse().unwrap(), "3 EA".parse().unwrap());
        let actor = testing::actor("u-1", &[Role::Warehouse]).unwrap();
        let reason: ReasonCode = "R".parse().unwrap();
        let reference = DocumentRef { kind: DocKind::Internal, number: "D-1".parse().unwrap() };
        let kinds: [(Start, Wrap); 11] = [
            (Event::receipt, Body::Receipt),
            (Event::putaway, Body::Putaway),
            (Event::pick, Body::Pick),
            (Event::ship, Body::Ship),
            (Event::transfer_ship, Body::TransferShip),
            (Event::transfer_receipt, Body::TransferReceipt),
            (Event::customer_return, Body::CustomerReturn),
            (Event::disposition, Body::Disposition),
            (Event::adjustment, Body::Adjustment),
            (Event::status_change, Body::StatusChange),
            (Event::scrap, Body::Scrap),
        ];
        for (start, body) in kinds {
            let built = start(EventId::from_u128(4), at, site.clone())
                .line(a.clone())
                .item(b.item.clone(), b.qty)
                .recorded_at(later)
                .post(actor.clone(), reason.clone(), reference.clone());
            let by_hand = Event {
                id: EventId::from_u128(4),
                effective_at: at,
                recorded_at: later,
                actor: actor.clone(),
                reason: reason.clone(),
                reference: reference.clone(),
                body: body(SiteLines { site: site.clone(), lines: vec![a.clone(), b.clone()] }),
            };
            assert_eq!(built, by_hand);
            assert_eq!(built.content_digest(), by_hand.content_digest());
        }
        let plain =
            Event::new(EventId::from_u128(5), at, actor, reason, reference, Body::TransferApprove);
        assert_eq!((plain.effective_at, plain.recorded_at), (at, at));
    }
}
