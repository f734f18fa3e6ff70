//! One step's resolution: what its templates resolve against ([`StepCtx`]: the fixtures, the
//! workspace, the step's `now`, and the secrets and times they used), and the error a step can
//! have ([`FieldError`], a [`BuildError`] at run time). `resolve` builds a step with it, `hash`
//! and `token` build their parts of one.

use std::fmt;

use serde_json::Value;

use crate::contract::Workspace;

use super::model::Fixtures;
use super::secret::{find_key, unknown_key, SecretError, SecretRef};
use super::source::FieldPath;
use super::time::{fill_placeholders, looks_like_time, near_a_boundary, TimeExpr, TIME_FORMS};

/// A case that cannot be built at the instant asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError {
    pub case_id: String,
    /// Where in the case, e.g. `steps[1].request.jwt.tamper[0]` (empty: the case itself).
    pub path: String,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "case {}", self.case_id)?;
        if !self.path.is_empty() {
            write!(f, ", {}", self.path)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for BuildError {}

/// An error at a field of a case file (not the judge's [`Problem`](crate::judge::Problem), a
/// difference in an answer): becomes a located [`LoadError`](super::LoadError) at load
/// time and a [`BuildError`] at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub at: FieldPath,
    pub message: String,
    pub hint: Option<String>,
}

impl FieldError {
    pub(crate) fn new(at: &FieldPath, message: impl Into<String>) -> FieldError {
        FieldError {
            at: at.clone(),
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> FieldError {
        self.hint = Some(hint.into());
        self
    }

    pub(super) fn from_secret(at: &FieldPath, error: SecretError) -> FieldError {
        FieldError {
            at: at.clone(),
            message: error.message,
            hint: error.hint,
        }
    }

    pub(crate) fn into_build_error(self, case_id: &str) -> BuildError {
        BuildError {
            case_id: case_id.to_string(),
            path: self.at.to_string(),
            message: self.message,
            hint: self.hint,
        }
    }
}

/// What the templates of one step resolve against, and what they used.
pub(crate) struct StepCtx<'a> {
    pub(super) fixtures: &'a Fixtures,
    pub(super) workspace: &'a Workspace,
    pub(super) now: i64,
    /// Secrets used beyond the workspace's own.
    pub(super) secrets: Vec<String>,
    /// Whether any time expression fell within a few seconds of a verdict boundary.
    pub(super) near_boundary: bool,
    /// Whether the step used any time expression at all.
    pub(super) uses_time: bool,
}

impl<'a> StepCtx<'a> {
    pub(super) fn new(fixtures: &'a Fixtures, workspace: &'a Workspace, now: i64) -> StepCtx<'a> {
        StepCtx {
            fixtures,
            workspace,
            now,
            secrets: Vec::new(),
            near_boundary: false,
            uses_time: false,
        }
    }

    /// Resolve a secret reference, and remember the secret for redaction.
    pub(crate) fn secret(&mut self, text: &str, at: &FieldPath) -> Result<String, FieldError> {
        let secret = SecretRef::parse(text)
            .and_then(|secret| secret.resolve(self.workspace, self.fixtures))
            .map_err(|error| FieldError::from_secret(at, error))?;
        self.secrets.push(secret.clone());
        Ok(secret)
    }

    /// A JWT key's secret, by id.
    pub(crate) fn key_secret(&mut self, id: &str, at: &FieldPath) -> Result<String, FieldError> {
        match find_key(id, self.workspace, self.fixtures) {
            Some(key) => {
                self.secrets.push(key.secret.clone());
                Ok(key.secret.clone())
            }
            None => Err(FieldError::from_secret(
                at,
                unknown_key(id, self.workspace, self.fixtures),
            )),
        }
    }

    pub(super) fn record_time(&mut self, offset: i64) {
        self.uses_time = true;
        if near_a_boundary(offset, self.workspace.jwt_leeway_seconds) {
            self.near_boundary = true;
        }
    }

    /// A time expression as Unix seconds at this step's `now`.
    pub(crate) fn time(&mut self, text: &str, at: &FieldPath) -> Result<i64, FieldError> {
        let time = TimeExpr::parse(text).map_err(|error| {
            FieldError::new(at, error.to_string())
                .hint("units are s, m, h and d; write the number in full, no spaces")
        })?;
        self.record_time(time.offset);
        time.at(self.now)
            .ok_or_else(|| FieldError::new(at, format!("`{text}` at now = {} overflows", self.now)))
    }

    /// Raw JSON text with its `{{now...}}` placeholders filled.
    pub(crate) fn fill(&mut self, raw: &str, at: &FieldPath) -> Result<String, FieldError> {
        let (text, offsets) = fill_placeholders(raw, self.now).map_err(|error| {
            FieldError::new(
                at,
                format!(
                    "bad placeholder `{{{{{}}}}}`: expected {TIME_FORMS}",
                    error.text
                ),
            )
            .hint("placeholders are time expressions in double braces, e.g. {{now+10s}}")
        })?;
        for offset in offsets {
            self.record_time(offset);
        }
        Ok(text)
    }

    /// A claim value: a string that is a time expression becomes integer seconds.
    pub(crate) fn claim_value(
        &mut self,
        value: &Value,
        at: &FieldPath,
    ) -> Result<Value, FieldError> {
        match value {
            Value::String(text) if looks_like_time(text) => Ok(Value::from(self.time(text, at)?)),
            other => Ok(other.clone()),
        }
    }
}
