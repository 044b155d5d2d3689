//! The access model (JSON in `crm_meta`, key `access`), its version (`access_version`, moved by every
//! stored model and every user or group change) and change log (`crm_access_changes`), once for both
//! engines.

use super::adapter::SqlAdapter;
use super::db::{row, rows};
use super::{Arg, Db, fmt_dt, parse_dt, signed, to_json};
use crate::access::{AccessChangeEntry, AccessModel};
use crate::error::{Error, Result, StorageError};
use crate::storage::{AccessStore, AccessStoreChange};

/// The access version (`locked`: the row stays locked until the transaction ends where the engine locks
/// rows); 0 when never set.
pub(crate) fn version<D: Db + ?Sized>(db: &mut D, locked: bool) -> Result<u64> {
    let sql = if locked { &db.sql().access_version_locked } else { &db.sql().access_version };
    match row(db, sql, &[], |r| r.string(0))? {
        Some(v) => v.trim().parse().map_err(|_| StorageError::Corrupt(format!("access_version '{v}'")).into()),
        None => Ok(0),
    }
}

/// Moves the access version on by one (a user or group changed).
pub(crate) fn bump<D: Db + ?Sized>(db: &mut D) -> Result<()> {
    db.execute(&db.sql().bump_access_version, &[])?;
    Ok(())
}

/// Writes one access change (in the caller's transaction).
pub(crate) fn apply<D: Db + ?Sized>(db: &mut D, c: &AccessStoreChange) -> Result<()> {
    match c {
        AccessStoreChange::Put { model, expected_version } => {
            let stored = version(db, true)?;
            if stored != *expected_version {
                return Err(Error::Conflict(format!("access control changed meanwhile (version {stored}, expected {expected_version})")));
            }
            let put = &db.sql().put_meta;
            db.execute(put, &[Arg::Text("access"), Arg::Owned(to_json(model)?)])?;
            db.execute(put, &[Arg::Text("access_version"), Arg::Owned((expected_version + 1).to_string())])?;
        }
        AccessStoreChange::Log(e) => {
            db.execute(
                &db.sql().insert_access_change,
                &[Arg::Int(signed(e.version)), Arg::Text(&e.actor), Arg::Owned(fmt_dt(e.at)), Arg::Owned(to_json(&e.change)?)],
            )?;
        }
    }
    Ok(())
}

impl<S: SqlAdapter> AccessStore for S {
    fn access_version(&self) -> Result<u64> {
        self.read(|db| version(db, false))
    }

    fn access_model(&self) -> Result<(AccessModel, u64)> {
        self.read(|db| {
            let v = version(db, false)?;
            let json = row(db, &db.sql().access_model, &[], |r| r.string(0))?;
            let m = match json {
                Some(j) => serde_json::from_str(&j).map_err(|e| StorageError::Corrupt(format!("stored access model: {e}")))?,
                None => AccessModel::default(),
            };
            Ok((m, v))
        })
    }

    fn access_changes(&self) -> Result<Vec<AccessChangeEntry>> {
        self.read(|db| {
            rows(db, &db.sql().access_changes, &[], |r| {
                let change = serde_json::from_str(&r.string(3)?).map_err(|e| StorageError::Corrupt(format!("access change: {e}")))?;
                Ok(AccessChangeEntry { version: r.u64(0)?, actor: r.string(1)?, at: parse_dt(&r.string(2)?), change })
            })
        })
    }
}
