//! Storage ports and their adapters.
//!
//! One port per area ([`RecordStore`], [`SchemaStore`], [`WorkflowStore`], [`ImportStore`], [`ViewStore`],
//! [`RelationStore`], [`UserStore`]), composed into [`Store`], which adds commits and units of work. Writes
//! arrive as a [`ChangeSet`] of area changes ([`RecordChange`], [`SchemaStoreChange`], ...): everything one
//! operation changes is applied in **one transaction** by [`Store::commit`], or not at all. Reads take a
//! [`Query`](crate::query::Query) so that filters, sorting, paging and aggregates can be pushed down to SQL.
//!
//! Adapters: [`memory::MemoryStore`] (always available, the executable reference), [`sqlite::SqliteStore`]
//! (feature `sqlite`, on by default) and `postgres::PostgresStore` (feature `postgres`, off by default), the
//! last two written once over a shared SQL layer with a dialect (`sql`). One conformance suite
//! (`tests/conformance.rs`) runs against every adapter.

mod changes;
pub mod memory;
mod ports;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) mod sql;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use changes::{
    Change, ChangeSet, ImportChange, RecordChange, RelationChange, SchemaStoreChange, UserChange, ViewChange, WorkflowChange,
};
pub use ports::{ImportStore, RecordStore, RelationStore, SchemaStore, UserStore, ViewStore, WorkflowStore, rows_via_records};

use crate::error::Result;

/// Every storage port at once, for code that uses several (`use crate::storage::prelude::*`).
pub mod prelude {
    pub use super::{ImportStore, RecordStore, RelationStore, SchemaStore, Store, UserStore, ViewStore, WorkflowStore};
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
pub trait Store: RecordStore + SchemaStore + WorkflowStore + ImportStore + ViewStore + RelationStore + UserStore + Send {
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
    /// Whether an open unit of work keeps every other handle from writing until it ends (SQLite's
    /// `BEGIN IMMEDIATE` write lock; a store nothing else shares). Then what a handle read once inside the
    /// unit — the stored schema version, [`Store::data_version`] — cannot move, and is not read again per
    /// save. PostgreSQL units are ordinary transactions that other connections commit beside: `false`.
    fn unit_is_exclusive(&self) -> bool {
        false
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
