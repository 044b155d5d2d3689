//! Unit tests through the exported functions, including the forced-panic path (which needs the
//! `cfg(test)` hook in `store::lock_store`, so it cannot run from C).

use crate::store::PANIC_WHILE_LOCKED;
use crate::*;
use std::ffi::{CStr, CString, c_char};
use std::ptr;

fn s(text: &str) -> CString {
    CString::new(text).unwrap()
}

fn take(p: *mut c_char) -> serde_json::Value {
    assert!(!p.is_null());
    let v = serde_json::from_str(unsafe { CStr::from_ptr(p) }.to_str().unwrap()).unwrap();
    unsafe { crm_string_free(p) };
    v
}

fn last_message() -> String {
    unsafe { CStr::from_ptr(crm_last_error_message()) }.to_str().unwrap().to_string()
}

struct Store(*mut crm_store);
impl Drop for Store {
    fn drop(&mut self) {
        unsafe { crm_store_free(self.0) };
    }
}

fn open(path: &str) -> Store {
    let mut p = ptr::null_mut();
    assert_eq!(unsafe { crm_store_open(s(path).as_ptr(), &mut p) }, crm_status::Ok);
    let st = Store(p);
    let user = s(r#"{"user_name": "admin", "full_name": "Administrator"}"#);
    assert_eq!(unsafe { crm_user_add(st.0, user.as_ptr(), ptr::null_mut()) }, crm_status::Ok);
    assert_eq!(unsafe { crm_store_set_actor(st.0, s("admin").as_ptr()) }, crm_status::Ok);
    st
}

fn create(st: &Store, module: &str, fields: &str) -> serde_json::Value {
    let mut out = ptr::null_mut();
    let status = unsafe { crm_record_create(st.0, s(module).as_ptr(), s(fields).as_ptr(), &mut out) };
    assert_eq!(status, crm_status::Ok, "{}", last_message());
    take(out)
}

#[test]
fn a_panic_becomes_a_status_and_poisons_the_store() {
    let st = open(":memory:");
    let deal = create(&st, "Potentials", r#"{"potentialname": "A", "sales_stage": "Prospecting", "closingdate": "2027-01-31"}"#);
    let id = deal["id"].as_i64().unwrap();
    let mut out: *mut c_char = ptr::null_mut();
    PANIC_WHILE_LOCKED.with(|c| c.set(true));
    let status = unsafe { crm_record_get(st.0, id, &mut out) };
    assert_eq!(status, crm_status::Panic);
    assert!(out.is_null(), "out-parameter untouched on failure");
    assert!(last_message().contains("test hook: forced panic"), "{}", last_message());
    let code = unsafe { CStr::from_ptr(crm_last_error_code()) };
    assert_eq!(code, c"panic");
    // The mutex was held during the panic: the store is refused from now on, but can still be freed.
    let status = unsafe { crm_record_get(st.0, id, &mut out) };
    assert_eq!(status, crm_status::Panic);
    assert!(last_message().contains("unusable"), "{}", last_message());
    assert!(out.is_null());
}

#[test]
fn exact_decimals_in_and_out_on_memory_and_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("crm.db");
    for path in [":memory:", file.to_str().unwrap()] {
        let st = open(path);
        // A JSON number keeps its digits (no f64 round trip); a string works as well.
        let r = create(
            &st,
            "Potentials",
            r#"{"potentialname": "Exact", "amount": 987654321098.76, "sales_stage": "Qualification", "closingdate": "2027-03-31"}"#,
        );
        assert_eq!(r["amount"], "987654321098.76");
        assert_eq!(r["probability"], "20.000");
        assert_eq!(r["closingdate"], "2027-03-31");
        assert_eq!(r["version"], 1);
        let id = r["id"].as_i64().unwrap();
        let mut out = ptr::null_mut();
        let upd = s(r#"{"amount": "100.10"}"#);
        assert_eq!(unsafe { crm_record_update(st.0, id, upd.as_ptr(), &mut out) }, crm_status::Ok);
        assert_eq!(take(out)["amount"], "100.10");
        let q = s(r#"{"module": "Opportunities", "conditions": [{"field": "amount", "op": ">", "value": 100.05}], "sort": ["-amount"]}"#);
        assert_eq!(unsafe { crm_record_find(st.0, q.as_ptr(), &mut out) }, crm_status::Ok);
        let found = take(out);
        assert_eq!(found["total"], 1);
        assert_eq!(found["records"][0]["id"], id);
        let q = s(r#"{"module": "Potentials"}"#);
        assert_eq!(
            unsafe { crm_aggregate(st.0, q.as_ptr(), s("sales_stage").as_ptr(), s(r#"["amount"]"#).as_ptr(), &mut out,) },
            crm_status::Ok
        );
        let agg = take(out);
        assert_eq!(agg[0]["key"], "Qualification");
        assert_eq!(agg[0]["sums"]["amount"], "100.10");
        // Sums are keyed by field name, a label asked for too (as Python's aggregate names them).
        assert_eq!(unsafe { crm_aggregate(st.0, q.as_ptr(), ptr::null(), s(r#"["Amount"]"#).as_ptr(), &mut out,) }, crm_status::Ok);
        assert_eq!(take(out), serde_json::json!([{"key": null, "count": 1, "sums": {"amount": "100.10"}}]));
        assert_eq!(unsafe { crm_record_stage_history(st.0, id, &mut out) }, crm_status::Ok);
        let stages = take(out);
        assert_eq!(stages.as_array().unwrap().len(), 2);
        assert_eq!(stages[1]["amount"], "100.10");
    }
}

#[test]
fn failures_write_nothing_and_describe_themselves() {
    let st = open(":memory:");
    let sentinel = ptr::dangling_mut::<c_char>();
    let mut out = sentinel;
    let bad = s(r#"{"potentialname": "", "amount": "12abc", "nope": 1}"#);
    let status = unsafe { crm_record_create(st.0, s("Potentials").as_ptr(), bad.as_ptr(), &mut out) };
    assert_eq!(status, crm_status::Validation);
    assert_eq!(out, sentinel);
    let details: serde_json::Value = serde_json::from_str(unsafe { CStr::from_ptr(crm_last_error_json()) }.to_str().unwrap()).unwrap();
    let fields: Vec<&str> = details.as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"amount") && fields.contains(&"nope") && fields.contains(&"potentialname"), "{details}");
    assert!(details.as_array().unwrap().iter().any(|d| d["code"] == "invalid_type" && d["field"] == "amount"));
    // A later success clears the slot.
    let mut n = 0u64;
    assert_eq!(unsafe { crm_record_count(st.0, s(r#"{"module": "Potentials"}"#).as_ptr(), &mut n) }, crm_status::Ok);
    assert_eq!(n, 0);
    assert_eq!(last_message(), "");
    assert_eq!(unsafe { CStr::from_ptr(crm_last_error_json()) }, c"[]");
    // A NULL out-parameter of a write is allowed, of a read is not (and nothing happens).
    assert_eq!(unsafe { crm_record_get(st.0, 1, ptr::null_mut()) }, crm_status::NullPointer);
    assert_eq!(
        unsafe { crm_record_count(st.0, s(r#"{"module": "Potentials", "limt": 1}"#).as_ptr(), &mut n,) },
        crm_status::InvalidArgument
    );
    assert_eq!(unsafe { crm_record_count(st.0, s(r#"{"module": "Potentials""#).as_ptr(), &mut n) }, crm_status::InvalidJson);
}

/// A store pointer that may cross threads: the handle is documented as shareable (internal mutex).
#[derive(Clone, Copy)]
struct Shared(*mut crm_store);
unsafe impl Send for Shared {}

#[test]
fn one_store_many_threads_and_a_last_error_per_thread() {
    let st = open(":memory:");
    let shared = Shared(st.0);
    let workers: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                let shared = shared;
                for i in 0..10 {
                    let fields = s(&format!(
                        r#"{{"potentialname": "T{t}-{i}", "amount": "{i}.50", "sales_stage": "Prospecting", "closingdate": "2027-01-31"}}"#
                    ));
                    let status = unsafe { crm_record_create(shared.0, s("Potentials").as_ptr(), fields.as_ptr(), ptr::null_mut()) };
                    assert_eq!(status, crm_status::Ok);
                }
                // This thread's failure is visible here only.
                let mut out = ptr::null_mut();
                assert_eq!(unsafe { crm_record_get(shared.0, -t, &mut out) }, crm_status::NotFound);
                last_message()
            })
        })
        .collect();
    let messages: Vec<String> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    for (t, m) in messages.iter().enumerate() {
        assert!(m.contains(&format!("record {}", -(t as i64))), "{m}");
    }
    assert_eq!(last_message(), "", "the main thread's slot is untouched by the workers");
    let mut n = 0u64;
    assert_eq!(unsafe { crm_record_count(st.0, s(r#"{"module": "Potentials"}"#).as_ptr(), &mut n) }, crm_status::Ok);
    assert_eq!(n, 40);
    let mut out = ptr::null_mut();
    let q = s(r#"{"module": "Potentials"}"#);
    assert_eq!(unsafe { crm_aggregate(st.0, q.as_ptr(), ptr::null(), s(r#"["amount"]"#).as_ptr(), &mut out,) }, crm_status::Ok);
    // 4 threads × (0.50 + 1.50 + ... + 9.50) = 4 × 50 = 200.
    assert_eq!(take(out)[0]["sums"]["amount"], "200.00");
}

#[test]
fn settings_and_auto_numbers() {
    let st = open(":memory:");
    let mut out = ptr::null_mut();
    assert_eq!(unsafe { crm_auto_number_get(st.0, s("Potentials").as_ptr(), &mut out) }, crm_status::Ok);
    assert_eq!(take(out), serde_json::json!({"prefix": "POT", "next": "1"}));
    let status = unsafe { crm_auto_number_set(st.0, s("Potentials").as_ptr(), s("OPP-").as_ptr(), s("0100").as_ptr()) };
    assert_eq!(status, crm_status::Ok);
    assert_eq!(unsafe { crm_store_set_stage_probability_autofill(st.0, false) }, crm_status::Ok);
    let r = create(&st, "Potentials", r#"{"potentialname": "N", "sales_stage": "Qualification", "closingdate": "2027-01-31"}"#);
    assert_eq!(r["potential_no"], "OPP-0100");
    assert!(r["probability"].is_null(), "no autofill: {r}");
    let status = unsafe { crm_auto_number_set(st.0, s("Potentials").as_ptr(), s("OPP-").as_ptr(), s("5").as_ptr()) };
    assert_eq!(status, crm_status::InvalidArgument);
    assert_eq!(unsafe { crm_user_get(st.0, s("ADMIN").as_ptr(), &mut out) }, crm_status::Ok);
    assert_eq!(take(out)["full_name"], "Administrator");
}

/// JSON nested `depth` levels of `{"not": ...}` around one comparison, as a query's condition.
fn deep_query(depth: usize) -> String {
    let mut c = r#"{"field": "potentialname", "op": "=", "value": "A"}"#.to_string();
    for _ in 1..depth {
        c = format!(r#"{{"not": {c}}}"#);
    }
    format!(r#"{{"module": "Potentials", "conditions": [{c}]}}"#)
}

#[test]
fn deep_json_is_an_invalid_argument_naming_the_limit_and_the_store_stays_usable() {
    let st = open(":memory:");
    create(&st, "Potentials", r#"{"potentialname": "A", "sales_stage": "Prospecting", "closingdate": "2027-01-31"}"#);
    let mut n = 0u64;
    let code = || unsafe { CStr::from_ptr(crm_last_error_code()) }.to_str().unwrap().to_string();
    // Within serde_json's recursion limit but deeper than the query limit: crm-core's bound.
    for depth in [crm_core::limits::MAX_QUERY_DEPTH + 1, 100] {
        let q = s(&deep_query(depth));
        assert_eq!(unsafe { crm_record_count(st.0, q.as_ptr(), &mut n) }, crm_status::InvalidArgument, "{depth}");
        assert!(last_message().contains("MAX_QUERY_DEPTH"), "{}", last_message());
    }
    // Beyond serde_json's recursion limit: the binding's bound, the same status, naming the limit.
    for depth in [crm_core::limits::MAX_BINDING_DEPTH + 10, 100_000] {
        let q = s(&deep_query(depth));
        let mut out = ptr::null_mut();
        assert_eq!(unsafe { crm_record_find(st.0, q.as_ptr(), &mut out) }, crm_status::InvalidArgument, "{depth}");
        assert!(out.is_null());
        assert_eq!(code(), "invalid_argument");
        assert!(last_message().contains("MAX_BINDING_DEPTH"), "{}", last_message());
        let fields = s(&format!(r#"{{"potentialname": {}1{}}}"#, "[".repeat(depth), "]".repeat(depth)));
        let status = unsafe { crm_record_create(st.0, s("Potentials").as_ptr(), fields.as_ptr(), &mut out) };
        assert_eq!(status, crm_status::InvalidArgument, "field values are never lists of lists: {}", last_message());
        // A workflow's JSON (read by crm-core): refused with a typed status, never a crash.
        let wf = s(&format!(r#"{{"name": "deep", "module": "Potentials", "condition": {}1{}}}"#, "[".repeat(depth), "]".repeat(depth)));
        let status = unsafe { crm_workflow_add(st.0, wf.as_ptr(), &mut out) };
        assert!(!matches!(status, crm_status::Ok | crm_status::Panic), "{status:?}");
        assert!(out.is_null());
    }
    let q = s(&deep_query(crm_core::limits::MAX_QUERY_DEPTH - 1));
    assert_eq!(unsafe { crm_record_count(st.0, q.as_ptr(), &mut n) }, crm_status::Ok, "{}", last_message());
    assert_eq!(n, 1, "an even number of nots keeps the match");
}
