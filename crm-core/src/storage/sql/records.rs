//! Records, their change log and stage history, auto-numbers: the writes and reads of the record area,
//! once for both engines.

use super::adapter::SqlAdapter;
use super::db::{row, rows};
use super::statements::each;
use super::{Arg, Db, Dialect, SqlRow, compile, fmt_dt, parse_dt, signed};
use crate::error::{Error, Result, StorageError};
use crate::history::{ChangeKind, FieldChange, HistoryEntry, StageEntry};
use crate::query::{Aggregate, Query, fold};
use crate::record::{Record, Values};
use crate::row::{Row, RowLayout};
use crate::schema::{Module, Schema};
use crate::storage::{AutoNumberState, RecordChange, RecordStore, purge_refused, rows_via_records, sum_overflow};
use crate::value::{RecordId, Value, parse_decimal};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The statements of one module's table, built from the schema once per schema version, so that a write
/// neither formats SQL nor quotes identifiers (the engines prepare each text once and keep it).
#[derive(Debug)]
pub(crate) struct RecordSql {
    /// Inserts a row: the id, then every field in schema order.
    pub(crate) insert: String,
    /// Updates a row: the id, then every field (`None` for a module without fields).
    pub(crate) update: Option<String>,
    /// Reads one record by id.
    pub(crate) get: String,
    /// The module's slot layout, shared by every record read under this schema version.
    pub(crate) layout: Arc<RowLayout>,
}

/// [`RecordSql`] per schema version and module (reads may use a newer schema than writes while a handle
/// catches up with another's change). Emptied when the handle's schema is replaced.
#[derive(Debug, Default)]
pub(crate) struct RecordSqlCache {
    /// Schema version → module → statements (looked up without allocating).
    by_version: HashMap<u64, HashMap<String, Arc<RecordSql>>>,
}

impl RecordSqlCache {
    /// The statements of `m` under schema version `version`.
    pub(crate) fn of(&mut self, d: &dyn Dialect, version: u64, m: &Module) -> Result<Arc<RecordSql>> {
        if let Some(s) = self.by_version.get(&version).and_then(|v| v.get(m.name.as_str())) {
            return Ok(Arc::clone(s));
        }
        if self.by_version.len() >= 8 {
            self.by_version.clear();
        }
        let s = Arc::new(RecordSql {
            insert: compile::insert_row(d, m)?,
            update: compile::update_row(d, m)?,
            get: compile::get(d, m)?,
            layout: RowLayout::new(m),
        });
        self.by_version.entry(version).or_default().insert(m.name.clone(), Arc::clone(&s));
        Ok(s)
    }

    /// Forgets every statement (the schema was replaced, perhaps under the same version).
    pub(crate) fn clear(&mut self) {
        self.by_version.clear();
    }
}

/// The parameters of a module row: the id, then every field in the order of `layout`, `m`'s
/// ([`RecordSql::layout`], made with the row's statements) ([`Values::by_layout`]).
pub(crate) fn row_args<'a>(layout: &'a Arc<RowLayout>, r: &'a Record, id: &'a Value) -> Vec<Arg<'a>> {
    let mut args = Vec::with_capacity(layout.fields().len() + 1);
    args.push(Arg::Value(crate::schema::FieldType::Integer, id, "id"));
    args.extend(layout.fields().iter().zip(r.values.by_layout(layout)).map(|((name, t), v)| Arg::Value(*t, v, name)));
    args
}

/// The parameters of a record's `crm_entity` row (`insert_entity`).
pub(crate) fn entity_args(r: &Record) -> [Arg<'_>; 6] {
    [
        Arg::Int(r.id.0),
        Arg::Text(&r.module),
        Arg::Text(&r.label),
        Arg::Owned(fold(r.label.trim())),
        Arg::Bool(r.deleted),
        Arg::Int(signed(r.version)),
    ]
}

/// [`Db::insert_records`] one record at a time: its entity row, then its module row.
pub(crate) fn insert_each<D: Db + ?Sized>(db: &mut D, version: u64, m: &Module, records: &[&Record]) -> Result<()> {
    let sql = db.record_sql(version, m)?;
    for r in records {
        db.execute(&db.sql().insert_entity, &entity_args(r))?;
        let id = Value::Int(r.id.0);
        db.execute(&sql.insert, &row_args(&sql.layout, r, &id))?;
    }
    Ok(())
}

/// A new state of a record, refused with `Conflict` unless the stored version is `expected` (checked in
/// SQL: a concurrent writer of the same row makes this wait, then see the new version and match nothing).
pub(crate) fn update<D: Db + ?Sized>(db: &mut D, version: u64, m: &Module, r: &Record, expected: u64) -> Result<()> {
    let key = fold(r.label.trim());
    let n = db.execute(
        &db.sql().update_entity,
        &[
            Arg::Text(&r.label),
            Arg::Text(&key),
            Arg::Bool(r.deleted),
            Arg::Int(signed(r.version)),
            Arg::Int(r.id.0),
            Arg::Int(signed(expected)),
        ],
    )?;
    if n == 0 {
        let found = row(db, &db.sql().entity_version, &[Arg::Int(r.id.0)], |x| x.i64(0))?;
        return Err(match found {
            None => Error::not_found(format!("record {}", r.id)),
            Some(v) => Error::Conflict(format!("record {} was changed by someone else (version {v}, expected {expected})", r.id)),
        });
    }
    let sql = db.record_sql(version, m)?;
    if let Some(update) = &sql.update {
        let id = Value::Int(r.id.0);
        db.execute(update, &row_args(&sql.layout, r, &id))?;
    }
    Ok(())
}

/// Removes a record in the recycle bin for good, with its change log, stage history, links and comments;
/// refused (see [`purge_refused`]) unless it is still there at `expected` (checked in SQL: a concurrent
/// restore holds the row, and once it commits the delete matches nothing).
pub(crate) fn purge<D: Db + ?Sized>(db: &mut D, id: RecordId, expected: u64) -> Result<()> {
    if db.execute(&db.sql().purge_entity, &[Arg::Int(id.0), Arg::Int(signed(expected))])? == 0 {
        let found = row(db, &db.sql().entity_state, &[Arg::Int(id.0)], |r| Ok((r.flag(0)?, r.u64(1)?)))?;
        return Err(purge_refused(id, expected, found));
    }
    for sql in each(&db.sql().purge) {
        db.execute(sql, &[Arg::Int(id.0)])?;
    }
    Ok(())
}

/// The `field` of the one `crm_history_detail` row that holds every field of a creation: `after` is a JSON
/// array of `[field, value]` pairs in the entry's order. Not a field name (field names are identifiers), so
/// it cannot clash. Writing one row instead of one per field keeps a creation cheap; reads expand it, so the
/// change log reads exactly as before. Entries whose fields all had no value before (creations) are stored
/// this way; every other entry keeps one row per field.
pub(crate) const CREATED_FIELDS: &str = "*created";

/// The compact form of an entry, when it is a creation with at least one field.
pub(crate) fn compact_creation(h: &HistoryEntry) -> Option<String> {
    if h.kind != ChangeKind::Created || h.changes.is_empty() || h.changes.iter().any(|d| d.before.is_some()) {
        return None;
    }
    let pairs: Vec<(&str, Option<&str>)> = h.changes.iter().map(|d| (d.field.as_str(), d.after.as_deref())).collect();
    // Sized once for the usual text (quotes, brackets and separators: 8 bytes a pair), not grown by doubling.
    let mut out = Vec::with_capacity(pairs.iter().map(|(f, a)| f.len() + a.map_or(4, str::len) + 8).sum::<usize>() + 2);
    serde_json::to_writer(&mut out, &pairs).ok()?;
    String::from_utf8(out).ok()
}

/// Reads [`compact_creation`]'s JSON back into field changes.
fn expand_creation(json: &str) -> Result<Vec<FieldChange>> {
    let pairs: Vec<(String, Option<String>)> =
        serde_json::from_str(json).map_err(|e| StorageError::Corrupt(format!("compact creation entry: {e}")))?;
    Ok(pairs.into_iter().map(|(field, after)| FieldChange { field, before: None, after }).collect())
}

/// The parameters of a change-log entry's row (`insert_history`).
pub(crate) fn history_args(h: &HistoryEntry) -> [Arg<'_>; 6] {
    [
        Arg::Int(h.record.0),
        Arg::Text(&h.module),
        Arg::Text(&h.actor),
        Arg::Owned(fmt_dt(h.at)),
        Arg::Text(h.kind.as_str()),
        Arg::opt_int(h.related.map(|r| r.0)),
    ]
}

/// The parameters of the detail rows of entry `h` stored under id `id` (`insert_history_detail`), row by
/// row: a creation as one row, every other entry one row per field.
pub(crate) fn detail_args<'a>(h: &'a HistoryEntry, id: i64, mut row: impl FnMut([Arg<'a>; 4]) -> Result<()>) -> Result<()> {
    if let Some(json) = compact_creation(h) {
        return row([Arg::Int(id), Arg::Text(CREATED_FIELDS), Arg::Null, Arg::Owned(json)]);
    }
    for d in &h.changes {
        row([Arg::Int(id), Arg::Text(&d.field), Arg::opt_text(d.before.as_deref()), Arg::opt_text(d.after.as_deref())])?;
    }
    Ok(())
}

/// [`Db::insert_history`] entry by entry: the entry, then its fields (a creation as one row).
pub(crate) fn history_each<D: Db + ?Sized>(db: &mut D, entries: &[&HistoryEntry]) -> Result<()> {
    for h in entries {
        let id = db.insert_id(&db.sql().insert_history, &history_args(h))?;
        let detail = &db.sql().insert_history_detail;
        detail_args(h, id, |args| db.execute(detail, &args).map(|_| ()))?;
    }
    Ok(())
}

/// [`Db::log_rewrites`] entry by entry: the record's new version, then its change-log entry.
pub(crate) fn rewrites_each<D: Db + ?Sized>(db: &mut D, entries: &[HistoryEntry]) -> Result<()> {
    for h in entries {
        db.execute(&db.sql().bump_version, &[Arg::Int(h.record.0)])?;
        db.insert_history(&[h])?;
    }
    Ok(())
}

/// The parameters of a stage-history row (`insert_stage`).
pub(crate) fn stage_args(s: &StageEntry) -> [Arg<'_>; 8] {
    [
        Arg::Int(s.record.0),
        Arg::opt_text(s.stage.as_deref()),
        Arg::opt_num(s.amount),
        Arg::opt_num(s.probability),
        Arg::opt_num(s.forecast_amount),
        Arg::opt_date(s.closingdate),
        Arg::Owned(fmt_dt(s.at)),
        Arg::Text(&s.actor),
    ]
}

/// Writes a stage-history row.
pub(crate) fn stage<D: Db + ?Sized>(db: &mut D, s: &StageEntry) -> Result<()> {
    db.execute(&db.sql().insert_stage, &stage_args(s))?;
    Ok(())
}

/// The shared slot layout of `m` under schema version `version` (built afresh in the unexpected case that
/// the cached one was made for another definition of the module).
fn layout_of<D: Db + ?Sized>(db: &mut D, version: u64, m: &Module) -> Result<Arc<RowLayout>> {
    let layout = Arc::clone(&db.record_sql(version, m)?.layout);
    Ok(if layout.fits(m) { layout } else { RowLayout::new(m) })
}

/// A record row of [`compile::select_list`], its values kept in `layout` (the layout of `m`).
pub(crate) fn read_record(m: &Module, layout: &Arc<RowLayout>, row: &dyn SqlRow) -> Result<Record> {
    let mut slots = Vec::with_capacity(m.fields.len());
    for (i, f) in m.fields.iter().enumerate() {
        let v = row.value(4 + i, f.field_type)?;
        slots.push((!v.is_empty()).then_some(v));
    }
    let values = Values::from_slots(layout, slots);
    Ok(Record {
        id: RecordId(row.i64(0)?),
        module: m.name.clone(),
        label: row.string(1)?,
        deleted: row.flag(2)?,
        version: row.u64(3)?,
        values,
    })
}

/// The module and recycle-bin flag of a record.
pub(crate) fn entity<D: Db + ?Sized>(db: &mut D, id: RecordId) -> Result<Option<(String, bool)>> {
    row(db, &db.sql().entity, &[Arg::Int(id.0)], |r| Ok((r.string(0)?, r.flag(1)?)))
}

/// One record (live or deleted) of `module`.
pub(crate) fn get<D: Db + ?Sized>(db: &mut D, schema: &Schema, module: &str, id: RecordId) -> Result<Option<Record>> {
    let m = compile::module(schema, module)?;
    let sql = db.record_sql(schema.version, m)?;
    let layout = if sql.layout.fits(m) { Arc::clone(&sql.layout) } else { RowLayout::new(m) };
    row(db, &sql.get, &[Arg::Int(id.0)], |r| read_record(m, &layout, r))
}

/// The records a normalized query selects, in its order and page.
pub(crate) fn query<D: Db + ?Sized>(db: &mut D, schema: &Schema, q: &Query) -> Result<Vec<Record>> {
    let m = compile::module(schema, &q.module)?;
    let layout = layout_of(db, schema.version, m)?;
    let (sql, args) = compile::select(db.dialect(), m, q, db.dialect().no_limit())?;
    rows(db, &sql, &args, |r| read_record(m, &layout, r))
}

/// Each record a query selects, read from one statement and handed to `f` as it comes, until `f` returns
/// false.
pub(crate) fn query_each<D: Db + ?Sized>(db: &mut D, schema: &Schema, q: &Query, f: &mut dyn FnMut(Record) -> Result<bool>) -> Result<()> {
    let m = compile::module(schema, &q.module)?;
    let layout = layout_of(db, schema.version, m)?;
    let (sql, args) = compile::select(db.dialect(), m, q, db.dialect().no_limit())?;
    db.query(&sql, &args, &mut |r| f(read_record(m, &layout, r)?))
}

/// How many records a query selects.
pub(crate) fn count<D: Db + ?Sized>(db: &mut D, schema: &Schema, q: &Query) -> Result<u64> {
    let m = compile::module(schema, &q.module)?;
    let (sql, args) = compile::count(db.dialect(), m, q)?;
    Ok(row(db, &sql, &args, |r| r.u64(0))?.unwrap_or(0))
}

fn read_sums(r: &dyn SqlRow, sums: &[&str]) -> Result<Vec<rust_decimal::Decimal>> {
    let mut out = Vec::with_capacity(sums.len());
    for (i, f) in sums.iter().enumerate() {
        out.push(match r.text(2 + i)? {
            None => rust_decimal::Decimal::ZERO,
            Some(t) => parse_decimal(&t).ok_or_else(|| sum_overflow(f))?,
        });
    }
    Ok(out)
}

/// Groups and sums (see [`compile::aggregate`]); no group for no records.
pub(crate) fn aggregate<D: Db + ?Sized>(
    db: &mut D,
    schema: &Schema,
    q: &Query,
    group_by: Option<&str>,
    sums: &[&str],
) -> Result<Vec<Aggregate>> {
    let m = compile::module(schema, &q.module)?;
    let (sql, args, key_type) = compile::aggregate(db.dialect(), m, q, group_by, sums)?;
    let groups = rows(db, &sql, &args, |r| Ok(Aggregate { key: r.value(0, key_type)?, count: r.u64(1)?, sums: read_sums(r, sums)? }))?;
    // Without GROUP BY, SQL returns one row even for no records; keep the memory adapter's shape.
    Ok(groups.into_iter().filter(|a| a.count > 0).collect())
}

/// Groups and sums by a date prefix (see [`compile::aggregate_by_prefix`]).
pub(crate) fn aggregate_by_prefix<D: Db + ?Sized>(
    db: &mut D,
    schema: &Schema,
    q: &Query,
    field: &str,
    len: usize,
    sums: &[&str],
) -> Result<Vec<Aggregate>> {
    let m = compile::module(schema, &q.module)?;
    let (sql, args) = compile::aggregate_by_prefix(db.dialect(), m, q, field, len, sums)?;
    rows(db, &sql, &args, |r| {
        let key = r.text(0)?.filter(|t| !t.is_empty()).map_or(Value::Null, Value::Text);
        Ok(Aggregate { key, count: r.u64(1)?, sums: read_sums(r, sums)? })
    })
}

/// Live records of a module with a label (ignoring case).
pub(crate) fn find_by_label<D: Db + ?Sized>(db: &mut D, module: &str, label: &str) -> Result<Vec<RecordId>> {
    let key = fold(label.trim());
    rows(db, &db.sql().find_by_label, &[Arg::Text(module), Arg::Text(&key)], |r| Ok(RecordId(r.i64(0)?)))
}

/// Whether a record of the module has the auto-number (one probe of its unique index).
pub(crate) fn number_taken<D: Db + ?Sized>(db: &mut D, m: &Module, number: &str) -> Result<bool> {
    let Some(an) = &m.auto_number else { return Ok(false) };
    let sql = compile::number_taken(db.dialect(), m, &an.field)?;
    Ok(row(db, &sql, &[Arg::Text(number)], |_| Ok(()))?.is_some())
}

/// Which of `numbers` a record of the module has as its auto-number: one statement where the engine takes a
/// list ([`Db::numbers_taken`]), else one probe each.
pub(crate) fn numbers_taken<D: Db + ?Sized>(db: &mut D, m: &Module, numbers: &[&str]) -> Result<HashSet<String>> {
    let Some(an) = &m.auto_number else { return Ok(HashSet::new()) };
    if numbers.is_empty() {
        return Ok(HashSet::new());
    }
    if let Some(taken) = db.numbers_taken(m, &an.field, numbers)? {
        return Ok(taken);
    }
    let mut taken = HashSet::new();
    for n in numbers {
        if number_taken(db, m, n)? {
            taken.insert((*n).to_string());
        }
    }
    Ok(taken)
}

/// A record's change log, oldest first.
pub(crate) fn history<D: Db + ?Sized>(db: &mut D, id: RecordId) -> Result<Vec<HistoryEntry>> {
    let entries = rows(db, &db.sql().history, &[Arg::Int(id.0)], history_entry)?;
    let details = rows(db, &db.sql().history_details, &[Arg::Int(id.0)], history_detail)?;
    with_details(entries, details)
}

/// One page of a record's change log: at most `limit` entries with an id above `after`, oldest first.
/// Reads only the page's entries and their fields.
pub(crate) fn history_page<D: Db + ?Sized>(db: &mut D, id: RecordId, after: i64, limit: u64) -> Result<Vec<HistoryEntry>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let entries = rows(db, &db.sql().history_page, &[Arg::Int(id.0), Arg::Int(after), Arg::Int(limit)], history_entry)?;
    let Some(last) = entries.last().map(|e| e.id) else { return Ok(entries) };
    let details = rows(db, &db.sql().history_details_page, &[Arg::Int(id.0), Arg::Int(after), Arg::Int(last)], history_detail)?;
    with_details(entries, details)
}

pub(crate) fn history_entry(r: &dyn SqlRow) -> Result<HistoryEntry> {
    Ok(HistoryEntry {
        id: r.i64(0)?,
        record: RecordId(r.i64(1)?),
        module: r.string(2)?,
        actor: r.string(3)?,
        at: parse_dt(&r.string(4)?),
        kind: ChangeKind::parse(&r.string(5)?).unwrap_or(ChangeKind::Updated),
        related: r.int(6)?.map(RecordId),
        changes: vec![],
    })
}

pub(crate) fn history_detail(r: &dyn SqlRow) -> Result<(i64, FieldChange)> {
    Ok((r.i64(0)?, FieldChange { field: r.string(1)?, before: r.text(2)?, after: r.text(3)? }))
}

/// Attaches each field change to its entry (creations expanded).
pub(crate) fn with_details(mut entries: Vec<HistoryEntry>, details: Vec<(i64, FieldChange)>) -> Result<Vec<HistoryEntry>> {
    let index: HashMap<i64, usize> = entries.iter().enumerate().map(|(i, e)| (e.id, i)).collect();
    for (hid, d) in details {
        let Some(e) = index.get(&hid).and_then(|&i| entries.get_mut(i)) else { continue };
        if d.field == CREATED_FIELDS {
            e.changes.extend(expand_creation(d.after.as_deref().unwrap_or("[]"))?);
        } else {
            e.changes.push(d);
        }
    }
    Ok(entries)
}

/// An opportunity's stage history, oldest first.
pub(crate) fn stage_history<D: Db + ?Sized>(db: &mut D, id: RecordId) -> Result<Vec<StageEntry>> {
    rows(db, &db.sql().stage_history, &[Arg::Int(id.0)], |r| {
        Ok(StageEntry {
            record: RecordId(r.i64(0)?),
            stage: r.text(1)?,
            amount: r.decimal(2)?,
            probability: r.decimal(3)?,
            forecast_amount: r.decimal(4)?,
            closingdate: r.date(5)?,
            at: parse_dt(&r.string(6)?),
            actor: r.string(7)?,
        })
    })
}

/// The auto-number state of a module.
pub(crate) fn auto_number<D: Db + ?Sized>(db: &mut D, module: &str, locked: bool) -> Result<Option<AutoNumberState>> {
    let sql = if locked { &db.sql().auto_number_locked } else { &db.sql().auto_number };
    row(db, sql, &[Arg::Text(module)], |r| Ok(AutoNumberState { prefix: r.string(0)?, next: r.string(1)? }))
}

/// The state of a module's auto-number, created with `default_prefix` and 1 when missing, its row locked
/// until the transaction ends (where the engine locks rows; SQLite writes hold the database lock).
///
/// One statement when the row exists; a missing row is created first (concurrent creators wait for each
/// other's insert, then lock the one row).
pub(crate) fn lock_auto_number<D: Db + ?Sized>(db: &mut D, module: &str, default_prefix: &str) -> Result<AutoNumberState> {
    if let Some(state) = auto_number(db, module, true)? {
        return Ok(state);
    }
    db.execute(&db.sql().auto_number_start, &[Arg::Text(module), Arg::Text(default_prefix)])?;
    auto_number(db, module, true)?.ok_or_else(|| StorageError::Backend(format!("no auto-number row for {module}")).into())
}

/// Hands out the next auto-number of a module (in the caller's write transaction).
pub(crate) fn next_auto_number<D: Db + ?Sized>(db: &mut D, module: &str, default_prefix: &str) -> Result<String> {
    let mut state = lock_auto_number(db, module, default_prefix)?;
    let out = state.take();
    db.execute(&db.sql().auto_number_next, &[Arg::Text(module), Arg::Text(&state.next)])?;
    Ok(out)
}

/// Sets a module's auto-number state.
pub(crate) fn set_auto_number<D: Db + ?Sized>(db: &mut D, module: &str, state: &AutoNumberState) -> Result<()> {
    db.execute(&db.sql().set_auto_number, &[Arg::Text(module), Arg::Text(&state.prefix), Arg::Text(&state.next)])?;
    Ok(())
}

/// Writes one record change (in the caller's transaction).
pub(crate) fn apply<D: Db + ?Sized>(db: &mut D, schema: &Schema, c: &RecordChange) -> Result<()> {
    match c {
        RecordChange::Insert(r) => db.insert_records(schema.version, compile::module(schema, &r.module)?, &[r]),
        RecordChange::Update { record, expected_version } => {
            update(db, schema.version, compile::module(schema, &record.module)?, record, *expected_version)
        }
        RecordChange::Purge { id, expected_version } => purge(db, *id, *expected_version),
        RecordChange::History(h) => db.insert_history(&[h]),
        RecordChange::Stage(s) => stage(db, s),
        RecordChange::MoveHistory { .. } | RecordChange::PutMergeJournal(_) | RecordChange::DropMergeJournal(_) => {
            super::duplicates::apply(db, c)
        }
    }
}

impl<S: SqlAdapter> RecordStore for S {
    fn allocate_ids(&mut self, n: u64) -> Result<i64> {
        let n = i64::try_from(n).map_err(|_| Error::invalid("too many ids"))?;
        if n < 1 {
            return Err(Error::invalid("allocate at least one id"));
        }
        self.reserve_ids(n)
    }

    fn next_auto_number(&mut self, module: &str, default_prefix: &str) -> Result<String> {
        if self.unit_numbers().open {
            // Inside a unit: the first take holds the counter, the rest count here (see `UnitNumbers`).
            let mut state = match self.unit_numbers_mut().numbers.remove(module) {
                Some(s) => s,
                None => self.hold_auto_number(module, default_prefix)?,
            };
            let out = state.take();
            self.unit_numbers_mut().numbers.insert(module.to_string(), state);
            return Ok(out);
        }
        self.write(|db| next_auto_number(db, module, default_prefix))
    }

    fn auto_number_state(&self, module: &str) -> Result<Option<AutoNumberState>> {
        if let Some(s) = self.unit_numbers().numbers.get(module) {
            return Ok(Some(s.clone()));
        }
        self.read(|db| auto_number(db, module, false))
    }

    fn set_auto_number(&mut self, module: &str, state: &AutoNumberState) -> Result<()> {
        if self.unit_numbers().open {
            self.unit_numbers_mut().numbers.insert(module.to_string(), state.clone());
        }
        self.store_auto_number(module, state)
    }

    fn get(&self, id: RecordId) -> Result<Option<Record>> {
        let Some((module, _)) = self.entity(id)? else { return Ok(None) };
        let s = self.read_schema()?;
        self.read(|db| get(db, &s, &module, id))
    }

    fn entity(&self, id: RecordId) -> Result<Option<(String, bool)>> {
        self.read(|db| entity(db, id))
    }

    fn query(&self, q: &Query) -> Result<Vec<Record>> {
        let s = self.read_schema()?;
        self.read(|db| query(db, &s, q))
    }

    fn query_each(&self, q: &Query, f: &mut dyn FnMut(Record) -> Result<bool>) -> Result<()> {
        let s = self.read_schema()?;
        self.read(|db| query_each(db, &s, q, f))
    }

    fn count(&self, q: &Query) -> Result<u64> {
        let s = self.read_schema()?;
        self.read(|db| count(db, &s, q))
    }

    fn aggregate(&self, q: &Query, group_by: Option<&str>, sums: &[&str]) -> Result<Vec<Aggregate>> {
        let s = self.read_schema()?;
        self.read(|db| aggregate(db, &s, q, group_by, sums))
    }

    fn aggregate_by_date_prefix(&self, q: &Query, field: &str, len: usize, sums: &[&str]) -> Result<Vec<Aggregate>> {
        let s = self.read_schema()?;
        self.read(|db| aggregate_by_prefix(db, &s, q, field, len, sums))
    }

    fn scan_rows(&self, q: &Query, layout: &Arc<RowLayout>, f: &mut dyn FnMut(Row) -> bool) -> Result<()> {
        if self.scan_direct(q, layout, f)? {
            return Ok(());
        }
        rows_via_records(self, q, layout, f)
    }

    fn find_by_label(&self, module: &str, label: &str) -> Result<Vec<RecordId>> {
        self.read(|db| find_by_label(db, module, label))
    }

    fn auto_number_taken(&self, module: &Module, number: &str) -> Result<bool> {
        // The module table holds live and deleted records; the number's unique index answers in one probe.
        self.read(|db| number_taken(db, module, number))
    }

    fn auto_numbers_taken(&self, module: &Module, numbers: &[&str]) -> Result<HashSet<String>> {
        self.read(|db| numbers_taken(db, module, numbers))
    }

    fn history(&self, id: RecordId) -> Result<Vec<HistoryEntry>> {
        self.read(|db| history(db, id))
    }

    fn history_page(&self, id: RecordId, after: i64, limit: u64) -> Result<Vec<HistoryEntry>> {
        self.read(|db| history_page(db, id, after, limit))
    }

    fn stage_history(&self, id: RecordId) -> Result<Vec<StageEntry>> {
        self.read(|db| stage_history(db, id))
    }

    fn duplicate_groups(
        &self,
        m: &Module,
        fields: &[String],
        normalize: bool,
        after: Option<&str>,
        limit: u64,
        sight: Option<&crate::query::RecordSight>,
    ) -> Result<Vec<crate::dedupe::DuplicateGroup>> {
        self.read(|db| super::duplicates::groups(db, m, fields, normalize, after, limit, sight))
    }

    fn duplicate_key_holders(&self, m: &Module, rule: &crate::dedupe::DuplicateRule, key: &str, limit: u64) -> Result<Vec<RecordId>> {
        self.read(|db| super::duplicates::holders(db, m, rule, key, limit))
    }

    fn merge_journal(&self, id: RecordId) -> Result<Option<crate::dedupe::MergeJournal>> {
        self.read(|db| super::duplicates::journal(db, id))
    }
}
