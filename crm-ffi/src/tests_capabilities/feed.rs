//! The change feed through C: events in the wire shape, a consumer resuming from its stored position,
//! a module filter, and a trimmed position's own status.

use super::*;

fn position(st: &Store) -> i64 {
    let mut p = -1;
    ok(unsafe { crm_changes_position(st.0, &mut p) });
    p
}

fn changes(st: &Store, since: i64, limit: u64, modules: Option<&str>) -> J {
    let m = modules.map(s);
    json_of(|o| unsafe { crm_changes(st.0, since, limit, m.as_ref().map_or(ptr::null(), |m| m.as_ptr()), o) })
}

#[test]
fn the_feed_resumes_from_a_stored_position_and_expires_when_trimmed() {
    for st in both() {
        let start = position(&st);
        let a = deal(&st, "A", "Prospecting", "1000.10", "2027-03-31");
        let fields = s(r#"{"amount": "2000"}"#);
        ok(unsafe { crm_record_update(st.0, a, fields.as_ptr(), ptr::null_mut()) });
        ok(unsafe { crm_comment_add(st.0, a, s("Call Monday").as_ptr(), ptr::null_mut()) });

        let events = changes(&st, start, 1000, None);
        let kinds: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["created", "updated", "commented"]);
        let updated = &events[1];
        assert_eq!(
            (updated["record"].as_i64(), updated["module"].as_str(), updated["actor"].as_str()),
            (Some(a), Some("Potentials"), Some("admin"))
        );
        let amount = updated["changes"].as_array().unwrap().iter().find(|c| c["field"] == "amount").unwrap();
        assert_eq!((amount["before"].as_str(), amount["after"].as_str()), (Some("1000.10"), Some("2000.00")));
        assert_eq!(updated["related"], J::Null);
        assert_eq!(position(&st), events[2]["position"].as_i64().unwrap());

        // A consumer that stored the first event's position gets the rest, one page at a time.
        let stored = events[0]["position"].as_i64().unwrap();
        let next = changes(&st, stored, 1, None);
        assert_eq!(next.as_array().unwrap().len(), 1);
        assert_eq!(next[0], events[1]);
        assert_eq!(changes(&st, events[2]["position"].as_i64().unwrap(), 10, None), json!([]));
        assert_eq!(changes(&st, start, 10, Some(r#"["Accounts"]"#)), json!([]));
        assert_eq!(changes(&st, start, 10, Some(r#"["Potentials"]"#)).as_array().unwrap().len(), 3);

        // Trimmed: the older position has its own status; a negative `since` starts at what is kept.
        let mut removed = 0;
        ok(unsafe { crm_changes_trim(st.0, stored, &mut removed) });
        assert!(removed >= 1);
        let mut out = ptr::null_mut();
        assert_eq!(unsafe { crm_changes(st.0, start, 10, ptr::null(), &mut out) }, crm_status::FeedPositionExpired);
        assert!(out.is_null());
        assert_eq!(code(), "feed_position_expired");
        assert_eq!(changes(&st, -1, 10, None).as_array().unwrap().len(), 2);
        // Bad arguments.
        assert_eq!(unsafe { crm_changes(st.0, stored, 0, ptr::null(), &mut out) }, crm_status::InvalidArgument);
        assert_eq!(unsafe { crm_changes(st.0, stored, 10, s(r#"["A"#).as_ptr(), &mut out) }, crm_status::InvalidJson);
        assert_eq!(unsafe { crm_changes(st.0, stored, 10, s("[1]").as_ptr(), &mut out) }, crm_status::InvalidArgument);
        assert_eq!(unsafe { crm_changes(st.0, stored, 10, ptr::null(), ptr::null_mut()) }, crm_status::NullPointer);
        assert_eq!(unsafe { crm_changes_position(st.0, ptr::null_mut()) }, crm_status::NullPointer);
        assert_eq!(unsafe { crm_changes_trim(st.0, i64::MAX, ptr::null_mut()) }, crm_status::InvalidArgument);
    }
}
