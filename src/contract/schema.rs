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

/// Compares `schema/{file}` with the generated `schema`, and fails when they differ. With
/// `UPDATE_SCHEMA=1` a stale file is rewritten, and the test still fails (saying so): an update
/// is reviewed, never a pass. `source` names the types it is generated from, `tests` the test
/// module that checks it.
#[cfg(test)]
pub(crate) fn check_committed(file: &str, schema: Value, source: &str, tests: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schema")
        .join(file);
    let generated = serde_json::to_string_pretty(&schema).expect("a schema serializes") + "\n";
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .replace("\r\n", "\n");
    if committed == generated {
        return;
    }
    if std::env::var("UPDATE_SCHEMA").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().expect("schema/ has a parent"))
            .expect("create schema/");
        std::fs::write(&path, &generated).expect("write the schema");
        panic!(
            "UPDATE_SCHEMA=1: schema/{file} was out of date with {source} and has been \
             rewritten. Review the diff, then run the tests again without UPDATE_SCHEMA."
        );
    }
    panic!(
        "schema/{file} is out of date with {source}; regenerate it with \
         `UPDATE_SCHEMA=1 cargo test --lib {tests}` and review the diff"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{Capability, FromAdapter};

    #[test]
    fn protocol_schema_is_committed() {
        check_committed(
            "protocol.schema.json",
            protocol_schema(),
            "src/contract/mod.rs",
            "contract::schema",
        );
    }

    fn hello(lacks: Option<Value>) -> Value {
        let mut hello = json!({"type": "hello", "protocol": 1,
            "implementation": {"name": "x", "version": "1"},
            "roles": ["signer"], "clock": "injected"});
        if let Some(lacks) = lacks {
            hello["lacks"] = lacks;
        }
        hello
    }

    #[test]
    fn lacks_is_optional_and_names_only_known_capabilities() {
        let parse = |value: Value| serde_json::from_value::<FromAdapter>(value);
        let Ok(FromAdapter::Hello(plain)) = parse(hello(None)) else {
            panic!("a hello without `lacks` parses")
        };
        assert!(plain.lacks.is_empty(), "no `lacks`: nothing lacking");
        let Ok(FromAdapter::Hello(hash_only)) = parse(hello(Some(json!(["sign_jwt"])))) else {
            panic!("a hello with `lacks` parses")
        };
        assert_eq!(hash_only.lacks, [Capability::SignJwt]);
        assert!(parse(hello(Some(json!(["verify_jwt"])))).is_err());
        assert!(parse(hello(Some(json!("sign_jwt")))).is_err());
        // The names are the ones the schema lists, and serialise back as sent; none is written
        // when nothing is lacking.
        for capability in Capability::ALL {
            assert_eq!(json!(capability), json!(capability.as_str()));
        }
        let text = serde_json::to_string(&FromAdapter::Hello(plain)).unwrap();
        assert!(!text.contains("lacks"), "{text}");
        let listed = &protocol_schema()["definitions"]["Capability"];
        assert!(
            listed.to_string().contains("ill_typed_requests"),
            "{listed}"
        );
    }
}
