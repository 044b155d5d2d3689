//! Workflows of `crm.Crm`: definitions (vtiger's JSON shape or crm's typed shape), dry runs, the scheduler,
//! the outbox and its delivery through a Python callable, and custom workflow functions written in Python.
//!
//! **Callbacks run while the engine is locked.** A function registered with `register_function` and the
//! mailer given to `deliver_outbox` are called by the engine in the middle of an operation, while the
//! engine's mutex is held by the calling thread. They must not call back into a `Crm` (the same one or
//! another): such a call raises `crm.CrmError` with code `"reentrant"` instead of deadlocking. A workflow
//! function receives the record as a dict and returns the fields to set (a dict, or None).

use crate::convert::{Rows, to_fields, to_id};
use crate::crm::Crm;
use crate::engine::Access;
use crate::errors::Failure;
use crate::json::{to_json, to_py};
use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use crm_core::workflow::Workflow;
use crm_core::workflow::mail::{Mail, MailStatus, Mailer};
use crm_core::{DryRunTarget, Fields, Record};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDateTime, PyDict, PyString};

/// A workflow definition: typed shape (has `trigger`) or vtiger's shape; one object or a list.
enum Definition {
    Typed(Vec<serde_json::Value>),
    Vtiger(String),
}

fn definition(def: &Bound<'_, PyAny>) -> PyResult<(Definition, bool)> {
    let j: serde_json::Value = if let Ok(s) = def.cast::<PyString>() {
        serde_json::from_str(&s.to_cow()?).map_err(|e| crate::errors::invalid(format!("workflow JSON: {e}")))?
    } else {
        to_json(def)?
    };
    let many = j.is_array();
    let items = match &j {
        serde_json::Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    if items.is_empty() {
        return Err(crate::errors::invalid("no workflow given"));
    }
    let typed = items.iter().all(|i| i.get("trigger").is_some());
    Ok((if typed { Definition::Typed(items) } else { Definition::Vtiger(j.to_string()) }, many))
}

/// A datetime from Python (naive = UTC) or now.
fn utc(now: Option<&Bound<'_, PyAny>>) -> PyResult<Option<DateTime<Utc>>> {
    let Some(v) = now.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if !v.is_instance_of::<PyDateTime>() {
        return Err(PyTypeError::new_err("now is a datetime.datetime"));
    }
    if let Ok(n) = v.extract::<NaiveDateTime>() {
        return Ok(Some(n.and_utc()));
    }
    let d: DateTime<FixedOffset> = v.extract()?;
    Ok(Some(d.with_timezone(&Utc)))
}

/// A Python callable as the mailer: called with each mail as a dict; an exception marks the mail failed.
struct PyMailer(Py<PyAny>);

impl Mailer for PyMailer {
    fn send(&mut self, mail: &Mail) -> Result<(), String> {
        Python::attach(|py| {
            let d = to_py(py, mail)?;
            self.0.call1(py, (d,)).map(|_| ())
        })
        .map_err(|e| e.to_string())
    }
}

#[pymethods]
impl Crm {
    /// Adds a workflow: a dict or JSON text in vtiger's shape (`workflowname`, `module_name`,
    /// `execution_condition`, `test` conditions JSON, `tasks`) or crm's typed shape (`module`, `name`,
    /// `trigger`, `condition`, `tasks`, as returned by `workflows()`). Returns the new id; given a list,
    /// adds all or none and returns the ids.
    fn add_workflow<'py>(&self, py: Python<'py>, definition: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let (def, many) = self::definition(definition)?;
        let ids: Vec<i64> = self.engine.run(py, Access::Write, move |crm| match def {
            Definition::Vtiger(text) => Ok(crm.add_workflows_json(&text)?.into_iter().map(|w| w.id).collect()),
            Definition::Typed(items) => {
                let wfs: Vec<Workflow> =
                    items.into_iter().map(|i| crate::json::from_value(i, "workflow")).collect::<Result<_, Failure>>()?;
                let mut ids = Vec::new();
                for wf in wfs {
                    ids.push(crm.add_workflow(wf)?.id);
                }
                Ok(ids)
            }
        })?;
        if many {
            Ok(ids.into_pyobject(py)?.into_any())
        } else {
            Ok(ids.first().copied().unwrap_or_default().into_pyobject(py)?.into_any())
        }
    }

    /// The workflows (of `module`, or of every module) in execution order, as dicts in crm's typed shape.
    #[pyo3(signature = (module = None))]
    fn workflows<'py>(&self, py: Python<'py>, module: Option<String>) -> PyResult<Bound<'py, PyAny>> {
        let wfs = self.engine.run(py, Access::Read, move |crm| Ok(crm.workflows(module.as_deref().unwrap_or(""))?))?;
        to_py(py, &wfs)
    }

    /// One workflow as a dict.
    fn get_workflow<'py>(&self, py: Python<'py>, id: i64) -> PyResult<Bound<'py, PyAny>> {
        let wf = self.engine.run(py, Access::Read, move |crm| Ok(crm.get_workflow(id)?))?;
        to_py(py, &wf)
    }

    /// Replaces workflow `id` with a definition (either shape, one object); returns it.
    fn update_workflow<'py>(&self, py: Python<'py>, id: i64, definition: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let (def, many) = self::definition(definition)?;
        if many {
            return Err(crate::errors::invalid("update_workflow takes one workflow"));
        }
        let wf = self.engine.run(py, Access::Write, move |crm| match def {
            Definition::Vtiger(text) => Ok(crm.update_workflow_json(id, &text)?),
            Definition::Typed(mut items) => {
                let mut wf: Workflow = crate::json::from_value(items.remove(0), "workflow")?;
                wf.id = id;
                Ok(crm.update_workflow(wf)?)
            }
        })?;
        to_py(py, &wf)
    }

    /// Turns a workflow on or off.
    #[pyo3(signature = (id, active = true))]
    fn set_workflow_active(&self, py: Python<'_>, id: i64, active: bool) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.set_workflow_active(id, active).map(|_| ())?))
    }

    /// Deletes a workflow with its queued tasks.
    fn delete_workflow(&self, py: Python<'_>, id: i64) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.delete_workflow(id)?))
    }

    /// Evaluates the workflows for a change without writing anything. `target` is a record (id or dict) to
    /// change with `changes`, or a module name for a new record. Returns `{"record": dict, "workflows":
    /// [trace, ...]}`, each trace with its tests and effects.
    #[pyo3(signature = (target, changes = None))]
    fn dry_run<'py>(
        &self,
        py: Python<'py>,
        target: &Bound<'py, PyAny>,
        changes: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let target = match target.cast::<PyString>() {
            Ok(s) => DryRunTarget::New(s.to_cow()?.into_owned()),
            Err(_) => DryRunTarget::Record(to_id(target)?),
        };
        let changes = match changes {
            Some(c) if !c.is_none() => to_fields(c)?,
            _ => Fields::new(),
        };
        let (rows, traces) = self.engine.run(py, Access::Read, move |crm| {
            let dr = crm.dry_run(target, changes)?;
            let rows = match dr.record {
                Some(r) => Some(Rows::new(crm, vec![r])?),
                None => None,
            };
            Ok((rows, dr.workflows))
        })?;
        let d = PyDict::new(py);
        d.set_item("record", rows.map(|r| r.into_dict(py)).transpose()?)?;
        d.set_item("workflows", to_py(py, &traces)?)?;
        Ok(d)
    }

    /// Runs one workflow on one record now (whatever its trigger); returns its trace.
    fn run_workflow<'py>(&self, py: Python<'py>, id: i64, record: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let record = to_id(record)?;
        let trace = self.engine.run(py, Access::Write, move |crm| Ok(crm.run_workflow(id, record)?))?;
        to_py(py, &trace)
    }

    /// Runs the scheduled workflows and delayed tasks due at `now` (a datetime, naive = UTC; default: the
    /// current time). Returns `{"workflows", "records", "delayed_tasks", "mails"}` counts and `"failures"`: a
    /// list of dicts for the runs and tasks that failed (the others still ran).
    #[pyo3(signature = (now = None))]
    fn run_due<'py>(&self, py: Python<'py>, now: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let now = utc(now)?;
        let rep = self.engine.run(py, Access::Write, move |crm| Ok(crm.run_due(now.unwrap_or_else(Utc::now))?))?;
        to_py(py, &rep)
    }

    /// Custom functions that active workflows call but that are not registered on this handle, as
    /// `(workflow_id, name)` tuples sorted; such tasks are skipped at run time. Call it after registering
    /// the functions to find typos or missing registrations.
    fn unregistered_functions(&self, py: Python<'_>) -> PyResult<Vec<(i64, String)>> {
        self.engine.run(py, Access::Read, |crm| Ok(crm.unregistered_functions()?))
    }

    /// Delayed tasks waiting in the queue, by due time.
    fn queued_tasks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let q = self.engine.run(py, Access::Read, |crm| Ok(crm.queued_tasks()?))?;
        to_py(py, &q)
    }

    /// Every outbox mail, oldest first: dicts with id, from, reply_to, to, cc, bcc, subject, body, record,
    /// workflow, status (`"queued"`, `"sent"`, `"failed"`), error, created, sent.
    fn outbox<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let mails = self.engine.run(py, Access::Read, |crm| Ok(crm.outbox()?))?;
        to_py(py, &mails)
    }

    /// A page of the outbox: at most `limit` mails with ids above `after_id` (0: from the start), oldest
    /// first, only those with `status` (`"queued"`, `"sent"`, `"failed"`; None: all). Mails carry
    /// `attempts` and `next_attempt` too. Pass the last id of a page as `after_id` for the next; an empty
    /// list is the end. Each page costs the same however large the outbox is. ValueError: unknown status.
    #[pyo3(signature = (status=None, after_id=0, limit=100))]
    fn outbox_page<'py>(&self, py: Python<'py>, status: Option<&str>, after_id: i64, limit: usize) -> PyResult<Bound<'py, PyAny>> {
        let status = match status {
            None => None,
            Some(s) => {
                Some(MailStatus::parse(s).ok_or_else(|| PyValueError::new_err(format!("status: '{s}' is not queued, sent or failed")))?)
            }
        };
        let mails = self.engine.run(py, Access::Read, move |crm| Ok(crm.outbox_page(status, after_id, limit)?))?;
        to_py(py, &mails)
    }

    /// Retention: removes sent mail sent before `before` (a `datetime`; naive ones are UTC) and returns
    /// how many. Queued and failed mail stay.
    fn purge_outbox(&self, py: Python<'_>, before: Bound<'_, PyAny>) -> PyResult<usize> {
        let before = utc(Some(&before))?.map(|d| d.naive_utc()).ok_or_else(|| PyTypeError::new_err("before must be a datetime"))?;
        self.engine.run(py, Access::Write, move |crm| Ok(crm.purge_outbox(before)?))
    }

    /// Marks an outbox mail as sent.
    fn mark_sent(&self, py: Python<'_>, id: i64) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.mark_sent(id)?))
    }

    /// Marks an outbox mail as failed with the error and counts the attempt: a delivery after the back-off
    /// (60 s, doubling per failure) tries it again, until 8 failures; then it stays failed for good.
    fn mark_failed(&self, py: Python<'_>, id: i64, error: String) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.mark_failed(id, &error)?))
    }

    /// Hands every mail that is due (queued, or failed with its back-off passed; never mail given up on) to
    /// `mailer`, a callable taking the mail as a dict; an exception it raises marks that mail failed (with
    /// the message) and delivery goes on. Returns `{"sent", "failed", "given_up"}` (`given_up`: ids of the
    /// mails that failed for the last allowed time in this run).
    /// The mailer must not use a `Crm` (see the module notes: it raises CrmError "reentrant").
    fn deliver_outbox<'py>(&self, py: Python<'py>, mailer: Py<PyAny>) -> PyResult<Bound<'py, PyAny>> {
        if !mailer.bind(py).is_callable() {
            return Err(PyTypeError::new_err("mailer must be callable"));
        }
        let rep = self.engine.run(py, Access::Write, move |crm| {
            let mut m = PyMailer(mailer);
            Ok(crm.deliver_outbox(&mut m)?)
        })?;
        to_py(py, &rep)
    }

    /// Registers a Python callable for vtiger "invoke custom function" tasks named `name`. It is called with
    /// the record (a dict) while the engine runs the workflow, and returns a dict of fields to set (or None).
    /// An exception fails the save with its message. It must not use a `Crm`: that raises CrmError
    /// "reentrant" (the engine is busy with the save that runs the workflow).
    fn register_function(&self, py: Python<'_>, name: String, function: Py<PyAny>) -> PyResult<()> {
        if !function.bind(py).is_callable() {
            return Err(PyTypeError::new_err("function must be callable"));
        }
        self.engine.run(py, Access::Read, move |crm| {
            crm.register_function(&name, move |rec: &Record| {
                Python::attach(|py| {
                    let d = crate::convert::sparse_dict(py, rec)?;
                    let out = function.call1(py, (d,))?;
                    let out = out.bind(py);
                    if out.is_none() { Ok(Fields::new()) } else { to_fields(out) }
                })
                .map_err(|e: PyErr| e.to_string())
            });
            Ok(())
        })
    }

    /// Sets the store's time zone (IANA name): workflows count days and wall-clock times in it and "today"
    /// of filters and reports is its day; it is stored, so handles opened later use it.
    fn set_time_zone(&self, py: Python<'_>, name: String) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.set_time_zone(&name)?))
    }

    /// The workflow time zone's name.
    fn time_zone(&self, py: Python<'_>) -> PyResult<String> {
        self.engine.run(py, Access::Read, |crm| Ok(crm.time_zone().to_string()))
    }

    /// Sets the base URL used by the `crmdetailviewurl` / `siteurl` mail placeholders.
    fn set_site_url(&self, py: Python<'_>, url: String) -> PyResult<()> {
        self.engine.run(py, Access::Read, move |crm| {
            crm.set_site_url(&url);
            Ok(())
        })
    }
}
