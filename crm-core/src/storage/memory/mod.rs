//! The in-memory adapter: everything in ordinary collections, nothing on disk. The executable reference
//! of every port: the SQL adapters must behave as it does (one conformance suite runs on all).
//!
//! Useful for tests, previews and short-lived hosts. Commits are atomic: every change is checked before
//! any is applied. One file per area, each checking and applying its own change type and answering its
//! own reads.

mod access;
mod analytics;
mod feed;
mod imports;
mod records;
mod relations;
mod schema;
mod users;
mod views;
mod workflows;

use super::{AutoNumberState, Change, ChangeSet, Store};
use crate::error::Result;
use crate::history::{HistoryEntry, StageEntry};
use crate::io::{ImportJournal, ImportRowFate, SavedMapping};
use crate::record::Record;
use crate::related::{Comment, Relation};
use crate::row::RowLayout;
use crate::schema::Schema;
use crate::schema::edit::SchemaChangeEntry;
use crate::user::{Group, User};
use crate::value::RecordId;
use crate::view::Filter;
use crate::workflow::mail::Mail;
use crate::workflow::{QueuedTask, Workflow};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// A store that lives in memory.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    schema: Option<Schema>,
    /// The slot layout of each module of `schema`, shared by the records kept and handed out.
    layouts: HashMap<String, Arc<RowLayout>>,
    schema_log: Vec<SchemaChangeEntry>,
    next_id: i64,
    auto_numbers: HashMap<String, AutoNumberState>,
    records: BTreeMap<RecordId, Record>,
    /// (module, folded label) → records, for lookups by name.
    labels: HashMap<(String, String), BTreeSet<RecordId>>,
    /// (module, auto-number) → record, for the uniqueness check.
    numbers: HashMap<(String, String), RecordId>,
    history: Vec<HistoryEntry>,
    /// The last change-log id given out: ids are never reused, even after a purge removed the highest.
    history_seq: i64,
    /// The highest change-log position trimmed away (the feed's retention; 0 when nothing was).
    history_trimmed: i64,
    stages: Vec<StageEntry>,
    users: BTreeMap<i64, User>,
    groups: BTreeMap<i64, Group>,
    imports: BTreeMap<i64, ImportJournal>,
    import_rows: Vec<ImportRowFate>,
    mappings: BTreeMap<(String, String), SavedMapping>,
    filters: BTreeMap<i64, Filter>,
    settings: HashMap<String, String>,
    comments: Vec<Comment>,
    relations: Vec<Relation>,
    workflows: BTreeMap<i64, Workflow>,
    outbox: BTreeMap<i64, Mail>,
    once: BTreeSet<(i64, RecordId)>,
    queue: BTreeMap<i64, QueuedTask>,
    /// Access control: the model, its version (moved by user and group changes too) and change log.
    access: crate::access::AccessModel,
    access_version: u64,
    access_log: Vec<crate::access::AccessChangeEntry>,
    /// What merges did to merged records, by merged record.
    merges: BTreeMap<RecordId, crate::dedupe::MergeJournal>,
    /// Outbox mails handed out by reads so far (shared with [`MemoryStore::mails_read`]'s callers).
    mails_read: Arc<AtomicU64>,
    /// The store as it was when the caller's transaction began, put back by a rollback.
    before_transaction: Option<Box<MemoryStore>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self { next_id: 1, ..Self::default() }
    }

    /// A counter of the outbox mails this store's reads have handed out, which keeps counting after the
    /// store moved into a [`Crm`](crate::Crm): the measure of how much of the outbox an operation reads.
    pub fn mails_read(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.mails_read)
    }

    /// Replaces the schema, with the layouts of its modules.
    fn set_schema(&mut self, schema: &Schema) {
        self.layouts = schema.modules.values().map(|m| (m.name.clone(), RowLayout::new(m))).collect();
        self.schema = Some(schema.clone());
    }

    /// Checks every change of a set against the store as the earlier changes of the set leave it.
    fn check(&self, changes: &ChangeSet) -> Result<()> {
        let mut seen = records::Seen::default();
        let mut access_version = self.access_version;
        for c in &changes.0 {
            match c {
                Change::Record(c) => self.check_record(c, &mut seen)?,
                Change::User(c) => {
                    self.check_user(c)?;
                    access_version += 1;
                }
                Change::Access(c) => MemoryStore::check_access(c, &mut access_version)?,
                Change::Schema(c) => self.check_schema(c)?,
                Change::Workflow(_) | Change::Import(_) | Change::View(_) | Change::Relation(_) => {}
            }
        }
        Ok(())
    }
}

impl Store for MemoryStore {
    fn unit_is_exclusive(&self) -> bool {
        true // nothing else shares a memory store
    }

    fn begin_transaction(&mut self) -> Result<()> {
        self.before_transaction = None;
        self.before_transaction = Some(Box::new(self.clone()));
        Ok(())
    }

    fn end_transaction(&mut self, commit: bool) -> Result<()> {
        match self.before_transaction.take() {
            Some(before) if !commit => *self = *before,
            _ => {}
        }
        Ok(())
    }

    fn commit(&mut self, changes: &ChangeSet) -> Result<()> {
        self.check(changes)?;
        for c in &changes.0 {
            match c {
                Change::Record(c) => self.apply_record(c),
                Change::Schema(c) => self.apply_schema(c),
                Change::Workflow(c) => self.apply_workflow(c),
                Change::Import(c) => self.apply_import(c),
                Change::View(c) => self.apply_view(c),
                Change::Relation(c) => self.apply_relation(c),
                Change::User(c) => {
                    self.apply_user(c);
                    self.access_version += 1; // what a user sees may change with any user or group
                }
                Change::Access(c) => self.apply_access(c),
            }
        }
        Ok(())
    }
}
