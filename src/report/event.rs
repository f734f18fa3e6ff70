//! The event stream: one record per case or property, the single source every report renders.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::contract::Implementation;
use crate::judge::{OutcomeClass, Problem, Severity};
use crate::spec::Level;

/// The first record of `events.jsonl`: what ran, against what, how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunHeader {
    pub harness_version: String,
    /// How the target was reached, e.g. `builtin:reference`, `exec:node adapter.js`.
    pub target: String,
    pub implementation: Implementation,
    pub roles: Vec<String>,
    pub clock: String,
    pub seed: Option<u64>,
    /// The options the run was started with, as given (filters, partition, strict ...).
    pub options: Value,
    /// Unix seconds.
    pub started_at: i64,
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
    /// `case` or `property`.
    pub kind: String,
    pub requirements: Vec<String>,
    pub level: Level,
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
}

impl CaseEvent {
    pub fn failed(&self) -> bool {
        self.outcome.is_failure()
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

/// Replace every occurrence of a secret in the strings of `value` by `[redacted]`.
pub fn redact(value: &mut Value, secrets: &[String]) {
    match value {
        Value::String(s) => *s = redact_text(s, secrets),
        Value::Array(items) => items.iter_mut().for_each(|v| redact(v, secrets)),
        Value::Object(map) => map.values_mut().for_each(|v| redact(v, secrets)),
        _ => {}
    }
}

pub fn redact_text(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "[redacted]");
        }
    }
    out
}
