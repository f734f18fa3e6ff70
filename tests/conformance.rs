//! The suite as cargo tests against the built-in reference: one trial per case, named
//! `<area>::<id>`, and one per property, named `properties::<name>` (seed from `MC_SEED`,
//! default 0). `cargo test --test conformance -- --list`, filters, `--exact` and
//! `cargo nextest run` all work. This is the library's in-process entry point at the protocol's
//! JSON types (`harness::main`); a Rust service uses the typed one, `harness::run` (see
//! examples/rust-service).

use messenger_conformance::reference::Reference;

fn main() {
    let cases = concat!(env!("CARGO_MANIFEST_DIR"), "/cases");
    messenger_conformance::harness::main(cases, || Box::new(Reference));
}
