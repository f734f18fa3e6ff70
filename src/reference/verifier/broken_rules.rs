//! Every rule a request breaks, not only the first.
//!
//! CONTRACT.md: "Implementations check in other orders too, so when a request breaks several
//! rules, the code of any rule it breaks conforms". A verifier that checks `alg` before it
//! decodes the payload, or `exp` before `user_id` (as PyJWT and npm jsonwebtoken do), answers
//! the code of another broken rule than the reference's first; the property tests judge a
//! generated request against this whole set. Each rule is evaluated on its own wherever its
//! inputs can be read (a payload that is not JSON has no claims to check); nothing is put into
//! words.

use std::collections::BTreeSet;

use serde_json::Value;

use super::request::RESERVED_ATTRIBUTES;
use super::Verifier;
use crate::contract::{ErrorCode, VerifyRequest};
use crate::reference::jws::{self, JsonObject, Part};

/// The codes of every rule `request` breaks, in the contract's order; empty when the reference
/// accepts it. The reference's own code is always among them.
pub fn broken_rules(request: &VerifyRequest) -> Vec<ErrorCode> {
    let mut verifier = Verifier {
        now: request.now,
        workspace: &request.workspace,
        trace: None,
    };
    let mut broken = BTreeSet::new();
    let parsed = match verifier.rule_1(&request.request) {
        Ok(parsed) => parsed,
        Err(rejection) => {
            broken.insert(rejection.code);
            // A request whose only shape problem is a reserved attribute name can still be
            // read: a verifier that checks its token or hash first answers for those. So can one
            // with an empty `user_id` or `email` beside a token: a verifier that checks the
            // token's header or signature before the request's fields answers for the token
            // (the empty identifier is left out, so rule 2.8 is not judged on it).
            let empty = has_empty_identifier(&request.request);
            match verifier.rule_1(&readable(&request.request)) {
                Ok(parsed) if !empty || parsed.intercom_user_jwt.is_some() => parsed,
                _ => return ordered(broken),
            }
        }
    };
    let platform = parsed.platform;
    let has_identity = parsed.user_id.is_some() || parsed.email.is_some();
    if let Some(token) = &parsed.intercom_user_jwt {
        // Rule 2: each sub-rule as if the ones before it held.
        if !verifier.jwt_enabled(platform) {
            broken.insert(ErrorCode::JwtNotEnabled);
        }
        let split = match jws::split_compact(token) {
            Ok(split) => split,
            Err(error) => {
                broken.insert(error.code());
                // A token whose structure is wrong may still have a readable header: a
                // verifier that checks `alg` first answers for it.
                if let Some(header) = readable_header(token) {
                    if let Err(error) = jws::check_header(&header) {
                        broken.insert(error.code());
                    }
                }
                return ordered(broken);
            }
        };
        let header = jws::parse_json_object(Part::Header, &split.header);
        let claims = jws::parse_json_object(Part::Payload, &split.payload);
        for error in [&header, &claims]
            .into_iter()
            .filter_map(|p| p.as_ref().err())
        {
            broken.insert(error.code());
        }
        if let Ok(header) = &header {
            if let Err(error) = jws::check_header(header) {
                broken.insert(error.code());
            }
        }
        // The header only names keys for the diagnosis, which is not written here.
        let unreadable_header = JsonObject::empty();
        let header_for_keys = header.as_ref().unwrap_or(&unreadable_header);
        if verifier
            .rule_2_4(platform, &split, header_for_keys)
            .is_err()
        {
            broken.insert(ErrorCode::JwtSignatureInvalid);
        }
        if let Ok(claims) = &claims {
            match verifier.rule_2_5(claims) {
                Ok(identity) => {
                    if let Err(rejection) = verifier.rule_2_8(&parsed, &identity) {
                        broken.insert(rejection.code);
                    }
                }
                Err(rejection) => {
                    broken.insert(rejection.code);
                    if super::jwt::has_mistyped_claims_besides_user_id(claims) {
                        broken.insert(ErrorCode::JwtClaimsInvalid);
                    }
                }
            }
            broken.extend(verifier.time_rules_broken(claims));
        }
    } else if has_identity {
        // Rule 3: the user_hash rules as if JWT were not required, then 3.1 itself.
        if verifier.jwt_enabled(platform) {
            broken.insert(ErrorCode::JwtRequired);
        }
        let mut without_jwt = request.workspace.clone();
        if let Some(settings) = without_jwt.platforms.get_mut(&platform) {
            settings.jwt.enabled = false;
        }
        let mut idv = Verifier {
            now: request.now,
            workspace: &without_jwt,
            trace: None,
        };
        if let Err(rejection) = idv.rule_3(&parsed) {
            broken.insert(rejection.code);
        }
    } else if parsed.user_hash.is_some() {
        broken.insert(verifier.rule_4().code);
    }
    ordered(broken)
}

/// The header of a dotted token, when its first segment decodes to a JSON object.
fn readable_header(token: &str) -> Option<JsonObject> {
    let (header, _) = token.split_once('.')?;
    let bytes = jws::b64url_decode_strict(header).ok()?;
    jws::parse_json_object(Part::Header, &bytes).ok()
}

/// Whether the request sends an empty `user_id` or `email`.
fn has_empty_identifier(raw: &Value) -> bool {
    ["user_id", "email"]
        .iter()
        .any(|name| raw.get(name).and_then(Value::as_str) == Some(""))
}

/// The request with reserved names taken out of its attributes and empty identifiers left out.
pub(super) fn readable(raw: &Value) -> Value {
    let mut raw = raw.clone();
    if let Some(attributes) = raw.get_mut("attributes").and_then(Value::as_object_mut) {
        attributes.retain(|name, _| !RESERVED_ATTRIBUTES.contains(&name.as_str()));
    }
    if let Some(fields) = raw.as_object_mut() {
        fields.retain(|name, value| {
            !((name == "user_id" || name == "email") && value.as_str() == Some(""))
        });
    }
    raw
}

fn ordered(codes: BTreeSet<ErrorCode>) -> Vec<ErrorCode> {
    codes.into_iter().collect()
}
