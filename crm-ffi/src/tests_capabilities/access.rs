//! Access control through the C functions: roles, a private module, a sharing rule, a profile with a
//! hidden and a read-only field, and the acting user set with `crm_store_set_actor`.

use super::*;

fn change(st: &Store, json: &str) {
    ok(unsafe { crm_access_change(st.0, s(json).as_ptr(), ptr::null_mut()) });
}

#[test]
fn roles_sharing_rules_and_profiles() {
    for st in both() {
        change(&st, r#"{"op": "set_admin", "user": "admin", "admin": true}"#);
        change(&st, r#"{"op": "add_role", "name": "Manager"}"#);
        change(&st, r#"{"op": "add_role", "name": "Rep", "parent": "Manager"}"#);
        change(&st, r#"{"op": "add_role", "name": "Support"}"#);
        for (u, r) in [("mgr", "Manager"), ("rep", "Rep"), ("sup", "Support")] {
            let j = s(&format!(r#"{{"user_name": "{u}", "role": "{r}"}}"#));
            ok(unsafe { crm_user_add(st.0, j.as_ptr(), ptr::null_mut()) });
        }
        let mut ids = std::collections::BTreeMap::new();
        for o in ["mgr", "rep", "sup"] {
            let d = create(
                &st,
                "Potentials",
                &format!(
                    r#"{{"potentialname": "deal of {o}", "sales_stage": "Prospecting", "closingdate": "2027-03-31", "amount": "100", "nextstep": "call", "assigned_user_id": "{o}"}}"#
                ),
            );
            ids.insert(o, id(&d));
        }
        change(&st, r#"{"op": "set_sharing", "module": "Potentials", "sharing": "private"}"#);
        ok(unsafe { crm_store_set_actor(st.0, s("mgr").as_ptr()) });
        assert_eq!(names(&st), ["deal of mgr", "deal of rep"]);
        ok(unsafe { crm_store_set_actor(st.0, s("rep").as_ptr()) });
        assert_eq!(names(&st), ["deal of rep"]);
        let mut out = ptr::null_mut();
        assert_eq!(unsafe { crm_record_get(st.0, ids["mgr"], &mut out) }, crm_status::NotFound);
        // a non-administrator may not change access
        let denied = unsafe { crm_access_change(st.0, s(r#"{"op": "add_role", "name": "X"}"#).as_ptr(), ptr::null_mut()) };
        assert_eq!(denied, crm_status::AccessDenied);
        assert_eq!(code(), "access_denied");

        ok(unsafe { crm_store_set_actor(st.0, s("admin").as_ptr()) });
        let rule = json_of(|o| unsafe {
            crm_sharing_rule_add(
                st.0,
                s(r#"{"module": "Potentials", "owner_role": "Rep", "to_role": "Support", "access": "read"}"#).as_ptr(),
                o,
            )
        });
        assert_eq!(rule["owner"], json!({"kind": "role", "name": "Rep"}));
        change(
            &st,
            r#"{"op": "put_profile", "name": "Sales", "modules": {"Potentials": {"delete": false}},
                "fields": {"Potentials": {"amount": "read_only", "nextstep": "hidden"}}}"#,
        );
        change(&st, r#"{"op": "set_role_profiles", "role": "Support", "profiles": ["Sales"]}"#);
        ok(unsafe { crm_store_set_actor(st.0, s("sup").as_ptr()) });
        assert_eq!(names(&st), ["deal of rep", "deal of sup"]);
        let own = get(&st, ids["sup"]);
        assert!(own.get("nextstep").is_none() && own["amount"].is_string(), "{own}");
        let status = unsafe { crm_record_update(st.0, ids["sup"], s(r#"{"amount": "5"}"#).as_ptr(), ptr::null_mut()) };
        assert_eq!(status, crm_status::AccessDenied);
        assert!(msg().contains("amount"), "{}", msg());
        let status = unsafe { crm_record_update(st.0, ids["rep"], s(r#"{"description": "x"}"#).as_ptr(), ptr::null_mut()) };
        assert_eq!(status, crm_status::AccessDenied); // shared read-only
        let q = s(r#"{"module": "Potentials", "conditions": [{"field": "nextstep", "op": "=", "value": "call"}]}"#);
        assert_eq!(unsafe { crm_record_find(st.0, q.as_ptr(), &mut out) }, crm_status::AccessDenied);

        ok(unsafe { crm_store_set_actor(st.0, s("admin").as_ptr()) });
        let model = json_of(|o| unsafe { crm_access_model(st.0, o) });
        assert_eq!(model["sharing"]["Potentials"], "private");
        let log = json_of(|o| unsafe { crm_access_changes(st.0, o) });
        assert!(log.as_array().unwrap().len() >= 8);
    }
}
