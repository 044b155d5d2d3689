//! The SQLite adapter: a relational, readable database file.
//!
//! Layout (what a person sees with the `sqlite3` shell or pandas; defined once in
//! [`sql::ddl`](crate::storage::sql::ddl)):
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
//! Every statement and query comes from the shared SQL layer ([`crate::storage::sql`]) in SQLite's
//! [`dialect`]; this module keeps what only SQLite has: the connection (WAL journal, foreign keys, a busy
//! timeout, query-planner stability), its functions (`crm_fold`, `crm_decimal`, `crm_sum`), `PRAGMA
//! user_version` migrations (a database written by a newer crm is refused), `BEGIN IMMEDIATE` units of work,
//! the id sequence, `PRAGMA data_version`, and reading rows straight into slots.

mod db;
mod dialect;
mod functions;

use self::db::{Link, SqlResult, from_sql, map_err};
use super::{AutoNumberState, Change, ChangeSet, Store};
use crate::error::{Error, Result, StorageError};
use crate::history::{HistoryEntry, StageEntry};
use crate::query::{Aggregate, Query};
use crate::record::Record;
use crate::related::{Comment, Relation};
use crate::schema::edit::SchemaChangeEntry;
use crate::schema::{Module, Schema};
use crate::storage::sql::records::RecordSqlCache;
use crate::storage::sql::{self, Arg, Db};
use crate::user::{Group, User};
use crate::value::{RecordId, Value};
use crate::view::Filter;
use crate::workflow::mail::Mail;
use crate::workflow::{QueuedTask, Workflow};
use rusqlite::{Connection, TransactionBehavior, params_from_iter};
use std::cell::RefCell;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The layout version this build writes (`PRAGMA user_version`).
pub const LAYOUT_VERSION: i64 = 1;

/// The id sequence: ids are never reused, even when the operation that reserved them fails.
const SEQUENCE: &str = "CREATE TABLE IF NOT EXISTS crm_seq (name TEXT PRIMARY KEY, value INTEGER NOT NULL)";

/// A store in one SQLite database file.
pub struct SqliteStore {
    conn: Connection,
    schema: Option<Arc<Schema>>,
    /// The stored schema when another handle changed it after this one loaded its own.
    newer: RefCell<Option<Arc<Schema>>>,
    /// True while a unit of work ([`Store::begin_unit`]) holds the write transaction open.
    unit: bool,
    /// The statements of each module's table, built once per schema version.
    records: RefCell<RecordSqlCache>,
    /// Auto-number counters (module → prefix, next) taken inside the open unit of work: the unit holds the
    /// write lock, so a counter is read once and written back once, when the unit commits.
    unit_numbers: std::collections::HashMap<String, AutoNumberState>,
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
            Error::Storage(StorageError::Backend(m)) => Error::Storage(StorageError::Io(std::io::Error::other(m))),
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
        let mut store = SqliteStore {
            conn,
            schema: None,
            newer: Default::default(),
            unit: false,
            records: Default::default(),
            unit_numbers: Default::default(),
        };
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
        // Steps that change existing tables go here, one layout version at a time: `if version < 2 { ... }`.
        tx.pragma_update(None, "user_version", LAYOUT_VERSION).db()?;
        tx.commit().db()
    }

    /// The shared SQL code's view of the connection.
    fn link(&self) -> Link<'_> {
        Link { conn: &self.conn, records: &self.records }
    }

    /// Runs `f` in one write transaction: its own `BEGIN IMMEDIATE` transaction, or a savepoint of the open
    /// unit of work. On error everything `f` wrote is rolled back (only to the savepoint inside a unit).
    ///
    /// Write path: the transaction statements come from the statement cache (no SQL parsing per write).
    fn write<T>(&mut self, f: impl FnOnce(&mut Link<'_>) -> Result<T>) -> Result<T> {
        let (begin, commit, undo): (&str, &str, &[&str]) = if self.unit {
            ("SAVEPOINT crm_write", "RELEASE crm_write", &["ROLLBACK TO crm_write", "RELEASE crm_write"])
        } else {
            ("BEGIN IMMEDIATE", "COMMIT", &["ROLLBACK"])
        };
        let mut link = Link { conn: &self.conn, records: &self.records };
        link.execute(begin, &[])?;
        let out = f(&mut link).and_then(|out| link.execute(commit, &[]).map(|_| out));
        if out.is_err() && !self.conn.is_autocommit() {
            for sql in undo {
                let _ = link.execute(sql, &[]);
            }
        }
        out
    }

    /// The underlying connection, for read-only inspection in tests and tools.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The schema reads use: this handle's own, or — when another handle of the same file stored a newer
    /// one since — the stored one (see [`sql::schema::fresh`]).
    fn read_schema(&self) -> Result<Arc<Schema>> {
        sql::schema::fresh(&mut self.link(), self.schema.as_ref(), &self.newer)
    }

    /// The plan SQLite chooses for the `SELECT` that [`Store::query`] runs for `q` (a normalized query):
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

impl Store for SqliteStore {
    fn load_schema(&mut self) -> Result<Option<Schema>> {
        let schema = sql::schema::load(&mut self.link())?;
        self.schema = schema.clone().map(Arc::new);
        Ok(schema)
    }

    fn save_schema(&mut self, schema: &Schema) -> Result<()> {
        self.write(|db| sql::schema::install(db, schema))?;
        self.schema = Some(Arc::new(schema.clone()));
        Ok(())
    }

    fn allocate_ids(&mut self, n: u64) -> Result<i64> {
        let n = i64::try_from(n).map_err(|_| Error::invalid("too many ids"))?;
        self.write(|db| {
            db.execute("INSERT INTO crm_seq (name, value) VALUES ('id', 1) ON CONFLICT (name) DO NOTHING", &[])?;
            let first = sql::db::row(db, "SELECT value FROM crm_seq WHERE name = 'id'", &[], |r| r.i64(0))?.unwrap_or(1);
            let next = first.checked_add(n).ok_or_else(|| StorageError::Backend("id space exhausted".into()))?;
            db.execute("UPDATE crm_seq SET value = ?1 WHERE name = 'id'", &[Arg::Int(next)])?;
            Ok(first)
        })
    }

    fn next_auto_number(&mut self, module: &str, default_prefix: &str) -> Result<String> {
        if self.unit {
            // Inside a unit: counted in memory, written back when the unit commits (see `unit_numbers`).
            let mut state = match self.unit_numbers.remove(module) {
                Some(s) => s,
                None => self.auto_number_state(module)?.unwrap_or_else(|| AutoNumberState::start(default_prefix)),
            };
            let out = state.take();
            self.unit_numbers.insert(module.to_string(), state);
            return Ok(out);
        }
        self.write(|db| sql::records::next_auto_number(db, module, default_prefix))
    }

    fn auto_number_state(&self, module: &str) -> Result<Option<AutoNumberState>> {
        if let Some(s) = self.unit_numbers.get(module) {
            return Ok(Some(s.clone()));
        }
        sql::records::auto_number(&mut self.link(), module, false)
    }

    fn set_auto_number(&mut self, module: &str, state: &AutoNumberState) -> Result<()> {
        if self.unit {
            self.unit_numbers.insert(module.to_string(), state.clone());
        }
        sql::records::set_auto_number(&mut self.link(), module, state)
    }

    fn commit(&mut self, changes: &ChangeSet) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let schema = self.schema.clone().ok_or_else(|| Error::invalid("no schema stored yet"))?;
        self.write(|db| {
            for c in &changes.0 {
                sql::apply(db, &schema, c)?;
            }
            Ok(())
        })?;
        // A committed PutSchema becomes the schema in force.
        if let Some(new) = changes.0.iter().rev().find_map(|c| if let Change::PutSchema { schema, .. } = c { Some(schema) } else { None }) {
            self.schema = Some(Arc::new((**new).clone()));
        }
        Ok(())
    }

    fn unit_is_exclusive(&self) -> bool {
        self.unit // BEGIN IMMEDIATE: no other connection writes until the unit ends
    }

    fn begin_unit(&mut self) -> Result<()> {
        if !self.unit {
            self.conn.execute_batch("BEGIN IMMEDIATE").db()?;
            self.unit = true;
        }
        Ok(())
    }

    fn end_unit(&mut self, commit: bool) -> Result<()> {
        if !self.unit {
            return Ok(());
        }
        self.unit = false;
        let numbers = std::mem::take(&mut self.unit_numbers);
        if commit {
            let mut done = Ok(());
            for (module, state) in &numbers {
                done = done.and_then(|()| self.set_auto_number(module, state));
            }
            if let Err(e) = done.and_then(|()| self.conn.execute_batch("COMMIT").db()) {
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(e);
            }
            Ok(())
        } else {
            self.conn.execute_batch("ROLLBACK").db()
        }
    }

    fn entity(&self, id: RecordId) -> Result<Option<(String, bool)>> {
        sql::records::entity(&mut self.link(), id)
    }

    fn data_version(&self) -> Result<u64> {
        let v = sql::db::row(&mut self.link(), "PRAGMA data_version", &[], |r| r.i64(0))?.unwrap_or(0);
        Ok(u64::try_from(v).unwrap_or(0))
    }

    fn get(&self, id: RecordId) -> Result<Option<Record>> {
        sql::records::get(&mut self.link(), || self.read_schema(), id)
    }

    fn query(&self, q: &Query) -> Result<Vec<Record>> {
        sql::records::query(&mut self.link(), &*self.read_schema()?, q)
    }

    fn count(&self, q: &Query) -> Result<u64> {
        sql::records::count(&mut self.link(), &*self.read_schema()?, q)
    }

    fn aggregate(&self, q: &Query, group_by: Option<&str>, sums: &[&str]) -> Result<Vec<Aggregate>> {
        sql::records::aggregate(&mut self.link(), &*self.read_schema()?, q, group_by, sums)
    }

    fn find_by_label(&self, module: &str, label: &str) -> Result<Vec<RecordId>> {
        sql::records::find_by_label(&mut self.link(), module, label)
    }

    fn history(&self, id: RecordId) -> Result<Vec<HistoryEntry>> {
        sql::records::history(&mut self.link(), id)
    }

    fn stage_history(&self, id: RecordId) -> Result<Vec<StageEntry>> {
        sql::records::stage_history(&mut self.link(), id)
    }

    fn users(&self) -> Result<Vec<User>> {
        sql::users::users(&mut self.link())
    }

    fn groups(&self) -> Result<Vec<Group>> {
        sql::users::groups(&mut self.link())
    }

    fn imports(&self) -> Result<Vec<crate::io::ImportJournal>> {
        sql::imports::imports(&mut self.link())
    }

    fn import_rows(&self, import_id: i64) -> Result<Vec<crate::io::ImportRowFate>> {
        sql::imports::import_rows(&mut self.link(), import_id)
    }

    fn mappings(&self, module: &str) -> Result<Vec<crate::io::SavedMapping>> {
        sql::imports::mappings(&mut self.link(), module)
    }

    fn filters(&self, module: &str) -> Result<Vec<Filter>> {
        sql::views::filters(&mut self.link(), module)
    }

    fn comments(&self, record: RecordId) -> Result<Vec<Comment>> {
        sql::relations::comments(&mut self.link(), record)
    }

    fn comment(&self, id: i64) -> Result<Option<Comment>> {
        sql::relations::comment(&mut self.link(), id)
    }

    fn relations(&self, record: RecordId, module: Option<&str>, offset: u64, limit: Option<u64>) -> Result<Vec<Relation>> {
        sql::relations::relations(&mut self.link(), record, module, offset, limit)
    }

    fn count_relations(&self, record: RecordId, module: Option<&str>) -> Result<u64> {
        sql::relations::count_relations(&mut self.link(), record, module)
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        sql::views::setting(&mut self.link(), key)
    }

    fn schema_version(&self) -> Result<Option<u64>> {
        sql::schema::version(&mut self.link(), false)
    }

    fn schema_changes(&self) -> Result<Vec<SchemaChangeEntry>> {
        sql::schema::changes(&mut self.link())
    }

    fn workflows(&self) -> Result<Vec<Workflow>> {
        sql::workflows::workflows(&mut self.link())
    }

    fn outbox(&self) -> Result<Vec<Mail>> {
        sql::workflows::outbox(&mut self.link())
    }

    fn activated_once(&self, workflow: i64, record: RecordId) -> Result<bool> {
        sql::workflows::was_activated(&mut self.link(), workflow, record)
    }

    fn queued_tasks(&self) -> Result<Vec<QueuedTask>> {
        sql::workflows::queued_tasks(&mut self.link())
    }

    fn newer_schema(&self, version: u64) -> Result<Option<Arc<Schema>>> {
        sql::schema::newer(&mut self.link(), version, self.schema.as_ref(), &self.newer)
    }

    fn auto_number_taken(&self, module: &Module, number: &str) -> Result<bool> {
        sql::records::number_taken(&mut self.link(), module, number)
    }

    fn aggregate_by_date_prefix(&self, q: &Query, field: &str, len: usize, sums: &[&str]) -> Result<Vec<Aggregate>> {
        sql::records::aggregate_by_prefix(&mut self.link(), &*self.read_schema()?, q, field, len, sums)
    }

    /// Reads the columns of each selected record straight into its row's slots (the same `SELECT` as
    /// [`Store::query`], no map per record). When the stored module is not laid out as `layout` (another
    /// handle changed the schema), converts records instead, so rows always have the layout asked for.
    fn scan_rows(&self, q: &Query, layout: &Arc<crate::row::RowLayout>, f: &mut dyn FnMut(crate::row::Row) -> bool) -> Result<()> {
        let s = self.read_schema()?;
        let m = sql::compile::module(&s, &q.module)?;
        if !layout.fits(m) {
            return super::rows_via_records(self, q, layout, f);
        }
        let (select, args) = sql::compile::select(&dialect::Sqlite, m, q, Arg::Int(-1))?; // the same SELECT as `query`
        let mut st = self.conn.prepare_cached(&select).db()?;
        let mut rows = st.query(params_from_iter(args.iter().map(db::Bound))).db()?;
        while let Some(r) = rows.next().db()? {
            let mut values = Vec::with_capacity(m.fields.len());
            for (i, fd) in m.fields.iter().enumerate() {
                let v = from_sql(fd.field_type, r.get_ref(4 + i).db()?);
                values.push(if v.is_empty() { Value::Null } else { v });
            }
            let row = crate::row::Row::from_parts(
                layout,
                RecordId(r.get(0).db()?),
                r.get(1).db()?,
                r.get::<_, i64>(3).db()?.try_into().unwrap_or(0),
                r.get::<_, i64>(2).db()? != 0,
                values,
            );
            if !f(row) {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
