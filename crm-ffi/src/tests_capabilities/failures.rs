//! A failed call leaves the handle usable and rolls back what it had open: an import is forced to fail
//! half-way (after its first batch is committed, another connection takes the SQLite file's write lock, so
//! the next batch cannot be written within the busy timeout); the committed batch stays, the open one is
//! rolled back, and the same handle reads, writes, imports and undoes afterwards.

use super::*;

struct Locker {
    path: std::path::PathBuf,
    held: Option<rusqlite::Connection>,
}

unsafe extern "C" fn lock_after_first_batch(user_data: *mut c_void, rows_done: u64) {
    let locker = unsafe { &mut *user_data.cast::<Locker>() };
    if rows_done == 2 && locker.held.is_none() {
        let c = rusqlite::Connection::open(&locker.path).unwrap();
        c.execute_batch("BEGIN IMMEDIATE").unwrap();
        locker.held = Some(c);
    }
}

#[test]
fn an_import_failing_half_way_rolls_back_its_open_batch_and_the_handle_works() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let st = open_at(db.to_str().unwrap(), None);
    let csv = dir.path().join("deals.csv");
    let rows: String = (1..=6).map(|i| format!("Row {i},Prospecting,2027-03-31\n")).collect();
    std::fs::write(&csv, format!("Opportunity Name,Sales Stage,Expected Close Date\n{rows}")).unwrap();
    let mut locker = Locker { path: db.clone(), held: None };
    let mut out = ptr::null_mut();
    let status = unsafe {
        crm_import_csv(
            st.0,
            s(csv.to_str().unwrap()).as_ptr(),
            s("Potentials").as_ptr(),
            s(r#"{"batch_size": 2}"#).as_ptr(),
            Some(lock_after_first_batch),
            (&mut locker as *mut Locker).cast(),
            &mut out,
        )
    };
    assert!(matches!(status, crm_status::Busy | crm_status::Storage), "{status:?}: {}", msg());
    assert!(out.is_null());
    drop(locker.held.take()); // releases the lock (its transaction rolls back)
    assert_eq!(names(&st), ["Row 1", "Row 2"], "the committed batch stays, the open one is rolled back");
    let imports = json_of(|o| unsafe { crm_imports(st.0, o) });
    let stopped = imports.as_array().unwrap().last().unwrap()["id"].as_i64().unwrap();
    create(&st, "Potentials", r#"{"potentialname": "After", "sales_stage": "Prospecting", "closingdate": "2027-03-31"}"#);
    let good = dir.path().join("good.csv");
    std::fs::write(&good, "Opportunity Name,Sales Stage,Expected Close Date\nGood,Prospecting,2027-03-31\n").unwrap();
    let report = json_of(|o| unsafe {
        crm_import_csv(st.0, s(good.to_str().unwrap()).as_ptr(), s("Potentials").as_ptr(), ptr::null(), None, ptr::null_mut(), o)
    });
    assert_eq!(report["created"], 1);
    let undone = json_of(|o| unsafe { crm_import_undo(st.0, stopped, o) });
    assert_eq!(undone["deleted"], 2);
    assert_eq!(names(&st), ["After", "Good"]);
}
