//! The example adapters (`adapters/`) against the whole suite, through the real binary and the
//! exec transport, as a user would run them.
//!
//! - The conforming adapters (Node, Python, Rust `profile_adapter`) must pass with the baseline
//!   beside them: exit 0, no case skipped, and the cases that fail are exactly the ones their
//!   baseline lists (the harness's own gate also fails a baseline entry whose case now passes).
//! - The naive adapter (`naive_adapter`, jsonwebtoken's `Validation` defaults) must fail, and
//!   with the findings it exists to show.
//!
//! Node and Python need their packages, which `scripts/test` installs. When `node`, `python3` or a
//! package is missing, the test fails and says how to install it: it never passes unrun.

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The seed of the generated requests (`run --seed`); the adapters pass any seed, this one
/// makes a failure replayable.
const PROPERTY_SEED: &str = "20260101";

/// One run of the suite against an adapter: exit code, terminal output, and the case records of
/// the report's `events.jsonl`.
struct SuiteRun {
    label: String,
    code: Option<i32>,
    output: String,
    header: Value,
    cases: Vec<Value>,
}

impl SuiteRun {
    fn failing(&self) -> BTreeSet<String> {
        self.cases
            .iter()
            .filter(|c| !matches!(c["outcome"].as_str(), Some("pass" | "skipped")))
            .map(|c| c["id"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// `id (skip reason)` of every skipped case.
    fn skipped(&self) -> Vec<String> {
        self.cases
            .iter()
            .filter(|c| c["outcome"] == "skipped")
            .map(|c| format!("{} ({})", c["id"], c["skip_reason"]))
            .collect()
    }

    fn case(&self, id: &str) -> &Value {
        self.cases
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| {
                panic!(
                    "{}: the suite has no case {id}; was it renumbered?",
                    self.label
                )
            })
    }

    /// Asserts that case `id` ended with `outcome` and, when given, answered `error`.
    fn assert_outcome(&self, id: &str, outcome: &str, error: Option<&str>) {
        let case = self.case(id);
        let actual_error = case["actual"]["error"].as_str();
        assert!(
            case["outcome"] == outcome && (error.is_none() || actual_error == error),
            "{}: expected {id} to be {outcome}{}, got {} (answered {:?}): {}",
            self.label,
            error.map(|e| format!(" answering {e}")).unwrap_or_default(),
            case["outcome"],
            actual_error,
            case["title"],
        );
    }
}

/// Run the suite against `adapter` (a command line), with `baseline` if given.
fn run_suite(label: &str, baseline: Option<&str>, adapter: &[&str]) -> SuiteRun {
    let report = common::scratch(label);
    let mut command = common::bin(&["run", "--quiet", "--cases"]).arg(common::cases_dir());
    // A fixed seed for the properties, so the baselines describe one reproducible run; their
    // counterexamples go to the report directory, not to reports/ in the work tree.
    command = command.args(["--seed", PROPERTY_SEED]);
    command = command.arg("--report").arg(&report);
    command = command
        .arg("--counterexamples")
        .arg(report.join("counterexamples"));
    if let Some(baseline) = baseline {
        command = command.arg("--baseline").arg(common::root().join(baseline));
    }
    let output = command.arg("--").args(adapter).output();
    let output_text = format!("{}{}", output.stdout, output.stderr);
    let events_path = report.join("events.jsonl");
    let events = std::fs::read_to_string(&events_path).unwrap_or_else(|error| {
        panic!(
            "{label}: no {} ({error}); the run said:\n{output_text}",
            events_path.display()
        )
    });
    let records: Vec<Value> = events
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{label}: bad events.jsonl line ({e}): {line}"))
        })
        .collect();
    let header = records
        .iter()
        .find(|r| r["record"] == "header")
        .cloned()
        .unwrap_or(Value::Null);
    let cases: Vec<Value> = records
        .into_iter()
        .filter(|r| r["record"] == "case")
        .collect();
    assert!(
        !cases.is_empty(),
        "{label}: the run recorded no case; it said:\n{output_text}"
    );
    SuiteRun {
        label: label.to_string(),
        code: Some(output.code),
        output: output_text,
        header,
        cases,
    }
}

/// The case ids a baseline file lists.
fn baseline_ids(path: &str) -> BTreeSet<String> {
    #[derive(serde::Deserialize)]
    struct File {
        #[serde(default)]
        known_failures: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        id: String,
    }
    let text = std::fs::read_to_string(common::root().join(path))
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let file: File =
        serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path} is not a baseline: {e}"));
    file.known_failures.into_iter().map(|e| e.id).collect()
}

/// A conforming adapter: exit 0 with its baseline, failing exactly the cases the baseline lists,
/// never an adapter error, and deciding with the injected clock (so no case is skipped for time).
fn assert_conforms_with_baseline(label: &str, baseline: &str, adapter: &[&str]) {
    let run = run_suite(label, Some(baseline), adapter);
    assert_eq!(
        run.header["clock"], "injected",
        "{label}: the adapter should decide with the injected clock"
    );
    // A skipped case neither passes nor fails, and no baseline lists it: an adapter that dropped
    // a role (or a capability) would otherwise "conform" by running less of the suite.
    let skipped = run.skipped();
    assert!(
        skipped.is_empty(),
        "{label}: {} case(s) skipped; a conforming example adapter plays both roles with the \
         injected clock and runs every case: {skipped:?}\n\nThe run said:\n{}",
        skipped.len(),
        run.output
    );
    let listed = baseline_ids(baseline);
    let failing = run.failing();
    let unlisted: Vec<_> = failing.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&failing).collect();
    assert!(
        unlisted.is_empty() && stale.is_empty(),
        "{label}: {baseline} no longer describes the adapter.\n  failing but not listed: {unlisted:?}\n  \
         listed but not failing: {stale:?}\nRegenerate it with `cargo run -- run --baseline {baseline} \
         --update-baseline -- {}` and give every new entry its reason.\n\nThe run said:\n{}",
        adapter.join(" "),
        run.output
    );
    let errors: Vec<_> = run
        .cases
        .iter()
        .filter(|c| matches!(c["outcome"].as_str(), Some("adapter_error" | "timeout")))
        .map(|c| &c["id"])
        .collect();
    assert!(
        errors.is_empty(),
        "{label}: adapter errors or timeouts: {errors:?}\n{}",
        run.output
    );
    assert_eq!(
        run.code,
        Some(0),
        "{label}: the run with {baseline} should pass (exit 0); it said:\n{}",
        run.output
    );
}

/// Fails, saying how to install it, unless `program args` runs and succeeds.
fn require(program: &str, args: &[&str], install: &str) {
    let status = Command::new(program)
        .args(args)
        .current_dir(common::root())
        .output();
    match status {
        Ok(output) if output.status.success() => {}
        Ok(output) => panic!(
            "`{program} {}` failed: {}\ninstall it with: {install}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        Err(error) => panic!("`{program}` cannot be run ({error})\ninstall it with: {install}"),
    }
}

/// The path of an example binary of this crate (`adapters/rust/<name>.rs`), built with the
/// profile this test was built with.
fn example(name: &str) -> PathBuf {
    // The test runs from target/<profile>/deps/; examples are built into target/<profile>/examples/.
    let deps = std::env::current_exe().expect("the test knows its path");
    let profile_dir = deps
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    let binary = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    // `cargo test` builds the examples; `cargo test --test integration` does not. Build it
    // here when it is missing or older than its source (the examples use nothing of the library),
    // so the test never runs a stale adapter.
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let source = common::root()
        .join("adapters/rust")
        .join(format!("{name}.rs"));
    let stale = match (modified(&binary), modified(&source)) {
        (Some(built), Some(edited)) => built < edited,
        _ => true,
    };
    if stale {
        // common::cargo: without the variables cargo set for this test, which would rebuild
        // ring and this crate here and again in the next `cargo test`.
        let mut build = common::cargo();
        build.args(["build", "--quiet", "--example", name]);
        if profile_dir.file_name().is_some_and(|p| p == "release") {
            build.arg("--release");
        }
        let status = build.status().expect("cargo runs");
        assert!(
            status.success() && binary.exists(),
            "could not build the example {name}: run `cargo build --examples`"
        );
    }
    binary
}

#[test]
fn node_adapter_passes_with_its_baseline() {
    let install = "`scripts/test` (it installs the packages), or by hand: Node.js 18 or newer \
                   (`apt-get install nodejs npm`), then `(cd adapters/node && npm ci --no-audit --no-fund)`";
    require("node", &["--version"], install);
    require(
        "node",
        &["-e", "require('./adapters/node/node_modules/jsonwebtoken')"],
        install,
    );
    assert_conforms_with_baseline(
        "node",
        "adapters/node/baseline.yaml",
        &["node", "adapters/node/adapter.js"],
    );
}

#[test]
fn python_adapter_passes_with_its_baseline() {
    let install = "`scripts/test` (it installs the packages), or by hand: Python 3.9 or newer, \
                   then `python3 -m pip install -r adapters/python/requirements.txt`";
    require("python3", &["--version"], install);
    require("python3", &["-c", "import jwt"], install);
    assert_conforms_with_baseline(
        "python",
        "adapters/python/baseline.yaml",
        &["python3", "adapters/python/adapter.py"],
    );
}

#[test]
fn rust_profile_adapter_passes_with_its_baseline() {
    let binary = example("profile_adapter");
    let binary = binary.to_str().expect("a UTF-8 path");
    assert_conforms_with_baseline("rust-profile", "adapters/rust/baseline.yaml", &[binary]);
}

#[test]
fn rust_naive_adapter_fails_where_jsonwebtoken_defaults_differ_from_the_profile() {
    let binary = example("naive_adapter");
    let run = run_suite(
        "rust-naive",
        None,
        &[binary.to_str().expect("a UTF-8 path")],
    );
    assert_eq!(
        run.code,
        Some(1),
        "the naive adapter must fail the suite; the run said:\n{}",
        run.output
    );
    assert_eq!(
        run.header["clock"], "system",
        "the naive adapter reads the system clock and says so"
    );

    // It reads its own clock: the harness skips the cases that need an exact instant, such as a
    // token at the very second of its `exp`, and says why.
    let exp_now = run.case("JWT-EXP-001");
    assert_eq!(
        exp_now["outcome"], "skipped",
        "exp == now needs the injected clock"
    );
    assert!(
        exp_now["skip_reason"]
            .as_str()
            .is_some_and(|r| r.contains("clock")),
        "{exp_now}"
    );

    // ... and for nothing else: it plays both roles, so no case is skipped for another reason.
    let other_skips: Vec<_> = run
        .skipped()
        .into_iter()
        .filter(|s| !s.contains("clock"))
        .collect();
    assert!(
        other_skips.is_empty(),
        "the naive adapter skipped cases for a reason other than its clock: {other_skips:?}"
    );

    // Validation's 60 s default leeway: a token that expired 59 s ago is still accepted.
    run.assert_outcome("JWT-EXP-004", "wrong_verdict", None);
    // validate_nbf is false by default: a token whose nbf is a day ahead is accepted.
    run.assert_outcome("JWT-NBF-004", "wrong_verdict", None);
    // `exp` is a required claim by default: a token without one (valid in the profile) is refused.
    run.assert_outcome("JWT-EXP-013", "wrong_verdict", Some("jwt_claims_invalid"));
    // alg `none` is a JSON error in the library: the right decision, the wrong code.
    run.assert_outcome("JWT-ALG-002", "wrong_error_code", Some("jwt_malformed"));
    // `crit` is ignored: a token with an unknown critical extension is accepted.
    run.assert_outcome("JWT-ALG-021", "wrong_verdict", None);
    // user_hash compared with `==` after lowercasing: uppercase hex passes on iOS.
    run.assert_outcome("IDV-ENC-003", "wrong_verdict", None);
    // Each failure above that accepts what must be refused accepts a token MACed with the
    // platform's own key or a user_hash made with its secret: no one without the secret could
    // make it, so none is an authentication bypass. Each says what it is instead.
    for (id, severity, what) in [
        ("JWT-EXP-004", "major", "an expiry that does not hold"),
        ("JWT-NBF-004", "major", "a not-before that does not hold"),
        ("JWT-ALG-021", "major", "an ignored `crit`"),
        ("IDV-ENC-003", "minor", "a lenient user_hash format"),
    ] {
        let case = run.case(id);
        let why = case["problems"][0]["why"].as_str().unwrap_or_default();
        assert_eq!(case["severity"], severity, "{id}: {why}");
        assert!(
            why.contains("Not an authentication bypass") && why.contains(what),
            "{id}: {why}"
        );
    }
    // Its signer gets every signed case right. Where the signer rules leave an input open it
    // sometimes gives the other conforming answer (the hash over the user_id beside an empty
    // email; the lifetime asked for where an attribute is named exp, since its own exp replaces
    // the attribute's; exp = now - 60 for a negative lifetime), and those cases pass. Elsewhere
    // it signs what no conforming answer allows: the HMAC of an empty user_id, a token with
    // user_id "", attributes named like reserved claims written into the token (duplicates
    // beside user_id and email, iss, aud...), an exp that wraps; and, at should level only, an
    // empty email written into the token and a MAC under an empty secret. Each failure names
    // the split requirement it breaks.
    for id in ["SIGN-HASH-012", "SIGN-JWT-018", "SIGN-JWT-026"] {
        assert_eq!(run.case(id)["outcome"], "pass", "{id}: {}", run.case(id));
    }
    let signer_failures: Vec<&Value> = run
        .cases
        .iter()
        .filter(|c| {
            c["area"] == "signer" && !matches!(c["outcome"].as_str(), Some("pass" | "skipped"))
        })
        .collect();
    let ids: Vec<&str> = signer_failures
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "SIGN-HASH-011",
            "SIGN-HASH-013",
            "SIGN-HASH-018",
            "SIGN-HASH-019",
            "SIGN-JWT-015",
            "SIGN-JWT-016",
            "SIGN-JWT-017",
            "SIGN-JWT-019",
            "SIGN-JWT-025",
            "SIGN-JWT-027",
            "SIGN-JWT-028",
            "SIGN-JWT-029",
            "SIGN-JWT-030",
            "SIGN-JWT-031",
            "SIGN-JWT-032",
            "SIGN-JWT-033",
            "SIGN-JWT-034",
            "SIGN-JWT-035"
        ],
        "naive signer failures"
    );
    let split = [
        "SIGN-HASH-NEVER-EMPTY",
        "SIGN-EMPTY-USER-ID",
        "SIGN-EMPTY-EMAIL",
        "SIGN-EMPTY-SECRET",
        "SIGN-JWT-RESERVED-ATTRIBUTES",
        "SIGN-JWT-LIFETIME-RANGE",
        "JWT-DUPLICATE-MEMBERS",
    ];
    for case in signer_failures {
        let id = case["id"].as_str().unwrap();
        let should = ["SIGN-HASH-013", "SIGN-JWT-015", "SIGN-JWT-016"].contains(&id);
        assert_eq!(
            case["failure_level"]
                .as_str()
                .unwrap_or(case["level"].as_str().unwrap())
                == "should",
            should,
            "{case}"
        );
        if id == "SIGN-JWT-027" {
            continue; // an exp that wraps, or a crash in a debug build: either way no refusal
        }
        let named = case["problems"].as_array().unwrap().iter().any(|p| {
            p["requirement"]
                .as_str()
                .is_some_and(|r| split.contains(&r))
        });
        assert!(named, "{id}: no problem names the rule it breaks: {case}");
        assert!(
            !case["problems"]
                .to_string()
                .contains("the contract says to refuse"),
            "{case}"
        );
    }
}
