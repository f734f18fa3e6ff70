//! One case, run: each step's message built, exchanged with the implementation, judged, and
//! recorded as one [`CaseEvent`].

use std::time::Instant;

use crate::adapter::{Adapter, AdapterFactory};
use crate::clock::system_now;
use crate::contract::HelloReply;
use crate::event::{CaseEvent, Kind, RunHeader, RunOptions};
use crate::exchange::{declared_lack, exchange, instant, skip_reason, Exchanged, Subject};
use crate::judge::{self, Judgement, OutcomeClass, Problem};
use crate::redact::Redactor;
use crate::scenario::LoadedCase;

/// The report's header record, from the target's `hello`.
pub fn header_for(
    factory: &dyn AdapterFactory,
    hello: &HelloReply,
    options: RunOptions,
) -> RunHeader {
    RunHeader {
        format_version: crate::event::EVENTS_FORMAT_VERSION,
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        target: factory.describe(),
        implementation: hello.implementation.clone(),
        roles: hello.roles.iter().map(|r| r.as_str().to_string()).collect(),
        clock: hello.clock,
        lacks: hello.lacks.clone(),
        seed: options.seed,
        options,
        started_at: system_now(),
        suite: None,
    }
}

/// Run one case, every step in order, stopping at the first step that does not pass.
/// Every secret in the evidence is replaced by `redactor`.
pub fn run_case(adapter: &mut dyn Adapter, case: &LoadedCase, redactor: &Redactor) -> CaseEvent {
    let started = Instant::now();
    let decided = exchanged(adapter, case, redactor);
    let mut subject = subject(case);
    // A note may quote a secret of the case (a seed's placeholder key): redacted like the rest.
    subject.note = case.note.as_deref().map(|note| redactor.text(note));
    decided.into_event(subject, started.elapsed())
}

/// What the case's steps got, up to the first that does not pass, judged at the case's level.
fn exchanged(adapter: &mut dyn Adapter, case: &LoadedCase, redactor: &Redactor) -> Exchanged {
    let hello = adapter.hello().clone();
    if let Some((cause, reason)) = skip_reason(&hello, case.role, case.needs_exact_instant) {
        return Exchanged::unsent(Judgement::skipped(cause, reason));
    }
    let steps = match case.build(instant(&hello, case.now)) {
        Ok(steps) => steps,
        Err(error) => {
            return Exchanged::unsent(Judgement::from_problems(
                OutcomeClass::AdapterError,
                vec![Problem::unbuildable_case(error)],
            ));
        }
    };
    let mut decided = Exchanged::unsent(Judgement::pass());
    for step in &steps {
        if let Some(skip) = declared_lack(&hello, &step.message) {
            decided.judgement = skip;
            break;
        }
        decided.then(exchange(
            adapter,
            &step.message,
            &step.expectation,
            redactor,
        ));
        if decided.judgement.class != OutcomeClass::Pass {
            break;
        }
    }
    judge::severity::cap_judgement(&mut decided.judgement, case.level);
    if let (Some(severity), Some(reason)) = (case.source.severity, &case.source.severity_reason) {
        judge::severity::apply_override(&mut decided.judgement, severity.into(), reason);
    }
    decided
}

/// What a case's record is about (without its note).
pub(crate) fn subject(case: &LoadedCase) -> Subject {
    Subject {
        id: case.id.clone(),
        area: case.area.clone(),
        title: case.title.clone(),
        kind: Kind::Case,
        requirements: case.requirements.clone(),
        level: case.level,
        location: format!("{}:{}", case.file.display(), case.line),
        note: None,
    }
}
