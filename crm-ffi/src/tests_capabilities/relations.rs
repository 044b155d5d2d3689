//! Relations: comments, links, related records, activities, documents.

use super::*;

#[test]
fn relations_comments_links_related_activities_documents() {
    for st in both() {
        let org = id(&create(&st, "Accounts", r#"{"accountname": "Hooli"}"#));
        let d = id(&create(
            &st,
            "Potentials",
            r#"{"potentialname": "D", "related_to": "Hooli", "sales_stage": "Prospecting", "closingdate": "2027-03-31"}"#,
        ));
        let c = json_of(|o| unsafe { crm_comment_add(st.0, d, s("First").as_ptr(), o) });
        let r = json_of(|o| unsafe { crm_comment_reply(st.0, id(&c), s("Reply").as_ptr(), o) });
        assert_eq!(r["parent"], c["id"]);
        let list = json_of(|o| unsafe { crm_comments(st.0, d, o) });
        assert_eq!(list.as_array().unwrap().len(), 2);
        let mut out = ptr::null_mut();
        assert_eq!(unsafe { crm_comment_add(st.0, d, s("  ").as_ptr(), &mut out) }, crm_status::InvalidArgument);
        // Links with role, quantity and price.
        let con = id(&create(&st, "Contacts", r#"{"lastname": "Bighetti"}"#));
        let prod = id(&create(&st, "Products", r#"{"productname": "Box", "unit_price": "199.99"}"#));
        let l = json_of(|o| unsafe { crm_link(st.0, d, con, s(r#"{"role": "Decision Maker"}"#).as_ptr(), o) });
        assert_eq!(l["role"], "Decision Maker");
        let l = json_of(|o| unsafe { crm_link(st.0, d, prod, s(r#"{"quantity": 2, "price": "150.50"}"#).as_ptr(), o) });
        assert_eq!((l["quantity"].as_str(), l["price"].as_str()), (Some("2"), Some("150.50")));
        assert_eq!(unsafe { crm_link(st.0, d, prod, s(r#"{"qty": 2}"#).as_ptr(), &mut out) }, crm_status::InvalidArgument);
        let rel = json_of(|o| unsafe { crm_related(st.0, d, s("Contacts").as_ptr(), 1, 10, o) });
        assert_eq!(rel["total"], 1);
        assert_eq!(rel["items"][0]["record"]["id"], con);
        assert_eq!(rel["items"][0]["link"]["role"], "Decision Maker");
        let rel = json_of(|o| unsafe { crm_related(st.0, org, s("Potentials").as_ptr(), 1, 10, o) });
        assert_eq!(rel["items"][0]["link"], J::Null);
        // A quote from the opportunity copies the product line.
        let q = json_of(|o| unsafe {
            crm_create_from_opportunity(st.0, d, s("Quotes").as_ptr(), s(r#"{"quotestage": "Created"}"#).as_ptr(), o)
        });
        assert_eq!(q["potential_id"], d);
        let lines = json_of(|o| unsafe { crm_related(st.0, id(&q), s("Products").as_ptr(), 1, 10, o) });
        assert_eq!(lines["items"][0]["link"]["price"], "150.50");
        assert_eq!(
            unsafe { crm_create_from_opportunity(st.0, org, s("Quotes").as_ptr(), ptr::null(), &mut out) },
            crm_status::InvalidArgument
        );
        ok(unsafe { crm_unlink(st.0, d, prod) });
        assert_eq!(unsafe { crm_unlink(st.0, d, prod) }, crm_status::NotFound);
        // Activities, open and done.
        create(
            &st,
            "Calendar",
            &format!(
                r#"{{"subject": "Call", "activitytype": "Call", "date_start": "2026-11-28", "eventstatus": "Planned", "parent_id": {d}}}"#
            ),
        );
        create(
            &st,
            "Calendar",
            &format!(
                r#"{{"subject": "Demo", "activitytype": "Meeting", "date_start": "2026-11-20", "eventstatus": "Held", "parent_id": {d}}}"#
            ),
        );
        let open = json_of(|o| unsafe { crm_activities(st.0, d, false, o) });
        assert_eq!(open[0]["subject"], "Call");
        let done = json_of(|o| unsafe { crm_activities(st.0, d, true, o) });
        assert_eq!(done[0]["subject"], "Demo");
        assert_eq!(open.as_array().unwrap().len() + done.as_array().unwrap().len(), 2);
    }
}
