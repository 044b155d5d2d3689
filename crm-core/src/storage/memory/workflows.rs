//! Workflows, the outbox, once-workflow pairs and queued tasks in memory.

use super::MemoryStore;
use crate::error::Result;
use crate::storage::{WorkflowChange, WorkflowStore};
use crate::value::RecordId;
use crate::workflow::mail::Mail;
use crate::workflow::{QueuedTask, Workflow};

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
}

impl WorkflowStore for MemoryStore {
    fn workflows(&self) -> Result<Vec<Workflow>> {
        Ok(self.workflows.values().cloned().collect())
    }

    fn outbox(&self) -> Result<Vec<Mail>> {
        Ok(self.outbox.values().cloned().collect())
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
