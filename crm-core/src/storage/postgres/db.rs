//! The shared SQL code's connection interface over a `postgres` client: prepared statements kept per
//! connection, parameters converted to their columns' types (a value that does not fit is refused with
//! `InvalidArgument` before anything is sent), typed columns read back.

use super::dialect::Postgres;
use super::numeric::Numeric;
use crate::error::{Error, Result, StorageError};
use crate::query::ID_FIELD;
use crate::schema::{FieldType, Module};
use crate::storage::sql::records::{RecordSql, RecordSqlCache};
use crate::storage::sql::statements::Statements;
use crate::storage::sql::{Arg, ColumnKind, Db, Dialect, SqlRow};
use crate::value::{OwnerId, RecordId, Value};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, Row, Statement};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// The statements rendered for PostgreSQL, once per process.
pub(super) fn statements() -> &'static Statements {
    static STATEMENTS: OnceLock<Statements> = OnceLock::new();
    STATEMENTS.get_or_init(|| Statements::new(&Postgres::default()))
}

/// A bound parameter.
pub(super) type P = Box<dyn ToSql + Sync + Send>;

/// The connection with its prepared statements.
pub(super) struct Conn {
    pub(super) client: Client,
    stmts: HashMap<String, Statement>,
    /// A statement failed since the open transaction's last good point: PostgreSQL has aborted it, and a
    /// later `COMMIT` would silently roll back (see [`Store::end_unit`](crate::storage::Store::end_unit)).
    pub(super) failed: bool,
    /// Statements sent so far.
    pub(super) sent: u64,
    /// The server's dialect (its case-folding collation).
    pub(super) dialect: Postgres,
    /// The statements of each module's table, built once per schema version.
    records: RecordSqlCache,
}

pub(super) fn map_err(e: postgres::Error) -> Error {
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

/// `?` for client results.
pub(super) trait PgResult<T> {
    fn db(self) -> Result<T>;
}
impl<T> PgResult<T> for std::result::Result<T, postgres::Error> {
    fn db(self) -> Result<T> {
        self.map_err(map_err)
    }
}

pub(super) fn refs(params: &[P]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect()
}

/// Reads a column, mapping a type mismatch to a storage error.
pub(super) fn get<'a, T: postgres::types::FromSql<'a>>(row: &'a Row, i: usize) -> Result<T> {
    row.try_get(i).map_err(|e| StorageError::Corrupt(format!("column {i}: {e}")).into())
}

impl Conn {
    pub(super) fn new(client: Client, dialect: Postgres) -> Conn {
        Conn { client, stmts: HashMap::new(), failed: false, sent: 0, dialect, records: RecordSqlCache::default() }
    }
    /// Forgets the record statements built from the schema (it was replaced).
    pub(super) fn forget_statements(&mut self) {
        self.records.clear();
    }
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
    pub(super) fn query_raw(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let s = self.stmt(sql)?;
        self.client.query(&s, params).db().inspect_err(|_| self.failed = true)
    }
    pub(super) fn query_one(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row> {
        let s = self.stmt(sql)?;
        self.client.query_one(&s, params).db().inspect_err(|_| self.failed = true)
    }
    pub(super) fn execute_raw(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let s = self.stmt(sql)?;
        self.client.execute(&s, params).db().inspect_err(|_| self.failed = true)
    }
    /// Runs statements without parameters (DDL, transaction control).
    pub(super) fn batch_raw(&mut self, sql: &str) -> Result<()> {
        self.sent += 1;
        self.client.batch_execute(sql).db().inspect_err(|_| self.failed = true)
    }
}

/// A value converted to its column's type (`None` inside is SQL NULL).
#[derive(Debug)]
pub(super) enum Typed {
    Int(Option<i64>),
    Num(Option<Decimal>),
    Bool(Option<bool>),
    Date(Option<NaiveDate>),
    Ts(Option<NaiveDateTime>),
    Time(Option<NaiveTime>),
    Text(Option<String>),
}

/// A value in the column type of field type `t`; `None` when it does not fit that type.
pub(super) fn value_typed(t: FieldType, v: &Value) -> Option<Typed> {
    let text = v.to_text();
    Some(match Postgres::default().kind(t) {
        ColumnKind::Int => Typed::Int(match v {
            Value::Null => None,
            Value::Int(i) => Some(*i),
            Value::Ref(r) => Some(r.0),
            Value::Owner(o) => Some(o.0),
            _ => match &text {
                None => None,
                Some(s) => Some(s.trim().parse::<i64>().ok()?),
            },
        }),
        ColumnKind::Num => Typed::Num(match v {
            Value::Null => None,
            Value::Decimal(d) => Some(*d),
            Value::Int(i) => Some(Decimal::from(*i)),
            _ => match &text {
                None => None,
                Some(s) => Some(crate::value::parse_decimal(s)?),
            },
        }),
        ColumnKind::Bool => Typed::Bool(match v {
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
        ColumnKind::Date => Typed::Date(match v {
            Value::Null => None,
            Value::Date(d) => Some(*d),
            Value::DateTime(d) => Some(d.date()),
            _ => match &text {
                None => None,
                Some(s) => Some(crate::value::parse_date(s)?),
            },
        }),
        ColumnKind::Ts => Typed::Ts(match v {
            Value::Null => None,
            Value::DateTime(d) => Some(d.with_nanosecond(0).unwrap_or(*d)),
            Value::Date(d) => Some(d.and_time(NaiveTime::MIN)),
            _ => match &text {
                None => None,
                Some(s) => Some(crate::value::parse_datetime(s)?),
            },
        }),
        ColumnKind::Time => Typed::Time(match v {
            Value::Null => None,
            Value::Time(t) => Some(t.with_nanosecond(0).unwrap_or(*t)),
            _ => match &text {
                None => None,
                Some(s) => Some(NaiveTime::parse_from_str(s.trim(), "%H:%M:%S").ok()?),
            },
        }),
        ColumnKind::Text => Typed::Text(text),
    })
}

/// A field value in its column type, or an `InvalidArgument` naming the field.
pub(super) fn field_value(t: FieldType, v: &Value, field: &str) -> Result<Typed> {
    value_typed(t, v).ok_or_else(|| {
        if field == ID_FIELD {
            Error::invalid(format!("'{v}' is not a record id"))
        } else {
            Error::invalid(format!("field '{field}': '{v}' does not fit a {t:?} column"))
        }
    })
}

/// A parameter as sent: a neutral one, or a field value already converted to its column's type.
#[derive(Debug)]
enum Param<'a> {
    Arg(&'a Arg<'a>),
    Typed(Typed),
}

type BoxError = Box<dyn std::error::Error + Sync + Send>;

impl ToSql for Typed {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> std::result::Result<IsNull, BoxError> {
        match self {
            Typed::Int(v) => v.to_sql_checked(ty, out),
            Typed::Num(v) => v.map(Numeric).to_sql_checked(ty, out),
            Typed::Bool(v) => v.to_sql_checked(ty, out),
            Typed::Date(v) => v.to_sql_checked(ty, out),
            Typed::Ts(v) => v.to_sql_checked(ty, out),
            Typed::Time(v) => v.to_sql_checked(ty, out),
            Typed::Text(v) => v.to_sql_checked(ty, out),
        }
    }
    fn accepts(_: &Type) -> bool {
        true
    }
    to_sql_checked!();
}

impl ToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> std::result::Result<IsNull, BoxError> {
        match self {
            Param::Typed(t) => t.to_sql(ty, out),
            Param::Arg(a) => match a {
                Arg::Null | Arg::Value(..) => Ok(IsNull::Yes),
                // lengths for left()/right() are INT4 parameters
                Arg::Int(i) if *ty == Type::INT4 => i32::try_from(*i)?.to_sql_checked(ty, out),
                Arg::Int(i) => i.to_sql_checked(ty, out),
                Arg::Bool(b) => b.to_sql_checked(ty, out),
                Arg::Text(s) => s.to_sql_checked(ty, out),
                Arg::Owned(s) => s.as_str().to_sql_checked(ty, out),
                Arg::Num(d) => Numeric(*d).to_sql_checked(ty, out),
                Arg::Date(d) => d.to_sql_checked(ty, out),
            },
        }
    }
    fn accepts(_: &Type) -> bool {
        true
    }
    to_sql_checked!();
}

fn params<'a>(args: &'a [Arg<'a>]) -> Result<Vec<Param<'a>>> {
    args.iter()
        .map(|a| match a {
            Arg::Value(t, v, field) => field_value(*t, v, field).map(Param::Typed),
            other => Ok(Param::Arg(other)),
        })
        .collect()
}

/// Reads column `i` as a value of field type `t`.
pub(super) fn read_value(row: &Row, i: usize, t: FieldType) -> Result<Value> {
    Ok(match Postgres::default().kind(t) {
        ColumnKind::Int => match get::<Option<i64>>(row, i)? {
            None => Value::Null,
            Some(n) => match t {
                FieldType::Reference => Value::Ref(RecordId(n)),
                FieldType::Owner => Value::Owner(OwnerId(n)),
                _ => Value::Int(n),
            },
        },
        ColumnKind::Num => get::<Option<Decimal>>(row, i)?.map_or(Value::Null, Value::Decimal),
        ColumnKind::Bool => get::<Option<bool>>(row, i)?.map_or(Value::Null, Value::Bool),
        ColumnKind::Date => get::<Option<NaiveDate>>(row, i)?.map_or(Value::Null, Value::Date),
        ColumnKind::Ts => get::<Option<NaiveDateTime>>(row, i)?.map_or(Value::Null, Value::DateTime),
        ColumnKind::Time => get::<Option<NaiveTime>>(row, i)?.map_or(Value::Null, Value::Time),
        ColumnKind::Text => get::<Option<String>>(row, i)?.map_or(Value::Null, |s| Value::from_text(t, &s)),
    })
}

/// A result row.
struct PgRow<'a>(&'a Row);

impl SqlRow for PgRow<'_> {
    fn int(&self, i: usize) -> Result<Option<i64>> {
        match self.0.try_get::<_, Option<i64>>(i) {
            Ok(v) => Ok(v),
            Err(_) => Ok(get::<Option<i32>>(self.0, i)?.map(i64::from)),
        }
    }
    fn text(&self, i: usize) -> Result<Option<String>> {
        get(self.0, i)
    }
    fn boolean(&self, i: usize) -> Result<Option<bool>> {
        get(self.0, i)
    }
    fn decimal(&self, i: usize) -> Result<Option<Decimal>> {
        get(self.0, i)
    }
    fn date(&self, i: usize) -> Result<Option<NaiveDate>> {
        get(self.0, i)
    }
    fn value(&self, i: usize, t: FieldType) -> Result<Value> {
        read_value(self.0, i, t)
    }
}

impl Db for Conn {
    fn dialect(&self) -> &dyn Dialect {
        &self.dialect
    }
    fn sql(&self) -> &'static Statements {
        statements()
    }
    fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        let p = params(args)?;
        let refs: Vec<&(dyn ToSql + Sync)> = p.iter().map(|x| x as &(dyn ToSql + Sync)).collect();
        self.execute_raw(sql, &refs)
    }
    fn query(&mut self, sql: &str, args: &[Arg<'_>], each: &mut dyn FnMut(&dyn SqlRow) -> Result<bool>) -> Result<()> {
        let p = params(args)?;
        let refs: Vec<&(dyn ToSql + Sync)> = p.iter().map(|x| x as &(dyn ToSql + Sync)).collect();
        // Rows are read from the connection as they are handed on (a large result is never held whole);
        // stopping early drops the rest of the result.
        let s = self.stmt(sql)?;
        let mut rows = self.client.query_raw(&s, refs).db().inspect_err(|_| self.failed = true)?;
        while let Some(r) = rows.next().db().inspect_err(|_| self.failed = true)? {
            if !each(&PgRow(&r))? {
                break;
            }
        }
        Ok(())
    }
    fn batch(&mut self, sql: &str) -> Result<()> {
        self.batch_raw(sql)
    }
    fn record_sql(&mut self, version: u64, m: &Module) -> Result<Arc<RecordSql>> {
        let d = self.dialect;
        self.records.of(&d, version, m)
    }
    fn insert_records(&mut self, _version: u64, m: &Module, records: &[&crate::record::Record]) -> Result<()> {
        super::bulk::insert_records(self, m, records)
    }
    /// Long runs of inserts (an import batch: new records, change log, stage history, outbox mail, journal
    /// rows) go as one statement per table; shorter ones change by change.
    fn bulk_run(&self, changes: &[crate::storage::Change]) -> usize {
        let n = changes.iter().take_while(|c| super::bulk::is_bulk(c)).count();
        if n >= super::bulk::MIN_RUN { n } else { 0 }
    }
    fn write_bulk(&mut self, schema: &crate::schema::Schema, run: &[crate::storage::Change]) -> Result<()> {
        super::bulk::write_run(self, schema, run)
    }
    /// One probe of the number's unique index for the whole list (`= ANY($1)`).
    fn numbers_taken(&mut self, m: &Module, field: &str, numbers: &[&str]) -> Result<Option<std::collections::HashSet<String>>> {
        let d = self.dialect;
        let sql = format!("SELECT {f} FROM {} WHERE {f} = ANY($1::text[])", d.ident(&m.table_name())?, f = d.ident(field)?);
        let rows = self.query_raw(&sql, &[&numbers])?;
        Ok(Some(rows.iter().map(|r| get::<String>(r, 0)).collect::<Result<_>>()?))
    }
    fn insert_history(&mut self, entries: &[&crate::history::HistoryEntry]) -> Result<()> {
        super::bulk::histories(self, entries)
    }
    fn log_rewrites(&mut self, entries: &[crate::history::HistoryEntry]) -> Result<()> {
        super::bulk::rewrites(self, entries)
    }
}
