//! Languages: the store's language, each user's language (the acting user's wins), custom labels per
//! language. Labels, exported headers and picklist values, report labels and validation messages follow
//! the language; stored values never change.

use crate::args::{Out, arg_opt_str, arg_str};
use crate::boundary;
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use std::ffi::c_char;

/// The installed languages and the ones in force as JSON into `*out_json` (required, owned by the caller,
/// free with `crm_string_free`): `{"installed": ["en_us", "fa_ir"], "store": "en_us", "acting": "fa_ir"}`
/// (`acting`: the acting user's own language, else the store's).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, storage errors. Thread-safety: serialised with other calls on the
/// store.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_languages(store: *const crm_store, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let crm = unsafe { lock_store(store) }?;
        let v = serde_json::json!({"installed": crm.languages(), "store": crm.store_language()?, "acting": crm.language()?});
        drop(crm);
        out.set_json(&v)
    })
}

/// Sets the store's language (`"fa_ir"`, also `"fa"`, `"fa-IR"`; `"en_us"`), read by users without a
/// language of their own. Stored: every handle on the store sees it. The default workflows no one edited are
/// rewritten in that language (names, task summaries, the creation mail's subject and body); an edited one
/// is left as it is.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_ARGUMENT` (not an installed language),
/// storage errors. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `language` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_store_set_language(store: *mut crm_store, language: *const c_char) -> crm_status {
    boundary::run(|| {
        let language = unsafe { arg_str(language, "language") }?;
        Ok(unsafe { lock_store(store) }?.set_language(language)?)
    })
}

/// Sets a user's own language; NULL `language` clears it (the store's from then on). A new user's language
/// can also be given to `crm_user_add` (`{"user_name": "sara", "language": "fa_ir"}`).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND` (user), `_INVALID_ARGUMENT`
/// (language), storage errors. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `user_name` NULL or NUL-terminated; `language` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_user_set_language(store: *mut crm_store, user_name: *const c_char, language: *const c_char) -> crm_status {
    boundary::run(|| {
        let user_name = unsafe { arg_str(user_name, "user_name") }?;
        let language = unsafe { arg_opt_str(language, "language") }?;
        Ok(unsafe { lock_store(store) }?.set_user_language(user_name, language)?)
    })
}

/// Sets a custom label of a language: `key` is a catalogue key (`"Sales Stage"`, `"Potentials::Amount"`,
/// a picklist value such as `"Closed Won"`, a module name) or a custom field's label; an empty `text`
/// removes the custom label.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_ARGUMENT` (language, empty key),
/// storage errors. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `language`, `key`, `text` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_label_set(
    store: *mut crm_store,
    language: *const c_char,
    key: *const c_char,
    text: *const c_char,
) -> crm_status {
    boundary::run(|| {
        let language = unsafe { arg_str(language, "language") }?;
        let key = unsafe { arg_str(key, "key") }?;
        let text = unsafe { arg_str(text, "text") }?;
        Ok(unsafe { lock_store(store) }?.set_label(language, key, text)?)
    })
}

/// The custom labels of a language as a JSON object (key → text) into `*out_json` (required, owned by the
/// caller, free with `crm_string_free`).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_ARGUMENT` (language), storage errors.
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `language` NULL or NUL-terminated; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_labels_custom(store: *const crm_store, language: *const c_char, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let language = unsafe { arg_str(language, "language") }?;
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let labels = unsafe { lock_store(store) }?.custom_labels(language)?;
        out.set_json(&labels)
    })
}
