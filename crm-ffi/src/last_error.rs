//! The thread-local last error: a message, a stable code and validation details as JSON.
//!
//! Every status-returning call clears the slot when it starts and fills it when it fails, so the slot
//! always describes the most recent status-returning call on this thread. The getters below do not touch
//! it.

use crate::boundary::FfiError;
use std::cell::RefCell;
use std::ffi::{CString, c_char};

struct Slot {
    message: CString,
    code: CString,
    json: CString,
    set: bool,
}

impl Slot {
    fn empty() -> Slot {
        Slot { message: CString::default(), code: CString::default(), json: c"[]".to_owned(), set: false }
    }
}

thread_local! {
    static LAST: RefCell<Slot> = RefCell::new(Slot::empty());
}

/// Turns text into a C string, replacing interior NULs (which C cannot see) by U+FFFD.
pub(crate) fn c_string_lossy(s: &str) -> CString {
    CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

/// Forgets the last error of this thread.
pub(crate) fn clear() {
    // `try_with`: during thread teardown the slot may already be gone; then there is nothing to clear.
    let _ = LAST.try_with(|l| {
        if let Ok(mut l) = l.try_borrow_mut()
            && l.set
        {
            *l = Slot::empty();
        }
    });
}

/// Records a failure as this thread's last error.
pub(crate) fn set(e: &FfiError) {
    let json = serde_json::to_string(&e.details).unwrap_or_else(|_| "[]".to_string());
    let slot = Slot { message: c_string_lossy(&e.message), code: c_string_lossy(e.code), json: c_string_lossy(&json), set: true };
    let _ = LAST.try_with(|l| {
        if let Ok(mut l) = l.try_borrow_mut() {
            *l = slot;
        }
    });
}

fn borrowed(pick: fn(&Slot) -> *const c_char) -> *const c_char {
    crate::boundary::run_or(c"".as_ptr(), || {
        LAST.try_with(|l| l.try_borrow().map(|s| pick(&s)).unwrap_or(c"".as_ptr())).unwrap_or(c"".as_ptr())
    })
}

/// The message of the last failed crm call on this thread (`""` when the last status-returning call
/// succeeded). Never NULL.
///
/// Ownership: borrowed from crm; do not free. Valid until the next status-returning crm call on this
/// thread (copy it if you need it longer). Thread-safety: each thread has its own last error.
#[unsafe(no_mangle)]
pub extern "C" fn crm_last_error_message() -> *const c_char {
    borrowed(|s| s.message.as_ptr())
}

/// The stable machine-readable code of the last failed crm call on this thread: crm-core's error code
/// (`"validation"`, `"not_found"`, `"conflict"`, `"invalid_argument"`, `"busy"`, ...) or one of the
/// boundary's own (`"null_pointer"`, `"invalid_utf8"`, `"invalid_json"`, `"panic"`); `""` after a success.
/// Never NULL.
///
/// Ownership: borrowed; do not free. Valid until the next status-returning crm call on this thread.
/// Thread-safety: per thread.
#[unsafe(no_mangle)]
pub extern "C" fn crm_last_error_code() -> *const c_char {
    borrowed(|s| s.code.as_ptr())
}

/// The field errors of the last failed crm call on this thread as a JSON array of objects
/// `{"field": "...", "code": "...", "message": "..."}` (codes: `required`, `unknown_field`,
/// `invalid_type`, `invalid_format`, `too_long`, `out_of_range`, `unknown_picklist_value`,
/// `invalid_reference`, `unknown_owner`, `read_only`, `not_allowed`). `"[]"` when the last call did not
/// fail with `CRM_STATUS_VALIDATION`. Never NULL.
///
/// Ownership: borrowed; do not free. Valid until the next status-returning crm call on this thread.
/// Thread-safety: per thread.
#[unsafe(no_mangle)]
pub extern "C" fn crm_last_error_json() -> *const c_char {
    borrowed(|s| s.json.as_ptr())
}
