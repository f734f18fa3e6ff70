//! The fuzz target; what it feeds and checks is in the module below (`fuzz/checks/`),
//! shared with `tests/fuzz_seeds.rs`, which replays the committed seeds through the same
//! check in `cargo test` (no fuzz build needed there).
#![no_main]

#[path = "../checks/jws_differential.rs"]
mod target;

libfuzzer_sys::fuzz_target!(|input: target::Input| target::check(input));
