//! Checks of the suite as a whole: unique ids, known requirements, coverage of the spec; and
//! one check of every case and of the fixtures: no short secrets ([`short_secrets`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use crate::contract::{Outcome, Role, ToAdapter};
use crate::reference;
use crate::spec::{self, Level};

use super::error::{closest, LoadError};
use super::expectation::Expectation;
use super::load::{case_path, LoadedCase, SourceFile, Suite};
use super::model::{Case, CaseSeverity, Expect, ExpectedOutcome, Fixtures};
use super::resolve::{step_views, Problem};
use super::secret::SecretRef;
use super::source::FieldPath;

/// A case's own `severity` comes with a `severity_reason` (what a failure lets happen), and is
/// never `critical` on a `should` or `may` case: failing a rule the contract leaves open lets no
/// one in.
pub(crate) fn severity_override(case: &Case) -> Vec<Problem> {
    let root = FieldPath::root();
    let reason = case
        .severity_reason
        .as_deref()
        .filter(|r| !r.trim().is_empty());
    let mut problems = Vec::new();
    match (case.severity, reason) {
        (Some(severity), None) => problems.push(
            Problem::new(
                &root.key(if case.severity_reason.is_some() { "severity_reason" } else { "severity" }),
                format!("`severity: {}` needs a `severity_reason`", severity_name(severity)),
            )
            .hint("say what a failure of this case lets happen, e.g. `severity_reason: the token is MACed with the platform's key; accepting it late defeats revocation`; or remove `severity` to keep the one derived from the request"),
        ),
        (None, Some(_)) => problems.push(
            Problem::new(&root.key("severity_reason"), "`severity_reason` without a `severity`")
                .hint("add `severity: critical|major|minor`, or remove the reason"),
        ),
        _ => {}
    }
    if case.severity == Some(CaseSeverity::Critical) && case.level != Level::Must {
        problems.push(
            Problem::new(
                &root.key("severity"),
                format!("a `{}` case cannot be `critical`", case.level),
            )
            .hint("critical means someone without the platform's secret could be let in; a `should` or `may` rule does not decide that: use `major` or `minor`, or make the case `must`"),
        );
    }
    problems
}

fn severity_name(severity: CaseSeverity) -> &'static str {
    match severity {
        CaseSeverity::Critical => "critical",
        CaseSeverity::Major => "major",
        CaseSeverity::Minor => "minor",
    }
}

/// The shortest secret a case may hand an implementation, in bytes: the 256 bits RFC 7518
/// section 3.2 asks of an HS256 key. Some JWS libraries refuse shorter keys when they sign or
/// verify; a case that gave them one would fail for the key instead of for what it checks.
pub const MIN_SECRET_BYTES: usize = 32;

/// The requirement a case about short keys names.
const SHORT_KEY_REQUIREMENT: &str = "KEY-SHORT-SECRET";

/// Whether `case` is about short keys: `level: should`, with KEY-SHORT-SECRET among its
/// requirements. Only such a case may hand the implementation a secret under
/// [`MIN_SECRET_BYTES`].
pub(crate) fn is_short_key_case(case: &Case) -> bool {
    case.level == Level::Should && case.requirements.iter().any(|r| r == SHORT_KEY_REQUIREMENT)
}

/// Every non-empty secret under [`MIN_SECRET_BYTES`] that `case` hands the implementation, unless
/// it is a short-key case ([`is_short_key_case`]): a key's or a platform's secret in its
/// `patch` or a step's `patch`, and a `literal:` secret of its `sign` requests. (A secret named
/// by reference, `web` or `key:k-web`, is the fixtures', checked by [`short_fixture_secrets`].
/// A `literal:` secret a token or hash is forged with never reaches the implementation, and the
/// empty secret is the subject of its own cases.) Paths are relative to the case.
pub(crate) fn short_secrets(case: &Case) -> Vec<Problem> {
    if is_short_key_case(case) {
        return Vec::new();
    }
    let mut found = Vec::new();
    let root = FieldPath::root();
    let steps = case.steps.iter().enumerate().map(|(i, step)| {
        let at = root.key("steps").index(i);
        (at, step.patch.as_ref(), step.sign.as_ref())
    });
    for (at, patch, sign) in
        std::iter::once((root.clone(), case.patch.as_ref(), case.sign.as_ref())).chain(steps)
    {
        if let Some(patch) = patch {
            patch_secrets(patch, &at.key("patch"), &mut found);
        }
        if let Some(SecretRef::Literal(text)) = sign.and_then(|s| SecretRef::parse(&s.secret).ok())
        {
            found.push((at.key("sign").key("secret"), text.to_string()));
        }
    }
    found
        .into_iter()
        .filter_map(|(at, secret)| short_secret_problem(&at, &secret, true))
        .collect()
}

/// Every string under a `secret` key of a workspace merge patch, with its path.
fn patch_secrets(value: &Value, at: &FieldPath, found: &mut Vec<(FieldPath, String)>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match value {
                    Value::String(secret) if key == "secret" => {
                        found.push((at.key(key), secret.clone()));
                    }
                    _ => patch_secrets(value, &at.key(key), found),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                patch_secrets(item, &at.index(i), found);
            }
        }
        _ => {}
    }
}

/// Every non-empty identity-verification or key secret of the fixtures under
/// [`MIN_SECRET_BYTES`]: every case may use them, so none is exempt.
pub(crate) fn short_fixture_secrets(fixtures: &Fixtures) -> Vec<Problem> {
    let root = FieldPath::root();
    let mut found = Vec::new();
    for (name, workspace) in &fixtures.workspaces {
        let at = root.key("workspaces").key(name);
        for (platform, settings) in &workspace.platforms {
            found.push((
                at.key("platforms")
                    .key(platform.as_str())
                    .key("identity_verification")
                    .key("secret"),
                settings.identity_verification.secret.as_str(),
            ));
        }
        for (i, key) in workspace.jwt_keys.iter().enumerate() {
            found.push((
                at.key("jwt_keys").index(i).key("secret"),
                key.secret.as_str(),
            ));
        }
    }
    for (i, key) in fixtures.keys.iter().enumerate() {
        found.push((root.key("keys").index(i).key("secret"), key.secret.as_str()));
    }
    found
        .into_iter()
        .filter_map(|(at, secret)| short_secret_problem(&at, secret, false))
        .collect()
}

/// The problem with one secret, if it is short; the secret itself is never shown.
fn short_secret_problem(at: &FieldPath, secret: &str, in_case: bool) -> Option<Problem> {
    if secret.is_empty() || secret.len() >= MIN_SECRET_BYTES {
        return None;
    }
    let exemption = if in_case {
        "; a case about short keys says so: `level: should` and KEY-SHORT-SECRET in its requirements"
    } else {
        ""
    };
    Some(
        Problem::new(
            at,
            format!(
                "a secret of {} bytes: every key and secret an implementation is handed is at least {MIN_SECRET_BYTES} bytes (256 bits, RFC 7518 section 3.2), or some JWS libraries refuse it and the case fails for the key, not for what it checks",
                secret.len()
            ),
        )
        .hint(format!(
            "lengthen it to {MIN_SECRET_BYTES} bytes or more, made-up looking and unlike every other secret of the suite (reports redact secrets by value){exemption}"
        )),
    )
}

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
