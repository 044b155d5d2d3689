//! Strings handed to C: allocated by Rust, freed only by [`crm_string_free`].

use crate::last_error::c_string_lossy;
use std::ffi::{CString, c_char};

/// Hands a Rust string to C as an owned, NUL-terminated `char *` (interior NULs become U+FFFD; JSON
/// text never has any).
pub fn into_c_string(s: String) -> *mut c_char {
    match CString::new(s) {
        Ok(c) => c.into_raw(),
        Err(e) => c_string_lossy(&String::from_utf8_lossy(&e.into_vec())).into_raw(),
    }
}

/// Frees a string that crm returned through a `char **` out-parameter. NULL is a no-op.
///
/// Ownership: takes back ownership of `s`; `s` must come from crm and must not be used or freed again
/// afterwards (a double free, or freeing a string crm did not return, is undefined behaviour: crm cannot
/// detect it). Never pass strings crm lends (`crm_last_error_message`, `crm_version`, `crm_status_str`).
/// Thread-safety: may be called from any thread.
///
/// # Safety
/// `s` is NULL or a string returned by crm that was not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_string_free(s: *mut c_char) {
    crate::boundary::run_or((), || {
        if !s.is_null() {
            // SAFETY: `s` came from `CString::into_raw` in `into_c_string` (caller's contract).
            drop(unsafe { CString::from_raw(s) });
        }
    })
}
