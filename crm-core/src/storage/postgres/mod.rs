//! The PostgreSQL adapter: the same engine for hosts that outgrow one SQLite file (feature `postgres`).
//!
//! Why the synchronous [`postgres`] crate: the [`Store`] port is synchronous (every `Crm` call returns
//! when its commit is durable), so an async client would only add a runtime to block on; `postgres` is
//! the maintained blocking wrapper around `tokio-postgres` (it runs that client on a private
//! current-thread runtime). Connections are plain TCP/Unix sockets without TLS (`NoTls`): put the
//! server on a trusted network or a local socket.
//!
//! **One database (more exactly: one schema, the first on the connection's `search_path`) holds one
//! CRM.** Several application servers open the same URL and share it; each [`PostgresStore`] is one
//! connection. To keep several CRMs in one database, give each its own schema: in the URL with
//! `?options=-csearch_path%3Dsales` (the schema is created when missing), or with
//! [`PostgresStore::open_schema`] (tests use one schema each).
//!
//! Layout — the same relational idea as the SQLite adapter, readable with `psql`:
//!
//! * one table per module (`potentials`, `accounts`, ...) with an `id` column and **one column per field**,
//!   typed (see `dialect`): money, percentages and decimals `NUMERIC` (exact, never floating point), whole numbers,
//!   references and owners `BIGINT`, checkboxes `BOOLEAN`, dates `DATE`, date-times `TIMESTAMP` (UTC, whole
//!   seconds), times `TIME`, everything else `TEXT COLLATE "C"` (so that comparing and sorting text is
//!   byte-wise, as in the other adapters); multi-select values are `a |##| b` text;
//! * custom fields are added as columns by schema changes (`ALTER TABLE ... ADD COLUMN`), cleared (not
//!   dropped) when deleted;
//! * the `crm_*` side tables of the SQLite adapter (entity, history, stage history, users, groups,
//!   imports, filters, comments, relations, settings, schema change log, workflows, outbox, ...);
//! * `crm_migrations` — one row per applied layout version; a database written by a newer crm is refused.
//!
//! Concurrency (what a server adds over one file):
//!
//! * ids come from the sequence `crm_ids` (blocks handed out under a short advisory lock, never rolled
//!   back, so ids are unique across connections and never reused);
//! * auto-numbers are a row of `crm_autonum` locked `FOR UPDATE` until the transaction ends, so they are
//!   unique across connections (inside a unit of work that row stays locked until the unit ends: two
//!   concurrent imports into one module take turns on it);
//! * optimistic concurrency is enforced in SQL (`UPDATE ... WHERE id = $1 AND version = $2`; no row → the
//!   stale write is refused with `Conflict`), and so is the schema version check (row lock on it);
//! * [`Store::data_version`] reads the sequence `crm_data_version`, bumped after every committed write,
//!   minus this connection's own bumps: it moves exactly when another connection committed;
//! * a unit of work is one transaction, each commit inside it a savepoint. A failed write rolls back to
//!   its savepoint alone; a failed *read* aborts the whole transaction (PostgreSQL's rule), and
//!   [`Store::end_unit`] then reports the rollback instead of committing.
//!
//! Round trips: every statement is one, so a commit holding a long run of inserts (an import batch: new
//! records, change log, stage history, outbox mail, journal rows) writes it with one statement per table,
//! the rows bound as arrays and expanded by `unnest` (module `bulk`); shorter commits go change by change.
//!
//! Where it differs from the SQLite adapter: text holding a NUL byte is refused by the server (a storage
//! error). Several connections opening an *empty* database at the same moment set it up one at a time
//! ([`Store::begin_setup`] holds an advisory lock), so it gets one schema and one set of defaults.
//!
//! Every statement and query comes from the shared SQL layer (`storage::sql`) in PostgreSQL's
//! `dialect`; this module keeps what only PostgreSQL has: connecting (schemas, session settings, the
//! case-folding collation), `crm_migrations`, sequences and advisory locks, row-locked auto-numbers, the
//! data-version sequence, aborted-transaction tracking and the `unnest` bulk path.

mod bulk;
mod db;
mod dialect;
mod numeric;

use self::db::{Conn, PgResult, get, map_err};
use self::dialect::Postgres;
use super::{AutoNumberState, ChangeSet, Store};
use crate::error::{Error, Result, StorageError};
use crate::storage::sql::adapter::HandleState;
use crate::storage::sql::{self, Db, Dialect, SqlAdapter};
use postgres::{Client, NoTls};
use std::cell::{Cell, RefCell, RefMut};

/// The layout version this build writes (the highest row of `crm_migrations`).
///
/// 1: the first layout; 2: outbox attempts; 3: access control's change log (`crm_access_changes`), the
/// duplicate-prevention keys and merge journals (`crm_dedupe_keys`, `crm_merges`), label keys folded the
/// Persian-aware way (marked in `crm_meta`). Each step is added by `sql::ddl::install`, idempotently, when
/// an older file is opened; a build that knows only an older layout refuses the file (it would not keep
/// the new tables up to date).
pub const LAYOUT_VERSION: i32 = 3;

/// Advisory lock keys (database-wide): layout migration, id-block allocation and setup (defaults).
const LOCK_MIGRATE: i64 = 0x0063_726d_6d69_6772;
const LOCK_IDS: i64 = 0x0063_726d_0069_6473;
const LOCK_SETUP: i64 = 0x0063_726d_7365_7475;
/// The change feed's lock (transaction level), taken by every statement that takes change-log ids (written
/// out in those statements, `bulk::histories`): change-log ids, the feed's positions, follow commit order.
/// The key is this base plus the oid of the CRM's `crm_history` table, so that CRMs in other schemas of the
/// same database do not wait for each other.
#[cfg_attr(not(test), allow(dead_code))]
const LOCK_FEED: i64 = 0x6665_6564_0000_0000;

/// The id sequence and the data-version sequence (see [`Store::data_version`]).
const SEQUENCES: &str = "CREATE SEQUENCE IF NOT EXISTS crm_ids; CREATE SEQUENCE IF NOT EXISTS crm_data_version;";

/// Quotes a schema name (the rules of every identifier).
fn ident(name: &str) -> Result<String> {
    Postgres::default().ident(name)
}

/// A store in one PostgreSQL database (or schema), through one connection.
pub struct PostgresStore {
    conn: RefCell<Conn>,
    /// This handle's schema and its open unit of work (one transaction, which keeps the rows of the
    /// auto-numbers it took locked).
    handle: HandleState,
    /// True when the open unit wrote something (its end bumps the data version).
    unit_wrote: bool,
    /// How often this connection bumped `crm_data_version` (see [`Store::data_version`]).
    own_bumps: Cell<i64>,
    /// The data version [`SchemaStore::schema_version`] read in the same round trip, with the connection's
    /// statement count right after: it answers the next [`Store::data_version`] if no statement ran between.
    version_ahead: Cell<Option<(u64, i64)>>,
    /// Where it is connected (without password), for `Debug`.
    target: String,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").field("target", &self.target).finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/dbname`, or any
    /// connection string the `postgres` crate accepts, `?options=-csearch_path%3Dname` included) and
    /// creates or upgrades crm's tables in it.
    ///
    /// # Errors
    /// `Storage(Io)` when the server cannot be reached, `Storage(Backend)` for a refused login or a bad
    /// URL, `Storage(IncompatibleVersion)` when a newer crm wrote the database.
    pub fn open(url: &str) -> Result<Self> {
        Self::connect(url, None)
    }

    /// Like [`PostgresStore::open`], but keeps the CRM in schema `schema` of that database (created if
    /// missing): several CRMs — or tests — can share one database this way.
    ///
    /// # Errors
    /// As [`PostgresStore::open`]; `InvalidArgument` when `schema` is not a plain identifier.
    pub fn open_schema(url: &str, schema: &str) -> Result<Self> {
        Self::connect(url, Some(schema))
    }

    /// Drops schema `schema` of the database at `url` with everything in it (the CRM that
    /// [`PostgresStore::open_schema`] put there). For tests and tools; never called by crm itself.
    ///
    /// # Errors
    /// Storage errors; `InvalidArgument` when `schema` is not a plain identifier.
    pub fn drop_schema(url: &str, schema: &str) -> Result<()> {
        let name = ident(schema)?;
        let mut client = Client::connect(url, NoTls).map_err(connect_err)?;
        client.batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE")).db()
    }

    /// The underlying connection, for inspection in tests and tools (`psql`-like queries).
    pub fn client(&mut self) -> &mut Client {
        &mut self.conn.get_mut().client
    }

    fn connect(url: &str, schema: Option<&str>) -> Result<Self> {
        let target = redact(url);
        let mut client = Client::connect(url, NoTls).map_err(connect_err)?;
        // Sessions must read and write what the adapter expects whatever the server's defaults are.
        client.batch_execute("SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'").db()?;
        if let Some(s) = schema {
            let name = ident(s)?;
            // CREATE SCHEMA IF NOT EXISTS can race with another connection doing the same: take turns.
            client
                .batch_execute(&format!("BEGIN; SELECT pg_advisory_xact_lock({LOCK_MIGRATE}); CREATE SCHEMA IF NOT EXISTS {name}; COMMIT"))
                .db()?;
            client.batch_execute(&format!("SET search_path TO {name}")).db()?;
        } else {
            // A URL may name the CRM's schema with `options=-csearch_path=NAME`: create it when missing.
            let row = client.query_one("SELECT current_schema()::text, current_setting('search_path')", &[]).db()?;
            let (current, path): (Option<String>, String) = (get(&row, 0)?, get(&row, 1)?);
            let first = path.split(',').next().unwrap_or_default().trim().trim_matches('"').to_string();
            if current.is_none()
                && let Ok(name) = ident(&first)
            {
                client
                    .batch_execute(&format!(
                        "BEGIN; SELECT pg_advisory_xact_lock({LOCK_MIGRATE}); CREATE SCHEMA IF NOT EXISTS {name}; COMMIT"
                    ))
                    .db()?;
            }
        }
        let icu = client.query_opt("SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu' LIMIT 1", &[]).db()?.is_some();
        let dialect = Postgres { fold_collation: if icu { "\"und-x-icu\"" } else { "\"default\"" } };
        let mut store = PostgresStore {
            conn: RefCell::new(Conn::new(client, dialect)),
            handle: HandleState::default(),
            unit_wrote: false,
            own_bumps: Cell::new(0),
            version_ahead: Cell::new(None),
            target,
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<()> {
        let c = self.conn.get_mut();
        c.batch_raw(&format!("BEGIN; SELECT pg_advisory_xact_lock({LOCK_MIGRATE})"))?;
        let done = (|| {
            c.batch_raw(
                "CREATE TABLE IF NOT EXISTS crm_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
            )?;
            let found: Option<i32> = get(&c.query_one("SELECT max(version) FROM crm_migrations", &[])?, 0)?;
            let found = found.unwrap_or(0);
            if found > LAYOUT_VERSION {
                return Err(StorageError::IncompatibleVersion { found: i64::from(found), supported: i64::from(LAYOUT_VERSION) }.into());
            }
            c.batch_raw(SEQUENCES)?;
            sql::ddl::install(c)?;
            // Steps that change existing tables: versions 2 (outbox attempts) and 3 (label keys refolded) are
            // completed by `install` itself.
            c.execute_raw("INSERT INTO crm_migrations (version) VALUES ($1) ON CONFLICT (version) DO NOTHING", &[&LAYOUT_VERSION])?;
            Ok(())
        })();
        match done {
            Ok(()) => c.batch_raw("COMMIT"),
            Err(e) => {
                let _ = c.batch_raw("ROLLBACK");
                Err(e)
            }
        }
    }

    fn conn(&self) -> Result<RefMut<'_, Conn>> {
        self.conn.try_borrow_mut().map_err(|_| StorageError::Backend("connection is busy (re-entrant use)".into()).into())
    }

    /// Notes a committed write for other connections (see [`Store::data_version`]). Runs after the commit
    /// so that whoever sees the new number also sees the data.
    fn bump(&mut self) -> Result<()> {
        self.conn.get_mut().query_one("SELECT nextval('crm_data_version')", &[])?;
        self.own_bumps.set(self.own_bumps.get() + 1);
        Ok(())
    }
}

impl SqlAdapter for PostgresStore {
    fn read<T>(&self, f: impl FnOnce(&mut dyn Db) -> Result<T>) -> Result<T> {
        f(&mut *self.conn()?)
    }

    /// Its own transaction, or a savepoint of the open unit of work; a committed write bumps the data
    /// version (see [`Store::data_version`]).
    fn write<T>(&mut self, f: impl FnOnce(&mut dyn Db) -> Result<T>) -> Result<T> {
        let unit = self.handle.unit.open;
        let c = self.conn.get_mut();
        if unit {
            c.batch_raw("SAVEPOINT crm_write")?;
            match f(c) {
                Ok(v) => {
                    c.batch_raw("RELEASE SAVEPOINT crm_write")?;
                    self.unit_wrote = true;
                    Ok(v)
                }
                Err(e) => {
                    // Back to the savepoint: the unit's transaction is healthy again.
                    if c.batch_raw("ROLLBACK TO SAVEPOINT crm_write; RELEASE SAVEPOINT crm_write").is_ok() {
                        c.failed = false;
                    }
                    Err(e)
                }
            }
        } else {
            c.batch_raw("BEGIN")?;
            let out = match f(c) {
                Ok(v) => v,
                Err(e) => {
                    let _ = c.batch_raw("ROLLBACK");
                    return Err(e);
                }
            };
            if let Err(e) = c.batch_raw("COMMIT") {
                let _ = c.batch_raw("ROLLBACK");
                return Err(e);
            }
            self.bump()?;
            Ok(out)
        }
    }

    sql::adapter::handle_state!(handle);

    fn schema_replaced(&mut self) {
        self.conn.get_mut().forget_statements();
    }

    /// A sequence is never rolled back, so ids are never reused; the session-level advisory lock makes the
    /// block consecutive while other connections allocate too (it is released at once, even inside a unit
    /// of work).
    /// Lock, block and unlock are one statement (one round trip): each step of the query needs the one before.
    fn reserve_ids(&mut self, n: i64) -> Result<i64> {
        let c = self.conn.get_mut();
        let row = c.query_one(
            "WITH l AS (SELECT pg_advisory_lock($2)),
                  b AS (SELECT setval('crm_ids', nextval('crm_ids') + $1 - 1) AS last FROM l)
             SELECT b.last, pg_advisory_unlock($2) FROM b",
            &[&n, &LOCK_IDS],
        )?;
        let (last, unlocked): (i64, bool) = (get(&row, 0)?, get(&row, 1)?);
        if !unlocked {
            return Err(StorageError::Backend("the id lock was not held".into()).into());
        }
        Ok(last - n + 1)
    }

    /// Locked until the unit ends: no other connection takes numbers meanwhile.
    fn hold_auto_number(&mut self, module: &str, default_prefix: &str) -> Result<AutoNumberState> {
        self.write(|db| sql::records::lock_auto_number(db, module, default_prefix))
    }

    fn store_auto_number(&mut self, module: &str, state: &AutoNumberState) -> Result<()> {
        self.write(|db| sql::records::set_auto_number(db, module, state))
    }

    /// A save reads the schema version and then the data version: one round trip for both (as if both
    /// were read at this moment), the data version kept for the next `data_version` call.
    fn stored_schema_version(&self) -> Result<Option<u64>> {
        let mut c = self.conn()?;
        let row = c.query_one(
            "SELECT (SELECT value FROM crm_meta WHERE key = 'schema_version'), (SELECT last_value FROM crm_data_version)",
            &[],
        )?;
        self.version_ahead.set(Some((c.sent, get(&row, 1)?)));
        get::<Option<String>>(&row, 0)?.map(|v| sql::schema::parse_version(&v)).transpose()
    }
}

impl Store for PostgresStore {
    fn commit(&mut self, changes: &ChangeSet) -> Result<()> {
        sql::adapter::commit(self, changes)
    }

    fn begin_unit(&mut self) -> Result<()> {
        if !self.handle.unit.open {
            let c = self.conn.get_mut();
            c.batch_raw("BEGIN")?;
            c.failed = false;
            self.handle.unit.open = true;
            self.unit_wrote = false;
        }
        Ok(())
    }

    fn begin_setup(&mut self) -> Result<()> {
        self.begin_unit()?;
        // Held until the unit ends: handles setting up the same empty database take turns.
        if let Err(e) = self.conn.get_mut().query_one("SELECT pg_advisory_xact_lock($1)", &[&LOCK_SETUP]) {
            let _ = self.end_unit(false);
            return Err(e);
        }
        Ok(())
    }

    fn begin_snapshot(&self) -> Result<bool> {
        if self.handle.unit.open {
            return Ok(false);
        }
        // One snapshot for every statement until the end (READ COMMITTED would take one per statement).
        self.conn()?.batch_raw("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
        Ok(true)
    }

    fn end_snapshot(&self) -> Result<()> {
        let mut c = self.conn()?;
        // A read that failed inside aborted the transaction: COMMIT then rolls back, which is all a
        // read-only transaction needs.
        let out = c.batch_raw("COMMIT");
        if out.is_err() {
            let _ = c.batch_raw("ROLLBACK");
        }
        c.failed = false;
        out
    }

    fn end_unit(&mut self, commit: bool) -> Result<()> {
        if !self.handle.unit.open {
            return Ok(());
        }
        if commit && !self.conn.get_mut().failed {
            // Written inside the unit (still open), so the counters commit with it.
            if let Err(e) = sql::adapter::store_unit_numbers(self) {
                self.handle.unit.open = false;
                let _ = self.conn.get_mut().batch_raw("ROLLBACK");
                self.unit_wrote = false;
                return Err(e);
            }
        }
        self.handle.unit.numbers.clear();
        self.handle.unit.open = false;
        let c = self.conn.get_mut();
        if commit && c.failed {
            // A read failed inside the unit and aborted its transaction: COMMIT would quietly roll back.
            let _ = c.batch_raw("ROLLBACK");
            self.unit_wrote = false;
            return Err(StorageError::Backend("the unit of work was rolled back: a statement inside it failed".into()).into());
        }
        if commit {
            if let Err(e) = c.batch_raw("COMMIT") {
                let _ = c.batch_raw("ROLLBACK");
                return Err(e);
            }
            if std::mem::take(&mut self.unit_wrote) {
                self.bump()?;
            }
            Ok(())
        } else {
            self.unit_wrote = false;
            c.batch_raw("ROLLBACK")
        }
    }

    fn data_version(&self) -> Result<u64> {
        // Every committed write bumps the sequence (see `write`); this connection's own bumps are taken
        // off, so the number moves only when another connection committed.
        let mut c = self.conn()?;
        let v: i64 = match self.version_ahead.take() {
            Some((at, v)) if at == c.sent => v,
            _ => get(&c.query_one("SELECT last_value FROM crm_data_version", &[])?, 0)?,
        };
        Ok(v.wrapping_sub(self.own_bumps.get()) as u64)
    }
}

fn connect_err(e: postgres::Error) -> Error {
    match map_err(e) {
        Error::Storage(StorageError::Driver { kind: crate::error::ErrorKind::Storage, message: m, .. })
            if !m.contains("password") && !m.contains("role") && !m.contains("database") =>
        {
            Error::Storage(StorageError::Io(std::io::Error::other(m)))
        }
        other => other,
    }
}

/// The URL without its password (for `Debug` and messages).
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..s + 3], &creds[..colon], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::FieldType;
    use crate::value::Value;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://crm:secret@db:5432/crm"), "postgres://crm:***@db:5432/crm");
        assert_eq!(redact("postgres://db/crm"), "postgres://db/crm");
    }

    #[test]
    fn values_fit_their_columns() {
        use self::db::value_typed;
        assert!(value_typed(FieldType::Currency, &Value::Text("12abc".into())).is_none());
        assert!(value_typed(FieldType::Currency, &Value::Int(3)).is_some());
        assert!(value_typed(FieldType::Checkbox, &Value::Text("maybe".into())).is_none());
        assert!(value_typed(FieldType::Text, &Value::Int(3)).is_some());
    }
}
