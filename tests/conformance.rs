//! The suite as cargo tests: one trial per case, named `<area>::<id>`, and one per property,
//! named `properties::<name>` (seed from `MC_SEED`, default 0), run against the built-in
//! reference. `cargo test --test conformance -- --list`, filters, `--exact` and
//! `cargo nextest run` all work (libtest-mimic).

mod common;

use libtest_mimic::{Arguments, Failed, Trial};
use messenger_conformance::adapter::builtin::BuiltinFactory;
use messenger_conformance::adapter::{Adapter, AdapterFactory};
use messenger_conformance::judge::OutcomeClass;
use messenger_conformance::properties::{self, Property, Settings};
use messenger_conformance::report::terminal::render_failure;
use messenger_conformance::run::run_case;
use messenger_conformance::scenario::{load_suite, LoadedCase};

fn main() {
    let args = Arguments::from_args();
    // Not `common::suite()`: a suite that does not load is a usage error here (exit 2), not a
    // failed test.
    let suite = match load_suite(&common::cases_dir()) {
        Ok(suite) => suite,
        Err(errors) => {
            eprintln!("{errors}");
            std::process::exit(2);
        }
    };
    let cases = suite.cases.into_iter().map(|case| {
        let name = format!("{}::{}", case.area, case.id);
        Trial::test(name, move || run_against_reference(&case))
    });
    let properties = properties::all().iter().map(|property| {
        Trial::test(format!("properties::{}", property.name), move || {
            property_against_reference(property)
        })
    });
    let trials = cases.chain(properties).collect();
    libtest_mimic::run(&args, trials).exit();
}

/// A fresh reference, in process.
fn reference() -> Result<Box<dyn Adapter>, Failed> {
    BuiltinFactory::reference()
        .start()
        .map_err(|e| Failed::from(e.to_string()))
}

fn property_against_reference(property: &Property) -> Result<(), Failed> {
    let seed = std::env::var("MC_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut adapter = reference()?;
    let run = property.run(
        adapter.as_mut(),
        &Settings {
            seed,
            ..Settings::default()
        },
    );
    match run.event.outcome {
        OutcomeClass::Pass => Ok(()),
        _ => Err(render_failure(&run.event).into()),
    }
}

fn run_against_reference(case: &LoadedCase) -> Result<(), Failed> {
    let mut adapter = reference()?;
    let event = run_case(adapter.as_mut(), case);
    match event.outcome {
        OutcomeClass::Pass => Ok(()),
        OutcomeClass::Skipped => {
            Err(format!("the reference skipped this case: {:?}", event.skip_reason).into())
        }
        _ => Err(render_failure(&event).into()),
    }
}
