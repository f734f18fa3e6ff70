//! The exec transport attributes what an adapter does to the request that provoked it: its
//! stderr, a second answer line, and its death while a grandchild holds its stdout; and it
//! restarts the adapter when it dies (tests/exec_adapter_leaks.rs checks that nothing is left
//! behind).

use crate::common;

use std::collections::BTreeSet;
use std::time::Duration;

use messenger_conformance::adapter::exec::ExecFactory;
use messenger_conformance::event::CaseEvent;
use messenger_conformance::judge::OutcomeClass;
use messenger_conformance::redact::Redactor;
use messenger_conformance::run::Workers;
use messenger_conformance::scenario::LoadedCase;

use common::suite;

/// `misbehave.py MODE OPTIONS -- messenger-conformance serve --stdio`.
fn misbehaving(mode: &str, options: &[&str]) -> ExecFactory {
    let script = common::test_adapter("misbehave.py");
    let mut command = vec!["python3".to_string(), script.display().to_string()];
    command.push(mode.to_string());
    command.extend(options.iter().map(|s| s.to_string()));
    command.push("--".to_string());
    command.extend(common::reference_command().map(String::from));
    ExecFactory::new(command, Duration::from_millis(5000))
}

fn run(cases: &[&LoadedCase], factory: &ExecFactory, jobs: usize) -> Vec<CaseEvent> {
    Workers::start(factory, jobs)
        .expect("the adapter starts")
        .run_cases(cases, &Redactor::default(), |_| {})
}

fn request_ids(event: &CaseEvent) -> BTreeSet<String> {
    event
        .transcript
        .iter()
        .filter_map(|e| e.request.get("id").and_then(|id| id.as_str()))
        .map(String::from)
        .collect()
}

#[test]
fn each_case_gets_exactly_the_stderr_written_before_its_own_answers() {
    let suite = suite();
    let cases: Vec<&LoadedCase> = suite.cases.iter().take(60).collect();
    for jobs in [1, 2] {
        let events = run(&cases, &misbehaving("stderr", &[]), jobs);
        for event in &events {
            let ids = request_ids(event);
            let marked: BTreeSet<String> = event
                .stderr
                .lines()
                .filter_map(|l| l.strip_prefix("misbehave: handling "))
                .map(String::from)
                .collect();
            assert_eq!(
                marked, ids,
                "--jobs {jobs}: {}::{} holds the stderr of {marked:?}, its requests are {ids:?}",
                event.area, event.id
            );
        }
    }
}

#[test]
fn a_request_answered_twice_fails_its_own_case_not_the_next() {
    let suite = suite();
    let cases: Vec<&LoadedCase> = suite
        .cases
        .iter()
        .filter(|c| c.area == "visitors")
        .take(6)
        .collect();
    let once = common::unique_path("extra-line");
    let events = run(
        &cases,
        &misbehaving(
            "extra-line",
            &["--at", "3", "--once", &once.display().to_string()],
        ),
        1,
    );
    let _ = std::fs::remove_file(&once);
    let failed: Vec<&CaseEvent> = events.iter().filter(|e| e.failed()).collect();
    assert_eq!(failed.len(), 1, "{events:#?}");
    let broken = failed[0];
    assert_eq!(broken.outcome, OutcomeClass::AdapterError);
    // The extra line is the answer to this case's own request.
    let seen = broken
        .transcript
        .last()
        .and_then(|e| e.seen.clone())
        .unwrap_or_default();
    let own = request_ids(broken).into_iter().next_back().unwrap();
    assert!(
        seen.contains(&format!("\"id\":\"{own}\"")),
        "seen {seen}, own request {own}"
    );
    assert!(
        broken.problems[0].actual.contains("more than one line"),
        "{:?}",
        broken.problems
    );
}
