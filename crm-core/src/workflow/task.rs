//! Workflow tasks (reference §6) and reading vtiger's workflow JSON.
//!
//! Every task is performed as a pure function returning [`Effect`]s; nothing is written here.
//!
//! * **Update fields** — rawtext / fieldname / expression values; `(ref : (Module) field)` targets update
//!   the referenced record (skipped when the reference is empty, deleted or of another module). Values are
//!   converted and validated with the target field's rules (e.g. `forecast_amount` has scale 4 and is rounded
//!   half away from zero, so `1000.00 * 20.000 / 100` is stored as `200.0000`). Owner values accept user or
//!   group names, reference values record names.
//! * **Send e-mail** — rendered into an outbox [`Mail`]; see [`super::mail`].
//! * **Create todo / create event** — a Calendar record linked back through `parent_id` (`contact_id` for
//!   Contacts), dates = a date field of the record (or today) ± days.
//! * **Create record** — any module, fields mapped like update fields, with a back-reference field.
//! * **Invoke custom function** — a function registered by the host; it reads the record and returns field
//!   updates (applied like update fields). An unregistered name is skipped and shown in the trace (the host
//!   may register functions after opening the store, so it cannot be checked when the workflow is saved).
//! * **Delay** — any task may run "N days after/before a date field"; it is then queued and performed by
//!   `run_due` against the record as it is at that time (vtiger queues only e-mail tasks).

use super::condition::{Cond, FieldPath, VtigerCondition, string_or_number};
use super::expr::Expr;
use super::mail::{Mail, MailStatus, Template, header_safe, mailbox, render, valid_from};
use super::schedule::Schedule;
use super::{Ctx, Effect, Trigger, Workflow, is_date_type};
use crate::error::{Error, FieldError, Result, ValidationCode};
use crate::record::Fields;
use crate::schema::{Field, FieldType, Module, Schema};
use crate::value::{Value, coerce};
use chrono::{Duration, NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

/// How an update's value is given (vtiger `valuetype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    /// A literal.
    #[default]
    Rawtext,
    /// Another field (`field` or `(ref : (Module) field)`).
    Fieldname,
    /// An expression.
    Expression,
}

/// One field assignment of an update-fields or create-record task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldUpdate {
    /// Target field (or `(ref : (Module) field)` for a related record).
    #[serde(rename = "fieldname")]
    pub field: FieldPath,
    /// How `value` is read.
    #[serde(rename = "valuetype", default)]
    pub value_type: ValueType,
    /// The value, field name or expression.
    #[serde(default, deserialize_with = "string_or_number")]
    pub value: String,
}

impl FieldUpdate {
    /// `field = expression`.
    pub fn expression(field: &str, expr: &str) -> FieldUpdate {
        FieldUpdate { field: FieldPath::Own(field.into()), value_type: ValueType::Expression, value: expr.into() }
    }
    /// `field = literal`.
    pub fn raw(field: &str, value: &str) -> FieldUpdate {
        FieldUpdate { field: FieldPath::Own(field.into()), value_type: ValueType::Rawtext, value: value.into() }
    }
}

/// A send-e-mail task. Every text is a template with merge tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct EmailTask {
    /// From (empty = the record owner's name and address).
    #[serde(default)]
    pub from: String,
    /// Reply-To.
    #[serde(default)]
    pub reply_to: String,
    /// Recipients, comma-separated.
    #[serde(default)]
    pub to: String,
    /// Copy recipients.
    #[serde(default)]
    pub cc: String,
    /// Blind-copy recipients.
    #[serde(default)]
    pub bcc: String,
    /// Subject.
    #[serde(default)]
    pub subject: String,
    /// Body.
    #[serde(default)]
    pub body: String,
}

/// A create-todo task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TodoTask {
    /// Subject (template).
    pub subject: String,
    /// Description (template).
    #[serde(default)]
    pub description: String,
    /// Task status (e.g. `Not Started`).
    #[serde(default)]
    pub status: String,
    /// Priority (e.g. `High`).
    #[serde(default)]
    pub priority: String,
    /// Days after (negative: before) the base date.
    #[serde(default)]
    pub days: i64,
    /// Base date field of the record (empty = today).
    #[serde(default)]
    pub date_field: String,
    /// Time of day (default: the base date-time's time, or now).
    #[serde(default)]
    pub time: Option<NaiveTime>,
    /// Owner (user or group name; empty = the record's owner).
    #[serde(default)]
    pub assigned_to: String,
}

/// A create-event task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct EventTask {
    /// Subject (template).
    pub subject: String,
    /// Description (template).
    #[serde(default)]
    pub description: String,
    /// Activity type (`Call`, `Meeting`).
    #[serde(default)]
    pub event_type: String,
    /// Event status (e.g. `Planned`).
    #[serde(default)]
    pub status: String,
    /// Start: days after (negative: before) `start_field`.
    #[serde(default)]
    pub start_days: i64,
    /// Start base date field (empty = today).
    #[serde(default)]
    pub start_field: String,
    /// Start time.
    #[serde(default)]
    pub start_time: Option<NaiveTime>,
    /// End: days after (negative: before) `end_field`.
    #[serde(default)]
    pub end_days: i64,
    /// End base date field (empty = today).
    #[serde(default)]
    pub end_field: String,
    /// End time.
    #[serde(default)]
    pub end_time: Option<NaiveTime>,
    /// Owner (user or group name; empty = the record's owner).
    #[serde(default)]
    pub assigned_to: String,
}

/// What a task does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Sets fields of the record or of referenced records.
    UpdateFields {
        /// The assignments, in order.
        updates: Vec<FieldUpdate>,
    },
    /// Puts a mail into the outbox.
    SendEmail(EmailTask),
    /// Creates a Calendar task.
    CreateTodo(TodoTask),
    /// Creates a Calendar event.
    CreateEvent(EventTask),
    /// Creates a record of any module.
    CreateRecord {
        /// Its module.
        module: String,
        /// Its field that points back to the triggering record (may be empty).
        #[serde(default)]
        reference_field: String,
        /// Its fields.
        updates: Vec<FieldUpdate>,
    },
    /// Calls a function registered by the host ([`Crm::register_function`](crate::Crm::register_function)).
    ///
    /// The name is **not** checked against the registered functions when the workflow is saved: workflows
    /// live in storage and outlive the process, and a host (or a C / Python binding) registers its functions
    /// after opening the store, so a save-time check would refuse valid stored workflows. A name that is
    /// not registered when the task runs is skipped and shown as [`Effect::Skipped`]
    /// in the trace (the save goes on); a registered function that returns an error fails the save. Hosts
    /// check their setup with [`Crm::unregistered_functions`](crate::Crm::unregistered_functions).
    CustomFunction {
        /// The registered name.
        name: String,
    },
}

/// Run the task N days after (negative: before) a date field of the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delay {
    /// Days after (negative: before).
    pub days: i64,
    /// A date or date-time field.
    pub field: String,
}

/// A task of a workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskDef {
    /// Short description.
    #[serde(default)]
    pub summary: String,
    /// Inactive tasks are skipped.
    #[serde(default = "yes")]
    pub active: bool,
    /// Optional delay.
    #[serde(default)]
    pub delay: Option<Delay>,
    /// What it does.
    pub action: Action,
}

fn yes() -> bool {
    true
}

impl TaskDef {
    /// An active, immediate task.
    pub fn new(summary: impl Into<String>, action: Action) -> TaskDef {
        TaskDef { summary: summary.into(), active: true, delay: None, action }
    }
    /// Delays the task `days` after (negative: before) `field` (builder style).
    pub fn delayed(mut self, days: i64, field: &str) -> TaskDef {
        self.delay = Some(Delay { days, field: field.into() });
        self
    }

    /// Checks the task against the schema.
    ///
    /// # Errors
    /// `InvalidArgument` naming the problem.
    pub fn validate(&self, schema: &Schema, m: &Module) -> Result<()> {
        if let Some(d) = &self.delay {
            date_field(m, &d.field)?;
        }
        match &self.action {
            Action::UpdateFields { updates } => {
                for u in updates {
                    let target = target_field(schema, m, &u.field)?;
                    if !target.is_writable() {
                        return Err(Error::invalid(format!("field '{}' is maintained by crm", target.name)));
                    }
                    check_source(u, m)?;
                }
                Ok(())
            }
            Action::SendEmail(e) => {
                if e.to.trim().is_empty() && e.cc.trim().is_empty() && e.bcc.trim().is_empty() {
                    return Err(Error::invalid("an e-mail task needs a recipient"));
                }
                Ok(())
            }
            Action::CreateTodo(t) => {
                if !t.date_field.is_empty() {
                    date_field(m, &t.date_field)?;
                }
                Ok(())
            }
            Action::CreateEvent(t) => {
                for f in [&t.start_field, &t.end_field] {
                    if !f.is_empty() {
                        date_field(m, f)?;
                    }
                }
                Ok(())
            }
            Action::CreateRecord { module, reference_field, updates } => {
                let target = schema.module(module).ok_or_else(|| Error::invalid(format!("unknown module '{module}'")))?;
                if !reference_field.is_empty() {
                    match target.field(reference_field) {
                        Some(f) if f.field_type == FieldType::Reference && f.references.contains(&m.name) => {}
                        _ => return Err(Error::invalid(format!("{}.{reference_field} is not a reference to {}", target.name, m.name))),
                    }
                }
                for u in updates {
                    let FieldPath::Own(n) = &u.field else { return Err(Error::invalid("create-record fields must be plain field names")) };
                    target.field(n).ok_or_else(|| Error::invalid(format!("{} has no field '{n}'", target.name)))?;
                    check_source(u, m)?;
                }
                Ok(())
            }
            Action::CustomFunction { name } => {
                if name.trim().is_empty() {
                    return Err(Error::invalid("a custom-function task needs a function name"));
                }
                Ok(())
            }
        }
    }
}

fn date_field<'a>(m: &'a Module, name: &str) -> Result<&'a Field> {
    match m.field(name) {
        Some(f) if is_date_type(f.field_type) => Ok(f),
        _ => Err(Error::invalid(format!("'{name}' is not a date field of {}", m.name))),
    }
}

fn target_field(schema: &Schema, m: &Module, p: &FieldPath) -> Result<Field> {
    match p {
        FieldPath::Own(n) => m.field(n).cloned().ok_or_else(|| Error::invalid(format!("{} has no field '{n}'", m.name))),
        FieldPath::Related { module, field, .. } => {
            p.check(m)?;
            let rm = schema.module(module).ok_or_else(|| Error::invalid(format!("unknown module '{module}'")))?;
            rm.field(field).cloned().ok_or_else(|| Error::invalid(format!("{module} has no field '{field}'")))
        }
    }
}

fn check_source(u: &FieldUpdate, m: &Module) -> Result<()> {
    match u.value_type {
        ValueType::Rawtext => Ok(()),
        ValueType::Fieldname => FieldPath::parse(&u.value).ok_or_else(|| Error::invalid(format!("'{}' is not a field", u.value)))?.check(m),
        ValueType::Expression => Expr::compile(&u.value, m).map(|_| ()),
    }
}

fn field_error(wf: &Workflow, f: &str, message: String) -> Error {
    Error::Validation(crate::error::ValidationErrors(vec![FieldError::new(
        f,
        ValidationCode::InvalidType,
        format!("workflow '{}': {message}", wf.name),
    )]))
}

/// Computes the value an update assigns, converted to `target`; `expr` is the update's expression when
/// it was compiled beforehand (else it is compiled here, which reports why it does not compile).
fn update_value(wf: &Workflow, u: &FieldUpdate, target: &Field, expr: Option<&Expr>, ctx: &Ctx<'_>) -> Result<Value> {
    let v = match u.value_type {
        ValueType::Rawtext => {
            let raw = u.value.trim();
            let raw = raw.strip_suffix(":boolean").unwrap_or(raw);
            Value::Text(render(raw, ctx))
        }
        ValueType::Fieldname => {
            let p = FieldPath::parse(&u.value).ok_or_else(|| Error::invalid(format!("'{}' is not a field", u.value)))?;
            ctx.path_value(&p)?
        }
        ValueType::Expression => {
            let held;
            let e = match expr {
                Some(e) => e,
                None => {
                    held = Expr::compile(&u.value, ctx.module)?;
                    &held
                }
            };
            e.eval(ctx).map_err(|m| field_error(wf, &target.name, format!("expression '{}': {m}", u.value)))?.into_value()
        }
    };
    let v = match (target.field_type, v) {
        (FieldType::Owner, Value::Text(s)) if s.trim().parse::<i64>().is_err() && !s.trim().is_empty() => match ctx.env.find_owner(&s)? {
            Some(o) => Value::Owner(o.id()),
            None => return Err(field_error(wf, &target.name, format!("no user or group named '{s}'"))),
        },
        (FieldType::Reference, Value::Text(s)) if s.trim().parse::<i64>().is_err() && !s.trim().is_empty() => {
            match ctx.env.find_record(&target.references, &s)? {
                Some(id) => Value::Ref(id),
                None => Value::Null,
            }
        }
        (t, v @ (Value::Ref(_) | Value::Owner(_))) if !matches!(t, FieldType::Reference | FieldType::Owner) => Value::Text(ctx.display(&v)),
        (_, v) => v,
    };
    coerce(target, v).map_err(|e| field_error(wf, &target.name, e.message))
}

/// What performing a task needs from the schema, worked out once per module and schema (see
/// [`super::Prepared`]): the target fields and compiled expressions of field updates, and the parsed
/// templates of a mail. A task is always performed with a preparation: the one made with its workflows
/// ([`super::Prepared`], kept by the save plan or made once for a run), else one made when it runs. A part
/// that could not be prepared (an error, reported when the task runs) is left to the task.
#[derive(Debug)]
pub(crate) enum PreparedTask {
    /// An update-fields task: one entry per update, in order.
    Updates(Vec<PreparedUpdate>),
    /// A send-e-mail task.
    Mail(Box<PreparedMail>),
    /// Nothing prepared.
    Nothing,
}

/// One update of an update-fields task, prepared.
#[derive(Debug)]
pub(crate) struct PreparedUpdate {
    /// The field the update sets (`None`: not found, the task reports it).
    target: Option<Field>,
    /// The compiled expression of an expression update.
    expr: Option<Expr>,
}

/// The templates of a send-e-mail task, parsed against the module.
#[derive(Debug)]
pub(crate) struct PreparedMail {
    from: Template,
    reply_to: Template,
    to: Template,
    cc: Template,
    bcc: Template,
    subject: Template,
    body: Template,
}

impl PreparedMail {
    /// Parses the templates of `e` against `m`.
    fn parse(e: &EmailTask, m: &Module) -> PreparedMail {
        PreparedMail {
            from: Template::parse(&e.from, m),
            reply_to: Template::parse(&e.reply_to, m),
            to: Template::parse(&e.to, m),
            cc: Template::parse(&e.cc, m),
            bcc: Template::parse(&e.bcc, m),
            subject: Template::parse(&e.subject, m),
            body: Template::parse(&e.body, m),
        }
    }
}

impl PreparedTask {
    /// Prepares `task` for records of `m`.
    pub(crate) fn new(task: &TaskDef, schema: &Schema, m: &Module) -> PreparedTask {
        match &task.action {
            Action::UpdateFields { updates } => PreparedTask::Updates(
                updates
                    .iter()
                    .map(|u| PreparedUpdate {
                        target: target_field(schema, m, &u.field).ok(),
                        expr: (u.value_type == ValueType::Expression).then(|| Expr::compile(&u.value, m).ok()).flatten(),
                    })
                    .collect(),
            ),
            Action::SendEmail(e) => PreparedTask::Mail(Box::new(PreparedMail::parse(e, m))),
            _ => PreparedTask::Nothing,
        }
    }
}

/// The base date-time of a date offset: a date field of the record (date fields at the task's time or now),
/// or now when the field is empty or not given. In the engine's time zone.
fn base(ctx: &Ctx<'_>, field: &str, days: i64, time: Option<NaiveTime>) -> (NaiveDate, NaiveTime) {
    let now = ctx.local_now();
    let (d, t) = match ctx.record.get(field) {
        Value::Date(d) => (*d, time.unwrap_or(now.time())),
        Value::DateTime(dt) => {
            let l = ctx.to_local(*dt);
            (l.date(), time.unwrap_or(l.time()))
        }
        _ => (now.date(), time.unwrap_or(now.time())),
    };
    let t = chrono::Timelike::with_nanosecond(&t, 0).unwrap_or(t);
    (Duration::try_days(days).and_then(|x| d.checked_add_signed(x)).unwrap_or(d), t)
}

fn owner_value(ctx: &Ctx<'_>, name: &str) -> Result<Value> {
    if name.trim().is_empty() || name == "copyParentOwner" {
        return Ok(ctx.record.get("assigned_user_id").clone());
    }
    Ok(match ctx.env.find_owner(name)? {
        Some(o) => Value::Owner(o.id()),
        None => ctx.record.get("assigned_user_id").clone(),
    })
}

/// Performs task `index` of `wf` for the record of `ctx` and returns its effects. With `allow_delay`, a
/// delayed task only yields [`Effect::Delay`].
///
/// # Errors
/// See [`super::run`].
pub fn perform(wf: &Workflow, index: usize, task: &TaskDef, ctx: &Ctx<'_>, allow_delay: bool) -> Result<Vec<Effect>> {
    perform_prepared(wf, index, task, None, ctx, allow_delay)
}

/// [`perform`] with the task's preparation for the record's module; without one (`None`), the task is
/// prepared here.
pub(crate) fn perform_prepared(
    wf: &Workflow,
    index: usize,
    task: &TaskDef,
    prepared: Option<&PreparedTask>,
    ctx: &Ctx<'_>,
    allow_delay: bool,
) -> Result<Vec<Effect>> {
    if !task.active {
        return Ok(vec![Effect::Skipped { task: index, reason: "inactive task".into() }]);
    }
    if let (Some(d), true) = (&task.delay, allow_delay) {
        let due = match ctx.record.get(&d.field) {
            Value::Date(x) => Some(x.and_time(NaiveTime::MIN)),
            Value::DateTime(x) => Some(*x),
            _ => None,
        };
        return Ok(vec![match due.and_then(|t| Duration::try_days(d.days).and_then(|x| t.checked_add_signed(x))) {
            Some(due) => Effect::Delay { task: index, due },
            None => Effect::Skipped { task: index, reason: format!("delay field '{}' is empty", d.field) },
        }]);
    }
    let here;
    let prepared = match prepared {
        Some(p) => p,
        None => {
            here = PreparedTask::new(task, ctx.schema, ctx.module);
            &here
        }
    };
    let mut out = Vec::new();
    match &task.action {
        Action::UpdateFields { updates } => {
            let prepared = match prepared {
                PreparedTask::Updates(p) => p.as_slice(),
                _ => &[],
            };
            for (i, u) in updates.iter().enumerate() {
                let p = prepared.get(i);
                let target = match p.and_then(|p| p.target.as_ref()) {
                    Some(t) => std::borrow::Cow::Borrowed(t),
                    None => std::borrow::Cow::Owned(target_field(ctx.schema, ctx.module, &u.field)?),
                };
                let expr = p.and_then(|p| p.expr.as_ref());
                match &u.field {
                    FieldPath::Own(n) => {
                        out.push(Effect::UpdateField { field: n.clone(), value: update_value(wf, u, &target, expr, ctx)? })
                    }
                    FieldPath::Related { via, module, field } => {
                        let rec = match ctx.record.get(via) {
                            Value::Ref(id) => ctx.env.record(*id)?,
                            _ => None,
                        };
                        match rec {
                            Some(r) if r.module == *module && !r.deleted => out.push(Effect::UpdateRelated {
                                record: r.id,
                                field: field.clone(),
                                value: update_value(wf, u, &target, expr, ctx)?,
                            }),
                            _ => out.push(Effect::Skipped { task: index, reason: format!("no {module} record in '{via}'") }),
                        }
                    }
                }
            }
        }
        Action::SendEmail(e) => {
            let parsed;
            let t = match prepared {
                PreparedTask::Mail(p) => &**p,
                _ => {
                    parsed = PreparedMail::parse(e, ctx.module);
                    &parsed
                }
            };
            let (to, cc, bcc) = match (t.to.recipients(ctx), t.cc.recipients(ctx), t.bcc.recipients(ctx)) {
                (Ok(to), Ok(cc), Ok(bcc)) => (to, cc, bcc),
                (Err(reason), _, _) | (_, Err(reason), _) | (_, _, Err(reason)) => {
                    return Ok(vec![Effect::Skipped { task: index, reason }]);
                }
            };
            if to.is_empty() && cc.is_empty() && bcc.is_empty() {
                out.push(Effect::Skipped { task: index, reason: "no recipient (empty, invalid or opted out)".into() });
                return Ok(out);
            }
            let mut from = header_safe(&t.from.render(ctx));
            if from.is_empty()
                && let Value::Owner(o) = ctx.record.get("assigned_user_id")
                && let Some(crate::user::Owner::User(u)) = ctx.env.owner(*o)?
                && !u.email.is_empty()
            {
                from = mailbox(&u.full_name, &u.email);
            }
            if !valid_from(&from) {
                return Ok(vec![Effect::Skipped { task: index, reason: format!("From '{from}' is not one e-mail address") }]);
            }
            let reply = header_safe(&t.reply_to.render(ctx));
            let reply = if crate::value::is_email(&reply) { reply } else { String::new() };
            out.push(Effect::Mail(Box::new(Mail {
                id: 0,
                from,
                reply_to: reply,
                to,
                cc,
                bcc,
                subject: header_safe(&t.subject.render(ctx)),
                body: t.body.render_body(ctx),
                record: (ctx.record.id.0 != 0).then_some(ctx.record.id),
                workflow: (wf.id != 0).then_some(wf.id),
                status: MailStatus::Queued,
                error: None,
                created: ctx.now.naive_utc(),
                sent: None,
                attempts: 0,
                next_attempt: None,
            })));
        }
        Action::CreateTodo(t) => {
            let (d, time) = base(ctx, &t.date_field, t.days, t.time);
            let mut f = Fields::new()
                .with("subject", render(&t.subject, ctx))
                .with("activitytype", "Task")
                .with("date_start", d)
                .with("due_date", d)
                .with("time_start", time)
                .with("assigned_user_id", owner_value(ctx, &t.assigned_to)?);
            for (k, v) in
                [("description", render(&t.description, ctx)), ("taskstatus", t.status.clone()), ("taskpriority", t.priority.clone())]
            {
                if !v.trim().is_empty() {
                    f.set(k, v);
                }
            }
            out.push(Effect::CreateRecord { module: "Calendar".into(), fields: f.0, back_reference: Some(calendar_link(ctx)) });
        }
        Action::CreateEvent(t) => {
            let (sd, st) = base(ctx, &t.start_field, t.start_days, t.start_time);
            let (ed, et) = base(ctx, &t.end_field, t.end_days, t.end_time);
            let kind = if t.event_type.trim().is_empty() { "Meeting".to_string() } else { t.event_type.clone() };
            let mut f = Fields::new()
                .with("subject", render(&t.subject, ctx))
                .with("activitytype", kind)
                .with("date_start", sd)
                .with("time_start", st)
                .with("due_date", ed)
                .with("time_end", et)
                .with("assigned_user_id", owner_value(ctx, &t.assigned_to)?);
            for (k, v) in [("description", render(&t.description, ctx)), ("eventstatus", t.status.clone())] {
                if !v.trim().is_empty() {
                    f.set(k, v);
                }
            }
            out.push(Effect::CreateRecord { module: "Calendar".into(), fields: f.0, back_reference: Some(calendar_link(ctx)) });
        }
        Action::CreateRecord { module, reference_field, updates } => {
            let target = ctx.schema.module(module).ok_or_else(|| Error::invalid(format!("unknown module '{module}'")))?;
            let mut f = Fields::new();
            for u in updates {
                let FieldPath::Own(n) = &u.field else { continue };
                let tf = target.field(n).ok_or_else(|| Error::invalid(format!("{module} has no field '{n}'")))?;
                f.set(n.clone(), update_value(wf, u, tf, None, ctx)?);
            }
            if target.field("assigned_user_id").is_some() && !f.contains("assigned_user_id") {
                f.set("assigned_user_id", ctx.record.get("assigned_user_id").clone());
            }
            out.push(Effect::CreateRecord {
                module: target.name.clone(),
                fields: f.0,
                back_reference: (!reference_field.is_empty()).then(|| reference_field.clone()),
            });
        }
        Action::CustomFunction { name } => match ctx.env.call(name, ctx.record) {
            None => out.push(Effect::Skipped { task: index, reason: format!("no function '{name}' is registered") }),
            Some(Err(m)) => return Err(Error::invalid(format!("workflow '{}': function '{name}' failed: {m}", wf.name))),
            Some(Ok(fields)) => {
                out.push(Effect::CustomFunction { name: name.clone() });
                for (k, v) in fields {
                    let f = ctx
                        .module
                        .field_by_name_or_label(&k)
                        .ok_or_else(|| Error::invalid(format!("function '{name}': {} has no field '{k}'", ctx.module.name)))?;
                    if !f.is_writable() {
                        return Err(Error::invalid(format!("function '{name}': field '{}' is maintained by crm", f.name)));
                    }
                    let v = coerce(f, v).map_err(|e| field_error(wf, &f.name, e.message))?;
                    out.push(Effect::UpdateField { field: f.name.clone(), value: v });
                }
            }
        },
    }
    Ok(out)
}

fn calendar_link(ctx: &Ctx<'_>) -> String {
    if ctx.record.module == "Contacts" { "contact_id".into() } else { "parent_id".into() }
}

// ----- vtiger JSON -----

#[derive(Deserialize)]
struct VtWorkflow {
    #[serde(default)]
    workflowname: String,
    #[serde(default)]
    summary: String,
    module_name: String,
    #[serde(deserialize_with = "string_or_number")]
    execution_condition: String,
    #[serde(default)]
    test: serde_json::Value,
    #[serde(default, deserialize_with = "string_or_number")]
    defaultworkflow: String,
    #[serde(default, deserialize_with = "string_or_number")]
    status: String,
    #[serde(default, deserialize_with = "string_or_number")]
    schtypeid: String,
    #[serde(default, deserialize_with = "string_or_number")]
    schtime: String,
    #[serde(default)]
    schdayofweek: serde_json::Value,
    #[serde(default)]
    schdayofmonth: serde_json::Value,
    #[serde(default)]
    schannualdates: serde_json::Value,
    #[serde(default)]
    tasks: Vec<serde_json::Value>,
}

/// A JSON list that may be stored as a JSON string (`"[1,3]"`) or an array.
fn json_list(v: &serde_json::Value) -> Vec<String> {
    let arr = match v {
        serde_json::Value::String(s) if s.trim().is_empty() => return vec![],
        serde_json::Value::String(s) => serde_json::from_str::<serde_json::Value>(s).unwrap_or(serde_json::Value::Null),
        other => other.clone(),
    };
    match arr {
        serde_json::Value::Array(a) => a
            .into_iter()
            .map(|x| match x {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            })
            .collect(),
        _ => vec![],
    }
}

fn s(j: &serde_json::Value, key: &str) -> String {
    match j.get(key) {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn time_of(s: &str) -> Option<NaiveTime> {
    let t = s.trim();
    NaiveTime::parse_from_str(t, "%H:%M:%S").or_else(|_| NaiveTime::parse_from_str(t, "%H:%M")).ok()
}

fn updates_of(j: &serde_json::Value) -> Result<Vec<FieldUpdate>> {
    let raw = j.get("field_value_mapping").cloned().unwrap_or(serde_json::Value::Null);
    let v = match raw {
        serde_json::Value::String(s) if s.trim().is_empty() => return Ok(vec![]),
        serde_json::Value::String(s) => serde_json::from_str(&s).map_err(|e| Error::invalid(format!("field_value_mapping: {e}")))?,
        serde_json::Value::Null => return Ok(vec![]),
        other => other,
    };
    serde_json::from_value(v).map_err(|e| Error::invalid(format!("field_value_mapping: {e}")))
}

fn signed_days(days: &str, direction: &str) -> i64 {
    let n = days.trim().parse::<i64>().unwrap_or(0);
    if direction.trim().eq_ignore_ascii_case("before") { n.saturating_neg() } else { n }
}

fn task_from_vtiger(j: &serde_json::Value) -> Result<TaskDef> {
    let kind = s(j, "task_type");
    let action = match kind.as_str() {
        "VTUpdateFieldsTask" => Action::UpdateFields { updates: updates_of(j)? },
        "VTEmailTask" => Action::SendEmail(EmailTask {
            from: s(j, "fromEmail"),
            reply_to: s(j, "replyTo"),
            to: s(j, "recepient"),
            cc: s(j, "emailcc"),
            bcc: s(j, "emailbcc"),
            subject: s(j, "subject"),
            body: s(j, "content"),
        }),
        "VTCreateTodoTask" => Action::CreateTodo(TodoTask {
            subject: s(j, "todo"),
            description: s(j, "description"),
            status: s(j, "status"),
            priority: s(j, "priority"),
            days: signed_days(&s(j, "days"), &s(j, "direction")),
            date_field: s(j, "datefield"),
            time: time_of(&s(j, "time")),
            assigned_to: s(j, "assigned_user_id"),
        }),
        "VTCreateEventTask" => Action::CreateEvent(EventTask {
            subject: s(j, "eventName"),
            description: s(j, "description"),
            event_type: s(j, "eventType"),
            status: s(j, "status"),
            start_days: signed_days(&s(j, "startDays"), &s(j, "startDirection")),
            start_field: s(j, "startDatefield"),
            start_time: time_of(&s(j, "startTime")),
            end_days: signed_days(&s(j, "endDays"), &s(j, "endDirection")),
            end_field: s(j, "endDatefield"),
            end_time: time_of(&s(j, "endTime")),
            assigned_to: s(j, "assigned_user_id"),
        }),
        "VTCreateEntityTask" => {
            Action::CreateRecord { module: s(j, "entity_type"), reference_field: s(j, "reference_field"), updates: updates_of(j)? }
        }
        "VTEntityMethodTask" => Action::CustomFunction { name: s(j, "methodName") },
        other => return Err(Error::invalid(format!("unsupported task type '{other}'"))),
    };
    let active = match j.get("active") {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(v) => !matches!(v.as_str().or(v.as_i64().map(|i| if i == 0 { "0" } else { "1" })), Some("0" | "false" | "")),
        None => true,
    };
    let delay = match j.get("trigger") {
        Some(t) if t.is_object() => {
            let days = t.get("days").and_then(|d| d.as_i64().or_else(|| d.as_str().and_then(|x| x.parse().ok()))).unwrap_or(0);
            let field = t.get("field").and_then(|f| f.as_str()).unwrap_or_default().to_string();
            (!field.is_empty()).then_some(Delay { days, field })
        }
        _ => None,
    };
    Ok(TaskDef { summary: s(j, "summary"), active, delay, action })
}

/// Reads a workflow in vtiger's JSON shape.
pub(crate) fn from_vtiger(j: &serde_json::Value, schema: &Schema) -> Result<Workflow> {
    let w: VtWorkflow = serde_json::from_value(j.clone()).map_err(|e| Error::invalid(format!("workflow JSON: {e}")))?;
    let m = schema.module(&w.module_name).ok_or_else(|| Error::invalid(format!("unknown module '{}'", w.module_name)))?;
    let at = time_of(&w.schtime).unwrap_or(NaiveTime::MIN);
    let trigger = match w.execution_condition.trim() {
        "1" => Trigger::FirstSave,
        "2" => Trigger::Once,
        "3" => Trigger::EverySave,
        "4" => Trigger::Modify,
        "7" => Trigger::Manual,
        "6" => Trigger::Schedule(match w.schtypeid.trim() {
            "1" => Schedule::Hourly,
            "2" | "" => Schedule::Daily { at },
            "3" => Schedule::Weekly { days: json_list(&w.schdayofweek).iter().filter_map(|d| d.trim().parse().ok()).collect(), at },
            "5" => Schedule::Monthly { days: json_list(&w.schdayofmonth).iter().filter_map(|d| d.trim().parse().ok()).collect(), at },
            "4" | "7" => {
                let dates: Vec<NaiveDate> = json_list(&w.schannualdates).iter().filter_map(|d| crate::value::parse_date(d)).collect();
                if w.schtypeid.trim() == "4" {
                    let date = dates.first().copied().ok_or_else(|| Error::invalid("specific-date schedule without a date"))?;
                    Schedule::Once { date, at }
                } else {
                    Schedule::Yearly { dates, at }
                }
            }
            other => return Err(Error::invalid(format!("unsupported schedule type {other}"))),
        }),
        other => return Err(Error::invalid(format!("unknown execution condition '{other}'"))),
    };
    let condition = match &w.test {
        serde_json::Value::Null => Cond::default(),
        serde_json::Value::String(t) => Cond::from_vtiger(t, m)?,
        other => {
            let rows: Vec<VtigerCondition> =
                serde_json::from_value(other.clone()).map_err(|e| Error::invalid(format!("condition JSON: {e}")))?;
            Cond::from_rows(&rows, m)?
        }
    };
    let tasks = w.tasks.iter().map(task_from_vtiger).collect::<Result<Vec<_>>>()?;
    let name = if w.workflowname.trim().is_empty() { w.summary.clone() } else { w.workflowname.clone() };
    Ok(Workflow {
        id: 0,
        module: m.name.clone(),
        name,
        description: w.summary,
        active: !matches!(w.status.trim(), "0" | "false"),
        trigger,
        condition,
        tasks,
        next_trigger: None,
        default: w.defaultworkflow.trim() == "1",
    })
}
