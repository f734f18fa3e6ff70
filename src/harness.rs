//! The suite as cargo tests, for an implementation in this process: one libtest trial per case,
//! named `area::ID`, and one per property, named `properties::NAME`. Filters, `--exact`,
//! `--list` and `cargo nextest run` work as for any test (libtest-mimic).
//!
//! A Rust service runs the whole suite from a `harness = false` test target:
//!
//! ```no_run
//! use messenger_conformance::adapter::builtin::InProcess;
//! use messenger_conformance::scenario::SuiteSource;
//! # fn my_service() -> Box<dyn InProcess> { Box::new(messenger_conformance::reference::Reference) }
//! fn main() {
//!     messenger_conformance::harness::main(SuiteSource::Embedded, my_service);
//! }
//! ```
//!
//! `SuiteSource::Embedded` is the suite built into the harness; a path (`"cases"`) reads a cases
//! directory instead.
//!
//! The properties' seed comes from `MC_SEED` (default 0); one that does not parse is a usage
//! error, never silently 0.
#![warn(missing_docs)]

use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};

use crate::adapter::builtin::{Builtin, InProcess};
use crate::adapter::Adapter;
use crate::judge::OutcomeClass;
use crate::properties::{self, Settings};
use crate::redact::Redactor;
use crate::report::terminal::render_failure;
use crate::run::run_case;
use crate::scenario::SuiteSource;

/// Makes a fresh instance of the implementation under test (one per trial).
pub(crate) type Make = Arc<dyn Fn() -> Box<dyn InProcess> + Send + Sync>;

/// Run the suite of `cases` (the embedded suite, or a cases directory) against `make`'s implementation as cargo tests, and exit with
/// libtest's code (101 when a trial failed; 2 when the suite does not load or `MC_SEED` is not a
/// number).
pub fn main(
    cases: impl Into<SuiteSource>,
    make: impl Fn() -> Box<dyn InProcess> + Send + Sync + 'static,
) -> ! {
    let args = Arguments::from_args();
    match trials(cases, Arc::new(make)) {
        Ok(trials) => libtest_mimic::run(&args, trials).exit(),
        Err(message) => {
            eprintln!("error: {message}");
            std::process::exit(2);
        }
    }
}

/// One trial per case and property, or why the suite cannot run.
pub(crate) fn trials(cases: impl Into<SuiteSource>, make: Make) -> Result<Vec<Trial>, String> {
    let suite = cases.into().load().map_err(|errors| errors.to_string())?;
    let seed = match std::env::var("MC_SEED") {
        Err(_) => 0,
        Ok(text) => text
            .parse()
            .map_err(|_| format!("MC_SEED={text:?} is not a seed (a whole number)"))?,
    };
    let redactor = Arc::new(Redactor::new(
        suite.secrets().into_iter().chain(properties::secrets()),
    ));
    let mut trials = Vec::new();
    for case in suite.cases {
        let (make, redactor) = (Arc::clone(&make), Arc::clone(&redactor));
        trials.push(Trial::test(
            format!("{}::{}", case.area, case.id),
            move || {
                let mut adapter = Builtin::new(make());
                let event = run_case(&mut adapter, &case, &redactor);
                verdict(event.outcome, &event)
            },
        ));
    }
    for property in properties::all() {
        let (make, redactor) = (Arc::clone(&make), Arc::clone(&redactor));
        trials.push(Trial::test(
            format!("properties::{}", property.name),
            move || {
                let mut adapter = Builtin::new(make());
                let settings = Settings {
                    seed,
                    ..Settings::default()
                };
                let run = property.run(&mut adapter as &mut dyn Adapter, &settings, &redactor);
                verdict(run.event.outcome, &run.event)
            },
        ));
    }
    Ok(trials)
}

/// A pass passes; a skip fails (the trial was meant to run); anything else fails with the
/// failure as the report shows it.
fn verdict(outcome: OutcomeClass, event: &crate::event::CaseEvent) -> Result<(), Failed> {
    match outcome {
        OutcomeClass::Pass => Ok(()),
        OutcomeClass::Skipped => Err(format!(
            "skipped: {}",
            event.skip_reason.as_deref().unwrap_or("no reason given")
        )
        .into()),
        _ => Err(render_failure(event).into()),
    }
}
