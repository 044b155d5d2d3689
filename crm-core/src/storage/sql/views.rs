//! List filters and settings, once for both engines.

use super::adapter::SqlAdapter;
use super::db::{row, rows};
use super::{Arg, Db, to_json};
use crate::error::{Result, StorageError};
use crate::storage::{ViewChange, ViewStore};
use crate::view::Filter;

/// Creates or replaces a filter (its definition as JSON, searchable columns beside it).
pub(crate) fn put_filter<D: Db + ?Sized>(db: &mut D, f: &Filter) -> Result<()> {
    let json = to_json(f)?;
    let vis = serde_json::to_value(f.visibility).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    db.execute(
        &db.sql().put_filter,
        &[
            Arg::Int(f.id),
            Arg::Text(&f.module),
            Arg::Text(&f.name),
            Arg::Owned(vis),
            Arg::opt_text(f.owner.as_deref()),
            Arg::Bool(f.default),
            Arg::Owned(json),
        ],
    )?;
    Ok(())
}

/// Deletes a filter.
pub(crate) fn delete_filter<D: Db + ?Sized>(db: &mut D, id: i64) -> Result<()> {
    db.execute(&db.sql().delete_filter, &[Arg::Int(id)])?;
    Ok(())
}

/// The filters of a module, lowest id first.
pub(crate) fn filters<D: Db + ?Sized>(db: &mut D, module: &str) -> Result<Vec<Filter>> {
    rows(db, &db.sql().filters, &[Arg::Text(module)], |r| {
        serde_json::from_str::<Filter>(&r.string(0)?).map_err(|e| StorageError::Corrupt(format!("stored filter: {e}")).into())
    })
}

/// Stores a setting (JSON text).
pub(crate) fn put_setting<D: Db + ?Sized>(db: &mut D, key: &str, value: &str) -> Result<()> {
    db.execute(&db.sql().put_setting, &[Arg::Text(key), Arg::Text(value)])?;
    Ok(())
}

/// A setting.
pub(crate) fn setting<D: Db + ?Sized>(db: &mut D, key: &str) -> Result<Option<String>> {
    row(db, &db.sql().setting, &[Arg::Text(key)], |r| r.string(0))
}

/// Writes one view change (in the caller's transaction).
pub(crate) fn apply<D: Db + ?Sized>(db: &mut D, c: &ViewChange) -> Result<()> {
    match c {
        ViewChange::PutFilter(f) => put_filter(db, f),
        ViewChange::DeleteFilter(id) => delete_filter(db, *id),
        ViewChange::PutSetting { key, value } => put_setting(db, key, value),
    }
}

impl<S: SqlAdapter> ViewStore for S {
    fn filters(&self, module: &str) -> Result<Vec<Filter>> {
        self.read(|db| filters(db, module))
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        self.read(|db| setting(db, key))
    }
}
