//! Checks of the suite as a whole: unique ids, known requirements, coverage of the spec.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::spec::{self, Level};

use super::error::{closest, LoadError};
use super::load::{case_path, SourceFile, Suite};
use super::model::{Expect, ExpectedOutcome};
use super::resolve::step_views;
use super::source::FieldPath;

/// A parsed case, as far as suite-wide checks need it.
pub(crate) struct CaseRef {
    pub id: String,
    pub requirements: Vec<String>,
    pub origin: Arc<SourceFile>,
    /// Its index in its file's `cases`.
    pub index: usize,
}

impl CaseRef {
    fn error(&self, path: &FieldPath, message: String, hint: String) -> LoadError {
        self.origin
            .error(&path.under(&case_path(self.index)), message, Some(hint))
    }

    fn location(&self, path: &FieldPath) -> String {
        let loc = self.origin.locate(&path.under(&case_path(self.index)));
        format!("{}:{}:{}", self.origin.path.display(), loc.line, loc.column)
    }
}

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
    errors
}

/// Ids unique across the suite, every requirement id in the registry.
pub(crate) fn check_ids_and_requirements(cases: &[CaseRef]) -> Vec<LoadError> {
    let mut errors = Vec::new();
    let mut first: BTreeMap<&str, &CaseRef> = BTreeMap::new();
    let known: Vec<&str> = spec::requirements().iter().map(|r| r.id.as_str()).collect();
    for case in cases {
        let id_path = FieldPath::root().key("id");
        match first.get(case.id.as_str()) {
            Some(original) => errors.push(
                case.error(
                    &id_path,
                    format!(
                        "duplicate id `{}`, first defined at {}",
                        case.id,
                        original.location(&id_path)
                    ),
                    "ids are unique across the suite and never renumbered: give this case a new id"
                        .into(),
                ),
            ),
            None => {
                first.insert(&case.id, case);
            }
        }
        for (i, requirement) in case.requirements.iter().enumerate() {
            if spec::find(requirement).is_none() {
                let hint = match closest(requirement, &known) {
                    Some(best) => {
                        format!("did you mean `{best}`? Known ids are listed in docs/spec.md")
                    }
                    None => "known ids are listed in docs/spec.md".to_string(),
                };
                errors.push(case.error(
                    &FieldPath::root().key("requirements").index(i),
                    format!("unknown requirement `{requirement}`"),
                    hint,
                ));
            }
        }
    }
    errors
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
