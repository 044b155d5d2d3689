//! The narrow interface between the shared SQL code and an engine's connection: statement parameters
//! ([`Arg`]), result rows ([`SqlRow`]) and the connection itself ([`Db`]).

use super::records::RecordSql;
use super::statements::Statements;
use super::{Dialect, unsigned};
use crate::error::{Result, StorageError};
use crate::schema::{FieldType, Module};
use crate::value::Value;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::sync::Arc;

/// One statement parameter, in the engine-neutral form each adapter binds its own way.
#[derive(Debug, Clone)]
pub(crate) enum Arg<'a> {
    /// SQL NULL.
    Null,
    /// A whole number.
    Int(i64),
    /// A boolean (an integer 0/1 where the engine has no boolean type).
    Bool(bool),
    /// Borrowed text.
    Text(&'a str),
    /// Owned text.
    Owned(String),
    /// An exact decimal (text where the engine has no exact numeric type).
    Num(Decimal),
    /// A date (ISO text where the engine has no date type).
    Date(NaiveDate),
    /// A field value, bound as its column stores it: `(type, value, field name for messages)`. SQLite binds
    /// the value alone; the type and name serve PostgreSQL's binder.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Value(FieldType, &'a Value, &'a str),
}

impl<'a> Arg<'a> {
    /// Text or NULL.
    pub(crate) fn opt_text(v: Option<&'a str>) -> Arg<'a> {
        v.map_or(Arg::Null, Arg::Text)
    }
    /// A whole number or NULL.
    pub(crate) fn opt_int(v: Option<i64>) -> Arg<'a> {
        v.map_or(Arg::Null, Arg::Int)
    }
    /// A decimal or NULL.
    pub(crate) fn opt_num(v: Option<Decimal>) -> Arg<'a> {
        v.map_or(Arg::Null, Arg::Num)
    }
    /// A date or NULL.
    pub(crate) fn opt_date(v: Option<NaiveDate>) -> Arg<'a> {
        v.map_or(Arg::Null, Arg::Date)
    }
}

/// One result row.
pub(crate) trait SqlRow {
    /// An integer column.
    fn int(&self, i: usize) -> Result<Option<i64>>;
    /// A text column.
    fn text(&self, i: usize) -> Result<Option<String>>;
    /// A boolean column.
    fn boolean(&self, i: usize) -> Result<Option<bool>>;
    /// An exact decimal column.
    fn decimal(&self, i: usize) -> Result<Option<Decimal>>;
    /// A date column.
    fn date(&self, i: usize) -> Result<Option<NaiveDate>>;
    /// A record column of field type `t`.
    fn value(&self, i: usize, t: FieldType) -> Result<Value>;

    /// An integer column that must not be NULL.
    fn i64(&self, i: usize) -> Result<i64> {
        self.int(i)?.ok_or_else(|| null(i))
    }
    /// A count or version column.
    fn u64(&self, i: usize) -> Result<u64> {
        Ok(unsigned(self.i64(i)?))
    }
    /// A text column that must not be NULL.
    fn string(&self, i: usize) -> Result<String> {
        self.text(i)?.ok_or_else(|| null(i))
    }
    /// A boolean column that must not be NULL.
    fn flag(&self, i: usize) -> Result<bool> {
        self.boolean(i)?.ok_or_else(|| null(i))
    }
}

fn null(i: usize) -> crate::error::Error {
    StorageError::Corrupt(format!("column {i} is NULL")).into()
}

/// A connection the shared SQL code runs statements on.
pub(crate) trait Db {
    /// The engine's dialect.
    fn dialect(&self) -> &dyn Dialect;
    /// The fixed statements, rendered for this engine.
    fn sql(&self) -> &'static Statements;
    /// Runs a statement; returns the number of rows it changed.
    fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64>;
    /// Runs a query, calling `each` with every row until it returns false.
    fn query(&mut self, sql: &str, args: &[Arg<'_>], each: &mut dyn FnMut(&dyn SqlRow) -> Result<bool>) -> Result<()>;
    /// Runs statements without parameters (DDL).
    fn batch(&mut self, sql: &str) -> Result<()>;
    /// Runs an `INSERT` of one row into a table whose `id` the engine assigns, and gives that id. The default
    /// adds `RETURNING id`; SQLite overrides it with `last_insert_rowid()`, because its `RETURNING` first
    /// materialises the row in a temporary b-tree (a b-tree opened per change-log entry).
    fn insert_id(&mut self, insert: &str, args: &[Arg<'_>]) -> Result<i64> {
        row(self, &format!("{insert} RETURNING id"), args, |r| r.i64(0))?
            .ok_or_else(|| StorageError::Backend("no id from INSERT".into()).into())
    }

    /// The statements of module `m`'s table under schema version `version` (built once per version).
    fn record_sql(&mut self, version: u64, m: &Module) -> Result<Arc<RecordSql>>;

    /// Inserts new records of module `m`: their entity rows, then their module rows.
    fn insert_records(&mut self, version: u64, m: &Module, records: &[&crate::record::Record]) -> Result<()> {
        super::records::insert_each(self, version, m, records)
    }
    /// Which of `numbers` a record of `m` has in its auto-number `field`, in one statement; `None` when the
    /// engine has no such statement (then each is probed).
    fn numbers_taken(&mut self, m: &Module, field: &str, numbers: &[&str]) -> Result<Option<std::collections::HashSet<String>>> {
        let _ = (m, field, numbers);
        Ok(None)
    }
    /// How many of the leading changes the engine writes at once with [`Db::write_bulk`] (0: none).
    fn bulk_run(&self, changes: &[crate::storage::Change]) -> usize {
        let _ = changes;
        0
    }
    /// Writes a run of changes [`Db::bulk_run`] counted.
    fn write_bulk(&mut self, schema: &crate::schema::Schema, run: &[crate::storage::Change]) -> Result<()> {
        run.iter().try_for_each(|c| super::apply(self, schema, c))
    }
    /// Appends change-log entries.
    fn insert_history(&mut self, entries: &[&crate::history::HistoryEntry]) -> Result<()> {
        super::records::history_each(self, entries)
    }
    /// Gives each record a schema edit rewrote a new version and its change-log entry (one entry per
    /// record, from [`rewrite_entry`](crate::storage::rewrite_entry)).
    fn log_rewrites(&mut self, entries: &[crate::history::HistoryEntry]) -> Result<()> {
        super::records::rewrites_each(self, entries)
    }
}

/// Every row of a query, converted by `f`.
pub(crate) fn rows<T, D: Db + ?Sized>(
    db: &mut D,
    sql: &str,
    args: &[Arg<'_>],
    mut f: impl FnMut(&dyn SqlRow) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    db.query(sql, args, &mut |r| {
        out.push(f(r)?);
        Ok(true)
    })?;
    Ok(out)
}

/// The first row of a query, converted by `f`.
pub(crate) fn row<T, D: Db + ?Sized>(
    db: &mut D,
    sql: &str,
    args: &[Arg<'_>],
    f: impl FnOnce(&dyn SqlRow) -> Result<T>,
) -> Result<Option<T>> {
    let mut f = Some(f);
    let mut out = None;
    db.query(sql, args, &mut |r| {
        if let Some(f) = f.take() {
            out = Some(f(r)?);
        }
        Ok(false)
    })?;
    Ok(out)
}
