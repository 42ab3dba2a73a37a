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
mod event;
mod guard;
mod jvm;
mod keyring;
mod profile;
mod receiver;
mod seal;
mod webhook;

pub use client::{
    ActivatedWebhookKey, ApiResponse, ApiVersionInfo, ClientOptions, CreatedWebhookKey, KeyStatus,
    KompliantClient, RetryPolicy, Rotation, WebhookConfig, WebhookKeyInfo, WebhookKeyStore,
};
pub use error::{ApiErrorInfo, KompliantError};
pub use event::{
    Entities, EntityChange, Event, SubjectRecordDataUpdated, UserContext, UserType, WorkflowEvent,
};
pub use guard::{
    handler_succeeded, new_claim_token, redis_protocol, Finished, GuardedDelivery, GuardedReceiver,
    MemoryGuard, RedisProtocol, WebhookGuard,
};
pub use keyring::{
    add_to_keyring_file, Keyring, KeyringFileEvent, KeyringFileListener, WebhookSecret,
};
pub use profile::{built_in_wire_profiles, WireProfile};
pub use receiver::{ReceiverOptions, WebhookReceiver};
pub use seal::{seal_webhook, SealedEnvelope};
pub use webhook::{parse_event, to_wire, Webhook, WebhookMetadata, WIRE_HEADER_BYTES};

uniffi::setup_scaffolding!("kompliant_webhooks");
