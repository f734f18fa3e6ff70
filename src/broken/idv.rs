//! Identity Verification bugs (CONTRACT rule 3): which identifier is hashed, with which secret,
//! how the hash is compared, and when it is required.

use crate::contract::{Platform, Verdict, VerifyRequest};
use crate::reference::{user_hash, verify};

use super::tools::{parsed, remap_user_hash, with_workspace};

/// `hmac(secret, request.email || request.user_id)`: the email wins when both are sent, so the
/// hash a correct backend makes over the user_id is refused, and one over the email accepted.
pub(super) fn hashes_email(request: &VerifyRequest) -> Verdict {
    verify(&remap_user_hash(request, |check| {
        let identifier = check.email.or(check.user_id).unwrap_or_default();
        user_hash::check(check.platform, check.secret, identifier, check.given).is_ok()
    }))
}

/// One `IDENTITY_VERIFICATION_SECRET` in the config, the web one, used for every platform.
pub(super) fn web_secret_everywhere(request: &VerifyRequest) -> Verdict {
    verify(&with_workspace(request, |workspace| {
        let Some(web) = workspace
            .platform(Platform::Web)
            .map(|s| s.identity_verification.secret.clone())
        else {
            return;
        };
        for settings in workspace.platforms.values_mut() {
            settings.identity_verification.secret = web.clone();
        }
    }))
}

/// The `enforced` switch is read nowhere: every platform behaves as if it were off.
pub(super) fn enforcement_ignored(request: &VerifyRequest) -> Verdict {
    verify(&with_workspace(request, |workspace| {
        for settings in workspace.platforms.values_mut() {
            settings.identity_verification.enforced = false;
        }
    }))
}

/// `strncmp(given, expected, strlen(given)) == 0`: the comparison stops where the sent hash
/// ends, so a truncated hash, or an empty one, matches.
pub(super) fn prefix_compare(request: &VerifyRequest) -> Verdict {
    verify(&remap_user_hash(request, |check| {
        let expected = user_hash::user_hash(check.secret, check.identifier());
        let given = if user_hash::accepts_uppercase(check.platform) {
            check.given.to_ascii_lowercase()
        } else {
            check.given.to_string()
        };
        !check.secret.is_empty() && expected.starts_with(&given)
    }))
}

/// `given.lower() == expected` on every platform: web's tolerance of uppercase hex applied to
/// iOS and Android, whose SDKs require lowercase.
pub(super) fn uppercase_on_mobile(request: &VerifyRequest) -> Verdict {
    verify(&remap_user_hash(request, |check| {
        user_hash::check(Platform::Web, check.secret, check.identifier(), check.given).is_ok()
    }))
}

/// `hmac(secret, identifier.strip().lower())`: a user whose identifier has capitals or spaces is
/// refused, and `Ada@example.com` passes with the hash of `ada@example.com`.
pub(super) fn normalised_identifier(request: &VerifyRequest) -> Verdict {
    verify(&remap_user_hash(request, |check| {
        let identifier = check.identifier().trim().to_lowercase();
        user_hash::check(check.platform, check.secret, &identifier, check.given).is_ok()
    }))
}

/// Rule 3.1 forgotten: without a JWT, the user_hash rules apply even where JWT is enabled.
pub(super) fn jwt_required_ignored(request: &VerifyRequest) -> Verdict {
    let Some(parsed) = parsed(request) else {
        return verify(request);
    };
    if parsed.intercom_user_jwt.is_some() {
        return verify(request);
    }
    verify(&with_workspace(request, |workspace| {
        if let Some(settings) = workspace.platforms.get_mut(&parsed.platform) {
            settings.jwt.enabled = false;
        }
    }))
}

/// `hmac.compare_digest(given.strip(), expected)`: whitespace around the `user_hash` (a trailing
/// newline from a template, a space from copy and paste) is forgiven.
pub(super) fn trims_user_hash(request: &VerifyRequest) -> Verdict {
    verify(&remap_user_hash(request, |check| {
        user_hash::check(
            check.platform,
            check.secret,
            check.identifier(),
            check.given.trim(),
        )
        .is_ok()
    }))
}

/// `if (!request.user_hash)`: an empty `user_hash` is read as no hash at all, so where
/// enforcement is on it is `user_hash_required` instead of a mismatch.
pub(super) fn empty_hash_is_missing(request: &VerifyRequest) -> Verdict {
    match parsed(request) {
        Some(p) if p.user_hash.as_deref() == Some("") && p.intercom_user_jwt.is_none() => {
            let mut changed = request.clone();
            if let Some(fields) = changed.request.as_object_mut() {
                fields.remove("user_hash");
            }
            verify(&changed)
        }
        _ => verify(request),
    }
}

/// The secret the reference is handed for an empty identity verification secret that the buggy
/// verifier keys its HMAC with anyway.
const EMPTY_SECRET_STAND_IN: &str = "broken-stand-in-for-the-empty-idv-secret";

/// `hmac(platform.secret or "", identifier)` with no check that the secret is set: on a
/// platform whose secret is empty, the HMAC under the empty key, which anyone can compute,
/// verifies.
pub(super) fn empty_secret_verifies(request: &VerifyRequest) -> Verdict {
    let Some(parsed) = parsed(request) else {
        return verify(request);
    };
    let empty = request
        .workspace
        .platform(parsed.platform)
        .is_some_and(|s| s.identity_verification.secret.is_empty());
    let identifier = parsed.user_id.as_deref().or(parsed.email.as_deref());
    match (empty, identifier, parsed.user_hash.as_deref()) {
        (true, Some(identifier), Some(given))
            if parsed.intercom_user_jwt.is_none()
                && matches_under_empty_key(parsed.platform, identifier, given) =>
        {
            let mut changed = with_workspace(request, |workspace| {
                if let Some(settings) = workspace.platforms.get_mut(&parsed.platform) {
                    settings.identity_verification.secret = EMPTY_SECRET_STAND_IN.into();
                }
            });
            changed.request["user_hash"] =
                user_hash::user_hash(EMPTY_SECRET_STAND_IN, identifier).into();
            verify(&changed)
        }
        _ => verify(request),
    }
}

/// Whether `given` is the HMAC of `identifier` under the empty key, in the platform's hex case.
fn matches_under_empty_key(platform: Platform, identifier: &str, given: &str) -> bool {
    let expected = user_hash::user_hash("", identifier);
    given == expected
        || (user_hash::accepts_uppercase(platform) && given.eq_ignore_ascii_case(&expected))
}
