//! The verdict rules (CONTRACT.md, "The verdict rules"), checked in the contract's order.
//!
//! Each step below carries its rule number. Every rule evaluated is recorded as a [`Check`]
//! (requirement id, rule, whether it held, why), so a debugger can print the whole reasoning;
//! the first check that rejects gives the verdict's code. Details name keys by id and platforms
//! by name, never a secret.

use std::fmt;

use serde_json::{Number, Value};

use super::json::kind;
use super::jws::{self, JsonObject, JwsError, Part, Split};
use super::requirement as req;
use super::user_hash::{self, Mismatch};
use super::Check;
use crate::contract::{
    Attributes, DropReason, ErrorCode, Identity, JwtKey, Object, Outcome, Platform, Verdict,
    VerifyRequest, Workspace,
};

/// Request attribute names that rule 1 reserves (they are request fields, not attributes).
pub const RESERVED_ATTRIBUTES: [&str; 4] = ["user_id", "email", "user_hash", "intercom_user_jwt"];

/// Registered JWT claims (RFC 7519 §4.1): never attributes (rule 2.9).
pub const REGISTERED_CLAIMS: [&str; 7] = ["exp", "nbf", "iat", "iss", "aud", "sub", "jti"];

/// The request fields rule 1 knows.
const REQUEST_FIELDS: [&str; 7] = [
    "action",
    "platform",
    "user_id",
    "email",
    "user_hash",
    "intercom_user_jwt",
    "attributes",
];

/// Decide one request: [`verify_traced`] without the trace.
pub fn verify(request: &VerifyRequest) -> Verdict {
    verify_traced(request).0
}

/// Decide one request and say how: every rule evaluated, in order.
pub fn verify_traced(request: &VerifyRequest) -> (Verdict, Vec<Check>) {
    let mut verifier = Verifier {
        now: request.now,
        workspace: &request.workspace,
        trace: Vec::new(),
    };
    let verdict = match verifier.decide(&request.request) {
        Ok(accepted) => Verdict {
            id: request.id.clone(),
            outcome: Outcome::Accepted,
            verified: accepted.verified,
            identity: accepted.identity,
            error: None,
            attributes: accepted.attributes,
            message: Some(format!(
                "accepted (rule {}): {}",
                accepted.rule, accepted.summary
            )),
        },
        Err(rejection) => Verdict::rejected(
            request.id.clone(),
            rejection.code,
            format!(
                "rejected (rule {}, {}): {}",
                rejection.rule, rejection.code, rejection.detail
            ),
        ),
    };
    (verdict, verifier.trace)
}

/// The Messenger request after rule 1: every field of the right type.
#[derive(Debug, Clone, PartialEq)]
pub struct MessengerRequest {
    pub action: Action,
    pub platform: Platform,
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub user_hash: Option<String>,
    pub intercom_user_jwt: Option<String>,
    pub attributes: Object,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Boot,
    Update,
}

struct Accepted {
    rule: &'static str,
    verified: bool,
    identity: Option<Identity>,
    attributes: Attributes,
    summary: String,
}

struct Rejection {
    code: ErrorCode,
    rule: &'static str,
    detail: String,
}

type Decision = Result<Accepted, Rejection>;

struct Verifier<'a> {
    now: i64,
    workspace: &'a Workspace,
    trace: Vec<Check>,
}

impl<'a> Verifier<'a> {
    fn check(
        &mut self,
        requirement: &'static str,
        rule: &'static str,
        holds: bool,
        detail: impl Into<String>,
    ) {
        self.trace.push(Check {
            requirement,
            rule,
            holds,
            detail: detail.into(),
        });
    }

    fn pass(&mut self, requirement: &'static str, rule: &'static str, detail: impl Into<String>) {
        self.check(requirement, rule, true, detail);
    }

    /// Record a failed check that decides the verdict.
    fn reject(
        &mut self,
        requirement: &'static str,
        rule: &'static str,
        code: ErrorCode,
        detail: String,
    ) -> Rejection {
        self.check(requirement, rule, false, detail.clone());
        Rejection { code, rule, detail }
    }

    fn locked(&self, name: &str) -> bool {
        self.workspace.locked_attributes.iter().any(|l| l == name)
    }

    fn jwt_enabled(&self, platform: Platform) -> bool {
        self.workspace
            .platform(platform)
            .is_some_and(|s| s.jwt.enabled)
    }

    fn idv_enforced(&self, platform: Platform) -> bool {
        self.workspace
            .platform(platform)
            .is_some_and(|s| s.identity_verification.enforced)
    }

    /// Rule 1 makes sure the platform is configured; the fallback is never reached.
    fn idv_secret(&self, platform: Platform) -> &str {
        self.workspace
            .platform(platform)
            .map_or("", |s| s.identity_verification.secret.as_str())
    }

    fn decide(&mut self, raw: &Value) -> Decision {
        // Rule 1: the request's shape.
        let request = self.rule_1(raw)?;
        let has_identity = request.user_id.is_some() || request.email.is_some();
        if let Some(token) = &request.intercom_user_jwt {
            // Rule 2: a JWT is present.
            self.rule_2(&request, token)
        } else if has_identity {
            // Rule 3: no JWT, a logged-in user.
            self.rule_3(&request)
        } else if request.user_hash.is_some() {
            // Rule 4: a user_hash with neither user_id nor email.
            Err(self.reject(
                req::VISITOR_HASH_WITHOUT_IDENTIFIER,
                "4",
                ErrorCode::MissingIdentifier,
                "a user_hash was sent with neither user_id nor email: there is nothing it could verify".into(),
            ))
        } else {
            // Rule 5: no identity at all (a visitor or lead).
            self.pass(
                req::VISITOR_ANONYMOUS,
                "5",
                "no JWT, user_id, email or user_hash: an anonymous visitor or lead",
            );
            let attributes = self.request_attributes(&request.attributes, "5", &[]);
            let summary = format!(
                "an anonymous visitor, not verified; {}",
                describe_attributes(&attributes)
            );
            Ok(Accepted {
                rule: "5",
                verified: false,
                identity: None,
                attributes,
                summary,
            })
        }
    }

    // -----------------------------------------------------------------------------------------
    // Rule 1
    // -----------------------------------------------------------------------------------------

    /// Rule 1: unknown platform or action, a field of the wrong type, an empty `user_id` or
    /// `email`, or a reserved attribute name: `invalid_request`. `null` means absent.
    fn rule_1(&mut self, raw: &Value) -> Result<MessengerRequest, Rejection> {
        let parsed = parse_request(raw);
        let request = match parsed {
            Ok(request) => request,
            Err(problems) => {
                return Err(self.reject(
                    req::REQ_SHAPE,
                    "1",
                    ErrorCode::InvalidRequest,
                    problems.join("; "),
                ));
            }
        };
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
        // A platform the workspace does not configure is unknown too: reading it as "JWT off,
        // identity verification off" would accept unverified users nobody configured for.
        if self.workspace.platform(request.platform).is_none() {
            let detail = format!(
                "platform {} is not configured in workspace {:?} (configured: {})",
                request.platform,
                self.workspace.name,
                self.workspace
                    .platforms
                    .keys()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return Err(self.reject(req::REQ_SHAPE, "1", ErrorCode::InvalidRequest, detail));
        }
        self.pass(req::REQ_SHAPE, "1", detail);

        let reserved: Vec<&str> = request
            .attributes
            .keys()
            .map(String::as_str)
            .filter(|k| RESERVED_ATTRIBUTES.contains(k))
            .collect();
        if !reserved.is_empty() {
            let detail = format!(
                "request attribute{} {} {} reserved: user_id, email, user_hash and intercom_user_jwt are request fields, not attributes",
                plural(reserved.len()),
                quoted_list(&reserved),
                if reserved.len() == 1 { "is" } else { "are" },
            );
            return Err(self.reject(
                req::REQ_RESERVED_ATTRIBUTES,
                "1",
                ErrorCode::InvalidRequest,
                detail,
            ));
        }
        self.pass(
            req::REQ_RESERVED_ATTRIBUTES,
            "1",
            "no request attribute uses a reserved name",
        );
        Ok(request)
    }

    // -----------------------------------------------------------------------------------------
    // Rule 2
    // -----------------------------------------------------------------------------------------

    fn rule_2(&mut self, request: &MessengerRequest, token: &str) -> Decision {
        let platform = request.platform;

        // 2.1 JWT not enabled on the platform.
        if !self.jwt_enabled(platform) {
            let detail = format!("a JWT was sent, but JWT is not enabled on {platform}");
            return Err(self.reject(req::JWT_ENABLED, "2.1", ErrorCode::JwtNotEnabled, detail));
        }
        self.pass(
            req::JWT_ENABLED,
            "2.1",
            format!("JWT is enabled on {platform}"),
        );

        // 2.2 Three canonical base64url parts; header and payload UTF-8 JSON objects without
        // duplicate member names.
        let split = jws::split_compact(token).map_err(|e| self.reject_jws(e))?;
        let header =
            jws::parse_json_object(Part::Header, &split.header).map_err(|e| self.reject_jws(e))?;
        let claims = jws::parse_json_object(Part::Payload, &split.payload)
            .map_err(|e| self.reject_jws(e))?;
        self.pass(
            req::JWT_FORMAT,
            "2.2",
            "three base64url parts, without padding or whitespace",
        );
        self.pass(
            req::JWT_BASE64URL_CANONICAL,
            "2.2",
            "every part is canonical (no unused trailing bits set)",
        );
        self.pass(
            req::JWT_JSON_OBJECT,
            "2.2",
            "header and payload are UTF-8 JSON objects",
        );
        self.pass(
            req::JWT_DUPLICATE_MEMBERS,
            "2.2",
            "no duplicate member names in header or payload",
        );

        // 2.3 `alg` exactly "HS256"; no `crit`.
        jws::check_header(&header).map_err(|e| {
            if matches!(e, JwsError::Crit { .. }) {
                self.pass(req::JWT_ALG, "2.3", "alg is \"HS256\"");
            }
            self.reject_jws(e)
        })?;
        self.pass(req::JWT_ALG, "2.3", "alg is \"HS256\"");
        self.pass(req::JWT_CRIT, "2.3", "no crit header");

        // 2.4 Signature, in constant time, under a key of this platform.
        let key = self.rule_2_4(platform, &split, &header)?;

        // 2.5 user_id present, claim types right.
        let identity = self.rule_2_5(&claims)?;

        // 2.6 and 2.7: exp and nbf against now, with the workspace's leeway.
        self.rule_2_6_and_2_7(&claims)?;

        // 2.8 The request's identity agrees with the claims.
        self.rule_2_8(request, &identity)?;

        // 2.9 Accepted.
        Ok(self.rule_2_9(request, &claims, identity, key))
    }

    fn reject_jws(&mut self, error: JwsError) -> Rejection {
        let detail = error.to_string();
        self.reject(error.requirement(), error.rule(), error.code(), detail)
    }

    /// Rule 2.4. Only keys whose `platforms` include the request's platform are tried, every one
    /// of them (trusting `kid` is allowed but not needed); empty secrets never verify; header
    /// parameters never select a key. Returns the id of the key that verifies.
    fn rule_2_4(
        &mut self,
        platform: Platform,
        split: &Split<'_>,
        header: &JsonObject,
    ) -> Result<String, Rejection> {
        let workspace: &'a Workspace = self.workspace;
        let keys = &workspace.jwt_keys;
        let (mine, others): (Vec<&JwtKey>, Vec<&JwtKey>) =
            keys.iter().partition(|k| k.platforms.contains(&platform));

        // Header parameters that name or carry keys: reported, never used.
        let injected: Vec<String> = ["kid", "jku", "x5u", "x5c", "jwk"]
            .into_iter()
            .filter_map(|name| {
                header
                    .members
                    .get(name)
                    .map(|v| format!("`{name}` {}", shorten(v)))
            })
            .collect();
        if !injected.is_empty() {
            self.pass(
                req::KEY_HEADER_INJECTION,
                "2.4",
                format!(
                    "header {} did not select a key: only the workspace's jwt_keys for {platform} are tried; nothing is fetched or looked up",
                    injected.join(", ")
                ),
            );
        }

        let verified_by = mine
            .iter()
            .find(|k| split.verifies_under(k.secret.as_bytes()))
            .map(|k| (*k).clone());
        let empty: Vec<&str> = mine
            .iter()
            .filter(|k| k.secret.is_empty())
            .map(|k| k.id.as_str())
            .collect();

        // KEY-EMPTY-SECRET: such keys are skipped; diagnose a token MACed with the empty key.
        if !empty.is_empty() {
            let signed_with_empty = verified_by.is_none()
                && jws::hmac_sha256_verify(b"", split.signing_input().as_bytes(), &split.signature);
            let detail = if signed_with_empty {
                format!("the token is MACed with the empty key; {} {} an empty secret, which never verifies", quoted_list(&empty), if empty.len() == 1 { "has" } else { "have" })
            } else {
                format!(
                    "{} {} an empty secret and never verif{}",
                    quoted_list(&empty),
                    if empty.len() == 1 { "has" } else { "have" },
                    if empty.len() == 1 { "ies" } else { "y" }
                )
            };
            self.check(req::KEY_EMPTY_SECRET, "2.4", !signed_with_empty, detail);
        }

        // KEY-PLATFORM-SCOPE: for the diagnosis only, would a key of another platform verify?
        let foreign = if verified_by.is_none() {
            others
                .iter()
                .find(|k| split.verifies_under(k.secret.as_bytes()))
                .copied()
        } else {
            None
        };
        let scope_detail = match foreign {
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
        self.check(
            req::KEY_PLATFORM_SCOPE,
            "2.4",
            foreign.is_none(),
            scope_detail,
        );

        // KEY-ROTATION: a `kid` naming no listed key (rotated out, or never there).
        if let Some(kid) = header.members.get("kid").and_then(Value::as_str) {
            if !keys.iter().any(|k| k.id == kid) {
                let mut detail = format!(
                    "kid {} names no key in jwt_keys (rotated out or unknown): it selects nothing",
                    shorten_str(kid)
                );
                if let Some(k) = &verified_by {
                    detail.push_str(&format!("; the signature verifies under `{}` anyway", k.id));
                }
                self.check(req::KEY_ROTATION, "2.4", verified_by.is_some(), detail);
            }
        }

        // KEY-KID-CHOICE: a kid naming another of this platform's keys than the one that signed.
        if let (Some(kid), Some(key)) = (
            header.members.get("kid").and_then(Value::as_str),
            &verified_by,
        ) {
            if kid != key.id && mine.iter().any(|k| k.id == kid) {
                self.pass(
                    req::KEY_KID_CHOICE,
                    "2.4",
                    format!("kid names `{kid}`, another key of {platform}, but `{}` signed: the reference tries every key of the platform (trusting kid would also conform)", key.id),
                );
            }
        }

        match verified_by {
            Some(key) => {
                self.pass(
                    req::JWT_SIGNATURE,
                    "2.4",
                    format!("signature verifies under key {}", describe_key(&key)),
                );
                Ok(key.id)
            }
            None => {
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
                    detail.push_str(&format!(
                        "; {} {} an empty secret and never verif{}",
                        quoted_list(&empty),
                        if empty.len() == 1 { "has" } else { "have" },
                        if empty.len() == 1 { "ies" } else { "y" }
                    ));
                }
                if let Some(k) = foreign {
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
                Err(self.reject(
                    req::JWT_SIGNATURE,
                    "2.4",
                    ErrorCode::JwtSignatureInvalid,
                    detail,
                ))
            }
        }
    }

    /// Rule 2.5: `user_id` missing, null or empty is `jwt_missing_user_id`; a claim of the wrong
    /// type is `jwt_claims_invalid`. Returns the identity the claims carry.
    fn rule_2_5(&mut self, claims: &JsonObject) -> Result<Identity, Rejection> {
        let members = &claims.members;
        let user_id = members.get("user_id");
        let missing = match user_id {
            None => Some("the payload has no `user_id` claim"),
            Some(Value::Null) if !claims.overflows("user_id") => {
                Some("the `user_id` claim is null")
            }
            Some(Value::String(s)) if s.is_empty() => {
                Some("the `user_id` claim is an empty string")
            }
            _ => None,
        };
        if let Some(detail) = missing {
            return Err(self.reject(
                req::JWT_USER_ID,
                "2.5",
                ErrorCode::JwtMissingUserId,
                detail.into(),
            ));
        }
        self.pass(
            req::JWT_USER_ID,
            "2.5",
            "the `user_id` claim is present and not empty",
        );

        let mut problems = Vec::new();
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
        if let Some(v) = user_id.filter(|v| !v.is_string()) {
            problems.push(format!(
                "`user_id` is {}, not a string",
                describe("user_id", v)
            ));
        }
        if let Some(v) = members.get("email").filter(|v| !v.is_string()) {
            // `null` is present, and not a string (only user_id has a null rule of its own).
            problems.push(format!("`email` is {}, not a string", describe("email", v)));
        }
        for name in ["exp", "nbf"] {
            if let Some(v) = members.get(name) {
                if claims.overflows(name) || !v.is_number() {
                    problems.push(format!(
                        "`{name}` is {}, not a finite JSON number",
                        describe(name, v)
                    ));
                }
            }
        }
        for name in members.keys().filter(|n| !is_identity_or_registered(n)) {
            if claims.overflows_within(name) {
                problems.push(format!("claim `{name}` holds a number that overflows a double, which no attribute can hold"));
            }
        }
        if !problems.is_empty() {
            return Err(self.reject(
                req::JWT_CLAIM_TYPES,
                "2.5",
                ErrorCode::JwtClaimsInvalid,
                problems.join("; "),
            ));
        }
        self.pass(
            req::JWT_CLAIM_TYPES,
            "2.5",
            "user_id and email are strings; exp and nbf, when present, finite numbers",
        );
        let mut unchecked: Vec<&str> = ["iss", "aud", "sub", "jti"]
            .into_iter()
            .filter(|n| members.contains_key(*n))
            .collect();
        if members.get("iat").is_some_and(|v| !v.is_number()) {
            unchecked.push("iat (not a number)");
        }
        if !unchecked.is_empty() {
            self.pass(
                req::JWT_UNCHECKED_FIELDS,
                "2.5",
                format!("not checked by this profile: {}", unchecked.join(", ")),
            );
        }
        Ok(Identity {
            user_id: user_id.and_then(Value::as_str).map(String::from),
            email: members
                .get("email")
                .and_then(Value::as_str)
                .map(String::from),
        })
    }

    /// Rules 2.6 (`now >= exp + leeway`: expired) and 2.7 (`now + leeway < nbf`: not yet valid).
    fn rule_2_6_and_2_7(&mut self, claims: &JsonObject) -> Result<(), Rejection> {
        let now = i128::from(self.now);
        let leeway = i128::from(self.workspace.jwt_leeway_seconds);
        let exp = claims
            .members
            .get("exp")
            .and_then(Value::as_number)
            .map(NumericDate::from);
        let nbf = claims
            .members
            .get("nbf")
            .and_then(Value::as_number)
            .map(NumericDate::from);

        if leeway != 0 && (exp.is_some() || nbf.is_some()) {
            self.pass(
                req::JWT_LEEWAY,
                "2.6",
                format!("the workspace's leeway is {leeway} s: exp counts until exp + {leeway}, nbf from nbf - {leeway}"),
            );
        }

        // 2.6 A token is expired at the very second of `exp` (plus leeway).
        match exp {
            None => self.pass(
                req::JWT_EXP_OPTIONAL,
                "2.6",
                "no `exp` claim: the token does not expire (exp is optional)",
            ),
            Some(exp) => {
                let expired = exp.at_or_before(now - leeway);
                let detail = describe_exp(exp, now, leeway, expired);
                if expired {
                    return Err(self.reject(req::JWT_EXP, "2.6", ErrorCode::JwtExpired, detail));
                }
                self.pass(req::JWT_EXP, "2.6", detail);
            }
        }

        // 2.7 (`iat` is not checked.)
        match nbf {
            None => self.pass(req::JWT_NBF, "2.7", "no `nbf` claim"),
            Some(nbf) => {
                let not_yet = !nbf.at_or_before(now + leeway);
                let detail = describe_nbf(nbf, now, leeway, not_yet);
                if not_yet {
                    return Err(self.reject(
                        req::JWT_NBF,
                        "2.7",
                        ErrorCode::JwtNotYetValid,
                        detail,
                    ));
                }
                self.pass(req::JWT_NBF, "2.7", detail);
            }
        }
        if let Some(iat) = claims.members.get("iat").filter(|v| v.is_number()) {
            self.pass(
                req::JWT_IAT_IGNORED,
                "2.7",
                format!("iat {iat} is not checked"),
            );
        }
        Ok(())
    }

    /// Rule 2.8: the request's `user_id` must equal the claim; if both carry an `email`, so must it.
    fn rule_2_8(&mut self, request: &MessengerRequest, claims: &Identity) -> Result<(), Rejection> {
        let claim_user_id = claims.user_id.as_deref().unwrap_or_default();
        let mut agreed = Vec::new();
        match &request.user_id {
            Some(sent) if sent != claim_user_id => {
                let detail = format!(
                    "the request's user_id {} differs from the JWT's user_id {} (compared as exact bytes)",
                    shorten_str(sent),
                    shorten_str(claim_user_id)
                );
                return Err(self.reject(
                    req::JWT_IDENTITY_MATCH,
                    "2.8",
                    ErrorCode::JwtIdentityMismatch,
                    detail,
                ));
            }
            Some(_) => agreed.push("the request's user_id equals the claim"),
            None => agreed.push("the request sends no user_id"),
        }
        match (&request.email, &claims.email) {
            (Some(sent), Some(claimed)) if sent != claimed => {
                let detail = format!(
                    "the request's email {} differs from the JWT's email {} (compared as exact bytes)",
                    shorten_str(sent),
                    shorten_str(claimed)
                );
                return Err(self.reject(
                    req::JWT_IDENTITY_MATCH,
                    "2.8",
                    ErrorCode::JwtIdentityMismatch,
                    detail,
                ));
            }
            (Some(_), Some(_)) => agreed.push("its email equals the claim"),
            _ => {}
        }
        self.pass(req::JWT_IDENTITY_MATCH, "2.8", agreed.join("; "));
        Ok(())
    }

    /// Rule 2.9: accepted and verified. Identity from the claims; every non-registered claim
    /// other than `user_id`/`email` is an attribute, applied locked or not; request attributes
    /// a claim also sets are dropped `overridden_by_jwt`, other locked ones `locked_attribute`.
    fn rule_2_9(
        &mut self,
        request: &MessengerRequest,
        claims: &JsonObject,
        mut identity: Identity,
        key: String,
    ) -> Accepted {
        let mut attributes = Attributes::default();

        // Identity: the request's email only when the claim has none, and never a locked one.
        let email_source = match (&identity.email, &request.email) {
            (Some(_), _) => "the claim",
            (None, Some(sent)) if self.locked("email") => {
                attributes
                    .dropped
                    .insert("email".into(), DropReason::LockedAttribute);
                self.pass(
                    req::ATTR_LOCKED_EMAIL,
                    "2.9",
                    format!("the claims carry no email and `email` is locked: the request's email {} is not used and is dropped locked_attribute", shorten_str(sent)),
                );
                "nowhere (locked)"
            }
            (None, Some(sent)) => {
                identity.email = Some(sent.clone());
                "the request (the claims carry none)"
            }
            (None, None) => "nowhere (none sent)",
        };
        self.pass(
            req::JWT_IDENTITY_FROM_CLAIMS,
            "2.9",
            format!(
                "identity from the claims: user_id {}; email {}, from {email_source}",
                shorten_str(identity.user_id.as_deref().unwrap_or_default()),
                identity
                    .email
                    .as_deref()
                    .map_or("none".to_string(), shorten_str),
            ),
        );

        let registered: Vec<&str> = claims
            .members
            .keys()
            .map(String::as_str)
            .filter(|n| REGISTERED_CLAIMS.contains(n))
            .collect();
        if !registered.is_empty() {
            self.pass(
                req::ATTR_REGISTERED_CLAIMS,
                "2.9",
                format!(
                    "registered claim{} {} {} not attributes",
                    plural(registered.len()),
                    registered.join(", "),
                    if registered.len() == 1 { "is" } else { "are" }
                ),
            );
        }

        // Claims as attributes: applied whether locked or not (a valid JWT may change them).
        let mut from_jwt = Vec::new();
        for (name, value) in &claims.members {
            if !is_identity_or_registered(name) {
                attributes.applied.insert(name.clone(), value.clone());
                from_jwt.push(if self.locked(name) {
                    format!("{name} (locked)")
                } else {
                    name.clone()
                });
            }
        }
        if !from_jwt.is_empty() {
            self.pass(
                req::ATTR_JWT_CLAIMS_APPLIED,
                "2.9",
                format!("claims applied as attributes: {}", from_jwt.join(", ")),
            );
        }

        // Request attributes: a claim's value wins; locked ones need a JWT.
        let from_claims: Vec<String> = claims
            .members
            .keys()
            .filter(|n| !is_identity_or_registered(n))
            .cloned()
            .collect();
        let mut request_attributes =
            self.request_attributes(&request.attributes, "2.9", &from_claims);
        attributes.applied.append(&mut request_attributes.applied);
        attributes.dropped.append(&mut request_attributes.dropped);

        let mut summary = format!(
            "verified by a JWT signed with key `{key}`; user_id {}",
            shorten_str(identity.user_id.as_deref().unwrap_or_default())
        );
        if request.user_hash.is_some() {
            self.pass(
                req::JWT_USER_HASH_IGNORED,
                "2.9",
                "the user_hash beside the valid JWT is ignored",
            );
            summary.push_str("; the user_hash beside the JWT is ignored");
        }
        summary.push_str(&format!("; {}", describe_attributes(&attributes)));
        Accepted {
            rule: "2.9",
            verified: true,
            identity: Some(identity),
            attributes,
            summary,
        }
    }

    // -----------------------------------------------------------------------------------------
    // Rule 3
    // -----------------------------------------------------------------------------------------

    fn rule_3(&mut self, request: &MessengerRequest) -> Decision {
        let platform = request.platform;

        // 3.1 A platform with JWT enabled needs one; a user_hash is no substitute.
        if self.jwt_enabled(platform) {
            let detail = format!(
                "JWT is enabled on {platform}: a logged-in user must send intercom_user_jwt{}",
                if request.user_hash.is_some() {
                    " (a user_hash is no substitute)"
                } else {
                    ""
                }
            );
            return Err(self.reject(req::IDV_JWT_REQUIRED, "3.1", ErrorCode::JwtRequired, detail));
        }
        self.pass(
            req::IDV_JWT_REQUIRED,
            "3.1",
            format!("JWT is not enabled on {platform}"),
        );

        let enforced = self.idv_enforced(platform);
        let (rule, verified) = match &request.user_hash {
            // 3.2 No user_hash.
            None if enforced => {
                let detail =
                    format!("no user_hash, and identity verification is enforced on {platform}");
                return Err(self.reject(
                    req::IDV_ENFORCED,
                    "3.2",
                    ErrorCode::UserHashRequired,
                    detail,
                ));
            }
            None => {
                self.pass(
                    req::IDV_UNENFORCED,
                    "3.2",
                    format!("no user_hash; identity verification is not enforced on {platform}: accepted, not verified"),
                );
                ("3.2", false)
            }
            // 3.3 and 3.4: the user_hash must match.
            Some(given) => {
                let verified = self.rule_3_3(request, given, enforced)?;
                (if verified { "3.4" } else { "3.3" }, verified)
            }
        };

        // Identity as sent, except an unsigned email beside a user_id when `email` is locked.
        let mut attributes = Attributes::default();
        let mut identity = Identity {
            user_id: request.user_id.clone(),
            email: request.email.clone(),
        };
        if let (Some(_), Some(email)) = (&request.user_id, &request.email) {
            if self.locked("email") {
                identity.email = None;
                attributes
                    .dropped
                    .insert("email".into(), DropReason::LockedAttribute);
                self.pass(
                    req::IDV_EMAIL_UNSIGNED,
                    "3",
                    format!(
                        "the email {} beside the user_id is unsigned data",
                        shorten_str(email)
                    ),
                );
                self.pass(
                    req::ATTR_LOCKED_EMAIL,
                    "3",
                    "`email` is locked: it is left out of the identity and dropped locked_attribute",
                );
            } else {
                self.pass(
                    req::IDV_EMAIL_UNSIGNED,
                    "3",
                    format!("the email {} beside the user_id is unsigned data; `email` is not locked, so it is kept as sent", shorten_str(email)),
                );
            }
        }

        // 3.4 Request attributes applied unless locked (only a valid JWT may change those).
        let mut request_attributes = self.request_attributes(&request.attributes, "3.4", &[]);
        attributes.applied.append(&mut request_attributes.applied);
        attributes.dropped.append(&mut request_attributes.dropped);

        self.pass(
            req::IDV_IDENTITY,
            "3",
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
            ),
        );
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
        let summary = format!("{who}, {how}; {}", describe_attributes(&attributes));
        Ok(Accepted {
            rule,
            verified,
            identity: Some(identity),
            attributes,
            summary,
        })
    }

    /// Rule 3.3: the user_hash must equal hex HMAC-SHA256(platform secret, user_id when one is
    /// sent, else email), in constant time; either hex case on web, lowercase on mobile. A
    /// mismatch is `user_hash_mismatch` when enforced, else an unverified acceptance.
    /// Returns whether the user is verified.
    fn rule_3_3(
        &mut self,
        request: &MessengerRequest,
        given: &str,
        enforced: bool,
    ) -> Result<bool, Rejection> {
        let platform = request.platform;
        let secret = self.idv_secret(platform).to_string();
        let (identifier_name, identifier) = match (&request.user_id, &request.email) {
            (Some(user_id), _) => ("user_id", user_id.as_str()),
            (None, Some(email)) => ("email", email.as_str()),
            (None, None) => unreachable!("rule 3 is reached only with a user_id or an email"),
        };
        let result = user_hash::check(platform, &secret, identifier, given);

        // The shape of the hash: 64 hex digits.
        match user_hash::parse_hex(Platform::Web, given) {
            Ok(_) => self.pass(
                req::IDV_MALFORMED_HASH,
                "3.3",
                "the user_hash is 64 hex digits",
            ),
            Err(e) => self.check(
                req::IDV_MALFORMED_HASH,
                "3.3",
                false,
                format!("the user_hash is malformed: {e}"),
            ),
        }
        // Hex case: uppercase only on web; mixed case on web is a `may` case, accepted here.
        let hex = given.bytes().all(|b| b.is_ascii_hexdigit());
        let upper = given.bytes().any(|b| b.is_ascii_uppercase());
        let lower = given.bytes().any(|b| b.is_ascii_lowercase());
        if hex && upper {
            let accepted = user_hash::accepts_uppercase(platform);
            let detail = if accepted {
                format!("uppercase hex digits are accepted on {platform}")
            } else {
                format!("uppercase hex digits are not accepted on {platform}: the mobile SDKs require lowercase")
            };
            self.check(req::IDV_HEX_CASE, "3.3", accepted, detail);
            if accepted && lower {
                self.pass(
                    req::IDV_HEX_MIXED_CASE,
                    "3.3",
                    format!("mixed-case hex is accepted on {platform}: the reference decodes the hex digits (treating it as a mismatch would also conform)"),
                );
            }
        }
        // Diagnosis only (the verdict is `result`): what a wrong hash was made with. Compared
        // without regard to case, so an uppercase hash on mobile is diagnosed too.
        let made_with = |key: &str, message: &str| {
            !key.is_empty() && user_hash::check(Platform::Web, key, message, given).is_ok()
        };
        let wrong_digest = result.is_err() && !made_with(&secret, identifier);

        // Which identifier is hashed: the user_id when one is sent.
        let mut over_email = false;
        if let (Some(user_id), Some(email)) = (&request.user_id, &request.email) {
            over_email = wrong_digest && made_with(&secret, email);
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
            self.check(req::IDV_PRECEDENCE, "3.3", !over_email, detail);
        }
        // The platform's own secret: not another platform's, not a JWT key's, never an empty one.
        let foreign_secret = if wrong_digest && !over_email {
            let platforms = Platform::ALL
                .into_iter()
                .filter(|p| *p != platform)
                .find_map(|p| {
                    let other = self.idv_secret(p);
                    (other != secret && made_with(other, identifier))
                        .then(|| format!("the {p} identity verification secret"))
                });
            platforms.or_else(|| {
                self.workspace.jwt_keys.iter().find_map(|k| {
                    (k.secret != secret && made_with(&k.secret, identifier))
                        .then(|| format!("the secret of JWT key `{}`", k.id))
                })
            })
        } else {
            None
        };
        match (&result, &foreign_secret) {
            (Err(Mismatch::EmptySecret), _) => self.check(
                req::IDV_PLATFORM_SECRET,
                "3.3",
                false,
                format!(
                    "the identity verification secret of {platform} is empty: no user_hash matches"
                ),
            ),
            (_, Some(other)) => self.check(
                req::IDV_PLATFORM_SECRET,
                "3.3",
                false,
                format!("the user_hash was made with {other}; {platform} has its own secret"),
            ),
            _ => self.pass(
                req::IDV_PLATFORM_SECRET,
                "3.3",
                format!("the user_hash is checked against the {platform} secret"),
            ),
        }

        let what = format!(
            "HMAC-SHA256({platform} secret, {identifier_name} {})",
            shorten_str(identifier)
        );
        match result {
            Ok(()) => {
                let requirement = if enforced {
                    req::IDV_ENFORCED
                } else {
                    req::IDV_UNENFORCED
                };
                self.pass(
                    requirement,
                    "3.4",
                    format!("the user_hash equals {what}: verified"),
                );
                Ok(true)
            }
            Err(mismatch) if enforced => {
                let detail = format!(
                    "the user_hash does not equal {what}: {mismatch}; identity verification is enforced on {platform}"
                );
                Err(self.reject(
                    req::IDV_ENFORCED,
                    "3.3",
                    ErrorCode::UserHashMismatch,
                    detail,
                ))
            }
            Err(mismatch) => {
                self.pass(
                    req::IDV_UNENFORCED,
                    "3.3",
                    format!("the user_hash does not equal {what}: {mismatch}; identity verification is not enforced on {platform}: accepted, not verified"),
                );
                Ok(false)
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Attributes (rules 2.9, 3.4, 5)
    // -----------------------------------------------------------------------------------------

    /// Request attributes: those a JWT claim also sets are dropped `overridden_by_jwt`, locked
    /// ones `locked_attribute`, the rest applied.
    fn request_attributes(
        &mut self,
        sent: &Object,
        rule: &'static str,
        set_by_claims: &[String],
    ) -> Attributes {
        let mut attributes = Attributes::default();
        let (mut overridden, mut locked, mut applied) = (Vec::new(), Vec::new(), Vec::new());
        for (name, value) in sent {
            if set_by_claims.contains(name) {
                attributes
                    .dropped
                    .insert(name.clone(), DropReason::OverriddenByJwt);
                overridden.push(name.as_str());
            } else if self.locked(name) {
                attributes
                    .dropped
                    .insert(name.clone(), DropReason::LockedAttribute);
                locked.push(name.as_str());
            } else {
                attributes.applied.insert(name.clone(), value.clone());
                applied.push(name.as_str());
            }
        }
        if !overridden.is_empty() {
            self.pass(
                req::ATTR_OVERRIDDEN_BY_JWT,
                rule,
                format!(
                    "request attributes the JWT also sets are dropped overridden_by_jwt: {}",
                    overridden.join(", ")
                ),
            );
        }
        if !locked.is_empty() {
            self.pass(
                req::ATTR_LOCKED,
                rule,
                format!("locked request attributes are dropped locked_attribute (only a valid JWT may change them): {}", locked.join(", ")),
            );
        }
        if !applied.is_empty() {
            self.pass(
                req::ATTR_UNLOCKED,
                rule,
                format!(
                    "unlocked request attributes applied: {}",
                    applied.join(", ")
                ),
            );
        }
        attributes
    }
}

// ---------------------------------------------------------------------------------------------
// Rule 1, field by field
// ---------------------------------------------------------------------------------------------

/// Rule 1 on the raw request: every problem found, in words, or the typed request.
pub fn parse_request(raw: &Value) -> Result<MessengerRequest, Vec<String>> {
    let Value::Object(fields) = raw else {
        return Err(vec![format!("the request is {}, not an object", kind(raw))]);
    };
    let mut problems = Vec::new();
    // `null` is the same as absent for every field.
    let field = |name: &str| fields.get(name).filter(|v| !v.is_null());

    let action = match field("action") {
        None => {
            problems.push("`action` is missing (boot or update)".to_string());
            None
        }
        Some(Value::String(s)) if s == "boot" => Some(Action::Boot),
        Some(Value::String(s)) if s == "update" => Some(Action::Update),
        Some(Value::String(s)) => {
            problems.push(format!(
                "unknown action {} (boot or update)",
                shorten_str(s)
            ));
            None
        }
        Some(other) => {
            problems.push(format!("`action` is {}, not a string", kind(other)));
            None
        }
    };
    let platform = match field("platform") {
        None => {
            problems.push("`platform` is missing (web, ios or android)".to_string());
            None
        }
        Some(Value::String(s)) => {
            let platform = Platform::parse(s);
            if platform.is_none() {
                problems.push(format!(
                    "unknown platform {} (web, ios or android)",
                    shorten_str(s)
                ));
            }
            platform
        }
        Some(other) => {
            problems.push(format!("`platform` is {}, not a string", kind(other)));
            None
        }
    };
    let mut string = |name: &str, non_empty: bool| match field(name) {
        None => None,
        Some(Value::String(s)) if non_empty && s.is_empty() => {
            problems.push(format!("`{name}` is an empty string"));
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            problems.push(format!("`{name}` is {}, not a string", kind(other)));
            None
        }
    };
    let user_id = string("user_id", true);
    let email = string("email", true);
    let user_hash = string("user_hash", false);
    let intercom_user_jwt = string("intercom_user_jwt", false);
    let attributes = match field("attributes") {
        None => Object::new(),
        Some(Value::Object(a)) => a.clone(),
        Some(other) => {
            problems.push(format!("`attributes` is {}, not an object", kind(other)));
            Object::new()
        }
    };
    match (action, platform) {
        (Some(action), Some(platform)) if problems.is_empty() => Ok(MessengerRequest {
            action,
            platform,
            user_id,
            email,
            user_hash,
            intercom_user_jwt,
            attributes,
        }),
        _ => Err(problems),
    }
}

// ---------------------------------------------------------------------------------------------
// Numeric dates
// ---------------------------------------------------------------------------------------------

/// A finite JSON number as a date: integers stay exact, fractions are allowed.
#[derive(Debug, Clone, Copy, PartialEq)]
enum NumericDate {
    Int(i128),
    Float(f64),
}

impl From<&Number> for NumericDate {
    fn from(n: &Number) -> Self {
        if let Some(i) = n.as_i64() {
            NumericDate::Int(i128::from(i))
        } else if let Some(u) = n.as_u64() {
            NumericDate::Int(i128::from(u))
        } else {
            NumericDate::Float(n.as_f64().unwrap_or(f64::NAN))
        }
    }
}

impl NumericDate {
    /// `self <= t`, exactly. For a fraction f and an integer t, f <= t exactly when ceil(f) <= t.
    fn at_or_before(self, t: i128) -> bool {
        match self {
            NumericDate::Int(i) => i <= t,
            NumericDate::Float(f) => {
                let c = f.ceil();
                if c >= i128::MAX as f64 {
                    false
                } else if c <= i128::MIN as f64 {
                    true
                } else {
                    (c as i128) <= t
                }
            }
        }
    }

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

/// "exp 1767225600 is 0 s before now 1767225600: expired at the very second of exp".
fn describe_exp(exp: NumericDate, now: i128, leeway: i128, expired: bool) -> String {
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

fn describe_nbf(nbf: NumericDate, now: i128, leeway: i128, not_yet: bool) -> String {
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

// ---------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------

fn is_identity_or_registered(name: &str) -> bool {
    name == "user_id" || name == "email" || REGISTERED_CLAIMS.contains(&name)
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

fn describe_key(key: &JwtKey) -> String {
    format!("`{}` ({})", key.id, platforms(key))
}

fn describe_attributes(attributes: &Attributes) -> String {
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

const SHOWN: usize = 80;

/// A string quoted with escapes, cut to a readable length (attacker text can be huge).
fn shorten_str(s: &str) -> String {
    if s.chars().count() <= SHOWN {
        format!("{s:?}")
    } else {
        let cut: String = s.chars().take(SHOWN).collect();
        format!("{cut:?}… ({} chars)", s.chars().count())
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::jws::{b64url_encode, sign_hs256, sign_raw};
    use crate::reference::user_hash::user_hash;
    use serde_json::json;

    const NOW: i64 = 1_767_225_600;
    const K_WEB: &str = "jwt-web-secret-0004";
    const K_IOS: &str = "jwt-ios-secret-0005";
    const IDV_WEB: &str = "idv-web-secret-0001";
    const IDV_IOS: &str = "idv-ios-secret-0002";
    const IDV_ANDROID: &str = "idv-android-secret-0003";

    fn workspace_json() -> Value {
        json!({
            "name": "production",
            "platforms": {
                "web": {"identity_verification": {"secret": IDV_WEB, "enforced": true}, "jwt": {"enabled": true}},
                "ios": {"identity_verification": {"secret": IDV_IOS, "enforced": true}, "jwt": {"enabled": false}},
                "android": {"identity_verification": {"secret": IDV_ANDROID, "enforced": false}, "jwt": {"enabled": false}}
            },
            "jwt_keys": [
                {"id": "k-web", "secret": K_WEB, "platforms": ["web"]},
                {"id": "k-ios", "secret": K_IOS, "platforms": ["ios"]}
            ],
            "locked_attributes": ["plan", "email"],
            "jwt_leeway_seconds": 0
        })
    }

    /// Run a request against the default workspace changed by `edit`.
    fn run_with(edit: impl FnOnce(&mut Value), request: Value) -> (Verdict, Vec<Check>) {
        let mut workspace = workspace_json();
        edit(&mut workspace);
        let request = VerifyRequest {
            id: "c1".into(),
            now: NOW,
            workspace: serde_json::from_value(workspace).expect("test workspace"),
            request,
        };
        let (verdict, trace) = verify_traced(&request);
        assert_eq!(verdict, verify(&request), "verify and verify_traced agree");
        assert_eq!(verdict.id, "c1");
        check_shape(&verdict, &trace);
        (verdict, trace)
    }

    fn run(request: Value) -> (Verdict, Vec<Check>) {
        run_with(|_| {}, request)
    }

    /// The contract's verdict shape, and a trace that agrees with it.
    fn check_shape(verdict: &Verdict, trace: &[Check]) {
        match verdict.outcome {
            Outcome::Rejected => {
                assert!(verdict.error.is_some() && !verdict.verified && verdict.identity.is_none());
                assert!(
                    verdict.attributes.applied.is_empty() && verdict.attributes.dropped.is_empty()
                );
                let last = trace.last().expect("a rejection has a deciding check");
                assert!(!last.holds, "the last check decides a rejection: {last:?}");
            }
            Outcome::Accepted => assert!(verdict.error.is_none()),
        }
        for check in trace {
            assert!(
                super::super::requirement::ALL.contains(&check.requirement),
                "{check:?}"
            );
            assert!(!check.detail.is_empty());
        }
        let message = verdict.message.as_deref().unwrap_or_default();
        for secret in [K_WEB, K_IOS, IDV_WEB, IDV_IOS, IDV_ANDROID] {
            assert!(!message.contains(secret), "secret in message: {message}");
            assert!(
                trace.iter().all(|c| !c.detail.contains(secret)),
                "secret in trace: {trace:?}"
            );
        }
    }

    fn rejected(request: Value, code: ErrorCode) -> (Verdict, Vec<Check>) {
        let (verdict, trace) = run(request.clone());
        assert_eq!(
            verdict.error,
            Some(code),
            "{request}\n{verdict:?}\n{trace:#?}"
        );
        (verdict, trace)
    }

    fn accepted(request: Value) -> (Verdict, Vec<Check>) {
        let (verdict, trace) = run(request.clone());
        assert_eq!(
            verdict.outcome,
            Outcome::Accepted,
            "{request}\n{verdict:?}\n{trace:#?}"
        );
        (verdict, trace)
    }

    fn jwt(claims: Value, secret: &str) -> String {
        sign_hs256(
            &json!({"alg": "HS256", "typ": "JWT"}),
            &claims,
            secret.as_bytes(),
        )
    }

    fn web_jwt(token: String) -> Value {
        json!({"action": "boot", "platform": "web", "intercom_user_jwt": token})
    }

    fn claims_code(claims: Value) -> Option<ErrorCode> {
        run(web_jwt(jwt(claims, K_WEB))).0.error
    }

    fn trace_of<'a>(trace: &'a [Check], requirement: &str) -> &'a Check {
        trace
            .iter()
            .find(|c| c.requirement == requirement)
            .unwrap_or_else(|| panic!("no {requirement} in {trace:#?}"))
    }

    // --- rule 1 ---

    #[test]
    fn rule_1_rejects_bad_shapes() {
        let base = json!({"action": "boot", "platform": "android", "user_id": "u-1"});
        let mutations: Vec<(&str, Value)> = vec![
            ("platform", json!("windows")),
            ("platform", json!("Web")),
            ("platform", json!(null)),
            ("platform", json!(1)),
            ("action", json!("login")),
            ("action", json!("")),
            ("action", json!(null)),
            ("action", json!(["boot"])),
            ("user_id", json!(123)),
            ("user_id", json!("")),
            ("email", json!("")),
            ("email", json!(false)),
            ("user_hash", json!(42)),
            ("intercom_user_jwt", json!({"token": "x"})),
            ("attributes", json!(["plan"])),
            ("attributes", json!("plan=pro")),
        ];
        for (field, value) in mutations {
            let mut request = base.clone();
            request[field] = value.clone();
            let (verdict, _) = rejected(request, ErrorCode::InvalidRequest);
            assert!(
                verdict.message.unwrap().contains("rule 1"),
                "{field}={value}"
            );
        }
        for request in [
            json!(null),
            json!([]),
            json!("boot"),
            json!({"platform": "web"}),
        ] {
            rejected(request, ErrorCode::InvalidRequest);
        }
    }

    #[test]
    fn rule_1_null_means_absent_and_unknown_fields_are_ignored() {
        let (verdict, trace) = accepted(json!({
            "action": "update", "platform": "android", "user_id": null, "email": null,
            "user_hash": null, "intercom_user_jwt": null, "attributes": null, "utm_source": "ad"
        }));
        assert_eq!(verdict.identity, None);
        assert!(trace_of(&trace, req::REQ_SHAPE)
            .detail
            .contains("utm_source"));
    }

    #[test]
    fn rule_1_reserved_attribute_names() {
        for name in RESERVED_ATTRIBUTES {
            let token = jwt(json!({"user_id": "u-1"}), K_WEB);
            let request = json!({"action": "boot", "platform": "web", "intercom_user_jwt": token, "attributes": {name: "x"}});
            let (_, trace) = rejected(request, ErrorCode::InvalidRequest);
            assert_eq!(
                trace.last().unwrap().requirement,
                req::REQ_RESERVED_ATTRIBUTES
            );
        }
        // Exact bytes: `Email` and `user_id ` are ordinary names.
        accepted(
            json!({"action": "boot", "platform": "android", "attributes": {"Email": 1, "user_id ": 2}}),
        );
    }

    #[test]
    fn rule_1_a_platform_the_workspace_does_not_configure_is_unknown() {
        let request = json!({"action": "boot", "platform": "ios"});
        let (verdict, _) = run_with(
            |w| drop(w["platforms"].as_object_mut().unwrap().remove("ios")),
            request,
        );
        assert_eq!(verdict.error, Some(ErrorCode::InvalidRequest));
    }

    #[test]
    fn boot_and_update_get_the_same_verdict() {
        let token = jwt(json!({"user_id": "u-1", "plan": "pro"}), K_WEB);
        let boot = run(json!({"action": "boot", "platform": "web", "intercom_user_jwt": token})).0;
        let update =
            run(json!({"action": "update", "platform": "web", "intercom_user_jwt": token})).0;
        assert_eq!(
            (boot.outcome, boot.identity, boot.attributes),
            (update.outcome, update.identity, update.attributes)
        );
    }

    // --- rule 2.1 to 2.3 ---

    #[test]
    fn rule_2_1_jwt_not_enabled_even_beside_a_valid_hash() {
        let token = jwt(json!({"user_id": "u-1"}), K_IOS);
        let request = json!({"action": "boot", "platform": "ios", "user_id": "u-1",
                             "user_hash": user_hash(IDV_IOS, "u-1"), "intercom_user_jwt": token});
        rejected(request, ErrorCode::JwtNotEnabled);
        // The empty string is a present token.
        rejected(
            json!({"action": "boot", "platform": "ios", "intercom_user_jwt": ""}),
            ErrorCode::JwtNotEnabled,
        );
        rejected(web_jwt(String::new()), ErrorCode::JwtMalformed);
    }

    #[test]
    fn rule_2_2_and_2_3_end_to_end() {
        let good = jwt(json!({"user_id": "u-1"}), K_WEB);
        rejected(web_jwt(format!("{good}=")), ErrorCode::JwtMalformed);
        rejected(web_jwt(format!(" {good}")), ErrorCode::JwtMalformed);
        let dup = sign_raw(
            br#"{"alg":"HS256"}"#,
            br#"{"user_id":"victim","user_id":"u-1"}"#,
            K_WEB.as_bytes(),
        );
        let (_, trace) = rejected(web_jwt(dup), ErrorCode::JwtMalformed);
        assert_eq!(
            trace.last().unwrap().requirement,
            req::JWT_DUPLICATE_MEMBERS
        );
        let array = sign_raw(br#"{"alg":"HS256"}"#, br#"["u-1"]"#, K_WEB.as_bytes());
        let (_, trace) = rejected(web_jwt(array), ErrorCode::JwtMalformed);
        assert_eq!(trace.last().unwrap().requirement, req::JWT_JSON_OBJECT);
        let ab = format!(
            "{}.AB.{}",
            b64url_encode(br#"{"alg":"HS256"}"#),
            b64url_encode([0u8; 32])
        );
        let (_, trace) = rejected(web_jwt(ab), ErrorCode::JwtMalformed);
        assert_eq!(
            trace.last().unwrap().requirement,
            req::JWT_BASE64URL_CANONICAL
        );
        for alg in ["none", "None", "nOnE", "hs256", "HS384", "HS512", "RS256"] {
            let token = sign_hs256(
                &json!({"alg": alg}),
                &json!({"user_id": "u-1"}),
                K_WEB.as_bytes(),
            );
            rejected(web_jwt(token), ErrorCode::JwtAlgorithmNotAllowed);
        }
        let unsigned = format!(
            "{}.{}.",
            b64url_encode(br#"{"alg":"none"}"#),
            b64url_encode(br#"{"user_id":"u-1"}"#)
        );
        rejected(web_jwt(unsigned), ErrorCode::JwtAlgorithmNotAllowed);
        let crit = sign_hs256(
            &json!({"alg": "HS256", "crit": ["b64"], "b64": false}),
            &json!({"user_id": "u-1"}),
            K_WEB.as_bytes(),
        );
        let (_, trace) = rejected(web_jwt(crit), ErrorCode::JwtMalformed);
        assert_eq!(trace.last().unwrap().requirement, req::JWT_CRIT);
        assert!(trace_of(&trace, req::JWT_ALG).holds);
    }

    // --- rule 2.4 ---

    #[test]
    fn rule_2_4_signature_and_key_scope() {
        let (verdict, trace) = accepted(web_jwt(jwt(json!({"user_id": "u-1"}), K_WEB)));
        assert!(verdict.verified);
        assert_eq!(
            trace_of(&trace, req::JWT_SIGNATURE).detail,
            "signature verifies under key `k-web` (platforms: web)"
        );
        rejected(
            web_jwt(jwt(json!({"user_id": "u-1"}), "some-other-secret")),
            ErrorCode::JwtSignatureInvalid,
        );
        // Signed with the ios key, sent from web.
        let (_, trace) = rejected(
            web_jwt(jwt(json!({"user_id": "u-1"}), K_IOS)),
            ErrorCode::JwtSignatureInvalid,
        );
        let scope = trace_of(&trace, req::KEY_PLATFORM_SCOPE);
        assert!(!scope.holds);
        assert!(
            scope.detail.contains("`k-ios` (platforms: ios)"),
            "{}",
            scope.detail
        );
        // The IDV secret is no JWT key.
        rejected(
            web_jwt(jwt(json!({"user_id": "u-1"}), IDV_WEB)),
            ErrorCode::JwtSignatureInvalid,
        );
    }

    #[test]
    fn rule_2_4_rotation_multi_platform_and_empty_keys() {
        let two_keys = |w: &mut Value| {
            w["jwt_keys"] = json!([
                {"id": "k-new", "secret": "jwt-new-secret-0006", "platforms": ["web"]},
                {"id": "k-old", "secret": "jwt-old-secret-0007", "platforms": ["web", "ios"]},
                {"id": "k-empty", "secret": "", "platforms": ["web"]},
                {"id": "k-nowhere", "secret": "jwt-nowhere-0008", "platforms": []}
            ]);
        };
        for secret in ["jwt-new-secret-0006", "jwt-old-secret-0007"] {
            let (v, _) = run_with(two_keys, web_jwt(jwt(json!({"user_id": "u-1"}), secret)));
            assert_eq!(v.outcome, Outcome::Accepted, "{secret}");
        }
        // The multi-platform key verifies on ios too (ios has JWT disabled: enable it).
        let (v, _) = run_with(
            |w| {
                two_keys(w);
                w["platforms"]["ios"]["jwt"]["enabled"] = json!(true);
            },
            json!({"action": "boot", "platform": "ios", "intercom_user_jwt": jwt(json!({"user_id": "u-1"}), "jwt-old-secret-0007")}),
        );
        assert_eq!(v.outcome, Outcome::Accepted);
        // A key with no platforms verifies nowhere; an empty secret never verifies.
        let (v, _) = run_with(
            two_keys,
            web_jwt(jwt(json!({"user_id": "u-1"}), "jwt-nowhere-0008")),
        );
        assert_eq!(v.error, Some(ErrorCode::JwtSignatureInvalid));
        let (v, trace) = run_with(two_keys, web_jwt(jwt(json!({"user_id": "u-1"}), "")));
        assert_eq!(v.error, Some(ErrorCode::JwtSignatureInvalid));
        assert!(!trace_of(&trace, req::KEY_EMPTY_SECRET).holds);
        // Rotated out: the old key is gone from the list.
        let (v, trace) = run_with(
            |w| {
                w["jwt_keys"] =
                    json!([{"id": "k-new", "secret": "jwt-new-secret-0006", "platforms": ["web"]}])
            },
            web_jwt(sign_hs256(
                &json!({"alg": "HS256", "kid": "k-old"}),
                &json!({"user_id": "u-1"}),
                b"jwt-old-secret-0007",
            )),
        );
        assert_eq!(v.error, Some(ErrorCode::JwtSignatureInvalid));
        assert!(!trace_of(&trace, req::KEY_ROTATION).holds);
    }

    #[test]
    fn rule_2_4_header_parameters_never_select_keys() {
        let attacker = b"attacker-chosen-secret";
        let claims = json!({"user_id": "u-1"});
        let jwk = json!({"kty": "oct", "k": b64url_encode(attacker)});
        for header in [
            json!({"alg": "HS256", "jwk": jwk}),
            json!({"alg": "HS256", "jku": "https://attacker.example/jwks.json"}),
            json!({"alg": "HS256", "x5u": "https://attacker.example/cert.pem"}),
            json!({"alg": "HS256", "x5c": ["MIIB..."]}),
            json!({"alg": "HS256", "kid": "../../../../dev/null"}),
            json!({"alg": "HS256", "kid": "' OR '1'='1"}),
            json!({"alg": "HS256", "kid": "k-ios"}),
        ] {
            let (_, trace) = rejected(
                web_jwt(sign_hs256(&header, &claims, attacker)),
                ErrorCode::JwtSignatureInvalid,
            );
            assert!(trace_of(&trace, req::KEY_HEADER_INJECTION).holds);
        }
        // The empty key named by path traversal (`/dev/null` reads as empty) never verifies.
        rejected(
            web_jwt(sign_hs256(
                &json!({"alg": "HS256", "kid": "../../../../dev/null"}),
                &claims,
                b"",
            )),
            ErrorCode::JwtSignatureInvalid,
        );
        // A kid naming nothing, or another platform's key, does not break a correctly signed token.
        for kid in ["../../etc/passwd", "k-ios", "k-gone"] {
            accepted(web_jwt(sign_hs256(
                &json!({"alg": "HS256", "kid": kid}),
                &claims,
                K_WEB.as_bytes(),
            )));
        }
    }

    #[test]
    fn rule_2_4_kid_naming_another_platform_key_is_tried_anyway() {
        let (v, trace) = run_with(
            |w| {
                w["jwt_keys"].as_array_mut().unwrap().push(json!({"id": "k-web-2", "secret": "jwt-web2-secret-0009", "platforms": ["web"]}))
            },
            web_jwt(sign_hs256(
                &json!({"alg": "HS256", "kid": "k-web"}),
                &json!({"user_id": "u-1"}),
                b"jwt-web2-secret-0009",
            )),
        );
        assert_eq!(v.outcome, Outcome::Accepted);
        assert!(trace_of(&trace, req::KEY_KID_CHOICE)
            .detail
            .contains("`k-web-2` signed"));
    }

    // --- rule 2.5 ---

    #[test]
    fn rule_2_5_user_id_required() {
        for claims in [
            json!({}),
            json!({"user_id": null}),
            json!({"user_id": ""}),
            json!({"email": "ada@example.com"}),
        ] {
            assert_eq!(
                claims_code(claims.clone()),
                Some(ErrorCode::JwtMissingUserId),
                "{claims}"
            );
        }
        // The request's user_id never stands in for the claim.
        let request = json!({"action": "boot", "platform": "web", "user_id": "u-1", "intercom_user_jwt": jwt(json!({}), K_WEB)});
        rejected(request, ErrorCode::JwtMissingUserId);
        assert_eq!(
            claims_code(json!({"user_id": " "})),
            None,
            "spaces are not empty"
        );
    }

    #[test]
    fn rule_2_5_claim_types() {
        for claims in [
            json!({"user_id": 123}),
            json!({"user_id": true}),
            json!({"user_id": {"id": "u-1"}}),
            json!({"user_id": "u-1", "email": null}),
            json!({"user_id": "u-1", "email": 5}),
            json!({"user_id": "u-1", "exp": "1767229200"}),
            json!({"user_id": "u-1", "exp": true}),
            json!({"user_id": "u-1", "exp": null}),
            json!({"user_id": "u-1", "exp": [1767229200]}),
            json!({"user_id": "u-1", "nbf": "1767225600"}),
            json!({"user_id": "u-1", "nbf": null}),
        ] {
            assert_eq!(
                claims_code(claims.clone()),
                Some(ErrorCode::JwtClaimsInvalid),
                "{claims}"
            );
        }
        for payload in [
            r#"{"user_id":"u-1","exp":1e400}"#,
            r#"{"user_id":"u-1","exp":-1e400}"#,
            r#"{"user_id":"u-1","nbf":1e400}"#,
            r#"{"user_id":1e400}"#,
            r#"{"user_id":"u-1","score":1e400}"#,
            r#"{"user_id":"u-1","stats":{"n":[1e999]}}"#,
        ] {
            let token = sign_raw(br#"{"alg":"HS256"}"#, payload.as_bytes(), K_WEB.as_bytes());
            let (_, trace) = rejected(web_jwt(token), ErrorCode::JwtClaimsInvalid);
            assert!(
                trace.last().unwrap().detail.contains("overflows"),
                "{payload}: {trace:#?}"
            );
        }
        // Unchecked: iat of any kind, iss/aud/sub/jti, an empty email string is a string.
        for payload in [
            r#"{"user_id":"u-1","iat":1e400}"#,
            r#"{"user_id":"u-1","iat":"yesterday","iss":5,"aud":["x"],"sub":null,"jti":{}}"#,
        ] {
            let token = sign_raw(br#"{"alg":"HS256"}"#, payload.as_bytes(), K_WEB.as_bytes());
            let (v, _) = accepted(web_jwt(token));
            assert!(
                v.attributes.applied.is_empty(),
                "registered claims are not attributes"
            );
        }
        assert_eq!(
            claims_code(json!({"user_id": "u-1", "exp": 1767229200.5, "nbf": 0})),
            None
        );
    }

    // --- rules 2.6 and 2.7 ---

    fn time_code(claims: Value, leeway: i64) -> Option<ErrorCode> {
        run_with(
            |w| w["jwt_leeway_seconds"] = json!(leeway),
            web_jwt(jwt(claims, K_WEB)),
        )
        .0
        .error
    }

    #[test]
    fn rule_2_6_expiry_boundaries() {
        let now = NOW;
        let exp = |e: Value, l| time_code(json!({"user_id": "u-1", "exp": e}), l);
        assert_eq!(exp(json!(now), 0), Some(ErrorCode::JwtExpired));
        assert_eq!(exp(json!(now + 1), 0), None);
        assert_eq!(exp(json!(now - 1), 0), Some(ErrorCode::JwtExpired));
        assert_eq!(exp(json!(now as f64 + 0.5), 0), None);
        assert_eq!(exp(json!(now as f64 - 0.5), 0), Some(ErrorCode::JwtExpired));
        assert_eq!(exp(json!(now - 29), 30), None);
        assert_eq!(exp(json!(now - 30), 30), Some(ErrorCode::JwtExpired));
        assert_eq!(exp(json!(now - 31), 30), Some(ErrorCode::JwtExpired));
        assert_eq!(exp(json!(1e300), 0), None);
        assert_eq!(exp(json!(0), 0), Some(ErrorCode::JwtExpired));
        assert_eq!(exp(json!(-5), 0), Some(ErrorCode::JwtExpired));
        assert_eq!(
            exp(json!(u64::MAX), i64::MAX),
            None,
            "no overflow in exp + leeway"
        );
        assert_eq!(
            exp(json!(1.7672256e9), 0),
            Some(ErrorCode::JwtExpired),
            "an exponent is a number"
        );
        assert_eq!(
            time_code(json!({"user_id": "u-1"}), 0),
            None,
            "exp is optional"
        );
    }

    #[test]
    fn rule_2_6_says_why_in_words() {
        let (_, trace) = rejected(
            web_jwt(jwt(json!({"user_id": "u-1", "exp": NOW}), K_WEB)),
            ErrorCode::JwtExpired,
        );
        assert_eq!(
            trace.last().unwrap().detail,
            "exp 1767225600 is 0 s before now 1767225600: expired at the very second of exp"
        );
        let (_, trace) = accepted(web_jwt(jwt(
            json!({"user_id": "u-1", "exp": NOW + 3600}),
            K_WEB,
        )));
        assert_eq!(
            trace_of(&trace, req::JWT_EXP).detail,
            "exp 1767229200 is 3600 s after now 1767225600: not expired"
        );
        let (v, trace) = run_with(
            |w| w["jwt_leeway_seconds"] = json!(30),
            web_jwt(jwt(json!({"user_id": "u-1", "exp": NOW - 30}), K_WEB)),
        );
        assert_eq!(v.error, Some(ErrorCode::JwtExpired));
        assert_eq!(
            trace.last().unwrap().detail,
            "exp 1767225570 is 30 s before now 1767225600 with a leeway of 30 s: expired at the very second of exp + leeway"
        );
        assert!(trace_of(&trace, req::JWT_LEEWAY).holds);
    }

    #[test]
    fn rule_2_7_not_before_boundaries() {
        let now = NOW;
        let nbf = |n: Value, l| time_code(json!({"user_id": "u-1", "nbf": n}), l);
        assert_eq!(nbf(json!(now), 0), None);
        assert_eq!(nbf(json!(now + 1), 0), Some(ErrorCode::JwtNotYetValid));
        assert_eq!(
            nbf(json!(now as f64 + 0.5), 0),
            Some(ErrorCode::JwtNotYetValid)
        );
        assert_eq!(nbf(json!(now - 1), 0), None);
        assert_eq!(nbf(json!(now + 30), 30), None);
        assert_eq!(nbf(json!(now + 31), 30), Some(ErrorCode::JwtNotYetValid));
        assert_eq!(nbf(json!(1e300), 0), Some(ErrorCode::JwtNotYetValid));
        // iat is not checked, even in the future.
        assert_eq!(
            time_code(json!({"user_id": "u-1", "iat": now + 3600}), 0),
            None
        );
        // Expired and not yet valid: rule 2.6 comes first.
        assert_eq!(
            time_code(json!({"user_id": "u-1", "exp": now, "nbf": now + 10}), 0),
            Some(ErrorCode::JwtExpired)
        );
    }

    // --- rule 2.8 ---

    #[test]
    fn rule_2_8_identity_must_match() {
        let token = jwt(json!({"user_id": "u-1", "email": "ada@example.com"}), K_WEB);
        let with = |fields: Value| {
            let mut request = web_jwt(token.clone());
            request
                .as_object_mut()
                .unwrap()
                .extend(fields.as_object().unwrap().clone());
            run(request).0.error
        };
        assert_eq!(
            with(json!({"user_id": "u-2"})),
            Some(ErrorCode::JwtIdentityMismatch)
        );
        assert_eq!(
            with(json!({"user_id": "U-1"})),
            Some(ErrorCode::JwtIdentityMismatch)
        );
        assert_eq!(
            with(json!({"user_id": "u-1 "})),
            Some(ErrorCode::JwtIdentityMismatch)
        );
        assert_eq!(
            with(json!({"email": "Ada@example.com"})),
            Some(ErrorCode::JwtIdentityMismatch)
        );
        assert_eq!(
            with(json!({"user_id": "u-1", "email": "ada@example.com"})),
            None
        );
        assert_eq!(with(json!({})), None);
        // NFC and NFD spellings are different users.
        let nfc = jwt(json!({"user_id": "jos\u{e9}"}), K_WEB);
        let request = json!({"action": "boot", "platform": "web", "user_id": "jose\u{301}", "intercom_user_jwt": nfc});
        rejected(request, ErrorCode::JwtIdentityMismatch);
    }

    // --- rule 2.9 ---

    #[test]
    fn rule_2_9_identity_and_attributes() {
        let token = jwt(
            json!({"user_id": "u-1", "plan": "pro", "name": "Ada", "exp": NOW + 60, "iat": NOW, "sub": "x"}),
            K_WEB,
        );
        let request = json!({"action": "boot", "platform": "web", "intercom_user_jwt": token,
            "user_hash": "not even hex", "email": "ada@example.com",
            "attributes": {"plan": "free", "name": "Eve", "company": "ACME", "exp": 1}});
        let (v, trace) = accepted(request);
        assert!(v.verified);
        // The claims carry no email and `email` is locked: the request's is dropped.
        assert_eq!(
            v.identity,
            Some(Identity {
                user_id: Some("u-1".into()),
                email: None
            })
        );
        assert_eq!(
            Value::Object(v.attributes.applied),
            json!({"plan": "pro", "name": "Ada", "company": "ACME", "exp": 1})
        );
        assert_eq!(
            v.attributes.dropped,
            [
                ("email".to_string(), DropReason::LockedAttribute),
                ("name".to_string(), DropReason::OverriddenByJwt),
                ("plan".to_string(), DropReason::OverriddenByJwt),
            ]
            .into()
        );
        assert!(trace_of(&trace, req::JWT_USER_HASH_IGNORED).holds);
        assert!(trace_of(&trace, req::ATTR_REGISTERED_CLAIMS)
            .detail
            .contains("exp, iat, sub"));
    }

    #[test]
    fn rule_2_9_email_from_claim_or_unlocked_request() {
        let claim_email = jwt(json!({"user_id": "u-1", "email": "ada@example.com"}), K_WEB);
        let (v, _) = accepted(web_jwt(claim_email));
        assert_eq!(
            v.identity.unwrap().email.as_deref(),
            Some("ada@example.com")
        );
        assert!(v.attributes.dropped.is_empty());
        let (v, _) = run_with(
            |w| w["locked_attributes"] = json!(["plan"]),
            json!({"action": "boot", "platform": "web", "email": "ada@example.com", "intercom_user_jwt": jwt(json!({"user_id": "u-1"}), K_WEB)}),
        );
        assert_eq!(
            v.identity.unwrap().email.as_deref(),
            Some("ada@example.com")
        );
        assert!(v.attributes.dropped.is_empty());
    }

    #[test]
    fn rule_2_9_a_valid_jwt_ignores_a_valid_or_invalid_hash_alike() {
        for hash in [user_hash(IDV_WEB, "u-1"), "wrong".into(), String::new()] {
            let request = json!({"action": "boot", "platform": "web", "user_id": "u-1", "user_hash": hash,
                                 "intercom_user_jwt": jwt(json!({"user_id": "u-1"}), K_WEB)});
            assert!(accepted(request).0.verified);
        }
        // And a failing token is not rescued by a valid hash.
        let request = json!({"action": "boot", "platform": "web", "user_id": "u-1", "user_hash": user_hash(IDV_WEB, "u-1"),
                             "intercom_user_jwt": jwt(json!({"user_id": "u-1"}), "wrong-key")});
        rejected(request, ErrorCode::JwtSignatureInvalid);
    }

    // --- rule 3 ---

    fn idv(platform: &str, fields: Value) -> Value {
        let mut request = json!({"action": "boot", "platform": platform});
        request
            .as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        request
    }

    fn web_idv() -> impl FnOnce(&mut Value) {
        |w: &mut Value| w["platforms"]["web"]["jwt"]["enabled"] = json!(false)
    }

    #[test]
    fn rule_3_1_jwt_required_where_enabled() {
        let (_, trace) = rejected(
            idv(
                "web",
                json!({"user_id": "u-1", "user_hash": user_hash(IDV_WEB, "u-1")}),
            ),
            ErrorCode::JwtRequired,
        );
        assert!(trace.last().unwrap().detail.contains("no substitute"));
        rejected(
            idv("web", json!({"email": "ada@example.com"})),
            ErrorCode::JwtRequired,
        );
    }

    #[test]
    fn rule_3_2_and_3_3_enforcement() {
        rejected(
            idv("ios", json!({"user_id": "u-1"})),
            ErrorCode::UserHashRequired,
        );
        rejected(
            idv("ios", json!({"user_id": "u-1", "user_hash": ""})),
            ErrorCode::UserHashMismatch,
        );
        rejected(
            idv(
                "ios",
                json!({"user_id": "u-1", "user_hash": user_hash(IDV_ANDROID, "u-1")}),
            ),
            ErrorCode::UserHashMismatch,
        );
        let (v, _) = accepted(idv(
            "ios",
            json!({"user_id": "u-1", "user_hash": user_hash(IDV_IOS, "u-1")}),
        ));
        assert!(v.verified);
        // Not enforced on android: accepted, verified only with the right hash.
        let (v, _) = accepted(idv("android", json!({"user_id": "u-1"})));
        assert!(!v.verified);
        let (v, _) = accepted(idv(
            "android",
            json!({"user_id": "u-1", "user_hash": "junk"}),
        ));
        assert!(!v.verified);
        let (v, _) = accepted(idv(
            "android",
            json!({"user_id": "u-1", "user_hash": user_hash(IDV_ANDROID, "u-1")}),
        ));
        assert!(v.verified);
    }

    #[test]
    fn rule_3_3_hex_case_per_platform() {
        let upper = user_hash(IDV_IOS, "u-1").to_uppercase();
        let (_, trace) = rejected(
            idv("ios", json!({"user_id": "u-1", "user_hash": upper})),
            ErrorCode::UserHashMismatch,
        );
        assert!(!trace_of(&trace, req::IDV_HEX_CASE).holds);
        let upper = user_hash(IDV_WEB, "u-1").to_uppercase();
        let (v, _) = run_with(
            web_idv(),
            idv("web", json!({"user_id": "u-1", "user_hash": upper})),
        );
        assert!(v.verified);
        let lower = user_hash(IDV_WEB, "u-1");
        let mixed: String = lower
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 3 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect();
        let (v, trace) = run_with(
            web_idv(),
            idv("web", json!({"user_id": "u-1", "user_hash": mixed})),
        );
        assert!(v.verified);
        assert!(trace_of(&trace, req::IDV_HEX_MIXED_CASE).holds);
    }

    #[test]
    fn rule_3_3_precedence_and_secrets() {
        // Over the email when a user_id is sent: a mismatch, and the trace says so.
        let request = idv(
            "ios",
            json!({"user_id": "u-1", "email": "ada@example.com", "user_hash": user_hash(IDV_IOS, "ada@example.com")}),
        );
        let (_, trace) = rejected(request, ErrorCode::UserHashMismatch);
        assert!(!trace_of(&trace, req::IDV_PRECEDENCE).holds);
        // Over the email when it is the only identifier: verified.
        let (v, _) = accepted(idv(
            "ios",
            json!({"email": "ada@example.com", "user_hash": user_hash(IDV_IOS, "ada@example.com")}),
        ));
        assert!(v.verified);
        // Another platform's secret.
        let (_, trace) = rejected(
            idv(
                "ios",
                json!({"user_id": "u-1", "user_hash": user_hash(IDV_WEB, "u-1")}),
            ),
            ErrorCode::UserHashMismatch,
        );
        assert_eq!(
            trace_of(&trace, req::IDV_PLATFORM_SECRET).detail,
            "the user_hash was made with the web identity verification secret; ios has its own secret"
        );
        // Uppercase on mobile and another platform's secret: both are diagnosed.
        let upper_web = user_hash(IDV_WEB, "u-1").to_uppercase();
        let (v, trace) = rejected(
            idv("ios", json!({"user_id": "u-1", "user_hash": upper_web})),
            ErrorCode::UserHashMismatch,
        );
        assert!(!trace_of(&trace, req::IDV_HEX_CASE).holds);
        assert!(!trace_of(&trace, req::IDV_PLATFORM_SECRET).holds);
        assert!(!v.verified);
        assert!(trace_of(&trace, req::IDV_PLATFORM_SECRET)
            .detail
            .contains("made with the web identity verification secret"));
        // A JWT key's secret is no identity verification secret.
        let (_, trace) = rejected(
            idv(
                "ios",
                json!({"user_id": "u-1", "user_hash": user_hash(K_IOS, "u-1")}),
            ),
            ErrorCode::UserHashMismatch,
        );
        assert!(trace_of(&trace, req::IDV_PLATFORM_SECRET)
            .detail
            .contains("the secret of JWT key `k-ios`"));
        // An empty secret matches nothing, not even the HMAC under the empty key.
        let (v, trace) = run_with(
            |w| w["platforms"]["ios"]["identity_verification"]["secret"] = json!(""),
            idv(
                "ios",
                json!({"user_id": "u-1", "user_hash": user_hash("", "u-1")}),
            ),
        );
        assert_eq!(v.error, Some(ErrorCode::UserHashMismatch));
        assert!(!trace_of(&trace, req::IDV_PLATFORM_SECRET).holds);
        // Malformed hashes.
        let good = user_hash(IDV_IOS, "u-1");
        for bad in [
            format!("{good}0"),
            good[..32].to_string(),
            format!(" {good}"),
            format!("0x{good}"),
        ] {
            let (_, trace) = rejected(
                idv("ios", json!({"user_id": "u-1", "user_hash": bad})),
                ErrorCode::UserHashMismatch,
            );
            assert!(!trace_of(&trace, req::IDV_MALFORMED_HASH).holds);
        }
    }

    #[test]
    fn rule_3_identity_and_attributes() {
        let hash = user_hash(IDV_IOS, "u-1");
        let request = idv(
            "ios",
            json!({"user_id": "u-1", "email": "ada@example.com", "user_hash": hash,
                                        "attributes": {"plan": "pro", "name": "Ada"}}),
        );
        let (v, _) = accepted(request);
        assert!(v.verified);
        assert_eq!(
            v.identity,
            Some(Identity {
                user_id: Some("u-1".into()),
                email: None
            })
        );
        assert_eq!(Value::Object(v.attributes.applied), json!({"name": "Ada"}));
        assert_eq!(
            v.attributes.dropped,
            [
                ("email".to_string(), DropReason::LockedAttribute),
                ("plan".to_string(), DropReason::LockedAttribute)
            ]
            .into()
        );
        // Email alone is the identifier: kept even when locked; unverified acceptances alike.
        let (v, _) = accepted(idv("android", json!({"email": "ada@example.com"})));
        assert_eq!(
            v.identity,
            Some(Identity {
                user_id: None,
                email: Some("ada@example.com".into())
            })
        );
        // Email beside a user_id when `email` is not locked: kept as sent.
        let (v, _) = run_with(
            |w| w["locked_attributes"] = json!([]),
            idv(
                "android",
                json!({"user_id": "u-1", "email": "ada@example.com", "attributes": {"plan": "pro"}}),
            ),
        );
        assert_eq!(
            v.identity.unwrap().email.as_deref(),
            Some("ada@example.com")
        );
        assert_eq!(Value::Object(v.attributes.applied), json!({"plan": "pro"}));
    }

    #[test]
    fn identifiers_are_exact_bytes_under_rule_3() {
        let hash = user_hash(IDV_IOS, "jos\u{e9}");
        rejected(
            idv("ios", json!({"user_id": "jose\u{301}", "user_hash": hash})),
            ErrorCode::UserHashMismatch,
        );
        let hash = user_hash(IDV_IOS, "ada@example.com");
        for other in ["Ada@example.com", "ada@example.com ", " ada@example.com"] {
            rejected(
                idv("ios", json!({"email": other, "user_hash": hash})),
                ErrorCode::UserHashMismatch,
            );
        }
    }

    // --- rules 4 and 5 ---

    #[test]
    fn rule_4_hash_without_identifier() {
        for platform in ["web", "ios", "android"] {
            rejected(
                idv(platform, json!({"user_hash": user_hash(IDV_IOS, "u-1")})),
                ErrorCode::MissingIdentifier,
            );
            rejected(
                idv(platform, json!({"user_hash": ""})),
                ErrorCode::MissingIdentifier,
            );
        }
    }

    #[test]
    fn rule_5_visitors() {
        for platform in ["web", "ios", "android"] {
            let (v, trace) = accepted(idv(
                platform,
                json!({"attributes": {"plan": "pro", "utm": "ad"}}),
            ));
            assert_eq!((v.verified, v.identity.clone()), (false, None));
            assert_eq!(Value::Object(v.attributes.applied), json!({"utm": "ad"}));
            assert_eq!(
                v.attributes.dropped,
                [("plan".to_string(), DropReason::LockedAttribute)].into()
            );
            assert!(trace_of(&trace, req::VISITOR_ANONYMOUS).holds);
        }
    }

    #[test]
    fn messages_say_the_rule_and_the_code() {
        let (v, _) = rejected(
            web_jwt(jwt(json!({"user_id": "u-1", "exp": NOW}), K_WEB)),
            ErrorCode::JwtExpired,
        );
        assert_eq!(
            v.message.as_deref(),
            Some("rejected (rule 2.6, jwt_expired): exp 1767225600 is 0 s before now 1767225600: expired at the very second of exp")
        );
        let (v, _) = accepted(web_jwt(jwt(json!({"user_id": "u-1"}), K_WEB)));
        assert!(v
            .message
            .unwrap()
            .starts_with("accepted (rule 2.9): verified by a JWT signed with key `k-web`"));
    }

    #[test]
    fn numeric_dates_compare_exactly() {
        assert!(NumericDate::Float(4.2).at_or_before(5));
        assert!(NumericDate::Float(5.0).at_or_before(5));
        assert!(!NumericDate::Float(5.5).at_or_before(5));
        assert!(NumericDate::Float(-0.5).at_or_before(0));
        assert!(!NumericDate::Float(1e300).at_or_before(i128::MAX - 1));
        assert!(NumericDate::Float(-1e300).at_or_before(i128::MIN + 1));
        assert!(NumericDate::Int(5).at_or_before(5));
        assert!(!NumericDate::Int(6).at_or_before(5));
    }
}
