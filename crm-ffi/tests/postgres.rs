#![cfg(feature = "postgres")]
//! `crm_store_open` takes a PostgreSQL URL (the default `postgres` feature): a save and a read through the
//! C ABI, and a second handle on the same database sees the record. Needs `CRM_TEST_POSTGRES_URL`; without
//! it the test says so and passes (the core suite is the one that must not skip).

use crm_ffi::*;
use std::ffi::{CStr, CString, c_char};
use std::ptr;

fn s(text: &str) -> CString {
    CString::new(text).unwrap()
}

fn message() -> String {
    unsafe { CStr::from_ptr(crm_last_error_message()) }.to_str().unwrap().to_string()
}

fn take(p: *mut c_char) -> serde_json::Value {
    let v = serde_json::from_str(unsafe { CStr::from_ptr(p) }.to_str().unwrap()).unwrap();
    unsafe { crm_string_free(p) };
    v
}

#[test]
fn a_postgres_url_opens_saves_and_reads() {
    let Ok(server) = std::env::var("CRM_TEST_POSTGRES_URL") else {
        eprintln!("skipped: CRM_TEST_POSTGRES_URL is not set (a PostgreSQL server for the tests)");
        return;
    };
    let schema = format!("crm_ffi_test_{}", std::process::id());
    let sep = if server.contains('?') { '&' } else { '?' };
    let url = format!("{server}{sep}options=-csearch_path%3D{schema}");
    let mut st = ptr::null_mut();
    assert_eq!(unsafe { crm_store_open(s(&url).as_ptr(), &mut st) }, crm_status::Ok, "{}", message());
    let user = s(r#"{"user_name": "admin"}"#);
    assert_eq!(unsafe { crm_user_add(st, user.as_ptr(), ptr::null_mut()) }, crm_status::Ok, "{}", message());
    assert_eq!(unsafe { crm_store_set_actor(st, s("admin").as_ptr()) }, crm_status::Ok);
    let fields = s(r#"{"potentialname": "Over the wire", "amount": "1234.50", "sales_stage": "Prospecting", "closingdate": "2027-01-31"}"#);
    let mut out = ptr::null_mut();
    assert_eq!(unsafe { crm_record_create(st, s("Potentials").as_ptr(), fields.as_ptr(), &mut out) }, crm_status::Ok, "{}", message());
    let created = take(out);
    let id = created["id"].as_i64().unwrap();
    // A second handle (another connection) reads what the first saved.
    let mut other = ptr::null_mut();
    assert_eq!(unsafe { crm_store_open(s(&url).as_ptr(), &mut other) }, crm_status::Ok, "{}", message());
    let mut got = ptr::null_mut();
    assert_eq!(unsafe { crm_record_get(other, id, &mut got) }, crm_status::Ok, "{}", message());
    let got = take(got);
    assert_eq!(got["potentialname"], "Over the wire");
    assert_eq!(got["amount"], "1234.50");
    unsafe {
        crm_store_free(st);
        crm_store_free(other);
    }
    crm_core::storage::postgres::PostgresStore::drop_schema(&server, &schema).unwrap();
    // An unreachable server is a storage error, not a crash.
    let mut bad = ptr::null_mut();
    let status = unsafe { crm_store_open(s("postgres://nobody@127.0.0.1:1/none").as_ptr(), &mut bad) };
    assert_eq!(status, crm_status::Io, "{}", message());
    assert!(bad.is_null());
}
