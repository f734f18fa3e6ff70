//! The public API's boundary (src/lib.rs): what a dependent's `cargo doc` shows is the curated
//! API, and nothing of the internal modules (the judge, the case loader, the reports, ...), which
//! are public only with the `internals` feature and hidden from the documentation.
//!
//! The test documents the crate as `cargo doc --no-deps --lib` does (into the target directory
//! these tests were built in, where a plain `cargo doc` finds it fresh) and reads rustdoc's pages:
//! the crate's modules from its index, every item from `all.html`. The item list is an insta
//! snapshot (`tests/snapshots/integration__public_api__items.snap`): an item added to, or gone
//! from, the API shows as a diff to review. The example crate (`examples/rust-service`, run by
//! tests/example_crate.rs) depends with `default-features = false`: it compiles against the API
//! alone.

use crate::common;

use std::collections::BTreeSet;
use std::path::PathBuf;

/// The modules of the API, as src/lib.rs's documentation presents them.
const API: [&str; 5] = ["adapter", "contract", "exit", "harness", "service"];

/// What src/lib.rs declares internal (its `internal!` and `command_line!` lists, the `fuzzing`
/// module, the `pub(crate)` ones) and the internal parts of API modules: no item of them may
/// appear.
const INTERNAL: [&str; 26] = [
    "broken",
    "clock",
    "debug",
    "event",
    "exchange",
    "fuzzing",
    "input",
    "judge",
    "output",
    "properties",
    "redact",
    "reference",
    "report",
    "run",
    "scenario",
    "selection",
    "serve",
    "session",
    "shorten",
    "smoke",
    "spec",
    "suite",
    "visible",
    // Internal submodules of API modules.
    "adapter::json",
    "adapter::validate",
    "contract::schema::check_committed",
];

/// rustdoc's pages of the crate as a dependent sees them: `cargo doc --no-deps --lib` with the
/// default features. Returns the directory of the crate's pages and rustdoc's stderr.
fn document() -> (PathBuf, String) {
    // common::cargo: without the variables cargo set for this test, which would rebuild ring.
    let mut command = common::cargo();
    command.args(["doc", "--no-deps", "--lib", "--offline"]);
    let output = command.output().expect("cargo runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "cargo doc failed ({}):\n{stderr}",
        output.status
    );
    // `Generated /…/target/doc/messenger_conformance/index.html`: wherever the target directory is.
    let index = stderr
        .lines()
        .find_map(|line| line.trim().strip_prefix("Generated "))
        .unwrap_or_else(|| panic!("cargo doc did not say where it wrote:\n{stderr}"));
    let dir = PathBuf::from(index.trim())
        .parent()
        .expect("the index is in the crate's directory")
        .to_path_buf();
    (dir, stderr)
}

/// The items of `all.html` (`adapter::Adapter`, `harness::run`, ...), each with its kind.
fn items(all_html: &str) -> Vec<String> {
    let mut items = Vec::new();
    for piece in all_html.split("<li><a href=\"").skip(1) {
        let Some((href, rest)) = piece.split_once("\">") else {
            continue;
        };
        let Some((name, _)) = rest.split_once("</a>") else {
            continue;
        };
        if href.starts_with('#') {
            continue; // the page's own table of contents
        }
        // `adapter/trait.Adapter.html`: the kind is the file name's prefix.
        let file = href.rsplit('/').next().unwrap_or(href);
        let kind = file.split('.').next().unwrap_or(file);
        items.push(format!("{kind} {name}"));
    }
    items.sort();
    items
}

/// The top-level modules the crate's index page lists.
fn modules(index_html: &str) -> BTreeSet<String> {
    index_html
        .split("class=\"mod\" href=\"")
        .skip(1)
        .filter_map(|piece| piece.split_once("/index.html\"").map(|(name, _)| name))
        .filter(|name| !name.contains('/') && !name.contains('"'))
        .map(str::to_string)
        .collect()
}

#[test]
fn cargo_doc_shows_the_curated_api_and_nothing_internal() {
    let (dir, stderr) = document();
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("warning") || line.starts_with("error"))
        .collect();
    assert!(
        warnings.is_empty(),
        "cargo doc --no-deps warned (a link to an internal item reads as a broken link to a \
         dependent): fix the documentation it names\n{stderr}"
    );

    let index = std::fs::read_to_string(dir.join("index.html")).expect("the crate's index");
    let shown = modules(&index);
    let api: BTreeSet<String> = API.iter().map(|m| m.to_string()).collect();
    assert_eq!(
        shown, api,
        "the crate's documentation lists other modules than the API's. A module meant for \
         integrators goes in API here and in src/lib.rs's tutorial; any other is declared in \
         src/lib.rs's `internal!` list (or `command_line!`), public only with `internals` and \
         hidden from the documentation"
    );

    let all = std::fs::read_to_string(dir.join("all.html")).expect("rustdoc's list of items");
    let items = items(&all);
    for item in &items {
        let path = item.split_once(' ').map_or(item.as_str(), |(_, path)| path);
        for internal in INTERNAL {
            assert!(
                path != internal && !path.starts_with(&format!("{internal}::")),
                "{item} is in the public documentation, but {internal} is internal: hide it \
                 (`#[doc(hidden)]`, or declare its module in src/lib.rs's `internal!` list)"
            );
        }
    }
    // Every item of the API, reviewed: a change here is a change of the public API.
    insta::assert_snapshot!("items", items.join("\n"));
}

#[test]
fn the_page_readers_find_modules_and_items_and_skip_the_table_of_contents() {
    let index = r#"<dl class="item-table"><dt><a class="mod" href="adapter/index.html" title="mod messenger_conformance::adapter">adapter</a></dt><dt><a class="mod" href="run/index.html">run</a></dt></dl><a class="mod" href="adapter/exec/index.html">exec</a>"#;
    assert_eq!(
        modules(index),
        BTreeSet::from(["adapter".to_string(), "run".to_string()])
    );
    let all = r##"<ul class="all-items"><li><a href="#structs" title="Structs">Structs</a></li></ul><ul><li><a href="adapter/struct.AdapterError.html">adapter::AdapterError</a></li><li><a href="harness/fn.run.html">harness::run</a></li></ul>"##;
    assert_eq!(
        items(all),
        ["fn harness::run", "struct adapter::AdapterError"]
    );
}
