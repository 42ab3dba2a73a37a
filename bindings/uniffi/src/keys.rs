//! Webhook secrets and keyrings: thin objects over the core's [`kompliant_webhooks::Keyring`]
//! and [`kompliant_webhooks::WebhookSecret`]. Their `toString()` / `description` never shows
//! secret bytes.

use std::fmt;
use std::sync::Arc;

use crate::error::KompliantError;

/// A webhook shared secret (the 32-byte AES-256-GCM key). `toString()` / `description` prints
/// `WebhookSecret([REDACTED])`; the Rust copy of the bytes is wiped when the object is freed.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct WebhookSecret(pub(crate) kompliant_webhooks::WebhookSecret);

#[uniffi::export]
impl WebhookSecret {
    /// Decodes a secret from standard padded base64 (as `webhook.key.create` returns it);
    /// surrounding whitespace is ignored.
    ///
    /// Throws `INVALID_KEY` if the text is not base64 of exactly 32 bytes (the message gives
    /// the decoded length, never the secret).
    #[uniffi::constructor]
    pub fn from_base64(text: String) -> Result<Arc<Self>, KompliantError> {
        Ok(Arc::new(WebhookSecret(
            kompliant_webhooks::WebhookSecret::from_base64(&text)?,
        )))
    }

    /// A secret from its 32 raw bytes. Throws `INVALID_KEY` for any other length.
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>, KompliantError> {
        Ok(Arc::new(WebhookSecret(
            kompliant_webhooks::WebhookSecret::from_bytes(&bytes)?,
        )))
    }

    /// A fresh random secret from the operating system's generator (for tests and fixtures).
    /// Throws `INTERNAL` if the generator fails.
    #[uniffi::constructor]
    pub fn generate() -> Result<Arc<Self>, KompliantError> {
        Ok(Arc::new(WebhookSecret(
            kompliant_webhooks::WebhookSecret::generate()?,
        )))
    }

    /// The secret as standard padded base64. Only for handing it to a secret store; never
    /// log it.
    pub fn to_base64(&self) -> String {
        self.0.to_base64().to_string()
    }
}

impl fmt::Display for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// The webhook keys a receiver accepts, by key id (several at once, so a rotation never drops
/// a webhook). Thread-safe; a receiver built on a keyring sees keys added to it later.
/// `toString()` / `description` lists the key ids and prints `[REDACTED]` for the secrets.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct Keyring(pub(crate) kompliant_webhooks::Keyring);

#[uniffi::export]
impl Keyring {
    /// An empty keyring.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Keyring(kompliant_webhooks::Keyring::new()))
    }

    /// A keyring from a JSON object `{"whk_20251021_01": "<base64 secret>", ...}`.
    ///
    /// Throws `INVALID_KEY` if the text is not such an object or any key id or secret is
    /// invalid (messages never quote the secrets).
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Self>, KompliantError> {
        Ok(Arc::new(Keyring(kompliant_webhooks::Keyring::from_json(
            &json,
        )?)))
    }

    /// A keyring from a JSON file (see `fromJson`). Throws `IO_ERROR` if the file cannot be
    /// read, otherwise as `fromJson`.
    #[uniffi::constructor]
    pub fn from_file(path: String) -> Result<Arc<Self>, KompliantError> {
        Ok(Arc::new(Keyring(kompliant_webhooks::Keyring::from_file(
            path,
        )?)))
    }

    /// A keyring from every `KOMPLIANT_WEBHOOK_SECRET_<YYYYMMDD>_<NN>` environment variable
    /// of the process (key id `whk_<YYYYMMDD>_<NN>`). Throws `INVALID_KEY` for a variable
    /// with the prefix but a bad suffix or value (a typo must not silently drop a key).
    #[uniffi::constructor]
    pub fn from_env() -> Result<Arc<Self>, KompliantError> {
        Ok(Arc::new(Keyring(kompliant_webhooks::Keyring::from_env()?)))
    }

    /// Adds (or replaces) the key `keyId` from its base64 secret. Throws `INVALID_KEY` for a
    /// bad key id or a secret that is not base64 of exactly 32 bytes.
    pub fn add(&self, key_id: String, secret_base64: String) -> Result<(), KompliantError> {
        Ok(self.0.add_base64(&key_id, &secret_base64)?)
    }

    /// Adds (or replaces) the key `keyId` with `secret`. Throws `INVALID_KEY` for a bad key id.
    pub fn add_secret(
        &self,
        key_id: String,
        secret: Arc<WebhookSecret>,
    ) -> Result<(), KompliantError> {
        Ok(self.0.add(&key_id, &secret.0)?)
    }

    /// Removes the key `keyId`; returns whether it was present.
    pub fn remove(&self, key_id: String) -> bool {
        self.0.remove(&key_id)
    }

    /// Whether the keyring holds `keyId`.
    pub fn contains(&self, key_id: String) -> bool {
        self.0.contains(&key_id)
    }

    /// The key ids held, sorted.
    pub fn key_ids(&self) -> Vec<String> {
        self.0.key_ids()
    }

    /// Whether the keyring holds no key.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keyring({:?})", self.0)
    }
}

/// Adds `keyId` to the JSON keyring file at `path` (the file `Keyring.fromFile` reads),
/// creating it if needed: written atomically (temporary file + rename), mode 0600, under an
/// OS file lock (`.<name>.lock` beside the file) shared by every process, so concurrent
/// additions all survive. Use it as the store step of a rotation when receivers load keys
/// from a file.
///
/// Throws `INVALID_KEY` for a bad key id or secret, an existing file that is not a valid
/// keyring, or a different secret for a key id the file holds; `IO_ERROR` if the file cannot
/// be read or written.
#[uniffi::export]
pub fn add_to_keyring_file(
    path: String,
    key_id: String,
    secret_base64: String,
) -> Result<(), KompliantError> {
    let secret = kompliant_webhooks::WebhookSecret::from_base64(&secret_base64)?;
    Ok(kompliant_webhooks::add_to_keyring_file(
        path, &key_id, &secret,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_never_shows_the_secret() -> Result<(), KompliantError> {
        let b64 = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=";
        let secret = WebhookSecret::from_base64(b64.into())?;
        assert_eq!(secret.to_string(), "WebhookSecret([REDACTED])");
        let keyring = Keyring::new();
        keyring.add("whk_20251021_01".into(), b64.into())?;
        let text = keyring.to_string();
        assert!(text.contains("whk_20251021_01") && text.contains("[REDACTED]"));
        assert!(!text.contains(b64));
        Ok(())
    }
}
