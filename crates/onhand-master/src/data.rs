//! [`MasterData`]: the whole master-data document of a network, as read from files or
//! built in code, before validation.

use serde::{Deserialize, Serialize};

use crate::item::Item;
use crate::org::{Customer, LegalEntity, Region, Site, Supplier};
use crate::policy::{DeliveryLane, ItemSitePolicy, SourcingLane};
use crate::uom::UnitDef;

/// Declares [`MasterData`] and its list-by-list helpers from one list of fields, so a
/// document that holds the master data next to other lists (the `onhand` facade's
/// network files) reads and merges them without declaring them again.
macro_rules! master_lists {
    ($( $(#[$attr:meta])* $field:ident: $ty:ty, )*) => {
        /// Every master record of a network. Plain data: build it freely, then
        /// [`validate`](crate::validate) it, or turn it into a
        /// [`Catalog`](crate::Catalog), which only valid data becomes.
        #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct MasterData {
            $( $(#[$attr])* pub $field: Vec<$ty>, )*
        }

        impl MasterData {
            /// The lists' names, as documents write them.
            pub const LISTS: &'static [&'static str] = &[$(stringify!($field)),*];

            /// Reads the value of the document key `key` into its list when `key` names
            /// one ([`MasterData::LISTS`]): `Ok(true)`; `Ok(false)` (nothing read) for
            /// any other key. For a hand-written [`Deserialize`] of a document that
            /// holds the master data's lists at top level beside its own.
            ///
            /// # Errors
            /// The deserializer's error for a malformed list, or a duplicate field when
            /// `seen` already holds `key` (the list was given twice).
            pub fn read_list<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
                seen: &mut Vec<&'static str>,
            ) -> Result<bool, A::Error> {
                match key {
                    $(stringify!($field) => {
                        if seen.contains(&stringify!($field)) {
                            return Err(<A::Error as serde::de::Error>::duplicate_field(
                                stringify!($field),
                            ));
                        }
                        seen.push(stringify!($field));
                        self.$field = map.next_value()?;
                        Ok(true)
                    })*
                    _ => Ok(false),
                }
            }

            /// Appends every list of `other` after this one's (several files make one
            /// network); an empty list takes `other`'s by move.
            pub fn append(&mut self, other: MasterData) {
                $(
                    if self.$field.is_empty() {
                        self.$field = other.$field;
                    } else {
                        self.$field.extend(other.$field);
                    }
                )*
            }
        }
    };
}

master_lists! {
    /// Global units beyond the standard set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    units: UnitDef,
    /// Legal entities.
    #[serde(default)]
    entities: LegalEntity,
    /// Regions.
    #[serde(default)]
    regions: Region,
    /// Sites with their zones and bins.
    #[serde(default)]
    sites: Site,
    /// Suppliers (including logistics providers).
    #[serde(default)]
    suppliers: Supplier,
    /// Customers.
    #[serde(default)]
    customers: Customer,
    /// Items.
    #[serde(default)]
    items: Item,
    /// Item-site policies.
    #[serde(default)]
    policies: ItemSitePolicy,
    /// Sourcing lanes (how sites are supplied).
    #[serde(default)]
    lanes: SourcingLane,
    /// Delivery lanes (which sites ship to which customer regions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    delivery_lanes: DeliveryLane,
}
