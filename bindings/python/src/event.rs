//! Typed event views (payload 1.x) as immutable Python classes, copied from the core's
//! `Event`. Unknown event types become `OtherEvent`; the raw payload is always on `Webhook`.

use crate::pyrepr::{quote, quote_list};
use kompliant_webhooks::{EntityChange, Event, UserContext};
use pyo3::prelude::*;

/// Who caused an event.
#[pyclass(
    frozen,
    eq,
    get_all,
    name = "UserContext",
    module = "kompliant_webhooks"
)]
#[derive(Clone, PartialEq)]
pub(crate) struct PyUserContext {
    /// The acting user's id.
    user_id: String,
    /// `USER`, `API_KEY`, `SYSTEM`, or a value added by Kompliant later (passed through).
    user_type: String,
}

impl From<UserContext> for PyUserContext {
    fn from(c: UserContext) -> Self {
        PyUserContext {
            user_type: c.user_type.as_str().to_owned(),
            user_id: c.user_id,
        }
    }
}

#[pymethods]
impl PyUserContext {
    fn __repr__(&self) -> String {
        format!(
            "UserContext(user_id={}, user_type={})",
            quote(&self.user_id),
            quote(&self.user_type)
        )
    }
}

/// A `WORKFLOW_*` event (`WORKFLOW_CREATED`, `WORKFLOW_STARTED`, `WORKFLOW_COMPLETED`, …).
#[pyclass(
    frozen,
    eq,
    get_all,
    name = "WorkflowEvent",
    module = "kompliant_webhooks"
)]
#[derive(Clone, PartialEq)]
pub(crate) struct PyWorkflowEvent {
    /// The event type, e.g. `WORKFLOW_COMPLETED`.
    event_type: String,
    /// Payload version, `MAJOR.MINOR` (major 1).
    version: String,
    /// The subject record (`sr_…`).
    subject_record_id: String,
    /// Who caused it.
    user_context: PyUserContext,
    /// The workflow (`w_…`).
    workflow_id: String,
    /// The workflow type, e.g. `BUSINESS_APPLICATION`.
    workflow_type: String,
}

#[pymethods]
impl PyWorkflowEvent {
    fn __repr__(&self) -> String {
        format!(
            "WorkflowEvent(event_type={}, version={}, subject_record_id={}, user_context={}, workflow_id={}, workflow_type={})", quote(&self.event_type), quote(&self.version), quote(&self.subject_record_id), self.user_context.__repr__(), quote(&self.workflow_id), quote(&self.workflow_type))
    }
}

/// One changed entity of a `SUBJECT_RECORD_DATA_UPDATED` event.
#[pyclass(
    frozen,
    eq,
    get_all,
    name = "EntityChange",
    module = "kompliant_webhooks"
)]
#[derive(Clone, PartialEq)]
pub(crate) struct PyEntityChange {
    /// The name of the id field, e.g. `person_id`.
    id_field: String,
    /// The entity's id.
    id: String,
    /// Changed field paths, e.g. `address.city`.
    fields: Vec<String>,
}

impl From<EntityChange> for PyEntityChange {
    fn from(c: EntityChange) -> Self {
        PyEntityChange {
            id_field: c.id_field,
            id: c.id,
            fields: c.fields,
        }
    }
}

#[pymethods]
impl PyEntityChange {
    fn __repr__(&self) -> String {
        format!(
            "EntityChange(id_field={}, id={}, fields={})",
            quote(&self.id_field),
            quote(&self.id),
            quote_list(&self.fields)
        )
    }
}

/// The changed entities of a `SUBJECT_RECORD_DATA_UPDATED` event, by kind (a kind absent
/// from the payload is an empty list).
#[pyclass(frozen, eq, get_all, name = "Entities", module = "kompliant_webhooks")]
#[derive(Clone, PartialEq)]
pub(crate) struct PyEntities {
    /// `business`
    business: Vec<PyEntityChange>,
    /// `persons`
    persons: Vec<PyEntityChange>,
    /// `bank_accounts`
    bank_accounts: Vec<PyEntityChange>,
    /// `sales_info`
    sales_info: Vec<PyEntityChange>,
}

#[pymethods]
impl PyEntities {
    fn __repr__(&self) -> String {
        let list = |v: &[PyEntityChange]| {
            let items: Vec<String> = v.iter().map(PyEntityChange::__repr__).collect();
            format!("[{}]", items.join(", "))
        };
        format!(
            "Entities(business={}, persons={}, bank_accounts={}, sales_info={})",
            list(&self.business),
            list(&self.persons),
            list(&self.bank_accounts),
            list(&self.sales_info)
        )
    }
}

/// A `SUBJECT_RECORD_DATA_UPDATED` event: which fields of which entities changed.
#[pyclass(
    frozen,
    eq,
    get_all,
    name = "SubjectRecordDataUpdated",
    module = "kompliant_webhooks"
)]
#[derive(Clone, PartialEq)]
pub(crate) struct PySubjectRecordDataUpdated {
    /// Payload version, `MAJOR.MINOR` (major 1).
    version: String,
    /// The subject record (`sr_…`).
    subject_record_id: String,
    /// Who caused it.
    user_context: PyUserContext,
    /// What changed, by entity kind.
    entities: PyEntities,
}

#[pymethods]
impl PySubjectRecordDataUpdated {
    /// Always `SUBJECT_RECORD_DATA_UPDATED`.
    #[getter]
    fn event_type(&self) -> &'static str {
        "SUBJECT_RECORD_DATA_UPDATED"
    }

    fn __repr__(&self) -> String {
        format!(
            "SubjectRecordDataUpdated(version={}, subject_record_id={}, user_context={}, entities={})", quote(&self.version), quote(&self.subject_record_id), self.user_context.__repr__(), self.entities.__repr__())
    }
}

/// An event type without a typed view (e.g. `DOCUMENT_UPLOADED`): read `Webhook.payload`.
#[pyclass(
    frozen,
    eq,
    get_all,
    name = "OtherEvent",
    module = "kompliant_webhooks"
)]
#[derive(Clone, PartialEq)]
pub(crate) struct PyOtherEvent {
    /// The event type.
    event_type: String,
}

#[pymethods]
impl PyOtherEvent {
    fn __repr__(&self) -> String {
        format!("OtherEvent(event_type={})", quote(&self.event_type))
    }
}

fn changes(list: Vec<EntityChange>) -> Vec<PyEntityChange> {
    list.into_iter().map(PyEntityChange::from).collect()
}

/// The Python view of a core event.
pub(crate) fn to_py(py: Python<'_>, event_type: &str, event: Event) -> PyResult<Py<PyAny>> {
    Ok(match event {
        Event::Workflow(w) => Py::new(
            py,
            PyWorkflowEvent {
                event_type: w.event_type,
                version: w.version,
                subject_record_id: w.subject_record_id,
                user_context: w.user_context.into(),
                workflow_id: w.workflow_id,
                workflow_type: w.workflow_type,
            },
        )?
        .into_any(),
        Event::SubjectRecordDataUpdated(s) => Py::new(
            py,
            PySubjectRecordDataUpdated {
                version: s.version,
                subject_record_id: s.subject_record_id,
                user_context: s.user_context.into(),
                entities: PyEntities {
                    business: changes(s.entities.business),
                    persons: changes(s.entities.persons),
                    bank_accounts: changes(s.entities.bank_accounts),
                    sales_info: changes(s.entities.sales_info),
                },
            },
        )?
        .into_any(),
        Event::Other { event_type } => Py::new(py, PyOtherEvent { event_type })?.into_any(),
        // `Event` is non-exhaustive: a view added to the core later reads as "other" here
        // until this binding learns it.
        _ => Py::new(
            py,
            PyOtherEvent {
                event_type: event_type.to_owned(),
            },
        )?
        .into_any(),
    })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyUserContext>()?;
    m.add_class::<PyWorkflowEvent>()?;
    m.add_class::<PyEntityChange>()?;
    m.add_class::<PyEntities>()?;
    m.add_class::<PySubjectRecordDataUpdated>()?;
    m.add_class::<PyOtherEvent>()?;
    Ok(())
}
