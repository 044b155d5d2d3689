//! The opaque `crm_store` handle: open, free, acting user, version.

use crate::args::Out;
use crate::args::arg_str;
use crate::boundary::{self, FfiError, FfiResult};
use crate::status::crm_status;
use crm_core::Crm;
use std::ffi::{CStr, c_char};
use std::sync::{Mutex, MutexGuard};

/// An open crm store (an in-memory or SQLite database with its schema, users and acting user).
///
/// Opaque: C only ever holds a pointer. Created by `crm_store_open`, freed by `crm_store_free`.
/// Thread-safety: a store may be used from several threads at once; calls on one store are serialised by
/// an internal mutex. `crm_store_free` must not run concurrently with another call on the same store.
/// Functions that only read take `const crm_store *`, functions that change data take `crm_store *`.
pub struct crm_store {
    _private: [u8; 0],
}

/// Ties an opaque C type to the Rust value behind it, so pointer casts are checked by the compiler
/// (rustls-ffi's `Castable`).
pub(crate) trait Castable {
    /// The Rust type a pointer to `Self` really points to (always boxed).
    type RustType;
}

impl Castable for crm_store {
    type RustType = Mutex<Crm>;
}

/// Boxes a Rust value and returns it as a pointer to its opaque C type.
pub(crate) fn to_boxed_mut_ptr<C: Castable>(v: C::RustType) -> *mut C {
    Box::into_raw(Box::new(v)).cast()
}

/// Borrows the Rust value behind an opaque pointer; NULL is `CRM_STATUS_NULL_POINTER`.
///
/// # Safety
/// `p` is NULL or came from [`to_boxed_mut_ptr`] for the same `C` and was not freed.
pub(crate) unsafe fn try_ref_from_ptr<'a, C: Castable>(p: *const C, name: &str) -> FfiResult<&'a C::RustType> {
    if p.is_null() {
        return Err(FfiError::null(name));
    }
    // SAFETY: by the caller's contract the pointer is a live `Box<C::RustType>`.
    Ok(unsafe { &*p.cast::<C::RustType>() })
}

/// Drops the box behind an opaque pointer; NULL is a no-op.
///
/// # Safety
/// `p` is NULL or came from [`to_boxed_mut_ptr`] for the same `C` and was not freed.
pub(crate) unsafe fn free_box<C: Castable>(p: *mut C) {
    if !p.is_null() {
        // SAFETY: by the caller's contract the pointer is a live `Box<C::RustType>`.
        drop(unsafe { Box::from_raw(p.cast::<C::RustType>()) });
    }
}

#[cfg(test)]
thread_local! {
    /// Test hook: the next `lock_store` on this thread panics while holding the lock.
    pub(crate) static PANIC_WHILE_LOCKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

thread_local! {
    /// Stores this thread holds locked right now (addresses): a host callback (mailer, workflow function)
    /// runs while its store is locked, and a call back into the same store from it is refused instead of
    /// deadlocking.
    static HELD: std::cell::RefCell<Vec<usize>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A locked store: derefs to the [`Crm`]; unlocking forgets it in this thread's held set.
pub struct StoreGuard<'a> {
    guard: MutexGuard<'a, Crm>,
    addr: usize,
}

impl std::ops::Deref for StoreGuard<'_> {
    type Target = Crm;
    fn deref(&self) -> &Crm {
        &self.guard
    }
}

impl std::ops::DerefMut for StoreGuard<'_> {
    fn deref_mut(&mut self) -> &mut Crm {
        &mut self.guard
    }
}

impl Drop for StoreGuard<'_> {
    fn drop(&mut self) {
        let addr = self.addr;
        let _ = HELD.try_with(|h| {
            let mut h = h.borrow_mut();
            if let Some(i) = h.iter().rposition(|a| *a == addr) {
                h.remove(i);
            }
        });
    }
}

/// Locks a store for one call. A store whose mutex was poisoned by an earlier panic is refused with
/// `CRM_STATUS_PANIC`: its in-memory state may be half-changed. A call on a store from inside a host
/// callback that store is running (same thread, store already locked) is refused with
/// `CRM_STATUS_INVALID_ARGUMENT` (code `reentrant_call`) instead of deadlocking.
///
/// # Safety
/// As `try_ref_from_ptr`.
pub unsafe fn lock_store<'a>(store: *const crm_store) -> FfiResult<StoreGuard<'a>> {
    let m = unsafe { try_ref_from_ptr(store, "store") }?;
    let addr = store as usize;
    if HELD.with(|h| h.borrow().contains(&addr)) {
        return Err(FfiError::new(
            crm_status::InvalidArgument,
            "reentrant_call",
            "this store is busy running a host callback on this thread; a callback must not call crm on the store that called it",
        ));
    }
    let guard = m
        .lock()
        .map_err(|_| FfiError::panic("this store is unusable: an earlier call panicked while using it; free it and open it again"))?;
    HELD.with(|h| h.borrow_mut().push(addr));
    let guard = StoreGuard { guard, addr };
    #[cfg(test)]
    if PANIC_WHILE_LOCKED.with(|c| c.replace(false)) {
        panic!("test hook: forced panic while the store is locked");
    }
    Ok(guard)
}

static VERSION: &CStr = match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
    Ok(v) => v,
    Err(_) => c"unknown",
};

/// The version of crm as `"MAJOR.MINOR.PATCH"`; equals the header's `CRM_VERSION` when the header matches
/// the library.
///
/// Ownership: static; never free it. Thread-safety: may be called from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn crm_version() -> *const c_char {
    boundary::run_or(c"unknown".as_ptr(), || VERSION.as_ptr())
}

/// Opens a store. `path` is `":memory:"` for a new in-memory store, a `postgres://` or `postgresql://`
/// URL for a PostgreSQL database (`postgres://user:password@host:5432/dbname`; one database holds one
/// CRM, or one schema of it with `?options=-csearch_path%3Dname`; needs the default `postgres` feature),
/// otherwise the path of a SQLite file (created with the built-in schema when missing). On success `*out`
/// receives a new handle that the caller owns and must release with `crm_store_free`; on failure `*out`
/// is left untouched.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `CRM_STATUS_INVALID_UTF8`, `CRM_STATUS_STORAGE`/`_CORRUPT`/`_IO`
/// (cannot open or reach the server, not a crm database), `CRM_STATUS_INCOMPATIBLE_VERSION` (written by
/// a newer crm).
/// Thread-safety: may be called from any thread.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `out` is NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_store_open(path: *const c_char, out: *mut *mut crm_store) -> crm_status {
    boundary::run(|| {
        let path = unsafe { arg_str(path, "path") }?;
        let out = unsafe { Out::new(out, "out") }?;
        let crm = Crm::open(path)?;
        out.set(to_boxed_mut_ptr::<crm_store>(Mutex::new(crm)));
        Ok(())
    })
}

/// Closes a store and frees its handle. NULL is a no-op.
///
/// Ownership: takes back the handle; it must not be used or freed again (using or freeing a freed handle
/// is undefined behaviour: crm cannot detect it). Everything crm returned before
/// (strings) stays valid and is still freed with `crm_string_free`. Thread-safety: must not run while
/// another thread uses the same store.
///
/// # Safety
/// `store` is NULL or a handle from `crm_store_open` that was not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_store_free(store: *mut crm_store) {
    boundary::run_or((), || unsafe { free_box(store) })
}

/// Sets the acting user by user name: named in history, `modifiedby`, and the default owner
/// (`assigned_user_id`) of new records.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `CRM_STATUS_INVALID_UTF8`, `CRM_STATUS_NOT_FOUND` (no such user).
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `user_name` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_store_set_actor(store: *mut crm_store, user_name: *const c_char) -> crm_status {
    boundary::run(|| {
        let name = unsafe { arg_str(user_name, "user_name") }?;
        unsafe { lock_store(store) }?.set_actor(name)?;
        Ok(())
    })
}
