//! Ground truth from the ecosystem: the adapters of `ecosystem/` (real libraries, installed by
//! `scripts/test`, wrapped as an integrator configures them) run through the real binary over the
//! whole suite, cases and properties, with a fixed `--seed` (and `--validate-protocol`, so an
//! answer off the protocol's schema is an adapter error, never a verdict): one `compare` of every
//! implementation `ecosystem/manifest.yaml` names, which also gives `docs/ecosystem.md`.
//!
//! Each adapter's `expectations.yaml` lists exactly the cases and properties it fails, each with
//! the library behaviour that deviates and the file and line of the library's source as
//! installed. A test fails when the failures differ from that list in either direction, or when
//! an entry names no behaviour or a source line that is not there.
//!
//! To see what an adapter fails today (after a change to the suite or the judge), run
//! `ECOSYSTEM_OBSERVED=1 cargo test --test integration ecosystem:: -- --nocapture`: every adapter
//! prints its observed failures in the expectations file's format (known entries keep their text;
//! new ones say TODO).
//!
//! When an interpreter or a package is missing, the test fails and says how to install it: it
//! never passes unrun.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

/// The seed of the generated requests: one seed, so the expectations describe one reproducible
/// run.
const PROPERTY_SEED: &str = "20260101";
/// Generated requests per property: as the other adapter tests over the real binary use.
const PROPERTY_CASES: &str = "64";

const INSTALL: &str = "run `scripts/test` (it installs the ecosystem's packages), or by hand: \
     `(cd ecosystem/node && npm ci)`, `python3 -m venv ecosystem/python/.venv && \
     ecosystem/python/.venv/bin/pip install -r ecosystem/python/requirements.txt`, \
     `apt-get install libcrypt-jwt-perl`";

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Expectations {
    library: String,
    #[serde(default)]
    failures: Vec<Expected>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    id: String,
    behaviour: String,
    source: String,
    #[serde(default)]
    suspected_suite_bug: Option<String>,
}

/// One ecosystem adapter: its directory (with `expectations.yaml`), and where the library's
/// source is installed (the root its `source:` paths are relative to). The manifest holds its
/// command line.
struct Adapter {
    dir: &'static str,
    source_root: PathBuf,
}

fn output_of(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .current_dir(common::root())
        .output();
    match output {
        Ok(output) if output.status.success() => {
            String::from_utf8_lossy(&output.stdout).trim().to_string()
        }
        Ok(output) => panic!(
            "`{program} {}` failed: {}\n{INSTALL}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        Err(error) => panic!("`{program}` cannot be run ({error})\n{INSTALL}"),
    }
}

fn python(dir: &'static str, module: &str) -> Adapter {
    let venv = common::root().join("ecosystem/python/.venv/bin/python");
    let venv = venv.to_str().expect("a UTF-8 path").to_string();
    let site = output_of(
        &venv,
        &[
            "-c",
            &format!("import {module}, sysconfig; print(sysconfig.get_paths()['purelib'])"),
        ],
    );
    Adapter {
        dir,
        source_root: PathBuf::from(site),
    }
}

fn node(dir: &'static str, package: &str) -> Adapter {
    output_of(
        "node",
        &[
            "-e",
            &format!("require('./ecosystem/node/node_modules/{package}')"),
        ],
    );
    Adapter {
        dir,
        source_root: common::root().join("ecosystem/node/node_modules"),
    }
}

fn perl(dir: &'static str, module: &str) -> Adapter {
    let file = module.replace("::", "/") + ".pm";
    let path = output_of(
        "perl",
        &[
            &format!("-M{module}"),
            "-e",
            &format!("print $INC{{'{file}'}}"),
        ],
    );
    let root = path
        .strip_suffix(&file)
        .unwrap_or_else(|| panic!("{module} is at {path}, not under a root ending in {file}"));
    Adapter {
        dir,
        source_root: PathBuf::from(root),
    }
}

/// The comparison of every implementation `ecosystem/manifest.yaml` names, with the page it
/// generates: run once per test binary and shared. The page test compares the page; each
/// adapter's test reads its own run from the comparison's report, `report/NAME/events.jsonl`,
/// the run `messenger-conformance run` makes of it with the same flags (`compare` drives the
/// same Runner for each implementation).
struct Comparison {
    /// What `compare` printed, and its exit code.
    output: common::Output,
    /// The page, or why there is none.
    page: Result<String, String>,
    report: PathBuf,
}

fn comparison() -> &'static Comparison {
    static COMPARISON: OnceLock<Comparison> = OnceLock::new();
    COMPARISON.get_or_init(|| {
        // The Rust examples the manifest names are built into target/debug/examples/.
        // common::cargo: without the variables cargo set for this test, which would rebuild ring
        // and this crate here and again in the next `cargo test`.
        let status = common::cargo()
            .args([
                "build",
                "--quiet",
                "--example",
                "profile_adapter",
                "--example",
                "naive_adapter",
            ])
            .status()
            .expect("cargo runs");
        assert!(
            status.success(),
            "could not build the example adapters: run `cargo build --examples`"
        );
        let scratch = common::scratch("ecosystem-compare");
        let page = scratch.join("ecosystem.md");
        let report = scratch.join("report");
        let output = common::bin(&["compare", "-q", "--manifest", "ecosystem/manifest.yaml"])
            .args([
                "--seed",
                PROPERTY_SEED,
                "--property-cases",
                PROPERTY_CASES,
                "--validate-protocol",
            ])
            .arg("--page")
            .arg(&page)
            .arg("--report")
            .arg(&report)
            .output();
        // The page names the file it was written to: the committed one says docs/ecosystem.md.
        let page = std::fs::read_to_string(&page)
            .map(|fresh| fresh.replace(&page.display().to_string(), "docs/ecosystem.md"))
            .map_err(|e| format!("compare wrote no page ({e})"));
        Comparison {
            output,
            page,
            report,
        }
    })
}

/// The adapter's run in the comparison: each failing case or property with its outcome, and
/// what the comparison printed.
fn failures(adapter: &Adapter) -> (BTreeMap<String, String>, String) {
    let Comparison { output, report, .. } = comparison();
    let said = format!("{}{}", output.stdout, output.stderr);
    // The manifest names each ecosystem adapter after its directory.
    let name = adapter.dir.rsplit('/').next().expect("a directory");
    let events = std::fs::read_to_string(report.join(name).join("events.jsonl"))
        .unwrap_or_else(|e| {
            panic!(
                "{}: the comparison wrote no {name}/events.jsonl ({e}); it said:\n{said}\n{INSTALL}",
                adapter.dir
            )
        });
    let mut failing = BTreeMap::new();
    let mut ran = 0;
    for line in events.lines() {
        let record: Value = serde_json::from_str(line).expect("events.jsonl holds JSON lines");
        if record["record"] != "case" {
            continue;
        }
        ran += 1;
        let outcome = record["outcome"].as_str().unwrap_or_default();
        if !matches!(outcome, "pass" | "skipped") {
            let id = record["id"].as_str().unwrap_or_default().to_string();
            failing.insert(id, outcome.to_string());
        }
    }
    assert!(
        ran > 0,
        "{}: the run recorded no case; the comparison said:\n{said}",
        adapter.dir
    );
    (failing, said)
}

fn read_expectations(dir: &str) -> Expectations {
    let path = common::root().join(dir).join("expectations.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_saphyr::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not an expectations file: {e}", path.display()))
}

/// Every entry names a behaviour on one line and a `file:line` that exists under the library's
/// installed source; no id is listed twice.
fn check_entries(adapter: &Adapter, expectations: &Expectations) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for entry in &expectations.failures {
        if !seen.insert(entry.id.as_str()) {
            problems.push(format!("{} is listed twice", entry.id));
        }
        if entry.behaviour.trim().is_empty() || entry.behaviour.contains('\n') {
            problems.push(format!(
                "{}: `behaviour` must be one non-empty line",
                entry.id
            ));
        }
        if entry
            .suspected_suite_bug
            .as_deref()
            .is_some_and(|why| why.trim().is_empty())
        {
            problems.push(format!(
                "{}: `suspected_suite_bug` needs its reason",
                entry.id
            ));
        }
        let Some((file, line)) = entry.source.rsplit_once(':') else {
            problems.push(format!("{}: `source` is not FILE:LINE", entry.id));
            continue;
        };
        let Ok(line) = line.parse::<usize>() else {
            problems.push(format!(
                "{}: `source` line {line:?} is not a number",
                entry.id
            ));
            continue;
        };
        let path = adapter.source_root.join(file);
        match std::fs::read_to_string(&path) {
            Ok(text) if line >= 1 && line <= text.lines().count() => {}
            Ok(text) => problems.push(format!(
                "{}: {} has {} lines, not line {line}",
                entry.id,
                path.display(),
                text.lines().count()
            )),
            Err(error) => problems.push(format!(
                "{}: source {} cannot be read ({error})",
                entry.id,
                path.display()
            )),
        }
    }
    problems
}

/// The observed failures in the expectations file's format, known entries with their text.
fn observed_yaml(expectations: &Expectations, failing: &BTreeMap<String, String>) -> String {
    let known: BTreeMap<&str, &Expected> = expectations
        .failures
        .iter()
        .map(|e| (e.id.as_str(), e))
        .collect();
    let mut yaml = String::from("failures:\n");
    for (id, outcome) in failing {
        match known.get(id.as_str()) {
            Some(entry) => {
                yaml += &format!(
                    "  - id: {id}\n    behaviour: {}\n    source: {}\n",
                    serde_json::to_string(&entry.behaviour).unwrap(),
                    entry.source
                );
                if let Some(why) = &entry.suspected_suite_bug {
                    yaml += &format!(
                        "    suspected_suite_bug: {}\n",
                        serde_json::to_string(why).unwrap()
                    );
                }
            }
            None => {
                yaml += &format!(
                    "  - id: {id}\n    behaviour: \"TODO ({outcome}): the library behaviour that deviates\"\n    source: TODO/path/in/the/library:LINE\n"
                )
            }
        }
    }
    yaml
}

/// What differs between the listed failures and the observed ones, in either direction, as
/// the text of a failure; `None` when they are the same set.
fn mismatch(
    file: &str,
    expectations: &Expectations,
    failing: &BTreeMap<String, String>,
) -> Option<String> {
    let listed: BTreeSet<&str> = expectations
        .failures
        .iter()
        .map(|e| e.id.as_str())
        .collect();
    let observed: BTreeSet<&str> = failing.keys().map(String::as_str).collect();
    let unlisted: Vec<String> = observed
        .difference(&listed)
        .map(|id| format!("{id} ({})", failing[*id]))
        .collect();
    let stale: Vec<&&str> = listed.difference(&observed).collect();
    if unlisted.is_empty() && stale.is_empty() {
        return None;
    }
    Some(format!(
        "{file} no longer describes {} (the suite run with --seed {PROPERTY_SEED}).\n  \
         failing but not listed: {unlisted:?}\n  listed but not failing: {stale:?}\n\
         A must failure on one of Intercom's own libraries is a bug in the suite unless the \
         case's note argues the consequence (ecosystem/README.md). If the change is right, \
         update the file: `ECOSYSTEM_OBSERVED=1 cargo test --test integration ecosystem:: -- --nocapture` \
         prints the observed list in its format; give every new entry the library behaviour \
         that deviates and its source line.",
        expectations.library
    ))
}

fn assert_matches_expectations(adapter: Adapter) {
    let expectations = read_expectations(adapter.dir);
    let problems = check_entries(&adapter, &expectations);
    let (failing, said) = failures(&adapter);
    let file = format!("{}/expectations.yaml", adapter.dir);
    if std::env::var_os("ECOSYSTEM_OBSERVED").is_some() {
        println!(
            "--- {file} ({}), observed with --seed {PROPERTY_SEED}:\n{}",
            expectations.library,
            observed_yaml(&expectations, &failing)
        );
    }
    assert!(
        problems.is_empty(),
        "{file} has entries that do not say what deviates where:\n  {}",
        problems.join("\n  ")
    );
    if let Some(difference) = mismatch(&file, &expectations, &failing) {
        panic!("{difference}\n\nThe run said:\n{said}");
    }
}

#[test]
fn intercom_client_signer_fails_only_what_its_expectations_list() {
    assert_matches_expectations(node("ecosystem/node/intercom-client", "intercom-client"));
}

#[test]
fn fast_jwt_verifier_fails_only_what_its_expectations_list() {
    assert_matches_expectations(node("ecosystem/node/fast-jwt", "fast-jwt"));
}

#[test]
fn flask_intercom_signer_fails_only_what_its_expectations_list() {
    assert_matches_expectations(python("ecosystem/python/flask-intercom", "flask_intercom"));
}

#[test]
fn django_intercom_signer_fails_only_what_its_expectations_list() {
    assert_matches_expectations(python(
        "ecosystem/python/django-intercom",
        "django_intercom",
    ));
}

#[test]
fn joserfc_verifier_fails_only_what_its_expectations_list() {
    assert_matches_expectations(python("ecosystem/python/joserfc", "joserfc"));
}

#[test]
fn python_jose_verifier_fails_only_what_its_expectations_list() {
    assert_matches_expectations(python("ecosystem/python/python-jose", "jose"));
}

#[test]
fn crypt_jwt_verifier_fails_only_what_its_expectations_list() {
    assert_matches_expectations(perl("ecosystem/perl/crypt-jwt", "Crypt::JWT"));
}

/// The check of entries itself: a behaviour on two lines, a source line past the end of the
/// file and a missing file are each reported (the entries of a real file are checked above).
#[test]
fn an_entry_without_a_real_source_line_is_reported() {
    let dir = common::scratch("ecosystem-entries");
    std::fs::write(dir.join("lib.py"), "one\ntwo\n").unwrap();
    let adapter = Adapter {
        dir: "unused",
        source_root: dir.clone(),
    };
    let expectations: Expectations = serde_saphyr::from_str(
        "library: x 1\nfailures:\n\
         - {id: A, behaviour: fine, source: lib.py:2}\n\
         - {id: B, behaviour: \"two\\nlines\", source: lib.py:1}\n\
         - {id: C, behaviour: past the end, source: lib.py:3}\n\
         - {id: D, behaviour: no file, source: gone.py:1}\n\
         - {id: A, behaviour: twice, source: lib.py:1}\n",
    )
    .unwrap();
    let problems = check_entries(&adapter, &expectations);
    let text = problems.join("\n");
    assert_eq!(problems.len(), 4, "{text}");
    for needle in [
        "B: `behaviour` must be one non-empty line",
        "C: ",
        "not line 3",
        "D: source",
        "A is listed twice",
    ] {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
}

/// The comparison fails in both directions: a failure the file does not list, and an entry
/// whose case no longer fails; the same sets pass.
#[test]
fn a_failure_not_listed_and_an_entry_not_failing_are_both_reported() {
    let expectations: Expectations = serde_saphyr::from_str(
        "library: x 1\nfailures:\n\
         - {id: A, behaviour: a, source: f:1}\n\
         - {id: B, behaviour: b, source: f:1}\n",
    )
    .unwrap();
    let observed = |ids: &[&str]| -> BTreeMap<String, String> {
        ids.iter()
            .map(|id| (id.to_string(), "wrong_verdict".to_string()))
            .collect()
    };
    assert_eq!(mismatch("f", &expectations, &observed(&["A", "B"])), None);
    let text = mismatch("f", &expectations, &observed(&["A", "C"])).expect("C and B differ");
    assert!(
        text.contains(r#"failing but not listed: ["C (wrong_verdict)"]"#),
        "{text}"
    );
    assert!(text.contains(r#"listed but not failing: ["B"]"#), "{text}");
    assert!(text.contains("ECOSYSTEM_OBSERVED=1"), "{text}");
    let text = mismatch("f", &expectations, &observed(&["A"])).expect("B no longer fails");
    assert!(text.contains(r#"listed but not failing: ["B"]"#), "{text}");
}

/// `docs/ecosystem.md` is generated from `ecosystem/manifest.yaml` by `compare --page`: a fresh
/// comparison of every implementation the manifest names must give the committed page, byte for
/// byte. Regenerate it with the command the page names (from the repository root).
#[test]
fn the_committed_ecosystem_page_matches_a_fresh_compare() {
    let Comparison { output, page, .. } = comparison();
    assert_ne!(
        output.code, 2,
        "an implementation of the manifest did not start (or the manifest is wrong):\n{output}\n{INSTALL}"
    );
    let fresh = page
        .as_ref()
        .unwrap_or_else(|why| panic!("{why}:\n{output}"));
    let committed = std::fs::read_to_string(common::root().join("docs/ecosystem.md"))
        .unwrap_or_default()
        .replace("\r\n", "\n");
    assert!(
        *fresh == committed,
        "docs/ecosystem.md is not what a fresh comparison gives; regenerate it from the repository root with\n  \
         messenger-conformance compare --manifest ecosystem/manifest.yaml --seed {PROPERTY_SEED} --property-cases {PROPERTY_CASES} --validate-protocol --page docs/ecosystem.md\n\
         and review the diff. Fresh page:\n{fresh}"
    );
}
