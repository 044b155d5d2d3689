//! Conditions and expressions evaluated over stored records.

use super::*;

#[test]
fn conditions_and_expressions_over_stored_records() {
    for st in both() {
        let big = deal(&st, "Big", "Prospecting", "5000.50", "2027-03-31");
        let small = deal(&st, "Small", "Closed Won", "100.00", "2027-01-15");
        let gone = deal(&st, "Gone", "Prospecting", "9000", "2027-02-01");
        ok(unsafe { crm_record_delete(st.0, gone) });
        let org = id(&create(&st, "Accounts", r#"{"accountname": "Hooli"}"#));
        let cond = s(r#"[{"fieldname": "amount", "operation": "greater than", "value": "1000",
            "valuetype": "rawtext", "joincondition": "or", "groupid": 0},
            {"fieldname": "sales_stage", "operation": "is", "value": "Closed Won",
            "valuetype": "rawtext", "joincondition": "", "groupid": 0}]"#);
        let only_big = s(r#"[{"fieldname": "amount", "operation": "greater than", "value": "1000",
            "valuetype": "rawtext", "joincondition": "", "groupid": 0}]"#);
        let matches = |module: &str, cond: &CString, ids: &str| {
            let (module, ids) = (s(module), s(ids));
            let mut out = ptr::null_mut();
            let rc = unsafe { crm_condition_matches(st.0, module.as_ptr(), cond.as_ptr(), ids.as_ptr(), &mut out) };
            (rc, out)
        };
        // The ids that match, in the order given; the label works as module name.
        let got = json_of(|o| unsafe {
            crm_condition_matches(st.0, s("Potentials").as_ptr(), cond.as_ptr(), s(&format!("[{small}, {big}]")).as_ptr(), o)
        });
        assert_eq!(got, json!([small, big]));
        let got = json_of(|o| unsafe {
            crm_condition_matches(st.0, s("Opportunities").as_ptr(), only_big.as_ptr(), s(&format!("[{small}, {big}]")).as_ptr(), o)
        });
        assert_eq!(got, json!([big]));
        let got = json_of(|o| unsafe { crm_condition_matches(st.0, s("Potentials").as_ptr(), cond.as_ptr(), s("[]").as_ptr(), o) });
        assert_eq!(got, json!([]));
        // Unknown, deleted and other-module ids fail the whole call; the out-parameter stays untouched.
        for bad in [999_999, gone, org] {
            let (rc, out) = matches("Potentials", &cond, &format!("[{big}, {bad}]"));
            assert_eq!(rc, crm_status::NotFound, "{bad}: {}", msg());
            assert!(out.is_null());
            assert!(msg().contains(&bad.to_string()), "{}", msg());
        }
        assert_eq!(matches("NoSuchModule", &cond, "[]").0, crm_status::NotFound);
        assert_eq!(matches("Potentials", &s("[{"), "[]").0, crm_status::InvalidJson);
        assert_eq!(matches("Potentials", &cond, "[1,").0, crm_status::InvalidJson);
        assert_eq!(matches("Potentials", &cond, r#"["x"]"#).0, crm_status::InvalidArgument);
        let bad_field = s(r#"[{"fieldname": "nope", "operation": "is", "value": "x", "joincondition": "", "groupid": 0}]"#);
        assert_eq!(matches("Potentials", &bad_field, "[]").0, crm_status::InvalidArgument);
        assert!(msg().contains("nope"), "{}", msg());
        // Counting over the whole module (live records only) gives what matching selects.
        let count = |module: &str, cond: &CString| {
            let module = s(module);
            let mut n = u64::MAX;
            let rc = unsafe { crm_condition_count(st.0, module.as_ptr(), cond.as_ptr(), &mut n) };
            (rc, n)
        };
        assert_eq!(count("Potentials", &cond), (crm_status::Ok, 2));
        assert_eq!(count("Opportunities", &only_big), (crm_status::Ok, 1));
        assert_eq!(count("Potentials", &bad_field).0, crm_status::InvalidArgument);
        assert_eq!(count("NoSuchModule", &cond).0, crm_status::NotFound);
        assert_eq!(count("Potentials", &s("[{")).0, crm_status::InvalidJson);
        assert_eq!(unsafe { crm_condition_count(st.0, s("Potentials").as_ptr(), cond.as_ptr(), ptr::null_mut()) }, crm_status::NullPointer);

        let eval = |expr: &str, record: i64| {
            let (module, expr) = (s("Potentials"), s(expr));
            let mut out = ptr::null_mut();
            let rc = unsafe { crm_expression_eval(st.0, module.as_ptr(), expr.as_ptr(), record, &mut out) };
            if rc == crm_status::Ok {
                Ok(take(out))
            } else {
                assert!(out.is_null());
                Err(rc)
            }
        };
        assert_eq!(eval("amount * 2", big), Ok(json!("10001.00")));
        assert_eq!(eval("concat(potentialname, ' / ', sales_stage)", small), Ok(json!("Small / Closed Won")));
        assert_eq!(eval("amount > 1000", big), Ok(json!(true)));
        assert_eq!(eval("amount > 1000", small), Ok(json!(false)));
        assert_eq!(eval("closingdate", small), Ok(json!("2027-01-15")));
        assert_eq!(eval("description", small), Ok(J::Null));
        assert_eq!(eval("amount + nope(1)", big), Err(crm_status::InvalidArgument));
        assert_eq!(eval("no_such_field", big), Err(crm_status::InvalidArgument));
        assert_eq!(eval("amount", gone), Err(crm_status::NotFound));
        assert_eq!(eval("amount", org), Err(crm_status::NotFound));
        assert_eq!(eval("amount", 999_999), Err(crm_status::NotFound));
        let mut out = ptr::null_mut();
        let rc = unsafe { crm_expression_eval(st.0, ptr::null(), s("amount").as_ptr(), big, &mut out) };
        assert_eq!(rc, crm_status::NullPointer);
        let rc = unsafe { crm_expression_eval(st.0, s("Potentials").as_ptr(), s("amount").as_ptr(), big, ptr::null_mut()) };
        assert_eq!(rc, crm_status::NullPointer);
    }
}
