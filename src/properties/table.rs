//! The properties: each one's name, what it asserts, the requirements it covers, and the requests
//! it generates. How a property runs is in `mod.rs`; a counterexample names its file after it.

use proptest::strategy::{BoxedStrategy, Strategy};

use crate::contract::Role;

use super::recipe::{self, VerifyRecipe};
use super::sign::{self, SignRecipe};
use super::strategy;

/// What a property checks beyond agreeing with the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Invariant {
    /// Only agreement with the reference.
    None,
    /// The request must be refused whatever the reference says (a changed token).
    MustReject,
    /// No locked attribute is ever applied (no request of this property carries a JWT).
    LockedNeverApplied,
    /// The same request twice gets the same verdict.
    Deterministic,
}

pub(super) enum Generator {
    Verify(fn() -> BoxedStrategy<VerifyRecipe>),
    Sign(fn() -> BoxedStrategy<SignRecipe>),
}

/// One named property.
pub struct Property {
    pub name: &'static str,
    /// What it asserts, as a sentence.
    pub title: &'static str,
    pub requirements: &'static [&'static str],
    pub role: Role,
    /// Whether it needs the implementation to decide at the injected `now` (times near `exp`).
    pub needs_exact_instant: bool,
    pub(super) invariant: Invariant,
    pub(super) generator: Generator,
}

fn idv_requests() -> BoxedStrategy<VerifyRecipe> {
    strategy::idv_any().prop_map(VerifyRecipe::Idv).boxed()
}

fn changed_tokens() -> BoxedStrategy<VerifyRecipe> {
    use proptest::prelude::*;
    (strategy::jwt_valid(), any::<usize>(), any::<usize>())
        .prop_map(|(mut r, at, with)| {
            r.mutation = recipe::Mutation::Replace(at, with);
            VerifyRecipe::Jwt(r)
        })
        .boxed()
}

fn time_window_tokens() -> BoxedStrategy<VerifyRecipe> {
    use proptest::prelude::*;
    let near = (any::<bool>(), -3i64..=3).prop_map(|(from_leeway, seconds)| recipe::Offset {
        from_leeway,
        seconds,
    });
    // Integer seconds mostly; a fraction a quarter second past the instant now and then (it is
    // never rounded either way), and an exp of 0.
    let form = || {
        prop_oneof![
            6 => Just(recipe::TimeForm::Integer),
            3 => Just(recipe::TimeForm::Fraction),
            1 => Just(recipe::TimeForm::Epoch),
        ]
    };
    // `iat` anywhere, the future included: it is never checked.
    let iat = prop_oneof![
        (-3i64..=3).prop_map(|seconds| recipe::Offset {
            from_leeway: false,
            seconds
        }),
        (60i64..=86_400).prop_map(|seconds| recipe::Offset {
            from_leeway: false,
            seconds
        }),
    ];
    (
        strategy::jwt_valid(),
        proptest::option::of(near.clone()),
        proptest::option::weighted(0.3, near),
        (form(), form(), proptest::option::weighted(0.3, iat)),
    )
        .prop_map(|(mut r, exp, nbf, (exp_form, nbf_form, iat))| {
            r.exp = exp;
            r.nbf = nbf;
            r.more.exp_form = exp_form;
            r.more.nbf_form = nbf_form;
            r.more.iat = iat;
            VerifyRecipe::Jwt(r)
        })
        .boxed()
}

fn single_fault_tokens() -> BoxedStrategy<VerifyRecipe> {
    strategy::jwt_single_fault()
        .prop_map(VerifyRecipe::Jwt)
        .boxed()
}

fn jwt_requests() -> BoxedStrategy<VerifyRecipe> {
    strategy::jwt_any().prop_map(VerifyRecipe::Jwt).boxed()
}

/// Any request, its time claims far from where a verdict flips: the same request gets the same
/// verdict whenever it is sent, so the property needs no exact instant (runs under `clock:
/// system` too).
fn any_requests() -> BoxedStrategy<VerifyRecipe> {
    strategy::verify_any()
        .prop_map(strategy::far_from_edges)
        .boxed()
}

fn sign_requests() -> BoxedStrategy<SignRecipe> {
    sign::sign_any().boxed()
}

static PROPERTIES: [Property; 8] = [
    Property {
        name: "idv-hash",
        title: "a user_hash over the right identifier with the platform's own secret is accepted; any other hash is refused where enforced",
        requirements: &["IDV-PRECEDENCE", "IDV-PLATFORM-SECRET", "IDV-WORKSPACE-SECRET", "IDV-HEX-CASE", "IDV-MALFORMED-HASH", "IDV-ENFORCED", "IDV-UNENFORCED", "IDENT-EXACT-BYTES"],
        role: Role::Verifier,
        needs_exact_instant: false,
        invariant: Invariant::None,
        generator: Generator::Verify(idv_requests),
    },
    Property {
        name: "jwt-one-character-changed",
        title: "changing any one character of a valid token gets it refused",
        requirements: &["JWT-SIGNATURE", "JWT-FORMAT"],
        role: Role::Verifier,
        needs_exact_instant: false,
        invariant: Invariant::MustReject,
        generator: Generator::Verify(changed_tokens),
    },
    Property {
        name: "jwt-time-window",
        title: "a token is refused from its exp on and before its nbf, and accepted in between, per the leeway",
        requirements: &["JWT-EXP", "JWT-NBF", "JWT-LEEWAY", "JWT-EXP-OPTIONAL"],
        role: Role::Verifier,
        needs_exact_instant: true,
        invariant: Invariant::None,
        generator: Generator::Verify(time_window_tokens),
    },
    Property {
        name: "jwt-differential",
        title: "for tokens right and wrong in every way (alg, key, platform, claims, times, identity), the verdict is the reference's",
        requirements: &["JWT-ALG", "JWT-SIGNATURE", "KEY-PLATFORM-SCOPE", "KEY-ROTATION", "JWT-USER-ID", "JWT-CLAIM-TYPES", "JWT-IDENTITY-MATCH", "JWT-ENABLED", "ATTR-JWT-CLAIMS-APPLIED"],
        role: Role::Verifier,
        needs_exact_instant: true,
        invariant: Invariant::None,
        generator: Generator::Verify(jwt_requests),
    },
    Property {
        name: "jwt-single-fault",
        title: "a valid token with one thing wrong or unusual (alg case, crit, base64 alphabet, whitespace, signature length, empty key, time claim form, iat, registered claims, request identity, reserved attribute, update) gets the reference's verdict",
        requirements: &["JWT-FORMAT", "JWT-ALG", "JWT-CRIT", "JWT-SIGNATURE", "KEY-EMPTY-SECRET", "JWT-CLAIM-TYPES", "JWT-EXP", "JWT-NBF", "JWT-IAT-IGNORED", "JWT-UNCHECKED-FIELDS", "ATTR-REGISTERED-CLAIMS", "JWT-USER-ID", "JWT-IDENTITY-MATCH", "JWT-IDENTITY-FROM-CLAIMS", "IDENT-EXACT-BYTES", "REQ-SHAPE", "REQ-RESERVED-ATTRIBUTES", "REQ-ACTIONS"],
        role: Role::Verifier,
        needs_exact_instant: false,
        invariant: Invariant::None,
        generator: Generator::Verify(single_fault_tokens),
    },
    Property {
        name: "locked-attributes-need-jwt",
        title: "without a JWT, a locked attribute is never applied, whatever the hash",
        requirements: &["ATTR-LOCKED", "ATTR-UNLOCKED"],
        role: Role::Verifier,
        needs_exact_instant: false,
        invariant: Invariant::LockedNeverApplied,
        generator: Generator::Verify(idv_requests),
    },
    Property {
        name: "verdict-deterministic",
        title: "the same request twice gets the same verdict",
        requirements: &["REQ-SHAPE"],
        role: Role::Verifier,
        needs_exact_instant: false,
        invariant: Invariant::Deterministic,
        generator: Generator::Verify(any_requests),
    },
    Property {
        name: "signer-output",
        title: "for random users, the signer's user_hash and JWT are what the signer rules require (for an input they leave open, one of the answers they allow), and verify under the reference",
        requirements: &["SIGN-HASH", "SIGN-HASH-NEVER-EMPTY", "SIGN-EMPTY-USER-ID", "SIGN-EMPTY-EMAIL", "SIGN-EMPTY-SECRET", "SIGN-JWT-HEADER", "SIGN-JWT-CLAIMS", "SIGN-JWT-EXP", "SIGN-JWT-USER-ID-REQUIRED", "SIGN-JWT-RESERVED-ATTRIBUTES", "SIGN-JWT-LIFETIME-RANGE"],
        role: Role::Signer,
        needs_exact_instant: true,
        invariant: Invariant::None,
        generator: Generator::Sign(sign_requests),
    },
];

/// Every secret the properties' generated workspaces and keys use.
pub fn secrets() -> Vec<String> {
    recipe::all_secrets()
}

/// Every property, in a stable order.
pub fn all() -> &'static [Property] {
    &PROPERTIES
}

pub fn find(name: &str) -> Option<&'static Property> {
    PROPERTIES.iter().find(|p| p.name == name)
}

/// A generated request, ready to send and to replay as a case.
#[derive(Debug, Clone)]
pub(crate) enum Sample {
    /// Boxed: a verify recipe is several times the size of a sign recipe.
    Verify(Box<VerifyRecipe>),
    Sign(SignRecipe),
}
