//! The transition table: which movement may take stock from which status to which, and
//! which moves need an approver holding a given role.
//!
//! One table, [`moves_from`], matched exhaustively on the starting point, so a new status
//! cannot be added without deciding what may leave it. A pair missing from the table is
//! forbidden. `None` on either side means outside the network: a receipt comes from
//! outside, a shipment goes outside.
//!
//! | from | movement | to | approver |
//! |---|---|---|---|
//! | outside | receipt | receiving, available, quality hold | |
//! | outside | transfer receipt (over-delivery) | receiving, available, quality hold | |
//! | outside | customer return | return pending | |
//! | outside | adjustment (gain) | available, quality hold, damaged, blocked | |
//! | outside | cycle count (gain) | any on-hand status | |
//! | receiving | put-away | receiving (bin move), available, quality hold | |
//! | receiving | status change | quality hold, blocked, damaged | |
//! | available | put-away | available (bin move) | |
//! | available | pick | picked | |
//! | available | transfer shipment | in transit | |
//! | available | status change | quality hold, blocked, damaged | |
//! | available | scrap | scrapped | inventory control |
//! | picked | ship | outside | |
//! | picked | transfer shipment | in transit | |
//! | picked | put-away | picked (to staging), available (unpick) | |
//! | picked | status change | damaged, blocked | |
//! | quality hold | put-away | quality hold (bin move) | |
//! | quality hold | put-away, status change (release), disposition | available | quality |
//! | quality hold | disposition | damaged, scrapped | quality |
//! | quality hold | status change | blocked | |
//! | quality hold | scrap | scrapped | quality |
//! | damaged | put-away | damaged (bin move) | |
//! | damaged | disposition, status change | quality hold (re-inspection) | quality |
//! | damaged | disposition, scrap | scrapped | |
//! | damaged | status change | blocked | |
//! | blocked | put-away | blocked (bin move) | |
//! | blocked | status change (release) | available | inventory control |
//! | blocked | status change | quality hold, damaged | |
//! | blocked | scrap | scrapped | inventory control |
//! | return pending | put-away | return pending (bin move) | |
//! | return pending | disposition | available | quality |
//! | return pending | disposition | quality hold, damaged, scrapped | |
//! | in transit | transfer receipt | receiving, available, quality hold, damaged | |
//! | in transit | adjustment (loss in transit) | outside | inventory control |
//! | scrapped | scrap (disposal) | outside | |
//! | any on-hand status | adjustment, cycle count (loss) | outside | |
//!
//! Damaged stock never becomes available directly: it goes back through quality hold,
//! and only a quality role releases it from there.

use std::fmt;

use onhand_master::Role;
use serde::{Deserialize, Serialize};

use crate::error::StatusError;
use crate::status::StockStatus;

/// A kind of stock movement (the ledger's event kinds that move stock).
///
/// A smaller vocabulary than the ledger's `EventKind` on purpose: only the moves this
/// crate's transition table governs. The ledger also names events that move no stock
/// (requests, approvals, period closes) and maps each kind that does onto one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Movement {
    /// Goods received from a supplier (or found, unexpected).
    Receipt,
    /// Put-away: a bin-to-bin move, or a status change on put-away.
    Putaway,
    /// Picking available stock for an order.
    Pick,
    /// Shipping picked stock out of the network.
    Ship,
    /// Shipping stock on a transfer order (into transit).
    TransferShip,
    /// Receiving a transfer at its destination (out of transit).
    TransferReceipt,
    /// A customer return arriving.
    CustomerReturn,
    /// The outcome of an inspection.
    Disposition,
    /// A manual adjustment (gain or loss), with a reason.
    Adjustment,
    /// A cycle-count variance (gain or loss).
    CycleCount,
    /// A hold, release or block.
    StatusChange,
    /// Scrapping, and the disposal of scrapped stock.
    Scrap,
}

impl Movement {
    /// Every movement, in declaration order.
    pub const ALL: [Movement; 12] = [
        Movement::Receipt,
        Movement::Putaway,
        Movement::Pick,
        Movement::Ship,
        Movement::TransferShip,
        Movement::TransferReceipt,
        Movement::CustomerReturn,
        Movement::Disposition,
        Movement::Adjustment,
        Movement::CycleCount,
        Movement::StatusChange,
        Movement::Scrap,
    ];

    /// The stable name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Movement::Receipt => "receipt",
            Movement::Putaway => "putaway",
            Movement::Pick => "pick",
            Movement::Ship => "ship",
            Movement::TransferShip => "transfer_ship",
            Movement::TransferReceipt => "transfer_receipt",
            Movement::CustomerReturn => "customer_return",
            Movement::Disposition => "disposition",
            Movement::Adjustment => "adjustment",
            Movement::CycleCount => "cycle_count",
            Movement::StatusChange => "status_change",
            Movement::Scrap => "scrap",
        }
    }
}

impl fmt::Display for Movement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who must authorise an allowed move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    /// Anyone allowed to post the movement at the site.
    None,
    /// An approver holding this role (the poster, if it holds the role, or an approval).
    Role(Role),
}

/// One row of the table: `movement` may take stock from the row's status to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Move {
    /// The movement.
    pub movement: Movement,
    /// Where the stock goes (`None`: out of the network).
    pub to: Option<StockStatus>,
    /// Who must authorise it.
    pub approval: Approval,
}

const fn mv(movement: Movement, to: Option<StockStatus>, approval: Approval) -> Move {
    Move { movement, to, approval }
}

use Movement::{
    Adjustment, CustomerReturn, CycleCount, Disposition, Pick, Putaway, Receipt, Scrap, Ship,
    StatusChange, TransferReceipt, TransferShip,
};
use StockStatus::{
    Available, Blocked, Damaged, InTransit, Picked, QualityHold, Receiving, ReturnPending, Scrapped,
};

const ANY: Approval = Approval::None;
const QUALITY: Approval = Approval::Role(Role::Quality);
const INV_CONTROL: Approval = Approval::Role(Role::InventoryControl);

const FROM_OUTSIDE: &[Move] = &[
    mv(Receipt, Some(Receiving), ANY),
    mv(Receipt, Some(Available), ANY),
    mv(Receipt, Some(QualityHold), ANY),
    mv(TransferReceipt, Some(Receiving), ANY),
    mv(TransferReceipt, Some(Available), ANY),
    mv(TransferReceipt, Some(QualityHold), ANY),
    mv(CustomerReturn, Some(ReturnPending), ANY),
    mv(Adjustment, Some(Available), ANY),
    mv(Adjustment, Some(QualityHold), ANY),
    mv(Adjustment, Some(Damaged), ANY),
    mv(Adjustment, Some(Blocked), ANY),
    mv(CycleCount, Some(Receiving), ANY),
    mv(CycleCount, Some(Available), ANY),
    mv(CycleCount, Some(Picked), ANY),
    mv(CycleCount, Some(QualityHold), ANY),
    mv(CycleCount, Some(Damaged), ANY),
    mv(CycleCount, Some(Blocked), ANY),
    mv(CycleCount, Some(ReturnPending), ANY),
];

const FROM_RECEIVING: &[Move] = &[
    mv(Putaway, Some(Receiving), ANY),
    mv(Putaway, Some(Available), ANY),
    mv(Putaway, Some(QualityHold), ANY),
    mv(StatusChange, Some(QualityHold), ANY),
    mv(StatusChange, Some(Blocked), ANY),
    mv(StatusChange, Some(Damaged), ANY),
    mv(Adjustment, None, ANY),
    mv(CycleCount, None, ANY),
];

const FROM_AVAILABLE: &[Move] = &[
    mv(Putaway, Some(Available), ANY),
    mv(Pick, Some(Picked), ANY),
    mv(TransferShip, Some(InTransit), ANY),
    mv(StatusChange, Some(QualityHold), ANY),
    mv(StatusChange, Some(Blocked), ANY),
    mv(StatusChange, Some(Damaged), ANY),
    mv(Scrap, Some(Scrapped), INV_CONTROL),
    mv(Adjustment, None, ANY),
    mv(CycleCount, None, ANY),
];

const FROM_PICKED: &[Move] = &[
    mv(Ship, None, ANY),
    mv(TransferShip, Some(InTransit), ANY),
    mv(Putaway, Some(Picked), ANY),
    mv(Putaway, Some(Available), ANY),
    mv(StatusChange, Some(Damaged), ANY),
    mv(StatusChange, Some(Blocked), ANY),
    mv(Adjustment, None, ANY),
    mv(CycleCount, None, ANY),
];

const FROM_QUALITY_HOLD: &[Move] = &[
    mv(Putaway, Some(QualityHold), ANY),
    mv(Putaway, Some(Available), QUALITY),
    mv(StatusChange, Some(Available), QUALITY),
    mv(Disposition, Some(Available), QUALITY),
    mv(Disposition, Some(Damaged), QUALITY),
    mv(Disposition, Some(Scrapped), QUALITY),
    mv(StatusChange, Some(Blocked), ANY),
    mv(Scrap, Some(Scrapped), QUALITY),
    mv(Adjustment, None, ANY),
    mv(CycleCount, None, ANY),
];

const FROM_DAMAGED: &[Move] = &[
    mv(Putaway, Some(Damaged), ANY),
    mv(Disposition, Some(QualityHold), QUALITY),
    mv(StatusChange, Some(QualityHold), QUALITY),
    mv(Disposition, Some(Scrapped), ANY),
    mv(Scrap, Some(Scrapped), ANY),
    mv(StatusChange, Some(Blocked), ANY),
    mv(Adjustment, None, ANY),
    mv(CycleCount, None, ANY),
];

const FROM_BLOCKED: &[Move] = &[
    mv(Putaway, Some(Blocked), ANY),
    mv(StatusChange, Some(Available), INV_CONTROL),
    mv(StatusChange, Some(QualityHold), ANY),
    mv(StatusChange, Some(Damaged), ANY),
    mv(Scrap, Some(Scrapped), INV_CONTROL),
    mv(Adjustment, None, ANY),
    mv(CycleCount, None, ANY),
];

const FROM_RETURN_PENDING: &[Move] = &[
    mv(Putaway, Some(ReturnPending), ANY),
    mv(Disposition, Some(Available), QUALITY),
    mv(Disposition, Some(QualityHold), ANY),
    mv(Disposition, Some(Damaged), ANY),
    mv(Disposition, Some(Scrapped), ANY),
    mv(Adjustment, None, ANY),
    mv(CycleCount, None, ANY),
];

const FROM_IN_TRANSIT: &[Move] = &[
    mv(TransferReceipt, Some(Receiving), ANY),
    mv(TransferReceipt, Some(Available), ANY),
    mv(TransferReceipt, Some(QualityHold), ANY),
    mv(TransferReceipt, Some(Damaged), ANY),
    mv(Adjustment, None, INV_CONTROL),
];

const FROM_SCRAPPED: &[Move] = &[mv(Scrap, None, ANY)];

/// The table: every move allowed out of `from` (`None`: from outside the network).
///
/// ```
/// use onhand_status::{moves_from, Movement, StockStatus};
/// let out_of_damage = moves_from(Some(StockStatus::Damaged));
/// assert!(!out_of_damage.iter().any(|m| m.to == Some(StockStatus::Available)));
/// ```
#[must_use]
pub fn moves_from(from: Option<StockStatus>) -> &'static [Move] {
    match from {
        None => FROM_OUTSIDE,
        Some(Receiving) => FROM_RECEIVING,
        Some(Available) => FROM_AVAILABLE,
        Some(Picked) => FROM_PICKED,
        Some(QualityHold) => FROM_QUALITY_HOLD,
        Some(Damaged) => FROM_DAMAGED,
        Some(Blocked) => FROM_BLOCKED,
        Some(ReturnPending) => FROM_RETURN_PENDING,
        Some(InTransit) => FROM_IN_TRANSIT,
        Some(Scrapped) => FROM_SCRAPPED,
    }
}

/// Checks one move against the table and says who must authorise it.
///
/// ```
/// use onhand_master::Role;
/// use onhand_status::{check_move, Approval, Movement, StockStatus};
/// use StockStatus::*;
/// assert_eq!(
///     check_move(Movement::StatusChange, Some(QualityHold), Some(Available))?,
///     Approval::Role(Role::Quality)
/// );
/// assert_eq!(check_move(Movement::Pick, Some(Available), Some(Picked))?, Approval::None);
/// assert!(check_move(Movement::StatusChange, Some(Damaged), Some(Available)).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`StatusError::IllegalMove`] when the table has no such row.
pub fn check_move(
    movement: Movement,
    from: Option<StockStatus>,
    to: Option<StockStatus>,
) -> Result<Approval, StatusError> {
    moves_from(from)
        .iter()
        .find(|m| m.movement == movement && m.to == to)
        .map(|m| m.approval)
        .ok_or(StatusError::IllegalMove { movement, from, to })
}

/// Every row of the table as `(from, move)`, starting from outside, then by status.
pub fn all_moves() -> impl Iterator<Item = (Option<StockStatus>, Move)> {
    std::iter::once(None)
        .chain(StockStatus::ALL.into_iter().map(Some))
        .flat_map(|from| moves_from(from).iter().map(move |m| (from, *m)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(
        movement: Movement,
        from: Option<StockStatus>,
        to: Option<StockStatus>,
        expected: Option<Approval>,
    ) {
        assert_eq!(check_move(movement, from, to).ok(), expected, "{movement} {from:?} -> {to:?}");
    }

    #[test]
    fn examples_from_the_issue() {
        check(StatusChange, Some(QualityHold), Some(Available), Some(QUALITY));
        check(Disposition, Some(QualityHold), Some(Available), Some(QUALITY));
        check(StatusChange, Some(Damaged), Some(Available), None);
        check(Disposition, Some(Damaged), Some(Available), None);
        check(Putaway, Some(Damaged), Some(Available), None);
    }

    #[test]
    fn damaged_never_reaches_available_in_one_move() {
        assert!(moves_from(Some(Damaged)).iter().all(|m| m.to != Some(Available)));
    }

    #[test]
    fn every_status_is_reachable_and_every_on_hand_status_can_be_counted_out() {
        for s in StockStatus::ALL {
            assert!(all_moves().any(|(_, m)| m.to == Some(s)), "{s} is unreachable");
            if s.is_on_hand() {
                check(CycleCount, Some(s), None, Some(ANY));
                assert_eq!(check_move(CycleCount, None, Some(s)), Ok(ANY), "count gain into {s}");
            }
        }
    }

    #[test]
    fn no_duplicate_rows() {
        let rows: Vec<_> = all_moves().map(|(from, m)| (from, m.movement, m.to)).collect();
        let mut sorted = rows.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(rows.len(), sorted.len());
    }

    #[test]
    fn ship_only_from_picked_and_only_out() {
        for (from, m) in all_moves().filter(|(_, m)| m.movement == Ship) {
            assert_eq!((from, m.to), (Some(Picked), None));
        }
    }

    #[test]
    fn transit_is_entered_by_transfer_shipment_and_left_by_receipt_or_written_off() {
        for (from, m) in all_moves() {
            if m.to == Some(InTransit) {
                assert_eq!(m.movement, TransferShip, "{from:?}");
            }
            if from == Some(InTransit) && m.to.is_some() {
                assert_eq!(m.movement, TransferReceipt);
            }
        }
    }
}
