//! Every rule a request breaks, not only the first.
//!
//! CONTRACT.md: "when a request breaks several rules, the code of any rule it breaks conforms
//! ... A request breaks a rule when a verifier that checked that rule first, reading only what
//! the rule needs, would reject it". The property tests judge a generated request against this
//! whole set, so a verifier that checks the rules in another order (`alg` before the payload,
//! `exp` before `user_id` as PyJWT and npm jsonwebtoken do, the platform's keys before the token)
//! conforms. Nothing is put into words.
//!
//! Each rule is evaluated on its own, on the inputs it needs and nothing else; where one of them
//! cannot be read (a field of the wrong type, an unknown platform, a segment that does not
//! decode) the rule is not judged. What each rule reads:
//!
//! | rule | code | reads | breaks when |
//! | --- | --- | --- | --- |
//! | 1 | `invalid_request` | the whole request and the workspace's platforms | the reference's rule 1 rejects |
//! | 2.1 | `jwt_not_enabled` | a token (any string), the settings of a configured platform | JWT is not enabled there, whatever the token holds |
//! | 2.2 | `jwt_malformed` | the token | not three canonical base64url parts, or a header or payload that is not a JSON object without duplicate members |
//! | 2.3 | `jwt_algorithm_not_allowed`, `jwt_malformed` (`crit`) | the header: the first `.`-separated segment, decoded, a JSON object | `alg` is not exactly `"HS256"`, or there is a `crit` |
//! | 2.4 | `jwt_signature_invalid` | a platform name, the keys listed for it, and, when it has a key, three segments of which the last decodes | the platform has no key with a non-empty secret (every token, whatever its shape), or no such key MACs the first two segments' text to the signature |
//! | 2.5 | `jwt_missing_user_id`, `jwt_claims_invalid` | the payload: the second segment, decoded, a JSON object | `user_id` missing, null or empty; a claim of the wrong type (each code on its own) |
//! | 2.6, 2.7 | `jwt_expired`, `jwt_not_yet_valid` | the payload, `exp` or `nbf` a finite number, `now`, the leeway | each on its own, as if the other claim were absent |
//! | 2.8 | `jwt_identity_mismatch` | the payload, the request's `user_id`/`email` (non-empty strings) | the request's `user_id` is not the claim's (a non-empty string), or both carry an `email` and they differ |
//! | 3.1 | `jwt_required` | no token, an identity (a non-empty `user_id` or `email`), a configured platform | JWT is enabled there |
//! | 3.2 | `user_hash_required` | no token, an identity, no `user_hash`, a configured platform | identity verification is enforced |
//! | 3.3 | `user_hash_mismatch` | no token, the identifier hashed (`user_id` when sent, else `email`), a `user_hash` string, a configured platform | enforced, and the hash does not match |
//! | 4 | `missing_identifier` | no token, no `user_id`, no `email`, a `user_hash` string | always |
//!
//! A field that is present but not a string (or an empty `user_id` or `email`, which rule 1
//! refuses) is read by no rule but 1: a rule that needs it is not judged, so a verifier that
//! coerces it some way answers `invalid_request`. `intercom_user_jwt` present but not a string
//! is no token, and not its absence either: neither rule 2 nor rules 3 and 4 are judged.

use std::collections::BTreeSet;

use serde_json::Value;

use super::parsed::{Action, MessengerRequest};
use super::Verifier;
use crate::contract::{ErrorCode, Object, Platform, PlatformSettings, VerifyRequest, Workspace};
use crate::reference::jws::{self, JsonObject, Part};

/// The codes of every rule `request` breaks, in the contract's order; empty when the reference
/// accepts it. The reference's own code is always among them.
pub fn broken_rules(request: &VerifyRequest) -> Vec<ErrorCode> {
    let mut verifier = Verifier {
        now: request.now,
        workspace: &request.workspace,
        trace: None,
    };
    let mut broken = BTreeSet::new();
    if let Err(rejection) = verifier.rule_1(&request.request) {
        broken.insert(rejection.code);
    }
    let Some(fields) = Fields::read(&request.request, &request.workspace) else {
        return ordered(broken);
    };
    match fields.token {
        Field::Given(token) => rule_2(&mut verifier, &fields, token, &mut broken),
        Field::Unreadable => {}
        Field::Absent if fields.has_identity() => rule_3(request, &fields, &mut broken),
        Field::Absent => {
            let no_identifier = fields.user_id == Field::Absent && fields.email == Field::Absent;
            if no_identifier && matches!(fields.user_hash, Field::Given(_)) {
                broken.insert(verifier.rule_4().code);
            }
        }
    }
    ordered(broken)
}

/// One request field as the rules after rule 1 read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field<'a> {
    /// Missing, or `null` (the same as missing).
    Absent,
    /// A string; for `user_id` and `email`, a non-empty one.
    Given(&'a str),
    /// Present, but of the wrong type, or an empty `user_id` or `email`: only rule 1 reads it.
    Unreadable,
}

impl<'a> Field<'a> {
    fn read(fields: &'a Object, name: &str, non_empty: bool) -> Field<'a> {
        match fields.get(name) {
            None | Some(Value::Null) => Field::Absent,
            Some(Value::String(s)) if !(non_empty && s.is_empty()) => Field::Given(s),
            Some(_) => Field::Unreadable,
        }
    }

    fn given(self) -> Option<String> {
        match self {
            Field::Given(s) => Some(s.to_string()),
            _ => None,
        }
    }
}

/// The request's fields that rules 2 to 4 read.
struct Fields<'a> {
    /// The platform, when it is one of the contract's names.
    platform: Option<Platform>,
    /// Its settings, when the workspace configures it.
    settings: Option<&'a PlatformSettings>,
    user_id: Field<'a>,
    email: Field<'a>,
    user_hash: Field<'a>,
    token: Field<'a>,
}

impl<'a> Fields<'a> {
    /// `None` when the request is not an object (only rule 1 reads it).
    fn read(raw: &'a Value, workspace: &'a Workspace) -> Option<Fields<'a>> {
        let fields = raw.as_object()?;
        let platform = fields
            .get("platform")
            .and_then(Value::as_str)
            .and_then(Platform::parse);
        Some(Fields {
            platform,
            settings: platform.and_then(|p| workspace.platform(p)),
            user_id: Field::read(fields, "user_id", true),
            email: Field::read(fields, "email", true),
            user_hash: Field::read(fields, "user_hash", false),
            token: Field::read(fields, "intercom_user_jwt", false),
        })
    }

    /// A logged-in user: a `user_id` or an `email` that can be read.
    fn has_identity(&self) -> bool {
        matches!(self.user_id, Field::Given(_)) || matches!(self.email, Field::Given(_))
    }
}

/// Rule 2, a JWT is present: each sub-rule on what it reads.
fn rule_2(
    verifier: &mut Verifier<'_>,
    fields: &Fields<'_>,
    token: &str,
    broken: &mut BTreeSet<ErrorCode>,
) {
    // 2.1 JWT enabled on a configured platform.
    if fields.settings.is_some_and(|s| !s.jwt.enabled) {
        broken.insert(ErrorCode::JwtNotEnabled);
    }
    // 2.2 The whole token's structure.
    if let Err(error) = structure(token) {
        broken.insert(error.code());
    }
    // 2.3 The header alone.
    if let Some(header) = segment(token, 0, Part::Header) {
        if let Err(error) = jws::check_header(&header) {
            broken.insert(error.code());
        }
    }
    // 2.4 The platform's keys, then the signature over the first two segments' text.
    if fields
        .platform
        .is_some_and(|p| signature_fails(verifier.workspace, p, token))
    {
        broken.insert(ErrorCode::JwtSignatureInvalid);
    }
    // 2.5 to 2.8 The payload alone (with the request's identity for 2.8).
    if let Some(claims) = segment(token, 1, Part::Payload) {
        if let Err(rejection) = verifier.rule_2_5(&claims) {
            broken.insert(rejection.code);
        }
        if super::claims::has_mistyped_claims_besides_user_id(&claims) {
            broken.insert(ErrorCode::JwtClaimsInvalid);
        }
        broken.extend(verifier.time_rules_broken(&claims));
        if identity_mismatch(fields, &claims) {
            broken.insert(ErrorCode::JwtIdentityMismatch);
        }
    }
}

/// Rule 2.2: three canonical base64url parts, header and payload JSON objects.
fn structure(token: &str) -> Result<(), jws::JwsError> {
    let split = jws::split_compact(token)?;
    jws::parse_json_object(Part::Header, &split.header)?;
    jws::parse_json_object(Part::Payload, &split.payload)?;
    Ok(())
}

/// The `index`th `.`-separated segment of a token, when it decodes to a JSON object under rule
/// 2.2's reading (canonical base64url, UTF-8, no duplicate members), whatever the others hold.
fn segment(token: &str, index: usize, part: Part) -> Option<JsonObject> {
    let text = token.split('.').nth(index)?;
    let bytes = jws::b64url_decode_strict(text).ok()?;
    jws::parse_json_object(part, &bytes).ok()
}

/// Rule 2.4 read on its own: a platform without a key that can verify (listed for it, with a
/// non-empty secret) rejects every token, whatever its shape; otherwise a token of three
/// segments whose last decodes fails when no such key MACs the first two segments' text to it.
/// A token of another shape, or whose signature does not decode, is not judged here: a key-first
/// verifier could not compare it, and rule 2.2 rejects it.
fn signature_fails(workspace: &Workspace, platform: Platform, token: &str) -> bool {
    let secrets: Vec<&[u8]> = workspace
        .jwt_keys
        .iter()
        .filter(|k| k.platforms.contains(&platform) && !k.secret.is_empty())
        .map(|k| k.secret.as_bytes())
        .collect();
    if secrets.is_empty() {
        return true;
    }
    let segments: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = segments[..] else {
        return false;
    };
    let Ok(signature) = jws::b64url_decode_strict(signature) else {
        return false;
    };
    let input = jws::signing_input(header, payload);
    !secrets
        .iter()
        .any(|secret| jws::hmac_sha256_verify(secret, input.as_bytes(), &signature))
}

/// Rule 2.8 read on its own: the request's `user_id` is not the claim's, when the claim is a
/// non-empty string (an absent or empty claim is rule 2.5's), or the request and the claims
/// both carry an `email` and they differ.
fn identity_mismatch(fields: &Fields<'_>, claims: &JsonObject) -> bool {
    let claim = |name| claims.members.get(name).and_then(Value::as_str);
    let user_id_differs = match (fields.user_id, claim("user_id")) {
        (Field::Given(sent), Some(claimed)) => !claimed.is_empty() && sent != claimed,
        _ => false,
    };
    let email_differs = match (fields.email, claim("email")) {
        (Field::Given(sent), Some(claimed)) => sent != claimed,
        _ => false,
    };
    user_id_differs || email_differs
}

/// Rule 3, no JWT and a logged-in user: 3.1 on the platform's settings; 3.2 and 3.3 as a
/// verifier that checks the user_hash before JWT-required sees them. A `user_hash` of the wrong
/// type is neither absent (3.2) nor comparable (3.3); a `user_hash` beside a `user_id` that cannot
/// be read has no identifier to be compared with.
fn rule_3(request: &VerifyRequest, fields: &Fields<'_>, broken: &mut BTreeSet<ErrorCode>) {
    let (Some(platform), Some(settings)) = (fields.platform, fields.settings) else {
        return;
    };
    if settings.jwt.enabled {
        broken.insert(ErrorCode::JwtRequired);
    }
    let readable = match fields.user_hash {
        Field::Absent => true,
        Field::Given(_) => fields.user_id != Field::Unreadable,
        Field::Unreadable => false,
    };
    if !readable {
        return;
    }
    let mut without_jwt = request.workspace.clone();
    if let Some(settings) = without_jwt.platforms.get_mut(&platform) {
        settings.jwt.enabled = false;
    }
    let mut idv = Verifier {
        now: request.now,
        workspace: &without_jwt,
        trace: None,
    };
    let hashed = MessengerRequest {
        action: Action::Boot,
        platform,
        user_id: fields.user_id.given(),
        email: fields.email.given(),
        user_hash: fields.user_hash.given(),
        intercom_user_jwt: None,
        attributes: Object::new(),
    };
    if let Err(rejection) = idv.rule_3(&hashed) {
        broken.insert(rejection.code);
    }
}

fn ordered(codes: BTreeSet<ErrorCode>) -> Vec<ErrorCode> {
    codes.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::broken_rules;
    use crate::contract::VerifyRequest;
    use ErrorCode::*;

    /// The rules `request` breaks in the default workspace changed by `edit`: web has JWT and
    /// key k-web, ios has key k-ios but JWT off, android neither; identity verification is
    /// enforced everywhere.
    fn broken_with(edit: impl FnOnce(&mut Value), request: Value) -> Vec<ErrorCode> {
        let mut workspace = workspace_json();
        edit(&mut workspace);
        broken_rules(&VerifyRequest {
            id: "c1".into(),
            now: NOW,
            workspace: serde_json::from_value(workspace).expect("test workspace"),
            request,
        })
    }

    fn broken(request: Value) -> Vec<ErrorCode> {
        broken_with(|_| {}, request)
    }

    fn on(platform: &str, token: &str) -> Value {
        json!({"action": "boot", "platform": platform, "intercom_user_jwt": token})
    }

    fn valid_web() -> String {
        jwt(json!({"user_id": "u-1"}), K_WEB)
    }

    /// A token of `header` and `claims` whose MAC under `secret` is right.
    fn signed(header: Value, claims: Value, secret: &str) -> String {
        sign_raw(
            header.to_string().as_bytes(),
            claims.to_string().as_bytes(),
            secret.as_bytes(),
        )
    }

    #[test]
    fn an_accepted_request_breaks_nothing() {
        assert_eq!(broken(on("web", &valid_web())), vec![]);
        assert_eq!(
            broken(
                json!({"action": "boot", "platform": "ios", "user_id": "u-1",
                "user_hash": user_hash(IDV_IOS, "u-1")})
            ),
            vec![]
        );
    }

    /// Rule 1 reads the whole request; the other rules still read the fields they need.
    #[test]
    fn rule_1_and_what_the_other_rules_still_read() {
        assert_eq!(broken(json!([])), vec![InvalidRequest]);
        let mut reserved = on("web", &valid_web());
        reserved["attributes"] = json!({"user_hash": "x"});
        assert_eq!(broken(reserved), vec![InvalidRequest]);
        // An unknown action leaves the token readable: its alg is judged.
        let none = signed(json!({"alg": "none"}), json!({"user_id": "u-1"}), K_WEB);
        let mut action = on("web", &none);
        action["action"] = json!("login");
        assert_eq!(broken(action), vec![InvalidRequest, JwtAlgorithmNotAllowed]);
        // An unknown platform has no keys and no settings: 2.1 and 2.4 are not judged, 2.2 is.
        assert_eq!(
            broken(on("windows", "not-a-token")),
            vec![InvalidRequest, JwtMalformed]
        );
        // A user_id of the wrong type is read by rule 1 only, not compared under 2.8.
        let mut typed = on("web", &valid_web());
        typed["user_id"] = json!(123);
        assert_eq!(broken(typed), vec![InvalidRequest]);
        // A token that is not a string is neither a token (rule 2) nor its absence (3 and 4).
        assert_eq!(
            broken(
                json!({"action": "boot", "platform": "web", "user_id": "u-1", "intercom_user_jwt": 42})
            ),
            vec![InvalidRequest]
        );
    }

    /// Rule 2.1 reads the platform's settings and that a token is there, not the token.
    #[test]
    fn rule_2_1_rejects_any_token_where_jwt_is_off() {
        let ios = jwt(json!({"user_id": "u-1"}), K_IOS);
        assert_eq!(broken(on("ios", &ios)), vec![JwtNotEnabled]);
        // ios lists a key, so a one-part token is not judged by 2.4.
        assert_eq!(
            broken(on("ios", "garbage")),
            vec![JwtNotEnabled, JwtMalformed]
        );
    }

    /// Rule 2.2 reads the whole token.
    #[test]
    fn rule_2_2_reads_the_whole_token() {
        // The MAC over the first two segments' text is right; the payload is not JSON.
        let not_json = sign_raw(br#"{"alg":"HS256"}"#, b"not json", K_WEB.as_bytes());
        assert_eq!(broken(on("web", &not_json)), vec![JwtMalformed]);
        // A padded signature does not decode: 2.4 cannot compare it.
        assert_eq!(
            broken(on("web", &format!("{}=", valid_web()))),
            vec![JwtMalformed]
        );
    }

    /// Rule 2.3 reads only the first segment, decoded.
    #[test]
    fn rule_2_3_needs_only_a_decodable_header() {
        let header = b64url_encode(br#"{"alg":"none"}"#);
        // One segment, which is a header: malformed, and its alg is not HS256. (Web has a key,
        // and a one-part token has no signature to compare.)
        assert_eq!(
            broken(on("web", &header)),
            vec![JwtMalformed, JwtAlgorithmNotAllowed]
        );
        let crit = signed(
            json!({"alg": "HS256", "crit": ["exp"]}),
            json!({"user_id": "u-1"}),
            K_WEB,
        );
        assert_eq!(broken(on("web", &crit)), vec![JwtMalformed]);
        let hs384 = signed(json!({"alg": "HS384"}), json!({"user_id": "u-1"}), K_WEB);
        assert_eq!(broken(on("web", &hs384)), vec![JwtAlgorithmNotAllowed]);
    }

    /// Rule 2.4: no key for the platform rejects every token, whatever its shape; otherwise the
    /// MAC over the first two segments as sent.
    #[test]
    fn rule_2_4_no_key_for_the_platform_rejects_every_token() {
        let no_web_key = |w: &mut Value| {
            w["jwt_keys"] = json!([{"id": "k-ios", "secret": K_IOS, "platforms": ["ios"]}]);
        };
        // The issue's example: a two-part token where no key is listed.
        let two_parts = valid_web().rsplit_once('.').unwrap().0.to_string();
        assert_eq!(
            broken_with(no_web_key, on("web", &two_parts)),
            vec![JwtMalformed, JwtSignatureInvalid]
        );
        assert_eq!(
            broken_with(no_web_key, on("web", "")),
            vec![JwtMalformed, JwtSignatureInvalid]
        );
        assert_eq!(
            broken_with(no_web_key, on("web", &valid_web())),
            vec![JwtSignatureInvalid]
        );
        // A key whose secret is empty never verifies: no key that can.
        let empty_key = |w: &mut Value| w["jwt_keys"][0]["secret"] = json!("");
        assert_eq!(
            broken_with(empty_key, on("web", &two_parts)),
            vec![JwtMalformed, JwtSignatureInvalid]
        );
        // Android lists no key and has JWT off: both rules reject.
        let android = jwt(json!({"user_id": "u-1"}), K_WEB);
        assert_eq!(
            broken(on("android", &android)),
            vec![JwtNotEnabled, JwtSignatureInvalid]
        );
        // With a key, a two-part token is not judged by 2.4...
        assert_eq!(broken(on("web", &two_parts)), vec![JwtMalformed]);
        // ...but three segments are MACed as sent: a leading space changes the signed text.
        assert_eq!(
            broken(on("web", &format!(" {}", valid_web()))),
            vec![JwtMalformed, JwtSignatureInvalid]
        );
        assert_eq!(
            broken(on("web", &jwt(json!({"user_id": "u-1"}), K_IOS))),
            vec![JwtSignatureInvalid]
        );
    }

    /// Rules 2.5 to 2.7 read only the second segment, decoded: a two-part token's claims count.
    #[test]
    fn rules_2_5_to_2_7_need_only_a_decodable_payload() {
        let header = b64url_encode(br#"{"alg":"HS256"}"#);
        let two_parts = |claims: Value| format!("{header}.{}", b64url_encode(claims.to_string()));
        assert_eq!(
            broken(on("web", &two_parts(json!({"exp": "soon"})))),
            vec![JwtMalformed, JwtClaimsInvalid, JwtMissingUserId]
        );
        assert_eq!(
            broken(on(
                "web",
                &two_parts(json!({"user_id": "u-1", "exp": NOW - 1, "nbf": NOW + 60}))
            )),
            vec![JwtMalformed, JwtExpired, JwtNotYetValid]
        );
        // Each code of 2.5 on its own, in a well-formed token too.
        let both = jwt(json!({"user_id": "", "email": 7}), K_WEB);
        assert_eq!(
            broken(on("web", &both)),
            vec![JwtClaimsInvalid, JwtMissingUserId]
        );
    }

    /// Rule 2.8 compares the request's identity with the claims that carry one, whatever else
    /// the payload breaks.
    #[test]
    fn rule_2_8_compares_what_the_claims_carry() {
        let mut request = on("web", &jwt(json!({"email": "b@example.com"}), K_WEB));
        request["email"] = json!("a@example.com");
        assert_eq!(
            broken(request.clone()),
            vec![JwtMissingUserId, JwtIdentityMismatch]
        );
        // An absent user_id claim is rule 2.5's, not a mismatch.
        request["email"] = json!("b@example.com");
        request["user_id"] = json!("u-1");
        assert_eq!(broken(request), vec![JwtMissingUserId]);
        let mut other = on("web", &valid_web());
        other["user_id"] = json!("u-2");
        assert_eq!(broken(other), vec![JwtIdentityMismatch]);
    }

    /// Rule 3.1 needs only "no token and an identity" on a platform with JWT on.
    #[test]
    fn rule_3_1_needs_only_no_token_and_an_identity() {
        // Web also enforces identity verification: 3.2 rejects too.
        assert_eq!(
            broken(json!({"action": "boot", "platform": "web", "user_id": "u-1"})),
            vec![UserHashRequired, JwtRequired]
        );
        let valid_hash = user_hash(IDV_WEB, "u-1");
        assert_eq!(
            broken(
                json!({"action": "boot", "platform": "web", "user_id": "u-1", "user_hash": valid_hash})
            ),
            vec![JwtRequired]
        );
        // An empty user_id is rule 1's; the email beside it is an identity.
        assert_eq!(
            broken(
                json!({"action": "boot", "platform": "web", "user_id": "", "email": "a@example.com",
                "user_hash": user_hash(IDV_WEB, "a@example.com")})
            ),
            vec![InvalidRequest, JwtRequired]
        );
    }

    /// Rules 3.2 and 3.3 read the identifier hashed and the user_hash, as if JWT were off.
    #[test]
    fn rules_3_2_and_3_3_read_the_identifier_and_the_hash() {
        assert_eq!(
            broken(json!({"action": "boot", "platform": "ios", "user_id": "u-1"})),
            vec![UserHashRequired]
        );
        assert_eq!(
            broken(
                json!({"action": "boot", "platform": "ios", "user_id": "u-1", "user_hash": user_hash(IDV_IOS, "u-2")})
            ),
            vec![UserHashMismatch]
        );
        // Which identifier a hash is over cannot be read beside a user_id of the wrong type.
        assert_eq!(
            broken(
                json!({"action": "boot", "platform": "ios", "user_id": 1, "email": "a@example.com", "user_hash": "00"})
            ),
            vec![InvalidRequest]
        );
        // A user_hash of the wrong type is neither absent nor comparable.
        assert_eq!(
            broken(json!({"action": "boot", "platform": "ios", "user_id": "u-1", "user_hash": 42})),
            vec![InvalidRequest]
        );
        // Not enforced: a wrong hash is accepted unverified, so 3.3 does not reject.
        let unenforced = |w: &mut Value| {
            w["platforms"]["android"]["identity_verification"]["enforced"] = json!(false)
        };
        assert_eq!(
            broken_with(
                unenforced,
                json!({"action": "boot", "platform": "android", "user_id": "u-1", "user_hash": "00"})
            ),
            vec![]
        );
    }

    /// Rule 4 needs no identifier at all and a user_hash; not the platform.
    #[test]
    fn rule_4_needs_a_hash_and_no_identifier() {
        assert_eq!(
            broken(json!({"action": "boot", "platform": "ios", "user_hash": "00"})),
            vec![MissingIdentifier]
        );
        assert_eq!(
            broken(json!({"action": "boot", "platform": "windows", "user_hash": "00"})),
            vec![InvalidRequest, MissingIdentifier]
        );
        // An empty user_id is not "no user_id": only rule 1 reads it.
        assert_eq!(
            broken(json!({"action": "boot", "platform": "ios", "user_id": "", "user_hash": "00"})),
            vec![InvalidRequest]
        );
    }
}
