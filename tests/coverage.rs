//! A run in which nothing was tested does not pass, and every report says what was not covered.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn run(report: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_messenger-conformance"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "--property-cases", "8", "--seed", "1", "--report"])
        .arg(report)
        .args(extra)
        .args(["--", "python3", "tests/adapters/unsupported.py"])
        .output()
        .expect("run the harness")
}

#[test]
fn an_adapter_that_supports_nothing_fails_the_gate_and_every_report_says_why() {
    let report = std::env::temp_dir().join(format!("mc-coverage-{}", std::process::id()));
    let _ = fs::remove_dir_all(&report);
    let output = run(&report, &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("gate: FAILED: nothing was tested"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "must requirement(s) not tested because the implementation answered `unsupported`"
        ),
        "{stdout}"
    );
    let read = |name: &str| fs::read_to_string(report.join(name)).unwrap();
    assert!(read("summary.md").contains("Not covered by this run"));
    assert!(read("summary.md").contains("nothing was tested"));
    let summary: serde_json::Value = serde_json::from_str(&read("summary.json")).unwrap();
    assert_eq!(summary["gate"]["passed"], false);
    assert_eq!(summary["gate"]["executed"], 0);
    assert_eq!(summary["gate"]["uncovered"][0]["reason"], "unsupported");
    assert!(read("junit.xml").contains("<failure message=\"nothing was tested"));
    assert!(read("report.html").contains("not covered: nothing was tested"));
    // `report DIR` gates the stored run the same way.
    let again = Command::new(env!("CARGO_BIN_EXE_messenger-conformance"))
        .arg("report")
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    let _ = fs::remove_dir_all(&report);
}

#[test]
fn skipped_must_cases_fail_the_gate_only_when_asked() {
    let binary = env!("CARGO_BIN_EXE_messenger-conformance");
    let run = |extra: &[&str]| {
        Command::new(binary)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["run", "--only", "cases", "--no-report"])
            .args(extra)
            .args(["--", "python3", "tests/adapters/verifier_only.py", binary])
            .output()
            .expect("run the harness")
    };
    // The signer cases are skipped (role not declared): the gate passes, and says what was not
    // covered.
    let plain = run(&[]);
    let stdout = String::from_utf8_lossy(&plain.stdout);
    assert_eq!(plain.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("not tested because the implementation does not declare the role: SIGN-"),
        "{stdout}"
    );
    // With the switch, the skipped must cases fail it.
    let strict = run(&["--fail-on-skipped-must"]);
    let stdout = String::from_utf8_lossy(&strict.stdout);
    assert_eq!(strict.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("skipped must case"), "{stdout}");
    assert!(
        stdout.contains("which --fail-on-skipped-must counts as failures: signer::"),
        "{stdout}"
    );
}
