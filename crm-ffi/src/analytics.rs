//! Sales analytics: forecast by category, quotas and attainment, win rate, velocity, funnel, time in
//! stage, lost reasons, the pipeline as of a date and pipeline snapshots — one function, the call named.

use crate::args::{Out, arg_opt_str, arg_str};
use crate::boundary;
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use std::ffi::c_char;

/// Runs the analytics call `report` with options `options_json` (a JSON object; NULL or `""` for none) and
/// writes its rows into `*out_json` (required, owned by the caller, free with `crm_string_free`) as a JSON
/// array of objects: counts as numbers, money and ratios as exact decimal strings (ratios as fractions,
/// `"0.6415"`), keys as strings, `null` where a figure has no value (a ratio over nothing).
///
/// Calls and their options (crm-core's `Report` and `AnalyticsOptions`, the same as the Python methods):
/// * `forecast` — `by` (a name or a list of `forecast_category`, `stage`, `owner`, `lead_source`, `type`,
///   `month`, `quarter`, `year`; `forecast_category` by default), `period` (`2027-Q1`, `2027-03`, `2027`,
///   `FY2027`, `FY2027-Q1`; optional): rows with the key columns, `count`, `amount`, `forecast_amount`;
///   `by` `currency` gives one row per deal currency, its sums in that currency.
/// * `set_quota` — `owner`, `period`, `amount` (decimal string); `quotas`: rows `owner`, `period`, `amount`.
/// * `attainment` — `period`, `by` (`owner` or `total`): `quota`, `won_amount`, `attainment`,
///   `open_amount`, `open_weighted`, `remaining`, `coverage`, `weighted_coverage`, ...
/// * `win_rate` — `period`, `by` (`total`, `owner`, `lead_source`, `type`): `closed`, `won`, `lost`,
///   `win_rate`, `win_rate_amount`, `average_days_to_close`, `median_days_to_close`, ...
/// * `sales_velocity`, `stage_funnel`, `time_in_stage` — `period`.
/// * `lost_reasons` — `period`, `by` (`reason` or `last_open_stage`).
/// * `pipeline_as_of` — `date` (`"2027-01-31"`), `by` (a `crm_pipeline` grouping, `stage` by default):
///   rows `key`, `date`, `count`, `amount`, `forecast_amount`, deleted deals included until deleted; each
///   deal's amounts of that day convert from its currency of that day at that day's close-date rate; with
///   `"subtotals": true` each row is followed by one row per currency (`"subtotal": "currency"`, its sums in
///   that currency).
/// * `currency` (an ISO code) on `forecast`, `attainment`, `win_rate`, `sales_velocity`, `lost_reasons` and
///   `pipeline_as_of`: the money in that currency, each deal converted at the rate of its close date (quotas,
///   stated in the base currency, at the period's last day); the rows then have a `currency` column. Without
///   it, sums are in the base currency.
/// * `snapshot_pipeline` (stores today's open pipeline per category, stage and owner; returns it),
///   `pipeline_snapshots` — `from`, `to` (optional dates).
/// * `set_forecast_category` — `stage`, `category`; `set_require_lost_reason` — `on` (bool): return `[]`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_ARGUMENT` (unknown call or option, bad
/// period, missing option, missing rate), `_NOT_FOUND` (unknown quota owner or currency), `_VALIDATION`,
/// storage errors.
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `report` and `options_json` NULL or NUL-terminated; `out_json` NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_analytics(
    store: *mut crm_store,
    report: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let report = unsafe { arg_str(report, "report") }?;
        let options = unsafe { arg_opt_str(options_json, "options_json") }?.unwrap_or("");
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let mut crm = unsafe { lock_store(store) }?;
        let rows = crm.run_analytics(report, options)?;
        drop(crm);
        out.set_json(&rows)
    })
}
