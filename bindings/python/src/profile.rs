//! `WireProfile`: the encryption layout, chosen by name or built by hand.

use crate::error::{guard, OrRaise, Side};
use crate::pyrepr::{quote, quote_list, quote_opt};
use kompliant_webhooks::{Aad, WireProfile};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// How `data` is laid out and which metadata is authenticated (the wire profile).
///
/// The default, `kompliant-2025-11-21`, is `base64(nonce(12) || ciphertext || tag(16))` with
/// the AAD `id|event_type|timestamp|account_id|schema_version|key_id`. Switching profile is
/// configuration, not a release: pick a built-in one by name or build a custom one.
#[pyclass(frozen, eq, name = "WireProfile", module = "kompliant_webhooks")]
#[derive(PartialEq)]
pub(crate) struct PyWireProfile {
    pub(crate) inner: WireProfile,
}

#[pymethods]
impl PyWireProfile {
    /// The names `by_name` knows: `kompliant-2025-11-21` (the default) and
    /// `kompliant-2025-11-21-no-aad`.
    #[classattr]
    #[pyo3(name = "BUILT_IN_NAMES")]
    fn built_in_names(py: Python<'_>) -> PyResult<Py<PyTuple>> {
        Ok(PyTuple::new(py, WireProfile::BUILT_IN_NAMES)?.unbind())
    }

    /// The default profile, `kompliant-2025-11-21`.
    #[staticmethod]
    fn default() -> Self {
        PyWireProfile {
            inner: WireProfile::default(),
        }
    }

    /// A built-in profile by name (see `BUILT_IN_NAMES`).
    ///
    /// Raises `InvalidConfigurationError` (a `ValueError`) for another name.
    #[staticmethod]
    fn by_name(py: Python<'_>, name: &str) -> PyResult<Self> {
        guard(py, Side::Receive, || {
            WireProfile::named(name)
                .or_raise(py)
                .map(|inner| PyWireProfile { inner })
        })
    }

    /// A profile of your own, e.g. if Kompliant's real layout turns out different. Options
    /// left `None` keep the core's defaults.
    ///
    /// `tag_position` is `"after_ciphertext"` (nonce || ciphertext || tag; the default) or
    /// `"before_ciphertext"` (nonce || tag || ciphertext). `aad_fields` lists the
    /// authenticated metadata fields in order (`None`: the documented six; empty: no AAD),
    /// joined with `separator` (default `|`; never empty).
    ///
    /// Raises `InvalidConfigurationError` (a `ValueError`) naming an unknown tag position or
    /// field, or an empty separator.
    #[staticmethod]
    #[pyo3(signature = (name, *, tag_position = None, aad_fields = None, separator = None))]
    fn custom(
        py: Python<'_>,
        name: &str,
        tag_position: Option<&str>,
        aad_fields: Option<Vec<String>>,
        separator: Option<&str>,
    ) -> PyResult<Self> {
        guard(py, Side::Receive, || {
            WireProfile::from_names(name, tag_position, aad_fields.as_deref(), separator)
                .or_raise(py)
                .map(|inner| PyWireProfile { inner })
        })
    }

    /// The profile's name.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// `"after_ciphertext"` or `"before_ciphertext"`.
    #[getter]
    fn tag_position(&self) -> &'static str {
        self.inner.tag_position().name()
    }

    /// The authenticated metadata fields, in AAD order (empty: no AAD).
    #[getter]
    fn aad_fields(&self) -> Vec<&'static str> {
        match self.inner.aad() {
            Aad::None => Vec::new(),
            Aad::Fields { fields, .. } => fields.iter().map(|f| f.name()).collect(),
        }
    }

    /// The separator between AAD fields (`None` without AAD).
    #[getter]
    fn separator(&self) -> Option<&str> {
        match self.inner.aad() {
            Aad::None => None,
            Aad::Fields { separator, .. } => Some(separator),
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "WireProfile(name={}, tag_position={}, aad_fields={}, separator={})",
            quote(self.name()),
            quote(self.tag_position()),
            quote_list(&self.aad_fields()),
            quote_opt(self.separator())
        )
    }
}

/// A profile argument: `None` (the default), a built-in name (`InvalidConfigurationError`
/// for another), or a `WireProfile`.
pub(crate) fn profile_arg(profile: Option<&Bound<'_, PyAny>>) -> PyResult<WireProfile> {
    match profile {
        None => Ok(WireProfile::default()),
        Some(p) if p.is_none() => Ok(WireProfile::default()),
        Some(p) => {
            if let Ok(p) = p.cast::<PyWireProfile>() {
                Ok(p.get().inner.clone())
            } else if let Ok(name) = p.extract::<String>() {
                WireProfile::named(&name).or_raise(p.py())
            } else {
                Err(PyTypeError::new_err(
                    "profile must be a WireProfile or the name of a built-in one",
                ))
            }
        }
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyWireProfile>()?;
    Ok(())
}
