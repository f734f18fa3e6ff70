//! The reference JWS decoder (`jws::decode_verified`) against the `jsonwebtoken` crate,
//! configured to the profile as adapters/rust/profile_adapter.rs configures it (HS256 only, no
//! required claims, no leeway, no time or audience check: the decoder judges no claim), on
//! well-formed tokens built from structured input: a header and a payload JSON object, a key,
//! signed with HMAC-SHA256, then perhaps spoiled (another key, a flipped or missing signature
//! byte, another `alg`).
//!
//! The two must agree on accept or reject, and on the claims when both accept.
//!
//! Where they differ on purpose, the input cannot go (each by construction, not by ignoring a
//! disagreement):
//!
//! - **duplicate member names, non-canonical base64url, non-JSON or non-object parts, `1e400`**:
//!   the reference rejects them (rule 2.2), jsonwebtoken reads leniently or fails differently.
//!   Every token here is serialised by serde_json from a map (no duplicates, finite numbers) and
//!   encoded canonically.
//! - **`crit`**: the reference refuses any (rule 2.3, the profile understands no extension);
//!   jsonwebtoken parses and ignores it. No header here has one.
//! - **header parameters that are not strings** (`"b64": false`, a numeric `kid`, `jwk`,
//!   `x5c`): jsonwebtoken's `Header` types them (unknown ones are a map of strings) and fails the
//!   header; the profile ignores unknown parameters. Header members here are strings, and never
//!   `jwk`, `x5c` or `crit`.
//! - **`sub`, `iss`, `aud` of another type**: jsonwebtoken reads them into typed fields, and a
//!   value of another type fails its claims reader; the decoder judges no claim. Here they are
//!   strings (`aud` and `iss` also lists of strings).
//! - **an empty key**: the profile says an empty secret verifies nothing (rule 2.4);
//!   jsonwebtoken computes the HMAC with it. Keys here have at least one byte.

use arbitrary::{Arbitrary, Unstructured};
use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use messenger_conformance::reference::jws::{
    b64url_decode_strict, b64url_encode, decode_verified, sign_raw,
};
use serde_json::{Map, Number, Value};

/// Header names jsonwebtoken types as something other than a string, and `crit`.
const NOT_STRING_HEADERS: [&str; 3] = ["jwk", "x5c", "crit"];
/// Claims jsonwebtoken reads into typed fields.
const TYPED_CLAIMS: [&str; 5] = ["exp", "nbf", "sub", "iss", "aud"];

#[derive(Debug, Arbitrary)]
enum Alg {
    Hs256,
    Hs384,
    Hs512,
    None,
    LowerCase,
}

#[derive(Debug, Arbitrary)]
enum Spoil {
    Nothing,
    /// Signed with another key (always another: a byte is appended to the right one).
    OtherKey(Vec<u8>),
    /// One bit of the signature flipped.
    FlipBit(u8),
    /// The signature's last byte dropped.
    Truncate,
    /// An empty signature part.
    NoSignature,
}

#[derive(Debug, Arbitrary)]
pub struct Input {
    alg: Alg,
    header: Vec<(Name, String)>,
    claims: Vec<(Name, Json)>,
    registered: Registered,
    key: Vec<u8>,
    spoil: Spoil,
    /// Whether the header goes first or last in member order.
    alg_last: bool,
}

/// A member name: mostly from the claims and parameters that mean something, or any string.
#[derive(Debug)]
struct Name(String);

impl<'a> Arbitrary<'a> for Name {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        const KNOWN: [&str; 14] = [
            "alg", "typ", "kid", "cty", "jku", "x5u", "user_id", "email", "name", "iat", "jti",
            "exp", "nbf", "b64",
        ];
        Ok(Name(if u.ratio(1, 2)? {
            u.choose(&KNOWN)?.to_string()
        } else {
            String::arbitrary(u)?
        }))
    }
}

/// `exp`, `nbf`, `sub`, `iss`, `aud`, each absent or of the type jsonwebtoken reads.
#[derive(Debug, Arbitrary)]
struct Registered {
    exp: Option<Time>,
    nbf: Option<Time>,
    sub: Option<String>,
    iss: Option<Strings>,
    aud: Option<Strings>,
}

#[derive(Debug, Arbitrary)]
enum Time {
    Whole(u64),
    Fraction(u32, u16),
}

#[derive(Debug, Arbitrary)]
enum Strings {
    One(String),
    Many(Vec<String>),
}

impl Strings {
    fn json(&self) -> Value {
        match self {
            Strings::One(s) => Value::String(s.clone()),
            Strings::Many(list) => list.iter().cloned().map(Value::String).collect(),
        }
    }
}

/// Any JSON value, nesting bounded.
#[derive(Debug)]
struct Json(Value);

impl<'a> Arbitrary<'a> for Json {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        json_value(u, 0).map(Json)
    }
}

fn json_value(u: &mut Unstructured<'_>, depth: usize) -> arbitrary::Result<Value> {
    let choices = if depth >= 8 { 6 } else { 8 };
    Ok(match u.choose_index(choices)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::from(i64::arbitrary(u)?),
        3 => Value::from(u64::arbitrary(u)?),
        4 => Number::from_f64(f64::arbitrary(u)?).map_or(Value::Null, Value::Number),
        5 => Value::String(u.arbitrary()?),
        6 => {
            let len = u.int_in_range(0..=4)?;
            let mut items = Vec::new();
            for _ in 0..len {
                items.push(json_value(u, depth + 1)?);
            }
            Value::Array(items)
        }
        _ => {
            let len = u.int_in_range(0..=4)?;
            let mut members = Map::new();
            for _ in 0..len {
                let Name(name) = Name::arbitrary(u)?;
                members.insert(name, json_value(u, depth + 1)?);
            }
            Value::Object(members)
        }
    })
}

pub fn check(input: Input) {
    let alg = match input.alg {
        Alg::Hs256 => "HS256",
        Alg::Hs384 => "HS384",
        Alg::Hs512 => "HS512",
        Alg::None => "none",
        Alg::LowerCase => "hs256",
    };
    let mut header = Map::new();
    if !input.alg_last {
        header.insert("alg".into(), alg.into());
    }
    for (Name(name), value) in input.header {
        if name != "alg" && !NOT_STRING_HEADERS.contains(&name.as_str()) {
            header.insert(name, Value::String(value));
        }
    }
    if input.alg_last {
        header.insert("alg".into(), alg.into());
    }

    let mut claims = Map::new();
    for (Name(name), Json(value)) in input.claims {
        if !TYPED_CLAIMS.contains(&name.as_str()) {
            claims.insert(name, value);
        }
    }
    let time = |time: &Time| match *time {
        Time::Whole(seconds) => Value::from(seconds),
        Time::Fraction(seconds, fraction) => {
            Value::from(f64::from(seconds) + f64::from(fraction) / 65536.0)
        }
    };
    let registered = &input.registered;
    if let Some(exp) = &registered.exp {
        claims.insert("exp".into(), time(exp));
    }
    if let Some(nbf) = &registered.nbf {
        claims.insert("nbf".into(), time(nbf));
    }
    if let Some(sub) = &registered.sub {
        claims.insert("sub".into(), Value::String(sub.clone()));
    }
    if let Some(iss) = &registered.iss {
        claims.insert("iss".into(), iss.json());
    }
    if let Some(aud) = &registered.aud {
        claims.insert("aud".into(), aud.json());
    }

    let mut key = input.key;
    if key.is_empty() {
        key.push(0);
    }
    let header_json = serde_json::to_vec(&Value::Object(header)).expect("a header");
    let claims_value = Value::Object(claims);
    let claims_json = serde_json::to_vec(&claims_value).expect("claims");

    let token = match &input.spoil {
        Spoil::OtherKey(other) => {
            let mut other = other.clone();
            other.splice(0..0, key.iter().copied());
            other.push(1);
            sign_raw(&header_json, &claims_json, &other)
        }
        _ => sign_raw(&header_json, &claims_json, &key),
    };
    let token = match input.spoil {
        Spoil::Nothing | Spoil::OtherKey(_) => token,
        Spoil::FlipBit(bit) => respell_signature(&token, |signature| {
            let bit = usize::from(bit) % (signature.len() * 8);
            signature[bit / 8] ^= 1 << (bit % 8);
        }),
        Spoil::Truncate => respell_signature(&token, |signature| {
            signature.pop();
        }),
        Spoil::NoSignature => respell_signature(&token, Vec::clear),
    };

    let ours = decode_verified(&token, &key);
    let theirs = decode::<Value>(
        &token,
        &DecodingKey::from_secret(&key),
        &profile_validation(),
    );
    match (&ours, &theirs) {
        (Ok(ours), Ok(theirs)) => {
            assert_eq!(
                Value::Object(ours.claims.members.clone()),
                theirs.claims,
                "the claims differ"
            );
            assert_eq!(
                theirs.claims, claims_value,
                "jsonwebtoken read other claims"
            );
        }
        (Err(_), Err(_)) => {}
        (ours, theirs) => panic!(
            "disagreement on {token}:\n  reference: {:?}\n  jsonwebtoken: {:?}",
            ours.as_ref().map(|_| "accepted"),
            theirs.as_ref().map(|_| "accepted").map_err(|e| e.kind())
        ),
    }
}

/// The token with its signature's bytes changed, still canonical base64url.
fn respell_signature(token: &str, change: impl FnOnce(&mut Vec<u8>)) -> String {
    let (signing_input, signature) = token.rsplit_once('.').expect("three parts");
    let mut bytes = b64url_decode_strict(signature).expect("a canonical signature");
    change(&mut bytes);
    format!("{signing_input}.{}", b64url_encode(bytes))
}

/// jsonwebtoken as profile_adapter.rs configures it, with leeway 0 and the time checks off
/// (the adapter checks `exp` and `nbf` itself, against the injected clock).
fn profile_validation() -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation
}
