//! An adapter that dies while a grandchild (in a session of its own) holds its stdout is an
//! exit, not a timeout, and each restart leaves no thread behind. Alone in its test binary, so
//! the thread count is this test's alone.

use crate::common;

use std::time::Duration;

use messenger_conformance::adapter::exec::ExecFactory;
use messenger_conformance::event::CaseEvent;
use messenger_conformance::judge::OutcomeClass;
use messenger_conformance::redact::Redactor;
use messenger_conformance::run::Workers;
use messenger_conformance::scenario::LoadedCase;

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

#[test]
fn an_adapter_that_dies_while_a_grandchild_holds_stdout_is_an_exit_and_leaks_nothing() {
    let suite = common::suite();
    let cases: Vec<&LoadedCase> = suite
        .cases
        .iter()
        .filter(|c| c.area == "visitors")
        .take(8)
        .collect();
    let before = threads();
    // Every second request of each process: the adapter dies, its grandchild keeps stdout.
    let script = common::test_adapter("misbehave.py").display().to_string();
    let command = ["python3", &script, "setsid-exit", "--at", "2", "--"]
        .into_iter()
        .chain(common::reference_command())
        .map(String::from)
        .collect();
    let factory = ExecFactory::new(command, Duration::from_millis(5000));
    let events = Workers::start(&factory, 1)
        .expect("the adapter starts")
        .run_cases(&cases, &Redactor::default(), |_| {});
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
