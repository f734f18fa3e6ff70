//! Signer bugs (CONTRACT, the signer rules): the customer's backend making the `user_hash` or the
//! user JWT. Each one asks the reference signer and edits its answer, or its question.

use serde_json::Value;

use crate::contract::{FromAdapter, Object, SignMode, SignRequest, Signed};
use crate::reference::user_hash::{to_hex, user_hash};
use crate::reference::{jws, sign};

use super::tools::hmac_sha2;

/// `hmac(secret, user.email || user.id)`: the email wins whenever the user has one.
pub(super) fn hash_email(request: &SignRequest) -> FromAdapter {
    let mut changed = request.clone();
    if request.mode == SignMode::UserHash && request.user.email.is_some() {
        changed.user.user_id = None;
    }
    sign(&changed)
}

/// `hexdigest().upper()`.
pub(super) fn hash_uppercase(request: &SignRequest) -> FromAdapter {
    let mut answer = sign(request);
    if let FromAdapter::Signed(signed) = &mut answer {
        signed.user_hash = signed.user_hash.as_ref().map(|h| h.to_ascii_uppercase());
    }
    answer
}

/// `exp: Date.now() + expiresIn * 1000`: milliseconds where the claim is seconds.
pub(super) fn exp_milliseconds(request: &SignRequest) -> FromAdapter {
    edit_token(request, |_, claims| {
        if let Some(exp) = claims.get("exp").and_then(Value::as_i64) {
            claims.insert("exp".into(), exp.saturating_mul(1000).into());
        }
    })
}

/// The lifetime is accepted and forgotten: no `exp` in the token.
pub(super) fn drops_exp(request: &SignRequest) -> FromAdapter {
    edit_token(request, |_, claims| {
        claims.remove("exp");
    })
}

/// `jwt.sign({user_id, email}, secret)`: the attributes never make it into the payload.
pub(super) fn drops_attributes(request: &SignRequest) -> FromAdapter {
    let mut changed = request.clone();
    if request.mode == SignMode::Jwt {
        changed.attributes.clear();
    }
    sign(&changed)
}

/// The user's id straight from an integer database column: `"42"` is written as `42`.
pub(super) fn numeric_user_id(request: &SignRequest) -> FromAdapter {
    edit_token(request, |_, claims| {
        let number = claims
            .get("user_id")
            .and_then(Value::as_str)
            .and_then(|id| id.parse::<i64>().ok());
        if let Some(number) = number {
            claims.insert("user_id".into(), number.into());
        }
    })
}

/// `jwt.sign(payload, secret, { algorithm: "HS512" })`.
pub(super) fn hs512(request: &SignRequest) -> FromAdapter {
    reissue(
        request,
        |header, _| {
            header.insert("alg".into(), "HS512".into());
        },
        |header, claims, secret| {
            let input = jws::signing_input(&encode(&header), &encode(&claims));
            let mac = hmac_sha2("HS512", secret, input.as_bytes()).expect("HS512 is an HMAC");
            format!("{input}.{}", jws::b64url_encode(mac))
        },
    )
}

/// No user_id? The email identifies the user: a token with an `email` claim and no `user_id`,
/// where the contract says to refuse.
pub(super) fn jwt_without_user_id(request: &SignRequest) -> FromAdapter {
    if request.mode != SignMode::Jwt
        || request.user.user_id.is_some()
        || request.user.email.is_none()
    {
        return sign(request);
    }
    let mut changed = request.clone();
    changed.user.user_id = request.user.email.clone();
    edit_token(&changed, |_, claims| {
        claims.remove("user_id");
    })
}

/// `hmac(secret, user.id || user.email || "")`: a user with neither identifier gets the hash of
/// the empty string where the contract says to refuse.
pub(super) fn hash_blank_identifier(request: &SignRequest) -> FromAdapter {
    let anonymous = request.user.user_id.is_none() && request.user.email.is_none();
    if request.mode != SignMode::UserHash || !anonymous || request.secret.is_empty() {
        return sign(request);
    }
    FromAdapter::Signed(Signed {
        id: request.id.clone(),
        user_hash: Some(user_hash(&request.secret, "")),
        jwt: None,
    })
}

/// A JOSE library's default header: `typ` is `"JOSE"` (the JWS media type), not `"JWT"`.
pub(super) fn typ_jose(request: &SignRequest) -> FromAdapter {
    edit_token(request, |header, _| {
        header.insert("typ".into(), "JOSE".into());
    })
}

/// `String(value)` for every attribute (a template, a form field or a typed-as-string map): `12`
/// becomes `"12"`, `true` `"true"`, null `"null"`, an object its JSON text.
pub(super) fn stringifies_attributes(request: &SignRequest) -> FromAdapter {
    edit_token(request, |_, claims| {
        for name in request.attributes.keys() {
            if let Some(value) = claims.get_mut(name) {
                if !value.is_string() {
                    *value = Value::String(value.to_string());
                }
            }
        }
    })
}

/// Null attributes dropped on the way (`skip_serializing_if = "Option::is_none"`, or
/// `JSON.stringify` of `undefined`): the claim that would clear the attribute is missing.
pub(super) fn drops_null_attributes(request: &SignRequest) -> FromAdapter {
    edit_token(request, |_, claims| {
        for (name, value) in &request.attributes {
            if value.is_null() {
                claims.remove(name);
            }
        }
    })
}

/// The REST API's shape carried over: attributes under `custom_attributes` instead of at the top
/// level.
pub(super) fn nested_attributes(request: &SignRequest) -> FromAdapter {
    edit_token(request, |_, claims| {
        let mut nested = Object::new();
        for name in request.attributes.keys() {
            if let Some(value) = claims.remove(name) {
                nested.insert(name.clone(), value);
            }
        }
        if !nested.is_empty() {
            claims.insert("custom_attributes".into(), Value::Object(nested));
        }
    })
}

/// `user.user_id ?? user.email`: nullish coalescing keeps the empty string, so an empty user_id
/// is signed as it is: the HMAC of the empty string, or a token with `user_id: ""` (and an empty
/// email beside a user_id is written as `email: ""`). (`user_id || email`, which reads the empty
/// string as missing, conforms: see CONTRACT, "Inputs the signer rules leave open".)
pub(super) fn empty_identifier_signed(request: &SignRequest) -> FromAdapter {
    let empty = |id: &Option<String>| id.as_deref() == Some("");
    let (user_id, email) = (&request.user.user_id, &request.user.email);
    if (!empty(user_id) && !empty(email)) || request.secret.is_empty() {
        return sign(request);
    }
    match request.mode {
        SignMode::UserHash => {
            let identifier = user_id.as_deref().or(email.as_deref()).unwrap_or_default();
            FromAdapter::Signed(Signed {
                id: request.id.clone(),
                user_hash: Some(user_hash(&request.secret, identifier)),
                jwt: None,
            })
        }
        SignMode::Jwt if user_id.is_none() => sign(request),
        SignMode::Jwt => {
            let mut stand_in = request.clone();
            stand_in.user.user_id = Some("stand-in".into());
            stand_in.user.email = email.clone().filter(|e| !e.is_empty());
            edit_token(&stand_in, |_, claims| {
                claims.insert("user_id".into(), user_id.clone().unwrap_or_default().into());
                if let Some(email) = email {
                    claims.insert("email".into(), email.clone().into());
                }
            })
        }
    }
}

/// `now.saturating_add(expires_in)` (or a wrapping add, in another language): a lifetime so long
/// that `now + expires_in` overflows is signed with a clamped exp instead of refused.
pub(super) fn exp_saturating(request: &SignRequest) -> FromAdapter {
    let overflows = request
        .expires_in
        .is_some_and(|seconds| request.now.checked_add(seconds).is_none());
    if request.mode != SignMode::Jwt || !overflows {
        return sign(request);
    }
    let mut stand_in = request.clone();
    stand_in.expires_in = Some(1);
    edit_token(&stand_in, |_, claims| {
        claims.insert("exp".into(), i64::MAX.into());
    })
}

/// PHP's `empty($user_id)`: the string `"0"` is empty too, so user "0" is signed by email.
pub(super) fn zero_user_id_as_missing(request: &SignRequest) -> FromAdapter {
    let mut changed = request.clone();
    if matches!(changed.user.user_id.as_deref(), Some("0")) && changed.user.email.is_some() {
        changed.user.user_id = None;
    }
    sign(&changed)
}

/// `hmac(secret, email.strip().lower())`: the identifier "cleaned up" before it is signed.
pub(super) fn normalised_identifier(request: &SignRequest) -> FromAdapter {
    let mut changed = request.clone();
    let clean = |id: &Option<String>| id.as_ref().map(|id| id.trim().to_lowercase());
    changed.user.user_id = clean(&request.user.user_id);
    changed.user.email = clean(&request.user.email);
    // An identifier that cleans up to nothing is still sent as it came.
    if changed.user.user_id.as_deref() == Some("") {
        changed.user.user_id = request.user.user_id.clone();
    }
    if changed.user.email.as_deref() == Some("") {
        changed.user.email = request.user.email.clone();
    }
    sign(&changed)
}

/// `bytes.fromhex(secret)` when the secret looks like hex ("it's a hex key"): the HMAC key is the
/// decoded bytes, not the string's.
pub(super) fn hex_decoded_secret(request: &SignRequest) -> FromAdapter {
    let secret = &request.secret;
    let hex = secret.len().is_multiple_of(2) && secret.bytes().all(|b| b.is_ascii_hexdigit());
    if secret.is_empty() || !hex {
        return sign(request);
    }
    let key: Vec<u8> = (0..secret.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&secret[i..i + 2], 16).expect("hex digits"))
        .collect();
    with_key(request, &key)
}

/// `Buffer.from(secret, "base64")` (or a JWT library's "secret is base64 encoded" switch) when the
/// secret decodes as base64: the HMAC key is the decoded bytes.
pub(super) fn base64_decoded_secret(request: &SignRequest) -> FromAdapter {
    use base64::Engine as _;
    match base64::engine::general_purpose::STANDARD.decode(&request.secret) {
        Ok(key) if !request.secret.is_empty() => with_key(request, &key),
        _ => sign(request),
    }
}

/// `secret.strip()`: the configured secret "cleaned up" before it keys the HMAC.
pub(super) fn trimmed_secret(request: &SignRequest) -> FromAdapter {
    let trimmed = request.secret.trim();
    if trimmed == request.secret || trimmed.is_empty() {
        return sign(request);
    }
    with_key(request, trimmed.as_bytes())
}

/// A JWT library configured with a default key id: `kid: "default"` when no key_id is given.
pub(super) fn kid_default(request: &SignRequest) -> FromAdapter {
    edit_token(request, |header, _| {
        if !header.contains_key("kid") {
            header.insert("kid".into(), "default".into());
        }
    })
}

/// The JWT library's default lifetime (`expiresIn: "1h"`): an `exp` although no `expires_in`
/// was given.
pub(super) fn default_exp(request: &SignRequest) -> FromAdapter {
    edit_token(request, |_, claims| {
        if request.expires_in.is_none() {
            claims.insert("exp".into(), (request.now + 3600).into());
        }
    })
}

/// `{"exp": expires_in}`: the lifetime written where the instant belongs (a token that expired
/// in 1970).
pub(super) fn exp_relative(request: &SignRequest) -> FromAdapter {
    edit_token(request, |_, claims| {
        if let (Some(lifetime), true) = (request.expires_in, claims.contains_key("exp")) {
            claims.insert("exp".into(), lifetime.into());
        }
    })
}

/// `exp = time.time() + expires_in`: a float clock, so exp is written with a fraction part
/// (`1767229200.0`), not as an integer.
pub(super) fn exp_float(request: &SignRequest) -> FromAdapter {
    edit_token(request, |_, claims| {
        if let Some(exp) = claims.get("exp").and_then(Value::as_i64) {
            claims.insert("exp".into(), serde_json::json!(exp as f64));
        }
    })
}

/// exp formatted into the payload as text: `"exp": "1767229200"`.
pub(super) fn exp_string(request: &SignRequest) -> FromAdapter {
    edit_token(request, |_, claims| {
        if let Some(exp) = claims.get("exp").and_then(Value::as_i64) {
            claims.insert("exp".into(), Value::String(exp.to_string()));
        }
    })
}

/// `{user_id, email, exp, ...attributes}`: attributes spread over the claims, so an attribute
/// named `user_id`, `email` or `exp` replaces the user's own, where the contract says to refuse.
pub(super) fn reserved_attributes_overwrite(request: &SignRequest) -> FromAdapter {
    if request.mode != SignMode::Jwt {
        return sign(request);
    }
    let mut plain = request.clone();
    plain.attributes.clear();
    reissue(
        &plain,
        |_, claims| {
            for (name, value) in &request.attributes {
                claims.insert(name.clone(), value.clone());
            }
        },
        |header, claims, secret| {
            jws::sign_hs256(&Value::Object(header), &Value::Object(claims), secret)
        },
    )
}

/// `{"user_id": user.id, "email": user.email}` from a model whose email is None: `"email": null`
/// in the token instead of no member.
pub(super) fn null_email_claim(request: &SignRequest) -> FromAdapter {
    edit_token(request, |_, claims| {
        if !claims.contains_key("email") {
            claims.insert("email".into(), Value::Null);
        }
    })
}

/// `os.environ.get("MESSENGER_SECRET", "")`: an empty secret is used as the HMAC key instead of
/// refusing.
pub(super) fn empty_secret_signed(request: &SignRequest) -> FromAdapter {
    if !request.secret.is_empty() {
        return sign(request);
    }
    with_key(request, b"")
}

/// What the reference would sign for `request` (with a stand-in secret when it is empty),
/// MACed with `key` instead of the secret's UTF-8 bytes. Refusals pass through.
fn with_key(request: &SignRequest, key: &[u8]) -> FromAdapter {
    let mut stand_in = request.clone();
    if stand_in.secret.is_empty() {
        stand_in.secret = "stand-in-for-the-secret".into();
    }
    let mut answer = reissue(
        &stand_in,
        |_, _| {},
        |header, claims, _| jws::sign_hs256(&Value::Object(header), &Value::Object(claims), key),
    );
    if let FromAdapter::Signed(signed) = &mut answer {
        if signed.user_hash.is_some() {
            let identifier = request
                .user
                .user_id
                .as_deref()
                .or(request.user.email.as_deref())
                .unwrap_or_default();
            signed.user_hash = Some(to_hex(&jws::hmac_sha256(key, identifier.as_bytes())));
        }
    }
    answer
}

/// Sign with the reference, then edit the token's header and claims and sign it again with the
/// request's secret. Refusals and hashes pass through.
fn edit_token(request: &SignRequest, edit: impl FnOnce(&mut Object, &mut Object)) -> FromAdapter {
    reissue(request, edit, |header, claims, secret| {
        jws::sign_hs256(&Value::Object(header), &Value::Object(claims), secret)
    })
}

/// Sign with the reference, then edit the token's header and claims and seal them again with
/// `seal` (given the header, the claims and the request's secret). Refusals and hashes pass
/// through.
fn reissue(
    request: &SignRequest,
    edit: impl FnOnce(&mut Object, &mut Object),
    seal: impl FnOnce(Object, Object, &[u8]) -> String,
) -> FromAdapter {
    let mut answer = sign(request);
    if let FromAdapter::Signed(signed) = &mut answer {
        if let Some(decoded) = signed
            .jwt
            .as_deref()
            .and_then(|t| jws::decode_unverified(t).ok())
        {
            let (mut header, mut claims) = (
                decoded.header.members.clone(),
                decoded.claims.members.clone(),
            );
            edit(&mut header, &mut claims);
            signed.jwt = Some(seal(header, claims, request.secret.as_bytes()));
        }
    }
    answer
}

fn encode(object: &Object) -> String {
    jws::b64url_encode(serde_json::to_vec(object).expect("a JSON object serializes"))
}
