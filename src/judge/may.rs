//! A signer's `may` expectation (CONTRACT, "Inputs the signer rules leave open"): the answer is
//! judged against each listed answer by [`judge_signer`]; the first it matches passes, any other
//! fails at the level the table gives, with the problems `open` finds in what it did.

use serde_json::Value;

use super::expectation::Expectation;
use super::open::{describe_answer, what_it_did};
use super::signed::judge_signer;
use super::{Judgement, OutcomeClass, Problem, Severity};
use crate::contract::{FromAdapter, SignRequest};
use crate::reference::user_hash::user_hash;
use crate::shorten::truncate;
use crate::spec::Level;

/// A `may` signer expectation: the first listed answer the signer gave passes (and is recorded);
/// otherwise the answer fails at `should` when it is one of `should`, else at `must`, judged
/// against the closest listed answer, after the problems that name what it did.
pub(super) fn judge_any_of(
    answers: &[Expectation],
    should: &[Expectation],
    request: Option<&SignRequest>,
    answer: &FromAdapter,
) -> Judgement {
    // What the answer did that the table singles out: such an answer matches no listed one,
    // even where a listed token's leeway (an `iat` of any value) would let it through.
    let deeds = match (request, answer) {
        (Some(request), FromAdapter::Signed(signed)) => what_it_did(request, signed),
        _ => Vec::new(),
    };
    let mut closest: Option<(usize, Judgement)> = None;
    for (index, expected) in answers.iter().enumerate() {
        let judgement = judge_signer(expected, answer);
        if judgement.class == OutcomeClass::Pass && deeds.is_empty() {
            return Judgement {
                chosen: Some(index),
                ..judgement
            };
        }
        if !judgement.class.is_answered() {
            return judgement;
        }
        // The same kind of answer first (a token beside a token), then the fewest differences.
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
    let at_should = should
        .iter()
        .any(|e| judge_signer(e, answer).class == OutcomeClass::Pass);
    let level = if at_should {
        Level::Should
    } else {
        Level::Must
    };
    let did: Vec<String> = deeds.iter().map(|d| d.did.clone()).collect();
    let named: Vec<Problem> = deeds.into_iter().map(|d| d.problem).collect();
    let listed: Vec<String> = answers
        .iter()
        .enumerate()
        .map(|(i, e)| format!("({}) {}", i + 1, describe_expected(e)))
        .collect();
    let severity = named
        .iter()
        .map(|p| p.severity)
        .chain(closest.severity)
        .min()
        .unwrap_or(Severity::Minor);
    let why = format!(
        "the signer rules leave this input open and allow {} (CONTRACT, \"Inputs the signer rules leave open\"); this answer is none of them, so it fails at {level} level{}; compared with the closest, ({}):",
        match answers.len() {
            1 => "one answer".to_string(),
            n => format!("{n} answers"),
        },
        if did.is_empty() {
            String::new()
        } else {
            format!(": it {}", did.join("; it "))
        },
        index + 1
    );
    let mut summary = Problem::new(
        severity,
        "answer",
        format!("any one of the conforming answers: {}", listed.join("; ")),
        describe_answer(answer),
        why,
    )
    .at_level(level);
    // The summary breaks the rule its first named deed breaks, if that one names it.
    if let Some(requirement) = named.first().and_then(|p| p.requirement.clone()) {
        summary = summary.breaking(requirement);
    }
    let named_fields: Vec<String> = named.iter().map(|p| p.field.clone()).collect();
    let mut problems = vec![summary];
    problems.extend(named);
    problems.extend(
        closest
            .problems
            .into_iter()
            .filter(|p| !named_fields.contains(&p.field)),
    );
    for problem in &mut problems {
        let lower = problem.level == Some(Level::Should);
        problem.level = Some(if lower { Level::Should } else { level });
        // Nobody is let in or locked out by a verifier following this profile.
        if at_should {
            problem.severity = Severity::Minor;
        }
    }
    let class = match closest.class {
        OutcomeClass::Pass => OutcomeClass::WrongDetail,
        class => class,
    };
    Judgement::from_problems(class, problems)
}

/// One listed answer, in a few words.
fn describe_expected(expected: &Expectation) -> String {
    match expected {
        Expectation::Refused { .. } => "refused".into(),
        Expectation::UserHash {
            user_hash,
            user_id,
            email,
            ..
        } => {
            let over = match (user_id.as_deref(), email.as_deref()) {
                (Some(id), _) if !id.is_empty() && user_hash_over(expected, id) => "the user_id",
                (_, Some(email)) if user_hash_over(expected, email) => "the email",
                _ => "the identifier",
            };
            format!("signed, the user_hash over {over} ({user_hash})")
        }
        Expectation::Jwt { claims, .. } => format!(
            "signed, a JWT with claims {}",
            truncate(&Value::Object(claims.clone()).to_string(), 300)
        ),
        other => format!("{other:?}"),
    }
}

fn user_hash_over(expected: &Expectation, identifier: &str) -> bool {
    match expected {
        Expectation::UserHash {
            user_hash: hash,
            secrets,
            ..
        } => secrets
            .first()
            .is_some_and(|s| user_hash(&s.secret, identifier) == *hash),
        _ => false,
    }
}
