//! The gate: does this run pass CI? One decision, used by the CLI's exit code and written to
//! `summary.json`, so the two can never disagree.
//!
//! A failure *counts* when it is judged at `must` level, or at `should` level under `--strict`,
//! or when it is an adapter error or a timeout (whatever the level). A failure is judged at its
//! case's level, unless every problem breaks a rule of a lower level: a signer's `typ` is a
//! `should` rule checked inside `must` cases, so a token whose only fault is `typ: "JOSE"` fails
//! those cases at `should` ([`CaseEvent::gate_level`]). A `may` case lists every
//! conforming answer, so choosing any of them is a pass; an answer that matches none of them (say,
//! accepting a token every listed answer refuses) is a nonconformance and counts like `must`.
//! A skip counts when `hello` did not declare it: a request answered `unsupported` though `hello`
//! declared no lack it needs (a role not offered, `clock: system` for a case that needs an exact
//! instant, and a capability in `lacks` are the declared skips). It fails the run at the levels
//! where a failure would (`must` and `may`; `should` under `--strict`), with its reason, and no
//! baseline excuses it: the remedy is to declare the lack in `hello` or to answer. Declared skips
//! fail the run only under `--fail-on-skipped-must`.
//! Without a baseline every failure that counts fails the run. With one, the run fails on:
//! - **new failures**: failures that count and that no baseline entry describes exactly
//!   (same class, error code and severity; a critical one only with a reason);
//! - **stale entries**: entries whose case now passes or is skipped, or (in a run of the whole
//!   suite) names a case the run does not have, or that now fails another way that does not
//!   count;
//! - **expired entries**: entries whose `expires` date is before today;
//! - **unjustified entries**: entries for a critical failure whose `reason` is empty (loading a
//!   baseline refuses them already; `--update-baseline` writes them, and the run says so).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::clock::Date;
use crate::event::CaseEvent;
use crate::exit::Exit;
use crate::judge::{OutcomeClass, Severity, SkipCause};
use crate::report::baseline::{describe, Baseline};
use crate::spec::Level;

/// What the gate is given besides the events and the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateOptions {
    /// `--strict`: should-level failures count too.
    pub strict: bool,
    /// The date expiry is checked against.
    pub today: Date,
    /// Whether the run covered the whole suite, so a baseline entry for a case it lacks is
    /// stale (false after `--filter`, `--skip`, `--role` or `--partition`).
    pub complete: bool,
    /// `--fail-on-skipped-must`: a `must` case or property that was skipped fails the run.
    pub fail_on_skipped_must: bool,
    /// Whether the run ran to its end (its stream has a footer). A run cut short never passes:
    /// what did not run was not tested.
    pub finished: bool,
}

impl GateOptions {
    pub fn new(strict: bool, complete: bool) -> GateOptions {
        GateOptions {
            strict,
            today: Date::today(),
            complete,
            fail_on_skipped_must: false,
            finished: true,
        }
    }
}

/// Why a `must` requirement went untested in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotCovered {
    /// The implementation answered `unsupported`, and `hello` declared no lack the request needs.
    Unsupported,
    /// The requests need what `hello` declares the implementation lacks.
    Lacks,
    /// The implementation does not declare the role in `hello`.
    Role,
    /// The cases need the injected instant and the implementation reads its own clock.
    Clock,
    /// Any other skip.
    Other,
}

impl NotCovered {
    /// Why, from a skipped case.
    fn of(event: &CaseEvent) -> NotCovered {
        match event.skip_cause() {
            Some(SkipCause::Undeclared) => NotCovered::Unsupported,
            Some(SkipCause::Lacks) => NotCovered::Lacks,
            Some(SkipCause::Role) => NotCovered::Role,
            Some(SkipCause::Clock) => NotCovered::Clock,
            None => NotCovered::Other,
        }
    }

    /// In words, for every report.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            NotCovered::Unsupported => {
                "the implementation answered `unsupported`, though hello declared no lack they need"
            }
            NotCovered::Lacks => "the implementation declares it lacks what they need",
            NotCovered::Role => "the implementation does not declare the role",
            NotCovered::Clock => {
                "they need an exact instant and the implementation reads its own clock"
            }
            NotCovered::Other => "skipped for another reason",
        }
    }
}

/// One sentence about what a run did not test, and whether it fails the gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CoverageNote {
    pub fails_gate: bool,
    pub text: String,
}

/// `must` requirements that no executed case or property exercised, by why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uncovered {
    pub reason: NotCovered,
    /// Requirement ids, in registry order.
    pub requirements: Vec<String>,
}

/// One failed case, as the gate sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub id: String,
    pub area: String,
    pub title: String,
    /// The level the failure is judged at ([`CaseEvent::gate_level`]).
    pub level: Level,
    pub outcome: OutcomeClass,
    pub severity: Option<Severity>,
    pub error: Option<String>,
    /// Why it is new, e.g. `listed in the baseline as wrong_error_code (jwt_malformed), minor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Finding {
    fn of(event: &CaseEvent, note: Option<String>) -> Finding {
        Finding {
            id: event.id.clone(),
            area: event.area.clone(),
            title: event.title.clone(),
            level: event.gate_level(),
            outcome: event.outcome,
            severity: event.severity,
            error: event.error_code(),
            note,
        }
    }

    /// `class (code), severity`.
    pub(crate) fn reason(&self) -> String {
        describe(self.outcome, self.error.as_deref(), self.severity)
    }
}

/// A baseline entry that no longer describes the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaleEntry {
    pub id: String,
    /// `now passes`, `now skipped: ...`, `not in this run`, `now fails as ...`.
    pub why: String,
    /// `file:line` of the entry.
    pub location: String,
}

/// A baseline entry past its `expires` date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpiredEntry {
    pub id: String,
    pub expires: String,
    pub location: String,
}

/// The gate's decision and everything it was made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateDecision {
    /// Whether the run passes (exit 0).
    pub passed: bool,
    pub strict: bool,
    /// The baseline file, when one was used.
    pub baseline: Option<String>,
    /// Failures that count and that the baseline does not excuse: each fails the run.
    pub new_failures: Vec<Finding>,
    /// Failures the baseline describes exactly.
    pub known_failures: Vec<Finding>,
    /// Failures that do not count (should without `--strict`) and are not in the baseline.
    pub ignored_failures: Vec<Finding>,
    pub stale: Vec<StaleEntry>,
    pub expired: Vec<ExpiredEntry>,
    /// Entries for critical failures that say no reason: a critical failure (an
    /// authentication bypass) is never accepted silently.
    #[serde(default)]
    pub unjustified: Vec<StaleEntry>,
    /// How many cases and properties were executed (not skipped). Zero fails the run: a run
    /// that tested nothing is no evidence of conformance.
    #[serde(default)]
    pub executed: usize,
    /// `must` requirements no executed case exercised, grouped by why.
    #[serde(default)]
    pub uncovered: Vec<Uncovered>,
    /// Cases and properties skipped for a reason `hello` did not declare (answered
    /// `unsupported`, yet `hello` declared no lack the request needs), at a level that gates:
    /// `must` and `may` always, `should` under `--strict`. Each fails the run, and no baseline
    /// excuses one: the remedy is to declare the lack in `hello`, or to answer.
    #[serde(default)]
    pub undeclared_skips: Vec<Finding>,
    /// `must` cases and properties skipped for a reason `hello` declared (role, clock, a declared
    /// lack), when `--fail-on-skipped-must` makes them fail the run.
    #[serde(default)]
    pub skipped_must: Vec<Finding>,
    /// The run did not run to its end (interrupted, crashed): it fails.
    #[serde(default)]
    pub cut_short: bool,
}

/// Whether a failure of this case counts towards the gate (see the module docs).
pub(crate) fn counts(event: &CaseEvent, strict: bool) -> bool {
    event.failed()
        && (matches!(
            event.outcome,
            OutcomeClass::AdapterError | OutcomeClass::Timeout
        ) || gates(event.gate_level(), strict))
}

/// Whether a result at `level` that is not a pass gates: `must`, and `may` (none of the listed
/// answers), always; `should` under `--strict`.
fn gates(level: Level, strict: bool) -> bool {
    match level {
        Level::Must | Level::May => true,
        Level::Should => strict,
    }
}

/// Decide whether `cases` pass the gate, given an optional baseline.
pub fn decide(
    cases: &[CaseEvent],
    baseline: Option<&Baseline>,
    options: &GateOptions,
) -> GateDecision {
    let mut decision = GateDecision {
        passed: true,
        strict: options.strict,
        baseline: baseline
            .and_then(|b| b.path.as_ref())
            .map(|p| p.display().to_string()),
        new_failures: vec![],
        known_failures: vec![],
        ignored_failures: vec![],
        stale: vec![],
        expired: vec![],
        unjustified: vec![],
        executed: cases
            .iter()
            .filter(|c| c.outcome != OutcomeClass::Skipped)
            .count(),
        uncovered: uncovered(cases),
        undeclared_skips: cases
            .iter()
            .filter(|c| c.undeclared_skip() && gates(c.level, options.strict))
            .map(|c| Finding::of(c, c.skip_reason.clone()))
            .collect(),
        skipped_must: vec![],
        cut_short: !options.finished,
    };
    if options.fail_on_skipped_must {
        decision.skipped_must = cases
            .iter()
            .filter(|c| {
                c.outcome == OutcomeClass::Skipped && c.level == Level::Must && !c.undeclared_skip()
            })
            .map(|c| Finding::of(c, c.skip_reason.clone()))
            .collect();
    }
    for event in cases.iter().filter(|e| e.failed()) {
        let entry = baseline.and_then(|b| b.find(&event.id));
        if entry.is_some_and(|entry| entry.describes(event)) {
            decision.known_failures.push(Finding::of(event, None));
            continue;
        }
        if !counts(event, options.strict) {
            decision.ignored_failures.push(Finding::of(event, None));
            continue;
        }
        let note = match entry {
            Some(entry) => format!(
                "listed in the baseline as {}, but now fails as {}",
                entry.describe(),
                describe(event.outcome, event.error_code().as_deref(), event.severity)
            ),
            None if baseline.is_some() => "not in the baseline".to_string(),
            None => String::new(),
        };
        let note = Some(note).filter(|n| !n.is_empty());
        decision.new_failures.push(Finding::of(event, note));
    }
    if let Some(baseline) = baseline {
        for (index, entry) in baseline.entries.iter().enumerate() {
            let location = baseline.location(index);
            let case = cases.iter().find(|c| c.id == entry.id);
            let why = match case {
                None if options.complete => {
                    Some("not in this run: the case is gone or was renamed".to_string())
                }
                None => None,
                Some(case) if case.outcome == OutcomeClass::Pass => Some("now passes".to_string()),
                Some(case) if case.outcome == OutcomeClass::Skipped => Some(format!(
                    "now skipped: {}",
                    case.skip_reason.as_deref().unwrap_or("no reason given")
                )),
                Some(case) if !entry.describes(case) && !counts(case, options.strict) => {
                    Some(format!(
                        "now fails as {}, not as listed ({})",
                        describe(case.outcome, case.error_code().as_deref(), case.severity),
                        entry.describe()
                    ))
                }
                Some(_) => None,
            };
            if let Some(why) = why {
                decision.stale.push(StaleEntry {
                    id: entry.id.clone(),
                    why,
                    location: location.clone(),
                });
            }
            let critical = entry.severity == Some(Severity::Critical)
                || case
                    .is_some_and(|c| entry.describes(c) && c.severity == Some(Severity::Critical));
            if critical && !entry.is_justified() {
                decision.unjustified.push(StaleEntry {
                    id: entry.id.clone(),
                    why: "a critical failure (an authentication bypass) listed without a reason"
                        .to_string(),
                    location: location.clone(),
                });
            }
            if let Some(expires) = entry.expiry().filter(|date| *date < options.today) {
                decision.expired.push(ExpiredEntry {
                    id: entry.id.clone(),
                    expires: expires.to_string(),
                    location,
                });
            }
        }
    }
    // Critical first, then major, then minor; case order within (the sort is stable).
    decision
        .new_failures
        .sort_by_key(|f| f.severity.unwrap_or(Severity::Minor));
    decision.passed = !decision.cut_short
        && decision.executed > 0
        && decision.skipped_must.is_empty()
        && decision.undeclared_skips.is_empty()
        && decision.new_failures.is_empty()
        && decision.stale.is_empty()
        && decision.expired.is_empty()
        && decision.unjustified.is_empty();
    decision
}

/// The `must` requirements that skipped cases were to exercise and no executed case did.
fn uncovered(cases: &[CaseEvent]) -> Vec<Uncovered> {
    use std::collections::{BTreeMap, BTreeSet};
    let exercised: BTreeSet<&str> = cases
        .iter()
        .filter(|c| c.outcome != OutcomeClass::Skipped)
        .flat_map(|c| c.requirements.iter().map(String::as_str))
        .collect();
    let mut by_reason: BTreeMap<NotCovered, BTreeSet<&str>> = BTreeMap::new();
    for case in cases.iter().filter(|c| c.outcome == OutcomeClass::Skipped) {
        let reason = NotCovered::of(case);
        for requirement in &case.requirements {
            let must = crate::spec::find(requirement).is_some_and(|r| r.level == Level::Must);
            if must && !exercised.contains(requirement.as_str()) {
                by_reason.entry(reason).or_default().insert(requirement);
            }
        }
    }
    // A requirement is listed once, under the first reason found for it.
    let mut listed = BTreeSet::new();
    let order: Vec<&str> = crate::spec::requirements()
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    by_reason
        .into_iter()
        .filter_map(|(reason, ids)| {
            let requirements: Vec<String> = order
                .iter()
                .filter(|id| ids.contains(*id) && listed.insert(**id))
                .map(|id| id.to_string())
                .collect();
            (!requirements.is_empty()).then_some(Uncovered {
                reason,
                requirements,
            })
        })
        .collect()
}

impl GateDecision {
    /// The sentences that say what the run did not test: nothing at all, the `must`
    /// requirements no executed case exercised (by why), and the skipped `must` cases that
    /// `--fail-on-skipped-must` counts. Every report shows them.
    pub(crate) fn coverage(&self) -> Vec<CoverageNote> {
        let mut notes = Vec::new();
        if self.cut_short {
            notes.push(CoverageNote {
                fails_gate: true,
                text: "the run did not complete (its event stream has no footer): the cases that did not run were not tested; run it again to the end".to_string(),
            });
        }
        if self.executed == 0 {
            notes.push(CoverageNote {
                fails_gate: true,
                text: "nothing was tested: every case and property was skipped or unsupported, so this run is no evidence of conformance".to_string(),
            });
        }
        for group in &self.uncovered {
            notes.push(CoverageNote {
                fails_gate: false,
                text: format!(
                    "{} must requirement(s) not tested because {}: {}",
                    group.requirements.len(),
                    group.reason.describe(),
                    group.requirements.join(", ")
                ),
            });
        }
        if !self.undeclared_skips.is_empty() {
            notes.push(CoverageNote {
                fails_gate: true,
                text: format!(
                    "{} skipped for a reason hello did not declare (answered `unsupported`, though hello declared no lack the request needs), which fails the gate: {}",
                    plural(self.undeclared_skips.len(), "case"),
                    names(&self.undeclared_skips)
                ),
            });
        }
        if !self.skipped_must.is_empty() {
            notes.push(CoverageNote {
                fails_gate: true,
                text: format!(
                    "{} must case(s) skipped, which --fail-on-skipped-must counts as failures: {}",
                    self.skipped_must.len(),
                    self.skipped_must
                        .iter()
                        .map(|f| format!("{}::{}", f.area, f.id))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        notes
    }

    /// [`GateDecision::coverage`] as sentences.
    pub(crate) fn coverage_lines(&self) -> Vec<String> {
        self.coverage().into_iter().map(|note| note.text).collect()
    }

    /// [`Exit::Passed`] when the run passes, [`Exit::Failed`] otherwise.
    pub fn exit(&self) -> Exit {
        if self.passed {
            Exit::Passed
        } else {
            Exit::Failed
        }
    }

    /// The one-line verdict: `gate: passed ...` or `gate: FAILED: ...`.
    pub fn headline(&self) -> String {
        let mut parts = Vec::new();
        if !self.new_failures.is_empty() {
            let critical = self
                .new_failures
                .iter()
                .filter(|f| f.severity == Some(Severity::Critical))
                .count();
            let noun = if self.baseline.is_some() {
                "new failure"
            } else {
                "failure"
            };
            let mut part = plural(self.new_failures.len(), noun);
            if critical > 0 {
                let _ = write!(part, " ({critical} critical)");
            }
            parts.push(part);
        }
        if !self.stale.is_empty() {
            parts.push(plural(self.stale.len(), "stale baseline entry"));
        }
        if !self.expired.is_empty() {
            parts.push(plural(self.expired.len(), "expired baseline entry"));
        }
        if !self.unjustified.is_empty() {
            parts.push(format!(
                "{} without a reason",
                plural(self.unjustified.len(), "critical baseline entry")
            ));
        }
        if self.executed == 0 {
            parts.insert(0, "nothing was tested".to_string());
        }
        if self.cut_short {
            parts.insert(0, "the run did not complete".to_string());
        }
        if !self.undeclared_skips.is_empty() {
            parts.push(format!(
                "{} skipped for a reason hello did not declare",
                plural(self.undeclared_skips.len(), "case")
            ));
        }
        if !self.skipped_must.is_empty() {
            parts.push(plural(self.skipped_must.len(), "skipped must case"));
        }
        let strict = if self.strict { " (strict)" } else { "" };
        if self.passed {
            let mut line = format!("gate{strict}: passed");
            if !self.known_failures.is_empty() {
                let _ = write!(
                    line,
                    " ({} listed in the baseline)",
                    plural(self.known_failures.len(), "known failure")
                );
            }
            line
        } else {
            format!("gate{strict}: FAILED: {}", parts.join(", "))
        }
    }

    /// The headline and one line per finding, critical first, each saying what to do.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}", self.headline());
        for line in self.coverage_lines() {
            let _ = writeln!(out, "  {line}");
        }
        for finding in &self.new_failures {
            let _ = write!(
                out,
                "  new failure: {}::{} [{}] {}",
                finding.area,
                finding.id,
                finding.level,
                finding.reason()
            );
            if let Some(note) = &finding.note {
                let _ = write!(out, ": {note}");
            }
            out.push('\n');
        }
        for finding in self.undeclared_skips.iter().take(SHOWN) {
            let _ = writeln!(
                out,
                "  skipped, not declared: {}::{} [{}] {}",
                finding.area,
                finding.id,
                finding.level,
                finding.note.as_deref().unwrap_or("no reason given")
            );
        }
        if self.undeclared_skips.len() > SHOWN {
            let _ = writeln!(
                out,
                "  ... and {} more skipped, not declared (each with its reason in the report)",
                self.undeclared_skips.len() - SHOWN
            );
        }
        for entry in &self.stale {
            let _ = writeln!(
                out,
                "  stale baseline entry: {} ({}) {}: remove it, or rerun with --update-baseline",
                entry.id, entry.location, entry.why
            );
        }
        for entry in &self.expired {
            let _ = writeln!(
                out,
                "  expired baseline entry: {} ({}) expired {}: fix the failure, or renew `expires` with a reason",
                entry.id, entry.location, entry.expires
            );
        }
        for entry in &self.unjustified {
            let _ = writeln!(
                out,
                "  critical baseline entry without a reason: {} ({}): write in `reason` why it is accepted for now, or fix it",
                entry.id, entry.location
            );
        }
        out
    }
}

/// How many undeclared skips the gate's text names one by one.
const SHOWN: usize = 20;

/// `area::id, ...` of the first [`SHOWN`] findings, and how many more.
fn names(findings: &[Finding]) -> String {
    let mut text = findings
        .iter()
        .take(SHOWN)
        .map(|f| format!("{}::{}", f.area, f.id))
        .collect::<Vec<_>>()
        .join(", ");
    if findings.len() > SHOWN {
        let _ = write!(text, " and {} more", findings.len() - SHOWN);
    }
    text
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else if let Some(stem) = noun.strip_suffix("entry") {
        format!("{count} {stem}entries")
    } else {
        format!("{count} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::baseline::Entry;
    use crate::report::fixtures::{case, undeclared};

    fn options() -> GateOptions {
        GateOptions {
            strict: false,
            today: Date::parse("2026-01-15").unwrap(),
            complete: true,
            fail_on_skipped_must: false,
            finished: true,
        }
    }

    fn baseline(entries: Vec<Entry>) -> Baseline {
        let lines = (1..=entries.len() as u64).map(|i| i * 10).collect();
        Baseline {
            path: Some("b.yaml".into()),
            entries,
            lines,
            suite: None,
        }
    }

    #[test]
    fn without_a_baseline_must_failures_gate() {
        let mut should = case("S-1", "jwt", OutcomeClass::WrongDetail);
        should.level = Level::Should;
        let mut may = case("M-1", "jwt", OutcomeClass::WrongDetail);
        may.level = Level::May;
        let mut may_timeout = case("M-2", "jwt", OutcomeClass::Timeout);
        may_timeout.level = Level::May;
        let passing = vec![case("P-1", "jwt", OutcomeClass::Pass), should.clone()];
        let decision = decide(&passing, None, &options());
        assert!(decision.passed, "{decision:?}");
        assert_eq!(decision.ignored_failures.len(), 1);
        assert!(
            !decide(&[may.clone()], None, &options()).passed,
            "a may case answered with none of its conforming verdicts gates"
        );
        assert!(
            !decide(
                &passing,
                None,
                &GateOptions {
                    strict: true,
                    ..options()
                }
            )
            .passed
        );
        assert!(
            !decide(&[may_timeout], None, &options()).passed,
            "an adapter error gates at any level"
        );
        let failing = decide(
            &[case("F-1", "jwt", OutcomeClass::WrongVerdict)],
            None,
            &options(),
        );
        assert!(!failing.passed);
        assert_eq!(failing.exit(), Exit::Failed);
        assert_eq!(failing.headline(), "gate: FAILED: 1 failure (1 critical)");
    }

    #[test]
    fn a_baseline_excuses_exactly_what_it_lists() {
        let cases = vec![
            case("A-1", "jwt", OutcomeClass::WrongErrorCode),
            case("A-2", "jwt", OutcomeClass::WrongDetail),
        ];
        let listed = baseline(vec![
            Entry::for_failure(&cases[0]),
            Entry::for_failure(&cases[1]),
        ]);
        let decision = decide(&cases, Some(&listed), &options());
        assert!(decision.passed, "{}", decision.render_text());
        assert_eq!(decision.known_failures.len(), 2);
        assert_eq!(
            decision.headline(),
            "gate: passed (2 known failures listed in the baseline)"
        );

        let mut changed = cases.clone();
        changed[0].actual = serde_json::json!({"outcome": "rejected", "error": "jwt_expired"});
        let decision = decide(&changed, Some(&listed), &options());
        assert!(!decision.passed);
        assert_eq!(decision.new_failures.len(), 1);
        let note = decision.new_failures[0].note.as_deref().unwrap();
        assert!(note.contains("listed in the baseline as wrong_error_code (jwt_malformed), minor, but now fails as wrong_error_code (jwt_expired), minor"), "{note}");
        assert!(
            decision.stale.is_empty(),
            "a gating failure that changed is a new failure, not a stale entry"
        );
    }

    #[test]
    fn entries_for_passing_skipped_or_missing_cases_are_stale() {
        let entries = vec![
            Entry::for_failure(&case("A-1", "jwt", OutcomeClass::WrongErrorCode)),
            Entry::for_failure(&case("A-2", "jwt", OutcomeClass::WrongErrorCode)),
            Entry::for_failure(&case("A-3", "jwt", OutcomeClass::WrongErrorCode)),
        ];
        let cases = vec![
            case("A-1", "jwt", OutcomeClass::Pass),
            case("A-2", "jwt", OutcomeClass::Skipped),
        ];
        let decision = decide(&cases, Some(&baseline(entries.clone())), &options());
        assert!(!decision.passed);
        let whys: Vec<(&str, &str)> = decision
            .stale
            .iter()
            .map(|s| (s.id.as_str(), s.why.as_str()))
            .collect();
        assert_eq!(whys[0], ("A-1", "now passes"));
        assert!(
            whys[1]
                .1
                .starts_with("now skipped: the implementation does not offer"),
            "{whys:?}"
        );
        assert_eq!(
            whys[2],
            ("A-3", "not in this run: the case is gone or was renamed")
        );
        assert_eq!(decision.stale[2].location, "b.yaml:30");
        assert_eq!(
            decision.headline(),
            "gate: FAILED: 3 stale baseline entries"
        );
        // In a partial run, a case that was not selected says nothing about its entry.
        let partial = decide(
            &cases,
            Some(&baseline(entries)),
            &GateOptions {
                complete: false,
                ..options()
            },
        );
        assert_eq!(partial.stale.len(), 2);
    }

    #[test]
    fn expired_entries_fail_the_run_by_name() {
        let failing = case("A-1", "jwt", OutcomeClass::WrongErrorCode);
        let mut entry = Entry::for_failure(&failing);
        entry.expires = Some("2026-01-14".into());
        let decision = decide(
            std::slice::from_ref(&failing),
            Some(&baseline(vec![entry.clone()])),
            &options(),
        );
        assert!(!decision.passed);
        assert_eq!(decision.expired[0].id, "A-1");
        assert!(
            decision
                .render_text()
                .contains("expired baseline entry: A-1 (b.yaml:10) expired 2026-01-14"),
            "{}",
            decision.render_text()
        );
        entry.expires = Some("2026-01-15".into());
        assert!(
            decide(&[failing], Some(&baseline(vec![entry])), &options()).passed,
            "an entry is valid through its expiry day"
        );
    }

    #[test]
    fn a_critical_failure_needs_a_justified_entry() {
        let critical = case("C-1", "jwt", OutcomeClass::WrongVerdict);
        // Even an entry that does not say it is critical, and a failure that does not count.
        let bare = Entry {
            severity: None,
            ..Entry::for_failure(&critical)
        };
        let mut should = critical.clone();
        should.level = Level::Should;
        for case in [&critical, &should] {
            let decision = decide(
                std::slice::from_ref(case),
                Some(&baseline(vec![bare.clone()])),
                &options(),
            );
            assert!(!decision.passed);
            assert!(decision.new_failures.is_empty() && decision.known_failures.len() == 1);
            assert_eq!(decision.unjustified[0].location, "b.yaml:10");
            assert_eq!(
                decision.headline(),
                "gate: FAILED: 1 critical baseline entry without a reason"
            );
            assert!(decision
                .render_text()
                .contains("critical baseline entry without a reason: C-1 (b.yaml:10)"));
        }
        let justified = Entry {
            reason: "vendor fix due in March".into(),
            ..bare
        };
        assert!(decide(&[critical], Some(&baseline(vec![justified])), &options()).passed);
    }

    #[test]
    fn a_non_counting_failure_that_changed_makes_its_entry_stale() {
        let mut should = case("S-1", "jwt", OutcomeClass::WrongErrorCode);
        should.level = Level::Should;
        let entry = Entry {
            outcome: OutcomeClass::WrongDetail,
            ..Entry::for_failure(&should)
        };
        let decision = decide(&[should], Some(&baseline(vec![entry])), &options());
        assert!(!decision.passed);
        assert!(
            decision.stale[0]
                .why
                .starts_with("now fails as wrong_error_code"),
            "{:?}",
            decision.stale
        );
    }

    #[test]
    fn a_run_that_tested_nothing_fails_and_says_what_was_not_covered() {
        let unsupported = undeclared("A-1", "jwt");
        let mut role = case("S-1", "signer", OutcomeClass::Skipped);
        role.requirements = vec!["SIGN-HASH".into()];
        role.skip_reason = Some("the implementation does not offer the signer role".into());
        let decision = decide(&[unsupported.clone(), role.clone()], None, &options());
        assert!(!decision.passed);
        assert_eq!(decision.executed, 0);
        assert!(decision
            .headline()
            .starts_with("gate: FAILED: nothing was tested"));
        assert_eq!(
            decision.uncovered,
            [
                Uncovered {
                    reason: NotCovered::Unsupported,
                    requirements: vec!["JWT-ALG".into()]
                },
                Uncovered {
                    reason: NotCovered::Role,
                    requirements: vec!["SIGN-HASH".into()]
                }
            ]
        );
        // One executed case is enough to pass; the skipped must case fails only when asked.
        let ran = case("A-2", "jwt", OutcomeClass::Pass);
        let cases = [ran, role];
        assert!(decide(&cases, None, &options()).passed);
        let strict = GateOptions {
            fail_on_skipped_must: true,
            ..options()
        };
        let decision = decide(&cases, None, &strict);
        assert!(!decision.passed);
        assert_eq!(decision.skipped_must.len(), 1);
    }

    #[test]
    fn a_must_case_failing_only_a_should_rule_gates_only_under_strict() {
        let mut typ = case("SIGN-JWT-001", "signer", OutcomeClass::WrongDetail);
        typ.failure_level = Some(Level::Should);
        assert_eq!((typ.level, typ.gate_level()), (Level::Must, Level::Should));
        let decision = decide(std::slice::from_ref(&typ), None, &options());
        assert!(decision.passed, "{}", decision.render_text());
        assert_eq!(decision.ignored_failures[0].level, Level::Should);
        let strict = decide(
            std::slice::from_ref(&typ),
            None,
            &GateOptions {
                strict: true,
                ..options()
            },
        );
        assert!(!strict.passed);
        assert!(
            strict
                .render_text()
                .contains("new failure: signer::SIGN-JWT-001 [should]"),
            "{}",
            strict.render_text()
        );
        // A should-level problem never lowers a case that passes, and never raises one.
        let mut passing = case("P-1", "signer", OutcomeClass::Pass);
        passing.failure_level = Some(Level::Should);
        assert_eq!(passing.gate_level(), Level::Must);
        let mut may = case("M-1", "jwt", OutcomeClass::Pass);
        may.level = Level::May;
        assert_eq!(may.gate_level(), Level::May);
        // An answer the `may` case does not list fails at the level of the rule it breaks:
        // `must`, unless its problems name `should`.
        may.outcome = OutcomeClass::WrongDetail;
        assert_eq!(may.gate_level(), Level::Must);
        may.failure_level = Some(Level::Should);
        assert_eq!(may.gate_level(), Level::Should);
        may.failure_level = Some(Level::Must);
        assert_eq!(may.gate_level(), Level::Must);
        assert_eq!(may.level_label(), "must (may case)");
    }

    #[test]
    fn a_skip_hello_did_not_declare_fails_the_gate_with_its_reason() {
        let ran = case("P-1", "jwt", OutcomeClass::Pass);
        let role = case("S-1", "signer", OutcomeClass::Skipped);
        let mut lacks = case("S-2", "signer", OutcomeClass::Skipped);
        lacks.skip = Some(SkipCause::Lacks);
        lacks.skip_reason = Some(
            "needs JWT signing, which the implementation declares it lacks (hello: lacks sign_jwt)"
                .into(),
        );
        // Declared skips (a role not offered, a declared lack) pass by default.
        let declared = [ran.clone(), role.clone(), lacks.clone()];
        let decision = decide(&declared, None, &options());
        assert!(decision.passed, "{}", decision.render_text());
        assert!(decision.undeclared_skips.is_empty());

        let dodged = undeclared("A-1", "jwt");
        let cases = [ran.clone(), role, lacks, dodged.clone()];
        let decision = decide(&cases, None, &options());
        assert!(!decision.passed);
        assert_eq!(decision.exit(), Exit::Failed);
        assert_eq!(decision.undeclared_skips.len(), 1);
        assert!(decision.new_failures.is_empty(), "a skip, not a failure");
        assert_eq!(
            decision.headline(),
            "gate: FAILED: 1 case skipped for a reason hello did not declare"
        );
        let text = decision.render_text();
        assert!(
            text.contains("skipped, not declared: jwt::A-1 [must] answered `unsupported` (\"later\"), but hello declared no lack of what this request needs"),
            "{text}"
        );
        assert!(decision
            .coverage()
            .iter()
            .any(|note| note.fails_gate && note.text.contains("jwt::A-1")));

        // A baseline does not excuse it: there is no failure to list, and an entry for the case
        // is stale.
        let entry = Entry::for_failure(&case("A-1", "jwt", OutcomeClass::WrongErrorCode));
        let decision = decide(&cases, Some(&baseline(vec![entry])), &options());
        assert!(!decision.passed);
        assert_eq!(decision.undeclared_skips.len(), 1);
        assert!(decision.stale[0]
            .why
            .starts_with("now skipped: answered `unsupported`"));

        // At `should` it gates under --strict only, like a should failure; at `may`, always.
        let mut should = dodged.clone();
        should.level = Level::Should;
        let strict = GateOptions {
            strict: true,
            ..options()
        };
        assert!(decide(&[ran.clone(), should.clone()], None, &options()).passed);
        assert!(!decide(&[ran.clone(), should], None, &strict).passed);
        let mut may = dodged.clone();
        may.level = Level::May;
        assert!(!decide(&[ran.clone(), may], None, &options()).passed);

        // --fail-on-skipped-must then also fails the declared ones, each listed once.
        let all = GateOptions {
            fail_on_skipped_must: true,
            ..options()
        };
        let decision = decide(&cases, None, &all);
        assert_eq!(decision.undeclared_skips.len(), 1);
        assert_eq!(
            decision
                .skipped_must
                .iter()
                .map(|f| f.id.as_str())
                .collect::<Vec<_>>(),
            ["S-1", "S-2"]
        );
    }

    #[test]
    fn a_stream_without_skip_causes_reads_role_and_clock_from_the_reason() {
        let mut old = case("S-1", "signer", OutcomeClass::Skipped);
        old.skip = None;
        assert_eq!(old.skip_cause(), Some(SkipCause::Role));
        old.skip_reason = Some(
            "needs an exact instant, and the implementation reads its own clock (clock: system)"
                .into(),
        );
        assert_eq!(old.skip_cause(), Some(SkipCause::Clock));
        old.skip_reason = Some("the implementation does not support this request: later".into());
        assert!(old.undeclared_skip());
        assert_eq!(case("P-1", "jwt", OutcomeClass::Pass).skip_cause(), None);
    }
}
