//! The paged log reads: a record's change log and the schema change log by keyset, an import's rows by
//! offset; walked to the end they give the whole list, and a page size out of range is refused.

use super::*;

#[test]
fn logs_are_paged() {
    for st in both() {
        let d = deal(&st, "Paged", "Prospecting", "100", "2027-01-31");
        for i in 0..4 {
            let fields = s(&format!(r#"{{"amount": "{}"}}"#, 200 + i));
            json_of(|o| unsafe { crm_record_update(st.0, d, fields.as_ptr(), o) });
        }
        let all = json_of(|o| unsafe { crm_record_history(st.0, d, o) });
        let (mut walked, mut after) = (vec![], 0i64);
        loop {
            let page = json_of(|o| unsafe { crm_record_history_page(st.0, d, after, 2, o) });
            let page = page.as_array().unwrap().clone();
            let Some(last) = page.last() else { break };
            after = last["id"].as_i64().unwrap();
            walked.extend(page);
        }
        assert_eq!(J::Array(walked), all);

        for label in ["P1", "P2", "P3"] {
            let f = s(&format!(r#"{{"label": "{label}", "type": "text"}}"#));
            json_of(|o| unsafe { crm_field_add(st.0, s("Potentials").as_ptr(), f.as_ptr(), o) });
        }
        let all = json_of(|o| unsafe { crm_schema_changes(st.0, o) });
        let (mut walked, mut after) = (vec![], -1i64);
        loop {
            let page = json_of(|o| unsafe { crm_schema_changes_page(st.0, after, 2, o) });
            let page = page.as_array().unwrap().clone();
            let Some(last) = page.last() else { break };
            after = last["version"].as_i64().unwrap();
            walked.extend(page);
        }
        assert_eq!(J::Array(walked), all);

        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("deals.csv");
        let mut text = String::from("Opportunity Name,Sales Stage,Expected Close Date\n");
        for i in 0..5 {
            text.push_str(&format!("Imported {i},Prospecting,2027-03-31\n"));
        }
        std::fs::write(&csv, text).unwrap();
        let path = s(csv.to_str().unwrap());
        let report =
            json_of(|o| unsafe { crm_import_csv(st.0, path.as_ptr(), s("Potentials").as_ptr(), ptr::null(), None, ptr::null_mut(), o) });
        let import_id = report["import_id"].as_i64().unwrap();
        let all = json_of(|o| unsafe { crm_import_rows(st.0, import_id, o) });
        let mut walked = vec![];
        for offset in [0, 2, 4, 6] {
            let page = json_of(|o| unsafe { crm_import_rows_page(st.0, import_id, offset, 2, o) });
            walked.extend(page.as_array().unwrap().clone());
        }
        assert_eq!(J::Array(walked), all);
        assert_eq!(all.as_array().unwrap().len(), 5);

        for limit in [0, crm_core::limits::MAX_LOG_PAGE + 1] {
            let mut out = ptr::null_mut();
            assert_eq!(unsafe { crm_record_history_page(st.0, d, 0, limit, &mut out) }, crm_status::InvalidArgument);
            assert_eq!(unsafe { crm_schema_changes_page(st.0, -1, limit, &mut out) }, crm_status::InvalidArgument);
            assert_eq!(unsafe { crm_import_rows_page(st.0, import_id, 0, limit, &mut out) }, crm_status::InvalidArgument);
            assert!(out.is_null());
            assert!(msg().contains("MAX_LOG_PAGE"), "{}", msg());
        }
    }
}

/// Collects the records `crm_record_find_each` hands out, stopping after `stop_after` when given.
struct Collected {
    records: Vec<J>,
    stop_after: Option<usize>,
}

unsafe extern "C" fn collect(user_data: *mut c_void, record_json: *const c_char) -> i32 {
    let c = unsafe { &mut *user_data.cast::<Collected>() };
    c.records.push(serde_json::from_str(unsafe { CStr::from_ptr(record_json) }.to_str().unwrap()).unwrap());
    i32::from(c.stop_after.is_some_and(|n| c.records.len() >= n))
}

#[test]
fn find_each_hands_out_what_find_lists() {
    for st in both() {
        for i in 0..9 {
            deal(&st, &format!("Each {i}"), "Prospecting", &format!("{}", 100 + i), "2027-01-31");
        }
        for query in [
            r#"{"module": "Potentials", "sort": ["-amount"]}"#,
            r#"{"module": "Potentials", "sort": ["potentialname"], "limit": 4, "offset": 2}"#,
            r#"{"module": "Potentials", "conditions": [{"field": "amount", "op": ">", "value": "104"}]}"#,
        ] {
            let q = s(query);
            let found = json_of(|o| unsafe { crm_record_find(st.0, q.as_ptr(), o) });
            let mut c = Collected { records: vec![], stop_after: None };
            let mut n = 0u64;
            let status = unsafe { crm_record_find_each(st.0, q.as_ptr(), Some(collect), (&mut c as *mut Collected).cast(), &mut n) };
            assert_eq!(status, crm_status::Ok, "{}", msg());
            assert_eq!(J::Array(c.records.clone()), found["records"], "{query}");
            assert_eq!(n as usize, c.records.len());
        }
        // Without a page, `total` is what was written; with one, every match.
        let all = json_of(|o| unsafe { crm_record_find(st.0, s(r#"{"module": "Potentials"}"#).as_ptr(), o) });
        assert_eq!(all["total"], 9);
        assert_eq!(all["records"].as_array().unwrap().len(), 9);
        let page = json_of(|o| unsafe { crm_record_find(st.0, s(r#"{"module": "Potentials", "limit": 2}"#).as_ptr(), o) });
        assert_eq!(page["total"], 9);

        // A non-zero return stops the walk; the call succeeds and the store goes on working.
        let mut c = Collected { records: vec![], stop_after: Some(3) };
        let mut n = 0u64;
        let q = s(r#"{"module": "Potentials"}"#);
        assert_eq!(
            unsafe { crm_record_find_each(st.0, q.as_ptr(), Some(collect), (&mut c as *mut Collected).cast(), &mut n) },
            crm_status::Ok
        );
        assert_eq!((c.records.len(), n), (3, 3));
        assert_eq!(unsafe { crm_record_find_each(st.0, q.as_ptr(), None, ptr::null_mut(), &mut n) }, crm_status::NullPointer);
        let bad = s(r#"{"module": "Potentials", "sort": ["nope"]}"#);
        assert_eq!(
            unsafe { crm_record_find_each(st.0, bad.as_ptr(), Some(collect), (&mut c as *mut Collected).cast(), ptr::null_mut()) },
            crm_status::InvalidArgument
        );
        let mut count = 0u64;
        assert_eq!(unsafe { crm_record_count(st.0, q.as_ptr(), &mut count) }, crm_status::Ok);
        assert_eq!(count, 9);
    }
}
