//! The GitHub Action (`action.yml`) runs here without GitHub: its logic is `scripts/ci-action`,
//! run as the action runs it (inputs as `INPUT_*`, GitHub's files as temporary files), and the
//! action's own file is checked to call only that script with inputs it declares.

use crate::common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::Output;
use serde_json::Value;

fn script() -> PathBuf {
    common::root().join("scripts/ci-action")
}

/// What one `scripts/ci-action run` left behind.
struct ActionRun {
    output: Output,
    /// `$GITHUB_OUTPUT`, as GitHub reads it: (name, value) in order.
    outputs: Vec<(String, String)>,
    /// `$GITHUB_STEP_SUMMARY`.
    step_summary: String,
    report: PathBuf,
}

/// Runs `scripts/ci-action run` from the crate root with these `INPUT_*` variables; the step
/// summary starts with a line of an earlier step, which must be kept (GitHub appends).
fn run_action(name: &str, inputs: &[(&str, &str)]) -> ActionRun {
    let dir = common::scratch(name);
    let report = dir.join("report");
    let (outputs, step_summary) = (dir.join("github-output"), dir.join("step-summary"));
    fs::write(&step_summary, "earlier step\n").unwrap();
    let mut command = Command::new(script());
    command
        .arg("run")
        .current_dir(common::root())
        .stdin(Stdio::null())
        .env("MC_BIN", common::BIN)
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_STEP_SUMMARY", &step_summary)
        .env("INPUT_REPORT_DIR", &report);
    for (key, value) in inputs {
        command.env(key, value);
    }
    let output: Output = command.output().expect("the script runs").into();
    ActionRun {
        output,
        outputs: parse_outputs(&fs::read_to_string(&outputs).unwrap_or_default()),
        step_summary: fs::read_to_string(&step_summary).unwrap(),
        report,
    }
}

/// `$GITHUB_OUTPUT` read as GitHub's runner reads it: `name=value` on one line, or
/// `name<<DELIMITER`, the value's lines, and `DELIMITER` alone on a line.
fn parse_outputs(text: &str) -> Vec<(String, String)> {
    let mut outputs = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let heredoc = line.find("<<");
        let equals = line.find('=');
        match (heredoc, equals) {
            (Some(at), eq) if eq.is_none_or(|eq| at < eq) => {
                let (name, delimiter) = (&line[..at], &line[at + 2..]);
                let mut value = Vec::new();
                loop {
                    let next = lines.next().unwrap_or_else(|| {
                        panic!("output {name}: no closing {delimiter:?} in {text:?}")
                    });
                    if next == delimiter {
                        break;
                    }
                    value.push(next);
                }
                outputs.push((name.to_string(), value.join("\n")));
            }
            (_, Some(eq)) => outputs.push((line[..eq].to_string(), line[eq + 1..].to_string())),
            _ => panic!("not an output line: {line:?} in {text:?}"),
        }
    }
    outputs
}

/// The values given for output `name`, in order.
fn output_values<'a>(run: &'a ActionRun, name: &str) -> Vec<&'a str> {
    run.outputs
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// A few cases, quickly: the action's logic does not depend on how many.
const FEW_CASES: &str = "--only cases --filter JWT-ALG -q";

#[test]
fn a_passing_run_writes_the_summary_and_outputs_and_exits_0() {
    let run = run_action("passing", &[("INPUT_ARGS", FEW_CASES)]);
    assert_eq!(run.output.code, 0, "{}", run.output);
    assert_eq!(output_values(&run, "exit-code"), ["0"], "{:?}", run.outputs);
    assert_eq!(
        output_values(&run, "report-dir"),
        [run.report.display().to_string()],
        "{:?}",
        run.outputs
    );
    let summary = fs::read_to_string(run.report.join("summary.md")).unwrap();
    assert_eq!(run.step_summary, format!("earlier step\n{summary}"));
    assert!(summary.contains("gate: passed"), "{summary}");
    for file in ["events.jsonl", "junit.xml", "summary.json", "report.html"] {
        assert!(run.report.join(file).is_file(), "{file} missing");
    }
}

#[test]
fn a_failing_gate_fails_the_step_after_writing_the_summary() {
    let args = format!("{FEW_CASES} --broken jwt-alg-none");
    let run = run_action("failing", &[("INPUT_ARGS", &args)]);
    assert_eq!(run.output.code, 1, "{}", run.output);
    assert_eq!(output_values(&run, "exit-code"), ["1"], "{:?}", run.outputs);
    assert!(
        run.step_summary.contains("gate: FAILED"),
        "{}",
        run.step_summary
    );
    assert!(
        run.output
            .stdout
            .contains("::error::the conformance gate failed"),
        "{}",
        run.output
    );
}

#[test]
fn the_harness_output_runs_no_workflow_command_and_the_actions_error_still_does() {
    let args = format!("{FEW_CASES} --broken jwt-alg-none");
    let run = run_action("stop-commands", &[("INPUT_ARGS", &args)]);
    assert_eq!(run.output.code, 1, "{}", run.output);
    let lines: Vec<&str> = run.output.stdout.lines().collect();
    let stop = lines
        .iter()
        .position(|l| l.starts_with("::stop-commands::"))
        .unwrap_or_else(|| panic!("no ::stop-commands:: line:\n{}", run.output));
    let token = &lines[stop]["::stop-commands::".len()..];
    assert!(
        token.len() == 32 && token.chars().all(|c| c.is_ascii_hexdigit()),
        "the token is not random-looking: {token:?}"
    );
    let resume = lines
        .iter()
        .position(|l| *l == format!("::{token}::"))
        .unwrap_or_else(|| panic!("commands never resumed:\n{}", run.output));
    let gate = lines
        .iter()
        .position(|l| l.contains("gate: FAILED"))
        .expect("the harness's gate line");
    let error = lines
        .iter()
        .position(|l| l.starts_with("::error::the conformance gate failed"))
        .expect("the action's error");
    assert!(
        stop < gate && gate < resume && resume < error,
        "{}",
        run.output
    );
    // Another run, another token.
    let again = run_action("stop-commands-again", &[("INPUT_ARGS", FEW_CASES)]);
    assert!(!again.output.stdout.contains(token), "{}", again.output);
}

#[test]
fn a_multi_line_args_input_keeps_every_line() {
    // The broken implementation on the last line makes the gate fail: a split that kept only the
    // first line would run the reference and pass.
    let args = "--only cases --filter JWT-ALG\n-q\r\n  --broken\tjwt-alg-none\n";
    let run = run_action("multi-line-args", &[("INPUT_ARGS", args)]);
    assert_eq!(run.output.code, 1, "{}", run.output);
    assert!(
        run.step_summary.contains("gate: FAILED"),
        "{}",
        run.step_summary
    );
}

#[test]
fn args_with_quotes_are_refused_not_split_wrongly() {
    let run = run_action(
        "quoted-args",
        &[("INPUT_ARGS", "--only cases --filter 'JWT ALG'")],
    );
    assert_eq!(run.output.code, 2, "{}", run.output);
    assert!(
        run.output.stderr.contains("cannot split as a shell would"),
        "{}",
        run.output
    );
    assert!(!run.report.exists(), "nothing ran");
}

#[test]
fn a_line_break_in_report_dir_cannot_forge_an_output() {
    let dir = common::scratch("forged-output");
    let report = dir.join("report\nexit-code=0");
    let args = format!("{FEW_CASES} --broken jwt-alg-none");
    let run = run_action(
        "forged-output-run",
        &[
            ("INPUT_ARGS", &args),
            ("INPUT_REPORT_DIR", report.to_str().unwrap()),
        ],
    );
    assert_eq!(run.output.code, 1, "{}", run.output);
    assert_eq!(output_values(&run, "exit-code"), ["1"], "{:?}", run.outputs);
    assert_eq!(
        output_values(&run, "report-dir"),
        [report.display().to_string()],
        "{:?}",
        run.outputs
    );
}

#[test]
fn the_adapter_command_is_split_as_a_shell_splits_it() {
    // An argument with a space inside quotes stays one argument: the adapter rejects an order
    // it does not know, so a wrong split would fail the run.
    let command = "python3 tests/adapters/alt_verifier.py --order 'alg-first'";
    let run = run_action(
        "command",
        &[("INPUT_COMMAND", command), ("INPUT_ARGS", FEW_CASES)],
    );
    assert_eq!(run.output.code, 0, "{}", run.output);
    let events = fs::read_to_string(run.report.join("events.jsonl")).unwrap();
    let header: Value = serde_json::from_str(events.lines().next().unwrap()).unwrap();
    assert!(
        header.to_string().contains("alg-first"),
        "the adapter that ran is not the one given: {header}"
    );
}

#[test]
fn inputs_that_contradict_each_other_are_a_usage_error() {
    let both = run_action(
        "both",
        &[
            ("INPUT_COMMAND", "python3 adapter.py"),
            ("INPUT_URL", "http://127.0.0.1:9/"),
        ],
    );
    assert_eq!(both.output.code, 2, "{}", both.output);
    assert!(both.output.stderr.contains("not both"), "{}", both.output);
    assert!(!both.report.exists(), "nothing ran, nothing is written");

    let missing = run_action(
        "missing-baseline",
        &[("INPUT_BASELINE", "no/such/baseline.yaml")],
    );
    assert_eq!(missing.output.code, 2, "{}", missing.output);
    assert!(
        missing.output.stderr.contains("no/such/baseline.yaml"),
        "{}",
        missing.output
    );
}

/// `scripts/ci-action` with its sources in `sources` and `cargo` replaced by a stand-in that
/// records its arguments and installs an empty binary.
fn install(sources: &Path, root: &Path, log: &Path) -> Output {
    let bin = sources.parent().unwrap().join("fake-bin");
    fs::create_dir_all(&bin).unwrap();
    let cargo = bin.join("cargo");
    fs::write(
        &cargo,
        "#!/bin/sh\necho \"$@\" >> \"$FAKE_CARGO_LOG\"\n\
         root=$(echo \"$@\" | sed 's/.*--root \\([^ ]*\\).*/\\1/')\n\
         mkdir -p \"$root/bin\" && touch \"$root/bin/messenger-conformance\" && chmod +x \"$root/bin/messenger-conformance\"\n",
    )
    .unwrap();
    make_executable(&cargo);
    Command::new(script())
        .arg("install")
        .env("MC_SOURCE_DIR", sources)
        .env("MC_INSTALL_ROOT", root)
        .env("FAKE_CARGO_LOG", log)
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .stdin(Stdio::null())
        .output()
        .expect("the script runs")
        .into()
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

fn cache_key(sources: &Path) -> String {
    let output: Output = Command::new(script())
        .arg("cache-key")
        .env("MC_SOURCE_DIR", sources)
        .output()
        .unwrap()
        .into();
    assert_eq!(output.code, 0, "{output}");
    output.stdout.trim().to_string()
}

#[test]
fn the_install_is_keyed_on_the_sources_and_skipped_when_they_did_not_change() {
    let dir = common::scratch("install");
    let sources = dir.join("sources");
    fs::create_dir_all(sources.join("src")).unwrap();
    fs::write(sources.join("Cargo.toml"), "[package]\n").unwrap();
    fs::write(sources.join("src/main.rs"), "fn main() {}\n").unwrap();
    let (root, log) = (dir.join("root"), dir.join("cargo.log"));

    let key = cache_key(&sources);
    assert_eq!(key.len(), 64, "{key}");
    assert_eq!(cache_key(&sources), key, "the key is deterministic");

    let first = install(&sources, &root, &log);
    assert_eq!(first.code, 0, "{first}");
    let calls = fs::read_to_string(&log).unwrap();
    assert_eq!(calls.lines().count(), 1, "{calls}");
    assert!(
        calls.contains("install --locked --force --root")
            && calls.contains(&format!("--path {}", sources.display())),
        "{calls}"
    );

    let again = install(&sources, &root, &log);
    assert_eq!(again.code, 0, "{again}");
    assert!(again.stdout.contains("already installed"), "{again}");
    assert_eq!(fs::read_to_string(&log).unwrap().lines().count(), 1);

    // A changed file, and a renamed one, change the key and reinstall.
    fs::write(sources.join("src/main.rs"), "fn main() { }\n").unwrap();
    let changed = cache_key(&sources);
    assert_ne!(changed, key);
    fs::rename(sources.join("src/main.rs"), sources.join("src/lib.rs")).unwrap();
    assert_ne!(cache_key(&sources), changed);
    assert_eq!(install(&sources, &root, &log).code, 0);
    assert_eq!(fs::read_to_string(&log).unwrap().lines().count(), 2);
}

/// Every `${{ inputs.NAME }}` the action uses, in order of appearance.
fn inputs_used(text: &str) -> BTreeSet<String> {
    text.match_indices("inputs.")
        .map(|(at, _)| {
            text[at + "inputs.".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect()
        })
        .collect()
}

#[test]
fn the_action_calls_the_script_with_inputs_it_declares() {
    let text = fs::read_to_string(common::root().join("action.yml")).unwrap();
    let action: Value = serde_saphyr::from_str(&text).expect("action.yml is YAML");
    assert_eq!(action["runs"]["using"], "composite");

    let declared: BTreeSet<String> = action["inputs"]
        .as_object()
        .expect("inputs")
        .keys()
        .cloned()
        .collect();
    let used = inputs_used(&text);
    assert!(
        used.is_subset(&declared),
        "inputs used but not declared: {:?}",
        used.difference(&declared).collect::<Vec<_>>()
    );

    let steps = action["runs"]["steps"].as_array().expect("steps");
    let mut script_steps = 0;
    for step in steps {
        if let Some(run) = step["run"].as_str() {
            assert!(
                run.contains("$GITHUB_ACTION_PATH/scripts/ci-action"),
                "a step with logic of its own, outside the tested script: {run}"
            );
            assert_eq!(step["shell"], "bash", "{step}");
            script_steps += 1;
        }
    }
    assert_eq!(script_steps, 3, "cache key, install and run");

    // Every INPUT_* variable the script reads is given by the run step.
    let script_text = fs::read_to_string(script()).unwrap();
    let run_step = steps.iter().find(|s| s["id"] == "run").expect("a run step");
    for variable in [
        "INPUT_COMMAND",
        "INPUT_URL",
        "INPUT_BASELINE",
        "INPUT_REPORT_DIR",
        "INPUT_ARGS",
    ] {
        assert!(script_text.contains(variable), "{variable}");
        assert!(
            run_step["env"][variable].is_string(),
            "the run step does not pass {variable}"
        );
    }
}
