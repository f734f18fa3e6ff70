//! Properties through the adapter: they pass against the reference, catch the bundled broken
//! implementations on their own, and a failure shrinks to a YAML case that `check` accepts and
//! `run` reproduces.

mod common;

use messenger_conformance::adapter::builtin::BuiltinFactory;
use messenger_conformance::adapter::AdapterFactory;
use messenger_conformance::judge::OutcomeClass;
use messenger_conformance::properties::{self, Settings};
use messenger_conformance::redact::Redactor;
use messenger_conformance::run::run_case;
use messenger_conformance::{broken, scenario};

const SEED: u64 = 20261122;

fn settings() -> Settings {
    Settings {
        seed: SEED,
        ..Settings::default()
    }
}

fn failing_properties(factory: &dyn AdapterFactory) -> Vec<&'static str> {
    let mut adapter = factory.start().expect("in-process adapters start");
    properties::all()
        .iter()
        .filter(|p| {
            p.run(adapter.as_mut(), &settings(), &Redactor::default())
                .event
                .outcome
                .is_failure()
        })
        .map(|p| p.name)
        .collect()
}

#[test]
fn the_reference_satisfies_every_property() {
    let mut adapter = BuiltinFactory::reference().start().unwrap();
    for property in properties::all() {
        let run = property.run(adapter.as_mut(), &settings(), &Redactor::default());
        assert_eq!(
            run.event.outcome,
            OutcomeClass::Pass,
            "{}: {:#?}",
            property.name,
            run.event.problems
        );
        assert!(
            run.requests >= u64::from(settings().cases),
            "{} sent only {} requests",
            property.name,
            run.requests
        );
    }
}

#[test]
fn properties_alone_catch_the_broken_implementations() {
    let mut caught = Vec::new();
    let mut missed = Vec::new();
    for mutant in broken::all() {
        let factory = common::broken_implementation(mutant.name);
        let failing = failing_properties(&factory);
        println!("{:<32} {}", mutant.name, failing.join(", "));
        if failing.is_empty() {
            missed.push(mutant.name);
        } else {
            caught.push(mutant.name);
        }
    }
    assert!(
        caught.len() >= 22,
        "properties caught only {} broken implementations; missed: {missed:?}",
        caught.len()
    );
}

#[test]
fn the_same_seed_replays_the_same_requests() {
    let factory = common::broken_implementation("jwt-exp-off-by-one");
    let run = |seed| {
        let mut adapter = factory.start().unwrap();
        let property = properties::find("jwt-time-window").unwrap();
        property
            .run(
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
    let mut run = property.run(adapter.as_mut(), &settings(), &Redactor::default());
    assert_eq!(
        run.event.outcome,
        OutcomeClass::WrongVerdict,
        "{:#?}",
        run.event.problems
    );
    // The caller says where it wrote the counterexample and how to replay (tests/counterexamples.rs
    // checks the command line's words).
    run.note_counterexample(
        "written to x.yaml",
        &format!("messenger-conformance run --only properties --seed {SEED}"),
    );
    assert!(
        run.event
            .problems
            .iter()
            .any(|p| p.why.contains(&format!("--seed {SEED}"))),
        "the failure says how to replay it: {:#?}",
        run.event.problems
    );
    let counterexample = run
        .counterexample
        .expect("a failing property writes a counterexample");

    // The whole suite plus the counterexample: `check` (load and lint) accepts it.
    let dir = common::scratch("suite-and-counterexample");
    common::copy_dir(&common::cases_dir(), &dir);
    std::fs::create_dir_all(dir.join("counterexamples")).unwrap();
    std::fs::write(
        dir.join("counterexamples").join(&counterexample.file_name),
        &counterexample.yaml,
    )
    .unwrap();
    let suite =
        scenario::load_suite(&dir).unwrap_or_else(|e| panic!("{e}\n{}", counterexample.yaml));
    let lint = scenario::lint(&suite);
    assert!(lint.is_empty(), "{lint:?}");

    let case = suite
        .case(&counterexample.case_id)
        .expect("the counterexample is in the suite");
    let mut reference = BuiltinFactory::reference().start().unwrap();
    assert_eq!(
        run_case(reference.as_mut(), case, &Redactor::default()).outcome,
        OutcomeClass::Pass,
        "the reference passes it"
    );
    let mut broken = factory.start().unwrap();
    assert_eq!(
        run_case(broken.as_mut(), case, &Redactor::default()).outcome,
        OutcomeClass::WrongVerdict,
        "the broken one fails it again"
    );
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
    ] {
        let factory = common::broken_implementation(mutant);
        let mut adapter = factory.start().unwrap();
        let run = properties::find(property).unwrap().run(
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
            assert!(sign.get("attributes").is_none(), "{yaml}");
        }
    }
}
