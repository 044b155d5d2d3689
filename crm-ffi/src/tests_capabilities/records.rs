//! Records on the wire: the shape crm-core's wire contract defines, a record in the recycle bin refused
//! by `crm_record_get` and read by `crm_record_get_deleted`, and every error kind's status.

use super::*;
use crm_core::ErrorKind;

#[test]
fn records_in_the_recycle_bin_have_their_own_read() {
    for st in both() {
        let a = deal(&st, "A", "Prospecting", "1000.10", "2027-03-31");
        let live = get(&st, a);
        let keys: Vec<&str> = live.as_object().unwrap().keys().map(String::as_str).collect();
        for k in crm_core::wire::RESERVED_KEYS {
            assert!(keys.contains(&k), "{k} in {live}");
        }
        assert_eq!((live["version"].as_u64(), live["deleted"].as_bool(), live["label"].as_str()), (Some(1), Some(false), Some("A")));
        assert_eq!(live["amount"], "1000.10");
        assert!(live["description"].is_null(), "every field of the layout, null when empty: {live}");

        let mut out = ptr::null_mut();
        assert_eq!(unsafe { crm_record_get_deleted(st.0, a, &mut out) }, crm_status::NotFound, "a live record is not in the bin");
        assert!(out.is_null());
        ok(unsafe { crm_record_delete(st.0, a) });
        assert_eq!(unsafe { crm_record_get(st.0, a, &mut out) }, crm_status::NotFound);
        assert!(out.is_null(), "out-parameter untouched on failure");
        assert_eq!(code(), "not_found");
        assert!(msg().contains("recycle bin"), "{}", msg());
        let gone = json_of(|o| unsafe { crm_record_get_deleted(st.0, a, o) });
        assert_eq!((gone["deleted"].as_bool(), gone["version"].as_u64()), (Some(true), Some(2)));
        assert_eq!(gone["amount"], "1000.10");
        // The recycle bin's listing uses the same shape.
        let q = s(r#"{"module": "Potentials", "deleted": true}"#);
        let found = json_of(|o| unsafe { crm_record_find(st.0, q.as_ptr(), o) });
        assert_eq!(found["records"][0], gone);
        assert_eq!(unsafe { crm_record_get_deleted(ptr::null(), a, &mut out) }, crm_status::NullPointer);
        assert_eq!(unsafe { crm_record_get_deleted(st.0, a, ptr::null_mut()) }, crm_status::NullPointer);
        let back = json_of(|o| unsafe { crm_record_restore(st.0, a, o) });
        assert_eq!(back["deleted"], false);
        assert_eq!(get(&st, a)["version"], back["version"]);
    }
}

#[test]
fn every_error_kind_has_its_own_status_and_code() {
    let mut statuses: Vec<u32> = ErrorKind::ALL.iter().map(|k| crm_status::from_kind(*k) as u32).collect();
    statuses.sort_unstable();
    statuses.dedup();
    assert_eq!(statuses.len(), ErrorKind::ALL.len(), "no two kinds share a status");
    for k in ErrorKind::ALL {
        let e = crate::boundary::FfiError::from(match k {
            ErrorKind::Validation => crm_core::Error::Validation(Default::default()),
            ErrorKind::NotFound => crm_core::Error::NotFound("x".into()),
            ErrorKind::Conflict => crm_core::Error::Conflict("x".into()),
            ErrorKind::InvalidArgument => crm_core::Error::InvalidArgument("x".into()),
            ErrorKind::IncompatibleVersion => crm_core::StorageError::IncompatibleVersion { found: 9, supported: 1 }.into(),
            ErrorKind::Corrupt => crm_core::StorageError::Corrupt("x".into()).into(),
            ErrorKind::Busy => crm_core::StorageError::Busy("x".into()).into(),
            ErrorKind::Duplicate => crm_core::StorageError::Duplicate("x".into()).into(),
            ErrorKind::Storage => crm_core::StorageError::Backend("x".into()).into(),
            ErrorKind::Io => crm_core::StorageError::Io(std::io::Error::other("x")).into(),
            ErrorKind::Schema => crm_core::SchemaError::UnknownModule("x".into()).into(),
            ErrorKind::FeedPositionExpired => crm_core::Error::FeedPositionExpired { position: 1, trimmed: 2 },
            ErrorKind::AccessDenied => crm_core::Error::AccessDenied(crm_core::AccessDenied::module("edit", "Potentials")),
        });
        assert_eq!((e.status, e.code), (crm_status::from_kind(k), k.as_str()));
    }
}

/// History entries and users carry every key, `null` when empty: the keys Python's dicts have.
#[test]
fn history_and_users_carry_every_key() {
    for st in both() {
        let a = deal(&st, "A", "Prospecting", "1000.10", "2027-03-31");
        let h = json_of(|o| unsafe { crm_record_history(st.0, a, o) });
        let keys: Vec<&str> = h[0].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["actor", "at", "changes", "id", "kind", "module", "record", "related"]);
        assert_eq!(h[0]["related"], J::Null);
        let users = json_of(|o| unsafe { crm_users(st.0, o) });
        let keys: Vec<&str> = users[0].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["active", "email", "full_name", "id", "role", "user_name"]);
        assert_eq!(users[0]["role"], J::Null);
    }
}
