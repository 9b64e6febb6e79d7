//! Master data for multi-warehouse distribution inventory.
//!
//! `onhand-master` answers: *what exists in the network, in what units, and is it
//! consistent?* It owns
//!
//! - business codes ([`ItemCode`], [`SiteCode`], [`EntityCode`], [`BinCode`], [`LotCode`],
//!   [`SerialNo`], [`SupplierCode`], [`CustomerCode`], ...), validated on construction;
//! - units of measure ([`UomCode`], [`UnitRegistry`], per-item [`ItemUnits`]) with exact
//!   conversion and a declared [`Rounding`] rule per unit;
//! - quantities that carry their unit ([`Qty`], [`QtyDelta`]) and [`Money`] in an ISO 4217
//!   currency;
//! - the records: [`Item`], [`LegalEntity`], [`Site`] with zones and bins, [`Supplier`],
//!   [`Customer`], [`ItemSitePolicy`], [`SourcingLane`], gathered in [`MasterData`];
//! - governance validation ([`validate`]) that reports every [`Violation`] at once with a
//!   stable code, and the [`Catalog`] that interns valid data into dense handles
//!   ([`ItemIx`], [`SiteIx`], ...) for hot paths;
//! - the [`seed`] demo network: six regional warehouses in two legal entities, plus a
//!   branch, a cross-dock and a 3PL; and [`synthetic`] networks of any size.
//!
//! Nothing here reads a clock, a file or the environment; the same data gives the same
//! answers everywhere.
//!
//! ```
//! use onhand_master::{seed, validate, Catalog, ItemCode, UomCode};
//! use rust_decimal::Decimal;
//!
//! let mut data = seed::demo_network();
//! assert!(validate(&data).is_clean());
//!
//! let catalog = Catalog::new(data.clone())?;
//! let glue = catalog.item_ix(&ItemCode::new("GLUE-500")?).ok_or("no glue")?;
//! let units = catalog.item_units(glue).ok_or("no units")?;
//! let cases = units.qty(Decimal::from(3), UomCode::new("CS")?)?;
//! assert_eq!(units.to_base(cases)?.to_string(), "72 EA");
//!
//! // A defect is reported with its stable code and the offending record.
//! data.items[0].units[0].factor = Decimal::new(125, 1); // a case of 12.5 each
//! let report = validate(&data);
//! assert_eq!(report.violations[0].code(), "fractional_whole_unit");
//! assert_eq!(report.violations[0].record().to_string(), "item BOLT-M8");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod canonical;
mod catalog;
pub mod chunked;
mod code;
mod data;
pub mod decimal;
mod error;
pub mod hash;
mod index;
mod item;
mod money;
mod names;
mod org;
mod policy;
mod qty;
mod role;
pub mod seed;
pub mod spread;
pub mod synthetic;
mod uom;
mod validate;

pub use catalog::{
    BinInfo, BinIx, Catalog, CustomerIx, EntityIx, ItemIx, ItemProfile, RegionIx, SiteIx,
    SupplierIx,
};
pub use code::{
    AccountCode, BinCode, BusinessCode, ChannelCode, CustomerCode, CustomerGroupCode, EntityCode,
    ItemCode, LocalStatusCode, LotCode, MAX_CODE_LEN, RegionCode, SerialNo, SiteCode, SupplierCode,
    ZoneCode,
};
pub use data::MasterData;
pub use decimal::{
    DecimalError, Rounding, RoundingMode, add_exact, div_round, mul_div_round, mul_exact, sub_exact,
};
pub use error::{CodeRule, MasterError};
pub use item::{Item, Substitute, Tracking, VelocityClass};
pub use money::{CurrencyCode, Money, UnitPrice};
pub use org::{
    Bin, CostingMethod, Customer, LegalEntity, NegativeStock, Operator, Region, Site, SiteKind,
    Supplier, Zone, ZoneKind,
};
pub use policy::{
    DeliveryLane, ItemSitePolicy, LaneSource, LeadTime, PlanningMethod, ReceiveInto, SafetyStock,
    ServiceTarget, SourcingLane,
};
pub use qty::{Qty, QtyDelta};
pub use role::Role;
pub use uom::{ItemUnit, ItemUnits, UnitCategory, UnitDef, UnitRegistry, UomCode};
pub use validate::{RecordKind, RecordRef, ValidationReport, Violation, validate};

/// Re-exported so users name the same decimal type onhand computes with.
pub use rust_decimal::Decimal;

// The crates this one's public signatures use, at the versions it was built with.
pub use rust_decimal;

/// What [`business_code!`] expands to needs, whatever the defining crate depends on. Not
/// part of the API.
#[doc(hidden)]
pub mod __private {
    pub use serde;
}
