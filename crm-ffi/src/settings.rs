//! Store settings: the stage → probability rule and auto-numbers.

use crate::args::{Out, arg_str};
use crate::boundary;
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use std::ffi::c_char;

/// Turns the stage → default probability rule on or off (stored with the schema; on by default): when
/// on, a create or a stage change without an explicit `probability` takes the stage's default.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, storage errors. Thread-safety: serialised with other calls on the
/// store.
///
/// # Safety
/// `store` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_store_set_stage_probability_autofill(store: *mut crm_store, on: bool) -> crm_status {
    boundary::run(|| Ok(unsafe { lock_store(store) }?.set_stage_probability_autofill(on)?))
}

/// The auto-number of a module (name or label) as JSON into `*out_json` (required, owned by the caller,
/// free with `crm_string_free`): `{"prefix": "POT", "next": "4"}`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND` (unknown module),
/// `_INVALID_ARGUMENT` (module without auto-number). Thread-safety: serialised with other calls.
///
/// # Safety
/// `store` is NULL or a live handle; `module` NULL or NUL-terminated; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_auto_number_get(store: *const crm_store, module: *const c_char, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let state = unsafe { lock_store(store) }?.auto_number(module)?;
        out.set_json(&state)
    })
}

/// Configures a module's auto-number: `prefix` and the `next` number (digits; leading zeros are kept).
/// As in vtiger, with an unchanged prefix the next number may not go below the current one.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND` (unknown module),
/// `_INVALID_ARGUMENT` (non-digits, lower number, control characters). Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `prefix`, `next` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_auto_number_set(
    store: *mut crm_store,
    module: *const c_char,
    prefix: *const c_char,
    next: *const c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let prefix = unsafe { arg_str(prefix, "prefix") }?;
        let next = unsafe { arg_str(next, "next") }?;
        Ok(unsafe { lock_store(store) }?.set_auto_number(module, prefix, next)?)
    })
}
