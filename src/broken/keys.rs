//! Key selection bugs (CONTRACT rule 2.4): which of the configured keys may verify a token.

use std::collections::BTreeMap;

use crate::adapter::builtin::InProcess;
use crate::contract::{
    FromAdapter, HelloReply, JwtKey, Platform, SignRequest, Verdict, VerifyRequest,
};
use crate::reference::{sign, verify, Reference};

use super::tools::{decode_lenient, parsed, with_workspace};

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

impl InProcess for RememberingKeys {
    fn hello(&self) -> HelloReply {
        Reference::hello()
    }

    fn verify(&mut self, request: &VerifyRequest) -> Verdict {
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

    fn sign(&mut self, request: &SignRequest) -> FromAdapter {
        sign(request)
    }
}
