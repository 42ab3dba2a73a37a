//! AES-256-GCM for the receiver and the sealer, on `ring` (BoringSSL's assembly: AES-NI /
//! VAES with CLMUL on x86-64, the ARMv8 crypto extensions on ARM, a constant-time fallback
//! elsewhere). Chosen over RustCrypto's `aes-gcm` for speed: several times its throughput on
//! this project's machine, and above OpenSSL's own `openssl speed` figure (the measured
//! figures are in docs/benchmarks.md, the one place they are quoted). `ring` builds for every target the bindings ship (Linux, macOS,
//! Windows, iOS, Android) with only a C compiler.
//!
//! `ring` does not wipe its key schedule when a key is dropped, so [`AeadKey`] does: the
//! expanded AES round keys and the GHASH table hold the secret (the AES key schedule can be
//! inverted), and the project's rule is that secrets are wiped when dropped.

use std::mem::ManuallyDrop;

use ring::aead::{Aad, LessSafeKey, Nonce, Tag, UnboundKey, AES_256_GCM};

use crate::decided::{NONCE_LEN, TAG_LEN};
use crate::error::WebhookError;
use crate::secret::SECRET_LEN;

/// An AES-256-GCM key, wiped from memory when dropped.
pub(crate) struct AeadKey {
    // ManuallyDrop: `Drop` below drops it in place, then zeroes its bytes.
    key: ManuallyDrop<LessSafeKey>,
}

/// The tag did not verify (or the input was too long for GCM).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refused;

impl AeadKey {
    /// A key for `secret`. `ring` refuses only a key of the wrong length (never, for
    /// SECRET_LEN bytes), or a CPU feature-detection failure: `INTERNAL` then.
    pub(crate) fn new(secret: &[u8; SECRET_LEN]) -> Result<AeadKey, WebhookError> {
        let key = UnboundKey::new(&AES_256_GCM, secret).map_err(|_| WebhookError::Internal {
            detail: "the AES-256-GCM implementation refused a 32-byte key".into(),
        })?;
        Ok(AeadKey {
            key: ManuallyDrop::new(LessSafeKey::new(key)),
        })
    }

    /// If `tag` verifies over `in_out[ciphertext_at..]` and `aad`, decrypts it to the START
    /// of `in_out` (shifting it down by `ciphertext_at` bytes in the same pass, so no later
    /// copy is needed) and returns the plaintext's length.
    pub(crate) fn open_in_place(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
        ciphertext_at: usize,
        tag: [u8; TAG_LEN],
    ) -> Result<usize, Refused> {
        self.key
            .open_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                Tag::from(tag),
                in_out,
                ciphertext_at..,
            )
            .map(|plaintext| plaintext.len())
            .map_err(|_| Refused)
    }

    /// Encrypts `plaintext` in place; returns the tag.
    pub(crate) fn seal_in_place(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        plaintext: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Refused> {
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                plaintext,
            )
            .map_err(|_| Refused)?;
        tag.as_ref().try_into().map_err(|_| Refused)
    }
}

impl Drop for AeadKey {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        let key: *mut LessSafeKey = &mut *self.key;
        // SAFETY: `key` points to a valid, initialised `LessSafeKey` we own, which is dropped
        // exactly once here (ManuallyDrop keeps the compiler from dropping it again) and never
        // read afterwards. `zeroize_flat_type` then overwrites the bytes it occupied with
        // volatile writes: the AES round keys and the GHASH table are stored inline (ring's
        // AEAD keys own no heap memory), so this wipes the key schedule. Writing zeros over a
        // value that is never used again is sound whatever its type's validity invariant.
        unsafe {
            std::ptr::drop_in_place(key);
            zeroize::zeroize_flat_type(key);
        }
    }
}

impl std::fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AeadKey([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let key = AeadKey::new(&[9; SECRET_LEN]).unwrap();
        let mut data = b"hello webhook".to_vec();
        let tag = key
            .seal_in_place([1; NONCE_LEN], b"aad", &mut data)
            .unwrap();
        assert_ne!(&data[..], b"hello webhook");
        let sealed = data.clone();
        assert_eq!(
            key.open_in_place([1; NONCE_LEN], b"aad", &mut data, 0, tag),
            Ok(13)
        );
        assert_eq!(&data[..], b"hello webhook");
        // Opening at an offset leaves the plaintext at the start.
        let mut shifted = [&[0xee; 5][..], &sealed[..]].concat();
        assert_eq!(
            key.open_in_place([1; NONCE_LEN], b"aad", &mut shifted, 5, tag),
            Ok(13)
        );
        assert_eq!(&shifted[..13], b"hello webhook");
        for (nonce, aad, flip_tag) in [
            ([2; NONCE_LEN], &b"aad"[..], false),
            ([1; NONCE_LEN], &b"aaD"[..], false),
            ([1; NONCE_LEN], &b"aad"[..], true),
        ] {
            let mut data = sealed.clone();
            let mut t = tag;
            if flip_tag {
                t[15] ^= 1;
            }
            assert_eq!(key.open_in_place(nonce, aad, &mut data, 0, t), Err(Refused));
        }
        let other = AeadKey::new(&[8; SECRET_LEN]).unwrap();
        let mut data = sealed;
        assert_eq!(
            other.open_in_place([1; NONCE_LEN], b"aad", &mut data, 0, tag),
            Err(Refused)
        );
    }

    #[test]
    #[allow(unsafe_code)]
    fn the_key_schedule_is_zeroed_when_dropped() {
        use std::mem::{size_of, ManuallyDrop};
        let mut slot = ManuallyDrop::new(AeadKey::new(&[0x5a; SECRET_LEN]).unwrap());
        let bytes = |slot: &ManuallyDrop<AeadKey>| -> Vec<u8> {
            let p = (&**slot as *const AeadKey).cast::<u8>();
            // SAFETY: reads the bytes of a live local; every byte of a `ring` key is
            // initialised (arrays of integers), and after the drop below zeroize has written
            // every byte of it.
            (0..size_of::<AeadKey>())
                .map(|i| unsafe { std::ptr::read_volatile(p.add(i)) })
                .collect()
        };
        let before = bytes(&slot);
        // AES-256's first two round keys are the key itself: the schedule is stored inline.
        assert!(
            before
                .windows(SECRET_LEN)
                .any(|w| w.iter().all(|b| *b == 0x5a)),
            "the key schedule is not where the test looks"
        );
        // SAFETY: dropped once, never used again (only its bytes are read).
        unsafe { ManuallyDrop::drop(&mut slot) };
        let after = bytes(&slot);
        assert!(
            after.iter().all(|b| *b == 0),
            "{} bytes left",
            after.iter().filter(|b| **b != 0).count()
        );
    }

    #[test]
    fn debug_is_redacted() {
        assert_eq!(
            format!("{:?}", AeadKey::new(&[1; SECRET_LEN]).unwrap()),
            "AeadKey([REDACTED])"
        );
    }
}
