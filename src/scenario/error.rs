//! Load errors: each one says where (`file:line:column`), shows the lines, and says what to do.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_saphyr::MessageFormatter;

use super::source::{snippet, FieldPath, Loc, Node};
use super::step::FieldError;
use super::typo::closest;

/// One problem in the case files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The file, as `<cases dir name>/<path inside it>` (e.g. `cases/jwt/alg.yaml`), or the
    /// cases directory itself (`cases/`) for problems of the suite as a whole.
    pub file: PathBuf,
    /// 1-based; 0 when the problem has no position (the whole file or the whole suite).
    pub line: usize,
    /// 1-based, in characters; 0 with `line` 0.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// The source lines around the position, with a caret line under the offending token.
    pub snippet: Option<String>,
}

impl LoadError {
    pub(crate) fn new(file: impl Into<PathBuf>, message: impl Into<String>) -> LoadError {
        LoadError {
            file: file.into(),
            line: 0,
            column: 0,
            message: clip_words(&message.into()),
            hint: None,
            snippet: None,
        }
    }

    pub(crate) fn hint(mut self, hint: Option<String>) -> LoadError {
        self.hint = hint.map(|hint| clip_words(&hint));
        self
    }

    /// Point the error at `loc` in `text`, with a snippet.
    pub(crate) fn at(mut self, text: &str, loc: Loc) -> LoadError {
        self.line = loc.line;
        self.column = loc.column;
        self.snippet = snippet(text, loc);
        self
    }

    /// `file:line:column`, or just the file when there is no position.
    pub fn location(&self) -> String {
        if self.line == 0 {
            self.file.display().to_string()
        } else {
            format!("{}:{}:{}", self.file.display(), self.line, self.column)
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        let gutter = self.line.max(1).to_string().len();
        write!(f, "{:gutter$}--> {}", "", self.location())?;
        if let Some(snippet) = &self.snippet {
            write!(f, "\n{snippet}")?;
        }
        if let Some(hint) = &self.hint {
            let mut lines = hint.lines();
            if let Some(first) = lines.next() {
                write!(f, "\n{:gutter$} = hint: {first}", "")?;
            }
            for line in lines {
                write!(f, "\n{:gutter$}         {line}", "")?;
            }
        }
        Ok(())
    }
}

/// `text` with every word longer than [`LONGEST_WORD`] characters cut to its start and end:
/// messages echo what the file says (a value, a name), and a file can say a 100,000-digit
/// number. The snippet shows the place; the message only needs to name it.
pub(crate) fn clip_words(text: &str) -> String {
    const HEAD: usize = 48;
    const TAIL: usize = 16;
    if text.len() <= LONGEST_WORD {
        return text.to_string();
    }
    let mut out = String::new();
    for piece in text.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end_matches(char::is_whitespace);
        let count = word.chars().count();
        if count <= LONGEST_WORD {
            out.push_str(piece);
            continue;
        }
        out.extend(word.chars().take(HEAD));
        out.push_str(&format!("…[{} characters cut]…", count - HEAD - TAIL));
        out.extend(word.chars().skip(count - TAIL));
        out.push_str(&piece[word.len()..]);
    }
    out
}

/// The longest word a load error's message or hint shows whole.
pub(crate) const LONGEST_WORD: usize = 120;

/// Every problem found while loading a suite: all files are read and all problems collected.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoadErrors {
    pub errors: Vec<LoadError>,
}

impl LoadErrors {
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn len(&self) -> usize {
        self.errors.len()
    }
}

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for error in &self.errors {
            writeln!(f, "{error}\n")?;
        }
        let mut files: Vec<&PathBuf> = self.errors.iter().map(|e| &e.file).collect();
        files.sort();
        files.dedup();
        let errors = plural(self.errors.len(), "error", "errors");
        let files = plural(files.len(), "file", "files");
        write!(f, "{errors} in {files}")
    }
}

impl std::error::Error for LoadErrors {}

pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A parse error from serde-saphyr as a [`LoadError`], with a hint where we know a better one.
pub(crate) fn from_yaml(
    file: &Path,
    text: Option<&str>,
    error: &serde_saphyr::Error,
    what: FileKind,
) -> LoadError {
    let message = plain_words(&serde_saphyr::UserMessageFormatter.format_message(error));
    let loc = error.location().map(Loc::from_saphyr).unwrap_or(Loc::NONE);
    // When the YAML itself is fine (a wrong field, a wrong type), where in the document the
    // error is: the hint can then speak about that field.
    let node = text.filter(|_| loc.line > 0).and_then(Node::parse);
    let path = node
        .as_ref()
        .and_then(|node| node.path_at(loc.line, loc.column));
    let syntax = text.is_some() && loc.line > 0 && node.is_none();
    let hint = hint_for_yaml(&message, loc, path.as_ref(), what).or_else(|| {
        syntax.then(|| {
            "a YAML syntax error; the cause may be on a line above: an unclosed [, { or quote, or \
             a wrong indentation"
                .to_string()
        })
    });
    let mut load_error = LoadError::new(file, message).hint(hint);
    if let Some(text) = text {
        load_error = load_error.at(text, loc);
    }
    load_error
}

/// serde's words for YAML shapes, in the words of the case format.
fn plain_words(message: &str) -> String {
    match message {
        "expected sequence start" => "expected a list".into(),
        "expected mapping start" => "expected a mapping".into(),
        "invalid i64" | "invalid i32" => "expected a whole number".into(),
        "invalid u64" | "invalid usize" | "invalid u32" => {
            "expected a whole number, 0 or more".into()
        }
        "expected string scalar" => "expected a string".into(),
        other => other.to_string(),
    }
}

/// Which kind of file failed to parse, for the hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    Cases,
    Fixtures,
}

fn hint_for_yaml(
    message: &str,
    loc: Loc,
    path: Option<&FieldPath>,
    what: FileKind,
) -> Option<String> {
    if let Some((name, expected)) = parse_unknown(message) {
        let choices: Vec<&str> = expected.iter().map(String::as_str).collect();
        return Some(match closest(&name, &choices) {
            Some(best) => format!("did you mean `{best}`?"),
            None if choices.is_empty() => "remove it".to_string(),
            None => format!("use one of: {}", choices.join(", ")),
        });
    }
    let top = match what {
        FileKind::Cases => {
            "a case file is a mapping: `description:` (optional) and `cases:`, a list of cases,\n\
             each with id, title, requirements, level and one of request, sign or steps"
        }
        FileKind::Fixtures => {
            "fixtures.yaml is a mapping: `workspaces:` (name -> workspace settings) and `keys:`\n\
             (a list of {id, secret, platforms})"
        }
    };
    if message.contains("not valid UTF-8") {
        return Some("save the file as UTF-8".into());
    }
    if message.contains("end of file") || message.contains("end of input") {
        return Some(if loc.line <= 1 && loc.column <= 1 {
            format!("the file is empty; {top}")
        } else {
            "the file ends in the middle of a value: close every bracket and quote".into()
        });
    }
    if message.contains("is not a finite number") || message.contains("non-finite float") {
        return Some(
            "a number in a case is finite: `.nan`, `.inf` and numbers beyond about 1.8e308 have\n\
             no JSON form. Write a finite number, quote it to send a string, or, for such a number\n\
             in a token, write the claims as JSON text with `claims_raw`"
                .into(),
        );
    }
    if message.contains("limits breached") || message.contains("recursion limit") {
        return Some("the file nests deeper (or is larger) than any case needs: flatten it".into());
    }
    if message.contains("tab") {
        return Some("indent with spaces: YAML does not allow tabs in indentation".into());
    }
    if message.contains("multiple") && message.contains("document") {
        return Some("one YAML document per file: remove the `---` separator".into());
    }
    if message.contains("duplicate mapping key") {
        return Some(
            "a key may appear only once in a mapping: remove or rename one of them".into(),
        );
    }
    let at_top = path.map_or(loc.line <= 1, |p| p.is_root() || p.0.len() == 1);
    if message.starts_with("expected a mapping") && at_top && path.is_none_or(|p| p.is_root()) {
        return Some(top.to_string());
    }
    if let Some(hint) = path.and_then(|p| p.last_key()).and_then(field_hint) {
        return Some(hint.to_string());
    }
    if message.starts_with("missing field") && what == FileKind::Cases {
        return Some(if path.is_some_and(|p| p.0.len() <= 2) {
            "every case needs id, title, requirements and level".into()
        } else {
            "add the field (schema/case.schema.json lists every field)".into()
        });
    }
    if message == "expected a string" {
        return Some("quote the value".into());
    }
    None
}

/// How the tricky fields are written, keyed by field name.
fn field_hint(field: &str) -> Option<&'static str> {
    Some(match field {
        "tamper" => {
            "tamper ops are `strip_signature`, `drop_signature`, `trailing_dot`,\n\
             `json_serialization`, `truncate_signature: 2`, `append_segment: x`, `pad: header`,\n\
             `noncanonical_bits: signature`, `standard_alphabet: payload`,\n\
             `flip_bit: {part: signature, bit: -1}`, `insert: {part: header, at: 3, text: \" \"}`,\n\
             `replace_part: {part: payload, with: e30}`"
        }
        "edit" => "edits are `truncate: 63`, `append: \" \"`, `prepend: \" \"`, `flip_char: 0`",
        "over" => "`over` is `user_id`, `email`, `user_id_and_email` or `{text: ...}`",
        "encoding" => "`encoding` is `hex` (default), `upper_hex`, `base64` or `base64url`",
        "level" => "`level` is `must`, `should` or `may`",
        "outcome" => "`outcome` is `accepted` or `rejected` (verifier), `signed` or `refused` (signer)",
        "error" => "`error` is one code of the contract's closed list, e.g. `jwt_expired`",
        "requirements" => "`requirements` is a list of requirement ids from docs/spec.md, e.g. [JWT-ALG]",
        "tags" => "`tags` is a list of words, e.g. [attack]",
        "steps" => "`steps` is a list of {title, patch, after_seconds, request or sign, expect}",
        "any_of" => "`any_of` lists every conforming verdict: [{outcome: accepted, ...}, {outcome: rejected, error: ...}]",
        "alg" => "`alg` (the MAC computed) is HS256, HS384 or HS512",
        "mode" => "`mode` is `user_hash` or `jwt`",
        "platform" | "platforms" => "platforms are web, ios and android",
        "dropped" => "`dropped` maps an attribute to `locked_attribute` or `overridden_by_jwt`",
        "now" => "`now` is Unix seconds, e.g. 1767225600 (2026-01-01T00:00:00Z); times inside a case are now+1h, now-5s, ...",
        "after_seconds" => "`after_seconds` is a whole number of seconds after the case's `now`",
        "expires_in" => "`expires_in` is a whole number of seconds",
        "patch" => "`patch` is a mapping merged into the workspace (RFC 7396), e.g. {jwt_leeway_seconds: 60}",
        _ => return None,
    })
}

/// `unknown field `x`, expected one of a, b` → (`x`, [a, b]); also for variants.
fn parse_unknown(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))?;
    let (name, rest) = rest.split_once('`')?;
    let list = rest
        .split_once("expected one of ")
        .or_else(|| rest.split_once("expected "))
        .map(|(_, list)| list)
        .unwrap_or("");
    let expected = list
        .split(", ")
        .flat_map(|part| part.split(" or "))
        .map(|item| item.trim().trim_matches('`').to_string())
        .filter(|item| !item.is_empty() && !item.starts_with("no "))
        .collect();
    Some((name.to_string(), expected))
}

/// A file's text and node locations, kept for errors found after parsing.
pub(crate) struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    pub node: Option<Node>,
}

impl SourceFile {
    pub(super) fn new(path: PathBuf, text: String) -> SourceFile {
        let node = Node::parse(&text);
        SourceFile { path, text, node }
    }

    pub(crate) fn locate(&self, path: &FieldPath) -> Loc {
        self.node
            .as_ref()
            .map_or(Loc::NONE, |node| node.locate(path))
    }

    pub(crate) fn error(
        &self,
        path: &FieldPath,
        message: String,
        hint: Option<String>,
    ) -> LoadError {
        LoadError::new(self.path.clone(), message)
            .hint(hint)
            .at(&self.text, self.locate(path))
    }

    pub(super) fn problem(&self, prefix: &FieldPath, problem: FieldError) -> LoadError {
        self.error(&problem.at.under(prefix), problem.message, problem.hint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_serde_unknown_messages() {
        let (name, expected) = parse_unknown("unknown field `c`, expected one of a, b").unwrap();
        assert_eq!(
            (name.as_str(), expected),
            ("c", vec!["a".to_string(), "b".to_string()])
        );
        let (_, expected) = parse_unknown("unknown field `c`, expected `a` or `b`").unwrap();
        assert_eq!(expected, vec!["a".to_string(), "b".to_string()]);
        let (_, expected) = parse_unknown("unknown field `c`, there are no fields").unwrap();
        assert!(expected.is_empty());
    }

    #[test]
    fn clips_long_words_only() {
        assert_eq!(clip_words("unknown field `x`"), "unknown field `x`");
        let long = format!("value `{}` is not a finite number", "9".repeat(100_000));
        let clipped = clip_words(&long);
        assert!(clipped.len() < 200, "{clipped}");
        assert!(clipped.starts_with("value `999"), "{clipped}");
        assert!(
            clipped.ends_with("9999` is not a finite number"),
            "{clipped}"
        );
        assert!(clipped.contains("characters cut"), "{clipped}");
        // Multi-byte characters and line breaks survive.
        let text = format!("a\n{}\nb", "é".repeat(500));
        let clipped = clip_words(&text);
        assert!(
            clipped.starts_with("a\néé") && clipped.ends_with("éé\nb"),
            "{clipped}"
        );
        // Exactly the longest word is kept whole.
        let edge = "x".repeat(LONGEST_WORD);
        assert_eq!(
            clip_words(&format!("{edge} {edge}")),
            format!("{edge} {edge}")
        );
    }

    #[test]
    fn display_has_location_snippet_and_hint() {
        let error = LoadError::new("cases/a.yaml", "unknown thing")
            .hint(Some("do this\nthen that".into()))
            .at(
                "x: 1\ny: 2\n",
                Loc {
                    line: 2,
                    column: 1,
                    len: 1,
                },
            );
        assert_eq!(
            error.to_string(),
            "error: unknown thing\n --> cases/a.yaml:2:1\n  |\n1 | x: 1\n2 | y: 2\n  | ^\n  = hint: do this\n          then that"
        );
    }
}
