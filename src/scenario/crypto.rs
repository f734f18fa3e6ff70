//! The few primitives the templates need: HMAC in three sizes and base64 in both alphabets.
//!
//! The reference implementation has its own strict codec; templates need the opposite (tokens
//! that are wrong on purpose), so they keep these few lines to themselves.

use base64::alphabet;
use base64::engine::general_purpose::{
    GeneralPurpose, GeneralPurposeConfig, STANDARD, URL_SAFE_NO_PAD,
};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha384, Sha512};

use super::model::MacAlg;

pub(crate) fn hmac(alg: MacAlg, key: &[u8], data: &[u8]) -> Vec<u8> {
    fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key)
            .expect("HMAC takes keys of any length");
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }
    match alg {
        MacAlg::HS256 => mac::<Hmac<Sha256>>(key, data),
        MacAlg::HS384 => mac::<Hmac<Sha384>>(key, data),
        MacAlg::HS512 => mac::<Hmac<Sha512>>(key, data),
    }
}

pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    hmac(MacAlg::HS256, key, data)
}

/// Base64url without padding, the JWS encoding.
pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Standard base64 with padding.
pub(crate) fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decode base64url with or without padding and whatever the unused bits hold; `None` for
/// anything else. For tamper ops that must read a part before changing it.
pub(crate) fn b64url_decode_lenient(text: &str) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &alphabet::URL_SAFE,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    LENIENT.decode(text).ok()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 test case 2 (key "Jefe").
    #[test]
    fn hmac_matches_rfc_4231() {
        let data = b"what do ya want for nothing?";
        assert_eq!(
            hex(&hmac(MacAlg::HS256, b"Jefe", data)),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(hmac(MacAlg::HS384, b"Jefe", data).len(), 48);
        assert_eq!(
            hex(&hmac(MacAlg::HS512, b"Jefe", data))[..16],
            *"164b7a7bfcf819e2"
        );
    }

    #[test]
    fn base64_forms() {
        assert_eq!(b64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(b64(&[0xfb, 0xff]), "+/8=");
        assert_eq!(b64url_decode_lenient("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(b64url_decode_lenient("-_8="), Some(vec![0xfb, 0xff]));
        assert_eq!(b64url_decode_lenient("-_9"), Some(vec![0xfb, 0xff]));
        assert_eq!(b64url_decode_lenient("+/8"), None);
    }
}
