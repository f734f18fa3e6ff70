//! Signer bugs (CONTRACT, the signer rules): the customer's backend making the `user_hash` or the
//! user JWT. Each one asks the reference signer and edits its answer, or its question.

use serde_json::Value;

use crate::contract::{FromAdapter, Object, SignMode, SignRequest, Signed};
use crate::reference::user_hash::user_hash;
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
