//! How the harness talks to an implementation: one trait, three transports.
//!
//! - [`builtin`]: an implementation in this process (the reference, or a bundled broken one);
//! - [`exec`]: a subprocess speaking JSON lines;
//! - [`http`]: an endpoint that takes each message as a POST body.
//!
//! An [`Adapter`] answers one message at a time. It contains its own failures: a hang, a crash
//! or garbage becomes an [`AdapterError`] for that call, and the adapter restarts itself before
//! the next one, so the run goes on.
#![warn(missing_docs)]

use std::fmt;

use serde_json::Value;

use crate::contract::{FromAdapter, HelloReply, ToAdapter, PROTOCOL_VERSION};
use crate::shorten::truncate;
use json::JsonProblem;

pub mod builtin;
pub mod exec;
pub mod http;
pub(crate) mod json;
// The protocol's JSON Schema checks (`--validate-protocol`, `smoke`): internal (src/lib.rs).
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod validate;
#[cfg(not(feature = "internals"))]
pub(crate) mod validate;

/// A started implementation that has answered `hello`.
pub trait Adapter: Send {
    /// What the implementation said in its `hello`.
    fn hello(&self) -> &HelloReply;

    /// Send one request and wait for its answer.
    fn call(&mut self, message: &ToAdapter) -> Result<FromAdapter, AdapterError>;

    /// What the implementation wrote to stderr since the last call (exec only).
    fn take_stderr(&mut self) -> String {
        String::new()
    }

    /// End the session politely (`bye`), then make sure the implementation is gone.
    fn shutdown(&mut self) {}
}

/// Starts adapters: one per worker.
pub trait AdapterFactory: Send + Sync {
    /// Start one adapter, ready for requests; fails when it cannot be started.
    fn start(&self) -> Result<Box<dyn Adapter>, StartError>;

    /// How the target is named in reports, e.g. `builtin:reference` or `exec:node adapter.js`.
    fn describe(&self) -> String;
}

/// Why a call got no usable answer, as reported in the events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdapterErrorKind {
    /// No answer within the timeout.
    Timeout,
    /// The process exited or closed stdout.
    Exited,
    /// A line (or body) that is not a valid protocol message.
    InvalidMessage,
    /// A valid message, but not the answer to this request (wrong id or type).
    WrongAnswer,
    /// A line longer than the harness reads.
    Oversized,
    /// HTTP status other than 200, or a transport failure.
    Transport,
}

impl AdapterErrorKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            AdapterErrorKind::Timeout => "timeout",
            AdapterErrorKind::Exited => "exited",
            AdapterErrorKind::InvalidMessage => "invalid message",
            AdapterErrorKind::WrongAnswer => "wrong answer",
            AdapterErrorKind::Oversized => "oversized line",
            AdapterErrorKind::Transport => "transport error",
        }
    }
}

/// A call that got no usable answer. Never counts as a pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterError {
    /// Which way the call failed.
    pub kind: AdapterErrorKind,
    /// What went wrong, in words.
    pub detail: String,
    /// What the harness saw instead of an answer, truncated.
    pub seen: Option<String>,
}

impl AdapterError {
    pub(crate) fn new(kind: AdapterErrorKind, detail: impl Into<String>) -> Self {
        AdapterError {
            kind,
            detail: detail.into(),
            seen: None,
        }
    }

    pub(crate) fn with_seen(mut self, seen: &str) -> Self {
        self.seen = Some(truncate(seen, SEEN_LIMIT));
        self
    }
}

impl fmt::Display for AdapterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.detail)?;
        if let Some(seen) = &self.seen {
            write!(f, " (saw: {})", crate::visible::visible(seen))?;
        }
        Ok(())
    }
}

impl std::error::Error for AdapterError {}

/// The implementation could not be started or failed its handshake: the run cannot begin (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

/// How much of a misbehaving answer is kept for the report.
pub(crate) const SEEN_LIMIT: usize = 512;

/// The longest answer (one stdout line, or one HTTP body) the harness reads: 1 MiB. Anything
/// longer is an [`AdapterErrorKind::Oversized`] error, and the rest of it is discarded unread
/// into memory.
pub(crate) const MESSAGE_LIMIT: usize = 1 << 20;

/// Where an answer came from, for advice that fits the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[doc(hidden)]
pub enum Channel {
    /// A line on the adapter's stdout (exec).
    Stdout,
    /// The body of an HTTP response (http).
    HttpBody,
}

/// One rule a raw answer is checked against, in the order [`decode_answer`] checks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AnswerRule {
    /// JSON, each member named once.
    Json,
    /// The protocol's JSON Schema (when validating).
    Schema,
    /// A protocol message whose fields have their contract's types.
    Message,
    /// A type that answers the request ([`check_answer`]).
    Type,
    /// The request's id, echoed ([`check_answer`]).
    Id,
}

/// A raw answer checked against every [`AnswerRule`] that applies: the collect mode that
/// [`decode_answer`] takes the first problem of. `smoke` shows every ruling.
#[derive(Debug)]
pub(crate) struct CheckedAnswer {
    /// The message, when the answer is one (whether or not it answers the request).
    pub message: Option<FromAdapter>,
    /// The `type` the answer names, if it is JSON with a string `type`.
    pub type_name: Option<String>,
    /// Each rule checked, in order, with its problem when the answer breaks it. After a
    /// [`AnswerRule::Json`] problem nothing else is checked; a [`AnswerRule::Message`] problem
    /// is left out when the schema found one (the schema says better what is wrong).
    pub rulings: Vec<(AnswerRule, Result<(), AdapterError>)>,
}

impl CheckedAnswer {
    /// The first problem, or the message: [`decode_answer`].
    fn first(self) -> Result<FromAdapter, AdapterError> {
        if let Some(problem) = self
            .rulings
            .into_iter()
            .find_map(|(_, ruling)| ruling.err())
        {
            return Err(problem);
        }
        self.message.ok_or_else(|| {
            AdapterError::new(
                AdapterErrorKind::InvalidMessage,
                "the answer is not a valid protocol message",
            )
        })
    }
}

/// Checks one raw answer against every rule of [`AnswerRule`]: JSON, then (with `validate`)
/// the protocol's JSON Schema, then the wire type, then [`check_answer`]'s type and id. Every
/// problem says what to fix.
pub(crate) fn check_raw_answer(
    request: &ToAdapter,
    raw: &str,
    validate: bool,
    channel: Channel,
) -> CheckedAnswer {
    let invalid =
        |detail: String| AdapterError::new(AdapterErrorKind::InvalidMessage, detail).with_seen(raw);
    let mut rulings = Vec::new();
    let value: Value = match json::parse(raw) {
        Ok(value) => value,
        Err(problem) => {
            let detail = match problem {
                JsonProblem::NotJson(error) => {
                    let advice = match channel {
                        Channel::Stdout => "stdout carries only protocol messages, one JSON object per line: print logs to stderr",
                        Channel::HttpBody => "the response body must be one JSON protocol message",
                    };
                    format!("the answer is not JSON ({error}); {advice}")
                }
                JsonProblem::DuplicateMember(words) => duplicate_advice("the answer", &words),
            };
            rulings.push((AnswerRule::Json, Err(invalid(detail))));
            return CheckedAnswer {
                message: None,
                type_name: None,
                rulings,
            };
        }
    };
    rulings.push((AnswerRule::Json, Ok(())));
    let mut schema_ok = true;
    if validate {
        let ruling = validate::answer(&value).map_err(|problems| {
            invalid(format!(
                "the answer does not match the protocol schema: {}",
                problems.join("; ")
            ))
        });
        schema_ok = ruling.is_ok();
        rulings.push((AnswerRule::Schema, ruling));
    }
    let type_name = value
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_string);
    let id = value.get("id").and_then(Value::as_str).map(str::to_string);
    let message = match serde_json::from_value::<FromAdapter>(value) {
        Ok(message) => {
            rulings.push((AnswerRule::Message, Ok(())));
            Some(message)
        }
        Err(error) => {
            if schema_ok {
                rulings.push((
                    AnswerRule::Message,
                    Err(invalid(format!(
                        "the answer is not a valid protocol message: {error}"
                    ))),
                ));
            }
            None
        }
    };
    for (rule, ruling) in fit(request, type_name.as_deref(), id.as_deref()) {
        rulings.push((rule, ruling.map_err(|error| error.with_seen(raw))));
    }
    CheckedAnswer {
        message,
        type_name,
        rulings,
    }
}

/// Turns one raw answer into a message, or says what is wrong with it: the first problem
/// `check_raw_answer` finds (JSON, then with `validate` the protocol's JSON Schema, then the
/// wire type, then the type and id that answer the request).
#[doc(hidden)]
pub fn decode_answer(
    request: &ToAdapter,
    raw: &str,
    validate: bool,
    channel: Channel,
) -> Result<FromAdapter, AdapterError> {
    check_raw_answer(request, raw, validate, channel).first()
}

/// One rule a raw `hello` answer is checked against, in the order [`decode_hello`] checks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HelloRule {
    /// JSON, each member named once.
    Json,
    /// `type` is `hello`.
    Type,
    /// `protocol` is this harness's.
    Protocol,
    /// The protocol's JSON Schema (when validating).
    Schema,
    /// A `hello` whose fields have their contract's types.
    Message,
}

/// A raw `hello` answer checked against every [`HelloRule`] that applies: the collect mode
/// that [`decode_hello`] takes the first problem of. `smoke` shows every ruling.
#[derive(Debug)]
pub(crate) struct CheckedHello {
    /// The hello, when it can be read: JSON, a `hello`, of this protocol, with fields of their
    /// types (a schema problem alone leaves it readable).
    pub hello: Option<HelloReply>,
    /// Each rule checked, in order, with the whole sentence when the answer breaks it. After a
    /// [`HelloRule::Json`] or [`HelloRule::Type`] problem nothing else is checked (what is not a
    /// hello breaks no rule of one); a [`HelloRule::Message`] problem is left out when the schema
    /// found one.
    pub rulings: Vec<(HelloRule, Result<(), String>)>,
}

/// Checks a raw `hello` answer against every rule of [`HelloRule`], each problem the whole
/// sentence that says what to fix, with what the adapter sent made visible.
pub(crate) fn check_hello(raw: &str, validate: bool, channel: Channel) -> CheckedHello {
    // Every sentence below goes to the terminal: what the adapter sent is shown made visible.
    let shown = crate::visible::visible(&truncate(raw, SEEN_LIMIT));
    let mut rulings = Vec::new();
    let stop = |rule, problem, mut rulings: Vec<_>| {
        rulings.push((rule, Err(problem)));
        CheckedHello {
            hello: None,
            rulings,
        }
    };
    let value: Value = match json::parse(raw) {
        Ok(value) => value,
        Err(JsonProblem::DuplicateMember(words)) => {
            let problem = format!(
                "{} (saw `{shown}`)",
                duplicate_advice("the adapter's hello", &words)
            );
            return stop(HelloRule::Json, problem, rulings);
        }
        Err(JsonProblem::NotJson(_)) => {
            let problem = match channel {
                Channel::Stdout => format!(
                    "the adapter printed `{shown}` before its hello: stdout is the protocol channel, log to stderr"
                ),
                Channel::HttpBody => format!("the answer to hello is not JSON: `{shown}`"),
            };
            return stop(HelloRule::Json, problem, rulings);
        }
    };
    rulings.push((HelloRule::Json, Ok(())));
    if value.get("type").and_then(Value::as_str) != Some("hello") {
        let problem = match channel {
            Channel::Stdout => format!(
                "the adapter printed `{shown}` before its hello: stdout is the protocol channel, log to stderr; the first line must be the answer to {{\"type\":\"hello\",\"protocol\":{PROTOCOL_VERSION}}}"
            ),
            Channel::HttpBody => format!("the answer to hello is not a hello message: `{shown}`"),
        };
        return stop(HelloRule::Type, problem, rulings);
    }
    rulings.push((HelloRule::Type, Ok(())));
    let protocol = match value.get("protocol") {
        Some(Value::Number(n)) if n.as_u64() == Some(u64::from(PROTOCOL_VERSION)) => Ok(()),
        Some(other) => Err(format!(
            "the adapter's hello says protocol {other}; this harness speaks protocol {PROTOCOL_VERSION}: answer hello with \"protocol\":{PROTOCOL_VERSION}"
        )),
        None => Err(format!(
            "the adapter's hello has no `protocol`; this harness speaks protocol {PROTOCOL_VERSION}: answer hello with \"protocol\":{PROTOCOL_VERSION} (saw `{shown}`)"
        )),
    };
    let readable = protocol.is_ok();
    rulings.push((HelloRule::Protocol, protocol));
    let mut schema_ok = true;
    if validate {
        let schema = validate::answer(&value).map_err(|problems| {
            format!(
                "the adapter's hello does not match the protocol schema: {} (saw `{shown}`)",
                problems.join("; ")
            )
        });
        schema_ok = schema.is_ok();
        rulings.push((HelloRule::Schema, schema));
    }
    let hello = match serde_json::from_value::<HelloReply>(value) {
        Ok(hello) => {
            rulings.push((HelloRule::Message, Ok(())));
            Some(hello)
        }
        Err(error) => {
            if schema_ok {
                let error = crate::visible::visible(&error.to_string());
                rulings.push((
                    HelloRule::Message,
                    Err(format!(
                        "the adapter's hello is not valid: {error} (saw `{shown}`)"
                    )),
                ));
            }
            None
        }
    };
    CheckedHello {
        hello: hello.filter(|_| readable),
        rulings,
    }
}

/// Checks a raw `hello` answer and says, in words, what is wrong with it: the first line a
/// handshake reads, and the first problem `check_hello` finds. `Err` is the whole sentence
/// for a [`StartError`].
#[doc(hidden)]
pub fn decode_hello(raw: &str, validate: bool, channel: Channel) -> Result<HelloReply, StartError> {
    let checked = check_hello(raw, validate, channel);
    if let Some(problem) = checked
        .rulings
        .into_iter()
        .find_map(|(_, ruling)| ruling.err())
    {
        return Err(StartError(problem));
    }
    checked
        .hello
        .ok_or_else(|| StartError("the adapter's hello is not valid".to_string()))
}

/// Why a message with a member named twice is refused, and what to do.
fn duplicate_advice(what: &str, words: &str) -> String {
    format!(
        "{what} has {words}: a message names each member once, and the harness does not guess \
         which of two values the implementation meant; send each member once"
    )
}

/// Checks that `answer` is the answer to `request`: right id and a type that answers it.
pub(crate) fn check_answer(
    request: &ToAdapter,
    answer: FromAdapter,
) -> Result<FromAdapter, AdapterError> {
    for (_, ruling) in fit(request, Some(answer.type_name()), answer.id()) {
        ruling?;
    }
    Ok(answer)
}

/// Whether an answer of type `type_name` with `id` answers `request`: the rulings on its
/// [`AnswerRule::Type`] and [`AnswerRule::Id`], which [`check_answer`] takes the first
/// problem of.
fn fit(
    request: &ToAdapter,
    type_name: Option<&str>,
    id: Option<&str>,
) -> [(AnswerRule, Result<(), AdapterError>); 2] {
    let (asked, answered_by): (&str, &[&str]) = match request {
        ToAdapter::Hello(_) => ("hello", &["hello"]),
        ToAdapter::Verify(_) => ("verify", &["verdict", "unsupported"]),
        ToAdapter::Sign(_) => ("sign", &["signed", "refused", "unsupported"]),
        ToAdapter::Bye => ("bye", &[]),
    };
    let wrong = |detail: String| Err(AdapterError::new(AdapterErrorKind::WrongAnswer, detail));
    let type_ruling = match type_name {
        Some(name) if answered_by.contains(&name) => Ok(()),
        other => {
            let answers = answered_by
                .iter()
                .map(|name| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(" or ");
            wrong(format!(
                "{} does not answer this request: a `{asked}` is answered by {answers}",
                other.map_or("an answer without a `type`".to_string(), |name| format!(
                    "a `{name}` answer"
                )),
            ))
        }
    };
    let id_ruling = match (id, request.id()) {
        (id, wanted) if id == wanted => Ok(()),
        (None, Some(wanted)) => wrong(format!(
            "the answer has no `id`; the request's id is {wanted:?}: echo it"
        )),
        (id, wanted) => wrong(format!(
            "the answer's id {:?} is not the request's id {:?}",
            id.unwrap_or(""),
            wanted.unwrap_or("")
        )),
    };
    [(AnswerRule::Type, type_ruling), (AnswerRule::Id, id_ruling)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{SignMode, SignRequest, User};

    fn sign() -> ToAdapter {
        ToAdapter::Sign(SignRequest {
            id: "s1".into(),
            now: 0,
            mode: SignMode::UserHash,
            platform: crate::contract::Platform::Web,
            secret: "s".into(),
            key_id: None,
            user: User::default(),
            attributes: Default::default(),
            expires_in: None,
        })
    }

    fn problems<R: Copy>(rulings: &[(R, Result<(), AdapterError>)]) -> Vec<(R, String)> {
        rulings
            .iter()
            .filter_map(|(rule, ruling)| ruling.as_ref().err().map(|e| (*rule, e.detail.clone())))
            .collect()
    }

    #[test]
    fn the_collect_mode_finds_every_problem_and_decode_answer_reports_the_first() {
        // A verdict to a sign, with another id: the wrong type and the wrong id.
        let raw = r#"{"type":"verdict","id":"v9","outcome":"accepted","verified":false,"identity":null,"error":null,"attributes":{"applied":{},"dropped":{}}}"#;
        let checked = check_raw_answer(&sign(), raw, true, Channel::Stdout);
        let found = problems(&checked.rulings);
        assert_eq!(
            found,
            vec![
                (
                    AnswerRule::Type,
                    "a `verdict` answer does not answer this request: a `sign` is answered by `signed` or `refused` or `unsupported`".to_string()
                ),
                (
                    AnswerRule::Id,
                    r#"the answer's id "v9" is not the request's id "s1""#.to_string()
                ),
            ]
        );
        assert!(checked.message.is_some());
        let first = decode_answer(&sign(), raw, true, Channel::Stdout).unwrap_err();
        assert_eq!(
            (first.kind, first.detail.as_str()),
            (AdapterErrorKind::WrongAnswer, found[0].1.as_str())
        );
        // The typed check of an in-process answer is the same rule, in the same words.
        let typed = serde_json::from_str::<FromAdapter>(raw).unwrap();
        assert_eq!(check_answer(&sign(), typed).unwrap_err().detail, found[0].1);
    }

    #[test]
    fn a_schema_problem_stands_for_the_message_problem_it_causes() {
        let raw = r#"{"type":"signed","id":"s1","user_hash":7}"#;
        let validated = check_raw_answer(&sign(), raw, true, Channel::Stdout);
        let found = problems(&validated.rulings);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, AnswerRule::Schema);
        // Without the schema, the message's own problem is the one reported.
        let unvalidated = check_raw_answer(&sign(), raw, false, Channel::Stdout);
        let found = problems(&unvalidated.rulings);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, AnswerRule::Message);
        assert!(found[0]
            .1
            .starts_with("the answer is not a valid protocol message"));
        // Nothing is checked after JSON fails.
        let json = check_raw_answer(&sign(), "not json", true, Channel::Stdout);
        assert_eq!(json.rulings.len(), 1);
        assert_eq!(problems(&json.rulings)[0].0, AnswerRule::Json);
    }

    #[test]
    fn every_hello_problem_is_collected_and_decode_hello_reports_the_first() {
        // Another protocol, and a clock the contract does not know.
        let raw = r#"{"type":"hello","protocol":2,"implementation":{"name":"n","version":"1"},"roles":["signer"],"clock":"sundial"}"#;
        let checked = check_hello(raw, true, Channel::Stdout);
        let found: Vec<(HelloRule, &str)> = checked
            .rulings
            .iter()
            .filter_map(|(rule, ruling)| ruling.as_ref().err().map(|e| (*rule, e.as_str())))
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, HelloRule::Protocol);
        assert!(found[0]
            .1
            .starts_with("the adapter's hello says protocol 2; this harness speaks protocol 1"));
        assert_eq!(found[1].0, HelloRule::Schema);
        assert!(checked.hello.is_none());
        assert_eq!(
            decode_hello(raw, true, Channel::Stdout).unwrap_err().0,
            found[0].1
        );
        // A name of the wrong type: the schema says so, and the message's own problem (the same
        // one, in serde's words) is left out; without the schema, it is the one reported.
        let raw = r#"{"type":"hello","protocol":1,"implementation":{"name":7,"version":"1"},"roles":["signer"],"clock":"injected"}"#;
        let rules = |validate| {
            check_hello(raw, validate, Channel::Stdout)
                .rulings
                .iter()
                .filter(|(_, ruling)| ruling.is_err())
                .map(|(rule, _)| *rule)
                .collect::<Vec<HelloRule>>()
        };
        assert_eq!(rules(true), vec![HelloRule::Schema]);
        assert_eq!(rules(false), vec![HelloRule::Message]);
        // Nothing is checked after the type: what is not a hello breaks no rule of one.
        let checked = check_hello(r#"{"type":"verdict"}"#, true, Channel::Stdout);
        assert_eq!(
            checked
                .rulings
                .last()
                .map(|(rule, ruling)| (*rule, ruling.is_err())),
            Some((HelloRule::Type, true))
        );
    }
}
