//! What the integration tests share: where the crate and its cases are, the suite, cases run
//! against an implementation, the binary run with its output captured, scratch directories, the
//! CI gate as `run` decides it, a signed token, and an XML well-formedness check.
//!
//! Each test file declares `mod common;` and uses what it needs, so a helper one file does not
//! use is not dead code.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

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
    cli_in(root(), args)
}

/// Run the binary from `dir`, stdin empty, output captured.
pub fn cli_in<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
        .into()
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

/// The scratch space of this test binary, inside the target directory.
fn scratch_root() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(env!("CARGO_CRATE_NAME"))
}

/// A fresh, empty directory for one test: `name` must be unique in its test file. It is left
/// behind for a look after a failure.
pub fn scratch(name: &str) -> PathBuf {
    let dir = scratch_root().join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// A path that nothing exists at and that no other test (or run) uses, for a file a test
/// expects something else to create.
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
