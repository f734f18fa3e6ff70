//! Streams that contradict themselves are refused (issue 18, item 6): `report` checks the
//! record counts against the header and the footer and refuses an id recorded twice; `merge`
//! refuses shards run with different options (anything but the partition).

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// A run of the JWT-ALG cases against the reference into `dir`, with `extra` flags.
fn run_into(dir: &Path, extra: &[&str]) {
    let mut args = vec![
        "run",
        "-q",
        "--only",
        "cases",
        "--filter",
        "JWT-ALG",
        "--report",
        common::path_arg(dir),
    ];
    args.extend_from_slice(extra);
    let out = common::cli(&args);
    assert_eq!(out.code, 0, "{out}");
}

fn records(dir: &Path) -> Vec<Value> {
    fs::read_to_string(dir.join("events.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn write_records(dir: &Path, records: &[Value]) {
    let text: String = records.iter().map(|r| format!("{r}\n")).collect();
    fs::write(dir.join("events.jsonl"), text).unwrap();
}

/// A copy of a real run's report directory, its records edited by `edit`.
fn edited_run(name: &str, edit: impl FnOnce(&mut Vec<Value>)) -> PathBuf {
    let dir = common::scratch(name);
    run_into(&dir, &[]);
    let mut all = records(&dir);
    edit(&mut all);
    write_records(&dir, &all);
    dir
}

fn report(dir: &Path) -> common::Output {
    common::cli(&["report", common::path_arg(dir)])
}

#[test]
fn a_stream_that_claims_the_whole_suite_over_a_few_records_is_refused() {
    let dir = edited_run("claims-full", |records| {
        // The header now says no flag narrowed the run; three case records remain.
        let options = records[0]["options"].as_object_mut().unwrap();
        options.insert("filter".into(), Value::Array(vec![]));
        options.insert("only".into(), Value::Null);
        let footer = records.pop().unwrap();
        records.truncate(4);
        let mut footer = footer;
        footer["passed"] = 3.into();
        footer["failed"] = 0.into();
        footer["skipped"] = 0.into();
        records.push(footer);
    });
    let out = report(&dir);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr.contains("records a run of the whole suite")
            && out.stderr.contains("holds 3 case records"),
        "{out}"
    );
    assert!(
        !dir.join("summary.md").exists(),
        "a report beside the error"
    );
}

#[test]
fn a_footer_that_does_not_match_the_records_is_refused() {
    let dir = edited_run("footer-lies", |records| {
        records.last_mut().unwrap()["passed"] = 450.into();
    });
    let out = report(&dir);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("the footer claims 450 passed"), "{out}");
}

#[test]
fn a_case_recorded_twice_is_refused() {
    let dir = edited_run("twice", |records| {
        let copy = records[1].clone();
        records.insert(2, copy);
        let footer = records.last_mut().unwrap();
        footer["passed"] = (footer["passed"].as_u64().unwrap() + 1).into();
    });
    let out = report(&dir);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("has more than one record"), "{out}");
}

#[test]
fn shards_run_with_different_options_are_not_merged() {
    let scratch = common::scratch("merge-options");
    let (one, two, out_dir) = (scratch.join("1"), scratch.join("2"), scratch.join("merged"));
    run_into(&one, &["--partition", "1/2"]);
    // The last case left out: the shares still add up, and no case is in both.
    run_into(&two, &["--partition", "2/2", "--skip", "JWT-ALG-026"]);
    let out = common::cli(&[
        "merge",
        common::path_arg(&out_dir),
        common::path_arg(&one),
        common::path_arg(&two),
    ]);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr
            .contains("shard 2/2 was run with other options than shard 1/2")
            && out.stderr.contains("skip"),
        "{out}"
    );
    assert!(!out_dir.join("summary.md").exists());

    // Alike but for the partition (and the report directory): merged.
    let three = scratch.join("3");
    run_into(&three, &["--partition", "2/2"]);
    let out = common::cli(&[
        "merge",
        common::path_arg(&out_dir),
        common::path_arg(&one),
        common::path_arg(&three),
    ]);
    assert_eq!(out.code, 0, "{out}");
}

#[test]
fn summary_md_holds_no_link_or_image_from_an_implementation() {
    let dir = edited_run("markdown-injection", |records| {
        records[0]["implementation"]["name"] =
            "![t](https://t.example/p.gif) [click](https://e.example) *bold* _it_".into();
        records[1]["title"] = "a title ![x](https://t.example/q.gif)".into();
    });
    let out = report(&dir);
    assert_eq!(out.code, 0, "{out}");
    let summary = fs::read_to_string(dir.join("summary.md")).unwrap();
    for raw in ["![t]", "](https://", "*bold*", "_it_", "![x]"] {
        assert!(!summary.contains(raw), "{raw:?} in:\n{summary}");
    }
    assert!(
        summary.contains("\\!\\[t\\]\\(https://t.example/p.gif\\)"),
        "{summary}"
    );
}
