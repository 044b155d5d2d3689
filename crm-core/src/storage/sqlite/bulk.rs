//! Multi-row inserts: a run of new records, change-log entries, stage history, outbox mail and
//! import-journal rows — what an import batch commits — goes to SQLite as `INSERT ... VALUES (...), (...)`
//! statements of [`CHUNK`] rows each, instead of one statement per row. Each statement is still one
//! compiled program that inserts its rows one after the other (same rows, same index entries, same
//! constraint checks); what a chunk saves is the per-statement work around them: the statement-cache lookup
//! (the SQL text hashed and compared twice), the reset and the binding clean-up, and opening a cursor on
//! the table and on each of its indexes. Rows keep their order; a remainder shorter than a chunk goes row by
//! row through the ordinary statements, so the texts in the statement cache are one per table.

use super::db::Link;
use crate::error::{Error, Result, StorageError};
use crate::history::{HistoryEntry, StageEntry};
use crate::io::ImportRowFate;
use crate::record::Record;
use crate::schema::Schema;
use crate::storage::sql::records::{detail_args, entity_args, history_args, row_args, stage_args};
use crate::storage::sql::{Arg, Db, imports::import_row_args, workflows::mail_args};
use crate::storage::{Change, ImportChange, RecordChange, WorkflowChange};
use crate::value::Value;
use crate::workflow::mail::Mail;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Runs shorter than this are written change by change (a single save).
pub(super) const MIN_RUN: usize = 16;

/// Rows per multi-row statement.
pub(super) const CHUNK: usize = 32;

/// The most parameters one SQLite statement takes (`SQLITE_MAX_VARIABLE_NUMBER` of the bundled build):
/// a table too wide for a chunk is written row by row.
const MAX_PARAMS: usize = 32_766;

/// Whether [`write_run`] can write this change.
pub(super) fn is_bulk(c: &Change) -> bool {
    matches!(
        c,
        Change::Record(RecordChange::Insert(_) | RecordChange::History(_) | RecordChange::Stage(_))
            | Change::Workflow(WorkflowChange::PutMail(_))
            | Change::Import(ImportChange::ImportRow(_))
    )
}

thread_local! {
    /// Multi-row texts by one-row text (a handful per schema version; emptied past 64).
    static TEXTS: RefCell<HashMap<String, Option<Rc<str>>>> = RefCell::new(HashMap::new());
}

/// The text inserting [`CHUNK`] rows, made from a one-row `INSERT ... VALUES (?1, ..., ?w) [suffix]` whose
/// value list is exactly the parameters 1 to `w` in order; `None` for any other shape.
fn chunk_text(single: &str, width: usize) -> Option<Rc<str>> {
    TEXTS.with(|t| {
        let mut t = t.borrow_mut();
        if let Some(s) = t.get(single) {
            return s.clone();
        }
        if t.len() >= 64 {
            t.clear();
        }
        let made = make_chunk_text(single, width).map(Rc::from);
        t.insert(single.to_string(), made.clone());
        made
    })
}

fn make_chunk_text(single: &str, width: usize) -> Option<String> {
    if width == 0 || CHUNK * width > MAX_PARAMS {
        return None;
    }
    let values = single.find("VALUES (")? + "VALUES ".len();
    let close = values + single[values..].find(')')?;
    let expected: Vec<String> = (1..=width).map(|i| format!("?{i}")).collect();
    let found: Vec<&str> = single[values + 1..close].split(',').map(str::trim).collect();
    if found != expected {
        return None;
    }
    let mut out = String::with_capacity(single.len() + CHUNK * width * 6);
    out.push_str(&single[..values]);
    for r in 0..CHUNK {
        out.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..width {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('?');
            out.push_str(&(r * width + c + 1).to_string());
        }
        out.push(')');
    }
    out.push_str(&single[close + 1..]);
    Some(out)
}

/// Rows for one statement, gathered and written a chunk at a time.
struct Chunks<'s, 'a> {
    single: &'s str,
    many: Option<Rc<str>>,
    width: usize,
    args: Vec<Arg<'a>>,
}

impl<'s, 'a> Chunks<'s, 'a> {
    fn new(single: &'s str, width: usize) -> Self {
        Chunks { single, many: chunk_text(single, width), width, args: Vec::with_capacity(CHUNK * width) }
    }

    /// Adds a row; a full chunk is written, and the id SQLite gave its last row returned.
    fn push(&mut self, db: &mut Link<'_>, row: impl IntoIterator<Item = Arg<'a>>) -> Result<Option<i64>> {
        self.args.extend(row);
        if self.args.len() < CHUNK * self.width {
            return Ok(None);
        }
        let Some(many) = self.many.clone() else {
            return self.flush_rows(db);
        };
        let n = db.execute(&many, &self.args)?;
        if n != CHUNK as u64 {
            return Err(StorageError::Backend(format!("a multi-row insert wrote {n} rows, not {CHUNK}")).into());
        }
        self.args.clear();
        Ok(Some(db.last_insert_rowid()))
    }

    /// Writes what is left row by row; the id of the last row, if any.
    fn flush_rows(&mut self, db: &mut Link<'_>) -> Result<Option<i64>> {
        let mut last = None;
        for row in self.args.chunks(self.width) {
            db.execute(self.single, row)?;
            last = Some(db.last_insert_rowid());
        }
        self.args.clear();
        Ok(last)
    }
}

/// Writes a run of changes for which [`is_bulk`] holds: the records' `crm_entity` rows first, then each
/// module's rows, the change log with its details, stage history, outbox mail and journal rows.
pub(super) fn write_run(db: &mut Link<'_>, schema: &Schema, run: &[Change]) -> Result<()> {
    let mut records: Vec<(&str, Vec<&Record>)> = Vec::new();
    let (mut history, mut stages, mut mails, mut rows): (Vec<&HistoryEntry>, Vec<&StageEntry>, Vec<&Mail>, Vec<&ImportRowFate>) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ch in run {
        match ch {
            Change::Record(RecordChange::Insert(r)) => match records.iter_mut().find(|(m, _)| *m == r.module) {
                Some((_, list)) => list.push(r),
                None => records.push((&r.module, vec![r])),
            },
            Change::Record(RecordChange::History(h)) => history.push(h),
            Change::Record(RecordChange::Stage(s)) => stages.push(s),
            Change::Workflow(WorkflowChange::PutMail(m)) => mails.push(m),
            Change::Import(ImportChange::ImportRow(r)) => rows.push(r),
            other => return Err(Error::invalid(format!("not a bulk change: {other:?}"))),
        }
    }
    let sql = db.sql();
    for (name, list) in &records {
        let m = schema.modules.get(*name).ok_or_else(|| Error::invalid(format!("unknown module '{name}'")))?;
        let mut entities = Chunks::new(&sql.insert_entity, 6);
        for r in list {
            entities.push(db, entity_args(r))?;
        }
        entities.flush_rows(db)?;
        let texts = db.record_sql(schema.version, m)?;
        let ids: Vec<Value> = list.iter().map(|r| Value::Int(r.id.0)).collect();
        let mut module_rows = Chunks::new(&texts.insert, m.fields.len() + 1);
        for (r, id) in list.iter().zip(&ids) {
            module_rows.push(db, row_args(&texts.layout, r, id))?;
        }
        module_rows.flush_rows(db)?;
    }
    histories(db, &history)?;
    let mut stage = Chunks::new(&sql.insert_stage, 8);
    for s in &stages {
        stage.push(db, stage_args(s))?;
    }
    stage.flush_rows(db)?;
    let mut outbox = Chunks::new(&sql.put_mail, 16);
    for m in &mails {
        outbox.push(db, mail_args(m))?;
    }
    outbox.flush_rows(db)?;
    let mut journal = Chunks::new(&sql.insert_import_row, 6);
    for r in &rows {
        journal.push(db, import_row_args(r))?;
    }
    journal.flush_rows(db).map(|_| ())
}

/// Change-log entries, a chunk at a time, then their details. The ids of a chunk's entries are
/// consecutive: `crm_history.id` is an AUTOINCREMENT key, and one statement inserting rows one after the
/// other gives each the next id (nothing else writes inside the caller's write transaction).
fn histories(db: &mut Link<'_>, entries: &[&HistoryEntry]) -> Result<()> {
    let sql = db.sql();
    let mut chunks = Chunks::new(&sql.insert_history, 6);
    if chunks.many.is_none() {
        return crate::storage::sql::records::history_each(db, entries);
    }
    let mut ids = Vec::with_capacity(entries.len());
    for (i, h) in entries.iter().enumerate() {
        if let Some(last) = chunks.push(db, history_args(h))? {
            ids.extend((0..CHUNK as i64).rev().map(|k| last - k));
            debug_assert_eq!(ids.len(), i + 1);
        }
    }
    // The remainder, row by row: each id read after its row.
    let rest: Vec<Arg<'_>> = std::mem::take(&mut chunks.args);
    for row in rest.chunks(6) {
        ids.push(db.insert_id(&sql.insert_history, row)?);
    }
    let mut details = Chunks::new(&sql.insert_history_detail, 4);
    for (h, id) in entries.iter().zip(ids) {
        detail_args(h, id, |args| details.push(db, args).map(|_| ()))?;
    }
    details.flush_rows(db).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_repeats_the_value_list_with_the_parameters_numbered_on() {
        let many = make_chunk_text("INSERT INTO t (a, b) VALUES (?1, ?2) ON CONFLICT (a) DO NOTHING", 2).unwrap();
        assert!(many.starts_with("INSERT INTO t (a, b) VALUES (?1, ?2), (?3, ?4), (?5, ?6)"), "{many}");
        assert!(many.ends_with(&format!("(?{}, ?{}) ON CONFLICT (a) DO NOTHING", 2 * CHUNK - 1, 2 * CHUNK)), "{many}");
        assert_eq!(many.matches('(').count(), CHUNK + 2);
    }

    #[test]
    fn other_shapes_and_tables_too_wide_for_a_chunk_go_row_by_row() {
        assert_eq!(make_chunk_text("INSERT INTO t (a, b) VALUES (?2, ?1)", 2), None);
        assert_eq!(make_chunk_text("INSERT INTO t (a) SELECT ?1", 1), None);
        let wide = MAX_PARAMS / CHUNK + 1;
        let params: Vec<String> = (1..=wide).map(|i| format!("?{i}")).collect();
        assert_eq!(make_chunk_text(&format!("INSERT INTO t VALUES ({})", params.join(", ")), wide), None);
    }
}
