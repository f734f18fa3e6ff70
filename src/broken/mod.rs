//! Bundled broken implementations: the reference with one realistic bug each.
//!
//! They prove the suite has teeth: every broken implementation must fail at least one case, and one that names
//! a requirement the broken implementation breaks (`tests/broken.rs`). They also give adapter authors and
//! report readers a known-bad target: `messenger-conformance run --broken NAME`.
//!
//! Each broken implementation is a small wrapper around [`crate::reference`], which stays untouched and reads
//! like the spec. A wrapper does one of three things:
//!
//! - changes what the reference is asked: the workspace (one secret for every platform,
//!   enforcement off) or the request (the request's `user_id` replaced by the claim's);
//! - changes what the reference answers (every error code `invalid_request`);
//! - for token and hash bugs, decides one check the buggy way and hands the reference a request
//!   that leads it to the same decision: a token the buggy code would accept (say, expired) is
//!   decoded with the reference's codec, its claims edited (`exp` removed) and re-signed with the
//!   platform key it verified under; a `user_hash` the buggy code would accept is replaced by the
//!   right one, and one it would refuse by a wrong one.
//!
//! Each instance is built fresh per worker ([`factory`]), so a stateful bug (a key cache that
//! never forgets) stays within one worker, as it would within one server process.

use crate::adapter::builtin::{BuiltinFactory, InProcess};
use crate::contract::{
    Clock, FromAdapter, HelloReply, Implementation, Role, SignRequest, Verdict, VerifyRequest,
    PROTOCOL_VERSION,
};
use crate::reference::requirement as req;

mod idv;
mod jwt;
mod keys;
mod request;
mod signer;
mod tools;
mod verdict;

/// One broken implementation: a name, the bug in one line, the requirements it breaks.
pub struct BrokenImplementation {
    /// Kebab case, area first: `idv-...`, `jwt-...`, `key-...`, `attr-...`, `sign-...`.
    pub name: &'static str,
    /// The bug in one line, as an integrator would make it.
    pub summary: &'static str,
    /// Requirement ids (`src/spec/requirements.yaml`) the bug breaks.
    pub breaks: &'static [&'static str],
    bug: Bug,
}

/// The buggy code, in one role: the other role answers with the reference's own code.
enum Bug {
    /// A verifier bug; the signer is the reference's.
    Verifier(fn(&VerifyRequest) -> Verdict),
    /// A signer bug; the verifier is the reference's.
    Signer(fn(&SignRequest) -> FromAdapter),
    /// A verifier bug with a memory, made fresh for each instance; the signer is the
    /// reference's.
    StatefulVerifier(fn() -> Verify),
}

/// A verifier's code, with whatever memory it keeps.
type Verify = Box<dyn FnMut(&VerifyRequest) -> Verdict + Send>;
/// A signer's code, with whatever memory it keeps.
type Sign = Box<dyn FnMut(&SignRequest) -> FromAdapter + Send>;

impl BrokenImplementation {
    /// A fresh instance (stateful broken implementations start with an empty memory).
    pub(crate) fn instance(&self) -> Box<dyn InProcess> {
        let (verify, sign): (Verify, Sign) = match self.bug {
            Bug::Verifier(verify) => (Box::new(verify), Box::new(crate::reference::sign)),
            Bug::Signer(sign) => (Box::new(crate::reference::verify), Box::new(sign)),
            Bug::StatefulVerifier(make) => (make(), Box::new(crate::reference::sign)),
        };
        Box::new(Instance {
            name: self.name,
            verify,
            sign,
        })
    }

    /// The role the bug is in. The other role's answers are the reference's, by construction:
    /// its code is the reference's own.
    pub fn broken_role(&self) -> Role {
        match self.bug {
            Bug::Verifier(_) | Bug::StatefulVerifier(_) => Role::Verifier,
            Bug::Signer(_) => Role::Signer,
        }
    }
}

impl std::fmt::Debug for BrokenImplementation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokenImplementation")
            .field("name", &self.name)
            .field("breaks", &self.breaks)
            .finish_non_exhaustive()
    }
}

/// Every bundled broken implementation, verifier bugs first, then signer bugs.
pub fn all() -> &'static [BrokenImplementation] {
    BROKEN
}

/// The names of [`all`], in order.
pub fn names() -> Vec<&'static str> {
    BROKEN.iter().map(|m| m.name).collect()
}

/// The broken implementation called `name`.
pub fn find(name: &str) -> Option<&'static BrokenImplementation> {
    BROKEN.iter().find(|m| m.name == name)
}

/// A fresh instance of the broken implementation called `name`.
pub fn by_name(name: &str) -> Option<Box<dyn InProcess>> {
    find(name).map(BrokenImplementation::instance)
}

/// A factory that builds one instance of the broken implementation per worker, named `builtin:broken:NAME`.
pub fn factory(name: &str) -> Option<BuiltinFactory> {
    let implementation = find(name)?;
    Some(BuiltinFactory::new(
        format!("broken:{}", implementation.name),
        move || implementation.instance(),
    ))
}

/// An instance: one role's buggy code, the other role's reference code, and the broken
/// implementation's own name in `hello`, so reports say which one ran.
struct Instance {
    name: &'static str,
    verify: Verify,
    sign: Sign,
}

impl InProcess for Instance {
    fn hello(&self) -> HelloReply {
        HelloReply {
            protocol: PROTOCOL_VERSION,
            implementation: Implementation {
                name: format!("broken:{}", self.name),
                version: env!("CARGO_PKG_VERSION").to_string(),
            },
            roles: vec![Role::Verifier, Role::Signer],
            clock: Clock::Injected,
            lacks: vec![],
        }
    }

    fn verify(&mut self, request: &VerifyRequest) -> Verdict {
        (self.verify)(request)
    }

    fn sign(&mut self, request: &SignRequest) -> FromAdapter {
        (self.sign)(request)
    }
}

/// The catalogue. Each summary says the mistake as the integrator made it; the function it
/// points to says how the wrapper reproduces it.
static BROKEN: &[BrokenImplementation] = &[
    // --- Identity Verification (rule 3) ---
    BrokenImplementation {
        name: "idv-hashes-email",
        summary: "checks the user_hash over the email whenever one is sent, even beside a user_id",
        breaks: &[req::IDV_PRECEDENCE],
        bug: Bug::Verifier(idv::hashes_email),
    },
    BrokenImplementation {
        name: "idv-web-secret-everywhere",
        summary: "checks every platform's user_hash with the web secret (one secret for all platforms)",
        breaks: &[req::IDV_PLATFORM_SECRET],
        bug: Bug::Verifier(idv::web_secret_everywhere),
    },
    BrokenImplementation {
        name: "idv-enforcement-ignored",
        summary: "never enforces identity verification: a missing or wrong user_hash is accepted unverified",
        breaks: &[req::IDV_ENFORCED],
        bug: Bug::Verifier(idv::enforcement_ignored),
    },
    BrokenImplementation {
        name: "idv-prefix-compare",
        summary: "compares only as many characters as were sent (strncmp(given, expected, strlen(given))): a truncated or empty user_hash matches",
        breaks: &[req::IDV_MALFORMED_HASH, "IDV-CONSTANT-TIME"],
        bug: Bug::Verifier(idv::prefix_compare),
    },
    BrokenImplementation {
        name: "idv-uppercase-on-mobile",
        summary: "accepts uppercase hex on iOS and Android too (compares case-insensitively everywhere)",
        breaks: &[req::IDV_HEX_CASE],
        bug: Bug::Verifier(idv::uppercase_on_mobile),
    },
    BrokenImplementation {
        name: "idv-normalised-identifier",
        summary: "trims and lowercases the identifier before hashing it (\" Ada@Example.com\" hashed as \"ada@example.com\")",
        breaks: &["IDENT-EXACT-BYTES"],
        bug: Bug::Verifier(idv::normalised_identifier),
    },
    BrokenImplementation {
        name: "idv-jwt-required-ignored",
        summary: "still accepts a user_hash (or nothing) on a platform where JWT is enabled: jwt_required is never enforced",
        breaks: &[req::IDV_JWT_REQUIRED],
        bug: Bug::Verifier(idv::jwt_required_ignored),
    },
    // --- the token itself (rules 2.1, 2.3, 2.4) ---
    BrokenImplementation {
        name: "jwt-not-enabled-accepted",
        summary: "verifies any JWT it is sent, whether or not JWT is enabled on the platform",
        breaks: &[req::JWT_ENABLED],
        bug: Bug::Verifier(jwt::not_enabled_accepted),
    },
    BrokenImplementation {
        name: "jwt-alg-none",
        summary: "accepts an unsigned token whose alg is none in any casing (none, None, NONE, nOnE)",
        breaks: &[req::JWT_ALG],
        bug: Bug::Verifier(jwt::alg_none),
    },
    BrokenImplementation {
        name: "jwt-alg-hs512",
        summary: "accepts HS384 and HS512 tokens MACed with the platform key (algorithms not pinned to HS256)",
        breaks: &[req::JWT_ALG],
        bug: Bug::Verifier(jwt::alg_hs384_hs512),
    },
    // --- keys (rule 2.4) ---
    BrokenImplementation {
        name: "key-any-platform",
        summary: "tries every key in jwt_keys, whatever platforms it is configured for",
        breaks: &[req::KEY_PLATFORM_SCOPE],
        bug: Bug::Verifier(keys::any_platform),
    },
    BrokenImplementation {
        name: "key-kid-selects-any-key",
        summary: "looks the header's kid up among all the workspace's keys, so kid picks a key of another platform",
        breaks: &[req::KEY_HEADER_INJECTION, req::KEY_PLATFORM_SCOPE],
        bug: Bug::Verifier(keys::kid_selects_any_key),
    },
    BrokenImplementation {
        name: "key-rotated-out-remembered",
        summary: "caches every JWT key it has ever been configured with and never evicts one: a rotated-out key still verifies",
        breaks: &[req::KEY_ROTATION],
        bug: Bug::StatefulVerifier(|| {
            let mut keys = keys::RememberingKeys::default();
            Box::new(move |request| keys.verify(request))
        }),
    },
    // --- claims (rules 2.5–2.8) ---
    BrokenImplementation {
        name: "jwt-missing-user-id-fallback",
        summary: "takes the user_id from the request when the token has no user_id claim",
        breaks: &[req::JWT_USER_ID],
        bug: Bug::Verifier(jwt::missing_user_id_fallback),
    },
    BrokenImplementation {
        name: "jwt-exp-ignored",
        summary: "never checks exp: expired tokens are accepted",
        breaks: &[req::JWT_EXP],
        bug: Bug::Verifier(jwt::exp_ignored),
    },
    BrokenImplementation {
        name: "jwt-exp-off-by-one",
        summary: "treats a token as expired only after exp (now > exp): at the very second of exp it is still accepted",
        breaks: &[req::JWT_EXP],
        bug: Bug::Verifier(jwt::exp_off_by_one),
    },
    BrokenImplementation {
        name: "jwt-fixed-leeway",
        summary: "applies a fixed 60 s clock leeway (a JWT library's default) instead of the workspace's jwt_leeway_seconds",
        breaks: &[req::JWT_EXP, req::JWT_LEEWAY, req::JWT_NBF],
        bug: Bug::Verifier(jwt::fixed_leeway),
    },
    BrokenImplementation {
        name: "jwt-exp-required",
        summary: "refuses tokens without exp (a JWT library's required-claims default): exp is optional",
        breaks: &[req::JWT_EXP_OPTIONAL],
        bug: Bug::Verifier(jwt::exp_required),
    },
    BrokenImplementation {
        name: "jwt-nbf-ignored",
        summary: "never checks nbf: a token that is not yet valid is accepted",
        breaks: &[req::JWT_NBF],
        bug: Bug::Verifier(jwt::nbf_ignored),
    },
    BrokenImplementation {
        name: "jwt-identity-mismatch-ignored",
        summary: "takes the identity from the claims without comparing it with the request's user_id and email",
        breaks: &[req::JWT_IDENTITY_MATCH],
        bug: Bug::Verifier(jwt::identity_mismatch_ignored),
    },
    // --- attributes and verdicts ---
    BrokenImplementation {
        name: "attr-locked-from-request",
        summary: "applies locked attributes sent in the request, as if only unlocked ones were checked",
        breaks: &[req::ATTR_LOCKED],
        bug: Bug::Verifier(verdict::locked_from_request),
    },
    BrokenImplementation {
        name: "attr-jwt-claims-ignored",
        summary: "uses the JWT for the identity only: its other claims are never applied as attributes",
        breaks: &[req::ATTR_JWT_CLAIMS_APPLIED, req::ATTR_OVERRIDDEN_BY_JWT],
        bug: Bug::Verifier(verdict::jwt_claims_ignored),
    },
    BrokenImplementation {
        name: "generic-error-codes",
        summary: "answers every rejection with invalid_request",
        breaks: &[
            req::IDV_ENFORCED,
            req::IDV_JWT_REQUIRED,
            req::JWT_ENABLED,
            req::JWT_FORMAT,
            req::JWT_ALG,
            req::JWT_SIGNATURE,
            req::JWT_EXP,
            req::VISITOR_HASH_WITHOUT_IDENTIFIER,
        ],
        bug: Bug::Verifier(verdict::generic_error_codes),
    },
    // --- wrong readings only the rarer shapes reach (issue 10) ---
    BrokenImplementation {
        name: "jwt-standard-base64",
        summary: "decodes the token's parts with a forgiving base64 decoder: the standard alphabet (+, /) and = padding are accepted",
        breaks: &[req::JWT_FORMAT],
        bug: Bug::Verifier(jwt::standard_base64),
    },
    BrokenImplementation {
        name: "jwt-trims-token",
        summary: "trims whitespace around the token before decoding it (a trailing newline from a file is forgiven)",
        breaks: &[req::JWT_FORMAT],
        bug: Bug::Verifier(jwt::trims_token),
    },
    BrokenImplementation {
        name: "jwt-crit-ignored",
        summary: "never reads the crit header: a token requiring extensions the profile does not understand is verified anyway",
        breaks: &[req::JWT_CRIT],
        bug: Bug::Verifier(jwt::crit_ignored),
    },
    BrokenImplementation {
        name: "jwt-alg-case-insensitive",
        summary: "compares alg case-insensitively: hs256 and Hs256 pass as HS256",
        breaks: &[req::JWT_ALG],
        bug: Bug::Verifier(jwt::alg_case_insensitive),
    },
    BrokenImplementation {
        name: "jwt-signature-short-compare",
        summary: "compares the signature only over the bytes both have (min of the lengths): a truncated, empty or lengthened signature verifies",
        breaks: &[req::JWT_SIGNATURE],
        bug: Bug::Verifier(jwt::signature_short_compare),
    },
    BrokenImplementation {
        name: "key-empty-secret-verifies",
        summary: "keys an HMAC with a listed key's empty secret: a token MACed with the empty key, which anyone can make, verifies",
        breaks: &[req::KEY_EMPTY_SECRET, req::JWT_SIGNATURE],
        bug: Bug::Verifier(keys::empty_secret_verifies),
    },
    BrokenImplementation {
        name: "jwt-exp-zero-ignored",
        summary: "checks exp only when it is truthy (if (claims.exp && ...)): exp 0 means the token never expires",
        breaks: &[req::JWT_EXP],
        bug: Bug::Verifier(jwt::exp_zero_ignored),
    },
    BrokenImplementation {
        name: "jwt-dates-truncated",
        summary: "truncates fractional exp and nbf to whole seconds: a token expiring a fraction of a second from now is already expired, and one not valid for a fraction of a second already valid",
        breaks: &[req::JWT_EXP, req::JWT_NBF],
        bug: Bug::Verifier(jwt::dates_truncated),
    },
    BrokenImplementation {
        name: "jwt-numeric-string-dates",
        summary: "reads an exp or nbf written as a numeric string (\"1767229200\") as the number it spells",
        breaks: &[req::JWT_CLAIM_TYPES],
        bug: Bug::Verifier(jwt::numeric_string_dates),
    },
    BrokenImplementation {
        name: "jwt-iat-future-rejected",
        summary: "leaves a JWT library's iat check on: a token issued in the future is refused as not yet valid, though iat is never checked",
        breaks: &[req::JWT_IAT_IGNORED],
        bug: Bug::Verifier(jwt::iat_future_rejected),
    },
    BrokenImplementation {
        name: "jwt-request-email-wins",
        summary: "takes the email from the request when it sends one (request.email || claims.email), never comparing it with the token's",
        breaks: &[req::JWT_IDENTITY_MATCH, req::JWT_IDENTITY_FROM_CLAIMS],
        bug: Bug::Verifier(jwt::request_email_wins),
    },
    BrokenImplementation {
        name: "jwt-user-id-from-sub",
        summary: "takes the user from the sub claim when the token has no user_id (claims.user_id || claims.sub)",
        breaks: &[req::JWT_USER_ID],
        bug: Bug::Verifier(jwt::user_id_from_sub),
    },
    BrokenImplementation {
        name: "jwt-identity-case-insensitive",
        summary: "compares the request's user_id and email with the token's trimmed and lowercased (U-1 matches u-1)",
        breaks: &[req::JWT_IDENTITY_MATCH, "IDENT-EXACT-BYTES"],
        bug: Bug::Verifier(jwt::identity_case_insensitive),
    },
    BrokenImplementation {
        name: "attr-registered-claims-applied",
        summary: "treats only exp and nbf as registered claims: iat, iss, aud, sub and jti are applied as attributes",
        breaks: &[req::ATTR_REGISTERED_CLAIMS],
        bug: Bug::Verifier(verdict::registered_claims_applied),
    },
    BrokenImplementation {
        name: "idv-trims-user-hash",
        summary: "trims whitespace around the user_hash before comparing it",
        breaks: &[req::IDV_MALFORMED_HASH],
        bug: Bug::Verifier(idv::trims_user_hash),
    },
    BrokenImplementation {
        name: "idv-empty-hash-is-missing",
        summary: "reads an empty user_hash as no hash (if (!user_hash)): user_hash_required instead of a mismatch",
        breaks: &[req::IDV_MALFORMED_HASH],
        bug: Bug::Verifier(idv::empty_hash_is_missing),
    },
    BrokenImplementation {
        name: "idv-empty-secret-verifies",
        summary: "keys the user_hash HMAC with an empty secret when none is set: the HMAC under the empty key, which anyone can compute, verifies",
        breaks: &[req::IDV_MALFORMED_HASH],
        bug: Bug::Verifier(idv::empty_secret_verifies),
    },
    BrokenImplementation {
        name: "req-update-unverified",
        summary: "checks identity verification on boot only: an update is trusted as part of the booted session, as if enforcement were off",
        breaks: &["REQ-ACTIONS", req::IDV_ENFORCED],
        bug: Bug::Verifier(request::update_unverified),
    },
    BrokenImplementation {
        name: "req-empty-identifier-as-missing",
        summary: "reads an empty user_id or email as not sent (if (request.user_id)), falling back to the other identifier",
        breaks: &[req::REQ_SHAPE],
        bug: Bug::Verifier(request::empty_identifier_as_missing),
    },
    BrokenImplementation {
        name: "req-reserved-attributes-applied",
        summary: "applies attributes named user_id, email, user_hash or intercom_user_jwt like any other instead of refusing the request",
        breaks: &[req::REQ_RESERVED_ATTRIBUTES],
        bug: Bug::Verifier(request::reserved_attributes_applied),
    },
    // --- signer ---
    BrokenImplementation {
        name: "sign-hash-email",
        summary: "signs the user_hash over the email whenever the user has one, even beside a user_id",
        breaks: &["SIGN-HASH"],
        bug: Bug::Signer(signer::hash_email),
    },
    BrokenImplementation {
        name: "sign-hash-uppercase",
        summary: "writes the user_hash as uppercase hex (iOS and Android refuse it)",
        breaks: &["SIGN-HASH"],
        bug: Bug::Signer(signer::hash_uppercase),
    },
    BrokenImplementation {
        name: "sign-exp-milliseconds",
        summary: "writes exp in milliseconds (Date.now() + expires_in * 1000): the token never expires",
        breaks: &["SIGN-JWT-EXP"],
        bug: Bug::Signer(signer::exp_milliseconds),
    },
    BrokenImplementation {
        name: "sign-drops-exp",
        summary: "leaves exp out of the token even when expires_in is given",
        breaks: &["SIGN-JWT-EXP"],
        bug: Bug::Signer(signer::drops_exp),
    },
    BrokenImplementation {
        name: "sign-drops-attributes",
        summary: "puts only the identity in the token: the attributes are left out",
        breaks: &["SIGN-JWT-CLAIMS"],
        bug: Bug::Signer(signer::drops_attributes),
    },
    BrokenImplementation {
        name: "sign-numeric-user-id",
        summary: "writes a numeric-looking user_id as a JSON number (\"42\" becomes 42)",
        breaks: &["SIGN-JWT-CLAIMS"],
        bug: Bug::Signer(signer::numeric_user_id),
    },
    BrokenImplementation {
        name: "sign-hs512",
        summary: "signs the JWT with HS512 instead of HS256",
        breaks: &["SIGN-JWT-HEADER", "SIGN-JWT-SIGNATURE"],
        bug: Bug::Signer(signer::hs512),
    },
    BrokenImplementation {
        name: "sign-jwt-without-user-id",
        summary: "signs a JWT for a user without user_id, identified by the email alone, instead of refusing",
        breaks: &["SIGN-JWT-USER-ID-REQUIRED"],
        bug: Bug::Signer(signer::jwt_without_user_id),
    },
    BrokenImplementation {
        name: "sign-hash-blank-identifier",
        summary: "signs a user with neither user_id nor email with the HMAC of the empty string instead of refusing",
        breaks: &["SIGN-HASH-NEVER-EMPTY"],
        bug: Bug::Signer(signer::hash_blank_identifier),
    },
    BrokenImplementation {
        name: "sign-typ-jose",
        summary: "writes typ \"JOSE\" in the JWT header: harmless to verifiers, a should-level failure only",
        breaks: &["SIGN-JWT-TYP"],
        bug: Bug::Signer(signer::typ_jose),
    },
    // --- signer: attribute values, identifiers, secrets (issue 10, item 8) ---
    BrokenImplementation {
        name: "sign-stringifies-attributes",
        summary: "writes every attribute value as a string (12 becomes \"12\", true \"true\", null \"null\", an object its JSON text)",
        breaks: &["SIGN-JWT-CLAIMS"],
        bug: Bug::Signer(signer::stringifies_attributes),
    },
    BrokenImplementation {
        name: "sign-drops-null-attributes",
        summary: "leaves attributes whose value is null out of the token (skipped as \"none\" when serialising), so they are never cleared",
        breaks: &["SIGN-JWT-CLAIMS"],
        bug: Bug::Signer(signer::drops_null_attributes),
    },
    BrokenImplementation {
        name: "sign-nested-attributes",
        summary: "puts the attributes under a custom_attributes object, as the REST API takes them, instead of as top-level claims",
        breaks: &["SIGN-JWT-CLAIMS"],
        bug: Bug::Signer(signer::nested_attributes),
    },
    BrokenImplementation {
        name: "sign-empty-identifier-signed",
        summary: "signs an empty user_id as it is (user.user_id ?? user.email): the HMAC of the empty string, a token with user_id \"\"",
        breaks: &["SIGN-EMPTY-USER-ID", "SIGN-HASH-NEVER-EMPTY"],
        bug: Bug::Signer(signer::empty_identifier_signed),
    },
    BrokenImplementation {
        name: "sign-zero-user-id-as-missing",
        summary: "checks the user_id with PHP's empty(), which is true for \"0\": user \"0\" is signed over the email",
        breaks: &["SIGN-HASH"],
        bug: Bug::Signer(signer::zero_user_id_as_missing),
    },
    BrokenImplementation {
        name: "sign-normalised-identifier",
        summary: "trims and lowercases the user_id and email before signing (\" Ada@Example.com\" signed as \"ada@example.com\")",
        breaks: &["SIGN-HASH", "IDENT-EXACT-BYTES", "SIGN-JWT-CLAIMS"],
        bug: Bug::Signer(signer::normalised_identifier),
    },
    BrokenImplementation {
        name: "sign-hex-decoded-secret",
        summary: "hex-decodes a secret that looks like hex and keys the HMAC with the decoded bytes",
        breaks: &["KEY-SECRET-BYTES", "SIGN-HASH", "SIGN-JWT-SIGNATURE"],
        bug: Bug::Signer(signer::hex_decoded_secret),
    },
    BrokenImplementation {
        name: "sign-base64-decoded-secret",
        summary: "base64-decodes a secret that decodes as base64 (a JWT library's \"secret is base64 encoded\" switch) and keys the HMAC with the decoded bytes",
        breaks: &["KEY-SECRET-BYTES", "SIGN-HASH", "SIGN-JWT-SIGNATURE"],
        bug: Bug::Signer(signer::base64_decoded_secret),
    },
    BrokenImplementation {
        name: "sign-exp-float",
        summary: "computes exp from a float clock (time.time() + expires_in): exp is written as 1767229200.0, not an integer",
        breaks: &["SIGN-JWT-EXP"],
        bug: Bug::Signer(signer::exp_float),
    },
    BrokenImplementation {
        name: "sign-exp-string",
        summary: "formats exp into the payload as text: \"exp\": \"1767229200\"",
        breaks: &["SIGN-JWT-EXP"],
        bug: Bug::Signer(signer::exp_string),
    },
    BrokenImplementation {
        name: "sign-reserved-attributes-overwrite",
        summary: "spreads the attributes over the claims ({user_id, email, exp, ...attributes}): an attribute named user_id, email or exp replaces the user's own instead of being refused",
        breaks: &["SIGN-JWT-RESERVED-ATTRIBUTES"],
        bug: Bug::Signer(signer::reserved_attributes_overwrite),
    },
    BrokenImplementation {
        name: "sign-null-email-claim",
        summary: "writes \"email\": null into the token for a user without email instead of leaving the claim out",
        breaks: &["SIGN-JWT-CLAIMS"],
        bug: Bug::Signer(signer::null_email_claim),
    },
    BrokenImplementation {
        name: "sign-empty-secret",
        summary: "signs with an empty secret (an unset environment variable read as \"\") instead of refusing",
        breaks: &["SIGN-EMPTY-SECRET"],
        bug: Bug::Signer(signer::empty_secret_signed),
    },
    BrokenImplementation {
        name: "sign-trimmed-secret",
        summary: "trims the secret before using it (secret.strip()): a secret with surrounding spaces keys the HMAC without them",
        breaks: &["KEY-SECRET-BYTES", "SIGN-HASH", "SIGN-JWT-SIGNATURE"],
        bug: Bug::Signer(signer::trimmed_secret),
    },
    BrokenImplementation {
        name: "sign-kid-default",
        summary: "writes kid \"default\" in the header when no key_id is given (a JWT library's configured default key id)",
        breaks: &["SIGN-JWT-HEADER"],
        bug: Bug::Signer(signer::kid_default),
    },
    BrokenImplementation {
        name: "sign-default-exp",
        summary: "adds a one-hour exp when no expires_in is given (a JWT library's expiresIn default)",
        breaks: &["SIGN-JWT-EXP"],
        bug: Bug::Signer(signer::default_exp),
    },
    BrokenImplementation {
        name: "sign-exp-relative",
        summary: "writes the lifetime itself as exp ({\"exp\": 3600}): the token expired in 1970",
        breaks: &["SIGN-JWT-EXP"],
        bug: Bug::Signer(signer::exp_relative),
    },
    BrokenImplementation {
        name: "sign-exp-saturating",
        summary: "clamps exp when now + expires_in overflows (saturating add) instead of refusing: a token that never expires",
        breaks: &["SIGN-JWT-LIFETIME-RANGE"],
        bug: Bug::Signer(signer::exp_saturating),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for implementation in all() {
            assert!(
                seen.insert(implementation.name),
                "{} listed twice",
                implementation.name
            );
            assert!(
                implementation
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                implementation.name
            );
            assert!(
                !implementation.summary.is_empty() && !implementation.breaks.is_empty(),
                "{}",
                implementation.name
            );
        }
        assert!(all().len() >= 24);
    }

    #[test]
    fn every_broken_requirement_is_in_the_registry() {
        for implementation in all() {
            for id in implementation.breaks {
                assert!(
                    crate::spec::find(id).is_some(),
                    "{}: {id} is not in src/spec/requirements.yaml",
                    implementation.name
                );
            }
        }
    }

    #[test]
    fn lookups_agree() {
        assert_eq!(names().len(), all().len());
        for name in names() {
            assert_eq!(
                by_name(name).unwrap().hello().implementation.name,
                format!("broken:{name}")
            );
            assert!(factory(name).is_some());
        }
        assert!(by_name("nosuch").is_none());
        assert!(factory("nosuch").is_none());
    }
}
