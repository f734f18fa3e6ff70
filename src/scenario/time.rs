//! Time expressions: `now`, `now+90s`, `now-1s`, `now+2m`, `now+1h`, `now+1d`.
//!
//! A case never writes an absolute instant: each time is an offset from the step's `now`, so the
//! same case runs at the case's fixed instant (injected clock) or at the real time (system clock).

use std::fmt;

/// The accepted forms, for error messages.
pub(crate) const TIME_FORMS: &str = "now, now+90s, now-1s, now+2m, now+1h, now+1d";

/// A parsed time expression: an offset in seconds from `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimeExpr {
    pub offset: i64,
}

impl TimeExpr {
    /// Parse `now`, or `now` followed by a sign, a decimal number and one unit of `s`, `m`, `h`,
    /// `d`. Nothing else: no spaces, no other units, no fractional numbers.
    pub(crate) fn parse(text: &str) -> Result<TimeExpr, TimeError> {
        let bad = || TimeError {
            text: text.to_string(),
        };
        let rest = text.strip_prefix("now").ok_or_else(bad)?;
        if rest.is_empty() {
            return Ok(TimeExpr { offset: 0 });
        }
        let (sign, rest) = match rest.as_bytes()[0] {
            b'+' => (1, &rest[1..]),
            b'-' => (-1, &rest[1..]),
            _ => return Err(bad()),
        };
        let unit_at = rest.len().checked_sub(1).ok_or_else(bad)?;
        if !rest.is_char_boundary(unit_at) {
            return Err(bad());
        }
        let (number, unit) = rest.split_at(unit_at);
        let scale = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(bad()),
        };
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let value: i64 = number.parse().map_err(|_| bad())?;
        let offset = value
            .checked_mul(scale)
            .and_then(|v| v.checked_mul(sign))
            .ok_or_else(bad)?;
        Ok(TimeExpr { offset })
    }

    /// The instant this expression names when the step happens at `now`.
    pub(crate) fn at(self, now: i64) -> Option<i64> {
        now.checked_add(self.offset)
    }
}

impl fmt::Display for TimeExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            0 => f.write_str("now"),
            o if o > 0 => write!(f, "now+{o}s"),
            o => write!(f, "now{o}s"),
        }
    }
}

/// Whether a string is meant as a time expression: `now`, or `now` followed by anything that
/// is not part of a longer word (`now+5x` is a bad time; `nowhere` is just a string).
pub(crate) fn looks_like_time(text: &str) -> bool {
    match text.strip_prefix("now") {
        Some(rest) => rest
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_')),
        None => false,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TimeError {
    pub text: String,
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bad time expression `{}`: expected {TIME_FORMS}",
            self.text
        )
    }
}

impl std::error::Error for TimeError {}

/// Replace every `{{now...}}` placeholder in raw JSON text by the instant's integer seconds.
/// Other `{{` text is left alone (raw text is byte for byte, and may hold braces on purpose).
/// Returns the offsets it used, for the exact-instant check.
pub(crate) fn fill_placeholders(text: &str, now: i64) -> Result<(String, Vec<i64>), TimeError> {
    let mut out = String::with_capacity(text.len());
    let mut offsets = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else { break };
        let inner = after[..close].trim();
        if !looks_like_time(inner) {
            out.push_str(&rest[..open + 2]);
            rest = after;
            continue;
        }
        let time = TimeExpr::parse(inner)?;
        let value = time.at(now).ok_or_else(|| TimeError {
            text: inner.to_string(),
        })?;
        out.push_str(&rest[..open]);
        out.push_str(&value.to_string());
        offsets.push(time.offset);
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok((out, offsets))
}

/// Whether a time `offset` from now is so near an instant where a verdict flips that the case
/// cannot run against a clock the harness does not control. The flips are at `now` itself and,
/// with a leeway, at `now - leeway` (`exp`) and `now + leeway` (`nbf`).
pub(crate) fn near_a_boundary(offset: i64, leeway: i64) -> bool {
    const MARGIN: i64 = 5;
    [0, leeway, leeway.saturating_neg()]
        .iter()
        .any(|boundary| offset.saturating_sub(*boundary).saturating_abs() <= MARGIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        let offset = |s: &str| TimeExpr::parse(s).unwrap().offset;
        assert_eq!(offset("now"), 0);
        assert_eq!(offset("now+90s"), 90);
        assert_eq!(offset("now-1s"), -1);
        assert_eq!(offset("now+2m"), 120);
        assert_eq!(offset("now+1h"), 3600);
        assert_eq!(offset("now+1d"), 86_400);
        assert_eq!(offset("now-0s"), 0);
        assert_eq!(
            TimeExpr::parse("now+10s").unwrap().at(1_767_225_600),
            Some(1_767_225_610)
        );
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "now+5x",
            "now+",
            "now+s",
            "now5s",
            "now + 5s",
            "now+5",
            "now+1.5h",
            "now++5s",
            "now+-5s",
            "Now",
            "now+99999999999999999999s",
            "now+999999999999999999d",
            "now+5é",
            "then",
            "",
        ] {
            let error = TimeExpr::parse(bad).unwrap_err();
            assert_eq!(error.text, bad);
        }
        assert_eq!(
            TimeExpr::parse("now+5x").unwrap_err().to_string(),
            "bad time expression `now+5x`: expected now, now+90s, now-1s, now+2m, now+1h, now+1d"
        );
    }

    #[test]
    fn tells_times_from_words() {
        assert!(looks_like_time("now"));
        assert!(looks_like_time("now+5x"));
        assert!(looks_like_time("now 5s"));
        assert!(!looks_like_time("nowhere"));
        assert!(!looks_like_time("now_ok"));
        assert!(!looks_like_time("1767225600"));
    }

    #[test]
    fn fills_placeholders() {
        let (text, offsets) =
            fill_placeholders(r#"{"exp":{{now+10s}},"nbf":{{ now-1m }},"x":"{{y}}"}"#, 100)
                .unwrap();
        assert_eq!(text, r#"{"exp":110,"nbf":40,"x":"{{y}}"}"#);
        assert_eq!(offsets, vec![10, -60]);
        assert_eq!(
            fill_placeholders("{{now+1q}}", 0).unwrap_err().text,
            "now+1q"
        );
        assert_eq!(fill_placeholders("{{now", 0).unwrap().0, "{{now");
    }

    #[test]
    fn boundaries_include_the_leeway() {
        assert!(near_a_boundary(0, 0));
        assert!(near_a_boundary(5, 0));
        assert!(!near_a_boundary(6, 0));
        assert!(near_a_boundary(-60, 60));
        assert!(near_a_boundary(61, 60));
        assert!(!near_a_boundary(3600, 60));
    }
}
