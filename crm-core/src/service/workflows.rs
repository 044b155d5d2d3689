//! Workflows on the [`Crm`] facade: definitions, the save hook, dry runs, the scheduler and the outbox.
//!
//! Every save path (create, quick create, update — and so import and mass edit, which use the same
//! planning functions) runs the module's workflows inside its planning step; their effects become part of
//! the save's one change set: field updates land in the record and its single change-log entry, mails in the
//! outbox, new records, related-record updates and delayed tasks — all committed together, or not at all.
//! Unlike vtiger, bulk operations do not skip workflows, so `forecast_amount` is never stale. A restore from
//! the recycle bin runs them as a modification, as vtiger does.
//!
//! [`Crm::run_due`]: a scheduled run or delayed task that fails (a value that no longer fits its field, a
//! failing host function) is reported in [`RunReport::failures`] and not retried: the workflow's next
//! trigger time moves on and the delayed task leaves the queue, so one bad record never blocks the others
//! and nothing is retried forever. Values set by
//! scheduled and delayed tasks are validated like input, exactly as in the save hook.
//!
//! A new store gets vtiger's two default Potentials workflows (reference §7), as ordinary workflows:
//! "Calculate or Update forecast amount" (every save, `forecast_amount = amount * probability / 100`,
//! stored with the field's scale 4, rounded half away from zero: 1000 at 20 % gives `200.0000`) and "Send
//! Email to users on Potential creation" (first save, to the owner's address; a group owner's members).

use super::Crm;
use super::records::{Mode, label_of};
use crate::error::{Error, Result, ValidationErrors};
use crate::history::{self, ChangeKind, HistoryEntry};
use crate::query::Query;
use crate::record::{Fields, Record};
use crate::storage::{Change, ChangeSet};
use crate::storage::{RecordChange, WorkflowChange};
use crate::user::{Owner, User};
use crate::value::{OwnerId, RecordId, Value};
use crate::workflow::mail::{Mail, MailStatus, Mailer};
use crate::workflow::{self, Effect, Env, Event, QueuedTask, Trigger, Workflow, WorkflowTrace};
use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A host function callable from workflows: reads the record, returns fields to set on it.
pub type WorkflowFunction = Arc<dyn Fn(&Record) -> std::result::Result<Fields, String> + Send + Sync>;

/// Workflow settings and registrations of one [`Crm`] handle.
pub(crate) struct WorkflowState {
    functions: BTreeMap<String, WorkflowFunction>,
    tz: Tz,
    site_url: String,
    depth: usize,
    dry: bool,
    traces: Vec<WorkflowTrace>,
    /// Overrides the clock during `run_due`.
    now: Option<DateTime<Utc>>,
}

impl Default for WorkflowState {
    fn default() -> Self {
        WorkflowState {
            functions: BTreeMap::new(),
            tz: chrono_tz::UTC,
            site_url: String::new(),
            depth: 0,
            dry: false,
            traces: vec![],
            now: None,
        }
    }
}

/// The record a dry run evaluates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DryRunTarget {
    /// A stored record, changed by the given fields.
    Record(RecordId),
    /// A new record of this module with the given fields.
    New(String),
}

/// The outcome of a dry run: the record as it would be stored and what every workflow would do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DryRun {
    /// The record after the change and the workflows' field updates (id 0 for a new record).
    #[serde(skip)]
    pub record: Option<Record>,
    /// One trace per workflow of the module, in execution order.
    pub workflows: Vec<WorkflowTrace>,
}

/// What [`Crm::run_due`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    /// Scheduled workflows run.
    pub workflows: usize,
    /// Records a scheduled workflow fired for.
    pub records: usize,
    /// Delayed tasks performed.
    pub delayed_tasks: usize,
    /// Mails put into the outbox.
    pub mails: usize,
    /// Scheduled runs and delayed tasks that failed (e.g. an update-field value that no longer fits its
    /// field, or a task of a deleted workflow's record). A failure affects only that record or task: the
    /// other records and tasks still run, the workflow's next trigger time still moves on, and a failed
    /// delayed task leaves the queue. Nothing is retried forever; the host logs or alerts on these.
    #[serde(default)]
    pub failures: Vec<RunFailure>,
}

/// One scheduled run or delayed task that [`Crm::run_due`] could not perform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFailure {
    /// The workflow.
    pub workflow: i64,
    /// The record it ran for.
    pub record: RecordId,
    /// The task's position in the workflow, for a delayed task.
    pub task: Option<usize>,
    /// Why it failed.
    pub error: String,
}

/// What [`Crm::deliver_outbox`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryReport {
    /// Mails delivered.
    pub sent: usize,
    /// Mails the mailer refused (kept as failed, with the error).
    pub failed: usize,
    /// Ids of the mails this run gave up on: they failed for the
    /// [`MAX_MAIL_ATTEMPTS`](crate::limits::MAX_MAIL_ATTEMPTS)th time and stay failed for good.
    #[serde(default)]
    pub given_up: Vec<i64>,
}

/// Mails a delivery run reads from the store at a time.
const DELIVERY_PAGE: usize = 100;

/// vtiger's default Potentials workflows (reference §7), in vtiger's JSON shape.
pub(crate) const DEFAULT_WORKFLOWS: &str = r#"[
 {"workflowname":"Calculate or Update forecast amount","summary":"Calculate or Update forecast amount","module_name":"Potentials",
  "execution_condition":3,"test":"[]","defaultworkflow":1,"status":1,
  "tasks":[{"summary":"update forecast amount","active":true,"task_type":"VTUpdateFieldsTask",
   "field_value_mapping":"[{\"fieldname\":\"forecast_amount\",\"valuetype\":\"expression\",\"value\":\"amount * probability / 100\"}]"}]},
 {"workflowname":"Send Email to users on Potential creation","summary":"Send Email to users on Potential creation","module_name":"Potentials",
  "execution_condition":1,"test":"[]","defaultworkflow":1,"status":1,
  "tasks":[{"summary":"An Potential has been created ","active":true,"task_type":"VTEmailTask","fromEmail":"",
   "recepient":"$(assigned_user_id : (Users) email1)","emailcc":"","emailbcc":"","subject":"Regarding Potential Assignment",
   "content":"An Potential has been assigned to you on vtigerCRM<br>Details of Potential are :<br><br>Potential No:<b>$potential_no</b><br>Potential Name:<b>$potentialname</b><br>Amount:<b>$amount</b><br>Expected Close Date:<b>$closingdate</b><br>Type:<b>$opportunity_type</b><br><br><br>Description :$description<br><br>Thank You<br>Admin"}]}
]"#;

/// Lookups for workflow evaluation, over the store of a [`Crm`].
pub(super) struct StoreEnv<'a> {
    pub(super) crm: &'a Crm,
    /// Users and groups read once for a whole save (`None`: read from the store at each lookup).
    pub(super) dir: Option<Arc<crate::user::Directory>>,
    /// The store's language, read at the first mail rendered.
    pub(super) language: std::cell::OnceCell<String>,
}

impl StoreEnv<'_> {
    fn directory(&self) -> Result<std::borrow::Cow<'_, crate::user::Directory>> {
        Ok(match &self.dir {
            Some(d) => std::borrow::Cow::Borrowed(&**d),
            None => std::borrow::Cow::Owned(crate::user::Directory::read(&*self.crm.store)?),
        })
    }
}

impl Env for StoreEnv<'_> {
    fn record(&self, id: RecordId) -> Result<Option<Record>> {
        self.crm.store.get(id)
    }
    fn owner(&self, id: OwnerId) -> Result<Option<Owner>> {
        Ok(self.directory()?.owner(id))
    }
    fn owner_users(&self, id: OwnerId) -> Result<Vec<User>> {
        Ok(self.directory()?.owner_users(id))
    }
    fn find_owner(&self, name: &str) -> Result<Option<Owner>> {
        Ok(self.directory()?.find_owner(name))
    }
    fn find_record(&self, modules: &[String], name: &str) -> Result<Option<RecordId>> {
        self.crm.resolve_reference(modules, name)
    }
    fn activated_once(&self, workflow: i64, record: RecordId) -> Result<bool> {
        // vtiger also counts a once-workflow as done while one of its tasks is queued for the record.
        Ok(self.crm.store.activated_once(workflow, record)?
            || self.crm.store.queued_tasks()?.iter().any(|q| q.workflow == workflow && q.record == record))
    }
    fn call(&self, name: &str, record: &Record) -> Option<std::result::Result<Fields, String>> {
        self.crm.wf.functions.get(name).map(|f| f(record))
    }
    fn site_url(&self) -> String {
        self.crm.wf.site_url.clone()
    }
    fn language(&self) -> String {
        self.language.get_or_init(|| self.crm.store_language().unwrap_or(crate::i18n::DEFAULT_LANGUAGE).to_string()).clone()
    }
}

/// The setting holding the store's time zone ([`Crm::set_time_zone`]).
const TIME_ZONE: &str = "time_zone";

impl Crm {
    pub(super) fn wf_now(&self) -> DateTime<Utc> {
        self.wf.now.unwrap_or_else(|| self.clock.now())
    }

    pub(crate) fn install_default_workflows(&mut self) -> Result<()> {
        self.add_workflows_json(DEFAULT_WORKFLOWS).map(|_| ())
    }

    // ----- definitions -----

    /// Adds a workflow after checking it (fields, operators, expressions, tasks, schedule).
    ///
    /// # Example
    /// ```
    /// use crm_core::workflow::condition::{Cond, FieldPath, Operand, Test, WfOp};
    /// use crm_core::workflow::task::{Action, EmailTask, TaskDef};
    /// use crm_core::workflow::{Trigger, Workflow};
    /// use crm_core::{Crm, Fields, NewUser};
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_user(NewUser::new("admin"))?;
    /// crm.set_actor("admin")?;
    /// let big = Test { field: FieldPath::Own("amount".into()), op: WfOp::GreaterThan, value: Operand::Raw("10000".into()) };
    /// let alert = Workflow::new("Potentials", "Big deal alert", Trigger::FirstSave).when(Cond::Test(big)).task(TaskDef::new(
    ///     "Tell sales",
    ///     Action::SendEmail(EmailTask { to: "sales@example.com".into(), subject: "Big deal: $potentialname".into(), ..Default::default() }),
    /// ));
    /// crm.add_workflow(alert)?;
    /// let deal = crm.create("Potentials", Fields::new()
    ///     .with("potentialname", "Hooli renewal")
    ///     .with("amount", "12000")
    ///     .with("sales_stage", "Prospecting")
    ///     .with("closingdate", "2027-03-31"))?;
    /// assert!(crm.outbox()?.iter().any(|m| m.subject == "Big deal: Hooli renewal"));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `InvalidArgument` naming the problem.
    pub fn add_workflow(&mut self, mut wf: Workflow) -> Result<Workflow> {
        self.refresh_schema()?; // see the schema other handles stored
        wf.validate(&self.schema)?;
        wf.module = self.module(&wf.module)?.name.clone();
        wf.id = self.next_id()?;
        self.schedule_next(&mut wf);
        self.commit(&ChangeSet(vec![Change::Workflow(WorkflowChange::PutWorkflow(wf.clone()))]))?;
        Ok(wf)
    }

    /// Adds workflows given in vtiger's JSON shape: one object or an array (like
    /// `shared/data/vtiger_workflows.json`). All or none are added.
    ///
    /// # Errors
    /// `InvalidArgument` for malformed JSON or an invalid workflow (none is added then).
    pub fn add_workflows_json(&mut self, json: &str) -> Result<Vec<Workflow>> {
        self.refresh_schema()?; // see the schema other handles stored
        let j: serde_json::Value = serde_json::from_str(json).map_err(|e| Error::invalid(format!("workflow JSON: {e}")))?;
        let items = match j {
            serde_json::Value::Array(a) => a,
            other => vec![other],
        };
        let mut wfs = Vec::new();
        for item in &items {
            let wf = Workflow::from_vtiger_json(item, &self.schema)?;
            wf.validate(&self.schema)?;
            wfs.push(wf);
        }
        let mut cs = ChangeSet::new();
        for wf in &mut wfs {
            wf.id = self.next_id()?;
            self.schedule_next(wf);
            cs.push(WorkflowChange::PutWorkflow(wf.clone()));
        }
        self.commit(&cs)?;
        Ok(wfs)
    }

    fn schedule_next(&self, wf: &mut Workflow) {
        wf.next_trigger = match &wf.trigger {
            Trigger::Schedule(s) => s.next_after(self.wf_now(), self.wf.tz).map(|t| t.naive_utc()),
            _ => None,
        };
    }

    /// The workflows of a module (name or label) in execution order; `""` for every module.
    pub fn workflows(&self, module: &str) -> Result<Vec<Workflow>> {
        let name = if module.is_empty() { None } else { Some(self.module(module)?.name.clone()) };
        Ok(self.store.workflows()?.into_iter().filter(|w| name.as_ref().is_none_or(|n| *n == w.module)).collect())
    }

    /// One workflow.
    ///
    /// # Errors
    /// `NotFound`.
    pub fn get_workflow(&self, id: i64) -> Result<Workflow> {
        self.store.workflows()?.into_iter().find(|w| w.id == id).ok_or_else(|| Error::not_found(format!("workflow {id}")))
    }

    /// Replaces a workflow (same id) after checking it; a changed schedule gets a new next trigger time.
    ///
    /// # Errors
    /// `NotFound`, `InvalidArgument`.
    pub fn update_workflow(&mut self, mut wf: Workflow) -> Result<Workflow> {
        self.refresh_schema()?; // see the schema other handles stored
        let old = self.get_workflow(wf.id)?;
        wf.validate(&self.schema)?;
        wf.module = self.module(&wf.module)?.name.clone();
        if old.trigger != wf.trigger || wf.next_trigger.is_none() {
            self.schedule_next(&mut wf);
        }
        self.commit(&ChangeSet(vec![Change::Workflow(WorkflowChange::PutWorkflow(wf.clone()))]))?;
        Ok(wf)
    }

    /// Replaces workflow `id` with a definition in vtiger's JSON shape (one object).
    ///
    /// # Errors
    /// `NotFound`, `InvalidArgument`.
    pub fn update_workflow_json(&mut self, id: i64, json: &str) -> Result<Workflow> {
        self.refresh_schema()?; // see the schema other handles stored
        let j: serde_json::Value = serde_json::from_str(json).map_err(|e| Error::invalid(format!("workflow JSON: {e}")))?;
        let mut wf = Workflow::from_vtiger_json(&j, &self.schema)?;
        wf.id = id;
        self.update_workflow(wf)
    }

    /// Turns a workflow on or off.
    ///
    /// # Errors
    /// `NotFound`.
    pub fn set_workflow_active(&mut self, id: i64, active: bool) -> Result<Workflow> {
        let mut wf = self.get_workflow(id)?;
        wf.active = active;
        self.commit(&ChangeSet(vec![Change::Workflow(WorkflowChange::PutWorkflow(wf.clone()))]))?;
        Ok(wf)
    }

    /// Deletes a workflow with its queued tasks.
    ///
    /// # Errors
    /// `NotFound`.
    pub fn delete_workflow(&mut self, id: i64) -> Result<()> {
        self.get_workflow(id)?;
        self.commit(&ChangeSet(vec![Change::Workflow(WorkflowChange::DeleteWorkflow(id))]))
    }

    /// Registers a host function for "invoke custom function" tasks (replacing one of the same name).
    pub fn register_function(&mut self, name: &str, f: impl Fn(&Record) -> std::result::Result<Fields, String> + Send + Sync + 'static) {
        self.wf.functions.insert(name.to_string(), Arc::new(f));
    }

    /// Names of custom functions that active workflows call but that are not registered on this handle,
    /// with the workflow id, sorted. Such tasks are skipped at run time (see
    /// [`Action::CustomFunction`](crate::workflow::task::Action::CustomFunction)); a host calls this after
    /// registering its functions to find typos or missing registrations.
    ///
    /// # Errors
    /// Storage errors.
    pub fn unregistered_functions(&self) -> Result<Vec<(i64, String)>> {
        let mut out = Vec::new();
        for wf in self.store.workflows()?.into_iter().filter(|w| w.active) {
            for t in &wf.tasks {
                if let workflow::task::Action::CustomFunction { name } = &t.action
                    && !self.wf.functions.contains_key(name)
                {
                    out.push((wf.id, name.clone()));
                }
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Sets the store's time zone (IANA name, e.g. `Asia/Tehran`): workflows count days and wall-clock times
    /// in it, and "today" of filters and reports is its day. It is stored: handles opened later use it.
    ///
    /// # Errors
    /// `InvalidArgument` for an unknown zone; storage errors.
    pub fn set_time_zone(&mut self, name: &str) -> Result<()> {
        let tz = name.parse::<Tz>().map_err(|_| Error::invalid(format!("unknown time zone '{name}'")))?;
        self.commit(&ChangeSet(vec![Change::View(crate::storage::ViewChange::PutSetting {
            key: TIME_ZONE.into(),
            value: tz.name().to_string(),
        })]))?;
        self.wf.tz = tz;
        Ok(())
    }

    /// Reads the stored time zone into the handle (at open); UTC when none is stored or it is unknown.
    pub(crate) fn load_time_zone(&mut self) -> Result<()> {
        if let Some(tz) = self.store.setting(TIME_ZONE)?.and_then(|n| n.parse::<Tz>().ok()) {
            self.wf.tz = tz;
        }
        Ok(())
    }

    /// The workflow time zone's name.
    pub fn time_zone(&self) -> &'static str {
        self.wf.tz.name()
    }

    /// The store's time zone ([`Crm::set_time_zone`]).
    pub(crate) fn zone(&self) -> Tz {
        self.wf.tz
    }

    /// Today's date in the store's time zone ([`Crm::set_time_zone`], UTC by default), from the injected
    /// clock: what "today", "this month" and the other date ranges of filters and reports start from.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.now().with_timezone(&self.wf.tz).date_naive()
    }

    /// Sets the base URL used by `$(general : (__VtigerMeta__) crmdetailviewurl)` and `siteurl`.
    pub fn set_site_url(&mut self, url: &str) {
        self.wf.site_url = url.to_string();
    }

    // ----- the save hook -----

    /// Runs the module's workflows for a save: updates `record` in place and returns the other writes and
    /// the fields the workflows set on `record`.
    pub(crate) fn apply_workflows(
        &mut self,
        before: Option<&Record>,
        record: &mut Record,
        event: Event,
    ) -> Result<(ChangeSet, std::collections::BTreeSet<String>)> {
        if self.wf.depth > workflow::MAX_DEPTH {
            return Ok(Default::default());
        }
        let wfs = self.module_workflow_defs(&record.module)?;
        if wfs.is_empty() {
            return Ok(Default::default());
        }
        let now = self.wf_now();
        let dir = Some(self.directory()?);
        let schema = Arc::clone(&self.schema);
        let prepared = schema.modules.get(&record.module).map(|m| self.save_plan(&schema, m).workflows(&wfs, &schema, m));
        let traces = {
            let env = StoreEnv { crm: self, dir, language: Default::default() };
            workflow::run_prepared(&wfs, prepared.as_deref(), event, before, record, &schema, now, self.wf.tz, &env)?
        };
        // Values set by workflows pass the same checks as the caller's (picklists, references, owners,
        // mandatory fields).
        let set: std::collections::BTreeSet<String> = traces
            .iter()
            .flat_map(|t| &t.effects)
            .filter_map(|e| match e {
                Effect::UpdateField { field, .. } => Some(field.clone()),
                _ => None,
            })
            .collect();
        if !set.is_empty() {
            let schema = Arc::clone(&self.schema);
            if let Some(m) = schema.modules.get(&record.module) {
                let mut errors = ValidationErrors::default();
                self.check_fields(&schema, m, &mut record.values, &mut errors, Some(&set))?;
                errors.into_result()?;
                record.label = label_of(m, &record.values);
            }
        }
        let mut cs = ChangeSet::new();
        if self.wf.dry {
            self.wf.traces.extend(traces);
        } else {
            self.effects_to_changes(&traces, record, &mut cs, &mut BTreeMap::new())?;
        }
        Ok((cs, set))
    }

    /// Turns effects (other than updates of `record` itself) into changes.
    fn effects_to_changes(
        &mut self,
        traces: &[WorkflowTrace],
        record: &Record,
        cs: &mut ChangeSet,
        related: &mut BTreeMap<RecordId, (Record, Record)>,
    ) -> Result<()> {
        let now = self.wf_now().naive_utc();
        for t in traces {
            for e in &t.effects {
                match e {
                    Effect::UpdateField { .. } | Effect::CustomFunction { .. } | Effect::Skipped { .. } => {}
                    Effect::ActivatedOnce => cs.push(WorkflowChange::ActivatedOnce { workflow: t.workflow, record: record.id }),
                    Effect::Mail(m) => {
                        let mut m = Mail::clone(m);
                        m.id = self.next_id()?;
                        m.record = Some(record.id);
                        cs.push(WorkflowChange::PutMail(m));
                    }
                    Effect::Delay { task, due } => {
                        let id = self.next_id()?;
                        cs.push(WorkflowChange::PutQueuedTask(QueuedTask {
                            id,
                            workflow: t.workflow,
                            task: *task,
                            record: record.id,
                            due: *due,
                        }));
                    }
                    Effect::UpdateRelated { record: rid, field, value } => {
                        if !related.contains_key(rid) {
                            let Some(r) = self.store.get(*rid)? else { continue };
                            related.insert(*rid, (r.clone(), r));
                        }
                        if let Some((_, new)) = related.get_mut(rid) {
                            if value.is_empty() {
                                new.values.remove(field);
                            } else {
                                new.values.insert(field.clone(), value.clone());
                            }
                        }
                    }
                    Effect::CreateRecord { module, fields, back_reference } => {
                        self.wf.depth += 1;
                        let planned = self.plan_insert(module, Fields(fields.clone()), Mode::Create, "WORKFLOW");
                        self.wf.depth -= 1;
                        let (new, mut more) = planned?;
                        if let Some(f) = back_reference {
                            patch_insert(&mut more, new.id, f, Value::Ref(record.id));
                        }
                        cs.0.extend(more.0);
                    }
                }
            }
        }
        // Related records: one update and one change-log entry each, without running their workflows.
        let actor = self.actor_name();
        for (id, (old, mut new)) in std::mem::take(related) {
            let changes = history::diff(&old.values, &new.values, &["modifiedtime", "modifiedby"]);
            if changes.is_empty() {
                continue;
            }
            if let Some(m) = self.schema.modules.get(&new.module) {
                new.label = label_of(m, &new.values);
                if m.field("modifiedtime").is_some() {
                    new.values.insert("modifiedtime".into(), Value::DateTime(now));
                }
            }
            new.version = old.version + 1;
            self.plan_base_copies(&mut new)?;
            cs.push(RecordChange::Update { record: new.clone(), expected_version: old.version });
            cs.push(RecordChange::History(HistoryEntry {
                id: 0,
                record: id,
                module: new.module.clone(),
                actor: actor.clone(),
                at: now,
                kind: ChangeKind::Updated,
                related: None,
                changes,
            }));
        }
        Ok(())
    }

    // ----- dry run -----

    /// Evaluates every workflow of the module for a change without writing anything, and returns the record
    /// as it would be stored with a trace per workflow: each test with its inputs and result, and the effects.
    ///
    /// # Errors
    /// `Validation` when the change itself is invalid; `NotFound` for an unknown record or module.
    pub fn dry_run(&mut self, target: DryRunTarget, changes: Fields) -> Result<DryRun> {
        self.wf.dry = true;
        self.wf.traces.clear();
        let out = self.dry_run_inner(target, changes);
        self.wf.dry = false;
        let workflows = std::mem::take(&mut self.wf.traces);
        Ok(DryRun { record: out?, workflows })
    }

    fn dry_run_inner(&mut self, target: DryRunTarget, changes: Fields) -> Result<Option<Record>> {
        match target {
            DryRunTarget::Record(id) => {
                let current = self.live_visible(id)?;
                match self.plan_update(&current, None, changes)? {
                    Some((r, _)) => Ok(Some(r)),
                    None => {
                        let mut r = current.clone();
                        self.apply_workflows(Some(&current), &mut r, Event::Update)?;
                        Ok(Some(r))
                    }
                }
            }
            DryRunTarget::New(module) => {
                let (schema, name) = self.module_arc(&module)?;
                let m = &schema.modules[&name];
                let mut values = crate::record::Values::new();
                for f in m.fields.iter().filter(|f| f.is_writable()) {
                    if let Some(d) = &f.default
                        && let Ok(v) = crate::value::coerce(f, Value::Text(d.clone()))
                        && !v.is_empty()
                    {
                        values.insert(f.name.clone(), v);
                    }
                }
                if let (Some(u), Some(_)) = (&self.actor, m.field("assigned_user_id")) {
                    values.insert("assigned_user_id".into(), Value::Owner(u.id));
                }
                let mut errors = ValidationErrors::default();
                let plan = self.save_plan(&schema, m);
                let given = super::records::gives_probability(&plan, m, &changes);
                let dir = self.directory()?;
                self.apply_input(&plan, m, &mut values, changes, Mode::Create, &mut errors, &dir)?;
                errors.into_result()?;
                self.autofill_probability(&schema, m, &mut values, None, given);
                let now = Value::DateTime(self.now());
                for f in ["createdtime", "modifiedtime"] {
                    if m.field(f).is_some() {
                        values.insert(f.into(), now.clone());
                    }
                }
                let mut r =
                    Record { id: RecordId(0), module: m.name.clone(), label: label_of(m, &values), version: 1, deleted: false, values };
                self.apply_workflows(None, &mut r, Event::Create)?;
                Ok(Some(r))
            }
        }
    }

    // ----- manual runs and the scheduler -----

    /// Runs one workflow now for one record, whatever its trigger (vtiger's "manual" workflows), in one
    /// transaction. Returns the trace.
    ///
    /// # Errors
    /// `NotFound`; task errors.
    pub fn run_workflow(&mut self, id: i64, record: RecordId) -> Result<WorkflowTrace> {
        let wf = self.get_workflow(id)?;
        let current = self.live_visible(record)?;
        let mut cs = ChangeSet::new();
        let traces = self.run_for_record(&[wf], None, Event::Manual, &current, &mut cs)?;
        self.commit(&cs)?;
        traces.into_iter().next().ok_or_else(|| Error::not_found(format!("workflow {id} is not for {}", current.module)))
    }

    /// Evaluates workflows for a stored record outside a save and turns the effects into changes (own
    /// field updates become one update with one change-log entry). `prepared`: the tasks of `wfs` prepared
    /// for the record's module of the handle's schema ([`workflow::Prepared`]); without it each task is
    /// prepared as it runs.
    fn run_for_record(
        &mut self,
        wfs: &[Workflow],
        prepared: Option<&workflow::Prepared>,
        event: Event,
        current: &Record,
        cs: &mut ChangeSet,
    ) -> Result<Vec<WorkflowTrace>> {
        let mut record = current.clone();
        let now = self.wf_now();
        let dir = Some(self.directory()?);
        let traces = {
            let env = StoreEnv { crm: self, dir, language: Default::default() };
            workflow::run_prepared(wfs, prepared, event, None, &mut record, &self.schema, now, self.wf.tz, &env)?
        };
        if record.values != current.values {
            self.validate_workflow_values(&mut record)?;
        }
        self.own_update(current, record, cs)?;
        self.effects_to_changes(&traces, current, cs, &mut BTreeMap::new())?;
        Ok(traces)
    }

    fn own_update(&mut self, current: &Record, mut record: Record, cs: &mut ChangeSet) -> Result<()> {
        let changes = history::diff(&current.values, &record.values, &["modifiedtime", "modifiedby"]);
        if changes.is_empty() {
            return Ok(());
        }
        let now = self.wf_now().naive_utc();
        if self.schema.modules.get(&record.module).is_some_and(|m| m.field("modifiedtime").is_some()) {
            record.values.insert("modifiedtime".into(), Value::DateTime(now));
        }
        record.version = current.version + 1;
        self.plan_base_copies(&mut record)?;
        cs.push(RecordChange::Update { record: record.clone(), expected_version: current.version });
        cs.push(RecordChange::History(HistoryEntry {
            id: 0,
            record: record.id,
            module: record.module.clone(),
            actor: self.actor_name(),
            at: now,
            kind: ChangeKind::Updated,
            related: None,
            changes,
        }));
        Ok(())
    }

    /// Runs what is due at `now`: scheduled workflows whose next trigger time has come (over every record
    /// that meets their condition), then delayed tasks whose time has come. Each workflow run and each
    /// delayed task is one transaction. Calling it twice for the same instant does nothing the second
    /// time: next trigger times move past `now` and performed tasks leave the queue.
    ///
    /// # Errors
    /// Storage errors and task errors (what was committed before stays committed).
    pub fn run_due(&mut self, now: DateTime<Utc>) -> Result<RunReport> {
        self.wf.now = Some(now);
        let out = self.run_due_inner(now);
        self.wf.now = None;
        out
    }

    fn run_due_inner(&mut self, now: DateTime<Utc>) -> Result<RunReport> {
        let mut report = RunReport::default();
        let due: Vec<Workflow> = self
            .store
            .workflows()?
            .into_iter()
            .filter(|w| w.active && matches!(w.trigger, Trigger::Schedule(_)) && w.next_trigger.is_some_and(|t| t <= now.naive_utc()))
            .collect();
        for mut wf in due {
            let m = self.module(&wf.module)?.clone();
            // Scheduled workflows run with the system's rights (access control): every record, every field.
            let actor = self.replace_actor(None);
            let candidates = match wf.condition.to_query(&m) {
                Some(c) => self.find(Query::new(&m.name).filter(c)).or_else(|_| self.find(Query::new(&m.name))),
                None => self.find(Query::new(&m.name)),
            };
            self.replace_actor(actor);
            let candidates = candidates?;
            // The tasks prepared once for every record, used while the schema is the one they were
            // prepared for.
            let schema = Arc::clone(&self.schema);
            let prepared = schema.module(&wf.module).map(|sm| workflow::Prepared::new(std::slice::from_ref(&wf), &schema, sm));
            let mut cs = ChangeSet::new();
            for r in &candidates {
                // A record whose run fails is reported and left alone; the others still run.
                let mut one = ChangeSet::new();
                let p = prepared.as_ref().filter(|_| Arc::ptr_eq(&schema, &self.schema));
                let traces = match self.run_for_record(std::slice::from_ref(&wf), p, Event::Schedule, r, &mut one) {
                    Ok(t) => t,
                    Err(e @ Error::Storage(_)) => return Err(e),
                    Err(e) => {
                        report.failures.push(RunFailure { workflow: wf.id, record: r.id, task: None, error: e.to_string() });
                        continue;
                    }
                };
                cs.0.extend(one.0);
                for t in traces.iter().filter(|t| t.fired) {
                    report.records += 1;
                    report.mails += t.effects.iter().filter(|e| matches!(e, Effect::Mail(_))).count();
                }
            }
            if let Trigger::Schedule(s) = &wf.trigger {
                wf.next_trigger = s.next_after(now, self.wf.tz).map(|t| t.naive_utc());
            }
            cs.push(WorkflowChange::PutWorkflow(wf));
            self.commit(&cs)?;
            report.workflows += 1;
        }
        for q in self.store.queued_tasks()?.into_iter().filter(|q| q.due <= now.naive_utc()) {
            let mut cs = ChangeSet(vec![Change::Workflow(WorkflowChange::DeleteQueuedTask(q.id))]);
            let wf = self.store.workflows()?.into_iter().find(|w| w.id == q.workflow);
            let rec = self.store.get(q.record)?;
            if let (Some(wf), Some(rec)) = (wf, rec)
                && let (Some(task), false) = (wf.tasks.get(q.task), rec.deleted)
            {
                match self.delayed_task_changes(&wf, q.task, task, &rec, now, &mut cs) {
                    Ok(mails) => {
                        report.mails += mails;
                        report.delayed_tasks += 1;
                    }
                    Err(e @ Error::Storage(_)) => return Err(e),
                    Err(e) => {
                        // The task leaves the queue (no endless retry); the failure is reported.
                        cs = ChangeSet(vec![Change::Workflow(WorkflowChange::DeleteQueuedTask(q.id))]);
                        report.failures.push(RunFailure { workflow: wf.id, record: rec.id, task: Some(q.task), error: e.to_string() });
                    }
                }
            }
            self.commit(&cs)?;
        }
        Ok(report)
    }

    /// Performs one delayed task for `rec`: pushes its writes to `cs` and returns the number of mails.
    fn delayed_task_changes(
        &mut self,
        wf: &Workflow,
        index: usize,
        task: &workflow::task::TaskDef,
        rec: &Record,
        now: DateTime<Utc>,
        cs: &mut ChangeSet,
    ) -> Result<usize> {
        let m = self.module(&rec.module)?.clone();
        let mut record = rec.clone();
        let effects = {
            let env = StoreEnv { crm: self, dir: None, language: Default::default() };
            let ctx = workflow::Ctx { schema: &self.schema, module: &m, before: None, record: rec, now, tz: self.wf.tz, env: &env };
            workflow::task::perform(wf, index, task, &ctx, false)?
        };
        workflow::apply_own(&mut record, &effects, &m);
        self.validate_workflow_values(&mut record)?;
        let mails = effects.iter().filter(|e| matches!(e, Effect::Mail(_))).count();
        let trace = WorkflowTrace { workflow: wf.id, name: wf.name.clone(), fired: true, skipped: None, tests: vec![], effects };
        self.own_update(rec, record, cs)?;
        self.effects_to_changes(&[trace], rec, cs, &mut BTreeMap::new())?;
        Ok(mails)
    }

    /// Checks values set by workflow tasks like the caller's input (picklists, references, owners, mandatory
    /// fields) and refreshes the label.
    fn validate_workflow_values(&mut self, record: &mut Record) -> Result<()> {
        let schema = Arc::clone(&self.schema);
        if let Some(m) = schema.modules.get(&record.module) {
            let mut errors = ValidationErrors::default();
            self.check(&schema, m, &mut record.values, &mut errors)?;
            errors.into_result()?;
            record.label = label_of(m, &record.values);
        }
        Ok(())
    }

    /// Delayed tasks waiting in the queue, by due time.
    pub fn queued_tasks(&self) -> Result<Vec<QueuedTask>> {
        self.store.queued_tasks()
    }

    // ----- outbox -----

    /// Every outbox mail, oldest first (reads the whole outbox: see [`Crm::outbox_page`]).
    pub fn outbox(&self) -> Result<Vec<Mail>> {
        self.store.outbox()
    }

    /// At most `limit` outbox mails with ids above `after` (0 for the first page), oldest first, only those
    /// with `status` when given. The next page starts after the last id of this one; an index on
    /// `(status, id)` serves it, so each page costs the same however large the outbox grows.
    ///
    /// # Errors
    /// Storage errors.
    pub fn outbox_page(&self, status: Option<MailStatus>, after: i64, limit: usize) -> Result<Vec<Mail>> {
        self.store.outbox_page(status, after, limit)
    }

    /// One outbox mail by id.
    ///
    /// # Errors
    /// `NotFound`; storage errors.
    pub fn mail(&self, id: i64) -> Result<Mail> {
        self.store.mail(id)?.ok_or_else(|| Error::not_found(format!("mail {id}")))
    }

    /// Marks a mail as sent (reads and writes that mail only).
    ///
    /// # Errors
    /// `NotFound`.
    pub fn mark_sent(&mut self, id: i64) -> Result<()> {
        let m = self.mail(id)?;
        self.record_sent(m)
    }

    fn record_sent(&mut self, mut m: Mail) -> Result<()> {
        m.status = MailStatus::Sent;
        m.error = None;
        m.next_attempt = None;
        m.sent = Some(self.now());
        self.commit(&ChangeSet(vec![Change::Workflow(WorkflowChange::PutMail(m))]))
    }

    /// Marks a mail as failed with the error and counts the attempt: the next
    /// [`Crm::deliver_outbox`] after the back-off tries it again, until
    /// [`MAX_MAIL_ATTEMPTS`](crate::limits::MAX_MAIL_ATTEMPTS) failures; then it stays failed for good.
    ///
    /// # Errors
    /// `NotFound`.
    pub fn mark_failed(&mut self, id: i64, error: &str) -> Result<()> {
        let m = self.mail(id)?;
        self.record_failed(m, error).map(|_| ())
    }

    /// Records a failed attempt; true when it was the last one allowed.
    fn record_failed(&mut self, mut m: Mail, error: &str) -> Result<bool> {
        m.fail(error, self.now());
        let given_up = m.given_up();
        self.commit(&ChangeSet(vec![Change::Workflow(WorkflowChange::PutMail(m))]))?;
        Ok(given_up)
    }

    /// Hands every mail that is due to `mailer`, oldest first — queued mail, and failed mail whose back-off
    /// has passed (never mail given up on) — and records each outcome as it goes (so a crash in the middle
    /// loses nothing and sends nothing twice that was recorded as sent). The outbox is read in pages of due
    /// mail and each outcome writes one mail by id, so a run costs the same per mail however much sent or
    /// waiting mail the outbox holds.
    ///
    /// # Errors
    /// Storage errors.
    pub fn deliver_outbox(&mut self, mailer: &mut dyn Mailer) -> Result<DeliveryReport> {
        let mut report = DeliveryReport::default();
        let now = self.now();
        let mut after = 0;
        loop {
            let page = self.store.due_mail(now, after, DELIVERY_PAGE)?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for m in page {
                let id = m.id;
                match mailer.send(&m) {
                    Ok(()) => {
                        self.record_sent(m)?;
                        report.sent += 1;
                    }
                    Err(e) => {
                        if self.record_failed(m, &e)? {
                            report.given_up.push(id);
                        }
                        report.failed += 1;
                    }
                }
            }
        }
        Ok(report)
    }

    /// Removes sent mail sent before `before` (UTC) and returns how many; queued and failed mail stay.
    ///
    /// # Errors
    /// Storage errors.
    pub fn purge_outbox(&mut self, before: NaiveDateTime) -> Result<usize> {
        let mut purged = 0;
        loop {
            let ids = self.store.sent_before(before, DELIVERY_PAGE)?;
            if ids.is_empty() {
                return Ok(purged);
            }
            purged += ids.len();
            self.commit(&ChangeSet(ids.into_iter().map(|id| Change::Workflow(WorkflowChange::DeleteMail(id))).collect()))?;
        }
    }
}

/// Sets a field on a planned insert (and its creation log entry) after validation, for back-references to
/// a record that is created in the same change set.
fn patch_insert(cs: &mut ChangeSet, id: RecordId, field: &str, value: Value) {
    for c in &mut cs.0 {
        match c {
            Change::Record(RecordChange::Insert(r)) if r.id == id => {
                r.values.insert(field.to_string(), value.clone());
            }
            Change::Record(RecordChange::History(h)) if h.record == id && h.kind == ChangeKind::Created => {
                h.changes.retain(|c| c.field != field);
                h.changes.push(history::FieldChange { field: field.to_string(), before: None, after: value.to_text() });
                h.changes.sort_by(|a, b| a.field.cmp(&b.field));
            }
            _ => {}
        }
    }
}
