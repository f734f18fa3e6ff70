//! One exchange with the implementation under test, the step that cases and properties share:
//! request → adapter → judgement → transcript entry → the adapter's stderr → redaction.
//!
//! Everything an adapter controls (its answer, its `message`, what it printed instead of an
//! answer, its stderr, the error detail) leaves this module redacted, so a case record and a
//! property record can never differ in what they let through.
#![warn(missing_docs)]

use serde_json::{json, Value};

use crate::adapter::Adapter;
use crate::clock::system_now;
use crate::contract::{Clock, FromAdapter, HelloReply, Role, ToAdapter};
use crate::event::Exchange;
use crate::judge::{self, Judgement};
use crate::redact::Redactor;
use crate::scenario::Expectation;

/// What one request got: the judgement and the redacted evidence for the record.
#[derive(Debug, Clone)]
pub(crate) struct Exchanged {
    pub judgement: Judgement,
    /// The request and the answer (or what was seen instead), for the transcript.
    pub exchange: Exchange,
    /// The expectation, as JSON.
    pub expected: Value,
    /// The answer as JSON, or `{"adapter_error": kind, "detail": ...}` when there was none.
    pub actual: Value,
    /// The implementation's own `message`.
    pub message: Option<String>,
    /// What the adapter wrote to stderr while this request was in flight.
    pub stderr: String,
    /// The answer itself, unredacted, for a second judgement (a property judges one answer at
    /// several levels). Never written anywhere.
    pub answer: Option<FromAdapter>,
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
                judgement: redactor.redacted(&judged(expectation, &answer, message)),
                exchange: Exchange {
                    request,
                    response: response.clone(),
                    seen: None,
                },
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
                judgement: judge::no_answer(error.kind, actual_text),
                exchange: Exchange {
                    request,
                    response: Value::Null,
                    seen,
                },
                expected,
                actual: json!({ "adapter_error": error.kind.as_str(), "detail": detail }),
                message: None,
                stderr,
                answer: None,
            }
        }
    }
}

/// The judgement of `answer`, each problem naming the requirement it breaks, its severity
/// derived from what the request lets happen.
fn judged(expectation: &Expectation, answer: &FromAdapter, message: &ToAdapter) -> Judgement {
    let mut judgement = judge::judge(expectation, answer);
    judge::breaks::name_requirements(&mut judgement.problems, message, expectation);
    judge::severity::derive(&mut judgement, message, answer);
    judgement
}

/// Why a case or property of `role` cannot run against an implementation that said `hello`,
/// if it cannot: the role is not offered, or it needs the injected instant and the
/// implementation reads its own clock.
pub(crate) fn skip_reason(
    hello: &HelloReply,
    role: Role,
    needs_exact_instant: bool,
) -> Option<String> {
    if !hello.roles.contains(&role) {
        Some(format!(
            "the implementation does not offer the {} role",
            role.as_str()
        ))
    } else if hello.clock == Clock::System && needs_exact_instant {
        Some(
            "needs an exact instant, and the implementation reads its own clock (clock: system)"
                .to_string(),
        )
    } else {
        None
    }
}

/// The instant requests are built at: the injected `now` of the case, or the real clock when
/// the implementation reads its own.
pub(crate) fn instant(hello: &HelloReply, injected: i64) -> i64 {
    match hello.clock {
        Clock::Injected => injected,
        Clock::System => system_now(),
    }
}
