//! What only SQLite does for records: the id sequence table, and reading rows straight into slots.

use super::SqliteStore;
use super::db::{Bound, SqlResult, from_sql};
use crate::error::{Result, StorageError};
use crate::query::Query;
use crate::row::{Row, RowLayout};
use crate::storage::sql::db::row;
use crate::storage::sql::{self, Arg, Db, SqlAdapter};
use crate::value::{RecordId, Value};
use rusqlite::params_from_iter;
use std::sync::Arc;

/// Reserves `n` ids from `crm_seq` (in the caller's write transaction, which holds the database lock).
pub(super) fn reserve_ids(db: &mut dyn Db, n: i64) -> Result<i64> {
    db.execute("INSERT INTO crm_seq (name, value) VALUES ('id', 1) ON CONFLICT (name) DO NOTHING", &[])?;
    let first = row(db, "SELECT value FROM crm_seq WHERE name = 'id'", &[], |r| r.i64(0))?.unwrap_or(1);
    let next = first.checked_add(n).ok_or_else(|| StorageError::Backend("id space exhausted".into()))?;
    db.execute("UPDATE crm_seq SET value = ?1 WHERE name = 'id'", &[Arg::Int(next)])?;
    Ok(first)
}

/// Reads the columns of each selected record straight into its row's slots (the same `SELECT` as
/// `query`, no map per record). False when the stored module is not laid out as `layout` (another handle
/// changed the schema): then records are converted instead, so rows always have the layout asked for.
pub(super) fn scan_rows(store: &SqliteStore, q: &Query, layout: &Arc<RowLayout>, f: &mut dyn FnMut(Row) -> bool) -> Result<bool> {
    let s = store.read_schema()?;
    let m = sql::compile::module(&s, &q.module)?;
    if !layout.fits(m) {
        return Ok(false);
    }
    let (select, args) = sql::compile::select(&super::dialect::Sqlite, m, q, Arg::Int(-1))?;
    let mut st = store.connection().prepare_cached(&select).db()?;
    let mut rows = st.query(params_from_iter(args.iter().map(Bound))).db()?;
    while let Some(r) = rows.next().db()? {
        let mut values = Vec::with_capacity(m.fields.len());
        for (i, fd) in m.fields.iter().enumerate() {
            let v = from_sql(fd.field_type, r.get_ref(4 + i).db()?);
            values.push(if v.is_empty() { Value::Null } else { v });
        }
        let row = Row::from_parts(
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
    Ok(true)
}
