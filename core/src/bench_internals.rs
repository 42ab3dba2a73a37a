//! The receive path's stages, one by one, for the criterion benchmarks (`core/benches`).
//! Compiled only with the `bench-internals` feature; not part of the API.

use std::hint::black_box;

use crate::aead::AeadKey;
use crate::decided::{NONCE_LEN, TAG_LEN};
use crate::json::{parse_object, CheckOnly};

/// Parses an envelope and decodes its `data` (the first stage of a decrypt).
pub fn envelope_and_base64(body: &[u8]) -> usize {
    crate::envelope::parse(body, NONCE_LEN + TAG_LEN).map_or(0, |(_, data)| data.len())
}

/// Parses an envelope, keeping `data` as text (no base64 decode).
pub fn envelope_only(body: &[u8]) -> usize {
    crate::envelope::parse_text_only(body).unwrap_or(0)
}

/// Decodes strict standard base64 as the receiver does.
pub fn base64_decode(text: &[u8]) -> usize {
    crate::envelope::decode_base64(text).map_or(0, |d| d.len())
}

/// An AES-256-GCM key as the keyring holds it.
pub struct Key(AeadKey);

impl Key {
    /// A key for `secret`.
    pub fn new(secret: &[u8; 32]) -> Option<Key> {
        AeadKey::new(secret).ok().map(Key)
    }

    /// Seals in place (to make a valid input for [`Key::open`]); returns the tag.
    pub fn seal(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        data: &mut [u8],
    ) -> Option<[u8; TAG_LEN]> {
        self.0.seal_in_place(nonce, aad, data).ok()
    }

    /// Verifies and decrypts in place.
    pub fn open(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        data: &mut [u8],
        tag: [u8; TAG_LEN],
    ) -> bool {
        self.0
            .open_in_place(nonce, aad, black_box(data), 0, tag)
            .is_ok()
    }
}

/// Checks a payload as the receiver does (UTF-8 is checked separately, before).
pub fn payload_check(text: &str) -> bool {
    parse_object(text, &mut CheckOnly).is_ok()
}
