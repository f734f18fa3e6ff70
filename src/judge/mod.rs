//! The judge: one expectation, one answer, one `Judgement`.
//!
//! Severity says what a difference means for the people behind the implementation:
//! - **critical** (an authentication bypass): someone without the platform's secret could be let
//!   in or pass as another user: it accepted a request anyone could make (alg `none`, a signature
//!   that verifies under no key listed for the platform, a missing or wrong user_hash under
//!   enforcement, an identity the token contradicts), vouched for an identity the request does
//!   not prove, or let a locked attribute change without a valid JWT;
//! - **major**: a rule that protects users does not hold for a request only the platform could
//!   have made (an expired token MACed with its key: revocation by expiry fails), it refused what
//!   must be accepted (real users are locked out), or a signer produced something a conforming
//!   verifier will refuse;
//! - **minor**: a lenient parser that loses nothing the signer meant, or the right decision with
//!   the wrong error code or attribute detail.
//!
//! The judge compares answers only; `severity::derive` then rates each acceptance by who could
//! have sent its request, `severity::cap` keeps `should` and `may` failures below critical, and
//! a case may set its own severity with a reason.

use serde::Serialize;
use serde_json::Value;

use crate::contract::{
    Capability, ErrorCode, FromAdapter, Outcome, Role, SignMode, ToAdapter, Verdict,
};
use judgement::unexpected_type;

pub mod breaks;
mod expectation;
mod judgement;
mod may;
mod open;
pub(crate) mod severity;
mod signed;

pub use expectation::{Expectation, ExpectedVerdict};
pub(crate) use judgement::Judgement;
pub use judgement::{OutcomeClass, Problem, Severity, SkipCause};

/// A request that got no usable answer: a timeout (`timed_out`) or another adapter error, never
/// a pass. `actual` says what happened (the caller redacts it).
pub(crate) fn no_answer(timed_out: bool, actual: String) -> Judgement {
    let class = if timed_out {
        OutcomeClass::Timeout
    } else {
        OutcomeClass::AdapterError
    };
    Judgement::from_problems(class, vec![Problem::no_answer(actual)])
}

/// A case or property (`what`) that was never sent, because the run stopped (`reason`): an
/// adapter error, never a pass.
pub(crate) fn not_run(what: &str, reason: &str) -> Judgement {
    Judgement::from_problems(
        OutcomeClass::AdapterError,
        vec![Problem::not_run(what, reason)],
    )
}

/// An `unsupported` answer (`said`) to `message`, a request `hello` declared no lack for (the
/// harness never sends one that needs a declared lack): a skip the implementation did not
/// declare, which fails the gate for a `must` case, in words that say what the request needed.
/// The run records it; smoke fails with it.
pub(crate) fn unsupported(said: &str, message: &ToAdapter) -> Judgement {
    let (need, remedy) = match needs(message) {
        Some(capability) => (
            format!("{} (`{capability}`)", capability.describe()),
            format!(
                "answer it, or declare `\"lacks\": [\"{capability}\"]` in hello if the \
                 implementation cannot do it"
            ),
        ),
        None => (
            format!(
                "what this request needs (the {} role, which hello offers)",
                role_of(message).map_or("", Role::as_str)
            ),
            "answer it: `unsupported` is only for what hello declares the implementation lacks"
                .to_string(),
        ),
    };
    undeclared_unsupported(said, &need, &remedy)
}

/// The capability `message` needs beyond its role, if any: its sign mode, or for a verify whose
/// fields do not all have their contract's types, the reading of such requests.
pub(crate) fn needs(message: &ToAdapter) -> Option<Capability> {
    match message {
        ToAdapter::Sign(sign) => Some(match sign.mode {
            SignMode::UserHash => Capability::SignUserHash,
            SignMode::Jwt => Capability::SignJwt,
        }),
        ToAdapter::Verify(verify) => {
            (!crate::reference::well_typed(&verify.request)).then_some(Capability::IllTypedRequests)
        }
        ToAdapter::Hello(_) | ToAdapter::Bye => None,
    }
}

fn role_of(message: &ToAdapter) -> Option<Role> {
    match message {
        ToAdapter::Verify(_) => Some(Role::Verifier),
        ToAdapter::Sign(_) => Some(Role::Signer),
        ToAdapter::Hello(_) | ToAdapter::Bye => None,
    }
}

/// An `unsupported` answer that says nothing of the request: `need` names what the request
/// needs (`JWT signing (\`sign_jwt\`)`), `remedy` what to do.
fn undeclared_unsupported(message: &str, need: &str, remedy: &str) -> Judgement {
    Judgement::skipped(
        SkipCause::Undeclared,
        format!(
            "answered `unsupported` ({:?}), but hello declared no lack of {need}: {remedy}",
            crate::shorten::truncate(message, 200)
        ),
    )
}

/// Judge one answer against one expectation.
pub(crate) fn judge(expectation: &Expectation, answer: &FromAdapter) -> Judgement {
    if let FromAdapter::Unsupported(u) = answer {
        return undeclared_unsupported(
            &u.message,
            "anything this request needs",
            "answer it, or declare in hello what the implementation lacks",
        );
    }
    match expectation {
        Expectation::Verdict(expected) => match answer {
            FromAdapter::Verdict(actual) => judge_verdict(expected, actual),
            other => unexpected_type("verdict", other),
        },
        Expectation::AnyOf { verdicts } => match answer {
            FromAdapter::Verdict(actual) => judge_any_of(verdicts, actual),
            other => unexpected_type("verdict", other),
        },
        Expectation::SignerAnyOf {
            answers,
            should,
            request,
        } => may::judge_any_of(answers, should, request.as_deref(), answer),
        Expectation::UserHash { .. } | Expectation::Jwt { .. } | Expectation::Refused { .. } => {
            signed::judge_signer(expectation, answer)
        }
    }
}

/// [`judge`], each problem naming the requirement the answer to `message` breaks, and its
/// severity derived from what the request lets happen; an `unsupported` answer is a skip hello
/// did not declare, in words that say what `message` needed ([`unsupported`]). The judgement a
/// run records, and the one `smoke` shows.
pub(crate) fn judge_message(
    expectation: &Expectation,
    answer: &FromAdapter,
    message: &ToAdapter,
) -> Judgement {
    if let FromAdapter::Unsupported(answer) = answer {
        return unsupported(&answer.message, message);
    }
    let mut judgement = judge(expectation, answer);
    breaks::name_requirements(&mut judgement.problems, message, expectation);
    severity::derive(&mut judgement, message, answer);
    judgement
}

/// A `may` case: any listed verdict passes, and the report records which was chosen. An answer
/// that matches none fails like any other answer, judged against the closest listed verdict
/// (the same decision first, then the fewest differences); its first problem lists every verdict
/// that would have conformed.
fn judge_any_of(verdicts: &[ExpectedVerdict], actual: &Verdict) -> Judgement {
    let mut closest: Option<(usize, Judgement)> = None;
    for (index, expected) in verdicts.iter().enumerate() {
        let judgement = judge_verdict(expected, actual);
        if judgement.class == OutcomeClass::Pass {
            return Judgement {
                chosen: Some(index),
                ..judgement
            };
        }
        if closest
            .as_ref()
            .is_none_or(|(_, c)| judgement.distance() < c.distance())
        {
            closest = Some((index, judgement));
        }
    }
    let Some((index, closest)) = closest else {
        return Judgement::pass();
    };
    let listed: Vec<String> = verdicts
        .iter()
        .enumerate()
        .map(|(i, v)| format!("({}) {}", i + 1, describe_verdict(v)))
        .collect();
    let summary = Problem::new(
        closest.severity.unwrap_or(Severity::Minor),
        "verdict",
        format!("any one of the listed verdicts: {}", listed.join("; ")),
        describe_verdict(&ExpectedVerdict {
            outcome: actual.outcome,
            error: actual.error,
            also: Vec::new(),
            verified: actual.verified,
            identity: actual.identity.clone(),
            applied: actual.attributes.applied.clone(),
            dropped: actual.attributes.dropped.clone(),
        }),
        format!(
            "this `may` case lets the implementation choose among {} verdicts and never fails it for the choice, but this answer matches none of them, so it breaks a rule like any other answer; compared with the closest, ({}):",
            verdicts.len(),
            index + 1
        ),
    );
    let mut problems = vec![summary];
    problems.extend(closest.problems);
    Judgement::from_problems(closest.class, problems)
}

/// A verdict in one line: `rejected (jwt_signature_invalid)`, or `accepted, verified, identity
/// {"user_id":"u-1"}, applied {"plan":"pro"}` (empty parts left out).
fn describe_verdict(verdict: &ExpectedVerdict) -> String {
    if verdict.outcome == Outcome::Rejected {
        return format!("rejected ({})", show_code(verdict.error));
    }
    let mut text = format!(
        "accepted, {}",
        if verdict.verified {
            "verified"
        } else {
            "not verified"
        }
    );
    text.push_str(&format!(", identity {}", show_json(&verdict.identity)));
    if !verdict.applied.is_empty() {
        text.push_str(&format!(", applied {}", show_json(&verdict.applied)));
    }
    if !verdict.dropped.is_empty() {
        text.push_str(&format!(", dropped {}", show_json(&verdict.dropped)));
    }
    text
}

/// Compare a verdict field by field; the class is that of the gravest kind of difference.
pub(crate) fn judge_verdict(expected: &ExpectedVerdict, actual: &Verdict) -> Judgement {
    if expected.outcome != actual.outcome {
        let (why, severity) = match expected.outcome {
            Outcome::Rejected => (
                "it accepted a request that must be refused: anyone could send it and be let in (an authentication bypass)",
                Severity::Critical,
            ),
            Outcome::Accepted => (
                "it refused a request that must be accepted: real users of a correct integration are locked out",
                Severity::Major,
            ),
        };
        let expected_text = match expected.error {
            Some(code) => format!("rejected ({code})"),
            None => "accepted".to_string(),
        };
        let actual_text = match actual.error {
            Some(code) => format!("{} ({code})", actual.outcome),
            None => actual.outcome.to_string(),
        };
        let mut why = why.to_string();
        // The judge does not see the request, so it cannot diagnose the hash itself: it says
        // where a verifier that refuses a right user_hash usually goes wrong.
        if expected.outcome == Outcome::Accepted
            && expected.verified
            && actual.error == Some(ErrorCode::UserHashMismatch)
        {
            why.push_str(". Note: the reference verifies this user_hash; check that the implementation hashes the user_id when one is sent (else the email), exactly as sent, with the request platform's own secret, and accepts either hex case on web (`messenger-conformance debug hash` names such mistakes)");
        }
        let problem = Problem::new(severity, "outcome", expected_text, actual_text, why);
        return Judgement::from_problems(OutcomeClass::WrongVerdict, vec![problem]);
    }

    let mut problems = Vec::new();
    if expected.outcome == Outcome::Rejected {
        let conforming_code = actual.error == expected.error
            || actual
                .error
                .is_some_and(|code| expected.also.contains(&code));
        if !conforming_code {
            let expected_codes = match expected.also.as_slice() {
                [] => show_code(expected.error),
                also => format!(
                    "{} or, as the request breaks those rules too, {}",
                    show_code(expected.error),
                    also.iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            };
            problems.push(Problem::new(
                Severity::Minor,
                "error",
                expected_codes,
                show_code(actual.error),
                "integrators and their logs rely on the code to find which rule a request broke",
            ));
        }
        let shape_ok = !actual.verified
            && actual.identity.is_none()
            && actual.attributes.applied.is_empty()
            && actual.attributes.dropped.is_empty();
        if !shape_ok {
            problems.push(Problem::new(
                if actual.verified || !actual.attributes.applied.is_empty() {
                    Severity::Critical
                } else {
                    Severity::Minor
                },
                "rejection",
                "verified false, identity null, no attributes",
                format!(
                    "verified {}, identity {}, {} applied, {} dropped",
                    actual.verified,
                    show_json(&actual.identity),
                    actual.attributes.applied.len(),
                    actual.attributes.dropped.len()
                ),
                "a rejected request must not identify anyone or change any attribute",
            ));
        }
        let class = if problems.iter().any(|p| p.field == "error") {
            OutcomeClass::WrongErrorCode
        } else {
            OutcomeClass::WrongDetail
        };
        return Judgement::from_problems(class, problems);
    }

    if expected.verified != actual.verified {
        let (why, severity) = if actual.verified {
            ("it vouched for an identity it could not check: the session is trusted as that user (impersonation)", Severity::Critical)
        } else {
            ("it did not vouch for an identity that was proven: the user is treated as unverified", Severity::Major)
        };
        problems.push(Problem::new(
            severity,
            "verified",
            expected.verified.to_string(),
            actual.verified.to_string(),
            why,
        ));
    }
    if expected.identity != actual.identity {
        let wrong_user = actual.verified
            && actual.identity.as_ref().and_then(|i| i.user_id.as_ref())
                != expected.identity.as_ref().and_then(|i| i.user_id.as_ref());
        let (why, severity) = if wrong_user {
            (
                "the session is verified as another user than the proof names (impersonation)",
                Severity::Critical,
            )
        } else {
            (
                "the identity must come from the signed data, and unsigned data must not replace it",
                Severity::Minor,
            )
        };
        problems.push(Problem::new(
            severity,
            "identity",
            show_json(&expected.identity),
            show_json(&actual.identity),
            why,
        ));
    }
    problems.extend(judge_attributes(expected, actual));
    Judgement::from_problems(OutcomeClass::WrongDetail, problems)
}

fn judge_attributes(expected: &ExpectedVerdict, actual: &Verdict) -> Vec<Problem> {
    let mut problems = Vec::new();
    let names = expected
        .applied
        .keys()
        .chain(expected.dropped.keys())
        .chain(actual.attributes.applied.keys())
        .chain(actual.attributes.dropped.keys());
    let mut seen = std::collections::BTreeSet::new();
    for name in names {
        if !seen.insert(name.clone()) {
            continue;
        }
        let want = describe_attribute(
            expected.applied.get(name),
            expected.dropped.get(name).map(|r| r.as_str()),
        );
        let got = describe_attribute(
            actual.attributes.applied.get(name),
            actual.attributes.dropped.get(name).map(|r| r.as_str()),
        );
        if want == got {
            continue;
        }
        let locked_but_applied = expected.dropped.get(name).map(|r| r.as_str())
            == Some("locked_attribute")
            && actual.attributes.applied.contains_key(name);
        let (why, severity) = if locked_but_applied {
            (
                "a locked attribute changed without a valid JWT: only a signed token may change it",
                Severity::Critical,
            )
        } else {
            (
                "attributes must be applied or dropped exactly as the locking rules say",
                Severity::Minor,
            )
        };
        problems.push(Problem::new(
            severity,
            format!("attributes.{name}"),
            want,
            got,
            why,
        ));
    }
    problems
}

fn describe_attribute(applied: Option<&Value>, dropped: Option<&str>) -> String {
    match (applied, dropped) {
        (Some(v), None) => format!("applied {v}"),
        (None, Some(reason)) => format!("dropped ({reason})"),
        (None, None) => "absent".into(),
        (Some(v), Some(reason)) => format!("applied {v} and dropped ({reason})"),
    }
}

fn show_code(code: Option<crate::contract::ErrorCode>) -> String {
    code.map_or_else(|| "no error code".to_string(), |c| c.to_string())
}

fn show_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{Attributes, Identity, Object};

    fn identity(user_id: &str) -> Option<Identity> {
        Some(Identity {
            user_id: Some(user_id.into()),
            email: None,
        })
    }

    fn listed() -> Vec<ExpectedVerdict> {
        vec![
            ExpectedVerdict::rejected(ErrorCode::JwtSignatureInvalid),
            ExpectedVerdict {
                outcome: Outcome::Accepted,
                error: None,
                also: Vec::new(),
                verified: true,
                identity: identity("u-1"),
                applied: Object::new(),
                dropped: Default::default(),
            },
        ]
    }

    fn verdict(outcome: Outcome, error: Option<ErrorCode>, user_id: Option<&str>) -> Verdict {
        Verdict {
            id: "c1".into(),
            outcome,
            verified: user_id.is_some(),
            identity: user_id.and_then(identity),
            error,
            attributes: Attributes::default(),
            message: None,
        }
    }

    #[test]
    fn a_may_case_passes_either_listed_verdict_and_records_which() {
        let expectation = Expectation::AnyOf { verdicts: listed() };
        let rejected = verdict(
            Outcome::Rejected,
            Some(ErrorCode::JwtSignatureInvalid),
            None,
        );
        let judgement = judge(&expectation, &FromAdapter::Verdict(rejected));
        assert_eq!(
            (judgement.class, judgement.chosen),
            (OutcomeClass::Pass, Some(0))
        );
        let accepted = verdict(Outcome::Accepted, None, Some("u-1"));
        let judgement = judge(&expectation, &FromAdapter::Verdict(accepted));
        assert_eq!(
            (judgement.class, judgement.chosen),
            (OutcomeClass::Pass, Some(1))
        );
    }

    #[test]
    fn a_may_answer_that_matches_none_says_which_would_have_conformed() {
        let expectation = Expectation::AnyOf { verdicts: listed() };
        let other_user = verdict(Outcome::Accepted, None, Some("u-2"));
        let judgement = judge(&expectation, &FromAdapter::Verdict(other_user));
        assert_eq!(judgement.class, OutcomeClass::WrongDetail);
        assert_eq!(judgement.chosen, None);
        let first = &judgement.problems[0];
        assert_eq!(first.field, "verdict");
        assert_eq!(
            first.expected,
            "any one of the listed verdicts: (1) rejected (jwt_signature_invalid); (2) accepted, verified, identity {\"user_id\":\"u-1\",\"email\":null}"
        );
        assert_eq!(
            first.actual,
            "accepted, verified, identity {\"user_id\":\"u-2\",\"email\":null}"
        );
        assert!(
            first.why.ends_with("this answer matches none of them, so it breaks a rule like any other answer; compared with the closest, (2):"),
            "{}",
            first.why
        );
        // The closest verdict's own problems follow, and give the severity.
        assert_eq!(judgement.problems[1].field, "identity");
        assert_eq!(judgement.severity, Some(Severity::Critical));
        assert_eq!(first.severity, Severity::Critical);
        // A wrong code is closest to the rejection.
        let wrong_code = verdict(Outcome::Rejected, Some(ErrorCode::JwtMalformed), None);
        let judgement = judge(&expectation, &FromAdapter::Verdict(wrong_code));
        assert_eq!(judgement.class, OutcomeClass::WrongErrorCode);
        assert!(judgement.problems[0].why.ends_with("the closest, (1):"));
        assert_eq!(judgement.problems[1].field, "error");
    }
}
