//! One exchange with the implementation under test, the step that cases and properties share:
//! request → adapter → judgement → transcript entry → the adapter's stderr → redaction.
//!
//! Everything an adapter controls (its answer, its `message`, what it printed instead of an
//! answer, its stderr, the error detail) leaves this module redacted, so a case record and a
//! property record can never differ in what they let through.
#![warn(missing_docs)]

use std::time::Duration;

use serde_json::{json, Value};

use crate::adapter::{Adapter, AdapterErrorKind};
use crate::clock::system_now;
use crate::contract::{Clock, FromAdapter, HelloReply, Role, ToAdapter};
use crate::event::{CaseEvent, Exchange, Kind};
use crate::judge::{self, needs, Judgement, SkipCause};
use crate::redact::Redactor;
use crate::scenario::Expectation;
use crate::spec::Level;

/// What one or more requests got: the judgement that decides, and the redacted evidence for the
/// record. A case's steps and a property's request sent twice add up into one
/// ([`Exchanged::then`]); a result decided before anything is sent has none
/// ([`Exchanged::unsent`]). [`Exchanged::into_event`] is the one place a [`CaseEvent`] is built.
#[derive(Debug, Clone)]
pub(crate) struct Exchanged {
    pub judgement: Judgement,
    /// Each request and its answer (or what was seen instead), in order.
    pub transcript: Vec<Exchange>,
    /// The expectation of the request that decided, as JSON.
    pub expected: Value,
    /// Its answer as JSON, or `{"adapter_error": kind, "detail": ...}` when there was none.
    pub actual: Value,
    /// The implementation's own `message`.
    pub message: Option<String>,
    /// What the adapter wrote to stderr while these requests were in flight.
    pub stderr: String,
    /// The answer itself, unredacted, for a second judgement (a property judges one answer at
    /// several levels). Never written anywhere.
    pub answer: Option<FromAdapter>,
}

/// What a record is about: a case of the suite, or a property.
pub(crate) struct Subject {
    pub id: String,
    pub area: String,
    pub title: String,
    pub kind: Kind,
    pub requirements: Vec<String>,
    pub level: Level,
    /// Where it is defined: `cases/jwt/alg.yaml:12`.
    pub location: String,
    /// The case's note, redacted.
    pub note: Option<String>,
}

impl Exchanged {
    /// A result decided without sending anything (a skip, a case that cannot be built, a run
    /// that stopped).
    pub fn unsent(judgement: Judgement) -> Exchanged {
        Exchanged {
            judgement,
            transcript: Vec::new(),
            expected: Value::Null,
            actual: Value::Null,
            message: None,
            stderr: String::new(),
            answer: None,
        }
    }

    /// The next step after this one: its exchange and stderr are added to the evidence, and it
    /// decides (its judgement, expectation, answer and message replace these).
    pub fn then(&mut self, next: Exchanged) {
        self.transcript.extend(next.transcript);
        self.stderr.push_str(&next.stderr);
        self.judgement = next.judgement;
        self.expected = next.expected;
        self.actual = next.actual;
        self.message = next.message;
        self.answer = next.answer;
    }

    /// The record of `subject`, which took `duration` (a failure already capped at its level).
    pub fn into_event(self, subject: Subject, duration: Duration) -> CaseEvent {
        let Subject {
            id,
            area,
            title,
            kind,
            requirements,
            level,
            location,
            note,
        } = subject;
        let judgement = self.judgement;
        CaseEvent {
            id,
            area,
            title,
            kind,
            requirements,
            level,
            failure_level: judgement.level,
            outcome: judgement.class,
            severity: judgement.severity,
            problems: judgement.problems,
            expected: self.expected,
            actual: self.actual,
            message: self.message,
            skip_reason: judgement.skip_reason,
            skip: judgement.skip,
            chosen: judgement.chosen,
            location: Some(location),
            duration_ms: duration.as_secs_f64() * 1000.0,
            transcript: self.transcript,
            stderr: self.stderr,
            note,
            reproduce: None,
            counterexample: None,
        }
    }
}

/// Send `message`, judge the answer against `expectation`, and keep the evidence, the
/// judgement's own words included, with every secret the run knows redacted.
pub(crate) fn exchange(
    adapter: &mut dyn Adapter,
    message: &ToAdapter,
    expectation: &Expectation,
    redactor: &Redactor,
) -> Exchanged {
    let mut request = serde_json::to_value(message).unwrap_or(Value::Null);
    redactor.value(&mut request);
    let expected = serde_json::to_value(expectation).unwrap_or(Value::Null);
    let answer = adapter.call(message);
    let stderr = redactor.text(&adapter.take_stderr());
    match answer {
        Ok(answer) => {
            let mut response = serde_json::to_value(&answer).unwrap_or(Value::Null);
            redactor.value(&mut response);
            Exchanged {
                judgement: redactor.redacted(&judge::judge_message(expectation, &answer, message)),
                transcript: vec![Exchange {
                    request,
                    response: response.clone(),
                    seen: None,
                }],
                expected,
                actual: response,
                message: answer.message().map(|m| redactor.text(m)),
                stderr,
                answer: Some(answer),
            }
        }
        Err(error) => {
            let seen = error.seen.as_deref().map(|s| redactor.text(s));
            let detail = redactor.text(&error.detail);
            let actual_text = match &seen {
                Some(seen) => format!("{}: {detail} (saw: {seen})", error.kind.as_str()),
                None => format!("{}: {detail}", error.kind.as_str()),
            };
            Exchanged {
                judgement: judge::no_answer(error.kind == AdapterErrorKind::Timeout, actual_text),
                transcript: vec![Exchange {
                    request,
                    response: Value::Null,
                    seen,
                }],
                expected,
                actual: json!({ "adapter_error": error.kind.as_str(), "detail": detail }),
                message: None,
                stderr,
                answer: None,
            }
        }
    }
}

/// Why a case or property of `role` cannot run against an implementation that said `hello`,
/// if it cannot: the role is not offered, or it needs the injected instant and the
/// implementation reads its own clock.
pub(crate) fn skip_reason(
    hello: &HelloReply,
    role: Role,
    needs_exact_instant: bool,
) -> Option<(SkipCause, String)> {
    if !hello.roles.contains(&role) {
        Some((
            SkipCause::Role,
            format!(
                "the implementation does not offer the {} role",
                role.as_str()
            ),
        ))
    } else if hello.clock == Clock::System && needs_exact_instant {
        Some((
            SkipCause::Clock,
            "needs an exact instant, and the implementation reads its own clock (clock: system)"
                .to_string(),
        ))
    } else {
        None
    }
}

/// A skip, declared, when `message` needs a capability `hello` says the implementation lacks:
/// such a request is not sent (an answer to it would mean nothing).
pub(crate) fn declared_lack(hello: &HelloReply, message: &ToAdapter) -> Option<Judgement> {
    let capability = needs(message).filter(|c| hello.lacks.contains(c))?;
    Some(Judgement::skipped(
        SkipCause::Lacks,
        format!(
            "needs {}, which the implementation declares it lacks (hello: lacks {capability})",
            capability.describe()
        ),
    ))
}

/// The instant requests are built at: the injected `now` of the case, or the real clock when
/// the implementation reads its own.
pub(crate) fn instant(hello: &HelloReply, injected: i64) -> i64 {
    match hello.clock {
        Clock::Injected => injected,
        Clock::System => system_now(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::contract::{Capability, SignMode, SignRequest, User, VerifyRequest};
    use crate::reference::Reference;

    fn sign(mode: SignMode) -> ToAdapter {
        ToAdapter::Sign(SignRequest {
            id: "s1".into(),
            now: 0,
            mode,
            platform: crate::contract::Platform::Web,
            secret: "s".into(),
            key_id: None,
            user: User::default(),
            attributes: Default::default(),
            expires_in: None,
        })
    }

    fn verify(request: Value) -> ToAdapter {
        ToAdapter::Verify(VerifyRequest {
            id: "v1".into(),
            now: 0,
            workspace: serde_json::from_value(json!({"name": "w", "platforms": {}})).unwrap(),
            request,
        })
    }

    #[test]
    fn each_request_needs_its_sign_mode_or_well_typed_fields() {
        assert_eq!(needs(&sign(SignMode::Jwt)), Some(Capability::SignJwt));
        assert_eq!(
            needs(&sign(SignMode::UserHash)),
            Some(Capability::SignUserHash)
        );
        let plain = json!({"action": "boot", "platform": "web", "user_id": ""});
        assert_eq!(
            needs(&verify(plain)),
            None,
            "an empty user_id is well-typed"
        );
        for ill in [
            json!({"action": "boot", "platform": "web", "user_id": 42}),
            json!({"action": "boot", "platform": "windows"}),
            json!({"platform": "web"}),
            json!({"action": "boot", "platform": "web", "attributes": []}),
            json!([]),
        ] {
            assert_eq!(
                needs(&verify(ill.clone())),
                Some(Capability::IllTypedRequests),
                "{ill}"
            );
        }
    }

    #[test]
    fn only_a_declared_lack_withholds_a_request() {
        let mut hello = Reference::hello();
        assert!(declared_lack(&hello, &sign(SignMode::Jwt)).is_none());
        hello.lacks = vec![Capability::SignJwt];
        let skip = declared_lack(&hello, &sign(SignMode::Jwt)).expect("withheld");
        assert_eq!(skip.skip, Some(SkipCause::Lacks));
        assert_eq!(
            skip.skip_reason.as_deref(),
            Some("needs JWT signing, which the implementation declares it lacks (hello: lacks sign_jwt)")
        );
        assert!(declared_lack(&hello, &sign(SignMode::UserHash)).is_none());
    }

    #[test]
    fn an_unsupported_answer_is_a_skip_that_names_what_hello_did_not_declare() {
        let unsupported = FromAdapter::Unsupported(crate::contract::Unsupported {
            id: "s1".into(),
            message: "no tokens here".into(),
        });
        let expectation = Expectation::AnyOf { verdicts: vec![] };
        let judgement = judge::judge_message(&expectation, &unsupported, &sign(SignMode::Jwt));
        assert_eq!(judgement.class, crate::judge::OutcomeClass::Skipped);
        assert_eq!(judgement.skip, Some(SkipCause::Undeclared));
        assert_eq!(
            judgement.skip_reason.as_deref(),
            Some("answered `unsupported` (\"no tokens here\"), but hello declared no lack of JWT signing (`sign_jwt`): answer it, or declare `\"lacks\": [\"sign_jwt\"]` in hello if the implementation cannot do it")
        );
        let verify = verify(json!({"action": "boot", "platform": "web"}));
        let judgement = judge::judge_message(&expectation, &unsupported, &verify);
        assert!(
            judgement.skip_reason.as_deref().unwrap().contains(
                "hello declared no lack of what this request needs (the verifier role, which hello offers)"
            ),
            "{judgement:?}"
        );
    }
}
