//! A run in which nothing was tested does not pass, and every report says what was not covered.

use crate::common;

use std::fs;
use std::path::Path;

use common::{Output, BIN};

fn run(report: &Path, extra: &[&str]) -> Output {
    common::bin(&["run", "--property-cases", "8", "--seed", "1", "--report"])
        .arg(report)
        .args(extra)
        .args(["--", "python3", "tests/adapters/unsupported.py"])
        .output()
}

#[test]
fn an_adapter_that_supports_nothing_fails_the_gate_and_every_report_says_why() {
    let report = common::scratch("supports-nothing").join("report");
    let output = run(&report, &[]);
    let stdout = &output.stdout;
    assert_eq!(output.code, 1, "{stdout}");
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
    let again = common::bin(&["report"]).arg(&report).output();
    assert_eq!(again.code, 1, "{again}");
    let _ = fs::remove_dir_all(&report);
}

#[test]
fn skipped_must_cases_fail_the_gate_only_when_asked() {
    let run = |extra: &[&str]| {
        common::bin(&["run", "--only", "cases", "--no-report"])
            .args(extra)
            .args(["--", "python3", "tests/adapters/verifier_only.py", BIN])
            .output()
    };
    // The signer cases are skipped (role not declared): the gate passes, and says what was not
    // covered.
    let plain = run(&[]);
    let stdout = &plain.stdout;
    assert_eq!(plain.code, 0, "{stdout}");
    assert!(
        stdout.contains("not tested because the implementation does not declare the role: SIGN-"),
        "{stdout}"
    );
    // With the switch, the skipped must cases fail it.
    let strict = run(&["--fail-on-skipped-must"]);
    let stdout = &strict.stdout;
    assert_eq!(strict.code, 1, "{stdout}");
    assert!(stdout.contains("skipped must case"), "{stdout}");
    assert!(
        stdout.contains("which --fail-on-skipped-must counts as failures: signer::"),
        "{stdout}"
    );
}

/// `run --report DIR -- python3 tests/adapters/dodge.py BIN MODE` (see that file for the modes),
/// its properties on few requests and a fixed seed; the run's output and the report's files.
struct Dodged {
    code: i32,
    stdout: String,
    report: std::path::PathBuf,
}

impl Dodged {
    fn run(mode: &str, extra: &[&str]) -> Dodged {
        let report = common::scratch(&format!("dodge-{}-{}", mode.replace('=', "-"), extra.len()))
            .join("report");
        let output = common::bin(&["run", "--property-cases", "8", "--seed", "1", "--report"])
            .arg(&report)
            .args(extra)
            .args(["--", "python3", "tests/adapters/dodge.py", BIN, mode])
            .output();
        Dodged {
            code: output.code,
            stdout: output.stdout,
            report,
        }
    }

    fn read(&self, name: &str) -> String {
        fs::read_to_string(self.report.join(name)).unwrap()
    }

    fn json(&self, name: &str) -> serde_json::Value {
        serde_json::from_str(&self.read(name)).unwrap()
    }
}

impl Drop for Dodged {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.report);
    }
}

/// An adapter that answers `unsupported` to every request it would reject (a verifier that never
/// says no) used to pass with a green badge: each dodged must case is a skip hello did not
/// declare, and fails the gate with its reason.
#[test]
fn answering_unsupported_to_every_rejection_fails_with_a_red_badge_and_the_reason() {
    let run = Dodged::run("rejects", &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("cases skipped for a reason hello did not declare"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "answered `unsupported` (\"dodged\"), but hello declared no lack of what this request needs (the verifier role, which hello offers)"
        ),
        "{}",
        run.stdout
    );
    let badge = run.json("badge.json");
    assert_eq!(badge["color"], "red", "{badge}");
    let message = badge["message"].as_str().unwrap();
    assert!(
        message.contains(" must, ") && message.ends_with(" skipped"),
        "{message}"
    );
    let summary = run.json("summary.json");
    assert_eq!(summary["gate"]["passed"], false);
    let undeclared = summary["gate"]["undeclared_skips"].as_array().unwrap();
    assert!(undeclared.len() > 100, "{}", undeclared.len());
    assert!(undeclared
        .iter()
        .filter(|f| f["area"] != "properties")
        .all(|f| f["note"]
            .as_str()
            .unwrap()
            .starts_with("answered `unsupported`")));
    assert!(summary["totals"]["skipped_undeclared"].as_u64().unwrap() > 100);
    assert!(run.read("summary.md").contains("⛔ skipped, not declared"));
    assert!(run
        .read("junit.xml")
        .contains("skipped for a reason hello did not declare"));
    // Gating the stored run again agrees, and so does the switch that also fails declared skips.
    let again = common::bin(&["report"]).arg(&run.report).output();
    assert_eq!(again.code, 1, "{again}");
}

/// One answer, then `unsupported` to everything: it tested something, so "nothing was tested"
/// does not catch it; the undeclared skips do. Its properties are skipped the same way.
#[test]
fn answering_once_then_unsupported_fails_with_a_red_badge() {
    let run = Dodged::run("once", &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        !run.stdout.contains("nothing was tested"),
        "one case ran: {}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("cases skipped for a reason hello did not declare"),
        "{}",
        run.stdout
    );
    assert_eq!(run.json("badge.json")["color"], "red");
    let summary = run.json("summary.json");
    let properties: Vec<&serde_json::Value> = summary["gate"]["undeclared_skips"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["area"] == "properties")
        .collect();
    assert!(!properties.is_empty(), "{summary}");
    assert!(
        properties.iter().all(|f| f["note"]
            .as_str()
            .unwrap()
            .contains("were answered `unsupported`; the first answered `unsupported`")),
        "{properties:?}"
    );
}

/// A hash-only signer that says so in hello (`lacks: ["sign_jwt"]`): its JWT signer cases are
/// skipped, never sent, counted in the badge and the summaries, and the run passes. The same
/// adapter without the declaration fails.
#[test]
fn a_declared_lack_of_jwt_signing_passes_with_its_skips_counted() {
    // Three independent runs, at once: each mostly waits for its Python adapter.
    let (run, strict, undeclared) = std::thread::scope(|scope| {
        let strict = scope.spawn(|| Dodged::run("lacks=jwt", &["--fail-on-skipped-must"]));
        let undeclared = scope.spawn(|| Dodged::run("jwt", &[]));
        let run = Dodged::run("lacks=jwt", &[]);
        (run, strict.join().unwrap(), undeclared.join().unwrap())
    });
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("hello declares the implementation lacks JWT signing (`sign_jwt`)"),
        "{}",
        run.stdout
    );
    let summary = run.json("summary.json");
    assert_eq!(summary["lacks"], serde_json::json!(["sign_jwt"]));
    assert_eq!(summary["totals"]["skipped_undeclared"], 0);
    let skipped = summary["by_level"]["must"]["skipped"].as_u64().unwrap();
    assert!(skipped > 0, "{summary}");
    let badge = run.json("badge.json");
    assert_eq!(badge["color"], "brightgreen", "{badge}");
    assert!(
        badge["message"]
            .as_str()
            .unwrap()
            .ends_with(&format!(" must, {skipped} skipped")),
        "{badge}"
    );
    let events = run.read("events.jsonl");
    assert!(events.contains(
        "needs JWT signing, which the implementation declares it lacks (hello: lacks sign_jwt)"
    ));
    assert!(
        !events.contains("\"mode\":\"jwt\""),
        "a request that needs a declared lack is never sent"
    );
    assert!(run
        .read("junit.xml")
        .contains("<skipped message=\"needs JWT signing"));
    // --fail-on-skipped-must keeps its meaning: it fails declared skips too.
    assert_eq!(strict.code, 1, "{}", strict.stdout);
    assert!(
        strict.stdout.contains("skipped must case"),
        "{}",
        strict.stdout
    );

    assert_eq!(undeclared.code, 1, "{}", undeclared.stdout);
    assert!(
        undeclared.stdout.contains(
            "but hello declared no lack of JWT signing (`sign_jwt`): answer it, or declare `\"lacks\": [\"sign_jwt\"]` in hello"
        ),
        "{}",
        undeclared.stdout
    );
    assert_eq!(undeclared.json("badge.json")["color"], "red");
}
