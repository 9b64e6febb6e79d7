//! The canonical stock-status taxonomy for multi-warehouse inventory.
//!
//! `onhand-status` answers: *what state is this stock in, what does that state count
//! toward, and how may it change?* It owns
//!
//! - the canonical physical statuses ([`StockStatus`]) and, per status, whether it counts
//!   as on hand, available, nettable or valuated ([`Measure`], [`MeasureRules`]);
//! - not claims (soft reservations, hard allocations): they are not statuses, and the
//!   ATP engine owns them (`onhand_atp::Claim`);
//! - the transition table ([`moves_from`], [`check_move`]): which [`Movement`] may take
//!   stock from which status to which, and which moves need an approver with which
//!   [`Role`](onhand_master::Role);
//! - site status maps ([`SiteStatusMap`], [`validate_maps`], [`StatusMaps`]): each site's
//!   local codes mapped onto the canonical set and translated both ways.
//!
//! ```
//! use onhand_master::{seed, LocalStatusCode, Role, SiteCode};
//! use onhand_status::*;
//!
//! // Quality hold to available needs the quality role; damaged to available is never
//! // one move.
//! let release = check_move(Movement::StatusChange, Some(StockStatus::QualityHold),
//!                          Some(StockStatus::Available))?;
//! assert_eq!(release, Approval::Role(Role::Quality));
//! assert!(check_move(Movement::Disposition, Some(StockStatus::Damaged),
//!                    Some(StockStatus::Available)).is_err());
//!
//! // Blocked stock is on hand but neither available nor nettable.
//! assert!(StockStatus::Blocked.is_on_hand() && !StockStatus::Blocked.is_nettable());
//!
//! // The 3PL writes "40" for quality hold.
//! let maps = StatusMaps::new(&demo_status_maps(), &seed::demo_network())?;
//! let code = LocalStatusCode::new("40")?;
//! assert_eq!(maps.to_canonical(&SiteCode::new("YUL-3PL")?, &code)?, StockStatus::QualityHold);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod map;
mod status;
mod transition;

pub use error::StatusError;
pub use map::{
    SiteStatusMap, StatusMap, StatusMapViolation, StatusMaps, demo_status_maps, validate_maps,
};
pub use status::{Measure, MeasureRules, StatusSet, StockStatus};
pub use transition::{Approval, Move, Movement, all_moves, check_move, moves_from};
