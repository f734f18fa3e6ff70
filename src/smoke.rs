//! The smoke test, for adapter authors: start the adapter, check the handshake, send one verify
//! and two signs (a `user_hash`, then a JWT with a key id, an attribute and a lifetime), and
//! check every raw message it answers, so that protocol, header and claim mistakes show before
//! a full run. Each observation is one line that says what to fix, handed to the caller as it is
//! made (the command line prints it at once) and returned at the end.
//!
//! smoke has no rule of its own: the handshake and each answer are checked by the decoders a run
//! uses, in their collect mode (`adapter::check_hello`, `adapter::check_raw_answer`: every rule
//! an answer breaks, not only the first), and each answer is judged by the run's judge
//! (`judge::judge_message`) against the expectation a run would build for the request, so a
//! rule changed there changes smoke too. What smoke adds is the order of the requests and the
//! words of its passing lines.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::adapter::exec::{display_command, ExecProcess, StderrSink, MIN_START_TIMEOUT};
use crate::adapter::http::HttpClient;
use crate::adapter::{
    check_hello, check_raw_answer, AdapterError, AdapterErrorKind, AnswerRule, Channel, HelloRule,
    MESSAGE_LIMIT, SEEN_LIMIT,
};
use crate::clock::system_now;
use crate::contract::{
    Capability, Clock, FromAdapter, HelloReply, HelloRequest, IdentityVerification, JwtSettings,
    Platform, PlatformSettings, Role, SignMode, SignRequest, ToAdapter, User, VerifyRequest,
    Workspace, PROTOCOL_VERSION,
};
use crate::exit::Exit;
use crate::judge::{self, Expectation, Judgement, OutcomeClass, Problem};
use crate::reference::jws;
use crate::reference::user_hash::user_hash;
use crate::shorten::truncate;
use crate::spec::Level;

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

/// What one observation found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Passed,
    Failed,
    /// Information, neither pass nor fail.
    Note,
    /// A line quoted under the note before it (the adapter's stderr).
    Quote,
}

/// One line of the smoke test: a check that passed or failed, a note, or a quoted line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub status: Status,
    pub text: String,
}

impl Observation {
    /// The line as the terminal shows it: `ok     ...`, `FAIL   ...`, `note   ...`.
    pub fn line(&self) -> String {
        let tag = match self.status {
            Status::Passed => "ok     ",
            Status::Failed => "FAIL   ",
            Status::Note => "note   ",
            Status::Quote => "       | ",
        };
        // One line: whatever the adapter put in a name, a version, a stderr line or an
        // answer the check quotes is made visible (no control character, no `::` command).
        format!("{tag}{}", crate::visible::visible(&self.text))
    }
}

/// The smoke test's result.
#[derive(Debug, Clone)]
pub struct Smoke {
    pub observations: Vec<Observation>,
    pub passed: usize,
    pub failed: usize,
    /// Passed when every check passed; Failed when one failed; Usage when nothing answered
    /// `hello` (the adapter cannot be started or reached).
    pub exit: Exit,
}

/// The fixed instant and identities of the smoke requests. Every secret is at least 32 bytes,
/// as in the suite (KEY-SHORT-SECRET), so that a library that refuses short HMAC keys passes.
const NOW: i64 = 1_767_225_600;
const SECRET: &str = "smoke-web-idv-secret-4c1e9a7f3b60d258";
const JWT_SECRET: &str = "smoke-web-jwt-key-8d2f6a0c4e91b735";
const KEY_ID: &str = "smoke-key-1";
const USER_ID: &str = "smoke-user-1";
const EMAIL: &str = "smoke@example.com";
const ATTRIBUTE: (&str, &str) = ("plan", "smoke-pro");
const EXPIRES_IN: i64 = 3600;
/// How far the instant a JWT was signed at (its `exp - expires_in`) may be from the `now` of
/// the request when the implementation reads its own clock: the two processes read their
/// clocks at different moments.
const SYSTEM_CLOCK_SLACK: i64 = 5;
const VERIFY_ID: &str = "smoke-verify";
const SIGN_ID: &str = "smoke-sign";
const SIGN_JWT_ID: &str = "smoke-sign-jwt";

/// How many lines that are not messages the handshake reads past, reporting each.
const NOISE_LINES: usize = 20;

/// Smoke-test `target`, each request waiting at most `timeout`; `on_observation` sees each
/// observation as it is made.
pub fn smoke(
    target: &Target,
    timeout: Duration,
    mut on_observation: impl FnMut(&Observation),
) -> Smoke {
    let mut checks = Checklist::new(&mut on_observation);
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

/// The handshake, one verify and two signs; what is left after a [`Stop`] is not tried.
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
    let hello = handshake(&raw, peer.channel(), checks).ok_or(Stop::Gone)?;
    if hello.roles.contains(&Role::Verifier) {
        smoke_verify(peer, checks, timeout).ok_or(Stop::Gone)?;
    } else {
        checks.note("verify not tried: hello does not offer the verifier role");
    }
    if hello.roles.contains(&Role::Signer) {
        if hello.lacks.contains(&Capability::SignUserHash) {
            checks.note("user_hash sign not tried: hello declares `lacks: sign_user_hash`");
        } else {
            smoke_sign(peer, checks, timeout).ok_or(Stop::Gone)?;
        }
        if hello.lacks.contains(&Capability::SignJwt) {
            checks.note("jwt sign not tried: hello declares `lacks: sign_jwt`");
        } else {
            smoke_sign_jwt(peer, checks, timeout, hello.clock).ok_or(Stop::Gone)?;
        }
    } else {
        checks.note("sign not tried: hello does not offer the signer role");
    }
    Ok(())
}

/// The hello, checked by the run's own decoder in its collect mode ([`check_hello`]): each
/// ruling a line, the schema's first (as for every answer); the hello when it can be read.
fn handshake(raw: &str, channel: Channel, checks: &mut Checklist<'_>) -> Option<HelloReply> {
    let checked = check_hello(raw, true, channel);
    for rule in [
        HelloRule::Json,
        HelloRule::Schema,
        HelloRule::Type,
        HelloRule::Protocol,
        HelloRule::Message,
    ] {
        match checked.rulings.iter().find(|(r, _)| *r == rule) {
            Some((_, Err(problem))) => checks.fail(problem.clone()),
            Some((HelloRule::Schema, Ok(()))) => {
                checks.pass("the hello matches the protocol schema")
            }
            Some((HelloRule::Protocol, Ok(()))) => {
                checks.pass(format!("hello says protocol {PROTOCOL_VERSION}"))
            }
            _ => {}
        }
    }
    let hello = checked.hello?;
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
    if hello.lacks.is_empty() {
        checks.note(
            "hello declares no lack (`lacks`): every request of its roles will be sent, and an `unsupported` answer to any of them fails a must case",
        );
    } else {
        let lacks: Vec<String> = hello
            .lacks
            .iter()
            .map(|c| format!("{} (`{c}`)", c.describe()))
            .collect();
        checks.note(format!(
            "hello declares the implementation lacks {}: the requests that need it are not sent, and their cases are skipped, counted in every report",
            lacks.join(", ")
        ));
    }
    if hello.roles.is_empty() {
        // A run of such an implementation skips everything, and its gate fails: nothing was
        // tested.
        checks.fail("hello offers no role: list \"verifier\", \"signer\" or both in \"roles\"");
    }
    Some(hello)
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
            (
                Platform::Ios,
                settings("smoke-ios-idv-secret-9b2d5e8a1f7c0364", true),
            ),
            (
                Platform::Android,
                settings("smoke-android-idv-secret-e06a3c9f2d58b147", false),
            ),
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
    let expectation = Expectation::for_verify_request(&request);
    let message = ToAdapter::Verify(request);
    let Some(answer) = answer(peer, checks, timeout, &message, "verify")? else {
        return Some(());
    };
    let wanted = match &expectation {
        Expectation::Verdict(v) => match v.error {
            Some(code) => format!("{} ({code})", v.outcome),
            None => format!("{}, verified: {}", v.outcome, v.verified),
        },
        _ => String::new(),
    };
    let pass = format!("a valid user_hash on web is {wanted}, as the reference says");
    if !judged(&expectation, &answer, &message, pass, checks) {
        checks.note(format!(
            "the reference's verdict on this valid user_hash on web is {wanted}: check too how the adapter passes the workspace settings and the user_hash to your code"
        ));
    }
    Some(())
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
    let expectation = Expectation::for_sign_request(&request);
    let message = ToAdapter::Sign(request);
    if let Some(answer) = answer(peer, checks, timeout, &message, "sign")? {
        let pass = "the signed user_hash is the lowercase hex HMAC-SHA256 of the user_id";
        judged(&expectation, &answer, &message, pass.into(), checks);
    }
    Some(())
}

fn smoke_sign_jwt(
    peer: &mut Peer,
    checks: &mut Checklist<'_>,
    timeout: Duration,
    clock: Clock,
) -> Option<()> {
    let now = match clock {
        Clock::Injected => NOW,
        Clock::System => system_now(),
    };
    let request = jwt_sign_request(now);
    let message = ToAdapter::Sign(request.clone());
    if let Some(answer) = answer(peer, checks, timeout, &message, "jwt sign")? {
        judge_jwt_answer(&request, clock, &answer, checks);
    }
    Some(())
}

/// Sends `message` (called `what`) and checks the raw answer ([`decoded`]): the answer to
/// judge, if its type answers the request and it is not `unsupported`, which fails in the
/// run's words ([`judge::unsupported`]: the skip hello did not declare, and what to declare).
/// `None` when nothing usable came back.
fn answer(
    peer: &mut Peer,
    checks: &mut Checklist<'_>,
    timeout: Duration,
    message: &ToAdapter,
    what: &str,
) -> Option<Option<FromAdapter>> {
    let raw = peer.ask(message, what, checks, timeout)?;
    match decoded(message, &raw, what, peer.channel(), checks) {
        Some(FromAdapter::Unsupported(unsupported)) => {
            report(
                &judge::unsupported(&unsupported.message, message),
                what,
                checks,
            );
            Some(None)
        }
        answer => Some(answer),
    }
}

/// `answer` judged as a run judges it: `pass` when it conforms, else each problem a line
/// ([`report`]). Whether it conforms.
fn judged(
    expectation: &Expectation,
    answer: &FromAdapter,
    message: &ToAdapter,
    pass: String,
    checks: &mut Checklist<'_>,
) -> bool {
    let judgement = judge::judge_message(expectation, answer, message);
    let what = match message {
        ToAdapter::Verify(_) => "verify",
        _ => "sign",
    };
    if judgement.class == OutcomeClass::Pass {
        checks.pass(pass);
        return true;
    }
    report(&judgement, what, checks);
    false
}

/// The JWT sign at `now`: a key id, one attribute and a lifetime.
fn jwt_sign_request(now: i64) -> SignRequest {
    SignRequest {
        id: SIGN_JWT_ID.into(),
        now,
        mode: SignMode::Jwt,
        platform: Platform::Web,
        secret: JWT_SECRET.into(),
        key_id: Some(KEY_ID.into()),
        user: User {
            user_id: Some(USER_ID.into()),
            email: Some(EMAIL.into()),
        },
        attributes: [(ATTRIBUTE.0.to_string(), Value::from(ATTRIBUTE.1))]
            .into_iter()
            .collect(),
        expires_in: Some(EXPIRES_IN),
    }
}

/// The answer to the JWT sign, judged as a run judges it, each problem a line in the judge's
/// words; then, for a token that decodes, a passing line for each part (header, claims,
/// signature) the judge found nothing wrong with.
fn judge_jwt_answer(
    request: &SignRequest,
    clock: Clock,
    answer: &FromAdapter,
    checks: &mut Checklist<'_>,
) {
    let token = match answer {
        FromAdapter::Signed(signed) => signed
            .jwt
            .as_deref()
            .and_then(|token| jws::decode_unverified(token).ok()),
        _ => None,
    };
    let now = signing_instant(
        request.now,
        clock,
        token.as_ref().and_then(|t| t.claims.members.get("exp")),
    );
    let request = SignRequest {
        now,
        ..request.clone()
    };
    let expectation = Expectation::for_sign_request(&request);
    let message = ToAdapter::Sign(request);
    let judgement = judge::judge_message(&expectation, answer, &message);
    let Some(token) = token else {
        report(&judgement, "jwt sign", checks);
        return;
    };
    let part = |field: &str| field.split('.').next().unwrap_or_default().to_string();
    let parts = ["header", "claims", "signature"];
    // What is not about one part of the token first, then each part: its problems, or a line
    // saying it passed.
    report_problems(
        judgement
            .problems
            .iter()
            .filter(|p| !parts.contains(&part(&p.field).as_str())),
        "jwt sign",
        checks,
    );
    for name in parts {
        let mut problems = judgement
            .problems
            .iter()
            .filter(|p| part(&p.field) == name)
            .peekable();
        if problems.peek().is_some() {
            report_problems(problems, "jwt sign", checks);
            continue;
        }
        match name {
            "header" => checks.pass(format!(
                "the jwt header is {}: alg HS256, typ absent or JWT, kid = key_id or absent",
                Value::Object(token.header.members.clone())
            )),
            "claims" => checks.pass(format!(
                "the jwt's claims are user_id, email, {} and exp = now + expires_in ({})",
                ATTRIBUTE.0,
                now + EXPIRES_IN
            )),
            _ => checks.pass("the jwt's signature is HMAC-SHA256 under the secret sent"),
        }
    }
}

/// The instant the JWT is judged at: the request's `now`; with the implementation's own clock,
/// the instant its `exp` was computed from (`exp - expires_in`) when that is within
/// [`SYSTEM_CLOCK_SLACK`] of `now`.
fn signing_instant(now: i64, clock: Clock, exp: Option<&Value>) -> i64 {
    let signed_at = exp
        .and_then(Value::as_i64)
        .map(|exp| exp.saturating_sub(EXPIRES_IN));
    match signed_at {
        Some(at) if clock == Clock::System && (at - now).abs() <= SYSTEM_CLOCK_SLACK => at,
        _ => now,
    }
}

/// Each problem of `judgement` as a line, in the judge's words ([`report_problems`]).
fn report(judgement: &Judgement, what: &str, checks: &mut Checklist<'_>) {
    if let Some(reason) = &judgement.skip_reason {
        checks.fail(format!("{what}: {reason}"));
    }
    report_problems(&judgement.problems, what, checks);
}

/// Each problem as a line, in the judge's words (as the run's report gives them): a failure,
/// or a note for a problem that breaks only a `should` rule (which gates only under
/// `--strict`).
fn report_problems<'a>(
    problems: impl IntoIterator<Item = &'a Problem>,
    what: &str,
    checks: &mut Checklist<'_>,
) {
    for problem in problems {
        let mut rated = vec![problem.severity.as_str().to_string()];
        if let Some(level) = problem.level {
            rated.push(format!("{level} rule"));
        }
        rated.extend(problem.requirement.clone());
        let line = format!(
            "{what}, {}: expected {}, got {}; why it matters ({}): {}",
            problem.field,
            problem.expected,
            problem.actual,
            rated.join(", "),
            problem.why
        );
        if problem.level == Some(Level::Should) {
            checks.note(format!("{line}; it gates under --strict"));
        } else {
            checks.fail(line);
        }
    }
}

/// One raw answer, checked by the run's own decoder in its collect mode ([`check_raw_answer`]):
/// each ruling a line; the message when its type answers the request.
fn decoded(
    request: &ToAdapter,
    raw: &str,
    what: &str,
    channel: Channel,
    checks: &mut Checklist<'_>,
) -> Option<FromAdapter> {
    let checked = check_raw_answer(request, raw, true, channel);
    let type_name = checked.type_name.as_deref().unwrap_or("");
    let name = if type_name.is_empty() {
        "answer"
    } else {
        type_name
    };
    let mut fits = false;
    for (rule, ruling) in &checked.rulings {
        match (rule, ruling) {
            (AnswerRule::Json | AnswerRule::Message, Err(problem)) => checks.fail(format!(
                "{}: `{}`",
                problem.detail,
                problem.seen.as_deref().unwrap_or_default()
            )),
            (_, Err(problem)) => checks.fail(problem.detail.clone()),
            (AnswerRule::Schema, Ok(())) => {
                checks.pass(format!("the \"{name}\" answer matches the protocol schema"))
            }
            (AnswerRule::Type, Ok(())) => {
                fits = true;
                checks.pass(format!("{what} is answered by a \"{type_name}\""));
            }
            (AnswerRule::Id, Ok(())) => checks.pass(format!(
                "the {name} echoes the request id \"{}\"",
                request.id().unwrap_or_default()
            )),
            (AnswerRule::Json | AnswerRule::Message, Ok(())) => {}
        }
    }
    checked.message.filter(|_| fits)
}

/// The adapter under test, seen raw.
enum Peer {
    Exec(Box<ExecProcess>),
    Http(HttpClient),
}

impl Peer {
    /// Where the peer's answers come from, for advice that fits the transport.
    fn channel(&self) -> Channel {
        match self {
            Peer::Exec(_) => Channel::Stdout,
            Peer::Http(_) => Channel::HttpBody,
        }
    }

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

/// Collects the observations, hands each to the caller as it is made, and counts the checks
/// that passed and failed.
struct Checklist<'a> {
    observations: Vec<Observation>,
    on_observation: &'a mut dyn FnMut(&Observation),
    passed: usize,
    failed: usize,
}

impl<'a> Checklist<'a> {
    fn new(on_observation: &'a mut dyn FnMut(&Observation)) -> Self {
        Checklist {
            observations: Vec::new(),
            on_observation,
            passed: 0,
            failed: 0,
        }
    }

    fn add(&mut self, status: Status, text: impl Into<String>) {
        let observation = Observation {
            status,
            text: text.into(),
        };
        (self.on_observation)(&observation);
        self.observations.push(observation);
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
            observations: self.observations,
            passed: self.passed,
            failed: self.failed,
            exit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Signed;

    fn claims() -> Value {
        json!({"user_id": USER_ID, "email": EMAIL, "plan": "smoke-pro", "exp": NOW + EXPIRES_IN})
    }

    fn signed(token: String) -> FromAdapter {
        FromAdapter::Signed(Signed {
            id: SIGN_JWT_ID.into(),
            user_hash: None,
            jwt: Some(token),
        })
    }

    /// What smoke says of one token: (failures, notes, passes).
    fn observe(
        header: Value,
        claims: Value,
        secret: &str,
        clock: Clock,
    ) -> (Vec<String>, Vec<String>, usize) {
        let answer = signed(jws::sign_hs256(&header, &claims, secret.as_bytes()));
        let mut ignore = |_: &Observation| {};
        let mut checks = Checklist::new(&mut ignore);
        judge_jwt_answer(&jwt_sign_request(NOW), clock, &answer, &mut checks);
        let texts = |status| {
            checks
                .observations
                .iter()
                .filter(|o| o.status == status)
                .map(|o| o.text.clone())
                .collect::<Vec<_>>()
        };
        (texts(Status::Failed), texts(Status::Note), checks.passed)
    }

    fn check(header: Value, claims: Value, secret: &str) -> (Vec<String>, Vec<String>, usize) {
        observe(header, claims, secret, Clock::Injected)
    }

    #[test]
    fn a_conforming_token_passes_header_claims_and_signature() {
        for header in [
            json!({"alg": "HS256", "typ": "JWT", "kid": KEY_ID}),
            json!({"alg": "HS256", "kid": KEY_ID}),
            json!({"alg": "HS256", "typ": "jwt"}),
        ] {
            let (failed, notes, passed) = check(header.clone(), claims(), JWT_SECRET);
            assert!(
                failed.is_empty() && notes.is_empty(),
                "{header}: {failed:?} {notes:?}"
            );
            assert_eq!(passed, 3, "{header}");
        }
        let mut with_iat = claims();
        with_iat["iat"] = json!(NOW);
        assert!(check(json!({"alg": "HS256"}), with_iat, JWT_SECRET)
            .0
            .is_empty());
    }

    /// The proof that smoke states no signer rule of its own: a token that breaks a header rule
    /// and a claim rule gets both reported, each in the words of the judge a run uses, with
    /// the requirement it breaks.
    #[test]
    fn a_token_that_breaks_two_rules_gets_both_in_the_judges_words() {
        let header = json!({"alg": "HS256", "kid": "k-other"});
        let mut claims = claims();
        claims["exp"] = json!((NOW + EXPIRES_IN) * 1000);
        let (failed, notes, passed) = check(header.clone(), claims.clone(), JWT_SECRET);
        // What the judge itself says of the same answer to the same request.
        let request = jwt_sign_request(NOW);
        let expectation = Expectation::for_sign_request(&request);
        let answer = signed(jws::sign_hs256(&header, &claims, JWT_SECRET.as_bytes()));
        let judgement = judge::judge_message(&expectation, &answer, &ToAdapter::Sign(request));
        let fields: Vec<&str> = judgement
            .problems
            .iter()
            .map(|p| p.field.as_str())
            .collect();
        assert_eq!(fields, ["header.kid", "claims.exp"]);
        assert_eq!(failed.len(), 2, "{failed:?}");
        for (line, problem) in failed.iter().zip(&judgement.problems) {
            assert_eq!(
                line,
                &format!(
                    "jwt sign, {}: expected {}, got {}; why it matters ({}, {}): {}",
                    problem.field,
                    problem.expected,
                    problem.actual,
                    problem.severity.as_str(),
                    problem.requirement.as_deref().unwrap_or_default(),
                    problem.why
                )
            );
        }
        assert!(failed[0].starts_with(r#"jwt sign, header.kid: expected "smoke-key-1", got "k-other"; why it matters (major, SIGN-JWT-HEADER): a verifier following this profile may pick the key by kid"#), "{failed:?}");
        assert!(failed[1].starts_with("jwt sign, claims.exp: expected 1767229200, got 1767229200000; why it matters (critical, SIGN-JWT-EXP): the token lives longer than asked"), "{failed:?}");
        assert!(notes.is_empty(), "{notes:?}");
        // Only the signature is right.
        assert_eq!(passed, 1);
    }

    #[test]
    fn each_header_mistake_is_named() {
        let (failed, _, _) = check(
            json!({"alg": "HS256", "jku": "https://example.com/keys"}),
            claims(),
            JWT_SECRET,
        );
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert!(
            failed[0].starts_with("jwt sign, header.jku: expected absent, got \"https://example.com/keys\"; why it matters (major, SIGN-JWT-HEADER)"),
            "{failed:?}"
        );
        // A typ other than JWT breaks a should rule: a note, not a failure, and no passing
        // header.
        let (failed, notes, passed) =
            check(json!({"alg": "HS256", "typ": "JOSE"}), claims(), JWT_SECRET);
        assert!(failed.is_empty(), "{failed:?}");
        assert!(
            notes[0].starts_with(r#"jwt sign, header.typ: expected absent, or "JWT" (in any case), got "JOSE"; why it matters (minor, should rule, SIGN-JWT-TYP)"#)
                && notes[0].ends_with("; it gates under --strict"),
            "{notes:?}"
        );
        assert_eq!(passed, 2);
        let (failed, _, passed) = check(json!({"alg": "none"}), claims(), JWT_SECRET);
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert!(
            failed[0].starts_with("jwt sign, jwt: expected a compact JWS")
                && failed[0].contains("refuses this token with jwt_algorithm_not_allowed"),
            "{failed:?}"
        );
        assert_eq!(passed, 0);
    }

    #[test]
    fn each_claim_and_signature_mistake_is_named() {
        let header = json!({"alg": "HS256"});
        let fields = |failed: &[String]| {
            failed
                .iter()
                .map(|f| f.split(':').next().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        };
        let mut nested = claims();
        nested.as_object_mut().unwrap().shift_remove("plan");
        nested["attributes"] = json!({"plan": "smoke-pro"});
        let (failed, _, _) = check(header.clone(), nested, JWT_SECRET);
        assert_eq!(
            fields(&failed),
            ["jwt sign, claims.plan", "jwt sign, claims.attributes"]
        );

        let mut float_exp = claims();
        float_exp["exp"] = json!((NOW + EXPIRES_IN) as f64 + 0.5);
        let (failed, _, _) = check(header.clone(), float_exp, JWT_SECRET);
        assert!(
            failed[0].starts_with("jwt sign, claims.exp: expected 1767229200, got 1767229200.5"),
            "{failed:?}"
        );

        let mut numeric_id = claims();
        numeric_id["user_id"] = json!(1);
        let (failed, _, _) = check(header.clone(), numeric_id, JWT_SECRET);
        assert!(
            failed[0].starts_with(r#"jwt sign, claims.user_id: expected "smoke-user-1", got 1"#),
            "{failed:?}"
        );

        let mut string_iat = claims();
        string_iat["iat"] = json!("now");
        let (failed, _, _) = check(header.clone(), string_iat, JWT_SECRET);
        assert_eq!(fields(&failed), ["jwt sign, claims.iat"]);

        let (failed, _, passed) = check(header, claims(), "another-secret-of-thirty-two-byte");
        assert_eq!(fields(&failed), ["jwt sign, signature"]);
        assert_eq!(passed, 2);
    }

    #[test]
    fn with_the_system_clock_exp_may_be_a_few_seconds_off() {
        let mut late = claims();
        late["exp"] = json!(NOW + EXPIRES_IN + 2);
        for (clock, fails) in [(Clock::System, false), (Clock::Injected, true)] {
            let (failed, _, _) = observe(json!({"alg": "HS256"}), late.clone(), JWT_SECRET, clock);
            assert_eq!(!failed.is_empty(), fails, "{clock:?}: {failed:?}");
        }
        let mut far = claims();
        far["exp"] = json!(NOW + EXPIRES_IN + SYSTEM_CLOCK_SLACK + 1);
        let (failed, _, _) = observe(json!({"alg": "HS256"}), far, JWT_SECRET, Clock::System);
        assert_eq!(failed.len(), 1, "{failed:?}");
    }

    /// Every rule an answer breaks is a line of its own, in the decoder's words.
    #[test]
    fn an_answer_of_the_wrong_type_and_id_gets_both() {
        let message = ToAdapter::Sign(jwt_sign_request(NOW));
        let raw = r#"{"type":"verdict","id":"v9","outcome":"rejected","verified":false,"identity":null,"error":"jwt_malformed","attributes":{"applied":{},"dropped":{}}}"#;
        let mut ignore = |_: &Observation| {};
        let mut checks = Checklist::new(&mut ignore);
        let answer = decoded(&message, raw, "jwt sign", Channel::Stdout, &mut checks);
        assert!(answer.is_none());
        let checked = check_raw_answer(&message, raw, true, Channel::Stdout);
        let problems: Vec<String> = checked
            .rulings
            .iter()
            .filter_map(|(_, ruling)| ruling.as_ref().err().map(|e| e.detail.clone()))
            .collect();
        let failed: Vec<String> = checks
            .observations
            .iter()
            .filter(|o| o.status == Status::Failed)
            .map(|o| o.text.clone())
            .collect();
        assert_eq!(failed.len(), 2, "{failed:?}");
        assert_eq!(failed, problems);
        assert_eq!(checks.passed, 1, "the schema passes");
    }

    #[test]
    fn smoke_secrets_are_at_least_32_bytes() {
        for secret in [SECRET, JWT_SECRET] {
            assert!(
                secret.len() >= crate::scenario::MIN_SECRET_BYTES,
                "{secret}"
            );
        }
        for settings in smoke_workspace().platforms.values() {
            assert!(
                settings.identity_verification.secret.len() >= crate::scenario::MIN_SECRET_BYTES
            );
        }
    }
}
