//! Property-based, differential testing through the adapter.
//!
//! Each [`Property`] generates requests (proptest strategies over [`recipe`]s), sends each to the
//! implementation under test and to the reference (the oracle), and judges the answer exactly as
//! a case is judged: any difference in outcome, error code, identity, verified flag or
//! attributes is a failure with the same classes and severities. Some properties also assert an
//! invariant that does not depend on the oracle (a changed token is refused; a locked attribute
//! never changes without a JWT). A failure is shrunk to a minimal request, printed, and written
//! as a ready-to-commit YAML case ([`counterexample`]).

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use proptest::strategy::{BoxedStrategy, Strategy};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use serde_json::Value;

use crate::adapter::Adapter;
use crate::contract::{FromAdapter, Outcome, ToAdapter};
use crate::event::{CaseEvent, Kind, ShrunkCase};
use crate::exchange::{declared_lack, exchange, instant, skip_reason, Exchanged, Subject};
use crate::judge::{self, Judgement, OutcomeClass, Problem, Severity, SkipCause};
use crate::redact::Redactor;
use crate::scenario::{Expectation, DEFAULT_NOW};
use crate::spec::Level;

pub(crate) mod conforming;
pub mod counterexample;
pub mod recipe;
pub mod sign;
pub(crate) mod strategy;
mod table;

use conforming::conforming;
pub use table::{all, find, secrets, Property};
use table::{Generator, Invariant, Sample};

/// The default number of generated requests per property.
pub const DEFAULT_CASES: u32 = 256;

/// How many simpler requests shrinking may try once a property fails. Counted here, not by
/// proptest: its own limit prints a message of its own on stderr when reached.
const SHRINK_BUDGET: u64 = 512;

/// The runner's configuration, written out in full rather than from `Config::default()`: that one
/// reads `PROPTEST_*` variables from the environment (and prints about the ones it does not
/// know), and a run's requests depend on its seed and budget alone. Proptest prints nothing of
/// its own: no verbosity, no persistence, no shrink limit or time limit it could report
/// reaching (the budget is [`SHRINK_BUDGET`]).
fn runner_config(cases: u32) -> Config {
    Config {
        cases,
        max_local_rejects: 65_536,
        max_global_rejects: 1024,
        max_flat_map_regens: 1_000_000,
        failure_persistence: None,
        source_file: None,
        test_name: None,
        max_shrink_time: 0,
        // Not u32::MAX: proptest reads that as `cases * 4`, and prints when it reaches it.
        max_shrink_iters: u32::MAX - 1,
        max_default_size_range: 100,
        result_cache: proptest::test_runner::noop_result_cache,
        verbose: 0,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: proptest::test_runner::RngSeed::Random,
        _non_exhaustive: (),
    }
}

/// How properties run: the seed makes a run reproducible; `cases` is the budget per property.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub seed: u64,
    pub cases: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            seed: 0,
            cases: DEFAULT_CASES,
        }
    }
}

/// One property's result: its event, how many requests it sent, and its counterexample.
#[derive(Debug, Clone)]
pub struct PropertyRun {
    pub event: CaseEvent,
    pub stats: PropertyStats,
    /// The failure shrunk to a minimal request, as a YAML case (not yet written anywhere:
    /// [`PropertyRun::keep_counterexample`]).
    pub counterexample: Option<counterexample::Counterexample>,
}

/// What a property sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PropertyStats {
    /// Requests sent (a request sent twice counts twice).
    pub requests: u64,
    /// How many of them were answered `unsupported` (each a skip `hello` did not declare).
    pub unsupported: u64,
    /// How many generated requests were not sent: they need what `hello` declares lacking.
    pub lacking: u64,
}

impl Property {
    /// The property's own seed: the run's seed mixed with its name, so each property has its
    /// own reproducible stream whichever others run.
    fn seed_bytes(&self, seed: u64) -> [u8; 32] {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
        for byte in self.name.bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        let mut bytes = [0u8; 32];
        for (i, chunk) in bytes.chunks_mut(8).enumerate() {
            chunk.copy_from_slice(&(hash.rotate_left(i as u32 * 16) ^ seed).to_le_bytes());
        }
        bytes
    }

    fn strategy(&self) -> BoxedStrategy<Sample> {
        match self.generator {
            Generator::Verify(make) => make().prop_map(|r| Sample::Verify(Box::new(r))).boxed(),
            Generator::Sign(make) => make().prop_map(Sample::Sign).boxed(),
        }
    }

    /// [`Property::check`] against `adapter`, unless the run's circuit breaker has tripped
    /// (`stopped` says why): then the property is recorded as not run, an adapter error.
    pub fn check_unless(
        &self,
        adapter: &mut dyn Adapter,
        settings: &Settings,
        redactor: &Redactor,
        stopped: Option<&str>,
    ) -> PropertyRun {
        let Some(why) = stopped else {
            return self.check(adapter, settings, redactor);
        };
        PropertyRun {
            event: self.record(
                Exchanged::unsent(judge::not_run("property", why)),
                Duration::ZERO,
            ),
            stats: PropertyStats::default(),
            counterexample: None,
        }
    }

    /// Every secret in the evidence is replaced by `redactor` (which must know [`secrets`]).
    pub fn check(
        &self,
        adapter: &mut dyn Adapter,
        settings: &Settings,
        redactor: &Redactor,
    ) -> PropertyRun {
        let started = Instant::now();
        let hello = adapter.hello().clone();
        if let Some((cause, reason)) = skip_reason(&hello, self.role, self.needs_exact_instant) {
            let skip = Exchanged::unsent(Judgement::skipped(cause, reason));
            return PropertyRun {
                event: self.record(skip, started.elapsed()),
                stats: PropertyStats::default(),
                counterexample: None,
            };
        }
        let now = instant(&hello, DEFAULT_NOW);
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &self.seed_bytes(settings.seed));
        let mut runner = TestRunner::new_with_rng(runner_config(settings.cases), rng);
        let adapter = RefCell::new(adapter);
        let sent = Cell::new(0u64);
        let supported = Cell::new(0u64);
        let unsupported = Cell::new(0u64);
        let lacking = Cell::new(0u64);
        // The first request answered `unsupported` though hello declared no lack it needs: the
        // property is a skip hello did not declare, unless an answer fails it.
        let undeclared: RefCell<Option<Exchanged>> = RefCell::new(None);
        // The first request the adapter could not answer, before any failure: the property
        // stops there (no more requests are sent) and reports it as what it is.
        let no_answer: RefCell<Option<Exchanged>> = RefCell::new(None);
        // The first answer that fails at `should` level only: reported if nothing fails at `must`.
        let should_failure: RefCell<Option<Exchanged>> = RefCell::new(None);
        let failing = Cell::new(false);
        // The severity of the first failing request: shrinking looks for a smaller request that
        // fails, not one that fails as badly, and must not make the finding look milder.
        let original_severity: Cell<Option<Severity>> = Cell::new(None);
        let shrink_tries = Cell::new(0u64);
        // The last request that failed: the smallest failure shrinking found. Kept here, since
        // the value proptest returns is where its search stopped, which need not be a failure
        // (out of budget, every further try counts as passing).
        let smallest: RefCell<Option<Sample>> = RefCell::new(None);
        let result = runner.run(&self.strategy(), |sample| {
            if no_answer.borrow().is_some() {
                return Ok(());
            }
            if failing.get() {
                // Out of budget: every further simplification counts as passing, unsent, so the
                // shrinker settles on the smallest failure found so far.
                if shrink_tries.get() >= SHRINK_BUDGET {
                    return Ok(());
                }
                shrink_tries.set(shrink_tries.get() + 1);
            }
            let trial = self.trial(&mut **adapter.borrow_mut(), &sample, now, &sent, redactor);
            match trial.judgement.class {
                OutcomeClass::Pass => {
                    supported.set(supported.get() + 1);
                    Ok(())
                }
                OutcomeClass::Skipped if trial.judgement.skip == Some(SkipCause::Lacks) => {
                    lacking.set(lacking.get() + 1);
                    Ok(())
                }
                OutcomeClass::Skipped => {
                    unsupported.set(unsupported.get() + 1);
                    undeclared.borrow_mut().get_or_insert(trial);
                    Ok(())
                }
                // While shrinking, a request the adapter could not answer is not a smaller
                // counterexample: the search goes on with the others.
                OutcomeClass::AdapterError | OutcomeClass::Timeout if failing.get() => Ok(()),
                OutcomeClass::AdapterError | OutcomeClass::Timeout => {
                    *no_answer.borrow_mut() = Some(trial);
                    Ok(())
                }
                _ if trial.judgement.level == Some(Level::Should) => {
                    should_failure.borrow_mut().get_or_insert(trial);
                    Ok(())
                }
                _ => {
                    if !failing.replace(true) {
                        original_severity.set(trial.judgement.severity);
                    }
                    *smallest.borrow_mut() = Some(sample.clone());
                    Err(TestCaseError::fail(summary(&trial.judgement)))
                }
            }
        });
        let adapter = adapter.into_inner();
        let run = |trial: Exchanged, counterexample| PropertyRun {
            event: self.record(trial, started.elapsed()),
            stats: PropertyStats {
                requests: sent.get(),
                unsupported: unsupported.get(),
                lacking: lacking.get(),
            },
            counterexample,
        };
        if let Some(trial) = no_answer.into_inner() {
            return run(trial, None);
        }
        match result {
            Ok(()) if undeclared.borrow().is_some() => {
                let mut trial = undeclared.take().expect("checked above");
                let reason = format!(
                    "{} of {} requests {}; the first {}",
                    unsupported.get(),
                    sent.get(),
                    if unsupported.get() == 1 {
                        "was answered `unsupported`"
                    } else {
                        "were answered `unsupported`"
                    },
                    trial.judgement.skip_reason.as_deref().unwrap_or_default()
                );
                trial.judgement = Judgement::skipped(SkipCause::Undeclared, reason);
                run(trial, None)
            }
            Ok(()) if supported.get() == 0 && should_failure.borrow().is_none() => {
                let nothing = Exchanged::unsent(
                    Judgement::skipped(
                        SkipCause::Lacks,
                        format!(
                            "nothing was tested: all {} generated requests need what the implementation declares it lacks (hello: lacks {})",
                            lacking.get(),
                            hello
                                .lacks
                                .iter()
                                .map(|c| c.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ),
                );
                run(nothing, None)
            }
            Ok(()) => match should_failure.into_inner() {
                Some(trial) => run(trial, None),
                None => run(Exchanged::unsent(Judgement::pass()), None),
            },
            Err(TestError::Fail(_, stopped_at)) => {
                let minimal = smallest.into_inner().unwrap_or(stopped_at);
                // Replay the minimal sample once more for its transcript and judgement.
                let mut trial = self.trial(adapter, &minimal, now, &sent, redactor);
                let replayed = trial.judgement.class;
                let judgement = if replayed.is_failure() {
                    let mut judgement = trial.judgement.clone();
                    judgement.severity = never_milder(judgement.severity, original_severity.get());
                    judgement
                } else {
                    flaky(&trial.judgement)
                };
                let counterexample =
                    counterexample::Counterexample::new(self, settings.seed, &minimal, now);
                trial.judgement = judgement;
                if !replayed.is_failure() || replayed.is_answered() {
                    return run(trial, Some(counterexample));
                }
                run(trial, None)
            }
            Err(TestError::Abort(reason)) => {
                let aborted = Exchanged::unsent(Judgement::from_problems(
                    OutcomeClass::AdapterError,
                    vec![Problem::property_aborted(reason)],
                ));
                run(aborted, None)
            }
        }
    }

    fn trial(
        &self,
        adapter: &mut dyn Adapter,
        sample: &Sample,
        now: i64,
        sent: &Cell<u64>,
        redactor: &Redactor,
    ) -> Exchanged {
        let id = format!("{}-{}", self.name, sent.get() + 1);
        let (message, expectation, should) = match sample {
            Sample::Verify(recipe) => {
                let request = recipe::build_verify(recipe, &id, now);
                let conforming = conforming(&request);
                (
                    ToAdapter::Verify(request),
                    conforming.must,
                    conforming.should,
                )
            }
            Sample::Sign(recipe) => {
                let request = sign::build_sign(recipe, &id, now);
                let expectation = expected_signature(&request);
                (ToAdapter::Sign(request), expectation, None)
            }
        };
        if let Some(skip) = declared_lack(adapter.hello(), &message) {
            return Exchanged::unsent(skip);
        }
        let mut trial = self.exchange(adapter, &message, &expectation, sent, redactor);
        if self.invariant == Invariant::Deterministic {
            return self.send_again(adapter, trial, &message, &expectation, sent, redactor);
        }
        // An answer that conforms to a `should`-level choice only fails at `should`.
        let conforms_at_should = |answer: &Option<FromAdapter>| {
            should
                .as_ref()
                .zip(answer.as_ref())
                .is_some_and(|(should, answer)| {
                    judge::judge(should, answer).class == OutcomeClass::Pass
                })
        };
        if trial.judgement.class.is_failure() || trial.judgement.class == OutcomeClass::Skipped {
            if trial.judgement.class.is_answered() && conforms_at_should(&trial.answer) {
                trial.judgement.level = Some(Level::Should);
            }
            return trial;
        }
        let invariant = match (self.invariant, &trial.actual) {
            (Invariant::MustReject, actual) => {
                let problem = must_reject(actual);
                problem.map(|mut problem| {
                    if should.is_some() {
                        problem.level = Some(Level::Should);
                    }
                    problem
                })
            }
            (Invariant::LockedNeverApplied, actual) => locked_never_applied(actual, &message),
            (Invariant::None | Invariant::Deterministic, _) => None,
        };
        if let Some(mut problem) = invariant {
            judge::breaks::name_requirements(
                std::slice::from_mut(&mut problem),
                &message,
                &expectation,
            );
            let vouched = trial.actual.get("verified") == Some(&Value::Bool(true));
            judge::severity::derive_problems(std::slice::from_mut(&mut problem), &message, vouched);
            trial.judgement = Judgement::from_problems(class_of(&problem), vec![problem]);
        }
        trial
    }

    /// `verdict-deterministic`: send the request a second time and judge only whether the answer
    /// changed. Whether the first answer was right is the other properties' to judge (each
    /// failure belongs to one property); an answer that never came, or `unsupported`, is what it
    /// is.
    fn send_again(
        &self,
        adapter: &mut dyn Adapter,
        mut first: Exchanged,
        message: &ToAdapter,
        expectation: &Expectation,
        sent: &Cell<u64>,
        redactor: &Redactor,
    ) -> Exchanged {
        if !first.judgement.class.is_answered() || first.judgement.class == OutcomeClass::Skipped {
            return first;
        }
        let again = self.exchange(adapter, message, expectation, sent, redactor);
        first.transcript.extend(again.transcript);
        first.stderr.push_str(&again.stderr);
        first.judgement = if !again.judgement.class.is_answered() {
            again.judgement
        } else {
            match same_answer(&first.actual, &again.actual) {
                Some(problem) => Judgement::from_problems(class_of(&problem), vec![problem]),
                None => Judgement::pass(),
            }
        };
        first
    }

    fn exchange(
        &self,
        adapter: &mut dyn Adapter,
        message: &ToAdapter,
        expectation: &Expectation,
        sent: &Cell<u64>,
        redactor: &Redactor,
    ) -> Exchanged {
        sent.set(sent.get() + 1);
        exchange(adapter, message, expectation, redactor)
    }

    /// The property's record: its result judged at `must` at most, with the evidence of the
    /// request that decided it.
    fn record(&self, mut decided: Exchanged, duration: Duration) -> CaseEvent {
        judge::severity::cap_judgement(&mut decided.judgement, Level::Must);
        let subject = Subject {
            id: self.name.to_string(),
            area: "properties".into(),
            title: self.title.to_string(),
            kind: Kind::Property,
            requirements: self.requirements.iter().map(|s| s.to_string()).collect(),
            level: Level::Must,
            location: format!("src/properties/mod.rs ({})", self.name),
            note: None,
        };
        decided.into_event(subject, duration)
    }
}

impl PropertyRun {
    /// Keep the counterexample as `how` says (write it, or say why it is not written), and
    /// record on the event which case it is and where it went. Nothing without one.
    pub fn keep_counterexample(&mut self, how: &counterexample::Counterexamples) {
        let Some(counterexample) = &self.counterexample else {
            return;
        };
        let (path, written) = match how {
            counterexample::Counterexamples::Unrecorded => return,
            counterexample::Counterexamples::WriteTo(dir) => match counterexample.write_into(dir) {
                Ok(path) => (
                    Some(path.display().to_string()),
                    format!("written to {}", path.display()),
                ),
                Err(error) => (
                    None,
                    format!("could not be written in {}: {error}", dir.display()),
                ),
            },
            counterexample::Counterexamples::NotWritten(why) => {
                (None, format!("not written: {why}"))
            }
        };
        self.event.counterexample = Some(ShrunkCase {
            case_id: counterexample.case_id.clone(),
            path,
            written,
        });
    }
}

/// The severity of a shrunk failure: its own, or the original request's where that is worse.
fn never_milder(shrunk: Option<Severity>, original: Option<Severity>) -> Option<Severity> {
    match (shrunk, original) {
        (Some(shrunk), Some(original)) => Some(shrunk.min(original)),
        (shrunk, original) => shrunk.or(original),
    }
}

fn summary(judgement: &Judgement) -> String {
    judgement
        .problems
        .iter()
        .map(|p| format!("{}: expected {}, got {}", p.field, p.expected, p.actual))
        .collect::<Vec<_>>()
        .join("; ")
}

fn flaky(judgement: &Judgement) -> Judgement {
    let problem = Problem::new(
        Severity::Major,
        "verdict",
        "the same answer each time the same request is sent",
        format!("a failing answer first, then {} on replay", judgement.class.as_str()),
        "an implementation whose verdict changes for the same request cannot be trusted (state leaks between requests)",
    );
    Judgement::from_problems(OutcomeClass::WrongDetail, vec![problem])
}

fn class_of(problem: &Problem) -> OutcomeClass {
    if problem.field == "outcome" {
        OutcomeClass::WrongVerdict
    } else {
        OutcomeClass::WrongDetail
    }
}

/// What the signer rules require for this request: the reference's answer, or, where the
/// request touches an input the rules leave open, every conforming answer and those that fail at
/// `should` only (CONTRACT, "Inputs the signer rules leave open").
pub(crate) fn expected_signature(request: &crate::contract::SignRequest) -> Expectation {
    Expectation::for_sign_request(request)
}

fn must_reject(actual: &Value) -> Option<Problem> {
    (actual.get("outcome").and_then(Value::as_str) == Some(Outcome::Accepted.as_str())).then(|| Problem::new(
        Severity::Critical,
        "outcome",
        "rejected",
        "accepted",
        "a token with any character changed must not verify: its signature no longer matches",
    ))
}

fn locked_never_applied(actual: &Value, message: &ToAdapter) -> Option<Problem> {
    let ToAdapter::Verify(request) = message else {
        return None;
    };
    let applied = actual
        .pointer("/attributes/applied")
        .and_then(Value::as_object)?;
    let locked = request
        .workspace
        .locked_attributes
        .iter()
        .find(|name| applied.contains_key(name.as_str()))?;
    Some(Problem::new(
        Severity::Critical,
        format!("attributes.{locked}"),
        "dropped (locked_attribute)",
        format!("applied {}", applied[locked.as_str()]),
        "a locked attribute changed without a valid JWT: only a signed token may change it",
    ))
}

fn same_answer(first: &Value, second: &Value) -> Option<Problem> {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(obj) = v.as_object_mut() {
            obj.remove("message");
        }
        v
    };
    (strip(first) != strip(second)).then(|| {
        Problem::new(
            Severity::Major,
            // Not `verdict` or `outcome`: those name the rule the reference refuses by, and this
            // problem breaks no verdict rule, only consistency.
            "answer to the same request, sent again",
            strip(first).to_string(),
            strip(second).to_string(),
            "the same request must get the same verdict: a verdict that changes leaks state between requests",
        )
    })
}
