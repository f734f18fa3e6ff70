//! Redaction: keeping the secrets a run knows out of every text that leaves the process.
//!
//! A [`Redactor`] knows every secret of the run (the fixture workspaces, the keys, the secrets
//! cases and properties make up) and replaces each by `[redacted]` wherever it appears: as
//! itself, and in the forms an implementation may echo it in: hex (either case), standard
//! base64 and base64url, padded or not, including inside a longer base64 text such as a JWT
//! payload (each of the three byte alignments is matched).
#![warn(missing_docs)]

use aho_corasick::{AhoCorasick, MatchKind};
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// What a secret is replaced by.
pub(crate) const REDACTED: &str = "[redacted]";

/// Encoded forms are only matched for secrets at least this long: the encoding of a shorter
/// one is too short to be told from ordinary text.
const MIN_ENCODED_LEN: usize = 8;

/// Replaces every known secret, in every form, by `REDACTED`.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Every form of every secret, matched in one pass, the longest where forms overlap.
    matcher: Option<AhoCorasick>,
}

impl Redactor {
    /// A redactor for `secrets` (empty ones are ignored).
    pub fn new<S: AsRef<str>>(secrets: impl IntoIterator<Item = S>) -> Redactor {
        let mut needles = Vec::new();
        for secret in secrets {
            let secret = secret.as_ref();
            if secret.is_empty() {
                continue;
            }
            needles.push(secret.to_string());
            if secret.len() >= MIN_ENCODED_LEN {
                needles.extend(encoded_forms(secret.as_bytes()));
            }
        }
        needles.sort();
        needles.dedup();
        let matcher = (!needles.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&needles)
                .expect("plain strings always build a matcher")
        });
        Redactor { matcher }
    }

    /// Whether it knows no secret at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.matcher.is_none()
    }

    /// `text` with every secret replaced.
    pub(crate) fn text(&self, text: &str) -> String {
        match &self.matcher {
            Some(matcher) if matcher.is_match(text) => {
                let mut out = String::with_capacity(text.len());
                matcher.replace_all_with(text, &mut out, |_, _, out| {
                    out.push_str(REDACTED);
                    true
                });
                out
            }
            _ => text.to_string(),
        }
    }

    /// Replace every secret in the strings (and object keys) of `value`.
    pub(crate) fn value(&self, value: &mut Value) {
        match value {
            Value::String(s) => *s = self.text(s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.value(v)),
            Value::Object(map) => {
                let entries = std::mem::take(map);
                for (key, mut item) in entries {
                    self.value(&mut item);
                    map.insert(self.text(&key), item);
                }
            }
            _ => {}
        }
    }

    /// A copy of `value` with every secret replaced, through its JSON form. (The records this
    /// is used on hold secrets only in free-text fields, so the redacted form always reads back.)
    pub(crate) fn redacted<T: Serialize + DeserializeOwned + Clone>(&self, value: &T) -> T {
        if self.is_empty() {
            return value.clone();
        }
        let Ok(mut json) = serde_json::to_value(value) else {
            return value.clone();
        };
        self.value(&mut json);
        serde_json::from_value(json).unwrap_or_else(|_| value.clone())
    }
}

/// The forms of `secret` an implementation may print instead of the secret itself.
fn encoded_forms(secret: &[u8]) -> Vec<String> {
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let mut forms = vec![hex.to_uppercase(), hex];
    for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
        // The secret at each byte alignment inside a longer base64 text: encode it after 0, 1
        // or 2 bytes of padding and keep only the characters that depend on the secret alone.
        for offset in 0..3usize {
            let mut bytes = vec![0u8; offset];
            bytes.extend_from_slice(secret);
            let encoded = engine.encode(&bytes);
            // Characters 4k.. of base64 cover bytes 3k..: skip those touching the prefix.
            let skip = (offset * 4).div_ceil(3);
            let total_bits = bytes.len() * 8;
            // The last character is complete only if the input ends on a character boundary.
            let whole = total_bits / 6;
            if whole > skip {
                forms.push(encoded[skip..whole].to_string());
            }
        }
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "prod-web-idv-3f9a61c0d2e84b57";

    #[test]
    fn the_secret_and_its_encodings_are_replaced() {
        let redactor = Redactor::new([SECRET]);
        let hex: String = SECRET.bytes().map(|b| format!("{b:02x}")).collect();
        let standard = base64::engine::general_purpose::STANDARD.encode(SECRET);
        let url = URL_SAFE_NO_PAD.encode(SECRET);
        for text in [
            format!("key={SECRET};"),
            format!("hex {hex} HEX {}", hex.to_uppercase()),
            format!("b64 {standard} url {url}"),
        ] {
            let out = redactor.text(&text);
            assert!(!out.contains(SECRET), "{out}");
            assert!(
                !out.contains(&hex) && !out.contains(&hex.to_uppercase()),
                "{out}"
            );
            assert!(!out.contains(&standard) && !out.contains(&url), "{out}");
            assert!(out.contains(REDACTED), "{out}");
        }
    }

    #[test]
    fn a_secret_inside_a_longer_base64_text_is_found_at_every_alignment() {
        let redactor = Redactor::new([SECRET]);
        for prefix in ["", "a", "ab", "abc", "{\"user_id\":\""] {
            let payload = format!("{prefix}{SECRET}\"}}");
            for encoded in [
                URL_SAFE_NO_PAD.encode(&payload),
                base64::engine::general_purpose::STANDARD.encode(&payload),
            ] {
                let out = redactor.text(&encoded);
                assert!(
                    out.contains(REDACTED),
                    "prefix {prefix:?}: {encoded} -> {out}"
                );
                // What is left cannot be decoded back to the secret.
                assert!(!out.contains(&encoded), "{out}");
            }
        }
    }

    #[test]
    fn json_strings_and_keys_are_redacted_and_other_text_is_left_alone() {
        let redactor = Redactor::new([SECRET, ""]);
        let mut value = serde_json::json!({
            "note": "nothing secret here",
            SECRET: [format!("x{SECRET}x"), 3],
        });
        redactor.value(&mut value);
        let text = value.to_string();
        assert!(!text.contains(SECRET), "{text}");
        assert!(text.contains("nothing secret here"));
        assert!(Redactor::new([""]).is_empty());
    }

    #[test]
    fn short_secrets_are_replaced_as_themselves_only() {
        let redactor = Redactor::new(["jk-1"]);
        assert_eq!(
            redactor.text("key jk-1, hex 6a6b2d31"),
            "key [redacted], hex 6a6b2d31"
        );
    }
}
