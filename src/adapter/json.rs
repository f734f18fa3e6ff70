//! Reading an adapter's answer as JSON, strictly: an object that names a member twice
//! (`{"outcome":"accepted",...,"outcome":"rejected"}`) is refused, at any depth.
//!
//! serde_json's `Value` silently keeps the last of two members with the same name, so such an
//! answer would be judged on whichever came last: a verifier that says both `accepted` and
//! `rejected` must not pass because of the order. Its answer is an adapter error instead.
//!
//! Why serde_json with a visitor that checks names, and not the reference's own strict parser
//! (`crate::reference::json`)? That parser is made for JWS headers and payloads: it turns a
//! number that overflows a double (`1e400`) into a placeholder `null` and carries on, which is
//! what rule 2.5 needs for a claim but would quietly change an answer. serde_json refuses such a
//! number, keeps its line-and-column errors (the words every other answer error uses), its
//! recursion limit and its number handling, and the visitor adds only the duplicate check.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Why an answer is not a JSON message.
#[derive(Debug)]
pub(crate) enum JsonProblem {
    /// Not JSON at all (or nested too deep, or a number out of range).
    NotJson(serde_json::Error),
    /// JSON, but an object names a member twice: the words say which and where, e.g.
    /// ``two members named `outcome` in one object at line 1 column 52``.
    DuplicateMember(String),
}

/// Parse `raw` as one JSON value, refusing duplicate member names at any depth. Names are
/// compared after unescaping, so `"outcome"` and `"\u006futcome"` are the same name.
pub(crate) fn parse(raw: &str) -> Result<Value, JsonProblem> {
    match serde_json::from_str::<Strict>(raw) {
        Ok(Strict(value)) => Ok(value),
        // The visitor's only own error is the duplicate: every other one is serde_json's syntax,
        // end-of-input or I/O error.
        Err(error) if error.classify() == serde_json::error::Category::Data => {
            Err(JsonProblem::DuplicateMember(error.to_string()))
        }
        Err(error) => Err(JsonProblem::NotJson(error)),
    }
}

/// A JSON value built as `Value` is, except that a duplicate member name is an error.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // serde_json hands only finite numbers to a visitor.
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            if object.contains_key(&name) {
                return Err(de::Error::custom(format!(
                    "two members named `{}` in one object",
                    crate::shorten::truncate(&name, 100)
                )));
            }
            let Strict(value) = map.next_value()?;
            object.insert(name, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duplicate(raw: &str) -> String {
        match parse(raw) {
            Err(JsonProblem::DuplicateMember(words)) => words,
            other => panic!("{raw}: {other:?}"),
        }
    }

    #[test]
    fn parses_what_serde_json_parses() {
        for raw in [
            r#"{"type":"verdict","id":"c1","outcome":"accepted","verified":true,"identity":null,"n":-1,"f":1.5,"big":18446744073709551615,"a":[1,{"b":[]}]}"#,
            "[]",
            "\"x\"",
            " null ",
        ] {
            let expected: Value = serde_json::from_str(raw).unwrap();
            assert_eq!(parse(raw).unwrap(), expected, "{raw}");
        }
    }

    #[test]
    fn refuses_a_member_named_twice_at_any_depth() {
        let words =
            duplicate(r#"{"type":"verdict","id":"c1","outcome":"accepted","outcome":"rejected"}"#);
        assert!(
            words.starts_with("two members named `outcome` in one object at line 1 column"),
            "{words}"
        );
        assert!(duplicate(r#"{"attributes":{"applied":{"a":1,"a":2}}}"#).contains("`a`"));
        assert!(duplicate(r#"[{"x":1,"x":1}]"#).contains("`x`"));
        // Names are compared after unescaping.
        assert!(duplicate(r#"{"outcome":1,"\u006futcome":2}"#).contains("`outcome`"));
        // The same name in two objects is fine.
        assert!(parse(r#"{"a":{"x":1},"b":{"x":1}}"#).is_ok());
    }

    #[test]
    fn syntax_errors_and_overflow_are_not_json() {
        for raw in ["", "{", "{\"a\":1,}", "1e400", "{\"exp\":1e400}", "NaN"] {
            assert!(
                matches!(parse(raw), Err(JsonProblem::NotJson(_))),
                "{raw}: {:?}",
                parse(raw)
            );
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(matches!(parse(&deep), Err(JsonProblem::NotJson(_))));
    }
}
