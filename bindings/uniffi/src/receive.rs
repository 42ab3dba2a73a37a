//! The receive path: [`WebhookReceiver`] (raw body in, verified [`Webhook`] out), the typed
//! event views, and [`seal_webhook`] (the inverse, for tests and fixtures).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use kompliant_webhooks as core;

use crate::error::KompliantError;
use crate::keys::{Keyring, WebhookSecret};
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

/// The core profile of `profile` (`None` = the default profile).
fn profile_or_default(profile: Option<&WireProfile>) -> core::WireProfile {
    profile.map(|p| p.0.clone()).unwrap_or_default()
}

/// The names of the built-in wire profiles (`WireProfile.named`).
#[uniffi::export]
pub fn built_in_wire_profiles() -> Vec<String> {
    core::WireProfile::BUILT_IN_NAMES
        .iter()
        .map(|n| (*n).to_owned())
        .collect()
}

/// A wire profile: how `data` is laid out (where the GCM tag sits) and which metadata fields
/// are authenticated as AAD. Receivers (`ReceiverOptions.profile`) and `sealWebhook` take one.
/// Immutable; two profiles are equal when every setting is. `toString()` / `description`
/// shows the settings (a profile holds no secret).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Object)]
#[uniffi::export(Display, Eq, Hash)]
pub struct WireProfile(pub(crate) core::WireProfile);

#[uniffi::export]
impl WireProfile {
    /// A built-in profile by name: `kompliant-2025-11-21` (the default) or
    /// `kompliant-2025-11-21-no-aad` (see `builtInWireProfiles()`). Throws
    /// `INVALID_CONFIGURATION` for any other name.
    #[uniffi::constructor]
    pub fn named(name: String) -> Result<Arc<Self>, KompliantError> {
        Ok(Arc::new(WireProfile(core::WireProfile::named(&name)?)))
    }

    /// A profile of your own, e.g. if Kompliant's real layout turns out different from the
    /// documented one:
    ///
    /// - `tagPosition`: `"after_ciphertext"` (default: nonce, ciphertext, tag) or
    ///   `"before_ciphertext"` (nonce, tag, ciphertext);
    /// - `aadFields`: the authenticated metadata fields in order, among `id`, `event_type`,
    ///   `timestamp`, `account_id`, `schema_version`, `key_id` (absent: those six, in that
    ///   order; empty: no AAD, the metadata is not authenticated);
    /// - `separator`: joins the fields' values (default `|`; never empty).
    ///
    /// Throws `INVALID_CONFIGURATION` naming the unknown tag position or field, or an empty
    /// separator.
    #[uniffi::constructor(default(tag_position = None, aad_fields = None, separator = None))]
    pub fn from_names(
        name: String,
        tag_position: Option<String>,
        aad_fields: Option<Vec<String>>,
        separator: Option<String>,
    ) -> Result<Arc<Self>, KompliantError> {
        Ok(Arc::new(WireProfile(core::WireProfile::from_names(
            &name,
            tag_position.as_deref(),
            aad_fields.as_deref(),
            separator.as_deref(),
        )?)))
    }

    /// The profile's name (e.g. `kompliant-2025-11-21`).
    pub fn name(&self) -> String {
        self.0.name().to_owned()
    }

    /// Where the GCM tag sits: `"after_ciphertext"` or `"before_ciphertext"`.
    pub fn tag_position(&self) -> String {
        self.0.tag_position().name().to_owned()
    }

    /// The authenticated metadata fields, in AAD order (empty: no AAD).
    pub fn aad_fields(&self) -> Vec<String> {
        match self.0.aad() {
            core::Aad::Fields { fields, .. } => {
                fields.iter().map(|f| f.name().to_owned()).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The separator between the AAD fields' values (absent when there is no AAD).
    pub fn separator(&self) -> Option<String> {
        match self.0.aad() {
            core::Aad::Fields { separator, .. } => Some(separator.clone()),
            _ => None,
        }
    }
}

impl std::hash::Hash for WireProfile {
    /// Hashes what `==` compares: the name, the tag position and the AAD.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name().hash(state);
        self.tag_position().hash(state);
        self.aad_fields().hash(state);
        self.separator().hash(state);
    }
}

impl fmt::Display for WireProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "WireProfile({}, tag {}, aad ",
            self.0.name(),
            self.0.tag_position().name()
        )?;
        match self.separator() {
            Some(separator) => write!(f, "{:?})", self.aad_fields().join(&separator)),
            None => f.write_str("none)"),
        }
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

/// The six metadata fields of an envelope. On a [`Webhook`] every value has been verified
/// through the GCM tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
pub struct WebhookMetadata {
    /// Unique message id (`wh_…`): the deduplication key.
    pub id: String,
    /// Event type, e.g. `WORKFLOW_CREATED`.
    pub event_type: String,
    /// ISO 8601 UTC time of the event, exactly as sent.
    pub timestamp: String,
    /// Account id (`lv_…` live, `sb_…` sandbox).
    pub account_id: String,
    /// Envelope schema version, a `YYYY-MM-DD` date.
    pub schema_version: String,
    /// Id of the key that encrypted the payload (`whk_YYYYMMDD_NN`).
    pub key_id: String,
}

impl From<core::WebhookMetadata> for WebhookMetadata {
    fn from(m: core::WebhookMetadata) -> Self {
        WebhookMetadata {
            id: m.id,
            event_type: m.event_type,
            timestamp: m.timestamp,
            account_id: m.account_id,
            schema_version: m.schema_version,
            key_id: m.key_id,
        }
    }
}

impl From<WebhookMetadata> for core::WebhookMetadata {
    fn from(m: WebhookMetadata) -> Self {
        core::WebhookMetadata {
            id: m.id,
            event_type: m.event_type,
            timestamp: m.timestamp,
            account_id: m.account_id,
            schema_version: m.schema_version,
            key_id: m.key_id,
        }
    }
}

/// A decrypted payload, typed by event type. Unknown event types are `Other`; unknown fields
/// are ignored here and kept in `Webhook.payloadJson()`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Event {
    /// `WORKFLOW_*` events (`WORKFLOW_CREATED`, `WORKFLOW_STARTED`, `WORKFLOW_COMPLETED`, …).
    Workflow {
        /// The workflow event.
        workflow: WorkflowEvent,
    },
    /// `SUBJECT_RECORD_DATA_UPDATED`.
    SubjectRecordDataUpdated {
        /// What changed.
        update: SubjectRecordDataUpdated,
    },
    /// Any other event type (e.g. `DOCUMENT_UPLOADED`): read the raw payload.
    Other {
        /// The event type.
        event_type: String,
    },
}

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UserContext {
    /// The acting user's id.
    pub user_id: String,
    /// The kind of actor.
    pub user_type: UserType,
}

/// The kind of actor behind an event.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum UserType {
    /// `USER`
    User,
    /// `API_KEY`
    ApiKey,
    /// `SYSTEM`
    System,
    /// A value added by Kompliant after this SDK was released.
    Other {
        /// The value as sent.
        value: String,
    },
}

/// A workflow event's payload.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WorkflowEvent {
    /// The event type, e.g. `WORKFLOW_COMPLETED`.
    pub event_type: String,
    /// Payload version, `MAJOR.MINOR`.
    pub version: String,
    /// The subject record (`sr_…`).
    pub subject_record_id: String,
    /// Who caused it.
    pub user_context: UserContext,
    /// The workflow (`w_…`).
    pub workflow_id: String,
    /// The workflow type, e.g. `BUSINESS_APPLICATION`.
    pub workflow_type: String,
}

/// A `SUBJECT_RECORD_DATA_UPDATED` payload.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SubjectRecordDataUpdated {
    /// Payload version, `MAJOR.MINOR`.
    pub version: String,
    /// The subject record (`sr_…`).
    pub subject_record_id: String,
    /// Who caused it.
    pub user_context: UserContext,
    /// What changed, by entity kind.
    pub entities: Entities,
}

/// Changed entities, by kind. A kind absent from the payload is empty.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Entities {
    /// `business`
    pub business: Vec<EntityChange>,
    /// `persons`
    pub persons: Vec<EntityChange>,
    /// `bank_accounts`
    pub bank_accounts: Vec<EntityChange>,
    /// `sales_info`
    pub sales_info: Vec<EntityChange>,
}

/// One changed entity: its id and the changed field paths.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EntityChange {
    /// The name of the id field, e.g. `person_id`.
    pub id_field: String,
    /// The entity's id.
    pub id: String,
    /// Changed field paths, e.g. `address.city`.
    pub fields: Vec<String>,
}

impl Event {
    /// The binding's view of a core event of type `event_type`.
    pub(crate) fn from_core(e: core::Event, event_type: &str) -> Self {
        match e {
            core::Event::Workflow(w) => Event::Workflow {
                workflow: WorkflowEvent {
                    event_type: w.event_type,
                    version: w.version,
                    subject_record_id: w.subject_record_id,
                    user_context: w.user_context.into(),
                    workflow_id: w.workflow_id,
                    workflow_type: w.workflow_type,
                },
            },
            core::Event::SubjectRecordDataUpdated(u) => Event::SubjectRecordDataUpdated {
                update: SubjectRecordDataUpdated {
                    version: u.version,
                    subject_record_id: u.subject_record_id,
                    user_context: u.user_context.into(),
                    entities: Entities {
                        business: changes(u.entities.business),
                        persons: changes(u.entities.persons),
                        bank_accounts: changes(u.entities.bank_accounts),
                        sales_info: changes(u.entities.sales_info),
                    },
                },
            },
            core::Event::Other { event_type } => Event::Other { event_type },
            // A view added to the core after this binding: the raw payload is still there.
            _ => Event::Other {
                event_type: event_type.to_owned(),
            },
        }
    }
}

fn changes(list: Vec<core::EntityChange>) -> Vec<EntityChange> {
    list.into_iter()
        .map(|c| EntityChange {
            id_field: c.id_field,
            id: c.id,
            fields: c.fields,
        })
        .collect()
}

impl From<core::UserContext> for UserContext {
    fn from(c: core::UserContext) -> Self {
        let user_type = match c.user_type {
            core::UserType::User => UserType::User,
            core::UserType::ApiKey => UserType::ApiKey,
            core::UserType::System => UserType::System,
            core::UserType::Other(value) => UserType::Other { value },
        };
        UserContext {
            user_id: c.user_id,
            user_type,
        }
    }
}

/// An encrypted webhook as Kompliant sends it: the metadata and the base64 `data`. The same
/// sealed envelope is re-sent on every redelivery, only `retry_count` changes (`body`).
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct SealedEnvelope(core::SealedEnvelope);

#[uniffi::export]
impl SealedEnvelope {
    /// The metadata (in clear in the envelope, authenticated by the tag).
    pub fn metadata(&self) -> WebhookMetadata {
        self.0.metadata().clone().into()
    }

    /// The base64 `data` field (nonce, ciphertext and tag).
    pub fn data(&self) -> String {
        self.0.data().to_owned()
    }

    /// The HTTP request body (UTF-8 JSON) for delivery attempt `retryCount` (0 for the first).
    pub fn body(&self, retry_count: u64) -> Vec<u8> {
        self.0.body(retry_count)
    }
}

impl fmt::Display for SealedEnvelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// Encrypts `payload` into an envelope exactly as Kompliant does, with a fresh random nonce:
/// the inverse of `WebhookReceiver.decrypt`, for tests and fixtures. `metadata.keyId` must
/// name the key `secret` belongs to; `profile` defaults to `kompliant-2025-11-21`.
///
/// Throws `MALFORMED_ENVELOPE` if an authenticated metadata field holds the profile's AAD
/// separator; `INTERNAL` if the system random generator fails.
#[uniffi::export(default(profile = None))]
pub fn seal_webhook(
    metadata: WebhookMetadata,
    payload: Vec<u8>,
    secret: Arc<WebhookSecret>,
    profile: Option<Arc<WireProfile>>,
) -> Result<Arc<SealedEnvelope>, KompliantError> {
    let profile = profile_or_default(profile.as_deref());
    let sealed = core::seal(&metadata.into(), &payload, &secret.0, &profile)?;
    Ok(Arc::new(SealedEnvelope(sealed)))
}

#[cfg(test)]
mod tests {
    use super::*;

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
