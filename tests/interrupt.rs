//! An interrupted run (Ctrl-C, a CI timeout) leaves no adapter running, exits 128 + the signal,
//! and leaves what ran as an incomplete stream that `report` does not pass.

use crate::common;

use std::process::Stdio;
use std::time::Duration;

/// Once `events` holds four records and the adapters (marked by `marker`) run, SIGTERM
/// `child`: it exits 143, and no adapter is left running.
fn terminate_once_running(mut child: std::process::Child, events: &std::path::Path, marker: &str) {
    common::wait_for_lines(events, 4, |_| true);
    assert!(
        !common::processes_with(marker).is_empty(),
        "the adapters are running"
    );
    common::sigterm(&child);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        common::processes_with(marker),
        Vec::<String>::new(),
        "adapters left running"
    );
}

#[test]
fn sigterm_ends_every_adapter_and_the_stream_is_incomplete() {
    let scratch = common::scratch("sigterm");
    let marker = scratch.join("marker").display().to_string();
    let report = scratch.join("report");
    // The adapter hangs on its 5th request; the harness would wait a minute for it.
    let run = common::bin(&[
        "run",
        "--only",
        "cases",
        "--jobs",
        "2",
        "--timeout-ms",
        "60000",
        "--report",
    ])
    .arg(&report)
    .args(["--", "python3"])
    .arg(common::test_adapter("misbehave.py"))
    .args(["hang", "--at", "5", "--once", &marker, "--"])
    .args(common::reference_command())
    .stdout(Stdio::null())
    .spawn();
    let events = report.join("events.jsonl");
    terminate_once_running(run, &events, &marker);
    // What ran is there, without a footer, and `report` does not pass it.
    let text = std::fs::read_to_string(&events).unwrap();
    assert!(!text.contains("\"record\":\"footer\""));
    let again = common::bin(&["report"]).arg(&report).output();
    assert_eq!(again.code, 1, "{again}");
    assert!(again.stdout.contains("the run did not complete"));
    let _ = std::fs::remove_dir_all(&scratch);
}

#[test]
fn a_stream_cut_mid_line_leaves_no_stale_report_beside_the_error() {
    let report = common::scratch("cut").join("report");
    let run = common::bin(&[
        "run",
        "--only",
        "cases",
        "--filter",
        "visitors::",
        "--report",
    ])
    .arg(&report)
    .output();
    assert_eq!(run.code, 0, "{run}");
    assert!(report.join("report.html").exists());
    let events = report.join("events.jsonl");
    let text = std::fs::read_to_string(&events).unwrap();
    std::fs::write(&events, &text[..text.len() / 2]).unwrap();
    let again = common::bin(&["report"]).arg(&report).output();
    assert_eq!(again.code, 2, "{again}");
    for name in [
        "report.html",
        "junit.xml",
        "summary.md",
        "summary.json",
        "badge.json",
    ] {
        assert!(
            !report.join(name).exists(),
            "{name} was left beside the error"
        );
    }
    let _ = std::fs::remove_dir_all(&report);
}

#[test]
fn sigterm_ends_every_adapter_of_a_compare() {
    let scratch = common::scratch("sigterm-compare");
    let marker = scratch.join("marker").display().to_string();
    let report = scratch.join("report");
    let hang = format!(
        "hang=python3 {} hang --at 5 --once {marker} -- {}",
        common::test_adapter("misbehave.py").display(),
        common::reference_command().join(" ")
    );
    let compare = common::bin(&[
        "compare",
        "-q",
        "--only",
        "cases",
        "--jobs",
        "2",
        "--timeout-ms",
        "60000",
        "--impl",
        "ref=builtin:reference",
        "--impl",
        &hang,
        "--report",
    ])
    .arg(&report)
    .stdout(Stdio::null())
    .spawn();
    terminate_once_running(compare, &report.join("hang").join("events.jsonl"), &marker);
    assert!(
        !report.join("compare.json").exists(),
        "no comparison of a cut run"
    );
    let _ = std::fs::remove_dir_all(&scratch);
}
