//! Hostile input: files that are not files (a FIFO, a device), files too large to read whole,
//! symlinked folders, absurd flags, an HTTP implementation that redirects or answers with
//! another media type, answers that name a member twice, and case files with numbers no JSON can
//! hold, bytes that are not UTF-8 or values a case cannot mean. Each must end in a clear error
//! (exit 2 for input files and flags, an adapter error for an answer), never a hang, an OOM, a
//! silent drop or a pass.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use messenger_conformance::adapter::http::HttpFactory;
use messenger_conformance::adapter::{
    decode_answer, decode_hello, AdapterErrorKind, AdapterFactory, Channel,
};
use messenger_conformance::contract::{FromAdapter, ToAdapter};
use messenger_conformance::scenario::{load_suite, LoadError, LoadErrors, Suite};

use common::{mkfifo, scratch, Output};

fn repo(path: &str) -> PathBuf {
    common::root().join(path)
}

/// A cases directory with the real fixtures.yaml and, under `jwt/`, the given case files.
fn cases_dir(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let files: Vec<(String, &str)> = files
        .iter()
        .map(|(file, text)| (format!("jwt/{file}"), *text))
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(f, t)| (f.as_str(), *t)).collect();
    let dir = common::cases_with(name, &files);
    std::fs::create_dir_all(dir.join("jwt")).unwrap();
    dir
}

const GOOD_CASE: &str = "cases:
  - id: HOSTILE-001
    title: A visitor is accepted
    requirements: [VISITOR-ANONYMOUS]
    level: must
    request: {platform: web}
    expect: {outcome: accepted}
";

/// `load_suite` on another thread: a test fails, instead of hanging, if loading blocks.
fn load_within(dir: &Path, seconds: u64) -> Result<Suite, LoadErrors> {
    let (sender, receiver) = mpsc::channel();
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        let _ = sender.send(load_suite(&dir));
    });
    receiver
        .recv_timeout(Duration::from_secs(seconds))
        .unwrap_or_else(|_| panic!("loading the suite did not end within {seconds} s"))
}

fn load_errors(dir: &Path) -> Vec<LoadError> {
    match load_within(dir, 20) {
        Ok(suite) => panic!("loaded {} cases, expected errors", suite.cases.len()),
        Err(errors) => errors.errors,
    }
}

/// The one error loading `dir` gives (the test fails on none or several).
fn the_one_error(dir: &Path) -> LoadError {
    let mut errors = load_errors(dir);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    errors.remove(0)
}

/// Runs the binary; kills it and fails the test if it has not ended within `seconds`.
fn run_within(args: &[&str], seconds: u64) -> Output {
    common::bin(args).within(seconds)
}

fn stderr(output: &Output) -> String {
    output.stderr.clone()
}

// ---------------------------------------------------------------------------------------------
// 9. Input files: only regular files, of bounded size
// ---------------------------------------------------------------------------------------------

#[test]
fn a_case_file_that_is_a_fifo_is_an_error_not_a_hang() {
    let dir = cases_dir("fifo-case", &[("good.yaml", GOOD_CASE)]);
    mkfifo(&dir.join("jwt/pipe.yaml"));
    let error = the_one_error(&dir);
    assert!(error.file.ends_with("jwt/pipe.yaml"), "{error:#?}");
    assert!(
        error.message.contains("a FIFO") && error.message.contains("not a regular file"),
        "{}",
        error.message
    );
}

#[test]
fn a_fixtures_file_that_is_a_fifo_is_an_error_not_a_hang() {
    let dir = cases_dir("fifo-fixtures", &[("good.yaml", GOOD_CASE)]);
    std::fs::remove_file(dir.join("fixtures.yaml")).unwrap();
    mkfifo(&dir.join("fixtures.yaml"));
    let errors = load_errors(&dir);
    assert!(errors[0].file.ends_with("fixtures.yaml"), "{errors:#?}");
    assert!(
        errors[0].message.contains("a FIFO"),
        "{}",
        errors[0].message
    );
}

#[test]
fn a_case_file_linked_to_dev_zero_is_refused_unread() {
    let dir = cases_dir("dev-zero", &[("good.yaml", GOOD_CASE)]);
    std::os::unix::fs::symlink("/dev/zero", dir.join("jwt/zero.yaml")).unwrap();
    let error = the_one_error(&dir);
    assert!(error.file.ends_with("jwt/zero.yaml"), "{error:#?}");
    assert!(
        error.message.contains("a character device"),
        "{}",
        error.message
    );
}

#[test]
fn a_case_file_over_16_mib_is_refused_with_the_cap_named() {
    let dir = cases_dir("large-case", &[("good.yaml", GOOD_CASE)]);
    // Sparse: 16 MiB + 1 byte of nothing, written in no time.
    let file = std::fs::File::create(dir.join("jwt/huge.yaml")).unwrap();
    file.set_len((16 << 20) + 1).unwrap();
    let error = the_one_error(&dir);
    assert!(error.file.ends_with("jwt/huge.yaml"), "{error:#?}");
    assert!(
        error.message.contains("over the 16 MiB limit"),
        "{}",
        error.message
    );
}

#[test]
fn a_symlinked_area_folder_is_read_not_dropped() {
    let real = cases_dir("area-real", &[("good.yaml", GOOD_CASE)]);
    let linked = scratch("area-linked");
    std::fs::copy(repo("cases/fixtures.yaml"), linked.join("fixtures.yaml")).unwrap();
    std::os::unix::fs::symlink(real.join("jwt"), linked.join("idv")).unwrap();
    let suite = load_within(&linked, 20).unwrap();
    let ids: Vec<(&str, &str)> = suite
        .cases
        .iter()
        .map(|c| (c.area.as_str(), c.id.as_str()))
        .collect();
    assert_eq!(ids, [("idv", "HOSTILE-001")]);
}

#[test]
fn a_dangling_or_looping_symlink_in_the_cases_directory_is_an_error() {
    let dir = cases_dir("links", &[("good.yaml", GOOD_CASE)]);
    std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("gone")).unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("jwt/again")).unwrap();
    let errors = load_errors(&dir);
    let shown: Vec<String> = errors
        .iter()
        .map(|e| format!("{}: {}", e.file.display(), e.message))
        .collect();
    assert_eq!(errors.len(), 2, "{shown:#?}");
    assert!(
        shown[0].contains("gone: a symlink that cannot be followed"),
        "{shown:#?}"
    );
    assert!(
        shown[1].contains("jwt/again: a symlink to a folder that contains it"),
        "{shown:#?}"
    );
}

#[test]
fn a_baseline_that_is_a_fifo_or_too_large_is_a_usage_error() {
    let dir = scratch("baseline");
    let fifo = dir.join("baseline.yaml");
    mkfifo(&fifo);
    let large = dir.join("large.yaml");
    std::fs::File::create(&large)
        .unwrap()
        .set_len((16 << 20) + 1)
        .unwrap();
    for (path, words) in [(&fifo, "a FIFO"), (&large, "over the 16 MiB limit")] {
        let output = run_within(
            &[
                "run",
                "--filter",
                "IDV-ENF-001",
                "--only",
                "cases",
                "--no-report",
                "--baseline",
                path.to_str().unwrap(),
            ],
            60,
        );
        let err = stderr(&output);
        assert_eq!(output.code, 2, "{err}");
        assert!(
            err.contains(&format!("cannot read the baseline {}", path.display()))
                && err.contains(words),
            "{err}"
        );
    }
}

#[test]
fn an_events_file_that_is_a_fifo_or_too_large_is_a_usage_error() {
    let fifo_dir = scratch("events-fifo");
    mkfifo(&fifo_dir.join("events.jsonl"));
    let large_dir = scratch("events-large");
    std::fs::File::create(large_dir.join("events.jsonl"))
        .unwrap()
        .set_len((64 << 20) + 1)
        .unwrap();
    let fifo = fifo_dir.to_str().unwrap();
    let large = large_dir.to_str().unwrap();
    for (args, words) in [
        (vec!["report", fifo], "a FIFO"),
        (vec!["diff", fifo, fifo], "a FIFO"),
        (
            vec!["merge", scratch("merged").to_str().unwrap(), fifo],
            "a FIFO",
        ),
        (vec!["report", large], "over the 64 MiB limit"),
    ] {
        let output = run_within(&args, 30);
        let err = stderr(&output);
        assert_eq!(output.code, 2, "{args:?}: {err}");
        assert!(
            err.contains("events.jsonl") && err.contains(words),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn a_workspace_file_for_debug_that_is_a_fifo_is_a_usage_error() {
    let dir = scratch("debug-workspace");
    let fifo = dir.join("workspace.json");
    mkfifo(&fifo);
    let output = run_within(
        &[
            "debug",
            "jwt",
            "e30.e30.sig",
            "--workspace",
            fifo.to_str().unwrap(),
        ],
        30,
    );
    let err = stderr(&output);
    assert_eq!(output.code, 2, "{err}");
    assert!(err.contains("a FIFO"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// 10. Flags
// ---------------------------------------------------------------------------------------------

#[test]
fn jobs_are_capped_at_64_with_a_note() {
    let output = run_within(
        &[
            "run",
            "--filter",
            "IDV-ENF-001",
            "--only",
            "cases",
            "--no-report",
            "--jobs",
            "100000",
        ],
        60,
    );
    let err = stderr(&output);
    assert_eq!(output.code, 0, "{err}");
    assert!(
        err.contains("--jobs 100000 is capped at 64"),
        "stderr: {err}"
    );
    let output = run_within(&["run", "--jobs", "0"], 30);
    assert_eq!(output.code, 2, "{}", stderr(&output));
    assert!(stderr(&output).contains("--jobs"), "{}", stderr(&output));
}

#[test]
fn a_zero_timeout_is_a_usage_error() {
    for args in [
        vec!["run", "--timeout-ms", "0", "--", "true"],
        vec!["run", "--timeout-ms", "0", "--url", "http://127.0.0.1:9/"],
        vec!["smoke", "--timeout-ms", "0", "--", "true"],
    ] {
        let output = run_within(&args, 30);
        let err = stderr(&output);
        assert_eq!(output.code, 2, "{args:?}: {err}");
        assert!(
            err.contains("invalid value '0' for '--timeout-ms <MS>'"),
            "{args:?}: {err}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 12. HTTP: no redirects, JSON only
// ---------------------------------------------------------------------------------------------

/// The first message of a case of the real suite, and the reference's answer to it as JSON.
fn verify_message(id: &str) -> (ToAdapter, String) {
    use messenger_conformance::adapter::builtin::InProcess;
    let suite = load_suite(&repo("cases")).unwrap();
    let case = suite.case(id).unwrap();
    let message = case.build(case.now).unwrap().remove(0).message;
    let mut reference = messenger_conformance::reference::Reference;
    let answer =
        messenger_conformance::serve::answer(&mut reference as &mut dyn InProcess, &message)
            .unwrap();
    (message, serde_json::to_string(&answer).unwrap())
}

fn hello_answer() -> String {
    use messenger_conformance::adapter::builtin::InProcess;
    let mut reference = messenger_conformance::reference::Reference;
    let hello = ToAdapter::Hello(messenger_conformance::contract::HelloRequest { protocol: 1 });
    let answer =
        messenger_conformance::serve::answer(&mut reference as &mut dyn InProcess, &hello).unwrap();
    serde_json::to_string(&answer).unwrap()
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap()
}

/// A server that answers hello properly, then every other request with `respond`. It counts
/// the requests it gets.
fn server(
    respond: impl Fn() -> tiny_http::Response<std::io::Cursor<Vec<u8>>> + Send + 'static,
) -> (String, Arc<AtomicUsize>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", server.server_addr().to_ip().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&count);
    std::thread::spawn(move || {
        while let Ok(mut request) = server.recv() {
            counted.fetch_add(1, Ordering::SeqCst);
            let mut body = String::new();
            let _ = std::io::Read::read_to_string(request.as_reader(), &mut body);
            let response = if body.contains("\"hello\"") {
                tiny_http::Response::from_string(hello_answer())
                    .with_header(header("Content-Type", "application/json"))
            } else {
                respond()
            };
            let _ = request.respond(response);
        }
    });
    (url, count)
}

#[test]
fn a_redirect_is_never_followed() {
    let (message, right_answer) = verify_message("IDV-ENF-001");
    // Elsewhere: a server that would give the right verdict to anything.
    let (elsewhere, elsewhere_hits) = server(move || {
        tiny_http::Response::from_string(right_answer.clone())
            .with_header(header("Content-Type", "application/json"))
    });
    let location = elsewhere.clone();
    let (url, _) = server(move || {
        tiny_http::Response::from_string("")
            .with_status_code(302)
            .with_header(header("Location", &location))
    });
    let mut adapter = HttpFactory::new(url, Duration::from_secs(5))
        .start()
        .unwrap();
    let error = adapter.call(&message).unwrap_err();
    assert_eq!(error.kind, AdapterErrorKind::Transport, "{error}");
    assert!(
        error
            .detail
            .contains("HTTP 302, a redirect to `http://127.0.0.1:")
            && error.detail.contains("never follows redirects"),
        "{error}"
    );
    assert_eq!(
        elsewhere_hits.load(Ordering::SeqCst),
        0,
        "the redirect was followed"
    );
}

#[test]
fn an_answer_that_is_not_application_json_is_an_adapter_error() {
    let (message, answer) = verify_message("IDV-ENF-001");
    let text = answer.clone();
    let (url, _) = server(move || tiny_http::Response::from_string(text.clone()));
    let mut adapter = HttpFactory::new(url, Duration::from_secs(5))
        .start()
        .unwrap();
    let error = adapter.call(&message).unwrap_err();
    assert_eq!(error.kind, AdapterErrorKind::InvalidMessage, "{error}");
    assert!(
        error
            .detail
            .contains("Content-Type is `text/plain; charset=UTF-8`, not application/json")
            && error.detail.contains("Content-Type: application/json"),
        "{error}"
    );

    // application/json with parameters, in any case, is JSON.
    for content_type in ["application/json; charset=utf-8", "Application/JSON"] {
        let text = answer.clone();
        let (url, _) = server(move || {
            tiny_http::Response::from_string(text.clone())
                .with_header(header("Content-Type", content_type))
        });
        let mut adapter = HttpFactory::new(url, Duration::from_secs(5))
            .start()
            .unwrap();
        assert!(
            matches!(adapter.call(&message), Ok(FromAdapter::Verdict(_))),
            "{content_type}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Answers that name a member twice
// ---------------------------------------------------------------------------------------------

#[test]
fn an_answer_with_a_member_named_twice_is_an_invalid_message() {
    let (message, _) = verify_message("IDV-ENF-001");
    let raw = r#"{"type":"verdict","id":"IDV-ENF-001/1","outcome":"accepted","verified":false,"identity":null,"error":null,"attributes":{"applied":{},"dropped":{}},"outcome":"rejected","error":"user_hash_required"}"#;
    for channel in [Channel::Stdout, Channel::HttpBody] {
        let error = decode_answer(&message, raw, false, channel).unwrap_err();
        assert_eq!(error.kind, AdapterErrorKind::InvalidMessage, "{error}");
        assert!(
            error
                .detail
                .contains("has two members named `outcome` in one object"),
            "{error}"
        );
    }
    // The same answer without the repeat is a verdict.
    let once = r#"{"type":"verdict","id":"IDV-ENF-001/1","outcome":"rejected","verified":false,"identity":null,"error":"user_hash_required","attributes":{"applied":{},"dropped":{}}}"#;
    assert!(decode_answer(&message, once, false, Channel::Stdout).is_ok());

    let hello = r#"{"type":"hello","protocol":1,"implementation":{"name":"x","version":"1"},"roles":["verifier"],"roles":["signer"],"clock":"injected"}"#;
    let error = decode_hello(hello, false, Channel::Stdout).unwrap_err();
    assert!(error.0.contains("two members named `roles`"), "{error}");
}

// ---------------------------------------------------------------------------------------------
// Case files: the right hint, a position, a clipped echo, values a case cannot mean
// ---------------------------------------------------------------------------------------------

fn case_with(line: &str) -> String {
    format!(
        "cases:
  - id: HOSTILE-002
    title: t
    requirements: [VISITOR-ANONYMOUS]
    level: must
    {line}
    expect: {{outcome: accepted}}
"
    )
}

#[test]
fn a_non_finite_number_gets_the_field_hint_not_a_syntax_hint() {
    for now in ["1e400", ".nan", "-.inf"] {
        let dir = cases_dir(
            "non-finite-now",
            &[(
                "a.yaml",
                &case_with(&format!("now: {now}\n    request: {{platform: web}}")),
            )],
        );
        let errors = load_errors(&dir);
        let hint = errors[0].hint.as_deref().unwrap_or("");
        assert!(!hint.contains("syntax"), "{now}: {}", errors[0]);
        assert!(
            hint.starts_with("`now` is Unix seconds"),
            "{now}: {}",
            errors[0]
        );
        assert_eq!((errors[0].line, errors[0].column), (6, 10), "{}", errors[0]);
    }
    let dir = cases_dir(
        "non-finite-attribute",
        &[(
            "a.yaml",
            &case_with("request: {platform: web, attributes: {n: .nan}}"),
        )],
    );
    let errors = load_errors(&dir);
    let hint = errors[0].hint.as_deref().unwrap_or("");
    assert!(
        hint.starts_with("a number in a case is finite") && hint.contains("claims_raw"),
        "{}",
        errors[0]
    );
}

#[test]
fn invalid_utf8_is_placed_at_its_line_and_column() {
    let dir = cases_dir("utf8", &[]);
    std::fs::write(
        dir.join("jwt/a.yaml"),
        b"cases:\n  - id: HOSTILE-003\n    title: \"caf\xc3\xa9 \xff\"\n",
    )
    .unwrap();
    let error = the_one_error(&dir);
    assert_eq!((error.line, error.column), (3, 18), "{}", error);
    assert!(error.message.contains("not UTF-8"), "{}", error);
    assert!(error.to_string().contains("jwt/a.yaml:3:18\n"), "{}", error);
}

#[test]
fn a_huge_number_is_not_echoed_whole() {
    let digits = "9".repeat(100_000);
    let dir = cases_dir(
        "huge-number",
        &[(
            "a.yaml",
            &case_with(&format!(
                "request: {{platform: web, attributes: {{n: {digits}}}}}"
            )),
        )],
    );
    let errors = load_errors(&dir);
    let shown = errors[0].to_string();
    assert!(
        shown.len() < 2_000,
        "{} bytes: {}",
        shown.len(),
        &shown[..300]
    );
    assert!(errors[0].message.contains("characters cut"), "{shown}");
    assert_eq!(errors[0].line, 6, "{shown}");
}

#[test]
fn a_negative_after_seconds_or_leeway_is_an_error() {
    let step = |after: i64| {
        format!(
            "cases:
  - id: HOSTILE-004
    title: t
    requirements: [VISITOR-ANONYMOUS]
    level: must
    steps:
      - request: {{platform: web}}
        expect: {{outcome: accepted}}
      - after_seconds: {after}
        request: {{platform: web}}
        expect: {{outcome: accepted}}
"
        )
    };
    assert!(load_within(&cases_dir("after-ok", &[("a.yaml", &step(5))]), 20).is_ok());
    let error = the_one_error(&cases_dir("after-negative", &[("a.yaml", &step(-5))]));
    assert_eq!((error.line, error.column), (9, 24), "{}", error);
    assert!(error.message.contains("`after_seconds` is -5"), "{}", error);

    let patched = case_with("patch: {jwt_leeway_seconds: -30}\n    request: {platform: web}");
    let error = the_one_error(&cases_dir("leeway-patch", &[("a.yaml", &patched)]));
    assert_eq!(error.line, 6, "{}", error);
    assert!(
        error.message.contains("`jwt_leeway_seconds` is -30"),
        "{}",
        error
    );

    let dir = cases_dir("leeway-fixture", &[("good.yaml", GOOD_CASE)]);
    let fixtures = std::fs::read_to_string(dir.join("fixtures.yaml")).unwrap();
    let (before, after) = fixtures.split_once("jwt_leeway_seconds: 0").unwrap();
    std::fs::write(
        dir.join("fixtures.yaml"),
        format!("{before}jwt_leeway_seconds: -1{after}"),
    )
    .unwrap();
    let errors = load_errors(&dir);
    assert!(
        errors[0].file.ends_with("fixtures.yaml")
            && errors[0].message.contains("`jwt_leeway_seconds` is -1"),
        "{errors:#?}"
    );
}
