//! Recipes: small, shrinkable descriptions of a workspace and a request, and how each becomes a
//! protocol message. Strategies generate recipes; proptest shrinks them; [`build_verify`] and
//! `build_sign` turn them into the exact messages sent.
//!
//! Secrets here are synthetic (`prop-…`), made for generated workspaces only; they are redacted
//! from events like any other secret. cases/fixtures.yaml holds the same values as the
//! `generated` workspace, so a counterexample case names them (by platform and key id) instead of
//! writing them (tests/properties.rs checks that the two agree).

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::{Sha256, Sha384, Sha512};

use crate::contract::{
    IdentityVerification, JwtKey, JwtSettings, Platform, PlatformSettings, VerifyRequest, Workspace,
};
use crate::reference::jws::b64url_encode;
use crate::reference::user_hash::user_hash;

/// Identity verification secrets of the generated workspace, per platform.
pub const IDV_SECRETS: [&str; 3] = [
    "prop-web-idv-secret-1f2e8a4c7d09b3e6",
    "prop-ios-idv-secret-3d4c92f0e17ab85d",
    "prop-android-idv-secret-5b6a0d3e9c4f7182",
];
/// The same platforms' secrets in another workspace (the `TEST` one).
pub const OTHER_WORKSPACE_SECRETS: [&str; 3] = [
    "prop-test-web-idv-secret-7a8b4e1f0c92d6a5",
    "prop-test-ios-idv-secret-9c0d6b2a8e3f5147",
    "prop-test-android-idv-secret-e1f2a7c40b9d3e68",
];
/// The JWT keys a generated workspace picks from. A key it does not list is "rotated out": the
/// same worker may have seen it listed in an earlier request, which is how remembered keys show.
pub const KEY_POOL: [(&str, &str); 4] = [
    ("k1", "prop-jwt-key-1-a1b2c3f4e9d07a6b5c83"),
    ("k2", "prop-jwt-key-2-d4e5f6a0c3b97e18d265"),
    ("k3", "prop-jwt-key-3-a7b8c9e2d5f14b0a6e37"),
    ("k4", "prop-jwt-key-4-d0e1f2b8a6c39d7e4f51"),
];
/// Secrets a careless signer decodes or cleans up: valid hex (32 bytes once decoded), valid
/// base64 (33 bytes), and one with surrounding spaces (trimmed by a signer that "cleans" its
/// configuration). As keys of the `generated` fixture workspace (listed for no platform), a
/// counterexample names them `key:k-hex`, `key:k-base64`, `key:k-padded`.
pub const ENCODED_SECRETS: [(&str, &str); 3] = [
    (
        "k-hex",
        "50a6a8fdaf93f57773efc46548f3791e83414d0a28312fb04b8f8095e997c1ec",
    ),
    ("k-base64", "cHJvcC1zaWduZXItc2VjcmV0LWluLWJhc2U2NC1mb3Jt"),
    ("k-padded", " prop-signer-secret-with-spaces-7c3e9a1f "),
];
/// Attribute names requests and claims draw from; workspaces lock some of them.
pub const ATTRIBUTE_NAMES: [&str; 4] = ["plan", "name", "company", "email"];

pub fn platform(index: usize) -> Platform {
    Platform::ALL[index % 3]
}

pub fn all_secrets() -> Vec<String> {
    IDV_SECRETS
        .iter()
        .chain(OTHER_WORKSPACE_SECRETS.iter())
        .chain(KEY_POOL.iter().map(|(_, s)| s))
        .chain(ENCODED_SECRETS.iter().map(|(_, s)| s))
        .map(|s| s.to_string())
        .collect()
}

#[derive(Debug, Clone)]
pub struct WorkspaceRecipe {
    pub enforced: [bool; 3],
    pub jwt_enabled: [bool; 3],
    /// Pool index and the platforms the key applies to.
    pub keys: Vec<(usize, [bool; 3])>,
    pub locked: Vec<&'static str>,
    pub leeway: i64,
    /// The platforms a key with an empty secret ([`EMPTY_KEY_ID`]) is listed for (none mostly).
    pub empty_key: [bool; 3],
    /// The platforms whose identity verification secret is empty.
    pub empty_idv_secret: [bool; 3],
}

/// The id of the key with an empty secret: listed, but it never verifies (KEY-EMPTY-SECRET).
pub const EMPTY_KEY_ID: &str = "k0";

impl WorkspaceRecipe {
    /// The identity verification secret of platform `p` in this workspace.
    pub fn idv_secret(&self, p: usize) -> &'static str {
        if self.empty_idv_secret[p % 3] {
            ""
        } else {
            IDV_SECRETS[p % 3]
        }
    }

    pub fn build(&self) -> Workspace {
        let platforms = Platform::ALL
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let settings = PlatformSettings {
                    identity_verification: IdentityVerification {
                        secret: self.idv_secret(i).into(),
                        enforced: self.enforced[i],
                    },
                    jwt: JwtSettings {
                        enabled: self.jwt_enabled[i],
                    },
                };
                (*p, settings)
            })
            .collect();
        let mut seen = std::collections::BTreeSet::new();
        let on = |platforms: &[bool; 3]| -> Vec<Platform> {
            Platform::ALL
                .iter()
                .enumerate()
                .filter(|(i, _)| platforms[*i])
                .map(|(_, p)| *p)
                .collect()
        };
        let empty_key = self.empty_key.iter().any(|b| *b).then(|| JwtKey {
            id: EMPTY_KEY_ID.into(),
            secret: String::new(),
            platforms: on(&self.empty_key),
        });
        let jwt_keys = empty_key
            .into_iter()
            .chain(
                self.keys
                    .iter()
                    .filter(|(index, _)| seen.insert(*index))
                    .map(|(index, platforms)| JwtKey {
                        id: KEY_POOL[*index].0.into(),
                        secret: KEY_POOL[*index].1.into(),
                        platforms: on(platforms),
                    }),
            )
            .collect();
        Workspace {
            name: "generated".into(),
            platforms,
            jwt_keys,
            locked_attributes: self.locked.iter().map(|s| s.to_string()).collect(),
            jwt_leeway_seconds: self.leeway,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Identity {
    pub user_id: Option<String>,
    pub email: Option<String>,
}

/// How the `user_hash` of a request is made: right, or one of the documented mistakes.
#[derive(Debug, Clone)]
pub enum HashRecipe {
    Right,
    Missing,
    /// Over the email although a user_id is sent.
    OverEmail,
    /// Over user_id and email joined.
    OverJoined,
    /// With another platform's secret.
    PlatformSecret(usize),
    /// With the other workspace's secret for the same platform.
    OtherWorkspace,
    UpperHex,
    Base64,
    /// Only the first N hex digits.
    Prefix(usize),
    /// Over the identifier trimmed and lowercased (what a normalising verifier would accept).
    Normalised,
    /// The right hash with whitespace around it (one of `HASH_PADDINGS`).
    Padded(usize),
    /// The empty string: a present hash that matches nothing, not a missing one.
    Empty,
}

/// Whitespace a `user_hash` or a token picks up on its way (before, after).
pub const PADDINGS: [(&str, &str); 5] =
    [("", " "), (" ", ""), ("", "\n"), ("\t", "\r\n"), (" ", " ")];

#[derive(Debug, Clone)]
pub struct IdvRecipe {
    pub workspace: WorkspaceRecipe,
    pub platform: usize,
    pub identity: Identity,
    pub hash: HashRecipe,
    pub attributes: BTreeMap<&'static str, String>,
    pub request: RequestExtras,
}

/// What any verify request may also carry: the action, and an attribute with a reserved name.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestExtras {
    /// `update` instead of `boot` (judged the same: REQ-ACTIONS).
    pub update: bool,
    /// An attribute named like a request field (index into `RESERVED_ATTRIBUTES`).
    pub reserved_attribute: Option<usize>,
}

/// Request attribute names rule 1 reserves (REQ-RESERVED-ATTRIBUTES).
pub(crate) use crate::reference::verifier::RESERVED_ATTRIBUTES;

#[derive(Debug, Clone, Copy)]
pub enum Alg {
    Hs256,
    /// `HS256` in another letter case ([`HS256_CASINGS`]), over an HS256 MAC.
    Hs256Cased(usize),
    /// `none` in one of several casings, with an empty signature.
    None(usize),
    Hs384,
    Hs512,
}

#[derive(Debug, Clone, Copy)]
pub enum ClaimUserId {
    Same,
    Missing,
    Empty,
    Number,
}

#[derive(Debug, Clone, Copy)]
pub enum RequestUserId {
    Same,
    Different,
    Absent,
    /// The empty string (`invalid_request`, not a missing user_id).
    Empty,
    /// The claim's user_id in another case, or with a trailing space: another user.
    Respelled,
}

/// The request's `email` beside a token, relative to the user's email (when the user has one).
#[derive(Debug, Clone, Copy)]
pub enum RequestEmail {
    Absent,
    Same,
    /// Another address than the user's (and the claim's, when the token carries it).
    Different,
    /// The user's email in another case: another address.
    Respelled,
    Empty,
}

/// How a time claim is written.
#[derive(Debug, Clone, Copy)]
pub enum TimeForm {
    /// An integer number of seconds.
    Integer,
    /// A quarter of a second after the instant (a fraction, never rounded).
    Fraction,
    /// The integer as a JSON string (`jwt_claims_invalid`).
    NumericString,
    /// 0, the epoch, whatever the offset.
    Epoch,
}

/// How the token's parts are base64-encoded.
#[derive(Debug, Clone, Copy)]
pub enum Encoding {
    /// base64url without padding: the only form this profile accepts.
    Url,
    /// The standard alphabet (`+`, `/`) with `=` padding, MACed as sent.
    Standard,
    /// The standard alphabet without padding, MACed as sent.
    StandardNoPad,
}

#[derive(Debug, Clone, Copy)]
pub enum Kid {
    Absent,
    Signer,
    Pool(usize),
}

/// A change to the finished token.
#[derive(Debug, Clone, Copy)]
pub enum Mutation {
    None,
    /// Replace the character at this position (mod length) by another of the alphabet.
    Replace(usize, usize),
    DropSignature,
    ExtraSegment,
    Pad,
    /// Whitespace around the token (one of [`PADDINGS`]).
    Wrap(usize),
    /// The signature cut to its first N bytes (mod 32).
    CutSignature(usize),
    /// A byte appended to the signature.
    LongerSignature,
}

/// A time relative to `now` (or to `now - leeway` when `from_leeway`).
#[derive(Debug, Clone, Copy)]
pub struct Offset {
    pub from_leeway: bool,
    pub seconds: i64,
}

#[derive(Debug, Clone)]
pub struct JwtRecipe {
    pub workspace: WorkspaceRecipe,
    pub platform: usize,
    pub key: usize,
    pub alg: Alg,
    pub kid: Kid,
    pub identity: Identity,
    pub claim_user_id: ClaimUserId,
    pub claim_email: bool,
    pub claim_attributes: BTreeMap<&'static str, String>,
    pub exp: Option<Offset>,
    pub nbf: Option<Offset>,
    pub request_user_id: RequestUserId,
    pub request_email: RequestEmail,
    pub request_attributes: BTreeMap<&'static str, String>,
    pub stale_user_hash: bool,
    pub mutation: Mutation,
    pub more: JwtExtras,
}

/// The rarer shapes of a token: header members, time claim forms, registered claims, the key.
#[derive(Debug, Clone)]
pub struct JwtExtras {
    /// A `crit` header (index into [`CRITS`]).
    pub crit: Option<usize>,
    pub encoding: Encoding,
    pub exp_form: TimeForm,
    pub nbf_form: TimeForm,
    /// An `iat`, anywhere (it is never checked).
    pub iat: Option<Offset>,
    /// Registered claims (`iss`, `aud`, `sub`, `jti`) the token carries.
    pub registered: Vec<&'static str>,
    /// MACed with the empty secret of the listed key [`EMPTY_KEY_ID`] instead of the pool key.
    pub empty_secret: bool,
    pub request: RequestExtras,
}

impl Default for JwtExtras {
    fn default() -> Self {
        JwtExtras {
            crit: None,
            encoding: Encoding::Url,
            exp_form: TimeForm::Integer,
            nbf_form: TimeForm::Integer,
            iat: None,
            registered: Vec::new(),
            empty_secret: false,
            request: RequestExtras::default(),
        }
    }
}

/// Registered claims a token may carry besides the times.
pub const REGISTERED: [&str; 4] = ["iss", "aud", "sub", "jti"];

/// `crit` headers (with the members they name): none of them is understood by this profile.
pub const CRITS: [&str; 3] = [
    r#"{"crit":["x-tenant"],"x-tenant":"acme"}"#,
    r#"{"crit":[]}"#,
    r#"{"crit":["b64"],"b64":false}"#,
];

/// A verifier sample: either kind of request.
#[derive(Debug, Clone)]
pub enum VerifyRecipe {
    Idv(IdvRecipe),
    Jwt(JwtRecipe),
}

impl VerifyRecipe {
    pub fn workspace(&self) -> &WorkspaceRecipe {
        match self {
            VerifyRecipe::Idv(r) => &r.workspace,
            VerifyRecipe::Jwt(r) => &r.workspace,
        }
    }
}

pub fn build_verify(recipe: &VerifyRecipe, id: &str, now: i64) -> VerifyRequest {
    let (workspace, request) = match recipe {
        VerifyRecipe::Idv(r) => (r.workspace.build(), idv_request(r)),
        VerifyRecipe::Jwt(r) => (r.workspace.build(), jwt_request(r, now)),
    };
    VerifyRequest {
        id: id.into(),
        now,
        workspace,
        request,
    }
}

/// A request's `attributes`. Attributes named like identity fields are a different rule
/// (REQ-RESERVED-ATTRIBUTES): `email` is an attribute name only through locking, never sent as one.
/// [`RequestExtras::reserved_attribute`] adds one, on purpose.
fn request_attributes(
    attributes: &BTreeMap<&'static str, String>,
    extras: &RequestExtras,
) -> Value {
    let mut map: Map<String, Value> = attributes
        .iter()
        .filter(|(k, _)| **k != "email")
        .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
        .collect();
    if let Some(i) = extras.reserved_attribute {
        map.insert(
            RESERVED_ATTRIBUTES[i % RESERVED_ATTRIBUTES.len()].into(),
            json!("x"),
        );
    }
    Value::Object(map)
}

fn action(extras: &RequestExtras) -> Value {
    json!(if extras.update { "update" } else { "boot" })
}

fn idv_request(r: &IdvRecipe) -> Value {
    let platform = platform(r.platform);
    let mut request = Map::new();
    request.insert("action".into(), action(&r.request));
    request.insert("platform".into(), json!(platform.as_str()));
    if let Some(user_id) = &r.identity.user_id {
        request.insert("user_id".into(), json!(user_id));
    }
    if let Some(email) = &r.identity.email {
        request.insert("email".into(), json!(email));
    }
    if let Some(hash) = idv_hash(r) {
        request.insert("user_hash".into(), json!(hash));
    }
    request.insert(
        "attributes".into(),
        request_attributes(&r.attributes, &r.request),
    );
    Value::Object(request)
}

fn idv_hash(r: &IdvRecipe) -> Option<String> {
    let p = r.platform % 3;
    let identifier = r
        .identity
        .user_id
        .clone()
        .or_else(|| r.identity.email.clone())
        .unwrap_or_default();
    let secret = r.workspace.idv_secret(p);
    let hash = match &r.hash {
        HashRecipe::Missing => return None,
        HashRecipe::Right => user_hash(secret, &identifier),
        HashRecipe::OverEmail => {
            user_hash(secret, r.identity.email.as_deref().unwrap_or(&identifier))
        }
        HashRecipe::OverJoined => {
            let joined = format!(
                "{}{}",
                r.identity.user_id.as_deref().unwrap_or(""),
                r.identity.email.as_deref().unwrap_or("")
            );
            user_hash(secret, &joined)
        }
        HashRecipe::PlatformSecret(other) => user_hash(IDV_SECRETS[*other % 3], &identifier),
        HashRecipe::OtherWorkspace => user_hash(OTHER_WORKSPACE_SECRETS[p], &identifier),
        HashRecipe::UpperHex => user_hash(secret, &identifier).to_uppercase(),
        HashRecipe::Base64 => {
            use base64::Engine as _;
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
                .expect("HMAC takes any key length");
            mac.update(identifier.as_bytes());
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        }
        HashRecipe::Prefix(n) => user_hash(secret, &identifier)[..(*n % 63) + 1].to_string(),
        HashRecipe::Normalised => user_hash(secret, &identifier.trim().to_lowercase()),
        HashRecipe::Padded(i) => {
            let (before, after) = PADDINGS[*i % PADDINGS.len()];
            format!("{before}{}{after}", user_hash(secret, &identifier))
        }
        HashRecipe::Empty => String::new(),
    };
    Some(hash)
}

fn time(now: i64, leeway: i64, offset: Offset) -> i64 {
    let base = if offset.from_leeway {
        now - leeway
    } else {
        now
    };
    base + offset.seconds
}

fn mac(alg: Alg, key: &[u8], input: &[u8]) -> Vec<u8> {
    match alg {
        Alg::None(_) => vec![],
        Alg::Hs256 | Alg::Hs256Cased(_) => mac_with::<Hmac<Sha256>>(key, input),
        Alg::Hs384 => mac_with::<Hmac<Sha384>>(key, input),
        Alg::Hs512 => mac_with::<Hmac<Sha512>>(key, input),
    }
}

fn mac_with<M: Mac + hmac::digest::KeyInit>(key: &[u8], input: &[u8]) -> Vec<u8> {
    let mut mac =
        <M as hmac::digest::KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(input);
    mac.finalize().into_bytes().to_vec()
}

const NONE_CASINGS: [&str; 4] = ["none", "None", "NONE", "nOnE"];
/// `HS256` in other cases: not the exact string, so refused (JWT-ALG).
pub const HS256_CASINGS: [&str; 3] = ["hs256", "Hs256", "hS256"];
const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A time claim's value: the instant in the recipe's form.
fn time_value(at: i64, form: TimeForm) -> Value {
    match form {
        TimeForm::Integer => json!(at),
        TimeForm::Fraction => json!(at as f64 + 0.25),
        TimeForm::NumericString => json!(at.to_string()),
        TimeForm::Epoch => json!(0),
    }
}

/// A part in the recipe's encoding.
fn encode(bytes: &[u8], encoding: Encoding) -> String {
    use base64::Engine as _;
    match encoding {
        Encoding::Url => b64url_encode(bytes),
        Encoding::Standard => base64::engine::general_purpose::STANDARD.encode(bytes),
        Encoding::StandardNoPad => base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes),
    }
}

/// The token of a recipe: header, claims, MAC, then the mutation.
pub fn jwt_token(r: &JwtRecipe, now: i64) -> String {
    let (key_id, pool_secret) = KEY_POOL[r.key % KEY_POOL.len()];
    let (key_id, key_secret) = if r.more.empty_secret {
        (EMPTY_KEY_ID, "")
    } else {
        (key_id, pool_secret)
    };
    let alg = match r.alg {
        Alg::Hs256 => "HS256",
        Alg::Hs256Cased(casing) => HS256_CASINGS[casing % HS256_CASINGS.len()],
        Alg::None(casing) => NONE_CASINGS[casing % NONE_CASINGS.len()],
        Alg::Hs384 => "HS384",
        Alg::Hs512 => "HS512",
    };
    let mut header = Map::new();
    header.insert("alg".into(), json!(alg));
    header.insert("typ".into(), json!("JWT"));
    match r.kid {
        Kid::Absent => {}
        Kid::Signer => {
            header.insert("kid".into(), json!(key_id));
        }
        Kid::Pool(i) => {
            header.insert("kid".into(), json!(KEY_POOL[i % KEY_POOL.len()].0));
        }
    }
    if let Some(crit) = r.more.crit {
        let members: Map<String, Value> = serde_json::from_str(CRITS[crit % CRITS.len()])
            .expect("the crit headers are JSON objects");
        header.extend(members);
    }
    let mut claims = Map::new();
    let user_id = r.identity.user_id.clone().unwrap_or_else(|| "u-1".into());
    match r.claim_user_id {
        ClaimUserId::Same => {
            claims.insert("user_id".into(), json!(user_id));
        }
        ClaimUserId::Missing => {}
        ClaimUserId::Empty => {
            claims.insert("user_id".into(), json!(""));
        }
        ClaimUserId::Number => {
            claims.insert("user_id".into(), json!(12345));
        }
    }
    if let (true, Some(email)) = (r.claim_email, &r.identity.email) {
        claims.insert("email".into(), json!(email));
    }
    for (name, value) in &r.claim_attributes {
        if *name != "email" {
            claims.insert(name.to_string(), json!(value));
        }
    }
    for name in &r.more.registered {
        let value = match *name {
            "iss" => json!("https://prop.example"),
            "aud" => json!("prop-messenger"),
            // The user the token is for, as an OpenID Connect subject would name it.
            "sub" => json!(user_id),
            _ => json!("prop-jti-7f3a"),
        };
        claims.insert(name.to_string(), value);
    }
    let leeway = r.workspace.leeway;
    if let Some(exp) = r.exp {
        claims.insert(
            "exp".into(),
            time_value(time(now, leeway, exp), r.more.exp_form),
        );
    }
    if let Some(nbf) = r.nbf {
        claims.insert(
            "nbf".into(),
            time_value(time(now, -leeway, nbf), r.more.nbf_form),
        );
    }
    if let Some(iat) = r.more.iat {
        claims.insert("iat".into(), json!(time(now, 0, iat)));
    }
    let encoding = r.more.encoding;
    let header = encode(Value::Object(header).to_string().as_bytes(), encoding);
    let payload = encode(Value::Object(claims).to_string().as_bytes(), encoding);
    let input = format!("{header}.{payload}");
    let mac = mac(r.alg, key_secret.as_bytes(), input.as_bytes());
    let mac = match r.mutation {
        Mutation::CutSignature(keep) => mac[..keep % mac.len().max(1)].to_vec(),
        Mutation::LongerSignature => [mac, vec![0]].concat(),
        _ => mac,
    };
    let signature = encode(&mac, encoding);
    let token = format!("{input}.{signature}");
    mutate(token, r.mutation)
}

fn mutate(token: String, mutation: Mutation) -> String {
    match mutation {
        Mutation::None | Mutation::CutSignature(_) | Mutation::LongerSignature => token,
        Mutation::Replace(at, with) => {
            let mut bytes = token.into_bytes();
            // Only base64url characters are replaced, by another one: the token keeps its shape.
            let positions: Vec<usize> = (0..bytes.len()).filter(|i| bytes[*i] != b'.').collect();
            let at = positions[at % positions.len()];
            let mut replacement = BASE64URL[with % BASE64URL.len()];
            if replacement == bytes[at] {
                replacement = BASE64URL[(with + 1) % BASE64URL.len()];
            }
            bytes[at] = replacement;
            String::from_utf8(bytes).expect("base64url and dots are ASCII")
        }
        Mutation::DropSignature => token
            .rsplit_once('.')
            .map(|(head, _)| head.to_string())
            .unwrap_or(token),
        Mutation::ExtraSegment => format!("{token}.e30"),
        Mutation::Pad => format!("{token}="),
        Mutation::Wrap(i) => {
            let (before, after) = PADDINGS[i % PADDINGS.len()];
            format!("{before}{token}{after}")
        }
    }
}

/// An identifier spelled differently: another case, or a trailing space.
fn respelled(identifier: &str) -> String {
    let upper = identifier.to_uppercase();
    if upper != identifier {
        upper
    } else {
        format!("{identifier} ")
    }
}

fn jwt_request(r: &JwtRecipe, now: i64) -> Value {
    let mut request = Map::new();
    request.insert("action".into(), action(&r.more.request));
    request.insert("platform".into(), json!(platform(r.platform).as_str()));
    let user_id = r.identity.user_id.clone().unwrap_or_else(|| "u-1".into());
    let request_user_id = match r.request_user_id {
        RequestUserId::Same => Some(user_id),
        RequestUserId::Different => Some(format!("{user_id}-other")),
        RequestUserId::Absent => None,
        RequestUserId::Empty => Some(String::new()),
        RequestUserId::Respelled => Some(respelled(&user_id)),
    };
    if let Some(user_id) = request_user_id {
        request.insert("user_id".into(), json!(user_id));
    }
    let request_email = r
        .identity
        .email
        .as_ref()
        .and_then(|email| match r.request_email {
            RequestEmail::Absent => None,
            RequestEmail::Same => Some(email.clone()),
            RequestEmail::Different => Some(format!("other.{email}")),
            RequestEmail::Respelled => Some(respelled(email)),
            RequestEmail::Empty => Some(String::new()),
        });
    if let Some(email) = request_email {
        request.insert("email".into(), json!(email));
    }
    if r.stale_user_hash {
        request.insert(
            "user_hash".into(),
            json!(user_hash(IDV_SECRETS[r.platform % 3], "someone-else")),
        );
    }
    request.insert("intercom_user_jwt".into(), json!(jwt_token(r, now)));
    request.insert(
        "attributes".into(),
        request_attributes(&r.request_attributes, &r.more.request),
    );
    Value::Object(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::MIN_SECRET_BYTES;

    /// Every secret a property hands an implementation is at least 32 bytes, as the suite's cases
    /// are (KEY-SHORT-SECRET): a verifier or signer whose JWS library refuses shorter HMAC keys
    /// would otherwise fail every property for the key alone. And each is distinct, since reports
    /// redact secrets by value.
    #[test]
    fn property_secrets_are_at_least_32_bytes_and_distinct() {
        let secrets = all_secrets();
        assert_eq!(secrets.len(), 13, "every pool is covered: {secrets:?}");
        for secret in &secrets {
            assert!(
                secret.len() >= MIN_SECRET_BYTES,
                "{secret:?} is {} bytes, under {MIN_SECRET_BYTES}",
                secret.len()
            );
        }
        let distinct: std::collections::BTreeSet<&String> = secrets.iter().collect();
        assert_eq!(distinct.len(), secrets.len(), "{secrets:?}");
        for (i, a) in secrets.iter().enumerate() {
            for b in &secrets[i + 1..] {
                assert!(
                    !a.contains(b.as_str()) && !b.contains(a.as_str()),
                    "{a:?} and {b:?}: one contains the other, so redacting one garbles the other"
                );
            }
        }
    }
}
