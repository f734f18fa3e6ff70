//! Who could send a request the rules refuse, and so what letting it in would mean.
//!
//! A verifier that accepts what it must refuse is an authentication bypass only when someone
//! without the platform's secret could have made the request: a token whose signature does not
//! verify under a key listed for the request's platform (alg `none`, a forged or unchecked MAC,
//! another platform's key, a rotated-out key), a token whose claims name another user than the
//! request, or a `user_hash` missing or wrong where it is required. A token MACed with a key of
//! the platform, or a `user_hash` made with the platform's secret, was made by the platform's own
//! server: accepting it despite a format rule (padding, whitespace, trailing bits, duplicate
//! members, an ignored `crit`) or a claim rule (an expired token, a numeric-string `exp`) is a
//! lenient reading, not a bypass. [`exposure`] tells the two apart by reading the request the
//! way the most lenient verifier would, and checking its proof strictly.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine as _};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Sha256, Sha384, Sha512};

use super::parsed::{hashed_identifier, MessengerRequest};
use super::{broken_rules, idv_secret, Verifier, RESERVED_ATTRIBUTES};
use crate::contract::{ErrorCode, Identity, Platform, VerifyRequest};
use crate::reference::jws;
use crate::reference::user_hash;

/// The request with reserved names taken out of its attributes and empty identifiers left out.
fn readable(raw: &Value) -> Value {
    let mut raw = raw.clone();
    if let Some(attributes) = raw.get_mut("attributes").and_then(Value::as_object_mut) {
        attributes.retain(|name, _| !RESERVED_ATTRIBUTES.contains(&name.as_str()));
    }
    if let Some(fields) = raw.as_object_mut() {
        fields.retain(|name, value| {
            !((name == "user_id" || name == "email") && value.as_str() == Some(""))
        });
    }
    raw
}

/// What accepting a request the rules refuse would let happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exposure {
    /// Someone without the platform's secret could make this request: letting it in is an
    /// authentication bypass. The text says why anyone could make it.
    Bypass(String),
    /// Only the holder of the platform's secret could have made the request's proof; accepting
    /// it anyway is a lenient reading, which the text names ("a lenient parser: ...").
    /// `protects` is whether the rule it waives protects users (an expiry, `crit`, duplicate
    /// members a second reader may read otherwise): then it is `major`, else `minor`.
    Lenient { what: String, protects: bool },
}

/// What accepting `request` would let happen, were it refused by the rules. `vouched`: the
/// verifier also said the user is verified, so the question is whether the request proves the
/// identity, not only whether the rules would let it in (an unproven user_id is accepted
/// unverified where identity verification is not enforced, never verified).
pub fn exposure(request: &VerifyRequest, vouched: bool) -> Exposure {
    let mut verifier = Verifier {
        now: request.now,
        workspace: &request.workspace,
        trace: None,
    };
    // Rule 1, or the request with its reserved attribute names and empty identifiers left out:
    // the proof is judged on what can be read.
    let (parsed, shape) = match verifier.rule_1(&request.request) {
        Ok(parsed) => (parsed, None),
        Err(_) => match verifier.rule_1(&readable(&request.request)) {
            Ok(parsed) => (parsed, Some("a reserved attribute name or an empty identifier")),
            Err(rejection) => {
                return Exposure::Bypass(format!(
                    "the request breaks rule 1 ({}: {}), before any proof is read, so anyone can send it",
                    rejection.code, rejection.detail
                ))
            }
        },
    };
    let leniency = |what: String, protects: bool| match shape {
        Some(shape) => Exposure::Lenient {
            what: format!("{what}; and it accepted {shape}"),
            protects: true,
        },
        None => Exposure::Lenient { what, protects },
    };
    if let Some(token) = &parsed.intercom_user_jwt {
        return match token_exposure(&mut verifier, request, &parsed, token) {
            Exposure::Lenient { what, protects } => leniency(what, protects),
            bypass => bypass,
        };
    }
    if parsed.user_id.is_none() && parsed.email.is_none() {
        // Rules 4 and 5: no identity, so nobody is let in as anyone.
        return leniency(
            "a request that names no user (a visitor, or a user_hash without an identifier): nobody is verified by it".into(),
            shape.is_some(),
        );
    }
    match idv_exposure(&verifier, &parsed, vouched) {
        Exposure::Lenient { what, protects } => leniency(what, protects),
        bypass => bypass,
    }
}

/// Rule 3's proof: [`Exposure::Lenient`] when the user_hash verifies under the platform's
/// secret (its hex read leniently), or when nothing needs proving (identity verification not
/// enforced, JWT not enabled, and the user not said to be verified); [`Exposure::Bypass`]
/// otherwise.
fn idv_exposure(verifier: &Verifier, parsed: &MessengerRequest, vouched: bool) -> Exposure {
    let platform = parsed.platform;
    let (name, identifier) = hashed_identifier(parsed);
    let secret = idv_secret(verifier.workspace, platform);
    let proven = parsed.user_hash.as_deref().is_some_and(|given| {
        // Web's reading (either hex case), surrounding whitespace ignored.
        user_hash::check(Platform::Web, secret, identifier, given.trim()).is_ok()
    });
    let jwt_required = verifier.jwt_enabled(platform);
    let enforced = verifier.idv_enforced(platform);
    let unproven = match &parsed.user_hash {
        None => format!("no user_hash proves the {name}"),
        Some(_) => format!("the user_hash is not the HMAC of the {name} under {platform}'s secret"),
    };
    let lenient = |what: String, protects: bool| Exposure::Lenient { what, protects };
    match (proven, jwt_required) {
        (true, true) => lenient(format!(
            "a JWT requirement that does not hold: JWT is enabled on {platform}, yet a user_hash (which the platform's secret made, but which never expires) let the user in without a token"
        ), true),
        (true, false) => lenient(format!(
            "a lenient user_hash format (its hex case or whitespace): the hash itself is the HMAC of the {name} under {platform}'s secret"
        ), false),
        (false, true) => Exposure::Bypass(format!(
            "JWT is enabled on {platform}, no token was sent, and {unproven}: anyone can send it"
        )),
        (false, false) if enforced => Exposure::Bypass(format!(
            "{unproven}, where identity verification is enforced on {platform}: anyone can claim any {name}"
        )),
        (false, false) if vouched => Exposure::Bypass(format!(
            "{unproven}, yet the user was said to be verified: anyone can claim any {name}"
        )),
        (false, false) => lenient(format!(
            "identity verification is not enforced on {platform}, so the rules would let this {name} in unverified anyway"
        ), false),
    }
}

/// Rule 2's proof: whether the token's MAC verifies under a key listed for the platform, read
/// leniently, and whether its claims name the request's user.
/// The claims of the request's token when a key listed for the request's platform MACed it
/// (read leniently, as [`exposure`] does; never for alg `none`): what only the platform's own
/// server could have said. `None` for a request without such a token.
pub fn platform_signed_claims(request: &VerifyRequest) -> Option<serde_json::Map<String, Value>> {
    let raw = &request.request;
    let platform: Platform = serde_json::from_value(raw.get("platform")?.clone()).ok()?;
    let token = LenientToken::read(raw.get("intercom_user_jwt")?.as_str()?)?;
    let alg = token.header.get("alg").and_then(Value::as_str);
    if alg.is_none_or(|a| a.eq_ignore_ascii_case("none")) {
        return None;
    }
    let signed = request
        .workspace
        .jwt_keys
        .iter()
        .filter(|k| !k.secret.is_empty() && k.platforms.contains(&platform))
        .any(|k| token.verifies_under(k.secret.as_bytes()));
    signed.then_some(token.claims)
}

fn token_exposure(
    verifier: &mut Verifier,
    request: &VerifyRequest,
    parsed: &MessengerRequest,
    token: &str,
) -> Exposure {
    let platform = parsed.platform;
    let Some(lenient) = LenientToken::read(token) else {
        return Exposure::Bypass(
            "the token cannot be read as three base64url parts with a JSON header and payload, even leniently, so no key of the platform vouches for it".into(),
        );
    };
    let alg = lenient.header.get("alg").and_then(Value::as_str);
    let workspace = &request.workspace;
    let listed = |on: &dyn Fn(&crate::contract::JwtKey) -> bool| {
        workspace
            .jwt_keys
            .iter()
            .filter(|k| !k.secret.is_empty() && on(k))
            .any(|k| lenient.verifies_under(k.secret.as_bytes()))
    };
    if alg.is_none_or(|a| a.eq_ignore_ascii_case("none")) {
        return Exposure::Bypass(
            "an unsigned token (alg none): a verifier that accepts one does not check the signature, so anyone can make such a token (whatever MAC this one carries)".into(),
        );
    }
    if !listed(&|k| k.platforms.contains(&platform)) {
        let why = if listed(&|_| true) {
            format!(
                "a token MACed with a key that is not listed for {platform} (another platform's)"
            )
        } else {
            format!("a signature that verifies under no key listed for {platform} (forged, unchecked, or made with a rotated-out key)")
        };
        return Exposure::Bypass(format!(
            "{why}: anyone without {platform}'s key can make one"
        ));
    }
    // The platform's key made the token. Its claims must still name the request's user.
    let claims = Identity {
        user_id: lenient
            .claims
            .get("user_id")
            .and_then(Value::as_str)
            .map(String::from),
        email: lenient
            .claims
            .get("email")
            .and_then(Value::as_str)
            .map(String::from),
    };
    let names_user = claims.user_id.as_deref().is_some_and(|u| !u.is_empty());
    let mut waived_user = None;
    if names_user && verifier.rule_2_8(parsed, &claims).is_err() {
        return Exposure::Bypass(
            "the request names another user than the token it carries: anyone holding a token of their own could pass as another user".into(),
        );
    }
    // A request that names a user beside a token that names none: unless a signed claim (say
    // `sub`) names the same user, the identity can only come from the unsigned request.
    let signed_names = |sent: &Option<String>| {
        sent.as_deref().is_none_or(|sent| {
            lenient
                .claims
                .values()
                .any(|value| value.as_str() == Some(sent))
        })
    };
    let names_request_user = parsed.user_id.is_some() || parsed.email.is_some();
    if !names_user
        && names_request_user
        && signed_names(&parsed.user_id)
        && signed_names(&parsed.email)
    {
        waived_user = Some("a token whose user is named by another claim than `user_id` (such as `sub`), which the platform signed");
    } else if !names_user && names_request_user {
        return Exposure::Bypass(
            "the token names no user, so the identity it would be verified as comes from the unsigned request: anyone holding such a token could pass as any user".into(),
        );
    }
    let mut waived: Vec<&str> = waived_user.into_iter().collect();
    let mut protects = !waived.is_empty();
    let strict = jws::split_compact(token);
    if strict.is_err() {
        waived.push(
            "a lenient parser (padding, whitespace or non-zero trailing bits in a base64url part)",
        );
    }
    if lenient.duplicates {
        waived.push("a lenient parser (a member named twice, which another reader of the same token may read otherwise)");
        protects = true;
    }
    match alg {
        Some("HS256") => {}
        Some(alg) if alg.eq_ignore_ascii_case("HS256") => {
            waived.push("a lenient `alg` (another spelling of HS256)");
        }
        _ => {
            waived.push("an `alg` the header chooses (another HMAC algorithm under the platform's key: a verifier that lets the header choose is one step from algorithm confusion)");
            protects = true;
        }
    }
    if lenient.header.contains_key("crit") {
        waived.push("an ignored `crit` (a restriction the signer attached does not hold)");
        protects = true;
    }
    for code in broken_rules(request) {
        let (what, protecting) = match code {
            ErrorCode::JwtExpired => ("an expiry that does not hold (a token the platform signed is accepted at or after its exp: expiry is how tokens are revoked, so this defeats revocation)", true),
            ErrorCode::JwtNotYetValid => ("a not-before that does not hold (a token is accepted before its nbf)", true),
            ErrorCode::JwtClaimsInvalid => ("lenient claim types (an exp, nbf, user_id or email of the wrong type, such as a numeric-string exp, may not be checked as meant)", true),
            ErrorCode::JwtMissingUserId => ("a token without a user_id (the platform signed it for no user)", true),
            ErrorCode::JwtNotEnabled => ("a JWT setting that does not hold (JWT is not enabled on the platform)", true),
            _ => continue,
        };
        waived.push(what);
        protects |= protecting;
    }
    if waived.is_empty() {
        waived.push("a lenient reading of a token the platform's key made");
    }
    waived.dedup();
    Exposure::Lenient {
        what: format!(
            "{}; the token's MAC verifies under a key listed for {platform}, so no one without that key could make it",
            waived.join("; ")
        ),
        protects,
    }
}

/// A token read as leniently as any library reads one: whitespace and padding ignored, unused
/// trailing bits ignored, the last of duplicate members kept.
struct LenientToken {
    /// The signing inputs a lenient verifier may MAC: as sent, and as read.
    inputs: Vec<String>,
    signature: Vec<u8>,
    header: serde_json::Map<String, Value>,
    claims: serde_json::Map<String, Value>,
    duplicates: bool,
}

impl LenientToken {
    fn read(token: &str) -> Option<LenientToken> {
        let engine = GeneralPurpose::new(
            &alphabet::URL_SAFE,
            GeneralPurposeConfig::new()
                .with_decode_padding_mode(DecodePaddingMode::Indifferent)
                .with_decode_allow_trailing_bits(true),
        );
        let compact: String = token.chars().filter(|c| !c.is_whitespace()).collect();
        let parts: Vec<&str> = compact.split('.').collect();
        let [header, payload, signature] = parts[..] else {
            return None;
        };
        // The standard alphabet too: some libraries decode either.
        let decode = |part: &str| {
            let part = part
                .trim_end_matches('=')
                .replace('+', "-")
                .replace('/', "_");
            engine.decode(part).ok()
        };
        let (header_bytes, payload_bytes) = (decode(header)?, decode(payload)?);
        // The strict parser keeps numbers that overflow a double; for duplicate members, the
        // last one (as most parsers do).
        let object = |bytes: &[u8]| match jws::parse_json_object(jws::Part::Payload, bytes) {
            Ok(object) => Some(object.members.into_iter().collect()),
            Err(_) => match serde_json::from_slice::<Value>(bytes) {
                Ok(Value::Object(members)) => Some(members),
                _ => None,
            },
        };
        let duplicates = [&header_bytes, &payload_bytes].into_iter().any(|bytes| {
            jws::parse_json_object(jws::Part::Payload, bytes)
                .is_err_and(|e| matches!(e, jws::JwsError::DuplicateMember { .. }))
        });
        let mut inputs = vec![format!("{header}.{payload}")];
        if let Some((sent, _)) = token.rsplit_once('.') {
            inputs.push(sent.to_string());
        }
        inputs.push(format!(
            "{}.{}",
            header.trim_end_matches('='),
            payload.trim_end_matches('=')
        ));
        Some(LenientToken {
            inputs,
            signature: decode(signature)?,
            header: object(&header_bytes)?,
            claims: object(&payload_bytes)?,
            duplicates,
        })
    }

    /// Whether the signature is the HMAC of a signing input under `secret`, with SHA-256 (or
    /// SHA-384 or SHA-512, which only the key's holder can compute as well).
    fn verifies_under(&self, secret: &[u8]) -> bool {
        self.inputs.iter().any(|input| {
            let input = input.as_bytes();
            verify::<Hmac<Sha256>>(secret, input, &self.signature)
                || verify::<Hmac<Sha384>>(secret, input, &self.signature)
                || verify::<Hmac<Sha512>>(secret, input, &self.signature)
        })
    }
}

fn verify<M: Mac + hmac::digest::KeyInit>(secret: &[u8], input: &[u8], tag: &[u8]) -> bool {
    let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(secret) else {
        return false;
    };
    mac.update(input);
    mac.verify_slice(tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::{exposure, Exposure};
    use crate::contract::VerifyRequest;

    fn request(edit: impl FnOnce(&mut Value), request: Value) -> VerifyRequest {
        let mut workspace = workspace_json();
        edit(&mut workspace);
        VerifyRequest {
            id: "r1".into(),
            now: NOW,
            workspace: serde_json::from_value(workspace).unwrap(),
            request,
        }
    }

    fn bypass(edit: impl FnOnce(&mut Value), raw: Value, vouched: bool) -> String {
        match exposure(&request(edit, raw), vouched) {
            Exposure::Bypass(why) => why,
            lenient => panic!("expected a bypass, got {lenient:?}"),
        }
    }

    fn lenient(edit: impl FnOnce(&mut Value), raw: Value, vouched: bool) -> (String, bool) {
        match exposure(&request(edit, raw), vouched) {
            Exposure::Lenient { what, protects } => (what, protects),
            bypass => panic!("expected a lenient reading, got {bypass:?}"),
        }
    }

    #[test]
    fn a_rotated_out_key_is_a_bypass_and_a_listed_one_is_not() {
        let token = jwt(json!({"user_id": "u-1", "exp": NOW - 10}), K_WEB);
        let (what, protects) = lenient(|_| {}, web_jwt(token.clone()), true);
        assert!(what.starts_with("an expiry that does not hold"), "{what}");
        assert!(protects);
        // k-web rotated out: the same token is now anyone's.
        let rotated = |w: &mut Value| {
            w["jwt_keys"] = json!([{"id": "k-ios", "secret": K_IOS, "platforms": ["ios"]}]);
        };
        let why = bypass(rotated, web_jwt(token), true);
        assert!(
            why.contains("verifies under no key listed for web"),
            "{why}"
        );
        // An empty secret is anyone's key.
        let empty = |w: &mut Value| {
            w["jwt_keys"] = json!([{"id": "k-empty", "secret": "", "platforms": ["web"]}]);
        };
        let why = bypass(empty, web_jwt(jwt(json!({"user_id": "u-1"}), "")), true);
        assert!(why.contains("no key listed for web"), "{why}");
    }

    #[test]
    fn a_token_that_names_no_user_lets_the_request_choose_one() {
        let mut raw = web_jwt(jwt(json!({"exp": NOW + 60}), K_WEB));
        raw["user_id"] = json!("u-2");
        let why = bypass(|_| {}, raw, true);
        assert!(why.starts_with("the token names no user"), "{why}");
        // Unless a signed claim names the same user (`sub`): the platform vouched for it.
        let mut raw = web_jwt(jwt(json!({"sub": "u-2"}), K_WEB));
        raw["user_id"] = json!("u-2");
        let (what, protects) = lenient(|_| {}, raw, true);
        assert!(
            what.contains("named by another claim than `user_id`"),
            "{what}"
        );
        assert!(protects);
    }

    #[test]
    fn an_unproven_user_is_a_bypass_only_where_proof_is_needed_or_claimed() {
        let android =
            json!({"action": "boot", "platform": "android", "user_id": "u-1", "user_hash": "00"});
        // Android: not enforced, no JWT. Accepted unverified is what the rules do anyway.
        let (what, protects) = lenient(|_| {}, android.clone(), false);
        assert!(
            what.starts_with("identity verification is not enforced on android"),
            "{what}"
        );
        assert!(!protects);
        // Said to be verified: anyone can claim any user_id.
        let why = bypass(|_| {}, android.clone(), true);
        assert!(
            why.contains("yet the user was said to be verified"),
            "{why}"
        );
        // Enforced: a bypass either way.
        let enforce = |w: &mut Value| {
            w["platforms"]["android"]["identity_verification"]["enforced"] = json!(true)
        };
        let why = bypass(enforce, android, false);
        assert!(
            why.contains("where identity verification is enforced on android"),
            "{why}"
        );
        // The right hash in uppercase on iOS: a lenient format, made with the secret.
        let upper = user_hash(IDV_IOS, "u-1").to_uppercase();
        let ios =
            json!({"action": "boot", "platform": "ios", "user_id": "u-1", "user_hash": upper});
        let (what, protects) = lenient(|_| {}, ios, false);
        assert!(what.starts_with("a lenient user_hash format"), "{what}");
        assert!(!protects);
    }
}
