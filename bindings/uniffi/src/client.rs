//! The Kompliant API client: every method of the core's blocking
//! [`kompliant_webhooks::KompliantClient`] as an async function (Kotlin `suspend`, Swift
//! `async`) that runs the HTTP exchange on its own thread, and key rotation around a
//! foreign-implemented, async [`WebhookKeyStore`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use kompliant_webhooks as core;

use crate::blocking::run_blocking;
use crate::error::KompliantError;
use crate::keyring::WebhookSecret;

/// How a [`KompliantClient`] talks to the API. Every field is optional; an absent one takes the
/// SDK default.
#[derive(Debug, Clone, PartialEq, Eq, Default, uniffi::Record)]
pub struct ClientOptions {
    /// API base URL (default `https://api.kompliant.com`). Must be `https://`, except
    /// `http://` to a loopback address (the local simulator).
    #[uniffi(default = None)]
    pub base_url: Option<String>,
    /// End-to-end timeout of one HTTP attempt (default 30 s); retries get a fresh one each.
    #[uniffi(default = None)]
    pub timeout: Option<Duration>,
    /// Timeout for resolving the host and connecting, TLS included (default 10 s).
    #[uniffi(default = None)]
    pub connect_timeout: Option<Duration>,
    /// Retries after the first attempt, where the call's retry policy allows (default 3).
    #[uniffi(default = None)]
    pub max_retries: Option<u32>,
    /// Base of the exponential backoff with full jitter (default 250 ms).
    #[uniffi(default = None)]
    pub retry_base: Option<Duration>,
    /// Longest wait before a retry, also the cap on a server's `Retry-After` (default 10 s).
    #[uniffi(default = None)]
    pub retry_max_delay: Option<Duration>,
    /// `User-Agent` header (default `kompliant-webhooks-uniffi/<version>`).
    #[uniffi(default = None)]
    pub user_agent: Option<String>,
}

impl ClientOptions {
    fn to_core(&self) -> core::ClientOptions {
        let defaults = core::ClientOptions::default();
        core::ClientOptions {
            base_url: self.base_url.clone().unwrap_or(defaults.base_url),
            timeout: self.timeout.unwrap_or(defaults.timeout),
            connect_timeout: self.connect_timeout.unwrap_or(defaults.connect_timeout),
            max_retries: self.max_retries.unwrap_or(defaults.max_retries),
            retry_base: self.retry_base.unwrap_or(defaults.retry_base),
            retry_max_delay: self.retry_max_delay.unwrap_or(defaults.retry_max_delay),
            user_agent: self.user_agent.clone().unwrap_or_else(|| {
                concat!("kompliant-webhooks-uniffi/", env!("CARGO_PKG_VERSION")).to_owned()
            }),
        }
    }
}

/// The status of a webhook key: `INACTIVE` → `ACTIVE` → `DELETED`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum KeyStatus {
    /// Created, not yet used to encrypt webhooks.
    Inactive,
    /// The account's one key encrypting webhooks now.
    Active,
    /// Replaced by a newer active key; can never be activated again.
    Deleted,
    /// A status this SDK does not know yet.
    Other {
        /// The status as sent.
        value: String,
    },
}

impl From<core::KeyStatus> for KeyStatus {
    fn from(s: core::KeyStatus) -> Self {
        match s {
            core::KeyStatus::Inactive => KeyStatus::Inactive,
            core::KeyStatus::Active => KeyStatus::Active,
            core::KeyStatus::Deleted => KeyStatus::Deleted,
            core::KeyStatus::Other(value) => KeyStatus::Other { value },
        }
    }
}

/// Which failures of a `call` may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum RetryPolicy {
    /// The call is idempotent: retry after HTTP 429 / 500 / 502 / 503 / 504, timeouts and
    /// connection failures.
    Safe,
    /// Repeating the call would repeat its effect: retry only when the request provably never
    /// reached the server.
    OnlyIfNotSent,
}

impl From<RetryPolicy> for core::RetryPolicy {
    fn from(p: RetryPolicy) -> Self {
        match p {
            RetryPolicy::Safe => core::RetryPolicy::Safe,
            RetryPolicy::OnlyIfNotSent => core::RetryPolicy::OnlyIfNotSent,
        }
    }
}

/// A key just created by `webhook.key.create`: the only time Kompliant reveals its secret.
/// The secret is a [`WebhookSecret`] object, so printing this record shows
/// `WebhookSecret([REDACTED])`.
#[derive(Clone, uniffi::Record)]
pub struct CreatedWebhookKey {
    /// The key id, `whk_YYYYMMDD_NN`.
    pub key_id: String,
    /// The shared secret. Store it (`secret.toBase64()`) before activating the key.
    pub secret: Arc<WebhookSecret>,
    /// The status (`INACTIVE` for a new key).
    pub status: KeyStatus,
    /// Creation time, as sent (ISO 8601).
    pub created_at: String,
}

/// The answer of `webhook.key.activate`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ActivatedWebhookKey {
    /// The key now active.
    pub key_id: String,
    /// Its status (`ACTIVE`).
    pub status: KeyStatus,
    /// Activation time, as sent; also the previous key's `deletedAt`.
    pub activated_at: String,
    /// The key this activation moved to DELETED. SIMULATOR EXTENSION: Kompliant does not
    /// document this field, so against the real service it may be absent even when a key was
    /// replaced.
    pub previous_key_id: Option<String>,
}

/// The answer of `webhook.key.get` (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WebhookKeyInfo {
    /// The key id.
    pub key_id: String,
    /// The status.
    pub status: KeyStatus,
    /// Creation time, as sent.
    pub created_at: String,
    /// Activation time, once activated.
    pub activated_at: Option<String>,
    /// Deletion time (the next key's activation time), once deleted.
    pub deleted_at: Option<String>,
}

/// A webhook endpoint configuration.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WebhookConfig {
    /// The configuration id, `whc_…`.
    pub config_id: String,
    /// The endpoint URL Kompliant POSTs webhooks to.
    pub url: String,
    /// Creation time, as sent.
    pub created_at: String,
    /// Last update time, once updated.
    pub updated_at: Option<String>,
}

/// The answer of `meta.checkVersion`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ApiVersionInfo {
    /// The version the server used for this call (the pinned `X-API-Version`).
    pub current_version: String,
    /// The newest version the server offers.
    pub latest_version: String,
}

/// A successful answer of `call`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ApiResponse {
    /// The success envelope's `data`, as JSON text (`{}` when the server sent none).
    pub data_json: String,
    /// `meta.trace_id`, if present.
    pub trace_id: Option<String>,
    /// `meta.warnings`, each as JSON text (empty if none).
    pub warnings_json: Vec<String>,
}

/// The result of `rotateWebhookKey`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Rotation {
    /// The key created, stored and now ACTIVE.
    pub new_key_id: String,
    /// The key the activation moved to DELETED, when the server says so (a SIMULATOR
    /// EXTENSION: may be absent against the real service). Keep that key in receivers'
    /// keyrings for the retry horizon: redeliveries still use it.
    pub previous_key_id: Option<String>,
    /// Activation time, as sent.
    pub activated_at: String,
}

/// Where a rotation puts a new key's secret before the key is activated: implemented in
/// Kotlin or Swift (a secret manager, a keyring file via `addToKeyringFile`, ...).
///
/// `store` is awaited between the create and activate calls. Return normally once the secret
/// is stored where every receiver loads keys from; throw to abandon the rotation: the key is
/// then never activated, and the rotation fails with `STORE_FAILED`, quoting your error's
/// text with the new secret (any base64 spelling) and the client's credentials masked.
///
/// Kotlin: throw an `Exception` (a `KompliantException` keeps its code in the text), never
/// a `kotlin.Error`. UniFFI's generated code catches only `kotlin.Exception`; an `Error`
/// (`TODO()`, `AssertionError`, `NotImplementedError`, ...) escapes to the coroutine's
/// uncaught-exception handler, and `rotateWebhookKey` then never returns. Build the store
/// with `WebhookKeyStore.safe { keyId, secretBase64 -> ... }` (or wrap one with
/// `store.safe()`) to turn every `Throwable` into `STORE_FAILED`.
#[uniffi::export(foreign)]
#[async_trait::async_trait]
pub trait WebhookKeyStore: Send + Sync {
    /// Stores the secret (standard base64 of 32 bytes) of the new key `keyId`. Never log it.
    async fn store(&self, key_id: String, secret_base64: String) -> Result<(), KompliantError>;
}

/// A client of the Kompliant API (webhook keys, endpoint configurations, versions).
///
/// Every call is signed (`KSig1-HMAC-SHA256`), pinned to API version `2025-03-24`, and retried
/// with jittered exponential backoff when that is safe. Network calls are async (Kotlin
/// `suspend`, Swift `async`): each runs the blocking HTTP exchange on a thread of its own, so
/// call them from any coroutine or task; cancelling the caller does not abort a request
/// already sent. `toString()` / `description` never shows the secret key or the auth token.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct KompliantClient(core::KompliantClient);

#[uniffi::export]
impl KompliantClient {
    /// A client with these credentials and `options` (default: Kompliant's production URL,
    /// the SDK's timeouts and retry budget).
    ///
    /// Throws `INVALID_CONFIGURATION` if a credential is empty or not usable in a header, the
    /// secret key is not standard base64, or an option is unusable (a base URL that is not
    /// `https://` nor `http://` to loopback, a zero timeout, ...). Messages never contain the
    /// secret key or the auth token.
    #[uniffi::constructor(default(options = None))]
    pub fn new(
        api_key: String,
        secret_key: String,
        auth_token: String,
        options: Option<ClientOptions>,
    ) -> Result<Arc<Self>, KompliantError> {
        let credentials = core::Credentials::new(api_key, secret_key, auth_token)?;
        let options = options.unwrap_or_default().to_core();
        Ok(Arc::new(KompliantClient(core::KompliantClient::new(
            credentials,
            options,
        )?)))
    }

    /// A client configured from the process environment: `KOMPLIANT_API_KEY`,
    /// `KOMPLIANT_SECRET_KEY`, `KOMPLIANT_AUTH_TOKEN`, and optionally `KOMPLIANT_BASE_URL`
    /// (e.g. the local simulator), with `options` for everything else (timeouts, retries,
    /// user agent; `options.baseUrl` when `KOMPLIANT_BASE_URL` is not set). Sends this
    /// binding's user agent (`kompliant-webhooks-uniffi/<version>`) unless `options` names
    /// another. Throws `INVALID_CONFIGURATION` naming each missing variable, or for unusable
    /// options.
    #[uniffi::constructor(default(options = None))]
    pub fn from_env(options: Option<ClientOptions>) -> Result<Arc<Self>, KompliantError> {
        let options = options.unwrap_or_default().to_core();
        Ok(Arc::new(KompliantClient(
            core::KompliantClient::from_env_with_options(options)?,
        )))
    }

    /// The base URL calls go to (without a trailing `/`).
    pub fn base_url(&self) -> String {
        self.0.base_url().to_owned()
    }

    /// The API key of the credentials (not a secret: it is sent in clear).
    pub fn api_key(&self) -> String {
        self.0.api_key().to_owned()
    }

    /// Creates a webhook key (INACTIVE) and returns it with its secret, which Kompliant reveals
    /// only in this answer. At most 100 creations per account per UTC day; not retried once
    /// the request may have reached the server. For create → store → activate use
    /// `rotateWebhookKey`.
    ///
    /// Throws `DAILY_KEY_LIMIT`, `BAD_REQUEST`, `UNAUTHORIZED`, ...
    pub async fn create_webhook_key(
        &self,
        account_id: String,
    ) -> Result<CreatedWebhookKey, KompliantError> {
        let client = self.0.clone();
        run_blocking(move || {
            let created = client.create_webhook_key(&account_id)?;
            Ok(CreatedWebhookKey {
                key_id: created.key_id,
                secret: Arc::new(WebhookSecret(created.secret)),
                status: created.status.into(),
                created_at: created.created_at,
            })
        })
        .await
    }

    /// Activates a key: Kompliant starts encrypting webhooks with it and moves the previously
    /// ACTIVE key to DELETED. Activating the ACTIVE key again is a no-op (safe to retry).
    ///
    /// Throws `ENTITY_NOT_FOUND`, `KEY_DELETED`, ...
    pub async fn activate_webhook_key(
        &self,
        key_id: String,
    ) -> Result<ActivatedWebhookKey, KompliantError> {
        let client = self.0.clone();
        run_blocking(move || {
            let a = client.activate_webhook_key(&key_id)?;
            Ok(ActivatedWebhookKey {
                key_id: a.key_id,
                status: a.status.into(),
                activated_at: a.activated_at,
                previous_key_id: a.previous_key_id,
            })
        })
        .await
    }

    /// Reads a key's status and times (never its secret). Throws `ENTITY_NOT_FOUND`,
    /// `BAD_REQUEST` (malformed key id), ...
    pub async fn get_webhook_key(&self, key_id: String) -> Result<WebhookKeyInfo, KompliantError> {
        let client = self.0.clone();
        run_blocking(move || {
            let k = client.get_webhook_key(&key_id)?;
            Ok(WebhookKeyInfo {
                key_id: k.key_id,
                status: k.status.into(),
                created_at: k.created_at,
                activated_at: k.activated_at,
                deleted_at: k.deleted_at,
            })
        })
        .await
    }

    /// Adds a webhook endpoint; returns its configuration id (`whc_…`). Throws
    /// `URL_ALREADY_EXISTS`, `MAX_WEBHOOK_URL_LIMIT` (20 per account), `BAD_REQUEST` (the URL
    /// must be `https://`), ...
    pub async fn create_webhook_config(
        &self,
        account_id: String,
        url: String,
    ) -> Result<String, KompliantError> {
        let client = self.0.clone();
        run_blocking(move || Ok(client.create_webhook_config(&account_id, &url)?)).await
    }

    /// Reads one endpoint configuration. Throws `ENTITY_NOT_FOUND`, ...
    pub async fn get_webhook_config(
        &self,
        account_id: String,
        config_id: String,
    ) -> Result<WebhookConfig, KompliantError> {
        let client = self.0.clone();
        run_blocking(move || Ok(config(client.get_webhook_config(&account_id, &config_id)?))).await
    }

    /// Lists the account's endpoint configurations (deleted ones excluded).
    pub async fn list_webhook_configs(
        &self,
        account_id: String,
    ) -> Result<Vec<WebhookConfig>, KompliantError> {
        let client = self.0.clone();
        run_blocking(move || {
            Ok(client
                .list_webhook_configs(&account_id)?
                .into_iter()
                .map(config)
                .collect())
        })
        .await
    }

    /// Changes an endpoint's URL (setting the same URL again changes nothing). Throws
    /// `ENTITY_NOT_FOUND`, `URL_ALREADY_EXISTS`, `BAD_REQUEST`, ...
    pub async fn update_webhook_config(
        &self,
        account_id: String,
        config_id: String,
        url: String,
    ) -> Result<(), KompliantError> {
        let client = self.0.clone();
        run_blocking(move || Ok(client.update_webhook_config(&account_id, &config_id, &url)?)).await
    }

    /// Deletes an endpoint configuration (soft and permanent). Throws `ENTITY_NOT_FOUND`, ...
    pub async fn delete_webhook_config(
        &self,
        account_id: String,
        config_id: String,
    ) -> Result<(), KompliantError> {
        let client = self.0.clone();
        run_blocking(move || Ok(client.delete_webhook_config(&account_id, &config_id)?)).await
    }

    /// The API version in use and the latest one (`meta.checkVersion`).
    pub async fn check_version(&self) -> Result<ApiVersionInfo, KompliantError> {
        let client = self.0.clone();
        run_blocking(move || {
            let v = client.check_version()?;
            Ok(ApiVersionInfo {
                current_version: v.current_version,
                latest_version: v.latest_version,
            })
        })
        .await
    }

    /// Calls any API method with a JSON body, signed and retried like the typed methods
    /// according to `retry`: for extension methods such as the local simulator's
    /// `sim.event.trigger`. Returns the success envelope's `data` as JSON text.
    ///
    /// Throws `INVALID_CONFIGURATION` if `bodyJson` is not JSON or `method` is not 1-128 ASCII
    /// letters, digits, `.`, `_` or `-`; otherwise every error of the typed methods.
    pub async fn call(
        &self,
        method: String,
        body_json: String,
        retry: RetryPolicy,
    ) -> Result<ApiResponse, KompliantError> {
        let body: serde_json::Value = serde_json::from_str(&body_json).map_err(|e| {
            KompliantError::invalid_configuration(format!(
                "the request body of {method:?} is not JSON (line {} column {})",
                e.line(),
                e.column()
            ))
        })?;
        let client = self.0.clone();
        run_blocking(move || {
            let response = client.call(&method, body, retry.into())?;
            Ok(ApiResponse {
                data_json: response.data.to_string(),
                trace_id: response.trace_id,
                warnings_json: response.warnings.iter().map(|w| w.to_string()).collect(),
            })
        })
        .await
    }

    /// Rotates the account's webhook key, never activating a key whose secret was not stored:
    ///
    /// 1. `webhook.key.create`;
    /// 2. `store.store(keyId, secretBase64)`, awaited: put the secret where every receiver
    ///    loads keys from;
    /// 3. a local probe: a payload sealed for the new key must decrypt through a fresh
    ///    keyring and receiver;
    /// 4. `webhook.key.activate`: Kompliant now encrypts with the new key, and the previous
    ///    key becomes DELETED (keep it in receivers' keyrings for the retry horizon).
    ///
    /// Throws any error of the create call (e.g. `DAILY_KEY_LIMIT`); `STORE_FAILED` if the
    /// store throws (its message names the new key id and quotes the store's error with the
    /// new secret and the credentials masked; the key stays INACTIVE and counts against the
    /// daily quota); then any error of the probe or the
    /// activate call (its message says the key was created and stored but not activated;
    /// activating it again with `activateWebhookKey` is safe).
    pub async fn rotate_webhook_key(
        &self,
        account_id: String,
        store: Arc<dyn WebhookKeyStore>,
    ) -> Result<Rotation, KompliantError> {
        let client = self.0.clone();
        let pending = run_blocking(move || Ok(client.start_rotation(&account_id)?)).await?;
        let key_id = pending.key_id().to_owned();
        let secret_base64 = pending.secret().to_base64().to_string();
        match store.store(key_id, secret_base64).await {
            Ok(()) => {
                run_blocking(move || {
                    let r = pending.finish()?;
                    Ok(Rotation {
                        new_key_id: r.new_key_id,
                        previous_key_id: r.previous_key_id,
                        activated_at: r.activated_at,
                    })
                })
                .await
            }
            // The store's own text goes to the core, which masks the secret and credentials.
            Err(e) => Err(pending.store_failed(&StoreErrorText(&e)).into()),
        }
    }
}

/// The text of a store's error as the rotation quotes it: `CODE: detail` for an error the
/// store threw as a `KompliantException` / `KompliantError`; only the detail for anything else
/// (UniFFI's unexpected-callback-error path, already `STORE_FAILED`).
struct StoreErrorText<'a>(&'a KompliantError);

impl fmt::Display for StoreErrorText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            KompliantError::StoreFailed {
                detail, api: None, ..
            } => f.write_str(detail),
            other => fmt::Display::fmt(other, f),
        }
    }
}

fn config(c: core::WebhookConfig) -> WebhookConfig {
    WebhookConfig {
        config_id: c.config_id,
        url: c.url,
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

impl fmt::Display for KompliantClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kompliant_webhooks::ErrorCode;

    #[test]
    fn a_store_error_is_quoted_with_its_code_unless_it_came_through_the_unexpected_path() {
        let typed = KompliantError::new(ErrorCode::IoError, "disk full".into(), None);
        assert_eq!(StoreErrorText(&typed).to_string(), "IO_ERROR: disk full");
        let unexpected = KompliantError::from(uniffi::UnexpectedUniFFICallbackError {
            reason: "java.lang.IllegalStateException: vault is down".into(),
        });
        assert_eq!(unexpected.code(), "STORE_FAILED");
        assert_eq!(
            StoreErrorText(&unexpected).to_string(),
            "the store threw java.lang.IllegalStateException: vault is down"
        );
    }
}
