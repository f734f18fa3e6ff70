//! The judge: one expectation, one answer, one [`Judgement`].
//!
//! Severity says what a difference means for the people behind the implementation:
//! - **critical**: it accepted what must be refused, vouched for an identity it could not check,
//!   or let a locked attribute change without a valid JWT: an authentication bypass;
//! - **major**: it refused what must be accepted, or a signer produced something a conforming
//!   verifier will refuse: the integration breaks for real users;
//! - **minor**: the right decision with the wrong error code or attribute detail.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::contract::{ErrorCode, FromAdapter, Outcome, Verdict};
use crate::scenario::{Expectation, ExpectedVerdict};

mod signed;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Major,
    Minor,
}

impl Severity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Major => "major",
            Severity::Minor => "minor",
        }
    }
}

/// What kind of result a case had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeClass {
    Pass,
    /// Accepted where it must refuse, refused where it must accept; signed where it must refuse.
    WrongVerdict,
    /// Refused, but with another code.
    WrongErrorCode,
    /// The right decision, wrong identity, verified flag, attributes, hash or token.
    WrongDetail,
    /// No usable answer: crash, garbage, wrong id.
    AdapterError,
    /// No answer in time.
    Timeout,
    /// Not run, with a reason (role not offered, needs an exact instant, unsupported).
    Skipped,
}

impl OutcomeClass {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeClass::Pass => "pass",
            OutcomeClass::WrongVerdict => "wrong_verdict",
            OutcomeClass::WrongErrorCode => "wrong_error_code",
            OutcomeClass::WrongDetail => "wrong_detail",
            OutcomeClass::AdapterError => "adapter_error",
            OutcomeClass::Timeout => "timeout",
            OutcomeClass::Skipped => "skipped",
        }
    }

    pub fn is_failure(self) -> bool {
        !matches!(self, OutcomeClass::Pass | OutcomeClass::Skipped)
    }

    /// Whether the implementation gave an answer to judge (not an adapter error or a timeout).
    pub(crate) fn is_answered(self) -> bool {
        !matches!(self, OutcomeClass::AdapterError | OutcomeClass::Timeout)
    }
}

/// One difference between expectation and answer, in the words a failure message uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// The part of the answer, e.g. `outcome`, `error`, `identity.user_id`, `attributes.applied.plan`.
    pub field: String,
    pub expected: String,
    pub actual: String,
    /// Why it matters.
    pub why: String,
    pub severity: Severity,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Judgement {
    pub class: OutcomeClass,
    pub severity: Option<Severity>,
    pub problems: Vec<Problem>,
    /// For `may` cases: which of the conforming answers the implementation chose.
    pub chosen: Option<usize>,
    /// Why the case was skipped.
    pub skip_reason: Option<String>,
}

impl Judgement {
    pub(crate) fn pass() -> Self {
        Judgement {
            class: OutcomeClass::Pass,
            severity: None,
            problems: vec![],
            chosen: None,
            skip_reason: None,
        }
    }

    pub(crate) fn skipped(reason: impl Into<String>) -> Self {
        Judgement {
            class: OutcomeClass::Skipped,
            skip_reason: Some(reason.into()),
            ..Judgement::pass()
        }
    }

    /// A judgement from the problems found; no problems is a pass.
    pub(crate) fn from_problems(class: OutcomeClass, problems: Vec<Problem>) -> Self {
        if problems.is_empty() {
            return Judgement::pass();
        }
        let severity = problems.iter().map(|p| p.severity).min();
        Judgement {
            class,
            severity,
            problems,
            chosen: None,
            skip_reason: None,
        }
    }
}

/// A request that got no usable answer: a timeout or an adapter error, never a pass. `actual`
/// says what happened (the caller redacts it).
pub(crate) fn no_answer(kind: crate::adapter::AdapterErrorKind, actual: String) -> Judgement {
    let class = if kind == crate::adapter::AdapterErrorKind::Timeout {
        OutcomeClass::Timeout
    } else {
        OutcomeClass::AdapterError
    };
    let problem = Problem {
        field: "answer".into(),
        expected: "one valid protocol message answering the request".into(),
        actual,
        why:
            "an adapter error never counts as a pass; the adapter was restarted and the run went on"
                .into(),
        severity: Severity::Major,
    };
    Judgement::from_problems(class, vec![problem])
}

/// Judge one answer against one expectation.
pub(crate) fn judge(expectation: &Expectation, answer: &FromAdapter) -> Judgement {
    if let FromAdapter::Unsupported(u) = answer {
        return Judgement::skipped(format!(
            "the implementation does not support this request: {}",
            u.message
        ));
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
        Expectation::UserHash { .. } | Expectation::Jwt { .. } | Expectation::Refused => {
            signed::judge_signer(expectation, answer)
        }
    }
}

fn unexpected_type(expected: &str, answer: &FromAdapter) -> Judgement {
    Judgement::from_problems(
        OutcomeClass::AdapterError,
        vec![Problem {
            field: "type".into(),
            expected: expected.into(),
            actual: answer.type_name().into(),
            why: "the contract answers each request type with its own message type".into(),
            severity: Severity::Major,
        }],
    )
}

fn judge_any_of(verdicts: &[ExpectedVerdict], actual: &Verdict) -> Judgement {
    let mut closest: Option<Judgement> = None;
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
            .is_none_or(|c| judgement.problems.len() < c.problems.len())
        {
            closest = Some(judgement);
        }
    }
    closest.unwrap_or_else(Judgement::pass)
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
        let problem = Problem {
            field: "outcome".into(),
            expected: expected_text,
            actual: actual_text,
            why,
            severity,
        };
        return Judgement::from_problems(OutcomeClass::WrongVerdict, vec![problem]);
    }

    let mut problems = Vec::new();
    if expected.outcome == Outcome::Rejected {
        let conforming_code = actual.error == expected.error
            || actual
                .error
                .is_some_and(|code| expected.also.contains(&code));
        if !conforming_code {
            problems.push(Problem {
                field: "error".into(),
                expected: show_code(expected.error),
                actual: show_code(actual.error),
                why:
                    "integrators and their logs rely on the code to find which rule a request broke"
                        .into(),
                severity: Severity::Minor,
            });
        }
        let shape_ok = !actual.verified
            && actual.identity.is_none()
            && actual.attributes.applied.is_empty()
            && actual.attributes.dropped.is_empty();
        if !shape_ok {
            problems.push(Problem {
                field: "rejection".into(),
                expected: "verified false, identity null, no attributes".into(),
                actual: format!(
                    "verified {}, identity {}, {} applied, {} dropped",
                    actual.verified,
                    show_json(&actual.identity),
                    actual.attributes.applied.len(),
                    actual.attributes.dropped.len()
                ),
                why: "a rejected request must not identify anyone or change any attribute".into(),
                severity: if actual.verified || !actual.attributes.applied.is_empty() {
                    Severity::Critical
                } else {
                    Severity::Minor
                },
            });
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
        problems.push(Problem {
            field: "verified".into(),
            expected: expected.verified.to_string(),
            actual: actual.verified.to_string(),
            why: why.into(),
            severity,
        });
    }
    if expected.identity != actual.identity {
        let wrong_user = actual.verified
            && actual.identity.as_ref().and_then(|i| i.user_id.as_ref())
                != expected.identity.as_ref().and_then(|i| i.user_id.as_ref());
        problems.push(Problem {
            field: "identity".into(),
            expected: show_json(&expected.identity),
            actual: show_json(&actual.identity),
            why: if wrong_user {
                "the session is verified as another user than the proof names (impersonation)"
                    .into()
            } else {
                "the identity must come from the signed data, and unsigned data must not replace it"
                    .into()
            },
            severity: if wrong_user {
                Severity::Critical
            } else {
                Severity::Minor
            },
        });
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
        problems.push(Problem {
            field: format!("attributes.{name}"),
            expected: want,
            actual: got,
            why: if locked_but_applied {
                "a locked attribute changed without a valid JWT: only a signed token may change it"
                    .into()
            } else {
                "attributes must be applied or dropped exactly as the locking rules say".into()
            },
            severity: if locked_but_applied {
                Severity::Critical
            } else {
                Severity::Minor
            },
        });
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
