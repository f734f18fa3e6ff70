//! The reference verifier against an independent implementation: the `jsonwebtoken` crate,
//! configured to the profile (HS256 only, leeway as the workspace's, no required claims, `exp` and
//! `nbf` validated, `aud` not).
//!
//! On well-formed tokens (a string `user_id`, numeric dates, a JSON-object payload) the two must
//! agree on accept/reject, whatever the key (right, wrong, another platform's), the times and the
//! leeway. They differ by design in places these tests avoid on purpose:
//!
//! - **the very second of `exp`**: the profile expires a token at `now == exp + leeway`
//!   (CONTRACT rule 2.6); jsonwebtoken only when `exp < now - leeway`. `jsonwebtoken` also reads
//!   the real clock, so every `exp` and `nbf` here is at least 30 s away from a boundary;
//!   [`the_exp_boundary_differs_by_design`] pins the one-second difference down;
//! - claims the profile checks and jsonwebtoken does not (`user_id`, `email` types, `exp: null`,
//!   `1e400`), and JSON jsonwebtoken reads leniently (duplicate members, non-canonical base64):
//!   the reference's own unit tests and the Wycheproof vectors cover those.
//!
//! Tokens also cross over: jsonwebtoken's `encode` output verifies under the reference codec and
//! verifier, and the reference's `sign_hs256` and signer output decodes under jsonwebtoken.

use crate::common;

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use messenger_conformance::contract::{
    FromAdapter, Outcome, Platform, SignMode, SignRequest, User, Verdict, VerifyRequest, Workspace,
};
use messenger_conformance::reference::{self, jws};
use serde_json::{json, Map, Value};

const K_WEB: &str = "jwt-web-secret-at-least-32-bytes-long-0001";
const K_IOS: &str = "jwt-ios-secret-at-least-32-bytes-long-0002";
const K_WRONG: &str = "not-a-key-of-this-workspace-at-all-0003";

fn real_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

fn workspace(leeway: i64) -> Workspace {
    serde_json::from_value(json!({
        "name": "production",
        "platforms": {
            "web": {"identity_verification": {"secret": "idv-web", "enforced": true}, "jwt": {"enabled": true}},
            "ios": {"identity_verification": {"secret": "idv-ios", "enforced": true}, "jwt": {"enabled": false}}
        },
        "jwt_keys": [
            {"id": "k-web", "secret": K_WEB, "platforms": ["web"]},
            {"id": "k-ios", "secret": K_IOS, "platforms": ["ios"]}
        ],
        "locked_attributes": ["plan"],
        "jwt_leeway_seconds": leeway
    }))
    .expect("test workspace")
}

/// jsonwebtoken, configured to the profile.
fn profile_validation(leeway: u64) -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = leeway;
    validation.required_spec_claims.clear();
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.validate_aud = false;
    validation
}

fn ours(token: &str, now: i64, leeway: i64) -> Verdict {
    reference::verify(&VerifyRequest {
        id: "x".into(),
        now,
        workspace: workspace(leeway),
        request: json!({"action": "boot", "platform": "web", "intercom_user_jwt": token}),
    })
}

/// jsonwebtoken's decision on a token for web, whose key is `K_WEB`.
fn theirs(token: &str, leeway: u64) -> Result<Value, jsonwebtoken::errors::Error> {
    theirs_with_key(token, K_WEB, leeway)
}

fn theirs_with_key(
    token: &str,
    key: &str,
    leeway: u64,
) -> Result<Value, jsonwebtoken::errors::Error> {
    decode::<Value>(
        token,
        &DecodingKey::from_secret(key.as_bytes()),
        &profile_validation(leeway),
    )
    .map(|d| d.claims)
}

#[test]
fn verdicts_agree_on_well_formed_tokens() {
    let now = real_now();
    let users = ["u-1", "ada@example.com", "jos\u{e9} \u{1F600}"];
    let keys = [("right", K_WEB), ("wrong", K_WRONG), ("ios", K_IOS)];
    let exp_offsets: [Option<f64>; 7] = [
        None,
        Some(-7200.0),
        Some(-600.0),
        Some(-120.0),
        Some(120.5),
        Some(600.0),
        Some(7200.0),
    ];
    let nbf_offsets: [Option<i64>; 5] = [None, Some(-3600), Some(-120), Some(120), Some(3600)];
    let leeways = [0i64, 60, 300];
    let headers = [
        json!({"alg": "HS256", "typ": "JWT"}),
        json!({"alg": "HS256", "kid": "k-web"}),
        json!({"alg": "HS512"}),
    ];

    let mut disagreements = Vec::new();
    let (mut checked, mut accepted) = (0, 0);
    for user in users {
        for (key_name, key) in keys {
            for exp in exp_offsets {
                for nbf in nbf_offsets {
                    for leeway in leeways {
                        for header in &headers {
                            let mut claims = Map::new();
                            claims.insert("user_id".into(), user.into());
                            claims.insert("name".into(), "Ada".into());
                            if let Some(offset) = exp {
                                // Whole seconds, except the one fractional offset.
                                let exp = now as f64 + offset;
                                claims.insert(
                                    "exp".into(),
                                    if exp.fract() == 0.0 {
                                        json!(exp as i64)
                                    } else {
                                        json!(exp)
                                    },
                                );
                            }
                            if let Some(offset) = nbf {
                                claims.insert("nbf".into(), json!(now + offset));
                            }
                            let token =
                                jws::sign_hs256(header, &Value::Object(claims), key.as_bytes());
                            let our_verdict = ours(&token, now, leeway);
                            let their_result = theirs(&token, leeway as u64);
                            checked += 1;
                            let we_accept = our_verdict.outcome == Outcome::Accepted;
                            accepted += usize::from(we_accept);
                            if we_accept != their_result.is_ok() {
                                disagreements.push(format!(
                                    "user {user:?}, key {key_name}, exp {exp:?}, nbf {nbf:?}, leeway {leeway}, header {header}: reference {:?} ({}), jsonwebtoken {:?}",
                                    our_verdict.error,
                                    our_verdict.message.unwrap_or_default(),
                                    their_result.err().map(|e| format!("{:?}", e.kind())),
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {checked} tokens disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    // The loop must exercise both outcomes, or agreement says nothing.
    assert!(
        accepted > 50 && accepted < checked - 50,
        "accepted {accepted} of {checked}"
    );
}

#[test]
fn the_exp_boundary_differs_by_design() {
    // At now == exp the profile says expired (rule 2.6); jsonwebtoken still accepts. Retry until
    // the clock does not tick over between building the token and jsonwebtoken's check.
    for _ in 0..10 {
        let before = real_now();
        let token = jws::sign_hs256(
            &json!({"alg": "HS256"}),
            &json!({"user_id": "u-1", "exp": before}),
            K_WEB.as_bytes(),
        );
        let their_result = theirs(&token, 0);
        if real_now() != before {
            continue;
        }
        assert!(
            their_result.is_ok(),
            "jsonwebtoken treats exp == now as valid: {their_result:?}"
        );
        let verdict = ours(&token, before, 0);
        assert_eq!(
            verdict.error,
            Some(messenger_conformance::contract::ErrorCode::JwtExpired)
        );
        return;
    }
    panic!("the clock ticked over ten times in a row");
}

#[test]
fn jsonwebtoken_tokens_verify_under_the_reference() {
    let now = real_now();
    let claims = json!({"user_id": "u-1", "email": "ada@example.com", "plan": "pro", "seats": 3, "exp": now + 3600});
    let mut with_kid = Header::new(Algorithm::HS256);
    with_kid.kid = Some("k-web".into());
    for header in [Header::new(Algorithm::HS256), with_kid] {
        let token = encode(
            &header,
            &claims,
            &EncodingKey::from_secret(K_WEB.as_bytes()),
        )
        .expect("encode");
        let decoded =
            jws::decode_verified(&token, K_WEB.as_bytes()).expect("the reference codec reads it");
        assert_eq!(Value::Object(decoded.claims.members), claims);
        let verdict = ours(&token, now, 0);
        assert_eq!(verdict.outcome, Outcome::Accepted, "{verdict:?}");
        assert_eq!(
            Value::Object(verdict.attributes.applied),
            json!({"plan": "pro", "seats": 3})
        );
        assert_eq!(verdict.attributes.dropped.len(), 0);
        // Signed with another algorithm, the reference refuses it.
        let hs512 = encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(K_WEB.as_bytes()),
        )
        .unwrap();
        assert_eq!(
            ours(&hs512, now, 0).error,
            Some(messenger_conformance::contract::ErrorCode::JwtAlgorithmNotAllowed)
        );
    }
}

#[test]
fn reference_tokens_decode_under_jsonwebtoken() {
    let now = real_now();
    let claims =
        json!({"user_id": "u-1", "email": "ada@example.com", "plan": "pro", "exp": now + 3600});
    let token = common::sign_jwt(&claims, K_WEB);
    assert_eq!(
        theirs(&token, 0).expect("jsonwebtoken reads the codec's token"),
        claims
    );

    let mut attributes = Map::new();
    attributes.insert("plan".into(), json!("pro"));
    let request = SignRequest {
        id: "s1".into(),
        now,
        mode: SignMode::Jwt,
        platform: Platform::Web,
        secret: K_WEB.into(),
        key_id: Some("k-web".into()),
        user: User {
            user_id: Some("u-1".into()),
            email: Some("ada@example.com".into()),
        },
        attributes,
        expires_in: Some(3600),
    };
    let FromAdapter::Signed(signed) = reference::sign(&request) else {
        panic!("the signer refused")
    };
    let jwt = signed.jwt.expect("a jwt");
    let header = jsonwebtoken::decode_header(&jwt).expect("header");
    assert_eq!(
        (header.alg, header.typ.as_deref(), header.kid.as_deref()),
        (Algorithm::HS256, Some("JWT"), Some("k-web"))
    );
    assert_eq!(
        theirs(&jwt, 0).expect("jsonwebtoken reads the signer's token"),
        json!({"user_id": "u-1", "email": "ada@example.com", "plan": "pro", "exp": now + 3600})
    );
    // And a wrong key fails there too.
    assert!(theirs_with_key(&jwt, K_WRONG, 0).is_err());
}
