//! The token debugger: decode a user JWT as far as it goes, then walk every rule of the contract
//! in order (CONTRACT rule 2) and say for each whether it holds and why.
//!
//! With a workspace the rules are the reference's own trace ([`crate::reference::verify_traced`])
//! and the verdict is the reference's; without one, the debugger checks what it can (structure,
//! `alg`, claim types, times, the request's identity) and says the signature cannot be checked.
//! Either way it reads the times in words ("expired 2 h 5 min ago") and points at the usual
//! mistakes (milliseconds in `exp`, a `sub` instead of `user_id`, attributes nested in an object).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use serde::Serialize;
use serde_json::{json, Value};

use super::{format_time, human_duration};
use crate::contract::{ErrorCode, Object, Outcome, Platform, Verdict, VerifyRequest, Workspace};
use crate::reference::jws::{self, JsonObject, JwsError, Part};
use crate::reference::requirement as req;
use crate::reference::verifier::REGISTERED_CLAIMS;
use crate::visible::visible;

/// What the debugger knows besides the token.
#[derive(Debug, Clone, PartialEq)]
pub struct JwtOptions {
    /// The workspace's settings; without them the signature is not checked.
    pub workspace: Option<Workspace>,
    pub platform: Platform,
    /// Unix seconds.
    pub now: i64,
    /// The request's `user_id` and `email`, for rule 2.8.
    pub user_id: Option<String>,
    pub email: Option<String>,
}

/// One of the token's three parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartReport {
    pub part: &'static str,
    /// Characters in the token.
    pub length: usize,
    /// Decoded bytes, when it decodes.
    pub bytes: Option<usize>,
    /// What is wrong with it, with the position in the part and in the whole token.
    pub problem: Option<String>,
}

/// One rule, evaluated. `holds` is `None` when it could not be checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCheck {
    pub rule: String,
    pub requirement: String,
    pub holds: Option<bool>,
    pub detail: String,
}

impl RuleCheck {
    fn new(rule: &str, requirement: &str, holds: Option<bool>, detail: impl Into<String>) -> Self {
        RuleCheck {
            rule: rule.into(),
            requirement: requirement.into(),
            holds,
            detail: detail.into(),
        }
    }
}

/// A time claim read against now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeNote {
    pub claim: String,
    pub value: Value,
    /// The instant in UTC, when the value is a number.
    pub date: Option<String>,
    /// In words: `expired 2 h 5 min ago`, `valid for another 59 min`.
    pub relative: String,
}

/// Which attributes the token would set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributesNote {
    pub applied: Vec<String>,
    pub dropped: BTreeMap<String, String>,
}

/// Everything the debugger found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JwtDiagnosis {
    pub platform: Platform,
    pub now: i64,
    pub workspace: Option<String>,
    /// The token's shape, when it is not three parts.
    pub structure: Option<String>,
    pub parts: Vec<PartReport>,
    /// The header and claims as far as they decode (leniently when the strict codec refuses
    /// them: see the parts' problems and the rules).
    pub header: Option<Value>,
    pub claims: Option<Value>,
    /// A header or payload that is not JSON, as text (shortened).
    pub header_text: Option<String>,
    pub payload_text: Option<String>,
    pub times: Vec<TimeNote>,
    /// Every rule evaluated, in the contract's order.
    pub checks: Vec<RuleCheck>,
    /// Rules after the first failure that fail too (the verifier stops at the first).
    pub also_failing: Vec<RuleCheck>,
    pub attributes: Option<AttributesNote>,
    pub hints: Vec<String>,
    pub signature_checked: bool,
    /// The reference's verdict, with a workspace.
    pub verdict: Option<Verdict>,
    /// With a workspace: the reference accepts it. Without: nothing that can be checked fails.
    pub accepted: bool,
    pub summary: String,
}

const SHOWN: usize = 200;

fn shorten(text: &str) -> String {
    if text.chars().count() <= SHOWN {
        text.to_string()
    } else {
        format!(
            "{}… ({} chars)",
            text.chars().take(SHOWN).collect::<String>(),
            text.chars().count()
        )
    }
}

/// Decode leniently, to show what a refused part says: padding, whitespace and the standard
/// alphabet tolerated, trailing bits ignored.
fn lenient_b64(text: &str) -> Option<Vec<u8>> {
    let engine = GeneralPurpose::new(
        &alphabet::URL_SAFE,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    let cleaned = if cleaned.len() % 4 == 1 {
        &cleaned[..cleaned.len() - 1]
    } else {
        &cleaned[..]
    };
    engine.decode(cleaned).ok()
}

/// A hint about a time claim's value, for the debugger and the signer's judge:
/// `exp is 1767229200000: looks like milliseconds (...)`.
pub fn time_claim_hint(name: &str, value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => {
            let v = n.as_f64()?;
            if v.abs() >= 100_000_000_000.0 {
                let seconds = (v / 1000.0).floor() as i64;
                Some(format!(
                    "{name} is {n}: looks like milliseconds ({seconds} s would be {}); JWT times are seconds since 1970",
                    format_time(seconds)
                ))
            } else if n.as_i64().is_none() && n.as_u64().is_none() {
                Some(format!(
                    "{name} is {n}, not a whole number of seconds: signers write an integer"
                ))
            } else {
                None
            }
        }
        Value::String(s) if s.trim().parse::<f64>().is_ok() => Some(format!(
            "{name} is the string {s:?}: it must be a JSON number, not a numeric string"
        )),
        Value::String(s) => Some(format!(
            "{name} is the string {s:?}: it must be a JSON number of seconds since 1970"
        )),
        _ => None,
    }
}

/// Run the debugger on a token.
pub fn diagnose_jwt(token: &str, options: &JwtOptions) -> JwtDiagnosis {
    let mut d = JwtDiagnosis {
        platform: options.platform,
        now: options.now,
        workspace: options.workspace.as_ref().map(|w| w.name.clone()),
        structure: None,
        parts: Vec::new(),
        header: None,
        claims: None,
        header_text: None,
        payload_text: None,
        times: Vec::new(),
        checks: Vec::new(),
        also_failing: Vec::new(),
        attributes: None,
        hints: Vec::new(),
        signature_checked: false,
        verdict: None,
        accepted: false,
        summary: String::new(),
    };
    hints_on_text(token, &mut d.hints);

    // Decode as far as it goes.
    let texts: Vec<&str> = token.split('.').collect();
    if texts.len() != 3 {
        d.structure = Some(
            JwsError::PartCount {
                found: texts.len(),
                json_serialization: token.trim_start().starts_with('{'),
            }
            .to_string(),
        );
    }
    let mut offset = 0;
    let mut decoded: Vec<Option<Vec<u8>>> = Vec::new();
    for (i, text) in texts.iter().enumerate().take(3) {
        let part = [Part::Header, Part::Payload, Part::Signature][i];
        let length = text.chars().count();
        let report = match jws::b64url_decode_strict(text) {
            Ok(bytes) => {
                let report = PartReport {
                    part: part_name(part),
                    length,
                    bytes: Some(bytes.len()),
                    problem: None,
                };
                decoded.push(Some(bytes));
                report
            }
            Err(error) => {
                let mut problem = format!("not canonical base64url: {error}");
                if let jws::Base64Error::InvalidCharacter { position, .. } = error {
                    let _ = write!(problem, " (position {} of the token)", offset + position);
                }
                let lenient = lenient_b64(text);
                if lenient.is_some() && part != Part::Signature {
                    problem.push_str(
                        "; decoded leniently below to show it, but a verifier refuses it",
                    );
                }
                let report = PartReport {
                    part: part_name(part),
                    length,
                    bytes: lenient.as_ref().map(Vec::len),
                    problem: Some(problem),
                };
                decoded.push(lenient);
                report
            }
        };
        d.parts.push(report);
        offset += length + 1;
    }

    let mut strict_header: Option<JsonObject> = None;
    let mut strict_claims: Option<JsonObject> = None;
    for (i, part) in [Part::Header, Part::Payload].into_iter().enumerate() {
        let Some(Some(bytes)) = decoded.get(i) else {
            continue;
        };
        let (value_slot, text_slot) = match part {
            Part::Header => (&mut d.header, &mut d.header_text),
            _ => (&mut d.claims, &mut d.payload_text),
        };
        match jws::parse_json_object(part, bytes) {
            Ok(object) => {
                *value_slot = Some(Value::Object(object.members.clone()));
                if part == Part::Header {
                    strict_header = Some(object);
                } else {
                    strict_claims = Some(object);
                }
            }
            Err(error) => {
                // Show what there is: JSON read leniently (last duplicate wins), or the text.
                match serde_json::from_slice::<Value>(bytes) {
                    Ok(value) => *value_slot = Some(value),
                    Err(_) => *text_slot = Some(shorten(&String::from_utf8_lossy(bytes))),
                }
                if let Some(report) = d.parts.get_mut(i) {
                    report.problem.get_or_insert(error.to_string());
                }
            }
        }
    }

    // Times and hints from the claims, however they decoded.
    let claims_object: Option<Object> = d.claims.as_ref().and_then(Value::as_object).cloned();
    let leeway = options
        .workspace
        .as_ref()
        .map_or(0, |w| w.jwt_leeway_seconds);
    if let Some(claims) = &claims_object {
        d.times = times(claims, options.now, leeway);
        hints_on_claims(claims, &mut d.hints);
    }
    if let Some(header) = d.header.as_ref().and_then(Value::as_object) {
        hints_on_header(header, &mut d.hints);
    }

    // The rules.
    let own = own_checks(
        token,
        options,
        strict_header.as_ref(),
        strict_claims.as_ref(),
        claims_object.as_ref(),
    );
    match &options.workspace {
        Some(workspace) => {
            let mut request = json!({"action": "boot", "platform": options.platform.as_str(), "intercom_user_jwt": token});
            if let Some(user_id) = &options.user_id {
                request["user_id"] = user_id.as_str().into();
            }
            if let Some(email) = &options.email {
                request["email"] = email.as_str().into();
            }
            let (verdict, trace) = crate::reference::verify_traced(&VerifyRequest {
                id: "debug".into(),
                now: options.now,
                workspace: workspace.clone(),
                request,
            });
            d.checks = trace
                .iter()
                .map(|c| RuleCheck::new(c.rule, c.requirement, Some(c.holds), c.detail.clone()))
                .collect();
            d.signature_checked = trace.iter().any(|c| c.requirement == req::JWT_SIGNATURE);
            // On a rejection the deciding check is the last of the trace.
            if let Some(failed) = trace.last() {
                if verdict.outcome == Outcome::Rejected {
                    let after = rule_key(failed.rule);
                    d.also_failing = own
                        .iter()
                        .filter(|c| c.holds == Some(false) && rule_key(&c.rule) > after)
                        .cloned()
                        .collect();
                }
            }
            d.accepted = verdict.outcome == Outcome::Accepted;
            if d.accepted {
                let names: Vec<String> = verdict.attributes.applied.keys().cloned().collect();
                let dropped = verdict
                    .attributes
                    .dropped
                    .iter()
                    .map(|(k, r)| (k.clone(), r.as_str().to_string()))
                    .collect();
                d.attributes = Some(AttributesNote {
                    applied: names,
                    dropped,
                });
            }
            d.summary = verdict.message.clone().unwrap_or_default();
            d.verdict = Some(verdict);
        }
        None => {
            d.accepted = !own.iter().any(|c| c.holds == Some(false));
            if let (true, Some(claims)) = (d.accepted, &claims_object) {
                let applied = claims
                    .keys()
                    .filter(|n| !is_identity_or_registered(n))
                    .cloned()
                    .collect();
                d.attributes = Some(AttributesNote {
                    applied,
                    dropped: BTreeMap::new(),
                });
            }
            d.summary = match own.iter().find(|c| c.holds == Some(false)) {
                Some(failed) => {
                    let code = code_of(&failed.requirement).map(|c| format!(", {c}")).unwrap_or_default();
                    format!("refused (rule {}{code}): {}", failed.rule, failed.detail)
                }
                None => "nothing that can be checked without the workspace fails; the signature is not checked: give --workspace".into(),
            };
            d.checks = own;
        }
    }
    d
}

/// `2.10` sorts after `2.9`; `1` before `2.1`.
fn rule_key(rule: &str) -> Vec<u32> {
    rule.split('.').filter_map(|n| n.parse().ok()).collect()
}

fn part_name(part: Part) -> &'static str {
    match part {
        Part::Header => "header",
        Part::Payload => "payload",
        Part::Signature => "signature",
    }
}

fn is_identity_or_registered(name: &str) -> bool {
    name == "user_id" || name == "email" || REGISTERED_CLAIMS.contains(&name)
}

fn code_of(requirement: &str) -> Option<ErrorCode> {
    Some(match requirement {
        r if r == req::JWT_ALG => ErrorCode::JwtAlgorithmNotAllowed,
        r if r == req::JWT_USER_ID => ErrorCode::JwtMissingUserId,
        r if r == req::JWT_CLAIM_TYPES => ErrorCode::JwtClaimsInvalid,
        r if r == req::JWT_EXP => ErrorCode::JwtExpired,
        r if r == req::JWT_NBF => ErrorCode::JwtNotYetValid,
        r if r == req::JWT_IDENTITY_MATCH => ErrorCode::JwtIdentityMismatch,
        r if r == req::JWT_SIGNATURE => ErrorCode::JwtSignatureInvalid,
        r if [
            req::JWT_FORMAT,
            req::JWT_BASE64URL_CANONICAL,
            req::JWT_JSON_OBJECT,
            req::JWT_DUPLICATE_MEMBERS,
            req::JWT_CRIT,
        ]
        .contains(&r) =>
        {
            ErrorCode::JwtMalformed
        }
        _ => return None,
    })
}

/// The rules as far as they can be checked without a workspace (and, with one, to find the
/// failures after the first).
fn own_checks(
    token: &str,
    options: &JwtOptions,
    header: Option<&JsonObject>,
    claims: Option<&JsonObject>,
    lenient_claims: Option<&Object>,
) -> Vec<RuleCheck> {
    let mut checks = Vec::new();
    let platform = options.platform;
    checks.push(RuleCheck::new(
        "2.1",
        req::JWT_ENABLED,
        None,
        format!("needs --workspace: whether JWT is enabled on {platform}"),
    ));
    match jws::decode_unverified(token) {
        Ok(_) => {
            checks.push(RuleCheck::new(
                "2.2",
                req::JWT_FORMAT,
                Some(true),
                "three base64url parts, without padding or whitespace",
            ));
            checks.push(RuleCheck::new(
                "2.2",
                req::JWT_JSON_OBJECT,
                Some(true),
                "header and payload are UTF-8 JSON objects, no duplicate members",
            ));
            checks.push(RuleCheck::new(
                "2.3",
                req::JWT_ALG,
                Some(true),
                "alg is \"HS256\", no crit header",
            ));
        }
        Err(error) => {
            if error.rule() == "2.3" {
                checks.push(RuleCheck::new(
                    "2.2",
                    req::JWT_FORMAT,
                    Some(true),
                    "three base64url parts; header and payload are JSON objects",
                ));
            }
            checks.push(RuleCheck::new(
                error.rule(),
                error.requirement(),
                Some(false),
                error.to_string(),
            ));
        }
    }
    let signature_len = jws::split_compact(token).ok().map(|s| s.signature.len());
    let mut detail = "cannot be checked without --workspace (the workspace's jwt_keys and the platforms each applies to)".to_string();
    if let Some(len) = signature_len.filter(|n| *n != 32) {
        let _ = write!(detail, "; the signature is {len} bytes, an HS256 signature is 32, so it cannot verify under any key");
    }
    let bad_length = signature_len.is_some_and(|n| n != 32);
    let split = jws::split_compact(token).ok();
    match (&options.workspace, &split) {
        (Some(workspace), Some(split)) => {
            let key = workspace
                .jwt_keys
                .iter()
                .filter(|k| k.platforms.contains(&platform))
                .find(|k| split.verifies_under(k.secret.as_bytes()));
            match key {
                Some(key) => checks.push(RuleCheck::new(
                    "2.4",
                    req::JWT_SIGNATURE,
                    Some(true),
                    format!("signature verifies under key `{}`", key.id),
                )),
                None => checks.push(RuleCheck::new(
                    "2.4",
                    req::JWT_SIGNATURE,
                    Some(false),
                    format!("no key for {platform} verifies the signature"),
                )),
            }
        }
        _ => checks.push(RuleCheck::new(
            "2.4",
            req::JWT_SIGNATURE,
            if bad_length { Some(false) } else { None },
            detail,
        )),
    }

    let Some(members) = claims.map(|c| &c.members).or(lenient_claims) else {
        checks.push(RuleCheck::new(
            "2.5",
            req::JWT_USER_ID,
            None,
            "the claims do not decode: nothing more can be checked",
        ));
        return checks;
    };
    let overflows = |name: &str| claims.is_some_and(|c| c.overflows(name));
    // 2.5
    let user_id = members.get("user_id");
    let missing = match user_id {
        None => Some("the payload has no `user_id` claim"),
        Some(Value::Null) if !overflows("user_id") => Some("the `user_id` claim is null"),
        Some(Value::String(s)) if s.is_empty() => Some("the `user_id` claim is an empty string"),
        _ => None,
    };
    match missing {
        Some(m) => checks.push(RuleCheck::new("2.5", req::JWT_USER_ID, Some(false), m)),
        None => checks.push(RuleCheck::new(
            "2.5",
            req::JWT_USER_ID,
            Some(true),
            "the `user_id` claim is present and not empty",
        )),
    }
    let mut problems = Vec::new();
    if let Some(v) = user_id.filter(|v| !v.is_string() && !v.is_null()) {
        problems.push(format!("`user_id` is {}, not a string", kind(v)));
    }
    if let Some(v) = members.get("email").filter(|v| !v.is_string()) {
        problems.push(format!("`email` is {}, not a string", kind(v)));
    }
    for name in ["exp", "nbf"] {
        if let Some(v) = members.get(name) {
            if overflows(name) || !v.is_number() {
                problems.push(format!(
                    "`{name}` is {}, not a finite JSON number",
                    if overflows(name) {
                        "a number that overflows a double"
                    } else {
                        kind(v)
                    }
                ));
            }
        }
    }
    if problems.is_empty() {
        checks.push(RuleCheck::new(
            "2.5",
            req::JWT_CLAIM_TYPES,
            Some(true),
            "user_id and email are strings; exp and nbf, when present, finite numbers",
        ));
    } else {
        checks.push(RuleCheck::new(
            "2.5",
            req::JWT_CLAIM_TYPES,
            Some(false),
            problems.join("; "),
        ));
    }
    // 2.6 and 2.7
    let leeway = options
        .workspace
        .as_ref()
        .map_or(0, |w| w.jwt_leeway_seconds) as f64;
    let now = options.now as f64;
    match members.get("exp").and_then(Value::as_f64) {
        None => checks.push(RuleCheck::new(
            "2.6",
            req::JWT_EXP_OPTIONAL,
            Some(true),
            "no numeric `exp` claim: the token does not expire",
        )),
        Some(exp) => {
            let expired = now >= exp + leeway;
            let words = relative_exp(exp, options.now);
            checks.push(RuleCheck::new(
                "2.6",
                req::JWT_EXP,
                Some(!expired),
                format!("exp {}: {words}", members["exp"]),
            ));
        }
    }
    match members.get("nbf").and_then(Value::as_f64) {
        None => checks.push(RuleCheck::new(
            "2.7",
            req::JWT_NBF,
            Some(true),
            "no numeric `nbf` claim",
        )),
        Some(nbf) => {
            let not_yet = now + leeway < nbf;
            checks.push(RuleCheck::new(
                "2.7",
                req::JWT_NBF,
                Some(!not_yet),
                format!("nbf {}: {}", members["nbf"], relative_nbf(nbf, options.now)),
            ));
        }
    }
    // 2.8
    let claim_user_id = members.get("user_id").and_then(Value::as_str);
    let claim_email = members.get("email").and_then(Value::as_str);
    match (&options.user_id, &options.email) {
        (None, None) => checks.push(RuleCheck::new(
            "2.8",
            req::JWT_IDENTITY_MATCH,
            None,
            "the request sends no user_id or email (give --user-id/--email to check them against the claims)",
        )),
        (user_id, email) => {
            let mut problems = Vec::new();
            if let Some(sent) = user_id {
                if Some(sent.as_str()) != claim_user_id {
                    problems.push(format!("the request's user_id {sent:?} differs from the JWT's user_id {}", show_opt(claim_user_id)));
                }
            }
            if let (Some(sent), Some(claimed)) = (email, claim_email) {
                if sent != claimed {
                    problems.push(format!("the request's email {sent:?} differs from the JWT's email {claimed:?}"));
                }
            }
            if problems.is_empty() {
                checks.push(RuleCheck::new("2.8", req::JWT_IDENTITY_MATCH, Some(true), "the request's user_id and email agree with the claims"));
            } else {
                checks.push(RuleCheck::new("2.8", req::JWT_IDENTITY_MATCH, Some(false), format!("{} (compared as exact bytes)", problems.join("; "))));
            }
        }
    }
    let _ = header;
    checks
}

fn show_opt(value: Option<&str>) -> String {
    value.map_or_else(|| "(none)".to_string(), |v| format!("{v:?}"))
}

fn kind(value: &Value) -> &'static str {
    crate::reference::json::kind(value)
}

fn relative_exp(exp: f64, now: i64) -> String {
    let delta = (exp - now as f64).floor() as i64;
    if delta <= 0 {
        format!(
            "expired {} ago",
            human_duration(-delta).replace("0 s", "0 s (at the very second of exp)")
        )
    } else {
        format!("valid for another {}", human_duration(delta))
    }
}

fn relative_nbf(nbf: f64, now: i64) -> String {
    let delta = (nbf - now as f64).ceil() as i64;
    if delta > 0 {
        format!("not valid for another {}", human_duration(delta))
    } else if delta == 0 {
        "valid from this very second".to_string()
    } else {
        format!("valid since {} ago", human_duration(-delta))
    }
}

fn times(claims: &Object, now: i64, leeway: i64) -> Vec<TimeNote> {
    let mut notes = Vec::new();
    for name in ["iat", "nbf", "exp"] {
        let Some(value) = claims.get(name) else {
            continue;
        };
        let (date, relative) = match value.as_f64() {
            Some(v) => {
                let date = Some(format_time(v.floor() as i64));
                let mut relative = match name {
                    "exp" => relative_exp(v, now),
                    "nbf" => relative_nbf(v, now),
                    _ => {
                        let delta = (now as f64 - v).floor() as i64;
                        if delta >= 0 {
                            format!("issued {} ago (iat is not checked)", human_duration(delta))
                        } else {
                            format!(
                                "issued {} in the future (iat is not checked)",
                                human_duration(-delta)
                            )
                        }
                    }
                };
                if leeway != 0 && name != "iat" {
                    let _ = write!(relative, " (before the workspace's leeway of {leeway} s)");
                }
                (date, relative)
            }
            None => (
                None,
                format!(
                    "not a number ({}): the verifier refuses it (jwt_claims_invalid)",
                    kind(value)
                ),
            ),
        };
        notes.push(TimeNote {
            claim: name.to_string(),
            value: value.clone(),
            date,
            relative,
        });
    }
    notes
}

fn hints_on_text(token: &str, hints: &mut Vec<String>) {
    let trimmed = token.trim();
    if trimmed.len() != token.len() {
        hints.push("the token has whitespace around it: send it exactly, without a newline".into());
    }
    if trimmed.starts_with("Bearer ") || trimmed.starts_with("bearer ") {
        hints.push("the token starts with `Bearer `: intercom_user_jwt is the bare token".into());
    }
    if trimmed.starts_with('"') && trimmed.ends_with('"') {
        hints.push("the token is in quotes: it was JSON-encoded twice".into());
    }
}

fn hints_on_header(header: &Object, hints: &mut Vec<String>) {
    if let Some(Value::String(alg)) = header.get("alg") {
        if alg != "HS256" && alg.eq_ignore_ascii_case("HS256") {
            hints.push(format!(
                "alg is {alg:?}: it must be exactly \"HS256\" (case matters)"
            ));
        }
    }
}

fn hints_on_claims(claims: &Object, hints: &mut Vec<String>) {
    for name in ["exp", "nbf", "iat"] {
        if let Some(hint) = claims.get(name).and_then(|v| time_claim_hint(name, v)) {
            hints.push(hint);
        }
    }
    if !claims.contains_key("user_id") {
        if let Some(sub) = claims.get("sub") {
            hints.push(format!("the claims have `sub` {sub} but no `user_id`: this profile reads the user from the `user_id` claim"));
        }
    }
    if let Some(Value::Number(n)) = claims.get("user_id") {
        hints.push(format!(
            "user_id is the number {n}: send it as a string (\"{n}\")"
        ));
    }
    for name in ["attributes", "custom_attributes"] {
        if claims.get(name).is_some_and(Value::is_object) {
            hints.push(format!(
                "claim `{name}` is an object: attributes are top-level claims, so it would be applied as one attribute named {name}"
            ));
        }
    }
}

impl JwtDiagnosis {
    /// The report for people.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "JWT on {} at {} ({})",
            self.platform,
            format_time(self.now),
            self.now
        );
        match &self.workspace {
            Some(name) => {
                let _ = writeln!(out, ", workspace {name:?}");
            }
            None => out.push_str(", no workspace (the signature is not checked)\n"),
        }
        if let Some(structure) = &self.structure {
            let _ = writeln!(out, "  structure: {}", visible(structure));
        }
        out.push_str("\nparts\n");
        for part in &self.parts {
            let decoded = part.bytes.map_or(String::new(), |b| format!(", {b} bytes"));
            let status = visible(part.problem.as_deref().unwrap_or("ok"));
            let _ = writeln!(
                out,
                "  {:<9} {} chars{decoded}: {status}",
                part.part, part.length
            );
        }
        let show = |out: &mut String, name: &str, value: &Option<Value>, text: &Option<String>| {
            if let Some(value) = value {
                let _ = writeln!(
                    out,
                    "{name:<8} {}",
                    serde_json::to_string(value).unwrap_or_default()
                );
            } else if let Some(text) = text {
                let _ = writeln!(out, "{name:<8} (not JSON) {text:?}");
            }
        };
        out.push('\n');
        show(&mut out, "header", &self.header, &self.header_text);
        show(&mut out, "claims", &self.claims, &self.payload_text);
        if !self.times.is_empty() {
            out.push_str("\ntimes\n");
            for t in &self.times {
                let date = t
                    .date
                    .as_deref()
                    .map_or(String::new(), |d| format!(" = {d}"));
                let _ = writeln!(out, "  {:<4} {}{date}: {}", t.claim, t.value, t.relative);
            }
        }
        out.push_str("\nrules, in the contract's order\n");
        for c in &self.checks {
            let _ = writeln!(
                out,
                "  {} {:<4} {}: {}",
                mark(c.holds),
                c.rule,
                c.requirement,
                visible(&c.detail)
            );
        }
        if !self.also_failing.is_empty() {
            out.push_str("\nalso broken (the verifier stops at the first failure)\n");
            for c in &self.also_failing {
                let _ = writeln!(
                    out,
                    "  {} {:<4} {}: {}",
                    mark(c.holds),
                    c.rule,
                    c.requirement,
                    visible(&c.detail)
                );
            }
        }
        if let Some(attributes) = &self.attributes {
            let applied = if attributes.applied.is_empty() {
                "none".to_string()
            } else {
                visible(&attributes.applied.join(", "))
            };
            let dropped: Vec<String> = attributes
                .dropped
                .iter()
                .map(|(k, r)| format!("{} ({})", visible(k), visible(r)))
                .collect();
            let dropped = if dropped.is_empty() {
                "none".to_string()
            } else {
                dropped.join(", ")
            };
            let _ = writeln!(out, "\nattributes applied: {applied}; dropped: {dropped}");
        }
        if !self.hints.is_empty() {
            out.push_str("\nhints\n");
            for hint in &self.hints {
                let _ = writeln!(out, "  - {}", visible(hint));
            }
        }
        out.push('\n');
        match &self.verdict {
            Some(verdict) => {
                let what = match verdict.error {
                    Some(code) => format!("REJECTED ({code})"),
                    None => "accepted, verified".to_string(),
                };
                let _ = writeln!(out, "verdict (reference): {what}");
                let _ = writeln!(out, "  {}", visible(&self.summary));
            }
            None => {
                let _ = writeln!(
                    out,
                    "verdict without the workspace: {}",
                    if self.accepted {
                        "no problem found"
                    } else {
                        "REJECTED"
                    }
                );
                let _ = writeln!(out, "  {}", visible(&self.summary));
            }
        }
        out
    }
}

fn mark(holds: Option<bool>) -> &'static str {
    match holds {
        Some(true) => "ok  ",
        Some(false) => "FAIL",
        None => "--  ",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{IdentityVerification, JwtKey, JwtSettings, PlatformSettings};
    use crate::reference::jws::{b64url_encode, sign_hs256};

    const NOW: i64 = 1_767_225_600;
    const KEY: &str = "jwt-key-secret-for-tests";

    fn workspace() -> Workspace {
        let settings = |enabled| PlatformSettings {
            identity_verification: IdentityVerification {
                secret: "idv-secret".into(),
                enforced: true,
            },
            jwt: JwtSettings { enabled },
        };
        Workspace {
            name: "production".into(),
            platforms: [
                (Platform::Web, settings(true)),
                (Platform::Ios, settings(false)),
                (Platform::Android, settings(false)),
            ]
            .into_iter()
            .collect(),
            jwt_keys: vec![JwtKey {
                id: "k-web".into(),
                secret: KEY.into(),
                platforms: vec![Platform::Web],
            }],
            locked_attributes: vec!["plan".into()],
            jwt_leeway_seconds: 0,
        }
    }

    fn options(workspace: Option<Workspace>) -> JwtOptions {
        JwtOptions {
            workspace,
            platform: Platform::Web,
            now: NOW,
            user_id: None,
            email: None,
        }
    }

    fn token(claims: Value) -> String {
        sign_hs256(
            &json!({"alg": "HS256", "typ": "JWT"}),
            &claims,
            KEY.as_bytes(),
        )
    }

    fn no_secret(d: &JwtDiagnosis) {
        let text = format!("{}{}", d.render(), serde_json::to_string(d).unwrap());
        assert!(
            !text.contains(KEY) && !text.contains("idv-secret"),
            "{text}"
        );
    }

    #[test]
    fn a_valid_token_is_accepted_with_its_attributes() {
        let d = diagnose_jwt(
            &token(json!({"user_id": "u-1", "plan": "pro", "exp": NOW + 3540})),
            &options(Some(workspace())),
        );
        no_secret(&d);
        assert!(d.accepted, "{}", d.render());
        assert!(d.signature_checked);
        assert_eq!(d.attributes.as_ref().unwrap().applied, ["plan"]);
        assert_eq!(d.times[0].relative, "valid for another 59 min");
    }

    #[test]
    fn expiry_in_words() {
        let d = diagnose_jwt(
            &token(json!({"user_id": "u-1", "exp": NOW - 7_500})),
            &options(Some(workspace())),
        );
        no_secret(&d);
        assert!(!d.accepted);
        assert_eq!(
            d.verdict.as_ref().unwrap().error,
            Some(ErrorCode::JwtExpired)
        );
        assert_eq!(d.times[0].relative, "expired 2 h 5 min ago");
    }

    #[test]
    fn milliseconds_are_pointed_out() {
        let d = diagnose_jwt(
            &token(json!({"user_id": "u-1", "exp": (NOW + 3600) * 1000})),
            &options(None),
        );
        assert!(
            d.hints
                .iter()
                .any(|h| h.contains("looks like milliseconds")),
            "{:?}",
            d.hints
        );
        assert_eq!(
            time_claim_hint("exp", &json!(1_767_229_200_000_i64)).unwrap(),
            "exp is 1767229200000: looks like milliseconds (1767229200 s would be 2026-01-01 01:00:00 UTC); JWT times are seconds since 1970"
        );
        assert_eq!(time_claim_hint("exp", &json!(1_767_229_200)), None);
    }

    #[test]
    fn a_malformed_token_still_shows_what_decodes() {
        let header = b64url_encode(br#"{"alg":"HS256"}"#);
        let token = format!("{header}.not+json.sig");
        let d = diagnose_jwt(&token, &options(None));
        assert_eq!(d.header, Some(json!({"alg": "HS256"})));
        let problem = d.parts[1].problem.as_deref().unwrap();
        assert!(problem.contains("'+' at position 3"), "{problem}");
        assert!(
            problem.contains(&format!("position {} of the token", header.len() + 1 + 3)),
            "{problem}"
        );
        assert!(!d.accepted);
    }

    #[test]
    fn without_a_workspace_the_signature_is_not_checked() {
        let d = diagnose_jwt(&token(json!({"user_id": "u-1"})), &options(None));
        assert!(d.accepted);
        assert!(!d.signature_checked);
        let signature = d
            .checks
            .iter()
            .find(|c| c.requirement == req::JWT_SIGNATURE)
            .unwrap();
        assert_eq!(signature.holds, None);
        assert!(signature
            .detail
            .starts_with("cannot be checked without --workspace"));
    }

    #[test]
    fn failures_after_the_first_are_listed() {
        let other = sign_hs256(
            &json!({"alg": "HS256"}),
            &json!({"user_id": "u-1", "exp": NOW - 60}),
            b"another key",
        );
        let d = diagnose_jwt(&other, &options(Some(workspace())));
        assert_eq!(
            d.verdict.as_ref().unwrap().error,
            Some(ErrorCode::JwtSignatureInvalid)
        );
        assert!(
            d.also_failing.iter().any(|c| c.requirement == req::JWT_EXP),
            "{}",
            d.render()
        );
    }
}
