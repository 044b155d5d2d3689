//! Declared indexes: composite indexes that are part of a module's schema (crm-core's `Crm::add_index`,
//! `Crm::drop_index`, `Crm::indexes`). Each add or drop is a logged schema change; SQLite and PostgreSQL
//! build or drop the real index in the same transaction. A refused definition returns
//! `CRM_STATUS_SCHEMA` (codes `unknown_field`, `duplicate_index`, `unknown_index`, `invalid_index`) and
//! changes nothing. An index is `{"name": "ix_12", "fields": ["sales_stage", "closingdate"]}`.

use crate::args::{Out, arg_json, arg_str};
use crate::boundary;
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use std::ffi::c_char;

/// Declares a composite index on `module` over `fields_json` (a JSON array of 1 to 4 field names or
/// labels, in index order). On success, if `out_index_json` is not NULL, it receives the index
/// (`{"name": .., "fields": [..]}`, owned by the caller, free with `crm_string_free`).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_SCHEMA` (unknown module or
/// field, same field list already declared, no field, too many fields, a field twice, too many indexes),
/// `_CONFLICT`, storage errors. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `fields_json` NULL or NUL-terminated; `out_index_json`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_index_add(
    store: *mut crm_store,
    module: *const c_char,
    fields_json: *const c_char,
    out_index_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let fields: Vec<String> = unsafe { arg_json(fields_json, "fields_json") }?;
        let out = unsafe { Out::optional(out_index_json) };
        let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
        let ix = unsafe { lock_store(store) }?.add_index(module, &refs)?;
        out.set_json(&ix)
    })
}

/// Drops the declared index of `module` over exactly `fields_json` (a JSON array of field names or
/// labels, in index order).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_SCHEMA` (unknown module or
/// field, no index on that field list), `_CONFLICT`, storage errors. Thread-safety: serialised with other
/// calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `fields_json` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_index_drop(store: *mut crm_store, module: *const c_char, fields_json: *const c_char) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let fields: Vec<String> = unsafe { arg_json(fields_json, "fields_json") }?;
        let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
        unsafe { lock_store(store) }?.drop_index(module, &refs)?;
        Ok(())
    })
}

/// The declared indexes of `module`, in the order they were added, as a JSON array of
/// `{"name": .., "fields": [..]}` into `*out_json` (required, owned by the caller).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_SCHEMA` (unknown module), storage errors.
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module` NULL or NUL-terminated; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_indexes(store: *const crm_store, module: *const c_char, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let list = unsafe { lock_store(store) }?.indexes(module)?;
        out.set_json(&list)
    })
}
