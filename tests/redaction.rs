//! No secret leaves the process: an adapter that echoes every secret it is sent, in every form,
//! into every field it controls (tests/adapters/echo_secrets.py), and a scan of everything the
//! run wrote (stdout, stderr, every report file) for every secret of the suite and of the
//! properties, as itself, in hex (both cases), base64 and base64url.

use crate::common;

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use aho_corasick::AhoCorasick;

use base64::Engine as _;
use messenger_conformance::properties;

/// Every form of every secret the run knows that must not appear anywhere.
fn forbidden() -> Vec<(String, String)> {
    let suite = common::suite();
    let mut secrets = suite.secrets();
    secrets.extend(properties::secrets());
    let mut forms = Vec::new();
    for secret in secrets {
        let raw = secret.as_bytes();
        let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        forms.push((secret.clone(), secret.clone()));
        if raw.len() >= 8 {
            forms.push((secret.clone(), hex.to_uppercase()));
            forms.push((secret.clone(), hex));
            forms.push((
                secret.clone(),
                base64::engine::general_purpose::STANDARD.encode(raw),
            ));
            forms.push((
                secret.clone(),
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw),
            ));
        }
    }
    assert!(forms.len() > 100, "too few secrets to scan for");
    forms
}

/// Where each forbidden form was found, as `where: secret form`. One pass over each text for
/// all the forms at once (overlapping matches: a form inside another is found too); the report
/// files add up to megabytes, and the forms to hundreds.
fn leaks(texts: &[(String, String)], forbidden: &[(String, String)]) -> Vec<String> {
    let forms = AhoCorasick::new(forbidden.iter().map(|(_, form)| form)).unwrap();
    let mut found = Vec::new();
    for (place, text) in texts {
        let present: BTreeSet<usize> = forms
            .find_overlapping_iter(text)
            .map(|m| m.pattern().as_usize())
            .collect();
        for (secret, form) in present.into_iter().map(|i| &forbidden[i]) {
            found.push(format!("{place}: {form} (a form of the secret {secret})"));
        }
    }
    found
}

/// Every form of every secret is absent from the run's stdout and stderr and from each file.
fn assert_nothing_leaked(stdout: String, stderr: String, files: Vec<PathBuf>) {
    let mut texts = vec![
        ("stdout".to_string(), stdout),
        ("stderr".to_string(), stderr),
    ];
    for file in files {
        let text = String::from_utf8_lossy(&fs::read(&file).unwrap()).into_owned();
        texts.push((file.display().to_string(), text));
    }
    let found = leaks(&texts, &forbidden());
    assert!(
        found.is_empty(),
        "{} secret(s) leaked:\n{}",
        found.len(),
        found[..found.len().min(20)].join("\n")
    );
}

#[test]
fn an_adapter_that_echoes_every_secret_leaks_none_into_any_output() {
    let scratch = common::scratch("echo");
    let report = scratch.join("report");
    let output = common::bin(&[
        "run",
        "--jobs",
        "2",
        "--property-cases",
        "16",
        "--seed",
        "7",
    ])
    .arg("--report")
    .arg(&report)
    .arg("--counterexamples")
    .arg(scratch.join("counterexamples"))
    .args(["--", "python3", "tests/adapters/echo_secrets.py"])
    .output();
    assert_eq!(
        output.code, 1,
        "the echoing adapter is nonconformant\n{output}"
    );
    let common::Output { stdout, stderr, .. } = output;
    // The run really carried the secrets back: the reports say so, redacted.
    let events = fs::read_to_string(report.join("events.jsonl")).unwrap();
    assert!(events.contains("[redacted]"), "nothing was redacted");
    assert!(
        stdout.contains("[redacted]"),
        "the failures shown hold no redaction"
    );

    let files = common::files_under(&report);
    assert!(
        files.len() >= 6,
        "the report directory is incomplete: {files:?}"
    );
    assert_nothing_leaked(stdout, stderr, files);
    let _ = fs::remove_dir_all(&scratch);
}

#[test]
fn the_scan_finds_a_leak_when_there_is_one() {
    let forbidden = vec![("s3cret-value-1".to_string(), "733363726574".to_string())];
    let texts = vec![("x".to_string(), "hex 733363726574 here".to_string())];
    assert_eq!(leaks(&texts, &forbidden).len(), 1);
    // A form inside another is a leak of its own; a form that is not there is none.
    let forbidden = vec![
        ("a".to_string(), "733363726574".to_string()),
        ("b".to_string(), "3363".to_string()),
        ("c".to_string(), "absent".to_string()),
    ];
    let texts = vec![
        ("x".to_string(), "hex 733363726574 here".to_string()),
        ("y".to_string(), "nothing".to_string()),
    ];
    assert_eq!(
        leaks(&texts, &forbidden),
        [
            "x: 733363726574 (a form of the secret a)",
            "x: 3363 (a form of the secret b)"
        ]
    );
}

#[test]
fn compare_leaks_no_secret_into_any_of_its_files() {
    let scratch = common::scratch("compare");
    let report = scratch.join("report");
    let output = common::bin(&["compare", "--property-cases", "16", "--seed", "7"])
        .arg("--report")
        .arg(&report)
        .args(["--impl", "ref=builtin:reference"])
        .args(["--impl", "echo=python3 tests/adapters/echo_secrets.py"])
        .output();
    assert_eq!(
        output.code, 1,
        "the echoing adapter is nonconformant\n{output}"
    );
    let common::Output { stdout, stderr, .. } = output;
    let compared = fs::read_to_string(report.join("compare.json")).unwrap();
    assert!(
        compared.contains("[redacted]"),
        "the secrets came back, and were redacted"
    );
    assert_nothing_leaked(stdout, stderr, common::files_under(&report));
    let _ = fs::remove_dir_all(&scratch);
}
