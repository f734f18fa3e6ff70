//! `messenger-conformance compare`: many implementations, one suite, one seed, one comparison.

use crate::common;

use std::fs;
use std::path::Path;

use common::{cli, path_arg, scratch, Output};
use serde_json::Value;

/// A narrow selection keeps each run short: the algorithm cases, no properties.
const NARROW: [&str; 4] = ["--filter", "JWT-ALG-00", "--only", "cases"];

/// The reference and a verifier that lets `alg: none` in: on the narrow selection, they disagree
/// on JWT-ALG-001.
const REFERENCE_AND_ALG_NONE: [&str; 4] = [
    "--impl",
    "ref=builtin:reference",
    "--impl",
    "alg=builtin:broken/jwt-alg-none",
];

/// `compare -q --report REPORT ARGS` over the narrow selection.
fn compare_narrow(report: &Path, args: &[&str]) -> Output {
    let mut all = vec!["compare", "-q", "--report", path_arg(report)];
    all.extend(args);
    all.extend(NARROW);
    cli(&all)
}

fn compare_json(dir: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(dir.join("compare.json")).unwrap()).unwrap()
}

#[test]
fn every_implementation_stays_a_column_and_one_that_did_not_start_exits_2() {
    let dir = scratch("columns");
    let mut args = REFERENCE_AND_ALG_NONE.to_vec();
    args.extend(["--impl", "gone=/nonexistent/adapter 'an arg'"]);
    let out = compare_narrow(&dir, &args);
    assert_eq!(out.code, 2, "{out}");
    let json = compare_json(&dir);
    let states: Vec<(&str, &str)> = json["implementations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["name"].as_str().unwrap(), i["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [("ref", "ran"), ("alg", "ran"), ("gone", "did_not_start")]
    );
    assert!(json["implementations"][2]["detail"]
        .as_str()
        .unwrap()
        .contains("/nonexistent/adapter"));
    // Each implementation's usual reports, in DIR/NAME/.
    for name in ["ref", "alg"] {
        assert!(dir.join(name).join("events.jsonl").is_file());
        assert!(dir.join(name).join("report.html").is_file());
    }
    let jsonl = fs::read_to_string(dir.join("compare.jsonl")).unwrap();
    let header: Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(header["record"], "header");
    assert_eq!(
        header["implementations"][0]["implementation"],
        "messenger-conformance reference"
    );
    assert!(header["seed"].is_u64());
    let lines = jsonl.lines().count() - 1;
    assert_eq!(
        lines,
        json["cases"].as_array().unwrap().len() * 3,
        "one line per case × implementation"
    );
    // The case alg-none gets wrong is on top, with alg alone in its group.
    let top = &json["cases"][0];
    assert!(top["disagreement"].as_bool().unwrap());
    let groups = top["groups"].as_array().unwrap();
    assert!(groups
        .iter()
        .any(|g| g["implementations"] == serde_json::json!(["alg"])
            && !g["expected"].as_bool().unwrap()));
    assert!(groups.iter().any(|g| g["answer"] == "did not start"));
    assert!(out.stdout.contains("did not start"), "{out}");
    for file in [
        "compare.md",
        "compare.html",
        "badges/alg.json",
        "badges/gone.json",
    ] {
        assert!(dir.join(file).is_file(), "{file}");
    }
}

#[test]
fn exit_follows_the_expectations() {
    let dir = scratch("expectations");
    let compare = |extra: &[&str]| {
        let mut args = vec!["--impl", "ref=builtin:reference"];
        args.extend(extra);
        compare_narrow(&dir, &args)
    };
    let out = compare(&["--impl", "alg=builtin:broken/jwt-alg-none"]);
    assert_eq!(out.code, 1, "a must failure without expectations: {out}");
    let failing: Vec<String> = compare_json(&dir)["implementations"][1]["failing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert!(!failing.is_empty());
    // A manifest naming alg with every failure listed: as expected, exit 0.
    let expectations = dir.join("alg-expectations.yaml");
    let mut text = String::from("library: jwt-alg-none\nfailures:\n");
    for id in &failing {
        text.push_str(&format!("  - id: {id}\n    behaviour: accepts alg none\n"));
    }
    fs::write(&expectations, text).unwrap();
    let manifest = dir.join("manifest.yaml");
    fs::write(
        &manifest,
        format!(
            "implementations:\n  - name: alg\n    builtin: broken/jwt-alg-none\n    expectations: {}\n",
            expectations.display()
        ),
    )
    .unwrap();
    let out = compare(&["--manifest", path_arg(&manifest)]);
    assert_eq!(out.code, 0, "every failure listed: {out}");
    let alg = &compare_json(&dir)["implementations"][1];
    assert_eq!(
        alg["expected_failures"].as_array().unwrap().len(),
        failing.len()
    );
    assert_eq!(alg["expected_failures"][0]["reason"], "accepts alg none");
    // --fail-on disagreement: they still disagree on must cases.
    let out = compare(&[
        "--manifest",
        path_arg(&manifest),
        "--fail-on",
        "disagreement",
    ]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.contains("disagree"), "{out}");
}

#[test]
fn configuration_errors_exit_2_before_anything_runs() {
    let dir = scratch("config");
    for (args, says) in [
        (vec!["--impl", "x=builtin:nothing"], "unknown built-in"),
        (
            vec![
                "--impl",
                "a=builtin:reference",
                "--impl",
                "a=builtin:reference",
            ],
            "two implementations",
        ),
        (vec!["--impl", "a/b=builtin:reference"], "cannot name"),
        (vec!["--impl", "a=python3 'unclosed"], "cannot be split"),
        (vec![], "nothing to compare"),
    ] {
        let mut all = vec!["compare", "--report", path_arg(&dir)];
        all.extend(args);
        let out = cli(&all);
        assert_eq!(out.code, 2, "{out}");
        assert!(out.stderr.contains(says), "{says}: {out}");
    }
    let manifest = dir.join("bad.yaml");
    fs::write(
        &manifest,
        "implementations:\n  - {name: a, url: http://x, builtin: reference}\n",
    )
    .unwrap();
    let out = cli(&[
        "compare",
        "--report",
        path_arg(&dir),
        "--manifest",
        path_arg(&manifest),
    ]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("exactly one of"), "{out}");
    assert!(!dir.join("compare.json").exists(), "nothing ran");
}

#[test]
fn earlier_runs_combine_and_other_seeds_are_refused() {
    let dir = scratch("from");
    let first = dir.join("first");
    let second = dir.join("second");
    let other_seed = dir.join("other");
    let run = |report: &Path, impl_: &str, seed: &str| {
        compare_narrow(report, &["--seed", seed, "--impl", impl_])
    };
    assert_eq!(run(&first, "ref=builtin:reference", "5").code, 0);
    assert_eq!(run(&second, "alg=builtin:broken/jwt-alg-none", "5").code, 1);
    assert_eq!(run(&other_seed, "other=builtin:reference", "6").code, 0);
    let combined = dir.join("combined");
    let out = cli(&[
        "compare",
        "-q",
        "--report",
        path_arg(&combined),
        "--from",
        path_arg(&first),
        path_arg(&second),
    ]);
    assert_eq!(out.code, 1, "{out}");
    let names: Vec<String> = compare_json(&combined)["implementations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["ref", "alg"]);
    let out = cli(&[
        "compare",
        "-q",
        "--report",
        path_arg(&combined),
        "--from",
        path_arg(&first),
        path_arg(&other_seed),
    ]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("different seeds"), "{out}");
}

#[test]
fn earlier_runs_of_different_suites_are_refused() {
    let dir = scratch("from-suites");
    // The same seed, one case more: a different suite (its digest differs).
    let extra = dir.join("extra");
    fs::create_dir_all(extra.join("jwt")).unwrap();
    fs::write(
        extra.join("jwt/team.yaml"),
        "cases:\n  - id: TEAM-EXTRA-001\n    title: an anonymous visitor\n    requirements: [VISITOR-ANONYMOUS]\n    level: must\n    request: {platform: web}\n    expect: {outcome: rejected, error: invalid_request}\n",
    )
    .unwrap();
    let plain = dir.join("plain");
    let extended = dir.join("extended");
    let run = |report: &Path, impl_: &str, extra_args: &[&str]| {
        let mut args = vec!["--seed", "5", "--impl", impl_];
        args.extend(extra_args);
        compare_narrow(report, &args)
    };
    assert_eq!(run(&plain, "ref=builtin:reference", &[]).code, 0);
    let out = run(
        &extended,
        "team=builtin:reference",
        &["--extra-cases", path_arg(&extra)],
    );
    assert_eq!(out.code, 0, "{out}");
    let combined = dir.join("combined");
    // Combining `plain` with `other` is refused, naming both, and nothing is compared.
    let refused = |other: &Path, names: &str| {
        let out = cli(&[
            "compare",
            "-q",
            "--report",
            path_arg(&combined),
            "--from",
            path_arg(&plain),
            path_arg(other),
        ]);
        assert_eq!(out.code, 2, "{out}");
        assert!(out.stderr.contains("different suites"), "{out}");
        assert!(out.stderr.contains(names), "{out}");
        assert!(
            !combined.join("compare.json").exists(),
            "nothing is compared"
        );
    };
    refused(&extended, "`ref` and `team`");
    // A suite of its own (`--cases`: the built-in one less a file the selection does not run).
    let own = dir.join("own-suite");
    assert_eq!(cli(&["suite", "export", path_arg(&own)]).code, 0);
    fs::remove_file(own.join("jwt/exp.yaml")).unwrap();
    let shrunk = dir.join("shrunk");
    let out = run(
        &shrunk,
        "own=builtin:reference",
        &["--cases", path_arg(&own)],
    );
    assert_eq!(out.code, 0, "{out}");
    refused(&shrunk, "`ref` and `own`");
}

#[test]
fn strict_counts_should_failures_of_an_implementation_without_expectations() {
    let dir = scratch("strict");
    // generic-error-codes fails these duplicate-member cases at `should` only.
    let compare = |strict: bool| {
        let mut args = vec![
            "compare",
            "-q",
            "--report",
            path_arg(&dir),
            "--impl",
            "generic=builtin:broken/generic-error-codes",
            "--filter",
            "JWT-DUP-00",
            "--only",
            "cases",
        ];
        if strict {
            args.push("--strict");
        }
        cli(&args)
    };
    let out = compare(false);
    assert_eq!(
        out.code, 0,
        "should failures do not count by default: {out}"
    );
    let generic = &compare_json(&dir)["implementations"][0];
    assert!(generic["levels"]["should"]["failed"].as_u64().unwrap() > 0);
    assert!(generic["unexpected_failures"]
        .as_array()
        .unwrap()
        .is_empty());
    let out = compare(true);
    assert_eq!(out.code, 1, "--strict: should failures count: {out}");
    assert!(out.stdout.contains("not as expected"), "{out}");
    let generic = &compare_json(&dir)["implementations"][0];
    assert_eq!(generic["strict"], true);
    assert!(!generic["unexpected_failures"]
        .as_array()
        .unwrap()
        .is_empty());
    // The implementation's own run recorded it, as `run --strict` does.
    let summary: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("generic/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["gate"]["strict"], true, "{summary}");
    assert_eq!(summary["gate"]["passed"], false, "{summary}");
}

#[test]
fn failures_only_reaches_each_implementations_summary() {
    let dir = scratch("failures-only");
    let compare = |extra: &[&str]| {
        let mut args = REFERENCE_AND_ALG_NONE.to_vec();
        args.extend(extra);
        compare_narrow(&dir, &args)
    };
    // JWT-ALG-001 rejects alg none: the reference passes it, jwt-alg-none fails it.
    compare(&[]);
    let full = fs::read_to_string(dir.join("ref/summary.md")).unwrap();
    assert!(full.contains("JWT-ALG-00"), "{full}");
    let out = compare(&["--failures-only"]);
    assert_eq!(out.code, 1, "{out}");
    let reference = fs::read_to_string(dir.join("ref/summary.md")).unwrap();
    assert!(
        !reference.contains("JWT-ALG-00"),
        "passing cases are left out:\n{reference}"
    );
    let alg = fs::read_to_string(dir.join("alg/summary.md")).unwrap();
    assert!(alg.contains("JWT-ALG-00"), "failures stay:\n{alg}");
}

/// The long flags a help text names at the start of a line (`  -q, --quiet`, `  --url <URL>`).
fn flags_of(help: &str) -> Vec<String> {
    help.lines()
        .filter_map(|line| {
            let mut line = line.trim_start();
            // `-q, --quiet`: the long flag after the short one.
            if !line.starts_with("--") && line.starts_with('-') {
                line = line.split_once(", ")?.1;
            }
            let flag = line.strip_prefix("--")?.split([' ', ',', '=']).next()?;
            Some(format!("--{flag}"))
        })
        .collect()
}

#[test]
fn every_flag_of_run_is_taken_or_its_absence_explained() {
    let run = cli(&["run", "--help"]);
    let compare = cli(&["compare", "--help"]);
    let (options, left_out) = compare
        .stdout
        .split_once("Flags of `run` compare does not take, and why:")
        .unwrap_or_else(|| panic!("compare --help explains what it leaves out: {compare}"));
    let taken = flags_of(options);
    let explained = flags_of(left_out);
    assert!(taken.contains(&"--strict".to_string()), "{compare}");
    assert!(taken.contains(&"--failures-only".to_string()), "{compare}");
    let run_flags = flags_of(&run.stdout);
    assert!(run_flags.len() > 20, "{run}");
    for flag in run_flags {
        assert!(
            taken.contains(&flag) || explained.contains(&flag) || left_out.contains(&flag),
            "`run {flag}` is neither a flag of compare nor explained in `compare --help`"
        );
    }
}

/// The Chromium binary (`$CHROMIUM`, or `chromium`): the test fails without one, and says how
/// to get it.
fn chromium() -> String {
    let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".to_string());
    let ok = std::process::Command::new(&binary)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(ok, "compare.html is tested in a headless Chromium: run `scripts/test` (it installs Debian's `chromium`), or `apt-get install -y chromium`, or point $CHROMIUM at one");
    binary
}

#[test]
fn compare_html_opens_a_case_from_the_url_in_headless_chromium() {
    let dir = scratch("html");
    let out = compare_narrow(&dir, &REFERENCE_AND_ALG_NONE);
    assert_eq!(out.code, 1, "{out}");
    let page = dir.join("compare.html");
    let url = format!("file://{}#case-JWT-ALG-002", page.display());
    let profile = dir.join("profile");
    let output = std::process::Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--dump-dom", &url])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(
        dom.contains("data-ready=\"true\""),
        "the script ran: {}",
        &dom[..dom.len().min(500)]
    );
    let case = dom
        .split("id=\"case-JWT-ALG-002\"")
        .nth(1)
        .expect("the case is on the page");
    let tag_end = case.find('>').unwrap();
    assert!(
        case[..tag_end].contains("open"),
        "the case the URL names is open: {}",
        &case[..tag_end]
    );
    let other = dom
        .split("id=\"case-JWT-ALG-003\"")
        .nth(1)
        .expect("another case");
    assert!(
        !other[..other.find('>').unwrap()].contains("open"),
        "other cases stay closed"
    );
    assert!(
        case.contains("token header"),
        "the drill-down decodes the token"
    );
    assert!(
        case.contains("reproduce: <code>messenger-conformance run --filter"),
        "a reproduce command"
    );
}

#[test]
fn diff_lists_the_cells_that_changed_between_two_comparisons() {
    let dir = scratch("diff");
    let (before, after) = (dir.join("before"), dir.join("after"));
    for (report, target) in [
        (&before, "x=builtin:reference"),
        (&after, "x=builtin:broken/jwt-alg-none"),
    ] {
        compare_narrow(report, &["--impl", target]);
    }
    let out = cli(&["diff", path_arg(&before), path_arg(&after)]);
    assert_eq!(out.code, 1, "a cell that passed now fails: {out}");
    assert!(out.stdout.contains("worse   JWT-ALG-002 × x: rejected: jwt_algorithm_not_allowed [pass] -> accepted (verified) [wrong_verdict]"), "{out}");
    let back = cli(&["diff", path_arg(&after), path_arg(&before)]);
    assert_eq!(back.code, 0, "fixed cells only: {back}");
    assert!(back.stdout.contains("changed JWT-ALG-002 × x"), "{back}");
}
