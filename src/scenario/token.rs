//! JWT templates: build a compact JWS from a header, claims and a key, then tamper with it.
//!
//! The builder is deliberately permissive: it signs whatever the case says (any header, any
//! text as the payload, HS384 under an `alg: HS256` header), because most cases exist to check
//! that a verifier refuses exactly such tokens. What it does refuse are templates that cannot
//! mean what they say: a tamper op that would change nothing, or that addresses a part the token
//! no longer has. Those are case bugs, reported when the suite loads.

use serde_json::{json, Map, Value};

use super::crypto::{b64url, b64url_decode_lenient, hmac};
use super::model::{JwtTemplate, MacAlg, Part, SignWith, Tamper};
use super::patch::merge_patch;
use super::source::FieldPath;
use super::step::{FieldError, StepCtx};

/// Build the token a template describes, at the step's `now`.
pub(crate) fn build_jwt(
    template: &JwtTemplate,
    at: &FieldPath,
    ctx: &mut StepCtx<'_>,
) -> Result<String, FieldError> {
    let mut token = match &template.literal {
        Some(literal) => {
            let extra = [
                ("header", template.header.is_some()),
                ("header_raw", template.header_raw.is_some()),
                ("claims", template.claims.is_some()),
                ("claims_raw", template.claims_raw.is_some()),
                ("sign", template.sign.is_some()),
            ];
            if let Some((name, _)) = extra.iter().find(|(_, present)| *present) {
                return Err(FieldError::new(&at.key(name), format!("a `literal` token cannot also have `{name}`"))
                    .hint("`literal` is the whole token as sent; use `tamper` to change it, or drop `literal`"));
            }
            Token::compact(literal.split('.').map(str::to_string).collect())
        }
        None => {
            let header = header_bytes(template, at, ctx)?;
            let payload = payload_bytes(template, at, ctx)?;
            let signing_input = format!("{}.{}", b64url(&header), b64url(&payload));
            let signature = match &template.sign {
                Some(sign) => {
                    let (secret, alg) = signing_key(sign, &at.key("sign"), ctx)?;
                    b64url(&hmac(alg, secret.as_bytes(), signing_input.as_bytes()))
                }
                None => String::new(),
            };
            Token::compact(vec![b64url(&header), b64url(&payload), signature])
        }
    };
    for (i, op) in template.tamper.iter().enumerate() {
        token.apply(op).map_err(|(message, hint)| {
            let problem = FieldError::new(&at.key("tamper").index(i), message);
            match hint {
                Some(hint) => problem.hint(hint),
                None => problem,
            }
        })?;
    }
    Ok(token.finish())
}

fn header_bytes(
    template: &JwtTemplate,
    at: &FieldPath,
    ctx: &mut StepCtx<'_>,
) -> Result<Vec<u8>, FieldError> {
    match (&template.header, &template.header_raw) {
        (Some(_), Some(_)) => Err(FieldError::new(&at.key("header_raw"), "a JWT template has both `header` and `header_raw`")
            .hint("keep one: `header` is merged over {\"alg\":\"HS256\",\"typ\":\"JWT\"}, `header_raw` is the exact text")),
        (Some(members), None) => {
            let mut header = json!({"alg": "HS256", "typ": "JWT"});
            let patch = Value::Object(members.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
            merge_patch(&mut header, &patch);
            Ok(serde_json::to_vec(&header).expect("JSON values serialize"))
        }
        (None, Some(raw)) => Ok(ctx.fill(raw, &at.key("header_raw"))?.into_bytes()),
        (None, None) => Ok(br#"{"alg":"HS256","typ":"JWT"}"#.to_vec()),
    }
}

fn payload_bytes(
    template: &JwtTemplate,
    at: &FieldPath,
    ctx: &mut StepCtx<'_>,
) -> Result<Vec<u8>, FieldError> {
    match (&template.claims, &template.claims_raw) {
        (Some(_), Some(_)) => Err(FieldError::new(&at.key("claims_raw"), "a JWT template has both `claims` and `claims_raw`")
            .hint("keep one: `claims` is a mapping (times as now+1h), `claims_raw` the exact payload text")),
        (Some(claims), None) => {
            let mut object = Map::new();
            for (name, value) in claims {
                object.insert(name.clone(), ctx.claim_value(value, &at.key("claims").key(name))?);
            }
            Ok(serde_json::to_vec(&Value::Object(object)).expect("JSON values serialize"))
        }
        (None, Some(raw)) => Ok(ctx.fill(raw, &at.key("claims_raw"))?.into_bytes()),
        (None, None) => Err(FieldError::new(at, "a JWT template needs `claims` or `claims_raw` (or a `literal` token)")
            .hint("e.g. `claims: {user_id: u-1, exp: now+1h}`; `claims: {}` for an empty payload")),
    }
}

fn signing_key(
    sign: &SignWith,
    at: &FieldPath,
    ctx: &mut StepCtx<'_>,
) -> Result<(String, MacAlg), FieldError> {
    let secret = match (&sign.key, &sign.secret) {
        (Some(key), None) => ctx.key_secret(key, &at.key("key"))?,
        (None, Some(secret)) => ctx.secret(secret, &at.key("secret"))?,
        (Some(_), Some(_)) => {
            return Err(
                FieldError::new(&at.key("secret"), "`sign` has both `key` and `secret`").hint(
                    "keep one: `key: k-web` (a JWT key) or `secret: web` (a secret reference)",
                ),
            )
        }
        (None, None) => {
            return Err(FieldError::new(at, "`sign` needs `key` or `secret`")
                .hint("e.g. `sign: {key: k-web}`; leave `sign` out for an empty signature"))
        }
    };
    Ok((secret, sign.alg.unwrap_or(MacAlg::HS256)))
}

/// A token while tamper ops run: its dot-separated segments, or, after `json_serialization`, the
/// JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    segments: Vec<String>,
    json: Option<String>,
}

type OpError = (String, Option<String>);

fn part_name(part: Part) -> &'static str {
    match part {
        Part::Header => "header",
        Part::Payload => "payload",
        Part::Signature => "signature",
    }
}

fn part_index(part: Part) -> usize {
    match part {
        Part::Header => 0,
        Part::Payload => 1,
        Part::Signature => 2,
    }
}

impl Token {
    pub(crate) fn compact(segments: Vec<String>) -> Token {
        Token {
            segments,
            json: None,
        }
    }

    pub(crate) fn finish(self) -> String {
        self.json.unwrap_or_else(|| self.segments.join("."))
    }

    fn part(&mut self, part: Part) -> Result<&mut String, OpError> {
        let count = self.segments.len();
        self.segments.get_mut(part_index(part)).ok_or_else(|| {
            (
                format!(
                    "the token has no {} part ({count} segments at this point)",
                    part_name(part)
                ),
                Some("tamper ops run in order: put this one before `drop_signature`".into()),
            )
        })
    }

    fn decoded(&mut self, part: Part) -> Result<Vec<u8>, OpError> {
        let text = self.part(part)?.clone();
        b64url_decode_lenient(&text).ok_or_else(|| {
            (
                format!(
                    "the {} is not base64url at this point, so its bytes cannot be changed",
                    part_name(part)
                ),
                Some(
                    "put byte-level ops (flip_bit, truncate_signature) before text-level ones"
                        .into(),
                ),
            )
        })
    }

    fn expect_segments(&self, op: &str, want: usize) -> Result<(), OpError> {
        if self.segments.len() == want {
            Ok(())
        } else {
            Err((
                format!(
                    "`{op}` needs a token of {want} segments; it has {} at this point",
                    self.segments.len()
                ),
                None,
            ))
        }
    }

    /// Apply one tamper op; an op that cannot apply, or would change nothing, is an error.
    pub(crate) fn apply(&mut self, op: &Tamper) -> Result<(), OpError> {
        if self.json.is_some() {
            return Err((
                "no tamper op can follow `json_serialization`".into(),
                Some("make `json_serialization` the last op".into()),
            ));
        }
        let before = self.clone();
        match op {
            Tamper::FlipBit { part, bit } => {
                let mut bytes = self.decoded(*part)?;
                let bits = bytes.len() as i64 * 8;
                let index = if *bit < 0 { bits + bit } else { *bit };
                if !(0..bits).contains(&index) {
                    return Err((
                        format!(
                            "bit {bit} is outside the {}'s {bits} bits",
                            part_name(*part)
                        ),
                        Some(format!(
                            "use 0..{bits} from the start, or -1..-{bits} from the end"
                        )),
                    ));
                }
                bytes[(index / 8) as usize] ^= 0x80 >> (index % 8);
                *self.part(*part)? = b64url(&bytes);
            }
            Tamper::TruncateSignature(count) => {
                let bytes = self.decoded(Part::Signature)?;
                if *count == 0 || *count > bytes.len() {
                    return Err((
                        format!(
                            "cannot remove {count} bytes of a {}-byte signature",
                            bytes.len()
                        ),
                        Some(format!("remove 1 to {} bytes", bytes.len())),
                    ));
                }
                *self.part(Part::Signature)? = b64url(&bytes[..bytes.len() - count]);
            }
            Tamper::StripSignature => {
                self.expect_segments("strip_signature", 3)?;
                self.segments[2].clear();
            }
            Tamper::DropSignature => {
                self.expect_segments("drop_signature", 3)?;
                self.segments.pop();
            }
            Tamper::AppendSegment(text) => self.segments.push(text.clone()),
            Tamper::TrailingDot => self.segments.push(String::new()),
            Tamper::Pad(part) => {
                let text = self.part(*part)?;
                match text.len() % 4 {
                    2 => text.push_str("=="),
                    3 => text.push('='),
                    rest => {
                        return Err((
                            format!(
                                "the {} is {} characters long, so base64 padding would be {}",
                                part_name(*part),
                                text.len(),
                                if rest == 0 { "empty" } else { "invalid" }
                            ),
                            Some("pad a part whose length is not a multiple of 4 (an HS256 signature is 43)".into()),
                        ))
                    }
                }
            }
            Tamper::NoncanonicalBits(part) => {
                let text = self.part(*part)?;
                let unused_bits = match text.len() % 4 {
                    2 => 4,
                    3 => 2,
                    _ => {
                        return Err((
                            format!(
                                "the {} is {} characters long, {}, so its last character has no unused bits",
                                part_name(*part),
                                text.len(),
                                if text.len() % 4 == 0 { "a multiple of 4" } else { "not a base64 length" }
                            ),
                            Some(
                                "pick a part whose encoded length is not a multiple of 4 (the HS256 signature, 43), or change \
                                 the header or claims by a character"
                                    .into(),
                            ),
                        ))
                    }
                };
                const ALPHABET: &[u8; 64] =
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
                let last = text.pop().expect("length is 2 or 3 mod 4");
                let Some(value) = ALPHABET.iter().position(|&c| c as char == last) else {
                    return Err((
                        format!(
                            "the {}'s last character `{last}` is not base64url",
                            part_name(*part)
                        ),
                        None,
                    ));
                };
                text.push(ALPHABET[value | ((1 << unused_bits) - 1)] as char);
            }
            Tamper::StandardAlphabet(part) => {
                let text = self.part(*part)?;
                *text = text.replace('-', "+").replace('_', "/");
            }
            Tamper::Insert { part, at, text } => {
                let target = self.part(*part)?;
                let chars = target.chars().count();
                if *at > chars {
                    return Err((
                        format!(
                            "cannot insert at {at}: the {} has {chars} characters",
                            part_name(*part)
                        ),
                        Some(format!("use 0..={chars}")),
                    ));
                }
                let byte = target
                    .char_indices()
                    .nth(*at)
                    .map_or(target.len(), |(i, _)| i);
                target.insert_str(byte, text);
            }
            Tamper::ReplacePart { part, with } => *self.part(*part)? = with.clone(),
            Tamper::JsonSerialization => {
                self.expect_segments("json_serialization", 3)?;
                let json = json!({
                    "protected": self.segments[0],
                    "payload": self.segments[1],
                    "signature": self.segments[2],
                });
                self.json = Some(json.to_string());
            }
        }
        if *self == before {
            return Err((
                "this tamper op leaves the token unchanged".into(),
                Some(match op {
                    Tamper::StandardAlphabet(part) => format!(
                        "the {}'s encoding has no `-` or `_` to replace; change its content, or use `insert` to add `+` or `/`",
                        part_name(*part)
                    ),
                    Tamper::StripSignature => "the signature is already empty (no `sign:`?)".into(),
                    _ => "remove it, or change what it does".into(),
                }),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::crypto::b64url;

    const HEADER: &[u8] = br#"{"alg":"HS256","typ":"JWT"}"#; // 36 characters encoded
    const PAYLOAD: &[u8] = br#"{"user_id":"u-1"}"#; // 23 characters encoded
    const SIG: [u8; 32] = [7; 32]; // 43 characters encoded

    fn token() -> Token {
        Token::compact(vec![b64url(HEADER), b64url(PAYLOAD), b64url(&SIG)])
    }

    fn tampered(ops: &[Tamper]) -> Result<String, String> {
        let mut token = token();
        for op in ops {
            token.apply(op).map_err(|(message, _)| message)?;
        }
        Ok(token.finish())
    }

    fn parts(token: &str) -> Vec<&str> {
        token.split('.').collect()
    }

    fn decode(text: &str) -> Vec<u8> {
        b64url_decode_lenient(text).unwrap()
    }

    #[test]
    fn flip_bit_counts_from_the_start_and_the_end() {
        let token = tampered(&[Tamper::FlipBit {
            part: Part::Signature,
            bit: 0,
        }])
        .unwrap();
        let mut want = SIG;
        want[0] ^= 0x80;
        assert_eq!(decode(parts(&token)[2]), want);

        let token = tampered(&[Tamper::FlipBit {
            part: Part::Signature,
            bit: -1,
        }])
        .unwrap();
        let mut want = SIG;
        want[31] ^= 0x01;
        assert_eq!(decode(parts(&token)[2]), want);

        let token = tampered(&[Tamper::FlipBit {
            part: Part::Payload,
            bit: 9,
        }])
        .unwrap();
        let mut want = PAYLOAD.to_vec();
        want[1] ^= 0x40; // '"' (0x22) becomes 'b' (0x62)
        assert_eq!(decode(parts(&token)[1]), want);
        assert_eq!(parts(&token)[0], b64url(HEADER));

        assert_eq!(
            tampered(&[Tamper::FlipBit {
                part: Part::Signature,
                bit: 256
            }])
            .unwrap_err(),
            "bit 256 is outside the signature's 256 bits"
        );
        assert!(tampered(&[Tamper::FlipBit {
            part: Part::Signature,
            bit: -257
        }])
        .is_err());
    }

    #[test]
    fn truncate_signature_removes_bytes() {
        let original = token().finish();
        let token = tampered(&[Tamper::TruncateSignature(2)]).unwrap();
        assert_eq!(decode(parts(&token)[2]), SIG[..30]);
        assert_eq!(parts(&token)[..2], parts(&original)[..2]);
        assert_eq!(
            tampered(&[Tamper::TruncateSignature(33)]).unwrap_err(),
            "cannot remove 33 bytes of a 32-byte signature"
        );
        assert!(tampered(&[Tamper::TruncateSignature(0)]).is_err());
    }

    #[test]
    fn strip_drop_append_and_trailing_dot() {
        let original = token().finish();
        let (h, p) = (parts(&original)[0], parts(&original)[1]);
        assert_eq!(
            tampered(&[Tamper::StripSignature]).unwrap(),
            format!("{h}.{p}.")
        );
        assert_eq!(
            tampered(&[Tamper::DropSignature]).unwrap(),
            format!("{h}.{p}")
        );
        assert_eq!(
            tampered(&[Tamper::AppendSegment("X".into())]).unwrap(),
            format!("{original}.X")
        );
        assert_eq!(
            tampered(&[Tamper::TrailingDot]).unwrap(),
            format!("{original}.")
        );
        assert_eq!(
            tampered(&[Tamper::StripSignature, Tamper::StripSignature]).unwrap_err(),
            "this tamper op leaves the token unchanged"
        );
        assert_eq!(
            tampered(&[
                Tamper::DropSignature,
                Tamper::FlipBit {
                    part: Part::Signature,
                    bit: 0
                }
            ])
            .unwrap_err(),
            "the token has no signature part (2 segments at this point)"
        );
    }

    #[test]
    fn pad_adds_the_missing_equals_signs() {
        let token = tampered(&[Tamper::Pad(Part::Signature)]).unwrap();
        assert_eq!(parts(&token)[2], format!("{}=", b64url(&SIG)));
        let token = tampered(&[Tamper::Pad(Part::Payload)]).unwrap();
        assert_eq!(parts(&token)[1], format!("{}=", b64url(PAYLOAD)));
        assert_eq!(
            tampered(&[Tamper::Pad(Part::Header)]).unwrap_err(),
            "the header is 36 characters long, so base64 padding would be empty"
        );
    }

    #[test]
    fn noncanonical_bits_keep_the_bytes() {
        let token = tampered(&[Tamper::NoncanonicalBits(Part::Signature)]).unwrap();
        let sig = parts(&token)[2];
        assert_ne!(sig, b64url(&SIG));
        assert_eq!(sig[..42], b64url(&SIG)[..42]);
        // Same bytes under a lenient decoder, rejected by a strict one.
        assert_eq!(decode(sig), SIG);
        use base64::Engine;
        assert!(base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sig)
            .is_err());
        // 43 characters: 2 unused bits, so the last character's value has its low 2 bits set.
        assert_eq!(sig.chars().last(), Some('f')); // 'c' (28) | 0b11 = 31 = 'f'

        let token = tampered(&[Tamper::NoncanonicalBits(Part::Payload)]).unwrap();
        assert_eq!(decode(parts(&token)[1]), PAYLOAD);
        assert_ne!(parts(&token)[1], b64url(PAYLOAD));

        assert!(tampered(&[Tamper::NoncanonicalBits(Part::Header)])
            .unwrap_err()
            .contains("no unused bits"));
    }

    #[test]
    fn standard_alphabet_swaps_url_characters() {
        let mut token = Token::compact(vec![
            b64url(&[0xfb, 0xff, 0xfe]),
            "e30".into(),
            "-_8".into(),
        ]);
        token
            .apply(&Tamper::StandardAlphabet(Part::Header))
            .unwrap();
        token
            .apply(&Tamper::StandardAlphabet(Part::Signature))
            .unwrap();
        assert_eq!(token.finish(), "+//+.e30.+/8");
        let error = tampered(&[Tamper::StandardAlphabet(Part::Header)]).unwrap_err();
        assert_eq!(error, "this tamper op leaves the token unchanged");
    }

    #[test]
    fn insert_and_replace_part() {
        let original = token().finish();
        let h = parts(&original)[0].to_string();
        let token = tampered(&[Tamper::Insert {
            part: Part::Header,
            at: 3,
            text: " ".into(),
        }])
        .unwrap();
        assert_eq!(parts(&token)[0], format!("{} {}", &h[..3], &h[3..]));
        let token = tampered(&[Tamper::Insert {
            part: Part::Header,
            at: 36,
            text: "\n".into(),
        }])
        .unwrap();
        assert_eq!(parts(&token)[0], format!("{h}\n"));
        assert!(tampered(&[Tamper::Insert {
            part: Part::Header,
            at: 37,
            text: "x".into()
        }])
        .is_err());
        let token = tampered(&[Tamper::ReplacePart {
            part: Part::Payload,
            with: "e30".into(),
        }])
        .unwrap();
        assert_eq!(parts(&token)[1], "e30");
        assert_eq!(parts(&token)[0], h);
    }

    #[test]
    fn json_serialization_is_the_flattened_form_and_last() {
        let original = token().finish();
        let token = tampered(&[Tamper::JsonSerialization]).unwrap();
        let value: Value = serde_json::from_str(&token).unwrap();
        assert_eq!(
            value,
            json!({"protected": parts(&original)[0], "payload": parts(&original)[1], "signature": parts(&original)[2]})
        );
        assert!(token.starts_with(r#"{"protected":"#));
        assert_eq!(
            tampered(&[Tamper::JsonSerialization, Tamper::TrailingDot]).unwrap_err(),
            "no tamper op can follow `json_serialization`"
        );
    }
}
