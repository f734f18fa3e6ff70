//! The terminal renderer: a libtest-like line per case, failure details (critical first), a
//! summary by area and severity, and the closing `N passed, N failed` line.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::event::CaseEvent;
use crate::judge::{OutcomeClass, Severity};
use crate::spec::{self, Level};
use crate::visible::{visible, visible_lines};

/// `ok`, `FAILED` or `skipped`, libtest style.
pub fn progress_line(event: &CaseEvent) -> String {
    let status = match event.outcome {
        OutcomeClass::Pass => "ok".to_string(),
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
    if event.gate_level() != event.level {
        let _ = writeln!(
            out,
            "  judged at {}: every problem breaks a {} rule, though the case is {}",
            event.gate_level(),
            event.gate_level(),
            event.level
        );
    }
    // The requirements the answer breaks, where the judge could tell; else the case's tags.
    let mut broken: Vec<&String> = Vec::new();
    for id in event.problems.iter().filter_map(|p| p.requirement.as_ref()) {
        if !broken.contains(&id) {
            broken.push(id);
        }
    }
    if broken.is_empty() {
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
    if let Some(message) = &event.message {
        let quoted = visible(&message.replace('\\', "\\\\").replace('"', "\\\""));
        let _ = writeln!(out, "  the implementation said: \"{quoted}\"");
    }
    if !event.stderr.trim().is_empty() {
        // Its own lines, each made visible and quoted under the heading.
        let tail = visible_lines(&crate::adapter::truncate(event.stderr.trim(), 400));
        let _ = writeln!(out, "  stderr:");
        for line in tail.lines() {
            let _ = writeln!(out, "    | {line}");
        }
    }
    let _ = writeln!(
        out,
        "  next: rerun it alone with `messenger-conformance run --filter {}` and read its transcript in the report's events.jsonl",
        visible(&event.id)
    );
    out
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
}

impl Totals {
    pub fn of<'a>(events: impl IntoIterator<Item = &'a CaseEvent>) -> Totals {
        let mut totals = Totals::default();
        for event in events {
            match event.outcome {
                OutcomeClass::Pass => totals.passed += 1,
                OutcomeClass::Skipped => totals.skipped += 1,
                _ => totals.failed += 1,
            }
        }
        totals
    }

    /// The closing line: `N passed, N failed` and `, N skipped` when any were.
    pub fn closing_line(&self) -> String {
        let mut line = format!("{} passed, {} failed", self.passed, self.failed);
        if self.skipped > 0 {
            let _ = write!(line, ", {} skipped", self.skipped);
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
    let _ = writeln!(out, "finished in {elapsed_secs:.3}s");
    let _ = writeln!(out, "{}", Totals::of(events).closing_line());
    out
}
