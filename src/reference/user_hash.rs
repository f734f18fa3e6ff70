//! Identity Verification's `user_hash`: lowercase hex HMAC-SHA256(secret, identifier)
//! (CONTRACT rule 3.3 and the signer's `user_hash` rule).
//!
//! Identifiers and secrets are exact UTF-8 bytes: no trimming, case folding or Unicode
//! normalisation. The check decodes the given hex and compares the 32 bytes in constant time
//! ([`hmac::Mac::verify_slice`]); only the shape of the attacker's own input (length, hex digits,
//! case) is inspected before that.

use std::fmt;

use super::jws::{hmac_sha256, hmac_sha256_verify};
use crate::contract::Platform;

/// The `user_hash` a signer sends for `identifier`: lowercase hex HMAC-SHA256.
pub fn user_hash(secret: &str, identifier: &str) -> String {
    to_hex(&hmac_sha256(secret.as_bytes(), identifier.as_bytes()))
}

/// Lowercase hex of bytes.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `platform` accepts uppercase hex digits (only `web`: the mobile SDKs require lowercase).
pub(crate) fn accepts_uppercase(platform: Platform) -> bool {
    platform == Platform::Web
}

/// Why a `user_hash` does not match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mismatch {
    /// The platform's secret is empty: no hash ever matches.
    EmptySecret,
    /// Not exactly 64 characters.
    WrongLength { len: usize },
    /// A character that is not a hex digit (first one, by character position).
    NotHex { position: usize, found: char },
    /// Uppercase hex digits, on a platform that accepts only lowercase.
    Uppercase { platform: Platform },
    /// Well formed, but not the HMAC of this identifier under this secret.
    Differs,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::EmptySecret => {
                f.write_str("the identity verification secret is empty, so no user_hash matches")
            }
            Mismatch::WrongLength { len } => {
                write!(
                    f,
                    "it has {len} characters; a user_hash is exactly 64 hex digits"
                )?;
                if *len == 44 || *len == 43 {
                    f.write_str(" (44 or 43 characters looks like base64, which is not accepted)")?;
                }
                Ok(())
            }
            Mismatch::NotHex { position, found } => {
                write!(
                    f,
                    "character {found:?} at position {position} is not a hex digit"
                )
            }
            Mismatch::Uppercase { platform } => {
                write!(f, "it has uppercase hex digits, which {platform} does not accept (lowercase only)")
            }
            Mismatch::Differs => f.write_str(
                "it is not the HMAC-SHA256 of the identifier under the platform's secret",
            ),
        }
    }
}

/// The shape checks alone: 64 hex digits, lowercase unless the platform is `web`.
/// Returns the 32 bytes the hex encodes.
pub(crate) fn parse_hex(platform: Platform, given: &str) -> Result<[u8; 32], Mismatch> {
    let len = given.chars().count();
    if let Some((position, found)) = given
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_hexdigit())
    {
        // Report a bad character before a bad length: "sha256=abc…" says more than "69 chars".
        return Err(Mismatch::NotHex { position, found });
    }
    if len != 64 {
        return Err(Mismatch::WrongLength { len });
    }
    if !accepts_uppercase(platform) && given.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(Mismatch::Uppercase { platform });
    }
    let mut bytes = [0u8; 32];
    for (i, pair) in given.as_bytes().chunks(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16).expect("checked hex digit");
        let lo = (pair[1] as char).to_digit(16).expect("checked hex digit");
        bytes[i] = (hi * 16 + lo) as u8;
    }
    Ok(bytes)
}

/// Rule 3.3: does `given` equal hex HMAC-SHA256(`secret`, `identifier`) on `platform`?
///
/// On `web` either hex case is accepted (mixed case too: the hex digits encode the same bytes);
/// on `ios` and `android` only lowercase. An empty secret never matches.
pub(crate) fn check(
    platform: Platform,
    secret: &str,
    identifier: &str,
    given: &str,
) -> Result<(), Mismatch> {
    if secret.is_empty() {
        return Err(Mismatch::EmptySecret);
    }
    let tag = parse_hex(platform, given)?;
    if hmac_sha256_verify(secret.as_bytes(), identifier.as_bytes(), &tag) {
        Ok(())
    } else {
        Err(Mismatch::Differs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Platform::{Android, Ios, Web};

    #[test]
    fn user_hash_is_lowercase_hex_hmac_sha256() {
        // RFC 4231 test case 2, as the Messenger would use it.
        assert_eq!(
            user_hash("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let h = user_hash("s-web", "u-1");
        assert_eq!(h.len(), 64);
        assert!(h
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }

    #[test]
    fn the_right_hash_matches_on_every_platform() {
        for platform in Platform::ALL {
            let h = user_hash("secret", "u-1");
            assert_eq!(check(platform, "secret", "u-1", &h), Ok(()));
        }
    }

    #[test]
    fn uppercase_is_accepted_on_web_only() {
        let h = user_hash("secret", "u-1").to_uppercase();
        assert_eq!(check(Web, "secret", "u-1", &h), Ok(()));
        assert_eq!(
            check(Ios, "secret", "u-1", &h),
            Err(Mismatch::Uppercase { platform: Ios })
        );
        assert_eq!(
            check(Android, "secret", "u-1", &h),
            Err(Mismatch::Uppercase { platform: Android })
        );
        let lower = user_hash("secret", "u-1");
        let mixed: String = lower
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect();
        assert_eq!(check(Web, "secret", "u-1", &mixed), Ok(()));
        if mixed != lower {
            assert!(check(Ios, "secret", "u-1", &mixed).is_err());
        }
    }

    #[test]
    fn malformed_hashes_are_mismatches() {
        let h = user_hash("secret", "u-1");
        let bytes = hmac_sha256(b"secret", b"u-1");
        let base64 = super::super::jws::b64url_encode(bytes);
        let cases = [
            (String::new(), Mismatch::WrongLength { len: 0 }),
            (h[..63].to_string(), Mismatch::WrongLength { len: 63 }),
            (h[..32].to_string(), Mismatch::WrongLength { len: 32 }),
            (format!("{h}0"), Mismatch::WrongLength { len: 65 }),
            (format!("{h}{h}"), Mismatch::WrongLength { len: 128 }),
            (
                format!(" {h}"),
                Mismatch::NotHex {
                    position: 0,
                    found: ' ',
                },
            ),
            (
                format!("{h}\n"),
                Mismatch::NotHex {
                    position: 64,
                    found: '\n',
                },
            ),
            (
                format!("sha256={}", &h[7..]),
                Mismatch::NotHex {
                    position: 0,
                    found: 's',
                },
            ),
            (
                format!("0x{}", &h[2..]),
                Mismatch::NotHex {
                    position: 1,
                    found: 'x',
                },
            ),
        ];
        for (given, expected) in cases {
            assert_eq!(
                check(Web, "secret", "u-1", &given),
                Err(expected),
                "{given:?}"
            );
        }
        assert!(matches!(
            check(Web, "secret", "u-1", &base64),
            Err(Mismatch::NotHex { .. } | Mismatch::WrongLength { .. })
        ));
    }

    #[test]
    fn an_empty_secret_never_matches() {
        let h = user_hash("", "u-1");
        assert_eq!(check(Web, "", "u-1", &h), Err(Mismatch::EmptySecret));
    }

    #[test]
    fn identifiers_are_exact_bytes() {
        let nfc = "caf\u{e9}@example.com";
        let nfd = "cafe\u{301}@example.com";
        assert_ne!(user_hash("s", nfc), user_hash("s", nfd));
        assert_eq!(
            check(Web, "s", nfd, &user_hash("s", nfc)),
            Err(Mismatch::Differs)
        );
        for other in ["Ada@example.com", "ada@example.com ", " ada@example.com"] {
            assert_eq!(
                check(Web, "s", other, &user_hash("s", "ada@example.com")),
                Err(Mismatch::Differs),
                "{other:?}"
            );
        }
    }

    #[test]
    fn another_secret_or_identifier_differs() {
        let h = user_hash("s-ios", "u-1");
        assert_eq!(check(Web, "s-web", "u-1", &h), Err(Mismatch::Differs));
        assert_eq!(check(Web, "s-ios", "u-2", &h), Err(Mismatch::Differs));
        // Hashing user_id and email together is not the contract's input.
        let both = user_hash("s-web", "u-1ada@example.com");
        assert_eq!(check(Web, "s-web", "u-1", &both), Err(Mismatch::Differs));
    }
}
