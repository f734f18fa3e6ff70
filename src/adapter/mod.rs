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

/// Turns one raw answer into a message: JSON, then (with `validate`) the protocol's JSON Schema,
/// then the wire type, then `check_answer`. Every failure says what to fix.
#[doc(hidden)]
pub fn decode_answer(
    request: &ToAdapter,
    raw: &str,
    validate: bool,
    channel: Channel,
) -> Result<FromAdapter, AdapterError> {
    let value: Value = json::parse(raw).map_err(|problem| {
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
        AdapterError::new(AdapterErrorKind::InvalidMessage, detail).with_seen(raw)
    })?;
    if validate {
        validate::answer(&value).map_err(|problems| {
            AdapterError::new(
                AdapterErrorKind::InvalidMessage,
                format!(
                    "the answer does not match the protocol schema: {}",
                    problems.join("; ")
                ),
            )
            .with_seen(raw)
        })?;
    }
    let answer: FromAdapter = serde_json::from_value(value).map_err(|error| {
        AdapterError::new(
            AdapterErrorKind::InvalidMessage,
            format!("the answer is not a valid protocol message: {error}"),
        )
        .with_seen(raw)
    })?;
    check_answer(request, answer).map_err(|error| error.with_seen(raw))
}

/// Checks a raw `hello` answer and says, in words, what is wrong with it: the first line a
/// handshake reads. `Err` says the whole sentence.
#[doc(hidden)]
pub fn decode_hello(raw: &str, validate: bool, channel: Channel) -> Result<HelloReply, StartError> {
    // Every sentence below goes to the terminal: what the adapter sent is shown made visible.
    let shown = crate::visible::visible(&truncate(raw, SEEN_LIMIT));
    let value: Value = match json::parse(raw) {
        Ok(value) => value,
        Err(JsonProblem::DuplicateMember(words)) => {
            return Err(StartError(format!(
                "{} (saw `{shown}`)",
                duplicate_advice("the adapter's hello", &words)
            )))
        }
        Err(JsonProblem::NotJson(_)) => {
            return Err(StartError(match channel {
                Channel::Stdout => format!(
                    "the adapter printed `{shown}` before its hello: stdout is the protocol channel, log to stderr"
                ),
                Channel::HttpBody => format!("the answer to hello is not JSON: `{shown}`"),
            }))
        }
    };
    if value.get("type").and_then(Value::as_str) != Some("hello") {
        return Err(StartError(match channel {
            Channel::Stdout => format!(
                "the adapter printed `{shown}` before its hello: stdout is the protocol channel, log to stderr; the first line must be the answer to {{\"type\":\"hello\",\"protocol\":{PROTOCOL_VERSION}}}"
            ),
            Channel::HttpBody => format!("the answer to hello is not a hello message: `{shown}`"),
        }));
    }
    match value.get("protocol") {
        Some(Value::Number(n)) if n.as_u64() == Some(u64::from(PROTOCOL_VERSION)) => {}
        Some(other) => {
            return Err(StartError(format!(
                "the adapter's hello says protocol {other}; this harness speaks protocol {PROTOCOL_VERSION}: answer hello with \"protocol\":{PROTOCOL_VERSION}"
            )))
        }
        None => {
            return Err(StartError(format!(
                "the adapter's hello has no `protocol`; this harness speaks protocol {PROTOCOL_VERSION}: answer hello with \"protocol\":{PROTOCOL_VERSION} (saw `{shown}`)"
            )))
        }
    }
    if validate {
        if let Err(problems) = validate::answer(&value) {
            return Err(StartError(format!(
                "the adapter's hello does not match the protocol schema: {} (saw `{shown}`)",
                problems.join("; ")
            )));
        }
    }
    serde_json::from_value::<HelloReply>(value).map_err(|error| {
        let error = crate::visible::visible(&error.to_string());
        StartError(format!(
            "the adapter's hello is not valid: {error} (saw `{shown}`)"
        ))
    })
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
    let fits = matches!(
        (request, &answer),
        (ToAdapter::Hello(_), FromAdapter::Hello(_))
            | (
                ToAdapter::Verify(_),
                FromAdapter::Verdict(_) | FromAdapter::Unsupported(_)
            )
            | (
                ToAdapter::Sign(_),
                FromAdapter::Signed(_) | FromAdapter::Refused(_) | FromAdapter::Unsupported(_)
            )
    );
    if !fits {
        return Err(AdapterError::new(
            AdapterErrorKind::WrongAnswer,
            format!(
                "a `{}` answer does not answer this request",
                answer.type_name()
            ),
        ));
    }
    if request.id() != answer.id() {
        return Err(AdapterError::new(
            AdapterErrorKind::WrongAnswer,
            format!(
                "the answer's id {:?} is not the request's id {:?}",
                answer.id().unwrap_or(""),
                request.id().unwrap_or("")
            ),
        ));
    }
    Ok(answer)
}
