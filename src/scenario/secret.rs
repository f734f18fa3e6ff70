//! Secret references: how a case names a secret without writing it.
//!
//! `web`, `ios`, `android`: this workspace's identity verification secret for that platform (the
//! step's workspace, patches applied). `test/web`: another fixture workspace's (as defined in
//! fixtures.yaml). `key:k-web`: a JWT key's secret, looked up in the step's workspace, then in the
//! fixture key library. `literal:some text`: the text after the colon. `empty`: the empty string.

use crate::contract::{JwtKey, Platform, Workspace};

use super::model::Fixtures;
use super::typo::closest;

/// A parsed secret reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SecretRef<'a> {
    /// This workspace's identity verification secret.
    Platform(Platform),
    /// Another fixture workspace's identity verification secret.
    Fixture {
        workspace: &'a str,
        platform: Platform,
    },
    /// A JWT key's secret.
    Key(&'a str),
    Literal(&'a str),
    Empty,
}

/// The accepted forms, for error messages.
pub(crate) const SECRET_FORMS: &str =
    "web, ios, android, <workspace>/<platform> (e.g. test/web), key:<key id>, literal:<text> or empty";

/// A secret reference that cannot be resolved, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SecretError {
    pub message: String,
    pub hint: Option<String>,
}

impl<'a> SecretRef<'a> {
    pub(crate) fn parse(text: &'a str) -> Result<SecretRef<'a>, SecretError> {
        if let Some(literal) = text.strip_prefix("literal:") {
            return Ok(SecretRef::Literal(literal));
        }
        if let Some(key) = text.strip_prefix("key:") {
            if key.is_empty() {
                return Err(bad(text, Some("name the key: `key:k-web`".into())));
            }
            return Ok(SecretRef::Key(key));
        }
        if text == "empty" {
            return Ok(SecretRef::Empty);
        }
        if let Some(platform) = Platform::parse(text) {
            return Ok(SecretRef::Platform(platform));
        }
        if let Some((workspace, platform)) = text.split_once('/') {
            return match Platform::parse(platform) {
                Some(platform) if !workspace.is_empty() => Ok(SecretRef::Fixture {
                    workspace,
                    platform,
                }),
                _ => Err(bad(
                    text,
                    Some(format!(
                        "after the `/` comes web, ios or android: `{workspace}/web`"
                    )),
                )),
            };
        }
        let hint = closest(
            text,
            &["web", "ios", "android", "empty", "key:", "literal:"],
        )
        .map(|best| format!("did you mean `{best}`?"));
        Err(bad(text, hint))
    }

    /// The secret's value, for a step whose workspace is `workspace`.
    pub(crate) fn resolve(
        self,
        workspace: &Workspace,
        fixtures: &Fixtures,
    ) -> Result<String, SecretError> {
        match self {
            SecretRef::Platform(platform) => platform_secret(workspace, platform),
            SecretRef::Fixture {
                workspace: name,
                platform,
            } => match fixtures.workspaces.get(name) {
                Some(other) => platform_secret(other, platform),
                None => Err(unknown_workspace(name, fixtures)),
            },
            SecretRef::Key(id) => match find_key(id, workspace, fixtures) {
                Some(key) => Ok(key.secret.clone()),
                None => Err(unknown_key(id, workspace, fixtures)),
            },
            SecretRef::Literal(text) => Ok(text.to_string()),
            SecretRef::Empty => Ok(String::new()),
        }
    }
}

fn bad(text: &str, hint: Option<String>) -> SecretError {
    SecretError {
        message: format!("bad secret reference `{text}`: expected {SECRET_FORMS}"),
        hint,
    }
}

fn platform_secret(workspace: &Workspace, platform: Platform) -> Result<String, SecretError> {
    match workspace.platform(platform) {
        Some(settings) => Ok(settings.identity_verification.secret.clone()),
        None => Err(SecretError {
            message: format!("workspace `{}` has no {platform} settings", workspace.name),
            hint: None,
        }),
    }
}

/// A JWT key by id: the step's workspace first (a patch may have added or changed a key), then
/// every key fixtures.yaml defines (in any workspace, or in the key library; the loader makes
/// sure a key id means one secret throughout). So a case can still sign with a key that a patch
/// rotated out of its workspace.
pub(crate) fn find_key<'a>(
    id: &str,
    workspace: &'a Workspace,
    fixtures: &'a Fixtures,
) -> Option<&'a JwtKey> {
    let fixture_keys = fixtures.workspaces.values().flat_map(|ws| &ws.jwt_keys);
    workspace
        .jwt_keys
        .iter()
        .chain(fixture_keys)
        .chain(&fixtures.keys)
        .find(|key| key.id == id)
}

pub(crate) fn unknown_workspace(name: &str, fixtures: &Fixtures) -> SecretError {
    let known: Vec<&str> = fixtures.workspaces.keys().map(String::as_str).collect();
    let mut hint = format!(
        "fixture workspaces (cases/fixtures.yaml): {}",
        known.join(", ")
    );
    if let Some(best) = closest(name, &known) {
        hint = format!("did you mean `{best}`? {hint}");
    }
    SecretError {
        message: format!("unknown fixture workspace `{name}`"),
        hint: Some(hint),
    }
}

pub(crate) fn unknown_key(id: &str, workspace: &Workspace, fixtures: &Fixtures) -> SecretError {
    let own: Vec<&str> = workspace.jwt_keys.iter().map(|k| k.id.as_str()).collect();
    let mut others: Vec<&str> = fixtures
        .workspaces
        .values()
        .flat_map(|ws| &ws.jwt_keys)
        .chain(&fixtures.keys)
        .map(|k| k.id.as_str())
        .filter(|k| !own.contains(k))
        .collect();
    others.dedup();
    let all: Vec<&str> = own.iter().chain(&others).copied().collect();
    let show = |ids: &[&str]| {
        if ids.is_empty() {
            "none".to_string()
        } else {
            ids.join(", ")
        }
    };
    let mut hint = format!(
        "keys of workspace `{}`: {}; other keys in fixtures.yaml: {}",
        workspace.name,
        show(&own),
        show(&others)
    );
    if let Some(best) = closest(id, &all) {
        hint = format!("did you mean `{best}`? {hint}");
    }
    SecretError {
        message: format!("unknown key `{id}`"),
        hint: Some(hint),
    }
}

impl super::Suite {
    /// Every secret the suite knows: the fixture workspaces' secrets, the fixture key library,
    /// and those the cases' own steps make up (`literal:` secrets, patched keys). A run keeps
    /// each of them out of every output.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets: Vec<String> = self
            .fixtures
            .workspaces
            .values()
            .flat_map(|w| w.secrets().into_iter().map(str::to_string))
            .chain(self.fixtures.keys.iter().map(|k| k.secret.clone()))
            .collect();
        for case in &self.cases {
            if let Ok(steps) = case.build(case.now) {
                secrets.extend(steps.into_iter().flat_map(|s| s.secrets));
            }
        }
        secrets.retain(|s| !s.is_empty());
        secrets.sort();
        secrets.dedup();
        secrets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> Fixtures {
        serde_json::from_value(serde_json::json!({
            "workspaces": {
                "production": workspace("production", "p"),
                "test": workspace("test", "t"),
            },
            "keys": [{"id": "k-retired", "secret": "retired-secret", "platforms": ["web"]}]
        }))
        .unwrap()
    }

    fn workspace(name: &str, prefix: &str) -> serde_json::Value {
        let platform = |p: &str| {
            serde_json::json!({
                "identity_verification": {"secret": format!("{prefix}-{p}"), "enforced": true},
                "jwt": {"enabled": p == "web"}
            })
        };
        serde_json::json!({
            "name": name,
            "platforms": {"web": platform("web"), "ios": platform("ios"), "android": platform("android")},
            "jwt_keys": [{"id": format!("k-{prefix}"), "secret": format!("{prefix}-jwt"), "platforms": ["web"]}]
        })
    }

    fn resolve(text: &str) -> Result<String, SecretError> {
        let fixtures = fixtures();
        let production = fixtures.workspaces["production"].clone();
        SecretRef::parse(text)?.resolve(&production, &fixtures)
    }

    #[test]
    fn resolves_every_form() {
        assert_eq!(resolve("web").unwrap(), "p-web");
        assert_eq!(resolve("android").unwrap(), "p-android");
        assert_eq!(resolve("test/ios").unwrap(), "t-ios");
        assert_eq!(resolve("key:k-p").unwrap(), "p-jwt");
        assert_eq!(resolve("key:k-retired").unwrap(), "retired-secret");
        assert_eq!(
            resolve("literal:some text: with colon").unwrap(),
            "some text: with colon"
        );
        assert_eq!(resolve("literal:").unwrap(), "");
        assert_eq!(resolve("empty").unwrap(), "");
    }

    #[test]
    fn explains_what_is_wrong() {
        let error = resolve("wbe").unwrap_err();
        assert!(error
            .message
            .starts_with("bad secret reference `wbe`: expected web, ios"));
        assert_eq!(error.hint.as_deref(), Some("did you mean `web`?"));
        assert!(resolve("test/desktop")
            .unwrap_err()
            .message
            .starts_with("bad secret reference"));
        let error = resolve("prod/web").unwrap_err();
        assert_eq!(error.message, "unknown fixture workspace `prod`");
        assert!(error
            .hint
            .unwrap()
            .starts_with("did you mean `production`?"));
        // Keys of other fixture workspaces sign too (a case may rotate a key out and still sign).
        assert_eq!(resolve("key:k-t").unwrap(), "t-jwt");
        let error = resolve("key:k-x").unwrap_err();
        assert_eq!(error.message, "unknown key `k-x`");
        assert!(error.hint.unwrap().contains(
            "keys of workspace `production`: k-p; other keys in fixtures.yaml: k-t, k-retired"
        ));
        assert!(resolve("key:").is_err());
    }
}
