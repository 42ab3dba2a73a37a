//! `KompliantClient`: the core's blocking API client, each call run as an [`AsyncTask`] on
//! libuv's thread pool so it returns a Promise and never blocks the event loop (no tokio).
//! Key rotation is exposed in its two core phases ([`PendingRotation`]) so the JS layer can
//! await an async store callback between them.

use std::collections::HashMap;
use std::ffi::OsString;
use std::time::Duration;

use kompliant_webhooks as core;
use napi::bindgen_prelude::{AsyncTask, ToNapiValue, TypeName};
use napi::{Env, Task};
use napi_derive::napi;
use zeroize::Zeroizing;

use crate::error::{api_error, guard, range_error, type_error};

/// The `User-Agent` this binding sends unless told otherwise.
const USER_AGENT: &str = concat!("kompliant-webhooks-node/", env!("CARGO_PKG_VERSION"));

/// A blocking job run on libuv's thread pool; resolves to its value or rejects with its
/// (encoded) error. A panic in the job becomes an `INTERNAL` error.
pub struct Blocking<T> {
    job: Option<Box<dyn FnOnce() -> napi::Result<T> + Send>>,
}

impl<T> Blocking<T> {
    pub(crate) fn new(job: impl FnOnce() -> napi::Result<T> + Send + 'static) -> Self {
        Blocking {
            job: Some(Box::new(job)),
        }
    }
}

impl<T: ToNapiValue + TypeName + Send + 'static> Task for Blocking<T> {
    type Output = T;
    type JsValue = T;

    fn compute(&mut self) -> napi::Result<T> {
        match self.job.take() {
            Some(job) => guard(job),
            None => Err(range_error("this task already ran")),
        }
    }

    fn resolve(&mut self, _env: Env, output: T) -> napi::Result<T> {
        Ok(output)
    }
}

/// A client call as an [`AsyncTask`], mapping the core's `ApiError`.
fn task<T, F>(job: F) -> AsyncTask<Blocking<T>>
where
    T: ToNapiValue + TypeName + Send + 'static,
    F: FnOnce() -> Result<T, core::ApiError> + Send + 'static,
{
    AsyncTask::new(Blocking::new(move || job().map_err(|e| api_error(&e))))
}

/// Credentials and options of a client (durations in milliseconds).
#[napi(object)]
pub struct NativeClientOptions {
    /// The API key (`X-API-Key`).
    pub api_key: String,
    /// The base64 secret key that signs requests.
    pub secret_key: String,
    /// The auth token.
    pub auth_token: String,
    /// API base URL (default `https://api.kompliant.com`).
    pub base_url: Option<String>,
    /// Timeout of one HTTP attempt (default 30 000).
    pub timeout_ms: Option<f64>,
    /// Connect timeout (default 10 000).
    pub connect_timeout_ms: Option<f64>,
    /// Retries after the first attempt (default 3).
    pub max_retries: Option<u32>,
    /// Base of the exponential backoff (default 250).
    pub retry_base_ms: Option<f64>,
    /// Longest wait before a retry (default 10 000).
    pub retry_max_delay_ms: Option<f64>,
    /// `User-Agent` (default `kompliant-webhooks-node/<version>`).
    pub user_agent: Option<String>,
}

fn millis(name: &str, ms: f64) -> napi::Result<Duration> {
    Duration::try_from_secs_f64(ms / 1000.0).map_err(|_| {
        range_error(format!(
            "{name} must be a finite number of milliseconds >= 0"
        ))
    })
}

/// The answer of `webhook.key.activate`.
#[napi(object)]
pub struct NativeActivatedKey {
    /// The key now active.
    pub key_id: String,
    /// `ACTIVE`.
    pub status: String,
    /// Activation time, as sent.
    pub activated_at: String,
    /// The key moved to DELETED (simulator extension; may be absent against Kompliant).
    pub previous_key_id: Option<String>,
}

/// The answer of `webhook.key.get` (never the secret).
#[napi(object)]
pub struct NativeKeyInfo {
    /// The key id.
    pub key_id: String,
    /// `INACTIVE`, `ACTIVE`, `DELETED`, or a newer status as sent.
    pub status: String,
    /// Creation time, as sent.
    pub created_at: String,
    /// Activation time, once activated.
    pub activated_at: Option<String>,
    /// Deletion time, once deleted.
    pub deleted_at: Option<String>,
}

/// A webhook endpoint configuration.
#[napi(object)]
pub struct NativeWebhookConfig {
    /// `whc_…`
    pub config_id: String,
    /// The endpoint URL.
    pub url: String,
    /// Creation time, as sent.
    pub created_at: String,
    /// Last update time, once updated.
    pub updated_at: Option<String>,
}

/// The answer of `meta.checkVersion`.
#[napi(object)]
pub struct NativeVersionInfo {
    /// The version used for the call (the pinned one).
    pub current_version: String,
    /// The newest version offered.
    pub latest_version: String,
}

/// The success envelope of a generic call, its JSON as text (parsed by the JS layer).
#[napi(object)]
pub struct NativeApiResponse {
    /// `data` as JSON text.
    pub data_json: String,
    /// `meta.trace_id`, if present.
    pub trace_id: Option<String>,
    /// `meta.warnings` as JSON text (an array).
    pub warnings_json: String,
}

/// A finished rotation.
#[napi(object)]
pub struct NativeRotation {
    /// The key created, stored and now ACTIVE.
    pub new_key_id: String,
    /// The key the activation moved to DELETED, when the server says so.
    pub previous_key_id: Option<String>,
    /// Activation time, as sent.
    pub activated_at: String,
}

/// A key just created: the only time its secret is revealed. The secret stays in native
/// memory until `secretBase64()` is called.
#[napi]
pub struct CreatedWebhookKey {
    key_id: String,
    status: String,
    created_at: String,
    secret: core::WebhookSecret,
}

#[napi]
impl CreatedWebhookKey {
    /// The key id.
    #[napi(getter)]
    pub fn key_id(&self) -> String {
        self.key_id.clone()
    }

    /// The status (`INACTIVE` for a new key).
    #[napi(getter)]
    pub fn status(&self) -> String {
        self.status.clone()
    }

    /// Creation time, as sent.
    #[napi(getter)]
    pub fn created_at(&self) -> String {
        self.created_at.clone()
    }

    /// The shared secret as base64. Store it; never log it.
    #[napi]
    pub fn secret_base64(&self) -> String {
        self.secret.to_base64().to_string()
    }
}

/// A rotation between its two phases: the key is created (INACTIVE); its secret waits to be
/// stored. Then `finish()` (probe + activate) or `storeFailed(detail)`.
#[napi]
pub struct PendingRotation {
    key_id: String,
    inner: Option<core::PendingRotation>,
}

#[napi]
impl PendingRotation {
    /// The new key's id.
    #[napi(getter)]
    pub fn key_id(&self) -> String {
        self.key_id.clone()
    }

    /// The new key's secret as base64, to hand to the store step.
    #[napi]
    pub fn secret_base64(&self) -> napi::Result<String> {
        self.pending_ref()
            .map(|p| p.secret().to_base64().to_string())
    }

    /// Phase two, once the secret is stored: the local probe, then `webhook.key.activate`.
    #[napi]
    pub fn finish(&mut self) -> napi::Result<AsyncTask<Blocking<NativeRotation>>> {
        let pending = self.take()?;
        Ok(task(move || {
            pending.finish().map(|r| NativeRotation {
                new_key_id: r.new_key_id,
                previous_key_id: r.previous_key_id,
                activated_at: r.activated_at,
            })
        }))
    }

    /// Abandons the rotation because the store step failed with `detail` (the store's error
    /// text): always throws the `STORE_FAILED` error naming the new key (which stays
    /// INACTIVE). The core masks the new secret and the credentials in `detail`; the text
    /// received here is wiped once quoted.
    #[napi]
    pub fn store_failed(&mut self, detail: String) -> napi::Result<()> {
        let detail = Zeroizing::new(detail);
        let pending = self.take()?;
        Err(api_error(&pending.store_failed(&detail.as_str())))
    }

    fn pending_ref(&self) -> napi::Result<&core::PendingRotation> {
        self.inner
            .as_ref()
            .ok_or_else(|| range_error("this rotation was already finished or abandoned"))
    }

    fn take(&mut self) -> napi::Result<core::PendingRotation> {
        self.inner
            .take()
            .ok_or_else(|| range_error("this rotation was already finished or abandoned"))
    }
}

/// A client of the Kompliant API. Every API method returns a Promise.
#[napi]
pub struct KompliantClient {
    inner: core::KompliantClient,
}

#[napi]
impl KompliantClient {
    /// A client with these credentials and options. `INVALID_CONFIGURATION` for unusable
    /// ones (messages never contain the secret key or the auth token).
    #[napi(constructor)]
    pub fn new(options: NativeClientOptions) -> napi::Result<Self> {
        guard(|| {
            let secret_key = Zeroizing::new(options.secret_key);
            let auth_token = Zeroizing::new(options.auth_token);
            let credentials =
                core::Credentials::new(options.api_key, secret_key.as_str(), auth_token.as_str())
                    .map_err(|e| api_error(&e))?;
            let mut opts = core::ClientOptions {
                user_agent: USER_AGENT.to_owned(),
                ..core::ClientOptions::default()
            };
            if let Some(url) = options.base_url {
                opts.base_url = url;
            }
            if let Some(ms) = options.timeout_ms {
                opts.timeout = millis("timeoutMs", ms)?;
            }
            if let Some(ms) = options.connect_timeout_ms {
                opts.connect_timeout = millis("connectTimeoutMs", ms)?;
            }
            if let Some(n) = options.max_retries {
                opts.max_retries = n;
            }
            if let Some(ms) = options.retry_base_ms {
                opts.retry_base = millis("retryBaseMs", ms)?;
            }
            if let Some(ms) = options.retry_max_delay_ms {
                opts.retry_max_delay = millis("retryMaxDelayMs", ms)?;
            }
            if let Some(ua) = options.user_agent {
                opts.user_agent = ua;
            }
            let inner = core::KompliantClient::new(credentials, opts).map_err(|e| api_error(&e))?;
            Ok(KompliantClient { inner })
        })
    }

    /// A client from `KOMPLIANT_API_KEY`, `KOMPLIANT_SECRET_KEY`, `KOMPLIANT_AUTH_TOKEN` and
    /// optionally `KOMPLIANT_BASE_URL` in `env`.
    #[napi(factory)]
    pub fn from_env_vars(env: HashMap<String, String>) -> napi::Result<Self> {
        guard(|| {
            let vars = env
                .into_iter()
                .map(|(name, value)| (OsString::from(name), OsString::from(value)));
            let options = core::ClientOptions {
                user_agent: USER_AGENT.to_owned(),
                ..core::ClientOptions::default()
            };
            let inner = core::KompliantClient::from_env_vars_with_options(vars, options)
                .map_err(|e| api_error(&e))?;
            Ok(KompliantClient { inner })
        })
    }

    /// The base URL calls go to.
    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.inner.base_url().to_owned()
    }

    /// The API key (not a secret).
    #[napi(getter)]
    pub fn api_key(&self) -> String {
        self.inner.api_key().to_owned()
    }

    /// The `User-Agent` sent.
    #[napi(getter)]
    pub fn user_agent(&self) -> String {
        self.inner.options().user_agent.clone()
    }

    /// `webhook.key.create`: a new INACTIVE key with its secret.
    #[napi]
    pub fn create_webhook_key(&self, account_id: String) -> AsyncTask<Blocking<CreatedWebhookKey>> {
        let client = self.inner.clone();
        task(move || {
            client
                .create_webhook_key(&account_id)
                .map(|k| CreatedWebhookKey {
                    key_id: k.key_id,
                    status: k.status.as_str().to_owned(),
                    created_at: k.created_at,
                    secret: k.secret,
                })
        })
    }

    /// `webhook.key.activate`.
    #[napi]
    pub fn activate_webhook_key(&self, key_id: String) -> AsyncTask<Blocking<NativeActivatedKey>> {
        let client = self.inner.clone();
        task(move || {
            client
                .activate_webhook_key(&key_id)
                .map(|k| NativeActivatedKey {
                    key_id: k.key_id,
                    status: k.status.as_str().to_owned(),
                    activated_at: k.activated_at,
                    previous_key_id: k.previous_key_id,
                })
        })
    }

    /// `webhook.key.get`.
    #[napi]
    pub fn get_webhook_key(&self, key_id: String) -> AsyncTask<Blocking<NativeKeyInfo>> {
        let client = self.inner.clone();
        task(move || {
            client.get_webhook_key(&key_id).map(|k| NativeKeyInfo {
                key_id: k.key_id,
                status: k.status.as_str().to_owned(),
                created_at: k.created_at,
                activated_at: k.activated_at,
                deleted_at: k.deleted_at,
            })
        })
    }

    /// `webhook.config.create`; resolves to the configuration id.
    #[napi]
    pub fn create_webhook_config(
        &self,
        account_id: String,
        url: String,
    ) -> AsyncTask<Blocking<String>> {
        let client = self.inner.clone();
        task(move || client.create_webhook_config(&account_id, &url))
    }

    /// `webhook.config.get`.
    #[napi]
    pub fn get_webhook_config(
        &self,
        account_id: String,
        config_id: String,
    ) -> AsyncTask<Blocking<NativeWebhookConfig>> {
        let client = self.inner.clone();
        task(move || {
            client
                .get_webhook_config(&account_id, &config_id)
                .map(config)
        })
    }

    /// `webhook.config.list`.
    #[napi]
    pub fn list_webhook_configs(
        &self,
        account_id: String,
    ) -> AsyncTask<Blocking<Vec<NativeWebhookConfig>>> {
        let client = self.inner.clone();
        task(move || {
            client
                .list_webhook_configs(&account_id)
                .map(|list| list.into_iter().map(config).collect())
        })
    }

    /// `webhook.config.update`.
    #[napi]
    pub fn update_webhook_config(
        &self,
        account_id: String,
        config_id: String,
        url: String,
    ) -> AsyncTask<Blocking<()>> {
        let client = self.inner.clone();
        task(move || client.update_webhook_config(&account_id, &config_id, &url))
    }

    /// `webhook.config.delete`.
    #[napi]
    pub fn delete_webhook_config(
        &self,
        account_id: String,
        config_id: String,
    ) -> AsyncTask<Blocking<()>> {
        let client = self.inner.clone();
        task(move || client.delete_webhook_config(&account_id, &config_id))
    }

    /// `meta.checkVersion`.
    #[napi]
    pub fn check_version(&self) -> AsyncTask<Blocking<NativeVersionInfo>> {
        let client = self.inner.clone();
        task(move || {
            client.check_version().map(|v| NativeVersionInfo {
                current_version: v.current_version,
                latest_version: v.latest_version,
            })
        })
    }

    /// Any API method (e.g. the simulator's `sim.event.trigger`) with a JSON body text and a
    /// retry policy (`safe` or `onlyIfNotSent`).
    #[napi]
    pub fn call(
        &self,
        method: String,
        body_json: String,
        retry: String,
    ) -> napi::Result<AsyncTask<Blocking<NativeApiResponse>>> {
        let retry = match retry.as_str() {
            "safe" => core::RetryPolicy::Safe,
            "onlyIfNotSent" => core::RetryPolicy::OnlyIfNotSent,
            other => {
                return Err(range_error(format!(
                    "retry must be \"safe\" or \"onlyIfNotSent\", not {other:?}"
                )))
            }
        };
        let body: serde_json::Value = serde_json::from_str(&body_json)
            .map_err(|_| type_error("the request body must be JSON-serialisable"))?;
        let client = self.inner.clone();
        Ok(task(move || {
            let response = client.call(&method, body, retry)?;
            Ok(NativeApiResponse {
                data_json: response.data.to_string(),
                trace_id: response.trace_id,
                warnings_json: serde_json::Value::Array(response.warnings).to_string(),
            })
        }))
    }

    /// Phase one of a rotation: `webhook.key.create`; resolves to a [`PendingRotation`].
    #[napi]
    pub fn start_rotation(&self, account_id: String) -> AsyncTask<Blocking<PendingRotation>> {
        let client = self.inner.clone();
        task(move || {
            client.start_rotation(&account_id).map(|p| PendingRotation {
                key_id: p.key_id().to_owned(),
                inner: Some(p),
            })
        })
    }
}

fn config(c: core::WebhookConfig) -> NativeWebhookConfig {
    NativeWebhookConfig {
        config_id: c.config_id,
        url: c.url,
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}
