//! The receive path with its AES-GCM step run by the host (feature `host-aead`).
//!
//! Why: compiled to WebAssembly, the core's AES-GCM is `ring`'s constant-time software
//! implementation (about 40 MB/s here), while every edge runtime (workerd, Deno, Bun, browsers)
//! has WebCrypto's native AES-GCM (hundreds of MB/s, asynchronous). The edge build therefore
//! runs every check of [`WebhookReceiver::open_at`] in the core except the AES-GCM call:
//! [`WebhookReceiver::open_sealed_at`] checks size, envelope and key and hands out the nonce,
//! AAD and `ciphertext || tag` in the layout WebCrypto takes; the host decrypts; and
//! [`SealedWebhook::open_with`] takes the plaintext (or the host's refusal) back into the core,
//! which checks it as it checks its own, so both paths give the same webhook or error.
//!
//! The host needs the key: [`SealedWebhook::key_bytes`] exposes the secret of the key that
//! sealed this webhook, for the host to import once into its own non-extractable key object,
//! cached per [`SealedWebhook::key_generation`] (unique per key entry in this process, so a
//! key id re-added with another secret never reuses a stale key object).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use crate::decided::{NONCE_LEN, TAG_LEN};
use crate::error::WebhookError;
use crate::profile::TagPosition;
use crate::receiver::{Located, OpenedWebhook, Sealed, WebhookReceiver};
use crate::secret::SECRET_LEN;

static GENERATION: AtomicU64 = AtomicU64::new(1);

/// A new key-entry generation (never 0, never repeated in this process).
pub(crate) fn next_generation() -> u64 {
    GENERATION.fetch_add(1, Ordering::Relaxed)
}

/// A webhook whose envelope and key checked, waiting for the host's AES-GCM: see the module
/// documentation. Its `Debug` shows the key id only.
pub struct SealedWebhook {
    sealed: Sealed,
    /// `nonce || ciphertext || tag`, whatever the profile's tag position.
    data: Vec<u8>,
}

impl WebhookReceiver {
    /// Every check of [`WebhookReceiver::open_at`] up to AES-GCM (size, envelope, key), for a
    /// host that runs AES-GCM itself (see [`crate::host_aead`]).
    ///
    /// # Errors
    /// `BODY_TOO_LARGE`, `MALFORMED_ENVELOPE`, `UNKNOWN_KEY`, `DECRYPTION_FAILED` (data too
    /// short for a nonce and a tag).
    pub fn open_sealed_at(
        &self,
        body: &[u8],
        now: SystemTime,
    ) -> Result<SealedWebhook, WebhookError> {
        let Located {
            sealed, mut data, ..
        } = self.locate(body, now)?;
        if self.options().profile.tag_position() == TagPosition::BeforeCiphertext {
            // nonce || tag || ciphertext → nonce || ciphertext || tag, as WebCrypto takes it.
            if let Some(rest) = data.get_mut(NONCE_LEN..) {
                rest.rotate_left(TAG_LEN.min(rest.len()));
            }
        }
        Ok(SealedWebhook { sealed, data })
    }
}

impl SealedWebhook {
    /// The id of the key that sealed this webhook.
    pub fn key_id(&self) -> &str {
        &self.sealed.metadata.key_id
    }

    /// Unique per key entry in this process: a host caches its imported key under it.
    pub fn key_generation(&self) -> u64 {
        self.sealed.key.generation
    }

    /// The secret of the key that sealed this webhook, for the host's AES-GCM. Import it into
    /// a non-extractable key object once per [`SealedWebhook::key_generation`] and wipe the
    /// copy; never log it.
    pub fn key_bytes(&self) -> &[u8; SECRET_LEN] {
        self.sealed.key.secret.expose_bytes()
    }

    /// The 12-byte AES-GCM nonce (IV).
    pub fn nonce(&self) -> &[u8] {
        self.data.get(..NONCE_LEN).unwrap_or_default()
    }

    /// The additional authenticated data of the receiver's profile.
    pub fn aad(&self) -> &[u8] {
        &self.sealed.aad
    }

    /// `nonce || ciphertext || tag` in one slice: [`SealedWebhook::nonce`] followed by
    /// [`SealedWebhook::ciphertext_and_tag`], for a host that reads both from one place.
    pub fn nonce_ciphertext_and_tag(&self) -> &[u8] {
        &self.data
    }

    /// `ciphertext || tag` (16-byte tag last), as WebCrypto's AES-GCM `decrypt` takes it.
    pub fn ciphertext_and_tag(&self) -> &[u8] {
        self.data.get(NONCE_LEN..).unwrap_or_default()
    }

    /// The rest of [`WebhookReceiver::open_at`] after the host's AES-GCM: `Some(plaintext)`
    /// when the tag verified, `None` when the host refused it.
    ///
    /// # Errors
    /// `DECRYPTION_FAILED` (`None`), `PAYLOAD_NOT_JSON` (not UTF-8), `INTERNAL` when the
    /// plaintext's length is not the ciphertext's (a host bug).
    pub fn open_with(self, plaintext: Option<Vec<u8>>) -> Result<OpenedWebhook, WebhookError> {
        let Some(plaintext) = plaintext else {
            return Err(self.sealed.failed());
        };
        let expected = self.ciphertext_and_tag().len().saturating_sub(TAG_LEN);
        if plaintext.len() != expected {
            return Err(WebhookError::Internal {
                detail: format!(
                    "the host's AES-GCM returned {} bytes for {expected} bytes of ciphertext",
                    plaintext.len()
                ),
            });
        }
        self.sealed.opened(plaintext)
    }

    /// The rest of [`WebhookReceiver::open_at`] with the core's own AES-GCM, for a host that
    /// has none.
    ///
    /// # Errors
    /// `DECRYPTION_FAILED`, `PAYLOAD_NOT_JSON` (not UTF-8).
    pub fn open(self) -> Result<OpenedWebhook, WebhookError> {
        let SealedWebhook { sealed, mut data } = self;
        let tag_at = data.len().saturating_sub(TAG_LEN).max(NONCE_LEN);
        let nonce: Option<[u8; NONCE_LEN]> = data.get(..NONCE_LEN).and_then(|n| n.try_into().ok());
        let tag: Option<[u8; TAG_LEN]> = data.get(tag_at..).and_then(|t| t.try_into().ok());
        let (Some(nonce), Some(tag)) = (nonce, tag) else {
            return Err(sealed.failed());
        };
        let region = data.get_mut(..tag_at).ok_or_else(|| sealed.failed())?;
        let len = sealed
            .key
            .cipher
            .open_in_place(nonce, &sealed.aad, region, NONCE_LEN, tag)
            .map_err(|_| sealed.failed())?;
        data.truncate(len);
        sealed.opened(data)
    }
}

impl std::fmt::Debug for SealedWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedWebhook")
            .field("key_id", &self.key_id())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};

    use super::*;
    use crate::json::CheckOnly;
    use crate::{seal, Keyring, ReceiverOptions, WebhookMetadata, WebhookSecret, WireProfile};

    const KEY: &str = "whk_20251021_01";

    fn metadata() -> WebhookMetadata {
        WebhookMetadata {
            id: "wh_1".into(),
            event_type: "WORKFLOW_CREATED".into(),
            timestamp: "2025-10-21T10:00:00Z".into(),
            account_id: "lv_1".into(),
            schema_version: "2025-11-21".into(),
            key_id: KEY.into(),
        }
    }

    fn receiver(profile: &WireProfile, secret: &WebhookSecret) -> WebhookReceiver {
        let keyring = Keyring::new();
        keyring.add(KEY, secret).unwrap();
        let options = ReceiverOptions {
            profile: profile.clone(),
            ..ReceiverOptions::default()
        };
        WebhookReceiver::with_options(keyring, options)
    }

    /// The host's AES-GCM, as the edge build runs it on WebCrypto: key bytes, the nonce and
    /// `ciphertext || tag` cut from the one `nonce || ciphertext || tag` slice, AAD.
    fn host_decrypt(sealed: &SealedWebhook) -> Option<Vec<u8>> {
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, sealed.key_bytes()).unwrap());
        let (nonce, data) = sealed.nonce_ciphertext_and_tag().split_at(NONCE_LEN);
        assert_eq!((nonce, data), (sealed.nonce(), sealed.ciphertext_and_tag()));
        let mut in_out = data.to_vec();
        let nonce = Nonce::try_assume_unique_for_key(nonce).unwrap();
        let len = key
            .open_in_place(nonce, Aad::from(sealed.aad()), &mut in_out)
            .ok()?
            .len();
        in_out.truncate(len);
        Some(in_out)
    }

    fn payload(opened: OpenedWebhook) -> String {
        let (webhook, ()) = opened.parse_into(&mut CheckOnly).ok().unwrap();
        webhook.payload_str().to_owned()
    }

    fn profiles() -> Vec<WireProfile> {
        let before =
            WireProfile::from_names::<&str>("before", Some("before_ciphertext"), None, None);
        vec![WireProfile::default(), before.unwrap()]
    }

    #[test]
    fn the_host_path_gives_the_same_webhook_as_the_core_for_every_tag_position() {
        let secret = WebhookSecret::generate().unwrap();
        for profile in profiles() {
            let receiver = receiver(&profile, &secret);
            let body = seal(&metadata(), br#"{"a":[1,"x"]}"#, &secret, &profile)
                .unwrap()
                .body(0);
            let now = SystemTime::now();
            let sealed = receiver.open_sealed_at(&body, now).unwrap();
            assert_eq!(sealed.key_id(), KEY);
            assert_eq!(sealed.nonce().len(), NONCE_LEN);
            let plaintext = host_decrypt(&sealed).expect("tag verifies");
            assert_eq!(
                payload(sealed.open_with(Some(plaintext)).unwrap()),
                r#"{"a":[1,"x"]}"#
            );
            let core = receiver.open_sealed_at(&body, now).unwrap().open().unwrap();
            assert_eq!(payload(core), r#"{"a":[1,"x"]}"#);
            assert_eq!(
                payload(receiver.open_at(&body, now).unwrap()),
                r#"{"a":[1,"x"]}"#
            );
        }
    }

    #[test]
    fn a_refused_tag_is_decryption_failed_in_both_paths() {
        let secret = WebhookSecret::generate().unwrap();
        let other = WebhookSecret::generate().unwrap();
        for profile in profiles() {
            let body = seal(&metadata(), b"{}", &other, &profile).unwrap().body(0);
            let receiver = receiver(&profile, &secret);
            let sealed = receiver.open_sealed_at(&body, SystemTime::now()).unwrap();
            assert!(host_decrypt(&sealed).is_none());
            let err = sealed.open_with(None).unwrap_err();
            assert_eq!(err.code().as_str(), "DECRYPTION_FAILED");
            let sealed = receiver.open_sealed_at(&body, SystemTime::now()).unwrap();
            assert_eq!(
                sealed.open().unwrap_err().code().as_str(),
                "DECRYPTION_FAILED"
            );
        }
    }

    #[test]
    fn a_plaintext_of_the_wrong_length_is_internal_and_bad_utf8_is_payload_not_json() {
        let secret = WebhookSecret::generate().unwrap();
        let profile = WireProfile::default();
        let body = seal(&metadata(), b"{}", &secret, &profile).unwrap().body(0);
        let receiver = receiver(&profile, &secret);
        let sealed = receiver.open_sealed_at(&body, SystemTime::now()).unwrap();
        let err = sealed.open_with(Some(b"{}{}".to_vec())).unwrap_err();
        assert_eq!(err.code().as_str(), "INTERNAL");
        let sealed = receiver.open_sealed_at(&body, SystemTime::now()).unwrap();
        let err = sealed.open_with(Some(vec![0xff, 0xfe])).unwrap_err();
        assert_eq!(err.code().as_str(), "PAYLOAD_NOT_JSON");
    }

    #[test]
    fn checks_before_aes_gcm_are_the_core_s_and_the_debug_form_has_no_secret() {
        let secret = WebhookSecret::generate().unwrap();
        let receiver = receiver(&WireProfile::default(), &secret);
        let unknown = seal(
            &WebhookMetadata {
                key_id: "whk_20251021_02".into(),
                ..metadata()
            },
            b"{}",
            &secret,
            &WireProfile::default(),
        )
        .unwrap()
        .body(0);
        let now = SystemTime::now();
        let err = receiver.open_sealed_at(&unknown, now).unwrap_err();
        assert_eq!(err.code().as_str(), "UNKNOWN_KEY");
        let err = receiver.open_sealed_at(b"[]", now).unwrap_err();
        assert_eq!(err.code().as_str(), "MALFORMED_ENVELOPE");
        let body = seal(&metadata(), b"{}", &secret, &WireProfile::default())
            .unwrap()
            .body(0);
        let sealed = receiver.open_sealed_at(&body, now).unwrap();
        let debug = format!("{sealed:?}");
        assert!(debug.contains(KEY));
        assert!(!debug.contains(&format!("{:?}", &sealed.key_bytes()[..4])));
    }

    #[test]
    fn each_key_entry_has_its_own_generation() {
        let (a, b) = (
            WebhookSecret::generate().unwrap(),
            WebhookSecret::generate().unwrap(),
        );
        let profile = WireProfile::default();
        let first = receiver(&profile, &a);
        let body_a = seal(&metadata(), b"{}", &a, &profile).unwrap().body(0);
        let now = SystemTime::now();
        let g1 = first.open_sealed_at(&body_a, now).unwrap().key_generation();
        assert_eq!(
            g1,
            first.open_sealed_at(&body_a, now).unwrap().key_generation()
        );
        let second = receiver(&profile, &b);
        let body_b = seal(&metadata(), b"{}", &b, &profile).unwrap().body(0);
        assert_ne!(
            g1,
            second
                .open_sealed_at(&body_b, now)
                .unwrap()
                .key_generation()
        );
    }
}
