//! The wire types of adapter protocol v1 (`../shared/CONTRACT.md`), and their JSON Schema.
//!
//! Two directions, two enums: [`ToAdapter`] is what the harness sends, [`FromAdapter`] what an
//! implementation answers. Answers tolerate unknown fields (the contract grows only by optional
//! fields); everything else about them is strict, because a message that does not parse is an
//! adapter error, never a pass.
//!
//! The `request` of a `verify` message is kept as raw JSON: conformance cases must be able to
//! send fields of the wrong type (rule 1), which a typed struct could not carry.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub mod schema;

/// The protocol version this harness speaks.
pub(crate) const PROTOCOL_VERSION: u32 = 1;

/// A JSON object, in insertion order.
pub(crate) type Object = Map<String, Value>;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Web,
    Ios,
    Android,
}

impl Platform {
    pub(crate) const ALL: [Platform; 3] = [Platform::Web, Platform::Ios, Platform::Android];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Platform::Web => "web",
            Platform::Ios => "ios",
            Platform::Android => "android",
        }
    }

    pub fn parse(s: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Verifier,
    Signer,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Verifier => "verifier",
            Role::Signer => "signer",
        }
    }
}

/// Whether an implementation decides with the `now` it is sent or with its own clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Clock {
    Injected,
    System,
}

impl Clock {
    /// `injected` or `system`, as the protocol spells it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Clock::Injected => "injected",
            Clock::System => "system",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Implementation {
    pub name: String,
    pub version: String,
}

// ---------------------------------------------------------------------------------------------
// Workspace settings
// ---------------------------------------------------------------------------------------------

/// One workspace's security settings (test or production each have their own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Workspace {
    pub name: String,
    pub platforms: BTreeMap<Platform, PlatformSettings>,
    #[serde(default)]
    pub jwt_keys: Vec<JwtKey>,
    #[serde(default)]
    pub locked_attributes: Vec<String>,
    #[serde(default)]
    pub jwt_leeway_seconds: i64,
}

impl Workspace {
    pub(crate) fn platform(&self, platform: Platform) -> Option<&PlatformSettings> {
        self.platforms.get(&platform)
    }

    /// Every secret this workspace holds, for redaction.
    pub fn secrets(&self) -> Vec<&str> {
        let idv = self
            .platforms
            .values()
            .map(|p| p.identity_verification.secret.as_str());
        let keys = self.jwt_keys.iter().map(|k| k.secret.as_str());
        idv.chain(keys).filter(|s| !s.is_empty()).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformSettings {
    pub identity_verification: IdentityVerification,
    pub jwt: JwtSettings,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityVerification {
    pub secret: String,
    pub enforced: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JwtSettings {
    pub enabled: bool,
}

/// A JWT signing key and the platforms it applies to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JwtKey {
    pub id: String,
    pub secret: String,
    pub platforms: Vec<Platform>,
}

// ---------------------------------------------------------------------------------------------
// Harness → adapter
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToAdapter {
    Hello(HelloRequest),
    Verify(VerifyRequest),
    Sign(SignRequest),
    Bye,
}

impl ToAdapter {
    /// The request id, for messages that carry one.
    pub(crate) fn id(&self) -> Option<&str> {
        match self {
            ToAdapter::Verify(v) => Some(&v.id),
            ToAdapter::Sign(s) => Some(&s.id),
            ToAdapter::Hello(_) | ToAdapter::Bye => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HelloRequest {
    pub protocol: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VerifyRequest {
    pub id: String,
    /// Unix seconds; the instant the implementation decides at (clock `injected`).
    pub now: i64,
    pub workspace: Workspace,
    /// The Messenger request as raw JSON: `action`, `platform`, `user_id`, `email`, `user_hash`,
    /// `intercom_user_jwt`, `attributes`. Raw because cases send ill-typed fields on purpose.
    pub request: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignMode {
    UserHash,
    Jwt,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SignRequest {
    pub id: String,
    pub now: i64,
    pub mode: SignMode,
    pub platform: Platform,
    pub secret: String,
    #[serde(default)]
    pub key_id: Option<String>,
    pub user: User,
    #[serde(default)]
    pub attributes: Object,
    #[serde(default)]
    pub expires_in: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct User {
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Adapter → harness
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromAdapter {
    Hello(HelloReply),
    Verdict(Verdict),
    Signed(Signed),
    Refused(Refused),
    Unsupported(Unsupported),
}

impl FromAdapter {
    pub(crate) fn id(&self) -> Option<&str> {
        match self {
            FromAdapter::Hello(_) => None,
            FromAdapter::Verdict(v) => Some(&v.id),
            FromAdapter::Signed(s) => Some(&s.id),
            FromAdapter::Refused(r) => Some(&r.id),
            FromAdapter::Unsupported(u) => Some(&u.id),
        }
    }

    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            FromAdapter::Hello(_) => "hello",
            FromAdapter::Verdict(_) => "verdict",
            FromAdapter::Signed(_) => "signed",
            FromAdapter::Refused(_) => "refused",
            FromAdapter::Unsupported(_) => "unsupported",
        }
    }

    /// The implementation's free-text message, if the answer carries one.
    pub(crate) fn message(&self) -> Option<&str> {
        match self {
            FromAdapter::Verdict(v) => v.message.as_deref(),
            FromAdapter::Refused(r) => Some(&r.message),
            FromAdapter::Unsupported(u) => Some(&u.message),
            FromAdapter::Hello(_) | FromAdapter::Signed(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HelloReply {
    pub protocol: u32,
    pub implementation: Implementation,
    pub roles: Vec<Role>,
    pub clock: Clock,
    /// What the implementation declares it cannot do within the roles it offers (optional;
    /// absent or empty: nothing beyond `roles` and `clock`). The harness does not send a request
    /// that needs a declared lack, and skips its case with that reason. An `unsupported` answer
    /// to any request it does send is a skip `hello` did not declare, which fails the gate for a
    /// `must` case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lacks: Vec<Capability>,
}

/// A capability that an implementation offering a role may lack, and say so in `hello`
/// (`lacks`). Few on purpose: each is something a real implementation cannot do for a reason
/// outside its conformance, so that skipping what needs it is honest, and nothing else may be
/// skipped on the implementation's word.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// `sign` with `mode: user_hash`. The vendor's migration guide has integrations "generate
    /// JWTs instead of hashes": a backend that has migrated, or was written after JWTs, may keep
    /// no user_hash code at all.
    SignUserHash,
    /// `sign` with `mode: jwt`. Hash-only signers written before Messenger security JWTs existed
    /// (Flask-Intercom, django-intercom) cannot make a token.
    SignJwt,
    /// `verify` of a request whose fields do not have their contract's JSON types (an unknown
    /// or missing `platform` or `action`, a number where a string belongs, `attributes` that are
    /// not an object). An implementation tested through typed values, such as a Rust service
    /// in process (`service::Service`), never receives such a request: its own
    /// deserialisation decides them, and only a test over exec or http reaches it.
    IllTypedRequests,
}

impl Capability {
    /// Every capability, in the protocol's order.
    pub const ALL: [Capability; 3] = [
        Capability::SignUserHash,
        Capability::SignJwt,
        Capability::IllTypedRequests,
    ];

    /// The protocol's name: `sign_user_hash`, `sign_jwt`, `ill_typed_requests`.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::SignUserHash => "sign_user_hash",
            Capability::SignJwt => "sign_jwt",
            Capability::IllTypedRequests => "ill_typed_requests",
        }
    }

    /// In words, for skip reasons and reports.
    pub fn describe(self) -> &'static str {
        match self {
            Capability::SignUserHash => "user_hash signing",
            Capability::SignJwt => "JWT signing",
            Capability::IllTypedRequests => {
                "reading ill-typed requests (a field without its contract's JSON type)"
            }
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Accepted,
    Rejected,
}

impl Outcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Rejected => "rejected",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Verdict {
    pub id: String,
    pub outcome: Outcome,
    pub verified: bool,
    pub identity: Option<Identity>,
    #[serde(default)]
    pub error: Option<ErrorCode>,
    #[serde(default)]
    pub attributes: Attributes,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Identity {
    pub user_id: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Attributes {
    #[serde(default)]
    pub applied: Object,
    #[serde(default)]
    pub dropped: BTreeMap<String, DropReason>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Signed {
    pub id: String,
    #[serde(default)]
    pub user_hash: Option<String>,
    #[serde(default)]
    pub jwt: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Refused {
    pub id: String,
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Unsupported {
    pub id: String,
    #[serde(default)]
    pub message: String,
}

/// The closed list of rejection codes (v1).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    MissingIdentifier,
    UserHashRequired,
    UserHashMismatch,
    JwtNotEnabled,
    JwtRequired,
    JwtMalformed,
    JwtAlgorithmNotAllowed,
    JwtSignatureInvalid,
    JwtClaimsInvalid,
    JwtMissingUserId,
    JwtExpired,
    JwtNotYetValid,
    JwtIdentityMismatch,
}

impl ErrorCode {
    pub(crate) const ALL: [ErrorCode; 14] = [
        ErrorCode::InvalidRequest,
        ErrorCode::MissingIdentifier,
        ErrorCode::UserHashRequired,
        ErrorCode::UserHashMismatch,
        ErrorCode::JwtNotEnabled,
        ErrorCode::JwtRequired,
        ErrorCode::JwtMalformed,
        ErrorCode::JwtAlgorithmNotAllowed,
        ErrorCode::JwtSignatureInvalid,
        ErrorCode::JwtClaimsInvalid,
        ErrorCode::JwtMissingUserId,
        ErrorCode::JwtExpired,
        ErrorCode::JwtNotYetValid,
        ErrorCode::JwtIdentityMismatch,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::MissingIdentifier => "missing_identifier",
            ErrorCode::UserHashRequired => "user_hash_required",
            ErrorCode::UserHashMismatch => "user_hash_mismatch",
            ErrorCode::JwtNotEnabled => "jwt_not_enabled",
            ErrorCode::JwtRequired => "jwt_required",
            ErrorCode::JwtMalformed => "jwt_malformed",
            ErrorCode::JwtAlgorithmNotAllowed => "jwt_algorithm_not_allowed",
            ErrorCode::JwtSignatureInvalid => "jwt_signature_invalid",
            ErrorCode::JwtClaimsInvalid => "jwt_claims_invalid",
            ErrorCode::JwtMissingUserId => "jwt_missing_user_id",
            ErrorCode::JwtExpired => "jwt_expired",
            ErrorCode::JwtNotYetValid => "jwt_not_yet_valid",
            ErrorCode::JwtIdentityMismatch => "jwt_identity_mismatch",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    LockedAttribute,
    OverriddenByJwt,
}

impl DropReason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DropReason::LockedAttribute => "locked_attribute",
            DropReason::OverriddenByJwt => "overridden_by_jwt",
        }
    }
}

impl Verdict {
    /// A rejection in the contract's shape: not verified, no identity, no attributes.
    pub fn rejected(
        id: impl Into<String>,
        error: ErrorCode,
        message: impl Into<String>,
    ) -> Verdict {
        Verdict {
            id: id.into(),
            outcome: Outcome::Rejected,
            verified: false,
            identity: None,
            error: Some(error),
            attributes: Attributes::default(),
            message: Some(message.into()),
        }
    }
}
