//! The fuzz targets' seeds and corpora, replayed through the targets' own checks in `cargo test`.
//!
//! Each fuzz target of `fuzz/` is a thin `fuzz_target!` around a check in `fuzz/checks/`; this
//! file includes the same checks and runs every committed input through them, as the fuzzer runs
//! its corpus before it starts mutating. A crash (a panic, a failed assertion) fails the test and
//! names the input and the command that replays it under the fuzzer. No fuzz build, no cargo-fuzz:
//! the entry points are the library's hidden `fuzzing` module (src/fuzzing.rs).
//!
//! The inputs of target `T`:
//! - `fuzz/seeds/T/` (committed);
//! - for `case_loader`, every `cases/**/*.yaml` but `fixtures.yaml`, as scripts/fuzz seeds it;
//! - the growing corpus of earlier fuzzing runs, `$FUZZ_CORPUS/T/` (default
//!   `fuzz/target/corpus/T/`, git-ignored), when it is there.
//!
//! Long fuzzing (scripts/fuzz) is the scheduled job of docs/ci.md.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use arbitrary::{Arbitrary, Unstructured};

#[path = "../fuzz/checks/case_loader.rs"]
mod case_loader;
#[path = "../fuzz/checks/exec_lines.rs"]
mod exec_lines;
#[path = "../fuzz/checks/json.rs"]
mod json;
#[path = "../fuzz/checks/jws.rs"]
mod jws;
#[path = "../fuzz/checks/jws_differential.rs"]
mod jws_differential;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every file directly in `dir`, sorted; none when `dir` is missing.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|entry| entry.expect("a directory entry").path())
            .filter(|path| path.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

/// Every `*.yaml` under `dir`, recursively, but `fixtures.yaml`.
fn case_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            case_files(&path, into);
        } else if path.extension().is_some_and(|ext| ext == "yaml")
            && path.file_name().is_some_and(|name| name != "fixtures.yaml")
        {
            into.push(path);
        }
    }
}

/// The inputs of `target`, in the order above.
fn inputs(target: &str) -> Vec<PathBuf> {
    let mut inputs = files_in(&root().join("fuzz/seeds").join(target));
    if target == "case_loader" {
        case_files(&root().join("cases"), &mut inputs);
    }
    let corpus = std::env::var_os("FUZZ_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("fuzz/target/corpus"));
    // scripts/fuzz copies the seeds into the corpus under their own names: each name once.
    let mut names = std::collections::HashSet::new();
    inputs.extend(files_in(&corpus.join(target)));
    inputs.retain(|path| names.insert(path.file_name().map(|name| name.to_owned())));
    inputs
}

/// Runs `check` on each input of `target`; fails naming every input that panicked.
fn replay(target: &str, minimum: usize, check: impl Fn(&[u8])) {
    let inputs = inputs(target);
    replay_inputs(target, minimum, &inputs, check);
}

fn replay_inputs(target: &str, minimum: usize, inputs: &[PathBuf], check: impl Fn(&[u8])) {
    assert!(
        inputs.len() >= minimum,
        "expected at least {minimum} inputs for the fuzz target {target} (fuzz/seeds/{target}/), \
         found {}: the seeds are missing; regenerate them with fuzz/seed.sh (fuzz/README.md)",
        inputs.len()
    );
    let mut crashes = Vec::new();
    for input in inputs {
        let data = std::fs::read(input)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", input.display()));
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&data))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            crashes.push(format!("{}: {message}", input.display()));
        }
    }
    assert!(
        crashes.is_empty(),
        "the fuzz target {target} crashes on {} of its {} inputs: the property its check states \
         (fuzz/checks/{target}.rs) is broken. Each input, with the panic:\n{}\nReplay one under the \
         fuzzer: cargo fuzz run --fuzz-dir fuzz -s none {target} INPUT",
        crashes.len(),
        inputs.len(),
        crashes.join("\n")
    );
}

/// Structured input as libFuzzer's `fuzz_target!` decodes it: too short for the type's minimum
/// size, or not decodable, is no input (the target returns without running).
fn structured<T: for<'a> Arbitrary<'a>>(data: &[u8]) -> Option<T> {
    if data.len() < T::size_hint(0).0 {
        return None;
    }
    T::arbitrary_take_rest(Unstructured::new(data)).ok()
}

#[test]
fn json_seeds() {
    replay("json", 1, json::check);
}

#[test]
fn jws_seeds() {
    replay("jws", 1, jws::check);
}

#[test]
fn case_loader_seeds() {
    replay("case_loader", 1, case_loader::check);
}

#[test]
fn exec_lines_seeds() {
    let decoded = std::cell::Cell::new(0);
    replay("exec_lines", 1, |data| {
        if let Some(input) = structured::<exec_lines::Input>(data) {
            decoded.set(decoded.get() + 1);
            exec_lines::check(input);
        }
    });
    assert!(
        decoded.get() > 0,
        "no input of exec_lines decodes to its structured input"
    );
}

#[test]
fn jws_differential_seeds() {
    let decoded = std::cell::Cell::new(0);
    replay("jws_differential", 1, |data| {
        if let Some(input) = structured::<jws_differential::Input>(data) {
            decoded.set(decoded.get() + 1);
            jws_differential::check(input);
        }
    });
    assert!(
        decoded.get() > 0,
        "no input of jws_differential decodes to its structured input"
    );
}

/// The replay fails on a crash: an input the check panics on is reported, not swallowed by
/// `catch_unwind`.
#[test]
#[should_panic(expected = "crashes on 1 of its")]
fn a_crashing_input_fails_the_replay() {
    let seeds = files_in(&root().join("fuzz/seeds/json"));
    let first = std::fs::read(&seeds[0]).expect("the first json seed");
    replay_inputs("json", 1, &seeds, |data| {
        json::check(data);
        assert_ne!(data, first.as_slice(), "the planted crash");
    });
}
