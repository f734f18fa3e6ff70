//! Bugs in what an accepted request changes (attributes) and in how a refusal is reported.

use crate::contract::{DropReason, ErrorCode, Outcome, Verdict, VerifyRequest};
use crate::reference::verifier::REGISTERED_CLAIMS;
use crate::reference::verify;

use super::tools::{edit_claims, parsed, verified_token};

/// The lock list is checked for JWT claims only: locked attributes sent in the request are
/// applied as sent.
pub(super) fn locked_from_request(request: &VerifyRequest) -> Verdict {
    let mut verdict = verify(request);
    let Some(parsed) = parsed(request) else {
        return verdict;
    };
    for (name, value) in &parsed.attributes {
        if verdict.attributes.dropped.get(name) == Some(&DropReason::LockedAttribute) {
            verdict.attributes.dropped.remove(name);
            verdict
                .attributes
                .applied
                .insert(name.clone(), value.clone());
        }
    }
    verdict
}

/// The token is read for `user_id` and `email` only; its other claims never become attributes,
/// and the request's attributes are judged as if no JWT had set any.
pub(super) fn jwt_claims_ignored(request: &VerifyRequest) -> Verdict {
    verify(&edit_claims(request, |claims, _| {
        let before = claims.len();
        claims.retain(|name, _| {
            name == "user_id" || name == "email" || REGISTERED_CLAIMS.contains(&name.as_str())
        });
        claims.len() != before
    }))
}

/// One catch-all error path: every rejection says `invalid_request`.
pub(super) fn generic_error_codes(request: &VerifyRequest) -> Verdict {
    let mut verdict = verify(request);
    if verdict.error.is_some() {
        verdict.error = Some(ErrorCode::InvalidRequest);
    }
    verdict
}

/// Only `exp` and `nbf` are treated as registered (they are the ones checked): `iat`, `iss`,
/// `aud`, `sub` and `jti` are applied as attributes like any other claim.
pub(super) fn registered_claims_applied(request: &VerifyRequest) -> Verdict {
    let mut verdict = verify(request);
    if verdict.outcome != Outcome::Accepted {
        return verdict;
    }
    let Some(token) = verified_token(request) else {
        return verdict;
    };
    let sent = parsed(request).map(|p| p.attributes).unwrap_or_default();
    for (name, value) in &token.claims {
        if matches!(name.as_str(), "iat" | "iss" | "aud" | "sub" | "jti") {
            verdict
                .attributes
                .applied
                .insert(name.clone(), value.clone());
            if sent.contains_key(name) {
                verdict
                    .attributes
                    .dropped
                    .insert(name.clone(), DropReason::OverriddenByJwt);
            }
        }
    }
    verdict
}
