//! An implementation that answers nothing usable stops the run early: the rest is recorded as
//! not run (an adapter error), the run fails, and it says why in one sentence.

use crate::common;

#[test]
fn an_adapter_that_fails_every_request_trips_the_breaker() {
    let report = common::scratch("every-request").join("report");
    let output = common::bin(&[
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
    .arg(common::test_adapter("misbehave.py"))
    // Garbage instead of the first answer of every process: every request fails.
    .args(["non-json", "--at", "1", "--"])
    .args(common::reference_command())
    .output();
    let stdout = &output.stdout;
    assert_eq!(output.code, 1, "{stdout}");
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

/// `run` against the misbehaving adapter in `mode` (at its `at`-th request of each process),
/// with `options`; the exit code and stdout.
fn run_against(mode: &str, at: &str, options: &[&str]) -> (i32, String) {
    let output = common::bin(&["run"])
        .args(options)
        .args(["--", "python3"])
        .arg(common::test_adapter("misbehave.py"))
        .args([mode, "--at", at, "--"])
        .args(common::reference_command())
        .output();
    (output.code, output.stdout)
}

#[test]
fn an_adapter_that_hangs_on_every_third_request_trips_the_time_budget() {
    // Each process hangs on its third request; the harness restarts it after the timeout, so
    // errors never come in a row. Neither count limit is reached: the time budget trips.
    let (code, stdout) = run_against(
        "hang",
        "3",
        &[
            "--no-report",
            "--only",
            "cases",
            "--timeout-ms",
            "400",
            "--max-error-seconds",
            "2",
            "--max-consecutive-errors",
            "1000",
            "--max-adapter-errors",
            "1000",
        ],
    );
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("over its time budget for failed requests (--max-error-seconds 2)"),
        "{stdout}"
    );
    // The hangs that ran each cost at least one timeout: a few of them, never hundreds.
    let blocks = stdout.lines().filter(|l| l.starts_with("--- ")).count();
    assert!(
        (1..=10).contains(&blocks),
        "{blocks} failure blocks:\n{stdout}"
    );
}

#[test]
fn after_the_breaker_trips_the_cases_not_run_are_one_line() {
    let (code, stdout) = run_against(
        "non-json",
        "1",
        &[
            "--no-report",
            "--only",
            "cases",
            "--timeout-ms",
            "2000",
            "--max-consecutive-errors",
            "3",
        ],
    );
    assert_eq!(code, 1, "{stdout}");
    // Three adapter errors, each a failure block of its own; the rest is one line.
    let blocks = stdout.lines().filter(|l| l.starts_with("--- ")).count();
    assert_eq!(blocks, 3, "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.contains("cases not run: the adapter stopped answering; the run stopped after 3 adapter errors in a row"))
        .unwrap_or_else(|| panic!("no line that counts the cases not run:\n{stdout}"));
    let count: usize = line.split(' ').next().unwrap().parse().unwrap();
    let total: usize = stdout
        .lines()
        .rev()
        .find_map(|l| {
            let (passed, rest) = l.split_once(" passed, ")?;
            let failed = rest.split(' ').next()?;
            Some(passed.parse::<usize>().ok()? + failed.parse::<usize>().ok()?)
        })
        .expect("the closing line");
    assert_eq!(count, total - 3, "{line}");
    assert!(!stdout.contains("the implementation said"), "{stdout}");
    // The gate counts them in one line too.
    assert_eq!(stdout.matches("  new failure: ").count(), 3, "{stdout}");
    assert!(
        stdout.contains(&format!(
            "  new failures: {count} cases not run: the adapter stopped answering"
        )),
        "{stdout}"
    );
}
