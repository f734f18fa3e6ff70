//! The signer rules (CONTRACT.md, "The signer rules"): what a customer's backend sends.
//!
//! - `user_hash`: lowercase hex HMAC-SHA256(`secret`, `user_id` if the user has one, else
//!   `email`); a user with neither is refused.
//! - `jwt`: header `{"alg":"HS256","typ":"JWT"}` plus `kid` = `key_id` when given; claims
//!   `user_id` (required), `email` when the user has one, each attribute as a top-level claim,
//!   and `exp = now + expires_in` (integer seconds) when `expires_in` is given. No `iat`, no
//!   other claim.
//!
//! For the inputs the signer rules leave open (CONTRACT, "Inputs the signer rules leave open"),
//! refusing conforms in every row, and the reference refuses (each refusal below says why):
//!
//! - an empty secret: verifiers never accept a hash or token made with one (rules 2.4, 3.3);
//! - an empty `user_id` or `email`: rule 1 rejects them in a request;
//! - in `jwt` mode, an attribute named like an identity claim (`user_id`, `email`), a registered
//!   claim (`exp`, `nbf`, `iat`, `iss`, `aud`, `sub`, `jti`) or a reserved request field
//!   (`user_hash`, `intercom_user_jwt`);
//! - `expires_in` of zero or less, or so large that `now + expires_in` overflows.
//!
//! [`conforming`] gives, for any request, every answer the table allows (the reference's refusal
//! and, where the table allows it, the answer of a signer that reads the open input the other
//! way, [`Reading::OPEN`]) and the answers that fail at `should` level only.

use serde_json::{Map, Value};

use super::jws;
use super::user_hash::user_hash;
use super::verifier::{REGISTERED_CLAIMS, RESERVED_ATTRIBUTES};
use crate::contract::{FromAdapter, Refused, SignMode, SignRequest, Signed};

/// The requirement ids of the signer rules for the inputs they leave open, each an id of
/// `src/spec/requirements.yaml` (a unit test checks it).
pub mod requirement {
    /// A user_hash is never the HMAC of the empty string.
    pub const HASH_NEVER_EMPTY: &str = "SIGN-HASH-NEVER-EMPTY";
    /// An empty user_id is never the user's id.
    pub const EMPTY_USER_ID: &str = "SIGN-EMPTY-USER-ID";
    /// An empty email is refused or left out (should).
    pub const EMPTY_EMAIL: &str = "SIGN-EMPTY-EMAIL";
    /// An empty secret is refused (should).
    pub const EMPTY_SECRET: &str = "SIGN-EMPTY-SECRET";
    /// No user_id, no JWT.
    pub const JWT_USER_ID_REQUIRED: &str = "SIGN-JWT-USER-ID-REQUIRED";
    /// No identity, time or reserved claim from an attribute.
    pub const JWT_RESERVED_ATTRIBUTES: &str = "SIGN-JWT-RESERVED-ATTRIBUTES";
    /// exp is exactly now + expires_in (past i64 too), or a refusal; never wrapped or
    /// clamped.
    pub const JWT_LIFETIME_RANGE: &str = "SIGN-JWT-LIFETIME-RANGE";

    /// Every id above.
    #[cfg(test)]
    pub const ALL: &[&str] = &[
        HASH_NEVER_EMPTY,
        EMPTY_USER_ID,
        EMPTY_EMAIL,
        EMPTY_SECRET,
        JWT_USER_ID_REQUIRED,
        JWT_RESERVED_ATTRIBUTES,
        JWT_LIFETIME_RANGE,
    ];
}

/// `now + expires_in` exactly, as a JSON number: past `i64::MAX` too, as a signer whose
/// integers do not overflow (Python, Ruby) writes it. `None` when no JSON integer holds it.
pub(crate) fn exact_exp(now: i64, seconds: i64) -> Option<Value> {
    let sum = i128::from(now) + i128::from(seconds);
    i64::try_from(sum)
        .map(Value::from)
        .or_else(|_| u64::try_from(sum).map(Value::from))
        .ok()
}

/// How a signer reads the inputs the signer rules leave open. [`Reading::REFUSE`] is the
/// reference's (refuse every one of them); [`Reading::OPEN`] is the other conforming reading of
/// each row of the table; the two flags beyond it give answers that fail at `should` level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reading {
    /// An empty `user_id` or `email` is read as absent (JavaScript's `user_id || email`) where
    /// that leaves the user with a non-empty identifier: in `user_hash` mode the hash is then over
    /// the other one; in `jwt` mode an empty email is left out of the token (an empty user_id is
    /// still refused: a JWT needs one).
    pub empty_as_absent: bool,
    /// In `jwt` mode, attributes with a reserved name are left out of the token.
    pub drop_reserved: bool,
    /// In `jwt` mode, a lifetime of zero or less gives `exp = now + expires_in`.
    pub any_lifetime: bool,
    /// An empty email beside a user_id is written into the token as `""` (fails at `should`).
    pub keep_empty_email: bool,
    /// An empty secret keys the HMAC (fails at `should`).
    pub empty_secret: bool,
}

impl Reading {
    /// Refuse every input the rules leave open: the reference.
    pub const REFUSE: Reading = Reading {
        empty_as_absent: false,
        drop_reserved: false,
        any_lifetime: false,
        keep_empty_email: false,
        empty_secret: false,
    };
    /// The other conforming answer of every row.
    pub const OPEN: Reading = Reading {
        empty_as_absent: true,
        drop_reserved: true,
        any_lifetime: true,
        keep_empty_email: false,
        empty_secret: false,
    };
}

/// Every answer the signer rules allow for one request, and those that fail at `should` only.
#[derive(Debug, Clone, PartialEq)]
pub struct Conforming {
    /// The reference's answer first, then the other conforming one, if any.
    pub answers: Vec<FromAdapter>,
    /// Signed answers that break only a `should` rule (a token with `email: ""`, a MAC under an
    /// empty secret), not in `answers`.
    pub should: Vec<FromAdapter>,
}

/// The conforming answers to `request` (CONTRACT, "Inputs the signer rules leave open").
pub fn conforming(request: &SignRequest) -> Conforming {
    let reference = sign(request);
    let mut answers = vec![reference.clone()];
    let open = sign_read(request, Reading::OPEN);
    if open != reference && matches!(open, FromAdapter::Signed(_)) {
        answers.push(open);
    }
    let mut should = Vec::new();
    for reading in [
        Reading {
            keep_empty_email: true,
            ..Reading::OPEN
        },
        Reading {
            empty_secret: true,
            ..Reading::OPEN
        },
        Reading {
            keep_empty_email: true,
            empty_secret: true,
            ..Reading::OPEN
        },
    ] {
        let answer = sign_read(request, reading);
        if matches!(answer, FromAdapter::Signed(_))
            && !answers.contains(&answer)
            && !should.contains(&answer)
        {
            should.push(answer);
        }
    }
    Conforming { answers, should }
}

/// Answer one `sign` request: `signed`, or `refused` with the reason.
pub fn sign(request: &SignRequest) -> FromAdapter {
    sign_read(request, Reading::REFUSE)
}

/// Answer one `sign` request reading the open inputs as `reading` says.
pub fn sign_read(request: &SignRequest, reading: Reading) -> FromAdapter {
    let result = match request.mode {
        SignMode::UserHash => sign_user_hash(request, reading).map(|hash| (Some(hash), None)),
        SignMode::Jwt => sign_jwt(request, reading).map(|jwt| (None, Some(jwt))),
    };
    match result {
        Ok((user_hash, jwt)) => FromAdapter::Signed(Signed {
            id: request.id.clone(),
            user_hash,
            jwt,
        }),
        Err(refusal) => FromAdapter::Refused(Refused {
            id: request.id.clone(),
            message: refusal.to_string(),
        }),
    }
}

/// Why the reference refuses to sign: the message of its `refused` answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum Refusal {
    #[error(
        "the secret is empty: verifiers never accept a user_hash or JWT made with an empty secret"
    )]
    EmptySecret,
    #[error("the user_id is an empty string, which verifiers reject")]
    EmptyUserId,
    #[error("the email is an empty string, which verifiers reject")]
    EmptyEmail,
    #[error("a user_hash needs a user_id or an email; this user has neither")]
    NoIdentifier,
    #[error("a user JWT needs a user_id (the `user_id` claim is required); this user has none")]
    NoUserId,
    /// Attributes named like a claim or field of their own (in the request's order).
    #[error("{}", reserved_words(.0))]
    ReservedAttributes(Vec<String>),
    #[error("expires_in {0} would make a token that is expired on arrival")]
    ExpiredOnArrival(i64),
    #[error("now {now} + expires_in {expires_in} overflows a 64-bit integer")]
    Overflow { now: i64, expires_in: i64 },
}

fn reserved_words(reserved: &[String]) -> String {
    let one = reserved.len() == 1;
    format!(
        "attribute{} {} would become top-level claim{} with a meaning of {} own (identity, registered claim or request field); refusing rather than overwrite it",
        if one { "" } else { "s" },
        reserved.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
        if one { "" } else { "s" },
        if one { "its" } else { "their" },
    )
}

/// The user's identifiers as `reading` takes them: `None` for absent, and for an empty one read
/// as absent; an error for an empty one it refuses.
fn identifiers<'a>(
    request: &'a SignRequest,
    reading: Reading,
) -> Result<(Option<&'a str>, Option<&'a str>), Refusal> {
    if request.secret.is_empty() && !reading.empty_secret {
        return Err(Refusal::EmptySecret);
    }
    let (user_id, email) = (
        request.user.user_id.as_deref(),
        request.user.email.as_deref(),
    );
    let non_empty = |id: Option<&'a str>| id.filter(|id| !id.is_empty());
    let user_id = match user_id {
        Some("") if reading.empty_as_absent && request.mode == SignMode::UserHash => None,
        Some("") => return Err(Refusal::EmptyUserId),
        other => other,
    };
    let email = match email {
        // Beside a user_id, an empty email may be left out (or, at should level, kept as "").
        Some("") if non_empty(user_id).is_some() && reading.keep_empty_email => Some(""),
        Some("") if non_empty(user_id).is_some() && reading.empty_as_absent => None,
        // Without a user_id, reading it as absent leaves no identifier: refused below.
        Some("") if user_id.is_none() && reading.empty_as_absent => None,
        Some("") => return Err(Refusal::EmptyEmail),
        other => other,
    };
    Ok((user_id, email))
}

/// The `user_hash` for the request's user, or why there is none.
fn sign_user_hash(request: &SignRequest, reading: Reading) -> Result<String, Refusal> {
    let identifier = match identifiers(request, reading)? {
        (Some(user_id), _) => user_id,
        (None, Some(email)) => email,
        (None, None) => return Err(Refusal::NoIdentifier),
    };
    Ok(user_hash(&request.secret, identifier))
}

/// The user JWT for the request's user, or why there is none.
fn sign_jwt(request: &SignRequest, reading: Reading) -> Result<String, Refusal> {
    let (user_id, email) = identifiers(request, reading)?;
    let Some(user_id) = user_id else {
        return Err(Refusal::NoUserId);
    };
    let is_reserved =
        |name: &str| RESERVED_ATTRIBUTES.contains(&name) || REGISTERED_CLAIMS.contains(&name);
    let reserved: Vec<&str> = request
        .attributes
        .keys()
        .map(String::as_str)
        .filter(|name| is_reserved(name))
        .collect();
    if !reserved.is_empty() && !reading.drop_reserved {
        return Err(Refusal::ReservedAttributes(
            reserved.into_iter().map(str::to_string).collect(),
        ));
    }
    let exp = match request.expires_in {
        None => None,
        Some(seconds) if seconds <= 0 && !reading.any_lifetime => {
            return Err(Refusal::ExpiredOnArrival(seconds));
        }
        Some(seconds) => match exact_exp(request.now, seconds) {
            Some(exp) if reading.any_lifetime || request.now.checked_add(seconds).is_some() => {
                Some(exp)
            }
            _ => {
                return Err(Refusal::Overflow {
                    now: request.now,
                    expires_in: seconds,
                })
            }
        },
    };

    let mut header = Map::new();
    header.insert("alg".into(), jws::ALG_HS256.into());
    header.insert("typ".into(), "JWT".into());
    if let Some(kid) = &request.key_id {
        header.insert("kid".into(), kid.clone().into());
    }

    let mut claims = Map::new();
    claims.insert("user_id".into(), user_id.into());
    if let Some(email) = email {
        claims.insert("email".into(), email.into());
    }
    for (name, value) in &request.attributes {
        if !is_reserved(name) {
            claims.insert(name.clone(), value.clone());
        }
    }
    if let Some(exp) = exp {
        claims.insert("exp".into(), exp);
    }
    Ok(jws::sign_hs256(
        &Value::Object(header),
        &Value::Object(claims),
        request.secret.as_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{Platform, User};
    use serde_json::json;

    fn request(mode: SignMode, user_id: Option<&str>, email: Option<&str>) -> SignRequest {
        SignRequest {
            id: "s1".into(),
            now: 1_767_225_600,
            mode,
            platform: Platform::Web,
            secret: "jk-1".into(),
            key_id: None,
            user: User {
                user_id: user_id.map(String::from),
                email: email.map(String::from),
            },
            attributes: Map::new(),
            expires_in: None,
        }
    }

    fn signed(answer: FromAdapter) -> Signed {
        match answer {
            FromAdapter::Signed(s) => s,
            other => panic!("expected signed, got {other:?}"),
        }
    }

    fn refused(answer: FromAdapter) -> String {
        match answer {
            FromAdapter::Refused(r) => {
                assert_eq!(r.id, "s1");
                r.message
            }
            other => panic!("expected refused, got {other:?}"),
        }
    }

    fn decode(jwt: &str, secret: &str) -> (Value, Value) {
        let decoded = jws::decode_verified(jwt, secret.as_bytes()).expect("our own token verifies");
        (
            Value::Object(decoded.header.members),
            Value::Object(decoded.claims.members),
        )
    }

    #[test]
    fn user_hash_is_over_user_id_when_there_is_one() {
        let s = signed(sign(&request(
            SignMode::UserHash,
            Some("u-1"),
            Some("ada@example.com"),
        )));
        assert_eq!(
            s.user_hash.as_deref(),
            Some(user_hash("jk-1", "u-1").as_str())
        );
        assert_eq!(s.jwt, None);
        assert_eq!(s.id, "s1");
    }

    #[test]
    fn user_hash_is_over_email_without_user_id() {
        let s = signed(sign(&request(
            SignMode::UserHash,
            None,
            Some("ada@example.com"),
        )));
        assert_eq!(s.user_hash, Some(user_hash("jk-1", "ada@example.com")));
        assert!(s
            .user_hash
            .unwrap()
            .bytes()
            .all(|b| !b.is_ascii_uppercase()));
    }

    #[test]
    fn user_hash_without_identifier_is_refused() {
        let message = refused(sign(&request(SignMode::UserHash, None, None)));
        assert!(message.contains("neither"), "{message}");
    }

    #[test]
    fn jwt_has_the_profile_header_and_claims() {
        let mut r = request(SignMode::Jwt, Some("u-1"), Some("ada@example.com"));
        r.key_id = Some("k1".into());
        r.attributes.insert("plan".into(), json!("pro"));
        r.attributes.insert("seats".into(), json!(3));
        r.expires_in = Some(3600);
        let s = signed(sign(&r));
        assert_eq!(s.user_hash, None);
        let jwt = s.jwt.unwrap();
        let (header, claims) = decode(&jwt, "jk-1");
        assert_eq!(header, json!({"alg": "HS256", "typ": "JWT", "kid": "k1"}));
        assert_eq!(
            claims,
            json!({"user_id": "u-1", "email": "ada@example.com", "plan": "pro", "seats": 3, "exp": 1_767_229_200})
        );
        // exp is an integer number of seconds, not milliseconds; no iat.
        assert!(claims["exp"].is_i64() || claims["exp"].is_u64());
        assert!(claims.get("iat").is_none());
        // Signed with the request's secret, nothing else.
        assert!(jws::decode_verified(&jwt, b"jk-2").is_err());
    }

    #[test]
    fn jwt_minimal_has_no_kid_email_or_exp() {
        let s = signed(sign(&request(SignMode::Jwt, Some("u-1"), None)));
        let (header, claims) = decode(&s.jwt.unwrap(), "jk-1");
        assert_eq!(header, json!({"alg": "HS256", "typ": "JWT"}));
        assert_eq!(claims, json!({"user_id": "u-1"}));
    }

    #[test]
    fn jwt_without_user_id_is_refused() {
        let message = refused(sign(&request(SignMode::Jwt, None, Some("ada@example.com"))));
        assert!(message.contains("user_id"), "{message}");
    }

    #[test]
    fn jwt_attributes_may_not_shadow_identity_or_registered_claims() {
        for name in [
            "user_id",
            "email",
            "exp",
            "nbf",
            "iat",
            "iss",
            "aud",
            "sub",
            "jti",
            "user_hash",
            "intercom_user_jwt",
        ] {
            let mut r = request(SignMode::Jwt, Some("u-1"), None);
            r.attributes.insert(name.into(), json!("x"));
            let message = refused(sign(&r));
            assert!(message.contains(&format!("`{name}`")), "{name}: {message}");
        }
    }

    /// The words of every refusal, as `refused` answers and failure messages show them.
    #[test]
    fn refusals_say_why_in_words() {
        let mut r = request(SignMode::Jwt, Some("u-1"), None);
        r.attributes.insert("sub".into(), json!("x"));
        assert_eq!(
            refused(sign(&r)),
            "attribute `sub` would become top-level claim with a meaning of its own (identity, registered claim or request field); refusing rather than overwrite it"
        );
        r.attributes.insert("email".into(), json!("x"));
        assert_eq!(
            refused(sign(&r)),
            "attributes `sub`, `email` would become top-level claims with a meaning of their own (identity, registered claim or request field); refusing rather than overwrite it"
        );
        let mut r = request(SignMode::Jwt, Some("u-1"), None);
        r.expires_in = Some(0);
        assert_eq!(
            refused(sign(&r)),
            "expires_in 0 would make a token that is expired on arrival"
        );
        r.expires_in = Some(i64::MAX);
        assert_eq!(
            refused(sign(&r)),
            format!(
                "now 1767225600 + expires_in {} overflows a 64-bit integer",
                i64::MAX
            )
        );
        let mut r = request(SignMode::UserHash, Some(""), Some("ada@example.com"));
        assert_eq!(
            refused(sign(&r)),
            "the user_id is an empty string, which verifiers reject"
        );
        r.secret = String::new();
        assert_eq!(
            refused(sign(&r)),
            "the secret is empty: verifiers never accept a user_hash or JWT made with an empty secret"
        );
        assert_eq!(
            refused(sign(&request(SignMode::UserHash, None, None))),
            "a user_hash needs a user_id or an email; this user has neither"
        );
        assert_eq!(
            refused(sign(&request(SignMode::Jwt, None, Some("ada@example.com")))),
            "a user JWT needs a user_id (the `user_id` claim is required); this user has none"
        );
        assert_eq!(
            refused(sign(&request(SignMode::Jwt, Some("u-1"), Some("")))),
            "the email is an empty string, which verifiers reject"
        );
    }

    #[test]
    fn unusable_inputs_are_refused() {
        let mut r = request(SignMode::Jwt, Some("u-1"), None);
        r.secret = String::new();
        refused(sign(&r));
        let mut r = request(SignMode::UserHash, Some("u-1"), None);
        r.secret = String::new();
        refused(sign(&r));
        refused(sign(&request(
            SignMode::UserHash,
            Some(""),
            Some("ada@example.com"),
        )));
        refused(sign(&request(SignMode::Jwt, Some("u-1"), Some(""))));
        for expires_in in [0, -1, i64::MAX] {
            let mut r = request(SignMode::Jwt, Some("u-1"), None);
            r.expires_in = Some(expires_in);
            refused(sign(&r));
        }
    }

    #[test]
    fn identifiers_are_signed_as_exact_bytes() {
        let nfc = signed(sign(&request(SignMode::UserHash, Some("caf\u{e9}"), None))).user_hash;
        let nfd = signed(sign(&request(
            SignMode::UserHash,
            Some("cafe\u{301}"),
            None,
        )))
        .user_hash;
        assert_ne!(nfc, nfd);
    }

    #[test]
    fn the_open_input_requirements_are_in_the_registry() {
        for id in requirement::ALL {
            assert!(
                crate::spec::find(id).is_some(),
                "{id} is not in requirements.yaml"
            );
        }
    }

    fn answers(r: &SignRequest) -> (Vec<FromAdapter>, Vec<FromAdapter>) {
        let c = conforming(r);
        (c.answers, c.should)
    }

    fn hash_of(answer: &FromAdapter) -> Option<String> {
        match answer {
            FromAdapter::Signed(s) => s.user_hash.clone(),
            _ => None,
        }
    }

    fn claims_of(answer: &FromAdapter, secret: &str) -> Option<Value> {
        match answer {
            FromAdapter::Signed(s) => s.jwt.as_deref().map(|t| {
                let d = jws::decode_unverified(t).unwrap();
                if !secret.is_empty() {
                    assert!(d.verifies_under(secret.as_bytes()));
                }
                Value::Object(d.claims.members)
            }),
            _ => None,
        }
    }

    /// Each row of CONTRACT's "Inputs the signer rules leave open": refused first, then the
    /// other conforming answer where the row allows one, and the should-level answers.
    #[test]
    fn the_conforming_answers_are_the_tables() {
        // An ordinary user: the one answer.
        let (a, s) = answers(&request(SignMode::UserHash, Some("u-1"), None));
        assert_eq!((a.len(), s.len()), (1, 0));
        // user_id "", email given: refused, or the hash over the email; in jwt mode refused only.
        let (a, s) = answers(&request(
            SignMode::UserHash,
            Some(""),
            Some("ada@example.com"),
        ));
        assert!(matches!(a[0], FromAdapter::Refused(_)));
        assert_eq!(hash_of(&a[1]), Some(user_hash("jk-1", "ada@example.com")));
        assert_eq!((a.len(), s.len()), (2, 0));
        let (a, s) = answers(&request(SignMode::Jwt, Some(""), Some("ada@example.com")));
        assert_eq!((a.len(), s.len()), (1, 0));
        // user_id given, email "": refused, or the answer without the email; a token with
        // email "" at should.
        let (a, s) = answers(&request(SignMode::UserHash, Some("u-1"), Some("")));
        assert_eq!(hash_of(&a[1]), Some(user_hash("jk-1", "u-1")));
        assert_eq!((a.len(), s.len()), (2, 0));
        let (a, s) = answers(&request(SignMode::Jwt, Some("u-1"), Some("")));
        assert_eq!(claims_of(&a[1], "jk-1"), Some(json!({"user_id": "u-1"})));
        assert_eq!(
            claims_of(&s[0], "jk-1"),
            Some(json!({"user_id": "u-1", "email": ""}))
        );
        assert_eq!((a.len(), s.len()), (2, 1));
        // Both "", or neither: refused only.
        for mode in [SignMode::UserHash, SignMode::Jwt] {
            for (user_id, email) in [(Some(""), Some("")), (None, None), (None, Some(""))] {
                let (a, s) = answers(&request(mode, user_id, email));
                assert_eq!((a.len(), s.len()), (1, 0), "{mode:?} {user_id:?} {email:?}");
                assert!(matches!(a[0], FromAdapter::Refused(_)));
            }
        }
        // An empty secret: refused; signing fails at should only.
        let mut r = request(SignMode::UserHash, Some("u-1"), None);
        r.secret = String::new();
        let (a, s) = answers(&r);
        assert_eq!((a.len(), s.len()), (1, 1));
        assert_eq!(hash_of(&s[0]), Some(user_hash("", "u-1")));
        // A reserved attribute: refused, or the token without it.
        for name in ["user_id", "email", "exp", "iat", "iss", "user_hash"] {
            let mut r = request(SignMode::Jwt, Some("u-1"), None);
            r.attributes.insert(name.into(), json!("x"));
            r.attributes.insert("plan".into(), json!("pro"));
            r.expires_in = Some(60);
            let (a, s) = answers(&r);
            assert_eq!((a.len(), s.len()), (2, 0), "{name}");
            assert_eq!(
                claims_of(&a[1], "jk-1"),
                Some(json!({"user_id": "u-1", "plan": "pro", "exp": 1_767_225_660})),
                "{name}"
            );
        }
        // A lifetime of zero or less: refused, or exactly now + expires_in.
        for seconds in [0, -60] {
            let mut r = request(SignMode::Jwt, Some("u-1"), None);
            r.expires_in = Some(seconds);
            let (a, _) = answers(&r);
            assert_eq!(
                claims_of(&a[1], "jk-1"),
                Some(json!({"user_id": "u-1", "exp": 1_767_225_600 + seconds}))
            );
        }
        // Past i64: refused, or the exact sum (never wrapped or clamped).
        let mut r = request(SignMode::Jwt, Some("u-1"), None);
        r.expires_in = Some(i64::MAX);
        let (a, s) = answers(&r);
        assert_eq!((a.len(), s.len()), (2, 0));
        assert_eq!(
            claims_of(&a[1], "jk-1"),
            Some(json!({"user_id": "u-1", "exp": 9_223_372_038_622_001_407_u64}))
        );
    }
}
