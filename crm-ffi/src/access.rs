//! Access control: roles, profiles, sharing, sharing rules, administrators, group members. The acting
//! user of `crm_store_set_actor` is the user whose rights every later call on the store has.

use crate::args::{Out, arg_json};
use crate::boundary;
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use crm_core::{AccessEdit, SharingRuleSpec};
use std::ffi::c_char;

/// Applies one access change. `change_json` is an object tagged by `op`:
/// `{"op": "add_role", "name": "Sales Manager", "parent": "Vice President"}`, `move_role` (`name`,
/// `parent`), `delete_role` (`name`, `transfer_to`), `put_profile` (`name`, `modules`: `{"Potentials":
/// {"view": true, "create": true, "edit": true, "delete": false}}`, `fields`: `{"Potentials": {"amount":
/// "read_only", "nextstep": "hidden"}}`), `delete_profile` (`name`), `set_role_profiles` (`role`,
/// `profiles`), `set_sharing` (`module`, `sharing`: `private`, `public_read`, `public_read_write`,
/// `public_read_write_delete`), `add_sharing_rule` (`module`, `owner` and `to`: `{"kind": "role" |
/// "role_and_subordinates" | "group", "name": ..}`, `access`: `read` | `read_write`),
/// `delete_sharing_rule` (`id`), `set_user_role` (`user`, `role`), `set_admin` (`user`, `admin`),
/// `set_group_members` (`group`, `members`). On success, if `out_entry_json` is not NULL, it receives the
/// change-log entry (`{"version", "actor", "at", "change"}`), owned by the caller.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (wrong shape,
/// a role moved under itself), `_NOT_FOUND` (unknown role, profile, module, field, user, group),
/// `_CONFLICT` (name taken), `_ACCESS_DENIED` (the acting user is not an administrator while one exists).
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `change_json` NULL or NUL-terminated; `out_entry_json` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_access_change(
    store: *mut crm_store,
    change_json: *const c_char,
    out_entry_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let change: AccessEdit = unsafe { arg_json(change_json, "change_json") }?;
        let out = unsafe { Out::optional(out_entry_json) };
        let entry = unsafe { lock_store(store) }?.apply_access_change(change)?;
        out.set_json(&entry)
    })
}

/// Adds a sharing rule given as the Python binding's keywords: `{"module": "Potentials", "owner_role":
/// "Sales Person", "to_role": "Support", "access": "read"}` (or `owner_group` / `to_group`,
/// `owner_and_subordinates` / `to_and_subordinates`). On success, if `out_rule_json` is not NULL, it
/// receives the stored rule with its id, owned by the caller.
///
/// Errors: as `crm_access_change`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// As `crm_access_change`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_sharing_rule_add(
    store: *mut crm_store,
    rule_json: *const c_char,
    out_rule_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let spec: SharingRuleSpec = unsafe { arg_json(rule_json, "rule_json") }?;
        let out = unsafe { Out::optional(out_rule_json) };
        let rule = spec.into_rule()?;
        let rule = unsafe { lock_store(store) }?.add_sharing_rule(rule)?;
        out.set_json(&rule)
    })
}

/// The access model as JSON into `*out_json` (required, owned by the caller): `{"roles", "profiles",
/// "role_profiles", "sharing", "rules", "admins"}`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, storage errors. Thread-safety: serialised with other calls.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_access_model(store: *const crm_store, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let model = unsafe { lock_store(store) }?.access_model()?;
        out.set_json(&model)
    })
}

/// The access change log, oldest first, as a JSON array into `*out_json` (required, owned by the caller).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, storage errors. Thread-safety: serialised with other calls.
///
/// # Safety
/// As `crm_access_model`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_access_changes(store: *const crm_store, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let log = unsafe { lock_store(store) }?.access_changes()?;
        out.set_json(&log)
    })
}
