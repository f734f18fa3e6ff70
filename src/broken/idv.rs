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
