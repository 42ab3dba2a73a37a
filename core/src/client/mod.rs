//! The Kompliant API client (webhook keys, webhook endpoint configurations, versions).
//!
//! [`KompliantClient`] is blocking (one call = one HTTP exchange plus retries, on the
//! calling thread), cheap to clone and safe to share between threads; bindings wrap its
//! calls in their own async machinery. Every call is `POST {base_url}/{method}` with a JSON
//! body, signed as Kompliant documents (see [`sign`]) and pinned to API version
//! [`API_VERSION`].
//!
//! ```no_run
//! use kompliant_webhooks::KompliantClient;
//!
//! // KOMPLIANT_API_KEY, KOMPLIANT_SECRET_KEY, KOMPLIANT_AUTH_TOKEN (and optionally
//! // KOMPLIANT_BASE_URL, e.g. the local simulator).
//! let client = KompliantClient::from_env()?;
//! let rotation = client.rotate_webhook_key("sb_123", |key_id, secret| {
//!     // Put the secret where the receivers load their keyring from.
//!     std::fs::write(format!("{key_id}.secret"), secret.to_base64().as_bytes())
//! })?;
//! println!("{} is now active", rotation.new_key_id);
//! # Ok::<(), kompliant_webhooks::ApiError>(())
//! ```
//!
//! # Errors
//!
//! Every failure is an [`ApiError`] with a stable [`ErrorCode`](crate::ErrorCode):
//! the server's error envelope is mapped (`SYSTEM_RULE_VIOLATION` with sub-code
//! `DAILY_KEY_LIMIT` becomes `DAILY_KEY_LIMIT`, and so on), with the server's own code,
//! sub-code, entity type and trace id kept; answers that are not Kompliant envelopes (an HTML
//! error page from a proxy, an empty or cut body) are classified by HTTP status; a 2xx answer
//! that is not a success envelope is `INVALID_RESPONSE`.
//!
//! # Retries and idempotency
//!
//! A call that fails for a transient reason is retried up to
//! [`ClientOptions::max_retries`] times (default 3), waiting a random time between zero
//! and `retry_base × 2ⁿ` before retry `n` (exponential backoff with full jitter, capped at
//! `retry_max_delay`), or the server's `Retry-After` seconds (also capped at
//! `retry_max_delay`). Each attempt gets the full [`ClientOptions::timeout`], so a call
//! can take up to `(max_retries + 1) × timeout` plus the waits; [`ApiError::attempts`]
//! says how many attempts were made.
//!
//! What counts as transient depends on whether repeating the call is harmless, expressed
//! as a [`RetryPolicy`]:
//!
//! - [`RetryPolicy::Safe`]: `webhook.key.get`, `webhook.key.activate` (activating the key
//!   that is already ACTIVE changes nothing), `webhook.config.get`, `.list`, `.update`
//!   (setting the same URL again changes nothing) and `meta.checkVersion`. Retried after
//!   HTTP 429, 500, 502, 503 and 504, timeouts and connection failures.
//! - [`RetryPolicy::OnlyIfNotSent`]: `webhook.key.create`, `webhook.config.create` and
//!   `webhook.config.delete`. A repeated create makes a second key (burning one of the 100
//!   key creations allowed per account per UTC day) or fails with `URL_ALREADY_EXISTS`; a
//!   repeated delete fails with `ENTITY_NOT_FOUND` although the first one worked. These are
//!   retried only when the request provably never reached the server: the connection was
//!   refused, the host was unreachable or not found, or connecting timed out. After a
//!   timeout or a 5xx once the request was sent, the error is returned: the call may or may
//!   not have taken effect, and a read (`get_webhook_key`, `list_webhook_configs`) tells.
//!
//! [`KompliantClient::call`] takes the policy explicitly, for extension methods such as
//! the local simulator's.

mod credentials;
mod error;
mod model;
pub(crate) mod options;
mod response;
pub(crate) mod retry;
mod rotation;
mod signature;
mod transport;

use std::ffi::OsString;
use std::fmt;
use std::sync::Arc;

use serde_json::{json, Value};
use zeroize::Zeroizing;

use crate::decided::{
    API_VERSION, ENV_API_KEY, ENV_AUTH_TOKEN, ENV_BASE_URL, ENV_SECRET_KEY, SIGNATURE_SCHEME,
};
use crate::error::bounded;

pub use credentials::Credentials;
pub use error::ApiError;
pub use model::{
    ActivatedWebhookKey, ApiVersionInfo, CreatedWebhookKey, KeyStatus, WebhookConfig,
    WebhookKeyInfo,
};
pub use options::ClientOptions;
pub use response::ApiResponse;
pub use retry::RetryPolicy;
pub use rotation::{PendingRotation, Rotation};
pub use signature::sign;
#[doc(hidden)]
pub use signature::verify as verify_signature;

use credentials::EnvValues;
use model::Data;
use response::Redactor;
use retry::Backoff;
use transport::{AuthHeaders, Transport};

/// A client of the Kompliant API. Blocking; `Clone` is cheap and shares the connection
/// pool; safe to use from several threads at once. `Debug` never shows the secret key, the
/// auth token or the signature.
#[derive(Clone)]
pub struct KompliantClient {
    inner: Arc<Inner>,
}

struct Inner {
    base_url: String,
    options: ClientOptions,
    auth: AuthHeaders,
    transport: Transport,
    redactor: Redactor,
}

impl fmt::Debug for KompliantClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KompliantClient")
            .field("base_url", &self.inner.base_url)
            .field("api_version", &API_VERSION)
            .field("api_key", &self.inner.auth.api_key)
            .field("secret_key", &"[REDACTED]")
            .field("auth_token", &"[REDACTED]")
            .field("timeout", &self.inner.options.timeout)
            .field("max_retries", &self.inner.options.max_retries)
            .finish()
    }
}

impl KompliantClient {
    /// Masks this client's credentials in quoted text.
    pub(crate) fn redactor(&self) -> &Redactor {
        &self.inner.redactor
    }

    /// A client with these credentials and options.
    ///
    /// # Errors
    /// `INVALID_CONFIGURATION` if an option is unusable: a base URL that is not `https://`
    /// (or `http://` to a loopback address), has user info, a query or no host; a zero
    /// timeout; a user agent that is not printable ASCII.
    pub fn new(credentials: Credentials, options: ClientOptions) -> Result<Self, ApiError> {
        let base_url = options.check()?;
        let signature = Zeroizing::new(sign(credentials.api_key(), credentials.secret_key_bytes()));
        let authorization = Zeroizing::new(format!("{SIGNATURE_SCHEME} {}", signature.as_str()));
        let redactor = Redactor::new([
            credentials.auth_token(),
            credentials.secret_key_text(),
            signature.as_str(),
        ]);
        let transport = Transport::new(&options, &base_url);
        Ok(KompliantClient {
            inner: Arc::new(Inner {
                base_url: base_url.url,
                options,
                auth: AuthHeaders {
                    api_key: credentials.api_key().to_owned(),
                    auth_token: Zeroizing::new(credentials.auth_token().to_owned()),
                    authorization,
                },
                transport,
                redactor,
            }),
        })
    }

    /// A client configured from the process environment: `KOMPLIANT_API_KEY`,
    /// `KOMPLIANT_SECRET_KEY`, `KOMPLIANT_AUTH_TOKEN`, and optionally `KOMPLIANT_BASE_URL`
    /// (e.g. the local simulator); every other option has its default.
    ///
    /// # Errors
    /// `INVALID_CONFIGURATION` naming each missing, empty or non-UTF-8 variable; otherwise
    /// as [`Credentials::new`] and [`KompliantClient::new`].
    pub fn from_env() -> Result<Self, ApiError> {
        KompliantClient::from_env_vars(std::env::vars_os())
    }

    /// As [`KompliantClient::from_env`], from the given `(name, value)` pairs.
    ///
    /// # Errors
    /// As [`KompliantClient::from_env`].
    pub fn from_env_vars<I>(vars: I) -> Result<Self, ApiError>
    where
        I: IntoIterator<Item = (OsString, OsString)>,
    {
        KompliantClient::from_env_vars_with_options(vars, ClientOptions::default())
    }

    /// As [`KompliantClient::from_env`], with `options` for everything the environment does
    /// not set: the credentials come from the environment, the base URL too when
    /// `KOMPLIANT_BASE_URL` is set (`options.base_url` otherwise), every other option from
    /// `options`. Bindings use it to send their own user agent.
    ///
    /// # Errors
    /// As [`KompliantClient::from_env`].
    pub fn from_env_with_options(options: ClientOptions) -> Result<Self, ApiError> {
        KompliantClient::from_env_vars_with_options(std::env::vars_os(), options)
    }

    /// As [`KompliantClient::from_env_with_options`], from the given `(name, value)` pairs.
    ///
    /// # Errors
    /// As [`KompliantClient::from_env`].
    pub fn from_env_vars_with_options<I>(vars: I, options: ClientOptions) -> Result<Self, ApiError>
    where
        I: IntoIterator<Item = (OsString, OsString)>,
    {
        let env = EnvValues::collect(
            vars,
            &[ENV_API_KEY, ENV_SECRET_KEY, ENV_AUTH_TOKEN, ENV_BASE_URL],
        );
        let credentials = env.credentials()?;
        let mut options = options;
        if let Some(base_url) = env.get(ENV_BASE_URL) {
            options.base_url = base_url.to_owned();
        }
        KompliantClient::new(credentials, options).map_err(|e| {
            e.with_context(&format!(
                "configuration from the environment ({ENV_BASE_URL})"
            ))
        })
    }

    /// The base URL calls go to (without a trailing `/`).
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The API key of the credentials.
    pub fn api_key(&self) -> &str {
        &self.inner.auth.api_key
    }

    /// The options the client was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// Creates a webhook key (INACTIVE) and returns it with its shared secret, which
    /// Kompliant reveals only in this answer. At most 100 creations per account per UTC day.
    ///
    /// Retry policy [`RetryPolicy::OnlyIfNotSent`]: a duplicate create burns the daily quota.
    /// For the whole create → store → activate sequence use
    /// [`KompliantClient::rotate_webhook_key`].
    ///
    /// # Errors
    /// `DAILY_KEY_LIMIT`, `BAD_REQUEST`, `UNAUTHORIZED`, ..., and `INVALID_RESPONSE` if the
    /// secret is not base64 of exactly 32 bytes (the message gives the length only).
    pub fn create_webhook_key(&self, account_id: &str) -> Result<CreatedWebhookKey, ApiError> {
        const METHOD: &str = "webhook.key.create";
        let mut response = self.call(
            METHOD,
            json!({ "account_id": account_id }),
            RetryPolicy::OnlyIfNotSent,
        )?;
        let created = CreatedWebhookKey::read(&Data::of(METHOD, &response)?);
        // Wipe the secret's base64 text from the generic answer.
        if let Some(Value::String(text)) = response
            .data
            .as_object_mut()
            .and_then(|m| m.remove("shared_secret"))
        {
            drop(Zeroizing::new(text));
        }
        created
    }

    /// Activates a key: Kompliant starts encrypting webhooks with it and atomically moves
    /// the previously ACTIVE key to DELETED. Activating the key that is already ACTIVE is a
    /// no-op, so this call is [`RetryPolicy::Safe`] (but after such a retry the answer may
    /// not name the previous key).
    ///
    /// # Errors
    /// `ENTITY_NOT_FOUND` (no such key for these credentials), `KEY_DELETED`, ...
    pub fn activate_webhook_key(&self, key_id: &str) -> Result<ActivatedWebhookKey, ApiError> {
        const METHOD: &str = "webhook.key.activate";
        let response = self.call(METHOD, json!({ "key_id": key_id }), RetryPolicy::Safe)?;
        ActivatedWebhookKey::read(&Data::of(METHOD, &response)?)
    }

    /// Reads a key's status and times (never its secret). [`RetryPolicy::Safe`].
    ///
    /// # Errors
    /// `ENTITY_NOT_FOUND`, `BAD_REQUEST` (malformed key id), ...
    pub fn get_webhook_key(&self, key_id: &str) -> Result<WebhookKeyInfo, ApiError> {
        const METHOD: &str = "webhook.key.get";
        let response = self.call(METHOD, json!({ "key_id": key_id }), RetryPolicy::Safe)?;
        WebhookKeyInfo::read(&Data::of(METHOD, &response)?)
    }

    /// Adds a webhook endpoint; returns its configuration id (`whc_…`).
    /// [`RetryPolicy::OnlyIfNotSent`]: a repeat would fail with `URL_ALREADY_EXISTS`.
    ///
    /// # Errors
    /// `URL_ALREADY_EXISTS`, `MAX_WEBHOOK_URL_LIMIT` (20 per account), `BAD_REQUEST` (the
    /// URL must be `https://`), ...
    pub fn create_webhook_config(&self, account_id: &str, url: &str) -> Result<String, ApiError> {
        const METHOD: &str = "webhook.config.create";
        let body = json!({ "account_id": account_id, "config": { "url": url } });
        let response = self.call(METHOD, body, RetryPolicy::OnlyIfNotSent)?;
        Data::of(METHOD, &response)?.string("config_id")
    }

    /// Reads one endpoint configuration. [`RetryPolicy::Safe`].
    ///
    /// # Errors
    /// `ENTITY_NOT_FOUND` (HTTP 404), ...
    pub fn get_webhook_config(
        &self,
        account_id: &str,
        config_id: &str,
    ) -> Result<WebhookConfig, ApiError> {
        const METHOD: &str = "webhook.config.get";
        let body = json!({ "account_id": account_id, "config_id": config_id });
        let response = self.call(METHOD, body, RetryPolicy::Safe)?;
        WebhookConfig::read(&Data::of(METHOD, &response)?)
    }

    /// Lists the account's endpoint configurations (deleted ones excluded).
    /// [`RetryPolicy::Safe`].
    ///
    /// # Errors
    /// `BAD_REQUEST`, `UNAUTHORIZED`, ...
    pub fn list_webhook_configs(&self, account_id: &str) -> Result<Vec<WebhookConfig>, ApiError> {
        const METHOD: &str = "webhook.config.list";
        let response = self.call(
            METHOD,
            json!({ "account_id": account_id }),
            RetryPolicy::Safe,
        )?;
        Data::of(METHOD, &response)?
            .objects("configs")?
            .iter()
            .map(WebhookConfig::read)
            .collect()
    }

    /// Changes an endpoint's URL. [`RetryPolicy::Safe`]: setting the same URL again changes
    /// nothing.
    ///
    /// # Errors
    /// `ENTITY_NOT_FOUND` (HTTP 404), `URL_ALREADY_EXISTS`, `BAD_REQUEST`, ...
    pub fn update_webhook_config(
        &self,
        account_id: &str,
        config_id: &str,
        url: &str,
    ) -> Result<(), ApiError> {
        const METHOD: &str = "webhook.config.update";
        let body =
            json!({ "account_id": account_id, "config_id": config_id, "config": { "url": url } });
        self.call(METHOD, body, RetryPolicy::Safe).map(drop)
    }

    /// Deletes an endpoint configuration (soft and permanent).
    /// [`RetryPolicy::OnlyIfNotSent`]: a repeat after a lost answer would report
    /// `ENTITY_NOT_FOUND` for a delete that worked.
    ///
    /// # Errors
    /// `ENTITY_NOT_FOUND` (HTTP 404), ...
    pub fn delete_webhook_config(&self, account_id: &str, config_id: &str) -> Result<(), ApiError> {
        const METHOD: &str = "webhook.config.delete";
        let body = json!({ "account_id": account_id, "config_id": config_id });
        self.call(METHOD, body, RetryPolicy::OnlyIfNotSent)
            .map(drop)
    }

    /// The API version in use and the latest one (`meta.checkVersion`). [`RetryPolicy::Safe`].
    ///
    /// # Errors
    /// `UNAUTHORIZED`, `SERVER_ERROR`, ...
    pub fn check_version(&self) -> Result<ApiVersionInfo, ApiError> {
        const METHOD: &str = "meta.checkVersion";
        let response = self.call(METHOD, json!({}), RetryPolicy::Safe)?;
        ApiVersionInfo::read(&Data::of(METHOD, &response)?)
    }

    /// Calls any API method (e.g. the local simulator's `sim.event.trigger`) with a JSON
    /// body, signed and retried like the typed methods according to `retry`; returns the
    /// success envelope's `data`, trace id and warnings.
    ///
    /// # Errors
    /// `INVALID_CONFIGURATION` if `method` is empty or has characters other than ASCII
    /// letters, digits, `.`, `_` and `-`; otherwise every error of the typed methods.
    pub fn call(
        &self,
        method: &str,
        body: Value,
        retry: RetryPolicy,
    ) -> Result<ApiResponse, ApiError> {
        let well_formed = !method.is_empty()
            && method.len() <= 128
            && method
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !well_formed {
            return Err(ApiError::config(format!(
                "API method name {:?} is not 1-128 ASCII letters, digits, '.', '_' or '-'",
                bounded(method.to_owned())
            )));
        }
        let inner = &self.inner;
        let url = format!("{}/{method}", inner.base_url);
        let body = Zeroizing::new(serde_json::to_vec(&body).map_err(|_| {
            ApiError::config("the request body cannot be serialised as JSON").with_method(method)
        })?);
        let backoff = Backoff {
            base: inner.options.retry_base,
            max_delay: inner.options.retry_max_delay,
        };
        let mut retries_done: u32 = 0;
        loop {
            let attempts = retries_done.saturating_add(1);
            let (error, retryable, retry_after) =
                match inner.transport.post(&url, &inner.auth, &body) {
                    Ok(raw) => match response::interpret(&raw, &inner.redactor) {
                        Ok(answer) => return Ok(answer),
                        Err(error) => (error, retry.retries_status(raw.status), raw.retry_after),
                    },
                    Err(failure) => {
                        let retryable = retry.retries_failure(failure.transient, failure.not_sent);
                        (failure.into_error(), retryable, None)
                    }
                };
            if !retryable || retries_done >= inner.options.max_retries {
                return Err(error.with_method(method).with_attempts(attempts));
            }
            std::thread::sleep(backoff.delay(retries_done, retry_after));
            retries_done = attempts;
        }
    }
}

/// Interprets one HTTP answer exactly as [`KompliantClient::call`] and the typed method
/// `method` do (response envelope, then the typed result of `webhook.key.*`,
/// `webhook.config.*` or `meta.checkVersion`), with `secrets` as the client's credentials to
/// mask. Not part of the API: it exists so the fuzz targets reach the parsers without a
/// server.
///
/// # Errors
/// Every error the client returns for such an answer.
#[doc(hidden)]
pub fn parse_answer_for_fuzzing(
    method: &str,
    status: u16,
    location: Option<&str>,
    body: &[u8],
    secrets: &[&str],
) -> Result<ApiResponse, ApiError> {
    let raw = response::RawResponse {
        status,
        retry_after: None,
        location: location.map(str::to_owned),
        body: Zeroizing::new(body.to_vec()),
    };
    let answer = response::interpret(&raw, &Redactor::new(secrets.iter().copied()))?;
    let data = Data::of(method, &answer)?;
    match method {
        "webhook.key.create" => CreatedWebhookKey::read(&data).map(drop),
        "webhook.key.activate" => ActivatedWebhookKey::read(&data).map(drop),
        "webhook.key.get" => WebhookKeyInfo::read(&data).map(drop),
        "webhook.config.create" => data.string("config_id").map(drop),
        "webhook.config.get" => WebhookConfig::read(&data).map(drop),
        "webhook.config.list" => data
            .objects("configs")?
            .iter()
            .try_for_each(|config| WebhookConfig::read(config).map(drop)),
        "meta.checkVersion" => ApiVersionInfo::read(&data).map(drop),
        _ => Ok(()),
    }?;
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn env(base_url: Option<&str>) -> Vec<(OsString, OsString)> {
        let mut vars: Vec<(OsString, OsString)> = vec![
            (ENV_API_KEY.into(), "ak_1".into()),
            (ENV_SECRET_KEY.into(), "c2VjcmV0".into()),
            (ENV_AUTH_TOKEN.into(), "tok".into()),
        ];
        if let Some(url) = base_url {
            vars.push((ENV_BASE_URL.into(), url.into()));
        }
        vars
    }

    #[test]
    fn env_with_options_keeps_the_options_and_lets_the_env_set_the_base_url() {
        let options = ClientOptions {
            base_url: "https://example.test".into(),
            timeout: Duration::from_secs(3),
            user_agent: "binding/1".into(),
            ..ClientOptions::default()
        };
        let from_env = KompliantClient::from_env_vars_with_options(
            env(Some("http://127.0.0.1:9")),
            options.clone(),
        )
        .unwrap();
        assert_eq!(from_env.base_url(), "http://127.0.0.1:9");
        assert_eq!(from_env.options().timeout, Duration::from_secs(3));
        assert_eq!(from_env.options().user_agent, "binding/1");
        let without = KompliantClient::from_env_vars_with_options(env(None), options).unwrap();
        assert_eq!(without.base_url(), "https://example.test");
        assert_eq!(without.api_key(), "ak_1");
    }
}
