//! A toy Messenger backend: the verifier a chat vendor runs (is this request from the user it
//! claims?) and the signer a customer's backend runs (the `user_hash` or user JWT for its
//! front end), on the `jsonwebtoken` crate, `hmac` + `sha2` for the user_hash.
//!
//! It knows nothing of the conformance harness: `tests/conformance.rs` implements the harness's
//! typed `Verifier` and `Signer` traits over [`Verifier::decide`], [`user_hash`] and
//! [`user_jwt`], and runs the whole suite as cargo tests.
//!
//! The JWT checks are jsonwebtoken's `decode` with a `Validation` set to the profile, plus what
//! the library leaves out (the token's form before any key is tried, `alg` exactly `HS256`,
//! `crit` refused, claim types, `exp`/`nbf` at the injected instant). Its known deviations, each
//! with the library behaviour behind it, are listed in `baseline.yaml`.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::de::IgnoredAny;
use serde_json::{Map, Value};
use sha2::Sha256;

/// Attribute and claim values.
pub type Object = Map<String, Value>;

const RESERVED_ATTRIBUTES: [&str; 4] = ["user_id", "email", "user_hash", "intercom_user_jwt"];
const REGISTERED_CLAIMS: [&str; 7] = ["exp", "nbf", "iat", "iss", "aud", "sub", "jti"];

/// One platform's security settings.
#[derive(Debug, Clone, Default)]
pub struct PlatformSettings {
    /// The identity verification secret.
    pub secret: String,
    /// Whether a logged-in user needs a valid user_hash.
    pub enforced: bool,
    /// Whether the platform takes (and then requires) user JWTs.
    pub jwt_enabled: bool,
}

/// A JWT signing key.
#[derive(Debug, Clone)]
pub struct Key {
    /// Its id (`kid`).
    pub id: String,
    /// Its HS256 secret.
    pub secret: String,
    /// The platforms (`web`, `ios`, `android`) it signs for.
    pub platforms: Vec<String>,
}

/// A workspace's settings, as the service stores them.
#[derive(Debug, Clone, Default)]
pub struct Verifier {
    /// Settings by platform name; a platform not here is not configured.
    pub platforms: BTreeMap<String, PlatformSettings>,
    /// The JWT keys.
    pub keys: Vec<Key>,
    /// Attributes only a JWT may change.
    pub locked: Vec<String>,
    /// Seconds of clock skew allowed on `exp` and `nbf`.
    pub leeway: i64,
}

/// A Messenger boot or update, as the service's HTTP layer typed it.
#[derive(Debug, Clone, Default)]
pub struct Boot {
    /// `web`, `ios` or `android`.
    pub platform: String,
    /// The user's id.
    pub user_id: Option<String>,
    /// The user's email.
    pub email: Option<String>,
    /// The identity verification hash.
    pub user_hash: Option<String>,
    /// The user JWT.
    pub jwt: Option<String>,
    /// Attributes to set.
    pub attributes: Object,
}

/// Why an attribute was not applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// Locked: only a JWT may change it.
    Locked,
    /// A JWT claim set it.
    OverriddenByJwt,
}

/// An accepted request.
#[derive(Debug, Clone, Default)]
pub struct Session {
    /// Proven by a user_hash or a JWT.
    pub verified: bool,
    /// The user's id, if a user.
    pub user_id: Option<String>,
    /// The user's email, if known and usable.
    pub email: Option<String>,
    /// Attributes applied.
    pub applied: Object,
    /// Attributes not applied, and why.
    pub dropped: BTreeMap<String, Dropped>,
}

/// Why a request is refused: the service's own error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The request is malformed.
    BadRequest,
    /// A user_hash without a user.
    NoIdentifier,
    /// Identity verification is enforced and no hash came.
    HashRequired,
    /// The hash is wrong.
    HashMismatch,
    /// A JWT on a platform that does not take them.
    JwtOff,
    /// The platform requires a JWT.
    JwtRequired,
    /// Not a JWT.
    JwtMalformed,
    /// Not HS256.
    JwtAlgorithm,
    /// No key verifies it.
    JwtSignature,
    /// A claim of the wrong type.
    JwtClaims,
    /// No `user_id` claim.
    JwtNoUser,
    /// Past `exp`.
    JwtExpired,
    /// Before `nbf`.
    JwtNotYet,
    /// The request claims another user than the token.
    JwtOtherUser,
}

/// A refusal and why, in words.
pub type Rejection = (Refused, String);

fn reject(code: Refused, why: impl Into<String>) -> Rejection {
    (code, why.into())
}

impl Verifier {
    /// Decides one request at `now` (Unix seconds).
    pub fn decide(&self, request: &Boot, now: i64) -> Result<Session, Rejection> {
        // Rule 1: what the HTTP layer's types let through.
        if request.user_id.as_deref() == Some("") || request.email.as_deref() == Some("") {
            return Err(reject(Refused::BadRequest, "an empty user_id or email"));
        }
        if let Some(name) = request
            .attributes
            .keys()
            .find(|n| RESERVED_ATTRIBUTES.contains(&n.as_str()))
        {
            return Err(reject(
                Refused::BadRequest,
                format!("`{name}` is a request field, not an attribute"),
            ));
        }
        let Some(settings) = self.platforms.get(&request.platform) else {
            return Err(reject(
                Refused::BadRequest,
                "the platform is not configured",
            ));
        };
        if let Some(token) = &request.jwt {
            return self.verify_jwt(settings, request, token, now); // rule 2
        }
        if request.user_id.is_none() && request.email.is_none() {
            if request.user_hash.is_some() {
                return Err(reject(Refused::NoIdentifier, "a user_hash with no user"));
                // rule 4
            }
            let (applied, dropped) = self.request_attributes(&request.attributes, &[]);
            return Ok(Session {
                applied,
                dropped,
                ..Session::default()
            }); // rule 5: a visitor
        }
        // Rule 3: a logged-in user without a JWT.
        if settings.jwt_enabled {
            return Err(reject(
                Refused::JwtRequired,
                "JWT is enabled on the platform",
            ));
        }
        let identifier = request.user_id.as_deref().or(request.email.as_deref());
        let verified = match &request.user_hash {
            None if settings.enforced => {
                return Err(reject(
                    Refused::HashRequired,
                    "identity verification is enforced",
                ))
            }
            None => false,
            Some(given) => {
                let ok = hash_matches(
                    &request.platform,
                    &settings.secret,
                    identifier.unwrap_or_default(),
                    given,
                );
                if !ok && settings.enforced {
                    return Err(reject(
                        Refused::HashMismatch,
                        "the user_hash does not match",
                    ));
                }
                ok
            }
        };
        let (applied, mut dropped) = self.request_attributes(&request.attributes, &[]);
        let mut email = request.email.clone();
        if request.user_id.is_some() && email.is_some() && self.is_locked("email") {
            email = None; // unsigned data beside the user_id: a locked email is not taken
            dropped.insert("email".into(), Dropped::Locked);
        }
        Ok(Session {
            verified,
            user_id: request.user_id.clone(),
            email,
            applied,
            dropped,
        })
    }

    fn is_locked(&self, name: &str) -> bool {
        self.locked.iter().any(|l| l == name)
    }

    /// Request attributes: a claim's value wins; locked ones need a JWT.
    fn request_attributes(
        &self,
        sent: &Object,
        set_by_claims: &[String],
    ) -> (Object, BTreeMap<String, Dropped>) {
        let (mut applied, mut dropped) = (Object::new(), BTreeMap::new());
        for (name, value) in sent {
            if set_by_claims.contains(name) {
                dropped.insert(name.clone(), Dropped::OverriddenByJwt);
            } else if self.is_locked(name) {
                dropped.insert(name.clone(), Dropped::Locked);
            } else {
                applied.insert(name.clone(), value.clone());
            }
        }
        (applied, dropped)
    }

    /// Rule 2: a JWT is present.
    fn verify_jwt(
        &self,
        settings: &PlatformSettings,
        request: &Boot,
        token: &str,
        now: i64,
    ) -> Result<Session, Rejection> {
        if !settings.jwt_enabled {
            return Err(reject(
                Refused::JwtOff,
                "JWT is not enabled on the platform",
            ));
        }
        // The form and `alg` before any key: jsonwebtoken checks the signature first, and turns
        // an unknown `alg` into a JSON error.
        let header = decode_form(token)?;
        if header.get("alg") != Some(&Value::from("HS256")) {
            return Err(reject(Refused::JwtAlgorithm, "alg is not exactly HS256"));
        }
        if header.contains_key("crit") {
            return Err(reject(
                Refused::JwtMalformed,
                "a `crit` header: no extension is understood",
            ));
        }
        // jsonwebtoken reads the real clock: its time checks are off, `exp`/`nbf` are checked
        // below at `now`. No required claims, no audience.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        let platform_keys = self
            .keys
            .iter()
            .filter(|k| !k.secret.is_empty() && k.platforms.contains(&request.platform));
        let mut claims = None;
        for key in platform_keys {
            let secret = DecodingKey::from_secret(key.secret.as_bytes());
            match decode::<Object>(token, &secret, &validation) {
                Ok(data) => {
                    claims = Some(data.claims);
                    break;
                }
                Err(error) if matches!(error.kind(), ErrorKind::InvalidSignature) => continue,
                Err(error) => return Err(reject(library_code(error.kind()), error.to_string())),
            }
        }
        let Some(claims) = claims else {
            return Err(reject(
                Refused::JwtSignature,
                "no key of the platform verifies it",
            ));
        };

        let user_id = match claims.get("user_id") {
            None | Some(Value::Null) => return Err(reject(Refused::JwtNoUser, "no user_id claim")),
            Some(Value::String(s)) if s.is_empty() => {
                return Err(reject(Refused::JwtNoUser, "an empty user_id claim"))
            }
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(reject(Refused::JwtClaims, "`user_id` is not a string")),
        };
        let claim_email = match claims.get("email") {
            None => None,
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(_) => return Err(reject(Refused::JwtClaims, "`email` is not a string")),
        };
        for name in ["exp", "nbf"] {
            if claims.get(name).is_some_and(|v| !v.is_number()) {
                return Err(reject(
                    Refused::JwtClaims,
                    format!("`{name}` is not a number"),
                ));
            }
        }
        let number = |name: &str| claims.get(name).and_then(Value::as_f64);
        let leeway = self.leeway as f64;
        if number("exp").is_some_and(|exp| now as f64 >= exp + leeway) {
            return Err(reject(Refused::JwtExpired, "expired"));
        }
        if number("nbf").is_some_and(|nbf| now as f64 + leeway < nbf) {
            return Err(reject(Refused::JwtNotYet, "not yet valid"));
        }
        if request
            .user_id
            .as_ref()
            .is_some_and(|sent| *sent != user_id)
        {
            return Err(reject(
                Refused::JwtOtherUser,
                "the request's user_id is not the token's",
            ));
        }
        if let (Some(sent), Some(claimed)) = (&request.email, &claim_email) {
            if sent != claimed {
                return Err(reject(
                    Refused::JwtOtherUser,
                    "the request's email is not the token's",
                ));
            }
        }

        // Identity from the claims; every other non-registered claim is an attribute.
        let from_claims: Vec<String> = claims
            .keys()
            .filter(|n| !matches!(n.as_str(), "user_id" | "email"))
            .filter(|n| !REGISTERED_CLAIMS.contains(&n.as_str()))
            .cloned()
            .collect();
        let mut applied: Object = from_claims
            .iter()
            .map(|n| (n.clone(), claims[n].clone()))
            .collect();
        let (from_request, mut dropped) =
            self.request_attributes(&request.attributes, &from_claims);
        applied.extend(from_request);
        let mut email = claim_email.clone();
        if let (None, Some(sent)) = (&claim_email, &request.email) {
            if self.is_locked("email") {
                dropped.insert("email".into(), Dropped::Locked);
            } else {
                email = Some(sent.clone());
            }
        }
        Ok(Session {
            verified: true,
            user_id: Some(user_id),
            email,
            applied,
            dropped,
        })
    }
}

/// Three canonical base64url parts, a JSON object header and payload; returns the header.
fn decode_form(token: &str) -> Result<Object, Rejection> {
    let malformed = |why: String| reject(Refused::JwtMalformed, why);
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(malformed(format!("{} parts, not 3", parts.len())));
    }
    let decoded: Vec<Vec<u8>> = parts
        .iter()
        .map(|part| URL_SAFE_NO_PAD.decode(part))
        .collect::<Result<_, _>>()
        .map_err(|e| malformed(format!("not canonical base64url: {e}")))?;
    let header: Object = serde_json::from_slice(&decoded[0])
        .map_err(|e| malformed(format!("the header is not a JSON object: {e}")))?;
    let payload = std::str::from_utf8(&decoded[1])
        .map_err(|e| malformed(format!("the payload is not UTF-8: {e}")))?;
    // The syntax only (`IgnoredAny` converts no number): claim types are checked later.
    serde_json::from_str::<IgnoredAny>(payload)
        .map_err(|e| malformed(format!("the payload is not JSON: {e}")))?;
    if !payload.trim_start().starts_with('{') {
        return Err(malformed("the payload is not a JSON object".into()));
    }
    Ok(header)
}

fn library_code(kind: &ErrorKind) -> Refused {
    match kind {
        ErrorKind::InvalidAlgorithm
        | ErrorKind::InvalidAlgorithmName
        | ErrorKind::MissingAlgorithm => Refused::JwtAlgorithm,
        ErrorKind::InvalidClaimFormat(_) => Refused::JwtClaims,
        ErrorKind::ExpiredSignature => Refused::JwtExpired,
        ErrorKind::ImmatureSignature => Refused::JwtNotYet,
        _ => Refused::JwtMalformed,
    }
}

/// Hex HMAC-SHA256(secret, identifier) compared in constant time; either hex case on web,
/// lowercase only on mobile; an empty secret never verifies.
fn hash_matches(platform: &str, secret: &str, identifier: &str, given: &str) -> bool {
    let digit = |c: char| {
        c.is_ascii_digit()
            || ('a'..='f').contains(&c)
            || (platform == "web" && ('A'..='F').contains(&c))
    };
    if secret.is_empty() || given.len() != 64 || !given.chars().all(digit) {
        return false;
    }
    let tag: Vec<u8> = (0..64)
        .step_by(2)
        .map(|i| u8::from_str_radix(&given[i..i + 2], 16).expect("hex digits"))
        .collect();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(identifier.as_bytes());
    mac.verify_slice(&tag).is_ok()
}

/// The user_hash of a user: lowercase hex HMAC-SHA256 over the `user_id`, else the `email`.
pub fn user_hash(
    secret: &str,
    user_id: Option<&str>,
    email: Option<&str>,
) -> Result<String, String> {
    if secret.is_empty() {
        return Err("the secret is empty: no verifier accepts what it signs".into());
    }
    if user_id == Some("") || email == Some("") {
        return Err("an empty user_id or email: verifiers reject those".into());
    }
    let identifier = user_id
        .or(email)
        .ok_or("a user_hash needs a user_id or an email")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(identifier.as_bytes());
    Ok(mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// What a user JWT says.
#[derive(Debug, Clone, Default)]
pub struct TokenFor {
    /// The `user_id` claim (required).
    pub user_id: Option<String>,
    /// The `email` claim.
    pub email: Option<String>,
    /// Attributes, as top-level claims.
    pub attributes: Object,
    /// `exp = now + expires_in`, when given.
    pub expires_in: Option<i64>,
    /// The `kid` header.
    pub key_id: Option<String>,
}

/// The user JWT: HS256 with `secret`, at `now`.
pub fn user_jwt(secret: &str, token: &TokenFor, now: i64) -> Result<String, String> {
    if secret.is_empty() {
        return Err("the secret is empty: no verifier accepts what it signs".into());
    }
    let Some(user_id) = token.user_id.as_deref().filter(|id| !id.is_empty()) else {
        return Err("a user JWT needs a user_id".into());
    };
    if token.email.as_deref() == Some("") {
        return Err("an empty email: verifiers reject it".into());
    }
    let clashing: Vec<&str> = token
        .attributes
        .keys()
        .map(String::as_str)
        .filter(|n| RESERVED_ATTRIBUTES.contains(n) || REGISTERED_CLAIMS.contains(n))
        .collect();
    if !clashing.is_empty() {
        return Err(format!(
            "attributes {} would overwrite claims with a meaning of their own",
            clashing.join(", ")
        ));
    }
    if token.expires_in.is_some_and(|s| s <= 0) {
        return Err("expires_in would make a token expired on arrival".into());
    }
    let mut claims = Object::new();
    claims.insert("user_id".into(), user_id.into());
    if let Some(email) = &token.email {
        claims.insert("email".into(), email.as_str().into());
    }
    claims.extend(token.attributes.clone());
    if let Some(seconds) = token.expires_in {
        let exp = now
            .checked_add(seconds)
            .ok_or("now + expires_in overflows")?;
        claims.insert("exp".into(), exp.into());
    }
    let mut header = Header::new(Algorithm::HS256);
    header.kid = token.key_id.clone();
    encode(
        &header,
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|error| format!("jsonwebtoken could not sign: {error}"))
}
