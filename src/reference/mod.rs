//! The reference implementation: the executable form of `CONTRACT.md`.
//!
//! - [`verify`] / [`verify_traced`]: the verdict rules 1–5 (`verifier`), with a trace of every
//!   rule evaluated, in order, and why it held or not (the token debugger prints it);
//! - [`sign`]: the signer rules (`signer`);
//! - [`jws`]: a strict JWS compact codec for HS256, with helpers to build broken tokens;
//! - [`user_hash`]: Identity Verification's HMAC and its constant-time check;
//! - `json`: the strict JSON parser behind the codec (duplicate members, overflowing numbers).
//!
//! [`Reference`] names the implementation (its `hello`); `adapter::builtin` runs it in process.

use crate::contract::{Clock, HelloReply, Implementation, Role, PROTOCOL_VERSION};

pub(crate) mod json;
pub mod jws;
pub(crate) mod signer;
pub mod user_hash;
pub(crate) mod verifier;

pub use signer::sign;
pub(crate) use verifier::well_typed;
pub use verifier::{broken_rules, verify, verify_traced};

/// The name the reference gives in `hello`.
pub(crate) const NAME: &str = "messenger-conformance reference";

/// The reference implementation, both roles, deciding with the injected clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reference;

impl Reference {
    /// What the reference answers to `hello`: both roles, the injected clock.
    pub fn hello() -> HelloReply {
        HelloReply {
            protocol: PROTOCOL_VERSION,
            implementation: Implementation {
                name: NAME.to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
            },
            roles: vec![Role::Verifier, Role::Signer],
            clock: Clock::Injected,
            lacks: vec![],
        }
    }
}

/// One rule evaluated by the verifier: which requirement, which CONTRACT rule, whether it held,
/// and why, in words. Details never contain a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// A requirement id from [`requirement`], e.g. `JWT-EXP`.
    pub requirement: &'static str,
    /// The CONTRACT.md rule number, e.g. `2.6`.
    pub rule: &'static str,
    pub holds: bool,
    pub detail: String,
}

/// The requirement ids the verifier's trace uses, in one place. Each is an id of
/// `src/spec/requirements.yaml` (a unit test checks it).
pub mod requirement {
    // Rule 1: the request itself.
    pub(crate) const REQ_SHAPE: &str = "REQ-SHAPE";
    pub(crate) const REQ_RESERVED_ATTRIBUTES: &str = "REQ-RESERVED-ATTRIBUTES";
    // Rule 2: a JWT is present.
    pub(crate) const JWT_ENABLED: &str = "JWT-ENABLED";
    pub(crate) const JWT_FORMAT: &str = "JWT-FORMAT";
    pub(crate) const JWT_BASE64URL_CANONICAL: &str = "JWT-BASE64URL-CANONICAL";
    pub(crate) const JWT_JSON_OBJECT: &str = "JWT-JSON-OBJECT";
    pub(crate) const JWT_DUPLICATE_MEMBERS: &str = "JWT-DUPLICATE-MEMBERS";
    pub(crate) const JWT_ALG: &str = "JWT-ALG";
    pub(crate) const JWT_CRIT: &str = "JWT-CRIT";
    pub(crate) const JWT_SIGNATURE: &str = "JWT-SIGNATURE";
    pub(crate) const KEY_PLATFORM_SCOPE: &str = "KEY-PLATFORM-SCOPE";
    pub(crate) const KEY_ROTATION: &str = "KEY-ROTATION";
    pub(crate) const KEY_EMPTY_SECRET: &str = "KEY-EMPTY-SECRET";
    pub(crate) const KEY_HEADER_INJECTION: &str = "KEY-HEADER-INJECTION";
    pub(crate) const KEY_KID_CHOICE: &str = "KEY-KID-CHOICE";
    pub(crate) const JWT_USER_ID: &str = "JWT-USER-ID";
    pub(crate) const JWT_CLAIM_TYPES: &str = "JWT-CLAIM-TYPES";
    pub(crate) const JWT_EXP: &str = "JWT-EXP";
    pub(crate) const JWT_EXP_OPTIONAL: &str = "JWT-EXP-OPTIONAL";
    pub(crate) const JWT_LEEWAY: &str = "JWT-LEEWAY";
    pub(crate) const JWT_NBF: &str = "JWT-NBF";
    pub(crate) const JWT_IAT_IGNORED: &str = "JWT-IAT-IGNORED";
    pub(crate) const JWT_UNCHECKED_FIELDS: &str = "JWT-UNCHECKED-FIELDS";
    pub(crate) const JWT_IDENTITY_MATCH: &str = "JWT-IDENTITY-MATCH";
    pub(crate) const JWT_IDENTITY_FROM_CLAIMS: &str = "JWT-IDENTITY-FROM-CLAIMS";
    pub(crate) const JWT_USER_HASH_IGNORED: &str = "JWT-USER-HASH-IGNORED";
    // Rule 3: no JWT, a logged-in user.
    pub(crate) const IDV_JWT_REQUIRED: &str = "IDV-JWT-REQUIRED";
    pub(crate) const IDV_ENFORCED: &str = "IDV-ENFORCED";
    pub(crate) const IDV_UNENFORCED: &str = "IDV-UNENFORCED";
    pub(crate) const IDV_PRECEDENCE: &str = "IDV-PRECEDENCE";
    pub(crate) const IDV_PLATFORM_SECRET: &str = "IDV-PLATFORM-SECRET";
    pub(crate) const IDV_HEX_CASE: &str = "IDV-HEX-CASE";
    pub(crate) const IDV_HEX_MIXED_CASE: &str = "IDV-HEX-MIXED-CASE";
    pub(crate) const IDV_MALFORMED_HASH: &str = "IDV-MALFORMED-HASH";
    pub(crate) const IDV_IDENTITY: &str = "IDV-IDENTITY";
    pub(crate) const IDV_EMAIL_UNSIGNED: &str = "IDV-EMAIL-UNSIGNED";
    // Attributes (rules 2.9, 3, 5).
    pub(crate) const ATTR_LOCKED: &str = "ATTR-LOCKED";
    pub(crate) const ATTR_UNLOCKED: &str = "ATTR-UNLOCKED";
    pub(crate) const ATTR_JWT_CLAIMS_APPLIED: &str = "ATTR-JWT-CLAIMS-APPLIED";
    pub(crate) const ATTR_OVERRIDDEN_BY_JWT: &str = "ATTR-OVERRIDDEN-BY-JWT";
    pub(crate) const ATTR_REGISTERED_CLAIMS: &str = "ATTR-REGISTERED-CLAIMS";
    pub(crate) const ATTR_LOCKED_EMAIL: &str = "ATTR-LOCKED-EMAIL";
    // Rules 4 and 5: no identity.
    pub(crate) const VISITOR_HASH_WITHOUT_IDENTIFIER: &str = "VISITOR-HASH-WITHOUT-IDENTIFIER";
    pub(crate) const VISITOR_ANONYMOUS: &str = "VISITOR-ANONYMOUS";

    /// Every id above, in the order of the contract.
    pub const ALL: &[&str] = &[
        REQ_SHAPE,
        REQ_RESERVED_ATTRIBUTES,
        JWT_ENABLED,
        JWT_FORMAT,
        JWT_BASE64URL_CANONICAL,
        JWT_JSON_OBJECT,
        JWT_DUPLICATE_MEMBERS,
        JWT_ALG,
        JWT_CRIT,
        JWT_SIGNATURE,
        KEY_PLATFORM_SCOPE,
        KEY_ROTATION,
        KEY_EMPTY_SECRET,
        KEY_HEADER_INJECTION,
        KEY_KID_CHOICE,
        JWT_USER_ID,
        JWT_CLAIM_TYPES,
        JWT_EXP,
        JWT_EXP_OPTIONAL,
        JWT_LEEWAY,
        JWT_NBF,
        JWT_IAT_IGNORED,
        JWT_UNCHECKED_FIELDS,
        JWT_IDENTITY_MATCH,
        JWT_IDENTITY_FROM_CLAIMS,
        JWT_USER_HASH_IGNORED,
        IDV_JWT_REQUIRED,
        IDV_ENFORCED,
        IDV_UNENFORCED,
        IDV_PRECEDENCE,
        IDV_PLATFORM_SECRET,
        IDV_HEX_CASE,
        IDV_HEX_MIXED_CASE,
        IDV_MALFORMED_HASH,
        IDV_IDENTITY,
        IDV_EMAIL_UNSIGNED,
        ATTR_LOCKED,
        ATTR_UNLOCKED,
        ATTR_JWT_CLAIMS_APPLIED,
        ATTR_OVERRIDDEN_BY_JWT,
        ATTR_REGISTERED_CLAIMS,
        ATTR_LOCKED_EMAIL,
        VISITOR_HASH_WITHOUT_IDENTIFIER,
        VISITOR_ANONYMOUS,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_names_both_roles_and_the_injected_clock() {
        let hello = Reference::hello();
        assert_eq!(hello.protocol, PROTOCOL_VERSION);
        assert_eq!(hello.implementation.name, NAME);
        assert_eq!(hello.roles, [Role::Verifier, Role::Signer]);
        assert_eq!(hello.clock, Clock::Injected);
    }

    #[test]
    fn requirement_ids_are_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for id in requirement::ALL {
            assert!(seen.insert(*id), "{id} listed twice");
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-'),
                "{id}"
            );
        }
    }

    #[test]
    fn requirement_ids_are_in_the_registry() {
        for id in requirement::ALL {
            assert!(
                crate::spec::find(id).is_some(),
                "{id} is not in src/spec/requirements.yaml"
            );
        }
    }
}
