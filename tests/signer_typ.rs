//! The signer's `typ` (CONTRACT, signer rules; SIGN-JWT-TYP): absent or `"JWT"` in any case
//! conforms; any other value is a `should` failure that gates only under `--strict`.
//!
//! Each signer here is the reference signer with its header changed and the token signed again
//! with the request's secret, as ruby-jwt (`{"alg":"HS256"}` alone), a lowercase writer and a
//! JOSE library (`"typ":"JOSE"`) would sign it.

use messenger_conformance::redact::Redactor;
use std::path::Path;

use serde_json::Value;

use messenger_conformance::adapter::builtin::{BuiltinFactory, InProcess};
use messenger_conformance::adapter::AdapterFactory;
use messenger_conformance::contract::{
    FromAdapter, HelloReply, Role, SignRequest, Verdict, VerifyRequest,
};
use messenger_conformance::event::CaseEvent;
use messenger_conformance::judge::OutcomeClass;
use messenger_conformance::properties::{self, Settings};
use messenger_conformance::reference::{self, jws, Reference};
use messenger_conformance::report::gate::{decide, GateOptions};
use messenger_conformance::run::Workers;
use messenger_conformance::scenario::{load_suite, LoadedCase};
use messenger_conformance::spec::Level;

/// The reference signer, writing `typ` as given (`None`: no `typ` at all).
struct Typ(Option<&'static str>);

impl InProcess for Typ {
    fn hello(&self) -> HelloReply {
        Reference::hello()
    }

    fn verify(&mut self, request: &VerifyRequest) -> Verdict {
        reference::verify(request)
    }

    fn sign(&mut self, request: &SignRequest) -> FromAdapter {
        let mut answer = reference::sign(request);
        if let FromAdapter::Signed(signed) = &mut answer {
            if let Some(token) = signed.jwt.take() {
                let decoded = jws::decode_unverified(&token).expect("the reference's token");
                let mut header = decoded.header.members.clone();
                match self.0 {
                    Some(typ) => header.insert("typ".into(), typ.into()),
                    None => header.shift_remove("typ"),
                };
                signed.jwt = Some(jws::sign_hs256(
                    &Value::Object(header),
                    &Value::Object(decoded.claims.members.clone()),
                    request.secret.as_bytes(),
                ));
            }
        }
        answer
    }
}

fn factory(typ: Option<&'static str>) -> BuiltinFactory {
    BuiltinFactory::new(format!("typ-{typ:?}"), move || Box::new(Typ(typ)))
}

/// Every signer case of the suite, and the `signer-output` property, against one signer.
fn run(typ: Option<&'static str>) -> (Vec<CaseEvent>, CaseEvent) {
    let suite = load_suite(&Path::new(env!("CARGO_MANIFEST_DIR")).join("cases"))
        .unwrap_or_else(|errors| panic!("{errors}"));
    let cases: Vec<&LoadedCase> = suite
        .cases
        .iter()
        .filter(|c| c.role == Role::Signer)
        .collect();
    assert!(cases.len() > 20, "the signer cases: {}", cases.len());
    let factory = factory(typ);
    let events =
        Workers::start(&factory, 1)
            .unwrap()
            .run_cases(&cases, &Redactor::default(), |_| {});
    let mut adapter = factory.start().unwrap();
    let property = properties::find("signer-output").unwrap();
    let settings = Settings {
        seed: 7,
        ..Settings::default()
    };
    let event = property
        .check(adapter.as_mut(), &settings, &Redactor::default())
        .event;
    (events, event)
}

fn failures(events: &[CaseEvent]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.failed())
        .map(messenger_conformance::report::terminal::render_failure)
        .collect()
}

#[test]
fn a_signer_without_typ_or_with_lowercase_jwt_passes_every_signer_case_and_the_property() {
    for typ in [None, Some("jwt")] {
        let (events, property) = run(typ);
        assert!(
            failures(&events).is_empty(),
            "typ {typ:?}:\n{}",
            failures(&events).join("\n")
        );
        assert_eq!(
            property.outcome,
            OutcomeClass::Pass,
            "typ {typ:?}: {:#?}",
            property.problems
        );
    }
}

#[test]
fn a_signer_with_typ_jose_fails_only_at_should_level() {
    let (events, property) = run(Some("JOSE"));
    let failed: Vec<&CaseEvent> = events.iter().filter(|e| e.failed()).collect();
    let jwt_signed = events
        .iter()
        .filter(|e| e.expected.get("kind").and_then(Value::as_str) == Some("jwt"))
        .count();
    assert_eq!(
        failed.len(),
        jwt_signed,
        "every case that expects a token fails, and nothing else:\n{}",
        failures(&events).join("\n")
    );
    assert!(jwt_signed >= 12, "{jwt_signed}");
    for event in &failed {
        assert_eq!(event.gate_level(), Level::Should, "{}", event.id);
        assert!(
            event
                .problems
                .iter()
                .all(|p| p.field == "header.typ" && p.level == Some(Level::Should)),
            "{}: {:#?}",
            event.id,
            event.problems
        );
    }
    // The must-level cases among them say so when they fail.
    let sign_jwt_001 = failed.iter().find(|e| e.id == "SIGN-JWT-001").unwrap();
    assert_eq!(sign_jwt_001.level, Level::Must);
    let text = messenger_conformance::report::terminal::render_failure(sign_jwt_001);
    assert!(
        text.starts_with("--- signer::SIGN-JWT-001 [should (must case) minor]"),
        "{text}"
    );
    assert!(
        text.contains(
            "judged at should: every problem breaks a should rule, though the case is must"
        ),
        "{text}"
    );
    assert!(
        text.contains("why it matters (minor, should rule): typ is not read by verifiers"),
        "{text}"
    );

    // The property fails at should level too.
    assert_eq!(
        property.outcome,
        OutcomeClass::WrongDetail,
        "{:#?}",
        property.problems
    );
    assert_eq!(property.gate_level(), Level::Should);

    // The gate: passed, unless --strict.
    let mut all = events.clone();
    all.push(property);
    let decision = decide(&all, None, &GateOptions::new(false, false));
    assert!(decision.passed, "{}", decision.render_text());
    assert_eq!(decision.ignored_failures.len(), jwt_signed + 1);
    let strict = decide(&all, None, &GateOptions::new(true, false));
    assert!(!strict.passed);
    assert_eq!(strict.new_failures.len(), jwt_signed + 1);
}

#[test]
fn a_should_level_typ_does_not_hide_a_must_level_failure_from_the_property() {
    // typ JOSE on every token, and the attributes left out of it: the property must report the
    // attributes (must). A should-level failure may not stop the search, nor may shrinking
    // trade the must-level failure for a simpler request that only breaks the should rule.
    struct Both;
    impl InProcess for Both {
        fn hello(&self) -> HelloReply {
            Reference::hello()
        }
        fn verify(&mut self, request: &VerifyRequest) -> Verdict {
            reference::verify(request)
        }
        fn sign(&mut self, request: &SignRequest) -> FromAdapter {
            let mut without = request.clone();
            if request.mode == messenger_conformance::contract::SignMode::Jwt {
                without.attributes.clear();
            }
            let mut answer = Typ(Some("JOSE")).sign(&without);
            if let FromAdapter::Signed(signed) = &mut answer {
                signed.id = request.id.clone();
            }
            answer
        }
    }
    let factory = BuiltinFactory::new("both", || Box::new(Both));
    let mut adapter = factory.start().unwrap();
    let property = properties::find("signer-output").unwrap();
    let event = property
        .check(
            adapter.as_mut(),
            &Settings {
                seed: 7,
                ..Settings::default()
            },
            &Redactor::default(),
        )
        .event;
    assert!(event.failed());
    assert_eq!(event.gate_level(), Level::Must, "{:#?}", event.problems);
    assert!(
        event
            .problems
            .iter()
            .any(|p| p.field.starts_with("claims.")),
        "{:#?}",
        event.problems
    );
}
