//! "critical (authentication bypass)" means that someone without the platform's secret could be
//! let in or pass as another user. A verifier that checks the signature and the keys strictly
//! but reads the token's format leniently (as golang-jwt and many others do) lets nobody in who
//! could not already MAC a token with the platform's key: its failures are real, and gate, but
//! none of them is critical.
//!
//! `tests/adapters/lenient_verifier.py` is such a verifier (the reference behind a lenient
//! reader, standard library only), run here through the exec transport by the real binary over
//! every verifier case and property.

use crate::common;

use serde_json::Value;

use common::BIN;

/// The case records of a run of the lenient verifier over `only` (cases or properties).
fn run_lenient(only: &str) -> (Vec<Value>, String) {
    let dir = common::scratch(&format!("lenient-{only}"));
    let report = dir.join("report").display().to_string();
    let counterexamples = dir.join("counterexamples").display().to_string();
    let args = [
        "run",
        "--only",
        only,
        "--role",
        "verifier",
        "--jobs",
        "2",
        "--seed",
        "1",
        "--property-cases",
        "64",
        "--report",
        &report,
        "--counterexamples",
        &counterexamples,
        "--",
        "python3",
        "tests/adapters/lenient_verifier.py",
        "--",
        BIN,
        "serve",
        "--stdio",
    ];
    let run = common::bin(&args);
    let rerun = run.command_line();
    let output = run.output();
    let events =
        std::fs::read_to_string(dir.join("report").join("events.jsonl")).unwrap_or_else(|e| {
            panic!(
                "`{rerun}` wrote no events.jsonl ({e}); stderr:\n{}",
                output.stderr
            )
        });
    let records: Vec<Value> = events
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON record a line"))
        .collect();
    let header = records.iter().find(|r| r["record"] == "header").unwrap();
    assert_eq!(
        header["implementation"]["name"], "lenient-verifier",
        "`{rerun}` must have tested the lenient verifier"
    );
    assert_eq!(
        output.code, 1,
        "`{rerun}`: the lenient verifier breaks must rules, so the gate fails"
    );
    let _ = std::fs::remove_dir_all(&dir);
    (
        records
            .into_iter()
            .filter(|r| r["record"] == "case")
            .collect(),
        rerun,
    )
}

fn failures(records: &[Value]) -> Vec<&Value> {
    records
        .iter()
        .filter(|r| !matches!(r["outcome"].as_str(), Some("pass" | "skipped")))
        .collect()
}

fn describe(record: &Value) -> String {
    format!(
        "{} [{}] {}: {}",
        record["id"].as_str().unwrap_or("?"),
        record["level"].as_str().unwrap_or("?"),
        record["severity"].as_str().unwrap_or("?"),
        record["problems"][0]["why"].as_str().unwrap_or("?")
    )
}

#[test]
fn a_lenient_parser_with_a_strict_signature_check_gets_no_critical_failure() {
    let (records, rerun) = run_lenient("cases");
    let failing = failures(&records);
    let by_id = |id: &str| {
        failing
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("`{rerun}`: {id} must fail the lenient verifier"))
    };
    // What it gets wrong, and what each is called: padding, whitespace, crit, numeric-string
    // exp and duplicate members are each accepted with the platform's own MAC.
    let expected = [
        (
            "JWT-FORMAT-005",
            "minor",
            "a lenient parser (padding, whitespace",
        ),
        (
            "JWT-FORMAT-010",
            "minor",
            "a lenient parser (padding, whitespace",
        ),
        (
            "JWT-FORMAT-013",
            "minor",
            "a lenient parser (padding, whitespace",
        ),
        ("JWT-ALG-021", "major", "an ignored `crit`"),
        ("JWT-CLAIMS-013", "major", "lenient claim types"),
        ("JWT-DUP-003", "major", "a member named twice"),
    ];
    for (id, severity, kind) in expected {
        let record = by_id(id);
        let why = record["problems"][0]["why"].as_str().unwrap_or_default();
        assert_eq!(record["severity"], severity, "{}", describe(record));
        assert!(
            why.contains("Not an authentication bypass") && why.contains(kind),
            "{id} names what it is ({kind}): {why}"
        );
    }
    let critical: Vec<String> = failing
        .iter()
        .filter(|r| r["severity"] == "critical")
        .map(|r| describe(r))
        .collect();
    assert!(
        critical.is_empty(),
        "`{rerun}`: the lenient verifier lets in only tokens MACed with a key of the platform, so none of its failures is an authentication bypass; these are rated critical:\n{}",
        critical.join("\n")
    );
    assert!(failing.len() >= 20, "{} failures", failing.len());
}

#[test]
fn the_properties_rate_a_lenient_parser_below_critical() {
    let (records, rerun) = run_lenient("properties");
    let failing = failures(&records);
    assert!(
        failing.iter().any(|r| r["id"] == "jwt-single-fault"),
        "`{rerun}`: jwt-single-fault must catch the lenient parser"
    );
    let critical: Vec<String> = failing
        .iter()
        .filter(|r| r["severity"] == "critical")
        .map(|r| describe(r))
        .collect();
    assert!(
        critical.is_empty(),
        "`{rerun}`: a generated request the lenient verifier accepts carries the platform's MAC, so no property failure is critical:\n{}",
        critical.join("\n")
    );
}

/// A case that sets its own severity, beside the suite: `severity` replaces the derived one and
/// the failure says why; the same case without it gets the derived severity.
#[test]
fn a_case_override_replaces_the_derived_severity_with_its_reason() {
    let dir = common::scratch("override");
    let case = |id: &str, severity: &str| {
        format!(
            "cases:\n  - id: {id}\n    title: An expired token is refused\n    requirements: [JWT-EXP]\n    level: must\n{severity}    request:\n      platform: web\n      jwt:\n        claims: {{user_id: u-1, exp: now-1s}}\n        sign: {{key: k-web}}\n    expect: {{outcome: rejected, error: jwt_expired}}\n"
        )
    };
    common::write_file(
        &dir.join("team/mine/own.yaml"),
        &(case(
            "TEAM-SEV-001",
            "    severity: critical\n    severity_reason: this workspace revokes sessions by expiry alone\n",
        ) + &case("TEAM-SEV-002", "").replace("cases:\n", "")),
    );
    let report = dir.join("report");
    let output = common::bin(&["run", "--only", "cases", "--broken", "jwt-exp-ignored"])
        .args(["--extra-cases", "team", "--filter", "TEAM-SEV-", "--report"])
        .arg(&report)
        .dir(&dir)
        .output();
    let events = std::fs::read_to_string(report.join("events.jsonl"))
        .unwrap_or_else(|e| panic!("{e}: {}", output.stderr));
    let records: Vec<Value> = events
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|r: &Value| r["record"] == "case")
        .collect();
    let record = |id: &str| records.iter().find(|r| r["id"] == id).unwrap();
    let overridden = record("TEAM-SEV-001");
    assert_eq!(overridden["severity"], "critical", "{overridden}");
    let why = overridden["problems"][0]["why"].as_str().unwrap();
    assert!(
        why.ends_with(
            ". Severity critical, set by the case: this workspace revokes sessions by expiry alone"
        ),
        "{why}"
    );
    let derived = record("TEAM-SEV-002");
    assert_eq!(derived["severity"], "major", "{derived}");
    assert!(derived["problems"][0]["why"]
        .as_str()
        .unwrap()
        .contains("an expiry that does not hold"));
    let _ = std::fs::remove_dir_all(&dir);
}
