//! The SQLite adapter: a relational, readable database file.
//!
//! Layout (what a person sees with the `sqlite3` shell or pandas; defined once in
//! `sql::ddl`):
//!
//! * one table per module, named after it in lower case (`potentials`, `accounts`, ...), with an `id` column
//!   and **one column per field**, named after the field (`potentialname`, `amount`, `sales_stage`, ...);
//! * `crm_entity` — one row per record of any module: id (unique across modules), module, label, deleted
//!   flag, version;
//! * `crm_history` + `crm_history_detail` — the change log, one detail row per changed field (a creation is
//!   one row holding every field);
//! * `crm_stage_history` — stage, amount, probability, forecast amount and close date after each change;
//! * `crm_users`, `crm_groups`, `crm_group_members`, `crm_autonum`, `crm_seq`, `crm_meta` (the schema as JSON);
//! * `crm_schema_changes` — the versioned schema change log (who, when, the change as JSON); custom fields
//!   are ordinary columns of the module table (`cf_<n>`), cleared (not dropped) when the field is deleted.
//!
//! Values: money, percentages and decimals are **canonical decimal text** (`1000.00`), never REAL; dates and
//! times ISO text; checkboxes 0/1; references and owners integer ids; multi-select values `a |##| b`.
//!
//! Every statement and query comes from the shared SQL layer (`storage::sql`) in SQLite's
//! `dialect`; this module keeps what only SQLite has: the connection (WAL journal, foreign keys, a busy
//! timeout, query-planner stability), its functions (`crm_fold`, `crm_sum`; decimals are keyed by SQLite's own functions), `PRAGMA
//! user_version` migrations (a database written by a newer crm is refused), `BEGIN IMMEDIATE` units of work,
//! the id sequence, `PRAGMA data_version`, and reading rows straight into slots.

mod bulk;
mod db;
mod decimal_index;
mod dialect;
mod functions;
mod records;

use self::db::{Link, SqlResult, map_err};
use super::{AutoNumberState, ChangeSet, Store};
use crate::error::{Error, Result, StorageError};
use crate::query::Query;
use crate::row::{Row, RowLayout};
use crate::storage::sql::adapter::HandleState;
use crate::storage::sql::records::RecordSqlCache;
use crate::storage::sql::{self, Arg, Db, SqlAdapter};
use rusqlite::{Connection, TransactionBehavior};
use std::cell::RefCell;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The layout version this build writes (`PRAGMA user_version`).
///
/// 1: the first layout; 2: outbox attempts; 3: access control's change log (`crm_access_changes`), the
/// duplicate-prevention keys and merge journals (`crm_dedupe_keys`, `crm_merges`), label keys folded the
/// Persian-aware way (marked in `crm_meta`). Each step is added by `sql::ddl::install`, idempotently, when
/// an older file is opened; a build that knows only an older layout refuses the file (it would not keep
/// the new tables up to date).
pub const LAYOUT_VERSION: i64 = 3;

/// The id sequence: ids are never reused, even when the operation that reserved them fails.
const SEQUENCE: &str = "CREATE TABLE IF NOT EXISTS crm_seq (name TEXT PRIMARY KEY, value INTEGER NOT NULL)";

/// A store in one SQLite database file.
pub struct SqliteStore {
    conn: Connection,
    /// This handle's schema and its open unit of work ([`Store::begin_unit`] holds the write transaction).
    handle: HandleState,
    /// The statements of each module's table, built once per schema version.
    records: RefCell<RecordSqlCache>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.conn.path()).finish()
    }
}

impl SqliteStore {
    /// Opens (creating if missing) the database file at `path`.
    ///
    /// # Errors
    /// `Storage(Io)` when the file cannot be opened, `Storage(Corrupt)` when it is not a database,
    /// `Storage(IncompatibleVersion)` when a newer crm wrote it.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let conn = Connection::open(path.as_ref()).map_err(|e| match map_err(e) {
            Error::Storage(StorageError::Driver { kind: crate::error::ErrorKind::Storage, source, .. }) => {
                Error::Storage(StorageError::Io(std::io::Error::other(source)))
            }
            other => other,
        })?;
        Self::init(conn)
    }

    /// A private database in memory (same SQL code paths as a file, for tests).
    pub fn open_in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory().db()?)
    }

    fn init(conn: Connection) -> Result<Self> {
        conn.busy_timeout(Duration::from_secs(10)).db()?;
        // journal_mode returns a row; WAL silently stays "memory" for in-memory databases.
        let _mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0)).db()?;
        conn.pragma_update(None, "foreign_keys", true).db()?;
        conn.pragma_update(None, "synchronous", "NORMAL").db()?;
        conn.set_prepared_statement_cache_capacity(512);
        // Query-planner stability: plans never depend on bound values. Without it SQLite marks statements
        // with a `col = ?` term "re-prepare when rebound", and rusqlite's statement cache clears the
        // bindings of each statement it takes back, so such cached lookups were compiled again on every use
        // (~57k instructions each; benches/README "Sixth round").
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).db()?;
        functions::register(&conn)?;
        let mut store = SqliteStore { conn, handle: HandleState::default(), records: Default::default() };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).db()?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0)).db()?;
        if version > LAYOUT_VERSION {
            return Err(StorageError::IncompatibleVersion { found: version, supported: LAYOUT_VERSION }.into());
        }
        tx.execute_batch(SEQUENCE).db()?;
        sql::ddl::install(&mut Link { conn: &tx, records: &self.records })?;
        decimal_index::rebuild_collated(&tx)?;
        // Steps that change existing tables: versions 2 (outbox attempts) and 3 (label keys refolded) are
        // completed by `install` itself.
        tx.pragma_update(None, "user_version", LAYOUT_VERSION).db()?;
        tx.commit().db()
    }

    /// The shared SQL code's view of the connection.
    fn link(&self) -> Link<'_> {
        Link { conn: &self.conn, records: &self.records }
    }

    /// The underlying connection, for read-only inspection in tests and tools.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The plan SQLite chooses for the `SELECT` that [`RecordStore::query`](crate::storage::RecordStore::query) runs for `q` (a normalized query):
    /// the `detail` column of `EXPLAIN QUERY PLAN`, one line per step (e.g. `SEARCH t USING INDEX
    /// crm_ix_potentials_3 (sales_stage=?)`, `USE TEMP B-TREE FOR ORDER BY`). For tests and tuning.
    ///
    /// # Errors
    /// Unknown module or field; SQLite errors.
    pub fn query_plan(&self, q: &Query) -> Result<Vec<String>> {
        let s = self.read_schema()?;
        let m = sql::compile::module(&s, &q.module)?;
        let (select, args) = sql::compile::select(&dialect::Sqlite, m, q, Arg::Int(-1))?;
        let mut plan = Vec::new();
        self.link().query(&format!("EXPLAIN QUERY PLAN {select}"), &args, &mut |r| {
            plan.push(r.string(3)?);
            Ok(true)
        })?;
        Ok(plan)
    }
}

impl SqlAdapter for SqliteStore {
    fn read<T>(&self, f: impl FnOnce(&mut dyn Db) -> Result<T>) -> Result<T> {
        f(&mut self.link())
    }

    /// Its own `BEGIN IMMEDIATE` transaction, or a savepoint of the open unit of work (the transaction
    /// statements come from the statement cache: no SQL parsing per write).
    fn write<T>(&mut self, f: impl FnOnce(&mut dyn Db) -> Result<T>) -> Result<T> {
        let (begin, commit, undo): (&str, &str, &[&str]) = if self.handle.unit.open {
            ("SAVEPOINT crm_write", "RELEASE crm_write", &["ROLLBACK TO crm_write", "RELEASE crm_write"])
        } else {
            ("BEGIN IMMEDIATE", "COMMIT", &["ROLLBACK"])
        };
        let mut link = self.link();
        link.execute(begin, &[])?;
        let out = f(&mut link).and_then(|out| link.execute(commit, &[]).map(|_| out));
        if out.is_err() && !self.conn.is_autocommit() {
            for sql in undo {
                let _ = link.execute(sql, &[]);
            }
        }
        out
    }

    sql::adapter::handle_state!(handle);

    fn schema_replaced(&mut self) {
        self.records.get_mut().clear();
    }

    fn reserve_ids(&mut self, n: i64) -> Result<i64> {
        self.write(|db| records::reserve_ids(db, n))
    }

    /// The unit holds the write lock: the counter is read once and written back when the unit commits.
    fn hold_auto_number(&mut self, module: &str, default_prefix: &str) -> Result<AutoNumberState> {
        Ok(self.read(|db| sql::records::auto_number(db, module, false))?.unwrap_or_else(|| AutoNumberState::start(default_prefix)))
    }

    fn store_auto_number(&mut self, module: &str, state: &AutoNumberState) -> Result<()> {
        self.read(|db| sql::records::set_auto_number(db, module, state))
    }

    fn scan_direct(&self, q: &Query, layout: &Arc<RowLayout>, f: &mut dyn FnMut(Row) -> bool) -> Result<bool> {
        records::scan_rows(self, q, layout, f)
    }
}

impl Store for SqliteStore {
    fn commit(&mut self, changes: &ChangeSet) -> Result<()> {
        sql::adapter::commit(self, changes)
    }

    fn unit_is_exclusive(&self) -> bool {
        self.handle.unit.open // BEGIN IMMEDIATE: no other connection writes until the unit ends
    }

    fn begin_unit(&mut self) -> Result<()> {
        if !self.handle.unit.open {
            self.conn.execute_batch("BEGIN IMMEDIATE").db()?;
            self.handle.unit.open = true;
        }
        Ok(())
    }

    fn end_unit(&mut self, commit: bool) -> Result<()> {
        if !self.handle.unit.open {
            return Ok(());
        }
        self.handle.unit.open = false;
        if !commit {
            self.handle.unit.numbers.clear();
            return self.conn.execute_batch("ROLLBACK").db();
        }
        if let Err(e) = sql::adapter::store_unit_numbers(self).and_then(|()| self.conn.execute_batch("COMMIT").db()) {
            let _ = self.conn.execute_batch("ROLLBACK");
            return Err(e);
        }
        Ok(())
    }

    fn begin_snapshot(&self) -> Result<bool> {
        if self.handle.unit.open || !self.conn.is_autocommit() {
            return Ok(false);
        }
        // A deferred transaction: its first read fixes the WAL snapshot every later read sees.
        self.conn.execute_batch("BEGIN").db()?;
        Ok(true)
    }

    fn end_snapshot(&self) -> Result<()> {
        if self.conn.is_autocommit() {
            return Ok(());
        }
        self.conn.execute_batch("COMMIT").db()
    }

    fn data_version(&self) -> Result<u64> {
        let v = self.read(|db| sql::db::row(db, "PRAGMA data_version", &[], |r| r.i64(0)))?.unwrap_or(0);
        Ok(u64::try_from(v).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::RecordStore;

    /// A cached lookup is compiled once: binding new values never re-prepares it (query-planner stability).
    #[test]
    fn cached_lookups_are_not_prepared_again_when_rebound() {
        let store = SqliteStore::open_in_memory().expect("store");
        for name in ["Acme", "Globex", "Initech"] {
            store.find_by_label("Accounts", name).expect("lookup");
        }
        let st = store.conn.prepare_cached(&db::statements().find_by_label).expect("cached");
        assert_eq!(st.get_status(rusqlite::StatementStatus::Run), 3);
        assert_eq!(st.get_status(rusqlite::StatementStatus::RePrepare), 0);
    }

    /// Grouping every record by a field (the forecast by stage) scans the rows once and groups them: it
    /// never walks the field's index with a table lookup per row, which costs more than a scan once the
    /// table outgrows the page cache (measured at 1M rows in benches/README.md). Asserts on the plan only.
    #[test]
    fn grouping_by_a_field_scans_instead_of_walking_its_index() {
        let mut store = SqliteStore::open_in_memory().expect("store");
        let schema = crate::schema::Schema::builtin();
        crate::storage::SchemaStore::save_schema(&mut store, &schema).expect("tables");
        let m = sql::compile::module(&schema, "Potentials").expect("module");
        let q = Query::new("Potentials").normalize(m).expect("query");
        let (select, args, _) = sql::compile::aggregate(&dialect::Sqlite, m, &q, Some("sales_stage"), &["amount"]).expect("sql");
        let mut plan = Vec::new();
        store
            .link()
            .query(&format!("EXPLAIN QUERY PLAN {select}"), &args, &mut |r| {
                plan.push(r.string(3)?);
                Ok(true)
            })
            .expect("plan");
        let plan = plan.join("\n");
        assert!(!plan.contains("USING INDEX"), "{plan}");
        assert!(plan.contains("TEMP B-TREE FOR GROUP BY"), "{plan}");
    }
}
