//! Properties through the adapter: they pass against the reference, catch the bundled broken
//! implementations on their own, and a failure shrinks to a YAML case that `check` accepts and
//! `run` reproduces.

mod common;

use messenger_conformance::adapter::builtin::{BuiltinFactory, InProcess};
use messenger_conformance::adapter::AdapterFactory;
use messenger_conformance::clock::system_now;
use messenger_conformance::contract::{
    Clock, FromAdapter, HelloReply, SignRequest, Verdict, VerifyRequest,
};
use messenger_conformance::judge::OutcomeClass;
use messenger_conformance::properties::{self, Settings};
use messenger_conformance::redact::Redactor;
use messenger_conformance::reference::{self, Reference};
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
    let run = property.run(adapter.as_mut(), &settings(), &Redactor::default());
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
        run.requests >= 2 * u64::from(settings().cases),
        "only {} requests",
        run.requests
    );

    // It judges under the system clock: a verdict that changes between two sends fails it.
    let mut flaky = system_clock(true).start().unwrap();
    let run = property.run(flaky.as_mut(), &settings(), &Redactor::default());
    assert!(run.event.outcome.is_failure(), "{:?}", run.event.outcome);

    // So does the one-fault-at-a-time property: its times are far from the edges too.
    let single = properties::find("jwt-single-fault").unwrap();
    assert!(!single.needs_exact_instant);
    let run = single.run(adapter.as_mut(), &settings(), &Redactor::default());
    assert_eq!(
        run.event.outcome,
        OutcomeClass::Pass,
        "{:?} {:#?}",
        run.event.skip_reason,
        run.event.problems
    );

    // A property that needs an exact instant is still skipped, with the reason.
    let window = properties::find("jwt-time-window").unwrap();
    let run = window.run(adapter.as_mut(), &settings(), &Redactor::default());
    assert_eq!(run.event.outcome, OutcomeClass::Skipped);
    assert_eq!(run.requests, 0);
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
