//! Records for the renderers' unit tests.

use serde_json::json;

use crate::clock::Date;
use crate::contract::{Clock, Implementation};
use crate::event::{CaseEvent, Exchange, Kind, RunHeader, RunOptions};
use crate::judge::{OutcomeClass, Problem, Severity, SkipCause};
use crate::report::gate::{decide, GateDecision, GateOptions};
use crate::report::stream::Stream;
use crate::spec::Level;
use crate::suite::SuiteIdentity;

pub fn header() -> RunHeader {
    RunHeader {
        format_version: crate::event::EVENTS_FORMAT_VERSION,
        harness_version: "0.1.0".into(),
        target: "builtin:reference".into(),
        implementation: Implementation {
            name: "test impl".into(),
            version: "1.2.3".into(),
        },
        roles: vec!["verifier".into(), "signer".into()],
        clock: Clock::Injected,
        lacks: vec![],
        seed: None,
        options: RunOptions::default(),
        started_at: 1_767_225_600,
        suite: Some(SuiteIdentity {
            version: Some("0.1.0".into()),
            digest: format!("sha256:{}", "ab".repeat(32)),
            cases: 3,
            source: "embedded".into(),
            extra: Vec::new(),
        }),
    }
}

/// A case with the given outcome; failures get one problem whose severity follows the class
/// (wrong verdict: critical, wrong error code: minor, anything else: major).
pub(crate) fn case(id: &str, area: &str, outcome: OutcomeClass) -> CaseEvent {
    let severity = match outcome {
        OutcomeClass::Pass | OutcomeClass::Skipped => None,
        OutcomeClass::WrongVerdict => Some(Severity::Critical),
        OutcomeClass::WrongErrorCode => Some(Severity::Minor),
        _ => Some(Severity::Major),
    };
    let problems = severity
        .map(|severity| {
            Problem::new(
                severity,
                "outcome",
                "rejected (jwt_algorithm_not_allowed)",
                "accepted",
                "it accepted a request that must be refused",
            )
        })
        .into_iter()
        .collect();
    let error = match outcome {
        OutcomeClass::WrongErrorCode => json!("jwt_malformed"),
        _ => json!(null),
    };
    CaseEvent {
        id: id.into(),
        area: area.into(),
        title: format!("case {id}"),
        kind: Kind::Case,
        requirements: vec!["JWT-ALG".into()],
        level: Level::Must,
        failure_level: None,
        outcome,
        severity,
        problems,
        expected: json!({"outcome": "rejected", "error": "jwt_algorithm_not_allowed"}),
        actual: json!({"type": "verdict", "outcome": "accepted", "error": error}),
        message: Some(format!("message of {id}")),
        skip_reason: (outcome == OutcomeClass::Skipped)
            .then(|| "the implementation does not offer the signer role".into()),
        skip: (outcome == OutcomeClass::Skipped).then_some(SkipCause::Role),
        chosen: None,
        location: Some(format!("cases/{area}/x.yaml:1")),
        duration_ms: 1.5,
        transcript: vec![Exchange {
            request: json!({"type": "verify", "id": id}),
            response: json!({"type": "verdict", "id": id, "outcome": "accepted"}),
            seen: None,
        }],
        stderr: String::new(),
        note: None,
        reproduce: None,
        counterexample: None,
    }
}

/// The gate of a finished, complete, non-strict run on day 0 without a baseline.
pub(crate) fn gate(stream: &Stream) -> GateDecision {
    decide(
        &stream.cases,
        None,
        &GateOptions {
            strict: false,
            today: Date::from_unix(0),
            complete: true,
            fail_on_skipped_must: false,
            finished: true,
        },
    )
}

/// A case skipped because the implementation answered `unsupported` to a request that needs
/// nothing `hello` declares lacking.
pub(crate) fn undeclared(id: &str, area: &str) -> CaseEvent {
    CaseEvent {
        skip_reason: Some(
            "answered `unsupported` (\"later\"), but hello declared no lack of what this request needs (the verifier role, which hello offers): answer it".into(),
        ),
        skip: Some(SkipCause::Undeclared),
        ..case(id, area, OutcomeClass::Skipped)
    }
}
