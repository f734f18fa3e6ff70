//! From a case to protocol messages: the workspace of each step, the request or sign message,
//! and the expectation, with every template, secret reference and time resolved.
//!
//! Two passes share this code. When the suite loads, [`check_structure`] checks what a case says
//! (one body, a coherent expectation, levels) and [`build_steps`] builds every step at the case's
//! own `now`, so that every template problem is reported then, with its location. At run time
//! [`LoadedCase::build`](super::LoadedCase::build) builds again at the instant the harness
//! chooses; it can then fail only on an overflow of the time arithmetic.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::contract::{
    DropReason, ErrorCode, Identity, Object, Outcome, Role, SignMode, SignRequest, ToAdapter, User,
    VerifyRequest, Workspace,
};
use crate::spec::Level;

use super::hash::{build_hash, Identifiers};
use super::model::{Case, Expect, ExpectedOutcome, Fixtures, RequestTemplate, SignTemplate};
use super::patch::merge_patch;
use super::secret::unknown_workspace;
use super::source::FieldPath;
pub(crate) use super::step::{BuildError, FieldError, StepCtx};
use super::token::build_jwt;
use crate::judge::{Expectation, ExpectedVerdict};

/// The instant a case happens at unless it says otherwise: 2026-01-01T00:00:00Z.
pub(crate) const DEFAULT_NOW: i64 = 1_767_225_600;

/// The fixture workspace a case uses unless it says otherwise.
pub(crate) const DEFAULT_WORKSPACE: &str = "production";

/// One step of a case, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltStep {
    /// The step's title (multi-step cases).
    pub title: Option<String>,
    /// A `verify` or `sign` message with id `<case id>/<step number from 1>`.
    pub message: ToAdapter,
    pub expectation: Expectation,
    /// Every non-empty secret the step involves (the workspace's, and any other one the templates
    /// used), longest first, without repeats: what a report must redact.
    pub secrets: Vec<String>,
}

/// One step as the case states it: a `steps` entry, or the case's own request/sign and expect.
pub(crate) struct StepView<'a> {
    pub at: FieldPath,
    pub title: Option<&'a String>,
    pub patch: Option<&'a Value>,
    pub after_seconds: i64,
    pub request: Option<&'a RequestTemplate>,
    pub sign: Option<&'a SignTemplate>,
    pub expect: Option<&'a Expect>,
}

pub(crate) fn step_views(case: &Case) -> Vec<StepView<'_>> {
    if case.steps.is_empty() {
        return vec![StepView {
            at: FieldPath::root(),
            title: None,
            patch: None,
            after_seconds: 0,
            request: case.request.as_ref(),
            sign: case.sign.as_ref(),
            expect: case.expect.as_ref(),
        }];
    }
    case.steps
        .iter()
        .enumerate()
        .map(|(i, step)| StepView {
            at: FieldPath::root().key("steps").index(i),
            title: step.title.as_ref(),
            patch: step.patch.as_ref(),
            after_seconds: step.after_seconds.unwrap_or(0),
            request: step.request.as_ref(),
            sign: step.sign.as_ref(),
            expect: Some(&step.expect),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Structure: what can be checked without fixtures
// ---------------------------------------------------------------------------------------------

/// Check what a case says, independently of fixtures and time. Returns the case's role when its
/// bodies agree on one.
pub(crate) fn check_structure(case: &Case) -> (Option<Role>, Vec<FieldError>) {
    let mut problems = Vec::new();
    let root = FieldPath::root();
    check_id(&case.id, &root.key("id"), &mut problems);
    if case.title.trim().is_empty() {
        problems.push(
            FieldError::new(&root.key("title"), "the title is empty")
                .hint("say what the case proves, as a sentence"),
        );
    }
    if case.requirements.is_empty() {
        problems.push(
            FieldError::new(
                &root.key("requirements"),
                "a case checks at least one requirement",
            )
            .hint("list the ids from docs/spec.md it checks, e.g. [JWT-ALG]"),
        );
    }

    // Exactly one body.
    let bodies: Vec<&str> = [
        ("request", case.request.is_some()),
        ("sign", case.sign.is_some()),
        ("steps", !case.steps.is_empty()),
    ]
    .into_iter()
    .filter_map(|(name, present)| present.then_some(name))
    .collect();
    match bodies.as_slice() {
        [_] => {}
        [] => {
            problems.push(FieldError::new(&root, "a case needs exactly one of request, sign or steps").hint(
                "add `request:` (a verifier case), `sign:` (a signer case) or `steps:` (several requests in order)",
            ));
            return (None, problems);
        }
        [first, second, ..] => {
            problems.push(
                FieldError::new(&root.key(second), "a case needs exactly one of request, sign or steps").hint(format!(
                    "this case has both `{first}` and `{second}`: split it into two cases, or make each request a step"
                )),
            );
            return (None, problems);
        }
    }
    if !case.steps.is_empty() {
        if case.expect.is_some() {
            problems.push(
                FieldError::new(
                    &root.key("expect"),
                    "a case with steps has no `expect` of its own",
                )
                .hint("each step states its own `expect`; move this one into a step"),
            );
        }
    } else if case.expect.is_none() {
        problems.push(
            FieldError::new(&root, "the case has no `expect`")
                .hint("state the whole expected answer, e.g. `expect: {outcome: rejected, error: jwt_expired}`"),
        );
    }

    // One role for the whole case.
    let mut role = None;
    let mut any_of_used = false;
    for view in step_views(case) {
        if view.after_seconds < 0 {
            problems.push(
                FieldError::new(
                    &view.at.key("after_seconds"),
                    format!(
                        "`after_seconds` is {}: a step cannot come before the case's `now`",
                        view.after_seconds
                    ),
                )
                .hint("`after_seconds` counts seconds after the case's `now`, 0 or more; to test an earlier instant, set the case's `now` earlier"),
            );
        }
        let step_role = match (view.request, view.sign) {
            (Some(_), None) => Role::Verifier,
            (None, Some(_)) => Role::Signer,
            (Some(_), Some(_)) => {
                problems.push(
                    FieldError::new(
                        &view.at.key("sign"),
                        "a step has exactly one of request or sign",
                    )
                    .hint("make two steps"),
                );
                continue;
            }
            (None, None) => {
                problems.push(
                    FieldError::new(&view.at, "a step needs a request or sign")
                        .hint("add `request:` (for a verifier) or `sign:` (for a signer)"),
                );
                continue;
            }
        };
        match role {
            None => role = Some(step_role),
            Some(role) if role != step_role => {
                problems.push(
                    FieldError::new(
                        &view.at,
                        "all steps of a case are requests, or all are sign requests",
                    )
                    .hint("a case tests one role: split verifier and signer steps into two cases"),
                );
                continue;
            }
            Some(_) => {}
        }
        if let Some(expect) = view.expect {
            any_of_used |= !expect.any_of.is_empty();
            let mode = view.sign.map(|sign| sign.mode);
            check_expect(
                expect,
                step_role,
                mode,
                case.level,
                &view.at.key("expect"),
                false,
                &mut problems,
            );
        }
    }
    if case.level == Level::May && !any_of_used {
        problems.push(
            FieldError::new(&root.key("level"), "a `may` case lists every conforming answer in `any_of`")
                .hint("add `expect: {any_of: [..., ...]}` with at least two verdicts, or use level must or should"),
        );
    }
    (role, problems)
}

fn check_id(id: &str, at: &FieldPath, problems: &mut Vec<FieldError>) {
    let well_formed = !id.is_empty()
        && id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !well_formed {
        problems.push(
            FieldError::new(at, format!("`{id}` is not a case id"))
                .hint("ids are letters, digits, `-`, `_` and `.`, like JWT-ALG-003; they name the case in reports"),
        );
    }
}

fn check_expect(
    expect: &Expect,
    role: Role,
    mode: Option<SignMode>,
    level: Level,
    at: &FieldPath,
    in_any_of: bool,
    problems: &mut Vec<FieldError>,
) {
    let fail = |problems: &mut Vec<FieldError>, field: &str, message: String, hint: &str| {
        let at = if field.is_empty() {
            at.clone()
        } else {
            at.key(field)
        };
        problems.push(FieldError::new(&at, message).hint(hint));
    };
    if !expect.any_of.is_empty() {
        if in_any_of {
            fail(
                problems,
                "any_of",
                "`any_of` cannot nest".into(),
                "list every conforming verdict in one `any_of`",
            );
            return;
        }
        if level != Level::May {
            fail(
                problems,
                "any_of",
                format!("`any_of` is for `level: may` cases; this case is `{level}`"),
                "a must or should case states the one conforming answer; a case with several is `level: may`",
            );
        }
        if expect.any_of.len() < 2 {
            fail(
                problems,
                "any_of",
                "`any_of` lists at least two answers".into(),
                "with one answer, state it without `any_of`",
            );
        }
        if let Some(field) = set_fields(expect).first() {
            fail(
                problems,
                field,
                format!("`{field}` beside `any_of`"),
                "with `any_of`, each entry states a whole answer: move this field into the entries",
            );
        }
        for (i, entry) in expect.any_of.iter().enumerate() {
            check_expect(
                entry,
                role,
                mode,
                level,
                &at.key("any_of").index(i),
                true,
                problems,
            );
        }
        return;
    }
    let forbid = |fields: &[&str], outcome: &str, hint: &str, problems: &mut Vec<FieldError>| {
        for field in set_fields(expect).iter().filter(|f| fields.contains(f)) {
            problems.push(
                FieldError::new(
                    &at.key(field),
                    format!("`{field}` does not belong in a `{outcome}` expectation"),
                )
                .hint(hint),
            );
        }
    };
    const SIGNER_FIELDS: &[&str] = &["user_hash", "jwt"];
    const VERDICT_FIELDS: &[&str] = &[
        "error", "also", "verified", "identity", "applied", "dropped",
    ];
    let outcome_at = at.key("outcome");
    match (role, expect.outcome) {
        (Role::Verifier, None) => fail(
            problems,
            "",
            "the expectation has no `outcome`".into(),
            "add `outcome: accepted` or `outcome: rejected` (with `error:`)",
        ),
        (Role::Signer, None) => fail(problems, "", "the expectation has no `outcome`".into(), "add `outcome: signed` or `outcome: refused`"),
        (Role::Verifier, Some(ExpectedOutcome::Signed | ExpectedOutcome::Refused)) => fail(
            problems,
            "outcome",
            "`signed` and `refused` are signer answers; a request expects `accepted` or `rejected`".into(),
            "use `outcome: accepted` or `outcome: rejected`",
        ),
        (Role::Signer, Some(ExpectedOutcome::Accepted | ExpectedOutcome::Rejected)) => fail(
            problems,
            "outcome",
            "`accepted` and `rejected` are verifier verdicts; a sign request expects `signed` or `refused`".into(),
            "use `outcome: signed` or `outcome: refused`",
        ),
        (Role::Verifier, Some(ExpectedOutcome::Rejected)) => {
            if expect.error.is_none() {
                problems.push(FieldError::new(&outcome_at, "rejected needs an error code").hint(format!(
                    "add `error:` with one code of the closed list: {}",
                    ErrorCode::ALL.map(ErrorCode::as_str).join(", ")
                )));
            }
            if expect.identity.is_some() {
                fail(problems, "identity", "a rejected verdict has no identity".into(), "remove `identity`");
            }
            if expect.verified == Some(true) {
                fail(problems, "verified", "a rejected verdict is never verified".into(), "remove `verified`");
            }
            for (field, empty) in [
                ("applied", expect.applied.as_ref().is_none_or(|m| m.is_empty())),
                ("dropped", expect.dropped.as_ref().is_none_or(|m| m.is_empty())),
            ] {
                if !empty {
                    fail(problems, field, format!("a rejected verdict has no `{field}` attributes"), "remove it");
                }
            }
            forbid(SIGNER_FIELDS, "rejected", "`user_hash` and `jwt` describe a signer's answer", problems);
        }
        (Role::Verifier, Some(ExpectedOutcome::Accepted)) => {
            if expect.error.is_some() {
                fail(problems, "error", "an accepted verdict has no error code".into(), "remove `error`, or expect `rejected`");
            }
            if !expect.also.is_empty() {
                fail(problems, "also", "an accepted verdict has no error code".into(), "remove `also`, or expect `rejected`");
            }
            forbid(SIGNER_FIELDS, "accepted", "`user_hash` and `jwt` describe a signer's answer", problems);
        }
        (Role::Signer, Some(ExpectedOutcome::Signed)) => {
            forbid(VERDICT_FIELDS, "signed", "a signer's answer has no verdict fields", problems);
            let (needed, other) = match mode {
                Some(SignMode::Jwt) => ("jwt", "user_hash"),
                _ => ("user_hash", "jwt"),
            };
            let present = |field: &str| set_fields(expect).contains(&field);
            if !present(needed) {
                fail(
                    problems,
                    "",
                    format!("a `signed` expectation for mode {needed} states the `{needed}`"),
                    if needed == "jwt" {
                        "add `jwt: {secret: key:k-web, claims: {user_id: u-1, exp: now+1h}}`"
                    } else {
                        "add `user_hash: {hmac: {over: user_id, secret: web}}`"
                    },
                );
            }
            if present(other) {
                fail(problems, other, format!("`{other}` does not belong in an expectation for mode {needed}"), "remove it");
            }
            let header = expect.jwt.as_ref().and_then(|jwt| jwt.header.as_ref());
            if header.is_some_and(|header| header.contains_key("typ")) {
                problems.push(
                    FieldError::new(&at.key("jwt").key("header").key("typ"), "an expected header does not list `typ`")
                        .hint("the judge applies the signer rule for typ to every token (absent, or \"JWT\" in any case; any other value fails at should level, SIGN-JWT-TYP): remove `typ`"),
                );
            }
        }
        (Role::Signer, Some(ExpectedOutcome::Refused)) => {
            let all: Vec<&str> = VERDICT_FIELDS.iter().chain(SIGNER_FIELDS).copied().collect();
            forbid(&all, "refused", "a refusal carries nothing but its message", problems);
        }
    }
}

/// The fields of an expectation that are set, other than `outcome` and `any_of`.
fn set_fields(expect: &Expect) -> Vec<&'static str> {
    [
        ("error", expect.error.is_some()),
        ("also", !expect.also.is_empty()),
        ("verified", expect.verified.is_some()),
        ("identity", expect.identity.is_some()),
        ("applied", expect.applied.is_some()),
        ("dropped", expect.dropped.is_some()),
        ("user_hash", expect.user_hash.is_some()),
        ("jwt", expect.jwt.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .chain(
        expect
            .outcome
            .is_some()
            .then_some("outcome")
            .filter(|_| !expect.any_of.is_empty()),
    )
    .collect()
}

// ---------------------------------------------------------------------------------------------
// Building: fixtures, patches, templates, times
// ---------------------------------------------------------------------------------------------

/// The result of building every step of a case.
pub(crate) struct Built {
    pub steps: Vec<BuiltStep>,
    pub problems: Vec<FieldError>,
    /// Some time expression is within a few seconds of a verdict boundary, or a later step uses
    /// time at all: the case needs the injected clock.
    pub needs_exact_instant: bool,
}

/// Build every step of a structurally valid case at `now`, collecting every problem.
pub(crate) fn build_steps(case: &Case, fixtures: &Fixtures, now: i64) -> Built {
    let mut built = Built {
        steps: Vec::new(),
        problems: Vec::new(),
        needs_exact_instant: false,
    };
    let root = FieldPath::root();
    let name = case.workspace.as_deref().unwrap_or(DEFAULT_WORKSPACE);
    let Some(fixture) = fixtures.workspaces.get(name) else {
        let at = if case.workspace.is_some() {
            root.key("workspace")
        } else {
            root.clone()
        };
        let mut problem = FieldError::from_secret(&at, unknown_workspace(name, fixtures));
        if case.workspace.is_none() {
            problem.message = format!(
                "the default fixture workspace `{DEFAULT_WORKSPACE}` is not in fixtures.yaml"
            );
        }
        built.problems.push(problem);
        return built;
    };
    let mut workspace = serde_json::to_value(fixture).expect("a workspace serializes");
    if let Some(patch) = &case.patch {
        if let Err(problem) = apply_patch(&mut workspace, patch, &root.key("patch"), fixtures) {
            built.problems.push(problem);
            return built;
        }
    }
    let id = case.id.as_str();
    for (number, view) in step_views(case)
        .into_iter()
        .enumerate()
        .map(|(i, view)| (i + 1, view))
    {
        if let Some(patch) = view.patch {
            if let Err(problem) =
                apply_patch(&mut workspace, patch, &view.at.key("patch"), fixtures)
            {
                built.problems.push(problem);
                return built;
            }
        }
        let settings: Workspace = match serde_json::from_value(workspace.clone()) {
            Ok(settings) => settings,
            Err(error) => {
                built.problems.push(FieldError::new(
                    &root,
                    format!("the workspace is invalid: {error}"),
                ));
                return built;
            }
        };
        let Some(step_now) = now.checked_add(view.after_seconds) else {
            built.problems.push(FieldError::new(
                &view.at.key("after_seconds"),
                "the step's instant overflows",
            ));
            continue;
        };
        let mut ctx = StepCtx::new(fixtures, &settings, step_now);
        let message_id = format!("{id}/{number}");
        let message = match (view.request, view.sign) {
            (Some(request), _) => {
                build_request(request, &view.at.key("request"), &mut ctx).map(|request| {
                    ToAdapter::Verify(VerifyRequest {
                        id: message_id,
                        now: step_now,
                        workspace: settings.clone(),
                        request,
                    })
                })
            }
            (None, Some(sign)) => {
                build_sign(sign, &view.at.key("sign"), &mut ctx).map(|mut sign| {
                    sign.id = message_id;
                    ToAdapter::Sign(sign)
                })
            }
            (None, None) => Err(FieldError::new(&view.at, "a step needs a request or sign")),
        };
        let sign_request = match &message {
            Ok(ToAdapter::Sign(sign)) => Some(sign),
            _ => None,
        };
        let expectation = match view.expect {
            Some(expect) => build_expectation(
                expect,
                view.sign.zip(sign_request),
                &view.at.key("expect"),
                &mut ctx,
            ),
            None => Err(FieldError::new(&view.at, "the step has no `expect`")),
        };
        built.needs_exact_instant |=
            ctx.near_boundary || (view.after_seconds != 0 && ctx.uses_time);
        let mut secrets: Vec<String> = settings
            .secrets()
            .into_iter()
            .map(str::to_string)
            .chain(ctx.secrets)
            .collect();
        secrets.retain(|s| !s.is_empty());
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        match (message, expectation) {
            (Ok(message), Ok(expectation)) => built.steps.push(BuiltStep {
                title: view.title.cloned(),
                message,
                expectation,
                secrets,
            }),
            (message, expectation) => {
                built.problems.extend(message.err());
                built.problems.extend(expectation.err());
            }
        }
    }
    built
}

/// Merge `patch` into the workspace and check that the result is still a workspace.
///
/// A key of the patch's `jwt_keys` may leave out its `secret`: it is then the secret of the key
/// with the same `id` in the workspace being patched, another fixture workspace or the key
/// library (as `key:<id>` finds it), so a patch can rearrange keys without writing a secret.
fn apply_patch(
    workspace: &mut Value,
    patch: &Value,
    at: &FieldPath,
    fixtures: &Fixtures,
) -> Result<(), FieldError> {
    if !patch.is_object() {
        return Err(FieldError::new(
            at,
            "a patch is a mapping, merged into the workspace (RFC 7396)",
        )
        .hint("e.g. `patch: {platforms: {ios: {identity_verification: {enforced: false}}}}`"));
    }
    let patch = &fill_key_secrets(workspace, patch, at, fixtures)?;
    let mut patched = workspace.clone();
    merge_patch(&mut patched, patch);
    let settings: Workspace = serde_json::from_value(patched.clone()).map_err(|error| {
        FieldError::new(at, format!("after this patch the workspace is invalid: {error}"))
            .hint("a patch changes fields of the workspace's own shape (see schema/fixtures.schema.json); null removes a field")
    })?;
    if patch.get("jwt_leeway_seconds").is_some() && settings.jwt_leeway_seconds < 0 {
        return Err(negative_leeway(
            &at.key("jwt_leeway_seconds"),
            settings.jwt_leeway_seconds,
        ));
    }
    let missing: Vec<&str> = crate::contract::Platform::ALL
        .iter()
        .filter(|p| settings.platform(**p).is_none())
        .map(|p| p.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(FieldError::new(at, format!("after this patch the workspace has no {} settings", missing.join(", ")))
            .hint("every workspace configures web, ios and android; to turn a platform's checks off, patch its settings"));
    }
    *workspace = patched;
    Ok(())
}

/// `patch` with the `secret` of every `jwt_keys` entry that leaves it out filled in by key id.
fn fill_key_secrets(
    workspace: &Value,
    patch: &Value,
    at: &FieldPath,
    fixtures: &Fixtures,
) -> Result<Value, FieldError> {
    let mut patch = patch.clone();
    let Some(keys) = patch.get_mut("jwt_keys").and_then(Value::as_array_mut) else {
        return Ok(patch);
    };
    let current: Workspace = serde_json::from_value(workspace.clone())
        .map_err(|error| FieldError::new(at, format!("the workspace is invalid: {error}")))?;
    for (i, key) in keys.iter_mut().enumerate() {
        let Some(key) = key.as_object_mut() else {
            continue;
        };
        if key.contains_key("secret") {
            continue;
        }
        // Without an id the workspace check below says what is missing.
        let Some(id) = key.get("id").and_then(Value::as_str) else {
            continue;
        };
        let Some(known) = super::secret::find_key(id, &current, fixtures) else {
            return Err(FieldError::new(
                &at.key("jwt_keys").index(i),
                format!("key `{id}` has no `secret`, and no key `{id}` is in the workspace or cases/fixtures.yaml to take it from"),
            )
            .hint("write the key's secret, or name a key defined in fixtures.yaml"));
        };
        key.insert("secret".into(), Value::String(known.secret.clone()));
    }
    Ok(patch)
}

/// A workspace's `jwt_leeway_seconds` below 0 (in fixtures.yaml or a patch).
pub(crate) fn negative_leeway(at: &FieldPath, leeway: i64) -> FieldError {
    FieldError::new(
        at,
        format!("`jwt_leeway_seconds` is {leeway}: a leeway is 0 or more seconds"),
    )
    .hint("the leeway widens the window a token is valid in (until exp + leeway, from nbf - leeway); a negative one has no meaning in the contract")
}

fn build_request(
    template: &RequestTemplate,
    at: &FieldPath,
    ctx: &mut StepCtx<'_>,
) -> Result<Value, FieldError> {
    let mut request = Map::new();
    request.insert(
        "action".into(),
        template.action.as_deref().unwrap_or("boot").into(),
    );
    request.insert(
        "platform".into(),
        template.platform.as_deref().unwrap_or("web").into(),
    );
    if let Some(user_id) = &template.user_id {
        request.insert("user_id".into(), user_id.as_str().into());
    }
    if let Some(email) = &template.email {
        request.insert("email".into(), email.as_str().into());
    }
    if let Some(hash) = &template.user_hash {
        // The identifiers as sent: `raw` is applied last, so a member it sets wins (and counts
        // only if it is a string).
        let sent = |name: &str, field: &Option<String>| match template
            .raw
            .as_ref()
            .and_then(|raw| raw.get(name))
        {
            Some(value) => value.as_str().map(str::to_string),
            None => field.clone(),
        };
        let (user_id, email) = (
            sent("user_id", &template.user_id),
            sent("email", &template.email),
        );
        let ids = Identifiers {
            user_id: user_id.as_deref(),
            email: email.as_deref(),
            holder: "the request",
        };
        let hash = build_hash(hash, &at.key("user_hash"), ids, ctx)?;
        request.insert("user_hash".into(), hash.into());
    }
    if let Some(jwt) = &template.jwt {
        request.insert(
            "intercom_user_jwt".into(),
            build_jwt(jwt, &at.key("jwt"), ctx)?.into(),
        );
    }
    if let Some(attributes) = &template.attributes {
        request.insert("attributes".into(), Value::Object(to_object(attributes)));
    }
    for (name, value) in template.raw.iter().flatten() {
        request.insert(name.clone(), value.clone());
    }
    Ok(Value::Object(request))
}

fn build_sign(
    template: &SignTemplate,
    at: &FieldPath,
    ctx: &mut StepCtx<'_>,
) -> Result<SignRequest, FieldError> {
    Ok(SignRequest {
        id: String::new(),
        now: ctx.now,
        mode: template.mode,
        platform: template.platform,
        secret: ctx.secret(&template.secret, &at.key("secret"))?,
        key_id: template.key_id.clone(),
        user: User {
            user_id: template.user.user_id.clone(),
            email: template.user.email.clone(),
        },
        attributes: to_object(&template.attributes),
        expires_in: template.expires_in,
    })
}

fn to_object(map: &indexmap::IndexMap<String, Value>) -> Object {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn build_expectation(
    expect: &Expect,
    sign: Option<(&SignTemplate, &SignRequest)>,
    at: &FieldPath,
    ctx: &mut StepCtx<'_>,
) -> Result<Expectation, FieldError> {
    match (expect.any_of.is_empty(), sign) {
        (true, _) => build_one(expect, sign, at, ctx),
        // A signer `may` case: every listed answer, and, from the signer rules' table, the
        // answers that fail at `should` only.
        (false, Some((_, request))) => Ok(Expectation::SignerAnyOf {
            answers: expect
                .any_of
                .iter()
                .enumerate()
                .map(|(i, entry)| build_one(entry, sign, &at.key("any_of").index(i), ctx))
                .collect::<Result<_, _>>()?,
            should: Expectation::should_for_sign_request(request),
            request: Some(Box::new(request.clone())),
        }),
        (false, None) => Ok(Expectation::AnyOf {
            verdicts: expect.any_of.iter().map(verdict).collect(),
        }),
    }
}

fn build_one(
    expect: &Expect,
    sign: Option<(&SignTemplate, &SignRequest)>,
    at: &FieldPath,
    ctx: &mut StepCtx<'_>,
) -> Result<Expectation, FieldError> {
    match (expect.outcome, sign) {
        (Some(ExpectedOutcome::Refused), sign) => Ok(Expectation::Refused {
            // For naming what a signer that signs anyway did.
            request: sign.map(|(_, request)| Box::new(request.clone())),
        }),
        (Some(ExpectedOutcome::Signed), Some((sign, request))) => match sign.mode {
            SignMode::UserHash => {
                let template = expect
                    .user_hash
                    .as_ref()
                    .ok_or_else(|| FieldError::new(at, "no `user_hash` to expect"))?;
                let ids = Identifiers {
                    user_id: sign.user.user_id.as_deref(),
                    email: sign.user.email.as_deref(),
                    holder: "the user to sign for",
                };
                let user_hash = build_hash(template, &at.key("user_hash"), ids, ctx)?;
                // The signer's own inputs, for the diagnosis of a wrong hash (never serialized).
                Ok(Expectation::UserHash {
                    user_hash,
                    user_id: sign.user.user_id.clone(),
                    email: sign.user.email.clone(),
                    platform: Some(sign.platform),
                    secrets: vec![crate::debug::SecretCandidate::new(
                        "",
                        sign.platform,
                        request.secret.clone(),
                    )],
                })
            }
            SignMode::Jwt => {
                let jwt = expect
                    .jwt
                    .as_ref()
                    .ok_or_else(|| FieldError::new(at, "no `jwt` to expect"))?;
                let at = at.key("jwt");
                let secret = ctx.secret(&jwt.secret, &at.key("secret"))?;
                let header = match &jwt.header {
                    Some(header) => to_object(header),
                    None => {
                        let mut header = Object::new();
                        header.insert("alg".into(), "HS256".into());
                        if let Some(kid) = &sign.key_id {
                            header.insert("kid".into(), kid.as_str().into());
                        }
                        header
                    }
                };
                let mut claims = Object::new();
                for (name, value) in &jwt.claims {
                    claims.insert(
                        name.clone(),
                        ctx.claim_value(value, &at.key("claims").key(name))?,
                    );
                }
                Ok(Expectation::Jwt {
                    secret,
                    header,
                    claims,
                })
            }
        },
        _ => Ok(Expectation::Verdict(verdict(expect))),
    }
}

/// A verifier expectation in full: omitted identity is null, omitted verified is false, omitted
/// attribute maps are empty.
fn verdict(expect: &Expect) -> ExpectedVerdict {
    let outcome = match expect.outcome {
        Some(ExpectedOutcome::Rejected) => Outcome::Rejected,
        _ => Outcome::Accepted,
    };
    ExpectedVerdict {
        outcome,
        error: expect.error,
        also: expect.also.clone(),
        verified: expect.verified.unwrap_or(false),
        identity: expect.identity.as_ref().map(|identity| Identity {
            user_id: identity.user_id.clone(),
            email: identity.email.clone(),
        }),
        applied: expect.applied.as_ref().map(to_object).unwrap_or_default(),
        dropped: expect
            .dropped
            .iter()
            .flatten()
            .map(|(name, reason)| (name.clone(), *reason))
            .collect::<BTreeMap<String, DropReason>>(),
    }
}
