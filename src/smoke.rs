//! The smoke test, for adapter authors: start the adapter, check the handshake, send one verify
//! and two signs (a `user_hash`, then a JWT with a key id, an attribute and a lifetime), and
//! check every raw message it answers against the protocol's JSON Schema, the request's id and a
//! plain expectation: for the JWT, its header (alg HS256, typ absent or JWT, kid), its claims
//! (user_id, email, the attribute, exp = now + expires_in in integer seconds) and its signature,
//! so that header and claim mistakes show before a full run. Each check is one line that says
//! what to fix, handed to the caller as it is made (the command line prints it at once) and
//! returned at the end.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::adapter::exec::{display_command, ExecProcess, StderrSink, MIN_START_TIMEOUT};
use crate::adapter::http::HttpClient;
use crate::adapter::json::JsonProblem;
use crate::adapter::{validate, AdapterError, AdapterErrorKind, MESSAGE_LIMIT, SEEN_LIMIT};
use crate::clock::system_now;
use crate::contract::{
    Capability, Clock, FromAdapter, HelloReply, HelloRequest, IdentityVerification, JwtSettings,
    Platform, PlatformSettings, Role, SignMode, SignRequest, ToAdapter, User, VerifyRequest,
    Workspace, PROTOCOL_VERSION,
};
use crate::exit::Exit;
use crate::reference::jws;
use crate::reference::user_hash::user_hash;
use crate::shorten::truncate;

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
        // One line: whatever the adapter put in a name, a version, a stderr line or an
        // answer the check quotes is made visible (no control character, no `::` command).
        format!("{tag}{}", crate::visible::visible(&self.text))
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
/// How far `exp` may be from `now + expires_in` when the implementation reads its own clock.
const SYSTEM_CLOCK_SLACK: i64 = 5;
const VERIFY_ID: &str = "smoke-verify";
const SIGN_ID: &str = "smoke-sign";
const SIGN_JWT_ID: &str = "smoke-sign-jwt";

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
    let hello = handshake(&raw, checks).ok_or(Stop::Gone)?;
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
            "a plain user_hash sign was answered unsupported ({}), though hello offers the signer role and declares no lack of user_hash signing: if the implementation cannot make one, declare `\"lacks\": [\"sign_user_hash\"]` in hello",
            unsupported.message
        )),
        _ => {}
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
    let request = SignRequest {
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
    };
    let message = ToAdapter::Sign(request);
    let raw = peer.ask(&message, "jwt sign", checks, timeout)?;
    match checked_answer(&message, &raw, "jwt sign", "signed", checks) {
        Some(FromAdapter::Signed(signed)) => match (signed.jwt, signed.user_hash) {
            (Some(token), _) => check_token(&token, now, clock, checks),
            (None, Some(_)) => checks.fail("the jwt sign was answered with a user_hash and no jwt: mode jwt answers {\"jwt\":\"<token>\",\"user_hash\":null}; check that the adapter passes `mode` to your code"),
            (None, None) => checks.fail("the signed answer has no jwt: mode jwt answers {\"jwt\":\"<token>\"}"),
        },
        Some(FromAdapter::Refused(refused)) => checks.fail(format!(
            "a plain JWT sign was refused ({}); a user with a user_id is always signed",
            refused.message
        )),
        Some(FromAdapter::Unsupported(unsupported)) => checks.fail(format!(
            "a plain JWT sign was answered unsupported ({}), though hello declares no lack of JWT signing: each JWT signer case would be a skip hello did not declare, which fails the gate. If the implementation cannot make a JWT, declare `\"lacks\": [\"sign_jwt\"]` in hello",
            unsupported.message
        )),
        _ => {}
    }
    Some(())
}

/// The smoke JWT, part by part: what a verifier following this profile would do with it.
fn check_token(token: &str, now: i64, clock: Clock, checks: &mut Checklist<'_>) {
    let decoded = match jws::decode_unverified(token) {
        Ok(decoded) => decoded,
        Err(error) => {
            checks.fail(format!(
                "the jwt is refused by a verifier following this profile with {}: {error}; it is a compact JWS (three base64url parts without padding) with header alg \"HS256\"",
                error.code()
            ));
            return;
        }
    };
    // Header: alg is checked by decoding; then typ, kid and nothing else.
    let header = &decoded.header.members;
    let mut header_ok = true;
    match header.get("typ") {
        None => {}
        Some(Value::String(typ)) if typ.eq_ignore_ascii_case("JWT") => {}
        Some(other) => {
            header_ok = false;
            checks.note(format!(
                "the jwt header's typ is {other}: verifiers following this profile never read it, but it should be absent or \"JWT\" (a should-level failure of every signer case, SIGN-JWT-TYP; it gates under --strict)"
            ));
        }
    }
    match header.get("kid") {
        None => checks.note(format!(
            "the jwt header has no kid; it is optional, but with key_id {KEY_ID:?} given, kid = key_id lets a verifier with several keys pick the right one"
        )),
        Some(Value::String(kid)) if kid == KEY_ID => {}
        Some(other) => {
            header_ok = false;
            checks.fail(format!(
                "the jwt header's kid is {other}; the request's key_id is {KEY_ID:?}: a verifier that picks the key by kid refuses the token (jwt_signature_invalid); write kid = key_id"
            ));
        }
    }
    let extra: Vec<&str> = header
        .keys()
        .map(String::as_str)
        .filter(|name| !matches!(*name, "alg" | "typ" | "kid"))
        .collect();
    if !extra.is_empty() {
        header_ok = false;
        checks.fail(format!(
            "the jwt header has {}: the signer rules allow alg, typ and kid only; remove {}",
            extra
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if extra.len() == 1 { "it" } else { "them" }
        ));
    }
    if header_ok {
        checks.pass(format!(
            "the jwt header is {}: alg HS256, typ absent or JWT, kid = key_id or absent",
            Value::Object(header.clone())
        ));
    }
    check_claims(&decoded.claims.members, now, clock, checks);
    if decoded.verifies_under(JWT_SECRET.as_bytes()) {
        checks.pass("the jwt's signature is HMAC-SHA256 under the secret sent");
    } else {
        checks.fail("the jwt's signature does not verify under the secret sent: a verifier refuses it (jwt_signature_invalid); MAC the first two parts with HMAC-SHA256 keyed with the request's `secret` as UTF-8 bytes (not base64-decoded, not the key_id)");
    }
}

fn check_claims(
    claims: &crate::contract::Object,
    now: i64,
    clock: Clock,
    checks: &mut Checklist<'_>,
) {
    let mut ok = true;
    let mut fail = |checks: &mut Checklist<'_>, text: String| {
        ok = false;
        checks.fail(text);
    };
    for (name, want, why) in [
        ("user_id", USER_ID, "the user's id as a string: a verifier compares it with the request's user_id"),
        ("email", EMAIL, "the user's email, when the user has one"),
        (ATTRIBUTE.0, ATTRIBUTE.1, "each attribute is a top-level claim (not nested under `attributes`), applied by the verifier"),
    ] {
        match claims.get(name) {
            Some(Value::String(got)) if got == want => {}
            Some(other) => fail(checks, format!("the jwt's `{name}` claim is {other}; expected {want:?}: {why}")),
            None => fail(checks, format!("the jwt has no `{name}` claim; expected {want:?}: {why}")),
        }
    }
    let want_exp = now + EXPIRES_IN;
    let slack = if clock == Clock::System {
        SYSTEM_CLOCK_SLACK
    } else {
        0
    };
    match claims.get("exp") {
        Some(Value::Number(exp)) if exp.as_i64().is_some_and(|e| (e - want_exp).abs() <= slack) => {}
        Some(exp) => {
            let hint = crate::debug::time_claim_hint("exp", exp)
                .map(|h| format!(" ({h})"))
                .unwrap_or_default();
            fail(checks, format!(
                "the jwt's exp is {exp}; expected {want_exp} = now {now} + expires_in {EXPIRES_IN}, an integer number of seconds{hint}"
            ));
        }
        None => fail(checks, format!(
            "the jwt has no exp; expected {want_exp} = now {now} + expires_in {EXPIRES_IN}: without it the token never expires"
        )),
    }
    let allowed = ["user_id", "email", ATTRIBUTE.0, "exp", "iat"];
    let extra: Vec<&str> = claims
        .keys()
        .map(String::as_str)
        .filter(|name| !allowed.contains(name))
        .collect();
    if !extra.is_empty() {
        fail(checks, format!(
            "the jwt has the claim{} {}: the signer rules allow user_id, email, the attributes, exp and iat only (a verifier applies any other claim as an attribute)",
            if extra.len() == 1 { "" } else { "s" },
            extra.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    if claims.get("iat").is_some_and(|iat| !iat.is_i64()) {
        fail(
            checks,
            format!(
                "the jwt's iat is {}: when present, iat is an integer number of seconds",
                claims["iat"]
            ),
        );
    }
    if ok {
        checks.pass(format!(
            "the jwt's claims are user_id, email, {} and exp = now + expires_in ({want_exp})",
            ATTRIBUTE.0
        ));
    }
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
        || (matches!(request, ToAdapter::Sign(_)) && type_name == "refused");
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

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Value {
        json!({"user_id": USER_ID, "email": EMAIL, "plan": "smoke-pro", "exp": NOW + EXPIRES_IN})
    }

    /// The checks made of one token: (failures, notes, passes).
    fn check(header: Value, claims: Value, secret: &str) -> (Vec<String>, Vec<String>, usize) {
        let token = jws::sign_hs256(&header, &claims, secret.as_bytes());
        let mut ignore = |_: &Check| {};
        let mut checks = Checklist::new(&mut ignore);
        check_token(&token, NOW, Clock::Injected, &mut checks);
        let texts = |status| {
            checks
                .checks
                .iter()
                .filter(|c| c.status == status)
                .map(|c| c.text.clone())
                .collect::<Vec<_>>()
        };
        (texts(Status::Failed), texts(Status::Note), checks.passed)
    }

    #[test]
    fn a_conforming_token_passes_header_claims_and_signature() {
        for header in [
            json!({"alg": "HS256", "typ": "JWT", "kid": KEY_ID}),
            json!({"alg": "HS256", "kid": KEY_ID}),
            json!({"alg": "HS256", "typ": "jwt"}),
        ] {
            let (failed, _, passed) = check(header.clone(), claims(), JWT_SECRET);
            assert!(failed.is_empty(), "{header}: {failed:?}");
            assert_eq!(passed, 3, "{header}");
        }
        let mut with_iat = claims();
        with_iat["iat"] = json!(NOW);
        assert!(check(json!({"alg": "HS256"}), with_iat, JWT_SECRET)
            .0
            .is_empty());
    }

    #[test]
    fn each_header_mistake_is_named() {
        let (failed, _, _) = check(
            json!({"alg": "HS256", "kid": "k-other"}),
            claims(),
            JWT_SECRET,
        );
        assert_eq!(failed, vec!["the jwt header's kid is \"k-other\"; the request's key_id is \"smoke-key-1\": a verifier that picks the key by kid refuses the token (jwt_signature_invalid); write kid = key_id".to_string()]);
        let (failed, _, _) = check(
            json!({"alg": "HS256", "jku": "https://example.com/keys"}),
            claims(),
            JWT_SECRET,
        );
        assert_eq!(
            failed,
            vec![
                "the jwt header has `jku`: the signer rules allow alg, typ and kid only; remove it"
                    .to_string()
            ]
        );
        let (failed, notes, _) =
            check(json!({"alg": "HS256", "typ": "JOSE"}), claims(), JWT_SECRET);
        assert!(failed.is_empty(), "{failed:?}");
        assert!(
            notes[0].starts_with("the jwt header's typ is \"JOSE\""),
            "{notes:?}"
        );
        let (failed, _, _) = check(json!({"alg": "none"}), claims(), JWT_SECRET);
        assert!(
            failed[0].starts_with("the jwt is refused by a verifier following this profile with jwt_algorithm_not_allowed"),
            "{failed:?}"
        );
    }

    #[test]
    fn each_claim_and_signature_mistake_is_named() {
        let header = json!({"alg": "HS256"});
        let mut nested = claims();
        nested.as_object_mut().unwrap().shift_remove("plan");
        nested["attributes"] = json!({"plan": "smoke-pro"});
        let (failed, _, _) = check(header.clone(), nested, JWT_SECRET);
        assert_eq!(failed.len(), 2, "{failed:?}");
        assert!(
            failed[0].starts_with("the jwt has no `plan` claim"),
            "{failed:?}"
        );
        assert!(
            failed[1].starts_with("the jwt has the claim `attributes`: the signer rules allow"),
            "{failed:?}"
        );

        let mut float_exp = claims();
        float_exp["exp"] = json!((NOW + EXPIRES_IN) as f64 + 0.5);
        let (failed, _, _) = check(header.clone(), float_exp, JWT_SECRET);
        assert!(
            failed[0].starts_with("the jwt's exp is 1767229200.5; expected 1767229200"),
            "{failed:?}"
        );

        let mut numeric_id = claims();
        numeric_id["user_id"] = json!(1);
        let (failed, _, _) = check(header.clone(), numeric_id, JWT_SECRET);
        assert!(
            failed[0].starts_with("the jwt's `user_id` claim is 1; expected \"smoke-user-1\""),
            "{failed:?}"
        );

        let mut string_iat = claims();
        string_iat["iat"] = json!("now");
        let (failed, _, _) = check(header.clone(), string_iat, JWT_SECRET);
        assert_eq!(
            failed,
            vec![
                "the jwt's iat is \"now\": when present, iat is an integer number of seconds"
                    .to_string()
            ]
        );

        let (failed, _, _) = check(header, claims(), "another-secret-of-thirty-two-byte");
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert!(
            failed[0].starts_with("the jwt's signature does not verify under the secret sent"),
            "{failed:?}"
        );
    }

    #[test]
    fn with_the_system_clock_exp_may_be_a_few_seconds_off() {
        let token = jws::sign_hs256(
            &json!({"alg": "HS256"}),
            &json!({"user_id": USER_ID, "email": EMAIL, "plan": "smoke-pro", "exp": NOW + EXPIRES_IN + 2}),
            JWT_SECRET.as_bytes(),
        );
        for (clock, fails) in [(Clock::System, false), (Clock::Injected, true)] {
            let mut ignore = |_: &Check| {};
            let mut checks = Checklist::new(&mut ignore);
            check_token(&token, NOW, clock, &mut checks);
            assert_eq!(checks.failed > 0, fails, "{clock:?}: {:?}", checks.checks);
        }
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
