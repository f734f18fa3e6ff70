//! An implementation that answers nothing usable stops the run early: the rest is recorded as
//! not run (an adapter error), the run fails, and it says why in one sentence.

use std::path::Path;
use std::process::Command;

#[test]
fn an_adapter_that_fails_every_request_trips_the_breaker() {
    let binary = env!("CARGO_BIN_EXE_messenger-conformance");
    let report = std::env::temp_dir().join(format!("mc-breaker-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&report);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/adapters/misbehave.py");
    let output = Command::new(binary)
        .args([
            "run",
            "--jobs",
            "2",
            "--timeout-ms",
            "2000",
            "--max-consecutive-errors",
            "4",
            "--report",
        ])
        .arg(&report)
        .args(["--", "python3"])
        .arg(&script)
        // Garbage instead of the first answer of every process: every request fails.
        .args(["non-json", "--at", "1", "--", binary, "serve", "--stdio"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("the run stopped after 4 adapter errors in a row"),
        "{stdout}"
    );
    let events = std::fs::read_to_string(report.join("events.jsonl")).unwrap();
    let not_run = events.matches("not run: the run stopped").count();
    let cases = events.matches("\"record\":\"case\"").count();
    assert!(cases > 400, "every case and property is recorded: {cases}");
    assert!(not_run > cases - 20, "{not_run} of {cases} were not run");
    let _ = std::fs::remove_dir_all(&report);
}
