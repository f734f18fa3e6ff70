//! What the integration tests share: where the crate and its cases are, the suite, cases run
//! against an implementation, the binary run (with arguments, environment, directory, stdin and
//! a time limit) with its output captured, the reference as an adapter command, scratch
//! directories and case files, a report's events, the CI gate as `run` decides it, a signed
//! token, and an XML well-formedness check.
//!
//! A test file starts the binary with [`bin`] (or [`cli`]) and makes its folders with
//! [`scratch`], never by hand: one place says how.

use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use messenger_conformance::adapter::builtin::BuiltinFactory;
use messenger_conformance::adapter::AdapterFactory;
use messenger_conformance::broken;
use messenger_conformance::event::CaseEvent;
use messenger_conformance::redact::Redactor;
use messenger_conformance::reference::jws;
use messenger_conformance::report::baseline::Baseline;
use messenger_conformance::report::gate::{decide, GateDecision, GateOptions};
use messenger_conformance::run::Workers;
use messenger_conformance::scenario::{load_suite, LoadedCase, Suite};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// The crate and its suite
// ---------------------------------------------------------------------------------------------

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_messenger-conformance");

/// The crate's root: `cases/`, `tests/fixtures/` and `adapters/` are under it.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled suite's directory.
pub fn cases_dir() -> PathBuf {
    root().join("cases")
}

/// [`cases_dir`] as a command-line argument.
pub fn cases_arg() -> String {
    cases_dir().display().to_string()
}

/// The bundled suite; a suite that does not load fails the test with every error.
pub fn suite() -> Suite {
    load_suite(&cases_dir()).unwrap_or_else(|errors| panic!("the suite does not load:\n{errors}"))
}

/// A `cargo` command (the cargo that runs these tests) in the crate's root, without the
/// variables cargo set for this test process: they describe this test's package, not a build.
/// Left in, a build script that reruns when one of them changes (ring's, on `CARGO_MANIFEST_DIR`
/// and `CARGO_PKG_*`) reruns here, rebuilds its crate and everything above it (rustls, ureq, this
/// crate), and again in the next `cargo test` or `cargo clippy` run from a shell: each test that
/// runs cargo (`cargo build --example`, `cargo test -p toy-service`, `cargo doc`) goes through
/// this.
pub fn cargo() -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(cargo);
    command.current_dir(root());
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let set_by_cargo = name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_BIN_EXE_")
            || [
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "CARGO_MANIFEST_LINKS",
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_CURRENT_DIR",
                "OUT_DIR",
            ]
            .contains(&name.as_ref());
        if set_by_cargo {
            command.env_remove(name.as_ref());
        }
    }
    command
}

/// Every case of `suite`, in order.
pub fn all_cases(suite: &Suite) -> Vec<&LoadedCase> {
    suite.cases.iter().collect()
}

// ---------------------------------------------------------------------------------------------
// Implementations
// ---------------------------------------------------------------------------------------------

/// A bundled broken implementation by name.
pub fn broken_implementation(name: &str) -> BuiltinFactory {
    broken::factory(name).unwrap_or_else(|| panic!("no broken implementation {name}"))
}

/// `cases` on one worker: one instance of the implementation sees them all in order, as one
/// server process would.
pub fn run_cases(factory: &dyn AdapterFactory, cases: &[&LoadedCase]) -> Vec<CaseEvent> {
    Workers::start(factory, 1)
        .unwrap_or_else(|error| panic!("{} could not start: {error}", factory.describe()))
        .run_cases(cases, &Redactor::default(), |_| {})
}

/// An HS256 token with the header `{"alg": "HS256", "typ": "JWT"}`.
pub fn sign_jwt(claims: &Value, secret: &str) -> String {
    jws::sign_hs256(
        &json!({"alg": "HS256", "typ": "JWT"}),
        claims,
        secret.as_bytes(),
    )
}

// ---------------------------------------------------------------------------------------------
// The binary
// ---------------------------------------------------------------------------------------------

/// What a run of the binary printed, and its exit code.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Run the binary from the crate root (so `cases/` is found), stdin empty, output captured.
pub fn cli<S: AsRef<OsStr>>(args: &[S]) -> Output {
    bin(args).output()
}

/// Run the binary from `dir`, stdin empty, output captured.
pub fn cli_in<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> Output {
    bin(args).dir(dir).output()
}

/// The binary with `args`, to be run from the crate root (so `cases/` and `tests/adapters/` are
/// found) with an empty stdin, unless [`Bin::dir`] and [`Bin::stdin`] say otherwise.
pub fn bin<S: AsRef<OsStr>>(args: &[S]) -> Bin {
    let mut command = Command::new(BIN);
    command.current_dir(root()).stdin(Stdio::null());
    Bin {
        command,
        shown: Vec::new(),
        stdin: None,
        stdout: None,
        stderr: None,
    }
    .args(args)
}

/// One run of the binary being put together: its arguments, environment, directory and stdin.
pub struct Bin {
    command: Command,
    /// The arguments, for messages.
    shown: Vec<String>,
    stdin: Option<Vec<u8>>,
    stdout: Option<Stdio>,
    stderr: Option<Stdio>,
}

impl Bin {
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Bin {
        self.shown.push(arg.as_ref().to_string_lossy().into_owned());
        self.command.arg(arg);
        self
    }

    pub fn args<S: AsRef<OsStr>>(self, args: impl IntoIterator<Item = S>) -> Bin {
        args.into_iter().fold(self, Bin::arg)
    }

    pub fn env(mut self, name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Bin {
        self.command.env(name, value);
        self
    }

    /// Run it from `dir` instead of the crate root.
    pub fn dir(mut self, dir: impl AsRef<Path>) -> Bin {
        self.command.current_dir(dir);
        self
    }

    /// Give it `text` on stdin (then end of file).
    pub fn stdin(mut self, text: impl Into<Vec<u8>>) -> Bin {
        self.stdin = Some(text.into());
        self
    }

    /// Where [`Bin::spawn`] sends stdout (piped unless said here), e.g. `Stdio::null()` for a
    /// run whose output nobody reads while it runs.
    pub fn stdout(mut self, to: impl Into<Stdio>) -> Bin {
        self.stdout = Some(to.into());
        self
    }

    /// Where [`Bin::spawn`] sends stderr (piped unless said here).
    pub fn stderr(mut self, to: impl Into<Stdio>) -> Bin {
        self.stderr = Some(to.into());
        self
    }

    /// The command line, as a reader would type it again: `messenger-conformance run ...`.
    pub fn command_line(&self) -> String {
        let mut words = vec!["messenger-conformance".to_string()];
        words.extend(self.shown.iter().cloned());
        words.join(" ")
    }

    /// Start it with stdout and stderr piped unless [`Bin::stdout`] and [`Bin::stderr`] said
    /// otherwise (and stdin piped if [`Bin::stdin`] gave it text: that text is written, then
    /// stdin closed).
    pub fn spawn(mut self) -> Child {
        let stdout = self.stdout.take().unwrap_or_else(Stdio::piped);
        let stderr = self.stderr.take().unwrap_or_else(Stdio::piped);
        self.command.stdout(stdout).stderr(stderr);
        if self.stdin.is_some() {
            self.command.stdin(Stdio::piped());
        }
        let mut child = self
            .command
            .spawn()
            .unwrap_or_else(|e| panic!("`{}` does not start: {e}", self.shown.join(" ")));
        if let Some(text) = self.stdin.take() {
            let mut stdin = child.stdin.take().expect("stdin is piped");
            std::thread::spawn(move || {
                // The process may end without reading all of it.
                let _ = stdin.write_all(&text);
            });
        }
        child
    }

    /// Run it to its end; its output captured.
    pub fn output(self) -> Output {
        self.spawn()
            .wait_with_output()
            .expect("the binary runs")
            .into()
    }

    /// Run it to its end, failing the test (after killing it) if it has not ended within
    /// `seconds`: a hang is a failure, not a test that never ends.
    pub fn within(self, seconds: u64) -> Output {
        let line = self.command_line();
        let mut child = self.spawn();
        // Read both pipes while waiting, so a chatty process never blocks on a full pipe.
        let stdout = read_in_background(child.stdout.take());
        let stderr = read_in_background(child.stderr.take());
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for the binary") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                let stderr = String::from_utf8_lossy(&stderr.join().unwrap()).into_owned();
                panic!("`{line}` did not end within {seconds} s; stderr: {stderr}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        std::process::Output {
            status,
            stdout: stdout.join().unwrap(),
            stderr: stderr.join().unwrap(),
        }
        .into()
    }
}

/// Everything `pipe` holds up to its end, read on a thread of its own (nothing if not piped).
fn read_in_background(
    pipe: Option<impl std::io::Read + Send + 'static>,
) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// The reference implementation as an exec adapter's command: `serve --stdio` of the binary.
pub fn reference_command() -> [&'static str; 3] {
    [BIN, "serve", "--stdio"]
}

/// A test adapter of `tests/adapters/`, by file name.
pub fn test_adapter(name: &str) -> PathBuf {
    root().join("tests/adapters").join(name)
}

/// Send SIGTERM to a child this test started.
#[cfg(unix)]
pub fn sigterm(child: &Child) {
    // SAFETY: kill(2) on the child this test started.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
}

/// Wait (up to a minute, else fail) until the file at `path` holds at least `lines` lines and
/// `ready` says the text is what the caller waits for.
pub fn wait_for_lines(path: &Path, lines: usize, ready: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        if let Ok(text) = fs::read_to_string(path) {
            if text.lines().count() >= lines && ready(&text) {
                return text;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{} never held {lines} lines: the run never started",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The pids of processes whose command line holds `marker`.
#[cfg(target_os = "linux")]
pub fn processes_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(bytes) = fs::read(entry.path().join("cmdline")) {
            if String::from_utf8_lossy(&bytes).contains(marker) {
                found.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
    }
    found
}

impl From<std::process::Output> for Output {
    /// Output must be UTF-8, and the process must have exited (not died of a signal).
    fn from(output: std::process::Output) -> Output {
        let text = |bytes: Vec<u8>, stream: &str| {
            String::from_utf8(bytes).unwrap_or_else(|e| panic!("{stream} is not UTF-8: {e}"))
        };
        let stdout = text(output.stdout, "stdout");
        let stderr = text(output.stderr, "stderr");
        let code = output
            .status
            .code()
            .unwrap_or_else(|| panic!("the process did not exit ({}):\n{stderr}", output.status));
        Output {
            code,
            stdout,
            stderr,
        }
    }
}

/// A path as a command-line argument.
pub fn path_arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

/// The scratch folder of the test file that calls (`target/tmp/integration/FILE/`): every file of
/// `tests/` is a module of one binary, whose tests run at once, so a name is unique in its file
/// alone.
#[track_caller]
fn scratch_root() -> PathBuf {
    let file = Path::new(std::panic::Location::caller().file());
    let stem = file.file_stem().expect("a source file");
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(env!("CARGO_CRATE_NAME"))
        .join(stem)
}

/// A fresh, empty directory for one test: `name` must be unique in its test file. It is left
/// behind for a look after a failure.
#[track_caller]
pub fn scratch(name: &str) -> PathBuf {
    let dir = scratch_root().join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// A path that nothing exists at and that no other test (or run) uses, for a file a test
/// expects something else to create.
#[track_caller]
pub fn unique_path(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = scratch_root().join("unique");
    fs::create_dir_all(&dir).expect("create scratch dir");
    let path = dir.join(format!(
        "{name}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_file(&path);
    path
}

/// A named pipe at `path` (a file no reader should block on).
#[cfg(unix)]
pub fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// A scratch cases directory: the bundled `fixtures.yaml` and the given case files, each
/// `(path under the directory, YAML)`, e.g. `("jwt/one.yaml", "cases: ...")`.
#[track_caller]
pub fn cases_with(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = scratch(name);
    fs::copy(cases_dir().join("fixtures.yaml"), dir.join("fixtures.yaml")).expect("copy fixtures");
    for (file, text) in files {
        write_file(&dir.join(file), text);
    }
    dir
}

/// Write `text` to `path`, making its folders.
pub fn write_file(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create the file's folder");
    }
    fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// The records of a report directory's `events.jsonl`, each a JSON value.
pub fn events(report: &Path) -> Vec<Value> {
    let path = report.join("events.jsonl");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    text.lines()
        .map(|line| serde_json::from_str(line).expect("events.jsonl holds one JSON record a line"))
        .collect()
}

/// Every file under `dir`, at any depth.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("read dir entry").path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Copy the directory `from` to `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------------

/// The gate as `run` decides it after a run of the whole suite, not `--strict`.
pub fn gate(cases: &[CaseEvent], baseline: Option<&Baseline>) -> GateDecision {
    decide(cases, baseline, &GateOptions::new(false, true))
}

/// XML well-formedness, as a strict parser (roxmltree) judges it: tags that nest and close,
/// quoted attributes without `<`, only declared entities, no characters XML forbids. The
/// document must start with the declaration JUnit readers expect. Returns the number of
/// elements.
pub fn check_xml(xml: &str) -> Result<usize, String> {
    if !xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") {
        return Err("no XML declaration".into());
    }
    let document = roxmltree::Document::parse(xml).map_err(|error| error.to_string())?;
    Ok(document
        .descendants()
        .filter(|node| node.is_element())
        .count())
}

/// `each(item)` for every item at once, one thread each, the results in the items' order. For
/// independent runs that mostly wait (on an adapter over a pipe, a child process) or that own
/// their in-process instance. A panic in one is raised again, with its own message.
pub fn in_threads<I: Send, T: Send>(
    items: impl IntoIterator<Item = I>,
    each: impl Fn(I) -> T + Sync,
) -> Vec<T> {
    std::thread::scope(|scope| {
        let each = &each;
        let handles: Vec<_> = items
            .into_iter()
            .map(|item| scope.spawn(move || each(item)))
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// A table of cases, a test each. `cases!(check { name: (ARGS), .. })` is a module `check` with
/// one `#[test] fn name() { check(ARGS) }` per case: each case runs on its own and a failure
/// names it (`cargo test check::name`). `cases!(check, named { .. })` also passes the case's
/// name first, `check("name", ARGS)`, for a snapshot named after the case.
///
/// This is what rstest's `#[case]` did; its proc macro's dependencies (regex, glob, syn's
/// `visit-mut`) cost the cold test command about 20 s (docs/performance.md).
macro_rules! cases {
    ($check:ident { $($case:ident: ($($arg:expr),* $(,)?)),+ $(,)? }) => {
        mod $check {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $case() {
                    super::$check($($arg),*)
                }
            )+
        }
    };
    ($check:ident, named { $($case:ident: ($($arg:expr),* $(,)?)),+ $(,)? }) => {
        mod $check {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $case() {
                    super::$check(stringify!($case), $($arg),*)
                }
            )+
        }
    };
}
pub(crate) use cases;
