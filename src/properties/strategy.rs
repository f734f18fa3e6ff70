//! Proptest strategies for recipes. Identifiers cover what breaks naive code: multibyte text,
//! confusable case, surrounding space, NFC vs NFD spellings, numeric-looking ids, long ids.
//!
//! Every strategy shrinks towards the smallest value in few steps, since each step is a request
//! to the implementation and the shrinker has a budget (`max_shrink_iters`): a pool is searched
//! from its shortest, plainest entry; a long identifier is its short one repeated, so one step
//! drops the length; attribute maps lose entries before their values shrink.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::sample::{select, subsequence};

use super::recipe::*;

/// The first entry of each pool is where shrinking ends: short and plain.
pub(super) const USER_IDS: &[&str] = &[
    "u-1",
    "12345",
    "Ada",
    "ada",
    " ada ",
    "ユーザー7",
    "José",
    "Jose\u{301}",
    "user@42",
    "0",
];
pub(super) const EMAILS: &[&str] = &[
    "a@b.c",
    "ada@example.com",
    "Ada@Example.com",
    "ada@example.com ",
    "jos\u{e9}@example.com",
    "jose\u{301}@example.com",
    "用户@例子.测试",
];

/// A pool entry or a short random one, sometimes repeated to 64–128 characters (longer than
/// an HMAC block). The long form keeps what makes the short one interesting (a leading space, a
/// combining accent), and shrinks back to it in one step; the random form shrinks to the pool.
pub(super) fn identifier(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    let short = prop_oneof![
        4 => select(pool).prop_map(str::to_string),
        1 => "[a-z0-9.@-]{1,8}",
    ];
    (short, prop::option::weighted(0.2, 64usize..=128)).prop_map(|(short, long)| match long {
        Some(length) if !short.is_empty() => short.chars().cycle().take(length).collect(),
        _ => short,
    })
}

pub fn identity() -> impl Strategy<Value = Identity> {
    (
        prop::option::weighted(0.8, identifier(USER_IDS)),
        prop::option::weighted(0.7, identifier(EMAILS)),
    )
        .prop_map(|(user_id, email)| Identity { user_id, email })
}

/// The identity a verify request sends: [`identity`], and now and then an empty `user_id` or
/// `email` (`invalid_request`: an empty identifier is not a missing one).
fn request_identity() -> BoxedStrategy<Identity> {
    let empty = prop_oneof![8 => Just(None), 1 => Just(Some(0usize)), 1 => Just(Some(1usize))];
    (identity(), empty)
        .prop_map(|(mut identity, empty)| {
            match empty {
                Some(0) => identity.user_id = Some(String::new()),
                Some(_) => identity.email = Some(String::new()),
                None => {}
            }
            identity
        })
        .boxed()
}

/// The action and a reserved attribute name, now and then.
fn request_extras() -> BoxedStrategy<RequestExtras> {
    (
        prop::bool::weighted(0.2),
        prop::option::weighted(0.05, 0..RESERVED_ATTRIBUTES.len()),
    )
        .prop_map(|(update, reserved_attribute)| RequestExtras {
            update,
            reserved_attribute,
        })
        .boxed()
}

fn attributes() -> BoxedStrategy<BTreeMap<&'static str, String>> {
    prop::collection::btree_map(select(&ATTRIBUTE_NAMES[..]), "[a-z]{1,6}", 0..3).boxed()
}

pub fn workspace() -> BoxedStrategy<WorkspaceRecipe> {
    let platforms = || any::<[bool; 3]>();
    (
        platforms(),
        platforms(),
        prop::collection::vec((0..KEY_POOL.len(), platforms()), 0..3),
        subsequence(&ATTRIBUTE_NAMES[..], 0..=3),
        prop_oneof![3 => Just(0i64), 1 => 1i64..=120],
        prop_oneof![6 => Just([false; 3]), 1 => platforms()],
        prop_oneof![9 => Just([false; 3]), 1 => platforms()],
    )
        .prop_map(
            |(enforced, jwt_enabled, keys, locked, leeway, empty_key, empty_idv_secret)| {
                WorkspaceRecipe {
                    enforced,
                    jwt_enabled,
                    keys,
                    locked,
                    leeway,
                    empty_key,
                    empty_idv_secret,
                }
            },
        )
        .boxed()
}

/// A workspace where JWT is on for `platform`, under a key of the pool that applies to it.
fn jwt_workspace(platform: usize, key: usize) -> impl Strategy<Value = WorkspaceRecipe> {
    workspace().prop_map(move |mut w| {
        w.jwt_enabled[platform] = true;
        if !w.keys.iter().any(|(k, _)| *k == key) {
            let mut on = [false; 3];
            on[platform] = true;
            w.keys.insert(0, (key, on));
        }
        for (k, on) in w.keys.iter_mut() {
            if *k == key {
                on[platform] = true;
            }
        }
        w
    })
}

fn hash_recipe() -> BoxedStrategy<HashRecipe> {
    prop_oneof![
        4 => Just(HashRecipe::Right),
        1 => Just(HashRecipe::Missing),
        1 => Just(HashRecipe::OverEmail),
        1 => Just(HashRecipe::OverJoined),
        1 => (0usize..3).prop_map(HashRecipe::PlatformSecret),
        1 => Just(HashRecipe::OtherWorkspace),
        1 => Just(HashRecipe::UpperHex),
        1 => Just(HashRecipe::Base64),
        1 => (0usize..63).prop_map(HashRecipe::Prefix),
        1 => Just(HashRecipe::Normalised),
        1 => (0..PADDINGS.len()).prop_map(HashRecipe::Padded),
        1 => Just(HashRecipe::Empty),
    ]
    .boxed()
}

pub fn idv(hash: impl Strategy<Value = HashRecipe>) -> impl Strategy<Value = IdvRecipe> {
    (
        workspace(),
        0usize..3,
        request_identity(),
        hash,
        attributes(),
        request_extras(),
    )
        .prop_map(
            |(workspace, platform, identity, hash, attributes, request)| IdvRecipe {
                workspace,
                platform,
                identity,
                hash,
                attributes,
                request,
            },
        )
}

pub fn idv_any() -> impl Strategy<Value = IdvRecipe> {
    idv(hash_recipe())
}

fn offset(window: i64) -> impl Strategy<Value = Offset> {
    (any::<bool>(), -window..=window).prop_map(|(from_leeway, seconds)| Offset {
        from_leeway,
        seconds,
    })
}

/// Times near the boundaries, and far from them.
fn time_offset() -> impl Strategy<Value = Offset> {
    prop_oneof![3 => offset(3), 1 => offset(7200)]
}

/// Where the signing key is listed.
#[derive(Debug, Clone, Copy)]
enum Placement {
    /// For the request's platform (and maybe others).
    Listed,
    /// For another platform only, JWT on for the request's: a `kid` naming it must not select it.
    OtherPlatform,
    /// Wherever the workspace happens to list it, if at all.
    Anywhere,
}

fn placed_workspace(
    platform: usize,
    key: usize,
    placement: Placement,
) -> BoxedStrategy<WorkspaceRecipe> {
    match placement {
        Placement::Listed => jwt_workspace(platform, key).boxed(),
        Placement::OtherPlatform => workspace()
            .prop_map(move |mut w| {
                w.jwt_enabled[platform] = true;
                let mut on = [true; 3];
                on[platform] = false;
                w.keys.retain(|(k, _)| *k != key);
                w.keys.insert(0, (key, on));
                w
            })
            .boxed(),
        Placement::Anywhere => workspace().boxed(),
    }
}

/// The rarer shapes of a token, each now and then.
fn jwt_extras() -> BoxedStrategy<JwtExtras> {
    let form = || {
        prop_oneof![
            12 => Just(TimeForm::Integer),
            3 => Just(TimeForm::Fraction),
            1 => Just(TimeForm::NumericString),
            1 => Just(TimeForm::Epoch),
        ]
    };
    let encoding = prop_oneof![
        16 => Just(Encoding::Url),
        1 => Just(Encoding::Standard),
        1 => Just(Encoding::StandardNoPad),
    ];
    let iat = prop_oneof![
        offset(3),
        offset(7200),
        (-1_000_000_000i64..=1_000_000_000).prop_map(|seconds| Offset {
            from_leeway: false,
            seconds
        })
    ];
    (
        prop::option::weighted(0.06, 0..CRITS.len()),
        encoding,
        form(),
        form(),
        prop::option::weighted(0.3, iat),
        prop_oneof![3 => Just(Vec::new()), 1 => subsequence(&REGISTERED[..], 1..=REGISTERED.len())],
        prop::bool::weighted(0.06),
        request_extras(),
    )
        .prop_map(
            |(crit, encoding, exp_form, nbf_form, iat, registered, empty_secret, request)| {
                JwtExtras {
                    crit,
                    encoding,
                    exp_form,
                    nbf_form,
                    iat,
                    registered,
                    empty_secret,
                    request,
                }
            },
        )
        .boxed()
}

/// Everything about a token, mostly right, sometimes wrong in one or more ways.
pub fn jwt_any() -> impl Strategy<Value = JwtRecipe> {
    let alg = prop_oneof![12 => Just(Alg::Hs256), 2 => (0usize..4).prop_map(Alg::None), 1 => (0..HS256_CASINGS.len()).prop_map(Alg::Hs256Cased), 2 => Just(Alg::Hs384), 2 => Just(Alg::Hs512)];
    let kid = prop_oneof![2 => Just(Kid::Absent), 2 => Just(Kid::Signer), 1 => (0..KEY_POOL.len()).prop_map(Kid::Pool)];
    let claim_user_id = prop_oneof![8 => Just(ClaimUserId::Same), 1 => Just(ClaimUserId::Missing), 1 => Just(ClaimUserId::Empty), 1 => Just(ClaimUserId::Number)];
    let request_user_id = prop_oneof![
        12 => Just(RequestUserId::Same),
        2 => Just(RequestUserId::Different),
        4 => Just(RequestUserId::Absent),
        1 => Just(RequestUserId::Empty),
        1 => Just(RequestUserId::Respelled),
    ];
    let request_email = prop_oneof![
        6 => Just(RequestEmail::Absent),
        6 => Just(RequestEmail::Same),
        2 => Just(RequestEmail::Different),
        1 => Just(RequestEmail::Respelled),
        1 => Just(RequestEmail::Empty),
    ];
    let mutation = prop_oneof![
        16 => Just(Mutation::None),
        4 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Replace(a, b)),
        2 => Just(Mutation::DropSignature),
        2 => Just(Mutation::ExtraSegment),
        2 => Just(Mutation::Pad),
        1 => (0..PADDINGS.len()).prop_map(Mutation::Wrap),
        1 => (0usize..32).prop_map(Mutation::CutSignature),
        1 => Just(Mutation::LongerSignature),
    ];
    let placement = prop_oneof![
        5 => Just(Placement::Listed),
        1 => Just(Placement::OtherPlatform),
        4 => Just(Placement::Anywhere),
    ];
    (0usize..3, 0..KEY_POOL.len(), placement)
        .prop_flat_map(move |(platform, key, placement)| {
            (
                placed_workspace(platform, key, placement),
                Just(platform),
                Just(key),
                alg.clone(),
                kid.clone(),
                identity(),
                claim_user_id.clone(),
                any::<bool>(),
                attributes(),
                prop::option::weighted(0.7, time_offset()),
                prop::option::weighted(0.3, time_offset()),
                (
                    request_user_id.clone(),
                    request_email.clone(),
                    attributes(),
                    prop::bool::weighted(0.1),
                    mutation.clone(),
                    jwt_extras(),
                ),
            )
        })
        .prop_map(
            |(
                mut workspace,
                platform,
                key,
                alg,
                kid,
                identity,
                claim_user_id,
                claim_email,
                claim_attributes,
                exp,
                nbf,
                rest,
            )| {
                let (
                    request_user_id,
                    request_email,
                    request_attributes,
                    stale_user_hash,
                    mutation,
                    more,
                ) = rest;
                if more.empty_secret {
                    // The empty key is listed for the platform: listed, yet it never verifies.
                    workspace.empty_key[platform] = true;
                }
                JwtRecipe {
                    workspace,
                    platform,
                    key,
                    alg,
                    kid,
                    identity,
                    claim_user_id,
                    claim_email,
                    claim_attributes,
                    exp,
                    nbf,
                    request_user_id,
                    request_email,
                    request_attributes,
                    stale_user_hash,
                    mutation,
                    more,
                }
            },
        )
}

/// A token that the reference accepts but for what the caller changes afterwards.
pub fn jwt_valid() -> impl Strategy<Value = JwtRecipe> {
    jwt_any().prop_map(|mut r| {
        r.alg = Alg::Hs256;
        r.kid = Kid::Signer;
        r.claim_user_id = ClaimUserId::Same;
        r.request_user_id = RequestUserId::Same;
        if !matches!(r.request_email, RequestEmail::Absent | RequestEmail::Same) {
            r.request_email = RequestEmail::Same;
        }
        r.exp = Some(Offset {
            from_leeway: false,
            seconds: 3600,
        });
        r.nbf = None;
        r.mutation = Mutation::None;
        r.more = JwtExtras {
            iat: r.more.iat,
            registered: r.more.registered,
            request: RequestExtras {
                update: r.more.request.update,
                reserved_attribute: None,
            },
            ..JwtExtras::default()
        };
        r.workspace.jwt_enabled[r.platform] = true;
        if !r
            .workspace
            .keys
            .iter()
            .any(|(k, on)| *k == r.key && on[r.platform])
        {
            let mut on = [false; 3];
            on[r.platform] = true;
            r.workspace.keys.insert(0, (r.key, on));
        }
        r
    })
}

/// One thing about a valid token, wrong or merely unusual.
#[derive(Debug, Clone)]
pub enum Fault {
    Alg(usize),
    Crit(usize),
    Encoding(Encoding),
    Mutation(Mutation),
    EmptySecret,
    Exp(TimeForm, Offset),
    Nbf(TimeForm, Offset),
    Iat(Offset),
    /// Registered claims; with `true`, the token has no `user_id` claim.
    Registered(Vec<&'static str>, bool),
    RequestUserId(RequestUserId),
    RequestEmail(RequestEmail),
    Reserved(usize),
    Update,
}

fn fault() -> BoxedStrategy<Fault> {
    // Far from the instants where a verdict flips, so no exact instant is needed.
    let far = || {
        prop_oneof![(-86_400i64..=-600), (600i64..=86_400)].prop_map(|seconds| Offset {
            from_leeway: true,
            seconds,
        })
    };
    let form = prop_oneof![
        Just(TimeForm::Integer),
        Just(TimeForm::Fraction),
        Just(TimeForm::NumericString),
        Just(TimeForm::Epoch),
    ];
    prop_oneof![
        (0..HS256_CASINGS.len()).prop_map(Fault::Alg),
        (0..CRITS.len()).prop_map(Fault::Crit),
        prop_oneof![Just(Encoding::Standard), Just(Encoding::StandardNoPad)]
            .prop_map(Fault::Encoding),
        prop_oneof![
            (0..PADDINGS.len()).prop_map(Mutation::Wrap),
            (0usize..32).prop_map(Mutation::CutSignature),
            Just(Mutation::LongerSignature),
        ]
        .prop_map(Fault::Mutation),
        Just(Fault::EmptySecret),
        (form.clone(), far()).prop_map(|(f, o)| Fault::Exp(f, o)),
        (form, far()).prop_map(|(f, o)| Fault::Nbf(f, o)),
        (-1_000_000_000i64..=1_000_000_000).prop_map(|seconds| Fault::Iat(Offset {
            from_leeway: false,
            seconds
        })),
        (
            subsequence(&REGISTERED[..], 1..=REGISTERED.len()),
            any::<bool>()
        )
            .prop_map(|(r, missing)| Fault::Registered(r, missing)),
        prop_oneof![
            Just(RequestUserId::Empty),
            Just(RequestUserId::Respelled),
            Just(RequestUserId::Absent)
        ]
        .prop_map(Fault::RequestUserId),
        prop_oneof![
            Just(RequestEmail::Different),
            Just(RequestEmail::Respelled),
            Just(RequestEmail::Empty),
            Just(RequestEmail::Same)
        ]
        .prop_map(Fault::RequestEmail),
        (0..RESERVED_ATTRIBUTES.len()).prop_map(Fault::Reserved),
        Just(Fault::Update),
    ]
    .boxed()
}

/// A valid token with exactly one [`Fault`]: each rare shape on its own, so a verifier that
/// misreads it answers differently from the reference instead of being masked by another fault.
/// Times stay far from the edges: no exact instant is needed.
pub fn jwt_single_fault() -> impl Strategy<Value = JwtRecipe> {
    (jwt_valid(), fault()).prop_map(|(mut r, fault)| {
        match fault {
            Fault::Alg(casing) => r.alg = Alg::Hs256Cased(casing),
            Fault::Crit(crit) => r.more.crit = Some(crit),
            Fault::Encoding(encoding) => r.more.encoding = encoding,
            Fault::Mutation(mutation) => r.mutation = mutation,
            Fault::EmptySecret => {
                r.more.empty_secret = true;
                r.workspace.empty_key[r.platform] = true;
            }
            Fault::Exp(form, offset) => {
                r.exp = Some(offset);
                r.more.exp_form = form;
            }
            Fault::Nbf(form, offset) => {
                r.nbf = Some(offset);
                r.more.nbf_form = form;
            }
            Fault::Iat(offset) => r.more.iat = Some(offset),
            Fault::Registered(registered, missing_user_id) => {
                r.more.registered = registered;
                if missing_user_id {
                    r.claim_user_id = ClaimUserId::Missing;
                }
            }
            Fault::RequestUserId(request_user_id) => r.request_user_id = request_user_id,
            Fault::RequestEmail(request_email) => {
                r.request_email = request_email;
                if r.identity.email.is_none() {
                    r.identity.email = Some("ada@example.com".into());
                }
            }
            Fault::Reserved(i) => r.more.request.reserved_attribute = Some(i),
            Fault::Update => r.more.request.update = true,
        }
        r
    })
}

/// Time claims moved at least [`FAR`] seconds from every instant where a verdict flips, for
/// implementations that read their own clock: a verdict then holds for the whole run.
pub fn far_from_edges(recipe: VerifyRecipe) -> VerifyRecipe {
    const FAR: i64 = 600;
    let far = |offset: Offset| Offset {
        // From the boundary itself (now - leeway for exp, now + leeway for nbf).
        from_leeway: true,
        seconds: if offset.seconds < 0 {
            offset.seconds.min(-FAR)
        } else {
            offset.seconds.max(FAR)
        },
    };
    match recipe {
        VerifyRecipe::Jwt(mut r) => {
            r.exp = r.exp.map(far);
            r.nbf = r.nbf.map(far);
            VerifyRecipe::Jwt(r)
        }
        idv => idv,
    }
}

pub fn verify_any() -> impl Strategy<Value = VerifyRecipe> {
    prop_oneof![
        idv_any().prop_map(VerifyRecipe::Idv),
        jwt_any().prop_map(VerifyRecipe::Jwt)
    ]
}
