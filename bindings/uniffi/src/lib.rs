//! Kotlin and Swift bindings of kompliant-webhooks, through UniFFI (proc-macros, no UDL).
//!
//! Conversions and error mapping only: every rule lives in the core crate. The generated
//! bindings are Kotlin package `com.kompliant.webhooks` and Swift module `KompliantWebhooks`
//! (see `uniffi.toml`); `docs/kotlin-swift.md` describes the API and the decisions.

// The error is serialised across the FFI on every failure anyway; boxing its API details to
// keep `Result` small would buy nothing here.
#![allow(clippy::result_large_err)]

mod blocking;
mod client;
mod error;
mod guard;
mod jvm;
mod keys;
mod receive;
mod webhook;

pub use client::{
    ActivatedWebhookKey, ApiResponse, ApiVersionInfo, ClientOptions, CreatedWebhookKey, KeyStatus,
    KompliantClient, RetryPolicy, Rotation, WebhookConfig, WebhookKeyInfo, WebhookKeyStore,
};
pub use error::{ApiErrorInfo, KompliantError};
pub use guard::{
    handler_succeeded, new_claim_token, redis_protocol, Finished, GuardedDelivery, GuardedReceiver,
    MemoryGuard, RedisProtocol, WebhookGuard,
};
pub use keys::{
    add_to_keyring_file, Keyring, KeyringFileEvent, KeyringFileListener, WebhookSecret,
};
pub use receive::{
    built_in_wire_profiles, seal_webhook, Entities, EntityChange, Event, ReceiverOptions,
    SealedEnvelope, SubjectRecordDataUpdated, UserContext, UserType, WebhookMetadata,
    WebhookReceiver, WireProfile, WorkflowEvent,
};

pub use webhook::{parse_event, to_wire, Webhook, WIRE_HEADER_BYTES};

uniffi::setup_scaffolding!("kompliant_webhooks");
