//! The suite has teeth: every bundled broken implementation (`src/broken/`) fails at least one
//! case, and at least one of its failing cases names a requirement the mutant says it breaks, so
//! the failure points at the rule that was broken. And the reference fails none.
//!
//! A mutant that is not caught means either the mutant is unrealistic or the suite has a gap:
//! add the case that catches it; never weaken this test.

use crate::common;

use std::collections::HashMap;

use common::Output;
use messenger_conformance::adapter::builtin::BuiltinFactory;
use messenger_conformance::adapter::AdapterFactory;
use messenger_conformance::broken::{self, BrokenImplementation};
use messenger_conformance::contract::Role;
use messenger_conformance::event::CaseEvent;
use messenger_conformance::scenario::Suite;

/// Every case, on one worker: one instance of the implementation sees the whole suite in order,
/// as one server process would.
fn run_suite(suite: &Suite, factory: &dyn AdapterFactory) -> Vec<CaseEvent> {
    common::run_cases(factory, &common::all_cases(suite))
}

#[test]
fn the_reference_passes_every_case() {
    let suite = common::suite();
    let events = run_suite(&suite, &BuiltinFactory::reference());
    let failures: Vec<String> = events
        .iter()
        .filter(|e| e.failed() || e.skip_reason.is_some())
        .map(messenger_conformance::report::terminal::render_failure)
        .collect();
    assert!(
        failures.is_empty(),
        "the reference does not pass its own suite:\n{}",
        failures.join("\n")
    );
    assert_eq!(events.len(), suite.cases.len());
}

/// How the suite did against one mutant.
struct Catch<'a> {
    mutant: &'a BrokenImplementation,
    failing: Vec<&'a CaseEvent>,
    /// The failing cases that name a requirement the mutant breaks.
    naming: Vec<&'a CaseEvent>,
}

impl Catch<'_> {
    fn verdict(&self) -> &'static str {
        match (self.failing.is_empty(), self.naming.is_empty()) {
            (true, _) => "UNCAUGHT",
            (false, true) => "CAUGHT, BUT NO FAILING CASE NAMES WHAT IT BREAKS",
            (false, false) => "caught",
        }
    }
}

#[test]
fn the_suite_catches_every_mutant() {
    let suite = common::suite();
    let runs: Vec<(&BrokenImplementation, Vec<CaseEvent>)> = broken::all()
        .iter()
        .map(|mutant| {
            let factory = common::broken_implementation(mutant.name);
            (mutant, run_suite(&suite, &factory))
        })
        .collect();
    let catches: Vec<Catch> = runs
        .iter()
        .map(|(mutant, events)| {
            let failing: Vec<&CaseEvent> = events.iter().filter(|e| e.failed()).collect();
            let naming = failing
                .iter()
                .copied()
                .filter(|e| {
                    e.requirements
                        .iter()
                        .any(|r| mutant.breaks.contains(&r.as_str()))
                })
                .collect();
            Catch {
                mutant,
                failing,
                naming,
            }
        })
        .collect();

    let mut table = format!(
        "{:<30} {:>7} {:>7}  {}\n",
        "mutant", "failing", "naming", "first failing cases (those naming what it breaks first)"
    );
    for catch in &catches {
        let naming: Vec<&str> = catch.naming.iter().map(|e| e.id.as_str()).collect();
        let others = catch
            .failing
            .iter()
            .map(|e| e.id.as_str())
            .filter(|id| !naming.contains(id));
        let first: Vec<&str> = naming.iter().copied().chain(others).take(5).collect();
        table.push_str(&format!(
            "{:<30} {:>7} {:>7}  {}{}\n",
            catch.mutant.name,
            catch.failing.len(),
            catch.naming.len(),
            first.join(", "),
            match catch.verdict() {
                "caught" => String::new(),
                other => format!("  <- {other} (breaks {})", catch.mutant.breaks.join(", ")),
            }
        ));
    }
    println!("{table}");

    let missed: Vec<String> = catches
        .iter()
        .filter(|c| c.verdict() != "caught")
        .map(|c| {
            format!(
                "{}: {} ({}; breaks {})",
                c.mutant.name,
                c.verdict(),
                c.mutant.summary,
                c.mutant.breaks.join(", ")
            )
        })
        .collect();
    assert!(
        missed.is_empty(),
        "the suite misses {} of {} mutants; add a case that catches each (or show the mutant is unrealistic):\n  {}\n\n{table}",
        missed.len(),
        catches.len(),
        missed.join("\n  ")
    );

    // Each bug is in one role; the other role answers with the reference's own code, so none of
    // its cases fails (tests/properties.rs runs each mutant's properties of its role alone).
    let role_of: HashMap<&str, Role> = suite
        .cases
        .iter()
        .map(|case| (case.id.as_str(), case.role))
        .collect();
    let off_role: Vec<String> = catches
        .iter()
        .flat_map(|catch| {
            catch
                .failing
                .iter()
                .filter(|e| role_of[e.id.as_str()] != catch.mutant.broken_role())
                .map(|e| {
                    format!(
                        "{} (a {:?} bug) fails {}",
                        catch.mutant.name,
                        catch.mutant.broken_role(),
                        e.id
                    )
                })
        })
        .collect();
    assert!(
        off_role.is_empty(),
        "a mutant fails a case of the role its bug is not in:\n  {}",
        off_role.join("\n  ")
    );
}

/// The verifier mutants that let someone without the platform's secret in, or pass as another
/// user: each must get at least one critical failure, and no other mutant any (a token MACed
/// with the platform's own key that is accepted despite a format or claim rule is a lenient
/// reading, `major` or `minor`).
const LETS_AN_OUTSIDER_IN: [&str; 19] = [
    "idv-hashes-email",
    "idv-web-secret-everywhere",
    "idv-enforcement-ignored",
    "idv-prefix-compare",
    "idv-normalised-identifier",
    "idv-jwt-required-ignored",
    "jwt-alg-none",
    "key-any-platform",
    "key-kid-selects-any-key",
    "key-rotated-out-remembered",
    "jwt-missing-user-id-fallback",
    "jwt-identity-mismatch-ignored",
    "attr-locked-from-request",
    "jwt-signature-short-compare",
    "key-empty-secret-verifies",
    "jwt-request-email-wins",
    "jwt-identity-case-insensitive",
    "idv-empty-secret-verifies",
    "req-update-unverified",
];

#[test]
fn critical_failures_are_exactly_those_of_mutants_that_let_an_outsider_in() {
    use messenger_conformance::contract::Role;
    use messenger_conformance::judge::Severity;

    let suite = common::suite();
    let verifier_cases: Vec<_> = suite
        .cases
        .iter()
        .filter(|c| c.role == Role::Verifier)
        .collect();
    let mut wrong = Vec::new();
    for mutant in broken::all() {
        let events =
            common::run_cases(&common::broken_implementation(mutant.name), &verifier_cases);
        let critical: Vec<&str> = events
            .iter()
            .filter(|e| e.failed() && e.severity == Some(Severity::Critical))
            .map(|e| e.id.as_str())
            .collect();
        let outsider = LETS_AN_OUTSIDER_IN.contains(&mutant.name);
        if outsider && critical.is_empty() {
            wrong.push(format!(
                "{}: lets someone without the platform's secret in ({}), yet no failure is critical",
                mutant.name, mutant.summary
            ));
        } else if !outsider && !critical.is_empty() {
            wrong.push(format!(
                "{}: lets no outsider in ({}), yet {} is critical",
                mutant.name,
                mutant.summary,
                critical.join(", ")
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_stateful_bug_stays_within_its_instance() {
    use messenger_conformance::contract::{Outcome, VerifyRequest};
    use serde_json::json;

    let request = |keys: serde_json::Value| -> VerifyRequest {
        let token = common::sign_jwt(&json!({"user_id": "u-1"}), "old-secret");
        serde_json::from_value(json!({
            "id": "r1", "now": 1767225600,
            "workspace": {"name": "w", "platforms": {"web": {
                "identity_verification": {"secret": "s-web", "enforced": true}, "jwt": {"enabled": true}}},
                "jwt_keys": keys},
            "request": {"action": "boot", "platform": "web", "intercom_user_jwt": token}
        }))
        .unwrap()
    };
    let both = request(
        json!([{"id": "k-old", "secret": "old-secret", "platforms": ["web"]},
                              {"id": "k-new", "secret": "new-secret", "platforms": ["web"]}]),
    );
    let rotated = request(json!([{"id": "k-new", "secret": "new-secret", "platforms": ["web"]}]));

    let mut remembering = broken::by_name("key-rotated-out-remembered").unwrap();
    assert_eq!(remembering.verify(&both).outcome, Outcome::Accepted);
    assert_eq!(
        remembering.verify(&rotated).outcome,
        Outcome::Accepted,
        "the bug: k-old is remembered"
    );
    // A fresh instance (another worker) never saw k-old.
    let mut fresh = broken::by_name("key-rotated-out-remembered").unwrap();
    assert_eq!(fresh.verify(&rotated).outcome, Outcome::Rejected);
    let factory = broken::factory("key-rotated-out-remembered").unwrap();
    assert_eq!(
        factory.describe(),
        "builtin:broken:key-rotated-out-remembered"
    );
    assert_eq!(
        factory.start().unwrap().hello().implementation.name,
        "broken:key-rotated-out-remembered"
    );
}

/// The binary with `args`, run from a scratch directory of its own so that nothing it writes
/// lands in the checkout.
fn outside_the_checkout(scratch: &str, args: &[&str]) -> Output {
    common::cli_in(&common::scratch(scratch), args)
}

#[test]
fn run_broken_fails_the_gate() {
    let cases = common::cases_arg();
    let output = outside_the_checkout(
        "run-broken-fails",
        &[
            "run",
            "--broken",
            "idv-enforcement-ignored",
            "--filter",
            "idv::IDV-ENF",
            "--no-report",
            "--quiet",
            "--cases",
            &cases,
        ],
    );
    assert_eq!(output.code, 1, "{output}");
    assert!(output.stdout.contains("IDV-ENFORCED"), "{output}");
}

#[test]
fn run_broken_with_an_unknown_name_lists_the_names() {
    let cases = common::cases_arg();
    let output = outside_the_checkout(
        "run-broken-unknown",
        &[
            "run",
            "--broken",
            "nosuch",
            "--no-report",
            "--cases",
            &cases,
        ],
    );
    let stderr = &output.stderr;
    assert_eq!(output.code, 2, "stderr:\n{stderr}");
    assert!(stderr.contains("nosuch"), "{stderr}");
    for name in broken::names() {
        assert!(stderr.contains(name), "{name} is not listed:\n{stderr}");
    }
}
