//! Request signing (spec §5): the `Authorization: KSig1-HMAC-SHA256 <signature>` header, made
//! by the client and checked by the simulator with the same code.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::hmac;

/// The request signature: `base64_std(HMAC-SHA256(key = secret_key_bytes, msg = api_key))`.
///
/// `secret_key_bytes` is the base64-decoded secret key. With only the always-signed
/// element `API-Key` (what this SDK sends in `X-API-Signed-Elements`), the string to sign is
/// the API key's UTF-8 bytes. The result goes after `KSig1-HMAC-SHA256 ` in `Authorization`.
/// It does not change between requests, so treat it like a credential: never log it.
pub fn sign(api_key: &str, secret_key_bytes: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret_key_bytes);
    STANDARD.encode(hmac::sign(&key, api_key.as_bytes()).as_ref())
}

/// Whether `signature` (the decoded bytes after `KSig1-HMAC-SHA256 `) is [`sign`]'s for
/// `api_key` and `secret_key_bytes`, compared in constant time. For servers (the simulator).
#[doc(hidden)]
pub fn verify(api_key: &str, secret_key_bytes: &[u8], signature: &[u8]) -> bool {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret_key_bytes);
    hmac::verify(&key, api_key.as_bytes(), signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 4231's HMAC-SHA256 test cases 1, 2 and 6 (a key longer than the block).
    #[test]
    fn matches_rfc_4231() {
        let cases: [(Vec<u8>, &str, &str); 3] = [
            (
                vec![0x0b; 20],
                "Hi There",
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe".to_vec(),
                "what do ya want for nothing?",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                vec![0xaa; 131],
                "Test Using Larger Than Block-Size Key - Hash Key First",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
        ];
        for (key, message, mac) in cases {
            assert_eq!(sign(message, &key), STANDARD.encode(hex(mac)), "{message}");
            assert!(verify(message, &key, &hex(mac)));
            let mut wrong = hex(mac);
            wrong[31] ^= 1;
            assert!(!verify(message, &key, &wrong));
            assert!(!verify(message, &key, &hex(mac)[..31]));
        }
    }
}
