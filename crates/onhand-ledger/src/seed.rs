//! A day of events on the demo network (`onhand_master::seed::demo_network`), for the
//! `onhand demo` walk-through, examples and tests of the crates built on the ledger.
//!
//! Monday 5 January 2026, 06:00 to 18:00 UTC: purchase receipts at the regional DCs
//! (fasteners and gloves from ACME, adhesives in lots from POLYCHEM into quality hold,
//! serial-numbered drills from VOLTA), put-away, a quality release that waits for the
//! quality role, customer picks and shipments, a replenishment transfer Chicago →
//! Atlanta received in full, a cross-entity transfer Chicago → Toronto still in transit
//! at the end of the day, a branch transfer that arrives short and damaged, a customer
//! return and its inspection, a cycle count with a variance over tolerance, a found-stock
//! adjustment, a large loss waiting for a supervisor, scrap, a duplicate submission and
//! a few postings the rules refuse.
//!
//! Every purchase receipt line carries its purchase order's price
//! ([`onhand_master::seed::purchase_price_per`], per unit of the line), and the customer
//! return names the shipment its goods left with, so the day can be costed without a
//! price list.
//!
//! [`demo_day`] returns the events in submission order; applying them in that order to a
//! fresh ledger with `Rules::standard(USD).trusting_event_actors()` gives the outcomes [`DemoEvent::expect`]
//! states.

use onhand_master::{BinCode, EntityCode, LotCode, Role, SerialNo};
use onhand_status::StockStatus;

use crate::event::{
    Body, Count, CountLine, DocKind, Event, EventId, Line, TransferLine, TransferRequest,
};
use crate::testing::{BuildError, actor, doc, event, line, movement};

/// What the demo expects the ledger to do with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Applied.
    Accepted,
    /// Held for approval.
    Pending,
    /// A repeat of an earlier event.
    Duplicate,
    /// Refused by a rule.
    Rejected,
}

/// One event of the demo day, with a line of narration and the expected outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoEvent {
    /// What happens, in a few words.
    pub what: &'static str,
    /// The event.
    pub event: Event,
    /// What the ledger should do with it.
    pub expect: Expect,
}

struct Day {
    out: Vec<DemoEvent>,
    next: u128,
}

fn bin(code: &str) -> Result<BinCode, BuildError> {
    Ok(BinCode::new(code)?)
}

fn lot(code: &str) -> Result<LotCode, BuildError> {
    Ok(LotCode::new(code)?)
}

/// `l` at its item's demo purchase price per unit of its quantity.
fn priced(l: Line) -> Result<Line, BuildError> {
    let price = onhand_master::seed::purchase_price_per(&l.item, l.qty.uom())
        .ok_or_else(|| BuildError::NoPrice { item: l.item.clone(), unit: l.qty.uom() })?;
    Ok(l.cost(price))
}

fn with(mut l: Line, from: Option<StockStatus>, to: Option<StockStatus>) -> Line {
    l.from = from;
    l.to = to;
    l
}

impl Day {
    #[allow(clippy::too_many_arguments)] // the fields of one event
    fn push(
        &mut self,
        what: &'static str,
        minute: i64,
        who: (&str, &[Role]),
        reason: &str,
        kind: DocKind,
        number: &str,
        body: Body,
        expect: Expect,
    ) -> Result<EventId, BuildError> {
        self.next += 1;
        let e = event(self.next, minute, actor(who.0, who.1)?, reason, doc(kind, number)?, body)?;
        let id = e.id;
        self.out.push(DemoEvent { what, event: e, expect });
        Ok(id)
    }
}

const RECEIVER: (&str, &[Role]) = ("dock.atl", &[Role::Warehouse]);
const PICKER: (&str, &[Role]) = ("picker", &[Role::Warehouse]);
const QUALITY: (&str, &[Role]) = ("qa.lead", &[Role::Quality]);
const CONTROL: (&str, &[Role]) = ("inv.control", &[Role::InventoryControl]);
const PLANNER: (&str, &[Role]) = ("planner.na", &[Role::Planning]);
const PLANNER2: (&str, &[Role]) = ("planner.ca", &[Role::Planning]);

/// The demo day's events, in submission order.
///
/// # Errors
/// Never in practice: every code in it is a valid literal (the crate's tests apply the
/// whole day); the `Result` only carries the builders' checks.
///
/// ```
/// use std::sync::Arc;
/// use onhand_ledger::{Ledger, Rules, seed::{Expect, demo_day}};
/// use onhand_master::{seed, Catalog, CurrencyCode};
/// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
/// let mut ledger = Ledger::new(catalog, Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors())?;
/// for e in demo_day()? {
///     let rejected = ledger.apply(&e.event).is_err();
///     assert_eq!(rejected, e.expect == Expect::Rejected, "{}", e.what);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[allow(clippy::too_many_lines)] // a script: one event after another reads best in one place
pub fn demo_day() -> Result<Vec<DemoEvent>, BuildError> {
    use Expect::{Accepted, Duplicate, Pending, Rejected};
    use StockStatus::{Available, Damaged, QualityHold, ReturnPending};
    let mut d = Day { out: Vec::new(), next: 0 };
    let po = DocKind::PurchaseOrder;
    let so = DocKind::SalesOrder;
    let to = DocKind::TransferOrder;
    let internal = DocKind::Internal;

    // 06:00-07:30 purchase receipts.
    for (i, site) in ["ATL", "DFW", "ORD", "LAX", "YYZ", "YVR"].into_iter().enumerate() {
        let minute = -120 + 10 * i64::try_from(i).unwrap_or(0);
        let lines = vec![
            priced(line("BOLT-M8", "4 CS")?.at(bin("RCV-01")?))?,
            priced(line("NUT-M8", "2 BX")?.at(bin("RCV-01")?))?,
            priced(line("GLOVE-NIT", "6 CS")?.at(bin("RCV-02")?))?,
        ];
        d.push(
            "ACME delivers fasteners and gloves",
            minute,
            RECEIVER,
            "RECEIPT",
            po,
            &format!("PO-ACME-{site}"),
            Body::Receipt(movement(site, lines)?),
            Accepted,
        )?;
    }
    let glue = |l: &str, qty: &str| -> Result<Line, BuildError> {
        Ok(line("GLUE-500", qty)?.at(bin("QA-01")?).lot(lot(l)?))
    };
    d.push(
        "POLYCHEM delivers adhesive lot G-0412 into quality hold",
        -60,
        RECEIVER,
        "RECEIPT",
        po,
        "PO-PC-ORD",
        Body::Receipt(movement("ORD", vec![priced(glue("G-0412", "3 CS")?)?])?),
        Accepted,
    )?;
    d.push(
        "POLYCHEM delivers adhesive lot G-0398 (expiring sooner) to Atlanta",
        -55,
        RECEIVER,
        "RECEIPT",
        po,
        "PO-PC-ATL",
        Body::Receipt(movement(
            "ATL",
            vec![{
                let mut l = priced(glue("G-0398", "2 CS")?)?;
                l.expiry = chrono::NaiveDate::from_ymd_opt(2026, 4, 30);
                l
            }],
        )?),
        Accepted,
    )?;
    let mut drills = priced(line("DRILL-18V", "3 EA")?.at(bin("RCV-01")?))?;
    drills.serials = ["VT-1001", "VT-1002", "VT-1003"]
        .into_iter()
        .map(SerialNo::new)
        .collect::<Result<_, _>>()?;
    d.push(
        "VOLTA delivers three serial-numbered drills to Toronto",
        -50,
        RECEIVER,
        "RECEIPT",
        po,
        "PO-VT-YYZ",
        Body::Receipt(movement("YYZ", vec![drills])?),
        Accepted,
    )?;
    let replay = d.out.first().map(|e| e.event.clone());

    // 07:30-08:30 put-away to pick faces and bulk.
    for site in ["ATL", "DFW", "ORD", "LAX", "YYZ", "YVR"] {
        let lines = vec![
            line("BOLT-M8", "240 EA")?.at(bin("RCV-01")?).to_bin(bin("PF-A01")?),
            line("BOLT-M8", "240 EA")?.at(bin("RCV-01")?).to_bin(bin("BLK-01")?),
            line("NUT-M8", "1000 EA")?.at(bin("RCV-01")?).to_bin(bin("PF-A02")?),
            line("GLOVE-NIT", "60 EA")?.at(bin("RCV-02")?).to_bin(bin("PF-A03")?),
        ];
        d.push(
            "put-away from receiving",
            -30,
            PICKER,
            "PUTAWAY",
            internal,
            &format!("PA-{site}"),
            Body::Putaway(movement(site, lines)?),
            Accepted,
        )?;
    }
    let mut drills = line("DRILL-18V", "3 EA")?.at(bin("RCV-01")?).to_bin(bin("BLK-02")?);
    drills.serials = ["VT-1001", "VT-1002", "VT-1003"]
        .into_iter()
        .map(SerialNo::new)
        .collect::<Result<_, _>>()?;
    d.push(
        "drills put away to bulk",
        -25,
        PICKER,
        "PUTAWAY",
        internal,
        "PA-YYZ-2",
        Body::Putaway(movement("YYZ", vec![drills])?),
        Accepted,
    )?;

    // Quality: a warehouse user tries to release the adhesive; it waits for quality.
    let release =
        with(glue("G-0412", "72 EA")?.to_bin(bin("PF-A04")?), Some(QualityHold), Some(Available));
    let pending = d.push(
        "warehouse releases lot G-0412 from quality hold: needs the quality role",
        10,
        PICKER,
        "RELEASE",
        internal,
        "QN-17",
        Body::StatusChange(movement("ORD", vec![release])?),
        Pending,
    )?;
    d.push(
        "the quality lead signs off the release",
        25,
        QUALITY,
        "QC-PASS",
        internal,
        "QN-17",
        Body::Approve { event: pending },
        Accepted,
    )?;
    let release =
        with(glue("G-0398", "48 EA")?.to_bin(bin("PF-A04")?), Some(QualityHold), Some(Available));
    d.push(
        "quality releases lot G-0398 at Atlanta",
        30,
        QUALITY,
        "QC-PASS",
        internal,
        "QN-18",
        Body::StatusChange(movement("ATL", vec![release])?),
        Accepted,
    )?;

    // Customer orders: pick to staging, ship.
    let mut shipped = Vec::new();
    for (n, (site, item, qty, bin_from)) in [
        ("ATL", "BOLT-M8", "180 EA", "PF-A01"),
        ("ATL", "GLOVE-NIT", "25 EA", "PF-A03"),
        ("ORD", "NUT-M8", "600 EA", "PF-A02"),
        ("LAX", "BOLT-M8", "120 EA", "PF-A01"),
        ("DFW", "GLOVE-NIT", "40 EA", "PF-A03"),
    ]
    .into_iter()
    .enumerate()
    {
        let minute = 60 + 15 * i64::try_from(n).unwrap_or(0);
        let number = format!("SO-{}", 5001 + n);
        // Each order has one line, and its picks and shipments name it, so the network
        // uses up the line's allocation as the stock leaves.
        let pick = line(item, qty)?.at(bin(bin_from)?).to_bin(bin("STG-01")?).doc_line(1);
        d.push(
            "customer order picked to staging",
            minute,
            PICKER,
            "PICK",
            so,
            &number,
            Body::Pick(movement(site, vec![pick])?),
            Accepted,
        )?;
        let ship = line(item, qty)?.at(bin("STG-01")?).doc_line(1);
        let id = d.push(
            "customer order shipped",
            minute + 90,
            PICKER,
            "SHIP",
            so,
            &number,
            Body::Ship(movement(site, vec![ship])?),
            Accepted,
        )?;
        shipped.push((site, item, id));
    }
    d.push(
        "a picker over-picks: refused, nothing moves",
        140,
        PICKER,
        "PICK",
        so,
        "SO-5099",
        Body::Pick(movement("LAX", vec![line("BOLT-M8", "500 EA")?.at(bin("PF-A01")?)])?),
        Rejected,
    )?;
    d.push(
        "a picker ships straight from the shelf: the status table refuses",
        141,
        PICKER,
        "SHIP",
        so,
        "SO-5098",
        Body::Ship(movement(
            "LAX",
            vec![with(line("BOLT-M8", "5 EA")?.at(bin("PF-A01")?), Some(Available), None)],
        )?),
        Rejected,
    )?;

    // Replenishment Chicago -> Atlanta, received in full.
    let req = |from: &str, to_site: &str, item: &str, qty: &str| -> Result<Body, BuildError> {
        Ok(Body::TransferRequest(TransferRequest {
            from: from.parse()?,
            to: to_site.parse()?,
            lines: vec![TransferLine { item: item.parse()?, qty: qty.parse()? }],
            expected_arrival: None,
        }))
    };
    d.push(
        "planner requests 240 bolts Chicago -> Atlanta",
        120,
        PLANNER,
        "REPLENISH",
        to,
        "TO-7001",
        req("ORD", "ATL", "BOLT-M8", "240 EA")?,
        Accepted,
    )?;
    d.push(
        "the same planner tries to approve it: segregation of duties refuses",
        121,
        PLANNER,
        "APPROVE",
        to,
        "TO-7001",
        Body::TransferApprove,
        Rejected,
    )?;
    d.push(
        "a second planner approves",
        125,
        PLANNER2,
        "APPROVE",
        to,
        "TO-7001",
        Body::TransferApprove,
        Accepted,
    )?;
    d.push(
        "Chicago ships",
        150,
        PICKER,
        "TRANSFER",
        to,
        "TO-7001",
        Body::TransferShip(movement("ORD", vec![line("BOLT-M8", "240 EA")?.at(bin("BLK-01")?)])?),
        Accepted,
    )?;
    d.push(
        "Atlanta receives in full",
        400,
        RECEIVER,
        "TRANSFER",
        to,
        "TO-7001",
        Body::TransferReceipt(movement(
            "ATL",
            vec![line("BOLT-M8", "240 EA")?.at(bin("RCV-02")?)],
        )?),
        Accepted,
    )?;
    d.push(
        "the transfer is closed",
        410,
        PLANNER,
        "CLOSE",
        to,
        "TO-7001",
        Body::TransferClose,
        Accepted,
    )?;

    // Cross-entity Chicago (NA01) -> Toronto (CA01): in transit at the end of the day.
    d.push(
        "planner requests 500 nuts Chicago -> Toronto (intercompany)",
        130,
        PLANNER,
        "REPLENISH",
        to,
        "TO-7002",
        req("ORD", "YYZ", "NUT-M8", "500 EA")?,
        Accepted,
    )?;
    d.push("approved", 135, PLANNER2, "APPROVE", to, "TO-7002", Body::TransferApprove, Accepted)?;
    d.push(
        "Chicago ships 400 of the 500",
        300,
        PICKER,
        "TRANSFER",
        to,
        "TO-7002",
        Body::TransferShip(movement("ORD", vec![line("NUT-M8", "400 EA")?.at(bin("PF-A02")?)])?),
        Accepted,
    )?;

    // Branch transfer Atlanta -> Boston: short and damaged.
    d.push(
        "Boston branch asks Atlanta for gloves",
        140,
        PLANNER,
        "REPLENISH",
        to,
        "TO-7003",
        req("ATL", "BOS-BR", "GLOVE-NIT", "30 EA")?,
        Accepted,
    )?;
    d.push("approved", 145, PLANNER2, "APPROVE", to, "TO-7003", Body::TransferApprove, Accepted)?;
    d.push(
        "Atlanta ships 30",
        160,
        PICKER,
        "TRANSFER",
        to,
        "TO-7003",
        Body::TransferShip(movement("ATL", vec![line("GLOVE-NIT", "30 EA")?.at(bin("PF-A03")?)])?),
        Accepted,
    )?;
    d.push(
        "Boston receives 26, of which 2 damaged",
        420,
        RECEIVER,
        "TRANSFER",
        to,
        "TO-7003",
        Body::TransferReceipt(movement(
            "BOS-BR",
            vec![
                line("GLOVE-NIT", "24 EA")?.at(bin("RCV-01")?),
                with(line("GLOVE-NIT", "2 EA")?.at(bin("RCV-01")?), None, Some(Damaged)),
            ],
        )?),
        Accepted,
    )?;
    let close = d.push(
        "planner closes the order: the 4 missing need inventory control",
        430,
        PLANNER,
        "CLOSE",
        to,
        "TO-7003",
        Body::TransferClose,
        Pending,
    )?;
    d.push(
        "inventory control writes off the 4 lost in transit",
        440,
        CONTROL,
        "LOST",
        to,
        "TO-7003",
        Body::Approve { event: close },
        Accepted,
    )?;

    // A customer return at Dallas of gloves from its shipment (minute 210), inspected.
    let mut returned = line("GLOVE-NIT", "10 EA")?.at(bin("RET-01")?);
    returned.original =
        shipped.iter().find(|(s, i, _)| *s == "DFW" && *i == "GLOVE-NIT").map(|(_, _, id)| *id);
    d.push(
        "a customer returns 10 pairs of gloves at Dallas",
        220,
        RECEIVER,
        "RETURN",
        DocKind::ReturnAuthorisation,
        "RA-301",
        Body::CustomerReturn(movement("DFW", vec![returned])?),
        Accepted,
    )?;
    d.push(
        "inspection: 8 back to stock, 2 damaged",
        260,
        QUALITY,
        "INSPECTED",
        DocKind::ReturnAuthorisation,
        "RA-301",
        Body::Disposition(movement(
            "DFW",
            vec![
                with(
                    line("GLOVE-NIT", "8 EA")?.at(bin("RET-01")?).to_bin(bin("PF-A03")?),
                    Some(ReturnPending),
                    Some(Available),
                ),
                with(
                    line("GLOVE-NIT", "2 EA")?.at(bin("RET-01")?),
                    Some(ReturnPending),
                    Some(Damaged),
                ),
            ],
        )?),
        Accepted,
    )?;
    d.push(
        "the damaged gloves are scrapped",
        270,
        CONTROL,
        "DAMAGED",
        internal,
        "SCR-12",
        Body::Scrap(movement(
            "DFW",
            vec![with(line("GLOVE-NIT", "2 EA")?.at(bin("RET-01")?), Some(Damaged), None)],
        )?),
        Accepted,
    )?;

    // Counting and adjusting.
    let count = CountLine {
        item: "BOLT-M8".parse()?,
        bin: Some(bin("PF-A01")?),
        lot: None,
        status: None,
        counted: "111 EA".parse()?,
        serials: vec![],
        owner: None,
    };
    d.push(
        "cycle count at Los Angeles finds 111 of 120",
        330,
        PICKER,
        "CYCLE",
        DocKind::Count,
        "CNT-88",
        Body::CycleCount(Count { site: "LAX".parse()?, lines: vec![count] }),
        Accepted,
    )?;
    d.push(
        "a found case of nuts at Dallas",
        340,
        CONTROL,
        "FOUND",
        internal,
        "ADJ-40",
        Body::Adjustment(movement(
            "DFW",
            vec![with(line("NUT-M8", "50 EA")?.at(bin("BLK-02")?), None, Some(Available))],
        )?),
        Accepted,
    )?;
    let mut loss = with(line("BOLT-M8", "200 EA")?.at(bin("BLK-01")?), Some(Available), None);
    loss.owner = Some(EntityCode::new("NA01")?);
    d.push(
        "a loss of 200 bolts at Dallas: over the threshold, waits for a supervisor",
        350,
        CONTROL,
        "LOST",
        internal,
        "ADJ-41",
        Body::Adjustment(movement("DFW", vec![loss])?),
        Pending,
    )?;
    d.push(
        "an adjustment with no accepted reason is refused",
        355,
        CONTROL,
        "WHIM",
        internal,
        "ADJ-42",
        Body::Adjustment(movement(
            "DFW",
            vec![with(line("NUT-M8", "1 EA")?.at(bin("PF-A02")?), Some(Available), None)],
        )?),
        Rejected,
    )?;

    if let Some(first) = replay {
        d.out.push(DemoEvent {
            what: "the dock's system re-sends the first receipt: recognised, not applied twice",
            event: first,
            expect: Duplicate,
        });
    }
    Ok(d.out)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use onhand_master::{Catalog, CurrencyCode, seed};

    use super::*;
    use crate::{Applied, Ledger, Rules};

    #[test]
    fn the_demo_day_applies_as_narrated() {
        let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
        let mut ledger = Ledger::new(
            catalog,
            Rules::standard(CurrencyCode::new("USD").unwrap()).trusting_event_actors(),
        )
        .unwrap();
        for e in demo_day().unwrap() {
            let got = match ledger.apply(&e.event) {
                Ok(Applied::Accepted(_)) => Expect::Accepted,
                Ok(Applied::Pending { .. }) => Expect::Pending,
                Ok(Applied::Duplicate) => Expect::Duplicate,
                Err(_) => Expect::Rejected,
            };
            assert_eq!(got, e.expect, "{}: {:?}", e.what, ledger.apply(&e.event));
        }
    }
}
