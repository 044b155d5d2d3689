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
//!   typed: money, percentages and decimals `NUMERIC` (exact, never floating point), whole numbers,
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
//! Queries are compiled to SQL with bound parameters only; identifiers come only from the schema and are
//! quoted. Case-insensitive text tests compare `lower(...)` under an ICU collation when the server has one
//! (else the database's default), against the needle folded in Rust — the same Unicode lower-casing for
//! everything but a few special cases (`İ`).

use super::{AutoNumberState, Change, ChangeSet, Store, increment_counter};
use crate::error::{Error, Result, StorageError};
use crate::history::{ChangeKind, FieldChange, HistoryEntry, StageEntry};
use crate::query::{Aggregate, Condition, Op, Query, fold};
use crate::record::Record;
use crate::related::{Comment, Relation};
use crate::schema::edit::SchemaChangeEntry;
use crate::schema::{Field, FieldType, Module, Schema};
use crate::user::{Group, User};
use crate::value::{MULTI_SEPARATOR, OwnerId, RecordId, Value};
use crate::view::Filter;
use crate::workflow::mail::{Mail, MailStatus};
use crate::workflow::{QueuedTask, Workflow};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement};
use rust_decimal::Decimal;
use std::cell::{Cell, RefCell, RefMut};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

mod bulk;
mod numeric;

/// The layout version this build writes (the highest row of `crm_migrations`).
pub const LAYOUT_VERSION: i32 = 1;

/// Advisory lock keys (database-wide): layout migration, id-block allocation and setup (defaults).
const LOCK_MIGRATE: i64 = 0x0063_726d_6d69_6772;
const LOCK_IDS: i64 = 0x0063_726d_0069_6473;
const LOCK_SETUP: i64 = 0x0063_726d_7365_7475;

/// A bound parameter.
type P = Box<dyn ToSql + Sync + Send>;

/// A store in one PostgreSQL database (or schema), through one connection.
pub struct PostgresStore {
    conn: RefCell<Conn>,
    schema: Option<Arc<Schema>>,
    /// The stored schema when another connection changed it after this one loaded its own.
    newer: RefCell<Option<Arc<Schema>>>,
    /// True while a unit of work holds a transaction open.
    unit: bool,
    /// True when the open unit wrote something (its end bumps the data version).
    unit_wrote: bool,
    /// Auto-number counters taken inside the open unit: the first take locks the counter row
    /// (`FOR UPDATE`) until the unit ends, so the rest are counted here and written back once at its end.
    unit_numbers: std::collections::HashMap<String, AutoNumberState>,
    /// How often this connection bumped `crm_data_version` (see [`Store::data_version`]).
    own_bumps: Cell<i64>,
    /// The data version [`Store::schema_version`] read in the same round trip, with the connection's
    /// statement count right after: it answers the next [`Store::data_version`] if no statement ran between.
    version_ahead: Cell<Option<(u64, i64)>>,
    /// The collation `lower()` uses for case-insensitive tests (quoted identifier).
    fold_collation: String,
    /// Where it is connected (without password), for `Debug`.
    target: String,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").field("target", &self.target).finish_non_exhaustive()
    }
}

/// The connection with its prepared statements.
struct Conn {
    client: Client,
    stmts: HashMap<String, Statement>,
    /// A statement failed since the open transaction's last good point: PostgreSQL has aborted it, and a
    /// later `COMMIT` would silently roll back (see [`Store::end_unit`]).
    failed: bool,
    /// Statements sent so far.
    sent: u64,
}

fn map_err(e: postgres::Error) -> Error {
    use postgres::error::SqlState as S;
    let msg = match e.as_db_error() {
        Some(d) => match d.detail() {
            Some(detail) => format!("{}: {detail}", d.message()),
            None => d.message().to_string(),
        },
        None => {
            // The client's message names the step ("error connecting to server"); the cause is its source.
            let mut m = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                m.push_str(": ");
                m.push_str(&s.to_string());
                src = s.source();
            }
            m
        }
    };
    use crate::error::ErrorKind as K;
    let kind = match e.code() {
        Some(c) if c.code().starts_with("23") => K::Duplicate,
        Some(c) if *c == S::T_R_SERIALIZATION_FAILURE || *c == S::T_R_DEADLOCK_DETECTED || *c == S::LOCK_NOT_AVAILABLE => K::Busy,
        None if e.is_closed() => return Error::Storage(StorageError::Io(std::io::Error::other(msg))),
        _ => K::Storage,
    };
    // The driver's error stays the typed source; the message above is what people read.
    Error::Storage(StorageError::driver(kind, msg, e))
}

trait PgResult<T> {
    fn db(self) -> Result<T>;
}
impl<T> PgResult<T> for std::result::Result<T, postgres::Error> {
    fn db(self) -> Result<T> {
        self.map_err(map_err)
    }
}

fn refs(params: &[P]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect()
}

impl Conn {
    fn stmt(&mut self, sql: &str) -> Result<Statement> {
        self.sent += 1;
        if let Some(s) = self.stmts.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql).db().inspect_err(|_| self.failed = true)?;
        if self.stmts.len() > 1024 {
            self.stmts.clear();
        }
        self.stmts.insert(sql.to_string(), s.clone());
        Ok(s)
    }
    fn query(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let s = self.stmt(sql)?;
        self.client.query(&s, params).db().inspect_err(|_| self.failed = true)
    }
    fn query_opt(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>> {
        let s = self.stmt(sql)?;
        self.client.query_opt(&s, params).db().inspect_err(|_| self.failed = true)
    }
    fn query_one(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row> {
        let s = self.stmt(sql)?;
        self.client.query_one(&s, params).db().inspect_err(|_| self.failed = true)
    }
    fn execute(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let s = self.stmt(sql)?;
        self.client.execute(&s, params).db().inspect_err(|_| self.failed = true)
    }
    /// Runs statements without parameters (DDL, transaction control).
    fn batch(&mut self, sql: &str) -> Result<()> {
        self.sent += 1;
        self.client.batch_execute(sql).db().inspect_err(|_| self.failed = true)
    }
}

/// The stored schema version's text as a number.
fn parse_schema_version(v: String) -> Result<Option<u64>> {
    v.parse().map(Some).map_err(|_| StorageError::Corrupt(format!("schema_version '{v}'")).into())
}

/// Reads a column, mapping a type mismatch to a storage error.
fn get<'a, T: postgres::types::FromSql<'a>>(row: &'a Row, i: usize) -> Result<T> {
    row.try_get(i).map_err(|e| StorageError::Corrupt(format!("column {i}: {e}")).into())
}

/// Quotes an identifier that comes from the schema, refusing anything that is not a plain identifier
/// (PostgreSQL keeps at most 63 bytes of a name).
fn ident(name: &str) -> Result<String> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok && name.len() <= 63 { Ok(format!("\"{name}\"")) } else { Err(Error::invalid(format!("'{name}' is not a valid identifier"))) }
}

/// How a field type is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Num,
    Bool,
    Date,
    Ts,
    Time,
    Text,
}

fn kind(t: FieldType) -> Kind {
    match t {
        FieldType::Integer | FieldType::Reference | FieldType::Owner => Kind::Int,
        FieldType::Decimal | FieldType::Currency | FieldType::Percent => Kind::Num,
        FieldType::Checkbox => Kind::Bool,
        FieldType::Date => Kind::Date,
        FieldType::DateTime => Kind::Ts,
        FieldType::Time => Kind::Time,
        _ => Kind::Text,
    }
}

fn column_type(t: FieldType) -> &'static str {
    match kind(t) {
        Kind::Int => "BIGINT",
        Kind::Num => "NUMERIC",
        Kind::Bool => "BOOLEAN",
        Kind::Date => "DATE",
        Kind::Ts => "TIMESTAMP",
        Kind::Time => "TIME",
        Kind::Text => "TEXT COLLATE \"C\"",
    }
}

/// A value converted to its column's type (`None` inside is SQL NULL).
enum Typed {
    Int(Option<i64>),
    Num(Option<Decimal>),
    Bool(Option<bool>),
    Date(Option<NaiveDate>),
    Ts(Option<NaiveDateTime>),
    Time(Option<NaiveTime>),
    Text(Option<String>),
}

impl Typed {
    /// The value as one statement parameter.
    fn param(self) -> P {
        match self {
            Typed::Int(v) => Box::new(v),
            Typed::Num(v) => Box::new(v.map(numeric::Numeric)),
            Typed::Bool(v) => Box::new(v),
            Typed::Date(v) => Box::new(v),
            Typed::Ts(v) => Box::new(v),
            Typed::Time(v) => Box::new(v),
            Typed::Text(v) => Box::new(v),
        }
    }
}

/// A value as a parameter of the field's column type; `None` when it does not fit that type.
fn value_param(t: FieldType, v: &Value) -> Option<P> {
    value_typed(t, v).map(Typed::param)
}

/// A value in the field's column type; `None` when it does not fit that type.
fn value_typed(t: FieldType, v: &Value) -> Option<Typed> {
    let text = v.to_text();
    Some(match kind(t) {
        Kind::Int => Typed::Int(match v {
            Value::Null => None,
            Value::Int(i) => Some(*i),
            Value::Ref(r) => Some(r.0),
            Value::Owner(o) => Some(o.0),
            _ => match &text {
                None => None,
                Some(s) => Some(s.trim().parse::<i64>().ok()?),
            },
        }),
        Kind::Num => Typed::Num(match v {
            Value::Null => None,
            Value::Decimal(d) => Some(*d),
            Value::Int(i) => Some(Decimal::from(*i)),
            _ => match &text {
                None => None,
                Some(s) => Some(crate::value::parse_decimal(s)?),
            },
        }),
        Kind::Bool => Typed::Bool(match v {
            Value::Null => None,
            Value::Bool(b) => Some(*b),
            Value::Int(i) => Some(*i != 0),
            _ => match text.as_deref().map(str::trim) {
                None => None,
                Some("1") => Some(true),
                Some("0") => Some(false),
                Some(s) if s.eq_ignore_ascii_case("true") => Some(true),
                Some(s) if s.eq_ignore_ascii_case("false") => Some(false),
                Some(_) => return None,
            },
        }),
        Kind::Date => Typed::Date(match v {
            Value::Null => None,
            Value::Date(d) => Some(*d),
            Value::DateTime(d) => Some(d.date()),
            _ => match &text {
                None => None,
                Some(s) => Some(crate::value::parse_date(s)?),
            },
        }),
        Kind::Ts => Typed::Ts(match v {
            Value::Null => None,
            Value::DateTime(d) => Some(whole_seconds(*d)),
            Value::Date(d) => Some(d.and_time(NaiveTime::MIN)),
            _ => match &text {
                None => None,
                Some(s) => Some(crate::value::parse_datetime(s)?),
            },
        }),
        Kind::Time => Typed::Time(match v {
            Value::Null => None,
            Value::Time(t) => Some(t.with_nanosecond(0).unwrap_or(*t)),
            _ => match &text {
                None => None,
                Some(s) => Some(NaiveTime::parse_from_str(s.trim(), "%H:%M:%S").ok()?),
            },
        }),
        Kind::Text => Typed::Text(text),
    })
}

fn whole_seconds(d: NaiveDateTime) -> NaiveDateTime {
    d.with_nanosecond(0).unwrap_or(d)
}

/// A value bound for field `f`, or an `InvalidArgument` naming the field.
fn bind_value(f: &Field, v: &Value) -> Result<P> {
    field_value(f, v).map(Typed::param)
}

/// A value in field `f`'s column type, or an `InvalidArgument` naming the field.
fn field_value(f: &Field, v: &Value) -> Result<Typed> {
    value_typed(f.field_type, v)
        .ok_or_else(|| Error::invalid(format!("field '{}': '{v}' does not fit a {:?} column", f.name, f.field_type)))
}

/// Reads column `i` as a value of field type `t`.
fn read_value(row: &Row, i: usize, t: FieldType) -> Result<Value> {
    Ok(match kind(t) {
        Kind::Int => match get::<Option<i64>>(row, i)? {
            None => Value::Null,
            Some(n) => match t {
                FieldType::Reference => Value::Ref(RecordId(n)),
                FieldType::Owner => Value::Owner(OwnerId(n)),
                _ => Value::Int(n),
            },
        },
        Kind::Num => get::<Option<Decimal>>(row, i)?.map_or(Value::Null, Value::Decimal),
        Kind::Bool => get::<Option<bool>>(row, i)?.map_or(Value::Null, Value::Bool),
        Kind::Date => get::<Option<NaiveDate>>(row, i)?.map_or(Value::Null, Value::Date),
        Kind::Ts => get::<Option<NaiveDateTime>>(row, i)?.map_or(Value::Null, Value::DateTime),
        Kind::Time => get::<Option<NaiveTime>>(row, i)?.map_or(Value::Null, Value::Time),
        Kind::Text => get::<Option<String>>(row, i)?.map_or(Value::Null, |s| Value::from_text(t, &s)),
    })
}

fn fmt_dt(t: NaiveDateTime) -> String {
    crate::value::format_datetime(t)
}

fn parse_dt(s: &str) -> NaiveDateTime {
    crate::value::parse_datetime(s).unwrap_or_default()
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StorageError::Backend(e.to_string()).into())
}

fn split_addrs(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|a| !a.is_empty()).map(str::to_string).collect()
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

const BASE_TABLES: &str = r#"
CREATE TABLE IF NOT EXISTS crm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE SEQUENCE IF NOT EXISTS crm_ids;
CREATE SEQUENCE IF NOT EXISTS crm_data_version;
CREATE TABLE IF NOT EXISTS crm_autonum (module TEXT PRIMARY KEY, prefix TEXT NOT NULL, next TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS crm_entity (
    id BIGINT PRIMARY KEY,
    module TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    label_key TEXT NOT NULL DEFAULT '',
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS crm_entity_label ON crm_entity (module, label_key);
CREATE TABLE IF NOT EXISTS crm_history (
    id BIGSERIAL PRIMARY KEY,
    record_id BIGINT NOT NULL,
    module TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    related_id BIGINT
);
CREATE INDEX IF NOT EXISTS crm_history_record ON crm_history (record_id, id);
CREATE TABLE IF NOT EXISTS crm_history_detail (
    id BIGSERIAL PRIMARY KEY,
    history_id BIGINT NOT NULL REFERENCES crm_history (id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX IF NOT EXISTS crm_history_detail_history ON crm_history_detail (history_id, id);
CREATE TABLE IF NOT EXISTS crm_stage_history (
    id BIGSERIAL PRIMARY KEY,
    record_id BIGINT NOT NULL,
    stage TEXT,
    amount NUMERIC,
    probability NUMERIC,
    forecast_amount NUMERIC,
    closingdate DATE,
    at TEXT NOT NULL,
    actor TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS crm_stage_history_record ON crm_stage_history (record_id, id);
CREATE TABLE IF NOT EXISTS crm_users (
    id BIGINT PRIMARY KEY,
    user_name TEXT NOT NULL,
    full_name TEXT NOT NULL,
    email TEXT NOT NULL,
    role TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE UNIQUE INDEX IF NOT EXISTS crm_users_name ON crm_users (lower(user_name COLLATE "C"));
CREATE TABLE IF NOT EXISTS crm_groups (id BIGINT PRIMARY KEY, name TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS crm_groups_name ON crm_groups (lower(name COLLATE "C"));
CREATE TABLE IF NOT EXISTS crm_group_members (
    group_id BIGINT NOT NULL REFERENCES crm_groups (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
"#;

const IMPORT_TABLES: &str = r#"
CREATE TABLE IF NOT EXISTS crm_imports (
    id BIGINT PRIMARY KEY,
    module TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    status TEXT NOT NULL,
    rows BIGINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    merged BIGINT NOT NULL DEFAULT 0,
    skipped BIGINT NOT NULL DEFAULT 0,
    failed BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS crm_import_rows (
    id BIGSERIAL PRIMARY KEY,
    import_id BIGINT NOT NULL REFERENCES crm_imports (id) ON DELETE CASCADE,
    line BIGINT NOT NULL,
    record_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    previous TEXT,
    version BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS crm_import_rows_import ON crm_import_rows (import_id, id);
CREATE TABLE IF NOT EXISTS crm_import_maps (module TEXT NOT NULL, name TEXT NOT NULL, mapping TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS crm_import_maps_name ON crm_import_maps (module, lower(name COLLATE "C"));
"#;

const VIEW_RELATED_TABLES: &str = r#"
CREATE TABLE IF NOT EXISTS crm_filters (
    id BIGINT PRIMARY KEY,
    module TEXT NOT NULL,
    name TEXT NOT NULL,
    visibility TEXT NOT NULL,
    owner TEXT,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    definition TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS crm_filters_module ON crm_filters (module, id);
CREATE TABLE IF NOT EXISTS crm_comments (
    id BIGINT PRIMARY KEY,
    record_id BIGINT NOT NULL,
    parent_id BIGINT,
    author TEXT NOT NULL,
    at TEXT COLLATE "C" NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS crm_comments_record ON crm_comments (record_id, at, id);
CREATE TABLE IF NOT EXISTS crm_relations (
    id BIGSERIAL PRIMARY KEY,
    record_id BIGINT NOT NULL,
    related_id BIGINT NOT NULL,
    module TEXT NOT NULL,
    role TEXT,
    quantity NUMERIC,
    price NUMERIC,
    at TEXT NOT NULL,
    UNIQUE (record_id, related_id)
);
CREATE INDEX IF NOT EXISTS crm_relations_related ON crm_relations (related_id, id);
CREATE TABLE IF NOT EXISTS crm_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"#;

const CUSTOMIZE_TABLES: &str = r#"
CREATE TABLE IF NOT EXISTS crm_schema_changes (
    version BIGINT PRIMARY KEY,
    op TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    change TEXT NOT NULL
);
"#;

const WORKFLOW_TABLES: &str = r#"
CREATE TABLE IF NOT EXISTS crm_workflows (
    id BIGINT PRIMARY KEY,
    module TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    execution_condition BIGINT NOT NULL,
    trigger_def TEXT NOT NULL,
    conditions TEXT NOT NULL,
    tasks TEXT NOT NULL,
    next_trigger TEXT,
    is_default BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE IF NOT EXISTS crm_outbox (
    id BIGINT PRIMARY KEY,
    record_id BIGINT,
    workflow_id BIGINT,
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
    workflow_id BIGINT NOT NULL,
    record_id BIGINT NOT NULL,
    PRIMARY KEY (workflow_id, record_id)
);
CREATE TABLE IF NOT EXISTS crm_workflow_queue (
    id BIGINT PRIMARY KEY,
    workflow_id BIGINT NOT NULL,
    task_index BIGINT NOT NULL,
    record_id BIGINT NOT NULL,
    due TEXT COLLATE "C" NOT NULL
);
CREATE INDEX IF NOT EXISTS crm_workflow_queue_due ON crm_workflow_queue (due, id);
"#;

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
        let fold_collation = if icu { "\"und-x-icu\"" } else { "\"default\"" }.to_string();
        let mut store = PostgresStore {
            conn: RefCell::new(Conn { client, stmts: HashMap::new(), failed: false, sent: 0 }),
            schema: None,
            newer: RefCell::new(None),
            unit: false,
            unit_wrote: false,
            unit_numbers: Default::default(),
            own_bumps: Cell::new(0),
            version_ahead: Cell::new(None),
            fold_collation,
            target,
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<()> {
        let c = self.conn.get_mut();
        c.batch(&format!("BEGIN; SELECT pg_advisory_xact_lock({LOCK_MIGRATE})"))?;
        let done = (|| {
            c.batch(
                "CREATE TABLE IF NOT EXISTS crm_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
            )?;
            let found: Option<i32> = get(&c.query_one("SELECT max(version) FROM crm_migrations", &[])?, 0)?;
            let found = found.unwrap_or(0);
            if found > LAYOUT_VERSION {
                return Err(StorageError::IncompatibleVersion { found: i64::from(found), supported: i64::from(LAYOUT_VERSION) }.into());
            }
            // Every object is created with IF NOT EXISTS: idempotent, and adds what later features bring.
            c.batch(BASE_TABLES)?;
            c.batch(IMPORT_TABLES)?;
            c.batch(VIEW_RELATED_TABLES)?;
            c.batch(CUSTOMIZE_TABLES)?;
            c.batch(WORKFLOW_TABLES)?;
            // Steps that change existing tables go here, one layout version at a time: `if found < 2 { ... }`.
            c.execute("INSERT INTO crm_migrations (version) VALUES ($1) ON CONFLICT (version) DO NOTHING", &[&LAYOUT_VERSION])?;
            Ok(())
        })();
        match done {
            Ok(()) => c.batch("COMMIT"),
            Err(e) => {
                let _ = c.batch("ROLLBACK");
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

    /// Runs `f` in one write transaction: its own, or a savepoint of the open unit of work. On error
    /// everything `f` wrote is rolled back (only to the savepoint inside a unit).
    fn write<T>(&mut self, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        let unit = self.unit;
        let c = self.conn.get_mut();
        if unit {
            c.batch("SAVEPOINT crm_write")?;
            match f(c) {
                Ok(v) => {
                    c.batch("RELEASE SAVEPOINT crm_write")?;
                    self.unit_wrote = true;
                    Ok(v)
                }
                Err(e) => {
                    // Back to the savepoint: the unit's transaction is healthy again.
                    if c.batch("ROLLBACK TO SAVEPOINT crm_write; RELEASE SAVEPOINT crm_write").is_ok() {
                        c.failed = false;
                    }
                    Err(e)
                }
            }
        } else {
            c.batch("BEGIN")?;
            let out = match f(c) {
                Ok(v) => v,
                Err(e) => {
                    let _ = c.batch("ROLLBACK");
                    return Err(e);
                }
            };
            if let Err(e) = c.batch("COMMIT") {
                let _ = c.batch("ROLLBACK");
                return Err(e);
            }
            self.bump()?;
            Ok(out)
        }
    }

    fn select_list(m: &Module) -> Result<String> {
        let mut s = String::from("e.id, e.label, e.deleted, e.version");
        for f in &m.fields {
            s.push_str(", t.");
            s.push_str(&ident(&f.name)?);
        }
        Ok(s)
    }

    fn read_row(m: &Module, row: &Row) -> Result<Record> {
        let mut values = BTreeMap::new();
        for (i, f) in m.fields.iter().enumerate() {
            let v = read_value(row, 4 + i, f.field_type)?;
            if !v.is_empty() {
                values.insert(f.name.clone(), v);
            }
        }
        Ok(Record {
            id: RecordId(get(row, 0)?),
            module: m.name.clone(),
            label: get(row, 1)?,
            deleted: get(row, 2)?,
            version: count(get(row, 3)?),
            values,
        })
    }

    /// Writes a changed record's fields (new records go through [`bulk::insert_records`]).
    fn update_record(c: &mut Conn, m: &Module, r: &Record) -> Result<()> {
        if m.fields.is_empty() {
            return Ok(());
        }
        let mut vals: Vec<P> = Vec::with_capacity(m.fields.len() + 1);
        vals.push(Box::new(r.id.0));
        let mut sets = Vec::with_capacity(m.fields.len());
        for (i, f) in m.fields.iter().enumerate() {
            vals.push(bind_value(f, r.get(&f.name))?);
            sets.push(format!("{} = ${}", ident(&f.name)?, i + 2));
        }
        let sql = format!("UPDATE {} SET {} WHERE id = $1", ident(&m.table_name())?, sets.join(", "));
        c.execute(&sql, &refs(&vals))?;
        Ok(())
    }

    /// Stores the schema (JSON in `crm_meta`, its version beside it) and makes the layout follow it:
    /// tables, new columns, indexes. Columns are never dropped here.
    fn write_schema(c: &mut Conn, schema: &Schema) -> Result<()> {
        let json = to_json(schema)?;
        for m in schema.modules.values() {
            let table = ident(&m.table_name())?;
            let existing: Vec<String> = c
                .query(
                    "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
                    &[&m.table_name()],
                )?
                .iter()
                .map(|r| get::<String>(r, 0))
                .collect::<Result<_>>()?;
            if existing.is_empty() {
                let mut cols = vec!["id BIGINT PRIMARY KEY REFERENCES crm_entity (id) ON DELETE CASCADE".to_string()];
                for f in &m.fields {
                    cols.push(format!("{} {}", ident(&f.name)?, column_type(f.field_type)));
                }
                c.batch(&format!("CREATE TABLE {table} ({})", cols.join(", ")))?;
            }
            let existing: Vec<String> = if existing.is_empty() { m.fields.iter().map(|f| f.name.clone()).collect() } else { existing };
            for f in &m.fields {
                if !existing.iter().any(|x| x.eq_ignore_ascii_case(&f.name)) {
                    c.batch(&format!("ALTER TABLE {table} ADD COLUMN {} {}", ident(&f.name)?, column_type(f.field_type)))?;
                }
                let indexed = matches!(f.field_type, FieldType::Reference | FieldType::Owner)
                    || m.indexed.contains(&f.name)
                    || m.entity_fields.first() == Some(&f.name);
                let unique = m.auto_number.as_ref().is_some_and(|a| a.field == f.name);
                if indexed || unique {
                    let name = ident(&index_name(&m.table_name(), &f.name))?;
                    c.batch(&format!(
                        "CREATE {}INDEX IF NOT EXISTS {name} ON {table} ({})",
                        if unique { "UNIQUE " } else { "" },
                        ident(&f.name)?
                    ))?;
                }
            }
            Self::write_declared_indexes(c, m)?; // declared indexes
        }
        c.execute(
            "INSERT INTO crm_meta (key, value) VALUES ('schema', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&json],
        )?;
        c.execute(
            "INSERT INTO crm_meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&schema.version.to_string()],
        )?;
        Ok(())
    }

    // ----- declared indexes -----
    /// Creates the module's declared indexes (`crm_ix_<table>_<n>`) and drops those of its table that are no
    /// longer declared. Columns are `NULLS FIRST` so that a forward scan gives crm's ascending order (empty
    /// first) and a backward scan its descending order (empty last). Names and columns come from the schema.
    fn write_declared_indexes(c: &mut Conn, m: &Module) -> Result<()> {
        let table = ident(&m.table_name())?;
        let prefix = format!("crm_ix_{}_", m.table_name());
        let present: Vec<String> = c
            .query("SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1", &[&m.table_name()])?
            .iter()
            .map(|r| get::<String>(r, 0))
            .collect::<Result<_>>()?;
        let wanted: Vec<String> = m.indexes.iter().map(|i| i.sql_name(m)).collect();
        for name in present.iter().filter(|n| n.starts_with(&prefix) && !wanted.contains(n)) {
            c.batch(&format!("DROP INDEX IF EXISTS {}", ident(name)?))?;
        }
        for (ix, name) in m.indexes.iter().zip(&wanted) {
            let mut cols = Vec::with_capacity(ix.fields.len());
            for f in &ix.fields {
                let fd = m.field(f).ok_or_else(|| Error::invalid(format!("index {name}: {} has no field '{f}'", m.name)))?;
                cols.push(format!("{} NULLS FIRST", ident(&fd.name)?));
            }
            c.batch(&format!("CREATE INDEX IF NOT EXISTS {} ON {table} ({})", ident(name)?, cols.join(", ")))?;
        }
        Ok(())
    }

    /// For a [`Change::ClearField`] or [`Change::ReplacePicklistValue`]: locks the `crm_entity` rows of the
    /// records it is about to rewrite, in id order. [`Store::commit`] does it before anything else in the
    /// transaction: a record save takes its entity row and then its module table, and the schema write
    /// beside a rewrite locks the module tables (`CREATE INDEX IF NOT EXISTS`), so a rewrite that waited
    /// for an entity row only after that would deadlock with the save.
    fn lock_rewritten(c: &mut Conn, schema: &Schema, ch: &Change) -> Result<()> {
        let (m, field, from) = match ch {
            Change::ClearField { module, field, .. } => (module, field, None),
            Change::ReplacePicklistValue { module, field, from, .. } => (module, field, Some(from)),
            _ => return Ok(()),
        };
        let m = Self::module(schema, m)?;
        let Some(f) = m.field(field) else { return Ok(()) };
        let (table, column) = (ident(&m.table_name())?, ident(&f.name)?);
        let lock = |filter: &str| {
            format!("SELECT e.id FROM crm_entity e WHERE e.id IN (SELECT id FROM {table} WHERE {filter}) ORDER BY e.id FOR UPDATE")
        };
        match from {
            None => c.query(&lock(&format!("{column} IS NOT NULL")), &[])?,
            Some(from) if f.field_type == FieldType::MultiPicklist => {
                let needle = format!("{MULTI_SEPARATOR}{from}{MULTI_SEPARATOR}");
                c.query(&lock(&format!("strpos($2 || {column} || $2, $1) > 0")), &[&needle, &MULTI_SEPARATOR])?
            }
            Some(from) if kind(f.field_type) == Kind::Text => c.query(&lock(&format!("{column} = $1")), &[from])?,
            Some(_) => return Ok(()),
        };
        Ok(())
    }

    fn stored_schema_version(c: &mut Conn, lock: bool) -> Result<Option<u64>> {
        let sql = if lock {
            "SELECT value FROM crm_meta WHERE key = 'schema_version' FOR UPDATE"
        } else {
            "SELECT value FROM crm_meta WHERE key = 'schema_version'"
        };
        match c.query_opt(sql, &[])? {
            None => Ok(None),
            Some(r) => parse_schema_version(get(&r, 0)?),
        }
    }

    /// The schema reads use: this handle's own, or — when another connection stored a newer one since —
    /// the stored one (loaded once per version).
    fn read_schema(&self) -> Result<Arc<Schema>> {
        let own = self.schema.as_ref().ok_or_else(|| Error::invalid("no schema stored yet"))?;
        let mut c = self.conn()?;
        let stored = Self::stored_schema_version(&mut c, false)?;
        if stored.is_none_or(|v| v == own.version) {
            return Ok(Arc::clone(own));
        }
        if let Some(n) = self.newer.borrow().as_ref().filter(|n| Some(n.version) == stored) {
            return Ok(Arc::clone(n));
        }
        let json: Option<String> = match c.query_opt("SELECT value FROM crm_meta WHERE key = 'schema'", &[])? {
            Some(r) => Some(get(&r, 0)?),
            None => None,
        };
        let Some(json) = json else { return Ok(Arc::clone(own)) };
        let s = Arc::new(serde_json::from_str::<Schema>(&json).map_err(|e| StorageError::Corrupt(format!("stored schema: {e}")))?);
        *self.newer.borrow_mut() = Some(Arc::clone(&s));
        Ok(s)
    }

    /// Builds `FROM ... WHERE ...` for a query, pushing its condition down.
    fn from_where(&self, m: &Module, q: &Query, params: &mut Vec<P>) -> Result<String> {
        let mut sql = format!(
            "FROM {} t JOIN crm_entity e ON e.id = t.id WHERE e.deleted = {}",
            ident(&m.table_name())?,
            if q.deleted { "TRUE" } else { "FALSE" }
        );
        if let Some(cond) = &q.condition {
            sql.push_str(" AND ");
            compile(cond, m, &self.fold_collation, &mut sql, params)?;
        }
        Ok(sql)
    }

    fn module<'s>(s: &'s Schema, name: &str) -> Result<&'s Module> {
        s.modules.get(name).ok_or_else(|| Error::invalid(format!("module '{name}' is not in the stored schema")))
    }

    fn apply(c: &mut Conn, schema: &Schema, ch: &Change) -> Result<()> {
        let module = |name: &str| schema.modules.get(name).ok_or_else(|| Error::invalid(format!("unknown module '{name}'")));
        match ch {
            Change::Insert(r) => bulk::insert_records(c, module(&r.module)?, &[r])?,
            Change::Update { record: r, expected_version } => {
                // Optimistic concurrency in SQL: a concurrent writer of the same row makes this wait, then
                // see the new version and match nothing.
                let n = c.execute(
                    "UPDATE crm_entity SET label = $1, label_key = $2, deleted = $3, version = $4 WHERE id = $5 AND version = $6",
                    &[&r.label, &fold(r.label.trim()), &r.deleted, &signed(r.version), &r.id.0, &signed(*expected_version)],
                )?;
                if n == 0 {
                    let found = c.query_opt("SELECT version FROM crm_entity WHERE id = $1", &[&r.id.0])?;
                    return Err(match found {
                        None => Error::not_found(format!("record {}", r.id)),
                        Some(row) => Error::Conflict(format!(
                            "record {} was changed by someone else (version {}, expected {expected_version})",
                            r.id,
                            get::<i64>(&row, 0)?
                        )),
                    });
                }
                Self::update_record(c, module(&r.module)?, r)?;
            }
            Change::Purge { id, expected_version } => {
                // Only a record still in the recycle bin at the version the purge saw: a concurrent restore
                // holds the row, and once it commits this matches nothing.
                let n =
                    c.execute("DELETE FROM crm_entity WHERE id = $1 AND deleted AND version = $2", &[&id.0, &signed(*expected_version)])?;
                if n == 0 {
                    let found = c.query_opt("SELECT deleted, version FROM crm_entity WHERE id = $1", &[&id.0])?;
                    let found = match found {
                        Some(r) => Some((get::<bool>(&r, 0)?, count(get(&r, 1)?))),
                        None => None,
                    };
                    return Err(super::purge_refused(*id, *expected_version, found));
                }
                c.execute("DELETE FROM crm_history WHERE record_id = $1", &[&id.0])?;
                c.execute("DELETE FROM crm_stage_history WHERE record_id = $1", &[&id.0])?;
                c.execute("DELETE FROM crm_relations WHERE record_id = $1 OR related_id = $1", &[&id.0])?;
                c.execute("DELETE FROM crm_comments WHERE record_id = $1", &[&id.0])?;
            }
            Change::History(h) => {
                let fields: Vec<&str> = h.changes.iter().map(|d| d.field.as_str()).collect();
                let before: Vec<Option<&str>> = h.changes.iter().map(|d| d.before.as_deref()).collect();
                let after: Vec<Option<&str>> = h.changes.iter().map(|d| d.after.as_deref()).collect();
                // One round trip: the entry and its detail rows (in order).
                c.execute(
                    "WITH h AS (INSERT INTO crm_history (record_id, module, actor, at, kind, related_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id)
                     INSERT INTO crm_history_detail (history_id, field, before, after)
                     SELECT h.id, d.f, d.b, d.a FROM h, unnest($7::text[], $8::text[], $9::text[]) WITH ORDINALITY AS d(f, b, a, n) ORDER BY d.n",
                    &[&h.record.0, &h.module, &h.actor, &fmt_dt(h.at), &h.kind.as_str(), &h.related.map(|r| r.0), &fields, &before, &after],
                )?;
            }
            Change::Stage(s) => bulk::stage_rows(c, &[s])?,
            Change::PutUser(u) => {
                c.execute(
                    "INSERT INTO crm_users (id, user_name, full_name, email, role, active) VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (id) DO UPDATE SET user_name = excluded.user_name, full_name = excluded.full_name,
                     email = excluded.email, role = excluded.role, active = excluded.active",
                    &[&u.id.0, &u.user_name, &u.full_name, &u.email, &u.role, &u.active],
                )?;
            }
            Change::PutGroup(g) => {
                c.execute(
                    "INSERT INTO crm_groups (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                    &[&g.id.0, &g.name],
                )?;
                c.execute("DELETE FROM crm_group_members WHERE group_id = $1", &[&g.id.0])?;
                for m in &g.members {
                    c.execute(
                        "INSERT INTO crm_group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        &[&g.id.0, &m.0],
                    )?;
                }
            }
            // ----- import/export -----
            Change::PutImport(j) => {
                c.execute(
                    "INSERT INTO crm_imports (id, module, kind, actor, at, status, rows, created, updated, merged, skipped, failed)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                     ON CONFLICT (id) DO UPDATE SET status = excluded.status, rows = excluded.rows, created = excluded.created,
                     updated = excluded.updated, merged = excluded.merged, skipped = excluded.skipped, failed = excluded.failed",
                    &[
                        &j.id,
                        &j.module,
                        &j.kind,
                        &j.actor,
                        &fmt_dt(j.at),
                        &j.status.as_str(),
                        &signed(j.rows),
                        &signed(j.created),
                        &signed(j.updated),
                        &signed(j.merged),
                        &signed(j.skipped),
                        &signed(j.failed),
                    ],
                )?;
            }
            Change::ImportRow(r) => bulk::journal_rows(c, &[r])?,
            Change::PutMapping(m) => {
                let json = to_json(&m.mapping)?;
                c.execute(
                    "INSERT INTO crm_import_maps (module, name, mapping) VALUES ($1, $2, $3)
                     ON CONFLICT (module, lower(name COLLATE \"C\")) DO UPDATE SET name = excluded.name, mapping = excluded.mapping",
                    &[&m.module, &m.name, &json],
                )?;
            }
            Change::DeleteMapping { module, name } => {
                c.execute(
                    "DELETE FROM crm_import_maps WHERE module = $1 AND lower(name COLLATE \"C\") = lower($2 COLLATE \"C\")",
                    &[module, name],
                )?;
            }
            // ----- views, related records, settings -----
            Change::PutFilter(f) => {
                let json = to_json(f)?;
                let vis = serde_json::to_value(f.visibility).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                c.execute(
                    "INSERT INTO crm_filters (id, module, name, visibility, owner, is_default, definition) VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (id) DO UPDATE SET module = excluded.module, name = excluded.name, visibility = excluded.visibility,
                     owner = excluded.owner, is_default = excluded.is_default, definition = excluded.definition",
                    &[&f.id, &f.module, &f.name, &vis, &f.owner, &f.default, &json],
                )?;
            }
            Change::DeleteFilter(id) => {
                c.execute("DELETE FROM crm_filters WHERE id = $1", &[id])?;
            }
            Change::AddComment(cm) => {
                c.execute(
                    "INSERT INTO crm_comments (id, record_id, parent_id, author, at, body) VALUES ($1, $2, $3, $4, $5, $6)",
                    &[&cm.id, &cm.record.0, &cm.parent, &cm.author, &fmt_dt(cm.at), &cm.text],
                )?;
            }
            Change::Link(r) => {
                c.execute(
                    "DELETE FROM crm_relations WHERE (record_id = $1 AND related_id = $2) OR (record_id = $2 AND related_id = $1)",
                    &[&r.record.0, &r.related.0],
                )?;
                c.execute(
                    "INSERT INTO crm_relations (record_id, related_id, module, role, quantity, price, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[&r.record.0, &r.related.0, &r.module, &r.role, &r.quantity, &r.price, &fmt_dt(r.at)],
                )?;
            }
            Change::Unlink { record, related } => {
                c.execute(
                    "DELETE FROM crm_relations WHERE (record_id = $1 AND related_id = $2) OR (record_id = $2 AND related_id = $1)",
                    &[&record.0, &related.0],
                )?;
            }
            Change::PutSetting { key, value } => {
                c.execute(
                    "INSERT INTO crm_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    &[key, value],
                )?;
            }
            // ----- schema customization -----
            Change::PutSchema { schema: new, expected_version } => {
                // The row lock makes concurrent schema changes take turns; the loser sees the new version.
                let stored = Self::stored_schema_version(c, true)?.unwrap_or(0);
                if stored != *expected_version {
                    return Err(Error::Conflict(format!("the schema changed meanwhile (version {stored}, expected {expected_version})")));
                }
                Self::write_schema(c, new)?;
            }
            Change::ClearField { module: m, field, actor, at } => {
                let m = module(m)?;
                let (table, column) = (ident(&m.table_name())?, ident(field)?);
                // Every record that held a value: a new version and a change-log entry (see `Change`).
                let held = format!("{column} IS NOT NULL");
                let t = m.field(field).map_or(FieldType::Text, |f| f.field_type);
                let mut log = Rewrites::default();
                for row in c.query(&format!("SELECT id, {column} FROM {table} WHERE {held}"), &[])? {
                    if let Some(before) = read_value(&row, 1, t)?.to_text() {
                        log.push(get(&row, 0)?, Some(before), None);
                    }
                }
                c.execute(&format!("UPDATE {table} SET {column} = NULL"), &[])?;
                log.write(c, &m.name, field, actor, *at)?;
            }
            Change::ReplacePicklistValue { module: m, field, from, to, actor, at } => {
                let m = module(m)?;
                let f = m.field(field).ok_or_else(|| Error::invalid(format!("{} has no field '{field}'", m.name)))?;
                let (table, column) = (ident(&m.table_name())?, ident(&f.name)?);
                let mut log = Rewrites::default();
                if f.field_type == FieldType::MultiPicklist {
                    let needle = format!("{MULTI_SEPARATOR}{from}{MULTI_SEPARATOR}");
                    let holds = format!("strpos($2 || {column} || $2, $1) > 0");
                    let sql = format!("SELECT id, {column} FROM {table} WHERE {holds}");
                    let rows = c.query(&sql, &[&needle, &MULTI_SEPARATOR])?;
                    let update = format!("UPDATE {table} SET {column} = $1 WHERE id = $2");
                    for row in rows {
                        let id: i64 = get(&row, 0)?;
                        let text: String = get(&row, 1)?;
                        let mut out: Vec<String> = Vec::new();
                        for x in crate::value::split_multi(&text) {
                            let x = if x == *from { to.clone() } else { Some(x) };
                            if let Some(x) = x.filter(|x| !out.contains(x)) {
                                out.push(x);
                            }
                        }
                        let joined = (!out.is_empty()).then(|| out.join(MULTI_SEPARATOR));
                        c.execute(&update, &[&joined, &id])?;
                        if joined.as_deref() != Some(text.as_str()) {
                            log.push(id, Some(text), joined);
                        }
                    }
                } else if kind(f.field_type) == Kind::Text {
                    for row in c.query(&format!("UPDATE {table} SET {column} = $1 WHERE {column} = $2 RETURNING id"), &[to, from])? {
                        log.push(get(&row, 0)?, Some(from.clone()), to.clone());
                    }
                }
                log.write(c, &m.name, &f.name, actor, *at)?;
            }
            Change::SchemaLog(e) => {
                let json = to_json(&e.change)?;
                c.execute(
                    "INSERT INTO crm_schema_changes (version, op, actor, at, change) VALUES ($1, $2, $3, $4, $5)",
                    &[&signed(e.version), &e.change.op(), &e.actor, &fmt_dt(e.at), &json],
                )?;
            }
            // ----- workflows -----
            Change::PutWorkflow(w) => {
                c.execute(
                    "INSERT INTO crm_workflows (id, module, name, description, active, execution_condition, trigger_def, conditions, tasks, next_trigger, is_default)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                     ON CONFLICT (id) DO UPDATE SET module = excluded.module, name = excluded.name, description = excluded.description,
                     active = excluded.active, execution_condition = excluded.execution_condition, trigger_def = excluded.trigger_def,
                     conditions = excluded.conditions, tasks = excluded.tasks, next_trigger = excluded.next_trigger, is_default = excluded.is_default",
                    &[
                        &w.id,
                        &w.module,
                        &w.name,
                        &w.description,
                        &w.active,
                        &w.trigger.vtiger_code(),
                        &to_json(&w.trigger)?,
                        &to_json(&w.condition)?,
                        &to_json(&w.tasks)?,
                        &w.next_trigger.map(fmt_dt),
                        &w.default,
                    ],
                )?;
            }
            Change::DeleteWorkflow(id) => {
                c.execute("DELETE FROM crm_workflows WHERE id = $1", &[id])?;
                c.execute("DELETE FROM crm_workflow_once WHERE workflow_id = $1", &[id])?;
                c.execute("DELETE FROM crm_workflow_queue WHERE workflow_id = $1", &[id])?;
            }
            Change::PutMail(m) => bulk::outbox(c, &[m])?,
            Change::ActivatedOnce { workflow, record } => {
                c.execute(
                    "INSERT INTO crm_workflow_once (workflow_id, record_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[workflow, &record.0],
                )?;
            }
            Change::PutQueuedTask(q) => {
                let task = i64::try_from(q.task).unwrap_or(i64::MAX);
                c.execute(
                    "INSERT INTO crm_workflow_queue (id, workflow_id, task_index, record_id, due) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (id) DO UPDATE SET workflow_id = excluded.workflow_id, task_index = excluded.task_index,
                     record_id = excluded.record_id, due = excluded.due",
                    &[&q.id, &q.workflow, &task, &q.record.0, &fmt_dt(q.due)],
                )?;
            }
            Change::DeleteQueuedTask(id) => {
                c.execute("DELETE FROM crm_workflow_queue WHERE id = $1", &[id])?;
            }
            // ----- lead conversion: comments follow the lead -----
            Change::MoveComments { from, to } => {
                c.execute("UPDATE crm_comments SET record_id = $2 WHERE record_id = $1", &[&from.0, &to.0])?;
            }
        }
        Ok(())
    }
}

/// An index name within PostgreSQL's 63 bytes (long names end in a hash of the full name).
/// The records a schema edit rewrote ([`Change::ClearField`], [`Change::ReplacePicklistValue`]), with the
/// field's text before and after; [`Rewrites::write`] gives each a new version and a change-log entry.
#[derive(Default)]
struct Rewrites {
    ids: Vec<i64>,
    before: Vec<Option<String>>,
    after: Vec<Option<String>>,
}

impl Rewrites {
    fn push(&mut self, id: i64, before: Option<String>, after: Option<String>) {
        self.ids.push(id);
        self.before.push(before);
        self.after.push(after);
    }

    /// One round trip for all of them: the versions move on, and each record gets an `updated` entry with
    /// one detail row (as [`super::rewrite_entry`] describes it).
    fn write(&self, c: &mut Conn, module: &str, field: &str, actor: &str, at: NaiveDateTime) -> Result<()> {
        if self.ids.is_empty() {
            return Ok(());
        }
        c.execute(
            "WITH d AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]) WITH ORDINALITY AS d(id, b, a, n)),
             v AS (UPDATE crm_entity e SET version = e.version + 1 FROM d WHERE e.id = d.id),
             h AS (INSERT INTO crm_history (record_id, module, actor, at, kind) SELECT d.id, $4, $5, $6, 'updated' FROM d ORDER BY d.n
                   RETURNING id, record_id)
             INSERT INTO crm_history_detail (history_id, field, before, after)
             SELECT h.id, $7, d.b, d.a FROM h JOIN d ON d.id = h.record_id ORDER BY h.id",
            &[&self.ids, &self.before, &self.after, &module, &actor, &fmt_dt(at), &field],
        )?;
        Ok(())
    }
}

fn index_name(table: &str, field: &str) -> String {
    let full = format!("{table}_{field}");
    if full.len() <= 63 {
        return full;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in full.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{}_{h:016x}", &full[..40])
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

/// Compiles a normalized condition to SQL, pushing values into `params` (`$n` placeholders).
fn compile(c: &Condition, m: &Module, coll: &str, sql: &mut String, params: &mut Vec<P>) -> Result<()> {
    fn ph(params: &mut Vec<P>, p: P) -> String {
        params.push(p);
        format!("${}", params.len())
    }
    match c {
        Condition::All(v) | Condition::Any(v) => {
            let all = matches!(c, Condition::All(_));
            if v.is_empty() {
                sql.push_str(if all { "TRUE" } else { "FALSE" });
                return Ok(());
            }
            sql.push('(');
            for (i, x) in v.iter().enumerate() {
                if i > 0 {
                    sql.push_str(if all { " AND " } else { " OR " });
                }
                compile(x, m, coll, sql, params)?;
            }
            sql.push(')');
        }
        Condition::Not(x) => {
            // Leaves may be NULL ("unknown") for empty fields; under AND/OR that acts as false, as in the
            // memory adapter. Only NOT would turn it around, so NOT coalesces its operand to false first.
            sql.push_str("NOT coalesce(");
            compile(x, m, coll, sql, params)?;
            sql.push_str(", FALSE)");
        }
        Condition::Compare { field, op, values } if field == crate::query::ID_FIELD => {
            let mut ids = Vec::with_capacity(values.len());
            for v in values {
                ids.push(value_param(FieldType::Integer, v).ok_or_else(|| Error::invalid(format!("'{v}' is not a record id")))?);
            }
            let mut ids = ids.into_iter();
            let mut next = |params: &mut Vec<P>| ph(params, ids.next().unwrap_or_else(|| Box::new(None::<i64>)));
            let s = match op {
                Op::Eq => format!("e.id = {}", next(params)),
                Op::Ne => format!("e.id <> {}", next(params)),
                Op::Lt => format!("e.id < {}", next(params)),
                Op::Le => format!("e.id <= {}", next(params)),
                Op::Gt => format!("e.id > {}", next(params)),
                Op::Ge => format!("e.id >= {}", next(params)),
                Op::Between => {
                    let lo = next(params);
                    format!("e.id BETWEEN {lo} AND {}", next(params))
                }
                Op::In => format!("e.id IN ({})", (0..values.len()).map(|_| next(params)).collect::<Vec<_>>().join(", ")),
                other => return Err(Error::invalid(format!("operator {other:?} does not fit the record id"))),
            };
            sql.push_str(&s);
        }
        Condition::Compare { field, op, values } => {
            let f = m.field(field).ok_or_else(|| Error::invalid(format!("{} has no field '{field}'", m.name)))?;
            let col = format!("t.{}", ident(&f.name)?);
            let null = Value::Null;
            let first = values.first().unwrap_or(&null);
            let text_kind = kind(f.field_type) == Kind::Text;
            if f.field_type == FieldType::MultiPicklist && matches!(op, Op::Eq | Op::Ne | Op::In) {
                let has = |params: &mut Vec<P>, v: &Value| {
                    let needle = format!("{MULTI_SEPARATOR}{}{MULTI_SEPARATOR}", v.to_text().unwrap_or_default());
                    let n = ph(params, Box::new(needle));
                    let sep = ph(params, Box::new(MULTI_SEPARATOR.to_string()));
                    format!("coalesce(strpos({sep} || {col} || {sep}, {n}) > 0, FALSE)")
                };
                let s = match op {
                    Op::Eq => has(params, first),
                    Op::Ne => format!("NOT {}", has(params, first)),
                    _ => format!("({})", values.iter().map(|v| has(params, v)).collect::<Vec<_>>().join(" OR ")),
                };
                sql.push_str(&s);
                return Ok(());
            }
            let bind = |params: &mut Vec<P>, v: &Value| -> Result<String> {
                let p = value_param(f.field_type, v)
                    .ok_or_else(|| Error::invalid(format!("condition on '{}': '{v}' does not fit the field", f.name)))?;
                Ok(ph(params, p))
            };
            let s = match op {
                Op::IsEmpty if text_kind => format!("({col} IS NULL OR {col} = '')"),
                Op::IsEmpty => format!("({col} IS NULL)"),
                Op::IsNotEmpty if text_kind => format!("({col} IS NOT NULL AND {col} <> '')"),
                Op::IsNotEmpty => format!("({col} IS NOT NULL)"),
                Op::Eq => format!("{col} = {}", bind(params, first)?),
                // `<> NULL` is unknown; an empty compare value differs from every non-empty field
                Op::Ne => format!("({col} IS NULL OR coalesce({col} <> {}, TRUE))", bind(params, first)?),
                Op::Lt => format!("{col} < {}", bind(params, first)?),
                Op::Le => format!("{col} <= {}", bind(params, first)?),
                Op::Gt => format!("{col} > {}", bind(params, first)?),
                Op::Ge => format!("{col} >= {}", bind(params, first)?),
                Op::Between => {
                    let lo = bind(params, first)?;
                    let hi = bind(params, values.get(1).unwrap_or(&null))?;
                    format!("{col} BETWEEN {lo} AND {hi}")
                }
                Op::In => {
                    let mut list = Vec::with_capacity(values.len());
                    for v in values {
                        list.push(bind(params, v)?);
                    }
                    format!("{col} IN ({})", list.join(", "))
                }
                Op::Contains | Op::NotContains | Op::StartsWith | Op::EndsWith => {
                    let needle = fold(&first.to_text().unwrap_or_default());
                    let len = i32::try_from(needle.chars().count()).unwrap_or(i32::MAX);
                    let folded = format!("lower({col}::text COLLATE {coll})");
                    match op {
                        Op::Contains => format!("coalesce(strpos({folded}, {}) > 0, FALSE)", ph(params, Box::new(needle))),
                        Op::NotContains => format!("({col} IS NULL OR strpos({folded}, {}) = 0)", ph(params, Box::new(needle))),
                        _ if len == 0 => format!("({col} IS NOT NULL)"),
                        Op::StartsWith => {
                            let l = ph(params, Box::new(len));
                            format!("coalesce(left({folded}, {l}) = {}, FALSE)", ph(params, Box::new(needle)))
                        }
                        _ => {
                            let l = ph(params, Box::new(len));
                            format!("coalesce(right({folded}, {l}) = {}, FALSE)", ph(params, Box::new(needle)))
                        }
                    }
                }
            };
            sql.push_str(&s);
        }
    }
    Ok(())
}

fn read_comment(r: &Row) -> Result<Comment> {
    let at: String = get(r, 4)?;
    Ok(Comment {
        id: get(r, 0)?,
        record: RecordId(get(r, 1)?),
        parent: get(r, 2)?,
        author: get(r, 3)?,
        at: parse_dt(&at),
        text: get(r, 5)?,
    })
}

impl Store for PostgresStore {
    fn load_schema(&mut self) -> Result<Option<Schema>> {
        let row = self.conn.get_mut().query_opt("SELECT value FROM crm_meta WHERE key = 'schema'", &[])?;
        let schema = match row {
            None => None,
            Some(r) => {
                let j: String = get(&r, 0)?;
                Some(serde_json::from_str::<Schema>(&j).map_err(|e| StorageError::Corrupt(format!("stored schema: {e}")))?)
            }
        };
        self.schema = schema.clone().map(Arc::new);
        Ok(schema)
    }

    fn save_schema(&mut self, schema: &Schema) -> Result<()> {
        self.write(|c| Self::write_schema(c, schema))?;
        self.schema = Some(Arc::new(schema.clone()));
        Ok(())
    }

    fn allocate_ids(&mut self, n: u64) -> Result<i64> {
        let n = i64::try_from(n).map_err(|_| Error::invalid("too many ids"))?;
        if n < 1 {
            return Err(Error::invalid("allocate at least one id"));
        }
        // A sequence is never rolled back, so ids are never reused; the session-level advisory lock makes
        // the block consecutive while other connections allocate too (it is released at once, even inside
        // a unit of work).
        let c = self.conn.get_mut();
        c.query_one("SELECT pg_advisory_lock($1)", &[&LOCK_IDS])?;
        let last = c.query_one("SELECT setval('crm_ids', nextval('crm_ids') + $1 - 1)", &[&n]);
        let unlocked = c.query_one("SELECT pg_advisory_unlock($1)", &[&LOCK_IDS]);
        let last: i64 = get(&last?, 0)?;
        unlocked?;
        Ok(last - n + 1)
    }

    fn next_auto_number(&mut self, module: &str, default_prefix: &str) -> Result<String> {
        if self.unit {
            let mut state = match self.unit_numbers.remove(module) {
                Some(s) => s,
                None => self.write(|c| {
                    c.execute(
                        "INSERT INTO crm_autonum (module, prefix, next) VALUES ($1, $2, '1') ON CONFLICT (module) DO NOTHING",
                        &[&module, &default_prefix],
                    )?;
                    // Locked until the unit ends: no other connection takes numbers meanwhile.
                    let row = c.query_one("SELECT prefix, next FROM crm_autonum WHERE module = $1 FOR UPDATE", &[&module])?;
                    Ok(AutoNumberState { prefix: get(&row, 0)?, next: get(&row, 1)? })
                })?,
            };
            let out = state.take();
            self.unit_numbers.insert(module.to_string(), state);
            return Ok(out);
        }
        self.write(|c| {
            c.execute(
                "INSERT INTO crm_autonum (module, prefix, next) VALUES ($1, $2, '1') ON CONFLICT (module) DO NOTHING",
                &[&module, &default_prefix],
            )?;
            // The row stays locked until the transaction ends: numbers are unique across connections.
            let row = c.query_one("SELECT prefix, next FROM crm_autonum WHERE module = $1 FOR UPDATE", &[&module])?;
            let (prefix, next): (String, String) = (get(&row, 0)?, get(&row, 1)?);
            c.execute("UPDATE crm_autonum SET next = $2 WHERE module = $1", &[&module, &increment_counter(&next)])?;
            Ok(format!("{prefix}{next}"))
        })
    }

    fn auto_number_state(&self, module: &str) -> Result<Option<AutoNumberState>> {
        if let Some(s) = self.unit_numbers.get(module) {
            return Ok(Some(s.clone()));
        }
        let row = self.conn()?.query_opt("SELECT prefix, next FROM crm_autonum WHERE module = $1", &[&module])?;
        row.map(|r| Ok(AutoNumberState { prefix: get(&r, 0)?, next: get(&r, 1)? })).transpose()
    }

    fn set_auto_number(&mut self, module: &str, state: &AutoNumberState) -> Result<()> {
        if self.unit {
            self.unit_numbers.insert(module.to_string(), state.clone());
        }
        self.write(|c| {
            c.execute(
                "INSERT INTO crm_autonum (module, prefix, next) VALUES ($1, $2, $3)
                 ON CONFLICT (module) DO UPDATE SET prefix = excluded.prefix, next = excluded.next",
                &[&module, &state.prefix, &state.next],
            )?;
            Ok(())
        })
    }

    fn commit(&mut self, changes: &ChangeSet) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let schema = self.schema.clone().ok_or_else(|| Error::invalid("no schema stored yet"))?;
        self.write(|c| {
            for ch in &changes.0 {
                Self::lock_rewritten(c, &schema, ch)?; // first: see `lock_rewritten`
            }
            // Long runs of inserts (an import batch) go as one statement per table; the rest change by change.
            let mut rest = changes.0.as_slice();
            while let Some(first) = rest.first() {
                let run = rest.iter().take_while(|ch| bulk::is_bulk(ch)).count();
                if run >= bulk::MIN_RUN {
                    bulk::write_run(c, &schema, &rest[..run])?;
                    rest = &rest[run..];
                } else {
                    Self::apply(c, &schema, first)?;
                    rest = &rest[1..];
                }
            }
            Ok(())
        })?;
        // ----- schema customization: a committed PutSchema becomes the schema in force -----
        if let Some(new) = changes.0.iter().rev().find_map(|c| if let Change::PutSchema { schema, .. } = c { Some(schema) } else { None }) {
            self.schema = Some(Arc::new((**new).clone()));
        }
        Ok(())
    }

    fn begin_unit(&mut self) -> Result<()> {
        if !self.unit {
            let c = self.conn.get_mut();
            c.batch("BEGIN")?;
            c.failed = false;
            self.unit = true;
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

    fn end_unit(&mut self, commit: bool) -> Result<()> {
        if !self.unit {
            return Ok(());
        }
        let numbers = std::mem::take(&mut self.unit_numbers);
        if commit && !self.conn.get_mut().failed {
            for (module, state) in &numbers {
                if let Err(e) = self.set_auto_number(module, state) {
                    self.unit = false;
                    let _ = self.conn.get_mut().batch("ROLLBACK");
                    self.unit_wrote = false;
                    return Err(e);
                }
            }
            self.unit_numbers.clear(); // set_auto_number above counted them again
        }
        self.unit = false;
        let c = self.conn.get_mut();
        if commit && c.failed {
            // A read failed inside the unit and aborted its transaction: COMMIT would quietly roll back.
            let _ = c.batch("ROLLBACK");
            self.unit_wrote = false;
            return Err(StorageError::Backend("the unit of work was rolled back: a statement inside it failed".into()).into());
        }
        if commit {
            if let Err(e) = c.batch("COMMIT") {
                let _ = c.batch("ROLLBACK");
                return Err(e);
            }
            if std::mem::take(&mut self.unit_wrote) {
                self.bump()?;
            }
            Ok(())
        } else {
            self.unit_wrote = false;
            c.batch("ROLLBACK")
        }
    }

    fn begin_snapshot(&self) -> Result<bool> {
        if self.unit {
            return Ok(false);
        }
        // One snapshot for every statement until the end (READ COMMITTED would take one per statement).
        self.conn()?.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
        Ok(true)
    }

    fn end_snapshot(&self) -> Result<()> {
        let mut c = self.conn()?;
        // A read that failed inside aborted the transaction: COMMIT then rolls back, which is all a
        // read-only transaction needs.
        let out = c.batch("COMMIT");
        if out.is_err() {
            let _ = c.batch("ROLLBACK");
        }
        c.failed = false;
        out
    }

    fn entity(&self, id: RecordId) -> Result<Option<(String, bool)>> {
        let row = self.conn()?.query_opt("SELECT module, deleted FROM crm_entity WHERE id = $1", &[&id.0])?;
        row.map(|r| Ok((get(&r, 0)?, get(&r, 1)?))).transpose()
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

    fn get(&self, id: RecordId) -> Result<Option<Record>> {
        let Some((module, _)) = self.entity(id)? else { return Ok(None) };
        let s = self.read_schema()?;
        let m = Self::module(&s, &module)?;
        let sql =
            format!("SELECT {} FROM {} t JOIN crm_entity e ON e.id = t.id WHERE t.id = $1", Self::select_list(m)?, ident(&m.table_name())?);
        let row = self.conn()?.query_opt(&sql, &[&id.0])?;
        row.map(|r| Self::read_row(m, &r)).transpose()
    }

    fn query(&self, q: &Query) -> Result<Vec<Record>> {
        let mut params = Vec::new();
        let s = self.read_schema()?;
        let m = Self::module(&s, &q.module)?;
        let from = self.from_where(m, q, &mut params)?;
        let mut sql = format!("SELECT {} {from} ORDER BY ", Self::select_list(m)?);
        for s in &q.sort {
            let f = m.field(&s.field).ok_or_else(|| Error::invalid(format!("cannot sort by unknown field '{}'", s.field)))?;
            sql.push_str(&format!("t.{}", ident(&f.name)?));
            // Empty values first when ascending, last when descending (as the other adapters).
            sql.push_str(if s.descending { " DESC NULLS LAST, " } else { " ASC NULLS FIRST, " });
        }
        sql.push_str(if q.sort.first().is_some_and(|s| s.descending) { "e.id DESC" } else { "e.id ASC" });
        params.push(Box::new(q.limit.map(signed)));
        sql.push_str(&format!(" LIMIT ${}", params.len()));
        params.push(Box::new(signed(q.offset)));
        sql.push_str(&format!(" OFFSET ${}", params.len()));
        let rows = self.conn()?.query(&sql, &refs(&params))?;
        rows.iter().map(|r| Self::read_row(m, r)).collect()
    }

    fn count(&self, q: &Query) -> Result<u64> {
        let mut params = Vec::new();
        let s = self.read_schema()?;
        let m = Self::module(&s, &q.module)?;
        let sql = format!("SELECT count(*) {}", self.from_where(m, q, &mut params)?);
        let row = self.conn()?.query_one(&sql, &refs(&params))?;
        Ok(count(get(&row, 0)?))
    }

    fn aggregate(&self, q: &Query, group_by: Option<&str>, sums: &[&str]) -> Result<Vec<Aggregate>> {
        let mut params = Vec::new();
        let s = self.read_schema()?;
        let m = Self::module(&s, &q.module)?;
        let from = self.from_where(m, q, &mut params)?;
        let group =
            group_by.map(|g| m.field(g).ok_or_else(|| Error::invalid(format!("cannot group by unknown field '{g}'")))).transpose()?;
        let mut sql = String::from("SELECT ");
        sql.push_str(&match group {
            Some(f) => format!("t.{}", ident(&f.name)?),
            None => "NULL::text".into(),
        });
        sql.push_str(", count(*)");
        for s in sums {
            let f = m.field(s).ok_or_else(|| Error::invalid(format!("cannot sum unknown field '{s}'")))?;
            // NUMERIC sums are exact; integers are summed as NUMERIC too.
            sql.push_str(&format!(", coalesce(sum(t.{}::numeric), 0)", ident(&f.name)?));
        }
        sql.push(' ');
        sql.push_str(&from);
        if let Some(f) = group {
            sql.push_str(&format!(" GROUP BY t.{c} ORDER BY t.{c} ASC NULLS FIRST", c = ident(&f.name)?));
        }
        let gtype = group.map_or(FieldType::Text, |f| f.field_type);
        let rows = self.conn()?.query(&sql, &refs(&params))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let key = read_value(r, 0, gtype)?;
            let n: i64 = get(r, 1)?;
            let mut totals = Vec::with_capacity(sums.len());
            for i in 0..sums.len() {
                totals.push(get::<Decimal>(r, 2 + i)?);
            }
            if n > 0 {
                out.push(Aggregate { key, count: count(n), sums: totals });
            }
        }
        Ok(out)
    }

    fn find_by_label(&self, module: &str, label: &str) -> Result<Vec<RecordId>> {
        let rows = self.conn()?.query(
            "SELECT id FROM crm_entity WHERE module = $1 AND label_key = $2 AND NOT deleted ORDER BY id",
            &[&module, &fold(label.trim())],
        )?;
        rows.iter().map(|r| Ok(RecordId(get(r, 0)?))).collect()
    }

    fn history(&self, id: RecordId) -> Result<Vec<HistoryEntry>> {
        let mut c = self.conn()?;
        let rows = c.query(
            "SELECT id, record_id, module, actor, at, kind, related_id FROM crm_history WHERE record_id = $1 ORDER BY id",
            &[&id.0],
        )?;
        let mut entries = Vec::with_capacity(rows.len());
        for r in &rows {
            let kind: String = get(r, 5)?;
            let at: String = get(r, 4)?;
            entries.push(HistoryEntry {
                id: get(r, 0)?,
                record: RecordId(get(r, 1)?),
                module: get(r, 2)?,
                actor: get(r, 3)?,
                at: parse_dt(&at),
                kind: ChangeKind::parse(&kind).unwrap_or(ChangeKind::Updated),
                related: get::<Option<i64>>(r, 6)?.map(RecordId),
                changes: vec![],
            });
        }
        let details = c.query(
            "SELECT d.history_id, d.field, d.before, d.after FROM crm_history_detail d JOIN crm_history h ON h.id = d.history_id
             WHERE h.record_id = $1 ORDER BY d.id",
            &[&id.0],
        )?;
        let index: HashMap<i64, usize> = entries.iter().enumerate().map(|(i, e)| (e.id, i)).collect();
        for d in &details {
            let hid: i64 = get(d, 0)?;
            if let Some(e) = index.get(&hid).and_then(|&i| entries.get_mut(i)) {
                e.changes.push(FieldChange { field: get(d, 1)?, before: get(d, 2)?, after: get(d, 3)? });
            }
        }
        Ok(entries)
    }

    fn stage_history(&self, id: RecordId) -> Result<Vec<StageEntry>> {
        let rows = self.conn()?.query(
            "SELECT record_id, stage, amount, probability, forecast_amount, closingdate, at, actor FROM crm_stage_history WHERE record_id = $1 ORDER BY id",
            &[&id.0],
        )?;
        rows.iter()
            .map(|r| {
                let at: String = get(r, 6)?;
                Ok(StageEntry {
                    record: RecordId(get(r, 0)?),
                    stage: get(r, 1)?,
                    amount: get(r, 2)?,
                    probability: get(r, 3)?,
                    forecast_amount: get(r, 4)?,
                    closingdate: get(r, 5)?,
                    at: parse_dt(&at),
                    actor: get(r, 7)?,
                })
            })
            .collect()
    }

    fn users(&self) -> Result<Vec<User>> {
        let rows = self.conn()?.query("SELECT id, user_name, full_name, email, role, active FROM crm_users ORDER BY id", &[])?;
        rows.iter()
            .map(|r| {
                Ok(User {
                    id: OwnerId(get(r, 0)?),
                    user_name: get(r, 1)?,
                    full_name: get(r, 2)?,
                    email: get(r, 3)?,
                    role: get(r, 4)?,
                    active: get(r, 5)?,
                })
            })
            .collect()
    }

    fn groups(&self) -> Result<Vec<Group>> {
        let mut c = self.conn()?;
        let rows = c.query("SELECT id, name FROM crm_groups ORDER BY id", &[])?;
        let mut groups =
            rows.iter().map(|r| Ok(Group { id: OwnerId(get(r, 0)?), name: get(r, 1)?, members: vec![] })).collect::<Result<Vec<_>>>()?;
        let members = c.query("SELECT group_id, user_id FROM crm_group_members ORDER BY group_id, user_id", &[])?;
        for r in &members {
            let (g, u): (i64, i64) = (get(r, 0)?, get(r, 1)?);
            if let Some(group) = groups.iter_mut().find(|x| x.id.0 == g) {
                group.members.push(OwnerId(u));
            }
        }
        Ok(groups)
    }

    // ----- import/export -----
    fn imports(&self) -> Result<Vec<crate::io::ImportJournal>> {
        let rows = self.conn()?.query(
            "SELECT id, module, kind, actor, at, status, rows, created, updated, merged, skipped, failed FROM crm_imports ORDER BY id",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                let at: String = get(r, 4)?;
                let status: String = get(r, 5)?;
                Ok(crate::io::ImportJournal {
                    id: get(r, 0)?,
                    module: get(r, 1)?,
                    kind: get(r, 2)?,
                    actor: get(r, 3)?,
                    at: parse_dt(&at),
                    status: crate::io::ImportStatus::parse(&status).unwrap_or(crate::io::ImportStatus::Running),
                    rows: count(get(r, 6)?),
                    created: count(get(r, 7)?),
                    updated: count(get(r, 8)?),
                    merged: count(get(r, 9)?),
                    skipped: count(get(r, 10)?),
                    failed: count(get(r, 11)?),
                })
            })
            .collect()
    }

    fn import_rows(&self, import_id: i64) -> Result<Vec<crate::io::ImportRowFate>> {
        let rows = self.conn()?.query(
            "SELECT import_id, line, record_id, action, previous, version FROM crm_import_rows WHERE import_id = $1 ORDER BY id",
            &[&import_id],
        )?;
        rows.iter()
            .map(|r| {
                let action: String = get(r, 3)?;
                Ok(crate::io::ImportRowFate {
                    import_id: get(r, 0)?,
                    line: count(get(r, 1)?),
                    record: RecordId(get(r, 2)?),
                    action: crate::io::RowAction::parse(&action).unwrap_or(crate::io::RowAction::Created),
                    previous: get(r, 4)?,
                    version: count(get(r, 5)?),
                })
            })
            .collect()
    }

    fn mappings(&self, module: &str) -> Result<Vec<crate::io::SavedMapping>> {
        let rows = self.conn()?.query(
            "SELECT module, name, mapping FROM crm_import_maps WHERE module = $1 ORDER BY lower(name COLLATE \"C\"), name COLLATE \"C\"",
            &[&module],
        )?;
        rows.iter()
            .map(|r| {
                let (module, name, json): (String, String, String) = (get(r, 0)?, get(r, 1)?, get(r, 2)?);
                let mapping = serde_json::from_str(&json).map_err(|e| StorageError::Corrupt(format!("saved mapping '{name}': {e}")))?;
                Ok(crate::io::SavedMapping { module, name, mapping })
            })
            .collect()
    }

    // ----- views, related records, settings -----
    fn filters(&self, module: &str) -> Result<Vec<Filter>> {
        let rows = self.conn()?.query("SELECT definition FROM crm_filters WHERE module = $1 ORDER BY id", &[&module])?;
        rows.iter()
            .map(|r| {
                let j: String = get(r, 0)?;
                serde_json::from_str::<Filter>(&j).map_err(|e| StorageError::Corrupt(format!("stored filter: {e}")).into())
            })
            .collect()
    }

    fn comments(&self, record: RecordId) -> Result<Vec<Comment>> {
        let rows = self.conn()?.query(
            "SELECT id, record_id, parent_id, author, at, body FROM crm_comments WHERE record_id = $1 ORDER BY at DESC, id DESC",
            &[&record.0],
        )?;
        rows.iter().map(read_comment).collect()
    }

    fn comment(&self, id: i64) -> Result<Option<Comment>> {
        let row = self.conn()?.query_opt("SELECT id, record_id, parent_id, author, at, body FROM crm_comments WHERE id = $1", &[&id])?;
        row.as_ref().map(read_comment).transpose()
    }

    fn relations(&self, record: RecordId, module: Option<&str>, offset: u64, limit: Option<u64>) -> Result<Vec<Relation>> {
        let rows = self.conn()?.query(
            "SELECT e.id, e.module, r.role, r.quantity, r.price, r.at FROM crm_relations r
             JOIN crm_entity e ON e.id = CASE WHEN r.record_id = $1 THEN r.related_id ELSE r.record_id END
             WHERE (r.record_id = $1 OR r.related_id = $1) AND ($2::text IS NULL OR e.module = $2)
             ORDER BY r.id LIMIT $3 OFFSET $4",
            &[&record.0, &module, &limit.map(signed), &signed(offset)],
        )?;
        rows.iter()
            .map(|r| {
                let at: String = get(r, 5)?;
                Ok(Relation {
                    record,
                    related: RecordId(get(r, 0)?),
                    module: get(r, 1)?,
                    role: get(r, 2)?,
                    quantity: get(r, 3)?,
                    price: get(r, 4)?,
                    at: parse_dt(&at),
                })
            })
            .collect()
    }

    fn count_relations(&self, record: RecordId, module: Option<&str>) -> Result<u64> {
        let row = self.conn()?.query_one(
            "SELECT count(*) FROM crm_relations r
             JOIN crm_entity e ON e.id = CASE WHEN r.record_id = $1 THEN r.related_id ELSE r.record_id END
             WHERE (r.record_id = $1 OR r.related_id = $1) AND ($2::text IS NULL OR e.module = $2)",
            &[&record.0, &module],
        )?;
        Ok(count(get(&row, 0)?))
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        let row = self.conn()?.query_opt("SELECT value FROM crm_settings WHERE key = $1", &[&key])?;
        row.map(|r| get(&r, 0)).transpose()
    }

    // ----- write path (import) -----
    fn auto_number_taken(&self, module: &Module, number: &str) -> Result<bool> {
        let Some(an) = &module.auto_number else { return Ok(false) };
        // The module table holds live and deleted records; the number's unique index answers in one probe
        // (one round trip, instead of two counts that each read the schema version first).
        let sql = format!("SELECT 1 FROM {} WHERE {} = $1 LIMIT 1", ident(&module.table_name())?, ident(&an.field)?);
        Ok(self.conn()?.query_opt(&sql, &[&number])?.is_some())
    }

    // ----- schema customization -----
    fn schema_version(&self) -> Result<Option<u64>> {
        // A save reads the schema version and then the data version: one round trip for both (as if both
        // were read at this moment), the data version kept for the next `data_version` call.
        let mut c = self.conn()?;
        let row = c.query_one(
            "SELECT (SELECT value FROM crm_meta WHERE key = 'schema_version'), (SELECT last_value FROM crm_data_version)",
            &[],
        )?;
        self.version_ahead.set(Some((c.sent, get(&row, 1)?)));
        match get::<Option<String>>(&row, 0)? {
            None => Ok(None),
            Some(v) => parse_schema_version(v),
        }
    }

    fn schema_changes(&self) -> Result<Vec<SchemaChangeEntry>> {
        let rows = self.conn()?.query("SELECT version, actor, at, change FROM crm_schema_changes ORDER BY version", &[])?;
        rows.iter()
            .map(|r| {
                let (version, actor, at, json): (i64, String, String, String) = (get(r, 0)?, get(r, 1)?, get(r, 2)?, get(r, 3)?);
                let change = serde_json::from_str(&json).map_err(|e| StorageError::Corrupt(format!("schema change {version}: {e}")))?;
                Ok(SchemaChangeEntry { version: count(version), actor, at: parse_dt(&at), change })
            })
            .collect()
    }

    // ----- workflows -----
    fn workflows(&self) -> Result<Vec<Workflow>> {
        let rows = self.conn()?.query(
            "SELECT id, module, name, description, active, trigger_def, conditions, tasks, next_trigger, is_default FROM crm_workflows ORDER BY id",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                let corrupt =
                    |what: &str, e: serde_json::Error| Error::from(StorageError::Corrupt(format!("stored workflow: {what}: {e}")));
                let (trigger, conditions, tasks): (String, String, String) = (get(r, 5)?, get(r, 6)?, get(r, 7)?);
                let next: Option<String> = get(r, 8)?;
                Ok(Workflow {
                    id: get(r, 0)?,
                    module: get(r, 1)?,
                    name: get(r, 2)?,
                    description: get(r, 3)?,
                    active: get(r, 4)?,
                    trigger: serde_json::from_str(&trigger).map_err(|e| corrupt("trigger", e))?,
                    condition: serde_json::from_str(&conditions).map_err(|e| corrupt("conditions", e))?,
                    tasks: serde_json::from_str(&tasks).map_err(|e| corrupt("tasks", e))?,
                    next_trigger: next.as_deref().and_then(crate::value::parse_datetime),
                    default: get(r, 9)?,
                })
            })
            .collect()
    }

    fn outbox(&self) -> Result<Vec<Mail>> {
        let rows = self.conn()?.query(
            "SELECT id, record_id, workflow_id, from_addr, reply_to, to_addrs, cc_addrs, bcc_addrs, subject, body, status, error, created_at, sent_at
             FROM crm_outbox ORDER BY id",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                let status: String = get(r, 10)?;
                let created: String = get(r, 12)?;
                let sent: Option<String> = get(r, 13)?;
                Ok(Mail {
                    id: get(r, 0)?,
                    record: get::<Option<i64>>(r, 1)?.map(RecordId),
                    workflow: get(r, 2)?,
                    from: get(r, 3)?,
                    reply_to: get(r, 4)?,
                    to: split_addrs(&get::<String>(r, 5)?),
                    cc: split_addrs(&get::<String>(r, 6)?),
                    bcc: split_addrs(&get::<String>(r, 7)?),
                    subject: get(r, 8)?,
                    body: get(r, 9)?,
                    status: MailStatus::parse(&status).unwrap_or(MailStatus::Queued),
                    error: get(r, 11)?,
                    created: parse_dt(&created),
                    sent: sent.as_deref().and_then(crate::value::parse_datetime),
                })
            })
            .collect()
    }

    fn activated_once(&self, workflow: i64, record: RecordId) -> Result<bool> {
        let row =
            self.conn()?.query_opt("SELECT 1 FROM crm_workflow_once WHERE workflow_id = $1 AND record_id = $2", &[&workflow, &record.0])?;
        Ok(row.is_some())
    }

    fn queued_tasks(&self) -> Result<Vec<QueuedTask>> {
        let rows =
            self.conn()?.query("SELECT id, workflow_id, task_index, record_id, due FROM crm_workflow_queue ORDER BY due, id", &[])?;
        rows.iter()
            .map(|r| {
                let due: String = get(r, 4)?;
                Ok(QueuedTask {
                    id: get(r, 0)?,
                    workflow: get(r, 1)?,
                    task: usize::try_from(get::<i64>(r, 2)?).unwrap_or(usize::MAX),
                    record: RecordId(get(r, 3)?),
                    due: parse_dt(&due),
                })
            })
            .collect()
    }

    // ----- schema freshness for reads -----
    fn newer_schema(&self, version: u64) -> Result<Option<Arc<Schema>>> {
        if Self::stored_schema_version(&mut *self.conn()?, false)?.is_none_or(|v| v == version) {
            return Ok(None);
        }
        let s = self.read_schema()?;
        Ok((s.version != version).then_some(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_checked_and_quoted() {
        assert_eq!(ident("cf_123").unwrap(), "\"cf_123\"");
        assert!(ident("x\"; DROP TABLE crm_entity; --").is_err());
        assert!(ident(&"a".repeat(64)).is_err());
    }

    #[test]
    fn long_index_names_fit() {
        let n = index_name(&"t".repeat(40), &"f".repeat(40));
        assert!(n.len() <= 63);
        assert_ne!(n, index_name(&"t".repeat(40), &"g".repeat(40)));
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://crm:secret@db:5432/crm"), "postgres://crm:***@db:5432/crm");
        assert_eq!(redact("postgres://db/crm"), "postgres://db/crm");
    }

    #[test]
    fn values_fit_their_columns() {
        assert!(value_param(FieldType::Currency, &Value::Text("12abc".into())).is_none());
        assert!(value_param(FieldType::Currency, &Value::Int(3)).is_some());
        assert!(value_param(FieldType::Checkbox, &Value::Text("maybe".into())).is_none());
        assert!(value_param(FieldType::Text, &Value::Int(3)).is_some());
    }
}
