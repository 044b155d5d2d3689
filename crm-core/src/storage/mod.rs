//! Storage ports and their adapters.
//!
//! [`Store`] is the one port every backend implements. Writes arrive as a [`ChangeSet`]: everything one
//! operation changes (records, their history, stage history, users) is applied in **one transaction** by
//! [`Store::commit`], or not at all. Reads take a [`Query`](crate::query::Query) so that filters, sorting,
//! paging and aggregates can be pushed down to SQL.
//!
//! Adapters: [`memory::MemoryStore`] (always available) and [`sqlite::SqliteStore`] (feature `sqlite`, on by
//! default). One conformance suite (`tests/conformance.rs`) runs against every adapter.

pub mod memory;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use crate::error::Result;
use crate::history::{HistoryEntry, StageEntry};
use crate::query::{Aggregate, Query};
use crate::record::Record;
use crate::schema::Schema;
use crate::user::{Group, User};
use crate::value::RecordId;

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
    /// Removes a record and its change log for good.
    Purge(RecordId),
    /// Appends to the change log.
    History(HistoryEntry),
    /// Appends to an opportunity's stage history.
    Stage(StageEntry),
    /// Creates or replaces a user.
    PutUser(User),
    /// Creates or replaces a group.
    PutGroup(Group),
    // ----- import/export (issue 5) -----
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
    // ----- import/export (issue 5) -----
    /// Every import, oldest first.
    fn imports(&self) -> Result<Vec<crate::io::ImportJournal>>;
    /// The records an import touched, in file order.
    fn import_rows(&self, import_id: i64) -> Result<Vec<crate::io::ImportRowFate>>;
    /// The saved mappings of a module, by name.
    fn mappings(&self, module: &str) -> Result<Vec<crate::io::SavedMapping>>;
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
