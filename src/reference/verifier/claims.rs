//! The claims of a JWT as rule 2 reads them: the registered claims (never attributes), a claim
//! of the wrong type (rule 2.5), and a NumericDate compared exactly. Rule 2 decides with them and
//! `explain` describes them, so they sit below both.

use serde_json::{Number, Value};

use crate::reference::jws::JsonObject;

/// Registered JWT claims (RFC 7519 §4.1): never attributes (rule 2.9).
pub(crate) const REGISTERED_CLAIMS: [&str; 7] = ["exp", "nbf", "iat", "iss", "aud", "sub", "jti"];

/// A claim of the wrong type (rule 2.5).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Mistyped<'c> {
    /// `user_id` or `email` that is not a string (`null` included).
    NotString(&'c str, &'c Value),
    /// `exp` or `nbf` that is not a finite JSON number.
    NotFiniteNumber(&'c str, &'c Value),
    /// Another claim holding a number that overflows a double, which no attribute can hold.
    Overflowing(&'c str),
}

/// The claims of the wrong type, in this order: `user_id`, `email`, `exp`, `nbf`, then the
/// others in the payload's order.
pub(super) fn mistyped_claims(claims: &JsonObject) -> Vec<Mistyped<'_>> {
    let members = &claims.members;
    let mut mistyped = Vec::new();
    for name in ["user_id", "email"] {
        if let Some(v) = members.get(name).filter(|v| !v.is_string()) {
            mistyped.push(Mistyped::NotString(name, v));
        }
    }
    for name in ["exp", "nbf"] {
        if let Some(v) = members.get(name) {
            if claims.overflows(name) || !v.is_number() {
                mistyped.push(Mistyped::NotFiniteNumber(name, v));
            }
        }
    }
    for name in members.keys().filter(|n| !is_identity_or_registered(n)) {
        if claims.overflows_within(name) {
            mistyped.push(Mistyped::Overflowing(name));
        }
    }
    mistyped
}

/// Whether a claim other than `user_id` has the wrong type (rule 2.5's second half, read on its
/// own for [`super::broken_rules`]).
pub(super) fn has_mistyped_claims_besides_user_id(claims: &JsonObject) -> bool {
    mistyped_claims(claims)
        .iter()
        .any(|m| !matches!(m, Mistyped::NotString("user_id", _)))
}

/// `user_id`, `email` and the registered claims: the claims that are not attributes.
pub(super) fn is_identity_or_registered(name: &str) -> bool {
    name == "user_id" || name == "email" || REGISTERED_CLAIMS.contains(&name)
}

/// A finite JSON number as a date: integers stay exact, fractions are allowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum NumericDate {
    Int(i128),
    Float(f64),
}

impl From<&Number> for NumericDate {
    fn from(n: &Number) -> Self {
        if let Some(i) = n.as_i64() {
            NumericDate::Int(i128::from(i))
        } else if let Some(u) = n.as_u64() {
            NumericDate::Int(i128::from(u))
        } else {
            NumericDate::Float(n.as_f64().unwrap_or(f64::NAN))
        }
    }
}

impl NumericDate {
    /// `self <= t`, exactly. For a fraction f and an integer t, f <= t exactly when ceil(f) <= t.
    pub(super) fn at_or_before(self, t: i128) -> bool {
        match self {
            NumericDate::Int(i) => i <= t,
            NumericDate::Float(f) => {
                let c = f.ceil();
                if c >= i128::MAX as f64 {
                    false
                } else if c <= i128::MIN as f64 {
                    true
                } else {
                    (c as i128) <= t
                }
            }
        }
    }
}
