//! The panic boundary and the error type of the C layer.
//!
//! Every exported body runs inside [`run`] (status-returning functions) or [`run_or`] (functions that
//! return a plain value): `catch_unwind` turns a panic into `CRM_STATUS_PANIC` (or the fallback value), so
//! no unwind ever reaches C (which would abort the process, Rust ≥ 1.81).

use crate::last_error;
use crate::status::crm_status;
use crm_core::FieldError;
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// A failure on its way to C: status, stable code, message and validation details.
#[derive(Debug, Clone)]
pub struct FfiError {
    /// The status returned to C.
    pub status: crm_status,
    /// Stable code (crm-core's [`crm_core::Error::code`] or the boundary's own).
    pub code: &'static str,
    /// Message for people.
    pub message: String,
    /// Field errors of a validation failure.
    pub details: Vec<FieldError>,
}

impl FfiError {
    /// A failure without field details.
    pub fn new(status: crm_status, code: &'static str, message: impl Into<String>) -> FfiError {
        FfiError { status, code, message: message.into(), details: vec![] }
    }
    /// A NULL pointer where a value was required.
    pub fn null(arg: &str) -> FfiError {
        FfiError::new(crm_status::NullPointer, "null_pointer", format!("argument '{arg}' is NULL"))
    }
    /// A malformed argument.
    pub fn invalid(msg: impl Into<String>) -> FfiError {
        FfiError::new(crm_status::InvalidArgument, "invalid_argument", msg)
    }
    /// A caught panic.
    pub fn panic(msg: impl Into<String>) -> FfiError {
        FfiError::new(crm_status::Panic, "panic", msg)
    }
}

impl From<crm_core::Error> for FfiError {
    fn from(e: crm_core::Error) -> FfiError {
        let kind = e.kind();
        FfiError { status: crm_status::from_kind(kind), code: kind.as_str(), message: e.to_string(), details: e.field_errors().to_vec() }
    }
}

/// Result of an exported body.
pub type FfiResult<T = ()> = Result<T, FfiError>;

fn panic_message(payload: &(dyn Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".to_string());
    format!("crm panicked (a bug, please report it): {what}")
}

/// Drops a panic payload; its destructor could panic again, so that is caught too (and then leaked).
fn drop_payload(payload: Box<dyn Any + Send>) {
    if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(again);
    }
}

/// Runs the body of a status-returning function: clears the last error, catches panics, records failures.
pub fn run(body: impl FnOnce() -> FfiResult) -> crm_status {
    last_error::clear();
    // The closure only touches memory through the checked argument helpers; state that a panic may leave
    // half-changed (a locked store) is poisoned and refused afterwards, so asserting unwind safety is sound.
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => crm_status::Ok,
        Ok(Err(e)) => {
            last_error::set(&e);
            e.status
        }
        Err(payload) => {
            let e = FfiError::panic(panic_message(payload.as_ref()));
            drop_payload(payload);
            last_error::set(&e);
            e.status
        }
    }
}

/// Runs the body of a function that returns a plain value; a panic yields `fallback`.
pub fn run_or<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(v) => v,
        Err(payload) => {
            drop_payload(payload);
            fallback
        }
    }
}
