//! Small helpers shared by the renderers: escaping for XML, HTML and Markdown, the one-line
//! summary of a failure, a case's error code, and calendar dates without a date crate.

use std::fmt;

use serde_json::Value;

use crate::report::event::CaseEvent;

/// Escape text for XML character data and attribute values (both quotes included), and replace
/// the characters XML 1.0 cannot hold at all (most C0 controls, lone surrogates cannot occur in
/// a `str`, U+FFFE/U+FFFF) by U+FFFD, so an implementation's message never breaks the document.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Escape text for HTML text and (double- or single-quoted) attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Make text safe inside one cell of a GitHub Markdown table: no line breaks, no pipes, no
/// HTML, no backticks that would open code spans across cells.
pub fn md_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push('\''),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Cut `text` to at most `limit` chars, with an ellipsis when it was longer.
pub fn clip(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// `area::id`, the name a case has everywhere (terminal, JUnit, filters).
pub fn case_name(event: &CaseEvent) -> String {
    format!("{}::{}", event.area, event.id)
}

/// The one line that says what went wrong: the first problem, or the skip reason, or the class.
pub fn first_problem_line(event: &CaseEvent) -> String {
    if let Some(problem) = event.problems.first() {
        return format!(
            "{}: expected {}, got {}",
            problem.field, problem.expected, problem.actual
        );
    }
    if let Some(reason) = &event.skip_reason {
        return reason.clone();
    }
    event.outcome.as_str().to_string()
}

/// The error code the implementation answered with (`actual.error`), if it answered one.
/// Together with the outcome class and severity it is the failure's *reason*, which baselines
/// and diffs compare.
pub fn error_code(event: &CaseEvent) -> Option<String> {
    match &event.actual {
        Value::Object(map) => map.get("error").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// The transcript of a case as text: each exchange's request and response as pretty JSON.
pub fn render_transcript(event: &CaseEvent) -> String {
    let mut out = String::new();
    for (index, exchange) in event.transcript.iter().enumerate() {
        let request = serde_json::to_string_pretty(&exchange.request).unwrap_or_default();
        let response = serde_json::to_string_pretty(&exchange.response).unwrap_or_default();
        out.push_str(&format!(
            "step {}: request\n{request}\nstep {}: response\n{response}\n",
            index + 1,
            index + 1
        ));
        if let Some(seen) = &exchange.seen {
            out.push_str(&format!(
                "step {}: instead of an answer the harness saw\n{seen}\n",
                index + 1
            ));
        }
    }
    if !event.stderr.trim().is_empty() {
        out.push_str(&format!("adapter stderr\n{}\n", event.stderr.trim_end()));
    }
    out
}

/// A calendar date (proleptic Gregorian, UTC), enough for baseline expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parse `YYYY-MM-DD` strictly (a real day of a real month).
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        if !text.is_ascii() || bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let digits = |range: std::ops::Range<usize>| -> Option<u32> {
            let part = &text[range];
            part.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| part.parse().ok())
                .flatten()
        };
        let (year, month, day) = (digits(0..4)? as i32, digits(5..7)?, digits(8..10)?);
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// The UTC date of a Unix timestamp (seconds).
    pub fn from_unix(seconds: i64) -> Date {
        // Howard Hinnant's civil_from_days.
        let days = seconds.div_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Today, UTC.
    pub fn today() -> Date {
        Date::from_unix(crate::run::system_now())
    }
}

/// `2026-01-01 00:00:00 UTC` for a Unix timestamp (seconds).
pub fn format_utc(seconds: i64) -> String {
    let date = Date::from_unix(seconds);
    let in_day = seconds.rem_euclid(86_400);
    format!(
        "{date} {:02}:{:02}:{:02} UTC",
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    )
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
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
    fn clip_counts_chars() {
        assert_eq!(clip("héllo", 2), "hé…");
        assert_eq!(clip("hé", 2), "hé");
    }

    #[test]
    fn dates_parse_and_convert() {
        assert_eq!(
            Date::parse("2026-02-28"),
            Some(Date {
                year: 2026,
                month: 2,
                day: 28
            })
        );
        assert_eq!(
            Date::parse("2024-02-29").map(|d| d.to_string()).as_deref(),
            Some("2024-02-29")
        );
        for bad in [
            "2025-02-29",
            "2026-13-01",
            "2026-1-01",
            "26-01-01",
            "2026-01-00",
            "2026/01/01",
            "２０２６-01-01",
            "20é-01-01",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        assert_eq!(Date::from_unix(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_unix(1_767_225_600).to_string(), "2026-01-01");
        assert_eq!(Date::from_unix(951_782_400).to_string(), "2000-02-29");
        assert_eq!(Date::from_unix(-1).to_string(), "1969-12-31");
        assert!(Date::parse("2026-01-02") > Date::parse("2026-01-01"));
        assert_eq!(format_utc(1_767_225_600 + 3661), "2026-01-01 01:01:01 UTC");
    }
}
