//! Judging a signer's answer: the exact `user_hash`, or a token checked claim by claim.

use serde_json::Value;

use super::expectation::Expectation;
use super::{Judgement, OutcomeClass, Problem, Severity};
use crate::contract::{FromAdapter, Object, SignMode, SignRequest, Signed};
use crate::debug;
use crate::reference::jws;
use crate::spec::Level;

pub(super) fn judge_signer(expectation: &Expectation, answer: &FromAdapter) -> Judgement {
    let signed = match (expectation, answer) {
        (Expectation::Refused { .. }, FromAdapter::Refused(_)) => return Judgement::pass(),
        (Expectation::Refused { request }, FromAdapter::Signed(signed)) => {
            return signed_instead_of_refused(request.as_deref(), signed)
        }
        (_, FromAdapter::Refused(r)) => {
            return wrong_verdict(
                "signed",
                &format!("refused ({})", r.message),
                "it refused to sign for a valid user: that user cannot log in to the Messenger"
                    .into(),
            )
        }
        (_, FromAdapter::Signed(signed)) => signed,
        (_, other) => return super::judgement::unexpected_type("signed or refused", other),
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

/// A `signed` answer where the contract says to refuse: what was signed, what it means (the
/// empty string hashed, a token without user_id, a MAC under an empty secret), and the rule that
/// says to refuse, at that rule's level.
fn signed_instead_of_refused(request: Option<&SignRequest>, signed: &Signed) -> Judgement {
    let actual = super::open::describe_answer(&FromAdapter::Signed(signed.clone()));
    let Some(request) = request else {
        return wrong_verdict(
            "refused",
            &actual,
            "it signed where the signer rules say to refuse".into(),
        );
    };
    let named = super::open::what_it_did(request, signed);
    let (why, requirement, level) = refusal_rule(request, signed);
    let mut why = why.to_string();
    if let Some(first) = named.first() {
        why = first.problem.why.clone();
    } else if let Some(diagnosis) = signed
        .user_hash
        .as_deref()
        .and_then(|hash| debug::diagnose_blank_identifier(&request.secret, hash))
    {
        why = format!("{why}. Diagnosis: {diagnosis}");
    }
    let mut judgement = wrong_verdict("refused", &actual, why);
    let problem = &mut judgement.problems[0];
    problem.requirement = Some(
        named
            .first()
            .and_then(|d| d.problem.requirement.clone())
            .unwrap_or_else(|| requirement.to_string()),
    );
    let level = named.first().and_then(|d| d.problem.level).unwrap_or(level);
    if let Some(first) = named.first() {
        problem.severity = first.problem.severity;
        judgement.severity = Some(first.problem.severity);
    }
    // A must rule is the level of the case that expects a refusal: only a lower one is stated.
    if level == Level::Should {
        problem.level = Some(level);
        judgement.level = Some(level);
        problem.severity = Severity::Minor;
        judgement.severity = Some(Severity::Minor);
    }
    judgement
}

/// Which signer rule says to refuse `request` (when no finding of [`super::open::what_it_did`]
/// names it), in words, with its requirement and level.
fn refusal_rule(request: &SignRequest, signed: &Signed) -> (&'static str, &'static str, Level) {
    use crate::reference::signer::requirement as req;
    let user_id = request.user.user_id.as_deref();
    let email = request.user.email.as_deref();
    if request.secret.is_empty() {
        return (
            "it signed under an empty secret: conforming verifiers never accept it, so nobody is let in, but the integration is misconfigured; refuse so the mistake shows",
            req::EMPTY_SECRET,
            Level::Should,
        );
    }
    match request.mode {
        SignMode::UserHash => (
            "it signed a user_hash for a user with no non-empty identifier: the hash names nobody a verifier can check",
            req::HASH_NEVER_EMPTY,
            Level::Must,
        ),
        SignMode::Jwt if user_id.is_none() => {
            let claims = signed
                .jwt
                .as_deref()
                .and_then(|t| jws::decode_unverified(t).ok())
                .map(|d| d.claims.members.clone())
                .unwrap_or_default();
            (
                if claims.get("user_id").is_some_and(|v| email.is_some_and(|e| v == e)) {
                    "it took the user's id from the email: the token logs in whoever has that id, not the user asked for (a JWT needs a user_id: refuse without one)"
                } else {
                    "it signed a token without a user_id: every conforming verifier rejects it with jwt_missing_user_id (a JWT needs a user_id: refuse without one)"
                },
                req::JWT_USER_ID_REQUIRED,
                Level::Must,
            )
        }
        SignMode::Jwt => (
            "it signed a token the signer rules give no meaning to: refuse",
            req::JWT_USER_ID_REQUIRED,
            Level::Must,
        ),
    }
}

fn wrong_verdict(expected: &str, actual: &str, why: String) -> Judgement {
    Judgement::from_problems(
        OutcomeClass::WrongVerdict,
        vec![Problem::wrong_type(expected, actual, why)],
    )
}

fn missing(field: &str) -> Problem {
    Problem::new(
        Severity::Major,
        field,
        format!("a `{field}` string"),
        "null",
        "the front end has nothing to pass to the Messenger",
    )
}

fn judge_user_hash(expected: &str, actual: Option<&str>) -> Vec<Problem> {
    match actual {
        None => vec![missing("user_hash")],
        Some(actual) if actual == expected => vec![],
        Some(actual) => vec![Problem::new(
            Severity::Major,
            "user_hash",
            expected,
            actual,
            "the user_hash must be lowercase hex HMAC-SHA256 of the platform's secret over the user_id (else the email); any other value is refused when identity verification is enforced",
        )],
    }
}

fn judge_jwt(secret: &str, header: &Object, claims: &Object, token: &str) -> Vec<Problem> {
    let decoded = match jws::decode_unverified(token) {
        Ok(decoded) => decoded,
        Err(error) => {
            return vec![Problem::new(
                Severity::Major,
                "jwt",
                "a compact JWS with header alg HS256, three canonical base64url parts, JSON header and claims",
                error.to_string(),
                format!(
                    "a verifier following this profile refuses this token with {} (CONTRACT rule {})",
                    error.code(),
                    error.rule()
                ),
            )
            // The header's `alg` or `crit` (rule 2.3), else the token's form (rule 2.2).
            .breaking(match error.rule() {
                "2.3" => "SIGN-JWT-HEADER",
                _ => "SIGN-JWT-SIGNATURE",
            })];
        }
    };
    let (token_header, token_claims) = (&decoded.header.members, &decoded.claims.members);
    let mut problems = Vec::new();
    // An empty secret is expected only of an answer that fails at `should` (a MAC under the
    // empty key, which no verifier accepts, so `verifies_under` refuses it).
    let verifies = if secret.is_empty() {
        jws::hmac_sha256_verify(
            b"",
            decoded.split.signing_input().as_bytes(),
            &decoded.split.signature,
        )
    } else {
        decoded.verifies_under(secret.as_bytes())
    };
    if !verifies {
        problems.push(Problem::new(
            Severity::Major,
            "signature",
            "HMAC-SHA256 under the key's secret",
            "a signature that does not verify under that secret",
            "a verifier following this profile refuses it with jwt_signature_invalid: sign with the key configured for this platform",
        ));
    }
    problems.extend(judge_header(header, token_header));
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
            problem.why = if got.is_none() {
                "the token never expires: revoking a session by a short exp no longer works; write exp = now + expires_in, in integer seconds".into()
            } else if lives_longer {
                "the token lives longer than asked: revoking a session by a short exp no longer works (exp is in seconds, not milliseconds)".into()
            } else {
                "exp is now + expires_in, written as a JSON integer of seconds (no fraction, not a string, not milliseconds): a verifier reads it as the instant the session ends".into()
            };
            if lives_longer {
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

/// The header against the expected one: every expected member there (a `kid` may be absent:
/// the contract makes it optional), no other member, and `typ` judged by its own rule
/// ([`typ_problem`]) whatever the expectation lists. (`alg` and `crit` are judged before, by
/// decoding the token as a verifier does.)
fn judge_header(expected: &Object, actual: &Object) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (name, want) in expected.iter().filter(|(name, _)| *name != "typ") {
        let got = actual.get(name);
        if got != Some(want) && !(name == "kid" && got.is_none()) {
            problems.push(header_problem(name, Some(want), got));
        }
    }
    for (name, got) in actual {
        if name != "typ" && !expected.contains_key(name) {
            problems.push(header_problem(name, None, Some(got)));
        }
    }
    problems.extend(typ_problem(actual.get("typ")));
    problems
}

/// The signer rule for `typ`: absent, or the media type `JWT` in any ASCII case (RFC 7519
/// section 5.1). Anything else breaks a `should` rule (SIGN-JWT-TYP), whatever the case's level.
pub(crate) fn typ_problem(typ: Option<&Value>) -> Option<Problem> {
    match typ {
        None => None,
        Some(Value::String(text)) if text.eq_ignore_ascii_case("JWT") => None,
        Some(other) => Some(
            Problem::new(
                Severity::Minor,
                "header.typ",
                "absent, or \"JWT\" (in any case)",
                other.to_string(),
                "typ is not read by verifiers following this profile: harmless to them, but RFC 7519 section 5.1 reserves it for the media type \"JWT\", and a JWT library that checks typ (to keep other JOSE objects out) refuses this token; leave typ out, as ruby-jwt does, or write \"JWT\"",
            )
            .at_level(Level::Should),
        ),
    }
}

/// A header member that differs from the expectation, with what a verifier does about it.
fn header_problem(name: &str, want: Option<&Value>, got: Option<&Value>) -> Problem {
    let shown = show(got);
    let (why, severity) = match (name, want) {
        ("kid", None) => (
            format!("no key_id was given, so no key is called {shown}: a verifier following this profile that picks the key by kid finds none and refuses the token with jwt_signature_invalid; leave kid out when no key_id is given"),
            Severity::Major,
        ),
        ("kid", Some(want)) => (
            format!("a verifier following this profile may pick the key by kid: one that does looks for key {shown}, not {want}, and refuses the token with jwt_signature_invalid; write kid = key_id, or leave it out"),
            Severity::Major,
        ),
        ("alg", _) => (
            format!("a verifier following this profile refuses alg {shown} with jwt_algorithm_not_allowed: sign with HS256"),
            Severity::Major,
        ),
        ("jku" | "x5u" | "x5c" | "jwk", None) => (
            format!("a verifier following this profile never reads `{name}` (it never selects a key or causes a fetch): harmless to it, but a verifier built on a library that honours `{name}` would fetch or trust the key it names; the signer rules allow no header member but alg, typ and kid"),
            Severity::Major,
        ),
        (_, None) => (
            format!("a verifier following this profile ignores `{name}`: harmless to it, but the signer rules allow no header member but alg, typ and kid; remove it"),
            Severity::Minor,
        ),
        (_, Some(_)) => (
            format!("the header must carry `{name}` exactly"),
            Severity::Major,
        ),
    };
    Problem::new(
        severity,
        format!("header.{name}"),
        want.map_or_else(|| "absent".to_string(), Value::to_string),
        shown,
        why,
    )
}

fn member_problem(part: &str, name: &str, want: Option<&Value>, got: Option<&Value>) -> Problem {
    let why = match (name, want) {
        ("nbf", None) => "a verifier following this profile checks nbf and refuses the token before that instant with jwt_not_yet_valid; the signer rules allow no nbf".into(),
        ("iat", None) => "iat, when present, is an integer NumericDate (seconds); a verifier following this profile does not check it, but other JWT libraries refuse a malformed one".into(),
        ("iss" | "aud" | "sub" | "jti", None) => format!("a verifier following this profile ignores the registered claim `{name}` (never an attribute): harmless to it, but the signer rules allow no claim but user_id, email, the attributes, exp and iat"),
        (_, None) => format!("a verifier following this profile applies `{name}` to the user as an attribute nobody asked for; the signer rules allow no claim but user_id, email, the attributes, exp and iat"),
        ("user_id", _) => "user_id must be the user's id as a string: the verifier compares it with the request (jwt_claims_invalid or jwt_identity_mismatch otherwise)".into(),
        _ => format!("`{name}` must be a top-level claim with exactly this value: the verifier applies claims as attributes"),
    };
    Problem::new(
        Severity::Major,
        format!("{part}.{name}"),
        want.map_or_else(|| "absent".to_string(), |v| v.to_string()),
        show(got),
        why,
    )
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

    fn sign_request(
        mode: SignMode,
        user_id: Option<&str>,
        email: Option<&str>,
        secret: &str,
    ) -> SignRequest {
        SignRequest {
            id: "s1".into(),
            now: 1_767_225_600,
            mode,
            platform: Platform::Web,
            secret: secret.into(),
            key_id: None,
            user: crate::contract::User {
                user_id: user_id.map(String::from),
                email: email.map(String::from),
            },
            attributes: Object::new(),
            expires_in: None,
        }
    }

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

    #[test]
    fn a_missing_or_misread_exp_says_what_exp_is() {
        let mut want = Object::new();
        want.insert("exp".into(), 1_767_229_200_i64.into());
        let problems = judge_claims(&want, &Object::new());
        assert!(
            problems[0].why.starts_with("the token never expires"),
            "{}",
            problems[0].why
        );
        assert_eq!(problems[0].severity, Severity::Critical);
        let mut relative = Object::new();
        relative.insert("exp".into(), 3600.into());
        let problems = judge_claims(&want, &relative);
        assert!(
            problems[0]
                .why
                .starts_with("exp is now + expires_in, written as a JSON integer of seconds"),
            "{}",
            problems[0].why
        );
        assert_eq!(problems[0].severity, Severity::Major);
    }

    const KEY: &str = "signer-jwt-key-for-the-judge-0123";

    fn jwt_expectation() -> Expectation {
        let mut header = Object::new();
        header.insert("alg".into(), "HS256".into());
        let mut claims = Object::new();
        claims.insert("user_id".into(), "u-1".into());
        Expectation::Jwt {
            secret: KEY.into(),
            header,
            claims,
        }
    }

    fn token_with_header(header: Value) -> FromAdapter {
        FromAdapter::Signed(Signed {
            id: "s1".into(),
            user_hash: None,
            jwt: Some(jws::sign_hs256(
                &header,
                &serde_json::json!({"user_id": "u-1"}),
                KEY.as_bytes(),
            )),
        })
    }

    #[test]
    fn typ_may_be_absent_or_jwt_in_any_case() {
        for header in [
            serde_json::json!({"alg": "HS256"}),
            serde_json::json!({"alg": "HS256", "typ": "JWT"}),
            serde_json::json!({"typ": "jwt", "alg": "HS256"}),
        ] {
            let judgement = judge_signer(&jwt_expectation(), &token_with_header(header.clone()));
            assert_eq!(
                judgement.class,
                OutcomeClass::Pass,
                "{header}: {judgement:?}"
            );
        }
    }

    #[test]
    fn another_typ_fails_at_should_level_only() {
        let judgement = judge_signer(
            &jwt_expectation(),
            &token_with_header(serde_json::json!({"alg": "HS256", "typ": "JOSE"})),
        );
        assert_eq!(judgement.class, OutcomeClass::WrongDetail);
        assert_eq!(judgement.level, Some(Level::Should));
        assert_eq!(judgement.severity, Some(Severity::Minor));
        let problem = &judgement.problems[0];
        assert_eq!(
            (
                problem.field.as_str(),
                problem.actual.as_str(),
                problem.level
            ),
            ("header.typ", "\"JOSE\"", Some(Level::Should))
        );
        assert!(
            problem.why.starts_with(
                "typ is not read by verifiers following this profile: harmless to them, but"
            ),
            "{}",
            problem.why
        );
        // Beside a must-level problem, the failure is judged at the case's level.
        let judgement = judge_signer(
            &jwt_expectation(),
            &token_with_header(serde_json::json!({"alg": "HS256", "typ": "JOSE", "kid": "k1"})),
        );
        assert_eq!(judgement.problems.len(), 2, "{judgement:?}");
        assert_eq!(judgement.level, None);
        assert_eq!(judgement.severity, Some(Severity::Major));
    }

    #[test]
    fn header_problems_say_what_a_verifier_does() {
        let why = |header: Value| {
            let judgement = judge_signer(&jwt_expectation(), &token_with_header(header));
            judgement.problems[0].why.clone()
        };
        assert!(
            why(serde_json::json!({"alg": "HS512"}))
                .starts_with("a verifier following this profile refuses this token with jwt_algorithm_not_allowed (CONTRACT rule 2.3)"),
        );
        let kid = why(serde_json::json!({"alg": "HS256", "kid": "k1"}));
        assert!(
            kid.starts_with("no key_id was given, so no key is called \"k1\": a verifier following this profile that picks the key by kid finds none and refuses the token with jwt_signature_invalid"),
            "{kid}"
        );
        let extra = why(serde_json::json!({"alg": "HS256", "cty": "JWT"}));
        assert!(
            extra.starts_with("a verifier following this profile ignores `cty`: harmless to it"),
            "{extra}"
        );
        let crit = why(serde_json::json!({"alg": "HS256", "crit": ["exp"]}));
        assert!(crit.contains("with jwt_malformed"), "{crit}");
    }

    #[test]
    fn a_hash_signed_for_a_user_without_identifier_is_shown_and_diagnosed() {
        let refused = Expectation::Refused {
            request: Some(Box::new(sign_request(
                SignMode::UserHash,
                None,
                None,
                SECRET,
            ))),
        };
        let blank = user_hash(SECRET, "");
        let judgement = judge_signer(&refused, &signed(blank.clone()));
        assert_eq!(judgement.class, OutcomeClass::WrongVerdict);
        let problem = &judgement.problems[0];
        assert_eq!(problem.expected, "refused");
        assert_eq!(problem.actual, format!("signed, user_hash {blank:?}"));
        assert!(
            problem.why.contains(
                "Diagnosis: HMAC of the empty string under the secret sent (lowercase hex): the integration hashed a blank email (or user_id) instead of refusing"
            ),
            "{}",
            problem.why
        );
        assert!(!problem.why.contains(SECRET));
        let judgement = judge_signer(
            &refused,
            &signed(user_hash(SECRET, "undefined").to_uppercase()),
        );
        assert!(
            judgement.problems[0].why.contains(
                "Diagnosis: HMAC of the text \"undefined\" under the secret sent (uppercase hex)"
            ),
            "{}",
            judgement.problems[0].why
        );
        // A hash of anything else is shown, with no diagnosis.
        let judgement = judge_signer(&refused, &signed(user_hash(SECRET, "someone")));
        assert!(!judgement.problems[0].why.contains("Diagnosis"));
        assert!(judgement.problems[0]
            .actual
            .starts_with("signed, user_hash \""));
        // A token signed where refusal was due shows its claims.
        let judgement = judge_signer(
            &refused,
            &token_with_header(serde_json::json!({"alg": "HS256"})),
        );
        assert_eq!(
            judgement.problems[0].actual,
            "signed, a JWT with claims {\"user_id\":\"u-1\"}"
        );
    }
}
