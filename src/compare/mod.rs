//! Comparing implementations: the same suite, selection and seed run against each, and one
//! comparison built from their events. Pure: [`Comparison::build`] reads each implementation's
//! [`ImplementationRun`] (how it was run is not its business) and groups, case by case, the
//! implementations by the answer they gave. The renderers ([`render`], [`html`]) read the
//! comparison alone.
//!
//! No implementation is ever dropped: one that did not start, that the circuit breaker stopped,
//! or that offers none of a role stays as a column, with its state and the tail of its stderr.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::event::{CaseEvent, Kind, RunHeader};
use crate::exit::Exit;
use crate::judge::OutcomeClass;
use crate::redact::Redactor;
use crate::spec::Level;

pub mod answer;
pub mod diff;
pub mod expectations;
pub mod html;
pub mod manifest;
pub mod render;
pub mod write;

pub use expectations::{Expectations, KnownFailure};

/// The version of `compare.json` and `compare.jsonl`.
pub const COMPARE_FORMAT_VERSION: u32 = 1;

/// How one implementation's run went, as the runner hands it over.
#[derive(Debug, Clone, Default)]
pub struct ImplementationRun {
    /// The name it was given (`--impl NAME=...`, the manifest's `name`).
    pub name: String,
    /// How it is reached: `builtin:reference`, `exec:node adapter.js`, `http://...`.
    pub target: String,
    /// The arguments of `messenger-conformance run` that name it (` -- node adapter.js`,
    /// ` --url URL`, ` --broken NAME`), for reproduce commands.
    pub target_args: String,
    /// The run's header, with `hello`'s name and version; `None` when it did not start.
    pub header: Option<RunHeader>,
    /// Why it did not start, with the tail of its stderr.
    pub start_error: Option<String>,
    /// Why the circuit breaker stopped the run, when it did.
    pub stopped: Option<String>,
    pub events: Vec<CaseEvent>,
    /// Its known failures, when an expectations file was given.
    pub expectations: Option<Expectations>,
    /// Where the expectations came from, as given.
    pub expectations_path: Option<String>,
    /// How it is configured, in words (the manifest's `configuration`).
    pub configuration: Option<String>,
}

/// What became of an implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// It ran the whole selection.
    Ran,
    /// It offers a role the selection holds no case of: every case of that role was skipped.
    RoleUnsupported,
    /// The circuit breaker stopped sending it requests: the rest is recorded as not run.
    Stopped,
    /// It could not be started (or its `hello` failed): nothing ran.
    DidNotStart,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ran => "ran",
            State::RoleUnsupported => "role unsupported",
            State::Stopped => "stopped",
            State::DidNotStart => "did not start",
        }
    }
}

/// Passed and failed results at one level (skips apart).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Tally {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Tally {
    /// Passed out of passed and failed, in whole percent; `None` when nothing was judged.
    pub fn percent(&self) -> Option<u32> {
        let judged = self.passed + self.failed;
        (judged > 0).then(|| ((self.passed * 100) / judged) as u32)
    }

    fn add(&mut self, outcome: OutcomeClass) {
        match outcome {
            OutcomeClass::Pass => self.passed += 1,
            OutcomeClass::Skipped => self.skipped += 1,
            _ => self.failed += 1,
        }
    }
}

/// Pass counts by the level of the case (or property).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Levels {
    pub must: Tally,
    pub should: Tally,
    pub may: Tally,
}

/// A failure an expectations file lists, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ListedFailure {
    pub id: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspected_suite_bug: Option<String>,
}

impl ListedFailure {
    fn of(known: &KnownFailure) -> ListedFailure {
        ListedFailure {
            id: known.id.clone(),
            reason: known.behaviour.clone(),
            source: known.source.clone(),
            suspected_suite_bug: known.suspected_suite_bug.clone(),
        }
    }
}

/// One implementation's column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ImplementationSummary {
    pub name: String,
    /// What `hello` said it is: `name version` (none when it did not start).
    #[serde(default)]
    pub implementation: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    pub target: String,
    pub state: State,
    /// Why the state is what it is (the start error, the breaker's reason, the roles left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The roles `hello` offered.
    #[serde(default)]
    pub roles: Vec<String>,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub levels: Levels,
    /// Every failing case and property, in suite order.
    pub failing: Vec<String>,
    /// Failures its expectations file lists.
    pub expected_failures: Vec<ListedFailure>,
    /// Failures that count against it: every failure its expectations do not list; without an
    /// expectations file, its `must` failures (and `should` ones under `--strict`).
    pub unexpected_failures: Vec<String>,
    /// Entries of its expectations file that passed (or were not failed) this time.
    pub unexpectedly_passing: Vec<ListedFailure>,
    /// The expectations file, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expectations: Option<String>,
    /// The library its expectations file names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub library: Option<String>,
    /// Whether it matched its expectations: it started, no unexpected failure, and nothing
    /// listed passed.
    pub matches: bool,
    /// Whether it ran under `--strict`: without an expectations file, its should failures
    /// count against it too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub strict: bool,
    /// The command line arguments that name it to `run`, for reproduce commands.
    pub target_args: String,
    /// How it is configured, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<String>,
}

/// One member of a group: an implementation and what it said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Member {
    pub name: String,
    pub outcome: String,
    /// The implementation's own message (redacted), when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What the judge found wrong, one line a problem.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
    /// The answer as it came back (redacted).
    #[serde(default)]
    pub answer: Value,
    /// The command that runs this case alone against this implementation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reproduce: Option<String>,
    /// Whether its expectations file lists this case.
    #[serde(default)]
    pub listed: bool,
}

/// Implementations that gave the same answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Group {
    /// The answer in a few words: `rejected: jwt_expired`, `accepted (verified)`, ...
    pub answer: String,
    /// Every member passed: the answer is (one of) what the suite expects.
    pub expected: bool,
    /// The answer says nothing about conformance (a declared skip, did not start).
    pub abstains: bool,
    pub implementations: Vec<String>,
    pub members: Vec<Member>,
}

/// One case across the implementations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CaseComparison {
    pub id: String,
    pub area: String,
    pub title: String,
    /// `case` or `property`.
    pub kind: String,
    pub level: Level,
    pub requirements: Vec<String>,
    /// What the suite expects (the expectation of the deciding step).
    pub expected: Value,
    /// The request of the deciding step (redacted), the same for every implementation.
    #[serde(default)]
    pub request: Value,
    /// The request's token, decoded: `{"header": ..., "claims": ...}` (redacted with the rest:
    /// a header may carry a key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Value>,
    /// What the request's user_hash is computed over (`user_id "u-1"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_input: Option<String>,
    /// Where the case is defined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// One per distinct answer, the largest first.
    pub groups: Vec<Group>,
    /// Implementations that answered (did not abstain) outside the largest group.
    pub dissent: usize,
    /// The implementations that answered gave more than one answer.
    pub disagreement: bool,
    /// One implementation alone answered otherwise than all the others (at least three answered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lone_dissenter: Option<String>,
    /// Most of the implementations that answered gave an answer the suite does not expect: the
    /// suite may be wrong.
    pub suite_may_be_wrong: bool,
}

/// The suite the comparison ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SuiteSummary {
    pub version: Option<String>,
    pub digest: String,
    pub cases: usize,
    pub source: String,
}

/// The comparison: `compare.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Comparison {
    pub format_version: u32,
    pub harness_version: String,
    pub suite: Option<SuiteSummary>,
    pub seed: Option<u64>,
    pub implementations: Vec<ImplementationSummary>,
    /// Sorted by dissent, the most first.
    pub cases: Vec<CaseComparison>,
}

/// The label of the group of implementations that did not start.
pub const DID_NOT_START: &str = "did not start";

/// The label of the group of implementations whose run did not hold the case (an earlier run
/// with another selection).
pub const NOT_IN_RUN: &str = "not in its run";

impl Comparison {
    /// Build the comparison. Every run becomes a column, whatever became of it.
    pub fn build(runs: &[ImplementationRun]) -> Comparison {
        let suite = runs
            .iter()
            .filter_map(|r| r.header.as_ref()?.suite.as_ref())
            .next()
            .map(|s| SuiteSummary {
                version: s.version.clone(),
                digest: s.digest.clone(),
                cases: s.cases,
                source: s.source.clone(),
            });
        let seed = runs.iter().find_map(|r| r.header.as_ref()?.seed);
        let implementations: Vec<ImplementationSummary> = runs.iter().map(summarize).collect();
        let mut order: Vec<String> = Vec::new();
        let mut seen = BTreeSet::new();
        for run in runs {
            for event in &run.events {
                if seen.insert(event.id.clone()) {
                    order.push(event.id.clone());
                }
            }
        }
        let mut cases: Vec<CaseComparison> =
            order.iter().map(|id| compare_case(id, runs)).collect();
        // Stable: ties keep suite order.
        cases.sort_by(|a, b| {
            (b.disagreement && b.level == Level::Must)
                .cmp(&(a.disagreement && a.level == Level::Must))
                .then(b.dissent.cmp(&a.dissent))
                .then(b.suite_may_be_wrong.cmp(&a.suite_may_be_wrong))
        });
        Comparison {
            format_version: COMPARE_FORMAT_VERSION,
            harness_version: env!("CARGO_PKG_VERSION").to_string(),
            suite,
            seed,
            implementations,
            cases,
        }
    }

    /// How the comparison ends for CI: 2 when an implementation did not start; 1 when one does
    /// not match its expectations (an unexpected failure, or a listed failure that passed), or
    /// with `fail_on_disagreement` when the implementations disagree on a `must` case; 0
    /// otherwise.
    pub fn exit(&self, fail_on_disagreement: bool) -> Exit {
        if self
            .implementations
            .iter()
            .any(|i| i.state == State::DidNotStart)
        {
            return Exit::Usage;
        }
        if self.implementations.iter().any(|i| !i.matches) {
            return Exit::Failed;
        }
        if fail_on_disagreement && !self.must_disagreements().is_empty() {
            return Exit::Failed;
        }
        Exit::Passed
    }

    /// The `must` cases the implementations disagree on.
    pub fn must_disagreements(&self) -> Vec<&CaseComparison> {
        self.cases
            .iter()
            .filter(|c| c.level == Level::Must && c.disagreement)
            .collect()
    }

    /// Replace every secret `redactor` knows, in every string.
    pub fn redact(&mut self, redactor: &Redactor) {
        *self = redactor.redacted(self);
    }

    /// One implementation's column.
    pub fn implementation(&self, name: &str) -> Option<&ImplementationSummary> {
        self.implementations.iter().find(|i| i.name == name)
    }
}

fn summarize(run: &ImplementationRun) -> ImplementationSummary {
    let mut levels = Levels::default();
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut failing = Vec::new();
    let mut role_cases: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for event in &run.events {
        match event.outcome {
            OutcomeClass::Pass => passed += 1,
            OutcomeClass::Skipped => skipped += 1,
            _ => {
                failed += 1;
                failing.push(event.id.clone());
            }
        }
        let tally = match event.level {
            Level::Must => &mut levels.must,
            Level::Should => &mut levels.should,
            Level::May => &mut levels.may,
        };
        tally.add(event.outcome);
        if event.kind == Kind::Case {
            if let Some(role) = role_of(event) {
                let entry = role_cases.entry(role.to_string()).or_default();
                entry.0 += 1;
                if event.outcome == OutcomeClass::Skipped {
                    entry.1 += 1;
                }
            }
        }
    }
    let expectations = run.expectations.as_ref();
    let listed = |id: &str| expectations.and_then(|e| e.get(id));
    let expected_failures: Vec<ListedFailure> = failing
        .iter()
        .filter_map(|id| listed(id).map(ListedFailure::of))
        .collect();
    let by_id: BTreeMap<&str, &CaseEvent> = run.events.iter().map(|e| (e.id.as_str(), e)).collect();
    // `--strict` (as the run recorded it): should failures count too.
    let strict = run.header.as_ref().is_some_and(|h| h.options.strict);
    let unexpected_failures: Vec<String> = failing
        .iter()
        .filter(|id| listed(id).is_none())
        .filter(|id| {
            expectations.is_some()
                || match by_id.get(id.as_str()).map(|e| e.gate_level()) {
                    Some(Level::Must) => true,
                    Some(Level::Should) => strict,
                    _ => false,
                }
        })
        .cloned()
        .collect();
    // A listed entry that ran and did not fail. Entries for cases this run did not select (or
    // skipped) are not held against it: a narrowed run says nothing about them.
    let unexpectedly_passing: Vec<ListedFailure> = expectations
        .map(|e| {
            e.failures
                .iter()
                .filter(|f| {
                    by_id
                        .get(f.id.as_str())
                        .is_some_and(|e| e.outcome == OutcomeClass::Pass)
                })
                .map(ListedFailure::of)
                .collect()
        })
        .unwrap_or_default();
    let unsupported: Vec<String> = role_cases
        .iter()
        .filter(|(_, (all, skipped))| *all > 0 && all == skipped)
        .map(|(role, _)| role.clone())
        .collect();
    let (state, detail) = if let Some(error) = &run.start_error {
        (State::DidNotStart, Some(error.clone()))
    } else if let Some(why) = &run.stopped {
        (State::Stopped, Some(why.clone()))
    } else if !unsupported.is_empty() {
        (
            State::RoleUnsupported,
            Some(format!(
                "every {} case was skipped: the implementation does not answer that role",
                unsupported.join(" and ")
            )),
        )
    } else {
        (State::Ran, None)
    };
    let header = run.header.as_ref();
    let matches = state != State::DidNotStart
        && unexpected_failures.is_empty()
        && unexpectedly_passing.is_empty();
    ImplementationSummary {
        name: run.name.clone(),
        implementation: header.map(|h| h.implementation.name.clone()),
        version: header.map(|h| h.implementation.version.clone()),
        target: run.target.clone(),
        state,
        detail,
        roles: header.map(|h| h.roles.clone()).unwrap_or_default(),
        passed,
        failed,
        skipped,
        levels,
        failing,
        expected_failures,
        unexpected_failures,
        unexpectedly_passing,
        expectations: run.expectations_path.clone(),
        library: expectations.and_then(|e| e.library.clone()),
        matches,
        strict,
        target_args: run.target_args.clone(),
        configuration: run.configuration.clone(),
    }
}

/// The role a case's request is for, from its transcript's first request (`verify`: verifier,
/// `sign`: signer) or, skipped before a request, from its skip reason.
fn role_of(event: &CaseEvent) -> Option<&'static str> {
    let kind = event
        .transcript
        .first()
        .and_then(|x| x.request.get("type"))
        .and_then(Value::as_str);
    match kind {
        Some("verify") => return Some("verifier"),
        Some("sign") => return Some("signer"),
        _ => {}
    }
    let reason = event.skip_reason.as_deref().unwrap_or_default();
    if reason.contains("verifier role") {
        Some("verifier")
    } else if reason.contains("signer role") {
        Some("signer")
    } else {
        None
    }
}

/// The request's JWT, decoded (header and claims; `null` where a segment is not base64url JSON).
fn token_of(request: &Value) -> Option<Value> {
    let inner = request.get("request").unwrap_or(request);
    let jwt = inner.get("intercom_user_jwt").and_then(Value::as_str)?;
    let mut parts = jwt.split('.');
    let header = parts.next().and_then(answer::decode_segment);
    let claims = parts.next().and_then(answer::decode_segment);
    Some(serde_json::json!({"header": header, "claims": claims}))
}

/// What a user_hash in the request (to verify, or to sign) is computed over: the user_id, or
/// the email when there is none.
fn hash_input_of(request: &Value) -> Option<String> {
    let over = |holder: &Value| {
        holder
            .get("user_id")
            .and_then(Value::as_str)
            .map(|id| format!("user_id {id:?}"))
            .or_else(|| {
                holder
                    .get("email")
                    .and_then(Value::as_str)
                    .map(|email| format!("email {email:?} (no user_id)"))
            })
    };
    let inner = request.get("request").unwrap_or(request);
    if inner.get("user_hash").is_some() {
        return over(inner);
    }
    if request.get("mode").and_then(Value::as_str) == Some("user_hash") {
        return request.get("user").and_then(over);
    }
    None
}

/// Each problem of a failure (or the skip reason), one line.
fn problem_lines(event: &CaseEvent) -> Vec<String> {
    if event.outcome == OutcomeClass::Skipped {
        return event.skip_reason.iter().cloned().collect();
    }
    event
        .problems
        .iter()
        .map(|p| {
            format!(
                "{}: expected {}, got {} ({})",
                p.field, p.expected, p.actual, p.why
            )
        })
        .collect()
}

fn compare_case(id: &str, runs: &[ImplementationRun]) -> CaseComparison {
    let events: Vec<(&ImplementationRun, Option<&CaseEvent>)> = runs
        .iter()
        .map(|run| (run, run.events.iter().find(|e| e.id == id)))
        .collect();
    let first = events
        .iter()
        .find_map(|(_, e)| *e)
        .expect("a case id comes from some run's events");
    // The request and the expectation: from a run that sent it (the same for every one).
    let sent = events
        .iter()
        .filter_map(|(_, e)| *e)
        .find(|e| !e.transcript.is_empty())
        .unwrap_or(first);
    let mut groups: Vec<(String, Group)> = Vec::new();
    for (run, event) in &events {
        let (key, label, abstains, member) = match event {
            Some(event) => {
                let answer = answer::answer_of(event);
                let member = Member {
                    name: run.name.clone(),
                    outcome: event.outcome.as_str().to_string(),
                    message: event.message.clone(),
                    problems: problem_lines(event),
                    answer: event.actual.clone(),
                    reproduce: event.reproduce.clone(),
                    listed: run
                        .expectations
                        .as_ref()
                        .is_some_and(|e| e.get(id).is_some()),
                };
                (answer.key, answer.label, answer.abstains, member)
            }
            None => {
                let (key, label) = if run.start_error.is_some() {
                    ("did-not-start".to_string(), DID_NOT_START.to_string())
                } else {
                    ("not-selected".to_string(), NOT_IN_RUN.to_string())
                };
                let member = Member {
                    name: run.name.clone(),
                    outcome: "not_run".into(),
                    message: None,
                    problems: Vec::new(),
                    answer: Value::Null,
                    reproduce: None,
                    listed: false,
                };
                (key, label, true, member)
            }
        };
        let passed = member.outcome == "pass";
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, group)) => {
                group.expected &= passed;
                group.implementations.push(member.name.clone());
                group.members.push(member);
            }
            None => groups.push((
                key,
                Group {
                    answer: label,
                    expected: passed,
                    abstains,
                    implementations: vec![member.name.clone()],
                    members: vec![member],
                },
            )),
        }
    }
    let mut groups: Vec<Group> = groups.into_iter().map(|(_, g)| g).collect();
    groups.sort_by(|a, b| {
        a.abstains
            .cmp(&b.abstains)
            .then(b.implementations.len().cmp(&a.implementations.len()))
            .then(b.expected.cmp(&a.expected))
    });
    // Two answers the same few words describe are told apart.
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for group in &mut groups {
        let n = counts.entry(group.answer.clone()).or_default();
        *n += 1;
        if *n > 1 {
            group.answer = format!("{} (variant {n})", group.answer);
        }
    }
    let answering: Vec<&Group> = groups.iter().filter(|g| !g.abstains).collect();
    let answered: usize = answering.iter().map(|g| g.implementations.len()).sum();
    let largest = answering.first().map_or(0, |g| g.implementations.len());
    let dissent = answered - largest;
    let lone_dissenter = (answered >= 3 && dissent == 1 && answering.len() == 2)
        .then(|| answering[1].implementations[0].clone());
    let unexpected: usize = answering
        .iter()
        .filter(|g| !g.expected)
        .map(|g| g.implementations.len())
        .sum();
    let request = sent
        .transcript
        .last()
        .map(|x| x.request.clone())
        .unwrap_or(Value::Null);
    CaseComparison {
        id: id.to_string(),
        token: token_of(&request),
        hash_input: hash_input_of(&request),
        area: first.area.clone(),
        title: first.title.clone(),
        kind: match first.kind {
            Kind::Case => "case".into(),
            Kind::Property => "property".into(),
        },
        level: first.level,
        requirements: first.requirements.clone(),
        expected: sent.expected.clone(),
        request,
        location: first.location.clone(),
        dissent,
        disagreement: answering.len() > 1,
        lone_dissenter,
        suite_may_be_wrong: answered >= 2 && unexpected * 2 > answered,
        groups,
    }
}

#[cfg(test)]
pub(crate) mod tests;
