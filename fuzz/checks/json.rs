//! The strict JSON parser (src/reference/json.rs) on any text, against serde_json.
//!
//! Never a panic, and the two parsers agree wherever the profile does not differ on purpose:
//!
//! - a document the strict parser accepts without an overflowing number, serde_json reads to
//!   the same value (members in the same order, numbers of the same kind and value);
//! - one it accepts with an overflowing number (`1e400`) serde_json refuses ("number out of
//!   range"), and the recorded pointers lead to the `null` placeholders;
//! - one it refuses, serde_json refuses too, except for a duplicate member name (serde_json
//!   keeps the last one; the profile rejects, rule 2.2) and nesting at the limit (both stop at
//!   128 levels, counted differently by one: the strict parser counts the document's own level);
//! - an error's byte offset lies within the text.

use messenger_conformance::fuzzing::{parse_json, JsonError, MAX_DEPTH};
use serde_json::Value;

pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ours = parse_json(text);
    let theirs = serde_json::from_str::<Value>(text);
    match (&ours, &theirs) {
        (Ok(parsed), Ok(value)) => {
            assert!(
                parsed.overflowing.is_empty(),
                "serde_json read a number the strict parser says overflows: {:?}",
                parsed.overflowing
            );
            assert_eq!(
                &parsed.value, value,
                "the two parsers read different values"
            );
            same_order(&parsed.value, value);
        }
        (Ok(parsed), Err(error)) => {
            assert!(
                !parsed.overflowing.is_empty(),
                "accepted what serde_json refuses ({error}): {text:?}"
            );
            for pointer in &parsed.overflowing {
                assert_eq!(
                    parsed.value.pointer(pointer),
                    Some(&Value::Null),
                    "an overflowing number's pointer {pointer:?} does not lead to its placeholder"
                );
            }
        }
        (Err(error), theirs) => {
            match error {
                JsonError::Syntax { offset, .. } | JsonError::TooDeep { offset } => {
                    assert!(
                        *offset <= text.len(),
                        "offset {offset} past the end: {error}"
                    )
                }
                JsonError::DuplicateMember { .. } => {}
            }
            let _ = error.to_string();
            if let Ok(value) = theirs {
                let allowed = match error {
                    JsonError::DuplicateMember { .. } => true,
                    JsonError::TooDeep { .. } => depth(value) >= MAX_DEPTH,
                    JsonError::Syntax { .. } => false,
                };
                assert!(allowed, "refused what serde_json reads ({error}): {text:?}");
            }
        }
    }
}

/// Objects list their members in the same order (equality of maps ignores it).
fn same_order(a: &Value, b: &Value) {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            assert!(a.keys().eq(b.keys()), "members in another order");
            for (x, y) in a.values().zip(b.values()) {
                same_order(x, y);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (x, y) in a.iter().zip(b) {
                same_order(x, y);
            }
        }
        _ => {}
    }
}

/// How many arrays and objects nest at the deepest point.
fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(members) => 1 + members.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}
