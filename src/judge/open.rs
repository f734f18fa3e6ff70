//! Judging a signer's answer to a request that touches an input the signer rules leave open
//! (CONTRACT, "Inputs the signer rules leave open"): any listed answer conforms; any other fails
//! at the level the table gives, and its problems name what the output did ("hashed the empty
//! string", "took the user's id from an attribute", "signed under an empty secret").

use serde_json::Value;

use super::{Problem, Severity};
use crate::contract::{FromAdapter, SignRequest, Signed};
use crate::debug;
use crate::reference::jws::{self, JwsError, Part};
use crate::reference::signer::{exact_exp, requirement as req};
use crate::reference::user_hash::user_hash;
use crate::shorten::truncate;
use crate::spec::Level;

/// The answer, in a few words.
pub(super) fn describe_answer(answer: &FromAdapter) -> String {
    match answer {
        FromAdapter::Refused(r) => format!("refused ({})", truncate(&r.message, 200)),
        FromAdapter::Signed(signed) => match (signed.user_hash.as_deref(), signed.jwt.as_deref()) {
            (Some(hash), _) => format!("signed, user_hash {:?}", truncate(hash, 100)),
            (None, Some(token)) => match jws::decode_unverified(token) {
                Ok(decoded) => format!(
                    "signed, a JWT with claims {}",
                    truncate(
                        &Value::Object(decoded.claims.members.clone()).to_string(),
                        300
                    )
                ),
                Err(_) => format!("signed, jwt {:?}", truncate(token, 100)),
            },
            (None, None) => "signed, with neither a user_hash nor a jwt".to_string(),
        },
        other => other.type_name().to_string(),
    }
}

/// What a signed answer did with the inputs the signer rules single out, each as a problem that
/// names it, the rule it breaks and that rule's level: the empty string hashed, an empty user_id
/// or email written into the token, an identity, time or reserved claim taken from an attribute,
/// a duplicate member, an `exp` other than `now + expires_in`, a MAC under an empty secret.
/// Empty when it did none of these.
pub(crate) fn what_it_did(request: &SignRequest, signed: &Signed) -> Vec<Deed> {
    let mut problems = Vec::new();
    if let Some(hash) = signed.user_hash.as_deref() {
        hash_findings(request, hash, &mut problems);
    }
    if let Some(token) = signed.jwt.as_deref() {
        token_findings(request, token, &mut problems);
    }
    problems
        .into_iter()
        .map(|mut problem| {
            let did = std::mem::replace(&mut problem.actual, shown(signed, &problem.field));
            problem.why = format!("it {did}: {}", problem.why);
            Deed { did, problem }
        })
        .collect()
}

/// One thing a signed answer did that the signer rules single out: `did` in words ("hashed the
/// empty string"), and the problem that says why it matters.
pub(crate) struct Deed {
    pub did: String,
    pub problem: Problem,
}

/// The part of a signed answer a finding is about, as shown in a failure.
fn shown(signed: &Signed, field: &str) -> String {
    let claims = || {
        signed
            .jwt
            .as_deref()
            .and_then(|t| jws::decode_unverified(t).ok())
            .map(|d| d.claims.members.clone())
            .unwrap_or_default()
    };
    match field {
        "user_hash" => format!("{:?}", signed.user_hash.as_deref().unwrap_or_default()),
        "signature" => "a MAC under the empty key".into(),
        _ => match field.strip_prefix("claims.") {
            Some(name) => claims()
                .get(name)
                .map_or_else(|| "absent".into(), |v| truncate(&v.to_string(), 100)),
            None => "a member twice".into(),
        },
    }
}

fn finding(
    field: &str,
    expected: &str,
    did: String,
    why: &str,
    (level, requirement): (Level, &str),
    severity: Severity,
) -> Problem {
    let severity = if level == Level::Should {
        Severity::Minor
    } else {
        severity
    };
    Problem::new(severity, field, expected, did, why)
        .at_level(level)
        .breaking(requirement)
}

fn hash_findings(request: &SignRequest, hash: &str, problems: &mut Vec<Problem>) {
    if !request.secret.is_empty() {
        if let Some(diagnosis) = debug::diagnose_blank_identifier(&request.secret, hash) {
            let did = if hash.eq_ignore_ascii_case(&user_hash(&request.secret, "")) {
                "hashed the empty string".to_string()
            } else {
                "hashed a missing identifier written out as text".to_string()
            };
            problems.push(finding(
                "user_hash",
                "refused, or the HMAC over a non-empty identifier",
                did,
                &format!("the HMAC of a blank identifier is one value shared by every user without one and names nobody, so no verifier accepts it for a real user. Diagnosis: {diagnosis}"),
                (Level::Must, req::HASH_NEVER_EMPTY),
                Severity::Major,
            ));
        }
    }
    if request.secret.is_empty() {
        let identifiers = [
            request.user.user_id.as_deref(),
            request.user.email.as_deref(),
        ];
        let under_empty = identifiers
            .into_iter()
            .flatten()
            .any(|id| hash.eq_ignore_ascii_case(&user_hash("", id)));
        if under_empty {
            problems.push(empty_secret_finding("user_hash"));
        }
    }
}

fn empty_secret_finding(field: &str) -> Problem {
    finding(
        field,
        "refused",
        "signed under an empty secret".into(),
        "conforming verifiers never accept a MAC under an empty key, so nobody is let in, but the integration is misconfigured (an unset secret read as \"\") and every user is locked out: refuse, so the mistake shows",
        (Level::Should, req::EMPTY_SECRET),
        Severity::Minor,
    )
}

fn token_findings(request: &SignRequest, token: &str, problems: &mut Vec<Problem>) {
    let decoded = match jws::decode_unverified(token) {
        Ok(decoded) => decoded,
        Err(JwsError::DuplicateMember { part, error }) => {
            let requirement = if part == Part::Payload && has_reserved_attribute(request) {
                req::JWT_RESERVED_ATTRIBUTES
            } else {
                crate::reference::requirement::JWT_DUPLICATE_MEMBERS
            };
            problems.push(finding(
                &format!("{part}"),
                "no member twice",
                format!("wrote a {part} with a duplicate member ({error})"),
                "verifiers following this profile reject the token (jwt_malformed), and a lenient one takes whichever member it reads last: the token's meaning depends on the parser; leave a reserved attribute out, or refuse",
                (Level::Must, requirement),
                Severity::Major,
            ));
            return;
        }
        Err(_) => return,
    };
    let claims = &decoded.claims.members;
    let attribute = |name: &str| request.attributes.get(name);
    let user_id = request.user.user_id.as_deref();
    let email = request.user.email.as_deref();

    // The user's id.
    match claims.get("user_id") {
        Some(Value::String(id)) if id.is_empty() => problems.push(finding(
            "claims.user_id",
            "refused (a JWT needs a non-empty user_id)",
            "signed a token with user_id \"\"".into(),
            "a token for nobody: every conforming verifier rejects it (jwt_missing_user_id), and one that does not logs in a user whose id is blank",
            (Level::Must, req::EMPTY_USER_ID),
            Severity::Major,
        )),
        Some(got) if attribute("user_id") == Some(got) && user_id.map(Value::from).as_ref() != Some(got) => {
            problems.push(finding(
                "claims.user_id",
                &user_id.map_or_else(|| "refused".to_string(), |id| format!("{id:?}, or refused")),
                format!("took the user's id from an attribute (user_id {got})"),
                "the token logs in whoever the attribute names, not the user it was asked for; anyone who can set that profile field passes as another user",
                (Level::Must, req::JWT_RESERVED_ATTRIBUTES),
                Severity::Critical,
            ));
        }
        Some(Value::String(got)) if user_id == Some("") && email == Some(got.as_str()) => {
            problems.push(finding(
                "claims.user_id",
                "refused (a JWT needs a non-empty user_id)",
                format!("took the user's id from the email ({got:?}) because the user_id was empty"),
                "an empty user_id is never the user's id, and the email is not one either: the token logs in whoever has that id",
                (Level::Must, req::EMPTY_USER_ID),
                Severity::Critical,
            ));
        }
        _ => {}
    }
    // The email.
    match claims.get("email") {
        Some(Value::String(got)) if got.is_empty() => problems.push(finding(
            "claims.email",
            "no email claim, or refused",
            "signed a token with email \"\"".into(),
            "an empty email is no email: a verifier following this profile ignores it, but one that reads it rejects the token (an empty identifier is invalid) or records a blank address; leave it out or refuse",
            (Level::Should, req::EMPTY_EMAIL),
            Severity::Minor,
        )),
        Some(got) if attribute("email") == Some(got) && email.map(Value::from).as_ref() != Some(got) => {
            problems.push(finding(
                "claims.email",
                &email.map_or_else(|| "absent, or refused".to_string(), |e| format!("{e:?}, or refused")),
                format!("took the email from an attribute (email {got})"),
                "the token vouches for an address the caller did not give: a verifier uses the claim as the user's email",
                (Level::Must, req::JWT_RESERVED_ATTRIBUTES),
                Severity::Critical,
            ));
        }
        _ => {}
    }
    // Time claims.
    let exp_wanted = request
        .expires_in
        .and_then(|seconds| exact_exp(request.now, seconds));
    for name in ["exp", "nbf", "iat"] {
        let (Some(got), Some(value)) = (claims.get(name), attribute(name)) else {
            continue;
        };
        let own = match name {
            "exp" => exp_wanted.as_ref() == Some(got),
            "iat" => got.as_i64() == Some(request.now),
            _ => false,
        };
        if got == value && !own {
            problems.push(finding(
                &format!("claims.{name}"),
                "the signer's own value, or refused",
                format!("{name} taken from the attribute ({name} {got})"),
                "a time claim the caller did not ask for: the token's lifetime or validity is decided by a profile field",
                (Level::Must, req::JWT_RESERVED_ATTRIBUTES),
                Severity::Major,
            ));
        }
    }
    // The other reserved names.
    for name in ["iss", "aud", "sub", "jti", "user_hash", "intercom_user_jwt"] {
        if let (Some(got), Some(_)) = (claims.get(name), attribute(name)) {
            problems.push(finding(
                &format!("claims.{name}"),
                "absent (the attribute left out), or refused",
                format!("wrote the reserved claim `{name}` from the attribute ({name} {})", truncate(&got.to_string(), 100)),
                "a registered claim or a reserved request field is not an attribute: as a claim it means something else to JWT libraries (an issuer, an audience, a subject) or to the Messenger",
                (Level::Must, req::JWT_RESERVED_ATTRIBUTES),
                Severity::Major,
            ));
        }
    }
    // A lifetime of zero or less, or one that overflows.
    if let (Some(seconds), Some(got)) = (request.expires_in, claims.get("exp")) {
        let wanted = exp_wanted.clone();
        let from_attribute = attribute("exp") == Some(got);
        let beyond_i64 = request.now.checked_add(seconds).is_none();
        if (seconds <= 0 || beyond_i64) && wanted.as_ref() != Some(got) && !from_attribute {
            let (expected, did) = match wanted {
                Some(wanted) if beyond_i64 => (
                    format!("{wanted} (now + expires_in exactly, past a 64-bit integer), or refused"),
                    format!("wrote exp {got} where now + expires_in is {wanted} (a wrapped or clamped exp)"),
                ),
                Some(wanted) => (
                    format!("{wanted} (now + expires_in), or refused"),
                    format!("wrote exp {got} for expires_in {seconds}"),
                ),
                None => (
                    "refused (now + expires_in fits no JSON integer)".to_string(),
                    format!("wrote exp {got} where now + expires_in overflows (a wrapped or clamped exp)"),
                ),
            };
            problems.push(finding(
                "claims.exp",
                &expected,
                did,
                "the token lives another time than asked (exp is now + expires_in exactly, or the request is refused)",
                (Level::Must, req::JWT_LIFETIME_RANGE),
                Severity::Major,
            ));
        }
    }
    if request.secret.is_empty()
        && jws::hmac_sha256_verify(
            b"",
            decoded.split.signing_input().as_bytes(),
            &decoded.split.signature,
        )
    {
        problems.push(empty_secret_finding("signature"));
    }
}

fn has_reserved_attribute(request: &SignRequest) -> bool {
    use crate::reference::verifier::{REGISTERED_CLAIMS, RESERVED_ATTRIBUTES};
    request.attributes.keys().any(|k| {
        RESERVED_ATTRIBUTES.contains(&k.as_str()) || REGISTERED_CLAIMS.contains(&k.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{Platform, User};
    use crate::judge::{Expectation, Judgement, OutcomeClass};
    use serde_json::json;

    const KEY: &str = "open-inputs-judge-key-0123456789abcdef";
    const NOW: i64 = 1_767_225_600;

    fn request(user_id: Option<&str>, email: Option<&str>, attributes: Value) -> SignRequest {
        SignRequest {
            id: "s1".into(),
            now: NOW,
            mode: SignMode::Jwt,
            platform: Platform::Web,
            secret: KEY.into(),
            key_id: None,
            user: User {
                user_id: user_id.map(String::from),
                email: email.map(String::from),
            },
            attributes: attributes.as_object().cloned().unwrap_or_default(),
            expires_in: Some(60),
        }
    }

    fn token(claims: Value, secret: &str) -> FromAdapter {
        FromAdapter::Signed(Signed {
            id: "s1".into(),
            user_hash: None,
            jwt: Some(jws::sign_hs256(
                &json!({"alg": "HS256"}),
                &claims,
                secret.as_bytes(),
            )),
        })
    }

    fn judged(request: &SignRequest, answer: &FromAdapter) -> Judgement {
        crate::judge::judge(&Expectation::for_sign_request(request), answer)
    }

    use crate::contract::SignMode;

    #[test]
    fn every_answer_the_table_allows_passes_and_is_recorded() {
        let r = request(
            Some("u-1"),
            None,
            json!({"user_id": "admin", "plan": "pro"}),
        );
        let refused = FromAdapter::Refused(crate::contract::Refused {
            id: "s1".into(),
            message: "reserved".into(),
        });
        assert_eq!(judged(&r, &refused).chosen, Some(0));
        let left_out = token(
            json!({"user_id": "u-1", "plan": "pro", "exp": NOW + 60}),
            KEY,
        );
        let judgement = judged(&r, &left_out);
        assert_eq!(
            (judgement.class, judgement.chosen),
            (OutcomeClass::Pass, Some(1))
        );
    }

    /// Each answer outside the table: what it did, the rule it breaks and that rule's level.
    #[test]
    fn an_answer_outside_the_table_names_what_it_did_at_the_tables_level() {
        let cases: Vec<(SignRequest, FromAdapter, &str, &str, Level)> =
            vec![
            (
                request(Some("u-1"), None, json!({"user_id": "admin"})),
                token(json!({"user_id": "admin", "exp": NOW + 60}), KEY),
                "took the user's id from an attribute (user_id \"admin\")",
                req::JWT_RESERVED_ATTRIBUTES,
                Level::Must,
            ),
            (
                request(Some("u-1"), Some("a@b.c"), json!({"email": "boss@b.c"})),
                token(json!({"user_id": "u-1", "email": "boss@b.c", "exp": NOW + 60}), KEY),
                "took the email from an attribute (email \"boss@b.c\")",
                req::JWT_RESERVED_ATTRIBUTES,
                Level::Must,
            ),
            (
                request(Some("u-1"), None, json!({"exp": 4_102_444_800_i64})),
                token(json!({"user_id": "u-1", "exp": 4_102_444_800_i64}), KEY),
                "exp taken from the attribute (exp 4102444800)",
                req::JWT_RESERVED_ATTRIBUTES,
                Level::Must,
            ),
            (
                request(Some("u-1"), None, json!({"iat": 4_102_444_800_i64})),
                token(json!({"user_id": "u-1", "iat": 4_102_444_800_i64, "exp": NOW + 60}), KEY),
                "iat taken from the attribute (iat 4102444800)",
                req::JWT_RESERVED_ATTRIBUTES,
                Level::Must,
            ),
            (
                request(Some("u-1"), None, json!({"iss": "x"})),
                token(json!({"user_id": "u-1", "iss": "x", "exp": NOW + 60}), KEY),
                "wrote the reserved claim `iss` from the attribute (iss \"x\")",
                req::JWT_RESERVED_ATTRIBUTES,
                Level::Must,
            ),
            (
                request(Some(""), Some("a@b.c"), json!({})),
                token(json!({"user_id": "", "email": "a@b.c", "exp": NOW + 60}), KEY),
                "signed a token with user_id \"\"",
                req::EMPTY_USER_ID,
                Level::Must,
            ),
            (
                request(Some(""), Some("a@b.c"), json!({})),
                token(json!({"user_id": "a@b.c", "exp": NOW + 60}), KEY),
                "took the user's id from the email (\"a@b.c\") because the user_id was empty",
                req::EMPTY_USER_ID,
                Level::Must,
            ),
            (
                request(Some("u-1"), Some(""), json!({})),
                token(json!({"user_id": "u-1", "email": "", "exp": NOW + 60}), KEY),
                "signed a token with email \"\"",
                req::EMPTY_EMAIL,
                Level::Should,
            ),
            (
                SignRequest {
                    secret: String::new(),
                    ..request(Some("u-1"), None, json!({}))
                },
                token(json!({"user_id": "u-1", "exp": NOW + 60}), ""),
                "signed under an empty secret",
                req::EMPTY_SECRET,
                Level::Should,
            ),
            (
                SignRequest {
                    expires_in: Some(0),
                    ..request(Some("u-1"), None, json!({}))
                },
                token(json!({"user_id": "u-1", "exp": NOW + 3600}), KEY),
                "wrote exp 1767229200 for expires_in 0",
                req::JWT_LIFETIME_RANGE,
                Level::Must,
            ),
            (
                SignRequest {
                    expires_in: Some(i64::MAX),
                    ..request(Some("u-1"), None, json!({}))
                },
                token(json!({"user_id": "u-1", "exp": i64::MAX}), KEY),
                "wrote exp 9223372036854775807 where now + expires_in is 9223372038622001407 (a wrapped or clamped exp)",
                req::JWT_LIFETIME_RANGE,
                Level::Must,
            ),
        ];
        for (request, answer, did, requirement, level) in cases {
            let judgement = judged(&request, &answer);
            let text = format!("{:#?}", judgement.problems);
            assert!(judgement.class.is_failure(), "{did}: {text}");
            // A refusal the table alone allows is a must rule, the level of the case expecting it.
            assert_eq!(
                judgement.level.unwrap_or(Level::Must),
                level,
                "{did}: {text}"
            );
            let named = judgement
                .problems
                .iter()
                .find(|p| p.why.starts_with(&format!("it {did}:")))
                .unwrap_or_else(|| panic!("nothing says `{did}`: {text}"));
            assert_eq!(named.requirement.as_deref(), Some(requirement), "{did}");
            assert!(!text.contains("the contract says to refuse"), "{text}");
            assert!(!text.contains(KEY), "{text}");
            if level == Level::Should {
                assert_eq!(judgement.severity, Some(Severity::Minor), "{did}");
            }
        }
    }

    #[test]
    fn a_duplicate_member_is_named() {
        let r = request(Some("u-1"), None, json!({"exp": 5}));
        let payload = format!("{{\"user_id\":\"u-1\",\"exp\":{},\"exp\":5}}", NOW + 60);
        let answer = FromAdapter::Signed(Signed {
            id: "s1".into(),
            user_hash: None,
            jwt: Some(jws::sign_raw(
                br#"{"alg":"HS256"}"#,
                payload.as_bytes(),
                KEY.as_bytes(),
            )),
        });
        let deeds = match &answer {
            FromAdapter::Signed(signed) => what_it_did(&r, signed),
            _ => unreachable!(),
        };
        assert_eq!(deeds.len(), 1);
        assert!(
            deeds[0]
                .did
                .starts_with("wrote a payload with a duplicate member"),
            "{}",
            deeds[0].did
        );
        assert_eq!(
            deeds[0].problem.requirement.as_deref(),
            Some(req::JWT_RESERVED_ATTRIBUTES)
        );
        assert_eq!(judged(&r, &answer).level, Some(Level::Must));
    }

    #[test]
    fn a_hash_of_the_empty_user_id_fails_at_must_and_says_so() {
        let mut r = request(Some(""), Some("a@b.c"), json!({}));
        r.mode = SignMode::UserHash;
        let hash = |id: &str| {
            FromAdapter::Signed(Signed {
                id: "s1".into(),
                user_hash: Some(user_hash(KEY, id)),
                jwt: None,
            })
        };
        assert_eq!(judged(&r, &hash("a@b.c")).chosen, Some(1));
        let judgement = judged(&r, &hash(""));
        assert_eq!(judgement.level, Some(Level::Must));
        assert!(
            judgement.problems[0]
                .why
                .contains("it hashed the empty string"),
            "{:?}",
            judgement.problems
        );
    }
}
