//! A property failure says where its counterexample really is, with a replay command that works
//! as printed; `--no-report` writes nothing, and nothing lands in the current directory.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_messenger-conformance");

fn cases() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("cases")
        .display()
        .to_string()
}

#[test]
fn the_counterexample_path_and_replay_command_are_the_real_ones() {
    let scratch = std::env::temp_dir().join(format!("mc-counterexample-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let report = scratch.join("report");
    let output = Command::new(BIN)
        .current_dir(&scratch)
        .args([
            "run",
            "--cases",
            &cases(),
            "--only",
            "properties",
            "--seed",
            "3",
        ])
        .args([
            "--property-cases",
            "64",
            "--broken",
            "jwt-exp-off-by-one",
            "--report",
        ])
        .arg(&report)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let dir = report.join("counterexamples");
    let written = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("no {}: {e}\n{stdout}", dir.display()))
        .next()
        .expect("a counterexample was written")
        .unwrap()
        .path();
    let shown = format!("written to {}", written.display());
    assert!(stdout.contains(&shown), "`{shown}` not in\n{stdout}");
    let events = std::fs::read_to_string(report.join("events.jsonl")).unwrap();
    assert!(events.contains(&shown));
    let yaml = std::fs::read_to_string(&written).unwrap();
    assert!(!yaml.contains("$schema"));
    // No property secret is written: the case names them (the `generated` fixture workspace).
    for secret in messenger_conformance::properties::secrets() {
        assert!(!yaml.contains(&secret), "{secret} written in\n{yaml}");
    }
    assert!(yaml.contains("workspace: generated"), "{yaml}");
    // The replay command, run as printed, reproduces the failure.
    let replay = stdout
        .split("reproduce with `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .expect("a replay command");
    assert!(replay.contains("--broken jwt-exp-off-by-one"), "{replay}");
    let args: Vec<&str> = replay.split_whitespace().skip(1).collect();
    let again = Command::new(BIN)
        .current_dir(&scratch)
        .args(&args)
        .args(["--cases", &cases(), "--property-cases", "64", "--no-report"])
        .output()
        .unwrap();
    let again_out = String::from_utf8_lossy(&again.stdout);
    assert_eq!(again.status.code(), Some(1), "{again_out}");
    assert!(again_out.contains("FAILED"), "{again_out}");
    let ran = again_out.lines().filter(|l| l.starts_with("case ")).count();
    assert_eq!(ran, 1, "the replay runs the property alone:\n{again_out}");
    // --no-report wrote nothing, anywhere under the current directory.
    let entries: Vec<_> = std::fs::read_dir(&scratch)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(entries, vec![std::ffi::OsString::from("report")]);
    assert!(
        again_out.contains("not written: --no-report"),
        "{again_out}"
    );
    let _ = std::fs::remove_dir_all(&scratch);
}
