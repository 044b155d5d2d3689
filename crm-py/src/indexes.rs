//! Declared indexes of `crm.Crm`: `add_index`, `drop_index`, `indexes` (crm-core's `Crm::add_index`,
//! `Crm::drop_index`, `Crm::indexes`). An index is a dict `{"name": "ix_12", "fields": ["sales_stage",
//! "closingdate"]}`; a refused definition raises `crm.SchemaError`.

use crate::crm::Crm;
use crate::engine::Access;
use crate::json::to_py;
use pyo3::prelude::*;

#[pymethods]
impl Crm {
    /// Declares a composite index of `module` over `fields` (1 to 4 names or labels, in index order); returns
    /// it. Part of the schema: stored, logged, seen by every handle; SQLite builds the real index.
    fn add_index<'py>(&self, py: Python<'py>, module: String, fields: Vec<String>) -> PyResult<Bound<'py, PyAny>> {
        let ix = self.engine.run(py, Access::Write, move |crm| {
            let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
            Ok(crm.add_index(&module, &refs)?)
        })?;
        to_py(py, &ix)
    }

    /// Drops the declared index of `module` over exactly `fields` (names or labels, in index order).
    fn drop_index(&self, py: Python<'_>, module: String, fields: Vec<String>) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| {
            let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
            Ok(crm.drop_index(&module, &refs).map(|_| ())?)
        })
    }

    /// The declared indexes of `module`, in the order they were added.
    fn indexes<'py>(&self, py: Python<'py>, module: String) -> PyResult<Bound<'py, PyAny>> {
        let list = self.engine.run(py, Access::Read, move |crm| Ok(crm.indexes(&module)?))?;
        to_py(py, &list)
    }
}
