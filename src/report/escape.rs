//! Escaping for the report formats: XML (JUnit), HTML, and cells of GitHub Markdown tables,
//! and cutting long text for one-line summaries.

/// Escape text for XML character data and attribute values (both quotes included), and replace
/// the characters XML 1.0 cannot hold at all (most C0 controls, lone surrogates cannot occur in
/// a `str`, U+FFFE/U+FFFF) by U+FFFD, so an implementation's message never breaks the document.
pub(crate) fn xml_escape(text: &str) -> String {
    escape(text, |c| match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '"' => Some("&quot;"),
        '\'' => Some("&apos;"),
        '\t' | '\n' | '\r' => None,
        c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => Some("\u{FFFD}"),
        _ => None,
    })
}

/// Escape text for HTML text and (double- or single-quoted) attribute values.
pub(crate) fn html_escape(text: &str) -> String {
    escape(text, |c| match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '"' => Some("&quot;"),
        '\'' => Some("&#39;"),
        '\0' => Some("\u{FFFD}"),
        _ => None,
    })
}

/// Make text safe inside one cell of a GitHub Markdown table: no line breaks, no pipes, no
/// HTML, no backticks that would open code spans across cells, and no link, image or emphasis
/// (`[ ] ( ) ! * _ ~` are backslash-escaped), so a hostile name cannot add a link or a tracking
/// image to the step summary.
pub(crate) fn md_cell(text: &str) -> String {
    escape(text, |c| match c {
        '|' => Some("\\|"),
        '[' => Some("\\["),
        ']' => Some("\\]"),
        '(' => Some("\\("),
        ')' => Some("\\)"),
        '!' => Some("\\!"),
        '*' => Some("\\*"),
        '_' => Some("\\_"),
        '~' => Some("\\~"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '&' => Some("&amp;"),
        '`' => Some("'"),
        '\\' => Some("\\\\"),
        '\n' | '\r' => Some(" "),
        c if c.is_control() => Some("\u{FFFD}"),
        _ => None,
    })
}

/// Copy `text`, putting what `table` gives for a character in its place (the character itself
/// where it gives nothing).
fn escape(text: &str, table: impl Fn(char) -> Option<&'static str>) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match table(c) {
            Some(replacement) => out.push_str(replacement),
            None => out.push(c),
        }
    }
    out
}

/// Cut `text` to at most `limit` chars, with an ellipsis when it was longer.
pub(crate) fn clip(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_quotes_and_controls() {
        assert_eq!(
            xml_escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;"
        );
        assert_eq!(
            xml_escape("a\u{0}b\u{1b}c\td\n"),
            "a\u{FFFD}b\u{FFFD}c\td\n"
        );
    }

    #[test]
    fn html_escapes_script() {
        assert_eq!(
            html_escape("<script>alert('x')</script>"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
        );
    }

    #[test]
    fn markdown_cells_stay_in_their_cell() {
        assert_eq!(
            md_cell("a|b\nc <b>`x`</b>"),
            "a\\|b c &lt;b&gt;'x'&lt;/b&gt;"
        );
    }

    #[test]
    fn markdown_cells_hold_no_link_image_or_emphasis() {
        assert_eq!(
            md_cell("![x](https://t.example/p.gif) [a](b) *b* _i_ ~~s~~"),
            "\\!\\[x\\]\\(https://t.example/p.gif\\) \\[a\\]\\(b\\) \\*b\\* \\_i\\_ \\~\\~s\\~\\~"
        );
    }

    #[test]
    fn clip_counts_chars() {
        assert_eq!(clip("héllo", 2), "hé…");
        assert_eq!(clip("hé", 2), "hé");
    }
}
