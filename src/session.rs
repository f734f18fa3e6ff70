//! A run's reporting from before its first case to after its last: the event log written as the
//! run goes, then the final redaction pass, the gate (with the baseline, or a rewritten one), the
//! report files and the message snapshots. It returns what happened as data; the command line
//! prints it.

use std::path::{Path, PathBuf};

use crate::event::{CaseEvent, RunHeader};
use crate::redact::Redactor;
use crate::report::baseline::{Baseline, BaselineError, RecordedSuite};
use crate::report::gate::{decide, GateDecision, GateOptions};
use crate::report::snapshots::write_snapshots;
use crate::report::stream::{EventLog, Stream};
use crate::report::{write_report, RenderOptions, FILES};
use crate::suite::SuiteIdentity;

/// Where a run's reports go and which baseline gates it.
#[derive(Debug, Clone, Default)]
pub struct ReportSettings {
    /// The report directory; `None` writes no report at all.
    pub report_dir: Option<PathBuf>,
    /// The baseline of known failures.
    pub baseline: Option<PathBuf>,
    /// Rewrite the baseline from this run's failures instead of gating with it.
    pub update_baseline: bool,
    /// Write each case's implementation `message` as an insta snapshot here.
    pub snapshots: Option<PathBuf>,
}

/// What stops a session: each is a usage error (exit 2), and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(
        "--update-baseline needs a run of the whole suite, and this run was narrowed by {flags}: a baseline \
         written from part of the suite would drop the entries of every case left out. Run again without \
         {flags} (or edit the baseline by hand)."
    )]
    NarrowedBaselineUpdate { flags: String },
    #[error("{0}")]
    Baseline(#[from] BaselineError),
    #[error("{error}\n(fix or delete the file, then run --update-baseline again)")]
    OldBaseline { error: BaselineError },
    #[error(
        "--update-baseline refuses to list adapter errors as known failures: {ids} got no usable \
         answer (a crash, a hang, garbage), which says nothing about conformance, and a baseline \
         entry would hide the next one. Fix the adapter (`messenger-conformance smoke -- CMD` \
         checks its plumbing), then update the baseline from a run without adapter errors."
    )]
    AdapterErrors { ids: String },
    #[error("cannot write the baseline {}: {error}", path.display())]
    WriteBaseline {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot write the report in {}: {error}", dir.display())]
    Report { dir: PathBuf, error: std::io::Error },
    #[error("cannot write snapshots in {}: {error}", dir.display())]
    Snapshots { dir: PathBuf, error: std::io::Error },
}

/// A run being reported.
pub struct Session {
    settings: ReportSettings,
    header: RunHeader,
    redactor: Redactor,
    baseline: Option<Baseline>,
    log: Option<EventLog>,
}

/// A run starts its report directory: the files the previous run rendered are removed first (an
/// interrupted run or a failed write must never leave the previous run's verdict beside the new
/// events), then the event log is created.
fn start_report(dir: &Path, header: &RunHeader, redactor: &Redactor) -> std::io::Result<EventLog> {
    crate::report::remove_rendered(dir);
    EventLog::create(dir, header, redactor)
}

/// A finished session: the gate's decision and the lines that say what was written.
#[derive(Debug)]
pub struct Finished {
    pub gate: GateDecision,
    /// What was written where (`report: DIR (...)`, `baseline: wrote ...`), for the terminal.
    pub notes: Vec<String>,
}

impl Session {
    /// Check what can be checked before a case runs (`--update-baseline` after a narrowed
    /// selection is refused, the baseline must load, the report directory must be writable) and
    /// open the event log. Every secret `redactor` knows is kept out of every file.
    pub fn start(
        settings: ReportSettings,
        header: RunHeader,
        redactor: Redactor,
    ) -> Result<Session, SessionError> {
        let narrowed = header.options.selection.narrowed_by();
        if settings.update_baseline && !narrowed.is_empty() {
            return Err(SessionError::NarrowedBaselineUpdate {
                flags: narrowed.join(", "),
            });
        }
        let baseline = match &settings.baseline {
            // --update-baseline reads the old file itself, leniently (it may hold fresh critical
            // entries without a reason, which is what the update wrote last time).
            Some(_) if settings.update_baseline => None,
            Some(path) => Some(Baseline::load(path)?),
            None => None,
        };
        let log = match &settings.report_dir {
            Some(dir) => Some(start_report(dir, &header, &redactor).map_err(|error| {
                SessionError::Report {
                    dir: dir.clone(),
                    error,
                }
            })?),
            None => None,
        };
        Ok(Session {
            settings,
            header,
            redactor,
            baseline,
            log,
        })
    }

    /// Append a finished case to `events.jsonl` as the run goes. A failure stops the log (the
    /// whole stream is written again at the end) and is returned as a warning.
    pub fn record(&mut self, event: &CaseEvent) -> Option<String> {
        let log = self.log.as_mut()?;
        let error = log.append(event).err()?;
        self.log = None;
        let dir = self
            .settings
            .report_dir
            .as_deref()
            .unwrap_or(Path::new("."));
        Some(format!(
            "cannot append to {}/events.jsonl: {error}",
            dir.display()
        ))
    }

    /// After the last case: redact, rewrite the baseline if asked, decide the gate, write the
    /// reports and the snapshots.
    pub fn finish(
        self,
        events: Vec<CaseEvent>,
        elapsed_secs: f64,
    ) -> Result<Finished, SessionError> {
        let Session {
            settings,
            header,
            redactor,
            baseline,
            log,
        } = self;
        drop(log);
        let strict = header.options.strict;
        let render = RenderOptions {
            failures_only: header.options.failures_only,
        };
        let mut stream = Stream::new(header, events, elapsed_secs * 1000.0);
        stream.redact(&redactor);
        let mut notes = Vec::new();
        // After --update-baseline the gate is the new baseline's: what remains is its critical
        // entries without a reason, and entries whose kept `expires` has passed.
        let baseline = match (&settings.baseline, settings.update_baseline) {
            (Some(path), true) => {
                let (baseline, note) =
                    update_baseline(path, &stream.cases, stream.header.suite.as_ref())?;
                notes.push(note);
                Some(baseline)
            }
            _ => {
                if let Some(note) = baseline
                    .as_ref()
                    .and_then(|b| b.suite_note(stream.header.suite.as_ref(), &stream.cases))
                {
                    notes.push(format!("note: {note}"));
                }
                baseline
            }
        };
        let fail_on_skipped_must = stream.header.options.fail_on_skipped_must;
        let gate = decide(
            &stream.cases,
            baseline.as_ref(),
            &GateOptions {
                fail_on_skipped_must,
                ..GateOptions::new(strict, !stream.is_partial())
            },
        );
        if let Some(dir) = &settings.report_dir {
            write_report(dir, &stream, &gate, &render).map_err(|error| SessionError::Report {
                dir: dir.clone(),
                error,
            })?;
            notes.push(format!("report: {} ({})", dir.display(), FILES.join(", ")));
        }
        if let Some(dir) = &settings.snapshots {
            let outcome =
                write_snapshots(dir, &stream.cases).map_err(|error| SessionError::Snapshots {
                    dir: dir.clone(),
                    error,
                })?;
            notes.push(outcome.summary_line(dir));
        }
        Ok(Finished { gate, notes })
    }
}

/// Write the baseline at `path` from the run's failures. Returns it and what to print.
fn update_baseline(
    path: &Path,
    cases: &[CaseEvent],
    suite: Option<&SuiteIdentity>,
) -> Result<(Baseline, String), SessionError> {
    let no_answer: Vec<String> = cases
        .iter()
        .filter(|c| c.failed() && !c.outcome.is_answered())
        .map(CaseEvent::name)
        .collect();
    if !no_answer.is_empty() {
        let shown = no_answer.len().min(5);
        let more = match no_answer.len() - shown {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        return Err(SessionError::AdapterErrors {
            ids: format!("{}{more}", no_answer[..shown].join(", ")),
        });
    }
    let previous = if path.exists() {
        Some(Baseline::read(path).map_err(|error| SessionError::OldBaseline { error })?)
    } else {
        None
    };
    let mut baseline = Baseline::updated(previous.as_ref(), cases);
    baseline.path = Some(path.to_path_buf());
    baseline.suite = suite.map(|suite| RecordedSuite::of(suite, cases));
    std::fs::write(path, baseline.render()).map_err(|error| SessionError::WriteBaseline {
        path: path.to_path_buf(),
        error,
    })?;
    // Read it back so entries know their lines for later messages.
    let baseline = Baseline::read(path).unwrap_or(baseline);
    let kept = previous.as_ref().map_or(0, |p| {
        baseline
            .entries
            .iter()
            .filter(|e| {
                p.find(&e.id)
                    .is_some_and(|old| old.reason == e.reason && !e.reason.is_empty())
            })
            .count()
    });
    let mut message = format!(
        "baseline: wrote {} known failure(s) to {} ({kept} kept their reason)",
        baseline.entries.len(),
        path.display()
    );
    let unjustified = baseline.unjustified_critical().len();
    if unjustified > 0 {
        message.push_str(&format!(
            "\nbaseline: {unjustified} critical failure(s) are listed with `reason: \"\"`. A critical failure is an \
             authentication bypass: the baseline is refused until each says why it is accepted (and, ideally, a \
             link and an expiry date)."
        ));
    }
    Ok((baseline, message))
}

/// How a stored run is gated again (`report`, `merge`): each field overrides what the run
/// recorded in its header.
#[derive(Debug, Clone, Default)]
pub struct Regate {
    /// Gate with this baseline (default: the one the run used, if the file is still there).
    pub baseline: Option<PathBuf>,
    /// Gate without any baseline, even if the run used one.
    pub no_baseline: bool,
    /// Gate on should-level failures too (default: as the run did).
    pub strict: bool,
    /// summary.md lists failures and skips only (default: as the run did).
    pub failures_only: bool,
    /// A skipped `must` case fails the gate (default: as the run did).
    pub fail_on_skipped_must: bool,
}

/// A stored run gated again.
#[derive(Debug)]
pub struct Regated {
    pub gate: GateDecision,
    pub render: RenderOptions,
    /// What the reader should know about how it was gated.
    pub notes: Vec<String>,
}

impl Regate {
    /// The gate of a stored run, with these overrides or the run's own options.
    pub fn decide(&self, stream: &Stream) -> Result<Regated, SessionError> {
        let recorded = &stream.header.options;
        let mut notes = Vec::new();
        let path = match (&self.baseline, self.no_baseline) {
            (_, true) => None,
            (Some(path), false) => Some(path.clone()),
            (None, false) => match &recorded.baseline {
                Some(path) if Path::new(path).exists() => Some(PathBuf::from(path)),
                Some(path) => {
                    notes.push(format!(
                        "the run used the baseline {path}, which is not there any more: gating without it"
                    ));
                    None
                }
                None => None,
            },
        };
        let baseline = path.map(|path| Baseline::load(&path)).transpose()?;
        if let Some(note) = baseline
            .as_ref()
            .and_then(|b| b.suite_note(stream.header.suite.as_ref(), &stream.cases))
        {
            notes.push(note);
        }
        let options = GateOptions {
            fail_on_skipped_must: self.fail_on_skipped_must || recorded.fail_on_skipped_must,
            finished: stream.complete,
            ..GateOptions::new(self.strict || recorded.strict, !stream.is_partial())
        };
        Ok(Regated {
            gate: decide(&stream.cases, baseline.as_ref(), &options),
            render: RenderOptions {
                failures_only: self.failures_only || recorded.failures_only,
            },
            notes,
        })
    }
}
