//! One request, one verdict, every run: without `--seed` the properties use the suite's own seed,
//! so two runs of the same build send the same requests; `--seed random` draws one, prints it,
//! records it, and `--seed N` replays it. A run clears its report's `counterexamples/` (only the
//! files runs write) before it starts.

use crate::common;

use std::fs;
use std::path::Path;

use serde_json::Value;

/// The header and the property records of a run's `events.jsonl`.
fn events(report: &Path) -> (Value, Vec<Value>) {
    let records = common::events(report);
    let header = records
        .iter()
        .find(|r| r["record"] == "header")
        .expect("a header")
        .clone();
    let cases = records
        .into_iter()
        .filter(|r| r["record"] == "case")
        .collect();
    (header, cases)
}

/// What each property sent and got back, in order: the part of a record that must not change
/// between two runs with one seed (durations do).
fn exchanges(cases: &[Value]) -> Vec<(String, Value)> {
    cases
        .iter()
        .map(|case| {
            (
                case["id"].as_str().unwrap_or_default().to_string(),
                case["transcript"].clone(),
            )
        })
        .collect()
}

fn run_properties(report: &Path, extra: &[&str]) -> common::Output {
    let mut args = vec![
        "run",
        "--only",
        "properties",
        "--property-cases",
        "32",
        "--broken",
        "idv-hashes-email",
        "--report",
        common::path_arg(report),
    ];
    args.extend_from_slice(extra);
    common::cli(&args)
}

#[test]
fn two_runs_of_one_build_send_the_same_requests_under_the_suite_s_seed() {
    let dir = common::scratch("same-requests");
    let (first, second) = (dir.join("first"), dir.join("second"));
    let a = run_properties(&first, &[]);
    let b = run_properties(&second, &[]);
    assert_eq!(a.code, 1, "{a}");
    assert_eq!(b.code, 1, "{b}");
    let suite_seed = messenger_conformance::suite::seed_of_digest(
        messenger_conformance::suite::embedded_digest(),
    );
    let (header_a, cases_a) = events(&first);
    let (header_b, cases_b) = events(&second);
    assert_eq!(header_a["seed"], Value::from(suite_seed), "{header_a}");
    assert_eq!(header_b["seed"], header_a["seed"]);
    assert_eq!(header_a["options"]["seed"], Value::from(suite_seed));
    assert!(
        a.stdout
            .contains(&format!("properties: seed {suite_seed} (the suite's own)")),
        "{a}"
    );
    // The same requests, the same answers, the same verdicts: one failing property each time.
    assert!(!cases_a.is_empty());
    assert_eq!(exchanges(&cases_a), exchanges(&cases_b));
    let outcomes =
        |cases: &[Value]| -> Vec<Value> { cases.iter().map(|c| c["outcome"].clone()).collect() };
    assert_eq!(outcomes(&cases_a), outcomes(&cases_b));
    assert!(cases_a.iter().any(|c| c["outcome"] != "pass"), "{a}");
}

#[test]
fn seed_random_prints_the_seed_it_drew_and_that_seed_replays_the_run() {
    let dir = common::scratch("random");
    let (explored, replayed) = (dir.join("explored"), dir.join("replayed"));
    let first = run_properties(&explored, &["--seed", "random", "-q"]);
    // Printed even with -q.
    let drawn: u64 = first
        .stdout
        .split("seed: drew ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no drawn seed printed:\n{first}"));
    assert!(
        first
            .stdout
            .contains(&format!("replay this run with --seed {drawn}")),
        "{first}"
    );
    let (header, cases) = events(&explored);
    assert_eq!(header["seed"], Value::from(drawn));
    assert_eq!(header["options"]["seed"], Value::from(drawn));
    let drawn_text = drawn.to_string();
    let again = run_properties(&replayed, &["--seed", &drawn_text, "-q"]);
    assert!(!again.stdout.contains("drew"), "{again}");
    let (header_again, cases_again) = events(&replayed);
    assert_eq!(header_again["seed"], Value::from(drawn));
    assert_eq!(exchanges(&cases), exchanges(&cases_again));
    assert_eq!(first.code, again.code);
}

#[test]
fn a_seed_that_is_neither_a_number_nor_random_is_a_usage_error() {
    let out = common::cli(&[
        "run",
        "--only",
        "properties",
        "--seed",
        "lucky",
        "--no-report",
    ]);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr.contains("`lucky` is not a seed") && out.stderr.contains("`random`"),
        "{out}"
    );
}

#[cfg(unix)]
#[test]
fn a_run_clears_only_the_counterexamples_runs_write_from_its_report() {
    let dir = common::scratch("clear");
    let report = dir.join("report");
    let counterexamples = report.join("counterexamples");
    fs::create_dir_all(counterexamples.join("kept")).unwrap();
    // An earlier run's counterexample: removed.
    let stale = counterexamples.join("jwt-differential-123.yaml");
    fs::write(&stale, "id: PROP-JWT-DIFFERENTIAL-123\n").unwrap();
    // Files that are not a run's: kept.
    let foreign = [
        counterexamples.join("README.md"),
        counterexamples.join("jwt-differential-123.yaml.bak"),
        counterexamples.join("my-case-1.yaml"),
        counterexamples.join("jwt-differential-abc.yaml"),
        counterexamples.join("kept").join("idv-hash-7.yaml"),
    ];
    for path in &foreign {
        fs::write(path, "mine").unwrap();
    }
    // A symlink named like a counterexample: the link goes, what it points to stays.
    let outside = dir.join("outside.yaml");
    fs::write(&outside, "not the harness's").unwrap();
    let link = counterexamples.join("idv-hash-9.yaml");
    std::os::unix::fs::symlink(&outside, &link).unwrap();

    let out = common::cli(&[
        "run",
        "--only",
        "cases",
        "--filter",
        "IDV-IDENT-001",
        "--exact",
        "--report",
        common::path_arg(&report),
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert!(!stale.exists(), "the stale counterexample is still there");
    assert!(
        fs::symlink_metadata(&link).is_err(),
        "the symlink is still there"
    );
    assert_eq!(fs::read_to_string(&outside).unwrap(), "not the harness's");
    for path in &foreign {
        assert_eq!(
            fs::read_to_string(path).unwrap(),
            "mine",
            "{} was touched",
            path.display()
        );
    }
}

#[cfg(unix)]
#[test]
fn a_counterexamples_directory_that_is_a_symlink_is_not_cleared_through() {
    let dir = common::scratch("clear-symlinked-dir");
    let report = dir.join("report");
    let elsewhere = dir.join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    fs::create_dir_all(&report).unwrap();
    let theirs = elsewhere.join("jwt-differential-5.yaml");
    fs::write(&theirs, "theirs").unwrap();
    std::os::unix::fs::symlink(&elsewhere, report.join("counterexamples")).unwrap();
    let out = common::cli(&[
        "run",
        "--only",
        "cases",
        "--filter",
        "IDV-IDENT-001",
        "--exact",
        "--report",
        common::path_arg(&report),
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(fs::read_to_string(&theirs).unwrap(), "theirs");
}

#[test]
fn only_the_names_runs_write_are_owned() {
    use messenger_conformance::properties::counterexample::is_owned_name;
    assert!(is_owned_name("jwt-differential-0.yaml"));
    assert!(is_owned_name("signer-output-4294967295.yaml"));
    assert!(!is_owned_name("jwt-differential-.yaml"));
    assert!(!is_owned_name("jwt-differential-1.yml"));
    assert!(!is_owned_name("jwt-differential-1x.yaml"));
    assert!(!is_owned_name("not-a-property-1.yaml"));
    assert!(!is_owned_name("jwt-differential1.yaml"));
}
