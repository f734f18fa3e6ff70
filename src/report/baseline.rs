//! The baseline: known failures an implementation has accepted for now, so that CI fails only
//! on new ones (`run --baseline FILE`).
//!
//! ```yaml
//! known_failures:
//!   - id: JWT-ALG-004
//!     outcome: wrong_error_code     # the outcome class it fails with
//!     error: jwt_malformed          # the error code it answers (null when none)
//!     severity: minor
//!     reason: "our parser checks the header's form before alg; fixed in 2.0"
//!     link: https://tracker.example.com/SEC-12
//!     expires: 2026-06-30
//! ```
//!
//! An entry matches only the failure it describes: the same case failing with another class,
//! error code or severity is a new failure (the *reason* must match, as in the Protocol Buffers
//! conformance runner's failure lists). A critical failure (an authentication bypass) can be
//! listed only with a non-empty `reason`; a file that lists one without is refused at load.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::clock::Date;
use crate::event::{CaseEvent, Kind};
use crate::judge::{OutcomeClass, Severity};
use crate::suite::{short_digest, SuiteIdentity};

/// One known failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The case id.
    pub id: String,
    /// The outcome class the case is known to fail with.
    pub outcome: OutcomeClass,
    /// The error code it answers with, or null.
    #[serde(default)]
    pub error: Option<String>,
    /// The severity of the failure; when left out, any severity matches (but a critical
    /// failure still needs a `reason`).
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Why the failure is accepted for now. Required (non-empty) for critical failures.
    #[serde(default)]
    pub reason: String,
    /// Where the fix is tracked.
    #[serde(default)]
    pub link: Option<String>,
    /// `YYYY-MM-DD`: from the day after, the entry fails the run until it is renewed or fixed.
    #[serde(default)]
    pub expires: Option<String>,
}

impl Entry {
    /// The entry that describes `event`'s failure, with nothing said about why.
    pub(crate) fn for_failure(event: &CaseEvent) -> Entry {
        Entry {
            id: event.id.clone(),
            outcome: event.outcome,
            error: event.error_code(),
            severity: event.severity,
            reason: String::new(),
            link: None,
            expires: None,
        }
    }

    /// Whether `event` fails exactly the way this entry says: same class, error code and (when
    /// the entry names one) severity. (Whether the entry may excuse a critical failure is the
    /// gate's question: only with a reason.)
    pub(crate) fn describes(&self, event: &CaseEvent) -> bool {
        self.id == event.id
            && event.failed()
            && self.outcome == event.outcome
            && self.error == event.error_code()
            && self.severity.is_none_or(|s| Some(s) == event.severity)
    }

    /// Whether the entry says why (a non-blank `reason`).
    pub(crate) fn is_justified(&self) -> bool {
        !self.reason.trim().is_empty()
    }

    pub(crate) fn expiry(&self) -> Option<Date> {
        self.expires.as_deref().and_then(Date::parse)
    }

    /// The failure it describes, in words: `wrong_error_code (jwt_malformed), minor`.
    pub(crate) fn describe(&self) -> String {
        describe(self.outcome, self.error.as_deref(), self.severity)
    }
}

/// `class (code), severity`, the words for a failure's reason.
pub(crate) fn describe(
    outcome: OutcomeClass,
    error: Option<&str>,
    severity: Option<Severity>,
) -> String {
    let mut text = outcome.as_str().to_string();
    if let Some(code) = error {
        let _ = write!(text, " ({code})");
    }
    if let Some(severity) = severity {
        let _ = write!(text, ", {}", severity.as_str());
    }
    text
}

/// A loaded baseline: its entries in file order, each with the line it starts on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Baseline {
    /// Where it was read from (for messages), if from a file.
    pub path: Option<PathBuf>,
    pub entries: Vec<Entry>,
    /// The 1-based line of each entry (parallel to `entries`; 0 when unknown).
    pub lines: Vec<u64>,
    /// The suite it was written against; `None` for a file written by hand or by a harness
    /// that did not record it.
    pub suite: Option<RecordedSuite>,
}

/// The suite a baseline was written against: its identity and the ids of its cases, so that a
/// run of another suite can say which cases are new since (`suite:` in the file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedSuite {
    /// The suite's version; null for a suite of one's own (see [`SuiteIdentity::version`]).
    #[serde(default)]
    pub version: Option<String>,
    /// The digest of its files.
    pub digest: String,
    /// The digest of each directory of extra cases run beside it.
    #[serde(default)]
    pub extra: Vec<String>,
    /// The ids of the cases the run held, in suite order.
    #[serde(default)]
    pub cases: Vec<String>,
}

impl RecordedSuite {
    /// What a baseline written from `cases` (a run of the whole suite `suite`) records.
    pub fn of(suite: &SuiteIdentity, cases: &[CaseEvent]) -> RecordedSuite {
        RecordedSuite {
            version: suite.version.clone(),
            digest: suite.digest.clone(),
            extra: suite.extra.iter().map(|e| e.digest.clone()).collect(),
            cases: cases
                .iter()
                .filter(|c| c.kind == Kind::Case)
                .map(|c| c.id.clone())
                .collect(),
        }
    }

    fn same_as(&self, suite: &SuiteIdentity) -> bool {
        self.version == suite.version
            && self.digest == suite.digest
            && self.extra.len() == suite.extra.len()
            && self
                .extra
                .iter()
                .zip(&suite.extra)
                .all(|(a, b)| *a == b.digest)
    }

    fn label(&self) -> String {
        let mut text = format!(
            "suite {} (sha256:{})",
            self.version.as_deref().unwrap_or("custom"),
            short_digest(&self.digest)
        );
        if !self.extra.is_empty() {
            let _ = write!(
                text,
                " with {} director(ies) of extra cases",
                self.extra.len()
            );
        }
        text
    }
}

/// Why a baseline cannot be used. Every variant is a usage error (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read the baseline {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the baseline {path} is not valid: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("the baseline has errors:\n{}", .0.join("\n"))]
    Invalid(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    known_failures: Vec<serde_saphyr::Spanned<Entry>>,
    #[serde(default)]
    suite: Option<RecordedSuite>,
}

impl Baseline {
    /// Read and check a baseline file (see [`Baseline::check`]).
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let baseline = Baseline::read(path)?;
        let errors = baseline.check();
        if errors.is_empty() {
            Ok(baseline)
        } else {
            Err(BaselineError::Invalid(errors))
        }
    }

    /// Read a baseline file without the checks (what `--update-baseline` starts from).
    pub(crate) fn read(path: &Path) -> Result<Baseline, BaselineError> {
        let text = crate::input::read_text(path, crate::input::FILE_LIMIT).map_err(|source| {
            BaselineError::Io {
                path: path.to_path_buf(),
                source,
            }
        })?;
        Baseline::parse(&text, path)
    }

    /// Parse the YAML text of a baseline; `path` names it in messages.
    pub(crate) fn parse(text: &str, path: &Path) -> Result<Baseline, BaselineError> {
        let only_comments = text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
        if only_comments {
            return Ok(Baseline {
                path: Some(path.to_path_buf()),
                ..Baseline::default()
            });
        }
        let file: File = serde_saphyr::from_str(text).map_err(|e| BaselineError::Syntax {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let lines = file
            .known_failures
            .iter()
            .map(|e| e.referenced.line())
            .collect();
        let entries = file.known_failures.into_iter().map(|e| e.value).collect();
        Ok(Baseline {
            path: Some(path.to_path_buf()),
            entries,
            lines,
            suite: file.suite,
        })
    }

    /// Every reason the baseline cannot be used, each as `file:line: message`: a critical
    /// entry without a reason, an entry for a passing or skipped outcome, a malformed expiry
    /// date, a case listed twice.
    pub(crate) fn check(&self) -> Vec<String> {
        let mut errors = Vec::new();
        let mut seen: BTreeMap<&str, u64> = BTreeMap::new();
        for (index, entry) in self.entries.iter().enumerate() {
            let at = self.location(index);
            if entry.severity == Some(Severity::Critical) && !entry.is_justified() {
                errors.push(format!(
                    "{at}: {} is a critical failure (an authentication bypass) listed without a reason: \
                     write in `reason` why it is accepted for now (and a `link` to the fix), or remove the entry",
                    entry.id
                ));
            }
            if !entry.outcome.is_failure() {
                errors.push(format!(
                    "{at}: {} has outcome `{}`, which is not a failure (use one of wrong_verdict, \
                     wrong_error_code, wrong_detail, adapter_error, timeout)",
                    entry.id,
                    entry.outcome.as_str()
                ));
            }
            if let Some(expires) = &entry.expires {
                if Date::parse(expires).is_none() {
                    errors.push(format!(
                        "{at}: {}: `expires: {expires}` is not a date (write YYYY-MM-DD)",
                        entry.id
                    ));
                }
            }
            if let Some(first) = seen.insert(&entry.id, self.lines.get(index).copied().unwrap_or(0))
            {
                errors.push(format!(
                    "{at}: {} is listed twice (first on line {first}); keep one entry per case",
                    entry.id
                ));
            }
        }
        errors
    }

    /// `file:line` of the entry at `index`.
    pub(crate) fn location(&self, index: usize) -> String {
        let path = self
            .path
            .as_deref()
            .map_or_else(|| "<baseline>".to_string(), |p| p.display().to_string());
        match self.lines.get(index) {
            Some(&line) if line > 0 => format!("{path}:{line}"),
            _ => path,
        }
    }

    pub(crate) fn find(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The baseline `--update-baseline` writes: one entry per failed case, in case order.
    /// Entries of `previous` that still match keep their reason, link and expiry.
    pub fn updated(previous: Option<&Baseline>, cases: &[CaseEvent]) -> Baseline {
        let entries: Vec<Entry> = cases
            .iter()
            .filter(|c| c.failed())
            .map(|case| {
                let fresh = Entry::for_failure(case);
                match previous.and_then(|b| b.find(&case.id)) {
                    Some(old) if old.describes(case) => Entry {
                        reason: old.reason.clone(),
                        link: old.link.clone(),
                        expires: old.expires.clone(),
                        ..fresh
                    },
                    _ => fresh,
                }
            })
            .collect();
        let lines = vec![0; entries.len()];
        Baseline {
            path: previous.and_then(|b| b.path.clone()),
            entries,
            lines,
            suite: None,
        }
    }

    /// Entries that are critical and say no reason (they make the file unusable until filled).
    pub(crate) fn unjustified_critical(&self) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| e.severity == Some(Severity::Critical) && !e.is_justified())
            .collect()
    }

    /// The YAML text of the baseline, with a comment that says how it is used.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# messenger-conformance baseline: failures accepted for now.\n\
             # `run --baseline FILE` fails only on failures not listed here (or listed with another\n\
             # outcome, error code or severity), on entries whose case now passes or is gone, and on\n\
             # entries past `expires`. A critical failure needs a non-empty `reason`.\n\
             # Regenerate with `run --baseline FILE --update-baseline` (reasons, links and expiry of\n\
             # entries that still match are kept).\n",
        );
        if self.entries.is_empty() {
            out.push_str("known_failures: []\n");
        } else {
            out.push_str("known_failures:\n");
            self.render_entries(&mut out);
        }
        if let Some(suite) = &self.suite {
            render_suite(&mut out, suite);
        }
        out
    }

    fn render_entries(&self, out: &mut String) {
        for entry in &self.entries {
            let _ = writeln!(out, "  - id: {}", yaml_string(&entry.id));
            let _ = writeln!(out, "    outcome: {}", entry.outcome.as_str());
            let _ = writeln!(
                out,
                "    error: {}",
                entry
                    .error
                    .as_deref()
                    .map_or("null".to_string(), yaml_string)
            );
            if let Some(severity) = entry.severity {
                let _ = writeln!(out, "    severity: {}", severity.as_str());
            }
            let _ = write!(out, "    reason: {}", yaml_string(&entry.reason));
            if entry.severity == Some(Severity::Critical) && !entry.is_justified() {
                out.push_str("  # critical: say why it is accepted, or fix it; the file is refused until then");
            }
            out.push('\n');
            let _ = writeln!(
                out,
                "    link: {}",
                entry
                    .link
                    .as_deref()
                    .map_or("null".to_string(), yaml_string)
            );
            let _ = writeln!(
                out,
                "    expires: {}",
                entry
                    .expires
                    .as_deref()
                    .map_or("null".to_string(), yaml_string)
            );
        }
    }

    /// What a reader of a run gated with this baseline should know about the suite: that the
    /// baseline was written against another one, and which of the run's cases are new since
    /// (their failures are not covered by it); or that it records no suite. `None` when it was
    /// written against this run's suite, or the run did not record its own.
    pub fn suite_note(
        &self,
        current: Option<&SuiteIdentity>,
        cases: &[CaseEvent],
    ) -> Option<String> {
        let path = self
            .path
            .as_deref()
            .map_or_else(|| "<baseline>".to_string(), |p| p.display().to_string());
        let current = current?;
        let Some(recorded) = &self.suite else {
            return Some(format!(
                "the baseline {path} records no suite (it was written by hand or by an older harness): \
                 which of this run's cases are new since it was written cannot be told. \
                 Rewrite it with --update-baseline to record this run's {current}."
            ));
        };
        if recorded.same_as(current) {
            return None;
        }
        let known: std::collections::BTreeSet<&str> =
            recorded.cases.iter().map(String::as_str).collect();
        let new: Vec<&str> = cases
            .iter()
            .filter(|c| c.kind == Kind::Case && !known.contains(c.id.as_str()))
            .map(|c| c.id.as_str())
            .collect();
        let ran: std::collections::BTreeSet<&str> = cases
            .iter()
            .filter(|c| c.kind == Kind::Case)
            .map(|c| c.id.as_str())
            .collect();
        let gone = recorded
            .cases
            .iter()
            .filter(|id| !ran.contains(id.as_str()))
            .count();
        let mut note = format!(
            "the baseline {path} was written against {}; this run uses {current}. Its entries still \
             apply to the cases that fail the same way. ",
            recorded.label()
        );
        match new.len() {
            0 => note.push_str("No case of this run is new since."),
            n => {
                const SHOWN: usize = 20;
                let more = match n.saturating_sub(SHOWN) {
                    0 => String::new(),
                    m => format!(" and {m} more"),
                };
                let _ = write!(
                    note,
                    "{n} case(s) are new since, and a failure among them is a new failure: {}{more}.",
                    new[..n.min(SHOWN)].join(", ")
                );
            }
        }
        if gone > 0 {
            let _ = write!(note, " {gone} case(s) of its suite are not in this run.");
        }
        note.push_str(" Rewrite it with --update-baseline to record this run's suite.");
        Some(note)
    }
}

/// The `suite:` block of a baseline file: the ids as a flow list, a few to a line.
fn render_suite(out: &mut String, suite: &RecordedSuite) {
    out.push_str(
        "# The suite this baseline was written against: a run of another suite says so, and which\n\
         # of its cases are new since.\n",
    );
    out.push_str("suite:\n");
    let _ = writeln!(
        out,
        "  version: {}",
        suite
            .version
            .as_deref()
            .map_or("null".to_string(), yaml_string)
    );
    let _ = writeln!(out, "  digest: {}", yaml_string(&suite.digest));
    if !suite.extra.is_empty() {
        let extra: Vec<String> = suite.extra.iter().map(|d| yaml_string(d)).collect();
        let _ = writeln!(out, "  extra: [{}]", extra.join(", "));
    }
    out.push_str("  cases: [");
    let mut width = 10;
    for (index, id) in suite.cases.iter().enumerate() {
        let item = yaml_string(id);
        if index > 0 {
            out.push(',');
            if width + item.len() > 96 {
                out.push_str("\n    ");
                width = 4;
            } else {
                out.push(' ');
                width += 1;
            }
        }
        width += item.len() + 1;
        out.push_str(&item);
    }
    out.push_str("]\n");
}

/// A YAML scalar for `text`: plain when that cannot be misread (ids, codes, dates, URLs without
/// special characters), else double-quoted (JSON string syntax is valid YAML).
fn yaml_string(text: &str) -> String {
    let plain = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain {
        text.to_string()
    } else {
        serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::case;

    fn parse(text: &str) -> Result<Baseline, BaselineError> {
        let baseline = Baseline::parse(text, Path::new("baseline.yaml"))?;
        let errors = baseline.check();
        if errors.is_empty() {
            Ok(baseline)
        } else {
            Err(BaselineError::Invalid(errors))
        }
    }

    #[test]
    fn renders_and_parses_back() {
        let cases = vec![
            case("A-1", "jwt", OutcomeClass::WrongErrorCode),
            case("A-2", "jwt", OutcomeClass::Pass),
            case("A-3", "idv", OutcomeClass::Timeout),
        ];
        let baseline = Baseline::updated(None, &cases);
        assert_eq!(baseline.entries.len(), 2);
        let text = baseline.render();
        let back = parse(&text).unwrap();
        assert_eq!(back.entries, baseline.entries);
        assert_eq!(back.lines, vec![8, 15]);
        assert_eq!(back.entries[0].error.as_deref(), Some("jwt_malformed"));
    }

    #[test]
    fn scalars_are_plain_only_when_safe() {
        assert_eq!(yaml_string("JWT-ALG-003"), "JWT-ALG-003");
        assert_eq!(yaml_string("jwt_malformed"), "jwt_malformed");
        for quoted in [
            "",
            "null",
            "No",
            "2026-01-01",
            "a: b",
            "#x",
            "héllo",
            "say \"hi\"",
            "1abc",
        ] {
            assert!(yaml_string(quoted).starts_with('"'), "{quoted}");
            let back: String = serde_saphyr::from_str(&yaml_string(quoted)).unwrap();
            assert_eq!(back, quoted);
        }
    }

    #[test]
    fn an_empty_file_is_an_empty_baseline() {
        assert!(parse("").unwrap().entries.is_empty());
        assert!(parse("# nothing yet\n").unwrap().entries.is_empty());
        assert!(parse("known_failures: []\n").unwrap().entries.is_empty());
    }

    #[test]
    fn a_critical_entry_without_reason_is_refused_with_its_line() {
        let text = "known_failures:\n  - id: A-1\n    outcome: wrong_detail\n    severity: minor\n  - id: A-2\n    outcome: wrong_verdict\n    severity: critical\n    reason: \"  \"\n";
        let err = parse(text).unwrap_err().to_string();
        assert!(
            err.contains("baseline.yaml:5: A-2 is a critical failure"),
            "{err}"
        );
        let ok = text.replace("reason: \"  \"", "reason: tracked in SEC-1");
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn bad_entries_are_refused() {
        let err = parse("known_failures:\n  - id: A-1\n    outcome: pass\n    expires: 2026-02-30\n  - id: A-1\n    outcome: timeout\n").unwrap_err().to_string();
        assert!(
            err.contains("baseline.yaml:2: A-1 has outcome `pass`"),
            "{err}"
        );
        assert!(err.contains("2026-02-30` is not a date"), "{err}");
        assert!(
            err.contains("baseline.yaml:5: A-1 is listed twice (first on line 2)"),
            "{err}"
        );
        let err = parse("known_failures:\n  - id: A-1\n    outcome: broken\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("baseline.yaml is not valid"), "{err}");
        let err = parse("known_failures:\n  - id: A-1\n    outcome: timeout\n    colour: red\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn matching_needs_the_same_reason() {
        let failing = case("A-1", "jwt", OutcomeClass::WrongErrorCode);
        let entry = Entry::for_failure(&failing);
        assert!(entry.describes(&failing));
        let other_code = Entry {
            error: Some("jwt_expired".into()),
            ..entry.clone()
        };
        assert!(!other_code.describes(&failing));
        let other_class = Entry {
            outcome: OutcomeClass::WrongDetail,
            ..entry.clone()
        };
        assert!(!other_class.describes(&failing));
        let other_severity = Entry {
            severity: Some(Severity::Major),
            ..entry.clone()
        };
        assert!(!other_severity.describes(&failing));
        let any_severity = Entry {
            severity: None,
            ..entry.clone()
        };
        assert!(any_severity.describes(&failing));
        assert!(!entry.describes(&case("A-1", "jwt", OutcomeClass::Pass)));
        assert!(!entry.describes(&case("A-9", "jwt", OutcomeClass::WrongErrorCode)));
    }

    #[test]
    fn update_keeps_what_people_wrote_for_entries_that_still_match() {
        let old_cases = vec![
            case("A-1", "jwt", OutcomeClass::WrongErrorCode),
            case("A-2", "jwt", OutcomeClass::WrongDetail),
        ];
        let mut previous = Baseline::updated(None, &old_cases);
        for entry in &mut previous.entries {
            entry.reason = format!("known: {}", entry.id);
            entry.link = Some("https://example.com/1".into());
            entry.expires = Some("2030-01-01".into());
        }
        let mut changed = case("A-2", "jwt", OutcomeClass::WrongErrorCode);
        changed.id = "A-2".into();
        let new_cases = vec![
            case("A-1", "jwt", OutcomeClass::WrongErrorCode),
            changed,
            case("A-3", "jwt", OutcomeClass::WrongVerdict),
        ];
        let updated = Baseline::updated(Some(&previous), &new_cases);
        assert_eq!(updated.entries[0].reason, "known: A-1");
        assert_eq!(updated.entries[0].expires.as_deref(), Some("2030-01-01"));
        assert_eq!(
            updated.entries[1].reason, "",
            "A-2 fails differently now: its reason no longer applies"
        );
        assert_eq!(updated.unjustified_critical().len(), 1);
        let text = updated.render();
        assert!(text.contains("# critical: say why"), "{text}");
        assert!(
            parse(&text).is_err(),
            "a fresh critical entry must be justified before use"
        );
    }

    fn recorded(version: &str, digest: &str, cases: &[&str]) -> RecordedSuite {
        RecordedSuite {
            version: Some(version.into()),
            digest: digest.into(),
            extra: Vec::new(),
            cases: cases.iter().map(|c| c.to_string()).collect(),
        }
    }

    fn identity(version: &str, digest: &str) -> SuiteIdentity {
        SuiteIdentity {
            version: Some(version.into()),
            digest: digest.into(),
            cases: 3,
            source: "embedded".into(),
            extra: Vec::new(),
        }
    }

    #[test]
    fn the_suite_is_rendered_and_parsed_back() {
        let cases: Vec<CaseEvent> = (1..=30)
            .map(|i| case(&format!("LONG-CASE-ID-{i:03}"), "jwt", OutcomeClass::Pass))
            .collect();
        let mut baseline = Baseline::updated(None, &cases);
        let mut suite = identity("0.1.0", "sha256:abc");
        suite.extra.push(crate::suite::ExtraCases {
            dir: "team".into(),
            digest: "sha256:def".into(),
            cases: 1,
        });
        baseline.suite = Some(RecordedSuite::of(&suite, &cases));
        let text = baseline.render();
        assert!(text.lines().all(|l| l.len() <= 100), "{text}");
        let back = parse(&text).unwrap();
        assert_eq!(back.suite, baseline.suite);
        assert_eq!(back.suite.as_ref().unwrap().cases.len(), 30);
        assert_eq!(back.suite.as_ref().unwrap().extra, vec!["sha256:def"]);
        // An unknown key in the block is refused, like anywhere in the file.
        let err = parse(&text.replace("  digest:", "  digets:")).unwrap_err();
        assert!(err.to_string().contains("digets"), "{err}");
    }

    #[test]
    fn another_suite_is_named_with_the_cases_new_since() {
        let run = vec![
            case("A-1", "jwt", OutcomeClass::Pass),
            case("A-2", "jwt", OutcomeClass::Pass),
            case("A-3", "jwt", OutcomeClass::Pass),
        ];
        let current = identity("0.2.0", "sha256:222222222222222");
        let mut baseline = Baseline {
            path: Some("b.yaml".into()),
            ..Baseline::default()
        };
        // Written against this very suite: nothing to say.
        baseline.suite = Some(RecordedSuite::of(&current, &run));
        assert_eq!(baseline.suite_note(Some(&current), &run), None);
        // Another suite: which cases are new, and how many are gone.
        baseline.suite = Some(recorded("0.1.0", "sha256:111111111111111", &["A-1", "B-9"]));
        let note = baseline.suite_note(Some(&current), &run).unwrap();
        assert!(
            note.starts_with("the baseline b.yaml was written against suite 0.1.0 (sha256:111111111111); this run uses suite 0.2.0 (sha256:222222222222, 3 cases, embedded)."),
            "{note}"
        );
        assert!(
            note.contains(
                "2 case(s) are new since, and a failure among them is a new failure: A-2, A-3."
            ),
            "{note}"
        );
        assert!(
            note.contains("1 case(s) of its suite are not in this run"),
            "{note}"
        );
        // The same ids with other content: still said, with no case new.
        baseline.suite = Some(recorded("0.1.0", "sha256:1", &["A-1", "A-2", "A-3"]));
        let note = baseline.suite_note(Some(&current), &run).unwrap();
        assert!(note.contains("No case of this run is new since."), "{note}");
        // No suite recorded: said plainly; a run that recorded none says nothing.
        baseline.suite = None;
        let note = baseline.suite_note(Some(&current), &run).unwrap();
        assert!(note.contains("records no suite"), "{note}");
        assert_eq!(baseline.suite_note(None, &run), None);
    }
}
