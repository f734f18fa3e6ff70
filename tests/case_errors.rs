//! Broken case directories and the errors the loader reports for them, pinned as snapshots.
//!
//! Each directory under `tests/fixtures/broken/` is a tiny cases directory (its own
//! `fixtures.yaml`) with one kind of mistake; the snapshot is the full text a user sees:
//! `file:line:column`, the lines around it, and the hint. Paths in messages start at the cases
//! directory's own name, so the snapshots do not depend on where the repository lives.

use crate::common;

use std::path::{Path, PathBuf};

use messenger_conformance::scenario::{load_suite, LoadErrors};

fn broken(name: &str) -> PathBuf {
    common::root().join("tests/fixtures/broken").join(name)
}

fn errors_of(name: &str) -> LoadErrors {
    match load_suite(&broken(name)) {
        Ok(suite) => panic!(
            "{name}: loaded {} cases, expected errors",
            suite.cases.len()
        ),
        Err(errors) => errors,
    }
}

common::cases!(
    the_errors_of,
    named {
        yaml_syntax: ("yaml-syntax"),
        wrong_type: ("wrong-type"),
        unknown_requirement: ("unknown-requirement"),
        duplicate_id: ("duplicate-id"),
        unknown_fixture: ("unknown-fixture"),
        unknown_key: ("unknown-key"),
        bad_time: ("bad-time"),
        two_bodies: ("two-bodies"),
        rejected_without_error: ("rejected-without-error"),
    }
);

/// The errors of a broken directory, as a user sees them, in the snapshot named after the case.
fn the_errors_of(name: &str, dir: &str) {
    insta::assert_snapshot!(name, errors_of(dir).to_string());
}

#[test]
fn unknown_field_suggests_the_right_one() {
    let errors = errors_of("unknown-field");
    assert_eq!(
        errors.errors[0].hint.as_deref(),
        Some("did you mean `expect`?")
    );
    insta::assert_snapshot!("unknown_field", errors.to_string());
}

#[test]
fn every_error_in_every_file_is_reported() {
    let errors = errors_of("many-errors");
    let files: std::collections::BTreeSet<String> = errors
        .errors
        .iter()
        .map(|e| e.file.display().to_string())
        .collect();
    assert!(files.len() >= 5, "errors in only {files:?}");
    insta::assert_snapshot!("many_errors", errors.to_string());
}

#[test]
fn every_error_has_a_location_and_a_message() {
    for entry in std::fs::read_dir(broken("")).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        for error in errors_of(&name).errors {
            assert!(!error.message.is_empty(), "{name}: empty message");
            assert!(
                error.file.starts_with(&name),
                "{name}: file {}",
                error.file.display()
            );
            if error.line > 0 {
                assert!(
                    error.snippet.is_some(),
                    "{name}: {} has no snippet",
                    error.location()
                );
            }
        }
    }
}

/// Whatever bytes a file holds, the loader reports an error for it and never panics.
#[test]
fn garbage_never_panics() {
    let dir = common::scratch("garbage");
    std::fs::create_dir_all(dir.join("junk")).unwrap();
    std::fs::copy(
        broken("bad-time").join("fixtures.yaml"),
        dir.join("fixtures.yaml"),
    )
    .unwrap();
    let deep = format!("cases: [{}{}]\n", "[".repeat(5000), "]".repeat(5000));
    let deep_map = format!(
        "cases:\n  - id: A\n    patch: {}1{}\n",
        "{a: ".repeat(3000),
        "}".repeat(3000)
    );
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("bytes.yaml", vec![0xff, 0xfe, 0x00, 0x9f, 0x92, 0x96, b'\n', 0x00]),
        ("empty.yaml", vec![]),
        ("comment.yaml", b"# nothing here\n".to_vec()),
        ("list.yaml", b"- id: A\n- id: B\n".to_vec()),
        ("scalar.yaml", b"just words\n".to_vec()),
        ("tabs.yaml", b"cases:\n\t- id: A\n".to_vec()),
        ("deep.yaml", deep.into_bytes()),
        ("deep-map.yaml", deep_map.into_bytes()),
        ("nul.yaml", b"cases:\n  - id: \"\0\"\n".to_vec()),
        ("alias-bomb.yaml", b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f]\ncases: []\n".to_vec()),
        ("two-docs.yaml", b"cases: []\n---\ncases: []\n".to_vec()),
        ("big-number.yaml", b"cases:\n  - id: A\n    title: t\n    requirements: [JWT-ALG]\n    level: must\n    now: 99999999999999999999999\n".to_vec()),
        ("huge-now.yaml", b"cases:\n  - id: A\n    title: t\n    requirements: [JWT-EXP]\n    level: must\n    now: 9223372036854775807\n    request: {user_id: u, jwt: {claims: {user_id: u, exp: now+1d}}}\n    expect: {outcome: rejected, error: jwt_signature_invalid}\n".to_vec()),
        ("bom.yaml", b"\xef\xbb\xbfcases: 5\n".to_vec()),
        ("crlf.yaml", b"cases:\r\n  - id: A\r\n    titel: x\r\n".to_vec()),
    ];
    for (name, bytes) in &files {
        std::fs::write(dir.join("junk").join(name), bytes).unwrap();
    }
    let errors = match load_suite(&dir) {
        Ok(_) => panic!("garbage loaded"),
        Err(errors) => errors,
    };
    let text = errors.to_string();
    for (name, _) in &files {
        assert!(
            text.contains(&format!("junk/{name}")),
            "no error for {name}:\n{text}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_directory_is_one_error() {
    let errors = load_suite(Path::new("/nonexistent/cases")).unwrap_err();
    assert_eq!(errors.errors.len(), 1);
    assert!(errors.errors[0]
        .message
        .starts_with("cannot read the cases directory"));
}

/// A broken fixtures file whose error is on a secret's own line: the snippet shows where, and
/// no secret of the suite reaches the output (it goes to terminals and CI logs).
#[test]
fn an_error_on_a_secret_line_shows_no_secret() {
    let suite = common::suite();
    let dir = common::scratch("secret-line");
    let cases = dir.join("cases");
    common::copy_dir(&common::cases_dir(), &cases);
    let fixtures = cases.join("fixtures.yaml");
    let text = std::fs::read_to_string(&fixtures).unwrap();
    let (number, line) = text
        .lines()
        .enumerate()
        .find(|(_, line)| line.contains("identity_verification: {secret:"))
        .expect("a flow-style secret in the fixtures");
    assert!(line.contains("enforced: true"), "{line}");
    let broken = line.replacen("enforced: true", "enforced: maybe", 1);
    std::fs::write(&fixtures, text.replacen(line, &broken, 1)).unwrap();

    let output = common::cli(&["check", "--cases", common::path_arg(&cases)]);
    assert_eq!(output.code, 2, "{output}");
    let shown = format!("{}{}", output.stdout, output.stderr);
    assert!(
        shown.contains(&format!("fixtures.yaml:{}:", number + 1)) && shown.contains("maybe"),
        "the error does not point at the line: {output}"
    );
    for secret in suite.secrets() {
        assert!(!shown.contains(&secret), "a secret leaked: {output}");
    }
}

/// `check` refuses a case whose request breaks a second rule it does not list (CONTRACT.md: a
/// request breaks a rule when a verifier that checked that rule first would reject it), and
/// one that lists in `also` a rule its request does not break.
#[test]
fn check_refuses_a_case_that_breaks_two_rules() {
    let dir = common::scratch("two-rules");
    let cases = dir.join("cases");
    common::copy_dir(&common::cases_dir(), &cases);
    let file = cases.join("idv/enforcement.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let listed = "expect: {outcome: rejected, error: jwt_required, also: [user_hash_required]}";
    assert!(
        text.contains(listed),
        "IDV-ENF-010 lists user_hash_required"
    );

    let unlisted = "expect: {outcome: rejected, error: jwt_required}";
    std::fs::write(&file, text.replacen(listed, unlisted, 1)).unwrap();
    let output = common::cli(&["check", "--cases", common::path_arg(&cases)]);
    assert_ne!(output.code, 0, "{output}");
    assert!(
        output.stderr.contains("IDV-ENF-010")
            && output
                .stderr
                .contains("breaks user_hash_required, jwt_required")
            && output.stderr.contains("checks user_hash_required first"),
        "{output}"
    );

    let wrong =
        "expect: {outcome: rejected, error: jwt_required, also: [user_hash_required, jwt_expired]}";
    std::fs::write(&file, text.replacen(listed, wrong, 1)).unwrap();
    let output = common::cli(&["check", "--cases", common::path_arg(&cases)]);
    assert_ne!(output.code, 0, "{output}");
    assert!(
        output.stderr.contains("IDV-ENF-010")
            && output
                .stderr
                .contains("lists jwt_expired in `also`, but its request does not break that rule"),
        "{output}"
    );

    std::fs::write(&file, text).unwrap();
    let output = common::cli(&["check", "--cases", common::path_arg(&cases)]);
    assert_eq!(output.code, 0, "{output}");
    assert!(
        output
            .stdout
            .contains("every request breaks only the rules its case lists"),
        "{output}"
    );
}
