//! The result classes of the API client: plain immutable values copied from the core's,
//! except `CreatedWebhookKey`, which keeps the secret (redacted in `repr()`).

use kompliant_webhooks::{
    ActivatedWebhookKey, ApiResponse, ApiVersionInfo, CreatedWebhookKey, Rotation, WebhookConfig,
    WebhookKeyInfo,
};
use pyo3::prelude::*;

use crate::convert;
use crate::error::{guard, Side};
use crate::pyrepr::quote;

/// A key just created by `create_webhook_key`: the only answer in which Kompliant reveals
/// its secret. `repr()` prints the secret as `[REDACTED]`; read it with `reveal_secret()`.
#[pyclass(frozen, name = "CreatedWebhookKey", module = "kompliant_webhooks")]
pub(crate) struct PyCreatedWebhookKey {
    pub(crate) key: CreatedWebhookKey,
}

#[pymethods]
impl PyCreatedWebhookKey {
    /// The key id, `whk_YYYYMMDD_NN`.
    #[getter]
    fn key_id(&self) -> &str {
        &self.key.key_id
    }

    /// The status (`INACTIVE` for a new key).
    #[getter]
    fn status(&self) -> &str {
        self.key.status.as_str()
    }

    /// Creation time, as sent (ISO 8601).
    #[getter]
    fn created_at(&self) -> &str {
        &self.key.created_at
    }

    /// The shared secret as base64 text, to store where receivers load keys from (e.g.
    /// `add_to_keyring_file`). Never log it.
    fn reveal_secret(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, Side::Client, || {
            Ok(self.key.secret.to_base64().to_string())
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "CreatedWebhookKey(key_id={}, status={}, created_at={}, secret=[REDACTED])",
            quote(&self.key.key_id),
            quote(self.key.status.as_str()),
            quote(&self.key.created_at)
        )
    }
}

/// The answer of `activate_webhook_key`.
#[pyclass(
    frozen,
    eq,
    get_all,
    name = "ActivatedWebhookKey",
    module = "kompliant_webhooks"
)]
#[derive(PartialEq)]
pub(crate) struct PyActivatedWebhookKey {
    /// The key now active.
    key_id: String,
    /// Its status (`ACTIVE`).
    status: String,
    /// Activation time, as sent; also the previous key's `deleted_at`.
    activated_at: String,
    /// The key this activation moved to DELETED. SIMULATOR EXTENSION: the real service may
    /// not say (`None`) even when a key was replaced.
    previous_key_id: Option<String>,
}

impl From<ActivatedWebhookKey> for PyActivatedWebhookKey {
    fn from(k: ActivatedWebhookKey) -> Self {
        PyActivatedWebhookKey {
            key_id: k.key_id,
            status: k.status.as_str().to_owned(),
            activated_at: k.activated_at,
            previous_key_id: k.previous_key_id,
        }
    }
}

#[pymethods]
impl PyActivatedWebhookKey {
    fn __repr__(&self) -> String {
        format!(
            "ActivatedWebhookKey(key_id={}, status={}, activated_at={}, previous_key_id={})",
            quote(&self.key_id),
            quote(&self.status),
            quote(&self.activated_at),
            opt(&self.previous_key_id)
        )
    }
}

/// The answer of `get_webhook_key` (never the secret).
#[pyclass(
    frozen,
    eq,
    get_all,
    name = "WebhookKeyInfo",
    module = "kompliant_webhooks"
)]
#[derive(PartialEq)]
pub(crate) struct PyWebhookKeyInfo {
    /// The key id.
    key_id: String,
    /// `INACTIVE`, `ACTIVE`, `DELETED` (or a newer status, as sent).
    status: String,
    /// Creation time, as sent.
    created_at: String,
    /// Activation time, once activated.
    activated_at: Option<String>,
    /// Deletion time (the next key's activation time), once deleted.
    deleted_at: Option<String>,
}

impl From<WebhookKeyInfo> for PyWebhookKeyInfo {
    fn from(k: WebhookKeyInfo) -> Self {
        PyWebhookKeyInfo {
            key_id: k.key_id,
            status: k.status.as_str().to_owned(),
            created_at: k.created_at,
            activated_at: k.activated_at,
            deleted_at: k.deleted_at,
        }
    }
}

#[pymethods]
impl PyWebhookKeyInfo {
    fn __repr__(&self) -> String {
        format!(
            "WebhookKeyInfo(key_id={}, status={}, created_at={}, activated_at={}, deleted_at={})",
            quote(&self.key_id),
            quote(&self.status),
            quote(&self.created_at),
            opt(&self.activated_at),
            opt(&self.deleted_at)
        )
    }
}

/// A webhook endpoint configuration.
#[pyclass(
    frozen,
    eq,
    get_all,
    name = "WebhookConfig",
    module = "kompliant_webhooks"
)]
#[derive(PartialEq)]
pub(crate) struct PyWebhookConfig {
    /// The configuration id, `whc_…`.
    config_id: String,
    /// The endpoint URL Kompliant POSTs webhooks to.
    url: String,
    /// Creation time, as sent.
    created_at: String,
    /// Last update time, once updated.
    updated_at: Option<String>,
}

impl From<WebhookConfig> for PyWebhookConfig {
    fn from(c: WebhookConfig) -> Self {
        PyWebhookConfig {
            config_id: c.config_id,
            url: c.url,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[pymethods]
impl PyWebhookConfig {
    fn __repr__(&self) -> String {
        format!(
            "WebhookConfig(config_id={}, url={}, created_at={}, updated_at={})",
            quote(&self.config_id),
            quote(&self.url),
            quote(&self.created_at),
            opt(&self.updated_at)
        )
    }
}

/// The answer of `check_version`.
#[pyclass(
    frozen,
    eq,
    get_all,
    name = "ApiVersionInfo",
    module = "kompliant_webhooks"
)]
#[derive(PartialEq)]
pub(crate) struct PyApiVersionInfo {
    /// The version the server used for this call (the pinned `X-API-Version`).
    current_version: String,
    /// The newest version the server offers.
    latest_version: String,
}

impl From<ApiVersionInfo> for PyApiVersionInfo {
    fn from(v: ApiVersionInfo) -> Self {
        PyApiVersionInfo {
            current_version: v.current_version,
            latest_version: v.latest_version,
        }
    }
}

#[pymethods]
impl PyApiVersionInfo {
    fn __repr__(&self) -> String {
        format!(
            "ApiVersionInfo(current_version={}, latest_version={})",
            quote(&self.current_version),
            quote(&self.latest_version)
        )
    }
}

/// The result of a successful rotation.
#[pyclass(frozen, eq, get_all, name = "Rotation", module = "kompliant_webhooks")]
#[derive(PartialEq)]
pub(crate) struct PyRotation {
    /// The key created, stored and now ACTIVE.
    new_key_id: String,
    /// The key the activation moved to DELETED, when the server says so (a SIMULATOR
    /// EXTENSION). Keep it in receivers' keyrings for the retry horizon.
    previous_key_id: Option<String>,
    /// Activation time, as sent.
    activated_at: String,
}

impl From<Rotation> for PyRotation {
    fn from(r: Rotation) -> Self {
        PyRotation {
            new_key_id: r.new_key_id,
            previous_key_id: r.previous_key_id,
            activated_at: r.activated_at,
        }
    }
}

#[pymethods]
impl PyRotation {
    fn __repr__(&self) -> String {
        format!(
            "Rotation(new_key_id={}, previous_key_id={}, activated_at={})",
            quote(&self.new_key_id),
            opt(&self.previous_key_id),
            quote(&self.activated_at)
        )
    }
}

/// A successful answer of `KompliantClient.call`: the `data` object, the trace id and the
/// warnings the server sent.
#[pyclass(frozen, get_all, name = "ApiResponse", module = "kompliant_webhooks")]
pub(crate) struct PyApiResponse {
    /// The `data` member (a `dict`; empty when the server sent none).
    data: Py<PyAny>,
    /// `meta.trace_id`, if present.
    trace_id: Option<String>,
    /// `meta.warnings` (empty if absent).
    warnings: Py<PyAny>,
}

impl PyApiResponse {
    pub(crate) fn new(py: Python<'_>, response: &ApiResponse) -> PyResult<Self> {
        let warnings = serde_json::Value::Array(response.warnings.clone());
        Ok(PyApiResponse {
            data: convert::json_to_py(py, &response.data)?.unbind(),
            trace_id: response.trace_id.clone(),
            warnings: convert::json_to_py(py, &warnings)?.unbind(),
        })
    }
}

#[pymethods]
impl PyApiResponse {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "ApiResponse(data={}, trace_id={}, warnings={})",
            self.data.bind(py).repr()?,
            opt(&self.trace_id),
            self.warnings.bind(py).repr()?
        ))
    }
}

fn opt(v: &Option<String>) -> String {
    v.as_ref().map_or_else(|| "None".to_owned(), |s| quote(s))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyCreatedWebhookKey>()?;
    m.add_class::<PyActivatedWebhookKey>()?;
    m.add_class::<PyWebhookKeyInfo>()?;
    m.add_class::<PyWebhookConfig>()?;
    m.add_class::<PyApiVersionInfo>()?;
    m.add_class::<PyRotation>()?;
    m.add_class::<PyApiResponse>()?;
    Ok(())
}
