//! Related records: comments, many-to-many links, related lists, activities, sales documents from an
//! opportunity.
//!
//! Comments come back as `{"id": 12, "record": 7, "parent": null, "author": "admin", "at":
//! "2027-01-05T10:00:00", "text": ".."}`; links as `{"record": 7, "related": 9, "module": "Products",
//! "role": null, "quantity": "2", "price": "150.00", "at": ".."}` (exact decimal strings).

use crate::args::{Out, arg_fields, arg_json, arg_str};
use crate::boundary;
use crate::records::{record_json, records_json};
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use crm_core::rust_decimal::Decimal;
use crm_core::{Fields, LinkInfo, RecordId};
use serde::Deserialize;
use std::ffi::c_char;

/// Adds a comment to a record. On success, if `out_comment_json` is not NULL, it receives the comment
/// (owned by the caller).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND` (unknown or deleted record),
/// `_INVALID_ARGUMENT` (empty text), storage errors. Thread-safety: serialised with other calls.
///
/// # Safety
/// `store` is NULL or a live handle; `text` NULL or NUL-terminated; `out_comment_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_comment_add(
    store: *mut crm_store,
    record: i64,
    text: *const c_char,
    out_comment_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let text = unsafe { arg_str(text, "text") }?;
        let out = unsafe { Out::optional(out_comment_json) };
        let c = unsafe { lock_store(store) }?.comment(RecordId(record), text)?;
        out.set_json(&c)
    })
}

/// Replies to comment `comment` (on the same record). On success, if `out_comment_json` is not NULL, it
/// receives the reply (owned by the caller).
///
/// Errors: as `crm_comment_add` (`_NOT_FOUND` for an unknown comment). Thread-safety: serialised.
///
/// # Safety
/// As `crm_comment_add`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_comment_reply(
    store: *mut crm_store,
    comment: i64,
    text: *const c_char,
    out_comment_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let text = unsafe { arg_str(text, "text") }?;
        let out = unsafe { Out::optional(out_comment_json) };
        let c = unsafe { lock_store(store) }?.reply(comment, text)?;
        out.set_json(&c)
    })
}

/// The comments on a record, newest first (replies name their `parent`), as a JSON array into
/// `*out_json` (required, owned by the caller).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_NOT_FOUND`, storage errors. Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_comments(store: *const crm_store, record: i64, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let list = unsafe { lock_store(store) }?.comments(RecordId(record))?;
        out.set_json(&list)
    })
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LinkSpec {
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    quantity: Option<Decimal>,
    #[serde(default)]
    price: Option<Decimal>,
}

/// Links `record` with `related` (a contact, product, service or document) many-to-many. `info_json`
/// (NULL: none) is `{"role": "Decision Maker"}` for a contact, `{"quantity": "2", "price": "150.00"}`
/// for a product or service (exact decimals as strings or numbers; quantity defaults to 1, price to the
/// product's unit price). Both records get a `linked` change-log entry. On success, if `out_link_json`
/// is not NULL, it receives the link (owned by the caller).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (module not
/// linkable, bad details), `_NOT_FOUND`, `_CONFLICT`, storage errors. Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `info_json` NULL or NUL-terminated; `out_link_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_link(
    store: *mut crm_store,
    record: i64,
    related: i64,
    info_json: *const c_char,
    out_link_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let spec: LinkSpec = if info_json.is_null() { LinkSpec::default() } else { unsafe { arg_json(info_json, "info_json") }? };
        let out = unsafe { Out::optional(out_link_json) };
        let info = LinkInfo { role: spec.role, quantity: spec.quantity, price: spec.price };
        let rel = unsafe { lock_store(store) }?.link(RecordId(record), RecordId(related), info)?;
        out.set_json(&rel)
    })
}

/// Removes the many-to-many link between `record` and `related` (either side may be given first); both
/// records get an `unlinked` change-log entry.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_NOT_FOUND` (no such link), storage errors. Thread-safety:
/// serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_unlink(store: *mut crm_store, record: i64, related: i64) -> crm_status {
    boundary::run(|| Ok(unsafe { lock_store(store) }?.unlink(RecordId(record), RecordId(related))?))
}

/// One page (1-based) of the records of `module` related to `record`: those referencing it through any
/// reference field and those linked to it, most recently modified first. `*out_json` (required, owned by
/// the caller) receives `{"items": [{"record": {...}, "link": {...}|null}], "total": N, "page": 1,
/// "page_size": 20}` (`link` holds role / quantity / price for many-to-many links).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND` (record, module), storage errors.
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module` NULL or NUL-terminated; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_related(
    store: *const crm_store,
    record: i64,
    module: *const c_char,
    page: u64,
    page_size: u64,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let crm = unsafe { lock_store(store) }?;
        let p = crm.related(RecordId(record), module, page, page_size)?;
        let items = p
            .items
            .iter()
            .map(|(r, l)| Ok(serde_json::json!({ "record": record_json(&crm, r)?, "link": l })))
            .collect::<crate::boundary::FfiResult<Vec<_>>>()?;
        out.set_json(&serde_json::json!({
            "items": items, "total": p.total, "page": p.page, "page_size": p.page_size,
        }))
    })
}

/// The activities (Calendar records) of a record through `parent_id`: open ones (`done` false) or done
/// ones (vtiger's Activity History: tasks Completed/Deferred, events Held/Not Held), as a JSON array of
/// records into `*out_json` (required, owned by the caller).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_NOT_FOUND`, storage errors. Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_activities(store: *const crm_store, record: i64, done: bool, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let crm = unsafe { lock_store(store) }?;
        let list = records_json(&crm, &crm.activities(RecordId(record), done)?)?;
        out.set_json(&list)
    })
}

/// Creates a quote, sales order or invoice (`module`: `"Quotes"`, `"SalesOrder"`, `"Invoice"`) for an
/// opportunity: `potential_id`, organization, contact and subject come from the opportunity (the given
/// `fields_json` win; NULL: none), and its product and service links are copied with quantity and price.
/// One transaction. On success, if `out_record_json` is not NULL, it receives the new record.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (another
/// module, not a live opportunity), `_NOT_FOUND`, `_VALIDATION`, storage errors. Thread-safety:
/// serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `fields_json` NULL or NUL-terminated; `out_record_json`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_create_from_opportunity(
    store: *mut crm_store,
    opportunity: i64,
    module: *const c_char,
    fields_json: *const c_char,
    out_record_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let fields = if fields_json.is_null() { Fields::new() } else { unsafe { arg_fields(fields_json, "fields_json") }? };
        let out = unsafe { Out::optional(out_record_json) };
        let mut crm = unsafe { lock_store(store) }?;
        let r = crm.create_from_opportunity(RecordId(opportunity), module, fields)?;
        out.set_json(&record_json(&crm, &r)?)
    })
}
