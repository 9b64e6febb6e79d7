//! The documented rules, written out again.

use super::{EventKind, LedgerError, Line, Mv, ReasonCode, Role, StockStatus, TransferState};

/// Who may post each kind (the table in the `rules` module docs).
pub(crate) fn may_post(kind: EventKind, roles: &[Role]) -> bool {
    use Role::{Finance, InventoryControl, Planning, Quality, Supervisor, System, Warehouse};
    let allowed: &[Role] = match kind {
        EventKind::Receipt
        | EventKind::Putaway
        | EventKind::Pick
        | EventKind::Ship
        | EventKind::TransferShip
        | EventKind::TransferReceipt
        | EventKind::CustomerReturn
        | EventKind::SupplierReturn => &[Warehouse, Supervisor, System],
        EventKind::Disposition => &[Quality, Supervisor],
        EventKind::Adjustment => &[InventoryControl, Supervisor],
        EventKind::CycleCount => &[Warehouse, InventoryControl, Supervisor],
        EventKind::StatusChange => &[Warehouse, Quality, InventoryControl, Supervisor],
        EventKind::Scrap => &[InventoryControl, Quality, Supervisor],
        EventKind::TransferRequest => &[Planning, Warehouse, Supervisor, System],
        EventKind::TransferApprove => &[Planning, Supervisor],
        EventKind::TransferClose => &[Planning, InventoryControl, Supervisor],
        EventKind::ClosePeriod | EventKind::ReopenPeriod => &[Finance],
        EventKind::Reversal => &[InventoryControl, Finance, Supervisor],
        EventKind::Approve | EventKind::Reject => &[],
    };
    allowed.iter().any(|r| roles.contains(r))
}

/// Reasons the standard rules accept.
pub(crate) fn reason_ok(kind: EventKind, reason: &ReasonCode) -> bool {
    let list: &[&str] = match kind {
        EventKind::Adjustment => &["DAMAGED", "FOUND", "LOST", "THEFT", "EXPIRED", "CORRECTION"],
        EventKind::Scrap => &["DAMAGED", "EXPIRED", "QUALITY", "DISPOSAL"],
        _ => return true,
    };
    list.contains(&reason.as_str())
}

pub(crate) fn movement_of(kind: EventKind) -> Option<Mv> {
    Some(match kind {
        EventKind::Receipt => Mv::Receipt,
        EventKind::Putaway => Mv::Putaway,
        EventKind::Pick => Mv::Pick,
        EventKind::Ship => Mv::Ship,
        EventKind::TransferShip => Mv::TransferShip,
        EventKind::TransferReceipt => Mv::TransferReceipt,
        EventKind::CustomerReturn => Mv::CustomerReturn,
        EventKind::Disposition => Mv::Disposition,
        EventKind::Adjustment | EventKind::TransferClose | EventKind::SupplierReturn => {
            Mv::Adjustment
        }
        EventKind::CycleCount => Mv::CycleCount,
        EventKind::StatusChange => Mv::StatusChange,
        EventKind::Scrap => Mv::Scrap,
        EventKind::TransferRequest
        | EventKind::TransferApprove
        | EventKind::Approve
        | EventKind::Reject
        | EventKind::ClosePeriod
        | EventKind::ReopenPeriod
        | EventKind::Reversal => return None,
    })
}

/// A line's from/to statuses with the kind's defaults (the `Line` and `Body` docs);
/// `None` when the line's statuses do not fit the kind.
pub(crate) fn statuses(
    kind: EventKind,
    line: &Line,
    policy: StockStatus,
) -> Option<(Option<StockStatus>, Option<StockStatus>)> {
    use StockStatus::{Available, InTransit, Picked, Receiving, ReturnPending, Scrapped};
    let (lf, lt) = (line.from, line.to);
    Some(match kind {
        // Stock coming from outside has no from status.
        EventKind::Receipt | EventKind::CustomerReturn if lf.is_some() => return None,
        EventKind::Receipt => (None, Some(lt.unwrap_or(policy))),
        EventKind::Putaway => {
            let from = lf.unwrap_or(Receiving);
            (Some(from), Some(lt.unwrap_or(if lf.is_some() { from } else { Available })))
        }
        EventKind::Pick => (Some(lf.unwrap_or(Available)), Some(lt.unwrap_or(Picked))),
        EventKind::Ship => {
            if lt.is_some() {
                return None;
            }
            (Some(lf.unwrap_or(Picked)), None)
        }
        EventKind::TransferShip => {
            if lt.is_some_and(|s| s != InTransit) {
                return None;
            }
            (Some(lf.unwrap_or(Available)), Some(InTransit))
        }
        EventKind::TransferReceipt => {
            if lf.is_some_and(|s| s != InTransit) {
                return None;
            }
            (Some(InTransit), Some(lt.unwrap_or(policy)))
        }
        EventKind::CustomerReturn => (None, Some(lt.unwrap_or(ReturnPending))),
        EventKind::Disposition | EventKind::StatusChange => (Some(lf?), Some(lt?)),
        EventKind::Adjustment => match (lf, lt) {
            (Some(f), None) => (Some(f), None),
            (None, Some(t)) => (None, Some(t)),
            _ => return None,
        },
        EventKind::Scrap => match lf {
            Some(Scrapped) if lt.is_none() => (Some(Scrapped), None),
            Some(f) => (Some(f), Some(lt.unwrap_or(Scrapped))),
            None => return None,
        },
        _ => return None,
    })
}

/// Whether a status counts toward the network total (on hand, or in transit).
pub(crate) fn in_network(s: Option<StockStatus>) -> bool {
    s.is_some_and(|s| s.is_on_hand() || s == StockStatus::InTransit)
}

/// The transfer lifecycle of the `TransferState` docs.
pub(crate) fn may_ship(s: TransferState) -> bool {
    matches!(
        s,
        TransferState::Approved | TransferState::PartlyShipped | TransferState::PartlyReceived
    )
}

pub(crate) fn may_receive(s: TransferState) -> bool {
    matches!(
        s,
        TransferState::PartlyShipped | TransferState::Shipped | TransferState::PartlyReceived
    )
}

/// A short name for each error, for comparing outcomes.
pub(crate) fn class(e: &LedgerError) -> &'static str {
    match e {
        LedgerError::InvalidCode { .. } => "InvalidCode",
        LedgerError::IdReused { .. } => "IdReused",
        LedgerError::TimePrecision { .. } => "TimePrecision",
        LedgerError::PeriodClosed { .. } => "PeriodClosed",
        LedgerError::CloseNotForward { .. } => "CloseNotForward",
        LedgerError::NotPermitted { .. } => "NotPermitted",
        LedgerError::OutOfScope { .. } => "OutOfScope",
        LedgerError::ReasonNotAllowed { .. } => "ReasonNotAllowed",
        LedgerError::NoLines { .. } => "NoLines",
        LedgerError::UnknownItem { .. } => "UnknownItem",
        LedgerError::UnknownSite { .. } => "UnknownSite",
        LedgerError::UnknownBin { .. } => "UnknownBin",
        LedgerError::UnknownEntity { .. } => "UnknownEntity",
        LedgerError::BinMismatch { .. } => "BinMismatch",
        LedgerError::Quantity { .. } => "Quantity",
        LedgerError::ZeroQuantity { .. } => "ZeroQuantity",
        LedgerError::LotMismatch { .. } => "LotMismatch",
        LedgerError::UnknownLot { .. } => "UnknownLot",
        LedgerError::LotExpired { .. } => "LotExpired",
        LedgerError::SerialCount { .. } => "SerialCount",
        LedgerError::SerialRepeated { .. } => "SerialRepeated",
        LedgerError::SerialInNetwork { .. } => "SerialInNetwork",
        LedgerError::SerialNotHere { .. } => "SerialNotHere",
        LedgerError::IllegalMove(_) => "IllegalMove",
        LedgerError::WrongStatuses { .. } => "WrongStatuses",
        LedgerError::InsufficientStock { .. } => "InsufficientStock",
        LedgerError::NoSuchPending { .. } => "NoSuchPending",
        LedgerError::SelfApproval { .. } => "SelfApproval",
        LedgerError::AlreadyApproved { .. } => "AlreadyApproved",
        LedgerError::UnknownActor { .. } => "UnknownActor",
        LedgerError::ApproverLacksRole { .. } => "ApproverLacksRole",
        LedgerError::UnknownTransfer { .. } => "UnknownTransfer",
        LedgerError::TransferExists { .. } => "TransferExists",
        LedgerError::TransferState { .. } => "TransferState",
        LedgerError::TransferSite { .. } => "TransferSite",
        LedgerError::TransferToSelf { .. } => "TransferToSelf",
        LedgerError::NotOnTransfer { .. } => "NotOnTransfer",
        LedgerError::ReceivedBeforeShipped { .. } => "ReceivedBeforeShipped",
        LedgerError::ReturnBeforeOriginal { .. } => "ReturnBeforeOriginal",
        LedgerError::OverShipment { .. } => "OverShipment",
        LedgerError::WrongDocument { .. } => "WrongDocument",
        LedgerError::Overflow { .. } => "Overflow",
        LedgerError::BackDatedSerialCount { .. } => "BackDatedSerialCount",
        LedgerError::LotExpiryConflict { .. } => "LotExpiryConflict",
        LedgerError::CloseInFuture { .. } => "CloseInFuture",
        LedgerError::CloseBeyondRecorded { .. } => "CloseBeyondRecorded",
        LedgerError::FieldNotAllowed { .. } => "FieldNotAllowed",
        LedgerError::NegativeCost { .. } => "NegativeCost",
        _ => "other",
    }
}
