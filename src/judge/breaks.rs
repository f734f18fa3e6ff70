//! Which requirement a problem breaks: the rule the observed answer goes against, not every
//! requirement the case is tagged with. A token whose only problem is its header breaks
//! SIGN-JWT-HEADER, not SIGN-HASH; an accepted token the reference refuses for its `exp` breaks
//! JWT-EXP.

use super::expectation::Expectation;
use super::Problem;
use crate::contract::{SignMode, ToAdapter, VerifyRequest};
use crate::reference::{self, requirement as req};

/// Name, on each problem, the requirement the answer to `message` breaks, where it can be told.
pub fn name_requirements(problems: &mut [Problem], message: &ToAdapter, expectation: &Expectation) {
    for problem in problems.iter_mut().filter(|p| p.requirement.is_none()) {
        problem.requirement = match message {
            ToAdapter::Verify(request) => verifier_requirement(problem, request, expectation),
            ToAdapter::Sign(request) => signer_requirement(&problem.field, request.mode),
            _ => None,
        }
        .map(str::to_string);
    }
}

fn verifier_requirement(
    problem: &Problem,
    request: &VerifyRequest,
    expectation: &Expectation,
) -> Option<&'static str> {
    let has_jwt = request
        .request
        .get("intercom_user_jwt")
        .is_some_and(|t| !t.is_null());
    let field = problem.field.as_str();
    match field {
        "outcome" | "error" | "rejection" | "verdict" => {
            let (verdict, trace) = reference::verify_traced(request);
            match verdict.error {
                // The rule the reference refuses by (the first that fails).
                Some(_) => trace.iter().find(|c| !c.holds).map(|c| c.requirement),
                // The reference accepts: the rule broken is the one the case is about (its
                // tags say it better than the code the implementation refused with).
                None => None,
            }
        }
        "identity" if has_jwt => Some(req::JWT_IDENTITY_FROM_CLAIMS),
        "identity" => Some(req::IDV_IDENTITY),
        "verified" if has_jwt => Some(req::JWT_SIGNATURE),
        "verified" if problem.expected == "true" => Some(req::IDV_ENFORCED),
        "verified" => Some(req::IDV_UNENFORCED),
        _ => {
            let name = field.strip_prefix("attributes.")?;
            let dropped = expected_drop(expectation, name);
            Some(match dropped.as_deref() {
                Some("locked_attribute") if name == "email" => req::ATTR_LOCKED_EMAIL,
                Some("locked_attribute") => req::ATTR_LOCKED,
                Some("overridden_by_jwt") => req::ATTR_OVERRIDDEN_BY_JWT,
                _ if reference::verifier::REGISTERED_CLAIMS.contains(&name) => {
                    req::ATTR_REGISTERED_CLAIMS
                }
                _ if has_jwt => req::ATTR_JWT_CLAIMS_APPLIED,
                _ => req::ATTR_UNLOCKED,
            })
        }
    }
}

fn expected_drop(expectation: &Expectation, name: &str) -> Option<String> {
    let verdict = match expectation {
        Expectation::Verdict(verdict) => verdict,
        Expectation::AnyOf { verdicts } => verdicts.first()?,
        _ => return None,
    };
    let reason = verdict.dropped.get(name)?;
    serde_json::to_value(reason)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
}

fn signer_requirement(field: &str, mode: SignMode) -> Option<&'static str> {
    Some(match (field, mode) {
        // A refusal where a signature is due (a signature where a refusal is due names its rule
        // itself, see `judge::signed`).
        ("outcome" | "type" | "answer", SignMode::UserHash) => "SIGN-HASH",
        ("outcome" | "type" | "answer", SignMode::Jwt) => "SIGN-JWT-CLAIMS",
        ("user_hash", _) => "SIGN-HASH",
        ("header.typ", _) => "SIGN-JWT-TYP",
        ("signature", _) => "SIGN-JWT-SIGNATURE",
        ("claims.exp", _) => "SIGN-JWT-EXP",
        (field, _) if field.starts_with("header.") => "SIGN-JWT-HEADER",
        (field, _) if field.starts_with("claims.") || field == "jwt" => "SIGN-JWT-CLAIMS",
        _ => return None,
    })
}
