//! Troubleshooting: say *why* a `user_hash` or a user JWT is refused, in the words of the
//! vendor's troubleshooting guides.
//!
//! - `hash`: finds what a `user_hash` was computed over and with which secret (user_id, email,
//!   both, trimmed or lowercased; every platform secret of every workspace given; hex of either
//!   case or base64) and names the mistake ("hash over the email while a user_id is sent...").
//! - `jwt`: a token debugger: decodes header and claims as far as it can, even from a
//!   malformed token, and walks every rule in the contract's order with the reference's trace.
//!
//! Both produce plain data that serializes to JSON (`debug ... --json`, the harness's failure
//! messages) and renders for people ([`hash::HashDiagnosis::render`],
//! [`jwt::JwtDiagnosis::render`]). No output ever holds a secret: secrets are named by workspace
//! and platform (`production/web`) or by key id.

use std::fmt;
use std::path::Path;

use crate::contract::Workspace;

pub(crate) mod hash;
pub(crate) mod jwt;

pub use hash::{
    diagnose_blank_identifier, diagnose_hash, diagnose_hash_in, Finding, Found, HashDiagnosis,
    HashQuery, SecretCandidate,
};
pub use jwt::{
    diagnose_jwt, time_claim_hint, JwtDiagnosis, JwtOptions, PartReport, RuleCheck, TimeNote,
};

/// A duration in words, the two largest units: `2 h 5 min`, `59 min`, `45 s`, `3 d 4 h`.
pub(crate) fn human_duration(seconds: i64) -> String {
    let s = seconds.unsigned_abs();
    let units = [(86_400, "d"), (3_600, "h"), (60, "min"), (1, "s")];
    let mut parts = Vec::new();
    let mut rest = s;
    for (size, name) in units {
        let n = rest / size;
        rest %= size;
        if n > 0 || !parts.is_empty() {
            parts.push((n, name));
        }
    }
    let shown: Vec<String> = parts
        .iter()
        .take(2)
        .filter(|(n, _)| *n > 0)
        .map(|(n, name)| format!("{n} {name}"))
        .collect();
    if shown.is_empty() {
        "0 s".to_string()
    } else {
        shown.join(" ")
    }
}

/// `2026-01-01 00:00:00 UTC` for Unix seconds (years 0000–9999; others as plain seconds).
pub(crate) fn format_time(seconds: i64) -> String {
    // Beyond year 9999 (milliseconds read as seconds, for one) a date says nothing useful.
    if !(-62_167_219_200..=253_402_300_799).contains(&seconds) {
        return format!("{seconds} s since 1970, beyond the year 9999");
    }
    crate::clock::format_utc(seconds)
}

/// Parse `--now`: Unix seconds, or an RFC 3339 instant (`2026-01-01T00:00:00Z`,
/// `2026-01-01T01:00:00+01:00`; fractions of a second are dropped).
pub fn parse_now(text: &str) -> Result<i64, NotAnInstant> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(seconds);
    }
    parse_rfc3339(text).ok_or_else(|| NotAnInstant(text.to_string()))
}

/// Text that [`parse_now`] cannot read as an instant (the text, trimmed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is neither Unix seconds nor an RFC 3339 instant such as 2026-01-01T00:00:00Z")]
pub struct NotAnInstant(pub String);

fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || !text.is_ascii() {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = &text[r];
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    if b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let rb = rest.as_bytes();
            if rb.len() != 6 || !matches!(rb[0], b'+' | b'-') || rb[3] != b':' {
                return None;
            }
            let (h, m) = (num_in(rest, 1..3)?, num_in(rest, 4..6)?);
            let sign = if rb[0] == b'-' { -1 } else { 1 };
            sign * (h * 3600 + m * 60)
        }
    };
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

fn num_in(text: &str, r: std::ops::Range<usize>) -> Option<i64> {
    let s = &text[r];
    s.bytes()
        .all(|c| c.is_ascii_digit())
        .then(|| s.parse().ok())
        .flatten()
}

/// Howard Hinnant's days_from_civil.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Why a workspace file could not be used: `FILE:LINE:COLUMN: message` where known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceFileError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for WorkspaceFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for WorkspaceFileError {}

/// Read a workspace's settings (the protocol's `workspace` object) from a JSON or YAML file.
/// Errors never quote the file's content (it holds secrets): only where and what.
pub fn load_workspace(path: &Path) -> Result<Workspace, WorkspaceFileError> {
    let file = path.display().to_string();
    let error = |line, column, message: String| WorkspaceFileError {
        file: file.clone(),
        line,
        column,
        message,
    };
    let text = crate::input::read_text(path, crate::input::FILE_LIMIT)
        .map_err(|e| error(None, None, format!("cannot read the workspace file: {e}")))?;
    parse_workspace(&text).map_err(|(line, column, message)| error(line, column, message))
}

/// Parse a workspace from JSON (when the text starts with `{`) or YAML.
pub(crate) fn parse_workspace(
    text: &str,
) -> Result<Workspace, (Option<usize>, Option<usize>, String)> {
    if text.trim_start().starts_with('{') {
        serde_json::from_str::<Workspace>(text).map_err(|e| {
            // serde_json's message ends with " at line L column C": keep the words only.
            let message = e.to_string();
            let message = message
                .rsplit_once(" at line ")
                .map_or(message.clone(), |(m, _)| m.to_string());
            (
                Some(e.line()),
                Some(e.column()),
                format!("not a workspace: {message}"),
            )
        })
    } else {
        serde_saphyr::from_str::<Workspace>(text).map_err(|e| {
            let location = e
                .location()
                .filter(|l| *l != serde_saphyr::Location::UNKNOWN);
            let message = serde_saphyr::MessageFormatter::format_message(
                &serde_saphyr::UserMessageFormatter,
                &e,
            );
            (
                location.map(|l| l.line() as usize),
                location.map(|l| l.column() as usize),
                format!("not a workspace: {message}"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_say_them() {
        assert_eq!(human_duration(7_500), "2 h 5 min");
        assert_eq!(human_duration(3_540), "59 min");
        assert_eq!(human_duration(-45), "45 s");
        assert_eq!(human_duration(0), "0 s");
        assert_eq!(human_duration(3_600), "1 h");
        assert_eq!(human_duration(90_000), "1 d 1 h");
        assert_eq!(human_duration(3_599), "59 min 59 s");
    }

    #[test]
    fn now_is_seconds_or_rfc3339() {
        assert_eq!(parse_now("1767225600"), Ok(1_767_225_600));
        assert_eq!(parse_now("2026-01-01T00:00:00Z"), Ok(1_767_225_600));
        assert_eq!(parse_now("2026-01-01T01:00:00+01:00"), Ok(1_767_225_600));
        assert_eq!(parse_now("2026-01-01T00:00:00.250Z"), Ok(1_767_225_600));
        assert_eq!(parse_now("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(
            parse_now(" yesterday ").unwrap_err().to_string(),
            "`yesterday` is neither Unix seconds nor an RFC 3339 instant such as 2026-01-01T00:00:00Z"
        );
        assert!(parse_now("2026-13-01T00:00:00Z").is_err());
    }

    #[test]
    fn times_format_in_utc() {
        assert_eq!(format_time(1_767_225_600), "2026-01-01 00:00:00 UTC");
        assert!(format_time(1_767_229_200_000).contains("beyond the year 9999"));
    }

    #[test]
    fn workspace_errors_say_where_without_quoting_secrets() {
        let (line, column, message) =
            parse_workspace("{\n  \"name\": \"p\",\n  \"platforms\": 3\n}").unwrap_err();
        assert_eq!(line, Some(3));
        assert!(column.is_some());
        assert!(message.starts_with("not a workspace"), "{message}");
        let yaml = "name: p\nplatforms:\n  web: {identity_verification: {secret: s3cr3t, enforced: yes-please}, jwt: {enabled: false}}\n";
        let (line, _, message) = parse_workspace(yaml).unwrap_err();
        assert_eq!(line, Some(3), "{message}");
        assert!(!message.contains("s3cr3t"), "{message}");
    }
}
