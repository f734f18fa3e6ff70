//! How failures read, pinned: for a representative set of bundled broken implementations, the
//! terminal text of the failure that shows their bug (`render_failure`) is an insta snapshot, so
//! any change to failure messages is reviewed with `cargo insta review`.
//!
//! The failure shown is the mutant's first failing case that names a requirement the mutant
//! breaks (the one a reader would look at). Two things are normalised so that snapshots change
//! only when the message does: the checkout's path, and the line of the case in its file.
//!
//! Create or update: `INSTA_UPDATE=always cargo test --test integration failure_messages::`, then
//! read the `.snap` files (one per mutant, named after it). Under `CI=true` a mismatch fails and
//! nothing is written.

use crate::common;

use messenger_conformance::broken;
use messenger_conformance::report::terminal::render_failure;

common::cases!(failure_messages {
    idv_hashes_email: ("idv-hashes-email"),
    idv_enforcement_ignored: ("idv-enforcement-ignored"),
    idv_uppercase_on_mobile: ("idv-uppercase-on-mobile"),
    idv_jwt_required_ignored: ("idv-jwt-required-ignored"),
    jwt_alg_none: ("jwt-alg-none"),
    jwt_exp_off_by_one: ("jwt-exp-off-by-one"),
    jwt_exp_required: ("jwt-exp-required"),
    jwt_identity_mismatch_ignored: ("jwt-identity-mismatch-ignored"),
    attr_locked_from_request: ("attr-locked-from-request"),
    generic_error_codes: ("generic-error-codes"),
    sign_exp_milliseconds: ("sign-exp-milliseconds"),
    sign_jwt_without_user_id: ("sign-jwt-without-user-id"),
    sign_hash_blank_identifier: ("sign-hash-blank-identifier"),
    sign_empty_identifier_signed: ("sign-empty-identifier-signed"),
    sign_reserved_attributes_overwrite: ("sign-reserved-attributes-overwrite"),
    sign_empty_secret: ("sign-empty-secret"),
});

/// One per kind of bug and of failure: bypass, lock-out, wrong code, wrong detail, signer.
fn failure_messages(name: &str) {
    let root = env!("CARGO_MANIFEST_DIR");
    let suite = common::suite();
    let mutant = broken::find(name).unwrap_or_else(|| panic!("no mutant {name}"));
    let events = common::run_cases(
        &common::broken_implementation(name),
        &common::all_cases(&suite),
    );
    let shown = events
        .iter()
        .filter(|e| e.failed())
        .find(|e| {
            e.requirements
                .iter()
                .any(|r| mutant.breaks.contains(&r.as_str()))
        })
        .unwrap_or_else(|| panic!("the suite does not catch {name} (see tests/broken.rs)"));
    let text = normalise(&render_failure(shown), root);
    assert!(
        !text.contains(" ms") && !text.contains("duration"),
        "a duration in a failure message:\n{text}"
    );
    insta::assert_snapshot!(name.to_string(), text);
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

common::cases!(property_failure_messages {
    jwt_time_window: ("jwt-time-window", "jwt-exp-off-by-one"),
    idv_hash: ("idv-hash", "idv-hashes-email"),
});

/// A property's failure, pinned: only the rules its shrunk request's problems name (not every
/// requirement the property covers), the severity of the request that first failed, and the
/// command that reproduces it.
fn property_failure_messages(property: &str, mutant: &str) {
    use messenger_conformance::properties::counterexample::Counterexamples;
    use messenger_conformance::properties::{self, Settings};
    use messenger_conformance::redact::Redactor;
    let root = env!("CARGO_MANIFEST_DIR");
    let factory = common::broken_implementation(mutant);
    let mut adapter = messenger_conformance::adapter::AdapterFactory::start(&factory).unwrap();
    let found = properties::find(property).unwrap();
    let settings = Settings {
        seed: 7,
        ..Settings::default()
    };
    let mut run = found.check(adapter.as_mut(), &settings, &Redactor::default());
    assert!(run.event.failed(), "{mutant} passes {property}");
    let replay = format!(
        "messenger-conformance run --only properties --filter properties::{property} --exact --seed 7 --broken {mutant}"
    );
    run.keep_counterexample(&Counterexamples::NotWritten("a test".into()));
    run.event.reproduce = Some(replay);
    let text = normalise(&render_failure(&run.event), root);
    let covered = found.requirements.len();
    let shown = text.matches("\n  breaks ").count();
    assert!(
        shown < covered,
        "{shown} of the property's {covered} requirements shown:\n{text}"
    );
    insta::assert_snapshot!(format!("property-{property}"), text);
}
