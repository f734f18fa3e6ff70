//! The terminal renderer: a libtest-like line per case, failure details (critical first), a
//! summary by area and severity, and the closing `N passed, N failed` line.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::event::{CaseEvent, Kind};
use crate::judge::{OutcomeClass, Severity};
use crate::spec::{self, Level};
use crate::visible::{visible, visible_lines};

/// `ok`, `FAILED` or `skipped`, libtest style.
pub fn progress_line(event: &CaseEvent) -> String {
    let status = match event.outcome {
        OutcomeClass::Pass => "ok".to_string(),
        OutcomeClass::Skipped if event.undeclared_skip() => {
            "SKIPPED (unsupported, not declared in hello)".to_string()
        }
        OutcomeClass::Skipped => "skipped".to_string(),
        class => match event.severity {
            Some(severity) => format!("FAILED ({}, {})", class.as_str(), severity.as_str()),
            None => format!("FAILED ({})", class.as_str()),
        },
    };
    format!(
        "case {}::{} ... {status}",
        visible(&event.area),
        visible(&event.id)
    )
}

/// Everything a reader needs to understand one failure and act on it.
pub fn render_failure(event: &CaseEvent) -> String {
    let mut out = String::new();
    let severity = event.severity.map_or("", |s| s.as_str());
    let _ = writeln!(
        out,
        "--- {}::{} [{} {}] {}",
        visible(&event.area),
        visible(&event.id),
        event.level_label(),
        severity,
        visible(&event.title)
    );
    if let Some(location) = &event.location {
        let _ = writeln!(out, "  defined at {}", visible(location));
    }
    if let Some(note) = event
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        let _ = writeln!(
            out,
            "  note: {}",
            indent_continuation(&visible_lines(note), "    ")
        );
    }
    if event.gate_level() != event.level {
        let _ = writeln!(
            out,
            "  judged at {}: every problem breaks a {} rule, though the case is {}",
            event.gate_level(),
            event.gate_level(),
            event.level
        );
    }
    // The requirements the answer breaks, where the judge could tell; else a case's tags. A
    // property covers many requirements and its shrunk request breaks few of them: it shows
    // only those its problems name (none for an answer that never came).
    let mut broken: Vec<&String> = Vec::new();
    for id in event.problems.iter().filter_map(|p| p.requirement.as_ref()) {
        if !broken.contains(&id) {
            broken.push(id);
        }
    }
    if broken.is_empty() && event.kind == Kind::Case {
        broken = event.requirements.iter().collect();
    }
    for id in broken {
        match spec::find(id) {
            Some(req) => {
                let _ = writeln!(out, "  breaks {} ({}): {}", req.id, req.level, req.title);
                let _ = writeln!(out, "    {}", req.text.trim());
            }
            None => {
                let _ = writeln!(out, "  breaks {}", visible(id));
            }
        }
    }
    for problem in &event.problems {
        let _ = writeln!(
            out,
            "  {}: expected {}, got {}",
            visible(&problem.field),
            visible(&problem.expected),
            visible(&problem.actual)
        );
        let level = problem
            .level
            .map(|l| format!(", {l} rule"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    why it matters ({}{level}): {}",
            problem.severity.as_str(),
            visible(&problem.why)
        );
    }
    if let Some((shrunk, replay)) = counterexample_words(event) {
        // Worded as the problem older streams record it as (field `counterexample`).
        let level = event
            .failure_level
            .map(|l| format!(", {l} rule"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  counterexample: expected no counterexample, got {}",
            visible(&shrunk)
        );
        let _ = writeln!(
            out,
            "    why it matters ({}{level}): {}",
            event.severity.unwrap_or(Severity::Minor).as_str(),
            visible(&replay)
        );
    }
    if let Some(message) = &event.message {
        let quoted = visible(&message.replace('\\', "\\\\").replace('"', "\\\""));
        let _ = writeln!(out, "  the implementation said: \"{quoted}\"");
    }
    if !event.stderr.trim().is_empty() {
        // The end of stderr, where a traceback names what went wrong.
        let end = crate::shorten::tail(event.stderr.trim_end(), STDERR_LINES, STDERR_BYTES);
        let _ = writeln!(out, "  stderr (its end):");
        for line in visible_lines(&end).lines() {
            let _ = writeln!(out, "    | {line}");
        }
    }
    match &event.reproduce {
        Some(command) => {
            let _ = writeln!(
                out,
                "  next: reproduce it with `{}` and read its transcript in the report's events.jsonl",
                visible(command)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "  next: rerun it alone with `messenger-conformance run --filter {}` and read its transcript in the report's events.jsonl",
                visible(&event.id)
            );
        }
    }
    out
}

/// What a property's counterexample is and how to use it: `shrunk to case ID (written to
/// PATH)`, and `reproduce with `COMMAND`, or run the counterexample case`. `None` without one.
pub fn counterexample_words(event: &CaseEvent) -> Option<(String, String)> {
    let shrunk = event.counterexample.as_ref()?;
    let what = format!("shrunk to case {} ({})", shrunk.case_id, shrunk.written);
    let next = match &event.reproduce {
        Some(command) => format!("reproduce with `{command}`, or run the counterexample case"),
        None => "run the counterexample case".to_string(),
    };
    Some((what, next))
}

/// Whether `event` is a case or property the circuit breaker kept from the adapter.
pub fn not_run(event: &CaseEvent) -> bool {
    event.outcome == OutcomeClass::AdapterError
        && event
            .problems
            .first()
            .is_some_and(|p| p.actual.starts_with("not run: "))
}

/// `380 cases not run`, `380 cases and 12 properties not run`.
pub fn count_not_run(events: &[&CaseEvent]) -> String {
    let properties = events
        .iter()
        .filter(|e| e.kind == crate::event::Kind::Property)
        .count();
    let cases = events.len() - properties;
    let noun = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match (cases, properties) {
        (_, 0) => format!("{} not run", noun(cases, "case", "cases")),
        (0, _) => format!("{} not run", noun(properties, "property", "properties")),
        _ => format!(
            "{} and {} not run",
            noun(cases, "case", "cases"),
            noun(properties, "property", "properties")
        ),
    }
}

/// How much of an adapter's stderr a failure shows: its last lines.
const STDERR_LINES: usize = 12;
const STDERR_BYTES: usize = 1200;

/// `text` with every line after the first indented by `indent`.
fn indent_continuation(text: &str, indent: &str) -> String {
    text.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join(&format!("\n{indent}"))
}

/// Failures in reading order: critical first, then major, then minor; case order within.
pub fn failures_by_severity(events: &[CaseEvent]) -> Vec<&CaseEvent> {
    let mut failures: Vec<&CaseEvent> = events.iter().filter(|e| e.failed()).collect();
    failures.sort_by_key(|e| e.severity.unwrap_or(Severity::Minor));
    failures
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Of the skipped, those skipped for a reason `hello` did not declare.
    pub undeclared: usize,
}

impl Totals {
    pub fn of<'a>(events: impl IntoIterator<Item = &'a CaseEvent>) -> Totals {
        let mut totals = Totals::default();
        for event in events {
            match event.outcome {
                OutcomeClass::Pass => totals.passed += 1,
                OutcomeClass::Skipped => {
                    totals.skipped += 1;
                    totals.undeclared += usize::from(event.undeclared_skip());
                }
                _ => totals.failed += 1,
            }
        }
        totals
    }

    /// The closing line: `N passed, N failed` and `, N skipped` when any were, with how many of
    /// them `hello` did not declare.
    pub fn closing_line(&self) -> String {
        let mut line = format!("{} passed, {} failed", self.passed, self.failed);
        if self.skipped > 0 {
            let _ = write!(line, ", {} skipped", self.skipped);
        }
        if self.undeclared > 0 {
            let _ = write!(line, " ({} not declared in hello)", self.undeclared);
        }
        line
    }
}

/// The `must` cases and properties of a run: how many passed, of how many, how many were
/// skipped, and how many of those for a reason `hello` did not declare.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MustTally {
    pub passed: usize,
    pub total: usize,
    pub skipped: usize,
    pub undeclared: usize,
}

impl MustTally {
    pub fn of<'a>(events: impl IntoIterator<Item = &'a CaseEvent>) -> MustTally {
        let must = events.into_iter().filter(|e| e.level == Level::Must);
        let totals = Totals::of(must);
        MustTally {
            passed: totals.passed,
            total: totals.passed + totals.failed + totals.skipped,
            skipped: totals.skipped,
            undeclared: totals.undeclared,
        }
    }

    /// `412/450 must`, and `, 38 skipped` when any were: what the badge says.
    pub fn short(&self) -> String {
        let mut line = format!("{}/{} must", self.passed, self.total);
        if self.skipped > 0 {
            let _ = write!(line, ", {} skipped", self.skipped);
        }
        line
    }

    /// `must: 412/450 passed, 38 skipped`, and how many of the skips `hello` did not declare.
    pub fn line(&self) -> String {
        let mut line = format!("must: {}/{} passed", self.passed, self.total);
        if self.skipped > 0 {
            let _ = write!(line, ", {} skipped", self.skipped);
        }
        if self.undeclared > 0 {
            let _ = write!(
                line,
                " ({} for a reason hello did not declare)",
                self.undeclared
            );
        }
        line
    }
}

/// The summary after the failures: by area, by severity and level, then the closing line.
pub fn render_summary(events: &[CaseEvent], elapsed_secs: f64) -> String {
    let mut out = String::new();
    let mut areas: BTreeMap<&str, Vec<&CaseEvent>> = BTreeMap::new();
    for event in events {
        areas.entry(event.area.as_str()).or_default().push(event);
    }
    let _ = writeln!(out, "summary by area:");
    for (area, events) in &areas {
        let t = Totals::of(events.iter().copied());
        let _ = writeln!(
            out,
            "  {:<12} {:>4} passed {:>4} failed {:>4} skipped",
            visible(area),
            t.passed,
            t.failed,
            t.skipped
        );
    }
    let failures: Vec<&CaseEvent> = events.iter().filter(|e| e.failed()).collect();
    if !failures.is_empty() {
        let count = |s: Severity| failures.iter().filter(|e| e.severity == Some(s)).count();
        let level = |l: Level| failures.iter().filter(|e| e.gate_level() == l).count();
        let _ = writeln!(
            out,
            "failures by severity: {} critical, {} major, {} minor; by level: {} must, {} should, {} may",
            count(Severity::Critical),
            count(Severity::Major),
            count(Severity::Minor),
            level(Level::Must),
            level(Level::Should),
            level(Level::May)
        );
        let critical: Vec<&str> = failures
            .iter()
            .filter(|e| e.severity == Some(Severity::Critical))
            .map(|e| e.id.as_str())
            .collect();
        if !critical.is_empty() {
            let _ = writeln!(
                out,
                "CRITICAL (authentication bypass): {}",
                visible(&critical.join(", "))
            );
        }
    }
    let _ = writeln!(out, "{}", MustTally::of(events).line());
    let _ = writeln!(out, "finished in {elapsed_secs:.3}s");
    let _ = writeln!(out, "{}", Totals::of(events).closing_line());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    fn property_failure() -> CaseEvent {
        let mut event =
            fixtures::case("jwt-single-fault", "properties", OutcomeClass::AdapterError);
        event.kind = Kind::Property;
        event.requirements = vec!["JWT-FORMAT".into(), "JWT-ALG".into(), "JWT-CRIT".into()];
        event
    }

    /// The typed counterexample renders in the words of the problem older streams record it
    /// as, so a failure reads the same whichever harness wrote its stream.
    #[test]
    fn a_typed_counterexample_reads_as_the_problem_older_streams_hold() {
        let mut typed = property_failure();
        typed.failure_level = Some(Level::Should);
        typed.reproduce = Some("messenger-conformance run --seed 7".into());
        let mut old = typed.clone();
        typed.counterexample = Some(crate::event::ShrunkCase {
            case_id: "PROP-JWT-SINGLE-FAULT-7".into(),
            path: Some("r/x.yaml".into()),
            written: "written to r/x.yaml".into(),
        });
        old.problems.push(
            crate::judge::Problem::new(
                typed.severity.unwrap(),
                "counterexample",
                "no counterexample",
                "shrunk to case PROP-JWT-SINGLE-FAULT-7 (written to r/x.yaml)",
                "reproduce with `messenger-conformance run --seed 7`, or run the counterexample case",
            )
            .at_level(Level::Should),
        );
        let text = render_failure(&typed);
        assert!(text.contains("  counterexample: expected no counterexample, got shrunk to case PROP-JWT-SINGLE-FAULT-7 (written to r/x.yaml)\n    why it matters (major, should rule): reproduce with `"), "{text}");
        assert_eq!(text, render_failure(&old));
        assert_eq!(typed.first_problem_line(), old.first_problem_line());
        assert_eq!(
            counterexample_words(&typed),
            Some((old.problems[1].actual.clone(), old.problems[1].why.clone()))
        );
        assert_eq!(counterexample_words(&old), None);
    }

    #[test]
    fn a_property_failure_shows_only_the_rules_its_problems_name() {
        let mut event = property_failure();
        // A crash names no rule: none of the property's requirements is shown.
        let text = render_failure(&event);
        assert!(!text.contains("breaks"), "{text}");
        event.problems[0].requirement = Some("JWT-ALG".into());
        let text = render_failure(&event);
        assert_eq!(text.matches("  breaks ").count(), 1, "{text}");
        assert!(text.contains("breaks JWT-ALG"), "{text}");
        // A case without named rules still shows its tags.
        let case = fixtures::case("JWT-ALG-001", "jwt", OutcomeClass::WrongVerdict);
        assert!(render_failure(&case).contains("breaks JWT-ALG"));
    }

    #[test]
    fn stderr_shows_its_last_lines() {
        let mut event = property_failure();
        let mut stderr: String = (1..=200).map(|i| format!("noise line {i}\n")).collect();
        stderr.push_str("Traceback (most recent call last):\n  File \"adapter.py\", line 9\nKeyError: 'user_id'\n");
        event.stderr = stderr;
        let text = render_failure(&event);
        assert!(text.contains("    | KeyError: 'user_id'"), "{text}");
        assert!(text.contains("earlier bytes left out"), "{text}");
        assert!(!text.contains("noise line 1\n"), "{text}");
        assert!(!text.contains("noise line 100\n"), "{text}");
    }

    #[test]
    fn the_note_of_a_case_appears_under_its_failure() {
        let mut event = fixtures::case("KEY-HDR-017", "keys", OutcomeClass::WrongErrorCode);
        event.note = Some("A verifier may reject the header.\nSecond line.".into());
        let text = render_failure(&event);
        assert!(
            text.contains("  note: A verifier may reject the header.\n    Second line.\n"),
            "{text}"
        );
        event.note = None;
        assert!(!render_failure(&event).contains("note:"));
    }

    #[test]
    fn next_gives_the_command_that_reproduces_it_when_known() {
        let mut event = property_failure();
        assert!(render_failure(&event)
            .contains("`messenger-conformance run --filter jwt-single-fault`"));
        event.reproduce =
            Some("messenger-conformance run --only properties --seed 7 -- python3 a.py".into());
        let text = render_failure(&event);
        assert!(
            text.contains("  next: reproduce it with `messenger-conformance run --only properties --seed 7 -- python3 a.py`"),
            "{text}"
        );
    }
}
