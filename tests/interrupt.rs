//! An interrupted run (Ctrl-C, a CI timeout) leaves no adapter running, exits 128 + the signal,
//! and leaves what ran as an incomplete stream that `report` does not pass.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The pids of processes whose command line holds `marker`.
fn processes_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let cmdline = entry.path().join("cmdline");
        if let Ok(bytes) = std::fs::read(&cmdline) {
            if String::from_utf8_lossy(&bytes).contains(marker) {
                found.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
    }
    found
}

#[test]
fn sigterm_ends_every_adapter_and_the_stream_is_incomplete() {
    let binary = env!("CARGO_BIN_EXE_messenger-conformance");
    let scratch = std::env::temp_dir().join(format!("mc-interrupt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let marker = scratch.join("marker").display().to_string();
    let report = scratch.join("report");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/adapters/misbehave.py");
    // The adapter hangs on its 5th request; the harness would wait a minute for it.
    let mut run = Command::new(binary)
        .args([
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
        .arg(&script)
        .args([
            "hang", "--at", "5", "--once", &marker, "--", binary, "serve", "--stdio",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let events = report.join("events.jsonl");
    let started = Instant::now();
    while std::fs::read_to_string(&events).map_or(0, |t| t.lines().count()) < 4 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !processes_with(&marker).is_empty(),
        "the adapters are running"
    );
    // SAFETY: kill(2) on the child this test started.
    unsafe {
        libc::kill(run.id() as libc::pid_t, libc::SIGTERM);
    }
    let status = run.wait().unwrap();
    assert_eq!(status.code(), Some(143));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        processes_with(&marker),
        Vec::<String>::new(),
        "adapters left running"
    );
    // What ran is there, without a footer, and `report` does not pass it.
    let text = std::fs::read_to_string(&events).unwrap();
    assert!(!text.contains("\"record\":\"footer\""));
    let again = Command::new(binary)
        .arg("report")
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(
        again.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    assert!(String::from_utf8_lossy(&again.stdout).contains("the run did not complete"));
    let _ = std::fs::remove_dir_all(&scratch);
}

#[test]
fn a_stream_cut_mid_line_leaves_no_stale_report_beside_the_error() {
    let binary = env!("CARGO_BIN_EXE_messenger-conformance");
    let report = std::env::temp_dir().join(format!("mc-cut-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&report);
    let run = Command::new(binary)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "run",
            "--only",
            "cases",
            "--filter",
            "visitors::",
            "--report",
        ])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    assert!(report.join("report.html").exists());
    let events = report.join("events.jsonl");
    let text = std::fs::read_to_string(&events).unwrap();
    std::fs::write(&events, &text[..text.len() / 2]).unwrap();
    let again = Command::new(binary)
        .arg("report")
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
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
    let binary = env!("CARGO_BIN_EXE_messenger-conformance");
    let scratch = std::env::temp_dir().join(format!("mc-interrupt-compare-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let marker = scratch.join("marker").display().to_string();
    let report = scratch.join("report");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/adapters/misbehave.py");
    let hang = format!(
        "hang=python3 {} hang --at 5 --once {marker} -- {binary} serve --stdio",
        script.display()
    );
    let mut compare = Command::new(binary)
        .args([
            "compare",
            "-q",
            "--only",
            "cases",
            "--jobs",
            "2",
            "--timeout-ms",
            "60000",
        ])
        .args([
            "--impl",
            "ref=builtin:reference",
            "--impl",
            &hang,
            "--report",
        ])
        .arg(&report)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let events = report.join("hang").join("events.jsonl");
    let started = Instant::now();
    while std::fs::read_to_string(&events).map_or(0, |t| t.lines().count()) < 4 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !processes_with(&marker).is_empty(),
        "the adapters are running"
    );
    // SAFETY: kill(2) on the child this test started.
    unsafe {
        libc::kill(compare.id() as libc::pid_t, libc::SIGTERM);
    }
    let status = compare.wait().unwrap();
    assert_eq!(status.code(), Some(143));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        processes_with(&marker),
        Vec::<String>::new(),
        "adapters left running"
    );
    assert!(
        !report.join("compare.json").exists(),
        "no comparison of a cut run"
    );
    let _ = std::fs::remove_dir_all(&scratch);
}
