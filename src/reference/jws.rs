//! A strict JWS compact codec for the profile's one algorithm, HS256 (CONTRACT rules 2.2–2.4).
//!
//! Stricter than any general-purpose JWT crate, on purpose: the reference decides what a
//! conforming verifier must reject, so every leniency here would become a blind spot of the
//! harness. What it accepts:
//!
//! - exactly three parts separated by `.` (so JWS JSON serialization and five-part JWE fail);
//! - each part canonical base64url (RFC 7515 §2): alphabet `A-Z a-z 0-9 - _` only, no padding,
//!   no whitespace, no length ≡ 1 (mod 4), no non-zero unused trailing bits (Wycheproof tcId 374);
//! - header and payload UTF-8 JSON objects without duplicate member names at any depth
//!   (`super::json`);
//! - header `alg` exactly the string `"HS256"`, and no `crit` (this profile understands no
//!   extension, `b64:false` included);
//! - an HMAC-SHA256 signature over the ASCII signing input `header.payload`, checked with
//!   [`Mac::verify_slice`] (constant time; a tag of the wrong length fails).
//!
//! The low-level helpers are public so other modules can build deliberately broken tokens.

use std::fmt;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{DecodeError, Engine};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::json::{self, JsonError, Parsed};
use crate::contract::{ErrorCode, Object};

type HmacSha256 = Hmac<Sha256>;

/// The only algorithm this profile accepts.
pub(crate) const ALG_HS256: &str = "HS256";

// ---------------------------------------------------------------------------------------------
// base64url
// ---------------------------------------------------------------------------------------------

/// Unpadded base64url (RFC 7515 §2) from the `base64` crate, decoding strictly: the URL-safe
/// alphabet only, no padding, and no non-zero unused trailing bits in the last symbol (Wycheproof
/// tcId 374). The settings of `URL_SAFE_NO_PAD`, spelled out so none is left to a default.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, BASE64URL_CONFIG);

const BASE64URL_CONFIG: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_encode_padding(false)
    .with_decode_padding_mode(DecodePaddingMode::RequireNone)
    .with_decode_allow_trailing_bits(false);

/// Encode as unpadded base64url (RFC 7515 §2).
pub fn b64url_encode(bytes: impl AsRef<[u8]>) -> String {
    BASE64URL.encode(bytes)
}

/// Why a text is not canonical unpadded base64url.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Base64Error {
    #[error("character {found:?} at position {position} is not in the base64url alphabet (A-Z a-z 0-9 - _){}", hint(*found))]
    InvalidCharacter { position: usize, found: char },
    #[error(
        "{len} characters leave a single character in the last group, which encodes no whole byte"
    )]
    InvalidLength { len: usize },
    #[error("the last character {found:?} sets unused trailing bits; the canonical encoding ends in {canonical:?}")]
    NonCanonical { found: char, canonical: char },
}

fn hint(found: char) -> &'static str {
    match found {
        '=' => ": padding is not allowed",
        '+' | '/' => ": that is the standard base64 alphabet, base64url uses '-' and '_'",
        c if c.is_whitespace() => ": whitespace is not allowed",
        _ => "",
    }
}

/// Decode canonical unpadded base64url, and nothing else: one text, one byte string.
pub fn b64url_decode_strict(text: &str) -> Result<Vec<u8>, Base64Error> {
    BASE64URL.decode(text).map_err(|error| match error {
        // The engine reports an offending byte, not always the first (a trailing one comes
        // first, for a stray newline; `=` at the end is "padding"), and as a byte, not as a
        // character: the error names the first character outside the alphabet.
        DecodeError::InvalidByte(offset, _) => invalid_character(text, offset),
        DecodeError::InvalidPadding => invalid_character(text, text.len().saturating_sub(1)),
        DecodeError::InvalidLength(len) => Base64Error::InvalidLength { len },
        DecodeError::InvalidLastSymbol(_, symbol) => non_canonical(text, symbol),
    })
}

/// The first character outside the alphabet, given that the byte at `offset` is outside it.
fn invalid_character(text: &str, offset: usize) -> Base64Error {
    let symbols = alphabet::URL_SAFE.as_str();
    let (position, (_, found)) = text
        .char_indices()
        .enumerate()
        .find(|(_, (start, c))| !symbols.contains(*c) || start + c.len_utf8() > offset)
        .expect("the engine reports an offset inside the text");
    Base64Error::InvalidCharacter { position, found }
}

/// The last symbol sets unused trailing bits: the canonical encoding is the same bytes encoded
/// again, which ends in the same symbol with those bits clear.
fn non_canonical(text: &str, symbol: u8) -> Base64Error {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &alphabet::URL_SAFE,
        BASE64URL_CONFIG.with_decode_allow_trailing_bits(true),
    );
    let bytes = LENIENT
        .decode(text)
        .expect("only the unused trailing bits kept the text from decoding");
    let canonical = BASE64URL.encode(bytes).pop();
    Base64Error::NonCanonical {
        found: char::from(symbol),
        canonical: canonical.expect("a text with unused trailing bits encodes at least a byte"),
    }
}

// ---------------------------------------------------------------------------------------------
// HMAC and signing
// ---------------------------------------------------------------------------------------------

/// HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Whether `tag` is the HMAC-SHA256 of `message` under `key`, compared in constant time.
/// A tag of any other length than 32 bytes (truncated, padded, empty) never verifies.
pub fn hmac_sha256_verify(key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.verify_slice(tag).is_ok()
}

/// The JWS signing input: `ASCII(BASE64URL(header) || '.' || BASE64URL(payload))`.
pub(crate) fn signing_input(header_b64: &str, payload_b64: &str) -> String {
    format!("{header_b64}.{payload_b64}")
}

/// The base64url HS256 signature of a signing input.
pub(crate) fn sign_signing_input(signing_input: &str, secret: &[u8]) -> String {
    b64url_encode(hmac_sha256(secret, signing_input.as_bytes()))
}

/// A compact token from raw header and payload bytes (any bytes: build broken tokens with it).
pub fn sign_raw(header: &[u8], payload: &[u8], secret: &[u8]) -> String {
    let input = signing_input(&b64url_encode(header), &b64url_encode(payload));
    let signature = sign_signing_input(&input, secret);
    format!("{input}.{signature}")
}

/// A compact HS256 token: the header and claims serialized compactly, in their own member order.
pub fn sign_hs256(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let header = serde_json::to_vec(header).expect("a JSON value serializes");
    let claims = serde_json::to_vec(claims).expect("a JSON value serializes");
    sign_raw(&header, &claims, secret)
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/// One of the three parts of a compact JWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Header,
    Payload,
    Signature,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Header => "header",
            Part::Payload => "payload",
            Part::Signature => "signature",
        })
    }
}

/// Why a token fails the codec, in the contract's order: rule 2.2, then 2.3, then 2.4.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JwsError {
    // --- rule 2.2: jwt_malformed ---
    #[error("{}", part_count_message(*found, *json_serialization))]
    PartCount {
        found: usize,
        json_serialization: bool,
    },
    #[error("the {part} is not canonical base64url: {error}")]
    Base64 { part: Part, error: Base64Error },
    #[error("the {part} is not UTF-8 (invalid byte at offset {valid_up_to})")]
    NotUtf8 { part: Part, valid_up_to: usize },
    #[error("the {part} is {error}")]
    NotJson { part: Part, error: JsonError },
    #[error("the {part} is JSON but {found}, not an object")]
    NotObject { part: Part, found: &'static str },
    #[error("the {part} has a duplicate member: {error}")]
    DuplicateMember { part: Part, error: JsonError },
    // --- rule 2.3 ---
    #[error("header `alg` is {found}, not exactly the string \"HS256\"")]
    AlgorithmNotAllowed { found: String },
    #[error("header has `crit` {members}: this profile understands no extension")]
    Crit { members: String },
    // --- rule 2.4 ---
    #[error("the signature does not verify")]
    SignatureInvalid,
}

fn part_count_message(found: usize, json_serialization: bool) -> String {
    let mut message =
        format!("a compact JWS has exactly three parts separated by '.', this one has {found}");
    if json_serialization {
        message.push_str(
            " (it looks like the JWS JSON serialization, which the profile does not accept)",
        );
    } else if found == 5 {
        message.push_str(" (five parts is a JWE, which the profile does not accept)");
    }
    message
}

impl JwsError {
    /// The contract's error code.
    pub(crate) fn code(&self) -> ErrorCode {
        match self {
            JwsError::PartCount { .. }
            | JwsError::Base64 { .. }
            | JwsError::NotUtf8 { .. }
            | JwsError::NotJson { .. }
            | JwsError::NotObject { .. }
            | JwsError::DuplicateMember { .. }
            | JwsError::Crit { .. } => ErrorCode::JwtMalformed,
            JwsError::AlgorithmNotAllowed { .. } => ErrorCode::JwtAlgorithmNotAllowed,
            JwsError::SignatureInvalid => ErrorCode::JwtSignatureInvalid,
        }
    }

    /// The CONTRACT rule number that gives the code.
    pub fn rule(&self) -> &'static str {
        match self {
            JwsError::AlgorithmNotAllowed { .. } | JwsError::Crit { .. } => "2.3",
            JwsError::SignatureInvalid => "2.4",
            _ => "2.2",
        }
    }

    /// The requirement id the failure belongs to.
    pub(crate) fn requirement(&self) -> &'static str {
        use super::requirement as req;
        match self {
            JwsError::Base64 {
                error: Base64Error::NonCanonical { .. },
                ..
            } => req::JWT_BASE64URL_CANONICAL,
            JwsError::NotUtf8 { .. } | JwsError::NotJson { .. } | JwsError::NotObject { .. } => {
                req::JWT_JSON_OBJECT
            }
            JwsError::DuplicateMember { .. } => req::JWT_DUPLICATE_MEMBERS,
            JwsError::AlgorithmNotAllowed { .. } => req::JWT_ALG,
            JwsError::Crit { .. } => req::JWT_CRIT,
            JwsError::SignatureInvalid => req::JWT_SIGNATURE,
            _ => req::JWT_FORMAT,
        }
    }
}

/// The three parts of a compact token, split and base64url-decoded (rule 2.2, first half).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split<'a> {
    pub header_b64: &'a str,
    pub payload_b64: &'a str,
    pub signature_b64: &'a str,
    pub header: Vec<u8>,
    pub payload: Vec<u8>,
    pub signature: Vec<u8>,
}

impl Split<'_> {
    /// The ASCII signing input exactly as received.
    pub(crate) fn signing_input(&self) -> String {
        signing_input(self.header_b64, self.payload_b64)
    }

    /// Whether the signature is the HMAC-SHA256 of the signing input under `secret`, in constant
    /// time. An empty secret never verifies (CONTRACT rule 2.4).
    pub(crate) fn verifies_under(&self, secret: &[u8]) -> bool {
        !secret.is_empty()
            && hmac_sha256_verify(secret, self.signing_input().as_bytes(), &self.signature)
    }
}

/// Split a compact token into exactly three canonical base64url parts.
pub(crate) fn split_compact(token: &str) -> Result<Split<'_>, JwsError> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header_b64, payload_b64, signature_b64] = parts[..] else {
        return Err(JwsError::PartCount {
            found: parts.len(),
            json_serialization: token.trim_start().starts_with('{'),
        });
    };
    let decode =
        |part, text| b64url_decode_strict(text).map_err(|error| JwsError::Base64 { part, error });
    Ok(Split {
        header_b64,
        payload_b64,
        signature_b64,
        header: decode(Part::Header, header_b64)?,
        payload: decode(Part::Payload, payload_b64)?,
        signature: decode(Part::Signature, signature_b64)?,
    })
}

/// A JSON object parsed strictly, with the pointers of numbers that overflow a double.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonObject {
    pub members: Object,
    /// See `Parsed::overflowing`: these members hold a placeholder `null`.
    pub parsed: Parsed,
}

impl JsonObject {
    /// Whether the top-level member `name` is a number that overflows a double.
    pub(crate) fn overflows(&self, name: &str) -> bool {
        self.parsed
            .overflows(&format!("/{}", json::pointer_token(name)))
    }

    /// Whether some number inside the top-level member `name` overflows a double.
    pub(crate) fn overflows_within(&self, name: &str) -> bool {
        self.parsed
            .overflows_within(&format!("/{}", json::pointer_token(name)))
    }
}

/// Parse a decoded part as a UTF-8 JSON object without duplicate members (rule 2.2).
pub(crate) fn parse_json_object(part: Part, bytes: &[u8]) -> Result<JsonObject, JwsError> {
    let text = std::str::from_utf8(bytes).map_err(|e| JwsError::NotUtf8 {
        part,
        valid_up_to: e.valid_up_to(),
    })?;
    let parsed = json::parse(text).map_err(|error| match error {
        JsonError::DuplicateMember { .. } => JwsError::DuplicateMember { part, error },
        _ => JwsError::NotJson { part, error },
    })?;
    match &parsed.value {
        Value::Object(members) => Ok(JsonObject {
            members: members.clone(),
            parsed,
        }),
        other => Err(JwsError::NotObject {
            part,
            found: json::kind(other),
        }),
    }
}

/// Rule 2.3 on a parsed header: `alg` exactly `"HS256"`, then no `crit`.
pub(crate) fn check_header(header: &JsonObject) -> Result<(), JwsError> {
    match header.members.get("alg") {
        Some(Value::String(alg)) if alg == ALG_HS256 => {}
        Some(Value::String(alg)) => {
            return Err(JwsError::AlgorithmNotAllowed {
                found: format!("{alg:?}"),
            })
        }
        None => {
            return Err(JwsError::AlgorithmNotAllowed {
                found: "missing".into(),
            })
        }
        Some(_) if header.overflows("alg") => {
            return Err(JwsError::AlgorithmNotAllowed {
                found: "a number that overflows a double".into(),
            })
        }
        Some(other) => {
            return Err(JwsError::AlgorithmNotAllowed {
                found: format!("{} ({other})", json::kind(other)),
            })
        }
    }
    if let Some(crit) = header.members.get("crit") {
        return Err(JwsError::Crit {
            members: crit.to_string(),
        });
    }
    Ok(())
}

/// A token that passed rules 2.2 and 2.3; its signature is not checked yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Unverified<'a> {
    pub split: Split<'a>,
    pub header: JsonObject,
    pub claims: JsonObject,
}

impl Unverified<'_> {
    /// Rule 2.4 for one key: see [`Split::verifies_under`].
    pub(crate) fn verifies_under(&self, secret: &[u8]) -> bool {
        self.split.verifies_under(secret)
    }

    /// A header parameter as a string, if it is one (`kid`, `jku`...).
    pub(crate) fn header_str(&self, name: &str) -> Option<&str> {
        self.header.members.get(name).and_then(Value::as_str)
    }
}

/// Rules 2.2 and 2.3: split, decode, parse header and payload as JSON objects, check `alg`
/// and `crit`. The caller then checks the signature against its keys (rule 2.4).
pub fn decode_unverified(token: &str) -> Result<Unverified<'_>, JwsError> {
    let split = split_compact(token)?;
    let header = parse_json_object(Part::Header, &split.header)?;
    let claims = parse_json_object(Part::Payload, &split.payload)?;
    check_header(&header)?;
    Ok(Unverified {
        split,
        header,
        claims,
    })
}

/// Rules 2.2–2.4 for one key: the token as a whole, claims not judged.
pub fn decode_verified<'a>(token: &'a str, secret: &[u8]) -> Result<Unverified<'a>, JwsError> {
    let unverified = decode_unverified(token)?;
    if unverified.verifies_under(secret) {
        Ok(unverified)
    } else {
        Err(JwsError::SignatureInvalid)
    }
}

/// The signature layer alone, for payloads that are not JSON (Wycheproof's JWS vectors): three
/// canonical base64url parts, a header that is a JSON object with `alg` `"HS256"` and no `crit`,
/// and a valid HMAC-SHA256 under `key`. The payload is only required to be base64url.
pub fn verify_compact_signature(token: &str, key: &[u8]) -> Result<(), JwsError> {
    let split = split_compact(token)?;
    let header = parse_json_object(Part::Header, &split.header)?;
    check_header(&header)?;
    if split.verifies_under(key) {
        Ok(())
    } else {
        Err(JwsError::SignatureInvalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use serde_json::json;

    const KEY: &[u8] = b"jk-1";

    fn header() -> Value {
        json!({"alg": "HS256", "typ": "JWT"})
    }

    fn claims() -> Value {
        json!({"user_id": "u-1", "exp": 1767229200})
    }

    fn token() -> String {
        sign_hs256(&header(), &claims(), KEY)
    }

    /// Replace one part of a valid token by raw text, keeping the others.
    fn with_part(token: &str, index: usize, text: &str) -> String {
        let mut parts: Vec<String> = token.split('.').map(String::from).collect();
        parts[index] = text.to_string();
        parts.join(".")
    }

    fn err(token: &str) -> JwsError {
        decode_verified(token, KEY).expect_err(token)
    }

    /// The hand-written codec this module had before it used the `base64` crate, kept as an
    /// oracle: the crate's engine must accept exactly the texts it accepted, decode them to the
    /// same bytes, and refuse the others with the same error.
    mod oracle {
        use super::super::Base64Error;

        pub(crate) const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

        pub(crate) fn encode(bytes: &[u8]) -> String {
            let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
            for chunk in bytes.chunks(3) {
                let n = match chunk {
                    [a, b, c] => u32::from(*a) << 16 | u32::from(*b) << 8 | u32::from(*c),
                    [a, b] => u32::from(*a) << 16 | u32::from(*b) << 8,
                    [a] => u32::from(*a) << 16,
                    _ => unreachable!("chunks(3) yields one to three bytes"),
                };
                let symbols = chunk.len() + 1;
                for i in 0..symbols {
                    out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
                }
            }
            out
        }

        pub(crate) fn symbol_value(b: u8) -> Option<u8> {
            match b {
                b'A'..=b'Z' => Some(b - b'A'),
                b'a'..=b'z' => Some(b - b'a' + 26),
                b'0'..=b'9' => Some(b - b'0' + 52),
                b'-' => Some(62),
                b'_' => Some(63),
                _ => None,
            }
        }

        pub(crate) fn decode(text: &str) -> Result<Vec<u8>, Base64Error> {
            let mut values = Vec::with_capacity(text.len());
            for (position, c) in text.chars().enumerate() {
                let value = u8::try_from(c).ok().and_then(symbol_value);
                values.push(value.ok_or(Base64Error::InvalidCharacter { position, found: c })?);
            }
            if values.len() % 4 == 1 {
                return Err(Base64Error::InvalidLength { len: values.len() });
            }
            let mut out = Vec::with_capacity(values.len() * 3 / 4);
            for group in values.chunks(4) {
                let n = group
                    .iter()
                    .enumerate()
                    .fold(0u32, |n, (i, &v)| n | u32::from(v) << (18 - 6 * i));
                let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
                out.extend_from_slice(&bytes[..group.len() - 1]);
                let unused_mask: u8 = match group.len() {
                    2 => 0b1111,
                    3 => 0b11,
                    _ => 0,
                };
                let last = group[group.len() - 1];
                if last & unused_mask != 0 {
                    return Err(Base64Error::NonCanonical {
                        found: ALPHABET[last as usize] as char,
                        canonical: ALPHABET[(last & !unused_mask) as usize] as char,
                    });
                }
            }
            Ok(out)
        }
    }

    #[test]
    fn base64url_round_trips_and_matches_the_base64_crate() {
        for len in 0..70 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let ours = b64url_encode(&bytes);
            assert_eq!(ours, URL_SAFE_NO_PAD.encode(&bytes));
            assert_eq!(ours, oracle::encode(&bytes));
            assert_eq!(b64url_decode_strict(&ours).unwrap(), bytes);
        }
    }

    #[test]
    fn the_engine_has_the_settings_of_url_safe_no_pad() {
        assert_eq!(
            format!("{:?}", BASE64URL.config()),
            format!("{:?}", URL_SAFE_NO_PAD.config())
        );
        let settings = format!("{:?}", BASE64URL.config());
        for setting in [
            "encode_padding: false",
            "decode_allow_trailing_bits: false",
            "decode_padding_mode: RequireNone",
        ] {
            assert!(settings.contains(setting), "{settings}");
        }
    }

    /// Call `f` with every text of at most `len` characters drawn from `chars`.
    fn every_text(chars: &[char], len: usize, text: &mut String, f: &mut impl FnMut(&str)) {
        f(text);
        if len > 0 {
            for &c in chars {
                text.push(c);
                every_text(chars, len - 1, text, f);
                text.pop();
            }
        }
    }

    fn decodes_like_the_oracle(text: &str) {
        assert_eq!(b64url_decode_strict(text), oracle::decode(text), "{text:?}");
    }

    #[test]
    fn the_engine_decodes_every_short_text_like_the_oracle() {
        // Every base64url symbol, the standard alphabet's two, padding, whitespace, non-ASCII.
        let mut every: Vec<char> = oracle::ALPHABET.iter().map(|&b| char::from(b)).collect();
        every.extend(['+', '/', '=', ' ', '\n', '\u{e9}']);
        let mut count = 0;
        every_text(&every, 3, &mut String::new(), &mut |text| {
            decodes_like_the_oracle(text);
            count += 1;
        });
        assert_eq!(count, 1 + 70 + 70 * 70 + 70 * 70 * 70);
        // Longer texts over fewer characters reach the engine's other paths: whole groups before
        // the last one, and its early look at a lone trailing byte. `A` `Q` `g` clear the unused
        // bits of a two- or three-symbol tail, `B` and `_` set them.
        let few = ['A', 'B', 'Q', 'g', '_', '=', '\n', '\u{e9}'];
        every_text(&few, 6, &mut String::new(), &mut decodes_like_the_oracle);
        // The engine reports the trailing newline or the trailing byte of `é` first; the error
        // still names the first character outside the alphabet, as a character.
        for (text, position, found) in [("a+bc\n", 1, '+'), ("AAA\u{e9}", 3, '\u{e9}')] {
            assert_eq!(
                b64url_decode_strict(text),
                Err(Base64Error::InvalidCharacter { position, found })
            );
        }
    }

    /// The same comparison on random texts: mostly base64url symbols, any string, and valid
    /// encodings with one character replaced or inserted.
    mod random {
        use super::super::b64url_decode_strict;
        use super::oracle;
        use proptest::prelude::*;
        use proptest::sample::{select, Index};

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            #[test]
            fn texts_of_symbols_and_near_symbols(text in r"[-A-Za-z0-9_+/= \n\u{e9}]{0,80}") {
                prop_assert_eq!(b64url_decode_strict(&text), oracle::decode(&text));
            }

            #[test]
            fn any_string(text in any::<String>()) {
                prop_assert_eq!(b64url_decode_strict(&text), oracle::decode(&text));
            }

            #[test]
            fn encodings_with_one_character_edited(
                bytes in proptest::collection::vec(any::<u8>(), 0..64),
                at in any::<Index>(),
                c in select(vec!['A', 'B', '_', '-', '+', '/', '=', ' ', '\n', '\u{e9}']),
                replace in any::<bool>(),
            ) {
                let mut text: Vec<char> = oracle::encode(&bytes).chars().collect();
                let i = at.index(text.len() + 1);
                if replace && i < text.len() {
                    text[i] = c;
                } else {
                    text.insert(i, c);
                }
                let text: String = text.into_iter().collect();
                prop_assert_eq!(b64url_decode_strict(&text), oracle::decode(&text));
            }
        }
    }

    #[test]
    fn base64url_rejects_everything_non_canonical() {
        use Base64Error::*;
        assert_eq!(b64url_decode_strict("Zm9v").unwrap(), b"foo");
        assert_eq!(b64url_decode_strict("").unwrap(), b"");
        assert_eq!(
            b64url_decode_strict("Zg=="),
            Err(InvalidCharacter {
                position: 2,
                found: '='
            })
        );
        assert_eq!(
            b64url_decode_strict("Zm8="),
            Err(InvalidCharacter {
                position: 3,
                found: '='
            })
        );
        assert_eq!(
            b64url_decode_strict("a+b/"),
            Err(InvalidCharacter {
                position: 1,
                found: '+'
            })
        );
        assert_eq!(
            b64url_decode_strict("ab/c"),
            Err(InvalidCharacter {
                position: 2,
                found: '/'
            })
        );
        assert_eq!(
            b64url_decode_strict(" Zm9v"),
            Err(InvalidCharacter {
                position: 0,
                found: ' '
            })
        );
        assert_eq!(
            b64url_decode_strict("Zm9v\n"),
            Err(InvalidCharacter {
                position: 4,
                found: '\n'
            })
        );
        assert_eq!(
            b64url_decode_strict("Zm9vé"),
            Err(InvalidCharacter {
                position: 4,
                found: 'é'
            })
        );
        assert_eq!(b64url_decode_strict("Zm9vY"), Err(InvalidLength { len: 5 }));
        assert_eq!(b64url_decode_strict("A"), Err(InvalidLength { len: 1 }));
        // "AA" is one zero byte; "AB" sets one of the four unused bits (Wycheproof tcId 374).
        assert_eq!(b64url_decode_strict("AA").unwrap(), [0]);
        assert_eq!(
            b64url_decode_strict("AB"),
            Err(NonCanonical {
                found: 'B',
                canonical: 'A'
            })
        );
        assert_eq!(b64url_decode_strict("AAA").unwrap(), [0, 0]);
        assert_eq!(
            b64url_decode_strict("AAB"),
            Err(NonCanonical {
                found: 'B',
                canonical: 'A'
            })
        );
        assert_eq!(
            b64url_decode_strict("Zm9"),
            Err(NonCanonical {
                found: '9',
                canonical: '8'
            })
        );
        assert_eq!(b64url_decode_strict("Zm8").unwrap(), b"fo");
        // The base64 crate's strict URL-safe engine agrees on every two- and three-symbol tail.
        for a in oracle::ALPHABET {
            for b in oracle::ALPHABET {
                let two = format!("QUFB{}{}", *a as char, *b as char);
                assert_eq!(
                    b64url_decode_strict(&two).ok(),
                    URL_SAFE_NO_PAD.decode(&two).ok(),
                    "{two}"
                );
                let three = format!("QUFBQ{}{}", *a as char, *b as char);
                assert_eq!(
                    b64url_decode_strict(&three).ok(),
                    URL_SAFE_NO_PAD.decode(&three).ok(),
                    "{three}"
                );
            }
        }
    }

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        let tag = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(hmac_sha256_verify(
            b"Jefe",
            b"what do ya want for nothing?",
            &tag
        ));
        assert!(!hmac_sha256_verify(
            b"Jefe",
            b"what do ya want for nothing?",
            &tag[..31]
        ));
        let mut longer = tag.to_vec();
        longer.push(0);
        assert!(!hmac_sha256_verify(
            b"Jefe",
            b"what do ya want for nothing?",
            &longer
        ));
    }

    #[test]
    fn a_signed_token_decodes_and_keeps_member_order() {
        let t = token();
        assert!(t.starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."));
        let decoded = decode_verified(&t, KEY).unwrap();
        assert_eq!(Value::Object(decoded.claims.members), claims());
        assert_eq!(
            decoded.header.members.keys().collect::<Vec<_>>(),
            ["alg", "typ"]
        );
    }

    #[test]
    fn structure_must_be_three_parts() {
        let t = token();
        let [h, p, s]: [&str; 3] = t.split('.').collect::<Vec<_>>().try_into().unwrap();
        for bad in [
            String::new(),
            h.to_string(),
            format!("{h}.{p}"),
            format!("{h}.{p}.{s}."),
            format!("{h}.{p}.{s}.{s}"),
            format!("{h}.{p}.{s}.{p}.{s}"),
            format!("{h}..{p}.{s}"),
        ] {
            let e = err(&bad);
            assert!(matches!(e, JwsError::PartCount { .. }), "{bad}: {e}");
            assert_eq!(e.code(), ErrorCode::JwtMalformed);
        }
        let json_serialization = format!(
            r#"{{"payload":"{p}","signatures":[{{"protected":"{h}","signature":"{s}"}}]}}"#
        );
        let e = err(&json_serialization);
        assert!(e.to_string().contains("JSON serialization"), "{e}");
        let jwe = format!("{h}.{p}.{s}.{p}.{s}");
        assert!(err(&jwe).to_string().contains("JWE"));
    }

    #[test]
    fn every_part_must_be_canonical_base64url() {
        let t = token();
        let [h, p, s]: [&str; 3] = t.split('.').collect::<Vec<_>>().try_into().unwrap();
        let cases = [
            format!("{h}=.{p}.{s}"),
            format!("{h}.{p}=.{s}"),
            format!("{h}.{p}.{s}="),
            format!(" {h}.{p}.{s}"),
            format!("{h}.{p}.{s}\n"),
            format!("{h}.{p} .{s}"),
            format!("{h}.{p}.{}", s.replace('-', "+").replace('_', "/")),
            format!("{h}.{}.{s}", p.replace('-', "+").replace('_', "/")),
        ];
        for bad in cases {
            if bad == t {
                continue; // the replacement found nothing to replace
            }
            let e = err(&bad);
            assert!(matches!(e, JwsError::Base64 { .. }), "{bad}: {e}");
            assert_eq!(e.code(), ErrorCode::JwtMalformed);
        }
        // The signature of HS256 is 32 bytes: 43 symbols, the last one carrying 2 unused bits.
        let last = s.chars().last().unwrap();
        let value = oracle::symbol_value(last as u8).unwrap();
        let tweaked = oracle::ALPHABET[(value | 1) as usize] as char;
        if tweaked != last {
            let bad = format!("{h}.{p}.{}{tweaked}", &s[..s.len() - 1]);
            let e = err(&bad);
            assert!(
                matches!(
                    e,
                    JwsError::Base64 {
                        part: Part::Signature,
                        error: Base64Error::NonCanonical { .. }
                    }
                ),
                "{e}"
            );
        }
    }

    #[test]
    fn header_and_payload_must_be_utf8_json_objects() {
        let cases: [(&[u8], &[u8]); 8] = [
            (b"", br#"{"user_id":"u"}"#),
            (br#"{"alg":"HS256"}"#, b""),
            (br#"{"alg":"HS256"}"#, b"[1,2]"),
            (br#"{"alg":"HS256"}"#, br#""u-1""#),
            (br#"{"alg":"HS256"}"#, b"null"),
            (br#"{"alg":"HS256"}"#, b"{\"user_id\":\"\xff\"}"),
            (b"\xef\xbb\xbf{\"alg\":\"HS256\"}", br#"{"user_id":"u"}"#),
            (br#"{"alg":"HS256",}"#, br#"{"user_id":"u"}"#),
        ];
        for (header, payload) in cases {
            let t = sign_raw(header, payload, KEY);
            let e = err(&t);
            assert_eq!(e.code(), ErrorCode::JwtMalformed, "{e}");
            assert_eq!(e.rule(), "2.2");
        }
    }

    #[test]
    fn duplicate_members_are_malformed_at_any_depth() {
        for (header, payload) in [
            (r#"{"alg":"HS256","alg":"HS256"}"#, r#"{"user_id":"u"}"#),
            (r#"{"alg":"none","alg":"HS256"}"#, r#"{"user_id":"u"}"#),
            (
                r#"{"alg":"HS256"}"#,
                r#"{"user_id":"victim","user_id":"attacker"}"#,
            ),
            (
                r#"{"alg":"HS256"}"#,
                r#"{"user_id":"u","plan":{"tier":"free","tier":"pro"}}"#,
            ),
            (
                r#"{"alg":"HS256"}"#,
                r#"{"user_id":"u","exp":1,"\u0065xp":99999999999}"#,
            ),
        ] {
            let t = sign_raw(header.as_bytes(), payload.as_bytes(), KEY);
            let e = err(&t);
            assert!(
                matches!(e, JwsError::DuplicateMember { .. }),
                "{header} {payload}: {e}"
            );
            assert_eq!(
                e.requirement(),
                super::super::requirement::JWT_DUPLICATE_MEMBERS
            );
        }
    }

    #[test]
    fn only_the_exact_string_hs256_is_allowed() {
        for alg in [
            json!("none"),
            json!("None"),
            json!("nOnE"),
            json!("NONE"),
            json!("hs256"),
            json!("Hs256"),
            json!("HS256 "),
            json!(" HS256"),
            json!("HS384"),
            json!("HS512"),
            json!("RS256"),
            json!("ES256"),
            json!(""),
            json!(null),
            json!(256),
            json!(["HS256"]),
            json!({"name": "HS256"}),
            json!(true),
        ] {
            let t = sign_hs256(&json!({"alg": alg.clone(), "typ": "JWT"}), &claims(), KEY);
            let e = err(&t);
            assert!(
                matches!(e, JwsError::AlgorithmNotAllowed { .. }),
                "{alg}: {e}"
            );
            assert_eq!(e.code(), ErrorCode::JwtAlgorithmNotAllowed);
        }
        let missing = sign_hs256(&json!({"typ": "JWT"}), &claims(), KEY);
        assert_eq!(
            err(&missing),
            JwsError::AlgorithmNotAllowed {
                found: "missing".into()
            }
        );
        let overflow = sign_raw(br#"{"alg":1e400}"#, br#"{"user_id":"u"}"#, KEY);
        assert!(err(&overflow).to_string().contains("overflows"));
        // alg none without a signature at all: still the algorithm, not the signature.
        let unsigned = format!(
            "{}.{}.",
            b64url_encode(br#"{"alg":"none"}"#),
            b64url_encode(br#"{"user_id":"u"}"#)
        );
        assert_eq!(err(&unsigned).code(), ErrorCode::JwtAlgorithmNotAllowed);
    }

    #[test]
    fn crit_is_malformed_whatever_it_lists() {
        for header in [
            json!({"alg": "HS256", "crit": ["b64"], "b64": false}),
            json!({"alg": "HS256", "crit": ["exp"]}),
            json!({"alg": "HS256", "crit": []}),
            json!({"alg": "HS256", "crit": null}),
        ] {
            let t = sign_hs256(&header, &claims(), KEY);
            let e = err(&t);
            assert!(matches!(e, JwsError::Crit { .. }), "{header}: {e}");
            assert_eq!(e.code(), ErrorCode::JwtMalformed);
            assert_eq!(e.rule(), "2.3");
        }
        // b64:false without crit is an unknown header parameter, ignored: the payload is still
        // base64url and must be a JSON object.
        let t = sign_hs256(&json!({"alg": "HS256", "b64": false}), &claims(), KEY);
        assert!(decode_verified(&t, KEY).is_ok());
    }

    #[test]
    fn signature_is_checked_in_full() {
        let t = token();
        let [h, p, s]: [&str; 3] = t.split('.').collect::<Vec<_>>().try_into().unwrap();
        assert!(decode_verified(&t, KEY).is_ok());
        assert_eq!(err(&format!("{h}.{p}.")), JwsError::SignatureInvalid);
        let sig = b64url_decode_strict(s).unwrap();
        assert_eq!(
            err(&format!("{h}.{p}.{}", b64url_encode(&sig[..16]))),
            JwsError::SignatureInvalid
        );
        assert_eq!(
            err(&format!("{h}.{p}.{}", b64url_encode(&sig[..31]))),
            JwsError::SignatureInvalid
        );
        let mut longer = sig.clone();
        longer.push(0);
        assert_eq!(
            err(&format!("{h}.{p}.{}", b64url_encode(&longer))),
            JwsError::SignatureInvalid
        );
        for bit in [0, 7, 100, 255] {
            let mut flipped = sig.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(
                err(&format!("{h}.{p}.{}", b64url_encode(&flipped))),
                JwsError::SignatureInvalid,
                "bit {bit}"
            );
        }
        assert_eq!(
            decode_verified(&t, b"jk-2").unwrap_err(),
            JwsError::SignatureInvalid
        );
        // An empty secret never verifies, even a token really signed with it.
        let empty = sign_hs256(&header(), &claims(), b"");
        assert_eq!(
            decode_verified(&empty, b"").unwrap_err(),
            JwsError::SignatureInvalid
        );
        // Re-encoding the header (same JSON, different bytes) breaks the signature.
        let spaced = with_part(&t, 0, &b64url_encode(br#"{"alg": "HS256", "typ": "JWT"}"#));
        assert_eq!(err(&spaced), JwsError::SignatureInvalid);
    }

    #[test]
    fn the_order_of_checks_is_the_contracts() {
        // Malformed payload and bad alg: 2.2 comes first.
        let t = sign_raw(br#"{"alg":"none"}"#, b"[]", KEY);
        assert_eq!(err(&t).rule(), "2.2");
        // Bad alg and crit: alg is named first in rule 2.3.
        let t = sign_hs256(&json!({"alg": "HS512", "crit": ["b64"]}), &claims(), KEY);
        assert!(matches!(err(&t), JwsError::AlgorithmNotAllowed { .. }));
        // Bad alg and bad signature: 2.3 before 2.4.
        let t = sign_hs256(&json!({"alg": "HS384"}), &claims(), b"other");
        assert!(matches!(err(&t), JwsError::AlgorithmNotAllowed { .. }));
    }

    #[test]
    fn signature_layer_ignores_the_payload_format() {
        let t = sign_raw(br#"{"alg":"HS256"}"#, b"foo", KEY);
        assert!(verify_compact_signature(&t, KEY).is_ok());
        assert!(decode_verified(&t, KEY).is_err());
        assert_eq!(
            verify_compact_signature(&t, b"other"),
            Err(JwsError::SignatureInvalid)
        );
    }
}
