//! Roles an actor can hold. Governance rules (who may post what, which status moves need
//! which approver) are written in terms of these.

use serde::{Deserialize, Serialize};

/// A role an actor holds, at the sites in its scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Warehouse floor: receive, put away, pick, ship, transfer.
    Warehouse,
    /// Inventory control: adjustments, counts, blocks and releases of blocked stock.
    InventoryControl,
    /// Quality: inspection, release from quality hold, disposition of returns.
    Quality,
    /// Supervisor: approves postings above thresholds.
    Supervisor,
    /// Supply planning: transfer and purchase requests, allocation controls.
    Planning,
    /// Finance: valuation, write-offs, period close.
    Finance,
    /// An integration posting on behalf of another system.
    System,
}

impl Role {
    /// Every role, in declaration order.
    pub const ALL: [Role; 7] = [
        Role::Warehouse,
        Role::InventoryControl,
        Role::Quality,
        Role::Supervisor,
        Role::Planning,
        Role::Finance,
        Role::System,
    ];

    /// The role's stable name, as written in files.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Warehouse => "warehouse",
            Role::InventoryControl => "inventory_control",
            Role::Quality => "quality",
            Role::Supervisor => "supervisor",
            Role::Planning => "planning",
            Role::Finance => "finance",
            Role::System => "system",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde() {
        for role in Role::ALL {
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
    }
}
