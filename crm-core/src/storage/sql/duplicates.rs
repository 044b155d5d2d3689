//! Duplicates in SQL, once for both engines: duplicate groups grouped by the normalised key in SQL (one
//! pass over the module's rows per page of groups, never all groups in memory), the index of
//! duplicate-prevention rule keys (`crm_dedupe_keys`: one row per live record and rule, kept in step with
//! every commit by [`maintain_keys`]), and the merge journal (`crm_merges`).
//!
//! The key is computed by the dialect ([`Dialect::dedupe_key`](super::Dialect::dedupe_key): SQLite's
//! connection function `crm_dedupe`, PostgreSQL's expression from the same character tables), except for
//! records written through a commit, whose rule keys are computed in Rust with the same normaliser.

use super::db::{row, rows};
use super::{Arg, Db, signed, to_json};
use crate::dedupe::{DuplicateGroup, DuplicateRule, MergeJournal};
use crate::error::{Result, StorageError};
use crate::query::RecordSight;
use crate::record::Record;
use crate::schema::{Module, Schema};
use crate::storage::{Change, RecordChange, SchemaStoreChange};
use crate::value::RecordId;

/// The key expression of `fields` over the module table `t`.
fn key_expr<D: Db + ?Sized>(db: &D, m: &Module, fields: &[String], normalize: bool) -> Result<String> {
    let d = db.dialect();
    let mut keys = Vec::with_capacity(fields.len());
    for name in fields {
        let f = m.field(name).ok_or_else(|| crate::error::Error::invalid(format!("{} has no field '{name}'", m.name)))?;
        keys.push(d.dedupe_key(&format!("t.{}", d.ident(&f.name)?), f.field_type, normalize));
    }
    Ok(d.bytewise(&d.dedupe_join(&keys)))
}

/// One page of duplicate groups: keys above `after`, ordered byte-wise, at most `limit`; with a `sight`,
/// each group lists only the ids it admits (`CASE WHEN <owner scope> THEN id END`: the aggregate skips
/// the others), in the same statement.
pub(crate) fn groups<D: Db + ?Sized>(
    db: &mut D,
    m: &Module,
    fields: &[String],
    normalize: bool,
    after: Option<&str>,
    limit: u64,
    sight: Option<&RecordSight>,
) -> Result<Vec<DuplicateGroup>> {
    let d = db.dialect();
    let key = key_expr(db, m, fields, normalize)?;
    let table = d.ident(&m.table_name())?;
    let mut args = Vec::new();
    let seen = match sight {
        None | Some(RecordSight::Existing) => "t.id".to_string(),
        Some(RecordSight::Nothing) => "NULL".to_string(),
        Some(RecordSight::Owners(s)) => {
            let mut test = d.bool_literal(true).to_string();
            super::compile::owner_in(d, &s.field, &s.owners, &mut test, &mut args)?;
            format!("CASE WHEN {test} THEN t.id END")
        }
    };
    if let Some(a) = after {
        args.push(Arg::Text(a));
    }
    let after_test = if after.is_some() { format!(" AND k > {}", d.bytewise(&d.placeholder(args.len()))) } else { String::new() };
    args.push(Arg::Int(signed(limit)));
    let sql = format!(
        "SELECT k, {ids} FROM (SELECT {seen} AS id, {key} AS k FROM {table} t JOIN crm_entity e ON e.id = t.id WHERE e.deleted = {f}) s \
         WHERE k IS NOT NULL{after_test} GROUP BY k HAVING count(*) > 1 ORDER BY k LIMIT {limit_ph}",
        ids = d.id_list("id"),
        f = d.bool_literal(false),
        limit_ph = d.placeholder(args.len()),
    );
    rows(db, &sql, &args, |r| {
        let mut ids = Vec::new();
        for part in r.text(1)?.iter().flat_map(|list| list.split(',')) {
            ids.push(RecordId(part.trim().parse().map_err(|_| StorageError::Corrupt(format!("record id '{part}'")))?));
        }
        ids.sort();
        Ok(DuplicateGroup { key: r.string(0)?, ids })
    })
}

/// Live records of `m` with `key` under `rule`, from the key index.
pub(crate) fn holders<D: Db + ?Sized>(db: &mut D, m: &Module, rule: &DuplicateRule, key: &str, limit: u64) -> Result<Vec<RecordId>> {
    let sql = db
        .dialect()
        .render("SELECT record_id FROM crm_dedupe_keys WHERE module = $1 AND rule = $2 AND key = $3 ORDER BY record_id LIMIT $4");
    rows(db, &sql, &[Arg::Text(&m.name), Arg::Text(&rule.name), Arg::Text(key), Arg::Int(signed(limit))], |r| Ok(RecordId(r.i64(0)?)))
}

/// Keeps the rule-key index in step with a commit's changes (run after they are written, in the same
/// transaction): records of modules with rules get their keys rewritten (none while in the recycle bin),
/// added rules are filled from the module's live records, dropped rules forgotten, and rules over a field
/// that a schema edit rewrote are filled again.
pub(crate) fn maintain_keys<D: Db + ?Sized>(db: &mut D, schema: &Schema, changes: &[Change]) -> Result<()> {
    let any_rules = schema.modules.values().any(|m| !m.duplicate_rules.is_empty());
    let mut current = schema;
    for c in changes {
        match c {
            Change::Record(RecordChange::Insert(r)) if any_rules => put_keys(db, current, r, true)?,
            Change::Record(RecordChange::Update { record, .. }) if any_rules => put_keys(db, current, record, false)?,
            Change::Schema(SchemaStoreChange::Put { schema: new, .. }) => {
                for m in new.modules.values() {
                    let old = current.modules.get(&m.name).map(|o| o.duplicate_rules.as_slice()).unwrap_or_default();
                    for r in m.duplicate_rules.iter().filter(|r| !old.contains(r)) {
                        fill_rule(db, m, r)?;
                    }
                    for r in old.iter().filter(|r| !m.duplicate_rules.contains(r)) {
                        forget_rule(db, m, r)?;
                    }
                }
                current = new;
            }
            Change::Schema(
                SchemaStoreChange::ReplacePicklistValue { module, field, .. } | SchemaStoreChange::ClearField { module, field, .. },
            ) => {
                if let Some(m) = current.modules.get(module) {
                    for r in m.duplicate_rules.iter().filter(|r| r.fields.contains(field)) {
                        forget_rule(db, m, r)?;
                        fill_rule(db, m, r)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Rewrites the rule keys of one record.
fn put_keys<D: Db + ?Sized>(db: &mut D, schema: &Schema, r: &Record, new: bool) -> Result<()> {
    let Some(m) = schema.modules.get(&r.module) else { return Ok(()) };
    if m.duplicate_rules.is_empty() {
        return Ok(());
    }
    if !new {
        db.execute(&db.dialect().render("DELETE FROM crm_dedupe_keys WHERE record_id = $1"), &[Arg::Int(r.id.0)])?;
    }
    if r.deleted {
        return Ok(());
    }
    let insert = db.dialect().render("INSERT INTO crm_dedupe_keys (record_id, module, rule, key) VALUES ($1, $2, $3, $4)");
    for rule in &m.duplicate_rules {
        if let Some(k) = rule.key(m, &r.values) {
            db.execute(&insert, &[Arg::Int(r.id.0), Arg::Text(&m.name), Arg::Text(&rule.name), Arg::Owned(k)])?;
        }
    }
    Ok(())
}

/// Fills a rule's keys from every live record of the module, in one statement.
fn fill_rule<D: Db + ?Sized>(db: &mut D, m: &Module, rule: &DuplicateRule) -> Result<()> {
    let key = key_expr(db, m, &rule.fields, true)?;
    let d = db.dialect();
    let sql = format!(
        "INSERT INTO crm_dedupe_keys (record_id, module, rule, key) SELECT id, {p1}, {p2}, k FROM \
         (SELECT t.id AS id, {key} AS k FROM {table} t JOIN crm_entity e ON e.id = t.id WHERE e.deleted = {f}) s WHERE k IS NOT NULL",
        p1 = d.placeholder(1),
        p2 = d.placeholder(2),
        table = d.ident(&m.table_name())?,
        f = d.bool_literal(false),
    );
    db.execute(&sql, &[Arg::Text(&m.name), Arg::Text(&rule.name)])?;
    Ok(())
}

/// Forgets a rule's keys.
fn forget_rule<D: Db + ?Sized>(db: &mut D, m: &Module, rule: &DuplicateRule) -> Result<()> {
    db.execute(
        &db.dialect().render("DELETE FROM crm_dedupe_keys WHERE module = $1 AND rule = $2"),
        &[Arg::Text(&m.name), Arg::Text(&rule.name)],
    )?;
    Ok(())
}

/// Writes the merge-area record changes: moved change-log entries, merge journals.
pub(crate) fn apply<D: Db + ?Sized>(db: &mut D, c: &RecordChange) -> Result<()> {
    match c {
        RecordChange::MoveHistory { ids, to } => {
            let sql = db.dialect().render("UPDATE crm_history SET record_id = $1 WHERE id = $2");
            for id in ids {
                db.execute(&sql, &[Arg::Int(to.0), Arg::Int(*id)])?;
            }
        }
        RecordChange::PutMergeJournal(j) => {
            db.execute(&db.dialect().render("DELETE FROM crm_merges WHERE record_id = $1"), &[Arg::Int(j.merged.0)])?;
            db.execute(
                &db.dialect().render("INSERT INTO crm_merges (record_id, kept_id, journal) VALUES ($1, $2, $3)"),
                &[Arg::Int(j.merged.0), Arg::Int(j.kept.0), Arg::Owned(to_json(j)?)],
            )?;
        }
        RecordChange::DropMergeJournal(id) => {
            db.execute(&db.dialect().render("DELETE FROM crm_merges WHERE record_id = $1"), &[Arg::Int(id.0)])?;
        }
        _ => {}
    }
    Ok(())
}

/// Moves comments by id.
pub(crate) fn move_comment_ids<D: Db + ?Sized>(db: &mut D, ids: &[i64], to: RecordId) -> Result<()> {
    let sql = db.dialect().render("UPDATE crm_comments SET record_id = $1 WHERE id = $2");
    for id in ids {
        db.execute(&sql, &[Arg::Int(to.0), Arg::Int(*id)])?;
    }
    Ok(())
}

/// The merge journal of a merged record.
pub(crate) fn journal<D: Db + ?Sized>(db: &mut D, id: RecordId) -> Result<Option<MergeJournal>> {
    let sql = db.dialect().render("SELECT journal FROM crm_merges WHERE record_id = $1");
    let Some(text) = row(db, &sql, &[Arg::Int(id.0)], |r| r.string(0))? else { return Ok(None) };
    serde_json::from_str(&text).map(Some).map_err(|e| StorageError::Corrupt(format!("merge journal of {id}: {e}")).into())
}
