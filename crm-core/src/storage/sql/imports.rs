//! Import journals, the fate of every record an import touched, and saved column mappings, once for both
//! engines.

use super::adapter::SqlAdapter;
use super::db::rows;
use super::{Arg, Db, SqlRow, fmt_dt, parse_dt, signed, to_json};
use crate::error::{Result, StorageError};
use crate::io::{ImportJournal, ImportRowFate, ImportStatus, RowAction, SavedMapping};
use crate::storage::{ImportChange, ImportStore};
use crate::value::RecordId;

/// Creates or updates an import's journal.
pub(crate) fn put_import<D: Db + ?Sized>(db: &mut D, j: &ImportJournal) -> Result<()> {
    let at = fmt_dt(j.at);
    db.execute(
        &db.sql().put_import,
        &[
            Arg::Int(j.id),
            Arg::Text(&j.module),
            Arg::Text(&j.kind),
            Arg::Text(&j.actor),
            Arg::Text(&at),
            Arg::Text(j.status.as_str()),
            Arg::Int(signed(j.rows)),
            Arg::Int(signed(j.created)),
            Arg::Int(signed(j.updated)),
            Arg::Int(signed(j.merged)),
            Arg::Int(signed(j.skipped)),
            Arg::Int(signed(j.failed)),
        ],
    )?;
    Ok(())
}

/// The parameters of an import-journal row (`insert_import_row`).
pub(crate) fn import_row_args(r: &ImportRowFate) -> [Arg<'_>; 6] {
    [
        Arg::Int(r.import_id),
        Arg::Int(signed(r.line)),
        Arg::Int(r.record.0),
        Arg::Text(r.action.as_str()),
        Arg::opt_text(r.previous.as_deref()),
        Arg::Int(signed(r.version)),
    ]
}

/// Records what an import did to one record.
pub(crate) fn import_row<D: Db + ?Sized>(db: &mut D, r: &ImportRowFate) -> Result<()> {
    db.execute(&db.sql().insert_import_row, &import_row_args(r))?;
    Ok(())
}

/// Creates or replaces a saved mapping (by module and name, ignoring case).
pub(crate) fn put_mapping<D: Db + ?Sized>(db: &mut D, m: &SavedMapping) -> Result<()> {
    let json = to_json(&m.mapping)?;
    db.execute(&db.sql().put_mapping, &[Arg::Text(&m.module), Arg::Text(&m.name), Arg::Owned(json)])?;
    Ok(())
}

/// Deletes a saved mapping.
pub(crate) fn delete_mapping<D: Db + ?Sized>(db: &mut D, module: &str, name: &str) -> Result<()> {
    db.execute(&db.sql().delete_mapping, &[Arg::Text(module), Arg::Text(name)])?;
    Ok(())
}

/// Every import, oldest first.
pub(crate) fn imports<D: Db + ?Sized>(db: &mut D) -> Result<Vec<ImportJournal>> {
    rows(db, &db.sql().imports, &[], |r| {
        Ok(ImportJournal {
            id: r.i64(0)?,
            module: r.string(1)?,
            kind: r.string(2)?,
            actor: r.string(3)?,
            at: parse_dt(&r.string(4)?),
            status: ImportStatus::parse(&r.string(5)?).unwrap_or(ImportStatus::Running),
            rows: r.u64(6)?,
            created: r.u64(7)?,
            updated: r.u64(8)?,
            merged: r.u64(9)?,
            skipped: r.u64(10)?,
            failed: r.u64(11)?,
        })
    })
}

/// The records an import touched, in file order.
pub(crate) fn import_rows<D: Db + ?Sized>(db: &mut D, import_id: i64) -> Result<Vec<ImportRowFate>> {
    rows(db, &db.sql().import_rows, &[Arg::Int(import_id)], import_row_fate)
}

/// One page of the records an import touched, in file order.
pub(crate) fn import_rows_page<D: Db + ?Sized>(db: &mut D, import_id: i64, offset: u64, limit: u64) -> Result<Vec<ImportRowFate>> {
    let (offset, limit) = (i64::try_from(offset).unwrap_or(i64::MAX), i64::try_from(limit).unwrap_or(i64::MAX));
    rows(db, &db.sql().import_rows_page, &[Arg::Int(import_id), Arg::Int(limit), Arg::Int(offset)], import_row_fate)
}

fn import_row_fate(r: &dyn SqlRow) -> Result<ImportRowFate> {
    Ok(ImportRowFate {
        import_id: r.i64(0)?,
        line: r.u64(1)?,
        record: RecordId(r.i64(2)?),
        action: RowAction::parse(&r.string(3)?).unwrap_or(RowAction::Created),
        previous: r.text(4)?,
        version: r.u64(5)?,
    })
}

/// The saved mappings of a module, by name.
pub(crate) fn mappings<D: Db + ?Sized>(db: &mut D, module: &str) -> Result<Vec<SavedMapping>> {
    rows(db, &db.sql().mappings, &[Arg::Text(module)], |r| {
        let name = r.string(1)?;
        let mapping = serde_json::from_str(&r.string(2)?).map_err(|e| StorageError::Corrupt(format!("saved mapping '{name}': {e}")))?;
        Ok(SavedMapping { module: r.string(0)?, name, mapping })
    })
}

/// Writes one import change (in the caller's transaction).
pub(crate) fn apply<D: Db + ?Sized>(db: &mut D, c: &ImportChange) -> Result<()> {
    match c {
        ImportChange::PutImport(j) => put_import(db, j),
        ImportChange::ImportRow(r) => import_row(db, r),
        ImportChange::PutMapping(m) => put_mapping(db, m),
        ImportChange::DeleteMapping { module, name } => delete_mapping(db, module, name),
    }
}

impl<S: SqlAdapter> ImportStore for S {
    fn imports(&self) -> Result<Vec<ImportJournal>> {
        self.read(|db| imports(db))
    }

    fn import_rows(&self, import_id: i64) -> Result<Vec<ImportRowFate>> {
        self.read(|db| import_rows(db, import_id))
    }

    fn import_rows_page(&self, import_id: i64, offset: u64, limit: u64) -> Result<Vec<ImportRowFate>> {
        self.read(|db| import_rows_page(db, import_id, offset, limit))
    }

    fn mappings(&self, module: &str) -> Result<Vec<SavedMapping>> {
        self.read(|db| mappings(db, module))
    }
}
