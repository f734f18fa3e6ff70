//! The integration tests: one test binary, each file of `tests/` a module of it.
//!
//! One binary rather than one per file (`autotests = false` in Cargo.toml): each binary compiled
//! `common` and its own copies of the lib's generics, serde_json's and insta's, and was linked on
//! its own, and `cargo test` ran the binaries one after another, so a file whose tests wait (a
//! timeout, a signal) left a core idle. Here libtest spreads every test over the cores.
//!
//! One file or one test: `cargo test --test integration reports::`,
//! `cargo test --test integration -- --exact reports::a_test_name`.
//!
//! A new test file is a `mod` line below: [`every_test_file_is_compiled`] fails while a file of
//! `tests/` is neither a module here nor a `[[test]]` target of Cargo.toml, since cargo no longer
//! finds test files by itself.

mod common;

mod adapters;
mod alternative_orders;
mod architecture;
mod baseline_update;
mod broken;
mod case_errors;
mod ci_action;
mod circuit_breaker;
mod closed_pipe;
mod compare;
mod contradictory_streams;
mod counterexamples;
mod coverage;
mod debug_cli;
mod ecosystem;
mod escaped_output;
mod events_format;
mod example_adapters;
mod example_crate;
mod exec_adapter;
mod exec_adapter_leaks;
mod failure_messages;
mod fuzz_seeds;
mod hostile_input;
mod interrupt;
mod open_readings;
mod open_signers;
mod properties;
mod public_api;
mod redaction;
mod reference_jsonwebtoken;
mod reference_vectors;
mod report_files;
mod reports;
mod runner;
mod seed;
mod serve_http;
mod severity;
mod signer_typ;
mod suite_anywhere;

/// Every `tests/*.rs` is compiled: a module of this binary, or a test target of its own.
#[test]
fn every_test_file_is_compiled() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let this = std::fs::read_to_string(root.join("tests/integration.rs")).unwrap();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let mut lost = Vec::new();
    for entry in std::fs::read_dir(root.join("tests")).unwrap() {
        let path = entry.unwrap().path();
        let (Some(stem), Some("rs")) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|e| e.to_str()),
        ) else {
            continue;
        };
        let a_module = this.lines().any(|line| line == format!("mod {stem};"));
        let a_target = manifest.contains(&format!("path = \"tests/{stem}.rs\""));
        if !a_module && !a_target {
            lost.push(format!("tests/{stem}.rs"));
        }
    }
    lost.sort();
    assert!(
        lost.is_empty(),
        "these test files are compiled by nothing, so their tests never run: {lost:?}. Add \
         `mod NAME;` to tests/integration.rs (or a [[test]] target to Cargo.toml)"
    );
}
