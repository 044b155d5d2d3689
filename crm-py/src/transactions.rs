//! Transactions of `crm.Crm`: `with db.transaction(): ...` commits every write inside together, or —
//! when the block raises — none of them (crm-core's `Crm::begin_transaction` family, on every store).
//! `begin_transaction`, `commit_transaction`, `rollback_transaction` and `in_transaction` are the same
//! steps by hand.

use crate::crm::Crm;
use crate::engine::{Access, Engine};
use pyo3::prelude::*;
use pyo3::types::PyType;
use std::sync::Arc;

/// A transaction as a context manager (`Crm.transaction()`): begins on enter, commits on a clean exit,
/// rolls back when the block raises (the exception goes on).
#[pyclass(frozen, module = "crm_engine", name = "Transaction")]
pub struct Transaction {
    engine: Arc<Engine>,
}

#[pymethods]
impl Transaction {
    fn __enter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        slf.get().engine.run(slf.py(), Access::Read, |crm| Ok(crm.begin_transaction()?))?;
        Ok(slf)
    }

    #[pyo3(signature = (exc_type = None, _exc_value = None, _traceback = None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyType>>,
        _exc_value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let commit = exc_type.is_none();
        let out = self.engine.run(py, Access::Read, move |crm| {
            if !crm.in_transaction() {
                return Ok(()); // ended by hand inside the block
            }
            let ended = if commit { crm.commit_transaction() } else { crm.rollback_transaction() };
            Ok(ended?)
        });
        match out {
            Err(e) if commit => Err(e),
            _ => Ok(false), // the block's own exception goes on
        }
    }
}

#[pymethods]
impl Crm {
    /// A context manager: `with db.transaction(): ...` commits every write inside together, or rolls all of
    /// them back when the block raises. ConflictError when a transaction is already open on this handle.
    fn transaction(&self) -> Transaction {
        Transaction { engine: Arc::clone(&self.engine) }
    }

    /// Opens a transaction by hand (see `transaction()`); end it with `commit_transaction()` or
    /// `rollback_transaction()`.
    fn begin_transaction(&self, py: Python<'_>) -> PyResult<()> {
        self.engine.run(py, Access::Read, |crm| Ok(crm.begin_transaction()?))
    }

    /// Commits the open transaction. ConflictError when none is open.
    fn commit_transaction(&self, py: Python<'_>) -> PyResult<()> {
        self.engine.run(py, Access::Read, |crm| Ok(crm.commit_transaction()?))
    }

    /// Rolls the open transaction back: none of its writes stay. ConflictError when none is open.
    fn rollback_transaction(&self, py: Python<'_>) -> PyResult<()> {
        self.engine.run(py, Access::Read, |crm| Ok(crm.rollback_transaction()?))
    }

    /// True while a transaction is open on this handle.
    #[getter]
    fn in_transaction(&self, py: Python<'_>) -> PyResult<bool> {
        self.engine.run(py, Access::Read, |crm| Ok(crm.in_transaction()))
    }
}
