//! Tests of the bindings of crm-core's capabilities through the exported functions, on an in-memory store
//! and on a SQLite file: one file per capability, sharing the helpers below.

mod access;
mod analytics;
mod conditions;
mod convert;
mod currency;
mod duplicates;
mod failures;
mod feed;
mod import_export;
mod mass;
mod outbox;
mod paging;
mod persian;
mod progress;
mod records;
mod relations;
mod reports;
mod schema;
mod settings;
mod transactions;
mod views;
mod workflows;

pub(crate) use crate::*;
pub(crate) use serde_json::{Value as J, json};
pub(crate) use std::ffi::{CStr, CString, c_char, c_void};
pub(crate) use std::ptr;

fn s(text: &str) -> CString {
    CString::new(text).unwrap()
}

fn take(p: *mut c_char) -> J {
    assert!(!p.is_null());
    let v = serde_json::from_str(unsafe { CStr::from_ptr(p) }.to_str().unwrap()).unwrap();
    unsafe { crm_string_free(p) };
    v
}

fn msg() -> String {
    unsafe { CStr::from_ptr(crm_last_error_message()) }.to_string_lossy().into_owned()
}

fn code() -> String {
    unsafe { CStr::from_ptr(crm_last_error_code()) }.to_string_lossy().into_owned()
}

#[track_caller]
fn ok(status: crm_status) {
    assert_eq!(status, crm_status::Ok, "{} ({})", msg(), code());
}

/// Calls a function that writes a JSON string and returns it parsed.
#[track_caller]
fn json_of(f: impl FnOnce(*mut *mut c_char) -> crm_status) -> J {
    let mut out = ptr::null_mut();
    ok(f(&mut out));
    take(out)
}

/// A store handle and the directory of its SQLite file (kept until the store is freed).
struct Store(*mut crm_store, #[allow(dead_code)] Option<tempfile::TempDir>);
impl Drop for Store {
    fn drop(&mut self) {
        unsafe { crm_store_free(self.0) };
    }
}

fn open_at(path: &str, dir: Option<tempfile::TempDir>) -> Store {
    let mut p = ptr::null_mut();
    ok(unsafe { crm_store_open(s(path).as_ptr(), &mut p) });
    let st = Store(p, dir);
    let user = s(r#"{"user_name": "admin", "full_name": "Administrator", "email": "admin@example.com"}"#);
    ok(unsafe { crm_user_add(st.0, user.as_ptr(), ptr::null_mut()) });
    let user = s(r#"{"user_name": "jdoe", "full_name": "John Doe", "email": "jdoe@example.com"}"#);
    ok(unsafe { crm_user_add(st.0, user.as_ptr(), ptr::null_mut()) });
    ok(unsafe { crm_store_set_actor(st.0, s("admin").as_ptr()) });
    st
}

/// A fresh in-memory store and a fresh SQLite file store.
fn both() -> Vec<Store> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("crm.db").to_str().unwrap().to_string();
    vec![open_at(":memory:", None), open_at(&file, Some(dir))]
}

fn create(st: &Store, module: &str, fields: &str) -> J {
    json_of(|o| unsafe { crm_record_create(st.0, s(module).as_ptr(), s(fields).as_ptr(), o) })
}

fn id(j: &J) -> i64 {
    j["id"].as_i64().unwrap()
}

fn deal(st: &Store, name: &str, stage: &str, amount: &str, close: &str) -> i64 {
    id(&create(
        st,
        "Potentials",
        &format!(r#"{{"potentialname": "{name}", "sales_stage": "{stage}", "amount": "{amount}", "closingdate": "{close}"}}"#),
    ))
}

/// The names of the opportunities `crm_record_find` returns to the acting user, sorted.
fn names(st: &Store) -> Vec<String> {
    let found = json_of(|o| unsafe { crm_record_find(st.0, s(r#"{"module": "Potentials"}"#).as_ptr(), o) });
    let mut v: Vec<String> =
        found["records"].as_array().unwrap().iter().map(|r| r["potentialname"].as_str().unwrap().to_string()).collect();
    v.sort();
    v
}

fn get(st: &Store, id: i64) -> J {
    json_of(|o| unsafe { crm_record_get(st.0, id, o) })
}
