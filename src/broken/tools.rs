//! What the wrappers share: reading a request, rewriting its token or its `user_hash` so that
//! the reference reaches the buggy decision, and HMACs the profile does not use.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Sha384, Sha512};

use crate::contract::{JwtKey, Object, Platform, VerifyRequest, Workspace};
use crate::reference::jws::{self, Part};
use crate::reference::user_hash;
use crate::reference::verifier::{parse_request, MessengerRequest};

/// The request after rule 1, if it passes rule 1.
pub(super) fn parsed(request: &VerifyRequest) -> Option<MessengerRequest> {
    parse_request(&request.request).ok()
}

/// The request after rule 1 and its token decoded without checking the MAC: where a broken
/// check of the signature or the key starts.
pub(super) fn unverified_token(
    request: &VerifyRequest,
) -> Option<(MessengerRequest, jws::Unverified<'_>)> {
    let parsed = parsed(request)?;
    let token = jws::decode_unverified(request.request.get("intercom_user_jwt")?.as_str()?).ok()?;
    Some((parsed, token))
}

/// The request with its `intercom_user_jwt` replaced.
pub(super) fn with_token(request: &VerifyRequest, token: String) -> VerifyRequest {
    let mut changed = request.clone();
    changed.request["intercom_user_jwt"] = Value::String(token);
    changed
}

/// The request against another workspace.
pub(super) fn with_workspace(
    request: &VerifyRequest,
    edit: impl FnOnce(&mut Workspace),
) -> VerifyRequest {
    let mut changed = request.clone();
    edit(&mut changed.workspace);
    changed
}

/// The keys that apply to `platform` and can verify anything (a non-empty secret).
pub(super) fn platform_keys(
    workspace: &Workspace,
    platform: Platform,
) -> impl Iterator<Item = &JwtKey> {
    workspace
        .jwt_keys
        .iter()
        .filter(move |k| k.platforms.contains(&platform) && !k.secret.is_empty())
}

/// A token's header and claims, decoded without judging them: three base64url parts whose
/// first two are JSON objects. `None` for anything the codec cannot read that far.
pub(super) struct Lenient<'a> {
    pub split: jws::Split<'a>,
    pub header: Object,
    pub claims: Object,
}

pub(super) fn decode_lenient(token: &str) -> Option<Lenient<'_>> {
    let split = jws::split_compact(token).ok()?;
    let header = jws::parse_json_object(Part::Header, &split.header)
        .ok()?
        .members;
    let claims = jws::parse_json_object(Part::Payload, &split.payload)
        .ok()?
        .members;
    Some(Lenient {
        split,
        header,
        claims,
    })
}

/// The request's token, when it passes the reference's codec (rules 2.2 and 2.3) and verifies
/// under a key of the request's platform: its header, its claims, and that key's secret.
pub(super) struct Verified {
    pub header: Object,
    pub claims: Object,
    pub secret: String,
}

pub(super) fn verified_token(request: &VerifyRequest) -> Option<Verified> {
    let parsed = parsed(request)?;
    let token = parsed.intercom_user_jwt.as_deref()?;
    let decoded = jws::decode_unverified(token).ok()?;
    let key = platform_keys(&request.workspace, parsed.platform)
        .find(|k| decoded.verifies_under(k.secret.as_bytes()))?;
    Some(Verified {
        header: decoded.header.members.clone(),
        claims: decoded.claims.members.clone(),
        secret: key.secret.clone(),
    })
}

/// The request with a token made of `header` (its `alg` set to HS256) and `claims`, signed
/// with `secret`: what the reference is handed once the buggy check has let the token through.
pub(super) fn resigned(
    request: &VerifyRequest,
    header: &Object,
    claims: &Object,
    secret: &str,
) -> VerifyRequest {
    let mut header = header.clone();
    header.insert("alg".into(), jws::ALG_HS256.into());
    let token = jws::sign_hs256(
        &Value::Object(header),
        &Value::Object(claims.clone()),
        secret.as_bytes(),
    );
    with_token(request, token)
}

/// For a token that verifies under a key of the platform: `edit` its claims (returning whether
/// it changed anything) and re-sign it with that key. Any other request is left as it is.
pub(super) fn edit_claims(
    request: &VerifyRequest,
    edit: impl FnOnce(&mut Object, &VerifyRequest) -> bool,
) -> VerifyRequest {
    let Some(mut token) = verified_token(request) else {
        return request.clone();
    };
    if edit(&mut token.claims, request) {
        resigned(request, &token.header, &token.claims, &token.secret)
    } else {
        request.clone()
    }
}

/// A `user_hash` check under rule 3, as a buggy verifier sees it.
pub(super) struct HashCheck<'a> {
    pub platform: Platform,
    /// The platform's identity verification secret.
    pub secret: &'a str,
    pub user_id: Option<&'a str>,
    pub email: Option<&'a str>,
    pub given: &'a str,
}

impl HashCheck<'_> {
    /// The identifier the contract hashes: the `user_id` when one is sent, else the `email`.
    pub(crate) fn identifier(&self) -> &str {
        self.user_id.or(self.email).unwrap_or_default()
    }
}

/// Rule 3.3 decided by `accepts` instead of the contract: a request whose `user_hash` the buggy
/// check accepts gets the right hash, one it refuses (that the contract accepts) a wrong one;
/// the reference then decides everything else (enforcement, identity, attributes) as usual.
pub(super) fn remap_user_hash(
    request: &VerifyRequest,
    accepts: impl Fn(&HashCheck) -> bool,
) -> VerifyRequest {
    let Some(parsed) = parsed(request) else {
        return request.clone();
    };
    let (Some(given), None) = (parsed.user_hash.as_deref(), &parsed.intercom_user_jwt) else {
        return request.clone();
    };
    let Some(settings) = request.workspace.platform(parsed.platform) else {
        return request.clone();
    };
    if parsed.user_id.is_none() && parsed.email.is_none() {
        return request.clone();
    }
    let check = HashCheck {
        platform: parsed.platform,
        secret: &settings.identity_verification.secret,
        user_id: parsed.user_id.as_deref(),
        email: parsed.email.as_deref(),
        given,
    };
    let identifier = check.identifier();
    let conforming = user_hash::check(check.platform, check.secret, identifier, given).is_ok();
    let replacement = match (accepts(&check), conforming) {
        (true, false) => user_hash::user_hash(check.secret, identifier),
        // A well-formed hash of another identifier: a plain mismatch.
        (false, true) => user_hash::user_hash(check.secret, &format!("{identifier}\u{0}")),
        _ => return request.clone(),
    };
    let mut changed = request.clone();
    changed.request["user_hash"] = Value::String(replacement);
    changed
}

/// HMAC with SHA-384 or SHA-512, for the algorithms the profile refuses.
pub(super) fn hmac_sha2(alg: &str, key: &[u8], message: &[u8]) -> Option<Vec<u8>> {
    match alg {
        "HS384" => {
            let mut mac =
                Hmac::<Sha384>::new_from_slice(key).expect("HMAC takes a key of any length");
            mac.update(message);
            Some(mac.finalize().into_bytes().to_vec())
        }
        "HS512" => {
            let mut mac =
                Hmac::<Sha512>::new_from_slice(key).expect("HMAC takes a key of any length");
            mac.update(message);
            Some(mac.finalize().into_bytes().to_vec())
        }
        _ => None,
    }
}

/// The request's token read without judging its header (rule 2.3), when it passes the codec
/// (rule 2.2) and its HS256 MAC verifies under a key of the request's platform: the header, the
/// claims and that key's secret. What a verifier that skips a header check gets to.
pub(super) fn verified_ignoring_header(request: &VerifyRequest) -> Option<Verified> {
    let parsed = parsed(request)?;
    let token = decode_lenient(parsed.intercom_user_jwt.as_deref()?)?;
    let key = platform_keys(&request.workspace, parsed.platform)
        .find(|k| token.split.verifies_under(k.secret.as_bytes()))?;
    Some(Verified {
        header: token.header,
        claims: token.claims,
        secret: key.secret.clone(),
    })
}

/// For a token the buggy verifier accepts though the reference does not: the same header and
/// claims, re-signed with the key it verified under, so the reference decides the rest.
pub(super) fn let_through(request: &VerifyRequest, token: Option<Verified>) -> VerifyRequest {
    match token {
        Some(token) => resigned(request, &token.header, &token.claims, &token.secret),
        None => request.clone(),
    }
}
