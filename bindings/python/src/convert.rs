//! Conversions between Python values and the core's: JSON documents, durations and times.
//! Every JSON conversion goes through here (one place to optimise later).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString};
use serde_json::Value;

static JSON_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static JSON_DUMPS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn json_fn<'py>(
    py: Python<'py>,
    cell: &PyOnceLock<Py<PyAny>>,
    name: &str,
) -> PyResult<Bound<'py, PyAny>> {
    cell.get_or_try_init(py, || {
        Ok::<_, PyErr>(py.import("json")?.getattr(name)?.unbind())
    })
    .map(|f| f.bind(py).clone())
}

/// Parses JSON text (already checked by the core) into Python objects with `json.loads`.
pub(crate) fn json_text_to_py<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    json_fn(py, &JSON_LOADS, "loads")?.call1((PyString::new(py, text),))
}

/// A JSON value as Python objects (`dict`, `list`, `str`, `int`, `float`, `bool`, `None`).
pub(crate) fn json_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    json_text_to_py(py, &value.to_string())
}

/// A Python object (`dict`, `list`, ...) as a JSON value, through `json.dumps` (so the
/// same values are accepted as by the standard library; NaN and infinities are refused).
pub(crate) fn py_to_json(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    let text = py_to_json_text(obj)?;
    serde_json::from_str(&text)
        .map_err(|e| PyValueError::new_err(format!("value is not representable as JSON: {e}")))
}

/// A Python object as compact JSON text, by `json.dumps` (NaN and infinities refused,
/// non-ASCII characters kept as they are). Integers stay exact, whatever their size.
pub(crate) fn py_to_json_text(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    let py = obj.py();
    let kwargs = PyDict::new(py);
    kwargs.set_item("allow_nan", false)?;
    kwargs.set_item("ensure_ascii", false)?;
    kwargs.set_item("separators", (",", ":"))?;
    json_fn(py, &JSON_DUMPS, "dumps")?
        .call((obj,), Some(&kwargs))?
        .extract()
}

/// A non-negative duration from a `datetime.timedelta` or a number of seconds.
pub(crate) fn duration(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Duration> {
    let seconds: f64 = if obj.hasattr("total_seconds")? {
        obj.call_method0("total_seconds")?.extract()?
    } else {
        obj.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "{what} must be a number of seconds or a datetime.timedelta"
            ))
        })?
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        PyValueError::new_err(format!(
            "{what} must be a finite, non-negative number of seconds (got {seconds})"
        ))
    })
}

/// An optional duration (`None` stays `None`).
pub(crate) fn optional_duration(
    obj: Option<&Bound<'_, PyAny>>,
    what: &str,
) -> PyResult<Option<Duration>> {
    match obj {
        Some(o) if !o.is_none() => duration(o, what).map(Some),
        _ => Ok(None),
    }
}

/// A point in time from a `datetime.datetime` (its `timestamp()`; naive datetimes are local
/// time, as in Python) or a number of seconds since the Unix epoch.
pub(crate) fn system_time(obj: &Bound<'_, PyAny>) -> PyResult<SystemTime> {
    let seconds: f64 = if obj.hasattr("timestamp")? {
        obj.call_method0("timestamp")?.extract()?
    } else {
        obj.extract().map_err(|_| {
            PyTypeError::new_err("now must be a datetime.datetime or seconds since the Unix epoch")
        })?
    };
    let magnitude = Duration::try_from_secs_f64(seconds.abs())
        .map_err(|_| PyValueError::new_err(format!("now must be a finite time (got {seconds})")))?;
    let time = if seconds >= 0.0 {
        UNIX_EPOCH.checked_add(magnitude)
    } else {
        UNIX_EPOCH.checked_sub(magnitude)
    };
    time.ok_or_else(|| PyValueError::new_err(format!("now is out of range (got {seconds})")))
}
