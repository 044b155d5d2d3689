//! Engine settings of `crm.Crm`: auto-number configuration and the stage → probability rule.

use crate::crm::Crm;
use crate::engine::Access;
use pyo3::prelude::*;

/// A module's auto-number state, as a dict.
#[derive(IntoPyObject)]
pub struct AutoNumberOut {
    prefix: String,
    next: String,
}

#[pymethods]
impl Crm {
    /// The prefix and next number of a module's auto-number (`{"prefix": "POT", "next": "1"}`).
    fn auto_number(&self, py: Python<'_>, module: String) -> PyResult<AutoNumberOut> {
        self.engine.run(py, Access::Read, move |crm| {
            let s = crm.auto_number(&module)?;
            Ok(AutoNumberOut { prefix: s.prefix, next: s.next })
        })
    }

    /// Configures a module's auto-number. With an unchanged prefix the next number may not go below the
    /// current one (numbers are never reused).
    fn set_auto_number(&self, py: Python<'_>, module: String, prefix: String, next: String) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.set_auto_number(&module, &prefix, &next)?))
    }

    /// Turns the stage → default probability rule on or off (stored with the database).
    fn set_stage_probability_autofill(&self, py: Python<'_>, on: bool) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.set_stage_probability_autofill(on)?))
    }
}
