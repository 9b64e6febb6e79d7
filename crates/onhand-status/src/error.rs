//! The one error type of `onhand-status`.

use onhand_master::{LocalStatusCode, SiteCode};

use crate::map::StatusMapViolation;
use crate::status::StockStatus;
use crate::transition::Movement;

fn side(s: Option<StockStatus>) -> &'static str {
    s.map_or("outside", StockStatus::as_str)
}

/// What failed in `onhand-status`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusError {
    /// A name that is not a canonical status.
    #[error("unknown stock status {name:?}")]
    UnknownStatus {
        /// The name.
        name: String,
    },
    /// The transition table has no row for this move.
    #[error("{movement} cannot move stock from {} to {}", side(*.from), side(*.to))]
    IllegalMove {
        /// The movement.
        movement: Movement,
        /// Where the stock was (`None`: outside the network).
        from: Option<StockStatus>,
        /// Where it would go (`None`: out of the network).
        to: Option<StockStatus>,
    },
    /// A nettable set holding a status that is not on hand.
    #[error("{status} is not on hand, so it cannot be nettable")]
    NettableNotOnHand {
        /// The status.
        status: StockStatus,
    },
    /// A local code the site's map does not know.
    #[error("site {site} has no local status {code}")]
    UnknownLocalCode {
        /// The site.
        site: SiteCode,
        /// The code.
        code: LocalStatusCode,
    },
    /// A canonical status the site's map cannot express.
    #[error("site {site} has no local status for {status}")]
    Inexpressible {
        /// The site.
        site: SiteCode,
        /// The status.
        status: StockStatus,
    },
    /// Status maps with findings; every finding is listed.
    #[error("status maps have {} finding(s), the first: {}", .violations.len(), first(.violations))]
    InvalidMaps {
        /// The findings.
        violations: Vec<StatusMapViolation>,
    },
}

impl StatusError {
    /// A stable snake-case name for the kind of error (`illegal_move`, `unknown_status`, ...), for logs,
    /// metrics and tests that match on kinds.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            StatusError::UnknownStatus { .. } => "unknown_status",
            StatusError::IllegalMove { .. } => "illegal_move",
            StatusError::NettableNotOnHand { .. } => "nettable_not_on_hand",
            StatusError::UnknownLocalCode { .. } => "unknown_local_code",
            StatusError::Inexpressible { .. } => "inexpressible",
            StatusError::InvalidMaps { .. } => "invalid_maps",
        }
    }
}

fn first(v: &[StatusMapViolation]) -> String {
    v.first().map(ToString::to_string).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn illegal_move_names_both_sides() {
        let e = StatusError::IllegalMove {
            movement: Movement::Ship,
            from: Some(StockStatus::Available),
            to: None,
        };
        assert_eq!(e.to_string(), "ship cannot move stock from available to outside");
    }
}
