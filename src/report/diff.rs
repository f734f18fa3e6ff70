//! The difference between two runs, by case id (`messenger-conformance diff OLD NEW`).
//!
//! Each case of either run falls in one class:
//! - **new failure**: fails now, and passed, was skipped, or did not exist before. A skip `hello`
//!   did not declare (an `unsupported` answer to a request that needs nothing declared lacking)
//!   counts as a failure here, as it does at the gate;
//! - **reason changed**: the outcome class, error code or severity differs, and it is neither a
//!   new failure nor fixed (a failure that fails another way, a pass that is now skipped ...);
//! - **fixed**: failed (or was skipped for a reason `hello` did not declare) before, passes now;
//! - **added** / **removed**: in only one of the runs (an added case that fails is a new
//!   failure);
//! - **unchanged**: counted only.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::event::CaseEvent;
use crate::judge::{OutcomeClass, Severity};
use crate::report::baseline::describe;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    NewFailure,
    ReasonChanged,
    Fixed,
    Added,
    Removed,
    Unchanged,
}

impl Change {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Change::NewFailure => "new failure",
            Change::ReasonChanged => "reason changed",
            Change::Fixed => "fixed",
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Unchanged => "unchanged",
        }
    }
}

/// One case that changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseChange {
    pub change: Change,
    /// `area::id` (of the new run when the case is in both).
    pub name: String,
    /// The result before / after, in words (`pass`, `wrong_verdict, critical`); None when absent.
    pub before: Option<String>,
    pub after: Option<String>,
    /// The severity after (or before, for removed and fixed cases), for ordering.
    #[serde(skip)]
    severity: Option<Severity>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    /// Every case that changed, new failures first (critical first), then reason changed,
    /// fixed, added, removed.
    pub changes: Vec<CaseChange>,
    pub unchanged: usize,
}

/// A case's result in words: `pass`, `skipped`, `skipped, not declared`, or
/// `class (code), severity`.
pub(crate) fn result_of(event: &CaseEvent) -> String {
    match event.outcome {
        OutcomeClass::Skipped if event.undeclared_skip() => "skipped, not declared".to_string(),
        OutcomeClass::Pass | OutcomeClass::Skipped => event.outcome.as_str().to_string(),
        class => describe(class, event.error_code().as_deref(), event.severity),
    }
}

type Reason = (OutcomeClass, Option<String>, Option<Severity>, bool);

fn reason(event: &CaseEvent) -> Reason {
    (
        event.outcome,
        event.error_code(),
        event.severity,
        event.undeclared_skip(),
    )
}

/// Fails, or was skipped for a reason `hello` did not declare: what fails a gate.
fn bad(event: &CaseEvent) -> bool {
    event.failed() || event.undeclared_skip()
}

pub fn diff(old: &[CaseEvent], new: &[CaseEvent]) -> Diff {
    let before: HashMap<&str, &CaseEvent> = old.iter().map(|e| (e.id.as_str(), e)).collect();
    let after: HashMap<&str, &CaseEvent> = new.iter().map(|e| (e.id.as_str(), e)).collect();
    let mut changes = Vec::new();
    let mut unchanged = 0;
    for event in new {
        let change = match before.get(event.id.as_str()) {
            None if bad(event) => Change::NewFailure,
            None => Change::Added,
            Some(old) if !bad(old) && bad(event) => Change::NewFailure,
            Some(old) if bad(old) && event.outcome == OutcomeClass::Pass => Change::Fixed,
            Some(old) if reason(old) != reason(event) => Change::ReasonChanged,
            Some(_) => Change::Unchanged,
        };
        if change == Change::Unchanged {
            unchanged += 1;
            continue;
        }
        let old = before.get(event.id.as_str());
        changes.push(CaseChange {
            change,
            name: event.name(),
            before: old.map(|o| result_of(o)),
            after: Some(result_of(event)),
            severity: event.severity.or_else(|| old.and_then(|o| o.severity)),
        });
    }
    for event in old.iter().filter(|e| !after.contains_key(e.id.as_str())) {
        changes.push(CaseChange {
            change: Change::Removed,
            name: event.name(),
            before: Some(result_of(event)),
            after: None,
            severity: event.severity,
        });
    }
    changes.sort_by_key(|c| (c.change, c.severity.map_or(u8::MAX, |s| s as u8)));
    Diff { changes, unchanged }
}

impl Diff {
    pub(crate) fn count(&self, change: Change) -> usize {
        if change == Change::Unchanged {
            return self.unchanged;
        }
        self.changes.iter().filter(|c| c.change == change).count()
    }

    pub fn has_new_failures(&self) -> bool {
        self.count(Change::NewFailure) > 0
    }

    /// The counts line: `2 new failures, 1 reason changed, 0 fixed, ...`.
    pub(crate) fn counts_line(&self) -> String {
        let failures = self.count(Change::NewFailure);
        format!(
            "{} new failure{}, {} reason changed, {} fixed, {} added, {} removed, {} unchanged",
            failures,
            if failures == 1 { "" } else { "s" },
            self.count(Change::ReasonChanged),
            self.count(Change::Fixed),
            self.count(Change::Added),
            self.count(Change::Removed),
            self.unchanged
        )
    }

    /// A table of the changed cases, then the counts line.
    pub fn render_table(&self) -> String {
        let mut out = String::new();
        if !self.changes.is_empty() {
            let width = |f: &dyn Fn(&CaseChange) -> usize, title: &str| {
                self.changes
                    .iter()
                    .map(f)
                    .max()
                    .unwrap_or(0)
                    .max(title.len())
            };
            let w_change = width(&|c| c.change.as_str().len(), "change");
            let w_name = width(&|c| c.name.chars().count(), "case");
            let w_before = width(
                &|c| c.before.as_deref().unwrap_or("-").chars().count(),
                "before",
            );
            let _ = writeln!(
                out,
                "{:<w_change$}  {:<w_name$}  {:<w_before$}  after",
                "change", "case", "before"
            );
            for c in &self.changes {
                let _ = writeln!(
                    out,
                    "{:<w_change$}  {:<w_name$}  {:<w_before$}  {}",
                    c.change.as_str(),
                    c.name,
                    c.before.as_deref().unwrap_or("-"),
                    c.after.as_deref().unwrap_or("-")
                );
            }
            out.push('\n');
        }
        let _ = writeln!(out, "{}", self.counts_line());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::case;

    #[test]
    fn classifies_every_kind_of_change() {
        let old = vec![
            case("SAME", "jwt", OutcomeClass::Pass),
            case("BREAKS", "jwt", OutcomeClass::Pass),
            case("HEALS", "jwt", OutcomeClass::WrongVerdict),
            case("SHIFTS", "jwt", OutcomeClass::WrongErrorCode),
            case("GOES", "jwt", OutcomeClass::Pass),
            case("STILL", "jwt", OutcomeClass::WrongDetail),
            case("NOW-SKIPPED", "jwt", OutcomeClass::Pass),
        ];
        let mut shifted = case("SHIFTS", "jwt", OutcomeClass::WrongErrorCode);
        shifted.actual = serde_json::json!({"error": "jwt_expired"});
        let new = vec![
            case("SAME", "jwt", OutcomeClass::Pass),
            case("BREAKS", "jwt", OutcomeClass::WrongVerdict),
            case("HEALS", "jwt", OutcomeClass::Pass),
            shifted,
            case("STILL", "jwt", OutcomeClass::WrongDetail),
            case("NOW-SKIPPED", "jwt", OutcomeClass::Skipped),
            case("NEW-OK", "idv", OutcomeClass::Pass),
            case("NEW-BAD", "idv", OutcomeClass::Timeout),
        ];
        let d = diff(&old, &new);
        let of = |name: &str| {
            d.changes
                .iter()
                .find(|c| c.name.ends_with(name))
                .map(|c| c.change)
        };
        assert_eq!(of("::BREAKS"), Some(Change::NewFailure));
        assert_eq!(of("::NEW-BAD"), Some(Change::NewFailure));
        assert_eq!(of("::HEALS"), Some(Change::Fixed));
        assert_eq!(of("::SHIFTS"), Some(Change::ReasonChanged));
        assert_eq!(of("::NOW-SKIPPED"), Some(Change::ReasonChanged));
        assert_eq!(of("::NEW-OK"), Some(Change::Added));
        assert_eq!(of("::GOES"), Some(Change::Removed));
        assert_eq!(of("::SAME"), None);
        assert_eq!(d.unchanged, 2);
        assert!(d.has_new_failures());
        assert_eq!(
            d.counts_line(),
            "2 new failures, 2 reason changed, 1 fixed, 1 added, 1 removed, 2 unchanged"
        );
        // Critical new failures lead the table.
        assert_eq!(d.changes[0].name, "jwt::BREAKS");
        let table = d.render_table();
        assert!(
            table.lines().next().unwrap().starts_with("change "),
            "{table}"
        );
        assert!(table.contains("reason changed  jwt::SHIFTS"), "{table}");
        assert!(
            table.contains(
                "wrong_error_code (jwt_malformed), minor  wrong_error_code (jwt_expired), minor"
            ),
            "{table}"
        );
    }

    #[test]
    fn identical_runs_have_no_changes() {
        let run = vec![
            case("A", "jwt", OutcomeClass::Pass),
            case("B", "jwt", OutcomeClass::WrongDetail),
        ];
        let d = diff(&run, &run);
        assert!(d.changes.is_empty() && !d.has_new_failures());
        assert_eq!(
            d.render_table(),
            "0 new failures, 0 reason changed, 0 fixed, 0 added, 0 removed, 2 unchanged\n"
        );
    }

    #[test]
    fn a_skip_hello_did_not_declare_is_a_new_failure_and_its_answer_a_fix() {
        use crate::report::fixtures::undeclared;
        let old = vec![
            case("DODGES", "jwt", OutcomeClass::Pass),
            case("DECLARES", "jwt", OutcomeClass::Skipped),
            undeclared("ANSWERS", "jwt"),
            case("STILL", "jwt", OutcomeClass::Skipped),
        ];
        let new = vec![
            undeclared("DODGES", "jwt"),
            undeclared("DECLARES", "jwt"),
            case("ANSWERS", "jwt", OutcomeClass::Pass),
            case("STILL", "jwt", OutcomeClass::Skipped),
        ];
        let d = diff(&old, &new);
        let of = |name: &str| d.changes.iter().find(|c| c.name.ends_with(name)).cloned();
        let dodges = of("::DODGES").unwrap();
        assert_eq!(dodges.change, Change::NewFailure);
        assert_eq!(
            (dodges.before.as_deref(), dodges.after.as_deref()),
            (Some("pass"), Some("skipped, not declared"))
        );
        assert_eq!(of("::DECLARES").unwrap().change, Change::NewFailure);
        assert_eq!(of("::ANSWERS").unwrap().change, Change::Fixed);
        assert!(of("::STILL").is_none());
        assert!(d.has_new_failures());
    }
}
