//! Expectations after resolution: what the judge compares an answer with.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::contract::{DropReason, ErrorCode, Identity, Object, Outcome};

/// What a step expects back, with every template and time resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Expectation {
    /// A verifier verdict, stated in full.
    Verdict(ExpectedVerdict),
    /// A `may` case: any of these verdicts conforms.
    AnyOf { verdicts: Vec<ExpectedVerdict> },
    /// A signer's `signed` answer with exactly this `user_hash`. The inputs it was made from
    /// (the user, the platform and the candidate secrets) let a failure say what the signer
    /// hashed instead ([`crate::debug::hash`]); they are not serialized, so reports stay as
    /// they were and secrets never reach them.
    UserHash {
        user_hash: String,
        #[serde(skip)]
        user_id: Option<String>,
        #[serde(skip)]
        email: Option<String>,
        #[serde(skip)]
        platform: Option<crate::contract::Platform>,
        #[serde(skip)]
        secrets: Vec<crate::debug::SecretCandidate>,
    },
    /// A signer's `signed` answer with a JWT that verifies under `secret` (HS256), whose header
    /// has exactly `header`'s members (a listed `kid` may be absent: the contract makes it
    /// optional; `typ` is never compared with `header`: it may be absent or `"JWT"` in any case,
    /// and any other value is a `should`-level problem), and whose claims are exactly `claims`
    /// plus an optional integer `iat`.
    Jwt {
        #[serde(skip)]
        secret: String,
        header: Object,
        claims: Object,
    },
    /// A signer's `refused` answer. The secret the signer was handed lets a failure say what
    /// a `user_hash` it made anyway was computed over (the empty string, say); it is not
    /// serialized.
    Refused {
        #[serde(skip)]
        secret: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExpectedVerdict {
    pub outcome: Outcome,
    pub error: Option<ErrorCode>,
    pub verified: bool,
    pub identity: Option<Identity>,
    pub applied: Object,
    pub dropped: BTreeMap<String, DropReason>,
}
