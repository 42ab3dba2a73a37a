//! Key rotation: create → store → probe → activate, never activating a key whose secret the
//! caller did not store.

use std::fmt;

use serde::Serialize;
use zeroize::Zeroizing;

use crate::client::error::ApiError;
use crate::client::KompliantClient;
use crate::envelope::WebhookMetadata;
use crate::error::{bounded, ErrorCode, WebhookError};
use crate::keyring::Keyring;
use crate::profile::WireProfile;
use crate::receiver::WebhookReceiver;
use crate::secret::WebhookSecret;

/// The result of [`KompliantClient::rotate_webhook_key`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Rotation {
    /// The key created, stored and now ACTIVE.
    pub new_key_id: String,
    /// The key the activation moved to DELETED, when the server says so (a SIMULATOR
    /// EXTENSION: may be `None` against the real service, see
    /// [`ActivatedWebhookKey::previous_key_id`](crate::client::ActivatedWebhookKey::previous_key_id)).
    /// Keep that key in receivers' keyrings for the retry horizon: redeliveries still use it.
    pub previous_key_id: Option<String>,
    /// Activation time, as sent.
    pub activated_at: String,
}

/// The probe payload sealed and decrypted with the new key before it is activated.
const PROBE_PAYLOAD: &[u8] = br#"{"version":"1.0","probe":"kompliant-webhooks key rotation"}"#;

/// A rotation between its two phases: the key is created (INACTIVE) and its secret is
/// here, waiting to be stored by the caller. Made by [`KompliantClient::start_rotation`];
/// finished by [`PendingRotation::finish`] once the secret is stored, or abandoned with
/// [`PendingRotation::store_failed`]. Bindings whose store step is asynchronous (a JS
/// Promise, a Kotlin `suspend` function) drive these two phases themselves; Rust callers use
/// [`KompliantClient::rotate_webhook_key`], which runs both around a closure.
///
/// `Debug` never shows the secret.
#[derive(Debug)]
pub struct PendingRotation {
    client: KompliantClient,
    key_id: String,
    secret: WebhookSecret,
}

impl PendingRotation {
    /// The new key's id.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The new key's secret, to store where receivers load keys from.
    pub fn secret(&self) -> &WebhookSecret {
        &self.secret
    }

    /// Phase two, once the secret is stored: the local probe, then `webhook.key.activate`.
    ///
    /// # Errors
    /// `INVALID_RESPONSE` if the new key id cannot be used in a keyring; any error of the
    /// activate call, with a message saying the key was created and stored but not activated
    /// (activating it again later with [`KompliantClient::activate_webhook_key`] is safe).
    pub fn finish(self) -> Result<Rotation, ApiError> {
        let key_id = self.key_id.as_str();
        probe(key_id, &self.secret)?;
        let activated = self.client.activate_webhook_key(key_id).map_err(|e| {
            e.with_context(&format!(
                "new key {} was created and stored but NOT activated (activating it again is safe)",
                bounded(key_id.to_owned())
            ))
        })?;
        Ok(Rotation {
            new_key_id: activated.key_id,
            previous_key_id: activated.previous_key_id,
            activated_at: activated.activated_at,
        })
    }

    /// Abandons the rotation because the caller could not store the secret: the key stays
    /// INACTIVE and unused (it counts against the daily quota). Returns the `STORE_FAILED`
    /// error to report, naming the new key id and the store's error.
    ///
    /// The store's error text is quoted with the new secret (in every base64 spelling) and
    /// the client's credentials masked, control characters removed and its length bounded:
    /// a secret manager's error that echoes its input must not put the secret in logs.
    pub fn store_failed(self, store_error: &dyn fmt::Display) -> ApiError {
        let spellings = self.secret.spellings();
        let redactor = self
            .client
            .redactor()
            .with(spellings.iter().map(|s| s.as_str()));
        let quoted = Zeroizing::new(store_error.to_string());
        ApiError::new(
            ErrorCode::StoreFailed,
            format!(
                "new key {} was created but storing its secret failed, so it was NOT activated: {}",
                bounded(self.key_id.clone()),
                redactor.excerpt(quoted.as_bytes())
            ),
        )
    }
}

impl KompliantClient {
    /// Phase one of a rotation: `webhook.key.create` (retried only if the request provably
    /// never reached the server). Store [`PendingRotation::secret`], then call
    /// [`PendingRotation::finish`].
    ///
    /// # Errors
    /// Any error of the create call (e.g. `DAILY_KEY_LIMIT`); `INVALID_RESPONSE` if the new
    /// key id is not one a keyring accepts.
    pub fn start_rotation(&self, account_id: &str) -> Result<PendingRotation, ApiError> {
        let created = self.create_webhook_key(account_id)?;
        // A key id no keyring accepts is refused before anything is stored under it.
        crate::keyring::check_key_id(&created.key_id).map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidResponse,
                format!("webhook.key.create returned a key id receivers cannot use, so it was neither stored nor activated: {e}"),
            )
        })?;
        Ok(PendingRotation {
            client: self.clone(),
            key_id: created.key_id,
            secret: created.secret,
        })
    }

    /// Rotates the account's webhook key:
    ///
    /// 1. `webhook.key.create` (retried only if the request provably never reached the server);
    /// 2. `store(key_id, &secret)`: the caller puts the secret where its receivers load keys
    ///    from (a secret manager, a keyring file, ...);
    /// 3. a local probe: a small payload is sealed for the new key id with [`crate::seal`] and
    ///    decrypted through a fresh [`Keyring`] and [`WebhookReceiver`], proving that the
    ///    secret and key id work with this SDK's receive path;
    /// 4. `webhook.key.activate` (safe to retry): from now on Kompliant encrypts webhooks with
    ///    the new key, and the previous key becomes DELETED.
    ///
    /// A key whose secret was not stored is never activated. Deploy the stored key to every
    /// receiver before calling this if receivers do not reload keys by themselves: webhooks
    /// sealed with a key a receiver lacks are answered 503 and redelivered later.
    ///
    /// # Errors
    /// Any error of the create call (e.g. `DAILY_KEY_LIMIT`); `STORE_FAILED` if `store`
    /// fails (its message names the new key id and the store's error; the key stays
    /// INACTIVE, unused, and counts against the daily quota); then as
    /// [`PendingRotation::finish`].
    pub fn rotate_webhook_key<F, E>(&self, account_id: &str, store: F) -> Result<Rotation, ApiError>
    where
        F: FnOnce(&str, &WebhookSecret) -> Result<(), E>,
        E: fmt::Display,
    {
        let pending = self.start_rotation(account_id)?;
        match store(pending.key_id(), pending.secret()) {
            Ok(()) => pending.finish(),
            Err(e) => Err(pending.store_failed(&e)),
        }
    }
}

/// Seals a probe payload for `key_id` and decrypts it with a fresh keyring and receiver.
fn probe(key_id: &str, secret: &WebhookSecret) -> Result<(), ApiError> {
    let failed = |e: WebhookError| {
        let code = match e.code() {
            // The server's key id is unusable in a keyring: nobody could receive with it.
            ErrorCode::InvalidKey => ErrorCode::InvalidResponse,
            _ => ErrorCode::Internal,
        };
        ApiError::new(
            code,
            format!(
                "new key {} was stored but failed the local encrypt/decrypt probe, so it was NOT activated: {e}",
                bounded(key_id.to_owned())
            ),
        )
    };
    let metadata = WebhookMetadata {
        id: "wh_rotationprobe0000000000".into(),
        event_type: "KEY_ROTATION_PROBE".into(),
        timestamp: "2025-01-01T00:00:00Z".into(),
        account_id: "sb_rotation_probe".into(),
        schema_version: crate::decided::SCHEMA_VERSION.into(),
        key_id: key_id.to_owned(),
    };
    let keyring = Keyring::new();
    keyring.add(key_id, secret).map_err(failed)?;
    let sealed = crate::seal::seal(&metadata, PROBE_PAYLOAD, secret, &WireProfile::default())
        .map_err(failed)?;
    let webhook = WebhookReceiver::new(keyring)
        .decrypt(&sealed.body(0))
        .map_err(failed)?;
    if webhook.payload_str().as_bytes() == PROBE_PAYLOAD && webhook.key_id() == key_id {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::Internal,
            format!(
                "new key {} decrypted the probe to something else, so it was NOT activated",
                bounded(key_id.to_owned())
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_accepts_a_good_key_and_refuses_an_unusable_key_id() {
        let secret = WebhookSecret::generate().unwrap();
        probe("whk_20251121_01", &secret).unwrap();
        let e = probe("whk bad id", &secret).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidResponse);
        assert!(e.to_string().contains("NOT activated"));
    }
}
