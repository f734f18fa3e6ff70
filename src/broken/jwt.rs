//! Token bugs (CONTRACT rule 2): where a JWT is taken, which algorithms pass, and how the claims
//! are checked. Each one lets a token through the buggy way, then hands the reference a token it
//! accepts for the same reason (re-signed with the platform key that verified the original).

use serde_json::Value;

use crate::contract::{ErrorCode, Outcome, Verdict, VerifyRequest};
use crate::reference::verify;

use super::tools::{
    decode_lenient, edit_claims, hmac_sha2, parsed, platform_keys, resigned, verified_token,
    with_workspace,
};

/// `if (request.intercom_user_jwt) verifyJwt(...)`: the platform's `jwt.enabled` is read only to
/// decide whether a JWT is required, never whether one is allowed.
pub(super) fn not_enabled_accepted(request: &VerifyRequest) -> Verdict {
    let Some(parsed) = parsed(request) else {
        return verify(request);
    };
    if parsed.intercom_user_jwt.is_none() {
        return verify(request);
    }
    verify(&with_workspace(request, |workspace| {
        if let Some(settings) = workspace.platforms.get_mut(&parsed.platform) {
            settings.jwt.enabled = true;
        }
    }))
}

/// A library that honours the header: `alg: none` in any casing means "no signature to check".
pub(super) fn alg_none(request: &VerifyRequest) -> Verdict {
    let Some(parsed) = parsed(request) else {
        return verify(request);
    };
    let Some(token) = parsed.intercom_user_jwt.as_deref().and_then(decode_lenient) else {
        return verify(request);
    };
    let unsigned = token
        .header
        .get("alg")
        .and_then(Value::as_str)
        .is_some_and(|alg| alg.eq_ignore_ascii_case("none"));
    match platform_keys(&request.workspace, parsed.platform).next() {
        Some(key) if unsigned => verify(&resigned(
            request,
            &token.header,
            &token.claims,
            &key.secret,
        )),
        _ => verify(request),
    }
}

/// `jwt.verify(token, secret)` without `algorithms: ["HS256"]`: HS384 and HS512 MACs under the
/// same key verify too.
pub(super) fn alg_hs384_hs512(request: &VerifyRequest) -> Verdict {
    let Some(parsed) = parsed(request) else {
        return verify(request);
    };
    let Some(token) = parsed.intercom_user_jwt.as_deref().and_then(decode_lenient) else {
        return verify(request);
    };
    let Some(alg) = token.header.get("alg").and_then(Value::as_str) else {
        return verify(request);
    };
    let input = token.split.signing_input();
    let key = platform_keys(&request.workspace, parsed.platform).find(|k| {
        hmac_sha2(alg, k.secret.as_bytes(), input.as_bytes())
            .is_some_and(|mac| mac == token.split.signature)
    });
    match key {
        Some(key) => verify(&resigned(
            request,
            &token.header,
            &token.claims,
            &key.secret,
        )),
        None => verify(request),
    }
}

/// `const userId = claims.user_id ?? request.user_id`: a token without `user_id` vouches for
/// whoever the request names.
pub(super) fn missing_user_id_fallback(request: &VerifyRequest) -> Verdict {
    verify(&edit_claims(request, |claims, request| {
        let missing = match claims.get("user_id") {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.is_empty(),
            Some(_) => false,
        };
        match parsed(request).and_then(|p| p.user_id) {
            Some(user_id) if missing => {
                claims.insert("user_id".into(), user_id.into());
                true
            }
            _ => false,
        }
    }))
}

/// The decoder is called with expiry checks off (`verify_exp: false`, `ignoreExpiration: true`).
pub(super) fn exp_ignored(request: &VerifyRequest) -> Verdict {
    verify(&edit_claims(request, |claims, _| {
        claims.remove("exp").is_some()
    }))
}

/// `if (now > exp + leeway) expired`: one second late, so a token is still accepted at the very
/// second of `exp`.
pub(super) fn exp_off_by_one(request: &VerifyRequest) -> Verdict {
    verify(&edit_claims(request, |claims, request| {
        let leeway = request.workspace.jwt_leeway_seconds;
        let at_the_second = claims
            .get("exp")
            .and_then(Value::as_f64)
            .is_some_and(|exp| exp + leeway as f64 == request.now as f64);
        if at_the_second {
            claims.insert("exp".into(), (request.now - leeway + 1).into());
        }
        at_the_second
    }))
}

/// The JWT library's default leeway of 60 s, whatever the workspace configures.
pub(super) fn fixed_leeway(request: &VerifyRequest) -> Verdict {
    verify(&with_workspace(request, |workspace| {
        workspace.jwt_leeway_seconds = 60
    }))
}

/// The JWT library's default of `required_spec_claims = ["exp"]`: a token without `exp` is
/// refused, though `exp` is optional.
pub(super) fn exp_required(request: &VerifyRequest) -> Verdict {
    let verdict = verify(request);
    if verdict.outcome != Outcome::Accepted {
        return verdict;
    }
    match verified_token(request) {
        Some(token) if !token.claims.contains_key("exp") => Verdict::rejected(
            &request.id,
            ErrorCode::JwtClaimsInvalid,
            "missing required claim: exp",
        ),
        _ => verdict,
    }
}

/// `nbf` is never looked at (a JWT library that skips it by default).
pub(super) fn nbf_ignored(request: &VerifyRequest) -> Verdict {
    verify(&edit_claims(request, |claims, _| {
        claims.remove("nbf").is_some()
    }))
}

/// The identity comes from the claims and the request's `user_id` and `email` are never compared
/// with it: as if the request had sent the claims' values.
pub(super) fn identity_mismatch_ignored(request: &VerifyRequest) -> Verdict {
    let Some(parsed) = parsed(request) else {
        return verify(request);
    };
    let Some(token) = parsed.intercom_user_jwt.as_deref().and_then(decode_lenient) else {
        return verify(request);
    };
    let mut changed = request.clone();
    for (name, sent) in [("user_id", &parsed.user_id), ("email", &parsed.email)] {
        if let (Some(_), Some(Value::String(claimed))) = (sent, token.claims.get(name)) {
            changed.request[name] = Value::String(claimed.clone());
        }
    }
    verify(&changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The HS512 MAC the broken implementation computes matches an independent one (jws has HS256 only).
    #[test]
    fn hs512_is_hmac_sha512() {
        // RFC 4231 test case 2.
        let mac = hmac_sha2("HS512", b"Jefe", b"what do ya want for nothing?").unwrap();
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert!(hex.starts_with("164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"));
        assert_eq!(hmac_sha2("HS384", b"Jefe", b"x").unwrap().len(), 48);
        assert!(hmac_sha2("HS256", b"Jefe", b"x").is_none());
    }
}
