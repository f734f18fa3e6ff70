//! Loading and building whole cases against the real `cases/fixtures.yaml`.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::crypto::{b64url, b64url_decode_lenient, hex, hmac, hmac_sha256};
use super::model::MacAlg;
use super::*;
use crate::contract::{Outcome, Role, SignMode, SignRequest, ToAdapter, VerifyRequest};

const NOW: i64 = DEFAULT_NOW;

/// A throwaway cases directory: the real fixtures and one case file `area/cases.yaml`.
struct TempSuite {
    dir: PathBuf,
}

impl TempSuite {
    fn new(cases_yaml: &str) -> TempSuite {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("mc-scenario-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("area")).unwrap();
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("cases")
            .join(FIXTURES_FILE);
        std::fs::copy(fixtures, dir.join(FIXTURES_FILE)).unwrap();
        std::fs::write(dir.join("area/cases.yaml"), cases_yaml).unwrap();
        TempSuite { dir }
    }

    fn load(&self) -> Result<Suite, LoadErrors> {
        load_suite(&self.dir)
    }
}

impl Drop for TempSuite {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn suite(cases_yaml: &str) -> Suite {
    match TempSuite::new(cases_yaml).load() {
        Ok(suite) => suite,
        Err(errors) => panic!("{errors}"),
    }
}

/// The messages of every load error.
fn errors(cases_yaml: &str) -> Vec<String> {
    match TempSuite::new(cases_yaml).load() {
        Ok(_) => panic!("loaded without errors"),
        Err(errors) => errors.errors.into_iter().map(|e| e.message).collect(),
    }
}

fn one_case(cases_yaml: &str) -> LoadedCase {
    let suite = suite(cases_yaml);
    assert_eq!(suite.cases.len(), 1);
    suite.cases.into_iter().next().unwrap()
}

fn verify_of(step: &BuiltStep) -> &VerifyRequest {
    match &step.message {
        ToAdapter::Verify(verify) => verify,
        other => panic!("not a verify message: {other:?}"),
    }
}

fn sign_of(step: &BuiltStep) -> &SignRequest {
    match &step.message {
        ToAdapter::Sign(sign) => sign,
        other => panic!("not a sign message: {other:?}"),
    }
}

fn request_of(step: &BuiltStep) -> &Value {
    &verify_of(step).request
}

/// A string the step's request sends: `user_hash`, `intercom_user_jwt`.
fn sent(step: &BuiltStep, field: &str) -> String {
    request_of(step)[field]
        .as_str()
        .unwrap_or_else(|| panic!("no string {field} in {}", request_of(step)))
        .to_string()
}

fn decode_json(part: &str) -> Value {
    serde_json::from_slice(&b64url_decode_lenient(part).unwrap()).unwrap()
}

const PROD_WEB: &str = "prod-web-idv-3f9a61c0d2e84b57d293d2ea";
const PROD_IOS: &str = "prod-ios-idv-8c1e0b4a97d3f26559e8e938";
const TEST_IOS: &str = "test-ios-idv-e6f3b8a1c0d59274f36f2cb0";
const K_WEB: &str = "prod-web-jwt-k-web-b04e7d1a9c35f862";

#[test]
fn a_user_hash_request_in_full() {
    let case = one_case(
        r#"
cases:
  - id: T-HASH-001
    title: An uppercase hash is refused on iOS
    requirements: [IDV-HEX-CASE]
    level: must
    tags: [troubleshooting]
    request:
      platform: ios
      user_id: u-1
      email: ada@example.com
      user_hash: {hmac: {over: user_id, secret: ios}, encoding: upper_hex}
      attributes: {plan: pro, name: Ada}
      raw: {email: null, extra: 1}
    expect: {outcome: rejected, error: user_hash_mismatch}
"#,
    );
    assert_eq!(
        (case.id.as_str(), case.area.as_str(), case.role),
        ("T-HASH-001", "area", Role::Verifier)
    );
    assert_eq!(case.file.file_name().unwrap(), "cases.yaml");
    assert_eq!((case.line, case.column), (3, 5));
    assert_eq!(case.tags, vec!["troubleshooting"]);
    assert!(!case.needs_exact_instant);
    let steps = case.build(case.now).unwrap();
    assert_eq!(steps.len(), 1);
    let hash = hex(&hmac_sha256(PROD_IOS.as_bytes(), b"u-1")).to_uppercase();
    let request = request_of(&steps[0]);
    assert_eq!(
        serde_json::to_string(request).unwrap(),
        serde_json::to_string(&json!({
            "action": "boot", "platform": "ios", "user_id": "u-1", "email": null,
            "user_hash": hash, "attributes": {"plan": "pro", "name": "Ada"}, "extra": 1
        }))
        .unwrap()
    );
    let verify = verify_of(&steps[0]);
    assert_eq!(
        (
            verify.id.as_str(),
            verify.now,
            verify.workspace.name.as_str()
        ),
        ("T-HASH-001/1", NOW, "production")
    );
    assert_eq!(
        steps[0].expectation,
        Expectation::Verdict(ExpectedVerdict {
            outcome: Outcome::Rejected,
            error: Some(crate::contract::ErrorCode::UserHashMismatch),
            also: Vec::new(),
            verified: false,
            identity: None,
            applied: Default::default(),
            dropped: Default::default(),
        })
    );
    // Every production secret, longest first, no repeats.
    let secrets = &steps[0].secrets;
    assert!(secrets.contains(&PROD_IOS.to_string()) && secrets.contains(&K_WEB.to_string()));
    assert_eq!(secrets.len(), 4);
    assert!(secrets.windows(2).all(|w| w[0].len() >= w[1].len()));
}

#[test]
fn hashes_over_each_identifier_and_other_secrets() {
    let case = one_case(
        r#"
cases:
  - id: T-HASH-002
    title: t
    requirements: [IDV-HEX-CASE]
    level: must
    steps:
      - request: {user_id: u-1, email: a@b.c, user_hash: {hmac: {over: email, secret: web}, encoding: base64}}
        expect: {outcome: rejected, error: user_hash_mismatch}
      - request: {user_id: u-1, email: a@b.c, user_hash: {hmac: {over: user_id_and_email, secret: test/ios}, encoding: base64url, edit: [{truncate: 10}, {append: "=="}]}}
        expect: {outcome: rejected, error: user_hash_mismatch}
      - request: {user_id: u-1, raw: {user_id: u-2}, user_hash: {hmac: {over: user_id, secret: "literal:k"}}}
        expect: {outcome: rejected, error: user_hash_mismatch}
      - request: {user_id: u-1, user_hash: {literal: "abc", edit: [{prepend: " "}]}}
        expect: {outcome: rejected, error: user_hash_mismatch}
      - request: {user_id: u-1, user_hash: {hmac: {over: {text: "u-2 "}, secret: empty}}}
        expect: {outcome: rejected, error: user_hash_mismatch}
"#,
    );
    let steps = case.build(NOW).unwrap();
    let hash = |i: usize| sent(&steps[i], "user_hash");
    use base64::Engine;
    let standard = base64::engine::general_purpose::STANDARD;
    assert_eq!(
        hash(0),
        standard.encode(hmac_sha256(PROD_WEB.as_bytes(), b"a@b.c"))
    );
    assert_eq!(
        hash(1),
        format!(
            "{}==",
            &b64url(&hmac_sha256(TEST_IOS.as_bytes(), b"u-1a@b.c"))[..10]
        )
    );
    assert!(
        steps[1].secrets.contains(&TEST_IOS.to_string()),
        "the other workspace's secret is redacted too"
    );
    assert_eq!(
        hash(2),
        hex(&hmac_sha256(b"k", b"u-2")),
        "over the user_id as sent, raw last"
    );
    assert_eq!(hash(3), " abc");
    assert_eq!(hash(4), hex(&hmac_sha256(b"", b"u-2 ")));
    let ids: Vec<&str> = steps.iter().map(|s| s.message.id().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "T-HASH-002/1",
            "T-HASH-002/2",
            "T-HASH-002/3",
            "T-HASH-002/4",
            "T-HASH-002/5"
        ]
    );
}

#[test]
fn a_jwt_from_header_claims_and_key() {
    let case = one_case(
        r#"
cases:
  - id: T-JWT-001
    title: t
    requirements: [JWT-SIGNATURE]
    level: must
    request:
      user_id: u-1
      jwt:
        header: {kid: k-web, typ: null}
        claims: {user_id: u-1, exp: now+1h, nbf: now-10s, plan: pro, note: nowhere}
        sign: {key: k-web}
    expect: {outcome: accepted, verified: true, identity: {user_id: u-1}, applied: {plan: pro, note: nowhere}}
"#,
    );
    assert!(!case.needs_exact_instant);
    for now in [NOW, 1_800_000_000] {
        let steps = case.build(now).unwrap();
        let token = sent(&steps[0], "intercom_user_jwt");
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(
            String::from_utf8(b64url_decode_lenient(parts[0]).unwrap()).unwrap(),
            r#"{"alg":"HS256","kid":"k-web"}"#
        );
        assert_eq!(
            decode_json(parts[1]),
            json!({"user_id": "u-1", "exp": now + 3600, "nbf": now - 10, "plan": "pro", "note": "nowhere"})
        );
        let signing_input = format!("{}.{}", parts[0], parts[1]);
        assert_eq!(
            parts[2],
            b64url(&hmac_sha256(K_WEB.as_bytes(), signing_input.as_bytes()))
        );
        // An independent implementation agrees.
        let key = jsonwebtoken::DecodingKey::from_secret(K_WEB.as_bytes());
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<Value>(&token, &key, &validation).unwrap();
    }
}

#[test]
fn raw_parts_placeholders_and_other_macs() {
    let case = one_case(
        r#"
cases:
  - id: T-JWT-002
    title: t
    requirements: [JWT-ALG]
    level: must
    request:
      user_id: u-1
      jwt:
        header_raw: '{"alg":"HS256","alg":"HS512"}'
        claims_raw: '{"user_id":"u-1","exp":{{now+2m}},"x":"{{not a time}}"}'
        sign: {secret: "literal:s3cret", alg: HS512}
    expect: {outcome: rejected, error: jwt_malformed}
"#,
    );
    let steps = case.build(NOW).unwrap();
    let token = sent(&steps[0], "intercom_user_jwt");
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(
        b64url_decode_lenient(parts[0]).unwrap(),
        br#"{"alg":"HS256","alg":"HS512"}"#
    );
    let payload = String::from_utf8(b64url_decode_lenient(parts[1]).unwrap()).unwrap();
    assert_eq!(
        payload,
        format!(
            r#"{{"user_id":"u-1","exp":{},"x":"{{{{not a time}}}}"}}"#,
            NOW + 120
        )
    );
    let signing_input = format!("{}.{}", parts[0], parts[1]);
    assert_eq!(
        parts[2],
        b64url(&hmac(MacAlg::HS512, b"s3cret", signing_input.as_bytes()))
    );
    assert!(steps[0].secrets.contains(&"s3cret".to_string()));
}

#[test]
fn unsigned_literal_and_tampered_tokens() {
    let case = one_case(
        r#"
cases:
  - id: T-JWT-003
    title: t
    requirements: [JWT-FORMAT]
    level: must
    steps:
      - request: {user_id: u-1, jwt: {header: {alg: none}, claims: {user_id: u-1}}}
        expect: {outcome: rejected, error: jwt_algorithm_not_allowed}
      - request: {user_id: u-1, jwt: {literal: "a.b.c", tamper: [drop_signature, {append_segment: d}]}}
        expect: {outcome: rejected, error: jwt_malformed}
      - request: {user_id: u-1, jwt: {claims: {user_id: u-1}, sign: {key: k-web}, tamper: [{flip_bit: {part: signature, bit: -1}}, json_serialization]}}
        expect: {outcome: rejected, error: jwt_malformed}
"#,
    );
    let steps = case.build(NOW).unwrap();
    let token = |i: usize| sent(&steps[i], "intercom_user_jwt");
    let unsigned = token(0);
    assert!(unsigned.ends_with('.'), "no sign: an empty signature");
    assert_eq!(
        decode_json(unsigned.split('.').next().unwrap()),
        json!({"alg": "none", "typ": "JWT"})
    );
    assert_eq!(token(1), "a.b.d");
    let json: Value = serde_json::from_str(&token(2)).unwrap();
    let signature = b64url_decode_lenient(json["signature"].as_str().unwrap()).unwrap();
    let signing_input = format!(
        "{}.{}",
        json["protected"].as_str().unwrap(),
        json["payload"].as_str().unwrap()
    );
    let mut want = hmac_sha256(K_WEB.as_bytes(), signing_input.as_bytes());
    want[31] ^= 1;
    assert_eq!(signature, want);
}

#[test]
fn steps_patch_the_workspace_cumulatively() {
    let case = one_case(
        r#"
cases:
  - id: T-ROT-001
    title: A key rotated out no longer verifies
    requirements: [KEY-ROTATION]
    level: must
    workspace: jwt-rotation
    patch: {locked_attributes: [plan, email]}
    steps:
      - title: both keys listed
        request: {user_id: u-1, jwt: {claims: {user_id: u-1}, sign: {key: k-old}}}
        expect: {outcome: accepted, verified: true, identity: {user_id: u-1}}
      - title: rotate k-old out
        after_seconds: 60
        patch: {jwt_keys: [{id: k-new, secret: rot-web-jwt-k-new-a7d3e05b1c84f926, platforms: [web]}]}
        request: {user_id: u-1, jwt: {claims: {user_id: u-1}, sign: {key: k-old}}}
        expect: {outcome: rejected, error: jwt_signature_invalid}
      - title: leeway
        patch: {jwt_leeway_seconds: 30}
        request: {user_id: u-1}
        expect: {outcome: rejected, error: jwt_required}
"#,
    );
    assert_eq!(
        (case.workspace.as_str(), case.step_count),
        ("jwt-rotation", 3)
    );
    assert!(
        !case.needs_exact_instant,
        "the later step uses no time expression"
    );
    let steps = case.build(NOW).unwrap();
    let verify = |i: usize| verify_of(&steps[i]);
    assert_eq!(steps[0].title.as_deref(), Some("both keys listed"));
    let ids = |i: usize| {
        verify(i)
            .workspace
            .jwt_keys
            .iter()
            .map(|k| k.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(0), ["k-old", "k-new"]);
    assert_eq!(ids(1), ["k-new"]);
    assert_eq!(ids(2), ["k-new"], "patches accumulate");
    assert_eq!(verify(2).workspace.jwt_leeway_seconds, 30);
    assert_eq!(verify(0).workspace.locked_attributes, ["plan", "email"]);
    assert_eq!(
        (verify(0).now, verify(1).now, verify(2).now),
        (NOW, NOW + 60, NOW)
    );
    // k-old still signs in step 2, after the patch took it out of the workspace; its secret is
    // still redacted.
    assert!(steps[1]
        .secrets
        .contains(&"rot-web-jwt-k-old-5f18c2e7a90b3d46".to_string()));
}

/// A patched key without a `secret` takes the secret of the key with its id (in the workspace,
/// another fixture workspace or the key library); an unknown id is a load error at its entry.
#[test]
fn a_patched_key_may_leave_its_secret_to_the_fixtures() {
    let case = one_case(
        r#"
cases:
  - id: T-KEY-001
    title: Keys by id
    requirements: [KEY-ROTATION]
    level: must
    workspace: jwt-rotation
    patch: {jwt_keys: [{id: k-new, platforms: [web, ios]}, {id: k-retired, platforms: [web]}]}
    request: {user_id: u-1, jwt: {claims: {user_id: u-1}, sign: {key: k-new}}}
    expect: {outcome: accepted, verified: true, identity: {user_id: u-1}}
"#,
    );
    let steps = case.build(NOW).unwrap();
    let keys: Vec<(String, String, usize)> = verify_of(&steps[0])
        .workspace
        .jwt_keys
        .iter()
        .map(|k| (k.id.clone(), k.secret.clone(), k.platforms.len()))
        .collect();
    assert_eq!(
        keys,
        [
            (
                "k-new".into(),
                "rot-web-jwt-k-new-a7d3e05b1c84f926".into(),
                2
            ),
            (
                "k-retired".into(),
                "prod-web-jwt-k-retired-91f0d6b3c8a2e457".into(),
                1
            )
        ]
    );
    let messages = errors(
        r#"
cases:
  - id: T-KEY-002
    title: Unknown key id
    requirements: [KEY-ROTATION]
    level: must
    patch: {jwt_keys: [{id: k-nosuch, platforms: [web]}]}
    request: {user_id: u-1}
    expect: {outcome: rejected, error: jwt_required}
"#,
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("key `k-nosuch` has no `secret`")),
        "{messages:?}"
    );
}

/// Whether a case whose token has `claims`, in the workspace after `patch`, is flagged as
/// needing the exact instant of its `now`.
fn flagged(claims: &str, patch: &str) -> bool {
    one_case(&format!(
        r#"
cases:
  - id: T-TIME
    title: t
    requirements: [JWT-EXP]
    level: must
    patch: {patch}
    request: {{user_id: u-1, jwt: {{claims: {claims}, sign: {{key: k-web}}}}}}
    expect: {{outcome: rejected, error: jwt_expired}}
"#
    ))
    .needs_exact_instant
}

#[test]
fn exact_instants_are_flagged() {
    let cases: &[(&str, &str, &str, bool)] = &[
        ("exp_now", "{user_id: u-1, exp: now}", "{}", true),
        ("exp_a_second_ahead", "{user_id: u-1, exp: now+1s}", "{}", true),
        ("nbf_seconds_ago", "{user_id: u-1, nbf: now-5s}", "{}", true),
        ("exp_an_hour_ago", "{user_id: u-1, exp: now-1h}", "{}", false),
        ("exp_at_the_leeway", "{user_id: u-1, exp: now-60s}", "{jwt_leeway_seconds: 60}", true),
        ("nbf_near_the_leeway", "{user_id: u-1, nbf: now+62s}", "{jwt_leeway_seconds: 60}", true),
        (
            "exp_an_hour_ago_with_leeway",
            "{user_id: u-1, exp: now-1h}",
            "{jwt_leeway_seconds: 60}",
            false,
        ),
    ];
    for &(case, claims, patch, exact) in cases {
        assert_eq!(flagged(claims, patch), exact, "{case}: {claims} after {patch}");
    }
}

#[test]
fn signer_expectations() {
    let suite = suite(
        r#"
cases:
  - id: T-SIGN-001
    title: t
    requirements: [SIGN-HASH]
    level: must
    sign: {mode: user_hash, platform: android, secret: android, user: {user_id: u-1, email: a@b.c}}
    expect: {outcome: signed, user_hash: {hmac: {over: user_id, secret: android}}}
  - id: T-SIGN-002
    title: t
    requirements: [SIGN-JWT-EXP]
    level: must
    sign: {mode: jwt, secret: "key:k-web", key_id: k-web, user: {user_id: u-1}, attributes: {plan: pro}, expires_in: 3600}
    expect: {outcome: signed, jwt: {secret: "key:k-web", claims: {user_id: u-1, plan: pro, exp: now+1h}}}
  - id: T-SIGN-003
    title: t
    requirements: [SIGN-JWT-USER-ID-REQUIRED]
    level: must
    sign: {mode: jwt, secret: "key:k-web", user: {email: a@b.c}}
    expect: {outcome: refused}
"#,
    );
    let built: Vec<BuiltStep> = suite
        .cases
        .iter()
        .map(|c| c.build(NOW).unwrap().remove(0))
        .collect();
    assert!(suite.cases.iter().all(|c| c.role == Role::Signer));
    let sign = sign_of(&built[0]);
    assert_eq!(
        (sign.id.as_str(), sign.mode, sign.secret.as_str()),
        (
            "T-SIGN-001/1",
            SignMode::UserHash,
            "prod-android-idv-5d7b2f90e1c6a348"
        )
    );
    let Expectation::UserHash { user_hash, .. } = &built[0].expectation else {
        panic!()
    };
    assert_eq!(
        user_hash,
        &hex(&hmac_sha256(b"prod-android-idv-5d7b2f90e1c6a348", b"u-1"))
    );
    let sign = sign_of(&built[1]);
    assert_eq!(
        (sign.key_id.as_deref(), sign.expires_in, sign.now),
        (Some("k-web"), Some(3600), NOW)
    );
    assert_eq!(sign.attributes["plan"], "pro");
    let Expectation::Jwt {
        secret,
        header,
        claims,
    } = &built[1].expectation
    else {
        panic!()
    };
    assert_eq!(secret, K_WEB);
    assert_eq!(
        Value::Object(header.clone()),
        json!({"alg": "HS256", "kid": "k-web"})
    );
    assert_eq!(
        Value::Object(claims.clone()),
        json!({"user_id": "u-1", "plan": "pro", "exp": NOW + 3600})
    );
    assert_eq!(
        built[2].expectation,
        Expectation::Refused {
            request: Some(Box::new(sign_of(&built[2]).clone()))
        }
    );
}

#[test]
fn a_signer_may_case_lists_every_answer_and_the_should_ones_come_from_the_table() {
    let case = one_case(
        r#"
cases:
  - id: T-SIGN-MAY
    title: t
    requirements: [SIGN-EMPTY-EMAIL]
    level: may
    sign: {mode: jwt, secret: "key:k-web", user: {user_id: u-1, email: ""}, expires_in: 60}
    expect:
      any_of:
        - outcome: refused
        - {outcome: signed, jwt: {secret: "key:k-web", claims: {user_id: u-1, exp: now+60s}}}
"#,
    );
    let steps = case.build(NOW).unwrap();
    let Expectation::SignerAnyOf {
        answers,
        should,
        request,
    } = &steps[0].expectation
    else {
        panic!("{:?}", steps[0].expectation)
    };
    assert!(matches!(answers[0], Expectation::Refused { .. }));
    assert!(matches!(answers[1], Expectation::Jwt { .. }));
    // A token with email "" fails at should only (CONTRACT's table).
    let [Expectation::Jwt { claims, .. }] = &should[..] else {
        panic!("{should:?}")
    };
    assert_eq!(claims["email"], "");
    assert_eq!(request.as_deref(), Some(sign_of(&steps[0])));
    // Neither the request nor the should-level answers reach a report (the secret is in them).
    let json = serde_json::to_string(&steps[0].expectation).unwrap();
    assert!(!json.contains(K_WEB) && !json.contains("should"), "{json}");
    // A signer case with `any_of` is `may`, like a verifier case.
    let errors = errors(
        r#"
cases:
  - id: T-SIGN-MUST
    title: t
    requirements: [SIGN-EMPTY-EMAIL]
    level: must
    sign: {mode: user_hash, secret: web, user: {user_id: u-1, email: ""}}
    expect:
      any_of:
        - outcome: refused
        - {outcome: signed, user_hash: {hmac: {over: user_id, secret: web}}}
"#,
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("`any_of` is for `level: may` cases")),
        "{errors:?}"
    );
}

#[test]
fn may_cases_list_every_verdict() {
    let case = one_case(
        r#"
cases:
  - id: T-MAY-001
    title: t
    requirements: [KEY-KID-CHOICE]
    level: may
    workspace: jwt-rotation
    request: {user_id: u-1, jwt: {header: {kid: k-new}, claims: {user_id: u-1}, sign: {key: k-old}}}
    expect:
      any_of:
        - {outcome: accepted, verified: true, identity: {user_id: u-1}}
        - {outcome: rejected, error: jwt_signature_invalid}
"#,
    );
    let steps = case.build(NOW).unwrap();
    let Expectation::AnyOf { verdicts } = &steps[0].expectation else {
        panic!()
    };
    assert_eq!(verdicts.len(), 2);
    assert_eq!(
        verdicts[0].identity.as_ref().unwrap().user_id.as_deref(),
        Some("u-1")
    );
    assert_eq!(verdicts[1].outcome, Outcome::Rejected);
}

const HEAD: &str = "cases:\n  - id: T-1\n    title: t\n    requirements: [JWT-ALG]\n";

fn case_errors(rest: &str) -> Vec<String> {
    errors(&format!("{HEAD}{rest}"))
}

/// A `must` case's request, and a `may` one's, and a `must` case's sign request: what an
/// `expect` follows.
const MUST_REQUEST: &str = "    level: must\n    request: {user_id: u}\n";
const MAY_REQUEST: &str = "    level: may\n    request: {user_id: u}\n";
const MUST_SIGN: &str = "    level: must\n    sign: {mode: jwt, secret: web, user: {user_id: u}}\n";

#[test]
fn expectations_must_be_coherent() {
    let cases: &[(&str, &str, &str, &[&str])] = &[
        (
            "a_rejected_verdict_with_what_only_acceptance_has",
            MUST_REQUEST,
            "{outcome: rejected, error: jwt_required, identity: {user_id: u}, verified: true, applied: {a: 1}}",
            &[
                "a rejected verdict has no identity",
                "a rejected verdict is never verified",
                "a rejected verdict has no `applied` attributes"
            ],
        ),
        (
            "an_accepted_verdict_with_an_error",
            MUST_REQUEST,
            "{outcome: accepted, error: jwt_required}",
            &["an accepted verdict has no error code"],
        ),
        (
            "a_signer_answer_to_a_request",
            MUST_REQUEST,
            "{outcome: signed}",
            &["`signed` and `refused` are signer answers; a request expects `accepted` or `rejected`"],
        ),
        ("no_outcome", MUST_REQUEST, "{verified: true}", &["the expectation has no `outcome`"]),
        (
            "any_of_in_a_must_case",
            MUST_REQUEST,
            "{any_of: [{outcome: accepted}, {outcome: rejected, error: jwt_required}]}",
            &["`any_of` is for `level: may` cases; this case is `must`"],
        ),
        (
            "outcome_beside_a_short_any_of",
            MAY_REQUEST,
            "{outcome: accepted, any_of: [{outcome: accepted}]}",
            &["`outcome` beside `any_of`", "`any_of` lists at least two answers"],
        ),
        (
            "a_signed_jwt_without_the_jwt_and_with_an_error",
            MUST_SIGN,
            "{outcome: signed, error: jwt_required}",
            &[
                "a `signed` expectation for mode jwt states the `jwt`",
                "`error` does not belong in a `signed` expectation"
            ],
        ),
        (
            "a_refusal_with_a_user_hash",
            MUST_SIGN,
            "{outcome: refused, user_hash: {literal: x}}",
            &["`user_hash` does not belong in a `refused` expectation"],
        ),
    ];
    for &(case, body, expect, says) in cases {
        assert_eq!(case_errors(&format!("{body}    expect: {expect}\n")), says, "{case}");
    }
}

#[test]
fn bodies_steps_and_roles() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "no_body",
            "    level: must\n    expect: {outcome: accepted}\n",
            &["a case needs exactly one of request, sign or steps"],
        ),
        (
            "a_request_and_steps",
            "    level: must\n    request: {}\n    steps: [{request: {}, expect: {outcome: accepted}}]\n",
            &["a case needs exactly one of request, sign or steps"],
        ),
        ("no_expect", "    level: must\n    request: {}\n", &["the case has no `expect`"]),
        (
            "a_request_step_and_a_sign_step",
            "    level: must\n    steps:\n      - {request: {}, expect: {outcome: accepted}}\n      - {sign: {mode: user_hash, secret: web, user: {user_id: u}}, expect: {outcome: refused}}\n",
            &["all steps of a case are requests, or all are sign requests"],
        ),
        (
            "a_step_without_a_body_and_steps_with_an_expect",
            "    level: must\n    steps: [{expect: {outcome: accepted}}]\n    expect: {outcome: accepted}\n",
            &["a step needs a request or sign", "a case with steps has no `expect` of its own"],
        ),
    ];
    for &(case, rest, says) in cases {
        assert_eq!(case_errors(rest), says, "{case}");
    }
}

#[test]
fn ids_titles_and_requirements_are_checked() {
    assert_eq!(
        errors("cases:\n  - id: 'bad id/1'\n    title: ' '\n    requirements: []\n    level: must\n    request: {}\n    expect: {outcome: accepted}\n"),
        ["`bad id/1` is not a case id", "the title is empty", "a case checks at least one requirement"]
    );
}

/// The load errors of a `must` case sending `request`.
fn request_errors(request: &str) -> Vec<String> {
    case_errors(&format!(
        "    level: must\n    request: {request}\n    expect: {{outcome: rejected, error: jwt_malformed}}\n"
    ))
}

#[test]
fn templates_and_references_are_checked_at_load() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "a_hash_over_a_missing_email",
            "{user_hash: {hmac: {over: email, secret: web}}}",
            &["the hash is over `email`, but the request has no string `email`"],
        ),
        (
            "an_encoding_of_a_literal",
            "{user_id: u, user_hash: {literal: x, encoding: hex}}",
            &["`encoding` applies to `hmac` only"],
        ),
        (
            "an_empty_user_hash",
            "{user_id: u, user_hash: {}}",
            &["a user_hash template needs `hmac` or `literal`"],
        ),
        (
            "a_jwt_without_claims",
            "{jwt: {header: {alg: none}}}",
            &["a JWT template needs `claims` or `claims_raw` (or a `literal` token)"],
        ),
        (
            "a_literal_with_claims",
            "{jwt: {literal: a.b.c, claims: {}}}",
            &["a `literal` token cannot also have `claims`"],
        ),
        ("an_empty_sign", "{jwt: {claims: {}, sign: {}}}", &["`sign` needs `key` or `secret`"]),
        (
            "a_sign_with_key_and_secret",
            "{jwt: {claims: {}, sign: {key: k-web, secret: web}}}",
            &["`sign` has both `key` and `secret`"],
        ),
        (
            "a_tamper_that_changes_nothing",
            "{jwt: {claims: {}, tamper: [strip_signature]}}",
            &["this tamper op leaves the token unchanged"],
        ),
        (
            "a_tamper_after_json_serialization",
            "{jwt: {claims: {}, tamper: [json_serialization, trailing_dot]}}",
            &["no tamper op can follow `json_serialization`"],
        ),
        ("an_unknown_key", "{jwt: {claims: {}, sign: {key: k-nope}}}", &["unknown key `k-nope`"]),
    ];
    for &(case, request, says) in cases {
        assert_eq!(request_errors(request), says, "{case}");
    }
}

#[test]
fn bad_references_and_placeholders_list_the_forms() {
    assert_eq!(
        request_errors("{user_id: u, user_hash: {hmac: {over: user_id, secret: wbe}}}")[0],
        format!("bad secret reference `wbe`: expected {SECRET_FORMS}")
    );
    assert_eq!(
        request_errors("{jwt: {claims_raw: '{\"exp\":{{now+1y}}}'}}"),
        [format!(
            "bad placeholder `{{{{now+1y}}}}`: expected {}",
            time::TIME_FORMS
        )]
    );
}

#[test]
fn patches_must_leave_a_valid_workspace() {
    let patched = |patch: &str| {
        case_errors(&format!(
            "    level: must\n    patch: {patch}\n    request: {{user_id: u}}\n    expect: {{outcome: rejected, error: jwt_required}}\n"
        ))
    };
    assert!(patched("{jwt_leeway_seconds: soon}")[0]
        .starts_with("after this patch the workspace is invalid: invalid type"));
    assert!(
        patched("{platforms: {web: {jwt: {enable: true}}}}")[0].contains("unknown field `enable`")
    );
    assert_eq!(
        patched("{platforms: {ios: null}}"),
        ["after this patch the workspace has no ios settings"]
    );
    assert_eq!(
        patched("[1]"),
        ["a patch is a mapping, merged into the workspace (RFC 7396)"]
    );
}

/// Every load error as `line: message`, with its hint.
fn located_errors(errors: &LoadErrors) -> Vec<(usize, String, String)> {
    errors
        .errors
        .iter()
        .map(|e| {
            (
                e.line,
                e.message.clone(),
                e.hint.clone().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn a_short_secret_handed_to_the_implementation_is_refused_where_it_is_written() {
    let short_key = "k-web-key-of-30-bytes-01234567";
    let short_sign = "sign-secret-of-29-bytes-01234";
    assert_eq!((short_key.len(), short_sign.len()), (30, 29));
    let yaml = format!(
        r#"
cases:
  - id: T-SHORT-001
    title: a short key in a patch
    requirements: [JWT-SIGNATURE]
    level: must
    patch:
      jwt_keys:
        - {{id: k-web, secret: {short_key}, platforms: [web]}}
    request:
      jwt: {{claims: {{user_id: u-1}}, sign: {{key: k-web}}}}
    expect: {{outcome: accepted, verified: true, identity: {{user_id: u-1}}}}
  - id: T-SHORT-002
    title: a short secret handed to a signer
    requirements: [SIGN-HASH]
    level: must
    sign: {{mode: user_hash, secret: "literal:{short_sign}", user: {{user_id: u-1}}}}
    expect: {{outcome: signed, user_hash: {{hmac: {{over: user_id, secret: "literal:{short_sign}"}}}}}}
  - id: T-SHORT-003
    title: a short-key case may use one
    requirements: [KEY-SHORT-SECRET]
    level: should
    patch:
      jwt_keys:
        - {{id: k-web, secret: jk-1, platforms: [web]}}
    request:
      jwt: {{claims: {{user_id: u-1}}, sign: {{key: k-web}}}}
    expect: {{outcome: accepted, verified: true, identity: {{user_id: u-1}}}}
  - id: T-SHORT-004
    title: naming the requirement is not enough at must level
    requirements: [KEY-SHORT-SECRET]
    level: must
    steps:
      - patch:
          platforms: {{ios: {{identity_verification: {{secret: ios-idv-short}}}}}}
        request: {{platform: ios, user_id: u-1, user_hash: {{hmac: {{over: user_id, secret: ios}}}}}}
        expect: {{outcome: accepted, verified: true, identity: {{user_id: u-1}}}}
  - id: T-SHORT-005
    title: a forged token's secret never reaches the implementation, nor does an empty one
    requirements: [JWT-SIGNATURE]
    level: must
    patch:
      jwt_keys:
        - {{id: k-empty, secret: "", platforms: [web]}}
    request:
      jwt: {{claims: {{user_id: u-1}}, sign: {{secret: "literal:attacker"}}}}
    expect: {{outcome: rejected, error: jwt_signature_invalid}}
"#
    );
    let errors = TempSuite::new(&yaml)
        .load()
        .expect_err("short secrets fail the load");
    let found = located_errors(&errors);
    let lines: Vec<usize> = found.iter().map(|(line, _, _)| *line).collect();
    assert_eq!(lines, vec![9, 17, 35], "{errors}");
    assert!(found[0].1.starts_with("a secret of 30 bytes: every key and secret an implementation is handed is at least 32 bytes"), "{errors}");
    assert!(found[1].1.starts_with("a secret of 29 bytes"), "{errors}");
    assert!(found[2].1.starts_with("a secret of 13 bytes"), "{errors}");
    for (_, message, hint) in &found {
        assert!(hint.contains("lengthen it to 32 bytes or more"), "{hint}");
        assert!(
            hint.contains("`level: should` and KEY-SHORT-SECRET"),
            "{hint}"
        );
        assert!(!message.contains(short_key) && !message.contains(short_sign));
    }
    let text = errors.to_string();
    assert!(text.contains("cases.yaml:9:"), "{text}");
    assert!(text.contains("jwt_keys"), "{text}");
}

#[test]
fn a_short_fixture_secret_is_refused_whatever_the_case() {
    let temp = TempSuite::new(
        r#"
cases:
  - id: T-FIX-001
    title: anything
    requirements: [VISITOR-ANONYMOUS]
    level: should
    request: {platform: web}
    expect: {outcome: accepted}
"#,
    );
    let path = temp.dir.join(FIXTURES_FILE);
    let fixtures = std::fs::read_to_string(&path).unwrap();
    let short = fixtures.replacen(PROD_WEB, "prod-web-idv-short", 1);
    assert_ne!(fixtures, short);
    std::fs::write(&path, short).unwrap();
    let errors = temp
        .load()
        .expect_err("a short fixture secret fails the load");
    assert_eq!(errors.errors.len(), 1, "{errors}");
    let error = &errors.errors[0];
    assert_eq!(
        error.file,
        Path::new(temp.dir.file_name().unwrap()).join(FIXTURES_FILE)
    );
    assert!(error.line > 0, "{errors}");
    assert!(
        error.message.starts_with("a secret of 18 bytes"),
        "{errors}"
    );
    assert!(
        !error
            .hint
            .as_deref()
            .unwrap_or_default()
            .contains("KEY-SHORT-SECRET"),
        "no case can exempt a fixture: {errors}"
    );
}

#[test]
fn an_expected_jwt_header_does_not_list_typ() {
    let found = errors(
        r#"
cases:
  - id: T-TYP-001
    title: typ is the judge's business
    requirements: [SIGN-JWT-HEADER]
    level: must
    sign: {mode: jwt, secret: "key:k-web", user: {user_id: u-1}}
    expect:
      outcome: signed
      jwt: {secret: "key:k-web", header: {alg: HS256, typ: JWT}, claims: {user_id: u-1}}
"#,
    );
    assert_eq!(
        found,
        vec!["an expected header does not list `typ`".to_string()]
    );
}

#[test]
fn a_case_sets_its_own_severity_only_with_a_reason() {
    let located = |rest: &str| -> Vec<String> {
        match TempSuite::new(&format!("{HEAD}{rest}")).load() {
            Ok(_) => panic!("loaded without errors"),
            Err(errors) => errors
                .errors
                .into_iter()
                .map(|e| format!("{}: {}", e.location(), e.message))
                .collect(),
        }
    };
    let body = "    request: {user_id: u}\n    expect: {outcome: accepted}\n";
    let errors = located(&format!("    level: must\n    severity: major\n{body}"));
    assert!(
        errors[0].ends_with("area/cases.yaml:6:15: `severity: major` needs a `severity_reason`"),
        "{errors:?}"
    );
    let errors = located(&format!(
        "    level: must\n    severity: minor\n    severity_reason: ' '\n{body}"
    ));
    assert!(
        errors[0].ends_with("area/cases.yaml:7:22: `severity: minor` needs a `severity_reason`"),
        "{errors:?}"
    );
    let errors = located(&format!(
        "    level: must\n    severity_reason: because\n{body}"
    ));
    assert!(
        errors[0].ends_with("area/cases.yaml:6:22: `severity_reason` without a `severity`"),
        "{errors:?}"
    );
    let errors = located(&format!(
        "    level: should\n    severity: critical\n    severity_reason: it lets anyone in\n{body}"
    ));
    assert!(
        errors[0].ends_with("area/cases.yaml:6:15: a `should` case cannot be `critical`"),
        "{errors:?}"
    );
    let case = one_case(&format!(
        "{HEAD}    level: must\n    severity: minor\n    severity_reason: the platform made the token\n{body}"
    ));
    assert_eq!(case.source.severity, Some(model::CaseSeverity::Minor));
    assert_eq!(
        case.source.severity_reason.as_deref(),
        Some("the platform made the token")
    );
}
