//! Finding, counting and aggregating records with a small JSON query language: crm-core's
//! [`crm_core::wire::QuerySpec`], the same spec the Python binding builds from its arguments.
//!
//! ```json
//! {
//!   "module": "Potentials",
//!   "conditions": [
//!     {"field": "amount", "op": ">", "value": "10000"},
//!     {"field": "sales_stage", "op": "in", "values": ["Prospecting", "Qualification"]},
//!     {"any": [{"field": "closingdate", "op": "between", "values": ["2027-01-01", "2027-03-31"]},
//!              {"not": {"field": "leadsource", "op": "is empty"}}]}
//!   ],
//!   "sort": ["-amount", {"field": "closingdate", "descending": false}],
//!   "limit": 20, "offset": 0, "deleted": false
//! }
//! ```
//!
//! * `module` (required): module name or label.
//! * `conditions`: all must hold. A condition is `{"field", "op", "value"}` (or `"values"` for `between`,
//!   `in`; none for `is empty`/`is not empty`), or a group `{"all": [...]}`, `{"any": [...]}`,
//!   `{"not": {...}}`. Fields by name or label. Operators: `=` `!=` `<` `<=` `>` `>=` `between` `in`
//!   `contains` `not contains` `starts with` `ends with` `is empty` `is not empty`, their names (`eq`,
//!   `ne`, `lt`, `le`, `gt`, `ge`, `not_contains`, ...) or vtiger's comparator codes (`e n l m g h bw c k
//!   s ew y ny`). Semantics are crm-core's (`crm_core::query`): text `=` is exact, `contains` ignores
//!   case, an empty field never satisfies `<`/`>`.
//! * `sort`: keys `"field"` (ascending) / `"-field"` (descending) or `{"field", "descending"}`; ties by id.
//!   Default: most recently modified first.
//! * `limit`/`offset`: the page; `deleted: true` lists the recycle bin.
//!
//! Unknown keys are refused (`CRM_STATUS_INVALID_ARGUMENT`), so a typo never silently widens a query.

use crate::args::{Out, arg_str, parse_json};
use crate::boundary::{self, FfiError, FfiResult};
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use crm_core::wire::{self, ConditionSpec, QuerySpec};
use crm_core::{Condition, Crm, Query};
use serde_json::value::RawValue;
use std::ffi::{CString, c_char, c_void};

/// Parses the JSON query language ([`crm_core::wire::QuerySpec`], described in this module) into a
/// [`Query`].
pub fn query_from_json(text: &str) -> FfiResult<Query> {
    let spec: QuerySpec = parse_json(text, "query_json")?;
    Ok(spec.into_query()?)
}

/// Parses a JSON array of conditions of the query language (`[{"field": "amount", "op": ">", "value":
/// "1000"}, {"any": [...]}]`; all must hold) into one condition; an empty array is `None`.
pub fn conditions_from_json(text: &str, what: &str) -> FfiResult<Option<Condition>> {
    let list: Vec<ConditionSpec> = parse_json(text, what)?;
    Ok(ConditionSpec::all(list)?)
}

/// Finds records with a JSON query (see below) into `*out_json` (required, owned by the caller, free with
/// `crm_string_free`): `{"records": [record, ...], "total": N}` where `total` counts every match,
/// ignoring `limit`/`offset`.
///
/// The query: `{"module": "Potentials", "conditions": [{"field": "amount", "op": ">", "value": "10000"},
/// {"any": [...]}, {"not": {...}}], "sort": ["-amount", "closingdate"], "limit": 20, "offset": 0,
/// "deleted": false}`; only `module` is required. Operators: `=` `!=` `<` `<=` `>` `>=` `between` `in`
/// `contains` `not contains` `starts with` `ends with` `is empty` `is not empty` (or `eq`, `ne`, `lt`,
/// ..., or vtiger's codes `e n l m g h bw c k s ew y ny`); `between` and `in` take `"values": [...]`.
/// Unknown keys are refused. Without `limit` every match is returned in one JSON text, written as the
/// records are read (one read of the store; `total` is then the number written): to handle a large result
/// in bounded memory, take the records one at a time with `crm_record_find_each`, or page with
/// `crm_record_page_after` (keyset paging).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (unknown key,
/// field or operator, operator that does not fit the field, value of the wrong type), `_NOT_FOUND`
/// (unknown module), storage errors. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `query_json` NULL or NUL-terminated; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_record_find(store: *const crm_store, query_json: *const c_char, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let query = query_from_json(unsafe { arg_str(query_json, "query_json") }?)?;
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let crm = unsafe { lock_store(store) }?;
        let json = find_json(&crm, query)?;
        drop(crm);
        out.set_json(&json)
    })
}

/// `{"records": [...], "total": N}` for `query`, each record serialized as it is read. A query without a
/// page counts what it read; a paged one counts its matches with a second statement.
fn find_json(crm: &Crm, query: Query) -> FfiResult<Box<RawValue>> {
    let whole = query.limit.is_none() && query.offset == 0;
    let mut buf = b"{\"records\":[".to_vec();
    let mut layouts = wire::Layouts::default();
    let mut n = 0u64;
    crm.find_each(query.clone(), |r| {
        if n > 0 {
            buf.push(b',');
        }
        // As a JSON value first: records come out with sorted keys, as they always have from this call.
        let v = serde_json::to_value(layouts.record(crm, &r)?).map_err(|e| crm_core::Error::InvalidArgument(e.to_string()))?;
        serde_json::to_writer(&mut buf, &v).map_err(|e| crm_core::Error::InvalidArgument(e.to_string()))?;
        n += 1;
        Ok(true)
    })?;
    let total = if whole { n } else { crm.count(query)? };
    buf.extend_from_slice(format!("],\"total\":{total}}}").as_bytes());
    let text = String::from_utf8(buf).map_err(|e| crm_core::Error::InvalidArgument(e.to_string()))?;
    Ok(RawValue::from_string(text).map_err(|e| crm_core::Error::InvalidArgument(e.to_string()))?)
}

/// Receives one record of `crm_record_find_each` as JSON with sorted keys, as `crm_record_find` writes
/// them (`record_json`, valid only during the call; copy what you keep). Return 0 to go on, non-zero to
/// stop (not an error).
///
/// Runs on the calling thread while the store is locked: it must not call crm on the same store (such a
/// call fails with `CRM_STATUS_INVALID_ARGUMENT`, `reentrant_call`) and must not unwind into crm.
pub type crm_record_fn = Option<unsafe extern "C" fn(user_data: *mut c_void, record_json: *const c_char) -> i32>;

/// Hands each record a JSON query (as `crm_record_find`'s, `limit`/`offset` included) selects to
/// `on_record`, one at a time, in the query's order: one read of the store, one record in memory at a
/// time, so memory does not grow with the result. `*out_count` (optional) receives how many records were
/// handed out. `on_record` returning non-zero stops the walk; the call still succeeds.
///
/// Errors: as `crm_record_find`, plus `CRM_STATUS_NULL_POINTER` when `on_record` is NULL. Records handed
/// out before a failure stay handed out. Thread-safety: serialised with other calls on the store;
/// `on_record` runs on this thread while the store is locked.
///
/// # Safety
/// `store` is NULL or a live handle; `query_json` NULL or NUL-terminated; `on_record` NULL or a function
/// following `crm_record_fn`'s contract; `out_count` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_record_find_each(
    store: *const crm_store,
    query_json: *const c_char,
    on_record: crm_record_fn,
    user_data: *mut c_void,
    out_count: *mut u64,
) -> crm_status {
    boundary::run(|| {
        let query = query_from_json(unsafe { arg_str(query_json, "query_json") }?)?;
        let on_record = on_record.ok_or_else(|| FfiError::null("on_record"))?;
        let out = unsafe { Out::optional(out_count) };
        let crm = unsafe { lock_store(store) }?;
        let mut layouts = wire::Layouts::default();
        let mut n = 0u64;
        crm.find_each(query, |r| {
            let v = serde_json::to_value(layouts.record(&crm, &r)?).map_err(|e| crm_core::Error::InvalidArgument(e.to_string()))?;
            let json = serde_json::to_string(&v).map_err(|e| crm_core::Error::InvalidArgument(e.to_string()))?;
            let json = CString::new(json).map_err(|e| crm_core::Error::InvalidArgument(e.to_string()))?;
            n += 1;
            // SAFETY: the host's function and user data, called as documented at `crm_record_fn`; the text
            // lives until the call returns.
            Ok(unsafe { on_record(user_data, json.as_ptr()) } == 0)
        })?;
        drop(crm);
        out.set(n);
        Ok(())
    })
}

/// Counts the records a JSON query selects (ignoring `limit`/`offset`) into `*out_count` (required).
/// The query language is `crm_record_find`'s.
///
/// Errors: as `crm_record_find`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `query_json` NULL or NUL-terminated; `out_count` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_record_count(store: *const crm_store, query_json: *const c_char, out_count: *mut u64) -> crm_status {
    boundary::run(|| {
        let query = query_from_json(unsafe { arg_str(query_json, "query_json") }?)?;
        let out = unsafe { Out::new(out_count, "out_count") }?;
        let n = unsafe { lock_store(store) }?.count(query)?;
        out.set(n);
        Ok(())
    })
}

/// Groups the records a JSON query selects by `group_by` (a field name or label; NULL = one group of
/// everything) and sums decimal or integer fields exactly. `sums_json` is a JSON array of field names
/// (`["amount", "forecast_amount"]`; NULL = no sums). `*out_json` (required, owned by the caller)
/// receives `[{"key": "Prospecting", "count": 3, "sums": {"amount": "31000.00"}}]` (crm-core's
/// [`crm_core::wire::Groups`]): `key` in the record JSON form (`null` for the empty group or without
/// grouping), sums as exact decimal strings keyed by field name (a label asked for is named by its
/// field, as in Python), empty values counting as 0.
///
/// Errors: as `crm_record_find`, plus `CRM_STATUS_INVALID_ARGUMENT` for an unknown `group_by` field or a
/// sum of a non-numeric field. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `query_json`, `group_by`, `sums_json` NULL or NUL-terminated;
/// `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_aggregate(
    store: *const crm_store,
    query_json: *const c_char,
    group_by: *const c_char,
    sums_json: *const c_char,
    out_json: *mut *mut c_char,
) -> crm_status {
    // SAFETY: the caller's arguments as they came, and no currency (NULL: the base currency).
    unsafe { crate::currency::crm_aggregate_in(store, query_json, group_by, sums_json, std::ptr::null(), out_json) }
}
