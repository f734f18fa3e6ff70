//! `user_hash` templates: HMAC-SHA256 over an identifier, written in some encoding, then edited.

use super::crypto::{b64, b64url, hex, hmac_sha256};
use super::model::{HashEncoding, HashTemplate, Over, TextEdit};
use super::source::FieldPath;
use super::step::{FieldError, StepCtx};

/// The identifiers a hash may be computed over: the request's, or the signer's user.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Identifiers<'a> {
    pub user_id: Option<&'a str>,
    pub email: Option<&'a str>,
    /// What holds them, for messages: "the request", "the user to sign for".
    pub holder: &'a str,
}

pub(crate) fn build_hash(
    template: &HashTemplate,
    at: &FieldPath,
    ids: Identifiers<'_>,
    ctx: &mut StepCtx<'_>,
) -> Result<String, FieldError> {
    let encoded = match (&template.hmac, &template.literal) {
        (Some(spec), None) => {
            let text = over_text(&spec.over, &at.key("hmac").key("over"), ids)?;
            let secret = ctx.secret(&spec.secret, &at.key("hmac").key("secret"))?;
            let mac = hmac_sha256(secret.as_bytes(), text.as_bytes());
            encode(&mac, template.encoding.unwrap_or(HashEncoding::Hex))
        }
        (None, Some(literal)) => {
            if template.encoding.is_some() {
                return Err(FieldError::new(
                    &at.key("encoding"),
                    "`encoding` applies to `hmac` only",
                )
                .hint("a `literal` is sent as written: remove `encoding`"));
            }
            literal.clone()
        }
        (Some(_), Some(_)) => {
            return Err(
                FieldError::new(at, "a user_hash template has both `hmac` and `literal`")
                    .hint("keep one: `hmac: {over: user_id, secret: web}` or `literal: \"...\"`"),
            )
        }
        (None, None) => {
            return Err(
                FieldError::new(at, "a user_hash template needs `hmac` or `literal`")
                    .hint("e.g. `user_hash: {hmac: {over: user_id, secret: web}}`"),
            )
        }
    };
    apply_edits(encoded, &template.edit, &at.key("edit"))
}

fn over_text(over: &Over, at: &FieldPath, ids: Identifiers<'_>) -> Result<String, FieldError> {
    let need = |value: Option<&str>, name: &str| {
        value.map(str::to_string).ok_or_else(|| {
            FieldError::new(
                at,
                format!(
                    "the hash is over `{name}`, but {} has no string `{name}`",
                    ids.holder
                ),
            )
            .hint(format!(
                "add `{name}` to {}, or hash over something else",
                ids.holder
            ))
        })
    };
    Ok(match over {
        Over::UserId => need(ids.user_id, "user_id")?,
        Over::Email => need(ids.email, "email")?,
        Over::UserIdAndEmail => need(ids.user_id, "user_id")? + &need(ids.email, "email")?,
        Over::Text(text) => text.clone(),
    })
}

/// The 32-byte MAC as text.
pub(crate) fn encode(mac: &[u8], encoding: HashEncoding) -> String {
    match encoding {
        HashEncoding::Hex => hex(mac),
        HashEncoding::UpperHex => hex(mac).to_uppercase(),
        HashEncoding::Base64 => b64(mac),
        HashEncoding::Base64url => b64url(mac),
    }
}

/// Apply edits in order. An edit that would change nothing is an error: the case means a change.
pub(crate) fn apply_edits(
    mut text: String,
    edits: &[TextEdit],
    at: &FieldPath,
) -> Result<String, FieldError> {
    for (i, edit) in edits.iter().enumerate() {
        let at = at.index(i);
        let chars: Vec<char> = text.chars().collect();
        text = match edit {
            TextEdit::Truncate(keep) if *keep >= chars.len() => {
                return Err(FieldError::new(
                    &at,
                    format!(
                        "`truncate: {keep}` keeps the whole {}-character text",
                        chars.len()
                    ),
                )
                .hint(format!("keep fewer than {} characters", chars.len())))
            }
            TextEdit::Truncate(keep) => chars[..*keep].iter().collect(),
            TextEdit::Append(more) => text + more,
            TextEdit::Prepend(more) => more.clone() + &text,
            TextEdit::FlipChar(index) => {
                let Some(&c) = chars.get(*index) else {
                    return Err(FieldError::new(
                        &at,
                        format!(
                            "`flip_char: {index}` is past the end of the {}-character text",
                            chars.len()
                        ),
                    )
                    .hint(format!(
                        "indexes start at 0: use 0 to {}",
                        chars.len().saturating_sub(1)
                    )));
                };
                let flipped: String = if c.is_lowercase() {
                    c.to_uppercase().collect()
                } else {
                    c.to_lowercase().collect()
                };
                if flipped == c.to_string() {
                    let letters: Vec<String> = chars
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| c.is_alphabetic())
                        .take(3)
                        .map(|(i, c)| format!("{i} (`{c}`)"))
                        .collect();
                    return Err(FieldError::new(
                        &at,
                        format!("character {index} of `{text}` is `{c}`, which has no other case"),
                    )
                    .hint(format!(
                        "pick the index of a letter, e.g. {}",
                        letters.join(", ")
                    )));
                }
                let mut out: String = chars[..*index].iter().collect();
                out.push_str(&flipped);
                out.extend(&chars[index + 1..]);
                out
            }
        };
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 32] = [
        0xfb, 0xff, 0x00, 0x10, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xaa, 0xbb, 0xcc,
        0xdd, 0xee, 0xff, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0x0a, 0x0b,
        0x0c, 0x0d,
    ];

    #[test]
    fn encodings() {
        let hex = encode(&MAC, HashEncoding::Hex);
        assert_eq!(hex.len(), 64);
        assert!(hex.starts_with("fbff0010abcdef01"));
        assert_eq!(encode(&MAC, HashEncoding::UpperHex), hex.to_uppercase());
        let b64 = encode(&MAC, HashEncoding::Base64);
        assert!(
            b64.starts_with("+/8AEKvN7wEj") && b64.ends_with('='),
            "{b64}"
        );
        let b64url = encode(&MAC, HashEncoding::Base64url);
        assert!(
            b64url.starts_with("-_8AEKvN7wEj") && !b64url.ends_with('='),
            "{b64url}"
        );
        assert_eq!(b64url.len(), 43);
    }

    fn edits(text: &str, edits: &[TextEdit]) -> Result<String, String> {
        apply_edits(text.to_string(), edits, &FieldPath::root().key("edit")).map_err(|p| p.message)
    }

    #[test]
    fn edits_in_order() {
        assert_eq!(edits("abcdef12", &[TextEdit::Truncate(4)]).unwrap(), "abcd");
        assert_eq!(
            edits(
                "ab",
                &[TextEdit::Append(" ".into()), TextEdit::Prepend("\n".into())]
            )
            .unwrap(),
            "\nab "
        );
        assert_eq!(edits("ab12", &[TextEdit::FlipChar(1)]).unwrap(), "aB12");
        assert_eq!(edits("AB12", &[TextEdit::FlipChar(0)]).unwrap(), "aB12");
        assert_eq!(edits("é1", &[TextEdit::FlipChar(0)]).unwrap(), "É1");
    }

    #[test]
    fn edits_that_change_nothing_are_errors() {
        assert_eq!(
            edits("abcd", &[TextEdit::Truncate(4)]).unwrap_err(),
            "`truncate: 4` keeps the whole 4-character text"
        );
        assert_eq!(
            edits("a1b2", &[TextEdit::FlipChar(1)]).unwrap_err(),
            "character 1 of `a1b2` is `1`, which has no other case"
        );
        assert_eq!(
            edits("ab", &[TextEdit::FlipChar(2)]).unwrap_err(),
            "`flip_char: 2` is past the end of the 2-character text"
        );
    }
}
