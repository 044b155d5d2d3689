//! Tests of the bindings of crm-core's capabilities (schema editing, workflows and host callbacks,
//! reports, views, mass actions, relations, lead conversion), through the exported functions, on an
//! in-memory store and on a SQLite file.

use crate::*;
use serde_json::{Value as J, json};
use std::ffi::{CStr, CString, c_char, c_void};
use std::ptr;

fn s(text: &str) -> CString {
    CString::new(text).unwrap()
}

fn take(p: *mut c_char) -> J {
    assert!(!p.is_null());
    let v = serde_json::from_str(unsafe { CStr::from_ptr(p) }.to_str().unwrap()).unwrap();
    unsafe { crm_string_free(p) };
    v
}

fn msg() -> String {
    unsafe { CStr::from_ptr(crm_last_error_message()) }.to_string_lossy().into_owned()
}

fn code() -> String {
    unsafe { CStr::from_ptr(crm_last_error_code()) }.to_string_lossy().into_owned()
}

#[track_caller]
fn ok(status: crm_status) {
    assert_eq!(status, crm_status::Ok, "{} ({})", msg(), code());
}

/// Calls a function that writes a JSON string and returns it parsed.
#[track_caller]
fn json_of(f: impl FnOnce(*mut *mut c_char) -> crm_status) -> J {
    let mut out = ptr::null_mut();
    ok(f(&mut out));
    take(out)
}

/// A store handle and the directory of its SQLite file (kept until the store is freed).
struct Store(*mut crm_store, #[allow(dead_code)] Option<tempfile::TempDir>);
impl Drop for Store {
    fn drop(&mut self) {
        unsafe { crm_store_free(self.0) };
    }
}

fn open_at(path: &str, dir: Option<tempfile::TempDir>) -> Store {
    let mut p = ptr::null_mut();
    ok(unsafe { crm_store_open(s(path).as_ptr(), &mut p) });
    let st = Store(p, dir);
    let user = s(r#"{"user_name": "admin", "full_name": "Administrator", "email": "admin@example.com"}"#);
    ok(unsafe { crm_user_add(st.0, user.as_ptr(), ptr::null_mut()) });
    let user = s(r#"{"user_name": "jdoe", "full_name": "John Doe", "email": "jdoe@example.com"}"#);
    ok(unsafe { crm_user_add(st.0, user.as_ptr(), ptr::null_mut()) });
    ok(unsafe { crm_store_set_actor(st.0, s("admin").as_ptr()) });
    st
}

/// A fresh in-memory store and a fresh SQLite file store.
fn both() -> Vec<Store> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("crm.db").to_str().unwrap().to_string();
    vec![open_at(":memory:", None), open_at(&file, Some(dir))]
}

fn create(st: &Store, module: &str, fields: &str) -> J {
    json_of(|o| unsafe { crm_record_create(st.0, s(module).as_ptr(), s(fields).as_ptr(), o) })
}

fn id(j: &J) -> i64 {
    j["id"].as_i64().unwrap()
}

fn deal(st: &Store, name: &str, stage: &str, amount: &str, close: &str) -> i64 {
    id(&create(
        st,
        "Potentials",
        &format!(r#"{{"potentialname": "{name}", "sales_stage": "{stage}", "amount": "{amount}", "closingdate": "{close}"}}"#),
    ))
}

fn get(st: &Store, id: i64) -> J {
    json_of(|o| unsafe { crm_record_get(st.0, id, o) })
}

#[test]
fn schema_and_picklist_editing() {
    for st in both() {
        // A custom picklist field through the shortcut, a block, moving, renaming.
        let f = json_of(|o| unsafe {
            crm_field_add(
                st.0,
                s("Potentials").as_ptr(),
                s(r#"{"label": "Region", "type": "picklist", "values": ["EU", "US"]}"#).as_ptr(),
                o,
            )
        });
        let region = f["name"].as_str().unwrap().to_string();
        assert!(region.starts_with("cf_"), "{f}");
        let b = json_of(|o| unsafe { crm_block_add(st.0, s("Potentials").as_ptr(), s("Extra").as_ptr(), o) });
        let block = b["name"].as_str().unwrap().to_string();
        ok(unsafe { crm_field_move(st.0, s("Potentials").as_ptr(), s("Region").as_ptr(), s(&block).as_ptr(), 0) });
        ok(unsafe { crm_block_rename(st.0, s("Potentials").as_ptr(), s(&block).as_ptr(), s("More").as_ptr()) });
        ok(unsafe { crm_fields_reorder(st.0, s("Potentials").as_ptr(), s("More").as_ptr(), s(r#"["Region"]"#).as_ptr()) });
        let u = json_of(|o| unsafe {
            crm_field_update(
                st.0,
                s("Potentials").as_ptr(),
                s("Region").as_ptr(),
                s(r#"{"label": "Sales region", "default": "EU"}"#).as_ptr(),
                o,
            )
        });
        assert_eq!(u["label"], "Sales region");
        // Any change as JSON.
        let e = json_of(|o| unsafe {
            crm_schema_apply(
                st.0,
                s(r#"{"op": "add_picklist_values", "module": "Potentials", "field": "Sales region", "values": ["APAC"]}"#).as_ptr(),
                o,
            )
        });
        assert_eq!(e["actor"], "admin");
        assert_eq!(e["change"]["op"], "add_picklist_values");
        ok(unsafe { crm_picklist_add(st.0, s("Potentials").as_ptr(), s(&region).as_ptr(), s(r#"["LATAM"]"#).as_ptr()) });
        ok(unsafe { crm_picklist_reorder(st.0, s("Potentials").as_ptr(), s(&region).as_ptr(), s(r#"["US", "EU"]"#).as_ptr()) });
        let values = json_of(|o| unsafe { crm_picklist_values(st.0, s("Potentials").as_ptr(), s(&region).as_ptr(), ptr::null(), o) });
        assert_eq!(values, json!(["US", "EU", "APAC", "LATAM"]));
        // Rename and delete-with-replacement rewrite stored records.
        let d = id(&create(
            &st,
            "Potentials",
            &format!(r#"{{"potentialname": "R", "sales_stage": "Prospecting", "closingdate": "2027-01-31", "{region}": "APAC"}}"#),
        ));
        ok(unsafe { crm_picklist_rename(st.0, s("Potentials").as_ptr(), s(&region).as_ptr(), s("APAC").as_ptr(), s("Asia").as_ptr()) });
        assert_eq!(get(&st, d)[&region], "Asia");
        assert_eq!(get(&st, d)["version"], 2, "a rewritten record gets a new version");
        ok(unsafe {
            crm_picklist_delete(st.0, s("Potentials").as_ptr(), s(&region).as_ptr(), s(r#"["Asia"]"#).as_ptr(), s("EU").as_ptr())
        });
        assert_eq!(get(&st, d)[&region], "EU");
        // Roles limit what a role may pick.
        ok(unsafe {
            crm_picklist_set_roles(
                st.0,
                s("Potentials").as_ptr(),
                s(&region).as_ptr(),
                s("LATAM").as_ptr(),
                s(r#"["Sales Manager"]"#).as_ptr(),
            )
        });
        let for_rep =
            json_of(|o| unsafe { crm_picklist_values(st.0, s("Potentials").as_ptr(), s(&region).as_ptr(), s("Sales Rep").as_ptr(), o) });
        assert_eq!(for_rep, json!(["US", "EU"]));
        // A dependency: region EU only allows lead source "Web Site".
        ok(unsafe {
            crm_picklist_set_dependency(
                st.0,
                s("Potentials").as_ptr(),
                s(&region).as_ptr(),
                s("leadsource").as_ptr(),
                s(r#"{"EU": ["Web Site"]}"#).as_ptr(),
            )
        });
        let mut out = ptr::null_mut();
        let bad = s(&format!(r#"{{"{region}": "EU", "leadsource": "Cold Call"}}"#));
        assert_eq!(unsafe { crm_record_update(st.0, d, bad.as_ptr(), &mut out) }, crm_status::Validation);
        // Stage meta: probability default of a stage.
        ok(unsafe { crm_stage_meta_set(st.0, s("Prospecting").as_ptr(), s("open").as_ptr(), s("15").as_ptr()) });
        let p = deal(&st, "P", "Prospecting", "100", "2027-02-01");
        assert_eq!(get(&st, p)["probability"], "15.000");
        assert_eq!(
            unsafe { crm_stage_meta_set(st.0, s("Prospecting").as_ptr(), s("maybe").as_ptr(), s("15").as_ptr(),) },
            crm_status::InvalidArgument
        );
        // Refused edits: CRM_STATUS_SCHEMA, nothing changed.
        assert_eq!(unsafe { crm_field_delete(st.0, s("Potentials").as_ptr(), s("amount").as_ptr()) }, crm_status::Schema);
        assert_eq!(code(), "schema");
        assert_eq!(unsafe { crm_schema_apply(st.0, s(r#"{"op": "frobnicate"}"#).as_ptr(), ptr::null_mut()) }, crm_status::InvalidArgument);
        // A field not in use can go; an empty custom block too.
        let tmp =
            json_of(|o| unsafe { crm_field_add(st.0, s("Potentials").as_ptr(), s(r#"{"label": "Tmp", "type": "text"}"#).as_ptr(), o) });
        ok(unsafe { crm_field_delete(st.0, s("Potentials").as_ptr(), s(tmp["name"].as_str().unwrap()).as_ptr()) });
        let b2 = json_of(|o| unsafe { crm_block_add(st.0, s("Potentials").as_ptr(), s("Empty").as_ptr(), o) });
        ok(unsafe { crm_blocks_reorder(st.0, s("Potentials").as_ptr(), s(r#"["Empty"]"#).as_ptr()) });
        ok(unsafe { crm_block_delete(st.0, s("Potentials").as_ptr(), s(b2["name"].as_str().unwrap()).as_ptr()) });
        let mut reloaded = true;
        ok(unsafe { crm_schema_refresh(st.0, &mut reloaded) });
        assert!(!reloaded);
        // The change log names every edit.
        let log = json_of(|o| unsafe { crm_schema_changes(st.0, o) });
        let ops: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["change"]["op"].as_str().unwrap()).collect();
        for op in [
            "add_field",
            "add_block",
            "move_field",
            "rename_block",
            "reorder_fields",
            "update_field",
            "add_picklist_values",
            "reorder_picklist",
            "rename_picklist_value",
            "delete_picklist_values",
            "set_picklist_value_roles",
            "set_picklist_dependency",
            "set_stage_meta",
            "delete_field",
            "reorder_blocks",
            "delete_block",
        ] {
            assert!(ops.contains(&op), "{op} missing from {ops:?}");
        }
    }
}

#[test]
fn pipeline_reports_by_every_grouping_with_filter_and_as_of() {
    for st in both() {
        deal(&st, "A", "Prospecting", "1000.10", "2027-01-15");
        deal(&st, "B", "Prospecting", "2000", "2027-04-15");
        let c = deal(&st, "C", "Closed Won", "500", "2027-02-01");
        ok(unsafe { crm_record_update(st.0, c, s(r#"{"assigned_user_id": "jdoe"}"#).as_ptr(), ptr::null_mut()) });
        let report = |by: &str, filter: Option<&str>, as_of: Option<&str>| {
            let f = filter.map(s);
            let a = as_of.map(s);
            json_of(|o| unsafe {
                crm_pipeline(
                    st.0,
                    s(by).as_ptr(),
                    f.as_ref().map_or(ptr::null(), |x| x.as_ptr()),
                    a.as_ref().map_or(ptr::null(), |x| x.as_ptr()),
                    o,
                )
            })
        };
        let by_stage = report("stage", None, None);
        assert_eq!(by_stage[0]["key"], "Closed Won");
        assert_eq!(by_stage[0]["amount"], "500.00");
        assert_eq!(by_stage[1], json!({"key": "Prospecting", "count": 2, "amount": "3000.10", "forecast_amount": "300.0100"}));
        let kinds = report("kind", None, None);
        assert_eq!(kinds[0]["key"], "open");
        assert_eq!(kinds[1]["key"], "won");
        let owners = report("owner", None, None);
        assert_eq!(owners.as_array().unwrap().len(), 2);
        assert_eq!(report("month", None, None)[0]["key"], "2027-01");
        assert_eq!(report("close_quarter", None, None)[1]["key"], "2027-Q2");
        assert_eq!(report("year", None, None), json!([{"key": "2027", "count": 3, "amount": "3500.10", "forecast_amount": "800.0100"}]));
        assert_eq!(report("total", None, None)[0]["key"], "all");
        let jdoe = json_of(|o| unsafe { crm_user_get(st.0, s("jdoe").as_ptr(), o) });
        let by_owner = format!(r#"[{{"field": "assigned_user_id", "op": "=", "value": {}}}]"#, jdoe["id"]);
        let filtered = report("total", Some(&by_owner), None);
        assert_eq!(filtered[0]["count"], 1);
        // Before anything existed: empty.
        assert_eq!(report("stage", None, Some("2000-01-01")), json!([]));
        assert_eq!(report("stage", None, Some("2999-12-31"))[1]["count"], 2);
        let mut out = ptr::null_mut();
        assert_eq!(unsafe { crm_pipeline(st.0, s("weekly").as_ptr(), ptr::null(), ptr::null(), &mut out,) }, crm_status::InvalidArgument);
        assert_eq!(
            unsafe { crm_pipeline(st.0, s("stage").as_ptr(), ptr::null(), s("31/12/2027").as_ptr(), &mut out,) },
            crm_status::InvalidArgument
        );
        assert_eq!(unsafe { crm_pipeline(st.0, s("stage").as_ptr(), s("[{").as_ptr(), ptr::null(), &mut out,) }, crm_status::InvalidJson);
        assert!(out.is_null());
    }
}

/// The mailer: user data counts calls; mails to jdoe fail.
unsafe extern "C" fn test_mailer(user_data: *mut c_void, mail_json: *const c_char, reply: *mut crm_callback_reply) -> i32 {
    let calls = unsafe { &mut *user_data.cast::<u32>() };
    *calls += 1;
    let mail = unsafe { CStr::from_ptr(mail_json) }.to_str().unwrap();
    if mail.contains("jdoe@example.com") {
        unsafe { crm_callback_reply_set(reply, c"mailbox full".as_ptr()) };
        1
    } else {
        0
    }
}

/// A workflow function: sets `nextstep` from the record's name; fails for a deal named "fail".
unsafe extern "C" fn test_function(user_data: *mut c_void, record_json: *const c_char, reply: *mut crm_callback_reply) -> i32 {
    let prefix = unsafe { CStr::from_ptr(user_data.cast::<c_char>()) }.to_str().unwrap();
    let record: J = serde_json::from_str(unsafe { CStr::from_ptr(record_json) }.to_str().unwrap()).unwrap();
    let name = record["potentialname"].as_str().unwrap_or("");
    if name == "fail" {
        unsafe { crm_callback_reply_set(reply, c"the host says no".as_ptr()) };
        return 7;
    }
    let fields = s(&json!({ "nextstep": format!("{prefix} {name}") }).to_string());
    unsafe { crm_callback_reply_set(reply, fields.as_ptr()) };
    0
}

/// A workflow function that calls back into the store it runs for (refused, not a deadlock).
unsafe extern "C" fn reentrant_function(user_data: *mut c_void, _record_json: *const c_char, reply: *mut crm_callback_reply) -> i32 {
    let st = user_data.cast::<crm_store>();
    let mut out = ptr::null_mut();
    let status = unsafe { crm_record_get(st, 1, &mut out) };
    let text = s(&format!("inner call: {}", status as u32));
    unsafe { crm_callback_reply_set(reply, text.as_ptr()) };
    1
}

#[test]
fn workflows_outbox_delivery_and_host_functions() {
    for st in both() {
        // The two default workflows are there.
        let wfs = json_of(|o| unsafe { crm_workflows(st.0, s("Opportunities").as_ptr(), o) });
        assert_eq!(wfs.as_array().unwrap().len(), 2);
        let all = json_of(|o| unsafe { crm_workflows(st.0, ptr::null(), o) });
        assert_eq!(all, wfs);
        // vtiger JSON (the sample file) and typed JSON.
        // A copy of shared/data/vtiger_workflows.json, kept with crm-core's tests.
        let sample = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../crm-core/tests/data/vtiger_workflows.json"));
        assert!(sample.is_ok(), "sample workflows file");
        if let Ok(sample) = sample {
            let added = json_of(|o| unsafe { crm_workflows_add_vtiger(st.0, s(&sample).as_ptr(), o) });
            assert!(!added.as_array().unwrap().is_empty());
            for w in added.as_array().unwrap() {
                ok(unsafe { crm_workflow_delete(st.0, id(w)) });
            }
        }
        let typed = json!({
            "module": "Potentials", "name": "Next step", "trigger": {"on": "modify"},
            "condition": {"all": []},
            "tasks": [{"summary": "host", "action": {"type": "custom_function", "name": "nextstep"}}]
        });
        let wf = json_of(|o| unsafe { crm_workflow_add(st.0, s(&typed.to_string()).as_ptr(), o) });
        let wf_id = id(&wf);
        assert!(wf_id > 0);
        assert_eq!(json_of(|o| unsafe { crm_workflow_get(st.0, wf_id, o) })["name"], "Next step");
        let mut edited = wf.clone();
        edited["description"] = json!("calls the host");
        let upd = json_of(|o| unsafe { crm_workflow_update(st.0, s(&edited.to_string()).as_ptr(), o) });
        assert_eq!(upd["description"], "calls the host");
        let vt = r#"{"workflowname": "Next step (vtiger)", "module_name": "Potentials", "execution_condition": 4, "test": "[]",
                     "tasks": [{"summary": "host", "active": true, "task_type": "VTEntityMethodTask", "methodName": "nextstep"}]}"#;
        let upd = json_of(|o| unsafe { crm_workflow_update_vtiger(st.0, wf_id, s(vt).as_ptr(), o) });
        assert_eq!(upd["name"], "Next step (vtiger)");
        assert_eq!(upd["id"], wf_id);
        let mut out = ptr::null_mut();
        assert_eq!(
            unsafe {
                crm_workflow_add(st.0, s(r#"{"module": "Potentials", "name": "x", "trigger": {"on": "whenever"}}"#).as_ptr(), &mut out)
            },
            crm_status::InvalidArgument
        );
        assert_eq!(unsafe { crm_workflow_get(st.0, 999_999, &mut out) }, crm_status::NotFound);

        // The host function: user data is a C string prefix that outlives the store.
        let prefix = s("call");
        ok(unsafe { crm_workflow_function_register(st.0, s("nextstep").as_ptr(), Some(test_function), prefix.as_ptr() as *mut c_void) });
        let d = deal(&st, "Hooli", "Prospecting", "1000", "2027-03-31");
        let u = json_of(|o| unsafe { crm_record_update(st.0, d, s(r#"{"amount": "2000"}"#).as_ptr(), o) });
        assert_eq!(u["nextstep"], "call Hooli");
        assert_eq!(u["forecast_amount"], "200.0000");
        // A failing host function fails the save, which stores nothing.
        let f = deal(&st, "fail", "Prospecting", "1", "2027-03-31");
        assert_eq!(unsafe { crm_record_update(st.0, f, s(r#"{"amount": "2"}"#).as_ptr(), &mut out) }, crm_status::InvalidArgument);
        assert!(msg().contains("the host says no"), "{}", msg());
        assert_eq!(get(&st, f)["amount"], "1.00");
        // A callback calling back into its own store is refused, the save fails cleanly, the store lives on.
        ok(unsafe { crm_workflow_function_register(st.0, s("nextstep").as_ptr(), Some(reentrant_function), st.0 as *mut c_void) });
        assert_eq!(unsafe { crm_record_update(st.0, d, s(r#"{"amount": "3000"}"#).as_ptr(), &mut out) }, crm_status::InvalidArgument);
        assert!(msg().contains(&format!("inner call: {}", crm_status::InvalidArgument as u32)), "{}", msg());
        assert_eq!(get(&st, d)["amount"], "2000.00");
        assert_eq!(unsafe { crm_workflow_function_register(st.0, s("x").as_ptr(), None, ptr::null_mut()) }, crm_status::NullPointer);

        // Dry run: nothing written, the trace says what would happen.
        ok(unsafe { crm_workflow_set_active(st.0, wf_id, false) });
        assert_eq!(json_of(|o| unsafe { crm_workflow_get(st.0, wf_id, o) })["active"], false);
        let dry = json_of(|o| unsafe {
            crm_workflow_dry_run(
                st.0,
                s(r#"{"new": "Potentials"}"#).as_ptr(),
                s(r#"{"potentialname": "Dry", "amount": "100", "sales_stage": "Qualification", "closingdate": "2027-05-01"}"#).as_ptr(),
                o,
            )
        });
        assert_eq!(dry["record"]["forecast_amount"], "20.0000");
        assert!(dry["workflows"].as_array().unwrap().iter().any(|t| t["fired"] == true));
        let dry = json_of(|o| unsafe {
            crm_workflow_dry_run(st.0, s(&format!(r#"{{"record": {d}}}"#)).as_ptr(), s(r#"{"amount": "10"}"#).as_ptr(), o)
        });
        assert_eq!(dry["record"]["amount"], "10.00");
        assert_eq!(get(&st, d)["amount"], "2000.00");
        // Manual run of one workflow for one record.
        let forecast = wfs.as_array().unwrap().iter().find(|w| w["name"] == "Calculate or Update forecast amount").unwrap();
        let trace = json_of(|o| unsafe { crm_workflow_run(st.0, id(forecast), d, o) });
        assert_eq!(trace["fired"], true);
        // Nothing scheduled is due; no delayed tasks.
        let report = json_of(|o| unsafe { crm_workflows_run_due(st.0, s("2027-01-01 09:00:00").as_ptr(), o) });
        assert_eq!(report, json!({"workflows": 0, "records": 0, "delayed_tasks": 0, "mails": 0, "failures": []}));
        ok(unsafe { crm_workflows_run_due(st.0, ptr::null(), ptr::null_mut()) });
        assert_eq!(unsafe { crm_workflows_run_due(st.0, s("soon").as_ptr(), ptr::null_mut()) }, crm_status::InvalidArgument);
        assert_eq!(json_of(|o| unsafe { crm_workflow_queued_tasks(st.0, o) }), json!([]));
        ok(unsafe { crm_store_set_time_zone(st.0, s("Europe/Berlin").as_ptr()) });
        assert_eq!(unsafe { crm_store_set_time_zone(st.0, s("Mars/Olympus").as_ptr()) }, crm_status::InvalidArgument);
        ok(unsafe { crm_store_set_site_url(st.0, s("https://crm.example.com").as_ptr()) });

        // The outbox: one creation mail per deal so far (to admin), one to jdoe now.
        ok(unsafe { crm_store_set_actor(st.0, s("jdoe").as_ptr()) });
        deal(&st, "For jdoe", "Prospecting", "5", "2027-03-31");
        let mails = json_of(|o| unsafe { crm_outbox(st.0, o) });
        let mails = mails.as_array().unwrap().clone();
        assert_eq!(mails.len(), 3, "{mails:?}");
        assert!(mails.iter().all(|m| m["status"] == "queued"));
        // Mark one sent and one failed by hand, deliver the rest through the host mailer.
        ok(unsafe { crm_outbox_mark_sent(st.0, id(&mails[0])) });
        ok(unsafe { crm_outbox_mark_failed(st.0, id(&mails[1]), s("smtp down").as_ptr()) });
        assert_eq!(unsafe { crm_outbox_mark_sent(st.0, 999_999) }, crm_status::NotFound);
        let after = json_of(|o| unsafe { crm_outbox(st.0, o) });
        assert_eq!(after[1]["error"], "smtp down");
        let mut calls = 0u32;
        let report = json_of(|o| unsafe { crm_outbox_deliver(st.0, Some(test_mailer), (&mut calls as *mut u32).cast(), o) });
        assert_eq!(calls, 2);
        assert_eq!(report, json!({"sent": 1, "failed": 1}));
        let after = json_of(|o| unsafe { crm_outbox(st.0, o) });
        let jdoe = after.as_array().unwrap().iter().find(|m| m["to"][0] == "jdoe@example.com").unwrap();
        assert_eq!(jdoe["status"], "failed");
        assert_eq!(jdoe["error"], "mailbox full");
        assert_eq!(unsafe { crm_outbox_deliver(st.0, None, ptr::null_mut(), ptr::null_mut()) }, crm_status::NullPointer);
        ok(unsafe { crm_workflow_delete(st.0, wf_id) });
        assert_eq!(unsafe { crm_workflow_delete(st.0, wf_id) }, crm_status::NotFound);
    }
}

#[test]
fn views_filters_search_and_keyset_pages() {
    for st in both() {
        for i in 0..5 {
            deal(&st, &format!("Deal {i}"), if i % 2 == 0 { "Prospecting" } else { "Closed Won" }, &format!("{}00", i + 1), "2027-03-31");
        }
        let filters = json_of(|o| unsafe { crm_filters(st.0, s("Potentials").as_ptr(), o) });
        assert!(filters.as_array().unwrap().iter().any(|f| f["name"] == "All"));
        let default = json_of(|o| unsafe { crm_filter_get(st.0, s("Potentials").as_ptr(), ptr::null(), o) });
        assert!(default["id"].as_i64().is_some());
        let won = json_of(|o| unsafe { crm_filter_get(st.0, s("Potentials").as_ptr(), s("Potentials Won").as_ptr(), o) });
        let list =
            json_of(|o| unsafe { crm_list(st.0, s("Potentials").as_ptr(), s("Potentials Won").as_ptr(), s("-amount").as_ptr(), 1, 10, o) });
        assert_eq!(list["total"], 2);
        assert_eq!(list["filter"]["id"], won["id"]);
        assert_eq!(list["records"][0]["amount"], "400.00");
        // A saved filter of our own.
        let mine = json!({"name": "Big", "module": "Potentials", "visibility": "public",
                          "all": [{"field": "amount", "comparator": "g", "value": "250"}], "sort": [{"field": "amount", "descending": false}]});
        let saved = json_of(|o| unsafe { crm_filter_save(st.0, s(&mine.to_string()).as_ptr(), o) });
        let page = json_of(|o| unsafe { crm_list(st.0, s("Potentials").as_ptr(), s("Big").as_ptr(), ptr::null(), 1, 2, o) });
        assert_eq!(page["total"], 3);
        assert_eq!(page["records"].as_array().unwrap().len(), 2);
        assert_eq!(page["records"][0]["amount"], "300.00");
        ok(unsafe { crm_filter_delete(st.0, s("Potentials").as_ptr(), id(&saved)) });
        let mut out = ptr::null_mut();
        assert_eq!(unsafe { crm_filter_get(st.0, s("Potentials").as_ptr(), s("Big").as_ptr(), &mut out) }, crm_status::NotFound);
        assert_eq!(unsafe { crm_filter_delete(st.0, s("Potentials").as_ptr(), id(&won)) }, crm_status::Conflict);
        // Search.
        let found = json_of(|o| unsafe { crm_search(st.0, s("Potentials").as_ptr(), s("deal 3").as_ptr(), 1, 10, o) });
        assert_eq!(found["total"], 1);
        let found = json_of(|o| unsafe {
            crm_search_columns(st.0, s("Potentials").as_ptr(), s(r#"{"sales_stage": "Closed Won"}"#).as_ptr(), 1, 10, o)
        });
        assert_eq!(found["total"], 2);
        // Keyset pages walk everything once.
        let q = s(r#"{"module": "Potentials", "sort": ["amount"]}"#);
        let mut cursor: Option<String> = None;
        let mut seen = vec![];
        loop {
            let c = cursor.as_deref().map(s);
            let p = json_of(|o| unsafe { crm_record_page_after(st.0, q.as_ptr(), c.as_ref().map_or(ptr::null(), |x| x.as_ptr()), 2, o) });
            seen.extend(p["records"].as_array().unwrap().iter().map(|r| r["amount"].as_str().unwrap().to_string()));
            if p["cursor"].is_null() {
                break;
            }
            cursor = Some(p["cursor"].to_string());
        }
        assert_eq!(seen, ["100.00", "200.00", "300.00", "400.00", "500.00"]);
        assert_eq!(unsafe { crm_record_page_after(st.0, q.as_ptr(), s(r#"{"last": "#).as_ptr(), 2, &mut out) }, crm_status::InvalidJson);
        // View settings.
        ok(unsafe { crm_view_settings_set(st.0, s(r#"{"week_start": "Mon", "fiscal_year_start_month": 4}"#).as_ptr()) });
        assert_eq!(json_of(|o| unsafe { crm_view_settings_get(st.0, o) })["fiscal_year_start_month"], 4);
        assert_eq!(
            unsafe { crm_view_settings_set(st.0, s(r#"{"week_start": "Mon", "fiscal_year_start_month": 13}"#).as_ptr(),) },
            crm_status::InvalidArgument
        );
    }
}

#[test]
fn mass_actions_report_each_record() {
    for st in both() {
        let a = deal(&st, "A", "Prospecting", "100", "2027-03-31");
        let b = deal(&st, "B", "Prospecting", "200", "2027-03-31");
        let ids = s(&format!("[{a}, {b}, 999999]"));
        let r = json_of(|o| unsafe { crm_mass_edit(st.0, ids.as_ptr(), s(r#"{"sales_stage": "Qualification"}"#).as_ptr(), o) });
        assert_eq!(r["succeeded"], json!([a, b]));
        assert_eq!(r["failed"][0]["id"], 999999);
        assert_eq!(r["failed"][0]["status"], crm_status::NotFound as u32);
        assert_eq!(get(&st, a)["probability"], "20.000");
        let r = json_of(|o| unsafe { crm_mass_edit(st.0, s(&format!("[{a}]")).as_ptr(), s(r#"{"amount": "12abc"}"#).as_ptr(), o) });
        assert_eq!(r["failed"][0]["code"], "validation");
        assert_eq!(r["failed"][0]["errors"][0]["field"], "amount");
        let r = json_of(|o| unsafe { crm_mass_transfer(st.0, ids.as_ptr(), s("jdoe").as_ptr(), o) });
        assert_eq!(r["succeeded"].as_array().unwrap().len(), 2);
        let r = json_of(|o| unsafe { crm_mass_comment(st.0, ids.as_ptr(), s("Called").as_ptr(), o) });
        assert_eq!(r["succeeded"].as_array().unwrap().len(), 2);
        assert_eq!(json_of(|o| unsafe { crm_comments(st.0, b, o) })[0]["text"], "Called");
        let r = json_of(|o| unsafe { crm_mass_delete(st.0, ids.as_ptr(), o) });
        assert_eq!(r["succeeded"], json!([a, b]));
        assert_eq!(get(&st, a)["deleted"], true);
        ok(unsafe { crm_mass_delete(st.0, s("[]").as_ptr(), ptr::null_mut()) });
        assert_eq!(unsafe { crm_mass_delete(st.0, s(r#"["a"]"#).as_ptr(), ptr::null_mut()) }, crm_status::InvalidArgument);
    }
}

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
        let org = get(&st, conv["account"].as_i64().unwrap());
        assert_eq!(org["accountname"], "Initech");
        assert_eq!(org["bill_city"], "Palo Alto");
        let pot = get(&st, conv["potential"].as_i64().unwrap());
        assert_eq!(pot["potentialname"], "Initech");
        assert_eq!(pot["amount"], "25000.00");
        assert_eq!(get(&st, conv["contact"].as_i64().unwrap())["lastname"], "Hendricks");
        assert_eq!(unsafe { crm_lead_convert(st.0, lead, ptr::null(), &mut out) }, crm_status::Conflict);
        // An opportunity for an existing contact, and for a new customer.
        let contact = conv["contact"].as_i64().unwrap();
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
        assert_eq!(get(&st, n["potential"].as_i64().unwrap())["related_to"], n["account"]);
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
        assert_eq!(n2["contact"], J::Null);
        assert_eq!(
            unsafe {
                crm_opportunity_create_for_new_customer(st.0, ptr::null(), ptr::null(), s(r#"{"potentialname": ""}"#).as_ptr(), &mut out)
            },
            crm_status::Validation
        );
    }
}

#[test]
fn callback_reply_checks_its_arguments() {
    assert_eq!(unsafe { crm_callback_reply_set(ptr::null_mut(), c"x".as_ptr()) }, crm_status::NullPointer);
    let mut reply = crate::callback::Reply::default();
    assert_eq!(unsafe { crm_callback_reply_set(reply.as_ptr(), ptr::null()) }, crm_status::NullPointer);
    let bad = [0xffu8, 0];
    assert_eq!(unsafe { crm_callback_reply_set(reply.as_ptr(), bad.as_ptr().cast()) }, crm_status::InvalidUtf8);
    ok(unsafe { crm_callback_reply_set(reply.as_ptr(), c"fine".as_ptr()) });
    assert_eq!(reply.text.as_deref(), Some("fine"));
    assert_eq!(unsafe { CStr::from_ptr(crm_status_str(crm_status::Schema as u32)) }, c"schema change refused");
}

unsafe extern "C" fn count_progress(user_data: *mut c_void, rows_done: u64) {
    let seen = unsafe { &mut *user_data.cast::<Vec<u64>>() };
    seen.push(rows_done);
}

#[test]
fn import_with_progress_undo_mappings_and_export() {
    for st in both() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("deals.csv");
        std::fs::write(
            &csv,
            "Deal,Amount,Stage,Close\nA,1000.10,Prospecting,2027-01-31\nB,12abc,Prospecting,2027-01-31\nC,300,Qualification,2027-02-28\n",
        )
        .unwrap();
        let csv_path = s(csv.to_str().unwrap());
        // A saved mapping, used as the import's mapping.
        let mapping = r#"{"Deal": "potentialname", "Amount": "amount", "Stage": "sales_stage", "Close": "closingdate"}"#;
        ok(unsafe { crm_mapping_save(st.0, s("Potentials").as_ptr(), s("mine").as_ptr(), s(mapping).as_ptr()) });
        let saved = json_of(|o| unsafe { crm_mappings(st.0, s("Potentials").as_ptr(), o) });
        assert_eq!(saved[0]["name"], "mine");
        assert_eq!(saved[0]["mapping"]["Deal"], "potentialname");
        assert_eq!(
            unsafe { crm_mapping_save(st.0, s("Potentials").as_ptr(), s("bad").as_ptr(), s(r#"{"X": "nosuchfield"}"#).as_ptr(),) },
            crm_status::InvalidArgument
        );
        let options = json!({ "mapping": saved[0]["mapping"], "batch_size": 1 }).to_string();
        let mut seen: Vec<u64> = vec![];
        let report = json_of(|o| unsafe {
            crm_import_csv(
                st.0,
                csv_path.as_ptr(),
                s("Potentials").as_ptr(),
                s(&options).as_ptr(),
                Some(count_progress),
                (&mut seen as *mut Vec<u64>).cast(),
                o,
            )
        });
        assert_eq!((report["rows"].as_u64(), report["created"].as_u64(), report["failed"].as_u64()), (Some(3), Some(2), Some(1)));
        assert_eq!(report["row_reports"][0]["line"], 3);
        assert_eq!(seen.last(), Some(&3), "{seen:?}");
        assert!(seen.len() >= 2 && seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
        let import_id = report["import_id"].as_i64().unwrap();
        let imports = json_of(|o| unsafe { crm_imports(st.0, o) });
        assert_eq!(imports[0]["id"], import_id);
        let rows = json_of(|o| unsafe { crm_import_rows(st.0, import_id, o) });
        assert_eq!(rows.as_array().unwrap().len(), 2);
        // Export: all, by ids, one page, with options.
        let out_csv = dir.path().join("out.csv");
        let out_path = s(out_csv.to_str().unwrap());
        let mut n = 0u64;
        ok(unsafe { crm_export_csv(st.0, s("Potentials").as_ptr(), out_path.as_ptr(), ptr::null(), ptr::null(), &mut n) });
        assert_eq!(n, 2);
        let text = std::fs::read_to_string(&out_csv).unwrap();
        assert!(text.starts_with("Opportunity Name"), "{text}");
        assert!(text.contains("1000.10"));
        let first = rows[0]["record"].as_i64().unwrap();
        ok(unsafe {
            crm_export_csv(
                st.0,
                s("Potentials").as_ptr(),
                out_path.as_ptr(),
                s(&format!(r#"{{"ids": [{first}]}}"#)).as_ptr(),
                s(r#"{"columns": ["potentialname", "amount"], "header": "names"}"#).as_ptr(),
                &mut n,
            )
        });
        assert_eq!(n, 1);
        assert_eq!(std::fs::read_to_string(&out_csv).unwrap().lines().next(), Some("potentialname,amount"));
        ok(unsafe {
            crm_export_csv(
                st.0,
                s("Potentials").as_ptr(),
                out_path.as_ptr(),
                s(r#"{"query": {"module": "Potentials", "sort": ["amount"]}, "page": 1, "size": 1}"#).as_ptr(),
                ptr::null(),
                &mut n,
            )
        });
        assert_eq!(n, 1);
        assert!(std::fs::read_to_string(&out_csv).unwrap().contains("300.00"));
        assert_eq!(
            unsafe {
                crm_export_csv(st.0, s("Potentials").as_ptr(), out_path.as_ptr(), s(r#"{"everything": 1}"#).as_ptr(), ptr::null(), &mut n)
            },
            crm_status::InvalidArgument
        );
        let nowhere = s(dir.path().join("no/such/dir/x.csv").to_str().unwrap());
        assert_eq!(
            unsafe { crm_export_csv(st.0, s("Potentials").as_ptr(), nowhere.as_ptr(), ptr::null(), ptr::null(), &mut n,) },
            crm_status::Io
        );
        // Undo takes the import back, once.
        let undo = json_of(|o| unsafe { crm_import_undo(st.0, import_id, o) });
        assert_eq!(undo, json!({"deleted": 2, "restored": 0}));
        assert_eq!(unsafe { crm_import_undo(st.0, import_id, ptr::null_mut()) }, crm_status::Conflict);
        assert_eq!(unsafe { crm_import_undo(st.0, 999_999, ptr::null_mut()) }, crm_status::NotFound);
        ok(unsafe { crm_mapping_delete(st.0, s("Potentials").as_ptr(), s("MINE").as_ptr()) });
        assert_eq!(unsafe { crm_mapping_delete(st.0, s("Potentials").as_ptr(), s("mine").as_ptr()) }, crm_status::NotFound);
        // vCard import with an opportunity per new contact, and vCard export.
        let vcf = dir.path().join("c.vcf");
        std::fs::write(
            &vcf,
            "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Smith;Jane;;;\r\nFN:Jane Smith\r\nORG:Acme Corp\r\nEMAIL:jane@acme.example\r\nEND:VCARD\r\n\
             BEGIN:VCARD\r\nVERSION:4.0\r\nN:Rahimi;Ahmad;;;\r\nFN:Ahmad Rahimi\r\nEND:VCARD\r\n",
        )
        .unwrap();
        let mut seen: Vec<u64> = vec![];
        let report = json_of(|o| unsafe {
            crm_import_vcard(
                st.0,
                s(vcf.to_str().unwrap()).as_ptr(),
                s(r#"{"opportunity": {"name_template": "{organization} deal", "sales_stage": "Prospecting", "close_in_days": 10}}"#)
                    .as_ptr(),
                Some(count_progress),
                (&mut seen as *mut Vec<u64>).cast(),
                o,
            )
        });
        assert_eq!(report["created"], 2, "{report}");
        assert_eq!(seen.last(), Some(&2));
        let mut count = 0u64;
        ok(unsafe {
            crm_record_count(
                st.0,
                s(r#"{"module": "Potentials", "conditions": [{"field": "potentialname", "op": "=", "value": "Acme Corp deal"}]}"#).as_ptr(),
                &mut count,
            )
        });
        assert_eq!(count, 1);
        let out_vcf = dir.path().join("out.vcf");
        ok(unsafe { crm_export_vcard(st.0, s(out_vcf.to_str().unwrap()).as_ptr(), ptr::null(), s("3.0").as_ptr(), &mut n) });
        assert_eq!(n, 2);
        let cards = std::fs::read_to_string(&out_vcf).unwrap();
        assert!(cards.contains("VERSION:3.0") && cards.contains("ORG:Acme Corp"), "{cards}");
        assert_eq!(
            unsafe { crm_export_vcard(st.0, s(out_vcf.to_str().unwrap()).as_ptr(), ptr::null(), s("5.0").as_ptr(), &mut n,) },
            crm_status::InvalidArgument
        );
        // Errors: missing file, bad options, no progress callback is fine.
        let mut out = ptr::null_mut();
        let missing = s(dir.path().join("missing.csv").to_str().unwrap());
        assert_eq!(
            unsafe { crm_import_csv(st.0, missing.as_ptr(), s("Potentials").as_ptr(), ptr::null(), None, ptr::null_mut(), &mut out,) },
            crm_status::Io
        );
        assert_eq!(
            unsafe {
                crm_import_csv(
                    st.0,
                    csv_path.as_ptr(),
                    s("Potentials").as_ptr(),
                    s(r#"{"batch_size": "many"}"#).as_ptr(),
                    None,
                    ptr::null_mut(),
                    &mut out,
                )
            },
            crm_status::InvalidArgument
        );
        let dry = json_of(|o| unsafe {
            crm_import_csv(
                st.0,
                csv_path.as_ptr(),
                s("Potentials").as_ptr(),
                s(&json!({"mapping": saved[0]["mapping"], "dry_run": true}).to_string()).as_ptr(),
                None,
                ptr::null_mut(),
                o,
            )
        });
        assert_eq!(dry["dry_run"], true);
        assert!(out.is_null());
    }
}

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
fn unregistered_functions_are_listed_until_registered() {
    for st in both() {
        let typed = json!({
            "module": "Potentials", "name": "Hosted", "trigger": {"on": "every_save"},
            "tasks": [{"summary": "f", "action": {"type": "custom_function", "name": "scoreDeal"}}]
        });
        let wf = json_of(|o| unsafe { crm_workflow_add(st.0, s(&typed.to_string()).as_ptr(), o) });
        assert_eq!(
            json_of(|o| unsafe { crm_workflow_unregistered_functions(st.0, o) }),
            json!([{"workflow": id(&wf), "name": "scoreDeal"}])
        );
        let prefix = s("call");
        ok(unsafe { crm_workflow_function_register(st.0, s("scoreDeal").as_ptr(), Some(test_function), prefix.as_ptr() as *mut c_void) });
        assert_eq!(json_of(|o| unsafe { crm_workflow_unregistered_functions(st.0, o) }), json!([]));
        assert_eq!(unsafe { crm_workflow_unregistered_functions(st.0, ptr::null_mut()) }, crm_status::NullPointer);
    }
}

#[test]
fn run_due_reports_failed_delayed_tasks_and_runs_the_rest() {
    for st in both() {
        let typed = json!({
            "module": "Potentials", "name": "Later", "trigger": {"on": "first_save"},
            "tasks": [
                {"summary": "bad", "delay": {"days": 1, "field": "closingdate"},
                 "action": {"type": "update_fields", "updates": [{"fieldname": "sales_stage", "value": "Nonsense"}]}},
                {"summary": "good", "delay": {"days": 1, "field": "closingdate"},
                 "action": {"type": "update_fields", "updates": [{"fieldname": "nextstep", "value": "ping"}]}}
            ]
        });
        let wf = json_of(|o| unsafe { crm_workflow_add(st.0, s(&typed.to_string()).as_ptr(), o) });
        let d = deal(&st, "Delayed", "Prospecting", "1", "2027-03-31");
        let report = json_of(|o| unsafe { crm_workflows_run_due(st.0, s("2027-04-02 12:00:00").as_ptr(), o) });
        assert_eq!(report["delayed_tasks"], 1, "{report}");
        let failures = report["failures"].as_array().unwrap();
        assert_eq!(failures.len(), 1, "{report}");
        assert_eq!((&failures[0]["workflow"], &failures[0]["record"], &failures[0]["task"]), (&json!(id(&wf)), &json!(d), &json!(0)));
        assert!(failures[0]["error"].as_str().unwrap().contains("sales_stage"), "{report}");
        assert_eq!(get(&st, d)["nextstep"], "ping");
        let again = json_of(|o| unsafe { crm_workflows_run_due(st.0, s("2027-04-02 12:00:00").as_ptr(), o) });
        assert_eq!(again["failures"], json!([]));
    }
}

#[test]
fn schema_getters_see_another_handles_change_on_one_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("two.db").to_str().unwrap().to_string();
    let a = open_at(&file, None);
    let mut p = ptr::null_mut();
    ok(unsafe { crm_store_open(s(&file).as_ptr(), &mut p) });
    let b = Store(p, None);
    let labels = |st: &Store| -> Vec<String> {
        json_of(|o| unsafe { crm_module_fields(st.0, s("Potentials").as_ptr(), o) })
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["label"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert!(!labels(&b).contains(&"Region".to_string()));
    let f = json_of(|o| unsafe {
        crm_field_add(a.0, s("Potentials").as_ptr(), s(r#"{"label": "Region", "type": "picklist", "values": ["EU", "US"]}"#).as_ptr(), o)
    });
    // b never calls crm_schema_refresh: both getters read the schema in force in the file.
    assert!(labels(&b).contains(&"Region".to_string()));
    let schema = json_of(|o| unsafe { crm_schema_json(b.0, o) });
    let a_schema = json_of(|o| unsafe { crm_schema_json(a.0, o) });
    assert_eq!(schema["version"], a_schema["version"]);
    assert!(schema.to_string().contains(f["name"].as_str().unwrap()));
    drop(a);
    drop(b);
    drop(dir);
}

#[test]
fn conditions_and_expressions_over_stored_records() {
    for st in both() {
        let big = deal(&st, "Big", "Prospecting", "5000.50", "2027-03-31");
        let small = deal(&st, "Small", "Closed Won", "100.00", "2027-01-15");
        let gone = deal(&st, "Gone", "Prospecting", "9000", "2027-02-01");
        ok(unsafe { crm_record_delete(st.0, gone) });
        let org = id(&create(&st, "Accounts", r#"{"accountname": "Hooli"}"#));
        let cond = s(r#"[{"fieldname": "amount", "operation": "greater than", "value": "1000",
            "valuetype": "rawtext", "joincondition": "or", "groupid": 0},
            {"fieldname": "sales_stage", "operation": "is", "value": "Closed Won",
            "valuetype": "rawtext", "joincondition": "", "groupid": 0}]"#);
        let only_big = s(r#"[{"fieldname": "amount", "operation": "greater than", "value": "1000",
            "valuetype": "rawtext", "joincondition": "", "groupid": 0}]"#);
        let matches = |module: &str, cond: &CString, ids: &str| {
            let (module, ids) = (s(module), s(ids));
            let mut out = ptr::null_mut();
            let rc = unsafe { crm_condition_matches(st.0, module.as_ptr(), cond.as_ptr(), ids.as_ptr(), &mut out) };
            (rc, out)
        };
        // The ids that match, in the order given; the label works as module name.
        let got = json_of(|o| unsafe {
            crm_condition_matches(st.0, s("Potentials").as_ptr(), cond.as_ptr(), s(&format!("[{small}, {big}]")).as_ptr(), o)
        });
        assert_eq!(got, json!([small, big]));
        let got = json_of(|o| unsafe {
            crm_condition_matches(st.0, s("Opportunities").as_ptr(), only_big.as_ptr(), s(&format!("[{small}, {big}]")).as_ptr(), o)
        });
        assert_eq!(got, json!([big]));
        let got = json_of(|o| unsafe { crm_condition_matches(st.0, s("Potentials").as_ptr(), cond.as_ptr(), s("[]").as_ptr(), o) });
        assert_eq!(got, json!([]));
        // Unknown, deleted and other-module ids fail the whole call; the out-parameter stays untouched.
        for bad in [999_999, gone, org] {
            let (rc, out) = matches("Potentials", &cond, &format!("[{big}, {bad}]"));
            assert_eq!(rc, crm_status::NotFound, "{bad}: {}", msg());
            assert!(out.is_null());
            assert!(msg().contains(&bad.to_string()), "{}", msg());
        }
        assert_eq!(matches("NoSuchModule", &cond, "[]").0, crm_status::NotFound);
        assert_eq!(matches("Potentials", &s("[{"), "[]").0, crm_status::InvalidJson);
        assert_eq!(matches("Potentials", &cond, "[1,").0, crm_status::InvalidJson);
        assert_eq!(matches("Potentials", &cond, r#"["x"]"#).0, crm_status::InvalidArgument);
        let bad_field = s(r#"[{"fieldname": "nope", "operation": "is", "value": "x", "joincondition": "", "groupid": 0}]"#);
        assert_eq!(matches("Potentials", &bad_field, "[]").0, crm_status::InvalidArgument);
        assert!(msg().contains("nope"), "{}", msg());
        // Counting over the whole module (live records only) gives what matching selects.
        let count = |module: &str, cond: &CString| {
            let module = s(module);
            let mut n = u64::MAX;
            let rc = unsafe { crm_condition_count(st.0, module.as_ptr(), cond.as_ptr(), &mut n) };
            (rc, n)
        };
        assert_eq!(count("Potentials", &cond), (crm_status::Ok, 2));
        assert_eq!(count("Opportunities", &only_big), (crm_status::Ok, 1));
        assert_eq!(count("Potentials", &bad_field).0, crm_status::InvalidArgument);
        assert_eq!(count("NoSuchModule", &cond).0, crm_status::NotFound);
        assert_eq!(count("Potentials", &s("[{")).0, crm_status::InvalidJson);
        assert_eq!(unsafe { crm_condition_count(st.0, s("Potentials").as_ptr(), cond.as_ptr(), ptr::null_mut()) }, crm_status::NullPointer);

        let eval = |expr: &str, record: i64| {
            let (module, expr) = (s("Potentials"), s(expr));
            let mut out = ptr::null_mut();
            let rc = unsafe { crm_expression_eval(st.0, module.as_ptr(), expr.as_ptr(), record, &mut out) };
            if rc == crm_status::Ok {
                Ok(take(out))
            } else {
                assert!(out.is_null());
                Err(rc)
            }
        };
        assert_eq!(eval("amount * 2", big), Ok(json!("10001.00")));
        assert_eq!(eval("concat(potentialname, ' / ', sales_stage)", small), Ok(json!("Small / Closed Won")));
        assert_eq!(eval("amount > 1000", big), Ok(json!(true)));
        assert_eq!(eval("amount > 1000", small), Ok(json!(false)));
        assert_eq!(eval("closingdate", small), Ok(json!("2027-01-15")));
        assert_eq!(eval("description", small), Ok(J::Null));
        assert_eq!(eval("amount + nope(1)", big), Err(crm_status::InvalidArgument));
        assert_eq!(eval("no_such_field", big), Err(crm_status::InvalidArgument));
        assert_eq!(eval("amount", gone), Err(crm_status::NotFound));
        assert_eq!(eval("amount", org), Err(crm_status::NotFound));
        assert_eq!(eval("amount", 999_999), Err(crm_status::NotFound));
        let mut out = ptr::null_mut();
        let rc = unsafe { crm_expression_eval(st.0, ptr::null(), s("amount").as_ptr(), big, &mut out) };
        assert_eq!(rc, crm_status::NullPointer);
        let rc = unsafe { crm_expression_eval(st.0, s("Potentials").as_ptr(), s("amount").as_ptr(), big, ptr::null_mut()) };
        assert_eq!(rc, crm_status::NullPointer);
    }
}
