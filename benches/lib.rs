//! Nothing: this package holds the benchmarks of `messenger-conformance` (see `benches/`).
