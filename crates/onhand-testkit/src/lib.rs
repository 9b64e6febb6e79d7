//! Test fixtures and proptest strategies shared by onhand's tests, benches and fuzz
//! targets. Not published: crates take it as a path-only dev-dependency, from `tests/`,
//! so the types under test are compiled once.
//!
//! - [`scale`]: deterministic synthetic networks of any size, for benchmarks (a
//!   re-export of `onhand_master::synthetic`).
//! - [`strategies`]: proptest strategies for codes, units, quantities, valid networks and
//!   status maps, and defects to plant into them.
//! - [`fifo_workload`]: the FIFO costing workload of issue 14 and its integer model.
//! - [`pinned`]: property tests whose case count the environment cannot raise, for
//!   properties whose every case is expensive.
//! - `ledger_model` (feature `ledger-model`): a naive reference model of the ledger and a
//!   harness that checks the ledger against it after every step, for the ledger's
//!   model-based tests and the `txn_sequence` fuzz target.
//! - `atp_model` (feature `atp-model`): a reference model of what the ATP engine may
//!   promise, for its property tests and the `allocate` fuzz target.

#[cfg(feature = "atp-model")]
pub mod atp_model;
pub mod fifo_workload;
#[cfg(feature = "ledger-model")]
pub mod ledger_model;
pub mod pinned;
pub mod scale;
pub mod strategies;
