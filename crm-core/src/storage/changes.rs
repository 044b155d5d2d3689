//! What a commit writes: one change type per storage area, and [`Change`], any of them.
//!
//! Call sites name the area's change and push it (`changes.push(RecordChange::Insert(r))`); each adapter
//! hands every change to the area that applies it.

use crate::access::{AccessChangeEntry, AccessModel};
use crate::history::{HistoryEntry, StageEntry};
use crate::io::{ImportJournal, ImportRowFate, SavedMapping};
use crate::record::Record;
use crate::related::{Comment, Relation};
use crate::schema::Schema;
use crate::schema::edit::SchemaChangeEntry;
use crate::user::{Group, User};
use crate::value::RecordId;
use crate::view::Filter;
use crate::workflow::mail::Mail;
use crate::workflow::{QueuedTask, Workflow};

/// A write to records, their change log and stage history.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordChange {
    /// A new record (its version is 1).
    Insert(Record),
    /// A new state of an existing record. Refused with `Conflict` unless the stored version equals
    /// `expected_version`; the stored version becomes `record.version`.
    Update {
        /// The whole record as it should be stored.
        record: Record,
        /// The version the change was based on.
        expected_version: u64,
    },
    /// Removes a record in the recycle bin, its change log, stage history, links and comments for good.
    /// Refused with `Conflict` unless the record is still in the recycle bin at `expected_version` (another
    /// handle may have restored or changed it since the purge was planned); `NotFound` when it is gone.
    Purge {
        /// The record.
        id: RecordId,
        /// The version the purge was based on.
        expected_version: u64,
    },
    /// Appends to the change log.
    History(HistoryEntry),
    /// Appends to an opportunity's stage history.
    Stage(StageEntry),
    /// Moves change-log entries (by id) to another record's log (a merge, or undoing one).
    MoveHistory {
        /// Entry ids.
        ids: Vec<i64>,
        /// The record they belong to from now on.
        to: RecordId,
    },
    /// Stores (or replaces) what a merge did to a merged record.
    PutMergeJournal(crate::dedupe::MergeJournal),
    /// Forgets what a merge did to a merged record (it was restored and the merge undone).
    DropMergeJournal(RecordId),
}

/// A write to the stored schema and what follows from it.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaStoreChange {
    /// Stores a new schema and makes the physical layout follow it (new columns). Refused with
    /// `Conflict` unless the stored schema version equals `expected_version`.
    Put {
        /// The new schema.
        schema: Box<Schema>,
        /// The version it was derived from.
        expected_version: u64,
    },
    /// Removes every stored value of a field (a deleted custom field). The change log is kept. Each
    /// record that held a value gets a new version and a change-log entry ([`rewrite_entry`](super::rewrite_entry)), so a save
    /// planned before (on the old version) is refused with `Conflict` instead of writing the value back.
    ClearField {
        /// Module.
        module: String,
        /// Field.
        field: String,
        /// Who made the schema edit (named in the change-log entries).
        actor: String,
        /// When (UTC).
        at: chrono::NaiveDateTime,
    },
    /// Rewrites a picklist value in every record of a module, live or deleted (single and multi-select
    /// fields); `to: None` removes the value. Each rewritten record gets a new version and a change-log
    /// entry ([`rewrite_entry`](super::rewrite_entry)), so a save planned before (on the old version) is refused with `Conflict`
    /// instead of writing the old value back (vtiger rewrites the rows without either).
    ReplacePicklistValue {
        /// Module.
        module: String,
        /// Picklist field.
        field: String,
        /// Value to replace.
        from: String,
        /// Replacement, or `None` to remove.
        to: Option<String>,
        /// Who made the schema edit (named in the change-log entries).
        actor: String,
        /// When (UTC).
        at: chrono::NaiveDateTime,
    },
    /// Appends to the schema change log.
    Log(SchemaChangeEntry),
}

/// A write to workflows, the outbox and the workflow queue.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkflowChange {
    /// Creates or replaces a workflow (by id).
    PutWorkflow(Workflow),
    /// Deletes a workflow with its once-pairs and queued tasks.
    DeleteWorkflow(i64),
    /// Creates or replaces an outbox mail (by id).
    PutMail(Mail),
    /// Records that a once-workflow fired for a record.
    ActivatedOnce {
        /// The workflow.
        workflow: i64,
        /// The record.
        record: RecordId,
    },
    /// Queues a delayed task (by id).
    PutQueuedTask(QueuedTask),
    /// Removes a queued task.
    DeleteQueuedTask(i64),
    /// Removes an outbox mail (retention).
    DeleteMail(i64),
}

/// A write to import journals and saved column mappings.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportChange {
    /// Creates or replaces the journal of an import.
    PutImport(ImportJournal),
    /// Records what an import did to one record.
    ImportRow(ImportRowFate),
    /// Creates or replaces a saved column mapping (by module and name).
    PutMapping(SavedMapping),
    /// Deletes a saved column mapping.
    DeleteMapping {
        /// Module name.
        module: String,
        /// Mapping name.
        name: String,
    },
}

/// A write to list filters and settings.
#[derive(Debug, Clone, PartialEq)]
pub enum ViewChange {
    /// Creates or replaces a list filter (its id is set).
    PutFilter(Filter),
    /// Deletes a list filter.
    DeleteFilter(i64),
    /// Stores a setting as JSON text (lead-conversion mapping, view settings).
    PutSetting {
        /// Setting name.
        key: String,
        /// JSON text.
        value: String,
    },
}

/// A write to comments and links between records.
#[derive(Debug, Clone, PartialEq)]
pub enum RelationChange {
    /// Adds a comment (its id is set).
    AddComment(Comment),
    /// Creates or replaces the many-to-many link between `record` and `related`.
    Link(Relation),
    /// Removes the link between two records (whichever side it was made on).
    Unlink {
        /// One side.
        record: RecordId,
        /// The other side.
        related: RecordId,
    },
    /// Moves the comments with these ids to `to`, keeping ids, authors, times and threads.
    MoveCommentIds {
        /// Comment ids.
        ids: Vec<i64>,
        /// The record they move to.
        to: RecordId,
    },
    /// Moves every comment on `from` (replies included) to `to`, keeping ids, authors, times and threads.
    MoveComments {
        /// The record the comments are on now.
        from: RecordId,
        /// The record they move to.
        to: RecordId,
    },
}

/// A write to users and groups.
#[derive(Debug, Clone, PartialEq)]
pub enum UserChange {
    /// Creates or replaces a user.
    PutUser(User),
    /// Creates or replaces a group.
    PutGroup(Group),
}

/// A write to the access model and its change log.
#[derive(Debug, Clone, PartialEq)]
pub enum AccessStoreChange {
    /// Stores a new model. Refused with `Conflict` unless the access version equals `expected_version`;
    /// the version becomes `expected_version + 1`.
    Put {
        /// The new model.
        model: Box<AccessModel>,
        /// The access version it was derived from.
        expected_version: u64,
    },
    /// Appends to the access change log.
    Log(AccessChangeEntry),
}

/// Declares [`Change`] over the area change types, with a `From` impl for each.
macro_rules! change_of_areas {
    ($($(#[$doc:meta])* $area:ident($t:ty),)*) => {
        /// One write inside a [`ChangeSet`]: a change of one area.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Change {
            $($(#[$doc])* $area($t),)*
        }

        $(impl From<$t> for Change {
            fn from(c: $t) -> Change {
                Change::$area(c)
            }
        })*
    };
}

change_of_areas! {
    /// Records, change log, stage history.
    Record(RecordChange),
    /// The stored schema.
    Schema(SchemaStoreChange),
    /// Workflows, outbox, queue.
    Workflow(WorkflowChange),
    /// Imports and mappings.
    Import(ImportChange),
    /// Filters and settings.
    View(ViewChange),
    /// Comments and links.
    Relation(RelationChange),
    /// Users and groups.
    User(UserChange),
    /// Access control.
    Access(AccessStoreChange),
}

impl Change {
    /// The new schema, when this change stores one.
    pub fn new_schema(&self) -> Option<&Schema> {
        match self {
            Change::Schema(SchemaStoreChange::Put { schema, .. }) => Some(schema),
            _ => None,
        }
    }
}

/// Everything one operation writes, applied atomically.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeSet(pub Vec<Change>);

impl ChangeSet {
    /// An empty change set.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a change of any area.
    pub fn push(&mut self, c: impl Into<Change>) {
        self.0.push(c.into());
    }
    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The schema the set stores last, if any (it is in force once the set is committed).
    pub fn new_schema(&self) -> Option<&Schema> {
        self.0.iter().rev().find_map(Change::new_schema)
    }
}
