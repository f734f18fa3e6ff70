//! Rule 1 bugs: how the request itself is read (its action, empty identifiers, the names its
//! attributes may take).

use serde_json::Value;

use crate::contract::{Outcome, Verdict, VerifyRequest};
use crate::reference::verifier::RESERVED_ATTRIBUTES;
use crate::reference::verify;

use super::tools::{parsed, with_workspace};

/// Identity verification runs on `boot` only: an `update` is trusted as part of the session
/// booted before, so it is judged as if identity verification were not enforced.
pub(super) fn update_unverified(request: &VerifyRequest) -> Verdict {
    let update = request.request.get("action").and_then(Value::as_str) == Some("update");
    match parsed(request) {
        Some(p) if update && p.intercom_user_jwt.is_none() => {
            verify(&with_workspace(request, |workspace| {
                if let Some(settings) = workspace.platforms.get_mut(&p.platform) {
                    settings.identity_verification.enforced = false;
                }
            }))
        }
        _ => verify(request),
    }
}

/// `if (request.user_id)`: an empty `user_id` or `email` is falsy, read as not sent, so the
/// request falls back to the other identifier (or none) instead of being `invalid_request`.
pub(super) fn empty_identifier_as_missing(request: &VerifyRequest) -> Verdict {
    let mut changed = request.clone();
    if let Some(fields) = changed.request.as_object_mut() {
        fields.retain(|name, value| {
            !((name == "user_id" || name == "email") && value.as_str() == Some(""))
        });
    }
    verify(&changed)
}

/// No reserved names: an attribute called `user_id`, `email`, `user_hash` or
/// `intercom_user_jwt` is applied like any other instead of making the request invalid.
pub(super) fn reserved_attributes_applied(request: &VerifyRequest) -> Verdict {
    let Some(attributes) = request.request.get("attributes").and_then(Value::as_object) else {
        return verify(request);
    };
    let reserved: Vec<(String, Value)> = attributes
        .iter()
        .filter(|(name, _)| RESERVED_ATTRIBUTES.contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    if reserved.is_empty() {
        return verify(request);
    }
    let mut changed = request.clone();
    if let Some(attributes) = changed.request["attributes"].as_object_mut() {
        attributes.retain(|name, _| !RESERVED_ATTRIBUTES.contains(&name.as_str()));
    }
    let mut verdict = verify(&changed);
    if verdict.outcome == Outcome::Accepted {
        verdict.attributes.applied.extend(reserved);
    }
    verdict
}
