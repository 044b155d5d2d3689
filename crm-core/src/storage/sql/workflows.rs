//! Workflows, the outbox, once-workflow pairs and queued tasks, once for both engines.

use super::adapter::SqlAdapter;
use super::db::{row, rows};
use super::statements::each;
use super::{Arg, Db, fmt_dt, parse_dt, to_json};
use crate::error::{Error, Result, StorageError};
use crate::storage::{WorkflowChange, WorkflowStore};
use crate::value::RecordId;
use crate::workflow::mail::{Mail, MailStatus};
use crate::workflow::{QueuedTask, Workflow};
use chrono::NaiveDateTime;

/// Creates or replaces a workflow.
pub(crate) fn put_workflow<D: Db + ?Sized>(db: &mut D, w: &Workflow) -> Result<()> {
    let next = w.next_trigger.map(fmt_dt);
    db.execute(
        &db.sql().put_workflow,
        &[
            Arg::Int(w.id),
            Arg::Text(&w.module),
            Arg::Text(&w.name),
            Arg::Text(&w.description),
            Arg::Bool(w.active),
            Arg::Int(w.trigger.vtiger_code()),
            Arg::Owned(to_json(&w.trigger)?),
            Arg::Owned(to_json(&w.condition)?),
            Arg::Owned(to_json(&w.tasks)?),
            Arg::opt_text(next.as_deref()),
            Arg::Bool(w.default),
        ],
    )?;
    Ok(())
}

/// Deletes a workflow with its once-pairs and queued tasks.
pub(crate) fn delete_workflow<D: Db + ?Sized>(db: &mut D, id: i64) -> Result<()> {
    for sql in each(&db.sql().delete_workflow) {
        db.execute(sql, &[Arg::Int(id)])?;
    }
    Ok(())
}

/// Creates or replaces an outbox mail.
pub(crate) fn put_mail<D: Db + ?Sized>(db: &mut D, m: &Mail) -> Result<()> {
    db.execute(&db.sql().put_mail, &mail_args(m))?;
    Ok(())
}

/// The parameters of an outbox row (`put_mail`).
pub(crate) fn mail_args(m: &Mail) -> [Arg<'_>; 16] {
    [
        Arg::Int(m.id),
        Arg::opt_int(m.record.map(|r| r.0)),
        Arg::opt_int(m.workflow),
        Arg::Text(&m.from),
        Arg::Text(&m.reply_to),
        Arg::Owned(m.to.join(", ")),
        Arg::Owned(m.cc.join(", ")),
        Arg::Owned(m.bcc.join(", ")),
        Arg::Text(&m.subject),
        Arg::Text(&m.body),
        Arg::Text(m.status.as_str()),
        Arg::opt_text(m.error.as_deref()),
        Arg::Owned(fmt_dt(m.created)),
        m.sent.map_or(Arg::Null, |t| Arg::Owned(fmt_dt(t))),
        Arg::Int(i64::from(m.attempts)),
        m.next_attempt.map_or(Arg::Null, |t| Arg::Owned(fmt_dt(t))),
    ]
}

/// Notes that a once-workflow fired for a record.
pub(crate) fn activated_once<D: Db + ?Sized>(db: &mut D, workflow: i64, record: RecordId) -> Result<()> {
    db.execute(&db.sql().activated_once, &[Arg::Int(workflow), Arg::Int(record.0)])?;
    Ok(())
}

/// Queues a delayed task.
pub(crate) fn put_queued_task<D: Db + ?Sized>(db: &mut D, q: &QueuedTask) -> Result<()> {
    let due = fmt_dt(q.due);
    let task = i64::try_from(q.task).unwrap_or(i64::MAX);
    db.execute(&db.sql().put_queued_task, &[Arg::Int(q.id), Arg::Int(q.workflow), Arg::Int(task), Arg::Int(q.record.0), Arg::Text(&due)])?;
    Ok(())
}

/// Removes a queued task.
pub(crate) fn delete_queued_task<D: Db + ?Sized>(db: &mut D, id: i64) -> Result<()> {
    db.execute(&db.sql().delete_queued_task, &[Arg::Int(id)])?;
    Ok(())
}

/// Every workflow, ascending id.
pub(crate) fn workflows<D: Db + ?Sized>(db: &mut D) -> Result<Vec<Workflow>> {
    rows(db, &db.sql().workflows, &[], |r| {
        let corrupt = |what: &str, e: serde_json::Error| Error::from(StorageError::Corrupt(format!("stored workflow: {what}: {e}")));
        Ok(Workflow {
            id: r.i64(0)?,
            module: r.string(1)?,
            name: r.string(2)?,
            description: r.string(3)?,
            active: r.flag(4)?,
            trigger: serde_json::from_str(&r.string(5)?).map_err(|e| corrupt("trigger", e))?,
            condition: serde_json::from_str(&r.string(6)?).map_err(|e| corrupt("conditions", e))?,
            tasks: serde_json::from_str(&r.string(7)?).map_err(|e| corrupt("tasks", e))?,
            next_trigger: r.text(8)?.as_deref().and_then(crate::value::parse_datetime),
            default: r.flag(9)?,
        })
    })
}

fn split_addrs(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|a| !a.is_empty()).map(str::to_string).collect()
}

/// Every outbox mail, ascending id.
pub(crate) fn outbox<D: Db + ?Sized>(db: &mut D) -> Result<Vec<Mail>> {
    rows(db, &db.sql().outbox, &[], mail_row)
}

/// One outbox mail by id.
pub(crate) fn mail<D: Db + ?Sized>(db: &mut D, id: i64) -> Result<Option<Mail>> {
    row(db, &db.sql().mail, &[Arg::Int(id)], mail_row)
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A page of the outbox, by status when given.
pub(crate) fn outbox_page<D: Db + ?Sized>(db: &mut D, status: Option<MailStatus>, after: i64, n: usize) -> Result<Vec<Mail>> {
    match status {
        Some(s) => rows(db, &db.sql().outbox_page_status, &[Arg::Text(s.as_str()), Arg::Int(after), Arg::Int(limit(n))], mail_row),
        None => rows(db, &db.sql().outbox_page, &[Arg::Int(after), Arg::Int(limit(n))], mail_row),
    }
}

/// A page of the mail due for delivery at `now`.
pub(crate) fn due_mail<D: Db + ?Sized>(db: &mut D, now: NaiveDateTime, after: i64, n: usize) -> Result<Vec<Mail>> {
    rows(db, &db.sql().due_mail, &[Arg::Int(after), Arg::Owned(fmt_dt(now)), Arg::Int(limit(n))], mail_row)
}

/// Ids of sent mail sent before `before`.
pub(crate) fn sent_before<D: Db + ?Sized>(db: &mut D, before: NaiveDateTime, n: usize) -> Result<Vec<i64>> {
    rows(db, &db.sql().sent_before, &[Arg::Owned(fmt_dt(before)), Arg::Int(limit(n))], |r| r.i64(0))
}

fn mail_row(r: &dyn super::db::SqlRow) -> Result<Mail> {
    Ok(Mail {
        id: r.i64(0)?,
        record: r.int(1)?.map(RecordId),
        workflow: r.int(2)?,
        from: r.string(3)?,
        reply_to: r.string(4)?,
        to: split_addrs(&r.string(5)?),
        cc: split_addrs(&r.string(6)?),
        bcc: split_addrs(&r.string(7)?),
        subject: r.string(8)?,
        body: r.string(9)?,
        status: MailStatus::parse(&r.string(10)?).unwrap_or(MailStatus::Queued),
        error: r.text(11)?,
        created: parse_dt(&r.string(12)?),
        sent: r.text(13)?.as_deref().and_then(crate::value::parse_datetime),
        attempts: u32::try_from(r.i64(14)?).unwrap_or(u32::MAX),
        next_attempt: r.text(15)?.as_deref().and_then(crate::value::parse_datetime),
    })
}

/// Whether a once-workflow already fired for a record.
pub(crate) fn was_activated<D: Db + ?Sized>(db: &mut D, workflow: i64, record: RecordId) -> Result<bool> {
    Ok(row(db, &db.sql().was_activated, &[Arg::Int(workflow), Arg::Int(record.0)], |_| Ok(()))?.is_some())
}

/// Every queued task, by due time then id.
pub(crate) fn queued_tasks<D: Db + ?Sized>(db: &mut D) -> Result<Vec<QueuedTask>> {
    rows(db, &db.sql().queued_tasks, &[], |r| {
        Ok(QueuedTask {
            id: r.i64(0)?,
            workflow: r.i64(1)?,
            task: usize::try_from(r.i64(2)?).unwrap_or(usize::MAX),
            record: RecordId(r.i64(3)?),
            due: parse_dt(&r.string(4)?),
        })
    })
}

/// Writes one workflow change (in the caller's transaction).
pub(crate) fn apply<D: Db + ?Sized>(db: &mut D, c: &WorkflowChange) -> Result<()> {
    match c {
        WorkflowChange::PutWorkflow(w) => put_workflow(db, w),
        WorkflowChange::DeleteWorkflow(id) => delete_workflow(db, *id),
        WorkflowChange::PutMail(m) => put_mail(db, m),
        WorkflowChange::ActivatedOnce { workflow, record } => activated_once(db, *workflow, *record),
        WorkflowChange::PutQueuedTask(q) => put_queued_task(db, q),
        WorkflowChange::DeleteQueuedTask(id) => delete_queued_task(db, *id),
        WorkflowChange::DeleteMail(id) => {
            db.execute(&db.sql().delete_mail, &[Arg::Int(*id)])?;
            Ok(())
        }
    }
}

impl<S: SqlAdapter> WorkflowStore for S {
    fn workflows(&self) -> Result<Vec<Workflow>> {
        self.read(|db| workflows(db))
    }

    fn outbox(&self) -> Result<Vec<Mail>> {
        self.read(|db| outbox(db))
    }

    fn mail(&self, id: i64) -> Result<Option<Mail>> {
        self.read(|db| mail(db, id))
    }

    fn outbox_page(&self, status: Option<MailStatus>, after: i64, limit: usize) -> Result<Vec<Mail>> {
        self.read(|db| outbox_page(db, status, after, limit))
    }

    fn due_mail(&self, now: NaiveDateTime, after: i64, limit: usize) -> Result<Vec<Mail>> {
        self.read(|db| due_mail(db, now, after, limit))
    }

    fn sent_before(&self, before: NaiveDateTime, limit: usize) -> Result<Vec<i64>> {
        self.read(|db| sent_before(db, before, limit))
    }

    fn activated_once(&self, workflow: i64, record: RecordId) -> Result<bool> {
        self.read(|db| was_activated(db, workflow, record))
    }

    fn queued_tasks(&self) -> Result<Vec<QueuedTask>> {
        self.read(|db| queued_tasks(db))
    }
}
