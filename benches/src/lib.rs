//! Criterion benchmarks for onhand; the benchmark targets live in `benches/`. Run them
//! with `cargo bench -p onhand-benches`, or one group with
//! `cargo bench -p onhand-benches --bench master -- convert`.
