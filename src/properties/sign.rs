//! The signer's generated requests: the recipe, its strategy, and the `sign` message it becomes.
//!
//! Besides ordinary users, the generator reaches what integrators get wrong (docs/wrong-readings
//! signer section): attribute values of every JSON type (numbers, booleans, null, arrays, nested
//! objects, which a signer must copy as they are, not stringify or drop); empty identifiers and
//! an empty secret (refused, never treated as absent); attribute names that are identity or
//! registered claims (refused in `jwt` mode); secrets that look hex- or base64-encoded or carry
//! surrounding spaces (used as their UTF-8 bytes, never decoded or trimmed); lifetimes of zero or
//! less, and one that overflows `now + expires_in`; users with and without email, lifetimes and
//! key ids. Each request is judged against the table of CONTRACT's "Inputs the signer rules
//! leave open" (`Expectation::for_sign_request`): every conforming answer
//! passes, those it rates `should` fail at `should`, anything else at `must`.

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{json, Map, Value};

use super::recipe::{platform, Identity, ENCODED_SECRETS, IDV_SECRETS, KEY_POOL};
use super::strategy::{identifier, EMAILS, USER_IDS};
use crate::contract::{SignMode, SignRequest, User};

/// Ordinary attribute names, then the reserved names a signer refuses, or leaves out of the
/// token, in `jwt` mode.
const ATTRIBUTE_NAMES: [&str; 3] = ["plan", "name", "company"];
const RESERVED_NAMES: [&str; 11] = [
    "user_id",
    "email",
    "exp",
    "iat",
    "nbf",
    "iss",
    "aud",
    "sub",
    "jti",
    "user_hash",
    "intercom_user_jwt",
];

/// Which secret the request carries.
#[derive(Debug, Clone, Copy)]
pub enum SignSecret {
    /// The platform's identity-verification secret (`user_hash`) or the pool key's (`jwt`).
    Pool,
    /// One of [`ENCODED_SECRETS`].
    Encoded(usize),
    /// The empty string: refused (signing under it fails at `should`).
    Empty,
}

#[derive(Debug, Clone)]
pub struct SignRecipe {
    pub mode: SignMode,
    pub platform: usize,
    pub key: usize,
    pub key_id: bool,
    pub secret: SignSecret,
    pub identity: Identity,
    pub attributes: Vec<(String, Value)>,
    pub expires_in: Option<i64>,
}

/// The `sign` message of a recipe.
pub fn build_sign(r: &SignRecipe, id: &str, now: i64) -> SignRequest {
    let platform = platform(r.platform);
    let (key_id, key_secret) = KEY_POOL[r.key % KEY_POOL.len()];
    let secret = match (r.secret, r.mode) {
        (SignSecret::Pool, SignMode::UserHash) => IDV_SECRETS[r.platform % 3],
        (SignSecret::Pool, SignMode::Jwt) => key_secret,
        (SignSecret::Encoded(i), _) => ENCODED_SECRETS[i % ENCODED_SECRETS.len()].1,
        (SignSecret::Empty, _) => "",
    };
    let mut attributes = Map::new();
    for (name, value) in &r.attributes {
        attributes.insert(name.clone(), value.clone());
    }
    SignRequest {
        id: id.into(),
        now,
        mode: r.mode,
        platform,
        secret: secret.into(),
        key_id: (r.key_id && r.mode == SignMode::Jwt).then(|| key_id.to_string()),
        user: User {
            user_id: r.identity.user_id.clone(),
            email: r.identity.email.clone(),
        },
        attributes,
        expires_in: r.expires_in,
    }
}

/// An identifier, or now and then the empty string (refused, or read as absent where the table
/// allows).
fn identifier_or_empty(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![12 => identifier(pool), 1 => Just(String::new())]
}

fn identity() -> impl Strategy<Value = Identity> {
    (
        prop::option::weighted(0.8, identifier_or_empty(USER_IDS)),
        prop::option::weighted(0.7, identifier_or_empty(EMAILS)),
    )
        .prop_map(|(user_id, email)| Identity { user_id, email })
}

/// A JSON value of any type, shrinking towards a one-letter string. Numbers are integers or
/// have a fraction (never an integral float such as `3.0`, which other languages write as `3`).
fn attribute_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        4 => "[a-z]{1,6}".prop_map(Value::String),
        1 => any::<i32>().prop_map(|n| json!(n)),
        1 => (-100_000i32..100_000).prop_map(|n| json!(f64::from(n) + 0.25)),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
        1 => "[ A-Za-z\u{e9}\u{301}\"\\\\/]{0,6}".prop_map(Value::String),
    ];
    // Mostly a scalar at the top, where a signer's type handling shows; now and then a nested
    // array or object (prop_recursive alone would nest nearly every value).
    let nested = leaf.clone().prop_recursive(2, 6, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,4}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    prop_oneof![4 => leaf, 1 => nested]
}

/// Attributes: mostly ordinary names, now and then a reserved one; entries go before values
/// shrink.
fn attributes() -> impl Strategy<Value = Vec<(String, Value)>> {
    let name = prop_oneof![
        10 => select(&ATTRIBUTE_NAMES[..]),
        1 => select(&RESERVED_NAMES[..]),
    ];
    prop::collection::btree_map(name, attribute_value(), 0..4)
        .prop_map(|m| m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

pub fn sign_any() -> impl Strategy<Value = SignRecipe> {
    let mode = prop_oneof![Just(SignMode::UserHash), Just(SignMode::Jwt)];
    let secret = prop_oneof![
        10 => Just(SignSecret::Pool),
        2 => (0..ENCODED_SECRETS.len()).prop_map(SignSecret::Encoded),
        1 => Just(SignSecret::Empty),
    ];
    (
        mode,
        0usize..3,
        0..KEY_POOL.len(),
        any::<bool>(),
        secret,
        identity(),
        attributes(),
        prop::option::weighted(
            0.7,
            prop_oneof![12 => 1i64..=86_400, 1 => -60i64..=0, 1 => Just(i64::MAX)],
        ),
    )
        .prop_map(
            |(mode, platform, key, key_id, secret, identity, attributes, expires_in)| SignRecipe {
                mode,
                platform,
                key,
                key_id,
                secret,
                identity,
                attributes,
                expires_in,
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    /// A property names only requirements of the registry (a counterexample case lists them).
    #[test]
    fn every_property_names_known_requirements() {
        for property in crate::properties::all() {
            for id in property.requirements {
                assert!(crate::spec::find(id).is_some(), "{}: {id}", property.name);
            }
        }
    }

    #[test]
    fn the_reserved_names_are_the_references() {
        use crate::reference::verifier::{REGISTERED_CLAIMS, RESERVED_ATTRIBUTES};
        let ours: std::collections::BTreeSet<&str> = RESERVED_NAMES.into_iter().collect();
        let references = RESERVED_ATTRIBUTES
            .into_iter()
            .chain(REGISTERED_CLAIMS)
            .collect();
        assert_eq!(ours, references);
    }

    /// The generator reaches every class the signer rules single out, in a few hundred samples.
    #[test]
    fn the_generator_reaches_every_signer_class() {
        let mut runner = TestRunner::deterministic();
        let strategy = sign_any();
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..512 {
            let r = strategy.new_tree(&mut runner).unwrap().current();
            let request = build_sign(&r, "s", 0);
            for value in request.attributes.values() {
                seen.insert(match value {
                    Value::Null => "null",
                    Value::Bool(_) => "bool",
                    Value::Number(n) if n.is_f64() => "float",
                    Value::Number(_) => "integer",
                    Value::String(_) => "string",
                    Value::Array(_) => "array",
                    Value::Object(_) => "object",
                });
            }
            if request
                .attributes
                .keys()
                .any(|k| RESERVED_NAMES.contains(&k.as_str()))
            {
                seen.insert("reserved name");
            }
            if request.user.user_id.as_deref() == Some("") {
                seen.insert("empty user_id");
            }
            if request.user.email.as_deref() == Some("") {
                seen.insert("empty email");
            }
            if request.secret.is_empty() {
                seen.insert("empty secret");
            }
            for (id, secret) in ENCODED_SECRETS {
                if secret == request.secret {
                    seen.insert(id);
                }
            }
            if request.expires_in.is_some_and(|e| e <= 0) {
                seen.insert("expires_in <= 0");
            }
            if request.expires_in == Some(i64::MAX) {
                seen.insert("expires_in overflows");
            }
            if request
                .user
                .user_id
                .as_ref()
                .is_some_and(|id| id.len() > 64)
            {
                seen.insert("long user_id");
            }
        }
        for class in [
            "null",
            "bool",
            "float",
            "integer",
            "string",
            "array",
            "object",
            "reserved name",
            "empty user_id",
            "empty email",
            "empty secret",
            "k-hex",
            "k-base64",
            "k-padded",
            "expires_in <= 0",
            "expires_in overflows",
            "long user_id",
        ] {
            assert!(seen.contains(class), "{class} never generated: {seen:?}");
        }
    }

    #[test]
    fn encoded_secrets_decode_and_are_long_enough() {
        use base64::Engine as _;
        let (_, hex) = ENCODED_SECRETS[0];
        assert!(hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
        let (_, b64) = ENCODED_SECRETS[1];
        assert!(base64::engine::general_purpose::STANDARD
            .decode(b64)
            .is_ok());
        assert!(!b64.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(b64.len() >= crate::scenario::MIN_SECRET_BYTES);
    }
}
