//! Conditions and expressions of `crm.Crm` evaluated against stored records outside a save
//! ([`crm_core::Crm::matching`], [`crm_core::Crm::count_matching`], [`crm_core::Crm::evaluate`]). vtiger has no such calls: it evaluates
//! them only while saving or in scheduled runs.

use crate::convert::{from_value, to_id};
use crate::crm::Crm;
use crate::engine::Access;
use crate::json::to_json;
use pyo3::prelude::*;
use pyo3::types::PyString;

#[pymethods]
impl Crm {
    /// The ids among `ids` (ints or record dicts) whose records of `module` meet `condition`, in the order
    /// given. `condition` is vtiger's workflow condition JSON (the `test` array: `[{"fieldname": "amount",
    /// "operation": "greater than", "value": "1000", "joincondition": "", "groupid": 0}]`), as text or as
    /// a list of dicts; it is compiled once. Every id must be a live record of `module`: an unknown id, a
    /// record in the recycle bin or of another module raises `crm.NotFoundError`; a condition that does not fit
    /// the module raises `crm.InvalidArgumentError`.
    fn matching(&self, py: Python<'_>, module: String, condition: &Bound<'_, PyAny>, ids: &Bound<'_, PyAny>) -> PyResult<Vec<i64>> {
        let condition = match condition.cast::<PyString>() {
            Ok(s) => s.to_cow()?.into_owned(),
            Err(_) => to_json(condition)?.to_string(),
        };
        let ids = ids.try_iter()?.map(|id| to_id(&id?)).collect::<PyResult<Vec<_>>>()?;
        let matched = self.engine.run(py, Access::Read, move |crm| Ok(crm.matching(&module, &condition, &ids)?))?;
        Ok(matched.into_iter().map(|id| id.0).collect())
    }

    /// How many live records of `module` meet `condition` (vtiger's workflow condition JSON, as text or as
    /// a list of dicts, as in `matching`). The condition is compiled once and the records stream from the
    /// store without building a dict per record. Raises `crm.NotFoundError` for an unknown module and
    /// `crm.InvalidArgumentError` for a condition that does not fit the module.
    fn count_matching(&self, py: Python<'_>, module: String, condition: &Bound<'_, PyAny>) -> PyResult<u64> {
        let condition = match condition.cast::<PyString>() {
            Ok(s) => s.to_cow()?.into_owned(),
            Err(_) => to_json(condition)?.to_string(),
        };
        self.engine.run(py, Access::Read, move |crm| Ok(crm.count_matching(&module, &condition)?))
    }

    /// The value of workflow expression `expression` (`"amount * 2"`, `"concat(potentialname, ' - ',
    /// sales_stage)"`, `"amount > 1000"`) for record `id` (int or record dict) of `module`: numbers as
    /// `decimal.Decimal`, dates as `datetime.date`/`datetime`, comparisons as `bool`, empty as `None`.
    /// Raises `crm.InvalidArgumentError` for a bad expression or a failed evaluation, `crm.NotFoundError` as
    /// `matching`.
    fn evaluate<'py>(&self, py: Python<'py>, module: String, expression: String, id: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let id = to_id(id)?;
        let value = self.engine.run(py, Access::Read, move |crm| Ok(crm.evaluate(&module, &expression, id)?))?;
        from_value(py, &value)
    }
}
