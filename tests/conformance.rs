//! The suite as cargo tests: one trial per case, named `<area>::<id>`, and one per property,
//! named `properties::<name>` (seed from `MC_SEED`, default 0), run against the built-in
//! reference. `cargo test --test conformance -- --list`, filters, `--exact` and
//! `cargo nextest run` all work (libtest-mimic).

use std::path::Path;
use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};
use messenger_conformance::adapter::builtin::BuiltinFactory;
use messenger_conformance::adapter::AdapterFactory;
use messenger_conformance::judge::OutcomeClass;
use messenger_conformance::properties::{self, Property, Settings};
use messenger_conformance::redact::Redactor;
use messenger_conformance::report::terminal::render_failure;
use messenger_conformance::run::run_case;
use messenger_conformance::scenario::{load_suite, LoadedCase};

fn main() {
    let args = Arguments::from_args();
    let cases_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
    let suite = match load_suite(&cases_dir) {
        Ok(suite) => suite,
        Err(errors) => {
            eprintln!("{errors}");
            std::process::exit(2);
        }
    };
    let redactor = Arc::new(Redactor::new(
        suite.secrets().into_iter().chain(properties::secrets()),
    ));
    let cases = suite.cases.into_iter().map(|case| {
        let name = format!("{}::{}", case.area, case.id);
        let redactor = Arc::clone(&redactor);
        Trial::test(name, move || run_against_reference(&case, &redactor))
    });
    let properties = properties::all().iter().map(|property| {
        let redactor = Arc::clone(&redactor);
        Trial::test(format!("properties::{}", property.name), move || {
            property_against_reference(property, &redactor)
        })
    });
    let trials = cases.chain(properties).collect();
    libtest_mimic::run(&args, trials).exit();
}

fn property_against_reference(property: &Property, redactor: &Redactor) -> Result<(), Failed> {
    let seed = std::env::var("MC_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut adapter = BuiltinFactory::reference()
        .start()
        .map_err(|e| Failed::from(e.to_string()))?;
    let run = property.run(
        adapter.as_mut(),
        &Settings {
            seed,
            ..Settings::default()
        },
        redactor,
    );
    match run.event.outcome {
        OutcomeClass::Pass => Ok(()),
        _ => Err(render_failure(&run.event).into()),
    }
}

fn run_against_reference(case: &LoadedCase, redactor: &Redactor) -> Result<(), Failed> {
    let mut adapter = BuiltinFactory::reference()
        .start()
        .map_err(|e| Failed::from(e.to_string()))?;
    let event = run_case(adapter.as_mut(), case, redactor);
    match event.outcome {
        OutcomeClass::Pass => Ok(()),
        OutcomeClass::Skipped => {
            Err(format!("the reference skipped this case: {:?}", event.skip_reason).into())
        }
        _ => Err(render_failure(&event).into()),
    }
}
