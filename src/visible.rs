//! Text that came from an implementation or a case file, made safe to print on a terminal or
//! into a CI log: the one escaping function for everything the harness did not write itself.
//!
//! An adapter, a `--url` server or an extra case file can put anything in a name, a message, a
//! stderr line or a value the harness echoes. Printed raw, ESC and OSC sequences clear the
//! screen, set the window title or write the clipboard (OSC 52), NUL and other control bytes
//! reach the terminal, a newline inside a value forges a line of its own, and a line that begins
//! with `::` (or holds `##[`) is run by GitHub Actions as a workflow command (`::add-mask::`,
//! `::stop-commands::`, `::error::`). [`visible`] shows every control character as a `\u001b`
//! escape and defuses those command markers; [`visible_lines`] does the same line by line for
//! text whose own line breaks are meant (a stderr tail, a rendered diagnosis). The report
//! formats (XML, HTML, Markdown) have their own escaping in `report::escape`.

use std::fmt::Write as _;

/// `text` on one line, with every control character (C0, DEL, C1, and the Unicode line
/// separators and bidirectional overrides) shown as `\uXXXX`, a leading `::` (after any
/// whitespace) as `\u003a:`, and `##[` as `#\u0023[`, so that no printed line made from it can
/// be a workflow command or a terminal control sequence.
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_visible(&mut out, text);
    out
}

/// [`visible`] for each line of `text`, keeping its line breaks (`\n`; a `\r` before one is
/// dropped): for text the harness built from lines on purpose.
pub fn visible_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        push_visible(&mut out, line.strip_suffix('\r').unwrap_or(line));
    }
    out
}

fn push_visible(out: &mut String, text: &str) {
    let body = text.trim_start_matches([' ', '\t']);
    let indent = &text[..text.len() - body.len()];
    for c in indent.chars() {
        push_char(out, c);
    }
    let body = match body.strip_prefix("::") {
        Some(rest) => {
            out.push_str("\\u003a:");
            rest
        }
        None => body,
    };
    let mut rest = body;
    while let Some(at) = rest.find("##[") {
        for c in rest[..at].chars() {
            push_char(out, c);
        }
        out.push_str("#\\u0023[");
        rest = &rest[at + 3..];
    }
    for c in rest.chars() {
        push_char(out, c);
    }
}

fn push_char(out: &mut String, c: char) {
    if must_escape(c) {
        let _ = write!(out, "\\u{:04x}", c as u32);
    } else {
        out.push(c);
    }
}

fn must_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_as_escapes() {
        assert_eq!(
            visible("a\u{1b}[2Jb\u{1b}]52;c;ZXZpbA==\u{7}\u{0}x\ny\r\u{9b}"),
            "a\\u001b[2Jb\\u001b]52;c;ZXZpbA==\\u0007\\u0000x\\u000ay\\u000d\\u009b"
        );
        assert_eq!(visible("plain text: ok"), "plain text: ok");
        assert_eq!(visible("é \u{202e}"), "é \\u202e");
    }

    #[test]
    fn no_line_made_from_it_is_a_workflow_command() {
        assert_eq!(visible("::add-mask::x"), "\\u003a:add-mask::x");
        assert_eq!(visible("  ::error::x"), "  \\u003a:error::x");
        assert_eq!(visible("\t::error::x"), "\\u0009\\u003a:error::x");
        assert_eq!(visible("a ##[error]b"), "a #\\u0023[error]b");
        assert_eq!(visible("a::b"), "a::b");
        let forged = visible("fine\n::stop-commands::tok");
        assert_eq!(forged.lines().count(), 1);
    }

    #[test]
    fn visible_lines_keeps_line_breaks_and_defuses_each_line() {
        assert_eq!(
            visible_lines("one\r\n::error::two\n  \u{1b}]0;t\u{7}"),
            "one\n\\u003a:error::two\n  \\u001b]0;t\\u0007"
        );
        for line in visible_lines("x\n ::a::b\n##[c]").lines() {
            assert!(!line.trim_start().starts_with("::"), "{line}");
            assert!(!line.contains("##["), "{line}");
        }
    }
}
