//! Forecast reports of `crm.Crm`: the opportunity pipeline grouped by stage, stage kind, owner or close
//! period, today or as it stood on a past day.

use crate::convert::to_where;
use crate::crm::Crm;
use crate::engine::Access;
use chrono::NaiveDate;
use crm_core::PipelineBy;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rust_decimal::Decimal;

/// One forecast row, as a dict.
#[derive(IntoPyObject)]
pub struct ForecastOut {
    key: String,
    count: u64,
    amount: Decimal,
    forecast_amount: Decimal,
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
    /// "forecast_amount"}` with exact `Decimal` sums. With `as_of` (a date) the pipeline as it stood at the
    /// end of that day, from the stage history. With `currency` (an ISO code) the sums are in that
    /// currency, each deal converted at the rate of its close date (default: the base currency), and each
    /// row says its `"currency"`; with `subtotals` each row also has `"subtotals"`: per currency, the
    /// count and sums in that currency.
    #[pyo3(signature = (module = "Potentials".to_string(), by = None, *, r#where = None, as_of = None, currency = None, subtotals = false))]
    #[allow(clippy::too_many_arguments)]
    fn forecast<'py>(
        &self,
        py: Python<'py>,
        module: String,
        by: Option<String>,
        r#where: Option<&Bound<'py, PyAny>>,
        as_of: Option<NaiveDate>,
        currency: Option<String>,
        subtotals: bool,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let by = by_of(by.as_deref())?;
        let filter = to_where(r#where)?;
        let in_currency = currency.is_some() || subtotals;
        let rows = self.engine.run(py, Access::Read, move |crm| {
            if crm.module(&module)?.name != "Potentials" {
                return Err(crm_core::Error::InvalidArgument(format!("a forecast is made over Potentials, not '{module}'")).into());
            }
            if as_of.is_some() && in_currency {
                return Err(crm_core::Error::InvalidArgument(
                    "a forecast as of a past day is not converted: leave out currency and subtotals".into(),
                )
                .into());
            }
            Ok(match as_of {
                Some(d) => crm.pipeline_as_of(d, by, filter)?,
                None if in_currency => crm.pipeline_in(by, filter, currency.as_deref(), subtotals)?,
                None => crm.pipeline(by, filter)?,
            })
        })?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let d = ForecastOut { key: r.key, count: r.count, amount: r.amount, forecast_amount: r.forecast_amount }.into_pyobject(py)?;
            if in_currency {
                d.set_item("currency", r.currency)?;
            }
            if subtotals {
                let subs: Vec<SubtotalOut> = r
                    .subtotals
                    .into_iter()
                    .map(|s| SubtotalOut { currency: s.currency, count: s.count, amount: s.amount, forecast_amount: s.forecast_amount })
                    .collect();
                d.set_item("subtotals", subs)?;
            }
            out.push(d);
        }
        Ok(out)
    }
}

/// The sums of one currency inside a forecast row, as a dict.
#[derive(IntoPyObject)]
pub struct SubtotalOut {
    currency: String,
    count: u64,
    amount: Decimal,
    forecast_amount: Decimal,
}
