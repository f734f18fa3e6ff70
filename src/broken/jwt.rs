//! Token bugs (CONTRACT rule 2): where a JWT is taken, which algorithms pass, and how the claims
//! are checked. Each one lets a token through the buggy way, then hands the reference a token it
//! accepts for the same reason (re-signed with the platform key that verified the original).

use serde_json::Value;

use crate::contract::{ErrorCode, Outcome, Verdict, VerifyRequest};
use crate::reference::jws;
use crate::reference::verify;

use super::tools::{
    decode_lenient, edit_claims, hmac_sha2, let_through, parsed, platform_keys, resigned,
    unverified_token, verified_ignoring_header, verified_token, with_token, with_workspace,
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

/// Each part decoded with a forgiving base64 decoder (`+` read as `-`, `/` as `_`, `=` padding
/// dropped), the MAC checked over the text as sent: a token in the standard alphabet verifies.
pub(super) fn standard_base64(request: &VerifyRequest) -> Verdict {
    let Some(token) = parsed(request).and_then(|p| p.intercom_user_jwt) else {
        return verify(request);
    };
    if jws::split_compact(&token).is_ok() {
        return verify(request);
    }
    let parts: Vec<&str> = token.split('.').collect();
    let decode = |part: &str| {
        let url: String = part
            .trim_end_matches('=')
            .chars()
            .map(|c| match c {
                '+' => '-',
                '/' => '_',
                c => c,
            })
            .collect();
        jws::b64url_decode_strict(&url).ok()
    };
    let [header, payload, signature] = parts[..] else {
        return verify(request);
    };
    let (Some(header_bytes), Some(payload_bytes), Some(mac)) =
        (decode(header), decode(payload), decode(signature))
    else {
        return verify(request);
    };
    let Some(parsed) = parsed(request) else {
        return verify(request);
    };
    let input = format!("{header}.{payload}");
    let key = platform_keys(&request.workspace, parsed.platform)
        .find(|k| jws::hmac_sha256_verify(k.secret.as_bytes(), input.as_bytes(), &mac));
    let respelled = match key {
        // Verified as sent: the same bytes, canonically spelled and signed, for the reference.
        Some(key) => jws::sign_raw(&header_bytes, &payload_bytes, key.secret.as_bytes()),
        None => format!(
            "{}.{}.{}",
            jws::b64url_encode(&header_bytes),
            jws::b64url_encode(&payload_bytes),
            jws::b64url_encode(&mac)
        ),
    };
    verify(&with_token(request, respelled))
}

/// `token.strip()` before decoding: whitespace around the token (a trailing newline from a file
/// or an environment variable) is forgiven.
pub(super) fn trims_token(request: &VerifyRequest) -> Verdict {
    match parsed(request).and_then(|p| p.intercom_user_jwt) {
        Some(token) if token.trim() != token => {
            verify(&with_token(request, token.trim().to_string()))
        }
        _ => verify(request),
    }
}

/// `crit` is never read: a token whose header lists extensions this profile does not understand
/// is verified like any other.
pub(super) fn crit_ignored(request: &VerifyRequest) -> Verdict {
    let token = verified_ignoring_header(request).filter(|token| {
        token.header.contains_key("crit")
            && token.header.get("alg").and_then(Value::as_str) == Some(jws::ALG_HS256)
    });
    let token = token.map(|mut token| {
        token.header.remove("crit");
        token
    });
    verify(&let_through(request, token))
}

/// `alg.upper() == "HS256"`: `hs256`, `Hs256` pass the algorithm check.
pub(super) fn alg_case_insensitive(request: &VerifyRequest) -> Verdict {
    let token = verified_ignoring_header(request).filter(|token| {
        token
            .header
            .get("alg")
            .and_then(Value::as_str)
            .is_some_and(|alg| alg != jws::ALG_HS256 && alg.eq_ignore_ascii_case(jws::ALG_HS256))
    });
    verify(&let_through(request, token))
}

/// `for i in 0..min(given.len(), expected.len())`: only the bytes both signatures have are
/// compared, so a truncated (even empty) or lengthened signature verifies.
pub(super) fn signature_short_compare(request: &VerifyRequest) -> Verdict {
    let Some((parsed, token)) = unverified_token(request) else {
        return verify(request);
    };
    let input = token.split.signing_input();
    let given = &token.split.signature;
    let key = platform_keys(&request.workspace, parsed.platform).find(|k| {
        let expected = jws::hmac_sha256(k.secret.as_bytes(), input.as_bytes());
        let n = given.len().min(expected.len());
        given[..n] == expected[..n]
    });
    match key {
        Some(key) if !token.verifies_under(key.secret.as_bytes()) => verify(&resigned(
            request,
            &token.header.members,
            &token.claims.members,
            &key.secret,
        )),
        _ => verify(request),
    }
}

/// `if (claims.exp && now >= claims.exp)`: an `exp` of 0 is falsy, so the token never expires.
pub(super) fn exp_zero_ignored(request: &VerifyRequest) -> Verdict {
    verify(&edit_claims(request, |claims, _| {
        let zero = claims
            .get("exp")
            .and_then(Value::as_f64)
            .is_some_and(|exp| exp == 0.0);
        if zero {
            claims.remove("exp");
        }
        zero
    }))
}

/// `int(claims["exp"])`, `int(claims["nbf"])`: fractional times are truncated, so a token whose
/// exp is a fraction of a second ahead is already expired, and one whose nbf is a fraction of a
/// second ahead already valid.
pub(super) fn dates_truncated(request: &VerifyRequest) -> Verdict {
    verify(&edit_claims(request, |claims, _| {
        let mut changed = false;
        for name in ["exp", "nbf"] {
            let fraction = claims
                .get(name)
                .and_then(Value::as_number)
                .filter(|n| !n.is_i64() && !n.is_u64())
                .and_then(serde_json::Number::as_f64)
                .filter(|f| f.is_finite() && f.abs() < 1e15);
            if let Some(f) = fraction {
                claims.insert(name.into(), (f.trunc() as i64).into());
                changed = true;
            }
        }
        changed
    }))
}

/// `Number(claims.exp)`: a numeric string (`"1767229200"`) is read as the number it spells.
pub(super) fn numeric_string_dates(request: &VerifyRequest) -> Verdict {
    verify(&edit_claims(request, |claims, _| {
        let mut changed = false;
        for name in ["exp", "nbf"] {
            let number = claims
                .get(name)
                .and_then(Value::as_str)
                .and_then(|s| s.trim().parse::<i64>().ok());
            if let Some(n) = number {
                claims.insert(name.into(), n.into());
                changed = true;
            }
        }
        changed
    }))
}

/// A JWT library's `iat` check left on: a token issued "in the future" (beyond the leeway) is
/// refused as not yet valid, though `iat` is not checked.
pub(super) fn iat_future_rejected(request: &VerifyRequest) -> Verdict {
    let verdict = verify(request);
    if verdict.outcome != Outcome::Accepted {
        return verdict;
    }
    let future = verified_token(request)
        .and_then(|token| token.claims.get("iat").and_then(Value::as_f64))
        .is_some_and(|iat| iat > (request.now + request.workspace.jwt_leeway_seconds) as f64);
    if future {
        return Verdict::rejected(
            &request.id,
            ErrorCode::JwtNotYetValid,
            "the token is not yet valid (iat)",
        );
    }
    verdict
}

/// `email = request.email || claims.email`: the request's email wins over the token's, and is
/// never compared with it.
pub(super) fn request_email_wins(request: &VerifyRequest) -> Verdict {
    verify(&edit_claims(request, |claims, request| {
        match parsed(request).and_then(|p| p.email) {
            Some(email) if claims.get("email") != Some(&Value::String(email.clone())) => {
                claims.insert("email".into(), email.into());
                true
            }
            _ => false,
        }
    }))
}

/// `user_id = claims.user_id || claims.sub`: a token without `user_id` names its user by the
/// OpenID-style `sub` claim.
pub(super) fn user_id_from_sub(request: &VerifyRequest) -> Verdict {
    verify(&edit_claims(request, |claims, _| {
        let missing = match claims.get("user_id") {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.is_empty(),
            Some(_) => false,
        };
        match claims.get("sub").and_then(Value::as_str) {
            Some(sub) if missing && !sub.is_empty() => {
                let sub = sub.to_string();
                claims.insert("user_id".into(), sub.into());
                true
            }
            _ => false,
        }
    }))
}

/// The request's `user_id` and `email` compared with the claims trimmed and case-folded
/// (`a.strip().lower() == b.strip().lower()`), so `U-1 ` is the token's `u-1`.
pub(super) fn identity_case_insensitive(request: &VerifyRequest) -> Verdict {
    let Some(token) = verified_token(request) else {
        return verify(request);
    };
    let Some(parsed) = parsed(request) else {
        return verify(request);
    };
    let fold = |s: &str| s.trim().to_lowercase();
    let mut changed = request.clone();
    for (name, sent) in [("user_id", &parsed.user_id), ("email", &parsed.email)] {
        if let (Some(sent), Some(Value::String(claimed))) = (sent, token.claims.get(name)) {
            if sent != claimed && fold(sent) == fold(claimed) {
                changed.request[name] = Value::String(claimed.clone());
            }
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
