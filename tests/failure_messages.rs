//! How failures read, pinned: for a representative set of bundled broken implementations, the
//! terminal text of the failure that shows their bug (`render_failure`) is an insta snapshot, so
//! any change to failure messages is reviewed with `cargo insta review`.
//!
//! The failure shown is the mutant's first failing case that names a requirement the mutant
//! breaks (the one a reader would look at). Two things are normalised so that snapshots change
//! only when the message does: the checkout's path, and the line of the case in its file.
//!
//! Create or update: `INSTA_UPDATE=always cargo test --test failure_messages`, then read the
//! `.snap` files. Under `CI=true` a mismatch fails and nothing is written.

use std::path::Path;

use messenger_conformance::broken;
use messenger_conformance::report::terminal::render_failure;
use messenger_conformance::run::Workers;
use messenger_conformance::scenario::{load_suite, LoadedCase};

/// One per kind of bug and of failure: bypass, lock-out, wrong code, wrong detail, signer.
const SHOWN: &[&str] = &[
    "idv-hashes-email",
    "idv-enforcement-ignored",
    "idv-uppercase-on-mobile",
    "idv-jwt-required-ignored",
    "jwt-alg-none",
    "jwt-exp-off-by-one",
    "jwt-exp-required",
    "jwt-identity-mismatch-ignored",
    "attr-locked-from-request",
    "generic-error-codes",
    "sign-exp-milliseconds",
    "sign-jwt-without-user-id",
    "sign-hash-blank-identifier",
];

#[test]
fn failure_messages() {
    let root = env!("CARGO_MANIFEST_DIR");
    let suite =
        load_suite(&Path::new(root).join("cases")).unwrap_or_else(|errors| panic!("{errors}"));
    let cases: Vec<&LoadedCase> = suite.cases.iter().collect();
    for name in SHOWN {
        let mutant = broken::find(name).unwrap_or_else(|| panic!("no mutant {name}"));
        let factory = broken::factory(name).unwrap();
        let events = Workers::start(&factory, 1)
            .unwrap()
            .run_cases(&cases, |_| {});
        let shown = events
            .iter()
            .filter(|e| e.failed())
            .find(|e| {
                e.requirements
                    .iter()
                    .any(|r| mutant.breaks.contains(&r.as_str()))
            })
            .unwrap_or_else(|| panic!("the suite does not catch {name} (see tests/mutants.rs)"));
        let text = normalise(&render_failure(shown), root);
        assert!(
            !text.contains(" ms") && !text.contains("duration"),
            "a duration in a failure message:\n{text}"
        );
        insta::assert_snapshot!(name.to_string(), text);
    }
}

/// The checkout's path left out, and `defined at FILE:LINE` without the line.
fn normalise(text: &str, root: &str) -> String {
    let text = text.replace(&format!("{root}/"), "");
    text.lines()
        .map(|line| match line.strip_prefix("  defined at ") {
            Some(location) => match location.rsplit_once(':') {
                Some((file, number)) if number.bytes().all(|b| b.is_ascii_digit()) => {
                    format!("  defined at {file}:LINE")
                }
                _ => line.to_string(),
            },
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}
