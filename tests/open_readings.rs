//! Levels that match the notes: where a case's own note says a verifier *may* do something, a
//! verifier that does it passes.
//!
//! `StrictReader` is the reference with every refusal the profile leaves open turned on, as a
//! verifier built on a strict JWT library is configured by default:
//! - a token carrying `aud`, `iss`, `sub` or `jti`, or an `iat` that is not a number, is refused
//!   `jwt_claims_invalid` (PyJWT refuses an `aud` when no audience is configured; RFC 7519
//!   section 4.1.3): JWT-CLAIMS-025, ATTR-REG-001, ATTR-REG-003;
//! - a header whose `kid` is not a string is refused `jwt_malformed` (RFC 7515 section 4.1.4
//!   makes it a string): KEY-HDR-017.
//!
//! No conforming signer writes either, so refusing locks nobody out and lets nobody in. It must
//! pass every case and every property; the refusals must actually happen (so this test cannot
//! pass by never reaching them).

use crate::common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

use messenger_conformance::adapter::builtin::{BuiltinFactory, InProcess};
use messenger_conformance::adapter::AdapterFactory;
use messenger_conformance::contract::{
    ErrorCode, FromAdapter, HelloReply, Outcome, SignRequest, Verdict, VerifyRequest,
};
use messenger_conformance::judge::OutcomeClass;
use messenger_conformance::properties::{self, Settings};
use messenger_conformance::redact::Redactor;
use messenger_conformance::reference::{self, Reference};

/// The token's header and claims, when both parts are base64url JSON objects.
fn decoded(request: &VerifyRequest) -> Option<(Map<String, Value>, Map<String, Value>)> {
    let token = request.request.get("intercom_user_jwt")?.as_str()?;
    let mut parts = token.split('.');
    let mut object = || -> Option<Map<String, Value>> {
        let bytes = URL_SAFE_NO_PAD.decode(parts.next()?).ok()?;
        match serde_json::from_slice(&bytes).ok()? {
            Value::Object(map) => Some(map),
            _ => None,
        }
    };
    Some((object()?, object()?))
}

/// Why a strict JWT library would refuse a token the reference accepts, if it would.
fn strict_refusal(request: &VerifyRequest) -> Option<(ErrorCode, &'static str)> {
    let (header, claims) = decoded(request)?;
    if header.get("kid").is_some_and(|kid| !kid.is_string()) {
        return Some((ErrorCode::JwtMalformed, "kid is not a string"));
    }
    let unchecked = ["aud", "iss", "sub", "jti"]
        .iter()
        .any(|name| claims.contains_key(*name));
    let bad_iat = claims.get("iat").is_some_and(|iat| !iat.is_number());
    (unchecked || bad_iat).then_some((ErrorCode::JwtClaimsInvalid, "unchecked claim refused"))
}

struct StrictReader {
    refusals: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl InProcess for StrictReader {
    fn hello(&self) -> HelloReply {
        Reference::hello()
    }

    fn verify(&mut self, request: &VerifyRequest) -> Verdict {
        let verdict = reference::verify(request);
        match strict_refusal(request) {
            Some((code, message)) if verdict.outcome == Outcome::Accepted => {
                self.refusals
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Verdict::rejected(&request.id, code, message)
            }
            _ => verdict,
        }
    }

    fn sign(&mut self, request: &SignRequest) -> FromAdapter {
        reference::sign(request)
    }
}

fn strict_reader() -> (
    BuiltinFactory,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    let refusals = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = refusals.clone();
    let factory = BuiltinFactory::new("strict-reader", move || {
        Box::new(StrictReader {
            refusals: counter.clone(),
        })
    });
    (factory, refusals)
}

#[test]
fn a_verifier_taking_every_open_refusal_passes_every_case() {
    let suite = common::suite();
    let (factory, refusals) = strict_reader();
    let events = common::run_cases(&factory, &common::all_cases(&suite));
    let failures: Vec<String> = events
        .iter()
        .filter(|e| e.failed())
        .map(messenger_conformance::report::terminal::render_failure)
        .collect();
    assert!(
        failures.is_empty(),
        "a verifier that refuses only where the profile allows it fails:\n{}",
        failures.join("\n")
    );
    let refused = refusals.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        refused >= 4,
        "the strict reader refused only {refused} requests the reference accepts: the cases no longer reach the open refusals"
    );
    for id in [
        "JWT-CLAIMS-025",
        "ATTR-REG-001",
        "ATTR-REG-003",
        "KEY-HDR-017",
    ] {
        let event = events.iter().find(|e| e.id == id).expect(id);
        assert_eq!(event.outcome, OutcomeClass::Pass, "{id}");
        assert!(
            event.chosen.is_some(),
            "{id} is a `may` case and records the choice"
        );
    }
}

#[test]
fn a_verifier_taking_every_open_refusal_satisfies_every_property() {
    let (factory, refusals) = strict_reader();
    let mut adapter = factory.start().expect("in-process adapters start");
    let settings = Settings {
        seed: 20261206,
        ..Settings::default()
    };
    for property in properties::all() {
        let run = property.check(adapter.as_mut(), &settings, &Redactor::default());
        assert_eq!(
            run.event.outcome,
            OutcomeClass::Pass,
            "{}: {:#?}",
            property.name,
            run.event.problems
        );
    }
    assert!(
        refusals.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "no generated request reached an open refusal"
    );
}
