//! The receive path: [`WebhookReceiver`] (raw body in, verified [`Webhook`] out) and its
//! options.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use kompliant_webhooks as core;

use crate::error::KompliantError;
use crate::keyring::Keyring;
use crate::profile::{profile_or_default, WireProfile};
use crate::webhook::Webhook;

/// How a [`WebhookReceiver`] checks webhooks. Every field is optional; an absent one takes the
/// SDK default (the documented behaviour).
#[derive(Debug, Clone, PartialEq, Eq, Default, uniffi::Record)]
pub struct ReceiverOptions {
    /// The wire profile (default `kompliant-2025-11-21`): a built-in one
    /// (`WireProfile.named(...)`) or one of your own (`WireProfile.fromNames(...)`).
    #[uniffi(default = None)]
    pub profile: Option<Arc<WireProfile>>,
    /// Largest body accepted, in bytes (default 8 MiB); larger bodies are refused unread. 0 is
    /// `INVALID_CONFIGURATION` (every webhook would be refused).
    #[uniffi(default = None)]
    pub max_body_bytes: Option<u64>,
    /// Refuse webhooks whose `timestamp` is older than this. Off by default: redeliveries
    /// arrive days after the event.
    #[uniffi(default = None)]
    pub max_age: Option<Duration>,
    /// Refuse webhooks whose `timestamp` is further than this in the future. Off by default.
    #[uniffi(default = None)]
    pub max_future_skew: Option<Duration>,
}

impl ReceiverOptions {
    /// The core's options, checked by the core (`ReceiverOptions::check`).
    fn to_core(&self) -> Result<core::ReceiverOptions, KompliantError> {
        let mut options = core::ReceiverOptions {
            profile: profile_or_default(self.profile.as_deref()),
            max_age: self.max_age,
            max_future_skew: self.max_future_skew,
            ..core::ReceiverOptions::default()
        };
        if let Some(max) = self.max_body_bytes {
            // On 32-bit targets a limit above usize::MAX is no limit at all.
            options.max_body_bytes = usize::try_from(max).unwrap_or(usize::MAX);
        }
        options.check()?;
        Ok(options)
    }
}

/// Decrypts and verifies webhook bodies with the keys of a [`Keyring`]. Thread-safe; keys
/// added to the keyring later are used at once.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct WebhookReceiver(pub(crate) core::WebhookReceiver);

#[uniffi::export]
impl WebhookReceiver {
    /// A receiver over `keyring` (shared, not copied) with `options` (default: the documented
    /// behaviour). Throws `INVALID_CONFIGURATION` if `maxBodyBytes` is 0.
    #[uniffi::constructor(default(options = None))]
    pub fn new(
        keyring: Arc<Keyring>,
        options: Option<ReceiverOptions>,
    ) -> Result<Arc<Self>, KompliantError> {
        let options = options.unwrap_or_default().to_core()?;
        Ok(Arc::new(WebhookReceiver(
            core::WebhookReceiver::with_options(keyring.0.clone(), options),
        )))
    }

    /// Decrypts and verifies one raw request body: pass the bytes received, unchanged. (The
    /// wire profile authenticates the decoded envelope fields, so what fails is a body that
    /// was altered or truncated, decoded with a wrong charset, or rebuilt from a model that
    /// dropped or changed fields.)
    ///
    /// Throws `BODY_TOO_LARGE`, `MALFORMED_ENVELOPE`, `UNKNOWN_KEY`, `DECRYPTION_FAILED`,
    /// `PAYLOAD_NOT_JSON`, or `TIMESTAMP_OUT_OF_RANGE` (only with a time window configured).
    /// Answer the sender with the error's `httpStatus()` and `publicMessage()`.
    pub fn decrypt(&self, body: Vec<u8>) -> Result<Webhook, KompliantError> {
        Ok(Webhook(self.0.decrypt(&body)?))
    }

    /// As `decrypt`, with the time window checked against `now` instead of the clock (replay
    /// a captured webhook as of a given time).
    pub fn decrypt_at(&self, body: Vec<u8>, now: SystemTime) -> Result<Webhook, KompliantError> {
        Ok(Webhook(self.0.decrypt_at(&body, now)?))
    }

    /// The keyring this receiver reads (shared: adding to it affects this receiver).
    pub fn keyring(&self) -> Arc<Keyring> {
        Arc::new(Keyring(self.0.keyring().clone()))
    }
}

impl fmt::Display for WebhookReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let options = self.0.options();
        write!(
            f,
            "WebhookReceiver(profile: {}, max_body_bytes: {}, keyring: {:?})",
            options.profile.name(),
            options.max_body_bytes,
            self.0.keyring()
        )
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, UserType};
    use crate::keyring::WebhookSecret;
    use crate::seal::seal_webhook;
    use crate::webhook::WebhookMetadata;

    fn metadata(event_type: &str) -> WebhookMetadata {
        WebhookMetadata {
            id: "wh_2x8mKq9vNcR4tLpW7yJhBd".into(),
            event_type: event_type.into(),
            timestamp: "2025-11-21T14:30:22.123Z".into(),
            account_id: "sb_123".into(),
            schema_version: "2025-11-21".into(),
            key_id: "whk_20251121_01".into(),
        }
    }

    #[test]
    fn sealed_webhooks_open_with_typed_views() -> Result<(), KompliantError> {
        let secret = WebhookSecret::generate()?;
        let keyring = Keyring::new();
        keyring.add_secret("whk_20251121_01".into(), Arc::clone(&secret))?;
        let receiver = WebhookReceiver::new(keyring, None)?;
        let payload = r#"{"version":"1.0","subject_record_id":"sr_1","user_context":{"user_id":"u","user_type":"ROBOT"},"workflow_id":"w_1","workflow_type":"BUSINESS_APPLICATION"}"#;
        let sealed = seal_webhook(metadata("WORKFLOW_STARTED"), payload.into(), secret, None)?;
        let webhook = receiver.decrypt(sealed.body(3))?.0;
        assert_eq!(webhook.retry_count(), 3);
        assert_eq!(webhook.payload_str(), payload);
        assert_eq!(
            WebhookMetadata::from(webhook.metadata().clone()),
            metadata("WORKFLOW_STARTED")
        );
        let event = crate::webhook::parse_event(webhook.event_type().into(), payload.into())?;
        let Event::Workflow { workflow } = event else {
            return Err(KompliantError::internal("not a workflow view"));
        };
        assert_eq!(workflow.workflow_id, "w_1");
        assert_eq!(
            workflow.user_context.user_type,
            UserType::Other {
                value: "ROBOT".into()
            }
        );
        Ok(())
    }

    #[test]
    fn unusable_profiles_and_options_are_configuration_errors() {
        let code = |r: Result<Arc<WebhookReceiver>, KompliantError>| r.err().map(|e| e.code());
        let invalid = Some("INVALID_CONFIGURATION".to_owned());
        assert_eq!(
            WireProfile::named("nope".into()).err().map(|e| e.code()),
            invalid
        );
        let bad_field = WireProfile::from_names("x".into(), None, Some(vec!["nope".into()]), None);
        assert_eq!(bad_field.err().map(|e| e.code()), invalid);
        let zero = ReceiverOptions {
            max_body_bytes: Some(0),
            ..ReceiverOptions::default()
        };
        assert_eq!(
            code(WebhookReceiver::new(Keyring::new(), Some(zero))),
            invalid
        );
    }

    #[test]
    fn custom_profiles_round_trip_and_describe_themselves() -> Result<(), KompliantError> {
        let profile = WireProfile::from_names(
            "custom".into(),
            Some("before_ciphertext".into()),
            Some(vec!["id".into(), "key_id".into()]),
            Some(";".into()),
        )?;
        assert_eq!(profile.aad_fields(), ["id", "key_id"]);
        assert_eq!(
            profile.to_string(),
            r#"WireProfile(custom, tag before_ciphertext, aad "id;key_id")"#
        );
        let secret = WebhookSecret::generate()?;
        let keyring = Keyring::new();
        keyring.add_secret("whk_20251121_01".into(), Arc::clone(&secret))?;
        let sealed = seal_webhook(
            metadata("DOCUMENT_UPLOADED"),
            b"{}".to_vec(),
            secret,
            Some(Arc::clone(&profile)),
        )?;
        let options = ReceiverOptions {
            profile: Some(profile),
            ..ReceiverOptions::default()
        };
        let custom = WebhookReceiver::new(Arc::clone(&keyring), Some(options))?;
        assert_eq!(custom.decrypt(sealed.body(0))?.0.id(), metadata("x").id);
        let default = WebhookReceiver::new(keyring, None)?;
        assert_eq!(
            default.decrypt(sealed.body(0)).err().map(|e| e.code()),
            Some("DECRYPTION_FAILED".to_owned())
        );
        Ok(())
    }
}
