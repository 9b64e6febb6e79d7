//! Criterion benchmarks for onhand; the benchmark targets live in `benches/`. Run them
//! with `cargo bench -p onhand-benches`, or one group with
//! `cargo bench -p onhand-benches --bench master -- convert`.

pub mod insight_mix;
pub mod snapshot_network;

/// A small deterministic generator (a 64-bit linear congruential step, the high bits
/// out): the benchmarks read no random source either, so every run measures the same
/// inputs.
#[derive(Debug, Clone)]
pub struct Lcg(pub u64);

impl Lcg {
    /// The next 31-bit value.
    pub fn step(&mut self) -> u64 {
        self.0 =
            self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// A value in `0..n` (`n` above zero).
    pub fn below(&mut self, n: u64) -> u64 {
        self.step() % n.max(1)
    }

    /// A value in `0..n` as an `i64`.
    pub fn int(&mut self, n: u64) -> i64 {
        i64::try_from(self.below(n)).unwrap_or(0)
    }
}
