//! Judging a signer's answer: the exact `user_hash`, or a token checked claim by claim.

use serde_json::Value;

use super::{Judgement, OutcomeClass, Problem, Severity};
use crate::contract::{FromAdapter, Object};
use crate::debug;
use crate::reference::jws;
use crate::scenario::Expectation;

pub(super) fn judge_signer(expectation: &Expectation, answer: &FromAdapter) -> Judgement {
    let signed = match (expectation, answer) {
        (Expectation::Refused, FromAdapter::Refused(_)) => return Judgement::pass(),
        (Expectation::Refused, FromAdapter::Signed(_)) => {
            return wrong_verdict(
                "refused",
                "signed",
                "it signed for a user the contract says to refuse: the token or hash names no verifiable user",
            )
        }
        (_, FromAdapter::Refused(r)) => {
            return wrong_verdict(
                "signed",
                &format!("refused ({})", r.message),
                "it refused to sign for a valid user: that user cannot log in to the Messenger",
            )
        }
        (_, FromAdapter::Signed(signed)) => signed,
        (_, other) => return super::unexpected_type("signed or refused", other),
    };
    let problems = match expectation {
        Expectation::UserHash {
            user_hash,
            user_id,
            email,
            platform,
            secrets,
        } => {
            let mut problems = judge_user_hash(user_hash, signed.user_hash.as_deref());
            // Say what the signer hashed instead, when the inputs are known.
            if let (Some(problem), Some(platform), Some(actual)) =
                (problems.first_mut(), platform, signed.user_hash.as_deref())
            {
                let query = debug::HashQuery {
                    user_id: user_id.as_deref(),
                    email: email.as_deref(),
                    user_hash: Some(actual),
                    platform: *platform,
                };
                let secret = secrets
                    .iter()
                    .find(|c| c.platform == *platform)
                    .map(|c| c.secret.as_str());
                let diagnosis = debug::diagnose_hash_in(query, "", secret, secrets);
                let explained = diagnosis.explain().or_else(|| {
                    (diagnosis.accepted && actual.to_ascii_lowercase() == *user_hash).then(|| {
                        "the right HMAC, in uppercase hex: signers send lowercase (the iOS and Android SDKs accept nothing else)".to_string()
                    })
                });
                if let Some(text) = explained {
                    problem.why = format!("{}. Diagnosis: {text}", problem.why);
                }
            }
            problems
        }
        Expectation::Jwt {
            secret,
            header,
            claims,
        } => match signed.jwt.as_deref() {
            Some(token) => judge_jwt(secret, header, claims, token),
            None => vec![missing("jwt")],
        },
        _ => unreachable!("judge_signer is called for signer expectations only"),
    };
    Judgement::from_problems(OutcomeClass::WrongDetail, problems)
}

fn wrong_verdict(expected: &str, actual: &str, why: &str) -> Judgement {
    Judgement::from_problems(
        OutcomeClass::WrongVerdict,
        vec![Problem {
            field: "type".into(),
            expected: expected.into(),
            actual: actual.into(),
            why: why.into(),
            severity: Severity::Major,
        }],
    )
}

fn missing(field: &str) -> Problem {
    Problem {
        field: field.into(),
        expected: format!("a `{field}` string"),
        actual: "null".into(),
        why: "the front end has nothing to pass to the Messenger".into(),
        severity: Severity::Major,
    }
}

fn judge_user_hash(expected: &str, actual: Option<&str>) -> Vec<Problem> {
    match actual {
        None => vec![missing("user_hash")],
        Some(actual) if actual == expected => vec![],
        Some(actual) => vec![Problem {
            field: "user_hash".into(),
            expected: expected.into(),
            actual: actual.into(),
            why: "the user_hash must be lowercase hex HMAC-SHA256 of the platform's secret over the user_id (else the email); any other value is refused when identity verification is enforced".into(),
            severity: Severity::Major,
        }],
    }
}

fn judge_jwt(secret: &str, header: &Object, claims: &Object, token: &str) -> Vec<Problem> {
    let decoded = match jws::decode_unverified(token) {
        Ok(decoded) => decoded,
        Err(error) => {
            return vec![Problem {
                field: "jwt".into(),
                expected: "a compact JWS with header alg HS256, three canonical base64url parts, JSON header and claims".into(),
                actual: error.to_string(),
                why: format!("a conforming verifier refuses this token ({})", error.code()),
                severity: Severity::Major,
            }]
        }
    };
    let (token_header, token_claims) = (&decoded.header.members, &decoded.claims.members);
    let mut problems = Vec::new();
    if !decoded.verifies_under(secret.as_bytes()) {
        problems.push(Problem {
            field: "signature".into(),
            expected: "HMAC-SHA256 under the key's secret".into(),
            actual: "a signature that does not verify under that secret".into(),
            why: "the verifier refuses it as jwt_signature_invalid: sign with the key configured for this platform".into(),
            severity: Severity::Major,
        });
    }
    // Every expected member must be there, except `kid`, which the contract makes optional.
    for (name, want) in header {
        let got = token_header.get(name);
        if got != Some(want) && !(name == "kid" && got.is_none()) {
            problems.push(member_problem("header", name, Some(want), got));
        }
    }
    for (name, got) in token_header {
        if !header.contains_key(name) {
            problems.push(member_problem("header", name, None, Some(got)));
        }
    }
    problems.extend(judge_claims(claims, token_claims));
    problems
}

fn judge_claims(expected: &Object, actual: &Object) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (name, want) in expected {
        let got = actual.get(name);
        if got == Some(want) {
            continue;
        }
        let mut problem = member_problem("claims", name, Some(want), got);
        if name == "exp" {
            let lives_longer = match (want.as_f64(), got.and_then(Value::as_f64)) {
                (Some(want), Some(got)) => got > want,
                _ => got.is_none(),
            };
            if lives_longer {
                problem.why = "the token lives longer than asked: revoking a session by a short exp no longer works (exp is in seconds, not milliseconds)".into();
                problem.severity = Severity::Critical;
            }
        }
        // The token debugger's reading of a time claim ("looks like milliseconds").
        if let Some(hint) = got
            .filter(|_| matches!(name.as_str(), "exp" | "nbf" | "iat"))
            .and_then(|v| debug::time_claim_hint(name, v))
        {
            problem.why = format!("{}. Diagnosis: {hint}", problem.why);
        }
        problems.push(problem);
    }
    for (name, got) in actual {
        let iat_ok = name == "iat" && got.is_i64();
        if !expected.contains_key(name) && !iat_ok {
            problems.push(member_problem("claims", name, None, Some(got)));
        }
    }
    problems
}

fn member_problem(part: &str, name: &str, want: Option<&Value>, got: Option<&Value>) -> Problem {
    let why = match (part, name, want) {
        (_, _, None) => format!("the contract allows no `{name}` {part} member here: a verifier may treat it as an attribute or refuse it"),
        ("claims", "user_id", _) => "user_id must be the user's id as a string: the verifier compares it with the request (jwt_claims_invalid or jwt_identity_mismatch otherwise)".into(),
        ("claims", _, _) => format!("`{name}` must be a top-level claim with exactly this value: the verifier applies claims as attributes"),
        _ => format!("the header must carry `{name}` exactly"),
    };
    Problem {
        field: format!("{part}.{name}"),
        expected: want.map_or_else(|| "absent".to_string(), |v| v.to_string()),
        actual: show(got),
        why,
        severity: Severity::Major,
    }
}

fn show(value: Option<&Value>) -> String {
    value.map_or_else(|| "absent".to_string(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{Platform, Signed};
    use crate::debug::SecretCandidate;
    use crate::reference::user_hash::user_hash;

    const SECRET: &str = "signer-web-secret-for-the-judge";

    fn expectation() -> Expectation {
        Expectation::UserHash {
            user_hash: user_hash(SECRET, "u-1"),
            user_id: Some("u-1".into()),
            email: Some("ada@example.com".into()),
            platform: Some(Platform::Web),
            secrets: vec![SecretCandidate::new("", Platform::Web, SECRET)],
        }
    }

    fn signed(hash: String) -> FromAdapter {
        FromAdapter::Signed(Signed {
            id: "s1".into(),
            user_hash: Some(hash),
            jwt: None,
        })
    }

    #[test]
    fn a_wrong_user_hash_says_what_was_hashed() {
        let judgement = judge_signer(
            &expectation(),
            &signed(user_hash(SECRET, "ada@example.com")),
        );
        let why = &judgement.problems[0].why;
        assert!(
            why.ends_with("Diagnosis: the user_hash is HMAC(web secret, email) (lowercase hex); hash over the email while a user_id is sent: it must be computed over the user_id"),
            "{why}"
        );
        assert!(!why.contains(SECRET));
        let judgement = judge_signer(
            &expectation(),
            &signed(user_hash(SECRET, "u-1").to_uppercase()),
        );
        assert_eq!(judgement.class, OutcomeClass::WrongDetail);
        assert!(
            judgement.problems[0]
                .why
                .contains("Diagnosis: the right HMAC, in uppercase hex"),
            "{}",
            judgement.problems[0].why
        );
        let judgement = judge_signer(&expectation(), &signed(user_hash(SECRET, "u-1")));
        assert_eq!(judgement.class, OutcomeClass::Pass);
        // Secrets never reach a report.
        let json = serde_json::to_string(&expectation()).unwrap();
        assert!(!json.contains(SECRET), "{json}");
    }

    #[test]
    fn a_time_claim_in_milliseconds_is_named() {
        let mut want = Object::new();
        want.insert("exp".into(), 1_767_229_200_i64.into());
        let mut got = Object::new();
        got.insert("exp".into(), 1_767_229_200_000_i64.into());
        let problems = judge_claims(&want, &got);
        assert!(
            problems[0]
                .why
                .contains("Diagnosis: exp is 1767229200000: looks like milliseconds"),
            "{}",
            problems[0].why
        );
        assert_eq!(problems[0].severity, Severity::Critical);
    }
}
