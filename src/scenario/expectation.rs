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
    /// A signer's `signed` answer with exactly this `user_hash`.
    UserHash { user_hash: String },
    /// A signer's `signed` answer with a JWT that verifies under `secret` (HS256), whose header
    /// has exactly `header`'s members (a listed `kid` may be absent: the contract makes it optional), and whose
    /// claims are exactly `claims` plus an optional integer `iat`.
    Jwt {
        #[serde(skip)]
        secret: String,
        header: Object,
        claims: Object,
    },
    /// A signer's `refused` answer.
    Refused,
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
