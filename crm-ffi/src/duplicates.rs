//! Duplicates: finding groups of matching records, merging them, and duplicate-prevention rules
//! (crm-core's `Crm::find_duplicates`, `Crm::merge`, `Crm::add_duplicate_rule`, `Crm::drop_duplicate_rule`,
//! `Crm::duplicate_rules`). JSON shapes are crm-core's `dedupe` types:
//!
//! * a search `{"fields": ["accountname"], "normalize": true, "after": null, "limit": 1000}` (every key
//!   optional) gives a page `{"groups": [{"key": "hooli", "ids": [12, 40]}], "next": "hooli"}`; pass `next`
//!   as `after` for the next page (`null` on the last);
//! * a merge request `{"keep": 12, "others": [40], "values": {"phone": 40, "website": "hooli.com"},
//!   "version": 3}` (`values` and `version` optional; a number in `values` that is one of the merged ids
//!   takes that record's value, anything else is the value) gives a report `{"kept": 12, "merged": [40],
//!   "fields": ["phone"], "references": 3, "links": 1, "comments": 0}`;
//! * a rule is `{"name": "dr_7", "fields": ["accountname"]}`. A create or update a rule refuses returns
//!   `CRM_STATUS_VALIDATION` with code `duplicate` on the rule's fields in `crm_last_error_json`.

use crate::args::{Out, arg_json, arg_opt_json, arg_str};
use crate::boundary;
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use crm_core::dedupe::{DuplicateSearch, MergeRequest};
use std::ffi::c_char;

/// One page of duplicate groups of live records of `module`, as described by `search_json` (NULL: every
/// default: the module's name field, normalised, first 1,000 groups), into `*out_page_json` (required,
/// owned by the caller, free with `crm_string_free`).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_NOT_FOUND` (module),
/// `_INVALID_ARGUMENT` (unknown field, a field that cannot be matched, a limit of 0 or above 10,000),
/// storage errors. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `search_json` NULL or NUL-terminated; `out_page_json` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_duplicates_find(
    store: *const crm_store,
    module: *const c_char,
    search_json: *const c_char,
    out_page_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let search: DuplicateSearch = unsafe { arg_opt_json(search_json, "search_json") }?;
        let out = unsafe { Out::new(out_page_json, "out_page_json") }?;
        let page = unsafe { lock_store(store) }?.find_duplicates(module, &search)?;
        out.set_json(&page)
    })
}

/// Merges records of `module` as `request_json` says (see the module documentation), in one transaction;
/// restoring a merged record undoes its part. On success, if `out_report_json` is not NULL, it receives the
/// report (owned by the caller).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (no or too many
/// others, a record twice or of another module), `_NOT_FOUND`, `_CONFLICT` (stale `version`),
/// `_VALIDATION` (merged values), storage errors. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `request_json` NULL or NUL-terminated; `out_report_json`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_merge(
    store: *mut crm_store,
    module: *const c_char,
    request_json: *const c_char,
    out_report_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let request: MergeRequest = unsafe { arg_json(request_json, "request_json") }?;
        let out = unsafe { Out::optional(out_report_json) };
        let report = unsafe { lock_store(store) }?.merge(module, &request)?;
        out.set_json(&report)
    })
}

/// Adds a duplicate-prevention rule to `module` over `fields_json` (a JSON array of 1 to 4 field names or
/// labels). On success, if `out_rule_json` is not NULL, it receives the rule (owned by the caller).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_SCHEMA` (codes `unknown_module`,
/// `unknown_field`, `invalid_duplicate_rule`), `_CONFLICT`, storage errors. Thread-safety: serialised with
/// other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `fields_json` NULL or NUL-terminated; `out_rule_json` NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_duplicate_rule_add(
    store: *mut crm_store,
    module: *const c_char,
    fields_json: *const c_char,
    out_rule_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let fields: Vec<String> = unsafe { arg_json(fields_json, "fields_json") }?;
        let out = unsafe { Out::optional(out_rule_json) };
        let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
        let rule = unsafe { lock_store(store) }?.add_duplicate_rule(module, &refs)?;
        out.set_json(&rule)
    })
}

/// Drops the duplicate-prevention rule of `module` over `fields_json` (a JSON array of field names or
/// labels, any order).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_SCHEMA` (unknown module or field,
/// no such rule), `_CONFLICT`, storage errors. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `fields_json` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_duplicate_rule_drop(store: *mut crm_store, module: *const c_char, fields_json: *const c_char) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let fields: Vec<String> = unsafe { arg_json(fields_json, "fields_json") }?;
        let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
        unsafe { lock_store(store) }?.drop_duplicate_rule(module, &refs)?;
        Ok(())
    })
}

/// The duplicate-prevention rules of `module`, in the order they were added, as a JSON array into
/// `*out_json` (required, owned by the caller).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_SCHEMA` (unknown module), storage errors.
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module` NULL or NUL-terminated; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_duplicate_rules(store: *const crm_store, module: *const c_char, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let list = unsafe { lock_store(store) }?.duplicate_rules(module)?;
        out.set_json(&list)
    })
}
