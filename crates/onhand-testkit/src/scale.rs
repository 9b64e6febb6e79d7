//! Deterministic synthetic networks of any size: [`onhand_master::synthetic`],
//! re-exported under its old name so benches and tests keep their paths. New code uses
//! `onhand_master::synthetic` directly.

pub use onhand_master::synthetic::*;
