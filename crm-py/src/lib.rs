//! # crm-py
//!
//! Python bindings of crm: the private native module `crm_engine._crm`, re-exported by the pure-Python package
//! `crm_engine` (`python/crm_engine/__init__.py`). Layout after pydantic-core: maturin mixed project, hand-written
//! `_crm.pyi` stubs checked by mypy's stubtest.
//!
//! * [`crm::Crm`] — the `crm.Crm` class (open/close, users, schema) and, in `records.rs`, record operations.
//! * [`engine`] — the engine in a mutex, run detached from the interpreter, panics caught.
//! * [`convert`] — Python values ↔ crm values, records as dicts, `where` conditions.
//! * [`errors`] — the exception classes and the one mapping function.
//!
//! Free-threaded Python: every class is `Sync` (the engine sits behind a `Mutex`, the iterator is a plain
//! pyclass guarded by PyO3's borrow flag), so the module declares `gil_used = false`.

#![cfg(feature = "python")]
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod access;
pub mod analytics;
pub mod arrow;
pub mod cli;
pub mod conditions;
pub mod convert;
pub mod crm;
pub mod currency;
pub mod customize;
pub mod duplicates;
pub mod engine;
pub mod errors;
pub mod feed;
pub mod indexes;
pub mod io;
pub mod json;
pub mod language;
pub mod progress;
pub mod records;
pub mod records_in;
pub mod relations;
pub mod reports;
pub mod settings;
pub mod streams;
pub mod transactions;
pub mod views;
pub mod workflows;

use pyo3::prelude::*;

/// The native module `crm_engine._crm`.
#[pymodule(gil_used = false)]
pub mod _crm {
    #[pymodule_export]
    use super::arrow::ArrowStream;
    #[pymodule_export]
    use super::cli::run_cli;
    #[pymodule_export]
    use super::crm::Crm;
    #[pymodule_export]
    use super::feed::ChangeWatch;
    #[pymodule_export]
    use super::io::ImportReport;
    #[pymodule_export]
    use super::records::RecordIter;
    #[pymodule_export]
    use super::transactions::Transaction;

    use pyo3::prelude::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        super::errors::register(m)
    }
}
