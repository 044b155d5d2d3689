//! Storage failures reach C as their own status codes, on a real SQLite file: a database written by a
//! newer crm, a database locked by another writer, and a stale version between two handles.

use crm_ffi::*;
use std::ffi::{CStr, CString, c_char};
use std::ptr;

fn s(text: &str) -> CString {
    CString::new(text).unwrap()
}

fn message() -> String {
    unsafe { CStr::from_ptr(crm_last_error_message()) }.to_str().unwrap().to_string()
}

fn code() -> String {
    unsafe { CStr::from_ptr(crm_last_error_code()) }.to_str().unwrap().to_string()
}

fn open(path: &str) -> *mut crm_store {
    let mut st = ptr::null_mut();
    assert_eq!(unsafe { crm_store_open(s(path).as_ptr(), &mut st) }, crm_status::Ok);
    // Both handles of a file register or find the same acting user.
    let user = s(r#"{"user_name": "admin"}"#);
    let status = unsafe { crm_user_add(st, user.as_ptr(), ptr::null_mut()) };
    assert!(status == crm_status::Ok || status == crm_status::Conflict, "{}", message());
    assert_eq!(unsafe { crm_store_set_actor(st, s("admin").as_ptr()) }, crm_status::Ok);
    st
}

fn take(p: *mut c_char) -> serde_json::Value {
    let v = serde_json::from_str(unsafe { CStr::from_ptr(p) }.to_str().unwrap()).unwrap();
    unsafe { crm_string_free(p) };
    v
}

const DEAL: &str = r#"{"potentialname": "Deal", "sales_stage": "Prospecting", "closingdate": "2027-01-31"}"#;

#[test]
fn a_database_from_a_newer_crm_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("newer.db");
    let path = path.to_str().unwrap();
    unsafe { crm_store_free(open(path)) };
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update(None, "user_version", 9999).unwrap();
    drop(conn);
    let sentinel = ptr::dangling_mut::<crm_store>();
    let mut st = sentinel;
    assert_eq!(unsafe { crm_store_open(s(path).as_ptr(), &mut st) }, crm_status::IncompatibleVersion);
    assert_eq!(st, sentinel);
    assert_eq!(code(), "incompatible_version");
}

#[test]
fn a_locked_database_is_busy_and_a_retry_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.db");
    let path = path.to_str().unwrap();
    let st = open(path);
    let mut other = rusqlite::Connection::open(path).unwrap();
    let tx = other.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).unwrap();
    let mut out = ptr::null_mut();
    // Waits for crm's busy timeout, then gives up.
    let status = unsafe { crm_record_create(st, s("Potentials").as_ptr(), s(DEAL).as_ptr(), &mut out) };
    assert_eq!(status, crm_status::Busy);
    assert!(out.is_null());
    assert_eq!(code(), "busy");
    tx.commit().unwrap();
    let status = unsafe { crm_record_create(st, s("Potentials").as_ptr(), s(DEAL).as_ptr(), &mut out) };
    assert_eq!(status, crm_status::Ok);
    unsafe { crm_string_free(out) };
    unsafe { crm_store_free(st) };
}

#[test]
fn a_stale_version_from_another_handle_is_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.db");
    let path = path.to_str().unwrap();
    let a = open(path);
    let b = open(path);
    let mut out = ptr::null_mut();
    let status = unsafe { crm_record_create(a, s("Potentials").as_ptr(), s(DEAL).as_ptr(), &mut out) };
    assert_eq!(status, crm_status::Ok, "{}", message());
    let read = take(out);
    let (id, version) = (read["id"].as_i64().unwrap(), read["version"].as_u64().unwrap());
    let upd = s(r#"{"amount": "10"}"#);
    assert_eq!(unsafe { crm_record_update(b, id, upd.as_ptr(), ptr::null_mut()) }, crm_status::Ok);
    let upd = s(r#"{"amount": "20"}"#);
    let status = unsafe { crm_record_update_version(a, id, version, upd.as_ptr(), ptr::null_mut()) };
    assert_eq!(status, crm_status::Conflict);
    assert_eq!(code(), "conflict");
    assert_eq!(unsafe { crm_record_get(a, id, &mut out) }, crm_status::Ok);
    assert_eq!(take(out)["amount"], "10.00");
    unsafe {
        crm_store_free(a);
        crm_store_free(b);
    }
}
