//! What an implementation answered to one case, as a group key and a label: accepted; rejected
//! with each code; signed, by hash or token shape; refused; skipped; error. Two implementations
//! are in one group exactly when their answers are the same (the request id and the free-text
//! `message` left out); the label says what the answer was, in a few words.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use crate::event::{CaseEvent, Kind};
use crate::judge::OutcomeClass;

/// One answer, as compared: `key` decides the group, `label` is what a reader sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub key: String,
    pub label: String,
    /// An answer that says nothing about conformance: skipped (a role not offered, a declared
    /// lack). Such implementations are left out of the dissent count.
    pub abstains: bool,
}

impl Answer {
    fn new(key: impl Into<String>, label: impl Into<String>) -> Answer {
        Answer {
            key: key.into(),
            label: label.into(),
            abstains: false,
        }
    }
}

/// The answer `event` records.
pub fn answer_of(event: &CaseEvent) -> Answer {
    match event.outcome {
        OutcomeClass::Skipped => {
            let cause = event.skip_cause().map_or("skipped", |cause| match cause {
                crate::judge::SkipCause::Role => "skipped: role not offered",
                crate::judge::SkipCause::Clock => "skipped: system clock",
                crate::judge::SkipCause::Lacks => "skipped: declared lack",
                crate::judge::SkipCause::Undeclared => "unsupported (undeclared)",
            });
            let mut answer = Answer::new(cause, cause);
            // An undeclared `unsupported` is an answer the gate holds against a must case.
            answer.abstains = event.skip_cause().is_some_and(|c| c.declared());
            return answer;
        }
        OutcomeClass::Timeout => return Answer::new("error:timeout", "error: timeout"),
        OutcomeClass::AdapterError if crate::report::terminal::not_run(event) => {
            return Answer::new("error:not_run", "error: not run (the run stopped)")
        }
        OutcomeClass::AdapterError if event.actual.is_null() => {
            return Answer::new("error:adapter", "error: no usable answer")
        }
        _ => {}
    }
    if event.kind == Kind::Property {
        return match event.outcome {
            OutcomeClass::Pass => Answer::new("property:pass", "every generated request conformed"),
            class => {
                let field = event
                    .problems
                    .iter()
                    .find(|p| p.field != "counterexample")
                    .map_or(class.as_str(), |p| p.field.as_str());
                Answer::new(
                    format!("property:{}:{field}", class.as_str()),
                    format!("counterexample ({}: {field})", class.as_str()),
                )
            }
        };
    }
    let actual = &event.actual;
    let kind = actual.get("type").and_then(Value::as_str).unwrap_or("");
    match kind {
        "verdict" => {
            let outcome = actual.get("outcome").and_then(Value::as_str).unwrap_or("?");
            let key = canonical(&strip(actual));
            if outcome == "accepted" {
                let verified = actual.get("verified").and_then(Value::as_bool) == Some(true);
                let label = if verified {
                    "accepted (verified)"
                } else {
                    "accepted (unverified)"
                };
                Answer::new(key, label)
            } else {
                let code = actual
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("no code");
                Answer::new(key, format!("{outcome}: {code}"))
            }
        }
        "signed" => {
            if let Some(hash) = actual.get("user_hash").and_then(Value::as_str) {
                let short: String = hash.chars().take(12).collect();
                return Answer::new(
                    format!("signed:hash:{hash}"),
                    format!("signed: user_hash {short}…"),
                );
            }
            match actual.get("jwt").and_then(Value::as_str) {
                // By what the token says, not its bytes: two signers that write the same header
                // and claims in another member order gave the same answer. The outcome keeps a
                // token whose signature the judge refused apart from one it accepted.
                Some(jwt) => Answer::new(
                    format!("signed:jwt:{}:{}", token_content(jwt), event.outcome.as_str()),
                    token_shape(jwt),
                ),
                None => Answer::new(canonical(&strip(actual)), "signed: nothing"),
            }
        }
        "" => Answer::new(
            format!("outcome:{}", event.outcome.as_str()),
            match event.outcome {
                OutcomeClass::AdapterError => "error: no usable answer".to_string(),
                class => class.as_str().to_string(),
            },
        ),
        other => Answer::new(canonical(&strip(actual)), other.to_string()),
    }
}

/// `signed: JWT {"alg":"HS256","typ":"JWT"} · user_id, exp`: the decoded header and the
/// names of the claims (their values are in the drill-down).
pub fn token_shape(jwt: &str) -> String {
    let mut parts = jwt.split('.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
        return "signed: JWT that is not three segments".to_string();
    };
    let header = decode_segment(header);
    let claims = decode_segment(payload);
    let header = header.map_or_else(|| "(header not JSON)".to_string(), |h| canonical(&h));
    let names = match claims {
        Some(Value::Object(map)) => {
            let mut names: Vec<&str> = map.keys().map(String::as_str).collect();
            names.sort_unstable();
            names.join(", ")
        }
        _ => "(claims not a JSON object)".to_string(),
    };
    format!("signed: JWT {header} · {names}")
}

/// A token's decoded header and claims, members sorted (a segment that is not JSON as it was
/// sent), so the same content in another member order is the same answer.
fn token_content(jwt: &str) -> String {
    jwt.split('.')
        .take(2)
        .map(|segment| decode_segment(segment).map_or_else(|| segment.to_string(), |v| canonical(&v)))
        .collect::<Vec<_>>()
        .join(".")
}

/// A JWS segment as JSON, when it is base64url of JSON.
pub fn decode_segment(segment: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(segment.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The answer without what differs between any two implementations' runs of the same answer:
/// the request id and the free-text message.
fn strip(actual: &Value) -> Value {
    let mut value = actual.clone();
    if let Value::Object(map) = &mut value {
        map.remove("id");
        map.remove("message");
    }
    value
}

/// JSON with object keys sorted, so the same answer gives the same key.
fn canonical(value: &Value) -> String {
    fn sort(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.clone(), sort(v)))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(value).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::case;
    use serde_json::json;

    fn answered(actual: Value) -> CaseEvent {
        let mut event = case("A-1", "jwt", OutcomeClass::Pass);
        event.actual = actual;
        event
    }

    #[test]
    fn rejections_group_by_code_and_ignore_id_and_message() {
        let a = answer_of(&answered(
            json!({"type": "verdict", "id": "A-1/1", "outcome": "rejected",
            "error": "jwt_expired", "message": "one"}),
        ));
        let b = answer_of(&answered(
            json!({"type": "verdict", "id": "A-1/1", "outcome": "rejected",
            "message": "two", "error": "jwt_expired"}),
        ));
        let c = answer_of(&answered(
            json!({"type": "verdict", "id": "A-1/1", "outcome": "rejected",
            "error": "jwt_signature_invalid"}),
        ));
        assert_eq!(a.key, b.key);
        assert_eq!(a.label, "rejected: jwt_expired");
        assert_ne!(a.key, c.key);
        assert_eq!(c.label, "rejected: jwt_signature_invalid");
    }

    #[test]
    fn accepted_answers_differ_by_identity() {
        let a = answer_of(&answered(json!({"type": "verdict", "outcome": "accepted",
            "verified": true, "identity": {"user_id": "u-1"}})));
        let b = answer_of(&answered(json!({"type": "verdict", "outcome": "accepted",
            "verified": true, "identity": {"user_id": "u-2"}})));
        assert_eq!(a.label, "accepted (verified)");
        assert_eq!(a.label, b.label);
        assert_ne!(a.key, b.key, "another identity is another answer");
    }

    #[test]
    fn signed_answers_by_hash_and_token_shape() {
        let hash = answer_of(&answered(
            json!({"type": "signed", "user_hash": "abcdef0123456789ff"}),
        ));
        assert_eq!(hash.label, "signed: user_hash abcdef012345…");
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoidS0xIn0.sig";
        let token = answer_of(&answered(json!({"type": "signed", "jwt": jwt})));
        assert_eq!(
            token.label,
            "signed: JWT {\"alg\":\"HS256\",\"typ\":\"JWT\"} · user_id"
        );
    }

    #[test]
    fn tokens_group_by_what_they_say_not_by_member_order() {
        let token = |header: Value, claims: Value| {
            let segment = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
            format!("{}.{}.sig", segment(&header), segment(&claims))
        };
        let one = token(
            json!({"alg": "HS256", "typ": "JWT", "kid": "k-web"}),
            json!({"user_id": "u-1", "exp": 1}),
        );
        // serde_json keeps insertion order only with preserve_order; build the other order by hand.
        let other = format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(r#"{"kid":"k-web","typ":"JWT","alg":"HS256"}"#),
            URL_SAFE_NO_PAD.encode(r#"{"exp":1,"user_id":"u-1"}"#)
        );
        let a = answer_of(&answered(json!({"type": "signed", "jwt": one})));
        let b = answer_of(&answered(json!({"type": "signed", "jwt": other})));
        assert_eq!(a.key, b.key, "the same header and claims in another order");
        assert_eq!(a.label, b.label);
        let another_user = token(
            json!({"alg": "HS256", "typ": "JWT", "kid": "k-web"}),
            json!({"user_id": "u-2", "exp": 1}),
        );
        let c = answer_of(&answered(json!({"type": "signed", "jwt": another_user})));
        assert_ne!(a.key, c.key, "another claim value is another answer");
        let mut refused = answered(json!({"type": "signed", "jwt": one}));
        refused.outcome = OutcomeClass::WrongVerdict;
        assert_ne!(
            a.key,
            answer_of(&refused).key,
            "a token the judge refused (its signature) is not grouped with one it accepted"
        );
    }

    #[test]
    fn skips_and_errors() {
        let mut skipped = case("A-1", "jwt", OutcomeClass::Skipped);
        skipped.skip = Some(crate::judge::SkipCause::Role);
        let answer = answer_of(&skipped);
        assert!(answer.abstains);
        assert_eq!(answer.label, "skipped: role not offered");
        let mut undeclared = skipped.clone();
        undeclared.skip = Some(crate::judge::SkipCause::Undeclared);
        assert!(
            !answer_of(&undeclared).abstains,
            "an undeclared unsupported is an answer"
        );
        let mut error = case("A-1", "jwt", OutcomeClass::AdapterError);
        error.actual = Value::Null;
        assert_eq!(answer_of(&error).label, "error: no usable answer");
        assert_eq!(
            answer_of(&case("A-1", "jwt", OutcomeClass::Timeout)).label,
            "error: timeout"
        );
    }
}
