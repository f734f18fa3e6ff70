//! `messenger-conformance debug jwt` and `debug hash`, driven as a user would: one snapshot of
//! the human output per mistake the troubleshooting guides list, a few of the JSON, and the
//! exit codes (0 accepted, 1 not, 2 bad input). No secret of any fixture workspace may appear
//! in any output.
//!
//! Create or update: `INSTA_UPDATE=always cargo test --test integration debug_cli::`, then read the
//! `.snap` files. The snapshot of a table's case is named after the case.

use crate::common;

use common::{sign_jwt, Output};
use messenger_conformance::reference::jws::{b64url_encode, hmac_sha256, sign_raw};
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

/// `messenger-conformance debug ARGS`, from the crate root; fails if any fixture secret, or a
/// recognisable piece of one, is in what it printed.
fn run(args: &[&str]) -> Output {
    let out = common::cli(&[&["debug"], args].concat());
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

/// What a snapshot holds: the exit code, stdout, and stderr if any.
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

/// The exit code is `code`, stdout says each of `says`, and the whole output is the snapshot
/// named after the table's case.
fn assert_shown(name: &str, out: &Output, code: i32, says: &[&str]) {
    assert_eq!(out.code, code, "{}", shown(out));
    for text in says {
        assert!(out.stdout.contains(text), "{text:?} in:\n{}", shown(out));
    }
    insta::assert_snapshot!(name, shown(out));
}

// ---------------------------------------------------------------------------------------------
// debug hash
// ---------------------------------------------------------------------------------------------

/// The user_hash HMAC-SHA256(secret, text), standard base64 instead of hex.
fn base64_hash(secret: &str, text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .encode(hmac_sha256(secret.as_bytes(), text.as_bytes()))
}

common::cases!(debug_hash, named {
    hash_right: (
        &["--user-id", "u-1", "--email", "ada@example.com"],
        Some(user_hash(PROD_WEB, "u-1")),
        &["--workspace", PROD, "--workspace", TEST],
        0,
        &[]
    ),
    hash_over_email_while_user_id_sent: (
        &["--user-id", "u-1", "--email", "ada@example.com"],
        Some(user_hash(PROD_WEB, "ada@example.com")),
        &["--workspace", PROD, "--workspace", TEST],
        1,
        &["hash over the email while a user_id is sent: it must be computed over the user_id"]
    ),
    hash_without_identifier: (
        &[],
        Some(user_hash(PROD_WEB, "u-1")),
        &["--workspace", PROD],
        1,
        &["hash sent without an identifier"]
    ),
    hash_with_another_platform_secret: (
        &["--user-id", "u-1"],
        Some(user_hash(PROD_IOS, "u-1")),
        &["--platform", "web", "--workspace", PROD, "--workspace", TEST],
        1,
        &["hash made with the ios secret, but the request is on web: each platform has its own secret"]
    ),
    hash_with_the_test_workspace_secret: (
        &["--user-id", "u-1"],
        Some(user_hash(TEST_WEB, "u-1")),
        &["--workspace", PROD, "--workspace", TEST],
        1,
        &[
            "hash made with the [TEST] workspace's secret",
            "your test and production workspaces have their own secrets"
        ]
    ),
    hash_in_base64: (
        &["--user-id", "u-1"],
        Some(base64_hash(PROD_WEB, "u-1")),
        &["--workspace", PROD],
        1,
        &["not hex at all (looks like base64)"]
    ),
    hash_over_a_lowercased_email: (
        &["--email", "Ada@Example.com"],
        Some(user_hash(PROD_WEB, "ada@example.com")),
        &["--workspace", PROD],
        1,
        &[]
    ),
    hash_matching_no_secret: (
        &["--user-id", "u-1", "--email", "ada@example.com"],
        Some(user_hash("a-secret-someone-made-up", "u-1")),
        &["--workspace", PROD, "--workspace", TEST],
        1,
        &["no match with any configured secret", "production/web, production/ios"]
    ),
    hash_missing: (&["--user-id", "u-1"], None, &["--workspace", PROD], 1, &[]),
});

fn debug_hash(
    name: &str,
    identity: &[&str],
    sent: Option<String>,
    rest: &[&str],
    code: i32,
    says: &[&str],
) {
    let mut args = identity.to_vec();
    if let Some(sent) = &sent {
        args.extend(["--hash", sent.as_str()]);
    }
    args.extend_from_slice(rest);
    assert_shown(name, &hash(&args), code, says);
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

/// A token signed with k-web whose payload has a `+`, which is not base64url.
fn bad_base64_in_the_payload() -> String {
    let good = sign_jwt(&json!({"user_id": "u-1"}), K_WEB);
    let parts: Vec<&str> = good.split('.').collect();
    let payload = parts[1].replacen('J', "+", 1);
    format!("{}.{}.{}", parts[0], payload, parts[2])
}

common::cases!(
    debug_jwt,
    named {
        jwt_valid: (
            sign_jwt(
                &json!({"user_id": "u-1", "email": "ada@example.com", "plan": "pro", "exp": NOW + 3540}),
                K_WEB
            ),
            &["--workspace", JWT_WS, "--user-id", "u-1"],
            0,
            &["valid for another 59 min"]
        ),
        jwt_expired: (
            sign_jwt(
                &json!({"user_id": "u-1", "exp": NOW - 7500, "iat": NOW - 11100}),
                K_WEB
            ),
            &["--workspace", JWT_WS],
            1,
            &["expired 2 h 5 min ago"]
        ),
        jwt_signed_with_another_platform_key: (
            sign_jwt(&json!({"user_id": "u-1"}), K_IOS),
            &["--workspace", JWT_WS, "--platform", "web"],
            1,
            &["k-ios"]
        ),
        // Accepted (a far-future exp is not expired), but the hint says why it is wrong.
        jwt_exp_in_milliseconds: (
            sign_jwt(
                &json!({"user_id": "u-1", "exp": (NOW + 3600) * 1000}),
                K_WEB
            ),
            &["--workspace", JWT_WS],
            0,
            &["looks like milliseconds"]
        ),
        jwt_bad_base64_in_the_payload: (
            bad_base64_in_the_payload(),
            &["--workspace", JWT_WS],
            1,
            &["of the token"]
        ),
        jwt_payload_not_json: (
            sign_raw(
                br#"{"alg":"HS256","typ":"JWT"}"#,
                b"user_id=u-1",
                K_WEB.as_bytes()
            ),
            &["--workspace", JWT_WS],
            1,
            &[r#"header   {"alg":"HS256","typ":"JWT"}"#]
        ),
        jwt_alg_none: (
            format!(
                "{}.{}.",
                b64url_encode(br#"{"alg":"none","typ":"JWT"}"#),
                b64url_encode(br#"{"user_id":"admin"}"#)
            ),
            &["--workspace", JWT_WS],
            1,
            &[]
        ),
        jwt_without_workspace: (
            sign_jwt(
                &json!({"sub": "u-1", "exp": NOW + 600, "custom_attributes": {"plan": "pro"}}),
                K_WEB
            ),
            &["--user-id", "u-1"],
            1,
            &["cannot be checked without --workspace"]
        ),
    }
);

fn debug_jwt(name: &str, token: String, args: &[&str], code: i32, says: &[&str]) {
    assert_shown(name, &jwt(&token, args), code, says);
}

#[test]
fn jwt_identity_mismatch_and_rfc3339_now() {
    let t = sign_jwt(&json!({"user_id": "u-1", "nbf": NOW + 300}), K_WEB);
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
    let t = sign_jwt(
        &json!({"user_id": "u-1", "plan": "pro", "exp": NOW + 60}),
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
    let t = sign_jwt(&json!({"user_id": "u-1"}), K_WEB);
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
