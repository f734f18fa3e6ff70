//! `--update-baseline` never writes adapter errors as known failures.

use std::path::Path;
use std::process::Command;

#[test]
fn a_run_with_adapter_errors_is_not_written_as_a_baseline() {
    let binary = env!("CARGO_BIN_EXE_messenger-conformance");
    let scratch = std::env::temp_dir().join(format!("mc-baseline-update-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let baseline = scratch.join("baseline.yaml");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/adapters/misbehave.py");
    let output = Command::new(binary)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "run",
            "--property-cases",
            "4",
            "--no-report",
            "--update-baseline",
            "--baseline",
        ])
        .arg(&baseline)
        .args(["--", "python3"])
        .arg(&script)
        .args(["non-json", "--at", "3", "--once"])
        .arg(scratch.join("once"))
        .args(["--", binary, "serve", "--stdio"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("refuses to list adapter errors as known failures"),
        "{stderr}"
    );
    assert!(!baseline.exists(), "a baseline was written");
    let _ = std::fs::remove_dir_all(&scratch);
}
