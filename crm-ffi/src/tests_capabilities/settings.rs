//! Store settings read back: the acting user, owners and the time zone (stored with the store).

use super::*;

#[test]
fn actor_owner_and_time_zone_getters() {
    let st = open_at(":memory:", None);
    assert_eq!(json_of(|o| unsafe { crm_store_actor(st.0, o) })["user_name"], "admin");
    ok(unsafe { crm_group_add(st.0, s(r#"{"name": "Sales Team", "members": ["jdoe"]}"#).as_ptr(), ptr::null_mut()) });
    let g = json_of(|o| unsafe { crm_owner_get(st.0, -1, s("sales team").as_ptr(), o) });
    assert_eq!((g["kind"].as_str(), g["name"].as_str()), (Some("group"), Some("Sales Team")));
    let u = json_of(|o| unsafe { crm_owner_get(st.0, -1, s("John Doe").as_ptr(), o) });
    assert_eq!(u["user_name"], "jdoe");
    let by_id = json_of(|o| unsafe { crm_owner_get(st.0, u["id"].as_i64().unwrap(), ptr::null(), o) });
    assert_eq!(by_id, u);
    let mut out = ptr::null_mut();
    assert_eq!(unsafe { crm_owner_get(st.0, 999_999, ptr::null(), &mut out) }, crm_status::NotFound);
    assert_eq!(unsafe { crm_owner_get(st.0, 0, s("nobody").as_ptr(), &mut out) }, crm_status::NotFound);
    let mut p = ptr::null_mut();
    ok(unsafe { crm_store_time_zone(st.0, &mut p) });
    assert_eq!(unsafe { CStr::from_ptr(p) }, c"UTC");
    unsafe { crm_string_free(p) };
    ok(unsafe { crm_store_set_time_zone(st.0, s("Asia/Tehran").as_ptr()) });
    ok(unsafe { crm_store_time_zone(st.0, &mut p) });
    assert_eq!(unsafe { CStr::from_ptr(p) }, c"Asia/Tehran");
    unsafe { crm_string_free(p) };
    // A fresh store without an acting user.
    let mut raw = ptr::null_mut();
    ok(unsafe { crm_store_open(c":memory:".as_ptr(), &mut raw) });
    let bare = Store(raw, None);
    assert_eq!(json_of(|o| unsafe { crm_store_actor(bare.0, o) }), J::Null);
}

#[test]
fn the_time_zone_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("crm.db").to_str().unwrap().to_string();
    let st = open_at(&file, None);
    ok(unsafe { crm_store_set_time_zone(st.0, s("Asia/Tehran").as_ptr()) });
    let mut raw = ptr::null_mut();
    ok(unsafe { crm_store_open(s(&file).as_ptr(), &mut raw) });
    let again = Store(raw, None);
    let mut p = ptr::null_mut();
    ok(unsafe { crm_store_time_zone(again.0, &mut p) });
    assert_eq!(unsafe { CStr::from_ptr(p) }, c"Asia/Tehran", "a handle opened later uses the stored zone");
    unsafe { crm_string_free(p) };
}
