//! The storage ports, one per area. [`Store`](super::Store) composes them with commits and units of work.
//!
//! Error mapping every adapter follows: a stale `expected_version` → `Error::Conflict`; a violated
//! uniqueness (auto-number, user name) → `StorageError::Duplicate`; a database from a newer crm →
//! `StorageError::IncompatibleVersion`; a sum beyond the range of exact decimals → `InvalidArgument`;
//! a failure the database driver reports → `StorageError::Driver` (the driver's error kept as its source);
//! anything else → `StorageError::Backend`.

use super::AutoNumberState;
use crate::access::{AccessChangeEntry, AccessModel};
use crate::dedupe::{DuplicateGroup, DuplicateRule, MergeJournal};
use crate::error::Result;
use crate::history::{HistoryEntry, StageEntry};
use crate::io::{ImportJournal, ImportRowFate, SavedMapping};
use crate::query::{Aggregate, Query, RecordSight};
use crate::record::Record;
use crate::related::{Comment, Relation};
use crate::row::{Row, RowLayout};
use crate::schema::edit::SchemaChangeEntry;
use crate::schema::{Module, Schema};
use crate::user::{Group, User};
use crate::value::{RecordId, Value};
use crate::view::Filter;
use crate::workflow::mail::{Mail, MailStatus};
use crate::workflow::{QueuedTask, Workflow};
use chrono::NaiveDateTime;
use std::collections::HashSet;
use std::sync::Arc;

/// Records (any module), ids, auto-numbers, the change log and stage history. Written with
/// [`RecordChange`](super::RecordChange).
pub trait RecordStore {
    /// Reserves `n` consecutive ids (for records, users and groups) and returns the first. Ids are never
    /// reused, even when the operation that reserved them fails. `n` of 0 is an `InvalidArgument`.
    fn allocate_ids(&mut self, n: u64) -> Result<i64>;
    /// Hands out the next auto-number of `module` (`POT1`, `POT2`, ...), starting from `default_prefix` and 1
    /// the first time.
    fn next_auto_number(&mut self, module: &str, default_prefix: &str) -> Result<String>;
    /// The auto-number state of `module`, if it has handed out or been configured.
    fn auto_number_state(&self, module: &str) -> Result<Option<AutoNumberState>>;
    /// Sets the prefix and next number of `module`.
    fn set_auto_number(&mut self, module: &str, state: &AutoNumberState) -> Result<()>;
    /// Reads one record (live or deleted).
    fn get(&self, id: RecordId) -> Result<Option<Record>>;
    /// The module of a record and whether it is in the recycle bin, without reading its fields.
    fn entity(&self, id: RecordId) -> Result<Option<(String, bool)>> {
        Ok(self.get(id)?.map(|r| (r.module, r.deleted)))
    }
    /// Lists the records a normalized query selects, in its order and page.
    fn query(&self, q: &Query) -> Result<Vec<Record>>;
    /// Calls `f` with each record a normalized query selects, in its order and page, until `f` returns
    /// false: one read of the store (one statement on the SQL stores), holding one record at a time, so
    /// memory does not grow with the number of records. The default reads them all with
    /// [`RecordStore::query`] first.
    fn query_each(&self, q: &Query, f: &mut dyn FnMut(Record) -> Result<bool>) -> Result<()> {
        for r in self.query(q)? {
            if !f(r)? {
                break;
            }
        }
        Ok(())
    }
    /// Counts the records a query selects, ignoring its page.
    fn count(&self, q: &Query) -> Result<u64>;
    /// Groups the records a query selects by `group_by` (or one group for all) and sums decimal `sums`
    /// fields exactly. Groups come ordered by key.
    fn aggregate(&self, q: &Query, group_by: Option<&str>, sums: &[&str]) -> Result<Vec<Aggregate>>;
    /// Like [`RecordStore::aggregate`] grouped by the first `len` characters of a date field's stored text
    /// (`yyyy-mm` for 7, `yyyy` for 4): the key is that prefix as text, or null for records without a date.
    /// Groups come ordered by key. The default folds the per-day groups; the SQL adapters group by the
    /// prefix in SQL (one scan instead of a walk of the date index).
    fn aggregate_by_date_prefix(&self, q: &Query, field: &str, len: usize, sums: &[&str]) -> Result<Vec<Aggregate>> {
        let mut out: Vec<Aggregate> = Vec::new();
        for g in self.aggregate(q, Some(field), sums)? {
            let key = g.key.to_text().map_or(Value::Null, |t| Value::Text(t.chars().take(len).collect()));
            match out.last_mut() {
                Some(last) if last.key == key => {
                    last.count += g.count;
                    for ((a, b), f) in last.sums.iter_mut().zip(&g.sums).zip(sums) {
                        *a = a.checked_add(*b).ok_or_else(|| super::sum_overflow(f))?;
                    }
                }
                _ => out.push(Aggregate { key, count: g.count, sums: g.sums }),
            }
        }
        Ok(out)
    }
    /// Calls `f` with every record a normalized query selects (in its order and page) as a [`Row`] of
    /// `layout`, until `f` returns false. The default reads records with [`RecordStore::query`] and converts
    /// them ([`rows_via_records`]); the SQLite adapter reads each row's columns straight into slots, without
    /// building a map per record.
    fn scan_rows(&self, q: &Query, layout: &Arc<RowLayout>, f: &mut dyn FnMut(Row) -> bool) -> Result<()> {
        rows_via_records(self, q, layout, f)
    }
    /// Ids of live records of `module` whose label equals `label` (ignoring case), lowest id first.
    fn find_by_label(&self, module: &str, label: &str) -> Result<Vec<RecordId>>;
    /// True when a record of `module`, live or in the recycle bin, has `number` as its auto-number. The
    /// default counts with two queries; adapters with an index on the number override it with one probe.
    fn auto_number_taken(&self, module: &Module, number: &str) -> Result<bool> {
        let Some(an) = &module.auto_number else { return Ok(false) };
        let q = Query::new(&module.name).filter(crate::query::Condition::eq(an.field.clone(), number)).normalize(module)?;
        Ok(self.count(&q)? > 0 || self.count(&q.in_recycle_bin())? > 0)
    }
    /// Which of `numbers` a record of `module` (live or in the recycle bin) has as its auto-number: the
    /// numbers an import batch brings, asked at once. The default asks [`RecordStore::auto_number_taken`]
    /// for each; PostgreSQL answers them all in one statement.
    fn auto_numbers_taken(&self, module: &Module, numbers: &[&str]) -> Result<HashSet<String>> {
        let mut taken = HashSet::new();
        for n in numbers {
            if self.auto_number_taken(module, n)? {
                taken.insert((*n).to_string());
            }
        }
        Ok(taken)
    }
    /// The change log of a record, oldest first.
    fn history(&self, id: RecordId) -> Result<Vec<HistoryEntry>>;
    /// One page of a record's change log: at most `limit` entries with an id above `after`, oldest
    /// first. The default filters [`RecordStore::history`] (for stores that hold everything in memory);
    /// SQL stores read only the page.
    fn history_page(&self, id: RecordId, after: i64, limit: u64) -> Result<Vec<HistoryEntry>> {
        Ok(self.history(id)?.into_iter().filter(|e| e.id > after).take(usize::try_from(limit).unwrap_or(usize::MAX)).collect())
    }
    /// The stage history of an opportunity, oldest first.
    fn stage_history(&self, id: RecordId) -> Result<Vec<StageEntry>>;
    /// One page of groups of live records of `m` whose `fields` (canonical names) all match, normalised
    /// ([`crate::dedupe::field_key`]) or exactly: groups with a key above `after`, ordered by key, at most
    /// `limit`. With a `sight` (access control), the groups are the same but hold only the ids of the
    /// records it admits, so some may hold fewer than two. The default reads the module's live records
    /// ([`super::duplicates::groups_by_scan`]); the SQL stores group in SQL, in one statement.
    fn duplicate_groups(
        &self,
        m: &Module,
        fields: &[String],
        normalize: bool,
        after: Option<&str>,
        limit: u64,
        sight: Option<&RecordSight>,
    ) -> Result<Vec<DuplicateGroup>> {
        super::duplicates::groups_by_scan(self, m, fields, normalize, after, limit, sight)
    }
    /// Live records of `m` whose key under `rule` is `key`, lowest id first, at most `limit`. The default
    /// reads the module's live records; the SQL stores probe their index of rule keys.
    fn duplicate_key_holders(&self, m: &Module, rule: &DuplicateRule, key: &str, limit: u64) -> Result<Vec<RecordId>> {
        super::duplicates::holders_by_scan(self, m, rule, key, limit)
    }
    /// What a merge did to a merged record, until it is restored or purged.
    fn merge_journal(&self, id: RecordId) -> Result<Option<MergeJournal>>;
}

/// [`RecordStore::scan_rows`] through [`RecordStore::query`]: each record converted with
/// [`Row::from_record`].
///
/// # Errors
/// As [`RecordStore::query`]; `InvalidArgument` when the query is not of the layout's module.
pub fn rows_via_records<S: RecordStore + ?Sized>(
    store: &S,
    q: &Query,
    layout: &Arc<RowLayout>,
    f: &mut dyn FnMut(Row) -> bool,
) -> Result<()> {
    for r in store.query(q)? {
        if !f(Row::from_record(layout, &r)?) {
            break;
        }
    }
    Ok(())
}

/// The schema and its change log. Written with [`SchemaStoreChange`](super::SchemaStoreChange).
pub trait SchemaStore {
    /// The stored schema, or `None` for a new, empty store.
    fn load_schema(&mut self) -> Result<Option<Schema>>;
    /// Stores the schema and makes the physical layout follow it (tables, columns, indexes).
    fn save_schema(&mut self, schema: &Schema) -> Result<()>;
    /// The version of the stored schema, read cheaply (without loading the schema); `None` for an empty
    /// store. Lets every handle notice schema changes made through another handle.
    fn schema_version(&self) -> Result<Option<u64>>;
    /// The stored schema when it is newer than `version` (another handle of the same database changed
    /// it), else `None`; cheap when nothing changed. Lets reads through `&self` see other handles' schema
    /// changes. The default suits stores that only one handle can open (the memory store).
    fn newer_schema(&self, version: u64) -> Result<Option<Arc<Schema>>> {
        let _ = version;
        Ok(None)
    }
    /// The schema change log, oldest first.
    fn schema_changes(&self) -> Result<Vec<SchemaChangeEntry>>;
    /// One page of the schema change log: at most `limit` changes with a version above `after` (all when `None`), oldest
    /// first. The default filters [`SchemaStore::schema_changes`]; SQL stores read only the page.
    fn schema_changes_page(&self, after: Option<u64>, limit: u64) -> Result<Vec<SchemaChangeEntry>> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(self.schema_changes()?.into_iter().filter(|c| after.is_none_or(|a| c.version > a)).take(limit).collect())
    }
}

/// Workflows, the e-mail outbox, once-workflow pairs and queued tasks. Written with
/// [`WorkflowChange`](super::WorkflowChange).
pub trait WorkflowStore {
    /// Every workflow, ascending id.
    fn workflows(&self) -> Result<Vec<Workflow>>;
    /// Every outbox mail, ascending id.
    fn outbox(&self) -> Result<Vec<Mail>>;
    /// One outbox mail by id (a primary-key read).
    fn mail(&self, id: i64) -> Result<Option<Mail>>;
    /// At most `limit` outbox mails with ids above `after`, ascending id, only those with `status` when
    /// given (keyset paging on `(status, id)`).
    fn outbox_page(&self, status: Option<MailStatus>, after: i64, limit: usize) -> Result<Vec<Mail>>;
    /// At most `limit` mails due for delivery at `now` with ids above `after`, ascending id: queued mail,
    /// and failed mail whose next attempt is at or before `now` (never mail that was given up on).
    fn due_mail(&self, now: NaiveDateTime, after: i64, limit: usize) -> Result<Vec<Mail>>;
    /// At most `limit` ids of sent mail sent before `before`, ascending.
    fn sent_before(&self, before: NaiveDateTime, limit: usize) -> Result<Vec<i64>>;
    /// True when the once-workflow already fired for the record.
    fn activated_once(&self, workflow: i64, record: RecordId) -> Result<bool>;
    /// Every queued delayed task, by due time then id.
    fn queued_tasks(&self) -> Result<Vec<QueuedTask>>;
}

/// Import journals and saved column mappings. Written with [`ImportChange`](super::ImportChange).
pub trait ImportStore {
    /// Every import, oldest first.
    fn imports(&self) -> Result<Vec<ImportJournal>>;
    /// The records an import touched, in file order.
    fn import_rows(&self, import_id: i64) -> Result<Vec<ImportRowFate>>;
    /// One page of [`ImportStore::import_rows`]: at most `limit` rows after skipping `offset`. The default
    /// slices the whole list; SQL stores read only the page.
    fn import_rows_page(&self, import_id: i64, offset: u64, limit: u64) -> Result<Vec<ImportRowFate>> {
        let (offset, limit) = (usize::try_from(offset).unwrap_or(usize::MAX), usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(self.import_rows(import_id)?.into_iter().skip(offset).take(limit).collect())
    }
    /// The saved mappings of a module, by name.
    fn mappings(&self, module: &str) -> Result<Vec<SavedMapping>>;
}

/// List filters and settings. Written with [`ViewChange`](super::ViewChange).
pub trait ViewStore {
    /// Every stored filter of `module`, lowest id first.
    fn filters(&self, module: &str) -> Result<Vec<Filter>>;
    /// A stored setting (JSON text).
    fn setting(&self, key: &str) -> Result<Option<String>>;
}

/// Comments and many-to-many links. Written with [`RelationChange`](super::RelationChange).
pub trait RelationStore {
    /// The comments on a record, newest first.
    fn comments(&self, record: RecordId) -> Result<Vec<Comment>>;
    /// A comment by id.
    fn comment(&self, id: i64) -> Result<Option<Comment>>;
    /// Links of `record` (made on either side) to live or deleted records of `module` (every module when
    /// `None`), oldest link first, skipping `offset` and returning at most `limit`. In each returned
    /// [`Relation`], `record` is the record asked about and `related` the other side.
    fn relations(&self, record: RecordId, module: Option<&str>, offset: u64, limit: Option<u64>) -> Result<Vec<Relation>>;
    /// How many links [`RelationStore::relations`] would list without a page.
    fn count_relations(&self, record: RecordId, module: Option<&str>) -> Result<u64>;
}

/// Users and groups. Written with [`UserChange`](super::UserChange).
pub trait UserStore {
    /// Every registered user.
    fn users(&self) -> Result<Vec<User>>;
    /// Every registered group.
    fn groups(&self) -> Result<Vec<Group>>;
}

/// The change feed, read from the change log (see [`crate::feed`]): positions are change-log entry ids.
pub trait FeedStore {
    /// The change-log entries `q` selects, by position. Each store decides which entries a feed read returns
    /// in this one place (`storage::memory::feed::select`, `storage::sql::feed::select`).
    fn feed(&self, q: &crate::feed::FeedQuery) -> Result<Vec<HistoryEntry>>;
    /// The highest committed position, or the highest trimmed one when that is higher (0 for an empty log).
    fn feed_end(&self) -> Result<i64>;
    /// The highest position trimmed away by [`FeedStore::trim_feed`] (0 when nothing was).
    fn feed_trimmed(&self) -> Result<i64>;
    /// Removes every change-log entry with a position up to `through` (with its field changes) and
    /// remembers `through` as trimmed, in one transaction; returns how many entries went.
    fn trim_feed(&mut self, through: i64) -> Result<u64>;
}

/// Access control: the model (roles, profiles, sharing, rules, administrators), its version and change
/// log. Written with [`AccessStoreChange`](super::AccessStoreChange).
///
/// The version moves with every stored model **and with every user or group change** (each
/// [`UserChange`](super::UserChange) adds one), so that a handle that compiled a user's rights notices,
/// with one cheap read, anything that can change them.
pub trait AccessStore {
    /// The access version: 0 for a store that never had an access or user change.
    fn access_version(&self) -> Result<u64>;
    /// The stored model (the default, unrestricted one when none was stored) and the access version.
    fn access_model(&self) -> Result<(AccessModel, u64)>;
    /// The access change log, oldest first.
    fn access_changes(&self) -> Result<Vec<AccessChangeEntry>>;
}
