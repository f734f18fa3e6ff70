//! The report directory and an exported suite hold what they claim to (issue 18, items 3 and 4):
//! a run removes the previous run's rendered files when it starts, so an interrupted run never
//! leaves the old verdict beside its new events; every file is written through a temporary file
//! of unpredictable name and a rename; and a symbolic link, FIFO or folder where a file is to be
//! written is refused with a named error (exit 2), never followed, opened or blocked on.

use crate::common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Stdio;

use common::{mkfifo, Output};
const RENDERED: [&str; 5] = [
    "junit.xml",
    "summary.md",
    "summary.json",
    "badge.json",
    "report.html",
];

/// The binary with `args`; the test fails instead of hanging if it has not ended in a minute.
fn cli_within(args: &[&str]) -> Output {
    common::bin(args).within(60)
}

/// A quick passing run of a few cases against the reference, reporting into `report`.
fn passing_run(report: &Path) -> Output {
    cli_within(&[
        "run",
        "-q",
        "--only",
        "cases",
        "--filter",
        "JWT-ALG",
        "--report",
        common::path_arg(report),
    ])
}

#[test]
fn an_interrupted_run_leaves_no_previous_verdict_behind() {
    let scratch = common::scratch("interrupted");
    let report = scratch.join("report");
    let first = passing_run(&report);
    assert_eq!(first.code, 0, "{first}");
    for name in RENDERED {
        assert!(report.join(name).is_file(), "{name} of the first run");
    }
    // The second run's adapter hangs on its second request; SIGTERM ends the run there.
    let mut run = common::bin(&[
        "run",
        "--only",
        "cases",
        "--timeout-ms",
        "60000",
        "--report",
    ])
    .arg(&report)
    .args(["--", "python3"])
    .arg(common::test_adapter("misbehave.py"))
    .args(["hang", "--at", "2", "--"])
    .args(common::reference_command())
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn();
    let events = report.join("events.jsonl");
    // The new log holds its header and the first case; the second is hanging.
    common::wait_for_lines(&events, 2, |text| text.contains("exec:python3"));
    common::sigterm(&run);
    assert_eq!(run.wait().unwrap().code(), Some(143));
    for name in RENDERED {
        assert!(
            !report.join(name).exists(),
            "{name} of the previous run stands beside the interrupted run's events"
        );
    }
    assert!(!fs::read_to_string(&events)
        .unwrap()
        .contains("\"record\":\"footer\""));
}

#[test]
fn a_predictable_temporary_name_is_never_followed() {
    let scratch = common::scratch("predictable");
    let report = scratch.join("report");
    fs::create_dir_all(&report).unwrap();
    let outside = scratch.join("outside.txt");
    fs::write(&outside, "keep me").unwrap();
    // The names the old writer used for its temporary files.
    for name in [
        "events.jsonl.tmp",
        "junit.xml.tmp",
        "summary.md.tmp",
        "report.html.tmp",
    ] {
        symlink(&outside, report.join(name)).unwrap();
    }
    let out = passing_run(&report);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(fs::read_to_string(&outside).unwrap(), "keep me");
    let temporaries: Vec<String> = fs::read_dir(&report)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(temporaries.is_empty(), "left behind: {temporaries:?}");
}

#[test]
fn a_symlinked_events_file_is_refused_and_its_target_untouched() {
    let scratch = common::scratch("events-link");
    let report = scratch.join("report");
    fs::create_dir_all(&report).unwrap();
    let outside = scratch.join("precious.txt");
    fs::write(&outside, "keep me").unwrap();
    symlink(&outside, report.join("events.jsonl")).unwrap();
    let out = passing_run(&report);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr
            .contains("events.jsonl is a symbolic link, not a regular file"),
        "{out}"
    );
    assert_eq!(fs::read_to_string(&outside).unwrap(), "keep me");
}

#[test]
fn a_fifo_as_the_events_file_is_refused_not_a_hang() {
    let scratch = common::scratch("events-fifo");
    let report = scratch.join("report");
    fs::create_dir_all(&report).unwrap();
    mkfifo(&report.join("events.jsonl"));
    let out = passing_run(&report);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr
            .contains("events.jsonl is a FIFO (named pipe), not a regular file"),
        "{out}"
    );
}

#[test]
fn report_refuses_to_write_through_a_symlinked_summary() {
    let scratch = common::scratch("report-link");
    let report = scratch.join("report");
    assert_eq!(passing_run(&report).code, 0);
    let outside = scratch.join("precious.md");
    fs::write(&outside, "keep me").unwrap();
    fs::remove_file(report.join("summary.md")).unwrap();
    symlink(&outside, report.join("summary.md")).unwrap();
    let out = cli_within(&["report", common::path_arg(&report)]);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr.contains("summary.md is a symbolic link"),
        "{out}"
    );
    assert_eq!(fs::read_to_string(&outside).unwrap(), "keep me");
}

#[test]
fn suite_export_force_never_writes_through_a_link_or_into_a_fifo() {
    // A case file that is a link to a file elsewhere.
    let scratch = common::scratch("export-link");
    let dir = scratch.join("suite");
    fs::create_dir_all(dir.join("jwt")).unwrap();
    let outside = scratch.join("precious.yaml");
    fs::write(&outside, "keep me").unwrap();
    symlink(&outside, dir.join("jwt/alg.yaml")).unwrap();
    let out = cli_within(&["suite", "export", "--force", common::path_arg(&dir)]);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr
            .contains("alg.yaml is a symbolic link, not a regular file"),
        "{out}"
    );
    assert_eq!(fs::read_to_string(&outside).unwrap(), "keep me");

    // An area folder that is a link to a folder elsewhere.
    let scratch = common::scratch("export-folder-link");
    let dir = scratch.join("suite");
    fs::create_dir_all(&dir).unwrap();
    let elsewhere = scratch.join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    symlink(&elsewhere, dir.join("jwt")).unwrap();
    let out = cli_within(&["suite", "export", "--force", common::path_arg(&dir)]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("jwt is a symbolic link"), "{out}");
    assert_eq!(
        fs::read_dir(&elsewhere).unwrap().count(),
        0,
        "written elsewhere"
    );

    // A FIFO where a case file goes.
    let scratch = common::scratch("export-fifo");
    let dir = scratch.join("suite");
    fs::create_dir_all(dir.join("jwt")).unwrap();
    mkfifo(&dir.join("jwt/alg.yaml"));
    let out = cli_within(&["suite", "export", "--force", common::path_arg(&dir)]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("alg.yaml is a FIFO"), "{out}");
}
