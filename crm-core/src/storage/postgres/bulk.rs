//! Inserts as arrays: a run of new records, change-log entries, stage history, outbox mail and
//! import-journal rows — what an import batch commits — goes to PostgreSQL as one statement per table, the
//! rows bound as arrays and expanded by `unnest`, instead of one round trip per row. Single changes use the
//! same statements with one row. Rows keep their order (serial ids follow the change set), and a run is one
//! part of the caller's transaction like any other change.

use super::db::{Conn, P, Typed, field_value, get, refs};
use super::numeric::numerics;
use crate::error::{Error, Result, StorageError};
use crate::history::{HistoryEntry, StageEntry};
use crate::io::ImportRowFate;
use crate::query::fold;
use crate::record::Record;
use crate::schema::{Module, Schema};
use crate::storage::sql::records::{CREATED_FIELDS, compact_creation};
use crate::storage::sql::{ColumnKind as Kind, Dialect, fmt_dt, signed};
use crate::storage::{Change, ImportChange, RecordChange, WorkflowChange};
use crate::workflow::mail::Mail;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;
use std::collections::HashSet;

/// Runs shorter than this are written change by change (a single save): the array statements pay off
/// only for many rows.
pub(super) const MIN_RUN: usize = 16;

/// Whether [`write_run`] can write this change.
pub(super) fn is_bulk(c: &Change) -> bool {
    matches!(
        c,
        Change::Record(RecordChange::Insert(_) | RecordChange::History(_) | RecordChange::Stage(_))
            | Change::Workflow(WorkflowChange::PutMail(_))
            | Change::Import(ImportChange::ImportRow(_))
    )
}

/// Writes a run of changes for which [`is_bulk`] holds: the records' `crm_entity` rows first, then each
/// module's rows, the change log with its details, stage history, outbox mail and journal rows.
pub(super) fn write_run(c: &mut Conn, schema: &Schema, run: &[Change]) -> Result<()> {
    let mut records: Vec<(&str, Vec<&Record>)> = Vec::new();
    let (mut history, mut stages, mut mails, mut rows) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
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
    for (name, list) in &records {
        let m = schema.modules.get(*name).ok_or_else(|| Error::invalid(format!("unknown module '{name}'")))?;
        insert_records(c, m, list)?;
    }
    histories(c, &history)?;
    stage_rows(c, &stages)?;
    outbox(c, &mails)?;
    journal_rows(c, &rows)
}

/// New records of module `m`: every value is converted first (a value that does not fit its column is
/// reported before anything is written), then their `crm_entity` rows and the module's rows go in.
pub(super) fn insert_records(c: &mut Conn, m: &Module, records: &[&Record]) -> Result<()> {
    let (sql, params) = module_rows(c, m, records)?;
    entities(c, records)?;
    c.execute_raw(&sql, &refs(&params))?;
    Ok(())
}

fn entities(c: &mut Conn, records: &[&Record]) -> Result<()> {
    let (mut ids, mut modules, mut labels, mut keys, mut deleted, mut versions) = (vec![], vec![], vec![], vec![], vec![], vec![]);
    for r in records {
        ids.push(r.id.0);
        modules.push(r.module.as_str());
        labels.push(r.label.as_str());
        keys.push(fold(r.label.trim()));
        deleted.push(r.deleted);
        versions.push(signed(r.version));
    }
    if ids.is_empty() {
        return Ok(());
    }
    c.execute_raw(
        "INSERT INTO crm_entity (id, module, label, label_key, deleted, version)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::bigint[])",
        &[&ids, &modules, &labels, &keys, &deleted, &versions],
    )?;
    Ok(())
}

/// One column of many rows, in the column's type.
enum Column {
    Int(Vec<Option<i64>>),
    Num(Vec<Option<Decimal>>),
    Bool(Vec<Option<bool>>),
    Date(Vec<Option<NaiveDate>>),
    Ts(Vec<Option<NaiveDateTime>>),
    Time(Vec<Option<NaiveTime>>),
    Text(Vec<Option<String>>),
}

impl Column {
    fn new(k: Kind, rows: usize) -> Column {
        match k {
            Kind::Int => Column::Int(Vec::with_capacity(rows)),
            Kind::Num => Column::Num(Vec::with_capacity(rows)),
            Kind::Bool => Column::Bool(Vec::with_capacity(rows)),
            Kind::Date => Column::Date(Vec::with_capacity(rows)),
            Kind::Ts => Column::Ts(Vec::with_capacity(rows)),
            Kind::Time => Column::Time(Vec::with_capacity(rows)),
            Kind::Text => Column::Text(Vec::with_capacity(rows)),
        }
    }

    /// The array type the column is bound as.
    fn array_type(&self) -> &'static str {
        match self {
            Column::Int(_) => "bigint[]",
            Column::Num(_) => "numeric[]",
            Column::Bool(_) => "boolean[]",
            Column::Date(_) => "date[]",
            Column::Ts(_) => "timestamp[]",
            Column::Time(_) => "time[]",
            Column::Text(_) => "text[]",
        }
    }

    /// Appends a value of the column's kind (what `value_typed` gives for the field of the column).
    fn push(&mut self, v: Typed) -> Result<()> {
        match (self, v) {
            (Column::Int(c), Typed::Int(v)) => c.push(v),
            (Column::Num(c), Typed::Num(v)) => c.push(v),
            (Column::Bool(c), Typed::Bool(v)) => c.push(v),
            (Column::Date(c), Typed::Date(v)) => c.push(v),
            (Column::Ts(c), Typed::Ts(v)) => c.push(v),
            (Column::Time(c), Typed::Time(v)) => c.push(v),
            (Column::Text(c), Typed::Text(v)) => c.push(v),
            _ => return Err(StorageError::Backend("a value of another type than its column".into()).into()),
        }
        Ok(())
    }

    fn param(self) -> P {
        match self {
            Column::Int(v) => Box::new(v),
            Column::Num(v) => Box::new(numerics(&v)),
            Column::Bool(v) => Box::new(v),
            Column::Date(v) => Box::new(v),
            Column::Ts(v) => Box::new(v),
            Column::Time(v) => Box::new(v),
            Column::Text(v) => Box::new(v),
        }
    }
}

/// The statement and parameters that insert `records` into `m`'s table.
fn module_rows(c: &Conn, m: &Module, records: &[&Record]) -> Result<(String, Vec<P>)> {
    let d = c.dialect;
    let mut columns: Vec<Column> = m.fields.iter().map(|f| Column::new(d.kind(f.field_type), records.len())).collect();
    let layout = crate::row::RowLayout::new(m);
    for r in records {
        for (((name, t), v), col) in layout.fields().iter().zip(r.values.by_layout(&layout)).zip(columns.iter_mut()) {
            col.push(field_value(*t, v, name)?)?;
        }
    }
    let mut names = String::from("id");
    let mut arrays = String::from("$1::bigint[]");
    for (i, (f, col)) in m.fields.iter().zip(&columns).enumerate() {
        names.push_str(", ");
        names.push_str(&d.ident(&f.name)?);
        arrays.push_str(&format!(", ${}::{}", i + 2, col.array_type()));
    }
    let sql = format!("INSERT INTO {} ({names}) SELECT * FROM unnest({arrays})", d.ident(&m.table_name())?);
    let ids: Vec<i64> = records.iter().map(|r| r.id.0).collect();
    let mut params: Vec<P> = Vec::with_capacity(columns.len() + 1);
    params.push(Box::new(ids));
    params.extend(columns.into_iter().map(Column::param));
    Ok((sql, params))
}

/// Change-log entries: one entry and its detail rows in one round trip; several take their ids from the
/// table's sequence first, so that their details can name them.
/// Records a schema edit rewrote: every version moves on in one statement, then the change-log entries
/// go as one run.
pub(super) fn rewrites(c: &mut Conn, entries: &[HistoryEntry]) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = entries.iter().map(|h| h.record.0).collect();
    c.execute_raw("UPDATE crm_entity SET version = version + 1 WHERE id = ANY($1)", &[&ids])?;
    histories(c, &entries.iter().collect::<Vec<_>>())
}

/// One change-log entry with its field rows, after the feed's lock.
const ONE_ENTRY: &str = "WITH l AS (SELECT pg_advisory_xact_lock(7378415044687560704 + 'crm_history'::regclass::oid::bigint)),
     h AS (INSERT INTO crm_history (record_id, module, actor, at, kind, related_id)
           SELECT $1::bigint, $2::text, $3::text, $4::text, $5::text, $6::bigint FROM l RETURNING id)
     INSERT INTO crm_history_detail (history_id, field, before, after)
     SELECT h.id, d.f, d.b, d.a FROM h, unnest($7::text[], $8::text[], $9::text[]) WITH ORDINALITY AS d(f, b, a, n) ORDER BY d.n";

/// `$1` change-log ids, after the feed's lock.
const ENTRY_IDS: &str = "WITH l AS (SELECT pg_advisory_xact_lock(7378415044687560704 + 'crm_history'::regclass::oid::bigint))
     SELECT nextval(pg_get_serial_sequence('crm_history', 'id')) FROM l, generate_series(1, $1::bigint)";

/// Change-log entries. Each statement that takes change-log ids first takes the feed's advisory lock
/// ([`LOCK_FEED`](super::LOCK_FEED), in the statement itself: no extra round trip), held until the
/// transaction ends, so that ids — the change feed's positions — are taken in commit order: a transaction
/// that appends to the change log waits until the one before it committed (see [`crate::feed`]).
pub(super) fn histories(c: &mut Conn, entries: &[&HistoryEntry]) -> Result<()> {
    if let [h] = entries {
        let (mut fields, mut before, mut after) = (vec![], vec![], vec![]);
        details(h, |f, b, a| {
            fields.push(f);
            before.push(b);
            after.push(a);
        });
        c.execute_raw(
            ONE_ENTRY,
            &[&h.record.0, &h.module, &h.actor, &fmt_dt(h.at), &h.kind.as_str(), &h.related.map(|r| r.0), &fields, &before, &after],
        )?;
        return Ok(());
    }
    if entries.is_empty() {
        return Ok(());
    }
    let n = i64::try_from(entries.len()).unwrap_or(i64::MAX);
    let rows = c.query_raw(ENTRY_IDS, &[&n])?;
    let mut ids: Vec<i64> = rows.iter().map(|r| get(r, 0)).collect::<Result<_>>()?;
    ids.sort_unstable();
    let (mut records, mut modules, mut actors, mut ats, mut kinds, mut related) = (vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut owners, mut fields, mut before, mut after) = (vec![], vec![], vec![], vec![]);
    for (h, id) in entries.iter().zip(&ids) {
        records.push(h.record.0);
        modules.push(h.module.as_str());
        actors.push(h.actor.as_str());
        ats.push(fmt_dt(h.at));
        kinds.push(h.kind.as_str());
        related.push(h.related.map(|r| r.0));
        details(h, |f, b, a| {
            owners.push(*id);
            fields.push(f);
            before.push(b);
            after.push(a);
        });
    }
    c.execute_raw(
        "INSERT INTO crm_history (id, record_id, module, actor, at, kind, related_id)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])",
        &[&ids, &records, &modules, &actors, &ats, &kinds, &related],
    )?;
    if !owners.is_empty() {
        c.execute_raw(
            "INSERT INTO crm_history_detail (history_id, field, before, after)
             SELECT h, f, b, a FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS d(h, f, b, a, n) ORDER BY n",
            &[&owners, &fields, &before, &after],
        )?;
    }
    Ok(())
}

/// The detail rows of an entry, as the SQLite adapter stores them (`sql::records::detail_args`): a creation
/// as one row holding its fields as JSON (read back field by field), every other entry one row per field.
fn details<'a>(h: &'a HistoryEntry, mut row: impl FnMut(&'a str, Option<&'a str>, Option<String>)) {
    if let Some(json) = compact_creation(h) {
        return row(CREATED_FIELDS, None, Some(json));
    }
    for d in &h.changes {
        row(d.field.as_str(), d.before.as_deref(), d.after.clone());
    }
}

pub(super) fn stage_rows(c: &mut Conn, stages: &[&StageEntry]) -> Result<()> {
    if stages.is_empty() {
        return Ok(());
    }
    let records: Vec<i64> = stages.iter().map(|s| s.record.0).collect();
    let names: Vec<Option<&str>> = stages.iter().map(|s| s.stage.as_deref()).collect();
    let amounts = numerics(&stages.iter().map(|s| s.amount).collect::<Vec<_>>());
    let probabilities = numerics(&stages.iter().map(|s| s.probability).collect::<Vec<_>>());
    let forecasts = numerics(&stages.iter().map(|s| s.forecast_amount).collect::<Vec<_>>());
    let dates: Vec<Option<NaiveDate>> = stages.iter().map(|s| s.closingdate).collect();
    let ats: Vec<String> = stages.iter().map(|s| fmt_dt(s.at)).collect();
    let actors: Vec<&str> = stages.iter().map(|s| s.actor.as_str()).collect();
    c.execute_raw(
        "INSERT INTO crm_stage_history (record_id, stage, amount, probability, forecast_amount, closingdate, at, actor)
         SELECT r, s, a, p, f, d, t, u FROM unnest($1::bigint[], $2::text[], $3::numeric[], $4::numeric[], $5::numeric[], $6::date[],
         $7::text[], $8::text[]) WITH ORDINALITY AS x(r, s, a, p, f, d, t, u, n) ORDER BY n",
        &[&records, &names, &amounts, &probabilities, &forecasts, &dates, &ats, &actors],
    )?;
    Ok(())
}

/// Outbox mail, upserted by id (a delivery run rewrites a mail's status); a run naming one mail twice
/// (which one statement cannot upsert) is written mail by mail.
pub(super) fn outbox(c: &mut Conn, mails: &[&Mail]) -> Result<()> {
    if mails.is_empty() {
        return Ok(());
    }
    let mut seen = HashSet::new();
    if !mails.iter().all(|m| seen.insert(m.id)) {
        for m in mails {
            outbox(c, std::slice::from_ref(m))?;
        }
        return Ok(());
    }
    let ids: Vec<i64> = mails.iter().map(|m| m.id).collect();
    let records: Vec<Option<i64>> = mails.iter().map(|m| m.record.map(|r| r.0)).collect();
    let workflows: Vec<Option<i64>> = mails.iter().map(|m| m.workflow).collect();
    let from: Vec<&str> = mails.iter().map(|m| m.from.as_str()).collect();
    let reply_to: Vec<&str> = mails.iter().map(|m| m.reply_to.as_str()).collect();
    let to: Vec<String> = mails.iter().map(|m| m.to.join(", ")).collect();
    let cc: Vec<String> = mails.iter().map(|m| m.cc.join(", ")).collect();
    let bcc: Vec<String> = mails.iter().map(|m| m.bcc.join(", ")).collect();
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    let bodies: Vec<&str> = mails.iter().map(|m| m.body.as_str()).collect();
    let statuses: Vec<&str> = mails.iter().map(|m| m.status.as_str()).collect();
    let errors: Vec<Option<&str>> = mails.iter().map(|m| m.error.as_deref()).collect();
    let created: Vec<String> = mails.iter().map(|m| fmt_dt(m.created)).collect();
    let sent: Vec<Option<String>> = mails.iter().map(|m| m.sent.map(fmt_dt)).collect();
    let attempts: Vec<i64> = mails.iter().map(|m| i64::from(m.attempts)).collect();
    let next: Vec<Option<String>> = mails.iter().map(|m| m.next_attempt.map(fmt_dt)).collect();
    c.execute_raw(
        "INSERT INTO crm_outbox (id, record_id, workflow_id, from_addr, reply_to, to_addrs, cc_addrs, bcc_addrs, subject, body, status, error, created_at, sent_at,
         attempts, next_attempt_at)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
         $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::bigint[], $16::text[])
         ON CONFLICT (id) DO UPDATE SET record_id = excluded.record_id, workflow_id = excluded.workflow_id,
         from_addr = excluded.from_addr, reply_to = excluded.reply_to, to_addrs = excluded.to_addrs, cc_addrs = excluded.cc_addrs,
         bcc_addrs = excluded.bcc_addrs, subject = excluded.subject, body = excluded.body, status = excluded.status,
         error = excluded.error, created_at = excluded.created_at, sent_at = excluded.sent_at,
         attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at",
        &[&ids, &records, &workflows, &from, &reply_to, &to, &cc, &bcc, &subjects, &bodies, &statuses, &errors, &created, &sent, &attempts, &next],
    )?;
    Ok(())
}

pub(super) fn journal_rows(c: &mut Conn, rows: &[&ImportRowFate]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let imports: Vec<i64> = rows.iter().map(|r| r.import_id).collect();
    let lines: Vec<i64> = rows.iter().map(|r| signed(r.line)).collect();
    let records: Vec<i64> = rows.iter().map(|r| r.record.0).collect();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    let previous: Vec<Option<&str>> = rows.iter().map(|r| r.previous.as_deref()).collect();
    let versions: Vec<i64> = rows.iter().map(|r| signed(r.version)).collect();
    c.execute_raw(
        "INSERT INTO crm_import_rows (import_id, line, record_id, action, previous, version)
         SELECT i, l, r, a, p, v FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::bigint[])
         WITH ORDINALITY AS x(i, l, r, a, p, v, n) ORDER BY n",
        &[&imports, &lines, &records, &actions, &previous, &versions],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn change_log_ids_are_taken_under_the_feed_lock() {
        let lock = format!("pg_advisory_xact_lock({} + 'crm_history'::regclass::oid::bigint)", super::super::LOCK_FEED);
        assert!(super::ONE_ENTRY.contains(&lock) && super::ENTRY_IDS.contains(&lock));
    }
}
