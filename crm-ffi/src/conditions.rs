//! Evaluating workflow conditions and expressions against stored records outside a save
//! ([`crm_core::Crm::matching`], [`crm_core::Crm::count_matching`], [`crm_core::Crm::evaluate`]).
//!
//! Conditions cross in vtiger's JSON shape (a workflow's `test` array: `[{"fieldname": "amount",
//! "operation": "greater than", "value": "1000", "valuetype": "rawtext", "joincondition": "", "groupid":
//! 0}]`); record ids as a JSON array of integers. vtiger has no such calls: it evaluates conditions and
//! expressions only while saving or in scheduled runs.

use crate::args::{Out, arg_json, arg_str, parse_json};
use crate::boundary;
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use crm_core::RecordId;
use std::ffi::c_char;

/// The ids among `ids_json` (a JSON array of record ids) whose records of `module` (name or label) meet
/// `condition_json` (vtiger's condition JSON array, see the module docs), as a JSON array of ids in the
/// order given into `*out_json` (required, owned by the caller). The condition is compiled once and
/// evaluated for each record at the store's current time. Every id must name a live record of `module`:
/// an unknown id, a record in the recycle bin or of another module fails the whole call with
/// `CRM_STATUS_NOT_FOUND` (the message names the id) and nothing is written.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (ids not an
/// array of integers, a condition that does not fit the module), `_NOT_FOUND` (module or record), storage
/// errors. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `condition_json`, `ids_json` NULL or NUL-terminated;
/// `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_condition_matches(
    store: *const crm_store,
    module: *const c_char,
    condition_json: *const c_char,
    ids_json: *const c_char,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let condition = unsafe { arg_str(condition_json, "condition_json") }?;
        let _: serde_json::Value = parse_json(condition, "condition_json")?;
        let ids: Vec<i64> = unsafe { arg_json(ids_json, "ids_json") }?;
        let ids: Vec<RecordId> = ids.into_iter().map(RecordId).collect();
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let matched = unsafe { lock_store(store) }?.matching(module, condition, &ids)?;
        let matched: Vec<i64> = matched.into_iter().map(|id| id.0).collect();
        out.set_json(&matched)
    })
}

/// The value of a workflow expression (`"amount * 2"`, `"concat(potentialname, ' - ', sales_stage)"`,
/// `"amount > 1000"`) for live record `record_id` of `module` (name or label), as JSON into `*out_json`
/// (required, owned by the caller): numbers are JSON strings of exact decimals (`"2000.00"`), dates and
/// times ISO strings, booleans `true`/`false`, an empty value `null`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_ARGUMENT` (syntax, unknown function or
/// field, failed evaluation), `_NOT_FOUND` (module; record unknown, in the recycle bin or of another
/// module), storage errors. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `expression` NULL or NUL-terminated; `out_json` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_expression_eval(
    store: *const crm_store,
    module: *const c_char,
    expression: *const c_char,
    record_id: i64,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let expression = unsafe { arg_str(expression, "expression") }?;
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let value = unsafe { lock_store(store) }?.evaluate(module, expression, RecordId(record_id))?;
        out.set_json(&value.to_json())
    })
}

/// How many live records of `module` (name or label) meet `condition_json` (vtiger's condition JSON array,
/// see the module docs), into `*out_count` (required). The condition is compiled once and the records
/// stream from the store as slot rows ([`crm_core::Crm::count_matching`]), at the store's current time.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (a condition
/// that does not fit the module), `_NOT_FOUND` (module), storage errors. Thread-safety: serialised with
/// other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `condition_json` NULL or NUL-terminated; `out_count` NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_condition_count(
    store: *const crm_store,
    module: *const c_char,
    condition_json: *const c_char,
    out_count: *mut u64,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let condition = unsafe { arg_str(condition_json, "condition_json") }?;
        let _: serde_json::Value = parse_json(condition, "condition_json")?;
        let out = unsafe { Out::new(out_count, "out_count") }?;
        let n = unsafe { lock_store(store) }?.count_matching(module, condition)?;
        out.set(n);
        Ok(())
    })
}
