//! The change feed: every committed change of the store at a position of one growing sequence
//! (see `crm_core::feed`), read after a position a consumer stored.
//!
//! Events cross in the wire form crm-core defines ([`crm_core::ChangeEvent`]): `{"position": 42,
//! "record": 7, "module": "Potentials", "kind": "updated", "actor": "admin", "at": "2027-01-05T10:00:00",
//! "related": null, "changes": [{"field": "amount", "before": "100.00", "after": "200.00"}]}`. `kind` is
//! one of `created`, `updated`, `deleted`, `restored`, `purged`, `linked`, `unlinked`, `commented`,
//! `schema_changed` (and any kind a later crm adds to the change log); `record` is `null` for a schema edit.

use crate::args::{Out, arg_opt_json};
use crate::boundary;
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use std::ffi::c_char;

/// The committed changes after position `since`, oldest first, as a JSON array of events into `*out_json`
/// (required, owned by the caller): at most `limit` (1..=10 000), only of the modules in `modules_json` (a
/// JSON array of module names; NULL or `[]` for every module). A negative `since` starts at the oldest
/// change kept. Pass the last event's `position` as the next `since`; an empty array means nothing newer yet.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (`limit` out of range, `since`
/// beyond the end of the feed), `_FEED_POSITION_EXPIRED` (the change log was trimmed past `since`: resynchronise),
/// storage errors. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `modules_json` NULL or NUL-terminated; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_changes(
    store: *const crm_store,
    since: i64,
    limit: u64,
    modules_json: *const c_char,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let modules: Vec<String> = unsafe { arg_opt_json(modules_json, "modules_json") }?;
        let modules: Vec<&str> = modules.iter().map(String::as_str).collect();
        let since = (since >= 0).then_some(since);
        let events = unsafe { lock_store(store) }?.changes(since, limit, &modules)?;
        out.set_json(&events)
    })
}

/// The current end of the feed into `*out_position` (required): the position of the newest committed
/// change, 0 when there is none. A consumer starting here sees every change committed after this call.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, storage errors. Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `out_position` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_changes_position(store: *const crm_store, out_position: *mut i64) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_position, "out_position") }?;
        out.set(unsafe { lock_store(store) }?.changes_position()?);
        Ok(())
    })
}

/// Removes the change log up to and including position `through` (the records' history of those changes
/// too); asking for changes after an earlier position is then `CRM_STATUS_FEED_POSITION_EXPIRED`. The
/// number of entries removed goes into `*out_removed` (optional).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_ARGUMENT` (`through` negative or beyond the end), storage
/// errors. Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `out_removed` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_changes_trim(store: *mut crm_store, through: i64, out_removed: *mut u64) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::optional(out_removed) };
        let removed = unsafe { lock_store(store) }?.trim_changes(through)?;
        out.set(removed);
        Ok(())
    })
}
