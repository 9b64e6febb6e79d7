//! Test fixtures and proptest strategies shared by onhand's tests, benches and fuzz
//! targets. Not published: crates take it as a path-only dev-dependency, from `tests/`,
//! so the types under test are compiled once.
//!
//! - [`scale`]: deterministic synthetic networks of any size, for benchmarks (a
//!   re-export of `onhand_master::synthetic`).
//! - [`strategies`]: proptest strategies for codes, units, quantities, valid networks and
//!   status maps, and defects to plant into them.
//! - [`pinned`]: property tests whose case count the environment cannot raise, for
//!   properties whose every case is expensive.

pub mod pinned;
pub mod scale;
pub mod strategies;
