//! Storage ports and their adapters.
//!
//! One port per area ([`RecordStore`], [`SchemaStore`], [`WorkflowStore`], [`ImportStore`], [`ViewStore`],
//! [`RelationStore`], [`UserStore`], [`FeedStore`]), composed into [`Store`], which adds commits and units of work. Writes
//! arrive as a [`ChangeSet`] of area changes ([`RecordChange`], [`SchemaStoreChange`], ...): everything one
//! operation changes is applied in **one transaction** by [`Store::commit`], or not at all. Reads take a
//! [`Query`](crate::query::Query) so that filters, sorting, paging and aggregates can be pushed down to SQL.
//!
//! Adapters: [`memory::MemoryStore`] (always available, the executable reference), [`sqlite::SqliteStore`]
//! (feature `sqlite`, on by default) and `postgres::PostgresStore` (feature `postgres`, off by default), the
//! last two written once over a shared SQL layer with a dialect (`sql`). One conformance suite
//! (`tests/conformance.rs`) runs against every adapter.

pub mod analytics;
mod changes;
pub mod duplicates;
pub mod memory;
mod ports;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) mod sql;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use analytics::AnalyticsStore;
pub use changes::{
    AccessStoreChange, Change, ChangeSet, ImportChange, RecordChange, RelationChange, SchemaStoreChange, UserChange, ViewChange,
    WorkflowChange,
};
pub use ports::{
    AccessStore, FeedStore, ImportStore, RecordStore, RelationStore, SchemaStore, UserStore, ViewStore, WorkflowStore, rows_via_records,
};

use crate::error::Result;
use crate::history::HistoryEntry;
use crate::value::RecordId;

/// Every storage port at once, for code that uses several (`use crate::storage::prelude::*`).
pub mod prelude {
    pub use super::{
        AccessStore, AnalyticsStore, FeedStore, ImportStore, RecordStore, RelationStore, SchemaStore, Store, UserStore, ViewStore,
        WorkflowStore,
    };
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

/// A storage backend: every area's port, commits and units of work.
pub trait Store:
    RecordStore
    + SchemaStore
    + WorkflowStore
    + ImportStore
    + ViewStore
    + RelationStore
    + UserStore
    + AnalyticsStore
    + FeedStore
    + AccessStore
    + Send
{
    /// Applies every change in one transaction, or none of them.
    fn commit(&mut self, changes: &ChangeSet) -> Result<()>;
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
    /// Starts a caller's transaction ([`Crm::begin_transaction`](crate::Crm::begin_transaction)): a unit
    /// of work that stays open across calls. Stores whose units cannot roll back (the memory store) keep
    /// what rolling back needs here.
    fn begin_transaction(&mut self) -> Result<()> {
        self.begin_unit()
    }
    /// Ends the caller's transaction: commits it, or rolls every write of it back.
    fn end_transaction(&mut self, commit: bool) -> Result<()> {
        self.end_unit(commit)
    }
    /// Whether an open unit of work keeps every other handle from writing until it ends (SQLite's
    /// `BEGIN IMMEDIATE` write lock; a store nothing else shares). Then what a handle read once inside the
    /// unit — the stored schema version, [`Store::data_version`] — cannot move, and is not read again per
    /// save. PostgreSQL units are ordinary transactions that other connections commit beside: `false`.
    fn unit_is_exclusive(&self) -> bool {
        false
    }
    /// Starts a unit of work ([`Store::begin_unit`]) that also holds the store's setup lock until it ends,
    /// so that one handle at a time installs what a new store needs (the built-in schema, default filters
    /// and workflows) and the others, checking again under the lock, find it installed. SQLite's unit
    /// (`BEGIN IMMEDIATE`) already keeps other writers out; PostgreSQL adds a transaction-level advisory
    /// lock.
    fn begin_setup(&mut self) -> Result<()> {
        self.begin_unit()
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
    /// A number that changes whenever **another** handle commits to the same store (SQLite's
    /// `PRAGMA data_version`); handles use it to drop their caches. Stores that cannot be shared return 0.
    fn data_version(&self) -> Result<u64> {
        Ok(0)
    }
}

/// The error of a sum beyond the range of exact decimals, the same on every store.
pub(crate) fn sum_overflow(field: &str) -> crate::error::Error {
    crate::error::Error::invalid(format!("the sum of '{field}' is out of range"))
}

/// The change-log entry of a record that [`SchemaStoreChange::ClearField`] or
/// [`SchemaStoreChange::ReplacePicklistValue`] rewrote: an update of `field` from `before` to `after`
/// (stored text, as [`Value::to_text`](crate::value::Value::to_text) gives it) by `actor` at `at`.
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

/// The error of a [`RecordChange::Purge`] that matched nothing, given what is stored (`(deleted, version)`
/// of the record, `None` when it is gone): `NotFound`, or `Conflict` when the record was restored or changed.
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
