//! The SQL layer both relational adapters share: written once, against a [`Dialect`].
//!
//! * [`dialect`] — what differs between SQL engines (placeholders, booleans, column types, string search
//!   and case folding, exact decimal compare/sort/sum, case-insensitive uniqueness). Every method has a
//!   default (standard SQL as PostgreSQL speaks it); a backend overrides only what it does differently, the
//!   way sea-query's `QueryBuilder` lets `SqliteQueryBuilder` override a few fragments of one builder.
//! * [`compile`] — conditions, sorting, paging and aggregates of a [`Query`](crate::query::Query) as SQL
//!   with bound parameters; identifiers come only from the schema.
//! * [`ddl`] — the side tables and the module tables (columns, indexes), as templates a dialect renders.
//! * [`statements`] — every fixed statement, rendered once per dialect.
//! * [`adapter`] — what an adapter provides ([`SqlAdapter`]) so that every storage port is implemented once
//!   for both engines, in the area modules.
//! * [`db`] — the narrow connection interface ([`Db`], [`SqlRow`], [`Arg`]) the adapters implement, and over
//!   which the per-area modules ([`records`], [`schema`], [`workflows`], [`imports`], [`views`],
//!   [`relations`], [`users`]) write their changes and answer their reads once for both engines.
//!
//! Why by hand and not with a query-builder crate: the statements are few and fixed, their shapes are
//! tuned to the indexes (keyset paging through a declared index, one probe on the auto-number index), and
//! the differences that matter are not in the syntax a builder abstracts but in the functions around it
//! (SQLite's decimal key expression and `crm_sum` aggregate against PostgreSQL's `NUMERIC`, `crm_fold`
//! against `lower(... COLLATE ...)`, `unnest` bulk inserts). sea-query would add a dependency and an
//! allocation-heavy statement tree per query while still needing custom expressions for each of those.

pub(crate) mod access;
pub(crate) mod adapter;
pub(crate) mod analytics;
pub(crate) mod compile;
pub(crate) mod db;
pub(crate) mod ddl;
pub(crate) mod dialect;
pub(crate) mod duplicates;
pub(crate) mod feed;
pub(crate) mod imports;
pub(crate) mod records;
pub(crate) mod relations;
pub(crate) mod schema;
pub(crate) mod statements;
pub(crate) mod users;
pub(crate) mod views;
pub(crate) mod workflows;

pub(crate) use adapter::SqlAdapter;
pub(crate) use db::{Arg, Db, SqlRow};
pub(crate) use dialect::{ColumnKind, Dialect};

use crate::error::{Error, Result, StorageError};

/// Quotes an identifier that comes from the schema, refusing anything that is not a plain identifier of at
/// most `max` bytes.
pub(crate) fn ident_max(name: &str, max: usize) -> Result<String> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok && name.len() <= max { Ok(format!("\"{name}\"")) } else { Err(Error::invalid(format!("'{name}' is not a valid identifier"))) }
}

/// A value as JSON text.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StorageError::Backend(e.to_string()).into())
}

/// Date-time as stored in text columns.
pub(crate) fn fmt_dt(t: chrono::NaiveDateTime) -> String {
    crate::value::format_datetime(t)
}

/// Reads a stored date-time text (the epoch when unreadable).
pub(crate) fn parse_dt(s: &str) -> chrono::NaiveDateTime {
    crate::value::parse_datetime(s).unwrap_or_default()
}

/// A count or version read from an integer column.
pub(crate) fn unsigned(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// A count or version bound as an integer parameter.
pub(crate) fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Writes one change (in the caller's transaction), through the area it belongs to.
pub(crate) fn apply<D: Db + ?Sized>(db: &mut D, schema: &crate::schema::Schema, c: &crate::storage::Change) -> Result<()> {
    use crate::storage::Change;
    match c {
        Change::Record(c) => records::apply(db, schema, c),
        Change::Schema(c) => self::schema::apply(db, schema, c),
        Change::Workflow(c) => workflows::apply(db, c),
        Change::Import(c) => imports::apply(db, c),
        Change::View(c) => views::apply(db, c),
        Change::Relation(c) => relations::apply(db, c),
        Change::User(c) => {
            users::apply(db, c)?;
            access::bump(db) // what a user sees may change with any user or group
        }
        Change::Access(c) => access::apply(db, c),
    }
}
