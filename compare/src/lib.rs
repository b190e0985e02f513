//! Comparison programs for wsmachine: peer crates in the same process or on the same
//! loopback, so every figure in the README is a ratio measured in one run.
//!
//! Each tool is a binary in `src/bin/` (or a bench in `benches/`); this library holds what
//! they share.
