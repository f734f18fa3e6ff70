//! Running cases: build each step's message, send it through an adapter, judge the answer,
//! and emit one [`CaseEvent`] per case. Workers run in parallel, one adapter each.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::adapter::{Adapter, AdapterFactory, StartError};
use crate::contract::{Clock, HelloReply};
use crate::judge::{self, Judgement, OutcomeClass, Problem, Severity};
use crate::report::event::{redact, redact_text, CaseEvent, Exchange, RunHeader};
use crate::scenario::LoadedCase;

/// How a run is carried out (which cases run is decided before, by the caller).
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Worker count; each has its own adapter.
    pub jobs: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { jobs: 1 }
    }
}

/// The seconds since the Unix epoch, now.
pub fn system_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The report's header record, from the target's `hello`.
pub fn header_for(
    factory: &dyn AdapterFactory,
    hello: &HelloReply,
    options: Value,
    seed: Option<u64>,
) -> RunHeader {
    RunHeader {
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        target: factory.describe(),
        implementation: hello.implementation.clone(),
        roles: hello.roles.iter().map(|r| r.as_str().to_string()).collect(),
        clock: match hello.clock {
            Clock::Injected => "injected".into(),
            Clock::System => "system".into(),
        },
        seed,
        options,
        started_at: system_now(),
    }
}

/// Run `cases` on `options.jobs` workers. `on_event` sees each event as it completes (in
/// completion order); the returned events are in the order of `cases`.
pub fn run_cases(
    cases: &[&LoadedCase],
    factory: &dyn AdapterFactory,
    options: &RunOptions,
    mut on_event: impl FnMut(&CaseEvent),
) -> Result<Vec<CaseEvent>, StartError> {
    run_parallel(
        cases,
        factory,
        options.jobs,
        |adapter, case| run_case(adapter, case),
        |event| on_event(event),
    )
}

/// Do `work` for every item on up to `jobs` workers, each with its own adapter. `on_result`
/// sees each result as it completes; the returned results are in the order of `items`.
pub fn run_parallel<T: Sync, R: Send>(
    items: &[T],
    factory: &dyn AdapterFactory,
    jobs: usize,
    work: impl Fn(&mut dyn Adapter, &T) -> R + Sync,
    mut on_result: impl FnMut(&R),
) -> Result<Vec<R>, StartError> {
    let jobs = jobs.clamp(1, items.len().max(1));
    let mut adapters = (0..jobs)
        .map(|_| factory.start())
        .collect::<Result<Vec<_>, _>>()?;
    let next = AtomicUsize::new(0);
    let (sender, receiver) = mpsc::channel::<(usize, R)>();
    let mut slots: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        for adapter in adapters.iter_mut() {
            let (sender, next, work) = (sender.clone(), &next, &work);
            scope.spawn(move || loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(index) else { break };
                if sender.send((index, work(adapter.as_mut(), item))).is_err() {
                    break;
                }
            });
        }
        drop(sender);
        for (index, result) in receiver {
            on_result(&result);
            slots[index] = Some(result);
        }
    });
    for adapter in adapters.iter_mut() {
        adapter.shutdown();
    }
    Ok(slots.into_iter().flatten().collect())
}

/// Run one case, every step in order, stopping at the first step that does not pass.
pub fn run_case(adapter: &mut dyn Adapter, case: &LoadedCase) -> CaseEvent {
    let started = Instant::now();
    let hello = adapter.hello().clone();
    let mut event = empty_event(case);
    if !hello.roles.contains(&case.role) {
        let reason = format!(
            "the implementation does not offer the {} role",
            case.role.as_str()
        );
        return finish(event, Judgement::skipped(reason), started);
    }
    let now = match hello.clock {
        Clock::Injected => case.now,
        Clock::System if case.needs_exact_instant => {
            let reason = "needs an exact instant, and the implementation reads its own clock (clock: system)";
            return finish(event, Judgement::skipped(reason), started);
        }
        Clock::System => system_now(),
    };
    let steps = match case.build(now) {
        Ok(steps) => steps,
        Err(error) => {
            let problem = Problem {
                field: "case".into(),
                expected: "a case the harness can build".into(),
                actual: error.to_string(),
                why: "the case itself is broken: fix the case file".into(),
                severity: Severity::Major,
            };
            return finish(
                event,
                Judgement::from_problems(OutcomeClass::AdapterError, vec![problem]),
                started,
            );
        }
    };
    let secrets: Vec<String> = steps
        .iter()
        .flat_map(|s| s.secrets.iter().cloned())
        .collect();
    let mut judgement = Judgement::pass();
    for step in &steps {
        let mut request = serde_json::to_value(&step.message).unwrap_or(Value::Null);
        redact(&mut request, &secrets);
        event.expected = serde_json::to_value(&step.expectation).unwrap_or(Value::Null);
        let answer = adapter.call(&step.message);
        event
            .stderr
            .push_str(&redact_text(&adapter.take_stderr(), &secrets));
        match answer {
            Ok(answer) => {
                let mut response = serde_json::to_value(&answer).unwrap_or(Value::Null);
                redact(&mut response, &secrets);
                event.actual = response.clone();
                event.message = answer.message().map(|m| redact_text(m, &secrets));
                event.transcript.push(Exchange {
                    request,
                    response,
                    seen: None,
                });
                judgement = judge::judge(&step.expectation, &answer);
            }
            Err(error) => {
                let seen = error.seen.as_deref().map(|s| redact_text(s, &secrets));
                event.actual = json!({ "adapter_error": error.kind.as_str(), "detail": redact_text(&error.detail, &secrets) });
                event.transcript.push(Exchange {
                    request,
                    response: Value::Null,
                    seen: seen.clone(),
                });
                let actual = match &seen {
                    Some(seen) => {
                        format!("{}: {} (saw: {seen})", error.kind.as_str(), error.detail)
                    }
                    None => format!("{}: {}", error.kind.as_str(), error.detail),
                };
                judgement = judge::no_answer(error.kind, actual);
            }
        }
        if judgement.class != OutcomeClass::Pass {
            break;
        }
    }
    finish(event, judgement, started)
}

fn empty_event(case: &LoadedCase) -> CaseEvent {
    CaseEvent {
        id: case.id.clone(),
        area: case.area.clone(),
        title: case.title.clone(),
        kind: "case".into(),
        requirements: case.requirements.clone(),
        level: case.level,
        outcome: OutcomeClass::Pass,
        severity: None,
        problems: vec![],
        expected: Value::Null,
        actual: Value::Null,
        message: None,
        skip_reason: None,
        chosen: None,
        location: Some(format!("{}:{}", case.file.display(), case.line)),
        duration_ms: 0.0,
        transcript: vec![],
        stderr: String::new(),
    }
}

fn finish(mut event: CaseEvent, judgement: Judgement, started: Instant) -> CaseEvent {
    event.outcome = judgement.class;
    event.severity = judgement.severity;
    event.problems = judgement.problems;
    event.chosen = judgement.chosen;
    event.skip_reason = judgement.skip_reason;
    event.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    event
}
