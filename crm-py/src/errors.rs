//! The exception hierarchy and the one place where Rust errors become Python exceptions.
//!
//! ```text
//! Exception
//!  └── crm.CrmError                 .code: "validation", "not_found", "closed", "internal", ...
//!       ├── crm.ValidationError      (also a ValueError)  .errors: [{"field", "code", "message"}]
//!       ├── crm.InvalidArgumentError (also a ValueError)  unknown module/field/operator, bad option
//!       ├── crm.NotFoundError        (also a LookupError) record, user, module
//!       ├── crm.ConflictError        stale version, duplicate name, wrong recycle-bin state
//!       ├── crm.SchemaError          (also a ValueError)  a refused field / block / picklist edit
//!       ├── crm.FeedPositionExpiredError  the change log was trimmed past the position asked for
//!       ├── crm.AccessDeniedError    (also a PermissionError) .action, .module, .field, .record
//!       └── crm.StorageError         corrupt file, busy database, newer layout, backend failure
//! OSError and its subclasses (FileNotFoundError, PermissionError, IsADirectoryError, ...) for file problems
//! ```
//!
//! The class comes from crm-core's exhaustive [`ErrorKind`] (`code` is its stable string): busy,
//! duplicate, corrupt, incompatible-version and other storage kinds are `crm.StorageError`, the `io` kind
//! an `OSError`. A new kind breaks this crate's build until it has a class.
//!
//! Like polars (`PolarsError` + subclasses, one `From<PyPolarsErr> for PyErr`), every failure goes through
//! [`Failure`] and its single `From<Failure> for PyErr` (the orphan rule forbids `From<crm_core::Error> for
//! PyErr` here). Unlike `create_exception!`, the classes are built with `type(name, bases, dict)` so that
//! `ValidationError` can also be a `ValueError` (as pydantic's is) and `NotFoundError` a `LookupError`.

use crm_core::{Error, ErrorKind, StorageError};
use pyo3::exceptions::{PyException, PyLookupError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyTuple, PyType};

/// Everything that can go wrong inside a `Crm` call, before it becomes a Python exception.
#[derive(Debug)]
pub enum Failure {
    /// An error of the engine.
    Core(Error),
    /// The `Crm` object was closed.
    Closed,
    /// A bug: the engine panicked. The handle is unusable afterwards.
    Internal(String),
    /// A call into a `Crm` from a Python callback the engine is running (a workflow function, a mailer):
    /// the engine is busy with the outer call, so the inner one is refused rather than left to deadlock.
    Reentrant,
    /// A file could not be used; the path is reported as the exception's `filename`.
    Os(std::io::Error, String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Core(e)
    }
}

impl From<Failure> for PyErr {
    fn from(f: Failure) -> PyErr {
        Python::attach(|py| to_py_err(py, f))
    }
}

/// The name and docstring of one exception class.
struct ExcDef {
    name: &'static str,
    doc: &'static str,
}

const CRM_ERROR: ExcDef = ExcDef { name: "CrmError", doc: "Base class of every crm error. `code` is a stable machine-readable reason." };
const VALIDATION_ERROR: ExcDef = ExcDef {
    name: "ValidationError",
    doc: "A record did not pass validation. `errors` lists every problem: dicts with field, code and message.",
};
const INVALID_ARGUMENT_ERROR: ExcDef = ExcDef {
    name: "InvalidArgumentError",
    doc: "The request is malformed: unknown module or field, an operator that does not fit, a bad option.",
};
const NOT_FOUND_ERROR: ExcDef = ExcDef { name: "NotFoundError", doc: "The record, user, module or other named thing does not exist." };
const CONFLICT_ERROR: ExcDef =
    ExcDef { name: "ConflictError", doc: "The change conflicts with the stored state (stale version, duplicate name, recycle-bin state)." };
const SCHEMA_ERROR: ExcDef = ExcDef {
    name: "SchemaError",
    doc: "A field, block or picklist edit was refused (duplicate label, standard field, value in use, ...); nothing changed.",
};
const FEED_POSITION_EXPIRED_ERROR: ExcDef = ExcDef {
    name: "FeedPositionExpiredError",
    doc: "The change feed no longer holds the changes after the position asked for (the change log was trimmed past it): resynchronise.",
};
const ACCESS_DENIED_ERROR: ExcDef = ExcDef {
    name: "AccessDeniedError",
    doc: "The acting user may not do this (profile or sharing). `action`, `module`, `field` and `record` name what was refused.",
};
const STORAGE_ERROR: ExcDef =
    ExcDef { name: "StorageError", doc: "The storage backend failed: corrupt or foreign file, busy database, newer layout." };

static CRM_ERROR_T: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static VALIDATION_ERROR_T: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static INVALID_ARGUMENT_ERROR_T: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static NOT_FOUND_ERROR_T: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static CONFLICT_ERROR_T: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static SCHEMA_ERROR_T: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static STORAGE_ERROR_T: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static FEED_POSITION_EXPIRED_ERROR_T: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static ACCESS_DENIED_ERROR_T: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn make_type<'py>(py: Python<'py>, def: &ExcDef, bases: Vec<Bound<'py, PyType>>) -> PyResult<Py<PyType>> {
    let dict = PyDict::new(py);
    dict.set_item("__module__", "crm_engine")?;
    dict.set_item("__doc__", def.doc)?;
    if def.name == CRM_ERROR.name {
        dict.set_item("code", "error")?;
    }
    if def.name == VALIDATION_ERROR.name {
        dict.set_item("errors", PyList::empty(py))?;
    }
    let t = py.get_type::<PyType>().call1((def.name, PyTuple::new(py, bases)?, dict))?;
    Ok(t.cast_into::<PyType>()?.unbind())
}

fn base(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    CRM_ERROR_T.get_or_try_init(py, || make_type(py, &CRM_ERROR, vec![py.get_type::<PyException>()])).map(|t| t.bind(py))
}

fn sub<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyType>>,
    def: &ExcDef,
    extra: Option<Bound<'py, PyType>>,
) -> PyResult<&'py Bound<'py, PyType>> {
    cell.get_or_try_init(py, || {
        let mut bases = vec![base(py)?.clone()];
        bases.extend(extra);
        make_type(py, def, bases)
    })
    .map(|t| t.bind(py))
}

/// `crm.CrmError`.
pub fn crm_error(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    base(py)
}
/// `crm.ValidationError`.
pub fn validation_error(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    sub(py, &VALIDATION_ERROR_T, &VALIDATION_ERROR, Some(py.get_type::<PyValueError>()))
}
/// `crm.InvalidArgumentError`.
pub fn invalid_argument_error(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    sub(py, &INVALID_ARGUMENT_ERROR_T, &INVALID_ARGUMENT_ERROR, Some(py.get_type::<PyValueError>()))
}
/// `crm.NotFoundError`.
pub fn not_found_error(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    sub(py, &NOT_FOUND_ERROR_T, &NOT_FOUND_ERROR, Some(py.get_type::<PyLookupError>()))
}
/// `crm.ConflictError`.
pub fn conflict_error(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    sub(py, &CONFLICT_ERROR_T, &CONFLICT_ERROR, None)
}
/// `crm.SchemaError`.
pub fn schema_error(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    sub(py, &SCHEMA_ERROR_T, &SCHEMA_ERROR, Some(py.get_type::<PyValueError>()))
}
/// `crm.StorageError`.
pub fn storage_error(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    sub(py, &STORAGE_ERROR_T, &STORAGE_ERROR, None)
}

/// `crm.FeedPositionExpiredError`.
pub fn feed_position_expired_error(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    sub(py, &FEED_POSITION_EXPIRED_ERROR_T, &FEED_POSITION_EXPIRED_ERROR, None)
}

/// `crm.AccessDeniedError` (also a `PermissionError`).
pub fn access_denied_error(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    sub(py, &ACCESS_DENIED_ERROR_T, &ACCESS_DENIED_ERROR, Some(py.get_type::<pyo3::exceptions::PyPermissionError>()))
}

/// Adds every exception class to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("CrmError", crm_error(py)?)?;
    m.add("ValidationError", validation_error(py)?)?;
    m.add("InvalidArgumentError", invalid_argument_error(py)?)?;
    m.add("NotFoundError", not_found_error(py)?)?;
    m.add("ConflictError", conflict_error(py)?)?;
    m.add("StorageError", storage_error(py)?)?;
    m.add("SchemaError", schema_error(py)?)?;
    m.add("FeedPositionExpiredError", feed_position_expired_error(py)?)?;
    m.add("AccessDeniedError", access_denied_error(py)?)?;
    Ok(())
}

/// An `OSError` whose class follows the errno (`OSError(2, ...)` is a `FileNotFoundError`), with the
/// file name set; errors without an errno are mapped by kind.
fn os_error(py: Python<'_>, e: &std::io::Error, filename: Option<&str>) -> PyResult<PyErr> {
    let msg = e.to_string();
    let args = match e.raw_os_error() {
        Some(errno) => {
            let strerror = msg.split(" (os error").next().unwrap_or(&msg).to_string();
            match filename {
                Some(f) => PyTuple::new(
                    py,
                    [errno.into_pyobject(py)?.into_any(), strerror.into_pyobject(py)?.into_any(), f.into_pyobject(py)?.into_any()],
                )?,
                None => PyTuple::new(py, [errno.into_pyobject(py)?.into_any(), strerror.into_pyobject(py)?.into_any()])?,
            }
        }
        None => {
            // No errno: let PyO3 pick the class from the kind, keep our message.
            let kind_err: PyErr = std::io::Error::new(e.kind(), msg.clone()).into();
            let t = kind_err.get_type(py);
            return Ok(PyErr::from_value(t.call1((msg,))?));
        }
    };
    Ok(PyErr::from_value(py.get_type::<PyOSError>().call1(args)?))
}

fn with_code(t: &Bound<'_, PyType>, msg: String, code: &str) -> PyResult<PyErr> {
    let exc = t.call1((msg,))?;
    exc.setattr("code", code)?;
    Ok(PyErr::from_value(exc))
}

/// The one mapping from a failure to a Python exception.
pub fn to_py_err(py: Python<'_>, f: Failure) -> PyErr {
    let made = match f {
        Failure::Closed => crm_error(py).and_then(|t| with_code(t, "this Crm is closed".into(), "closed")),
        Failure::Internal(m) => {
            crm_error(py).and_then(|t| with_code(t, format!("internal error (this Crm can no longer be used): {m}"), "internal"))
        }
        Failure::Reentrant => crm_error(py).and_then(|t| {
            with_code(
                t,
                "a Crm cannot be used from a workflow function or mailer while the engine runs it (the engine is busy with \
                 the outer call); use the record passed in and return the fields to set"
                    .into(),
                "reentrant",
            )
        }),
        Failure::Os(e, path) => os_error(py, &e, Some(&path)),
        Failure::Core(e) => core_error(py, e),
    };
    made.unwrap_or_else(|e| e)
}

/// The exception class of each error kind. The match is exhaustive: a new kind in crm-core breaks this
/// build until it is given a class here. `None` for I/O errors, which become `OSError`s.
fn class_of(py: Python<'_>, kind: ErrorKind) -> PyResult<Option<&Bound<'_, PyType>>> {
    Ok(Some(match kind {
        ErrorKind::Validation => validation_error(py)?,
        ErrorKind::NotFound => not_found_error(py)?,
        ErrorKind::Conflict => conflict_error(py)?,
        ErrorKind::InvalidArgument => invalid_argument_error(py)?,
        ErrorKind::Schema => schema_error(py)?,
        ErrorKind::FeedPositionExpired => feed_position_expired_error(py)?,
        ErrorKind::IncompatibleVersion | ErrorKind::Corrupt | ErrorKind::Busy | ErrorKind::Duplicate | ErrorKind::Storage => {
            storage_error(py)?
        }
        ErrorKind::AccessDenied => access_denied_error(py)?,
        ErrorKind::Io => return Ok(None),
    }))
}

fn core_error(py: Python<'_>, e: Error) -> PyResult<PyErr> {
    let kind = e.kind();
    let code = kind.as_str();
    let msg = e.to_string();
    let Some(class) = class_of(py, kind)? else {
        return match e {
            Error::Storage(StorageError::Io(io)) => os_error(py, &io, None),
            other => os_error(py, &std::io::Error::other(other.to_string()), None),
        };
    };
    let exc = class.call1((msg,))?;
    exc.setattr("code", code)?;
    if let Error::Validation(v) = &e {
        let list = PyList::empty(py);
        for fe in v.errors() {
            let d = PyDict::new(py);
            d.set_item("field", &fe.field)?;
            d.set_item("code", fe.code.as_str())?;
            d.set_item("message", &fe.message)?;
            list.append(d)?;
        }
        exc.setattr("errors", list)?;
    }
    if let Error::AccessDenied(d) = &e {
        exc.setattr("action", &d.action)?;
        exc.setattr("module", &d.module)?;
        exc.setattr("field", &d.field)?;
        exc.setattr("record", d.record)?;
    }
    Ok(PyErr::from_value(exc))
}

/// A `crm.InvalidArgumentError` for a malformed call detected while converting arguments.
pub fn invalid(msg: impl Into<String>) -> PyErr {
    Failure::Core(Error::InvalidArgument(msg.into())).into()
}
