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

fn attributes() -> impl Strategy<Value = BTreeMap<&'static str, String>> {
    prop::collection::btree_map(select(&ATTRIBUTE_NAMES[..]), "[a-z]{1,6}", 0..3)
}

pub fn workspace() -> impl Strategy<Value = WorkspaceRecipe> {
    let platforms = || any::<[bool; 3]>();
    (
        platforms(),
        platforms(),
        prop::collection::vec((0..KEY_POOL.len(), platforms()), 0..3),
        subsequence(&ATTRIBUTE_NAMES[..], 0..=3),
        prop_oneof![3 => Just(0i64), 1 => 1i64..=120],
    )
        .prop_map(
            |(enforced, jwt_enabled, keys, locked, leeway)| WorkspaceRecipe {
                enforced,
                jwt_enabled,
                keys,
                locked,
                leeway,
            },
        )
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

fn hash_recipe() -> impl Strategy<Value = HashRecipe> {
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
    ]
}

pub fn idv(hash: impl Strategy<Value = HashRecipe>) -> impl Strategy<Value = IdvRecipe> {
    (workspace(), 0usize..3, identity(), hash, attributes()).prop_map(
        |(workspace, platform, identity, hash, attributes)| IdvRecipe {
            workspace,
            platform,
            identity,
            hash,
            attributes,
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

/// Everything about a token, mostly right, sometimes wrong in one or more ways.
pub fn jwt_any() -> impl Strategy<Value = JwtRecipe> {
    let alg = prop_oneof![6 => Just(Alg::Hs256), 1 => (0usize..4).prop_map(Alg::None), 1 => Just(Alg::Hs384), 1 => Just(Alg::Hs512)];
    let kid = prop_oneof![2 => Just(Kid::Absent), 2 => Just(Kid::Signer), 1 => (0..KEY_POOL.len()).prop_map(Kid::Pool)];
    let claim_user_id = prop_oneof![8 => Just(ClaimUserId::Same), 1 => Just(ClaimUserId::Missing), 1 => Just(ClaimUserId::Empty), 1 => Just(ClaimUserId::Number)];
    let request_user_id = prop_oneof![6 => Just(RequestUserId::Same), 1 => Just(RequestUserId::Different), 2 => Just(RequestUserId::Absent)];
    let mutation = prop_oneof![
        8 => Just(Mutation::None),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Replace(a, b)),
        1 => Just(Mutation::DropSignature),
        1 => Just(Mutation::ExtraSegment),
        1 => Just(Mutation::Pad),
    ];
    (0usize..3, 0..KEY_POOL.len(), any::<bool>())
        .prop_flat_map(move |(platform, key, key_listed)| {
            // Mostly a key the workspace lists for the platform; sometimes whatever it lists.
            let workspace = if key_listed { jwt_workspace(platform, key).boxed() } else { workspace().boxed() };
            (
                workspace,
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
                (request_user_id.clone(), any::<bool>(), attributes(), prop::bool::weighted(0.1), mutation.clone()),
            )
        })
        .prop_map(
            |(workspace, platform, key, alg, kid, identity, claim_user_id, claim_email, claim_attributes, exp, nbf, rest)| {
                let (request_user_id, request_email, request_attributes, stale_user_hash, mutation) = rest;
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
        r.exp = Some(Offset {
            from_leeway: false,
            seconds: 3600,
        });
        r.nbf = None;
        r.mutation = Mutation::None;
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

pub fn verify_any() -> impl Strategy<Value = VerifyRecipe> {
    prop_oneof![
        idv_any().prop_map(VerifyRecipe::Idv),
        jwt_any().prop_map(VerifyRecipe::Jwt)
    ]
}
