//! The checks a suite passes to load: unique ids and known requirements
//! ([`check_ids_and_requirements`]), a case's own severity with its reason, and no short secrets
//! in any case or in the fixtures ([`short_secrets`]). The checks of a loaded suite as a whole
//! (coverage, rules broken together) are in `audit.rs`.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use crate::spec::{self, Level};

use super::error::LoadError;
use super::error::SourceFile;
use super::model::{Case, CaseSeverity, Fixtures};
use super::secret::SecretRef;
use super::source::case_path;
use super::source::FieldPath;
use super::step::FieldError;
use super::typo::closest;

/// A case's own `severity` comes with a `severity_reason` (what a failure lets happen), and is
/// never `critical` on a `should` or `may` case: failing a rule the contract leaves open lets no
/// one in.
pub(crate) fn severity_override(case: &Case) -> Vec<FieldError> {
    let root = FieldPath::root();
    let reason = case
        .severity_reason
        .as_deref()
        .filter(|r| !r.trim().is_empty());
    let mut problems = Vec::new();
    match (case.severity, reason) {
        (Some(severity), None) => problems.push(
            FieldError::new(
                &root.key(if case.severity_reason.is_some() { "severity_reason" } else { "severity" }),
                format!("`severity: {}` needs a `severity_reason`", severity_name(severity)),
            )
            .hint("say what a failure of this case lets happen, e.g. `severity_reason: the token is MACed with the platform's key; accepting it late defeats revocation`; or remove `severity` to keep the one derived from the request"),
        ),
        (None, Some(_)) => problems.push(
            FieldError::new(&root.key("severity_reason"), "`severity_reason` without a `severity`")
                .hint("add `severity: critical|major|minor`, or remove the reason"),
        ),
        _ => {}
    }
    if case.severity == Some(CaseSeverity::Critical) && case.level != Level::Must {
        problems.push(
            FieldError::new(
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
pub(crate) fn short_secrets(case: &Case) -> Vec<FieldError> {
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
pub(crate) fn short_fixture_secrets(fixtures: &Fixtures) -> Vec<FieldError> {
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
fn short_secret_problem(at: &FieldPath, secret: &str, in_case: bool) -> Option<FieldError> {
    if secret.is_empty() || secret.len() >= MIN_SECRET_BYTES {
        return None;
    }
    let exemption = if in_case {
        "; a case about short keys says so: `level: should` and KEY-SHORT-SECRET in its requirements"
    } else {
        ""
    };
    Some(
        FieldError::new(
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
