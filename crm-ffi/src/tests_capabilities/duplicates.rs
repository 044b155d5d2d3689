//! Duplicates: groups found across letter variants and case, a merge undone by restore, rules refusing a
//! create with a `duplicate` validation code.

use super::*;

#[test]
fn duplicates_found_merged_restored_and_prevented() {
    for st in both() {
        let a = id(&create(&st, "Accounts", r#"{"accountname": "شركت علي"}"#));
        let b = id(&create(&st, "Accounts", r#"{"accountname": "  شرکت علی "}"#));
        create(&st, "Accounts", r#"{"accountname": "Other"}"#);
        let con = id(&create(&st, "Contacts", &format!(r#"{{"lastname": "Belson", "account_id": {b}}}"#)));
        let page = json_of(|o| unsafe { crm_duplicates_find(st.0, s("Accounts").as_ptr(), ptr::null(), o) });
        assert_eq!(page["groups"][0]["ids"], json!([a, b]), "{page}");
        assert_eq!(page["next"], J::Null);
        let paged = s(r#"{"fields": ["accountname"], "limit": 1}"#);
        let page = json_of(|o| unsafe { crm_duplicates_find(st.0, s("Accounts").as_ptr(), paged.as_ptr(), o) });
        assert_eq!(page["groups"].as_array().unwrap().len(), 1);
        let mut out = ptr::null_mut();
        let bad = s(r#"{"fields": ["nope"]}"#);
        assert_eq!(unsafe { crm_duplicates_find(st.0, s("Accounts").as_ptr(), bad.as_ptr(), &mut out) }, crm_status::InvalidArgument);

        let req = s(&format!(r#"{{"keep": {a}, "others": [{b}], "values": {{"phone": "555-0100"}}}}"#));
        let report = json_of(|o| unsafe { crm_merge(st.0, s("Accounts").as_ptr(), req.as_ptr(), o) });
        assert_eq!((report["kept"].as_i64(), report["references"].as_i64()), (Some(a), Some(1)), "{report}");
        assert_eq!(get(&st, a)["phone"], "555-0100");
        assert_eq!(get(&st, con)["account_id"], a);
        ok(unsafe { crm_record_restore(st.0, b, ptr::null_mut()) });
        assert_eq!(get(&st, con)["account_id"], b);
        let twice = s(&format!(r#"{{"keep": {a}, "others": [{a}]}}"#));
        assert_eq!(unsafe { crm_merge(st.0, s("Accounts").as_ptr(), twice.as_ptr(), &mut out) }, crm_status::InvalidArgument);

        let rule = json_of(|o| unsafe { crm_duplicate_rule_add(st.0, s("Accounts").as_ptr(), s(r#"["accountname"]"#).as_ptr(), o) });
        assert_eq!(rule["fields"], json!(["accountname"]));
        let rules = json_of(|o| unsafe { crm_duplicate_rules(st.0, s("Accounts").as_ptr(), o) });
        assert_eq!(rules, json!([rule]));
        let dup = s(r#"{"accountname": "OTHER."}"#);
        assert_eq!(unsafe { crm_record_create(st.0, s("Accounts").as_ptr(), dup.as_ptr(), &mut out) }, crm_status::Validation);
        let detail: J = serde_json::from_str(unsafe { CStr::from_ptr(crm_last_error_json()) }.to_str().unwrap()).unwrap();
        assert!(detail.to_string().contains("\"duplicate\""), "{detail}");
        ok(unsafe { crm_duplicate_rule_drop(st.0, s("Accounts").as_ptr(), s(r#"["Organization Name"]"#).as_ptr()) });
        let bad_rule = s(r#"["amount"]"#);
        assert_eq!(unsafe { crm_duplicate_rule_add(st.0, s("Potentials").as_ptr(), bad_rule.as_ptr(), &mut out) }, crm_status::Schema);
    }
}
