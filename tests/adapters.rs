//! The exec and http transports against misbehaving adapters, the `serve` command, `smoke`, and
//! `run`'s target flags.
//!
//! The misbehaving adapter is `tests/adapters/misbehave.py`: a proxy in front of
//! `messenger-conformance serve --stdio` (so every answer it does not break is the reference's)
//! that breaks one request as its mode says. With `--once FILE` it breaks only the first process's
//! request, so after the harness restarts it every other case must pass.
//!
//! No test asserts on durations; the timeouts are small so the suite stays fast.

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use common::{Output, BIN};
use messenger_conformance::adapter::exec::{ExecAdapter, ExecFactory};
use messenger_conformance::adapter::http::HttpFactory;
use messenger_conformance::adapter::{Adapter, AdapterFactory};
use messenger_conformance::contract::{HelloRequest, ToAdapter};
use messenger_conformance::judge::OutcomeClass;
use messenger_conformance::report::CaseEvent;
use messenger_conformance::scenario::{LoadedCase, Suite};

/// The first `n` cases of an area: enough requests for the 3rd to break.
fn some_cases(suite: &Suite, n: usize) -> Vec<&LoadedCase> {
    let cases: Vec<&LoadedCase> = suite
        .cases
        .iter()
        .filter(|c| c.area == "visitors")
        .take(n)
        .collect();
    assert_eq!(cases.len(), n, "the visitors area has fewer than {n} cases");
    cases
}

/// The interpreter itself: `python3` may be a version manager's shim that costs a process or
/// two per start, and the tests start many adapters.
fn python() -> String {
    static PYTHON: OnceLock<String> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            Command::new("python3")
                .args(["-c", "import sys; print(sys.executable)"])
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .filter(|path| !path.is_empty())
                .unwrap_or_else(|| "python3".into())
        })
        .clone()
}

/// The exec command of the misbehaving adapter.
fn misbehaving(mode: &str, extra: &[&str]) -> Vec<String> {
    let script = common::test_adapter("misbehave.py");
    let mut command = vec![python(), script.display().to_string(), mode.to_string()];
    command.extend(extra.iter().map(|s| s.to_string()));
    command.push("--".to_string());
    command.extend(reference_command());
    command
}

/// The misbehaving adapter that breaks only the first process's request, and the file it
/// creates when it does.
fn misbehaving_once(mode: &str) -> (Vec<String>, PathBuf) {
    let once = common::unique_path(mode);
    let command = misbehaving(mode, &["--once", &once.display().to_string()]);
    (command, once)
}

/// The reference, `serve --stdio`.
fn reference_command() -> Vec<String> {
    common::reference_command().map(String::from).to_vec()
}

fn exec(command: Vec<String>, timeout_ms: u64) -> ExecFactory {
    ExecFactory::new(command, Duration::from_millis(timeout_ms))
}

/// What the report says about a failed case: its problems, transcript and stderr.
fn story(event: &CaseEvent) -> String {
    let problems: Vec<String> = event.problems.iter().map(|p| p.actual.clone()).collect();
    let seen: Vec<String> = event
        .transcript
        .iter()
        .filter_map(|x| x.seen.clone())
        .collect();
    format!(
        "problems: {}\nseen: {}\nstderr: {}",
        problems.join(" | "),
        seen.join(" | "),
        event.stderr
    )
}

fn outcomes(events: &[CaseEvent]) -> String {
    events
        .iter()
        .map(|e| format!("{} {:?}\n", e.id, e.outcome))
        .collect()
}

/// The first 4 cases against an adapter that breaks once: the case it broke, an adapter error.
fn the_broken_case(factory: &ExecFactory) -> CaseEvent {
    let suite = common::suite();
    common::run_cases(factory, &some_cases(&suite, 4))
        .into_iter()
        .find(|e| e.outcome == OutcomeClass::AdapterError)
        .expect("one adapter error")
}

// ---------------------------------------------------------------------------------------------
// Misbehaviour through the library API
// ---------------------------------------------------------------------------------------------

common::cases!(
    one_broken_request_fails_one_case_and_the_restarted_adapter_passes_the_rest {
        hang: ("hang", OutcomeClass::Timeout, "no answer within 300 ms"),
        exits: ("exit", OutcomeClass::AdapterError, "exited with status 3"),
        closes_stdout: ("close-stdout", OutcomeClass::AdapterError, "closed stdout"),
        wrong_id: (
            "wrong-id",
            OutcomeClass::AdapterError,
            "is not the request's id"
        ),
        non_json: ("non-json", OutcomeClass::AdapterError, "not JSON"),
        huge_line: (
            "huge-line",
            OutcomeClass::AdapterError,
            "longer than 1048576 bytes"
        ),
        extra_line: (
            "extra-line",
            OutcomeClass::AdapterError,
            "answered this request with more than one line"
        ),
        bad_field: (
            "bad-field",
            OutcomeClass::AdapterError,
            "unknown variant `ok`"
        ),
    }
);

fn one_broken_request_fails_one_case_and_the_restarted_adapter_passes_the_rest(
    mode: &str,
    class: OutcomeClass,
    says: &str,
) {
    let suite = common::suite();
    let cases = some_cases(&suite, 6);
    let (command, once) = misbehaving_once(mode);
    let events = common::run_cases(&exec(command, 300), &cases);
    assert_eq!(events.len(), cases.len());
    let failed: Vec<&CaseEvent> = events
        .iter()
        .filter(|e| e.outcome != OutcomeClass::Pass)
        .collect();
    assert_eq!(
        failed.len(),
        1,
        "exactly one case breaks:\n{}",
        outcomes(&events)
    );
    let broken = failed[0];
    assert_eq!(broken.outcome, class, "{}", story(broken));
    assert!(
        story(broken).contains(says),
        "the report says {says:?}:\n{}",
        story(broken)
    );
    let after = events
        .iter()
        .position(|e| e.id == broken.id)
        .unwrap_or_default()
        + 1;
    assert!(
        after < events.len(),
        "a case runs after the broken one:\n{}",
        outcomes(&events)
    );
    assert!(once.exists(), "the adapter did break");
}

#[test]
fn what_was_seen_is_in_the_report() {
    let broken = the_broken_case(&exec(misbehaving_once("non-json").0, 300));
    let seen: Vec<&str> = broken
        .transcript
        .iter()
        .filter_map(|x| x.seen.as_deref())
        .collect();
    assert_eq!(
        seen,
        ["Traceback (most recent call last): oops"],
        "{}",
        story(&broken)
    );
    assert!(
        story(&broken).contains("print logs to stderr"),
        "{}",
        story(&broken)
    );
}

#[test]
fn an_exit_mid_run_keeps_what_the_adapter_said_on_stderr() {
    let broken = the_broken_case(&exec(misbehaving_once("exit").0, 300));
    assert!(
        broken.stderr.contains("misbehave: exiting on"),
        "{}",
        story(&broken)
    );
}

#[test]
fn an_adapter_that_breaks_every_third_request_is_restarted_each_time() {
    let suite = common::suite();
    let cases = some_cases(&suite, 9);
    let events = common::run_cases(&exec(misbehaving("wrong-id", &[]), 300), &cases);
    let broken = events
        .iter()
        .filter(|e| e.outcome == OutcomeClass::AdapterError)
        .count();
    let passed = events
        .iter()
        .filter(|e| e.outcome == OutcomeClass::Pass)
        .count();
    assert!(
        broken >= 2,
        "each process breaks its third request:\n{}",
        outcomes(&events)
    );
    assert_eq!(broken + passed, events.len(), "{}", outcomes(&events));
}

#[test]
fn stderr_is_captured_per_case_and_never_read_as_protocol() {
    let suite = common::suite();
    let cases = some_cases(&suite, 3);
    let events = common::run_cases(&exec(misbehaving("stderr", &[]), 3000), &cases);
    assert!(
        events.iter().all(|e| e.outcome == OutcomeClass::Pass),
        "{}",
        outcomes(&events)
    );
    for event in &events {
        assert!(
            event
                .stderr
                .contains(&format!("misbehave: handling {}", event.id)),
            "{}: {:?}",
            event.id,
            event.stderr
        );
    }
}

#[test]
fn validate_protocol_names_the_field_that_breaks_the_schema() {
    let factory = exec(misbehaving_once("bad-field").0, 3000).validate_protocol(true);
    let broken = the_broken_case(&factory);
    assert!(
        story(&broken).contains(r#"does not match the protocol schema: /outcome: "ok" is not one of "accepted" or "rejected""#),
        "{}",
        story(&broken)
    );
}

#[test]
fn validate_protocol_passes_the_reference() {
    let suite = common::suite();
    let cases = some_cases(&suite, 5);
    let factory = exec(reference_command(), 3000).validate_protocol(true);
    let events = common::run_cases(&factory, &cases);
    assert!(
        events.iter().all(|e| e.outcome == OutcomeClass::Pass),
        "{}",
        outcomes(&events)
    );
}

// ---------------------------------------------------------------------------------------------
// Start errors
// ---------------------------------------------------------------------------------------------

fn start_error(factory: &dyn AdapterFactory) -> String {
    match factory.start() {
        Ok(_) => panic!("{} started", factory.describe()),
        Err(error) => error.to_string(),
    }
}

const DIES_AT_START: &str =
    "import sys; sys.stderr.write('ImportError: no module named foo\\n'); sys.exit(1)";

common::cases!(exec_start_errors {
    a_banner_before_hello_says_where_logs_go: (
        misbehaving("banner", &[]),
        &["the adapter printed `Misbehaving adapter v0.1 starting up...` before its hello: stdout is the protocol channel, log to stderr"]
    ),
    protocol_2_names_both_versions: (
        misbehaving("protocol2", &[]),
        &["says protocol 2; this harness speaks protocol 1"]
    ),
    a_missing_program: (
        vec!["/nonexistent/adapter".into()],
        &["`/nonexistent/adapter` was not found"]
    ),
    an_adapter_that_dies_at_start_shows_its_stderr: (
        vec![python(), "-c".into(), DIES_AT_START.into()],
        &["exited with status 1", "ImportError: no module named foo"]
    ),
});

fn exec_start_errors(command: Vec<String>, says: &[&str]) {
    let message = start_error(&exec(command, 300));
    for text in says {
        assert!(message.contains(text), "{text:?} in: {message}");
    }
}

#[test]
fn an_unreachable_url_is_a_start_error_that_says_what_to_check() {
    // Bind and drop a listener: the port is then (almost certainly) closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let message = start_error(&HttpFactory::new(
        format!("http://127.0.0.1:{port}/"),
        Duration::from_millis(300),
    ));
    assert!(message.contains("could not reach"), "{message}");
    assert!(
        message.contains("Check that the server is running"),
        "{message}"
    );
}

// ---------------------------------------------------------------------------------------------
// Processes do not outlive their adapter
// ---------------------------------------------------------------------------------------------

/// Whether any process of the group `pgid` (the adapter leads its own) is still running: not
/// gone and not a zombie waiting for init to reap it.
#[cfg(target_os = "linux")]
fn group_alive(pgid: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|entry| {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            return false;
        };
        // pid (comm) state ppid pgrp ...: comm may hold spaces, so read after the last ')'.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        fields.len() > 2 && fields[2] == pgid.to_string() && fields[0] != "Z" && fields[0] != "X"
    })
}

/// Whether the group `pgid` is gone within 10 s. The harness sends SIGKILL to the whole
/// group and reaps its own child; a grandchild killed with it may still be on its way out (its
/// pipes closed, not yet a zombie) on a loaded machine. A process the harness did not kill (the
/// hung adapter sleeps for an hour) keeps the group alive past the wait.
#[cfg(target_os = "linux")]
fn group_ends(pgid: u32) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while group_alive(pgid) {
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    true
}

#[cfg(target_os = "linux")]
#[test]
fn a_hung_adapter_and_its_children_are_killed_on_drop() {
    let mut adapter = ExecAdapter::start(exec(misbehaving("hang", &["--at", "1"]), 300)).unwrap();
    let pid = adapter.pid().expect("running");
    assert!(group_alive(pid));
    let suite = common::suite();
    let case = some_cases(&suite, 1)[0];
    let event = messenger_conformance::run::run_case(
        &mut adapter,
        case,
        &messenger_conformance::redact::Redactor::default(),
    );
    assert_eq!(event.outcome, OutcomeClass::Timeout, "{}", story(&event));
    // The hang was killed at once (with the proxied `serve` child), and nothing runs until the next call.
    assert!(group_ends(pid), "the hung process group is gone");
    assert_eq!(adapter.pid(), None);
    let _ = adapter.call(&ToAdapter::Hello(HelloRequest { protocol: 1 }));
    let restarted = adapter.pid().expect("restarted for the next call");
    assert_eq!(adapter.restarts(), 1);
    drop(adapter);
    assert!(
        group_ends(restarted),
        "dropping the adapter kills its process group"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn shutdown_says_bye_and_the_adapter_exits() {
    let mut adapter = ExecAdapter::start(exec(reference_command(), 3000)).unwrap();
    let pid = adapter.pid().expect("running");
    adapter.shutdown();
    assert!(group_ends(pid));
    assert!(adapter.take_stderr().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Through the binary
// ---------------------------------------------------------------------------------------------

/// `run --no-report --cases <the suite>` with `options`, against `target`.
fn run_suite(options: &[&str], target: &[String]) -> Output {
    let cases = common::cases_arg();
    let mut args = vec!["run", "--no-report", "--cases", &cases];
    args.extend_from_slice(options);
    args.extend(target.iter().map(String::as_str));
    common::cli(&args)
}

/// The target arguments of `run` and `smoke` for an exec adapter: `-- COMMAND`.
fn exec_target(command: Vec<String>) -> Vec<String> {
    let mut target = vec!["--".to_string()];
    target.extend(command);
    target
}

/// The `N passed, M failed` line of a run's summary.
fn totals(output: &Output) -> (usize, usize) {
    let line = output
        .stdout
        .lines()
        .rev()
        .find(|l| l.contains(" passed, "))
        .unwrap_or_else(|| panic!("{output}"));
    let numbers: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    (numbers[0], numbers[1])
}

/// `serve --http 127.0.0.1:0`, killed on drop.
struct Server {
    child: std::process::Child,
    url: String,
}

impl Server {
    fn start() -> Server {
        let mut child = common::bin(&["serve", "--http", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .spawn();
        let mut first = String::new();
        BufReader::new(child.stderr.take().expect("stderr"))
            .read_line(&mut first)
            .expect("serve prints its address");
        let url = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first line: {first:?}"))
            .to_string();
        Server { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How the binary reaches the reference.
enum Transport {
    /// `-- messenger-conformance serve --stdio`
    Exec,
    /// `--url` of a `serve --http`
    Http,
}

/// The target arguments that reach the reference over `transport`, and the server to keep
/// running while they are used.
fn reference_target(transport: Transport) -> (Vec<String>, Option<Server>) {
    match transport {
        Transport::Exec => (exec_target(reference_command()), None),
        Transport::Http => {
            let server = Server::start();
            (vec!["--url".into(), server.url.clone()], Some(server))
        }
    }
}

common::cases!(the_reference_passes_the_whole_suite {
    over_exec: (Transport::Exec),
    over_http: (Transport::Http),
});

fn the_reference_passes_the_whole_suite(transport: Transport) {
    let (target, _server) = reference_target(transport);
    let output = run_suite(&["-q", "-j", "2"], &target);
    assert_eq!(output.code, 0, "{output}");
    let (passed, failed) = totals(&output);
    assert!(passed > 0 && failed == 0, "{output}");
}

#[test]
fn a_hang_in_a_run_is_a_timeout_and_exit_1() {
    let (command, _) = misbehaving_once("hang");
    let output = run_suite(
        &["--filter", "visitors", "--timeout-ms", "300"],
        &exec_target(command),
    );
    assert_eq!(output.code, 1, "{output}");
    assert!(
        output
            .to_string()
            .contains("timeout: no answer within 300 ms"),
        "{output}"
    );
    let (passed, failed) = totals(&output);
    assert_eq!(failed, 1, "{output}");
    assert!(passed > 0, "{output}");
}

#[test]
fn a_start_error_is_exit_2_with_the_reason() {
    let output = run_suite(
        &["--timeout-ms", "300"],
        &exec_target(misbehaving("banner", &[])),
    );
    assert_eq!(output.code, 2, "{output}");
    assert!(output.stderr.contains("before its hello"), "{output}");
}

#[test]
fn url_and_command_together_is_a_usage_error() {
    let output = common::cli(&[
        "run",
        "--no-report",
        "--url",
        "http://127.0.0.1:9/",
        "--",
        "true",
    ]);
    assert_eq!(output.code, 2, "{output}");
}

#[test]
fn role_splits_the_suite_in_two() {
    // Counts of records (one per case, one per property), whatever each property's budget: a
    // few generated requests each are enough to count them.
    let count = |role: &str| {
        totals(&run_suite(
            &["-q", "--role", role, "--property-cases", "4"],
            &[],
        ))
    };
    let (all, _) = count("all");
    let (verifier, _) = count("verifier");
    let (signer, _) = count("signer");
    assert!(verifier > 0 && signer > 0);
    assert_eq!(verifier + signer, all);
}

// ---------------------------------------------------------------------------------------------
// smoke
// ---------------------------------------------------------------------------------------------

fn smoke(target: &[String]) -> Output {
    let mut args = vec!["smoke", "--timeout-ms", "1000"];
    args.extend(target.iter().map(String::as_str));
    common::cli(&args)
}

common::cases!(smoke_passes_the_reference {
    over_exec: (Transport::Exec),
    over_http: (Transport::Http),
});

fn smoke_passes_the_reference(transport: Transport) {
    let (target, _server) = reference_target(transport);
    let output = smoke(&target);
    assert_eq!(output.code, 0, "{output}");
    assert!(!output.stdout.contains("FAIL"), "{output}");
    // The JWT sign: header, claims and signature, each checked.
    for line in [
        r#"ok     the signed echoes the request id "smoke-sign-jwt""#,
        r#"ok     the jwt header is {"alg":"HS256","typ":"JWT","kid":"smoke-key-1"}: alg HS256, typ absent or JWT, kid = key_id or absent"#,
        "ok     the jwt's claims are user_id, email, plan and exp = now + expires_in (1767229200)",
        "ok     the jwt's signature is HMAC-SHA256 under the secret sent",
    ] {
        assert!(
            output.stdout.lines().any(|l| l == line),
            "no `{line}` in\n{output}"
        );
    }
}

/// `-- messenger-conformance serve --stdio --broken NAME`.
fn broken_target(name: &str) -> Vec<String> {
    ["--", BIN, "serve", "--stdio", "--broken", name]
        .map(String::from)
        .to_vec()
}

common::cases!(smoke_names_what_is_wrong_with_a_signed_jwt {
    exp_in_milliseconds: ("sign-exp-milliseconds", "FAIL   jwt sign, claims.exp: expected 1767229200, got 1767229200000; why it matters (critical, SIGN-JWT-EXP): the token lives longer than asked"),
    no_exp: ("sign-drops-exp", "FAIL   jwt sign, claims.exp: expected 1767229200, got absent; why it matters (critical, SIGN-JWT-EXP): the token never expires"),
    no_attribute: ("sign-drops-attributes", "FAIL   jwt sign, claims.plan: expected \"smoke-pro\", got absent; why it matters (major, SIGN-JWT-CLAIMS): `plan` must be a top-level claim"),
    hs512: ("sign-hs512", "FAIL   jwt sign, jwt: expected a compact JWS with header alg HS256, three canonical base64url parts, JSON header and claims, got header `alg` is \"HS512\""),
});

/// The JWT a broken signer makes is judged as a run judges it: each bug is named, in the judge's
/// words, before a full run.
fn smoke_names_what_is_wrong_with_a_signed_jwt(name: &str, says: &str) {
    let output = smoke(&broken_target(name));
    assert_eq!(output.code, 1, "{output}");
    let failures: Vec<&str> = output
        .stdout
        .lines()
        .filter(|l| l.starts_with("FAIL"))
        .collect();
    assert_eq!(failures.len(), 1, "{output}");
    assert!(failures[0].starts_with(says), "{output}");
}

/// smoke's whole output, stable from run to run: the pid and the binary's path replaced.
fn smoke_output(target: &[String]) -> String {
    let output = smoke(target);
    let stdout: Vec<String> = output
        .stdout
        .lines()
        .map(|line| match line.strip_prefix("ok     started (pid ") {
            Some(_) => "ok     started (pid PID)".to_string(),
            None => line.replace(BIN, "BIN"),
        })
        .collect();
    format!("exit {}\n{}", output.code, stdout.join("\n"))
}

common::cases!(smoke_says_the_same_as_before {
    reference: (None),
    idv_hashes_email: (Some("idv-hashes-email")),
    sign_hash_uppercase: (Some("sign-hash-uppercase")),
    sign_nested_attributes: (Some("sign-nested-attributes")),
    sign_typ_jose: (Some("sign-typ-jose")),
});

/// What smoke says of the reference and of broken implementations, line by line. The lines of
/// a broken one are the judge's and the decoders' own words: a change to a rule there shows
/// here.
fn smoke_says_the_same_as_before(broken: Option<&str>) {
    let target = match broken {
        Some(name) => broken_target(name),
        None => exec_target(reference_command()),
    };
    let name = format!("smoke_{}", broken.unwrap_or("reference"));
    insta::assert_snapshot!(name, smoke_output(&target));
}

#[test]
fn smoke_notes_a_typ_other_than_jwt_without_failing() {
    let output = smoke(&broken_target("sign-typ-jose"));
    assert_eq!(output.code, 0, "{output}");
    assert!(
        output.stdout.lines().any(|l| l.starts_with(r#"note   jwt sign, header.typ: expected absent, or "JWT" (in any case), got "JOSE"; why it matters (minor, should rule, SIGN-JWT-TYP): typ is not read by verifiers following this profile"#)),
        "{output}"
    );
    assert!(
        !output.stdout.contains("ok     the jwt header is"),
        "{output}"
    );
}

common::cases!(smoke_says_what_to_fix {
    wrong_id: (
        "wrong-id",
        r#"the answer's id "not-smoke-verify" is not the request's id "smoke-verify""#
    ),
    protocol_2: (
        "protocol2",
        "the adapter's hello says protocol 2; this harness speaks protocol 1"
    ),
    banner: ("banner", "stdout carried a non-JSON line: `Misbehaving adapter v0.1 starting up...`: print logs to stderr"),
    bad_field: (
        "bad-field",
        r#"/outcome: "ok" is not one of "accepted" or "rejected""#
    ),
});

fn smoke_says_what_to_fix(mode: &str, says: &str) {
    let output = smoke(&exec_target(misbehaving(mode, &["--at", "1"])));
    assert_eq!(output.code, 1, "{output}");
    assert!(
        output
            .stdout
            .lines()
            .any(|l| l.starts_with("FAIL") && l.contains(says)),
        "{output}"
    );
}

/// `-- python3 tests/adapters/dodge.py BIN MODE`: the reference answering `unsupported` to JWT
/// signs, with (`lacks=jwt`) or without (`jwt`) declaring it in hello.
fn dodging(mode: &str) -> Vec<String> {
    let script = common::root().join("tests/adapters/dodge.py");
    exec_target(vec![
        "python3".into(),
        script.display().to_string(),
        BIN.into(),
        mode.into(),
    ])
}

#[test]
fn smoke_reports_what_hello_declares_lacking_and_does_not_ask_for_it() {
    let output = smoke(&dodging("lacks=jwt"));
    assert_eq!(output.code, 0, "{output}");
    assert!(
        output.stdout.lines().any(|l| l.starts_with(
            "note   hello declares the implementation lacks JWT signing (`sign_jwt`)"
        )),
        "{output}"
    );
    assert!(
        output
            .stdout
            .contains("jwt sign not tried: hello declares `lacks: sign_jwt`"),
        "{output}"
    );
    // Without the declaration, the same `unsupported` fails, saying what to declare.
    let output = smoke(&dodging("jwt"));
    assert_eq!(output.code, 1, "{output}");
    assert!(
        output
            .stdout
            .lines()
            .any(|l| l.starts_with("note   hello declares no lack")),
        "{output}"
    );
    assert!(
        output.stdout.lines().any(|l| l.starts_with(r#"FAIL   jwt sign: answered `unsupported` ("dodged"), but hello declared no lack of JWT signing (`sign_jwt`)"#)
            && l.contains(r#"declare `"lacks": ["sign_jwt"]` in hello"#)),
        "{output}"
    );
}

#[test]
fn smoke_cannot_start_a_missing_program() {
    let output = smoke(&exec_target(vec!["/nonexistent/adapter".into()]));
    assert_eq!(output.code, 2, "{output}");
}

// ---------------------------------------------------------------------------------------------
// serve --stdio by hand
// ---------------------------------------------------------------------------------------------

#[test]
fn serve_stdio_reports_a_bad_line_goes_on_and_exits_0_on_bye() {
    let output = common::bin(&["serve", "--stdio"])
        .stdin("this is not json\n{\"type\":\"hello\",\"protocol\":1}\n{\"type\":\"bye\"}\n")
        .output();
    assert_eq!(output.code, 0, "{output}");
    assert_eq!(output.stdout.lines().count(), 1, "{output}");
    assert!(
        output
            .stdout
            .starts_with("{\"type\":\"hello\",\"protocol\":1"),
        "{output}"
    );
    assert!(
        output.stderr.contains("could not read this message"),
        "{output}"
    );
}

// ---------------------------------------------------------------------------------------------
// http: status codes and body sizes
// ---------------------------------------------------------------------------------------------

/// An HTTP implementation that answers with the reference, except that the answers after hello
/// follow `script`: a status and a body per request (`None`: the reference's answer; status 0:
/// the reference's answer after a pause of `body` milliseconds).
fn scripted_server(script: Vec<Option<(u16, String)>>) -> (String, std::thread::JoinHandle<()>) {
    use messenger_conformance::adapter::builtin::InProcess;
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", server.server_addr().to_ip().unwrap());
    let handle = std::thread::spawn(move || {
        let mut script = script.into_iter();
        let mut reference = messenger_conformance::reference::Reference;
        while let Ok(mut request) = server.recv() {
            let mut body = String::new();
            std::io::Read::read_to_string(request.as_reader(), &mut body).unwrap();
            let message: ToAdapter = serde_json::from_str(&body).unwrap();
            let scripted = match message {
                ToAdapter::Hello(_) => None,
                ToAdapter::Bye => {
                    let _ = request.respond(tiny_http::Response::empty(204));
                    return;
                }
                _ => script.next().flatten(),
            };
            if let Some((0, pause)) = &scripted {
                // Status 0: answer late, after `pause` milliseconds.
                std::thread::sleep(Duration::from_millis(pause.parse().unwrap()));
            }
            let scripted = scripted.filter(|(status, _)| *status != 0);
            let (status, body) = scripted.unwrap_or_else(|| {
                let answer = messenger_conformance::serve::answer(
                    &mut reference as &mut dyn InProcess,
                    &message,
                );
                (200, serde_json::to_string(&answer).unwrap())
            });
            let json =
                tiny_http::Header::from_bytes(&b"Content-Type"[..], &b"application/json"[..])
                    .unwrap();
            let _ = request.respond(
                tiny_http::Response::from_string(body)
                    .with_status_code(status)
                    .with_header(json),
            );
        }
    });
    (url, handle)
}

#[test]
fn http_errors_are_adapter_errors_and_the_next_call_says_hello_again() {
    let suite = common::suite();
    let cases = some_cases(&suite, 5);
    let script = vec![
        None,
        Some((500, format!("boom {}", "x".repeat(5000)))),
        Some((200, "y".repeat(2 << 20))),
        None,
        Some((0, "2500".to_string())),
    ];
    let (url, server) = scripted_server(script);
    // A second for each answer: at 300 ms, an answer on time was once late on a loaded machine.
    let events = common::run_cases(&HttpFactory::new(url, Duration::from_millis(1000)), &cases);
    let classes: Vec<OutcomeClass> = events.iter().map(|e| e.outcome).collect();
    use OutcomeClass::{AdapterError, Pass, Timeout};
    assert_eq!(
        classes,
        [Pass, AdapterError, AdapterError, Pass, Timeout],
        "{}",
        outcomes(&events)
    );
    let status = story(&events[1]);
    assert!(
        status.contains("transport error: HTTP 500, not 200 (saw: boom xxx"),
        "{status}"
    );
    assert!(status.len() < 5000, "the body is truncated: {status}");
    let oversized = story(&events[2]);
    assert!(
        oversized.contains("the response body is longer than 1048576 bytes"),
        "{oversized}"
    );
    server.join().unwrap();
}
