//! Currencies: the base currency, the store's currencies and dated rates, exact conversion, users'
//! preferred currencies, and the pipeline and aggregates in a requested currency. Amounts and rates travel
//! as exact decimal strings, days as `yyyy-mm-dd`; the JSON shapes are crm-core's serde forms.

use crate::args::{Out, arg_json, arg_opt_str, arg_str};
use crate::boundary;
use crate::query::query_from_json;
use crate::reports::{pipeline_by, pipeline_filter};
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use crm_core::currency::{NewCurrency, parse_day, parse_decimal};
use std::ffi::c_char;

/// The base currency as JSON into `*out_json` (required, owned by the caller): `{"code": "USD", "name":
/// "USA, Dollars", "symbol": "$", "active": true, "decimals": 2, "rounding": "half_up"}`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, storage errors. Thread-safety: serialised with other calls.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_currency_base(store: *const crm_store, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let c = unsafe { lock_store(store) }?.base_currency()?;
        out.set_json(&c)
    })
}

/// Sets the base currency (ISO code), allowed only while no record holds a money value; the new base as
/// JSON into `*out_json` (optional).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_CONFLICT` (money values exist),
/// `_INVALID_ARGUMENT` (not a three-letter code). Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `code` NULL or NUL-terminated; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_currency_set_base(store: *mut crm_store, code: *const c_char, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let code = unsafe { arg_str(code, "code") }?;
        let out = unsafe { Out::optional(out_json) };
        let c = unsafe { lock_store(store) }?.set_base_currency(code)?;
        out.set_json(&c)
    })
}

/// Adds (or updates and activates) a currency from JSON: `{"code": "EUR", "name": "Euro", "symbol": "€",
/// "rate": "0.92", "decimals": 2, "rounding": "half_up"}` — only `code` is required, and `rate` (units per
/// one base unit, since always) for a currency new to the store. The currency as JSON into `*out_json`
/// (optional).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (bad code, missing
/// or non-positive rate, more than 4 places). Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `currency_json` NULL or NUL-terminated; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_currency_add(store: *mut crm_store, currency_json: *const c_char, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let new: NewCurrency = unsafe { arg_json(currency_json, "currency_json") }?;
        let out = unsafe { Out::optional(out_json) };
        let c = unsafe { lock_store(store) }?.add_currency(new)?;
        out.set_json(&c)
    })
}

/// Sets the rate of a currency (`rate`: a decimal string, units per one base unit) from `valid_from`
/// (`yyyy-mm-dd`; NULL: since always) until the next rate. Logged; the base-currency copies of the
/// currency's records are refreshed in the same transaction.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND` (unknown currency),
/// `_INVALID_ARGUMENT` (base currency, bad rate or date). Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `code`, `rate`, `valid_from` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_currency_set_rate(
    store: *mut crm_store,
    code: *const c_char,
    rate: *const c_char,
    valid_from: *const c_char,
) -> crm_status {
    boundary::run(|| {
        let code = unsafe { arg_str(code, "code") }?;
        let rate = parse_decimal(unsafe { arg_str(rate, "rate") }?, "rate")?;
        let from = unsafe { arg_opt_str(valid_from, "valid_from") }?.map(|d| parse_day(d, "valid_from")).transpose()?;
        unsafe { lock_store(store) }?.set_currency_rate(code, rate, from)?;
        Ok(())
    })
}

/// The store's currencies (base first) as a JSON array into `*out_json` (required).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, storage errors. Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_currencies(store: *const crm_store, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let list = unsafe { lock_store(store) }?.currencies()?;
        out.set_json(&list)
    })
}

/// The dated rates of a currency, oldest first, as JSON into `*out_json` (required): `[{"code": "EUR",
/// "rate": "0.92", "valid_from": null}, {"code": "EUR", "rate": "0.95", "valid_from": "2027-01-01"}]`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND`. Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `code` NULL or NUL-terminated; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_currency_rates(store: *const crm_store, code: *const c_char, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let code = unsafe { arg_str(code, "code") }?;
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let rates = unsafe { lock_store(store) }?.currency_rates(code)?;
        out.set_json(&rates)
    })
}

/// The log of currency edits, oldest first, as JSON into `*out_json` (required): `[{"at": ..., "actor":
/// "admin", "code": "EUR", "what": "rate", "valid_from": "2027-01-01", "before": "0.95", "after": "0.90"}]`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, storage errors. Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_currency_log(store: *const crm_store, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let log = unsafe { lock_store(store) }?.currency_log()?;
        out.set_json(&log)
    })
}

/// Converts `amount` (a decimal string) from one currency to another at the rates valid on `on`
/// (`yyyy-mm-dd`), rounded to the target's places; the result as a decimal string into `*out_amount`
/// (required, owned by the caller).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND` (unknown currency),
/// `_INVALID_ARGUMENT` (bad amount or date, missing rate, overflow). Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; the strings NULL or NUL-terminated; `out_amount` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_currency_convert(
    store: *const crm_store,
    amount: *const c_char,
    from: *const c_char,
    to: *const c_char,
    on: *const c_char,
    out_amount: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let amount = parse_decimal(unsafe { arg_str(amount, "amount") }?, "amount")?;
        let from = unsafe { arg_str(from, "from") }?;
        let to = unsafe { arg_str(to, "to") }?;
        let on = parse_day(unsafe { arg_str(on, "on") }?, "on")?;
        let out = unsafe { Out::new(out_amount, "out_amount") }?;
        let v = unsafe { lock_store(store) }?.convert(amount, from, to, on)?;
        out.set(crate::strings::into_c_string(v.to_string()));
        Ok(())
    })
}

/// Sets (or, with NULL `code`, clears) a user's preferred currency: the currency of records the user
/// creates without one.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND` (unknown user), `_VALIDATION`
/// (`unknown_currency`). Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `user_name`, `code` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_user_set_currency(store: *mut crm_store, user_name: *const c_char, code: *const c_char) -> crm_status {
    boundary::run(|| {
        let user = unsafe { arg_str(user_name, "user_name") }?;
        let code = unsafe { arg_opt_str(code, "code") }?;
        Ok(unsafe { lock_store(store) }?.set_user_currency(user, code)?)
    })
}

/// Sets the date field whose day picks the rate for a module's records (default: `closingdate` for
/// Potentials); refreshes the module's base-currency copies.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND` (module), `_INVALID_ARGUMENT` (not a
/// date field). Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `field` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_currency_set_date_field(store: *mut crm_store, module: *const c_char, field: *const c_char) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let field = unsafe { arg_str(field, "field") }?;
        Ok(unsafe { lock_store(store) }?.set_currency_date_field(module, field)?)
    })
}

/// `crm_pipeline` (today) with the sums in `currency` (NULL: the base currency), each opportunity
/// converted at the rate of its close date, and with `subtotals` each row's per-currency sums in their
/// own currencies: `[{"key": "all", "count": 4, "amount": "3553.33", "forecast_amount": "355.3300",
/// "currency": "EUR", "subtotals": [{"currency": "EUR", "count": 2, "amount": "2000.00",
/// "forecast_amount": "200.0000"}]}]`.
///
/// Errors: as `crm_pipeline`, plus `_NOT_FOUND` (unknown currency) and `_INVALID_ARGUMENT` (missing
/// rate). Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `by`, `filter_json`, `currency` NULL or NUL-terminated; `out_json`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_pipeline_in(
    store: *const crm_store,
    by: *const c_char,
    filter_json: *const c_char,
    currency: *const c_char,
    subtotals: bool,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let by = pipeline_by(unsafe { arg_str(by, "by") }?)?;
        let filter = unsafe { pipeline_filter(filter_json) }?;
        let currency = unsafe { arg_opt_str(currency, "currency") }?;
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let rows = unsafe { lock_store(store) }?.pipeline_in(by, filter, currency, subtotals)?;
        out.set_json(&rows)
    })
}

/// `crm_aggregate` with the money sums in `currency` (NULL: the base currency), each record converted at
/// its dated rate; same JSON in and out.
///
/// Errors: as `crm_aggregate`, plus `_NOT_FOUND` (unknown currency) and `_INVALID_ARGUMENT` (missing
/// rate). Thread-safety: serialised.
///
/// # Safety
/// As `crm_aggregate`; `currency` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_aggregate_in(
    store: *const crm_store,
    query_json: *const c_char,
    group_by: *const c_char,
    sums_json: *const c_char,
    currency: *const c_char,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let query = query_from_json(unsafe { arg_str(query_json, "query_json") }?)?;
        let group_by = unsafe { arg_opt_str(group_by, "group_by") }?;
        let sums: Vec<String> = if sums_json.is_null() { vec![] } else { unsafe { arg_json(sums_json, "sums_json") }? };
        let currency = unsafe { arg_opt_str(currency, "currency") }?;
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let names: Vec<&str> = sums.iter().map(String::as_str).collect();
        let groups = crm_core::wire::aggregate_in(&*unsafe { lock_store(store) }?, query, group_by, &names, currency)?;
        out.set_json(&groups)
    })
}
