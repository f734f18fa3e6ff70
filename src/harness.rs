//! The suite as cargo tests, for an implementation in this process: one libtest trial per case,
//! named `area::ID`, and one per property, named `properties::NAME`. Filters, `--exact`,
//! `--list` and `cargo nextest run` work as for any test (libtest-mimic).
//!
//! A Rust service declares its typed verifier and/or signer as a [`Service`] and runs the whole
//! suite from a `harness = false` test target with [`run`] (see [`crate::service`]):
//!
//! ```no_run
//! # use messenger_conformance::service::{Request, Verdict, Verifier, Workspace, ErrorCode};
//! # struct MyVerifier;
//! # impl MyVerifier { fn new() -> Self { MyVerifier } }
//! # impl Verifier for MyVerifier {
//! #     fn verify(&mut self, _: &Workspace, _: &Request, _: i64) -> Verdict { Verdict::rejected(ErrorCode::InvalidRequest) }
//! # }
//! use messenger_conformance::{harness, service::Service};
//!
//! fn main() {
//!     harness::run(Service::new("my-service", env!("CARGO_PKG_VERSION")).verifier(MyVerifier::new));
//! }
//! ```
//!
//! [`main`] does the same for an implementation that speaks the protocol's JSON types
//! ([`InProcess`]), such as the built-in reference, against a suite it is given
//! ([`SuiteSource::Embedded`], the suite built into the harness, or a cases directory such as
//! `"cases"`). A [`Service`] is tested against the embedded suite.
//!
//! A case for a role the implementation does not declare, or one that needs an exact instant
//! from an implementation that reads its own clock, is an ignored trial that says why. The
//! properties' seed comes from `MC_SEED` (default: the suite's own, from its digest, as for
//! `run`); one that does not parse is a usage error, never silently replaced.
#![warn(missing_docs)]

use std::sync::Arc;

use libtest_mimic::{Arguments, Completion, Failed, Trial};

use crate::adapter::builtin::{BuiltinFactory, InProcess};
use crate::adapter::{AdapterFactory, StartError};
use crate::event::{CaseEvent, RunOptions};
use crate::judge::OutcomeClass;
use crate::report::baseline::{Baseline, BaselineError};
use crate::report::gate::{self, GateOptions};
use crate::report::terminal::render_failure;
use crate::run::Runner;
use crate::scenario::{LoadErrors, Suite};
use crate::service::Service;

/// Where [`main`] reads the suite from: the one built into this crate, or a cases directory
/// (`"cases"`, any path).
pub use crate::scenario::SuiteSource;

/// Run the suite of `cases` (the embedded suite, or a cases directory) against `make`'s implementation as cargo tests, and exit with
/// libtest's code (101 when a trial failed; 2 when the suite does not load or `MC_SEED` is not a
/// number). An `unsupported` answer to a request that needs nothing `hello` declares lacking fails
/// its trial: the implementation was meant to decide it.
pub fn main(
    cases: impl Into<SuiteSource>,
    make: impl Fn() -> Box<dyn InProcess> + Send + Sync + 'static,
) -> ! {
    let factory = BuiltinFactory::new("in-process", make);
    let policy = Policy { baseline: None };
    exit(load(cases.into()).and_then(|suite| trials(suite, Arc::new(factory), policy)))
}

/// Run the whole suite against `service` as cargo tests, and exit with libtest's code (101 when
/// a trial failed; 2 when the service declares no role, its baseline does not load, or
/// `MC_SEED` is not a number).
///
/// A request the typed [`crate::service::Request`] cannot carry (a field of the wrong JSON type)
/// is an ignored trial with the reason (the service declares it lacks them); a failure listed in the service's baseline is an ignored
/// trial that quotes the entry's reason.
pub fn run(service: Service) -> ! {
    exit(service_trials(service))
}

/// Why the suite cannot run as cargo tests: printed as `error: ...`, exit 2.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// The suite's case files do not load.
    #[error("{0}")]
    Suite(#[from] LoadErrors),
    /// The implementation cannot start (a [`Service`] that declares no role).
    #[error("{0}")]
    NotStarted(#[from] StartError),
    /// The service's baseline of known failures does not load.
    #[error("{0}")]
    Baseline(#[from] BaselineError),
    /// `MC_SEED` is set to something that is not a seed.
    #[error("MC_SEED={text:?} is not a seed (a whole number)")]
    Seed {
        /// What `MC_SEED` holds.
        text: String,
    },
}

fn service_trials(service: Service) -> Result<Vec<Trial>, HarnessError> {
    // A service with no role does not start: say so before any trial runs.
    service.start()?;
    let baseline = match service.baseline_path() {
        Some(path) => Some(Arc::new(Baseline::load(path)?)),
        None => None,
    };
    let policy = Policy { baseline };
    trials(suite()?, Arc::new(service), policy)
}

/// The suite a [`Service`] is tested against: the one built into the harness.
fn suite() -> Result<Suite, HarnessError> {
    load(SuiteSource::Embedded)
}

fn load(cases: SuiteSource) -> Result<Suite, HarnessError> {
    Ok(cases.load()?)
}

fn exit(trials: Result<Vec<Trial>, HarnessError>) -> ! {
    match trials {
        Ok(trials) => libtest_mimic::run(&Arguments::from_args(), trials).exit(),
        Err(error) => {
            eprintln!(
                "error: {}",
                crate::visible::visible_lines(&error.to_string())
            );
            std::process::exit(2);
        }
    }
}

/// How results become trial outcomes, besides pass and fail.
#[derive(Clone)]
struct Policy {
    /// Known failures: a failure it describes is ignored, with its reason.
    baseline: Option<Arc<Baseline>>,
}

/// One trial per case and property (and one for the baseline's entries, when there is one), or
/// why the suite cannot run. Each trial runs its case or property alone through the one
/// [`Runner`], on an adapter of its own.
fn trials(
    suite: Suite,
    factory: Arc<dyn AdapterFactory>,
    policy: Policy,
) -> Result<Vec<Trial>, HarnessError> {
    let seed = match std::env::var("MC_SEED") {
        Err(_) => suite.identity.default_seed(),
        Ok(text) => text.parse().map_err(|_| HarnessError::Seed { text })?,
    };
    let options = RunOptions {
        seed: Some(seed),
        ..RunOptions::default()
    };
    let runner = Arc::new(Runner::new(Arc::new(suite), factory, options));
    let mut names: Vec<String> = Vec::new();
    let mut trials = Vec::new();
    for item in runner.items() {
        let (area, id) = runner.area_and_id(item);
        names.push(id.to_string());
        let (runner, policy) = (Arc::clone(&runner), policy.clone());
        trials.push(Trial::ignorable_test(format!("{area}::{id}"), move || {
            let ran = runner
                .run_alone(item)
                .map_err(|error| format!("the implementation did not start: {error}"))?;
            conclude(ran.event(), &policy)
        }));
    }
    if let Some(baseline) = policy.baseline {
        trials.push(Trial::test("baseline::entries", move || {
            entries_name_the_suite(&baseline, &names)
        }));
    }
    Ok(trials)
}

/// A pass passes; a skip `hello` declared is ignored with its reason, one it did not (an
/// `unsupported` answer to a request that needs nothing declared lacking) fails; a failure fails with the failure
/// as the report shows it, unless the baseline lists it exactly so.
fn conclude(event: &CaseEvent, policy: &Policy) -> Result<Completion, Failed> {
    if event.outcome == OutcomeClass::Skipped {
        let reason = event.skip_reason.as_deref().unwrap_or("no reason given");
        return if event.undeclared_skip() {
            Err(format!("skipped for a reason hello did not declare: {reason}").into())
        } else {
            Ok(Completion::ignored_with(reason))
        };
    }
    let Some(baseline) = &policy.baseline else {
        return match event.outcome {
            OutcomeClass::Pass => Ok(Completion::Completed),
            _ => Err(render_failure(event).into()),
        };
    };
    // The gate of `run --baseline`, on this one result: strict (a `should` failure fails a
    // trial, as without a baseline), and not complete (the other cases are other trials).
    let decision = gate::decide(
        std::slice::from_ref(event),
        Some(baseline),
        &GateOptions::new(true, false),
    );
    if decision.passed {
        return Ok(
            match baseline.entries.iter().position(|e| e.id == event.id) {
                Some(index) if event.failed() => Completion::ignored_with(format!(
                    "known failure ({}): {}",
                    baseline.location(index),
                    baseline.entries[index].reason.trim()
                )),
                _ => Completion::Completed,
            },
        );
    }
    let mut message = if event.failed() {
        render_failure(event)
    } else {
        String::new()
    };
    for finding in &decision.new_failures {
        let note = finding.note.as_deref().unwrap_or("not in the baseline");
        message.push_str(&format!("new failure: {note}\n"));
    }
    for entry in &decision.stale {
        message.push_str(&format!(
            "stale baseline entry ({}): {}: remove it from the baseline\n",
            entry.location, entry.why
        ));
    }
    for entry in &decision.expired {
        message.push_str(&format!(
            "expired baseline entry ({}): expired {}: fix the failure, or renew `expires` with a reason\n",
            entry.location, entry.expires
        ));
    }
    for entry in &decision.unjustified {
        message.push_str(&format!(
            "critical baseline entry without a reason ({}): write in `reason` why it is accepted for now, or fix it\n",
            entry.location
        ));
    }
    Err(message.into())
}

/// Every baseline entry names a case or property of the suite: one for a case that is gone or
/// renamed is stale.
fn entries_name_the_suite(baseline: &Baseline, names: &[String]) -> Result<(), Failed> {
    let stale: Vec<String> = baseline
        .entries
        .iter()
        .enumerate()
        .filter(|(_, entry)| !names.contains(&entry.id))
        .map(|(index, entry)| {
            format!(
                "{} ({}) is not a case or property of the suite: it is gone or was renamed; \
                 remove the entry",
                entry.id,
                baseline.location(index)
            )
        })
        .collect();
    if stale.is_empty() {
        Ok(())
    } else {
        Err(stale.join("\n").into())
    }
}

#[cfg(test)]
mod tests {
    use libtest_mimic::Conclusion;
    use serde_json::json;

    use super::*;
    use crate::contract::{self, Outcome, VerifyRequest};
    use crate::properties;
    use crate::reference;
    use crate::service::{Identity, Request, Verdict, Verifier, Workspace};

    /// The reference's verifier behind the typed trait: what the typed interface loses shows.
    struct TypedReference {
        /// A bug to plant: forget the email of every identity.
        forget_email: bool,
    }

    impl Verifier for TypedReference {
        fn verify(&mut self, workspace: &Workspace, request: &Request, now: i64) -> Verdict {
            let raw = json!({
                "action": format!("{:?}", request.action).to_lowercase(),
                "platform": request.platform,
                "user_id": request.user_id, "email": request.email,
                "user_hash": request.user_hash, "intercom_user_jwt": request.intercom_user_jwt,
                "attributes": request.attributes,
            });
            let wire = reference::verify(&VerifyRequest {
                id: "typed".into(),
                now,
                workspace: workspace.clone(),
                request: raw,
            });
            if wire.outcome == Outcome::Rejected {
                return Verdict::rejected(wire.error.expect("a rejection has a code"));
            }
            let identity = wire
                .identity
                .and_then(|contract::Identity { user_id, email }| {
                    let email = email.filter(|_| !self.forget_email);
                    Identity::new(user_id, email)
                });
            match identity {
                None => Verdict::visitor(wire.attributes),
                Some(identity) if wire.verified => Verdict::verified(identity, wire.attributes),
                Some(identity) => Verdict::unverified(identity, wire.attributes),
            }
        }
    }

    fn run(service: Service, baseline: Option<&str>) -> Conclusion {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static RUNS: AtomicUsize = AtomicUsize::new(0);
        let baseline = baseline.map(|text| {
            Arc::new(
                Baseline::parse(text, std::path::Path::new("baseline.yaml")).expect("a baseline"),
            )
        });
        let policy = Policy { baseline };
        let trials =
            trials(suite().expect("the suite loads"), Arc::new(service), policy).expect("trials");
        // The inner run's lines go to a file, not among this test binary's own.
        let log = std::env::temp_dir().join(format!(
            "messenger-conformance-harness-{}-{}.log",
            std::process::id(),
            RUNS.fetch_add(1, Ordering::Relaxed)
        ));
        let args = Arguments {
            quiet: true,
            test_threads: Some(2),
            logfile: Some(log.display().to_string()),
            ..Arguments::default()
        };
        let conclusion = libtest_mimic::run(&args, trials);
        let _ = std::fs::remove_file(&log);
        conclusion
    }

    fn verifier(forget_email: bool) -> Service {
        Service::new("typed-reference", "1").verifier(move || TypedReference { forget_email })
    }

    #[test]
    fn a_service_without_a_role_is_a_typed_error_before_any_trial() {
        let error = service_trials(Service::new("nothing", "1"))
            .map(|_| ())
            .unwrap_err();
        assert!(matches!(error, HarnessError::NotStarted(_)), "{error:?}");
        assert!(error.to_string().contains("declares no role"), "{error}");
    }

    #[test]
    fn the_reference_behind_the_typed_verifier_passes_and_the_signer_role_is_ignored() {
        let suite = suite().unwrap();
        let signer_cases = suite
            .cases
            .iter()
            .filter(|c| c.role == contract::Role::Signer)
            .count();
        let signer_properties = properties::all()
            .iter()
            .filter(|p| p.role == contract::Role::Signer)
            .count();
        let conclusion = run(verifier(false), None);
        assert_eq!(conclusion.num_failed, 0);
        // Ignored: the signer's cases and properties, and the requests that cannot be typed.
        assert!(conclusion.num_ignored > (signer_cases + signer_properties) as u64);
        assert!(conclusion.num_passed > 300, "{}", conclusion.num_passed);
    }

    #[test]
    fn a_bug_behind_the_typed_verifier_fails_its_trials_and_a_baseline_entry_for_a_pass_is_stale() {
        let clean = run(verifier(false), None);
        let buggy = run(verifier(true), None);
        assert!(buggy.num_failed > 0);
        assert_eq!(buggy.num_passed + buggy.num_failed, clean.num_passed);

        // A case that passes, listed as failing: its trial fails (the entry is stale), and an
        // entry for no case at all fails `baseline::entries`.
        let stale = "known_failures:\n  - id: JWT-EXP-001\n    outcome: wrong_verdict\n    reason: old\n  - id: NO-SUCH-CASE\n    outcome: wrong_verdict\n    reason: gone\n";
        let with_stale = run(verifier(false), Some(stale));
        assert_eq!(with_stale.num_failed, 2);
    }
}
