//! Forecast reports of `crm.Crm`: the opportunity pipeline grouped by stage, stage kind, owner or close
//! period, today or as it stood on a past day.

use crate::analytics::{pipeline_row, rows_to_py};
use crate::convert::to_where;
use crate::crm::Crm;
use crate::engine::Access;
use chrono::NaiveDate;
use crm_core::PipelineBy;
use crm_core::analytics::ReportBy;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The grouping, read by crm-core's parser (the one C's `crm_pipeline` uses); none is `total`.
fn by_of(by: Option<&str>) -> PyResult<PipelineBy> {
    by.unwrap_or("total").parse::<PipelineBy>().map_err(|e| crate::errors::Failure::from(e).into())
}

#[pymethods]
impl Crm {
    /// The pipeline of opportunities (matching `where`) grouped `by` `"sales_stage"`, `"kind"`
    /// (open/won/lost), `"owner"`, `"month"` (`yyyy-mm` of the close date), `"quarter"` (`yyyy-Qn`),
    /// `"year"` or `"total"` (None); also C's names (`"stage"`, `"stage_kind"`, `"close_month"`, ...), any
    /// case. One dict per group ordered by key: `{"key", "count", "amount",
    /// "forecast_amount"}` with exact `Decimal` sums. With `as_of` (a date) the pipeline as it stood at the
    /// end of that day, from the stage history.
    ///
    /// With `period` (`"2027-Q1"`, `"2027-03"`, `"2027"`, `"FY2027"`), a list of groupings, or a grouping
    /// only analytics has (`"forecast_category"`, `"lead_source"`, `"type"`): the analytics forecast, one
    /// dict per group with a column per grouping (`"forecast_category"`, `"quarter"`, `"owner"` by user
    /// name, ...), `"period"`, `"count"`, `"amount"`, `"forecast_amount"`.
    #[pyo3(signature = (module = "Potentials".to_string(), by = None, *, r#where = None, as_of = None, period = None))]
    fn forecast<'py>(
        &self,
        py: Python<'py>,
        module: String,
        by: Option<&Bound<'py, PyAny>>,
        r#where: Option<&Bound<'py, PyAny>>,
        as_of: Option<NaiveDate>,
        period: Option<String>,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let names: Option<Vec<String>> = match by {
            None => None,
            Some(b) if b.is_none() => None,
            Some(b) => match b.extract::<String>() {
                Ok(one) => Some(vec![one]),
                Err(_) => Some(b.extract::<Vec<String>>()?),
            },
        };
        let analytics = period.is_some()
            || names.as_ref().is_some_and(|n| n.len() != 1 || (n[0].parse::<PipelineBy>().is_err() && n[0].parse::<ReportBy>().is_ok()));
        let filter = to_where(r#where)?;
        if analytics {
            if as_of.is_some() {
                return Err(crate::errors::invalid("as_of does not combine with period or analytics groupings"));
            }
            let by = names
                .unwrap_or_default()
                .iter()
                .map(|n| n.parse::<ReportBy>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(crate::errors::Failure::from)?;
            let rows = self.engine.run(py, Access::Read, move |crm| {
                if crm.module(&module)?.name != "Potentials" {
                    return Err(crm_core::Error::InvalidArgument(format!("a forecast is made over Potentials, not '{module}'")).into());
                }
                Ok(crm.forecast_by(&by, period.as_deref(), filter)?)
            })?;
            return rows_to_py(py, rows);
        }
        let by = by_of(names.as_ref().and_then(|n| n.first()).map(String::as_str))?;
        let rows = self.engine.run(py, Access::Read, move |crm| {
            if crm.module(&module)?.name != "Potentials" {
                return Err(crm_core::Error::InvalidArgument(format!("a forecast is made over Potentials, not '{module}'")).into());
            }
            let rows = match as_of {
                Some(d) => crm.pipeline_as_of(d, by, filter)?,
                None => crm.pipeline(by, filter)?,
            };
            Ok(rows.into_iter().map(pipeline_row).collect())
        })?;
        rows_to_py(py, rows)
    }
}
