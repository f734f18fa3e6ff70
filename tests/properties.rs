//! Properties through the adapter: they pass against the reference, catch the bundled broken
//! implementations on their own, and a failure shrinks to a YAML case that `check` accepts and
//! `run` reproduces.

use crate::common;

use messenger_conformance::adapter::builtin::{BuiltinFactory, InProcess};
use messenger_conformance::adapter::AdapterFactory;
use messenger_conformance::clock::system_now;
use messenger_conformance::contract::{
    Clock, FromAdapter, HelloReply, Role, SignRequest, Verdict, VerifyRequest,
};
use messenger_conformance::judge::OutcomeClass;
use messenger_conformance::properties::counterexample::Counterexamples;
use messenger_conformance::properties::{self, PropertyRun, Settings};
use messenger_conformance::redact::Redactor;
use messenger_conformance::reference::{self, Reference};
use messenger_conformance::run::run_case;
use messenger_conformance::{broken, scenario};

use std::sync::OnceLock;

const SEED: u64 = 20261122;

fn settings() -> Settings {
    Settings {
        seed: SEED,
        ..Settings::default()
    }
}

/// Every property of `role` run against `factory`'s implementation, in the order of
/// `properties::all()`, on one instance (as one server process would see them).
fn run_every_property(
    factory: &dyn AdapterFactory,
    role: Role,
) -> Vec<(&'static str, PropertyRun)> {
    let mut adapter = factory.start().expect("in-process adapters start");
    properties::all()
        .iter()
        .filter(|p| p.role == role)
        .map(|p| {
            (
                p.name,
                p.check(adapter.as_mut(), &settings(), &Redactor::default()),
            )
        })
        .collect()
}

/// The properties that fail the bundled broken implementation `name` (from [`mutant_runs`]).
fn failing_properties(name: &str) -> Vec<&'static str> {
    let (_, runs) = mutant_runs()
        .iter()
        .find(|(mutant, _)| *mutant == name)
        .unwrap_or_else(|| panic!("no broken implementation {name}"));
    runs.iter()
        .filter(|(_, run)| run.event.outcome.is_failure())
        .map(|(property, _)| *property)
        .collect()
}

/// A broken implementation's name, and its run of each property by name.
type MutantRuns = (&'static str, Vec<(&'static str, PropertyRun)>);

/// Every bundled broken implementation with its runs of every property of the role its bug is
/// in, in the order of `broken::all()`. The other role's properties are left out: that role
/// answers with the reference's own code (`BrokenImplementation::broken_role`, which
/// tests/broken.rs checks on the cases), and on the same seed, so its runs would be
/// `the_reference_satisfies_every_property`'s again. Run once per test binary, each mutant in a
/// thread of its own (each has its own in-process instance), and shared: `properties_alone_catch_the_broken_implementations`
/// reads which properties fail, `a_signer_counterexample_is_a_case_that_check_accepts_and_run_reproduces`
/// replays the counterexamples of `signer-output` (the same run, same seed and budget, that it
/// would otherwise repeat).
fn mutant_runs() -> &'static [MutantRuns] {
    static RUNS: OnceLock<Vec<MutantRuns>> = OnceLock::new();
    RUNS.get_or_init(|| {
        common::in_threads(broken::all(), |mutant| {
            let factory = common::broken_implementation(mutant.name);
            (
                mutant.name,
                run_every_property(&factory, mutant.broken_role()),
            )
        })
    })
}

#[test]
fn the_reference_satisfies_every_property() {
    let mut adapter = BuiltinFactory::reference().start().unwrap();
    for property in properties::all() {
        let run = property.check(adapter.as_mut(), &settings(), &Redactor::default());
        assert_eq!(
            run.event.outcome,
            OutcomeClass::Pass,
            "{}: {:#?}",
            property.name,
            run.event.problems
        );
        assert!(
            run.stats.requests >= u64::from(settings().cases),
            "{} sent only {} requests",
            property.name,
            run.stats.requests
        );
    }
}

#[test]
fn properties_alone_catch_the_broken_implementations() {
    let mut caught = Vec::new();
    let mut missed = Vec::new();
    let runs = mutant_runs();
    assert_eq!(runs.len(), broken::all().len());
    for (mutant, (name, _)) in broken::all().iter().zip(runs) {
        assert_eq!(mutant.name, *name);
        let failing = failing_properties(name);
        println!("{:<32} {}", mutant.name, failing.join(", "));
        if failing.is_empty() {
            missed.push(mutant.name);
        } else {
            caught.push(mutant.name);
        }
    }
    // A ratio over every bundled broken implementation, so it holds whatever is added.
    let total = broken::all().len();
    println!(
        "properties alone caught {} of {total} ({:.0}%); missed: {missed:?}",
        caught.len(),
        100.0 * caught.len() as f64 / total as f64
    );
    assert!(
        caught.len() * 10 >= total * 9,
        "properties caught only {} of {total} broken implementations (at least 90% expected); missed: {missed:?}",
        caught.len()
    );
    // The signer property reaches every signer bug: each generator class has a mutant.
    let signer_missed: Vec<&&str> = missed.iter().filter(|m| m.starts_with("sign-")).collect();
    assert!(
        signer_missed.is_empty(),
        "signer-output missed {signer_missed:?}"
    );
}

/// The reference, reading its own clock (`clock: system`): what a deployed verifier does.
struct SystemClock {
    /// Answer every other request wrongly (a verdict that depends on state).
    flaky: bool,
    calls: u64,
}

impl InProcess for SystemClock {
    fn hello(&self) -> HelloReply {
        HelloReply {
            clock: Clock::System,
            ..Reference::hello()
        }
    }

    fn verify(&mut self, request: &VerifyRequest) -> Verdict {
        self.calls += 1;
        let mut request = request.clone();
        request.now = system_now();
        let mut verdict = reference::verify(&request);
        if self.flaky && self.calls.is_multiple_of(2) {
            verdict.verified = !verdict.verified;
        }
        verdict
    }

    fn sign(&mut self, request: &SignRequest) -> FromAdapter {
        reference::sign(request)
    }
}

fn system_clock(flaky: bool) -> BuiltinFactory {
    BuiltinFactory::new("system-clock", move || {
        Box::new(SystemClock { flaky, calls: 0 })
    })
}

#[test]
fn verdict_deterministic_runs_under_the_system_clock() {
    let property = properties::find("verdict-deterministic").unwrap();
    assert!(!property.needs_exact_instant);
    let mut adapter = system_clock(false).start().unwrap();
    let run = property.check(adapter.as_mut(), &settings(), &Redactor::default());
    assert_eq!(
        run.event.outcome,
        OutcomeClass::Pass,
        "{:?} {:#?}",
        run.event.skip_reason,
        run.event.problems
    );
    assert!(run.event.skip_reason.is_none());
    // Each generated request is sent twice.
    assert!(
        run.stats.requests >= 2 * u64::from(settings().cases),
        "only {} requests",
        run.stats.requests
    );

    // It judges under the system clock: a verdict that changes between two sends fails it.
    let mut flaky = system_clock(true).start().unwrap();
    let run = property.check(flaky.as_mut(), &settings(), &Redactor::default());
    assert!(run.event.outcome.is_failure(), "{:?}", run.event.outcome);

    // So does the one-fault-at-a-time property: its times are far from the edges too.
    let single = properties::find("jwt-single-fault").unwrap();
    assert!(!single.needs_exact_instant);
    let run = single.check(adapter.as_mut(), &settings(), &Redactor::default());
    assert_eq!(
        run.event.outcome,
        OutcomeClass::Pass,
        "{:?} {:#?}",
        run.event.skip_reason,
        run.event.problems
    );

    // A property that needs an exact instant is still skipped, with the reason.
    let window = properties::find("jwt-time-window").unwrap();
    let run = window.check(adapter.as_mut(), &settings(), &Redactor::default());
    assert_eq!(run.event.outcome, OutcomeClass::Skipped);
    assert_eq!(run.stats.requests, 0);
    assert!(run
        .event
        .skip_reason
        .unwrap_or_default()
        .contains("exact instant"));
}

#[test]
fn the_same_seed_replays_the_same_requests() {
    let factory = common::broken_implementation("jwt-exp-off-by-one");
    let run = |seed| {
        let mut adapter = factory.start().unwrap();
        let property = properties::find("jwt-time-window").unwrap();
        property
            .check(
                adapter.as_mut(),
                &Settings { seed, ..settings() },
                &Redactor::default(),
            )
            .counterexample
            .map(|c| c.yaml)
    };
    let first = run(SEED).expect("the off-by-one exp is found");
    assert_eq!(run(SEED), Some(first));
}

#[test]
fn a_counterexample_is_a_case_that_check_accepts_and_run_reproduces() {
    let factory = common::broken_implementation("jwt-exp-off-by-one");
    let mut adapter = factory.start().unwrap();
    let property = properties::find("jwt-time-window").unwrap();
    let mut run = property.check(adapter.as_mut(), &settings(), &Redactor::default());
    assert_eq!(
        run.event.outcome,
        OutcomeClass::WrongVerdict,
        "{:#?}",
        run.event.problems
    );
    // Not recorded unless the caller asks: the event says nothing of it.
    run.keep_counterexample(&Counterexamples::Unrecorded);
    assert_eq!(run.event.counterexample, None);
    // Written where the caller asks, and the event says which case and where, typed.
    let dir = common::scratch("keep-counterexample");
    run.keep_counterexample(&Counterexamples::WriteTo(dir.clone()));
    let kept = run
        .event
        .counterexample
        .clone()
        .expect("recorded on the event");
    let found = run.counterexample.as_ref().expect("a counterexample");
    let path = dir.join(&found.file_name);
    assert_eq!(kept.case_id, found.case_id);
    assert_eq!(kept.path, Some(path.display().to_string()));
    assert_eq!(kept.written, format!("written to {}", path.display()));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), found.yaml);
    // A directory that cannot be made: the event says why it was not written.
    let blocked = dir.join(&found.file_name).join("below-a-file");
    run.keep_counterexample(&Counterexamples::WriteTo(blocked.clone()));
    let kept = run.event.counterexample.clone().unwrap();
    assert_eq!(kept.path, None);
    assert!(
        kept.written
            .starts_with(&format!("could not be written in {}: ", blocked.display())),
        "{}",
        kept.written
    );
    let _ = std::fs::remove_dir_all(&dir);
    let counterexample = run
        .counterexample
        .expect("a failing property writes a counterexample");
    replays(&factory, &counterexample, OutcomeClass::WrongVerdict);
}

/// The same for the signer: a `sign` counterexample names its secret, and reproduces.
#[test]
fn a_signer_counterexample_is_a_case_that_check_accepts_and_run_reproduces() {
    // Each signer mutant's run of `signer-output` with `settings()` (on the mutant's own
    // instance), shared with
    // properties_alone_catch_the_broken_implementations.
    let mut to_replay = Vec::new();
    for (mutant, property_runs) in mutant_runs().iter().filter(|(m, _)| m.starts_with("sign-")) {
        let (_, run) = property_runs
            .iter()
            .find(|(property, _)| *property == "signer-output")
            .expect("signer-output ran");
        assert!(run.event.outcome.is_failure(), "{mutant}");
        // A `should`-level failure (sign-typ-jose) is reported without a counterexample.
        if let Some(counterexample) = &run.counterexample {
            to_replay.push((*mutant, counterexample, run.event.outcome));
        }
    }
    // The replays are independent (each its own copy of the suite): one thread each.
    common::in_threads(&to_replay, |(mutant, counterexample, outcome)| {
        replays(
            &common::broken_implementation(mutant),
            counterexample,
            *outcome,
        )
    });
    let replayed = to_replay.len();
    assert!(replayed >= 20, "only {replayed} signer counterexamples");
}

/// Every form in which a secret could be written: as is, hex of its bytes, base64 and base64url.
fn secret_forms(secret: &str) -> Vec<String> {
    use base64::Engine as _;
    let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
    vec![
        secret.to_string(),
        hex.clone(),
        hex.to_uppercase(),
        base64::engine::general_purpose::STANDARD.encode(secret),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret),
    ]
}

/// `counterexample` holds no property secret in any form; with the whole suite `check` accepts
/// it; the reference passes it and `factory`'s implementation fails it again, as `class`.
fn replays(
    factory: &dyn AdapterFactory,
    counterexample: &properties::counterexample::Counterexample,
    class: OutcomeClass,
) {
    let yaml = &counterexample.yaml;
    for secret in properties::secrets() {
        for form in secret_forms(&secret) {
            // A secret's base64 is a substring of a base64url JWT part only by coincidence: the
            // shortest form checked is 44 characters.
            assert!(
                !yaml.contains(&form),
                "the counterexample holds `{form}` (a form of a property secret):\n{yaml}"
            );
        }
    }
    assert!(
        !yaml
            .lines()
            .any(|l| l.contains("secret:") && l.contains("literal:")),
        "a secret written out:\n{yaml}"
    );

    // The whole suite plus the counterexample: `check` (load and lint) accepts it.
    // Named by the implementation too: the signer mutants' counterexamples share a file name,
    // and their replays run at once.
    let dir = common::scratch(&format!(
        "suite-and-{}-{}",
        factory.describe(),
        counterexample.file_name
    ));
    common::copy_dir(&common::cases_dir(), &dir);
    std::fs::create_dir_all(dir.join("counterexamples")).unwrap();
    std::fs::write(
        dir.join("counterexamples").join(&counterexample.file_name),
        yaml,
    )
    .unwrap();
    let suite = scenario::load_suite(&dir).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let lint = scenario::lint(&suite);
    assert!(lint.is_empty(), "{lint:?}");

    let case = suite
        .case(&counterexample.case_id)
        .expect("the counterexample is in the suite");
    let mut reference = BuiltinFactory::reference().start().unwrap();
    assert_eq!(
        run_case(reference.as_mut(), case, &Redactor::default()).outcome,
        OutcomeClass::Pass,
        "the reference passes it:\n{yaml}"
    );
    let mut broken = factory.start().unwrap();
    assert_eq!(
        run_case(broken.as_mut(), case, &Redactor::default()).outcome,
        class,
        "the broken one fails it again:\n{yaml}"
    );
}

/// The `generated` fixture workspace holds exactly the properties' pool secrets, by platform and
/// key id: a counterexample names them there, so the two must agree.
#[test]
fn the_generated_fixture_holds_the_property_pools() {
    use messenger_conformance::contract::Platform;
    use messenger_conformance::properties::recipe::{ENCODED_SECRETS, IDV_SECRETS, KEY_POOL};
    let suite = common::suite();
    let generated = &suite.fixtures.workspaces[properties::counterexample::GENERATED_WORKSPACE];
    for (i, name) in ["web", "ios", "android"].iter().enumerate() {
        let platform: Platform = serde_json::from_value(serde_json::json!(name)).unwrap();
        assert_eq!(
            generated.platforms[&platform].identity_verification.secret, IDV_SECRETS[i],
            "{name}"
        );
    }
    let keys: Vec<(&str, &str)> = generated
        .jwt_keys
        .iter()
        .map(|k| (k.id.as_str(), k.secret.as_str()))
        .collect();
    let pool: Vec<(&str, &str)> = KEY_POOL.iter().chain(&ENCODED_SECRETS).copied().collect();
    assert_eq!(keys, pool);
    assert!(generated.jwt_keys.iter().all(|k| k.platforms.is_empty()));
}

/// A counterexample's YAML as JSON.
fn counterexample_json(yaml: &str) -> serde_json::Value {
    serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

/// The claims of a compact JWS, decoded without verifying.
fn claims(token: &str) -> serde_json::Map<String, serde_json::Value> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("a JSON object")
}

/// The longest identifier a shrunk counterexample may carry: short ones fail as well as long ones
/// whenever the failure does not depend on the identifier.
const SHRUNK_IDENTIFIER: usize = 5;

fn assert_short(what: &str, value: Option<&serde_json::Value>, yaml: &str) {
    if let Some(text) = value.and_then(serde_json::Value::as_str) {
        assert!(
            text.chars().count() <= SHRUNK_IDENTIFIER,
            "{what} {text:?} ({} characters) was not shrunk:\n{yaml}",
            text.chars().count()
        );
    }
}

/// Shrinking goes all the way: a failure that has nothing to do with identifiers or attributes
/// (`exp` checked one second late; the email hashed beside a user_id) shrinks to identifiers of
/// a few characters and no attribute it does not need.
#[test]
fn counterexamples_shrink_identifiers_and_attributes() {
    for (mutant, property, seed) in [
        ("jwt-exp-off-by-one", "jwt-time-window", SEED),
        ("jwt-exp-off-by-one", "jwt-time-window", 7),
        ("sign-hash-email", "signer-output", SEED),
        ("sign-hash-email", "signer-output", 7),
        ("sign-stringifies-attributes", "signer-output", SEED),
        ("sign-drops-null-attributes", "signer-output", SEED),
    ] {
        let factory = common::broken_implementation(mutant);
        let mut adapter = factory.start().unwrap();
        let run = properties::find(property).unwrap().check(
            adapter.as_mut(),
            &Settings { seed, ..settings() },
            &Redactor::default(),
        );
        let yaml = run
            .counterexample
            .unwrap_or_else(|| panic!("{mutant} is caught by {property}"))
            .yaml;
        println!("{mutant} / {property} / seed {seed}:\n{yaml}");
        let case = &counterexample_json(&yaml)["cases"][0];
        if let Some(request) = case.pointer("/request/raw") {
            assert_short("user_id", request.get("user_id"), &yaml);
            assert_short("email", request.get("email"), &yaml);
            let attributes = request["attributes"].as_object().unwrap();
            assert!(attributes.is_empty(), "{attributes:?}:\n{yaml}");
            let token = request["intercom_user_jwt"].as_str().unwrap();
            let claims = claims(token);
            assert_short("claim user_id", claims.get("user_id"), &yaml);
            assert_short("claim email", claims.get("email"), &yaml);
            let extra: Vec<&String> = claims
                .keys()
                .filter(|k| !["user_id", "email", "exp", "nbf"].contains(&k.as_str()))
                .collect();
            assert!(extra.is_empty(), "attribute claims {extra:?}:\n{yaml}");
        } else {
            let sign = &case["sign"];
            assert_short("user_id", sign.pointer("/user/user_id"), &yaml);
            assert_short("email", sign.pointer("/user/email"), &yaml);
            // An attribute bug needs one attribute, and a small one; no other bug needs any.
            let attributes = sign.get("attributes").and_then(|a| a.as_object());
            let needed = usize::from(mutant.contains("attributes"));
            assert_eq!(attributes.map_or(0, |a| a.len()), needed, "{yaml}");
            for value in attributes.into_iter().flat_map(|a| a.values()) {
                assert!(
                    value.to_string().len() <= 8,
                    "{value} was not shrunk:\n{yaml}"
                );
            }
        }
    }
}

/// Accepts the first request the reference refuses (a wrong verdict), then refuses every such
/// request with a code no rule gives (a wrong error code, a milder failure).
struct WorseFirst {
    betrayed: bool,
}

impl InProcess for WorseFirst {
    fn hello(&self) -> HelloReply {
        Reference::hello()
    }

    fn verify(&mut self, request: &VerifyRequest) -> Verdict {
        use messenger_conformance::contract::{ErrorCode, Outcome};
        let mut verdict = reference::verify(request);
        let Some(code) = verdict.error else {
            return verdict;
        };
        if !self.betrayed {
            self.betrayed = true;
            verdict.outcome = Outcome::Accepted;
            verdict.verified = true;
            verdict.error = None;
        } else {
            verdict.error = Some(match code {
                ErrorCode::MissingIdentifier => ErrorCode::UserHashMismatch,
                _ => ErrorCode::MissingIdentifier,
            });
        }
        verdict
    }

    fn sign(&mut self, request: &SignRequest) -> FromAdapter {
        reference::sign(request)
    }
}

#[test]
fn a_shrunk_failure_keeps_the_severity_of_the_request_that_first_failed() {
    let factory = BuiltinFactory::new("worse-first", || Box::new(WorseFirst { betrayed: false }));
    let mut adapter = factory.start().unwrap();
    let property = properties::find("jwt-differential").unwrap();
    let run = property.check(adapter.as_mut(), &settings(), &Redactor::default());
    // The shrunk request only gets the wrong code: its own problems are the milder ones.
    assert_eq!(
        run.event.outcome,
        OutcomeClass::WrongErrorCode,
        "{:#?}",
        run.event.problems
    );
    let shrunk = run
        .event
        .problems
        .iter()
        .map(|p| p.severity)
        .min()
        .expect("a problem");
    // Shrinking stays in its budget (512 simpler requests) after the requests generated.
    assert!(
        run.stats.requests <= u64::from(settings().cases) + 512 + 1,
        "{} requests",
        run.stats.requests
    );
    let severity = run.event.severity.expect("a failure has a severity");
    assert!(
        severity < shrunk,
        "the failure is reported {severity:?}, as mild as its shrunk request ({shrunk:?}), though it first accepted a request it must refuse"
    );
}

#[test]
fn verdict_deterministic_judges_only_whether_the_answer_changes() {
    let property = properties::find("verdict-deterministic").unwrap();
    // Consistently wrong implementations: the other properties fail them, this one does not.
    for name in ["idv-hashes-email", "jwt-alg-none", "generic-error-codes"] {
        let factory = common::broken_implementation(name);
        let mut adapter = factory.start().unwrap();
        let run = property.check(adapter.as_mut(), &settings(), &Redactor::default());
        assert_eq!(
            run.event.outcome,
            OutcomeClass::Pass,
            "{name}: {:#?}",
            run.event.problems
        );
        assert!(
            !failing_properties(name).is_empty(),
            "{name} is caught by another property"
        );
    }
    // A verdict that changes between two sends still fails it, naming no verdict rule.
    let mut flaky = system_clock(true).start().unwrap();
    let run = property.check(flaky.as_mut(), &settings(), &Redactor::default());
    assert_eq!(
        run.event.outcome,
        OutcomeClass::WrongDetail,
        "{:#?}",
        run.event.problems
    );
    assert!(run.event.problems.iter().all(|p| p.requirement.is_none()));
    assert_eq!(
        run.event.transcript.len(),
        2,
        "both sends are in the transcript"
    );
}

#[test]
fn the_runner_reads_no_proptest_variable_and_prints_nothing_of_proptest() {
    // Run in a child so the variables reach a fresh process: proptest reads them once.
    let out = common::bin(&[
        "run",
        "--only",
        "properties",
        // A small budget: proptest reads `max_shrink_iters: u32::MAX` as `cases * 4`
        // and says so when shrinking reaches it (idv-hashes-email shrinks further).
        "--property-cases",
        "2",
        "--broken",
        "idv-hashes-email",
        "--no-report",
        "-q",
    ])
    .env("PROPTEST_VERBOSE", "2")
    .env("PROPTEST_MAX_SHRINK_ITERS", "1")
    .env("PROPTEST_CASES", "1")
    .env("PROPTEST_NO_SUCH_THING", "1")
    .output();
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    assert_eq!(out.code, 1, "{stdout}\n{stderr}");
    assert!(
        !stderr.contains("proptest") && !stdout.contains("proptest"),
        "proptest spoke:\n{stderr}"
    );
    assert!(
        !stdout.contains("PROPTEST_") && !stderr.contains("PROPTEST_"),
        "{stderr}"
    );
}
