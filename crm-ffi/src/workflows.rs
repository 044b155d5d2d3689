//! Workflows, the scheduler, the outbox, mail delivery through a host callback, and host-implemented
//! workflow functions.
//!
//! Workflows cross as JSON in two shapes: crm-core's typed form (`{"id": 7, "module": "Potentials", "name":
//! .., "description": .., "active": true, "trigger": {"on": "every_save"}, "condition": {"all": [...]},
//! "tasks": [{"summary": .., "active": true, "delay": null, "action": {"type": "update_fields", ...}}],
//! "next_trigger": null, "default": false}`, as `crm_workflows` returns it) and vtiger's export shape
//! (`workflowname`, `module_name`, `execution_condition`, `test`, `tasks` with `task_type`; see
//! `shared/data/vtiger_workflows.json`).
//!
//! ## Host callbacks
//! * `crm_mailer` — called by `crm_outbox_deliver` for each queued or failed mail, during that call only.
//! * `crm_workflow_function` — registered with `crm_workflow_function_register`; called by "invoke custom
//!   function" tasks (vtiger `VTEntityMethodTask`, `methodName`) during any later write on the store.
//!
//! Both run **while the store is locked**, on the thread that made the crm call: they must not call crm on
//! the same store (refused with `CRM_STATUS_INVALID_ARGUMENT`, code `reentrant_call`), must not unwind into
//! crm (no C++ exceptions or `longjmp`), and answer through [`crm_callback_reply_set`](crate::crm_callback_reply_set)
//! (crate::callback::crm_callback_reply_set).

use crate::args::{Out, arg_fields, arg_json, arg_opt_str, arg_str, fields_from_json};
use crate::boundary::{self, FfiError, FfiResult};
use crate::callback::{Reply, crm_callback_reply, guarded};
use crate::records::record_json;
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use crm_core::chrono::{DateTime, NaiveDateTime, Utc};
use crm_core::workflow::Workflow;
use crm_core::workflow::mail::{Mail, MailStatus, Mailer};
use crm_core::{DryRunTarget, Fields, Record, RecordId};
use std::ffi::{CString, c_char, c_void};

/// A host mailer: sends one mail given as JSON (`{"id": 3, "from": .., "reply_to": .., "to": [..], "cc":
/// [..], "bcc": [..], "subject": .., "body": .., "record": 7, "workflow": 2, "status": "queued", ...}`,
/// borrowed for the call). Returns 0 when the mail was sent; any other value when it was not, with the
/// reason set by `crm_callback_reply_set(reply, "message")` (the mail stays in the outbox as failed and is
/// tried again by the next delivery).
///
/// Thread-safety: called on the thread of `crm_outbox_deliver`, only during that call, while the store is
/// locked: it must not call crm on that store, and must not unwind (C++ exceptions, `longjmp`) into crm.
pub type crm_mailer = Option<unsafe extern "C" fn(user_data: *mut c_void, mail_json: *const c_char, reply: *mut crm_callback_reply) -> i32>;

/// A host workflow function for "invoke custom function" tasks: reads the record (JSON, borrowed for the
/// call, as `crm_record_get` returns it) and returns 0 after optionally setting, with
/// `crm_callback_reply_set(reply, "{\"field\": \"value\"}")`, a JSON object of fields to set on the
/// record (no reply: nothing to set). Any other return value fails the task — and the save that triggered
/// it, which then stores nothing — with the message given through `crm_callback_reply_set` (or a generic
/// one).
///
/// Thread-safety: called on whichever thread makes the write on the store, one call at a time per store
/// (the store is locked meanwhile): it must not call crm on that store, and must not unwind into crm.
pub type crm_workflow_function =
    Option<unsafe extern "C" fn(user_data: *mut c_void, record_json: *const c_char, reply: *mut crm_callback_reply) -> i32>;

fn c_json<S: serde::Serialize>(v: &S) -> Result<CString, String> {
    let text = serde_json::to_string(v).map_err(|e| format!("cannot write JSON: {e}"))?;
    CString::new(text).map_err(|e| format!("JSON with a NUL byte: {e}"))
}

/// Adds a workflow given in crm's typed JSON form (see the module docs; `id` is ignored). It is checked
/// (fields, operators, expressions, tasks, schedule) before it is stored. On success, if
/// `out_workflow_json` is not NULL, it receives the stored workflow with its id (owned by the caller).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (wrong shape,
/// invalid workflow), `_NOT_FOUND` (module), storage errors. Thread-safety: serialised with other calls.
///
/// # Safety
/// `store` is NULL or a live handle; `workflow_json` NULL or NUL-terminated; `out_workflow_json` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_workflow_add(
    store: *mut crm_store,
    workflow_json: *const c_char,
    out_workflow_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let wf: Workflow = unsafe { arg_json(workflow_json, "workflow_json") }?;
        let out = unsafe { Out::optional(out_workflow_json) };
        let wf = unsafe { lock_store(store) }?.add_workflow(wf)?;
        out.set_json(&wf)
    })
}

/// Adds workflows given in vtiger's JSON shape: one object or an array (like
/// `shared/data/vtiger_workflows.json`); all or none are added. On success, if `out_workflows_json` is not
/// NULL, it receives a JSON array of the stored workflows in crm's typed form (owned by the caller).
///
/// Errors: as `crm_workflow_add`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `vtiger_json` NULL or NUL-terminated; `out_workflows_json` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_workflows_add_vtiger(
    store: *mut crm_store,
    vtiger_json: *const c_char,
    out_workflows_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let text = unsafe { arg_str(vtiger_json, "vtiger_json") }?;
        let _: serde_json::Value = crate::args::parse_json(text, "vtiger_json")?;
        let out = unsafe { Out::optional(out_workflows_json) };
        let wfs = unsafe { lock_store(store) }?.add_workflows_json(text)?;
        out.set_json(&wfs)
    })
}

/// The workflows of a module (name or label; NULL or `""`: every module) in execution order, as a JSON
/// array in crm's typed form into `*out_json` (required, owned by the caller).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND` (module), storage errors.
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module` NULL or NUL-terminated; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_workflows(store: *const crm_store, module: *const c_char, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_opt_str(module, "module") }?.unwrap_or("");
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let wfs = unsafe { lock_store(store) }?.workflows(module)?;
        out.set_json(&wfs)
    })
}

/// One workflow in crm's typed form into `*out_json` (required, owned by the caller).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_NOT_FOUND`, storage errors. Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_workflow_get(store: *const crm_store, id: i64, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let wf = unsafe { lock_store(store) }?.get_workflow(id)?;
        out.set_json(&wf)
    })
}

/// Replaces a workflow: `workflow_json` in crm's typed form with the `id` of the stored workflow (edit
/// what `crm_workflow_get` returned and pass it back). On success, if `out_workflow_json` is not NULL, it
/// receives the stored workflow (owned by the caller).
///
/// Errors: as `crm_workflow_add`, plus `CRM_STATUS_NOT_FOUND` for an unknown id. Thread-safety:
/// serialised with other calls on the store.
///
/// # Safety
/// As `crm_workflow_add`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_workflow_update(
    store: *mut crm_store,
    workflow_json: *const c_char,
    out_workflow_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let wf: Workflow = unsafe { arg_json(workflow_json, "workflow_json") }?;
        let out = unsafe { Out::optional(out_workflow_json) };
        let wf = unsafe { lock_store(store) }?.update_workflow(wf)?;
        out.set_json(&wf)
    })
}

/// Replaces workflow `id` with a definition in vtiger's JSON shape (one object). On success, if
/// `out_workflow_json` is not NULL, it receives the stored workflow in crm's typed form.
///
/// Errors: as `crm_workflow_update`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// As `crm_workflows_add_vtiger`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_workflow_update_vtiger(
    store: *mut crm_store,
    id: i64,
    vtiger_json: *const c_char,
    out_workflow_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let text = unsafe { arg_str(vtiger_json, "vtiger_json") }?;
        let _: serde_json::Value = crate::args::parse_json(text, "vtiger_json")?;
        let out = unsafe { Out::optional(out_workflow_json) };
        let wf = unsafe { lock_store(store) }?.update_workflow_json(id, text)?;
        out.set_json(&wf)
    })
}

/// Turns a workflow on (`active` true) or off.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_NOT_FOUND`, storage errors. Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_workflow_set_active(store: *mut crm_store, id: i64, active: bool) -> crm_status {
    boundary::run(|| {
        unsafe { lock_store(store) }?.set_workflow_active(id, active)?;
        Ok(())
    })
}

/// Deletes a workflow with its queued tasks.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_NOT_FOUND`, storage errors. Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_workflow_delete(store: *mut crm_store, id: i64) -> crm_status {
    boundary::run(|| Ok(unsafe { lock_store(store) }?.delete_workflow(id)?))
}

/// Evaluates every workflow of a module for a change without writing anything. `target_json` is
/// `{"record": 7}` (a stored record changed by `fields_json`) or `{"new": "Potentials"}` (a new record with
/// `fields_json`); `fields_json` is a JSON object of field values (NULL: no change). `*out_json`
/// (required, owned by the caller) receives `{"record": {...the record as it would be stored...},
/// "workflows": [{"workflow": 1, "name": .., "fired": true, "skipped": null, "tests": [...], "effects":
/// [{"kind": "set_field", ...}, {"kind": "mail", ...}]}]}`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT`,
/// `_VALIDATION` (the change itself is invalid), `_NOT_FOUND`. Thread-safety: serialised with other calls.
///
/// # Safety
/// `store` is NULL or a live handle; `target_json`, `fields_json` NULL or NUL-terminated; `out_json` NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_workflow_dry_run(
    store: *mut crm_store,
    target_json: *const c_char,
    fields_json: *const c_char,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let target: DryRunTarget = unsafe { arg_json(target_json, "target_json") }?;
        let fields = if fields_json.is_null() { Fields::new() } else { unsafe { arg_fields(fields_json, "fields_json") }? };
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let mut crm = unsafe { lock_store(store) }?;
        let dry = crm.dry_run(target, fields)?;
        let record = dry.record.as_ref().map(|r| record_json(&crm, r)).transpose()?;
        out.set_json(&serde_json::json!({ "record": record, "workflows": dry.workflows }))
    })
}

/// Runs one workflow now for one record, whatever its trigger (vtiger's manual workflows), in one
/// transaction. `*out_trace_json` (optional, owned by the caller) receives the trace (as in
/// `crm_workflow_dry_run`).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_NOT_FOUND` (workflow, record, or a workflow of another module),
/// `_INVALID_ARGUMENT` (a task failed), storage errors. Thread-safety: serialised with other calls.
///
/// # Safety
/// `store` is NULL or a live handle; `out_trace_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_workflow_run(store: *mut crm_store, id: i64, record: i64, out_trace_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::optional(out_trace_json) };
        let trace = unsafe { lock_store(store) }?.run_workflow(id, RecordId(record))?;
        out.set_json(&trace)
    })
}

fn parse_instant(text: &str) -> FfiResult<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, f) {
            return Ok(n.and_utc());
        }
    }
    Err(FfiError::invalid(format!("'{t}' is not a date-time (\"2027-03-31 09:00:00\" in UTC, or RFC 3339)")))
}

/// Runs what is due at `now` (`"2027-03-31 09:00:00"` in UTC, or RFC 3339 with an offset; NULL: the
/// store's clock): scheduled workflows whose time has come, then delayed tasks whose time has come. Each
/// workflow run and each delayed task is one transaction; running twice for the same instant does nothing
/// the second time. `*out_report_json` (optional, owned by the caller) receives `{"workflows": 1,
/// "records": 3, "delayed_tasks": 0, "mails": 3, "failures": [...]}` (`failures`: the runs and tasks that
/// failed, each with what failed and why; the others still ran).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_ARGUMENT` (bad time, failed task),
/// storage errors (what was committed before stays committed). Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `now` NULL or NUL-terminated; `out_report_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_workflows_run_due(store: *mut crm_store, now: *const c_char, out_report_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let now = unsafe { arg_opt_str(now, "now") }?.map(parse_instant).transpose()?;
        let out = unsafe { Out::optional(out_report_json) };
        let mut crm = unsafe { lock_store(store) }?;
        let now = now.unwrap_or_else(|| crm.now().and_utc());
        let report = crm.run_due(now)?;
        drop(crm);
        out.set_json(&report)
    })
}

/// Delayed workflow tasks waiting in the queue, by due time, as a JSON array into `*out_json` (required,
/// owned by the caller): `[{"id": 9, "workflow": 2, "task": 0, "record": 7, "due": "2027-03-24T00:00:00"}]`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, storage errors. Thread-safety: serialised with other calls.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_workflow_queued_tasks(store: *const crm_store, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let tasks = unsafe { lock_store(store) }?.queued_tasks()?;
        out.set_json(&tasks)
    })
}

/// Sets the store's time zone (IANA name, `"Asia/Tehran"`; default UTC): workflows count days and
/// wall-clock times in it, and "today" of filters and reports is its day. Stored: handles opened later use it.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_ARGUMENT` (unknown zone); storage errors.
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `time_zone` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_store_set_time_zone(store: *mut crm_store, time_zone: *const c_char) -> crm_status {
    boundary::run(|| {
        let tz = unsafe { arg_str(time_zone, "time_zone") }?;
        Ok(unsafe { lock_store(store) }?.set_time_zone(tz)?)
    })
}

/// Sets the base URL that workflow mails use for record links (`$(general : (__VtigerMeta__)
/// crmdetailviewurl)`). Not stored: set it after each open.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`. Thread-safety: serialised with other calls.
///
/// # Safety
/// `store` is NULL or a live handle; `url` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_store_set_site_url(store: *mut crm_store, url: *const c_char) -> crm_status {
    boundary::run(|| {
        let url = unsafe { arg_str(url, "url") }?;
        unsafe { lock_store(store) }?.set_site_url(url);
        Ok(())
    })
}

/// Every outbox mail, oldest first, as a JSON array into `*out_json` (required, owned by the caller):
/// `[{"id": 3, "to": [..], "subject": .., "body": .., "record": 7, "workflow": 2, "status":
/// "queued"|"sent"|"failed", "error": null, "created": .., "sent": null, ...}]`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, storage errors. Thread-safety: serialised with other calls.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_outbox(store: *const crm_store, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let mails = unsafe { lock_store(store) }?.outbox()?;
        out.set_json(&mails)
    })
}

/// A page of the outbox as a JSON array into `*out_json` (required, owned by the caller), mails as
/// `crm_outbox` gives them plus `"attempts"` and `"next_attempt"`: at most `limit` mails with ids above
/// `after_id` (0: from the start), oldest first, only those with `status` (`"queued"`, `"sent"` or
/// `"failed"`; NULL: every status). Pass the last id of a page as `after_id` for the next one; an empty
/// array is the end. Each page costs the same however large the outbox is.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_ARGUMENT` (unknown status, `limit`
/// beyond the address space), storage errors. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `status` NULL or NUL-terminated; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_outbox_page(
    store: *const crm_store,
    status: *const c_char,
    after_id: i64,
    limit: u64,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let status = match unsafe { arg_opt_str(status, "status") }? {
            None => None,
            Some(s) => Some(MailStatus::parse(s).ok_or_else(|| FfiError::invalid(format!("status: '{s}' is not queued, sent or failed")))?),
        };
        let limit = usize::try_from(limit).map_err(|_| FfiError::invalid(format!("limit: {limit} is too large")))?;
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let mails = unsafe { lock_store(store) }?.outbox_page(status, after_id, limit)?;
        out.set_json(&mails)
    })
}

/// Retention: removes sent mail sent before `before` (`"2027-03-31 09:00:00"` in UTC, or RFC 3339 with an
/// offset) and writes how many into `*out_count` (optional). Queued and failed mail stay.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_ARGUMENT` (bad time), storage errors.
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `before` NULL or NUL-terminated; `out_count` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_outbox_purge(store: *mut crm_store, before: *const c_char, out_count: *mut u64) -> crm_status {
    boundary::run(|| {
        let before = parse_instant(unsafe { arg_str(before, "before") }?)?.naive_utc();
        let out = unsafe { Out::optional(out_count) };
        let n = unsafe { lock_store(store) }?.purge_outbox(before)?;
        out.set(u64::try_from(n).unwrap_or(u64::MAX));
        Ok(())
    })
}

/// Marks an outbox mail as sent (for hosts that deliver mail themselves).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_NOT_FOUND`, storage errors. Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_outbox_mark_sent(store: *mut crm_store, id: i64) -> crm_status {
    boundary::run(|| Ok(unsafe { lock_store(store) }?.mark_sent(id)?))
}

/// Marks an outbox mail as failed with `error` and counts the attempt; it stays in the outbox and a
/// `crm_outbox_deliver` after the back-off (60 s, doubling per failure) tries it again, until it failed
/// 8 times (`MAX_MAIL_ATTEMPTS`): then it stays failed for good.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND`, storage errors. Thread-safety:
/// serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `error` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_outbox_mark_failed(store: *mut crm_store, id: i64, error: *const c_char) -> crm_status {
    boundary::run(|| {
        let error = unsafe { arg_str(error, "error") }?;
        Ok(unsafe { lock_store(store) }?.mark_failed(id, error)?)
    })
}

struct HostMailer {
    f: unsafe extern "C" fn(*mut c_void, *const c_char, *mut crm_callback_reply) -> i32,
    user_data: *mut c_void,
}

impl Mailer for HostMailer {
    fn send(&mut self, mail: &Mail) -> Result<(), String> {
        guarded("mailer", || {
            let json = c_json(mail)?;
            let mut reply = Reply::default();
            // SAFETY: the host's function pointer and user data, called as documented at `crm_mailer`.
            let rc = unsafe { (self.f)(self.user_data, json.as_ptr(), reply.as_ptr()) };
            if rc == 0 { Ok(()) } else { Err(reply.text.unwrap_or_else(|| format!("the mailer returned {rc}"))) }
        })
    }
}

/// Hands every outbox mail that is due to the host's `mailer` (queued, or failed with its back-off passed;
/// never mail given up on), oldest first, and records each
/// outcome as it goes (sent, or failed with the mailer's message). `user_data` is passed to every call
/// unchanged; crm never dereferences or frees it, and does not keep it after this call returns.
/// `*out_report_json` (optional, owned by the caller) receives `{"sent": 2, "failed": 1, "given_up": [7]}` (`given_up`: ids of the mails that failed
/// for the last allowed time in this run).
///
/// Errors: `CRM_STATUS_NULL_POINTER` (`store` or `mailer` NULL), storage errors. A mailer failure is not
/// an error of this call. Thread-safety: serialised with other calls on the store; the mailer runs on
/// this thread while the store is locked (see `crm_mailer`).
///
/// # Safety
/// `store` is NULL or a live handle; `mailer` NULL or a function following `crm_mailer`'s contract;
/// `out_report_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_outbox_deliver(
    store: *mut crm_store,
    mailer: crm_mailer,
    user_data: *mut c_void,
    out_report_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let f = mailer.ok_or_else(|| FfiError::null("mailer"))?;
        let out = unsafe { Out::optional(out_report_json) };
        let mut host = HostMailer { f, user_data };
        let report = unsafe { lock_store(store) }?.deliver_outbox(&mut host)?;
        out.set_json(&report)
    })
}

/// A host workflow function and its user data, callable from any thread that uses the store.
struct HostFunction {
    f: unsafe extern "C" fn(*mut c_void, *const c_char, *mut crm_callback_reply) -> i32,
    user_data: *mut c_void,
}

// SAFETY: `crm_workflow_function_register` documents that the function and its user data may be used from
// any thread that calls crm on the store (one call at a time); the host guarantees that.
unsafe impl Send for HostFunction {}
// SAFETY: as above; calls are serialised by the store's mutex.
unsafe impl Sync for HostFunction {}

impl HostFunction {
    fn call(&self, name: &str, record: &Record) -> Result<Fields, String> {
        guarded(&format!("workflow function '{name}'"), || {
            let json = c_json(&crm_core::wire::Record::sparse(record))?;
            let mut reply = Reply::default();
            // SAFETY: the host's function pointer and user data, called as documented at
            // `crm_workflow_function`.
            let rc = unsafe { (self.f)(self.user_data, json.as_ptr(), reply.as_ptr()) };
            match (rc, reply.text) {
                (0, None) => Ok(Fields::new()),
                (0, Some(t)) => fields_from_json(&t, "the function's reply").map_err(|e| e.message),
                (rc, t) => Err(t.unwrap_or_else(|| format!("returned {rc}"))),
            }
        })
    }
}

/// Registers a host function under `name` for "invoke custom function" workflow tasks (a vtiger
/// `VTEntityMethodTask` with that `methodName`, or a typed task `{"type": "custom_function", "name":
/// ..}`), replacing one of the same name. See `crm_workflow_function` for what it receives and returns.
///
/// Lifetime: the registration lives as long as the store handle (until `crm_store_free`) or until the
/// name is registered again. `user_data` is passed unchanged to every call; crm never dereferences or
/// frees it, so it must stay valid until then and the host frees it afterwards. Registrations are not
/// stored: register again after each open.
///
/// Thread-safety: serialised with other calls on the store. The function is called on whichever thread
/// writes to the store (one call at a time per store), so `user_data` must be usable from those threads.
///
/// Errors: `CRM_STATUS_NULL_POINTER` (`store`, `name` or `function` NULL), `_INVALID_UTF8`,
/// `_INVALID_ARGUMENT` (empty name).
///
/// # Safety
/// `store` is NULL or a live handle; `name` NULL or NUL-terminated; `function` NULL or a function following
/// `crm_workflow_function`'s contract; `user_data` valid as described above.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_workflow_function_register(
    store: *mut crm_store,
    name: *const c_char,
    function: crm_workflow_function,
    user_data: *mut c_void,
) -> crm_status {
    boundary::run(|| {
        let name = unsafe { arg_str(name, "name") }?.to_string();
        let f = function.ok_or_else(|| FfiError::null("function"))?;
        if name.trim().is_empty() {
            return Err(FfiError::invalid("a workflow function needs a name"));
        }
        let host = HostFunction { f, user_data };
        let label = name.clone();
        unsafe { lock_store(store) }?.register_function(&name, move |r| host.call(&label, r));
        Ok(())
    })
}

/// The name of the time zone workflows use (`"UTC"` unless `crm_store_set_time_zone` changed it) as a
/// plain string into `*out_name` (required, owned by the caller, free with `crm_string_free`).
///
/// Errors: `CRM_STATUS_NULL_POINTER`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `out_name` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_store_time_zone(store: *const crm_store, out_name: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_name, "out_name") }?;
        let tz = unsafe { lock_store(store) }?.time_zone();
        out.set(crate::strings::into_c_string(tz.to_string()));
        Ok(())
    })
}

/// Custom functions that active workflows call but that are not registered on this store (with
/// `crm_workflow_function_register`), sorted, as a JSON array into `*out_json` (required, owned by the
/// caller): `[{"workflow": 2, "name": "computeCommission"}]`. Such tasks are skipped at run time; call it
/// after registering the host's functions to find typos or missing registrations.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, storage errors. Thread-safety: serialised with other calls.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_workflow_unregistered_functions(store: *const crm_store, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let missing = unsafe { lock_store(store) }?.unregistered_functions()?;
        let missing: Vec<serde_json::Value> =
            missing.into_iter().map(|(workflow, name)| serde_json::json!({ "workflow": workflow, "name": name })).collect();
        out.set_json(&missing)
    })
}
