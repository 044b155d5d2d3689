//! Records: create, quick create, get, update, delete, restore, purge, history.
//!
//! Records cross in the wire form crm-core defines once for every binding ([`crm_core::wire::Record`]):
//! a flat JSON object with `id`, `module`, `label`, `version` (for `crm_record_update_version`), `deleted`
//! (true in the recycle bin), then every field of the module in layout order under vtiger's field names,
//! `null` when empty (`{"id": 7, "module": "Potentials", "label": "Hooli renewal", "version": 1,
//! "deleted": false, "potentialname": "Hooli renewal", "potential_no": "POT1", "amount": "12000.50",
//! "related_to": 5, "closingdate": "2027-03-31", "description": null, ...}`). Money and percentages are
//! strings of exact decimals, dates ISO strings, references and owners integer ids.
//!
//! `crm_record_get` reads live records only: a record in the recycle bin is `CRM_STATUS_NOT_FOUND`, as in
//! vtiger; the recycle bin has its own read, `crm_record_get_deleted`.
//!
//! Input fields are a JSON object of field name (or label) → value ([`crm_core::wire::FieldsIn`]). Text
//! works for every type; decimals may be strings or numbers (numbers keep their exact digits); references
//! accept an id or the related record's name; owners a user name, full name, group name or id; `null`
//! empties a field. The reserved keys `id`, `module`, `label`, `version` and `deleted` are ignored.

use crate::args::{Out, arg_fields, arg_str};
use crate::boundary::{self, FfiResult};
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use crm_core::{Crm, Record, RecordId, wire};
use std::ffi::c_char;

/// The wire form of a record ([`crm_core::wire::Record`]), every field of its module in layout order.
pub fn record_json(crm: &Crm, record: &Record) -> FfiResult<wire::Record> {
    // through `wire::records`: the fields hidden from the acting user are left out
    wire::records(crm, std::slice::from_ref(record))?.pop().ok_or_else(|| crm_core::Error::NotFound(format!("record {}", record.id)).into())
}

/// The wire form of several records (of any modules).
pub fn records_json(crm: &Crm, records: &[Record]) -> FfiResult<Vec<wire::Record>> {
    Ok(wire::records(crm, records)?)
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
        let mut crm = unsafe { lock_store(store) }?;
        let record = crm.create(module, fields)?;
        out.set_json(&record_json(&crm, &record)?)
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
        let mut crm = unsafe { lock_store(store) }?;
        let record = crm.quick_create(module, fields)?;
        out.set_json(&record_json(&crm, &record)?)
    })
}

/// Reads a live record into `*out_record_json` (required), owned by the caller (free with
/// `crm_string_free`). A record in the recycle bin is not read as if it were live: it is
/// `CRM_STATUS_NOT_FOUND`, as in vtiger; read it with `crm_record_get_deleted`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_NOT_FOUND` (unknown id, or in the recycle bin), storage errors.
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `out_record_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_record_get(store: *const crm_store, id: i64, out_record_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_record_json, "out_record_json") }?;
        let crm = unsafe { lock_store(store) }?;
        let record = crm.get(RecordId(id))?;
        out.set_json(&record_json(&crm, &record)?)
    })
}

/// Reads a record in the recycle bin (its `deleted` is true) into `*out_record_json` (required), owned
/// by the caller (free with `crm_string_free`). List the recycle bin with `crm_record_find` and
/// `"deleted": true`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_NOT_FOUND` (unknown id, or a live record), storage errors.
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `out_record_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_record_get_deleted(store: *const crm_store, id: i64, out_record_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_record_json, "out_record_json") }?;
        let crm = unsafe { lock_store(store) }?;
        let record = crm.get_deleted(RecordId(id))?;
        out.set_json(&record_json(&crm, &record)?)
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
        let mut crm = unsafe { lock_store(store) }?;
        let record = crm.update(RecordId(id), fields)?;
        out.set_json(&record_json(&crm, &record)?)
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
        let mut crm = unsafe { lock_store(store) }?;
        let record = crm.update_version(RecordId(id), version, fields)?;
        out.set_json(&record_json(&crm, &record)?)
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
        let mut crm = unsafe { lock_store(store) }?;
        let record = crm.restore(RecordId(id))?;
        out.set_json(&record_json(&crm, &record)?)
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

/// One page of a record's change log, oldest first, as a JSON array into `*out_json` (required, owned by
/// the caller), in `crm_record_history`'s form: at most `limit` entries whose id is above `after` (keyset
/// paging: pass 0 for the first page, then the last entry's `id`). An empty array is the end.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_NOT_FOUND`, `_INVALID_ARGUMENT` (`limit` 0 or above
/// `MAX_LOG_PAGE`, 10 000), storage errors. Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_record_history_page(
    store: *const crm_store,
    id: i64,
    after: i64,
    limit: u64,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let entries = unsafe { lock_store(store) }?.history_page(RecordId(id), Some(after), limit)?;
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
