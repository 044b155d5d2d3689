//! Fuzz harness of the C ABI's JSON entry points (not part of the supported API; hidden from the docs).
//!
//! The input's first byte picks an exported function, the next byte an id offset; the rest is split at NUL
//! bytes into the function's string arguments, passed as C strings exactly as a C host would (invalid
//! UTF-8 included). A missing argument is passed as NULL. Each input runs on a fresh in-memory store that
//! has a user, an organization and an opportunity. `fuzz/fuzz_targets/ffi_json.rs` calls [`ffi_json`];
//! `crm-ffi/tests/fuzz_corpus.rs` replays the kept corpus through it on stable Rust.
//!
//! A status of `CRM_STATUS_PANIC` means a panic was caught at the boundary: that is a bug, so the harness
//! panics too (under libFuzzer any panic aborts anyway).

use crate::*;
use std::ffi::{CStr, CString, c_char};
use std::ptr;

/// The entry points the harness calls, by name (index = first input byte modulo the length).
pub const ENTRY_POINTS: &[&str] = &[
    "crm_record_create",
    "crm_record_quick_create",
    "crm_record_update",
    "crm_record_find",
    "crm_record_count",
    "crm_aggregate",
    "crm_filter_save",
    "crm_list",
    "crm_search",
    "crm_search_columns",
    "crm_record_page_after",
    "crm_view_settings_set",
    "crm_workflow_add",
    "crm_workflows_add_vtiger",
    "crm_workflow_dry_run",
    "crm_workflows_run_due",
    "crm_user_add",
    "crm_group_add",
    "crm_schema_apply",
    "crm_field_add",
    "crm_field_update",
    "crm_picklist_add",
    "crm_picklist_rename",
    "crm_picklist_delete",
    "crm_picklist_set_roles",
    "crm_picklist_set_dependency",
    "crm_mass_edit",
    "crm_mass_transfer",
    "crm_lead_mapping_set",
    "crm_opportunity_create_for",
    "crm_opportunity_create_for_new_customer",
    "crm_link",
    "crm_pipeline",
    "crm_mapping_save",
    "crm_store_set_time_zone",
    "crm_auto_number_set",
    "crm_stage_meta_set",
    "crm_record_update_version",
    "crm_analytics",
];

struct Args {
    parts: Vec<CString>,
}

impl Args {
    /// The i-th string argument, or NULL when the input has fewer parts.
    fn s(&self, i: usize) -> *const c_char {
        self.parts.get(i).map_or(ptr::null(), |c| c.as_ptr())
    }
}

fn check(status: crm_status, what: &str) {
    assert!(status != crm_status::Panic, "{what}: a panic was caught at the C boundary: {}", unsafe {
        CStr::from_ptr(crm_last_error_message()).to_string_lossy()
    });
}

fn free(p: *mut c_char) {
    unsafe { crm_string_free(p) };
}

/// Opens a fresh store with a user, an organization and an opportunity; returns it and the opportunity id.
fn setup() -> Option<(*mut crm_store, i64)> {
    let mut st = ptr::null_mut();
    unsafe {
        if crm_store_open(c":memory:".as_ptr(), &mut st) != crm_status::Ok {
            return None;
        }
        crm_user_add(st, cr#"{"user_name":"admin","full_name":"Administrator"}"#.as_ptr(), ptr::null_mut());
        crm_store_set_actor(st, c"admin".as_ptr());
        crm_record_create(st, c"Accounts".as_ptr(), cr#"{"accountname":"Hooli"}"#.as_ptr(), ptr::null_mut());
        let mut out = ptr::null_mut();
        let status = crm_record_create(
            st,
            c"Potentials".as_ptr(),
            cr#"{"potentialname":"Deal","related_to":"Hooli","amount":"100.50","sales_stage":"Prospecting","closingdate":"2027-03-31"}"#
                .as_ptr(),
            &mut out,
        );
        let id = if status == crm_status::Ok {
            let v: Option<serde_json::Value> = serde_json::from_slice(CStr::from_ptr(out).to_bytes()).ok();
            free(out);
            v.and_then(|v| v.get("id").and_then(serde_json::Value::as_i64)).unwrap_or(0)
        } else {
            0
        };
        Some((st, id))
    }
}

/// Runs one input; see the module docs for its layout.
pub fn ffi_json(data: &[u8]) {
    let (pick, delta, rest) = match data {
        [a, b, rest @ ..] => (usize::from(*a), i64::from(*b), rest),
        [a] => (usize::from(*a), 0, &[][..]),
        [] => return,
    };
    let name = ENTRY_POINTS[pick % ENTRY_POINTS.len()];
    let args = Args { parts: rest.split(|&b| b == 0).filter_map(|p| CString::new(p).ok()).collect() };
    let Some((st, deal)) = setup() else { return };
    // Ids near the opportunity's (which is 2 after the organization), and some far off.
    let id = if delta >= 128 { i64::MAX - (delta - 128) } else { deal - 4 + delta };
    let mut out: *mut c_char = ptr::null_mut();
    let mut count = 0u64;
    let status = unsafe {
        match name {
            "crm_record_create" => crm_record_create(st, args.s(0), args.s(1), &mut out),
            "crm_record_quick_create" => crm_record_quick_create(st, args.s(0), args.s(1), &mut out),
            "crm_record_update" => crm_record_update(st, id, args.s(0), &mut out),
            "crm_record_find" => crm_record_find(st, args.s(0), &mut out),
            "crm_record_count" => crm_record_count(st, args.s(0), &mut count),
            "crm_aggregate" => crm_aggregate(st, args.s(0), args.s(1), args.s(2), &mut out),
            "crm_filter_save" => crm_filter_save(st, args.s(0), &mut out),
            "crm_list" => crm_list(st, args.s(0), args.s(1), args.s(2), delta as u64, 1 + (delta as u64 % 5), &mut out),
            "crm_search" => crm_search(st, args.s(0), args.s(1), delta as u64, 20, &mut out),
            "crm_search_columns" => crm_search_columns(st, args.s(0), args.s(1), 1, 20, &mut out),
            "crm_record_page_after" => crm_record_page_after(st, args.s(0), args.s(1), delta as u64, &mut out),
            "crm_view_settings_set" => crm_view_settings_set(st, args.s(0)),
            "crm_workflow_add" => crm_workflow_add(st, args.s(0), &mut out),
            "crm_workflows_add_vtiger" => crm_workflows_add_vtiger(st, args.s(0), &mut out),
            "crm_workflow_dry_run" => crm_workflow_dry_run(st, args.s(0), args.s(1), &mut out),
            "crm_workflows_run_due" => crm_workflows_run_due(st, args.s(0), &mut out),
            "crm_user_add" => crm_user_add(st, args.s(0), &mut out),
            "crm_group_add" => crm_group_add(st, args.s(0), &mut out),
            "crm_schema_apply" => crm_schema_apply(st, args.s(0), &mut out),
            "crm_field_add" => crm_field_add(st, args.s(0), args.s(1), &mut out),
            "crm_field_update" => crm_field_update(st, args.s(0), args.s(1), args.s(2), &mut out),
            "crm_picklist_add" => crm_picklist_add(st, args.s(0), args.s(1), args.s(2)),
            "crm_picklist_rename" => crm_picklist_rename(st, args.s(0), args.s(1), args.s(2), args.s(3)),
            "crm_picklist_delete" => crm_picklist_delete(st, args.s(0), args.s(1), args.s(2), args.s(3)),
            "crm_picklist_set_roles" => crm_picklist_set_roles(st, args.s(0), args.s(1), args.s(2), args.s(3)),
            "crm_picklist_set_dependency" => crm_picklist_set_dependency(st, args.s(0), args.s(1), args.s(2), args.s(3)),
            "crm_mass_edit" => crm_mass_edit(st, args.s(0), args.s(1), &mut out),
            "crm_mass_transfer" => crm_mass_transfer(st, args.s(0), args.s(1), &mut out),
            "crm_lead_mapping_set" => crm_lead_mapping_set(st, args.s(0)),
            "crm_opportunity_create_for" => crm_opportunity_create_for(st, id, args.s(0), &mut out),
            "crm_opportunity_create_for_new_customer" => {
                crm_opportunity_create_for_new_customer(st, args.s(0), args.s(1), args.s(2), &mut out)
            }
            "crm_link" => crm_link(st, deal, id, args.s(0), &mut out),
            "crm_pipeline" => crm_pipeline(st, args.s(0), args.s(1), args.s(2), &mut out),
            "crm_mapping_save" => crm_mapping_save(st, args.s(0), args.s(1), args.s(2)),
            "crm_store_set_time_zone" => crm_store_set_time_zone(st, args.s(0)),
            "crm_auto_number_set" => crm_auto_number_set(st, args.s(0), args.s(1), args.s(2)),
            "crm_stage_meta_set" => crm_stage_meta_set(st, args.s(0), args.s(1), args.s(2)),
            "crm_analytics" => crm_analytics(st, args.s(0), args.s(1), &mut out),
            _ => crm_record_update_version(st, deal, delta as u64, args.s(0), &mut out),
        }
    };
    free(out);
    unsafe { crm_store_free(st) };
    check(status, name);
}
