//! Version-2 progress (totals, stopping), import of records, resuming and undoing a stopped import, and
//! stopping an export.

use super::*;

/// Records every update; stops once `rows` reaches the limit in `Seen::stop_at` (0: never).
#[derive(Default)]
struct Seen {
    updates: Vec<(u64, u64, crm_progress_unit, u64)>,
    stop_at: u64,
}

unsafe extern "C" fn watch(user_data: *mut c_void, info: *const crm_progress_info) -> i32 {
    let seen = unsafe { &mut *user_data.cast::<Seen>() };
    let i = unsafe { *info };
    seen.updates.push((i.done, i.total, i.unit, i.rows));
    i32::from(seen.stop_at > 0 && i.rows >= seen.stop_at)
}

fn deals(n: usize) -> String {
    let mut csv = String::from("Opportunity Name,Amount,Sales Stage,Expected Close Date\n");
    for i in 0..n {
        csv.push_str(&format!("Deal {i},{}.25,Prospecting,2027-03-31\n", 100 + i));
    }
    csv
}

fn count(st: *const crm_store) -> u64 {
    let mut n = 0;
    ok(unsafe { crm_record_count(st, s(r#"{"module": "Potentials"}"#).as_ptr(), &mut n) });
    n
}

#[test]
fn csv_import_stops_at_batch_two_resumes_and_undoes() {
    for st in both() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deals.csv");
        let csv = deals(10);
        std::fs::write(&path, &csv).unwrap();
        let path = s(path.to_str().unwrap());
        let options = s(r#"{"batch_size": 3}"#);
        let mut seen = Seen { stop_at: 6, ..Seen::default() };
        let user: *mut c_void = (&mut seen as *mut Seen).cast();
        let r = json_of(|o| unsafe {
            crm_import_csv_v2(st.0, path.as_ptr(), s("Potentials").as_ptr(), options.as_ptr(), Some(watch), user, o)
        });
        assert_eq!((r["interrupted"].as_bool(), r["rows"].as_u64(), r["created"].as_u64()), (Some(true), Some(6), Some(6)));
        let size = csv.len() as u64;
        assert_eq!(seen.updates.len(), 2);
        assert!(seen.updates.iter().all(|u| u.1 == size && u.2 == crm_progress_unit::Bytes && u.0 <= size), "{:?}", seen.updates);
        assert_eq!(count(st.0), 6);
        let id = r["import_id"].as_i64().unwrap();
        let imports = json_of(|o| unsafe { crm_imports(st.0, o) });
        assert_eq!(imports[0]["status"], "interrupted");

        let mut seen = Seen::default();
        let user: *mut c_void = (&mut seen as *mut Seen).cast();
        let r = json_of(|o| unsafe { crm_import_resume_v2(st.0, id, path.as_ptr(), options.as_ptr(), Some(watch), user, o) });
        assert_eq!((r["interrupted"].as_bool(), r["rows"].as_u64(), r["created"].as_u64()), (Some(false), Some(10), Some(10)));
        assert_eq!(seen.updates.last().map(|u| (u.0, u.1)), Some((size, size)));
        assert_eq!(count(st.0), 10);
        let undone = json_of(|o| unsafe { crm_import_undo(st.0, id, o) });
        assert_eq!(undone["deleted"], 10);
        assert_eq!(count(st.0), 0);
    }
}

#[test]
fn records_import_typed_bad_rows_stop_resume_and_export_stop() {
    for st in both() {
        let rows = json!([
            {"Opportunity Name": "A", "amount": 1000.10, "Sales Stage": "Prospecting", "closingdate": "2027-01-31"},
            {"Opportunity Name": "B", "amount": "12abc", "Sales Stage": "Prospecting", "closingdate": "2027-01-31"},
            {"Opportunity Name": "C", "amount": 300, "Sales Stage": "Qualification", "closingdate": "2027-02-28"},
            {"Opportunity Name": "D", "amount": 1, "Sales Stage": null, "closingdate": "2027-02-28"},
            {"Opportunity Name": "E", "amount": 5, "Sales Stage": "Prospecting", "closingdate": "2027-02-28"}
        ])
        .to_string();
        let rows = s(&rows);
        let options = s(r#"{"batch_size": 1}"#);
        let mut seen = Seen { stop_at: 2, ..Seen::default() };
        let user: *mut c_void = (&mut seen as *mut Seen).cast();
        let r = json_of(|o| unsafe {
            crm_import_records(st.0, s("Potentials").as_ptr(), rows.as_ptr(), options.as_ptr(), Some(watch), user, o)
        });
        // Batches of one committed row: A, then C (B failed in between); stopped after the second.
        assert_eq!(r["interrupted"], true);
        assert_eq!((r["rows"].as_u64(), r["created"].as_u64(), r["failed"].as_u64()), (Some(3), Some(2), Some(1)), "{r}");
        assert_eq!(r["row_reports"][0]["line"], 2);
        assert_eq!(r["row_reports"][0]["problems"][0]["field"], "amount");
        assert!(seen.updates.iter().all(|u| u.1 == 5 && u.2 == crm_progress_unit::Rows), "{:?}", seen.updates);
        let id = r["import_id"].as_i64().unwrap();
        // Resuming the CSV way is refused; the records way finishes it.
        let mut out = ptr::null_mut();
        let refused =
            unsafe { crm_import_resume_v2(st.0, id, s("/nonexistent.csv").as_ptr(), ptr::null(), None, ptr::null_mut(), &mut out) };
        assert_ne!(refused, crm_status::Ok);
        let r = json_of(|o| unsafe { crm_import_records_resume(st.0, id, rows.as_ptr(), options.as_ptr(), None, ptr::null_mut(), o) });
        assert_eq!((r["rows"].as_u64(), r["created"].as_u64(), r["failed"].as_u64()), (Some(5), Some(3), Some(2)), "{r}");
        assert_eq!(r["row_reports"][0]["line"], 4);
        let found = json_of(|o| unsafe {
            crm_record_find(
                st.0,
                s(r#"{"module": "Potentials", "conditions": [{"field": "potentialname", "op": "=", "value": "A"}]}"#).as_ptr(),
                o,
            )
        });
        assert_eq!(found["records"][0]["amount"], "1000.10", "{found}");
        // Bad input is an error, not a crash; the handle stays usable.
        let mut out = ptr::null_mut();
        let bad =
            unsafe { crm_import_records(st.0, s("Potentials").as_ptr(), s("{}").as_ptr(), ptr::null(), None, ptr::null_mut(), &mut out) };
        assert_eq!(bad, crm_status::InvalidArgument);
        assert_eq!(count(st.0), 3);

        // Export with progress: the total is the number selected; stopping keeps what was written.
        let dir = tempfile::tempdir().unwrap();
        let out_path = s(dir.path().join("out.csv").to_str().unwrap());
        let mut seen = Seen::default();
        let user: *mut c_void = (&mut seen as *mut Seen).cast();
        let mut n = 0u64;
        ok(unsafe {
            crm_export_csv_v2(st.0, s("Potentials").as_ptr(), out_path.as_ptr(), ptr::null(), ptr::null(), Some(watch), user, &mut n)
        });
        assert_eq!(n, 3);
        assert_eq!(seen.updates, vec![(3, 3, crm_progress_unit::Rows, 3)]);

        let undone = json_of(|o| unsafe { crm_import_undo(st.0, id, o) });
        assert_eq!(undone["deleted"], 3);
    }
}

#[test]
fn vcard_import_stops_resumes_and_exports_with_progress() {
    for st in both() {
        // A real file of five cards (the last two bad), imported two at a time and stopped after the first
        // batch.
        let path = s(concat!(env!("CARGO_MANIFEST_DIR"), "/../crm-core/tests/data/google_40.vcf"));
        let options = s(r#"{"import": {"batch_size": 2}}"#);
        let mut seen = Seen { stop_at: 2, ..Seen::default() };
        let user: *mut c_void = (&mut seen as *mut Seen).cast();
        let r = json_of(|o| unsafe { crm_import_vcard_v2(st.0, path.as_ptr(), options.as_ptr(), Some(watch), user, o) });
        assert_eq!((r["interrupted"].as_bool(), r["rows"].as_u64(), r["created"].as_u64()), (Some(true), Some(2), Some(2)), "{r}");
        assert_eq!(seen.updates, vec![(2, 5, crm_progress_unit::Rows, 2)]);
        let id = r["import_id"].as_i64().unwrap();
        assert_eq!(json_of(|o| unsafe { crm_imports(st.0, o) })[0]["status"], "interrupted");
        // Resuming it as a CSV import is refused; the vCard resume finishes it under the same id.
        let mut out = ptr::null_mut();
        let refused = unsafe { crm_import_resume_v2(st.0, id, path.as_ptr(), ptr::null(), None, ptr::null_mut(), &mut out) };
        assert_eq!(refused, crm_status::Conflict);
        let mut seen = Seen::default();
        let user: *mut c_void = (&mut seen as *mut Seen).cast();
        let r = json_of(|o| unsafe { crm_import_vcard_resume(st.0, id, path.as_ptr(), options.as_ptr(), Some(watch), user, o) });
        assert_eq!(
            (r["import_id"].as_i64(), r["interrupted"].as_bool(), r["rows"].as_u64(), r["created"].as_u64()),
            (Some(id), Some(false), Some(5), Some(3)),
            "{r}"
        );
        assert_eq!(seen.updates.last().map(|u| (u.0, u.1)), Some((5, 5)));
        let refused = unsafe { crm_import_vcard_resume(st.0, id, path.as_ptr(), options.as_ptr(), None, ptr::null_mut(), &mut out) };
        assert_eq!(refused, crm_status::Conflict);

        // Exporting them with progress: the cards written out of the number selected.
        let dir = tempfile::tempdir().unwrap();
        let out_path = dir.path().join("out.vcf");
        let out_c = s(out_path.to_str().unwrap());
        let mut seen = Seen::default();
        let user: *mut c_void = (&mut seen as *mut Seen).cast();
        let mut n = 0u64;
        ok(unsafe { crm_export_vcard_v2(st.0, out_c.as_ptr(), ptr::null(), ptr::null(), Some(watch), user, &mut n) });
        assert_eq!(n, 3);
        assert_eq!(seen.updates, vec![(3, 3, crm_progress_unit::Rows, 3)]);
        assert_eq!(std::fs::read_to_string(&out_path).unwrap().matches("BEGIN:VCARD").count(), 3);

        // One undo takes back both parts of the import.
        json_of(|o| unsafe { crm_import_undo(st.0, id, o) });
        let mut contacts = 0;
        ok(unsafe { crm_record_count(st.0, s(r#"{"module": "Contacts"}"#).as_ptr(), &mut contacts) });
        assert_eq!(contacts, 0);
    }
}
