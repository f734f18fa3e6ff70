//! JSON Schemas (draft-07) of the case format, for editors: every case file starts with
//! `# yaml-language-server: $schema=../../schema/case.schema.json`, and `fixtures.yaml` with
//! `# yaml-language-server: $schema=../schema/fixtures.schema.json`.
//!
//! Generated from [`model`](super::model), so they cannot drift; a test compares them with the
//! committed files under `schema/` (`UPDATE_SCHEMA=1 cargo test --lib scenario::schema` rewrites
//! a stale one and still fails, so the rewrite is reviewed).

use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde_json::Value;

use super::model::{CaseFile, Fixtures};

/// The schema of a case file (`cases/<area>/<topic>.yaml`).
pub fn case_schema() -> Value {
    schema_for::<CaseFile>("messenger-conformance case file")
}

/// The schema of `cases/fixtures.yaml`.
pub fn fixtures_schema() -> Value {
    schema_for::<Fixtures>("messenger-conformance fixtures")
}

fn schema_for<T: JsonSchema>(title: &str) -> Value {
    let generated = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value();
    let Value::Object(mut members) = generated else {
        return generated;
    };
    // `$schema`, `title` and `description` first, for whoever reads the file.
    let mut schema = serde_json::Map::new();
    schema.insert(
        "$schema".into(),
        members.shift_remove("$schema").unwrap_or(Value::Null),
    );
    schema.insert("title".into(), title.into());
    members.shift_remove("title");
    if let Some(description) = members.shift_remove("description") {
        schema.insert("description".into(), description);
    }
    schema.extend(members);
    Value::Object(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compares the committed schema with the generated one. With `UPDATE_SCHEMA=1` a stale file
    /// is rewritten, and the test still fails (saying so): an update is reviewed, never a pass.
    fn check(file: &str, schema: Value) {
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
                "UPDATE_SCHEMA=1: schema/{file} was out of date with src/scenario/model.rs and \
                 has been rewritten. Review the diff, then run the tests again without \
                 UPDATE_SCHEMA."
            );
        }
        panic!(
            "schema/{file} is out of date with src/scenario/model.rs; regenerate it with \
             `UPDATE_SCHEMA=1 cargo test --lib scenario::schema` and review the diff"
        );
    }

    #[test]
    fn case_schema_is_committed() {
        check("case.schema.json", case_schema());
    }

    #[test]
    fn fixtures_schema_is_committed() {
        check("fixtures.schema.json", fixtures_schema());
    }
}
