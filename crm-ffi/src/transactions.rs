//! Transactions: `crm_transaction_begin`, then any calls on the same handle, then
//! `crm_transaction_commit` (every write stays) or `crm_transaction_rollback` (none does). crm-core's
//! [`Crm::begin_transaction`](crm_core::Crm::begin_transaction) family: a refused save inside still
//! fails alone, an import inside joins the transaction, and a rollback takes schema changes back too.
//! On a SQLite file the transaction holds the write lock until it ends: other handles wait (up to their
//! busy timeout) and then get `CRM_STATUS_BUSY`.

use crate::boundary;
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};

/// Opens a transaction on the store handle.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `CRM_STATUS_CONFLICT` (one is already open on this handle),
/// `CRM_STATUS_BUSY` (another handle holds the write lock), storage errors. Thread-safety: serialised
/// with other calls on the store; calls from other threads on the same handle join the transaction.
///
/// # Safety
/// `store` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_transaction_begin(store: *mut crm_store) -> crm_status {
    boundary::run(|| Ok(unsafe { lock_store(store) }?.begin_transaction()?))
}

/// Commits the open transaction: every write since `crm_transaction_begin` stays.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `CRM_STATUS_CONFLICT` (no transaction open), storage errors (the
/// transaction is then rolled back and closed). Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_transaction_commit(store: *mut crm_store) -> crm_status {
    boundary::run(|| Ok(unsafe { lock_store(store) }?.commit_transaction()?))
}

/// Rolls the open transaction back: no write since `crm_transaction_begin` stays.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `CRM_STATUS_CONFLICT` (no transaction open), storage errors.
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_transaction_rollback(store: *mut crm_store) -> crm_status {
    boundary::run(|| Ok(unsafe { lock_store(store) }?.rollback_transaction()?))
}

/// Writes whether a transaction is open on the handle into `*out_open` (required).
///
/// Errors: `CRM_STATUS_NULL_POINTER`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `out_open` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_transaction_is_open(store: *const crm_store, out_open: *mut bool) -> crm_status {
    boundary::run(|| {
        let out = unsafe { crate::args::Out::new(out_open, "out_open") }?;
        let open = unsafe { lock_store(store) }?.in_transaction();
        out.set(open);
        Ok(())
    })
}
