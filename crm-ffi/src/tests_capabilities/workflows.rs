//! Workflows and host callbacks: the outbox and its mailer, host workflow functions, re-entrant calls,
//! scheduled runs.

use super::*;

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
        // The mail failed by hand waits for its back-off; jdoe's queued mail is tried (and fails).
        assert_eq!(calls, 1);
        assert_eq!(report, json!({"sent": 0, "failed": 1, "given_up": []}));
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
