//! The exec and http transports against misbehaving adapters, the `serve` command, `smoke`, and
//! `run`'s target flags.
//!
//! The misbehaving adapter is `tests/adapters/misbehave.py`: a proxy in front of
//! `messenger-conformance serve --stdio` (so every answer it does not break is the reference's)
//! that breaks one request as its mode says. With `--once FILE` it breaks only the first process's
//! request, so after the harness restarts it every other case must pass.
//!
//! No test asserts on durations; the timeouts are small so the suite stays fast.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use messenger_conformance::adapter::exec::{ExecAdapter, ExecFactory};
use messenger_conformance::adapter::http::HttpFactory;
use messenger_conformance::adapter::{Adapter, AdapterFactory};
use messenger_conformance::contract::{HelloRequest, ToAdapter};
use messenger_conformance::judge::OutcomeClass;
use messenger_conformance::redact::Redactor;
use messenger_conformance::report::CaseEvent;
use messenger_conformance::run::Workers;
use messenger_conformance::scenario::{load_suite, LoadedCase, Suite};
use rstest::rstest;

const BIN: &str = env!("CARGO_BIN_EXE_messenger-conformance");

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("cases")
}

fn misbehave_script() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/adapters/misbehave.py")
        .display()
        .to_string()
}

fn suite() -> Suite {
    load_suite(&cases_dir()).unwrap_or_else(|errors| panic!("the cases do not load:\n{errors}"))
}

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

/// A path no other test uses, for a `--once` marker.
fn scratch(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("adapters");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!(
        "{name}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_file(&path);
    path
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
    let mut command = vec![python(), misbehave_script(), mode.to_string()];
    command.extend(extra.iter().map(|s| s.to_string()));
    command.extend(
        ["--", BIN, "serve", "--stdio"]
            .iter()
            .map(|s| s.to_string()),
    );
    command
}

fn exec(command: Vec<String>, timeout_ms: u64) -> ExecFactory {
    ExecFactory::new(command, Duration::from_millis(timeout_ms))
}

fn run(cases: &[&LoadedCase], factory: &dyn AdapterFactory) -> Vec<CaseEvent> {
    Workers::start(factory, 1)
        .unwrap_or_else(|error| panic!("could not start: {error}"))
        .run_cases(cases, &Redactor::default(), |_| {})
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

// ---------------------------------------------------------------------------------------------
// Misbehaviour through the library API
// ---------------------------------------------------------------------------------------------

#[rstest]
#[case::hang("hang", OutcomeClass::Timeout, "no answer within 300 ms")]
#[case::exits("exit", OutcomeClass::AdapterError, "exited with status 3")]
#[case::closes_stdout("close-stdout", OutcomeClass::AdapterError, "closed stdout")]
#[case::wrong_id("wrong-id", OutcomeClass::AdapterError, "is not the request's id")]
#[case::non_json("non-json", OutcomeClass::AdapterError, "not JSON")]
#[case::huge_line("huge-line", OutcomeClass::AdapterError, "longer than 1048576 bytes")]
#[case::extra_line(
    "extra-line",
    OutcomeClass::AdapterError,
    "answered this request with more than one line"
)]
#[case::bad_field("bad-field", OutcomeClass::AdapterError, "unknown variant `ok`")]
fn one_broken_request_fails_one_case_and_the_restarted_adapter_passes_the_rest(
    #[case] mode: &str,
    #[case] class: OutcomeClass,
    #[case] says: &str,
) {
    let suite = suite();
    let cases = some_cases(&suite, 6);
    let once = scratch(mode);
    let factory = exec(
        misbehaving(mode, &["--once", &once.display().to_string()]),
        300,
    );
    let events = run(&cases, &factory);
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
    let suite = suite();
    let cases = some_cases(&suite, 4);
    let once = scratch("non-json-seen");
    let events = run(
        &cases,
        &exec(
            misbehaving("non-json", &["--once", &once.display().to_string()]),
            300,
        ),
    );
    let broken = events
        .iter()
        .find(|e| e.outcome == OutcomeClass::AdapterError)
        .expect("one adapter error");
    let seen: Vec<&str> = broken
        .transcript
        .iter()
        .filter_map(|x| x.seen.as_deref())
        .collect();
    assert_eq!(
        seen,
        ["Traceback (most recent call last): oops"],
        "{}",
        story(broken)
    );
    assert!(
        story(broken).contains("print logs to stderr"),
        "{}",
        story(broken)
    );
}

#[test]
fn an_exit_mid_run_keeps_what_the_adapter_said_on_stderr() {
    let suite = suite();
    let cases = some_cases(&suite, 4);
    let once = scratch("exit-stderr");
    let events = run(
        &cases,
        &exec(
            misbehaving("exit", &["--once", &once.display().to_string()]),
            300,
        ),
    );
    let broken = events
        .iter()
        .find(|e| e.outcome == OutcomeClass::AdapterError)
        .expect("one adapter error");
    assert!(
        broken.stderr.contains("misbehave: exiting on"),
        "{}",
        story(broken)
    );
}

#[test]
fn an_adapter_that_breaks_every_third_request_is_restarted_each_time() {
    let suite = suite();
    let cases = some_cases(&suite, 9);
    let events = run(&cases, &exec(misbehaving("wrong-id", &[]), 300));
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
    let suite = suite();
    let cases = some_cases(&suite, 3);
    let events = run(&cases, &exec(misbehaving("stderr", &[]), 3000));
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
    let suite = suite();
    let cases = some_cases(&suite, 4);
    let once = scratch("bad-field-schema");
    let factory = exec(
        misbehaving("bad-field", &["--once", &once.display().to_string()]),
        3000,
    )
    .validate_protocol(true);
    let events = run(&cases, &factory);
    let broken = events
        .iter()
        .find(|e| e.outcome == OutcomeClass::AdapterError)
        .expect("one adapter error");
    assert!(
        story(broken).contains(r#"does not match the protocol schema: /outcome: "ok" is not one of "accepted" or "rejected""#),
        "{}",
        story(broken)
    );
}

#[test]
fn validate_protocol_passes_the_reference() {
    let suite = suite();
    let cases = some_cases(&suite, 5);
    let factory =
        exec(vec![BIN.into(), "serve".into(), "--stdio".into()], 3000).validate_protocol(true);
    let events = run(&cases, &factory);
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

#[test]
fn a_banner_before_hello_is_a_start_error_that_says_where_logs_go() {
    let message = start_error(&exec(misbehaving("banner", &[]), 300));
    assert!(
        message.contains(
            "the adapter printed `Misbehaving adapter v0.1 starting up...` before its hello: stdout is the protocol channel, log to stderr"
        ),
        "{message}"
    );
}

#[test]
fn protocol_2_is_a_start_error_naming_both_versions() {
    let message = start_error(&exec(misbehaving("protocol2", &[]), 300));
    assert!(
        message.contains("says protocol 2; this harness speaks protocol 1"),
        "{message}"
    );
}

#[test]
fn a_missing_program_is_a_start_error() {
    let message = start_error(&exec(vec!["/nonexistent/adapter".into()], 300));
    assert!(
        message.contains("`/nonexistent/adapter` was not found"),
        "{message}"
    );
}

#[test]
fn an_adapter_that_dies_at_start_shows_its_stderr() {
    let script = "import sys; sys.stderr.write('ImportError: no module named foo\\n'); sys.exit(1)";
    let message = start_error(&exec(vec![python(), "-c".into(), script.into()], 300));
    assert!(message.contains("exited with status 1"), "{message}");
    assert!(
        message.contains("ImportError: no module named foo"),
        "{message}"
    );
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

#[cfg(target_os = "linux")]
#[test]
fn a_hung_adapter_and_its_children_are_killed_on_drop() {
    let mut adapter = ExecAdapter::start(exec(misbehaving("hang", &["--at", "1"]), 300)).unwrap();
    let pid = adapter.pid().expect("running");
    assert!(group_alive(pid));
    let suite = suite();
    let case = some_cases(&suite, 1)[0];
    let event = messenger_conformance::run::run_case(&mut adapter, case, &Redactor::default());
    assert_eq!(event.outcome, OutcomeClass::Timeout, "{}", story(&event));
    // The hang was killed at once (with the proxied `serve` child), and nothing runs until the next call.
    assert!(!group_alive(pid), "the hung process group is gone");
    assert_eq!(adapter.pid(), None);
    let _ = adapter.call(&ToAdapter::Hello(HelloRequest { protocol: 1 }));
    let restarted = adapter.pid().expect("restarted for the next call");
    assert_eq!(adapter.restarts(), 1);
    drop(adapter);
    assert!(
        !group_alive(restarted),
        "dropping the adapter kills its process group"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn shutdown_says_bye_and_the_adapter_exits() {
    let mut adapter = ExecAdapter::start(exec(
        vec![BIN.into(), "serve".into(), "--stdio".into()],
        3000,
    ))
    .unwrap();
    let pid = adapter.pid().expect("running");
    adapter.shutdown();
    assert!(!group_alive(pid));
    assert!(adapter.take_stderr().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Through the binary
// ---------------------------------------------------------------------------------------------

fn harness(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn text(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn cases_arg() -> String {
    cases_dir().display().to_string()
}

/// The `N passed, M failed` line of a run's summary.
fn totals(output: &Output) -> (usize, usize) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.contains(" passed, "))
        .unwrap_or_else(|| panic!("{}", text(output)));
    let numbers: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    (numbers[0], numbers[1])
}

#[test]
fn the_reference_over_exec_passes_the_whole_suite() {
    let cases = cases_arg();
    let output = harness(&[
        "run",
        "--no-report",
        "-q",
        "--cases",
        &cases,
        "-j",
        "2",
        "--",
        BIN,
        "serve",
        "--stdio",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let (passed, failed) = totals(&output);
    assert!(passed > 0 && failed == 0, "{}", text(&output));
}

/// `serve --http 127.0.0.1:0`, killed on drop.
struct Server {
    child: std::process::Child,
    url: String,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--http", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
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

#[test]
fn the_reference_over_http_passes_the_whole_suite() {
    let server = Server::start();
    let cases = cases_arg();
    let output = harness(&[
        "run",
        "--no-report",
        "-q",
        "--cases",
        &cases,
        "-j",
        "2",
        "--url",
        &server.url,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let (passed, failed) = totals(&output);
    assert!(passed > 0 && failed == 0, "{}", text(&output));
}

#[test]
fn a_hang_in_a_run_is_a_timeout_and_exit_1() {
    let once = scratch("binary-hang");
    let cases = cases_arg();
    let mut args = vec![
        "run",
        "--no-report",
        "--cases",
        &cases,
        "--filter",
        "visitors",
        "--timeout-ms",
        "300",
        "--",
    ];
    let command = misbehaving("hang", &["--once", &once.display().to_string()]);
    args.extend(command.iter().map(String::as_str));
    let output = harness(&args);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains("timeout: no answer within 300 ms"),
        "{}",
        text(&output)
    );
    let (passed, failed) = totals(&output);
    assert_eq!(failed, 1, "{}", text(&output));
    assert!(passed > 0, "{}", text(&output));
}

#[test]
fn a_start_error_is_exit_2_with_the_reason() {
    let cases = cases_arg();
    let mut args = vec![
        "run",
        "--no-report",
        "--cases",
        &cases,
        "--timeout-ms",
        "300",
        "--",
    ];
    let command = misbehaving("banner", &[]);
    args.extend(command.iter().map(String::as_str));
    let output = harness(&args);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("before its hello"),
        "{}",
        text(&output)
    );
}

#[test]
fn url_and_command_together_is_a_usage_error() {
    let output = harness(&[
        "run",
        "--no-report",
        "--url",
        "http://127.0.0.1:9/",
        "--",
        "true",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
}

#[test]
fn role_splits_the_suite_in_two() {
    let cases = cases_arg();
    let count = |role: &str| {
        totals(&harness(&[
            "run",
            "--no-report",
            "-q",
            "--cases",
            &cases,
            "--role",
            role,
        ]))
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

fn smoke(extra: &[&str]) -> Output {
    let mut args = vec!["smoke", "--timeout-ms", "1000"];
    args.extend_from_slice(extra);
    harness(&args)
}

#[test]
fn smoke_passes_the_reference_over_exec() {
    let output = smoke(&["--", BIN, "serve", "--stdio"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("FAIL"),
        "{}",
        text(&output)
    );
}

#[test]
fn smoke_passes_the_reference_over_http() {
    let server = Server::start();
    let output = smoke(&["--url", &server.url]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

#[rstest]
#[case::wrong_id(
    "wrong-id",
    r#"the verdict's id "not-smoke-verify" does not echo the request id "smoke-verify""#
)]
#[case::protocol_2(
    "protocol2",
    "your hello says protocol 2; this harness speaks protocol 1"
)]
#[case::banner("banner", "stdout carried a non-JSON line: `Misbehaving adapter v0.1 starting up...`: print logs to stderr")]
#[case::bad_field(
    "bad-field",
    r#"/outcome: "ok" is not one of "accepted" or "rejected""#
)]
fn smoke_says_what_to_fix(#[case] mode: &str, #[case] says: &str) {
    let command = misbehaving(mode, &["--at", "1"]);
    let mut args = vec!["--"];
    args.extend(command.iter().map(String::as_str));
    let output = smoke(&args);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("FAIL") && l.contains(says)),
        "{}",
        text(&output)
    );
}

#[test]
fn smoke_cannot_start_a_missing_program() {
    let output = smoke(&["--", "/nonexistent/adapter"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
}

// ---------------------------------------------------------------------------------------------
// serve --stdio by hand
// ---------------------------------------------------------------------------------------------

#[test]
fn serve_stdio_reports_a_bad_line_goes_on_and_exits_0_on_bye() {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(["serve", "--stdio"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"this is not json\n{\"type\":\"hello\",\"protocol\":1}\n{\"type\":\"bye\"}\n")
        .unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().count(), 1, "{}", text(&output));
    assert!(
        stdout.starts_with("{\"type\":\"hello\",\"protocol\":1"),
        "{}",
        text(&output)
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("could not read this message"),
        "{}",
        text(&output)
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
            let _ =
                request.respond(tiny_http::Response::from_string(body).with_status_code(status));
        }
    });
    (url, handle)
}

#[test]
fn http_errors_are_adapter_errors_and_the_next_call_says_hello_again() {
    let suite = suite();
    let cases = some_cases(&suite, 5);
    let script = vec![
        None,
        Some((500, format!("boom {}", "x".repeat(5000)))),
        Some((200, "y".repeat(2 << 20))),
        None,
        Some((0, "1000".to_string())),
    ];
    let (url, server) = scripted_server(script);
    let events = run(&cases, &HttpFactory::new(url, Duration::from_millis(300)));
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
