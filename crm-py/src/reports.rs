//! Forecast reports of `crm.Crm`: the opportunity pipeline grouped by stage, stage kind, owner or close
//! period, today or as it stood on a past day.

use crate::convert::to_where;
use crate::crm::Crm;
use crate::engine::Access;
use chrono::NaiveDate;
use crm_core::{Calendar, PipelineBy};
use pyo3::prelude::*;
use rust_decimal::Decimal;

/// One forecast row, as a dict.
#[derive(IntoPyObject)]
pub struct ForecastOut {
    key: String,
    count: u64,
    amount: Decimal,
    forecast_amount: Decimal,
    label: String,
}

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
    /// "forecast_amount", "label"}` with exact `Decimal` sums. With `as_of` (a date) the pipeline as it stood
    /// at the end of that day, from the stage history. `calendar="jalali"` groups months, quarters and years
    /// by the Jalali calendar: keys `1406-01`, `1406-Q1`, `1406`, labels `فروردین ۱۴۰۶`, `بهار ۱۴۰۶`,
    /// `۱۴۰۶`; `label` is the key for every other group.
    #[pyo3(signature = (module = "Potentials".to_string(), by = None, *, r#where = None, as_of = None, calendar = None))]
    fn forecast(
        &self,
        py: Python<'_>,
        module: String,
        by: Option<String>,
        r#where: Option<&Bound<'_, PyAny>>,
        as_of: Option<NaiveDate>,
        calendar: Option<String>,
    ) -> PyResult<Vec<ForecastOut>> {
        let by = by_of(by.as_deref())?;
        let calendar = calendar.as_deref().unwrap_or("gregorian").parse::<Calendar>().map_err(crate::errors::Failure::from)?;
        let filter = to_where(r#where)?;
        self.engine.run(py, Access::Read, move |crm| {
            if crm.module(&module)?.name != "Potentials" {
                return Err(crm_core::Error::InvalidArgument(format!("a forecast is made over Potentials, not '{module}'")).into());
            }
            let rows = match as_of {
                Some(d) => crm.pipeline_as_of_in(d, by, filter, calendar)?,
                None => crm.pipeline_in(by, filter, calendar)?,
            };
            Ok(rows
                .into_iter()
                .map(|r| ForecastOut {
                    label: r.label.unwrap_or_else(|| r.key.clone()),
                    key: r.key,
                    count: r.count,
                    amount: r.amount,
                    forecast_amount: r.forecast_amount,
                })
                .collect())
        })
    }
}
