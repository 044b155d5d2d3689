//! Mass actions: edit, delete, comment and transfer ownership of many records at once.
//!
//! `ids_json` is a JSON array of record ids (`[7, 8, 9]`; duplicates count once). Every record is
//! validated; the valid ones are written in one transaction and the others skipped. The result, into
//! `*out_json` (optional, owned by the caller), lists both: `{"succeeded": [7, 9], "failed": [{"id": 8,
//! "status": 5, "code": "validation", "message": "...", "errors": [{"field": .., "code": .., "message":
//! ..}]}]}` (crm-core's `wire::MassReport`, as Python returns it; `status` is the `crm_status` the
//! record's failure would have as a single call).

use crate::args::{Out, arg_fields, arg_json, arg_str};
use crate::boundary::{self, FfiError};
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use crm_core::wire::MassReport;
use crm_core::{MassResult, RecordId};
use std::ffi::c_char;

/// The JSON form of a mass action's result: crm-core's [`crm_core::wire::MassReport`] (the shape Python
/// returns too), each failure with the `crm_status` it would have as a single call.
pub fn mass_json(r: &MassResult) -> serde_json::Value {
    let report = MassReport::from(r);
    let mut j = serde_json::to_value(&report).unwrap_or(serde_json::Value::Null);
    if let Some(failed) = j.get_mut("failed").and_then(serde_json::Value::as_array_mut) {
        for (entry, f) in failed.iter_mut().zip(&report.failed) {
            if let Some(m) = entry.as_object_mut() {
                m.insert("status".into(), (crm_status::from_kind(f.code) as u32).into());
            }
        }
    }
    j
}

unsafe fn ids(p: *const c_char) -> Result<Vec<RecordId>, FfiError> {
    let ids: Vec<i64> = unsafe { arg_json(p, "ids_json") }?;
    Ok(ids.into_iter().map(RecordId).collect())
}

/// Sets the same fields (`fields_json`, a JSON object; only mass-editable fields) on many records. See
/// the module docs for `ids_json` and the result.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT`, storage
/// errors and `_CONFLICT` from the commit (then nothing is written). Per-record failures are in the
/// result, not errors. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `ids_json`, `fields_json` NULL or NUL-terminated; `out_json` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_mass_edit(
    store: *mut crm_store,
    ids_json: *const c_char,
    fields_json: *const c_char,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let ids = unsafe { ids(ids_json) }?;
        let fields = unsafe { arg_fields(fields_json, "fields_json") }?;
        let out = unsafe { Out::optional(out_json) };
        let r = unsafe { lock_store(store) }?.mass_edit(&ids, fields)?;
        out.set_json(&mass_json(&r))
    })
}

/// Moves many records to the recycle bin. See the module docs for `ids_json` and the result.
///
/// Errors: as `crm_mass_edit`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `ids_json` NULL or NUL-terminated; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_mass_delete(store: *mut crm_store, ids_json: *const c_char, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let ids = unsafe { ids(ids_json) }?;
        let out = unsafe { Out::optional(out_json) };
        let r = unsafe { lock_store(store) }?.mass_delete(&ids)?;
        out.set_json(&mass_json(&r))
    })
}

/// Adds the same comment `text` to many records. See the module docs for `ids_json` and the result.
///
/// Errors: as `crm_mass_edit`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `ids_json`, `text` NULL or NUL-terminated; `out_json` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_mass_comment(
    store: *mut crm_store,
    ids_json: *const c_char,
    text: *const c_char,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let ids = unsafe { ids(ids_json) }?;
        let text = unsafe { arg_str(text, "text") }?;
        let out = unsafe { Out::optional(out_json) };
        let r = unsafe { lock_store(store) }?.mass_comment(&ids, text)?;
        out.set_json(&mass_json(&r))
    })
}

/// Transfers ownership of many records to `owner` (user name, full name or group name). See the module
/// docs for `ids_json` and the result.
///
/// Errors: as `crm_mass_edit`, plus `CRM_STATUS_NOT_FOUND` for an unknown owner. Thread-safety:
/// serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `ids_json`, `owner` NULL or NUL-terminated; `out_json` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_mass_transfer(
    store: *mut crm_store,
    ids_json: *const c_char,
    owner: *const c_char,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let ids = unsafe { ids(ids_json) }?;
        let owner = unsafe { arg_str(owner, "owner") }?;
        let out = unsafe { Out::optional(out_json) };
        let r = unsafe { lock_store(store) }?.mass_transfer(&ids, owner)?;
        out.set_json(&mass_json(&r))
    })
}
