//! List views: saved filters, listing by filter with pages, search, keyset paging, view settings.
//!
//! Pages are 1-based and come back as `{"records": [record, ...], "total": N, "page": 1, "page_size":
//! 20}` (records in `crm_record_get`'s JSON form).

use crate::args::{Out, arg_json, arg_opt_str, arg_str};
use crate::boundary::{self, FfiResult};
use crate::query::query_from_json;
use crate::records::records_json;
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use crm_core::wire::FilterSpec;
use crm_core::{Crm, Cursor, Page, ViewSettings};
use std::collections::BTreeMap;
use std::ffi::c_char;

/// The JSON form of a page of records.
pub fn page_json(crm: &Crm, p: &Page) -> FfiResult<serde_json::Value> {
    let records = records_json(crm, &p.records)?;
    Ok(serde_json::json!({ "records": records, "total": p.total, "page": p.page, "page_size": p.page_size }))
}

/// The filters of `module` the acting user sees, lowest id first, as a JSON array into `*out_json`
/// (required, owned by the caller): `[{"id": 3, "name": "All", "module": "Potentials", "columns": [..],
/// "std_filter": null, "all": [{"field": .., "comparator": "e", "value": ..}], "any": [], "sort": [..],
/// "default": true, "visibility": "system", "owner": null}]`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND` (module), storage errors.
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module` NULL or NUL-terminated; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_filters(store: *const crm_store, module: *const c_char, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let filters = unsafe { lock_store(store) }?.filters(module)?;
        out.set_json(&filters)
    })
}

/// One filter of `module` by id (as text, `"3"`) or name into `*out_json` (required, owned by the caller);
/// `id_or_name` NULL gives the module's default filter (`null` when it has none).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND`, storage errors. Thread-safety:
/// serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `id_or_name` NULL or NUL-terminated; `out_json` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_filter_get(
    store: *const crm_store,
    module: *const c_char,
    id_or_name: *const c_char,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let key = unsafe { arg_opt_str(id_or_name, "id_or_name") }?;
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let crm = unsafe { lock_store(store) }?;
        let f = match key {
            Some(k) => Some(crm.filter(module, k)?),
            None => crm.default_filter(module)?,
        };
        drop(crm);
        out.set_json(&f)
    })
}

/// Saves a filter: `filter_json` as `crm_filters` returns it, with `"id": 0` (or no id) for a new one;
/// `name` and `module` are required, `visibility` (`"public"` or `"private"`) defaults to public;
/// conditions may also be `[field, comparator, value]` and `sort` `"-amount, closingdate"` or
/// `["-amount"]` (crm-core's [`crm_core::wire::FilterSpec`], what Python's `save_filter` reads too);
/// unknown keys are refused. Conditions are checked against the schema (fields, comparators, values, sort
/// keys). On success, if `out_filter_json` is not NULL, it receives the stored filter with its id (owned
/// by the caller).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT`, `_NOT_FOUND`
/// (unknown id), `_CONFLICT` (name taken, system filter), storage errors. Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `filter_json` NULL or NUL-terminated; `out_filter_json` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_filter_save(
    store: *mut crm_store,
    filter_json: *const c_char,
    out_filter_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let f = unsafe { arg_json::<FilterSpec>(filter_json, "filter_json") }?.into_filter();
        let out = unsafe { Out::optional(out_filter_json) };
        let f = unsafe { lock_store(store) }?.save_filter(f)?;
        out.set_json(&f)
    })
}

/// Deletes a filter of `module` by id. The filters shipped with crm cannot be deleted.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND`, `_CONFLICT` (system filter or
/// another user's private filter), storage errors. Thread-safety: serialised with other calls.
///
/// # Safety
/// `store` is NULL or a live handle; `module` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_filter_delete(store: *mut crm_store, module: *const c_char, id: i64) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        Ok(unsafe { lock_store(store) }?.delete_filter(module, id)?)
    })
}

/// One page (1-based) of a filter's listing: `filter` is the filter's id (as text) or name; `sort`
/// (`"field"` / `"-field"`, NULL: the filter's order) overrides its order. `*out_json` (required, owned by
/// the caller) receives `{"filter": {...}, "records": [...], "total": N, "page": 1, "page_size": 20}`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND` (module, filter),
/// `_INVALID_ARGUMENT` (sort field, page 0), storage errors. Thread-safety: serialised.
///
/// Picklist values in the rows are shown in the acting user's language (`"برنده"` for a `fa_ir` reader);
/// `crm_record_get` and `crm_record_find` return the stored (vtiger) values.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `filter`, `sort` NULL or NUL-terminated; `out_json` NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_list(
    store: *const crm_store,
    module: *const c_char,
    filter: *const c_char,
    sort: *const c_char,
    page: u64,
    page_size: u64,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let filter = unsafe { arg_str(filter, "filter") }?;
        let sort = unsafe { arg_opt_str(sort, "sort") }?;
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let crm = unsafe { lock_store(store) }?;
        let view = crm.list(module, filter, sort, page, page_size)?;
        let mut j = page_json(&crm, &view.page)?;
        j["filter"] = serde_json::to_value(&view.filter).unwrap_or_default();
        out.set_json(&j)
    })
}

/// Searches every text and picklist field of `module` for `text` (ignoring case); one page (1-based) as
/// `{"records": [...], "total", "page", "page_size"}` into `*out_json` (required, owned by the caller).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND` (module), storage errors.
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `text` NULL or NUL-terminated; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_search(
    store: *const crm_store,
    module: *const c_char,
    text: *const c_char,
    page: u64,
    page_size: u64,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let text = unsafe { arg_str(text, "text") }?;
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let crm = unsafe { lock_store(store) }?;
        let p = crm.search(module, text, page, page_size)?;
        out.set_json(&page_json(&crm, &p)?)
    })
}

/// Per-column search: `columns_json` is `{"field": "text", ...}`; every column must match (text fields
/// contain the text ignoring case, owners and references match by name, other fields equal the value).
/// One page as in `crm_search`.
///
/// Errors: as `crm_search`, plus `CRM_STATUS_INVALID_JSON`/`_INVALID_ARGUMENT` (unknown field).
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `columns_json` NULL or NUL-terminated; `out_json` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_search_columns(
    store: *const crm_store,
    module: *const c_char,
    columns_json: *const c_char,
    page: u64,
    page_size: u64,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let cols: BTreeMap<String, String> = unsafe { arg_json(columns_json, "columns_json") }?;
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let pairs: Vec<(&str, &str)> = cols.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let crm = unsafe { lock_store(store) }?;
        let p = crm.search_columns(module, &pairs, page, page_size)?;
        out.set_json(&page_json(&crm, &p)?)
    })
}

/// Keyset paging: the next `size` records of a `crm_record_find` query (which must have a `sort`; its
/// `limit`/`offset` are ignored) after `cursor_json` (NULL: from the start). `*out_json` (required, owned
/// by the caller) receives `{"records": [...], "cursor": {"last": .., "ties": 1}}`; pass `cursor` back
/// verbatim for the next page; it is `null` after the last page. A deep page costs what the first costs.
///
/// Errors: as `crm_record_find`, plus `CRM_STATUS_INVALID_ARGUMENT` (no sort, malformed cursor).
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `query_json`, `cursor_json` NULL or NUL-terminated; `out_json` NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_record_page_after(
    store: *const crm_store,
    query_json: *const c_char,
    cursor_json: *const c_char,
    size: u64,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let query = query_from_json(unsafe { arg_str(query_json, "query_json") }?)?;
        let cursor: Option<Cursor> =
            if cursor_json.is_null() { None } else { unsafe { arg_json::<Option<Cursor>>(cursor_json, "cursor_json") }? };
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let crm = unsafe { lock_store(store) }?;
        let (records, next) = crm.page_after(query, cursor.as_ref(), size)?;
        let records = records_json(&crm, &records)?;
        out.set_json(&serde_json::json!({ "records": records, "cursor": next }))
    })
}

/// The settings named date ranges use, as JSON into `*out_json` (required, owned by the caller):
/// `{"week_start": "Sun", "fiscal_year_start_month": 1}`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, storage errors. Thread-safety: serialised with other calls.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_view_settings_get(store: *const crm_store, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let s = unsafe { lock_store(store) }?.view_settings()?;
        out.set_json(&s)
    })
}

/// Stores the settings named date ranges use (`settings_json` as `crm_view_settings_get` returns it).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (month not
/// 1..12), storage errors. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `settings_json` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_view_settings_set(store: *mut crm_store, settings_json: *const c_char) -> crm_status {
    boundary::run(|| {
        let s: ViewSettings = unsafe { arg_json(settings_json, "settings_json") }?;
        let r: FfiResult = Ok(unsafe { lock_store(store) }?.set_view_settings(s)?);
        r
    })
}
