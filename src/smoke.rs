//! The smoke test, for adapter authors: start the adapter, check the handshake, send one verify
//! and one sign, and check every raw message it answers against the protocol's JSON Schema, the
//! request's id and a plain expectation. Each check is one line that says what to fix, handed
//! to the caller as it is made (the command line prints it at once) and returned at the end.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::adapter::exec::{display_command, ExecProcess, StderrSink, MIN_START_TIMEOUT};
use crate::adapter::http::HttpClient;
use crate::adapter::json::JsonProblem;
use crate::adapter::{
    truncate, validate, AdapterError, AdapterErrorKind, MESSAGE_LIMIT, SEEN_LIMIT,
};
use crate::contract::{
    FromAdapter, HelloReply, HelloRequest, IdentityVerification, JwtSettings, Platform,
    PlatformSettings, Role, SignMode, SignRequest, ToAdapter, User, VerifyRequest, Workspace,
    PROTOCOL_VERSION,
};
use crate::exit::Exit;
use crate::reference::user_hash::user_hash;

/// The adapter to smoke-test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A command and its arguments (exec transport).
    Exec(Vec<String>),
    /// A URL that takes each message as a POST body (http transport).
    Http(String),
}

impl Target {
    /// `exec:CMD ARGS` or `http:URL`, as reports name targets.
    pub fn describe(&self) -> String {
        match self {
            Target::Exec(command) => format!("exec:{}", display_command(command)),
            Target::Http(url) => format!("http:{url}"),
        }
    }
}

/// What one check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Passed,
    Failed,
    /// Information, neither pass nor fail.
    Note,
    /// A line quoted under the note before it (the adapter's stderr).
    Quote,
}

/// One line of the smoke test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub status: Status,
    pub text: String,
}

impl Check {
    /// The line as the terminal shows it: `ok     ...`, `FAIL   ...`, `note   ...`.
    pub fn line(&self) -> String {
        let tag = match self.status {
            Status::Passed => "ok     ",
            Status::Failed => "FAIL   ",
            Status::Note => "note   ",
            Status::Quote => "       | ",
        };
        format!("{tag}{}", self.text)
    }
}

/// The smoke test's result.
#[derive(Debug, Clone)]
pub struct Smoke {
    pub checks: Vec<Check>,
    pub passed: usize,
    pub failed: usize,
    /// Passed when every check passed; Failed when one failed; Usage when nothing answered
    /// `hello` (the adapter cannot be started or reached).
    pub exit: Exit,
}

/// The fixed instant and identities of the smoke requests.
const NOW: i64 = 1_767_225_600;
const SECRET: &str = "smoke-secret-web";
const USER_ID: &str = "smoke-user-1";
const EMAIL: &str = "smoke@example.com";
const VERIFY_ID: &str = "smoke-verify";
const SIGN_ID: &str = "smoke-sign";

/// How many lines that are not messages the handshake reads past, reporting each.
const NOISE_LINES: usize = 20;

/// Smoke-test `target`, each request waiting at most `timeout`; `on_check` sees each check as it
/// is made.
pub fn smoke(target: &Target, timeout: Duration, mut on_check: impl FnMut(&Check)) -> Smoke {
    let mut checks = Checklist::new(&mut on_check);
    let mut peer = match target {
        Target::Http(url) => Peer::Http(HttpClient::new(url, timeout, MESSAGE_LIMIT)),
        Target::Exec(command) => {
            match ExecProcess::spawn(command, StderrSink::default(), MESSAGE_LIMIT) {
                Ok(process) => {
                    checks.pass(format!("started (pid {})", process.id()));
                    Peer::Exec(Box::new(process))
                }
                Err(error) => {
                    checks.fail(error.0);
                    return checks.into_smoke(Exit::Usage);
                }
            }
        }
    };
    let start_timeout = timeout.max(MIN_START_TIMEOUT);
    let outcome = session(&mut peer, &mut checks, timeout, start_timeout);
    peer.finish(&mut checks, outcome == Ok(()));
    let exit = match outcome {
        Err(Stop::NoHello) => Exit::Usage,
        _ if checks.failed > 0 => Exit::Failed,
        _ => Exit::Passed,
    };
    checks.into_smoke(exit)
}

/// Why a smoke test stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// Nothing answered hello: the adapter cannot be started (exit 2).
    NoHello,
    /// A check failed in a way that leaves nothing to talk to or about.
    Gone,
}

/// The handshake, one verify and one sign; what is left after a [`Stop`] is not tried.
fn session(
    peer: &mut Peer,
    checks: &mut Checklist<'_>,
    timeout: Duration,
    start_timeout: Duration,
) -> Result<(), Stop> {
    let request = ToAdapter::Hello(HelloRequest {
        protocol: PROTOCOL_VERSION,
    });
    let raw = peer
        .ask(&request, "hello", checks, start_timeout)
        .ok_or(Stop::NoHello)?;
    let hello = handshake(&raw, checks).ok_or(Stop::Gone)?;
    if hello.roles.contains(&Role::Verifier) {
        smoke_verify(peer, checks, timeout).ok_or(Stop::Gone)?;
    } else {
        checks.note("verify not tried: hello does not offer the verifier role");
    }
    if hello.roles.contains(&Role::Signer) {
        smoke_sign(peer, checks, timeout).ok_or(Stop::Gone)?;
    } else {
        checks.note("sign not tried: hello does not offer the signer role");
    }
    Ok(())
}

fn handshake(raw: &str, checks: &mut Checklist<'_>) -> Option<HelloReply> {
    let value = answer_json(raw, "hello", checks)?;
    schema_check(&value, "hello", checks);
    match value.get("type").and_then(Value::as_str) {
        Some("hello") => {}
        other => {
            checks.fail(format!(
                "the answer to hello has type {}; it must be \"hello\"",
                other.map_or("(none)".to_string(), |t| format!("\"{t}\""))
            ));
            return None;
        }
    }
    match value.get("protocol") {
        Some(Value::Number(n)) if n.as_u64() == Some(u64::from(PROTOCOL_VERSION)) => {
            checks.pass(format!("hello says protocol {PROTOCOL_VERSION}"));
        }
        Some(other) => {
            checks.fail(format!(
                "your hello says protocol {other}; this harness speaks protocol {PROTOCOL_VERSION}: answer with \"protocol\":{PROTOCOL_VERSION}"
            ));
            return None;
        }
        None => {
            checks.fail(format!(
                "your hello has no \"protocol\"; answer with \"protocol\":{PROTOCOL_VERSION}"
            ));
            return None;
        }
    }
    match serde_json::from_value::<HelloReply>(value) {
        Ok(hello) => {
            let roles: Vec<&str> = hello.roles.iter().map(|r| r.as_str()).collect();
            checks.pass(format!(
                "hello: {} {}, roles [{}], clock {}",
                hello.implementation.name,
                hello.implementation.version,
                roles.join(", "),
                serde_json::to_value(hello.clock)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            ));
            if hello.roles.is_empty() {
                checks.fail(
                    "hello offers no role: list \"verifier\", \"signer\" or both in \"roles\"",
                );
            }
            Some(hello)
        }
        Err(error) => {
            checks.fail(format!("the hello is not valid: {error}"));
            None
        }
    }
}

fn smoke_workspace() -> Workspace {
    let settings = |secret: &str, enforced: bool| PlatformSettings {
        identity_verification: IdentityVerification {
            secret: secret.into(),
            enforced,
        },
        jwt: JwtSettings { enabled: false },
    };
    Workspace {
        name: "production".into(),
        platforms: BTreeMap::from([
            (Platform::Web, settings(SECRET, true)),
            (Platform::Ios, settings("smoke-secret-ios", true)),
            (Platform::Android, settings("smoke-secret-android", false)),
        ]),
        jwt_keys: vec![],
        locked_attributes: vec!["plan".into()],
        jwt_leeway_seconds: 0,
    }
}

fn smoke_verify(peer: &mut Peer, checks: &mut Checklist<'_>, timeout: Duration) -> Option<()> {
    let request = VerifyRequest {
        id: VERIFY_ID.into(),
        now: NOW,
        workspace: smoke_workspace(),
        request: json!({
            "action": "boot", "platform": "web", "user_id": USER_ID, "email": EMAIL,
            "user_hash": user_hash(SECRET, USER_ID), "intercom_user_jwt": null,
            "attributes": {"name": "Smoke Test"}
        }),
    };
    let expected = crate::reference::verify(&request);
    let message = ToAdapter::Verify(request);
    let raw = peer.ask(&message, "verify", checks, timeout)?;
    match checked_answer(&message, &raw, "verify", "verdict", checks) {
        Some(FromAdapter::Verdict(verdict)) => {
            let said = describe(
                verdict.outcome.as_str(),
                verdict.verified,
                verdict.error.map(|e| e.as_str()),
            );
            let wanted = describe(
                expected.outcome.as_str(),
                expected.verified,
                expected.error.map(|e| e.as_str()),
            );
            if said == wanted && verdict.identity == expected.identity {
                checks.pass(format!(
                    "a valid user_hash on web is {said}, as the reference says"
                ));
            } else if said == wanted {
                checks.fail(format!(
                    "the verdict's identity is {}; the reference's is {}: the identity is the user_id and email as sent",
                    json!(verdict.identity),
                    json!(expected.identity)
                ));
            } else {
                checks.fail(format!(
                    "a valid user_hash on web (HMAC-SHA256 of the user_id under the web secret) is {said}; the reference says {wanted}: check how the adapter passes the workspace settings and the user_hash to your code"
                ));
            }
        }
        Some(FromAdapter::Unsupported(unsupported)) => checks.fail(format!(
            "a plain verify was answered unsupported ({}), though hello offers the verifier role",
            unsupported.message
        )),
        _ => {}
    }
    Some(())
}

fn describe(outcome: &str, verified: bool, error: Option<&str>) -> String {
    match error {
        Some(code) => format!("{outcome} ({code})"),
        None => format!("{outcome}, verified: {verified}"),
    }
}

fn smoke_sign(peer: &mut Peer, checks: &mut Checklist<'_>, timeout: Duration) -> Option<()> {
    let request = SignRequest {
        id: SIGN_ID.into(),
        now: NOW,
        mode: SignMode::UserHash,
        platform: Platform::Web,
        secret: SECRET.into(),
        key_id: None,
        user: User {
            user_id: Some(USER_ID.into()),
            email: Some(EMAIL.into()),
        },
        attributes: Default::default(),
        expires_in: None,
    };
    let message = ToAdapter::Sign(request);
    let raw = peer.ask(&message, "sign", checks, timeout)?;
    let expected = user_hash(SECRET, USER_ID);
    match checked_answer(&message, &raw, "sign", "signed", checks) {
        Some(FromAdapter::Signed(signed)) => match signed.user_hash {
            Some(hash) if hash == expected => {
                checks.pass("the signed user_hash is the lowercase hex HMAC-SHA256 of the user_id");
            }
            Some(hash) => checks.fail(format!(
                "the signed user_hash is \"{}\"; expected \"{expected}\": lowercase hex HMAC-SHA256 of the user_id (not the email) under the secret sent",
                truncate(&hash, 100)
            )),
            None => checks.fail("the signed answer has no user_hash: mode user_hash answers {\"user_hash\":\"<hex>\"}"),
        },
        Some(FromAdapter::Refused(refused)) => checks.fail(format!(
            "a plain user_hash sign was refused ({}); a user with a user_id is always signed",
            refused.message
        )),
        Some(FromAdapter::Unsupported(unsupported)) => checks.fail(format!(
            "a plain user_hash sign was answered unsupported ({}), though hello offers the signer role",
            unsupported.message
        )),
        _ => {}
    }
    Some(())
}

fn answer_json(raw: &str, what: &str, checks: &mut Checklist<'_>) -> Option<Value> {
    match crate::adapter::json::parse(raw) {
        Ok(value) => Some(value),
        Err(JsonProblem::NotJson(error)) => {
            checks.fail(format!(
                "the answer to {what} is not JSON ({error}): `{}`",
                truncate(raw, SEEN_LIMIT)
            ));
            None
        }
        Err(JsonProblem::DuplicateMember(words)) => {
            checks.fail(format!(
                "the answer to {what} has {words}: send each member once (a harness would have to guess which value counts): `{}`",
                truncate(raw, SEEN_LIMIT)
            ));
            None
        }
    }
}

fn schema_check(value: &Value, name: &str, checks: &mut Checklist<'_>) {
    match validate::answer(value) {
        Ok(()) => checks.pass(format!("the {name} matches the protocol schema")),
        Err(problems) => checks.fail(format!(
            "the {name} does not match the protocol schema: {}",
            problems.join("; ")
        )),
    }
}

/// JSON, schema, type and id of one answer; the message when it deserializes.
fn checked_answer(
    request: &ToAdapter,
    raw: &str,
    what: &str,
    expected: &str,
    checks: &mut Checklist<'_>,
) -> Option<FromAdapter> {
    let value = answer_json(raw, what, checks)?;
    let type_name = value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let name = if type_name.is_empty() {
        "answer".to_string()
    } else {
        type_name.clone()
    };
    schema_check(&value, &format!("\"{name}\" answer"), checks);
    let fits = type_name == expected
        || type_name == "unsupported"
        || (what == "sign" && type_name == "refused");
    if fits {
        checks.pass(format!("{what} is answered by a \"{type_name}\""));
    } else {
        checks.fail(format!(
            "the answer to {what} has type {}; a {what} is answered by \"{expected}\" (or \"unsupported\")",
            if type_name.is_empty() { "(none)".to_string() } else { format!("\"{type_name}\"") }
        ));
    }
    let wanted = request.id().unwrap_or_default();
    match value.get("id") {
        Some(Value::String(id)) if id == wanted => {
            checks.pass(format!("the {name} echoes the request id \"{wanted}\""))
        }
        Some(other) => checks.fail(format!(
            "the {name}'s id {other} does not echo the request id \"{wanted}\""
        )),
        None => checks.fail(format!(
            "the {name} has no id: echo the request id \"{wanted}\""
        )),
    }
    let answer = serde_json::from_value::<FromAdapter>(value).ok();
    if fits {
        answer
    } else {
        None
    }
}

/// The adapter under test, seen raw.
enum Peer {
    Exec(Box<ExecProcess>),
    Http(HttpClient),
}

impl Peer {
    /// Sends `message` and returns the raw answer. On exec, lines that are not messages (not
    /// JSON, or JSON without a `type`) are reported and read past.
    fn ask(
        &mut self,
        message: &ToAdapter,
        what: &str,
        checks: &mut Checklist<'_>,
        timeout: Duration,
    ) -> Option<String> {
        match self {
            Peer::Http(client) => match client.exchange(message) {
                Ok(body) => {
                    checks.pass(format!("{what} answered with HTTP 200"));
                    Some(body)
                }
                Err(error) => {
                    checks.fail(format!("{what}: {}", http_advice(&error)));
                    None
                }
            },
            Peer::Exec(process) => {
                while let Some(early) = process.unsolicited() {
                    match early {
                        Ok(line) => checks.fail(format!(
                            "stdout carried a line before the {what} request was sent: `{}`: one answer per request; print logs to stderr",
                            truncate(&line, SEEN_LIMIT)
                        )),
                        Err(error) => {
                            checks.fail(format!("before {what}: {error}"));
                            return None;
                        }
                    }
                }
                process.send(message);
                let deadline = Instant::now() + timeout;
                for _ in 0..=NOISE_LINES {
                    let left = deadline.saturating_duration_since(Instant::now());
                    match process.receive(left) {
                        Ok(line) => match serde_json::from_str::<Value>(&line) {
                            Ok(value) if value.get("type").and_then(Value::as_str).is_some() => {
                                checks.pass(format!("{what} answered on one line"));
                                return Some(line);
                            }
                            Ok(_) => checks.fail(format!(
                                "stdout carried a JSON line that is not a protocol message (no \"type\"): `{}`: print logs to stderr",
                                truncate(&line, SEEN_LIMIT)
                            )),
                            Err(_) => checks.fail(format!(
                                "stdout carried a non-JSON line: `{}`: print logs to stderr",
                                truncate(&line, SEEN_LIMIT)
                            )),
                        },
                        Err(error) => {
                            checks.fail(format!("{what}: {}", exec_advice(&error, timeout)));
                            return None;
                        }
                    }
                }
                checks.fail(format!(
                    "{what}: no answer among the first {NOISE_LINES} lines"
                ));
                None
            }
        }
    }

    /// `bye`, then what exec adapters left on stdout and stderr.
    fn finish(&mut self, checks: &mut Checklist<'_>, answered: bool) {
        match self {
            Peer::Http(client) => {
                if answered {
                    let _ =
                        client.post(&serde_json::to_string(&ToAdapter::Bye).unwrap_or_default());
                    checks.note("bye sent (an HTTP server may ignore it)");
                }
            }
            Peer::Exec(process) => {
                if answered {
                    process.send(&ToAdapter::Bye);
                    process.close_stdin();
                    match process.wait_exit(Duration::from_secs(2)) {
                        Some(status) => checks.pass(format!("exited after bye and the end of stdin ({status})")),
                        None => checks.fail(
                            "still running 2 s after bye and the end of stdin: exit on {\"type\":\"bye\"} or when stdin closes",
                        ),
                    }
                    while let Some(extra) = process.unsolicited() {
                        if let Ok(line) = extra {
                            checks.fail(format!(
                                "stdout carried a line nobody asked for: `{}`: one answer per request; print logs to stderr",
                                truncate(&line, SEEN_LIMIT)
                            ));
                        }
                    }
                }
                process.kill();
                let stderr = process.take_stderr();
                let lines: Vec<&str> = stderr.lines().collect();
                if lines.is_empty() {
                    checks.note("stderr: nothing");
                } else {
                    checks.note(format!("stderr: {} lines (kept in reports; never read as protocol); the last ones:", lines.len()));
                    for line in &lines[lines.len().saturating_sub(10)..] {
                        checks.add(Status::Quote, truncate(line, 200));
                    }
                }
            }
        }
    }
}

fn exec_advice(error: &AdapterError, timeout: Duration) -> String {
    match error.kind {
        AdapterErrorKind::Timeout => format!(
            "no answer within {} ms{}: answer each request with one line on stdout and flush after it (many languages buffer stdout when it is a pipe)",
            timeout.as_millis(),
            error.seen.as_ref().map(|s| format!(" (saw: {s})")).unwrap_or_default()
        ),
        AdapterErrorKind::Oversized => format!("{error}: a message fits on one line of at most {MESSAGE_LIMIT} bytes"),
        _ => error.to_string(),
    }
}

fn http_advice(error: &AdapterError) -> String {
    match error.kind {
        AdapterErrorKind::Transport if error.detail.starts_with("HTTP ") => {
            format!("{error}: answer every POSTed message with status 200 and the answer as a JSON body")
        }
        AdapterErrorKind::Transport => {
            format!("{error}: is the server running and listening at this URL (scheme, host, port, path)?")
        }
        _ => error.to_string(),
    }
}

/// Collects the checks, hands each to the caller as it is made, and counts them.
struct Checklist<'a> {
    checks: Vec<Check>,
    on_check: &'a mut dyn FnMut(&Check),
    passed: usize,
    failed: usize,
}

impl<'a> Checklist<'a> {
    fn new(on_check: &'a mut dyn FnMut(&Check)) -> Self {
        Checklist {
            checks: Vec::new(),
            on_check,
            passed: 0,
            failed: 0,
        }
    }

    fn add(&mut self, status: Status, text: impl Into<String>) {
        let check = Check {
            status,
            text: text.into(),
        };
        (self.on_check)(&check);
        self.checks.push(check);
    }

    fn pass(&mut self, what: impl Into<String>) {
        self.passed += 1;
        self.add(Status::Passed, what);
    }

    fn fail(&mut self, what: impl Into<String>) {
        self.failed += 1;
        self.add(Status::Failed, what);
    }

    fn note(&mut self, what: impl Into<String>) {
        self.add(Status::Note, what);
    }

    fn into_smoke(self, exit: Exit) -> Smoke {
        Smoke {
            checks: self.checks,
            passed: self.passed,
            failed: self.failed,
            exit,
        }
    }
}
