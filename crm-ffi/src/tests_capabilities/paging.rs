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
