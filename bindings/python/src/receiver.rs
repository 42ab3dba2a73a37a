//! `WebhookReceiver` and `Webhook` (the receive path), and `seal_webhook` (its inverse, for
//! tests).

use std::time::SystemTime;

use kompliant_webhooks::decided::DEFAULT_MAX_BODY_BYTES;
use kompliant_webhooks::{
    seal, seal_with_nonce, MetadataField, ParseIntoError, ReceiverOptions, Webhook, WebhookError,
    WebhookMetadata, WebhookReceiver, WebhookSecret,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyString};

use crate::convert;
use crate::error::{guard, OrRaise, Side};
use crate::keyring::PyKeyring;
use crate::payload::{payload_to_py, tape_to_py, PySink};
use crate::profile::{profile_arg, PyWireProfile};
use crate::pyrepr::{quote, quote_list};
use crate::tape::{TapeSink, TapeTooLarge};

/// Bodies at least this large are checked and parsed with the GIL released, into a tape the
/// `dict` is then built from (`crate::tape`): 30-40% of such a decrypt runs without the GIL,
/// so threads overlap it (2 threads: 1.2-1.3x at 256 KiB, against 0.95x in one pass), for
/// about 5% more time per call. Smaller bodies are decrypted with the GIL held, the `dict`
/// built during the check in one pass: each GIL hand-over between two busy threads costs
/// about 40 us here (a thread wake-up), more than the 20 us that would leave the GIL at
/// 16 KiB, where 2 threads fell to 0.7x with the tape (0.95x in one pass); they broke even
/// at 64 KiB. Below 8 KiB the tape also costs 15-40% more per call.
const TAPE_MIN_BODY_BYTES: usize = 64 * 1024;

/// Raw body bytes from `bytes`, `bytearray` or `memoryview`; anything else (a `str`, a
/// parsed `dict`) is refused: someone decoded the body, perhaps with a wrong charset or into a
/// model that drops fields, and the raw bytes are the one input nothing can have altered.
fn body_arg(body: &Bound<'_, PyAny>) -> PyResult<PyBackedBytes> {
    if body.is_instance_of::<PyBytes>() || body.is_instance_of::<PyByteArray>() {
        return Ok(body.extract::<PyBackedBytes>()?);
    }
    if body.hasattr("tobytes")? && !body.is_instance_of::<PyString>() {
        if let Ok(bytes) = body.call_method0("tobytes")?.extract::<PyBackedBytes>() {
            return Ok(bytes);
        }
    }
    Err(PyTypeError::new_err(format!(
        "body must be the raw request body as bytes, not {} (a str or a parsed JSON is not accepted: a body decoded with a wrong charset, altered or truncated cannot verify)",
        body.get_type().name()?
    )))
}

/// Verifies and decrypts webhook bodies with the keys of a `Keyring`.
///
/// `max_body_bytes` (default 8 MiB) bounds the body; `max_age` and `max_future_skew`
/// (seconds or `datetime.timedelta`, off by default because redeliveries arrive days
/// later) bound the webhook's timestamp; `profile` is a `WireProfile` or a built-in
/// profile's name. Safe to share between threads; `decrypt` releases the GIL for large bodies.
#[pyclass(frozen, name = "WebhookReceiver", module = "kompliant_webhooks")]
pub(crate) struct PyWebhookReceiver {
    pub(crate) inner: WebhookReceiver,
}

#[pymethods]
impl PyWebhookReceiver {
    #[new]
    #[pyo3(signature = (keyring, *, max_body_bytes = DEFAULT_MAX_BODY_BYTES, max_age = None, max_future_skew = None, profile = None))]
    fn new(
        py: Python<'_>,
        keyring: &PyKeyring,
        max_body_bytes: usize,
        max_age: Option<&Bound<'_, PyAny>>,
        max_future_skew: Option<&Bound<'_, PyAny>>,
        profile: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        guard(py, Side::Receive, || {
            let options = ReceiverOptions {
                profile: profile_arg(profile)?,
                max_body_bytes,
                max_age: convert::optional_duration(max_age, "max_age")?,
                max_future_skew: convert::optional_duration(max_future_skew, "max_future_skew")?,
            };
            options.check().or_raise(py)?;
            Ok(PyWebhookReceiver {
                inner: WebhookReceiver::with_options(keyring.inner.clone(), options),
            })
        })
    }

    /// Verifies and decrypts one raw request body (the exact bytes received: `bytes`,
    /// `bytearray` or `memoryview`; a body altered, truncated or decoded with a wrong charset
    /// fails to verify) into a `Webhook`.
    ///
    /// `now` (a `datetime` or Unix seconds) replaces the clock for the time window, e.g. to
    /// replay a captured webhook.
    ///
    /// Raises a `WebhookError` subclass: `BodyTooLargeError`, `MalformedEnvelopeError`,
    /// `UnknownKeyError` (answer 503: Kompliant retries), `DecryptionError`,
    /// `PayloadNotJsonError`, `TimestampOutOfRangeError` (only with a window set). Each has
    /// `.http_status` and `.public_message` to answer with.
    #[pyo3(signature = (body, *, now = None))]
    fn decrypt(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyWebhook> {
        self.decrypt_webhook(py, body, now)
    }

    /// The keyring (shared: keys added to it are used at once).
    #[getter]
    fn keyring(&self) -> PyKeyring {
        PyKeyring {
            inner: self.inner.keyring().clone(),
        }
    }

    /// Largest body accepted, in bytes.
    #[getter]
    fn max_body_bytes(&self) -> usize {
        self.inner.options().max_body_bytes
    }

    /// Maximum age of a webhook's timestamp, in seconds (`None`: no limit).
    #[getter]
    fn max_age(&self) -> Option<f64> {
        self.inner.options().max_age.map(|d| d.as_secs_f64())
    }

    /// Maximum distance of a webhook's timestamp into the future, in seconds (`None`: no limit).
    #[getter]
    fn max_future_skew(&self) -> Option<f64> {
        self.inner
            .options()
            .max_future_skew
            .map(|d| d.as_secs_f64())
    }

    /// The wire profile.
    #[getter]
    fn profile(&self) -> PyWireProfile {
        PyWireProfile {
            inner: self.inner.options().profile.clone(),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, Side::Receive, || {
            let o = self.inner.options();
            Ok(format!(
                "WebhookReceiver(key_ids={}, profile={}, max_body_bytes={}, max_age={}, max_future_skew={})", quote_list(&self.inner.keyring().key_ids()), quote(o.profile.name()), o.max_body_bytes, seconds_repr(self.max_age()), seconds_repr(self.max_future_skew())))
        })
    }
}

impl PyWebhookReceiver {
    /// `decrypt`. Bodies of at least `TAPE_MIN_BODY_BYTES`: every check (envelope, key,
    /// tag, the payload's JSON, the time window) and the payload's parse into a tape run
    /// with the GIL released; only making the `dict` from the tape holds it. Smaller bodies:
    /// opened with the GIL held, the `dict` built while the core checks the JSON, in one pass.
    pub(crate) fn decrypt_webhook(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyWebhook> {
        guard(py, Side::Receive, || {
            let body = body_arg(body)?;
            let now = match now {
                Some(n) if !n.is_none() => convert::system_time(n)?,
                _ => SystemTime::now(),
            };
            if body.len() >= TAPE_MIN_BODY_BYTES {
                let parsed = py.detach(|| -> Result<_, WebhookError> {
                    let opened = self.inner.open_at(&body, now)?;
                    let mut sink = TapeSink::with_capacity(body.len());
                    match opened.parse_into(&mut sink) {
                        Ok((webhook, ())) => Ok(Some((webhook, sink.finish()))),
                        Err(ParseIntoError::Webhook(e)) => Err(e),
                        // A payload of gigabytes: built the one-pass way below.
                        Err(ParseIntoError::Sink(TapeTooLarge)) => Ok(None),
                    }
                });
                if let Some((webhook, tape)) = parsed.or_raise(py)? {
                    let payload = tape_to_py(py, &tape);
                    tape.recycle();
                    return Ok(match payload {
                        Ok(payload) => PyWebhook::with_payload(py, webhook, payload.unbind()),
                        // Python could not build the payload (an integer beyond the
                        // interpreter's digit limit, as `json.loads` refuses it; out of
                        // memory). The webhook is checked in full, and its `payload`
                        // raises that error when read.
                        Err(_) => PyWebhook::new(webhook),
                    });
                }
            }
            // A decrypt that will look at a watched keyring file (once per interval) releases
            // the GIL whatever the size, so file I/O never holds it (as does a payload too
            // large for the tape).
            let open = || self.inner.open_at(&body, now);
            let detach = body.len() >= TAPE_MIN_BODY_BYTES || self.inner.keyring().file_check_due();
            let opened = if detach { py.detach(open) } else { open() }.or_raise(py)?;
            let mut sink = PySink::new(py);
            match opened.parse_into(&mut sink) {
                Ok((webhook, payload)) => {
                    Ok(PyWebhook::with_payload(py, webhook, payload.unbind()))
                }
                Err(ParseIntoError::Webhook(e)) => Err(e).or_raise(py),
                // Python could not build the payload (as above). The webhook is still
                // checked in full, and its `payload` raises that error when read, as it did
                // when the payload was parsed on first access.
                Err(ParseIntoError::Sink(_)) => {
                    drop(sink);
                    let webhook = self.inner.decrypt_at(&body, now).or_raise(py)?;
                    Ok(PyWebhook::new(webhook))
                }
            }
        })
    }
}

fn seconds_repr(s: Option<f64>) -> String {
    s.map_or_else(|| "None".to_owned(), |s| format!("{s:?}"))
}

/// A verified, decrypted webhook. Only `WebhookReceiver.decrypt` makes one, after the
/// AES-GCM tag verified, so every metadata attribute is authenticated, except `retry_count`.
///
/// `repr()` shows the metadata and the payload's size, never its content (it may hold
/// personal data).
#[pyclass(frozen, name = "Webhook", module = "kompliant_webhooks")]
pub(crate) struct PyWebhook {
    pub(crate) inner: Webhook,
    payload: PyOnceLock<Py<PyAny>>,
}

impl PyWebhook {
    /// A webhook whose payload is built when first read.
    pub(crate) fn new(inner: Webhook) -> Self {
        PyWebhook {
            inner,
            payload: PyOnceLock::new(),
        }
    }

    /// A webhook with its payload built already (`WebhookReceiver.decrypt`).
    fn with_payload(py: Python<'_>, inner: Webhook, payload: Py<PyAny>) -> Self {
        let cell = PyOnceLock::new();
        // A new cell: it takes the value.
        let _ = cell.set(py, payload);
        PyWebhook {
            inner,
            payload: cell,
        }
    }
}

#[pymethods]
impl PyWebhook {
    /// Unique message id (`wh_…`): deduplicate on it (delivery is at-least-once).
    #[getter]
    fn id(&self) -> &str {
        self.inner.id()
    }

    /// Event type, e.g. `WORKFLOW_CREATED`.
    #[getter]
    fn event_type(&self) -> &str {
        self.inner.event_type()
    }

    /// Event time exactly as sent (ISO 8601 UTC text).
    #[getter]
    fn timestamp(&self) -> &str {
        self.inner.timestamp()
    }

    /// Account id (`lv_…` live, `sb_…` sandbox).
    #[getter]
    fn account_id(&self) -> &str {
        self.inner.account_id()
    }

    /// Envelope schema version (`YYYY-MM-DD`).
    #[getter]
    fn schema_version(&self) -> &str {
        self.inner.schema_version()
    }

    /// Id of the key that decrypted it.
    #[getter]
    fn key_id(&self) -> &str {
        self.inner.key_id()
    }

    /// Delivery attempt number, 0 on the first. NOT authenticated: anyone on the path can
    /// change it. For logs and metrics only, never for decisions.
    #[getter]
    fn retry_count(&self) -> u64 {
        self.inner.retry_count()
    }

    /// The six verified metadata fields as a `dict` (`id`, `event_type`, `timestamp`,
    /// `account_id`, `schema_version`, `key_id`).
    #[getter]
    fn metadata<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let m: &WebhookMetadata = self.inner.metadata();
        guard(py, Side::Receive, || {
            let d = PyDict::new(py);
            for field in MetadataField::ALL {
                d.set_item(field.name(), field.value(m))?;
            }
            Ok(d)
        })
    }

    /// The decrypted payload as a `dict`, as `json.loads` gives it (built once, during
    /// `decrypt`; the same object each time).
    #[getter]
    fn payload(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        if let Some(payload) = self.payload.get(py) {
            return Ok(payload.clone_ref(py));
        }
        guard(py, Side::Receive, || {
            self.payload
                .get_or_try_init(py, || {
                    payload_to_py(py, self.inner.payload_str()).map(Bound::unbind)
                })
                .map(|p| p.clone_ref(py))
        })
    }

    /// The decrypted payload's exact bytes (a UTF-8 JSON object).
    #[getter]
    fn payload_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.payload_bytes())
    }

    /// The decrypted payload's exact text.
    #[getter]
    fn payload_text(&self) -> &str {
        self.inner.payload_str()
    }

    /// The payload as a typed view: `WorkflowEvent` (`WORKFLOW_*`),
    /// `SubjectRecordDataUpdated`, or `OtherEvent` for event types without a view (read
    /// `payload` for those).
    ///
    /// Raises `PayloadSchemaMismatchError` if a known event's payload lacks a required field,
    /// has one of the wrong type, or has a payload major version other than 1.
    fn event(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        guard(py, Side::Receive, || {
            crate::event::to_py(
                py,
                self.inner.event_type(),
                self.inner.event().or_raise(py)?,
            )
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "Webhook(id={}, event_type={}, timestamp={}, account_id={}, key_id={}, retry_count={}, payload=<{} bytes>)", quote(self.inner.id()), quote(self.inner.event_type()), quote(self.inner.timestamp()), quote(self.inner.account_id()), quote(self.inner.key_id()), self.inner.retry_count(), self.inner.payload_bytes().len())
    }
}

/// Encrypts `payload` into a webhook request body exactly as Kompliant does: for tests,
/// fixtures and local tools (the inverse of `WebhookReceiver.decrypt`).
///
/// `payload` is `bytes`, `str` or a JSON-serialisable mapping (written compactly by
/// `json.dumps`, integers exact); it is sealed as given, so a test can seal non-JSON on
/// purpose. `secret` is the key's base64
/// secret; `key_id` must name it. `nonce` (12 bytes) is for reproducible fixtures only:
/// reusing a nonce with the same key breaks AES-GCM. Returns the body for delivery attempt
/// `retry_count`.
///
/// Raises `InvalidKeyError` for a bad secret, `MalformedEnvelopeError` if a metadata field
/// holds the profile's AAD separator.
#[pyfunction]
#[pyo3(signature = (*, id, event_type, timestamp, account_id, schema_version, key_id, payload, secret, retry_count = 0, profile = None, nonce = None))]
#[allow(clippy::too_many_arguments)]
fn seal_webhook<'py>(
    py: Python<'py>,
    id: String,
    event_type: String,
    timestamp: String,
    account_id: String,
    schema_version: String,
    key_id: String,
    payload: &Bound<'py, PyAny>,
    secret: &str,
    retry_count: u64,
    profile: Option<&Bound<'py, PyAny>>,
    nonce: Option<&[u8]>,
) -> PyResult<Bound<'py, PyBytes>> {
    guard(py, Side::Receive, || {
        let payload: Vec<u8> = if let Ok(b) = payload.cast::<PyBytes>() {
            b.as_bytes().to_vec()
        } else if let Ok(s) = payload.cast::<PyString>() {
            s.to_cow()?.as_bytes().to_vec()
        } else {
            convert::py_to_json_text(payload)?.into_bytes()
        };
        let secret = WebhookSecret::from_base64(secret).or_raise(py)?;
        let profile = profile_arg(profile)?;
        let metadata = WebhookMetadata {
            id,
            event_type,
            timestamp,
            account_id,
            schema_version,
            key_id,
        };
        let sealed = match nonce {
            Some(n) => {
                let nonce: [u8; 12] = n.try_into().map_err(|_| {
                    PyValueError::new_err(format!("nonce must be 12 bytes, not {}", n.len()))
                })?;
                seal_with_nonce(&metadata, &payload, &secret, &profile, nonce)
            }
            None => seal(&metadata, &payload, &secret, &profile),
        }
        .or_raise(py)?;
        Ok(PyBytes::new(py, &sealed.body(retry_count)))
    })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyWebhookReceiver>()?;
    m.add_class::<PyWebhook>()?;
    m.add_function(wrap_pyfunction!(seal_webhook, m)?)?;
    m.add("DEFAULT_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)?;
    Ok(())
}
