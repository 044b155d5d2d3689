//! Records: create, quick create, get, update, delete, restore, purge, history.
//!
//! Records cross as the flat JSON object of `Record::to_json`: `id`, `module`, `version`, `deleted` and
//! every non-empty field (`{"id": 7, "module": "Potentials", "version": 1, "deleted": false,
//! "potentialname": "Hooli renewal", "amount": "12000.50",
//! "closingdate": "2027-03-31", "related_to": 5, "assigned_user_id": 1, ...}`). Money and percentages are
//! strings of exact decimals, dates ISO strings, references and owners integer ids.
//!
//! Input fields are a JSON object of field name (or label) → value. Text works for every type; decimals
//! may be strings or numbers (numbers keep their exact digits); references accept an id or the related
//! record's name; owners a user name, full name, group name or id; `null` empties a field.

use crate::args::{Out, arg_fields, arg_str};
use crate::boundary;
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use crm_core::{Record, RecordId};
use std::ffi::c_char;

/// The JSON form of a record: `Record::to_json` plus `version` (for `crm_record_update_version`) and
/// `deleted` (true in the recycle bin). Input ignores these keys, so the JSON can be edited and sent back.
pub fn record_json(record: &Record) -> serde_json::Value {
    let mut j = record.to_json();
    if let Some(m) = j.as_object_mut() {
        m.insert("version".into(), record.version.into());
        m.insert("deleted".into(), record.deleted.into());
    }
    j
}

/// Creates a record of `module` (name or label: `"Potentials"` or `"Opportunities"`) from `fields_json`
/// with full validation; fields not given take their defaults, `assigned_user_id` the acting user. On
/// success, if `out_record_json` is not NULL, it receives the stored record as JSON, owned by the caller
/// (free with `crm_string_free`). On failure nothing is stored.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (not an
/// object), `_NOT_FOUND` (unknown module), `_VALIDATION` (every field problem in `crm_last_error_json`),
/// storage errors. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`/`fields_json` NULL or NUL-terminated; `out_record_json`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_record_create(
    store: *mut crm_store,
    module: *const c_char,
    fields_json: *const c_char,
    out_record_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let fields = unsafe { arg_fields(fields_json, "fields_json") }?;
        let out = unsafe { Out::optional(out_record_json) };
        let record = unsafe { lock_store(store) }?.create(module, fields)?;
        out.set_json(&record_json(&record))
    })
}

/// Quick create: like `crm_record_create`, but only mandatory and quick-create fields are accepted
/// (others fail validation with code `not_allowed`).
///
/// Errors and thread-safety as `crm_record_create`.
///
/// # Safety
/// As `crm_record_create`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_record_quick_create(
    store: *mut crm_store,
    module: *const c_char,
    fields_json: *const c_char,
    out_record_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let fields = unsafe { arg_fields(fields_json, "fields_json") }?;
        let out = unsafe { Out::optional(out_record_json) };
        let record = unsafe { lock_store(store) }?.quick_create(module, fields)?;
        out.set_json(&record_json(&record))
    })
}

/// Reads a record (live or in the recycle bin) into `*out_record_json` (required), owned by the caller
/// (free with `crm_string_free`).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_NOT_FOUND`, storage errors. Thread-safety: serialised with other
/// calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `out_record_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_record_get(store: *const crm_store, id: i64, out_record_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_record_json, "out_record_json") }?;
        let record = unsafe { lock_store(store) }?.get(RecordId(id))?;
        out.set_json(&record_json(&record))
    })
}

/// Changes the given fields of a record; the others keep their values. On success, if
/// `out_record_json` is not NULL, it receives the record as stored afterwards (owned by the caller).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT`,
/// `_VALIDATION`, `_NOT_FOUND` (unknown id or in the recycle bin), `_CONFLICT`, storage errors.
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `fields_json` NULL or NUL-terminated; `out_record_json` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_record_update(
    store: *mut crm_store,
    id: i64,
    fields_json: *const c_char,
    out_record_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let fields = unsafe { arg_fields(fields_json, "fields_json") }?;
        let out = unsafe { Out::optional(out_record_json) };
        let record = unsafe { lock_store(store) }?.update(RecordId(id), fields)?;
        out.set_json(&record_json(&record))
    })
}

/// Like `crm_record_update`, but refuses with `CRM_STATUS_CONFLICT` unless the stored record is at
/// `version` (optimistic concurrency: read, edit, write back). The version is the record's `version` as
/// returned by `crm_record_find`.
///
/// Errors and thread-safety as `crm_record_update`.
///
/// # Safety
/// As `crm_record_update`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_record_update_version(
    store: *mut crm_store,
    id: i64,
    version: u64,
    fields_json: *const c_char,
    out_record_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let fields = unsafe { arg_fields(fields_json, "fields_json") }?;
        let out = unsafe { Out::optional(out_record_json) };
        let record = unsafe { lock_store(store) }?.update_version(RecordId(id), version, fields)?;
        out.set_json(&record_json(&record))
    })
}

/// Moves a record to the recycle bin.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_NOT_FOUND`, `_CONFLICT` (already deleted), storage errors.
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_record_delete(store: *mut crm_store, id: i64) -> crm_status {
    boundary::run(|| Ok(unsafe { lock_store(store) }?.delete(RecordId(id))?))
}

/// Restores a record from the recycle bin. On success, if `out_record_json` is not NULL, it receives the
/// restored record (owned by the caller).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_NOT_FOUND`, `_CONFLICT` (not deleted), storage errors.
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `out_record_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_record_restore(store: *mut crm_store, id: i64, out_record_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::optional(out_record_json) };
        let record = unsafe { lock_store(store) }?.restore(RecordId(id))?;
        out.set_json(&record_json(&record))
    })
}

/// Removes a record from the recycle bin for good, with its change log.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_NOT_FOUND`, `_CONFLICT` (not in the recycle bin), storage errors.
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_record_purge(store: *mut crm_store, id: i64) -> crm_status {
    boundary::run(|| Ok(unsafe { lock_store(store) }?.purge(RecordId(id))?))
}

/// The change log of a record, oldest first, as a JSON array into `*out_json` (required, owned by the
/// caller): `[{"id": 1, "record": 7, "module": "Potentials", "actor": "admin", "at":
/// "2027-01-05T10:00:00", "kind": "created"|"updated"|"deleted"|"restored"|..., "changes": [{"field":
/// "amount", "before": "100.00", "after": "200.00"}]}]` (values in canonical text, `null` = empty).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_NOT_FOUND`, storage errors. Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_record_history(store: *const crm_store, id: i64, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let entries = unsafe { lock_store(store) }?.history(RecordId(id))?;
        out.set_json(&entries)
    })
}

/// The stage history of an opportunity, oldest first, as a JSON array into `*out_json` (required,
/// owned by the caller): `[{"record": 7, "stage": "Prospecting", "amount": "1000.00", "probability":
/// "10.000", "forecast_amount": "100.00", "closingdate": "2027-03-31", "at": "2027-01-05T10:00:00",
/// "actor": "admin"}]`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_NOT_FOUND`, storage errors. Thread-safety: serialised.
///
/// # Safety
/// As `crm_record_history`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_record_stage_history(store: *const crm_store, id: i64, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let entries = unsafe { lock_store(store) }?.stage_history(RecordId(id))?;
        out.set_json(&entries)
    })
}

/// The periods an opportunity spent in each stage, up to now, as a JSON array into `*out_json`
/// (required, owned by the caller): `[{"stage": "Prospecting", "entered": "...", "left": "..."|null,
/// "seconds": 3600}]`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_NOT_FOUND`, storage errors. Thread-safety: serialised.
///
/// # Safety
/// As `crm_record_history`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_record_stage_durations(store: *const crm_store, id: i64, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let periods = unsafe { lock_store(store) }?.stage_durations(RecordId(id))?;
        out.set_json(&periods)
    })
}
