//! Checking raw messages against the protocol's published JSON Schema
//! ([`crate::contract::schema::protocol_schema`]), for `smoke` and `run --validate-protocol`.
//!
//! The schema document says "a message is a `ToAdapter` or a `FromAdapter`". Checked as a whole,
//! a `hello` answer also matches the `hello` request (which needs only `protocol`), and every
//! failure reads "not valid under any of the schemas listed in oneOf". So each direction is
//! checked on its own, against the one variant the message's `type` names: the errors then point
//! at the field that is wrong (`/outcome: "ok" is not one of "accepted" or "rejected"`).

use std::sync::OnceLock;

use serde_json::Value;

use crate::contract::schema::protocol_schema;

/// One direction of the protocol: a validator per message `type`.
struct Direction {
    variants: Vec<(String, jsonschema::Validator)>,
}

struct Schemas {
    to_adapter: Direction,
    from_adapter: Direction,
}

fn schemas() -> Result<&'static Schemas, String> {
    static SCHEMAS: OnceLock<Result<Schemas, String>> = OnceLock::new();
    SCHEMAS.get_or_init(build).as_ref().map_err(Clone::clone)
}

fn build() -> Result<Schemas, String> {
    let schema = protocol_schema();
    let definitions = schema.get("definitions").cloned().unwrap_or(Value::Null);
    let direction = |name: &str| -> Result<Direction, String> {
        let branches = definitions
            .get(name)
            .and_then(|d| d.get("oneOf"))
            .and_then(Value::as_array)
            .ok_or_else(|| format!("the protocol schema has no variants for {name}"))?;
        let mut variants = Vec::new();
        for branch in branches {
            let Some(type_name) = variant_type(branch) else {
                continue;
            };
            let mut variant = branch.clone();
            if let Some(object) = variant.as_object_mut() {
                object.insert("definitions".into(), definitions.clone());
            }
            let validator = jsonschema::draft7::new(&variant).map_err(|error| {
                format!("the protocol schema for `{type_name}` does not compile: {error}")
            })?;
            variants.push((type_name, validator));
        }
        Ok(Direction { variants })
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
        let Some((_, validator)) = self.variants.iter().find(|(name, _)| name == type_name) else {
            return Err(vec![format!(
                "/type: \"{type_name}\" is not one of {}",
                known()
            )]);
        };
        let problems: Vec<String> = validator
            .iter_errors(message)
            .map(|error| {
                let path = error.instance_path().to_string();
                if path.is_empty() {
                    error.to_string()
                } else {
                    format!("{path}: {error}")
                }
            })
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// Checks a message an implementation sent (a `FromAdapter`). `Err` lists every problem, each
/// with the JSON pointer of the offending value.
pub fn answer(message: &Value) -> Result<(), Vec<String>> {
    schemas()
        .map_err(|error| vec![error])?
        .from_adapter
        .check(message)
}

/// Checks a message the harness sends (a `ToAdapter`): the schema's other half, so a test can
/// show that what the harness sends is what the schema publishes.
pub fn request(message: &Value) -> Result<(), Vec<String>> {
    schemas()
        .map_err(|error| vec![error])?
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
