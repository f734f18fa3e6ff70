//! A closed stdout ends the program quietly (issue 17, item 7): `messenger-conformance list |
//! head -1` prints no panic and exits 0. A command whose exit code is a verdict (`run`, `report`,
//! `diff`) still ends with it, and `run` still writes its report directory: a closed pipe stops
//! the printing, never the work, and never turns a failure into a pass.

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::Path;

/// What a run of the binary left: its exit code and its stderr.
struct Ended {
    code: Option<i32>,
    stderr: String,
}

impl Ended {
    /// No panic, no error, no mention of the pipe: the closed pipe went unremarked.
    fn assert_quiet(&self, what: &str) {
        for noise in ["panicked", "Broken pipe", "failed printing", "error:"] {
            assert!(
                !self.stderr.contains(noise),
                "{what}: stderr says `{noise}`:\n{}",
                self.stderr
            );
        }
    }
}

/// Runs the binary with a stdout whose reader is gone before it starts: its first write meets
/// a closed pipe, every time.
fn with_stdout_closed(args: &[&str]) -> Ended {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = common::bin(args)
        .stdout(writer)
        .spawn()
        .wait_with_output()
        .unwrap();
    Ended {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs the binary as `... | head -1` does: the reader takes one line, then closes the pipe.
fn read_one_line(args: &[&str]) -> (String, Ended) {
    let mut child = common::bin(args).spawn();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader (and with it the pipe's only read end) is dropped here.
    let out = child.wait_with_output().unwrap();
    (
        first,
        Ended {
            code: out.status.code(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        },
    )
}

#[test]
fn printing_commands_end_quietly_with_exit_0_on_a_closed_stdout() {
    for args in [
        vec!["list"],
        vec!["spec"],
        vec!["schema", "protocol"],
        vec!["suite", "info"],
    ] {
        let ended = with_stdout_closed(&args);
        ended.assert_quiet(&args.join(" "));
        assert_eq!(ended.code, Some(0), "{args:?}: {}", ended.stderr);
    }
}

#[test]
fn list_and_spec_piped_into_head_1_end_quietly() {
    let (first, ended) = read_one_line(&["list"]);
    assert_eq!(first, "attributes::ATTR-EMAIL-001\n");
    ended.assert_quiet("list | head -1");
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    let (first, ended) = read_one_line(&["spec"]);
    assert!(first.starts_with("# "), "{first}");
    ended.assert_quiet("spec | head -1");
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
}

/// The events.jsonl of `dir`, read back through the library: whole, with a footer.
fn complete_cases(dir: &Path) -> (usize, usize) {
    let stream = messenger_conformance::report::Stream::read_dir(dir).unwrap();
    assert!(stream.complete, "the run's stream has no footer");
    (stream.cases.len(), stream.footer.failed)
}

#[test]
fn a_run_with_a_closed_stdout_still_writes_its_reports_and_exits_with_its_gate() {
    let dir = common::scratch("run-passing");
    let args = [
        "run",
        "--filter",
        "JWT-ALG-00",
        "--property-cases",
        "8",
        "--report",
        common::path_arg(&dir),
    ];
    let ended = with_stdout_closed(&args);
    ended.assert_quiet("run");
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    let (cases, failed) = complete_cases(&dir);
    assert_eq!(cases, 9, "JWT-ALG-001 to 009");
    assert_eq!(failed, 0);

    // A failing run still fails: the closed pipe does not make its gate pass.
    let dir = common::scratch("run-failing");
    let mut failing = vec!["run", "--broken", "jwt-alg-none"];
    failing.extend_from_slice(&args[1..args.len() - 1]);
    failing.push(common::path_arg(&dir));
    let (first, ended) = read_one_line(&failing);
    assert!(first.starts_with("suite "), "{first}");
    ended.assert_quiet("run --broken jwt-alg-none | head -1");
    assert_eq!(ended.code, Some(1), "{}", ended.stderr);
    let (_, failed) = complete_cases(&dir);
    assert!(failed > 0);

    // `report` and `diff` of those runs keep their verdicts too.
    let passing = common::path_arg(&dir).replace("run-failing", "run-passing");
    for (args, code) in [
        (vec!["report", common::path_arg(&dir)], 1),
        (vec!["diff", passing.as_str(), common::path_arg(&dir)], 1),
        (vec!["diff", passing.as_str(), passing.as_str()], 0),
    ] {
        let ended = with_stdout_closed(&args);
        ended.assert_quiet(&args.join(" "));
        assert_eq!(ended.code, Some(code), "{args:?}: {}", ended.stderr);
    }
}
