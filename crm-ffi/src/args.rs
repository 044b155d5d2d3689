//! Checked reading of C arguments and writing of out-parameters.
//!
//! Every pointer from C goes through one of these helpers: NULL becomes `CRM_STATUS_NULL_POINTER`, bad
//! UTF-8 `CRM_STATUS_INVALID_UTF8`, JSON that does not parse `CRM_STATUS_INVALID_JSON`, and JSON of the
//! wrong shape `CRM_STATUS_INVALID_ARGUMENT`. Out-parameters are checked before any work is done and
//! written last, so nothing is written (and nothing changed) when a call fails on its arguments.

use crate::boundary::{FfiError, FfiResult};
use crate::status::crm_status;
use crate::strings::into_c_string;
use crm_core::Fields;
use crm_core::wire::FieldsIn;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::ffi::{CStr, c_char};

/// Reads a required NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that stays valid for `'a`.
pub unsafe fn arg_str<'a>(p: *const c_char, name: &str) -> FfiResult<&'a str> {
    if p.is_null() {
        return Err(FfiError::null(name));
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's contract.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map_err(|e| {
        FfiError::new(
            crm_status::InvalidUtf8,
            "invalid_utf8",
            format!("argument '{name}' is not valid UTF-8 (bad byte at offset {})", e.valid_up_to()),
        )
    })
}

/// Reads an optional string argument (NULL = `None`).
///
/// # Safety
/// As [`arg_str`].
pub unsafe fn arg_opt_str<'a>(p: *const c_char, name: &str) -> FfiResult<Option<&'a str>> {
    if p.is_null() { Ok(None) } else { unsafe { arg_str(p, name) }.map(Some) }
}

/// Parses JSON text into `T`: syntax errors are `CRM_STATUS_INVALID_JSON`, a wrong shape
/// `CRM_STATUS_INVALID_ARGUMENT`, and so is nesting deeper than
/// [`MAX_BINDING_DEPTH`](crm_core::limits::MAX_BINDING_DEPTH) (serde_json's recursion limit): a limit of
/// the engine, named in the message, not a syntax error.
pub fn parse_json<T: DeserializeOwned>(text: &str, what: &str) -> FfiResult<T> {
    serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => FfiError::invalid(format!("{what}: {e}")),
        _ if e.to_string().starts_with("recursion limit exceeded") => FfiError::invalid(format!(
            "{what} nests deeper than {} levels; the limit is limits::MAX_BINDING_DEPTH ({e})",
            crm_core::limits::MAX_BINDING_DEPTH
        )),
        _ => FfiError::new(crm_status::InvalidJson, "invalid_json", format!("{what} is not valid JSON: {e}")),
    })
}

/// Reads an optional string argument holding JSON and parses it; NULL gives `T::default()`.
///
/// # Safety
/// As [`arg_str`].
pub unsafe fn arg_opt_json<T: DeserializeOwned + Default>(p: *const c_char, name: &str) -> FfiResult<T> {
    match unsafe { arg_opt_str(p, name) }? {
        Some(t) => parse_json(t, name),
        None => Ok(T::default()),
    }
}

/// Reads a required string argument holding JSON and parses it.
///
/// # Safety
/// As [`arg_str`].
pub unsafe fn arg_json<T: DeserializeOwned>(p: *const c_char, name: &str) -> FfiResult<T> {
    parse_json(unsafe { arg_str(p, name) }?, name)
}

/// Reads a JSON object of field values (`{"amount": "1000", "sales_stage": "Prospecting"}`) in crm-core's
/// wire form ([`crm_core::wire::FieldsIn`]): numbers keep their exact digits, and the record keys `id`,
/// `module`, `label`, `version` and `deleted` are ignored, so a record's JSON can be edited and passed
/// back.
pub fn fields_from_json(text: &str, what: &str) -> FfiResult<Fields> {
    let fields: FieldsIn = parse_json(text, what).map_err(|e| {
        if e.status == crm_status::InvalidArgument && !e.message.contains("MAX_BINDING_DEPTH") {
            FfiError::invalid(format!("{what} must be a JSON object of field values"))
        } else {
            e
        }
    })?;
    Ok(fields.0)
}

/// Reads a required JSON-object-of-fields argument.
///
/// # Safety
/// As [`arg_str`].
pub unsafe fn arg_fields(p: *const c_char, name: &str) -> FfiResult<Fields> {
    fields_from_json(unsafe { arg_str(p, name) }?, name)
}

/// An out-parameter, checked up front and written only at the end of a successful call.
pub struct Out<T> {
    ptr: *mut T,
}

impl<T> Out<T> {
    /// A required out-parameter: NULL is `CRM_STATUS_NULL_POINTER`.
    ///
    /// # Safety
    /// `p` is NULL or valid for writing a `T`.
    pub unsafe fn new(p: *mut T, name: &str) -> FfiResult<Out<T>> {
        if p.is_null() { Err(FfiError::null(name)) } else { Ok(Out { ptr: p }) }
    }

    /// An optional out-parameter: NULL means the caller does not want the value.
    ///
    /// # Safety
    /// `p` is NULL or valid for writing a `T`.
    pub unsafe fn optional(p: *mut T) -> Out<T> {
        Out { ptr: p }
    }

    /// True when the caller wants the value.
    pub fn wanted(&self) -> bool {
        !self.ptr.is_null()
    }

    /// Writes the value (nothing for a NULL optional out-parameter).
    pub fn set(self, v: T) {
        if !self.ptr.is_null() {
            // SAFETY: valid for writes by the constructor's contract; a plain write, the old content is
            // caller garbage and must not be dropped.
            unsafe { self.ptr.write(v) };
        }
    }
}

impl Out<*mut c_char> {
    /// Serialises `v` to JSON and hands it over as a string the caller frees with `crm_string_free`.
    pub fn set_json<S: Serialize + ?Sized>(self, v: &S) -> FfiResult {
        if !self.wanted() {
            return Ok(());
        }
        let text =
            serde_json::to_string(v).map_err(|e| FfiError::new(crm_status::Error, "serialize", format!("cannot write JSON: {e}")))?;
        self.set(into_c_string(text));
        Ok(())
    }
}
