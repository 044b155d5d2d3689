//! Pipeline reports by every grouping, with a filter and an as-of date.

use super::*;

#[test]
fn pipeline_reports_by_every_grouping_with_filter_and_as_of() {
    for st in both() {
        deal(&st, "A", "Prospecting", "1000.10", "2027-01-15");
        deal(&st, "B", "Prospecting", "2000", "2027-04-15");
        let c = deal(&st, "C", "Closed Won", "500", "2027-02-01");
        ok(unsafe { crm_record_update(st.0, c, s(r#"{"assigned_user_id": "jdoe"}"#).as_ptr(), ptr::null_mut()) });
        let report = |by: &str, filter: Option<&str>, as_of: Option<&str>| {
            let f = filter.map(s);
            let a = as_of.map(s);
            json_of(|o| unsafe {
                crm_pipeline(
                    st.0,
                    s(by).as_ptr(),
                    f.as_ref().map_or(ptr::null(), |x| x.as_ptr()),
                    a.as_ref().map_or(ptr::null(), |x| x.as_ptr()),
                    o,
                )
            })
        };
        let by_stage = report("stage", None, None);
        assert_eq!(by_stage[0]["key"], "Closed Won");
        assert_eq!(by_stage[0]["amount"], "500.00");
        assert_eq!(by_stage[1], json!({"key": "Prospecting", "count": 2, "amount": "3000.10", "forecast_amount": "300.0100"}));
        let kinds = report("kind", None, None);
        assert_eq!(kinds[0]["key"], "open");
        assert_eq!(kinds[1]["key"], "won");
        let owners = report("owner", None, None);
        assert_eq!(owners.as_array().unwrap().len(), 2);
        assert_eq!(report("month", None, None)[0]["key"], "2027-01");
        assert_eq!(report("close_quarter", None, None)[1]["key"], "2027-Q2");
        assert_eq!(report("year", None, None), json!([{"key": "2027", "count": 3, "amount": "3500.10", "forecast_amount": "800.0100"}]));
        assert_eq!(report("total", None, None)[0]["key"], "all");
        let jdoe = json_of(|o| unsafe { crm_user_get(st.0, s("jdoe").as_ptr(), o) });
        let by_owner = format!(r#"[{{"field": "assigned_user_id", "op": "=", "value": {}}}]"#, jdoe["id"]);
        let filtered = report("total", Some(&by_owner), None);
        assert_eq!(filtered[0]["count"], 1);
        // Before anything existed: empty.
        assert_eq!(report("stage", None, Some("2000-01-01")), json!([]));
        assert_eq!(report("stage", None, Some("2999-12-31"))[1]["count"], 2);
        // Every grouping name Python's forecast accepts is accepted here (one parser in crm-core).
        assert_eq!(report("sales_stage", None, None), report("stage", None, None));
        assert_eq!(report("ALL", None, None), report("total", None, None));
        assert_eq!(report("assigned_user_id", None, None), report("owner", None, None));
        let mut out = ptr::null_mut();
        assert_eq!(unsafe { crm_pipeline(st.0, s("weekly").as_ptr(), ptr::null(), ptr::null(), &mut out,) }, crm_status::InvalidArgument);
        assert!(msg().contains("by: unknown value 'weekly' (one of total, stage,"), "{}", msg());
        assert_eq!(
            unsafe { crm_pipeline(st.0, s("stage").as_ptr(), ptr::null(), s("31/12/2027").as_ptr(), &mut out,) },
            crm_status::InvalidArgument
        );
        assert_eq!(unsafe { crm_pipeline(st.0, s("stage").as_ptr(), s("[{").as_ptr(), ptr::null(), &mut out,) }, crm_status::InvalidJson);
        assert!(out.is_null());
    }
}
