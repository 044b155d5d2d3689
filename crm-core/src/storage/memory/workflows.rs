//! Workflows, the outbox, once-workflow pairs and queued tasks in memory.

use super::MemoryStore;
use crate::error::Result;
use crate::storage::{WorkflowChange, WorkflowStore};
use crate::value::RecordId;
use crate::workflow::mail::{Mail, MailStatus};
use crate::workflow::{QueuedTask, Workflow};
use chrono::NaiveDateTime;
use std::sync::atomic::Ordering;

impl MemoryStore {
    pub(super) fn apply_workflow(&mut self, c: &WorkflowChange) {
        match c {
            WorkflowChange::PutWorkflow(w) => {
                self.workflows.insert(w.id, w.clone());
            }
            WorkflowChange::DeleteWorkflow(id) => {
                self.workflows.remove(id);
                self.once.retain(|(w, _)| w != id);
                self.queue.retain(|_, q| q.workflow != *id);
            }
            WorkflowChange::PutMail(m) => {
                self.outbox.insert(m.id, m.clone());
            }
            WorkflowChange::DeleteMail(id) => {
                self.outbox.remove(id);
            }
            WorkflowChange::ActivatedOnce { workflow, record } => {
                self.once.insert((*workflow, *record));
            }
            WorkflowChange::PutQueuedTask(q) => {
                self.queue.insert(q.id, q.clone());
            }
            WorkflowChange::DeleteQueuedTask(id) => {
                self.queue.remove(id);
            }
        }
    }

    /// Clones the mails of `it` (at most `limit`), counting them as read.
    fn read_mails<'a>(&self, it: impl Iterator<Item = &'a Mail>, limit: usize) -> Vec<Mail> {
        let v: Vec<Mail> = it.take(limit).cloned().collect();
        self.mails_read.fetch_add(v.len() as u64, Ordering::Relaxed);
        v
    }

    fn after(&self, after: i64) -> impl Iterator<Item = &Mail> {
        self.outbox.range(after.saturating_add(1)..).map(|(_, m)| m)
    }
}

impl WorkflowStore for MemoryStore {
    fn workflows(&self) -> Result<Vec<Workflow>> {
        Ok(self.workflows.values().cloned().collect())
    }

    fn outbox(&self) -> Result<Vec<Mail>> {
        Ok(self.read_mails(self.outbox.values(), usize::MAX))
    }

    fn mail(&self, id: i64) -> Result<Option<Mail>> {
        Ok(self.read_mails(self.outbox.get(&id).into_iter(), 1).pop())
    }

    fn outbox_page(&self, status: Option<MailStatus>, after: i64, limit: usize) -> Result<Vec<Mail>> {
        Ok(self.read_mails(self.after(after).filter(|m| status.is_none_or(|s| m.status == s)), limit))
    }

    fn due_mail(&self, now: NaiveDateTime, after: i64, limit: usize) -> Result<Vec<Mail>> {
        let due = |m: &&Mail| match m.status {
            MailStatus::Queued => true,
            MailStatus::Failed => m.next_attempt.is_some_and(|t| t <= now),
            MailStatus::Sent => false,
        };
        Ok(self.read_mails(self.after(after).filter(due), limit))
    }

    fn sent_before(&self, before: NaiveDateTime, limit: usize) -> Result<Vec<i64>> {
        Ok(self
            .outbox
            .values()
            .filter(|m| m.status == MailStatus::Sent && m.sent.is_some_and(|t| t < before))
            .take(limit)
            .map(|m| m.id)
            .collect())
    }

    fn activated_once(&self, workflow: i64, record: RecordId) -> Result<bool> {
        Ok(self.once.contains(&(workflow, record)))
    }

    fn queued_tasks(&self) -> Result<Vec<QueuedTask>> {
        let mut v: Vec<QueuedTask> = self.queue.values().cloned().collect();
        v.sort_by_key(|q| (q.due, q.id));
        Ok(v)
    }
}
