//! The Kompliant API client in Python: `KompliantClient` (blocking; every call releases the
//! GIL) and `RetryPolicy`.

use std::sync::Mutex;

use kompliant_webhooks::decided::API_VERSION;
use kompliant_webhooks::{ClientOptions, Credentials, KompliantClient, RetryPolicy};
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use crate::convert;
use crate::error::{guard, OrRaise, Side};
use crate::pyrepr::quote;
use crate::results::{
    PyActivatedWebhookKey, PyApiResponse, PyApiVersionInfo, PyCreatedWebhookKey, PyRotation,
    PyWebhookConfig, PyWebhookKeyInfo,
};
use crate::rotation::{store_failed, PyPendingRotation};

/// The Python module holding the check of a rotation's `store` argument (shared with the
/// asyncio client).
const ROTATION_MODULE: &str = "kompliant_webhooks._rotation";

static CHECK_STORE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Raises `TypeError` unless `store` is a plain (not `async`) callable:
/// `kompliant_webhooks._rotation.check_store(store, allow_async=False)`.
fn check_store(py: Python<'_>, store: &Bound<'_, PyAny>) -> PyResult<()> {
    let check = CHECK_STORE.get_or_try_init(py, || {
        Ok::<_, PyErr>(py.import(ROTATION_MODULE)?.getattr("check_store")?.unbind())
    })?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("allow_async", false)?;
    check.bind(py).call((store,), Some(&kwargs))?;
    Ok(())
}

/// The `User-Agent` this binding sends.
const USER_AGENT: &str = concat!("kompliant-webhooks-python/", env!("CARGO_PKG_VERSION"));

/// Which failures of an API call may be retried (for `KompliantClient.call`).
#[pyclass(
    frozen,
    eq,
    eq_int,
    from_py_object,
    name = "RetryPolicy",
    module = "kompliant_webhooks"
)]
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum PyRetryPolicy {
    /// The call is idempotent: retried after HTTP 429/500/502/503/504, timeouts and
    /// connection failures.
    #[pyo3(name = "SAFE")]
    Safe,
    /// Repeating the call would repeat its effect: retried only when the request provably
    /// never reached the server.
    #[pyo3(name = "ONLY_IF_NOT_SENT")]
    OnlyIfNotSent,
}

impl From<PyRetryPolicy> for RetryPolicy {
    fn from(p: PyRetryPolicy) -> Self {
        match p {
            PyRetryPolicy::Safe => RetryPolicy::Safe,
            PyRetryPolicy::OnlyIfNotSent => RetryPolicy::OnlyIfNotSent,
        }
    }
}

/// The client options from keyword arguments; `None` keeps the core's default.
#[allow(clippy::too_many_arguments)]
fn client_options(
    base_url: Option<String>,
    timeout: Option<&Bound<'_, PyAny>>,
    connect_timeout: Option<&Bound<'_, PyAny>>,
    max_retries: Option<u32>,
    retry_base: Option<&Bound<'_, PyAny>>,
    retry_max_delay: Option<&Bound<'_, PyAny>>,
    user_agent: Option<String>,
) -> PyResult<ClientOptions> {
    let mut o = ClientOptions {
        user_agent: USER_AGENT.to_owned(),
        ..ClientOptions::default()
    };
    if let Some(v) = base_url {
        o.base_url = v;
    }
    if let Some(v) = convert::optional_duration(timeout, "timeout")? {
        o.timeout = v;
    }
    if let Some(v) = convert::optional_duration(connect_timeout, "connect_timeout")? {
        o.connect_timeout = v;
    }
    if let Some(v) = max_retries {
        o.max_retries = v;
    }
    if let Some(v) = convert::optional_duration(retry_base, "retry_base")? {
        o.retry_base = v;
    }
    if let Some(v) = convert::optional_duration(retry_max_delay, "retry_max_delay")? {
        o.retry_max_delay = v;
    }
    if let Some(v) = user_agent {
        o.user_agent = v;
    }
    Ok(o)
}

/// A client of the Kompliant API (webhook keys, webhook endpoints, versions).
///
/// Blocking, and every call releases the GIL, so other threads run meanwhile; safe to share
/// between threads (for asyncio use `AsyncKompliantClient`). Calls are signed
/// (`KSig1-HMAC-SHA256`), pinned to API version 2025-03-24, and idempotent ones are retried
/// with jittered exponential backoff. Options left `None` keep their defaults: base URL
/// `https://api.kompliant.com` (`http://` only to loopback), `timeout` 30 s per attempt,
/// `connect_timeout` 10 s, `max_retries` 3, `retry_base` 0.25 s, `retry_max_delay` 10 s
/// (durations in seconds or `datetime.timedelta`).
///
/// Every failure raises an `ApiError` subclass. `repr()` never shows the secret key or
/// the auth token.
#[pyclass(frozen, name = "KompliantClient", module = "kompliant_webhooks")]
pub(crate) struct PyKompliantClient {
    inner: KompliantClient,
}

#[pymethods]
impl PyKompliantClient {
    #[new]
    #[pyo3(signature = (api_key, secret_key, auth_token, *, base_url = None, timeout = None, connect_timeout = None, max_retries = None, retry_base = None, retry_max_delay = None, user_agent = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        api_key: &str,
        secret_key: &str,
        auth_token: &str,
        base_url: Option<String>,
        timeout: Option<&Bound<'_, PyAny>>,
        connect_timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<u32>,
        retry_base: Option<&Bound<'_, PyAny>>,
        retry_max_delay: Option<&Bound<'_, PyAny>>,
        user_agent: Option<String>,
    ) -> PyResult<Self> {
        let options = client_options(
            base_url,
            timeout,
            connect_timeout,
            max_retries,
            retry_base,
            retry_max_delay,
            user_agent,
        )?;
        guard(py, Side::Client, || {
            let credentials = Credentials::new(api_key, secret_key, auth_token).or_raise(py)?;
            Ok(PyKompliantClient {
                inner: KompliantClient::new(credentials, options).or_raise(py)?,
            })
        })
    }

    /// A client configured from the environment: `KOMPLIANT_API_KEY`,
    /// `KOMPLIANT_SECRET_KEY`, `KOMPLIANT_AUTH_TOKEN`, and optionally `KOMPLIANT_BASE_URL`
    /// (e.g. the local simulator); the other options as in the constructor.
    ///
    /// Raises `InvalidConfigurationError` naming each missing variable (never a value).
    #[staticmethod]
    #[pyo3(signature = (*, timeout = None, connect_timeout = None, max_retries = None, retry_base = None, retry_max_delay = None, user_agent = None))]
    fn from_env(
        py: Python<'_>,
        timeout: Option<&Bound<'_, PyAny>>,
        connect_timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<u32>,
        retry_base: Option<&Bound<'_, PyAny>>,
        retry_max_delay: Option<&Bound<'_, PyAny>>,
        user_agent: Option<String>,
    ) -> PyResult<Self> {
        let options = client_options(
            None,
            timeout,
            connect_timeout,
            max_retries,
            retry_base,
            retry_max_delay,
            user_agent,
        )?;
        guard(py, Side::Client, || {
            Ok(PyKompliantClient {
                inner: KompliantClient::from_env_with_options(options).or_raise(py)?,
            })
        })
    }

    /// The base URL calls go to (without a trailing `/`).
    #[getter]
    fn base_url(&self) -> &str {
        self.inner.base_url()
    }

    /// The API key (not a secret: it is sent in clear in `X-API-Key`).
    #[getter]
    fn api_key(&self) -> &str {
        self.inner.api_key()
    }

    /// The pinned API version, sent as `X-API-Version`.
    #[classattr]
    #[pyo3(name = "API_VERSION")]
    fn api_version() -> &'static str {
        API_VERSION
    }

    /// Creates a webhook key (INACTIVE) and returns it with its secret, which Kompliant
    /// reveals only in this answer. At most 100 creations per account per UTC day; retried
    /// only if the request provably never reached the server. For the whole create → store
    /// → activate sequence use `rotate_webhook_key`.
    ///
    /// Raises `DailyKeyLimitError`, `BadRequestError`, `UnauthorizedError`, ...
    fn create_webhook_key(
        &self,
        py: Python<'_>,
        account_id: &str,
    ) -> PyResult<PyCreatedWebhookKey> {
        guard(py, Side::Client, || {
            let key = py
                .detach(|| self.inner.create_webhook_key(account_id))
                .or_raise(py)?;
            Ok(PyCreatedWebhookKey { key })
        })
    }

    /// Activates a key: Kompliant encrypts webhooks with it from now on and moves the
    /// previously ACTIVE key to DELETED. Activating the ACTIVE key again changes nothing
    /// (safe to retry).
    ///
    /// Raises `EntityNotFoundError`, `KeyDeletedError`, ...
    fn activate_webhook_key(
        &self,
        py: Python<'_>,
        key_id: &str,
    ) -> PyResult<PyActivatedWebhookKey> {
        guard(py, Side::Client, || {
            py.detach(|| self.inner.activate_webhook_key(key_id))
                .or_raise(py)
                .map(Into::into)
        })
    }

    /// Reads a key's status and times (never its secret).
    ///
    /// Raises `EntityNotFoundError`, `BadRequestError` (malformed key id), ...
    fn get_webhook_key(&self, py: Python<'_>, key_id: &str) -> PyResult<PyWebhookKeyInfo> {
        guard(py, Side::Client, || {
            py.detach(|| self.inner.get_webhook_key(key_id))
                .or_raise(py)
                .map(Into::into)
        })
    }

    /// Adds a webhook endpoint (`https://`); returns its configuration id (`whc_…`).
    /// Retried only if the request provably never reached the server.
    ///
    /// Raises `UrlAlreadyExistsError`, `MaxWebhookUrlLimitError` (20 per account),
    /// `BadRequestError`, ...
    fn create_webhook_config(
        &self,
        py: Python<'_>,
        account_id: &str,
        url: &str,
    ) -> PyResult<String> {
        guard(py, Side::Client, || {
            py.detach(|| self.inner.create_webhook_config(account_id, url))
                .or_raise(py)
        })
    }

    /// Reads one endpoint configuration.
    ///
    /// Raises `EntityNotFoundError` (HTTP 404), ...
    fn get_webhook_config(
        &self,
        py: Python<'_>,
        account_id: &str,
        config_id: &str,
    ) -> PyResult<PyWebhookConfig> {
        guard(py, Side::Client, || {
            py.detach(|| self.inner.get_webhook_config(account_id, config_id))
                .or_raise(py)
                .map(Into::into)
        })
    }

    /// Lists the account's endpoint configurations (deleted ones excluded).
    fn list_webhook_configs(
        &self,
        py: Python<'_>,
        account_id: &str,
    ) -> PyResult<Vec<PyWebhookConfig>> {
        guard(py, Side::Client, || {
            let configs = py
                .detach(|| self.inner.list_webhook_configs(account_id))
                .or_raise(py)?;
            Ok(configs.into_iter().map(Into::into).collect())
        })
    }

    /// Changes an endpoint's URL (setting the same URL again changes nothing).
    ///
    /// Raises `EntityNotFoundError` (HTTP 404), `UrlAlreadyExistsError`, ...
    fn update_webhook_config(
        &self,
        py: Python<'_>,
        account_id: &str,
        config_id: &str,
        url: &str,
    ) -> PyResult<()> {
        guard(py, Side::Client, || {
            py.detach(|| self.inner.update_webhook_config(account_id, config_id, url))
                .or_raise(py)
        })
    }

    /// Deletes an endpoint configuration (soft and permanent). Retried only if the request
    /// provably never reached the server.
    ///
    /// Raises `EntityNotFoundError` (HTTP 404), ...
    fn delete_webhook_config(
        &self,
        py: Python<'_>,
        account_id: &str,
        config_id: &str,
    ) -> PyResult<()> {
        guard(py, Side::Client, || {
            py.detach(|| self.inner.delete_webhook_config(account_id, config_id))
                .or_raise(py)
        })
    }

    /// The API version in use and the latest one (`meta.checkVersion`).
    fn check_version(&self, py: Python<'_>) -> PyResult<PyApiVersionInfo> {
        guard(py, Side::Client, || {
            py.detach(|| self.inner.check_version())
                .or_raise(py)
                .map(Into::into)
        })
    }

    /// Calls any API method with a JSON body (a `dict`; `None` sends `{}`), signed like the
    /// typed methods and retried according to `retry`. For extension methods such as the
    /// local simulator's (`sim.event.trigger`, `sim.deliveries.list`, ...).
    ///
    /// Raises `InvalidConfigurationError` for a malformed method name, `TypeError` or
    /// `ValueError` for a body that is not JSON-serialisable, else as the typed methods.
    #[pyo3(signature = (method, body = None, *, retry))]
    fn call(
        &self,
        py: Python<'_>,
        method: &str,
        body: Option<&Bound<'_, PyAny>>,
        retry: PyRetryPolicy,
    ) -> PyResult<PyApiResponse> {
        guard(py, Side::Client, || {
            let body = match body {
                Some(b) if !b.is_none() => convert::py_to_json(b)?,
                _ => serde_json::Value::Object(serde_json::Map::new()),
            };
            let response = py
                .detach(|| self.inner.call(method, body, retry.into()))
                .or_raise(py)?;
            PyApiResponse::new(py, &response)
        })
    }

    /// Rotates the account's webhook key: creates a key, calls `store(key_id, secret)`,
    /// checks the secret with a local seal/decrypt probe, then activates the key (the
    /// previous one becomes DELETED; keep it in receivers' keyrings for the retry horizon).
    ///
    /// `store` receives the new key id and its secret as base64 text and must put the
    /// secret where receivers load keys from (e.g. `add_to_keyring_file`); it is the one
    /// place this method hands a secret to your code. It must be a plain function: one
    /// that is not callable, or an `async` one (use `AsyncKompliantClient` for those), raises
    /// `TypeError` before any key is created (no daily creation is spent). If `store`
    /// raises, the key is NOT activated and `StoreFailedError` is raised, quoting the
    /// store's exception with the secret and credentials masked, and with that exception
    /// (yours, unmasked) as `__cause__`; the key stays INACTIVE and counts against the
    /// daily quota.
    ///
    /// Raises `TypeError` (see above), `DailyKeyLimitError` and the other create errors,
    /// `StoreFailedError`, or an activate error (the key was stored but not activated;
    /// activating it again is safe).
    fn rotate_webhook_key(
        &self,
        py: Python<'_>,
        account_id: &str,
        store: &Bound<'_, PyAny>,
    ) -> PyResult<PyRotation> {
        // Before anything is sent: a wrong argument must not spend one of the 100 daily
        // key creations.
        check_store(py, store)?;
        guard(py, Side::Client, || {
            let pending = py
                .detach(|| self.inner.start_rotation(account_id))
                .or_raise(py)?;
            let failure = {
                let secret = pending.secret().to_base64();
                match store.call1((pending.key_id(), &*secret)) {
                    Ok(returned) if returned.hasattr("__await__")? => {
                        if returned.hasattr("close")? {
                            returned.call_method0("close")?;
                        }
                        Some(PyTypeError::new_err(
                            "store returned an awaitable; KompliantClient needs a plain function (use AsyncKompliantClient for an async store)",
                        ))
                    }
                    Ok(_) => None,
                    Err(e) if e.is_instance_of::<PyException>(py) => Some(e),
                    // KeyboardInterrupt, SystemExit, ...: the rotation is abandoned as it stands.
                    Err(e) => return Err(e),
                }
            };
            match failure {
                None => py.detach(|| pending.finish()).or_raise(py).map(Into::into),
                Some(cause) => Err(store_failed(
                    py,
                    pending,
                    &cause.into_value(py).into_bound(py).into_any(),
                )),
            }
        })
    }

    /// Phase one of a rotation, for callers that drive it themselves (as
    /// `AsyncKompliantClient` does): creates the key and returns a `PendingRotation`.
    /// Store its secret, then call `finish()`, or `store_failed(error)` if storing failed.
    ///
    /// Raises `DailyKeyLimitError` and the other create errors.
    fn start_rotation(&self, py: Python<'_>, account_id: &str) -> PyResult<PyPendingRotation> {
        guard(py, Side::Client, || {
            let pending = py
                .detach(|| self.inner.start_rotation(account_id))
                .or_raise(py)?;
            Ok(PyPendingRotation {
                key_id: pending.key_id().to_owned(),
                pending: Mutex::new(Some(pending)),
            })
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "KompliantClient(base_url={}, api_key={}, secret_key=[REDACTED], auth_token=[REDACTED])",
            quote(self.inner.base_url()),
            quote(self.inner.api_key())
        )
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyRetryPolicy>()?;
    m.add_class::<PyKompliantClient>()?;
    Ok(())
}
