//! `--update-baseline` never writes adapter errors as known failures.

use crate::common;

#[test]
fn a_run_with_adapter_errors_is_not_written_as_a_baseline() {
    let scratch = common::scratch("adapter-errors");
    let baseline = scratch.join("baseline.yaml");
    let output = common::bin(&[
        "run",
        "--property-cases",
        "4",
        "--no-report",
        "--update-baseline",
        "--baseline",
    ])
    .arg(&baseline)
    .args(["--", "python3"])
    .arg(common::test_adapter("misbehave.py"))
    .args(["non-json", "--at", "3", "--once"])
    .arg(scratch.join("once"))
    .arg("--")
    .args(common::reference_command())
    .output();
    let stderr = &output.stderr;
    assert_eq!(output.code, 2, "{stderr}");
    assert!(
        stderr.contains("refuses to list adapter errors as known failures"),
        "{stderr}"
    );
    assert!(!baseline.exists(), "a baseline was written");
    let _ = std::fs::remove_dir_all(&scratch);
}
