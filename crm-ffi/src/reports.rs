//! Forecast and pipeline reports over opportunities.

use crate::args::{Out, arg_opt_str, arg_str};
use crate::boundary::{self, FfiError, FfiResult};
use crate::query::conditions_from_json;
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use crm_core::chrono::NaiveDate;
use crm_core::{Condition, PipelineBy};
use std::ffi::c_char;

/// Reads a grouping name with crm-core's parser (the one Python's `forecast` uses): `total` (`all`),
/// `stage` (`sales_stage`), `stage_kind` (`kind`), `owner` (`assigned_user_id`), `close_month` (`month`),
/// `close_quarter` (`quarter`), `close_year` (`year`), any case.
pub fn pipeline_by(text: &str) -> FfiResult<PipelineBy> {
    Ok(text.parse::<PipelineBy>()?)
}

/// The `filter_json` argument of the pipeline reports: NULL for every opportunity, else a JSON array of
/// conditions of `crm_record_find`'s language, all of which must hold.
///
/// # Safety
/// `filter_json` is NULL or NUL-terminated.
pub(crate) unsafe fn pipeline_filter(filter_json: *const c_char) -> FfiResult<Option<Condition>> {
    match unsafe { arg_opt_str(filter_json, "filter_json") }? {
        Some(t) => conditions_from_json(t, "filter_json"),
        None => Ok(None),
    }
}

/// The `as_of` argument of the pipeline reports: NULL for now, else a date `yyyy-mm-dd`.
///
/// # Safety
/// `as_of` is NULL or NUL-terminated.
unsafe fn as_of_date(as_of: *const c_char) -> FfiResult<Option<NaiveDate>> {
    unsafe { arg_opt_str(as_of, "as_of") }?
        .map(|d| {
            NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| FfiError::invalid(format!("as_of '{d}' is not a date yyyy-mm-dd")))
        })
        .transpose()
}

/// The forecast / pipeline report of opportunities, grouped by `by`: `"stage"` (the pipeline by sales
/// stage), `"stage_kind"` (open / won / lost), `"owner"`, `"close_month"` (`yyyy-mm`), `"close_quarter"`
/// (`yyyy-Qn`), `"close_year"`, or `"total"` (also `kind`, `month`, `quarter`, `year`, `sales_stage`,
/// `assigned_user_id`, `all`; any case: crm-core's parser, the one Python uses).
/// `filter_json` (NULL: every opportunity) is a JSON array of conditions of `crm_record_find`'s language
/// (`[{"field": "assigned_user_id", "op": "=", "value": "jdoe"}]`), all of which must hold. `as_of` (NULL:
/// now) is a date `"2027-03-31"`: the pipeline as it stood at the end of that day (UTC), rebuilt from the
/// stage history. `*out_json` (required, owned by the caller) receives the rows ordered by key:
/// `[{"key": "Prospecting", "count": 2, "amount": "19500.75", "forecast_amount": "1950.0750"}]`, sums as
/// exact decimal strings (`forecast_amount` is the probability-weighted amount); `key` is `""` for
/// opportunities without a value.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (grouping,
/// date, condition), storage errors. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `by`, `filter_json`, `as_of` NULL or NUL-terminated; `out_json` NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_pipeline(
    store: *const crm_store,
    by: *const c_char,
    filter_json: *const c_char,
    as_of: *const c_char,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let by = pipeline_by(unsafe { arg_str(by, "by") }?)?;
        let filter = unsafe { pipeline_filter(filter_json) }?;
        let as_of = unsafe { as_of_date(as_of) }?;
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let crm = unsafe { lock_store(store) }?;
        let rows = match as_of {
            Some(d) => crm.pipeline_as_of(d, by, filter)?,
            None => crm.pipeline(by, filter)?,
        };
        drop(crm);
        out.set_json(&rows)
    })
}

/// `crm_pipeline` with close-date periods of a calendar: `calendar` (NULL: `"gregorian"`) is `"gregorian"`
/// or `"jalali"` (also `"persian"`, `"shamsi"`; any case; crm-core's parser, the one Python uses). With
/// `"jalali"`, `close_month` / `close_quarter` / `close_year` group by Jalali periods keyed `"1406-01"`,
/// `"1406-Q1"`, `"1406"` (quarters are seasons; the year starts at Nowruz), and each row also has a
/// `"label"` with the Persian name (`"فروردین ۱۴۰۶"`, `"بهار ۱۴۰۶"`, `"۱۴۰۶"`). Other arguments, the output
/// and the errors are `crm_pipeline`'s (`_INVALID_ARGUMENT` also for an unknown calendar). `*out_json`
/// (required) is owned by the caller (free with `crm_string_free`). Thread-safety: serialised with other
/// calls on the store.
///
/// # Safety
/// As `crm_pipeline`; `calendar` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_pipeline_calendar(
    store: *const crm_store,
    by: *const c_char,
    filter_json: *const c_char,
    as_of: *const c_char,
    calendar: *const c_char,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let by = pipeline_by(unsafe { arg_str(by, "by") }?)?;
        let calendar = unsafe { arg_opt_str(calendar, "calendar") }?.unwrap_or("gregorian").parse::<crm_core::Calendar>()?;
        let filter = unsafe { pipeline_filter(filter_json) }?;
        let as_of = unsafe { as_of_date(as_of) }?;
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let crm = unsafe { lock_store(store) }?;
        let rows = match as_of {
            Some(d) => crm.pipeline_as_of_calendar(d, by, filter, calendar)?,
            None => crm.pipeline_calendar(by, filter, calendar)?,
        };
        drop(crm);
        out.set_json(&rows)
    })
}
