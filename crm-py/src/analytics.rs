//! Sales analytics of `crm.Crm`: quotas and attainment, win rate, velocity, stage funnel, time in stage,
//! lost reasons, the pipeline as of a date and pipeline snapshots. Each returns rows as dicts: counts as
//! `int`, money and ratios as exact `Decimal`, keys as `str`, `None` where a figure has no value.

use crate::convert::to_where;
use crate::crm::Crm;
use crate::engine::Access;
use crate::errors::Failure;
use chrono::NaiveDate;
use crm_core::PipelineBy;
use crm_core::analytics::{Cell, LostBy, ReportBy, ReportRow};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Report rows as dicts, cells in the report's column order.
pub fn rows_to_py(py: Python<'_>, rows: Vec<ReportRow>) -> PyResult<Vec<Bound<'_, PyDict>>> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let d = PyDict::new(py);
        for (k, c) in r.cells {
            match c {
                Cell::Empty => d.set_item(k, py.None())?,
                Cell::Count(n) => d.set_item(k, n)?,
                Cell::Decimal(x) => d.set_item(k, x)?,
                Cell::Text(t) => d.set_item(k, t)?,
            }
        }
        out.push(d);
    }
    Ok(out)
}

/// A grouping by name (crm-core's parser).
pub fn report_by(by: Option<&str>, default: ReportBy) -> PyResult<ReportBy> {
    by.map_or(Ok(default), |b| b.parse::<ReportBy>().map_err(|e| Failure::from(e).into()))
}

/// An exact decimal from `Decimal`, `int` or `str` (never from `float`).
fn amount_of(v: &Bound<'_, PyAny>) -> PyResult<rust_decimal::Decimal> {
    let value = crate::convert::to_value("amount", v)?;
    let text = match value {
        crm_core::Value::Decimal(d) => return Ok(d),
        crm_core::Value::Int(i) => return Ok(i.into()),
        crm_core::Value::Text(t) => t,
        other => other.to_text().unwrap_or_default(),
    };
    crm_core::analytics::options::parse_amount(&text).map_err(|e| Failure::from(e).into())
}

#[pymethods]
impl Crm {
    /// Sets the quota of a user or group (user name, full name or group name) for a period (`2027-Q1`,
    /// `2027-03`, `2027`, `FY2027`, `FY2027-Q1`); returns `{"owner", "period", "amount"}`.
    fn set_quota<'py>(&self, py: Python<'py>, owner: String, period: String, amount: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
        let amount = amount_of(amount)?;
        let rows = self.engine.run(py, Access::Write, move |crm| {
            let q = crm.set_quota(&owner, &period, amount)?;
            Ok(crm.quota_rows(vec![q])?)
        })?;
        rows_to_py(py, rows)?.pop().ok_or_else(|| crate::errors::invalid("no quota row"))
    }

    /// Every stored quota: `{"owner", "period", "amount"}` in the order set.
    fn quotas<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let rows = self.engine.run(py, Access::Read, move |crm| {
            let q = crm.quotas()?;
            Ok(crm.quota_rows(q)?)
        })?;
        rows_to_py(py, rows)
    }

    /// Attainment in a period `by` `"owner"` (one row per quota holder) or `"total"` (the users' quotas).
    /// With `currency` (an ISO code) the money is in that currency: each deal converted at the rate of its
    /// close date, quotas (in the base currency) at the rate of the period's last day; rows say their
    /// `"currency"`.
    #[pyo3(signature = (period, by = None, *, currency = None))]
    fn attainment<'py>(
        &self,
        py: Python<'py>,
        period: String,
        by: Option<String>,
        currency: Option<String>,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let by = report_by(by.as_deref(), ReportBy::Owner)?;
        let rows = self.engine.run(py, Access::Read, move |crm| Ok(crm.attainment_in(&period, by, currency.as_deref())?))?;
        rows_to_py(py, rows)
    }

    /// Win rate by count and by amount of the deals closed in a period, with days to close of the won
    /// ones, `by` `"total"` (None), `"owner"`, `"lead_source"` or `"type"`. With `currency` the amounts are
    /// in that currency, each deal converted at the rate of its close date.
    #[pyo3(signature = (period, by = None, *, currency = None))]
    fn win_rate<'py>(
        &self,
        py: Python<'py>,
        period: String,
        by: Option<String>,
        currency: Option<String>,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let by = report_by(by.as_deref(), ReportBy::Total)?;
        let rows = self.engine.run(py, Access::Read, move |crm| Ok(crm.win_rate_in(&period, by, currency.as_deref())?))?;
        rows_to_py(py, rows)
    }

    /// Sales velocity (one row): open deals × win rate × average won amount / average days to close. With
    /// `currency` the money is in that currency, each deal converted at the rate of its close date.
    #[pyo3(signature = (period, *, currency = None))]
    fn sales_velocity<'py>(&self, py: Python<'py>, period: String, currency: Option<String>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let rows = self.engine.run(py, Access::Read, move |crm| Ok(crm.sales_velocity_in(&period, currency.as_deref())?))?;
        rows_to_py(py, rows)
    }

    /// The stage funnel of the deals created in a period (reached, advanced, won per stage).
    fn stage_funnel<'py>(&self, py: Python<'py>, period: String) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let rows = self.engine.run(py, Access::Read, move |crm| Ok(crm.stage_funnel(&period)?))?;
        rows_to_py(py, rows)
    }

    /// Average and median days in each stage for the deals created in a period.
    fn time_in_stage<'py>(&self, py: Python<'py>, period: String) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let rows = self.engine.run(py, Access::Read, move |crm| Ok(crm.time_in_stage(&period)?))?;
        rows_to_py(py, rows)
    }

    /// Deals lost in a period `by` `"reason"` (None) or `"last_open_stage"`. With `currency` the amounts are
    /// in that currency, each deal converted at the rate of its close date.
    #[pyo3(signature = (period, by = None, *, currency = None))]
    fn lost_reasons<'py>(
        &self,
        py: Python<'py>,
        period: String,
        by: Option<String>,
        currency: Option<String>,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let by: LostBy = by.as_deref().unwrap_or("reason").parse().map_err(Failure::from)?;
        let rows = self.engine.run(py, Access::Read, move |crm| Ok(crm.lost_reasons_in(&period, by, currency.as_deref())?))?;
        rows_to_py(py, rows)
    }

    /// The pipeline as it stood at the end of `date` (deleted deals included until deleted), grouped `by`
    /// a `forecast` grouping (`"stage"` by default): `{"key", "count", "amount", "forecast_amount"}`. Each
    /// deal's amounts of that day are in its currency of that day and convert at the rate of that day's
    /// close date into `currency` (the base currency by default); with `currency` or `subtotals` rows say
    /// their `"currency"`, with `subtotals` they also have `"subtotals"` (per currency, in that currency).
    #[pyo3(signature = (date, by = None, *, r#where = None, currency = None, subtotals = false))]
    fn pipeline_as_of<'py>(
        &self,
        py: Python<'py>,
        date: NaiveDate,
        by: Option<String>,
        r#where: Option<&Bound<'py, PyAny>>,
        currency: Option<String>,
        subtotals: bool,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let by = by.as_deref().unwrap_or("stage").parse::<PipelineBy>().map_err(Failure::from)?;
        let filter = to_where(r#where)?;
        let in_currency = currency.is_some() || subtotals;
        let rows = self.engine.run(py, Access::Read, move |crm| {
            Ok(crm.pipeline_as_of_in(date, by, filter, currency.as_deref(), subtotals, crm_core::Calendar::Gregorian)?)
        })?;
        if !in_currency {
            return rows_to_py(py, rows.into_iter().map(pipeline_row).collect());
        }
        crate::reports::pipeline_rows_to_py(py, rows, subtotals)
    }

    /// Stores today's open pipeline per forecast category, stage and owner (replacing one taken earlier
    /// today) and returns its rows.
    fn snapshot_pipeline<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let rows = self.engine.run(py, Access::Write, move |crm| Ok(crm.snapshot_pipeline()?))?;
        rows_to_py(py, rows)
    }

    /// The stored pipeline snapshots from `start` to `end` (dates, both included, open when None).
    #[pyo3(signature = (start = None, end = None))]
    fn pipeline_snapshots<'py>(
        &self,
        py: Python<'py>,
        start: Option<NaiveDate>,
        end: Option<NaiveDate>,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let rows = self.engine.run(py, Access::Read, move |crm| Ok(crm.pipeline_snapshots(start, end)?))?;
        rows_to_py(py, rows)
    }

    /// Maps a sales stage to a forecast category (`"Pipeline"`, `"Best Case"`, `"Commit"`, `"Closed"`,
    /// `"Omitted"`) for deals moved to it from now on.
    fn set_forecast_category(&self, py: Python<'_>, stage: String, category: String) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.set_forecast_category_for_stage(&stage, &category)?))
    }

    /// Requires (or not) a `lost_reason` when an opportunity moves to a lost stage.
    fn set_require_lost_reason(&self, py: Python<'_>, on: bool) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.set_require_lost_reason(on)?))
    }
}

/// A pipeline row as a report row (crm-core's conversion, the one the Arrow form uses).
pub fn pipeline_row(r: crm_core::PipelineRow) -> ReportRow {
    r.into()
}
