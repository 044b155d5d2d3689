//! Storage ports and their adapters.
//!
//! [`Store`] is the one port every backend implements. Writes arrive as a [`ChangeSet`]: everything one
//! operation changes (records, their history, stage history, users) is applied in **one transaction** by
//! [`Store::commit`], or not at all. Reads take a [`Query`] so that filters, sorting,
//! paging and aggregates can be pushed down to SQL.
//!
//! Adapters: [`memory::MemoryStore`] (always available), [`sqlite::SqliteStore`] (feature `sqlite`, on by
//! default) and `postgres::PostgresStore` (feature `postgres`, off by default). One conformance suite
//! (`tests/conformance.rs`) runs against every adapter.

pub mod memory;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use crate::error::Result;
use crate::history::{HistoryEntry, StageEntry};
use crate::query::{Aggregate, Query};
use crate::record::Record;
use crate::related::{Comment, Relation};
use crate::schema::Schema;
use crate::schema::edit::SchemaChangeEntry;
use crate::user::{Group, User};
use crate::value::RecordId;
use crate::view::Filter;
use crate::workflow::mail::Mail;
use crate::workflow::{QueuedTask, Workflow};

/// One write inside a [`ChangeSet`].
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
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
    /// Removes a record in the recycle bin and its change log for good. Refused with `Conflict` unless the
    /// record is still in the recycle bin at `expected_version` (another handle may have restored or
    /// changed it since the purge was planned); `NotFound` when it is gone.
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
    /// Creates or replaces a user.
    PutUser(User),
    /// Creates or replaces a group.
    PutGroup(Group),
    // ----- import/export -----
    /// Creates or replaces the journal of an import.
    PutImport(crate::io::ImportJournal),
    /// Records what an import did to one record.
    ImportRow(crate::io::ImportRowFate),
    /// Creates or replaces a saved column mapping (by module and name).
    PutMapping(crate::io::SavedMapping),
    /// Deletes a saved column mapping.
    DeleteMapping {
        /// Module name.
        module: String,
        /// Mapping name.
        name: String,
    },
    // ----- views, related records, settings -----
    /// Creates or replaces a list filter (its id is set).
    PutFilter(Filter),
    /// Deletes a list filter.
    DeleteFilter(i64),
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
    /// Stores a setting as JSON text (lead-conversion mapping, view settings).
    PutSetting {
        /// Setting name.
        key: String,
        /// JSON text.
        value: String,
    },
    // ----- schema customization -----
    /// Stores a new schema and makes the physical layout follow it (new columns). Refused with
    /// `Conflict` unless the stored schema version equals `expected_version`.
    PutSchema {
        /// The new schema.
        schema: Box<Schema>,
        /// The version it was derived from.
        expected_version: u64,
    },
    /// Removes every stored value of a field (a deleted custom field). The change log is kept. Each
    /// record that held a value gets a new version and a change-log entry ([`rewrite_entry`]), so a save
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
    /// entry ([`rewrite_entry`]), so a save planned before (on the old version) is refused with `Conflict`
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
    SchemaLog(SchemaChangeEntry),
    // ----- workflows -----
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
    // ----- lead conversion: comments follow the lead -----
    /// Moves every comment on `from` (replies included) to `to`, keeping ids, authors, times and threads.
    MoveComments {
        /// The record the comments are on now.
        from: RecordId,
        /// The record they move to.
        to: RecordId,
    },
}

/// Everything one operation writes, applied atomically.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeSet(pub Vec<Change>);

impl ChangeSet {
    /// An empty change set.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a change.
    pub fn push(&mut self, c: Change) {
        self.0.push(c);
    }
    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The live auto-number state of a module.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AutoNumberState {
    /// Prefix, e.g. `POT`.
    pub prefix: String,
    /// The next number as text; leading zeros are kept when it grows (`0009` → `0010`).
    pub next: String,
}

impl AutoNumberState {
    /// The state of a module that has handed out no number yet: `prefix` and 1.
    pub fn start(prefix: &str) -> AutoNumberState {
        AutoNumberState { prefix: prefix.to_string(), next: "1".into() }
    }

    /// Hands out the current number (`prefix` + `next`) and moves `next` on by one.
    pub fn take(&mut self) -> String {
        let out = format!("{}{}", self.prefix, self.next);
        self.next = increment_counter(&self.next);
        out
    }
}

/// A storage backend.
///
/// Error mapping every adapter follows: a stale `expected_version` → `Error::Conflict`; a violated
/// uniqueness (auto-number, user name) → `StorageError::Duplicate`; a database from a newer crm →
/// `StorageError::IncompatibleVersion`; anything else → `StorageError::Backend`.
pub trait Store: Send {
    /// The stored schema, or `None` for a new, empty store.
    fn load_schema(&mut self) -> Result<Option<Schema>>;
    /// Stores the schema and makes the physical layout follow it (tables, columns, indexes).
    fn save_schema(&mut self, schema: &Schema) -> Result<()>;
    /// Reserves `n` consecutive ids (for records, users and groups) and returns the first. Ids are never
    /// reused, even when the operation that reserved them fails.
    fn allocate_ids(&mut self, n: u64) -> Result<i64>;
    /// Hands out the next auto-number of `module` (`POT1`, `POT2`, ...), starting from `default_prefix` and 1
    /// the first time.
    fn next_auto_number(&mut self, module: &str, default_prefix: &str) -> Result<String>;
    /// The auto-number state of `module`, if it has handed out or been configured.
    fn auto_number_state(&self, module: &str) -> Result<Option<AutoNumberState>>;
    /// Sets the prefix and next number of `module`.
    fn set_auto_number(&mut self, module: &str, state: &AutoNumberState) -> Result<()>;
    /// Applies every change in one transaction, or none of them.
    fn commit(&mut self, changes: &ChangeSet) -> Result<()>;
    /// Reads one record (live or deleted).
    fn get(&self, id: RecordId) -> Result<Option<Record>>;
    /// Starts a unit of work: until [`Store::end_unit`], every write (commits, id and auto-number
    /// reservations) joins one transaction, and each [`Store::commit`] inside it is a savepoint that fails
    /// alone. Bulk operations use it to pay for one durable commit per batch. A crash loses the whole unit.
    /// Calling it while a unit is open does nothing. Stores without transactions do nothing.
    fn begin_unit(&mut self) -> Result<()> {
        Ok(())
    }
    /// Ends the unit of work: commits it, or rolls every write of it back. Without an open unit, nothing.
    fn end_unit(&mut self, commit: bool) -> Result<()> {
        let _ = commit;
        Ok(())
    }
    /// Starts a unit of work ([`Store::begin_unit`]) that also holds the store's setup lock until it ends,
    /// so that one handle at a time installs what a new store needs (the built-in schema, default filters
    /// and workflows) and the others, checking again under the lock, find it installed. SQLite's unit
    /// (`BEGIN IMMEDIATE`) already keeps other writers out; PostgreSQL adds a transaction-level advisory
    /// lock.
    fn begin_setup(&mut self) -> Result<()> {
        self.begin_unit()
    }
    /// Whether an open unit of work keeps every other handle from writing until it ends (SQLite's
    /// `BEGIN IMMEDIATE` write lock; a store nothing else shares). Then what a handle read once inside the
    /// unit — the stored schema version, [`Store::data_version`] — cannot move, and is not read again per
    /// save. PostgreSQL units are ordinary transactions that other connections commit beside: `false`.
    fn unit_is_exclusive(&self) -> bool {
        false
    }
    /// Starts a read snapshot: until [`Store::end_snapshot`], every read through this handle sees the
    /// store as it was at the first read, whatever other handles commit meanwhile (SQLite: a read
    /// transaction; PostgreSQL: a `REPEATABLE READ` read-only transaction). Returns whether it started one:
    /// `false` (and nothing happens) inside a unit of work, which already is a transaction, and for
    /// stores no other handle can change (the memory store). Writing inside a snapshot is not allowed.
    fn begin_snapshot(&self) -> Result<bool> {
        Ok(false)
    }
    /// Ends the read snapshot [`Store::begin_snapshot`] started.
    fn end_snapshot(&self) -> Result<()> {
        Ok(())
    }
    /// The module of a record and whether it is in the recycle bin, without reading its fields.
    fn entity(&self, id: RecordId) -> Result<Option<(String, bool)>> {
        Ok(self.get(id)?.map(|r| (r.module, r.deleted)))
    }
    /// A number that changes whenever **another** handle commits to the same store (SQLite's
    /// `PRAGMA data_version`); handles use it to drop their caches. Stores that cannot be shared return 0.
    fn data_version(&self) -> Result<u64> {
        Ok(0)
    }
    /// Lists the records a normalized query selects, in its order and page.
    fn query(&self, q: &Query) -> Result<Vec<Record>>;
    /// Counts the records a query selects, ignoring its page.
    fn count(&self, q: &Query) -> Result<u64>;
    /// Groups the records a query selects by `group_by` (or one group for all) and sums decimal `sums`
    /// fields exactly. Groups come ordered by key.
    fn aggregate(&self, q: &Query, group_by: Option<&str>, sums: &[&str]) -> Result<Vec<Aggregate>>;
    /// Ids of live records of `module` whose label equals `label` (ignoring case), lowest id first.
    fn find_by_label(&self, module: &str, label: &str) -> Result<Vec<RecordId>>;
    /// The change log of a record, oldest first.
    fn history(&self, id: RecordId) -> Result<Vec<HistoryEntry>>;
    /// The stage history of an opportunity, oldest first.
    fn stage_history(&self, id: RecordId) -> Result<Vec<StageEntry>>;
    /// Every registered user.
    fn users(&self) -> Result<Vec<User>>;
    /// Every registered group.
    fn groups(&self) -> Result<Vec<Group>>;
    // ----- import/export -----
    /// Every import, oldest first.
    fn imports(&self) -> Result<Vec<crate::io::ImportJournal>>;
    /// The records an import touched, in file order.
    fn import_rows(&self, import_id: i64) -> Result<Vec<crate::io::ImportRowFate>>;
    /// The saved mappings of a module, by name.
    fn mappings(&self, module: &str) -> Result<Vec<crate::io::SavedMapping>>;

    // ----- views, related records, settings -----
    /// Every stored filter of `module`, lowest id first.
    fn filters(&self, module: &str) -> Result<Vec<Filter>>;
    /// The comments on a record, newest first.
    fn comments(&self, record: RecordId) -> Result<Vec<Comment>>;
    /// A comment by id.
    fn comment(&self, id: i64) -> Result<Option<Comment>>;
    /// Links of `record` (made on either side) to live or deleted records of `module` (every module when
    /// `None`), oldest link first, skipping `offset` and returning at most `limit`. In each returned
    /// [`Relation`], `record` is the record asked about and `related` the other side.
    fn relations(&self, record: RecordId, module: Option<&str>, offset: u64, limit: Option<u64>) -> Result<Vec<Relation>>;
    /// How many links [`Store::relations`] would list without a page.
    fn count_relations(&self, record: RecordId, module: Option<&str>) -> Result<u64>;
    /// A stored setting (JSON text).
    fn setting(&self, key: &str) -> Result<Option<String>>;
    // ----- schema customization -----
    /// The version of the stored schema, read cheaply (without loading the schema); `None` for an empty
    /// store. Lets every handle notice schema changes made through another handle.
    fn schema_version(&self) -> Result<Option<u64>>;
    /// The schema change log, oldest first.
    fn schema_changes(&self) -> Result<Vec<SchemaChangeEntry>>;
    // ----- workflows -----
    /// Every workflow, ascending id.
    fn workflows(&self) -> Result<Vec<Workflow>>;
    /// Every outbox mail, ascending id.
    fn outbox(&self) -> Result<Vec<Mail>>;
    /// True when the once-workflow already fired for the record.
    fn activated_once(&self, workflow: i64, record: RecordId) -> Result<bool>;
    /// Every queued delayed task, by due time then id.
    fn queued_tasks(&self) -> Result<Vec<QueuedTask>>;
    // ----- schema freshness for reads -----
    /// The stored schema when it is newer than `version` (another handle of the same database changed
    /// it), else `None`; cheap when nothing changed. Lets reads through `&self` see other handles' schema
    /// changes. The default suits stores that only one handle can open (the memory store).
    fn newer_schema(&self, version: u64) -> Result<Option<std::sync::Arc<Schema>>> {
        let _ = version;
        Ok(None)
    }
    // ----- write path (import) -----
    /// True when a record of `module`, live or in the recycle bin, has `number` as its auto-number. The
    /// default counts with two queries; adapters with an index on the number override it with one probe.
    fn auto_number_taken(&self, module: &crate::schema::Module, number: &str) -> Result<bool> {
        let Some(an) = &module.auto_number else { return Ok(false) };
        let q = Query::new(&module.name).filter(crate::query::Condition::eq(an.field.clone(), number)).normalize(module)?;
        Ok(self.count(&q)? > 0 || self.count(&q.in_recycle_bin())? > 0)
    }

    // ----- reads -----
    /// Like [`Store::aggregate`] grouped by the first `len` characters of a date field's stored text
    /// (`yyyy-mm` for 7, `yyyy` for 4): the key is that prefix as text, or null for
    /// records without a date. Groups come ordered by key. The default folds the per-day groups; the SQLite
    /// adapter groups by the prefix in SQL (one scan instead of a walk of the date index).
    fn aggregate_by_date_prefix(&self, q: &Query, field: &str, len: usize, sums: &[&str]) -> Result<Vec<Aggregate>> {
        let mut out: Vec<Aggregate> = Vec::new();
        for g in self.aggregate(q, Some(field), sums)? {
            let key = g.key.to_text().map_or(crate::value::Value::Null, |t| crate::value::Value::Text(t.chars().take(len).collect()));
            match out.last_mut() {
                Some(last) if last.key == key => {
                    last.count += g.count;
                    for (a, b) in last.sums.iter_mut().zip(&g.sums) {
                        *a += *b;
                    }
                }
                _ => out.push(Aggregate { key, count: g.count, sums: g.sums }),
            }
        }
        Ok(out)
    }

    // ----- rows (bulk condition evaluation) -----
    /// Calls `f` with every record a normalized query selects (in its order and page) as a
    /// [`Row`](crate::row::Row) of `layout`, until `f` returns false. The default reads records with
    /// [`Store::query`] and converts them ([`rows_via_records`]); the SQLite adapter reads each row's columns
    /// straight into slots, without building a map per record.
    fn scan_rows(
        &self,
        q: &Query,
        layout: &std::sync::Arc<crate::row::RowLayout>,
        f: &mut dyn FnMut(crate::row::Row) -> bool,
    ) -> Result<()> {
        rows_via_records(self, q, layout, f)
    }
}

/// [`Store::scan_rows`] through [`Store::query`]: each record converted with
/// [`Row::from_record`](crate::row::Row::from_record).
///
/// # Errors
/// As [`Store::query`]; `InvalidArgument` when the query is not of the layout's module.
pub fn rows_via_records<S: Store + ?Sized>(
    store: &S,
    q: &Query,
    layout: &std::sync::Arc<crate::row::RowLayout>,
    f: &mut dyn FnMut(crate::row::Row) -> bool,
) -> Result<()> {
    for r in store.query(q)? {
        if !f(crate::row::Row::from_record(layout, &r)?) {
            break;
        }
    }
    Ok(())
}

/// The change-log entry of a record that [`Change::ClearField`] or [`Change::ReplacePicklistValue`]
/// rewrote: an update of `field` from `before` to `after` (stored text, as [`Value::to_text`](crate::value::Value::to_text)
/// gives it) by `actor` at `at`.
pub fn rewrite_entry(
    id: RecordId,
    module: &str,
    field: &str,
    before: Option<String>,
    after: Option<String>,
    actor: &str,
    at: chrono::NaiveDateTime,
) -> HistoryEntry {
    let change = crate::history::FieldChange { field: field.to_string(), before, after };
    HistoryEntry::new(id, module, actor, at, crate::history::ChangeKind::Updated, vec![change])
}

/// The error of a [`Change::Purge`] that matched nothing, given what is stored (`(deleted, version)` of
/// the record, `None` when it is gone): `NotFound`, or `Conflict` when the record was restored or changed.
pub fn purge_refused(id: RecordId, expected_version: u64, found: Option<(bool, u64)>) -> crate::error::Error {
    use crate::error::Error;
    match found {
        None => Error::not_found(format!("record {id}")),
        Some((false, _)) => Error::Conflict(format!("record {id} is no longer in the recycle bin: another handle restored it")),
        Some((true, v)) => Error::Conflict(format!("record {id} was changed by someone else (version {v}, expected {expected_version})")),
    }
}

/// Increments a decimal counter kept as text, keeping its width (`"0009"` → `"0010"`, `"9"` → `"10"`).
pub fn increment_counter(s: &str) -> String {
    let mut digits: Vec<u8> = s.bytes().filter(u8::is_ascii_digit).collect();
    if digits.is_empty() {
        return "2".into();
    }
    let mut i = digits.len();
    loop {
        if i == 0 {
            digits.insert(0, b'1');
            break;
        }
        i -= 1;
        if digits[i] == b'9' {
            digits[i] = b'0';
        } else {
            digits[i] += 1;
            break;
        }
    }
    String::from_utf8(digits).unwrap_or_else(|_| "1".into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn counter_keeps_width() {
        assert_eq!(super::increment_counter("0009"), "0010");
        assert_eq!(super::increment_counter("9"), "10");
        assert_eq!(super::increment_counter("1"), "2");
        assert_eq!(super::increment_counter("099"), "100");
    }
}
