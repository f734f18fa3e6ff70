//! The library's Runner: the events it calls back with, in order; cancellation; an error from
//! the callback; an implementation that does not start; the circuit breaker; reproduce
//! commands and counterexamples. (The command line's own words are tested by tests/cli*.rs,
//! tests/counterexamples.rs and tests/interrupt.rs.)

use crate::common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use messenger_conformance::adapter::{
    Adapter, AdapterError, AdapterErrorKind, AdapterFactory, StartError,
};
use messenger_conformance::contract::{FromAdapter, HelloReply, ToAdapter};
use messenger_conformance::event::{CaseEvent, Kind, RunOptions};
use messenger_conformance::judge::OutcomeClass;
use messenger_conformance::properties::counterexample::Counterexamples;
use messenger_conformance::reference::Reference;
use messenger_conformance::run::{Limits, Reproduce, RunError, RunEvent, Runner};
use messenger_conformance::selection::{Only, Selection};

fn suite() -> Arc<messenger_conformance::scenario::Suite> {
    Arc::new(common::suite())
}

fn options(filter: &[&str]) -> RunOptions {
    RunOptions {
        selection: Selection {
            filter: filter.iter().map(|f| f.to_string()).collect(),
            ..Selection::default()
        },
        jobs: 2,
        property_cases: Some(16),
        ..RunOptions::default()
    }
}

/// What a callback saw, as one word per event.
fn word(event: &RunEvent<'_>) -> String {
    match event {
        RunEvent::Started { .. } => "started".into(),
        RunEvent::CaseFinished(e) => format!("case {}", e.id),
        RunEvent::PropertiesStarted { .. } => "properties".into(),
        RunEvent::PropertyFinished { event, .. } => format!("property {}", event.id),
        RunEvent::BreakerTripped { .. } => "tripped".into(),
        RunEvent::Finished(_) => "finished".into(),
    }
}

#[test]
fn the_runner_calls_back_once_per_event_in_order_and_returns_the_records_in_suite_order() {
    let factory = Arc::new(common::broken_implementation("jwt-alg-none"));
    let runner = Runner::new(
        suite(),
        factory,
        options(&["JWT-ALG-00", "jwt-one-character"]),
    );
    let mut seen = Vec::new();
    let mut header_name = None;
    let summary = runner
        .try_execute(|event| {
            if let RunEvent::Started {
                header,
                cases,
                properties,
                jobs,
            } = event
            {
                header_name = Some(header.implementation.name.clone());
                assert_eq!(header.seed, Some(runner.seed()));
                assert!(header.suite.is_some());
                assert_eq!(properties, 1);
                assert!(cases > 1);
                assert_eq!(jobs, 2);
            }
            if let RunEvent::PropertiesStarted {
                seed,
                requests_each,
                count,
            } = event
            {
                assert_eq!((seed, requests_each, count), (runner.seed(), 16, 1));
            }
            seen.push(word(&event));
            Ok::<(), String>(())
        })
        .expect("the run finishes");
    assert!(header_name.is_some());
    let cases = summary.cases.len();
    assert_eq!(seen.first().map(String::as_str), Some("started"));
    assert_eq!(seen.last().map(String::as_str), Some("finished"));
    let case_words = seen.iter().filter(|w| w.starts_with("case ")).count();
    assert_eq!(case_words, cases, "{seen:?}");
    let properties_at = seen.iter().position(|w| w == "properties").unwrap();
    assert!(seen[..properties_at]
        .iter()
        .all(|w| !w.starts_with("property ")));
    assert_eq!(
        seen[properties_at + 1],
        "property jwt-one-character-changed"
    );
    assert!(!seen.contains(&"tripped".to_string()));
    // The summary keeps the suite's order, whatever order the two workers finished in.
    let selection = options(&["JWT-ALG-00", "jwt-one-character"]).selection;
    let suite = common::suite();
    let order: Vec<&str> = suite
        .cases
        .iter()
        .filter(|c| selection.selects_case(&c.area, &c.id, c.role))
        .map(|c| c.id.as_str())
        .collect();
    let ran: Vec<&str> = summary.cases.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ran, order);
    assert!(summary.cases.iter().any(CaseEvent::failed));
    assert_eq!(summary.properties.len(), 1);
    assert_eq!(summary.properties[0].event.kind, Kind::Property);
    assert!(summary.properties[0].stats.requests > 0);
    assert!(!summary.cancelled);
    assert_eq!(summary.breaker, None);
    // Without a Reproduce, no record says how to reproduce it.
    assert!(summary.cases.iter().all(|e| e.reproduce.is_none()));
}

struct Phrasing;

impl Reproduce for Phrasing {
    fn case(&self, area: &str, id: &str) -> String {
        format!("rerun {area}::{id}")
    }
    fn property(&self, name: &str, seed: u64, requests: u32) -> String {
        format!("replay {name} {seed} {requests}")
    }
}

#[test]
fn records_carry_the_callers_reproduce_commands_and_the_kept_counterexample() {
    let factory = Arc::new(common::broken_implementation("jwt-exp-off-by-one"));
    let mut options = options(&["JWT-EXP-001", "jwt-time-window"]);
    options.seed = Some(3);
    options.property_cases = Some(64);
    let runner = Runner::new(suite(), factory, options)
        .with_reproduce(Phrasing)
        .with_counterexamples(Counterexamples::NotWritten("a test".into()));
    let mut shrunk_to = None;
    let summary = runner
        .try_execute(|event| {
            if let RunEvent::PropertyFinished {
                event,
                counterexample,
                ..
            } = event
            {
                shrunk_to = counterexample.map(|c| c.case_id.clone());
                assert_eq!(
                    event.counterexample.as_ref().map(|c| &c.case_id),
                    shrunk_to.as_ref()
                );
            }
            Ok::<(), String>(())
        })
        .unwrap();
    let case = &summary.cases[0];
    assert_eq!(case.reproduce.as_deref(), Some("rerun jwt::JWT-EXP-001"));
    let property = &summary.properties[0];
    assert_eq!(
        property.event.reproduce.as_deref(),
        Some("replay jwt-time-window 3 64")
    );
    assert!(property.event.failed());
    let kept = property.event.counterexample.as_ref().expect("kept");
    assert_eq!(Some(&kept.case_id), shrunk_to.as_ref());
    assert_eq!(kept.written, "not written: a test");
    assert_eq!(kept.path, None);
}

#[test]
fn a_cancelled_run_reports_nothing_after_the_flag_and_says_it_was_cancelled() {
    let factory = Arc::new(common::broken_implementation("jwt-alg-none"));
    let cancel = Arc::new(AtomicBool::new(false));
    let mut options = options(&[]);
    options.jobs = 1;
    options.selection.only = Some(Only::Cases);
    let runner = Runner::new(suite(), factory, options).with_cancel(Arc::clone(&cancel));
    let mut finished = 0;
    let mut after = 0;
    let summary = runner
        .try_execute(|event| {
            if cancel.load(Ordering::SeqCst) && event.record().is_some() {
                after += 1;
            }
            if event.record().is_some() {
                finished += 1;
                if finished == 3 {
                    cancel.store(true, Ordering::SeqCst);
                }
            }
            Ok::<(), String>(())
        })
        .unwrap();
    assert!(summary.cancelled);
    assert_eq!(after, 0, "a record was reported after the cancellation");
    assert_eq!(
        summary.cases.len(),
        3,
        "the summary holds what was reported"
    );
    assert!(summary.properties.is_empty());
}

#[test]
fn an_error_from_the_callback_stops_the_run_and_is_returned() {
    let factory = Arc::new(common::broken_implementation("jwt-alg-none"));
    let runner = Runner::new(suite(), factory, options(&[]));
    let mut records = 0;
    let result = runner.try_execute(|event| {
        if event.record().is_some() {
            records += 1;
            if records == 2 {
                return Err("the reporter failed".to_string());
            }
        }
        Ok(())
    });
    match result {
        Err(RunError::Callback(error)) => assert_eq!(error, "the reporter failed"),
        other => panic!("expected the callback's error, got {:?}", other.map(|_| ())),
    }
    assert_eq!(records, 2, "nothing is reported after the error");
}

/// An implementation that cannot start.
struct NoStart;

impl AdapterFactory for NoStart {
    fn start(&self) -> Result<Box<dyn Adapter>, StartError> {
        Err(StartError("exited before hello; stderr: boom".into()))
    }
    fn describe(&self) -> String {
        "exec:nothing".into()
    }
}

#[test]
fn an_implementation_that_does_not_start_is_an_error_that_names_it_and_quotes_why() {
    let runner = Runner::new(suite(), Arc::new(NoStart), options(&[]));
    let mut called = false;
    let error = runner
        .try_execute(|_| {
            called = true;
            Ok::<(), String>(())
        })
        .map(|_| ())
        .unwrap_err();
    assert!(!called);
    assert!(matches!(&error, RunError::NotStarted { target, .. } if target == "exec:nothing"));
    assert_eq!(
        error.to_string(),
        "could not start exec:nothing: exited before hello; stderr: boom"
    );
}

/// An implementation that says hello and then never answers usefully.
struct Mute {
    calls: Arc<AtomicUsize>,
}

struct MuteAdapter {
    hello: HelloReply,
    calls: Arc<AtomicUsize>,
}

impl Adapter for MuteAdapter {
    fn hello(&self) -> &HelloReply {
        &self.hello
    }
    fn call(&mut self, _: &ToAdapter) -> Result<FromAdapter, AdapterError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err(AdapterError {
            kind: AdapterErrorKind::Exited,
            detail: "gone".into(),
            seen: None,
        })
    }
}

impl AdapterFactory for Mute {
    fn start(&self) -> Result<Box<dyn Adapter>, StartError> {
        Ok(Box::new(MuteAdapter {
            hello: Reference::hello(),
            calls: Arc::clone(&self.calls),
        }))
    }
    fn describe(&self) -> String {
        "mute".into()
    }
}

#[test]
fn the_breaker_trips_once_and_the_rest_is_recorded_as_not_run() {
    let calls = Arc::new(AtomicUsize::new(0));
    let factory = Arc::new(Mute {
        calls: Arc::clone(&calls),
    });
    let mut options = options(&[]);
    options.jobs = 1;
    let runner = Runner::new(suite(), factory, options).with_breaker(Limits {
        consecutive: 3,
        total: 100,
        error_time: None,
    });
    let mut tripped = Vec::new();
    let summary = runner
        .try_execute(|event| {
            if let RunEvent::BreakerTripped { why } = event {
                tripped.push(why.to_string());
            }
            Ok::<(), String>(())
        })
        .unwrap();
    assert_eq!(tripped.len(), 1, "{tripped:?}");
    assert!(
        tripped[0].contains("3 adapter errors in a row"),
        "{}",
        tripped[0]
    );
    assert_eq!(summary.breaker.as_deref(), Some(tripped[0].as_str()));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "nothing is sent after the trip"
    );
    let not_run = summary
        .cases
        .iter()
        .filter(|e| e.outcome == OutcomeClass::AdapterError)
        .filter(|e| e.problems[0].actual.starts_with("not run: "))
        .count();
    assert_eq!(not_run, summary.cases.len() - 3);
    assert!(summary
        .properties
        .iter()
        .all(|p| p.event.outcome == OutcomeClass::AdapterError && p.stats.requests == 0));
}

#[test]
fn run_alone_runs_one_item_on_an_adapter_of_its_own() {
    let factory = Arc::new(common::broken_implementation("jwt-alg-none"));
    let runner = Runner::new(suite(), factory, options(&["JWT-ALG-002", "idv-hash"]));
    let items: Vec<_> = runner.items().collect();
    let names: Vec<String> = items
        .iter()
        .map(|i| {
            let (area, id) = runner.area_and_id(*i);
            format!("{area}::{id}")
        })
        .collect();
    assert_eq!(names, ["jwt::JWT-ALG-002", "properties::idv-hash"]);
    let case = runner.run_alone(items[0]).unwrap();
    assert!(case.event().failed(), "{:?}", case.event().outcome);
    let property = runner.run_alone(items[1]).unwrap();
    assert_eq!(property.event().kind, Kind::Property);
    assert_eq!(property.event().outcome, OutcomeClass::Pass);
}
