//! Example exec adapter for messenger-conformance: Rust, the `jsonwebtoken` crate configured to
//! the profile, `hmac` + `sha2` for the user_hash, `serde_json` for the protocol.
//!
//! # What it is
//!
//! A verifier and a signer for Messenger Identity Verification (user_hash = HMAC-SHA256) and
//! Messenger Security with JWTs, written the way a careful integrator would write them on
//! jsonwebtoken: `decode` with a `Validation` set to the profile (HS256 only, the workspace's
//! leeway, no required claims, no audience check), `encode` with an HS256 `Header`, and
//! `Mac::verify_slice` (constant time) for the user_hash. It speaks the exec transport of the
//! adapter protocol (docs/protocol.md): one JSON object per line on stdin and stdout, flushed,
//! logs on stderr, `hello` first, `bye` last. It decides with the `now` it is sent
//! (`"clock": "injected"`).
//!
//! # How to run it against the suite (from the repository root)
//!
//! ```sh
//! cargo build --release --examples
//! cargo run --release -- run -- target/release/examples/profile_adapter
//! cargo run --release -- run --baseline adapters/rust/baseline.yaml -- target/release/examples/profile_adapter
//! ```
//!
//! # The clock
//!
//! jsonwebtoken compares `exp` and `nbf` with `SystemTime::now()` and takes no other instant. The
//! harness injects `now` so every case replays exactly, so this adapter turns both library time
//! checks off and checks `exp` and `nbf` itself against `now`, in the profile's terms: expired
//! at the very second of `exp + leeway` (jsonwebtoken still accepts a token at `exp == now`), not
//! yet valid while `now + leeway < nbf`. A deployment on the real clock would keep
//! `validate_exp = true`, set `validate_nbf = true` (off by default) and `leeway`, and check the
//! `exp == now` second itself.
//!
//! # What jsonwebtoken does not check, and this file adds in a few lines
//!
//! - the token's form (three canonical base64url parts, JSON objects) before any key is tried:
//!   the library checks the signature first, so a corrupted payload reads as a bad signature;
//! - `alg` exactly "HS256", read from the header before any key is tried: the library turns an
//!   unknown `alg` ("none", "hs256") into a JSON error, which would be the wrong code;
//! - `crit` is refused (the library parses it and ignores it);
//! - `user_id`, `email`, `exp` and `nbf` of the wrong type: the library skips an `exp` it cannot
//!   read as a `u64` (a numeric string, a negative or a float stays unchecked).
//!
//! # Known deviations (those the suite exercises are listed, with reasons, in baseline.yaml)
//!
//! - duplicate member names in the payload: serde_json keeps the last one (RFC 7515 allows it);
//!   the profile rejects them. The library's own structs refuse duplicates of the header's
//!   known members and of `exp`/`nbf`/`sub`/`iss`/`aud`, not of `user_id` or attributes.
//! - a number that overflows a double (`1e400`) anywhere in the payload: serde_json fails the
//!   whole document, so the token is `jwt_malformed`, where the profile says
//!   `jwt_claims_invalid`.
//! - header parameters the library types strictly: `Header::extras` is a map of strings, so an
//!   unknown parameter with another type (`"b64": false`), or a non-string `kid`, makes the
//!   header unreadable (`jwt_malformed`), where the profile ignores unknown parameters.

use std::io::{BufRead, Write};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::de::IgnoredAny;
use serde_json::{json, Map, Value};
use sha2::Sha256;

type Object = Map<String, Value>;

const PLATFORMS: [&str; 3] = ["web", "ios", "android"];
const RESERVED_ATTRIBUTES: [&str; 4] = ["user_id", "email", "user_hash", "intercom_user_jwt"];
const REGISTERED_CLAIMS: [&str; 7] = ["exp", "nbf", "iat", "iss", "aud", "sub", "jti"];

/// A rejection: one error code from the contract's closed list, and why.
struct Reject {
    code: &'static str,
    message: String,
}

fn reject(code: &'static str, message: impl Into<String>) -> Reject {
    Reject {
        code,
        message: message.into(),
    }
}

type Decision = Result<Value, Reject>;

/// The profile's `Validation`: HS256 only, the workspace's leeway, `exp` optional, no audience.
/// `validate_exp` and `validate_nbf` are off because the library would read the real clock; see
/// "The clock" above: [`check_times`] does both against the injected `now`.
fn profile_validation(leeway_seconds: i64) -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = leeway_seconds.max(0) as u64;
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false; // true in a deployment on the real clock
    validation.validate_aud = false;
    validation
}

// ---------------------------------------------------------------------------------------------
// Verifier
// ---------------------------------------------------------------------------------------------

fn verify(message: &Value) -> Value {
    let workspace = &message["workspace"];
    let now = message["now"].as_i64().unwrap_or_default();
    let verdict = match decide(workspace, &message["request"], now) {
        Ok(accepted) => accepted,
        Err(rejection) => json!({
            "outcome": "rejected", "verified": false, "identity": null, "error": rejection.code,
            "attributes": {"applied": {}, "dropped": {}}, "message": rejection.message,
        }),
    };
    let mut answer = json!({"type": "verdict", "id": message["id"]});
    answer
        .as_object_mut()
        .expect("an object")
        .extend(verdict.as_object().cloned().unwrap_or_default());
    answer
}

/// The Messenger request after rule 1.
struct Request {
    platform: String,
    user_id: Option<String>,
    email: Option<String>,
    user_hash: Option<String>,
    jwt: Option<String>,
    attributes: Object,
}

fn decide(workspace: &Value, raw: &Value, now: i64) -> Decision {
    let request = parse_request(raw)?; // rule 1
    let settings = &workspace["platforms"][&request.platform]; // Null when not configured
    let locked = |name: &str| {
        workspace["locked_attributes"]
            .as_array()
            .is_some_and(|l| l.iter().any(|v| v == name))
    };

    if let Some(token) = &request.jwt {
        return verify_jwt(workspace, settings, &request, token, now, &locked); // rule 2
    }
    if request.user_id.is_none() && request.email.is_none() {
        // Rule 4: a user_hash with nothing it could verify.
        if request.user_hash.is_some() {
            let why = "a user_hash with neither user_id nor email";
            return Err(reject("missing_identifier", why));
        }
        // Rule 5: an anonymous visitor or lead.
        let attributes = request_attributes(&request.attributes, &[], &locked);
        return Ok(accepted(
            false,
            Value::Null,
            attributes,
            "anonymous visitor",
        ));
    }

    // Rule 3: no JWT, a logged-in user.
    if settings["jwt"]["enabled"] == true {
        return Err(reject(
            "jwt_required",
            format!(
                "JWT is enabled on {}: a user_hash is no substitute",
                request.platform
            ),
        ));
    }
    let enforced = settings["identity_verification"]["enforced"] == true;
    let mut verified = false;
    match &request.user_hash {
        None if enforced => {
            return Err(reject(
                "user_hash_required",
                format!("identity verification is enforced on {}", request.platform),
            ))
        }
        None => {}
        Some(given) => {
            let secret = settings["identity_verification"]["secret"]
                .as_str()
                .unwrap_or_default();
            let identifier = request
                .user_id
                .as_deref()
                .or(request.email.as_deref())
                .unwrap_or_default();
            verified = user_hash_matches(&request.platform, secret, identifier, given);
            if !verified && enforced {
                return Err(reject("user_hash_mismatch", "the user_hash does not match"));
            }
        }
    }
    let mut identity = json!({"user_id": request.user_id, "email": request.email});
    let mut attributes = request_attributes(&request.attributes, &[], &locked);
    if request.user_id.is_some() && request.email.is_some() && locked("email") {
        // An email beside a user_id is unsigned data: a locked one is not taken.
        identity["email"] = Value::Null;
        attributes["dropped"]["email"] = json!("locked_attribute");
    }
    let how = if verified {
        "verified by user_hash"
    } else {
        "not verified"
    };
    Ok(accepted(verified, identity, attributes, how))
}

/// Rule 1: the request's shape. `null` counts as absent for every field.
fn parse_request(raw: &Value) -> Result<Request, Reject> {
    let fields = raw
        .as_object()
        .ok_or_else(|| reject("invalid_request", "the request is not an object"))?;
    let string = |name: &str, non_empty: bool| -> Result<Option<String>, Reject> {
        match fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if non_empty && s.is_empty() => Err(reject(
                "invalid_request",
                format!("`{name}` is an empty string"),
            )),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(reject(
                "invalid_request",
                format!("`{name}` is not a string"),
            )),
        }
    };
    let action = string("action", false)?;
    if !matches!(action.as_deref(), Some("boot" | "update")) {
        return Err(reject(
            "invalid_request",
            format!("unknown action {action:?}"),
        ));
    }
    let platform = string("platform", false)?.filter(|p| PLATFORMS.contains(&p.as_str()));
    let platform = platform.ok_or_else(|| reject("invalid_request", "unknown platform"))?;
    let attributes = match fields.get("attributes") {
        None | Some(Value::Null) => Object::new(),
        Some(Value::Object(a)) => a.clone(),
        Some(_) => return Err(reject("invalid_request", "`attributes` is not an object")),
    };
    if let Some(name) = attributes
        .keys()
        .find(|n| RESERVED_ATTRIBUTES.contains(&n.as_str()))
    {
        return Err(reject(
            "invalid_request",
            format!("`{name}` is a reserved name, not an attribute"),
        ));
    }
    Ok(Request {
        platform,
        user_id: string("user_id", true)?,
        email: string("email", true)?,
        user_hash: string("user_hash", false)?,
        jwt: string("intercom_user_jwt", false)?,
        attributes,
    })
}

/// Rule 3.3: hex HMAC-SHA256(secret, identifier); either hex case on web, lowercase on mobile.
fn user_hash_matches(platform: &str, secret: &str, identifier: &str, given: &str) -> bool {
    if secret.is_empty() {
        return false; // an empty secret never verifies
    }
    let digit_ok = |c: char| {
        c.is_ascii_digit()
            || ('a'..='f').contains(&c)
            || (platform == "web" && ('A'..='F').contains(&c))
    };
    if given.len() != 64 || !given.chars().all(digit_ok) {
        return false; // only the attacker's own input is inspected here
    }
    let tag: Vec<u8> = (0..64)
        .step_by(2)
        .map(|i| u8::from_str_radix(&given[i..i + 2], 16).expect("hex digits"))
        .collect();
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(identifier.as_bytes());
    mac.verify_slice(&tag).is_ok() // constant time
}

/// Rule 2: a JWT is present.
fn verify_jwt(
    workspace: &Value,
    settings: &Value,
    request: &Request,
    token: &str,
    now: i64,
    locked: &dyn Fn(&str) -> bool,
) -> Decision {
    let platform = request.platform.as_str();
    if settings["jwt"]["enabled"] != true {
        return Err(reject(
            "jwt_not_enabled",
            format!("JWT is not enabled on {platform}"),
        ));
    }

    // 2.2 before any key is tried: jsonwebtoken checks the signature over the raw text before it
    // decodes the payload, so a corrupted payload would come back as a bad signature, and it
    // splits from the right, so a four-part token would come back as a base64 error. Its base64
    // engine is strict (no padding, whitespace or non-canonical trailing bits); we use the same.
    let header = decode_form(token)?;
    // 2.3, read here so the code is the profile's.
    if header.get("alg") != Some(&json!("HS256")) {
        return Err(reject(
            "jwt_algorithm_not_allowed",
            format!("alg {:?} is not \"HS256\"", header.get("alg")),
        ));
    }
    if header.contains_key("crit") {
        return Err(reject(
            "jwt_malformed",
            "a `crit` header: this profile understands no extension",
        ));
    }

    // 2.4: every key of this platform with a non-empty secret; `kid` selects nothing.
    let validation =
        profile_validation(workspace["jwt_leeway_seconds"].as_i64().unwrap_or_default());
    let keys = workspace["jwt_keys"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut verified = None;
    for key in keys.iter().filter(|k| {
        k["platforms"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p == platform))
    }) {
        let secret = key["secret"].as_str().unwrap_or_default();
        if secret.is_empty() {
            continue; // an empty secret never verifies
        }
        match decode::<Object>(
            token,
            &DecodingKey::from_secret(secret.as_bytes()),
            &validation,
        ) {
            Ok(data) => {
                verified = Some((
                    key["id"].as_str().unwrap_or_default().to_string(),
                    data.claims,
                ));
                break;
            }
            Err(error) if matches!(error.kind(), ErrorKind::InvalidSignature) => continue,
            Err(error) => {
                return Err(reject(
                    library_error_code(error.kind()),
                    format!("jsonwebtoken: {error}"),
                ))
            }
        }
    }
    let Some((key_id, claims)) = verified else {
        return Err(reject(
            "jwt_signature_invalid",
            format!("no key for {platform} verifies the signature"),
        ));
    };

    // 2.5
    let user_id = match claims.get("user_id") {
        None | Some(Value::Null) => return Err(reject("jwt_missing_user_id", "no user_id claim")),
        Some(Value::String(s)) if s.is_empty() => {
            return Err(reject("jwt_missing_user_id", "an empty user_id claim"))
        }
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(reject("jwt_claims_invalid", "`user_id` is not a string")),
    };
    let claim_email = match claims.get("email") {
        None => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(_) => {
            return Err(reject(
                "jwt_claims_invalid",
                "`email` is not a non-empty string",
            ))
        }
    };
    for name in ["exp", "nbf"] {
        if claims.get(name).is_some_and(|v| !v.is_number()) {
            return Err(reject(
                "jwt_claims_invalid",
                format!("`{name}` is not a JSON number"),
            ));
        }
    }

    // 2.6 and 2.7 against the injected clock.
    check_times(
        &claims,
        now,
        workspace["jwt_leeway_seconds"].as_i64().unwrap_or_default(),
    )?;

    // 2.8
    if request
        .user_id
        .as_ref()
        .is_some_and(|sent| *sent != user_id)
    {
        return Err(reject(
            "jwt_identity_mismatch",
            "the request's user_id differs from the claim",
        ));
    }
    if let (Some(sent), Some(claimed)) = (&request.email, &claim_email) {
        if sent != claimed {
            return Err(reject(
                "jwt_identity_mismatch",
                "the request's email differs from the claim",
            ));
        }
    }

    // 2.9: identity from the claims; other non-registered claims are attributes.
    let mut identity = json!({"user_id": user_id, "email": claim_email});
    let from_claims: Vec<String> = claims
        .keys()
        .filter(|n| {
            !matches!(n.as_str(), "user_id" | "email") && !REGISTERED_CLAIMS.contains(&n.as_str())
        })
        .cloned()
        .collect();
    let mut applied: Object = from_claims
        .iter()
        .map(|n| (n.clone(), claims[n].clone()))
        .collect();
    let mut dropped = Object::new();
    if let (None, Some(sent)) = (&claim_email, &request.email) {
        if locked("email") {
            dropped.insert("email".into(), json!("locked_attribute"));
        } else {
            identity["email"] = json!(sent);
        }
    }
    let from_request = request_attributes(&request.attributes, &from_claims, locked);
    applied.extend(
        from_request["applied"]
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    dropped.extend(
        from_request["dropped"]
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    let attributes = json!({"applied": applied, "dropped": dropped});
    Ok(accepted(
        true,
        identity,
        attributes,
        &format!("verified by a JWT signed with key {key_id}"),
    ))
}

/// Rule 2.2: three canonical base64url parts; header and payload JSON objects. Returns the header.
fn decode_form(token: &str) -> Result<Object, Reject> {
    let malformed = |why: String| reject("jwt_malformed", why);
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(malformed(format!("{} parts, not 3", parts.len())));
    }
    let decoded: Vec<Vec<u8>> = parts
        .iter()
        .map(|part| URL_SAFE_NO_PAD.decode(part))
        .collect::<Result<_, _>>()
        .map_err(|e| malformed(format!("a part is not canonical base64url: {e}")))?;
    let header: Object = serde_json::from_slice(&decoded[0])
        .map_err(|e| malformed(format!("the header is not a JSON object: {e}")))?;
    let payload = std::str::from_utf8(&decoded[1])
        .map_err(|e| malformed(format!("the payload is not UTF-8: {e}")))?;
    // The syntax only: `IgnoredAny` skips numbers without converting them, so a claim such as
    // `1e400` is left to the claim checks (2.5) instead of failing the form here.
    serde_json::from_str::<IgnoredAny>(payload)
        .map_err(|e| malformed(format!("the payload is not JSON: {e}")))?;
    if !payload.trim_start().starts_with('{') {
        return Err(malformed("the payload is not a JSON object".into()));
    }
    Ok(header)
}

/// Rules 2.6 and 2.7: `now >= exp + leeway` is expired; `now + leeway < nbf` is not yet valid.
fn check_times(claims: &Object, now: i64, leeway: i64) -> Result<(), Reject> {
    // Compare in f64 when a claim is fractional or huge; seconds near 2^31 are exact in an f64.
    let number = |name: &str| claims.get(name).and_then(Value::as_f64);
    if let Some(exp) = number("exp") {
        if now as f64 >= exp + leeway as f64 {
            return Err(reject(
                "jwt_expired",
                format!("exp {exp} + leeway {leeway} is not after now {now}"),
            ));
        }
    }
    if let Some(nbf) = number("nbf") {
        if ((now + leeway) as f64) < nbf {
            return Err(reject(
                "jwt_not_yet_valid",
                format!("nbf {nbf} is after now {now} + leeway {leeway}"),
            ));
        }
    }
    Ok(())
}

fn library_error_code(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidAlgorithm
        | ErrorKind::InvalidAlgorithmName
        | ErrorKind::MissingAlgorithm => "jwt_algorithm_not_allowed",
        ErrorKind::InvalidClaimFormat(_) => "jwt_claims_invalid",
        ErrorKind::ExpiredSignature => "jwt_expired",
        ErrorKind::ImmatureSignature => "jwt_not_yet_valid",
        // InvalidToken, Base64, Json, Utf8 and anything else about the format.
        _ => "jwt_malformed",
    }
}

/// Request attributes: a claim's value wins; locked ones need a JWT.
fn request_attributes(
    sent: &Object,
    set_by_claims: &[String],
    locked: &dyn Fn(&str) -> bool,
) -> Value {
    let (mut applied, mut dropped) = (Object::new(), Object::new());
    for (name, value) in sent {
        if set_by_claims.contains(name) {
            dropped.insert(name.clone(), json!("overridden_by_jwt"));
        } else if locked(name) {
            dropped.insert(name.clone(), json!("locked_attribute"));
        } else {
            applied.insert(name.clone(), value.clone());
        }
    }
    json!({"applied": applied, "dropped": dropped})
}

fn accepted(verified: bool, identity: Value, attributes: Value, message: &str) -> Value {
    json!({"outcome": "accepted", "verified": verified, "identity": identity, "error": null,
           "attributes": attributes, "message": message})
}

// ---------------------------------------------------------------------------------------------
// Signer
// ---------------------------------------------------------------------------------------------

fn sign(message: &Value) -> Value {
    let id = &message["id"];
    let refuse = |why: &str| json!({"type": "refused", "id": id, "message": why});
    let secret = message["secret"].as_str().unwrap_or_default();
    let user_id = message["user"]["user_id"].as_str();
    let email = message["user"]["email"].as_str();
    if secret.is_empty() {
        return refuse("the secret is empty: no verifier accepts what it signs");
    }
    if user_id == Some("") || email == Some("") {
        return refuse("an empty user_id or email: verifiers reject those");
    }

    match message["mode"].as_str() {
        Some("user_hash") => {
            let Some(identifier) = user_id.or(email) else {
                return refuse("a user_hash needs a user_id or an email");
            };
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
                .expect("HMAC takes any key length");
            mac.update(identifier.as_bytes());
            let user_hash: String = mac
                .finalize()
                .into_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            json!({"type": "signed", "id": id, "user_hash": user_hash, "jwt": null})
        }
        Some("jwt") => {
            let Some(user_id) = user_id else {
                return refuse("a user JWT needs a user_id");
            };
            let attributes = message["attributes"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            let clashing: Vec<&str> = attributes
                .keys()
                .map(String::as_str)
                .filter(|n| RESERVED_ATTRIBUTES.contains(n) || REGISTERED_CLAIMS.contains(n))
                .collect();
            if !clashing.is_empty() {
                return refuse(&format!(
                    "attributes {} would overwrite claims with a meaning of their own",
                    clashing.join(", ")
                ));
            }
            let expires_in = message["expires_in"].as_i64();
            if expires_in.is_some_and(|s| s <= 0) {
                return refuse("expires_in would make a token that is expired on arrival");
            }
            let mut claims = Object::new();
            claims.insert("user_id".into(), json!(user_id));
            if let Some(email) = email {
                claims.insert("email".into(), json!(email));
            }
            claims.extend(attributes);
            if let Some(seconds) = expires_in {
                let Some(exp) = message["now"]
                    .as_i64()
                    .and_then(|now| now.checked_add(seconds))
                else {
                    return refuse("now + expires_in overflows");
                };
                claims.insert("exp".into(), json!(exp)); // seconds, an integer
            }
            let mut header = Header::new(Algorithm::HS256); // {"typ":"JWT","alg":"HS256"}
            header.kid = message["key_id"].as_str().map(String::from);
            match encode(
                &header,
                &claims,
                &EncodingKey::from_secret(secret.as_bytes()),
            ) {
                Ok(token) => json!({"type": "signed", "id": id, "user_hash": null, "jwt": token}),
                Err(error) => refuse(&format!("jsonwebtoken could not sign: {error}")),
            }
        }
        other => json!({"type": "unsupported", "id": id, "message": format!("mode {other:?}")}),
    }
}

// ---------------------------------------------------------------------------------------------
// The exec transport: one JSON object per line; stdout carries only protocol messages.
// ---------------------------------------------------------------------------------------------

fn answer(message: &Value) -> Value {
    match message["type"].as_str() {
        Some("hello") => json!({
            "type": "hello", "protocol": 1,
            "implementation": {"name": "rust jsonwebtoken profile example adapter", "version": "jsonwebtoken 10"},
            "roles": ["verifier", "signer"], "clock": "injected",
        }),
        Some("verify") => verify(message),
        Some("sign") => sign(message),
        other => {
            json!({"type": "unsupported", "id": message["id"], "message": format!("unknown message type {other:?}")})
        }
    }
}

fn main() {
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line.expect("stdin is readable");
        if line.trim().is_empty() {
            continue;
        }
        let message: Value = serde_json::from_str(&line).expect("the harness sends JSON");
        if message["type"] == "bye" {
            break;
        }
        let reply = answer(&message);
        // One write per log line, so the harness never sees half a line.
        let log = format!(
            "[rust-profile-adapter] {} {} -> {} {}\n",
            message["type"], message["id"], reply["type"], reply["error"]
        );
        let _ = std::io::stderr().write_all(log.as_bytes());
        writeln!(stdout, "{reply}").expect("stdout is writable");
        stdout.flush().expect("stdout is writable");
    }
}
