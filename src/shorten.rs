//! Text shortened for a message: the start of a long value ([`truncate`]) or the end of a log
//! ([`tail`]), each saying how much it left out. Used wherever the harness quotes what an
//! implementation sent (adapters, the judge's failure texts, smoke, the terminal report).

/// Cut `text` to at most `limit` bytes on a char boundary, saying how much was left out.
pub(crate) fn truncate(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [{} more bytes]", &text[..end], text.len() - end)
}

/// The end of `text`: its last `lines` lines, and at most `limit` bytes of them (cut on a char
/// boundary), saying how much was left out before. Where a log is read, the end is what counts:
/// a traceback ends with the error that stopped the program.
pub(crate) fn tail(text: &str, lines: usize, limit: usize) -> String {
    let mut start = text.len().saturating_sub(limit);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    if let Some((at, _)) = text[start..]
        .rmatch_indices('\n')
        .nth(lines.saturating_sub(1))
    {
        start += at + 1;
    } else if start > 0 {
        // Cut inside a line: start at the next whole one, when there is one.
        if let Some(at) = text[start..]
            .find('\n')
            .filter(|&at| start + at + 1 < text.len())
        {
            start += at + 1;
        }
    }
    match start {
        0 => text.to_string(),
        _ => format!("[{start} earlier bytes left out]\n{}", &text[start..]),
    }
}

/// How many characters of attacker text a quote shows at most.
pub(crate) const SHOWN: usize = 80;

/// A string quoted with escapes, cut to a readable length (attacker text can be huge).
pub(crate) fn shorten_str(s: &str) -> String {
    if s.chars().count() <= SHOWN {
        format!("{s:?}")
    } else {
        let cut: String = s.chars().take(SHOWN).collect();
        format!("{cut:?}… ({} chars)", s.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::{tail, truncate};

    #[test]
    fn truncate_cuts_on_a_char_boundary_and_says_how_much_it_left_out() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("éé", 3), "é… [2 more bytes]");
    }

    #[test]
    fn tail_keeps_the_last_lines_and_says_what_it_left_out() {
        assert_eq!(tail("a\nb", 5, 100), "a\nb");
        let text = "one\ntwo\nthree\nfour";
        assert_eq!(
            tail(text, 2, 100),
            "[8 earlier bytes left out]\nthree\nfour"
        );
        // The byte limit cuts inside a line: the shown text starts at the next whole line.
        assert_eq!(tail(text, 10, 8), "[14 earlier bytes left out]\nfour");
        // One long line: its end, on a char boundary.
        let long = "é".repeat(10);
        let end = tail(&long, 3, 5);
        assert!(
            end.ends_with("éé") && end.starts_with("[16 earlier bytes left out]\n"),
            "{end}"
        );
    }
}
