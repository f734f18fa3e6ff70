//! Severity from what the request lets happen, not from the label of the case.
//!
//! The judge compares answers; it rates "accepted what must be refused" and "vouched for an
//! identity it could not check" critical, as if anyone could have sent the request. Whether
//! anyone could is a property of the request, which [`derive`] reads
//! ([`crate::reference::verifier::exposure`]): a token MACed with a key listed for the request's
//! platform, or a user_hash made with the platform's secret, could only come from the platform's
//! own server, so letting it in despite a format or claim rule is a lenient reading (`major` or
//! `minor`), named for what it is; only a request someone without the secret could make keeps
//! `critical`. [`cap`] then keeps `should` and `may` failures below `critical`, and a case may
//! set its own severity with a reason ([`apply_override`]).

use super::{Judgement, Problem, Severity};
use crate::contract::{FromAdapter, ToAdapter};
use crate::reference::verifier::{exposure, Exposure};
use crate::scenario::model::CaseSeverity;
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
    let derived = |p: &Problem| p.severity == Severity::Critical && lets_in(p);
    if !problems.iter().any(derived) {
        return;
    }
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

/// What the problem says, without the judge's claim about who could be let in.
fn lenient_why(problem: &Problem) -> &'static str {
    match problem.field.as_str() {
        "outcome" => "it accepted a request that must be refused",
        "verified" => "it vouched for an identity the request does not prove",
        _ => "a rejected request must not identify anyone or change any attribute",
    }
}

/// `should` and `may` failures are never critical: at most `major`. `level` is the case's,
/// `failure_level` the judgement's own, when every problem names one.
pub(crate) fn cap(
    severity: Option<Severity>,
    level: Level,
    failure_level: Option<Level>,
) -> Option<Severity> {
    let lenient = level != Level::Must || failure_level.is_some_and(|l| l != Level::Must);
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

impl From<CaseSeverity> for Severity {
    fn from(severity: CaseSeverity) -> Severity {
        match severity {
            CaseSeverity::Critical => Severity::Critical,
            CaseSeverity::Major => Severity::Major,
            CaseSeverity::Minor => Severity::Minor,
        }
    }
}
