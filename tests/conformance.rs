//! The suite as cargo tests: one trial per case, named `<area>::<id>`, and one per property,
//! named `properties::<name>` (seed from `MC_SEED`, default 0; a value that is not an unsigned
//! 64-bit integer fails every property trial, it never falls back to 0), run against the built-in
//! reference. `cargo test --test conformance -- --list`, filters, `--exact` and
//! `cargo nextest run` all work (libtest-mimic).

use std::path::Path;

use libtest_mimic::{Arguments, Failed, Trial};
use messenger_conformance::adapter::builtin::BuiltinFactory;
use messenger_conformance::adapter::AdapterFactory;
use messenger_conformance::judge::OutcomeClass;
use messenger_conformance::properties::{self, Property, Settings};
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
    let cases = suite.cases.into_iter().map(|case| {
        let name = format!("{}::{}", case.area, case.id);
        Trial::test(name, move || run_against_reference(&case))
    });
    let seed = seed_from_env();
    let properties = properties::all().iter().map(|property| {
        let seed = seed.clone();
        Trial::test(format!("properties::{}", property.name), move || {
            property_against_reference(property, seed?)
        })
    });
    let trials = cases.chain(properties).collect();
    libtest_mimic::run(&args, trials).exit();
}

/// The properties' seed: `MC_SEED`, or 0 when it is not set. A value that does not parse is an
/// error, so a mistyped seed never silently replays seed 0.
fn seed_from_env() -> Result<u64, String> {
    match std::env::var("MC_SEED") {
        Err(std::env::VarError::NotPresent) => Ok(0),
        Err(std::env::VarError::NotUnicode(raw)) => Err(format!(
            "MC_SEED={raw:?} is not a seed: expected an unsigned 64-bit integer such as \
             `MC_SEED=42`; unset it to use seed 0"
        )),
        Ok(text) => text.trim().parse().map_err(|error| {
            format!(
                "MC_SEED={text:?} is not a seed ({error}): expected an unsigned 64-bit integer \
                 such as `MC_SEED=42`; unset it to use seed 0"
            )
        }),
    }
}

fn property_against_reference(property: &Property, seed: u64) -> Result<(), Failed> {
    let mut adapter = BuiltinFactory::reference()
        .start()
        .map_err(|e| Failed::from(e.to_string()))?;
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
    let mut adapter = BuiltinFactory::reference()
        .start()
        .map_err(|e| Failed::from(e.to_string()))?;
    let event = run_case(adapter.as_mut(), case);
    match event.outcome {
        OutcomeClass::Pass => Ok(()),
        OutcomeClass::Skipped => {
            Err(format!("the reference skipped this case: {:?}", event.skip_reason).into())
        }
        _ => Err(render_failure(&event).into()),
    }
}
