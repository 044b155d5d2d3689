//! Filters, search and keyset pages.

use super::*;

#[test]
fn views_filters_search_and_keyset_pages() {
    for st in both() {
        for i in 0..5 {
            deal(&st, &format!("Deal {i}"), if i % 2 == 0 { "Prospecting" } else { "Closed Won" }, &format!("{}00", i + 1), "2027-03-31");
        }
        let filters = json_of(|o| unsafe { crm_filters(st.0, s("Potentials").as_ptr(), o) });
        assert!(filters.as_array().unwrap().iter().any(|f| f["name"] == "All"));
        let default = json_of(|o| unsafe { crm_filter_get(st.0, s("Potentials").as_ptr(), ptr::null(), o) });
        assert!(default["id"].as_i64().is_some());
        let won = json_of(|o| unsafe { crm_filter_get(st.0, s("Potentials").as_ptr(), s("Potentials Won").as_ptr(), o) });
        let list =
            json_of(|o| unsafe { crm_list(st.0, s("Potentials").as_ptr(), s("Potentials Won").as_ptr(), s("-amount").as_ptr(), 1, 10, o) });
        assert_eq!(list["total"], 2);
        assert_eq!(list["filter"]["id"], won["id"]);
        assert_eq!(list["records"][0]["amount"], "400.00");
        // A saved filter of our own.
        let mine = json!({"name": "Big", "module": "Potentials", "visibility": "public",
                          "all": [{"field": "amount", "comparator": "g", "value": "250"}], "sort": [{"field": "amount", "descending": false}]});
        let saved = json_of(|o| unsafe { crm_filter_save(st.0, s(&mine.to_string()).as_ptr(), o) });
        let page = json_of(|o| unsafe { crm_list(st.0, s("Potentials").as_ptr(), s("Big").as_ptr(), ptr::null(), 1, 2, o) });
        assert_eq!(page["total"], 3);
        assert_eq!(page["records"].as_array().unwrap().len(), 2);
        assert_eq!(page["records"][0]["amount"], "300.00");
        ok(unsafe { crm_filter_delete(st.0, s("Potentials").as_ptr(), id(&saved)) });
        // The short forms Python's save_filter takes (one reader, crm_core::wire::FilterSpec): conditions as
        // [field, comparator, value], sort as text, visibility public by default.
        let short = r#"{"name": "Big", "module": "Potentials", "all": [["amount", "g", 250]], "sort": "-amount"}"#;
        let saved = json_of(|o| unsafe { crm_filter_save(st.0, s(short).as_ptr(), o) });
        assert_eq!((&saved["visibility"], &saved["all"][0]["value"]), (&json!("public"), &json!("250")));
        assert_eq!(saved["sort"], json!([{"field": "amount", "descending": true}]));
        let page = json_of(|o| unsafe { crm_list(st.0, s("Potentials").as_ptr(), s("Big").as_ptr(), ptr::null(), 1, 2, o) });
        assert_eq!((&page["total"], &page["records"][0]["amount"]), (&json!(3), &json!("500.00")));
        ok(unsafe { crm_filter_delete(st.0, s("Potentials").as_ptr(), id(&saved)) });
        let typo = r#"{"name": "Typo", "module": "Potentials", "al": [["amount", "g", 250]]}"#;
        assert_eq!(unsafe { crm_filter_save(st.0, s(typo).as_ptr(), ptr::null_mut()) }, crm_status::InvalidArgument);
        let mut out = ptr::null_mut();
        assert_eq!(unsafe { crm_filter_get(st.0, s("Potentials").as_ptr(), s("Big").as_ptr(), &mut out) }, crm_status::NotFound);
        assert_eq!(unsafe { crm_filter_delete(st.0, s("Potentials").as_ptr(), id(&won)) }, crm_status::Conflict);
        // Search.
        let found = json_of(|o| unsafe { crm_search(st.0, s("Potentials").as_ptr(), s("deal 3").as_ptr(), 1, 10, o) });
        assert_eq!(found["total"], 1);
        let found = json_of(|o| unsafe {
            crm_search_columns(st.0, s("Potentials").as_ptr(), s(r#"{"sales_stage": "Closed Won"}"#).as_ptr(), 1, 10, o)
        });
        assert_eq!(found["total"], 2);
        // Keyset pages walk everything once.
        let q = s(r#"{"module": "Potentials", "sort": ["amount"]}"#);
        let mut cursor: Option<String> = None;
        let mut seen = vec![];
        loop {
            let c = cursor.as_deref().map(s);
            let p = json_of(|o| unsafe { crm_record_page_after(st.0, q.as_ptr(), c.as_ref().map_or(ptr::null(), |x| x.as_ptr()), 2, o) });
            seen.extend(p["records"].as_array().unwrap().iter().map(|r| r["amount"].as_str().unwrap().to_string()));
            if p["cursor"].is_null() {
                break;
            }
            cursor = Some(p["cursor"].to_string());
        }
        assert_eq!(seen, ["100.00", "200.00", "300.00", "400.00", "500.00"]);
        assert_eq!(unsafe { crm_record_page_after(st.0, q.as_ptr(), s(r#"{"last": "#).as_ptr(), 2, &mut out) }, crm_status::InvalidJson);
        // View settings.
        ok(unsafe { crm_view_settings_set(st.0, s(r#"{"week_start": "Mon", "fiscal_year_start_month": 4}"#).as_ptr()) });
        assert_eq!(json_of(|o| unsafe { crm_view_settings_get(st.0, o) })["fiscal_year_start_month"], 4);
        assert_eq!(
            unsafe { crm_view_settings_set(st.0, s(r#"{"week_start": "Mon", "fiscal_year_start_month": 13}"#).as_ptr(),) },
            crm_status::InvalidArgument
        );
    }
}
