//! The `events.jsonl` format is versioned (docs/events.md), and the streams earlier harnesses
//! wrote stay readable: `tests/fixtures/events/v1.jsonl` is a real version 1 run (cases that
//! pass and fail, properties, role skips), `unversioned.jsonl` a real run written before headers
//! recorded a version. Every later version must still read both with `report`, `diff` and
//! `merge`; a stream of a version newer than the harness reads is refused, exit 2.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    common::root().join("tests/fixtures/events").join(name)
}

/// A report directory holding only the fixture `name` as its events.jsonl.
fn report_dir(test: &str, name: &str) -> PathBuf {
    let dir = common::scratch(test);
    fs::copy(fixture(name), dir.join("events.jsonl")).unwrap();
    dir
}

fn records(path: &Path) -> Vec<Value> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `(kind, id, outcome)` of every case record.
fn outcomes(records: &[Value]) -> Vec<(String, String, String)> {
    records
        .iter()
        .filter(|r| r["record"] == "case")
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap().to_string();
            (s("kind"), s("id"), s("outcome"))
        })
        .collect()
}

#[test]
fn the_fixtures_are_what_they_claim_to_be() {
    let v1 = records(&fixture("v1.jsonl"));
    assert_eq!(v1[0]["format_version"], 1);
    let old = records(&fixture("unversioned.jsonl"));
    assert_eq!(old[0]["record"], "header");
    assert!(old[0].get("format_version").is_none());
    for stream in [&v1, &old] {
        let all = outcomes(stream);
        let has = |kind: &str, outcome: &dyn Fn(&str) -> bool| {
            all.iter().any(|(k, _, o)| k == kind && outcome(o))
        };
        assert!(has("case", &|o| o == "pass"), "{all:?}");
        assert!(has("property", &|_| true), "{all:?}");
        assert!(has("case", &|o| o == "skipped"), "{all:?}");
        assert!(
            has("case", &|o| o != "pass" && o != "skipped")
                || has("property", &|o| o != "pass" && o != "skipped"),
            "{all:?}"
        );
        assert_eq!(stream.last().unwrap()["record"], "footer");
    }
}

#[test]
fn report_reads_a_version_1_stream_and_one_without_a_version() {
    for (name, closing, failure) in [
        (
            "v1.jsonl",
            "(5 passed, 6 failed, 2 skipped)",
            "new failure: jwt::JWT-ALG-002 [must] wrong_verdict, critical",
        ),
        (
            "unversioned.jsonl",
            "(9 passed, 1 failed, 2 skipped)",
            "new failure: properties::idv-hash [must] wrong_detail, major",
        ),
    ] {
        let dir = report_dir(&format!("events-report-{name}"), name);
        let out = common::cli(&["report", common::path_arg(&dir)]);
        assert_eq!(out.code, 1, "{name}: {out}");
        assert!(out.stdout.contains(closing), "{name}: {out}");
        assert!(out.stdout.contains(failure), "{name}: {out}");
        for file in ["junit.xml", "summary.md", "summary.json", "report.html"] {
            assert!(dir.join(file).is_file(), "{name}: no {file}");
        }
        let summary: Value =
            serde_json::from_str(&fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
        let failed = if name == "v1.jsonl" { 6 } else { 1 };
        assert_eq!(summary["totals"]["failed"], failed, "{name}: {summary}");
        // The stream itself is read, not rewritten.
        assert_eq!(
            fs::read(dir.join("events.jsonl")).unwrap(),
            fs::read(fixture(name)).unwrap()
        );
    }
}

#[test]
fn diff_reads_an_unversioned_stream_against_a_version_1_stream() {
    let old = report_dir("events-diff-old", "unversioned.jsonl");
    let new = report_dir("events-diff-new", "v1.jsonl");
    let out = common::cli(&["diff", common::path_arg(&old), common::path_arg(&new)]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stdout
            .contains("6 new failures, 0 reason changed, 1 fixed, 4 added, 9 removed, 2 unchanged"),
        "{out}"
    );
    assert!(
        out.stdout.contains("fixed        properties::idv-hash"),
        "{out}"
    );
}

#[test]
fn merge_reads_both_and_writes_the_current_version() {
    for name in ["v1.jsonl", "unversioned.jsonl"] {
        let from = report_dir(&format!("events-merge-from-{name}"), name);
        let out_dir = common::scratch(&format!("events-merge-out-{name}"));
        let out = common::cli(&["merge", common::path_arg(&out_dir), common::path_arg(&from)]);
        assert_eq!(out.code, 1, "{name}: {out}");
        let merged = records(&out_dir.join("events.jsonl"));
        assert_eq!(merged[0]["format_version"], 1, "{name}");
        assert_eq!(
            outcomes(&merged),
            outcomes(&records(&fixture(name))),
            "{name}"
        );
    }
}

#[test]
fn a_stream_of_a_newer_version_is_refused_with_exit_2() {
    let dir = common::scratch("events-newer");
    let mut all = records(&fixture("v1.jsonl"));
    all[0]["format_version"] = 2.into();
    let text: String = all.iter().map(|r| format!("{r}\n")).collect();
    fs::write(dir.join("events.jsonl"), text).unwrap();
    let other = report_dir("events-newer-other", "v1.jsonl");
    for args in [
        vec!["report", common::path_arg(&dir)],
        vec!["diff", common::path_arg(&other), common::path_arg(&dir)],
    ] {
        let out = common::cli(&args);
        assert_eq!(out.code, 2, "{args:?}: {out}");
        assert!(
            out.stderr
                .contains("the stream is in events format version 2, and this harness"),
            "{args:?}: {out}"
        );
        assert!(
            out.stderr.contains("reads versions up to 1"),
            "{args:?}: {out}"
        );
    }
}

/// Adds a field no version knows to `value` and to every object inside it.
fn add_unknown_fields(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for child in fields.values_mut() {
                add_unknown_fields(child);
            }
            fields.insert("added_later".into(), "a field of a later harness".into());
        }
        Value::Array(items) => items.iter_mut().for_each(add_unknown_fields),
        _ => {}
    }
}

#[test]
fn fields_added_within_a_version_are_ignored_by_its_readers() {
    // docs/events.md: within a version, a later harness may add optional fields anywhere; this
    // one must read such a stream as it reads the stream without them.
    let plain = report_dir("events-unknown-plain", "v1.jsonl");
    let dir = common::scratch("events-unknown");
    let mut all = records(&fixture("v1.jsonl"));
    for record in &mut all {
        // The `expected` and `actual` values are free JSON: a field there is data, not format.
        let kept: Vec<(String, Value)> = ["expected", "actual"]
            .iter()
            .filter_map(|k| record.get(*k).map(|v| (k.to_string(), v.clone())))
            .collect();
        add_unknown_fields(record);
        for (key, value) in kept {
            record[key] = value;
        }
    }
    let text: String = all.iter().map(|r| format!("{r}\n")).collect();
    assert!(text.matches("added_later").count() > 100);
    fs::write(dir.join("events.jsonl"), text).unwrap();
    let out = common::cli(&["report", common::path_arg(&dir)]);
    let expected = common::cli(&["report", common::path_arg(&plain)]);
    assert_eq!(out.code, 1, "{out}");
    assert_eq!(
        out.stdout.replace(common::path_arg(&dir), "DIR"),
        expected.stdout.replace(common::path_arg(&plain), "DIR")
    );
    assert_eq!(
        fs::read_to_string(dir.join("summary.json")).unwrap(),
        fs::read_to_string(plain.join("summary.json")).unwrap()
    );
}
