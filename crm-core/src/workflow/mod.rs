//! Workflows: triggers, vtiger conditions, expressions, tasks, e-mail alerts and schedules — as pure
//! functions of (record before, record after, clock, time zone) that return **effects as data**.
//!
//! A [`Workflow`] names a module, a [`Trigger`] (vtiger's execution condition), a condition tree
//! ([`condition::Cond`], read from vtiger's condition JSON or built in Rust) and ordered tasks
//! ([`task::TaskDef`]). [`run`] evaluates the workflows of a module for one save and returns, per workflow, a
//! [`WorkflowTrace`]: every test with its inputs and result, and the [`Effect`]s (field updates, outbox mails,
//! new records, delayed tasks). The service (`Crm`) applies the effects in the **same** storage commit as the
//! save, and a dry run simply does not apply them.
//!
//! Execution order (deterministic, unlike vtiger which has no ORDER BY): workflows by ascending id (the
//! default workflows of a new store come first: forecast, then the creation e-mail), tasks in their order.
//! Each workflow sees the record as left by earlier update-field tasks of the same save. Update-field tasks
//! never trigger workflows again (loop-safe, like vtiger's `saveentity`), and their changes are part of the
//! save's single change-log entry. Records created by tasks run their own module's workflows, up to
//! [`MAX_DEPTH`] levels deep.
//!
//! Differences from vtiger are documented in each submodule ([`condition`], [`expr`], [`mail`],
//! [`schedule`], [`task`]).

pub mod compiled;
pub mod condition;
pub mod expr;
pub mod mail;
pub mod schedule;
pub mod task;

use crate::error::{Error, Result};
use crate::record::{Fields, Record};
use crate::schema::{FieldType, Module, Schema};
use crate::user::{Owner, User};
use crate::value::{OwnerId, RecordId, Value};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use condition::{Cond, FieldPath, TestTrace};
use mail::Mail;
use schedule::Schedule;
use serde::{Deserialize, Serialize};
use task::TaskDef;

/// How deep records created by workflow tasks may trigger further workflows.
pub const MAX_DEPTH: usize = 3;

/// When a workflow runs (vtiger's execution condition).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "on", rename_all = "snake_case")]
pub enum Trigger {
    /// Only when the record is created (vtiger 1, "on first save").
    FirstSave,
    /// On every save until the condition is true once for the record (vtiger 2).
    Once,
    /// On every save, creation included (vtiger 3).
    EverySave,
    /// On every save except creation (vtiger 4).
    Modify,
    /// On a schedule, over every record that meets the condition (vtiger 6).
    Schedule(Schedule),
    /// Only when run explicitly (vtiger 7).
    Manual,
}

impl Trigger {
    /// vtiger's execution-condition number.
    pub fn vtiger_code(&self) -> i64 {
        match self {
            Trigger::FirstSave => 1,
            Trigger::Once => 2,
            Trigger::EverySave => 3,
            Trigger::Modify => 4,
            Trigger::Schedule(_) => 6,
            Trigger::Manual => 7,
        }
    }
}

/// A workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    /// Id (0 until stored).
    #[serde(default)]
    pub id: i64,
    /// Module name, e.g. `Potentials`.
    pub module: String,
    /// Name (vtiger `workflowname`).
    pub name: String,
    /// Description (vtiger `summary`).
    #[serde(default)]
    pub description: String,
    /// Inactive workflows never run.
    #[serde(default = "yes")]
    pub active: bool,
    /// When it runs.
    pub trigger: Trigger,
    /// Which records it applies to (empty = all).
    #[serde(default)]
    pub condition: Cond,
    /// What it does, in order.
    #[serde(default)]
    pub tasks: Vec<TaskDef>,
    /// Next run of a scheduled workflow (UTC).
    #[serde(default)]
    pub next_trigger: Option<NaiveDateTime>,
    /// Shipped with crm (vtiger `defaultworkflow`); still editable and disableable.
    #[serde(default)]
    pub default: bool,
}

fn yes() -> bool {
    true
}

impl Workflow {
    /// A new active workflow without conditions or tasks.
    pub fn new(module: impl Into<String>, name: impl Into<String>, trigger: Trigger) -> Workflow {
        Workflow {
            id: 0,
            module: module.into(),
            name: name.into(),
            description: String::new(),
            active: true,
            trigger,
            condition: Cond::default(),
            tasks: vec![],
            next_trigger: None,
            default: false,
        }
    }
    /// Sets the condition (builder style).
    pub fn when(mut self, c: Cond) -> Workflow {
        self.condition = c;
        self
    }
    /// Adds a task (builder style).
    pub fn task(mut self, t: TaskDef) -> Workflow {
        self.tasks.push(t);
        self
    }

    /// Checks everything that can be checked when the workflow is saved: module, fields, operators,
    /// expressions (syntax, functions, fields), task parameters, schedule.
    ///
    /// # Errors
    /// `InvalidArgument` naming the first problem.
    pub fn validate(&self, schema: &Schema) -> Result<()> {
        let m = schema.module(&self.module).ok_or_else(|| Error::invalid(format!("unknown module '{}'", self.module)))?;
        if self.name.trim().is_empty() {
            return Err(Error::invalid("a workflow needs a name"));
        }
        self.condition.check(m).map_err(|e| Error::invalid(format!("workflow '{}': {}", self.name, msg(&e))))?;
        if let Trigger::Schedule(s) = &self.trigger {
            s.validate().map_err(|e| Error::invalid(format!("workflow '{}': {e}", self.name)))?;
        }
        for (i, t) in self.tasks.iter().enumerate() {
            t.validate(schema, m)
                .map_err(|e| Error::invalid(format!("workflow '{}', task {} '{}': {}", self.name, i + 1, t.summary, msg(&e))))?;
        }
        Ok(())
    }

    /// Reads one workflow in vtiger's JSON shape (as in `com_vtiger_workflows` plus its `tasks`; see
    /// `shared/data/vtiger_workflows.json`).
    ///
    /// # Errors
    /// `InvalidArgument` for malformed JSON, unknown execution conditions, task types or operators.
    pub fn from_vtiger_json(j: &serde_json::Value, schema: &Schema) -> Result<Workflow> {
        task::from_vtiger(j, schema)
    }
}

fn msg(e: &Error) -> String {
    match e {
        Error::InvalidArgument(m) => m.clone(),
        other => other.to_string(),
    }
}

/// What triggered an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// A record is being created.
    Create,
    /// A record is being changed.
    Update,
    /// A scheduled run.
    Schedule,
    /// An explicit run.
    Manual,
}

/// One consequence of a workflow, as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    /// A field of the record is set (already reflected in the record handed back).
    UpdateField {
        /// Field name.
        field: String,
        /// New value.
        value: Value,
    },
    /// A field of a referenced record is set.
    UpdateRelated {
        /// The referenced record.
        record: RecordId,
        /// Field name.
        field: String,
        /// New value.
        value: Value,
    },
    /// A mail goes to the outbox (boxed: a mail is much larger than the other effects).
    Mail(Box<Mail>),
    /// A record is created.
    CreateRecord {
        /// Its module.
        module: String,
        /// Its fields.
        fields: std::collections::BTreeMap<String, Value>,
        /// Its field that will point back to the triggering record.
        back_reference: Option<String>,
    },
    /// A task is queued to run later.
    Delay {
        /// Index of the task in the workflow.
        task: usize,
        /// When it is due (UTC).
        due: NaiveDateTime,
    },
    /// A host function was called; its field updates are applied like update-field tasks.
    CustomFunction {
        /// Registered name.
        name: String,
    },
    /// A once-workflow fired for this record and will not fire again.
    ActivatedOnce,
    /// A task did nothing, and why.
    Skipped {
        /// Index of the task.
        task: usize,
        /// Why.
        reason: String,
    },
}

/// How one workflow was evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowTrace {
    /// Workflow id.
    pub workflow: i64,
    /// Workflow name.
    pub name: String,
    /// True when the trigger applied and the condition held.
    pub fired: bool,
    /// Why it did not run, when the trigger did not apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Every test with inputs and result.
    pub tests: Vec<TestTrace>,
    /// The effects.
    pub effects: Vec<Effect>,
}

/// What the evaluation needs from the outside world (implemented by the service over storage).
pub trait Env {
    /// A record by id.
    fn record(&self, id: RecordId) -> Result<Option<Record>>;
    /// An owner by id.
    fn owner(&self, id: OwnerId) -> Result<Option<Owner>>;
    /// The users behind an owner: the user, or every member of a group.
    fn owner_users(&self, id: OwnerId) -> Result<Vec<User>>;
    /// An owner by user name, full name or group name.
    fn find_owner(&self, name: &str) -> Result<Option<Owner>>;
    /// A record of one of `modules` by name.
    fn find_record(&self, modules: &[String], name: &str) -> Result<Option<RecordId>>;
    /// True when a once-workflow already fired for the record (or still has a task queued for it).
    fn activated_once(&self, workflow: i64, record: RecordId) -> Result<bool>;
    /// Calls a host function; `None` when no function has that name.
    fn call(&self, name: &str, record: &Record) -> Option<std::result::Result<Fields, String>>;
    /// The host's base URL for links in mail (may be empty).
    fn site_url(&self) -> String;
    /// The language mail is written in (the store's; default `en_us`): with `fa_ir`, merged dates are
    /// Jalali and picklist values Persian.
    fn language(&self) -> String {
        crate::i18n::DEFAULT_LANGUAGE.to_string()
    }
}

/// Everything one evaluation reads.
pub struct Ctx<'a> {
    /// The schema.
    pub schema: &'a Schema,
    /// The record's module.
    pub module: &'a Module,
    /// The record before the save (`None` on creation and in scheduled runs).
    pub before: Option<&'a Record>,
    /// The record as it will be stored.
    pub record: &'a Record,
    /// The current instant.
    pub now: DateTime<Utc>,
    /// The time zone days and wall-clock times are counted in.
    pub tz: Tz,
    /// Lookups.
    pub env: &'a dyn Env,
}

impl Ctx<'_> {
    /// The current wall-clock time in the time zone.
    pub fn local_now(&self) -> NaiveDateTime {
        self.now.with_timezone(&self.tz).naive_local()
    }
    /// Today in the time zone.
    pub fn today(&self) -> NaiveDate {
        self.local_now().date()
    }
    /// A stored (UTC) date-time as wall-clock time in the time zone.
    pub fn to_local(&self, t: NaiveDateTime) -> NaiveDateTime {
        t.and_utc().with_timezone(&self.tz).naive_local()
    }
    /// A value for people: references as the record's name, owners as the owner's name, date-times in the
    /// time zone.
    pub fn display(&self, v: &Value) -> String {
        match v {
            Value::Ref(id) => self.env.record(*id).ok().flatten().map(|r| r.label).unwrap_or_default(),
            Value::Owner(o) => self.env.owner(*o).ok().flatten().map(|o| o.name().to_string()).unwrap_or_default(),
            Value::DateTime(t) => crate::value::format_datetime(self.to_local(*t)),
            other => other.to_text().unwrap_or_default(),
        }
    }
    /// Text of a value for traces (`None` when empty).
    pub fn text_of(&self, v: &Value) -> Option<String> {
        if v.is_empty() { None } else { Some(self.display(v)) }
    }
    /// The value a path points at (empty when a reference is empty, deleted or of another module).
    ///
    /// # Errors
    /// Storage errors of the lookup.
    pub fn path_value(&self, p: &FieldPath) -> Result<Value> {
        match p {
            FieldPath::Own(n) => Ok(self.record.get(n).clone()),
            FieldPath::Related { via, module, field } => match self.record.get(via) {
                Value::Ref(id) => Ok(match self.env.record(*id)? {
                    Some(r) if r.module == *module && !r.deleted => r.get(field).clone(),
                    _ => Value::Null,
                }),
                Value::Owner(o) if module == "Users" => {
                    let users = self.env.owner_users(*o)?;
                    let v: Vec<String> = users.iter().map(|u| mail::user_field(u, field)).filter(|s| !s.is_empty()).collect();
                    Ok(if v.is_empty() { Value::Null } else { Value::Text(v.join(", ")) })
                }
                _ => Ok(Value::Null),
            },
        }
    }
    /// The field definition a path points at.
    pub fn field_def(&self, p: &FieldPath) -> Option<crate::schema::Field> {
        match p {
            FieldPath::Own(n) => self.module.field(n).cloned(),
            FieldPath::Related { module, field, .. } => self.schema.module(module).and_then(|m| m.field(field)).cloned(),
        }
    }
}

/// Does the trigger apply to this event? `Ok(None)` = yes, `Ok(Some(reason))` = no.
fn trigger_applies(wf: &Workflow, event: Event, record: &Record, env: &dyn Env) -> Result<Option<String>> {
    let no = |s: &str| Ok(Some(s.to_string()));
    match (&wf.trigger, event) {
        (Trigger::FirstSave, Event::Create) | (Trigger::EverySave, Event::Create | Event::Update) => Ok(None),
        (Trigger::Modify, Event::Update) => Ok(None),
        (Trigger::Once, Event::Create | Event::Update) => {
            if record.id.0 != 0 && env.activated_once(wf.id, record.id)? {
                no("already fired once for this record")
            } else {
                Ok(None)
            }
        }
        (Trigger::Schedule(_), Event::Schedule) => Ok(None),
        (_, Event::Manual) => Ok(None),
        (Trigger::FirstSave, _) => no("runs only when a record is created"),
        (Trigger::Modify, _) => no("runs only when a record is changed"),
        (Trigger::Schedule(_), _) => no("runs only on its schedule"),
        (Trigger::Manual, _) => no("runs only when started explicitly"),
        _ => no("not triggered by this event"),
    }
}

/// Evaluates `workflows` (of the record's module, already in execution order) for one event and applies
/// update-field effects to `record` as it goes. Returns one trace per workflow considered.
///
/// # Errors
/// A task's value does not fit its field (`Validation`), an expression fails at run time
/// (`InvalidArgument`), or a lookup fails (`Storage`).
#[allow(clippy::too_many_arguments)]
pub fn run(
    workflows: &[Workflow],
    event: Event,
    before: Option<&Record>,
    record: &mut Record,
    schema: &Schema,
    now: DateTime<Utc>,
    tz: Tz,
    env: &dyn Env,
) -> Result<Vec<WorkflowTrace>> {
    run_prepared(workflows, None, event, before, record, schema, now, tz, env)
}

/// The tasks of workflows prepared once for one module of one schema ([`task::PreparedTask`]), by
/// workflow and task position in the list they were prepared from.
#[derive(Debug)]
pub(crate) struct Prepared {
    tasks: Vec<Vec<task::PreparedTask>>,
}

impl Prepared {
    /// Prepares the tasks of `workflows` for records of `module` (the other modules' workflows get none).
    pub(crate) fn new(workflows: &[Workflow], schema: &Schema, module: &Module) -> Prepared {
        let tasks = workflows
            .iter()
            .map(|w| {
                if w.module != module.name {
                    return Vec::new();
                }
                w.tasks.iter().map(|t| task::PreparedTask::new(t, schema, module)).collect()
            })
            .collect();
        Prepared { tasks }
    }
}

/// [`run`] with the workflows' tasks prepared for the record's module of `schema` ([`Prepared::new`] of
/// the same `workflows`); the result is the same.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_prepared(
    workflows: &[Workflow],
    prepared: Option<&Prepared>,
    event: Event,
    before: Option<&Record>,
    record: &mut Record,
    schema: &Schema,
    now: DateTime<Utc>,
    tz: Tz,
    env: &dyn Env,
) -> Result<Vec<WorkflowTrace>> {
    let module = schema.module(&record.module).ok_or_else(|| Error::invalid(format!("unknown module '{}'", record.module)))?;
    let mut traces = Vec::new();
    for (wi, wf) in workflows.iter().enumerate().filter(|(_, w)| w.module == module.name) {
        let mut t = WorkflowTrace { workflow: wf.id, name: wf.name.clone(), fired: false, skipped: None, tests: vec![], effects: vec![] };
        if !wf.active {
            t.skipped = Some("inactive".into());
            traces.push(t);
            continue;
        }
        if let Some(reason) = trigger_applies(wf, event, record, env)? {
            t.skipped = Some(reason);
            traces.push(t);
            continue;
        }
        let ctx = Ctx { schema, module, before, record, now, tz, env };
        t.fired = wf.condition.eval(&ctx, &mut t.tests);
        if !t.fired {
            traces.push(t);
            continue;
        }
        if wf.trigger == Trigger::Once {
            t.effects.push(Effect::ActivatedOnce);
        }
        for (i, task) in wf.tasks.iter().enumerate() {
            let ctx = Ctx { schema, module, before, record, now, tz, env };
            let p = prepared.and_then(|p| p.tasks.get(wi)).and_then(|t| t.get(i));
            let effects = task::perform_prepared(wf, i, task, p, &ctx, true)?;
            apply_own(record, &effects, module);
            t.effects.extend(effects);
        }
        traces.push(t);
    }
    Ok(traces)
}

/// Applies update-field effects to the record itself.
pub fn apply_own(record: &mut Record, effects: &[Effect], module: &Module) {
    for e in effects {
        if let Effect::UpdateField { field, value } = e {
            if value.is_empty() {
                record.values.remove(field);
            } else {
                record.values.insert(field.clone(), value.clone());
            }
        }
    }
    record.label = module
        .entity_fields
        .iter()
        .filter_map(|f| record.values.get(f).and_then(Value::to_text))
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_string();
}

/// True for field types a date offset can be based on.
pub(crate) fn is_date_type(t: FieldType) -> bool {
    matches!(t, FieldType::Date | FieldType::DateTime)
}

/// A delayed task waiting in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedTask {
    /// Queue id.
    pub id: i64,
    /// The workflow.
    pub workflow: i64,
    /// Index of the task in the workflow.
    pub task: usize,
    /// The record it runs for.
    pub record: RecordId,
    /// When it is due (UTC).
    pub due: NaiveDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    #[test]
    fn triggers_round_trip_through_json() {
        let at = NaiveTime::from_hms_opt(9, 30, 0).unwrap_or_default();
        let d = NaiveDate::from_ymd_opt(2027, 1, 15).unwrap_or_default();
        for t in [
            Trigger::FirstSave,
            Trigger::Once,
            Trigger::EverySave,
            Trigger::Modify,
            Trigger::Manual,
            Trigger::Schedule(Schedule::Hourly),
            Trigger::Schedule(Schedule::Daily { at }),
            Trigger::Schedule(Schedule::Weekly { days: vec![1, 5], at }),
            Trigger::Schedule(Schedule::Monthly { days: vec![1, 15], at }),
            Trigger::Schedule(Schedule::Yearly { dates: vec![d], at }),
            Trigger::Schedule(Schedule::Once { date: d, at }),
        ] {
            let j = serde_json::to_string(&t).unwrap_or_default();
            let back: Trigger = serde_json::from_str(&j).unwrap_or(Trigger::Manual);
            assert_eq!(back, t, "{j}");
        }
    }
}
