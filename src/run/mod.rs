//! Running the suite against one implementation: the [`Runner`].
//!
//! A runner takes the suite, the options of the run (the selection, the seed, the properties'
//! budget, the jobs, as [`RunOptions`]), the implementation's [`AdapterFactory`] and a few
//! settings of its own (the circuit breaker's [`Limits`], what to do with
//! [`Counterexamples`], how to phrase the commands that reproduce a record, a cancellation
//! flag). [`Runner::try_execute`] runs every selected case, then every selected property,
//! spread over its workers (one adapter each), and calls back once per [`RunEvent`], as
//! cargo-nextest's runner does:
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use messenger_conformance::{event::RunOptions, run::{RunEvent, Runner}, scenario::Suite};
//! # fn demo(factory: Arc<dyn messenger_conformance::adapter::AdapterFactory>) {
//! let suite = Arc::new(Suite::embedded().expect("the built-in suite loads"));
//! let runner = Runner::new(suite, factory, RunOptions::default());
//! let summary = runner.try_execute(|event| {
//!     if let Some(record) = event.record() {
//!         println!("{}::{} {}", record.area, record.id, record.outcome.as_str());
//!     }
//!     Ok::<(), std::convert::Infallible>(())
//! });
//! # }
//! ```
//!
//! The library prints nothing and owns no signal: a caller that wants Ctrl-C to stop the run
//! sets the flag it gave [`Runner::with_cancel`]. A runner is `Send + Sync`, so several can run
//! at once, each on a thread of its own, against implementations of their own. The Rust
//! harness runs each case alone through [`Runner::run_alone`], one libtest trial each.
//!
//! Below the runner: [`Workers`] (the adapters of a run), the [`Breaker`], and [`run_case`].
#![warn(missing_docs)]

mod case;
mod workers;

pub use case::{header_for, run_case};
pub use workers::{Breaker, Limits, Workers};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::adapter::{Adapter, AdapterFactory, StartError};
use crate::contract::HelloReply;
use crate::event::{CaseEvent, RunHeader, RunOptions};
use crate::properties::counterexample::{Counterexample, Counterexamples};
use crate::properties::{Property, PropertyRun, PropertyStats, Settings, DEFAULT_CASES};
use crate::redact::Redactor;
use crate::scenario::{LoadedCase, Suite};

/// The most workers a run starts, whatever its options ask: each is an adapter process (or
/// connection), and a machine gains nothing from more of them than it has cores many times over.
pub const MAX_JOBS: usize = 64;

/// How the commands that reproduce a record are phrased (the command line's flags, say). A
/// runner without one leaves [`CaseEvent::reproduce`] empty.
pub trait Reproduce: Send + Sync {
    /// The command that reruns case `area::id` alone against the same implementation.
    fn case(&self, area: &str, id: &str) -> String;
    /// The command that replays property `name` with `seed` and a budget of `requests`.
    fn property(&self, name: &str, seed: u64, requests: u32) -> String;
}

/// One selected case or property of a [`Runner`] ([`Runner::items`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Item(usize);

/// What one case or property gave.
#[derive(Debug, Clone)]
pub enum Ran {
    /// A case's record.
    Case(CaseEvent),
    /// A property's record, what it sent, and its counterexample.
    Property(PropertyRun),
}

impl Ran {
    /// The record.
    pub fn event(&self) -> &CaseEvent {
        match self {
            Ran::Case(event) => event,
            Ran::Property(run) => &run.event,
        }
    }
}

/// What a run tells its caller, in order: `Started`; a `CaseFinished` per case (in the order
/// they finish); `PropertiesStarted`, then a `PropertyFinished` per property, when any are
/// selected; `BreakerTripped` at most once, after the first record that finds the breaker
/// tripped (with several workers, records of items already under way may come first);
/// `Finished`.
#[derive(Debug, Clone, Copy)]
pub enum RunEvent<'a> {
    /// The adapters started and answered `hello`: the header the report records (the
    /// implementation's name and version, its roles, clock and lacks, the options, the suite).
    Started {
        /// The run's header.
        header: &'a RunHeader,
        /// How many cases are selected.
        cases: usize,
        /// How many properties are selected.
        properties: usize,
        /// How many workers (adapters) run them.
        jobs: usize,
    },
    /// A case finished.
    CaseFinished(&'a CaseEvent),
    /// The properties are about to run.
    PropertiesStarted {
        /// The seed of their generators.
        seed: u64,
        /// Generated requests per property.
        requests_each: u32,
        /// How many properties run.
        count: usize,
    },
    /// A property finished.
    PropertyFinished {
        /// Its record (with the [`CaseEvent::counterexample`] the runner kept, if any).
        event: &'a CaseEvent,
        /// What it sent.
        stats: &'a PropertyStats,
        /// Its failure shrunk to a YAML case, if it failed.
        counterexample: Option<&'a Counterexample>,
    },
    /// The circuit breaker tripped: what has not started yet is recorded as not run.
    BreakerTripped {
        /// Why, in one sentence (`not run: the run stopped after ...`).
        why: &'a str,
    },
    /// The run is over (also after a cancellation: [`RunSummary::cancelled`]).
    Finished(&'a RunSummary),
}

impl<'a> RunEvent<'a> {
    /// The record of a case or property that finished, for either kind.
    pub fn record(&self) -> Option<&'a CaseEvent> {
        match *self {
            RunEvent::CaseFinished(event) | RunEvent::PropertyFinished { event, .. } => Some(event),
            _ => None,
        }
    }
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// The header ([`RunEvent::Started`]).
    pub header: RunHeader,
    /// The cases' records, in the suite's order.
    pub cases: Vec<CaseEvent>,
    /// The properties' results, in the order of [`crate::properties::all`].
    pub properties: Vec<PropertyRun>,
    /// Why the circuit breaker tripped, if it did.
    pub breaker: Option<String>,
    /// The run was cancelled: no record finished after the flag was seen is here, or was
    /// reported, and what had not started did not run.
    pub cancelled: bool,
    /// From the first case to the last adapter's end.
    pub elapsed: Duration,
}

impl RunSummary {
    /// Every record: the cases, then the properties.
    pub fn into_events(self) -> Vec<CaseEvent> {
        let mut events = self.cases;
        events.extend(self.properties.into_iter().map(|run| run.event));
        events
    }
}

/// Why a run did not finish.
#[derive(Debug, thiserror::Error)]
pub enum RunError<E> {
    /// The implementation could not be started (its error quotes the end of an exec adapter's
    /// stderr).
    #[error("could not start {target}: {error}")]
    NotStarted {
        /// How the target is named ([`AdapterFactory::describe`]).
        target: String,
        /// Why it did not start.
        error: StartError,
    },
    /// The caller's callback returned an error: the run stopped sending requests, and reported
    /// nothing more.
    #[error("{0}")]
    Callback(E),
}

/// Runs a suite's selection against one implementation. See the [module](self).
pub struct Runner {
    suite: Arc<Suite>,
    factory: Arc<dyn AdapterFactory>,
    options: RunOptions,
    seed: u64,
    property_cases: u32,
    /// Indices into `suite.cases`, in order.
    cases: Vec<usize>,
    properties: Vec<&'static Property>,
    redactor: Redactor,
    limits: Option<Limits>,
    counterexamples: Counterexamples,
    reproduce: Option<Arc<dyn Reproduce>>,
    cancel: Arc<AtomicBool>,
}

/// A selected item, resolved.
#[derive(Clone, Copy)]
enum Selected<'a> {
    Case(&'a LoadedCase),
    Property(&'static Property),
}

impl Runner {
    /// A runner of `options.selection` of `suite` against `factory`'s implementation: the seed
    /// is `options.seed` (default: the suite's own), the budget `options.property_cases`
    /// (default: [`DEFAULT_CASES`]), the workers `options.jobs` (at least one, at most
    /// [`MAX_JOBS`], never more than there are cases or properties). The header records
    /// `options` with the seed and budget filled in. Every secret of the suite and of the
    /// properties is redacted from every record.
    pub fn new(suite: Arc<Suite>, factory: Arc<dyn AdapterFactory>, options: RunOptions) -> Runner {
        let seed = options
            .seed
            .unwrap_or_else(|| suite.identity.default_seed());
        let property_cases = options.property_cases.unwrap_or(DEFAULT_CASES);
        let selection = &options.selection;
        let cases: Vec<usize> = suite
            .cases
            .iter()
            .enumerate()
            .filter(|(_, case)| selection.selects_case(&case.area, &case.id, case.role))
            .map(|(index, _)| index)
            .collect();
        // Partition last, over the final selection, so shards are balanced and merge restores
        // order.
        let cases = match selection.shard() {
            Some(shard) => shard.select(cases),
            None => cases,
        };
        let properties = crate::properties::all()
            .iter()
            .filter(|p| selection.selects_property(p.name, p.role))
            .collect();
        let redactor = redactor_for(&suite);
        Runner {
            suite,
            factory,
            options,
            seed,
            property_cases,
            cases,
            properties,
            redactor,
            limits: None,
            counterexamples: Counterexamples::default(),
            reproduce: None,
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Give up on an implementation that keeps failing to answer (see [`Breaker`]); without
    /// it, every case is sent.
    pub fn with_breaker(mut self, limits: Limits) -> Runner {
        self.limits = Some(limits);
        self
    }

    /// What to do with the counterexamples the properties find (default:
    /// [`Counterexamples::Unrecorded`]).
    pub fn with_counterexamples(mut self, counterexamples: Counterexamples) -> Runner {
        self.counterexamples = counterexamples;
        self
    }

    /// Phrase each record's reproduce command so.
    pub fn with_reproduce(mut self, reproduce: impl Reproduce + 'static) -> Runner {
        self.reproduce = Some(Arc::new(reproduce));
        self
    }

    /// Stop when `cancel` is set: no case or property starts after it, and nothing that
    /// finishes after it is reported (the caller may have ended the adapters).
    pub fn with_cancel(mut self, cancel: Arc<AtomicBool>) -> Runner {
        self.cancel = cancel;
        self
    }

    /// The suite.
    pub fn suite(&self) -> &Suite {
        &self.suite
    }

    /// The seed of the properties' generators.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The redactor every record passes through (the suite's and the properties' secrets):
    /// give it to the [`crate::session::Session`] that writes the reports.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// The selected cases, then the selected properties.
    pub fn items(&self) -> impl Iterator<Item = Item> {
        (0..self.cases.len() + self.properties.len()).map(Item)
    }

    /// An item's area and id (`properties` for a property, and its name): its name everywhere
    /// is `area::id`.
    pub fn area_and_id(&self, item: Item) -> (&str, &str) {
        match self.selected(item) {
            Selected::Case(case) => (&case.area, &case.id),
            Selected::Property(property) => ("properties", property.name),
        }
    }

    /// How many workers [`Runner::try_execute`] starts.
    pub fn jobs(&self) -> usize {
        self.options
            .jobs
            .clamp(1, MAX_JOBS)
            .min(self.cases.len().max(self.properties.len()).max(1))
    }

    fn selected(&self, item: Item) -> Selected<'_> {
        match self.cases.get(item.0) {
            Some(&index) => Selected::Case(&self.suite.cases[index]),
            None => Selected::Property(self.properties[item.0 - self.cases.len()]),
        }
    }

    fn header(&self, hello: &HelloReply) -> RunHeader {
        let options = RunOptions {
            seed: Some(self.seed),
            property_cases: Some(self.property_cases),
            ..self.options.clone()
        };
        let mut header = header_for(self.factory.as_ref(), hello, options);
        header.suite = Some(self.suite.identity.clone());
        header
    }

    /// Run the selection: start the workers, run the cases, then the properties, and call
    /// `on_event` once per [`RunEvent`], on this thread. An error from `on_event` stops the run
    /// (nothing more is sent or reported) and is returned.
    pub fn try_execute<E>(
        &self,
        on_event: impl FnMut(RunEvent<'_>) -> Result<(), E>,
    ) -> Result<RunSummary, RunError<E>> {
        let jobs = self.jobs();
        let mut workers =
            Workers::start(self.factory.as_ref(), jobs).map_err(|error| RunError::NotStarted {
                target: self.factory.describe(),
                error,
            })?;
        if let Some(limits) = self.limits {
            workers = workers.with_breaker(limits);
        }
        let breaker = workers.breaker();
        let header = self.header(workers.hello());
        let stopped = AtomicBool::new(false);
        let mut emit = Emitter {
            on_event,
            failed: None,
            stopped: &stopped,
            tripped: false,
        };
        emit.emit(RunEvent::Started {
            header: &header,
            cases: self.cases.len(),
            properties: self.properties.len(),
            jobs,
        });
        let started = Instant::now();
        let halted = || self.cancel.load(Ordering::SeqCst) || stopped.load(Ordering::SeqCst);
        let cases: Vec<Selected> = (0..self.cases.len())
            .map(|i| self.selected(Item(i)))
            .collect();
        let mut results = Vec::new();
        if !halted() {
            let ran = workers.spread(
                &cases,
                |adapter, item| (!halted()).then(|| self.run_on(adapter, *item, &breaker)),
                |ran| emit.finished(ran, self.cancel.as_ref(), &breaker),
            );
            results.extend(ran.into_iter().flatten());
        }
        if !self.properties.is_empty() && !halted() {
            emit.emit(RunEvent::PropertiesStarted {
                seed: self.seed,
                requests_each: self.property_cases,
                count: self.properties.len(),
            });
            let properties: Vec<Selected> = self
                .properties
                .iter()
                .map(|p| Selected::Property(p))
                .collect();
            let ran = workers.spread(
                &properties,
                |adapter, item| (!halted()).then(|| self.run_on(adapter, *item, &breaker)),
                |ran| emit.finished(ran, self.cancel.as_ref(), &breaker),
            );
            results.extend(ran.into_iter().flatten());
        }
        drop(workers);
        if let Some(error) = emit.failed.take() {
            return Err(RunError::Callback(error));
        }
        let (mut cases, mut properties) = (Vec::new(), Vec::new());
        for ran in results {
            match ran {
                Ran::Case(event) => cases.push(event),
                Ran::Property(run) => properties.push(run),
            }
        }
        let summary = RunSummary {
            header,
            cases,
            properties,
            breaker: breaker.tripped().map(str::to_string),
            cancelled: self.cancel.load(Ordering::SeqCst),
            elapsed: started.elapsed(),
        };
        emit.emit(RunEvent::Finished(&summary));
        match emit.failed {
            Some(error) => Err(RunError::Callback(error)),
            None => Ok(summary),
        }
    }

    /// Run one item alone, on an adapter of its own started for it (and ended after): what a
    /// libtest trial of the Rust harness does. No breaker: the one item is sent.
    pub fn run_alone(&self, item: Item) -> Result<Ran, StartError> {
        let mut adapter = self.factory.start()?;
        let ran = self.run_on(adapter.as_mut(), self.selected(item), &Breaker::default());
        adapter.shutdown();
        Ok(ran)
    }

    /// One item on `adapter`: not run once the breaker has tripped; its reproduce command;
    /// for a property, its counterexample kept as asked.
    fn run_on(&self, adapter: &mut dyn Adapter, item: Selected<'_>, breaker: &Breaker) -> Ran {
        match item {
            Selected::Case(case) => {
                let mut event = breaker.not_run(case).unwrap_or_else(|| {
                    let event = run_case(adapter, case, &self.redactor);
                    breaker.record_event(&event);
                    event
                });
                event.reproduce = self
                    .reproduce
                    .as_ref()
                    .map(|r| r.case(&event.area, &event.id));
                Ran::Case(event)
            }
            Selected::Property(property) => {
                let settings = Settings {
                    seed: self.seed,
                    cases: self.property_cases,
                };
                let mut run =
                    property.check_unless(adapter, &settings, &self.redactor, breaker.tripped());
                breaker.record_event(&run.event);
                run.event.reproduce = self
                    .reproduce
                    .as_ref()
                    .map(|r| r.property(property.name, self.seed, self.property_cases));
                run.keep_counterexample(&self.counterexamples);
                Ran::Property(run)
            }
        }
    }
}

/// The caller's callback, until it fails.
struct Emitter<'s, F, E> {
    on_event: F,
    failed: Option<E>,
    /// Set when the callback failed: the workers take nothing more.
    stopped: &'s AtomicBool,
    /// `BreakerTripped` was reported.
    tripped: bool,
}

impl<F: FnMut(RunEvent<'_>) -> Result<(), E>, E> Emitter<'_, F, E> {
    fn emit(&mut self, event: RunEvent<'_>) {
        if self.failed.is_some() {
            return;
        }
        if let Err(error) = (self.on_event)(event) {
            self.failed = Some(error);
            self.stopped.store(true, Ordering::SeqCst);
        }
    }

    /// A result from a worker: reported, unless the run was cancelled or stopped by then (it
    /// is then dropped, and left out of the summary too).
    fn finished(&mut self, ran: &mut Option<Ran>, cancel: &AtomicBool, breaker: &Breaker) {
        if cancel.load(Ordering::SeqCst) || self.failed.is_some() {
            *ran = None;
            return;
        }
        match ran {
            Some(Ran::Case(event)) => self.emit(RunEvent::CaseFinished(event)),
            Some(Ran::Property(run)) => self.emit(RunEvent::PropertyFinished {
                event: &run.event,
                stats: &run.stats,
                counterexample: run.counterexample.as_ref(),
            }),
            None => return,
        }
        if !self.tripped {
            if let Some(why) = breaker.tripped() {
                self.tripped = true;
                self.emit(RunEvent::BreakerTripped { why });
            }
        }
    }
}

/// The redactor of a run of `suite`: its secrets and the properties' own. Every record of a
/// run passes through it; a caller that renders several runs (compare) uses the same one.
pub fn redactor_for(suite: &Suite) -> Redactor {
    Redactor::new(
        suite
            .secrets()
            .into_iter()
            .chain(crate::properties::secrets()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runner_and_its_events_can_cross_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Runner>();
        send_sync::<RunEvent<'static>>();
        send_sync::<RunSummary>();
    }
}
