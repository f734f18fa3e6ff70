//! The exec transport attributes what an adapter does to the request that provoked it: its
//! stderr, a second answer line, and its death while a grandchild holds its stdout; and it
//! leaves no thread behind across restarts.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use messenger_conformance::adapter::exec::ExecFactory;
use messenger_conformance::event::CaseEvent;
use messenger_conformance::judge::OutcomeClass;
use messenger_conformance::redact::Redactor;
use messenger_conformance::run::Workers;
use messenger_conformance::scenario::{load_suite, LoadedCase, Suite};

const BIN: &str = env!("CARGO_BIN_EXE_messenger-conformance");

fn suite() -> Suite {
    load_suite(&Path::new(env!("CARGO_MANIFEST_DIR")).join("cases")).expect("the suite loads")
}

/// `misbehave.py MODE OPTIONS -- messenger-conformance serve --stdio`.
fn misbehaving(mode: &str, options: &[&str]) -> ExecFactory {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/adapters/misbehave.py");
    let mut command = vec!["python3".to_string(), script.display().to_string()];
    command.push(mode.to_string());
    command.extend(options.iter().map(|s| s.to_string()));
    command.extend(["--", BIN, "serve", "--stdio"].map(String::from));
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
    let once = std::env::temp_dir().join(format!("mc-extra-line-{}", std::process::id()));
    let _ = std::fs::remove_file(&once);
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

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

#[test]
fn an_adapter_that_dies_while_a_grandchild_holds_stdout_is_an_exit_and_leaks_nothing() {
    let suite = suite();
    let cases: Vec<&LoadedCase> = suite
        .cases
        .iter()
        .filter(|c| c.area == "visitors")
        .take(8)
        .collect();
    let before = threads();
    // Every second request of each process: the adapter dies, its grandchild keeps stdout.
    let events = run(&cases, &misbehaving("setsid-exit", &["--at", "2"]), 1);
    let died: Vec<&CaseEvent> = events.iter().filter(|e| e.failed()).collect();
    assert!(died.len() >= 3, "{events:#?}");
    for event in &died {
        assert_eq!(
            event.outcome,
            OutcomeClass::AdapterError,
            "reported as {} instead of an exit: {:?}",
            event.outcome.as_str(),
            event.problems
        );
        assert!(
            event.problems[0].actual.contains("ended without answering"),
            "{:?}",
            event.problems
        );
    }
    // The reader threads of the dead processes stop within a poll slice of their kill.
    std::thread::sleep(Duration::from_millis(500));
    let after = threads();
    assert!(
        after <= before + 2,
        "{before} threads before, {after} after {} restarts",
        died.len()
    );
}
