//! The SQLite adapter: a relational, readable database file.
//!
//! Layout (what a person sees with the `sqlite3` shell or pandas):
//!
//! * one table per module, named after it in lower case (`potentials`, `accounts`, ...), with an `id` column
//!   and **one column per field**, named after the field (`potentialname`, `amount`, `sales_stage`, ...);
//! * `crm_entity` — one row per record of any module: id (unique across modules), module, label, deleted
//!   flag, version;
//! * `crm_history` + `crm_history_detail` — the change log, one detail row per changed field;
//! * `crm_stage_history` — stage, amount, probability, forecast amount and close date after each change;
//! * `crm_users`, `crm_groups`, `crm_group_members`, `crm_autonum`, `crm_seq`, `crm_meta` (the schema as JSON).
//! * `crm_schema_changes` — the versioned schema change log (who, when, the change as JSON); custom fields
//!   are ordinary columns of the module table (`cf_<n>`), cleared (not dropped) when the field is deleted.
//!
//! Values: money, percentages and decimals are **canonical decimal text** (`1000.00`), never REAL; dates and
//! times ISO text; checkboxes 0/1; references and owners integer ids; multi-select values `a |##| b`.
//!
//! Queries are compiled to SQL with bound parameters; identifiers come only from the schema and are checked
//! to be plain identifiers. Decimal comparisons, sorting and sums use the connection-local collation
//! `crm_decimal` and aggregate `crm_sum`, which compare and add exactly with `rust_decimal`; they appear
//! only in crm's own queries, never in the stored schema, so the file opens anywhere. Case-insensitive text
//! tests use `crm_fold` (Unicode lower case), the same function the memory adapter uses.
//!
//! Connection: WAL journal, foreign keys on, a busy timeout, `PRAGMA user_version` migrations; a database
//! written by a newer crm is refused.

use super::{AutoNumberState, Change, ChangeSet, Store, increment_counter};
use crate::error::{Error, Result, StorageError};
use crate::history::{ChangeKind, FieldChange, HistoryEntry, StageEntry};
use crate::query::{Aggregate, Condition, Op, Query, fold};
use crate::record::Record;
use crate::related::{Comment, Relation};
use crate::schema::edit::SchemaChangeEntry;
use crate::schema::{Field, FieldType, Module, Schema};
use crate::user::{Group, User};
use crate::value::{MULTI_SEPARATOR, OwnerId, RecordId, Value, parse_decimal};
use crate::view::Filter;
use crate::workflow::mail::{Mail, MailStatus};
use crate::workflow::{QueuedTask, Workflow};
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::{Value as Sql, ValueRef};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params, params_from_iter};
use rust_decimal::Decimal;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// The layout version this build writes (`PRAGMA user_version`).
pub const LAYOUT_VERSION: i64 = 1;

/// A store in one SQLite database file.
pub struct SqliteStore {
    conn: Connection,
    schema: Option<std::sync::Arc<Schema>>,
    /// The stored schema when another handle changed it after this one loaded its own (see [`SqliteStore::read_schema`]).
    newer: std::cell::RefCell<Option<std::sync::Arc<Schema>>>,
    /// True while a unit of work ([`Store::begin_unit`]) holds the write transaction open.
    unit: bool,
    /// The INSERT and UPDATE statements of each module's table, built once per schema version.
    write_sql: WriteSql,
    /// Auto-number counters (module → prefix, next) taken inside the open unit of work: the unit holds the
    /// write lock, so a counter is read once and written back once, when the unit commits.
    unit_numbers: std::collections::HashMap<String, AutoNumberState>,
}

// ----- write path: per-module statements -----
/// Per-module INSERT/UPDATE SQL text, built from the schema once and rebuilt when its version changes, so
/// that a write neither formats SQL nor quotes identifiers (the statements themselves are prepared once
/// and kept in rusqlite's statement cache, keyed by this text).
#[derive(Default)]
struct WriteSql {
    /// The schema version the texts were built for.
    version: Option<u64>,
    /// Module name → (INSERT, UPDATE).
    by_module: std::collections::HashMap<String, (String, String)>,
}

impl WriteSql {
    /// The (INSERT, UPDATE) texts of `m` under `schema`.
    fn of(&mut self, schema: &Schema, m: &Module) -> Result<&(String, String)> {
        if self.version != Some(schema.version) {
            self.by_module.clear();
            self.version = Some(schema.version);
        }
        if !self.by_module.contains_key(&m.name) {
            let table = ident(&m.table_name())?;
            let cols: Vec<String> = m.fields.iter().map(|f| ident(&f.name)).collect::<Result<_>>()?;
            let insert = format!(
                "INSERT INTO {table} (id, {}) VALUES (?1, {})",
                cols.join(", "),
                (2..=cols.len() + 1).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ")
            );
            let sets: Vec<String> = cols.iter().enumerate().map(|(i, c)| format!("{c} = ?{}", i + 2)).collect();
            let update = format!("UPDATE {table} SET {} WHERE id = ?1", sets.join(", "));
            self.by_module.insert(m.name.clone(), (insert, update));
        }
        self.by_module.get(&m.name).ok_or_else(|| Error::invalid(format!("unknown module '{}'", m.name)))
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.conn.path()).finish()
    }
}

/// Classifies a rusqlite error, keeping it as the typed source.
fn map_err(e: rusqlite::Error) -> Error {
    use crate::error::ErrorKind as K;
    use rusqlite::ErrorCode as C;
    let kind = match &e {
        rusqlite::Error::SqliteFailure(f, _) => match f.code {
            C::DatabaseBusy | C::DatabaseLocked => K::Busy,
            C::ConstraintViolation => K::Duplicate,
            C::NotADatabase | C::DatabaseCorrupt => K::Corrupt,
            C::CannotOpen | C::ReadOnly | C::DiskFull | C::PermissionDenied | C::SystemIoFailure => K::Io,
            _ => K::Storage,
        },
        _ => K::Storage,
    };
    let msg = e.to_string();
    Error::Storage(if kind == K::Io { StorageError::Io(std::io::Error::other(e)) } else { StorageError::driver(kind, msg, e) })
}

trait SqlResult<T> {
    fn db(self) -> Result<T>;
}
impl<T> SqlResult<T> for rusqlite::Result<T> {
    fn db(self) -> Result<T> {
        self.map_err(map_err)
    }
}

/// Quotes an identifier that comes from the schema, refusing anything that is not a plain identifier.
fn ident(name: &str) -> Result<String> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok && name.len() <= 64 { Ok(format!("\"{name}\"")) } else { Err(Error::invalid(format!("'{name}' is not a valid identifier"))) }
}

fn column_type(t: FieldType) -> &'static str {
    match t {
        FieldType::Integer | FieldType::Checkbox | FieldType::Reference | FieldType::Owner => "INTEGER",
        _ => "TEXT",
    }
}

fn to_sql(v: &Value) -> Sql {
    match v {
        Value::Null => Sql::Null,
        Value::Int(i) => Sql::Integer(*i),
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
        Value::Ref(r) => Sql::Integer(r.0),
        Value::Owner(o) => Sql::Integer(o.0),
        other => other.to_text().map(Sql::Text).unwrap_or(Sql::Null),
    }
}

/// A field value bound as a statement parameter as [`to_sql`] converts it, without copying its text.
struct Bind<'a>(&'a Value);

impl rusqlite::ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::ToSqlOutput;
        Ok(match self.0 {
            Value::Text(s) if !self.0.is_empty() => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            other => ToSqlOutput::Owned(to_sql(other)),
        })
    }
}

fn from_sql(t: FieldType, v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => match t {
            FieldType::Checkbox => Value::Bool(i != 0),
            FieldType::Reference => Value::Ref(RecordId(i)),
            FieldType::Owner => Value::Owner(OwnerId(i)),
            FieldType::Integer => Value::Int(i),
            _ => Value::from_text(t, &i.to_string()),
        },
        ValueRef::Real(f) => Value::from_text(t, &f.to_string()),
        ValueRef::Text(b) | ValueRef::Blob(b) => Value::from_text(t, &String::from_utf8_lossy(b)),
    }
}

fn decimal_order(a: &str, b: &str) -> Ordering {
    match (parse_decimal(a), parse_decimal(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

/// Exact decimal sum, the `crm_sum` aggregate.
struct DecimalSum;

impl rusqlite::functions::Aggregate<Decimal, Option<String>> for DecimalSum {
    fn init(&self, _: &mut Context<'_>) -> rusqlite::Result<Decimal> {
        Ok(Decimal::ZERO)
    }
    fn step(&self, ctx: &mut Context<'_>, acc: &mut Decimal) -> rusqlite::Result<()> {
        let add = match ctx.get_raw(0) {
            ValueRef::Integer(i) => Decimal::from(i),
            ValueRef::Text(t) => std::str::from_utf8(t).ok().and_then(parse_decimal).unwrap_or_default(),
            _ => Decimal::ZERO,
        };
        *acc = acc.checked_add(add).ok_or_else(|| rusqlite::Error::UserFunctionError("decimal sum overflow".into()))?;
        Ok(())
    }
    fn finalize(&self, _: &mut Context<'_>, acc: Option<Decimal>) -> rusqlite::Result<Option<String>> {
        Ok(Some(acc.unwrap_or_default().to_string()))
    }
}

const BASE_TABLES: &str = "
CREATE TABLE IF NOT EXISTS crm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS crm_seq (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS crm_autonum (module TEXT PRIMARY KEY, prefix TEXT NOT NULL, next TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS crm_entity (
    id INTEGER PRIMARY KEY,
    module TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    label_key TEXT NOT NULL DEFAULT '',
    deleted INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS crm_entity_label ON crm_entity (module, label_key);
CREATE TABLE IF NOT EXISTS crm_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id INTEGER NOT NULL,
    module TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    related_id INTEGER
);
CREATE INDEX IF NOT EXISTS crm_history_record ON crm_history (record_id, id);
CREATE TABLE IF NOT EXISTS crm_history_detail (
    history_id INTEGER NOT NULL REFERENCES crm_history (id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX IF NOT EXISTS crm_history_detail_history ON crm_history_detail (history_id);
CREATE TABLE IF NOT EXISTS crm_stage_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id INTEGER NOT NULL,
    stage TEXT,
    amount TEXT,
    probability TEXT,
    forecast_amount TEXT,
    closingdate TEXT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS crm_stage_history_record ON crm_stage_history (record_id, id);
CREATE TABLE IF NOT EXISTS crm_users (
    id INTEGER PRIMARY KEY,
    user_name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    full_name TEXT NOT NULL,
    email TEXT NOT NULL,
    role TEXT,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS crm_groups (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE);
CREATE TABLE IF NOT EXISTS crm_group_members (
    group_id INTEGER NOT NULL REFERENCES crm_groups (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
";

// ----- views, related records, settings -----
/// Filters (definition as JSON, searchable columns beside it), comments, many-to-many links, settings.
const VIEW_RELATED_TABLES: &str = "
CREATE TABLE IF NOT EXISTS crm_filters (
    id INTEGER PRIMARY KEY,
    module TEXT NOT NULL,
    name TEXT NOT NULL,
    visibility TEXT NOT NULL,
    owner TEXT,
    is_default INTEGER NOT NULL DEFAULT 0,
    definition TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS crm_filters_module ON crm_filters (module, id);
CREATE TABLE IF NOT EXISTS crm_comments (
    id INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL,
    parent_id INTEGER,
    author TEXT NOT NULL,
    at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS crm_comments_record ON crm_comments (record_id, at, id);
CREATE TABLE IF NOT EXISTS crm_relations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id INTEGER NOT NULL,
    related_id INTEGER NOT NULL,
    module TEXT NOT NULL,
    role TEXT,
    quantity TEXT,
    price TEXT,
    at TEXT NOT NULL,
    UNIQUE (record_id, related_id)
);
CREATE INDEX IF NOT EXISTS crm_relations_related ON crm_relations (related_id, id);
CREATE TABLE IF NOT EXISTS crm_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
";

/// The schema change log (one row per stored schema change; `change` is the change as JSON).
const CUSTOMIZE_TABLES: &str = "
CREATE TABLE IF NOT EXISTS crm_schema_changes (
    version INTEGER PRIMARY KEY,
    op TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    change TEXT NOT NULL
);
";

// ----- workflows -----
const WORKFLOW_TABLES: &str = "
CREATE TABLE IF NOT EXISTS crm_workflows (
    id INTEGER PRIMARY KEY,
    module TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    execution_condition INTEGER NOT NULL,
    trigger_def TEXT NOT NULL,
    conditions TEXT NOT NULL,
    tasks TEXT NOT NULL,
    next_trigger TEXT,
    is_default INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS crm_outbox (
    id INTEGER PRIMARY KEY,
    record_id INTEGER,
    workflow_id INTEGER,
    from_addr TEXT NOT NULL,
    reply_to TEXT NOT NULL,
    to_addrs TEXT NOT NULL,
    cc_addrs TEXT NOT NULL,
    bcc_addrs TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX IF NOT EXISTS crm_outbox_status ON crm_outbox (status, id);
CREATE TABLE IF NOT EXISTS crm_workflow_once (
    workflow_id INTEGER NOT NULL,
    record_id INTEGER NOT NULL,
    PRIMARY KEY (workflow_id, record_id)
);
CREATE TABLE IF NOT EXISTS crm_workflow_queue (
    id INTEGER PRIMARY KEY,
    workflow_id INTEGER NOT NULL,
    task_index INTEGER NOT NULL,
    record_id INTEGER NOT NULL,
    due TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS crm_workflow_queue_due ON crm_workflow_queue (due, id);
";

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StorageError::Backend(e.to_string()).into())
}

fn split_addrs(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|a| !a.is_empty()).map(str::to_string).collect()
}

fn read_workflow(r: &rusqlite::Row<'_>) -> rusqlite::Result<std::result::Result<Workflow, String>> {
    let trigger: String = r.get(5)?;
    let conditions: String = r.get(6)?;
    let tasks: String = r.get(7)?;
    let next: Option<String> = r.get(8)?;
    let parse = || -> std::result::Result<Workflow, String> {
        Ok(Workflow {
            id: r.get(0).map_err(|e| e.to_string())?,
            module: r.get(1).map_err(|e| e.to_string())?,
            name: r.get(2).map_err(|e| e.to_string())?,
            description: r.get(3).map_err(|e| e.to_string())?,
            active: r.get(4).map_err(|e| e.to_string())?,
            trigger: serde_json::from_str(&trigger).map_err(|e| format!("trigger: {e}"))?,
            condition: serde_json::from_str(&conditions).map_err(|e| format!("conditions: {e}"))?,
            tasks: serde_json::from_str(&tasks).map_err(|e| format!("tasks: {e}"))?,
            next_trigger: next.as_deref().and_then(crate::value::parse_datetime),
            default: r.get(9).map_err(|e| e.to_string())?,
        })
    };
    Ok(parse())
}

// ----- import/export -----
/// Imports, the fate of every record they touched (for undo), and saved column mappings.
const IMPORT_TABLES: &str = "
CREATE TABLE IF NOT EXISTS crm_imports (
    id INTEGER PRIMARY KEY,
    module TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    status TEXT NOT NULL,
    rows INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    merged INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS crm_import_rows (
    import_id INTEGER NOT NULL REFERENCES crm_imports (id) ON DELETE CASCADE,
    line INTEGER NOT NULL,
    record_id INTEGER NOT NULL,
    action TEXT NOT NULL,
    previous TEXT,
    version INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS crm_import_rows_import ON crm_import_rows (import_id);
CREATE TABLE IF NOT EXISTS crm_import_maps (
    module TEXT NOT NULL,
    name TEXT NOT NULL COLLATE NOCASE,
    mapping TEXT NOT NULL,
    PRIMARY KEY (module, name)
);
";

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
        let det = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
        conn.create_scalar_function("crm_fold", 1, det, |ctx| {
            Ok(match ctx.get_raw(0) {
                ValueRef::Text(t) => Some(fold(&String::from_utf8_lossy(t))),
                ValueRef::Null => None,
                ValueRef::Integer(i) => Some(i.to_string()),
                ValueRef::Real(f) => Some(f.to_string()),
                ValueRef::Blob(b) => Some(fold(&String::from_utf8_lossy(b))),
            })
        })
        .db()?;
        conn.create_collation("crm_decimal", decimal_order).db()?;
        conn.create_aggregate_function("crm_sum", 1, det, DecimalSum).db()?;
        let mut store = SqliteStore {
            conn,
            schema: None,
            newer: Default::default(),
            unit: false,
            write_sql: WriteSql::default(),
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
        // Every table is created with IF NOT EXISTS, so this is idempotent and also adds tables that
        // later features bring to files created before them.
        tx.execute_batch(BASE_TABLES).db()?;
        tx.execute_batch(IMPORT_TABLES).db()?;
        tx.execute_batch(VIEW_RELATED_TABLES).db()?;
        tx.execute_batch(CUSTOMIZE_TABLES).db()?;
        tx.execute_batch(WORKFLOW_TABLES).db()?;
        // Steps that change existing tables go here, one layout version at a time: `if version < 2 { ... }`.
        tx.pragma_update(None, "user_version", LAYOUT_VERSION).db()?;
        tx.commit().db()
    }

    /// Runs `f` in one write transaction: its own `BEGIN IMMEDIATE` transaction, or a savepoint of the open
    /// unit of work. On error everything `f` wrote is rolled back (only to the savepoint inside a unit).
    ///
    /// Write path: the transaction statements come from the statement cache (no SQL parsing per write).
    fn write<T>(&mut self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let (begin, commit, undo): (&str, &str, &[&str]) = if self.unit {
            ("SAVEPOINT crm_write", "RELEASE crm_write", &["ROLLBACK TO crm_write", "RELEASE crm_write"])
        } else {
            ("BEGIN IMMEDIATE", "COMMIT", &["ROLLBACK"])
        };
        exec(&self.conn, begin, []).db()?;
        let out = f(&self.conn).and_then(|out| exec(&self.conn, commit, []).db().map(|_| out));
        if out.is_err() && !self.conn.is_autocommit() {
            for sql in undo {
                let _ = exec(&self.conn, sql, []);
            }
        }
        out
    }

    /// The underlying connection, for read-only inspection in tests and tools.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn select_list(m: &Module) -> Result<String> {
        let mut s = String::from("e.id, e.label, e.deleted, e.version");
        for f in &m.fields {
            s.push_str(", t.");
            s.push_str(&ident(&f.name)?);
        }
        Ok(s)
    }

    fn read_row(m: &Module, row: &rusqlite::Row<'_>) -> rusqlite::Result<Record> {
        let mut values = BTreeMap::new();
        for (i, f) in m.fields.iter().enumerate() {
            let v = from_sql(f.field_type, row.get_ref(4 + i)?);
            if !v.is_empty() {
                values.insert(f.name.clone(), v);
            }
        }
        Ok(Record {
            id: RecordId(row.get(0)?),
            module: m.name.clone(),
            label: row.get(1)?,
            deleted: row.get::<_, i64>(2)? != 0,
            version: row.get::<_, i64>(3)?.try_into().unwrap_or(0),
            values,
        })
    }

    fn write_record(tx: &Connection, sql: &(String, String), m: &Module, r: &Record, insert: bool) -> Result<()> {
        let id = Value::Int(r.id.0);
        let mut vals: Vec<Bind<'_>> = Vec::with_capacity(m.fields.len() + 1);
        vals.push(Bind(&id));
        vals.extend(m.fields.iter().map(|f| Bind(r.get(&f.name))));
        if insert {
            tx.prepare_cached("INSERT INTO crm_entity (id, module, label, label_key, deleted, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .db()?
                .execute(params![r.id.0, m.name, r.label, fold(r.label.trim()), r.deleted, r.version as i64])
                .db()?;
            tx.prepare_cached(&sql.0).db()?.execute(params_from_iter(vals.iter())).db()?;
        } else {
            tx.prepare_cached(&sql.1).db()?.execute(params_from_iter(vals.iter())).db()?;
        }
        Ok(())
    }

    /// Stores the schema (JSON in `crm_meta`, plus its version under `schema_version`) and makes the
    /// layout follow it: tables, new columns, indexes. Columns are never dropped here.
    fn write_schema(tx: &Connection, schema: &Schema) -> Result<()> {
        let json = serde_json::to_string(schema).map_err(|e| StorageError::Backend(e.to_string()))?;
        for m in schema.modules.values() {
            let table = ident(&m.table_name())?;
            let existing: Vec<String> = {
                let mut st = tx.prepare("SELECT name FROM pragma_table_info(?1)").db()?;
                st.query_map([m.table_name()], |r| r.get(0)).db()?.collect::<rusqlite::Result<_>>().db()?
            };
            if existing.is_empty() {
                // A new table gets every column at once (one schema change instead of one per field).
                let mut cols = vec!["id INTEGER PRIMARY KEY REFERENCES crm_entity (id) ON DELETE CASCADE".to_string()];
                for f in &m.fields {
                    cols.push(format!("{} {}", ident(&f.name)?, column_type(f.field_type)));
                }
                tx.execute_batch(&format!("CREATE TABLE {table} ({})", cols.join(", "))).db()?;
            }
            let existing: Vec<String> = if existing.is_empty() { m.fields.iter().map(|f| f.name.clone()).collect() } else { existing };
            for f in &m.fields {
                if !existing.iter().any(|c| c.eq_ignore_ascii_case(&f.name)) {
                    tx.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {} {}", ident(&f.name)?, column_type(f.field_type))).db()?;
                }
                let indexed = matches!(f.field_type, FieldType::Reference | FieldType::Owner)
                    || m.indexed.contains(&f.name)
                    || m.entity_fields.first() == Some(&f.name);
                let unique = m.auto_number.as_ref().is_some_and(|a| a.field == f.name);
                if indexed || unique {
                    let name = ident(&format!("{}_{}", m.table_name(), f.name))?;
                    tx.execute_batch(&format!(
                        "CREATE {}INDEX IF NOT EXISTS {name} ON {table} ({})",
                        if unique { "UNIQUE " } else { "" },
                        ident(&f.name)?
                    ))
                    .db()?;
                }
            }
            Self::write_declared_indexes(tx, m)?; // declared indexes
        }
        tx.execute(
            "INSERT INTO crm_meta (key, value) VALUES ('schema', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [json],
        )
        .db()?;
        tx.execute(
            "INSERT INTO crm_meta (key, value) VALUES ('schema_version', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [schema.version.to_string()],
        )
        .db()?;
        Ok(())
    }

    fn apply(tx: &Connection, schema: &Schema, write_sql: &mut WriteSql, c: &Change) -> Result<()> {
        let module = |name: &str| schema.modules.get(name).ok_or_else(|| Error::invalid(format!("unknown module '{name}'")));
        match c {
            Change::Insert(r) => {
                let m = module(&r.module)?;
                Self::write_record(tx, write_sql.of(schema, m)?, m, r, true)?;
            }
            Change::Update { record: r, expected_version } => {
                let n = tx
                    .prepare_cached(
                        "UPDATE crm_entity SET label = ?1, label_key = ?2, deleted = ?3, version = ?4 WHERE id = ?5 AND version = ?6",
                    )
                    .db()?
                    .execute(params![r.label, fold(r.label.trim()), r.deleted, r.version as i64, r.id.0, *expected_version as i64])
                    .db()?;
                if n == 0 {
                    let found: Option<i64> =
                        tx.query_row("SELECT version FROM crm_entity WHERE id = ?1", [r.id.0], |row| row.get(0)).optional().db()?;
                    return Err(match found {
                        None => Error::not_found(format!("record {}", r.id)),
                        Some(v) => Error::Conflict(format!(
                            "record {} was changed by someone else (version {v}, expected {expected_version})",
                            r.id
                        )),
                    });
                }
                let m = module(&r.module)?;
                Self::write_record(tx, write_sql.of(schema, m)?, m, r, false)?;
            }
            Change::Purge { id, expected_version } => {
                // Only a record still in the recycle bin at the version the purge saw: never a record
                // another handle restored or changed meanwhile. The module row goes with it (ON DELETE
                // CASCADE), and so does the history detail.
                let n =
                    exec(tx, "DELETE FROM crm_entity WHERE id = ?1 AND deleted AND version = ?2", params![id.0, *expected_version as i64])
                        .db()?;
                if n == 0 {
                    let found: Option<(bool, i64)> = tx
                        .query_row("SELECT deleted, version FROM crm_entity WHERE id = ?1", [id.0], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()
                        .db()?;
                    return Err(super::purge_refused(*id, *expected_version, found.map(|(d, v)| (d, u64::try_from(v).unwrap_or(0)))));
                }
                exec(tx, "DELETE FROM crm_history WHERE record_id = ?1", [id.0]).db()?;
                exec(tx, "DELETE FROM crm_stage_history WHERE record_id = ?1", [id.0]).db()?;
                purge_related(tx, *id)?; // links and comments go with the record
            }
            Change::History(h) => {
                tx.prepare_cached(
                    "INSERT INTO crm_history (record_id, module, actor, at, kind, related_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .db()?
                .execute(params![h.record.0, h.module, h.actor, fmt_dt(h.at), h.kind.as_str(), h.related.map(|r| r.0)])
                .db()?;
                let hid = tx.last_insert_rowid();
                let mut st =
                    tx.prepare_cached("INSERT INTO crm_history_detail (history_id, field, before, after) VALUES (?1, ?2, ?3, ?4)").db()?;
                if let Some(json) = compact_creation(h) {
                    // A creation is one detail row (see `CREATED_FIELDS`), like vtiger's one modtracker entry.
                    st.execute(params![hid, CREATED_FIELDS, Option::<String>::None, json]).db()?;
                } else {
                    for d in &h.changes {
                        st.execute(params![hid, d.field, d.before, d.after]).db()?;
                    }
                }
            }
            Change::Stage(s) => {
                tx.prepare_cached(
                    "INSERT INTO crm_stage_history (record_id, stage, amount, probability, forecast_amount, closingdate, at, actor)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .db()?
                .execute(params![
                    s.record.0,
                    s.stage,
                    s.amount.map(|d| d.to_string()),
                    s.probability.map(|d| d.to_string()),
                    s.forecast_amount.map(|d| d.to_string()),
                    s.closingdate.map(|d| d.to_string()),
                    fmt_dt(s.at),
                    s.actor
                ])
                .db()?;
            }
            Change::PutUser(u) => {
                exec(
                    tx,
                    "INSERT INTO crm_users (id, user_name, full_name, email, role, active) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (id) DO UPDATE SET user_name = excluded.user_name, full_name = excluded.full_name,
                     email = excluded.email, role = excluded.role, active = excluded.active",
                    params![u.id.0, u.user_name, u.full_name, u.email, u.role, u.active],
                )
                .db()?;
            }
            Change::PutGroup(g) => {
                exec(
                    tx,
                    "INSERT INTO crm_groups (id, name) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                    params![g.id.0, g.name],
                )
                .db()?;
                exec(tx, "DELETE FROM crm_group_members WHERE group_id = ?1", [g.id.0]).db()?;
                for m in &g.members {
                    exec(tx, "INSERT OR IGNORE INTO crm_group_members (group_id, user_id) VALUES (?1, ?2)", [g.id.0, m.0]).db()?;
                }
            }
            // ----- views, related records, settings -----
            Change::PutFilter(f) => {
                let json = serde_json::to_string(f).map_err(|e| StorageError::Backend(e.to_string()))?;
                let vis = serde_json::to_value(f.visibility).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                exec(tx,
                    "INSERT INTO crm_filters (id, module, name, visibility, owner, is_default, definition) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (id) DO UPDATE SET module = excluded.module, name = excluded.name, visibility = excluded.visibility,
                     owner = excluded.owner, is_default = excluded.is_default, definition = excluded.definition",
                    params![f.id, f.module, f.name, vis, f.owner, f.default, json],
                )
                .db()?;
            }
            Change::DeleteFilter(id) => {
                exec(tx, "DELETE FROM crm_filters WHERE id = ?1", [id]).db()?;
            }
            Change::AddComment(c) => {
                exec(
                    tx,
                    "INSERT INTO crm_comments (id, record_id, parent_id, author, at, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![c.id, c.record.0, c.parent, c.author, fmt_dt(c.at), c.text],
                )
                .db()?;
            }
            Change::Link(r) => {
                exec(
                    tx,
                    "DELETE FROM crm_relations WHERE (record_id = ?1 AND related_id = ?2) OR (record_id = ?2 AND related_id = ?1)",
                    [r.record.0, r.related.0],
                )
                .db()?;
                exec(tx,
                    "INSERT INTO crm_relations (record_id, related_id, module, role, quantity, price, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        r.record.0,
                        r.related.0,
                        r.module,
                        r.role,
                        r.quantity.map(|d| d.to_string()),
                        r.price.map(|d| d.to_string()),
                        fmt_dt(r.at)
                    ],
                )
                .db()?;
            }
            Change::Unlink { record, related } => {
                exec(
                    tx,
                    "DELETE FROM crm_relations WHERE (record_id = ?1 AND related_id = ?2) OR (record_id = ?2 AND related_id = ?1)",
                    [record.0, related.0],
                )
                .db()?;
            }
            Change::PutSetting { key, value } => {
                exec(
                    tx,
                    "INSERT INTO crm_settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    params![key, value],
                )
                .db()?;
            }
            // ----- schema customization -----
            Change::PutSchema { schema: new, expected_version } => {
                let stored = Self::stored_schema_version(tx)?.unwrap_or(0);
                if stored != *expected_version {
                    return Err(Error::Conflict(format!("the schema changed meanwhile (version {stored}, expected {expected_version})")));
                }
                Self::write_schema(tx, new)?;
            }
            Change::ClearField { module: m, field, actor, at } => {
                let m = module(m)?;
                let (table, column) = (ident(&m.table_name())?, ident(field)?);
                // Every record that held a value: a new version and a change-log entry (see `Change`).
                let t = m.field(field).map_or(FieldType::Text, |f| f.field_type);
                let held: Vec<(i64, Option<String>)> = {
                    let mut st = tx.prepare(&format!("SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")).db()?;
                    st.query_map([], |r| Ok((r.get(0)?, from_sql(t, r.get_ref(1)?).to_text())))
                        .db()?
                        .collect::<rusqlite::Result<_>>()
                        .db()?
                };
                exec(tx, &format!("UPDATE {table} SET {column} = NULL"), []).db()?;
                for (id, before) in held.into_iter().filter(|(_, b)| b.is_some()) {
                    Self::log_rewrite(tx, schema, write_sql, super::rewrite_entry(RecordId(id), &m.name, field, before, None, actor, *at))?;
                }
            }
            Change::ReplacePicklistValue { module: m, field, from, to, actor, at } => {
                let m = module(m)?;
                let f = m.field(field).ok_or_else(|| Error::invalid(format!("{} has no field '{field}'", m.name)))?;
                let (table, column) = (ident(&m.table_name())?, ident(&f.name)?);
                let log = |tx: &Connection, write_sql: &mut WriteSql, id: i64, before: Option<String>, after: Option<String>| {
                    Self::log_rewrite(
                        tx,
                        schema,
                        write_sql,
                        super::rewrite_entry(RecordId(id), &m.name, &f.name, before, after, actor, *at),
                    )
                };
                if f.field_type == FieldType::MultiPicklist {
                    let needle = format!("{MULTI_SEPARATOR}{from}{MULTI_SEPARATOR}");
                    let sql = format!(
                        "SELECT id, {column} FROM {table} WHERE instr('{MULTI_SEPARATOR}' || {column} || '{MULTI_SEPARATOR}', ?1) > 0"
                    );
                    let rows: Vec<(i64, String)> = {
                        let mut st = tx.prepare(&sql).db()?;
                        st.query_map([needle], |r| Ok((r.get(0)?, r.get(1)?))).db()?.collect::<rusqlite::Result<_>>().db()?
                    };
                    let update = format!("UPDATE {table} SET {column} = ?1 WHERE id = ?2");
                    for (id, text) in rows {
                        let mut out: Vec<String> = Vec::new();
                        for x in crate::value::split_multi(&text) {
                            let x = if x == *from { to.clone() } else { Some(x) };
                            if let Some(x) = x.filter(|x| !out.contains(x)) {
                                out.push(x);
                            }
                        }
                        let joined = (!out.is_empty()).then(|| out.join(MULTI_SEPARATOR));
                        exec(tx, &update, params![joined, id]).db()?;
                        if joined.as_deref() != Some(text.as_str()) {
                            log(tx, write_sql, id, Some(text), joined)?;
                        }
                    }
                } else {
                    let ids: Vec<i64> = {
                        let mut st = tx.prepare(&format!("UPDATE {table} SET {column} = ?1 WHERE {column} = ?2 RETURNING id")).db()?;
                        st.query_map(params![to, from], |r| r.get(0)).db()?.collect::<rusqlite::Result<_>>().db()?
                    };
                    for id in ids {
                        log(tx, write_sql, id, Some(from.clone()), to.clone())?;
                    }
                }
            }
            Change::SchemaLog(e) => {
                let json = serde_json::to_string(&e.change).map_err(|x| StorageError::Backend(x.to_string()))?;
                exec(
                    tx,
                    "INSERT INTO crm_schema_changes (version, op, actor, at, change) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![e.version as i64, e.change.op(), e.actor, fmt_dt(e.at), json],
                )
                .db()?;
            }
            // ----- workflows -----
            Change::PutWorkflow(w) => {
                exec(tx,
                    "INSERT OR REPLACE INTO crm_workflows (id, module, name, description, active, execution_condition, trigger_def, conditions, tasks, next_trigger, is_default)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                    params![
                        w.id,
                        w.module,
                        w.name,
                        w.description,
                        w.active,
                        w.trigger.vtiger_code(),
                        to_json(&w.trigger)?,
                        to_json(&w.condition)?,
                        to_json(&w.tasks)?,
                        w.next_trigger.map(fmt_dt),
                        w.default
                    ],
                )
                .db()?;
            }
            Change::DeleteWorkflow(id) => {
                exec(tx, "DELETE FROM crm_workflows WHERE id = ?1", [id]).db()?;
                exec(tx, "DELETE FROM crm_workflow_once WHERE workflow_id = ?1", [id]).db()?;
                exec(tx, "DELETE FROM crm_workflow_queue WHERE workflow_id = ?1", [id]).db()?;
            }
            Change::PutMail(m) => {
                exec(tx,
                    "INSERT OR REPLACE INTO crm_outbox (id, record_id, workflow_id, from_addr, reply_to, to_addrs, cc_addrs, bcc_addrs, subject, body, status, error, created_at, sent_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                    params![
                        m.id,
                        m.record.map(|r| r.0),
                        m.workflow,
                        m.from,
                        m.reply_to,
                        m.to.join(", "),
                        m.cc.join(", "),
                        m.bcc.join(", "),
                        m.subject,
                        m.body,
                        m.status.as_str(),
                        m.error,
                        fmt_dt(m.created),
                        m.sent.map(fmt_dt)
                    ],
                )
                .db()?;
            }
            Change::ActivatedOnce { workflow, record } => {
                exec(tx, "INSERT OR IGNORE INTO crm_workflow_once (workflow_id, record_id) VALUES (?1, ?2)", params![workflow, record.0])
                    .db()?;
            }
            Change::PutQueuedTask(q) => {
                exec(
                    tx,
                    "INSERT OR REPLACE INTO crm_workflow_queue (id, workflow_id, task_index, record_id, due) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![q.id, q.workflow, q.task as i64, q.record.0, fmt_dt(q.due)],
                )
                .db()?;
            }
            Change::DeleteQueuedTask(id) => {
                exec(tx, "DELETE FROM crm_workflow_queue WHERE id = ?1", [id]).db()?;
            }
            // ----- import/export -----
            Change::PutImport(j) => {
                tx.prepare_cached(
                    "INSERT INTO crm_imports (id, module, kind, actor, at, status, rows, created, updated, merged, skipped, failed)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                     ON CONFLICT (id) DO UPDATE SET status = excluded.status, rows = excluded.rows, created = excluded.created,
                     updated = excluded.updated, merged = excluded.merged, skipped = excluded.skipped, failed = excluded.failed",
                )
                .db()?
                .execute(params![
                    j.id,
                    j.module,
                    j.kind,
                    j.actor,
                    fmt_dt(j.at),
                    j.status.as_str(),
                    j.rows as i64,
                    j.created as i64,
                    j.updated as i64,
                    j.merged as i64,
                    j.skipped as i64,
                    j.failed as i64
                ])
                .db()?;
            }
            Change::ImportRow(r) => {
                tx.prepare_cached(
                    "INSERT INTO crm_import_rows (import_id, line, record_id, action, previous, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .db()?
                .execute(params![r.import_id, r.line as i64, r.record.0, r.action.as_str(), r.previous, r.version as i64])
                .db()?;
            }
            Change::PutMapping(m) => {
                let json = serde_json::to_string(&m.mapping).map_err(|e| StorageError::Backend(e.to_string()))?;
                exec(
                    tx,
                    "INSERT INTO crm_import_maps (module, name, mapping) VALUES (?1, ?2, ?3)
                     ON CONFLICT (module, name) DO UPDATE SET name = excluded.name, mapping = excluded.mapping",
                    params![m.module, m.name, json],
                )
                .db()?;
            }
            Change::DeleteMapping { module, name } => {
                exec(tx, "DELETE FROM crm_import_maps WHERE module = ?1 AND name = ?2", params![module, name]).db()?;
            }
            // ----- lead conversion: comments follow the lead -----
            Change::MoveComments { from, to } => {
                exec(tx, "UPDATE crm_comments SET record_id = ?2 WHERE record_id = ?1", params![from.0, to.0]).db()?;
            }
        }
        Ok(())
    }

    /// Gives a record that a schema edit rewrote a new version and its change-log entry `h`.
    fn log_rewrite(tx: &Connection, schema: &Schema, write_sql: &mut WriteSql, h: HistoryEntry) -> Result<()> {
        exec(tx, "UPDATE crm_entity SET version = version + 1 WHERE id = ?1", [h.record.0]).db()?;
        Self::apply(tx, schema, write_sql, &Change::History(h))
    }

    /// The stored schema version: the `schema_version` row, or (files written before it existed) the
    /// version inside the stored schema JSON.
    fn stored_schema_version(conn: &Connection) -> Result<Option<u64>> {
        let v: Option<String> = conn
            .prepare_cached("SELECT value FROM crm_meta WHERE key = 'schema_version'")
            .db()?
            .query_row([], |r| r.get(0))
            .optional()
            .db()?;
        if let Some(v) = v {
            return v.parse().map(Some).map_err(|_| StorageError::Corrupt(format!("schema_version '{v}'")).into());
        }
        let v: Option<Option<i64>> = conn
            .query_row("SELECT json_extract(value, '$.version') FROM crm_meta WHERE key = 'schema'", [], |r| r.get(0))
            .optional()
            .db()?;
        Ok(v.flatten().map(|v| u64::try_from(v).unwrap_or(0)))
    }

    /// The schema reads use: this handle's own, or — when another handle of the same file stored a newer
    /// one since — the stored one (loaded once per version and kept until this handle catches up). Costs
    /// one indexed row read per call; makes reads see other handles' schema changes (new columns).
    fn read_schema(&self) -> Result<std::sync::Arc<Schema>> {
        let own = self.schema.as_ref().ok_or_else(|| Error::invalid("no schema stored yet"))?;
        let stored = Self::stored_schema_version(&self.conn)?;
        if stored.is_none_or(|v| v == own.version) {
            return Ok(std::sync::Arc::clone(own));
        }
        if let Some(n) = self.newer.borrow().as_ref().filter(|n| Some(n.version) == stored) {
            return Ok(std::sync::Arc::clone(n));
        }
        let json: Option<String> =
            self.conn.query_row("SELECT value FROM crm_meta WHERE key = 'schema'", [], |r| r.get(0)).optional().db()?;
        let Some(json) = json else { return Ok(std::sync::Arc::clone(own)) };
        let s =
            std::sync::Arc::new(serde_json::from_str::<Schema>(&json).map_err(|e| StorageError::Corrupt(format!("stored schema: {e}")))?);
        *self.newer.borrow_mut() = Some(std::sync::Arc::clone(&s));
        Ok(s)
    }

    // ----- declared indexes -----
    /// The `SELECT` that [`Store::query`] runs for `q`, with its parameters.
    ///
    /// Shape (so that a declared index on the filtered and sorted fields serves it, see
    /// [`crate::schema::index`]): the id tiebreak of the ORDER BY is the module table's `t.id` (the rowid,
    /// which every index of the table ends with) rather than the equal `e.id`, so an index scan yields the
    /// full order and no temporary B-tree is needed.
    fn select_sql(m: &Module, q: &Query) -> Result<(String, Vec<Sql>)> {
        let mut params = Vec::new();
        let from = Self::from_where(m, q, &mut params)?;
        let mut sql = format!("SELECT {} {from} ORDER BY ", Self::select_list(m)?);
        for s in &q.sort {
            let f = m.field(&s.field).ok_or_else(|| Error::invalid(format!("cannot sort by unknown field '{}'", s.field)))?;
            sql.push_str(&col(f)?);
            sql.push_str(if s.descending { " DESC, " } else { " ASC, " });
        }
        sql.push_str(if q.sort.first().is_some_and(|s| s.descending) { "t.id DESC" } else { "t.id ASC" });
        sql.push_str(" LIMIT ? OFFSET ?");
        params.push(Sql::Integer(q.limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX))));
        params.push(Sql::Integer(i64::try_from(q.offset).unwrap_or(i64::MAX)));
        Ok((sql, params))
    }

    /// The plan SQLite chooses for the `SELECT` that [`Store::query`] runs for `q` (a normalized query):
    /// the `detail` column of `EXPLAIN QUERY PLAN`, one line per step (e.g. `SEARCH t USING INDEX
    /// crm_ix_potentials_3 (sales_stage=?)`, `USE TEMP B-TREE FOR ORDER BY`). For tests and tuning.
    ///
    /// # Errors
    /// Unknown module or field; SQLite errors.
    pub fn query_plan(&self, q: &Query) -> Result<Vec<String>> {
        let s = self.read_schema()?;
        let m = s.modules.get(&q.module).ok_or_else(|| Error::invalid(format!("module '{}' is not in the stored schema", q.module)))?;
        let (sql, params) = Self::select_sql(m, q)?;
        let mut st = self.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).db()?;
        let rows = st.query_map(params_from_iter(params.iter()), |r| r.get::<_, String>(3)).db()?;
        rows.collect::<rusqlite::Result<Vec<_>>>().db()
    }

    /// Creates the module's declared indexes (`crm_ix_<table>_<n>`) and drops those of its table that are no
    /// longer declared. Decimal columns are indexed with the `crm_decimal` collation that crm compares and
    /// sorts them with, so that the index serves those queries. Names and columns come from the schema only.
    fn write_declared_indexes(tx: &Connection, m: &Module) -> Result<()> {
        let table = ident(&m.table_name())?;
        let prefix = format!("crm_ix_{}_", m.table_name());
        let present: Vec<String> = {
            let mut st = tx.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1").db()?;
            st.query_map([m.table_name()], |r| r.get(0)).db()?.collect::<rusqlite::Result<_>>().db()?
        };
        let wanted: Vec<String> = m.indexes.iter().map(|i| i.sql_name(m)).collect();
        for name in present.iter().filter(|n| n.starts_with(&prefix) && !wanted.contains(n)) {
            tx.execute_batch(&format!("DROP INDEX IF EXISTS {}", ident(name)?)).db()?;
        }
        for (ix, name) in m.indexes.iter().zip(&wanted) {
            let mut cols = Vec::with_capacity(ix.fields.len());
            for f in &ix.fields {
                let fd = m.field(f).ok_or_else(|| Error::invalid(format!("index {name}: {} has no field '{f}'", m.name)))?;
                let c = ident(&fd.name)?;
                cols.push(if fd.field_type.is_decimal() { format!("{c} COLLATE crm_decimal") } else { c });
            }
            tx.execute_batch(&format!("CREATE INDEX IF NOT EXISTS {} ON {table} ({})", ident(name)?, cols.join(", "))).db()?;
        }
        Ok(())
    }

    /// Builds `FROM ... WHERE ...` for a query, pushing its condition down.
    fn from_where(m: &Module, q: &Query, params: &mut Vec<Sql>) -> Result<String> {
        let mut sql =
            format!("FROM {} t JOIN crm_entity e ON e.id = t.id WHERE e.deleted = {}", ident(&m.table_name())?, i32::from(q.deleted));
        if let Some(c) = &q.condition {
            sql.push_str(" AND ");
            compile(c, m, &mut sql, params)?;
        }
        Ok(sql)
    }
}

fn fmt_dt(t: chrono::NaiveDateTime) -> String {
    crate::value::format_datetime(t)
}

fn parse_dt(s: &str) -> chrono::NaiveDateTime {
    crate::value::parse_datetime(s).unwrap_or_default()
}

fn col(f: &Field) -> Result<String> {
    let c = format!("t.{}", ident(&f.name)?);
    Ok(if f.field_type.is_decimal() { format!("{c} COLLATE crm_decimal") } else { c })
}

/// Compiles a normalized condition to SQL, pushing values into `params`.
fn compile(c: &Condition, m: &Module, sql: &mut String, params: &mut Vec<Sql>) -> Result<()> {
    match c {
        Condition::All(v) | Condition::Any(v) => {
            if v.is_empty() {
                sql.push_str(if matches!(c, Condition::All(_)) { "1" } else { "0" });
                return Ok(());
            }
            let join = if matches!(c, Condition::All(_)) { " AND " } else { " OR " };
            sql.push('(');
            for (i, x) in v.iter().enumerate() {
                if i > 0 {
                    sql.push_str(join);
                }
                compile(x, m, sql, params)?;
            }
            sql.push(')');
        }
        Condition::Not(x) => {
            // Leaves may be NULL ("unknown") for empty fields; under AND/OR that behaves as false, as in the
            // memory adapter. Only NOT would turn it around, so NOT coalesces its operand to false first.
            // Leaves stay bare comparisons so that SQLite can use indexes for them.
            sql.push_str("NOT coalesce(");
            compile(x, m, sql, params)?;
            sql.push_str(", 0)");
        }
        Condition::Compare { field, op, values } if field == crate::query::ID_FIELD => {
            let mut bind = |v: &Value| {
                params.push(to_sql(v));
                "?".to_string()
            };
            let first = values.first().cloned().unwrap_or_default();
            // `t.id` (the rowid, equal to `e.id` by the join) so that an index of the module table covers
            // the comparison: keyset paging's `(key = ? AND id < ?)` is then checked on the index alone.
            let s = match op {
                Op::Eq => format!("t.id = {}", bind(&first)),
                Op::Ne => format!("t.id <> {}", bind(&first)),
                Op::Lt => format!("t.id < {}", bind(&first)),
                Op::Le => format!("t.id <= {}", bind(&first)),
                Op::Gt => format!("t.id > {}", bind(&first)),
                Op::Ge => format!("t.id >= {}", bind(&first)),
                Op::Between => {
                    let lo = bind(&first);
                    format!("t.id BETWEEN {lo} AND {}", bind(values.get(1).unwrap_or(&Value::Null)))
                }
                Op::In => format!("t.id IN ({})", values.iter().map(&mut bind).collect::<Vec<_>>().join(", ")),
                other => return Err(Error::invalid(format!("operator {other:?} does not fit the record id"))),
            };
            sql.push_str(&s);
        }
        Condition::Compare { field, op, values } => {
            let f = m.field(field).ok_or_else(|| Error::invalid(format!("{} has no field '{field}'", m.name)))?;
            let c = col(f)?;
            let raw = format!("t.{}", ident(&f.name)?);
            let first = values.first().cloned().unwrap_or_default();
            let mut bind = |v: &Value| {
                params.push(to_sql(v));
                "?".to_string()
            };
            if f.field_type == FieldType::MultiPicklist && matches!(op, Op::Eq | Op::Ne | Op::In) {
                let wrapped = format!("instr('{MULTI_SEPARATOR}' || {raw} || '{MULTI_SEPARATOR}', ?) > 0");
                let needle = |v: &Value| Sql::Text(format!("{MULTI_SEPARATOR}{}{MULTI_SEPARATOR}", v.to_text().unwrap_or_default()));
                match op {
                    Op::Eq => {
                        params.push(needle(&first));
                        sql.push_str(&format!("coalesce({wrapped}, 0)"));
                    }
                    Op::Ne => {
                        params.push(needle(&first));
                        sql.push_str(&format!("({raw} IS NULL OR NOT {wrapped})"));
                    }
                    _ => {
                        sql.push('(');
                        for (i, v) in values.iter().enumerate() {
                            if i > 0 {
                                sql.push_str(" OR ");
                            }
                            params.push(needle(v));
                            sql.push_str(&format!("coalesce({wrapped}, 0)"));
                        }
                        sql.push(')');
                    }
                }
                return Ok(());
            }
            let text = |v: &Value| fold(&v.to_text().unwrap_or_default());
            let s = match op {
                Op::IsEmpty => format!("({raw} IS NULL OR {raw} = '')"),
                Op::IsNotEmpty => format!("({raw} IS NOT NULL AND {raw} <> '')"),
                Op::Eq => format!("{c} = {}", bind(&first)),
                // `<> NULL` is unknown; an empty compare value differs from every non-empty field
                Op::Ne => format!("({raw} IS NULL OR coalesce({c} <> {}, 1))", bind(&first)),
                Op::Lt => format!("{c} < {}", bind(&first)),
                Op::Le => format!("{c} <= {}", bind(&first)),
                Op::Gt => format!("{c} > {}", bind(&first)),
                Op::Ge => format!("{c} >= {}", bind(&first)),
                Op::Between => {
                    let lo = bind(&first);
                    let hi = bind(values.get(1).unwrap_or(&Value::Null));
                    format!("{c} BETWEEN {lo} AND {hi}")
                }
                Op::In => {
                    let list: Vec<String> = values.iter().map(&mut bind).collect();
                    format!("{c} IN ({})", list.join(", "))
                }
                Op::Contains | Op::NotContains | Op::StartsWith | Op::EndsWith => {
                    let needle = text(&first);
                    let n = needle.chars().count() as i64;
                    params.push(Sql::Text(needle.clone()));
                    let folded = format!("crm_fold({raw})");
                    match op {
                        Op::Contains => format!("coalesce(instr({folded}, ?) > 0, 0)"),
                        Op::NotContains => format!("({raw} IS NULL OR instr({folded}, ?) = 0)"),
                        _ if n == 0 => {
                            params.pop();
                            format!("({raw} IS NOT NULL)")
                        }
                        Op::StartsWith => {
                            params.insert(params.len() - 1, Sql::Integer(n));
                            format!("coalesce(substr({folded}, 1, ?) = ?, 0)")
                        }
                        _ => {
                            params.insert(params.len() - 1, Sql::Integer(n));
                            format!("coalesce(substr({folded}, -?) = ?, 0)")
                        }
                    }
                }
            };
            sql.push_str(&s);
        }
    }
    Ok(())
}

impl Store for SqliteStore {
    fn load_schema(&mut self) -> Result<Option<Schema>> {
        let json: Option<String> =
            self.conn.query_row("SELECT value FROM crm_meta WHERE key = 'schema'", [], |r| r.get(0)).optional().db()?;
        let schema = match json {
            None => None,
            Some(j) => Some(serde_json::from_str::<Schema>(&j).map_err(|e| StorageError::Corrupt(format!("stored schema: {e}")))?),
        };
        self.schema = schema.clone().map(std::sync::Arc::new);
        self.write_sql = WriteSql::default(); // write path: statements follow the schema
        Ok(schema)
    }

    fn save_schema(&mut self, schema: &Schema) -> Result<()> {
        self.write(|tx| Self::write_schema(tx, schema))?;
        self.schema = Some(std::sync::Arc::new(schema.clone()));
        self.write_sql = WriteSql::default(); // write path: statements follow the schema
        Ok(())
    }

    fn allocate_ids(&mut self, n: u64) -> Result<i64> {
        let n = i64::try_from(n).map_err(|_| Error::invalid("too many ids"))?;
        self.write(|tx| {
            tx.execute("INSERT INTO crm_seq (name, value) VALUES ('id', 1) ON CONFLICT (name) DO NOTHING", []).db()?;
            let first: i64 = tx.query_row("SELECT value FROM crm_seq WHERE name = 'id'", [], |r| r.get(0)).db()?;
            let next = first.checked_add(n).ok_or_else(|| StorageError::Backend("id space exhausted".into()))?;
            tx.execute("UPDATE crm_seq SET value = ?1 WHERE name = 'id'", [next]).db()?;
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
        self.write(|tx| {
            let st: Option<(String, String)> = tx
                .prepare_cached("SELECT prefix, next FROM crm_autonum WHERE module = ?1")
                .db()?
                .query_row([module], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .db()?;
            let (prefix, next) = st.unwrap_or_else(|| (default_prefix.to_string(), "1".to_string()));
            tx.prepare_cached(
                "INSERT INTO crm_autonum (module, prefix, next) VALUES (?1, ?2, ?3) ON CONFLICT (module) DO UPDATE SET next = excluded.next",
            )
            .db()?
            .execute(params![module, prefix, increment_counter(&next)])
            .db()?;
            Ok(format!("{prefix}{next}"))
        })
    }

    fn auto_number_state(&self, module: &str) -> Result<Option<AutoNumberState>> {
        if let Some(s) = self.unit_numbers.get(module) {
            return Ok(Some(s.clone()));
        }
        self.conn
            .prepare_cached("SELECT prefix, next FROM crm_autonum WHERE module = ?1")
            .db()?
            .query_row([module], |r| Ok(AutoNumberState { prefix: r.get(0)?, next: r.get(1)? }))
            .optional()
            .db()
    }

    fn set_auto_number(&mut self, module: &str, state: &AutoNumberState) -> Result<()> {
        if self.unit {
            self.unit_numbers.insert(module.to_string(), state.clone());
        }
        self.conn
            .prepare_cached(
                "INSERT INTO crm_autonum (module, prefix, next) VALUES (?1, ?2, ?3)
                 ON CONFLICT (module) DO UPDATE SET prefix = excluded.prefix, next = excluded.next",
            )
            .db()?
            .execute(params![module, state.prefix, state.next])
            .db()?;
        Ok(())
    }

    fn commit(&mut self, changes: &ChangeSet) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let schema = self.schema.take().ok_or_else(|| Error::invalid("no schema stored yet"))?;
        let mut write_sql = std::mem::take(&mut self.write_sql);
        let done = self.write(|tx| {
            for c in &changes.0 {
                Self::apply(tx, &schema, &mut write_sql, c)?;
            }
            Ok(())
        });
        self.schema = Some(schema);
        self.write_sql = write_sql;
        done?;
        // ----- schema customization: a committed PutSchema becomes the schema in force -----
        if let Some(new) = changes.0.iter().rev().find_map(|c| if let Change::PutSchema { schema, .. } = c { Some(schema) } else { None }) {
            self.schema = Some(std::sync::Arc::new((**new).clone()));
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

    fn begin_snapshot(&self) -> Result<bool> {
        if self.unit || !self.conn.is_autocommit() {
            return Ok(false);
        }
        // A deferred transaction: its first read fixes the WAL snapshot every later read sees.
        exec(&self.conn, "BEGIN", []).db()?;
        Ok(true)
    }

    fn end_snapshot(&self) -> Result<()> {
        if self.conn.is_autocommit() {
            return Ok(());
        }
        exec(&self.conn, "COMMIT", []).db().map(|_| ())
    }

    fn entity(&self, id: RecordId) -> Result<Option<(String, bool)>> {
        self.conn
            .prepare_cached("SELECT module, deleted FROM crm_entity WHERE id = ?1")
            .db()?
            .query_row([id.0], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? != 0)))
            .optional()
            .db()
    }

    fn data_version(&self) -> Result<u64> {
        let v: i64 = self.conn.prepare_cached("PRAGMA data_version").db()?.query_row([], |r| r.get(0)).db()?;
        Ok(u64::try_from(v).unwrap_or(0))
    }

    fn get(&self, id: RecordId) -> Result<Option<Record>> {
        let module: Option<String> = self
            .conn
            .prepare_cached("SELECT module FROM crm_entity WHERE id = ?1")
            .db()?
            .query_row([id.0], |r| r.get(0))
            .optional()
            .db()?;
        let Some(module) = module else { return Ok(None) };
        let s = self.read_schema()?;
        let m = s.modules.get(&module).ok_or_else(|| Error::invalid(format!("module '{module}' is not in the stored schema")))?;
        let sql =
            format!("SELECT {} FROM {} t JOIN crm_entity e ON e.id = t.id WHERE t.id = ?1", Self::select_list(m)?, ident(&m.table_name())?);
        self.conn.prepare_cached(&sql).db()?.query_row([id.0], |r| Self::read_row(m, r)).optional().db()
    }

    fn query(&self, q: &Query) -> Result<Vec<Record>> {
        let s = self.read_schema()?;
        let m = s.modules.get(&q.module).ok_or_else(|| Error::invalid(format!("module '{}' is not in the stored schema", q.module)))?;
        let (sql, params) = Self::select_sql(m, q)?;
        let mut st = self.conn.prepare_cached(&sql).db()?;
        let rows = st.query_map(params_from_iter(params.iter()), |r| Self::read_row(m, r)).db()?;
        rows.collect::<rusqlite::Result<Vec<_>>>().db()
    }

    fn count(&self, q: &Query) -> Result<u64> {
        let mut params = Vec::new();
        let s = self.read_schema()?;
        let m = s.modules.get(&q.module).ok_or_else(|| Error::invalid(format!("module '{}' is not in the stored schema", q.module)))?;
        let sql = format!("SELECT count(*) {}", Self::from_where(m, q, &mut params)?);
        let n: i64 = self.conn.prepare_cached(&sql).db()?.query_row(params_from_iter(params.iter()), |r| r.get(0)).db()?;
        Ok(n.try_into().unwrap_or(0))
    }

    fn aggregate(&self, q: &Query, group_by: Option<&str>, sums: &[&str]) -> Result<Vec<Aggregate>> {
        let mut params = Vec::new();
        let s = self.read_schema()?;
        let m = s.modules.get(&q.module).ok_or_else(|| Error::invalid(format!("module '{}' is not in the stored schema", q.module)))?;
        let from = Self::from_where(m, q, &mut params)?;
        let group =
            group_by.map(|g| m.field(g).ok_or_else(|| Error::invalid(format!("cannot group by unknown field '{g}'")))).transpose()?;
        let mut sql = String::from("SELECT ");
        sql.push_str(&match group {
            Some(f) => format!("t.{}", ident(&f.name)?),
            None => "NULL".into(),
        });
        sql.push_str(", count(*)");
        for s in sums {
            let f = m.field(s).ok_or_else(|| Error::invalid(format!("cannot sum unknown field '{s}'")))?;
            sql.push_str(&format!(", crm_sum(t.{})", ident(&f.name)?));
        }
        sql.push(' ');
        sql.push_str(&from);
        if let Some(f) = group {
            sql.push_str(&format!(" GROUP BY {c} ORDER BY {c}", c = col(f)?));
        }
        let gtype = group.map_or(FieldType::Text, |f| f.field_type);
        let mut st = self.conn.prepare_cached(&sql).db()?;
        let rows = st
            .query_map(params_from_iter(params.iter()), |r| {
                let key = from_sql(gtype, r.get_ref(0)?);
                let count: i64 = r.get(1)?;
                let mut out = Vec::with_capacity(sums.len());
                for i in 0..sums.len() {
                    let s: Option<String> = r.get(2 + i)?;
                    out.push(s.as_deref().and_then(parse_decimal).unwrap_or_default());
                }
                Ok(Aggregate { key, count: count.try_into().unwrap_or(0), sums: out })
            })
            .db()?;
        let v = rows.collect::<rusqlite::Result<Vec<_>>>().db()?;
        // Without GROUP BY, SQL returns one row even for no records; keep the memory adapter's shape.
        Ok(v.into_iter().filter(|a| a.count > 0).collect())
    }

    fn find_by_label(&self, module: &str, label: &str) -> Result<Vec<RecordId>> {
        let mut st = self.conn.prepare_cached(FIND_BY_LABEL).db()?;
        let rows = st.query_map(params![module, fold(label.trim())], |r| Ok(RecordId(r.get(0)?))).db()?;
        rows.collect::<rusqlite::Result<Vec<_>>>().db()
    }

    fn history(&self, id: RecordId) -> Result<Vec<HistoryEntry>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT id, record_id, module, actor, at, kind, related_id FROM crm_history WHERE record_id = ?1 ORDER BY id")
            .db()?;
        let mut entries = st
            .query_map([id.0], |r| {
                let kind: String = r.get(5)?;
                let at: String = r.get(4)?;
                Ok(HistoryEntry {
                    id: r.get(0)?,
                    record: RecordId(r.get(1)?),
                    module: r.get(2)?,
                    actor: r.get(3)?,
                    at: parse_dt(&at),
                    kind: ChangeKind::parse(&kind).unwrap_or(ChangeKind::Updated),
                    related: r.get::<_, Option<i64>>(6)?.map(RecordId),
                    changes: vec![],
                })
            })
            .db()?
            .collect::<rusqlite::Result<Vec<_>>>()
            .db()?;
        let mut st =
            self.conn.prepare_cached("SELECT field, before, after FROM crm_history_detail WHERE history_id = ?1 ORDER BY rowid").db()?;
        for e in &mut entries {
            let rows = st
                .query_map([e.id], |r| Ok(FieldChange { field: r.get(0)?, before: r.get(1)?, after: r.get(2)? }))
                .db()?
                .collect::<rusqlite::Result<Vec<_>>>()
                .db()?;
            for d in rows {
                if d.field == CREATED_FIELDS {
                    e.changes.extend(expand_creation(d.after.as_deref().unwrap_or("[]"))?);
                } else {
                    e.changes.push(d);
                }
            }
        }
        Ok(entries)
    }

    fn stage_history(&self, id: RecordId) -> Result<Vec<StageEntry>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT record_id, stage, amount, probability, forecast_amount, closingdate, at, actor
                 FROM crm_stage_history WHERE record_id = ?1 ORDER BY id",
            )
            .db()?;
        let dec = |s: Option<String>| s.as_deref().and_then(parse_decimal);
        let rows = st
            .query_map([id.0], |r| {
                let at: String = r.get(6)?;
                let close: Option<String> = r.get(5)?;
                Ok(StageEntry {
                    record: RecordId(r.get(0)?),
                    stage: r.get(1)?,
                    amount: dec(r.get(2)?),
                    probability: dec(r.get(3)?),
                    forecast_amount: dec(r.get(4)?),
                    closingdate: close.as_deref().and_then(crate::value::parse_date),
                    at: parse_dt(&at),
                    actor: r.get(7)?,
                })
            })
            .db()?;
        rows.collect::<rusqlite::Result<Vec<_>>>().db()
    }

    fn users(&self) -> Result<Vec<User>> {
        let mut st = self.conn.prepare_cached("SELECT id, user_name, full_name, email, role, active FROM crm_users ORDER BY id").db()?;
        let rows = st
            .query_map([], |r| {
                Ok(User {
                    id: OwnerId(r.get(0)?),
                    user_name: r.get(1)?,
                    full_name: r.get(2)?,
                    email: r.get(3)?,
                    role: r.get(4)?,
                    active: r.get(5)?,
                })
            })
            .db()?;
        rows.collect::<rusqlite::Result<Vec<_>>>().db()
    }

    fn groups(&self) -> Result<Vec<Group>> {
        let mut groups: Vec<Group> = {
            let mut st = self.conn.prepare_cached("SELECT id, name FROM crm_groups ORDER BY id").db()?;
            let rows = st.query_map([], |r| Ok(Group { id: OwnerId(r.get(0)?), name: r.get(1)?, members: vec![] })).db()?;
            rows.collect::<rusqlite::Result<Vec<_>>>().db()?
        };
        let mut st = self.conn.prepare_cached("SELECT user_id FROM crm_group_members WHERE group_id = ?1 ORDER BY user_id").db()?;
        for g in &mut groups {
            g.members = st.query_map([g.id.0], |r| Ok(OwnerId(r.get(0)?))).db()?.collect::<rusqlite::Result<Vec<_>>>().db()?;
        }
        Ok(groups)
    }

    // ----- import/export -----
    fn imports(&self) -> Result<Vec<crate::io::ImportJournal>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT id, module, kind, actor, at, status, rows, created, updated, merged, skipped, failed FROM crm_imports ORDER BY id",
            )
            .db()?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        let rows = st
            .query_map([], |r| {
                let at: String = r.get(4)?;
                let status: String = r.get(5)?;
                Ok(crate::io::ImportJournal {
                    id: r.get(0)?,
                    module: r.get(1)?,
                    kind: r.get(2)?,
                    actor: r.get(3)?,
                    at: parse_dt(&at),
                    status: crate::io::ImportStatus::parse(&status).unwrap_or(crate::io::ImportStatus::Running),
                    rows: n(r.get(6)?),
                    created: n(r.get(7)?),
                    updated: n(r.get(8)?),
                    merged: n(r.get(9)?),
                    skipped: n(r.get(10)?),
                    failed: n(r.get(11)?),
                })
            })
            .db()?;
        rows.collect::<rusqlite::Result<Vec<_>>>().db()
    }

    fn import_rows(&self, import_id: i64) -> Result<Vec<crate::io::ImportRowFate>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT import_id, line, record_id, action, previous, version FROM crm_import_rows WHERE import_id = ?1 ORDER BY rowid",
            )
            .db()?;
        let rows = st
            .query_map([import_id], |r| {
                let action: String = r.get(3)?;
                Ok(crate::io::ImportRowFate {
                    import_id: r.get(0)?,
                    line: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                    record: RecordId(r.get(2)?),
                    action: crate::io::RowAction::parse(&action).unwrap_or(crate::io::RowAction::Created),
                    previous: r.get(4)?,
                    version: u64::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
                })
            })
            .db()?;
        rows.collect::<rusqlite::Result<Vec<_>>>().db()
    }

    fn mappings(&self, module: &str) -> Result<Vec<crate::io::SavedMapping>> {
        let mut st = self.conn.prepare_cached("SELECT module, name, mapping FROM crm_import_maps WHERE module = ?1 ORDER BY name").db()?;
        let rows = st
            .query_map([module], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
            .db()?
            .collect::<rusqlite::Result<Vec<_>>>()
            .db()?;
        let mut out = Vec::new();
        for (module, name, json) in rows {
            let mapping = serde_json::from_str(&json).map_err(|e| StorageError::Corrupt(format!("saved mapping '{name}': {e}")))?;
            out.push(crate::io::SavedMapping { module, name, mapping });
        }
        Ok(out)
    }

    // ----- views, related records, settings -----
    fn filters(&self, module: &str) -> Result<Vec<Filter>> {
        let mut st = self.conn.prepare_cached("SELECT definition FROM crm_filters WHERE module = ?1 ORDER BY id").db()?;
        let rows = st.query_map([module], |r| r.get::<_, String>(0)).db()?.collect::<rusqlite::Result<Vec<_>>>().db()?;
        rows.iter()
            .map(|j| serde_json::from_str::<Filter>(j).map_err(|e| StorageError::Corrupt(format!("stored filter: {e}")).into()))
            .collect()
    }

    fn comments(&self, record: RecordId) -> Result<Vec<Comment>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT id, record_id, parent_id, author, at, body FROM crm_comments WHERE record_id = ?1 ORDER BY at DESC, id DESC",
            )
            .db()?;
        let rows = st.query_map([record.0], read_comment).db()?;
        rows.collect::<rusqlite::Result<Vec<_>>>().db()
    }

    fn comment(&self, id: i64) -> Result<Option<Comment>> {
        self.conn
            .prepare_cached("SELECT id, record_id, parent_id, author, at, body FROM crm_comments WHERE id = ?1")
            .db()?
            .query_row([id], read_comment)
            .optional()
            .db()
    }

    fn relations(&self, record: RecordId, module: Option<&str>, offset: u64, limit: Option<u64>) -> Result<Vec<Relation>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT e.id, e.module, r.role, r.quantity, r.price, r.at FROM crm_relations r
                 JOIN crm_entity e ON e.id = CASE WHEN r.record_id = ?1 THEN r.related_id ELSE r.record_id END
                 WHERE (r.record_id = ?1 OR r.related_id = ?1) AND (?2 IS NULL OR e.module = ?2)
                 ORDER BY r.id LIMIT ?3 OFFSET ?4",
            )
            .db()?;
        let lim = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let off = i64::try_from(offset).unwrap_or(i64::MAX);
        let dec = |s: Option<String>| s.as_deref().and_then(parse_decimal);
        let rows = st
            .query_map(params![record.0, module, lim, off], |r| {
                let at: String = r.get(5)?;
                Ok(Relation {
                    record,
                    related: RecordId(r.get(0)?),
                    module: r.get(1)?,
                    role: r.get(2)?,
                    quantity: dec(r.get(3)?),
                    price: dec(r.get(4)?),
                    at: parse_dt(&at),
                })
            })
            .db()?;
        rows.collect::<rusqlite::Result<Vec<_>>>().db()
    }

    fn count_relations(&self, record: RecordId, module: Option<&str>) -> Result<u64> {
        let n: i64 = self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM crm_relations r
                 JOIN crm_entity e ON e.id = CASE WHEN r.record_id = ?1 THEN r.related_id ELSE r.record_id END
                 WHERE (r.record_id = ?1 OR r.related_id = ?1) AND (?2 IS NULL OR e.module = ?2)",
            )
            .db()?
            .query_row(params![record.0, module], |r| r.get(0))
            .db()?;
        Ok(n.try_into().unwrap_or(0))
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        self.conn.prepare_cached("SELECT value FROM crm_settings WHERE key = ?1").db()?.query_row([key], |r| r.get(0)).optional().db()
    }

    // ----- schema customization -----
    fn schema_version(&self) -> Result<Option<u64>> {
        Self::stored_schema_version(&self.conn)
    }

    fn schema_changes(&self) -> Result<Vec<SchemaChangeEntry>> {
        let mut st = self.conn.prepare_cached("SELECT version, actor, at, change FROM crm_schema_changes ORDER BY version").db()?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?)))
            .db()?
            .collect::<rusqlite::Result<Vec<_>>>()
            .db()?;
        let mut out = Vec::with_capacity(rows.len());
        for (version, actor, at, json) in rows {
            let change = serde_json::from_str(&json).map_err(|e| StorageError::Corrupt(format!("schema change {version}: {e}")))?;
            out.push(SchemaChangeEntry { version: u64::try_from(version).unwrap_or(0), actor, at: parse_dt(&at), change });
        }
        Ok(out)
    }

    // ----- workflows -----
    fn workflows(&self) -> Result<Vec<Workflow>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT id, module, name, description, active, trigger_def, conditions, tasks, next_trigger, is_default FROM crm_workflows ORDER BY id")
            .db()?;
        let rows = st.query_map([], read_workflow).db()?.collect::<rusqlite::Result<Vec<_>>>().db()?;
        rows.into_iter().map(|r| r.map_err(|e| StorageError::Corrupt(format!("stored workflow: {e}")).into())).collect()
    }

    fn outbox(&self) -> Result<Vec<Mail>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT id, record_id, workflow_id, from_addr, reply_to, to_addrs, cc_addrs, bcc_addrs, subject, body, status, error, created_at, sent_at
                 FROM crm_outbox ORDER BY id",
            )
            .db()?;
        let rows = st
            .query_map([], |r| {
                let status: String = r.get(10)?;
                let created: String = r.get(12)?;
                let sent: Option<String> = r.get(13)?;
                Ok(Mail {
                    id: r.get(0)?,
                    record: r.get::<_, Option<i64>>(1)?.map(RecordId),
                    workflow: r.get(2)?,
                    from: r.get(3)?,
                    reply_to: r.get(4)?,
                    to: split_addrs(&r.get::<_, String>(5)?),
                    cc: split_addrs(&r.get::<_, String>(6)?),
                    bcc: split_addrs(&r.get::<_, String>(7)?),
                    subject: r.get(8)?,
                    body: r.get(9)?,
                    status: MailStatus::parse(&status).unwrap_or(MailStatus::Queued),
                    error: r.get(11)?,
                    created: parse_dt(&created),
                    sent: sent.as_deref().and_then(crate::value::parse_datetime),
                })
            })
            .db()?;
        rows.collect::<rusqlite::Result<Vec<_>>>().db()
    }

    fn activated_once(&self, workflow: i64, record: RecordId) -> Result<bool> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM crm_workflow_once WHERE workflow_id = ?1 AND record_id = ?2")
            .db()?
            .query_row(params![workflow, record.0], |r| r.get(0))
            .db()?;
        Ok(n > 0)
    }

    fn queued_tasks(&self) -> Result<Vec<QueuedTask>> {
        let mut st =
            self.conn.prepare_cached("SELECT id, workflow_id, task_index, record_id, due FROM crm_workflow_queue ORDER BY due, id").db()?;
        let rows = st
            .query_map([], |r| {
                let due: String = r.get(4)?;
                Ok(QueuedTask {
                    id: r.get(0)?,
                    workflow: r.get(1)?,
                    task: usize::try_from(r.get::<_, i64>(2)?).unwrap_or(usize::MAX),
                    record: RecordId(r.get(3)?),
                    due: parse_dt(&due),
                })
            })
            .db()?;
        rows.collect::<rusqlite::Result<Vec<_>>>().db()
    }

    // ----- schema freshness for reads -----
    fn newer_schema(&self, version: u64) -> Result<Option<std::sync::Arc<Schema>>> {
        if Self::stored_schema_version(&self.conn)?.is_none_or(|v| v == version) {
            return Ok(None);
        }
        let s = self.read_schema()?;
        Ok((s.version != version).then_some(s))
    }
    // ----- write path (import) -----
    fn auto_number_taken(&self, module: &Module, number: &str) -> Result<bool> {
        let Some(an) = &module.auto_number else { return Ok(false) };
        // The module table holds live and deleted records; the number's unique index answers in one probe.
        let sql = format!("SELECT 1 FROM {} WHERE {} = ?1 LIMIT 1", ident(&module.table_name())?, ident(&an.field)?);
        Ok(self.conn.prepare_cached(&sql).db()?.query_row([number], |_| Ok(())).optional().db()?.is_some())
    }
    // ----- reads -----
    fn aggregate_by_date_prefix(&self, q: &Query, field: &str, len: usize, sums: &[&str]) -> Result<Vec<Aggregate>> {
        let mut params = Vec::new();
        let s = self.read_schema()?;
        let m = s.modules.get(&q.module).ok_or_else(|| Error::invalid(format!("module '{}' is not in the stored schema", q.module)))?;
        let from = Self::from_where(m, q, &mut params)?;
        let f = m.field(field).ok_or_else(|| Error::invalid(format!("cannot group by unknown field '{field}'")))?;
        // Grouping by an expression: SQLite scans once and groups in a temporary b-tree instead of walking
        // the date index with a table lookup per row. `len` is a number, never input text.
        let key = format!("substr(t.{}, 1, {len})", ident(&f.name)?);
        let mut sql = format!("SELECT {key}, count(*)");
        for s in sums {
            let f = m.field(s).ok_or_else(|| Error::invalid(format!("cannot sum unknown field '{s}'")))?;
            sql.push_str(&format!(", crm_sum(t.{})", ident(&f.name)?));
        }
        sql.push_str(&format!(" {from} GROUP BY 1 ORDER BY 1"));
        let mut st = self.conn.prepare_cached(&sql).db()?;
        let rows = st
            .query_map(params_from_iter(params.iter()), |r| {
                let key = match r.get_ref(0)? {
                    ValueRef::Text(b) if !b.is_empty() => Value::Text(String::from_utf8_lossy(b).into_owned()),
                    _ => Value::Null,
                };
                let count: i64 = r.get(1)?;
                let mut out = Vec::with_capacity(sums.len());
                for i in 0..sums.len() {
                    let s: Option<String> = r.get(2 + i)?;
                    out.push(s.as_deref().and_then(parse_decimal).unwrap_or_default());
                }
                Ok(Aggregate { key, count: count.try_into().unwrap_or(0), sums: out })
            })
            .db()?;
        rows.collect::<rusqlite::Result<Vec<_>>>().db()
    }
    // ----- rows (bulk condition evaluation) -----
    /// Reads the columns of each selected record straight into its row's slots (the same `SELECT` as
    /// [`Store::query`], no map per record). When the stored module is not laid out as `layout` (another
    /// handle changed the schema), converts records instead, so rows always have the layout asked for.
    fn scan_rows(
        &self,
        q: &Query,
        layout: &std::sync::Arc<crate::row::RowLayout>,
        f: &mut dyn FnMut(crate::row::Row) -> bool,
    ) -> Result<()> {
        let s = self.read_schema()?;
        let m = s.modules.get(&q.module).ok_or_else(|| Error::invalid(format!("module '{}' is not in the stored schema", q.module)))?;
        if !layout.fits(m) {
            return super::rows_via_records(self, q, layout, f);
        }
        let (sql, params) = Self::select_sql(m, q)?; // the same SELECT as `query`
        let mut st = self.conn.prepare_cached(&sql).db()?;
        let mut rows = st.query(params_from_iter(params.iter())).db()?;
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

// ----- write path: compact creation entries -----
/// The `field` of the one `crm_history_detail` row that holds every field of a creation: `after` is a JSON
/// array of `[field, value]` pairs in the entry's order (read it with `json_each`). Not a field name (field
/// names are identifiers), so it cannot clash. Writing one row instead of one per field keeps a creation
/// cheap; [`Store::history`] expands it, so the change log reads exactly as before. Entries whose fields
/// all had no value before (creations) are stored this way; every other entry keeps one row per field.
const CREATED_FIELDS: &str = "*created";

/// Live records of a module with a given folded label.
const FIND_BY_LABEL: &str = "SELECT id FROM crm_entity WHERE module = ?1 AND label_key = ?2 AND deleted = 0 ORDER BY id";

/// The compact form of an entry, when it is a creation with at least one field.
fn compact_creation(h: &HistoryEntry) -> Option<String> {
    if h.kind != ChangeKind::Created || h.changes.is_empty() || h.changes.iter().any(|d| d.before.is_some()) {
        return None;
    }
    let pairs: Vec<(&str, Option<&str>)> = h.changes.iter().map(|d| (d.field.as_str(), d.after.as_deref())).collect();
    serde_json::to_string(&pairs).ok()
}

/// Reads [`compact_creation`]'s JSON back into field changes.
fn expand_creation(json: &str) -> Result<Vec<FieldChange>> {
    let pairs: Vec<(String, Option<String>)> =
        serde_json::from_str(json).map_err(|e| StorageError::Corrupt(format!("compact creation entry: {e}")))?;
    Ok(pairs.into_iter().map(|(field, after)| FieldChange { field, before: None, after }).collect())
}

/// `execute` through the statement cache: hot writes are parsed once per connection.
fn exec<P: rusqlite::Params>(tx: &Connection, sql: &str, params: P) -> rusqlite::Result<usize> {
    tx.prepare_cached(sql)?.execute(params)
}

fn purge_related(tx: &Connection, id: RecordId) -> Result<()> {
    exec(tx, "DELETE FROM crm_relations WHERE record_id = ?1 OR related_id = ?1", [id.0]).db()?;
    exec(tx, "DELETE FROM crm_comments WHERE record_id = ?1", [id.0]).db()?;
    Ok(())
}

fn read_comment(r: &rusqlite::Row<'_>) -> rusqlite::Result<Comment> {
    let at: String = r.get(4)?;
    Ok(Comment { id: r.get(0)?, record: RecordId(r.get(1)?), parent: r.get(2)?, author: r.get(3)?, at: parse_dt(&at), text: r.get(5)? })
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
        let st = store.conn.prepare_cached(FIND_BY_LABEL).expect("cached");
        assert_eq!(st.get_status(rusqlite::StatementStatus::Run), 3);
        assert_eq!(st.get_status(rusqlite::StatementStatus::RePrepare), 0);
    }
}
