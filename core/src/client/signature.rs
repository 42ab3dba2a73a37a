//! Request signing (spec §5): the `Authorization: KSig1-HMAC-SHA256 <signature>` header.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// SHA-256's block size: the HMAC key length after RFC 2104 key processing.
const BLOCK_LEN: usize = 64;

/// The request signature: `base64_std(HMAC-SHA256(key = secret_key_bytes, msg = api_key))`.
///
/// `secret_key_bytes` is the base64-decoded secret key. With only the always-signed
/// element `API-Key` (what this SDK sends in `X-API-Signed-Elements`), the string to sign is
/// the API key's UTF-8 bytes. The result goes after `KSig1-HMAC-SHA256 ` in `Authorization`.
/// It does not change between requests, so treat it like a credential: never log it.
pub fn sign(api_key: &str, secret_key_bytes: &[u8]) -> String {
    // RFC 2104 key processing, done here so no fallible constructor is needed: a key longer
    // than the block is hashed first, then the key is zero-padded to the block length.
    let mut block = Zeroizing::new([0u8; BLOCK_LEN]);
    if secret_key_bytes.len() > BLOCK_LEN {
        let digest = Sha256::digest(secret_key_bytes);
        for (dst, src) in block.iter_mut().zip(digest.iter()) {
            *dst = *src;
        }
    } else {
        for (dst, src) in block.iter_mut().zip(secret_key_bytes) {
            *dst = *src;
        }
    }
    let mut mac = <Hmac<Sha256> as KeyInit>::new(&(*block).into());
    mac.update(api_key.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_hmac_crate_for_every_key_length() {
        for len in [0usize, 1, 32, 63, 64, 65, 100, 200] {
            let key: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
            mac.update(b"sb_api_key_123");
            let expected = STANDARD.encode(mac.finalize().into_bytes());
            assert_eq!(sign("sb_api_key_123", &key), expected, "key length {len}");
        }
    }
}
