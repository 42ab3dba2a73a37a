//! `Keyring` and the secret helpers `generate_secret` and `add_to_keyring_file`.

use std::path::PathBuf;
use std::time::UNIX_EPOCH;

use kompliant_webhooks::decided::DEFAULT_RETIRED_KEY_RETENTION;
use kompliant_webhooks::{add_to_keyring_file as core_add_to_keyring_file, Keyring, WebhookSecret};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::errors::{guard, OrRaise, Side};
use crate::pyrepr::quote;

/// The webhook keys a receiver accepts, by key id (`whk_YYYYMMDD_NN` → base64 secret).
///
/// Hold several keys at once so a rotation never drops a webhook: keep the previous key for
/// the retry horizon (redeliveries still use it). A keyring is shared, not copied: a
/// `WebhookReceiver` built from it sees keys added later. Safe to use from several threads.
/// `repr()` lists key ids only; secrets are never shown and cannot be read back.
#[pyclass(frozen, name = "Keyring", module = "kompliant_webhooks")]
pub(crate) struct PyKeyring {
    pub(crate) inner: Keyring,
}

#[pymethods]
impl PyKeyring {
    /// An empty keyring.
    #[new]
    fn new() -> Self {
        PyKeyring {
            inner: Keyring::new(),
        }
    }

    /// Adds (or replaces) key `key_id` with its shared secret, as standard base64 text (as
    /// `webhook.key.create` returns it; surrounding whitespace is ignored).
    ///
    /// Raises `InvalidKeyError` if the key id is not 1-40 ASCII letters, digits, `_`, `-`
    /// or `.`, or the secret is not base64 of exactly 32 bytes. The message never quotes
    /// the secret.
    fn add(&self, py: Python<'_>, key_id: &str, secret: &str) -> PyResult<()> {
        guard(py, Side::Receive, || {
            self.inner.add_base64(key_id, secret).or_raise(py)
        })
    }

    /// Removes key `key_id`; returns whether it was present.
    fn remove(&self, py: Python<'_>, key_id: &str) -> PyResult<bool> {
        guard(py, Side::Receive, || Ok(self.inner.remove(key_id)))
    }

    /// Retires key `key_id` after a rotation: it keeps decrypting redeliveries of webhooks
    /// sealed before the rotation (they carry the old key id) for `keep_for` (seconds or
    /// `datetime.timedelta`, default 7 days, the retry horizon); the keyring drops it when
    /// that ends. Returns whether the key was present. For a compromised key use `remove`.
    #[pyo3(signature = (key_id, *, keep_for = None))]
    fn retire(
        &self,
        py: Python<'_>,
        key_id: &str,
        keep_for: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        guard(py, Side::Receive, || {
            let keep_for = crate::convert::optional_duration(keep_for, "keep_for")?
                .unwrap_or(DEFAULT_RETIRED_KEY_RETENTION);
            Ok(self.inner.retire(key_id, keep_for))
        })
    }

    /// The retired keys still held, as `(key_id, expires_at)` pairs sorted by key id
    /// (`expires_at`: an aware UTC `datetime`).
    fn retired_keys<'py>(&self, py: Python<'py>) -> PyResult<Vec<(String, Bound<'py, PyAny>)>> {
        guard(py, Side::Receive, || {
            let datetime = py.import("datetime")?;
            let utc = datetime.getattr("timezone")?.getattr("utc")?;
            let from_timestamp = datetime.getattr("datetime")?.getattr("fromtimestamp")?;
            self.inner
                .retired_keys()
                .into_iter()
                .map(|retired| {
                    let seconds = match retired.expires_at.duration_since(UNIX_EPOCH) {
                        Ok(d) => d.as_secs_f64(),
                        Err(e) => -e.duration().as_secs_f64(),
                    };
                    Ok((retired.key_id, from_timestamp.call1((seconds, &utc))?))
                })
                .collect()
        })
    }

    /// The key ids held, sorted.
    fn key_ids(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        guard(py, Side::Receive, || Ok(self.inner.key_ids()))
    }

    fn __contains__(&self, key_id: &Bound<'_, PyAny>) -> PyResult<bool> {
        guard(key_id.py(), Side::Receive, || {
            Ok(key_id
                .cast::<PyString>()
                .ok()
                .and_then(|s| s.to_cow().ok().map(|s| self.inner.contains(&s)))
                .unwrap_or(false))
        })
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        guard(py, Side::Receive, || Ok(self.inner.len()))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, Side::Receive, || {
            let entries: Vec<String> = self
                .inner
                .key_ids()
                .iter()
                .map(|id| format!("{}: [REDACTED]", quote(id)))
                .collect();
            Ok(format!("Keyring({{{}}})", entries.join(", ")))
        })
    }

    /// Loads every `KOMPLIANT_WEBHOOK_SECRET_<YYYYMMDD>_<NN>` environment variable as key
    /// `whk_<YYYYMMDD>_<NN>`.
    ///
    /// Raises `InvalidKeyError` if such a variable has a malformed suffix or value (a typo
    /// must not silently drop a key).
    #[staticmethod]
    fn from_env(py: Python<'_>) -> PyResult<Self> {
        guard(py, Side::Receive, || {
            Ok(PyKeyring {
                inner: Keyring::from_env().or_raise(py)?,
            })
        })
    }

    /// Loads a keyring from a JSON object `{"whk_20251021_01": "<base64 secret>", ...}`.
    ///
    /// Raises `InvalidKeyError` if the text is not such an object or a key is invalid.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Self> {
        guard(py, Side::Receive, || {
            Ok(PyKeyring {
                inner: Keyring::from_json(text).or_raise(py)?,
            })
        })
    }

    /// Loads a keyring from a JSON file (see `from_json`), e.g. one written by
    /// `add_to_keyring_file`.
    ///
    /// Raises `KeyringFileError` if the file cannot be read, else as `from_json`.
    #[staticmethod]
    fn from_file(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        guard(py, Side::Receive, || {
            Ok(PyKeyring {
                inner: Keyring::from_file(path).or_raise(py)?,
            })
        })
    }
}

/// A fresh random webhook secret (32 bytes from the operating system), as base64 text.
/// For tests and local tools: real secrets come from `webhook.key.create`.
#[pyfunction]
fn generate_secret(py: Python<'_>) -> PyResult<String> {
    guard(py, Side::Receive, || {
        let secret = WebhookSecret::generate().or_raise(py)?;
        Ok(secret.to_base64().to_string())
    })
}

/// Adds `key_id` with its base64 `secret` to the keyring file at `path` (created if
/// missing), the file `Keyring.from_file` loads. The new file is written to a temporary file
/// (mode 0600) and renamed over the old one, so readers never see a partial keyring;
/// existing keys are kept. Writers in every process take an OS file lock (`.<name>.lock`
/// beside the file), so concurrent additions all survive; a temporary file a crashed writer
/// left is removed. A ready-made `store` for `rotate_webhook_key`.
///
/// Raises `InvalidKeyError` for a bad key id or secret, an existing file that is not a
/// valid keyring, or a different secret for a key id the file holds; `KeyringFileError` if
/// the file cannot be read or written.
#[pyfunction]
fn add_to_keyring_file(py: Python<'_>, path: PathBuf, key_id: &str, secret: &str) -> PyResult<()> {
    guard(py, Side::Receive, || {
        let secret = WebhookSecret::from_base64(secret).or_raise(py)?;
        py.detach(|| core_add_to_keyring_file(&path, key_id, &secret))
            .or_raise(py)
    })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyKeyring>()?;
    m.add_function(wrap_pyfunction!(generate_secret, m)?)?;
    m.add_function(wrap_pyfunction!(add_to_keyring_file, m)?)?;
    Ok(())
}
