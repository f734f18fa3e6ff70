//! The case format: what a `cases/<area>/<topic>.yaml` file may say.
//!
//! A case states intent, not opaque strings: hashes and tokens are templates (`hmac: {over:
//! email, secret: ios}`, JWT `header`/`claims`/`sign`/`tamper`) and times are relative to the
//! case's `now` (`now+3600s`). The loader resolves templates into protocol messages.
//!
//! Conventions, written once here and in the README:
//! - `expect` states the whole verdict; an omitted `identity` means null, an omitted `verified`
//!   means false, omitted `applied`/`dropped` mean empty.
//! - A secret reference is a string: `web`, `ios`, `android` (this workspace's identity
//!   verification secret for that platform), `test/web` (another fixture workspace's),
//!   `key:k-web` (a JWT key's secret, looked up in the step's workspace, then among every key
//!   fixtures.yaml defines, so a key rotated out by a patch still signs),
//!   `literal:some text`, or `empty`.
//! - A time is `now`, `now+90s`, `now-1s`, `now+2m`, `now+1h`, `now+1d`.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::contract::{DropReason, ErrorCode, JwtKey, Platform, SignMode, Workspace};
use crate::spec::Level;

/// `cases/fixtures.yaml`: the named workspaces and the key library, defined once.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    /// Workspaces by name (`production`, `test`, ...), in the protocol's shape.
    pub workspaces: IndexMap<String, Workspace>,
    /// Keys that no workspace lists (rotated out, attacker-made): tokens may still be signed
    /// with them.
    #[serde(default)]
    pub keys: Vec<JwtKey>,
}

/// One case file.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CaseFile {
    /// What the file's cases have in common.
    #[serde(default)]
    pub description: Option<String>,
    pub cases: Vec<Case>,
}

/// A severity a case sets for its own failure (`severity:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseSeverity {
    /// Someone without the platform's secret could be let in or pass as another user.
    Critical,
    /// A rule that protects users does not hold, or real users are locked out.
    Major,
    /// A lenient reading or a wrong detail that lets no one in and locks no one out.
    Minor,
}

/// One conformance case. Exactly one of `request`, `sign` or `steps`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Stable, unique across the suite, never renumbered (e.g. `JWT-ALG-003`).
    pub id: String,
    /// What the case proves, as a sentence.
    pub title: String,
    /// Spec requirement ids (`docs/spec.md`) the case checks.
    pub requirements: Vec<String>,
    pub level: Level,
    /// Free labels for selection and reports, e.g. `attack`, `troubleshooting`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Longer explanation: why the case exists, where the threat comes from.
    #[serde(default)]
    pub note: Option<String>,
    /// The severity of this case's failure, when the one derived from its request is not right
    /// for it (the harness rates an acceptance `critical` only when someone without the
    /// platform's secret could make the request). Needs `severity_reason`; never `critical` on
    /// a `should` or `may` case.
    #[serde(default)]
    pub severity: Option<CaseSeverity>,
    /// Why the case sets its own `severity`: what a failure lets happen.
    #[serde(default)]
    pub severity_reason: Option<String>,
    /// The instant the case happens at, Unix seconds. Default: 1767225600 (2026-01-01T00:00:00Z).
    #[serde(default)]
    pub now: Option<i64>,
    /// Fixture workspace name. Default: `production`.
    #[serde(default)]
    pub workspace: Option<String>,
    /// JSON merge patch (RFC 7396) applied to the fixture workspace for this case. A key of its
    /// `jwt_keys` may leave out `secret`: it takes the secret of the fixture key with its `id`.
    #[serde(default)]
    pub patch: Option<Value>,
    /// A verifier case: the Messenger request.
    #[serde(default)]
    pub request: Option<RequestTemplate>,
    /// A signer case: what the customer's backend is asked to sign.
    #[serde(default)]
    pub sign: Option<SignTemplate>,
    /// The expected answer (with `request` or `sign`).
    #[serde(default)]
    pub expect: Option<Expect>,
    /// A multi-step case: each step runs in order against the same workspace, patched further.
    #[serde(default)]
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// What this step does, e.g. `rotate k-old out`.
    #[serde(default)]
    pub title: Option<String>,
    /// A further merge patch, applied on top of the workspace of the previous step.
    #[serde(default)]
    pub patch: Option<Value>,
    /// Seconds after the case's `now` that this step happens at. Default 0.
    #[serde(default)]
    pub after_seconds: Option<i64>,
    #[serde(default)]
    pub request: Option<RequestTemplate>,
    #[serde(default)]
    pub sign: Option<SignTemplate>,
    pub expect: Expect,
}

/// A Messenger request. Absent fields are left out of the message; use `raw` for explicit
/// nulls, wrong types or unknown fields.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestTemplate {
    /// `boot` (default) or `update`.
    #[serde(default)]
    pub action: Option<String>,
    /// `web` (default), `ios` or `android`.
    #[serde(default)]
    pub platform: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub user_hash: Option<HashTemplate>,
    /// Sent as `intercom_user_jwt`.
    #[serde(default)]
    pub jwt: Option<JwtTemplate>,
    #[serde(default)]
    pub attributes: Option<IndexMap<String, Value>>,
    /// Raw JSON members set last, over everything above (a `null` value sends an explicit null).
    #[serde(default)]
    pub raw: Option<IndexMap<String, Value>>,
}

/// A `user_hash`: computed (`hmac`) or given (`literal`), then optionally re-encoded and edited.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HashTemplate {
    #[serde(default)]
    pub hmac: Option<HmacSpec>,
    #[serde(default)]
    pub literal: Option<String>,
    /// How the 32-byte MAC is written. Default `hex` (lowercase).
    #[serde(default)]
    pub encoding: Option<HashEncoding>,
    /// Edits applied to the encoded text, in order.
    #[serde(default)]
    pub edit: Vec<TextEdit>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HmacSpec {
    /// What the MAC is computed over.
    pub over: Over,
    /// A secret reference (see the module docs): `web`, `test/ios`, `key:k-web`, `literal:x`, `empty`.
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Over {
    /// The request's `user_id` (for signer cases, the user's).
    UserId,
    /// The request's `email`.
    Email,
    /// `user_id` followed directly by `email` (a documented mistake).
    UserIdAndEmail,
    /// Any other text.
    Text(String),
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HashEncoding {
    /// Lowercase hex, 64 characters.
    Hex,
    /// Uppercase hex.
    UpperHex,
    /// Standard base64 with `=` padding.
    Base64,
    /// Base64url without padding.
    Base64url,
}

/// Edits of a text (a hash or a token). An edit that would change nothing (`truncate` to the
/// whole length) is a load error: a case states a change.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TextEdit {
    /// Keep the first N characters.
    Truncate(usize),
    /// Append text.
    Append(String),
    /// Prepend text.
    Prepend(String),
    /// Swap the case of the character at this index, counted from 0 (upper-cases a lowercase
    /// hex digit a-f). A character without case is a load error.
    FlipChar(usize),
}

/// A JWT template. `literal` gives the whole token; otherwise it is built from `header`
/// (merged over `{"alg":"HS256","typ":"JWT"}`; a null removes a member) or `header_raw`, and
/// `claims` or `claims_raw`, signed per `sign` (absent: empty signature), then `tamper`ed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JwtTemplate {
    #[serde(default)]
    pub literal: Option<String>,
    #[serde(default)]
    pub header: Option<IndexMap<String, Value>>,
    /// Header JSON text, byte for byte (duplicate members, odd whitespace). `{{now+10s}}` is replaced by the number.
    #[serde(default)]
    pub header_raw: Option<String>,
    /// Claims; a string value `now±N[smhd]` becomes that instant in integer seconds.
    #[serde(default)]
    pub claims: Option<IndexMap<String, Value>>,
    /// Payload JSON text, byte for byte. `{{now+10s}}` is replaced by the number.
    #[serde(default)]
    pub claims_raw: Option<String>,
    #[serde(default)]
    pub sign: Option<SignWith>,
    #[serde(default)]
    pub tamper: Vec<Tamper>,
}

/// What signs a template token.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignWith {
    /// A JWT key id (the step's workspace keys, then every key of fixtures.yaml).
    #[serde(default)]
    pub key: Option<String>,
    /// A secret reference instead of a key (`web`, `test/web`, `literal:x`, `empty`).
    #[serde(default)]
    pub secret: Option<String>,
    /// The MAC actually computed, whatever the header says. Default HS256.
    #[serde(default)]
    pub alg: Option<MacAlg>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
pub enum MacAlg {
    HS256,
    HS384,
    HS512,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Header,
    Payload,
    Signature,
}

/// Operations on the finished compact token, applied in order. An op that cannot apply (a part
/// the token no longer has, a bit out of range) or would change nothing (padding a part whose
/// length is a multiple of 4, `noncanonical_bits` on such a part, `standard_alphabet` on a part
/// without `-` or `_`) is a load error.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tamper {
    /// Flip one bit of a part's decoded bytes, then re-encode the part canonically. Bit 0 is the
    /// most significant bit of the first byte; -1 the least significant bit of the last.
    FlipBit { part: Part, bit: i64 },
    /// Remove the last N bytes of the decoded signature.
    TruncateSignature(usize),
    /// Keep the trailing dot, empty signature: `h.p.`
    StripSignature,
    /// Two segments: `h.p`
    DropSignature,
    /// A fourth segment: `h.p.s.X`
    AppendSegment(String),
    /// A trailing dot after the signature.
    TrailingDot,
    /// Append `=` padding to a part.
    Pad(Part),
    /// Set the unused low bits of a part's last base64url character (non-canonical encoding): the
    /// part decodes to the same bytes under a lenient decoder. The part's length must not be a
    /// multiple of 4 (an HS256 signature is 43 characters: 2 unused bits).
    NoncanonicalBits(Part),
    /// Re-encode a part with the standard alphabet (`-` becomes `+`, `_` becomes `/`; no padding).
    StandardAlphabet(Part),
    /// Insert text (e.g. a space or newline) into a part at a character index.
    Insert { part: Part, at: usize, text: String },
    /// Replace a part's encoded text entirely.
    ReplacePart { part: Part, with: String },
    /// Turn the token into the flattened JWS JSON serialization,
    /// `{"protected":..,"payload":..,"signature":..}`. Must be the last op.
    JsonSerialization,
}

/// A signer request template.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignTemplate {
    pub mode: SignMode,
    #[serde(default = "default_platform")]
    pub platform: Platform,
    /// A secret reference: `web`, `key:k-web`, ...
    pub secret: String,
    #[serde(default)]
    pub key_id: Option<String>,
    #[serde(default)]
    pub user: SignUser,
    #[serde(default)]
    pub attributes: IndexMap<String, Value>,
    #[serde(default)]
    pub expires_in: Option<i64>,
}

fn default_platform() -> Platform {
    Platform::Web
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUser {
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedOutcome {
    Accepted,
    Rejected,
    Signed,
    Refused,
}

/// The expected answer. For `may` cases, `any_of` lists every conforming answer instead.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub outcome: Option<ExpectedOutcome>,
    /// With `rejected`: the one error code.
    #[serde(default)]
    pub error: Option<ErrorCode>,
    /// With `rejected`: the codes of other rules the request cannot help breaking, which
    /// conform too (CONTRACT.md: a request breaks a rule when a verifier that checked that rule
    /// first, reading only what the rule needs, would reject it). A case breaks one rule: list a
    /// code here only when the request cannot check its rule without breaking another, and say
    /// why in the note.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<ErrorCode>,
    /// With `accepted`. Omitted means false.
    #[serde(default)]
    pub verified: Option<bool>,
    /// With `accepted`. Omitted means null (a visitor or lead).
    #[serde(default)]
    pub identity: Option<ExpectedIdentity>,
    /// Omitted means none.
    #[serde(default)]
    pub applied: Option<IndexMap<String, Value>>,
    /// Omitted means none.
    #[serde(default)]
    pub dropped: Option<IndexMap<String, DropReason>>,
    /// With `signed`, mode `user_hash`: the exact hash.
    #[serde(default)]
    pub user_hash: Option<HashTemplate>,
    /// With `signed`, mode `jwt`: what the token must be.
    #[serde(default)]
    pub jwt: Option<ExpectedJwt>,
    /// A `may` case: every conforming answer.
    #[serde(default)]
    pub any_of: Vec<Expect>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectedIdentity {
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// What a signed token must be: it verifies under `key`'s secret with HS256, its header is
/// `header` (exactly; a listed `kid` may be absent, since the contract makes it optional; `typ`
/// is never listed: every token's `typ` may be absent or "JWT" in any case, and another value
/// fails at should level), and its claims are exactly `claims` (times as `now+Ns`), plus an
/// optional integer `iat`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectedJwt {
    /// A secret reference the token must verify under.
    pub secret: String,
    /// Omitted: `{alg: HS256}`, plus `kid` when the sign request has a `key_id`. Never `typ`.
    #[serde(default)]
    pub header: Option<IndexMap<String, Value>>,
    /// Times as `now+1h`, resolved against the step's `now`.
    pub claims: IndexMap<String, Value>,
}

/// A case's own `severity` is the judge's severity of its failure.
impl From<CaseSeverity> for crate::judge::Severity {
    fn from(severity: CaseSeverity) -> crate::judge::Severity {
        match severity {
            CaseSeverity::Critical => crate::judge::Severity::Critical,
            CaseSeverity::Major => crate::judge::Severity::Major,
            CaseSeverity::Minor => crate::judge::Severity::Minor,
        }
    }
}
