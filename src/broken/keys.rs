//! Key selection bugs (CONTRACT rule 2.4): which of the configured keys may verify a token.

use std::collections::BTreeMap;

use crate::contract::{JwtKey, Platform, Verdict, VerifyRequest};
use crate::reference::{jws, verify};

use super::tools::{decode_lenient, parsed, resigned, unverified_token, with_workspace};

/// `for key in workspace.jwt_keys: if verify(token, key): ok`: the key's `platforms` are never
/// read, so the iOS key verifies web tokens.
pub(super) fn any_platform(request: &VerifyRequest) -> Verdict {
    verify(&with_workspace(request, |workspace| {
        for key in &mut workspace.jwt_keys {
            key.platforms = Platform::ALL.to_vec();
        }
    }))
}

/// `key = keys_by_id[header.kid] ?? keys_for(platform)`: a `kid` naming a key of another
/// platform selects it, so the header, which the attacker writes, picks the key.
pub(super) fn kid_selects_any_key(request: &VerifyRequest) -> Verdict {
    let Some(parsed) = parsed(request) else {
        return verify(request);
    };
    let kid = parsed
        .intercom_user_jwt
        .as_deref()
        .and_then(decode_lenient)
        .and_then(|token| {
            token
                .header
                .get("kid")
                .and_then(|v| v.as_str())
                .map(String::from)
        });
    let Some(kid) = kid else {
        return verify(request);
    };
    verify(&with_workspace(request, |workspace| {
        for key in workspace.jwt_keys.iter_mut().filter(|k| k.id == kid) {
            if !key.platforms.contains(&parsed.platform) {
                key.platforms.push(parsed.platform);
            }
        }
    }))
}

/// A key cache filled from the configuration and never evicted: every key a workspace has ever
/// listed keeps verifying after it is rotated out. Per instance, as a cache is per process.
#[derive(Default)]
pub(super) struct RememberingKeys {
    /// Every key seen, by workspace name.
    seen: BTreeMap<String, Vec<JwtKey>>,
}

impl RememberingKeys {
    pub(super) fn verify(&mut self, request: &VerifyRequest) -> Verdict {
        let cache = self.seen.entry(request.workspace.name.clone()).or_default();
        for key in &request.workspace.jwt_keys {
            if !cache.contains(key) {
                cache.push(key.clone());
            }
        }
        let cache = cache.clone();
        verify(&with_workspace(request, |workspace| {
            for key in cache {
                if !workspace.jwt_keys.contains(&key) {
                    workspace.jwt_keys.push(key);
                }
            }
        }))
    }
}

/// The secret the reference is handed for a listed empty-secret key the buggy verifier lets
/// verify (the reference never verifies under an empty one).
const EMPTY_KEY_STAND_IN: &str = "broken-stand-in-for-the-empty-secret";

/// `hmac.new(key.secret.encode(), ...)` with no check that the secret is set: a listed key with
/// an empty secret verifies tokens MACed with the empty key, which anyone can make.
pub(super) fn empty_secret_verifies(request: &VerifyRequest) -> Verdict {
    let Some((parsed, token)) = unverified_token(request) else {
        return verify(request);
    };
    let input = token.split.signing_input();
    let empty_verifies = jws::hmac_sha256_verify(b"", input.as_bytes(), &token.split.signature);
    let empty_key = request
        .workspace
        .jwt_keys
        .iter()
        .position(|k| k.secret.is_empty() && k.platforms.contains(&parsed.platform));
    match empty_key {
        Some(index) if empty_verifies => {
            let mut changed = resigned(
                request,
                &token.header.members,
                &token.claims.members,
                EMPTY_KEY_STAND_IN,
            );
            changed.workspace.jwt_keys[index].secret = EMPTY_KEY_STAND_IN.into();
            verify(&changed)
        }
        _ => verify(request),
    }
}
