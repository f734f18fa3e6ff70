//! A property failure says where its counterexample really is, with a replay command that works
//! as printed; `--no-report` writes nothing, and nothing lands in the current directory.

use crate::common;

use common::BIN;

fn cases() -> String {
    common::cases_arg()
}

#[test]
fn the_counterexample_path_and_replay_command_are_the_real_ones() {
    let scratch = common::scratch("replay");
    let report = scratch.join("report");
    let output = common::bin(&[
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
    .dir(&scratch)
    .output();
    let stdout = output.stdout;
    assert_eq!(output.code, 1, "{stdout}");
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
    // The budget is part of the command: a failure found late is not found by a shorter run.
    assert!(replay.contains("--property-cases 64"), "{replay}");
    let args: Vec<&str> = replay.split_whitespace().skip(1).collect();
    let again = common::bin(&args)
        .args(["--cases", &cases(), "--no-report"])
        .dir(&scratch)
        .output();
    let again_out = again.stdout;
    assert_eq!(again.code, 1, "{again_out}");
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

/// The `next:` line of a property failure is the exact command that reproduces it: the property
/// alone, its seed, its budget and the adapter command, and run as printed it fails the same way.
#[test]
fn a_property_failure_s_next_line_carries_the_seed_and_the_adapter_command() {
    let scratch = common::scratch("next-line");
    let run = |args: &[&str]| {
        let output = common::bin(args).dir(&scratch).output();
        (output.code, output.stdout)
    };
    let (code, stdout) = run(&[
        "run",
        "--only",
        "properties",
        "--filter",
        "idv-hash",
        "--property-cases",
        "40",
        "--no-report",
        "--",
        BIN,
        "serve",
        "--stdio",
        "--broken",
        "idv-hashes-email",
    ]);
    assert_eq!(code, 1, "{stdout}");
    let next = stdout
        .lines()
        .find(|l| l.starts_with("  next: reproduce it with `"))
        .unwrap_or_else(|| panic!("no reproduce line in\n{stdout}"));
    let command = next
        .split('`')
        .nth(1)
        .expect("the command, quoted")
        .to_string();
    let seed = messenger_conformance::suite::seed_of_digest(
        messenger_conformance::suite::embedded_digest(),
    );
    assert!(command.contains(&format!("--seed {seed}")), "{command}");
    assert!(command.contains("--property-cases 40"), "{command}");
    assert!(
        command.ends_with(&format!(
            " -- {BIN} serve --stdio --broken idv-hashes-email"
        )),
        "{command}"
    );
    // Run as printed (its first word is the binary's name), it fails the same property alone.
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    // --no-report must precede `--`: right after `run`.
    let mut again_args = args.clone();
    again_args.insert(1, "--no-report");
    let (again_code, again) = run(&again_args);
    assert_eq!(again_code, 1, "{again}");
    let failed: Vec<&str> = again
        .lines()
        .filter(|l| l.starts_with("case ") && l.contains("FAILED"))
        .collect();
    assert_eq!(failed.len(), 1, "{again}");
    assert!(failed[0].contains("properties::idv-hash"), "{again}");
    let _ = std::fs::remove_dir_all(&scratch);
}

/// A case's failure shows its note (terminal, HTML, summary.md) and a `next:` line that reruns it
/// alone against the same implementation.
#[test]
fn a_case_failure_shows_its_note_and_a_rerun_against_the_same_implementation() {
    let scratch = common::scratch("case-next");
    let report = scratch.join("report");
    let output = common::bin(&[
        "run",
        "--broken",
        "jwt-alg-none",
        "--filter",
        "JWT-ALG-002",
        "--exact",
        "--report",
    ])
    .arg(&report)
    .dir(&scratch)
    .output();
    let stdout = output.stdout;
    assert_eq!(output.code, 1, "{stdout}");
    let note = "  note: The signature is k-web's HS256 MAC over the header as sent";
    assert!(stdout.contains(note), "{stdout}");
    assert!(
        stdout.contains("  next: reproduce it with `messenger-conformance run --filter jwt::JWT-ALG-002 --exact --broken jwt-alg-none`"),
        "{stdout}"
    );
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(
        html.contains("note: The signature is k-web&#39;s HS256")
            || html.contains("note: The signature is k-web's HS256"),
        "no note in report.html"
    );
    let markdown = std::fs::read_to_string(report.join("summary.md")).unwrap();
    assert!(
        markdown.contains("<br>note: The signature is k-web"),
        "{markdown}"
    );
    let _ = std::fs::remove_dir_all(&scratch);
}
