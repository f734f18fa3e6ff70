//! Which implementations a comparison runs: `--impl NAME=VALUE` and the `--manifest` file.

use std::path::Path;

use serde::Deserialize;

/// How an implementation is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An adapter command and its arguments (exec transport).
    Command(Vec<String>),
    /// A URL the messages are POSTed to (http transport).
    Url(String),
    /// `reference`, or `broken/NAME`: built into the harness.
    Builtin(String),
}

/// One implementation to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImplementationSpec {
    pub name: String,
    pub target: Target,
    /// Its expectations file (known failures with reasons).
    pub expectations: Option<String>,
    /// How the implementation is configured, in words (for the ecosystem page).
    pub configuration: Option<String>,
}

/// The manifest file: `implementations:`, each with `name` and one of `command` (an argv list),
/// `url` or `builtin`, and optionally `expectations` and `configuration`. Paths are relative
/// to the directory compare runs in.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    implementations: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    #[serde(default)]
    command: Option<Vec<String>>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    builtin: Option<String>,
    #[serde(default)]
    expectations: Option<String>,
    #[serde(default)]
    configuration: Option<String>,
}

/// Why an implementation list (`--impl`, a manifest) cannot be used: each says what to give.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error(
        "`{0}` cannot name an implementation: it names its report directory, so use letters, \
         digits, `.`, `_` and `-` (at most 64, not `.`, `..` or `badges`)"
    )]
    Name(String),
    #[error("--impl `{0}` has no `=`: give NAME='COMMAND ARGS', NAME=http://HOST:PORT/PATH or NAME=builtin:reference")]
    NoEquals(String),
    #[error("--impl {name}: `{value}` cannot be split into words (an unclosed quote?)")]
    Unsplittable { name: String, value: String },
    #[error("--impl {0}: the command is empty")]
    EmptyCommand(String),
    #[error("cannot read the manifest {path}: {error}")]
    Read { path: String, error: String },
    #[error("the manifest {path}: {error}")]
    In {
        path: String,
        error: Box<ManifestError>,
    },
    #[error(
        "{0}; expected `implementations:`, a list of entries with `name` and one of `command` \
         (a list), `url` or `builtin`, and optionally `expectations` and `configuration`"
    )]
    Shape(String),
    #[error("implementation `{0}` needs exactly one of `command` (a non-empty list), `url` or `builtin`")]
    Target(String),
    #[error("two implementations are called `{0}`: each needs a name of its own (it names its report directory)")]
    Twice(String),
}

/// A name that is also a directory name in the report: letters, digits, `.`, `_`, `-`.
pub fn check_name(name: &str) -> Result<(), ManifestError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name != "."
        && name != ".."
        && name != "badges"
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ManifestError::Name(name.to_string()))
    }
}

/// Parse `--impl NAME=VALUE`: `http://...`/`https://...` is a URL, `builtin:NAME` a built-in
/// implementation, anything else a command, split as a POSIX shell splits words.
pub fn parse_impl(text: &str) -> Result<ImplementationSpec, ManifestError> {
    let Some((name, value)) = text.split_once('=') else {
        return Err(ManifestError::NoEquals(text.to_string()));
    };
    check_name(name)?;
    let target = if value.starts_with("http://") || value.starts_with("https://") {
        Target::Url(value.to_string())
    } else if let Some(builtin) = value.strip_prefix("builtin:") {
        Target::Builtin(builtin.to_string())
    } else {
        let words = shlex::split(value).ok_or_else(|| ManifestError::Unsplittable {
            name: name.to_string(),
            value: value.to_string(),
        })?;
        if words.is_empty() {
            return Err(ManifestError::EmptyCommand(name.to_string()));
        }
        Target::Command(words)
    };
    Ok(ImplementationSpec {
        name: name.to_string(),
        target,
        expectations: None,
        configuration: None,
    })
}

/// Read a manifest file.
pub fn load(path: &Path) -> Result<Vec<ImplementationSpec>, ManifestError> {
    let text = crate::input::read_text(path, crate::input::FILE_LIMIT).map_err(|e| {
        ManifestError::Read {
            path: path.display().to_string(),
            error: e.to_string(),
        }
    })?;
    parse(&text).map_err(|e| ManifestError::In {
        path: path.display().to_string(),
        error: Box::new(e),
    })
}

/// Parse a manifest's text.
pub fn parse(text: &str) -> Result<Vec<ImplementationSpec>, ManifestError> {
    let manifest: Manifest =
        serde_saphyr::from_str(text).map_err(|e| ManifestError::Shape(e.to_string()))?;
    manifest
        .implementations
        .into_iter()
        .map(|entry| {
            check_name(&entry.name)?;
            let target = match (entry.command, entry.url, entry.builtin) {
                (Some(command), None, None) if !command.is_empty() => Target::Command(command),
                (None, Some(url), None) => Target::Url(url),
                (None, None, Some(builtin)) => Target::Builtin(builtin),
                _ => return Err(ManifestError::Target(entry.name)),
            };
            Ok(ImplementationSpec {
                name: entry.name,
                target,
                expectations: entry.expectations,
                configuration: entry.configuration,
            })
        })
        .collect()
}

/// Refuse two implementations of one name.
pub fn check_unique(specs: &[ImplementationSpec]) -> Result<(), ManifestError> {
    let mut seen = std::collections::BTreeSet::new();
    for spec in specs {
        if !seen.insert(spec.name.as_str()) {
            return Err(ManifestError::Twice(spec.name.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impl_values_split_as_a_shell_would() {
        let spec = parse_impl("py=python3 'my adapter.py' --key \"a b\"").unwrap();
        assert_eq!(
            spec.target,
            Target::Command(vec![
                "python3".into(),
                "my adapter.py".into(),
                "--key".into(),
                "a b".into()
            ])
        );
        assert_eq!(
            parse_impl("h=http://127.0.0.1:8080/x").unwrap().target,
            Target::Url("http://127.0.0.1:8080/x".into())
        );
        assert_eq!(
            parse_impl("r=builtin:reference").unwrap().target,
            Target::Builtin("reference".into())
        );
        assert!(parse_impl("noequals").is_err());
        assert!(parse_impl("a=python3 'open").is_err());
        assert!(parse_impl("../x=python3").is_err());
        assert!(parse_impl("a=").is_err());
    }

    #[test]
    fn manifests_need_one_target_each() {
        let specs = parse(
            "implementations:\n  - {name: r, builtin: reference}\n  - name: n\n    command: [node, a.js]\n    expectations: e.yaml\n",
        )
        .unwrap();
        assert_eq!(
            specs[1].target,
            Target::Command(vec!["node".into(), "a.js".into()])
        );
        assert_eq!(specs[1].expectations.as_deref(), Some("e.yaml"));
        assert!(
            parse("implementations:\n  - {name: r, builtin: reference, url: http://x}\n").is_err()
        );
        assert!(parse("implementations:\n  - {name: r}\n").is_err());
        assert!(parse("implementations:\n  - {name: r, builtin: reference, extra: 1}\n").is_err());
        assert!(check_unique(&specs).is_ok());
        let twice = parse("implementations:\n  - {name: r, builtin: reference}\n  - {name: r, builtin: reference}\n").unwrap();
        assert!(check_unique(&twice).is_err());
    }
}
