//! What a relational adapter provides ([`SqlAdapter`]: connection access, transactions, and the few
//! things only its engine does), so that every storage port is implemented once for both engines (in the
//! area modules: `impl<S: SqlAdapter> RecordStore for S`, ...).

use super::{Db, schema};
use crate::error::{Error, Result};
use crate::row::{Row, RowLayout};
use crate::schema::Schema;
use crate::storage::{AutoNumberState, Change, ChangeSet};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// A handle's schema: its own, and the newer one another handle stored since (see [`schema::fresh`]).
#[derive(Debug, Default)]
pub(crate) struct Schemas {
    /// The schema this handle loaded or stored.
    pub(crate) own: Option<Arc<Schema>>,
    /// The stored schema when another handle changed it after this one loaded its own.
    pub(crate) newer: RefCell<Option<Arc<Schema>>>,
}

/// Auto-number counters taken inside the open unit of work: the first take holds the counter (SQLite's
/// write lock, PostgreSQL's row lock) until the unit ends, so the rest are counted here and written back
/// once at its end.
#[derive(Debug, Default)]
pub(crate) struct UnitNumbers {
    /// True while a unit of work is open.
    pub(crate) open: bool,
    /// Module → counter.
    pub(crate) numbers: HashMap<String, AutoNumberState>,
}

/// What every relational handle keeps beside its connection.
#[derive(Debug, Default)]
pub(crate) struct HandleState {
    /// This handle's schema, and the newer one another handle stored.
    pub(crate) schemas: Schemas,
    /// The open unit of work and its auto-number counters.
    pub(crate) unit: UnitNumbers,
}

/// Implements [`SqlAdapter::state`] and [`SqlAdapter::state_mut`] over a field of type [`HandleState`].
macro_rules! handle_state {
    ($field:ident) => {
        fn state(&self) -> &$crate::storage::sql::adapter::HandleState {
            &self.$field
        }
        fn state_mut(&mut self) -> &mut $crate::storage::sql::adapter::HandleState {
            &mut self.$field
        }
    };
}
pub(crate) use handle_state;

/// A relational adapter, as the shared ports see it.
pub(crate) trait SqlAdapter: Send {
    /// Runs `f` on the connection (a read through `&self`).
    fn read<T>(&self, f: impl FnOnce(&mut dyn Db) -> Result<T>) -> Result<T>;
    /// Runs `f` in one write transaction, or a savepoint of the open unit of work; on error everything `f`
    /// wrote is rolled back.
    fn write<T>(&mut self, f: impl FnOnce(&mut dyn Db) -> Result<T>) -> Result<T>;
    /// The handle's schemas and unit of work ([`handle_state!`]).
    fn state(&self) -> &HandleState;
    /// The handle's schemas and unit of work, to change.
    fn state_mut(&mut self) -> &mut HandleState;
    /// Forgets what was built from the handle's schema (its record statements): the schema was replaced.
    fn schema_replaced(&mut self);
    /// Reserves `n` (at least 1) consecutive ids that are never handed out again; returns the first.
    fn reserve_ids(&mut self, n: i64) -> Result<i64>;
    /// The first take of a module's counter inside a unit of work: its state, held until the unit ends.
    fn hold_auto_number(&mut self, module: &str, default_prefix: &str) -> Result<AutoNumberState>;
    /// Writes a module's auto-number state.
    fn store_auto_number(&mut self, module: &str, state: &AutoNumberState) -> Result<()>;

    /// The handle's schemas.
    fn schemas(&self) -> &Schemas {
        &self.state().schemas
    }
    /// The handle's schemas, to change.
    fn schemas_mut(&mut self) -> &mut Schemas {
        &mut self.state_mut().schemas
    }
    /// The unit of work's auto-number counters.
    fn unit_numbers(&self) -> &UnitNumbers {
        &self.state().unit
    }
    /// The unit of work's auto-number counters, to change.
    fn unit_numbers_mut(&mut self) -> &mut UnitNumbers {
        &mut self.state_mut().unit
    }
    /// Reads the selected records straight into rows of `layout`; false when the adapter has no such path
    /// (then records are read and converted).
    fn scan_direct(&self, q: &crate::query::Query, layout: &Arc<RowLayout>, f: &mut dyn FnMut(Row) -> bool) -> Result<bool> {
        let _ = (q, layout, f);
        Ok(false)
    }
    /// The stored schema version.
    fn stored_schema_version(&self) -> Result<Option<u64>> {
        self.read(|db| schema::version(db, false))
    }
    /// Writes a commit's changes in one transaction: change by change, or as bulk runs where the engine
    /// has them ([`Db::bulk_run`]).
    fn write_changes(&mut self, schema: &Schema, changes: &[Change]) -> Result<()> {
        self.write(|db| {
            schema::lock_rewritten(db, schema, changes)?; // first: see `lock_rewritten`
            let mut rest = changes;
            while let Some(first) = rest.first() {
                match db.bulk_run(rest) {
                    0 => {
                        super::apply(db, schema, first)?;
                        rest = &rest[1..];
                    }
                    n => {
                        db.write_bulk(schema, &rest[..n])?;
                        rest = &rest[n..];
                    }
                }
            }
            super::duplicates::maintain_keys(db, schema, changes) // the duplicate-rule key index
        })
    }
    /// The schema reads use: this handle's own, or the newer one another handle stored.
    fn read_schema(&self) -> Result<Arc<Schema>> {
        let s = self.schemas();
        self.read(|db| schema::fresh(db, s.own.as_ref(), &s.newer))
    }
}

/// [`Store::commit`](crate::storage::Store::commit) of a relational adapter: every change in one
/// transaction; a committed new schema becomes the one in force.
pub(crate) fn commit<S: SqlAdapter>(s: &mut S, changes: &ChangeSet) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let schema = s.schemas().own.clone().ok_or_else(|| Error::invalid("no schema stored yet"))?;
    s.write_changes(&schema, &changes.0)?;
    if let Some(new) = changes.new_schema() {
        s.schemas_mut().own = Some(Arc::new(new.clone()));
        s.schema_replaced();
    }
    Ok(())
}

/// Writes the counters of a unit of work back before it commits.
pub(crate) fn store_unit_numbers<S: SqlAdapter>(s: &mut S) -> Result<()> {
    let numbers = std::mem::take(&mut s.unit_numbers_mut().numbers);
    for (module, state) in &numbers {
        s.store_auto_number(module, state)?;
    }
    Ok(())
}
