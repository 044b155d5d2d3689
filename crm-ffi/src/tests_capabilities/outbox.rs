//! The outbox's paged, status-filtered read and retention through the C functions.

use super::*;

#[test]
fn outbox_pages_and_purges() {
    for st in both() {
        for n in 0..3 {
            deal(&st, &format!("D{n}"), "Prospecting", "5", "2027-03-31");
        }
        let all = json_of(|o| unsafe { crm_outbox(st.0, o) });
        let all = all.as_array().unwrap().clone();
        assert_eq!(all.len(), 3, "{all:?}");
        ok(unsafe { crm_outbox_mark_sent(st.0, id(&all[0])) });
        ok(unsafe { crm_outbox_mark_failed(st.0, id(&all[2]), s("down").as_ptr()) });
        // Pages of two by status, keyset on the id.
        let page = |status: Option<&str>, after: i64, limit: u64| {
            let status = status.map(s);
            json_of(|o| unsafe { crm_outbox_page(st.0, status.as_ref().map_or(ptr::null(), |s| s.as_ptr()), after, limit, o) })
        };
        let first = page(None, 0, 2);
        assert_eq!(first.as_array().unwrap().len(), 2);
        let rest = page(None, id(&first[1]), 2);
        assert_eq!(rest.as_array().unwrap().iter().map(id).collect::<Vec<_>>(), vec![id(&all[2])]);
        assert_eq!(page(Some("sent"), 0, 10).as_array().unwrap().iter().map(id).collect::<Vec<_>>(), vec![id(&all[0])]);
        let failed = page(Some("failed"), 0, 10);
        assert_eq!(failed[0]["attempts"], 1);
        assert!(failed[0]["next_attempt"].is_string());
        assert_eq!(page(Some("queued"), 0, 10).as_array().unwrap().len(), 1);
        let mut out = ptr::null_mut();
        assert_eq!(unsafe { crm_outbox_page(st.0, s("lost").as_ptr(), 0, 10, &mut out) }, crm_status::InvalidArgument);
        assert_eq!(unsafe { crm_outbox_page(st.0, ptr::null(), 0, 10, ptr::null_mut()) }, crm_status::NullPointer);
        // Retention: sent mail before the cutoff goes; the others stay.
        let mut purged = 0u64;
        ok(unsafe { crm_outbox_purge(st.0, s("2000-01-01 00:00:00").as_ptr(), &mut purged) });
        assert_eq!(purged, 0);
        ok(unsafe { crm_outbox_purge(st.0, s("2999-01-01T00:00:00Z").as_ptr(), &mut purged) });
        assert_eq!(purged, 1);
        assert_eq!(json_of(|o| unsafe { crm_outbox(st.0, o) }).as_array().unwrap().len(), 2);
        assert_eq!(unsafe { crm_outbox_purge(st.0, s("yesterday").as_ptr(), ptr::null_mut()) }, crm_status::InvalidArgument);
    }
}
