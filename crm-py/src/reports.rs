//! Forecast reports of `crm.Crm`: the opportunity pipeline grouped by stage, stage kind, owner or close
//! period, today or as it stood on a past day, in the base currency or a requested one; and the analytics
//! forecast by period and forecast category.

use crate::analytics::{pipeline_row, rows_to_py};
use crate::convert::to_where;
use crate::crm::Crm;
use crate::engine::Access;
use chrono::NaiveDate;
use crm_core::analytics::ReportBy;
use crm_core::{Calendar, PipelineBy};
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

/// The sums of one currency inside a forecast row, as a dict.
#[derive(IntoPyObject)]
pub struct SubtotalOut {
    currency: String,
    count: u64,
    amount: Decimal,
    forecast_amount: Decimal,
}

/// The grouping, read by crm-core's parser (the one C's `crm_pipeline` uses); none is `total`.
fn by_of(by: Option<&str>) -> PyResult<PipelineBy> {
    by.unwrap_or("total").parse::<PipelineBy>().map_err(|e| crate::errors::Failure::from(e).into())
}

/// The module check every forecast makes.
fn potentials_only(crm: &crm_core::Crm, module: &str) -> crm_core::Result<()> {
    if crm.module(module)?.name != "Potentials" {
        return Err(crm_core::Error::InvalidArgument(format!("a forecast is made over Potentials, not '{module}'")));
    }
    Ok(())
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
    /// count and sums in that currency. With `as_of` too, each deal's amounts of that day are in its
    /// currency of that day and convert at the rate of that day's close date. The analytics forecast
    /// (below) takes `currency` as well, and `by="currency"` gives its per-currency rows.
    ///
    /// With `period` (`"2027-Q1"`, `"2027-03"`, `"2027"`, `"FY2027"`), a list of groupings, or a grouping
    /// only analytics has (`"forecast_category"`, `"lead_source"`, `"type"`): the analytics forecast, one
    /// dict per group with a column per grouping (`"forecast_category"`, `"quarter"`, `"owner"` by user
    /// name, ...), `"period"`, `"count"`, `"amount"`, `"forecast_amount"`.
    ///
    /// Rows of the pipeline also have a `"label"`: the key in the acting user's language. With
    /// `calendar="jalali"` months, quarters and years are Jalali: keys `1406-01`, `1406-Q1`, `1406`, labels
    /// `فروردین ۱۴۰۶`, `بهار ۱۴۰۶`, `۱۴۰۶`.
    #[pyo3(signature = (module = "Potentials".to_string(), by = None, *, r#where = None, as_of = None, period = None, currency = None, subtotals = false, calendar = None))]
    #[allow(clippy::too_many_arguments)]
    fn forecast<'py>(
        &self,
        py: Python<'py>,
        module: String,
        by: Option<&Bound<'py, PyAny>>,
        r#where: Option<&Bound<'py, PyAny>>,
        as_of: Option<NaiveDate>,
        period: Option<String>,
        currency: Option<String>,
        subtotals: bool,
        calendar: Option<String>,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let calendar = calendar.as_deref().unwrap_or("gregorian").parse::<Calendar>().map_err(crate::errors::Failure::from)?;
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
        let in_currency = currency.is_some() || subtotals;
        if analytics {
            if as_of.is_some() || subtotals || calendar != Calendar::Gregorian {
                return Err(crate::errors::invalid(
                    "as_of, subtotals and calendar do not combine with period or analytics groupings (group by \"currency\" for per-currency rows)",
                ));
            }
            let by = names
                .unwrap_or_default()
                .iter()
                .map(|n| n.parse::<ReportBy>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(crate::errors::Failure::from)?;
            let rows = self.engine.run(py, Access::Read, move |crm| {
                potentials_only(crm, &module)?;
                Ok(crm.forecast_by_in(&by, period.as_deref(), filter, currency.as_deref())?)
            })?;
            return rows_to_py(py, rows);
        }
        let by = by_of(names.as_ref().and_then(|n| n.first()).map(String::as_str))?;
        if !in_currency {
            let rows = self.engine.run(py, Access::Read, move |crm| {
                potentials_only(crm, &module)?;
                let rows = match as_of {
                    Some(d) => crm.pipeline_as_of_calendar(d, by, filter, calendar)?,
                    None => crm.pipeline_calendar(by, filter, calendar)?,
                };
                Ok(rows.into_iter().map(pipeline_row).collect())
            })?;
            return rows_to_py(py, rows);
        }
        let rows = self.engine.run(py, Access::Read, move |crm| {
            potentials_only(crm, &module)?;
            match as_of {
                Some(d) => Ok(crm.pipeline_as_of_in(d, by, filter, currency.as_deref(), subtotals, calendar)?),
                None if calendar != Calendar::Gregorian => Err(crm_core::Error::InvalidArgument(
                    "a forecast of today in a currency is by Gregorian periods: leave out calendar, or currency and subtotals".into(),
                )
                .into()),
                None => Ok(crm.pipeline_in(by, filter, currency.as_deref(), subtotals)?),
            }
        })?;
        pipeline_rows_to_py(py, rows, subtotals)
    }
}

/// Pipeline rows in a currency as dicts: `key`, `count`, `amount`, `forecast_amount`, `label`, `currency`
/// and, with `subtotals`, `subtotals` (a dict per currency).
pub fn pipeline_rows_to_py(py: Python<'_>, rows: Vec<crm_core::PipelineRow>, subtotals: bool) -> PyResult<Vec<Bound<'_, PyDict>>> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let label = r.label.unwrap_or_else(|| r.key.clone());
        let d = ForecastOut { key: r.key, count: r.count, amount: r.amount, forecast_amount: r.forecast_amount }.into_pyobject(py)?;
        d.set_item("label", label)?;
        d.set_item("currency", r.currency)?;
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
