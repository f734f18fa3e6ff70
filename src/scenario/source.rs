//! Where things are in a YAML file: a tree of node locations, paths into it, and snippets.
//!
//! serde gives a located error only while it parses. Problems found afterwards (an unknown
//! fixture, a duplicate id, a tamper op that does not fit the token) are reported against a
//! [`FieldPath`] such as `steps[1].request.jwt.tamper[0]`; the loader parses each file a second
//! time into a [`Node`] tree that only records where every key and value starts, and looks the
//! path up there.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A position in a file: 1-based line and column (in characters), and the length of the
/// token there. Line 0 means "no position" (the whole file, or no file at all).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Loc {
    pub line: usize,
    pub column: usize,
    pub len: usize,
}

impl Loc {
    pub(crate) const NONE: Loc = Loc {
        line: 0,
        column: 0,
        len: 0,
    };

    pub(crate) fn from_saphyr(location: serde_saphyr::Location) -> Loc {
        if location == serde_saphyr::Location::UNKNOWN {
            return Loc::NONE;
        }
        Loc {
            line: location.line() as usize,
            column: location.column() as usize,
            len: location.span().len() as usize,
        }
    }
}

/// One step of a path into a YAML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// A path into a YAML document, shown as `steps[1].request.jwt.tamper[0]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FieldPath(pub(crate) Vec<Seg>);

impl FieldPath {
    pub(crate) fn root() -> FieldPath {
        FieldPath(Vec::new())
    }

    /// This path, one key deeper.
    pub(crate) fn key(&self, key: &str) -> FieldPath {
        let mut segs = self.0.clone();
        segs.push(Seg::Key(key.to_string()));
        FieldPath(segs)
    }

    /// This path, one list item deeper.
    pub(crate) fn index(&self, index: usize) -> FieldPath {
        let mut segs = self.0.clone();
        segs.push(Seg::Index(index));
        FieldPath(segs)
    }

    /// `prefix` followed by this path.
    pub(crate) fn under(&self, prefix: &FieldPath) -> FieldPath {
        let mut segs = prefix.0.clone();
        segs.extend(self.0.iter().cloned());
        FieldPath(segs)
    }

    pub(crate) fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The last key on the path, ignoring list indexes after it.
    pub(crate) fn last_key(&self) -> Option<&str> {
        self.0.iter().rev().find_map(|seg| match seg {
            Seg::Key(key) => Some(key.as_str()),
            Seg::Index(_) => None,
        })
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(key) if i == 0 => write!(f, "{key}")?,
                Seg::Key(key) => write!(f, ".{key}")?,
                Seg::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// Where each key and value of a YAML document starts; nothing else.
#[derive(Debug)]
pub(crate) struct Node {
    pub loc: Loc,
    pub shape: Shape,
}

/// What a YAML node is: a scalar, a sequence or a mapping, with the nodes it holds.
#[derive(Debug)]
pub(crate) enum Shape {
    Scalar,
    Seq(Vec<Node>),
    /// Key text, key location, value.
    Map(Vec<(String, Loc, Node)>),
}

/// How every file is parsed: YAML 1.2 booleans (`yes`, `no`, `on`, `off` are strings, so a tag
/// named `no` stays a word), and nesting limited to a depth no case needs (the deepest field of
/// the format is about 10 levels down), so that no input can exhaust the 2 MiB stack of a test
/// thread, even in a debug build.
pub(crate) fn parse_options() -> serde_saphyr::Options {
    const MAX_DEPTH: usize = 24;
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    let mut budget = options.budget.clone().unwrap_or_default();
    budget.max_depth = MAX_DEPTH;
    budget.flow_nesting_limit = MAX_DEPTH;
    options.budget = Some(budget);
    options
}

impl Node {
    /// The location tree of a document that parses as YAML; `None` if it does not.
    pub(crate) fn parse(text: &str) -> Option<Node> {
        let mut options = parse_options();
        // The tree records only where nodes are: a number that is not finite (`.nan`, `1e400`)
        // is a node like any other here, so that the error about it points at its field rather
        // than reading as a syntax error.
        options.non_finite_float_policy = serde_saphyr::NonFiniteFloatPolicy::PassThrough;
        serde_saphyr::from_str_with_options::<Spanned<Node>>(text, options)
            .ok()
            .map(|spanned| {
                let mut node = spanned.value;
                node.loc = Loc::from_saphyr(spanned.referenced);
                node
            })
    }

    fn child(&self, seg: &Seg) -> Option<(Loc, &Node)> {
        match (&self.shape, seg) {
            (Shape::Map(entries), Seg::Key(key)) => entries
                .iter()
                .find(|(k, _, _)| k == key)
                .map(|(_, key_loc, node)| (*key_loc, node)),
            (Shape::Seq(items), Seg::Index(index)) => {
                items.get(*index).map(|node| (node.loc, node))
            }
            _ => None,
        }
    }

    /// Where a problem at `path` should point: a scalar value itself, the key of a mapping or
    /// list (the value spans many lines), or, when the path leads nowhere (a missing field), the
    /// deepest node that exists on the way.
    pub(crate) fn locate(&self, path: &FieldPath) -> Loc {
        let mut node = self;
        let mut loc = self.loc;
        for seg in &path.0 {
            match node.child(seg) {
                Some((key_loc, child)) => {
                    loc = match child.shape {
                        Shape::Scalar => child.loc,
                        Shape::Seq(_) | Shape::Map(_) if matches!(seg, Seg::Key(_)) => key_loc,
                        _ => child.loc,
                    };
                    node = child;
                }
                None => break,
            }
        }
        loc
    }

    /// The path of the node (key or value) that starts exactly at `line:column`, if any.
    pub(crate) fn path_at(&self, line: usize, column: usize) -> Option<FieldPath> {
        fn walk(node: &Node, line: usize, column: usize, path: &mut Vec<Seg>) -> bool {
            let here = |loc: Loc| loc.line == line && loc.column == column;
            match &node.shape {
                Shape::Scalar => here(node.loc),
                Shape::Seq(items) => {
                    for (i, item) in items.iter().enumerate() {
                        path.push(Seg::Index(i));
                        if walk(item, line, column, path) {
                            return true;
                        }
                        path.pop();
                    }
                    here(node.loc)
                }
                Shape::Map(entries) => {
                    for (key, key_loc, value) in entries {
                        path.push(Seg::Key(key.clone()));
                        if walk(value, line, column, path) || here(*key_loc) {
                            return true;
                        }
                        path.pop();
                    }
                    here(node.loc)
                }
            }
        }
        let mut path = Vec::new();
        walk(self, line, column, &mut path).then_some(FieldPath(path))
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

fn scalar<E>() -> Result<Node, E> {
    Ok(Node {
        loc: Loc::NONE,
        shape: Shape::Scalar,
    })
}

fn with_loc(spanned: Spanned<Node>) -> Node {
    let mut node = spanned.value;
    node.loc = Loc::from_saphyr(spanned.referenced);
    node
}

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
        scalar()
    }
    fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
        scalar()
    }
    fn visit_i128<E>(self, _: i128) -> Result<Node, E> {
        scalar()
    }
    fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
        scalar()
    }
    fn visit_u128<E>(self, _: u128) -> Result<Node, E> {
        scalar()
    }
    fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
        scalar()
    }
    fn visit_str<E>(self, _: &str) -> Result<Node, E> {
        scalar()
    }
    fn visit_bytes<E>(self, _: &[u8]) -> Result<Node, E> {
        scalar()
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        scalar()
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        scalar()
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(with_loc(item));
        }
        Ok(Node {
            loc: Loc::NONE,
            shape: Shape::Seq(items),
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<KeyText>>()? {
            let value = map.next_value::<Spanned<Node>>()?;
            entries.push((
                key.value.0,
                Loc::from_saphyr(key.referenced),
                with_loc(value),
            ));
        }
        Ok(Node {
            loc: Loc::NONE,
            shape: Shape::Map(entries),
        })
    }
}

/// A mapping key as text, whatever scalar it is.
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = KeyText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<KeyText, E> {
                Ok(KeyText("null".to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeyText, A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(KeyText(String::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeyText, A::Error> {
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(KeyText(String::new()))
            }
        }
        deserializer.deserialize_any(KeyVisitor)
    }
}

/// The source lines around `loc`, with a gutter and a caret line under the token:
///
/// ```text
///   |
/// 3 |     level: must
/// 4 |     expected: 1
///   |     ^^^^^^^^
/// ```
pub(crate) fn snippet(text: &str, loc: Loc) -> Option<String> {
    if loc.line == 0 {
        return None;
    }
    let lines: Vec<&str> = text.split('\n').collect();
    let target = loc.line.min(lines.len());
    let first = target.saturating_sub(2).max(1);
    let width = target.to_string().len();
    let target_len = lines[target - 1].chars().count();
    let column = if loc.line == target {
        loc.column.clamp(1, target_len + 1)
    } else {
        target_len + 1
    };
    // Long lines are shown as a window around the column, the same window for every line.
    let start = column
        .saturating_sub(SNIPPET_WIDTH / 2)
        .min(target_len.saturating_sub(SNIPPET_WIDTH));
    let show = |line: &str| -> String {
        let chars: Vec<char> = without_secret_values(line.trim_end_matches('\r'));
        let end = (start + SNIPPET_WIDTH).min(chars.len());
        let mut shown = String::new();
        if start > 0 {
            shown.push('…');
        }
        if start < end {
            shown.extend(
                chars[start..end]
                    .iter()
                    .map(|&c| if c.is_control() { ' ' } else { c }),
            );
        }
        if end < chars.len() {
            shown.push('…');
        }
        shown
    };
    let mut out = format!("{:width$} |\n", "");
    for number in first..=target {
        out.push_str(format!("{number:>width$} | {}", show(lines[number - 1])).trim_end());
        out.push('\n');
    }
    let offset = usize::from(start > 0);
    let caret_column = column - start + offset;
    let end = (start + SNIPPET_WIDTH).min(target_len);
    let carets = loc
        .len
        .clamp(1, (end + 1).saturating_sub(column - 1).max(1));
    out.push_str(&format!(
        "{:width$} | {}{}",
        "",
        " ".repeat(caret_column - 1),
        "^".repeat(carets)
    ));
    Some(out)
}

/// The characters of one source line with the value of every `secret:` member that is not a
/// reference masked, one `*` per character so the caret still lines up: a snippet goes to the terminal and CI logs, and a
/// fixture file's secrets must never reach them, even when the error is on a secret's own line.
/// A value in a flow mapping (`{secret: ..., enforced: true}`) ends at `,` or `}`; a quoted value
/// at its closing quote; a block value (`secret: ...`) runs to the end of the line.
fn without_secret_values(line: &str) -> Vec<char> {
    let mut chars: Vec<char> = line.chars().collect();
    let key: Vec<char> = "secret".chars().collect();
    let mut at = 0;
    while at + key.len() < chars.len() {
        let starts_key = chars[at..].starts_with(&key)
            && (at == 0 || matches!(chars[at - 1], ' ' | '{' | ',' | '"' | '\''));
        if !starts_key {
            at += 1;
            continue;
        }
        let mut i = at + key.len();
        if matches!(chars.get(i), Some('"' | '\'')) {
            i += 1;
        }
        while chars.get(i) == Some(&' ') {
            i += 1;
        }
        if chars.get(i) != Some(&':') {
            at += 1;
            continue;
        }
        i += 1;
        while chars.get(i) == Some(&' ') {
            i += 1;
        }
        let in_flow = chars[..at].contains(&'{');
        let end = match chars.get(i) {
            Some(&quote @ ('"' | '\'')) => {
                let mut j = i + 1;
                while j < chars.len() && chars[j] != quote {
                    j += if quote == '"' && chars[j] == '\\' {
                        2
                    } else {
                        1
                    };
                }
                (j + 1).min(chars.len())
            }
            _ if in_flow => (i..chars.len())
                .find(|&j| matches!(chars[j], ',' | '}'))
                .unwrap_or(chars.len()),
            _ => chars.len(),
        };
        let value: String = chars[i..end].iter().collect();
        let unquoted = value.trim().trim_matches(|c| c == '"' || c == '\'');
        if !names_a_secret(unquoted) {
            for c in &mut chars[i..end] {
                *c = '*';
            }
        }
        at = end.max(at + 1);
    }
    chars
}

/// The path of the `index`th case of a file: `cases[index]`.
pub(crate) fn case_path(index: usize) -> FieldPath {
    FieldPath::root().key("cases").index(index)
}

/// Whether a `secret:` value is a reference to a secret (`web`, `test/ios`, `key:k-web`,
/// `empty`), which a snippet shows (a misspelt reference is what the error is about), rather
/// than a secret written out (`literal:...`, a fixture's own value).
fn names_a_secret(value: &str) -> bool {
    use super::secret::SecretRef;
    matches!(
        SecretRef::parse(value),
        Ok(SecretRef::Platform(_)
            | SecretRef::Fixture { .. }
            | SecretRef::Key(_)
            | SecretRef::Empty)
    )
}

/// How many characters of a line a snippet shows at most.
const SNIPPET_WIDTH: usize = 100;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_never_show_a_secret_value() {
        let masked = |line: &str| without_secret_values(line).into_iter().collect::<String>();
        // Each line with the part that must be masked; the mask is as long as what it hides.
        for (line, hidden) in [
            (
                "  web: {secret: prod-web-idv-3f9a, enforced: maybe}",
                "prod-web-idv-3f9a",
            ),
            ("    secret: abc, def # note", "abc, def # note"),
            (
                r#"  sign: {secret: "literal:a\"b}c", kid: k}"#,
                r#""literal:a\"b}c""#,
            ),
            ("  {'secret': 'x y'}", "'x y'"),
        ] {
            let stars = "*".repeat(hidden.chars().count());
            assert_eq!(masked(line), line.replacen(hidden, &stars, 1), "{line}");
        }
        // References name a secret without writing it: they are shown.
        for line in [
            "  sign: {secret: tset/web}",
            "  sign: {secret: key:k-web}",
            "  secret: empty",
        ] {
            assert_eq!(masked(line), line);
        }
        // Other keys that merely contain the word are left alone.
        assert_eq!(masked("  secrets_note: plain"), "  secrets_note: plain");
        assert_eq!(masked("  title: no secret here"), "  title: no secret here");

        // The whole snippet: the caret still points at the bad value, the secret is gone.
        let text = "web:\n  identity_verification: {secret: prod-web-idv-3f9a, enforced: maybe}\n";
        let shown = snippet(
            text,
            Loc {
                line: 2,
                column: 64,
                len: 5,
            },
        )
        .unwrap();
        assert!(!shown.contains("prod-web"), "{shown}");
        let lines: Vec<&str> = shown.lines().collect();
        let caret = lines[3].find('^').unwrap();
        assert_eq!(&lines[2][caret..caret + 5], "maybe", "{shown}");
    }

    const DOC: &str =
        "# c\ncases:\n  - id: A\n    request:\n      jwt: {claims: {exp: now}}\n    tags: [x, y]\n";

    #[test]
    fn locates_values_keys_and_missing_fields() {
        let node = Node::parse(DOC).unwrap();
        let case = FieldPath::root().key("cases").index(0);
        assert_eq!(
            node.locate(&case.key("id")),
            Loc {
                line: 3,
                column: 9,
                len: 1
            }
        );
        // A mapping value: point at its key.
        assert_eq!(node.locate(&case.key("request")).line, 4);
        assert_eq!(node.locate(&case.key("request")).column, 5);
        let exp = case.key("request").key("jwt").key("claims").key("exp");
        assert_eq!(
            node.locate(&exp),
            Loc {
                line: 5,
                column: 27,
                len: 3
            }
        );
        // Missing: the deepest existing node.
        assert_eq!(node.locate(&case.key("request").key("sign")).line, 4);
        assert_eq!(
            node.locate(&case.key("tags").index(1)),
            Loc {
                line: 6,
                column: 15,
                len: 1
            }
        );
    }

    #[test]
    fn locates_numbers_that_are_not_finite() {
        for value in ["1e400", ".nan", "-.inf"] {
            let doc = format!("cases:\n  - now: {value}\n");
            let node = Node::parse(&doc).unwrap_or_else(|| panic!("{value}"));
            assert_eq!(
                node.path_at(2, 10).map(|p| p.to_string()).as_deref(),
                Some("cases[0].now"),
                "{value}"
            );
        }
    }

    #[test]
    fn finds_the_path_at_a_position() {
        let node = Node::parse(DOC).unwrap();
        assert_eq!(
            node.path_at(5, 27).unwrap().to_string(),
            "cases[0].request.jwt.claims.exp"
        );
        assert_eq!(node.path_at(4, 5).unwrap().to_string(), "cases[0].request");
        assert!(node.path_at(1, 1).is_none());
    }

    #[test]
    fn snippet_underlines_the_token() {
        let text = "a: 1\nb: 2\nc: hello\n";
        let shown = snippet(
            text,
            Loc {
                line: 3,
                column: 4,
                len: 5,
            },
        )
        .unwrap();
        assert_eq!(shown, "  |\n1 | a: 1\n2 | b: 2\n3 | c: hello\n  |    ^^^^^");
        // A long line: a window around the column.
        let long = format!("k: {}X{}", "a".repeat(300), "b".repeat(300));
        let shown = snippet(
            &long,
            Loc {
                line: 1,
                column: 304,
                len: 1,
            },
        )
        .unwrap();
        let lines: Vec<&str> = shown.lines().collect();
        assert!(
            lines[1].starts_with("1 | …aaa") && lines[1].ends_with("bbb…"),
            "{shown}"
        );
        let caret = lines[2].find('^').unwrap();
        assert_eq!(
            lines[1].chars().nth(lines[2][..caret].chars().count()),
            Some('X'),
            "{shown}"
        );
        // Past the end of the text: clamp to the last line.
        assert!(snippet(
            "a: 1",
            Loc {
                line: 9,
                column: 1,
                len: 0
            }
        )
        .unwrap()
        .contains("1 | a: 1"));
    }
}
