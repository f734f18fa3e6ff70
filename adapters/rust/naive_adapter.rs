//! Example exec adapter for messenger-conformance: a NAIVE integration on the `jsonwebtoken` crate.
//!
//! # What it is
//!
//! The verifier and signer an integrator writes in an afternoon from the crate's README: it
//! decodes with `Validation::new(Algorithm::HS256)` left at its defaults, deserializes the claims
//! into a struct, and compares the user_hash as lowercase hex strings with `==`. Everything else
//! follows the contract's rules. It exists to show what the suite catches; do not copy it. Its
//! conforming sibling is `profile_adapter.rs`.
//!
//! # How to run it against the suite (from the repository root)
//!
//! ```sh
//! cargo build --release --examples
//! cargo run --release -- run -- target/release/examples/naive_adapter   # exits 1
//! ```
//!
//! # What is wrong with it (each is a finding the suite reports)
//!
//! - jsonwebtoken's `Validation` defaults are not the profile's:
//!   - leeway 60 s, whatever the workspace says: a token that expired a few seconds ago passes;
//!   - `exp` is required: a token without `exp` (optional in the profile) is refused;
//!   - `exp == now` is still valid (the library expires at `exp < now - leeway`);
//!   - `nbf` is not checked at all (`validate_nbf` is false): a token from the future passes;
//!   - a token with an `aud` claim is refused when no audience is configured;
//!   - it reads the system clock, so this adapter says `"clock": "system"` in `hello` and the
//!     harness skips the cases that need an exact instant;
//! - `alg: none`, `hs256` and a missing `alg` are JSON errors in the library: `jwt_malformed`
//!   instead of `jwt_algorithm_not_allowed`; a `crit` header is ignored and the token accepted;
//! - the claims struct makes a missing or non-string `user_id` a JSON error (`jwt_malformed`
//!   instead of `jwt_missing_user_id` / `jwt_claims_invalid`), and accepts an empty `user_id`;
//! - a key with an empty secret is tried like any other (an HMAC key may be empty), and so is an
//!   empty Identity Verification secret;
//! - the user_hash is compared with `==` after `to_lowercase()`: not in constant time, and
//!   uppercase hex passes on iOS and Android, which the mobile SDKs never send;
//! - rule 1 is a serde struct: it checks types, not empty strings, the action, or attribute
//!   names reserved for request fields;
//! - the signer refuses only a user without identifier (or, for a JWT, without user_id): it hashes
//!   an empty user_id (the HMAC of the empty string, SIGN-EMPTY-USER-ID) and writes attributes
//!   named `user_id`, `email` or `exp` beside the claims of that name (duplicate members,
//!   SIGN-JWT-RESERVED-ATTRIBUTES); it writes an empty email into the token and signs under an
//!   empty secret (should level: SIGN-EMPTY-EMAIL, SIGN-EMPTY-SECRET). Its answers to an empty
//!   email in a user_hash and to a zero lifetime conform (CONTRACT, "Inputs the signer rules
//!   leave open").

use std::io::{BufRead, Write};

use hmac::{Hmac, Mac};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::Sha256;

#[derive(Deserialize)]
struct Request {
    platform: String,
    user_id: Option<String>,
    email: Option<String>,
    user_hash: Option<String>,
    intercom_user_jwt: Option<String>,
    #[serde(default)]
    attributes: Option<Map<String, Value>>,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(flatten)]
    other: Map<String, Value>,
}

const REGISTERED: [&str; 7] = ["exp", "nbf", "iat", "iss", "aud", "sub", "jti"];

fn hex_hmac(secret: &str, text: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(text.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn rejected(code: &str, why: String) -> Value {
    json!({"outcome": "rejected", "verified": false, "identity": null, "error": code,
           "attributes": {"applied": {}, "dropped": {}}, "message": why})
}

fn accepted(
    verified: bool,
    identity: Value,
    applied: Map<String, Value>,
    dropped: Map<String, Value>,
) -> Value {
    json!({"outcome": "accepted", "verified": verified, "identity": identity, "error": null,
           "attributes": {"applied": applied, "dropped": dropped}, "message": "ok"})
}

fn verify(workspace: &Value, raw: &Value) -> Value {
    let request: Request = match serde_json::from_value(raw.clone()) {
        Ok(request) => request,
        Err(error) => return rejected("invalid_request", error.to_string()),
    };
    let Some(settings) = workspace["platforms"].get(&request.platform) else {
        return rejected(
            "invalid_request",
            format!("unknown platform {}", request.platform),
        );
    };
    let locked = |name: &str| {
        workspace["locked_attributes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l == name)
    };
    let sent = request.attributes.clone().unwrap_or_default();

    if let Some(token) = &request.intercom_user_jwt {
        if settings["jwt"]["enabled"] != true {
            return rejected("jwt_not_enabled", "JWT is off".into());
        }
        let mut result = Err(ErrorKind::InvalidSignature.into());
        for key in workspace["jwt_keys"].as_array().unwrap() {
            if key["platforms"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| *p == request.platform)
            {
                let secret = key["secret"].as_str().unwrap();
                let validation = Validation::new(Algorithm::HS256); // the defaults, untouched
                result = decode::<Claims>(
                    token,
                    &DecodingKey::from_secret(secret.as_bytes()),
                    &validation,
                );
                if result.is_ok() {
                    break;
                }
            }
        }
        let claims = match result {
            Ok(data) => data.claims,
            Err(error) => {
                let code = match error.kind() {
                    ErrorKind::InvalidSignature => "jwt_signature_invalid",
                    ErrorKind::InvalidAlgorithm => "jwt_algorithm_not_allowed",
                    ErrorKind::ExpiredSignature => "jwt_expired",
                    ErrorKind::ImmatureSignature => "jwt_not_yet_valid",
                    ErrorKind::MissingRequiredClaim(_)
                    | ErrorKind::InvalidClaimFormat(_)
                    | ErrorKind::InvalidAudience => "jwt_claims_invalid",
                    _ => "jwt_malformed",
                };
                return rejected(code, error.to_string());
            }
        };
        if request
            .user_id
            .as_ref()
            .is_some_and(|u| *u != claims.user_id)
            || matches!((&request.email, &claims.email), (Some(a), Some(b)) if a != b)
        {
            return rejected("jwt_identity_mismatch", "identity differs".into());
        }
        let mut identity = json!({"user_id": claims.user_id, "email": claims.email});
        let mut applied = Map::new();
        let mut dropped = Map::new();
        if claims.email.is_none() && request.email.is_some() {
            if locked("email") {
                dropped.insert("email".into(), json!("locked_attribute"));
            } else {
                identity["email"] = json!(request.email);
            }
        }
        for (name, value) in &claims.other {
            if !REGISTERED.contains(&name.as_str()) {
                applied.insert(name.clone(), value.clone());
            }
        }
        for (name, value) in sent {
            if claims.other.contains_key(&name) && !REGISTERED.contains(&name.as_str()) {
                dropped.insert(name, json!("overridden_by_jwt"));
            } else if locked(&name) {
                dropped.insert(name, json!("locked_attribute"));
            } else {
                applied.insert(name, value);
            }
        }
        return accepted(true, identity, applied, dropped);
    }

    let (mut applied, mut dropped) = (Map::new(), Map::new());
    for (name, value) in sent {
        if locked(&name) {
            dropped.insert(name, json!("locked_attribute"));
        } else {
            applied.insert(name, value);
        }
    }
    let Some(identifier) = request.user_id.clone().or(request.email.clone()) else {
        if request.user_hash.is_some() {
            return rejected("missing_identifier", "no user".into());
        }
        return accepted(false, Value::Null, applied, dropped);
    };
    if settings["jwt"]["enabled"] == true {
        return rejected("jwt_required", "use a JWT".into());
    }
    let enforced = settings["identity_verification"]["enforced"] == true;
    let secret = settings["identity_verification"]["secret"]
        .as_str()
        .unwrap();
    let verified = match &request.user_hash {
        Some(given) => hex_hmac(secret, &identifier) == given.to_lowercase(),
        None => false,
    };
    if enforced && request.user_hash.is_none() {
        return rejected("user_hash_required", "no hash".into());
    }
    if enforced && !verified {
        return rejected("user_hash_mismatch", "wrong hash".into());
    }
    let mut identity = json!({"user_id": request.user_id, "email": request.email});
    if request.user_id.is_some() && request.email.is_some() && locked("email") {
        identity["email"] = Value::Null;
        dropped.insert("email".into(), json!("locked_attribute"));
    }
    accepted(verified, identity, applied, dropped)
}

fn sign(message: &Value) -> Value {
    let id = &message["id"];
    let secret = message["secret"].as_str().unwrap();
    let user = &message["user"];
    if message["mode"] == "user_hash" {
        let Some(identifier) = user["user_id"].as_str().or(user["email"].as_str()) else {
            return json!({"type": "refused", "id": id, "message": "no user"});
        };
        return json!({"type": "signed", "id": id, "user_hash": hex_hmac(secret, identifier), "jwt": null});
    }
    let Some(user_id) = user["user_id"].as_str() else {
        return json!({"type": "refused", "id": id, "message": "no user_id"});
    };
    let mut other = message["attributes"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    if let Some(seconds) = message["expires_in"].as_i64() {
        // The harness's `now` (from the real clock here), so tokens can be compared exactly.
        other.insert(
            "exp".into(),
            json!(message["now"].as_i64().unwrap() + seconds),
        );
    }
    let claims = Claims {
        user_id: user_id.into(),
        email: user["email"].as_str().map(String::from),
        other,
    };
    let header = Header {
        kid: message["key_id"].as_str().map(String::from),
        ..Header::default()
    };
    let token = encode(
        &header,
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();
    json!({"type": "signed", "id": id, "user_hash": null, "jwt": token})
}

fn main() {
    let mut stdout = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let message: Value = serde_json::from_str(&line.unwrap()).unwrap();
        let reply = match message["type"].as_str().unwrap() {
            "hello" => json!({"type": "hello", "protocol": 1,
                "implementation": {"name": "rust jsonwebtoken naive example adapter", "version": "jsonwebtoken 10"},
                "roles": ["verifier", "signer"], "clock": "system"}),
            "verify" => {
                let mut verdict = verify(&message["workspace"], &message["request"]);
                verdict["type"] = json!("verdict");
                verdict["id"] = message["id"].clone();
                verdict
            }
            "sign" => sign(&message),
            "bye" => break,
            other => json!({"type": "unsupported", "id": message["id"], "message": other}),
        };
        let log = format!(
            "[rust-naive-adapter] {} {} -> {} {}\n",
            message["type"], message["id"], reply["type"], reply["error"]
        );
        std::io::stderr().write_all(log.as_bytes()).unwrap();
        writeln!(stdout, "{reply}").unwrap();
        stdout.flush().unwrap();
    }
}
