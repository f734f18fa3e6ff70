//! The protocol's JSON Schema (draft-07), generated from the wire types so it cannot drift.

use schemars::generate::SchemaSettings;
use serde_json::{json, Map, Value};

use super::{FromAdapter, ToAdapter};

/// One schema document with both directions under `definitions`; a message matches either.
pub fn protocol_schema() -> Value {
    let generator = SchemaSettings::draft07().into_generator();
    let roots = [
        (
            "ToAdapter",
            generator
                .clone()
                .into_root_schema_for::<ToAdapter>()
                .to_value(),
        ),
        (
            "FromAdapter",
            generator.into_root_schema_for::<FromAdapter>().to_value(),
        ),
    ];
    let mut definitions = Map::new();
    for (name, mut root) in roots {
        if let Some(obj) = root.as_object_mut() {
            // Each root carries its own `definitions`; one document holds them all.
            if let Some(Value::Object(defs)) = obj.remove("definitions") {
                definitions.extend(defs);
            }
            obj.remove("$schema");
        }
        definitions.insert(name.to_string(), root);
    }
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "messenger-conformance adapter protocol v1",
        "description": "Every message exchanged between the harness and an adapter. ToAdapter: harness to implementation; FromAdapter: implementation to harness.",
        "oneOf": [
            {"$ref": "#/definitions/ToAdapter"},
            {"$ref": "#/definitions/FromAdapter"}
        ],
        "definitions": definitions
    })
}
