//! What the judge gives: a [`Judgement`] (its [`OutcomeClass`], the [`Problem`]s found and
//! their [`Severity`]), and the judgements every kind of answer shares. The files of the judge
//! build them; `mod.rs` dispatches an expectation to the file that judges it.

use serde::{Deserialize, Serialize};

use crate::contract::FromAdapter;
use crate::spec::Level;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Major,
    Minor,
}

impl Severity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Major => "major",
            Severity::Minor => "minor",
        }
    }
}

/// What kind of result a case had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeClass {
    Pass,
    /// Accepted where it must refuse, refused where it must accept; signed where it must refuse.
    WrongVerdict,
    /// Refused, but with another code.
    WrongErrorCode,
    /// The right decision, wrong identity, verified flag, attributes, hash or token.
    WrongDetail,
    /// No usable answer: crash, garbage, wrong id.
    AdapterError,
    /// No answer in time.
    Timeout,
    /// Not run, with a reason (role not offered, needs an exact instant, unsupported).
    Skipped,
}

impl OutcomeClass {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeClass::Pass => "pass",
            OutcomeClass::WrongVerdict => "wrong_verdict",
            OutcomeClass::WrongErrorCode => "wrong_error_code",
            OutcomeClass::WrongDetail => "wrong_detail",
            OutcomeClass::AdapterError => "adapter_error",
            OutcomeClass::Timeout => "timeout",
            OutcomeClass::Skipped => "skipped",
        }
    }

    pub fn is_failure(self) -> bool {
        !matches!(self, OutcomeClass::Pass | OutcomeClass::Skipped)
    }

    /// Whether the implementation gave an answer to judge (not an adapter error or a timeout).
    pub(crate) fn is_answered(self) -> bool {
        !matches!(self, OutcomeClass::AdapterError | OutcomeClass::Timeout)
    }
}

/// Why a case or property was skipped. `hello` declares the first three; the last is the
/// implementation's word alone, which the gate does not take for a `must` case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipCause {
    /// `hello` does not offer the role.
    Role,
    /// The case needs the injected instant, and `hello` says `clock: system`.
    Clock,
    /// A request needs a capability `hello` declares in `lacks`: it was not sent.
    Lacks,
    /// A request was answered `unsupported`, and `hello` declared no lack it needs.
    Undeclared,
}

impl SkipCause {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipCause::Role => "role",
            SkipCause::Clock => "clock",
            SkipCause::Lacks => "lacks",
            SkipCause::Undeclared => "undeclared",
        }
    }

    /// Whether `hello` declared it: a role not offered, `clock: system`, a declared lack.
    pub fn declared(self) -> bool {
        self != SkipCause::Undeclared
    }
}

/// One difference between expectation and answer, in the words a failure message uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// The part of the answer, e.g. `outcome`, `error`, `identity.user_id`, `attributes.applied.plan`.
    pub field: String,
    pub expected: String,
    pub actual: String,
    /// Why it matters.
    pub why: String,
    pub severity: Severity,
    /// The level of the rule this problem breaks, when the case checks it beside rules of its
    /// own level: a signer's `typ` is a `should` rule inside `must` signer cases. `None`: the
    /// case's level. A failure is judged at the case's level unless every problem names a lower
    /// one (`Judgement::level`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// The requirement whose rule the observed answer breaks, where it can be told (the case's
    /// tags say what the case exercises; this says what this answer got wrong).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement: Option<String>,
}

impl Problem {
    /// The one general shape: `field` should have been `expected` and was `actual`, which
    /// matters because `why`. It breaks a rule of the case's own level and names no
    /// requirement; [`Problem::at_level`] and [`Problem::breaking`] say otherwise.
    pub(crate) fn new(
        severity: Severity,
        field: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
        why: impl Into<String>,
    ) -> Problem {
        Problem {
            field: field.into(),
            expected: expected.into(),
            actual: actual.into(),
            why: why.into(),
            severity,
            level: None,
            requirement: None,
        }
    }

    /// The same problem, breaking a rule of `level` whatever the case's level.
    pub(crate) fn at_level(self, level: Level) -> Problem {
        Problem {
            level: Some(level),
            ..self
        }
    }

    /// The same problem, naming the requirement the answer breaks.
    pub(crate) fn breaking(self, requirement: impl Into<String>) -> Problem {
        Problem {
            requirement: Some(requirement.into()),
            ..self
        }
    }

    /// A request that got no usable answer; `actual` says what came instead.
    pub(crate) fn no_answer(actual: impl Into<String>) -> Problem {
        Problem::new(
            Severity::Major,
            "answer",
            "one valid protocol message answering the request",
            actual,
            "an adapter error never counts as a pass; the adapter was restarted and the run went on",
        )
    }

    /// A case or property (`what`) that was never sent, because the run stopped (`reason`).
    pub(crate) fn not_run(what: &str, reason: impl Into<String>) -> Problem {
        Problem::new(
            Severity::Major,
            "answer",
            "an answer",
            reason,
            format!("a {what} that did not run tested nothing: the run cannot pass"),
        )
    }

    /// An answer of the wrong message type: `expected` was asked for, `actual` came back.
    pub(crate) fn wrong_type(
        expected: impl Into<String>,
        actual: impl Into<String>,
        why: impl Into<String>,
    ) -> Problem {
        Problem::new(Severity::Major, "type", expected, actual, why)
    }

    /// A case file the harness cannot turn into requests (`error` says why).
    pub(crate) fn unbuildable_case(error: impl std::fmt::Display) -> Problem {
        Problem::new(
            Severity::Major,
            "case",
            "a case the harness can build",
            error.to_string(),
            "the case itself is broken: fix the case file",
        )
    }

    /// A property whose run stopped before its end (`reason`, from the property runner).
    pub(crate) fn property_aborted(reason: impl std::fmt::Display) -> Problem {
        Problem::new(
            Severity::Major,
            "property",
            "a completed property run",
            format!("aborted: {reason}"),
            "the property could not run to the end",
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Judgement {
    pub class: OutcomeClass,
    pub severity: Option<Severity>,
    pub problems: Vec<Problem>,
    /// For `may` cases: which of the conforming answers the implementation chose.
    pub chosen: Option<usize>,
    /// Why the case was skipped.
    pub skip_reason: Option<String>,
    /// Whether `hello` declared the skip, and how.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<SkipCause>,
    /// The level the failure is judged at, when every problem breaks a rule of a stated level
    /// (the strictest of them); `None`: the case's own level. The gate never judges a failure
    /// above its case's level ([`crate::event::CaseEvent::gate_level`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
}

impl Judgement {
    /// How far a failing judgement is from conforming, to pick the listed answer of a `may`
    /// case a failure is explained against: the same kind of answer first (not a wrong
    /// verdict), then the fewest differences.
    pub(crate) fn distance(&self) -> (bool, usize) {
        (
            self.class == OutcomeClass::WrongVerdict,
            self.problems.len(),
        )
    }

    pub(crate) fn pass() -> Self {
        Judgement {
            class: OutcomeClass::Pass,
            severity: None,
            problems: vec![],
            chosen: None,
            skip_reason: None,
            skip: None,
            level: None,
        }
    }

    pub(crate) fn skipped(cause: SkipCause, reason: impl Into<String>) -> Self {
        Judgement {
            class: OutcomeClass::Skipped,
            skip_reason: Some(reason.into()),
            skip: Some(cause),
            ..Judgement::pass()
        }
    }

    /// A judgement from the problems found; no problems is a pass.
    pub(crate) fn from_problems(class: OutcomeClass, problems: Vec<Problem>) -> Self {
        if problems.is_empty() {
            return Judgement::pass();
        }
        let severity = problems.iter().map(|p| p.severity).min();
        let level = problems
            .iter()
            .map(|p| p.level)
            .collect::<Option<Vec<Level>>>()
            .and_then(|levels| levels.into_iter().max_by_key(|l| gates(*l)));
        Judgement {
            class,
            severity,
            problems,
            chosen: None,
            skip_reason: None,
            skip: None,
            level,
        }
    }
}

/// How strongly a failure at this level gates: `should` only under `--strict`; `must`, and a
/// `may` answer that matches none of the listed ones, always.
fn gates(level: Level) -> u8 {
    match level {
        Level::Should => 0,
        Level::Must | Level::May => 1,
    }
}

/// An answer of the wrong message type for the request.
pub(crate) fn unexpected_type(expected: &str, answer: &FromAdapter) -> Judgement {
    Judgement::from_problems(
        OutcomeClass::AdapterError,
        vec![Problem::wrong_type(
            expected,
            answer.type_name(),
            "the contract answers each request type with its own message type",
        )],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_general_shape_breaks_a_rule_of_the_case_level_and_names_no_requirement() {
        let problem = Problem::new(Severity::Minor, "error", "a", "b", "why");
        assert_eq!(
            (problem.level, problem.requirement.as_deref()),
            (None, None)
        );
        let problem = problem.at_level(Level::Should).breaking("SIGN-JWT-TYP");
        assert_eq!(problem.level, Some(Level::Should));
        assert_eq!(problem.requirement.as_deref(), Some("SIGN-JWT-TYP"));
        assert_eq!(
            (problem.field.as_str(), problem.expected.as_str()),
            ("error", "a")
        );
        assert_eq!(
            (problem.actual.as_str(), problem.why.as_str()),
            ("b", "why")
        );
    }

    /// The problems the runner and the property runner build (`run/case.rs`,
    /// `properties/mod.rs`) say the words they wrote out by hand before the constructors, so
    /// using them changed no report.
    #[test]
    fn the_named_problems_say_what_the_runners_say() {
        assert_eq!(
            Problem::unbuildable_case("case c1: no such key"),
            Problem {
                field: "case".into(),
                expected: "a case the harness can build".into(),
                actual: "case c1: no such key".into(),
                why: "the case itself is broken: fix the case file".into(),
                severity: Severity::Major,
                level: None,
                requirement: None,
            }
        );
        assert_eq!(
            Problem::property_aborted("too many global rejects"),
            Problem {
                field: "property".into(),
                expected: "a completed property run".into(),
                actual: "aborted: too many global rejects".into(),
                why: "the property could not run to the end".into(),
                severity: Severity::Major,
                level: None,
                requirement: None,
            }
        );
        let not_run = Problem::not_run("case", "interrupted");
        assert_eq!(
            (not_run.actual.as_str(), not_run.why.as_str()),
            (
                "interrupted",
                "a case that did not run tested nothing: the run cannot pass"
            )
        );
    }
}
