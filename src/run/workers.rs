//! The workers of a run, one adapter each, and the circuit breaker that stops sending requests
//! to an implementation that keeps failing to answer.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, OnceLock};
use std::time::Duration;

use crate::adapter::{Adapter, AdapterFactory, StartError};
use crate::contract::HelloReply;
use crate::event::CaseEvent;
use crate::exchange::Exchanged;
use crate::judge::{self, OutcomeClass};
use crate::redact::Redactor;
use crate::run::case::{run_case, subject};
use crate::scenario::LoadedCase;

/// When to give up on an implementation that keeps failing to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Adapter errors (and timeouts) in a row.
    pub consecutive: usize,
    /// Adapter errors in the whole run: each one restarts the adapter.
    pub total: usize,
    /// The time failed requests may cost in all (each hang costs a whole timeout): an adapter
    /// that hangs on every third request never makes errors in a row, and would otherwise run
    /// `total` timeouts. `None`: no budget.
    pub error_time: Option<Duration>,
}

/// The circuit breaker: once an implementation has failed to answer [`Limits`] times, the rest
/// of the run is not sent to it (each case would cost a restart and a timeout), and is recorded
/// as not run, an adapter error, so the run fails in bounded time.
#[derive(Debug, Default)]
pub struct Breaker {
    limits: Option<Limits>,
    consecutive: AtomicUsize,
    total: AtomicUsize,
    /// Microseconds spent on requests that got no usable answer.
    error_micros: AtomicU64,
    tripped: OnceLock<String>,
}

impl Breaker {
    /// A breaker that trips at `limits`.
    pub fn new(limits: Limits) -> Breaker {
        Breaker {
            limits: Some(limits),
            ..Breaker::default()
        }
    }

    /// Why the run stopped sending requests, once it has: one sentence.
    pub fn tripped(&self) -> Option<&str> {
        self.tripped.get().map(String::as_str)
    }

    /// Count one result, which took `spent`.
    pub fn record(&self, outcome: OutcomeClass, spent: Duration) {
        let Some(limits) = self.limits else { return };
        if outcome.is_answered() {
            self.consecutive.store(0, Ordering::Relaxed);
            return;
        }
        let consecutive = self.consecutive.fetch_add(1, Ordering::Relaxed) + 1;
        let total = self.total.fetch_add(1, Ordering::Relaxed) + 1;
        let spent = spent.as_micros().min(u128::from(u64::MAX)) as u64;
        let error_time =
            Duration::from_micros(self.error_micros.fetch_add(spent, Ordering::Relaxed) + spent);
        let why = if consecutive >= limits.consecutive {
            format!(
                "{consecutive} adapter errors in a row (--max-consecutive-errors {})",
                limits.consecutive
            )
        } else if total >= limits.total {
            format!(
                "{total} adapter errors, each a restart (--max-adapter-errors {})",
                limits.total
            )
        } else if let Some(budget) = limits.error_time.filter(|b| error_time >= *b) {
            format!(
                "{total} adapter errors cost {:.1} s in all, over its time budget for failed requests (--max-error-seconds {})",
                error_time.as_secs_f64(),
                budget.as_secs_f64()
            )
        } else {
            return;
        };
        let _ = self.tripped.set(format!(
            "not run: the run stopped after {why}; the implementation is not answering, so the rest would only cost restarts and timeouts. Check it with `messenger-conformance smoke`"
        ));
    }

    /// Count one record as it finished.
    pub fn record_event(&self, event: &CaseEvent) {
        self.record(
            event.outcome,
            Duration::from_secs_f64(event.duration_ms.max(0.0) / 1000.0),
        );
    }

    /// The record of a case that was not sent because the breaker tripped.
    pub fn not_run(&self, case: &LoadedCase) -> Option<CaseEvent> {
        let why = self.tripped()?;
        let not_run = Exchanged::unsent(judge::not_run("case", why));
        Some(not_run.into_event(subject(case), Duration::ZERO))
    }
}

/// The adapters of a run, one per worker, started once and shared by the cases and the
/// properties. Dropping them ends every adapter.
pub struct Workers {
    adapters: Vec<Box<dyn Adapter>>,
    breaker: Arc<Breaker>,
}

impl Workers {
    /// Start `jobs` adapters (at least one). Fails if any cannot be started.
    pub fn start(factory: &dyn AdapterFactory, jobs: usize) -> Result<Workers, StartError> {
        let adapters = (0..jobs.max(1))
            .map(|_| factory.start())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Workers {
            adapters,
            breaker: Arc::new(Breaker::default()),
        })
    }

    /// Give up at `limits` (see [`Breaker`]); without it, every case is sent.
    pub fn with_breaker(mut self, limits: Limits) -> Workers {
        self.breaker = Arc::new(Breaker::new(limits));
        self
    }

    /// The run's circuit breaker.
    pub fn breaker(&self) -> Arc<Breaker> {
        Arc::clone(&self.breaker)
    }

    /// What the implementation said in its `hello` (the first worker's).
    pub fn hello(&self) -> &HelloReply {
        self.adapters[0].hello()
    }

    /// Do `work` for every item, spread over the workers. `on_result` sees each result as it
    /// completes (and may change it); the returned results are in the order of `items`.
    pub fn spread<T: Sync, R: Send>(
        &mut self,
        items: &[T],
        work: impl Fn(&mut dyn Adapter, &T) -> R + Sync,
        mut on_result: impl FnMut(&mut R),
    ) -> Vec<R> {
        let next = AtomicUsize::new(0);
        let (sender, receiver) = mpsc::channel::<(usize, R)>();
        let mut slots: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
        let busy = self.adapters.len().min(items.len());
        std::thread::scope(|scope| {
            for adapter in self.adapters.iter_mut().take(busy) {
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
            for (index, mut result) in receiver {
                on_result(&mut result);
                slots[index] = Some(result);
            }
        });
        slots.into_iter().flatten().collect()
    }

    /// Run `cases`; `on_event` sees each event as it completes, the returned events are in the
    /// order of `cases`.
    pub fn run_cases(
        &mut self,
        cases: &[&LoadedCase],
        redactor: &Redactor,
        mut on_event: impl FnMut(&CaseEvent),
    ) -> Vec<CaseEvent> {
        let breaker = self.breaker();
        self.spread(
            cases,
            |adapter, case| {
                breaker.not_run(case).unwrap_or_else(|| {
                    let event = run_case(adapter, case, redactor);
                    breaker.record_event(&event);
                    event
                })
            },
            |event| on_event(event),
        )
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for adapter in self.adapters.iter_mut() {
            adapter.shutdown();
        }
    }
}
