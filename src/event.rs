//! The event: one record per case or property, the one type that joins running and reporting.
//!
//! The runner ([`crate::run`], [`crate::properties`]) produces a [`CaseEvent`] per case; every
//! report ([`crate::report`]) is rendered from a stream of them, framed by a [`RunHeader`] and a
//! [`RunFooter`]. Nothing else passes from running to reporting.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::contract::{Capability, Clock, Implementation};
use crate::judge::{OutcomeClass, Problem, Severity, SkipCause};
use crate::selection::Selection;
use crate::spec::Level;
use crate::suite::SuiteIdentity;

/// The version of the `events.jsonl` format this harness writes and the newest it reads
/// (`docs/events.md`): within a version, fields are only added (optional, with a default), never
/// removed, renamed or given another meaning; anything else takes a new version, which older
/// harnesses refuse ([`crate::report::stream::StreamError::NewerVersion`]) instead of misreading.
pub const EVENTS_FORMAT_VERSION: u32 = 1;

/// The version of a stream whose header has none: every stream written before headers recorded
/// it has the shape of version 1.
fn unversioned() -> u32 {
    1
}

/// The first record of `events.jsonl`: what ran, against what, how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunHeader {
    /// The version of the stream's format ([`EVENTS_FORMAT_VERSION`] when written by this
    /// harness); 1 in a stream written before headers recorded it.
    #[serde(default = "unversioned")]
    pub format_version: u32,
    pub harness_version: String,
    /// How the target was reached, e.g. `builtin:reference`, `exec:node adapter.js`.
    pub target: String,
    pub implementation: Implementation,
    pub roles: Vec<String>,
    pub clock: Clock,
    /// What `hello` declared the implementation lacks (none in a stream written before runs
    /// recorded it, and none when it declared nothing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lacks: Vec<Capability>,
    pub seed: Option<u64>,
    /// The options the run was started with (selection, partition, strict ...).
    pub options: RunOptions,
    /// Unix seconds.
    pub started_at: i64,
    /// The suite the run's cases came from: version, digest, extra cases. `None` in a stream
    /// written before runs recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite: Option<SuiteIdentity>,
}

/// The options a run was started with, as its header records them: what a later `report` or
/// `merge` needs to gate the run again as it was gated, and what a reader needs to reproduce it.
/// Nothing secret (paths and flags only; the final redaction pass covers them anyway).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunOptions {
    #[serde(flatten)]
    pub selection: Selection,
    pub jobs: usize,
    /// Should-level failures gate too.
    pub strict: bool,
    /// A skipped `must` case or property fails the gate.
    pub fail_on_skipped_must: bool,
    /// The baseline of known failures, as given.
    pub baseline: Option<String>,
    pub update_baseline: bool,
    pub failures_only: bool,
    /// The report directory (none with `--no-report`).
    pub report: Option<String>,
    pub snapshots: Option<String>,
    pub timeout_ms: Option<u64>,
    pub validate_protocol: bool,
    pub seed: Option<u64>,
    pub property_cases: Option<u32>,
    /// How many runs a `merge` combined, and from which directories.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
}

/// Whether a record is a YAML case or a property.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Case,
    Property,
}

/// One exchange of a case's transcript: what was sent and what came back, secrets redacted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    pub request: Value,
    /// The parsed answer, or null when there was none.
    pub response: Value,
    /// What came back when it was not a valid answer (truncated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<String>,
}

/// One case's (or property's) result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseEvent {
    pub id: String,
    pub area: String,
    pub title: String,
    pub kind: Kind,
    pub requirements: Vec<String>,
    /// The case's level, as written.
    pub level: Level,
    /// The level a failure is judged at when it is lower than `level`: every problem breaks a
    /// rule of that lower level (a signer's `typ` inside a `must` case); for a `may` case, the
    /// level of the rule an unlisted answer breaks. `None` otherwise. See
    /// [`CaseEvent::gate_level`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_level: Option<Level>,
    pub outcome: OutcomeClass,
    pub severity: Option<Severity>,
    #[serde(default)]
    pub problems: Vec<Problem>,
    /// The expectation of the step that decided the result.
    pub expected: Value,
    /// The answer of that step (or null).
    pub actual: Value,
    /// The implementation's own `message`, kept for snapshot review.
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub skip_reason: Option<String>,
    /// Whether `hello` declared the skip, and how ([`CaseEvent::skip_cause`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<SkipCause>,
    /// For `may` cases, the index of the conforming answer chosen.
    #[serde(default)]
    pub chosen: Option<usize>,
    /// Where the case is defined, `cases/jwt/alg.yaml:12`.
    #[serde(default)]
    pub location: Option<String>,
    pub duration_ms: f64,
    #[serde(default)]
    pub transcript: Vec<Exchange>,
    /// The adapter's stderr while this case ran.
    #[serde(default)]
    pub stderr: String,
    /// The case's `note` as written in its file: why it expects what it expects, shown under
    /// its failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The exact command that reproduces this record against the same implementation (a
    /// property's: its seed, its budget and the adapter command), when the runner knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reproduce: Option<String>,
    /// For a failing property: the case its failing request was shrunk to, and where that case
    /// was written. Absent in a stream written before events recorded it (such a stream says it
    /// in a problem whose field is `counterexample`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<ShrunkCase>,
}

/// A property's failure shrunk to a minimal request, kept as a ready-to-commit YAML case
/// ([`crate::properties::counterexample`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShrunkCase {
    /// The id of the case: `PROP-IDV-HASH-7`.
    pub case_id: String,
    /// The file the case was written to, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Where the case went, as the reports say it: `written to PATH`, `could not be written in
    /// DIR: ...`, `not written: ...`.
    pub written: String,
}

impl CaseEvent {
    pub fn failed(&self) -> bool {
        self.outcome.is_failure()
    }

    /// The level the result is judged at: the case's, or the lower level of the rules a failure
    /// breaks (a `should` problem in a `must` case), never higher than the case's; a failure of
    /// a `may` case (an answer it does not list) is judged at the level of the rule it breaks.
    pub fn gate_level(&self) -> Level {
        match self.failure_level {
            Some(Level::Should) if self.failed() => Level::Should,
            // An answer a `may` case does not list breaks a rule like any other, at its level
            // (`must` unless its problems say `should`).
            _ if self.failed() && self.level == Level::May => Level::Must,
            _ => self.level,
        }
    }

    /// Why a skipped result was skipped. A stream written before events recorded it says so in
    /// `skip_reason` only: a role or clock skip is read from its words, and anything else counts
    /// as undeclared, as it was (no `hello` declared a lack then). `None` when not skipped.
    pub fn skip_cause(&self) -> Option<SkipCause> {
        if self.outcome != OutcomeClass::Skipped {
            return None;
        }
        Some(self.skip.unwrap_or_else(|| {
            let reason = self.skip_reason.as_deref().unwrap_or_default();
            if reason.starts_with("the implementation does not offer the") {
                SkipCause::Role
            } else if reason.contains("(clock: system)") {
                SkipCause::Clock
            } else {
                SkipCause::Undeclared
            }
        }))
    }

    /// Skipped for a reason `hello` did not declare: an `unsupported` answer to a request that
    /// needs nothing the implementation declared it lacks. Such a skip of a `must` case fails
    /// the gate ([`crate::report::gate`]).
    pub fn undeclared_skip(&self) -> bool {
        self.skip_cause() == Some(SkipCause::Undeclared)
    }

    /// `area::id`, the name a case has everywhere (terminal, JUnit, filters).
    pub(crate) fn name(&self) -> String {
        format!("{}::{}", self.area, self.id)
    }

    /// The level as reports show it: `must`, or `should (must case)` for a failure judged below its
    /// case's level ([`CaseEvent::gate_level`]).
    pub fn level_label(&self) -> String {
        if self.gate_level() == self.level {
            self.level.to_string()
        } else {
            format!("{} ({} case)", self.gate_level(), self.level)
        }
    }

    /// The one line that says what went wrong: the first problem, or the skip reason, or the class.
    pub(crate) fn first_problem_line(&self) -> String {
        if let Some(problem) = self.problems.first() {
            return format!(
                "{}: expected {}, got {}",
                problem.field, problem.expected, problem.actual
            );
        }
        if let Some(reason) = &self.skip_reason {
            return reason.clone();
        }
        self.outcome.as_str().to_string()
    }

    /// The error code the implementation answered with (`actual.error`), if it answered one.
    /// Together with the outcome class and severity it is the failure's *reason*, which baselines
    /// and diffs compare.
    pub(crate) fn error_code(&self) -> Option<String> {
        match &self.actual {
            Value::Object(map) => map.get("error").and_then(Value::as_str).map(str::to_string),
            _ => None,
        }
    }

    /// The transcript of a case as text: each exchange's request and response as pretty JSON.
    pub(crate) fn transcript_text(&self) -> String {
        let mut out = String::new();
        for (index, exchange) in self.transcript.iter().enumerate() {
            let request = serde_json::to_string_pretty(&exchange.request).unwrap_or_default();
            let response = serde_json::to_string_pretty(&exchange.response).unwrap_or_default();
            out.push_str(&format!(
                "step {}: request\n{request}\nstep {}: response\n{response}\n",
                index + 1,
                index + 1
            ));
            if let Some(seen) = &exchange.seen {
                out.push_str(&format!(
                    "step {}: instead of an answer the harness saw\n{seen}\n",
                    index + 1
                ));
            }
        }
        if !self.stderr.trim().is_empty() {
            out.push_str(&format!("adapter stderr\n{}\n", self.stderr.trim_end()));
        }
        out
    }
}

/// The last record: totals, so a reader of a partial stream can tell it was cut.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunFooter {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub duration_ms: f64,
}

/// A line of `events.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Record {
    Header(RunHeader),
    Case(CaseEvent),
    Footer(RunFooter),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    /// The counterexample is an optional field: absent from a record without one (a stream
    /// reads as before), present and read back with one.
    #[test]
    fn the_counterexample_field_is_written_only_when_there_is_one() {
        let mut event = fixtures::case("idv-hash", "properties", OutcomeClass::WrongVerdict);
        let line = serde_json::to_string(&event).unwrap();
        assert!(!line.contains("counterexample"), "{line}");
        event.counterexample = Some(ShrunkCase {
            case_id: "PROP-IDV-HASH-7".into(),
            path: None,
            written: "not written: --no-report".into(),
        });
        let line = serde_json::to_string(&event).unwrap();
        assert!(
            line.contains(r#""counterexample":{"case_id":"PROP-IDV-HASH-7","written":"not written: --no-report"}"#),
            "{line}"
        );
        let read: CaseEvent = serde_json::from_str(&line).unwrap();
        assert_eq!(read, event);
    }
}
