//! `crm_import_resume`: an interrupted CSV import continues under the same id, on a real file.
//! The interrupted state is what a killed import leaves (whole batches, journal `running`); crm-core's
//! crash tests produce it with SIGKILL, here it is made by importing the first rows and marking the
//! journal running.

use crm_ffi::*;
use std::ffi::{CStr, CString, c_char};
use std::ptr;

fn s(text: &str) -> CString {
    CString::new(text).unwrap()
}

fn open(path: &str) -> *mut crm_store {
    let mut st = ptr::null_mut();
    assert_eq!(unsafe { crm_store_open(s(path).as_ptr(), &mut st) }, crm_status::Ok);
    let user = s(r#"{"user_name": "admin"}"#);
    let status = unsafe { crm_user_add(st, user.as_ptr(), ptr::null_mut()) };
    assert!(status == crm_status::Ok || status == crm_status::Conflict);
    assert_eq!(unsafe { crm_store_set_actor(st, s("admin").as_ptr()) }, crm_status::Ok);
    st
}

fn take(p: *mut c_char) -> serde_json::Value {
    let v = serde_json::from_str(unsafe { CStr::from_ptr(p) }.to_str().unwrap()).unwrap();
    unsafe { crm_string_free(p) };
    v
}

fn csv(rows: std::ops::Range<usize>) -> String {
    let mut t = "Opportunity Name,Sales Stage,Expected Close Date\n".to_string();
    for i in rows {
        t.push_str(&format!("Deal {i},Prospecting,2027-01-{:02}\n", i + 1));
    }
    t
}

#[test]
fn an_interrupted_import_resumes_and_undoes_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let (first, full) = (dir.path().join("first.csv"), dir.path().join("full.csv"));
    std::fs::write(&first, csv(0..4)).unwrap();
    std::fs::write(&full, csv(0..10)).unwrap();
    let opts = s(r#"{"batch_size": 2}"#);
    let st = open(db.to_str().unwrap());
    let mut out = ptr::null_mut();
    let status = unsafe {
        crm_import_csv(st, s(first.to_str().unwrap()).as_ptr(), s("Potentials").as_ptr(), opts.as_ptr(), None, ptr::null_mut(), &mut out)
    };
    assert_eq!(status, crm_status::Ok);
    let id = take(out)["import_id"].as_i64().unwrap();
    // a completed import does not resume
    let status =
        unsafe { crm_import_resume(st, id, s(full.to_str().unwrap()).as_ptr(), opts.as_ptr(), None, ptr::null_mut(), ptr::null_mut()) };
    assert_eq!(status, crm_status::Conflict);
    unsafe { crm_store_free(st) };
    rusqlite::Connection::open(&db).unwrap().execute("UPDATE crm_imports SET status = 'running' WHERE id = ?1", [id]).unwrap();

    let st = open(db.to_str().unwrap());
    let mut out = ptr::null_mut();
    let status = unsafe { crm_import_resume(st, id, s(full.to_str().unwrap()).as_ptr(), opts.as_ptr(), None, ptr::null_mut(), &mut out) };
    assert_eq!(status, crm_status::Ok);
    let report = take(out);
    assert_eq!(
        (report["import_id"].as_i64(), report["rows"].as_u64(), report["created"].as_u64()),
        (Some(id), Some(10), Some(10)),
        "{report}"
    );
    let mut out = ptr::null_mut();
    assert_eq!(unsafe { crm_imports(st, &mut out) }, crm_status::Ok);
    let journals = take(out);
    assert_eq!(journals[0]["status"], "completed", "{journals}");
    // misuse
    assert_eq!(
        unsafe { crm_import_resume(st, id, ptr::null(), ptr::null(), None, ptr::null_mut(), ptr::null_mut(),) },
        crm_status::NullPointer
    );
    assert_eq!(
        unsafe { crm_import_resume(st, 999_999, s(full.to_str().unwrap()).as_ptr(), ptr::null(), None, ptr::null_mut(), ptr::null_mut(),) },
        crm_status::NotFound
    );
    // both parts undo at once
    let mut out = ptr::null_mut();
    assert_eq!(unsafe { crm_import_undo(st, id, &mut out) }, crm_status::Ok);
    assert_eq!(take(out)["deleted"], 10);
    unsafe { crm_store_free(st) };
}
