//! Checks of a loaded suite as a whole: coverage of the spec's `must` requirements
//! ([`coverage_gaps`]), cases whose request breaks a rule they do not expect
//! ([`several_rules`]), and all of it with the load-time checks for the `check` command
//! ([`lint`]). The checks a suite must pass to load at all are in `lint.rs`.

use std::collections::BTreeMap;

use crate::contract::{Outcome, Role, ToAdapter};
use crate::reference;
use crate::spec::{self, Level};

use super::error::LoadError;
use super::lint::{check_ids_and_requirements, CaseRef};
use super::load::{LoadedCase, Suite};
use super::model::{Expect, ExpectedOutcome};
use super::resolve::step_views;
use crate::judge::Expectation;

/// Every suite-wide problem: duplicate ids, unknown requirement ids, and each gap in the
/// coverage of `must` requirements (see [`coverage_gaps`]). [`load_suite`](super::load_suite)
/// already refuses the first two, so on a loaded suite this reports coverage gaps; a `check`
/// command shows them all.
pub fn lint(suite: &Suite) -> Vec<LoadError> {
    let cases: Vec<CaseRef> = suite.cases.iter().map(|case| case.case_ref()).collect();
    let mut errors = check_ids_and_requirements(&cases);
    let file = suite.dir.join("");
    errors.extend(coverage_gaps(suite).into_iter().map(|gap| {
        LoadError::new(file.clone(), gap).hint(Some(
            "every must requirement needs a case that is accepted (or signed) and one that is rejected (or refused); \
             see docs/spec.md"
                .into(),
        ))
    }));
    errors.extend(several_rules(suite).into_iter().map(|(case, problem)| {
        LoadError::new(case.file.clone(), format!("{}: {problem}", case.id)).hint(Some(
            "a case breaks exactly one rule (CONTRACT.md, verdict rules): change the request so that only \
             the rule it checks rejects it, or make it a may case listing each code"
                .into(),
        ))
    }));
    errors
}

/// Each verifier step whose request breaks a rule whose code the step does not expect, with the
/// case. CONTRACT.md: "A request breaks a rule when a verifier that checked that rule first,
/// reading only what the rule needs, would reject it", and the code of any rule it breaks
/// conforms: a case that expects one code while its request breaks another rule fails a correct
/// verifier that checks the rules in another order. Every rule the request breaks
/// ([`reference::broken_rules`]) must be the expected code (or listed in `also`), or one of a
/// `may` case's codes; and every code in `also` must be a rule the request breaks.
pub fn several_rules(suite: &Suite) -> Vec<(&LoadedCase, String)> {
    let mut found = Vec::new();
    for case in suite.cases.iter().filter(|c| c.role == Role::Verifier) {
        let Ok(steps) = case.build(case.now) else {
            continue;
        };
        for (i, step) in steps.iter().enumerate() {
            let ToAdapter::Verify(request) = &step.message else {
                continue;
            };
            let listed: Vec<_> = match &step.expectation {
                Expectation::Verdict(v) => vec![v],
                Expectation::AnyOf { verdicts } => verdicts.iter().collect(),
                _ => continue,
            };
            let codes: Vec<_> = listed
                .iter()
                .filter(|v| v.outcome == Outcome::Rejected)
                .flat_map(|v| v.error.into_iter().chain(v.also.iter().copied()))
                .collect();
            let broken = reference::broken_rules(request);
            let extra: Vec<String> = broken
                .iter()
                .filter(|code| !codes.contains(code))
                .map(|code| code.to_string())
                .collect();
            let unbroken: Vec<String> = listed
                .iter()
                .flat_map(|v| &v.also)
                .filter(|code| !broken.contains(code))
                .map(|code| code.to_string())
                .collect();
            if !unbroken.is_empty() {
                found.push((
                    case,
                    format!(
                        "step {} lists {} in `also`, but its request does not break that rule: a verifier answering it would be told it conforms",
                        i + 1,
                        unbroken.join(", ")
                    ),
                ));
            }
            if !extra.is_empty() {
                let all: Vec<String> = broken.iter().map(|c| c.to_string()).collect();
                let expected = match codes.as_slice() {
                    [] => "acceptance".to_string(),
                    codes => codes
                        .iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(" or "),
                };
                found.push((
                    case,
                    format!(
                        "step {} expects {expected}, but its request breaks {}: a verifier that checks {} first answers that code, and conforms",
                        i + 1,
                        all.join(", "),
                        extra.join(" or ")
                    ),
                ));
            }
        }
    }
    found
}

/// Each `must` requirement that lacks a case expecting acceptance (`accepted` or `signed`) or a
/// case expecting rejection (`rejected` or `refused`), one line each, in registry order. Empty
/// when the suite covers the spec.
pub fn coverage_gaps(suite: &Suite) -> Vec<String> {
    #[derive(Default)]
    struct Seen {
        accepted: bool,
        rejected: bool,
    }
    let mut seen: BTreeMap<&str, Seen> = BTreeMap::new();
    for case in &suite.cases {
        let mut outcomes = Vec::new();
        for view in step_views(&case.source) {
            if let Some(expect) = view.expect {
                collect_outcomes(expect, &mut outcomes);
            }
        }
        for requirement in &case.requirements {
            let entry = seen.entry(requirement).or_default();
            for outcome in &outcomes {
                match outcome {
                    ExpectedOutcome::Accepted | ExpectedOutcome::Signed => entry.accepted = true,
                    ExpectedOutcome::Rejected | ExpectedOutcome::Refused => entry.rejected = true,
                }
            }
        }
    }
    let mut gaps = Vec::new();
    for requirement in spec::requirements()
        .iter()
        .filter(|r| r.level == Level::Must)
    {
        let entry = seen.get(requirement.id.as_str());
        let missing = match entry {
            None => "no case checks it".to_string(),
            Some(Seen {
                accepted: false,
                rejected: false,
            }) => "no case checks it".to_string(),
            Some(Seen {
                accepted: false, ..
            }) => "no case expects acceptance (accepted or signed)".to_string(),
            Some(Seen {
                rejected: false, ..
            }) => "no case expects rejection (rejected or refused)".to_string(),
            Some(_) => continue,
        };
        gaps.push(format!(
            "{} (must: {}): {missing}",
            requirement.id, requirement.title
        ));
    }
    gaps
}

fn collect_outcomes(expect: &Expect, out: &mut Vec<ExpectedOutcome>) {
    out.extend(expect.outcome);
    for entry in &expect.any_of {
        collect_outcomes(entry, out);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn suite() -> Suite {
        Suite::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("cases")).expect("the suite loads")
    }

    /// Every case breaks only the rule it checks (or, for a `may` case, rules whose codes it
    /// lists), read as CONTRACT.md reads "breaks": a verifier that checked the rule first would
    /// reject the request.
    #[test]
    fn every_verifier_case_breaks_only_the_rules_it_expects() {
        let suite = suite();
        let found: Vec<String> = several_rules(&suite)
            .into_iter()
            .map(|(case, problem)| format!("{} ({}): {problem}", case.id, case.location()))
            .collect();
        assert!(found.is_empty(), "{}", found.join("\n"));
    }
}
