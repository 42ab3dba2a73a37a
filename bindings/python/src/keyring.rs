//! `Keyring` (with `Keyring.watch`, whose events go to Python's `logging`) and the secret
//! helpers `generate_secret` and `add_to_keyring_file`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use kompliant_webhooks::decided::{DEFAULT_RETIRED_KEY_RETENTION, KEYRING_WATCH_INTERVAL};
use kompliant_webhooks::{
    add_to_keyring_file_with_retention, Keyring, KeyringFileEvent, WatchOptions, WebhookSecret,
};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::error::{guard, OrRaise, Side};
use crate::pyrepr::quote;

/// The webhook keys a receiver accepts, by key id (`whk_YYYYMMDD_NN` → base64 secret).
///
/// Hold several keys at once so a rotation never drops a webhook: keep the previous key for
/// the retry horizon (redeliveries still use it). A keyring is shared, not copied: a
/// `WebhookReceiver` built from it sees keys added later. Safe to use from several threads.
/// `Keyring.watch(path)` follows a keyring file that another process rotates.
/// `repr()` lists key ids only; secrets are never shown and cannot be read back.
#[pyclass(frozen, name = "Keyring", module = "kompliant_webhooks")]
pub(crate) struct PyKeyring {
    pub(crate) inner: Keyring,
}

#[pymethods]
impl PyKeyring {
    /// An empty keyring, to fill with `add` (the loaders `watch`, `from_file`, `from_json` and
    /// `from_env` refuse to make an empty one).
    #[new]
    fn new() -> Self {
        PyKeyring {
            inner: Keyring::new(),
        }
    }

    /// Adds key `key_id` with its shared secret, as standard base64 text (as
    /// `webhook.key.create` returns it; surrounding whitespace is ignored). Adding a key id
    /// again with the same secret changes nothing (and cancels its retirement).
    ///
    /// Raises `InvalidKeyError` if the key id is not 1-40 ASCII letters, digits, `_`, `-`
    /// or `.`, the secret is not base64 of exactly 32 bytes, or the keyring already holds
    /// `key_id` with a different secret (a key's secret never changes). The message never
    /// quotes the secret.
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
    /// Raises `InvalidKeyError` if no such variable is set (a keyring that accepts nothing
    /// would answer every webhook 503), or one has a malformed suffix or value (a typo must
    /// not silently drop a key).
    #[staticmethod]
    fn from_env(py: Python<'_>) -> PyResult<Self> {
        guard(py, Side::Receive, || {
            Ok(PyKeyring {
                inner: Keyring::from_env().or_raise(py)?,
            })
        })
    }

    /// Loads a keyring from the text of a keyring file: a JSON object
    /// `{"whk_20251021_01": "<base64 secret>", ...}`, where a key rotated out may be
    /// `{"secret": "<base64>", "retired_at": "<RFC 3339 UTC>"}` (as `add_to_keyring_file`
    /// writes it). Retired keys are held like the others: they still decrypt redeliveries.
    ///
    /// Raises `InvalidKeyError` if the text is not such an object, a key is invalid, or it
    /// holds no key.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Self> {
        guard(py, Side::Receive, || {
            Ok(PyKeyring {
                inner: Keyring::from_json(text).or_raise(py)?,
            })
        })
    }

    /// Loads a keyring from a keyring file (see `from_json`), e.g. one written by
    /// `add_to_keyring_file`, once. To follow a file that another process rotates while the
    /// receiver runs, use `watch`.
    ///
    /// Raises `KeyringFileError` if the file cannot be read (missing included);
    /// `InvalidKeyError` if the path is not a regular file (a directory, a FIFO: never
    /// opened), the file is not UTF-8, or as `from_json`.
    #[staticmethod]
    fn from_file(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        guard(py, Side::Receive, || {
            Ok(PyKeyring {
                inner: Keyring::from_file(path).or_raise(py)?,
            })
        })
    }

    /// Loads the keyring file at `path` and follows it: a key another process adds (the
    /// store step of a rotation, `add_to_keyring_file`), retires or removes is used without a
    /// restart. A decrypt checks the file at most once per `interval` (seconds or
    /// `datetime.timedelta`, default 1 second; 0 checks every time) with a `stat`, and reads
    /// it only when it changed; a webhook naming a key id the keyring does not hold checks
    /// at once. Receivers and clones share the watch.
    ///
    /// If the file becomes invalid (half-written, corrupt, no keys, deleted, a directory),
    /// the keyring keeps its last good keys and logs the problem once, at WARNING, on the
    /// `kompliant_webhooks` logger (again only after a good load); each reload is logged at
    /// INFO with the key ids (never a secret). Keys added with `add` are replaced at the next
    /// change of the file.
    ///
    /// Raises as `from_file`: the file must load now.
    #[staticmethod]
    #[pyo3(signature = (path, *, interval = None))]
    fn watch(py: Python<'_>, path: PathBuf, interval: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        guard(py, Side::Receive, || {
            let interval = crate::convert::optional_duration(interval, "interval")?
                .unwrap_or(KEYRING_WATCH_INTERVAL);
            let options = WatchOptions::default()
                .interval(interval)
                .on_event(Arc::new(log_keyring_event));
            Ok(PyKeyring {
                inner: py
                    .detach(|| Keyring::watch_with(&path, options))
                    .or_raise(py)?,
            })
        })
    }

    /// The keyring file this keyring follows (a `pathlib.Path`), or `None` if it was not made
    /// by `watch`.
    #[getter]
    fn watched_path(&self) -> Option<PathBuf> {
        self.inner.watched_path().map(PathBuf::from)
    }
}

/// Logs a watched keyring's event on Python's `kompliant_webhooks` logger: a reload at INFO,
/// a problem at WARNING, the event's own text as the message (key ids and the file's path,
/// never a secret). Called on the decrypting thread, which may or may not be attached to the
/// interpreter (decrypt detaches for big bodies): it attaches itself, does nothing while the
/// interpreter shuts down, and never lets a Python exception escape (one is printed through
/// `sys.unraisablehook`).
fn log_keyring_event(event: &KeyringFileEvent) {
    const INFO: u8 = 20;
    const WARNING: u8 = 30;
    let level = match event {
        KeyringFileEvent::Problem { .. } => WARNING,
        _ => INFO,
    };
    let message = event.to_string();
    let _ = Python::try_attach(|py| {
        let logged = py
            .import("logging")
            .and_then(|logging| logging.call_method1("getLogger", ("kompliant_webhooks",)))
            .and_then(|logger| logger.call_method1("log", (level, "%s", &message)));
        if let Err(error) = logged {
            error.write_unraisable(py, None);
        }
    });
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
/// missing) as the key now in use: the store step of a rotation, and a ready-made `store`
/// for `rotate_webhook_key`. Receivers that `Keyring.watch` the file pick it up.
///
/// Every other key not yet retired is marked retired now (`{"secret": ..., "retired_at":
/// "<RFC 3339 UTC>"}`): it stays in the file, so receivers keep decrypting redeliveries
/// sealed with it. Keys retired longer than `retention` ago (seconds or
/// `datetime.timedelta`, default 7 days: Kompliant's retry horizon) are removed, except
/// keys that may still be ACTIVE: those this write retires and those the rotation before
/// retired always stay. Adding a
/// key id the file holds with the same secret makes it the key in use again.
///
/// The new file is written to a temporary file (mode 0600) and renamed over the old one, so
/// readers never see a partial keyring. Writers in every process take an OS file lock
/// (`.<name>.lock` beside the file), so concurrent additions all survive; a temporary file a
/// crashed writer left is removed.
///
/// Raises `InvalidKeyError` for a bad key id or secret, an existing file that is not a
/// valid keyring (or not a regular file), or a different secret for a key id the file
/// holds; `KeyringFileError` if the file cannot be read or written.
#[pyfunction]
#[pyo3(signature = (path, key_id, secret, *, retention = None))]
fn add_to_keyring_file(
    py: Python<'_>,
    path: PathBuf,
    key_id: &str,
    secret: &str,
    retention: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    guard(py, Side::Receive, || {
        let retention = crate::convert::optional_duration(retention, "retention")?
            .unwrap_or(DEFAULT_RETIRED_KEY_RETENTION);
        let secret = WebhookSecret::from_base64(secret).or_raise(py)?;
        py.detach(|| add_to_keyring_file_with_retention(&path, key_id, &secret, retention))
            .or_raise(py)
    })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyKeyring>()?;
    m.add_function(wrap_pyfunction!(generate_secret, m)?)?;
    m.add_function(wrap_pyfunction!(add_to_keyring_file, m)?)?;
    Ok(())
}
