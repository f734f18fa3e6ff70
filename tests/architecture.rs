//! The layering, checked: the library's modules import each other in one direction only, the
//! files within each folder too (`scenario/hash.rs` and `scenario/resolve.rs`), and the library
//! never reaches up into the command line (which lives in the binary).
//!
//! A module is a file or folder directly under `src/` (`src/report/` is `report`). An import is
//! any `crate::NAME` in the code of a file (comments and the `#[cfg(test)]` module at the end of
//! a file are left out: tests may look anywhere).

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

/// The code of a file without comments and without its trailing test module.
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]")
            && lines.peek().is_some_and(|next| {
                let next = next.trim_start();
                next.starts_with("mod tests") || next.starts_with("pub(crate) mod tests")
            })
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

// ---------------------------------------------------------------------------------------------
// Files within a folder
// ---------------------------------------------------------------------------------------------

/// `text` with the contents of its string literals left out, so a path named in a message is
/// not an import.
fn without_strings(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' && chars.get(i + 1) == Some(&'"') && chars.get(i + 2) == Some(&'\'') {
            i += 3; // the character '"'
            continue;
        }
        if c == 'r'
            && matches!(chars.get(i + 1), Some('"' | '#'))
            && !chars[..i]
                .last()
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) == Some(&'"') {
                j += 1;
                while j < chars.len() {
                    if chars[j] == '"'
                        && chars[j + 1..]
                            .iter()
                            .take(hashes)
                            .filter(|h| **h == '#')
                            .count()
                            == hashes
                    {
                        j += 1 + hashes;
                        break;
                    }
                    j += 1;
                }
                out.push_str("\"\"");
                i = j;
                continue;
            }
        }
        if c == '"' {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '"' {
                if chars[j] == '\\' {
                    j += 1;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j + 1;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// One path in code: its segments, and the name it is imported as (`as x`, or its last segment).
#[derive(Debug, PartialEq)]
struct PathRef {
    segments: Vec<String>,
    name: String,
}

/// Every path of two or more segments in `code`, with `use` trees spread out: `use crate::a::{b,
/// c::d as e}` gives `crate::a::b` and `crate::a::c::d` (named `e`).
fn paths(code: &str) -> Vec<PathRef> {
    #[derive(Debug, PartialEq)]
    enum Token {
        Ident(String),
        Colons,
        Open,
        Close,
        Comma,
        Star,
        Other,
    }
    let chars: Vec<char> = without_strings(code).chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token::Ident(chars[start..i].iter().collect()));
            continue;
        }
        if c == ':' && chars.get(i + 1) == Some(&':') {
            tokens.push(Token::Colons);
            i += 2;
            continue;
        }
        tokens.push(match c {
            '{' => Token::Open,
            '}' => Token::Close,
            ',' => Token::Comma,
            '*' => Token::Star,
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            _ => Token::Other,
        });
        i += 1;
    }

    /// Reads the tree at `tokens[*at]` under `prefix`, pushing each full path.
    fn tree(tokens: &[Token], at: &mut usize, prefix: &[String], out: &mut Vec<PathRef>) {
        let mut segments = prefix.to_vec();
        loop {
            match tokens.get(*at) {
                Some(Token::Ident(name)) => {
                    segments.push(name.clone());
                    *at += 1;
                }
                Some(Token::Open) => {
                    *at += 1;
                    loop {
                        match tokens.get(*at) {
                            Some(Token::Close) => {
                                *at += 1;
                                return;
                            }
                            Some(Token::Comma) => *at += 1,
                            None => return,
                            _ => {
                                let before = *at;
                                tree(tokens, at, &segments, out);
                                if *at == before {
                                    *at += 1;
                                }
                            }
                        }
                    }
                }
                Some(Token::Star) => {
                    *at += 1;
                    segments.push("*".into());
                    break;
                }
                _ => break,
            }
            if tokens.get(*at) == Some(&Token::Colons) {
                *at += 1;
            } else {
                break;
            }
        }
        let took = segments.len() > prefix.len();
        if segments.last().is_some_and(|s| s == "self") {
            segments.pop();
        }
        let mut name = segments.last().cloned().unwrap_or_default();
        if tokens.get(*at) == Some(&Token::Ident("as".into())) {
            if let Some(Token::Ident(alias)) = tokens.get(*at + 1) {
                name = alias.clone();
                *at += 2;
            }
        }
        if took && segments.len() >= 2 {
            out.push(PathRef { segments, name });
        }
    }

    let mut out = Vec::new();
    let mut at = 0;
    while at < tokens.len() {
        let starts_path = matches!(tokens.get(at), Some(Token::Ident(_)))
            && tokens.get(at + 1) == Some(&Token::Colons)
            && (at == 0 || tokens[at - 1] != Token::Colons);
        if starts_path {
            tree(&tokens, &mut at, &[], &mut out);
        } else {
            at += 1;
        }
    }
    out
}

/// A file of the library: its module path (`src/scenario/hash.rs` is `[scenario, hash]`,
/// `src/scenario/mod.rs` is `[scenario]`) and whether it is a folder's `mod.rs`.
fn module_of(relative: &str) -> (Vec<String>, bool) {
    let mut parts: Vec<String> = relative
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    let is_mod = parts.last().is_some_and(|p| p == "mod");
    if is_mod {
        parts.pop();
    }
    (parts, is_mod)
}

/// For each folder (`scenario`, `reference/verifier`): file → the files of the same folder it
/// imports. A file is named by its stem (`hash`), a subfolder by its name, the folder's own
/// `mod.rs` as `mod`. An import is a `crate::`, `super::` or `self::` path (or, in a `mod.rs`,
/// a path through one of its own files) that lands in the folder; a name the folder's `mod.rs`
/// re-exports (`pub use hash::Key`) counts as the file it comes from. The `mod.rs` itself
/// imports only what its code uses: its `mod` lines and re-exports are the folder's front, not
/// imports. Files of the command line and `tests.rs` files are left out.
fn folder_graphs(
    files: &BTreeMap<String, String>,
) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let files: BTreeMap<&str, &str> = files
        .iter()
        .filter(|(path, _)| {
            path.ends_with(".rs")
                && !path.starts_with("cli/")
                && !matches!(path.as_str(), "main.rs" | "lib.rs")
                && !path.ends_with("/tests.rs")
        })
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let modules: BTreeSet<Vec<String>> = files.keys().map(|p| module_of(p).0).collect();

    // What each mod.rs re-exports: (folder, name) → the file it comes from.
    let mut reexports: BTreeMap<(Vec<String>, String), String> = BTreeMap::new();
    let mut fronts: BTreeMap<&str, String> = BTreeMap::new(); // mod.rs → its code without the front
    for (path, text) in &files {
        let (folder, is_mod) = module_of(path);
        if !is_mod {
            continue;
        }
        let code = code(text);
        let mut rest = String::new();
        let mut statement = String::new();
        for line in code.lines() {
            let trimmed = line.trim_start();
            let starts = !statement.is_empty()
                || (trimmed.starts_with("pub") && trimmed.contains(" use "))
                || (trimmed.starts_with("pub") || trimmed.starts_with("mod "))
                    && trimmed.contains("mod ")
                    && trimmed.trim_end().ends_with(';');
            if !starts {
                rest.push_str(line);
                rest.push('\n');
                continue;
            }
            statement.push_str(line);
            statement.push('\n');
            if trimmed.trim_end().ends_with(';') {
                for path in paths(&statement) {
                    let first = &path.segments[0];
                    let mut child = folder.clone();
                    child.push(first.clone());
                    let target = match first.as_str() {
                        "self" => path.segments.get(1).cloned(),
                        _ if modules.contains(&child) => Some(first.clone()),
                        _ => None,
                    };
                    if let Some(file) = target {
                        reexports.insert((folder.clone(), path.name.clone()), file);
                    }
                }
                statement.clear();
            }
        }
        fronts.insert(path, rest);
    }

    let mut graphs: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (path, text) in &files {
        let (module, is_mod) = module_of(path);
        let code = match fronts.get(path) {
            Some(front) => front.clone(),
            None => code(text),
        };
        for reference in paths(&code) {
            let mut segments = reference.segments.clone();
            // Make the path absolute.
            let mut absolute: Vec<String> = match segments[0].as_str() {
                "crate" => {
                    segments.remove(0);
                    Vec::new()
                }
                "self" => {
                    segments.remove(0);
                    module.clone()
                }
                "super" => {
                    let mut base = module.clone();
                    while segments.first().is_some_and(|s| s == "super") {
                        segments.remove(0);
                        base.pop();
                    }
                    base
                }
                first => {
                    let mut child = module.clone();
                    child.push(first.to_string());
                    if !modules.contains(&child) {
                        continue;
                    }
                    module.clone()
                }
            };
            absolute.extend(segments);
            // The module it lands in: the longest known prefix, then through re-exports.
            let mut target: Vec<String> = Vec::new();
            for segment in &absolute {
                let mut next = target.clone();
                next.push(segment.clone());
                if modules.contains(&next) {
                    target = next;
                } else if let Some(file) = reexports.get(&(target.clone(), segment.clone())) {
                    target.push(file.clone());
                } else {
                    break;
                }
            }
            if target.is_empty() {
                continue;
            }
            let shared = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            let folder = module[..shared].join("/");
            if folder.is_empty() {
                continue; // between top-level modules: the test above
            }
            let from = if shared == module.len() {
                if !is_mod {
                    continue; // a file's own submodules
                }
                "mod".to_string()
            } else {
                module[shared].clone()
            };
            let to = if shared == target.len() {
                "mod".to_string()
            } else {
                target[shared].clone()
            };
            if from != to {
                graphs
                    .entry(folder)
                    .or_default()
                    .entry(from)
                    .or_default()
                    .insert(to);
            }
        }
    }
    graphs
}

/// The library's files, by their path under `src/`.
fn library_files() -> BTreeMap<String, String> {
    let src = common::root().join("src");
    common::files_under(&src)
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "rs"))
        .map(|f| {
            let relative = f
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (relative, fs::read_to_string(&f).unwrap())
        })
        .collect()
}

/// Every cycle between the files of one folder, one per folder, as `folder: a -> b -> a`.
fn folder_cycles(files: &BTreeMap<String, String>) -> Vec<String> {
    folder_graphs(files)
        .iter()
        .filter_map(|(folder, graph)| {
            find_cycle(graph).map(|cycle| format!("{folder}/: {}", cycle.join(" -> ")))
        })
        .collect()
}

#[test]
fn the_files_of_each_folder_import_each_other_in_one_direction() {
    let files = library_files();
    let graphs = folder_graphs(&files);
    assert!(
        graphs.contains_key("scenario") && graphs.contains_key("reference/verifier"),
        "read too few folders: {:?}",
        graphs.keys()
    );
    let cycles = folder_cycles(&files);
    assert!(
        cycles.is_empty(),
        "import cycles between the files of a folder:\n  {}\nData flows one way \
         (docs/architecture.md): move the shared piece to the file that owns the idea, or down \
         into a file both can import.",
        cycles.join("\n  ")
    );
}

/// A tree in memory: `(path under src/, text)`.
fn tree(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    files
        .iter()
        .map(|(path, text)| (path.to_string(), text.to_string()))
        .collect()
}

#[test]
fn the_file_checker_finds_a_cycle_through_super_crate_paths_and_reexports() {
    // `a` imports `b` through `super::`, `b` imports `c` through a `crate::` use tree, and `c`
    // imports `a` through a name the folder's mod.rs re-exports.
    let files = tree(&[
        ("lib.rs", "pub mod folder;"),
        (
            "folder/mod.rs",
            "mod a;\nmod b;\nmod c;\npub use a::{Thing, Other as Renamed};\n",
        ),
        ("folder/a.rs", "use super::b::Helper;\npub struct Thing;\n"),
        (
            "folder/b.rs",
            "use crate::folder::{c::{self, Deep}};\npub struct Helper;\n",
        ),
        (
            "folder/c.rs",
            "pub fn f() -> crate::folder::Renamed { todo!() }\n",
        ),
    ]);
    let graphs = folder_graphs(&files);
    let graph = &graphs["folder"];
    assert_eq!(graph["a"], BTreeSet::from(["b".to_string()]));
    assert_eq!(graph["b"], BTreeSet::from(["c".to_string()]));
    assert_eq!(graph["c"], BTreeSet::from(["a".to_string()]));
    assert!(
        !graph.contains_key("mod"),
        "re-exports are the folder's front: {graph:?}"
    );
    assert_eq!(folder_cycles(&files), ["folder/: a -> b -> c -> a"]);

    // Without the last edge there is no cycle.
    let mut acyclic = files.clone();
    acyclic.insert("folder/c.rs".into(), "pub fn f() {}\n".into());
    assert!(folder_cycles(&acyclic).is_empty());
}

#[test]
fn the_file_checker_sees_a_mod_file_and_its_children_and_nested_folders() {
    // mod.rs uses a child in its code while the child uses an item defined in mod.rs; and two
    // files of a nested folder import each other, one through `super::super::`.
    let files = tree(&[
        (
            "top/mod.rs",
            "mod child;\nmod inner;\npub struct Shared;\nfn g() { child::f() }\n",
        ),
        ("top/child.rs", "use super::Shared;\npub fn f() {}\n"),
        ("top/inner/mod.rs", "mod x;\nmod y;\n"),
        ("top/inner/x.rs", "use super::y::Y;\npub struct X;\n"),
        (
            "top/inner/y.rs",
            "pub struct Y(super::super::inner::x::X);\n// use super::x; in a comment\n",
        ),
    ]);
    let cycles = folder_cycles(&files);
    assert_eq!(
        cycles,
        ["top/: child -> mod -> child", "top/inner/: x -> y -> x"],
        "{:?}",
        folder_graphs(&files)
    );
}

#[test]
fn the_file_checker_ignores_strings_comments_tests_and_other_crates() {
    let files = tree(&[
        ("f/mod.rs", "mod a;\nmod b;\n"),
        ("f/a.rs", "use super::b::B;\n"),
        (
            "f/b.rs",
            "// crate::f::a::A\nconst S: &str = \"super::a::A\";\nuse serde::a::A;\nuse messenger_conformance::f::a::A;\n#[cfg(test)]\nmod tests {\n    use super::super::a::A;\n}\n",
        ),
        ("f/tests.rs", "use super::a::A;\n"),
    ]);
    assert!(
        folder_cycles(&files).is_empty(),
        "{:?}",
        folder_graphs(&files)
    );
    assert_eq!(
        paths("use crate::a::{b, c::{d as e, self}};"),
        vec![
            PathRef {
                segments: vec!["crate".into(), "a".into(), "b".into()],
                name: "b".into()
            },
            PathRef {
                segments: vec!["crate".into(), "a".into(), "c".into(), "d".into()],
                name: "e".into()
            },
            PathRef {
                segments: vec!["crate".into(), "a".into(), "c".into()],
                name: "c".into()
            },
        ]
    );
}
