//! Host callbacks: the reply slot a callback writes its answer into, and the glue that calls C safely.
//!
//! A callback never returns memory to crm: it copies its answer (fields JSON, an error message) into the
//! `crm_callback_reply` it was given with [`crm_callback_reply_set`], so there is no question of who frees
//! what. The Rust side of every callback runs inside `catch_unwind`: a panic there becomes a callback
//! failure, never an unwind into C; C callbacks must not unwind (no C++ exceptions, no `longjmp`) through
//! crm either.

use crate::args::arg_str;
use crate::boundary::{self, FfiError};
use crate::status::crm_status;
use std::ffi::c_char;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Where a host callback puts its answer (fields JSON, or an error message). Opaque.
///
/// Lifetime: valid only during the callback call it was passed to; never store it. Thread-safety: use it
/// only on the thread that called the callback.
pub struct crm_callback_reply {
    _private: [u8; 0],
}

/// The Rust side of a reply slot.
#[derive(Default)]
pub(crate) struct Reply {
    pub(crate) text: Option<String>,
}

impl Reply {
    /// The slot as the opaque pointer handed to C.
    pub(crate) fn as_ptr(&mut self) -> *mut crm_callback_reply {
        (self as *mut Reply).cast()
    }
}

/// Sets the answer of a host callback: crm copies `text` (NUL-terminated UTF-8) before returning, so it
/// may be a stack buffer. Calling it again replaces the answer.
///
/// What the text means depends on the callback: the fields JSON of a `crm_workflow_function` that returns
/// 0, the error message of a callback that returns non-zero.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`. Thread-safety: only on the thread running the
/// callback, during the callback.
///
/// # Safety
/// `reply` is NULL or the pointer crm passed to the running callback; `text` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_callback_reply_set(reply: *mut crm_callback_reply, text: *const c_char) -> crm_status {
    boundary::run(|| {
        if reply.is_null() {
            return Err(FfiError::null("reply"));
        }
        let text = unsafe { arg_str(text, "text") }?;
        // SAFETY: crm created this pointer from a live `Reply` for the running callback (caller contract).
        let r = unsafe { &mut *reply.cast::<Reply>() };
        r.text = Some(text.to_string());
        Ok(())
    })
}

/// Runs the Rust side of a callback, turning a panic into an error message.
pub(crate) fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            std::mem::forget(payload);
            Err(format!("{what}: crm panicked around the host callback: {msg}"))
        }
    }
}
