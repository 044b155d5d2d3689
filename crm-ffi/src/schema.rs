//! The schema in force: modules, fields, picklists.

use crate::args::{Out, arg_str};
use crate::boundary;
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use std::ffi::c_char;

/// The whole schema in force as JSON into `*out_json` (required, owned by the caller, free with
/// `crm_string_free`): `{"version": N, "modules": {"Potentials": {...fields, blocks...}}, "picklists":
/// {...}, "settings": {...}}`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_schema_json(store: *const crm_store, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let mut crm = unsafe { lock_store(store) }?;
        crm.refresh_schema()?; // another handle on the same database may have changed it
        out.set_json(crm.schema())
    })
}

/// The fields of one module (name or label) in layout order as a JSON array into `*out_json` (required,
/// owned by the caller): `[{"name": "potentialname", "label": "Opportunity Name", "type": "text",
/// "mandatory": true, ...}]`; labels in the acting user's language (theirs, else the store's:
/// `crm_store_set_language`), e.g. `"نام فرصت"` for a `fa_ir` reader.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND` (unknown module). Thread-safety:
/// serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module` NULL or NUL-terminated; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_module_fields(store: *const crm_store, module: *const c_char, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let mut crm = unsafe { lock_store(store) }?;
        crm.refresh_schema()?; // another handle on the same database may have changed it
        let fields = crm.fields(module)?;
        out.set_json(&fields)
    })
}
