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

    fn check(file: &str, schema: Value) {
        crate::contract::schema::check_committed(
            file,
            schema,
            "src/scenario/model.rs",
            "scenario::schema",
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
