//! Severity from what the request lets happen, not from the label of the case.
//!
//! The judge compares answers; it rates "accepted what must be refused" and "vouched for an
//! identity it could not check" critical, as if anyone could have sent the request. Whether
//! anyone could is a property of the request, which [`derive`] reads
//! ([`crate::reference::verifier::exposure`]): a token MACed with a key listed for the request's
//! platform, or a user_hash made with the platform's secret, could only come from the platform's
//! own server, so letting it in despite a format or claim rule is a lenient reading (`major` or
//! `minor`), named for what it is; only a request someone without the secret could make keeps
//! `critical`. [`cap`] then keeps `should` failures below `critical` (a `may` case fails only on an answer it does not list, which breaks a `must` rule), and a case may
//! set its own severity with a reason ([`apply_override`]).

use super::{Judgement, Problem, Severity};
use crate::contract::{FromAdapter, ToAdapter, VerifyRequest};
use crate::reference::verifier::{exposure, platform_signed_claims, Exposure};
use crate::spec::Level;

/// The problems whose severity depends on who could have sent the request: an acceptance of a
/// request that must be refused, and a verification the request does not prove.
fn lets_in(problem: &Problem) -> bool {
    matches!(problem.field.as_str(), "outcome" | "rejection" | "verified")
}

/// Rate each critical problem of `judgement` by what its request lets happen, and the judgement
/// by its gravest problem.
/// `answer` is what the implementation said: a verdict that vouches for the user is judged by
/// whether the request proves the identity.
pub(crate) fn derive(judgement: &mut Judgement, message: &ToAdapter, answer: &FromAdapter) {
    let vouched = matches!(answer, FromAdapter::Verdict(verdict) if verdict.verified);
    derive_problems(&mut judgement.problems, message, vouched);
    judgement.severity = judgement.problems.iter().map(|p| p.severity).min();
}

/// [`derive`] on problems alone (a property's invariant builds its judgement after).
pub(crate) fn derive_problems(problems: &mut [Problem], message: &ToAdapter, vouched: bool) {
    let ToAdapter::Verify(request) = message else {
        return;
    };
    signed_attributes_are_no_bypass(problems, request);
    let derived = |p: &Problem| p.severity == Severity::Critical && lets_in(p);
    if problems.iter().any(derived) {
        rate_by_exposure(problems, request, vouched);
    }
    // A `may` answer that matches no listed verdict carries the severity of the closest one.
    let gravest = problems
        .iter()
        .filter(|p| p.field != "verdict")
        .map(|p| p.severity)
        .min();
    if let (Some(gravest), Some(summary)) =
        (gravest, problems.iter_mut().find(|p| p.field == "verdict"))
    {
        summary.severity = gravest;
    }
}

/// The critical problems that let the request in, rated by who could have sent it.
fn rate_by_exposure(problems: &mut [Problem], request: &VerifyRequest, vouched: bool) {
    let derived = |p: &Problem| p.severity == Severity::Critical && lets_in(p);
    let vouched = vouched
        || problems
            .iter()
            .any(|p| p.field == "verified" && p.actual == "true");
    let exposure = exposure(request, vouched);
    for problem in problems.iter_mut().filter(|p| derived(p)) {
        match &exposure {
            Exposure::Bypass(why) => {
                problem.why = format!("{} (an authentication bypass): {why}", lenient_why(problem));
            }
            Exposure::Lenient { what, protects } => {
                problem.severity = if *protects {
                    Severity::Major
                } else {
                    Severity::Minor
                };
                problem.why = format!(
                    "{}. Not an authentication bypass: {what}",
                    lenient_why(problem)
                );
            }
        }
    }
}

/// A locked attribute applied from a claim of a token that a key of the platform MACed was set
/// by the platform's own server: applied where the rules say otherwise (a registered claim taken
/// for an attribute, say), but no one without the key could choose its value. `major`.
fn signed_attributes_are_no_bypass(problems: &mut [Problem], request: &VerifyRequest) {
    let critical_attribute =
        |p: &Problem| p.severity == Severity::Critical && p.field.starts_with("attributes.");
    if !problems.iter().any(critical_attribute) {
        return;
    }
    let Some(claims) = platform_signed_claims(request) else {
        return;
    };
    for problem in problems.iter_mut().filter(|p| critical_attribute(p)) {
        let name = &problem.field["attributes.".len()..];
        if claims.contains_key(name) {
            problem.severity = Severity::Major;
            problem.why = format!(
                "attributes must be applied or dropped exactly as the locking rules say. Not an \
                 authentication bypass: `{name}` is a claim of a token MACed with a key listed \
                 for the platform, so only the platform's own server chose its value"
            );
        }
    }
}

/// What the problem says, without the judge's claim about who could be let in.
fn lenient_why(problem: &Problem) -> &'static str {
    match problem.field.as_str() {
        "outcome" => "it accepted a request that must be refused",
        "verified" => "it vouched for an identity the request does not prove",
        _ => "a rejected request must not identify anyone or change any attribute",
    }
}

/// `should` failures are never critical: at most `major`. `level` is the case's,
/// `failure_level` the judgement's own, when every problem names one. A failure of a `may` case
/// is an answer the case does not list: it breaks a rule like any other answer (CONTRACT,
/// "Levels"), at `must` unless its problems name `should` ([`crate::event::CaseEvent::gate_level`]).
pub(crate) fn cap(
    severity: Option<Severity>,
    level: Level,
    failure_level: Option<Level>,
) -> Option<Severity> {
    let judged_at = match (level, failure_level) {
        (_, Some(Level::Should)) => Level::Should,
        (Level::May, _) => Level::Must,
        (level, _) => level,
    };
    let lenient = judged_at != Level::Must;
    match severity {
        Some(Severity::Critical) if lenient => Some(Severity::Major),
        other => other,
    }
}

/// [`cap`] on a judgement and its problems.
pub(crate) fn cap_judgement(judgement: &mut Judgement, level: Level) {
    let failure_level = judgement.level;
    judgement.severity = cap(judgement.severity, level, failure_level);
    for problem in &mut judgement.problems {
        let own = problem.level.or(failure_level);
        problem.severity = cap(Some(problem.severity), level, own).unwrap_or(problem.severity);
    }
}

/// A case's own severity for its failure, with its reason: it replaces the derived one, and the
/// first problem says so.
pub(crate) fn apply_override(judgement: &mut Judgement, severity: Severity, reason: &str) {
    if !judgement.class.is_failure() {
        return;
    }
    judgement.severity = Some(severity);
    if let Some(first) = judgement.problems.first_mut() {
        first.severity = severity;
        first.why = format!(
            "{}. Severity {}, set by the case: {reason}",
            first.why,
            severity.as_str()
        );
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::contract::{Attributes, ErrorCode, Outcome, Verdict, VerifyRequest};
    use crate::judge::{Expectation, ExpectedVerdict};
    use crate::reference::jws::{b64url_encode, hmac_sha256, sign_hs256};
    use crate::reference::user_hash::user_hash;

    const NOW: i64 = 1_767_225_600;
    const K_WEB: &str = "jwt-web-secret-0004-0123456789abcdef";
    const K_IOS: &str = "jwt-ios-secret-0005-0123456789abcdef";
    const IDV_WEB: &str = "idv-web-secret-0001-0123456789abcdef";

    fn verify(request: Value) -> ToAdapter {
        let workspace = json!({
            "name": "w",
            "platforms": {
                "web": {"identity_verification": {"secret": IDV_WEB, "enforced": true}, "jwt": {"enabled": true}},
                "android": {"identity_verification": {"secret": IDV_WEB, "enforced": true}, "jwt": {"enabled": false}}
            },
            "jwt_keys": [
                {"id": "k-web", "secret": K_WEB, "platforms": ["web"]},
                {"id": "k-ios", "secret": K_IOS, "platforms": ["ios"]}
            ],
            "locked_attributes": ["plan"]
        });
        ToAdapter::Verify(VerifyRequest {
            id: "r1".into(),
            now: NOW,
            workspace: serde_json::from_value(workspace).unwrap(),
            request,
        })
    }

    fn web(token: String) -> Value {
        json!({"action": "boot", "platform": "web", "intercom_user_jwt": token})
    }

    fn token(header: Value, claims: Value, secret: &str) -> String {
        sign_hs256(&header, &claims, secret.as_bytes())
    }

    fn hs256(claims: Value, secret: &str) -> String {
        token(json!({"alg": "HS256"}), claims, secret)
    }

    fn accepted(verified: bool) -> FromAdapter {
        FromAdapter::Verdict(Verdict {
            id: "r1".into(),
            outcome: Outcome::Accepted,
            verified,
            identity: None,
            error: None,
            attributes: Attributes::default(),
            message: None,
        })
    }

    /// The judgement of an acceptance where `code` was expected, derived from `request`.
    fn judged(request: Value, code: ErrorCode) -> Judgement {
        let expected = Expectation::Verdict(ExpectedVerdict::rejected(code));
        let answer = accepted(true);
        let mut judgement = crate::judge::judge(&expected, &answer);
        assert_eq!(
            judgement.severity,
            Some(Severity::Critical),
            "the judge alone"
        );
        derive(&mut judgement, &verify(request), &answer);
        judgement
    }

    #[test]
    fn a_lenient_parser_is_not_a_bypass() {
        // Padding on the payload, MACed as sent with the platform's own key.
        let header = b64url_encode(br#"{"alg":"HS256"}"#);
        let payload = format!("{}=", b64url_encode(br#"{"user_id":"u-1"}"#));
        let input = format!("{header}.{payload}");
        let padded = format!(
            "{input}.{}",
            b64url_encode(hmac_sha256(K_WEB.as_bytes(), input.as_bytes()))
        );
        let judgement = judged(web(padded), ErrorCode::JwtMalformed);
        assert_eq!(judgement.severity, Some(Severity::Minor));
        let why = &judgement.problems[0].why;
        assert!(why.starts_with("it accepted a request that must be refused. Not an authentication bypass: a lenient parser (padding, whitespace"), "{why}");
        assert!(
            why.contains("no one without that key could make it"),
            "{why}"
        );

        // An ignored `crit` and an expired token: the platform's key made them, but a rule that
        // protects users does not hold.
        let crit = token(
            json!({"alg": "HS256", "crit": ["exp"]}),
            json!({"user_id": "u-1"}),
            K_WEB,
        );
        let judgement = judged(web(crit), ErrorCode::JwtMalformed);
        assert_eq!(judgement.severity, Some(Severity::Major));
        assert!(judgement.problems[0].why.contains("an ignored `crit`"));
        let expired = hs256(json!({"user_id": "u-1", "exp": NOW - 60}), K_WEB);
        let judgement = judged(web(expired), ErrorCode::JwtExpired);
        assert_eq!(judgement.severity, Some(Severity::Major));
        assert!(judgement.problems[0]
            .why
            .contains("an expiry that does not hold"));
        let numeric_string = hs256(
            json!({"user_id": "u-1", "exp": (NOW + 60).to_string()}),
            K_WEB,
        );
        let judgement = judged(web(numeric_string), ErrorCode::JwtClaimsInvalid);
        assert_eq!(judgement.severity, Some(Severity::Major));
        assert!(judgement.problems[0].why.contains("lenient claim types"));
    }

    #[test]
    fn what_an_outsider_can_make_is_a_bypass() {
        let bypass = |request: Value, code: ErrorCode, says: &str| {
            let judgement = judged(request, code);
            assert_eq!(judgement.severity, Some(Severity::Critical), "{says}");
            let why = &judgement.problems[0].why;
            assert!(
                why.starts_with(
                    "it accepted a request that must be refused (an authentication bypass): "
                ) && why.contains(says),
                "{why}"
            );
        };
        // alg none, even beside the platform's valid MAC.
        let none = token(json!({"alg": "none"}), json!({"user_id": "u-1"}), K_WEB);
        bypass(
            web(none),
            ErrorCode::JwtAlgorithmNotAllowed,
            "an unsigned token (alg none)",
        );
        let forged = hs256(
            json!({"user_id": "u-1"}),
            "not-the-key-0123456789abcdefghij",
        );
        bypass(
            web(forged),
            ErrorCode::JwtSignatureInvalid,
            "verifies under no key listed for web",
        );
        let ios_key = hs256(json!({"user_id": "u-1"}), K_IOS);
        bypass(
            web(ios_key),
            ErrorCode::JwtSignatureInvalid,
            "not listed for web (another platform's)",
        );
        // The platform's own token, but the request names another user.
        let mut other_user = web(hs256(json!({"user_id": "u-1"}), K_WEB));
        other_user["user_id"] = json!("u-2");
        bypass(
            other_user,
            ErrorCode::JwtIdentityMismatch,
            "names another user than the token",
        );
        // No token where enforcement is on: a wrong hash, a missing one.
        let wrong_hash = json!({"action": "boot", "platform": "android", "user_id": "u-1", "user_hash": user_hash(IDV_WEB, "u-2")});
        bypass(
            wrong_hash,
            ErrorCode::UserHashMismatch,
            "is not the HMAC of the user_id",
        );
        let no_hash = json!({"action": "boot", "platform": "android", "user_id": "u-1"});
        bypass(
            no_hash,
            ErrorCode::UserHashRequired,
            "no user_hash proves the user_id",
        );
    }

    #[test]
    fn should_failures_are_never_critical_and_may_failures_break_must_rules() {
        let none = token(json!({"alg": "none"}), json!({"user_id": "u-1"}), K_WEB);
        let mut judgement = judged(web(none), ErrorCode::JwtAlgorithmNotAllowed);
        let must = judgement.clone();
        cap_judgement(&mut judgement, Level::Should);
        assert_eq!(judgement.severity, Some(Severity::Major));
        assert!(judgement
            .problems
            .iter()
            .all(|p| p.severity != Severity::Critical));
        // A `may` case's failure is an answer it does not list: a `must` rule broken, kept.
        let mut may = must.clone();
        cap_judgement(&mut may, Level::May);
        assert_eq!(may.severity, Some(Severity::Critical));
        // A failure whose problems all break a `should` rule, in a `must` case.
        let mut should_rule = must.clone();
        should_rule.level = Some(Level::Should);
        cap_judgement(&mut should_rule, Level::Must);
        assert_eq!(should_rule.severity, Some(Severity::Major));
        let mut kept = must;
        cap_judgement(&mut kept, Level::Must);
        assert_eq!(kept.severity, Some(Severity::Critical));
    }

    #[test]
    fn a_case_override_applies_with_its_reason() {
        let expired = hs256(json!({"user_id": "u-1", "exp": NOW - 60}), K_WEB);
        let mut judgement = judged(web(expired), ErrorCode::JwtExpired);
        apply_override(
            &mut judgement,
            Severity::Critical,
            "this workspace revokes by expiry",
        );
        assert_eq!(judgement.severity, Some(Severity::Critical));
        assert_eq!(judgement.problems[0].severity, Severity::Critical);
        assert!(judgement.problems[0]
            .why
            .ends_with(". Severity critical, set by the case: this workspace revokes by expiry"));
        // A pass stays a pass.
        let mut pass = Judgement::pass();
        apply_override(&mut pass, Severity::Critical, "r");
        assert_eq!(pass.severity, None);
    }
}
