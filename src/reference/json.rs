//! A strict JSON parser for JWS headers and payloads (RFC 8259), written for this profile.
//!
//! Why not `serde_json::from_slice`? Two facts of the profile that serde_json hides:
//!
//! - **Duplicate member names** (rule 2.2). serde_json's `Value` silently keeps the last of two
//!   members with the same name; RFC 7515 §5.2 lets a parser reject or take the last one, and
//!   this profile rejects, at any depth. Names are compared after unescaping, so `"a"` and
//!   `"\u0061"` are the same name.
//! - **Numbers that overflow** (rule 2.5). `1e400` is valid JSON but no finite double. serde_json
//!   fails the whole document ("number out of range"), which would make the token `jwt_malformed`;
//!   the profile wants `jwt_claims_invalid` for an `exp` or `nbf` that is not a finite number. So
//!   the parser records each overflowing number by its JSON Pointer and carries on.
//!
//! Everything else follows RFC 8259 to the letter: whitespace is space, tab, LF and CR only; no
//! byte order mark, comments, trailing commas, single quotes, `NaN`, leading zeros or `+`;
//! control characters must be escaped; a `\u` escape of a lone surrogate is rejected (the text
//! could not be a Rust string, and RFC 7493 I-JSON forbids it). Nesting is limited to
//! [`MAX_DEPTH`], like serde_json.
//!
//! Numbers become `serde_json::Number` exactly as serde_json makes them: an integer that fits
//! `u64` (non-negative) or `i64` (negative) stays an integer, anything else is a correctly
//! rounded `f64`.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Number, Value};

/// How deep arrays and objects may nest (serde_json's default recursion limit).
pub(crate) const MAX_DEPTH: usize = 128;

/// A parsed JSON document.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The value. A number that overflows a double is stored as `null`: look it up in
    /// [`Parsed::overflowing`] before trusting a `null`.
    pub value: Value,
    /// JSON Pointers (RFC 6901) of the numbers that overflow a double, such as `1e400`.
    pub overflowing: BTreeSet<String>,
}

impl Parsed {
    /// Whether the number at `pointer` overflowed (its `value` is a placeholder `null`).
    pub(crate) fn overflows(&self, pointer: &str) -> bool {
        self.overflowing.contains(pointer)
    }

    /// Whether some number at or below `pointer` overflowed.
    pub(crate) fn overflows_within(&self, pointer: &str) -> bool {
        self.overflowing
            .iter()
            .any(|p| p == pointer || p.starts_with(&format!("{pointer}/")))
    }
}

/// Why a text is not a JSON document this profile accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonError {
    /// Not JSON at all (RFC 8259 grammar), at a byte offset.
    Syntax { offset: usize, reason: &'static str },
    /// Nesting deeper than `MAX_DEPTH` allows.
    TooDeep { offset: usize },
    /// An object with two members of the same name (after unescaping).
    DuplicateMember { pointer: String, name: String },
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::Syntax { offset, reason } => {
                write!(f, "not JSON at byte {offset}: {reason}")
            }
            JsonError::TooDeep { offset } => {
                write!(f, "nested deeper than {MAX_DEPTH} levels at byte {offset}")
            }
            JsonError::DuplicateMember { pointer, name } => {
                let at = if pointer.is_empty() {
                    "the top level".to_string()
                } else {
                    format!("`{pointer}`")
                };
                write!(
                    f,
                    "member name {name:?} appears twice in the object at {at}"
                )
            }
        }
    }
}

impl std::error::Error for JsonError {}

/// Parse one JSON document, rejecting duplicate member names at any depth.
pub(crate) fn parse(text: &str) -> Result<Parsed, JsonError> {
    let mut parser = Parser {
        bytes: text.as_bytes(),
        text,
        pos: 0,
        overflowing: BTreeSet::new(),
    };
    parser.skip_whitespace();
    let mut pointer = String::new();
    let value = parser.value(&mut pointer, 0)?;
    parser.skip_whitespace();
    if parser.pos != parser.bytes.len() {
        return Err(parser.syntax("trailing characters after the JSON value"));
    }
    Ok(Parsed {
        value,
        overflowing: parser.overflowing,
    })
}

/// Escape one reference token of a JSON Pointer (RFC 6901 §3: `~` as `~0`, `/` as `~1`).
pub(crate) fn pointer_token(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// The kind of a JSON value, in words ("a string", "an array"...).
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

struct Parser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
    overflowing: BTreeSet<String>,
}

impl Parser<'_> {
    fn syntax(&self, reason: &'static str) -> JsonError {
        JsonError::Syntax {
            offset: self.pos,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        // RFC 8259 §2: ws = *( %x20 / %x09 / %x0A / %x0D ). Nothing else (no BOM, no NBSP).
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect_literal(&mut self, literal: &'static str, value: Value) -> Result<Value, JsonError> {
        if self.text[self.pos..].starts_with(literal) {
            self.pos += literal.len();
            Ok(value)
        } else {
            Err(self.syntax("expected a JSON value"))
        }
    }

    /// `pointer` is the JSON Pointer of the value being parsed (for overflow and duplicate reports).
    fn value(&mut self, pointer: &mut String, depth: usize) -> Result<Value, JsonError> {
        match self.peek() {
            None => Err(self.syntax("unexpected end of input, expected a value")),
            Some(b'{') => self.object(pointer, depth + 1),
            Some(b'[') => self.array(pointer, depth + 1),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.expect_literal("true", Value::Bool(true)),
            Some(b'f') => self.expect_literal("false", Value::Bool(false)),
            Some(b'n') => self.expect_literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(pointer),
            Some(_) => Err(self.syntax("expected a JSON value")),
        }
    }

    fn object(&mut self, pointer: &mut String, depth: usize) -> Result<Value, JsonError> {
        if depth > MAX_DEPTH {
            return Err(JsonError::TooDeep { offset: self.pos });
        }
        self.pos += 1; // '{'
        let mut members = Map::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.syntax("expected a member name in double quotes"));
            }
            let name = self.string()?;
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.syntax("expected ':' after a member name"));
            }
            self.pos += 1;
            self.skip_whitespace();
            let parent_len = pointer.len();
            pointer.push('/');
            pointer.push_str(&pointer_token(&name));
            let member = self.value(pointer, depth)?;
            pointer.truncate(parent_len);
            if members.contains_key(&name) {
                return Err(JsonError::DuplicateMember {
                    pointer: pointer.clone(),
                    name,
                });
            }
            members.insert(name, member);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.syntax("expected ',' or '}' in an object")),
            }
        }
    }

    fn array(&mut self, pointer: &mut String, depth: usize) -> Result<Value, JsonError> {
        if depth > MAX_DEPTH {
            return Err(JsonError::TooDeep { offset: self.pos });
        }
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_whitespace();
            let parent_len = pointer.len();
            pointer.push('/');
            pointer.push_str(&items.len().to_string());
            items.push(self.value(pointer, depth)?);
            pointer.truncate(parent_len);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.syntax("expected ',' or ']' in an array")),
            }
        }
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            let start = self.pos;
            // Copy the run of plain characters in one go; the input is valid UTF-8 already and
            // '"', '\\' and control characters are ASCII, so the run ends on a char boundary.
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[start..self.pos]);
            match self.peek() {
                None => return Err(self.syntax("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                Some(_) => {
                    return Err(self.syntax("control character in a string (it must be escaped)"))
                }
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), JsonError> {
        let Some(b) = self.peek() else {
            return Err(self.syntax("unterminated escape"));
        };
        self.pos += 1;
        let c = match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4()?;
                match unit {
                    0xD800..=0xDBFF => {
                        // A high surrogate must be followed by an escaped low surrogate.
                        if !self.text[self.pos..].starts_with("\\u") {
                            return Err(self.syntax("lone high surrogate in a \\u escape"));
                        }
                        self.pos += 2;
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(
                                self.syntax("high surrogate not followed by a low surrogate")
                            );
                        }
                        let code = 0x10000
                            + ((u32::from(unit) - 0xD800) << 10)
                            + (u32::from(low) - 0xDC00);
                        char::from_u32(code).ok_or_else(|| self.syntax("invalid code point"))?
                    }
                    0xDC00..=0xDFFF => {
                        return Err(self.syntax("lone low surrogate in a \\u escape"))
                    }
                    _ => char::from_u32(u32::from(unit))
                        .ok_or_else(|| self.syntax("invalid code point"))?,
                }
            }
            _ => {
                self.pos -= 1;
                return Err(
                    self.syntax("invalid escape (only \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
                );
            }
        };
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u16, JsonError> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.syntax("truncated \\u escape"))?;
        let mut unit: u16 = 0;
        for &d in digits {
            let v = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.syntax("\\u escape needs four hex digits"))?;
            unit = unit * 16 + v as u16;
        }
        self.pos += 4;
        Ok(unit)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self, pointer: &str) -> Result<Value, JsonError> {
        // RFC 8259 §6: number = [ minus ] int [ frac ] [ exp ]; int = zero / ( digit1-9 *DIGIT )
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.syntax("leading zero in a number"));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.syntax("a number needs digits")),
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            integer = false;
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.syntax("a decimal point needs digits after it"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            integer = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.syntax("an exponent needs digits"));
            }
        }
        let text = &self.text[start..self.pos];
        if integer {
            if text == "-0" {
                // serde_json reads `-0` as the float -0.0; so do we.
                return Ok(Value::Number(Number::from_f64(-0.0).expect("finite")));
            }
            let fits = if negative {
                text.parse::<i64>().ok().map(Number::from)
            } else {
                text.parse::<u64>().ok().map(Number::from)
            };
            if let Some(n) = fits {
                return Ok(Value::Number(n));
            }
        }
        // Rust's float parsing is correctly rounded, like serde_json's `float_roundtrip`.
        let float: f64 = text.parse().map_err(|_| self.syntax("invalid number"))?;
        match Number::from_f64(float) {
            Some(n) => Ok(Value::Number(n)),
            None => {
                // Valid JSON, but no finite double: keep going and let the claim rules decide.
                self.overflowing.insert(pointer.to_string());
                Ok(Value::Null)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(text: &str) -> Value {
        match parse(text) {
            Ok(p) => {
                assert!(
                    p.overflowing.is_empty(),
                    "{text}: unexpected overflow {:?}",
                    p.overflowing
                );
                p.value
            }
            Err(e) => panic!("{text:?} should parse: {e}"),
        }
    }

    fn syntax_error(text: &str) {
        match parse(text) {
            Err(JsonError::Syntax { .. }) | Err(JsonError::TooDeep { .. }) => {}
            other => panic!("{text:?} should be a syntax error, got {other:?}"),
        }
        assert!(
            serde_json::from_str::<Value>(text).is_err(),
            "serde_json accepts {text:?}"
        );
    }

    #[test]
    fn agrees_with_serde_json_on_well_formed_documents() {
        let corpus = [
            r#"{}"#,
            r#"[]"#,
            r#"{"a":1,"b":[true,false,null],"c":{"d":"e"}}"#,
            " \t\r\n{ \"a\" : 1 } \n",
            r#"{"n":-0,"m":0,"f":1.5,"e":1E3,"g":-2.5e-3,"h":1767225600.5}"#,
            r#"{"big":18446744073709551615,"bigger":18446744073709551616,"neg":-9223372036854775808,"negger":-9223372036854775809}"#,
            r#"{"tiny":1e-400,"precise":0.1,"x":123456789012345678901234567890}"#,
            r#"{"esc":"\"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00"}"#,
            r#"{"unicode":"caf\u00e9 café 😀","nfd":"cafe\u0301"}"#,
            r#""just a string""#,
            r#"42"#,
            r#"null"#,
            r#"[[[[[[]]]]]]"#,
            r#"{"a":{"a":{"a":1}}}"#,
            r#"{"":0,"a/b":1,"m~n":2}"#,
        ];
        for text in corpus {
            let expected: Value = serde_json::from_str(text).unwrap();
            assert_eq!(ok(text), expected, "{text}");
        }
    }

    #[test]
    fn rejects_what_rfc_8259_rejects() {
        for text in [
            "",
            " ",
            "{",
            "}",
            "{\"a\":1,}",
            "[1,]",
            "{'a':1}",
            "{a:1}",
            "{\"a\" 1}",
            "{\"a\":01}",
            "{\"a\":+1}",
            "{\"a\":.5}",
            "{\"a\":1.}",
            "{\"a\":1e}",
            "{\"a\":-}",
            "{\"a\":NaN}",
            "{\"a\":Infinity}",
            "{\"a\":tru}",
            "{\"a\":nul}",
            "{\"a\":\"\u{1}\"}",
            "{\"a\":\"tab\there\"}",
            "{\"a\":\"\\x41\"}",
            "{\"a\":\"\\u12\"}",
            "{\"a\":\"\\ud800\"}",
            "{\"a\":\"\\udc00\"}",
            "{\"a\":\"\\ud800\\u0041\"}",
            "{\"a\":1} x",
            "{\"a\":1}{}",
            "\u{feff}{\"a\":1}",
            "{\"a\":1}\u{a0}",
            "{\"a\":1 /* c */}",
        ] {
            syntax_error(text);
        }
    }

    #[test]
    fn nesting_is_limited() {
        let ok_depth = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok_depth).is_ok());
        let too_deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(matches!(parse(&too_deep), Err(JsonError::TooDeep { .. })));
    }

    #[test]
    fn duplicates_are_found_at_any_depth_after_unescaping() {
        let cases = [
            (r#"{"a":1,"a":2}"#, "", "a"),
            (r#"{"a":1,"\u0061":2}"#, "", "a"),
            (r#"{"x":{"b":1,"b":1}}"#, "/x", "b"),
            (r#"{"x":[{"c":1},{"d":1,"d":2}]}"#, "/x/1", "d"),
            (r#"{"a/b":{"~":1,"~":2}}"#, "/a~1b", "~"),
        ];
        for (text, pointer, name) in cases {
            assert_eq!(
                parse(text),
                Err(JsonError::DuplicateMember {
                    pointer: pointer.into(),
                    name: name.into()
                }),
                "{text}"
            );
        }
        // Different names, or the same name in sibling objects, are no duplicates.
        ok(r#"{"a":1,"A":2,"a ":3,"b":{"a":1},"c":{"a":2}}"#);
        ok(r#"{"e\u0301":1,"é":2}"#);
    }

    #[test]
    fn overflowing_numbers_are_recorded_not_fatal() {
        let parsed =
            parse(r#"{"exp":1e400,"nbf":-1e400,"ok":1e308,"deep":{"n":[1,2E999]}}"#).unwrap();
        assert_eq!(
            parsed
                .overflowing
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            ["/deep/n/1", "/exp", "/nbf"]
        );
        assert_eq!(parsed.value["exp"], Value::Null);
        assert_eq!(parsed.value["ok"], json!(1e308));
        assert!(parsed.overflows("/exp"));
        assert!(parsed.overflows_within("/deep"));
        assert!(!parsed.overflows_within("/ok"));
        assert!(!parsed.overflows_within("/de"));
        // serde_json fails the whole document instead.
        assert!(serde_json::from_str::<Value>(r#"{"exp":1e400}"#).is_err());
    }

    /// Mutate valid documents byte by byte (deterministically) and compare with serde_json:
    /// never a panic; a syntax error only where serde_json fails too; the same value wherever
    /// ours parses without overflow; and serde_json fails or keeps a duplicate wherever ours
    /// rejects a duplicate.
    #[test]
    fn mutated_documents_agree_with_serde_json() {
        let seeds = [
            r#"{"user_id":"u-1","exp":1767225600,"nbf":1.5e9,"a":[true,false,null,{"b":"\u00e9\n"}]}"#,
            r#"{"alg":"HS256","typ":"JWT","kid":"k\/1","crit":["b64"],"n":-0.25E+3}"#,
            r#"[{"x":{"y":[1,2,{"z":"\ud83d\ude00"}]}},"caf\u0065\u0301",12345678901234567890]"#,
        ];
        let alphabet = b"{}[]\":,\\/ -+.eE0123456789abcdefnrtu\x01\xc3\xa9xyz";
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |bound: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) as usize) % bound
        };
        let mut compared = 0;
        for seed in seeds {
            for _ in 0..4000 {
                let mut bytes = seed.as_bytes().to_vec();
                for _ in 0..1 + next(3) {
                    let at = next(bytes.len() + 1);
                    match next(3) {
                        0 if at < bytes.len() => {
                            bytes.remove(at);
                        }
                        1 => bytes.insert(at, alphabet[next(alphabet.len())]),
                        _ if at < bytes.len() => bytes[at] = alphabet[next(alphabet.len())],
                        _ => {}
                    }
                }
                let Ok(text) = std::str::from_utf8(&bytes) else {
                    continue;
                };
                compared += 1;
                let theirs = serde_json::from_str::<Value>(text);
                match parse(text) {
                    Ok(p) if p.overflowing.is_empty() => {
                        assert_eq!(theirs.as_ref().ok(), Some(&p.value), "{text}");
                    }
                    Ok(_) => assert!(
                        theirs.is_err(),
                        "serde_json reads an overflowing number: {text}"
                    ),
                    Err(JsonError::Syntax { .. }) | Err(JsonError::TooDeep { .. }) => {
                        assert!(theirs.is_err(), "we reject, serde_json accepts: {text}");
                    }
                    Err(JsonError::DuplicateMember { .. }) => {}
                }
            }
        }
        assert!(compared > 5000, "only {compared} documents were UTF-8");
    }

    #[test]
    fn integers_and_floats_keep_their_kind() {
        let v = ok(r#"{"i":1767225600,"f":1767225600.5,"e":1.7e9,"neg":-5}"#);
        assert!(v["i"].is_u64());
        assert!(v["f"].is_f64());
        assert!(v["e"].is_f64());
        assert!(v["neg"].is_i64());
    }
}
