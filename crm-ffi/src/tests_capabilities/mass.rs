//! Mass actions: edit, transfer, comment and delete, each record reported.

use super::*;

#[test]
fn mass_actions_report_each_record() {
    for st in both() {
        let a = deal(&st, "A", "Prospecting", "100", "2027-03-31");
        let b = deal(&st, "B", "Prospecting", "200", "2027-03-31");
        let ids = s(&format!("[{a}, {b}, 999999]"));
        let r = json_of(|o| unsafe { crm_mass_edit(st.0, ids.as_ptr(), s(r#"{"sales_stage": "Qualification"}"#).as_ptr(), o) });
        assert_eq!(r["succeeded"], json!([a, b]));
        assert_eq!(r["failed"][0]["id"], 999999);
        assert_eq!(r["failed"][0]["status"], crm_status::NotFound as u32);
        assert_eq!(get(&st, a)["probability"], "20.000");
        let r = json_of(|o| unsafe { crm_mass_edit(st.0, s(&format!("[{a}]")).as_ptr(), s(r#"{"amount": "12abc"}"#).as_ptr(), o) });
        assert_eq!(r["failed"][0]["code"], "validation");
        assert_eq!(r["failed"][0]["errors"][0]["field"], "amount");
        let r = json_of(|o| unsafe { crm_mass_transfer(st.0, ids.as_ptr(), s("jdoe").as_ptr(), o) });
        assert_eq!(r["succeeded"].as_array().unwrap().len(), 2);
        let r = json_of(|o| unsafe { crm_mass_comment(st.0, ids.as_ptr(), s("Called").as_ptr(), o) });
        assert_eq!(r["succeeded"].as_array().unwrap().len(), 2);
        assert_eq!(json_of(|o| unsafe { crm_comments(st.0, b, o) })[0]["text"], "Called");
        let r = json_of(|o| unsafe { crm_mass_delete(st.0, ids.as_ptr(), o) });
        assert_eq!(r["succeeded"], json!([a, b]));
        assert_eq!(json_of(|o| unsafe { crm_record_get_deleted(st.0, a, o) })["deleted"], true);
        assert_eq!(unsafe { crm_record_get(st.0, a, &mut ptr::null_mut()) }, crm_status::NotFound);
        ok(unsafe { crm_mass_delete(st.0, s("[]").as_ptr(), ptr::null_mut()) });
        assert_eq!(unsafe { crm_mass_delete(st.0, s(r#"["a"]"#).as_ptr(), ptr::null_mut()) }, crm_status::InvalidArgument);
    }
}
