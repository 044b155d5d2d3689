//! Users and groups.

use crate::args::{Out, arg_json, arg_str};
use crate::boundary;
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use crm_core::NewUser;
use serde::Deserialize;
use std::ffi::c_char;

/// Registers a user. `user_json` is an object `{"user_name": "jdoe", "full_name": "John Doe",
/// "email": "jdoe@example.com", "role": "Sales Manager"}` (only `user_name` is required). On success, if
/// `out_user_json` is not NULL, it receives the stored user as JSON (`{"id": .., "user_name": .., ...}`),
/// owned by the caller (free with `crm_string_free`).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (wrong
/// shape), `_VALIDATION` (empty name, bad e-mail; see `crm_last_error_json`), `_CONFLICT` (name taken).
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `user_json` NULL or NUL-terminated; `out_user_json` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_user_add(store: *mut crm_store, user_json: *const c_char, out_user_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let new: NewUser = unsafe { arg_json(user_json, "user_json") }?;
        let out = unsafe { Out::optional(out_user_json) };
        let user = unsafe { lock_store(store) }?.add_user(new)?;
        out.set_json(&user)
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewGroup {
    name: String,
    #[serde(default)]
    members: Vec<String>,
}

/// Registers a group of users that can own records. `group_json` is `{"name": "Sales Team", "members":
/// ["jdoe", "asmith"]}` (members by user name, optional). On success, if `out_group_json` is not NULL,
/// it receives the stored group as JSON (`{"id": .., "name": .., "members": [ids]}`), owned by the caller.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT`,
/// `_VALIDATION` (empty name), `_NOT_FOUND` (unknown member), `_CONFLICT` (name taken).
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// As `crm_user_add`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_group_add(store: *mut crm_store, group_json: *const c_char, out_group_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let g: NewGroup = unsafe { arg_json(group_json, "group_json") }?;
        let out = unsafe { Out::optional(out_group_json) };
        let members: Vec<&str> = g.members.iter().map(String::as_str).collect();
        let group = unsafe { lock_store(store) }?.add_group(&g.name, &members)?;
        out.set_json(&group)
    })
}

/// Lists every registered user as a JSON array of user objects into `*out_json` (required), owned by the
/// caller (free with `crm_string_free`).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, storage errors. Thread-safety: serialised with other calls.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_users(store: *const crm_store, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let users = unsafe { lock_store(store) }?.users()?;
        out.set_json(&users)
    })
}

/// Lists every registered group as a JSON array of group objects into `*out_json` (required), owned by
/// the caller (free with `crm_string_free`).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, storage errors. Thread-safety: serialised with other calls.
///
/// # Safety
/// As `crm_users`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_groups(store: *const crm_store, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let groups = unsafe { lock_store(store) }?.groups()?;
        out.set_json(&groups)
    })
}

/// A user by user name (ignoring case) as JSON into `*out_user_json` (required, owned by the caller,
/// free with `crm_string_free`).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND`. Thread-safety: serialised with other
/// calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `user_name` NULL or NUL-terminated; `out_user_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_user_get(store: *const crm_store, user_name: *const c_char, out_user_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let name = unsafe { arg_str(user_name, "user_name") }?;
        let out = unsafe { Out::new(out_user_json, "out_user_json") }?;
        let user = unsafe { lock_store(store) }?.user(name)?;
        out.set_json(&user)
    })
}

/// The acting user as JSON into `*out_user_json` (required, owned by the caller, free with
/// `crm_string_free`): the user object, or `null` when no acting user is set.
///
/// Errors: `CRM_STATUS_NULL_POINTER`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `out_user_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_store_actor(store: *const crm_store, out_user_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_user_json, "out_user_json") }?;
        let crm = unsafe { lock_store(store) }?;
        let actor = crm.actor().cloned();
        drop(crm);
        out.set_json(&actor)
    })
}

/// An owner (a user or a group) by id (`id` >= 0) or, when `name` is not NULL, by user name, full name or
/// group name (ignoring case), as JSON into `*out_owner_json` (required, owned by the caller): `{"kind":
/// "user", "id": 1, "user_name": .., ...}` or `{"kind": "group", "id": 3, "name": .., "members": [..]}`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND`, storage errors. Thread-safety:
/// serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `name` NULL or NUL-terminated; `out_owner_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_owner_get(
    store: *const crm_store,
    id: i64,
    name: *const c_char,
    out_owner_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let name = unsafe { crate::args::arg_opt_str(name, "name") }?;
        let out = unsafe { Out::new(out_owner_json, "out_owner_json") }?;
        let crm = unsafe { lock_store(store) }?;
        let owner = match name {
            Some(n) => crm.find_owner(n)?,
            None => crm.owner(crm_core::OwnerId(id))?,
        };
        drop(crm);
        let owner = owner.ok_or_else(|| {
            crate::boundary::FfiError::new(
                crm_status::NotFound,
                "not_found",
                match name {
                    Some(n) => format!("no user or group named '{n}'"),
                    None => format!("no user or group with id {id}"),
                },
            )
        })?;
        out.set_json(&owner)
    })
}
