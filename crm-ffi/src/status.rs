//! The status codes every fallible function returns, and their static descriptions.
//!
//! The numbers are ABI: they never change and a retired number is never reused (keep it below as a
//! "reserved" comment). Every crm-core [`ErrorKind`] has its status ([`crm_status::from_kind`] matches
//! exhaustively, so a new kind gets a new number at the end before this crate builds again);
//! `CRM_STATUS_ERROR` remains for failures of the boundary itself (a reply that cannot be serialised).

use crm_core::ErrorKind;
use std::ffi::{CStr, c_char};

/// Outcome of a crm call. `CRM_STATUS_OK` (0, also spelled `CRM_OK`) is success; every other value is a
/// failure class, with details in `crm_last_error_message()` on the same thread.
///
/// The numbers are fixed and never renumbered. C receives this as a `uint32_t`; when passing a status back
/// into crm (`crm_status_str`), any number is accepted. A plain value: nothing to free, usable from any
/// thread.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum crm_status {
    /// Success.
    Ok = 0,
    /// An argument is malformed: unknown module or field in a query, wrong JSON shape, bad option.
    InvalidArgument = 1,
    /// A required pointer argument was NULL.
    NullPointer = 2,
    /// An input string is not valid UTF-8.
    InvalidUtf8 = 3,
    /// An input string is not syntactically valid JSON.
    InvalidJson = 4,
    /// A record (or user, group) failed validation; `crm_last_error_json()` lists every field error.
    Validation = 5,
    /// The record, user, group or module does not exist (or the record is in the recycle bin).
    NotFound = 6,
    /// The change conflicts with the stored state (stale version, name taken, already deleted, ...).
    Conflict = 7,
    /// Reading or writing a file failed.
    Io = 8,
    /// The storage backend failed.
    Storage = 9,
    /// The database stayed locked by another writer past the busy timeout; retrying may succeed.
    Busy = 10,
    /// The database was written by a newer version of crm.
    IncompatibleVersion = 11,
    /// crm panicked (a bug). The call had no effect that can be relied on; a store that was in use is
    /// unusable afterwards (every further call on it returns this status) and should be freed.
    Panic = 12,
    /// The file is not a crm database or is damaged.
    Corrupt = 13,
    /// A unique value already exists in storage.
    Duplicate = 14,
    /// Another failure that has no dedicated status yet; `crm_last_error_code()` names it.
    Error = 15,
    /// A schema or picklist edit was refused (unknown or standard field, duplicate label or value, field
    /// still in use, lossy type change, ...); nothing was changed.
    Schema = 16,
    /// The change feed no longer holds the changes after the position asked for (the change log was
    /// trimmed past it): the consumer missed changes and must resynchronise.
    FeedPositionExpired = 17,
    /// The acting user may not do this (profile or sharing); the message names the action, the module and
    /// the field or record.
    AccessDenied = 18,
}

impl crm_status {
    /// The status of a crm-core error kind ([`crm_core::Error::kind`]). The match is exhaustive: a new
    /// kind in crm-core breaks this build until it is given a status here.
    pub fn from_kind(kind: ErrorKind) -> crm_status {
        match kind {
            ErrorKind::InvalidArgument => crm_status::InvalidArgument,
            ErrorKind::Validation => crm_status::Validation,
            ErrorKind::NotFound => crm_status::NotFound,
            ErrorKind::Conflict => crm_status::Conflict,
            ErrorKind::Io => crm_status::Io,
            ErrorKind::Storage => crm_status::Storage,
            ErrorKind::Busy => crm_status::Busy,
            ErrorKind::IncompatibleVersion => crm_status::IncompatibleVersion,
            ErrorKind::Corrupt => crm_status::Corrupt,
            ErrorKind::Duplicate => crm_status::Duplicate,
            ErrorKind::Schema => crm_status::Schema,
            ErrorKind::FeedPositionExpired => crm_status::FeedPositionExpired,
            ErrorKind::AccessDenied => crm_status::AccessDenied,
        }
    }

    /// Every status, in numeric order.
    pub fn all() -> [crm_status; 19] {
        ALL
    }

    /// The status with this number, if there is one.
    pub fn from_u32(n: u32) -> Option<crm_status> {
        ALL.into_iter().find(|s| *s as u32 == n)
    }

    /// A short static description.
    pub fn description(self) -> &'static CStr {
        match self {
            crm_status::Ok => c"ok",
            crm_status::InvalidArgument => c"invalid argument",
            crm_status::NullPointer => c"null pointer argument",
            crm_status::InvalidUtf8 => c"invalid UTF-8",
            crm_status::InvalidJson => c"invalid JSON",
            crm_status::Validation => c"validation failed",
            crm_status::NotFound => c"not found",
            crm_status::Conflict => c"conflict",
            crm_status::Io => c"i/o error",
            crm_status::Storage => c"storage error",
            crm_status::Busy => c"database busy",
            crm_status::IncompatibleVersion => c"incompatible database version",
            crm_status::Panic => c"internal panic",
            crm_status::Corrupt => c"database corrupt",
            crm_status::Duplicate => c"duplicate value",
            crm_status::Error => c"error",
            crm_status::Schema => c"schema change refused",
            crm_status::FeedPositionExpired => c"feed position expired",
            crm_status::AccessDenied => c"access denied",
        }
    }
}

/// Every status, in numeric order (not exported: cbindgen would turn it into a macro).
const ALL: [crm_status; 19] = [
    crm_status::Ok,
    crm_status::InvalidArgument,
    crm_status::NullPointer,
    crm_status::InvalidUtf8,
    crm_status::InvalidJson,
    crm_status::Validation,
    crm_status::NotFound,
    crm_status::Conflict,
    crm_status::Io,
    crm_status::Storage,
    crm_status::Busy,
    crm_status::IncompatibleVersion,
    crm_status::Panic,
    crm_status::Corrupt,
    crm_status::Duplicate,
    crm_status::Error,
    crm_status::Schema,
    crm_status::FeedPositionExpired,
    crm_status::AccessDenied,
];

/// A static, NUL-terminated English description of a status number (`"ok"`, `"not found"`, ...);
/// `"unknown status"` for numbers crm does not define.
///
/// Ownership: the string is static; never free it. Thread-safety: may be called from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn crm_status_str(status: u32) -> *const c_char {
    crate::boundary::run_or(c"unknown status".as_ptr(), || {
        crm_status::from_u32(status).map_or(c"unknown status", crm_status::description).as_ptr()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_fixed() {
        for (i, s) in crm_status::all().iter().enumerate() {
            assert_eq!(*s as u32, i as u32);
            assert_eq!(crm_status::from_u32(i as u32), Some(*s));
        }
        assert_eq!(crm_status::Ok as u32, 0);
        assert_eq!(crm_status::Panic as u32, 12);
        assert_eq!(crm_status::from_u32(9999), None);
    }

    #[test]
    fn core_kinds_map() {
        assert_eq!(crm_status::from_kind(ErrorKind::Validation), crm_status::Validation);
        assert_eq!(crm_status::from_kind(ErrorKind::Busy), crm_status::Busy);
        for k in ErrorKind::ALL {
            let s = crm_status::from_kind(k);
            assert!(!matches!(s, crm_status::Ok | crm_status::Error | crm_status::Panic), "{k}");
        }
        let s = unsafe { CStr::from_ptr(crm_status_str(6)) };
        assert_eq!(s, c"not found");
        let s = unsafe { CStr::from_ptr(crm_status_str(777)) };
        assert_eq!(s, c"unknown status");
    }
}
