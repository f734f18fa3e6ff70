//! Reports and CI gating, end to end: the event stream and everything rendered from it, the
//! baseline gate, `diff`, `--partition` with `merge`, insta snapshots, and report.html in a
//! real headless Chromium.
//!
//! The broken implementation is [`Broken`], written here: the reference verifier with two bugs
//! (a critical one and a minor one) and a bad habit (it echoes the workspace secret and some
//! HTML in its `message`), so the tests can prove that no secret and no markup gets through.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{check_xml, cli, files_under, path_arg, scratch};

use messenger_conformance::adapter::builtin::{BuiltinFactory, InProcess};
use messenger_conformance::adapter::AdapterFactory;
use messenger_conformance::contract::{
    ErrorCode, FromAdapter, HelloReply, Outcome, SignRequest, Verdict, VerifyRequest,
};
use messenger_conformance::event::RunOptions;
use messenger_conformance::exit::Exit;
use messenger_conformance::judge::{OutcomeClass, Severity};
use messenger_conformance::redact::Redactor;
use messenger_conformance::reference::{self, Reference};
use messenger_conformance::report::baseline::Baseline;
use messenger_conformance::report::{write_report, CaseEvent, RenderOptions, Stream};
use messenger_conformance::run::{header_for, Workers};
use messenger_conformance::scenario::{LoadedCase, Suite};
use messenger_conformance::selection::Only;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The reference verifier with two bugs and a leaky, markup-happy message.
struct Broken;

impl InProcess for Broken {
    fn hello(&self) -> HelloReply {
        let mut hello = Reference::hello();
        hello.implementation.name = "broken <b>test</b> implementation".into();
        hello
    }

    fn verify(&mut self, request: &VerifyRequest) -> Verdict {
        let mut verdict = reference::verify(request);
        match verdict.error {
            // Critical: lets a logged-in user without a user_hash in (unverified).
            Some(ErrorCode::UserHashRequired) => {
                verdict.outcome = Outcome::Accepted;
                verdict.error = None;
                verdict.verified = false;
                verdict.identity = None;
            }
            // Minor: the right decision with the wrong code.
            Some(ErrorCode::UserHashMismatch) => verdict.error = Some(ErrorCode::InvalidRequest),
            _ => {}
        }
        let secret = request
            .workspace
            .secrets()
            .first()
            .map(|s| s.to_string())
            .unwrap_or_default();
        verdict.message = Some(format!(
            "<script>alert('pwned')</script> checked with secret {secret}"
        ));
        verdict
    }

    fn sign(&mut self, request: &SignRequest) -> FromAdapter {
        reference::sign(request)
    }
}

fn broken_factory() -> BuiltinFactory {
    BuiltinFactory::new("broken-test", || Box::new(Broken))
}

/// What `run` does, through the library: run every case, build the stream, redact it.
fn run_library(factory: &dyn AdapterFactory, suite: &Suite) -> Stream {
    let cases: Vec<&LoadedCase> = suite.cases.iter().collect();
    let mut workers = Workers::start(factory, 2).expect("start the implementation");
    let header = header_for(factory, workers.hello(), RunOptions::default());
    let redactor = Redactor::new(suite.secrets());
    let events = workers.run_cases(&cases, &redactor, |_| {});
    let mut stream = Stream::new(header, events, 0.0);
    stream.redact(&redactor);
    stream
}

/// Run the broken implementation and write its report (no baseline) into `dir`.
fn broken_report(dir: &Path) -> Stream {
    let stream = run_library(&broken_factory(), &common::suite());
    let gate = common::gate(&stream.cases, None);
    write_report(dir, &stream, &gate, &RenderOptions::default()).expect("write the report");
    stream
}

/// Every `secret` value in cases/fixtures.yaml.
fn fixture_secrets() -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    match value {
                        Value::String(s) if key == "secret" && !s.is_empty() => out.push(s.clone()),
                        other => walk(other, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let text = fs::read_to_string(common::root().join("cases/fixtures.yaml"))
        .expect("read cases/fixtures.yaml");
    let value: Value = serde_saphyr::from_str(&text).expect("parse cases/fixtures.yaml");
    let mut secrets = Vec::new();
    walk(&value, &mut secrets);
    secrets
}

/// No secret of any fixture workspace is in any of `files`.
fn assert_no_fixture_secret_in(files: &[PathBuf]) {
    let secrets = fixture_secrets();
    assert!(
        secrets.len() >= 10,
        "fixtures.yaml holds the suite's secrets: {secrets:?}"
    );
    for file in files {
        let text = String::from_utf8_lossy(&fs::read(file).unwrap()).into_owned();
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{} contains the secret {secret}",
                file.display()
            );
        }
    }
}

/// A case record without what differs from run to run.
fn comparable(case: &CaseEvent) -> Value {
    let mut value = serde_json::to_value(case).expect("serialize");
    value.as_object_mut().expect("object").remove("duration_ms");
    value
}

// ---------------------------------------------------------------------------------------------
// The acceptance test
// ---------------------------------------------------------------------------------------------

/// The acceptance test, through the command line and a bundled broken implementation
/// (`run --broken`): update a baseline, pass with it, then see it go stale against the
/// reference; no fixture secret anywhere in what was written.
#[test]
fn acceptance_update_baseline_pass_with_it_then_stale_against_the_reference() {
    let dir = scratch("acceptance-cli");
    let baseline = dir.join("baseline.yaml");
    let counterexamples = dir.join("counterexamples");
    // A bug that lets someone without the platform's key in, so its failures are critical.
    let broken = ["--broken", "jwt-alg-none"];
    let run = |report: &str, extra: &[&str]| {
        let report = dir.join(report);
        // Few generated requests per property: every run here has the same seed and budget,
        // and what is claimed (baseline written, passed with, stale) holds for any budget.
        let mut args = vec![
            "run",
            "-q",
            "--seed",
            "1",
            "--property-cases",
            "16",
            "--counterexamples",
            path_arg(&counterexamples),
            "--report",
            path_arg(&report),
        ];
        args.extend_from_slice(extra);
        cli(&args)
    };

    // Unbaselined, the broken implementation fails (critically).
    let out = run("broken-first", &broken);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stdout.contains("gate: FAILED") && out.stdout.contains("critical"),
        "{out}"
    );

    // --update-baseline writes every failure; its critical entries have no reason yet, which
    // the run says (exit 1) and which makes the file unusable (exit 2, with file:line).
    let out = run(
        "broken-update",
        &[
            &broken[..],
            &["--baseline", path_arg(&baseline), "--update-baseline"],
        ]
        .concat(),
    );
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stdout
            .contains("critical failure(s) are listed with `reason: \"\"`"),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("critical baseline entry without a reason"),
        "{out}"
    );
    let out = run(
        "broken-refused",
        &[&broken[..], &["--baseline", path_arg(&baseline)]].concat(),
    );
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr.contains(&format!("{}:", baseline.display()))
            && out.stderr.contains("is a critical failure"),
        "{out}"
    );

    // Justified, the baseline lets the same implementation pass: only known failures.
    let text = fs::read_to_string(&baseline).unwrap();
    let entries = text.matches("- id: ").count();
    assert!(entries > 0, "{text}");
    fs::write(
        &baseline,
        text.replace("reason: \"\"", "reason: \"accepts alg none, fix in SEC-7\""),
    )
    .unwrap();
    let out = run(
        "broken-baselined",
        &[&broken[..], &["--baseline", path_arg(&baseline)]].concat(),
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout
            .contains(&format!("gate: passed ({entries} known failure")),
        "{out}"
    );

    // The conforming reference against the same baseline: every entry is stale.
    let out = run("reference", &["--baseline", path_arg(&baseline)]);
    assert_eq!(out.code, 1, "{out}");
    assert_eq!(
        out.stdout.matches("stale baseline entry: ").count(),
        entries,
        "{out}"
    );
    assert!(out.stdout.contains("now passes"), "{out}");

    // No secret value of any fixture workspace anywhere in what the runs wrote.
    assert_no_fixture_secret_in(&files_under(&dir));
}

/// The same path through the library, with an implementation that echoes the workspace secret
/// and markup in every message: redacted before anything is written.
#[test]
fn library_path_gates_with_a_baseline_and_redacts_a_leaky_implementation() {
    let suite = common::suite();
    let dir = scratch("acceptance");
    let baseline_path = dir.join("baseline.yaml");

    // 1. The broken implementation fails, critically among others.
    let first = run_library(&broken_factory(), &suite);
    let failures: Vec<&CaseEvent> = first.cases.iter().filter(|c| c.failed()).collect();
    assert!(
        failures
            .iter()
            .any(|c| c.severity == Some(Severity::Critical)),
        "the broken implementation must fail critically"
    );
    assert!(
        failures
            .iter()
            .any(|c| c.outcome == OutcomeClass::WrongErrorCode),
        "and with a wrong code"
    );
    let gate = common::gate(&first.cases, None);
    assert_eq!(gate.exit(), Exit::Failed, "{}", gate.render_text());
    write_report(
        &dir.join("broken-unbaselined"),
        &first,
        &gate,
        &RenderOptions::default(),
    )
    .unwrap();

    // 2. --update-baseline writes every failure; critical ones with an empty reason, which
    //    makes the file refused (with file:line) until someone justifies them.
    let written = Baseline::updated(None, &first.cases);
    assert_eq!(written.entries.len(), failures.len());
    fs::write(&baseline_path, written.render()).unwrap();
    let refused = Baseline::load(&baseline_path).unwrap_err().to_string();
    assert!(
        refused.contains(&format!("{}:", baseline_path.display()))
            && refused.contains("is a critical failure"),
        "{refused}"
    );
    let justified = fs::read_to_string(&baseline_path)
        .unwrap()
        .replace("reason: \"\"", "reason: \"known bug BRK-1, fixed in 2.0\"");
    fs::write(&baseline_path, justified).unwrap();
    let baseline = Baseline::load(&baseline_path).expect("a justified baseline loads");

    // 3. The same implementation with the baseline: known failures only, exit 0.
    let second = run_library(&broken_factory(), &suite);
    let gate = common::gate(&second.cases, Some(&baseline));
    assert!(gate.passed, "{}", gate.render_text());
    assert_eq!(gate.exit(), Exit::Passed);
    assert_eq!(gate.known_failures.len(), failures.len());
    write_report(
        &dir.join("broken-baselined"),
        &second,
        &gate,
        &RenderOptions::default(),
    )
    .unwrap();
    let summary: Value = serde_json::from_str(
        &fs::read_to_string(dir.join("broken-baselined/summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(summary["gate"]["passed"], true);
    assert_eq!(
        summary["gate"]["known_failures"].as_array().map(Vec::len),
        Some(failures.len())
    );

    // 4. The conforming reference against that baseline: every entry is stale, exit 1.
    let fixed = run_library(&BuiltinFactory::reference(), &suite);
    let gate = common::gate(&fixed.cases, Some(&baseline));
    assert_eq!(gate.exit(), Exit::Failed);
    assert!(gate.new_failures.is_empty());
    assert_eq!(gate.stale.len(), failures.len(), "{}", gate.render_text());
    assert!(gate.stale.iter().all(|entry| entry.why == "now passes"));
    assert!(
        gate.headline().contains("stale baseline entr"),
        "{}",
        gate.headline()
    );
    write_report(
        &dir.join("reference"),
        &fixed,
        &gate,
        &RenderOptions::default(),
    )
    .unwrap();

    // 5. No secret of any fixture workspace appears in any file under the report directory,
    //    although the broken implementation put one in every message.
    let files = files_under(&dir);
    assert!(files.len() >= 3 * 6, "{files:?}");
    assert_no_fixture_secret_in(&files);
    let events = fs::read_to_string(dir.join("broken-unbaselined/events.jsonl")).unwrap();
    assert!(
        events.contains("checked with secret [redacted]"),
        "the leak was there, and redacted"
    );
}

// ---------------------------------------------------------------------------------------------
// Renderers on a real run
// ---------------------------------------------------------------------------------------------

const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

common::cases!(the_xml_check_catches_broken_xml {
    crossed_tags: ("<a><b></a></b>"),
    a_bare_ampersand: ("<a>x & y</a>"),
    an_unknown_entity: ("<a>&nbsp;</a>"),
    lt_in_an_attribute: ("<a x=\"<\"/>"),
    an_unquoted_attribute: ("<a x=1/>"),
    a_control_character: ("<a>\u{1}</a>"),
    an_unclosed_element: ("<a>"),
    a_stray_close: ("<a/></b>"),
});

/// The well-formedness check below is only worth something if it catches broken XML.
fn the_xml_check_catches_broken_xml(body: &str) {
    let xml = format!("{XML_DECLARATION}{body}");
    assert!(check_xml(&xml).is_err(), "{xml:?} passed");
}

#[test]
fn the_xml_check_counts_the_elements_of_good_xml_and_needs_the_declaration() {
    let body = "<a x=\"1\"><b/>t &amp; &lt;u&gt;</a>\n";
    assert_eq!(check_xml(&format!("{XML_DECLARATION}{body}")), Ok(2));
    assert!(check_xml(body).is_err());
}

#[test]
fn junit_is_well_formed_with_one_suite_per_area_and_one_case_per_case() {
    let dir = scratch("junit");
    let stream = broken_report(&dir);
    let xml = fs::read_to_string(dir.join("junit.xml")).unwrap();
    check_xml(&xml).unwrap_or_else(|e| panic!("junit.xml is not well-formed: {e}"));
    let mut areas: Vec<&str> = stream.cases.iter().map(|c| c.area.as_str()).collect();
    areas.dedup();
    assert_eq!(xml.matches("<testsuite ").count(), areas.len());
    assert_eq!(xml.matches("<testcase ").count(), stream.cases.len());
    let failed = stream.cases.iter().filter(|c| c.failed()).count();
    assert_eq!(xml.matches("<failure ").count(), failed);
    let example = stream.cases.iter().find(|c| c.failed()).unwrap();
    assert!(xml.contains(&format!(
        "<testcase name=\"{}::{}\" classname=\"{}\"",
        example.area, example.id, example.area
    )));
    assert!(!xml.contains("<script>") && xml.contains("&lt;script&gt;"));
}

#[test]
fn html_report_escapes_what_implementations_say() {
    let dir = scratch("html-escape");
    broken_report(&dir);
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the page's own script element"
    );
    assert!(html.contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;"));
    assert!(html.contains("broken &lt;b&gt;test&lt;/b&gt; implementation"));
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "no network"
    );
}

#[test]
fn summaries_lead_with_criticals_and_fit_github() {
    let dir = scratch("summaries");
    let stream = broken_report(&dir);
    let md = fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(md.len() < 1024 * 1024);
    let caution = md.find("[!CAUTION]").expect("a critical callout");
    assert!(caution < md.find("| Result |").unwrap());
    assert!(md.contains("❌ **gate: FAILED"));
    let badge: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("badge.json")).unwrap()).unwrap();
    assert_eq!(badge["schemaVersion"], 1);
    assert_eq!(badge["color"], "red");
    let must: Vec<&CaseEvent> = stream
        .cases
        .iter()
        .filter(|c| c.level.as_str() == "must" && c.outcome != OutcomeClass::Skipped)
        .collect();
    let passed = must
        .iter()
        .filter(|c| c.outcome == OutcomeClass::Pass)
        .count();
    assert_eq!(badge["message"], format!("{passed}/{} must", must.len()));
    let summary: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["totals"]["cases"], stream.cases.len());
    assert!(summary["by_severity"]["critical"].as_u64().unwrap() > 0);
    assert_eq!(summary["gate"]["passed"], false);
}

// ---------------------------------------------------------------------------------------------
// The command line
// ---------------------------------------------------------------------------------------------

#[test]
fn report_command_rerenders_every_artefact_from_events_alone() {
    let dir = scratch("rerender");
    // Few generated requests per property: re-rendering does not depend on how many ran.
    let out = cli(&[
        "run",
        "-q",
        "--property-cases",
        "16",
        "--report",
        path_arg(&dir),
    ]);
    assert_eq!(out.code, 0, "{out}");
    let names = [
        "junit.xml",
        "summary.md",
        "summary.json",
        "badge.json",
        "report.html",
    ];
    let before: Vec<String> = names
        .iter()
        .map(|n| fs::read_to_string(dir.join(n)).unwrap())
        .collect();
    for name in names {
        fs::remove_file(dir.join(name)).unwrap();
    }
    let out = cli(&["report", path_arg(&dir)]);
    assert_eq!(out.code, 0, "{out}");
    for (name, before) in names.iter().zip(before) {
        assert_eq!(
            fs::read_to_string(dir.join(name)).unwrap(),
            before,
            "{name} differs when re-rendered"
        );
    }
    let missing = scratch("rerender-missing");
    let out = cli(&["report", path_arg(&missing)]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("holds no events.jsonl"), "{out}");
}

#[test]
fn no_report_writes_nothing() {
    let dir = scratch("no-report");
    let target = dir.join("never");
    let out = cli(&[
        "run",
        "-q",
        "--property-cases",
        "16",
        "--no-report",
        "--report",
        path_arg(&target),
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert!(!target.exists());
}

#[test]
fn update_baseline_is_refused_after_a_narrowed_run() {
    let dir = scratch("refuse-update");
    let baseline = dir.join("baseline.yaml");
    let narrowings: [&[&str]; 5] = [
        &["--filter", "idv"],
        &["--skip", "idv"],
        &["--partition", "1/2"],
        &["--role", "verifier"],
        &["--only", "cases"],
    ];
    for narrowing in narrowings {
        let mut args = vec![
            "run",
            "-q",
            "--no-report",
            "--baseline",
            path_arg(&baseline),
            "--update-baseline",
        ];
        args.extend_from_slice(narrowing);
        let out = cli(&args);
        assert_eq!(out.code, 2, "{out}");
        assert!(
            out.stderr
                .contains("--update-baseline needs a run of the whole suite"),
            "{out}"
        );
        assert!(
            out.stderr.contains(narrowing[0]),
            "the message names {}: {out}",
            narrowing[0]
        );
        assert!(!baseline.exists(), "nothing is written");
    }
    let out = cli(&["run", "-q", "--no-report", "--update-baseline"]);
    assert_eq!(
        out.code, 2,
        "--update-baseline without --baseline is a usage error: {out}"
    );
}

#[test]
fn update_baseline_from_a_conforming_run_is_empty_and_gates_clean() {
    let dir = scratch("update-clean");
    let baseline = dir.join("baseline.yaml");
    let out = cli(&[
        "run",
        "-q",
        "--property-cases",
        "16",
        "--no-report",
        "--baseline",
        path_arg(&baseline),
        "--update-baseline",
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.contains("baseline: wrote 0 known failure(s)"),
        "{out}"
    );
    assert!(fs::read_to_string(&baseline)
        .unwrap()
        .contains("known_failures: []"));
    let out = cli(&[
        "run",
        "-q",
        "--property-cases",
        "16",
        "--no-report",
        "--baseline",
        path_arg(&baseline),
    ]);
    assert_eq!(out.code, 0, "{out}");
}

#[test]
fn a_critical_entry_without_a_reason_is_a_usage_error_with_its_line() {
    let dir = scratch("critical-no-reason");
    let baseline = dir.join("baseline.yaml");
    let case = &common::suite().cases[0].id.clone();
    fs::write(&baseline, format!("# known failures\nknown_failures:\n  - id: {case}\n    outcome: wrong_verdict\n    error: null\n    severity: critical\n    reason: \"\"\n")).unwrap();
    let out = cli(&[
        "run",
        "-q",
        "--no-report",
        "--baseline",
        path_arg(&baseline),
    ]);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr.contains(&format!(
            "{}:3: {case} is a critical failure",
            baseline.display()
        )),
        "{out}"
    );
}

#[test]
fn stale_and_expired_entries_fail_the_run_by_name() {
    let dir = scratch("stale-expired");
    let baseline = dir.join("baseline.yaml");
    let case = &common::suite().cases[0].id.clone();
    fs::write(
        &baseline,
        format!(
            "known_failures:\n  - id: {case}\n    outcome: wrong_error_code\n    error: jwt_malformed\n    severity: minor\n    \
             reason: was broken\n    expires: 2000-01-01\n  - id: NO-SUCH-CASE\n    outcome: timeout\n"
        ),
    )
    .unwrap();
    let out = cli(&[
        "run",
        "-q",
        "--property-cases",
        "16",
        "--report",
        path_arg(&dir.join("report")),
        "--baseline",
        path_arg(&baseline),
    ]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stdout.contains(&format!(
            "stale baseline entry: {case} ({}:2) now passes",
            baseline.display()
        )),
        "{out}"
    );
    assert!(
        out.stdout.contains("stale baseline entry: NO-SUCH-CASE"),
        "{out}"
    );
    assert!(out.stdout.contains("not in this run"), "{out}");
    assert!(
        out.stdout
            .contains(&format!("expired baseline entry: {case}"))
            && out.stdout.contains("expired 2000-01-01"),
        "{out}"
    );
    let summary: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("report/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["gate"]["stale"].as_array().map(Vec::len), Some(2));
    assert_eq!(summary["gate"]["expired"][0]["id"], case.as_str());

    // In a narrowed run, an entry for a case that was not selected is not stale.
    let out = cli(&[
        "run",
        "-q",
        "--no-report",
        "--filter",
        case,
        "--exact",
        "--baseline",
        path_arg(&baseline),
    ]);
    assert_eq!(out.code, 1, "{out}");
    assert!(!out.stdout.contains("NO-SUCH-CASE"), "{out}");
}

#[test]
fn partitioned_runs_merge_into_the_unsharded_run() {
    let dir = scratch("partition");
    // A partitioned run leaves the properties out: compare cases.
    let full = dir.join("full");
    let out = cli(&["run", "-q", "--only", "cases", "--report", path_arg(&full)]);
    assert_eq!(out.code, 0, "{out}");
    let shards = 3;
    let mut shard_dirs = Vec::new();
    for k in 1..=shards {
        let shard = dir.join(format!("shard-{k}"));
        let out = cli(&[
            "run",
            "-q",
            "--only",
            "cases",
            "--partition",
            &format!("{k}/{shards}"),
            "--report",
            path_arg(&shard),
        ]);
        assert_eq!(out.code, 0, "{out}");
        shard_dirs.push(shard);
    }
    // Shards are disjoint and balanced.
    let sizes: Vec<usize> = shard_dirs
        .iter()
        .map(|d| Stream::read_dir(d).unwrap().cases.len())
        .collect();
    let total = Stream::read_dir(&full).unwrap().cases.len();
    assert_eq!(sizes.iter().sum::<usize>(), total);
    assert!(
        sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
        "{sizes:?}"
    );

    let merged = dir.join("merged");
    let mut args = vec!["merge", path_arg(&merged)];
    // In any order.
    args.extend(shard_dirs.iter().rev().map(|d| path_arg(d)));
    let out = cli(&args);
    assert_eq!(out.code, 0, "{out}");
    let full = Stream::read_dir(&full).unwrap();
    let merged = Stream::read_dir(&merged).unwrap();
    assert_eq!(
        merged.cases.iter().map(comparable).collect::<Vec<_>>(),
        full.cases.iter().map(comparable).collect::<Vec<_>>()
    );
    assert_eq!(
        (
            merged.footer.passed,
            merged.footer.failed,
            merged.footer.skipped
        ),
        (full.footer.passed, full.footer.failed, full.footer.skipped)
    );
    assert_eq!(merged.header.options.selection.partition, None);
    assert_eq!(merged.header.options.merged, Some(shards));
    assert_eq!(merged.header.options.selection.only, Some(Only::Cases));
    assert!(fs::metadata(dir.join("merged/report.html")).is_ok());

    let out = cli(&[
        "merge",
        path_arg(&dir.join("out2")),
        path_arg(&shard_dirs[0]),
        path_arg(&shard_dirs[0]),
    ]);
    assert_eq!(out.code, 2, "the same shard twice: {out}");
    let out = cli(&["run", "-q", "--no-report", "--partition", "4/3"]);
    assert_eq!(out.code, 2, "{out}");
}

#[test]
fn diff_classifies_and_gates_on_new_failures() {
    let dir = scratch("diff");
    // The broken run below has no property results: compare runs of the cases.
    let good = dir.join("good");
    let out = cli(&["run", "-q", "--only", "cases", "--report", path_arg(&good)]);
    assert_eq!(out.code, 0, "{out}");
    let bad = dir.join("bad");
    let broken = broken_report(&bad);
    let failed = broken.cases.iter().filter(|c| c.failed()).count();

    let out = cli(&["diff", path_arg(&good), path_arg(&bad)]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stdout.contains(&format!(
            "{failed} new failures, 0 reason changed, 0 fixed, 0 added, 0 removed"
        )),
        "{out}"
    );
    // The first row under the table's heading (notes about the runs come before it).
    let first_row = out
        .stdout
        .lines()
        .skip_while(|line| !line.starts_with("change "))
        .nth(1)
        .unwrap_or_default();
    assert!(
        first_row.starts_with("new failure") && first_row.ends_with("critical"),
        "critical new failures lead: {out}"
    );

    let out = cli(&["diff", path_arg(&bad), path_arg(&good)]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout
            .contains(&format!("0 new failures, 0 reason changed, {failed} fixed")),
        "{out}"
    );

    let out = cli(&["diff", path_arg(&good), path_arg(&good)]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout
            .contains("0 new failures, 0 reason changed, 0 fixed, 0 added, 0 removed"),
        "{out}"
    );

    let out = cli(&["diff", path_arg(&good), path_arg(&dir.join("nowhere"))]);
    assert_eq!(out.code, 2, "{out}");
}

#[test]
fn snapshots_are_insta_files_and_changes_go_pending() {
    let dir = scratch("snapshots");
    let snaps = dir.join("snaps");
    let run = || {
        cli(&[
            "run",
            "-q",
            "--property-cases",
            "16",
            "--no-report",
            "--snapshots",
            path_arg(&snaps),
        ])
    };
    let out = run();
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("new, 0 changed, 0 unchanged"), "{out}");
    let files: Vec<PathBuf> = files_under(&snaps);
    assert!(!files.is_empty());
    let any = &files[0];
    let stem = any.file_stem().unwrap().to_string_lossy().into_owned();
    assert!(stem.contains("__"), "{stem}");
    let snapshot = insta::Snapshot::from_file(any).expect("insta reads it");
    assert_eq!(snapshot.metadata().expression(), Some("message"));
    assert_eq!(snapshot.metadata().source(), Some("messenger-conformance"));

    // A rerun changes nothing; an edited snapshot is a change to review.
    let out = run();
    assert!(out.stdout.contains(" 0 new, 0 changed,"), "{out}");
    fs::write(
        any,
        "---\nsource: messenger-conformance\nexpression: message\n---\nan older wording\n",
    )
    .unwrap();
    let out = run();
    assert!(
        out.stdout.contains("1 changed")
            && out.stdout.contains("cargo insta review --workspace-root"),
        "{out}"
    );
    assert!(any.with_extension("snap.new").exists());
}

// ---------------------------------------------------------------------------------------------
// report.html in a real browser
// ---------------------------------------------------------------------------------------------

const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// The Chromium binary (`$CHROMIUM`, or `chromium` on PATH), after checking that it runs:
/// `--version` must exit 0 and name Chromium (or Chrome). There is no way to skip this on purpose: without a
/// working browser the test fails and says how to get one (`scripts/test` installs it).
fn chromium() -> String {
    let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".to_string());
    let install =
        "the report.html test needs a headless Chromium: run `scripts/test` (it installs \
                   Debian's `chromium`), or `apt-get install -y chromium`, or point $CHROMIUM at a \
                   Chromium binary";
    let output = Command::new(&binary)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("cannot run `{binary} --version` ({error}): {install}"));
    let version = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && (version.contains("Chromium") || version.contains("Chrome")),
        "`{binary} --version` exited with {} and printed {:?} (stderr {:?}), not a Chromium \
         version: {install}",
        output.status,
        version.trim(),
        String::from_utf8_lossy(&output.stderr).trim()
    );
    binary
}

/// Run Chromium with a fresh profile; returns stdout. Fails after 90 s.
fn run_chromium(binary: &str, profile: &Path, args: &[&str]) -> String {
    let mut child = Command::new(binary)
        .args(CHROMIUM_FLAGS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).map(|_| text)
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        match child.try_wait().expect("wait for chromium") {
            Some(status) => {
                assert!(status.success(), "chromium {args:?} exited with {status}");
                break;
            }
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chromium {args:?} did not finish within 90 s");
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    }
    reader
        .join()
        .expect("reader thread")
        .expect("read chromium's output")
}

/// The case rows of a dumped DOM: (id, hidden).
fn case_rows(dom: &str) -> Vec<(String, bool)> {
    let mut rows = Vec::new();
    for chunk in dom.split("<tr ").skip(1) {
        let tag = &chunk[..chunk.find('>').unwrap_or(chunk.len())];
        if !tag.contains("class=\"case ") {
            continue;
        }
        let id = tag
            .split("id=\"case-")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default();
        let hidden = tag
            .split_whitespace()
            .any(|attr| attr == "hidden" || attr.starts_with("hidden="));
        rows.push((id.to_string(), hidden));
    }
    rows
}

#[test]
fn report_html_filters_from_the_url_in_headless_chromium() {
    let binary = chromium();
    let dir = scratch("browser");
    let stream = broken_report(&dir);
    let page = dir.join("report.html");
    let url = |fragment: &str| format!("file://{}{fragment}", page.display());

    // A filter in the fragment: the failures of one area.
    let area = stream
        .cases
        .iter()
        .find(|c| c.failed())
        .map(|c| c.area.clone())
        .unwrap();
    let expected: Vec<&str> = stream
        .cases
        .iter()
        .filter(|c| c.area == area && c.failed())
        .map(|c| c.id.as_str())
        .collect();
    let dom = run_chromium(
        &binary,
        &dir.join("profile-1"),
        &["--dump-dom", &url(&format!("#area={area}&outcome=fail"))],
    );
    assert!(
        dom.contains("data-ready=\"true\""),
        "the page's script ran: {}",
        &dom[..dom.len().min(500)]
    );
    let rows = case_rows(&dom);
    assert_eq!(rows.len(), stream.cases.len(), "every case has a row");
    let visible: Vec<&str> = rows
        .iter()
        .filter(|(_, hidden)| !hidden)
        .map(|(id, _)| id.as_str())
        .collect();
    let mut sorted_visible = visible.clone();
    sorted_visible.sort_unstable();
    let mut sorted_expected = expected.clone();
    sorted_expected.sort_unstable();
    assert_eq!(
        sorted_visible, sorted_expected,
        "rows shown for area={area}&outcome=fail"
    );
    assert!(dom.contains(&format!(
        "showing {} of {} cases",
        expected.len(),
        stream.cases.len()
    )));
    assert!(
        dom.contains(&format!("<option value=\"{area}\" selected=\"\">")),
        "the select shows the filter"
    );

    // A filter in the query: critical findings only, and a filter that matches nothing.
    let critical = stream
        .cases
        .iter()
        .filter(|c| c.failed() && c.severity == Some(Severity::Critical))
        .count();
    let dom = run_chromium(
        &binary,
        &dir.join("profile-2"),
        &["--dump-dom", &url("?severity=critical")],
    );
    assert_eq!(
        case_rows(&dom).iter().filter(|(_, hidden)| !hidden).count(),
        critical
    );
    let dom = run_chromium(
        &binary,
        &dir.join("profile-3"),
        &["--dump-dom", &url("#level=may&severity=critical")],
    );
    assert!(case_rows(&dom).iter().all(|(_, hidden)| *hidden));
    assert!(dom.contains("showing 0 of"));

    // The artefact: a screenshot of the failures.
    let screenshots = common::root().join("reports/screenshots");
    fs::create_dir_all(&screenshots).unwrap();
    let png = screenshots.join("report.png");
    let _ = fs::remove_file(&png);
    run_chromium(
        &binary,
        &dir.join("profile-4"),
        &[
            "--hide-scrollbars",
            "--window-size=1280,1600",
            &format!("--screenshot={}", png.display()),
            &url("#outcome=fail"),
        ],
    );
    let bytes = fs::read(&png).expect("the screenshot was written");
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 10_000,
        "{} bytes",
        bytes.len()
    );
}
