//! The signer rules (CONTRACT.md, "The signer rules"): what a customer's backend sends.
//!
//! - `user_hash`: lowercase hex HMAC-SHA256(`secret`, `user_id` if the user has one, else
//!   `email`); a user with neither is refused.
//! - `jwt`: header `{"alg":"HS256","typ":"JWT"}` plus `kid` = `key_id` when given; claims
//!   `user_id` (required), `email` when the user has one, each attribute as a top-level claim,
//!   and `exp = now + expires_in` (integer seconds) when `expires_in` is given. No `iat`, no
//!   other claim.
//!
//! Where the contract is silent, the signer refuses rather than emit something a verifier
//! would reject or misread (each refusal below says why):
//!
//! - an empty secret: verifiers never accept a hash or token made with one (rules 2.4, 3.3);
//! - an empty `user_id` or `email`: rule 1 rejects them in a request;
//! - in `jwt` mode, an attribute named like an identity claim (`user_id`, `email`), a registered
//!   claim (`exp`, `nbf`, `iat`, `iss`, `aud`, `sub`, `jti`) or a reserved request field
//!   (`user_hash`, `intercom_user_jwt`). As a top-level claim it would overwrite the user's
//!   identity, or set expiry and validity the caller did not ask for, or collide with the
//!   signer's own `exp` (a duplicate member, which verifiers reject); the contract also allows
//!   "no other claim" than the ones listed. The safe reading is to refuse, not to pick a winner;
//! - `expires_in` of zero or less (the token would be expired on arrival: rule 2.6 expires a
//!   token at the very second of `exp`), or so large that `now + expires_in` overflows.

use serde_json::{Map, Value};

use super::jws;
use super::user_hash::user_hash;
use super::verifier::{REGISTERED_CLAIMS, RESERVED_ATTRIBUTES};
use crate::contract::{FromAdapter, Refused, SignMode, SignRequest, Signed};

/// Answer one `sign` request: `signed`, or `refused` with the reason.
pub fn sign(request: &SignRequest) -> FromAdapter {
    let result = match request.mode {
        SignMode::UserHash => sign_user_hash(request).map(|hash| (Some(hash), None)),
        SignMode::Jwt => sign_jwt(request).map(|jwt| (None, Some(jwt))),
    };
    match result {
        Ok((user_hash, jwt)) => FromAdapter::Signed(Signed {
            id: request.id.clone(),
            user_hash,
            jwt,
        }),
        Err(message) => FromAdapter::Refused(Refused {
            id: request.id.clone(),
            message,
        }),
    }
}

/// The `user_hash` for the request's user, or why there is none.
pub(crate) fn sign_user_hash(request: &SignRequest) -> Result<String, String> {
    check_common(request)?;
    let identifier = match (&request.user.user_id, &request.user.email) {
        (Some(user_id), _) => user_id,
        (None, Some(email)) => email,
        (None, None) => {
            return Err("a user_hash needs a user_id or an email; this user has neither".into())
        }
    };
    Ok(user_hash(&request.secret, identifier))
}

/// The user JWT for the request's user, or why there is none.
pub(crate) fn sign_jwt(request: &SignRequest) -> Result<String, String> {
    check_common(request)?;
    let Some(user_id) = &request.user.user_id else {
        return Err(
            "a user JWT needs a user_id (the `user_id` claim is required); this user has none"
                .into(),
        );
    };
    let reserved: Vec<&str> = request
        .attributes
        .keys()
        .map(String::as_str)
        .filter(|name| RESERVED_ATTRIBUTES.contains(name) || REGISTERED_CLAIMS.contains(name))
        .collect();
    if !reserved.is_empty() {
        return Err(format!(
            "attribute{} {} would become top-level claim{} with a meaning of {} own (identity, registered claim or request field); refusing rather than overwrite it",
            if reserved.len() == 1 { "" } else { "s" },
            reserved.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
            if reserved.len() == 1 { "" } else { "s" },
            if reserved.len() == 1 { "its" } else { "their" },
        ));
    }
    let exp = match request.expires_in {
        None => None,
        Some(seconds) if seconds <= 0 => {
            return Err(format!(
                "expires_in {seconds} would make a token that is expired on arrival"
            ));
        }
        Some(seconds) => Some(
            request
                .now
                .checked_add(seconds)
                .ok_or_else(|| format!("now {} + expires_in {seconds} overflows", request.now))?,
        ),
    };

    let mut header = Map::new();
    header.insert("alg".into(), jws::ALG_HS256.into());
    header.insert("typ".into(), "JWT".into());
    if let Some(kid) = &request.key_id {
        header.insert("kid".into(), kid.clone().into());
    }

    let mut claims = Map::new();
    claims.insert("user_id".into(), user_id.clone().into());
    if let Some(email) = &request.user.email {
        claims.insert("email".into(), email.clone().into());
    }
    for (name, value) in &request.attributes {
        claims.insert(name.clone(), value.clone());
    }
    if let Some(exp) = exp {
        claims.insert("exp".into(), exp.into());
    }
    Ok(jws::sign_hs256(
        &Value::Object(header),
        &Value::Object(claims),
        request.secret.as_bytes(),
    ))
}

fn check_common(request: &SignRequest) -> Result<(), String> {
    if request.secret.is_empty() {
        return Err("the secret is empty: verifiers never accept a user_hash or JWT made with an empty secret".into());
    }
    if request.user.user_id.as_deref() == Some("") {
        return Err("the user_id is an empty string, which verifiers reject".into());
    }
    if request.user.email.as_deref() == Some("") {
        return Err("the email is an empty string, which verifiers reject".into());
    }
    Ok(())
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
}
