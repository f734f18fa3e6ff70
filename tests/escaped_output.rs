//! Text from an implementation or a case file never reaches the terminal or the CI log raw
//! (issue 18, item 1): the adapter's stderr, the text after `saw:`, serde errors that echo a
//! value, attribute names in a verdict, the implementation's name and version in `smoke`, extra
//! case titles and claim names in `debug jwt` are printed with control characters shown as
//! `\u001b` escapes, and no printed line can be a GitHub workflow command (`::…`, `##[…`).
//!
//! The hostile adapter is `tests/adapters/misbehave.py hostile-text`.

use crate::common;

use std::path::PathBuf;
use std::process::Command;

use common::Output;
use serde_json::json;

fn python() -> String {
    let out = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3 runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `-- misbehave.py hostile-text -- messenger-conformance serve --stdio`.
fn hostile_adapter() -> Vec<String> {
    let script = common::test_adapter("misbehave.py");
    let mut command = vec![
        "--".into(),
        python(),
        script.display().to_string(),
        "hostile-text".into(),
        "--".into(),
    ];
    command.extend(common::reference_command().map(String::from));
    command
}

/// Nothing in `out` can drive a terminal or a CI runner: no control character but the line
/// break, no line that GitHub Actions would run as a workflow command.
fn assert_inert(out: &Output) {
    for (name, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        if let Some(c) = text.chars().find(|c| c.is_control() && *c != '\n') {
            panic!("{name} holds the control character {c:?}:\n{out}");
        }
        for line in text.lines() {
            assert!(
                !line.trim_start().starts_with("::"),
                "{name} has a line a CI runner would run as a command: {line:?}\n{out}"
            );
            assert!(!line.contains("##["), "{name}: {line:?}");
        }
    }
}

#[test]
fn a_run_against_a_hostile_adapter_prints_its_text_made_visible() {
    let extra = common::scratch("extra");
    std::fs::create_dir_all(extra.join("jwt")).unwrap();
    std::fs::write(
        extra.join("jwt/hostile.yaml"),
        "cases:\n  - id: HOSTILE-TITLE-001\n    title: \"a title \\e]0;owned\\a\\n::error::forged\"\n    requirements: [VISITOR-ANONYMOUS]\n    level: must\n    request: {platform: web}\n    expect: {outcome: rejected, error: invalid_request}\n",
    )
    .unwrap();
    let cases = common::cases_arg();
    let mut args: Vec<String> = [
        "run",
        "--no-report",
        "--cases",
        &cases,
        "--extra-cases",
        common::path_arg(&extra),
        "--filter",
        "JWT-ALG",
        "--filter",
        "HOSTILE-TITLE",
        "--only",
        "cases",
        // Every failure is printed: the breaker must not keep a case from the adapter.
        "--max-consecutive-errors",
        "1000",
        "--max-adapter-errors",
        "1000",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(hostile_adapter());
    let out = common::cli(&args);
    assert_eq!(out.code, 1, "{out}");
    assert_inert(&out);
    for shown in [
        // stderr lines, the attribute names of a verdict, the text after `saw:`
        "\\u001b]52;c;ZXZpbA==\\u0007\\u0000",
        "\\u003a:add-mask::x",
        "(saw: \\u001b[2J::stop-commands::tok\\u0000 not json)",
        // a serde error that echoes the bad reason code
        "unknown variant `code\\u001b[2J",
        // the extra case's title
        "a title \\u001b]0;owned\\u0007\\u000a::error::forged",
    ] {
        assert!(out.stdout.contains(shown), "no {shown:?} in:\n{out}");
    }
}

#[test]
fn smoke_prints_a_hostile_name_version_and_stderr_made_visible() {
    let mut args = vec!["smoke".to_string(), "--timeout-ms".into(), "3000".into()];
    args.extend(hostile_adapter());
    let out = common::cli(&args);
    assert_inert(&out);
    assert!(
        out.stdout
            .contains("hello: evil\\u001b[2J\\u001b]0;owned\\u0007\\u001b]52;c;ZXZpbA==\\u0007\\u0000\\u000a::stop-commands::tok"),
        "{out}"
    );
}

#[test]
fn a_hello_that_is_not_json_is_a_start_error_made_visible() {
    let adapter = "import sys\nsys.stdin.readline()\nsys.stderr.write('boom\\x1b]0;t\\x07\\n::error::e\\x00\\n')\nprint('\\x1b[2J::add-mask::x', flush=True)\nprint('{\"type\":\"hello\"}', flush=True)\n";
    let out = common::cli(&["run", "--no-report", "--", &python(), "-c", adapter]);
    assert_eq!(out.code, 2, "{out}");
    assert_inert(&out);
    assert!(out.stderr.contains("\\u001b[2J::add-mask::x"), "{out}");
    assert!(out.stderr.contains("boom\\u001b]0;t\\u0007"), "{out}");
    assert!(out.stderr.contains("\\u003a:error::e\\u0000"), "{out}");
}

#[test]
fn a_hello_with_an_unknown_role_echoed_by_serde_is_made_visible() {
    let adapter = "import sys, json\nsys.stdin.readline()\nprint(json.dumps({'type':'hello','protocol':1,'implementation':{'name':'n','version':'1'},'roles':['x\\x1b]0;t\\x07\\n::error::r'],'clock':'injected'}), flush=True)\n";
    let out = common::cli(&["run", "--no-report", "--", &python(), "-c", adapter]);
    assert_eq!(out.code, 2, "{out}");
    assert_inert(&out);
    assert!(out.stderr.contains("x\\u001b]0;t\\u0007"), "{out}");
}

#[test]
fn debug_jwt_shows_hostile_claim_names_made_visible() {
    let workspace: PathBuf = common::root().join("tests/fixtures/debug/jwt.yaml");
    let token = common::sign_jwt(
        &json!({
            "user_id": "u-1",
            "exp": 1_767_229_200,
            "x\u{1b}]52;c;ZXZpbA==\u{7}\n::error::claim": "v",
        }),
        "dbg-jwt-key-k-web-93be0d54",
    );
    let out = common::cli(&[
        "debug",
        "jwt",
        &token,
        "--now",
        "1767225600",
        "--workspace",
        common::path_arg(&workspace),
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert_inert(&out);
    assert!(
        out.stdout
            .contains("x\\u001b]52;c;ZXZpbA==\\u0007\\u000a::error::claim"),
        "{out}"
    );
}

#[test]
fn a_url_whose_hello_body_is_not_json_is_a_start_error_made_visible() {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", server.server_addr().to_ip().unwrap());
    let thread = std::thread::spawn(move || {
        if let Ok(request) = server.recv() {
            let body = "\u{1b}]0;owned\u{7}\n::error::forged\u{0}";
            let header =
                tiny_http::Header::from_bytes(&b"Content-Type"[..], &b"application/json"[..])
                    .unwrap();
            let _ = request.respond(tiny_http::Response::from_string(body).with_header(header));
        }
    });
    let out = common::cli(&["run", "--no-report", "--url", &url]);
    thread.join().unwrap();
    assert_eq!(out.code, 2, "{out}");
    assert_inert(&out);
    assert!(
        out.stderr
            .contains("\\u001b]0;owned\\u0007\\u000a::error::forged\\u0000"),
        "{out}"
    );
}
