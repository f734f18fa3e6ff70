//! The in-process example (`examples/rust-service`, a toy service on jsonwebtoken) runs the suite
//! as cargo tests: every case and property is a trial, none fails, and what is ignored is
//! exactly what the example says it cannot test (requests its typed `Request` cannot hold) or
//! knows it fails (its baseline); libtest's `--exact` runs one trial.
//!
//! The example is a member of this workspace that `cargo test` at the root does not build; here
//! it is built with `cargo test -p toy-service`, into this workspace's target directory (the
//! `CARGO_TARGET_DIR` cargo ran these tests with, if any), so it reuses what is compiled.

use crate::common;

use std::process::Output;

use messenger_conformance::properties;
use messenger_conformance::report::baseline::Baseline;

/// `cargo test -p toy-service --test conformance -- ARGS`, its output captured.
fn example(args: &[&str]) -> (Output, String) {
    // common::cargo: without the variables cargo set for this test, which would rebuild ring.
    // The harness without `internals` is a build of its own, the one the example depends on:
    // at opt-level 0 it builds in 16 s instead of 41 s (CARGO_INCREMENTAL=0, this 2-core
    // machine), and the example's suite still runs in about a second.
    let mut command = common::cargo();
    command
        .args(["test", "-p", "toy-service", "--test", "conformance"])
        .args([
            "--config",
            "profile.dev.package.messenger-conformance.opt-level=0",
            "--",
        ])
        .args(args)
        .env_remove("MC_SEED");
    let output = command.output().expect("cargo runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the example's conformance tests failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    (output, stdout)
}

/// The numbers of libtest's `test result:` line: passed, failed, ignored, filtered out.
fn result_line(stdout: &str) -> [usize; 4] {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("test result:"))
        .unwrap_or_else(|| panic!("no `test result:` line in:\n{stdout}"));
    let count = |word: &str| -> usize {
        let before = line.split(&format!(" {word}")).next().expect("a count");
        let number = before.rsplit(' ').next().expect("a number");
        number
            .parse()
            .unwrap_or_else(|_| panic!("`{word}` in {line}"))
    };
    [
        count("passed"),
        count("failed"),
        count("ignored"),
        count("filtered out"),
    ]
}

#[test]
fn the_example_runs_the_whole_suite_as_cargo_tests_and_passes() {
    let suite = common::suite();
    let baseline = Baseline::load(&common::root().join("examples/rust-service/baseline.yaml"))
        .expect("the example's baseline loads");
    // One trial per case and per property, and one that checks the baseline's entries.
    let trials = suite.cases.len() + properties::all().len() + 1;

    let (_, stdout) = example(&[]);
    let [passed, failed, ignored, filtered] = result_line(&stdout);
    assert_eq!((failed, filtered), (0, 0), "{stdout}");
    assert_eq!(passed + ignored, trials, "{stdout}");

    // Every ignored trial says why, and the reasons are the two the example documents.
    let ignored_lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("test ") && l.contains("... ignored"))
        .collect();
    assert_eq!(ignored_lines.len(), ignored, "{stdout}");
    let known: Vec<&&str> = ignored_lines
        .iter()
        .filter(|l| l.contains("ignored (known failure ("))
        .collect();
    assert_eq!(known.len(), baseline.entries.len(), "{stdout}");
    for entry in &baseline.entries {
        assert!(
            known
                .iter()
                .any(|l| l.contains(&format!("::{} ", entry.id))),
            "{} is in the baseline but not ignored as a known failure:\n{stdout}",
            entry.id
        );
    }
    let untyped: Vec<&&str> = ignored_lines
        .iter()
        .filter(|l| {
            l.contains(
                "which the implementation declares it lacks (hello: lacks ill_typed_requests)",
            )
        })
        .collect();
    assert_eq!(known.len() + untyped.len(), ignored, "{stdout}");
    // Only the requests of rule 1's shape cases cannot be typed: all else reaches the service.
    assert!(!untyped.is_empty());
    for line in &untyped {
        assert!(line.starts_with("test request::REQ-SHAPE-"), "{line}");
    }
    // The properties ran (the signer's and the verifier's).
    for property in properties::all() {
        let name = format!("test properties::{} ", property.name);
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(&name) && l.ends_with(" ok")),
            "{name} did not pass:\n{stdout}"
        );
    }
}

#[test]
fn exact_runs_one_trial_by_its_area_and_id() {
    let (_, stdout) = example(&["--exact", "jwt::JWT-EXP-001"]);
    let [passed, failed, ignored, filtered] = result_line(&stdout);
    assert_eq!((passed, failed, ignored), (1, 0, 0), "{stdout}");
    let trials = common::suite().cases.len() + properties::all().len() + 1;
    assert_eq!(filtered, trials - 1, "{stdout}");
    assert!(stdout.contains("test jwt::JWT-EXP-001 ... ok"), "{stdout}");
}
