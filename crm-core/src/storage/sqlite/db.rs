//! The shared SQL code's connection interface over a rusqlite connection: every statement through the
//! connection's statement cache (parsed once per connection), parameters bound without copying text.

use super::dialect::Sqlite;
use crate::error::{Error, Result, StorageError};
use crate::schema::{FieldType, Module};
use crate::storage::sql::records::{RecordSql, RecordSqlCache};
use crate::storage::sql::statements::Statements;
use crate::storage::sql::{Arg, Db, Dialect, SqlRow};
use crate::value::{OwnerId, RecordId, Value, parse_decimal};
use rusqlite::types::{ToSqlOutput, Value as Sql, ValueRef};
use rusqlite::{Connection, params_from_iter};
use rust_decimal::Decimal;
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::OnceLock;

/// The statements rendered for SQLite, once per process.
pub(super) fn statements() -> &'static Statements {
    static STATEMENTS: OnceLock<Statements> = OnceLock::new();
    STATEMENTS.get_or_init(|| Statements::new(&Sqlite))
}

/// A connection and the store's per-module statement cache.
pub(super) struct Link<'a> {
    pub(super) conn: &'a Connection,
    pub(super) records: &'a RefCell<RecordSqlCache>,
}

/// Classifies a rusqlite error, keeping it as the typed source.
pub(super) fn map_err(e: rusqlite::Error) -> Error {
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

/// `?` for rusqlite results.
pub(super) trait SqlResult<T> {
    fn db(self) -> Result<T>;
}
impl<T> SqlResult<T> for rusqlite::Result<T> {
    fn db(self) -> Result<T> {
        self.map_err(map_err)
    }
}

/// A field value as SQLite stores it.
pub(super) fn to_sql(v: &Value) -> Sql {
    match v {
        Value::Null => Sql::Null,
        Value::Int(i) => Sql::Integer(*i),
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
        Value::Ref(r) => Sql::Integer(r.0),
        Value::Owner(o) => Sql::Integer(o.0),
        other => other.to_text().map(Sql::Text).unwrap_or(Sql::Null),
    }
}

/// A stored column read as a value of field type `t`.
pub(super) fn from_sql(t: FieldType, v: ValueRef<'_>) -> Value {
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

/// A parameter bound without copying its text.
pub(super) struct Bound<'a>(pub(super) &'a Arg<'a>);

impl rusqlite::ToSql for Bound<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Arg::Null => ToSqlOutput::Owned(Sql::Null),
            Arg::Int(i) => ToSqlOutput::Owned(Sql::Integer(*i)),
            Arg::Bool(b) => ToSqlOutput::Owned(Sql::Integer(i64::from(*b))),
            Arg::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Arg::Owned(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Arg::Num(d) => ToSqlOutput::Owned(Sql::Text(d.to_string())),
            Arg::Date(d) => ToSqlOutput::Owned(Sql::Text(d.to_string())),
            Arg::Value(_, v, _) => match v {
                Value::Text(s) if !v.is_empty() => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
                other => ToSqlOutput::Owned(to_sql(other)),
            },
        })
    }
}

/// A result row.
struct Row<'a, 'b>(&'a rusqlite::Row<'b>);

impl SqlRow for Row<'_, '_> {
    fn int(&self, i: usize) -> Result<Option<i64>> {
        self.0.get(i).db()
    }
    fn text(&self, i: usize) -> Result<Option<String>> {
        self.0.get(i).db()
    }
    fn boolean(&self, i: usize) -> Result<Option<bool>> {
        Ok(self.int(i)?.map(|v| v != 0))
    }
    fn decimal(&self, i: usize) -> Result<Option<Decimal>> {
        Ok(match self.0.get_ref(i).db()? {
            ValueRef::Integer(n) => Some(Decimal::from(n)),
            ValueRef::Text(t) => std::str::from_utf8(t).ok().and_then(parse_decimal),
            _ => None,
        })
    }
    fn date(&self, i: usize) -> Result<Option<chrono::NaiveDate>> {
        Ok(self.text(i)?.as_deref().and_then(crate::value::parse_date))
    }
    fn value(&self, i: usize, t: FieldType) -> Result<Value> {
        Ok(from_sql(t, self.0.get_ref(i).db()?))
    }
}

impl Link<'_> {
    /// The rowid of the last row inserted on this connection.
    pub(super) fn last_insert_rowid(&self) -> i64 {
        self.conn.last_insert_rowid()
    }
}

impl Db for Link<'_> {
    fn dialect(&self) -> &dyn Dialect {
        &Sqlite
    }
    fn sql(&self) -> &'static Statements {
        statements()
    }
    fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        let n = self.conn.prepare_cached(sql).db()?.execute(params_from_iter(args.iter().map(Bound))).db()?;
        Ok(n as u64)
    }
    fn query(&mut self, sql: &str, args: &[Arg<'_>], each: &mut dyn FnMut(&dyn SqlRow) -> Result<bool>) -> Result<()> {
        let mut st = self.conn.prepare_cached(sql).db()?;
        let mut rows = st.query(params_from_iter(args.iter().map(Bound))).db()?;
        while let Some(r) = rows.next().db()? {
            if !each(&Row(r))? {
                break;
            }
        }
        Ok(())
    }
    fn batch(&mut self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql).db()
    }
    fn insert_id(&mut self, insert: &str, args: &[Arg<'_>]) -> Result<i64> {
        self.execute(insert, args)?;
        Ok(self.conn.last_insert_rowid())
    }
    fn record_sql(&mut self, version: u64, m: &Module) -> Result<Arc<RecordSql>> {
        self.records.borrow_mut().of(&Sqlite, version, m)
    }
    /// One statement for the whole list, passed as a JSON array (`json_each`), each number looked up in
    /// the field's index, instead of one probe per number.
    fn numbers_taken(&mut self, m: &Module, field: &str, numbers: &[&str]) -> Result<Option<std::collections::HashSet<String>>> {
        let sql = format!(
            "SELECT {f} FROM {} WHERE {f} IN (SELECT value FROM json_each(?1))",
            Sqlite.ident(&m.table_name())?,
            f = Sqlite.ident(field)?
        );
        let list = serde_json::to_string(numbers).map_err(|e| Error::invalid(format!("auto-numbers as JSON: {e}")))?;
        let mut taken = std::collections::HashSet::new();
        self.query(&sql, &[Arg::Owned(list)], &mut |r| {
            taken.extend(r.text(0)?);
            Ok(true)
        })?;
        Ok(Some(taken))
    }
    /// Long runs of inserts (an import batch: new records, change log, stage history, outbox mail, journal
    /// rows) go as multi-row statements ([`super::bulk`]); shorter ones change by change.
    fn bulk_run(&self, changes: &[crate::storage::Change]) -> usize {
        let n = changes.iter().take_while(|c| super::bulk::is_bulk(c)).count();
        if n >= super::bulk::MIN_RUN { n } else { 0 }
    }
    fn write_bulk(&mut self, schema: &crate::schema::Schema, run: &[crate::storage::Change]) -> Result<()> {
        super::bulk::write_run(self, schema, run)
    }
}
