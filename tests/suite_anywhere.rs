//! The suite inside the binary: `list`, `check`, `run`, `schema`, `spec` from a directory outside
//! the checkout; extra cases beside the suite; `suite export` and its round trip; the suite's
//! identity in the reports and in baselines; what `cargo package` ships.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{cli_in, path_arg, BIN};
use serde_json::Value;

/// An empty directory in the system's temporary directory (outside the checkout, with no
/// `cases/` anywhere above it), removed when dropped.
struct Elsewhere(PathBuf);

impl Elsewhere {
    fn new(name: &str) -> Elsewhere {
        let dir =
            std::env::temp_dir().join(format!("mc-suite-anywhere-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        assert!(
            !dir.starts_with(common::root()),
            "{} is inside the checkout",
            dir.display()
        );
        Elsewhere(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Elsewhere {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The `suite info` lines of a suite, as `key: value` pairs.
fn info(dir: &Path, args: &[&str]) -> Vec<(String, String)> {
    let mut all = vec!["suite", "info"];
    all.extend(args);
    let out = cli_in(dir, &all);
    assert_eq!(out.code, 0, "{out}");
    out.stdout
        .lines()
        .map(|l| {
            let (k, v) = l.split_once(": ").unwrap_or_else(|| panic!("{l}"));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn field<'a>(info: &'a [(String, String)], key: &str) -> &'a str {
    info.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} in {info:?}"))
}

/// The header record of a report directory's events.jsonl.
fn header(report: &Path) -> Value {
    let text = fs::read_to_string(report.join("events.jsonl")).unwrap();
    serde_json::from_str(text.lines().next().unwrap()).unwrap()
}

/// One valid case of a team's own, in the suite's format.
fn team_case(id: &str) -> String {
    [
        "cases:".to_string(),
        format!("  - id: {id}"),
        "    title: \"a team's own case: a valid k-web token is accepted\"".into(),
        "    requirements: [JWT-ALG]".into(),
        "    level: must".into(),
        "    request:".into(),
        "      platform: web".into(),
        "      jwt:".into(),
        "        claims: {user_id: u-team, exp: now+1h}".into(),
        "        sign: {key: k-web}".into(),
        "    expect:".into(),
        "      outcome: accepted".into(),
        "      verified: true".into(),
        "      identity: {user_id: u-team}".into(),
        String::new(),
    ]
    .join("\n")
}

#[test]
fn list_check_schema_and_spec_work_outside_the_checkout() {
    let here = Elsewhere::new("list");
    let list = cli_in(here.path(), &["list"]);
    assert_eq!(list.code, 0, "{list}");
    let listed = list.stdout.lines().count();
    assert_eq!(listed, common::suite().cases.len(), "{list}");
    assert!(list.stdout.contains("jwt::JWT-ALG-001"), "{list}");
    assert!(list.stderr.contains("embedded"), "{list}");

    let check = cli_in(here.path(), &["check"]);
    assert_eq!(check.code, 0, "{check}");
    assert!(
        check.stdout.contains(&format!("{listed} cases of suite ")),
        "{check}"
    );

    for which in ["case", "fixtures", "protocol"] {
        let schema = cli_in(here.path(), &["schema", which]);
        assert_eq!(schema.code, 0, "{schema}");
        let value: Value = serde_json::from_str(&schema.stdout).unwrap();
        assert!(value.is_object(), "{which}");
    }
    let spec = cli_in(here.path(), &["spec"]);
    assert_eq!(spec.code, 0, "{spec}");
    assert_eq!(
        spec.stdout,
        fs::read_to_string(common::root().join("docs/spec.md")).unwrap()
    );
    // Nothing was written where the commands ran.
    assert_eq!(fs::read_dir(here.path()).unwrap().count(), 0);
}

#[test]
fn run_outside_the_checkout_runs_the_whole_suite_and_reports_there() {
    let here = Elsewhere::new("run");
    let out = cli_in(
        here.path(),
        &["run", "--property-cases", "8", "--seed", "1"],
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("suite "), "{out}");
    let report = here.path().join("reports/latest");
    let header = header(&report);
    let suite = &header["suite"];
    assert_eq!(suite["version"], env!("CARGO_PKG_VERSION"), "{header}");
    assert_eq!(suite["source"], "embedded", "{header}");
    assert_eq!(
        suite["cases"].as_u64().unwrap() as usize,
        common::suite().cases.len()
    );
    let digest = suite["digest"].as_str().unwrap();
    assert_eq!(
        digest,
        messenger_conformance::suite::embedded_digest(),
        "{header}"
    );
    let summary: Value =
        serde_json::from_str(&fs::read_to_string(report.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["suite"], *suite);
    // Every case and every property ran.
    let cases = summary["totals"]["cases"].as_u64().unwrap() as usize;
    assert_eq!(
        cases,
        common::suite().cases.len() + messenger_conformance::properties::all().len()
    );
    for (file, needle) in [
        ("summary.md", &digest[7..19]),
        ("report.html", digest),
        ("junit.xml", digest),
    ] {
        let text = fs::read_to_string(report.join(file)).unwrap();
        assert!(text.contains(needle), "{file} does not name the suite");
    }
}

#[test]
fn an_exec_adapter_runs_the_suite_from_anywhere() {
    let here = Elsewhere::new("exec");
    let out = cli_in(
        here.path(),
        &[
            "run", "--only", "cases", "--jobs", "2", "--report", "out", "--", BIN, "serve",
            "--stdio",
        ],
    );
    assert_eq!(out.code, 0, "{out}");
    let header = header(&here.path().join("out"));
    assert!(header["target"].as_str().unwrap().starts_with("exec:"));
    assert_eq!(header["suite"]["source"], "embedded");
}

#[test]
fn extra_cases_run_beside_the_suite() {
    let here = Elsewhere::new("extra");
    let team = here.path().join("team");
    fs::create_dir_all(team.join("mine")).unwrap();
    fs::write(team.join("mine/own.yaml"), team_case("TEAM-OWN-001")).unwrap();
    let suite_cases = common::suite().cases.len();

    let list = cli_in(here.path(), &["list", "--extra-cases", "team"]);
    assert_eq!(list.code, 0, "{list}");
    assert_eq!(list.stdout.lines().count(), suite_cases + 1, "{list}");
    assert!(list.stdout.contains("mine::TEAM-OWN-001\n"), "{list}");

    let check = cli_in(here.path(), &["check", "--extra-cases", "team"]);
    assert_eq!(check.code, 0, "{check}");

    let out = cli_in(
        here.path(),
        &[
            "run",
            "--only",
            "cases",
            "--extra-cases",
            "team",
            "--filter",
            "TEAM-",
        ],
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("TEAM-OWN-001"), "{out}");
    let header = header(&here.path().join("reports/latest"));
    let suite = &header["suite"];
    // The suite keeps its own identity; the extra cases are named beside it.
    assert_eq!(
        suite["digest"],
        messenger_conformance::suite::embedded_digest()
    );
    assert_eq!(suite["cases"].as_u64().unwrap() as usize, suite_cases);
    assert_eq!(suite["extra"][0]["dir"], "team", "{header}");
    assert_eq!(suite["extra"][0]["cases"], 1, "{header}");
    let events = fs::read_to_string(here.path().join("reports/latest/events.jsonl")).unwrap();
    assert!(
        events.contains("\"location\":\"team/mine/own.yaml:2\""),
        "{events}"
    );

    // Case errors in an extra file point into it, like any other.
    fs::write(
        team.join("mine/broken.yaml"),
        team_case("TEAM-OWN-002").replace("level: must", "level: sometimes"),
    )
    .unwrap();
    let broken = cli_in(here.path(), &["check", "--extra-cases", "team"]);
    assert_eq!(broken.code, 2, "{broken}");
    assert!(
        broken.stderr.contains("team/mine/broken.yaml:5:12"),
        "{broken}"
    );

    // A fixtures.yaml of their own is refused: extra cases use the suite's.
    fs::remove_file(team.join("mine/broken.yaml")).unwrap();
    fs::write(team.join("fixtures.yaml"), "workspaces: {}\n").unwrap();
    let fixtures = cli_in(here.path(), &["check", "--extra-cases", "team"]);
    assert_eq!(fixtures.code, 2, "{fixtures}");
    assert!(
        fixtures.stderr.contains("team/fixtures.yaml")
            && fixtures.stderr.contains("run with the suite's fixtures"),
        "{fixtures}"
    );
}

#[test]
fn an_extra_case_with_a_suite_id_is_an_error_naming_both_files() {
    let here = Elsewhere::new("collision");
    fs::create_dir_all(here.path().join("team/jwt")).unwrap();
    fs::write(
        here.path().join("team/jwt/mine.yaml"),
        team_case("JWT-ALG-001"),
    )
    .unwrap();
    for command in ["run", "list", "check"] {
        let out = cli_in(here.path(), &[command, "--extra-cases", "team"]);
        assert_eq!(out.code, 2, "{command}: {out}");
        assert!(
            out.stderr
                .contains("duplicate id `JWT-ALG-001`, first defined at cases/jwt/alg.yaml:")
                && out.stderr.contains("--> team/jwt/mine.yaml:2:9"),
            "{command}: {out}"
        );
        assert!(!here.path().join("reports").exists(), "{command} ran");
    }
}

#[test]
fn export_writes_the_suite_that_cases_loads_with_the_same_digest() {
    let here = Elsewhere::new("export");
    let out = cli_in(here.path(), &["suite", "export", "mine"]);
    assert_eq!(out.code, 0, "{out}");
    let embedded = info(here.path(), &[]);
    let exported = info(here.path(), &["--cases", "mine"]);
    assert_eq!(field(&exported, "digest"), field(&embedded, "digest"));
    assert_eq!(field(&exported, "version"), env!("CARGO_PKG_VERSION"));
    assert_eq!(field(&exported, "cases"), field(&embedded, "cases"));
    assert_eq!(field(&exported, "source"), "mine");
    // The export is the checkout's cases/, file for file.
    let mut written: Vec<PathBuf> = common::files_under(&here.path().join("mine"))
        .into_iter()
        .map(|p| {
            p.strip_prefix(here.path().join("mine"))
                .unwrap()
                .to_path_buf()
        })
        .collect();
    let mut checkout: Vec<PathBuf> = common::files_under(&common::cases_dir())
        .into_iter()
        .map(|p| p.strip_prefix(common::cases_dir()).unwrap().to_path_buf())
        .collect();
    written.sort();
    checkout.sort();
    assert_eq!(written, checkout);

    // A directory with something in it is refused, unless --force.
    let again = cli_in(here.path(), &["suite", "export", "mine"]);
    assert_eq!(again.code, 2, "{again}");
    assert!(again.stderr.contains("mine is not empty"), "{again}");
    fs::create_dir_all(here.path().join("mine/team")).unwrap();
    fs::write(here.path().join("mine/team/own.yaml"), team_case("TEAM-1")).unwrap();
    let forced = cli_in(here.path(), &["suite", "export", "mine", "--force"]);
    assert_eq!(forced.code, 0, "{forced}");
    assert!(forced.stderr.contains("team/own.yaml"), "{forced}");

    // Changed content is another suite: a digest of its own, and no version.
    let changed = info(here.path(), &["--cases", "mine"]);
    assert_ne!(field(&changed, "digest"), field(&embedded, "digest"));
    assert_eq!(field(&changed, "version"), "custom");
    // `diff` of a run of it and a run of the built-in suite says the suites differ.
    for (report, cases) in [("ours", Some("mine")), ("built-in", None)] {
        let mut args = vec!["run", "--only", "cases", "-q", "--report", report];
        args.extend(cases.map(|c| ["--cases", c]).into_iter().flatten());
        let out = cli_in(here.path(), &args);
        assert_eq!(out.code, 0, "{out}");
    }
    let diff = cli_in(here.path(), &["diff", "ours", "built-in"]);
    assert_eq!(diff.code, 0, "{diff}");
    assert!(
        diff.stdout
            .contains("the runs used different suites: suite custom (")
            && diff
                .stdout
                .contains(&format!("-> suite {}", env!("CARGO_PKG_VERSION"))),
        "{diff}"
    );
    assert!(diff.stdout.contains("TEAM-1"), "{diff}");
    // Files the loader does not read are not part of the digest.
    fs::remove_dir_all(here.path().join("mine/team")).unwrap();
    fs::write(here.path().join("mine/NOTES.txt"), "ours\n").unwrap();
    let with_notes = info(here.path(), &["--cases", "mine"]);
    assert_eq!(field(&with_notes, "digest"), field(&embedded, "digest"));
}

#[test]
fn a_baseline_of_another_suite_says_which_cases_are_new_since() {
    let here = Elsewhere::new("baseline");
    let ids: Vec<String> = common::suite().cases.iter().map(|c| c.id.clone()).collect();
    // Written against an older suite that lacked the first two cases.
    let old = format!(
        "known_failures: []\nsuite:\n  version: 0.0.1\n  digest: sha256:{}\n  cases: [{}]\n",
        "0".repeat(64),
        ids[2..].join(", ")
    );
    fs::write(here.path().join("old.yaml"), old).unwrap();
    let out = cli_in(
        here.path(),
        &["run", "--only", "cases", "--baseline", "old.yaml", "-q"],
    );
    assert_eq!(out.code, 0, "a note, not an error: {out}");
    assert!(
        out.stdout.contains(
            "note: the baseline old.yaml was written against suite 0.0.1 (sha256:000000000000)"
        ),
        "{out}"
    );
    assert!(
        out.stdout.contains(&format!(
            "2 case(s) are new since, and a failure among them is a new failure: {}, {}.",
            ids[0], ids[1]
        )),
        "{out}"
    );

    // A baseline from before suites were recorded still loads, with a note.
    fs::write(here.path().join("plain.yaml"), "known_failures: []\n").unwrap();
    let out = cli_in(
        here.path(),
        &["run", "--only", "cases", "--baseline", "plain.yaml", "-q"],
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("records no suite"), "{out}");

    // --update-baseline records the suite; a run of the same suite then says nothing.
    let written = here.path().join("written.yaml");
    let out = cli_in(
        here.path(),
        &[
            "run",
            "--property-cases",
            "4",
            "--baseline",
            path_arg(&written),
            "--update-baseline",
            "-q",
        ],
    );
    assert_eq!(out.code, 0, "{out}");
    let recorded = messenger_conformance::report::baseline::Baseline::load(&written)
        .unwrap()
        .suite
        .expect("the suite is recorded");
    assert_eq!(
        recorded.digest,
        messenger_conformance::suite::embedded_digest()
    );
    assert_eq!(recorded.version.as_deref(), Some(env!("CARGO_PKG_VERSION")));
    assert_eq!(recorded.cases, ids);
    let out = cli_in(
        here.path(),
        &["run", "--only", "cases", "--baseline", "written.yaml", "-q"],
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(!out.stdout.contains("note: the baseline"), "{out}");

    // `report DIR` gates again with the same note.
    let out = cli_in(
        here.path(),
        &["report", "reports/latest", "--baseline", "old.yaml"],
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stderr.contains("2 case(s) are new since"), "{out}");
}

#[test]
fn the_package_holds_what_the_build_needs_and_nothing_else() {
    let out = common::cargo()
        .args(["package", "--list", "--allow-dirty", "--offline"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files: Vec<&str> = stdout.lines().collect();
    let allowed = |f: &str| {
        f.starts_with("src/")
            || f.starts_with("cases/")
            || matches!(
                f,
                "Cargo.toml"
                    | "Cargo.toml.orig"
                    | "Cargo.lock"
                    | "README.md"
                    | "LICENSE"
                    | "build.rs"
                    | ".cargo_vcs_info.json"
            )
    };
    let unexpected: Vec<&&str> = files.iter().filter(|f| !allowed(f)).collect();
    assert!(
        unexpected.is_empty(),
        "not needed by the build: {unexpected:?}"
    );
    for needed in [
        "build.rs",
        "src/main.rs",
        "src/suite.rs",
        "src/spec/requirements.yaml",
        "cases/fixtures.yaml",
        "cases/jwt/alg.yaml",
        "README.md",
    ] {
        assert!(
            files.contains(&needed),
            "{needed} is not packaged: {files:?}"
        );
    }
    // Every case file of the checkout is in the package.
    for file in common::files_under(&common::cases_dir()) {
        let relative = file.strip_prefix(common::root()).unwrap();
        let name = relative.to_str().unwrap().replace('\\', "/");
        assert!(files.contains(&name.as_str()), "{name} is not packaged");
    }
}
