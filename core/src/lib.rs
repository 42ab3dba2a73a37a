//! # kompliant-webhooks
//!
//! Receive Kompliant's AES-256-GCM encrypted webhooks: a [`Keyring`] of shared secrets (several
//! at once, for rotation), a [`WebhookReceiver`] that verifies and decrypts raw bodies into
//! [`Webhook`]s, typed [`Event`] views, and [`seal`] (the inverse, for tests and the simulator).
//! Manage webhook keys and endpoints through the Kompliant API with a [`KompliantClient`]
//! (see [`client`]). Process each webhook once although Kompliant delivers at least once with
//! a [`GuardedReceiver`] and a [`WebhookGuard`] such as [`MemoryGuard`]; keep a rotated-out
//! key for the retry horizon with [`Keyring::retire`].
//!
//! ```
//! use kompliant_webhooks::{seal, Keyring, WebhookMetadata, WebhookReceiver, WebhookSecret, WireProfile};
//!
//! let secret = WebhookSecret::generate()?;
//! let keyring = Keyring::new();
//! keyring.add("whk_20251021_01", &secret)?;
//! let receiver = WebhookReceiver::new(keyring);
//!
//! let metadata = WebhookMetadata {
//!     id: "wh_2x8mKq9vNcR4tLpW7yJhBd".into(),
//!     event_type: "WORKFLOW_CREATED".into(),
//!     timestamp: "2025-11-21T14:30:22.123Z".into(),
//!     account_id: "sb_123".into(),
//!     schema_version: "2025-11-21".into(),
//!     key_id: "whk_20251021_01".into(),
//! };
//! let body = seal(&metadata, br#"{"version":"1.0"}"#, &secret, &WireProfile::default())?.body(0);
//!
//! let webhook = receiver.decrypt(&body)?;
//! assert_eq!(webhook.id(), "wh_2x8mKq9vNcR4tLpW7yJhBd");
//! assert_eq!(webhook.payload_str(), r#"{"version":"1.0"}"#);
//! # Ok::<(), kompliant_webhooks::WebhookError>(())
//! ```

mod aead;
#[cfg(feature = "bench-internals")]
#[doc(hidden)]
pub mod bench_internals;
#[cfg(feature = "client")]
pub mod client;
mod clock;
pub mod decided;
mod envelope;
mod error;
mod event;
mod guard;
#[cfg(feature = "host-aead")]
pub mod host_aead;
#[doc(hidden)]
pub mod json;
mod keyring;
pub mod keyring_file;
mod keyring_watch;
mod private_file;
mod profile;
mod receiver;
mod seal;
mod secret;
mod webhook;

/// The rules the simulator and the CLI share with the SDK, so each is written once (see
/// `docs/decided.md`). Not part of the API: no semver promise.
#[doc(hidden)]
pub mod shared {
    #[cfg(feature = "client")]
    pub use crate::client::options::is_loopback_host;
    #[cfg(feature = "client")]
    pub use crate::client::retry::backoff_ceiling;
    pub use crate::keyring::is_kompliant_key_id;
    pub use crate::private_file::{remove_leftover_temps, write_private_file};
}

#[cfg(feature = "client")]
pub use client::{
    ActivatedWebhookKey, ApiError, ApiResponse, ApiVersionInfo, ClientOptions, CreatedWebhookKey,
    Credentials, KeyStatus, KompliantClient, PendingRotation, RetryPolicy, Rotation, WebhookConfig,
    WebhookKeyInfo,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use envelope::WebhookMetadata;
pub use error::{ErrorCode, WebhookError};
pub use event::{
    Entities, EntityChange, Event, SubjectRecordDataUpdated, UserContext, UserType, WorkflowEvent,
};
/// The PostgreSQL guard's protocol (table, DDL, statements), defined once for every binding.
pub use guard::postgres;
/// The Redis guard's protocol (key scheme, values, scripts), defined once for every binding.
pub use guard::redis;
pub use guard::{
    Claim, ClaimToken, Finished, GuardFlow, GuardedDelivery, GuardedReceiver, Held, MemoryGuard,
    MemoryGuardOptions, ReceiveOutcome, Settle, WebhookGuard,
};
pub use keyring::{Keyring, RetiredKey};
pub use keyring_file::{add_to_keyring_file, add_to_keyring_file_with_retention};
pub use keyring_watch::{KeyringFileEvent, KeyringFileListener, WatchOptions};
pub use profile::{Aad, MetadataField, TagPosition, WireProfile};
pub use receiver::{OpenedWebhook, ParseIntoError, ReceiverOptions, WebhookReceiver};
pub use seal::{seal, seal_with_nonce, SealedEnvelope};
pub use secret::{WebhookSecret, SECRET_LEN};
pub use webhook::Webhook;
