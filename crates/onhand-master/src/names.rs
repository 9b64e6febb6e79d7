//! Stable names of the master-data enums: the same text serde writes, for reports.

use std::fmt;

use crate::item::{Tracking, VelocityClass};
use crate::org::{CostingMethod, NegativeStock, SiteKind, ZoneKind};
use crate::policy::{PlanningMethod, ReceiveInto};

macro_rules! names {
    ($ty:ident { $($variant:ident => $name:literal),* $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),*];

            /// The stable name, as written in files.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),*
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

names!(Tracking { None => "none", Lot => "lot", Serial => "serial" });
names!(VelocityClass { A => "A", B => "B", C => "C", D => "D", Unclassified => "unclassified" });
names!(CostingMethod { Fifo => "fifo", MovingAverage => "moving_average", Standard => "standard" });
names!(SiteKind {
    RegionalDc => "regional_dc",
    Branch => "branch",
    CrossDock => "cross_dock",
    ThirdPartyLogistics => "third_party_logistics",
    VirtualTransit => "virtual_transit",
});
names!(ZoneKind {
    Receiving => "receiving",
    PickFace => "pick_face",
    Bulk => "bulk",
    Quality => "quality",
    Staging => "staging",
    Returns => "returns",
});
names!(NegativeStock { Forbid => "forbid", Allow => "allow" });
names!(PlanningMethod {
    Manual => "manual",
    ReorderPoint => "reorder_point",
    MinMax => "min_max",
    PeriodicReview => "periodic_review",
    Drp => "drp",
});
names!(ReceiveInto { Receiving => "receiving", Available => "available", QualityHold => "quality_hold" });

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: serde::Serialize + fmt::Display>(values: &[T]) {
        for v in values {
            assert_eq!(serde_json::to_string(v).unwrap(), format!("\"{v}\""));
        }
    }

    #[test]
    fn names_match_serde() {
        check(Tracking::ALL);
        check(VelocityClass::ALL);
        check(CostingMethod::ALL);
        check(SiteKind::ALL);
        check(ZoneKind::ALL);
        check(NegativeStock::ALL);
        check(PlanningMethod::ALL);
        check(ReceiveInto::ALL);
    }
}
