//! What conforms for a generated verify request, at each level.
//!
//! A YAML case breaks exactly one rule and lists its conforming verdicts; a generated request
//! may break several rules and touch the choices CONTRACT leaves open, so its expectation is
//! computed:
//! - **must**: the reference's verdict, accepting the code of *every* rule the request breaks
//!   ([`broken_rules`](crate::reference::broken_rules)), so a verifier that checks the rules in another order
//!   conforms; where the token's `kid` names another of the platform's keys than the one
//!   that signed, also the verdict of a verifier that trusts `kid` (a `may` choice); and, for an
//!   accepted token that carries a claim the profile leaves unchecked (`aud`, `iss`, `sub`,
//!   `jti`, or an `iat` that is not a number), a rejection `jwt_claims_invalid` (a `may` choice,
//!   JWT-CLAIMS-025: RFC 7519 section 4.1.3 lets a relying party refuse an audience that does
//!   not name it, PyJWT refuses a non-numeric `iat`, and no conforming signer writes them);
//! - **should**: the verdict of a verifier that decodes base64url leniently (non-canonical
//!   trailing bits), which RFC 4648 allows and this profile rates `should`. An answer that
//!   conforms only at this level fails the property at `should`, never at `must`.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine as _};
use serde_json::Value;

use crate::contract::{ErrorCode, Outcome, VerifyRequest};
use crate::reference::jws;
use crate::scenario::{Expectation, ExpectedVerdict};

/// The conforming answers to one generated verify request.
#[derive(Debug, Clone)]
pub(crate) struct Conforming {
    /// What conforms at `must` level.
    pub must: Expectation,
    /// What else conforms at `should` level only, when the request touches a `should` choice.
    pub should: Option<Expectation>,
}

/// The conforming answers to `request`.
pub(crate) fn conforming(request: &VerifyRequest) -> Conforming {
    let reference = ExpectedVerdict::for_verify_request(request);
    let mut verdicts = vec![reference.clone()];
    if let Some(trusting) = trusting_kid(request).map(|r| ExpectedVerdict::for_verify_request(&r)) {
        if trusting != reference {
            verdicts.push(trusting);
        }
    }
    if reference.outcome == Outcome::Accepted && carries_unchecked_claim(request) {
        verdicts.push(ExpectedVerdict::rejected(ErrorCode::JwtClaimsInvalid));
    }
    let must = match verdicts.len() {
        1 => Expectation::Verdict(reference),
        _ => Expectation::AnyOf { verdicts },
    };
    let mut should: Vec<ExpectedVerdict> = respelled_canonically(request)
        .map(|r| ExpectedVerdict::for_verify_request(&r))
        .filter(|lenient| !matches(&must, lenient))
        .into_iter()
        .collect();
    let should = match should.len() {
        0 => None,
        1 => should.pop().map(Expectation::Verdict),
        _ => Some(Expectation::AnyOf { verdicts: should }),
    };
    Conforming { must, should }
}

/// Whether the request's token carries a claim that the profile leaves unchecked but a verifier
/// may refuse (JWT-CLAIMS-025): `aud`, `iss`, `sub`, `jti`, or an `iat` that is not a number.
fn carries_unchecked_claim(request: &VerifyRequest) -> bool {
    token(request)
        .and_then(|t| jws::decode_unverified(t).ok())
        .is_some_and(|decoded| {
            let claims = &decoded.claims.members;
            ["aud", "iss", "sub", "jti"]
                .iter()
                .any(|name| claims.contains_key(*name))
                || claims.get("iat").is_some_and(|iat| !iat.is_number())
        })
}

fn matches(expectation: &Expectation, verdict: &ExpectedVerdict) -> bool {
    match expectation {
        Expectation::Verdict(expected) => expected == verdict,
        Expectation::AnyOf { verdicts } => verdicts.contains(verdict),
        _ => false,
    }
}

fn token(request: &VerifyRequest) -> Option<&str> {
    request
        .request
        .get("intercom_user_jwt")
        .and_then(Value::as_str)
}

/// The request as a verifier that trusts `kid` sees it: only the key `kid` names, when it names
/// one of the request platform's keys (CONTRACT rule 2.4: `kid` may pick among them).
fn trusting_kid(request: &VerifyRequest) -> Option<VerifyRequest> {
    let decoded = jws::decode_unverified(token(request)?).ok()?;
    let kid = decoded.header_str("kid")?;
    let platform = request
        .request
        .get("platform")
        .and_then(Value::as_str)
        .and_then(crate::contract::Platform::parse)?;
    let named = |k: &crate::contract::JwtKey| k.id == kid && k.platforms.contains(&platform);
    if !request.workspace.jwt_keys.iter().any(named) {
        return None;
    }
    let mut trusting = request.clone();
    trusting
        .workspace
        .jwt_keys
        .retain(|k| !k.platforms.contains(&platform) || named(k));
    Some(trusting)
}

/// The request with its token spelled canonically, when a part of it is a non-canonical
/// spelling (non-zero trailing bits) of other bytes: what a lenient decoder reads.
fn respelled_canonically(request: &VerifyRequest) -> Option<VerifyRequest> {
    let lenient = GeneralPurpose::new(
        &alphabet::URL_SAFE,
        GeneralPurposeConfig::new()
            .with_encode_padding(false)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone)
            .with_decode_allow_trailing_bits(true),
    );
    let token = token(request)?;
    let parts: Vec<String> = token
        .split('.')
        .map(|part| {
            lenient
                .decode(part)
                .map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
                .unwrap_or_else(|_| part.to_string())
        })
        .collect();
    let canonical = parts.join(".");
    if canonical == token {
        return None;
    }
    let mut respelled = request.clone();
    respelled.request["intercom_user_jwt"] = Value::String(canonical);
    Some(respelled)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};

    use super::*;
    use crate::reference;
    use crate::properties::recipe::build_verify;
    use crate::properties::strategy;
    use crate::scenario::DEFAULT_NOW;

    #[test]
    fn every_broken_rule_is_listed_and_the_reference_code_is_one_of_them() {
        let mut runner = TestRunner::new(Config {
            cases: 2000,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&strategy::verify_any(), |recipe| {
                let request = build_verify(&recipe, "x", DEFAULT_NOW);
                let verdict = reference::verify(&request);
                let broken = reference::broken_rules(&request);
                match verdict.outcome {
                    Outcome::Accepted => prop_assert!(broken.is_empty(), "{broken:?}"),
                    Outcome::Rejected => prop_assert!(
                        broken.contains(&verdict.error.unwrap()),
                        "{:?} not in {broken:?}",
                        verdict.error
                    ),
                }
                Ok(())
            })
            .unwrap();
    }

    /// A verifier that checks the token's header before the request's fields answers
    /// `jwt_algorithm_not_allowed` for an `alg: none` token beside an empty user_id: that code
    /// conforms too. Beside no token, an empty identifier is `invalid_request` alone.
    #[test]
    fn an_empty_identifier_beside_a_bad_token_breaks_both_rules() {
        let mut runner = TestRunner::deterministic();
        let mut recipe = strategy::jwt_valid()
            .new_tree(&mut runner)
            .unwrap()
            .current();
        recipe.alg = crate::properties::recipe::Alg::None(0);
        recipe.request_user_id = crate::properties::recipe::RequestUserId::Empty;
        let request = build_verify(
            &crate::properties::recipe::VerifyRecipe::Jwt(recipe.clone()),
            "x",
            DEFAULT_NOW,
        );
        let broken = reference::broken_rules(&request);
        assert!(
            broken.contains(&ErrorCode::InvalidRequest)
                && broken.contains(&ErrorCode::JwtAlgorithmNotAllowed),
            "{broken:?}"
        );
        // A valid token beside the empty user_id breaks rule 1 only.
        recipe.alg = crate::properties::recipe::Alg::Hs256;
        let request = build_verify(
            &crate::properties::recipe::VerifyRecipe::Jwt(recipe),
            "x",
            DEFAULT_NOW,
        );
        assert_eq!(
            reference::broken_rules(&request),
            vec![ErrorCode::InvalidRequest]
        );
    }

    #[test]
    fn a_token_respelled_with_trailing_bits_conforms_only_at_should_level() {
        let mut runner = TestRunner::deterministic();
        let recipe = strategy::jwt_valid()
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let recipe = crate::properties::recipe::VerifyRecipe::Jwt(recipe);
        let mut request = build_verify(&recipe, "x", DEFAULT_NOW);
        let token = token(&request).unwrap().to_string();
        // An HS256 signature is 43 characters: its last carries 2 unused bits.
        let last = token.chars().last().unwrap();
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let index = alphabet.find(last).unwrap();
        let respelled_last = alphabet.as_bytes()[index ^ 1] as char;
        let respelled = format!("{}{respelled_last}", &token[..token.len() - 1]);
        request.request["intercom_user_jwt"] = Value::String(respelled);
        let conforming = conforming(&request);
        let must = match &conforming.must {
            Expectation::Verdict(must) => vec![must.clone()],
            Expectation::AnyOf { verdicts } => verdicts.clone(),
            other => panic!("a verdict expected, not {other:?}"),
        };
        assert!(
            must.iter().all(|v| v.outcome == Outcome::Rejected),
            "{must:?}"
        );
        let Some(Expectation::Verdict(should)) = &conforming.should else {
            panic!("a should-level alternative expected")
        };
        assert_eq!(should.outcome, Outcome::Accepted);
    }
}
