//! The stored schema, its version, its change log and the schema changes that rewrite records (cleared
//! fields, replaced picklist values), once for both engines.

use super::adapter::SqlAdapter;
use super::db::{row, rows};
use super::{Arg, ColumnKind, Db, SqlRow, ddl, fmt_dt, parse_dt, signed, to_json, unsigned};
use crate::error::{Error, Result, StorageError};
use crate::history::HistoryEntry;
use crate::schema::edit::SchemaChangeEntry;
use crate::schema::{FieldType, Schema};
use crate::storage::{Change, SchemaStore, SchemaStoreChange, rewrite_entry};
use crate::value::{MULTI_SEPARATOR, RecordId};
use chrono::NaiveDateTime;
use std::cell::RefCell;
use std::sync::Arc;

/// The stored schema, if any.
pub(crate) fn load<D: Db + ?Sized>(db: &mut D) -> Result<Option<Schema>> {
    let json = row(db, &db.sql().schema, &[], |r| r.string(0))?;
    json.map(|j| serde_json::from_str::<Schema>(&j).map_err(|e| StorageError::Corrupt(format!("stored schema: {e}")).into())).transpose()
}

/// A stored schema version's text as a number.
pub(crate) fn parse_version(v: &str) -> Result<u64> {
    v.parse().map_err(|_| StorageError::Corrupt(format!("schema_version '{v}'")).into())
}

/// The stored schema version (`locked`: the row stays locked until the transaction ends, where the engine
/// locks rows), or for databases written before it had a row of its own, the version inside the schema.
pub(crate) fn version<D: Db + ?Sized>(db: &mut D, locked: bool) -> Result<Option<u64>> {
    let sql = if locked { &db.sql().schema_version_locked } else { &db.sql().schema_version };
    if let Some(v) = row(db, sql, &[], |r| r.string(0))? {
        return parse_version(&v).map(Some);
    }
    match db.dialect().legacy_schema_version() {
        Some(legacy) => Ok(row(db, legacy, &[], |r| r.int(0))?.flatten().map(unsigned)),
        None => Ok(None),
    }
}

/// Stores the schema (JSON in `crm_meta`, its version beside it) and makes the layout follow it: tables,
/// new columns, indexes. Columns are never dropped here.
pub(crate) fn install<D: Db + ?Sized>(db: &mut D, schema: &Schema) -> Result<()> {
    let json = to_json(schema)?;
    for m in schema.modules.values() {
        ddl::module_table(db, m)?;
    }
    let put = &db.sql().put_meta;
    db.execute(put, &[Arg::Text("schema"), Arg::Owned(json)])?;
    db.execute(put, &[Arg::Text("schema_version"), Arg::Owned(schema.version.to_string())])?;
    Ok(())
}

/// Stores a schema derived from version `expected`, refused with `Conflict` when the stored version moved.
pub(crate) fn put<D: Db + ?Sized>(db: &mut D, schema: &Schema, expected: u64) -> Result<()> {
    let stored = version(db, true)?.unwrap_or(0);
    if stored != expected {
        return Err(Error::Conflict(format!("the schema changed meanwhile (version {stored}, expected {expected})")));
    }
    install(db, schema)
}

/// Removes every stored value of a field (the change log is kept). Each record that held a value gets a
/// new version and a change-log entry by `actor` at `at` ([`Db::log_rewrites`]).
pub(crate) fn clear_field<D: Db + ?Sized>(
    db: &mut D,
    schema: &Schema,
    module: &str,
    field: &str,
    actor: &str,
    at: NaiveDateTime,
) -> Result<()> {
    let m = super::compile::module(schema, module)?;
    let d = db.dialect();
    let (table, column) = (d.ident(&m.table_name())?, d.ident(field)?);
    let t = m.field(field).map_or(FieldType::Text, |f| f.field_type);
    let held = rows(db, &format!("SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL"), &[], |r| {
        Ok((r.i64(0)?, r.value(1, t)?.to_text()))
    })?;
    db.execute(&format!("UPDATE {table} SET {column} = NULL"), &[])?;
    let log: Vec<HistoryEntry> = held
        .into_iter()
        .filter_map(|(id, before)| Some(rewrite_entry(RecordId(id), &m.name, field, Some(before?), None, actor, at)))
        .collect();
    db.log_rewrites(&log)
}

/// A schema change that rewrites records: its module, field and (for a picklist value) the value replaced.
fn rewritten(c: &Change) -> Option<(&str, &str, Option<&str>)> {
    match c {
        Change::Schema(SchemaStoreChange::ClearField { module, field, .. }) => Some((module, field, None)),
        Change::Schema(SchemaStoreChange::ReplacePicklistValue { module, field, from, .. }) => Some((module, field, Some(from))),
        _ => None,
    }
}

/// Where the engine locks rows: locks the `crm_entity` rows of the records a change set's schema edits
/// are about to rewrite, in id order, before anything else is written. A record save takes its entity row
/// and then its module table, and the schema write beside a rewrite locks the module tables (`CREATE
/// INDEX IF NOT EXISTS`), so a rewrite that waited for an entity row only after that would deadlock with
/// the save. (SQLite's writers hold the database lock: nothing to do.)
pub(crate) fn lock_rewritten<D: Db + ?Sized>(db: &mut D, schema: &Schema, changes: &[Change]) -> Result<()> {
    if !db.dialect().locks_rows() {
        return Ok(());
    }
    for (module, field, from) in changes.iter().filter_map(rewritten) {
        let m = super::compile::module(schema, module)?;
        let Some(f) = m.field(field) else { continue };
        let d = db.dialect();
        let (table, column) = (d.ident(&m.table_name())?, d.ident(&f.name)?);
        let (filter, args) = match from {
            None => (format!("{column} IS NOT NULL"), vec![]),
            Some(from) if f.field_type == FieldType::MultiPicklist => {
                let needle = format!("{MULTI_SEPARATOR}{from}{MULTI_SEPARATOR}");
                (format!("{} > 0", multi_holds(d, &column)), vec![Arg::Owned(needle)])
            }
            Some(from) if d.kind(f.field_type) == ColumnKind::Text => (format!("{column} = {}", d.placeholder(1)), vec![Arg::Text(from)]),
            Some(_) => continue,
        };
        let lock = format!(
            "SELECT e.id FROM crm_entity e WHERE e.id IN (SELECT id FROM {table} WHERE {filter}) ORDER BY e.id {}",
            d.token("for_update")
        );
        rows(db, &lock, &args, |_| Ok(()))?;
    }
    Ok(())
}

/// Where the multi-select text of `column` holds the needle bound as parameter 1 (`|##|value|##|`).
fn multi_holds(d: &dyn super::Dialect, column: &str) -> String {
    d.position(&format!("'{MULTI_SEPARATOR}' || {column} || '{MULTI_SEPARATOR}'"), &d.placeholder(1))
}

/// Rewrites a picklist value in every record of a module, live or deleted (single and multi-select);
/// `to: None` removes the value. Each rewritten record gets a new version and a change-log entry by
/// `actor` at `at` ([`Db::log_rewrites`]).
#[allow(clippy::too_many_arguments)] // the change's fields, as the change names them
pub(crate) fn replace_picklist_value<D: Db + ?Sized>(
    db: &mut D,
    schema: &Schema,
    module: &str,
    field: &str,
    from: &str,
    to: Option<&str>,
    actor: &str,
    at: NaiveDateTime,
) -> Result<()> {
    let m = super::compile::module(schema, module)?;
    let f = m.field(field).ok_or_else(|| Error::invalid(format!("{} has no field '{field}'", m.name)))?;
    let d = db.dialect();
    if d.kind(f.field_type) != ColumnKind::Text {
        return Ok(());
    }
    let (table, column) = (d.ident(&m.table_name())?, d.ident(&f.name)?);
    let entry =
        |id: i64, before: Option<String>, after: Option<String>| rewrite_entry(RecordId(id), &m.name, &f.name, before, after, actor, at);
    let mut log = Vec::new();
    if f.field_type != FieldType::MultiPicklist {
        let sql = format!("UPDATE {table} SET {column} = {} WHERE {column} = {} RETURNING id", d.placeholder(1), d.placeholder(2));
        for id in rows(db, &sql, &[Arg::opt_text(to), Arg::Text(from)], |r| r.i64(0))? {
            log.push(entry(id, Some(from.to_string()), to.map(str::to_string)));
        }
        return db.log_rewrites(&log);
    }
    let needle = format!("{MULTI_SEPARATOR}{from}{MULTI_SEPARATOR}");
    let select = format!("SELECT id, {column} FROM {table} WHERE {} > 0", multi_holds(d, &column));
    let update = format!("UPDATE {table} SET {column} = {} WHERE id = {}", d.placeholder(1), d.placeholder(2));
    let hits = rows(db, &select, &[Arg::Owned(needle)], |r| Ok((r.i64(0)?, r.string(1)?)))?;
    for (id, text) in hits {
        let mut out: Vec<String> = Vec::new();
        for x in crate::value::split_multi(&text) {
            let x = if x == from { to.map(str::to_string) } else { Some(x) };
            if let Some(x) = x.filter(|x| !out.contains(x)) {
                out.push(x);
            }
        }
        let joined = (!out.is_empty()).then(|| out.join(MULTI_SEPARATOR));
        db.execute(&update, &[Arg::opt_text(joined.as_deref()), Arg::Int(id)])?;
        if joined.as_deref() != Some(text.as_str()) {
            log.push(entry(id, Some(text), joined));
        }
    }
    db.log_rewrites(&log)
}

/// Appends to the schema change log.
pub(crate) fn log<D: Db + ?Sized>(db: &mut D, e: &SchemaChangeEntry) -> Result<()> {
    let json = to_json(&e.change)?;
    let at = fmt_dt(e.at);
    db.execute(
        &db.sql().insert_schema_change,
        &[Arg::Int(signed(e.version)), Arg::Text(e.change.op()), Arg::Text(&e.actor), Arg::Text(&at), Arg::Owned(json)],
    )?;
    Ok(())
}

/// The schema change log, oldest first.
pub(crate) fn changes<D: Db + ?Sized>(db: &mut D) -> Result<Vec<SchemaChangeEntry>> {
    rows(db, &db.sql().schema_changes, &[], change_entry)
}

/// One page of the schema change log: at most `limit` changes after version `after`, oldest first.
pub(crate) fn changes_page<D: Db + ?Sized>(db: &mut D, after: Option<u64>, limit: u64) -> Result<Vec<SchemaChangeEntry>> {
    let after = after.map_or(-1, |a| i64::try_from(a).unwrap_or(i64::MAX));
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    rows(db, &db.sql().schema_changes_page, &[Arg::Int(after), Arg::Int(limit)], change_entry)
}

fn change_entry(r: &dyn SqlRow) -> Result<SchemaChangeEntry> {
    let version = r.u64(0)?;
    let change = serde_json::from_str(&r.string(3)?).map_err(|e| StorageError::Corrupt(format!("schema change {version}: {e}")))?;
    Ok(SchemaChangeEntry { version, actor: r.string(1)?, at: parse_dt(&r.string(2)?), change })
}

/// The schema reads use: the handle's own, or — when another handle of the same database stored a newer one
/// since — the stored one (loaded once per version and kept in `newer` until the handle catches up). Costs
/// one indexed row read per call; makes reads see other handles' schema changes (new columns).
pub(crate) fn fresh<D: Db + ?Sized>(db: &mut D, own: Option<&Arc<Schema>>, newer: &RefCell<Option<Arc<Schema>>>) -> Result<Arc<Schema>> {
    let own = own.ok_or_else(|| Error::invalid("no schema stored yet"))?;
    let stored = version(db, false)?;
    if stored.is_none_or(|v| v == own.version) {
        return Ok(Arc::clone(own));
    }
    if let Some(n) = newer.borrow().as_ref().filter(|n| Some(n.version) == stored) {
        return Ok(Arc::clone(n));
    }
    let Some(s) = load(db)? else { return Ok(Arc::clone(own)) };
    let s = Arc::new(s);
    *newer.borrow_mut() = Some(Arc::clone(&s));
    Ok(s)
}

/// The stored schema when it is newer than `version`, else `None` (see [`fresh`]).
pub(crate) fn newer<D: Db + ?Sized>(
    db: &mut D,
    version_held: u64,
    own: Option<&Arc<Schema>>,
    newer: &RefCell<Option<Arc<Schema>>>,
) -> Result<Option<Arc<Schema>>> {
    if version(db, false)?.is_none_or(|v| v == version_held) {
        return Ok(None);
    }
    let s = fresh(db, own, newer)?;
    Ok((s.version != version_held).then_some(s))
}

/// Writes one schema change (in the caller's transaction).
pub(crate) fn apply<D: Db + ?Sized>(db: &mut D, schema: &Schema, c: &SchemaStoreChange) -> Result<()> {
    match c {
        SchemaStoreChange::Put { schema: new, expected_version } => put(db, new, *expected_version),
        SchemaStoreChange::ClearField { module, field, actor, at } => clear_field(db, schema, module, field, actor, *at),
        SchemaStoreChange::ReplacePicklistValue { module, field, from, to, actor, at } => {
            replace_picklist_value(db, schema, module, field, from, to.as_deref(), actor, *at)
        }
        SchemaStoreChange::Log(e) => log(db, e),
    }
}

impl<S: SqlAdapter> SchemaStore for S {
    fn load_schema(&mut self) -> Result<Option<Schema>> {
        let schema = self.read(|db| load(db))?;
        self.schemas_mut().own = schema.clone().map(Arc::new);
        self.schema_replaced();
        Ok(schema)
    }

    fn save_schema(&mut self, schema: &Schema) -> Result<()> {
        self.write(|db| install(db, schema))?;
        self.schemas_mut().own = Some(Arc::new(schema.clone()));
        self.schema_replaced();
        Ok(())
    }

    fn schema_version(&self) -> Result<Option<u64>> {
        self.stored_schema_version()
    }

    fn newer_schema(&self, held: u64) -> Result<Option<Arc<Schema>>> {
        let s = self.schemas();
        self.read(|db| newer(db, held, s.own.as_ref(), &s.newer))
    }

    fn schema_changes(&self) -> Result<Vec<SchemaChangeEntry>> {
        self.read(|db| changes(db))
    }

    fn schema_changes_page(&self, after: Option<u64>, limit: u64) -> Result<Vec<SchemaChangeEntry>> {
        self.read(|db| changes_page(db, after, limit))
    }
}
