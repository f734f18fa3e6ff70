//! The layering, checked: the library's modules import each other in one direction only, and
//! the library never reaches up into the command line (which lives in the binary).
//!
//! A module is a file or folder directly under `src/` (`src/report/` is `report`). An import is
//! any `crate::NAME` in the code of a file (comments and the `#[cfg(test)]` module at the end of
//! a file are left out: tests may look anywhere).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

/// The code of a file without comments and without its trailing test module.
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod tests"))
        {
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// `crate::NAME` references in `code`.
fn crate_references(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `messenger_conformance::` or another crate's path
        }
        let rest = &code[at + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            names.insert(name);
        }
    }
    names
}

/// Module → the modules it imports, for the library (everything under `src/` but the binary).
fn library_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = common::root().join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in common::files_under(&src) {
        if file.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let module = first.to_string_lossy().trim_end_matches(".rs").to_string();
        if module == "main" || module == "cli" || module == "lib" {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap();
        let imports = graph.entry(module.clone()).or_default();
        for name in crate_references(&code(&text)) {
            if name != module {
                imports.insert(name);
            }
        }
    }
    graph
}

/// A cycle in `graph`, as the path that closes it, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_library_modules_import_each_other_in_one_direction() {
    let graph = library_graph();
    assert!(graph.len() > 10, "read too few modules: {graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "import cycle between modules: {}.\nData flows one way (docs/architecture.md): move the \
             shared piece down to the lower module, or pass it in as data.",
            cycle.join(" -> ")
        );
    }
}

#[test]
fn the_library_never_reaches_up_into_the_command_line() {
    let graph = library_graph();
    let reaching: Vec<&String> = graph
        .iter()
        .filter(|(_, imports)| imports.contains("cli"))
        .map(|(module, _)| module)
        .collect();
    assert!(
        reaching.is_empty(),
        "{reaching:?} import `crate::cli`: the CLI lives in the binary"
    );
}

#[test]
fn the_checker_finds_a_cycle_and_ignores_comments_and_tests() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(
        find_cycle(&graph).unwrap(),
        ["a", "b", "c", "a"].map(String::from)
    );
    let text = "use crate::run;\n// see crate::cli\nuse messenger_conformance::x;\n#[cfg(test)]\nmod tests {\n use crate::report;\n}\n";
    assert_eq!(
        crate_references(&code(text)),
        BTreeSet::from(["run".to_string()])
    );
}
