//! The strict JWS codec (src/reference/jws.rs) on any text: never a panic, and what it accepts
//! is what it says.
//!
//! The input is a token, optionally followed by a NUL byte and a key. Checked:
//!
//! - canonical base64url is a bijection: a text the strict decoder accepts is exactly the
//!   encoding of what it decodes to, and the encoding of any bytes decodes back to them;
//! - a token `decode_unverified` accepts has three parts, each the canonical encoding of the
//!   bytes it holds, a header whose `alg` is the string "HS256" and without `crit`, and a
//!   header and payload that are JSON objects;
//! - `decode_verified` with the key accepts exactly when `decode_unverified` does and the
//!   signature is the HMAC-SHA256 of the signing input under a non-empty key;
//! - `verify_compact_signature` (the signature layer alone) accepts every token
//!   `decode_verified` accepts;
//! - every error prints, names a rule, and the rule is one of 2.2–2.4.

use messenger_conformance::reference::jws::{
    b64url_decode_strict, b64url_encode, decode_unverified, decode_verified, hmac_sha256,
    verify_compact_signature, JwsError,
};
use serde_json::Value;

const DEFAULT_KEY: &[u8] = b"jwt-web-secret-at-least-32-bytes-long-0001";

pub fn check(data: &[u8]) {
    let (token, key) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, DEFAULT_KEY),
    };

    // The base64url codec on the raw bytes, whatever they are.
    let encoded = b64url_encode(data);
    assert_eq!(b64url_decode_strict(&encoded).as_deref(), Ok(data));

    let Ok(token) = std::str::from_utf8(token) else {
        return;
    };
    if let Ok(bytes) = b64url_decode_strict(token) {
        assert_eq!(b64url_encode(&bytes), token, "a non-canonical text decoded");
    }

    let unverified = decode_unverified(token);
    let verified = decode_verified(token, key);
    let signature_only = verify_compact_signature(token, key);
    for error in [&unverified.as_ref().err(), &verified.as_ref().err()]
        .into_iter()
        .flatten()
    {
        check_error(error);
    }
    if let Err(error) = &signature_only {
        check_error(error);
    }

    match &unverified {
        Ok(decoded) => {
            let parts: Vec<&str> = token.split('.').collect();
            assert_eq!(parts.len(), 3);
            let split = &decoded.split;
            assert_eq!(b64url_encode(&split.header), parts[0]);
            assert_eq!(b64url_encode(&split.payload), parts[1]);
            assert_eq!(b64url_encode(&split.signature), parts[2]);
            assert_eq!(
                decoded.header.members.get("alg"),
                Some(&Value::String("HS256".into()))
            );
            assert!(!decoded.header.members.contains_key("crit"));
            assert_eq!(
                decoded.claims.parsed.value,
                Value::Object(decoded.claims.members.clone())
            );
            let signing_input = format!("{}.{}", parts[0], parts[1]);
            let genuine = !key.is_empty()
                && hmac_sha256(key, signing_input.as_bytes()).as_slice() == split.signature;
            match &verified {
                Ok(v) => {
                    assert!(genuine, "accepted a signature that is not the HMAC");
                    assert_eq!(v, decoded);
                }
                Err(error) => {
                    assert!(!genuine, "refused a genuine signature: {error}");
                    assert!(matches!(error, JwsError::SignatureInvalid), "{error}");
                }
            }
        }
        Err(_) => assert!(verified.is_err(), "verified what does not decode"),
    }
    if verified.is_ok() {
        assert!(signature_only.is_ok(), "{:?}", signature_only);
    }
}

fn check_error(error: &JwsError) {
    assert!(!error.to_string().is_empty());
    let rule = error.rule();
    assert!(
        ["2.2", "2.3", "2.4"].contains(&rule),
        "rule {rule} for {error}"
    );
}
