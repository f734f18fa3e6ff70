//! `messenger-conformance debug jwt` and `debug hash`, driven as a user would: one snapshot of
//! the human output per mistake the troubleshooting guides list, a few of the JSON, and the
//! exit codes (0 accepted, 1 not, 2 bad input). No secret of any fixture workspace may appear
//! in any output.
//!
//! Create or update: `INSTA_UPDATE=always cargo test --test debug_cli`, then read the `.snap`
//! files.

use std::process::Command;

use messenger_conformance::reference::jws::{b64url_encode, sign_hs256, sign_raw};
use messenger_conformance::reference::user_hash::user_hash;
use serde_json::{json, Value};

/// 2026-01-01 00:00:00 UTC.
const NOW: i64 = 1_767_225_600;
const NOW_ARG: &str = "1767225600";

const PROD: &str = "tests/fixtures/debug/production.yaml";
const TEST: &str = "tests/fixtures/debug/test.json";
const JWT_WS: &str = "tests/fixtures/debug/jwt.yaml";

const PROD_WEB: &str = "dbg-prod-web-idv-71c2e09a";
const PROD_IOS: &str = "dbg-prod-ios-idv-4b8f13d6";
const TEST_WEB: &str = "dbg-test-web-idv-2d6b90f4";
const K_WEB: &str = "dbg-jwt-key-k-web-93be0d54";
const K_IOS: &str = "dbg-jwt-key-k-ios-1f6a28c7";

/// Every secret of every fixture file, and the key fragment they share.
const SECRETS: &[&str] = &[
    PROD_WEB,
    PROD_IOS,
    "dbg-prod-android-idv-9e05a7c1",
    TEST_WEB,
    "dbg-test-ios-idv-c3a1e85b",
    "dbg-test-android-idv-60f7d2e9",
    "dbg-jwt-web-idv-0a9c4e27",
    "dbg-jwt-ios-idv-58d1b3f0",
    "dbg-jwt-android-idv-e4726c9d",
    K_WEB,
    K_IOS,
    "dbg-broken-web-idv-5c0e8a13",
    "dbg-broken-web-idv-8f2d4b60",
];

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_messenger-conformance"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("debug")
        .args(args)
        .output()
        .expect("the binary runs");
    let out = Output {
        code: output.status.code().expect("exited"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    for secret in SECRETS {
        assert!(
            !out.stdout.contains(secret) && !out.stderr.contains(secret),
            "secret {secret} printed:\n{}{}",
            out.stdout,
            out.stderr
        );
        // Not even a recognisable piece of one.
        let tail = &secret[secret.len() - 8..];
        assert!(
            !out.stdout.contains(tail) && !out.stderr.contains(tail),
            "part of {secret} printed"
        );
    }
    out
}

fn shown(out: &Output) -> String {
    let mut text = format!("exit {}\n{}", out.code, out.stdout);
    if !out.stderr.is_empty() {
        text.push_str(&format!("--- stderr\n{}", out.stderr));
    }
    text
}

fn hash(args: &[&str]) -> Output {
    let mut all = vec!["hash"];
    all.extend_from_slice(args);
    run(&all)
}

fn jwt(token: &str, args: &[&str]) -> Output {
    let mut all = vec!["jwt", token, "--now", NOW_ARG];
    all.extend_from_slice(args);
    run(&all)
}

fn token(claims: Value, secret: &str) -> String {
    sign_hs256(
        &json!({"alg": "HS256", "typ": "JWT"}),
        &claims,
        secret.as_bytes(),
    )
}

// ---------------------------------------------------------------------------------------------
// debug hash
// ---------------------------------------------------------------------------------------------

#[test]
fn hash_right() {
    let h = user_hash(PROD_WEB, "u-1");
    let out = hash(&[
        "--user-id",
        "u-1",
        "--email",
        "ada@example.com",
        "--hash",
        &h,
        "--workspace",
        PROD,
        "--workspace",
        TEST,
    ]);
    assert_eq!(out.code, 0, "{}", shown(&out));
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn hash_over_email_while_user_id_sent() {
    let h = user_hash(PROD_WEB, "ada@example.com");
    let out = hash(&[
        "--user-id",
        "u-1",
        "--email",
        "ada@example.com",
        "--hash",
        &h,
        "--workspace",
        PROD,
        "--workspace",
        TEST,
    ]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains(
        "hash over the email while a user_id is sent: it must be computed over the user_id"
    ));
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn hash_without_identifier() {
    let h = user_hash(PROD_WEB, "u-1");
    let out = hash(&["--hash", &h, "--workspace", PROD]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("hash sent without an identifier"));
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn hash_with_another_platform_secret() {
    let h = user_hash(PROD_IOS, "u-1");
    let out = hash(&[
        "--user-id",
        "u-1",
        "--hash",
        &h,
        "--platform",
        "web",
        "--workspace",
        PROD,
        "--workspace",
        TEST,
    ]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("hash made with the ios secret, but the request is on web: each platform has its own secret"));
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn hash_with_the_test_workspace_secret() {
    let h = user_hash(TEST_WEB, "u-1");
    let out = hash(&[
        "--user-id",
        "u-1",
        "--hash",
        &h,
        "--workspace",
        PROD,
        "--workspace",
        TEST,
    ]);
    assert_eq!(out.code, 1);
    assert!(out
        .stdout
        .contains("hash made with the [TEST] workspace's secret"));
    assert!(out
        .stdout
        .contains("your test and production workspaces have their own secrets"));
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn hash_uppercase_on_mobile() {
    let h = user_hash(PROD_IOS, "u-1").to_uppercase();
    let out = hash(&[
        "--user-id",
        "u-1",
        "--hash",
        &h,
        "--platform",
        "ios",
        "--workspace",
        PROD,
    ]);
    assert_eq!(out.code, 1);
    assert!(out
        .stdout
        .contains("uppercase hex on mobile: the iOS and Android SDKs require lowercase"));
    insta::assert_snapshot!(shown(&out));
    // The same hash is fine on web (either case), with web's secret.
    let h = user_hash(PROD_WEB, "u-1").to_uppercase();
    assert_eq!(
        hash(&["--user-id", "u-1", "--hash", &h, "--workspace", PROD]).code,
        0
    );
}

#[test]
fn hash_in_base64() {
    use base64::Engine;
    let bytes = messenger_conformance::reference::jws::hmac_sha256(PROD_WEB.as_bytes(), b"u-1");
    let h = base64::engine::general_purpose::STANDARD.encode(bytes);
    let out = hash(&["--user-id", "u-1", "--hash", &h, "--workspace", PROD]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("not hex at all (looks like base64)"));
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn hash_over_a_lowercased_email() {
    let h = user_hash(PROD_WEB, "ada@example.com");
    let out = hash(&[
        "--email",
        "Ada@Example.com",
        "--hash",
        &h,
        "--workspace",
        PROD,
    ]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn hash_matching_no_secret() {
    let h = user_hash("a-secret-someone-made-up", "u-1");
    let out = hash(&[
        "--user-id",
        "u-1",
        "--email",
        "ada@example.com",
        "--hash",
        &h,
        "--workspace",
        PROD,
        "--workspace",
        TEST,
    ]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("no match with any configured secret"));
    assert!(out.stdout.contains("production/web, production/ios"));
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn hash_missing() {
    let out = hash(&["--user-id", "u-1", "--workspace", PROD]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn hash_json_for_tools() {
    let h = user_hash(PROD_WEB, "ada@example.com");
    let out = hash(&[
        "--user-id",
        "u-1",
        "--email",
        "ada@example.com",
        "--hash",
        &h,
        "--workspace",
        PROD,
        "--json",
    ]);
    assert_eq!(out.code, 1);
    let value: Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(value["accepted"], false);
    assert_eq!(value["findings"][0]["code"], "over_email");
    assert_eq!(value["found"]["source"], "email");
    assert_eq!(value["verdict"]["error"], "user_hash_mismatch");
    insta::assert_snapshot!(shown(&out));
}

// ---------------------------------------------------------------------------------------------
// debug jwt
// ---------------------------------------------------------------------------------------------

#[test]
fn jwt_valid() {
    let t = token(
        json!({"user_id": "u-1", "email": "ada@example.com", "plan": "pro", "exp": NOW + 3540}),
        K_WEB,
    );
    let out = jwt(&t, &["--workspace", JWT_WS, "--user-id", "u-1"]);
    assert_eq!(out.code, 0, "{}", shown(&out));
    assert!(out.stdout.contains("valid for another 59 min"));
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn jwt_expired() {
    let t = token(
        json!({"user_id": "u-1", "exp": NOW - 7500, "iat": NOW - 11100}),
        K_WEB,
    );
    let out = jwt(&t, &["--workspace", JWT_WS]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("expired 2 h 5 min ago"));
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn jwt_signed_with_another_platform_key() {
    let t = token(json!({"user_id": "u-1"}), K_IOS);
    let out = jwt(&t, &["--workspace", JWT_WS, "--platform", "web"]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("k-ios"));
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn jwt_exp_in_milliseconds() {
    let t = token(json!({"user_id": "u-1", "exp": (NOW + 3600) * 1000}), K_WEB);
    let out = jwt(&t, &["--workspace", JWT_WS]);
    // Accepted (a far-future exp is not expired), but the hint says why it is wrong.
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("looks like milliseconds"));
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn jwt_bad_base64_in_the_payload() {
    let good = token(json!({"user_id": "u-1"}), K_WEB);
    let parts: Vec<&str> = good.split('.').collect();
    let payload = parts[1].replacen('J', "+", 1);
    let t = format!("{}.{}.{}", parts[0], payload, parts[2]);
    let out = jwt(&t, &["--workspace", JWT_WS]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("of the token"));
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn jwt_payload_not_json() {
    let t = sign_raw(
        br#"{"alg":"HS256","typ":"JWT"}"#,
        b"user_id=u-1",
        K_WEB.as_bytes(),
    );
    let out = jwt(&t, &["--workspace", JWT_WS]);
    assert_eq!(out.code, 1);
    assert!(out
        .stdout
        .contains(r#"header   {"alg":"HS256","typ":"JWT"}"#));
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn jwt_alg_none() {
    let header = b64url_encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = b64url_encode(br#"{"user_id":"admin"}"#);
    let out = jwt(&format!("{header}.{payload}."), &["--workspace", JWT_WS]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn jwt_without_workspace() {
    let t = token(
        json!({"sub": "u-1", "exp": NOW + 600, "custom_attributes": {"plan": "pro"}}),
        K_WEB,
    );
    let out = jwt(&t, &["--user-id", "u-1"]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("cannot be checked without --workspace"));
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn jwt_identity_mismatch_and_rfc3339_now() {
    let t = token(json!({"user_id": "u-1", "nbf": NOW + 300}), K_WEB);
    let out = run(&[
        "jwt",
        &t,
        "--now",
        "2026-01-01T00:00:00Z",
        "--workspace",
        JWT_WS,
        "--user-id",
        "u-2",
    ]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn jwt_json_for_tools() {
    let t = token(
        json!({"user_id": "u-1", "plan": "pro", "exp": NOW + 60}),
        K_WEB,
    );
    let out = jwt(&t, &["--workspace", JWT_WS, "--json"]);
    assert_eq!(out.code, 0);
    let value: Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(value["accepted"], true);
    assert_eq!(value["verdict"]["outcome"], "accepted");
    assert_eq!(value["attributes"]["applied"], json!(["plan"]));
    insta::assert_snapshot!(shown(&out));
}

// ---------------------------------------------------------------------------------------------
// Bad input: exit 2
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_input_exits_2() {
    let t = token(json!({"user_id": "u-1"}), K_WEB);
    let broken_json = run(&["jwt", &t, "--workspace", "tests/fixtures/debug/broken.json"]);
    assert_eq!(broken_json.code, 2);
    assert!(
        broken_json
            .stderr
            .starts_with("error: tests/fixtures/debug/broken.json:"),
        "{}",
        broken_json.stderr
    );
    let broken_yaml = hash(&[
        "--user-id",
        "u-1",
        "--hash",
        "00",
        "--workspace",
        "tests/fixtures/debug/broken.yaml",
    ]);
    assert_eq!(broken_yaml.code, 2);
    assert!(
        broken_yaml
            .stderr
            .starts_with("error: tests/fixtures/debug/broken.yaml:4:"),
        "{}",
        broken_yaml.stderr
    );
    let missing = hash(&[
        "--user-id",
        "u-1",
        "--workspace",
        "tests/fixtures/debug/nowhere.yaml",
    ]);
    assert_eq!(missing.code, 2);
    let bad_now = run(&["jwt", &t, "--now", "tomorrow"]);
    assert_eq!(bad_now.code, 2);
    let bad_platform = hash(&[
        "--user-id",
        "u-1",
        "--platform",
        "windows",
        "--workspace",
        PROD,
    ]);
    assert_eq!(bad_platform.code, 2);
    let no_workspace = hash(&["--user-id", "u-1"]);
    assert_eq!(no_workspace.code, 2);
    let text = [
        ("broken JSON", &broken_json),
        ("broken YAML", &broken_yaml),
        ("missing file", &missing),
        ("bad --now", &bad_now),
        ("bad --platform", &bad_platform),
    ]
    .iter()
    .map(|(what, out)| format!("== {what}\n{}", shown(out)))
    .collect::<Vec<_>>()
    .join("\n");
    insta::assert_snapshot!(text);
}
