//! The verifier's words: why a rule held or not, for people. Nothing here decides a verdict.
//!
//! The rules call in here for a rejection's words on the failing path only, and for everything
//! else (passing checks, and the diagnosis of checks that decide nothing) only when the trace is
//! kept. Words name keys by id and platforms by name, never a secret; attacker text is quoted and
//! cut to a readable length.

use std::fmt;

use serde_json::Value;

use super::claims::{Mistyped, NumericDate, REGISTERED_CLAIMS};
use super::parsed::{hashed_identifier, Action, MessengerRequest, REQUEST_FIELDS};
use super::{idv_secret, locked};
use crate::contract::{Attributes, Identity, JwtKey, Platform, Workspace};
use crate::reference::json::kind;
use crate::reference::jws::{self, JsonObject, Split};
use crate::reference::requirement as req;
use crate::reference::user_hash::{self, Mismatch};
use crate::reference::Check;
use crate::shorten::{shorten_str, SHOWN};

// ---------------------------------------------------------------------------------------------
// Rule 1
// ---------------------------------------------------------------------------------------------

/// "action boot, platform web, every field of the right type; unknown fields ignored: ...".
pub(super) fn request_shape(raw: &Value, request: &MessengerRequest) -> String {
    let mut detail = format!(
        "action {}, platform {}, every field of the right type",
        match request.action {
            Action::Boot => "boot",
            Action::Update => "update",
        },
        request.platform
    );
    if let Value::Object(fields) = raw {
        let unknown: Vec<&str> = fields
            .keys()
            .map(String::as_str)
            .filter(|k| !REQUEST_FIELDS.contains(k))
            .collect();
        if !unknown.is_empty() {
            detail.push_str(&format!("; unknown fields ignored: {}", unknown.join(", ")));
        }
    }
    detail
}

pub(super) fn unconfigured_platform(workspace: &Workspace, platform: Platform) -> String {
    format!(
        "platform {} is not configured in workspace {:?} (configured: {})",
        platform,
        workspace.name,
        workspace
            .platforms
            .keys()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

pub(super) fn reserved_attributes(reserved: &[&str]) -> String {
    format!(
        "request attribute{} {} {} reserved: user_id, email, user_hash and intercom_user_jwt are request fields, not attributes",
        plural(reserved.len()),
        quoted_list(reserved),
        if reserved.len() == 1 { "is" } else { "are" },
    )
}

// ---------------------------------------------------------------------------------------------
// Rule 2.4: keys
// ---------------------------------------------------------------------------------------------

/// The diagnosis of rule 2.4, checks that decide nothing: header parameters that name or carry
/// keys, this platform's keys with an empty secret, keys of other platforms, a `kid` naming no
/// listed key or another key than `signed_by`, the key that verifies (if any).
pub(super) fn key_checks(
    workspace: &Workspace,
    platform: Platform,
    split: &Split<'_>,
    header: &JsonObject,
    signed_by: Option<&JwtKey>,
) -> Vec<Check> {
    let (mine, others) = partition_keys(workspace, platform);
    let kid = header.members.get("kid").and_then(Value::as_str);
    let foreign = match signed_by {
        None => foreign_key(&others, split),
        Some(_) => None,
    };
    [
        header_injection(platform, header),
        empty_secrets(&mine, split, signed_by),
        Some(platform_scope(platform, &others, foreign)),
        kid.and_then(|kid| rotation(workspace, kid, signed_by)),
        kid.zip(signed_by)
            .and_then(|(kid, key)| kid_choice(platform, &mine, kid, key)),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn check_2_4(requirement: &'static str, holds: bool, detail: String) -> Check {
    Check {
        requirement,
        rule: "2.4",
        holds,
        detail,
    }
}

/// KEY-HEADER-INJECTION: header parameters that name or carry keys, reported, never used.
fn header_injection(platform: Platform, header: &JsonObject) -> Option<Check> {
    let injected: Vec<String> = ["kid", "jku", "x5u", "x5c", "jwk"]
        .into_iter()
        .filter_map(|name| {
            header
                .members
                .get(name)
                .map(|v| format!("`{name}` {}", shorten(v)))
        })
        .collect();
    (!injected.is_empty()).then(|| {
        check_2_4(
            req::KEY_HEADER_INJECTION,
            true,
            format!(
                "header {} did not select a key: only the workspace's jwt_keys for {platform} are tried; nothing is fetched or looked up",
                injected.join(", ")
            ),
        )
    })
}

/// KEY-EMPTY-SECRET: keys with an empty secret are skipped; it fails for a token MACed with the
/// empty key.
fn empty_secrets(mine: &[&JwtKey], split: &Split<'_>, signed_by: Option<&JwtKey>) -> Option<Check> {
    let empty = empty_keys(mine);
    if empty.is_empty() {
        return None;
    }
    let signed_with_empty = signed_by.is_none()
        && jws::hmac_sha256_verify(b"", split.signing_input().as_bytes(), &split.signature);
    let detail = if signed_with_empty {
        format!(
            "the token is MACed with the empty key; {} {} an empty secret, which never verifies",
            quoted_list(&empty),
            if empty.len() == 1 { "has" } else { "have" }
        )
    } else {
        never_verify(&empty)
    };
    Some(check_2_4(req::KEY_EMPTY_SECRET, !signed_with_empty, detail))
}

/// KEY-PLATFORM-SCOPE: fails when a key of another platform (`foreign`) would have verified.
fn platform_scope(platform: Platform, others: &[&JwtKey], foreign: Option<&JwtKey>) -> Check {
    let detail = match foreign {
        Some(k) => format!(
            "the token is signed with key `{}` ({}), which does not apply to {platform}",
            k.id,
            platforms(k)
        ),
        None if others.is_empty() => format!("every key in jwt_keys applies to {platform}"),
        None => format!(
            "keys of other platforms are never tried for {platform}: {}",
            others
                .iter()
                .map(|k| describe_key(k))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    check_2_4(req::KEY_PLATFORM_SCOPE, foreign.is_none(), detail)
}

/// KEY-ROTATION: a `kid` naming no listed key (rotated out, or never there).
fn rotation(workspace: &Workspace, kid: &str, signed_by: Option<&JwtKey>) -> Option<Check> {
    if workspace.jwt_keys.iter().any(|k| k.id == kid) {
        return None;
    }
    let mut detail = format!(
        "kid {} names no key in jwt_keys (rotated out or unknown): it selects nothing",
        shorten_str(kid)
    );
    if let Some(k) = signed_by {
        detail.push_str(&format!("; the signature verifies under `{}` anyway", k.id));
    }
    Some(check_2_4(req::KEY_ROTATION, signed_by.is_some(), detail))
}

/// KEY-KID-CHOICE: a kid naming another of this platform's keys than the one that signed.
fn kid_choice(platform: Platform, mine: &[&JwtKey], kid: &str, key: &JwtKey) -> Option<Check> {
    (kid != key.id && mine.iter().any(|k| k.id == kid)).then(|| {
        check_2_4(
            req::KEY_KID_CHOICE,
            true,
            format!("kid names `{kid}`, another key of {platform}, but `{}` signed: the reference tries every key of the platform (trusting kid would also conform)", key.id),
        )
    })
}

/// Why no key verifies (rule 2.4's rejection): the keys tried, the empty ones, a key of another
/// platform that would verify, a signature of the wrong length.
pub(super) fn signature_invalid(
    workspace: &Workspace,
    platform: Platform,
    split: &Split<'_>,
) -> String {
    let (mine, others) = partition_keys(workspace, platform);
    let empty = empty_keys(&mine);
    let mut detail = if mine.is_empty() {
        format!("no key in jwt_keys applies to {platform}, so no signature verifies")
    } else {
        let tried: Vec<String> = mine
            .iter()
            .filter(|k| !k.secret.is_empty())
            .map(|k| format!("`{}`", k.id))
            .collect();
        let mut d = format!("no key for {platform} verifies the signature");
        if !tried.is_empty() {
            d.push_str(&format!(" (tried {})", tried.join(", ")));
        }
        d
    };
    if !empty.is_empty() {
        detail.push_str(&format!("; {}", never_verify(&empty)));
    }
    if let Some(k) = foreign_key(&others, split) {
        detail.push_str(&format!(
            "; it verifies under `{}` ({}), which does not apply to {platform}",
            k.id,
            platforms(k)
        ));
    }
    if split.signature.len() != 32 {
        detail.push_str(&format!(
            "; the signature is {} bytes, an HS256 signature is 32",
            split.signature.len()
        ));
    }
    detail
}

/// The keys of `platform`, and the others, in the workspace's order.
fn partition_keys(workspace: &Workspace, platform: Platform) -> (Vec<&JwtKey>, Vec<&JwtKey>) {
    workspace
        .jwt_keys
        .iter()
        .partition(|k| k.platforms.contains(&platform))
}

fn empty_keys<'k>(keys: &[&'k JwtKey]) -> Vec<&'k str> {
    keys.iter()
        .filter(|k| k.secret.is_empty())
        .map(|k| k.id.as_str())
        .collect()
}

/// A key of another platform under which the token verifies.
fn foreign_key<'k>(others: &[&'k JwtKey], split: &Split<'_>) -> Option<&'k JwtKey> {
    others
        .iter()
        .find(|k| split.verifies_under(k.secret.as_bytes()))
        .copied()
}

/// "`k-empty` has an empty secret and never verifies".
fn never_verify(empty: &[&str]) -> String {
    format!(
        "{} {} an empty secret and never verif{}",
        quoted_list(empty),
        if empty.len() == 1 { "has" } else { "have" },
        if empty.len() == 1 { "ies" } else { "y" }
    )
}

fn platforms(key: &JwtKey) -> String {
    let names: Vec<&str> = key.platforms.iter().map(|p| p.as_str()).collect();
    format!(
        "platforms: {}",
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    )
}

/// "`k-web` (platforms: web)".
pub(super) fn describe_key(key: &JwtKey) -> String {
    format!("`{}` ({})", key.id, platforms(key))
}

// ---------------------------------------------------------------------------------------------
// Rules 2.5 to 2.9: claims
// ---------------------------------------------------------------------------------------------

/// The claims of the wrong type, one by one (rule 2.5's rejection).
pub(super) fn mistyped_claims(claims: &JsonObject, mistyped: &[Mistyped<'_>]) -> String {
    let describe = |name: &str, value: &Value| {
        if claims.overflows(name) {
            "a number that overflows a double".to_string()
        } else {
            match value {
                Value::String(s) => format!("the string {}", shorten_str(s)),
                other => kind(other).to_string(),
            }
        }
    };
    mistyped
        .iter()
        .map(|m| match *m {
            Mistyped::NotString(name, value) => {
                format!("`{name}` is {}, not a string", describe(name, value))
            }
            Mistyped::NotFiniteNumber(name, value) => {
                format!(
                    "`{name}` is {}, not a finite JSON number",
                    describe(name, value)
                )
            }
            Mistyped::Overflowing(name) => format!(
                "claim `{name}` holds a number that overflows a double, which no attribute can hold"
            ),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// JWT-UNCHECKED-FIELDS: the registered claims this profile does not check, when there are any.
pub(super) fn unchecked_claims(claims: &JsonObject) -> Option<Check> {
    let members = &claims.members;
    let mut unchecked: Vec<&str> = ["iss", "aud", "sub", "jti"]
        .into_iter()
        .filter(|n| members.contains_key(*n))
        .collect();
    if members.get("iat").is_some_and(|v| !v.is_number()) {
        unchecked.push("iat (not a number)");
    }
    (!unchecked.is_empty()).then(|| Check {
        requirement: req::JWT_UNCHECKED_FIELDS,
        rule: "2.5",
        holds: true,
        detail: format!("not checked by this profile: {}", unchecked.join(", ")),
    })
}

/// "exp 1767225600 is 0 s before now 1767225600: expired at the very second of exp".
pub(super) fn describe_exp(exp: NumericDate, now: i128, leeway: i128, expired: bool) -> String {
    let delta = exp.minus(now);
    let position = if delta.is_negative() || delta.is_zero() {
        format!("exp {exp} is {} before now {now}", delta.abs())
    } else {
        format!("exp {exp} is {} after now {now}", delta)
    };
    let with_leeway = if leeway == 0 {
        String::new()
    } else {
        format!(" with a leeway of {leeway} s")
    };
    let at_boundary = exp.minus(now - leeway).is_zero();
    match (expired, at_boundary) {
        (true, true) if leeway == 0 => format!("{position}: expired at the very second of exp"),
        (true, true) => {
            format!("{position}{with_leeway}: expired at the very second of exp + leeway")
        }
        (true, false) => format!("{position}{with_leeway}: expired"),
        (false, _) if !delta.is_negative() && !delta.is_zero() => {
            format!("{position}: not expired")
        }
        (false, _) => format!("{position}, within the leeway of {leeway} s: not expired"),
    }
}

/// "nbf 1767225601 is 1 s after now 1767225600: not yet valid".
pub(super) fn describe_nbf(nbf: NumericDate, now: i128, leeway: i128, not_yet: bool) -> String {
    let delta = nbf.minus(now);
    let position = if delta.is_zero() {
        format!("nbf {nbf} is now {now}")
    } else if delta.is_negative() {
        format!("nbf {nbf} is {} before now {now}", delta.abs())
    } else {
        format!("nbf {nbf} is {} after now {now}", delta)
    };
    let with_leeway = if leeway == 0 {
        String::new()
    } else {
        format!(" with a leeway of {leeway} s")
    };
    if not_yet {
        format!("{position}{with_leeway}: not yet valid")
    } else if delta.is_negative() || delta.is_zero() {
        format!("{position}: valid")
    } else {
        format!("{position}, within the leeway of {leeway} s: valid")
    }
}

impl NumericDate {
    /// `self - t` in seconds, for messages.
    fn minus(self, t: i128) -> Seconds {
        match self {
            NumericDate::Int(i) => Seconds::Int(i - t),
            NumericDate::Float(f) => Seconds::Float(f - t as f64),
        }
    }
}

impl fmt::Display for NumericDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumericDate::Int(i) => write!(f, "{i}"),
            NumericDate::Float(x) => write!(f, "{x}"),
        }
    }
}

/// A difference of two dates, for messages.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Seconds {
    Int(i128),
    Float(f64),
}

impl Seconds {
    fn is_negative(self) -> bool {
        match self {
            Seconds::Int(i) => i < 0,
            Seconds::Float(f) => f < 0.0,
        }
    }

    fn is_zero(self) -> bool {
        match self {
            Seconds::Int(i) => i == 0,
            Seconds::Float(f) => f == 0.0,
        }
    }

    fn abs(self) -> Seconds {
        match self {
            Seconds::Int(i) => Seconds::Int(i.abs()),
            Seconds::Float(f) => Seconds::Float(f.abs()),
        }
    }
}

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seconds::Int(i) => write!(f, "{i} s"),
            Seconds::Float(x) => write!(f, "{x} s"),
        }
    }
}

/// Rule 2.8's rejection: `field` as sent differs from the claim.
pub(super) fn identity_mismatch(field: &str, sent: &str, claimed: &str) -> String {
    format!(
        "the request's {field} {} differs from the JWT's {field} {} (compared as exact bytes)",
        shorten_str(sent),
        shorten_str(claimed)
    )
}

/// Rule 2.8 held: what the request's identity agreed with.
pub(super) fn identity_match(request: &MessengerRequest, claims: &Identity) -> String {
    let mut agreed = vec![if request.user_id.is_some() {
        "the request's user_id equals the claim"
    } else {
        "the request sends no user_id"
    }];
    if request.email.is_some() && claims.email.is_some() {
        agreed.push("its email equals the claim");
    }
    agreed.join("; ")
}

pub(super) fn identity_from_claims(identity: &Identity, email_source: &str) -> String {
    format!(
        "identity from the claims: user_id {}; email {}, from {email_source}",
        shorten_str(identity.user_id.as_deref().unwrap_or_default()),
        identity
            .email
            .as_deref()
            .map_or("none".to_string(), shorten_str),
    )
}

/// ATTR-REGISTERED-CLAIMS: the registered claims present, which are not attributes.
pub(super) fn registered_claims(claims: &JsonObject) -> Option<Check> {
    let registered: Vec<&str> = claims
        .members
        .keys()
        .map(String::as_str)
        .filter(|n| REGISTERED_CLAIMS.contains(n))
        .collect();
    (!registered.is_empty()).then(|| Check {
        requirement: req::ATTR_REGISTERED_CLAIMS,
        rule: "2.9",
        holds: true,
        detail: format!(
            "registered claim{} {} {} not attributes",
            plural(registered.len()),
            registered.join(", "),
            if registered.len() == 1 { "is" } else { "are" }
        ),
    })
}

/// The claims applied as attributes, the locked ones marked.
pub(super) fn claims_applied(workspace: &Workspace, names: &[String]) -> String {
    let names: Vec<String> = names
        .iter()
        .map(|name| {
            if locked(workspace, name) {
                format!("{name} (locked)")
            } else {
                name.clone()
            }
        })
        .collect();
    format!("claims applied as attributes: {}", names.join(", "))
}

/// The message of an acceptance under rule 2.9.
pub(super) fn jwt_summary(
    key: &str,
    identity: &Identity,
    user_hash_ignored: bool,
    attributes: &Attributes,
) -> String {
    let mut summary = format!(
        "verified by a JWT signed with key `{key}`; user_id {}",
        shorten_str(identity.user_id.as_deref().unwrap_or_default())
    );
    if user_hash_ignored {
        summary.push_str("; the user_hash beside the JWT is ignored");
    }
    summary.push_str(&format!("; {}", describe_attributes(attributes)));
    summary
}

// ---------------------------------------------------------------------------------------------
// Rule 3: user_hash
// ---------------------------------------------------------------------------------------------

/// Rule 3.1's rejection.
pub(super) fn jwt_required(platform: Platform, with_user_hash: bool) -> String {
    format!(
        "JWT is enabled on {platform}: a logged-in user must send intercom_user_jwt{}",
        if with_user_hash {
            " (a user_hash is no substitute)"
        } else {
            ""
        }
    )
}

/// "HMAC-SHA256(ios secret, user_id "u-1")": what the user_hash must equal.
pub(super) fn hmac_of(platform: Platform, identifier_name: &str, identifier: &str) -> String {
    format!(
        "HMAC-SHA256({platform} secret, {identifier_name} {})",
        shorten_str(identifier)
    )
}

/// The diagnosis of rule 3.3, checks that decide nothing (the verdict is `result`): the hash's
/// shape, its hex case, and what a wrong hash was made with (the email instead of the user_id,
/// another platform's secret, a JWT key's, an empty secret).
pub(super) fn hash_checks(
    workspace: &Workspace,
    request: &MessengerRequest,
    given: &str,
    result: &Result<(), Mismatch>,
) -> Vec<Check> {
    let platform = request.platform;
    let secret = idv_secret(workspace, platform);
    let (_, identifier) = hashed_identifier(request);
    // What a wrong hash was made with. Compared without regard to case, so an uppercase hash
    // on mobile is diagnosed too.
    let made_with = |key: &str, message: &str| {
        !key.is_empty() && user_hash::check(Platform::Web, key, message, given).is_ok()
    };
    let wrong_digest = result.is_err() && !made_with(secret, identifier);
    let over_email = wrong_digest
        && request.user_id.is_some()
        && request
            .email
            .as_deref()
            .is_some_and(|email| made_with(secret, email));
    let foreign_secret = if wrong_digest && !over_email {
        foreign_secret(workspace, platform, identifier, made_with)
    } else {
        None
    };

    let mut checks = vec![malformed_hash(given)];
    checks.extend(hex_case(platform, given));
    checks.extend(precedence(request, over_email));
    checks.push(platform_secret(platform, result, foreign_secret));
    checks
}

fn check_3_3(requirement: &'static str, holds: bool, detail: String) -> Check {
    Check {
        requirement,
        rule: "3.3",
        holds,
        detail,
    }
}

/// IDV-MALFORMED-HASH: the shape of the hash, 64 hex digits.
fn malformed_hash(given: &str) -> Check {
    match user_hash::parse_hex(Platform::Web, given) {
        Ok(_) => check_3_3(
            req::IDV_MALFORMED_HASH,
            true,
            "the user_hash is 64 hex digits".to_string(),
        ),
        Err(e) => check_3_3(
            req::IDV_MALFORMED_HASH,
            false,
            format!("the user_hash is malformed: {e}"),
        ),
    }
}

/// IDV-HEX-CASE: uppercase only on web; IDV-HEX-MIXED-CASE: mixed case on web is a `may` case,
/// accepted here.
fn hex_case(platform: Platform, given: &str) -> Vec<Check> {
    let hex = given.bytes().all(|b| b.is_ascii_hexdigit());
    let upper = given.bytes().any(|b| b.is_ascii_uppercase());
    let lower = given.bytes().any(|b| b.is_ascii_lowercase());
    let mut checks = Vec::new();
    if hex && upper {
        let accepted = user_hash::accepts_uppercase(platform);
        let detail = if accepted {
            format!("uppercase hex digits are accepted on {platform}")
        } else {
            format!("uppercase hex digits are not accepted on {platform}: the mobile SDKs require lowercase")
        };
        checks.push(check_3_3(req::IDV_HEX_CASE, accepted, detail));
        if accepted && lower {
            checks.push(check_3_3(
                req::IDV_HEX_MIXED_CASE,
                true,
                format!("mixed-case hex is accepted on {platform}: the reference decodes the hex digits (treating it as a mismatch would also conform)"),
            ));
        }
    }
    checks
}

/// IDV-PRECEDENCE, when both identifiers are sent: the hash is over the user_id; it fails when
/// the hash was made over the email.
fn precedence(request: &MessengerRequest, over_email: bool) -> Option<Check> {
    let (Some(user_id), Some(email)) = (&request.user_id, &request.email) else {
        return None;
    };
    let detail = if over_email {
        format!(
            "the user_hash is over the email {}; when a user_id is sent it must be over the user_id {}",
            shorten_str(email),
            shorten_str(user_id)
        )
    } else {
        format!(
            "user_id and email are both sent: the user_hash is checked over the user_id {}",
            shorten_str(user_id)
        )
    };
    Some(check_3_3(req::IDV_PRECEDENCE, !over_email, detail))
}

/// Another secret of the workspace that a hash over `identifier` was made with: another
/// platform's identity verification secret, or a JWT key's.
fn foreign_secret(
    workspace: &Workspace,
    platform: Platform,
    identifier: &str,
    made_with: impl Fn(&str, &str) -> bool,
) -> Option<String> {
    let secret = idv_secret(workspace, platform);
    let platforms = Platform::ALL
        .into_iter()
        .filter(|p| *p != platform)
        .find_map(|p| {
            let other = idv_secret(workspace, p);
            (other != secret && made_with(other, identifier))
                .then(|| format!("the {p} identity verification secret"))
        });
    platforms.or_else(|| {
        workspace.jwt_keys.iter().find_map(|k| {
            (k.secret != secret && made_with(&k.secret, identifier))
                .then(|| format!("the secret of JWT key `{}`", k.id))
        })
    })
}

/// IDV-PLATFORM-SECRET: the platform's own secret, not another one, never an empty one.
fn platform_secret(
    platform: Platform,
    result: &Result<(), Mismatch>,
    foreign_secret: Option<String>,
) -> Check {
    match (result, foreign_secret) {
        (Err(Mismatch::EmptySecret), _) => check_3_3(
            req::IDV_PLATFORM_SECRET,
            false,
            format!(
                "the identity verification secret of {platform} is empty: no user_hash matches"
            ),
        ),
        (_, Some(other)) => check_3_3(
            req::IDV_PLATFORM_SECRET,
            false,
            format!("the user_hash was made with {other}; {platform} has its own secret"),
        ),
        _ => check_3_3(
            req::IDV_PLATFORM_SECRET,
            true,
            format!("the user_hash is checked against the {platform} secret"),
        ),
    }
}

/// "identity as sent: user_id "u-1", email none".
pub(super) fn identity_as_sent(identity: &Identity) -> String {
    format!(
        "identity as sent: user_id {}, email {}",
        identity
            .user_id
            .as_deref()
            .map_or("none".to_string(), shorten_str),
        identity
            .email
            .as_deref()
            .map_or("none".to_string(), shorten_str)
    )
}

/// The message of an acceptance under rule 3.
pub(super) fn idv_summary(identity: &Identity, verified: bool, attributes: &Attributes) -> String {
    let who = match (&identity.user_id, &identity.email) {
        (Some(u), _) => format!("user_id {}", shorten_str(u)),
        (None, Some(e)) => format!("email {}", shorten_str(e)),
        (None, None) => "nobody".to_string(),
    };
    let how = if verified {
        "verified by user_hash"
    } else {
        "not verified"
    };
    format!("{who}, {how}; {}", describe_attributes(attributes))
}

// ---------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------

/// "attributes applied: name, company; dropped: plan (locked_attribute)".
pub(super) fn describe_attributes(attributes: &Attributes) -> String {
    let applied: Vec<&str> = attributes.applied.keys().map(String::as_str).collect();
    let dropped: Vec<String> = attributes
        .dropped
        .iter()
        .map(|(k, r)| format!("{k} ({})", r.as_str()))
        .collect();
    format!(
        "attributes applied: {}; dropped: {}",
        if applied.is_empty() {
            "none".to_string()
        } else {
            applied.join(", ")
        },
        if dropped.is_empty() {
            "none".to_string()
        } else {
            dropped.join(", ")
        }
    )
}

/// A JSON value as compact JSON (a string quoted with escapes), cut to a readable length.
fn shorten(value: &Value) -> String {
    match value {
        Value::String(s) => shorten_str(s),
        other => {
            let text = other.to_string();
            if text.chars().count() <= SHOWN {
                text
            } else {
                format!(
                    "{}… ({} chars)",
                    text.chars().take(SHOWN).collect::<String>(),
                    text.chars().count()
                )
            }
        }
    }
}

fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
