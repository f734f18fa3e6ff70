//! Signers that answer the inputs the signer rules leave open the other conforming way pass.
//!
//! CONTRACT.md, "Inputs the signer rules leave open": for an empty `user_id` beside an email, an
//! empty email beside a user_id, an attribute with a reserved name and a lifetime of zero or
//! less, refusing is one conforming answer and the vendor's own libraries give another. Two
//! signers here behave as those libraries do in the respects the table names:
//!
//! - like Intercom's Node client (`intercom-client` 2.x, `user_id || email`): an empty user_id is
//!   falsy, so the hash is over the email; a JWT needs a user_id; an empty email is falsy and left
//!   out of the token; `jsonwebtoken` adds `iat` and writes `exp = iat + expiresIn` whatever the
//!   sign of `expiresIn`;
//! - like Intercom's Rails gem (blank values dropped from the user's details, `ruby-jwt` for the
//!   token): `""` is blank, so an empty user_id or email is left out; the header is
//!   `{"alg":"HS256"}` alone; attributes with a reserved name are left out of the token.
//!
//! Both sign under an empty secret, as `crypto.createHmac` and `OpenSSL::HMAC` do: the table
//! rates that `should`, so their only failures are should-level SIGN-EMPTY-SECRET ones and the
//! gate passes. Each runs every signer case and the `signer-output` property on several seeds.
//! The contract-only implementation (`tests/adapters/alt_verifier.py`) plays the signer too, in
//! its default reading (refuse every open input) and with `ALT_SIGNER_READING=open` (the other
//! conforming answer of each row), through the exec transport.

use crate::common;

use messenger_conformance::adapter::builtin::{BuiltinFactory, InProcess};
use messenger_conformance::adapter::AdapterFactory;
use messenger_conformance::contract::{
    FromAdapter, HelloReply, Refused, SignMode, SignRequest, Signed, Verdict, VerifyRequest,
};
use messenger_conformance::event::CaseEvent;
use messenger_conformance::judge::OutcomeClass;
use messenger_conformance::properties::{self, Settings};
use messenger_conformance::redact::Redactor;
use messenger_conformance::reference::user_hash::user_hash;
use messenger_conformance::reference::{self, jws, Reference};
use messenger_conformance::spec::Level;
use serde_json::{json, Map, Value};

const RESERVED: [&str; 11] = [
    "user_id",
    "email",
    "user_hash",
    "intercom_user_jwt",
    "exp",
    "nbf",
    "iat",
    "iss",
    "aud",
    "sub",
    "jti",
];

fn refused(request: &SignRequest, message: &str) -> FromAdapter {
    FromAdapter::Refused(Refused {
        id: request.id.clone(),
        message: message.into(),
    })
}

fn signed(request: &SignRequest, user_hash: Option<String>, jwt: Option<String>) -> FromAdapter {
    FromAdapter::Signed(Signed {
        id: request.id.clone(),
        user_hash,
        jwt,
    })
}

/// JavaScript's truthiness of an optional string: `undefined` and `""` are falsy.
fn truthy(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

/// `intercom-client` 2.x for the hash (`userHash({secretKey, identifier: user.user_id ||
/// user.email})`), and `jsonwebtoken`'s `jwt.sign` for the token as its README shows it.
struct NodeClient;

impl InProcess for NodeClient {
    fn hello(&self) -> HelloReply {
        Reference::hello()
    }

    fn verify(&mut self, request: &VerifyRequest) -> Verdict {
        reference::verify(request)
    }

    fn sign(&mut self, request: &SignRequest) -> FromAdapter {
        let user_id = truthy(&request.user.user_id);
        let email = truthy(&request.user.email);
        match request.mode {
            SignMode::UserHash => match user_id.or(email) {
                Some(identifier) => {
                    signed(request, Some(user_hash(&request.secret, identifier)), None)
                }
                None => refused(request, "no identifier: the integration sends no user_hash"),
            },
            SignMode::Jwt => {
                let Some(user_id) = user_id else {
                    return refused(request, "no user_id: no JWT");
                };
                if let Some(name) = request
                    .attributes
                    .keys()
                    .find(|k| RESERVED.contains(&k.as_str()))
                {
                    return refused(request, &format!("attribute {name} is reserved"));
                }
                let mut claims = Map::new();
                claims.insert("user_id".into(), user_id.into());
                if let Some(email) = email {
                    claims.insert("email".into(), email.into());
                }
                claims.extend(request.attributes.clone());
                // jsonwebtoken: `iat` by default, `exp = iat + expiresIn`. The safe-integer check
                // is the integration's: jsonwebtoken itself writes the rounded double, which
                // fails SIGN-JWT-027 (only a refusal conforms when now + expires_in overflows).
                claims.insert("iat".into(), request.now.into());
                if let Some(seconds) = request.expires_in {
                    match request
                        .now
                        .checked_add(seconds)
                        .filter(|e| e.unsigned_abs() < 1 << 53)
                    {
                        Some(exp) => claims.insert("exp".into(), exp.into()),
                        None => return refused(request, "\"expiresIn\" is not a safe integer"),
                    };
                }
                let header = json!({"alg": "HS256", "typ": "JWT"});
                let token =
                    jws::sign_hs256(&header, &Value::Object(claims), request.secret.as_bytes());
                signed(request, None, Some(token))
            }
        }
    }
}

/// Intercom's Rails gem: blank values dropped from the user's details (`""` is blank), the hash
/// over `user_id || email`, the token made by `ruby-jwt` (`{"alg":"HS256"}`), attributes with a
/// reserved name left out of it.
struct RailsGem;

impl InProcess for RailsGem {
    fn hello(&self) -> HelloReply {
        Reference::hello()
    }

    fn verify(&mut self, request: &VerifyRequest) -> Verdict {
        reference::verify(request)
    }

    fn sign(&mut self, request: &SignRequest) -> FromAdapter {
        let user_id = truthy(&request.user.user_id);
        let email = truthy(&request.user.email);
        match request.mode {
            SignMode::UserHash => match user_id.or(email) {
                Some(identifier) => {
                    signed(request, Some(user_hash(&request.secret, identifier)), None)
                }
                None => refused(request, "no user details: no user_hash"),
            },
            SignMode::Jwt => {
                let Some(user_id) = user_id else {
                    return refused(request, "no user_id: no JWT");
                };
                let mut claims = Map::new();
                claims.insert("user_id".into(), user_id.into());
                if let Some(email) = email {
                    claims.insert("email".into(), email.into());
                }
                for (name, value) in &request.attributes {
                    if !RESERVED.contains(&name.as_str()) {
                        claims.insert(name.clone(), value.clone());
                    }
                }
                if let Some(seconds) = request.expires_in {
                    // Ruby integers do not overflow: this check is the integration's, not the
                    // gem's (without it the exact sum fails SIGN-JWT-027, which allows only a
                    // refusal).
                    match request.now.checked_add(seconds) {
                        Some(exp) => claims.insert("exp".into(), exp.into()),
                        None => return refused(request, "exp does not fit in 64 bits"),
                    };
                }
                let token = jws::sign_hs256(
                    &json!({"alg": "HS256"}),
                    &Value::Object(claims),
                    request.secret.as_bytes(),
                );
                signed(request, None, Some(token))
            }
        }
    }
}

fn node_client() -> BuiltinFactory {
    BuiltinFactory::new("intercom-client-2.x-like", || Box::new(NodeClient))
}

fn rails_gem() -> BuiltinFactory {
    BuiltinFactory::new("intercom-rails-like", || Box::new(RailsGem))
}

/// The should-level SIGN-EMPTY-SECRET failures signing under an empty secret gives; anything
/// else that is not a pass is returned.
fn beyond_empty_secret(events: &[CaseEvent]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.outcome != OutcomeClass::Pass)
        .filter(|e| {
            !(e.gate_level() == Level::Should
                && e.problems
                    .iter()
                    .all(|p| p.requirement.as_deref() == Some("SIGN-EMPTY-SECRET")))
        })
        .map(messenger_conformance::report::terminal::render_failure)
        .collect()
}

fn signer_cases(
    suite: &messenger_conformance::scenario::Suite,
) -> Vec<&messenger_conformance::scenario::LoadedCase> {
    suite.cases.iter().filter(|c| c.area == "signer").collect()
}

fn passes_every_signer_case(factory: &BuiltinFactory) -> Vec<CaseEvent> {
    let suite = common::suite();
    let cases = signer_cases(&suite);
    assert!(cases.len() > 50, "{} signer cases", cases.len());
    let events = common::run_cases(factory, &cases);
    let failures = beyond_empty_secret(&events);
    assert!(
        failures.is_empty(),
        "{} fails signer cases beyond the should-level empty secret:\n{}",
        factory.describe(),
        failures.join("\n")
    );
    events
}

fn chose(events: &[CaseEvent], id: &str) -> Option<usize> {
    events
        .iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("no {id}"))
        .chosen
}

#[test]
fn a_signer_like_intercoms_node_client_passes_every_signer_case() {
    let events = passes_every_signer_case(&node_client());
    // It took the other conforming answer where the table allows one: the hash over the email
    // for an empty user_id, the token without the empty email, exp = now for a zero lifetime.
    assert_eq!(chose(&events, "SIGN-HASH-011"), Some(1));
    assert_eq!(chose(&events, "SIGN-HASH-012"), Some(1));
    assert_eq!(chose(&events, "SIGN-JWT-015"), Some(1));
    assert_eq!(chose(&events, "SIGN-JWT-024"), Some(1));
    assert_eq!(chose(&events, "SIGN-JWT-017"), Some(0));
    // Signing under the empty secret fails at should level, and says so.
    for id in ["SIGN-HASH-013", "SIGN-JWT-016"] {
        let event = events.iter().find(|e| e.id == id).unwrap();
        assert_eq!(
            (event.outcome, event.gate_level()),
            (OutcomeClass::WrongVerdict, Level::Should),
            "{id}"
        );
        assert!(
            event.problems[0]
                .why
                .contains("signed under an empty secret"),
            "{:?}",
            event.problems
        );
    }
}

#[test]
fn a_signer_like_intercoms_rails_gem_passes_every_signer_case() {
    let events = passes_every_signer_case(&rails_gem());
    assert_eq!(chose(&events, "SIGN-HASH-011"), Some(1));
    assert_eq!(chose(&events, "SIGN-JWT-015"), Some(1));
    for id in [
        "SIGN-JWT-017",
        "SIGN-JWT-018",
        "SIGN-JWT-019",
        "SIGN-JWT-030",
        "SIGN-JWT-035",
    ] {
        assert_eq!(chose(&events, id), Some(1), "{id}: the attribute left out");
    }
}

#[test]
fn both_pass_the_signer_property_on_several_seeds() {
    let property = properties::find("signer-output").unwrap();
    for (name, factory) in [("node", node_client()), ("rails", rails_gem())] {
        let mut adapter = factory.start().unwrap();
        for seed in 1..=6 {
            let run = property.check(
                adapter.as_mut(),
                &Settings { seed, cases: 256 },
                &Redactor::default(),
            );
            let failures = beyond_empty_secret(std::slice::from_ref(&run.event));
            assert!(
                failures.is_empty(),
                "{name}, seed {seed}:\n{}",
                failures.join("\n")
            );
        }
    }
}

/// The contract-only implementation, both readings, through the exec transport.
#[test]
fn the_contract_only_signer_passes_in_both_readings() {
    let runs: Vec<(&str, &str, &str)> = ["refuse", "open"]
        .into_iter()
        .flat_map(|reading| {
            [
                ("cases", "1"),
                ("properties", "1"),
                ("properties", "2"),
                ("properties", "3"),
            ]
            .map(|(only, seed)| (reading, only, seed))
        })
        .collect();
    // The eight runs are independent, and each mostly waits for its Python adapter: at once.
    common::in_threads(runs, |(reading, only, seed)| {
        let output = common::bin(&["run", "--role", "signer", "--only", only, "--seed", seed])
            .env("ALT_SIGNER_READING", reading)
            .args(["--property-cases", "128", "--no-report", "--strict"])
            .args([
                "--",
                "python3",
                "tests/adapters/alt_verifier.py",
                "--order",
                "alg-first",
            ])
            .output();
        assert!(
            output.code == 0 && output.stdout.contains(" 0 failed"),
            "reading {reading}, {only}, seed {seed}: {output}"
        );
    });
}

/// Every bundled broken signer is still caught by a signer case, and a problem of that failure
/// names a requirement the broken signer says it breaks (not only the case's tags).
#[test]
fn every_broken_signer_is_caught_by_a_problem_naming_what_it_breaks() {
    let suite = common::suite();
    let cases = signer_cases(&suite);
    let mut missed = Vec::new();
    for mutant in messenger_conformance::broken::all()
        .iter()
        .filter(|m| m.name.starts_with("sign-"))
    {
        let events = common::run_cases(&common::broken_implementation(mutant.name), &cases);
        let named = events.iter().filter(|e| e.failed()).any(|e| {
            e.problems.iter().any(|p| {
                p.requirement
                    .as_deref()
                    .is_some_and(|r| mutant.breaks.contains(&r))
            })
        });
        if !named {
            missed.push(mutant.name);
        }
    }
    assert!(
        missed.is_empty(),
        "no failing problem names what these break: {missed:?}"
    );
}
