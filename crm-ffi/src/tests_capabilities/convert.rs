//! Lead conversion and opportunities for existing and new customers.

use super::*;

#[test]
fn lead_conversion_and_opportunities_for_customers() {
    for st in both() {
        let mapping = json_of(|o| unsafe { crm_lead_mapping_get(st.0, o) });
        assert!(mapping["rows"].as_array().unwrap().iter().any(|r| r["lead"] == "company"));
        ok(unsafe { crm_lead_mapping_set(st.0, s(&mapping.to_string()).as_ptr()) });
        assert_eq!(unsafe { crm_lead_mapping_set(st.0, s(r#"{"rows": 1}"#).as_ptr()) }, crm_status::InvalidArgument);
        let lead =
            id(&create(&st, "Leads", r#"{"firstname": "Richard", "lastname": "Hendricks", "company": "Initech", "city": "Palo Alto"}"#));
        let mut out = ptr::null_mut();
        // A bad opportunity rolls everything back.
        assert_eq!(
            unsafe { crm_lead_convert(st.0, lead, s(r#"{"potential": {"sales_stage": "Prospecting"}}"#).as_ptr(), &mut out,) },
            crm_status::Validation
        );
        assert_eq!(
            unsafe { crm_lead_convert(st.0, lead, s(r#"{"account": false, "contact": null}"#).as_ptr(), &mut out,) },
            crm_status::InvalidArgument
        );
        assert_eq!(unsafe { crm_lead_convert(st.0, lead, s(r#"{"acount": true}"#).as_ptr(), &mut out) }, crm_status::InvalidArgument);
        let conv = json_of(|o| unsafe {
            crm_lead_convert(
                st.0,
                lead,
                s(r#"{"potential": {"closingdate": "2027-03-31", "sales_stage": "Qualification", "amount": "25000"}, "assigned_to": "jdoe", "transfer_to": "account"}"#).as_ptr(),
                o,
            )
        });
        // The result's shape is crm-core's wire::Conversion, as Python returns it.
        let keys: Vec<&str> = conv.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["Accounts", "Contacts", "Potentials", "account_reused"]);
        let org = get(&st, conv["Accounts"].as_i64().unwrap());
        assert_eq!(org["accountname"], "Initech");
        assert_eq!(org["bill_city"], "Palo Alto");
        let pot = get(&st, conv["Potentials"].as_i64().unwrap());
        assert_eq!(pot["potentialname"], "Initech");
        assert_eq!(pot["amount"], "25000.00");
        assert_eq!(get(&st, conv["Contacts"].as_i64().unwrap())["lastname"], "Hendricks");
        assert_eq!(unsafe { crm_lead_convert(st.0, lead, ptr::null(), &mut out) }, crm_status::Conflict);
        // An opportunity for an existing contact, and for a new customer.
        let contact = conv["Contacts"].as_i64().unwrap();
        let p = json_of(|o| unsafe {
            crm_opportunity_create_for(
                st.0,
                contact,
                s(r#"{"potentialname": "Upsell", "sales_stage": "Prospecting", "closingdate": "2027-06-30"}"#).as_ptr(),
                o,
            )
        });
        assert_eq!(p["contact_id"], contact);
        assert_eq!(p["related_to"], org["id"]);
        assert_eq!(unsafe { crm_opportunity_create_for(st.0, id(&p), s("{}").as_ptr(), &mut out) }, crm_status::InvalidArgument);
        let n = json_of(|o| unsafe {
            crm_opportunity_create_for_new_customer(
                st.0,
                s(r#"{"accountname": "Raviga"}"#).as_ptr(),
                s(r#"{"lastname": "Gregory"}"#).as_ptr(),
                s(r#"{"potentialname": "Raviga seed", "sales_stage": "Prospecting", "closingdate": "2027-01-31"}"#).as_ptr(),
                o,
            )
        });
        assert_eq!(n["account_reused"], false);
        assert_eq!(get(&st, n["Potentials"].as_i64().unwrap())["related_to"], n["Accounts"]);
        let n2 = json_of(|o| unsafe {
            crm_opportunity_create_for_new_customer(
                st.0,
                s(r#"{"accountname": "Raviga"}"#).as_ptr(),
                ptr::null(),
                s(r#"{"potentialname": "Raviga B", "sales_stage": "Prospecting", "closingdate": "2027-01-31"}"#).as_ptr(),
                o,
            )
        });
        assert_eq!(n2["account_reused"], true);
        assert_eq!(n2["Contacts"], J::Null);
        assert_eq!(
            unsafe {
                crm_opportunity_create_for_new_customer(st.0, ptr::null(), ptr::null(), s(r#"{"potentialname": ""}"#).as_ptr(), &mut out)
            },
            crm_status::Validation
        );
    }
}
