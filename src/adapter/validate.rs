//! Checking raw messages against the protocol's published JSON Schema
//! ([`crate::contract::schema::protocol_schema`]), for `smoke` and `run --validate-protocol`.
//!
//! The schema document says "a message is a `ToAdapter` or a `FromAdapter`". Checked as a whole,
//! a `hello` answer also matches the `hello` request (which needs only `protocol`), and every
//! failure reads "not valid under any of the schemas listed in oneOf". So each direction is
//! checked on its own, against the one variant the message's `type` names: the errors then point
//! at the field that is wrong (`/outcome: "ok" is not one of "accepted" or "rejected"`).
//!
//! The validator is `boon` (drafts 4 to 2020-12, the official test suite): it replaced
//! `jsonschema`, whose build cost twice as much (Cargo.toml says how it was measured). Its
//! error tree is worded here, one line per failing value.

use std::sync::OnceLock;

use serde_json::Value;

use crate::contract::schema::protocol_schema;

/// One direction of the protocol: a compiled schema per message `type`.
struct Direction {
    schemas: boon::Schemas,
    variants: Vec<(String, boon::SchemaIndex)>,
}

struct Schemas {
    to_adapter: Direction,
    from_adapter: Direction,
}

/// Why the published schema cannot check messages (a bug of the harness, never of an adapter).
#[derive(Debug, Clone, thiserror::Error)]
enum SchemaError {
    #[error("the protocol schema has no variants for {0}")]
    NoVariants(String),
    #[error("the protocol schema for `{type_name}` does not compile: {error}")]
    NotCompiled {
        type_name: String,
        /// boon's error, in words (its type is not `Clone`, and the built schemas are kept).
        error: String,
    },
}

fn schemas() -> Result<&'static Schemas, SchemaError> {
    static SCHEMAS: OnceLock<Result<Schemas, SchemaError>> = OnceLock::new();
    SCHEMAS.get_or_init(build).as_ref().map_err(Clone::clone)
}

fn build() -> Result<Schemas, SchemaError> {
    let schema = protocol_schema();
    let definitions = schema.get("definitions").cloned().unwrap_or(Value::Null);
    let direction = |name: &str| -> Result<Direction, SchemaError> {
        let branches = definitions
            .get(name)
            .and_then(|d| d.get("oneOf"))
            .and_then(Value::as_array)
            .ok_or_else(|| SchemaError::NoVariants(name.to_string()))?;
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.set_default_draft(boon::Draft::V7);
        let mut variants = Vec::new();
        for branch in branches {
            let Some(type_name) = variant_type(branch) else {
                continue;
            };
            let mut variant = branch.clone();
            if let Some(object) = variant.as_object_mut() {
                object.insert("definitions".into(), definitions.clone());
            }
            let location = format!("urn:messenger-conformance:{name}:{type_name}");
            let not_compiled = |error: boon::CompileError| SchemaError::NotCompiled {
                type_name: type_name.clone(),
                error: format!("{error:#}"),
            };
            compiler
                .add_resource(&location, variant)
                .map_err(not_compiled)?;
            let compiled = compiler
                .compile(&location, &mut schemas)
                .map_err(not_compiled)?;
            variants.push((type_name, compiled));
        }
        Ok(Direction { schemas, variants })
    };
    Ok(Schemas {
        to_adapter: direction("ToAdapter")?,
        from_adapter: direction("FromAdapter")?,
    })
}

/// The `type` a oneOf branch of a tagged enum stands for (`const`, or a one-value `enum`).
fn variant_type(branch: &Value) -> Option<String> {
    let tag = branch.get("properties")?.get("type")?;
    let value = tag.get("const").or_else(|| {
        tag.get("enum")
            .and_then(|e| e.as_array())
            .and_then(|e| e.first())
    })?;
    value.as_str().map(str::to_string)
}

impl Direction {
    fn check(&self, message: &Value) -> Result<(), Vec<String>> {
        let known = || {
            self.variants
                .iter()
                .map(|(name, _)| format!("\"{name}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let Some(object) = message.as_object() else {
            return Err(vec![format!(
                "a message is a JSON object, not {}",
                crate::reference::json::kind(message)
            )]);
        };
        let type_name = match object.get("type") {
            Some(Value::String(name)) => name,
            Some(other) => {
                return Err(vec![format!(
                    "/type: {other} is not a string; it is one of {}",
                    known()
                )])
            }
            None => {
                return Err(vec![format!(
                    "\"type\" is a required property (one of {})",
                    known()
                )])
            }
        };
        let Some((_, index)) = self.variants.iter().find(|(name, _)| name == type_name) else {
            return Err(vec![format!(
                "/type: \"{type_name}\" is not one of {}",
                known()
            )]);
        };
        let mut problems = Vec::new();
        if let Err(error) = self.schemas.validate(message, *index) {
            describe(&error, message, &mut problems);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// One line per failing leaf of boon's error tree, each with the JSON pointer of the offending
/// value: `/id: 7 is not of type "string"`. A value that matches none of the alternatives of an
/// `anyOf`/`oneOf` is one line listing why each alternative failed.
fn describe(error: &boon::ValidationError, message: &Value, out: &mut Vec<String>) {
    use boon::ErrorKind;
    match &error.kind {
        ErrorKind::AnyOf | ErrorKind::OneOf(None) => {
            let mut reasons = Vec::new();
            for cause in &error.causes {
                describe(cause, message, &mut reasons);
            }
            // Each alternative failed at this same value: its path is said once, in front.
            let prefix = format!("{}: ", error.instance_location);
            for reason in &mut reasons {
                if let Some(rest) = reason.strip_prefix(&prefix) {
                    *reason = rest.to_string();
                }
            }
            out.push(located(
                error,
                format!(
                    "matches none of the allowed forms ({})",
                    reasons.join("; or ")
                ),
            ));
        }
        _ if !error.causes.is_empty() => {
            for cause in &error.causes {
                describe(cause, message, out);
            }
        }
        kind => {
            let location = error.instance_location.to_string();
            let value = message
                .pointer(&location)
                .map_or_else(|| "the value".to_string(), Value::to_string);
            let text = match kind {
                ErrorKind::Type { want, .. } => {
                    format!("{value} is not of type {}", quoted(want.iter(), " or "))
                }
                ErrorKind::Enum { want } => {
                    let mut names: Vec<String> = want.iter().map(Value::to_string).collect();
                    let last = names.pop().unwrap_or_default();
                    if names.is_empty() {
                        format!("{value} is not {last}")
                    } else {
                        format!("{value} is not one of {} or {last}", names.join(", "))
                    }
                }
                ErrorKind::Const { want } => format!("{value} is not {want}"),
                ErrorKind::Required { want } => format!(
                    "{} {} required",
                    quoted(want.iter(), ", "),
                    if want.len() == 1 { "is" } else { "are" }
                ),
                ErrorKind::AdditionalProperties { got } => {
                    format!("{} not allowed here", quoted(got.iter(), ", "))
                }
                other => other.to_string(),
            };
            out.push(located(error, text));
        }
    }
}

/// Each name in double quotes, joined by `separator`.
fn quoted(names: impl Iterator<Item = impl std::fmt::Display>, separator: &str) -> String {
    names
        .map(|name| format!("\"{name}\""))
        .collect::<Vec<_>>()
        .join(separator)
}

fn located(error: &boon::ValidationError, text: String) -> String {
    let path = error.instance_location.to_string();
    if path.is_empty() {
        text
    } else {
        format!("{path}: {text}")
    }
}

/// Checks a message an implementation sent (a `FromAdapter`). `Err` lists every problem, each
/// with the JSON pointer of the offending value.
pub fn answer(message: &Value) -> Result<(), Vec<String>> {
    schemas()
        .map_err(|error| vec![error.to_string()])?
        .from_adapter
        .check(message)
}

/// Checks a message the harness sends (a `ToAdapter`): the schema's other half, so a test can
/// show that what the harness sends is what the schema publishes.
pub fn request(message: &Value) -> Result<(), Vec<String>> {
    schemas()
        .map_err(|error| vec![error.to_string()])?
        .to_adapter
        .check(message)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::contract::{FromAdapter, HelloRequest, ToAdapter};

    #[test]
    fn what_the_harness_sends_and_the_reference_answers_match_the_schema() {
        let hello = serde_json::to_value(ToAdapter::Hello(HelloRequest { protocol: 1 })).unwrap();
        assert_eq!(request(&hello), Ok(()));
        assert_eq!(request(&json!({"type": "bye"})), Ok(()));
        let reply =
            serde_json::to_value(FromAdapter::Hello(crate::reference::Reference::hello())).unwrap();
        assert_eq!(answer(&reply), Ok(()));
    }

    #[test]
    fn problems_point_at_the_field() {
        let verdict = json!({"type": "verdict", "id": 7, "outcome": "ok", "verified": true, "identity": null});
        let problems = answer(&verdict).unwrap_err();
        assert!(
            problems.contains(&"/id: 7 is not of type \"string\"".to_string()),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("/outcome: \"ok\" is not one of")),
            "{problems:?}"
        );
    }

    #[test]
    fn missing_members_wrong_types_and_alternatives_are_each_one_line() {
        assert_eq!(
            answer(&json!({"type": "verdict", "id": "x"})).unwrap_err(),
            [r#""outcome", "verified" are required"#]
        );
        assert_eq!(
            answer(&json!({"type": "verdict", "id": "x", "outcome": "accepted", "verified": true, "identity": 5}))
                .unwrap_err(),
            [r#"/identity: matches none of the allowed forms (5 is not of type "object"; or 5 is not of type "null")"#]
        );
        assert_eq!(
            answer(&json!({"type": "signed", "id": "x", "user_hash": 5})).unwrap_err(),
            [r#"/user_hash: 5 is not of type "null" or "string""#]
        );
        let hello = json!({"type": "hello", "protocol": "1", "roles": ["verifier", "x"]});
        assert_eq!(
            answer(&hello).unwrap_err(),
            [
                r#""implementation", "clock" are required"#,
                r#"/protocol: "1" is not of type "integer""#,
                r#"/roles/1: "x" is not one of "verifier" or "signer""#,
            ]
        );
    }

    #[test]
    fn an_unknown_type_names_the_known_ones() {
        let problems = answer(&json!({"type": "verdikt", "id": "x"})).unwrap_err();
        assert_eq!(
            problems,
            ["/type: \"verdikt\" is not one of \"hello\", \"verdict\", \"signed\", \"refused\", \"unsupported\""]
        );
        assert_eq!(
            answer(&json!([1])).unwrap_err(),
            ["a message is a JSON object, not an array"]
        );
    }
}
